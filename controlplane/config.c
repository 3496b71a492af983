// SPDX-License-Identifier: MIT
/*
 * YAML config loader (schema in config.h). libyaml loads the file as a node
 * tree (every node keeps its line and column); one walker per section fills
 * the model and checks each value as it goes; a final pass resolves names
 * (peers, worker ports, routes, MACs) and checks the whole. Nothing is
 * applied here: the caller gets a complete model or an error.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

#include "config.h"
#include "cp_addr.h"

struct ctx {
	const char *file;
	yaml_document_t *doc;
	char *err;
	size_t errlen;
	char path[256];
	struct dp_config *c;
	/* Names resolved at the end, with their nodes for messages. */
	char peer_name[DP_PORT_MAX][DP_NAME_MAX];
	yaml_node_t *peer_node[DP_PORT_MAX];
	char wport_name[DP_WORKER_MAX][DP_PORT_MAX][DP_NAME_MAX];
	yaml_node_t *wport_node[DP_WORKER_MAX][DP_PORT_MAX];
	bool workers_given;
	/* Port names of routes/neighbours/macs/routes_generate, resolved
	 * when all ports are known (ports may come after them). */
	char (*rport)[DP_NAME_MAX];
	char (*nport)[DP_NAME_MAX];
	char (*mport)[DP_NAME_MAX];
	yaml_node_t **rnode, **nnode, **mnode;
	char gport[DP_NAME_MAX];
	yaml_node_t *gnode, *rgen_node;
	yaml_node_t *worker_node[DP_WORKER_MAX];
	/* control: (not part of the dataplane model) */
	struct cp_control_conf *ctl;
	yaml_node_t *ctl_node[CP_CTL__COUNT];
	bool tcp_loopback, metrics_loopback;
};

/* The control: section linerated runs with (cp_config_control_pin). */
static struct cp_control_conf pinned;
static unsigned int pinned_mask;
static bool pinned_set;

/* FILE:LINE:COL: path: message (line and col from 1). */
__attribute__((format(printf, 4, 5))) static int
fail_at(struct ctx *x, size_t line, size_t col, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(x->err, x->errlen, "%s:%zu:%zu: %s: %s", x->file, line, col,
		 x->path[0] ? x->path : "(top)", msg);
	return -EINVAL;
}

/* The same at node n: every error has a node to name (a missing key: the
 * mapping that lacks it). */
__attribute__((format(printf, 3, 4))) static int
fail(struct ctx *x, const yaml_node_t *n, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n == NULL) /* not expected: the document's start */
		return fail_at(x, 1, 1, "%s", msg);
	return fail_at(x, n->start_mark.line + 1, n->start_mark.column + 1,
		       "%s", msg);
}

static size_t path_push(struct ctx *x, const char *fmt, ...)
{
	size_t old = strlen(x->path);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(x->path + old, sizeof(x->path) - old, fmt, ap);
	va_end(ap);
	return old;
}

static void path_pop(struct ctx *x, size_t old)
{
	x->path[old] = '\0';
}

static yaml_node_t *node(struct ctx *x, int id)
{
	return yaml_document_get_node(x->doc, id);
}

static int want_scalar(struct ctx *x, yaml_node_t *n, const char **s)
{
	*s = ""; /* set on every path: gcc cannot see that fail() is nonzero */
	if (n->type != YAML_SCALAR_NODE)
		return fail(x, n, "expected a single value");
	*s = (const char *)n->data.scalar.value;
	return 0;
}

static int get_str(struct ctx *x, yaml_node_t *n, char *out, size_t len)
{
	const char *s;
	int ret = want_scalar(x, n, &s);

	if (ret)
		return ret;
	if (strlen(s) >= len)
		return fail(x, n, "longer than %zu characters", len - 1);
	if (len > 1 && s[0] == '\0')
		return fail(x, n, "must not be empty");
	strcpy(out, s);
	return 0;
}

static int get_int(struct ctx *x, yaml_node_t *n, long long lo, long long hi,
		   long long *out)
{
	const char *s;
	char *end;
	long long v;
	int ret = want_scalar(x, n, &s);

	if (ret)
		return ret;
	errno = 0;
	v = strtoll(s, &end, 0);
	if (errno || end == s || *end)
		return fail(x, n, "'%s' is not an integer", s);
	if (v < lo || v > hi)
		return fail(x, n, "%lld is not in %lld..%lld", v, lo, hi);
	*out = v;
	return 0;
}

#define GET_INT(x, n, lo, hi, dst)                                         \
	({                                                                 \
		long long v_;                                              \
		int r_ = get_int(x, n, lo, hi, &v_);                       \
		if (!r_)                                                   \
			(dst) = v_;                                        \
		r_;                                                        \
	})

static int get_bool(struct ctx *x, yaml_node_t *n, bool *out)
{
	const char *s;
	int ret = want_scalar(x, n, &s);

	if (ret)
		return ret;
	if (!strcmp(s, "true") || !strcmp(s, "yes") || !strcmp(s, "on"))
		*out = true;
	else if (!strcmp(s, "false") || !strcmp(s, "no") || !strcmp(s, "off"))
		*out = false;
	else
		return fail(x, n, "'%s' is not true or false", s);
	return 0;
}

static int get_mac(struct ctx *x, yaml_node_t *n, uint8_t *mac)
{
	unsigned int b[6];
	const char *s;
	char tail;
	int ret = want_scalar(x, n, &s), i;

	if (ret)
		return ret;
	if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3],
		   &b[4], &b[5], &tail) != 6)
		return fail(x, n, "'%s' is not a MAC address (aa:bb:cc:dd:ee:ff)",
			    s);
	for (i = 0; i < 6; i++) {
		if (b[i] > 255)
			return fail(x, n, "'%s' is not a MAC address", s);
		mac[i] = (uint8_t)b[i];
	}
	return 0;
}

static int get_addr(struct ctx *x, yaml_node_t *n, struct dp_addr *a,
		    int family)
{
	const char *s;
	int ret = want_scalar(x, n, &s);

	if (ret)
		return ret;
	if (cp_addr_parse(s, a))
		return fail(x, n, "'%s' is not an IPv4 or IPv6 address", s);
	if (family && a->family != family)
		return fail(x, n, "'%s' is not an IPv%d address", s, family);
	return 0;
}

