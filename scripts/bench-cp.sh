#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# bench-cp.sh — the control plane under load, io_uring and epoll side by
# side in one run, on a release build.
#
#   scripts/bench-cp.sh [--build-dir DIR] [--seconds S] [--cmd VERB]
#                       [--pairs N]
#
# For each event-loop backend: start linerated (demo topology on net_ring
# vdevs: generator at full rate -> io worker on CPU 1 -> sink; control
# thread on CPU 0), then
#   1. memory per idle client: the daemon's RSS with 10 000 connected idle
#      clients minus its RSS before, divided by 10 000,
#   2. cp_load (pinned to CPU 0) with 1, 100 and 10 000 clients for S
#      seconds each, closed loop: requests/s and p50/p99 latency, and the
#      dataplane's forwarded rate (sink packets/s) during the load as a
#      ratio to the mean of the idle windows just before and after it,
#   3. isolation, less sensitive to other load on the machine: N times
#      (1 s idle, 1 s of 100 clients) and (1 s idle, 1 s of a plain CPU
#      burner pinned to the control CPU); the medians of the two
#      forwarded-rate ratios, and the first over the second: what the
#      control plane costs the dataplane beyond any busy process on the
#      control CPU.
# Prints one table; timings are noisy on a shared 2-core VM, so compare the
# two backends within one run. scripts/bench-cp-dp.sh measures the
# dataplane side more carefully (net_null worker alone on the last CPU,
# status / show stats / stats watch loads, idle-vs-idle noise floor, and
# the worker's on-CPU rate, which the scheduler's sharing does not move).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/bench-cp-lib.sh
. "$here/scripts/bench-cp-lib.sh"
builddir="$here/build-cp-rel"
secs=3
cmd=status
pairs=10

while [ $# -gt 0 ]; do
	case "$1" in
	--build-dir) builddir=$2; shift ;;
	--seconds) secs=$2; shift ;;
	--cmd) cmd=$2; shift ;;
	--pairs) pairs=$2; shift ;;
	-h|--help) sed -n '3,20p' "$0"; exit 0 ;;
	*) echo "bench-cp.sh: unknown argument '$1'" >&2; exit 2 ;;
	esac
	shift
done

bcp_build
tmp=$(mktemp -d /tmp/lr-cf-bench.XXXXXX)
pid=

cleanup() {
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

cat >"$tmp/bench.yaml" <<EOF
eal:
  file_prefix: lr-cf-bench-$$
  main_core: 0
  memory_mb: 256
ports:
  - name: gen
    dev: net_ring0
    mode: io
    peer: sink
    generator:
      flows: 64
      frame_size: 64
      rate_pps: max
  - name: sink
    dev: net_ring1
    rx: sink
workers:
  - core: 1
    ports: [gen, sink]
EOF

# sink packets and the daemon's monotonic time (ns)
sample() {
	"$linerate" -s "$sock" --json show stats | python3 -c '
import json, sys
r = json.load(sys.stdin)
print(r["total"]["sink"]["pkts"], r["time_ns"])'
}

# rate between two samples, packets/s
rate() {
	python3 -c "a=$1;b=$2;c=$3;d=$4;print((c-a)/((d-b)/1e9))"
}

results=()
mem=()
iso=()
for loop in uring epoll; do
	bcp_start_daemon

	# memory per idle client (first: later phases grow the heap)
	bcp_idle_clients_rss
	per=$(python3 -c "print(($during-$before)*1024/10000)")
	mem+=("$(printf '%-8s %6.0f bytes/client (daemon RSS %s -> %s KiB with 10000 idle clients)' \
		"$loop" "$per" "$before" "$during")")

	# idle | load | idle windows; the load's forwarded rate against the
	# mean of the idle windows around it
	idle_rate() {
		read -r p0 t0 < <(sample)
		sleep "$secs"
		read -r p1 t1 < <(sample)
		rate "$p0" "$t0" "$p1" "$t1"
	}
	for n in 1 100 10000; do
		i0=$(idle_rate)
		read -r p0 t0 < <(sample)
		out=$(taskset -c 0 "$cp_load" --socket "$sock" --clients "$n" \
			--duration "$((secs * 1000))" --cmd "$cmd" \
			--timeout 120000)
		read -r p1 t1 < <(sample)
		i1=$(idle_rate)
		fwd=$(rate "$p0" "$t0" "$p1" "$t1")
		rps=$(sed -n 's/.* rps=\([0-9.]*\).*/\1/p' <<<"$out")
		p50=$(sed -n 's/.* p50_us=\([0-9.]*\).*/\1/p' <<<"$out")
		p99=$(sed -n 's/.* p99_us=\([0-9.]*\).*/\1/p' <<<"$out")
		results+=("$(printf '%-8s %-9s %10s %10s %10s %10.3f %10.3f %8.3f' \
			"$loop" "$n" "$rps" "$p50" "$p99" \
			"$(python3 -c "print(($i0+$i1)/2/1e6)")" \
			"$(python3 -c "print($fwd/1e6)")" \
			"$(python3 -c "print($fwd/(($i0+$i1)/2))")")")
	done

	# ratio of the forwarded rate during 1 s of $@ to the 1 s before
	pair() {
		read -r p0 t0 < <(sample)
		sleep 1
		read -r p1 t1 < <(sample)
		"$@" >/dev/null 2>&1 || true
		read -r p2 t2 < <(sample)
		python3 -c "print(($p2-$p1)/($t2-$t1)/(($p1-$p0)/($t1-$t0)))"
	}
	ratios=() burns=()
	for _ in $(seq "$pairs"); do
		ratios+=("$(pair taskset -c 0 "$cp_load" --socket "$sock" \
			--clients 100 --duration 1000 --cmd "$cmd")")
		# the control: a plain CPU burner on the control CPU, which
		# never talks to the daemon
		burns+=("$(pair timeout 1 taskset -c 0 sh -c 'while :; do :; done')")
	done
	iso+=("$(python3 -c "
import statistics as s
r=[float(x) for x in '${ratios[*]}'.split()]
b=[float(x) for x in '${burns[*]}'.split()]
print('%-8s %d pairs: control load %.3f (%.3f-%.3f), CPU burner %.3f (%.3f-%.3f), load/burner %.3f' % ('$loop', len(r), s.median(r), min(r), max(r), s.median(b), min(b), max(b), s.median(r)/s.median(b)))")")

	kill -TERM "$pid"
	wait "$pid" || true
	pid=
done

echo
echo "control plane under load ($(nproc) CPUs, $(uname -r), load average" \
	"$(cut -d' ' -f1-3 /proc/loadavg), command '$cmd', ${secs}s windows)"
printf '%-8s %-9s %10s %10s %10s %10s %10s %8s\n' loop clients req/s p50_us \
	p99_us "idle Mpps" "load Mpps" ratio
printf '%s\n' "${results[@]}"
printf '%s\n' "${mem[@]}"
echo "forwarded rate during / before, alternating 1 s windows (median, min-max):"
printf '%s\n' "${iso[@]}"
