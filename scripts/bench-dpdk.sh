#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# bench-dpdk.sh — linerated against dpdk-testpmd on the same vdevs, the same
# worker core, in the same run; and L3 with 1M routes against our own io.
#
#   scripts/bench-dpdk.sh [--seconds N] [--rounds R] [--build-dir DIR]
#
# For each round (default 5) it runs, one after the other:
#   linerated configs/bench/null-io.yaml       vs  testpmd --forward-mode=io
#   linerated configs/bench/null-macswap.yaml  vs  testpmd --forward-mode=macswap
#   linerated configs/bench/ring-io.yaml       vs  linerated configs/bench/l3-1m.yaml
# each for N seconds (default 6) with the worker / forwarding core on the
# last CPU and the control thread on CPU 0, and reads the per-second rates
# (linerated's worker line, testpmd's Rx-pps summed over both ports). A
# run's rate is the median of its seconds (the first and last dropped). The
# two programs of a pair run back to back, so a ratio is taken per round
# and the median ratio over the rounds is reported (load from other work
# on a shared machine moves whole rounds; a paired ratio cancels most of
# it), with the median rates. Also prints cycles per received packet (TSC
# of busy polls / packets, median over rounds) and the memory of mempools
# and tables.
# Hugepages are used for both programs when 512 MiB are free, else both run
# --no-huge (said so). Not a test: no thresholds. Needs root.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
secs=${LR_BENCH_SECONDS:-6}
rounds=5
builddir="$here/build"

while [ $# -gt 0 ]; do
	case "$1" in
	--seconds) secs=$2; shift ;;
	--rounds) rounds=$2; shift ;;
	--build-dir) builddir=$2; shift ;;
	-h|--help) sed -n '4,22p' "$0"; exit 0 ;;
	*) echo "bench-dpdk.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
	esac
	shift
done

linerated="$builddir/controlplane/linerated"
testpmd=$(command -v dpdk-testpmd || true)
[ -x "$linerated" ] || { echo "bench-dpdk.sh: build $linerated first (scripts/setup.sh)" >&2; exit 1; }
[ -n "$testpmd" ] || { echo "bench-dpdk.sh: dpdk-testpmd not found (Debian package dpdk)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "bench-dpdk.sh: must run as root" >&2; exit 1; }

ncpu=$(nproc)
core=$((ncpu - 1))
tmp=$(mktemp -d /tmp/lr-dp-bench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

free_mb=$(( $(cat /sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages 2>/dev/null || echo 0) * 2 ))
if [ "$free_mb" -ge 512 ]; then
	mem="hugepages"
	lr_mem=()
	tp_mem=(--huge-unlink)
else
	mem="--no-huge (only $free_mb MiB of hugepages free)"
	lr_mem=(--no-huge)
	tp_mem=(--no-huge -m 512)
fi

# Median of the numbers on stdin after dropping the first and last.
median() {
	sort -n | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print 0; exit }
		n = NR; lo = 1; hi = n
		if (n > 2) { lo = 2; hi = n - 1 }
		m = lo + int((hi - lo) / 2); print v[m] }'
}

# Per-second worker rx rate (Mpps) of a linerated run, as printed.
lr_run() { # name config
	local name=$1 cfg=$2 out="$tmp/$1.out"
	"$linerated" -q --no-control -c "$cfg" -s 1000 -d "$secs" --summary \
		--file-prefix "lr-dp-bench-$$-$name" "${lr_mem[@]}" > "$out" 2> "$tmp/$name.err" ||
		{ cat "$tmp/$name.err" >&2; echo "bench-dpdk.sh: linerated failed ($name)" >&2; exit 1; }
	# Drop the last line's partial second: median() drops first and last.
	grep '^worker 0 ' "$out" | awk '{ print $6 }' | median
}

lr_cycles() { # name: busy cycles per received packet
	awk '$1 == "final" && $2 == "worker=0" {
		for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
		if (f["rx_pkts"] > 0) printf "%.1f", f["busy_cycles"] / f["rx_pkts"]; else print "-" }' "$tmp/$1.out"
}

