// SPDX-License-Identifier: MIT
/*
 * l3 mode: IPv4 and IPv6 longest-prefix-match routing.
 *
 * Table (struct dp_l3_table, replaced as a whole by RCU): a static
 * DIR-24-8 for IPv4, rte_fib6 (TRIE, 2-byte next-hop ids) for IPv6, a
 * next-hop array (egress port + neighbour MAC, resolved when the table is
 * built) and two rte_hash neighbour tables for connected routes, whose next
 * hop is the destination itself. Next-hop id 0 means "no route".
 *
 * Per burst: classify every frame (not IP, bad header, bad IPv4 checksum,
 * TTL/hop limit expiring), gather the IPv4 and IPv6 destinations, one bulk
 * FIB lookup per family, then per packet: next hop -> neighbour MAC, write
 * the Ethernet header (neighbour MAC as destination, egress port's MAC as
 * source) and decrement TTL / hop limit (incremental checksum, csum.h).
 * Before that, a fast path (l3_fast4) takes the common burst whole: all
 * plain IPv4, one next hop; it checks the same things in fewer
 * instructions and rewrites without per-packet bookkeeping (callgrind on
 * bench-dpdk.sh's l3 pair: 321 -> 273 instructions a packet, whole
 * worker; 40.3 -> 36.9 cycles a packet, own io 27.5).
 *
 * Why not rte_fib for IPv4: its RIB keeps 2 nodes per route at ~200 bytes
 * each; measured here, rte_fib_create(max_routes = 1M) takes 429 MiB of
 * heap before a single route is added. Tables are always rebuilt whole
 * (RCU), never updated in place, so the RIB buys nothing: the same DIR-24-8
 * layout (tbl24 of 2-byte entries + 256-entry tbl8 groups) is painted
 * directly from the routes sorted by prefix length (longer ones paint over
 * shorter ones): 32 MiB + 512 bytes per /24 holding longer prefixes, i.e.
 * ~37 MiB for a 1M-route table. Lookup: one load, a second one for /25+.
 * What that load costs depends on how many 4 KiB pages the destinations
 * spread over, more than on how many cache lines: on the bench machine (a
 * VM), 8192 random destinations over the ~28 MiB of tbl24 that unicast
 * space maps to cost ~3 cycles a packet more than 8192 on 512 pages of
 * it, whether those lie together or across the whole table (bench-dpdk.sh's
 * l3narrow and l3pages pairs: about as many distinct lines, ~9.5x fewer
 * pages), even though tbl24 is on 2 MiB hugepages; a prefetch one whole
 * RX burst ahead does not hide it.
 *
 * Why not rte_lpm (DPDK's own DIR-24-8), measured here with the same 1M
 * generated routes (9970 /24s holding longer prefixes, tbl8 groups sized
 * 1.25x that): 84.1 MiB (4-byte entries: 64 MiB of tbl24, plus an 8-byte
 * rule per route), and rte_lpm_add scans the rules of the prefix length
 * linearly, so adding grows quadratically: 590k routes took 67 s (a whole
 * 1M table, which every reload rebuilds, minutes); painting takes 0.24 s.
 * Lookups: 8192 random destinations, cache-warm, 4.0 cycles each here 4 at
 * a time vs 5.3 (rte_lpm_lookupx4) and 7.4 (rte_lpm_lookup_bulk); 1M
 * distinct random destinations, 53.5 vs 77.3 (half the table's bytes).
 */
#include <assert.h>
#include <errno.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_errno.h>
#include <rte_fib6.h>
#include <rte_hash.h>
#include <rte_jhash.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>

#include "csum.h"
#include "dp_internal.h"

#define ETH_P_IP4 0x0800
#define ETH_P_IP6 0x86dd
#define L3_NH_MAX 32767 /* 2-byte FIB entries keep one bit for themselves */

static inline void drop(struct dp_burst *b, uint16_t i, uint8_t r)
{
	b->out[i] = DP_OUT_DROP;
	b->reason[i] = r;
}

/* IPv4 header checksum check of the option-less header a (bytes 0-7), h
 * (8-15), d (16-19) as loaded. The one's-complement sum of the header,
 * checksum included, is 0xffff, i.e. (the header is not all zeros) the
 * plain sum of its 16-bit words is a multiple of 0xffff. 2^16, 2^32 and
 * 2^64 - 1 are all 1 or 0 mod 0xffff, so the sum of the 64-bit words with
 * end-around carry keeps that residue and byte order does not matter: one
 * add-with-carry chain, then divisibility by the odd 0xffff as a multiply
 * by its inverse modulo 2^64 and a compare (n is a multiple iff
 * n * inv <= (2^64 - 1) / 0xffff; gcc 12 computes the remainder for
 * `% 0xffff == 0`, five more instructions). ~9 instructions where folding
 * to 16 bits took 27 (callgrind). */
