// SPDX-License-Identifier: MIT
/*
 * Description: the route table is replaced again and again while traffic
 * flows (RCU publish): no packet is lost or misrouted, and DPDK heap use
 * returns to its baseline.
 *
 *   dp_rcu [REPLACEMENTS]
 *
 * Topology on net_ring vdevs: a generator (IPv4 + IPv6, 256 flows) on port
 * src, routed in l3 mode; port out's RX and port trap's RX are sinks. Two
 * route tables alternate, both sending the generator's destinations to out
 * (as one /16 and /48, or as two /17s and /49s via another next hop), each
 * with 500 other prefixes to trap. After the run: no drop of any reason,
 * the sink saw every generated packet with no loss/reorder/duplicate, trap
 * saw none, and the heap holds what it held after the first publish
 * (within 64 KiB of allocator padding; one table is 64 MiB). Then a
 * reload (dp_apply) under traffic: a structural change is refused naming
 * the port, a mode change applies and traffic keeps flowing.
 * Needs root (DPDK); exits 77 when it cannot run here.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dp.h"

#define FILLERS 500

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

/* Table variant v (0 or 1); returns the number of routes. */
static size_t make_routes(struct dp_route_conf *r, int v)
{
	size_t n = 0, i;

	if (v == 0) {
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
	    dp_config(dp)->nb_routes != FILLERS + 4) {
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
	dp_stats_total(dp, &a);
	sleep_ms(200);
	dp_stats_total(dp, &b);
	if (b.port[1].rx_pkts <= a.port[1].rx_pkts) {
		printf("FAIL: nothing reached out after the reload\n");
		bad = 1;
	}
	printf("reload: refused '%s'; io mode applied, out rx +%lu\n", err[0]
	       ? err : "-", b.port[1].rx_pkts - a.port[1].rx_pkts);
	dp_config_free(&n);
	return bad;
}

int main(int argc, char **argv)
{
	static struct dp_route_conf routes[2][FILLERS + 8];
	size_t nr[2];
	struct dp_neigh_conf ng[5];
	struct dp_config c;
	struct dp_worker_stats st;
	struct dp_mem_info m0, m1;
	struct dp *dp = NULL;
	char err[512];
	int reps = argc > 1 ? atoi(argv[1]) : 40, i, r, bad = 0;
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
	c.ports[0].gen.rate_pps = 1000000;
	memcpy(c.ports[0].gen.dst_mac, c.ports[0].conf.mac, 6);
	c.nb_workers = 1;
	c.workers[0].core = ncpu > 1 ? (int)ncpu - 1 : 0;
	c.workers[0].nb_ports = 3;
	for (k = 0; k < 3; k++)
		c.workers[0].ports[k] = (uint16_t)k;
	memset(ng, 0, sizeof(ng));
	a4(&ng[0].addr, 10, 0, 2, 2);
	a4(&ng[1].addr, 10, 0, 2, 3);
	a4(&ng[2].addr, 10, 0, 3, 2);
	a6(&ng[3].addr, 0, 0, 2, true);
	a6(&ng[4].addr, 0, 0, 3, true);
	for (k = 0; k < 5; k++) {
		ng[k].port = DP_NO_PORT;
		ng[k].mac[0] = 2;
		ng[k].mac[5] = (uint8_t)(0x10 + k);
	}
	nr[0] = make_routes(routes[0], 0);
	nr[1] = make_routes(routes[1], 1);
	c.routes = malloc(sizeof(routes[0]));
	c.neighs = malloc(sizeof(ng));
	if (c.routes == NULL || c.neighs == NULL)
		return 1;
	memcpy(c.routes, routes[0], sizeof(routes[0][0]) * nr[0]);
	c.nb_routes = nr[0];
	memcpy(c.neighs, ng, sizeof(ng));
	c.nb_neighs = 5;

	if (dp_eal_init(&c, argv[0], err, sizeof(err)) < 0) {
		printf("SKIP: %s\n", err);
		dp_config_free(&c);
		return 77;
	}
	if (dp_create(&c, &dp, err, sizeof(err)) < 0 ||
	    dp_start(dp, err, sizeof(err)) < 0) {
		printf("FAIL: %s\n", err);
		return 1;
	}
	sleep_ms(100);
	/* Baseline after one replacement by the same shape of table. */
	if (dp_routes_set(dp, routes[0], nr[0], ng, 5, NULL, err,
			  sizeof(err)) < 0) {
		printf("FAIL: %s\n", err);
		return 1;
	}
	dp_mem_info(dp, &m0);
	for (i = 1; i <= reps * 2; i++) {
		r = dp_routes_set(dp, routes[i & 1], nr[i & 1], ng, 5, NULL,
				  err, sizeof(err));
		if (r < 0) {
			printf("FAIL: replacement %d: %s\n", i, err);
			bad = 1;
			break;
		}
		sleep_ms(5);
	}
	dp_mem_info(dp, &m1);
	bad |= check_apply(dp, &c);
	dp_stop(dp);
	dp_stats_total(dp, &st);
	printf("replacements %d, generated %lu, sink %lu (lost %lu reordered "
	       "%lu dup %lu), port out rx %lu, trap rx %lu\n",
	       reps * 2, st.gen.pkts, st.sink.pkts, st.sink.lost,
	       st.sink.reordered, st.sink.dup, st.port[1].rx_pkts,
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
	if (st.sink.pkts != st.gen.pkts || st.port[1].rx_pkts != st.gen.pkts ||
	    st.sink.lost || st.sink.reordered || st.sink.dup) {
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
	if (!bad)
		printf("ok\n");
	return bad;
}
