#!/usr/bin/python3
# SPDX-License-Identifier: MIT
#
# gen-fixtures.py — known-answer frames for the parser and checksum tests.
#
# Builds every fixture frame with scapy and derives everything the tests
# compare against from scapy alone (never from our C code): the parsed
# fields and offsets, scapy's computed checksums, the frames after a TTL
# decrement and after an address rewrite (checksums recomputed in full by
# scapy), and, for each cut length of the frame, the stop reason the parser
# contract (dataplane/parse.h) prescribes.
#
# Output (committed, so the tests do not need scapy):
#   tests/fixtures/frames.h        C tables
#   tests/fixtures/frames.pcap     the same frames, for wireshark/tcpdump
#   tests/fuzz/corpus/parse/<name> one seed file per frame
#
# Usage: scripts/gen-fixtures.py [repo-root]   (needs python3-scapy)
import os
import sys

from scapy.all import (ARP, AH, Dot1AD, Dot1Q, Ether, ICMP, ICMPv6EchoReply,
                       ICMPv6EchoRequest, IP, IPOption_NOP, IPOption_RR,
                       IPv6, IPv6ExtHdrDestOpt, IPv6ExtHdrFragment,
                       IPv6ExtHdrHopByHop, IPv6ExtHdrRouting, Padding, Raw,
                       TCP, UDP, fragment, wrpcap)
from scapy.layers.inet6 import _ICMPv6, _IPv6ExtHdr

IP6_EXT_MAX = 8  # DP_IP6_EXT_MAX in dataplane/parse.h

MAC_A = "02:00:00:00:00:01"
MAC_B = "02:00:00:00:00:02"
PAY = bytes(range(0x41, 0x41 + 18))


def eth(**kw):
    kw.setdefault("src", MAC_A)
    kw.setdefault("dst", MAC_B)
    return Ether(**kw)


