#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# lab.sh — the compare lab: one network namespace with two veth pairs
#
#     gen port  lrcf-g0 ==veth== lrcf-d0  DUT in  (backend under test)
#     sink port lrcf-s0 ==veth== lrcf-d1  DUT out (backend under test)
#
# and enough 2 MiB hugepages. Everything it creates carries the prefix
# (default lrcf; env LAB_PREFIX) and is recorded in a state file, so `down`
# removes exactly that, and hugepages go back to what they were only if
# `up` raised them.
#
#   lab.sh up   [--hugepages N]   create (idempotent: an old lab is removed)
#   lab.sh down                   remove everything `up` created
#   lab.sh run  [--hugepages N] -- CMD ARGS...
#                                 up, run CMD (env LAB_NS, LAB_IF_*), down —
#                                 also on failure, INT or TERM
#   lab.sh status
#
# Needs root (ip netns, sysfs). Sends no traffic itself.
set -euo pipefail

prefix=${LAB_PREFIX:-lrcf}
ns="$prefix-ns"
state="/run/$prefix-lab.state"
hugepages=${LAB_HUGEPAGES:-256}

say() { echo "lab: $*" >&2; }
die() { echo "lab: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (network namespaces, hugepages)"

lab_down() {
	local prev=""

	if [ -f "$state" ]; then
		prev=$(sed -n 's/^hugepages_prev=//p' "$state")
	fi
	if ip netns list 2>/dev/null | grep -qw "^$ns"; then
		# deleting the namespace deletes the veths inside it
		ip netns pids "$ns" 2>/dev/null | while read -r p; do
			kill "$p" 2>/dev/null || true
		done
		ip netns del "$ns" && say "removed namespace $ns"
	fi
	if [ -n "$prev" ]; then
		echo "$prev" > /proc/sys/vm/nr_hugepages || true
		say "hugepages back to $(cat /proc/sys/vm/nr_hugepages)"
	fi
	if [ -f "$state" ] && grep -q '^hugetlbfs_mounted=1' "$state"; then
		umount /dev/hugepages 2>/dev/null || true
	fi
	rm -f "$state"
}

lab_up() {
	local cur

	lab_down
	: > "$state"
	ip netns add "$ns"
	echo "netns=$ns" >> "$state"
	ip -n "$ns" link set lo up
	ip -n "$ns" link add "$prefix-g0" type veth peer name "$prefix-d0"
	ip -n "$ns" link add "$prefix-s0" type veth peer name "$prefix-d1"
	for i in g0 d0 s0 d1; do
		# no IPv6 autoconf chatter on the wire: the sink counts frames
		ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$prefix-$i.disable_ipv6=1"
		ip -n "$ns" link set "$prefix-$i" up
	done
	cur=$(cat /proc/sys/vm/nr_hugepages)
	if [ "$cur" -lt "$hugepages" ]; then
		echo "hugepages_prev=$cur" >> "$state"
		echo "$hugepages" > /proc/sys/vm/nr_hugepages
		say "hugepages $cur -> $(cat /proc/sys/vm/nr_hugepages)"
	fi
	if ! mountpoint -q /dev/hugepages; then
		mkdir -p /dev/hugepages
		mount -t hugetlbfs -o pagesize=2M nodev /dev/hugepages
		echo "hugetlbfs_mounted=1" >> "$state"
	fi
	say "namespace $ns: $prefix-g0<->$prefix-d0, $prefix-s0<->$prefix-d1 up"
}

cmd=${1:-}
[ $# -gt 0 ] && shift
while [ $# -gt 0 ]; do
	case "$1" in
	--hugepages) hugepages=$2; shift ;;
	--) shift; break ;;
	*) break ;;
	esac
	shift
done

case "$cmd" in
up) lab_up ;;
down) lab_down ;;
status)
	[ -f "$state" ] && cat "$state"
	ip -n "$ns" -br link 2>/dev/null || say "no lab ($ns absent)" ;;
run)
	[ $# -gt 0 ] || die "run: which command? (lab.sh run -- CMD ARGS)"
	trap 'lab_down' EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	lab_up
	export LAB_NS=$ns LAB_IF_GEN=$prefix-g0 LAB_IF_DUT_IN=$prefix-d0 \
		LAB_IF_DUT_OUT=$prefix-d1 LAB_IF_SINK=$prefix-s0
	"$@" ;;
*) sed -n '3,22p' "$0"; exit 2 ;;
esac