#define IP4_CSUM_INV 0xfffefffefffeffffull /* 0xffff * INV == 1 mod 2^64 */
#define IP4_CSUM_LIM 0x0001000100010001ull /* (2^64 - 1) / 0xffff */
static_assert((uint64_t)(0xffffull * IP4_CSUM_INV) == 1, "inverse");
static_assert(UINT64_MAX / 0xffff == IP4_CSUM_LIM, "limit");

static inline bool ip4_csum_ok3(uint64_t a, uint64_t h, uint32_t d)
{
	uint64_t s = a;

#if defined(__x86_64__)
	/* add, adc, adc: gcc 12 lowers __builtin_addcll to eight. */
	__asm__("add %[h], %[s]\n\tadc %[d], %[s]\n\tadc $0, %[s]"
		: [s] "+r"(s)
		: [h] "r"(h), [d] "r"((uint64_t)d)
		: "cc");
#else
	s += h;
	s += s < h;
	s += d;
	s += s < d;
#endif
	return (uint64_t)(s * IP4_CSUM_INV) <= IP4_CSUM_LIM;
}

/* The general path's check: options go to csum.c. */
static inline bool ip4_csum_ok(const uint8_t *ip)
{
	uint64_t a, h;
	uint32_t d;

	if (unlikely(ip[0] != 0x45))
		return dp_ip4_hdr_csum_ok(ip);
	memcpy(&a, ip, 8);
	memcpy(&h, ip + 8, 8);
	memcpy(&d, ip + 16, 4);
	return ip4_csum_ok3(a, h, d);
}

/*
 * TTL - 1 with the checksum adjusted in place (RFC 1624 eqn. 3: the
 * TTL/protocol word drops by 0x0100, so the checksum rises by it,
 * end-around carry). The caller has checked TTL > 1.
 *
 * The 32-bit word at IP offset 8, as loaded on a little-endian CPU, holds
 * TTL in its low byte and the checksum field in its top 16 bits, with the
 * checksum's big-endian high byte at bit 16. Both changes are x + 0xffff
 * (ip4_ttl_dec_fused): TTL - 1 without a borrow, and the one's-complement
 * carry out of the checksum's high byte lands in its low byte, which is
 * where a plain carry from bit 23 goes. Two stored fields take the long
 * way: 0xffff (legal, never computed) would carry out of the word, and
 * 0xfeff would become 0xffff where eqn. 3 gives 0x0000; loaded, both read
 * IP4_TTL_FUSED_LIM or more. Every other value and TTL gives the long
 * way's bytes (checked for all of them; dp_l3 checks every field value
 * against a fresh computation).
 */
#define IP4_TTL_FUSED_LIM 0xfffe0000u
static_assert(RTE_BYTE_ORDER == RTE_LITTLE_ENDIAN,
	      "ip4_ttl_dec_fused reads TTL and checksum from one LE load");

/* The caller has also checked the loaded word is below IP4_TTL_FUSED_LIM. */
static inline void ip4_ttl_dec_fused(uint8_t *ip)
{
	uint32_t x;

	memcpy(&x, ip + 8, 4);
	x += 0xffff;
	memcpy(ip + 8, &x, 4);
}

/* The two field values the fused add cannot take go to csum.c's general
 * RFC 1624 update (the caller checked TTL > 1, so it cannot refuse). */
static inline void ip4_ttl_dec(uint8_t *ip)
{
	uint32_t x;

	memcpy(&x, ip + 8, 4);
	if (likely(x < IP4_TTL_FUSED_LIM))
		ip4_ttl_dec_fused(ip);
	else
		dp_ip4_ttl_dec(ip);
}

/* The Ethernet header a packet to next hop nh gets (neighbour MAC, egress
 * port's MAC), as one 8-byte and one 4-byte store. */
static inline void eth_hdr_of(const struct dp *dp,
			      const struct dp_nexthop *nh, uint64_t *h8,
			      uint32_t *h4)
{
	uint8_t hdr[12];

	memcpy(hdr, nh->mac, 6);
	memcpy(hdr + 6, dp->ports[nh->port].mac, 6);
	memcpy(h8, hdr, 8);
	memcpy(h4, hdr + 8, 4);
}

static inline void eth_hdr_write(uint8_t *f, uint64_t h8, uint32_t h4)
{
	memcpy(f, &h8, 8);
	memcpy(f + 8, &h4, 4);
}

/* Resolve next hop nh for packet i (IP header at ip, dst at daddr); write
 * the packet. */
