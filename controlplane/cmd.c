// SPDX-License-Identifier: MIT
/*
 * The verbs of cmd_table.h, run against struct cp_dp_ops.
 *
 * Dispatch is generated from the table: one handler per enum value, named
 * cmd_<enum in lower case>, collected by the same X-macro. Changes to tables
 * (routes, neighbours, ACL) copy the running model's array, change the copy
 * and publish it whole through the dataplane (RCU there), so a verb applies
 * completely or not at all.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "config_save.h"
#include "cp_addr.h"

struct cp_cmds {
	const struct cp_dp_ops *ops;
	void *dp;
	cp_status_fn status_fn;
	void *status_arg;
	char save_path[256];
	/* `stats clear`: show stats reports counters minus this. */
	unsigned int nb_base;
	struct dp_worker_stats *base;
	/* Per worker: the sink reset asked by `stats clear` has been seen,
	 * and base[w].sink zeroed. */
	bool *sink_reset_seen;
};

/* memcpy that accepts (NULL, 0): empty tables have no array. */
static void cpy(void *d, const void *s, size_t n)
{
	if (n)
		memcpy(d, s, n);
}

typedef json_t *(*cmd_fn)(struct cp_cmds *c, json_t *args, struct cp_error *e);

/* Length of the valid UTF-8 sequence at s (RFC 3629: no overlong forms,
 * no surrogates, nothing past U+10FFFF), 0 if invalid or cut short. */
static size_t utf8_seq(const unsigned char *s)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t n;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

/* Messages quote what the client sent, cut to a width (%.64s) or by the
 * buffer: a cut inside a multi-byte character is not UTF-8, and JSON
 * strings must be (the error would be lost). Such bytes become '?'. */
static void utf8_fix(char *str)
{
	unsigned char *s = (unsigned char *)str;

	while (*s) {
		size_t n = utf8_seq(s);

		if (!n) {
			*s++ = '?';
			continue;
		}
		s += n;
	}
}

void cp_error_set(struct cp_error *e, const char *code, const char *field,
		  const char *fmt, ...)
{
	va_list ap;

	e->code = code;
	snprintf(e->field, sizeof(e->field), "%s", field ? field : "");
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	utf8_fix(e->field);
	utf8_fix(e->msg);
}

json_t *cp_error_json(const struct cp_error *e)
{
	json_t *j = json_pack("{s:s, s:s}", "code", e->code ? e->code : "",
			      "message", e->msg);

	if (j && e->field[0])
		json_object_set_new(j, "field", json_string(e->field));
	return j;
}

const struct cp_dp_ops *cp_cmds_ops(struct cp_cmds *c)
{
	return c->ops;
}

void *cp_cmds_dp(struct cp_cmds *c)
{
	return c->dp;
}

int cp_cmds_new(struct cp_cmds **out, const struct cp_dp_ops *ops, void *dp)
{
	struct cp_cmds *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->ops = ops;
	c->dp = dp;
	*out = c;
	return 0;
}

void cp_cmds_free(struct cp_cmds *c)
{
	if (!c)
		return;
	free(c->base);
	free(c->sink_reset_seen);
	free(c);
}

void cp_cmds_set_status(struct cp_cmds *c, cp_status_fn fn, void *arg)
{
	c->status_fn = fn;
	c->status_arg = arg;
}

void cp_cmds_set_save_path(struct cp_cmds *c, const char *path)
{
	snprintf(c->save_path, sizeof(c->save_path), "%s", path);
}

/* ---- argument checks (generated from the spec strings) ---- */

static int check_value(const char *verb, const struct cp_arg_spec *s, json_t *v,
		       struct cp_error *e)
{
	const char *str = json_string_value(v);
	struct dp_addr a;
	uint8_t plen, mac[6];
	uint16_t lo, hi;
	int proto;

	if (!strcmp(s->type, "uint")) {
		if (json_is_integer(v) && json_integer_value(v) >= 0)
			return 0;
		cp_error_set(e, CP_E_INVALID, s->name,
			     "%s: '%s' must be a non-negative integer", verb,
			     s->name);
		return -EINVAL;
	}
	if (!strcmp(s->type, "bool")) {
		if (json_is_boolean(v))
			return 0;
		cp_error_set(e, CP_E_INVALID, s->name,
			     "%s: '%s' must be true or false", verb, s->name);
		return -EINVAL;
	}
	if (!strcmp(s->type, "port") && json_is_integer(v))
		return 0;
	if (!strcmp(s->type, "ports") || !strcmp(s->type, "devs")) {
		/* One string (ports: "a,b"; devs: "d0;d1"), or a list of
		 * them (ports: names or ids); cmd_port_backend resolves
		 * them. */
		size_t i, n = json_is_array(v) ? json_array_size(v) : 1;
		bool dev = s->type[0] == 'd';

		for (i = 0; i < n; i++) {
			json_t *x = json_is_array(v) ? json_array_get(v, i) : v;
			const char *xs = json_string_value(x);

			if ((!dev && json_is_integer(x)) ||
			    (xs && (dev || xs[0]) && strlen(xs) < 256 * 32))
				continue;
			cp_error_set(e, CP_E_INVALID, s->name,
				     "%s: '%s' must be %s", verb, s->name,
				     dev ? "a string or a list of strings"
					 : "a port name or id, a comma-"
					   "separated list of them, or a list");
			return -EINVAL;
		}
		return json_is_array(v) && n == 0
			       ? (cp_error_set(e, CP_E_INVALID, s->name,
					       "%s: '%s' is an empty list",
					       verb, s->name),
				  -EINVAL)
			       : 0;
	}
	if (!strcmp(s->type, "ipver") && json_is_integer(v))
		str = NULL; /* checked below */
	else if (!str) {
		cp_error_set(e, CP_E_INVALID, s->name,
			     "%s: '%s' must be a string", verb, s->name);
		return -EINVAL;
	}
	if (!strcmp(s->type, "prefix") && cp_prefix_parse(str, &a, &plen)) {
		cp_error_set(e, CP_E_INVALID, s->name,
			     "%s: invalid prefix '%s' (want A.B.C.D/N or "
			     "X:X::X/N, no host bits)",
			     verb, str);
		return -EINVAL;
	}
	if (!strcmp(s->type, "addr") && cp_addr_parse(str, &a)) {
		cp_error_set(e, CP_E_INVALID, s->name,
			     "%s: invalid address '%s'", verb, str);
		return -EINVAL;
	}
	if (!strcmp(s->type, "mac") && cp_mac_parse(str, mac)) {
		cp_error_set(e, CP_E_INVALID, s->name,
			     "%s: invalid MAC '%s' (want xx:xx:xx:xx:xx:xx)",
			     verb, str);
		return -EINVAL;
	}
	if (!strcmp(s->type, "range") && cp_range_parse(str, &lo, &hi)) {
		cp_error_set(e, CP_E_INVALID, s->name,
			     "%s: invalid port range '%s' (want N or N-M, "
			     "0..65535)",
			     verb, str);
		return -EINVAL;
	}
	if (!strcmp(s->type, "proto") && cp_proto_parse(str, &proto)) {
		cp_error_set(e, CP_E_INVALID, s->name,
			     "%s: invalid protocol '%s'", verb, str);
		return -EINVAL;
	}
	if (!strcmp(s->type, "action") && strcmp(str, "permit") &&
	    strcmp(str, "deny")) {
		cp_error_set(e, CP_E_INVALID, s->name,
			     "%s: action must be permit or deny, not '%s'",
			     verb, str);
		return -EINVAL;
	}
	if (!strcmp(s->type, "ipver")) {
		json_int_t ver = json_integer_value(v);

		if (str)
			ver = !strcmp(str, "4")	   ? 4
			      : !strcmp(str, "6")  ? 6
			      : !strcmp(str, "46") ? 46
						   : 0;
		if (ver != 4 && ver != 6 && ver != 46) {
			cp_error_set(e, CP_E_INVALID, s->name,
				     "%s: ip must be 4, 6 or 46", verb);
			return -EINVAL;
		}
	}
	if (!strcmp(s->type, "backend") ||
	    (!strcmp(s->type, "iomodel") && str[0])) {
		const char *const *ok = cp_arg_type_values(s->type);

		while (*ok && strcmp(*ok, str))
			ok++;
		if (!*ok) {
			cp_error_set(e, CP_E_INVALID, s->name,
				     "%s: unknown %s '%.64s'", verb, s->name,
				     str);
			return -EINVAL;
		}
	}
	if (!strcmp(s->type, "dev") && strlen(str) > 255) {
		cp_error_set(e, CP_E_INVALID, s->name,
			     "%s: '%s' longer than 255 characters", verb,
			     s->name);
		return -EINVAL;
	}
	if ((!strcmp(s->type, "path") || !strcmp(s->type, "port") ||
	     !strcmp(s->type, "mode")) &&
	    (!str[0] || strlen(str) > 255)) {
		cp_error_set(e, CP_E_INVALID, s->name,
			     "%s: '%s' must be 1 to 255 characters", verb,
			     s->name);
		return -EINVAL;
	}
	return 0;
}

