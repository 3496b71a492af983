# SPDX-License-Identifier: MIT
# afxdp_lab.sh: the netns/veth lab of the AF_XDP tests and benchmark
# (sourced). Two namespaces, two veth pairs:
#
#   netns $LAB_G (generator)            netns $LAB_D (device under test)
#     lrx2-g0 <------------------------>  lrx2-d0
#     lrx2-g1 <------------------------>  lrx2-d1
#
# lab_up creates them (names carry the pid, so runs do not collide);
# lab_down removes them and is installed as the EXIT trap, so they go also
# on failure. IPv6 is off in both namespaces: no RS/MLD noise on the wire.

LAB_G=lrx2$$g
LAB_D=lrx2$$d

lab_skip() {
	echo "SKIP: $*"
	exit 77
}

lab_down() {
	local pid
	for pid in ${LAB_PIDS:-}; do
		kill -KILL "$pid" 2>/dev/null || true
	done
	ip netns del "$LAB_G" 2>/dev/null || true
	ip netns del "$LAB_D" 2>/dev/null || true
}

# lab_up [NUMQUEUES]
lab_up() {
	local nq=${1:-1}
	[ "$(id -u)" = 0 ] || lab_skip "needs root (netns, veth, XDP)"
	command -v ip >/dev/null || lab_skip "iproute2 'ip' not found"
	command -v python3 >/dev/null || lab_skip "python3 not found"
	trap lab_down EXIT
	ip netns add "$LAB_G" || lab_skip "cannot create network namespaces"
	ip netns add "$LAB_D"
	for i in 0 1; do
		ip -n "$LAB_G" link add lrx2-g$i numtxqueues "$nq" \
			numrxqueues "$nq" type veth peer name lrx2-d$i \
			netns "$LAB_D" numtxqueues "$nq" numrxqueues "$nq"
	done
	for ns in "$LAB_G" "$LAB_D"; do
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
		ip -n "$ns" link set lo up
	done
	for i in 0 1; do
		ip -n "$LAB_G" link set lrx2-g$i up
		ip -n "$LAB_D" link set lrx2-d$i up
	done
}

# MAC address of IF in namespace NS
lab_mac() {
	ip netns exec "$1" cat "/sys/class/net/$2/address"
}

# wait_file FILE SECONDS PID: wait until FILE exists or PID died
lab_wait_file() {
	local n=0
	while [ ! -e "$1" ]; do
		kill -0 "$3" 2>/dev/null || return 1
		n=$((n + 1))
		[ $n -gt $(($2 * 10)) ] && return 1
		sleep 0.1
	done
}

# XDP program id attached to IF in NS (empty when none)
lab_xdp_id() {
	ip -n "$1" -d link show dev "$2" | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p' | head -1
}