static inline void l3_out(const struct dp *dp, const struct dp_l3_table *t,
			  struct dp_burst *b, uint16_t i, uint8_t *ip,
			  uint64_t nhid, const uint8_t *daddr, bool v6)
{
	const struct dp_nexthop *nh;
	const uint8_t *mac;
	uint8_t *f = b->data[i];

	if (nhid == 0 || nhid >= t->nb_nh) {
		drop(b, i, LR_R_NO_ROUTE);
		return;
	}
	nh = &t->nh[nhid];
	if (nh->resolved) {
		mac = nh->mac;
	} else if (nh->connected) {
		struct rte_hash *h = v6 ? t->neigh6 : t->neigh4;
		int pos = h ? rte_hash_lookup(h, daddr) : -ENOENT;

		if (pos < 0) {
			drop(b, i, LR_R_NO_NEIGH);
			return;
		}
		mac = t->neigh_mac[pos + (v6 ? t->neigh6_base : 0)];
	} else {
		drop(b, i, LR_R_NO_NEIGH);
		return;
	}
	/* TTL / hop limit > 1 was checked when the burst was classified. */
	if (v6)
		ip[7]--;
	else
		ip4_ttl_dec(ip);
	memcpy(f, mac, 6);
	memcpy(f + 6, dp->ports[nh->port].mac, 6);
	b->out[i] = nh->port;
}

/* Write the IPv4 packets of a burst. Most of a burst shares a next hop:
 * its Ethernet header (neighbour MAC, egress port MAC) is built once and
 * stored as one 8-byte and one 4-byte write per packet; anything else
 * (no route, connected routes, unresolved next hops) takes l3_out().
 * iph4[i] is packet idx4[i]'s IPv4 header. Returns true when all n4 went
 * out of one port (*port), so the caller need not compare every out[]. */
static inline bool l3_out4(const struct dp *dp, const struct dp_l3_table *t,
			   struct dp_burst *b, const uint32_t *ip4,
			   uint8_t *const *iph4, const uint64_t *nh4,
			   const uint16_t *idx4, uint16_t n4,
			   uint16_t *one_port)
{
	unsigned int fills = 0;
	bool slow = false;
	uint64_t cached = UINT64_MAX; /* only resolved next hops are cached */
	uint64_t h8 = 0;
	uint32_t h4 = 0;
	uint16_t port = 0, i;

	for (i = 0; i < n4; i++) {
		uint16_t k = idx4[i];
		uint8_t *f = b->data[k];

		if (unlikely(nh4[i] != cached)) {
			const struct dp_nexthop *nh = NULL;

			if (nh4[i] != 0 && nh4[i] < t->nb_nh)
				nh = &t->nh[nh4[i]];
			if (nh == NULL || !nh->resolved) {
				uint32_t be = rte_cpu_to_be_32(ip4[i]);

				l3_out(dp, t, b, k, iph4[i], nh4[i],
				       (const uint8_t *)&be, false);
				slow = true;
				continue;
			}
			eth_hdr_of(dp, nh, &h8, &h4);
			port = nh->port;
			cached = nh4[i];
			fills++;
		}
		/* TTL > 1 was checked when the burst was classified. */
		ip4_ttl_dec(iph4[i]);
		eth_hdr_write(f, h8, h4);
		b->out[k] = port;
	}
	*one_port = port;
	return !slow && fills == 1;
}

/* Untagged IPv4 without options, or IPv6, whole header inside the frame
 * and consistent lengths: the common case needs none of the parser's
 * generality (VLANs, extension headers, L4). Returns the ethertype, or 0:
 * ask dp_parse(), which also names what is wrong. */
static inline uint16_t quick_l3(const uint8_t *f, uint16_t len)
{
	uint32_t h;

	if (len < 54 && (len < 34 || f[12] != 0x08))
		return 0;
	/* Ethertype 0x0800 and version/IHL 0x45 in one compare. */
	memcpy(&h, f + 12, 4);
	if (rte_be_to_cpu_32(h) >> 8 == 0x080045) {
		uint16_t tl = (uint16_t)(f[16] << 8 | f[17]);

		if (tl >= 20 && 14u + tl <= len)
			return ETH_P_IP4;
	} else if (f[12] == 0x86 && f[13] == 0xdd && (f[14] >> 4) == 6) {
		uint16_t pl = (uint16_t)(f[18] << 8 | f[19]);

		if (54u + pl <= len)
			return ETH_P_IP6;
	}
	return 0;
}

/* Look up n IPv4 destinations (host order) in the DIR-24-8, four at a
 * time (four independent loads in flight) with a scalar tail. */
static inline void lpm4_lookup_bulk(const struct dp_lpm4 *l,
				    const uint32_t *ip, uint64_t *nh,
				    uint16_t n)
{
	const uint16_t *tbl24 = l->tbl24;
	uint16_t i, k;

	for (i = 0; i + 4 <= n; i += 4) {
		uint16_t e[4];

		e[0] = tbl24[ip[i] >> 8];
		e[1] = tbl24[ip[i + 1] >> 8];
		e[2] = tbl24[ip[i + 2] >> 8];
		e[3] = tbl24[ip[i + 3] >> 8];
		if (unlikely((e[0] | e[1] | e[2] | e[3]) & DP_LPM4_EXT)) {
			for (k = 0; k < 4; k++)
				if (e[k] & DP_LPM4_EXT)
					e[k] = l->tbl8[(uint32_t)(e[k] & 0x7fff)
							       << 8 |
						       (ip[i + k] & 0xff)];
		}
		nh[i] = e[0];
		nh[i + 1] = e[1];
		nh[i + 2] = e[2];
		nh[i + 3] = e[3];
	}
	for (; i < n; i++) {
		uint16_t e = tbl24[ip[i] >> 8];

		if (e & DP_LPM4_EXT)
			e = l->tbl8[(uint32_t)(e & 0x7fff) << 8 | (ip[i] & 0xff)];
		nh[i] = e;
	}
}

