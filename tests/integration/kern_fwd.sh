#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Description: every kernel-backend I/O model forwards the right bytes.
# kern_fwd (the port ops driven directly, macswap) runs in namespace D
# between two veth pairs; kern_pkt sends 2000 frames of varied length from
# S and 500 from R, and receivers on the far sides check that every frame
# arrived exactly once with MACs swapped and every payload byte intact.
#
#   kern_fwd.sh BUILD_DIR MODEL TAG
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=$1/tests/integration
model=$2
. "$here/kern_lab.sh"
lab_up "$3"
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; lab_down; rm -rf "$tmp"' EXIT

threads=all
[ "$model" = blocking ] && threads=port

ip netns exec "$nsR" "$bin/kern_pkt" recv "$(lab_if rb)" 2000 20000 1 >"$tmp/r1" 2>&1 &
r1=$!
ip netns exec "$nsS" "$bin/kern_pkt" recv "$(lab_if sa)" 500 20000 2 >"$tmp/r2" 2>&1 &
r2=$!
ip netns exec "$nsD" "$bin/kern_fwd" -m "$model" -T $threads -t 40 \
	"$(lab_if da)" "$(lab_if db)" >"$tmp/dut" 2>&1 &
dut=$!
wait_line "$tmp/r1" ready 10
wait_line "$tmp/r2" ready 10
wait_line "$tmp/dut" ready 10

ip netns exec "$nsS" "$bin/kern_pkt" send "$(lab_if sa)" 2000 1 &
s1=$!
in_ns R "$bin/kern_pkt" send "$(lab_if rb)" 500 2
wait $s1
rc=0
wait $r1 || rc=1
wait $r2 || rc=1
kill -TERM $dut
wait $dut || rc=1
cat "$tmp/r1" "$tmp/r2" "$tmp/dut"
# The DUT's own counters agree: both ports up, no rx errors.
grep -q "^port p0 .* up=1 .*rx_packets=" "$tmp/dut" || rc=1
grep -q "^port p1 .* up=1 .*rx_packets=" "$tmp/dut" || rc=1
if grep -E "^port .* rx_errors=[1-9]" "$tmp/dut"; then rc=1; fi
[ $rc = 0 ] && echo "PASS: $model forwards the right bytes both ways"
exit $rc
