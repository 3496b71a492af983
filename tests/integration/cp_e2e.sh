#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Description: linerated's control plane end to end, on one event-loop
# backend: a daemon on net_ring vdevs (no hugepages, in memory), driven by
# the linerate CLI and raw clients. Checks every verb's happy path and an
# error path (exit status 1, message naming the field, nothing applied), bad
# input on one live connection (malformed JSON, unknown verb, oversize
# line), 10 000 clients each answered and under 4 KiB of daemon memory
# each while idle, /metrics through the exposition
# checker, SIGHUP reload, config save -> reload -> save byte-identical, the
# CLI's exit codes without a daemon, the committed bash completion equal to
# the generated one, SIGTERM removing the socket.
#
#   cp_e2e.sh LINERATED LINERATE CP_LOAD CP_PROMCHECK SRCDIR uring|epoll
set -euo pipefail

linerated=$1 linerate_bin=$2 cp_load=$3 promcheck=$4 src=$5 loop=$6
# 10 000 clients: the daemon and cp_load each need that many descriptors.
ulimit -Hn 65536 2>/dev/null || true
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt 10300 ]; then
	echo "SKIP: RLIMIT_NOFILE $(ulimit -n) < 10300 and cannot be raised"
	exit 77
fi
tmp=$(mktemp -d /tmp/lr-cf-e2e.XXXXXX)
sock=$tmp/ctl.sock
pid=

