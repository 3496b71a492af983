#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# bench-dpdk.sh — linerated against dpdk-testpmd on the same vdevs, the same
# worker core, in the same run; and L3 with 1M IPv4 routes against our own
# io on the exact same input path.
#
#   scripts/bench-dpdk.sh [--seconds N] [--rounds R] [--build-dir DIR]
#                         [--pairs io,macswap,l3[,l3narrow,l3pages]]
#
# Three pairs (two more on request), interleaved: every round runs each
# pair once, its two sides back to back, in alternating order (A B in odd
# rounds, B A in even ones), so drift in the load from other work on a
# shared machine hits both sides:
#   io:      linerated configs/bench/null-io.yaml       vs testpmd --forward-mode=io
#   macswap: linerated configs/bench/null-macswap.yaml  vs testpmd --forward-mode=macswap
#   l3:      linerated configs/bench/l3-1m.yaml       vs linerated configs/bench/pcap-io.yaml
# The l3 pair replays one pcap (8192 real 60-byte IPv4/UDP frames to random
# unicast destinations, written here) through net_pcap infinite_rx into the
# worker, which sends to net_null: no generator on the worker's core, and
# io and l3 see the same input.
# Two more l3 pairs (only when named in --pairs) measure what the spread of
# the destinations over the table costs. Each is the l3 pair again, with
# the same 1M-route table and 8192 destinations, on a pcap of its own:
#   l3narrow: destinations in 1.0.0.0-16.255.255.255, so the lookups touch
#            2 MiB of tbl24 (on two 2 MiB pages) instead of ~28 MiB (14).
#   l3pages: destinations in 512 random 4 KiB pages of tbl24 spread over
#            the whole unicast range (all 14 2 MiB pages).
# The lookups touch about as many distinct cache lines in all three (8106
# in l3, 7223 in l3narrow, 7221 in l3pages) but 4849, 512 and 512 distinct
# 4 KiB pages: l3pages runs like l3narrow if what costs is 4 KiB pages,
# like l3 if it is the 2 MiB ones.
# Each run lasts N seconds (default 6) with the worker / forwarding core on
# the last CPU and the control thread on CPU 0.
#
# A run's rate is the median of its per-second rates (first and last
# dropped): linerated's worker RX line, testpmd's Rx-pps summed over both
# ports. A ratio is taken per round (the two sides ran seconds apart) and
# reported as the median over rounds with its min..max spread. Cycles per
# packet are each worker's own TSC: busy cycles (polls that received
# packets) over received packets — linerated's `final worker` line,
# testpmd's --record-core-cycles — median and best (lowest) over rounds;
# the best is the least disturbed by preemption, which the TSC counts as
# busy, and the ratio of the best cycles is printed too. Also printed:
# memory of the mempool and the 1M-route table, and each target as met /
# NOT met:
#   io >= 1.0x testpmd, macswap >= 1.0x testpmd (median per-round ratio),
#   l3 >= 0.8x own io (median per-round ratio), 1M-route table < 128 MiB.
# Hugepages are used for both programs when 512 MiB are free, else both run
# --no-huge (said so); hugepage files are unlinked by both and checked at the
# end. File prefixes lr-dq-<pid>-*. Not a test: no thresholds fail it.
# Needs root and python3 (to write the pcap).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
secs=${LR_BENCH_SECONDS:-6}
rounds=5
builddir="$here/build"
pairs=io,macswap,l3 # which pairs run (--pairs): the others print "-"

while [ $# -gt 0 ]; do
	case "$1" in
	--seconds) secs=$2; shift ;;
	--rounds) rounds=$2; shift ;;
	--build-dir) builddir=$2; shift ;;
	--pairs) pairs=$2; shift ;;
	-h|--help) sed -n '4,52p' "$0"; exit 0 ;;
	*) echo "bench-dpdk.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
	esac
	shift
done

linerated="$builddir/controlplane/linerated"
testpmd=$(command -v dpdk-testpmd || true)
[ -x "$linerated" ] || { echo "bench-dpdk.sh: build $linerated first (scripts/setup.sh)" >&2; exit 1; }
[ -n "$testpmd" ] || { echo "bench-dpdk.sh: dpdk-testpmd not found (Debian package dpdk)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "bench-dpdk.sh: must run as root" >&2; exit 1; }
command -v python3 > /dev/null || { echo "bench-dpdk.sh: python3 needed to write the pcap" >&2; exit 1; }

want() { [[ ",$pairs," == *",$1,"* ]]; }
for p in ${pairs//,/ }; do
	case "$p" in io|macswap|l3|l3narrow|l3pages) ;; *) echo "bench-dpdk.sh: --pairs: unknown pair '$p' (io, macswap, l3, l3narrow, l3pages)" >&2; exit 2 ;; esac
