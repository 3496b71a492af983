#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Description: thread-per-port inside linerated: each worker polls one
# kernel port and forwards (io) to the other port, which it does not poll,
# on a TX queue of its own (a TX-only socket). Namespaces (prefix lrdt):
#
#   S (sa) ==== (da) D (db) ==== (rb) R      linerated in D, ports a=da b=db
#
# worker 0 polls a only, worker 1 polls b only; a: io peer b, b: io peer a.
# 1000 frames sent from S arrive at R and 600 sent from R arrive at S, each
# exactly once with every byte intact (kern_linerated_pkt.py); the
# summary's per-port counters agree (a: rx 1000 tx 600, b: rx 600 tx 1000),
# nothing is counted as port_down, and SIGTERM exits 0.
#
#   kern_linerated_tpp.sh LINERATED IO_MODEL TAG
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
lrd=$1
model=$2
tag=$3
pkt="$here/kern_linerated_pkt.py"
pfx="lrdt$tag"
nsS=${pfx}S nsD=${pfx}D nsR=${pfx}R

if [ "$(id -u)" != 0 ]; then
	echo "SKIP: needs root (network namespaces, AF_PACKET)"
	exit 77
fi
if ! ip netns add "${pfx}probe" 2>/dev/null; then
	echo "SKIP: cannot create network namespaces here"
	exit 77
fi
ip netns del "${pfx}probe"

tmp=$(mktemp -d)
lab_down() {
	local n
	for n in S D R; do
		ip netns del "$pfx$n" 2>/dev/null || true
	done
}
cleanup() {
	kill $(jobs -p) 2>/dev/null || true
	wait 2>/dev/null || true
	lab_down
	rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; cat "$tmp"/*.log "$tmp"/*.out 2>/dev/null || true; exit 1; }

lab_down
for n in S D R; do
	ip netns add "$pfx$n"
	ip -n "$pfx$n" link set lo up
done
pair() { # NS1 IF1 NS2 IF2
	ip -n "$pfx$1" link add "$pfx$2" type veth peer name "$pfx$4" \
		netns "$pfx$3"
	for x in "$1:$pfx$2" "$3:$pfx$4"; do
		ip netns exec "$pfx${x%%:*}" \
			sysctl -qw "net.ipv6.conf.${x#*:}.disable_ipv6=1" || true
		ip -n "$pfx${x%%:*}" link set "${x#*:}" up
	done
}
pair S sa D da
pair D db R rb

wait_ready() { # FILE SECONDS
	local i
	for i in $(seq $(($2 * 20))); do
		grep -qx ready "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

c0=0 c1=$(($(nproc) > 1 ? 1 : 0))
cat >"$tmp/k.yaml" <<YAML
ports:
  - {name: a, backend: kernel, dev: ${pfx}da, io_model: $model, mode: io, peer: b}
  - {name: b, backend: kernel, dev: ${pfx}db, io_model: $model, mode: io, peer: a}
workers:
  - {core: $c0, ports: [a]}
  - {core: $c1, ports: [b]}
YAML
ip netns exec "$nsR" python3 "$pkt" recv "${pfx}rb" 1000 20 1 >"$tmp/r1.out" 2>&1 &
r1=$!
ip netns exec "$nsS" python3 "$pkt" recv "${pfx}sa" 600 20 2 >"$tmp/r2.out" 2>&1 &
r2=$!
ip netns exec "$nsD" "$lrd" -c "$tmp/k.yaml" --no-huge --no-control \
	--file-prefix "lr-dt-tpp$tag-$$" --summary >"$tmp/lrd.log" 2>&1 &
pid=$!
n=0
until grep -q "worker 1: core" "$tmp/lrd.log"; do
	sleep 0.1; n=$((n + 1))
	if [ $n -gt 300 ] || ! kill -0 "$pid" 2>/dev/null; then
		fail "linerated did not start"
	fi
done
wait_ready "$tmp/r1.out" 10 || fail "receiver in R not ready"
wait_ready "$tmp/r2.out" 10 || fail "receiver in S not ready"
sleep 0.3
ip netns exec "$nsS" python3 "$pkt" send "${pfx}sa" 1000 1 >"$tmp/s1.out" 2>&1 &
ip netns exec "$nsR" python3 "$pkt" send "${pfx}rb" 600 2 >"$tmp/s2.out" 2>&1
rc=0
wait $r1 || rc=1
wait $r2 || rc=1
kill -TERM $pid
wait $pid || fail "linerated did not exit 0 on SIGTERM"
cat "$tmp/r1.out" "$tmp/r2.out"
grep -E "^final (port=|drops)" "$tmp/lrd.log" || true
grep -q "^final port=a rx_pkts=1000 rx_bytes=[0-9]* tx_pkts=600 " "$tmp/lrd.log" ||
	{ echo "FAIL: port a counters"; rc=1; }
grep -q "^final port=b rx_pkts=600 rx_bytes=[0-9]* tx_pkts=1000 " "$tmp/lrd.log" ||
	{ echo "FAIL: port b counters"; rc=1; }
if grep -E "^final drops" "$tmp/lrd.log" | grep -q "port_down=[1-9]"; then
	echo "FAIL: packets counted as port_down"; rc=1
fi
[ $rc = 0 ] || fail "bytes or counters wrong"
echo "PASS: thread-per-port over kernel ports ($model), io across ports"
