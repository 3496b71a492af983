// SPDX-License-Identifier: MIT
/*
 * The dataplane's life cycle and control-side API (dp.h): EAL start-up,
 * queue plan, mempool, ports, tables, workers, counters, RCU publishes.
 * Everything here runs on the control thread; the hot path is worker.c and
 * the fwd_*.c stages.
 *
 * Queue plan: port p gets one RX queue per worker that polls it (queue =
 * the worker's rank among them). Every worker also has a TX queue of its
 * own on every port it may send to, so no queue is ever shared between
 * threads: DPDK ports get one TX queue per worker; a kernel port's RX
 * queues also send, and it gets one TX-only socket more for each worker
 * that does not poll it. A worker that polls port p transmits on its RX
 * queue's number (rank); the others on nb_pollers + their rank among the
 * non-pollers. AF_XDP keeps TX paired with RX (a TX-only socket would need
 * a UMEM of its own or break the one-thread-per-pool rule): a worker sends
 * on an afxdp port only when it polls it (so nobody sends on an afxdp port
 * no worker polls), else its packets for it count as PORT_DOWN (dp_create
 * logs a warning naming the worker and port).
 *
 * Run-time backend switch (dp_ports_reopen, at the end of the ports part):
 * a batch of ports goes admin down, each running worker flushes its TX
 * buffers and lets go of their queues in its own thread, a grace period
 * follows (every wait bounded by DP_QUIESCE_MS, an error naming the worker
 * past it); then all are closed and all opened with the new confs, or all
 * with their old ones again. An afxdp port never joins or leaves alone:
 * the other afxdp ports (one UMEM pool per queue index) come along.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>

#include "dp_internal.h"
#if LR_HAVE_AFXDP_PORT
#include "afxdp/afxdp.h"
#endif

#define DP_MP_CACHE 256

static int log_level = DP_LOG_INFO;

void dp_log_set_level(int level)
{
	log_level = level;
}

void dp_logf(int lvl, const char *fmt, ...)
{
	static const char *const pfx[] = { "error", "warning", "info",
					   "debug" };
	va_list ap;

	if (lvl > log_level)
		return;
	fprintf(stderr, "linerated: %s: ", pfx[lvl]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ---- EAL ---- */

static bool eal_up;

static long free_hugepages_mb(void)
{
	FILE *f = fopen("/sys/kernel/mm/hugepages/hugepages-2048kB/"
			"free_hugepages",
			"r");
	long n = 0;

	if (f == NULL)
		return 0;
	if (fscanf(f, "%ld", &n) != 1)
		n = 0;
	fclose(f);
	return n * 2;
}

static bool is_pci(const char *dev)
{
	unsigned int a, b, c, d;

	return sscanf(dev, "%x:%x:%x.%x", &a, &b, &c, &d) == 4 ||
	       sscanf(dev, "%x:%x.%x", &b, &c, &d) == 3;
}

static bool uses_backend(const struct dp_config *c, const char *be)
{
	uint16_t i;

	for (i = 0; i < c->nb_ports; i++)
		if (strcmp(c->ports[i].conf.backend, be) == 0)
			return true;
	return false;
}

static uint32_t mbufs_needed(const struct dp_config *c)
{
	uint32_t n = 0, nw = c->nb_workers ? c->nb_workers : 1;
	uint16_t i;

	for (i = 0; i < c->nb_ports; i++) {
		const struct dp_port_conf *pc = &c->ports[i].conf;
		uint32_t rx = pc->rx_ring ? pc->rx_ring : 1024;
		uint32_t tx = pc->tx_ring ? pc->tx_ring : 1024;
		uint32_t nq = 0, w, k;

		if (strcmp(pc->backend, "dpdk") != 0)
			continue;
		for (w = 0; w < c->nb_workers; w++)
			for (k = 0; k < c->workers[w].nb_ports; k++)
				nq += c->workers[w].ports[k] == i;
		n += (nq ? nq : 1) * rx + nw * tx;
	}
	/* Per worker: mempool cache, a TX buffer per port, the burst in
	 * flight, a generator burst; then some slack. */
	n += nw * (DP_MP_CACHE * 3 / 2 + DP_BURST * (c->nb_ports + 2));
	return n + 1024;
}

static uint32_t eal_mem_mb(const struct dp_config *c)
{
	uint64_t mb = (uint64_t)mbufs_needed(c) *
			      (RTE_MBUF_DEFAULT_BUF_SIZE + 256) >>
		      20;

	/* Tables: a DIR24_8 IPv4 FIB is 32 MiB of tbl24 plus tbl8s and its
	 * RIB (~64 B a route), the IPv6 TRIE another 32 MiB; twice, so that
	 * a replacement can be built beside the live table. */
	{
		size_t i, n4 = c->routes_gen.count, n6 = 0;
		uint64_t t = 0;

		for (i = 0; i < c->nb_routes; i++)
			c->routes[i].prefix.family == 4 ? n4++ : n6++;
		if (n4)
			t += 40 + (n4 * 100 >> 20);
		if (n6)
			t += 48 + (n6 * 2048 >> 20);
		mb += 2 * t;
	}
	return (uint32_t)(mb + 64);
}

int dp_eal_init(const struct dp_config *c, const char *argv0, char *err,
		size_t errlen)
{
	char *argv[32 + DP_EAL_ARGS_MAX];
	char buf[8][160];
	int argc = 0, nb = 0, ret, i;
	uint32_t mem = c->eal.mem_mb ? c->eal.mem_mb : eal_mem_mb(c);
	long free_mb = free_hugepages_mb();
	bool huge = c->eal.hugepages == 1 ||
		    (c->eal.hugepages == -1 && free_mb >= (long)mem);
	bool pci = false;
	uint16_t p;

	if (eal_up)
		return 0;
	if (c->eal.hugepages == 1 && free_mb < (long)mem) {
		snprintf(err, errlen,
			 "eal: hugepages required but only %ld MiB free "
			 "(%u MiB wanted): reserve more "
			 "(scripts/setup.sh --hugepages N)",
			 free_mb, mem);
		return -ENOMEM;
	}
	for (p = 0; p < c->nb_ports; p++)
		pci |= strcmp(c->ports[p].conf.backend, "dpdk") == 0 &&
		       is_pci(c->ports[p].conf.dev);
	argv[argc++] = (char *)argv0;
	if (c->eal.main_core >= 0) {
		snprintf(buf[nb], sizeof(buf[nb]), "-l%d", c->eal.main_core);
		argv[argc++] = buf[nb++];
	}
	if (c->eal.file_prefix[0])
		snprintf(buf[nb], sizeof(buf[nb]), "--file-prefix=%s",
			 c->eal.file_prefix);
	else
		snprintf(buf[nb], sizeof(buf[nb]), "--file-prefix=lr-%d",
			 (int)getpid());
	argv[argc++] = buf[nb++];
	if (huge) {
		if (c->eal.mem_mb) {
			snprintf(buf[nb], sizeof(buf[nb]), "-m%u", mem);
			argv[argc++] = buf[nb++];
		}
		if (!c->eal.in_memory)
			argv[argc++] = "--huge-unlink";
	} else {
		argv[argc++] = "--no-huge";
		snprintf(buf[nb], sizeof(buf[nb]), "-m%u", mem);
		argv[argc++] = buf[nb++];
	}
	if (c->eal.in_memory)
		argv[argc++] = "--in-memory";
	if (!pci)
		argv[argc++] = "--no-pci";
	snprintf(buf[nb], sizeof(buf[nb]), "--log-level=%s",
		 c->eal.log_level[0] ? c->eal.log_level : "notice");
	argv[argc++] = buf[nb++];
	for (i = 0; i < c->eal.nb_args; i++)
		argv[argc++] = (char *)c->eal.args[i];
	argv[argc] = NULL;

	if (huge)
		dp_log(DP_LOG_INFO, "eal: hugepages (%ld MiB free, ~%u MiB "
		       "wanted)", free_mb, mem);
	else
		dp_log(DP_LOG_WARN,
		       "eal: no hugepages %s (%ld MiB free, %u MiB wanted): "
		       "running with --no-huge -m %u, expect ~3x lower rates; "
		       "reserve some with scripts/setup.sh",
		       c->eal.hugepages == 0 ? "by config" : "available",
		       free_mb, mem, mem);
	{
		char line[1024];
		size_t o = 0;

		for (i = 1; i < argc && o < sizeof(line); i++)
			o += (size_t)snprintf(line + o, sizeof(line) - o,
					      " %s", argv[i]);
		dp_log(DP_LOG_DEBUG, "eal args:%s", line);
	}
	ret = rte_eal_init(argc, argv);
	if (ret < 0) {
		snprintf(err, errlen, "eal: rte_eal_init failed: %s",
			 rte_strerror(rte_errno));
		return -rte_errno ? -rte_errno : -EINVAL;
	}
	eal_up = true;
	return 0;
}

