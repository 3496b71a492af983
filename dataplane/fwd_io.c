// SPDX-License-Identifier: MIT
/*
 * io mode: every packet out of the paired port, unchanged (testpmd's iofwd).
 * Costs nothing per packet beyond the dispatch into the TX buffer.
 */
#include "dp_internal.h"

void dp_fwd_io(struct dp_worker *w, struct dp_burst *b, uint16_t peer)
{
	uint16_t i;

	for (i = 0; i < b->n; i++)
		b->out[i] = peer;
}
