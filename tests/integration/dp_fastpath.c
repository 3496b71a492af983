// SPDX-License-Identifier: MIT
/*
 * Description: the io fast path (worker.c poll_io_direct, planned once per
 * rt_gen) follows every run-time change of the settings it was planned
 * from, and counts what it moves exactly.
 *
 * Port src (net_pcap, infinite_rx: 64 frames of 98 bytes, replayed, so the
 * worker takes full bursts and sends them whole) forwards io to out; out
 * and alt are net_null ports nobody polls. Each step changes one setting,
 * waits until the worker has planned for it (up to 5 s), and checks over
 * 100 ms windows which ports' ethdev TX counters move, and whether src's
 * io_direct (counted by a wrapper in src's ops) sends:
 *   start                     out moves, the queue is planned direct to out
 *   peer alt                  alt moves, out is still
 *   mode macswap              src moves (back out of src), out/alt still,
 *                             not direct
 *   mode io, ACL on           alt moves (permit), not direct
 *   ACL off                   alt moves, direct to alt again
 *   alt stopped               nothing leaves, port_down drops move
 *   alt started               alt moves, direct again
 *   peer full                 a net_ring nobody reads: it takes what fits,
 *                             then io_direct sends part of a burst or none
 *                             and frees the rest, counted tx_full
 * A setting the plan missed shows as the old port still moving; a fast
 * path that never sends, as no io_direct send where one is due. At the end
 * (workers stopped) linerate's counters equal the ethdevs': src RX packets
 * and bytes, and per output port TX packets (bytes: 98 each; net_null
 * and net_ring count no bytes), src's RX is every port's TX plus the
 * port_down and tx_full drops, and the workers' fast_bursts is the number
 * of io_direct calls that sent. Needs root (DPDK): exits 77 without it.
 * No rates are asserted: a starved worker only makes a wait longer (up
 * to 5 s each).
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_ethdev.h>

#include "dp_internal.h"

#define FRAMES 64
#define FRAME_LEN 98
#define NP 4 /* src, out, alt, full */

static struct dp *g_dp;
static const struct dp_port_ops *orig_ops;
static struct dp_port_ops count_ops;
static _Atomic uint64_t direct_sends; /* io_direct calls that sent */
static uint16_t eth[NP]; /* ethdev port ids */
static const char *const names[NP] = { "src", "out", "alt", "full" };

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static uint64_t opackets(unsigned int k)
{
	struct rte_eth_stats s;

	if (rte_eth_stats_get(eth[k], &s) != 0)
		return 0;
	return s.opackets;
}

/* 64 IPv4/UDP frames of FRAME_LEN bytes, each its own destination. */
static int write_pcap(const char *path)
{
	FILE *f = fopen(path, "wb");
	uint32_t gh[6] = { 0xa1b2c3d4, 0x00040002, 0, 0, 65535, 1 };
	unsigned int i;

	if (f == NULL)
		return -1;
	fwrite(gh, sizeof(gh), 1, f);
	for (i = 0; i < FRAMES; i++) {
		uint8_t fr[FRAME_LEN] = { 0x02, 0, 0, 0, 0, 0x01, 0x02, 0,
					  0,    0, 0, 0x09, 0x08, 0 };
		uint32_t rh[4] = { 0, i, FRAME_LEN, FRAME_LEN };

		fr[14] = 0x45;
		fr[16] = 0;
		fr[17] = FRAME_LEN - 14;
		fr[22] = 64;
		fr[23] = 17;
		fr[33] = (uint8_t)i;
		fwrite(rh, sizeof(rh), 1, f);
		fwrite(fr, sizeof(fr), 1, f);
	}
	return fclose(f);
}

static int count_io_direct(struct dp_port *p, uint16_t q, struct dp_port *op,
			   uint16_t oq, struct dp_burst *b, uint16_t min,
			   uint32_t *tx_bytes)
{
	int r = orig_ops->io_direct(p, q, op, oq, b, min, tx_bytes);

	if (r >= 0)
		atomic_fetch_add_explicit(&direct_sends, 1,
					  memory_order_relaxed);
	return r;
}

