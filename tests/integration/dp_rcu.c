// SPDX-License-Identifier: MIT
/*
 * Description: the route table is replaced again and again while traffic
 * flows (RCU publish): every packet is routed by the table published at
 * its time (its next-hop MAC says which), none is lost, duplicated or
 * misrouted, and DPDK heap use returns to its baseline.
 *
 *   dp_rcu [REPLACEMENTS]
 *
 * Topology on net_ring vdevs (a ring port receives what it sends): a
 * generator (IPv4 + IPv6, 256 flows) on port src, routed in l3 mode; port
 * trap's RX is a sink; port out is polled by no worker but by this test's
 * drain thread, which reads every routed packet. Three route tables take
 * turns, all sending the generator's destinations to out but via
 * different next hops (one /16 and /48 via 10.0.2.2 / fe80::2, two /17s
 * and /49s via 10.0.2.3 / fe80::3, four /18s and /50s via 10.0.2.4 /
 * fe80::4: different neighbour MACs), each with 500 other prefixes to
 * trap. The test notes the TSC before and after every publish; a packet
 * stamped (generator payload) after publish i returned and before publish
 * i+1 was called must carry table i's MAC, or table i+1's when it was
 * routed late (its worker preempted between stamp and route), never an
 * older table's: a publish that never takes effect fails here. Packets
 * stamped during a publish may carry any of the three. Per flow, sequence numbers arrive in order
 * with no gap or repeat. After the run: no drop of any reason, out got
 * every generated packet, trap none, and the heap holds what it held
 * after the first publish (within 64 KiB of allocator padding; one table
 * is 64 MiB). Then a reload (dp_apply) under traffic: a structural change
 * is refused naming the port, a mode change applies and traffic keeps
 * flowing. Needs root (DPDK): exits 77 without it; an EAL start-up
 * failure as root is a failure.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "dp_internal.h"

#define FILLERS 500
#define MAX_PUB 512
#define MAX_REC (4u << 20)

/* What the drain thread saw, per packet: stamp (48-bit TSC) and the table
 * variant its next-hop MAC belongs to (0, 1, 2; 3: io mode or unknown). */
struct rec {
	uint64_t tsc : 48;
	uint64_t variant : 8;
};

static struct rec *recs;
static _Atomic size_t nb_recs;
static _Atomic uint64_t out_pkts;
static _Atomic bool drain_stop;
static uint64_t seq_bad;
static uint32_t next_seq[DP_FLOWS_MAX];
static uint16_t out_port;

static uint8_t variant_of(const uint8_t *mac)
{
	if (mac[0] != 2 || mac[1] || mac[2] || mac[3] || mac[4])
		return 3;
	switch (mac[5]) {
	case 0x10: /* 10.0.2.2 */
	case 0x13: /* fe80::2 */
		return 0;
	case 0x11: /* 10.0.2.3 */
	case 0x14: /* fe80::3 */
		return 1;
	case 0x15: /* 10.0.2.4 */
	case 0x16: /* fe80::4 */
		return 2;
	}
	return 3; /* io mode (02:..:01, the frames as sent) or unknown */
}

static void drain_one(struct rte_mbuf *m)
{
	const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
	struct dp_gen_payload pl;
	size_t off = f[12] == 0x86 ? 14 + 40 + 8 : 14 + 20 + 8;
	size_t n;

	if (rte_pktmbuf_data_len(m) < off + sizeof(pl)) {
		seq_bad++;
		return;
	}
	memcpy(&pl, f + off, sizeof(pl));
	if (pl.magic != DP_GEN_MAGIC || pl.seq != next_seq[pl.flow])
		seq_bad++;
	next_seq[pl.flow] = pl.seq + 1;
	n = atomic_load_explicit(&nb_recs, memory_order_relaxed);
	if (n < MAX_REC) {
		recs[n].tsc = dp_gen_payload_tsc(&pl);
		recs[n].variant = variant_of(f);
		atomic_store_explicit(&nb_recs, n + 1, memory_order_release);
	}
}

