// SPDX-License-Identifier: MIT
/*
 * struct cp_dp_ops for the real dataplane: each entry is the dp.h call of
 * the same name (controlplane/config.c for config_load). Linked into
 * linerated only; the tests use a fake table instead.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "cp_dp.h"
#include "log.h"

static const struct dp_config *r_config(void *dp)
{
	return dp_config(dp);
}

static unsigned int r_port_count(void *dp)
{
	return dp_port_count(dp);
}

static const struct dp_port *r_port_get(void *dp, uint16_t id)
{
	return dp_port_get(dp, id);
}

static unsigned int r_worker_count(void *dp)
{
	return dp_worker_count(dp);
}

static int r_worker_get(void *dp, unsigned int w, struct dp_worker_info *o)
{
	return dp_worker_get(dp, w, o);
}

static int r_stats_worker(void *dp, unsigned int w, struct dp_worker_stats *o)
{
	return dp_stats_worker(dp, w, o);
}

static int r_port_xstats(void *dp, uint16_t id, struct dp_port_kv *kv, int max)
{
	return dp_port_xstats(dp, id, kv, max);
}

static size_t r_acl_hits(void *dp, uint64_t *hits, size_t n)
{
	return dp_acl_hits(dp, hits, n);
}

static bool arr_differ(const void *a, size_t na, const void *b, size_t nb,
		       size_t sz)
{
	return na != nb || (na && memcmp(a, b, na * sz));
}

/* Would dp_apply(c) publish a table (and so maybe half of them)? */
static bool tables_differ(const struct dp_config *o, const struct dp_config *c)
{
	return arr_differ(o->routes, o->nb_routes, c->routes, c->nb_routes,
			  sizeof(*c->routes)) ||
	       arr_differ(o->neighs, o->nb_neighs, c->neighs, c->nb_neighs,
			  sizeof(*c->neighs)) ||
	       arr_differ(o->acl, o->nb_acl, c->acl, c->nb_acl,
			  sizeof(*c->acl)) ||
	       arr_differ(o->macs, o->nb_macs, c->macs, c->nb_macs,
			  sizeof(*c->macs)) ||
	       memcmp(&o->routes_gen, &c->routes_gen, sizeof(c->routes_gen)) ||
	       o->acl_default != c->acl_default;
}

/*
 * dp_apply publishes routes, then the ACL, then MACs, and stops at the
 * first that fails, leaving the earlier ones published while dp_config()
 * still holds the old model. So that a reload is all or nothing, a failed
 * apply re-publishes the old model's tables (dp_config() is still it).
 */
static int r_apply(void *dp, const struct dp_config *c, char *err,
		   size_t errlen)
{
	const struct dp_config *old = dp_config(dp);
	char e2[256];
	int ret = dp_apply(dp, c, err, errlen);

	if (ret == 0 || !tables_differ(old, c))
		return ret;
	if (dp_routes_set(dp, old->routes, old->nb_routes, old->neighs,
			  old->nb_neighs, &old->routes_gen, e2,
			  sizeof(e2)) < 0 ||
	    dp_acl_set(dp, old->acl, old->nb_acl, old->acl_default, e2,
		       sizeof(e2)) < 0 ||
	    dp_macs_set(dp, old->macs, old->nb_macs, e2, sizeof(e2)) < 0)
		cp_err("reload failed and restoring the old tables failed "
		       "too: %s",
		       e2);
	return ret;
}

/*
 * Tables go through dp_apply() with the running model's other parts
 * unchanged: dp_apply publishes what differs and keeps dp_config() equal
 * to what runs, which dp_routes_set()/dp_acl_set() alone do not update.
 * The struct is copied shallowly; dp_apply copies what it keeps.
 */
static int r_routes_set(void *dp, const struct dp_route_conf *rt, size_t nrt,
			const struct dp_neigh_conf *nb, size_t nnb,
			const struct dp_routes_gen *gen, char *err,
			size_t errlen)
{
	struct dp_config *n = malloc(sizeof(*n));
	int ret;

	if (!n)
		return -ENOMEM;
	*n = *dp_config(dp);
	n->routes = (struct dp_route_conf *)rt;
	n->nb_routes = nrt;
	n->neighs = (struct dp_neigh_conf *)nb;
	n->nb_neighs = nnb;
	n->routes_gen = *gen;
	ret = dp_apply(dp, n, err, errlen);
	free(n);
	return ret;
}

static int r_acl_set(void *dp, const struct dp_acl_rule_conf *rules, size_t n,
		     enum dp_acl_action dflt, char *err, size_t errlen)
{
	struct dp_config *c = malloc(sizeof(*c));
	int ret;

	if (!c)
		return -ENOMEM;
	*c = *dp_config(dp);
	c->acl = (struct dp_acl_rule_conf *)rules;
	c->nb_acl = n;
	c->acl_default = dflt;
	ret = dp_apply(dp, c, err, errlen);
	free(c);
	return ret;
}

static int r_set_mode(void *dp, uint16_t p, enum dp_fwd_mode m, char *err,
		      size_t errlen)
{
	return dp_port_set_mode(dp, p, m, err, errlen);
}

static int r_port_start(void *dp, uint16_t p, char *err, size_t errlen)
{
	return dp_port_start(dp, p, err, errlen);
}

static int r_port_reopen(void *dp, uint16_t p, const struct dp_port_conf *c,
			 char *err, size_t errlen)
{
	return dp_port_reopen(dp, p, c, err, errlen);
}

static int r_ports_reopen(void *dp, unsigned int n, const uint16_t *ports,
			  const struct dp_port_conf *confs, char *err,
			  size_t errlen)
{
	return dp_ports_reopen(dp, n, ports, confs, err, errlen);
}

static int r_port_stop(void *dp, uint16_t p)
{
	return dp_port_stop(dp, p);
}

static int r_gen_set(void *dp, uint16_t p, const struct dp_gen_conf *g,
		     char *err, size_t errlen)
{
	return dp_gen_set(dp, p, g, err, errlen);
}

static int r_gen_start(void *dp, uint16_t p)
{
	return dp_gen_start(dp, p);
}

static int r_gen_stop(void *dp, uint16_t p)
{
	return dp_gen_stop(dp, p);
}

static void r_sink_reset(void *dp)
{
	dp_sink_reset(dp);
}

const struct cp_dp_ops cp_dp_real_ops = {
	.config = r_config,
	.port_count = r_port_count,
	.port_get = r_port_get,
	.worker_count = r_worker_count,
	.worker_get = r_worker_get,
	.stats_worker = r_stats_worker,
	.port_xstats = r_port_xstats,
	.acl_hits = r_acl_hits,
	.cycles_per_pkt = dp_stats_cycles_per_pkt,
	.lat_pct_ns = dp_sink_lat_pct_ns,
	.lat_bucket_upper = dp_lat_bucket_upper,
	.mode_name = dp_fwd_mode_name,
	.mode_parse = dp_fwd_mode_parse,
	.apply = r_apply,
	.routes_set = r_routes_set,
	.acl_set = r_acl_set,
	.port_set_mode = r_set_mode,
	.port_start = r_port_start,
	.port_stop = r_port_stop,
	.port_reopen = r_port_reopen,
	.ports_reopen = r_ports_reopen,
	.gen_set = r_gen_set,
	.gen_start = r_gen_start,
	.gen_stop = r_gen_stop,
	.sink_reset = r_sink_reset,
	.config_load = cp_config_load,
	.config_free = dp_config_free,
};
