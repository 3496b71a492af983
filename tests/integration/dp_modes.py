#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Description: every forwarding mode forwards the right bytes and counts
its drops under the right reason.

    dp_modes.py LINERATED CASE     (CASE: io, io_full, macswap, macswap_full, l3, l2flood, l2drop,
                                    l2learn, acl, aclnonip, aclpermit, l2acl)

Port a receives dp_pcaps/CASE_in.pcap (net_pcap rx_pcap); ports a, b, c
write what they transmit to pcaps (tx_pcap). The run must end with each
port's output byte-identical to dp_pcaps/CASE_<port>.pcap (as a multiset
where flooding may reorder), no output on other ports, the drop counters
by reason exactly as in cases.json, ACL per-rule hits, port a's RX
count equal to the input, and the worker's count of bursts the io fast
path took (fast_bursts) as fast_bursts_expected() says. Fixtures:
dp_make_pcaps.py.

l2learn then checks the control thread's part of learning in the daemon:
port a (net_ring, it receives what it sends) runs a generator, 1000
frames/s for 3 s, from a's MAC to a's MAC. The worker queues "a's MAC
behind a" at once, but only the control thread's housekeeping (about once
a second) puts it in the table: the first frames (at least one) are
flooded to b and c, byte-identical on both, in sequence from the first;
every later one is dropped as l2_same_port (at least one); flooded plus
dropped is what a received. Needs root (DPDK); exits 77 when it cannot
run here.
"""
import json
import os
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def fast_bursts_expected(conf, n_in):
    """Bursts the io fast path (worker.c poll_io_direct) takes: net_pcap
    hands the input over in bursts of the build's burst size B (meson
    option burst_size, 32 by default) and a last smaller one; the fast
    path is planned from the start for io without the ACL and takes a
    burst of at least B/2 while nothing is buffered (only the last burst
    can be smaller, so nothing is buffered before it). With B = 32:
    io_full's 72 frames are 32 + 32 + 8, two; io's 6, none. Every other
    mode, or the ACL, rules the fast path out."""
    if conf != "io":
        return 0
    b = int(os.environ.get("LR_BURST_SIZE", "32"))
    sizes = [b] * (n_in // b) + ([n_in % b] if n_in % b else [])
    return sum(1 for s in sizes if s >= b // 2)
PCAPS = os.path.join(HERE, "dp_pcaps")

def read_pcap(path):
    if not os.path.exists(path):
        return []
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return []
    magic = struct.unpack("<I", data[:4])[0]
    end = "<" if magic in (0xa1b2c3d4, 0xa1b23c4d) else ">"
    off, out = 24, []
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack(end + "IIII", data[off:off + 16])
        out.append(data[off + 16:off + 16 + incl])
        off += 16 + incl
    return out


def config(case, conf, tmp):
    inp = os.path.join(PCAPS, case + "_in.pcap")
    port = {
        "a": "net_pcap0,rx_pcap=%s,tx_pcap=%s/a.pcap" % (inp, tmp),
        "b": "net_pcap1,tx_pcap=%s/b.pcap" % tmp,
        "c": "net_pcap2,tx_pcap=%s/c.pcap" % tmp,
    }
    mode = {"io": "io", "acl": "io", "aclnonip": "io", "aclpermit": "io",
            "macswap": "macswap", "l3": "l3", "l2flood": "l2",
            "l2drop": "l2", "l2learn": "l2", "l2acl": "l2"}[conf]
    acl = conf.startswith("acl") or conf == "l2acl"
    y = ["ports:"]
    for n, mac in (("a", "0a"), ("b", "0b"), ("c", "0c")):
        y.append("  - name: %s" % n)
        y.append("    dev: \"%s\"" % port[n])
        y.append("    mac: 02:00:00:00:%s:01" % mac)
        if n == "a":
            y.append("    mode: %s" % mode)
            if mode == "io":
                y.append("    peer: b")
            if acl:
                y.append("    acl: true")
        else:
            y.append("    rx: drop")
            if mode == "l2":
                y.append("    mode: l2")
    y.append("workers:")
    y.append("  - {core: %d, ports: [a]}" % (os.cpu_count() - 1))
    if conf == "l3":
        y += [
            "routes:",
            "  - {prefix: 10.1.0.0/16, port: b, via: 192.168.1.2}",
            "  - {prefix: 10.1.2.0/24, port: c, via: 192.168.2.2}",
            "  - {prefix: 10.9.0.0/16, port: b, via: 192.168.1.99}",
            "  - {prefix: 172.16.0.0/12, port: c}",
            "  - {prefix: \"2001:db8:1::/48\", port: b, via: \"fe80::2\"}",
            "  - {prefix: \"2001:db8:1:2::/64\", port: c, via: \"fe80::3\"}",
            "neighbours:",
            "  - {ip: 192.168.1.2, mac: 02:00:00:00:0b:02}",
            "  - {ip: 192.168.2.2, mac: 02:00:00:00:0c:02, port: c}",
            "  - {ip: \"fe80::2\", mac: 02:00:00:00:0b:02}",
            "  - {ip: \"fe80::3\", mac: 02:00:00:00:0c:02}",
            "  - {ip: 172.16.0.5, mac: 02:00:00:00:0c:05}",
        ]
    if conf.startswith("l2"):
        y += [
            "l2: {learning: %s, flood: %s}" %
            ("true" if conf in ("l2learn", "l2acl") else "false",
             "false" if conf == "l2drop" else "true"),
            "macs:",
            "  - {mac: 02:00:00:00:0b:99, port: b}",
            "  - {mac: 02:00:00:00:0c:99, port: c}",
            "  - {mac: 02:00:00:00:0a:99, port: a}",
        ]
    if conf == "acl":
        y += [
            "acl:",
            "  default: deny",
            "  rules:",
            "    - {action: deny, proto: udp, dport: 53}",
            "    - {action: deny, src: 10.66.0.0/16}",
            "    - {action: permit, proto: tcp, dport: 80-90}",
            "    - {action: permit, proto: udp}",
        ]
    if conf == "aclnonip":
        # Non-IP and malformed frames have no 5-tuple: default deny.
        y += [
            "acl:",
            "  default: deny",
            "  rules:",
            "    - {action: permit, proto: udp}",
            "    - {action: permit, proto: tcp}",
        ]
    if conf == "aclpermit":
        y += [
            "acl:",
            "  default: permit",
            "  rules:",
            "    - {action: deny, proto: udp}",
        ]
    if conf == "l2acl":
        # Flooding and learning on, but nothing is permitted.
        y += ["acl:", "  default: deny"]
    return "\n".join(y) + "\n"


L2DRAIN_CONF = """
ports:
  - name: a
    dev: net_ring0
    mac: 02:00:00:00:0a:01
    mode: l2
    generator:
      ip_version: 4
      frame_size: 64
      flows: 1
      rate_pps: 1000
      count: 3000
      dst_mac: 02:00:00:00:0a:01
  - {name: b, dev: "net_pcap1,tx_pcap=%(tmp)s/b2.pcap", mode: l2, rx: drop}
  - {name: c, dev: "net_pcap2,tx_pcap=%(tmp)s/c2.pcap", mode: l2, rx: drop}
