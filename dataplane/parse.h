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
 *
 * When parsing stops with a reason other than LR_R_NONE, layer is the last
 * layer parsed before the bad header:
 *   DP_L0  TRUNC_ETH, TRUNC_VLAN, VLAN_DEPTH
 *   DP_L2  TRUNC_ARP, TRUNC_IP4, BAD_IP4_*, TRUNC_IP6, BAD_IP6_*
 *   DP_L3  TRUNC_IP6_EXT, IP6_EXT_LIMIT (the fixed IPv6 header is fine),
 *          TRUNC_ICMP, TRUNC_ICMP6, TRUNC_UDP, TRUNC_TCP, BAD_UDP_LEN,
 *          BAD_TCP_DOFF
 * and only reason, layer and (from DP_L2) ethertype, vlan_tci and l3_off
 * are meaningful; the rest is unspecified.
 *
 * Lengths: IPv4 total length / IPv6 payload length are checked against the
 * frame (bytes after them are Ethernet padding and ignored); the L4 header
 * is checked against the IP packet's length, not the frame's. A first
 * fragment's UDP length may exceed the fragment (it covers the datagram).
 * Frames longer than 65535 bytes are parsed as if they ended there.
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
	uint8_t l4_proto;   /* IPPROTO_* after the IPv4 header / IPv6 ext
			     * chain, whether or not we parse it (GRE, ESP,
			     * a non-first fragment's protocol); 0 for non-IP.
			     * Check layer == DP_L4 before using ports. */
	uint16_t ethertype; /* innermost ethertype (host order) */
	uint16_t vlan_tci[2]; /* outer, inner TCI (host order), 0 if absent */
	uint16_t l3_off;    /* start of IPv4/IPv6/ARP header: the end of
			     * the L2 header whatever the ethertype */
	uint16_t l4_off;    /* start of UDP/TCP/ICMP header (after IPv6 ext);
			     * for IP at DP_L3: where the L4 data starts */
	uint16_t pay_off;   /* start of the L4 payload (== l4_off at DP_L3) */
	uint16_t l3_len;    /* IPv4 total length, or 40 + IPv6 payload length
			     * (ARP: 8 + 2 * (hlen + plen)):
			     * frame bytes past l3_off + l3_len are padding */
	uint16_t sport;     /* UDP/TCP ports (host order); ICMP/ICMPv6:
			     * sport = type, dport = code */
	uint16_t dport;
	uint8_t ttl;        /* IPv4 TTL or IPv6 hop limit */
	uint8_t _pad[3];
};

/* Parse one frame of len bytes. Always fills *out completely; out must not
 * overlap the frame. */
void dp_parse(const uint8_t *frame, uint32_t len, struct dp_parsed *out);

/* Parse a burst: out[i] describes frames[i] of lens[i] bytes. Prefetches
 * ahead; the pipeline calls this once per RX burst. */
void dp_parse_burst(uint8_t *const *frames, const uint16_t *lens, uint16_t n,
		    struct dp_parsed *out);

#endif