def fixtures():
    """(name, frame bytes, rewrite spec) — rewrite spec: (which, address,
    update L4?) applied to the outermost IP header."""
    f = []
    udp4 = eth() / IP(src="192.0.2.1", dst="198.51.100.2", ttl=64, id=1) / \
        UDP(sport=1234, dport=5678) / PAY
    f.append(("eth_ip4_udp", bytes(udp4), (0, "10.9.8.7", True)))
    # Ethernet minimum frame: 60 bytes, padding after the IPv4 total length
    short = eth() / IP(src="192.0.2.1", dst="198.51.100.2", id=2) / \
        UDP(sport=53, dport=53) / b"hi"
    f.append(("eth_ip4_udp_pad", bytes(short).ljust(60, b"\0"),
              (1, "10.1.2.3", True)))
    nocs = eth() / IP(src="192.0.2.1", dst="198.51.100.2", id=3) / \
        UDP(sport=7, dport=9, chksum=0) / PAY
    f.append(("eth_ip4_udp_nocsum", bytes(nocs), (0, "172.16.0.1", True)))
    tcpo = eth() / IP(src="192.0.2.10", dst="203.0.113.5", ttl=17, id=4,
                      options=[IPOption_RR(routers=["1.2.3.4", "5.6.7.8"]),
                               IPOption_NOP()]) / \
        TCP(sport=40000, dport=443, flags="S", seq=1000,
            options=[("MSS", 1460), ("NOP", None), ("WScale", 7)]) / PAY
    f.append(("eth_ip4opts_tcp", bytes(tcpo), (1, "100.64.0.9", True)))
    big = IP(src="192.0.2.1", dst="198.51.100.2", id=0x4242) / \
        UDP(sport=1111, dport=2222) / (PAY * 6)
    frags = fragment(big, fragsize=48)
    f.append(("ip4_frag_first", bytes(eth() / frags[0]),
              (0, "10.0.0.1", False)))
    f.append(("ip4_frag_later", bytes(eth() / frags[1]),
              (1, "10.0.0.2", False)))
    icmp = eth() / IP(src="192.0.2.1", dst="192.0.2.254", ttl=3) / \
        ICMP(type=8, code=0, id=0x1234, seq=7) / PAY
    f.append(("eth_ip4_icmp_echo", bytes(icmp), (0, "10.0.0.3", True)))
    arp = eth(dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, hwsrc=MAC_A,
                                             psrc="192.0.2.1",
                                             pdst="192.0.2.2")
    f.append(("eth_arp", bytes(arp), None))
    v6tcp = eth() / Dot1Q(prio=3, vlan=100) / \
        IPv6(src="2001:db8::1", dst="2001:db8::2", hlim=33) / \
        TCP(sport=5555, dport=80, flags="PA", seq=1, ack=2) / PAY
    f.append(("vlan_ip6_tcp", bytes(v6tcp),
              (1, "2001:db8:ffff::7", True)))
    qinq = eth() / Dot1AD(prio=1, vlan=10) / Dot1Q(vlan=20) / \
        IP(src="192.0.2.1", dst="198.51.100.2", ttl=200) / \
        UDP(sport=4789, dport=4789) / PAY
    f.append(("qinq_ip4_udp", bytes(qinq), (0, "10.200.0.1", True)))
    ext = eth() / IPv6(src="2001:db8::a", dst="2001:db8::b") / \
        IPv6ExtHdrHopByHop() / IPv6ExtHdrDestOpt() / \
        IPv6ExtHdrFragment(m=1, offset=0, id=99) / \
        UDP(sport=3000, dport=4000) / PAY
    # the whole UDP datagram is in this "first fragment": checkable
    f.append(("ip6_ext_udp", bytes(ext), (0, "2001:db8::c", True)))
    extl = eth() / IPv6(src="2001:db8::a", dst="2001:db8::b") / \
        IPv6ExtHdrHopByHop() / IPv6ExtHdrFragment(m=0, offset=50, id=99) / \
        Raw(PAY)
    # scapy sets the fragment's nh from the payload guess: force UDP
    extl[IPv6ExtHdrFragment].nh = 17
    f.append(("ip6_frag_later", bytes(extl), (1, "2001:db8::d", False)))
    # scapy leaves TCP's checksum 0 under AH: take it from the same TCP
    # segment built right under IPv6 (same pseudo-header: the routing
    # header has segleft 0, so the final destination is dst); tcpdump -vv
    # on frames.pcap agrees
    tcp = TCP(sport=22, dport=2222, flags="A") / PAY
    tcs = IPv6(bytes(IPv6(src="2001:db8::1", dst="2001:db8::2") / tcp))
    tcp[TCP].chksum = tcs[TCP].chksum
    ah = eth() / IPv6(src="2001:db8::1", dst="2001:db8::2") / \
        IPv6ExtHdrRouting() / \
        AH(nh=6, payloadlen=4, spi=1, seq=2, icv=b"\x11" * 12) / tcp
    f.append(("ip6_routing_ah_tcp", bytes(ah), None))
    icmp6 = eth() / IPv6(src="fe80::1", dst="ff02::1", hlim=255) / \
        ICMPv6EchoRequest(id=5, seq=6, data=PAY)
    f.append(("ip6_icmp6_echo", bytes(icmp6), (1, "fe80::99", True)))
    rep6 = eth() / Dot1Q(vlan=7) / IPv6(src="fe80::2", dst="fe80::1") / \
        ICMPv6EchoReply(id=5, seq=6)
    f.append(("vlan_ip6_icmp6_reply", bytes(rep6), (0, "fe80::3", True)))
    udp6 = eth() / IPv6(src="2001:db8::1", dst="2001:db8::2", hlim=2) / \
        UDP(sport=546, dport=547) / PAY
    f.append(("ip6_udp", bytes(udp6), (1, "2001:db8::99", True)))
    chain = IPv6(src="2001:db8::1", dst="2001:db8::2")
    for _ in range(IP6_EXT_MAX):
        chain = chain / IPv6ExtHdrDestOpt()
    f.append(("ip6_ext_max", bytes(eth() / chain / UDP(sport=1, dport=2) /
                                   PAY), None))
    f.append(("ip6_ext_loop", bytes(eth() / chain / IPv6ExtHdrDestOpt() /
                                    UDP(sport=1, dport=2) / PAY), None))
    vlan3 = eth() / Dot1AD(vlan=1) / Dot1Q(vlan=2) / Dot1Q(vlan=3) / \
        IP() / UDP() / PAY
    f.append(("vlan3_ip4_udp", bytes(vlan3), None))
    gre = eth() / IP(src="192.0.2.1", dst="198.51.100.2", proto=47) / PAY
    f.append(("eth_ip4_gre", bytes(gre), (0, "10.4.4.4", False)))
    lldp = eth(dst="01:80:c2:00:00:0e", type=0x88cc) / PAY
    f.append(("eth_lldp", bytes(lldp), None))
    return f