notify_pid=
cleanup() {
	[ -n "$notify_pid" ] && kill "$notify_pid" 2>/dev/null
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

lr() { "$linerate_bin" -s "$sock" -t 20000 "$@"; }

# expect STATUS PATTERN -- CLI ARGS: exit status and a pattern in the output
expect() {
	local want=$1 pat=$2 out rc
	shift 3
	set +e
	out=$(lr "$@" 2>&1)
	rc=$?
	set -e
	[ "$rc" = "$want" ] || fail "linerate $* exited $rc, want $want: $out"
	if [ -n "$pat" ] && ! grep -qE -- "$pat" <<<"$out"; then
		fail "linerate $*: no /$pat/ in: $out"
	fi
}

cat >"$tmp/lr.yaml" <<EOF
eal:
  file_prefix: lr-cf-e2e-$$
  memory_mb: 256
  hugepages: false
ports:
  - name: gen
    dev: net_ring0
    mode: io
    peer: sink
    generator:
      flows: 16
      frame_size: 64
      rate_pps: 100000
  - name: sink
    dev: net_ring1
    rx: sink
EOF

# Without a daemon: exit 3 and a message saying so.
expect 3 "not running" -- status

# A stand-in for systemd's notify socket: what sd_notify sends, one line
# per datagram.
python3 - "$tmp/notify.sock" "$tmp/notify.log" <<'EOF' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a", buffering=1) as f:
    while True:
        f.write(s.recv(4096).decode().replace("\n", " ") + "\n")
EOF
notify_pid=$!
for _ in $(seq 50); do [ -S "$tmp/notify.sock" ] && break; sleep 0.1; done

# Under ASan, freed memory waits in a quarantine and would be counted as
# the clients' memory below: no quarantine for this daemon.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0"
NOTIFY_SOCKET=$tmp/notify.sock "$linerated" -c "$tmp/lr.yaml" \
	--socket "$sock" --loop "$loop" --metrics 127.0.0.1:0 \
	--max-clients 12000 >"$tmp/daemon.log" 2>&1 &
pid=$!
for _ in $(seq 600); do
	[ -S "$sock" ] && grep -q "control plane up" "$tmp/daemon.log" && break
	kill -0 "$pid" 2>/dev/null || fail "linerated exited"
	sleep 0.1
done
[ -S "$sock" ] || fail "no control socket after 60 s"
grep -q "control plane up: $( [ "$loop" = uring ] && echo io_uring || echo epoll) loop" \
	"$tmp/daemon.log" || fail "not running on the $loop loop"
[ "$(stat -c %a "$sock")" = 660 ] || fail "socket mode is not 0660"
mport=$(sed -n 's|.*metrics on http://127.0.0.1:\([0-9]*\)/metrics.*|\1|p' \
	"$tmp/daemon.log")
[ -n "$mport" ] || fail "no metrics port in the log"

# ---- memory per idle client: under 4 KiB (the daemon's RSS; first, so
# the heap has not grown for other clients before) ----
before=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status")
"$cp_load" --socket "$sock" --clients 10000 --requests 1 --hold 3000 \
	--timeout 120000 >"$tmp/hold.out" &
lpid=$!
for _ in $(seq 1200); do
	grep -q holding "$tmp/hold.out" && break
	sleep 0.1
done
grep -q holding "$tmp/hold.out" || fail "10000 idle clients did not connect"
during=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status")
wait "$lpid" || fail "idle clients: $(cat "$tmp/hold.out")"
per=$(( (during - before) * 1024 / 10000 ))
echo "memory per idle client ($loop): $per bytes (RSS $before -> $during KiB)"
[ "$per" -lt 4096 ] || fail "$per bytes per idle client (limit 4096)"

# Another user, not in the socket's group: exit 4, says so.
if command -v setpriv >/dev/null; then
	set +e
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$linerate_bin" -s "$sock" status 2>&1)
	rc=$?
	set -e
	[ "$rc" = 4 ] && grep -q "permission denied" <<<"$out" ||
		fail "as nobody: exit $rc: $out"
fi

# ---- every verb: happy path ----
expect 0 "loop +$( [ "$loop" = uring ] && echo io_uring || echo epoll)" -- status
expect 0 "gen +dpdk +net_ring0" -- show ports
expect 0 "gen:0" -- show workers
expect 0 "^total" -- show stats
expect 0 "^total" -- show stats port=sink
expect 0 "" -- route add 10.0.0.0/8 sink via=10.1.0.2
expect 0 "" -- route add prefix=2001:db8::/32 port=sink via=fe80::1
expect 0 "10.0.0.0/8 +sink +10.1.0.2" -- show routes
expect 0 "2001:db8::/32" -- show routes
expect 0 "" -- route del 2001:db8::/32
expect 0 "" -- neighbour add 10.1.0.2 02:00:00:00:00:09 port=sink
expect 0 "10.1.0.2 +02:00:00:00:00:09 +sink" -- show neighbours
expect 0 "" -- neighbour add 2001:db8::9 02:00:00:00:00:0a
expect 0 "" -- neighbour del 2001:db8::9
expect 0 "" -- acl add deny proto=udp dport=53
expect 0 "" -- acl add permit index=0 src=10.0.0.0/8
expect 0 "^1 +deny" -- show acl
expect 0 "" -- acl move 1 0
expect 0 "^0 +deny" -- show acl
expect 0 "" -- acl del 1
expect 0 "" -- mode set sink macswap
expect 0 "sink .* macswap" -- show ports
expect 0 "" -- mode set sink io
expect 0 "" -- port stop sink
expect 0 "sink .* down" -- show ports
expect 0 "" -- port start sink
expect 0 "sink .* up" -- show ports
expect 0 "" -- gen set gen rate=50000 size=128 flows=8
expect 0 "" -- gen stop gen
expect 0 "" -- gen start gen
expect 0 "" -- stats clear
expect 0 "rate_pps: 50000" -- show config
expect 0 "route add" -- help
expect 0 "prefix" -- help verb="route add"
expect 0 "usage: linerate" -- route add --help
lr --json show routes | python3 -c \
	'import json,sys; r=json.load(sys.stdin); assert r["routes"][0]["prefix"]=="10.0.0.0/8"' ||
	fail "--json show routes"

# ---- error paths: exit 1, the field named, nothing applied ----
expect 1 "invalid_argument: prefix" -- route add 10.0.0.0/33 sink
expect 1 "invalid_argument: prefix" -- route add 10.0.0.1/8 sink
expect 1 "not_found: port" -- route add 11.0.0.0/8 nosuchport
expect 1 "not_found: prefix" -- route del 172.16.0.0/12
# port backend reaches dp_ports_reopen: afxdp is switched to like any
# backend (here net_ring0 is no interface: refused, naming the port and the
# device); a batch is all or nothing (sink's device cannot open, so gen,
# opened first, is put back too); the arguments are checked first; the
# ports keep their devices
expect 1 "port gen: interface net_ring0 not found.*failed" -- port backend gen afxdp
expect 1 "invalid_argument: backend" -- port backend gen xdp
expect 1 "port sink: probing 'net_bogus9'.*failed" -- \
	port backend gen,sink dpdk "dev=net_ring0;net_bogus9"
expect 1 "'nosuchport'.*not_found: port" -- port backend gen,nosuchport kernel
expect 1 "invalid_argument: dev" -- port backend gen,sink dpdk dev=net_ring0
expect 1 "named twice.*invalid_argument: port" -- port backend gen,0 dpdk
expect 0 "gen .*net_ring0" -- show ports
expect 0 "sink .*net_ring1" -- show ports
expect 1 "invalid_argument: mac" -- neighbour add 10.1.0.3 02:00:00
expect 1 "not_found: index" -- acl del 9
expect 1 "invalid_argument: mode" -- mode set sink warp
expect 1 "not_found: port" -- port stop nosuchport
expect 1 "invalid_argument: size" -- gen set gen size=20
expect 2 "missing prefix" -- route add
expect 2 "unknown command" -- fly
expect 0 "^10.0.0.0/8" -- show routes
[ "$(lr show routes | wc -l)" = 2 ] || fail "an error path applied something"

# ---- bad input on one connection: errors, then it still works ----
python3 - "$sock" <<'EOF' || fail "bad input on a live connection"
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
f = s.makefile("rwb")
def send(b):
    f.write(b); f.flush()
    return json.loads(f.readline())
r = send(b'{"id":1,"cmd":"status"\n')
assert r["error"]["code"] == "bad_request", r
r = send(b'{"id":2,"cmd":"teleport"}\n')
assert r["error"]["code"] == "unknown_command" and r["id"] == 2, r
r = send(b'{"id":3,"cmd":"route add","args":{"prefix":"1.2.3.0/24","port":"p9"}}\n')
assert r["error"]["code"] == "not_found" and r["error"]["field"] == "port", r
r = send(b'{' + b'"x":"' + b'a' * 100000 + b'"}\n')
assert r["error"]["code"] == "too_large", r
r = send(b'{"id":4,"cmd":"show routes"}\n')
assert r["ok"] and len(r["result"]["routes"]) == 1, r
EOF

# ---- 10 000 clients, each answered ----
out=$("$cp_load" --socket "$sock" --clients 10000 --requests 1 --timeout 120000) ||
	fail "10000 clients: $out"
grep -q "answered=10000 errors=0" <<<"$out" || fail "10000 clients: $out"
echo "10000 clients ($loop): $out"

# ---- /metrics ----
curl -sf "http://127.0.0.1:$mport/metrics" >"$tmp/metrics" ||
	fail "curl /metrics"
"$promcheck" <"$tmp/metrics" || fail "exposition format"
grep -q '^linerate_drops_total{worker="0",core="[0-9]*",reason="no_route"} ' \
	"$tmp/metrics" || fail "no drop-reason series"
grep -q '^linerate_control_accepted_total ' "$tmp/metrics" ||
	fail "no control-socket series"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$mport/nope")
[ "$code" = 404 ] || fail "/nope answered $code"

# ---- SIGHUP reloads the file the daemon runs (all of it: the CLI-added
# route goes, the file's comes) ----
cat >>"$tmp/lr.yaml" <<EOF
routes:
  - {prefix: 192.168.0.0/16, port: sink}
EOF
kill -HUP "$pid"
for _ in $(seq 100); do
	lr show routes | grep -q 192.168.0.0/16 && break
	sleep 0.1
done
lr show routes | grep -q 192.168.0.0/16 || fail "SIGHUP did not reload"
kill -0 "$pid" || fail "SIGHUP killed the daemon"
lr show routes | grep -q 10.0.0.0/8 && fail "SIGHUP kept a route the file lacks"


# ---- config save -> reload -> save: identical ----
expect 0 "" -- config save path="$tmp/a.yaml"
expect 0 "" -- config reload path="$tmp/a.yaml"
expect 0 "" -- config save path="$tmp/b.yaml"
cmp "$tmp/a.yaml" "$tmp/b.yaml" || fail "save -> reload -> save differs"
grep -q "192.168.0.0/16" "$tmp/a.yaml" || fail "saved config lacks the route"
printf 'ports:\n  - name: gen\n    dev: [\n' >"$tmp/bad.yaml"
expect 1 "bad.yaml:" -- config reload path="$tmp/bad.yaml"
expect 0 "^192.168.0.0/16" -- show routes

# ---- an answer over 1 MiB (the CLI's old fixed buffer): 40 000 routes,
# ~1.7 MB on the wire ----
python3 - "$tmp/a.yaml" "$tmp/big.yaml" <<'PYEOF'
import sys
lines = open(sys.argv[1]).read().split('\n')
i = lines.index('routes:') + 1
big = ['  - {prefix: 10.%d.%d.0/24, port: sink}' % (n // 256, n % 256)
       for n in range(40000)]
open(sys.argv[2], 'w').write('\n'.join(lines[:i] + big + lines[i:]))
PYEOF
expect 0 "" -- config reload path="$tmp/big.yaml"
n=$(lr --json show routes | python3 -c \
	'import json,sys; print(len(json.load(sys.stdin)["routes"]))') ||
	fail "--json show routes of 40001 routes"
[ "$n" = 40001 ] || fail "show routes: $n routes, want 40001"
expect 0 "" -- config reload path="$tmp/a.yaml"

# ---- completion matches the verb table ----
"$linerate_bin" --completion | diff -u "$src/completions/linerate.bash" - ||
	fail "completions/linerate.bash is stale: regenerate with linerate --completion"

# ---- SIGTERM: exit 0, socket removed ----
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
pid=
[ "$rc" = 0 ] || fail "linerated exited $rc on SIGTERM"
[ ! -e "$sock" ] || fail "socket left behind"
# sd_notify: ready once serving, reloading around SIGHUP, stopping at the end
grep -q "^READY=1" "$tmp/notify.log" || fail "no READY=1"
grep -q "^RELOADING=1" "$tmp/notify.log" || fail "no RELOADING=1"
[ "$(tail -1 "$tmp/notify.log")" = "STOPPING=1" ] || fail "no final STOPPING=1"
echo "cp_e2e $loop: ok"
