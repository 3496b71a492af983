#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# bench-afxdp.sh — AF_XDP forwarding side by side, in one run, on one
# netns/veth lab (tests/integration/afxdp_lab.sh): not a test, a
# measurement. Modes, each run ROUNDS times, interleaved:
#
#   linerate  afxdp_fwd: our backend's ops, macswap (no dataplane)
#   daemon    linerated with two afxdp ports, io mode d0 -> d1 (the whole
#             dataplane: workers, pipeline, counters)
#   testpmd   dpdk-testpmd, net_af_xdp vdevs on the same veths, macswap
#   kernel    kern_fwd (the kernel-stack backend) with -k MODEL, when built
#
#   scripts/bench-afxdp.sh [-b BUILD_DIR] [-t SECONDS] [-s SIZE] [-r ROUNDS]
#                          [-k KERNEL_MODEL] [-m MODES] [-w SECONDS]
#
# Defaults: build-afxdp-rel (configure it with `meson setup
# build-afxdp-rel -Dbuildtype=release`), 3 s, 60-byte frames, 3 rounds,
# kernel model mmsg, modes "linerate daemon testpmd kernel", -w 0 (else:
# wait up to SECONDS before each round for CPUs 0 and 1 to be 80 % idle,
# and print how idle they were). On a machine
# shared with other work, dut-wait (time the DUT was runnable but had no
# CPU) says how much of a mode's figure is contention; nice does not help
# against other sessions' processes (autogroup scheduling).
#
# Topology: the generator (afxdp_gen, sendmmsg on AF_PACKET) runs pinned
# to CPU 0 in the generator namespace and sends on lrxd-g0; the DUT runs
# pinned to CPU 1 and forwards lrxd-d0 -> lrxd-d1; lrxd-g1 drops what
# arrives with an XDP program (sink_drop), and its rx_packets counter is
# the forwarded count. veth does its receive work on the *sending* core:
# CPU 0 pays for the generator and for XDP + the copy into the UMEM on
# lrxd-d0; CPU 1 pays for the DUT, its TX copy and the sink's XDP.
#
# Per mode it prints offered and forwarded rate (median of the rounds),
# loss, what limited it (no loss: the generator; loss at the DUT's rings:
# the DUT core, or other processes on CPU 1 when the DUT waited for it more
# than 10 % of the run: dut-wait, from schedstat) and the DUT's cycles per
# packet twice: tsc_cpp, TSC busy cycles / packets as the program counts
# them (testpmd's --record-core-cycles), which grow while the DUT is
# preempted; cpu_cpp, the DUT's scheduler run time / forwarded packets at
# the CPU's clock, which does not (the figure to compare on a busy machine).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$here/build-afxdp-rel
secs=3
size=60
rounds=3
kmodel=mmsg
modes="linerate daemon testpmd kernel"
wait=0

while getopts "b:t:s:r:k:m:w:h" o; do
	case $o in
	b) build=$OPTARG ;;
	t) secs=$OPTARG ;;
	s) size=$OPTARG ;;
	r) rounds=$OPTARG ;;
	k) kmodel=$OPTARG ;;
	m) modes=$OPTARG ;;
	w) wait=$OPTARG ;;
	*) sed -n '3,31p' "$0"; exit 2 ;;
	esac
done

fwd=$build/tests/integration/afxdp_fwd
gen=$build/tests/integration/afxdp_gen
sink=$build/tests/bpf/sink_drop.bpf.o
kfwd=$build/tests/integration/kern_fwd
lrd=$build/controlplane/linerated
for f in "$fwd" "$gen" "$sink"; do
	[ -e "$f" ] || { echo "bench-afxdp: $f missing: build $build first" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "bench-afxdp: needs root" >&2; exit 1; }

. "$here/tests/integration/afxdp_lab.sh"
tmp=$(mktemp -d)
LAB_PIDS=
cleanup() {
	lab_down
	rm -rf "$tmp"
	rm -rf /dev/hugepages/lr-xd-bench$$* /var/run/dpdk/lr-xd-bench$$* 2>/dev/null || true
}
lab_up 1
trap cleanup EXIT
ip -n "$LAB_G" link set dev lrxd-g1 xdpdrv obj "$sink" sec xdp
d0mac=$(lab_mac "$LAB_D" lrxd-d0)