/* Pass 1 of the fast path (below): true when every frame is plain IPv4
 * the fast path may rewrite; dst[i] = its destination (host order), whose
 * tbl24 line is prefetched. One predicted branch per check, 35
 * instructions a packet. Not inlined: on its own it keeps its constants
 * and pointers in registers (inlined into dp_fwd_l3, gcc 12 spilled them
 * and reloaded four a packet: 38.4 -> 36.9 cycles a packet on
 * bench-dpdk.sh's l3 pair). Measured and not kept: loading the tbl24
 * entry here instead of prefetching it (39.3: a missing load holds up
 * retirement, a prefetch does not), prefetchnta, no prefetch and a
 * 2x unrolled loop (all within noise). */
static __attribute__((noinline)) bool
l3_fast4_check(uint8_t *const *data, const uint16_t *lens, uint16_t n,
	       const uint16_t *tbl24, uint32_t *dst)
{
	uint16_t i;

	for (i = 0; i < n; i++) {
		const uint8_t *f = data[i];
		uint32_t len = lens[i], d;
		uint16_t et, tl;
		uint64_t a, h;

		if (unlikely(len < 34))
			return false;
		memcpy(&et, f + 12, 2);
		memcpy(&tl, f + 16, 2);
		memcpy(&a, f + 14, 8);
		memcpy(&h, f + 22, 8);
		memcpy(&d, f + 30, 4);
		tl = rte_be_to_cpu_16(tl);
		/* IPv4, version 4 without options, TTL > 1, a checksum
		 * field ip4_ttl_dec_fused takes, 20 <= total length <= what
		 * came in (len >= 34 here), checksum valid. */
		if (unlikely(et != RTE_BE16(0x0800)))
			return false;
		if (unlikely((uint8_t)a != 0x45))
			return false;
		if (unlikely((uint8_t)h <= 1))
			return false;
		if (unlikely((uint32_t)h >= IP4_TTL_FUSED_LIM))
			return false;
		if (unlikely((uint32_t)tl - 20 > len - 34))
			return false;
		if (unlikely(!ip4_csum_ok3(a, h, d)))
			return false;
		d = rte_be_to_cpu_32(d);
		dst[i] = d;
		rte_prefetch0(tbl24 + (d >> 8));
	}
	return true;
}

/*
 * The fast path, for the burst a router sees most: every frame untagged
 * IPv4 without options, consistent lengths, a valid header checksum, TTL
 * above 1, and every destination in one /24-or-shorter route whose next
 * hop is resolved. Two passes and no per-packet bookkeeping:
 *   1. check each header (l3_fast4_check: ethertype, version/IHL, total
 *      length, TTL and the checksum from five loads), gather the
 *      destinations and prefetch their tbl24 lines;
 *   2. look each one up (the lines are in by now) and, while it names the
 *      burst's next hop, rewrite the frame: ip4_ttl_dec_fused (pass 1
 *      checked its precondition), then the Ethernet header.
 * Anything else sends the burst to the general path: a frame failing a
 * check in pass 1 before anything is written (so the general path sees
 * the burst untouched and names the reason), a different next hop in
 * pass 2 from that packet on (the ones before it are done: their out[]
 * is written and the rest go through l3_out4).
 *
 * Returns the output port when the whole burst goes there (out[] is not
 * written), else DP_OUT_DROP with out[]/reason[] written for every packet,
 * or L3_SLOW (nothing written) for the general path.
 */
#define L3_SLOW 0xfffe
static_assert(L3_SLOW != DP_OUT_DROP, "L3_SLOW is not a port id");

static inline uint16_t l3_fast4(const struct dp *dp,
				const struct dp_l3_table *t,
				struct dp_burst *b, uint32_t *ip4)
{
	const struct dp_nexthop *nh;
	const uint16_t *tbl24 = t->lpm4.tbl24;
	uint16_t n = b->n, i, e0, port;
	uint64_t h8;
	uint32_t h4;