static int get_prefix(struct ctx *x, yaml_node_t *n, struct dp_addr *a,
		      uint8_t *plen)
{
	char buf[80], *slash, *end;
	const char *s;
	long len;
	int ret = want_scalar(x, n, &s), i, max;

	if (ret)
		return ret;
	if (strlen(s) >= sizeof(buf))
		return fail(x, n, "'%s' is not a prefix", s);
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	if (cp_addr_parse(buf, a))
		return fail(x, n, "'%s' is not an address/length prefix", s);
	max = a->family == 4 ? 32 : 128;
	len = max;
	if (slash) {
		len = strtol(slash + 1, &end, 10);
		if (end == slash + 1 || *end || len < 0 || len > max)
			return fail(x, n, "'%s': length must be 0..%d", s,
				    max);
	}
	for (i = (int)len; i < max; i++)
		if (a->a[i / 8] & (0x80 >> (i % 8)))
			return fail(x, n, "'%s': host bits set beyond /%ld", s,
				    len);
	*plen = (uint8_t)len;
	return 0;
}

static int get_range(struct ctx *x, yaml_node_t *n, uint16_t *lo,
		     uint16_t *hi)
{
	const char *s;
	char *end;
	unsigned long a, b;
	int ret = want_scalar(x, n, &s);

	if (ret)
		return ret;
	if (!strcmp(s, "any")) {
		*lo = 0;
		*hi = 65535;
		return 0;
	}
	a = strtoul(s, &end, 10);
	b = a;
	if (end != s && *end == '-') {
		const char *t = end + 1;

		b = strtoul(t, &end, 10);
		if (end == t)
			goto bad;
	}
	if (end == s || *end || a > 65535 || b > 65535 || a > b)
		goto bad;
	*lo = (uint16_t)a;
	*hi = (uint16_t)b;
	return 0;
bad:
	return fail(x, n, "'%s' is not a port or range (N, N-M, any)", s);
}

/* Iterate over a mapping: calls fn(x, key, value, arg) for each pair. */
typedef int (*pair_fn)(struct ctx *x, const char *k, yaml_node_t *v,
		       void *arg);

static int each_pair(struct ctx *x, yaml_node_t *n, pair_fn fn, void *arg)
{
	yaml_node_pair_t *p, *q;

	if (n->type != YAML_MAPPING_NODE)
		return fail(x, n, "expected a mapping (key: value)");
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = node(x, p->key), *v = node(x, p->value);
		const char *ks;
		size_t old;
		int ret;

		if (k->type != YAML_SCALAR_NODE)
			return fail(x, k, "keys must be plain names");
		ks = (const char *)k->data.scalar.value;
		old = path_push(x, "%s%s", x->path[0] ? "." : "", ks);
		for (q = n->data.mapping.pairs.start; q < p; q++) {
			yaml_node_t *qk = node(x, q->key);

			if (qk->type == YAML_SCALAR_NODE &&
			    !strcmp((const char *)qk->data.scalar.value, ks))
				return fail(x, k, "key '%s' given twice", ks);
		}
		ret = fn(x, ks, v, arg);
		if (ret == -ENOENT)
			ret = fail(x, k, "unknown key '%s'", ks);
		if (ret)
			return ret;
		path_pop(x, old);
	}
	return 0;
}

typedef int (*item_fn)(struct ctx *x, yaml_node_t *v, size_t i, void *arg);

static int each_item(struct ctx *x, yaml_node_t *n, item_fn fn, void *arg)
{
	yaml_node_item_t *it;
	size_t i = 0;

	if (n->type != YAML_SEQUENCE_NODE)
		return fail(x, n, "expected a list");
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++, i++) {
		size_t old = path_push(x, "[%zu]", i);
		int ret = fn(x, node(x, *it), i, arg);

		if (ret)
			return ret;
		path_pop(x, old);
	}
	return 0;
}

static size_t seq_len(yaml_node_t *n)
{
	return n->type == YAML_SEQUENCE_NODE
		       ? (size_t)(n->data.sequence.items.top -
				  n->data.sequence.items.start)
		       : 0;
}

/* ---- eal ---- */

static int eal_arg(struct ctx *x, yaml_node_t *v, size_t i, void *arg)
{
	struct dp_eal_conf *e = arg;

	if (e->nb_args >= DP_EAL_ARGS_MAX)
		return fail(x, v, "more than %d arguments", DP_EAL_ARGS_MAX);
	return get_str(x, v, e->args[e->nb_args++], sizeof(e->args[0]));
}

static int eal_pair(struct ctx *x, const char *k, yaml_node_t *v, void *arg)
{
	struct dp_eal_conf *e = &x->c->eal;
	const char *s;

	if (!strcmp(k, "file_prefix"))
		return get_str(x, v, e->file_prefix, sizeof(e->file_prefix));
	if (!strcmp(k, "memory_mb"))
		return GET_INT(x, v, 0, 1 << 20, e->mem_mb);
	if (!strcmp(k, "hugepages")) {
		bool b;

		if (v->type == YAML_SCALAR_NODE &&
		    !strcmp((const char *)v->data.scalar.value, "auto")) {
			e->hugepages = -1;
			return 0;
		}
		if (get_bool(x, v, &b))
			return fail(x, v, "must be auto, true or false");
		e->hugepages = b;
		return 0;
	}
	if (!strcmp(k, "in_memory"))
		return get_bool(x, v, &e->in_memory);
	if (!strcmp(k, "main_core"))
		return GET_INT(x, v, -1, 1023, e->main_core);
	if (!strcmp(k, "log_level")) {
		int ret = want_scalar(x, v, &s);

		if (ret)
			return ret;
		return get_str(x, v, e->log_level, sizeof(e->log_level));
	}
	if (!strcmp(k, "args"))
		return each_item(x, v, eal_arg, e);
	return -ENOENT;
}

/* ---- ports ---- */