def kind(layer):
    if isinstance(layer, Ether):
        return "eth"
    if isinstance(layer, (Dot1Q, Dot1AD)):
        return "vlan"
    if isinstance(layer, ARP):
        return "arp"
    if isinstance(layer, IP):
        return "ip4"
    if isinstance(layer, IPv6):
        return "ip6"
    if isinstance(layer, (_IPv6ExtHdr, AH)):
        return "ext"
    if isinstance(layer, UDP):
        return "udp"
    if isinstance(layer, TCP):
        return "tcp"
    if isinstance(layer, ICMP):
        return "icmp"
    if isinstance(layer, _ICMPv6):
        return "icmp6"
    return "payload"


def layers(pkt):
    """[(kind, offset, header length, scapy layer)] of a dissected frame."""
    out = []
    off = 0
    lay = pkt
    while lay is not None and lay.name != "NoPayload":
        if isinstance(lay, (Raw, Padding)):
            break
        hlen = len(lay) - len(lay.payload)
        if isinstance(lay, (ICMP, _ICMPv6)):
            hlen = 8  # the parser's view: type, code, csum, 4 bytes
        out.append((kind(lay), off, hlen, lay))
        off += hlen
        nxt = lay.payload
        if isinstance(lay, AH) and isinstance(nxt, Raw):
            # scapy binds nothing after AH over IPv6: dissect by nh
            nxt = {6: TCP, 17: UDP}.get(lay.nh, Raw)(bytes(nxt))
        lay = nxt
    return out


L0, L2, L3, L4 = "DP_L0", "DP_L2", "DP_L3", "DP_L4"


