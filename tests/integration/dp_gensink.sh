#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Description: the generator and the sink are port roles on every backend:
# linerated generates COUNT UDP packets (IPv4 + IPv6, 8 flows) on one end of
# a veth pair through BACKEND (kernel: AF_PACKET, afxdp: AF_XDP, dpdk:
# net_af_packet, the sink with 2 qpairs read by its one poller) and counts
# them with the sink on the other end. The run must end with the generator
# having sent exactly COUNT, the sink having seen them (every one, or the
# difference accounted as lost by the sequence numbers, none reordered or
# duplicated), and the sink's counts equal to the receiving port's.
#
# SPREAD (dpdk only): the sink has 3 qpairs and two workers poll it, so
# poller 0 reads RX queues 0 and 2, poller 1 queue 1 (port_dpdk.c
# rx_spread); the generator's worker is one of them.
#
#   dp_gensink.sh LINERATED BACKEND TAG [SPREAD]
set -uo pipefail

lr=$1 backend=$2 tag=$3 spread=${4:-}
count=3000
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (netns, veth)"; exit 77; }
[ -x "$lr" ] || { echo "SKIP: $lr not built"; exit 77; }
ns="lrdp-gs-$tag-$$"
a="lrdp${tag}a" b="lrdp${tag}b"
tmp=$(mktemp -d /tmp/lr-dp-gensink.XXXXXX)
cleanup() { ip netns del "$ns" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

ip netns add "$ns" || { echo "SKIP: cannot create a network namespace"; exit 77; }
ip -n "$ns" link add "$a" type veth peer name "$b" || exit 1
for i in "$a" "$b"; do
	ip -n "$ns" link set "$i" up
	# No IPv6 autoconfiguration chatter on the lab's links.
	ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$i.disable_ipv6=1"
done
ip netns exec "$ns" mount -t bpf bpf /sys/fs/bpf 2>/dev/null

extra="" model="mtu: 0" deva=$a devb=$b
[ "$backend" = kernel ] && extra="io_model: busypoll, " model="io_model: busypoll"
if [ "$backend" = dpdk ]; then
	# The sink with two qpairs (sockets in one PACKET_FANOUT group, the 8
	# flows hashed over both) and one poller: the poller must read both,
	# else about half the flows are lost and the counts below fail.
	deva="net_af_packet0,iface=$a" devb="net_af_packet1,iface=$b,qpairs=2"
	[ -n "$spread" ] && devb="net_af_packet1,iface=$b,qpairs=3"
fi
last=$(( $(nproc) - 1 ))
workers="  - {core: $last, ports: [g, s]}"
if [ -n "$spread" ]; then
	[ "$last" -ge 1 ] || { echo "SKIP: needs 2 CPUs (two pollers)"; exit 77; }
	workers="$workers
  - {core: $((last - 1)), ports: [s]}"
fi
cat > "$tmp/c.yaml" <<CONF
ports:
  - name: g
    backend: $backend
    dev: "$deva"
    $model
    rx: drop
    generator: {ip_version: 46, flows: 8, rate_pps: 50000, count: $count}
  - {name: s, backend: $backend, dev: "$devb", ${extra}rx: sink}
workers:
$workers
CONF
ip netns exec "$ns" "$lr" -q --no-control --no-huge -c "$tmp/c.yaml" -d 2 --summary \
	--file-prefix "lr-dp-gs-$tag-$$" > "$tmp/out" 2>&1
st=$?
cat "$tmp/out" | grep -v "^final port"
if [ $st != 0 ]; then
	if grep -q "not built into this linerated\|not supported\|Operation not supported" "$tmp/out"; then
		echo "SKIP: $backend backend unavailable here"; exit 77
	fi
	echo "FAIL: linerated exited $st"; exit 1
fi
get() { awk -v s="$1" -v k="$2" '$1 == "final" && ($2 == s || $2 == "port=" s) {
	for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) print kv[2] } }' "$tmp/out"; }
gen=$(get gen pkts) sink=$(get sink pkts) lost=$(get sink lost)
reord=$(get sink reordered) dup=$(get sink dup) foreign=$(get sink foreign)
srx=$(get s rx_pkts)
echo "gen $gen, sink $sink (lost $lost, reordered $reord, dup $dup, foreign $foreign), port s rx $srx"
fail=0
[ "$gen" = "$count" ] || { echo "FAIL: generator sent $gen, not $count"; fail=1; }
[ "$sink" -gt 0 ] || { echo "FAIL: sink saw nothing"; fail=1; }
[ "$reord" = 0 ] && [ "$dup" = 0 ] || { echo "FAIL: reordered/duplicated"; fail=1; }
[ $((sink - foreign + lost)) -le "$count" ] || { echo "FAIL: more than sent"; fail=1; }
# The tail after the last packet that arrived is lost unseen: what the
# sequence numbers account for plus what arrived must be close to all.
[ $((sink - foreign + lost)) -ge $((count * 99 / 100)) ] ||
	{ echo "FAIL: $((count - sink + foreign - lost)) packets unaccounted"; fail=1; }
[ "$sink" = "$srx" ] || { echo "FAIL: sink $sink != port s rx $srx"; fail=1; }
# dpdk: a qpair left unread loses whole flows (an eighth of the packets or
# more each), which the sequence numbers count as lost.
if [ "$backend" = dpdk ] && [ "$lost" -ge $((count / 10)) ]; then
	echo "FAIL: $lost lost: a qpair of the sink was not read"; fail=1
fi
[ $fail = 0 ] && echo "ok: $backend generator -> veth -> sink"

exit $fail