done

ncpu=$(nproc)
core=$((ncpu - 1))
tmp=$(mktemp -d /tmp/lr-dq-bench.XXXXXX)
pfx="lr-dq-$$"
cleanup() {
	rm -rf "$tmp"
	rm -rf /var/run/dpdk/"$pfx"-* 2> /dev/null || true
	# Both programs unlink their hugepage files; remove any a crash left.
	rm -f /dev/hugepages/"$pfx"-* 2> /dev/null || true
}
trap cleanup EXIT

free_mb=$(( $(cat /sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages 2>/dev/null || echo 0) * 2 ))
if [ "$free_mb" -ge 512 ]; then
	mem="hugepages"
	lr_mem=()
	tp_mem=(--huge-unlink -m 256)
else
	mem="--no-huge (only $free_mb MiB of hugepages free)"
	lr_mem=(--no-huge)
	tp_mem=(--no-huge -m 512)
fi

# The l3 pair's input: 60-byte IPv4/UDP frames (valid header checksum, TTL
# 64) to uniformly random destinations in 1.0.0.0-223.255.255.255, Ethernet
# destination = the input port's MAC in pcap-*.yaml.
# The l3narrow and l3pages pairs': the same frames, destinations as above
# (SPREAD all, narrow or pages).
write_pcap() { # file spread
python3 - "$1" 8192 "$2" <<'EOF'
import random, struct, sys
out, n, spread = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rnd = random.Random(1)
# l3pages: 512 distinct 4 KiB pages of tbl24 (2048 2-byte /24 entries
# each) between 1.0.0.0 and 224.0.0.0.
pages = random.Random(7).sample(range((1 << 24) >> 19, (224 << 24) >> 19), 512)
def dest():
    if spread == "narrow":
        return rnd.randrange(1 << 24, 17 << 24)
    if spread == "pages":
        return pages[rnd.randrange(512)] << 19 | rnd.randrange(1 << 19)
    return rnd.randrange(1 << 24, 224 << 24)
def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
with open(out, "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for i in range(n):
        dst = dest()
        udp = struct.pack("!HHHH", 1024 + (i & 0x3fff), 9, 26, 0) + bytes(18)
        ip = struct.pack("!BBHHHBBHII", 0x45, 0, 20 + len(udp), i & 0xffff,
                         0, 64, 17, 0, 0x0a000100 | (i & 0xff), dst)
        ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
        fr = bytes.fromhex("020000000101020000000901") + b"\x08\x00" + ip + udp
        f.write(struct.pack("<IIII", 0, i, len(fr), len(fr)) + fr)
EOF
}
for sp in all narrow pages; do
	case $sp in all) want l3 ;; *) want "l3$sp" ;; esac || continue
	write_pcap "$tmp/l3-$sp.pcap" "$sp"
	for c in pcap-io l3-1m; do
		sed "s|@PCAP@|$tmp/l3-$sp.pcap|" "$here/configs/bench/$c.yaml" > "$tmp/$c-$sp.yaml"
	done
done

# Median of the numbers on stdin after dropping the first and last.
median() {
	sort -n | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print 0; exit }
		n = NR; lo = 1; hi = n
		if (n > 2) { lo = 2; hi = n - 1 }
		m = lo + int((hi - lo) / 2); print v[m] }'
}

# Runs print "RATE CYC" (Mpps, busy TSC cycles per received packet).
lr_run() { # name config
	local name=$1 cfg=$2 out="$tmp/$1.out" rate
	"$linerated" -q --no-control -c "$cfg" -s 1000 -d "$secs" --summary \
		--file-prefix "$pfx-$name" "${lr_mem[@]}" > "$out" 2> "$tmp/$name.err" ||
		{ cat "$tmp/$name.err" >&2; echo "bench-dpdk.sh: linerated failed ($name)" >&2; exit 1; }
	rate=$(grep '^worker 0 ' "$out" | awk '{ print $6 }' | median)
	echo "$rate $(awk '$1 == "final" && $2 == "worker=0" {
		for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
		if (f["rx_pkts"] > 0) printf "%.1f", f["busy_cycles"] / f["rx_pkts"]; else print "-" }' "$out")"
}

lr_mem_line() { # name key
	awk -v k="$2" '$1 == "final" && $2 == "mem" {
		for (i = 3; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) printf "%.1f", kv[2] / 1048576 } }' "$tmp/$1.out"
}

