/* SPDX-License-Identifier: MIT */
/*
 * Internet checksum helpers (RFC 1071) and incremental updates (RFC 1624),
 * and the header rewrites the pipeline does in place: MAC swap, TTL and
 * hop-limit decrement, address rewrite.
 *
 * All checksums are in network byte order as they sit in the header; "sum"
 * arguments are 32-bit one's-complement accumulators before folding.
 */
#ifndef DP_CSUM_H
#define DP_CSUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Add len bytes at buf to the 32-bit accumulator sum (any alignment). */
uint32_t dp_csum_partial(const void *buf, size_t len, uint32_t sum);

/* Fold to 16 bits and complement: the value to store in a header. */
uint16_t dp_csum_fold(uint32_t sum);

/* IPv4 header checksum over ihl*4 bytes (the csum field is treated as 0). */
uint16_t dp_ip4_hdr_csum(const void *ip4);
/* True when the header's stored checksum verifies. */
bool dp_ip4_hdr_csum_ok(const void *ip4);

/* UDP/TCP/ICMPv6 checksum with the pseudo-header: l4 points at the L4
 * header, l4_len bytes long (its csum field is treated as 0). proto is
 * IPPROTO_UDP/TCP/ICMPV6. UDP's "0 means none" mapping (0 -> 0xffff) is
 * applied by the UDP callers, not here. */
uint16_t dp_l4_csum_ip4(const void *ip4, const void *l4, uint16_t l4_len,
			uint8_t proto);
uint16_t dp_l4_csum_ip6(const void *ip6, const void *l4, uint32_t l4_len,
			uint8_t proto);
/* Verify: true when the stored checksum is right (UDP over IPv4 with a
 * zero checksum counts as right: "no checksum"). */
bool dp_l4_csum_ok_ip4(const void *ip4, const void *l4, uint16_t l4_len,
		       uint8_t proto);
bool dp_l4_csum_ok_ip6(const void *ip6, const void *l4, uint32_t l4_len,
		       uint8_t proto);

/* ICMP over IPv4 has no pseudo-header: checksum over len bytes of the
 * ICMP message (its csum field treated as 0), and verify. */
uint16_t dp_icmp4_csum(const void *icmp, uint16_t len);
bool dp_icmp4_csum_ok(const void *icmp, uint16_t len);

/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), for a 16-bit field (old -> new)
 * and a 32-bit field (two 16-bit halves). Values in network byte order. */
uint16_t dp_csum_update16(uint16_t csum, uint16_t old, uint16_t new_);
uint16_t dp_csum_update32(uint16_t csum, uint32_t old, uint32_t new_);

/* Swap source and destination MAC of an Ethernet frame. */
void dp_macswap(uint8_t *frame);

/* Decrement the IPv4 TTL with an incremental checksum update. Returns false
 * (and leaves the header unchanged) when the TTL is 0 or 1: the packet must
 * not be forwarded. */
bool dp_ip4_ttl_dec(void *ip4);
/* Decrement the IPv6 hop limit; false when it is 0 or 1. */
bool dp_ip6_hop_dec(void *ip6);

/* Rewrite the IPv4 source (which == 0) or destination (which == 1) address
 * to addr (network order), updating the IPv4 header checksum and, when l4 is
 * not NULL, the UDP/TCP checksum at l4 (proto says which; a zero UDP
 * checksum stays zero). */
void dp_ip4_set_addr(void *ip4, int which, uint32_t addr, void *l4,
		     uint8_t proto);
/* The same for IPv6 (addr is 16 bytes); IPv6 has no header checksum, the
 * L4 checksum (UDP/TCP/ICMPv6) is updated incrementally. */
void dp_ip6_set_addr(void *ip6, int which, const uint8_t *addr, void *l4,
		     uint8_t proto);

#endif
