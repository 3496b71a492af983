#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# bench-kern.sh — what each kernel-stack I/O model costs the DUT core, on
# identical traffic. Not a test: prints a table, writes CSV.
#
#   scripts/bench-kern.sh [-b BUILD_DIR] [-n PACKETS] [-r REPS] [-l LEN]
#                         [-o OUT_DIR] [-q SQPOLL_CPU] [-R] [MODEL ...]
#
# Method: pre-queued drain (see tests/bench/kern_bench.c). In a namespace
# lrk2bench with veth pairs s<->a and b<->r, the sender (pinned to CPU 0)
# queues PACKETS frames into port A's socket (1 GiB SO_RCVBUF; veth's
# receive softirq runs on the sender's core), then the DUT thread (pinned to
# CPU 1) drains A -> macswap -> B. Timing covers only the drain, so
# packets/s is the DUT core's own cost. Each model runs REPS times; the
# table shows the median run by packets per DUT-core second.
# -R: receive only (the DUT frees what it receives, no TX): the receive
# model's cost alone, without the transmit path every model shares.
# -q: the CPU of uring-sqpoll's SQ thread (-1: not pinned). Default 1, the
# DUT's own core: the DUT thread sleeps until a burst of completions is
# ready, so the SQ thread runs in its idle time and one core does both
# jobs. On CPU 0 it would share a core with the peer's NAPI thread and
# the sender (and on this VM with other jobs), and every burst would cost
# a cross-CPU wakeup; both are measured in README.
# Defaults: build-kern-rel (a release build: sanitizers would be what it
# measures), 100000 packets of 64 bytes, 3 reps, every model.
# Names: lrk2bench, lrk2bs ...; $KERN_LAB_PREFIX instead of lrk2 when set.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$here/build-kern-rel
n=100000
reps=3
len=64
out=$here/build-kern-rel/bench-kern
rxonly=
sqcpu=1
while getopts "b:n:r:l:o:q:Rh" o; do
	case $o in
	b) build=$OPTARG ;;
	n) n=$OPTARG ;;
	r) reps=$OPTARG ;;
	l) len=$OPTARG ;;
	o) out=$OPTARG ;;
	q) sqcpu=$OPTARG ;;
	R) rxonly=-R ;;
	*) sed -n '3,27p' "$0"; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
models=("$@")
if [ ${#models[@]} = 0 ]; then
	models=(blocking busypoll select poll epoll-lt epoll-et mmsg tpacket-v3
		uring uring-sqpoll uring-multishot)
fi
bin=$build/tests/bench/kern_bench
if [ ! -x "$bin" ]; then
	echo "bench-kern: $bin not built (meson setup $build -Dbuildtype=release && ninja -C $build)" >&2
	exit 1
fi
[ "$(id -u)" = 0 ] || { echo "bench-kern: needs root" >&2; exit 1; }
# Two people benchmarking at once must not share a namespace: the prefix.
pfx=${KERN_LAB_PREFIX:-lrk2}
if [ ${#pfx} -gt 4 ] || ! [[ $pfx =~ ^[a-z0-9]+$ ]]; then
	echo "bench-kern: KERN_LAB_PREFIX '$pfx': 1 to 4 of [a-z0-9]" >&2
	exit 1
fi
ns=${pfx}bench
cleanup() { ip netns del $ns 2>/dev/null || true; }
trap cleanup EXIT
cleanup
ip netns add $ns
ip -n $ns link add ${pfx}bs type veth peer name ${pfx}ba
ip -n $ns link add ${pfx}bb type veth peer name ${pfx}br
for i in ${pfx}bs ${pfx}ba ${pfx}bb ${pfx}br; do
	ip netns exec $ns sysctl -qw net.ipv6.conf.$i.disable_ipv6=1
	ip -n $ns link set $i up
done
# What the DUT transmits on B is received by veth peer r. Without NAPI that
# receive runs in softirq on the DUT's core (veth's receive work runs on
# the sender's core); with GRO on, r gets a NAPI instance, threaded and
# pinned to CPU 0, so the DUT core pays for its own TX only (as with a NIC,
# whose TX ends at its ring).
napi=off
if ip netns exec $ns ethtool -K ${pfx}br gro on 2>/dev/null &&
	ip netns exec $ns sh -c "echo 1 > /sys/class/net/${pfx}br/threaded" 2>/dev/null; then
	for t in $(pgrep -f "napi/${pfx}br" || true); do
		taskset -pc 0 "$t" >/dev/null && napi=on
	done
fi
mkdir -p "$out"
csv=$out/bench-kern${rxonly:+-rx}.csv
echo "model,packets,rx,wall_s,thread_cpu_s,proc_cpu_s,pps_core,pps_wall,syscalls_per_pkt,ctxsw_per_s,busy_pct,eagain_per_pkt,waits_per_pkt,cq_overflow,kernel_drops,vol_ctxsw_per_kpkt" > "$csv"
echo "method: pre-queued drain${rxonly:+, RECEIVE ONLY (no TX)} — $n x ${len}B frames queued into A's socket by a sender on CPU 0, then drained A -> macswap -> B by the DUT thread pinned to CPU 1 (SQPOLL thread on CPU $sqcpu); peer r's receive in threaded NAPI pinned to CPU 0: $napi; Mpps/core = packets per CPU-second of the DUT process during the drain (DUT thread + SQPOLL thread), as the 2 cores are shared with other load"
echo "machine: $(nproc) CPUs, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1), kernel $(uname -r)"
for r in $(seq "$reps"); do
	for m in "${models[@]}"; do
		ip netns exec $ns "$bin" -m "$m" -a ${pfx}ba -b ${pfx}bb -s ${pfx}bs \
			-n "$n" -l "$len" -c 1 -C 0 -q "$sqcpu" $rxonly >>"$csv" 2>"$out/$m.err" ||
			echo "bench-kern: $m run $r: exit $? ($(tail -1 "$out/$m.err"))" >&2
	done
done
python3 - "$csv" <<'PY'
import csv, sys, statistics
rows = list(csv.DictReader(open(sys.argv[1])))
by = {}
for r in rows:
    by.setdefault(r["model"], []).append(r)
med = {}
for m, rs in by.items():
    rs.sort(key=lambda r: float(r["pps_core"]))
    med[m] = rs[len(rs) // 2]
base = float(med["blocking"]["pps_core"]) if "blocking" in med else None
hdr = f'{"model":16} {"Mpps/core":>9} {"x blocking":>10} {"syscalls/pkt":>12} {"ctxsw/s":>8} {"vcsw/kpkt":>9} {"busy%":>6} {"EAGAIN/pkt":>10} {"lost":>6} {"cq_ovf":>6}'
print(hdr)
print("-" * len(hdr))
for m in by:
    r = med[m]
    pps = float(r["pps_core"])
    ratio = f"{pps / base:.2f}" if base else "-"
    lost = int(r["packets"]) - int(r["rx"])
    print(f'{m:16} {pps / 1e6:9.3f} {ratio:>10} {float(r["syscalls_per_pkt"]):12.4f} '
          f'{float(r["ctxsw_per_s"]):8.0f} {float(r["vol_ctxsw_per_kpkt"]):9.2f} {float(r["busy_pct"]):6.1f} '
          f'{float(r["eagain_per_pkt"]):10.4f} {lost:6d} {r["cq_overflow"]:>6}')
PY
echo "csv: $csv (every run)"
