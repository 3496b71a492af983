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
# shellcheck source=tests/integration/dp_reopen_ns.sh
. "$(cd "$(dirname "$0")" && pwd)/dp_reopen_ns.sh"
bin=$1
ns="lrdt$2K"
ns_up "$ns" "network namespaces, DPDK"
o="lrdt$2o" p="lrdt$2p"
ns_veth "$ns" "$o" "$p"
ip -n "$ns" link set lo up
ip netns exec "$ns" "$bin" kern "$o" "$p"