int cp_cmd_check_args(enum cp_cmd_id id, json_t *args, struct cp_error *e)
{
	const char *verb = cp_cmd_info[id].verb;
	struct cp_arg_spec specs[16];
	int n = cp_cmd_args(id, specs, 16);
	const char *key;
	json_t *v;

	if (args && !json_is_object(args)) {
		cp_error_set(e, CP_E_BAD_REQUEST, "args",
			     "'args' must be an object");
		return -EINVAL;
	}
	json_object_foreach(args, key, v)
	{
		int i;

		for (i = 0; i < n; i++)
			if (!strcmp(specs[i].name, key))
				break;
		if (i == n) {
			cp_error_set(e, CP_E_INVALID, key,
				     "%s: unknown argument '%s'", verb, key);
			return -EINVAL;
		}
		if (check_value(verb, &specs[i], v, e))
			return -EINVAL;
	}
	for (int i = 0; i < n; i++) {
		if (specs[i].optional || json_object_get(args, specs[i].name))
			continue;
		cp_error_set(e, CP_E_INVALID, specs[i].name,
			     "%s: missing argument '%s' (%s)", verb,
			     specs[i].name, specs[i].type);
		return -EINVAL;
	}
	return 0;
}

static const char *arg_str(json_t *args, const char *name)
{
	return json_string_value(json_object_get(args, name));
}

static bool arg_uint(json_t *args, const char *name, uint64_t *out)
{
	json_t *v = json_object_get(args, name);

	if (!json_is_integer(v))
		return false;
	*out = (uint64_t)json_integer_value(v);
	return true;
}

static int arg_port(struct cp_cmds *c, json_t *args, const char *name,
		    uint16_t *out, struct cp_error *e)
{
	const struct dp_config *conf = c->ops->config(c->dp);
	json_t *v = json_object_get(args, name);
	const char *s = json_string_value(v);
	char *end;
	long id;

	if (json_is_integer(v)) {
		id = (long)json_integer_value(v);
		if (id >= 0 && id < conf->nb_ports)
			goto found;
		cp_error_set(e, CP_E_NOT_FOUND, name, "unknown port %ld", id);
		return -ENOENT;
	}
	for (id = 0; id < conf->nb_ports; id++)
		if (!strcmp(conf->ports[id].conf.name, s))
			goto found;
	id = strtol(s, &end, 10);
	if (!*end && end != s && id >= 0 && id < conf->nb_ports)
		goto found;
	cp_error_set(e, CP_E_NOT_FOUND, name, "unknown port '%s'", s);
	return -ENOENT;
found:
	*out = (uint16_t)id;
	return 0;
}

static const char *port_name(const struct dp_config *conf, uint16_t id)
{
	if (id < conf->nb_ports)
		return conf->ports[id].conf.name;
	return "any";
}

static json_t *failed(struct cp_error *e, const char *what, int ret,
		      const char *err)
{
	cp_error_set(e, CP_E_FAILED, "", "%s: %s", what,
		     err && err[0] ? err : strerror(-ret));
	return NULL;
}

static json_t *ok_empty(void)
{
	return json_object();
}

/* ---- status / show ---- */

static json_t *cmd_status(struct cp_cmds *c, json_t *args, struct cp_error *e)
{
	const struct dp_config *conf = c->ops->config(c->dp);
	json_t *r = json_object();
	unsigned int up = 0, running = 0;

	for (unsigned int i = 0; i < c->ops->port_count(c->dp); i++) {
		const struct dp_port *p = c->ops->port_get(c->dp, (uint16_t)i);

		up += p && p->up;
	}
	for (unsigned int w = 0; w < c->ops->worker_count(c->dp); w++) {
		struct dp_worker_info wi;

		if (c->ops->worker_get(c->dp, w, &wi) == 0)
			running += wi.running;
	}
	json_object_set_new(r, "config", json_string(conf->path));
	json_object_set_new(r, "ports", json_integer(conf->nb_ports));
	json_object_set_new(r, "ports_up", json_integer(up));
	json_object_set_new(r, "workers",
			    json_integer(c->ops->worker_count(c->dp)));
	json_object_set_new(r, "workers_running", json_integer(running));
	json_object_set_new(r, "routes",
			    json_integer((json_int_t)conf->nb_routes));
	json_object_set_new(r, "neighbours",
			    json_integer((json_int_t)conf->nb_neighs));
	json_object_set_new(r, "acl_rules",
			    json_integer((json_int_t)conf->nb_acl));
	if (c->status_fn) {
		json_t *d = c->status_fn(c->status_arg);

		if (d)
			json_object_update(r, d);
		json_decref(d);
	}
	return r;
}

/* The backend's own counters: {"name": value, ...}. */
static json_t *port_xstats(struct cp_cmds *c, uint16_t id)
{
	struct dp_port_kv kv[128];
	json_t *x = json_object();
	int n = c->ops->port_xstats(c->dp, id, kv, 128);

	for (int k = 0; k < n && k < 128; k++)
		if (kv[k].name)
			json_object_set_new(
				x, kv[k].name,
				json_integer((json_int_t)kv[k].value));
	return x;
}

static json_t *cmd_show_ports(struct cp_cmds *c, json_t *args,
			      struct cp_error *e)
{
	const struct dp_config *conf = c->ops->config(c->dp);
	json_t *arr = json_array();
	struct dp_worker_stats ws;
	unsigned int nw = c->ops->worker_count(c->dp);

