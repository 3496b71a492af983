#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Description: scripts/compare.sh end to end on a short run: the lab comes
# up, three DUT modes (kernel mmsg, DPDK af_packet, AF_XDP SKB copy) are
# measured through a real linerated over its control socket, and once more
# with the one-shot driver. Strict: every selected mode must come back
# measured (a mode "not measured" fails the test), in every repetition and
# every listed trial the numbers must agree with the counters they come from
# (results.json lists each trial's tx, rx, DUT rx/tx):
#   - forwarded <= offered, loss = (tx - rx) / tx exactly, offered and
#     forwarded Mpps = tx and rx over the measured seconds (1e-6 relative);
#   - DUT-side counters bracket them: rx <= DUT rx and DUT tx, DUT rx <= tx,
#     each within 1% + 64 packets (stragglers of the previous trial);
#   - latency p50/p99 present in every MRR repetition and every search
#     trial that forwarded anything; cycles/packet > 0, CPU busy in (0, 1];
#   - syscalls/packet > 0 in every trial of a kernel model; DPDK: 0, or
#     not counted (null) only for a PMD that calls the kernel, said in the
#     method; a limit other than "unknown" with its numbers;
#   - NDR <= PDR <= max, the NDR trial offered what it was asked;
#   - the CSV and table agree with the JSON; the charts are drawn;
# and the lab is gone afterwards, also when compare.sh gets SIGTERM.
#
#   cmp_compare.sh BUILD_ROOT SOURCE_ROOT
set -euo pipefail

build=$1
src=$2
export LAB_PREFIX=cmt
ns=$LAB_PREFIX-ns
out=$(mktemp -d /tmp/lr-cf-it-XXXXXX)
# CMP_KEEP=1 keeps the results directory for a look after a failure
trap '[ -n "${CMP_KEEP:-}" ] && echo "kept $out" || rm -rf "$out"
      "$src/scripts/lab.sh" down >/dev/null 2>&1 || true' EXIT

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root (network namespaces)"
ip netns list >/dev/null 2>&1 || skip "no ip netns"
[ -x "$build/controlplane/linerated" ] || skip "linerated not built"
[ "$(nproc)" -ge 2 ] || skip "needs 2 CPUs (generator and DUT workers)"

# 1. a short run
modes=kernel:mmsg,dpdk,afxdp:skb:copy
"$src/scripts/compare.sh" --build "$build" --out "$out/r" -- \
	--modes "$modes" --reps 2 --trial 0.3 --max-mpps 0.5 \
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

cat > "$out/check.py" <<'PY'
import csv, json, math, sys

d, want, reps, max_mpps, max_trials, oneshot = (
    sys.argv[1], sys.argv[2].split(","), int(sys.argv[3]),
    float(sys.argv[4]), int(sys.argv[5]), sys.argv[6] == "1")
doc = json.load(open(d + "/results.json"))
rows = list(csv.DictReader(open(d + "/results.csv")))
table = open(d + "/table.txt").read()
res = doc["results"]
assert [r["mode"] for r in res] == want, f"json modes {[r['mode'] for r in res]}"
assert [r["mode"] for r in rows] == want, "csv modes"
assert doc["machine"]["cores"] >= 2
assert "not measured" not in table, table
LIMITS = {"none", "generator", "dut-core", "rings", "tx-ring", "sink",
          "search-max", "unknown"}
TOL, SLACK = 0.01, 64   # DUT-side counters vs offered/forwarded

def close(a, b, rel=1e-6):
    return abs(a - b) <= rel * max(abs(a), abs(b)) + 1e-12

def check_trial(r, t, what, need_lat):
    tx, rx = t["tx"], t["rx"]
    where = f"{r['mode']} {what}: {t}"
    assert tx > 0 and 0 <= rx <= tx, where
    assert close(t["loss"], (tx - rx) / tx, 1e-9), where
    assert close(t["offered_mpps"], tx / t["measured_s"] / 1e6), where
    assert close(t["forwarded_mpps"], rx / t["measured_s"] / 1e6), where
    assert t["forwarded_mpps"] <= t["offered_mpps"] * (1 + 1e-9), where
    assert t["dut_rx"] is not None, where
    assert rx <= t["dut_rx"] * (1 + TOL) + SLACK, where
    assert t["dut_rx"] <= tx * (1 + TOL) + SLACK, where
    if t["dut_tx"] is not None:
        assert rx <= t["dut_tx"] * (1 + TOL) + SLACK, where
        assert t["dut_tx"] <= t["dut_rx"] * (1 + TOL) + SLACK, where
    assert t["cycles_per_pkt"] is not None and t["cycles_per_pkt"] > 0, where
    assert t["cpu_busy"] is not None and 0 < t["cpu_busy"] <= 1.0 + 1e-6, where
    if need_lat or rx > 0:
        assert t["lat_p50_us"] is not None and t["lat_p50_us"] > 0, \
            f"latency missing: {where}"
        assert t["lat_p99_us"] >= t["lat_p50_us"], where
    sp = t["syscalls_per_pkt"]
    if r["backend"] == "kernel":
        assert sp is not None and sp > 0, f"syscalls: {where}"
    elif r["backend"] == "dpdk":
        assert sp == 0 or (sp is None and "syscalls: not counted" in r["method"]), where
    assert t["limit"] in LIMITS and t["limit"] != "unknown", where

