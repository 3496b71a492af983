/* SPDX-License-Identifier: MIT */
/*
 * Packet parser: Ethernet II, 802.1Q / QinQ, ARP, IPv4, IPv6 (extension
 * header chain), ICMP, ICMPv6, UDP, TCP.
 *
 * Every read is bounds-checked against the frame length. The result records
 * how far parsing got (layer) and why it stopped (reason, from lr_reasons.h):
 * LR_R_NONE with layer == DP_L4 is a fully parsed UDP/TCP/ICMP packet;
 * LR_R_NONE with layer == DP_L2 is a well-formed frame of a protocol we do
 * not parse further (the routing stage turns that into LR_R_NOT_IP).
 *
 * Offsets are from the start of the frame. Multi-byte fields copied into the
 * result are in host byte order; addresses are left in the frame (use the
 * offsets) so that the hot path copies nothing it does not need.
 *
 * The parser does not verify checksums: that is a pipeline decision (see
 * csum.h). It does not modify the frame.
 */
#ifndef DP_PARSE_H
#define DP_PARSE_H

#include <stdint.h>

#include "lr_reasons.h"

/* Bound on the IPv6 extension header walk (hop-by-hop, routing, fragment,
 * destination options, AH). A longer chain stops with LR_R_IP6_EXT_LIMIT. */
#define DP_IP6_EXT_MAX 8

enum dp_layer {
	DP_L0 = 0, /* nothing parsed: not even an Ethernet header */
	DP_L2,     /* Ethernet (+ VLAN tags) parsed */
	DP_L3,     /* IPv4 / IPv6 / ARP header parsed */
	DP_L4,     /* UDP / TCP / ICMP / ICMPv6 header parsed */
};

/* dp_parsed.flags */
#define DP_PF_VLAN      0x01 /* one 802.1Q tag (or more) */
#define DP_PF_QINQ      0x02 /* two tags (0x88a8 or 0x8100 outer) */
#define DP_PF_FRAG      0x04 /* IPv4/IPv6 fragment: MF set or offset != 0 */
#define DP_PF_FRAG_LATER 0x08 /* non-first fragment: no L4 header in it */
#define DP_PF_IP_OPTS   0x10 /* IPv4 options present (IHL > 5) */
#define DP_PF_IP6_EXT   0x20 /* IPv6 extension headers present */

struct dp_parsed {
	uint8_t reason;     /* enum lr_reason: why parsing stopped */
	uint8_t layer;      /* enum dp_layer: deepest header fully parsed */
	uint8_t flags;      /* DP_PF_* */
	uint8_t l4_proto;   /* IPPROTO_* of the L4 header, 0 if none */
	uint16_t ethertype; /* innermost ethertype (host order) */
	uint16_t vlan_tci[2]; /* outer, inner TCI (host order), 0 if absent */
	uint16_t l3_off;    /* start of IPv4/IPv6/ARP header */
	uint16_t l4_off;    /* start of UDP/TCP/ICMP header (after IPv6 ext) */
	uint16_t pay_off;   /* start of the L4 payload */
	uint16_t l3_len;    /* IPv4 total length, or 40 + IPv6 payload length:
			     * frame bytes past l3_off + l3_len are padding */
	uint16_t sport;     /* UDP/TCP ports (host order), ICMP type/code */
	uint16_t dport;
	uint8_t ttl;        /* IPv4 TTL or IPv6 hop limit */
	uint8_t _pad[3];
};

/* Parse one frame of len bytes. Always fills *out completely. */
void dp_parse(const uint8_t *frame, uint32_t len, struct dp_parsed *out);

/* Parse a burst: out[i] describes frames[i] of lens[i] bytes. Prefetches
 * ahead; the pipeline calls this once per RX burst. */
void dp_parse_burst(uint8_t *const *frames, const uint16_t *lens, uint16_t n,
		    struct dp_parsed *out);

#endif