	if (!l3_fast4_check(b->data, b->len, n, tbl24, ip4))
		return L3_SLOW;
	e0 = tbl24[ip4[0] >> 8];
	if (e0 == 0 || (e0 & DP_LPM4_EXT) || e0 >= t->nb_nh ||
	    !t->nh[e0].resolved)
		return L3_SLOW;
	nh = &t->nh[e0];
	port = nh->port;
	eth_hdr_of(dp, nh, &h8, &h4);
	for (i = 0; i < n; i++) {
		uint8_t *f = b->data[i];

		if (unlikely(tbl24[ip4[i] >> 8] != e0))
			break;
		ip4_ttl_dec_fused(f + 14);
		eth_hdr_write(f, h8, h4);
	}
	if (likely(i == n))
		return port;
	{
		/* From packet i on, next hops differ: the general writer. */
		uint64_t nh4[DP_BURST];
		uint8_t *iph4[DP_BURST];
		uint16_t idx4[DP_BURST], k, m = n - i, one;

		for (k = 0; k < i; k++)
			b->out[k] = port;
		for (k = 0; k < m; k++) {
			iph4[k] = b->data[i + k] + 14;
			idx4[k] = i + k;
		}
		lpm4_lookup_bulk(&t->lpm4, ip4 + i, nh4, m);
		if (l3_out4(dp, t, b, ip4 + i, iph4, nh4, idx4, m, &one) &&
		    one == port)
			return port;
		return DP_OUT_DROP;
	}
}

uint16_t dp_fwd_l3(struct dp_worker *w, struct dp_burst *b, bool parsed)
{
	const struct dp *dp = w->dp;
	const struct dp_l3_table *t =
		atomic_load_explicit(&w->dp->l3, memory_order_acquire);
	uint32_t ip4[DP_BURST];
	uint64_t nh4[DP_BURST], nh6[DP_BURST];
	uint8_t ip6[DP_BURST][16] __attribute__((aligned(16)));
	uint16_t idx4[DP_BURST], idx6[DP_BURST];
	const uint16_t *tbl24 = t->lpm4.tbl24;
	const uintptr_t tbl24_addr = (uintptr_t)tbl24;
	uint8_t *iph4[DP_BURST], *iph6[DP_BURST]; /* headers, to rewrite */
	uint16_t n4 = 0, n6 = 0, i, out, port4 = 0;
	bool one4 = false;

	if (!parsed && tbl24 && b->n) {
		out = l3_fast4(dp, t, b, ip4);
		if (out != L3_SLOW)
			return out;
	}
	for (i = 0; i < b->n; i++) {
		struct dp_parsed *m = &b->meta[i];
		uint8_t *f = b->data[i];
		uint16_t et = parsed ? 0 : quick_l3(f, b->len[i]);
		uint8_t *ip;
		uint8_t ttl;

		if (et) {
			ip = f + 14; /* meta[i] is not written: unused */
		} else {
			if (!parsed)
				dp_parse(f, b->len[i], m);
			if (m->layer < DP_L3) {
				drop(b, i, m->reason != LR_R_NONE
						   ? m->reason
						   : LR_R_NOT_IP);
				continue;
			}
			et = m->ethertype;
			ip = f + m->l3_off;
		}
		if (et == ETH_P_IP4) {
			ttl = ip[8];
			if (unlikely(!ip4_csum_ok(ip))) {
				drop(b, i, LR_R_BAD_IP4_CSUM);
				continue;
			}
			if (unlikely(ttl <= 1)) {
				drop(b, i, LR_R_TTL_EXPIRED);
				continue;
			}
			memcpy(&ip4[n4], ip + 16, 4);
			ip4[n4] = rte_be_to_cpu_32(ip4[n4]);
			/* Start the tbl24 miss now: the rest of the burst is
			 * classified while it is served. (A separate pass that
			 * prefetched all of them first cost ~10 instructions a
			 * packet and measured ~12 % slower: best of 11 runs, 87
			 * vs 76 cycles a packet on bench-dpdk.sh's l3 input.)
			 * Integer arithmetic: with no table (tbl24_addr 0) it
			 * prefetches a harmless address instead of branching
			 * (a prefetch never faults). */
			rte_prefetch0((const void *)(tbl24_addr +
						     (ip4[n4] >> 8) * 2));
			iph4[n4] = ip;
			idx4[n4++] = i;
		} else if (et == ETH_P_IP6) {
			ttl = ip[7];
			if (unlikely(ttl <= 1)) {
				drop(b, i, LR_R_TTL_EXPIRED);
				continue;
			}
			memcpy(ip6[n6], ip + 24, 16);
			iph6[n6] = ip;
			idx6[n6++] = i;
		} else {
			drop(b, i, LR_R_NOT_IP);
		}
	}
	if (n4) {
		if (tbl24)
			lpm4_lookup_bulk(&t->lpm4, ip4, nh4, n4);
		else
			memset(nh4, 0, sizeof(nh4[0]) * n4);
		one4 = l3_out4(dp, t, b, ip4, iph4, nh4, idx4, n4, &port4);
	}
	/* Every packet IPv4, none dropped, one next hop: the usual case. */
	if (n4 == b->n && one4)
		return port4;
	if (n6) {
		if (t->fib6)
			rte_fib6_lookup_bulk(t->fib6, ip6, nh6, n6);
		else
			memset(nh6, 0, sizeof(nh6[0]) * n6);
		for (i = 0; i < n6; i++)
			l3_out(dp, t, b, idx6[i], iph6[i], nh6[i], ip6[i],
			       true);
	}
	/* One output for the whole burst lets the worker send it as is. */
	out = b->out[0];
	for (i = 1; i < b->n; i++)
		if (b->out[i] != out)
			return DP_OUT_DROP;
	return out;
}

