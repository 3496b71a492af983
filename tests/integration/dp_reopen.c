// SPDX-License-Identifier: MIT
/*
 * Description: dp_port_reopen switches a port's backend device while
 * traffic flows through it, and a failed switch leaves the old one running.
 *
 * Topology on net_ring vdevs (a ring port receives what it sends): a
 * generator (64 flows) on port src, whose RX worker forwards it (io) to
 * port out; out is polled by no worker but by this test's drain thread.
 * The test reopens src (the port a worker polls, whose generator and TX
 * buffers hold its mbufs) on a new net_ring device eight times under
 * traffic: each returns 0, the model names the new device, and packets
 * reach out again afterwards. Then a reopen while src is admin down (it
 * stays down until dp_port_start), a device that cannot open (refused,
 * naming the port and the device; the old device runs again and traffic
 * flows), an afxdp backend on an interface that does not exist (refused
 * naming the port and the interface, the old device runs again) and
 * another name (refused), and a worker stuck in src's rx_burst (the
 * switch fails after its 2 s bound naming the port and the worker, src
 * keeps running; once the worker is back the switch works). Throughout, per flow, sequence numbers at out only grow (a
 * reopen may lose packets, never duplicate or reorder them), and at the
 * end out received exactly what the worker counted as sent to it. ASan
 * (developer builds) catches any use of a closed port's memory. Needs
 * root (DPDK): exits 77 without it.
 *
 *   dp_reopen kern IF_OUT IF_PEER    (dp_reopen_kern.sh: a veth pair in a
 *                                     namespace of its own)
 *
 * The same with out a kernel port on IF_OUT that a second worker polls
 * (so its queue sits in that thread's waiter; the first worker sends to
 * out on a TX-only socket), drained by an AF_PACKET
 * socket on IF_PEER: out is reopened through every I/O model under
 * traffic, an unknown io_model is refused and reverted, and afxdp is
 * refused where the config's rules would be broken (out as the io peer
 * of a worker that does not poll it; src and out on afxdp with their
 * queue 0 polled by two workers), naming the ports, nothing touched; and
 * out as a dpdk net_af_packet with one TX queue (qpairs=1), which would
 * leave worker 0, its io sender, without one: refused once opened, out
 * back on its kernel socket and traffic flowing.
 *
 *   dp_reopen kstop IF_A IF_A_PEER IF_B   (dp_reopen_stop.sh: two veth
 *                                          pairs in a namespace)
 *
 * dp_port_stop lets the workers go of the port's queues: one worker polls
 * two kernel ports a and b (epoll-lt, one waiter); a is stopped while
 * frames keep arriving on it (sent on IF_A_PEER). The stopped socket stays
 * readable; were its queue still in the worker's waiter, every wait for b
 * would return at once (a busy spin). The worker's polls while both idle
 * (baseline) and while a is stopped with frames queued are counted over the
 * same time in one run: the second stays within 10x the first plus 2000
 * (a spin makes it hundreds of times more). Then a starts again and
 * receives the frames sent after.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "dp_internal.h"

#define FLOWS 64

static _Atomic uint64_t out_pkts;
static _Atomic bool drain_stop;
static uint64_t seq_bad, magic_bad;
static uint32_t next_seq[FLOWS];
static bool seen[FLOWS];
static uint16_t out_port;
static struct dp *g_dp; /* for the counters a failure prints */

static int kern_fd = -1;

/* A worker that does not come back: src's rx_burst stalls when asked until
 * the test lets it go (a stand-in for a worker stuck in a syscall or
 * starved). */
static const struct dp_port_ops *stall_orig;
static struct dp_port_ops stall_ops;
static _Atomic int stall; /* 1: stall next call, 2: stalling, 3: let go */

static void stall_if_asked(void)
{
	int one = 1;

	if (atomic_compare_exchange_strong(&stall, &one, 2)) {
		struct timespec ts = { 0, 1000 * 1000 };

		while (atomic_load(&stall) == 2)
			nanosleep(&ts, NULL);
		atomic_store(&stall, 0);
	}
}

static uint16_t stall_rx(struct dp_port *p, uint16_t q, struct dp_burst *b)
{
	stall_if_asked();
	return stall_orig->rx_burst(p, q, b);
}

/* The same on the io fast path, which receives through io_direct. */
static int stall_io_direct(struct dp_port *p, uint16_t q, struct dp_port *op,
			   uint16_t oq, struct dp_burst *b, uint16_t min,
			   uint32_t *tx_bytes)
{
	stall_if_asked();
	return stall_orig->io_direct(p, q, op, oq, b, min, tx_bytes);
}

static void drain_one(const uint8_t *f, size_t len)
{
	struct dp_gen_payload pl;
	size_t off = 14 + 20 + 8;

	if (len < off + sizeof(pl)) {
		magic_bad++;
		return;
	}
	memcpy(&pl, f + off, sizeof(pl));
	if (pl.magic != DP_GEN_MAGIC || pl.flow >= FLOWS) {
		magic_bad++;
		return;
	}
	if (seen[pl.flow] && pl.seq < next_seq[pl.flow])
		seq_bad++;
	seen[pl.flow] = true;
	next_seq[pl.flow] = pl.seq + 1;
}

