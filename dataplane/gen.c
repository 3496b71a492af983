// SPDX-License-Identifier: MIT
/*
 * The traffic generator: a port role usable on every backend (it only uses
 * the port's alloc_bufs / tx_burst / free_bufs). Each worker polling the
 * port runs a share of it: flows f = part, part + nparts, ... and
 * rate / nparts.
 *
 * Frames: Ethernet + IPv4 or IPv6 + UDP, 64..1518 bytes as testers count
 * them (with FCS; we build 4 bytes less) or IMIX 7:4:1 of 64/594/1518.
 * Flow f goes to dst + f * dst_step with source port sport + f % 1024.
 * Payload (struct dp_gen_payload in dp_internal.h, little-endian): magic,
 * flow, per-flow sequence number, TSC at build time and the run id of the
 * last prepare; the rest zero. IPv4 has its header
 * checksum and no UDP checksum (0: "none"); IPv6 has its mandatory UDP
 * checksum, summed over the non-zero part only.
 *
 * Pacing: a fixed-point TSC deadline; a burst sends every packet that is
 * due (up to DP_BURST). A worker that falls behind (preempted on a shared
 * core) catches up at full speed for up to 10 ms worth of packets; beyond
 * that the deadline is reset rather than sending a long rush.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>

#include "csum.h"
#include "dp_internal.h"

static const uint16_t imix_pattern[12] = {
	64, 594, 64, 64, 1518, 64, 594, 64, 64, 594, 64, 594,
};

static uint16_t gen_min_frame(uint8_t ipv)
{
	/* headers + payload record, +4 FCS */
	return (uint16_t)(14 + (ipv == 6 ? 40 : 20) + 8 +
			  sizeof(struct dp_gen_payload) + 4);
}

/* Run ids, one per prepare (the control thread is the only caller). */
static uint16_t gen_runs;

int dp_gen_prepare(struct dp_gen_state *g, const struct dp_gen_conf *c,
		   uint64_t tsc_hz)
{
	uint32_t flows = c->flows ? c->flows : 1;
	uint64_t rate;

	if (flows > DP_FLOWS_MAX)
		return -EINVAL;
	if (g->seq == NULL) {
		g->seq = calloc(DP_FLOWS_MAX, sizeof(*g->seq));
		if (g->seq == NULL)
			return -ENOMEM;
	} else {
		memset(g->seq, 0, DP_FLOWS_MAX * sizeof(*g->seq));
	}
	if (&g->c != c)
		g->c = *c;
	g->c.flows = flows;
	atomic_store_explicit(&g->sent, 0, memory_order_relaxed);
	g->flow = 0;
	g->imix_i = 0;
	g->next_fp = 0;
	g->base_tsc = rte_rdtsc();
	g->run = ++gen_runs;
	rate = c->rate_pps / (g->nparts ? g->nparts : 1);
	if (c->rate_pps && rate == 0)
		rate = 1;
	g->gap_fp = rate ? (tsc_hz << 16) / rate : 0;
	g->count = c->count / (g->nparts ? g->nparts : 1) +
		   (g->part < c->count % (g->nparts ? g->nparts : 1));
	return 0;
}

static uint16_t frame_len(struct dp_gen_state *g, bool v6)
{
	uint16_t fs = g->c.imix ? imix_pattern[g->imix_i++ % 12]
				: g->c.frame_size;
	uint16_t min = gen_min_frame(v6 ? 6 : 4);

	if (fs < min)
		fs = min;
	return fs - 4;
}

static bool fixed_len(const struct dp_gen_state *g)
{
	return !g->c.imix && (g->c.ip_version != 46 ||
			      g->c.frame_size >= gen_min_frame(6));
}

static void build(struct dp_gen_state *g, uint8_t *f, uint16_t len,
		  uint32_t flow, bool v6, uint64_t tsc)
{
	const struct dp_gen_conf *c = &g->c;
	uint16_t ihl = v6 ? 40 : 20, l4len = len - 14 - ihl;
	uint8_t *ip = f + 14, *udp = ip + ihl;
	struct dp_gen_payload pl = {
		.magic = DP_GEN_MAGIC,
		.flow = (uint16_t)flow,
		.seq = g->seq[flow]++,
		.tsc_run = (tsc & DP_GEN_TSC_MASK) | (uint64_t)g->run << 48,
	};
	uint16_t sport = c->sport + flow % 1024;
	uint32_t add = flow * (c->dst_step ? c->dst_step : 1), a;

	memcpy(f, c->dst_mac, 6);
	memcpy(f + 6, c->src_mac_set ? c->src_mac : g->port_mac, 6);
	f[12] = v6 ? 0x86 : 0x08;
	f[13] = v6 ? 0xdd : 0x00;
	memset(ip, 0, len - 14);
	udp[0] = sport >> 8;
	udp[1] = sport & 0xff;
	udp[2] = c->dport >> 8;
	udp[3] = c->dport & 0xff;
	udp[4] = l4len >> 8;
	udp[5] = l4len & 0xff;
	memcpy(udp + 8, &pl, sizeof(pl));
	if (!v6) {
		ip[0] = 0x45;
		ip[2] = (len - 14) >> 8;
		ip[3] = (len - 14) & 0xff;
		ip[8] = 64;
		ip[9] = 17;
		memcpy(ip + 12, c->src4.a, 4);
		memcpy(&a, c->dst4.a, 4);
		a = rte_cpu_to_be_32(rte_be_to_cpu_32(a) + add);
		memcpy(ip + 16, &a, 4);
		a = dp_ip4_hdr_csum(ip);
		memcpy(ip + 10, &a, 2);
		return;
	}
	ip[0] = 0x60;
	ip[4] = l4len >> 8;
	ip[5] = l4len & 0xff;
	ip[6] = 17;
	ip[7] = 64;
	memcpy(ip + 8, c->src6.a, 16);
	memcpy(ip + 24, c->dst6.a, 16);
	memcpy(&a, ip + 36, 4);
	a = rte_cpu_to_be_32(rte_be_to_cpu_32(a) + add);
	memcpy(ip + 36, &a, 4);
	{
		/* Pseudo-header + UDP header + payload record; the rest of
		 * the payload is zero and adds nothing. */
		uint8_t ph[8] = { 0, 0, udp[4], udp[5], 0, 0, 0, 17 };
		uint32_t sum = dp_csum_partial(ip + 8, 32, 0);
		uint16_t cs;

		sum = dp_csum_partial(ph, sizeof(ph), sum);
		sum = dp_csum_partial(udp, 8 + sizeof(pl), sum);
		cs = dp_csum_fold(sum);
		if (cs == 0)
			cs = 0xffff;
		memcpy(udp + 6, &cs, 2);
	}
}