/* EAL leaves its runtime directory (/var/run/dpdk/<prefix>: config and
 * fbarray files) behind; with a prefix per process they would pile up. */
static void remove_runtime_dir(const char *dir)
{
	struct dirent *e;
	char path[PATH_MAX];
	DIR *d = opendir(dir);

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >=
		    (int)sizeof(path))
			continue; /* cannot be one of EAL's files */
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

void dp_eal_cleanup(void)
{
	char dir[PATH_MAX];

	if (!eal_up)
		return;
	snprintf(dir, sizeof(dir), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	remove_runtime_dir(dir);
	eal_up = false;
}

/* ---- create / start / stop / destroy ---- */

/* The port's name from its conf (both DP_NAME_MAX arrays inside *dp: a
 * memcpy, as gcc 12's -Wrestrict cannot tell snprintf they are apart). */
static void port_name_set(struct dp_port *p, const char *name)
{
	size_t n = strnlen(name, sizeof(p->name) - 1);

	memcpy(p->name, name, n);
	p->name[n] = '\0';
}

static int open_port(struct dp *dp, uint16_t id, char *err, size_t errlen)
{
	const struct dp_port_conf *c = &dp->conf.ports[id].conf;
	struct dp_port *p = &dp->ports[id];
	struct dp_port_conf pc = *c;
	int ret;

	memset(p, 0, sizeof(*p));
	p->id = id;
	port_name_set(p, c->name);
	pc.nb_queues = dp->rt[id].nb_pollers ? dp->rt[id].nb_pollers : 1;
	/* Kernel: a TX-only socket for every worker that does not poll it. */
	pc.nb_txq = (uint16_t)dp->nb_workers;
	if (pc.nb_txq < pc.nb_queues)
		pc.nb_txq = pc.nb_queues;
	if (strcmp(c->backend, "dpdk") == 0) {
		ret = dp_dpdk_open(p, &pc, err, errlen);
#if LR_HAVE_AFXDP_PORT
	} else if (strcmp(c->backend, "afxdp") == 0) {
		ret = dp_afxdp_open(p, &pc, err, errlen);
#endif
#if LR_HAVE_KERN_PORT
	} else if (strcmp(c->backend, "kernel") == 0) {
		ret = dp_kern_open(p, &pc, err, errlen);
#endif
	} else {
		snprintf(err, errlen,
			 "port %s: backend '%s' is not built into this "
			 "linerated",
			 c->name, c->backend);
		ret = -ENOTSUP;
	}
	if (ret < 0)
		return ret;
	p->id = id;
	port_name_set(p, c->name);
	dp->opened[id] = true;
	if (strcmp(c->backend, "dpdk") == 0)
		dp->rt[id].nb_txq = dp_dpdk_nb_txq(p);
	else if (strcmp(c->backend, "kernel") == 0)
		dp->rt[id].nb_txq = pc.nb_txq;
	else
		dp->rt[id].nb_txq = p->nb_queues;
	return 0;
}

/* After any change to rt[] or a worker's txq[]: a worker re-plans its
 * queues (worker.c worker_plan) before its next io fast-path poll. */
static void rt_changed(struct dp *dp)
{
	atomic_fetch_add_explicit(&dp->rt_gen, 1, memory_order_release);
}

/* Worker idx's TX queue on port p (the queue plan at the top), or
 * DP_NO_QUEUE. */
static uint16_t worker_txq(const struct dp *dp, unsigned int idx, uint16_t p)
{
	uint16_t rank = 0, nonpoll = 0;
	unsigned int v, k;
	bool pv;

	for (v = 0; v <= idx; v++) {
		pv = false;
		for (k = 0; k < dp->conf.workers[v].nb_ports; k++)
			pv |= dp->conf.workers[v].ports[k] == p;
		if (v == idx) {
			uint16_t q = pv ? rank
					: (uint16_t)(dp->rt[p].nb_pollers +
						     nonpoll);

			/* AF_XDP: TX stays paired with RX (its queue q
			 * lives on UMEM pool q, which only its poller's
			 * thread may use): a non-poller has none, also when
			 * nobody polls the port. */
			if (!pv && strcmp(dp->conf.ports[p].conf.backend,
					  "afxdp") == 0)
				return DP_NO_QUEUE;
			return q < dp->rt[p].nb_txq ? q : DP_NO_QUEUE;
		}
		rank += pv;
		nonpoll += !pv;
	}
	return DP_NO_QUEUE;
}

static void plan_queues(struct dp *dp)
{
	unsigned int w, k;

	for (w = 0; w < dp->nb_workers; w++) {
		const struct dp_worker_conf *wc = &dp->conf.workers[w];

		for (k = 0; k < wc->nb_ports; k++)
			dp->rt[wc->ports[k]].nb_pollers++;
	}
}

static int setup_worker(struct dp *dp, unsigned int idx, char *err,
			size_t errlen)
{
	const struct dp_worker_conf *wc = &dp->conf.workers[idx];
	struct dp_worker *w;
	uint16_t rank[DP_PORT_MAX] = { 0 };
	unsigned int v, k;
	uint16_t p;
	bool sink = false;
	int ret;

	w = aligned_alloc(DP_CACHE_LINE,
			  (sizeof(*w) + DP_CACHE_LINE - 1) &
				  ~(size_t)(DP_CACHE_LINE - 1));
	if (w == NULL)
		goto nomem;
	memset(w, 0, sizeof(*w));
	dp->w[idx] = w;
	w->dp = dp;
	w->idx = idx;
	w->core = wc->core;
	w->lcore = LCORE_ID_ANY;
	atomic_init(&w->detach, DP_NO_QUEUE);
	w->st = aligned_alloc(DP_CACHE_LINE,
			      (sizeof(*w->st) + DP_CACHE_LINE - 1) &
				      ~(size_t)(DP_CACHE_LINE - 1));
	if (w->st == NULL)
		goto nomem;
	memset(w->st, 0, sizeof(*w->st));
	w->st->tsc_hz = dp->tsc_hz;
	/* This worker's rank among the pollers of each port. */
	for (v = 0; v < idx; v++)
		for (k = 0; k < dp->conf.workers[v].nb_ports; k++)
			rank[dp->conf.workers[v].ports[k]]++;
	/* TX queue per port (see the queue plan at the top). */
	for (p = 0; p < dp->nb_ports; p++) {
		w->txq[p] = worker_txq(dp, idx, p);
		if (w->txq[p] == DP_NO_QUEUE)
			dp_log(DP_LOG_WARN,
			       "worker %u: no TX queue on port %s (%s: only "
			       "workers polling it send on it); its packets "
			       "for it count as port_down",
			       idx, dp->conf.ports[p].conf.name,
			       dp->conf.ports[p].conf.backend);
	}
	for (k = 0; k < wc->nb_ports; k++) {
		const struct dp_port_entry *pe;

		p = wc->ports[k];
		pe = &dp->conf.ports[p];
		w->rxq[w->nb_rxq].port = p;
		w->rxq[w->nb_rxq].queue = rank[p];
		w->nb_rxq++;
		sink |= pe->rx_role == DP_RX_SINK;
		if (pe->rx_role == DP_RX_FORWARD && pe->mode == DP_FWD_IO &&
		    pe->peer < dp->nb_ports && w->txq[pe->peer] == DP_NO_QUEUE) {
			snprintf(err, errlen,
				 "ports.%s: io peer %s is a%s %s port that "
				 "workers[%u] (polling %s) does not poll, and "
				 "only its pollers can send on it: add %s to "
				 "that worker's ports",
				 pe->conf.name,
				 dp->conf.ports[pe->peer].conf.name,
				 dp->conf.ports[pe->peer].conf.backend[0] == 'a'
					 ? "n" : "",
				 dp->conf.ports[pe->peer].conf.backend, idx,
				 pe->conf.name,
				 dp->conf.ports[pe->peer].conf.name);
			return -EINVAL;
		}
		if (pe->gen.enabled) {
			struct dp_gen_state *g = calloc(1, sizeof(*g));

			if (g == NULL)
				goto nomem;
			w->gen[w->nb_gen++] = g;
			g->port = p;
			g->queue = rank[p];
			g->part = rank[p];
			g->nparts = dp->rt[p].nb_pollers;
			memcpy(g->port_mac, dp->ports[p].mac, 6);
			ret = dp_gen_prepare(g, &pe->gen, dp->tsc_hz);
			if (ret < 0) {
				snprintf(err, errlen,
					 "port %s: generator: %s",
					 pe->conf.name, strerror(-ret));
				return ret;
			}
			atomic_store(&g->on, pe->gen.autostart);
		}
	}
	if (sink) {
		w->sink_flows = calloc(DP_FLOWS_MAX, sizeof(*w->sink_flows));
		if (w->sink_flows == NULL)
			goto nomem;
	}
	return 0;
nomem:
	snprintf(err, errlen, "worker %u: out of memory", idx);
	return -ENOMEM;
}

static void free_worker(struct dp_worker *w)
{
	unsigned int i;

	if (w == NULL)
		return;
	for (i = 0; i < w->nb_gen; i++) {
		free(w->gen[i]->seq);
		free(w->gen[i]);
	}
	free(w->sink_flows);
	free(w->st);
	free(w);
}

static int create_mempool(struct dp *dp, char *err, size_t errlen)
{
	uint32_t n = mbufs_needed(&dp->conf);

	if (!uses_backend(&dp->conf, "dpdk"))
		return 0;
	dp->mp = rte_pktmbuf_pool_create("lr_mbuf", n, DP_MP_CACHE, 0,
					 RTE_MBUF_DEFAULT_BUF_SIZE,
					 SOCKET_ID_ANY);
	if (dp->mp == NULL) {
		snprintf(err, errlen,
			 "mempool of %u mbufs (%u MiB): %s", n,
			 (unsigned int)((uint64_t)n *
					RTE_MBUF_DEFAULT_BUF_SIZE >> 20),
			 rte_strerror(rte_errno));
		return -ENOMEM;
	}
	dp->mp_bytes = (uint64_t)dp->mp->size *
		       (dp->mp->header_size + dp->mp->elt_size +
			dp->mp->trailer_size);
	dp_log(DP_LOG_INFO,
	       "mempool: %u mbufs of %u bytes = %.1f MiB (rings of %u DPDK "
	       "ports x queues + %u workers x (cache %u + TX buffers))",
	       n, dp->mp->elt_size, (double)dp->mp_bytes / (1 << 20),
	       dp->nb_ports, dp->nb_workers, DP_MP_CACHE);
	dp_dpdk_set_mempool(dp->mp, (uint16_t)dp->nb_workers);
	return 0;
}

static int publish_initial(struct dp *dp, char *err, size_t errlen)
{
	struct dp_l3_table *l3;
	struct dp_acl_table *acl;
	struct dp_l2_table *l2;
	int ret;

	ret = dp_l3_build(dp, dp->conf.routes, dp->conf.nb_routes,
			  dp->conf.neighs, dp->conf.nb_neighs,
			  &dp->conf.routes_gen, &l3, err, errlen);
	if (ret < 0)
		return ret;
	atomic_store(&dp->l3, l3);
	if (dp->conf.nb_routes || dp->conf.routes_gen.count)
		dp_log(DP_LOG_INFO, "l3: %zu routes + %u generated, %.1f MiB",
		       dp->conf.nb_routes, dp->conf.routes_gen.count,
		       (double)l3->bytes / (1 << 20));
	ret = dp_acl_build(dp, dp->conf.acl, dp->conf.nb_acl,
			   dp->conf.acl_default, &acl, err, errlen);
	if (ret < 0)
		return ret;
	atomic_store(&dp->acl, acl);
	ret = dp_l2_build(dp, dp->conf.macs, dp->conf.nb_macs, NULL, &l2, err,
			  errlen);
	if (ret < 0)
		return ret;
	atomic_store(&dp->l2, l2);
	return 0;
}

int dp_create(const struct dp_config *conf, struct dp **out, char *err,
	      size_t errlen)
{
	struct dp *dp;
	size_t sz;
	unsigned int w;
	uint16_t p;
	int ret;

	if (!eal_up) {
		snprintf(err, errlen, "dp_create: EAL not initialised");
		return -EINVAL;
	}
	dp = calloc(1, sizeof(*dp));
	if (dp == NULL) {
		snprintf(err, errlen, "dataplane: out of memory");
		return -ENOMEM;
	}
	ret = dp_config_copy(&dp->conf, conf);
	if (ret < 0) {
		free(dp);
		snprintf(err, errlen, "dataplane: out of memory");
		return ret;
	}
	dp->nb_ports = conf->nb_ports;
	dp->nb_workers = conf->nb_workers;
	dp->tsc_hz = rte_get_tsc_hz();
	for (p = 0; p < dp->nb_ports; p++) {
		const struct dp_port_entry *pe = &conf->ports[p];

		atomic_store(&dp->rt[p].mode, (uint8_t)pe->mode);
		atomic_store(&dp->rt[p].acl, pe->acl);
		atomic_store(&dp->rt[p].admin_up, true);
		atomic_store(&dp->rt[p].peer, pe->peer);
		dp->rt[p].rx_role = (uint8_t)pe->rx_role;
	}
	/* Workers plan when their threads start (dp_worker_main), after
	 * setup_worker's txq[] below. The bump still matters: it leaves
	 * rt_gen ahead of every worker's plan_gen (0) until that first plan,
	 * so a reader comparing the two never takes an unplanned worker for
	 * a planned one. */
	rt_changed(dp);
	atomic_store(&dp->l2_learn, conf->l2.learning);
	atomic_store(&dp->l2_flood, conf->l2.flood);
	plan_queues(dp);
	sz = rte_rcu_qsbr_get_memsize(dp->nb_workers ? dp->nb_workers : 1);
	dp->qsbr = rte_zmalloc("lr_qsbr", sz, RTE_CACHE_LINE_SIZE);
	if (dp->qsbr == NULL ||
	    rte_rcu_qsbr_init(dp->qsbr, dp->nb_workers ? dp->nb_workers : 1)) {
		snprintf(err, errlen, "rcu: %s", rte_strerror(rte_errno));
		ret = -ENOMEM;
		goto fail;
	}
	for (w = 0; w < dp->nb_workers; w++)
		rte_rcu_qsbr_thread_register(dp->qsbr, w);
	ret = create_mempool(dp, err, errlen);
	if (ret < 0)
		goto fail;
	for (p = 0; p < dp->nb_ports; p++) {
		ret = open_port(dp, p, err, errlen);
		if (ret < 0)
			goto fail;
		dp_log(DP_LOG_INFO, "port %u %s: %s %s (%s) mac "
		       "%02x:%02x:%02x:%02x:%02x:%02x, mode %s%s, %u queue(s)",
		       p, dp->ports[p].name, dp->ports[p].ops->backend,
		       conf->ports[p].conf.dev, dp->ports[p].mode_desc,
		       dp->ports[p].mac[0], dp->ports[p].mac[1],
		       dp->ports[p].mac[2], dp->ports[p].mac[3],
		       dp->ports[p].mac[4], dp->ports[p].mac[5],
		       dp_fwd_mode_name(conf->ports[p].mode),
		       conf->ports[p].acl ? "+acl" : "",
		       dp->ports[p].nb_queues);
	}
	ret = publish_initial(dp, err, errlen);
	if (ret < 0)
		goto fail;
	for (w = 0; w < dp->nb_workers; w++) {
		ret = setup_worker(dp, w, err, errlen);
		if (ret < 0)
			goto fail;
	}
	*out = dp;
	return 0;
fail:
	dp_destroy(dp);
	return ret;
}

int dp_start(struct dp *dp, char *err, size_t errlen)
{
	unsigned int w;
	uint16_t p;
	int ret;

	for (p = 0; p < dp->nb_ports; p++) {
		ret = dp->ports[p].ops->start(&dp->ports[p]);
		if (ret < 0) {
			snprintf(err, errlen, "port %s: start failed: %s",
				 dp->ports[p].name, strerror(-ret));
			goto fail_ports;
		}
		dp->started[p] = true;
	}
	for (w = 0; w < dp->nb_workers; w++) {
		struct dp_worker *wk = dp->w[w];

		atomic_store(&wk->stop, false);
		ret = pthread_create(&wk->tid, NULL, dp_worker_main, wk);
		if (ret != 0) {
			snprintf(err, errlen, "worker %u: thread: %s", w,
				 strerror(ret));
			dp_stop(dp);
			return -ret;
		}
		wk->launched = true;
		dp_log(DP_LOG_INFO, "worker %u: core %d, %u queue(s), %u "
		       "generator(s)", w, wk->core, wk->nb_rxq, wk->nb_gen);
	}
	dp->running = true;
	return 0;
fail_ports:
	while (p-- > 0) {
		dp->ports[p].ops->stop(&dp->ports[p]);
		dp->started[p] = false;
	}
	return ret;
}

void dp_stop(struct dp *dp)
{
	unsigned int w;
	uint16_t p;

	if (dp->running) {
		/* Drain: generators off, then let the workers move what is
		 * still in rings and TX buffers until their RX counts stand
		 * still for 20 ms (at most 500 ms: a preempted worker needs
		 * more than a fixed pause). */
		struct timespec ts = { 0, 5 * 1000 * 1000 };
		uint64_t last = UINT64_MAX, now;
		unsigned int i, still = 0, k;

		for (w = 0; w < dp->nb_workers; w++)
			for (i = 0; dp->w[w] && i < dp->w[w]->nb_gen; i++)
				atomic_store(&dp->w[w]->gen[i]->on, false);
		for (k = 0; k < 100 && still < 4; k++) {
			nanosleep(&ts, NULL);
			now = 0;
			for (w = 0; w < dp->nb_workers; w++)
				now += dp->w[w]->st->rx_pkts +
				       dp->w[w]->st->tx_pkts;
			still = now == last ? still + 1 : 0;
			last = now;
		}
	}
	for (w = 0; w < dp->nb_workers; w++)
		if (dp->w[w] && dp->w[w]->launched)
			atomic_store(&dp->w[w]->stop, true);
	for (w = 0; w < dp->nb_workers; w++) {
		if (dp->w[w] && dp->w[w]->launched) {
			pthread_join(dp->w[w]->tid, NULL);
			dp->w[w]->launched = false;
		}
	}
	for (p = 0; p < dp->nb_ports; p++) {
		if (dp->started[p]) {
			dp->ports[p].ops->stop(&dp->ports[p]);
			dp->started[p] = false;
		}
	}
	dp->running = false;
}

void dp_destroy(struct dp *dp)
{
	unsigned int w;
	uint16_t p;

	if (dp == NULL)
		return;
	dp_stop(dp);
	for (w = 0; w < dp->nb_workers; w++)
		free_worker(dp->w[w]);
	dp_l3_free(atomic_load(&dp->l3));
	dp_acl_free(atomic_load(&dp->acl));
	dp_l2_free(atomic_load(&dp->l2));
	for (p = 0; p < dp->nb_ports; p++)
		if (dp->opened[p])
			dp->ports[p].ops->close(&dp->ports[p]);
	rte_mempool_free(dp->mp);
	dp_dpdk_set_mempool(NULL, 0);
	rte_free(dp->qsbr);
	dp_config_free(&dp->conf);
	free(dp);
}

bool dp_gen_done(const struct dp *dp)
{
	unsigned int w, i;

	for (w = 0; w < dp->nb_workers; w++)
		for (i = 0; i < dp->w[w]->nb_gen; i++) {
			const struct dp_gen_state *g = dp->w[w]->gen[i];

			if (!g->count ||
			    !atomic_load_explicit(&g->on,
						  memory_order_relaxed))
				continue;
			if (atomic_load_explicit(&g->sent,
						 memory_order_relaxed) < g->count)
				return false;
		}
	return true;
}

void dp_rcu_sync(struct dp *dp)
{
	if (dp->qsbr)
		rte_rcu_qsbr_synchronize(dp->qsbr, RTE_QSBR_THRID_INVALID);
}

void dp_housekeeping(struct dp *dp)
{
	uint32_t now = (uint32_t)(rte_rdtsc() / dp->tsc_hz);

	/* Every call: the workers' L2 learn events (a ring check each when
	 * there are none); the sooner, the sooner a new MAC stops being
	 * flooded. Aging (which drains too) once a second. */
	dp_l2_drain(dp);
	if (dp->conf.l2.learning && now != dp->l2_last_age) {
		dp->l2_last_age = now;
		dp_l2_age(dp, now);
	}
}

/* ---- inventory ---- */

const struct dp_config *dp_config(const struct dp *dp)
{
	return &dp->conf;
}

unsigned int dp_port_count(const struct dp *dp)
{
	return dp->nb_ports;
}

const struct dp_port *dp_port_get(const struct dp *dp, uint16_t id)
{
	return id < dp->nb_ports ? &dp->ports[id] : NULL;
}

int dp_port_find(const struct dp *dp, const char *name)
{
	return dp_config_port_find(&dp->conf, name);
}

unsigned int dp_worker_count(const struct dp *dp)
{
	return dp->nb_workers;
}

int dp_worker_get(const struct dp *dp, unsigned int w,
		  struct dp_worker_info *out)
{
	const struct dp_worker *wk;
	unsigned int i;

	if (w >= dp->nb_workers)
		return -ENOENT;
	wk = dp->w[w];
	memset(out, 0, sizeof(*out));
	out->core = wk->core;
	out->lcore = wk->lcore;
	out->running = atomic_load(&wk->running);
	out->nb_rxq = wk->nb_rxq;
	for (i = 0; i < wk->nb_rxq; i++) {
		out->rxq[i].port = wk->rxq[i].port;
		out->rxq[i].queue = wk->rxq[i].queue;
	}
	return 0;
}

int dp_port_xstats(struct dp *dp, uint16_t id, struct dp_port_kv *kv,
		   int max)
{
	struct dp_port *p;

	if (id >= dp->nb_ports)
		return -ENOENT;
	p = &dp->ports[id];
	return p->ops->xstats ? p->ops->xstats(p, kv, max) : 0;
}

/* ---- counters ---- */

int dp_stats_worker(const struct dp *dp, unsigned int w,
		    struct dp_worker_stats *out)
{
	if (w >= dp->nb_workers)
		return -ENOENT;
	/* Each 64-bit field is written whole by its worker: a copy may mix
	 * values a burst apart, never half a value. */
	memcpy(out, dp->w[w]->st, sizeof(*out));
	return 0;
}

static void add_u64s(uint64_t *a, const uint64_t *b, size_t n, int sign)
{
	size_t i;

	for (i = 0; i < n; i++)
		a[i] = sign > 0 ? a[i] + b[i] : a[i] - b[i];
}

static void stats_fold(struct dp_worker_stats *a,
		       const struct dp_worker_stats *b, int sign)
{
	uint64_t hz = a->tsc_hz, mx = a->sink.lat_max;

	/* Every field is a uint64_t counter. */
	add_u64s((uint64_t *)a, (const uint64_t *)b,
		 sizeof(*a) / sizeof(uint64_t), sign);
	a->tsc_hz = hz ? hz : b->tsc_hz;
	a->sink.lat_max = sign > 0 ? (mx > b->sink.lat_max ? mx
							    : b->sink.lat_max)
				   : mx;
}

void dp_stats_total(const struct dp *dp, struct dp_worker_stats *out)
{
	struct dp_worker_stats s;
	unsigned int w;

	memset(out, 0, sizeof(*out));
	for (w = 0; w < dp->nb_workers; w++) {
		dp_stats_worker(dp, w, &s);
		stats_fold(out, &s, 1);
	}
	out->tsc_hz = dp->tsc_hz;
}

void dp_stats_sub(struct dp_worker_stats *a, const struct dp_worker_stats *b)
{
	stats_fold(a, b, -1);
}

double dp_stats_cycles_per_pkt(const struct dp_worker_stats *s)
{
	uint64_t n = s->rx_pkts + s->gen.pkts;

	return n ? (double)s->busy_cycles / (double)n : 0;
}

double dp_stats_avg_burst(const struct dp_worker_stats *s)
{
	return s->rx_bursts ? (double)s->rx_pkts / (double)s->rx_bursts : 0;
}

size_t dp_acl_hits(const struct dp *dp, uint64_t *hits, size_t n)
{
	const struct dp_acl_table *t = atomic_load(&dp->acl);
	size_t r;
	unsigned int w;

	if (t == NULL)
		return 0;
	for (r = 0; r < n && r < t->nb_rules; r++) {
		hits[r] = 0;
		for (w = 0; w < dp->nb_workers; w++)
			hits[r] += t->hits[w * t->hits_stride + r];
	}
	return t->nb_rules;
}

void dp_mem_info(const struct dp *dp, struct dp_mem_info *out)
{
	struct rte_malloc_socket_stats s;
	const struct dp_l3_table *l3 = atomic_load(&dp->l3);
	const struct dp_acl_table *acl = atomic_load(&dp->acl);
	const struct dp_l2_table *l2 = atomic_load(&dp->l2);
	unsigned int sock;

	memset(out, 0, sizeof(*out));
	out->mempool_bytes = dp->mp_bytes;
	out->l3_bytes = l3 ? l3->bytes : 0;
	out->acl_bytes = acl ? acl->bytes : 0;
	out->l2_bytes = l2 ? l2->bytes : 0;
	for (sock = 0; sock < RTE_MAX_NUMA_NODES; sock++)
		if (rte_malloc_get_socket_stats(sock, &s) == 0)
			out->heap_bytes += s.heap_allocsz_bytes;
}

/* ---- tables ---- */

/* Keep the running model in step with what was published (`show config`,
 * and dp_apply's comparisons). On allocation failure the model keeps the
 * old array: the table is live, only its description lags. */
static void model_set(void **arr, size_t *nb, const void *src, size_t n,
		      size_t sz)
{
	void *copy = NULL;

	if (n) {
		copy = malloc(n * sz);
		if (copy == NULL) {
			dp_log(DP_LOG_WARN, "model: out of memory");
			return;
		}
		memcpy(copy, src, n * sz);
	}
	free(*arr);
	*arr = copy;
	*nb = n;
}

static int routes_check(const struct dp *dp,
			const struct dp_route_conf *routes, size_t nb_routes,
			char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < nb_routes; i++) {
		if (routes[i].port >= dp->nb_ports ||
		    (routes[i].prefix.family != 4 &&
		     routes[i].prefix.family != 6) ||
		    routes[i].plen > (routes[i].prefix.family == 4 ? 32 : 128)) {
			snprintf(err, errlen, "routes[%zu]: bad prefix or port",
				 i);
			return -EINVAL;
		}
	}
	return 0;
}

