#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Description: dp_port_reopen on a kernel port under traffic, through every
# I/O model (dp_reopen kern): a namespace lrdt<TAG>K with a veth pair
# (lrdt<TAG>o, the port; lrdt<TAG>p, where the test reads what it sends),
# removed on exit, also on failure.
#
#   dp_reopen_kern.sh DP_REOPEN TAG
set -euo pipefail
bin=$1
ns="lrdt$2K"
if [ "$(id -u)" != 0 ]; then
	echo "SKIP: needs root (network namespaces, DPDK)"
	exit 77
fi
if ! ip netns add "$ns" 2>/dev/null; then
	ip netns del "$ns" 2>/dev/null || true
	ip netns add "$ns" || { echo "SKIP: cannot create network namespaces"; exit 77; }
fi
trap 'ip netns del "$ns" 2>/dev/null || true' EXIT
o="lrdt$2o" p="lrdt$2p"
ip -n "$ns" link add "$o" type veth peer name "$p"
for i in "$o" "$p"; do
	ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$i.disable_ipv6=1" || true
	ip -n "$ns" link set "$i" up
done
ip -n "$ns" link set lo up
ip netns exec "$ns" "$bin" kern "$o" "$p"