mhz=$(awk -F: '/^cpu MHz/ {printf "%.0f", $2; exit}' /proc/cpuinfo)

# Scheduler time of a process's threads: "RUN_NS WAIT_NS" (on a CPU;
# runnable but waiting for one), from /proc/PID/task/*/schedstat.
sched_ns() {
	cat /proc/"$1"/task/*/schedstat 2>/dev/null |
		awk '{r += $1; w += $2} END {printf "%d %d", r, w}'
}

# measure PID: r0/r1 forwarded counters around one generator run; dutwait:
# its threads' runnable-but-waiting time as a share of the run (CPU 1
# taken by other processes).
# dutcpp: the DUT's CPU time per forwarded packet, in cycles at the CPU's
# clock: unlike TSC busy cycles it does not grow while the DUT waits for
# the CPU, and it includes the softirq work its syscalls do (no
# IRQ_TIME_ACCOUNTING here), e.g. the copy-mode TX path.
measure() {
	local s0 s1
	s0=$(sched_ns "$1")
	r0=$(g1_rx); run_gen; r1=$(g1_rx)
	s1=$(sched_ns "$1")
	dutwait=$(echo "$s0 $s1" | awk -v t="$gsecs" \
		'{printf "%.0f", 100 * ($4 - $2) / 1e9 / t}')
	dutcpp=$(echo "$s0 $s1" | awk -v f="$((r1 - r0))" -v mhz="$mhz" \
		'{printf "%.0f", (f > 0) ? ($3 - $1) / 1e3 * mhz / f : 0}')
}

g1_rx() { ip netns exec "$LAB_G" cat /sys/class/net/lrxd-g1/statistics/rx_packets; }

# run_gen: send for $secs from CPU 0; sets sent, gsecs
run_gen() {
	local out
	out=$(ip netns exec "$LAB_G" "$gen" -i lrxd-g0 -c 0 -t "$secs" \
		-n 100000000 -s "$size" -d "$d0mac")
	sent=$(echo "$out" | awk '{print $3}')
	gsecs=$(echo "$out" | awk '{print $6}')
}

# one_linerate ROUND: prints "offered forwarded cpp limit"
one_linerate() {
	local r0 r1 pid cpp drops
	rm -f "$tmp/ready"
	ip netns exec "$LAB_D" taskset -c 1 "$fwd" --mode macswap --xstats \
		--seconds $((secs + 20)) --ready "$tmp/ready" lrxd-d0 lrxd-d1 \
		>"$tmp/lr.out" 2>"$tmp/lr.err" &
	pid=$!; LAB_PIDS=$pid
	lab_wait_file "$tmp/ready" 10 "$pid" || { cat "$tmp/lr.err"; return 1; }
	sleep 0.3
	measure "$pid"
	kill -TERM "$pid"; wait "$pid" || true; LAB_PIDS=
	cpp=$(sed -n 's/.* \([0-9.]*\) cycles\/pkt.*/\1/p' "$tmp/lr.out")
	drops=$(awk '/^xstat p0 xsk_rx_(ring_full|dropped)/ {s += $4} END {print s + 0}' "$tmp/lr.out")
	echo "$sent $((r1 - r0)) $gsecs ${cpp:-0} $dutcpp dut-wait=$dutwait%,rx-ring-drops=$drops"
}

