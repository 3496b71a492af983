#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Description: the UMEM pool of queue q is shared by socket q of every
# afxdp port and has no lock, so one thread must do all of queue q. Here
# afxdp_fwd --threads 2 breaks that rule on purpose (thread i polls port i
# and sends to the other port). The backend must not let the second
# thread in: the first thread to use the pool owns it; the other one's
# rx/tx/free on it are refused, counted (pool_wrong_thread) and reported
# once per socket naming port and queue. So: the owner's direction still
# forwards the right bytes, the refused direction delivers nothing, no
# frame is lost or duplicated at close (lost 0), and ASan sees no race
# damage. Without the check the two threads corrupt the free list.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/afxdp_lab.sh"

fwd=${AFXDP_FWD:?AFXDP_FWD: path to afxdp_fwd}
wire=${AFXDP_WIRE:-$here/afxdp_wire.py}
tmp=$(mktemp -d)
LAB_PIDS=
cleanup() { lab_down; rm -rf "$tmp"; }

fail() { echo "FAIL: $*"; cat "$tmp"/out "$tmp"/err 2>/dev/null; exit 1; }

lab_up 1
trap cleanup EXIT

ip netns exec "$LAB_D" "$fwd" --threads 2 --xstats --seconds 60 \
	--ready "$tmp/ready" lrx2-d0 lrx2-d1 >"$tmp/out" 2>"$tmp/err" &
pid=$!
LAB_PIDS=$pid
lab_wait_file "$tmp/ready" 30 "$pid" || fail "afxdp_fwd did not start"
# Both threads poll from the start: the loser is refused at once.
for _ in $(seq 50); do
	grep -q "refused: the UMEM pool of queue 0" "$tmp/err" && break
	sleep 0.1
done
msg=$(grep "rx refused: the UMEM pool of queue 0" "$tmp/err") ||
	fail "no refusal reported for the second thread on pool 0"
echo "reported: $msg"
echo "$msg" | grep -qE "port p[01] queue 0: rx refused: the UMEM pool of queue 0 is already used by another thread; queue 0 of every afxdp port must be polled by the same worker" ||
	fail "message does not name port, queue and rule: $msg"
loser=$(echo "$msg" | sed -n 's/.*port p\([01]\) queue 0.*/\1/p')
owner=$((1 - loser))
[ -z "$(sed -n 's/.*\(port p[01] queue 0\): .*refused: the UMEM.*/\1/p' "$tmp/err" | sort | uniq -d)" ] ||
	fail "refusal reported more than once for one socket"

mac() { lab_mac "$LAB_D" "lrx2-d$1"; }
# The owner's port receives and sends to the loser's port (its TX socket is
# on the owner's pool: allowed).
ip netns exec "$LAB_G" python3 "$wire" --tx "lrx2-g$owner" \
	--rx "lrx2-g$loser" --dst-mac "$(mac $owner)" --count 100 \
	--expect macswap || fail "owner's direction does not forward"
# The loser's port receives nothing (refused): nothing arrives.
ip netns exec "$LAB_G" python3 "$wire" --tx "lrx2-g$loser" \
	--rx "lrx2-g$owner" --dst-mac "$(mac $loser)" --count 50 \
	--expect none --timeout 1 || fail "refused direction forwarded"

kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
LAB_PIDS=
cat "$tmp/out" "$tmp/err"
[ "$rc" = 0 ] || fail "afxdp_fwd exit $rc"
grep -q "lost 0$" "$tmp/out" || fail "frames lost or duplicated"
grep -q "pool q0: frames balanced" "$tmp/err" || fail "pool 0 not balanced at close"
wrong=$(awk '$1 == "xstat" && $2 == "p0" && $3 == "pool_wrong_thread" {print $4}' "$tmp/out")
[ "${wrong:-0}" -gt 0 ] || fail "pool_wrong_thread not counted"
echo "PASS: pool_wrong_thread $wrong"