unsigned int dp_gen_run(struct dp_worker *w, struct dp_gen_state *g,
			uint64_t now)
{
	struct dp_port *p = &w->dp->ports[g->port];
	struct dp_worker_stats *st = w->st;
	uint8_t *data[DP_BURST];
	uint16_t len[DP_BURST];
	uintptr_t buf[DP_BURST];
	uint16_t n = DP_BURST, i, k, sent, q = w->txq[g->port];
	uint64_t bytes = 0, sent_before;
	bool fixed;

	/* Acquire: pairs with the control thread's release of on after it
	 * rewrote the rest of g (gen_each). */
	if (!atomic_load_explicit(&g->on, memory_order_acquire) ||
	    q == DP_NO_QUEUE ||
	    !atomic_load_explicit(&w->dp->rt[g->port].admin_up,
				  memory_order_relaxed))
		return 0;
	sent_before = atomic_load_explicit(&g->sent, memory_order_relaxed);
	if (g->count && sent_before >= g->count)
		return 0;
	if (g->gap_fp) {
		uint64_t now_fp;

		/* The worker's round started before dp_gen_prepare read the
		 * TSC: not due yet (now - base would wrap, and the deadline
		 * would land so far ahead that the generator never sent
		 * again). */
		if ((int64_t)(now - g->base_tsc) < 0)
			return 0;
		now_fp = (now - g->base_tsc) << 16;
		uint64_t lag_max = (w->dp->tsc_hz << 16) / 100;

		if (g->next_fp == 0 ||
		    (now_fp > g->next_fp && now_fp - g->next_fp > lag_max))
			g->next_fp = now_fp;
		if (now_fp < g->next_fp)
			return 0;
		n = (uint16_t)RTE_MIN((uint64_t)DP_BURST,
				      (now_fp - g->next_fp) / g->gap_fp + 1);
	}
	if (g->count && g->count - sent_before < n)
		n = (uint16_t)(g->count - sent_before);
	/* Buffers come with their frame's length: one allocation per burst
	 * when every frame is as long, one per frame otherwise (IMIX, or
	 * IPv4 and IPv6 mixed near the minimum size). */
	fixed = fixed_len(g);
	if (fixed) {
		uint16_t l = frame_len(g, g->c.ip_version == 6);

		/* Backends may hand out fewer than asked (a UMEM or socket
		 * buffer ring running low): send what we got. */
		k = p->ops->alloc_bufs(p, q, l, data, buf, n);
		if (k < n) {
			st->gen.no_buf++;
			if (k == 0)
				return 0;
			n = k;
		}
		for (i = 0; i < n; i++)
			len[i] = l;
	}
	for (i = 0; i < n; i++) {
		uint32_t flow = g->part + g->flow * g->nparts;
		bool v6 = g->c.ip_version == 6 ||
			  (g->c.ip_version == 46 && (flow & 1));

		if (!fixed) {
			len[i] = frame_len(g, v6);
			if (p->ops->alloc_bufs(p, q, len[i], data + i, buf + i,
					       1) != 1) {
				/* Send the i frames already built. */
				st->gen.no_buf++;
				n = i;
				break;
			}
		}
		if (++g->flow * g->nparts + g->part >= g->c.flows)
			g->flow = 0;
		build(g, data[i], len[i], flow, v6, now);
	}
	if (n == 0)
		return 0;
	sent = p->ops->tx_burst(p, q, data, len, buf, n, false);
	if (p->ops->tx_flush)
		p->ops->tx_flush(p, q);
	if (sent < n) {
		p->ops->free_bufs(p, q, buf + sent, n - sent);
		st->gen.tx_full += n - sent;
		st->drops[LR_R_TX_FULL] += n - sent;
	}
	for (i = 0; i < sent; i++)
		bytes += len[i];
	/* One writer: a plain store, no read-modify-write. */
	atomic_store_explicit(&g->sent, sent_before + n, memory_order_relaxed);
	g->next_fp += g->gap_fp * n;
	st->gen.pkts += sent;
	st->gen.bytes += bytes;
	st->port[g->port].tx_pkts += sent;
	st->port[g->port].tx_bytes += bytes;
	st->tx_pkts += sent;
	return n;
}
