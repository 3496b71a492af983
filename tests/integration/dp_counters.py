#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Description: linerate's own per-core/per-port counters agree with DPDK's
ethdev counters and with the sink.

    dp_counters.py LINERATED

Runs linerated for 2 s on net_ring vdevs: a generator (IPv4 + IPv6, IMIX,
64 flows, 2 Mpps) on port src, routed in l3 mode to port out, whose RX is
the sink; a third port (trap) must see nothing. Then checks, within 0.5%:
per port, linerate's RX/TX packets and bytes against the ethdev's
ipackets/opackets/ibytes/obytes (net_ring counts no bytes: packets only
there); the generator's count against port src's TX; the sink's count and
bytes against port out's RX; no loss, reordering or duplicates at the
sink; no drops. Needs root (DPDK); exits 77 when it cannot run here.
"""
import os
import subprocess
import sys
import tempfile

CONF = """
ports:
  - name: src
    dev: net_ring0
    mode: l3
    mac: 02:00:00:00:01:01
    generator:
      ip_version: 46
      frame_size: imix
      flows: 64
      rate_pps: 2000000
      dst_mac: 02:00:00:00:01:01
  - {name: out, dev: net_ring1, mac: "02:00:00:00:02:01", rx: sink}
  - {name: trap, dev: net_ring2, rx: sink}
workers:
  - {core: %d, ports: [src, out, trap]}
routes:
  - {prefix: 198.19.0.0/16, port: out, via: 10.0.2.2}
  - {prefix: "2001:db8:1::/48", port: out, via: "fe80::2"}
neighbours:
  - {ip: 10.0.2.2, mac: "02:00:00:00:02:02"}
  - {ip: "fe80::2", mac: "02:00:00:00:02:02"}
"""


def near(a, b, tol=0.005):
    return abs(a - b) <= tol * max(a, b, 1)


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    linerated = sys.argv[1]
    if os.geteuid() != 0:
        print("SKIP: needs root (DPDK, hugepages)")
        return 77
    with tempfile.TemporaryDirectory(prefix="lr-dp-counters-") as tmp:
        cfg = os.path.join(tmp, "c.yaml")
        with open(cfg, "w") as f:
            f.write(CONF % (os.cpu_count() - 1))
        r = subprocess.run([linerated, "-q", "--no-control", "--no-huge", "-c", cfg, "-d", "2", "--summary",
                            "--file-prefix", "lr-dp-counters-%d" % os.getpid()],
                           capture_output=True, text=True, timeout=120)
    sys.stdout.write(r.stdout)
    sys.stderr.write(r.stderr)
    if r.returncode != 0:
        print("FAIL: linerated exited %d" % r.returncode)
        return 1
    final = {}
    for line in r.stdout.splitlines():
        w = line.split()
        if len(w) >= 2 and w[0] == "final":
            key = w[1].split("=")[-1] if "=" in w[1] else w[1]
            final[key] = {k: v for k, v in (x.split("=", 1) for x in w[1:] if "=" in x)}
    n = lambda sect, k: float(final[sect][k])
    errors = []

    def check(what, a, b):
        if not near(a, b):
            errors.append("%s: %.0f vs %.0f" % (what, a, b))

    for p in ("src", "out", "trap"):
        check(p + " rx_pkts vs ethdev ipackets", n(p, "rx_pkts"), n(p, "dev_ipackets"))
        check(p + " tx_pkts vs ethdev opackets", n(p, "tx_pkts"), n(p, "dev_opackets"))
    check("generator pkts vs gen tx_pkts", n("gen", "pkts"), n("src", "tx_pkts"))
    check("generator bytes vs gen tx_bytes", n("gen", "bytes"), n("src", "tx_bytes"))
    check("gen rx (loopback) vs generator", n("src", "rx_pkts"), n("gen", "pkts"))
    check("out tx vs gen rx (routed)", n("out", "tx_pkts"), n("src", "rx_pkts"))
    check("sink pkts vs out rx_pkts", n("sink", "pkts"), n("out", "rx_pkts"))
    check("sink bytes vs out rx_bytes", n("sink", "bytes"), n("out", "rx_bytes"))
    check("sum of worker rx vs ports", n("0", "rx_pkts"),
          n("src", "rx_pkts") + n("out", "rx_pkts") + n("trap", "rx_pkts"))
    if n("gen", "pkts") < 1000:
        errors.append("generator sent only %.0f packets" % n("gen", "pkts"))
    for k in ("lost", "reordered", "dup", "foreign"):
        if n("sink", k) != 0:
            errors.append("sink %s = %.0f" % (k, n("sink", k)))
    if n("trap", "rx_pkts") != 0:
        errors.append("trap port received %.0f" % n("trap", "rx_pkts"))
    if len(final.get("drops", {})) != 0:
        errors.append("drops: %s" % final["drops"])
    if errors:
        print("FAIL: " + "\n".join(errors))
        return 1
    print("ok: counters agree (gen %.0f pkts)" % n("gen", "pkts"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
