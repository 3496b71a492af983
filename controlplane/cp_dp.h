/* SPDX-License-Identifier: MIT */
/*
 * The dataplane as the command layer sees it: a function table with the
 * dp.h calls the commands, metrics and status use. cp_dp_real.c fills it
 * with the real dataplane (dp.h); the unit tests fill it with a fake that
 * keeps a dp_config in memory, so every command is testable without DPDK.
 * Signatures follow dp.h with the struct dp * made opaque.
 */
#ifndef CP_DP_H
#define CP_DP_H

#include <stddef.h>
#include <stdint.h>

#include "dp.h"

struct cp_dp_ops {
	const struct dp_config *(*config)(void *dp);
	unsigned int (*port_count)(void *dp);
	const struct dp_port *(*port_get)(void *dp, uint16_t id);
	unsigned int (*worker_count)(void *dp);
	int (*worker_get)(void *dp, unsigned int w, struct dp_worker_info *out);
	int (*stats_worker)(void *dp, unsigned int w,
			    struct dp_worker_stats *out);
	int (*port_xstats)(void *dp, uint16_t id, struct dp_port_kv *kv,
			   int max);
	size_t (*acl_hits)(void *dp, uint64_t *hits, size_t n);
	/* Busy cycles per packet handled (received or generated). */
	double (*cycles_per_pkt)(const struct dp_worker_stats *s);
	double (*lat_pct_ns)(const struct dp_sink_stats *s, uint64_t tsc_hz,
			     double p);
	/* Upper bound, in TSC cycles, of latency histogram bucket i. */
	uint64_t (*lat_bucket_upper)(unsigned int i);
	const char *(*mode_name)(enum dp_fwd_mode m);
	int (*mode_parse)(const char *s);

	int (*apply)(void *dp, const struct dp_config *conf, char *err,
		     size_t errlen);
	int (*routes_set)(void *dp, const struct dp_route_conf *routes,
			  size_t nb_routes, const struct dp_neigh_conf *neighs,
			  size_t nb_neighs, const struct dp_routes_gen *gen,
			  char *err, size_t errlen);
	int (*acl_set)(void *dp, const struct dp_acl_rule_conf *rules, size_t n,
		       enum dp_acl_action dflt, char *err, size_t errlen);
	int (*port_set_mode)(void *dp, uint16_t port, enum dp_fwd_mode mode,
			     char *err, size_t errlen);
	int (*port_start)(void *dp, uint16_t port, char *err, size_t errlen);
	int (*port_stop)(void *dp, uint16_t port);
	/* dp_port_reopen: the port on another backend, all or nothing. */
	int (*port_reopen)(void *dp, uint16_t port,
			   const struct dp_port_conf *c, char *err,
			   size_t errlen);
	/* dp_ports_reopen: several ports as one batch, all or nothing. May
	 * be NULL: `port backend` then takes one port at a time. */
	int (*ports_reopen)(void *dp, unsigned int n, const uint16_t *ports,
			    const struct dp_port_conf *confs, char *err,
			    size_t errlen);
	int (*gen_set)(void *dp, uint16_t port, const struct dp_gen_conf *g,
		       char *err, size_t errlen);
	int (*gen_start)(void *dp, uint16_t port);
	int (*gen_stop)(void *dp, uint16_t port);
	void (*sink_reset)(void *dp);

	/* Parse and validate a YAML file into a model (controlplane/config.c
	 * in the daemon). On error -errno and err names file:line and what. */
	int (*config_load)(const char *path, struct dp_config *out, char *err,
			   size_t errlen);
	void (*config_free)(struct dp_config *c);
};

/* The real dataplane (cp_dp_real.c, linked into linerated only). */
extern const struct cp_dp_ops cp_dp_real_ops;

#endif
