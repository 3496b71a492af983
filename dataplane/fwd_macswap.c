// SPDX-License-Identifier: MIT
/*
 * macswap mode: swap source and destination MAC, send back out of the input
 * port (testpmd's macswap). Frames shorter than an Ethernet header are
 * dropped as TRUNC_ETH (returns how many).
 */
#include <rte_branch_prediction.h>
#include <rte_prefetch.h>

#include <string.h>
#ifdef __SSSE3__
#include <tmmintrin.h>
#endif

#include "dp_internal.h"

/* dp_macswap() (csum.c) inlined and done in registers: bytes 0-11 as one
 * 8-byte and one 4-byte load, rotated (little-endian), stored back; a call
 * per packet and byte-wise copies showed in the profile. */
static inline void swap(uint8_t *f)
{
	uint64_t a, na;
	uint32_t c, nc;

	memcpy(&a, f, 8);     /* b0..b7 */
	memcpy(&c, f + 8, 4); /* b8..b11 */
	na = a >> 48 | (uint64_t)c << 16 | a << 48; /* b6..b11 b0 b1 */
	nc = (uint32_t)(a >> 16);                    /* b2..b5 */
	memcpy(f, &na, 8);
	memcpy(f + 8, &nc, 4);
}

#ifdef __SSSE3__
/* Frames of 16 bytes or more: one 16-byte load, a byte shuffle (bytes 6-11,
 * 0-5, 12-15), one store — testpmd's macswap_sse; 3 instructions instead
 * of the register rotation's 8. */
static inline void swap16(uint8_t *f, __m128i mask)
{
	__m128i h = _mm_loadu_si128((const __m128i *)(const void *)f);

	_mm_storeu_si128((__m128i *)(void *)f, _mm_shuffle_epi8(h, mask));
}
#endif

/* The general case: runts dropped, frames of 14-15 bytes rotated. */
static uint16_t macswap_slow(struct dp_burst *b)
{
	uint16_t i, drops = 0;

	for (i = 0; i < b->n; i++) {
		if (unlikely(b->len[i] < 14)) {
			b->out[i] = DP_OUT_DROP;
			b->reason[i] = LR_R_TRUNC_ETH;
			drops++;
			continue;
		}
		swap(b->data[i]);
		b->out[i] = b->port;
	}
	return drops;
}

uint16_t dp_fwd_macswap(struct dp_worker *w, struct dp_burst *b)
{
	uint16_t i, n = b->n, minlen = UINT16_MAX;
#ifdef __SSSE3__
	const __m128i mask = _mm_setr_epi8(6, 7, 8, 9, 10, 11, 0, 1, 2, 3, 4,
					   5, 12, 13, 14, 15);
#endif

	(void)w;
	/* The headers of a burst are 32 independent misses when the PMD did
	 * not write them (net_null): start them all, then swap. The shortest
	 * frame decides for the whole burst whether any needs a check (a
	 * vector min, not two branches a packet). */
	for (i = 0; i < n; i++)
		rte_prefetch0(b->data[i]);
	for (i = 0; i < n; i++)
		minlen = b->len[i] < minlen ? b->len[i] : minlen;
#ifdef __SSSE3__
	if (likely(minlen >= 16)) {
		for (i = 0; i < n; i++)
			swap16(b->data[i], mask);
		for (i = 0; i < n; i++)
			b->out[i] = b->port;
		return 0;
	}
#endif
	return macswap_slow(b);
}