static int macs_check(const struct dp *dp, const struct dp_mac_conf *macs,
		      size_t n, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (macs[i].port >= dp->nb_ports) {
			snprintf(err, errlen, "macs[%zu]: no port %u", i,
				 macs[i].port);
			return -EINVAL;
		}
	}
	return 0;
}

int dp_routes_set(struct dp *dp, const struct dp_route_conf *routes,
		  size_t nb_routes, const struct dp_neigh_conf *neighs,
		  size_t nb_neighs, const struct dp_routes_gen *gen,
		  char *err, size_t errlen)
{
	struct dp_l3_table *t, *old;
	int ret;

	ret = routes_check(dp, routes, nb_routes, err, errlen);
	if (ret < 0)
		return ret;
	ret = dp_l3_build(dp, routes, nb_routes, neighs, nb_neighs, gen, &t,
			  err, errlen);
	if (ret < 0)
		return ret;
	old = atomic_exchange_explicit(&dp->l3, t, memory_order_acq_rel);
	dp_rcu_sync(dp);
	dp_l3_free(old);
	if (routes != dp->conf.routes)
		model_set((void **)&dp->conf.routes, &dp->conf.nb_routes,
			  routes, nb_routes, sizeof(*routes));
	if (neighs != dp->conf.neighs)
		model_set((void **)&dp->conf.neighs, &dp->conf.nb_neighs,
			  neighs, nb_neighs, sizeof(*neighs));
	if (gen)
		dp->conf.routes_gen = *gen;
	else
		memset(&dp->conf.routes_gen, 0, sizeof(dp->conf.routes_gen));
	return 0;
}

