#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Description: linerated over kernel-stack ports forwards the right bytes.
# linerated runs in namespace D with two kernel ports (a: epoll-et on da,
# b: uring-multishot on db, or mmsg without liburing), macswap mode, one
# worker polling both. 1000 frames sent from S come back to S and 500 sent
# from R come back to R, every one exactly once with MACs swapped and every
# byte intact (kern_pkt). SIGTERM -> exit 0, and the summary's per-port
# counters agree.
#
#   kern_linerated.sh LINERATED BUILD_DIR MODEL_B TAG
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
lrd=$1
bin=$2/tests/integration
model_b=$3
. "$here/kern_lab.sh"
lab_up "$4"
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; lab_down; rm -rf "$tmp"' EXIT
core=$(($(nproc) - 1))
fail() { echo "FAIL: $*"; cat "$tmp"/*.log 2>/dev/null || true; exit 1; }

cat >"$tmp/k.yaml" <<YAML
ports:
  - {name: a, backend: kernel, dev: $(lab_if da), io_model: epoll-et, mode: macswap}
  - {name: b, backend: kernel, dev: $(lab_if db), io_model: $model_b, mode: macswap}
workers:
  - {core: $core, ports: [a, b]}
YAML
ip netns exec "$nsS" "$bin/kern_pkt" recv "$(lab_if sa)" 1000 20000 1 >"$tmp/r1.out" 2>&1 &
r1=$!
ip netns exec "$nsR" "$bin/kern_pkt" recv "$(lab_if rb)" 500 20000 2 >"$tmp/r2.out" 2>&1 &
r2=$!
ip netns exec "$nsD" "$lrd" -c "$tmp/k.yaml" --no-huge \
	--file-prefix "lr-kern-$$" --summary >"$tmp/lrd.log" 2>&1 &
pid=$!
n=0
until grep -q "worker 0: core" "$tmp/lrd.log"; do
	sleep 0.1; n=$((n + 1))
	if [ $n -gt 300 ] || ! kill -0 "$pid" 2>/dev/null; then
		fail "linerated did not start"
	fi
done
wait_line "$tmp/r1.out" ready 10
wait_line "$tmp/r2.out" ready 10
sleep 0.3
ip netns exec "$nsS" "$bin/kern_pkt" send "$(lab_if sa)" 1000 1 &
ip netns exec "$nsR" "$bin/kern_pkt" send "$(lab_if rb)" 500 2
rc=0
wait $r1 || rc=1
wait $r2 || rc=1
kill -TERM $pid
wait $pid || fail "linerated did not exit 0 on SIGTERM"
cat "$tmp/r1.out" "$tmp/r2.out"
grep -E "^final port=" "$tmp/lrd.log" || true
grep -q "^final port=a rx_pkts=1000 " "$tmp/lrd.log" || { echo "FAIL: port a counters"; rc=1; }
grep -q "^final port=b rx_pkts=500 " "$tmp/lrd.log" || { echo "FAIL: port b counters"; rc=1; }
[ $rc = 0 ] || fail "bytes or counters wrong"
echo "PASS: linerated over kernel ports (epoll-et, $model_b)"
