# SPDX-License-Identifier: MIT
# shellcheck shell=bash disable=SC2034,SC2154
#
# bench-cp-lib.sh — pieces shared by scripts/bench-cp.sh and
# scripts/bench-cp-dp.sh (sourced, not run). Each function works on the
# caller's globals, named below, so that its `exit` and the caller's EXIT
# trap stay in one shell (hence shellcheck's SC2034/SC2154 off).

# Configure $builddir as a release build if it is not one yet, build the
# daemon, the CLI and cp_load; sets linerated, linerate, cp_load.
bcp_build() {
	if [ ! -f "$builddir/build.ninja" ]; then
		CC=clang meson setup "$builddir" "$here" \
			-Dbuildtype=release >/dev/null
	fi
	ninja -C "$builddir" controlplane/linerated controlplane/linerate \
		tests/bench/cp_load >/dev/null
	linerated=$builddir/controlplane/linerated
	linerate=$builddir/controlplane/linerate
	cp_load=$builddir/tests/bench/cp_load
}

# The daemon's resident set, KiB ($pid).
rss_kb() {
	awk '/^VmRSS:/ {print $2}' "/proc/$pid/status"
}

# Start linerated on $tmp/bench.yaml with event loop $loop, its socket
# $tmp/$loop.sock; wait for the socket, then 1 s. Sets sock and pid; on a
# daemon that never listens prints its log and exits 1.
bcp_start_daemon() {
	sock=$tmp/$loop.sock
	rm -f "$sock"
	"$linerated" -c "$tmp/bench.yaml" --socket "$sock" --loop "$loop" \
		--max-clients 12000 -q >"$tmp/$loop.log" 2>&1 &
	pid=$!
	for _ in $(seq 300); do
		[ -S "$sock" ] && break
		sleep 0.1
	done
	[ -S "$sock" ] || { cat "$tmp/$loop.log"; exit 1; }
	sleep 1
}

# Memory per idle client: the daemon's RSS before ($before, KiB) and with
# 10 000 idle clients connected by cp_load on CPU 0 ($during, KiB); lpid
# is cp_load's while it runs.
bcp_idle_clients_rss() {
	before=$(rss_kb)
	taskset -c 0 "$cp_load" --socket "$sock" --clients 10000 \
		--requests 1 --hold 3000 >"$tmp/hold.out" &
	lpid=$!
	for _ in $(seq 600); do
		grep -q holding "$tmp/hold.out" && break
		sleep 0.1
	done
	sleep 0.5
	during=$(rss_kb)
	wait "$lpid"
	lpid=
}