static void *drain(void *arg)
{
	struct rte_mbuf *m[64];
	struct timespec nap = { 0, 20000 };
	unsigned int idle = 0;
	uint16_t n, i;

	(void)arg;
	for (;;) {
		if (kern_fd >= 0) {
			uint8_t f[2048];
			ssize_t l;

			for (n = 0; n < 64; n++) {
				l = recv(kern_fd, f, sizeof(f), MSG_DONTWAIT);
				if (l < 0)
					break;
				drain_one(f, (size_t)l);
			}
		} else {
			n = rte_eth_rx_burst(out_port, 0, m, 64);
			for (i = 0; i < n; i++) {
				drain_one(rte_pktmbuf_mtod(m[i],
							   const uint8_t *),
					  rte_pktmbuf_data_len(m[i]));
				rte_pktmbuf_free(m[i]);
			}
		}
		atomic_fetch_add(&out_pkts, n);
		if (n)
			idle = 0;
		else if (atomic_load(&drain_stop) && ++idle > 100)
			break;
		else
			nanosleep(&nap, NULL);
	}
	return NULL;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* Traffic reaches out within 10 s (a loaded machine may starve the
 * pinned workers for a while; no rate is asserted). */
static bool flows(const char *what)
{
	uint64_t a = atomic_load(&out_pkts);
	int i;

	for (i = 0; i < 1000; i++) {
		sleep_ms(10);
		if (atomic_load(&out_pkts) > a + 100)
			return true;
	}
	printf("FAIL: %s: no traffic at out afterwards\n", what);
	if (g_dp) {
		struct dp_worker_stats st;

		dp_stats_total(g_dp, &st);
		printf("  rx %lu tx %lu out tx %lu port_down %lu tx_full %lu "
		       "polls %lu\n",
		       (unsigned long)st.rx_pkts, (unsigned long)st.tx_pkts,
		       (unsigned long)st.port[1].tx_pkts,
		       (unsigned long)st.drops[LR_R_PORT_DOWN],
		       (unsigned long)st.drops[LR_R_TX_FULL],
		       (unsigned long)st.polls);
	}
	return false;
}

static bool dev_is(struct dp *dp, const char *dev)
{
	return strcmp(dp_config(dp)->ports[0].conf.dev, dev) == 0;
}

/* dp_port_reopen, its result and message printed under what. */
static int reopen_logged(struct dp *dp, uint16_t port,
			 const struct dp_port_conf *pc, char *err,
			 size_t errlen, const char *what)
{
	int r = dp_port_reopen(dp, port, pc, err, errlen);

	printf("%s: %d '%s'\n", what, r, err);
	return r;
}

/* A config with this test's EAL settings: a file prefix of its own
 * (lr-dt-TAG-PID), warnings only, no hugepages. */
static void config_base(struct dp_config *c, const char *tag)
{
	dp_config_init(c);
	snprintf(c->eal.file_prefix, sizeof(c->eal.file_prefix),
		 "lr-dt-%s-%d", tag, (int)getpid());
	snprintf(c->eal.log_level, sizeof(c->eal.log_level), "warning");
	c->eal.hugepages = 0;
}

/* EAL, dp_create, dp_start; 0, or 1 after printing why (77 if skip_notsup
 * and dp_create says -ENOTSUP), the EAL cleaned up then (no run dir left
 * behind). */
static int dp_up(struct dp_config *c, struct dp **dp, bool skip_notsup)
{
	char err[512];
	int r;

	if (dp_eal_init(c, "dp_reopen", err, sizeof(err)) < 0) {
		printf("FAIL: %s\n", err);
		return 1;
	}
	r = dp_create(c, dp, err, sizeof(err));
	if (r == -ENOTSUP && skip_notsup) {
		printf("SKIP: %s\n", err);
		dp_eal_cleanup();
		return 77;
	}
	if (r < 0 || dp_start(*dp, err, sizeof(err)) < 0) {
		printf("FAIL: %s\n", err);
		dp_destroy(*dp);
		dp_eal_cleanup();
		return 1;
	}
	return 0;
}

static int open_drain(const char *ifname)
{
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_IP),
		.sll_ifindex = (int)if_nametoindex(ifname),
	};
	int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_IP));
	int sz = 16 << 20;

	if (fd < 0 || !sll.sll_ifindex)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz));
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Out (a kernel port worker 1 polls) through every I/O model. */
static int kern_cycle(struct dp *dp)
{
	static const char *const models[] = {
		"blocking", "epoll-lt", "mmsg", "tpacket-v3", "select",
#if LR_HAVE_URING
		"uring-multishot", "uring",
#endif
		"busypoll", "poll", "epoll-et",
	};
	struct dp_port_conf pc;
	struct timespec t0, t1;
	char err[512], err2[256];
	unsigned int i;
	int r, bad = 0;

	for (i = 0; i < sizeof(models) / sizeof(models[0]); i++) {
		pc = dp_config(dp)->ports[1].conf;
		snprintf(pc.io_model, sizeof(pc.io_model), "%s", models[i]);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		r = dp_port_reopen(dp, 1, &pc, err, sizeof(err));
		clock_gettime(CLOCK_MONOTONIC, &t1);
		printf("out -> %s: %ld ms\n", models[i],
		       (long)((t1.tv_sec - t0.tv_sec) * 1000 +
			      (t1.tv_nsec - t0.tv_nsec) / 1000000));
		if (r != 0 ||
		    strcmp(dp_config(dp)->ports[1].conf.io_model, models[i])) {
			printf("FAIL: reopen out as %s: %d '%s'\n", models[i],
			       r, r ? err : "");
			return 1;
		}
		if (!flows(models[i]))
			return 1;
	}
	pc = dp_config(dp)->ports[1].conf;
	snprintf(pc.io_model, sizeof(pc.io_model), "nope");
	r = reopen_logged(dp, 1, &pc, err, sizeof(err), "unknown io_model");
	if (r >= 0 || !strstr(err, "port out") || !strstr(err, "nope") ||
	    strcmp(dp_config(dp)->ports[1].conf.io_model, "epoll-et")) {
		printf("FAIL: an unknown io_model\n");
		bad = 1;
	}
	bad |= !flows("revert of out");

	/* The config's afxdp rules, checked before anything is touched:
	 * worker 0 forwards src to out (io) without polling out, so out
	 * cannot be an afxdp port; src and out on afxdp would have their
	 * queue 0 (one UMEM pool) polled by two workers. */
	pc = dp_config(dp)->ports[1].conf;
	snprintf(pc.backend, sizeof(pc.backend), "afxdp");
	r = reopen_logged(dp, 1, &pc, err, sizeof(err), "afxdp io peer");
	if (r != -EINVAL || !strstr(err, "port out") ||
	    !strstr(err, "worker 0 forwards src") ||
	    strcmp(dp_config(dp)->ports[1].conf.backend, "kernel")) {
		printf("FAIL: an afxdp io peer its sender does not poll\n");
		bad = 1;
	}
	{
		struct dp_port_conf two[2];
		uint16_t ids[2] = { 0, 1 };

		two[0] = dp_config(dp)->ports[0].conf;
		two[1] = dp_config(dp)->ports[1].conf;
		snprintf(two[0].backend, sizeof(two[0].backend), "afxdp");
		snprintf(two[1].backend, sizeof(two[1].backend), "afxdp");
		dp_port_set_mode(dp, 0, DP_FWD_MACSWAP, err, sizeof(err));
		r = dp_ports_reopen(dp, 2, ids, two, err, sizeof(err));
		dp_port_set_mode(dp, 0, DP_FWD_IO, err2, sizeof(err2));
		printf("afxdp pool rule: %d '%s'\n", r, err);
		if (r != -EINVAL || !strstr(err, "queue 0 would be polled by "
						 "workers 0 and 1") ||
		    strcmp(dp_config(dp)->ports[0].conf.backend, "dpdk") ||
		    strcmp(dp_config(dp)->ports[1].conf.backend, "kernel")) {
			printf("FAIL: the afxdp pool rule\n");
			bad = 1;
		}
	}
	bad |= !flows("afxdp rules");

	/* Any backend, checked once the new device is open: out as
	 * net_af_packet with qpairs=1 has one TX queue, for its poller
	 * (worker 1); worker 0 forwards src to it (io) and would have none.
	 * Refused, naming port, worker and the fix; out stays kernel. */
	{
		char ifname[sizeof(pc.dev)];

		pc = dp_config(dp)->ports[1].conf;
		snprintf(ifname, sizeof(ifname), "%s", pc.dev);
		snprintf(pc.backend, sizeof(pc.backend), "dpdk");
		if (snprintf(pc.dev, sizeof(pc.dev),
			     "net_af_packet_out,iface=%s,qpairs=1",
			     ifname) >= (int)sizeof(pc.dev))
			return 1; /* an interface name is never that long */
		r = reopen_logged(dp, 1, &pc, err, sizeof(err),
				  "dpdk io peer, one TX queue");
		if (r != -EINVAL || !strstr(err, "port out: worker 0 forwards "
						 "src to it (io peer) without "
						 "polling it") ||
		    !strstr(err, "has 1 TX queue(s)") ||
		    strcmp(dp_config(dp)->ports[1].conf.backend, "kernel") ||
		    strcmp(dp_config(dp)->ports[1].conf.dev, ifname)) {
			printf("FAIL: an io peer left without a TX queue\n");
			bad = 1;
		}
	}
	bad |= !flows("dpdk io peer refused");
	printf("reopened out through %zu I/O models under traffic\n",
	       sizeof(models) / sizeof(models[0]));
	return bad;
}

