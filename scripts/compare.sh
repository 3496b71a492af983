#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# compare.sh — the whole `linerate compare` in one command: creates the lab
# (scripts/lab.sh: a namespace, two veth pairs, hugepages), measures every
# selected I/O mode of the DUT ports with the built-in generator and sink,
# writes results.json, results.csv, table.txt and the charts into the
# results directory, and removes everything it created — also when it fails
# or is interrupted (INT, TERM).
#
#   scripts/compare.sh [--out DIR] [--build DIR] [--quick] [-- COMPARE_OPTIONS]
#
#   --out DIR     results directory (default results/compare-<date>)
#   --build DIR   build directory with linerated and linerate-compare
#                 (default build/, env LR_BUILD)
#   --quick       a short run: 2 reps of 0.5 s, searches of 0.25-0.5 s
#                 trials at 2% precision (minutes instead of tens of them)
#   --oneshot     one linerated run per trial (--exec driver) instead of
#                 one per mode driven over its control socket
#   --desc-csv F  descriptor-scaling CSV to chart (default: LR_DESC_CSV, or
#                 build-kern-rel/fdscale/fdscale.csv from scripts/fdscale.sh)
#   COMPARE_OPTIONS go to linerate-compare (`--help` lists them), e.g.
#                 --modes dpdk,afxdp:skb:copy,kernel:all --sizes 64,1518
#
# Topology (worker 0 on CPU 0 generates and sinks, worker 1 on CPU 1 is the
# DUT and forwards dut0 -> dut1 in io mode):
#   gen (DPDK net_af_packet) -> lrcf-g0 == lrcf-d0 -> dut0 [mode under test]
#   dut1 [mode under test] -> lrcf-d1 == lrcf-s0 -> sink (DPDK net_af_packet)
#
# Trials go over linerated's control socket (gen set/start/stop, stats
# clear, show stats). One linerated runs the whole comparison: it starts
# with the DUT ports on kernel/poll, and linerate-compare switches both DUT
# ports to each mode in turn with one `port backend dut0,dut1 ...` batch
# (dpdk net_af_packet, afxdp native/skb, copy/zero-copy, every kernel
# model), without a restart; see README "Compare". A mode the lab cannot
# run (zero-copy on veth) is refused by the daemon and reported, the ports
# keep their previous mode. (--mode-hook, a restart per mode, is still an
# option of linerate-compare for other daemons; compare.sh needs none.)
# --oneshot starts one linerated per trial from the per-mode configs.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${LR_BUILD:-$here/build}
out="$here/results/compare-$(date -u +%Y%m%dT%H%M%SZ)"
quick=0
oneshot=0
# the kernel models' descriptor scaling, when scripts/fdscale.sh made it
desc=${LR_DESC_CSV:-}
if [ -z "$desc" ] && [ -f "$here/build-kern-rel/fdscale/fdscale.csv" ]; then
	desc=$here/build-kern-rel/fdscale/fdscale.csv
fi
args=()

while [ $# -gt 0 ]; do
	case "$1" in
	--out) out=$2; shift ;;
	--build) build=$2; shift ;;
	--quick) quick=1 ;;
	--oneshot) oneshot=1 ;;
	--desc-csv) desc=$2; shift ;;
	--) shift; args=("$@"); break ;;
	-h|--help) sed -n "3,39p" "$0"; exit 0 ;;
	*) echo "compare.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
	esac
	shift
done

[ "$(id -u)" = 0 ] || { echo "compare.sh: must run as root (lab)" >&2; exit 1; }
for b in controlplane/linerated controlplane/compare/linerate-compare; do
	[ -x "$build/$b" ] || {
		echo "compare.sh: $build/$b missing: build first (scripts/setup.sh)" >&2
		exit 1
	}
done
command -v gnuplot >/dev/null || echo "compare.sh: gnuplot missing: no charts" >&2

prefix=${LAB_PREFIX:-lrcf}
export LAB_PREFIX=$prefix
ns="$prefix-ns"
tmp=$(mktemp -d /tmp/lr-cf-XXXXXX)