one_daemon() {
	local r0 r1 pid cpp n=0
	[ -x "$lrd" ] || return 2
	cat >"$tmp/lrd.yaml" <<YAML
ports:
  - {name: a, backend: afxdp, dev: lrxd-d0, mode: io, peer: b}
  - {name: b, backend: afxdp, dev: lrxd-d1, mode: io, peer: a}
workers:
  - {core: 1, ports: [a, b]}
YAML
	ip netns exec "$LAB_D" "$lrd" -c "$tmp/lrd.yaml" --no-huge -q \
		--file-prefix "lr-xd-bench$$-d" --summary >"$tmp/lrd.out" 2>&1 &
	pid=$!; LAB_PIDS=$pid
	until grep -q "frames per pool" "$tmp/lrd.out" && [ "$(grep -c "frames per pool" "$tmp/lrd.out")" = 2 ]; do
		sleep 0.1; n=$((n + 1))
		if [ $n -gt 100 ] || ! kill -0 "$pid" 2>/dev/null; then
			cat "$tmp/lrd.out" >&2; return 1
		fi
	done
	sleep 0.5
	measure "$pid"
	kill -TERM "$pid"; wait "$pid" || true; LAB_PIDS=
	cpp=$(sed -n 's/^final worker=0 .*cycles_per_pkt=\([0-9.]*\).*/\1/p' "$tmp/lrd.out")
	local drops
	drops=$(sed -n 's/^final port=a .*dev_xsk_rx_ring_full=\([0-9]*\).*/\1/p' "$tmp/lrd.out")
	echo "$sent $((r1 - r0)) $gsecs ${cpp:-0} $dutcpp dut-wait=$dutwait%,rx-ring-drops=${drops:-?}"
}

one_testpmd() {
	local r0 r1 pid cpp miss n=0
	command -v dpdk-testpmd >/dev/null || return 2
	rm -f "$tmp/tp.in"
	mkfifo "$tmp/tp.in"
	# Non-interactive: forwards at once, stops and prints its statistics
	# when a line arrives on stdin. stdbuf: see "Press enter" as it comes.
	ip netns exec "$LAB_D" stdbuf -oL dpdk-testpmd -l 0,1 --main-lcore 0 \
		--no-pci --in-memory --file-prefix "lr-xd-bench$$" -m 256 \
		--vdev net_af_xdp0,iface=lrxd-d0 --vdev net_af_xdp1,iface=lrxd-d1 \
		-- --forward-mode=macswap --nb-cores=1 --record-core-cycles \
		--auto-start --stats-period 0 \
		<"$tmp/tp.in" >"$tmp/tp.out" 2>&1 &
	pid=$!; LAB_PIDS=$pid
	exec 3>"$tmp/tp.in"
	until grep -q "Press enter to exit" "$tmp/tp.out" 2>/dev/null; do
		sleep 0.2; n=$((n + 1))
		if [ $n -gt 100 ] || ! kill -0 "$pid" 2>/dev/null; then
			cat "$tmp/tp.out" >&2; exec 3>&-; return 1
		fi
	done
	sleep 0.3
	measure "$pid"
	echo >&3; exec 3>&-
	wait "$pid" || true; LAB_PIDS=
	cpp=$(sed -n 's/.*CPU cycles\/packet=\([0-9.]*\).*/\1/p' "$tmp/tp.out" | tail -1)
	miss=$(awk '/Forward statistics for port 0/ {p=1} p && /RX-dropped/ {print $4; exit}' "$tmp/tp.out")
	echo "$sent $((r1 - r0)) $gsecs ${cpp:-0} $dutcpp dut-wait=$dutwait%,rx-dropped=${miss:-?}"
}

one_kernel() {
	local r0 r1 pid
	[ -x "$kfwd" ] || return 2
	ip netns exec "$LAB_D" taskset -c 1 "$kfwd" -m "$kmodel" \
		-t $((secs + 20)) lrxd-d0 lrxd-d1 >"$tmp/k.out" 2>&1 &
	pid=$!; LAB_PIDS=$pid
	local n=0
	until grep -q ready "$tmp/k.out"; do
		sleep 0.1; n=$((n + 1))
		[ $n -lt 100 ] && kill -0 "$pid" 2>/dev/null || { cat "$tmp/k.out"; return 1; }
	done
	sleep 0.3
	measure "$pid"
	kill -TERM "$pid"; wait "$pid" || true; LAB_PIDS=
	echo "$sent $((r1 - r0)) $gsecs 0 $dutcpp dut-wait=$dutwait%,kernel-model=$kmodel"
}

echo "bench-afxdp: $(nproc) CPUs, $(uname -r), frame $size B, $secs s x $rounds rounds"
echo "  CPU: $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)"
declare -A res
# Idle share of CPUs 0 and 1 over 0.5 s (the lower of the two), in %.
cpu_idle() {
	local a b
	a=$(grep -E '^cpu[01] ' /proc/stat)
	sleep 0.5
	b=$(grep -E '^cpu[01] ' /proc/stat)
	printf "%s\n%s\n" "$a" "$b" | awk '{t = 0; for (i = 2; i <= 9; i++) t += $i
		if (NR <= 2) {t0[NR] = t; i0[NR] = $5} else {
			k = NR - 2; idle = 100 * ($5 - i0[k]) / (t - t0[k])
			if (k == 1 || idle < m) m = idle}} END {printf "%.0f", m}'
}