static int gen_pair(struct ctx *x, const char *k, yaml_node_t *v, void *arg)
{
	struct dp_gen_conf *g = arg;
	const char *s;

	if (!strcmp(k, "ip_version")) {
		long long ipv;
		int ret = get_int(x, v, 4, 46, &ipv);

		if (ret)
			return ret;
		if (ipv != 4 && ipv != 6 && ipv != 46)
			return fail(x, v, "must be 4, 6 or 46");
		g->ip_version = (uint8_t)ipv;
		return 0;
	}
	if (!strcmp(k, "frame_size")) {
		if (v->type == YAML_SCALAR_NODE &&
		    !strcmp((const char *)v->data.scalar.value, "imix")) {
			g->imix = true;
			return 0;
		}
		g->imix = false;
		return GET_INT(x, v, 64, 1518, g->frame_size);
	}
	if (!strcmp(k, "flows"))
		return GET_INT(x, v, 1, DP_GEN_FLOWS_MAX, g->flows);
	if (!strcmp(k, "rate_pps")) {
		if (v->type == YAML_SCALAR_NODE &&
		    !strcmp((const char *)v->data.scalar.value, "max")) {
			g->rate_pps = 0;
			return 0;
		}
		return GET_INT(x, v, 0, 1000000000000LL, g->rate_pps);
	}
	if (!strcmp(k, "count"))
		return GET_INT(x, v, 0, LLONG_MAX, g->count);
	if (!strcmp(k, "src_mac")) {
		g->src_mac_set = true;
		return get_mac(x, v, g->src_mac);
	}
	if (!strcmp(k, "dst_mac"))
		return get_mac(x, v, g->dst_mac);
	if (!strcmp(k, "src_ip"))
		return get_addr(x, v, &g->src4, 4);
	if (!strcmp(k, "dst_ip"))
		return get_addr(x, v, &g->dst4, 4);
	if (!strcmp(k, "src_ip6"))
		return get_addr(x, v, &g->src6, 6);
	if (!strcmp(k, "dst_ip6"))
		return get_addr(x, v, &g->dst6, 6);
	if (!strcmp(k, "sport"))
		return GET_INT(x, v, 0, 65535, g->sport);
	if (!strcmp(k, "dport"))
		return GET_INT(x, v, 0, 65535, g->dport);
	if (!strcmp(k, "dst_step"))
		return GET_INT(x, v, 0, UINT32_MAX, g->dst_step);
	if (!strcmp(k, "autostart"))
		return get_bool(x, v, &g->autostart);
	(void)s;
	return -ENOENT;
}

static int port_pair(struct ctx *x, const char *k, yaml_node_t *v, void *arg)
{
	uint16_t id = (uint16_t)(uintptr_t)arg;
	struct dp_port_entry *p = &x->c->ports[id];
	const char *s;
	int ret;

	if (!strcmp(k, "name"))
		return get_str(x, v, p->conf.name, sizeof(p->conf.name));
	if (!strcmp(k, "backend")) {
		ret = get_str(x, v, p->conf.backend, sizeof(p->conf.backend));
		if (ret)
			return ret;
		if (strcmp(p->conf.backend, "dpdk") &&
		    strcmp(p->conf.backend, "afxdp") &&
		    strcmp(p->conf.backend, "kernel"))
			return fail(x, v, "'%s': backend is dpdk, afxdp or "
				    "kernel", p->conf.backend);
		return 0;
	}
	if (!strcmp(k, "dev"))
		return get_str(x, v, p->conf.dev, sizeof(p->conf.dev));
	if (!strcmp(k, "io_model"))
		return get_str(x, v, p->conf.io_model,
			       sizeof(p->conf.io_model));
	if (!strcmp(k, "rx_ring"))
		return GET_INT(x, v, 0, 32768, p->conf.rx_ring);
	if (!strcmp(k, "tx_ring"))
		return GET_INT(x, v, 0, 32768, p->conf.tx_ring);
	if (!strcmp(k, "mtu"))
		return GET_INT(x, v, 0, 16000, p->conf.mtu);
	if (!strcmp(k, "mac")) {
		p->conf.mac_set = true;
		return get_mac(x, v, p->conf.mac);
	}
	if (!strcmp(k, "xdp_skb"))
		return get_bool(x, v, &p->conf.xdp_skb);
	if (!strcmp(k, "zerocopy"))
		return get_bool(x, v, &p->conf.zerocopy);
	if (!strcmp(k, "force"))
		return get_bool(x, v, &p->conf.force);
	if (!strcmp(k, "sqpoll_cpu"))
		return GET_INT(x, v, -1, 1023, p->conf.sqpoll_cpu);
	if (!strcmp(k, "mode")) {
		int m;

		ret = want_scalar(x, v, &s);
		if (ret)
			return ret;
		m = dp_fwd_mode_parse(s);
		if (m < 0)
			return fail(x, v, "'%s': mode is io, macswap, l2 or l3",
				    s);
		p->mode = (enum dp_fwd_mode)m;
		return 0;
	}
	if (!strcmp(k, "peer")) {
		x->peer_node[id] = v;
		return get_str(x, v, x->peer_name[id], DP_NAME_MAX);
	}
	if (!strcmp(k, "acl"))
		return get_bool(x, v, &p->acl);
	if (!strcmp(k, "rx")) {
		ret = want_scalar(x, v, &s);
		if (ret)
			return ret;
		if (!strcmp(s, "forward"))
			p->rx_role = DP_RX_FORWARD;
		else if (!strcmp(s, "sink"))
			p->rx_role = DP_RX_SINK;
		else if (!strcmp(s, "drop"))
			p->rx_role = DP_RX_DROP;
		else
			return fail(x, v, "'%s': rx is forward, sink or drop",
				    s);
		return 0;
	}
	if (!strcmp(k, "generator")) {
		p->gen.enabled = true;
		return each_pair(x, v, gen_pair, &p->gen);
	}
	return -ENOENT;
}

static int port_item(struct ctx *x, yaml_node_t *v, size_t i, void *arg)
{
	struct dp_config *c = x->c;
	uint16_t id = (uint16_t)i;
	int ret;

	if (i >= DP_PORT_MAX)
		return fail(x, v, "more than %d ports", DP_PORT_MAX);
	dp_port_entry_init(&c->ports[id], id);
	c->ports[id].line = (unsigned int)v->start_mark.line + 1;
	c->ports[id].col = (unsigned int)v->start_mark.column + 1;
	c->nb_ports = id + 1;
	ret = each_pair(x, v, port_pair, (void *)(uintptr_t)id);
	if (ret)
		return ret;
	if (!c->ports[id].conf.name[0])
		return fail(x, v, "missing 'name'");
	if (!c->ports[id].conf.dev[0])
		return fail(x, v, "missing 'dev'");
	if (!strcmp(c->ports[id].conf.backend, "kernel") &&
	    !c->ports[id].conf.io_model[0])
		strcpy(c->ports[id].conf.io_model, "epoll-lt");
	for (i = 0; i < id; i++)
		if (!strcmp(c->ports[i].conf.name, c->ports[id].conf.name))
			return fail(x, v, "port name '%s' used twice",
				    c->ports[id].conf.name);
	return 0;
}

