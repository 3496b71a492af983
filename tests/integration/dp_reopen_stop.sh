#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Description: dp_port_stop of a kernel port that frames keep reaching:
# its worker lets go of the port's queue and idles (dp_reopen kstop). A
# namespace lrds<TAG>S with two veth pairs (lrds<TAG>a/A: port a and where
# the test sends from; lrds<TAG>b/B: port b), removed on exit, also on
# failure.
#
#   dp_reopen_stop.sh DP_REOPEN TAG
set -euo pipefail
bin=$1
ns="lrds$2S"
if [ "$(id -u)" != 0 ]; then
	echo "SKIP: needs root (network namespaces, DPDK)"
	exit 77
fi
if ! ip netns add "$ns" 2>/dev/null; then
	ip netns del "$ns" 2>/dev/null || true
	ip netns add "$ns" || { echo "SKIP: cannot create network namespaces"; exit 77; }
fi
trap 'ip netns del "$ns" 2>/dev/null || true' EXIT
a="lrds$2a" A="lrds$2A" b="lrds$2b" B="lrds$2B"
ip -n "$ns" link add "$a" type veth peer name "$A"
ip -n "$ns" link add "$b" type veth peer name "$B"
for i in "$a" "$A" "$b" "$B"; do
	ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$i.disable_ipv6=1" || true
	ip -n "$ns" link set "$i" up
done
ip -n "$ns" link set lo up
ip netns exec "$ns" "$bin" kstop "$a" "$A" "$b"