/* ---- building a table (control thread) ---- */

static uint64_t heap_used(void)
{
	struct rte_malloc_socket_stats s;
	uint64_t sum = 0;
	unsigned int sock;

	for (sock = 0; sock < RTE_MAX_NUMA_NODES; sock++)
		if (rte_malloc_get_socket_stats(sock, &s) == 0)
			sum += s.heap_allocsz_bytes;
	return sum;
}

void dp_l3_free(struct dp_l3_table *t)
{
	if (t == NULL)
		return;
	rte_free(t->lpm4.tbl24);
	rte_free(t->lpm4.tbl8);
	rte_fib6_free(t->fib6);
	rte_hash_free(t->neigh4);
	rte_hash_free(t->neigh6);
	rte_free(t->nh);
	rte_free(t->neigh_mac);
	rte_free(t);
}

static bool addr_eq(const struct dp_addr *a, const struct dp_addr *b)
{
	return a->family == b->family &&
	       memcmp(a->a, b->a, a->family == 4 ? 4 : 16) == 0;
}

/* A small open-addressing set of (port, via) -> next-hop id, so thousands
 * of routes sharing a few gateways build in linear time. */
struct nh_key {
	uint16_t port;
	struct dp_addr via;
};

static int nh_intern(struct dp_l3_table *t, struct nh_key *keys,
		     uint32_t *slots, uint32_t nslots, const struct nh_key *k,
		     const struct dp_neigh_conf *ng, size_t nn)
{
	uint32_t key[4], h;

	memcpy(key, k->via.a, sizeof(key)); /* jhash wants it aligned */
	h = rte_jhash(key, sizeof(key), k->port ^ k->via.family) &
	    (nslots - 1);
	struct dp_nexthop *nh;
	size_t j;

	while (slots[h]) {
		const struct nh_key *o = &keys[slots[h]];

		if (o->port == k->port && addr_eq(&o->via, &k->via))
			return (int)slots[h];
		h = (h + 1) & (nslots - 1);
	}
	if (t->nb_nh > L3_NH_MAX)
		return -E2BIG;
	slots[h] = t->nb_nh;
	keys[t->nb_nh] = *k;
	nh = &t->nh[t->nb_nh];
	nh->port = k->port;
	nh->connected = k->via.family == 0;
	for (j = 0; !nh->connected && j < nn; j++) {
		if (addr_eq(&ng[j].addr, &k->via) &&
		    (ng[j].port == DP_NO_PORT || ng[j].port == k->port)) {
			memcpy(nh->mac, ng[j].mac, 6);
			nh->resolved = 1;
			break;
		}
	}
	return (int)t->nb_nh++;
}

/* splitmix64: the route generator's reproducible random source. */
static uint64_t mix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Prefix lengths roughly as in today's global IPv4 table: ~60% /24, ~30%
 * /19../23, ~8% /12../18, ~2% /8../11 and /25../32. */
static uint8_t gen_plen(uint64_t r)
{
	unsigned int p = r % 1000;

	if (p < 600)
		return 24;
	if (p < 900)
		return 19 + (r >> 20) % 5;
	if (p < 980)
		return 12 + (r >> 20) % 7;
	if (p < 990)
		return 8 + (r >> 20) % 4;
	return 25 + (r >> 20) % 8;
}

struct r4 {
	uint32_t ip; /* host order, host bits clear */
	uint8_t plen;
	uint16_t nh;
};

/* Paint the DIR-24-8 from v (n routes): stable counting sort by prefix
 * length, then each route overwrites its range, shorter ones first, so
 * every entry ends up with its longest match (and, for equal prefixes, the
 * last one configured, as an update would). */
