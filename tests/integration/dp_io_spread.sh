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
# 8 flows, as fast as it can, so f receives full bursts, spread by flow
# hash over its two sockets. The run must end with:
#   - the worker's fast_bursts above 0: io_direct sent whole bursts from
#     the spread port (without the fast path, or with it never sending,
#     it is 0);
#   - f's RX and o's TX packets and bytes equal to the ethdevs' own
#     counters, and f's RX equal to o's TX plus tx_full and port_down
#     drops;
#   - the sink's count equal to s's RX, nothing reordered or duplicated,
#     and (sink + lost by sequence) at least 99% of COUNT.
#
#   dp_io_spread.sh LINERATED
set -uo pipefail

lr=$1
count=20000
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
    generator: {ip_version: 4, flows: 8, rate_pps: max, count: $count}
  - {name: f, dev: "net_af_packet1,iface=fa,qpairs=2", mode: io, peer: o}
  - {name: o, dev: "net_af_packet2,iface=fb", rx: drop}
  - {name: s, dev: "net_af_packet3,iface=sa", rx: sink}
workers:
  - {core: $last, ports: [g, f, o, s]}
CONF
# Info level (no live rates: -s 0): the port's queue log line is checked.
ip netns exec "$ns" "$lr" --log-level info -s 0 --no-control --no-huge -c "$tmp/c.yaml" \
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
full=$(get drops tx_full) down=$(get drops port_down)
sink=$(get sink pkts) srx=$(get s rx_pkts) lost=$(get sink lost)
reord=$(get sink reordered) dup=$(get sink dup)
echo "gen $gen; f rx $frx (ethdev $fdi); o tx $otx (ethdev $odo); tx_full ${full:-0}," \
	"port_down ${down:-0}; fast_bursts $fast; sink $sink (s rx $srx, lost $lost)"
check "generator sent" "$gen" "$count"
# f must be a spread port, or this tests the plain io_direct.
grep -q "port f: .* delivers to all its 2 RX queues; its 1 poller(s) read them in turn" "$tmp/out" ||
	{ echo "FAIL: port f is not read as 2 RX queues by 1 poller"; fail=1; }
[ "${fast:-0}" -gt 0 ] || { echo "FAIL: fast_bursts ${fast:-none}: the io fast path never sent from the spread port"; fail=1; }
check "f rx_pkts against its ethdev" "$frx" "$fdi"
check "f rx_bytes against its ethdev" "$frxb" "$fdib"
check "o tx_pkts against its ethdev" "$otx" "$odo"
check "o tx_bytes against its ethdev" "$otxb" "$odob"
check "f rx against o tx + tx_full + port_down" "$frx" "$((otx + ${full:-0} + ${down:-0}))"
check "sink against s rx" "$sink" "$srx"
check "reordered" "$reord" 0
check "duplicated" "$dup" 0
[ $((sink + lost)) -ge $((count * 99 / 100)) ] ||
	{ echo "FAIL: only $((sink + lost)) of $count seen or counted lost"; fail=1; }
[ $fail = 0 ] && echo "ok: io fast path through a spread net_af_packet port, counted exactly"
exit $fail
