#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# fdscale.sh — descriptor scaling of the I/O models: a fixed UDP load on
# loopback spread over 1% of N sockets (at least 1), N = 1, 100, 1000,
# 10000, received by each model watching all N (tests/bench/fdscale_udp.c).
# Writes CSV and JSON (median of REPS runs per point) and two charts
# (CPU ns per packet and syscalls per packet against N, log scales).
# select stops at FD_SETSIZE with a message; blocking (a thread per
# socket) stops above 1000. Not a test.
#
#   scripts/fdscale.sh [-b BUILD_DIR] [-r REPS] [-p PPS] [-t SECONDS]
#                      [-o OUT_DIR] [MODEL ...]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$here/build-kern-rel
reps=3
pps=50000
secs=1
out=
while getopts "b:r:p:t:o:h" o; do
	case $o in
	b) build=$OPTARG ;;
	r) reps=$OPTARG ;;
	p) pps=$OPTARG ;;
	t) secs=$OPTARG ;;
	o) out=$OPTARG ;;
	*) sed -n '3,14p' "$0"; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
out=${out:-$build/fdscale}
models=("$@")
if [ ${#models[@]} = 0 ]; then
	models=(blocking busypoll select poll epoll-lt epoll-et mmsg uring
		uring-multishot)
fi
bin=$build/tests/bench/fdscale_udp
if [ ! -x "$bin" ]; then
	echo "fdscale: $bin not built (meson setup $build -Dbuildtype=release && ninja -C $build)" >&2
	exit 1
fi
[ "$(id -u)" = 0 ] || { echo "fdscale: needs root (netns, RLIMIT_NOFILE)" >&2; exit 1; }
ns=lrk2fd
cleanup() { ip netns del $ns 2>/dev/null || true; }
trap cleanup EXIT
cleanup
ip netns add $ns
ip -n $ns link set lo up
mkdir -p "$out"
raw=$out/fdscale-runs.csv
hdr="model,sockets,active,sent,received,rx_pps,cpu_ns_per_pkt,syscalls_per_pkt,waits_per_pkt"
echo "$hdr" > "$raw"
echo "fdscale: $pps datagrams/s for ${secs}s to 1% of N sockets on loopback, receiver pinned to CPU 1, sender to CPU 0; $reps runs per point"
for m in "${models[@]}"; do
	for n in 1 100 1000 10000; do
		stop=0
		for r in $(seq "$reps"); do
			if ! ip netns exec $ns "$bin" -m "$m" -n "$n" -r "$pps" \
				-t "$secs" -c 1 -C 0 >>"$raw" 2>"$out/err"; then
				echo "fdscale: $m at N=$n: $(cat "$out/err")"
				stop=1
				break
			fi
		done
		[ $stop = 1 ] && break
	done
done
python3 - "$raw" "$out" <<'PY'
import csv, json, sys, statistics
rows = list(csv.DictReader(open(sys.argv[1])))
out = sys.argv[2]
pts = {}
for r in rows:
    pts.setdefault((r["model"], int(r["sockets"])), []).append(r)
res = []
for (m, n), rs in pts.items():
    rs.sort(key=lambda r: float(r["cpu_ns_per_pkt"]))
    r = rs[len(rs) // 2]
    res.append({"model": m, "sockets": n, "active": int(r["active"]),
                "rx_pps": float(r["rx_pps"]),
                "received_pct": 100.0 * int(r["received"]) / max(1, int(r["sent"])),
                "cpu_ns_per_pkt": float(r["cpu_ns_per_pkt"]),
                "syscalls_per_pkt": float(r["syscalls_per_pkt"]),
                "waits_per_pkt": float(r["waits_per_pkt"])})
json.dump(res, open(out + "/fdscale.json", "w"), indent=1)
with open(out + "/fdscale.csv", "w") as f:
    w = csv.writer(f)
    w.writerow(["model", "sockets", "active", "rx_pps", "received_pct",
                "cpu_ns_per_pkt", "syscalls_per_pkt", "waits_per_pkt"])
    for r in res:
        w.writerow([r["model"], r["sockets"], r["active"], f'{r["rx_pps"]:.0f}',
                    f'{r["received_pct"]:.1f}', f'{r["cpu_ns_per_pkt"]:.0f}',
                    f'{r["syscalls_per_pkt"]:.3f}', f'{r["waits_per_pkt"]:.3f}'])
models = list(dict.fromkeys(r["model"] for r in res))
ns = [1, 100, 1000, 10000]
get = {(r["model"], r["sockets"]): r for r in res}
print(f'{"CPU ns/packet":16}' + "".join(f"{'N=' + str(n):>10}" for n in ns) + "   (syscalls/packet at N=10000)")
for m in models:
    cells = "".join(f'{get[(m, n)]["cpu_ns_per_pkt"]:10.0f}' if (m, n) in get else f'{"-":>10}' for n in ns)
    sc = f'{get[(m, 10000)]["syscalls_per_pkt"]:.3f}' if (m, 10000) in get else "-"
    print(f"{m:16}{cells}   {sc}")
# one data file per model for gnuplot
for m in models:
    with open(f"{out}/fdscale-{m}.dat", "w") as f:
        for n in ns:
            if (m, n) in get:
                r = get[(m, n)]
                f.write(f'{n} {r["cpu_ns_per_pkt"]:.0f} {r["syscalls_per_pkt"]:.4f} {r["rx_pps"]:.0f}\n')
with open(f"{out}/fdscale.gp", "w") as f:
    f.write('set terminal pngcairo size 1100,480 noenhanced\n' if True else '')
    f.write(f'set output "{out}/fdscale.png"\n')
    f.write('set multiplot layout 1,2 title "fdscale: fixed UDP load on 1% of N sockets (loopback)"\n')
    f.write('set logscale x; set logscale y; set key top left font ",9" spacing 0.9; set grid\n')
    f.write('set xlabel "sockets watched (N)"\n')
    plots = ", ".join(f'"{out}/fdscale-{m}.dat" using 1:2 with linespoints title "{m}"' for m in models)
    f.write('set ylabel "receiver CPU ns per packet"\n')
    f.write(f"plot {plots}\n")
    plots = ", ".join(f'"{out}/fdscale-{m}.dat" using 1:($3+0.001) with linespoints title "{m}"' for m in models)
    f.write('set ylabel "syscalls per packet"\n')
    f.write(f"plot {plots}\n")
    f.write("unset multiplot\n")
PY
if ! gnuplot "$out/fdscale.gp" 2>/dev/null; then
	sed -i 's/^set terminal pngcairo/set terminal png/' "$out/fdscale.gp"
	gnuplot "$out/fdscale.gp"
fi
echo "fdscale: $out/fdscale.csv, $out/fdscale.json, $out/fdscale.png"