/* Send n small IPv4 frames on fd (an AF_PACKET socket bound to the peer). */
static void send_frames(int fd, unsigned int n)
{
	uint8_t f[60] = { 0 };
	unsigned int i;

	memset(f, 0xff, 6);
	f[6] = 2;
	f[11] = 9;
	f[12] = 0x08;
	f[14] = 0x45;
	f[17] = 46;
	f[22] = 64;
	f[23] = 17;
	for (i = 0; i < n; i++)
		if (send(fd, f, sizeof(f), 0) < 0)
			break;
}

static uint64_t polls_of(struct dp *dp)
{
	struct dp_worker_stats st;

	dp_stats_worker(dp, 0, &st);
	return st.polls;
}

static uint64_t rx_of(struct dp *dp, uint16_t port)
{
	struct dp_worker_stats st;

	dp_stats_worker(dp, 0, &st);
	return st.port[port].rx_pkts;
}

/* a's rx grows by at least want within 10 s (no rate asserted). */
static bool rx_reaches(struct dp *dp, uint64_t from, uint64_t want)
{
	int i;

	for (i = 0; i < 1000; i++) {
		if (rx_of(dp, 0) >= from + want)
			return true;
		sleep_ms(10);
	}
	return false;
}

static int kstop_main(char **argv)
{
	static const char *const names[] = { "a", "b" };
	struct dp_config c;
	struct dp *dp = NULL;
	char err[512];
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	uint64_t p0, base, stopped, r0;
	unsigned int k;
	int fd, bad = 0;

	fd = open_drain(argv[3]);
	if (fd < 0) {
		printf("FAIL: AF_PACKET socket on %s\n", argv[3]);
		return 1;
	}
	config_base(&c, "kstop");
	c.nb_ports = 2;
	for (k = 0; k < 2; k++) {
		struct dp_port_entry *p = &c.ports[k];

		dp_port_entry_init(p, (uint16_t)k);
		snprintf(p->conf.name, sizeof(p->conf.name), "%s", names[k]);
		snprintf(p->conf.backend, sizeof(p->conf.backend), "kernel");
		snprintf(p->conf.dev, sizeof(p->conf.dev), "%s",
			 argv[k == 0 ? 2 : 4]);
		snprintf(p->conf.io_model, sizeof(p->conf.io_model),
			 "epoll-lt");
		p->rx_role = DP_RX_DROP;
	}
	c.nb_workers = 1;
	c.workers[0].core = ncpu > 1 ? (int)ncpu - 1 : 0;
	c.workers[0].nb_ports = 2;
	c.workers[0].ports[0] = 0;
	c.workers[0].ports[1] = 1;
	if (dp_up(&c, &dp, false))
		return 1;
	r0 = rx_of(dp, 0);
	send_frames(fd, 64);
	if (!rx_reaches(dp, r0, 64)) {
		printf("FAIL: a received %lu of 64 frames\n",
		       (unsigned long)(rx_of(dp, 0) - r0));
		bad = 1;
	}
	/* Baseline: both ports up, nothing arriving. */
	sleep_ms(100);
	p0 = polls_of(dp);
	sleep_ms(500);
	base = polls_of(dp) - p0;
	/* a stopped, frames queued on its socket (it stays readable). */
	dp_port_stop(dp, 0);
	send_frames(fd, 64);
	sleep_ms(100);
	p0 = polls_of(dp);
	sleep_ms(500);
	stopped = polls_of(dp) - p0;
	printf("worker polls in 500 ms: both idle %lu, a stopped with "
	       "frames queued %lu\n",
	       (unsigned long)base, (unsigned long)stopped);
	if (stopped > 10 * base + 2000) {
		printf("FAIL: the worker spins while a is stopped (its queue "
		       "still wakes the worker's wait)\n");
		bad = 1;
	}
	/* Started again: a's queue rejoins the waiter, frames flow. */
	if (dp_port_start(dp, 0, err, sizeof(err)) < 0) {
		printf("FAIL: start a: %s\n", err);
		bad = 1;
	}
	r0 = rx_of(dp, 0);
	send_frames(fd, 64);
	if (!rx_reaches(dp, r0, 64)) {
		printf("FAIL: after port start a received %lu of 64 "
		       "frames\n",
		       (unsigned long)(rx_of(dp, 0) - r0));
		bad = 1;
	}
	dp_stop(dp);
	dp_destroy(dp);
	dp_config_free(&c);
	dp_eal_cleanup();
	close(fd);
	printf("%s\n", bad ? "FAIL" : "PASS: dp_port_stop lets go");
	return bad;
}