tp_run() { # name mode
	local name=$1 mode=$2 out="$tmp/$1.out" rate
	timeout -s INT "$secs" "$testpmd" -l "0,$core" --no-pci \
		--vdev net_null0 --vdev net_null1 --file-prefix "$pfx-$name" \
		"${tp_mem[@]}" --log-level=warning -- --forward-mode="$mode" \
		--nb-cores=1 --stats-period 1 --auto-start --record-core-cycles \
		--total-num-mbufs=16384 > "$out" 2>&1 || true
	rm -rf "/var/run/dpdk/$pfx-$name" # testpmd leaves it
	# Each period prints Rx-pps per port: sum the pairs.
	rate=$(awk '/Rx-pps:/ { s += $2; if (++k % 2 == 0) { print s / 1e6; s = 0 } }' "$out" |
		awk '$1 > 0' | median)
	echo "$rate $(awk '/CPU cycles\/packet=/ { split($0, a, "="); split(a[2], b, " "); c = b[1] }
		END { if (c == "") print "-"; else printf "%.1f", c }' "$out")"
}

# Median / min / max of a space-separated list.
stat_of() { # list what(med|min|max)
	tr ' ' '\n' <<< "$1" | awk 'NF && $1 != "-"' | sort -g | awk -v w="$2" '{ v[NR] = $1 } END {
		if (NR == 0) { print "-"; exit }
		if (w == "min") print v[1]; else if (w == "max") print v[NR];
		else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3g\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "-" }'; }

declare -A runs
run_side() { # key name kind arg
	local res
	if [ "$3" = lr ]; then res=$(lr_run "$2" "$4"); else res=$(tp_run "$2" "$4"); fi
	runs[rate_$1]+="${res% *} "; runs[cyc_$1]+="${res#* } "
	last[$1]=${res% *}
}
declare -A last
pair() { # round key_a name_a kind_a arg_a key_b name_b kind_b arg_b ratio_key
	local r=$1
	if [ $((r % 2)) = 1 ]; then
		run_side "$2" "$3$r" "$4" "$5"; run_side "$6" "$7$r" "$8" "$9"
	else
		run_side "$6" "$7$r" "$8" "$9"; run_side "$2" "$3$r" "$4" "$5"
	fi
	runs[r_${10}]+="$(ratio "${last[$2]}" "${last[$6]}") "
}

for r in $(seq 1 "$rounds"); do
	echo "round $r/$rounds (${secs}s each, worker core $core, $mem)"
	# if/fi, not want && pair: a failing run must stop the script (set -e
	# does not apply on the left of &&).
	if want io; then pair "$r" lr_io io lr "$here/configs/bench/null-io.yaml" tp_io tpio tp io io; fi
	if want macswap; then pair "$r" lr_ms ms lr "$here/configs/bench/null-macswap.yaml" tp_ms tpms tp macswap ms; fi
	if want l3; then pair "$r" lr_l3 l3 lr "$tmp/l3-1m-all.yaml" lr_pio pio lr "$tmp/pcap-io-all.yaml" l3; fi
	if want l3narrow; then pair "$r" lr_l3n l3n lr "$tmp/l3-1m-narrow.yaml" lr_pion pion lr "$tmp/pcap-io-narrow.yaml" l3n; fi
	if want l3pages; then pair "$r" lr_l3p l3p lr "$tmp/l3-1m-pages.yaml" lr_piop piop lr "$tmp/pcap-io-pages.yaml" l3p; fi
	echo "  ratios so far: io ${runs[r_io]:-}| macswap ${runs[r_ms]:-}| l3/io ${runs[r_l3]:-}$(want l3narrow && echo "| l3narrow/io ${runs[r_l3n]:-}")$(want l3pages && echo "| l3pages/io ${runs[r_l3p]:-}")"
done

med() { stat_of "${runs[$1]:-}" med; }
spread() { echo "$(stat_of "${runs[$1]:-}" min)..$(stat_of "${runs[$1]:-}" max)"; }
cyc() { echo "$(stat_of "${runs[cyc_$1]:-}" med) / $(stat_of "${runs[cyc_$1]:-}" min)"; }
verdict() { awk -v v="$1" -v t="$2" 'BEGIN { if (v == "-" || v == "") print "not run"; else if (v + 0 >= t) print "met"; else print "NOT met" }'; }

# Memory from whichever l3 run there was (the table is the same in all).
l3run=
for k in l3 l3narrow l3pages; do
	want $k && [ -z "$l3run" ] && case $k in l3) l3run=l3 ;; l3narrow) l3run=l3n ;; l3pages) l3run=l3p ;; esac
