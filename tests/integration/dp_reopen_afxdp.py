#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""dp_reopen_afxdp.py: the steps of dp_reopen_afxdp.sh, inside its network
namespace. linerated forwards port p0 (interface A0) to p1 (B0) in io mode;
this sends marked IPv4/UDP frames into A1 (A0's veth peer) and reads what
leaves B0 on B1.

  dp_reopen_afxdp.py LINERATE SOCKET A0 A1 B0 B1

A background sender keeps a trickle going (about 2000 frames a second)
through every switch. Each step switches both ports with one
`linerate port backend p0,p1 ...` batch and then checks:
- the CLI exits 0 and `show ports` reports the new backend and mode on
  both ports;
- 300 probe frames of this step (sizes 60..1514) all arrive on B1 with the
  bytes they were sent with (io forwards them unchanged);
- p0's rx_pkts and p1's tx_pkts grew by at least those 300.
Steps: kernel/poll (start) -> afxdp skb copy -> kernel epoll-et -> dpdk
(net_af_packet, the device derived from each port's interface) -> afxdp
native copy -> p0 alone to kernel (p1 stays afxdp: reopened with it) ->
a batch naming a missing interface for p1 (exit 1, the message names p1
and the interface, both ports keep their backends and still forward) ->
afxdp again. At the end no background frame arrived twice (except in the
switch to dpdk: see the end), and some arrived in every step.
"""
import json
import os
import socket
import struct
import subprocess
import sys
import threading
import time

ETH_P_ALL = 0x0003
PROBES = 300

lr_bin, sock_path, A0, A1, B0, B1 = sys.argv[1:7]


def fail(msg):
    print(f"FAIL: {msg}", flush=True)
    sys.exit(1)


def if_mac(ifname):
    with open(f"/sys/class/net/{ifname}/address") as f:
        return bytes(int(x, 16) for x in f.read().strip().split(":"))


def frame(kind, step, seq, size, dst, src):
    marker = b"LRRO" + struct.pack("!BBI", kind, step, seq)
    pay_len = size - 14 - 20 - 8
    payload = (marker + bytes((seq + i) & 0xFF for i in range(pay_len)))[:pay_len]
    udp = struct.pack("!HHHH", 1000 + seq % 50, 2000, 8 + pay_len, 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), seq & 0xFFFF, 0,
                     64, 17, 0, bytes([198, 18, 0, 1]), bytes([198, 19, 0, 2]))
    return dst + src + b"\x08\x00" + ip + udp


dst, src = if_mac(A0), if_mac(A1)
tx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
tx.bind((A1, 0))
rx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
rx.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
rx.bind((B1, 0))

lock = threading.Lock()
probes = {}          # (step, seq) -> bytes received
bg_seen = {}         # seq -> times received
bg_step = [0]        # step the background frames are tagged with
bg_per_step = {}     # step -> background frames received
bg_dup_steps = {}    # step a duplicate arrived in -> how many
stop = threading.Event()


def receiver():
    rx.settimeout(0.1)
    while not stop.is_set():
        try:
            data, addr = rx.recvfrom(4096)
        except socket.timeout:
            continue
        if addr[2] == socket.PACKET_OUTGOING or len(data) < 52:
            continue
        if data[42:46] != b"LRRO":
            continue
        kind, step, seq = struct.unpack("!BBI", data[46:52])
        with lock:
            if kind == 1:
                probes[(step, seq)] = data
            else:
                bg_seen[seq] = bg_seen.get(seq, 0) + 1
                bg_per_step[step] = bg_per_step.get(step, 0) + 1
                if bg_seen[seq] > 1:
                    bg_dup_steps[step] = bg_dup_steps.get(step, 0) + 1


def sender():
    seq = 0
    while not stop.is_set():
        for _ in range(10):
            tx.send(frame(0, bg_step[0], seq, 64, dst, src))
            seq += 1
        time.sleep(0.005)


def lr(*args, want=0):
    p = subprocess.run([lr_bin, "-s", sock_path, "-t", "60000"] + list(args),
                       capture_output=True, text=True)
    if p.returncode != want:
        fail(f"linerate {' '.join(args)}: exit {p.returncode}, want {want}: "
             f"{p.stdout}{p.stderr}")
    return p.stdout + p.stderr


def ports():
    r = json.loads(lr("--json", "show ports"))
    return {p["name"]: p for p in r["ports"]}


def check(step, backend, mode):
    ps = ports()
    for n in ("p0", "p1"):
        if ps[n]["backend"] != backend[n] or mode[n] not in ps[n].get("io_mode", ""):
            fail(f"step {step}: {n} is {ps[n]['backend']} "
                 f"({ps[n].get('io_mode')}), want {backend[n]} ({mode[n]})")
    rx0, tx1 = ps["p0"]["rx_pkts"], ps["p1"]["tx_pkts"]
    sent = {}
    for i in range(PROBES):
        f = frame(1, step, i, 60 + (i * 97) % 1455, dst, src)
        sent[i] = f
        tx.send(f)
        if i % 32 == 31:
            time.sleep(0.002)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        with lock:
            got = sum(1 for i in range(PROBES) if (step, i) in probes)
        if got == PROBES:
            break
        time.sleep(0.05)
    with lock:
        missing = [i for i in range(PROBES) if (step, i) not in probes]
        wrong = [i for i in range(PROBES)
                 if (step, i) in probes and probes[(step, i)] != sent[i]]
    if missing or wrong:
        fail(f"step {step} ({backend['p0']}/{backend['p1']}): "
             f"{len(missing)} of {PROBES} probes missing, {len(wrong)} "
             f"changed (first missing {missing[:5]}, wrong {wrong[:5]})")
    ps = ports()
    d0, d1 = ps["p0"]["rx_pkts"] - rx0, ps["p1"]["tx_pkts"] - tx1
    if d0 < PROBES or d1 < PROBES:
        fail(f"step {step}: counters p0 rx +{d0}, p1 tx +{d1}, want >= {PROBES}")
    print(f"step {step}: p0 {ps['p0']['backend']} ({ps['p0'].get('io_mode')}), "
          f"p1 {ps['p1']['backend']} ({ps['p1'].get('io_mode')}): "
          f"{PROBES} probes forwarded intact, p0 rx +{d0}, p1 tx +{d1}",
          flush=True)


def switch(step, *args):
    bg_step[0] = step
    t0 = time.monotonic()
    out = lr("port", "backend", "p0,p1", *args)
    print(f"step {step}: port backend p0,p1 {' '.join(args)}: "
          f"{(time.monotonic() - t0) * 1000:.0f} ms round trip", flush=True)
    return out


threading.Thread(target=receiver, daemon=True).start()
time.sleep(0.2)
threading.Thread(target=sender, daemon=True).start()

both = lambda v: {"p0": v, "p1": v}
check(1, both("kernel"), both("poll"))
switch(2, "afxdp", "xdp_skb=true")
check(2, both("afxdp"), both("skb, copy"))
switch(3, "kernel", "io_model=epoll-et")
check(3, both("kernel"), both("epoll-et"))
switch(4, "dpdk")
check(4, both("dpdk"), both(""))
switch(5, "afxdp", "xdp_skb=false")
check(5, both("afxdp"), both("native, copy"))

# One port leaves afxdp: the other afxdp port is reopened with it.
bg_step[0] = 6
lr("port", "backend", "p0", "kernel", "io_model=poll")
check(6, {"p0": "kernel", "p1": "afxdp"}, {"p0": "poll", "p1": "native, copy"})

# A batch that cannot be applied: nothing changes, traffic still flows.
bg_step[0] = 7
out = lr("port", "backend", "p0,p1", "afxdp", f"dev={A0};lrro-none0",
         "xdp_skb=true", want=1)
if "port p1" not in out or "lrro-none0" not in out:
    fail(f"the refused batch does not name port p1 and its device: {out}")
print(f"refused: {out.strip()}", flush=True)
check(7, {"p0": "kernel", "p1": "afxdp"}, {"p0": "poll", "p1": "native, copy"})

switch(8, "afxdp", "xdp_skb=true")
check(8, both("afxdp"), both("skb, copy"))

time.sleep(0.3)
stop.set()
time.sleep(0.2)
with lock:
    dups = sum(1 for n in bg_seen.values() if n > 1)
    per = dict(bg_per_step)
print(f"background frames received per step: {per}; duplicated: {dups} "
      f"(arrival steps {bg_dup_steps})", flush=True)
# DPDK's net_af_packet opens its socket for ETH_P_ALL before binding it to
# the interface (linerate's kernel backend opens with protocol 0 for that
# reason): while it is probed, it takes in frames on every interface of
# the namespace, among them frames the old p1 had just forwarded, which it
# forwards once more. Tolerated in the switch to dpdk (step 4) only.
other = {st: n for st, n in bg_dup_steps.items() if st != 4}
if other:
    fail(f"background frames arrived twice in steps {other}")
for st in range(2, 9):
    if not per.get(st):
        fail(f"no background frame forwarded in step {st}")
print("PASS: dp_reopen_afxdp steps", flush=True)