for r, c in zip(res, rows):
    assert r["ok"] and not r["error"], f"{r['mode']}: not measured: {r['error']}"
    assert r["mode_desc"].startswith(r["backend"] if not oneshot else "one linerated run"), \
        f"{r['mode']}: the DUT runs {r['mode_desc']}"
    m = r["mrr"]
    assert r["reps"] == reps and len(r["mrr_trials"]) == reps, r["mode"]
    for k in ("offered_mpps", "forwarded_mpps", "loss", "dut_rx_mpps",
              "cycles_per_pkt", "cpu_busy", "lat_p50_us", "lat_p99_us"):
        assert m[k]["n"] == reps, f"{r['mode']}: {k} in {m[k]['n']} of {reps} repetitions"
        s = m[k]
        assert s["min"] <= s["q1"] <= s["median"] <= s["q3"] <= s["max"], (k, s)
    for i, t in enumerate(r["mrr_trials"]):
        assert close(t["rate_mpps"], max_mpps), t
        check_trial(r, t, f"MRR rep {i}", True)
    meds = sorted(t["forwarded_mpps"] for t in r["mrr_trials"])
    assert close(m["forwarded_mpps"]["median"],
                 (meds[(reps - 1) // 2] + meds[reps // 2]) / 2), "median"
    assert r["limit"] in LIMITS and r["limit"] != "unknown" and r["limit_why"], r
    assert r["method"].startswith(f"MRR: median of {reps} x"), r["method"]
    assert abs(float(c["forwarded_mpps"]) - m["forwarded_mpps"]["median"]) <= 1e-5 * max(1, m["forwarded_mpps"]["median"])
    assert c["limit"] == r["limit"] and int(c["lat_n"]) == reps, c
    off, fwd = m["offered_mpps"]["median"], m["forwarded_mpps"]["median"]
    line = f"{r['mode']}: offered {off:.3f} forwarded {fwd:.3f} Mpps loss {m['loss']['median']:.3%} " \
           f"limit {r['limit']}"
    if not r["searched"]:
        print(line)
        continue
    ndr, pdr = r["ndr"], r["pdr"]
    assert ndr["mpps"] <= pdr["mpps"] <= max_mpps + 1e-9, (ndr, pdr)
    assert 1 <= ndr["trials"] <= max_trials and len(r["search_trials"]) == ndr["trials"]
    st = r["search_trials"]
    for i, t in enumerate(st):
        check_trial(r, t, f"search trial {i}", False)
        if t["repeated"]:   # the generator fell short: asked again
            # (unless the trial budget ran out with it)
            assert i > 0 and (i + 1 == len(st) or st[i + 1]["rate_mpps"] == t["rate_mpps"]), st
    for nd, tol in ((ndr, 0), (pdr, 0.005)):
        met = max([t["offered_mpps"] for t in r["search_trials"]
                   if t["rx"] <= t["tx"] and t["loss"] <= tol + 1e-12] or [0])
        assert close(nd["met_mpps"], met), (nd, met)
        assert nd["limit"] in LIMITS and nd["limit"] != "unknown" and nd["limit_why"], nd
        if nd["mpps"] > 0:
            assert nd["offered_mpps"] >= 0.97 * nd["mpps"] * (1 - 1e-6), nd
            assert nd["lat_p50_us"] is not None, f"{r['mode']}: latency at the bound {nd}"
    assert abs(float(c["ndr_mpps"]) - ndr["mpps"]) <= 1e-5 * max(1, ndr["mpps"])
    assert c["ndr_limit"] == ndr["limit"] and c["pdr_limit"] == pdr["limit"]
    print(line + f" NDR {ndr['mpps']:.3f} ({ndr['limit']}, met at {ndr['met_mpps']:.3f}) PDR {pdr['mpps']:.3f} ({pdr['limit']})")
PY

python3 "$out/check.py" "$out/r" "$modes" 2 0.5 4 0 || {
	cat "$out/stderr"
	echo "FAIL: results of the short run"
	exit 1
}

if ip netns list | grep -qw "^$ns"; then
	echo "FAIL: compare.sh left the namespace $ns"
	exit 1
fi

# 2. the one-shot driver (one linerated run per trial) gives the same files
"$src/scripts/compare.sh" --build "$build" --out "$out/o" --oneshot -- \
	--modes kernel:mmsg --reps 2 --trial 0.3 --max-mpps 0.5 --no-search \
	--quiet > "$out/stdout" 2> "$out/stderr" || {
	cat "$out/stdout" "$out/stderr"
	echo "FAIL: compare.sh --oneshot exited non-zero"
	exit 1
}
python3 "$out/check.py" "$out/o" kernel:mmsg 2 0.5 4 1 || {
	cat "$out/stderr"
	echo "FAIL: results of the one-shot run"
	exit 1
}
python3 - "$out/o" <<'PY'
import json, sys
r = json.load(open(sys.argv[1] + "/results.json"))["results"][0]
# linerated's summary says what the DUT sent: the sink side is placed
assert all(t["dut_tx"] is not None for t in r["mrr_trials"]), r["mrr_trials"]
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
