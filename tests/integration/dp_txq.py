#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Description: a worker sends on a DPDK port it does not poll, on a TX
queue of its own.

    dp_txq.py LINERATED

Ports a and b are net_pcap vdevs with one rx_pcap each and two tx_pcap
(two TX queues: one per worker). Worker 0 polls a only, worker 1 polls b
only; a forwards (io) to b and b to a, so every packet leaves on a port
its worker does not poll. The frames each port transmits (both TX queues
together) must be exactly the frames the other port received, bytes and
order intact; the per-port counters agree; nothing is dropped (no
port_down). Needs root (DPDK); exits 77 when it cannot run here.
"""
import os
import struct
import subprocess
import sys
import tempfile


def write_pcap(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", i, 0, len(fr), len(fr)))
            f.write(fr)


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


def frames(tag, count):
    out = []
    for seq in range(count):
        n = 60 + (seq * 53) % 1400
        hdr = bytes([2, 0, 0, 0, 0xd7, tag, 2, 0, 0, 0, 0xd7, 0x10 + tag])
        hdr += struct.pack("!H", 0x88b5) + b"LRDT" + bytes([tag])
        hdr += struct.pack("!I", seq)
        out.append(hdr + bytes((seq * 13 + i * 5 + tag) & 0xff
                               for i in range(len(hdr), n)))
    return out


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    linerated = sys.argv[1]
    if os.geteuid() != 0:
        print("SKIP: needs root (DPDK)")
        return 77
    if not os.access(linerated, os.X_OK):
        print("SKIP: %s not built" % linerated)
        return 77
    ins = {"a": frames(0x0a, 300), "b": frames(0x0b, 200)}
    with tempfile.TemporaryDirectory(prefix="lr-dt-txq-") as tmp:
        for p in ("a", "b"):
            write_pcap(os.path.join(tmp, p + "_in.pcap"), ins[p])
        y = ["ports:"]
        for i, (p, peer) in enumerate((("a", "b"), ("b", "a"))):
            y.append("  - name: %s" % p)
            y.append("    dev: \"net_pcap%d,rx_pcap=%s/%s_in.pcap,"
                     "tx_pcap=%s/%s0.pcap,tx_pcap=%s/%s1.pcap\"" %
                     (i, tmp, p, tmp, p, tmp, p))
            y.append("    mode: io")
            y.append("    peer: %s" % peer)
        core = os.cpu_count() - 1
        y.append("workers:")
        y.append("  - {core: %d, ports: [a]}" % core)
        y.append("  - {core: %d, ports: [b]}" % max(core - 1, 0))
        cfg = os.path.join(tmp, "c.yaml")
        with open(cfg, "w") as f:
            f.write("\n".join(y) + "\n")
        cmd = [linerated, "-q", "--no-control", "--no-huge", "-c", cfg,
               "-d", "1.5", "--summary",
               "--file-prefix", "lr-dt-txq-%d" % os.getpid()]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        sys.stdout.write(r.stdout)
        sys.stderr.write(r.stderr)
        if r.returncode != 0:
            print("FAIL: linerated exited %d" % r.returncode)
            return 1
        errors = []
        for p, src in (("a", "b"), ("b", "a")):
            q = [read_pcap(os.path.join(tmp, "%s%d.pcap" % (p, k)))
                 for k in (0, 1)]
            print("port %s sent %d + %d frames on TX queues 0 + 1" %
                  (p, len(q[0]), len(q[1])))
            # One worker sends all of a port's frames, on one queue.
            got = q[0] + q[1]
            if got != ins[src]:
                errors.append("port %s: sent %d frames, expected the %d "
                              "port %s received%s" % (
                                  p, len(got), len(ins[src]), src,
                                  " (bytes differ)"
                                  if len(got) == len(ins[src]) else ""))
            if q[0] and q[1]:
                errors.append("port %s: frames on both TX queues, but one "
                              "worker sends to it" % p)
        final = {}
        for line in r.stdout.splitlines():
            w = line.split()
            if len(w) >= 2 and w[0] == "final":
                key = w[1].split("=")[-1] if "=" in w[1] else w[1]
                final[key] = dict(x.split("=", 1) for x in w[1:] if "=" in x)
        for p, src in (("a", "b"), ("b", "a")):
            st = final.get(p, {})
            if (st.get("rx_pkts") != str(len(ins[p])) or
                    st.get("tx_pkts") != str(len(ins[src]))):
                errors.append("port %s counters rx=%s tx=%s, expected "
                              "%d/%d" % (p, st.get("rx_pkts"),
                                         st.get("tx_pkts"), len(ins[p]),
                                         len(ins[src])))
        if final.get("drops", {}):
            errors.append("drops %s, expected none" % final["drops"])
        if errors:
            print("FAIL: " + "\n".join(errors))
            return 1
        print("ok: each worker sent on the port it does not poll")
        return 0


if __name__ == "__main__":
    sys.exit(main())
