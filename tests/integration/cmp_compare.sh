#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Description: scripts/compare.sh end to end on a short run: the lab comes
# up, two DUT modes (kernel mmsg, DPDK af_packet) are measured through a
# real linerated over its control socket (restarted per mode by the mode
# hook), and once more with the one-shot driver; every output file is written with every selected mode
# present and sane numbers (forwarded <= offered, loss = 1 - forwarded /
# offered, NDR <= PDR, a named limit and method), and the lab is gone
# afterwards — also when compare.sh is interrupted with SIGTERM.
#
#   cmp_compare.sh BUILD_ROOT SOURCE_ROOT
set -euo pipefail

build=$1
src=$2
export LAB_PREFIX=lrcft
ns=$LAB_PREFIX-ns
out=$(mktemp -d /tmp/lr-cf-it-XXXXXX)
trap 'rm -rf "$out"; "$src/scripts/lab.sh" down >/dev/null 2>&1 || true' EXIT

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root (network namespaces)"
ip netns list >/dev/null 2>&1 || skip "no ip netns"
[ -x "$build/controlplane/linerated" ] || skip "linerated not built"
[ "$(nproc)" -ge 2 ] || skip "needs 2 CPUs (generator and DUT workers)"

# 1. a short run
"$src/scripts/compare.sh" --build "$build" --out "$out/r" -- \
	--modes kernel:mmsg,dpdk --reps 1 --trial 0.3 --max-mpps 0.5 \
	--search-trial 0.3 --initial-trial 0.3 --precision 0.2 --max-trials 4 \
	--quiet > "$out/stdout" 2> "$out/stderr" || {
	cat "$out/stdout" "$out/stderr"
	echo "FAIL: compare.sh exited non-zero"
	exit 1
}
cat "$out/stdout"

for f in results.json results.csv table.txt; do
	[ -s "$out/r/$f" ] || { echo "FAIL: $f missing"; exit 1; }
done
if command -v gnuplot >/dev/null; then
	for f in mpps.png mpps.svg cycles.png cycles.svg; do
		[ -s "$out/r/$f" ] || { echo "FAIL: chart $f missing"; cat "$out/r/gnuplot.log"; exit 1; }
	done
fi

python3 - "$out/r" <<'PY'
import csv, json, math, sys
d = sys.argv[1]
doc = json.load(open(d + "/results.json"))
rows = list(csv.DictReader(open(d + "/results.csv")))
want = ["kernel:mmsg", "dpdk"]
modes = [r["mode"] for r in doc["results"]]
assert modes == want, f"json modes {modes}"
assert [r["mode"] for r in rows] == want, "csv modes"
assert doc["machine"]["cores"] >= 2
limits = {"none", "generator", "dut-core", "rings", "tx-ring", "search-max", "unknown"}
ok = 0
for r, c in zip(doc["results"], rows):
    if not r["ok"]:
        print(f"{r['mode']}: not measured: {r['error']}")
        assert r["error"], "a failed mode names its error"
        continue
    ok += 1
    m = r["mrr"]
    off, fwd, loss = (m[k]["median"] for k in ("offered_mpps", "forwarded_mpps", "loss"))
    assert 0 < off and 0 <= fwd <= off * (1 + 1e-9), f"{r['mode']}: fwd {fwd} off {off}"
    assert abs(loss - (1 - fwd / off)) < 1e-6, f"{r['mode']}: loss {loss} vs counters"
    assert 0 <= loss <= 1
    assert m["cycles_per_pkt"]["median"] > 0
    assert 0 < m["cpu_busy"]["median"] <= 1.05
    assert r["limit"] in limits and r["method"]
    assert r["searched"]
    assert r["ndr"]["mpps"] <= r["pdr"]["mpps"] <= 0.5 + 1e-9
    assert r["ndr"]["trials"] <= 4
    assert abs(float(c["forwarded_mpps"]) - fwd) <= 1e-5 * max(1, fwd)
    print(f"{r['mode']}: offered {off:.3f} forwarded {fwd:.3f} Mpps loss {loss:.3%} "
          f"NDR {r['ndr']['mpps']:.3f} PDR {r['pdr']['mpps']:.3f} limit {r['limit']}")
if r["mode"] == "kernel:mmsg" and r["ok"]:
    assert m["syscalls_per_pkt"]["median"] > 0
assert ok >= 1, "no mode could be measured"
PY

if ip netns list | grep -qw "^$ns"; then
	echo "FAIL: compare.sh left the namespace $ns"
	exit 1
fi

# 2. the one-shot driver (one linerated run per trial) gives the same files
"$src/scripts/compare.sh" --build "$build" --out "$out/o" --oneshot -- \
	--modes kernel:mmsg --reps 1 --trial 0.3 --max-mpps 0.5 --no-search \
	--quiet > "$out/stdout" 2> "$out/stderr" || {
	cat "$out/stdout" "$out/stderr"
	echo "FAIL: compare.sh --oneshot exited non-zero"
	exit 1
}
python3 - "$out/o" <<'PY'
import json, sys
r = json.load(open(sys.argv[1] + "/results.json"))["results"]
assert [x["mode"] for x in r] == ["kernel:mmsg"] and r[0]["ok"], r
m = r[0]["mrr"]
assert 0 <= m["forwarded_mpps"]["median"] <= m["offered_mpps"]["median"]
assert "one linerated run per trial" in r[0]["mode_desc"]
PY

# 3. interrupted: SIGTERM while it measures, and the lab is still removed
"$src/scripts/compare.sh" --build "$build" --out "$out/i" -- \
	--modes kernel:poll --reps 30 --trial 0.5 --no-search --quiet \
	> /dev/null 2>&1 &
pid=$!
for _ in $(seq 100); do
	ip netns list | grep -qw "^$ns" && break
	sleep 0.1
done
ip netns list | grep -qw "^$ns" || { echo "FAIL: lab never came up"; exit 1; }
sleep 1
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
[ "$rc" = 143 ] || { echo "FAIL: interrupted compare.sh exit $rc, want 143"; exit 1; }
if ip netns list | grep -qw "^$ns"; then
	echo "FAIL: interrupted compare.sh left the namespace $ns"
	exit 1
fi
echo "PASS"