int dp_acl_set(struct dp *dp, const struct dp_acl_rule_conf *rules, size_t n,
	       enum dp_acl_action dflt, char *err, size_t errlen)
{
	struct dp_acl_table *t, *old;
	int ret;

	ret = dp_acl_build(dp, rules, n, dflt, &t, err, errlen);
	if (ret < 0)
		return ret;
	old = atomic_exchange_explicit(&dp->acl, t, memory_order_acq_rel);
	dp_rcu_sync(dp);
	dp_acl_free(old);
	if (rules != dp->conf.acl)
		model_set((void **)&dp->conf.acl, &dp->conf.nb_acl, rules, n,
			  sizeof(*rules));
	dp->conf.acl_default = dflt;
	return 0;
}

int dp_macs_set(struct dp *dp, const struct dp_mac_conf *macs, size_t n,
		char *err, size_t errlen)
{
	struct dp_l2_table *t, *old = atomic_load(&dp->l2);
	int ret;

	ret = macs_check(dp, macs, n, err, errlen);
	if (ret < 0)
		return ret;
	ret = dp_l2_build(dp, macs, n, old, &t, err, errlen);
	if (ret < 0)
		return ret;
	old = atomic_exchange_explicit(&dp->l2, t, memory_order_acq_rel);
	dp_rcu_sync(dp);
	dp_l2_free(old);
	if (macs != dp->conf.macs)
		model_set((void **)&dp->conf.macs, &dp->conf.nb_macs, macs, n,
			  sizeof(*macs));
	return 0;
}

