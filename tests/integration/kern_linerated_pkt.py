#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Traffic ends of kern_linerated_tpp.sh (frames forwarded unchanged).

    kern_linerated_pkt.py send IFACE COUNT TAG
    kern_linerated_pkt.py recv IFACE COUNT TIMEOUT_S TAG

send writes COUNT frames (ethertype 0x88b5, lengths 60..1011, payload
"LRDT", tag, sequence number, then a pattern of tag, sequence and offset)
out of IFACE, paced (a short sleep every 32 frames). recv prints "ready"
once bound, then takes every 0x88b5 frame arriving on IFACE (not its own
outgoing ones) and checks each byte against what send built for its tag
and sequence number; exit 0 when all COUNT sequence numbers arrived
exactly once, intact, with no frame of another tag, before TIMEOUT_S.
"""
import socket
import struct
import sys
import time

ETYPE = 0x88B5
SOL_PACKET = 263
PACKET_OUTGOING = 4


def frame(tag, seq):
    n = 60 + (seq * 41) % 952
    hdr = bytes([2, 0, 0, 0, 0xd7, 0x0b, 2, 0, 0, 0, 0xd7, 0x0a])
    hdr += struct.pack("!H", ETYPE) + b"LRDT" + bytes([tag])
    hdr += struct.pack("!I", seq)
    body = bytes((seq * 31 + i * 7 + tag) & 0xff for i in range(len(hdr), n))
    return hdr + body


def send(ifname, count, tag):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
    s.bind((ifname, 0))
    for seq in range(count):
        s.send(frame(tag, seq))
        if seq % 32 == 31:
            time.sleep(0.002)
    print("sent %d" % count)
    return 0


def recv(ifname, count, timeout, tag):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                      socket.htons(ETYPE))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.bind((ifname, ETYPE))
    s.settimeout(0.2)
    print("ready", flush=True)
    seen = set()
    dup = bad = other = 0
    end = time.monotonic() + timeout
    while len(seen) < count and time.monotonic() < end:
        try:
            data, addr = s.recvfrom(4096)
        except socket.timeout:
            continue
        if addr[2] == PACKET_OUTGOING:
            continue
        if len(data) < 23 or data[14:18] != b"LRDT":
            other += 1
            continue
        ftag = data[18]
        seq = struct.unpack("!I", data[19:23])[0]
        if ftag != tag:
            other += 1
            continue
        if data != frame(tag, seq):
            bad += 1
            continue
        if seq in seen:
            dup += 1
        seen.add(seq)
    # A short look for late duplicates or strays.
    stop = time.monotonic() + 0.3
    while time.monotonic() < stop:
        try:
            data, addr = s.recvfrom(4096)
        except socket.timeout:
            break
        if addr[2] == PACKET_OUTGOING:
            continue
        if len(data) >= 23 and data[14:18] == b"LRDT" and data[18] == tag:
            dup += 1
        else:
            other += 1
    print("recv %s: %d of %d intact, %d corrupt, %d duplicate, %d other" %
          (ifname, len(seen), count, bad, dup, other))
    return 0 if len(seen) == count and not bad and not dup and not other \
        else 1


def main():
    a = sys.argv
    if len(a) == 5 and a[1] == "send":
        return send(a[2], int(a[3]), int(a[4]))
    if len(a) == 6 and a[1] == "recv":
        return recv(a[2], int(a[3]), float(a[4]), int(a[5]))
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main())