	for (uint16_t i = 0; i < conf->nb_ports; i++) {
		const struct dp_port_entry *pe = &conf->ports[i];
		const struct dp_port *p = c->ops->port_get(c->dp, i);
		uint64_t rx = 0, tx = 0, rxb = 0, txb = 0;
		char mac[24];
		json_t *j;

		for (unsigned int w = 0; w < nw; w++) {
			if (c->ops->stats_worker(c->dp, w, &ws))
				continue;
			rx += ws.port[i].rx_pkts;
			tx += ws.port[i].tx_pkts;
			rxb += ws.port[i].rx_bytes;
			txb += ws.port[i].tx_bytes;
		}
		cp_mac_fmt(p ? p->mac : pe->conf.mac, mac, sizeof(mac));
		j = json_pack("{s:i, s:s, s:s, s:s, s:s, s:b, s:s, s:b, s:s}",
			      "id", i, "name", pe->conf.name, "backend",
			      pe->conf.backend, "dev", pe->conf.dev, "mac", mac,
			      "up", p ? p->up : 0, "mode",
			      c->ops->mode_name(pe->mode), "acl", pe->acl,
			      "io_mode", p ? p->mode_desc : "");
		json_object_set_new(
			j, "queues",
			json_integer(p ? p->nb_queues : pe->conf.nb_queues));
		json_object_set_new(j, "peer",
				    json_string(port_name(conf, pe->peer)));
		json_object_set_new(j, "rx_pkts", json_integer((json_int_t)rx));
		json_object_set_new(j, "tx_pkts", json_integer((json_int_t)tx));
		json_object_set_new(j, "rx_bytes",
				    json_integer((json_int_t)rxb));
		json_object_set_new(j, "tx_bytes",
				    json_integer((json_int_t)txb));
		json_object_set_new(j, "gen_running",
				    json_boolean(pe->gen.enabled));
		json_object_set_new(j, "xstats", port_xstats(c, i));
		json_array_append_new(arr, j);
	}
	return json_pack("{s:o}", "ports", arr);
}

static json_t *cmd_show_workers(struct cp_cmds *c, json_t *args,
				struct cp_error *e)
{
	const struct dp_config *conf = c->ops->config(c->dp);
	json_t *arr = json_array();

	for (unsigned int w = 0; w < c->ops->worker_count(c->dp); w++) {
		struct dp_worker_info wi;
		json_t *q = json_array();

		if (c->ops->worker_get(c->dp, w, &wi))
			continue;
		for (unsigned int k = 0; k < wi.nb_rxq && k < DP_PORT_MAX; k++)
			json_array_append_new(
				q, json_pack("{s:s, s:i}", "port",
					     port_name(conf, wi.rxq[k].port),
					     "queue", wi.rxq[k].queue));
		json_array_append_new(
			arr, json_pack("{s:i, s:i, s:i, s:b, s:o}", "worker", w,
				       "core", wi.core, "lcore", wi.lcore,
				       "running", wi.running, "rxq", q));
	}
	return json_pack("{s:o}", "workers", arr);
}

static json_t *stats_block(struct cp_cmds *c, const struct dp_worker_stats *s,
			   int port)
{
	json_t *j = json_object(), *drops = json_object();
	uint64_t dropped = 0;

#define U(name, v) json_object_set_new(j, name, json_integer((json_int_t)(v)))
	if (port < 0) {
		U("rx_pkts", s->rx_pkts);
		U("tx_pkts", s->tx_pkts);
	} else {
		U("rx_pkts", s->port[port].rx_pkts);
		U("tx_pkts", s->port[port].tx_pkts);
		U("rx_bytes", s->port[port].rx_bytes);
		U("tx_bytes", s->port[port].tx_bytes);
	}
	U("busy_cycles", s->busy_cycles);
	U("idle_cycles", s->idle_cycles);
	U("polls", s->polls);
	U("empty_polls", s->empty_polls);
	U("rx_bursts", s->rx_bursts);
	U("fast_bursts", s->fast_bursts);
	U("l2_learn_events", s->l2_learn_events);
	U("l2_learn_drops", s->l2_learn_drops);
	json_object_set_new(j, "cycles_per_pkt",
			    json_real(c->ops->cycles_per_pkt(s)));
	json_object_set_new(
		j, "busy_pct",
		json_real(s->busy_cycles + s->idle_cycles
				  ? 100.0 * (double)s->busy_cycles /
					    (double)(s->busy_cycles +
						     s->idle_cycles)
				  : 0.0));
	for (unsigned int r = 1; r < LR_R__COUNT; r++) {
		dropped += s->drops[r];
		if (s->drops[r])
			json_object_set_new(
				drops, lr_reason_name(r),
				json_integer((json_int_t)s->drops[r]));
	}
	U("dropped", dropped);
	json_object_set_new(j, "drops", drops);
	json_object_set_new(j, "gen",
			    json_pack("{s:I, s:I, s:I, s:I}", "pkts",
				      (json_int_t)s->gen.pkts, "bytes",
				      (json_int_t)s->gen.bytes, "no_buf",
				      (json_int_t)s->gen.no_buf, "tx_full",
				      (json_int_t)s->gen.tx_full));
	json_object_set_new(
		j, "sink",
		json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:f, s:f}",
			  "pkts", (json_int_t)s->sink.pkts, "bytes",
			  (json_int_t)s->sink.bytes, "foreign",
			  (json_int_t)s->sink.foreign, "lost",
			  (json_int_t)s->sink.lost, "reordered",
			  (json_int_t)s->sink.reordered, "dup",
			  (json_int_t)s->sink.dup, "lat_count",
			  (json_int_t)s->sink.lat_count, "lat_p50_ns",
			  c->ops->lat_pct_ns(&s->sink, s->tsc_hz, 50),
			  "lat_p99_ns",
			  c->ops->lat_pct_ns(&s->sink, s->tsc_hz, 99),
			  "lat_max_ns",
			  s->tsc_hz ? (double)s->sink.lat_max * 1e9 /
					      (double)s->tsc_hz
				    : 0.0));
#undef U
	return j;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void stats_add(struct dp_worker_stats *a,
		      const struct dp_worker_stats *b)
{
	const uint64_t *src = (const uint64_t *)b;
	uint64_t *dst = (uint64_t *)a;

	/* Every member is a uint64_t: add them all, keep tsc_hz. */
	for (size_t i = 1; i < sizeof(*a) / sizeof(uint64_t); i++)
		dst[i] += src[i];
	a->tsc_hz = b->tsc_hz;
	if (b->sink.lat_max > a->sink.lat_max)
		a->sink.lat_max = b->sink.lat_max;
}

static void stats_minus(struct dp_worker_stats *a,
			const struct dp_worker_stats *b)
{
	uint64_t *dst = (uint64_t *)a;
	const uint64_t *src = (const uint64_t *)b;
	uint64_t lat_max = a->sink.lat_max;

	for (size_t i = 1; i < sizeof(*a) / sizeof(uint64_t); i++)
		dst[i] = dst[i] >= src[i] ? dst[i] - src[i] : 0;
	a->sink.lat_max = lat_max;
}

_Static_assert(sizeof(struct dp_worker_stats) % sizeof(uint64_t) == 0,
	       "dp_worker_stats is made of uint64_t only");

/*
 * `stats clear` also resets the sinks, but the dataplane does that lazily
 * (a worker zeroes its sink counters at its next sink burst), so the base
 * snapshot may or may not predate the reset when show stats reads. The
 * counters only change in a sink burst, and a burst starts with the reset:
 * while they equal the base nothing has happened since the clear (minus
 * the base: 0); once they differ the reset has run and they count from 0,
 * so the base's sink part is zeroed for good. Subtracting a pre-reset base
 * from post-reset counters would read 0 until they passed the old totals.
 */
static void sink_base_fix(struct cp_cmds *c, unsigned int w,
			  const struct dp_worker_stats *ws)
{
	struct dp_sink_stats *b = &c->base[w].sink;

	if (c->sink_reset_seen[w] || !memcmp(&ws->sink, b, sizeof(*b)))
		return;
	memset(b, 0, sizeof(*b));
	c->sink_reset_seen[w] = true;
}

