// SPDX-License-Identifier: MIT
/*
 * YAML emitter of the config model, the inverse of config.c's loader: the
 * same keys, in a fixed order, every value written explicitly (defaults
 * too), so emit(load(emit(m))) == emit(m) byte for byte.
 *
 * The control: section is not in the dataplane model: the daemon registers
 * the settings it runs with (cp_config_save_set_control) and every emit
 * writes them, in CP_CTL_KEYS order; without a registration (the unit
 * tests' fake daemon) no control: section is written.
 *
 * Saving is atomic: write "<path>.tmp.<pid>" in the same directory, fsync
 * it, rename over path, fsync the directory. A failure at any step leaves
 * path as it was and removes the temporary file.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "config_save.h"
#include "cp_addr.h"

static struct cp_control_conf control;
static bool control_set;

void cp_config_save_set_control(const struct cp_control_conf *c)
{
	control_set = c != NULL;
	if (c)
		control = *c;
}

static void emit_control(FILE *f, const struct cp_control_conf *c)
{
	char v[320];

	fprintf(f, "control:\n");
	for (int k = 0; k < CP_CTL__COUNT; k++)
		if (cp_control_fmt(c, (enum cp_ctl_key)k, v, sizeof(v)))
			fprintf(f, "  %s: %s\n",
				cp_control_key_name((enum cp_ctl_key)k), v);
}

static const char *yes(bool b)
{
	return b ? "true" : "false";
}

/* Double-quoted YAML scalar (names and device strings may hold ':' ','). */
static void emit_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void emit_prefix(FILE *f, const struct dp_addr *a, unsigned int plen)
{
	char buf[64];

	fprintf(f, "%s/%u", cp_addr_fmt(a, buf, sizeof(buf)), plen);
}

static const char *port_ref(const struct dp_config *c, uint16_t id)
{
	return id < c->nb_ports ? c->ports[id].conf.name : "";
}

static const char *rx_role_name(enum dp_rx_role r)
{
	switch (r) {
	case DP_RX_SINK:
		return "sink";
	case DP_RX_DROP:
		return "drop";
	default:
		return "forward";
	}
}

static void emit_gen(FILE *f, const struct dp_gen_conf *g)
{
	char a[64], mac[24];

	fprintf(f, "    generator:\n");
	fprintf(f, "      ip_version: %u\n", g->ip_version);
	if (g->imix)
		fprintf(f, "      frame_size: imix\n");
	else
		fprintf(f, "      frame_size: %u\n", g->frame_size);
	fprintf(f, "      flows: %u\n", g->flows);
	fprintf(f, "      rate_pps: %llu\n", (unsigned long long)g->rate_pps);
	fprintf(f, "      count: %llu\n", (unsigned long long)g->count);
	if (g->src_mac_set)
		fprintf(f, "      src_mac: \"%s\"\n",
			cp_mac_fmt(g->src_mac, mac, sizeof(mac)));
	fprintf(f, "      dst_mac: \"%s\"\n",
		cp_mac_fmt(g->dst_mac, mac, sizeof(mac)));
	if (g->src4.family)
		fprintf(f, "      src_ip: \"%s\"\n",
			cp_addr_fmt(&g->src4, a, sizeof(a)));
	if (g->dst4.family)
		fprintf(f, "      dst_ip: \"%s\"\n",
			cp_addr_fmt(&g->dst4, a, sizeof(a)));
	if (g->src6.family)
		fprintf(f, "      src_ip6: \"%s\"\n",
			cp_addr_fmt(&g->src6, a, sizeof(a)));
	if (g->dst6.family)
		fprintf(f, "      dst_ip6: \"%s\"\n",
			cp_addr_fmt(&g->dst6, a, sizeof(a)));
	fprintf(f, "      sport: %u\n", g->sport);
	fprintf(f, "      dport: %u\n", g->dport);
	fprintf(f, "      dst_step: %u\n", g->dst_step);
	fprintf(f, "      autostart: %s\n", yes(g->autostart));
}

