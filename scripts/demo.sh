#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# demo.sh — see linerate forward packets on a machine without a NIC.
#
#   scripts/demo.sh [--seconds N] [--config FILE] [--build-dir DIR] [-- LINERATED_ARGS]
#
# Installs and builds whatever is missing (scripts/setup.sh: packages,
# hugepages, release build in build/), then runs linerated for N seconds
# (default 10, env LR_DEMO_SECONDS) on its built-in topology — a traffic
# generator on one net_ring vdev, a worker forwarding it (io mode) to a
# second net_ring vdev, whose receive side is the measuring sink — printing
# per-core and per-port rates, sink loss and latency once a second, and the
# final counters at the end. --config runs one of configs/ instead.
# Needs root (hugepages; DPDK). Leaves nothing behind: the EAL file prefix
# is unique per run and hugepage files are unlinked.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
secs=${LR_DEMO_SECONDS:-10}
config=
builddir="$here/build"
extra=()

while [ $# -gt 0 ]; do
	case "$1" in
	--seconds) secs=$2; shift ;;
	--config) config=$2; shift ;;
	--build-dir) builddir=$2; shift ;;
	--) shift; extra=("$@"); break ;;
	-h|--help) sed -n '4,17p' "$0"; exit 0 ;;
	*) echo "demo.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
	esac
	shift
done

if [ "$(id -u)" != 0 ]; then
	echo "demo.sh: must run as root (DPDK, hugepages)" >&2
	exit 1
fi

# Packages, hugepages, bpffs and a release build (only what is missing).
"$here/scripts/setup.sh" --build-dir "$builddir"

linerated="$builddir/controlplane/linerated"
if [ ! -x "$linerated" ]; then
	echo "demo.sh: $linerated was not built (is DPDK installed? see the meson output above)" >&2
	exit 1
fi

args=(--stats-interval 1000 --duration "$secs" --summary)
[ -n "$config" ] && args+=(--config "$config")
echo "demo: running linerated for $secs s: ${args[*]} ${extra[*]:-}"
echo "demo: Ctrl-C stops it early (workers drain, ports close, exit 0)"
exec "$linerated" "${args[@]}" "${extra[@]}"
