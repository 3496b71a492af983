#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Description: an interface disappearing under traffic. kern_fwd forwards
# two port pairs (da <-> db, dc <-> dd) in namespace D with one worker
# thread; S floods dc while it sends 3000 checked frames into da (300 ms).
# Midway dc is deleted. Asserts: the port on dc is marked down and its down
# event counted; the da -> db pair keeps forwarding: at least 2000 frames
# (so many sent after the deletion) arrive intact at R, and every one of
# the 3000 is accounted for as received or as a drop the kernel reported
# on da (an overloaded 2-core VM may drop some; they are counted, never
# silent); the DUT's own counters balance for both forwarding directions
# (every frame da received was sent on db or counted: tx_errors,
# tx_unfinished, or refused back to kern_fwd as fwd_unsent; the same for dc
# -> dd, whose frames all arrived before dc went): a frame held inside the
# DUT fails this even when R happens to see 3000; kern_fwd exits cleanly
# (no crash, no sanitizer report).
#
#   kern_down.sh BUILD_DIR MODEL TAG
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=$1/tests/integration
model=$2
. "$here/kern_lab.sh"
lab_up "$3" 1
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; lab_down; rm -rf "$tmp"' EXIT

threads=all
[ "$model" = blocking ] && threads=port

ip netns exec "$nsR" "$bin/kern_pkt" recv "$(lab_if rb)" 3000 8000 1 2000 >"$tmp/r1" 2>&1 &
r1=$!
ip netns exec "$nsD" "$bin/kern_fwd" -m "$model" -T $threads -t 60 \
	"$(lab_if da)" "$(lab_if db)" "$(lab_if dc)" "$(lab_if dd)" \
	>"$tmp/dut" 2>&1 &
dut=$!
wait_line "$tmp/r1" ready 10
wait_line "$tmp/dut" ready 10

# Flood into dc (its sender dies with the link: errors expected).
ip netns exec "$nsS" "$bin/kern_pkt" send "$(lab_if sc)" 100000 3 50 \
	>"$tmp/flood" 2>&1 &
# Wait until dc is really under traffic (the flood has started).
dc_rx() { ip netns exec "$nsD" cat "/sys/class/net/$(lab_if dc)/statistics/rx_packets"; }
n=0
until [ "$(dc_rx)" -ge 200 ]; do
	sleep 0.02; n=$((n + 1))
	[ $n -lt 500 ] || { echo "FAIL: the flood never reached dc"; exit 1; }
done
ip netns exec "$nsS" "$bin/kern_pkt" send "$(lab_if sa)" 3000 1 10 &
s1=$!
sleep 0.1
ip -n "$nsD" link del "$(lab_if dc)"
echo "deleted $(lab_if dc) under traffic"
wait $s1
rc=0
wait $r1 || rc=1
kill -TERM $dut
wait $dut || { echo "FAIL: kern_fwd did not exit cleanly"; rc=1; }
cat "$tmp/r1" "$tmp/dut"
grep -q "^port p2 .* up=0 .*port_down_events=[1-9]" "$tmp/dut" ||
	{ echo "FAIL: port on dc not marked down and counted"; rc=1; }
got=$(sed -n 's/^received \([0-9]*\) distinct.*/\1/p' "$tmp/r1")
drops=$(sed -n 's/^port p0 .* kernel_drops=\([0-9]*\).*/\1/p' "$tmp/dut")
echo "da -> db: $got received + ${drops:-?} dropped by the kernel on da, of 3000"
[ "$got" -ge 2000 ] && [ $((got + ${drops:-0})) -ge 3000 ] ||
	{ echo "FAIL: frames lost without being counted"; rc=1; }
grep -q "^port p0 .* up=1 .*port_down_events=0" "$tmp/dut" ||
	{ echo "FAIL: port on da went down"; rc=1; }
grep -q "^port p1 .* up=1 .*port_down_events=0" "$tmp/dut" ||
	{ echo "FAIL: port on db went down"; rc=1; }
grep -q "^port p2 .* rx_packets=[1-9]" "$tmp/dut" ||
	{ echo "FAIL: dc saw no traffic before it went away"; rc=1; }
# stat PORT NAME: one xstat of the DUT's summary line for PORT
stat() { sed -n "s/^port $1 .* $2=\([0-9]*\).*/\1/p" "$tmp/dut"; }
# balance RX TX: frames received on port RX = handled by its peer TX
balance() {
	local in out
	in=$(stat "$1" rx_packets)
	out=$(( $(stat "$2" tx_packets) + $(stat "$2" tx_errors) +
		$(stat "$2" tx_unfinished) + $(stat "$1" fwd_unsent) ))
	echo "$1 -> $2: $in received, $out sent or counted"
	[ "$in" = "$out" ] ||
		{ echo "FAIL: $1 -> $2: $((in - out)) frames held or lost in the DUT"; rc=1; }
}
# blocking sends through separate TX handles (-T port), whose counters
# kern_fwd does not print: R's count above is its check.
if [ "$model" != blocking ]; then
	balance p0 p1
	balance p2 p3
fi
[ $rc = 0 ] && echo "PASS: $model: dc marked down, da -> db kept forwarding"
exit $rc
