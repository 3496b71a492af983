// SPDX-License-Identifier: MIT
/*
 * afxdp_fwd: forward between two afxdp ports through the backend's own ops,
 * without the dataplane, for the integration tests and the benchmark.
 *
 *   afxdp_fwd [--mode macswap|io] [--skb] [--force] [--filter ip]
 *             [--queues N] [--rx-ring N] [--tx-ring N] [--seconds S]
 *             [--ready FILE] [--xstats] [--busy-poll N] [--leak N]
 *             [--zerocopy] [--drain-us US] [--threads 1|2] [--mtu N]
 *             [--bad-free] [--bad-tx] [--rx-ring-b N] IF_A IF_B
 *
 * Frames received on IF_A go out on IF_B and the other way round
 * (macswap: source and destination MAC swapped, with dp_macswap). One
 * thread polls every queue of both ports (the pool rule: queue q of both
 * ports in one thread). Received packets wait in a TX buffer per output
 * queue until DP_BURST are there or the oldest has waited --drain-us
 * (default 100; 0: every RX burst is sent at once), as the dataplane's
 * workers buffer. Runs until SIGINT/SIGTERM or --seconds, then closes
 * both ports and prints one summary line:
 *
 *   afxdp_fwd: fwd PKTS pkts, busy CYCLES cycles, CPP cycles/pkt, lost N
 *
 * busy cycles are TSC cycles of polls that moved at least one packet.
 * Exit 0; 1 when a port cannot open (message on stderr); 3 when frames
 * were lost (frame accounting at close). --leak N takes N frames with
 * alloc_bufs before closing and never frees them: a check that the
 * accounting notices. --bad-free hands free_bufs a handle beyond the UMEM
 * (a caller bug): it must be refused and counted (bad_free), not put on the
 * free list. --rx-ring-b sets IF_B's RX ring alone (after --rx-ring).
 * --bad-tx offers tx_burst a frame whose data pointer lies in
 * another frame than its handle: it must not be taken. --threads 2 breaks the pool rule on purpose: thread
 * i polls port i and sends to the other port, so both threads use the
 * pool of each queue; the backend must refuse the second thread (and say
 * so), not corrupt the pool.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <x86intrin.h>

#include "afxdp.h"
#include "csum.h"
#include "port.h"

static atomic_bool fwd_stop;

static void fwd_on_signal(int sig)
{
	atomic_store(&fwd_stop, true);
}

static uint64_t fwd_now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + t.tv_nsec;
}

struct fwd_stats {
	uint64_t rx, tx, unsent, busy_cycles;
};

/* Packets for one output queue, sent when DP_BURST are there or the
 * oldest has waited drain_cycles (l2fwd's TX drain, as the dataplane's
 * workers do): fewer, fuller TX kicks. */
struct fwd_txbuf {
	uint16_t n;
	uint64_t since; /* TSC of the oldest packet */
	struct dp_port *src;
	uint8_t *data[DP_BURST];
	uint16_t len[DP_BURST];
	uintptr_t buf[DP_BURST];
};

static uint64_t drain_cycles;

static void fwd_flush(struct dp_port *out, uint16_t q, struct fwd_txbuf *t,
		      struct fwd_stats *st)
{
	struct dp_port *in = t->src;
	uint16_t n = t->n, sent;
	bool foreign;

	if (!n)
		return;
	t->n = 0;
	foreign = in->buf_domain != out->buf_domain;
	sent = out->ops->tx_burst(out, q, t->data, t->len, t->buf, n, foreign);
	if (foreign)
		in->ops->free_bufs(in, q, t->buf, n);
	else if (sent < n)
		in->ops->free_bufs(in, q, t->buf + sent, n - sent);
	st->tx += sent;
	st->unsent += n - sent;
}

static void fwd_one(struct dp_port *in, struct dp_port *out, uint16_t q,
		    bool macswap, struct dp_burst *b, struct fwd_txbuf *t,
		    struct fwd_stats *st)
{
	uint64_t t0 = __rdtsc();
	uint16_t n;