static int lpm4_build(struct dp_lpm4 *l, const struct r4 *v, size_t n,
		      char *err, size_t errlen)
{
	size_t cnt[34] = { 0 }, j, k;
	uint32_t *order = NULL, *seen = NULL, groups = 0, next = 0;
	int ret = -ENOMEM;

	order = malloc(sizeof(*order) * (n ? n : 1));
	seen = calloc((1u << 24) / 32, sizeof(*seen)); /* /24 bitmap */
	if (order == NULL || seen == NULL)
		goto nomem;
	for (j = 0; j < n; j++) {
		cnt[v[j].plen + 1]++;
		if (v[j].plen > 24) {
			uint32_t blk = v[j].ip >> 8;

			if (!(seen[blk / 32] >> (blk % 32) & 1)) {
				seen[blk / 32] |= 1u << (blk % 32);
				groups++;
			}
		}
	}
	if (groups > 0x7fff) {
		snprintf(err, errlen,
			 "routes: prefixes longer than /24 fall in %u /24s "
			 "(at most %u)", groups, 0x7fff);
		ret = -E2BIG;
		goto out;
	}
	for (k = 1; k < 34; k++)
		cnt[k] += cnt[k - 1];
	for (j = 0; j < n; j++)
		order[cnt[v[j].plen]++] = (uint32_t)j;
	/* Page-aligned: a lookup's cost follows the 4 KiB pages the
	 * destinations touch (above), and bench-dpdk.sh's l3pages pair
	 * counts them from the table's start. */
	l->tbl24 = rte_zmalloc("lr_lpm4_tbl24", sizeof(uint16_t) << 24, 4096);
	l->tbl8 = rte_zmalloc("lr_lpm4_tbl8",
			      sizeof(uint16_t) * 256 * (groups ? groups : 1),
			      RTE_CACHE_LINE_SIZE);
	if (l->tbl24 == NULL || l->tbl8 == NULL)
		goto nomem;
	l->nb_tbl8 = groups;
	for (j = 0; j < n; j++) {
		const struct r4 *e = &v[order[j]];
		uint32_t first, num, i;
		uint16_t *tbl;

		if (e->plen <= 24) {
			first = e->ip >> 8;
			num = 1u << (24 - e->plen);
			tbl = l->tbl24;
		} else {
			uint16_t *ent = &l->tbl24[e->ip >> 8];

			if (!(*ent & DP_LPM4_EXT)) {
				/* Start the group from what covers it. */
				for (i = 0; i < 256; i++)
					l->tbl8[next * 256 + i] = *ent;
				*ent = (uint16_t)(DP_LPM4_EXT | next++);
			}
			tbl = l->tbl8 + (uint32_t)(*ent & 0x7fff) * 256;
			first = e->ip & 0xff;
			num = 1u << (32 - e->plen);
		}
		for (i = 0; i < num; i++)
			tbl[first + i] = e->nh;
	}
	ret = 0;
	goto out;
nomem:
	snprintf(err, errlen, "routes: out of memory for the IPv4 table");
out:
	free(order);
	free(seen);
	return ret;
}

static int build_fib6(struct dp_l3_table *t, const char *nm6, size_t n6,
		      uint32_t tbl8_6, char *err, size_t errlen)
{
	struct rte_fib6_conf c6 = {
		.type = RTE_FIB6_TRIE,
		.default_nh = 0,
		.max_routes = (int)n6 + 16,
		.trie = { .nh_sz = RTE_FIB6_TRIE_2B, .num_tbl8 = tbl8_6 },
	};

	if (n6 == 0)
		return 0;
	t->fib6 = rte_fib6_create(nm6, SOCKET_ID_ANY, &c6);
	if (t->fib6 == NULL) {
		snprintf(err, errlen, "routes: IPv6 FIB for %zu routes: %s", n6,
			 rte_strerror(rte_errno));
		return -ENOMEM;
	}
	return 0;
}

static int build_neigh(struct dp_l3_table *t, const char *nm4,
		       const char *nm6, const struct dp_neigh_conf *ng,
		       size_t nn, char *err, size_t errlen)
{
	size_t n4 = 0, n6 = 0, j;
	uint32_t cap4, cap6;
	int pos;

	for (j = 0; j < nn; j++)
		ng[j].addr.family == 4 ? n4++ : n6++;
	cap4 = n4 < 8 ? 8 : n4 * 2;
	cap6 = n6 < 8 ? 8 : n6 * 2;
	struct rte_hash_parameters p4 = {
		.name = nm4, .entries = cap4, .key_len = 4,
		.hash_func = rte_jhash, .socket_id = SOCKET_ID_ANY,
	};
	struct rte_hash_parameters p6 = {
		.name = nm6, .entries = cap6, .key_len = 16,
		.hash_func = rte_jhash, .socket_id = SOCKET_ID_ANY,
	};

	t->neigh4 = rte_hash_create(&p4);
	t->neigh6 = rte_hash_create(&p6);
	if (t->neigh4 == NULL || t->neigh6 == NULL) {
		snprintf(err, errlen, "neighbours: hash: %s",
			 rte_strerror(rte_errno));
		return -ENOMEM;
	}
	t->neigh6_base = (uint32_t)rte_hash_max_key_id(t->neigh4) + 1;
	t->neigh_mac = rte_zmalloc("lr_neigh_mac",
				   8 * ((size_t)t->neigh6_base +
					rte_hash_max_key_id(t->neigh6) + 1),
				   0);
	if (t->neigh_mac == NULL) {
		snprintf(err, errlen, "neighbours: out of memory");
		return -ENOMEM;
	}
	for (j = 0; j < nn; j++) {
		bool v6 = ng[j].addr.family == 6;
		uint32_t key[4];

		memcpy(key, ng[j].addr.a, sizeof(key)); /* aligned copy */
		pos = rte_hash_add_key(v6 ? t->neigh6 : t->neigh4, key);
		if (pos < 0) {
			snprintf(err, errlen, "neighbours[%zu]: %s", j,
				 strerror(-pos));
			return pos;
		}
		if (v6)
			pos += t->neigh6_base;
		memcpy(t->neigh_mac[pos], ng[j].mac, 6);
	}
	return 0;
}

