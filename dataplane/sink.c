// SPDX-License-Identifier: MIT
/*
 * The measuring sink: a port RX role usable on every backend. Counts every
 * packet and byte; for frames carrying the generator's payload record
 * (UDP over untagged IPv4/IPv6, magic checked) it tracks each flow's
 * sequence numbers — gaps as lost, late arrivals as reordered (and no
 * longer lost), repeats as duplicates, with a 64-packet window per flow —
 * and books TSC latency (now - the generator's stamp) in a log-linear
 * histogram. State is per worker: RSS keeps a flow on one queue. A new
 * generator run (its run id in the payload) restarts a flow's tracking,
 * so `gen start` after a count or `gen set` is not counted as duplicates
 * or reordering; stragglers of an older run are counted, not tracked.
 */
#include <string.h>

#include <rte_cycles.h>

#include "dp_internal.h"

static inline unsigned int lat_bucket(uint64_t v)
{
	unsigned int e;

	if (v < 8)
		return (unsigned int)v;
	e = 63 - (unsigned int)__builtin_clzll(v);
	return e * 8 + (unsigned int)((v >> (e - 3)) & 7);
}

static uint64_t bucket_low(unsigned int i)
{
	unsigned int e = i / 8, sub = i % 8;

	if (i < 8)
		return i;
	if (i < 24) /* never used: 8..15 cycles land in 24.. */
		return 8;
	return (uint64_t)(8 + sub) << (e - 3);
}

uint64_t dp_lat_bucket_upper(unsigned int i)
{
	return i + 1 < DP_LAT_BUCKETS ? bucket_low(i + 1) : UINT64_MAX;
}

double dp_sink_lat_pct_ns(const struct dp_sink_stats *s, uint64_t tsc_hz,
			  double p)
{
	uint64_t total = 0, want, acc = 0;
	unsigned int i;

	for (i = 0; i < DP_LAT_BUCKETS; i++)
		total += s->lat[i];
	if (total == 0 || tsc_hz == 0)
		return 0;
	want = (uint64_t)((double)total * p / 100.0);
	if (want >= total)
		want = total - 1;
	for (i = 0; i < DP_LAT_BUCKETS; i++) {
		acc += s->lat[i];
		if (acc > want) {
			double lo = (double)bucket_low(i);
			double hi = i + 1 < DP_LAT_BUCKETS
					    ? (double)bucket_low(i + 1)
					    : lo;

			if (hi < lo)
				hi = lo;
			return (lo + hi) / 2 * 1e9 / (double)tsc_hz;
		}
	}
	return 0;
}

static inline const uint8_t *payload_of(const uint8_t *f, uint16_t len)
{
	uint32_t off;

	if (len < 14 + 20 + 8 + sizeof(struct dp_gen_payload))
		return NULL;
	if (f[12] == 0x08 && f[13] == 0x00) {
		if (f[23] != 17)
			return NULL;
		off = 14 + (uint32_t)(f[14] & 15) * 4 + 8;
	} else if (f[12] == 0x86 && f[13] == 0xdd) {
		if (f[20] != 17)
			return NULL;
		off = 14 + 40 + 8;
	} else {
		return NULL;
	}
	if (off + sizeof(struct dp_gen_payload) > len)
		return NULL;
	return f + off;
}

static inline void track(struct dp_sink_stats *s, struct dp_sink_flow *fl,
			 uint32_t seq, uint16_t run)
{
	int32_t d;
	uint32_t back;

	if (unlikely(fl->seen && fl->run != run)) {
		/* A frame of an older run still in flight: counted, not
		 * tracked. A newer run restarts the flow's sequence. */
		if ((int16_t)(run - fl->run) < 0)
			return;
		fl->seen = 0;
	}
	if (!fl->seen) {
		fl->seen = 1;
		fl->run = run;
		s->lost += seq; /* 0 .. seq-1 never came */
		fl->next = seq + 1;
		fl->window = 1;
		return;
	}
	d = (int32_t)(seq - fl->next);
	if (d >= 0) {
		s->lost += (uint32_t)d;
		fl->window = (uint32_t)d + 1 >= 64
				     ? 0
				     : fl->window << ((uint32_t)d + 1);
		fl->window |= 1;
		fl->next = seq + 1;
		return;
	}
	back = (uint32_t)(-d) - 1; /* 0: the latest one again */
	if (back < 64 && (fl->window >> back & 1)) {
		s->dup++;
		return;
	}
	if (back < 64)
		fl->window |= 1ull << back;
	s->reordered++;
	if (s->lost)
		s->lost--;
}

void dp_sink_burst(struct dp_worker *w, const struct dp_burst *b,
		   uint64_t now)
{
	struct dp_sink_stats *s = &w->st->sink;
	uint64_t bytes = 0;
	uint16_t i;

	if (unlikely(atomic_load_explicit(&w->sink_reset,
					  memory_order_acquire))) {
		memset(w->sink_flows, 0, DP_FLOWS_MAX * sizeof(*w->sink_flows));
		memset(s, 0, sizeof(*s));
		atomic_store_explicit(&w->sink_reset, false,
				      memory_order_release);
	}
	now = rte_rdtsc(); /* the generator may have stamped after t0 */
	for (i = 0; i < b->n; i++) {
		const uint8_t *pl = payload_of(b->data[i], b->len[i]);
		struct dp_gen_payload r;
		uint64_t lat;

		bytes += b->len[i];
		if (pl == NULL) {
			s->foreign++;
			continue;
		}
		memcpy(&r, pl, sizeof(r));
		if (r.magic != DP_GEN_MAGIC) {
			s->foreign++;
			continue;
		}
		track(s, &w->sink_flows[r.flow], r.seq,
		      dp_gen_payload_run(&r));
		lat = (now - dp_gen_payload_tsc(&r)) & DP_GEN_TSC_MASK;
		if (lat > DP_GEN_TSC_MASK / 2) /* stamped after now */
			lat = 0;
		s->lat[lat_bucket(lat)]++;
		s->lat_count++;
		if (lat > s->lat_max)
			s->lat_max = lat;
	}
	s->pkts += b->n;
	s->bytes += bytes;
}
