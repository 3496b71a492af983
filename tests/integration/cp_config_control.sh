#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Description: the config file's control: section really configures the
# control plane. linerated started with only -c FILE listens on the socket
# path and mode the file gives, on the loop it names, serves /metrics where
# it says; `config save` writes the section back and reloading the saved
# file is accepted; a reload (CLI or SIGHUP) of a file whose control:
# differs is refused as a whole naming FILE:LINE:COL and the key, and the
# routes of that file are not applied; command-line options beat the file
# (a second run with --socket/--socket-mode listens there instead);
# --help documents the precedence; SIGTERM removes the socket.
#
#   cp_config_control.sh LINERATED LINERATE
set -euo pipefail

linerated=$1 linerate_bin=$2
[ -x "$linerated" ] || { echo "SKIP: $linerated not built"; exit 77; }
[ -x "$linerate_bin" ] || { echo "SKIP: $linerate_bin not built"; exit 77; }
tmp=$(mktemp -d /tmp/lr-cc-ctl.XXXXXX)
sock=$tmp/file.sock
pid=

cleanup() {
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	echo "--- daemon log:" >&2
	tail -30 "$tmp/daemon.log" >&2 || true
	exit 1
}

# start LOG ARGS...: run linerated in the background, wait for its socket
start() {
	local s=$1
	shift
	"$linerated" "$@" >"$tmp/daemon.log" 2>&1 &
	pid=$!
	for _ in $(seq 600); do
		[ -S "$s" ] && grep -q "control plane up" "$tmp/daemon.log" &&
			return 0
		kill -0 "$pid" 2>/dev/null || fail "linerated exited"
		sleep 0.1
	done
	fail "no control socket $s after 60 s"
}

stop() {
	kill -TERM "$pid"
	local rc=0
	wait "$pid" || rc=$?
	pid=
	[ "$rc" = 0 ] || fail "linerated exited $rc on SIGTERM"
}

# config FILE SOCKET [EXTRA]: a small config whose control: names SOCKET
config() {
	cat >"$1" <<EOF
eal:
  file_prefix: lr-cc-$$
  memory_mb: 128
  hugepages: false
ports:
  - {name: a, dev: net_null0}
control:
  socket: $2
  socket_mode: "0600"
  loop: epoll
  metrics: 127.0.0.1:0
  max_clients: 64
  idle_timeout_ms: 60000
${3:-}
EOF
}

"$linerated" --help | grep -q "^Precedence: a command-line option beats" ||
	fail "--help does not document the precedence"
"$linerated" --help | grep -q "override the config file's control:" ||
	fail "--help does not say the options override control:"

config "$tmp/lr.yaml" "$sock"
out=$("$linerated" -t -c "$tmp/lr.yaml") || fail "-t: $out"
grep -q "control: socket=\"$sock\" socket_mode=\"0600\" loop=epoll" <<<"$out" ||
	fail "-t does not show the file's control: $out"

# ---- only the file: its socket, mode, loop and metrics ----
start "$sock" -c "$tmp/lr.yaml"
[ "$(stat -c %a "$sock")" = 600 ] ||
	fail "socket mode $(stat -c %a "$sock"), want 600 (control.socket_mode)"
grep -q "control plane up: epoll loop, socket $sock" "$tmp/daemon.log" ||
	fail "not on the epoll loop and $sock"
grep -q "metrics on http://127.0.0.1:[0-9]*/metrics" "$tmp/daemon.log" ||
	fail "no /metrics from control.metrics"
grep -q "max 64 clients" "$tmp/daemon.log" ||
	fail "max_clients 64 not applied"
lr() { "$linerate_bin" -s "$sock" -t 20000 "$@"; }
lr status >/dev/null || fail "status over $sock"

