#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# test.sh — the whole test suite, from a fresh Debian 12 machine: runs
# setup.sh (packages, hugepages, bpffs), builds a developer build with clang
# (-Werror, ASan, UBSan, libFuzzer targets) in build-test/, and runs every
# meson suite: unit, bpf, integration, fuzz. Extra arguments go to
# `meson test` (e.g. --suite unit).
#
# Environment: LR_FUZZ_SECONDS (default 60) bounds each fuzz target.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
builddir="$here/build-test"

"$here/scripts/setup.sh" --no-build

if [ ! -f "$builddir/build.ninja" ]; then
	CC=clang meson setup "$builddir" "$here" \
		-Dbuildtype=debugoptimized -Ddeveloper=true -Dfuzz=enabled \
		-Db_lundef=false
fi
ninja -C "$builddir"

# Fail on any sanitizer report; keep leak checking on.
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
cd "$builddir"
exec meson test --print-errorlogs --num-processes 2 "$@"