	n = in->ops->rx_burst(in, q, b);
	if (!n) {
		if (t->n && t0 - t->since > drain_cycles) {
			fwd_flush(out, q, t, st);
			st->busy_cycles += __rdtsc() - t0;
		}
		return;
	}
	for (uint16_t i = 0; i < n; i++) {
		if (macswap)
			dp_macswap(b->data[i]);
		if (!t->n) {
			t->since = t0;
			t->src = in;
		}
		t->data[t->n] = b->data[i];
		t->len[t->n] = b->len[i];
		t->buf[t->n] = b->buf[i];
		if (++t->n == DP_BURST)
			fwd_flush(out, q, t, st);
	}
	if (t->n && t0 - t->since > drain_cycles)
		fwd_flush(out, q, t, st);
	st->rx += n;
	st->busy_cycles += __rdtsc() - t0;
}

static uint64_t fwd_tsc_hz(void)
{
	uint64_t t0 = fwd_now_ns(), c0 = __rdtsc(), t1, c1;

	do {
		t1 = fwd_now_ns();
	} while (t1 - t0 < 10000000);
	c1 = __rdtsc();
	return (c1 - c0) * 1000000000ull / (t1 - t0);
}

static void fwd_print_xstats(struct dp_port *p)
{
	struct dp_port_kv kv[64];
	int n;

	if (!p->ops->xstats)
		return;
	n = p->ops->xstats(p, kv, 64);
	for (int i = 0; i < n; i++)
		printf("xstat %s %s %llu\n", p->name, kv[i].name,
		       (unsigned long long)kv[i].value);
}

/* One forwarding thread: ports [first, first + nports) in, the other
 * port out. */
struct fwd_thread {
	pthread_t tid;
	struct dp_port *port;
	int first, nports;
	bool macswap;
	uint64_t deadline;
	struct fwd_txbuf (*txb)[DP_QUEUE_MAX];
	struct dp_burst *b;
	struct fwd_stats st;
};

static void *fwd_loop(void *arg)
{
	struct fwd_thread *t = arg;
	struct dp_port *port = t->port;

	for (uint64_t loop = 0;
	     !atomic_load_explicit(&fwd_stop, memory_order_relaxed); loop++) {
		for (uint16_t q = 0; q < port[0].nb_queues; q++)
			for (int i = t->first; i < t->first + t->nports; i++)
				fwd_one(&port[i], &port[1 - i], q, t->macswap,
					t->b, &t->txb[1 - i][q], &t->st);
		if ((loop & 1023) == 0) {
			for (int i = 0; i < 2; i++)
				for (uint16_t q = 0; q < port[i].nb_queues; q++)
					port[i].ops->tx_flush(&port[i], q);
			if (t->deadline && fwd_now_ns() > t->deadline)
				break;
		}
	}
	for (int i = t->first; i < t->first + t->nports; i++)
		for (uint16_t q = 0; q < port[1 - i].nb_queues; q++)
			fwd_flush(&port[1 - i], q, &t->txb[1 - i][q], &t->st);
	return NULL;
}