static int stats_port_arg(struct cp_cmds *c, json_t *args, struct cp_error *e)
{
	uint16_t p;

	if (!json_object_get(args, "port"))
		return -1;
	if (arg_port(c, args, "port", &p, e))
		return -2;
	return p;
}

static json_t *stats_json(struct cp_cmds *c, int port)
{
	unsigned int nw = c->ops->worker_count(c->dp);
	struct dp_worker_stats *ws = malloc(sizeof(*ws)), *tot;
	json_t *arr = json_array(), *r;

	tot = calloc(1, sizeof(*tot));
	if (!ws || !tot) {
		free(ws);
		free(tot);
		json_decref(arr);
		return NULL;
	}
	for (unsigned int w = 0; w < nw; w++) {
		struct dp_worker_info wi = {.core = -1};
		json_t *j;

		if (c->ops->stats_worker(c->dp, w, ws))
			continue;
		if (c->base && w < c->nb_base) {
			sink_base_fix(c, w, ws);
			stats_minus(ws, &c->base[w]);
		}
		c->ops->worker_get(c->dp, w, &wi);
		stats_add(tot, ws);
		j = stats_block(c, ws, port);
		json_object_set_new(j, "worker", json_integer(w));
		json_object_set_new(j, "core", json_integer(wi.core));
		json_array_append_new(arr, j);
	}
	r = json_object();
	json_object_set_new(r, "time_ns", json_integer((json_int_t)now_ns()));
	json_object_set_new(r, "tsc_hz", json_integer((json_int_t)tot->tsc_hz));
	if (port >= 0)
		json_object_set_new(r, "port",
				    json_string(port_name(c->ops->config(c->dp),
							  (uint16_t)port)));
	json_object_set_new(r, "workers", arr);
	json_object_set_new(r, "total", stats_block(c, tot, port));
	free(ws);
	free(tot);
	return r;
}

static json_t *cmd_show_stats(struct cp_cmds *c, json_t *args,
			      struct cp_error *e)
{
	int port = stats_port_arg(c, args, e);

	if (port == -2)
		return NULL;
	return stats_json(c, port);
}

static json_t *route_json(const struct dp_config *conf,
			  const struct dp_route_conf *rt)
{
	char pfx[64], via[64];
	json_t *j;

	cp_addr_fmt(&rt->prefix, pfx, sizeof(pfx));
	snprintf(pfx + strlen(pfx), sizeof(pfx) - strlen(pfx), "/%u", rt->plen);
	j = json_pack("{s:s, s:s}", "prefix", pfx, "port",
		      port_name(conf, rt->port));
	if (rt->via.family) {
		cp_addr_fmt(&rt->via, via, sizeof(via));
		json_object_set_new(j, "via", json_string(via));
	}
	return j;
}

static json_t *cmd_show_routes(struct cp_cmds *c, json_t *args,
			       struct cp_error *e)
{
	const struct dp_config *conf = c->ops->config(c->dp);
	json_t *arr = json_array(), *r;

	for (size_t i = 0; i < conf->nb_routes; i++)
		json_array_append_new(arr, route_json(conf, &conf->routes[i]));
	r = json_pack("{s:o}", "routes", arr);
	if (conf->routes_gen.count)
		json_object_set_new(r, "generated",
				    json_integer(conf->routes_gen.count));
	return r;
}

static json_t *cmd_show_neighbours(struct cp_cmds *c, json_t *args,
				   struct cp_error *e)
{
	const struct dp_config *conf = c->ops->config(c->dp);
	json_t *arr = json_array();

	for (size_t i = 0; i < conf->nb_neighs; i++) {
		const struct dp_neigh_conf *n = &conf->neighs[i];
		char a[64], mac[24];

		cp_addr_fmt(&n->addr, a, sizeof(a));
		cp_mac_fmt(n->mac, mac, sizeof(mac));
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s}", "addr",
						     a, "mac", mac, "port",
						     port_name(conf, n->port)));
	}
	return json_pack("{s:o}", "neighbours", arr);
}

static json_t *acl_rule_json(const struct dp_acl_rule_conf *r, size_t idx,
			     uint64_t hits)
{
	json_t *j =
		json_pack("{s:I, s:s, s:I}", "index", (json_int_t)idx, "action",
			  r->action == DP_ACL_DENY ? "deny" : "permit", "hits",
			  (json_int_t)hits);
	char buf[80];

	if (r->src.family) {
		cp_addr_fmt(&r->src, buf, sizeof(buf));
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "/%u",
			 r->src_plen);
		json_object_set_new(j, "src", json_string(buf));
	}
	if (r->dst.family) {
		cp_addr_fmt(&r->dst, buf, sizeof(buf));
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "/%u",
			 r->dst_plen);
		json_object_set_new(j, "dst", json_string(buf));
	}
	if (r->proto)
		json_object_set_new(
			j, "proto",
			json_string(cp_proto_name(r->proto, buf, sizeof(buf))));
	if (r->sport_lo != 0 || r->sport_hi != 65535)
		json_object_set_new(
			j, "sport",
			json_string(cp_range_fmt(r->sport_lo, r->sport_hi, buf,
						 sizeof(buf))));
	if (r->dport_lo != 0 || r->dport_hi != 65535)
		json_object_set_new(
			j, "dport",
			json_string(cp_range_fmt(r->dport_lo, r->dport_hi, buf,
						 sizeof(buf))));
	return j;
}

static json_t *cmd_show_acl(struct cp_cmds *c, json_t *args, struct cp_error *e)
{
	const struct dp_config *conf = c->ops->config(c->dp);
	uint64_t *hits = calloc(conf->nb_acl + 1, sizeof(*hits));
	json_t *arr = json_array();

	if (!hits)
		return NULL;
	c->ops->acl_hits(c->dp, hits, conf->nb_acl);
	for (size_t i = 0; i < conf->nb_acl; i++)
		json_array_append_new(arr,
				      acl_rule_json(&conf->acl[i], i, hits[i]));
	free(hits);
	return json_pack("{s:o, s:s}", "rules", arr, "default",
			 conf->acl_default == DP_ACL_DENY ? "deny" : "permit");
}

static json_t *cmd_show_config(struct cp_cmds *c, json_t *args,
			       struct cp_error *e)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	json_t *r;
	int ret;

	if (!f)
		return failed(e, "show config", -errno, NULL);
	ret = cp_config_emit(c->ops->config(c->dp), c->ops, f);
	fclose(f);
	if (ret < 0) {
		free(text);
		return failed(e, "show config", ret, NULL);
	}
	r = json_pack("{s:s%}", "yaml", text, len);
	free(text);
	return r;
}

/* ---- routes and neighbours ---- */

static json_t *publish_l3(struct cp_cmds *c, const struct dp_route_conf *rt,
			  size_t nrt, const struct dp_neigh_conf *nb,
			  size_t nnb, const char *what, struct cp_error *e)
{
	const struct dp_config *conf = c->ops->config(c->dp);
	char err[256] = "";
	int ret;

	ret = c->ops->routes_set(c->dp, rt, nrt, nb, nnb, &conf->routes_gen,
				 err, sizeof(err));
	if (ret < 0)
		return failed(e, what, ret, err);
	return ok_empty();
}