int dp_l3_build(struct dp *dp, const struct dp_route_conf *r, size_t nr,
		const struct dp_neigh_conf *ng, size_t nn,
		const struct dp_routes_gen *g, struct dp_l3_table **out,
		char *err, size_t errlen)
{
	uint64_t before = heap_used(), seed;
	struct dp_l3_table *t;
	struct nh_key *keys = NULL;
	uint32_t *slots = NULL, nslots = 1, tbl8_6 = 64;
	size_t n4 = 0, n6 = 0, j, nmax = nr + 2, k4 = 0;
	struct r4 *v4 = NULL;
	char nm[4][32];
	unsigned int gen = ++dp->table_gen;
	int ret, id;

	for (j = 0; j < nr; j++) {
		if (r[j].prefix.family == 4) {
			n4++;
		} else {
			n6++;
			tbl8_6 += r[j].plen > 24 ? (r[j].plen - 17) / 8 : 0;
		}
	}
	if (g && g->count)
		n4 += g->count;
	while (nslots < nmax * 2)
		nslots <<= 1;
	t = rte_zmalloc("lr_l3", sizeof(*t), 0);
	keys = calloc(nmax, sizeof(*keys));
	slots = calloc(nslots, sizeof(*slots));
	v4 = malloc(sizeof(*v4) * (n4 ? n4 : 1));
	if (t == NULL || keys == NULL || slots == NULL || v4 == NULL) {
		snprintf(err, errlen, "routes: out of memory");
		ret = -ENOMEM;
		goto fail;
	}
	t->gen = gen;
	t->nh = rte_zmalloc("lr_l3_nh",
			    sizeof(*t->nh) * (nmax < L3_NH_MAX + 1
						      ? nmax
						      : L3_NH_MAX + 1),
			    0);
	if (t->nh == NULL) {
		snprintf(err, errlen, "routes: out of memory");
		ret = -ENOMEM;
		goto fail;
	}
	t->nb_nh = 1; /* 0 = no route */
	snprintf(nm[1], sizeof(nm[1]), "lr_fib6_%u", gen);
	snprintf(nm[2], sizeof(nm[2]), "lr_nb4_%u", gen);
	snprintf(nm[3], sizeof(nm[3]), "lr_nb6_%u", gen);
	ret = build_fib6(t, nm[1], n6, tbl8_6, err, errlen);
	if (ret < 0)
		goto fail;
	ret = build_neigh(t, nm[2], nm[3], ng, nn, err, errlen);
	if (ret < 0)
		goto fail;
	for (j = 0; j < nr; j++) {
		struct nh_key k = { .port = r[j].port, .via = r[j].via };

		id = nh_intern(t, keys, slots, nslots, &k, ng, nn);
		if (id < 0) {
			snprintf(err, errlen,
				 "routes[%zu]: more than %d distinct next hops",
				 j, L3_NH_MAX);
			ret = id;
			goto fail;
		}
		if (r[j].prefix.family == 4) {
			uint32_t a;

			memcpy(&a, r[j].prefix.a, 4);
			v4[k4].ip = rte_be_to_cpu_32(a);
			v4[k4].plen = r[j].plen;
			v4[k4++].nh = (uint16_t)id;
			ret = 0;
		} else {
			ret = rte_fib6_add(t->fib6, r[j].prefix.a, r[j].plen,
					   (uint64_t)id);
		}
		if (ret < 0) {
			snprintf(err, errlen, "routes[%zu]: FIB add: %s", j,
				 strerror(-ret));
			goto fail;
		}
	}
	if (g && g->count) {
		struct nh_key k = { .port = g->port, .via = g->via };

		id = nh_intern(t, keys, slots, nslots, &k, ng, nn);
		seed = g->seed;
		for (j = 0; id >= 0 && j < g->count; j++) {
			uint64_t rnd = mix64(&seed);
			uint8_t plen = gen_plen(rnd >> 32);
			/* Unicast space 1.0.0.0 - 223.255.255.255. */
			uint32_t a = (uint32_t)(1 + rnd % 223) << 24 |
				     ((uint32_t)(rnd >> 8) & 0xffffff);

			a &= plen ? ~0u << (32 - plen) : 0;
			v4[k4].ip = a;
			v4[k4].plen = plen;
			v4[k4++].nh = (uint16_t)id;
		}
	}
	if (k4) {
		ret = lpm4_build(&t->lpm4, v4, k4, err, errlen);
		if (ret < 0)
			goto fail;
	}
	free(v4);
	free(keys);
	free(slots);
	t->bytes = heap_used() - before;
	*out = t;
	return 0;
fail:
	free(v4);
	free(keys);
	free(slots);
	dp_l3_free(t);
	return ret;
}
