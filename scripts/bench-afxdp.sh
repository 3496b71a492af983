#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# bench-afxdp.sh — AF_XDP forwarding side by side, in one run, on one
# netns/veth lab (tests/integration/afxdp_lab.sh): not a test, a
# measurement. Modes, each run ROUNDS times, interleaved:
#
#   linerate  afxdp_fwd: our backend's ops, macswap (no dataplane)
#   nobusy    the same with busy polling off (busy_poll=0): no recvfrom on
#             an empty RX ring, so veth's receive work stays on CPU 0
#   daemon    linerated with two afxdp ports, io mode d0 -> d1 (the whole
#             dataplane: workers, pipeline, counters)
#   testpmd   dpdk-testpmd, net_af_xdp vdevs on the same veths, macswap
#   kernel    kern_fwd (the kernel-stack backend), once per model of -k
#             (shown as k-MODEL), when built
#
#   scripts/bench-afxdp.sh [-b BUILD_DIR] [-t SECONDS] [-s SIZE] [-r ROUNDS]
#                          [-k "KERNEL_MODELS"] [-m MODES] [-w SECONDS]
#
# Defaults: build-afxdp-rel (configure it with `meson setup
# build-afxdp-rel -Dbuildtype=release`), 3 s, 60-byte frames, 3 rounds,
# kernel models "mmsg tpacket-v3", modes "linerate nobusy daemon testpmd
# kernel", -w 0 (else:
# wait up to SECONDS before each round for CPUs 0 and 1 to be 80 % idle,
# and print how idle they were). On a machine
# shared with other work, dut-wait (time the DUT was runnable but had no
# CPU) says how much of a mode's figure is contention; nice does not help
# against other sessions' processes (autogroup scheduling).
#
# Topology: the generator (afxdp_gen, sendmmsg on AF_PACKET) runs pinned
# to CPU 0 in the generator namespace and sends on lrx2-g0; the DUT runs
# pinned to CPU 1 and forwards lrx2-d0 -> lrx2-d1; lrx2-g1 drops what
# arrives with an XDP program (sink_drop), and its rx_packets counter is
# the forwarded count. veth does its receive work on the *sending* core:
# CPU 0 pays for the generator and for XDP + the copy into the UMEM on
# lrx2-d0; CPU 1 pays for the DUT, its TX copy and the sink's XDP.
#
# Per mode it prints offered and forwarded rate (median of the rounds),
# loss, what limited it (no loss: the generator; loss at the DUT's rings:
# the DUT core, or other processes on CPU 1 when the DUT waited for it more
# than 10 % of the run: dut-wait, from schedstat) and the DUT's cycles per
# packet twice: tsc_cpp, TSC busy cycles / packets as the program counts
# them (testpmd's --record-core-cycles), which grow while the DUT is
# preempted; cpu_cpp, the DUT's scheduler run time / forwarded packets at
# the CPU's clock, which does not (the figure to compare on a busy machine).
# Also per mode: ksoftirqd/1's share of the run (softirq work that CPU 1
# could not do inline and ran in a thread competing with the DUT), the
# DUT's involuntary context switches, and CPU 1's softirq share from
# /proc/stat (tick-sampled) — where the DUT's waiting for CPU 1 comes from.
#
# Method printed at the end: modes of a round run back to back (seconds
# apart, same conditions); ratios are computed per round, then the median
# over rounds is reported (and every round's ratio), for the forwarded
# rate against testpmd and for DUT CPU cycles/packet against testpmd and
# against the cheapest kernel-stack model of the same round.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$here/build-afxdp-rel
secs=3
size=60
rounds=3
kmodels="mmsg tpacket-v3"
modes="linerate nobusy daemon testpmd kernel"
wait=0