/* ---- workers ---- */

static int wport_item(struct ctx *x, yaml_node_t *v, size_t i, void *arg)
{
	size_t w = (size_t)(uintptr_t)arg;

	if (i >= DP_PORT_MAX)
		return fail(x, v, "more than %d ports", DP_PORT_MAX);
	x->wport_node[w][i] = v;
	x->c->workers[w].nb_ports = (uint16_t)(i + 1);
	return get_str(x, v, x->wport_name[w][i], DP_NAME_MAX);
}

static int worker_pair(struct ctx *x, const char *k, yaml_node_t *v,
		       void *arg)
{
	size_t w = (size_t)(uintptr_t)arg;
	struct dp_worker_conf *wc = &x->c->workers[w];

	if (!strcmp(k, "core")) {
		long ncpu = sysconf(_SC_NPROCESSORS_CONF);

		return GET_INT(x, v, 0, ncpu > 0 ? ncpu - 1 : 1023, wc->core);
	}
	if (!strcmp(k, "ports")) {
		wc->nb_ports = 0;
		return each_item(x, v, wport_item, arg);
	}
	return -ENOENT;
}

static int worker_item(struct ctx *x, yaml_node_t *v, size_t i, void *arg)
{
	if (i >= DP_WORKER_MAX)
		return fail(x, v, "more than %d workers", DP_WORKER_MAX);
	x->c->nb_workers = (uint16_t)(i + 1);
	x->worker_node[i] = v;
	x->c->workers[i].core = -1;
	x->c->workers[i].nb_ports = DP_NO_PORT; /* "all", resolved later */
	return each_pair(x, v, worker_pair, (void *)(uintptr_t)i);
}

/* ---- tables ---- */

static int route_pair(struct ctx *x, const char *k, yaml_node_t *v, void *a)
{
	size_t i = (size_t)(uintptr_t)a;
	struct dp_route_conf *r = &x->c->routes[i];

	if (!strcmp(k, "prefix"))
		return get_prefix(x, v, &r->prefix, &r->plen);
	if (!strcmp(k, "via"))
		return get_addr(x, v, &r->via, 0);
	if (!strcmp(k, "port")) {
		x->rnode[i] = v;
		return get_str(x, v, x->rport[i], DP_NAME_MAX);
	}
	return -ENOENT;
}

static int route_item(struct ctx *x, yaml_node_t *v, size_t i, void *arg)
{
	struct dp_route_conf *r = &x->c->routes[i];
	int ret = each_pair(x, v, route_pair, (void *)(uintptr_t)i);

	if (ret)
		return ret;
	if (!r->prefix.family)
		return fail(x, v, "missing 'prefix'");
	if (!x->rport[i][0])
		return fail(x, v, "missing 'port'");
	if (r->via.family && r->via.family != r->prefix.family)
		return fail(x, v, "'via' is not of the prefix's family");
	x->c->nb_routes = i + 1;
	return 0;
}

static int neigh_pair(struct ctx *x, const char *k, yaml_node_t *v, void *a)
{
	size_t i = (size_t)(uintptr_t)a;
	struct dp_neigh_conf *n = &x->c->neighs[i];

	if (!strcmp(k, "ip"))
		return get_addr(x, v, &n->addr, 0);
	if (!strcmp(k, "mac"))
		return get_mac(x, v, n->mac);
	if (!strcmp(k, "port")) {
		x->nnode[i] = v;
		return get_str(x, v, x->nport[i], DP_NAME_MAX);
	}
	return -ENOENT;
}

static int neigh_item(struct ctx *x, yaml_node_t *v, size_t i, void *arg)
{
	struct dp_neigh_conf *n = &x->c->neighs[i];
	bool mac = false;
	yaml_node_pair_t *p;
	int ret;

	n->port = DP_NO_PORT;
	ret = each_pair(x, v, neigh_pair, (void *)(uintptr_t)i);
	if (ret)
		return ret;
	for (p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top;
	     p++)
		mac |= !strcmp((const char *)node(x, p->key)->data.scalar.value,
			       "mac");
	if (!n->addr.family || !mac)
		return fail(x, v, "needs 'ip' and 'mac'");
	x->c->nb_neighs = i + 1;
	return 0;
}

static int mac_pair(struct ctx *x, const char *k, yaml_node_t *v, void *a)
{
	size_t i = (size_t)(uintptr_t)a;

	if (!strcmp(k, "mac"))
		return get_mac(x, v, x->c->macs[i].mac);
	if (!strcmp(k, "port")) {
		x->mnode[i] = v;
		return get_str(x, v, x->mport[i], DP_NAME_MAX);
	}
	return -ENOENT;
}

static int mac_item(struct ctx *x, yaml_node_t *v, size_t i, void *arg)
{
	int ret = each_pair(x, v, mac_pair, (void *)(uintptr_t)i);

	if (ret)
		return ret;
	if (!x->mport[i][0])
		return fail(x, v, "missing 'port'");
	x->c->nb_macs = i + 1;
	return 0;
}

static int rgen_pair(struct ctx *x, const char *k, yaml_node_t *v, void *a)
{
	struct dp_routes_gen *g = &x->c->routes_gen;

	if (!strcmp(k, "count"))
		return GET_INT(x, v, 0, 16000000, g->count);
	if (!strcmp(k, "seed"))
		return GET_INT(x, v, 0, UINT32_MAX, g->seed);
	if (!strcmp(k, "via"))
		return get_addr(x, v, &g->via, 4);
	if (!strcmp(k, "port")) {
		x->gnode = v;
		return get_str(x, v, x->gport, DP_NAME_MAX);
	}
	return -ENOENT;
}

static int l2_pair(struct ctx *x, const char *k, yaml_node_t *v, void *a)
{
	struct dp_l2_conf *l = &x->c->l2;

	if (!strcmp(k, "learning"))
		return get_bool(x, v, &l->learning);
	if (!strcmp(k, "flood"))
		return get_bool(x, v, &l->flood);
	if (!strcmp(k, "aging_s"))
		return GET_INT(x, v, 0, 86400 * 365, l->aging_s);
	if (!strcmp(k, "size"))
		return GET_INT(x, v, 16, 1 << 24, l->size);
	return -ENOENT;
}

