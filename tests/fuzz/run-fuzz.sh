#!/bin/sh
# SPDX-License-Identifier: MIT
#
# run-fuzz.sh FUZZER SEED_CORPUS_DIR [MAX_LEN] — run a libFuzzer target for a bounded
# time (LR_FUZZ_SECONDS, default 60) from a temporary copy of the committed
# seed corpus (the fuzzer adds inputs to its corpus dir: never the committed
# one). Exits non-zero on any crash, leak, timeout or sanitizer report;
# crashing inputs are kept in ./fuzz-artifacts/ of the current directory
# (the meson build dir) for reproduction: FUZZER fuzz-artifacts/crash-...
set -eu

fuzzer=$1
seeds=$2
max_len=${3:-2048}
secs=${LR_FUZZ_SECONDS:-60}

case $secs in
''|*[!0-9]*) echo "run-fuzz: LR_FUZZ_SECONDS must be a number: '$secs'" >&2
	exit 2 ;;
esac

tmp=$(mktemp -d "${TMPDIR:-/tmp}/lr-fuzz.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
mkdir -p "$tmp/corpus" fuzz-artifacts
cp -R "$seeds"/. "$tmp/corpus/"

echo "run-fuzz: $(basename "$fuzzer") for ${secs}s from $(ls "$tmp/corpus" | wc -l) seeds"
# the outer timeout only catches a fuzzer that ignores -max_total_time
timeout -k 10 $((secs + 60)) "$fuzzer" \
	-max_total_time="$secs" \
	-print_final_stats=1 \
	-timeout=10 \
	-max_len="$max_len" \
	-artifact_prefix="$PWD/fuzz-artifacts/" \
	"$tmp/corpus"