/* Until the worker has planned for the last change (5 s at most, then
 * false). The acquire pairs with worker_plan's release: the plan read
 * after it (planned) is the one made for that change. */
static bool wait_planned(const char *step)
{
	unsigned int t;

	for (t = 0; t < 500; t++) {
		if (atomic_load_explicit(&g_dp->w[0]->plan_gen,
					 memory_order_acquire) ==
		    atomic_load(&g_dp->rt_gen))
			return true;
		sleep_ms(10);
	}
	printf("FAIL: %s: the worker did not plan for it within 5 s\n", step);
	return false;
}

static uint16_t planned(void)
{
	return g_dp->w[0]->rxq[0].direct_peer;
}

/*
 * Once the worker has planned for the change, which ports send within a
 * window: the ones in moving must (waiting up to 5 s for a starved
 * worker), the others must not. Returns 0 or 1 after printing why.
 */
static int expect(const char *step, const bool moving[NP], uint16_t direct)
{
	uint64_t a[NP], b[NP], d0;
	unsigned int k, t;
	int bad = 0;

	if (!wait_planned(step))
		return 1;
	d0 = atomic_load(&direct_sends);
	for (k = 0; k < NP; k++)
		a[k] = opackets(k);
	for (t = 0; t < 50; t++) {
		bool all = true;

		sleep_ms(100);
		for (k = 0; k < NP; k++) {
			b[k] = opackets(k);
			if (moving[k] && b[k] == a[k])
				all = false;
		}
		if (all)
			break;
	}
	for (k = 0; k < NP; k++) {
		b[k] = opackets(k);
		if (moving[k] && b[k] == a[k]) {
			printf("FAIL: %s: port %s sent nothing\n", step,
			       names[k]);
			bad = 1;
		}
	}
	if (direct != DP_NO_QUEUE && atomic_load(&direct_sends) == d0) {
		printf("FAIL: %s: io_direct sent nothing\n", step);
		bad = 1;
	}
	/* The still ones, over a fresh window. */
	d0 = atomic_load(&direct_sends);
	for (k = 0; k < NP; k++)
		a[k] = opackets(k);
	sleep_ms(100);
	if (direct == DP_NO_QUEUE && atomic_load(&direct_sends) != d0) {
		printf("FAIL: %s: io_direct still sends\n", step);
		bad = 1;
	}
	for (k = 0; k < NP; k++)
		if (!moving[k] && opackets(k) != a[k]) {
			printf("FAIL: %s: port %s still sends (%lu in 100 ms)\n",
			       step, names[k],
			       (unsigned long)(opackets(k) - a[k]));
			bad = 1;
		}
	if (planned() != direct) {
		printf("FAIL: %s: src's queue planned %s, expected %s\n", step,
		       planned() == DP_NO_QUEUE ? "general"
						: names[planned()],
		       direct == DP_NO_QUEUE ? "general" : names[direct]);
		bad = 1;
	}
	printf("%s: %s\n", step, bad ? "FAIL" : "ok");
	return bad;
}