static int acl_rule_pair(struct ctx *x, const char *k, yaml_node_t *v,
			 void *a)
{
	struct dp_acl_rule_conf *r = &x->c->acl[(size_t)(uintptr_t)a];
	const char *s;
	int ret;

	if (!strcmp(k, "action")) {
		ret = want_scalar(x, v, &s);
		if (ret)
			return ret;
		if (!strcmp(s, "permit"))
			r->action = DP_ACL_PERMIT;
		else if (!strcmp(s, "deny"))
			r->action = DP_ACL_DENY;
		else
			return fail(x, v, "'%s': action is permit or deny", s);
		return 0;
	}
	if (!strcmp(k, "proto")) {
		ret = want_scalar(x, v, &s);
		if (ret)
			return ret;
		if (!strcmp(s, "any"))
			r->proto = 0;
		else if (!strcmp(s, "tcp"))
			r->proto = 6;
		else if (!strcmp(s, "udp"))
			r->proto = 17;
		else if (!strcmp(s, "icmp"))
			r->proto = 1;
		else if (!strcmp(s, "icmp6") || !strcmp(s, "ipv6-icmp"))
			r->proto = 58;
		else
			return GET_INT(x, v, 0, 255, r->proto);
		return 0;
	}
	if (!strcmp(k, "src"))
		return get_prefix(x, v, &r->src, &r->src_plen);
	if (!strcmp(k, "dst"))
		return get_prefix(x, v, &r->dst, &r->dst_plen);
	if (!strcmp(k, "sport"))
		return get_range(x, v, &r->sport_lo, &r->sport_hi);
	if (!strcmp(k, "dport"))
		return get_range(x, v, &r->dport_lo, &r->dport_hi);
	return -ENOENT;
}

static int acl_rule_item(struct ctx *x, yaml_node_t *v, size_t i, void *arg)
{
	struct dp_acl_rule_conf *r = &x->c->acl[i];
	int ret;

	memset(r, 0, sizeof(*r));
	r->sport_hi = r->dport_hi = 65535;
	ret = each_pair(x, v, acl_rule_pair, (void *)(uintptr_t)i);
	if (ret)
		return ret;
	if (r->src.family && r->dst.family && r->src.family != r->dst.family)
		return fail(x, v, "src and dst are of different families");
	r->family = r->src.family ? r->src.family : r->dst.family;
	x->c->nb_acl = i + 1;
	return 0;
}

static int acl_pair(struct ctx *x, const char *k, yaml_node_t *v, void *a)
{
	const char *s;
	int ret;

	if (!strcmp(k, "default")) {
		ret = want_scalar(x, v, &s);
		if (ret)
			return ret;
		if (!strcmp(s, "permit"))
			x->c->acl_default = DP_ACL_PERMIT;
		else if (!strcmp(s, "deny"))
			x->c->acl_default = DP_ACL_DENY;
		else
			return fail(x, v, "'%s': default is permit or deny",
				    s);
		return 0;
	}
	if (!strcmp(k, "rules")) {
		size_t n = seq_len(v);

		x->c->acl = calloc(n ? n : 1, sizeof(*x->c->acl));
		if (x->c->acl == NULL)
			return fail(x, v, "out of memory");
		return each_item(x, v, acl_rule_item, NULL);
	}
	return -ENOENT;
}

/* Allocate a table and its name/node side arrays for n items. */
static int alloc_side(struct ctx *x, yaml_node_t *v, void **arr, size_t sz,
		      char (**names)[DP_NAME_MAX], yaml_node_t ***nodes)
{
	size_t n = seq_len(v) ? seq_len(v) : 1;

	if (*arr != NULL) /* neighbours and neighbors both given */
		return fail(x, v, "the same list given twice");
	*arr = calloc(n, sz);
	*names = calloc(n, DP_NAME_MAX);
	*nodes = calloc(n, sizeof(**nodes));
	if (*arr == NULL || *names == NULL || *nodes == NULL)
		return fail(x, v, "out of memory");
	return 0;
}

/* ---- control ---- */

/* "ADDR:PORT", "[V6]:PORT": an IPv4 or IPv6 literal (the listeners bind
 * literals; no name lookups at load) and a port 0..65535. */
static int get_hostport(struct ctx *x, yaml_node_t *n, char *addr,
			size_t alen, uint16_t *port, bool *loopback)
{
	const char *s;
	int ret = want_scalar(x, n, &s);

	if (ret)
		return ret;
	ret = cp_hostport_parse(s, addr, alen, port, loopback);
	if (ret == -ERANGE)
		return fail(x, n, "'%s': port %lu is not in 0..65535", s,
			    strtoul(strrchr(s, ':') + 1, NULL, 10));
	if (ret == -EAFNOSUPPORT)
		return fail(x, n, "'%s': '%s' is not an IPv4 or IPv6 address",
			    s, addr);
	if (ret)
		return fail(x, n,
			    "'%s' is not ADDR:PORT (e.g. 127.0.0.1:9477 or "
			    "[::1]:9477)",
			    s);
	return 0;
}

/* The TCP token: a regular file (not a FIFO or device a load could block
 * on), at least 8 characters after trailing blanks, no NUL. */
