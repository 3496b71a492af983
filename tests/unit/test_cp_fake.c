// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_cp_fake.h"

static const char *const mode_names[] = {"io", "macswap", "l2", "l3"};

void fake_dp_default_config(struct dp_config *c, const char *path)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->path, sizeof(c->path), "%s", path ? path : "");
	c->eal.hugepages = -1;
	c->eal.main_core = -1;
	c->eal.in_memory = true;
	c->nb_ports = 2;
	for (int i = 0; i < 2; i++) {
		struct dp_port_entry *p = &c->ports[i];

		snprintf(p->conf.name, sizeof(p->conf.name), "p%d", i);
		snprintf(p->conf.backend, sizeof(p->conf.backend), "dpdk");
		snprintf(p->conf.dev, sizeof(p->conf.dev), "net_null%d", i);
		p->conf.nb_queues = 1;
		p->conf.sqpoll_cpu = -1;
		p->mode = DP_FWD_IO;
		p->peer = (uint16_t)(1 - i);
		p->gen.frame_size = 64;
		p->gen.flows = 1;
		p->gen.ip_version = 4;
	}
	c->nb_workers = 2;
	for (int w = 0; w < 2; w++) {
		c->workers[w].core = w;
		c->workers[w].nb_ports = 1;
		c->workers[w].ports[0] = (uint16_t)w;
	}
	c->l2.size = 4096;
	c->l2.flood = true;
}

void fake_dp_init(struct fake_dp *f)
{
	memset(f, 0, sizeof(*f));
	fake_dp_default_config(&f->conf, "/tmp/lr-cf-fake.yaml");
	for (int i = 0; i < 2; i++) {
		f->ports[i].id = (uint16_t)i;
		f->ports[i].nb_queues = 1;
		f->ports[i].up = true;
		f->ports[i].mac[5] = (uint8_t)(i + 1);
		snprintf(f->ports[i].name, sizeof(f->ports[i].name), "p%d", i);
		f->ws[i].tsc_hz = 2000000000ull;
	}
}

static void conf_free(struct dp_config *c)
{
	free(c->routes);
	free(c->neighs);
	free(c->acl);
	free(c->macs);
	c->routes = NULL;
	c->neighs = NULL;
	c->acl = NULL;
	c->macs = NULL;
	c->nb_routes = c->nb_neighs = c->nb_acl = c->nb_macs = 0;
}

void fake_dp_fini(struct fake_dp *f)
{
	conf_free(&f->conf);
}

static const struct dp_config *f_config(void *dp)
{
	return &((struct fake_dp *)dp)->conf;
}

static unsigned int f_port_count(void *dp)
{
	return 2;
}

static const struct dp_port *f_port_get(void *dp, uint16_t id)
{
	return id < 2 ? &((struct fake_dp *)dp)->ports[id] : NULL;
}

static unsigned int f_worker_count(void *dp)
{
	return 2;
}

static int f_worker_get(void *dp, unsigned int w, struct dp_worker_info *o)
{
	if (w >= 2)
		return -ENOENT;
	memset(o, 0, sizeof(*o));
	o->core = (int)w;
	o->lcore = w + 1;
	o->running = true;
	o->nb_rxq = 1;
	o->rxq[0].port = (uint16_t)w;
	return 0;
}

static int f_stats_worker(void *dp, unsigned int w, struct dp_worker_stats *o)
{
	struct fake_dp *f = dp;
	struct dp_worker_stats *s;

	if (w >= 2)
		return -ENOENT;
	s = &f->ws[w];
	/* Traffic moves between two reads. */
	s->rx_pkts += 1000;
	s->tx_pkts += 990;
	s->port[w].rx_pkts += 1000;
	s->port[w].rx_bytes += 64000;
	s->port[1 - w].tx_pkts += 990;
	s->drops[LR_R_NO_ROUTE] += 10;
	s->busy_cycles += 50000;
	s->idle_cycles += 150000;
	s->polls += 100;
	s->rx_bursts += 40;
	s->fast_bursts += 25;
	if (!f->sink_idle) {
		if (f->sink_reset_pending[w]) {
			memset(&s->sink, 0, sizeof(s->sink));
			f->sink_reset_pending[w] = false;
		}
		s->sink.pkts += 500;
		s->sink.lat_count += 500;
		s->sink.lat[10 * 8] += 400; /* ~1024 cycles */
		s->sink.lat[12 * 8] += 100;
		s->sink.lat_max = 5000;
	}
	*o = *s;
	return 0;
}