# config save writes control: back; reloading it is accepted.
lr config save path="$tmp/a.yaml" >/dev/null || fail "config save"
grep -q "^control:$" "$tmp/a.yaml" || fail "saved config lacks control:"
grep -q "^  socket: \"$sock\"$" "$tmp/a.yaml" || fail "saved socket"
grep -q '^  socket_mode: "0600"$' "$tmp/a.yaml" || fail "saved socket_mode"
grep -q '^  loop: epoll$' "$tmp/a.yaml" || fail "saved loop"
lr config reload path="$tmp/a.yaml" >/dev/null || fail "reload of the saved"
lr config save path="$tmp/b.yaml" >/dev/null || fail "second save"
cmp "$tmp/a.yaml" "$tmp/b.yaml" || fail "save -> reload -> save differs"

# A reload that moves the socket: refused whole, naming file:line:col and
# the key; the file's route is not applied.
config "$tmp/moved.yaml" "$tmp/other.sock" 'routes:
  - {prefix: 10.9.0.0/16, port: a}'
set +e
out=$(lr config reload path="$tmp/moved.yaml" 2>&1)
rc=$?
set -e
[ "$rc" = 1 ] || fail "moving the socket: exit $rc, want 1: $out"
grep -q "moved.yaml:8:11: control.socket: cannot change at run time" \
	<<<"$out" || fail "moving the socket: $out"
lr show routes | grep -q 10.9.0.0/16 && fail "a refused reload applied a route"
[ -S "$sock" ] || fail "the socket went away"

# SIGHUP of a changed file: the same, in the log; the daemon keeps going.
# (Reloading a path makes it the file SIGHUP reloads: back to lr.yaml.)
lr config reload path="$tmp/lr.yaml" >/dev/null || fail "reload of lr.yaml"
config "$tmp/lr.yaml" "$sock" 'routes:
  - {prefix: 10.8.0.0/16, port: a}'
sed -i 's/idle_timeout_ms: 60000/idle_timeout_ms: 1000/' "$tmp/lr.yaml"
kill -HUP "$pid"
for _ in $(seq 100); do
	grep -q "reload failed" "$tmp/daemon.log" && break
	sleep 0.1
done
grep -q "reload failed, nothing applied: .*lr.yaml:13:20: control.idle_timeout_ms: cannot change at run time (running: 60000, file: 1000)" \
	"$tmp/daemon.log" || fail "SIGHUP with a changed control: not refused"
lr show routes | grep -q 10.8.0.0/16 && fail "a refused SIGHUP applied a route"
# Back as it was plus the route: accepted.
sed -i 's/idle_timeout_ms: 1000/idle_timeout_ms: 60000/' "$tmp/lr.yaml"
lr config reload >/dev/null || fail "reload of the unchanged control:"
lr show routes | grep -q 10.8.0.0/16 || fail "the route was not applied"
stop
[ ! -e "$sock" ] || fail "socket left behind"

# TCP without a token from either place is refused before anything starts
# (exit 2, usage), naming where TCP came from.
rc=0
"$linerated" -t -c "$tmp/lr.yaml" --control-tcp 127.0.0.1:1 \
	>"$tmp/notoken.log" 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "--control-tcp without a token: exit $rc, want 2: $(cat "$tmp/notoken.log")"
grep -q "control over TCP (--control-tcp) needs a token" "$tmp/notoken.log" ||
	fail "no token error: $(cat "$tmp/notoken.log")"

# ---- the command line beats the file ----
start "$tmp/cli.sock" -c "$tmp/lr.yaml" --socket "$tmp/cli.sock" \
	--socket-mode 0640 --max-clients 32
[ "$(stat -c %a "$tmp/cli.sock")" = 640 ] || fail "--socket-mode lost to file"
[ ! -e "$sock" ] || fail "listening on the file's socket too"
grep -q "max 32 clients" "$tmp/daemon.log" || fail "--max-clients lost"
grep -q "control plane up: epoll loop" "$tmp/daemon.log" ||
	fail "the file's loop was not used"
# The file changing a key the command line overrides is no change.
sed -i "s|socket: $sock|socket: $tmp/elsewhere.sock|" "$tmp/lr.yaml"
"$linerate_bin" -s "$tmp/cli.sock" config reload >/dev/null ||
	fail "reload with an overridden key changed"
stop
echo "ok: control: socket, mode, loop, metrics, limits, save, refused reloads, precedence"