while getopts "b:t:s:r:k:m:w:h" o; do
	case $o in
	b) build=$OPTARG ;;
	t) secs=$OPTARG ;;
	s) size=$OPTARG ;;
	r) rounds=$OPTARG ;;
	k) kmodels=$OPTARG ;;
	m) modes=$OPTARG ;;
	w) wait=$OPTARG ;;
	*) sed -n '3,48p' "$0"; exit 2 ;;
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
	rm -rf /dev/hugepages/lr-x2-bench$$* /var/run/dpdk/lr-x2-bench$$* 2>/dev/null || true
}
lab_up 1
trap cleanup EXIT
ip -n "$LAB_G" link set dev lrx2-g1 xdpdrv obj "$sink" sec xdp
d0mac=$(lab_mac "$LAB_D" lrx2-d0)

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
ksoftirqd1=$(pgrep -x ksoftirqd/1 | head -1 || true)
perf=$(command -v perf || true)
perf_ev=
for e in sendto recvfrom poll ppoll epoll_wait select sched_yield sendmmsg recvmmsg io_uring_enter; do
	perf_ev+="${perf_ev:+,}syscalls:sys_enter_$e"
done
# softirq and total jiffies of CPU 1
cpu1_si() { awk '$1 == "cpu1" {t = 0; for (i = 2; i <= 9; i++) t += $i; print $8, t}' /proc/stat; }
# context switches of a process's threads: "VOLUNTARY INVOLUNTARY"
nvcsw() { awk '/^voluntary_ctxt_switches/ {v += $2} /^nonvoluntary_ctxt_switches/ {n += $2}
	END {print v + 0, n + 0}' /proc/"$1"/task/*/status 2>/dev/null; }
measure() {
	local s0 s1 k0 k1 c0 c1 v0 v1
	# The DUT's syscalls by kind (tracepoints: no HW counters needed).
	local perfpid=
	if [ -n "$perf" ]; then
		perf stat -x, -o "$tmp/perf.out" -p "$1" -e "$perf_ev" 2>/dev/null &
		perfpid=$!
		sleep 0.2
	fi
	s0=$(sched_ns "$1"); k0=$(sched_ns "${ksoftirqd1:-0}"); c0=$(cpu1_si); v0=$(nvcsw "$1")
	r0=$(g1_rx); run_gen; r1=$(g1_rx)
	s1=$(sched_ns "$1"); k1=$(sched_ns "${ksoftirqd1:-0}"); c1=$(cpu1_si); v1=$(nvcsw "$1")
	if [ -n "$perfpid" ]; then
		kill -INT "$perfpid" 2>/dev/null || true
		wait "$perfpid" 2>/dev/null || true
	fi
	dutwait=$(echo "$s0 $s1" | awk -v t="$gsecs" \
		'{printf "%.0f", 100 * ($4 - $2) / 1e9 / t}')
	extra=$(echo "$k0 $k1 $c0 $c1 $v0 $v1" | awk -v t="$gsecs" \
		'{printf "ksoftirqd1=%.0f%%,cpu1-softirq=%.0f%%,dut-preempted=%d,dut-yielded=%d", \
		  100 * ($3 - $1) / 1e9 / t, ($8 > $6) ? 100 * ($7 - $5) / ($8 - $6) : 0, $12 - $10, $11 - $9}')
	# syscalls per forwarded packet, by kind (counted slightly longer
	# than the generator ran: an upper bound)
	if [ -n "$perfpid" ] && [ -s "$tmp/perf.out" ]; then
		extra+=$(awk -F, -v f="$((r1 - r0))" '$3 ~ /sys_enter_/ {
			n = $3; sub(/.*sys_enter_/, "", n); if ($1 + 0 > 0)
			l = l sprintf(",%s/pkt=%.2f", n, (f > 0) ? $1 / f : 0)}
			END {print l}' "$tmp/perf.out")
	fi
	dutcpp=$(echo "$s0 $s1" | awk -v f="$((r1 - r0))" -v mhz="$mhz" \
		'{printf "%.0f", (f > 0) ? ($3 - $1) / 1e3 * mhz / f : 0}')
}

# share_begin PID / share_end PID: the DUT's share of a CPU between the two
# calls (its scheduler run time over wall time). A poller spins whenever it
# runs, so its run time is not its work; its TSC busy cycles (polls that
# moved packets) are work plus the preemptions that hit them. Preemption
# falls on busy and idle polls alike, so busy TSC x CPU share estimates
# the CPU time of the busy polls: work_cpp = tsc_cpp x share. For the
# kernel models, which sleep when idle, work_cpp = cpu_cpp.
share_begin() { sh_w0=$(date +%s%N); sh_s0=$(sched_ns "$1"); }
share_end() {
	local w1 s1
	w1=$(date +%s%N); s1=$(sched_ns "$1")
	share=$(echo "$sh_s0 $s1" | awk -v w="$((w1 - sh_w0))" '{printf "%.4f", (w > 0) ? ($3 - $1) / w : 0}')
}
work_cpp() { awk -v c="$1" -v s="$share" 'BEGIN {printf "%.0f", c * s}'; }

g1_rx() { ip netns exec "$LAB_G" cat /sys/class/net/lrx2-g1/statistics/rx_packets; }

# run_gen: send for $secs from CPU 0; sets sent, gsecs
run_gen() {
	local out
	out=$(ip netns exec "$LAB_G" "$gen" -i lrx2-g0 -c 0 -t "$secs" \
		-n 100000000 -s "$size" -d "$d0mac")
	sent=$(echo "$out" | awk '{print $3}')
	gsecs=$(echo "$out" | awk '{print $6}')
}

# one_linerate ROUND [AFXDP_FWD_ARGS]: prints "offered forwarded gsecs
# tsc_cpp cpu_cpp notes"
one_linerate() {
	local r0 r1 pid cpp drops
	shift
	rm -f "$tmp/ready"
	ip netns exec "$LAB_D" taskset -c 1 "$fwd" --mode macswap --xstats "$@" \
		--seconds $((secs + 20)) --ready "$tmp/ready" lrx2-d0 lrx2-d1 \
		>"$tmp/lr.out" 2>"$tmp/lr.err" &
	pid=$!; LAB_PIDS=$pid
	lab_wait_file "$tmp/ready" 10 "$pid" || { cat "$tmp/lr.err"; return 1; }
	share_begin "$pid"
	sleep 0.3
	measure "$pid"
	share_end "$pid"
	kill -TERM "$pid"; wait "$pid" || true; LAB_PIDS=
	cpp=$(sed -n 's/.* \([0-9.]*\) cycles\/pkt.*/\1/p' "$tmp/lr.out")
	drops=$(awk '/^xstat p0 xsk_rx_(ring_full|dropped)/ {s += $4} END {print s + 0}' "$tmp/lr.out")

	echo "$sent $((r1 - r0)) $gsecs ${cpp:-0} $dutcpp $(work_cpp "${cpp:-0}") dut-wait=$dutwait%,rx-ring-drops=$drops,cpu-share=$share,$extra"
}

one_nobusy() { one_linerate "$1" --busy-poll 0; }

one_daemon() {
	local r0 r1 pid cpp n=0
	[ -x "$lrd" ] || return 2
	cat >"$tmp/lrd.yaml" <<YAML
ports:
  - {name: a, backend: afxdp, dev: lrx2-d0, mode: io, peer: b}
  - {name: b, backend: afxdp, dev: lrx2-d1, mode: io, peer: a}
workers:
  - {core: 1, ports: [a, b]}
YAML
	ip netns exec "$LAB_D" "$lrd" -c "$tmp/lrd.yaml" --no-huge -q \
		--file-prefix "lr-x2-bench$$-d" --summary >"$tmp/lrd.out" 2>&1 &
	pid=$!; LAB_PIDS=$pid
	until grep -q "frames per pool" "$tmp/lrd.out" && [ "$(grep -c "frames per pool" "$tmp/lrd.out")" = 2 ]; do
		sleep 0.1; n=$((n + 1))
		if [ $n -gt 100 ] || ! kill -0 "$pid" 2>/dev/null; then
			cat "$tmp/lrd.out" >&2; return 1
		fi
	done
	share_begin "$pid"
	sleep 0.5
	measure "$pid"
	share_end "$pid"
	kill -TERM "$pid"; wait "$pid" || true; LAB_PIDS=
	cpp=$(sed -n 's/^final worker=0 .*cycles_per_pkt=\([0-9.]*\).*/\1/p' "$tmp/lrd.out")
	local drops
	drops=$(sed -n 's/^final port=a .*dev_xsk_rx_ring_full=\([0-9]*\).*/\1/p' "$tmp/lrd.out")
	echo "$sent $((r1 - r0)) $gsecs ${cpp:-0} $dutcpp $(work_cpp "${cpp:-0}") dut-wait=$dutwait%,rx-ring-drops=${drops:-?},cpu-share=$share,$extra"
}

one_testpmd() {
	local r0 r1 pid cpp miss n=0
	command -v dpdk-testpmd >/dev/null || return 2
	rm -f "$tmp/tp.in"
	mkfifo "$tmp/tp.in"
	# Non-interactive: forwards at once, stops and prints its statistics
	# when a line arrives on stdin. stdbuf: see "Press enter" as it comes.
	ip netns exec "$LAB_D" stdbuf -oL dpdk-testpmd -l 0,1 --main-lcore 0 \
		--no-pci --in-memory --file-prefix "lr-x2-bench$$" -m 256 \
		--vdev net_af_xdp0,iface=lrx2-d0 --vdev net_af_xdp1,iface=lrx2-d1 \
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
	share_begin "$pid"
	sleep 0.3
	measure "$pid"
	share_end "$pid"
	echo >&3; exec 3>&-
	wait "$pid" || true; LAB_PIDS=
	cpp=$(sed -n 's/.*CPU cycles\/packet=\([0-9.]*\).*/\1/p' "$tmp/tp.out" | tail -1)
	miss=$(awk '/Forward statistics for port 0/ {p=1} p && /RX-dropped/ {print $4; exit}' "$tmp/tp.out")
	echo "$sent $((r1 - r0)) $gsecs ${cpp:-0} $dutcpp $(work_cpp "${cpp:-0}") dut-wait=$dutwait%,rx-dropped=${miss:-?},cpu-share=$share,$extra"
}

one_kernel() {
	local r0 r1 pid kmodel=$2
	[ -x "$kfwd" ] || return 2
	ip netns exec "$LAB_D" taskset -c 1 "$kfwd" -m "$kmodel" \
		-t $((secs + 20)) lrx2-d0 lrx2-d1 >"$tmp/k.out" 2>&1 &
	pid=$!; LAB_PIDS=$pid
	local n=0
	until grep -q ready "$tmp/k.out"; do
		sleep 0.1; n=$((n + 1))
		[ $n -lt 100 ] && kill -0 "$pid" 2>/dev/null || { cat "$tmp/k.out"; return 1; }
	done
	sleep 0.3
	measure "$pid"
	kill -TERM "$pid"; wait "$pid" || true; LAB_PIDS=
	echo "$sent $((r1 - r0)) $gsecs 0 $dutcpp $dutcpp dut-wait=$dutwait%,kernel-model=$kmodel,$extra"
}

# "kernel" stands for one mode per kernel model: k-MODEL
all=
for m in $modes; do
	if [ "$m" = kernel ]; then
		for k in $kmodels; do all+=" k-$k"; done
	else
		all+=" $m"
	fi
done
modes=$all

echo "bench-afxdp: $(nproc) CPUs, $(uname -r), frame $size B, $secs s x $rounds rounds, modes:$modes"
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
	# Rotate the order by round: no mode always runs first or last.
	order=
	mm=($modes)
	for ((i = 0; i < ${#mm[@]}; i++)); do
		order+=" ${mm[(i + r - 1) % ${#mm[@]}]}"
	done
	for m in $order; do
		case $m in
		k-*) line=$(one_kernel "$r" "${m#k-}") || { echo "  $m: not available"; continue; } ;;
		*) line=$("one_$m" "$r") || { echo "  $m: not available"; continue; } ;;
		esac
		echo "  round $r $m: $line"
		res[$m]+="$line"$'\n'
	done
done

echo
printf "%-13s %10s %10s %6s %9s %9s %9s  %s\n" mode offered_pps fwd_pps loss% tsc_cpp cpu_cpp work_cpp "limited by"
declare -A med medc
for m in $modes; do
	[ -n "${res[$m]:-}" ] || continue
	# median by forwarded rate
	line=$(echo -n "${res[$m]}" | awk '{printf "%.0f %.0f %s %s %s %s\n", $1 / $3, $2 / $3, $4, $5, $6, $7}' |
		sort -n -k2 | awk '{a[NR] = $0} END {print a[int((NR + 1) / 2)]}')
	read -r off fw cpp ccpp wcpp note <<<"$line"
	# median CPU cycles per packet over the rounds (its own median)
	ccpp=$(echo -n "${res[$m]}" | awk '{print $5}' | sort -n |
		awk '{a[NR] = $0} END {print a[int((NR + 1) / 2)]}')
	wcpp=$(echo -n "${res[$m]}" | awk '{print $6}' | sort -n |
		awk '{a[NR] = $0} END {print a[int((NR + 1) / 2)]}')
	loss=$(awk -v o="$off" -v f="$fw" 'BEGIN {printf "%.1f", (o > 0) ? 100 * (o - f) / o : 0}')
	dw=$(echo "$note" | sed -n 's/.*dut-wait=\([0-9]*\)%.*/\1/p')
	lim=$(awk -v l="$loss" -v w="${dw:-0}" 'BEGIN {
		if (l < 1.0) print "generator (CPU 0): the DUT kept up"
		else if (w > 10) print "CPU 1 shared: the DUT lost frames at its rings, waiting for CPU 1 " w "% of the run"
		else print "DUT (CPU 1): frames lost at its rings"}')
	printf "%-13s %10s %10s %6s %9s %9s %9s  %s (%s)\n" "$m" "$off" "$fw" "$loss" "$cpp" "$ccpp" "$wcpp" "$lim" "$note"
	med[$m]=$fw
	medc[$m]=$ccpp
done
# Per-round ratios (modes of a round run seconds apart and share its
# conditions; rounds minutes apart do not), then their median.
# ratio_rounds NAME A B FIELD: per round A.FIELD / B.FIELD, where FIELD is
# "rate" (forwarded pps) or "cpp" (DUT CPU cycles per packet); B may be
# "kbest" (the kernel model with the lowest cpp in that round).
field() { # MODE FIELD -> one value per round
	echo -n "${res[$1]:-}" | awk -v f="$2" '{print (f == "rate") ? $2 / $3 : (f == "work") ? $6 : $5}'
}
ratio_rounds() {
	local name=$1 a=$2 b=$3 f=$4 bcol
	[ -n "${res[$a]:-}" ] || return 0
	if [ "$b" = kbest ]; then
		local ks=() k
		for k in $modes; do [[ $k == k-* ]] && [ -n "${res[$k]:-}" ] && ks+=("<(field $k $f)"); done
		[ ${#ks[@]} -gt 0 ] || return 0
		bcol=$(eval paste "${ks[*]}" | awk '{m = $1; for (i = 2; i <= NF; i++) if ($i < m) m = $i; print m}')
	else
		[ -n "${res[$b]:-}" ] || return 0
		bcol=$(field "$b" "$f")
	fi
	paste <(field "$a" "$f") <(echo "$bcol") |
		awk '$2 > 0 {print $1 / $2}' | sort -n |
		awk -v n="$name" '{a[NR] = $0; l = l sprintf(" %.2f", $0)} END {if (NR)
			printf "%-44s median %.2fx  (rounds:%s)\n", n, a[int((NR + 1) / 2)], l}'
}
echo
echo "Per-round ratios, median over rounds:"
for m in linerate nobusy daemon; do
	ratio_rounds "$m / testpmd forwarded rate" "$m" testpmd rate
	ratio_rounds "$m / testpmd DUT CPU cycles/pkt" "$m" testpmd cpp
	ratio_rounds "$m / best kernel model DUT CPU cycles/pkt" "$m" kbest cpp
	ratio_rounds "$m / testpmd work cycles/pkt" "$m" testpmd work
	ratio_rounds "$m / best kernel model work cycles/pkt" "$m" kbest work
done
echo
echo "Method: each round runs every mode once, back to back (order rotated by round), on the same lab;"
echo "  forwarded = rx_packets of the far veth (XDP sink) over the generator's run;"
echo "  DUT CPU cycles/pkt = DUT threads' schedstat run time x CPU MHz ($mhz) / forwarded;"
echo "  work cycles/pkt = TSC busy cycles/pkt x the DUT's CPU share (pollers: busy polls' CPU time,"
echo "    preemption removed on average), = DUT CPU cycles/pkt for the kernel models (they sleep when idle);"
echo "  tables show each mode's median over rounds; ratios are per round, then median."
