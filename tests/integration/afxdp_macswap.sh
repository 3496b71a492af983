#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Description: macswap over AF_XDP forwards the right bytes, both ways,
# and every UMEM frame is accounted for at close.
# AFXDP_QUEUES=N (default 1): N queues per veth and per port, one socket
# each; with N > 1 every queue of the first port must have received some
# of the frames (the sender's flows spread over veth's queues).
#
# netns lab (afxdp_lab.sh); afxdp_fwd on lrx2-d0 <-> lrx2-d1 in the DUT
# namespace; afxdp_wire.py in the generator namespace sends marked IPv4/UDP
# frames of several sizes on lrx2-g0 and checks that each arrives once on
# lrx2-g1 with its MACs swapped and nothing else changed (then the other
# way). After SIGTERM: exit 0, "lost 0", the frame counts printed at stop
# add up (free + fill + rx + tx + application == total), and the XDP
# program is gone from both interfaces. The same in SKB mode (--skb).
# Then a run that keeps 5 frames
# must exit 3 and report exactly those 5.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/afxdp_lab.sh"

fwd=${AFXDP_FWD:?AFXDP_FWD: path to afxdp_fwd}
wire=${AFXDP_WIRE:-$here/afxdp_wire.py}
tmp=$(mktemp -d)
LAB_PIDS=
cleanup() { lab_down; rm -rf "$tmp"; }

nq=${AFXDP_QUEUES:-1}
lab_up "$nq"
trap cleanup EXIT

ip netns exec "$LAB_D" "$fwd" --xstats --seconds 60 --ready "$tmp/ready" \
	--queues "$nq" \
	lrx2-d0 lrx2-d1 >"$tmp/out" 2>"$tmp/err" &
pid=$!
LAB_PIDS=$pid
if ! lab_wait_file "$tmp/ready" 30 "$pid"; then
	echo "FAIL: afxdp_fwd did not start"; cat "$tmp/out" "$tmp/err"; exit 1
fi
cat "$tmp/out"
id0=$(lab_xdp_id "$LAB_D" lrx2-d0)
[ -n "$id0" ] || { echo "FAIL: no XDP program on lrx2-d0"; exit 1; }
ip -n "$LAB_D" -d link show dev lrx2-d0 | grep -q "name lr_xdp_xsk" ||
	{ echo "FAIL: lrx2-d0 runs another program than lr_xdp_xsk"; exit 1; }

d0=$(lab_mac "$LAB_D" lrx2-d0)
d1=$(lab_mac "$LAB_D" lrx2-d1)
ip netns exec "$LAB_G" python3 "$wire" --tx lrx2-g0 --rx lrx2-g1 \
	--dst-mac "$d0" --count 300 --expect macswap
ip netns exec "$LAB_G" python3 "$wire" --tx lrx2-g1 --rx lrx2-g0 \
	--dst-mac "$d1" --count 300 --expect macswap

kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
LAB_PIDS=
cat "$tmp/out" "$tmp/err"
[ "$rc" = 0 ] || { echo "FAIL: afxdp_fwd exit $rc"; exit 1; }
grep -q "lost 0$" "$tmp/out" || { echo "FAIL: frames lost"; exit 1; }
grep -q "frames balanced" "$tmp/err" || { echo "FAIL: no balance line"; exit 1; }

# The xstats printed before close: pool-wide total/free/app, per-port
# rings. Shared UMEM: both ports' queue 0 use one pool.
awk '
/^xstat/ { v[$2 " " $3] = $4 }
END {
	total = v["p0 frames_total"]; free = v["p0 frames_free"]
	app = v["p0 frames_in_app"]
	inr = 0
	for (p = 0; p < 2; p++)
		for (k in v) if (k ~ "^p" p " frames_in_(fill|rx|tx)$") inr += v[k]
	printf "frames: total %d = free %d + rings %d + app %d\n", total, free, inr, app
	if (total == 0 || total != free + inr + app) exit 1
	if (v["p0 xdp_redirected"] < 300 || v["p1 xdp_redirected"] < 300) {
		print "too few redirected"; exit 1
	}
	if (v["p0 xdp_redirect_err"] + v["p1 xdp_redirect_err"] > 0) exit 1
	# afxdp_wire.py cycles through 60, 64, 128, 333, 512, 1024, 1514
	# bytes: 300 frames are 42 cycles (3635 B each) + the first six.
	if (v["p0 xdp_redirected_bytes"] != 42 * 3635 + 2121) {
		print "p0 xdp_redirected_bytes " v["p0 xdp_redirected_bytes"] ", want 154791"; exit 1
	}
}' "$tmp/out" || { echo "FAIL: frame accounting or XDP counters"; exit 1; }

for ((q = 0; q < nq; q++)); do
	n=$(awk -v k="q${q}_rx_pkts" '$1 == "xstat" && $2 == "p0" && $3 == k {print $4}' "$tmp/out")
	echo "port p0 queue $q: ${n:-0} frames"
	[ "${n:-0}" -gt 0 ] || { echo "FAIL: queue $q of p0 received nothing"; exit 1; }
done

for i in 0 1; do
	[ -z "$(lab_xdp_id "$LAB_D" lrx2-d$i)" ] ||
		{ echo "FAIL: XDP program left on lrx2-d$i after close"; exit 1; }
