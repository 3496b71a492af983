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
# shellcheck source=tests/integration/dp_reopen_ns.sh
. "$(cd "$(dirname "$0")" && pwd)/dp_reopen_ns.sh"
bin=$1
ns="lrds$2S"
ns_up "$ns" "network namespaces, DPDK"
a="lrds$2a" A="lrds$2A" b="lrds$2b" B="lrds$2B"
ns_veth "$ns" "$a" "$A"
ns_veth "$ns" "$b" "$B"
ip -n "$ns" link set lo up
ip netns exec "$ns" "$bin" kstop "$a" "$A" "$b"