static json_t *cmd_route_add(struct cp_cmds *c, json_t *args,
			     struct cp_error *e)
{
	const struct dp_config *conf = c->ops->config(c->dp);
	struct dp_route_conf rt = {0}, *arr;
	size_t n = conf->nb_routes, i;
	json_t *r;

	cp_prefix_parse(arg_str(args, "prefix"), &rt.prefix, &rt.plen);
	if (arg_port(c, args, "port", &rt.port, e))
		return NULL;
	if (arg_str(args, "via")) {
		cp_addr_parse(arg_str(args, "via"), &rt.via);
		if (rt.via.family != rt.prefix.family) {
			cp_error_set(e, CP_E_INVALID, "via",
				     "route add: next hop %s is not IPv%u",
				     arg_str(args, "via"), rt.prefix.family);
			return NULL;
		}
	}
	arr = calloc(n + 1, sizeof(*arr));
	if (!arr)
		return failed(e, "route add", -ENOMEM, NULL);
	cpy(arr, conf->routes, n * sizeof(*arr));
	for (i = 0; i < n; i++)
		if (arr[i].plen == rt.plen &&
		    !memcmp(&arr[i].prefix, &rt.prefix, sizeof(rt.prefix)))
			break;
	arr[i] = rt;
	r = publish_l3(c, arr, i == n ? n + 1 : n, conf->neighs,
		       conf->nb_neighs, "route add", e);
	if (r)
		json_object_set_new(r, "replaced", json_boolean(i < n));
	free(arr);
	return r;
}

static json_t *cmd_route_del(struct cp_cmds *c, json_t *args,
			     struct cp_error *e)
{
	const struct dp_config *conf = c->ops->config(c->dp);
	struct dp_route_conf rt = {0}, *arr;
	size_t n = conf->nb_routes, i;
	json_t *r;

	cp_prefix_parse(arg_str(args, "prefix"), &rt.prefix, &rt.plen);
	for (i = 0; i < n; i++)
		if (conf->routes[i].plen == rt.plen &&
		    !memcmp(&conf->routes[i].prefix, &rt.prefix,
			    sizeof(rt.prefix)))
			break;
	if (i == n) {
		cp_error_set(e, CP_E_NOT_FOUND, "prefix",
			     "route del: no route %s", arg_str(args, "prefix"));
		return NULL;
	}
	arr = calloc(n, sizeof(*arr));
	if (!arr)
		return failed(e, "route del", -ENOMEM, NULL);
	cpy(arr, conf->routes, i * sizeof(*arr));
	cpy(arr + i, conf->routes + i + 1, (n - i - 1) * sizeof(*arr));
	r = publish_l3(c, arr, n - 1, conf->neighs, conf->nb_neighs,
		       "route del", e);
	free(arr);
	return r;
}

static json_t *cmd_neigh_add(struct cp_cmds *c, json_t *args,
			     struct cp_error *e)
{
	const struct dp_config *conf = c->ops->config(c->dp);
	struct dp_neigh_conf nb = {.port = DP_NO_PORT}, *arr;
	size_t n = conf->nb_neighs, i;
	json_t *r;

	cp_addr_parse(arg_str(args, "addr"), &nb.addr);
	cp_mac_parse(arg_str(args, "mac"), nb.mac);
	if (json_object_get(args, "port") &&
	    arg_port(c, args, "port", &nb.port, e))
		return NULL;
	arr = calloc(n + 1, sizeof(*arr));
	if (!arr)
		return failed(e, "neighbour add", -ENOMEM, NULL);
	cpy(arr, conf->neighs, n * sizeof(*arr));
	for (i = 0; i < n; i++)
		if (!memcmp(&arr[i].addr, &nb.addr, sizeof(nb.addr)))
			break;
	arr[i] = nb;
	r = publish_l3(c, conf->routes, conf->nb_routes, arr,
		       i == n ? n + 1 : n, "neighbour add", e);
	if (r)
		json_object_set_new(r, "replaced", json_boolean(i < n));
	free(arr);
	return r;
}

static json_t *cmd_neigh_del(struct cp_cmds *c, json_t *args,
			     struct cp_error *e)
{
	const struct dp_config *conf = c->ops->config(c->dp);
	struct dp_addr a = {0};
	struct dp_neigh_conf *arr;
	size_t n = conf->nb_neighs, i;
	json_t *r;

	cp_addr_parse(arg_str(args, "addr"), &a);
	for (i = 0; i < n; i++)
		if (!memcmp(&conf->neighs[i].addr, &a, sizeof(a)))
			break;
	if (i == n) {
		cp_error_set(e, CP_E_NOT_FOUND, "addr",
			     "neighbour del: no neighbour %s",
			     arg_str(args, "addr"));
		return NULL;
	}
	arr = calloc(n, sizeof(*arr));
	if (!arr)
		return failed(e, "neighbour del", -ENOMEM, NULL);
	cpy(arr, conf->neighs, i * sizeof(*arr));
	cpy(arr + i, conf->neighs + i + 1, (n - i - 1) * sizeof(*arr));
	r = publish_l3(c, conf->routes, conf->nb_routes, arr, n - 1,
		       "neighbour del", e);
	free(arr);
	return r;
}

/* ---- ACL ---- */

static json_t *publish_acl(struct cp_cmds *c, struct dp_acl_rule_conf *arr,
			   size_t n, const char *what, struct cp_error *e)
{
	char err[256] = "";
	int ret = c->ops->acl_set(c->dp, arr, n,
				  c->ops->config(c->dp)->acl_default, err,
				  sizeof(err));

	free(arr);
	if (ret < 0)
		return failed(e, what, ret, err);
	return ok_empty();
}

static json_t *cmd_acl_add(struct cp_cmds *c, json_t *args, struct cp_error *e)
{
	const struct dp_config *conf = c->ops->config(c->dp);
	struct dp_acl_rule_conf rule = {
		.sport_hi = 65535,
		.dport_hi = 65535,
	};
	struct dp_acl_rule_conf *arr;
	size_t n = conf->nb_acl;
	uint64_t idx = n;
	int proto;
	json_t *r;

	rule.action = !strcmp(arg_str(args, "action"), "deny") ? DP_ACL_DENY
							       : DP_ACL_PERMIT;
	if (arg_str(args, "src"))
		cp_prefix_parse(arg_str(args, "src"), &rule.src,
				&rule.src_plen);
	if (arg_str(args, "dst"))
		cp_prefix_parse(arg_str(args, "dst"), &rule.dst,
				&rule.dst_plen);
	if (rule.src.family && rule.dst.family &&
	    rule.src.family != rule.dst.family) {
		cp_error_set(e, CP_E_INVALID, "dst",
			     "acl add: src is IPv%u, dst is IPv%u",
			     rule.src.family, rule.dst.family);
		return NULL;
	}
	rule.family = rule.src.family ? rule.src.family : rule.dst.family;
	if (arg_str(args, "proto")) {
		cp_proto_parse(arg_str(args, "proto"), &proto);
		rule.proto = (uint8_t)proto;
	}
	if (arg_str(args, "sport"))
		cp_range_parse(arg_str(args, "sport"), &rule.sport_lo,
			       &rule.sport_hi);
	if (arg_str(args, "dport"))
		cp_range_parse(arg_str(args, "dport"), &rule.dport_lo,
			       &rule.dport_hi);
	if ((arg_str(args, "sport") || arg_str(args, "dport")) &&
	    rule.proto != 6 && rule.proto != 17) {
		cp_error_set(e, CP_E_INVALID, "proto",
			     "acl add: ports need proto tcp or udp");
		return NULL;
	}
	if (arg_uint(args, "index", &idx) && idx > n) {
		cp_error_set(e, CP_E_INVALID, "index",
			     "acl add: index %llu beyond the %zu rules",
			     (unsigned long long)idx, n);
		return NULL;
	}
	arr = calloc(n + 1, sizeof(*arr));
	if (!arr)
		return failed(e, "acl add", -ENOMEM, NULL);
	cpy(arr, conf->acl, idx * sizeof(*arr));
	arr[idx] = rule;
	if (idx < n)
		cpy(arr + idx + 1, conf->acl + idx, (n - idx) * sizeof(*arr));
	r = publish_acl(c, arr, n + 1, "acl add", e);
	if (r)
		json_object_set_new(r, "index", json_integer((json_int_t)idx));
	return r;
}

