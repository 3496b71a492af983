#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Generate the dataplane mode fixtures: input pcaps, expected output pcaps
and expected counters, for tests/integration/dp_modes.py.

    tests/integration/dp_make_pcaps.py [OUTDIR]   (default: dp_pcaps/ beside this file)

Deterministic (fixed timestamps, no randomness): rerunning writes the same
bytes. Each case: <case>_in.pcap is what port a receives; <case>_<port>.pcap
what port <port> must transmit; cases.json the config bits and the drop
counters by reason the run must end with.
"""
import json
import os
import struct
import sys

from scapy.all import ARP, IP, TCP, UDP, Dot1Q, Ether, IPv6, Raw

MAC_A, MAC_B, MAC_C = "02:00:00:00:0a:01", "02:00:00:00:0b:01", "02:00:00:00:0c:01"
SRC = "02:00:00:00:99:01"
NB_B, NB_C, NB_C5 = "02:00:00:00:0b:02", "02:00:00:00:0c:02", "02:00:00:00:0c:05"


def wr(path, frames):
    """Classic pcap, Ethernet link type, fixed timestamps."""
    with open(path, "wb") as w:
        w.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i, f in enumerate(frames):
            raw = bytes(f)
            w.write(struct.pack("<IIII", 1700000000, i * 1000, len(raw),
                                len(raw)))
            w.write(raw)


def pay(n=18):
    return Raw(bytes(range(n)))


def u4(dst, ttl=64, dport=9, src="10.0.0.1", sport=1234):
    return Ether(dst=MAC_A, src=SRC) / IP(src=src, dst=dst, ttl=ttl) / UDP(sport=sport, dport=dport) / pay()


def u6(dst, hlim=64, dport=9, src="2001:db8::1"):
    return Ether(dst=MAC_A, src=SRC) / IPv6(src=src, dst=dst, hlim=hlim) / UDP(sport=1234, dport=dport) / pay()


def routed(f, nb_mac, port_mac):
    """What l3 mode makes of f: neighbour MAC, port MAC, TTL-1, checksum."""
    g = f.copy()
    g[Ether].dst = nb_mac
    g[Ether].src = port_mac
    if IP in g:
        g[IP].ttl -= 1
        del g[IP].chksum
    else:
        g[IPv6].hlim -= 1
    return bytes(g)


def mixed():
    return [
        u4("10.1.5.5"),
        u6("2001:db8:1::5"),
        Ether(dst="ff:ff:ff:ff:ff:ff", src=SRC) / ARP(pdst="10.1.0.1"),
        Ether(dst=MAC_A, src=SRC) / IP(dst="10.1.2.3") / TCP(dport=80) / pay(30),
        Ether(dst=MAC_A, src=SRC, type=0x88b5) / Raw(b"\x00" * 46),
        bytes(u4("10.1.5.6"))[:40],  # truncated IPv4
    ]


def case_io():
    fin = mixed()
    return {"in": fin, "out": {"b": [bytes(f) for f in fin]},
            "drops": {}, "conf": "io"}


def case_macswap():
    fin = mixed() + [b"\x02\x00\x00\x00\x0a\x01\x02\x00"]  # 8-byte runt
    exp = []
    for f in fin:
        r = bytes(f)
        if len(r) >= 14:
            exp.append(r[6:12] + r[0:6] + r[12:])
    return {"in": fin, "out": {"a": exp}, "drops": {"trunc_eth": 1},
            "conf": "macswap"}


def ip4_udp_raw(size, n):
    """An Ethernet/IPv4/UDP frame of size bytes built with struct only (no
    scapy): dst MAC_A, a source MAC and payload bytes that depend on n, so
    every frame differs and a lost, reordered or unswapped one shows."""
    src = bytes.fromhex("0200000099") + bytes([n & 0xff])
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, size - 14, n, 0, 64, 17, 0,
                     bytes([10, 0, 0, 1]), bytes([10, 1, n >> 8, n & 0xff]))
    s = sum(struct.unpack("!10H", ip))
    s = (s & 0xffff) + (s >> 16)
    s = (s & 0xffff) + (s >> 16)
    ip = ip[:10] + struct.pack("!H", ~s & 0xffff) + ip[12:]
    udp = struct.pack("!HHHH", 1234, 9, size - 34, 0)
    payload = bytes((n + k) & 0xff for k in range(size - 42))
    return bytes.fromhex(MAC_A.replace(":", "")) + src + b"\x08\x00" + ip + \
        udp + payload


def case_macswap_full():
    """macswap with no frame under 16 bytes: dp_fwd_macswap returns 0 and
    every burst of 16 or more goes out whole (send_direct, the burst's own
    arrays; lazy on DPDK). 72 frames, 60..1514 bytes: net_pcap hands them
    over as bursts of 32, 32 (both direct) and 8 (buffered, dispatched)."""
    sizes = [60, 1514, 64, 1500] + [60 + (i * 277) % 1455 for i in range(68)]
    fin = [ip4_udp_raw(sz, i) for i, sz in enumerate(sizes)]
    exp = [f[6:12] + f[0:6] + f[12:] for f in fin]
    return {"in": fin, "out": {"a": exp}, "drops": {}, "conf": "macswap"}


def case_io_full():
    """io on the fast path (worker.c poll_io_direct): 72 frames, 60..1514
    bytes, go to b as they came; net_pcap hands them over as bursts of 32,
    32 (each sent whole by one backend call) and 8 (buffered)."""
    sizes = [1514, 60, 1500, 64] + [60 + (i * 389) % 1455 for i in range(68)]
    fin = [ip4_udp_raw(sz, 100 + i) for i, sz in enumerate(sizes)]
    return {"in": fin, "out": {"b": fin}, "drops": {}, "conf": "io"}


def case_l3():
    bad = u4("10.1.5.5")
    bad[IP].chksum = 0x1234
    vl = Ether(dst=MAC_A, src=SRC) / Dot1Q(vlan=7) / IP(src="10.0.0.1", dst="10.1.2.3", ttl=9) / UDP(dport=7) / pay()
    fin = [
        u4("10.1.5.5"),                      # /16 -> b
        u4("10.1.2.3"),                      # /24 wins -> c
        u4("10.200.0.1"),                    # no route
        u4("10.1.5.5", ttl=1),               # ttl expired
        bad,                                 # bad header checksum
        Ether(dst="ff:ff:ff:ff:ff:ff", src=SRC) / ARP(pdst="10.1.0.1"),  # not ip
        bytes(u4("10.1.5.6"))[:30],          # truncated IPv4 header
        u4("10.9.1.1"),                      # via without neighbour
        u6("2001:db8:1:5::1"),               # /48 -> b
        u6("2001:db8:1:2::1"),               # /64 wins -> c
        u6("2001:db8:1:5::1", hlim=1),       # hop limit expired
        u6("2001:db8:99::1"),                # no route
        u4("172.16.0.5"),                    # connected -> c, neighbour
        u4("172.16.0.6"),                    # connected, no neighbour
        Ether(dst=MAC_A, src=SRC) / IP(src="10.0.0.1", dst="10.1.7.7", ttl=2) / TCP(dport=80) / pay(),
        vl,                                  # VLAN-tagged, /24 -> c
    ]
    outb = [routed(fin[0], NB_B, MAC_B), routed(fin[8], NB_B, MAC_B),
            routed(fin[14], NB_B, MAC_B)]
    outc = [routed(fin[1], NB_C, MAC_C), routed(fin[9], NB_C, MAC_C),
            routed(fin[12], NB_C5, MAC_C), routed(fin[15], NB_C, MAC_C)]
    return {"in": fin, "out": {"b": outb, "c": outc},
            "drops": {"no_route": 2, "ttl_expired": 2, "bad_ip4_csum": 1,
                      "not_ip": 1, "trunc_ip4": 1, "no_neigh": 2},
            "conf": "l3"}


def l2f(dst, n=0):
    return Ether(dst=dst, src=SRC) / IP(dst="10.0.0.%d" % (n + 1)) / UDP() / pay()


def case_l2(flood):
    b99, c99, a99 = "02:00:00:00:0b:99", "02:00:00:00:0c:99", "02:00:00:00:0a:99"
    fin = [l2f(b99, 0), l2f(c99, 1), l2f(a99, 2), l2f("02:00:00:00:77:77", 3),
           l2f("ff:ff:ff:ff:ff:ff", 4)]
    if flood:
        out = {"b": [bytes(fin[i]) for i in (0, 3, 4)],
               "c": [bytes(fin[i]) for i in (1, 3, 4)]}
        drops = {"l2_same_port": 1}
    else:
        out = {"b": [bytes(fin[0])], "c": [bytes(fin[1])]}
        drops = {"l2_same_port": 1, "l2_unknown": 2}
    return {"in": fin, "out": out, "drops": drops, "sorted": True,
            "conf": "l2flood" if flood else "l2drop"}


def case_l2learn():
    s1, s2 = "02:00:00:00:51:01", "02:00:00:00:52:02"
    f1 = Ether(dst="02:00:00:00:77:77", src=s1) / IP(dst="10.0.0.1") / UDP() / pay()
    f2 = Ether(dst=s1, src=s2) / IP(dst="10.0.0.2") / UDP() / pay()
    f3 = Ether(dst="02:00:00:00:0b:99", src=s2) / IP(dst="10.0.0.3") / UDP() / pay()
    # f1 floods (unknown) and queues "s1 behind a" for the control
    # thread; f2 is for s1 but arrives in the same burst, before the
    # control thread has drained the learn ring: flooded too (the worker
    # never writes the table); f3 goes to its static entry on b. That a
    # drained entry then sends frames out of its port only, moves, ring
    # overflow and aging: tests/unit/test_dp_l2.c.
    out = {"b": [bytes(f1), bytes(f2), bytes(f3)], "c": [bytes(f1), bytes(f2)]}
    return {"in": [f1, f2, f3], "out": out, "drops": {},
            "sorted": True, "conf": "l2learn"}


def case_acl():
    fin = [
        u4("10.1.1.1", dport=53),                          # rule 0 deny
        u4("10.1.1.1", src="10.66.3.4", dport=9),          # rule 1 deny
        Ether(dst=MAC_A, src=SRC) / IP(src="10.0.0.1", dst="10.1.1.1") / TCP(dport=85) / pay(),  # rule 2 permit
        Ether(dst=MAC_A, src=SRC) / IP(src="10.0.0.1", dst="10.1.1.1") / TCP(dport=22) / pay(),  # default deny
        u6("2001:db8::9", dport=53),                       # rule 0 deny (any family)
        Ether(dst=MAC_A, src=SRC) / IPv6(src="2001:db8::1", dst="2001:db8::9") / TCP(dport=80) / pay(),  # rule 2
        u4("10.1.1.1", dport=9),                           # rule 3 permit udp
    ]
    out = {"b": [bytes(fin[i]) for i in (2, 5, 6)]}
    return {"in": fin, "out": out, "drops": {"acl_deny": 4},
            "acl_hits": [2, 1, 2, 1], "conf": "acl"}


def case_aclnonip(deny):
    """ARP, another ethertype and a truncated IPv4/UDP frame have no
    5-tuple: the default action decides for them, as for IP with no match."""
    fin = mixed()  # u4 udp, u6 udp, ARP, u4 tcp, 0x88b5, truncated u4
    if deny:
        return {"in": fin, "out": {"b": [bytes(fin[i]) for i in (0, 1, 3)]},
                "drops": {"acl_deny": 3}, "acl_hits": [2, 1],
                "conf": "aclnonip"}
    return {"in": fin, "out": {"b": [bytes(fin[i]) for i in (2, 3, 4, 5)]},
            "drops": {"acl_deny": 2}, "acl_hits": [2], "conf": "aclpermit"}


def case_l2acl():
    """l2 with learning and flooding behind `acl: true, default: deny`: the
    ACL runs first, so nothing is flooded, forwarded or learned."""
    c = case_l2(True)
    return {"in": c["in"], "out": {}, "drops": {"acl_deny": len(c["in"])},
            "sorted": True, "conf": "l2acl"}


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "dp_pcaps")
    os.makedirs(outdir, exist_ok=True)
    cases = {"io": case_io(), "io_full": case_io_full(),
             "macswap": case_macswap(),
             "macswap_full": case_macswap_full(), "l3": case_l3(),
             "l2flood": case_l2(True), "l2drop": case_l2(False),
             "l2learn": case_l2learn(),
             "acl": case_acl(), "aclnonip": case_aclnonip(True),
             "aclpermit": case_aclnonip(False), "l2acl": case_l2acl()}
    meta = {}
    for name, c in cases.items():
        meta[name] = write_case(outdir, name, c)
    write_meta(outdir, meta)


def write_case(outdir, name, c):
    """A case's pcaps; returns its cases.json entry."""
    wr(os.path.join(outdir, name + "_in.pcap"), c["in"])
    for port, frames in c["out"].items():
        wr(os.path.join(outdir, "%s_%s.pcap" % (name, port)), frames)
    return {"conf": c["conf"], "out": sorted(c["out"].keys()),
            "drops": c["drops"], "sorted": c.get("sorted", False),
            "acl_hits": c.get("acl_hits"), "n_in": len(c["in"])}


def write_meta(outdir, meta):
    with open(os.path.join(outdir, "cases.json"), "w") as f:
        json.dump(meta, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