/* Reads port out (no worker polls it) until told to stop and empty. */
static void *drain(void *arg)
{
	struct rte_mbuf *m[64];
	unsigned int idle = 0;
	uint16_t n, i;

	struct sched_param sp = { .sched_priority = 1 };
	struct timespec nap = { 0, 20000 };

	(void)arg;
	/* Real-time, so a busy CPU does not let out's ring overflow; it
	 * sleeps 20 us when the ring is empty. */
	pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
	for (;;) {
		n = rte_eth_rx_burst(out_port, 0, m, 64);
		for (i = 0; i < n; i++) {
			drain_one(m[i]);
			rte_pktmbuf_free(m[i]);
		}
		atomic_fetch_add(&out_pkts, n);
		if (n)
			idle = 0;
		else if (atomic_load(&drain_stop) && ++idle > 100)
			break;
		else
			nanosleep(&nap, NULL);
	}
	return NULL;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static void a4(struct dp_addr *a, int b0, int b1, int b2, int b3)
{
	memset(a, 0, sizeof(*a));
	a->family = 4;
	a->a[0] = (uint8_t)b0;
	a->a[1] = (uint8_t)b1;
	a->a[2] = (uint8_t)b2;
	a->a[3] = (uint8_t)b3;
}

static void a6(struct dp_addr *a, uint8_t b5, uint8_t b6, uint8_t last,
	       bool ll)
{
	memset(a, 0, sizeof(*a));
	a->family = 6;
	if (ll) {
		a->a[0] = 0xfe;
		a->a[1] = 0x80;
	} else {
		a->a[0] = 0x20;
		a->a[1] = 0x01;
		a->a[2] = 0x0d;
		a->a[3] = 0xb8;
		a->a[5] = b5;
		a->a[6] = b6;
	}
	a->a[15] = last;
}

/* Table variant v (0, 1 or 2); returns the number of routes. */
static size_t make_routes(struct dp_route_conf *r, int v)
{
	size_t n = 0, i;

	if (v == 2) {
		for (i = 0; i < 4; i++) {
			a4(&r[n].prefix, 198, 19, (int)i * 64, 0);
			r[n].plen = 18;
			r[n].port = 1;
			a4(&r[n++].via, 10, 0, 2, 4);
			a6(&r[n].prefix, 1, (uint8_t)(i * 0x40), 0, false);
			r[n].plen = 50;
			r[n].port = 1;
			a6(&r[n++].via, 0, 0, 4, true);
		}
	} else if (v == 0) {
		a4(&r[n].prefix, 198, 19, 0, 0);
		r[n].plen = 16;
		r[n].port = 1;
		a4(&r[n++].via, 10, 0, 2, 2);
		a6(&r[n].prefix, 1, 0, 0, false);
		r[n].plen = 48;
		r[n].port = 1;
		a6(&r[n++].via, 0, 0, 2, true);
	} else {
		for (i = 0; i < 2; i++) {
			a4(&r[n].prefix, 198, 19, (int)i * 128, 0);
			r[n].plen = 17;
			r[n].port = 1;
			a4(&r[n++].via, 10, 0, 2, 3);
			a6(&r[n].prefix, 1, (uint8_t)(i * 0x80), 0, false);
			r[n].plen = 49;
			r[n].port = 1;
			a6(&r[n++].via, 0, 0, 3, true);
		}
	}
	for (i = 0; i < FILLERS; i++) {
		a4(&r[n].prefix, 10 + v, (int)(i >> 8), (int)(i & 255), 0);
		r[n].plen = 24;
		r[n].port = 2;
		a4(&r[n++].via, 10, 0, 3, 2);
	}
	return n;
}

/* Reload under traffic: a structural change is refused naming the port,
 * nothing applied; a mode change (l3 -> io to the same port) applies and
 * traffic keeps flowing to out; the running model reflects the tables
 * published by dp_routes_set. */
static int check_apply(struct dp *dp, const struct dp_config *c)
{
	struct dp_worker_stats a, b;
	struct dp_config n;
	char err[512] = "";
	int bad = 0, r;

	if (dp_config(dp)->nb_routes != FILLERS + 2 &&
	    dp_config(dp)->nb_routes != FILLERS + 4 &&
	    dp_config(dp)->nb_routes != FILLERS + 8) {
		printf("FAIL: model has %zu routes after replacements\n",
		       dp_config(dp)->nb_routes);
		bad = 1;
	}
	if (dp_config_copy(&n, c) < 0)
		return 1;
	snprintf(n.ports[1].conf.dev, sizeof(n.ports[1].conf.dev),
		 "net_ring9");
	n.ports[0].mode = DP_FWD_IO;
	r = dp_apply(dp, &n, err, sizeof(err));
	if (r != -EINVAL || !strstr(err, "ports.out") ||
	    dp_config(dp)->ports[0].mode != DP_FWD_L3) {
		printf("FAIL: structural reload: %d '%s'\n", r, err);
		bad = 1;
	}
	snprintf(n.ports[1].conf.dev, sizeof(n.ports[1].conf.dev), "%s",
		 c->ports[1].conf.dev);
	n.ports[0].peer = 1;
	r = dp_apply(dp, &n, err, sizeof(err));
	if (r != 0 || dp_config(dp)->ports[0].mode != DP_FWD_IO) {
		printf("FAIL: reload to io mode: %d '%s'\n", r, err);
		bad = 1;
	}
	a.rx_pkts = atomic_load(&out_pkts);
	sleep_ms(200);
	b.rx_pkts = atomic_load(&out_pkts);
	if (b.rx_pkts <= a.rx_pkts) {
		printf("FAIL: nothing reached out after the reload\n");
		bad = 1;
	}
	printf("reload: refused '%s'; io mode applied, out rx +%lu\n", err[0]
	       ? err : "-", b.rx_pkts - a.rx_pkts);
	dp_config_free(&n);
	return bad;
}

int main(int argc, char **argv)
{
	static struct dp_route_conf routes[3][FILLERS + 8];
	size_t nr[3];
	struct dp_neigh_conf ng[7];
	struct dp_config c;
	struct dp_worker_stats st;
	struct dp_mem_info m0, m1;
	struct dp *dp = NULL;
	char err[512];
	static uint64_t t_start[MAX_PUB + 1], t_end[MAX_PUB + 1];
	int reps = argc > 1 ? atoi(argv[1]) : 12, i, r, bad = 0;
	uint64_t t_apply, checked = 0, either = 0, wrong = 0, early = 0;
	size_t nrec, j;
	uint64_t pub_ms = 30;
	static uint32_t win_pkts[MAX_PUB + 1];
	int windows = 0;
	pthread_t drain_tid;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned int k;

	if (geteuid() != 0) {
		printf("SKIP: needs root (DPDK)\n");
		return 77;
	}
	dp_config_init(&c);
	snprintf(c.eal.file_prefix, sizeof(c.eal.file_prefix),
		 "lr-dp-rcu-%d", (int)getpid());
	snprintf(c.eal.log_level, sizeof(c.eal.log_level), "warning");
	c.eal.hugepages = 0; /* tests run beside others: no shared pool */
	c.nb_ports = 3;
	for (k = 0; k < 3; k++) {
		struct dp_port_entry *p = &c.ports[k];

		dp_port_entry_init(p, (uint16_t)k);
		snprintf(p->conf.name, sizeof(p->conf.name), "%s",
			 k == 0 ? "src" : k == 1 ? "out" : "trap");
		snprintf(p->conf.dev, sizeof(p->conf.dev), "net_ring%u", k);
		p->conf.mac_set = true;
		p->conf.mac[0] = 2;
		p->conf.mac[5] = (uint8_t)(k + 1);
		p->rx_role = k == 0 ? DP_RX_FORWARD : DP_RX_SINK;
	}
	c.ports[0].mode = DP_FWD_L3;
	c.ports[0].gen.enabled = true;
	c.ports[0].gen.ip_version = 46;
	c.ports[0].gen.flows = 256;
	c.ports[0].gen.rate_pps = 50000; /* a 10 ms catch-up fits a ring */
	memcpy(c.ports[0].gen.dst_mac, c.ports[0].conf.mac, 6);
	c.nb_workers = 1;
	c.workers[0].core = ncpu > 1 ? (int)ncpu - 1 : 0;
	/* src and trap; out is read by the drain thread. */
	c.workers[0].nb_ports = 2;
	c.workers[0].ports[0] = 0;
	c.workers[0].ports[1] = 2;
	if (reps < 1 || reps * 2 > MAX_PUB)
		reps = 12;
	recs = malloc(sizeof(*recs) * MAX_REC);
	if (recs == NULL)
		return 1;
	memset(ng, 0, sizeof(ng));
	a4(&ng[0].addr, 10, 0, 2, 2);
	a4(&ng[1].addr, 10, 0, 2, 3);
	a4(&ng[2].addr, 10, 0, 3, 2);
	a6(&ng[3].addr, 0, 0, 2, true);
	a6(&ng[4].addr, 0, 0, 3, true);
	a4(&ng[5].addr, 10, 0, 2, 4);
	a6(&ng[6].addr, 0, 0, 4, true);
	for (k = 0; k < 7; k++) {
		ng[k].port = DP_NO_PORT;
		ng[k].mac[0] = 2;
		ng[k].mac[5] = (uint8_t)(0x10 + k);
	}
	nr[0] = make_routes(routes[0], 0);
	nr[1] = make_routes(routes[1], 1);
	nr[2] = make_routes(routes[2], 2);
	c.routes = malloc(sizeof(routes[0]));
	c.neighs = malloc(sizeof(ng));
	if (c.routes == NULL || c.neighs == NULL)
		return 1;
	memcpy(c.routes, routes[0], sizeof(routes[0][0]) * nr[0]);
	c.nb_routes = nr[0];
	memcpy(c.neighs, ng, sizeof(ng));
	c.nb_neighs = 7;

	/* As root, DPDK must start: a failure is a regression, not a
	 * missing capability. */
	if (dp_eal_init(&c, argv[0], err, sizeof(err)) < 0) {
		printf("FAIL: %s\n", err);
		dp_config_free(&c);
		return 1;
	}
	if (dp_create(&c, &dp, err, sizeof(err)) < 0 ||
	    dp_start(dp, err, sizeof(err)) < 0) {
		printf("FAIL: %s\n", err);
		return 1;
	}
	out_port = (uint16_t)dp_dpdk_port_id(dp_port_get(dp, 1));
	if (pthread_create(&drain_tid, NULL, drain, NULL) != 0) {
		printf("FAIL: drain thread\n");
		return 1;
	}
	sleep_ms(100);
	/* Baseline after one replacement by the same shape of table. */
	if (dp_routes_set(dp, routes[0], nr[0], ng, 7, NULL, err,
			  sizeof(err)) < 0) {
		printf("FAIL: %s\n", err);
		return 1;
	}
	t_end[0] = rte_rdtsc() & DP_GEN_TSC_MASK;
	dp_mem_info(dp, &m0);
	for (i = 1; i <= reps * 2; i++) {
		/* A window at least as long as the last publish took. */
		sleep_ms(20 + (long)(pub_ms < 500 ? pub_ms : 500));
		t_start[i] = rte_rdtsc() & DP_GEN_TSC_MASK;
		r = dp_routes_set(dp, routes[i % 3], nr[i % 3], ng, 7, NULL,
				  err, sizeof(err));
		t_end[i] = rte_rdtsc() & DP_GEN_TSC_MASK;
		pub_ms = ((t_end[i] - t_start[i]) & DP_GEN_TSC_MASK) * 1000 /
			 rte_get_tsc_hz();
		if (r < 0) {
			printf("FAIL: replacement %d: %s\n", i, err);
			bad = 1;
			break;
		}
	}
	sleep_ms(20);
	dp_mem_info(dp, &m1);
	t_apply = rte_rdtsc() & DP_GEN_TSC_MASK;
	nrec = atomic_load_explicit(&nb_recs, memory_order_acquire);
	bad |= check_apply(dp, &c);
	/* Generator off; wait until out got all the worker sent (the drain
	 * thread must stop before dp_stop stops the port). */
	dp_gen_stop(dp, 0);
	for (k = 0, r = 0; k < 400 && r < 4; k++) {
		uint64_t o = atomic_load(&out_pkts);

		sleep_ms(5);
		dp_stats_total(dp, &st);
		r = o == atomic_load(&out_pkts) &&
				    o == st.port[1].tx_pkts
			    ? r + 1
			    : 0;
	}
	atomic_store(&drain_stop, true);
	pthread_join(drain_tid, NULL);
	dp_stop(dp);
	dp_stats_total(dp, &st);
	/* Each packet stamped before the reload against the publishes. */
	for (j = 0; j < nrec; j++) {
		uint64_t t = recs[j].tsc;
		int lo = 0, hi = i - 1; /* last window: t_end[hi] <= t */

		if (t >= t_apply)
			continue;
		if (t < t_end[0]) {
			early++; /* the initial table: variant 0 too */
			if (recs[j].variant > 1)
				wrong++;
			continue;
		}
		while (lo < hi) {
			int mid = (lo + hi + 1) / 2;

			if (t_end[mid] <= t)
				lo = mid;
			else
				hi = mid - 1;
		}
		if (lo + 1 < i && t >= t_start[lo + 1]) {
			either++; /* stamped while publish lo+1 ran */
			if (recs[j].variant > 2)
				wrong++;
			continue;
		}
		/* Table lo, or lo + 1 when the packet was routed after the
		 * next publish (a worker preempted between stamping and
		 * routing); never an older one: that would be a publish that
		 * did not take effect. */
		checked++;
		windows += win_pkts[lo]++ == 0;
		if (recs[j].variant != lo % 3 &&
		    recs[j].variant != (lo + 1) % 3) {
			if (wrong < 5)
				printf("FAIL: packet stamped %lu cycles after "
				       "publish %d returned has table %u's "
				       "next hop\n",
				       (unsigned long)(t - t_end[lo]), lo,
				       recs[j].variant);
			wrong++;
		}
	}
	printf("next hops: %lu packets in %d of %d tables' windows, %lu "
	       "during a publish, %lu before, %lu wrong; %lu sequence "
	       "errors\n",
	       checked, windows, i, either, early, wrong, seq_bad);
	/* Not vacuous: most windows held packets that were checked. */
	if (wrong || seq_bad || windows < i / 2) {
		printf("FAIL: packets routed by the wrong table, out of "
		       "sequence, or too few checked\n");
		bad = 1;
	}
	printf("replacements %d, generated %lu, out got %lu, trap rx %lu\n",
	       reps * 2, st.gen.pkts, atomic_load(&out_pkts),
	       st.port[2].rx_pkts);
	printf("heap after first publish %lu, after replacements %lu\n",
	       m0.heap_bytes, m1.heap_bytes);
	for (k = 1; k < LR_R__COUNT; k++) {
		if (st.drops[k]) {
			printf("FAIL: %lu drops of reason %s\n", st.drops[k],
			       lr_reason_name(k));
			bad = 1;
		}
	}
	if (st.gen.pkts < 10000) {
		printf("FAIL: generator sent only %lu packets\n", st.gen.pkts);
		bad = 1;
	}
	if (atomic_load(&out_pkts) != st.gen.pkts ||
	    st.port[0].tx_pkts != st.gen.pkts ||
	    st.port[1].tx_pkts != st.gen.pkts) {
		printf("FAIL: packets lost or misrouted\n");
		bad = 1;
	}
	if (st.port[2].rx_pkts) {
		printf("FAIL: %lu packets reached trap\n", st.port[2].rx_pkts);
		bad = 1;
	}
	/* Allocator padding moves a few bytes with placement; a leaked table
	 * is tens of MiB, a leaked next-hop array per replacement kilobytes
	 * times the replacements. */
	if (m1.heap_bytes > m0.heap_bytes + 65536 ||
	    m0.heap_bytes > m1.heap_bytes + 65536) {
		printf("FAIL: heap %lu -> %lu bytes\n", m0.heap_bytes,
		       m1.heap_bytes);
		bad = 1;
	}
	dp_destroy(dp);
	dp_config_free(&c);
	dp_eal_cleanup();
	free(recs);
	if (!bad)
		printf("ok\n");
	return bad;
}