lr_mem_line() { # name key
	awk -v k="$2" '$1 == "final" && $2 == "mem" {
		for (i = 3; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) printf "%.1f", kv[2] / 1048576 } }' "$tmp/$1.out"
}

tp_run() { # name mode
	local name=$1 mode=$2 out="$tmp/$1.out"
	timeout -s INT "$secs" "$testpmd" -l "0,$core" --no-pci \
		--vdev net_null0 --vdev net_null1 --file-prefix "lr-dp-bench-$$-$name" \
		"${tp_mem[@]}" --log-level=warning -- --forward-mode="$mode" \
		--nb-cores=1 --stats-period 1 --auto-start \
		--total-num-mbufs=16384 > "$out" 2>&1 || true
	rm -rf "/var/run/dpdk/lr-dp-bench-$$-$name" # testpmd leaves it
	# Each period prints Rx-pps per port: sum the pairs.
	awk '/Rx-pps:/ { s += $2; if (++k % 2 == 0) { print s / 1e6; s = 0 } }' "$out" |
		awk '$1 > 0' | median
}

median_of() { tr ' ' '\n' <<< "$1" | awk 'NF' | sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print 0; else print v[int((NR + 1) / 2)] }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }

declare -A runs
for r in $(seq 1 "$rounds"); do
	echo "round $r/$rounds (${secs}s each, core $core, $mem)"
	a=$(lr_run io$r "$here/configs/bench/null-io.yaml"); b=$(tp_run tpio$r io)
	runs[lr_io]+="$a "; runs[tp_io]+="$b "; runs[r_io]+="$(ratio "$a" "$b") "
	runs[c_io]+="$(lr_cycles io$r) "
	a=$(lr_run ms$r "$here/configs/bench/null-macswap.yaml"); b=$(tp_run tpms$r macswap)
	runs[lr_ms]+="$a "; runs[tp_ms]+="$b "; runs[r_ms]+="$(ratio "$a" "$b") "
	runs[c_ms]+="$(lr_cycles ms$r) "
	a=$(lr_run rio$r "$here/configs/bench/ring-io.yaml"); b=$(lr_run l3$r "$here/configs/bench/l3-1m.yaml")
	runs[lr_rio]+="$a "; runs[lr_l3]+="$b "; runs[r_l3]+="$(ratio "$b" "$a") "
	runs[c_rio]+="$(lr_cycles rio$r) "; runs[c_l3]+="$(lr_cycles l3$r) "
done
m() { median_of "${runs[$1]}"; }

echo
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $ncpu CPUs, $(uname -r); memory: $mem"
echo "medians over $rounds rounds of ${secs}s; ratio = median of per-round ratios"
printf '%-32s %10s %10s %7s %12s\n' "configuration (Mpps)" "linerated" "reference" "ratio" "cyc/pkt"
printf '%-32s %10s %10s %7s %12s\n' "io, 2x net_null vs testpmd" "$(m lr_io)" "$(m tp_io)" "$(m r_io)" "$(m c_io)"
printf '%-32s %10s %10s %7s %12s\n' "macswap, 2x net_null vs testpmd" "$(m lr_ms)" "$(m tp_ms)" "$(m r_ms)" "$(m c_ms)"
printf '%-32s %10s %10s %7s %12s\n' "l3 1M routes vs io, gen->ring" "$(m lr_l3)" "$(m lr_rio)" "$(m r_l3)" "$(m c_l3) / $(m c_rio)"
echo "memory, l3-1m: mempool $(lr_mem_line l3$rounds mempool_bytes) MiB, 1M-route IPv4 table $(lr_mem_line l3$rounds l3_bytes) MiB, DPDK heap in use $(lr_mem_line l3$rounds heap_bytes) MiB"
echo "per round:"
for k in lr_io tp_io r_io lr_ms tp_ms r_ms lr_rio lr_l3 r_l3 c_io c_ms c_rio c_l3; do echo "  $k: ${runs[$k]}"; done