/* ---- per-port settings ---- */

int dp_port_set_mode(struct dp *dp, uint16_t port, enum dp_fwd_mode mode,
		     char *err, size_t errlen)
{
	if (port >= dp->nb_ports || (unsigned int)mode >= DP_FWD__COUNT) {
		snprintf(err, errlen, "no port %u or bad mode", port);
		return -EINVAL;
	}
	atomic_store(&dp->rt[port].mode, (uint8_t)mode);
	rt_changed(dp);
	dp->conf.ports[port].mode = mode;
	return 0;
}

int dp_port_set_acl(struct dp *dp, uint16_t port, bool on)
{
	if (port >= dp->nb_ports)
		return -EINVAL;
	atomic_store(&dp->rt[port].acl, on);
	rt_changed(dp);
	dp->conf.ports[port].acl = on;
	return 0;
}

int dp_port_set_peer(struct dp *dp, uint16_t port, uint16_t peer)
{
	if (port >= dp->nb_ports || peer >= dp->nb_ports)
		return -EINVAL;
	atomic_store(&dp->rt[port].peer, peer);
	rt_changed(dp);
	dp->conf.ports[port].peer = peer;
	return 0;
}

int dp_port_start(struct dp *dp, uint16_t port, char *err, size_t errlen)
{
	struct dp_port *p;
	int ret;

	if (port >= dp->nb_ports) {
		snprintf(err, errlen, "no port %u", port);
		return -EINVAL;
	}
	p = &dp->ports[port];
	if (!dp->started[port]) {
		ret = p->ops->start(p);
		if (ret < 0) {
			snprintf(err, errlen, "port %s: start failed: %s",
				 p->name, strerror(-ret));
			return ret;
		}
		dp->started[port] = true;
	}
	atomic_store(&dp->rt[port].admin_up, true);
	rt_changed(dp);
	return 0;
}

static int quiesce_port(struct dp *dp, uint16_t port, char *err,
			size_t errlen);

int dp_port_stop(struct dp *dp, uint16_t port)
{
	char err[256];

	if (port >= dp->nb_ports)
		return -EINVAL;
	atomic_store(&dp->rt[port].admin_up, false);
	rt_changed(dp);
	/* Every running worker flushes and lets go of the port's queues in
	 * its own thread, as before a reopen: a stopped kernel socket that
	 * stays readable must not stay in a worker's waiter, or every wait
	 * for the thread's other queues returns at once (a busy spin until
	 * port start; the queue joins again at its next poll). Then a grace
	 * period: no worker is inside this port's functions. A worker that
	 * does not answer in time is waited for without a bound, as ever. */
	if (quiesce_port(dp, port, err, sizeof(err)) < 0) {
		dp_log(DP_LOG_WARN, "%s; stopping it after a full grace period",
		       err);
		dp_rcu_sync(dp);
	}
	if (dp->started[port]) {
		dp->ports[port].ops->stop(&dp->ports[port]);
		dp->started[port] = false;
	}
	return 0;
}

/* ---- backend switch at run time ---- */

/* What a port that could be neither reopened nor reverted answers: no
 * packets, no buffers, no start (admin down, its traffic is port_down). */
static uint16_t closed_rx(struct dp_port *p, uint16_t q, struct dp_burst *b)
{
	(void)p;
	(void)q;
	b->n = 0;
	return 0;
}

static uint16_t closed_tx(struct dp_port *p, uint16_t q, uint8_t *const *data,
			  const uint16_t *len, const uintptr_t *buf,
			  uint16_t n, bool foreign)
{
	(void)p, (void)q, (void)data, (void)len, (void)buf, (void)n;
	(void)foreign;
	return 0;
}

static void closed_free(struct dp_port *p, uint16_t q, const uintptr_t *buf,
			uint16_t n)
{
	(void)p, (void)q, (void)buf, (void)n;
}

static uint16_t closed_alloc(struct dp_port *p, uint16_t q, uint16_t len,
			     uint8_t **data, uintptr_t *buf, uint16_t n)
{
	(void)p, (void)q, (void)len, (void)data, (void)buf, (void)n;
	return 0;
}

static int closed_start(struct dp_port *p)
{
	(void)p;
	return -ENODEV;
}

static void closed_nop(struct dp_port *p)
{
	(void)p;
}

static const struct dp_port_ops closed_ops = {
	.backend = "closed",
	.rx_burst = closed_rx,
	.tx_burst = closed_tx,
	.free_bufs = closed_free,
	.alloc_bufs = closed_alloc,
	.start = closed_start,
	.stop = closed_nop,
	.close = closed_nop,
};

/*
 * How long a switch waits for one worker to answer (flush its TX buffers,
 * let go of the port's queues) or to pass a quiescent state. Every I/O
 * model's wait is bounded (kern.h: 10 ms, blocking 100 ms), so a worker
 * that takes longer is stuck or starved: the switch is refused rather
 * than hang the control thread.
 */
#define DP_QUIESCE_MS 2000