def model(frame, mode):
    """The parser contract over scapy's view of the frame.

    Returns (regions, want): regions is [(end, reason, layer)] in order —
    a frame cut to L bytes (L < end of the first region with L < end) stops
    with that reason; longer cuts give want. mode "cut" cuts the frame only;
    mode "shrink" also shrinks the IP length field to the cut (so the L4
    headers' own truncations become reachable)."""
    pkt = Ether(frame)
    regs = []
    w = dict(reason="LR_R_NONE", layer=L2, flags=[], l4_proto=0, ethertype=0,
             vlan_tci=[0, 0], l3_off=0, l4_off=0, pay_off=0, l3_len=0,
             sport=0, dport=0, ttl=0)
    nvlan = 0
    next_ext = 0
    frag = False
    ip_end = None

    def stop(reason, layer):
        w["reason"] = reason
        w["layer"] = layer

    for k, off, hlen, lay in layers(pkt):
        if k == "eth":
            regs.append((off + 14, "LR_R_TRUNC_ETH", L0))
            w["ethertype"] = lay.type
            w["l3_off"] = off + 14
        elif k == "vlan":
            if nvlan == 2:
                stop("LR_R_VLAN_DEPTH", L0)
                break
            regs.append((off + 4, "LR_R_TRUNC_VLAN", L0))
            w["vlan_tci"][nvlan] = (lay.prio << 13) | (lay.id << 12) | \
                lay.vlan
            nvlan += 1
            w["flags"] = ["DP_PF_VLAN"] + (["DP_PF_QINQ"] if nvlan == 2
                                           else [])
            w["ethertype"] = lay.type
            w["l3_off"] = off + 4
        elif k == "arp":
            regs.append((off + 8 + 2 * (lay.hwlen + lay.plen),
                         "LR_R_TRUNC_ARP", L2))
            w["layer"] = L3
            w["l3_len"] = 8 + 2 * (lay.hwlen + lay.plen)
            break
        elif k == "ip4":
            regs.append((off + hlen, "LR_R_TRUNC_IP4", L2))
            ip_end = off + lay.len
            if mode == "cut":
                regs.append((ip_end, "LR_R_BAD_IP4_LEN", L2))
            w.update(layer=L3, l3_len=lay.len, ttl=lay.ttl,
                     l4_proto=lay.proto, l4_off=off + hlen,
                     pay_off=off + hlen)
            if lay.ihl > 5:
                w["flags"].append("DP_PF_IP_OPTS")
            if lay.flags.MF or lay.frag:
                frag = True
                w["flags"].append("DP_PF_FRAG")
            if lay.frag:
                w["flags"].append("DP_PF_FRAG_LATER")
                break
        elif k == "ip6":
            regs.append((off + 40, "LR_R_TRUNC_IP6", L2))
            ip_end = off + 40 + lay.plen
            if mode == "cut":
                regs.append((ip_end, "LR_R_BAD_IP6_LEN", L2))
            w.update(layer=L3, l3_len=40 + lay.plen, ttl=lay.hlim,
                     l4_proto=lay.nh, l4_off=off + 40, pay_off=off + 40)
        elif k == "ext":
            if next_ext == IP6_EXT_MAX:
                stop("LR_R_IP6_EXT_LIMIT", L3)
                break
            next_ext += 1
            if "DP_PF_IP6_EXT" not in w["flags"]:
                w["flags"].append("DP_PF_IP6_EXT")
            regs.append((off + hlen, "LR_R_TRUNC_IP6_EXT", L3))
            w.update(l4_proto=lay.nh, l4_off=off + hlen, pay_off=off + hlen)
            if isinstance(lay, IPv6ExtHdrFragment) and (lay.m or lay.offset):
                frag = True
                w["flags"].append("DP_PF_FRAG")
                if lay.offset:
                    w["flags"].append("DP_PF_FRAG_LATER")
                    break
        elif k == "udp":
            regs.append((off + 8, "LR_R_TRUNC_UDP", L3))
            if not frag:
                regs.append((off + lay.len, "LR_R_BAD_UDP_LEN", L3))
            w.update(layer=L4, sport=lay.sport, dport=lay.dport,
                     pay_off=off + 8)
            break
        elif k == "tcp":
            regs.append((off + 20, "LR_R_TRUNC_TCP", L3))
            regs.append((off + lay.dataofs * 4, "LR_R_BAD_TCP_DOFF", L3))
            w.update(layer=L4, sport=lay.sport, dport=lay.dport,
                     pay_off=off + lay.dataofs * 4)
            break
        elif k in ("icmp", "icmp6"):
            regs.append((off + 8, "LR_R_TRUNC_ICMP" +
                         ("6" if k == "icmp6" else ""), L3))
            w.update(layer=L4, sport=lay.type, dport=lay.code,
                     pay_off=off + 8)
            break
        else:
            break
    # regions are cumulative ends: drop any that a previous one covers
    mono = []
    for r in regs:
        if not mono or r[0] > mono[-1][0]:
            mono.append(r)
    return mono, w, ip_end


def checksums(frame):
    """scapy's own checksum values (as in the header, big-endian ints) and
    the L4 length they cover; -1 when not checkable independently."""
    pkt = Ether(frame)
    ip4 = pkt.getlayer(IP)
    ip4_cs = ip4.chksum if ip4 is not None else -1
    l4_cs = -1
    if ip4 is not None and (ip4.flags.MF or ip4.frag):
        return ip4_cs, -1  # L4 checksum covers the reassembled datagram
    fh = pkt.getlayer(IPv6ExtHdrFragment)
    if fh is not None and fh.offset:
        return ip4_cs, -1
    for cls in (UDP, TCP, ICMP, ICMPv6EchoRequest, ICMPv6EchoReply):
        lay = pkt.getlayer(cls)
        if lay is not None:
            l4_cs = lay.cksum if hasattr(lay, "cksum") else lay.chksum
            break
    return ip4_cs, l4_cs


