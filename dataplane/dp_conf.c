// SPDX-License-Identifier: MIT
/* The config model's defaults, names and ownership (see dp_conf.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dp_conf.h"

static const char *const mode_names[DP_FWD__COUNT] = {
	[DP_FWD_IO] = "io",
	[DP_FWD_MACSWAP] = "macswap",
	[DP_FWD_L2] = "l2",
	[DP_FWD_L3] = "l3",
};

const char *dp_fwd_mode_name(enum dp_fwd_mode m)
{
	return (unsigned int)m < DP_FWD__COUNT ? mode_names[m] : "?";
}

int dp_fwd_mode_parse(const char *s)
{
	int i;

	for (i = 0; i < DP_FWD__COUNT; i++)
		if (strcmp(s, mode_names[i]) == 0)
			return i;
	return -EINVAL;
}

void dp_config_init(struct dp_config *c)
{
	memset(c, 0, sizeof(*c));
	c->eal.hugepages = -1;
	c->eal.main_core = 0;
	c->l2.flood = true;
	c->l2.aging_s = 300;
	c->l2.size = 4096;
	c->acl_default = DP_ACL_PERMIT;
}

void dp_gen_conf_init(struct dp_gen_conf *g)
{
	static const uint8_t src4[4] = { 198, 18, 0, 1 };
	static const uint8_t dst4[4] = { 198, 19, 0, 1 };
	static const uint8_t dmac[6] = { 0x02, 0, 0, 0, 0, 0x02 };

	memset(g, 0, sizeof(*g));
	g->ip_version = 4;
	g->frame_size = 64;
	g->flows = 1;
	g->autostart = true;
	memcpy(g->dst_mac, dmac, 6);
	g->src4.family = 4;
	memcpy(g->src4.a, src4, 4);
	g->dst4.family = 4;
	memcpy(g->dst4.a, dst4, 4);
	/* 2001:db8::1 -> 2001:db8:1::1 (documentation prefix) */
	g->src6.family = 6;
	g->src6.a[0] = 0x20;
	g->src6.a[1] = 0x01;
	g->src6.a[2] = 0x0d;
	g->src6.a[3] = 0xb8;
	g->src6.a[15] = 1;
	g->dst6 = g->src6;
	g->dst6.a[5] = 1;
	g->sport = 1024;
	g->dport = 9;
}

void dp_port_entry_init(struct dp_port_entry *p, uint16_t id)
{
	memset(p, 0, sizeof(*p));
	strcpy(p->conf.backend, "dpdk");
	p->conf.sqpoll_cpu = -1;
	p->mode = DP_FWD_IO;
	p->peer = id;
	dp_gen_conf_init(&p->gen);
}

void dp_config_free(struct dp_config *c)
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

static int dup_array(void **dst, const void *src, size_t n, size_t sz)
{
	*dst = NULL;
	if (n == 0)
		return 0;
	*dst = malloc(n * sz);
	if (*dst == NULL)
		return -ENOMEM;
	memcpy(*dst, src, n * sz);
	return 0;
}

int dp_config_copy(struct dp_config *dst, const struct dp_config *src)
{
	*dst = *src;
	if (dup_array((void **)&dst->routes, src->routes, src->nb_routes,
		      sizeof(*src->routes)) ||
	    dup_array((void **)&dst->neighs, src->neighs, src->nb_neighs,
		      sizeof(*src->neighs)) ||
	    dup_array((void **)&dst->acl, src->acl, src->nb_acl,
		      sizeof(*src->acl)) ||
	    dup_array((void **)&dst->macs, src->macs, src->nb_macs,
		      sizeof(*src->macs))) {
		dp_config_free(dst);
		return -ENOMEM;
	}
	return 0;
}

int dp_config_port_find(const struct dp_config *c, const char *name)
{
	uint16_t i;

	for (i = 0; i < c->nb_ports; i++)
		if (strcmp(c->ports[i].conf.name, name) == 0)
			return i;
	return -ENOENT;
}