done
l3mem=-
[ -n "$l3run" ] && l3mem=$(lr_mem_line "$l3run$rounds" l3_bytes)
echo
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $ncpu CPUs, $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg); memory: $mem"
echo "$rounds rounds of ${secs}s per side, pairs interleaved, order alternating; ratio = median of per-round ratios (min..max)"
printf '%-34s %9s %9s %7s %12s %15s %15s\n' "pair (Mpps, medians)" "linerated" "reference" "ratio" "spread" "lr cyc/pkt" "ref cyc/pkt"
printf '%-34s %9s %9s %7s %12s %15s %15s\n' "" "" "" "" "" "median / best" "median / best"
printf '%-34s %9s %9s %7s %12s %15s %15s\n' "io, 2x net_null vs testpmd io" "$(med rate_lr_io)" "$(med rate_tp_io)" "$(med r_io)" "$(spread r_io)" "$(cyc lr_io)" "$(cyc tp_io)"
printf '%-34s %9s %9s %7s %12s %15s %15s\n' "macswap, 2x net_null vs testpmd" "$(med rate_lr_ms)" "$(med rate_tp_ms)" "$(med r_ms)" "$(spread r_ms)" "$(cyc lr_ms)" "$(cyc tp_ms)"
printf '%-34s %9s %9s %7s %12s %15s %15s\n' "l3 1M routes vs own io, pcap" "$(med rate_lr_l3)" "$(med rate_lr_pio)" "$(med r_l3)" "$(spread r_l3)" "$(cyc lr_l3)" "$(cyc lr_pio)"
want l3narrow && printf '%-34s %9s %9s %7s %12s %15s %15s\n' "l3narrow (2 MiB of tbl24) vs io" "$(med rate_lr_l3n)" "$(med rate_lr_pion)" "$(med r_l3n)" "$(spread r_l3n)" "$(cyc lr_l3n)" "$(cyc lr_pion)"
want l3pages && printf '%-34s %9s %9s %7s %12s %15s %15s\n' "l3pages (512 4K pages) vs io" "$(med rate_lr_l3p)" "$(med rate_lr_piop)" "$(med r_l3p)" "$(spread r_l3p)" "$(cyc lr_l3p)" "$(cyc lr_piop)"
# The same comparison from the least-disturbed runs: best (lowest) busy
# cycles per packet of each side, as a rate ratio. testpmd's cycles cover
# its forwarding function only, ours the whole worker round, so this leans
# against us.
bestr() { awk -v a="$(stat_of "${runs[cyc_$1]:-}" min)" -v b="$(stat_of "${runs[cyc_$2]:-}" min)" \
	'BEGIN { if (a > 0) printf "%.3f", b / a; else print "-" }'; }
echo "best-cycles ratio (reference best cyc/pkt / ours): io $(bestr lr_io tp_io), macswap $(bestr lr_ms tp_ms), l3/io $(bestr lr_l3 lr_pio)$(want l3narrow && echo ", l3narrow/io $(bestr lr_l3n lr_pion)")$(want l3pages && echo ", l3pages/io $(bestr lr_l3p lr_piop)")"
[ -n "$l3run" ] && echo "memory (l3 run): mempool $(lr_mem_line "$l3run$rounds" mempool_bytes) MiB (8192 of its mbufs hold the replayed pcap), IPv4+IPv6 tables with 1M IPv4 routes $l3mem MiB, DPDK heap in use $(lr_mem_line "$l3run$rounds" heap_bytes) MiB"
echo "targets:"
echo "  io >= 1.0x testpmd:         $(med r_io)  $(verdict "$(med r_io)" 1.0)"
echo "  macswap >= 1.0x testpmd:    $(med r_ms)  $(verdict "$(med r_ms)" 1.0)"
echo "  l3 >= 0.8x own io:          $(med r_l3)  $(verdict "$(med r_l3)" 0.8)"
echo "  1M-route table < 128 MiB:   $l3mem MiB  $(awk -v m="$l3mem" 'BEGIN { print m == "-" ? "not run" : (m != "" && m + 0 < 128) ? "met" : "NOT met" }')"
echo "per round:"
for k in rate_lr_io rate_tp_io r_io cyc_lr_io cyc_tp_io rate_lr_ms rate_tp_ms r_ms cyc_lr_ms cyc_tp_ms \
	rate_lr_l3 rate_lr_pio r_l3 cyc_lr_l3 cyc_lr_pio rate_lr_l3n rate_lr_pion r_l3n cyc_lr_l3n cyc_lr_pion \
	rate_lr_l3p rate_lr_piop r_l3p cyc_lr_l3p cyc_lr_piop; do
	echo "  $k: ${runs[$k]:-}"
done
left=0
[ -d /dev/hugepages ] && left=$(find /dev/hugepages -maxdepth 1 -name "$pfx-*" | wc -l)
echo "hugepage files left by this run: $left"
