// SPDX-License-Identifier: MIT
/*
 * macswap mode: swap source and destination MAC, send back out of the input
 * port (testpmd's macswap). Frames shorter than an Ethernet header are
 * dropped as TRUNC_ETH. Prefetches the next frames' first line ahead.
 */
#include <rte_branch_prediction.h>
#include <rte_prefetch.h>

#include "csum.h"
#include "dp_internal.h"

#define PREFETCH_AHEAD 3

void dp_fwd_macswap(struct dp_worker *w, struct dp_burst *b)
{
	uint16_t i;

	for (i = 0; i < PREFETCH_AHEAD && i < b->n; i++)
		rte_prefetch0(b->data[i]);
	for (i = 0; i < b->n; i++) {
		if (i + PREFETCH_AHEAD < b->n)
			rte_prefetch0(b->data[i + PREFETCH_AHEAD]);
		if (unlikely(b->len[i] < 14)) {
			b->out[i] = DP_OUT_DROP;
			b->reason[i] = LR_R_TRUNC_ETH;
			continue;
		}
		dp_macswap(b->data[i]);
		b->out[i] = b->port;
	}
}