for r in $(seq 1 "$rounds"); do
	# Start each round in a quiet moment if one comes within $wait s: on a
	# machine shared with other work that is what makes rounds comparable.
	n=0
	while [ "$wait" -gt 0 ] && [ "$(cpu_idle)" -lt 80 ] && [ $n -lt $((wait * 2)) ]; do
		n=$((n + 1))
	done
	[ "$wait" -gt 0 ] && echo "  round $r: CPU 0/1 idle $(cpu_idle)% at start (waited ${n}x0.5 s)"
	for m in $modes; do
		line=$("one_$m" "$r") || { echo "  $m: not available"; continue; }
		echo "  round $r $m: $line"
		res[$m]+="$line"$'\n'
	done
done

echo
printf "%-9s %10s %10s %6s %9s %9s  %s\n" mode offered_pps fwd_pps loss% tsc_cpp cpu_cpp "limited by"
declare -A med medc
for m in $modes; do
	[ -n "${res[$m]:-}" ] || continue
	# median by forwarded rate
	line=$(echo -n "${res[$m]}" | awk '{printf "%.0f %.0f %s %s %s\n", $1 / $3, $2 / $3, $4, $5, $6}' |
		sort -n -k2 | awk '{a[NR] = $0} END {print a[int((NR + 1) / 2)]}')
	read -r off fw cpp ccpp note <<<"$line"
	# median CPU cycles per packet over the rounds (its own median)
	ccpp=$(echo -n "${res[$m]}" | awk '{print $5}' | sort -n |
		awk '{a[NR] = $0} END {print a[int((NR + 1) / 2)]}')
	loss=$(awk -v o="$off" -v f="$fw" 'BEGIN {printf "%.1f", (o > 0) ? 100 * (o - f) / o : 0}')
	dw=$(echo "$note" | sed -n 's/.*dut-wait=\([0-9]*\)%.*/\1/p')
	lim=$(awk -v l="$loss" -v w="${dw:-0}" 'BEGIN {
		if (l < 1.0) print "generator (CPU 0): the DUT kept up"
		else if (w > 10) print "CPU 1 shared: the DUT lost frames at its rings, waiting for CPU 1 " w "% of the run"
		else print "DUT (CPU 1): frames lost at its rings"}')
	printf "%-9s %10s %10s %6s %9s %9s  %s (%s)\n" "$m" "$off" "$fw" "$loss" "$cpp" "$ccpp" "$lim" "$note"
	med[$m]=$fw
	medc[$m]=$ccpp
done
# Per-round ratio (rounds are minutes apart, modes seconds apart: the
# ratio within a round shares its conditions), median over the rounds.
if [ -n "${res[linerate]:-}" ] && [ -n "${res[testpmd]:-}" ]; then
	paste <(echo -n "${res[linerate]}" | awk '{print $2 / $3}') \
		<(echo -n "${res[testpmd]}" | awk '{print $2 / $3}') |
		awk '$2 > 0 {print $1 / $2}' | sort -n |
		awk '{a[NR] = $0; l = l sprintf(" %.2f", $0)} END {if (NR)
			printf "\nlinerate / testpmd forwarded rate per round:%s; median %.2fx\n", l, a[int((NR + 1) / 2)]}'
fi
if [ -n "${med[linerate]:-}" ] && [ -n "${med[testpmd]:-}" ] && [ "${med[testpmd]}" -gt 0 ]; then
	awk -v a="${med[linerate]}" -v b="${med[testpmd]}" -v c="${medc[linerate]}" -v d="${medc[testpmd]}" \
		'BEGIN {printf "\nlinerate / testpmd forwarded rate: %.2fx; DUT CPU cycles per packet: %.2fx (rate a DUT core could sustain: %.2fx)\n", a / b, c / d, (c > 0) ? d / c : 0}'
fi
