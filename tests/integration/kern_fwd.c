// SPDX-License-Identifier: MIT
/*
 * kern_fwd: a standalone forwarder over the kernel backend's port ops, for
 * the lab tests (no workers, no pipeline: rx_burst -> dp_macswap ->
 * tx_burst on the paired port -> free).
 *
 *   kern_fwd -m MODEL [-T all|port] [-t SECONDS] [-b MS_BUFFERS]
 *            IF0 IF1 [IF2 IF3 ...]
 *
 * Ports forward in pairs (IF0 <-> IF1, IF2 <-> IF3 ...). -T all (default):
 * one thread polls every port, as a worker does. -T port: one thread per
 * port (the blocking model's premise); each thread sends through its own
 * tx-only handle on the paired interface so no queue has two writers.
 * Prints "ready" when the ports are started; on SIGTERM/SIGINT or after
 * SECONDS it prints one line per port: name, up flag and every xstat.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "csum.h"
#include "kern.h"

#define MAXP 8

static atomic_bool stop;
static struct dp_port ports[MAXP], txh[MAXP];
static int nports;
static uint64_t unsent[MAXP];

static void on_sig(int s)
{
	(void)s;
	atomic_store(&stop, true);
}

static void fwd_one(struct dp_port *p, struct dp_port *tx, int i,
		    struct dp_burst *b)
{
	uint16_t n, k, sent;

	n = p->ops->rx_burst(p, 0, b);
	if (!n)
		return;
	for (k = 0; k < n; k++)
		dp_macswap(b->data[k]);
	sent = tx->ops->tx_burst(tx, 0, b->data, b->len, b->buf, n, true);
	unsent[i] += n - sent;
	p->ops->free_bufs(p, 0, b->buf, n);
}

static void *worker_all(void *arg)
{
	static struct dp_burst b;
	int i;

	(void)arg;
	while (!atomic_load_explicit(&stop, memory_order_relaxed))
		for (i = 0; i < nports; i++)
			fwd_one(&ports[i], &ports[i ^ 1], i, &b);
	return NULL;
}

static void *worker_port(void *arg)
{
	struct dp_burst *b = calloc(1, sizeof(*b));
	int i = (int)(intptr_t)arg;

	while (b && !atomic_load_explicit(&stop, memory_order_relaxed))
		fwd_one(&ports[i], &txh[i ^ 1], i, b);
	free(b);
	return NULL;
}

static int open_port(struct dp_port *p, const char *model, const char *dev,
		     int id, int sqcpu)
{
	struct dp_port_conf c = { .nb_queues = 1, .sqpoll_cpu = sqcpu };
	char err[256];
	int ret;

	snprintf(c.name, sizeof(c.name), "p%d%s", id,
		 kern_tun.tx_only ? "tx" : "");
	snprintf(c.backend, sizeof(c.backend), "kernel");
	snprintf(c.dev, sizeof(c.dev), "%s", dev);
	snprintf(c.io_model, sizeof(c.io_model), "%s", model);
	p->id = (uint16_t)id;
	ret = dp_kern_open(p, &c, err, sizeof(err));
	if (ret < 0) {
		fprintf(stderr, "kern_fwd: %s\n", err);
		return ret;
	}
	ret = p->ops->start(p);
	if (ret < 0)
		fprintf(stderr, "kern_fwd: start %s: %s\n", dev, strerror(-ret));
	return ret;
}

static void print_port(struct dp_port *p, int i)
{
	struct dp_port_kv kv[64];
	int k, n = p->ops->xstats(p, kv, 64);

	printf("port %s dev %s model %s up=%d fwd_unsent=%llu", p->name,
	       ((struct kern_port *)p->priv)->ifname, p->mode_desc, p->up,
	       (unsigned long long)unsent[i]);
	for (k = 0; k < n; k++)
		printf(" %s=%llu", kv[k].name, (unsigned long long)kv[k].value);
	printf("\n");
}

int main(int argc, char **argv)
{
	const char *model = "epoll-et", *tmode = "all";
	pthread_t th[MAXP];
	int i, opt, secs = 30, sqcpu = -1, ret = 1, nth = 0, opened = 0;
	int ntx = 0;
	struct timespec t0, t;

	while ((opt = getopt(argc, argv, "m:T:t:b:c:")) != -1) {
		switch (opt) {
		case 'm': model = optarg; break;
		case 'T': tmode = optarg; break;
		case 't': secs = atoi(optarg); break;
		case 'b': kern_tun.ms_buffers = (uint32_t)atoi(optarg); break;
		case 'c': sqcpu = atoi(optarg); break;
		default: goto usage;
		}
	}
	nports = argc - optind;
	if (nports < 2 || nports > MAXP || nports % 2)
		goto usage;
	signal(SIGTERM, on_sig);
	signal(SIGINT, on_sig);
	for (i = 0; i < nports; i++, opened++)
		if (open_port(&ports[i], model, argv[optind + i], i, sqcpu) < 0)
			goto out;
	if (!strcmp(tmode, "port")) {
		kern_tun.tx_only = true;
		for (i = 0; i < nports; i++, ntx++)
			if (open_port(&txh[i], model, argv[optind + i], i,
				      sqcpu) < 0)
				goto out;
		kern_tun.tx_only = false;
		for (i = 0; i < nports; i++, nth++)
			pthread_create(&th[i], NULL, worker_port,
				       (void *)(intptr_t)i);
	} else {
		pthread_create(&th[0], NULL, worker_all, NULL);
		nth = 1;
	}
	printf("ready\n");
	fflush(stdout);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!atomic_load(&stop)) {
		usleep(20000);
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec >= secs)
			atomic_store(&stop, true);
	}
	for (i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
	for (i = 0; i < nports; i++) {
		ports[i].ops->stop(&ports[i]);
		print_port(&ports[i], i);
	}
	ret = 0;
out:
	fflush(stdout);
	for (i = 0; i < ntx; i++)
		txh[i].ops->close(&txh[i]);
	for (i = 0; i < opened; i++)
		ports[i].ops->close(&ports[i]);
	return ret;
usage:
	fprintf(stderr, "usage: kern_fwd -m MODEL [-T all|port] [-t SECONDS] [-b MS_BUFFERS] [-c SQPOLL_CPU] IF0 IF1 [IF2 IF3 ...]\n");
	return 2;
}