static void emit_ports(FILE *f, const struct dp_config *c,
		       const struct cp_dp_ops *ops)
{
	char mac[24];

	fprintf(f, "ports:\n");
	for (uint16_t i = 0; i < c->nb_ports; i++) {
		const struct dp_port_entry *p = &c->ports[i];
		const struct dp_port_conf *pc = &p->conf;

		fprintf(f, "  - name: ");
		emit_str(f, pc->name);
		fprintf(f, "\n    backend: %s\n    dev: ", pc->backend);
		emit_str(f, pc->dev);
		fputc('\n', f);
		if (pc->io_model[0])
			fprintf(f, "    io_model: %s\n", pc->io_model);
		fprintf(f, "    rx_ring: %u\n    tx_ring: %u\n", pc->rx_ring,
			pc->tx_ring);
		fprintf(f, "    mtu: %u\n", pc->mtu);
		if (pc->mac_set)
			fprintf(f, "    mac: \"%s\"\n",
				cp_mac_fmt(pc->mac, mac, sizeof(mac)));
		fprintf(f, "    xdp_skb: %s\n    zerocopy: %s\n    force: %s\n",
			yes(pc->xdp_skb), yes(pc->zerocopy), yes(pc->force));
		fprintf(f, "    sqpoll_cpu: %d\n", pc->sqpoll_cpu);
		fprintf(f, "    mode: %s\n", ops->mode_name(p->mode));
		fprintf(f, "    rx: %s\n", rx_role_name(p->rx_role));
		fprintf(f, "    acl: %s\n", yes(p->acl));
		if (p->peer < c->nb_ports) {
			fprintf(f, "    peer: ");
			emit_str(f, port_ref(c, p->peer));
			fputc('\n', f);
		}
		if (p->gen.enabled)
			emit_gen(f, &p->gen);
	}
}

static void emit_port_key(FILE *f, const char *indent,
			  const struct dp_config *c, uint16_t port)
{
	if (port >= c->nb_ports)
		return;
	fprintf(f, "%sport: ", indent);
	emit_str(f, port_ref(c, port));
	fputc('\n', f);
}

