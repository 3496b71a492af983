#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Description: linerate's own per-core/per-port counters agree with DPDK's
ethdev counters and with the sink.

    dp_counters.py LINERATED

Runs linerated for 2 s on net_ring vdevs: a generator (IPv4 + IPv6, IMIX,
64 flows, 2 Mpps) on port src, routed in l3 mode to port out, whose RX is
the sink; a third port (trap) must see nothing. Then checks, within 0.5%:
per port, linerate's RX/TX packets and bytes against the ethdev's
ipackets/opackets (net_ring counts no bytes); the generator's count
against port src's TX; the sink's count and bytes against port out's RX;
no loss, reordering or duplicates at the sink; no drops.

Then bytes, on net_pcap (which counts them): port src reads the l3 mode
fixture (16 frames of 30..90 bytes) and also runs an IMIX generator (3000
frames), both written to its tx_pcap; what it receives goes (io) to port
out's tx_pcap. Exactly, per port: linerate's rx/tx packets and bytes equal
the ethdev's ipackets/ibytes/opackets/obytes, the generator's bytes equal
src's TX bytes, and the bytes in each output pcap file equal what
linerate says it sent there. Needs root (DPDK); exits 77 when it cannot
run here.
"""
import os
import struct
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


PCAP_CONF = """
ports:
  - name: src
    dev: "net_pcap0,rx_pcap=%(in)s,tx_pcap=%(tmp)s/src.pcap"
    mode: io
    peer: out
    generator:
      ip_version: 46
      frame_size: imix
      flows: 16
      rate_pps: 20000
      count: 3000
  - {name: out, dev: "net_pcap1,tx_pcap=%(tmp)s/out.pcap", rx: drop}
workers:
  - {core: %(core)d, ports: [src, out]}
"""


def pcap_bytes(path):
    """Frames and bytes in a classic pcap file."""
    with open(path, "rb") as f:
        data = f.read()
    off, frames, total = 24, 0, 0
    while off + 16 <= len(data):
        incl = struct.unpack("<I", data[off + 8:off + 12])[0]
        frames += 1
        total += incl
        off += 16 + incl
    return frames, total


def run(linerated, conf, tag, secs):
    with tempfile.TemporaryDirectory(prefix="lr-dp-counters-") as tmp:
        cfg = os.path.join(tmp, "c.yaml")
        with open(cfg, "w") as f:
            f.write(conf(tmp))
        r = subprocess.run([linerated, "-q", "--no-control", "--no-huge", "-c", cfg, "-d", secs, "--summary",
                            "--file-prefix", "lr-df-counters-%s-%d" % (tag, os.getpid())],
                           capture_output=True, text=True, timeout=120)
        files = {p: pcap_bytes(os.path.join(tmp, p + ".pcap"))
                 for p in ("src", "out") if os.path.exists(os.path.join(tmp, p + ".pcap"))}
    sys.stdout.write(r.stdout)
    sys.stderr.write(r.stderr)
    final = {}
    for line in r.stdout.splitlines():
        w = line.split()
        if len(w) >= 2 and w[0] == "final":
            key = w[1].split("=")[-1] if "=" in w[1] else w[1]
            final[key] = {k: v for k, v in (x.split("=", 1) for x in w[1:] if "=" in x)}
    return r.returncode, final, files


def check_bytes(linerated):
    """net_pcap run: bytes exactly as the ethdev and the files say."""
    here = os.path.dirname(os.path.abspath(__file__))
    inp = os.path.join(here, "dp_pcaps", "l3_in.pcap")
    n_in, b_in = pcap_bytes(inp)
    rc, final, files = run(linerated, lambda tmp: PCAP_CONF % {
        "in": inp, "tmp": tmp, "core": os.cpu_count() - 1}, "pcap", "1.5")
    if rc != 0:
        return ["pcap run: linerated exited %d" % rc]
    errors = []
    n = lambda sect, k: int(final[sect][k])

    def eq(what, a, b):
        if a != b:
            errors.append("pcap: %s: %d vs %d" % (what, a, b))

    for p in ("src", "out"):
        for ours, dev in (("rx_pkts", "dev_ipackets"), ("rx_bytes", "dev_ibytes"),
                          ("tx_pkts", "dev_opackets"), ("tx_bytes", "dev_obytes")):
            eq("%s %s vs ethdev %s" % (p, ours, dev), n(p, ours), n(p, dev))
    eq("src rx vs input file frames", n("src", "rx_pkts"), n_in)
    eq("src rx_bytes vs input file bytes", n("src", "rx_bytes"), b_in)
    eq("generator pkts vs its count", n("gen", "pkts"), 3000)
    eq("generator bytes vs src tx_bytes", n("gen", "bytes"), n("src", "tx_bytes"))
    eq("out tx_bytes vs src rx_bytes (io)", n("out", "tx_bytes"), n("src", "rx_bytes"))
    for p in ("src", "out"):
        eq("%s tx_pkts vs frames in its tx_pcap" % p, n(p, "tx_pkts"), files.get(p, (0, 0))[0])
        eq("%s tx_bytes vs bytes in its tx_pcap" % p, n(p, "tx_bytes"), files.get(p, (0, 0))[1])
    if n("src", "tx_bytes") <= 64 * 3000:
        errors.append("pcap: IMIX bytes %d look like 64-byte frames" % n("src", "tx_bytes"))
    if len(final.get("drops", {})) != 0:
        errors.append("pcap: drops: %s" % final["drops"])
    if not errors:
        print("ok: bytes agree on net_pcap (src tx %d B, out tx %d B)" %
              (n("src", "tx_bytes"), n("out", "tx_bytes")))
    return errors


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
    if not errors:
        print("ok: counters agree (gen %.0f pkts)" % n("gen", "pkts"))
    errors += check_bytes(linerated)
    if errors:
        print("FAIL: " + "\n".join(errors))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
