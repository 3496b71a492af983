#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Description: linerated with two workers on two-queue afxdp ports: one
# socket per (port, queue, worker), worker w polls queue w of both ports
# (so each UMEM pool has one thread). macswap frames sent on lrx2-g0 come
# back with the right bytes, both queues of port a carry some of them
# (veth spreads the sender's flows), and at SIGTERM both pools balance.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/afxdp_lab.sh"

lrd=${LINERATED:?LINERATED: path to linerated}
wire=${AFXDP_WIRE:-$here/afxdp_wire.py}
tmp=$(mktemp -d)
LAB_PIDS=
cleanup() { lab_down; rm -rf "$tmp" /var/run/dpdk/lr-x2-$$-*; }

[ "$(nproc)" -ge 2 ] || lab_skip "needs 2 CPUs for two workers"
lab_up 2
trap cleanup EXIT
d0=$(lab_mac "$LAB_D" lrx2-d0)
fail() { echo "FAIL: $*"; cat "$tmp"/*.log 2>/dev/null; exit 1; }

cat >"$tmp/mq.yaml" <<YAML
ports:
  - {name: a, backend: afxdp, dev: lrx2-d0, mode: macswap}
  - {name: b, backend: afxdp, dev: lrx2-d1, mode: macswap}
workers:
  - {core: 0, ports: [a, b]}
  - {core: 1, ports: [a, b]}
YAML
ip netns exec "$LAB_D" "$lrd" -c "$tmp/mq.yaml" --no-huge \
	--file-prefix "lr-x2-$$-mq" --summary >"$tmp/mq.log" 2>&1 &
pid=$!
LAB_PIDS=$pid
n=0
until grep -q "worker 1: core" "$tmp/mq.log"; do
	sleep 0.1; n=$((n + 1))
	if [ $n -gt 300 ] || ! kill -0 "$pid" 2>/dev/null; then
		fail "linerated did not start"
	fi
done
sleep 0.3
grep -q "port 0 a: afxdp lrx2-d0 .* 2 queue(s)" "$tmp/mq.log" || fail "port a has not 2 queues"
ip netns exec "$LAB_G" python3 "$wire" --tx lrx2-g0 --rx lrx2-g0 \
	--dst-mac "$d0" --count 400 --expect macswap || fail "macswap"
rc=0
kill -TERM "$pid"
wait "$pid" || rc=$?
LAB_PIDS=
[ "$rc" = 0 ] || fail "linerated exit $rc"
[ "$(grep -c "frames balanced" "$tmp/mq.log")" = 2 ] || fail "two pools must balance"
for q in 0 1; do
	v=$(sed -n "s/^final port=a .*dev_q${q}_rx_pkts=\([0-9]*\).*/\1/p" "$tmp/mq.log")
	echo "port a queue $q: ${v:-0} frames"
	[ "${v:-0}" -gt 0 ] || fail "queue $q of port a received nothing"
done
echo "PASS"
