#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Description: linerated over AF_XDP ports forwards the right bytes.
# netns lab (afxdp_lab.sh), linerated in the DUT namespace with two afxdp
# ports on lrx2-d0/lrx2-d1 and one worker:
# 1. macswap: frames sent on lrx2-g0 come back on lrx2-g0 with MACs
#    swapped (dp's macswap returns out of the input port); the same on g1.
#    Port b has filter=ip: an ARP request for lrx2-d1's address is answered
#    by the DUT's kernel; on port a (filter=all) it goes to the worker.
# 2. l3: UDP to 198.19.0.0/16 sent into lrx2-d0 leaves lrx2-d1 towards
#    the configured neighbour: destination MAC the neighbour's, source MAC
#    lrx2-d1's, TTL one less, IPv4 checksum right, payload unchanged.
# 3. the generator on an afxdp port (frames from alloc_bufs, sent without
#    a copy): all 500 arrive on the far side.
# 4. linerated SIGKILLed, started again: the stale programs are replaced
#    and macswap works.
# Each run: SIGTERM -> exit 0, the backend logs balanced frame accounting
# and no XDP program is left on either interface.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/afxdp_lab.sh"

lrd=${LINERATED:?LINERATED: path to linerated}
wire=${AFXDP_WIRE:-$here/afxdp_wire.py}
tmp=$(mktemp -d)
LAB_PIDS=
cleanup() { lab_down; rm -rf "$tmp" /var/run/dpdk/lr-x2-$$-*; }

lab_up 1
trap cleanup EXIT
d0=$(lab_mac "$LAB_D" lrx2-d0)
d1=$(lab_mac "$LAB_D" lrx2-d1)
core=$(($(nproc) - 1))

