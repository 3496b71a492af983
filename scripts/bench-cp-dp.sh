#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# bench-cp-dp.sh — does control-plane load slow the dataplane? io_uring and
# epoll side by side in one run, on a release build.
#
#   scripts/bench-cp-dp.sh [--build-dir DIR] [--rounds R] [--seconds S]
#                          [--loops "uring epoll"] [--conds "LIST"] [--rt]
#
# --rt: the worker thread runs SCHED_FIFO, as on a dedicated core: other
# processes on its CPU no longer time-share it (the kernel's RT throttling
# still leaves them 5 %). Only for short runs on a shared machine: it
# pushes everyone else's work onto the other CPUs.
#
# For each event-loop backend, linerated runs one io worker between two
# net_null vdevs (configs/bench/null-io.yaml: the worker forwards as fast
# as it can poll; nothing else on its CPU) pinned to the LAST CPU, its
# control thread on CPU 0, where cp_load runs too. The forwarded rate is
# the worker's tx_pkts over the daemon's clock (`show stats` at the two
# ends of a window of S seconds of steady load: connecting is outside).
# On a shared machine the worker's CPU is time-shared with whatever else
# runs there, so the script also divides the packets by the worker
# thread's own run time (schedstat): "on-CPU rate", the worker's speed
# while it runs, which the control plane could only change through the
# hardware (shared caches, SMT siblings, cache-line bouncing), not through
# the scheduler.
#
# Conditions (each once per round, the order rotated round by round):
#   idle, idle2         nothing: their ratio is the noise floor
#   burn                a plain busy loop on CPU 0 that never talks to the
#                       daemon (what any process on CPU 0 costs)
#   status:N            N clients, closed loop of `status` (no counters)
#   stats:N             N clients, closed loop of `show stats` (every
#                       request reads the worker's counter block)
#   watch:N:MS          N clients subscribed to `stats watch` every MS ms
# Per round and backend, each condition's rate is divided by the mean of
# the two idle windows of that daemon; printed: the median over rounds and
# the min-max, with requests/s and p99 (medians) of the load. Each round
# runs both backends, each on a fresh daemon, their order alternating.
# First, memory per idle client: daemon RSS with 10 000 idle connected
# clients minus before, / 10 000.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/bench-cp-lib.sh
. "$here/scripts/bench-cp-lib.sh"
builddir="$here/build-cl-rel"
rounds=5
secs=2
loops="uring epoll"
rt=
conds="idle idle2 burn status:1 status:100 status:10000 stats:1 stats:100 stats:10000 watch:10000:1000"

while [ $# -gt 0 ]; do
	case "$1" in
	--build-dir) builddir=$2; shift ;;
	--rounds) rounds=$2; shift ;;
	--seconds) secs=$2; shift ;;
	--loops) loops=$2; shift ;;
	--conds) conds=$2; shift ;;
	--rt) rt=1 ;;
	-h|--help) sed -n '3,30p' "$0"; exit 0 ;;
	*) echo "bench-cp-dp.sh: unknown argument '$1'" >&2; exit 2 ;;
	esac
	shift
done

bcp_build
tmp=$(mktemp -d /tmp/lr-cl-cpdp.XXXXXX)
wcpu=$(($(nproc) - 1))
pid= lpid= bpid=

cleanup() {
	for p in $lpid $bpid; do
		kill "$p" 2>/dev/null || true
	done
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

cat >"$tmp/bench.yaml" <<EOF
eal:
  file_prefix: lr-cl-$$
  main_core: 0
  memory_mb: 128
ports:
  - {name: p0, dev: "net_null0", mode: io, peer: p1}
  - {name: p1, dev: "net_null1", mode: io, peer: p0}
workers:
  - {core: $wcpu, ports: [p0, p1]}
EOF

# worker packets sent, the daemon's monotonic time (ns), the worker
# thread's run time (ns)
sample() {
	local j run
	j=$("$linerate" -s "$sock" --timeout 30000 --json show stats)
	run=$(cut -d' ' -f1 "/proc/$pid/task/$wtid/schedstat")
	python3 -c '
import json, sys
r = json.loads(sys.argv[1])
print(r["total"]["tx_pkts"], r["time_ns"], sys.argv[2])' "$j" "$run"
}

# window: forwarded packets/s over S s; the load's numbers in $tmp/load.out
window() {
	local c=$1 n= kind= ms= p0 t0 r0 p1 t1 r1
	: >"$tmp/load.out"
	case "$c" in
	idle|idle2) ;;
	burn)
		taskset -c 0 sh -c 'while :; do :; done' &
		bpid=$!
		sleep 0.3 ;;
	*)
		IFS=: read -r kind n ms <<<"$c"
		case "$kind" in
		status) args=(--cmd status) ;;
		stats) args=(--cmd "show stats") ;;
		watch) args=(--watch "$ms") ;;
		esac
		taskset -c 0 "$cp_load" --socket "$sock" --clients "$n" \
			--duration "$(((secs + 1) * 1000))" --timeout 120000 \
			"${args[@]}" >"$tmp/load.out" 2>&1 &
		lpid=$!
		for _ in $(seq 3000); do
			grep -q '^running' "$tmp/load.out" && break
			kill -0 "$lpid" 2>/dev/null || break
			sleep 0.02
		done
		sleep 0.3 ;;
	esac
	read -r p0 t0 r0 < <(sample)
	sleep "$secs"
	read -r p1 t1 r1 < <(sample)
	if [ -n "$bpid" ]; then
		kill "$bpid"; wait "$bpid" 2>/dev/null || true; bpid=
	fi
	if [ -n "$lpid" ]; then
		wait "$lpid" || echo "cp_load failed: $(cat "$tmp/load.out")" >&2
		lpid=
	fi
	python3 -c "print(($p1-$p0)/(($t1-$t0)/1e9), ($p1-$p0)/(($r1-$r0)/1e9))"
}

