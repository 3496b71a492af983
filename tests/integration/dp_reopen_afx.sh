#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Description: an afxdp port that no worker polls gets no TX queue on any
# worker (dp_reopen afx): its traffic is port_down, no UMEM pool is used by
# two threads. A namespace lrdx<TAG>X with three veth pairs (lrdx<TAG>k/K,
# x/X, y/Y: the ports k, x, y and the peers the test sends from), removed
# on exit, also on failure.
#
#   dp_reopen_afx.sh DP_REOPEN TAG
set -euo pipefail
bin=$1
ns="lrdx$2X"
if [ "$(id -u)" != 0 ]; then
	echo "SKIP: needs root (network namespaces, XDP, DPDK)"
	exit 77
fi
if ! ip netns add "$ns" 2>/dev/null; then
	ip netns del "$ns" 2>/dev/null || true
	ip netns add "$ns" || { echo "SKIP: cannot create network namespaces"; exit 77; }
fi
trap 'ip netns del "$ns" 2>/dev/null || true' EXIT
p="lrdx$2"
for i in k x y; do
	u=$(echo "$i" | tr a-z A-Z)
	ip -n "$ns" link add "$p$i" type veth peer name "$p$u"
	for j in "$p$i" "$p$u"; do
		ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$j.disable_ipv6=1" || true
		ip -n "$ns" link set "$j" up
	done
done
ip -n "$ns" link set lo up
ip netns exec "$ns" "$bin" afx "${p}k" "${p}K" "${p}x" "${p}X" "${p}y"
