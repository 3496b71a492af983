/* SPDX-License-Identifier: MIT */
/*
 * What the XDP program (lr_xdp.bpf.c) and the AF_XDP backend
 * (dataplane/afxdp/) share: the counter list, the counter record, the
 * steering filters and the names by which a later start recognises a
 * program a crashed linerated left attached. Defined once here and included
 * by both sides (as xdp-tools shares its stats record), never copied.
 *
 * Counters live in a BPF_MAP_TYPE_PERCPU_ARRAY indexed by enum
 * lr_xdp_counter; userspace sums the per-CPU records. The list below
 * generates the enum (BPF and userspace) and the names userspace shows:
 *
 * _(ENUM_SUFFIX, "name", "description")
 */
#ifndef LR_XDP_H
#define LR_XDP_H

#include <linux/types.h>

#define LR_XDP_FOREACH_COUNTER(_)                                            \
	_(REDIRECTED, "xdp_redirected", "redirected to the AF_XDP socket")     \
	_(PASSED, "xdp_passed",                                                \
	  "passed to the kernel: filtered out or no socket on the queue")     \
	_(DROPPED, "xdp_dropped", "dropped: shorter than an Ethernet header") \
	_(REDIRECT_ERR, "xdp_redirect_err",                                    \
	  "socket found but bpf_redirect_map failed; passed to the kernel")

enum lr_xdp_counter {
#define LR_XDP_COUNTER_ENUM(e, name, desc) LR_XDP_C_##e,
	LR_XDP_FOREACH_COUNTER(LR_XDP_COUNTER_ENUM)
#undef LR_XDP_COUNTER_ENUM
	LR_XDP_C__COUNT
};

/* One per counter and CPU. */
struct lr_xdp_rec {
	__u64 packets;
	__u64 bytes;
};

/* Steering filter, set through the program's const volatile lr_filter
 * before load. */
enum lr_xdp_filter {
	/* Every frame goes to the socket bound on its RX queue. */
	LR_XDP_FILTER_ALL = 0,
	/* Only IPv4 and IPv6 (up to two VLAN tags); ARP, IPv6 neighbour
	 * discovery and MLD, anything with a hop-by-hop header and every
	 * other ethertype (LLDP, STP ...) stay with the kernel. */
	LR_XDP_FILTER_IP = 1,
};

/* XSKMAP size: queues a port can have (>= DP_QUEUE_MAX). */
#define LR_XDP_QUEUE_MAX 64

/* Names a later start uses to recognise our program: the program name
 * (BPF object names hold 15 characters) and the name of its XSKMAP. A
 * program with both is ours and is replaced; anything else belongs to
 * another tool. */
#define LR_XDP_PROG_NAME "lr_xdp_xsk"
#define LR_XDP_XSKMAP_NAME "lr_xsks"

#endif