int cp_config_emit(const struct dp_config *c, const struct cp_dp_ops *ops,
		   FILE *f)
{
	const struct dp_eal_conf *e = &c->eal;
	char a[64], mac[24];

	fprintf(f, "# linerated configuration (written by config save)\n");
	fprintf(f, "eal:\n");
	if (e->file_prefix[0]) {
		fprintf(f, "  file_prefix: ");
		emit_str(f, e->file_prefix);
		fputc('\n', f);
	}
	fprintf(f, "  memory_mb: %u\n", e->mem_mb);
	fprintf(f, "  hugepages: %s\n",
		e->hugepages < 0 ? "auto"
		: e->hugepages	 ? "true"
				 : "false");
	fprintf(f, "  in_memory: %s\n", yes(e->in_memory));
	fprintf(f, "  main_core: %d\n", e->main_core);
	if (e->log_level[0]) {
		fprintf(f, "  log_level: ");
		emit_str(f, e->log_level);
		fputc('\n', f);
	}
	if (e->nb_args) {
		fprintf(f, "  args:\n");
		for (int i = 0; i < e->nb_args; i++) {
			fprintf(f, "    - ");
			emit_str(f, e->args[i]);
			fputc('\n', f);
		}
	}
	emit_ports(f, c, ops);
	if (c->nb_workers) {
		fprintf(f, "workers:\n");
		for (uint16_t w = 0; w < c->nb_workers; w++) {
			fprintf(f, "  - core: %d\n    ports: [",
				c->workers[w].core);
			for (uint16_t k = 0; k < c->workers[w].nb_ports; k++) {
				fprintf(f, k ? ", " : "");
				emit_str(f,
					 port_ref(c, c->workers[w].ports[k]));
			}
			fprintf(f, "]\n");
		}
	}
	fprintf(f,
		"l2:\n  learning: %s\n  flood: %s\n  aging_s: %u\n"
		"  size: %u\n",
		yes(c->l2.learning), yes(c->l2.flood), c->l2.aging_s,
		c->l2.size);
	if (c->nb_routes) {
		fprintf(f, "routes:\n");
		for (size_t i = 0; i < c->nb_routes; i++) {
			const struct dp_route_conf *r = &c->routes[i];

			fprintf(f, "  - prefix: ");
			emit_prefix(f, &r->prefix, r->plen);
			fputc('\n', f);
			emit_port_key(f, "    ", c, r->port);
			if (r->via.family)
				fprintf(f, "    via: %s\n",
					cp_addr_fmt(&r->via, a, sizeof(a)));
		}
	}
	if (c->routes_gen.count) {
		fprintf(f, "routes_generate:\n  count: %u\n  seed: %u\n",
			c->routes_gen.count, c->routes_gen.seed);
		emit_port_key(f, "  ", c, c->routes_gen.port);
		if (c->routes_gen.via.family)
			fprintf(f, "  via: %s\n",
				cp_addr_fmt(&c->routes_gen.via, a, sizeof(a)));
	}
	if (c->nb_neighs) {
		fprintf(f, "neighbours:\n");
		for (size_t i = 0; i < c->nb_neighs; i++) {
			const struct dp_neigh_conf *n = &c->neighs[i];

			fprintf(f, "  - ip: %s\n    mac: \"%s\"\n",
				cp_addr_fmt(&n->addr, a, sizeof(a)),
				cp_mac_fmt(n->mac, mac, sizeof(mac)));
			emit_port_key(f, "    ", c, n->port);
		}
	}
	if (c->nb_macs) {
		fprintf(f, "macs:\n");
		for (size_t i = 0; i < c->nb_macs; i++) {
			fprintf(f, "  - mac: \"%s\"\n",
				cp_mac_fmt(c->macs[i].mac, mac, sizeof(mac)));
			emit_port_key(f, "    ", c, c->macs[i].port);
		}
	}
	fprintf(f, "acl:\n  default: %s\n",
		c->acl_default == DP_ACL_DENY ? "deny" : "permit");
	if (c->nb_acl)
		fprintf(f, "  rules:\n");
	for (size_t i = 0; i < c->nb_acl; i++) {
		const struct dp_acl_rule_conf *r = &c->acl[i];

		fprintf(f, "    - action: %s\n",
			r->action == DP_ACL_DENY ? "deny" : "permit");
		if (r->src.family) {
			fprintf(f, "      src: ");
			emit_prefix(f, &r->src, r->src_plen);
			fputc('\n', f);
		}
		if (r->dst.family) {
			fprintf(f, "      dst: ");
			emit_prefix(f, &r->dst, r->dst_plen);
			fputc('\n', f);
		}
		if (r->proto)
			fprintf(f, "      proto: %u\n", r->proto);
		if (r->sport_lo || r->sport_hi != 65535)
			fprintf(f, "      sport: \"%s\"\n",
				cp_range_fmt(r->sport_lo, r->sport_hi, a,
					     sizeof(a)));
		if (r->dport_lo || r->dport_hi != 65535)
			fprintf(f, "      dport: \"%s\"\n",
				cp_range_fmt(r->dport_lo, r->dport_hi, a,
					     sizeof(a)));
	}
	fprintf(f, "stats_interval_ms: %u\n", c->stats_interval_ms);
	fprintf(f, "duration_ms: %u\n", c->duration_ms);
	if (control_set)
		emit_control(f, &control);
	return ferror(f) ? -EIO : 0;
}

int cp_config_save(const struct dp_config *c, const struct cp_dp_ops *ops,
		   const char *path, char *err, size_t errlen)
{
	char tmp[4096], dir[4096];
	FILE *f = NULL;
	int fd = -1, dfd, ret;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >=
	    (int)sizeof(tmp)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -ENAMETOOLONG;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", tmp, strerror(-ret));
		return ret;
	}
	f = fdopen(fd, "w");
	if (!f) {
		ret = -errno;
		close(fd);
		goto fail;
	}
	ret = cp_config_emit(c, ops, f);
	if (ret == 0 && fflush(f) != 0)
		ret = -errno;
	if (ret == 0 && fsync(fileno(f)) < 0)
		ret = -errno;
	if (fclose(f) != 0 && ret == 0)
		ret = -errno;
	if (ret < 0)
		goto fail;
	if (rename(tmp, path) < 0) {
		ret = -errno;
		goto fail;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
fail:
	snprintf(err, errlen, "writing %s: %s", path, strerror(-ret));
	unlink(tmp);
	return ret;
}