static int f_port_xstats(void *dp, uint16_t id, struct dp_port_kv *kv, int max)
{
	if (max < 1)
		return 0;
	kv[0].name = "syscalls";
	kv[0].value = 100u + id;
	return 1;
}

static size_t f_acl_hits(void *dp, uint64_t *hits, size_t n)
{
	struct fake_dp *f = dp;

	for (size_t i = 0; i < n && i < f->conf.nb_acl; i++)
		hits[i] = 7 * (i + 1);
	return f->conf.nb_acl;
}

static double f_cycles_per_pkt(const struct dp_worker_stats *s)
{
	uint64_t n = s->rx_pkts + s->gen.pkts;

	return n ? (double)s->busy_cycles / (double)n : 0;
}

static uint64_t f_lat_upper(unsigned int i)
{
	unsigned int e = i / 8, sub = i % 8;

	if (e < 3)
		return (uint64_t)i + 1;
	return (1ull << e) + ((uint64_t)(sub + 1) << (e - 3));
}

static double f_lat_pct(const struct dp_sink_stats *s, uint64_t hz, double p)
{
	uint64_t want, acc = 0;

	if (!s->lat_count || !hz)
		return 0;
	want = (uint64_t)((double)s->lat_count * p / 100.0);
	for (unsigned int i = 0; i < DP_LAT_BUCKETS; i++) {
		acc += s->lat[i];
		if (acc >= want && acc)
			return (double)f_lat_upper(i) * 1e9 / (double)hz;
	}
	return 0;
}

static const char *f_mode_name(enum dp_fwd_mode m)
{
	return m < DP_FWD__COUNT ? mode_names[m] : "?";
}

static int f_mode_parse(const char *s)
{
	for (int i = 0; i < DP_FWD__COUNT; i++)
		if (!strcmp(s, mode_names[i]))
			return i;
	return -EINVAL;
}

static int fail_check(struct fake_dp *f, char *err, size_t errlen)
{
	if (!f->fail_next)
		return 0;
	f->fail_next = 0;
	snprintf(err, errlen, "fake: publish refused");
	return -EINVAL;
}

static void *dup_arr(const void *src, size_t n, size_t sz)
{
	void *d = malloc(n * sz + 1);

	if (n)
		memcpy(d, src, n * sz);
	return d;
}

static int f_routes_set(void *dp, const struct dp_route_conf *rt, size_t nrt,
			const struct dp_neigh_conf *nb, size_t nnb,
			const struct dp_routes_gen *gen, char *err,
			size_t errlen)
{
	struct fake_dp *f = dp;
	struct dp_route_conf *r;
	struct dp_neigh_conf *n;

	if (fail_check(f, err, errlen))
		return -EINVAL;
	for (size_t i = 0; i < nrt; i++)
		if (rt[i].port >= 2)
			return -EINVAL;
	r = dup_arr(rt, nrt, sizeof(*rt));
	n = dup_arr(nb, nnb, sizeof(*nb));
	free(f->conf.routes);
	free(f->conf.neighs);
	f->conf.routes = r;
	f->conf.nb_routes = nrt;
	f->conf.neighs = n;
	f->conf.nb_neighs = nnb;
	if (gen != &f->conf.routes_gen)
		f->conf.routes_gen = *gen;
	f->publishes++;
	return 0;
}

static int f_acl_set(void *dp, const struct dp_acl_rule_conf *rules, size_t n,
		     enum dp_acl_action dflt, char *err, size_t errlen)
{
	struct fake_dp *f = dp;
	struct dp_acl_rule_conf *a;

	if (fail_check(f, err, errlen))
		return -EINVAL;
	a = dup_arr(rules, n, sizeof(*rules));
	free(f->conf.acl);
	f->conf.acl = a;
	f->conf.nb_acl = n;
	f->conf.acl_default = dflt;
	f->publishes++;
	return 0;
}

static int f_set_mode(void *dp, uint16_t p, enum dp_fwd_mode m, char *err,
		      size_t errlen)
{
	struct fake_dp *f = dp;

	if (fail_check(f, err, errlen))
		return -EINVAL;
	f->conf.ports[p].mode = m;
	return 0;
}

static int f_port_start(void *dp, uint16_t p, char *err, size_t errlen)
{
	((struct fake_dp *)dp)->ports[p].up = true;
	return 0;
}