def recompute(pkt):
    """Have scapy recompute every checksum (and only those) in full."""
    for cls in (IP, UDP, TCP, ICMP, ICMPv6EchoRequest, ICMPv6EchoReply):
        lay = pkt.getlayer(cls)
        if lay is None:
            continue
        if cls is UDP and lay.chksum == 0:
            continue  # "no checksum" stays that way
        if cls is IP:
            del lay.chksum
        elif hasattr(lay, "cksum"):
            del lay.cksum
        else:
            del lay.chksum
    return pkt


def rebuilt(frame, pkt):
    """bytes of pkt with any trailing Ethernet padding of frame kept."""
    b = bytes(pkt)
    return b + frame[len(b):] if len(b) < len(frame) else b


def ttl_frame(frame):
    pkt = Ether(frame)
    if pkt.getlayer(IP) is not None:
        ip = pkt[IP]
        if ip.ttl <= 1:
            return None
        ip.ttl -= 1
        del ip.chksum
        return rebuilt(frame, pkt)
    if pkt.getlayer(IPv6) is not None:
        ip6 = pkt[IPv6]
        if ip6.hlim <= 1:
            return None
        ip6.hlim -= 1
        return rebuilt(frame, pkt)
    return None


def rw_frame(frame, spec):
    which, addr, with_l4 = spec
    pkt = Ether(frame)
    if pkt.getlayer(IP) is not None:
        ip = pkt[IP]
        if which == 0:
            ip.src = addr
        else:
            ip.dst = addr
        if with_l4:
            recompute(pkt)
        else:
            del ip.chksum
        return rebuilt(frame, pkt)
    ip6 = pkt[IPv6]
    if which == 0:
        ip6.src = addr
    else:
        ip6.dst = addr
    if with_l4:
        recompute(pkt)
    return rebuilt(frame, pkt)


def addr_bytes(addr):
    import ipaddress
    return ipaddress.ip_address(addr).packed


def c_bytes(b, indent="\t"):
    lines = []
    for i in range(0, len(b), 12):
        lines.append(indent + ", ".join("0x%02x" % x for x in b[i:i + 12])
                     + ",")
    return "\n".join(lines)


def c_regions(regs):
    return "\n".join("\t{ %d, %s, %s }," % r for r in regs)


