#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Description: the io fast path on a port with more RX queues than pollers
# (port_dpdk.c dpdk_io_direct_spread: net_af_packet spreads what it
# receives over its qpairs, and the one poller reads them all), counted
# exactly.
#
# In a network namespace, two veth pairs:
#   g (generator, ga) -> fa: port f, net_af_packet qpairs=2, io, peer o
#   o (fb)            -> sa: port s, the sink
# One worker polls g, f, o and s. The generator sends COUNT UDP packets in
# 64 flows, as fast as it can, so f receives full bursts, spread by flow
# hash over its two sockets (all 64 flows on one socket: odds 2^-63). f's
# and s's rings (framecnt) hold more than COUNT frames: a socket whose
# ring fills rolls its flows over to the other (PACKET_FANOUT_FLAG_ROLLOVER)
# and reading the two in turn would then reorder them. The run must end
# with:
#   - the worker's fast_bursts above 0: io_direct sent whole bursts from
#     the spread port (without the fast path, or with it never sending,
#     it is 0);
#   - f's RX and o's TX packets and bytes equal to the ethdevs' own
#     counters, and f's RX equal to o's TX plus the tx_full drops that
#     are not the generator's and the port_down drops;
#   - the sink's count equal to s's RX, nothing reordered or duplicated,
#     and what it saw of ours plus what it counts lost by sequence at
#     most COUNT and at least 99% of it.
#
#   dp_io_spread.sh LINERATED
set -uo pipefail

lr=$1
count=4000
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (netns, veth)"; exit 77; }
[ -x "$lr" ] || { echo "SKIP: $lr not built"; exit 77; }
ns="lrdp-ios-$$"
tmp=$(mktemp -d /tmp/lr-dp-io-spread.XXXXXX)
cleanup() { ip netns del "$ns" 2> /dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

ip netns add "$ns" || { echo "SKIP: cannot create a network namespace"; exit 77; }
ip -n "$ns" link add ga type veth peer name fa || exit 1
ip -n "$ns" link add fb type veth peer name sa || exit 1
for i in ga fa fb sa; do
	ip -n "$ns" link set "$i" up
	# No IPv6 autoconfiguration chatter on the lab's links.
	ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$i.disable_ipv6=1"
done

last=$(( $(nproc) - 1 ))
cat > "$tmp/c.yaml" <<CONF
ports:
  - name: g
    dev: "net_af_packet0,iface=ga"
    rx: drop
    generator: {ip_version: 4, flows: 64, rate_pps: max, count: $count}
  - {name: f, dev: "net_af_packet1,iface=fa,qpairs=2,framecnt=8192", mode: io, peer: o}
  - {name: o, dev: "net_af_packet2,iface=fb", rx: drop}
  - {name: s, dev: "net_af_packet3,iface=sa,framecnt=8192", rx: sink}
workers:
  - {core: $last, ports: [g, f, o, s]}
CONF
# Without -q (but no live rates: -s 0): the port's queue log line (info)
# is checked.
ip netns exec "$ns" "$lr" -s 0 --no-control --no-huge -c "$tmp/c.yaml" \
	-d 2 --summary --file-prefix "lr-dp-ios-$$" > "$tmp/out" 2>&1
st=$?
cat "$tmp/out"
[ $st = 0 ] || { echo "FAIL: linerated exited $st"; exit 1; }

get() { awk -v s="$1" -v k="$2" '$1 == "final" && ($2 == s || $2 == "port=" s || $2 == "worker=" s) {
	for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) print kv[2] } }' "$tmp/out"; }
fail=0
check() { # what got want
	[ "$2" = "$3" ] || { echo "FAIL: $1: $2, expected $3"; fail=1; }
}
gen=$(get gen pkts) fast=$(get 0 fast_bursts)
frx=$(get f rx_pkts) frxb=$(get f rx_bytes) fdi=$(get f dev_ipackets) fdib=$(get f dev_ibytes)
otx=$(get o tx_pkts) otxb=$(get o tx_bytes) odo=$(get o dev_opackets) odob=$(get o dev_obytes)
full=$(get drops tx_full) down=$(get drops port_down) gfull=$(get gen tx_full)
sink=$(get sink pkts) srx=$(get s rx_pkts) lost=$(get sink lost)
reord=$(get sink reordered) dup=$(get sink dup) foreign=$(get sink foreign)
# A drop reason with no drops is not printed; every other key must be.
full=${full:-0} down=${down:-0}
for v in gen fast frx frxb fdi fdib otx otxb odo odob gfull sink srx lost reord dup foreign; do
	[ -n "${!v}" ] || { echo "FAIL: no $v in the summary"; exit 1; }
done
echo "gen $gen; f rx $frx (ethdev $fdi); o tx $otx (ethdev $odo); tx_full $full" \
	"(generator's $gfull), port_down $down; fast_bursts $fast; sink $sink" \
	"(s rx $srx, foreign $foreign, lost $lost)"
check "generator sent" "$gen" "$count"
# f must be a spread port, or this tests the plain io_direct.
grep -q "port f: .* delivers to all its 2 RX queues; its 1 poller(s) read them in turn" "$tmp/out" ||
	{ echo "FAIL: port f is not read as 2 RX queues by 1 poller"; fail=1; }
[ "$fast" -gt 0 ] || { echo "FAIL: fast_bursts $fast: the io fast path never sent from the spread port"; fail=1; }
check "f rx_pkts against its ethdev" "$frx" "$fdi"
check "f rx_bytes against its ethdev" "$frxb" "$fdib"
check "o tx_pkts against its ethdev" "$otx" "$odo"
check "o tx_bytes against its ethdev" "$otxb" "$odob"
check "f rx against o tx + its tx_full + port_down" "$frx" "$((otx + full - gfull + down))"
check "sink against s rx" "$sink" "$srx"
check "reordered" "$reord" 0
check "duplicated" "$dup" 0
seen=$((sink - foreign + lost))
[ "$seen" -le "$count" ] || { echo "FAIL: $seen seen or lost, more than the $count sent"; fail=1; }
[ "$seen" -ge $((count * 99 / 100)) ] ||
	{ echo "FAIL: only $seen of $count seen or counted lost"; fail=1; }
[ $fail = 0 ] && echo "ok: io fast path through a spread net_af_packet port, counted exactly"
exit $fail