static int f_port_reopen(void *dp, uint16_t p, const struct dp_port_conf *c,
			 char *err, size_t errlen)
{
	struct fake_dp *f = dp;

	if (fail_check(f, err, errlen))
		return -EINVAL;
	if (!strcmp(c->backend, "afxdp")) {
		snprintf(err, errlen, "port %s: afxdp cannot be reopened",
			 f->conf.ports[p].conf.name);
		return -ENOTSUP;
	}
	f->conf.ports[p].conf = *c;
	f->reopens++;
	return 0;
}

static int f_port_stop(void *dp, uint16_t p)
{
	((struct fake_dp *)dp)->ports[p].up = false;
	return 0;
}

static int f_gen_set(void *dp, uint16_t p, const struct dp_gen_conf *g,
		     char *err, size_t errlen)
{
	struct fake_dp *f = dp;

	if (fail_check(f, err, errlen))
		return -EINVAL;
	f->conf.ports[p].gen = *g;
	return 0;
}

static int f_gen_start(void *dp, uint16_t p)
{
	((struct fake_dp *)dp)->gen_running[p] = 1;
	return 0;
}

static int f_gen_stop(void *dp, uint16_t p)
{
	((struct fake_dp *)dp)->gen_running[p] = 0;
	return 0;
}

static void f_sink_reset(void *dp)
{
	struct fake_dp *f = dp;

	f->sink_resets++;
	for (int w = 0; w < 2; w++) {
		if (f->sink_lazy)
			f->sink_reset_pending[w] = true;
		else
			memset(&f->ws[w].sink, 0, sizeof(f->ws[w].sink));
	}
}

static int f_config_load(const char *path, struct dp_config *out, char *err,
			 size_t errlen)
{
	if (strstr(path, "bad")) {
		snprintf(err, errlen, "%s:3:5: unknown key 'rotues'", path);
		return -EINVAL;
	}
	fake_dp_default_config(out, path);
	/* What the "file" holds: one route, one ACL rule. */
	out->routes = calloc(1, sizeof(*out->routes));
	out->nb_routes = 1;
	out->routes[0].prefix.family = 4;
	out->routes[0].prefix.a[0] = 192;
	out->routes[0].prefix.a[1] = 168;
	out->routes[0].plen = 16;
	out->routes[0].port = 1;
	out->acl = calloc(1, sizeof(*out->acl));
	out->nb_acl = 1;
	out->acl[0].action = DP_ACL_DENY;
	out->acl[0].sport_hi = out->acl[0].dport_hi = 65535;
	return 0;
}

static int f_apply(void *dp, const struct dp_config *n, char *err,
		   size_t errlen)
{
	struct fake_dp *f = dp;

	if (fail_check(f, err, errlen))
		return -EINVAL;
	if (n->nb_ports != f->conf.nb_ports) {
		snprintf(err, errlen, "ports differ: restart needed");
		return -EINVAL;
	}
	conf_free(&f->conf);
	f->conf.routes = dup_arr(n->routes, n->nb_routes, sizeof(*n->routes));
	f->conf.nb_routes = n->nb_routes;
	f->conf.acl = dup_arr(n->acl, n->nb_acl, sizeof(*n->acl));
	f->conf.nb_acl = n->nb_acl;
	f->conf.neighs = dup_arr(n->neighs, n->nb_neighs, sizeof(*n->neighs));
	f->conf.nb_neighs = n->nb_neighs;
	memcpy(f->conf.path, n->path, sizeof(n->path));
	f->publishes++;
	return 0;
}

const struct cp_dp_ops fake_dp_ops = {
	.config = f_config,
	.port_count = f_port_count,
	.port_get = f_port_get,
	.worker_count = f_worker_count,
	.worker_get = f_worker_get,
	.stats_worker = f_stats_worker,
	.port_xstats = f_port_xstats,
	.acl_hits = f_acl_hits,
	.cycles_per_pkt = f_cycles_per_pkt,
	.lat_pct_ns = f_lat_pct,
	.lat_bucket_upper = f_lat_upper,
	.mode_name = f_mode_name,
	.mode_parse = f_mode_parse,
	.apply = f_apply,
	.routes_set = f_routes_set,
	.acl_set = f_acl_set,
	.port_set_mode = f_set_mode,
	.port_start = f_port_start,
	.port_stop = f_port_stop,
	.port_reopen = f_port_reopen,
	.gen_set = f_gen_set,
	.gen_start = f_gen_start,
	.gen_stop = f_gen_stop,
	.sink_reset = f_sink_reset,
	.config_load = f_config_load,
	.config_free = conf_free,
};
