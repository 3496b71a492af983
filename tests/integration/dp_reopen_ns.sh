# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# dp_reopen_ns.sh: the one-namespace veth lab of the dp_reopen_* tests
# (sourced by dp_reopen_kern.sh, dp_reopen_stop.sh, dp_reopen_afx.sh).
#
# ns_up NS WHY      skips (77) unless root (WHY: what needs it), creates
#                   namespace NS (a stale one of that name removed first)
#                   and removes it on exit, also on failure
# ns_veth NS A B    a veth pair A/B in NS, both up, IPv6 off

ns_up() {
	if [ "$(id -u)" != 0 ]; then
		echo "SKIP: needs root ($2)"
		exit 77
	fi
	if ! ip netns add "$1" 2>/dev/null; then
		ip netns del "$1" 2>/dev/null || true
		ip netns add "$1" || { echo "SKIP: cannot create network namespaces"; exit 77; }
	fi
	# shellcheck disable=SC2064 # NS expanded now, on purpose
	trap "ip netns del '$1' 2>/dev/null || true" EXIT
}

ns_veth() {
	local i
	ip -n "$1" link add "$2" type veth peer name "$3"
	for i in "$2" "$3"; do
		ip netns exec "$1" sysctl -qw "net.ipv6.conf.$i.disable_ipv6=1" || true
		ip -n "$1" link set "$i" up
	done
}