static json_t *cmd_acl_del(struct cp_cmds *c, json_t *args, struct cp_error *e)
{
	const struct dp_config *conf = c->ops->config(c->dp);
	size_t n = conf->nb_acl;
	struct dp_acl_rule_conf *arr;
	uint64_t idx = UINT64_MAX; /* required: checked before we run */

	arg_uint(args, "index", &idx);
	if (idx >= n) {
		cp_error_set(e, CP_E_NOT_FOUND, "index",
			     "acl del: no rule %llu (%zu rules)",
			     (unsigned long long)idx, n);
		return NULL;
	}
	arr = calloc(n, sizeof(*arr));
	if (!arr)
		return failed(e, "acl del", -ENOMEM, NULL);
	cpy(arr, conf->acl, idx * sizeof(*arr));
	cpy(arr + idx, conf->acl + idx + 1, (n - idx - 1) * sizeof(*arr));
	return publish_acl(c, arr, n - 1, "acl del", e);
}

static json_t *cmd_acl_move(struct cp_cmds *c, json_t *args, struct cp_error *e)
{
	const struct dp_config *conf = c->ops->config(c->dp);
	size_t n = conf->nb_acl;
	struct dp_acl_rule_conf *arr, rule;
	uint64_t from = UINT64_MAX, to = UINT64_MAX; /* required, as above */

	arg_uint(args, "from", &from);
	arg_uint(args, "to", &to);
	if (from >= n || to >= n) {
		cp_error_set(e, CP_E_NOT_FOUND, from >= n ? "from" : "to",
			     "acl move: no rule %llu (%zu rules)",
			     (unsigned long long)(from >= n ? from : to), n);
		return NULL;
	}
	arr = calloc(n, sizeof(*arr));
	if (!arr)
		return failed(e, "acl move", -ENOMEM, NULL);
	cpy(arr, conf->acl, n * sizeof(*arr));
	rule = arr[from];
	if (from < to)
		memmove(arr + from, arr + from + 1, (to - from) * sizeof(*arr));
	else
		memmove(arr + to + 1, arr + to, (from - to) * sizeof(*arr));
	arr[to] = rule;
	return publish_acl(c, arr, n, "acl move", e);
}

/* ---- ports, modes ---- */

static json_t *cmd_mode_set(struct cp_cmds *c, json_t *args, struct cp_error *e)
{
	char err[256] = "";
	uint16_t p;
	int mode, ret;

	if (arg_port(c, args, "port", &p, e))
		return NULL;
	mode = c->ops->mode_parse(arg_str(args, "mode"));
	if (mode < 0) {
		cp_error_set(e, CP_E_INVALID, "mode",
			     "mode set: unknown mode '%s' (io, macswap, l2, "
			     "l3)",
			     arg_str(args, "mode"));
		return NULL;
	}
	ret = c->ops->port_set_mode(c->dp, p, (enum dp_fwd_mode)mode, err,
				    sizeof(err));
	if (ret < 0)
		return failed(e, "mode set", ret, err);
	return ok_empty();
}

static json_t *cmd_port_start(struct cp_cmds *c, json_t *args,
			      struct cp_error *e)
{
	char err[256] = "";
	uint16_t p;
	int ret;

	if (arg_port(c, args, "port", &p, e))
		return NULL;
	ret = c->ops->port_start(c->dp, p, err, sizeof(err));
	if (ret < 0)
		return failed(e, "port start", ret, err);
	return ok_empty();
}

/* Port name or id s (its length l) -> id, or -ENOENT. */
static int port_lookup(const struct dp_config *conf, const char *s, size_t l)
{
	char buf[DP_NAME_MAX], *end;
	long id;

	if (l == 0 || l >= sizeof(buf))
		return -ENOENT;
	memcpy(buf, s, l);
	buf[l] = '\0';
	for (id = 0; id < conf->nb_ports; id++)
		if (!strcmp(conf->ports[id].conf.name, buf))
			return (int)id;
	id = strtol(buf, &end, 10);
	if (!*end && id >= 0 && id < conf->nb_ports)
		return (int)id;
	return -ENOENT;
}

/* args.port: "a,b", ["a", 1] or one name/id -> ids (each once). */
static int backend_ports(const struct dp_config *conf, json_t *v,
			 uint16_t *ids, struct cp_error *e)
{
	size_t n = json_is_array(v) ? json_array_size(v) : 1, i, k;
	const char *s = json_string_value(v);
	int nb = 0, id;

	if (s && !json_is_array(v))
		n = 0; /* a string: split on ',' below */
	for (i = 0; i < n; i++) {
		json_t *x = json_is_array(v) ? json_array_get(v, i) : v;
		const char *xs = json_string_value(x);

		if (json_is_integer(x))
			id = json_integer_value(x) >= 0 &&
					     json_integer_value(x) <
						     conf->nb_ports
				     ? (int)json_integer_value(x)
				     : -ENOENT;
		else
			id = port_lookup(conf, xs, strlen(xs));
		if (id < 0) {
			if (xs)
				cp_error_set(e, CP_E_NOT_FOUND, "port",
					     "unknown port '%s'", xs);
			else
				cp_error_set(e, CP_E_NOT_FOUND, "port",
					     "unknown port %lld",
					     (long long)json_integer_value(x));
			return -ENOENT;
		}
		if (nb == DP_PORT_MAX)
			goto too_many;
		ids[nb++] = (uint16_t)id;
	}
	while (s && !json_is_array(v)) {
		size_t l = strcspn(s, ",");
		size_t b = 0;

		while (b < l && s[b] == ' ')
			b++;
		while (l > b && s[l - 1] == ' ')
			l--;
		id = port_lookup(conf, s + b, l - b);
		if (id < 0) {
			cp_error_set(e, CP_E_NOT_FOUND, "port",
				     "unknown port '%.*s'", (int)(l - b),
				     s + b);
			return -ENOENT;
		}
		if (nb == DP_PORT_MAX)
			goto too_many;
		ids[nb++] = (uint16_t)id;
		s += strcspn(s, ",");
		s = *s ? s + 1 : NULL;
	}
	for (i = 0; i < (size_t)nb; i++)
		for (k = 0; k < i; k++)
			if (ids[i] == ids[k]) {
				cp_error_set(e, CP_E_INVALID, "port",
					     "port %s: named twice",
					     conf->ports[ids[i]].conf.name);
				return -EINVAL;
			}
	return nb;
too_many:
	cp_error_set(e, CP_E_INVALID, "port", "more than %d ports",
		     DP_PORT_MAX);
	return -EINVAL;
}

/* The interface a port's device names: a DPDK vdev's iface= (af_packet,
 * af_xdp), a kernel or afxdp port's dev up to its first ','. */