static uint64_t xstat(struct dp *dp, uint16_t port, const char *name)
{
	struct dp_port_kv kv[64];
	int i, n = dp_port_xstats(dp, port, kv, 64);

	for (i = 0; i < n; i++)
		if (strcmp(kv[i].name, name) == 0)
			return kv[i].value;
	return UINT64_MAX;
}

/* 64 frames into k and into x: k's are port_down (y has no TX queue),
 * x's are received, no pool shared by two threads. */
static int afx_round(struct dp *dp, int fdk, int fdx, const char *what)
{
	struct dp_worker_stats st0, st;
	uint64_t wt_x, wt_y;
	unsigned int w;
	int i, bad = 0;

	for (w = 0; w < 2; w++)
		if (dp->w[w]->txq[2] != DP_NO_QUEUE) {
			printf("FAIL: %s: worker %u has TX queue %u on y, "
			       "which it does not poll\n",
			       what, w, dp->w[w]->txq[2]);
			bad = 1;
		}
	dp_stats_total(dp, &st0);
	send_frames(fdk, 64);
	send_frames(fdx, 64);
	for (i = 0; i < 1000; i++) {
		dp_stats_total(dp, &st);
		if (st.drops[LR_R_PORT_DOWN] + st.drops[LR_R_TX_FULL] >=
			    st0.drops[LR_R_PORT_DOWN] +
				    st0.drops[LR_R_TX_FULL] + 64 &&
		    st.port[1].rx_pkts >= st0.port[1].rx_pkts + 64)
			break;
		sleep_ms(10);
	}
	sleep_ms(50);
	dp_stats_total(dp, &st);
	dp_stats_sub(&st, &st0);
	wt_x = xstat(dp, 1, "pool_wrong_thread");
	wt_y = xstat(dp, 2, "pool_wrong_thread");
	printf("%s: k rx %lu tx %lu, y tx %lu, port_down %lu, tx_full %lu, "
	       "x rx %lu, pool_wrong_thread x %lu y %lu (%d)\n",
	       what, (unsigned long)st.port[0].rx_pkts,
	       (unsigned long)st.port[0].tx_pkts,
	       (unsigned long)st.port[2].tx_pkts,
	       (unsigned long)st.drops[LR_R_PORT_DOWN],
	       (unsigned long)st.drops[LR_R_TX_FULL],
	       (unsigned long)st.port[1].rx_pkts, (unsigned long)wt_x,
	       (unsigned long)wt_y, i);
	for (i = 0; i < LR_R__COUNT; i++)
		if (st.drops[i] && i != LR_R_PORT_DOWN)
			printf("  drop reason %d: %lu\n", i,
			       (unsigned long)st.drops[i]);
	if (st.port[0].rx_pkts < 64 ||
	    st.drops[LR_R_PORT_DOWN] != st.port[0].rx_pkts ||
	    st.drops[LR_R_TX_FULL] != 0 || st.port[1].rx_pkts < 64 ||
	    wt_x != 0 || wt_y != 0) {
		printf("FAIL: %s: k's frames must all be port_down, x's "
		       "received, no pool used by two threads\n",
		       what);
		bad = 1;
	}
	return bad;
}

