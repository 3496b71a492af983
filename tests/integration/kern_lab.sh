# SPDX-License-Identifier: MIT
# Sourced by the kern_* lab tests: three network namespaces joined by veth
# pairs, all named <prefix><tag>..., removed on exit (also on failure).
# The prefix is lrk2, or $KERN_LAB_PREFIX (at most 4 characters, so that
# interface names stay within 15) when set: runs of the same test by
# different people at once then never touch each other's lab.
#
#   S (<p><tag>S) sa ==== da  D (<p><tag>D, the DUT)  db ==== rb  R (<p><tag>R)
#
# lab_up TAG [EXTRA]   creates it (EXTRA=1 adds a second pair S:sc == D:dc
#                      and R:rd == D:dd for a second forwarding pair)
# lab_down             removes everything (installed as the EXIT trap)
# in_ns NS CMD...      runs CMD in namespace S, D or R (foreground; for a
#                      background job whose PID matters use
#                      `ip netns exec "$nsD" CMD &` so $! is CMD itself)

lab_tag=
lab_pfx=${KERN_LAB_PREFIX:-lrk2}
if [ ${#lab_pfx} -gt 4 ] || ! [[ $lab_pfx =~ ^[a-z0-9]+$ ]]; then
	echo "kern_lab: KERN_LAB_PREFIX '$lab_pfx': 1 to 4 of [a-z0-9]" >&2
	exit 1
fi
lab_ns() { echo "${lab_pfx}${lab_tag}$1"; }
in_ns() { local n=$1; shift; ip netns exec "$(lab_ns "$n")" "$@"; }

lab_down() {
	local n
	for n in S D R; do
		ip netns del "${lab_pfx}${lab_tag}$n" 2>/dev/null || true
	done
}

lab_skip_unless_root() {
	if [ "$(id -u)" != 0 ]; then
		echo "SKIP: needs root (network namespaces, AF_PACKET)"
		exit 77
	fi
	if ! ip netns add "${lab_pfx}${lab_tag}probe" 2>/dev/null; then
		echo "SKIP: cannot create network namespaces here"
		exit 77
	fi
	ip netns del "${lab_pfx}${lab_tag}probe"
}

lab_pair() { # NS1 IF1 NS2 IF2
	local a="${lab_pfx}${lab_tag}$2" b="${lab_pfx}${lab_tag}$4"
	# Created inside the namespaces: nothing passes through the root
	# namespace, so nothing can be left there.
	ip -n "$(lab_ns "$1")" link add "$a" type veth peer name "$b" \
		netns "$(lab_ns "$3")"
	for x in "$1:$a" "$3:$b"; do
		in_ns "${x%%:*}" sysctl -qw "net.ipv6.conf.${x#*:}.disable_ipv6=1" || true
		in_ns "${x%%:*}" ip link set "${x#*:}" up
	done
}

lab_up() {
	lab_tag=$1
	lab_skip_unless_root
	trap lab_down EXIT
	lab_down
	local n
	for n in S D R; do
		ip netns add "$(lab_ns $n)"
		in_ns $n ip link set lo up
	done
	nsS=$(lab_ns S) nsD=$(lab_ns D) nsR=$(lab_ns R)
	lab_pair S sa D da
	lab_pair D db R rb
	if [ "${2:-0}" = 1 ]; then
		lab_pair S sc D dc
		lab_pair D dd R rd
	fi
}

# if NAME: the full interface name of a lab end (sa, da, db, rb ...)
lab_if() { echo "${lab_pfx}${lab_tag}$1"; }

# wait_line FILE WORD SECONDS: wait until FILE has a line WORD
wait_line() {
	local i
	for i in $(seq $(($3 * 20))); do
		grep -qx "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	echo "timed out waiting for '$2' in $1" >&2
	cat "$1" >&2 || true
	return 1
}