/* Zero every string field past its NUL: a conf copied from another and
 * written with a shorter string must not keep the old one's tail (the
 * dataplane and a later reload compare confs). */
static void conf_strings_clean(struct dp_port_conf *p)
{
	size_t l;

	l = strnlen(p->name, sizeof(p->name));
	memset(p->name + l, 0, sizeof(p->name) - l);
	l = strnlen(p->backend, sizeof(p->backend));
	memset(p->backend + l, 0, sizeof(p->backend) - l);
	l = strnlen(p->dev, sizeof(p->dev));
	memset(p->dev + l, 0, sizeof(p->dev) - l);
	l = strnlen(p->io_model, sizeof(p->io_model));
	memset(p->io_model + l, 0, sizeof(p->io_model) - l);
}

static bool dev_iface(const struct dp_port_conf *c, char *ifname, size_t len)
{
	const char *s = c->dev;

	if (!strcmp(c->backend, "dpdk")) {
		s = strstr(c->dev, "iface=");
		if (!s)
			return false;
		s += 6;
	}
	if (!s[0] || strcspn(s, ",") >= len)
		return false;
	snprintf(ifname, len, "%.*s", (int)strcspn(s, ","), s);
	return true;
}

/*
 * port backend: each named port's running conf with what the request
 * changes, applied as one batch by dp_ports_reopen (all or nothing: every
 * port keeps its old conf on failure). dev: one per port (a list, or
 * ';'-separated); none or "": the port's own device, its interface carried
 * across backends (a kernel/afxdp port's interface X becomes DPDK
 * "net_af_packet_<port>,iface=X,qpairs=<workers>", a DPDK vdev's iface=X
 * the kernel/afxdp interface X). One qpair per worker gives each worker a
 * TX queue; the port's pollers read all the qpairs' RX queues between
 * them (port_dpdk.c rx_spread: net_af_packet fans received flows out to
 * every qpair).
 */
static json_t *cmd_port_backend(struct cp_cmds *c, json_t *args,
				struct cp_error *e)
{
	const struct dp_config *conf = c->ops->config(c->dp);
	const char *backend = arg_str(args, "backend"), *s;
	json_t *v, *dv = json_object_get(args, "dev"), *r, *list;
	struct dp_port_conf pc[DP_PORT_MAX];
	uint16_t ids[DP_PORT_MAX];
	char err[1024] = "", names[512] = "", devs[1024] = "";
	const char *dsplit = NULL, *dstr = json_string_value(dv);
	int n, i, ret;

	n = backend_ports(conf, json_object_get(args, "port"), ids, e);
	if (n < 0)
		return NULL;
	if (!c->ops->ports_reopen && (!c->ops->port_reopen || n > 1)) {
		cp_error_set(e, CP_E_FAILED, "", "port backend: this dataplane "
			     "cannot reopen %s",
			     n > 1 ? "several ports at once" : "ports");
		return NULL;
	}
	if (json_is_array(dv) && json_array_size(dv) != (size_t)n) {
		cp_error_set(e, CP_E_INVALID, "dev",
			     "port backend: %zu devices for %d ports (one "
			     "per port, in order)",
			     json_array_size(dv), n);
		return NULL;
	}
	if (dstr && dstr[0] && n > 1) {
		int k = 1;

		for (const char *q = dstr; (q = strchr(q, ';')); q++)
			k++;
		if (k != n) {
			cp_error_set(e, CP_E_INVALID, "dev",
				     "port backend: '%.64s' names %d "
				     "device(s) for %d ports (one per port, "
				     "';'-separated or a list)",
				     dstr, k, n);
			return NULL;
		}
		dsplit = dstr;
	}
	for (i = 0; i < n; i++) {
		const struct dp_port_conf *old = &conf->ports[ids[i]].conf;
		struct dp_port_conf *p = &pc[i];
		const char *d = NULL;
		char ifname[IF_NAMESIZE];
		size_t dl = 0;

		*p = *old;
		snprintf(p->backend, sizeof(p->backend), "%s", backend);
		if (json_is_array(dv)) {
			d = json_string_value(json_array_get(dv, i));
			dl = strlen(d);
		} else if (dsplit) {
			d = dsplit;
			dl = strcspn(d, ";");
			dsplit += dl + (d[dl] == ';');
		} else if (dstr) {
			d = dstr;
			dl = strlen(dstr);
		}
		if (dl >= sizeof(p->dev)) {
			cp_error_set(e, CP_E_INVALID, "dev",
				     "port %s: dev longer than %zu characters",
				     old->name, sizeof(p->dev) - 1);
			return NULL;
		}
		if (dl) {
			snprintf(p->dev, sizeof(p->dev), "%.*s", (int)dl, d);
		} else if (strcmp(old->backend, backend) &&
			   dev_iface(old, ifname, sizeof(ifname))) {
			if (!strcmp(backend, "dpdk"))
				snprintf(p->dev, sizeof(p->dev),
					 "net_af_packet_%s,iface=%s,qpairs=%u",
					 old->name, ifname,
					 conf->nb_workers ? conf->nb_workers
							  : 1);
			else
				snprintf(p->dev, sizeof(p->dev), "%s", ifname);
		}
		s = arg_str(args, "io_model");
		if (s)
			snprintf(p->io_model, sizeof(p->io_model), "%s", s);
		v = json_object_get(args, "xdp_skb");
		if (v)
			p->xdp_skb = json_is_true(v);
		v = json_object_get(args, "zerocopy");
		if (v)
			p->zerocopy = json_is_true(v);
		conf_strings_clean(p);
	}
	if (c->ops->ports_reopen)
		ret = c->ops->ports_reopen(c->dp, (unsigned int)n, ids, pc, err,
					   sizeof(err));
	else
		ret = c->ops->port_reopen(c->dp, ids[0], &pc[0], err,
					  sizeof(err));
	if (ret < 0)
		return failed(e, "port backend (the ports keep their old "
			      "backends unless said)", ret, err);
	conf = c->ops->config(c->dp);
	list = json_array();
	for (i = 0; i < n; i++) {
		const struct dp_port_conf *pcn = &conf->ports[ids[i]].conf;
		const struct dp_port *dp = c->ops->port_get(c->dp, ids[i]);
		size_t l = strlen(names), m = strlen(devs);

		snprintf(names + l, sizeof(names) - l, "%s%s", i ? "," : "",
			 pcn->name);
		snprintf(devs + m, sizeof(devs) - m, "%s%s", i ? ";" : "",
			 pcn->dev);
		json_array_append_new(
			list, json_pack("{s:s, s:s, s:s, s:s, s:s}", "port",
					pcn->name, "backend", pcn->backend,
					"dev", pcn->dev, "io_model",
					pcn->io_model, "io_mode",
					dp ? dp->mode_desc : ""));
	}
	r = json_pack("{s:s, s:s, s:s, s:s, s:o}", "port", names, "backend",
		      backend, "dev", devs, "io_model",
		      conf->ports[ids[0]].conf.io_model, "ports", list);
	return r;
}

static json_t *cmd_port_stop(struct cp_cmds *c, json_t *args,
			     struct cp_error *e)
{
	uint16_t p;
	int ret;

	if (arg_port(c, args, "port", &p, e))
		return NULL;
	ret = c->ops->port_stop(c->dp, p);
	if (ret < 0)
		return failed(e, "port stop", ret, NULL);
	return ok_empty();
}

/* ---- stats ---- */

