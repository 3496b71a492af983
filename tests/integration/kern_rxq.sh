#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Description: receive-path regressions of the kernel backend, in a network
# namespace with one veth pair (lrk2<tag>a <-> lrk2<tag>b), removed on exit:
#   et-burst   epoll-et drains a queue holding ~10 bursts behind one edge
#              (no stall); the same for the other waiting models
#   ms-tiny    uring-multishot with a 4-buffer ring: ENOBUFS ends the
#              multishot recv, it is re-armed (counted) and nothing stalls
#   cq-overflow uring-multishot with a 512-entry CQ behind 1500 queued
#              packets: the overflow is counted, no packet is lost
#   ms-refuse  uring-multishot on a kernel refusing multishot recv (made
#              to act so): falls back to single-shot reads, says so in
#              mode_desc, forwards every frame
#   tp-hold    tpacket-v3 with every buffer held past the ring's size: a
#              held block is never walked twice, frames flow once freed
#   txbig      tx_burst of DP_BURST + 8 on the sendmmsg models: at most a
#              burst taken, every frame taken arrives intact
#   fdlimit    select refuses a descriptor >= FD_SETSIZE, saying so
#
#   kern_rxq.sh BUILD_DIR CASE TAG
set -euo pipefail
bin=$1/tests/integration/kern_rxq
case_=$2
# Names: lrk2<tag>..., or $KERN_LAB_PREFIX<tag>... (as kern_lab.sh).
pfx=${KERN_LAB_PREFIX:-lrk2}
if [ ${#pfx} -gt 4 ] || ! [[ $pfx =~ ^[a-z0-9]+$ ]]; then
	echo "kern_rxq: KERN_LAB_PREFIX '$pfx': 1 to 4 of [a-z0-9]" >&2
	exit 1
fi
ns="$pfx$3"
a="$pfx$3a" b="$pfx$3b"
if [ "$(id -u)" != 0 ]; then
	echo "SKIP: needs root (network namespaces, AF_PACKET)"
	exit 77
fi
cleanup() { ip netns del "$ns" 2>/dev/null || true; }
trap cleanup EXIT
cleanup
if ! ip netns add "$ns"; then
	echo "SKIP: cannot create network namespaces here"
	exit 77
fi
ip -n "$ns" link add "$a" type veth peer name "$b"
for i in "$a" "$b"; do
	ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$i.disable_ipv6=1"
	ip -n "$ns" link set "$i" up
done
ip -n "$ns" link set lo up
run() { echo "+ kern_rxq $*"; ip netns exec "$ns" "$bin" "$@"; }

case "$case_" in
et-burst)
	for m in epoll-et epoll-lt poll select mmsg tpacket-v3; do
		run burst "$m" "$a" "$b" 320
	done
	;;
uring-burst)
	for m in uring uring-sqpoll uring-multishot; do
		run burst "$m" "$a" "$b" 320
	done
	;;
ms-tiny)
	run burst uring-multishot "$a" "$b" 300 4
	;;
ms-refuse)
	run burst-refuse uring-multishot "$a" "$b" 300
	;;
cq-overflow)
	run burst uring-multishot "$a" "$b" 1500 2048 512
	;;
tp-hold)
	run tp-hold "$a" "$b"
	;;
txbig)
	for m in mmsg tpacket-v3 poll; do
		run txbig "$m" "$a" "$b"
	done
	;;
fdlimit)
	run fdlimit "$a"
	;;
*)
	echo "unknown case $case_" >&2
	exit 2
	;;
esac
echo "PASS: $case_"