start_daemon() {
	bcp_start_daemon
	wtid=
	for t in /proc/"$pid"/task/*; do
		[ "$(cat "$t/comm")" = lr-worker0 ] && wtid=${t##*/}
	done
	[ -n "$wtid" ] || { echo "no lr-worker0 thread" >&2; exit 1; }
	if [ -n "$rt" ]; then
		chrt -f -p 1 "$wtid"
	fi
}

stop_daemon() {
	kill -TERM "$pid"
	wait "$pid" || true
	pid=
}

declare -A mem
for loop in $loops; do
	start_daemon
	# memory per idle client (on a fresh daemon: later phases grow the
	# heap)
	bcp_idle_clients_rss
	mem[$loop]=$(python3 -c "print(round(($during-$before)*1024/10000))")
	stop_daemon
	: >"$tmp/$loop.rows"
done

# Rounds: in each, every backend (a fresh daemon each time, the backends'
# order alternating) runs every condition, the order rotated by round: the
# two backends see the same machine, minutes apart at most.
set -- $conds
nc=$#
nl=$(wc -w <<<"$loops")
for r in $(seq "$rounds"); do
	order=()
	for i in $(seq 0 $((nc - 1))); do
		j=$(((i + r - 1) % nc + 1))
		order+=("${!j}")
	done
	lorder=($loops)
	if [ $((r % 2)) -eq 0 ] && [ "$nl" -gt 1 ]; then
		lorder=($(tr ' ' '\n' <<<"$loops" | tac))
	fi
	for loop in "${lorder[@]}"; do
		start_daemon
		sleep 1
		for c in "${order[@]}"; do
			rate=$(window "$c")
			rps=$(sed -n 's/.* rps=\([0-9.]*\).*/\1/p' "$tmp/load.out")
			p99=$(sed -n 's/.* p99_us=\([0-9.]*\).*/\1/p' "$tmp/load.out")
			echo "$r $c $rate ${rps:-0} ${p99:-0}" >>"$tmp/$loop.rows"
		done
		stop_daemon
	done
	echo "bench-cp-dp: round $r/$rounds done" >&2
done

report=()
for loop in $loops; do
	if [ -n "${BENCH_KEEP:-}" ]; then
		cp "$tmp/$loop.rows" "$BENCH_KEEP.$loop.rows"
	fi
	report+=("$(python3 - "$tmp/$loop.rows" "$loop" "${mem[$loop]}" "$conds" <<'PY'
import statistics as st, sys
rows = [l.split() for l in open(sys.argv[1])]
loop, mem, conds = sys.argv[2], sys.argv[3], sys.argv[4].split()
by = {}
for r, c, rate, cpu, rps, p99 in rows:
    by.setdefault(int(r), {})[c] = (float(rate), float(cpu), float(rps),
                                    float(p99))
def ratios(c, k):
    out = []
    for v in by.values():
        if c == 'idle2':
            out.append(v['idle2'][k] / v['idle'][k])
        else:
            out.append(v[c][k] / st.mean([v['idle'][k], v['idle2'][k]]))
    return out
def fmt(x):
    return '%6.3f (%.3f-%.3f)' % (st.median(x), min(x), max(x))
idle = [st.mean([v['idle'][0], v['idle2'][0]]) for v in by.values()]
icpu = [st.mean([v['idle'][1], v['idle2'][1]]) for v in by.values()]
out = ['%s: idle forwarded %.2f Mpps, on-CPU %.2f Mpps (medians of %d '
       'rounds); %s bytes per idle client' % (loop, st.median(idle) / 1e6,
       st.median(icpu) / 1e6, len(idle), mem)]
out.append('  %-16s %-22s %-22s %9s %9s' % ('condition', 'fwd rate ratio',
           'on-CPU rate ratio', 'req/s', 'p99_us'))
for c in conds:
    if c == 'idle':
        continue
    name = 'idle2/idle' if c == 'idle2' else c.replace(':', ' ', 1)
    rps = st.median([v[c][2] for v in by.values()])
    p99 = st.median([v[c][3] for v in by.values()])
    out.append('  %-16s %-22s %-22s %9.0f %9.0f' % (name, fmt(ratios(c, 0)),
               fmt(ratios(c, 1)), rps, p99))
print('\n'.join(out))
PY
)")
done

echo
echo "dataplane under control-plane load ($(nproc) CPUs, worker on CPU" \
	"$wcpu${rt:+ (SCHED_FIFO)}, control thread and cp_load on CPU 0, $(uname -r), load" \
	"average $(cut -d' ' -f1-3 /proc/loadavg), ${secs}s windows," \
	"$rounds rounds)"
echo "ratio = forwarded rate in the window / mean of the round's two idle" \
	"windows (median over rounds, min-max); idle2/idle is the noise floor"
printf '%s\n' "${report[@]}"
