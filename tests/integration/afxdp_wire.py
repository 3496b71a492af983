#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""afxdp_wire.py: send marked frames on one interface, capture on another,
and compare the bytes that arrive with what the forwarding mode must make
of them. Runs inside the generator's network namespace.

  afxdp_wire.py --tx IF --rx IF [--count N] [--expect macswap|l3|none]
                [--dst-mac MAC] [--l3-src-mac MAC] [--l3-dst-mac MAC]
                [--timeout S]

Frames: IPv4/UDP of several sizes (60..1514 bytes), each with the marker
b'LRXD', a run id and a sequence number in its payload, so that other
traffic on the wire (and earlier runs) is ignored.

--expect macswap: every frame arrives once with source and destination MAC
swapped and the rest unchanged. --expect l3: the destination MAC becomes
--l3-dst-mac, the source --l3-src-mac, the TTL drops by one and the IPv4
checksum is right. --expect none: no marked frame arrives.

Exit 0 when every frame matched, 1 with a report of the first mismatches
otherwise.
"""
import argparse
import os
import select
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003


def mac_bytes(s):
    return bytes(int(x, 16) for x in s.split(":"))


def if_mac(ifname):
    with open(f"/sys/class/net/{ifname}/address") as f:
        return mac_bytes(f.read().strip())


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def build(seq, run, size, dst, src):
    marker = b"LRXD" + struct.pack("!II", run, seq)
    pay_len = size - 14 - 20 - 8
    payload = (marker + bytes((seq + i) & 0xFF for i in range(pay_len)))[:pay_len]
    udp = struct.pack("!HHHH", 1000 + seq % 50, 2000, 8 + pay_len, 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), seq & 0xFFFF,
                     0, 64, 17, 0, bytes([198, 18, 0, 1]),
                     bytes([198, 19, seq % 200, 2]))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return dst + src + b"\x08\x00" + ip + udp


def expected(frame, mode, l3_src, l3_dst):
    if mode == "macswap":
        return frame[6:12] + frame[0:6] + frame[12:]
    if mode == "l3":
        ip = bytearray(frame[14:34])
        ip[8] -= 1
        ip[10:12] = b"\0\0"
        ip[10:12] = struct.pack("!H", csum(bytes(ip)))
        return l3_dst + l3_src + frame[12:14] + bytes(ip) + frame[34:]
    return frame


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tx", required=True)
    ap.add_argument("--rx", required=True)
    ap.add_argument("--count", type=int, default=200)
    ap.add_argument("--expect", default="macswap",
                    choices=["macswap", "l3", "none"])
    ap.add_argument("--dst-mac")
    ap.add_argument("--l3-src-mac")
    ap.add_argument("--l3-dst-mac")
    ap.add_argument("--timeout", type=float, default=10.0)
    a = ap.parse_args()

    run = (os.getpid() << 8 | int(time.time()) & 0xFF) & 0xFFFFFFFF
    src = if_mac(a.tx)
    dst = mac_bytes(a.dst_mac) if a.dst_mac else b"\x02\x00\x00\x00\x00\x01"
    l3_src = mac_bytes(a.l3_src_mac) if a.l3_src_mac else None
    l3_dst = mac_bytes(a.l3_dst_mac) if a.l3_dst_mac else None
    sizes = [60, 64, 128, 333, 512, 1024, 1514]

    rx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                       socket.htons(ETH_P_ALL))
    rx.bind((a.rx, 0))
    rx.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    tx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    tx.bind((a.tx, 0))

    sent = {}
    for seq in range(a.count):
        f = build(seq, run, sizes[seq % len(sizes)], dst, src)
        sent[seq] = f
        tx.send(f)
        if seq % 32 == 31:
            time.sleep(0.001)  # bounded pace: the DUT's rings stay small

    got = {}
    bad = []
    deadline = time.monotonic() + a.timeout
    while time.monotonic() < deadline and len(got) < a.count:
        r, _, _ = select.select([rx], [], [], 0.05)
        if not r:
            if a.expect == "none" and time.monotonic() > deadline - a.timeout / 2:
                break
            continue
        data, addr = rx.recvfrom(65535)
        if addr[2] == socket.PACKET_OUTGOING:
            continue
        i = data.find(b"LRXD")
        if i < 0 or len(data) < i + 12:
            continue
        r_run, seq = struct.unpack("!II", data[i + 4:i + 12])
        if r_run != run or seq not in sent:
            continue
        if seq in got:
            bad.append(f"seq {seq}: arrived twice")
            continue
        got[seq] = data
        want = expected(sent[seq], a.expect, l3_src, l3_dst)
        if a.expect != "none" and data != want:
            diff = next((k for k in range(min(len(data), len(want)))
                         if data[k] != want[k]), min(len(data), len(want)))
            bad.append(f"seq {seq}: {len(data)} bytes, want {len(want)}; "
                       f"first difference at byte {diff}: "
                       f"got {data[diff:diff + 8].hex()} "
                       f"want {want[diff:diff + 8].hex()}")

    if a.expect == "none":
        if got:
            print(f"afxdp_wire: FAIL: {len(got)} frames arrived, expected none")
            return 1
        print(f"afxdp_wire: ok: none of {a.count} frames arrived, as expected")
        return 0
    missing = [s for s in sent if s not in got]
    if bad or missing:
        print(f"afxdp_wire: FAIL: sent {a.count}, got {len(got)}, "
              f"{len(bad)} wrong, {len(missing)} missing "
              f"(first missing: {missing[:10]})")
        for line in bad[:10]:
            print("  " + line)
        return 1
    print(f"afxdp_wire: ok: {a.count} frames {a.tx} -> {a.rx} "
          f"arrived with the right bytes ({a.expect})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