static json_t *cmd_stats_clear(struct cp_cmds *c, json_t *args,
			       struct cp_error *e)
{
	unsigned int nw = c->ops->worker_count(c->dp);
	struct dp_worker_stats *b = calloc(nw ? nw : 1, sizeof(*b));
	bool *seen = calloc(nw ? nw : 1, sizeof(*seen));

	if (!b || !seen) {
		free(b);
		free(seen);
		return failed(e, "stats clear", -ENOMEM, NULL);
	}
	for (unsigned int w = 0; w < nw; w++)
		c->ops->stats_worker(c->dp, w, &b[w]);
	free(c->base);
	free(c->sink_reset_seen);
	c->sink_reset_seen = seen;
	c->base = b;
	c->nb_base = nw;
	c->ops->sink_reset(c->dp);
	return ok_empty();
}

static json_t *cmd_stats_watch(struct cp_cmds *c, json_t *args,
			       struct cp_error *e)
{
	uint64_t ms = 1000;

	arg_uint(args, "interval", &ms);
	if (ms && (ms < 10 || ms > 3600000)) {
		cp_error_set(
			e, CP_E_INVALID, "interval",
			"stats watch: interval %llu ms outside 10..3600000 "
			"(0 stops)",
			(unsigned long long)ms);
		return NULL;
	}
	return json_pack("{s:I}", "interval", (json_int_t)ms);
}

/* ---- config ---- */

static json_t *cmd_config_reload(struct cp_cmds *c, json_t *args,
				 struct cp_error *e)
{
	const char *path = arg_str(args, "path");
	struct dp_config *n;
	char err[512] = "";
	int ret;

	if (!path)
		path = c->ops->config(c->dp)->path;
	if (!path[0]) {
		cp_error_set(e, CP_E_INVALID, "path",
			     "config reload: no file given and none loaded");
		return NULL;
	}
	n = malloc(sizeof(*n));
	if (!n)
		return failed(e, "config reload", -ENOMEM, NULL);
	ret = c->ops->config_load(path, n, err, sizeof(err));
	if (ret < 0) {
		free(n);
		cp_error_set(e, CP_E_INVALID, "path", "config reload: %s",
			     err[0] ? err : strerror(-ret));
		return NULL;
	}
	ret = c->ops->apply(c->dp, n, err, sizeof(err));
	c->ops->config_free(n);
	free(n);
	if (ret < 0)
		return failed(e, "config reload (nothing applied)", ret, err);
	return json_pack("{s:s}", "path", path);
}

static json_t *cmd_config_save(struct cp_cmds *c, json_t *args,
			       struct cp_error *e)
{
	const struct dp_config *conf = c->ops->config(c->dp);
	const char *path = arg_str(args, "path");
	char err[512] = "";
	int ret;

	if (!path)
		path = c->save_path[0] ? c->save_path : conf->path;
	if (!path[0]) {
		cp_error_set(e, CP_E_INVALID, "path",
			     "config save: no file given and none loaded");
		return NULL;
	}
	ret = cp_config_save(conf, c->ops, path, err, sizeof(err));
	if (ret < 0) {
		cp_error_set(e, CP_E_FAILED, "path", "config save: %s", err);
		return NULL;
	}
	return json_pack("{s:s}", "path", path);
}

/* ---- generator ---- */

static json_t *cmd_gen_start(struct cp_cmds *c, json_t *args,
			     struct cp_error *e)
{
	uint16_t p;
	int ret;

	if (arg_port(c, args, "port", &p, e))
		return NULL;
	ret = c->ops->gen_start(c->dp, p);
	if (ret < 0)
		return failed(e, "gen start", ret, NULL);
	return ok_empty();
}

static json_t *cmd_gen_stop(struct cp_cmds *c, json_t *args, struct cp_error *e)
{
	uint16_t p;
	int ret;

	if (arg_port(c, args, "port", &p, e))
		return NULL;
	ret = c->ops->gen_stop(c->dp, p);
	if (ret < 0)
		return failed(e, "gen stop", ret, NULL);
	return ok_empty();
}

static json_t *cmd_gen_set(struct cp_cmds *c, json_t *args, struct cp_error *e)
{
	const struct dp_config *conf = c->ops->config(c->dp);
	struct dp_gen_conf g;
	char err[256] = "";
	json_t *v;
	uint64_t u;
	uint16_t p;
	int ret;

	if (arg_port(c, args, "port", &p, e))
		return NULL;
	g = conf->ports[p].gen;
	if (arg_uint(args, "rate", &u))
		g.rate_pps = u;
	if (arg_uint(args, "count", &u))
		g.count = u;
	if (arg_uint(args, "size", &u)) {
		if (u < 64 || u > 1518) {
			cp_error_set(e, CP_E_INVALID, "size",
				     "gen set: size %llu outside 64..1518",
				     (unsigned long long)u);
			return NULL;
		}
		g.frame_size = (uint16_t)u;
	}
	if (arg_uint(args, "flows", &u)) {
		if (u < 1 || u > 65536) {
			cp_error_set(e, CP_E_INVALID, "flows",
				     "gen set: flows %llu outside 1..65536",
				     (unsigned long long)u);
			return NULL;
		}
		g.flows = (uint32_t)u;
	}
	v = json_object_get(args, "imix");
	if (v)
		g.imix = json_is_true(v);
	v = json_object_get(args, "ip");
	if (v)
		g.ip_version = (uint8_t)(json_is_integer(v)
						 ? json_integer_value(v)
						 : strtol(json_string_value(v),
							  NULL, 10));
	g.enabled = true;
	ret = c->ops->gen_set(c->dp, p, &g, err, sizeof(err));
	if (ret < 0)
		return failed(e, "gen set", ret, err);
	return ok_empty();
}

/* ---- help ---- */

static json_t *verb_help(enum cp_cmd_id id)
{
	return json_pack("{s:s, s:s, s:s}", "verb", cp_cmd_info[id].verb,
			 "args", cp_cmd_info[id].args, "help",
			 cp_cmd_info[id].help);
}

static json_t *cmd_help(struct cp_cmds *c, json_t *args, struct cp_error *e)
{
	const char *verb = arg_str(args, "verb");
	json_t *arr;

	if (verb) {
		int id = cp_cmd_lookup(verb);

		if (id < 0) {
			cp_error_set(e, CP_E_NOT_FOUND, "verb",
				     "help: unknown verb '%s'", verb);
			return NULL;
		}
		return verb_help((enum cp_cmd_id)id);
	}
	arr = json_array();
	for (int i = 0; i < CP_CMD__COUNT; i++)
		json_array_append_new(arr, verb_help((enum cp_cmd_id)i));
	return json_pack("{s:o}", "verbs", arr);
}

/* ---- dispatch, generated from the table ---- */

static const cmd_fn handlers[CP_CMD__COUNT] = {
#define CP_CMD_HANDLER(e, fn, verb, args, help) [CP_CMD_##e] = cmd_##fn,
	CP_FOREACH_CMD(CP_CMD_HANDLER)
#undef CP_CMD_HANDLER
};

json_t *cp_cmds_exec(struct cp_cmds *c, enum cp_cmd_id id, json_t *args,
		     struct cp_error *e)
{
	json_t *r;

	if ((unsigned int)id >= CP_CMD__COUNT || !handlers[id]) {
		cp_error_set(e, CP_E_UNKNOWN_COMMAND, "cmd", "no handler");
		return NULL;
	}
	e->code = NULL;
	r = handlers[id](c, args, e);
	if (!r && !e->code)
		cp_error_set(e, CP_E_INTERNAL, "", "%s: out of memory",
			     cp_cmd_info[id].verb);
	return r;
}