/* Link notifications (RTM_NEWLINK), to see every MTU an interface takes. */
static int nl_open(void)
{
	struct sockaddr_nl a = {
		.nl_family = AF_NETLINK,
		.nl_groups = RTMGRP_LINK,
	};
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
			NETLINK_ROUTE);

	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* Of the link messages for ifindex queued on fd: how many carried an MTU
 * (*seen) and how many an MTU other than want (returned). */
static unsigned int nl_other_mtus(int fd, int ifindex, unsigned int want,
				  unsigned int *nmtu)
{
	static char buf[65536];
	unsigned int bad = 0;
	ssize_t r;

	while ((r = recv(fd, buf, sizeof(buf), 0)) > 0) {
		unsigned int n = (unsigned int)r;

		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, n);
		     h = NLMSG_NEXT(h, n)) {
			struct ifinfomsg *ifi = NLMSG_DATA(h);
			struct rtattr *a;
			int len;

			if (h->nlmsg_type != RTM_NEWLINK ||
			    ifi->ifi_index != ifindex)
				continue;
			len = (int)IFLA_PAYLOAD(h);
			for (a = IFLA_RTA(ifi); RTA_OK(a, len);
			     a = RTA_NEXT(a, len)) {
				unsigned int mtu;

				if (a->rta_type != IFLA_MTU)
					continue;
				memcpy(&mtu, RTA_DATA(a), sizeof(mtu));
				(*nmtu)++;
				if (mtu != want) {
					printf("  %s: MTU %u\n", "x", mtu);
					bad++;
				}
			}
		}
	}
	return bad;
}

static int if_mtu(const char *ifname)
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), r;

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	r = fd >= 0 && ioctl(fd, SIOCGIFMTU, &ifr) == 0 ? ifr.ifr_mtu : -1;
	if (fd >= 0)
		close(fd);
	return r;
}

