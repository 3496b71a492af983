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
# shellcheck source=tests/integration/dp_reopen_ns.sh
. "$(cd "$(dirname "$0")" && pwd)/dp_reopen_ns.sh"
bin=$1
ns="lrdx$2X"
ns_up "$ns" "network namespaces, XDP, DPDK"
p="lrdx$2"
for i in k x y; do
	u=$(echo "$i" | tr a-z A-Z)
	ns_veth "$ns" "$p$i" "$p$u"
done
ip -n "$ns" link set lo up
ip netns exec "$ns" "$bin" afx "${p}k" "${p}K" "${p}x" "${p}X" "${p}y"