fail() { echo "FAIL: $*"; cat "$tmp"/*.log 2>/dev/null; exit 1; }

# run_lrd NAME: start linerated on $tmp/NAME.yaml, wait for its worker
run_lrd() {
	local n=0
	ip netns exec "$LAB_D" "$lrd" -c "$tmp/$1.yaml" --no-huge \
		--file-prefix "lr-x2-$$-$1" --summary >"$tmp/$1.log" 2>&1 &
	pid=$!
	LAB_PIDS=$pid
	until grep -q "worker 0: core" "$tmp/$1.log"; do
		sleep 0.1; n=$((n + 1))
		if [ $n -gt 300 ] || ! kill -0 "$pid" 2>/dev/null; then
			fail "linerated ($1) did not start"
		fi
	done
	sleep 0.3
}

stop_lrd() {
	local rc=0
	kill -TERM "$pid"
	wait "$pid" || rc=$?
	LAB_PIDS=
	[ "$rc" = 0 ] || fail "linerated ($1) exit $rc"
	grep -q "frames balanced" "$tmp/$1.log" || fail "frame accounting ($1)"
	for i in 0 1; do
		[ -z "$(lab_xdp_id "$LAB_D" lrx2-d$i)" ] ||
			fail "XDP program left on lrx2-d$i ($1)"
	done
}

cat >"$tmp/macswap.yaml" <<YAML
ports:
  - {name: a, backend: afxdp, dev: lrx2-d0, mode: macswap}
  - {name: b, backend: afxdp, dev: "lrx2-d1,filter=ip", mode: macswap}
workers:
  - {core: $core, ports: [a, b]}
YAML
run_lrd macswap
grep -q "afxdp lrx2-d0 (native, copy)" "$tmp/macswap.log" ||
	fail "mode not reported as 'native, copy'"
ip netns exec "$LAB_G" python3 "$wire" --tx lrx2-g0 --rx lrx2-g0 \
	--dst-mac "$d0" --count 200 --expect macswap || fail "macswap a"
ip netns exec "$LAB_G" python3 "$wire" --tx lrx2-g1 --rx lrx2-g1 \
	--dst-mac "$d1" --count 200 --expect macswap || fail "macswap b"
# filter=ip on b: ARP stays with the DUT's kernel, which answers it, so
# the generator side learns lrx2-d1's MAC; on a (filter=all) the ARP
# request goes to the worker and comes back macswapped: no answer.
ip -n "$LAB_D" addr add 10.77.1.1/24 dev lrx2-d1
ip -n "$LAB_G" addr add 10.77.1.2/24 dev lrx2-g1
ip -n "$LAB_D" addr add 10.77.0.1/24 dev lrx2-d0
ip -n "$LAB_G" addr add 10.77.0.2/24 dev lrx2-g0
# A UDP datagram makes the generator's kernel resolve the address (ARP).
udp_to() {
	ip netns exec "$LAB_G" python3 -c "import socket
socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'x', ('$1', 9))"
}
udp_to 10.77.1.1
udp_to 10.77.0.1
sleep 1
ip -n "$LAB_G" neigh show 10.77.1.1 | grep -q "lladdr $d1" ||
	fail "ARP on the filter=ip port was not answered by the kernel: $(ip -n "$LAB_G" neigh show 10.77.1.1)"
if ip -n "$LAB_G" neigh show 10.77.0.1 | grep -q "lladdr $d0"; then
	fail "ARP on the filter=all port reached the kernel"
fi
echo "filter=ip: ARP answered by the kernel; filter=all: ARP went to the worker"
stop_lrd macswap
grep -q "final port=a rx_pkts=200 .*dev_xdp_redirected=200" "$tmp/macswap.log" ||
	grep -q "final port=a rx_pkts=20[0-9] .*dev_xdp_redirected=20[0-9]" "$tmp/macswap.log" ||
	fail "port a counters"
grep -q "final port=b .*dev_xdp_passed=[1-9]" "$tmp/macswap.log" ||
	fail "port b passed nothing to the kernel"

cat >"$tmp/l3.yaml" <<YAML
ports:
  - {name: a, backend: afxdp, dev: lrx2-d0, mode: l3}
  - {name: b, backend: afxdp, dev: lrx2-d1, mode: l3}
workers:
  - {core: $core, ports: [a, b]}
routes:
  - {prefix: 198.19.0.0/16, port: b, via: 10.9.0.2}
neighbours:
  - {ip: 10.9.0.2, mac: "02:00:00:00:09:02", port: b}
YAML
run_lrd l3
ip netns exec "$LAB_G" python3 "$wire" --tx lrx2-g0 --rx lrx2-g1 \
	--dst-mac "$d0" --count 200 --expect l3 \
	--l3-src-mac "$d1" --l3-dst-mac 02:00:00:00:09:02 || fail "l3"
stop_lrd l3

# 3. generator on an afxdp port (alloc_bufs, TX of our own frames): 500
# frames leave lrx2-d0 and arrive at lrx2-g0.
cat >"$tmp/gen.yaml" <<YAML
ports:
  - name: a
    backend: afxdp
    dev: lrx2-d0
    mode: io
    generator: {count: 500, frame_size: 128, flows: 4, dst_mac: "02:00:00:00:09:09"}
  - {name: b, backend: afxdp, dev: lrx2-d1, mode: io}
workers:
  - {core: $core, ports: [a, b]}
YAML
g0_rx() { ip netns exec "$LAB_G" cat /sys/class/net/lrx2-g0/statistics/rx_packets; }
before=$(g0_rx)
run_lrd gen
n=0
until [ $(($(g0_rx) - before)) -ge 500 ]; do
	sleep 0.1; n=$((n + 1))
	[ $n -lt 100 ] || fail "generator: $(($(g0_rx) - before)) of 500 frames arrived"
done
stop_lrd gen
grep -q "final gen pkts=500 " "$tmp/gen.log" || fail "generator count"
echo "generator: $(($(g0_rx) - before)) frames arrived on lrx2-g0"

# 4. linerated SIGKILLed: its programs stay; the next linerated replaces
# them (naming the stale id) and forwards.
cp "$tmp/macswap.yaml" "$tmp/crash.yaml"
run_lrd crash
old=$(lab_xdp_id "$LAB_D" lrx2-d0)
kill -KILL "$pid"; wait "$pid" 2>/dev/null || true
LAB_PIDS=
[ -n "$old" ] && [ "$(lab_xdp_id "$LAB_D" lrx2-d0)" = "$old" ] ||
	fail "program ${old:-none} not left attached by the killed linerated"
cp "$tmp/macswap.yaml" "$tmp/restart.yaml"
run_lrd restart
grep -q "replacing stale linerate XDP program 'lr_xdp_xsk' (id $old" \
	"$tmp/restart.log" || fail "stale program $old not replaced"
ip netns exec "$LAB_G" python3 "$wire" --tx lrx2-g0 --rx lrx2-g0 \
	--dst-mac "$d0" --count 100 --expect macswap || fail "macswap after restart"
stop_lrd restart
echo "PASS"