static int afx_main(char **argv)
{
	static const char *const names[] = { "k", "x", "y" };
	struct dp_config c;
	struct dp_port_conf pc;
	struct dp *dp = NULL;
	char err[512];
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned int k, nmtu = 0, other;
	int fdk, fdx, nlfd, r, bad = 0;

	fdk = open_drain(argv[3]);
	fdx = open_drain(argv[5]);
	if (fdk < 0 || fdx < 0) {
		printf("FAIL: AF_PACKET sockets on %s, %s\n", argv[3],
		       argv[5]);
		return 1;
	}
	config_base(&c, "afx");
	c.nb_ports = 3;
	for (k = 0; k < 3; k++) {
		struct dp_port_entry *p = &c.ports[k];

		dp_port_entry_init(p, (uint16_t)k);
		snprintf(p->conf.name, sizeof(p->conf.name), "%s", names[k]);
		snprintf(p->conf.backend, sizeof(p->conf.backend), "%s",
			 k ? "afxdp" : "kernel");
		snprintf(p->conf.dev, sizeof(p->conf.dev), "%s",
			 argv[k == 0 ? 2 : k == 1 ? 4 : 6]);
		snprintf(p->conf.io_model, sizeof(p->conf.io_model), "poll");
		p->conf.xdp_skb = true;
		p->rx_role = k ? DP_RX_DROP : DP_RX_FORWARD;
	}
	/* dp_create refuses an io peer on afxdp its sender does not poll;
	 * a run-time mode change (port mode, a reload) is not checked. */
	c.ports[0].mode = DP_FWD_MACSWAP;
	c.ports[0].peer = 2;
	c.ports[1].conf.mtu = 1400; /* veth: 1500 */
	c.nb_workers = 2;
	c.workers[0].core = ncpu > 1 ? (int)ncpu - 1 : 0;
	c.workers[0].nb_ports = 1;
	c.workers[0].ports[0] = 0;
	c.workers[1].core = ncpu > 1 ? (int)ncpu - 2 : 0;
	c.workers[1].nb_ports = 1;
	c.workers[1].ports[0] = 1;
	r = dp_up(&c, &dp, true);
	if (r)
		return r;
	dp_port_set_mode(dp, 0, DP_FWD_IO, err, sizeof(err));
	sleep_ms(200);
	bad |= afx_round(dp, fdk, fdx, "start");
	/* A mode change must reach the next burst also when the worker was
	 * asleep in a waiting model's rx_burst when it happened (k is poll):
	 * macswap would send k's frames back out of k. */
	dp_port_set_mode(dp, 0, DP_FWD_MACSWAP, err, sizeof(err));
	sleep_ms(100);
	dp_port_set_mode(dp, 0, DP_FWD_IO, err, sizeof(err));
	bad |= afx_round(dp, fdk, fdx, "macswap -> io");
	/* A switch refuses k io to an afxdp port worker 0 does not poll
	 * (check_switch): k bounces meanwhile, then forwards to y again. */
	dp_port_set_peer(dp, 0, 0);
	if (if_mtu(argv[4]) != 1400) {
		printf("FAIL: x's MTU %d, not its mtu 1400\n",
		       if_mtu(argv[4]));
		bad = 1;
	}
	/* y is switched (to the same conf); x comes along (shared pools)
	 * and keeps its MTU throughout: no put-back, no set again. */
	nlfd = nl_open();
	if (nlfd < 0) {
		printf("FAIL: netlink socket\n");
		bad = 1;
	}
	pc = dp_config(dp)->ports[2].conf;
	r = dp_port_reopen(dp, 2, &pc, err, sizeof(err));
	if (nlfd >= 0) {
		other = nl_other_mtus(nlfd, (int)if_nametoindex(argv[4]), 1400,
				      &nmtu);
		printf("x reopened with y: %u link messages with an MTU, %u "
		       "of them not 1400\n",
		       nmtu, other);
		if (other || if_mtu(argv[4]) != 1400) {
			printf("FAIL: x's MTU flapped in a switch of y\n");
			bad = 1;
		}
		close(nlfd);
	}
	dp_port_set_peer(dp, 0, 2);
	sleep_ms(100);
	if (r != 0) {
		printf("FAIL: reopen y (and x): %d '%s'\n", r, err);
		bad = 1;
	} else {
		bad |= afx_round(dp, fdk, fdx, "after a reopen");
	}
	/* x leaves afxdp (kernel, no mtu): its interface's MTU is put back
	 * (y stays afxdp, reopened along). */
	dp_port_set_peer(dp, 0, 0);
	pc = dp_config(dp)->ports[1].conf;
	memset(pc.backend, 0, sizeof(pc.backend));
	snprintf(pc.backend, sizeof(pc.backend), "kernel");
	pc.mtu = 0;
	r = dp_port_reopen(dp, 1, &pc, err, sizeof(err));
	if (r != 0 || if_mtu(argv[4]) != 1500) {
		printf("FAIL: x to kernel: %d '%s', MTU %d (not put back to "
		       "1500)\n",
		       r, r ? err : "", if_mtu(argv[4]));
		bad = 1;
	}
	dp_stop(dp);
	dp_destroy(dp);
	if (if_mtu(argv[4]) != 1500) {
		printf("FAIL: x's MTU %d after destroy, not its 1500\n",
		       if_mtu(argv[4]));
		bad = 1;
	}
	dp_config_free(&c);
	dp_eal_cleanup();
	close(fdk);
	close(fdx);
	printf("%s\n", bad ? "FAIL" : "PASS: an unpolled afxdp port");
	return bad;
}

