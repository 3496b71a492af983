#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Description: AF_XDP ports across link down/up.
# 1. afxdp_fwd forwards lrx2-d0 -> lrx2-d1; lrx2-d1 goes down and frames
#    keep arriving (the TX kicks fail with ENETDOWN: counted as
#    tx_kick_err, retried with back-off, frames wait in the TX ring); after
#    it comes back up every new frame arrives with the right bytes; the
#    same after lrx2-d0 (the receiving side) bounces. Close: exit 0, no
#    frame lost.
# 2. lrx2-d1 down with frames waiting in its TX ring when afxdp_fwd is
#    told to stop: close takes them back (exit 0, "lost 0", balanced).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/afxdp_lab.sh"

fwd=${AFXDP_FWD:?AFXDP_FWD: path to afxdp_fwd}
wire=${AFXDP_WIRE:-$here/afxdp_wire.py}
tmp=$(mktemp -d)
LAB_PIDS=
cleanup() { lab_down; rm -rf "$tmp"; }

lab_up 1
trap cleanup EXIT
d0=$(lab_mac "$LAB_D" lrx2-d0)
fail() { echo "FAIL: $*"; cat "$tmp"/out* "$tmp"/err* 2>/dev/null; exit 1; }

start_fwd() {
	rm -f "$tmp/ready"
	ip netns exec "$LAB_D" "$fwd" --xstats --seconds 60 --ready "$tmp/ready" \
		lrx2-d0 lrx2-d1 >"$tmp/out.$1" 2>"$tmp/err.$1" &
	pid=$!
	LAB_PIDS=$pid
	lab_wait_file "$tmp/ready" 30 "$pid" || fail "afxdp_fwd ($1) did not start"
}

stop_fwd() {
	local rc=0
	kill -TERM "$pid"
	wait "$pid" || rc=$?
	LAB_PIDS=
	[ "$rc" = 0 ] || fail "afxdp_fwd ($1) exit $rc"
	grep -q "lost 0$" "$tmp/out.$1" || fail "frames lost ($1)"
	grep -q "frames balanced" "$tmp/err.$1" || fail "accounting ($1)"
}

send() { # COUNT EXPECT
	ip netns exec "$LAB_G" python3 "$wire" --tx lrx2-g0 --rx lrx2-g1 \
		--dst-mac "$d0" --count "$1" --expect "$2" --timeout 3
}

start_fwd bounce
ip -n "$LAB_D" link set lrx2-d1 down
send 50 none || fail "frames got through a down link"
ip -n "$LAB_D" link set lrx2-d1 up
sleep 0.3
send 100 macswap || fail "after lrx2-d1 came back"
ip -n "$LAB_D" link set lrx2-d0 down
sleep 0.2
ip -n "$LAB_D" link set lrx2-d0 up
sleep 0.3
send 100 macswap || fail "after lrx2-d0 came back"
stop_fwd bounce
err=$(awk '$1 == "xstat" && $2 == "p1" && $3 == "tx_kick_err" {print $4}' "$tmp/out.bounce")
[ "${err:-0}" -gt 0 ] || fail "the down link's failed kicks were not counted"
echo "link down: $err failed TX kicks counted (with back-off)"

start_fwd stuck
ip -n "$LAB_D" link set lrx2-d1 down
send 50 none || fail "frames got through a down link"
stop_fwd stuck
echo "PASS"
