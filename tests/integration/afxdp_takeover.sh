#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Description: the XDP program's life cycle across runs, and bad configs.
# 0. unknown dev options, a missing interface, too many queues, a queue
#    the interface does not have, zero-copy required on veth (copy only):
#    exit 1, the message names port and problem, no program stays
#    attached.
# 1. While afxdp_fwd runs, a second one on the same interfaces is refused
#    (our program, but its loader is alive: not stale), naming the
#    holder's pid. Then afxdp_fwd is SIGKILLed: its program stays attached
#    (netlink XDP outlives the process). The next start recognises it as ours, replaces
#    it (logs its id), and traffic flows again with the right bytes.
# 2. Another tool's program (other_pass, attached with `ip link set xdpdrv`)
#    on the second interface: without --force the start fails naming the
#    program and its id, leaves it attached, and leaves nothing of ours on
#    the first interface. With --force it is replaced and traffic flows;
#    after close neither interface has a program.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/afxdp_lab.sh"

fwd=${AFXDP_FWD:?AFXDP_FWD: path to afxdp_fwd}
wire=${AFXDP_WIRE:-$here/afxdp_wire.py}
other=${AFXDP_OTHER_PROG:?AFXDP_OTHER_PROG: path to other_pass.bpf.o}
tmp=$(mktemp -d)
LAB_PIDS=
cleanup() { lab_down; rm -rf "$tmp"; }

lab_up 1
trap cleanup EXIT
d0=$(lab_mac "$LAB_D" lrx2-d0)

fail() { echo "FAIL: $*"; cat "$tmp"/out* "$tmp"/err* 2>/dev/null; exit 1; }

# start_fwd TAG [ARGS...]: start afxdp_fwd in the DUT, wait until ready
start_fwd() {
	local tag=$1; shift
	rm -f "$tmp/ready"
	ip netns exec "$LAB_D" "$fwd" --seconds 60 --ready "$tmp/ready" "$@" \
		lrx2-d0 lrx2-d1 >"$tmp/out.$tag" 2>"$tmp/err.$tag" &
	pid=$!
	LAB_PIDS=$pid
	lab_wait_file "$tmp/ready" 30 "$pid" || fail "afxdp_fwd ($tag) did not start"
}

stop_fwd() {
	local rc=0
	kill -TERM "$pid"
	wait "$pid" || rc=$?
	LAB_PIDS=
	[ "$rc" = 0 ] || fail "afxdp_fwd exit $rc"
	grep -q "lost 0$" "$tmp/out.$1" || fail "frames lost ($1)"
}

traffic() {
	ip netns exec "$LAB_G" python3 "$wire" --tx lrx2-g0 --rx lrx2-g1 \
		--dst-mac "$d0" --count 100 --expect macswap || fail "traffic ($1)"
}

# 0. bad port configs fail with a message naming the port and the problem,
# and attach nothing.
bad() { # WANT ARGS...
	local want=$1 rc=0; shift
	ip netns exec "$LAB_D" "$fwd" --seconds 1 "$@" >"$tmp/out.bad" 2>"$tmp/err.bad" || rc=$?
	[ "$rc" = 1 ] || fail "bad config ($*): exit $rc, want 1"
	grep -qF "$want" "$tmp/err.bad" || fail "bad config ($*): no '$want' in: $(cat "$tmp/err.bad")"
	[ -z "$(lab_xdp_id "$LAB_D" lrx2-d0)" ] || fail "bad config ($*) left a program"
}
bad "port p0: dev 'lrx2-d0,filter=bogus': unknown option 'filter=bogus'" --filter bogus lrx2-d0 lrx2-d1
bad "port p0: dev 'lrx2-d0,busy_poll=x': busy_poll wants a budget" --busy-poll x lrx2-d0 lrx2-d1
bad "port p1: interface lrx2-nope not found" lrx2-d0 lrx2-nope
bad "port p0: 32 queues, at most 16" --queues 32 lrx2-d0 lrx2-d1
bad "port p0: 2 queues, but lrx2-d0 has 1 RX queue(s)" --queues 2 lrx2-d0 lrx2-d1
bad "port p0: cannot create the AF_XDP socket on lrx2-d0 queue 0 (zero-copy required)" --zerocopy lrx2-d0 lrx2-d1
# A failed open leaves the interface as it was: the MTU it asked for is
# put back (or never set when it cannot fit a frame).
mtu() { ip netns exec "$LAB_D" cat "/sys/class/net/$1/mtu"; }
bad "port p0: MTU 3000 does not fit a 2048-byte UMEM frame" --mtu 3000 lrx2-d0 lrx2-d1
[ "$(mtu lrx2-d0)" = 1500 ] || fail "MTU of lrx2-d0 changed by a failed open: $(mtu lrx2-d0)"
bad "(zero-copy required)" --mtu 1400 --zerocopy lrx2-d0 lrx2-d1
[ "$(mtu lrx2-d0)" = 1500 ] || fail "failed open left MTU $(mtu lrx2-d0) on lrx2-d0, want 1500"

