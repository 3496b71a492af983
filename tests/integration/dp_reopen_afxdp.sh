#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Description: a forwarding port pair switched between backends at run
# time, under traffic, through the control socket (`port backend p0,p1`,
# dp_ports_reopen): kernel -> afxdp (skb, copy) -> kernel (epoll-et) ->
# dpdk (net_af_packet) -> afxdp (native, copy) -> one port alone back to
# kernel (the other afxdp port is reopened with it) -> a batch naming a
# missing interface (refused, naming the port and the interface; both
# ports keep their backends and forward) -> afxdp. dp_reopen_afxdp.py
# checks each step: backends and modes in `show ports`, 300 probe frames
# forwarded byte for byte, the ports' counters; no background frame
# duplicated across the switches. The running config, saved, reloads (no
# stale bytes of a longer string make it look changed). Then linerated
# exits 0 on SIGTERM, the
# AF_XDP backend logged balanced frame accounting every time its pools
# were torn down (and never a broken one), no XDP program is left on the
# interfaces and their MTU is unchanged.
#
# Lab: one namespace ro<pid> with two veth pairs (ro<pid>a0/a1, b0/b1),
# linerated on a0 (p0) and b0 (p1); removed on exit, also on failure.
#
#   dp_reopen_afxdp.sh LINERATED LINERATE SRCDIR
set -euo pipefail
lrd=$1 lr=$2 src=$3
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (netns, veth, XDP, DPDK)"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: python3 not found"; exit 77; }

ns=ro$$
a0=ro$$a0 a1=ro$$a1 b0=ro$$b0 b1=ro$$b1
tmp=$(mktemp -d /tmp/lr-ro-XXXXXX)
sock=/tmp/lr-ro-$$.sock
pid=
cleanup() {
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	ip netns del "$ns" 2>/dev/null || true
	rm -rf "$tmp" "$sock" /var/run/dpdk/lr-ro-$$ 2>/dev/null || true
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*"
	echo "--- linerated log:"
	tail -n 60 "$tmp/lrd.log" 2>/dev/null || true
	exit 1
}

ip netns add "$ns" 2>/dev/null || { echo "SKIP: cannot create network namespaces"; exit 77; }
ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
ip -n "$ns" link set lo up
ip -n "$ns" link add "$a0" type veth peer name "$a1"
ip -n "$ns" link add "$b0" type veth peer name "$b1"
for i in "$a0" "$a1" "$b0" "$b1"; do
	ip -n "$ns" link set "$i" up
done
mtu_before=$(ip -n "$ns" -o link show "$a0" | grep -o 'mtu [0-9]*')

cat >"$tmp/cfg.yaml" <<YAML
ports:
  - {name: p0, backend: kernel, dev: $a0, io_model: poll, mode: io, peer: p1}
  - {name: p1, backend: kernel, dev: $b0, io_model: poll, mode: io, peer: p0}
workers:
  - {core: $(($(nproc) - 1)), ports: [p0, p1]}
YAML
ip netns exec "$ns" "$lrd" -c "$tmp/cfg.yaml" --no-huge \
	--file-prefix "lr-ro-$$" --socket "$sock" >"$tmp/lrd.log" 2>&1 &
pid=$!
for _ in $(seq 300); do
	[ -S "$sock" ] && break
	kill -0 "$pid" 2>/dev/null || fail "linerated did not start"
	sleep 0.1
done
[ -S "$sock" ] || fail "no control socket"

ip netns exec "$ns" python3 "$src/tests/integration/dp_reopen_afxdp.py" \
	"$lr" "$sock" "$a0" "$a1" "$b0" "$b1" || fail "steps"

# The switches wrote shorter strings over longer ones (kernel -> dpdk: the
# backend; dpdk -> afxdp: the dev): the running config, saved and
# reloaded, is accepted all the same (a reload compares the ports' confs).
ip netns exec "$ns" "$lr" -s "$sock" config save path="$tmp/saved.yaml" \
	>/dev/null || fail "config save"
out=$(ip netns exec "$ns" "$lr" -s "$sock" config reload \
	path="$tmp/saved.yaml" 2>&1) ||
	fail "reload of the running config after the switches: $out"
echo "reload of the running config after the switches: accepted"

grep -q "afxdp ports p1: reopened too" "$tmp/lrd.log" ||
	fail "p1 (afxdp) was not reopened with p0 leaving afxdp"
grep "reopen of .* port(s)" "$tmp/lrd.log" | sed 's/^/  /'
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
pid=
[ "$rc" = 0 ] || fail "linerated exit $rc on SIGTERM"
# Pools torn down: afxdp -> kernel (2 ports, 1 pool), afxdp -> kernel of
# p0 with p1, the refused batch (closed, then reopened), afxdp -> afxdp,
# the exit. Every one balanced.
nbal=$(grep -c "frames balanced" "$tmp/lrd.log" || true)
[ "$nbal" -ge 5 ] || fail "frame accounting logged $nbal times, want >= 5"
if grep -q "frame accounting broken\|not completed by the kernel" "$tmp/lrd.log"; then
	fail "frame accounting: $(grep "frame accounting broken\|not completed" "$tmp/lrd.log" | head -3)"
fi
for i in "$a0" "$b0"; do
	if ip -n "$ns" -d link show "$i" | grep -q "prog/xdp"; then
		fail "XDP program left on $i"
	fi
done
mtu_after=$(ip -n "$ns" -o link show "$a0" | grep -o 'mtu [0-9]*')
[ "$mtu_before" = "$mtu_after" ] || fail "$a0: $mtu_before before, $mtu_after after"
echo "PASS: dp_reopen_afxdp ($nbal balanced pool tear-downs)"