child=""
cleanup() {
	local rc=$?

	trap - EXIT INT TERM
	if [ -n "$child" ] && kill -0 "$child" 2>/dev/null; then
		# the whole group: what it started (a --oneshot linerated)
		# would otherwise outlive linerate-compare and write into
		# $tmp after it is removed
		kill -TERM -- "-$child" 2>/dev/null ||
			kill -TERM "$child" 2>/dev/null || true
		wait "$child" 2>/dev/null || true
		for _ in $(seq 50); do
			kill -0 -- "-$child" 2>/dev/null || break
			sleep 0.1
		done
	fi
	[ -n "$child" ] && rm -f "/tmp/lr-cf-$child.yaml" "/tmp/lr-cf-$child.err"
	if [ -f "$tmp/linerated.pid" ]; then
		local pid
		pid=$(cat "$tmp/linerated.pid")
		kill -TERM "$pid" 2>/dev/null || true
		for _ in $(seq 100); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
	fi
	# linerated runs in the lab namespace: ip netns del (lab.sh down)
	# kills what is left of it
	"$here/scripts/lab.sh" down || true
	rm -rf "$tmp"
	# DPDK files of this run's linerated processes (prefix lr-cf-$$-0
	# of the socket driver's, lr-cf-<linerate-compare pid>-* from
	# --oneshot)
	for p in "lr-cf-$$-" ${child:+"lr-cf-$child-"}; do
		rm -f /dev/hugepages/"$p"* 2>/dev/null || true
		rm -rf /var/run/dpdk/"$p"* 2>/dev/null || true
	done
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# One template per mode: the generator and sink stay the same, only the DUT
# ports' backend changes. @...@ are filled per trial by linerate-compare.
# net_af_packet: qpairs=1, one socket per port, as each has one poller (its
# qpairs are sockets in one PACKET_FANOUT group; with qpairs=2 a second,
# then unread socket took the single flow's packets on some boots and lost
# them all; linerated's pollers now read every qpair, but one socket is the
# lighter). Workers that do not poll a port have no TX queue on it, which
# this topology never needs.
template() { # name, dut-port-yaml-for-dut0, same-for-dut1
	cat > "$tmp/tmpl/$1.yaml" <<YAML
eal:
  file_prefix: @PREFIX@
  memory_mb: 256
  hugepages: auto
ports:
  - name: gen
    backend: dpdk
    dev: net_af_packet0,iface=$prefix-g0,qpairs=1
    mode: io
    rx: drop
    generator:
      frame_size: @SIZE@
      flows: @FLOWS@
      rate_pps: @RATE@
      count: @COUNT@
      autostart: true
  - name: sink
    backend: dpdk
    dev: net_af_packet1,iface=$prefix-s0,qpairs=1
    rx: sink
  - name: dut0
$2
    mode: io
    peer: dut1
  - name: dut1
$3
    mode: io
    peer: dut0
workers:
  - core: 0
    ports: [gen, sink]
  - core: 1
    ports: [dut0, dut1]
YAML
}

mkdir -p "$tmp/tmpl"
# sqpoll_cpu 1: uring-sqpoll's SQ thread on the DUT worker's own core (the
# worker sleeps until a burst is ready and the SQ thread runs meanwhile;
# measured twice as cheap per core as on CPU 0, where the generator, the
# sink and the veth softirqs run). It carries over every run-time switch.
for m in blocking busypoll select poll epoll-lt epoll-et mmsg uring \
	 uring-sqpoll uring-multishot tpacket-v3; do
	template "kernel-$m" \
		"    backend: kernel
    dev: $prefix-d0
    io_model: $m
    sqpoll_cpu: 1" \
		"    backend: kernel
    dev: $prefix-d1
    io_model: $m
    sqpoll_cpu: 1"
done
template dpdk \
	"    backend: dpdk
    dev: net_af_packet2,iface=$prefix-d0,qpairs=1" \
	"    backend: dpdk
    dev: net_af_packet3,iface=$prefix-d1,qpairs=1"
for xdp in native skb; do
	for zc in copy zc; do
		skb=false; z=false
		[ $xdp = skb ] && skb=true
		[ $zc = zc ] && z=true
		template "afxdp-$xdp-$zc" \
			"    backend: afxdp
    dev: $prefix-d0
    xdp_skb: $skb
    zerocopy: $z" \
			"    backend: afxdp
    dev: $prefix-d1
    xdp_skb: $skb
    zerocopy: $z"
	done
done

quickargs=()
if [ "$quick" = 1 ]; then
	quickargs=(--reps 2 --trial 0.5 --search-trial 0.5 --initial-trial 0.25
		   --precision 0.02 --max-trials 16)
fi
descargs=()
[ -n "$desc" ] && descargs=(--desc-csv "$desc")

# The socket driver's linerated: the DUT ports on kernel/poll to begin
# with (linerate-compare switches them), the generator stopped.
start_lrd() {
	sed -e 's/@RATE@/1000/; s/@COUNT@/0/; s/@SIZE@/64/; s/@FLOWS@/1/' \
	    -e "s/@PREFIX@/lr-cf-$$-0/; s/autostart: true/autostart: false/" \
	    "$tmp/tmpl/kernel-poll.yaml" > "$tmp/run.yaml"
	rm -f "$tmp/ctl.sock"
	ip netns exec "$ns" "$build/controlplane/linerated" -c "$tmp/run.yaml" \
		--socket "$tmp/ctl.sock" -q > "$tmp/linerated.log" 2>&1 < /dev/null &
	echo "$!" > "$tmp/linerated.pid"
	for _ in $(seq 150); do
		[ -S "$tmp/ctl.sock" ] && return 0
		kill -0 "$(cat "$tmp/linerated.pid")" 2>/dev/null || break
		sleep 0.1
	done
	echo "compare.sh: linerated did not come up: $(grep -v '^TELEMETRY' "$tmp/linerated.log" | tail -n 1)" >&2
	return 1
}

if [ "$oneshot" = 1 ]; then
	driver=(--exec "$tmp/tmpl"
		--linerated "ip netns exec $ns $build/controlplane/linerated"
		--dut-workers 1)
else
	driver=(--socket "$tmp/ctl.sock")
fi

"$here/scripts/lab.sh" up
[ "$oneshot" = 1 ] || start_lrd
mkdir -p "$out"
# In the background and waited for, so that INT/TERM are handled at once
# (bash runs traps only between foreground commands).
# its own process group (setsid), so that clean-up can stop it with every
# process it started (a --oneshot linerated)
setsid --wait "$build/controlplane/compare/linerate-compare" \
	"${driver[@]}" --gen-port gen --dut-ports dut0,dut1 \
	--max-mpps 2 --out "$out" \
	"${quickargs[@]}" "${descargs[@]}" "${args[@]}" &
child=$!
wait "$child"
echo "compare.sh: results in $out"