# 1. crash, then restart replaces the stale program.
start_fwd crash
old=$(lab_xdp_id "$LAB_D" lrx2-d0)
[ -n "$old" ] || fail "no program attached"
traffic crash
# 1a. A second start while the first still runs: the program is ours by
# name but its loader is alive, so it is not stale. The start fails naming
# the holder, the first keeps its program and keeps forwarding.
rc=0
ip netns exec "$LAB_D" "$fwd" --seconds 5 lrx2-d0 lrx2-d1 \
	>"$tmp/out.second" 2>"$tmp/err.second" || rc=$?
[ "$rc" = 1 ] || fail "second start over a running afxdp_fwd: exit $rc, want 1"
grep -qF "linerate's XDP program 'lr_xdp_xsk' (id $old, native mode) in use by running process $pid (afxdp_fwd); not replacing it without force" \
	"$tmp/err.second" || fail "second start: no holder named in: $(cat "$tmp/err.second")"
[ "$(lab_xdp_id "$LAB_D" lrx2-d0)" = "$old" ] ||
	fail "second start replaced the running program $old"
traffic second
echo "second start refused: $(cat "$tmp/err.second")"
kill -KILL "$pid"; wait "$pid" 2>/dev/null || true
LAB_PIDS=
[ "$(lab_xdp_id "$LAB_D" lrx2-d0)" = "$old" ] ||
	fail "program $old should still be attached after SIGKILL"
echo "after SIGKILL: program id $old still attached to lrx2-d0"

start_fwd restart
new=$(lab_xdp_id "$LAB_D" lrx2-d0)
grep -q "replacing stale linerate XDP program 'lr_xdp_xsk' (id $old" \
	"$tmp/err.restart" || fail "stale program $old not recognised"
[ -n "$new" ] && [ "$new" != "$old" ] || fail "program not replaced ($old -> $new)"
echo "restart replaced program $old with $new"
traffic restart
stop_fwd restart

# 2. another tool's program on lrx2-d1.
ip -n "$LAB_D" link set dev lrx2-d1 xdpdrv obj "$other" sec xdp ||
	fail "cannot attach the other tool's program"
foreign=$(lab_xdp_id "$LAB_D" lrx2-d1)
[ -n "$foreign" ] || fail "other_pass not attached"
rc=0
ip netns exec "$LAB_D" "$fwd" --seconds 5 lrx2-d0 lrx2-d1 \
	>"$tmp/out.noforce" 2>"$tmp/err.noforce" || rc=$?
[ "$rc" = 1 ] || fail "start over another tool's program: exit $rc, want 1"
grep -q "'other_pass' (id $foreign" "$tmp/err.noforce" ||
	fail "the error does not name other_pass (id $foreign)"
grep "already has XDP program" "$tmp/err.noforce"
[ "$(lab_xdp_id "$LAB_D" lrx2-d1)" = "$foreign" ] ||
	fail "other_pass was removed without --force"
[ -z "$(lab_xdp_id "$LAB_D" lrx2-d0)" ] ||
	fail "failed start left our program on lrx2-d0"

start_fwd force --force
grep -q "replacing foreign (force) XDP program 'other_pass' (id $foreign" \
	"$tmp/err.force" || fail "--force did not say what it replaced"
traffic force
stop_fwd force
for i in 0 1; do
	[ -z "$(lab_xdp_id "$LAB_D" lrx2-d$i)" ] ||
		fail "program left on lrx2-d$i after close"
done
echo "PASS"