workers:
  - {core: %(core)d, ports: [a]}
l2: {learning: true, flood: true}
"""


def final_lines(out):
    final = {}
    for line in out.splitlines():
        w = line.split()
        if len(w) < 2 or w[0] != "final":
            continue
        key = w[1].split("=")[-1] if "=" in w[1] else w[1]
        final[key] = dict(x.split("=", 1) for x in w[1:] if "=" in x)
    return final


def l2_drain(linerated, tmp):
    """The generator phase of l2learn (see the description)."""
    cfg = os.path.join(tmp, "drain.yaml")
    with open(cfg, "w") as f:
        f.write(L2DRAIN_CONF % {"tmp": tmp, "core": os.cpu_count() - 1})
    cmd = [linerated, "-q", "--no-control", "--no-huge", "-c", cfg, "-d", "4.5",
           "--summary", "--file-prefix", "lr-l2-drain-%d" % os.getpid()]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    sys.stdout.write(r.stdout)
    sys.stderr.write(r.stderr)
    if r.returncode != 0:
        return ["drain phase: linerated exited %d" % r.returncode]
    final = final_lines(r.stdout)
    b = read_pcap(os.path.join(tmp, "b2.pcap"))
    c = read_pcap(os.path.join(tmp, "c2.pcap"))
    same = int(final.get("drops", {}).get("l2_same_port", 0))
    rx = int(final.get("a", {}).get("rx_pkts", -1))
    errors = []
    if b != c:
        errors.append("drain phase: b got %d frames, c %d, not the same" %
                      (len(b), len(c)))
    mac = bytes.fromhex("02000000" "0a01")
    seqs = []
    for f in b:
        # Ethernet, IPv4 (20), UDP (8), then the generator's payload:
        # magic (0x4c52), flow, seq, little-endian.
        if f[:6] != mac or f[6:12] != mac or len(f) < 14 + 28 + 8:
            errors.append("drain phase: unexpected frame %s" % f.hex())
            break
        magic, _, seq = struct.unpack("<HHI", f[42:50])
        if magic != 0x4c52:
            errors.append("drain phase: no generator payload in %s" % f.hex())
            break
        seqs.append(seq)
    if seqs != list(range(len(seqs))):
        errors.append("drain phase: flooded frames are not the first ones "
                      "in order: %s" % seqs[:20])
    if not b:
        errors.append("drain phase: nothing flooded before the drain")
    if same < 1:
        errors.append("drain phase: no frame dropped as l2_same_port after "
                      "the drain (the MAC was never learned)")
    if len(b) + same != rx:
        errors.append("drain phase: flooded %d + same-port %d != received %d"
                      % (len(b), same, rx))
    drops = {k: v for k, v in final.get("drops", {}).items()
             if k != "l2_same_port"}
    if drops:
        errors.append("drain phase: other drops %s" % drops)
    if not errors:
        print("ok: drain phase: %d flooded before the drain, %d dropped as "
              "same-port after it" % (len(b), same))
    return errors


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    linerated, case = sys.argv[1], sys.argv[2]
    if os.geteuid() != 0:
        print("SKIP: needs root (DPDK, hugepages)")
        return 77
    if not os.access(linerated, os.X_OK):
        print("SKIP: %s not built" % linerated)
        return 77
    with open(os.path.join(PCAPS, "cases.json")) as f:
        meta = json.load(f)[case]
    with tempfile.TemporaryDirectory(prefix="lr-dp-modes-") as tmp:
        cfg = os.path.join(tmp, "c.yaml")
        with open(cfg, "w") as f:
            f.write(config(case, meta["conf"], tmp))
        cmd = [linerated, "-q", "--no-control", "--no-huge", "-c", cfg, "-d", "1.5", "--summary",
               "--file-prefix", "lr-dp-modes-%s-%d" % (case, os.getpid())]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        sys.stdout.write(r.stdout)
        sys.stderr.write(r.stderr)
        if r.returncode != 0:
            print("FAIL: linerated exited %d" % r.returncode)
            return 1
        final = {}
        for line in r.stdout.splitlines():
            w = line.split()
            if len(w) < 2 or w[0] != "final":
                continue
            key = w[1].split("=")[-1] if "=" in w[1] else w[1]
            kv = dict(x.split("=", 1) for x in w[1:] if "=" in x)
            final[key] = kv
        errors = []
        for port in ("a", "b", "c"):
            got = read_pcap(os.path.join(tmp, port + ".pcap"))
            exp = read_pcap(os.path.join(PCAPS, "%s_%s.pcap" % (case, port))) \
                if port in meta["out"] else []
            # What linerate counts as sent is what the port wrote.
            tx = (int(final.get(port, {}).get("tx_pkts", -1)),
                  int(final.get(port, {}).get("tx_bytes", -1)))
            if tx != (len(got), sum(map(len, got))):
                errors.append("port %s: counted tx %d frames / %d bytes, "
                              "wrote %d / %d" % (port, tx[0], tx[1], len(got),
                                                 sum(map(len, got))))
            if meta["sorted"]:
                got, exp = sorted(got), sorted(exp)
            if got != exp:
                errors.append("port %s: sent %d frames, expected %d%s" % (
                    port, len(got), len(exp),
                    "" if len(got) != len(exp) else " (bytes differ)"))
                for i, (g, e) in enumerate(zip(got, exp)):
                    if g != e:
                        errors.append("  frame %d: got %s\n  expected   %s" %
                                      (i, g.hex(), e.hex()))
                        break
        drops = {k: int(v) for k, v in final.get("drops", {}).items()}
        if drops != meta["drops"]:
            errors.append("drops %s, expected %s" % (drops, meta["drops"]))
        if int(final.get("a", {}).get("rx_pkts", -1)) != meta["n_in"]:
            errors.append("port a rx_pkts %s, expected %d" % (
                final.get("a", {}).get("rx_pkts"), meta["n_in"]))
        in_bytes = sum(map(len, read_pcap(os.path.join(PCAPS, case + "_in.pcap"))))
        if int(final.get("a", {}).get("rx_bytes", -1)) != in_bytes:
            errors.append("port a rx_bytes %s, expected %d" % (
                final.get("a", {}).get("rx_bytes"), in_bytes))
        fast = int(final.get("0", {}).get("fast_bursts", -1))
        want_fast = fast_bursts_expected(meta["conf"], meta["n_in"])
        if fast != want_fast:
            errors.append("fast_bursts %d, expected %d" % (fast, want_fast))
        if meta["acl_hits"]:
            hits = [int(final["acl"].get("hit%d" % i, -1))
                    for i in range(len(meta["acl_hits"]))]
            if hits != meta["acl_hits"]:
                errors.append("acl hits %s, expected %s" % (hits, meta["acl_hits"]))
        if case == "l2learn" and not errors:
            errors = l2_drain(linerated, tmp)
        if errors:
            print("FAIL: " + "\n".join(errors))
            return 1
        print("ok: %s: output frames and drop counters as expected" % case)
        return 0


if __name__ == "__main__":
    sys.exit(main())
