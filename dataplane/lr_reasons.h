/* SPDX-License-Identifier: MIT */
/*
 * The one list of reasons a packet stops: why the parser stopped, and why the
 * pipeline dropped it. Everything else (the enum, the CLI and metrics names,
 * the BPF-side counter index) is generated from this list, so a reason is
 * added in exactly one place.
 *
 * _(ENUM_SUFFIX, "metric_name", "human description")
 *
 * LR_R_NONE means "no problem": the parser got as far as the frame's
 * protocols go (see struct dp_parsed.layer for how far that was).
 */
#ifndef LR_REASONS_H
#define LR_REASONS_H

#define LR_FOREACH_REASON(_)                                                   \
	_(NONE, "none", "not dropped")                                         \
	/* parser: truncations (frame ends inside a header) */                 \
	_(TRUNC_ETH, "trunc_eth", "frame ends inside the Ethernet header")     \
	_(TRUNC_VLAN, "trunc_vlan", "frame ends inside an 802.1Q tag")         \
	_(TRUNC_ARP, "trunc_arp", "frame ends inside the ARP header")          \
	_(TRUNC_IP4, "trunc_ip4", "frame ends inside the IPv4 header")         \
	_(TRUNC_IP6, "trunc_ip6", "frame ends inside the IPv6 header")         \
	_(TRUNC_IP6_EXT, "trunc_ip6_ext",                                      \
	  "frame ends inside an IPv6 extension header")                        \
	_(TRUNC_ICMP, "trunc_icmp", "frame ends inside the ICMP header")       \
	_(TRUNC_ICMP6, "trunc_icmp6", "frame ends inside the ICMPv6 header")   \
	_(TRUNC_UDP, "trunc_udp", "frame ends inside the UDP header")          \
	_(TRUNC_TCP, "trunc_tcp", "frame ends inside the TCP header")          \
	/* parser: malformed fields */                                         \
	_(VLAN_DEPTH, "vlan_depth", "more than two VLAN tags")                 \
	_(BAD_IP4_VER, "bad_ip4_version", "IPv4 ethertype, version is not 4")  \
	_(BAD_IP4_IHL, "bad_ip4_ihl", "IPv4 IHL below 5")                      \
	_(BAD_IP4_LEN, "bad_ip4_len",                                          \
	  "IPv4 total length below the header or beyond the frame")            \
	_(BAD_IP6_VER, "bad_ip6_version", "IPv6 ethertype, version is not 6")  \
	_(BAD_IP6_LEN, "bad_ip6_len", "IPv6 payload length beyond the frame")  \
	_(IP6_EXT_LIMIT, "ip6_ext_limit",                                      \
	  "IPv6 extension header chain longer than the walk bound")            \
	_(BAD_UDP_LEN, "bad_udp_len",                                          \
	  "UDP length below 8 or beyond the IP payload")                       \
	_(BAD_TCP_DOFF, "bad_tcp_doff",                                        \
	  "TCP data offset below 5 or beyond the IP payload")                  \
	/* pipeline drops */                                                   \
	_(BAD_IP4_CSUM, "bad_ip4_csum", "IPv4 header checksum wrong")          \
	_(NOT_IP, "not_ip", "routing mode, frame is not IPv4/IPv6")            \
	_(NO_ROUTE, "no_route", "no route to the destination")                 \
	_(TTL_EXPIRED, "ttl_expired", "TTL or hop limit would reach zero")     \
	_(NO_NEIGH, "no_neigh", "next hop has no neighbour entry")             \
	_(ACL_DENY, "acl_deny", "denied by an ACL rule")                       \
	_(L2_UNKNOWN, "l2_unknown",                                            \
	  "unknown destination MAC and flooding is off")                       \
	_(L2_SAME_PORT, "l2_same_port",                                        \
	  "destination MAC is behind the input port")                          \
	_(TX_FULL, "tx_full", "TX queue full, packet freed")                   \
	_(PORT_DOWN, "port_down", "output port is down")                       \
	_(NO_BUF, "no_buf", "no free buffer for a copy to another backend")

enum lr_reason {
#define LR_REASON_ENUM(e, name, desc) LR_R_##e,
	LR_FOREACH_REASON(LR_REASON_ENUM)
#undef LR_REASON_ENUM
	LR_R__COUNT
};

/* Parser stop reasons are the ones before this; they mean "bad header". */
#define LR_R__FIRST_PIPELINE LR_R_BAD_IP4_CSUM

const char *lr_reason_name(unsigned int r);
const char *lr_reason_desc(unsigned int r);

#endif