static void fwd_usage(void)
{
	fprintf(stderr,
		"usage: afxdp_fwd [--mode macswap|io] [--skb] [--force] "
		"[--filter ip] [--queues N] [--rx-ring N] [--tx-ring N] "
		"[--seconds S] [--ready FILE] [--xstats] [--busy-poll N] "
		"[--leak N] [--zerocopy] [--drain-us N] [--threads 1|2] [--mtu N] "
		"[--bad-free] [--bad-tx] [--rx-ring-b N] "
		"IF_A IF_B\n");
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{"mode", required_argument, NULL, 'm'},
		{"skb", no_argument, NULL, 's'},
		{"force", no_argument, NULL, 'f'},
		{"filter", required_argument, NULL, 'F'},
		{"queues", required_argument, NULL, 'q'},
		{"rx-ring", required_argument, NULL, 'r'},
		{"tx-ring", required_argument, NULL, 't'},
		{"seconds", required_argument, NULL, 'S'},
		{"ready", required_argument, NULL, 'R'},
		{"xstats", no_argument, NULL, 'x'},
		{"busy-poll", required_argument, NULL, 'B'},
		{"leak", required_argument, NULL, 'L'},
		{"zerocopy", no_argument, NULL, 'z'},
		{"drain-us", required_argument, NULL, 'D'},
		{"threads", required_argument, NULL, 'T'},
		{"mtu", required_argument, NULL, 'M'},
		{"bad-free", no_argument, NULL, 'X'},
		{"bad-tx", no_argument, NULL, 'Y'},
		{"rx-ring-b", required_argument, NULL, 'b'},
		{NULL, 0, NULL, 0},
	};
	struct dp_port_conf conf[2] = {};
	struct dp_port port[2] = {};
	struct fwd_stats st = {};
	struct fwd_thread th[2] = {};
	int nthreads = 1;
	struct dp_burst *b;
	const char *ready = NULL, *filter = NULL, *busy = NULL;
	bool macswap = true, xstats = false, bad_free = false, bad_tx = false;
	int leak = 0;
	long drain_us = 100;
	struct fwd_txbuf(*txb)[DP_QUEUE_MAX] = NULL;
	double seconds = 0;
	uint64_t deadline = 0, lost;
	char err[256];
	int opt, ret = 0, nopen = 0;

	memset(conf, 0, sizeof(conf));
	conf[0].nb_queues = conf[1].nb_queues = 1;
	while ((opt = getopt_long(argc, argv, "", lopts, NULL)) != -1) {
		switch (opt) {
		case 'm':
			if (!strcmp(optarg, "io"))
				macswap = false;
			else if (strcmp(optarg, "macswap"))
				goto usage;
			break;
		case 's':
			conf[0].xdp_skb = conf[1].xdp_skb = true;
			break;
		case 'f':
			conf[0].force = conf[1].force = true;
			break;
		case 'F':
			filter = optarg;
			break;
		case 'q':
			conf[0].nb_queues = conf[1].nb_queues = atoi(optarg);
			break;
		case 'r':
			conf[0].rx_ring = conf[1].rx_ring = atoi(optarg);
			break;
		case 't':
			conf[0].tx_ring = conf[1].tx_ring = atoi(optarg);
			break;
		case 'S':
			seconds = atof(optarg);
			break;
		case 'R':
			ready = optarg;
			break;
		case 'x':
			xstats = true;
			break;
		case 'B':
			busy = optarg;
			break;
		case 'L':
			leak = atoi(optarg);
			break;
		case 'z':
			conf[0].zerocopy = conf[1].zerocopy = true;
			break;
		case 'D':
			drain_us = atol(optarg);
			break;
		case 'b':
			conf[1].rx_ring = atoi(optarg);
			break;
		case 'Y':
			bad_tx = true;
			break;
		case 'X':
			bad_free = true;
			break;
		case 'M':
			conf[0].mtu = conf[1].mtu = atoi(optarg);
			break;
		case 'T':
			nthreads = atoi(optarg);
			if (nthreads != 1 && nthreads != 2)
				goto usage;
			break;
		default:
			goto usage;
		}
	}
	if (argc - optind != 2)
		goto usage;

	signal(SIGINT, fwd_on_signal);
	signal(SIGTERM, fwd_on_signal);
	b = calloc(2, sizeof(*b));
	txb = calloc(2 * DP_QUEUE_MAX, sizeof(**txb));
	if (!b || !txb) {
		free(b);
		free(txb);
		return 1;
	}
	drain_cycles = fwd_tsc_hz() / 1000000 * drain_us;
	for (int i = 0; i < 2; i++) {
		snprintf(conf[i].name, sizeof(conf[i].name), "p%d", i);
		snprintf(conf[i].backend, sizeof(conf[i].backend), "afxdp");
		snprintf(conf[i].dev, sizeof(conf[i].dev), "%s%s%s%s%s",
			 argv[optind + i], filter ? ",filter=" : "",
			 filter ? filter : "", busy ? ",busy_poll=" : "",
			 busy ? busy : "");
		port[i].id = i;
		ret = dp_afxdp_open(&port[i], &conf[i], err, sizeof(err));
		if (ret) {
			fprintf(stderr, "afxdp_fwd: %s\n", err);
			ret = 1;
			goto out;
		}
		nopen++;
		printf("afxdp_fwd: port %s on %s: %s\n", port[i].name,
		       argv[optind + i], port[i].mode_desc);
	}
	for (int i = 0; i < 2; i++) {
		ret = port[i].ops->start(&port[i]);
		if (ret) {
			fprintf(stderr, "afxdp_fwd: start %s: %s\n",
				port[i].name, strerror(-ret));
			ret = 1;
			goto out;
		}
	}
	if (ready) {
		FILE *f = fopen(ready, "w");

		if (f)
			fclose(f);
	}
	fflush(stdout);
	if (seconds > 0)
		deadline = fwd_now_ns() + (uint64_t)(seconds * 1e9);
	for (int i = 0; i < nthreads; i++) {
		th[i] = (struct fwd_thread){
			.port = port,
			.first = nthreads == 1 ? 0 : i,
			.nports = nthreads == 1 ? 2 : 1,
			.macswap = macswap,
			.deadline = deadline,
			.txb = txb,
			.b = &b[i],
		};
	}
	if (nthreads == 2 &&
	    pthread_create(&th[1].tid, NULL, fwd_loop, &th[1])) {
		fprintf(stderr, "afxdp_fwd: cannot start a second thread\n");
		nthreads = 1;
		th[0].nports = 2;
	}
	fwd_loop(&th[0]);
	if (nthreads == 2) {
		atomic_store(&fwd_stop, true);
		pthread_join(th[1].tid, NULL);
	}
	for (int i = 0; i < nthreads; i++) {
		st.rx += th[i].st.rx;
		st.tx += th[i].st.tx;
		st.unsent += th[i].st.unsent;
		st.busy_cycles += th[i].st.busy_cycles;
	}
	ret = 0;
	if (leak > 0) {
		/* Test of the accounting itself: take frames, never give
		 * them back; close must report them. */
		uint8_t *d[DP_BURST];
		uintptr_t h[DP_BURST];

		port[0].ops->alloc_bufs(&port[0], 0, 64, d, h,
					leak < DP_BURST ? leak : DP_BURST);
	}
	if (bad_free) {
		uintptr_t h = (uintptr_t)1 << 40; /* far beyond any UMEM */

		port[0].ops->free_bufs(&port[0], 0, &h, 1);
	}
	if (bad_tx) {
		uint8_t *d[2];
		uintptr_t h[2];
		uint16_t l = 60, sent = 0;

		if (port[0].ops->alloc_bufs(&port[0], 0, 60, d, h, 2) == 2) {
			memset(d[1], 0xff, 60);
			/* handle of frame 0, data in frame 1 */
			sent = port[0].ops->tx_burst(&port[0], 0, &d[1], &l,
						     &h[0], 1, false);
			if (sent)
				port[0].ops->free_bufs(&port[0], 0, &h[1], 1);
			else
				port[0].ops->free_bufs(&port[0], 0, h, 2);
		}
		printf("afxdp_fwd: bad tx taken %u\n", sent);
	}
	if (xstats)
		for (int i = 0; i < 2; i++)
			fwd_print_xstats(&port[i]);
out:
	for (int i = 0; i < nopen; i++) {
		if (port[i].up)
			port[i].ops->stop(&port[i]);
		port[i].ops->close(&port[i]);
	}
	lost = dp_afxdp_lost_frames();
	printf("afxdp_fwd: fwd %llu pkts, unsent %llu, busy %llu cycles, "
	       "%.1f cycles/pkt, lost %llu\n",
	       (unsigned long long)st.tx, (unsigned long long)st.unsent,
	       (unsigned long long)st.busy_cycles,
	       st.rx ? (double)st.busy_cycles / st.rx : 0.0,
	       (unsigned long long)lost);
	free(b);
	free(txb);
	if (!ret && lost)
		ret = 3;
	return ret;
usage:
	fwd_usage();
	return 2;
}