static uint64_t ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* A grace period bounded by DP_QUIESCE_MS: 0, or -ETIMEDOUT with the first
 * worker that has not passed a quiescent state since the call. */
static int rcu_wait(struct dp *dp, const char *pname, char *err,
		    size_t errlen)
{
	struct timespec nap = { 0, 100 * 1000 };
	uint64_t token, t0 = ms_now();
	unsigned int w;

	if (dp->qsbr == NULL)
		return 0;
	token = rte_rcu_qsbr_start(dp->qsbr);
	while (rte_rcu_qsbr_check(dp->qsbr, token, false) != 1) {
		if (ms_now() - t0 < DP_QUIESCE_MS) {
			nanosleep(&nap, NULL);
			continue;
		}
		for (w = 0; w < dp->nb_workers; w++) {
			uint64_t c = __atomic_load_n(&dp->qsbr->qsbr_cnt[w].cnt,
						     __ATOMIC_ACQUIRE);

			if (c != __RTE_QSBR_CNT_THR_OFFLINE && c < token)
				break;
		}
		/* It passed one between the check and the scan. */
		if (w == dp->nb_workers)
			continue;
		snprintf(err, errlen,
			 "port %s: worker %u did not quiesce within %u ms "
			 "(no quiescent state: stuck or starved)",
			 pname, w, DP_QUIESCE_MS);
		return -ETIMEDOUT;
	}
	return 0;
}

/*
 * Every running worker flushes its TX buffers and detaches from the
 * port's queues (the port is admin down already); wait for all answers,
 * then a grace period (no worker is inside the port's functions). Each
 * wait is bounded: a worker that does not answer within DP_QUIESCE_MS is
 * an error naming it, never a hang.
 */
static int quiesce_port(struct dp *dp, uint16_t port, char *err,
			size_t errlen)
{
	struct timespec nap = { 0, 200 * 1000 };
	const char *pname = dp->conf.ports[port].conf.name;
	uint64_t t0;
	unsigned int w;
	bool busy = true;
	int ret, stuck = -1;

	/* Admin down is seen: nobody starts a poll of the port after this. */
	ret = rcu_wait(dp, pname, err, errlen);
	if (ret < 0)
		return ret;
	for (w = 0; w < dp->nb_workers; w++)
		if (dp->w[w]->launched && atomic_load(&dp->w[w]->running))
			atomic_store_explicit(&dp->w[w]->detach, port,
					      memory_order_release);
	t0 = ms_now();
	while (busy && ms_now() - t0 < DP_QUIESCE_MS) {
		busy = false;
		for (w = 0; w < dp->nb_workers; w++)
			busy |= atomic_load_explicit(&dp->w[w]->detach,
						     memory_order_acquire) !=
					DP_NO_QUEUE &&
				atomic_load(&dp->w[w]->running);
		if (busy)
			nanosleep(&nap, NULL);
	}
	/* A worker that never answered must not act later: every request
	 * still pending is taken back, then the first such worker named. */
	for (w = 0; w < dp->nb_workers; w++) {
		uint16_t want = port;

		if (atomic_compare_exchange_strong(&dp->w[w]->detach, &want,
						   DP_NO_QUEUE) &&
		    atomic_load(&dp->w[w]->running) && stuck < 0)
			stuck = (int)w;
	}
	if (stuck >= 0) {
		snprintf(err, errlen,
			 "port %s: worker %d did not quiesce within %u ms (it "
			 "did not flush and let go of the port)",
			 pname, stuck, DP_QUIESCE_MS);
		return -ETIMEDOUT;
	}
	return rcu_wait(dp, pname, err, errlen);
}

/* Open port id from dp->conf and start it when start; closed on failure. */
static int open_start(struct dp *dp, uint16_t id, bool start, char *err,
		      size_t errlen)
{
	struct dp_port *p = &dp->ports[id];
	int ret;

	if (strcmp(dp->conf.ports[id].conf.backend, "dpdk") == 0 &&
	    dp->mp == NULL) {
		ret = create_mempool(dp, err, errlen);
		if (ret < 0)
			return ret;
	}
	ret = open_port(dp, id, err, errlen);
	if (ret < 0)
		return ret;
	if (start) {
		ret = p->ops->start(p);
		if (ret < 0) {
			snprintf(err, errlen, "port %s: start failed: %s",
				 p->name, strerror(-ret));
			p->ops->close(p);
			dp->opened[id] = false;
			return ret;
		}
		dp->started[id] = true;
	}
	return 0;
}

static void close_port(struct dp *dp, uint16_t id)
{
	struct dp_port *p = &dp->ports[id];

	if (dp->opened[id]) {
		if (dp->started[id])
			p->ops->stop(p);
		p->ops->close(p);
	}
	dp->started[id] = false;
	dp->opened[id] = false;
}

/* The port could be opened neither with its new conf nor its old one. */
static void mark_closed(struct dp *dp, uint16_t id)
{
	struct dp_port *p = &dp->ports[id];
	unsigned int w;

	memset(p, 0, sizeof(*p));
	p->ops = &closed_ops;
	p->id = id;
	port_name_set(p, dp->conf.ports[id].conf.name);
	dp->rt[id].nb_txq = 0;
	for (w = 0; w < dp->nb_workers; w++)
		dp->w[w]->txq[id] = DP_NO_QUEUE;
	rt_changed(dp);
}

static bool is_afxdp(const struct dp_port_conf *c)
{
	return strcmp(c->backend, "afxdp") == 0;
}

static bool worker_polls(const struct dp *dp, unsigned int w, uint16_t p)
{
	unsigned int k;

	for (k = 0; k < dp->conf.workers[w].nb_ports; k++)
		if (dp->conf.workers[w].ports[k] == p)
			return true;
	return false;
}

/*
 * The rules dp_create's config had to meet, for the confs after a switch
 * (nc: one per port): queue q of every afxdp port is polled by one worker
 * (they share UMEM pool q, whose free list has no lock: config.c's
 * check_afxdp_pools), and an io peer that is an afxdp port is polled by
 * every worker that forwards to it (only its pollers have a TX queue on
 * it: setup_worker).
 */
/* Worker w's k-th port forwards in io mode: true, with its id and the
 * peer it sends to. */
static bool io_sender(const struct dp *dp, unsigned int w, unsigned int k,
		      uint16_t *id, uint16_t *peer)
{
	*id = dp->conf.workers[w].ports[k];
	return dp_io_peer(dp, *id, peer);
}

/* After a batch's new confs opened (TX queue counts known): every io
 * forwarder must still have a TX queue on its peer. The start-up rule
 * (setup_worker), for any backend: a device with fewer TX queues than
 * workers (net_ring; net_af_packet with fewer qpairs) gives one only to
 * the workers that poll it. */
static int check_io_txq(const struct dp *dp, char *err, size_t errlen)
{
	unsigned int w, k;
	uint16_t id, peer;

	for (w = 0; w < dp->nb_workers; w++) {
		for (k = 0; k < dp->conf.workers[w].nb_ports; k++) {
			if (!io_sender(dp, w, k, &id, &peer) ||
			    !dp->opened[peer] ||
			    worker_txq(dp, w, peer) != DP_NO_QUEUE)
				continue;
			snprintf(err, errlen,
				 "port %s: worker %u forwards %s to it (io "
				 "peer) without polling it, but its new device "
				 "has %u TX queue(s), one per worker polling "
				 "it: add %s to that worker's ports or give the "
				 "device a TX queue per worker",
				 dp->conf.ports[peer].conf.name, w,
				 dp->conf.ports[id].conf.name,
				 (unsigned int)dp->rt[peer].nb_txq,
				 dp->conf.ports[peer].conf.name);
			return -EINVAL;
		}
	}
	return 0;
}

static int check_switch(const struct dp *dp, const struct dp_port_conf *nc,
			char *err, size_t errlen)
{
	int owner[DP_WORKER_MAX];
	uint16_t oport[DP_WORKER_MAX];
	unsigned int w, k, q;
	uint16_t p;

	for (q = 0; q < DP_WORKER_MAX; q++)
		owner[q] = -1;
	for (p = 0; p < dp->nb_ports; p++) {
		if (!is_afxdp(&nc[p]))
			continue;
		for (w = 0, q = 0; w < dp->nb_workers; w++) {
			if (!worker_polls(dp, w, p))
				continue;
			if (owner[q] < 0) {
				owner[q] = (int)w;
				oport[q] = p;
			} else if (owner[q] != (int)w) {
				snprintf(err, errlen,
					 "port %s: afxdp ports %s and %s: "
					 "queue %u would be polled by workers "
					 "%d and %u, but queue %u of every "
					 "afxdp port shares one UMEM pool that "
					 "only one thread may use",
					 nc[p].name, nc[oport[q]].name,
					 nc[p].name, q, owner[q], w, q);
				return -EINVAL;
			}
			q++;
		}
	}
	for (w = 0; w < dp->nb_workers; w++) {
		for (k = 0; k < dp->conf.workers[w].nb_ports; k++) {
			uint16_t id, peer;

			if (!io_sender(dp, w, k, &id, &peer) ||
			    !is_afxdp(&nc[peer]) || worker_polls(dp, w, peer))
				continue;
			snprintf(err, errlen,
				 "port %s: an afxdp port is sent to only by "
				 "the workers that poll it, but worker %u "
				 "forwards %s to it (io peer) without "
				 "polling it",
				 nc[peer].name, w, nc[id].name);
			return -EINVAL;
		}
	}
	return 0;
}