int main(int argc, char **argv)
{
	struct dp_config c;
	struct dp_worker_stats st;
	struct dp_port_conf pc;
	struct dp *dp = NULL;
	char err[512], dev[64];
	pthread_t drain_tid;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned int k;
	int i, r, bad = 0;
	bool kern = argc == 4 && strcmp(argv[1], "kern") == 0;

	if (geteuid() != 0) {
		printf("SKIP: needs root (DPDK)\n");
		return 77;
	}
	if (argc == 5 && strcmp(argv[1], "kstop") == 0)
		return kstop_main(argv);
	if (argc == 7 && strcmp(argv[1], "afx") == 0)
		return afx_main(argv);
	config_base(&c, "reopen");
	c.nb_ports = 2;
	for (k = 0; k < 2; k++) {
		struct dp_port_entry *p = &c.ports[k];

		dp_port_entry_init(p, (uint16_t)k);
		snprintf(p->conf.name, sizeof(p->conf.name), "%s",
			 k == 0 ? "src" : "out");
		snprintf(p->conf.dev, sizeof(p->conf.dev), "net_ring%u", k);
		p->conf.mac_set = true;
		p->conf.mac[0] = 2;
		p->conf.mac[5] = (uint8_t)(k + 1);
	}
	c.ports[0].mode = DP_FWD_IO;
	c.ports[0].peer = 1;
	c.ports[1].rx_role = DP_RX_SINK;
	if (kern) {
		struct dp_port_conf *o = &c.ports[1].conf;

		snprintf(o->backend, sizeof(o->backend), "kernel");
		snprintf(o->dev, sizeof(o->dev), "%s", argv[2]);
		snprintf(o->io_model, sizeof(o->io_model), "epoll-et");
		c.ports[1].rx_role = DP_RX_DROP;
		kern_fd = open_drain(argv[3]);
		if (kern_fd < 0) {
			printf("FAIL: AF_PACKET socket on %s\n", argv[3]);
			return 1;
		}
	}
	c.ports[0].gen.enabled = true;
	c.ports[0].gen.ip_version = 4;
	c.ports[0].gen.flows = FLOWS;
	c.ports[0].gen.rate_pps = 50000;
	memcpy(c.ports[0].gen.dst_mac, c.ports[0].conf.mac, 6);
	c.nb_workers = 1;
	c.workers[0].core = ncpu > 1 ? (int)ncpu - 1 : 0;
	c.workers[0].nb_ports = 1;
	c.workers[0].ports[0] = 0;
	if (kern) {
		/* Worker 1 polls out (its queue sits in that thread's
		 * waiter); worker 0 sends to out on a TX-only socket. */
		c.nb_workers = 2;
		c.workers[1].core = ncpu > 1 ? (int)ncpu - 2 : 0;
		c.workers[1].nb_ports = 1;
		c.workers[1].ports[0] = 1;
		c.ports[0].gen.rate_pps = 20000;
	}

	if (dp_eal_init(&c, argv[0], err, sizeof(err)) < 0) {
		printf("FAIL: %s\n", err);
		dp_config_free(&c);
		return 1;
	}
	if (dp_create(&c, &dp, err, sizeof(err)) < 0 ||
	    dp_start(dp, err, sizeof(err)) < 0) {
		printf("FAIL: %s\n", err);
		return 1;
	}
	g_dp = dp;
	if (!kern)
		out_port = (uint16_t)dp_dpdk_port_id(dp_port_get(dp, 1));
	if (pthread_create(&drain_tid, NULL, drain, NULL) != 0) {
		printf("FAIL: drain thread\n");
		return 1;
	}
	bad |= !flows("start");
	if (kern)
		bad |= kern_cycle(dp);

	/* Under traffic, on a fresh ring device each time. */
	for (i = 0; i < 8; i++) {
		pc = dp_config(dp)->ports[0].conf;
		snprintf(dev, sizeof(dev), "net_ring%d", 10 + i);
		snprintf(pc.dev, sizeof(pc.dev), "%s", dev);
		r = dp_port_reopen(dp, 0, &pc, err, sizeof(err));
		if (r != 0 || !dev_is(dp, dev)) {
			printf("FAIL: reopen %d on %s: %d '%s'\n", i, dev, r,
			       r ? err : "");
			bad = 1;
			break;
		}
		if (!flows(dev)) {
			bad = 1;
			break;
		}
	}
	printf("reopened src 8 times under traffic: out rx %lu\n",
	       (unsigned long)atomic_load(&out_pkts));

	/* Admin down: reopened, stays down until started. */
	dp_port_stop(dp, 0);
	pc = dp_config(dp)->ports[0].conf;
	snprintf(pc.dev, sizeof(pc.dev), "net_ring30");
	r = dp_port_reopen(dp, 0, &pc, err, sizeof(err));
	if (r != 0 || !dev_is(dp, "net_ring30")) {
		printf("FAIL: reopen while down: %d '%s'\n", r, err);
		bad = 1;
	} else {
		uint64_t a = atomic_load(&out_pkts);

		sleep_ms(100);
		if (atomic_load(&out_pkts) > a + 64) {
			printf("FAIL: a stopped port came up on reopen\n");
			bad = 1;
		}
		if (dp_port_start(dp, 0, err, sizeof(err)) < 0) {
			printf("FAIL: start after reopen: %s\n", err);
			bad = 1;
		}
		bad |= !flows("start after a reopen while down");
	}

	/* A device that cannot open: refused, the old one runs again. */
	pc = dp_config(dp)->ports[0].conf;
	snprintf(pc.dev, sizeof(pc.dev), "net_bogus0");
	r = reopen_logged(dp, 0, &pc, err, sizeof(err), "bogus device");
	if (r >= 0 || !strstr(err, "port src") || !strstr(err, "net_bogus0") ||
	    !dev_is(dp, "net_ring30")) {
		printf("FAIL: a device that cannot open\n");
		bad = 1;
	}
	bad |= !flows("revert");

	pc = dp_config(dp)->ports[0].conf;
	snprintf(pc.backend, sizeof(pc.backend), "afxdp");
	snprintf(pc.dev, sizeof(pc.dev), "lrdt-none0");
	r = reopen_logged(dp, 0, &pc, err, sizeof(err), "afxdp");
	if (r >= 0 || !strstr(err, "port src") ||
	    (!strstr(err, "lrdt-none0") && r != -ENOTSUP) ||
	    !dev_is(dp, "net_ring30") ||
	    strcmp(dp_port_get(dp, 0)->ops->backend, "dpdk")) {
		printf("FAIL: afxdp on a missing interface not refused\n");
		bad = 1;
	}
	bad |= !flows("revert of afxdp");
	pc = dp_config(dp)->ports[0].conf;
	snprintf(pc.name, sizeof(pc.name), "other");
	r = reopen_logged(dp, 0, &pc, err, sizeof(err), "rename");
	if (r != -EINVAL || !strstr(err, "port src")) {
		printf("FAIL: a new name not refused\n");
		bad = 1;
	}
	bad |= !flows("refusals");

	/* A worker stuck in src's rx_burst: the switch gives up after its
	 * bound, naming the port and the worker, and src keeps running; once
	 * the worker is back the same switch works (and drops the stall). */
	dp_port_stop(dp, 0);
	stall_orig = dp_port_get(dp, 0)->ops;
	stall_ops = *stall_orig;
	stall_ops.rx_burst = stall_rx;
	if (stall_orig->io_direct)
		stall_ops.io_direct = stall_io_direct;
	((struct dp_port *)dp_port_get(dp, 0))->ops = &stall_ops;
	dp_port_start(dp, 0, err, sizeof(err));
	atomic_store(&stall, 1);
	for (k = 0; k < 1000 && atomic_load(&stall) != 2; k++)
		sleep_ms(1);
	pc = dp_config(dp)->ports[0].conf;
	r = reopen_logged(dp, 0, &pc, err, sizeof(err), "stuck worker");
	if (r != -ETIMEDOUT || !strstr(err, "port src: worker 0 did not "
					  "quiesce within")) {
		printf("FAIL: a stuck worker\n");
		bad = 1;
	}
	atomic_store(&stall, 3);
	while (atomic_load(&stall))
		sleep_ms(10);
	bad |= !flows("after a stuck worker");
	r = dp_port_reopen(dp, 0, &pc, err, sizeof(err));
	if (r != 0 || dp_port_get(dp, 0)->ops == &stall_ops) {
		printf("FAIL: reopen after the worker came back: %d '%s'\n",
		       r, err);
		bad = 1;
	}
	bad |= !flows("reopen after a stuck worker");

	/* Generator off; out gets all the worker sent it. */
	dp_gen_stop(dp, 0);
	for (k = 0, r = 0; k < 400 && r < 4; k++) {
		uint64_t o = atomic_load(&out_pkts);

		sleep_ms(5);
		dp_stats_total(dp, &st);
		r = o == atomic_load(&out_pkts) && o == st.port[1].tx_pkts
			    ? r + 1
			    : 0;
	}
	atomic_store(&drain_stop, true);
	pthread_join(drain_tid, NULL);
	dp_stop(dp);
	dp_stats_total(dp, &st);
	printf("out rx %lu, worker tx to out %lu, port_down %lu, tx_full "
	       "%lu, seq backwards %lu, bad frames %lu\n",
	       (unsigned long)atomic_load(&out_pkts),
	       (unsigned long)st.port[1].tx_pkts,
	       (unsigned long)st.drops[LR_R_PORT_DOWN],
	       (unsigned long)st.drops[LR_R_TX_FULL],
	       (unsigned long)seq_bad, (unsigned long)magic_bad);
	if (atomic_load(&out_pkts) != st.port[1].tx_pkts || seq_bad ||
	    magic_bad) {
		printf("FAIL: out's packets\n");
		bad = 1;
	}
	dp_destroy(dp);
	dp_config_free(&c);
	dp_eal_cleanup();
	printf("%s\n", bad ? "FAIL" : "PASS: dp_port_reopen");
	return bad;
}