static int get_token(struct ctx *x, yaml_node_t *n, struct cp_control_conf *c)
{
	size_t len = sizeof(c->token);
	struct stat st;
	ssize_t got;
	int fd, ret = get_str(x, n, c->token_file, sizeof(c->token_file));

	if (ret)
		return ret;
	fd = open(c->token_file, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return fail(x, n, "'%s': %s", c->token_file, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return fail(x, n, "'%s' is not a regular file", c->token_file);
	}
	got = read(fd, c->token, len - 1);
	if (got < 0) {
		ret = errno;
		close(fd);
		return fail(x, n, "'%s': %s", c->token_file, strerror(ret));
	}
	close(fd);
	c->token[got] = '\0';
	if (strlen(c->token) != (size_t)got) {
		c->token[0] = '\0';
		return fail(x, n, "'%s' contains a NUL byte", c->token_file);
	}
	while (got && (c->token[got - 1] == '\n' || c->token[got - 1] == '\r' ||
		       c->token[got - 1] == ' '))
		c->token[--got] = '\0';
	if ((size_t)got >= len - 1 && (size_t)st.st_size >= len) {
		c->token[0] = '\0';
		return fail(x, n, "'%s': token longer than %zu characters",
			    c->token_file, len - 1);
	}
	if (got < 8) {
		c->token[0] = '\0';
		return fail(x, n, "'%s': token shorter than 8 characters",
			    c->token_file);
	}
	return 0;
}

static int control_key(const char *k)
{
	for (int i = 0; i < CP_CTL__COUNT; i++)
		if (!strcmp(k, cp_control_key_name((enum cp_ctl_key)i)))
			return i;
	return -ENOENT;
}

static int control_pair(struct ctx *x, const char *k, yaml_node_t *v,
			void *arg)
{
	struct cp_control_conf *c = x->ctl;
	int key = control_key(k), ret;
	const char *s;

	if (key < 0)
		return key;
	x->ctl_node[key] = v;
	c->set |= 1u << key;
	c->line[key] = (unsigned int)v->start_mark.line + 1;
	c->col[key] = (unsigned int)v->start_mark.column + 1;
	switch ((enum cp_ctl_key)key) {
	case CP_CTL_SOCKET:
		if (v->type == YAML_SCALAR_NODE &&
		    !strcmp((const char *)v->data.scalar.value, "none")) {
			c->socket[0] = '\0';
			return 0;
		}
		return get_str(x, v, c->socket, sizeof(c->socket));
	case CP_CTL_SOCKET_MODE:
		ret = want_scalar(x, v, &s);
		if (ret)
			return ret;
		if (!s[0] || strlen(s) > 4 ||
		    strspn(s, "01234567") != strlen(s) ||
		    strtoul(s, NULL, 8) > 0777)
			return fail(x, v,
				    "'%s' is not an octal mode 0..0777 (e.g. "
				    "\"0660\")",
				    s);
		c->socket_mode = (unsigned int)strtoul(s, NULL, 8);
		return 0;
	case CP_CTL_SOCKET_GROUP:
		ret = get_str(x, v, c->socket_group, sizeof(c->socket_group));
		if (ret)
			return ret;
		if (strspn(c->socket_group, "0123456789") !=
			    strlen(c->socket_group) &&
		    getgrnam(c->socket_group) == NULL)
			return fail(x, v, "'%s': no such group",
				    c->socket_group);
		return 0;
	case CP_CTL_LOOP:
		ret = want_scalar(x, v, &s);
		if (ret)
			return ret;
		if (!strcmp(s, "auto") || !strcmp(s, "epoll") ||
		    !strcmp(s, "uring"))
			snprintf(c->loop, sizeof(c->loop), "%s", s);
		else if (!strcmp(s, "io_uring"))
			snprintf(c->loop, sizeof(c->loop), "uring");
		else
			return fail(x, v,
				    "'%s': loop is auto, uring (io_uring) or "
				    "epoll",
				    s);
		return 0;
	case CP_CTL_TCP:
		return get_hostport(x, v, c->tcp_addr, sizeof(c->tcp_addr),
				    &c->tcp_port, &x->tcp_loopback);
	case CP_CTL_TCP_ALLOW_REMOTE:
		return get_bool(x, v, &c->tcp_allow_remote);
	case CP_CTL_TOKEN_FILE:
		return get_token(x, v, c);
	case CP_CTL_METRICS:
		return get_hostport(x, v, c->metrics_addr,
				    sizeof(c->metrics_addr), &c->metrics_port,
				    &x->metrics_loopback);
	case CP_CTL_METRICS_ALLOW_REMOTE:
		return get_bool(x, v, &c->metrics_allow_remote);
	case CP_CTL_MAX_REQUEST:
		return GET_INT(x, v, CP_CTL_MAX_REQUEST_MIN,
			       CP_CTL_MAX_REQUEST_MAX, c->max_request);
	case CP_CTL_MAX_CLIENTS:
		return GET_INT(x, v, 1, 1000000, c->max_clients);
	case CP_CTL_IDLE_TIMEOUT_MS:
		return GET_INT(x, v, 0, 86400000, c->idle_timeout_ms);
	case CP_CTL_SAVE_TO:
		return get_str(x, v, c->save_to, sizeof(c->save_to));
	default:
		break;
	}
	(void)arg;
	return -ENOENT;
}

static int control_section(struct ctx *x, yaml_node_t *v)
{
	struct cp_control_conf *c = x->ctl;
	yaml_node_t *tcp, *met;
	int ret;

	c->sec_line = (unsigned int)v->start_mark.line + 1;
	c->sec_col = (unsigned int)v->start_mark.column + 1;
	ret = each_pair(x, v, control_pair, NULL);
	if (ret)
		return ret;
	tcp = x->ctl_node[CP_CTL_TCP];
	met = x->ctl_node[CP_CTL_METRICS];
	if (tcp) {
		snprintf(x->path, sizeof(x->path), "control.tcp");
		/* Its token may come from --token-file: checked on the
		 * merged settings (cp_daemon_conf_check). */
		if (!x->tcp_loopback && !c->tcp_allow_remote)
			return fail(x, tcp,
				    "%s is not a loopback address (set "
				    "control.tcp_allow_remote: true to listen "
				    "on it)",
				    c->tcp_addr);
	}
	if (met && !x->metrics_loopback && !c->metrics_allow_remote) {
		snprintf(x->path, sizeof(x->path), "control.metrics");
		return fail(x, met,
			    "%s is not a loopback address (set "
			    "control.metrics_allow_remote: true to serve on it)",
			    c->metrics_addr);
	}
	snprintf(x->path, sizeof(x->path), "control");
	return 0;
}

/* A loaded control: section against the pinned one: every key the
 * command line did not override must be the same (nothing of the control
 * plane changes at run time). */
static int control_unchanged(struct ctx *x, const struct cp_control_conf *n)
{
	char was[320], now[320];

	for (int k = 0; k < CP_CTL__COUNT; k++) {
		bool had, has;
		size_t line = n->line[k], col = n->col[k];

		if (pinned_mask & (1u << k))
			continue;
		had = cp_control_fmt(&pinned, (enum cp_ctl_key)k, was,
				     sizeof(was));
		has = cp_control_fmt(n, (enum cp_ctl_key)k, now, sizeof(now));
		if (!had)
			snprintf(was, sizeof(was), "(not set)");
		if (!has)
			snprintf(now, sizeof(now), "(not set)");
		if (!line) { /* key removed: the section, or the document */
			line = n->sec_line ? n->sec_line : 1;
			col = n->sec_col ? n->sec_col : 1;
		}
		snprintf(x->path, sizeof(x->path), "control.%s",
			 cp_control_key_name((enum cp_ctl_key)k));
		if (strcmp(was, now))
			return fail_at(x, line, col,
				       "cannot change at run time (running: "
				       "%s, file: %s); restart linerated to "
				       "apply it",
				       was, now);
		if (k == CP_CTL_TOKEN_FILE && strcmp(pinned.token, n->token))
			return fail_at(x, line, col,
				       "the token changed, which cannot "
				       "change at run time; restart linerated "
				       "to apply it");
	}
	x->path[0] = '\0';
	return 0;
}

void cp_config_control_pin(const struct cp_control_conf *file,
			   unsigned int cmdline_mask)
{
	pinned_set = file != NULL;
	if (file)
		pinned = *file;
	pinned_mask = cmdline_mask;
}

static int top_pair(struct ctx *x, const char *k, yaml_node_t *v, void *a)
{
	struct dp_config *c = x->c;
	int ret;

	if (!strcmp(k, "eal"))
		return each_pair(x, v, eal_pair, NULL);
	if (!strcmp(k, "ports"))
		return each_item(x, v, port_item, NULL);
	if (!strcmp(k, "workers")) {
		x->workers_given = true;
		return each_item(x, v, worker_item, NULL);
	}
	if (!strcmp(k, "l2"))
		return each_pair(x, v, l2_pair, NULL);
	if (!strcmp(k, "routes")) {
		ret = alloc_side(x, v, (void **)&c->routes, sizeof(*c->routes),
				 &x->rport, &x->rnode);
		return ret ? ret : each_item(x, v, route_item, NULL);
	}
	if (!strcmp(k, "neighbours") || !strcmp(k, "neighbors")) {
		ret = alloc_side(x, v, (void **)&c->neighs, sizeof(*c->neighs),
				 &x->nport, &x->nnode);
		return ret ? ret : each_item(x, v, neigh_item, NULL);
	}
	if (!strcmp(k, "macs")) {
		ret = alloc_side(x, v, (void **)&c->macs, sizeof(*c->macs),
				 &x->mport, &x->mnode);
		return ret ? ret : each_item(x, v, mac_item, NULL);
	}
	if (!strcmp(k, "routes_generate")) {
		x->rgen_node = v;
		return each_pair(x, v, rgen_pair, NULL);
	}
	if (!strcmp(k, "control"))
		return control_section(x, v);
	if (!strcmp(k, "acl"))
		return each_pair(x, v, acl_pair, NULL);
	if (!strcmp(k, "stats_interval_ms"))
		return GET_INT(x, v, 0, 3600000, c->stats_interval_ms);
	if (!strcmp(k, "duration_ms"))
		return GET_INT(x, v, 0, 86400000LL * 365, c->duration_ms);
	return -ENOENT;
}

/* ---- cross references and whole-model checks ---- */

static int resolve(struct ctx *x, const char *name, yaml_node_t *n,
		   const char *what, uint16_t *out)
{
	int id = dp_config_port_find(x->c, name);

	if (id < 0)
		return fail(x, n, "%s '%s' is not a configured port", what,
			    name);
	*out = (uint16_t)id;
	return 0;
}

/*
 * AF_XDP: queue q of every afxdp port shares one UMEM pool (q), whose free
 * list has no lock, so one thread must do all of queue q. A port's queue q
 * is polled by the q-th worker (in workers[] order) that lists the port:
 * every afxdp port that has a queue q must get the same worker for it.
 */
static int check_afxdp_pools(struct ctx *x)
{
	const struct dp_config *c = x->c;
	int owner[DP_WORKER_MAX]; /* worker of queue q, -1: none yet */
	uint16_t oport[DP_WORKER_MAX];
	uint16_t p, w, k, q;

	for (q = 0; q < DP_WORKER_MAX; q++)
		owner[q] = -1;
	for (p = 0; p < c->nb_ports; p++) {
		if (strcmp(c->ports[p].conf.backend, "afxdp") != 0)
			continue;
		for (w = 0, q = 0; w < c->nb_workers; w++) {
			for (k = 0; k < c->workers[w].nb_ports; k++)
				if (c->workers[w].ports[k] == p)
					break;
			if (k == c->workers[w].nb_ports)
				continue;
			if (owner[q] < 0) {
				owner[q] = w;
				oport[q] = p;
			} else if (owner[q] != w) {
				snprintf(x->path, sizeof(x->path),
					 "workers[%u]", w);
				return fail(x, x->worker_node[w],
					    "afxdp ports '%s' and '%s': queue "
					    "%u would be polled by workers[%d] "
					    "and workers[%u], but queue %u of "
					    "every afxdp port shares one UMEM "
					    "pool that only one thread may use: "
					    "list every afxdp port in the same "
					    "workers",
					    c->ports[oport[q]].conf.name,
					    c->ports[p].conf.name, q, owner[q],
					    w, q);
			}
			q++;
		}
	}
	return 0;
}

static int check(struct ctx *x, yaml_node_t *root)
{
	struct dp_config *c = x->c;
	bool polled[DP_PORT_MAX] = { false };
	size_t i;
	uint16_t p, k, w;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int ret;

	if (c->nb_ports == 0)
		return fail(x, root, "no ports: the 'ports' list is needed");
	for (p = 0; p < c->nb_ports; p++) {
		snprintf(x->path, sizeof(x->path), "ports[%u].peer", p);
		if (x->peer_name[p][0]) {
			ret = resolve(x, x->peer_name[p], x->peer_node[p],
				      "peer", &c->ports[p].peer);
			if (ret)
				return ret;
		}
	}
	if (!x->workers_given) {
		c->nb_workers = 1;
		c->workers[0].core = ncpu > 1 ? (int)ncpu - 1 : 0;
		c->workers[0].nb_ports = DP_NO_PORT;
	}
	for (w = 0; w < c->nb_workers; w++) {
		struct dp_worker_conf *wc = &c->workers[w];

		snprintf(x->path, sizeof(x->path), "workers[%u]", w);
		if (wc->core < 0)
			return fail(x, x->worker_node[w], "missing 'core'");
		if (wc->nb_ports == DP_NO_PORT) {
			wc->nb_ports = c->nb_ports;
			for (p = 0; p < c->nb_ports; p++)
				wc->ports[p] = p;
		} else {
			for (k = 0; k < wc->nb_ports; k++) {
				snprintf(x->path, sizeof(x->path),
					 "workers[%u].ports[%u]", w, k);
				ret = resolve(x, x->wport_name[w][k],
					      x->wport_node[w][k], "port",
					      &wc->ports[k]);
				if (ret)
					return ret;
				for (p = 0; p < k; p++)
					if (wc->ports[p] == wc->ports[k])
						return fail(x,
							    x->wport_node[w][k],
							    "port '%s' listed "
							    "twice",
							    x->wport_name[w][k]);
			}
		}
		for (k = 0; k < wc->nb_ports; k++)
			polled[wc->ports[k]] = true;
	}
	ret = check_afxdp_pools(x);
	if (ret)
		return ret;
	for (p = 0; p < c->nb_ports; p++) {
		snprintf(x->path, sizeof(x->path), "ports[%u]", p);
		if (c->ports[p].gen.enabled && !polled[p])
			return fail_at(x, c->ports[p].line, c->ports[p].col,
				    "port '%s' has a generator but no worker "
				    "lists it",
				    c->ports[p].conf.name);
		if (c->ports[p].rx_role == DP_RX_SINK && !polled[p])
			return fail_at(x, c->ports[p].line, c->ports[p].col,
				    "port '%s' is a sink but no worker lists it",
				    c->ports[p].conf.name);
	}
	for (i = 0; i < c->nb_routes; i++) {
		snprintf(x->path, sizeof(x->path), "routes[%zu].port", i);
		ret = resolve(x, x->rport[i], x->rnode[i], "port",
			      &c->routes[i].port);
		if (ret)
			return ret;
	}
	for (i = 0; i < c->nb_neighs; i++) {
		if (!x->nport[i][0])
			continue;
		snprintf(x->path, sizeof(x->path), "neighbours[%zu].port", i);
		ret = resolve(x, x->nport[i], x->nnode[i], "port",
			      &c->neighs[i].port);
		if (ret)
			return ret;
	}
	for (i = 0; i < c->nb_macs; i++) {
		snprintf(x->path, sizeof(x->path), "macs[%zu].port", i);
		ret = resolve(x, x->mport[i], x->mnode[i], "port",
			      &c->macs[i].port);
		if (ret)
			return ret;
	}
	if (c->routes_gen.count) {
		snprintf(x->path, sizeof(x->path), "routes_generate");
		if (!x->gport[0] || !c->routes_gen.via.family)
			return fail(x, x->rgen_node, "needs 'port' and 'via'");
		ret = resolve(x, x->gport, x->gnode, "port",
			      &c->routes_gen.port);
		if (ret)
			return ret;
	}
	x->path[0] = '\0';
	return 0;
}

static void ctx_free(struct ctx *x)
{
	free(x->rport);
	free(x->nport);
	free(x->mport);
	free(x->rnode);
	free(x->nnode);
	free(x->mnode);
}

static int load(yaml_parser_t *yp, const char *name, struct dp_config *out,
		struct cp_control_conf *ctl, char *err, size_t errlen)
{
	struct cp_control_conf own;
	yaml_document_t doc;
	yaml_node_t *root;
	struct ctx *x;
	int ret;

	if (ctl == NULL)
		ctl = &own;
	cp_control_conf_init(ctl);
	dp_config_init(out);
	snprintf(out->path, sizeof(out->path), "%s", name);
	if (!yaml_parser_load(yp, &doc)) {
		snprintf(err, errlen, "%s:%zu:%zu: YAML: %s %s", name,
			 yp->problem_mark.line + 1,
			 yp->problem_mark.column + 1,
			 yp->problem ? yp->problem : "syntax error",
			 yp->context ? yp->context : "");
		return -EINVAL;
	}
	x = calloc(1, sizeof(*x));
	if (x == NULL) {
		yaml_document_delete(&doc);
		snprintf(err, errlen, "%s: out of memory", name);
		return -ENOMEM;
	}
	x->file = name;
	x->doc = &doc;
	x->err = err;
	x->errlen = errlen;
	x->c = out;
	x->ctl = ctl;
	root = yaml_document_get_root_node(&doc);
	if (root == NULL) {
		/* No node at all (empty, or only comments): libyaml has no
		 * document to point into, so the file's start. */
		ret = fail_at(x, 1, 1,
			      "empty config: the 'ports' list is needed");
	} else {
		ctl->sec_line = (unsigned int)root->start_mark.line + 1;
		ctl->sec_col = (unsigned int)root->start_mark.column + 1;
		ret = each_pair(x, root, top_pair, NULL);
	}
	if (!ret)
		ret = check(x, root);
	if (!ret && pinned_set)
		ret = control_unchanged(x, ctl);
	ctx_free(x);
	free(x);
	yaml_document_delete(&doc);
	if (ret)
		dp_config_free(out);
	return ret;
}

int cp_config_parse_ctl(const char *yaml, size_t len, const char *name,
			struct dp_config *out, struct cp_control_conf *ctl,
			char *err, size_t errlen)
{
	yaml_parser_t yp;
	int ret;

	if (!yaml_parser_initialize(&yp)) {
		snprintf(err, errlen, "%s: YAML parser: out of memory", name);
		return -ENOMEM;
	}
	yaml_parser_set_input_string(&yp, (const unsigned char *)yaml, len);
	ret = load(&yp, name, out, ctl, err, errlen);
	yaml_parser_delete(&yp);
	return ret;
}

int cp_config_parse(const char *yaml, size_t len, const char *name,
		    struct dp_config *out, char *err, size_t errlen)
{
	return cp_config_parse_ctl(yaml, len, name, out, NULL, err, errlen);
}

int cp_config_load_ctl(const char *path, struct dp_config *out,
		       struct cp_control_conf *ctl, char *err, size_t errlen)
{
	yaml_parser_t yp;
	FILE *f;
	int ret;

	f = fopen(path, "r");
	if (f == NULL) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		dp_config_init(out);
		if (ctl)
			cp_control_conf_init(ctl);
		return ret;
	}
	if (!yaml_parser_initialize(&yp)) {
		fclose(f);
		snprintf(err, errlen, "%s: YAML parser: out of memory", path);
		return -ENOMEM;
	}
	yaml_parser_set_input_file(&yp, f);
	ret = load(&yp, path, out, ctl, err, errlen);
	yaml_parser_delete(&yp);
	fclose(f);
	return ret;
}

int cp_config_load(const char *path, struct dp_config *out, char *err,
		   size_t errlen)
{
	return cp_config_load_ctl(path, out, NULL, err, errlen);
}