int main(int argc, char **argv)
{
	static const bool to_out[NP] = { false, true, false, false };
	static const bool to_alt[NP] = { false, false, true, false };
	static const bool to_src[NP] = { true, false, false, false };
	static const bool none[NP] = { false, false, false, false };
	struct dp_config c;
	struct dp_worker_stats st;
	struct rte_eth_stats es;
	char err[512], pcap[64];
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	uint64_t down0;
	unsigned int k;
	int bad = 0;

	(void)argc;
	if (geteuid() != 0) {
		printf("SKIP: needs root (DPDK)\n");
		return 77;
	}
	snprintf(pcap, sizeof(pcap), "/tmp/lr-dp-fastpath-%d.pcap",
		 (int)getpid());
	if (write_pcap(pcap) != 0) {
		printf("FAIL: cannot write %s\n", pcap);
		return 1;
	}
	dp_config_init(&c);
	snprintf(c.eal.file_prefix, sizeof(c.eal.file_prefix),
		 "lr-dp-fastpath-%d", (int)getpid());
	snprintf(c.eal.log_level, sizeof(c.eal.log_level), "warning");
	c.eal.hugepages = 0;
	c.nb_ports = NP;
	for (k = 0; k < NP; k++) {
		struct dp_port_entry *p = &c.ports[k];

		dp_port_entry_init(p, (uint16_t)k);
		snprintf(p->conf.name, sizeof(p->conf.name), "%s", names[k]);
		if (k == 0)
			snprintf(p->conf.dev, sizeof(p->conf.dev),
				 "net_pcap_fp0,rx_pcap=%s,infinite_rx=1,"
				 "tx_pcap=/dev/null",
				 pcap);
		else if (k < 3)
			snprintf(p->conf.dev, sizeof(p->conf.dev),
				 "net_null_fp%u", k);
		else /* a ring nobody reads: full after its size */
			snprintf(p->conf.dev, sizeof(p->conf.dev),
				 "net_ring_fp%u", k);
		p->conf.mac_set = true;
		p->conf.mac[0] = 2;
		p->conf.mac[5] = (uint8_t)(k + 1);
		p->rx_role = k == 0 ? DP_RX_FORWARD : DP_RX_DROP;
	}
	c.ports[0].mode = DP_FWD_IO;
	c.ports[0].peer = 1;
	c.nb_workers = 1;
	c.workers[0].core = ncpu > 1 ? (int)ncpu - 1 : 0;
	c.workers[0].nb_ports = 1;
	c.workers[0].ports[0] = 0;

	if (dp_eal_init(&c, argv[0], err, sizeof(err)) < 0) {
		printf("FAIL: %s\n", err);
		dp_config_free(&c);
		unlink(pcap);
		return 1;
	}
	if (dp_create(&c, &g_dp, err, sizeof(err)) < 0) {
		printf("FAIL: %s\n", err);
		bad = 1;
		goto out;
	}
	/* Before any worker runs: count src's io_direct sends. */
	orig_ops = dp_port_get(g_dp, 0)->ops;
	if (orig_ops->io_direct == NULL) {
		printf("FAIL: the DPDK backend has no io_direct\n");
		bad = 1;
		goto out;
	}
	count_ops = *orig_ops;
	count_ops.io_direct = count_io_direct;
	((struct dp_port *)dp_port_get(g_dp, 0))->ops = &count_ops;
	if (dp_start(g_dp, err, sizeof(err)) < 0) {
		printf("FAIL: %s\n", err);
		bad = 1;
		goto out;
	}
	for (k = 0; k < NP; k++)
		eth[k] = (uint16_t)dp_dpdk_port_id(dp_port_get(g_dp, (uint16_t)k));

	bad |= expect("start", to_out, 1);
	dp_port_set_peer(g_dp, 0, 2);
	bad |= expect("peer alt", to_alt, 2);
	dp_port_set_mode(g_dp, 0, DP_FWD_MACSWAP, err, sizeof(err));
	bad |= expect("mode macswap", to_src, DP_NO_QUEUE);
	dp_port_set_mode(g_dp, 0, DP_FWD_IO, err, sizeof(err));
	dp_port_set_acl(g_dp, 0, true);
	bad |= expect("mode io, ACL on", to_alt, DP_NO_QUEUE);
	dp_port_set_acl(g_dp, 0, false);
	bad |= expect("ACL off", to_alt, 2);
	dp_stats_total(g_dp, &st);
	down0 = st.drops[LR_R_PORT_DOWN];
	dp_port_stop(g_dp, 2);
	bad |= expect("alt stopped", none, DP_NO_QUEUE);
	dp_stats_total(g_dp, &st);
	for (k = 0; k < 500 && st.drops[LR_R_PORT_DOWN] == down0; k++) {
		sleep_ms(10);
		dp_stats_total(g_dp, &st);
	}
	if (st.drops[LR_R_PORT_DOWN] == down0) {
		printf("FAIL: alt stopped: no port_down drops\n");
		bad = 1;
	}
	if (dp_port_start(g_dp, 2, err, sizeof(err)) < 0) {
		printf("FAIL: start alt: %s\n", err);
		bad = 1;
	}
	bad |= expect("alt started", to_alt, 2);
	/* A peer that takes part of a burst and then nothing: io_direct
	 * frees the rest and the worker counts it tx_full. */
	dp_stats_total(g_dp, &st);
	down0 = st.drops[LR_R_TX_FULL];
	dp_port_set_peer(g_dp, 0, 3);
	if (!wait_planned("full peer"))
		bad = 1;
	for (k = 0; k < 500 && (st.drops[LR_R_TX_FULL] == down0 ||
				 opackets(3) == 0); k++) {
		sleep_ms(10);
		dp_stats_total(g_dp, &st);
	}
	if (planned() != 3 || opackets(3) == 0 ||
	    st.drops[LR_R_TX_FULL] == down0) {
		printf("FAIL: full peer: planned %u, %lu sent, no tx_full "
		       "drops\n",
		       planned(), (unsigned long)opackets(3));
		bad = 1;
	}
	printf("full peer: %s (ring took %lu)\n", bad ? "FAIL" : "ok",
	       (unsigned long)opackets(3));

	dp_stop(g_dp);
	dp_stats_total(g_dp, &st);
	rte_eth_stats_get(eth[0], &es);
	printf("src rx %lu pkts %lu bytes (ethdev %lu / %lu); tx out %lu alt "
	       "%lu src %lu (ethdev %lu / %lu / %lu); port_down %lu tx_full "
	       "%lu\n",
	       (unsigned long)st.port[0].rx_pkts,
	       (unsigned long)st.port[0].rx_bytes, (unsigned long)es.ipackets,
	       (unsigned long)es.ibytes, (unsigned long)st.port[1].tx_pkts,
	       (unsigned long)st.port[2].tx_pkts,
	       (unsigned long)st.port[0].tx_pkts, (unsigned long)opackets(1),
	       (unsigned long)opackets(2), (unsigned long)opackets(0),
	       (unsigned long)st.drops[LR_R_PORT_DOWN],
	       (unsigned long)st.drops[LR_R_TX_FULL]);
	if (st.port[0].rx_pkts != es.ipackets ||
	    st.port[0].rx_bytes != es.ibytes ||
	    st.port[0].rx_bytes != st.port[0].rx_pkts * FRAME_LEN) {
		printf("FAIL: src's RX counters differ from the ethdev's\n");
		bad = 1;
	}
	for (k = 0; k < NP; k++)
		if (st.port[k].tx_pkts != opackets(k) ||
		    st.port[k].tx_bytes != st.port[k].tx_pkts * FRAME_LEN) {
			printf("FAIL: port %s: TX %lu pkts / %lu bytes, ethdev "
			       "%lu pkts\n",
			       names[k], (unsigned long)st.port[k].tx_pkts,
			       (unsigned long)st.port[k].tx_bytes,
			       (unsigned long)opackets(k));
			bad = 1;
		}
	if (st.port[0].rx_pkts != st.port[0].tx_pkts + st.port[1].tx_pkts +
					  st.port[2].tx_pkts +
					  st.port[3].tx_pkts +
					  st.drops[LR_R_PORT_DOWN] +
					  st.drops[LR_R_TX_FULL]) {
		printf("FAIL: received is not sent + dropped\n");
		bad = 1;
	}
	/* The worker's own count of whole bursts the fast path sent is the
	 * wrapper's count of io_direct calls that sent. */
	if (st.fast_bursts != atomic_load(&direct_sends)) {
		printf("FAIL: fast_bursts %lu, io_direct sent %lu times\n",
		       (unsigned long)st.fast_bursts,
		       (unsigned long)atomic_load(&direct_sends));
		bad = 1;
	}
out:
	dp_destroy(g_dp);
	dp_config_free(&c);
	dp_eal_cleanup();
	unlink(pcap);
	printf("%s\n", bad ? "FAIL" : "PASS: the io fast path follows every "
				      "change");
	return bad;
}