int dp_ports_reopen(struct dp *dp, unsigned int n, const uint16_t *ports,
		    const struct dp_port_conf *confs, char *err, size_t errlen)
{
	struct dp_port_conf oc[DP_PORT_MAX], nc[DP_PORT_MAX];
	bool in[DP_PORT_MAX] = { false }, was_up[DP_PORT_MAX];
	bool was_started[DP_PORT_MAX], afx = false;
	uint16_t order[DP_PORT_MAX], p;
	unsigned int nb = 0, i, k, w;
	uint64_t t0 = ms_now();
	char err2[256], names[256] = "";
	int ret = 0, r2;

	if (n == 0 || n > DP_PORT_MAX || ports == NULL || confs == NULL) {
		snprintf(err, errlen, "reopen: 1 to %d ports", DP_PORT_MAX);
		return -EINVAL;
	}
	for (p = 0; p < dp->nb_ports; p++)
		oc[p] = nc[p] = dp->conf.ports[p].conf;
	for (i = 0; i < n; i++) {
		p = ports[i];
		if (p >= dp->nb_ports) {
			snprintf(err, errlen, "no port %u", p);
			return -EINVAL;
		}
		if (in[p]) {
			snprintf(err, errlen, "port %s: named twice",
				 oc[p].name);
			return -EINVAL;
		}
		if (confs[i].name[0] && strcmp(confs[i].name, oc[p].name)) {
			snprintf(err, errlen,
				 "port %s: reopen keeps the port's name (got "
				 "'%s')",
				 oc[p].name, confs[i].name);
			return -EINVAL;
		}
		nc[p] = confs[i];
		memset(nc[p].name, 0, sizeof(nc[p].name));
		snprintf(nc[p].name, sizeof(nc[p].name), "%s", oc[p].name);
		in[p] = true;
		order[nb++] = p;
		afx |= is_afxdp(&oc[p]) || is_afxdp(&nc[p]);
	}
	/* AF_XDP ports share their UMEM pools (one per queue index), and a
	 * pool's first socket is the UMEM's own: it cannot leave while the
	 * pool lives, and the pool's free list has no lock, so the control
	 * thread may not touch it while a worker runs another port on it.
	 * So an afxdp port joins or leaves together with every other afxdp
	 * port: all are closed (the pools are torn down, their frames
	 * audited) and opened again, the others with their own conf. */
	for (p = 0; afx && p < dp->nb_ports; p++) {
		if (in[p] || !is_afxdp(&oc[p]))
			continue;
		in[p] = true;
		order[nb++] = p;
		k = strlen(names);
		snprintf(names + k, sizeof(names) - k, "%s%s", k ? ", " : "",
			 oc[p].name);
	}
	ret = check_switch(dp, nc, err, errlen);
	if (ret < 0)
		return ret;
	if (names[0])
		dp_log(DP_LOG_INFO,
		       "afxdp ports %s: reopened too (they share UMEM pools "
		       "with the ports being switched)",
		       names);

	/* 1. Nobody polls or sends to them, no TX buffer holds their
	 * buffers, no worker is inside their functions. */
	for (i = 0; i < nb; i++) {
		p = order[i];
		was_up[p] = atomic_load(&dp->rt[p].admin_up);
		was_started[p] = dp->started[p];
		atomic_store(&dp->rt[p].admin_up, false);
	}
	rt_changed(dp);
	for (i = 0; i < nb; i++) {
		ret = quiesce_port(dp, order[i], err, errlen);
		if (ret < 0) {
			for (k = 0; k < nb; k++)
				atomic_store(&dp->rt[order[k]].admin_up,
					     was_up[order[k]]);
			rt_changed(dp);
			return ret;
		}
	}
	/* 2. Close them all (the afxdp pools go with the last socket), then
	 * open them all with the new confs; on a failure, close what was
	 * opened and open every one with its old conf again. */
#if LR_HAVE_AFXDP_PORT
	/* An afxdp port reopened on its interface with its mtu keeps the
	 * MTU (no put-back and set again: a NIC reset each); what no open
	 * takes over is put back below. */
	if (afx)
		dp_afxdp_hold_mtu(true);
#endif
	for (i = 0; i < nb; i++)
		close_port(dp, order[i]);
	for (i = 0; i < nb; i++) {
		p = order[i];
		dp->conf.ports[p].conf = nc[p];
		ret = open_start(dp, p, was_started[p], err, errlen);
		if (ret < 0)
			break;
	}
	if (ret == 0)
		ret = check_io_txq(dp, err, errlen);
	if (ret < 0) {
		while (i-- > 0)
			close_port(dp, order[i]);
		for (i = 0; i < nb; i++) {
			p = order[i];
			dp->conf.ports[p].conf = oc[p];
			r2 = open_start(dp, p, was_started[p], err2,
					sizeof(err2));
			if (r2 < 0) {
				size_t l = strlen(err);

				snprintf(err + l, errlen - l,
					 "; reopening %s with its old conf "
					 "failed too (%s): it stays down",
					 oc[p].name, err2);
				mark_closed(dp, p);
			}
		}
	}
#if LR_HAVE_AFXDP_PORT
	if (afx)
		dp_afxdp_hold_mtu(false);
#endif
	/* 3. TX queues (their number may differ), generator MACs; then
	 * publish: the grace period orders these writes before any
	 * worker's next round, admin_up lets the workers in again. */
	for (i = 0; i < nb; i++) {
		p = order[i];
		if (!dp->opened[p])
			continue;
		for (w = 0; w < dp->nb_workers; w++) {
			dp->w[w]->txq[p] = worker_txq(dp, w, p);
			for (k = 0; k < dp->w[w]->nb_gen; k++)
				if (dp->w[w]->gen[k]->port == p)
					memcpy(dp->w[w]->gen[k]->port_mac,
					       dp->ports[p].mac, 6);
		}
	}
	dp_rcu_sync(dp);
	for (i = 0; i < nb; i++) {
		p = order[i];
		if (dp->opened[p])
			atomic_store(&dp->rt[p].admin_up, was_up[p]);
		dp_log(DP_LOG_INFO, "port %s: %s %s (%s)%s", oc[p].name,
		       ret < 0 ? "kept" : "now", dp->conf.ports[p].conf.backend,
		       dp->ports[p].mode_desc,
		       ret < 0 ? ": the switch failed" : "");
	}
	rt_changed(dp);
	dp_log(DP_LOG_INFO, "reopen of %u port(s) %s in %llu ms", nb,
	       ret < 0 ? "reverted" : "done",
	       (unsigned long long)(ms_now() - t0));
	return ret;
}

int dp_port_reopen(struct dp *dp, uint16_t port, const struct dp_port_conf *c,
		   char *err, size_t errlen)
{
	if (c == NULL) {
		snprintf(err, errlen, "no port %u", port);
		return -EINVAL;
	}
	return dp_ports_reopen(dp, 1, &port, c, err, errlen);
}

/* ---- generator ---- */

static int gen_each(struct dp *dp, uint16_t port, int what,
		    const struct dp_gen_conf *c)
{
	unsigned int w, i;
	int found = 0, ret;
	bool on;

	for (w = 0; w < dp->nb_workers; w++) {
		for (i = 0; i < dp->w[w]->nb_gen; i++) {
			struct dp_gen_state *g = dp->w[w]->gen[i];

			if (g->port != port)
				continue;
			found = 1;
			if (what == 0) {
				atomic_store_explicit(&g->on, false,
						      memory_order_release);
				continue;
			}
			on = atomic_load_explicit(&g->on,
						  memory_order_relaxed);
			if (what == 2 ||
			    (g->count && atomic_load(&g->sent) >= g->count)) {
				/* Stopped, after a grace period the worker
				 * no longer runs it: rewrite it in peace. */
				atomic_store(&g->on, false);
				dp_rcu_sync(dp);
				ret = dp_gen_prepare(g, what == 2 ? c : &g->c,
						     dp->tsc_hz);
				if (ret < 0)
					return ret;
			}
			/* Release: the worker's acquire of on sees the
			 * fields dp_gen_prepare wrote. */
			atomic_store_explicit(&g->on, what == 1 ? true : on,
					      memory_order_release);
		}
	}
	return found ? 0 : -ENOENT;
}