done
# SKB (generic) mode, as where a driver has no native XDP: mode_desc says
# so, the bytes are the same, and close detaches the SKB-mode program.
rm -f "$tmp/ready"
ip netns exec "$LAB_D" "$fwd" --skb --seconds 60 --ready "$tmp/ready" \
	lrx2-d0 lrx2-d1 >"$tmp/out.skb" 2>"$tmp/err.skb" &
pid=$!
LAB_PIDS=$pid
lab_wait_file "$tmp/ready" 30 "$pid" || { echo "FAIL: --skb did not start"; cat "$tmp/err.skb"; exit 1; }
grep -q "port p0 on lrx2-d0: skb, copy" "$tmp/out.skb" || { echo "FAIL: mode not 'skb, copy'"; cat "$tmp/out.skb"; exit 1; }
ip -n "$LAB_D" -d link show dev lrx2-d0 | grep -q "xdpgeneric" || { echo "FAIL: no generic XDP on lrx2-d0"; exit 1; }
ip netns exec "$LAB_G" python3 "$wire" --tx lrx2-g0 --rx lrx2-g1 \
	--dst-mac "$d0" --count 100 --expect macswap
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
LAB_PIDS=
[ "$rc" = 0 ] || { echo "FAIL: --skb run exit $rc"; cat "$tmp/err.skb"; exit 1; }
[ -z "$(lab_xdp_id "$LAB_D" lrx2-d0)" ] || { echo "FAIL: SKB-mode program left"; exit 1; }

# The accounting can fail: 5 frames taken and never returned are reported.
rc=0
ip netns exec "$LAB_D" "$fwd" --seconds 0.2 --leak 5 lrx2-d0 lrx2-d1 \
	>"$tmp/out.leak" 2>"$tmp/err.leak" || rc=$?
[ "$rc" = 3 ] || { echo "FAIL: leak run exit $rc, want 3"; exit 1; }
grep -q "lost 5$" "$tmp/out.leak" || { echo "FAIL: leak not counted"; cat "$tmp/out.leak"; exit 1; }
grep "frame accounting broken" "$tmp/err.leak" | grep -q "5 missing, 0 duplicated, 0 out of range, 5 still held" ||
	{ echo "FAIL: leak not reported"; cat "$tmp/err.leak"; exit 1; }
# A handle beyond the UMEM given to free_bufs (a caller bug) is refused and
# counted, not put on the free list (where close would overrun the list and
# the kernel or a copy would use it).
rc=0
ip netns exec "$LAB_D" "$fwd" --seconds 0.2 --bad-free --xstats lrx2-d0 lrx2-d1 \
	>"$tmp/out.bad" 2>"$tmp/err.bad" || rc=$?
[ "$rc" = 0 ] || { echo "FAIL: bad-free run exit $rc, want 0"; cat "$tmp/out.bad" "$tmp/err.bad"; exit 1; }
grep -q "^xstat p0 bad_free 1$" "$tmp/out.bad" || { echo "FAIL: bad free not counted"; cat "$tmp/out.bad"; exit 1; }
grep -q "lost 0$" "$tmp/out.bad" || { echo "FAIL: bad free lost frames"; exit 1; }
grep -q "0 missing, 0 duplicated, 0 out of range, 0 still held by the application, 1 refused frees" "$tmp/err.bad" ||
	{ echo "FAIL: refused free not reported at close"; cat "$tmp/err.bad"; exit 1; }
# The second port shares the first one's UMEM and so its ring sizes: when
# it asks for more, open says so (the first port opened sets them).
rc=0
ip netns exec "$LAB_D" "$fwd" --seconds 0.2 --rx-ring 512 --rx-ring-b 4096 \
	lrx2-d0 lrx2-d1 >"$tmp/out.ring" 2>"$tmp/err.ring" || rc=$?
[ "$rc" = 0 ] || { echo "FAIL: ring-size run exit $rc"; cat "$tmp/err.ring"; exit 1; }
grep -q "port p1: queue 0: the shared UMEM's fill/completion rings hold 512/2048, this port would want 4096/2048" "$tmp/err.ring" ||
	{ echo "FAIL: smaller shared fill ring not reported"; cat "$tmp/err.ring"; exit 1; }
grep -q "lost 0$" "$tmp/out.ring" || { echo "FAIL: frames lost (ring sizes)"; exit 1; }

# A frame whose data pointer left its handle's frame is not taken by TX
# (completion would give back the wrong frame: one lost, one twice).
rc=0
ip netns exec "$LAB_D" "$fwd" --seconds 0.2 --bad-tx --xstats lrx2-d0 lrx2-d1 \
	>"$tmp/out.badtx" 2>"$tmp/err.badtx" || rc=$?
[ "$rc" = 0 ] || { echo "FAIL: bad-tx run exit $rc, want 0"; cat "$tmp/out.badtx" "$tmp/err.badtx"; exit 1; }
grep -q "bad tx taken 0$" "$tmp/out.badtx" || { echo "FAIL: TX took a frame outside its handle"; cat "$tmp/out.badtx"; exit 1; }
grep -q "^xstat p0 tx_not_pool 1$" "$tmp/out.badtx" || { echo "FAIL: tx_not_pool not counted"; exit 1; }
grep -q "lost 0$" "$tmp/out.badtx" || { echo "FAIL: frames lost after bad tx"; exit 1; }
echo "PASS"