def c_flags(fl):
    return " | ".join(fl) if fl else "0"


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else \
        os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    fx = fixtures()
    out = []
    out.append("""/* SPDX-License-Identifier: MIT */
/*
 * GENERATED by scripts/gen-fixtures.py from scapy — do not edit.
 *
 * Known-answer frames: the parse result scapy's dissection implies, scapy's
 * checksums, the frames after TTL decrement / address rewrite with scapy's
 * full recompute, and the stop reason of every cut length (regions: a cut
 * to L bytes stops with the reason of the first region whose end > L;
 * longer cuts parse like the whole frame). "shrink" regions apply when the
 * IP length field is shrunk to the cut as well.
 */
#ifndef LR_TEST_FRAMES_H
#define LR_TEST_FRAMES_H

#include <stddef.h>
#include <stdint.h>

#include "parse.h"

struct lr_fx_region {
	uint16_t end;
	uint8_t reason;
	uint8_t layer;
};

struct lr_fixture {
	const char *name;
	const uint8_t *frame;
	uint16_t len;
	struct dp_parsed want;
	int32_t ip4_csum; /* scapy's IPv4 header checksum, -1: none */
	int32_t l4_csum;  /* scapy's UDP/TCP/ICMP/ICMPv6 checksum, -1: none */
	const struct lr_fx_region *cut;
	uint16_t n_cut;
	const struct lr_fx_region *shrink;
	uint16_t n_shrink;
	const uint8_t *ttl_frame; /* after TTL/hop decrement, NULL: none */
	const uint8_t *rw_frame;  /* after address rewrite, NULL: none */
	int rw_which;             /* 0 source, 1 destination */
	int rw_l4;                /* rewrite passes the L4 header */
	uint8_t rw_addr[16];
};
""")
    table = []
    pcap = []
    corpus = os.path.join(root, "tests/fuzz/corpus/parse")
    os.makedirs(corpus, exist_ok=True)
    for name, frame, rw in fx:
        pk = Ether(frame)
        pk.time = 1700000000 + len(pcap)  # reproducible output
        pcap.append(pk)
        with open(os.path.join(corpus, name), "wb") as fh:
            fh.write(frame)
        cut, want, _ = model(frame, "cut")
        shrink, _, _ = model(frame, "shrink")
        ip4_cs, l4_cs = checksums(frame)
        if want["reason"] != "LR_R_NONE":
            ip4_cs, l4_cs = -1, -1
        out.append("static const uint8_t fx_%s[%d] = {\n%s\n};" %
                   (name, len(frame), c_bytes(frame)))
        out.append("static const struct lr_fx_region fx_%s_cut[] = {\n%s\n};"
                   % (name, c_regions(cut)))
        out.append("static const struct lr_fx_region fx_%s_shrink[] = "
                   "{\n%s\n};" % (name, c_regions(shrink)))
        tf = ttl_frame(frame) if want["reason"] == "LR_R_NONE" else None
        if tf is not None:
            assert len(tf) == len(frame)
            out.append("static const uint8_t fx_%s_ttl[%d] = {\n%s\n};" %
                       (name, len(tf), c_bytes(tf)))
        rf = rw_frame(frame, rw) if rw else None
        if rf is not None:
            assert len(rf) == len(frame)
            out.append("static const uint8_t fx_%s_rw[%d] = {\n%s\n};" %
                       (name, len(rf), c_bytes(rf)))
        w = want
        table.append("""\t{
		.name = "%s",
		.frame = fx_%s,
		.len = %d,
		.want = {
			.reason = %s,
			.layer = %s,
			.flags = %s,
			.l4_proto = %d,
			.ethertype = 0x%04x,
			.vlan_tci = { 0x%04x, 0x%04x },
			.l3_off = %d,
			.l4_off = %d,
			.pay_off = %d,
			.l3_len = %d,
			.sport = %d,
			.dport = %d,
			.ttl = %d,
		},
		.ip4_csum = %d,
		.l4_csum = %d,
		.cut = fx_%s_cut,
		.n_cut = %d,
		.shrink = fx_%s_shrink,
		.n_shrink = %d,
		.ttl_frame = %s,
		.rw_frame = %s,
		.rw_which = %d,
		.rw_l4 = %d,
		.rw_addr = { %s },
	},""" % (name, name, len(frame), w["reason"], w["layer"],
             c_flags(w["flags"]), w["l4_proto"], w["ethertype"],
             w["vlan_tci"][0], w["vlan_tci"][1], w["l3_off"], w["l4_off"],
             w["pay_off"], w["l3_len"], w["sport"], w["dport"], w["ttl"],
             ip4_cs, l4_cs, name, len(cut), name, len(shrink),
             "fx_%s_ttl" % name if tf else "NULL",
             "fx_%s_rw" % name if rf else "NULL",
             rw[0] if rw else 0, 1 if rw and rw[2] else 0,
             ", ".join("0x%02x" % x for x in addr_bytes(rw[1]))
             if rw else "0"))
    out.append("static const struct lr_fixture lr_fixtures[] = {\n%s\n};" %
               "\n".join(table))
    out.append("#define LR_N_FIXTURES "
               "(sizeof(lr_fixtures) / sizeof(lr_fixtures[0]))\n")
    out.append("#endif")
    fxdir = os.path.join(root, "tests/fixtures")
    os.makedirs(fxdir, exist_ok=True)
    with open(os.path.join(fxdir, "frames.h"), "w") as fh:
        fh.write("\n\n".join(out) + "\n")
    wrpcap(os.path.join(fxdir, "frames.pcap"), pcap)


if __name__ == "__main__":
    main()