int dp_gen_set(struct dp *dp, uint16_t port, const struct dp_gen_conf *g,
	       char *err, size_t errlen)
{
	int ret;

	if (port >= dp->nb_ports || g->flows > DP_FLOWS_MAX) {
		snprintf(err, errlen, "generator: bad port or flows > %u",
			 DP_FLOWS_MAX);
		return -EINVAL;
	}
	ret = gen_each(dp, port, 2, g);
	if (ret == -ENOENT)
		snprintf(err, errlen,
			 "port %s: no generator configured (add a "
			 "generator: section to the port)",
			 dp->ports[port].name);
	else if (ret < 0)
		snprintf(err, errlen, "generator: %s", strerror(-ret));
	else
		dp->conf.ports[port].gen = *g;
	return ret;
}

int dp_gen_start(struct dp *dp, uint16_t port)
{
	return gen_each(dp, port, 1, NULL);
}

int dp_gen_stop(struct dp *dp, uint16_t port)
{
	return gen_each(dp, port, 0, NULL);
}

void dp_sink_reset(struct dp *dp)
{
	unsigned int w;

	for (w = 0; w < dp->nb_workers; w++)
		if (dp->w[w]->sink_flows)
			atomic_store(&dp->w[w]->sink_reset, true);
}

/* ---- reload ---- */

/* Field by field: a conf written over another (a run-time switch's
 * snprintf) keeps stale bytes after a shorter string's NUL, and padding is
 * anyone's; neither may make a reload of the same config look different.
 * A field added to struct dp_port_conf must be added here. */
static bool port_conf_eq(const struct dp_port_conf *a,
			 const struct dp_port_conf *b)
{
	return strcmp(a->name, b->name) == 0 &&
	       strcmp(a->backend, b->backend) == 0 &&
	       strcmp(a->dev, b->dev) == 0 &&
	       strcmp(a->io_model, b->io_model) == 0 &&
	       a->nb_queues == b->nb_queues && a->nb_txq == b->nb_txq &&
	       a->rx_ring == b->rx_ring && a->tx_ring == b->tx_ring &&
	       a->mtu == b->mtu && a->mac_set == b->mac_set &&
	       (!a->mac_set || memcmp(a->mac, b->mac, 6) == 0) &&
	       a->xdp_skb == b->xdp_skb && a->zerocopy == b->zerocopy &&
	       a->force == b->force && a->sqpoll_cpu == b->sqpoll_cpu;
}

static bool same_structure(const struct dp_config *a,
			   const struct dp_config *b, char *err,
			   size_t errlen)
{
	uint16_t p;
	unsigned int w;

	if (memcmp(&a->eal, &b->eal, sizeof(a->eal)) != 0) {
		snprintf(err, errlen, "eal: changed; restart linerated to "
			 "apply");
		return false;
	}
	if (a->nb_ports != b->nb_ports || a->nb_workers != b->nb_workers) {
		snprintf(err, errlen, "ports/workers: count changed; restart "
			 "linerated to apply");
		return false;
	}
	for (p = 0; p < a->nb_ports; p++) {
		if (!port_conf_eq(&a->ports[p].conf, &b->ports[p].conf) ||
		    a->ports[p].rx_role != b->ports[p].rx_role ||
		    a->ports[p].gen.enabled != b->ports[p].gen.enabled) {
			snprintf(err, errlen, "ports.%s: backend, device, "
				 "role or generator presence changed; restart "
				 "linerated to apply",
				 a->ports[p].conf.name);
			return false;
		}
	}
	for (w = 0; w < a->nb_workers; w++) {
		if (memcmp(&a->workers[w], &b->workers[w],
			   sizeof(a->workers[w])) != 0) {
			snprintf(err, errlen, "workers[%u]: changed; restart "
				 "linerated to apply", w);
			return false;
		}
	}
	return true;
}

static bool arr_eq(const void *a, size_t na, const void *b, size_t nb,
		   size_t sz)
{
	return na == nb && (na == 0 || memcmp(a, b, na * sz) == 0);
}

/*
 * All or nothing: check everything, build every table that changed (off to
 * the side), and only then publish them together (one grace period) and
 * switch the settings. A failure before the publish frees what was built
 * and leaves the running dataplane and its model as they were. Workers
 * never read dp->conf: what they read at run time (mode, acl, peer,
 * admin_up, rx_role in dp->rt[]; l2_learn, l2_flood) are atomics of their
 * own, so the model is replaced with a plain copy.
 */
int dp_apply(struct dp *dp, const struct dp_config *c, char *err,
	     size_t errlen)
{
	struct dp_l3_table *l3 = NULL;
	struct dp_acl_table *acl = NULL;
	struct dp_l2_table *l2 = NULL;
	struct dp_config nc;
	bool ch_l3, ch_acl, ch_l2;
	uint16_t p;
	int ret;

	if (!same_structure(&dp->conf, c, err, errlen))
		return -EINVAL;
	for (p = 0; p < dp->nb_ports; p++) {
		const struct dp_port_entry *pe = &c->ports[p];

		if ((unsigned int)pe->mode >= DP_FWD__COUNT ||
		    pe->peer >= dp->nb_ports ||
		    (pe->gen.enabled && pe->gen.flows > DP_FLOWS_MAX)) {
			snprintf(err, errlen, "ports.%s: bad mode, peer or "
				 "generator flows", pe->conf.name);
			return -EINVAL;
		}
	}
	ch_l3 = !arr_eq(dp->conf.routes, dp->conf.nb_routes, c->routes,
			c->nb_routes, sizeof(*c->routes)) ||
		!arr_eq(dp->conf.neighs, dp->conf.nb_neighs, c->neighs,
			c->nb_neighs, sizeof(*c->neighs)) ||
		memcmp(&dp->conf.routes_gen, &c->routes_gen,
		       sizeof(c->routes_gen)) != 0;
	ch_acl = !arr_eq(dp->conf.acl, dp->conf.nb_acl, c->acl, c->nb_acl,
			 sizeof(*c->acl)) ||
		 dp->conf.acl_default != c->acl_default;
	ch_l2 = !arr_eq(dp->conf.macs, dp->conf.nb_macs, c->macs, c->nb_macs,
			sizeof(*c->macs));
	if ((ret = routes_check(dp, c->routes, c->nb_routes, err, errlen)) ||
	    (ret = macs_check(dp, c->macs, c->nb_macs, err, errlen)))
		return ret;
	ret = dp_config_copy(&nc, c);
	if (ret < 0) {
		snprintf(err, errlen, "reload: out of memory");
		return ret;
	}
	if (ch_l3 && (ret = dp_l3_build(dp, c->routes, c->nb_routes,
					 c->neighs, c->nb_neighs,
					 &c->routes_gen, &l3, err, errlen)))
		goto fail;
	if (ch_acl && (ret = dp_acl_build(dp, c->acl, c->nb_acl,
					   c->acl_default, &acl, err, errlen)))
		goto fail;
	if (ch_l2 && (ret = dp_l2_build(dp, c->macs, c->nb_macs,
					 atomic_load(&dp->l2), &l2, err,
					 errlen)))
		goto fail;

	/* Nothing below can fail. */
	if (l3)
		l3 = atomic_exchange_explicit(&dp->l3, l3,
					      memory_order_acq_rel);
	if (acl)
		acl = atomic_exchange_explicit(&dp->acl, acl,
					       memory_order_acq_rel);
	if (l2)
		l2 = atomic_exchange_explicit(&dp->l2, l2,
					      memory_order_acq_rel);
	if (l3 || acl || l2)
		dp_rcu_sync(dp);
	dp_l3_free(l3);
	dp_acl_free(acl);
	dp_l2_free(l2);
	for (p = 0; p < dp->nb_ports; p++) {
		const struct dp_port_entry *pe = &c->ports[p];

		atomic_store(&dp->rt[p].mode, (uint8_t)pe->mode);
		atomic_store(&dp->rt[p].acl, pe->acl);
		atomic_store(&dp->rt[p].peer, pe->peer);
		/* Cannot fail: flows checked above, seq allocated at
		 * create. */
		if (pe->gen.enabled &&
		    memcmp(&pe->gen, &dp->conf.ports[p].gen,
			   sizeof(pe->gen)) != 0)
			gen_each(dp, p, 2, &pe->gen);
	}
	rt_changed(dp);
	atomic_store(&dp->l2_learn, c->l2.learning);
	atomic_store(&dp->l2_flood, c->l2.flood);
	/* Only the control thread reads the model. */
	dp_config_free(&dp->conf);
	dp->conf = nc;
	return 0;
fail:
	dp_l3_free(l3);
	dp_acl_free(acl);
	dp_l2_free(l2);
	dp_config_free(&nc);
	return ret;
}
