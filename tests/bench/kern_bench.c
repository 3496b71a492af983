// SPDX-License-Identifier: MIT
/*
 * kern_bench: what one I/O model of the kernel backend costs the DUT core,
 * on identical traffic. Run by scripts/bench-kern.sh inside a namespace
 * with two veth pairs (S <-> A, B <-> R).
 *
 *   kern_bench -m MODEL -a IF_A -b IF_B -s IF_S [-n PACKETS] [-l LEN]
 *              [-c DUT_CPU] [-C SENDER_CPU] [-q SQPOLL_CPU] [-R]
 *
 * Method ("pre-queued drain"): the DUT opens ports A and B with MODEL and
 * a 1 GiB SO_RCVBUF (tpacket-v3: a 128 MiB ring), polls them once, then
 * parks. The sender (another thread, pinned to another core) writes
 * PACKETS frames into S; veth delivers them to A's socket in softirq on the
 * *sender's* core. Only when all are queued does the DUT thread (pinned)
 * start: rx_burst on A -> dp_macswap -> tx_burst on B -> free, as a worker
 * does (B polled too, except for blocking, whose thread sends through a
 * tx-only handle: a thread per port is that model's premise). Timing runs
 * from the first rx_burst to the last packet's TX. So the numbers are the
 * DUT core's own work: syscalls, copies, its TX path (veth's transmit runs
 * the peer's receive in softirq on the DUT core, the same for every
 * model), none of the sender's. -R: receive only (macswap, free; no TX).
 *
 * Prints one CSV line:
 * model,packets,rx,wall_s,thread_cpu_s,proc_cpu_s,pps_core,pps_wall,
 * syscalls_per_pkt,ctxsw_per_s,busy_pct,eagain_per_pkt,waits_per_pkt,
 * cq_overflow,kernel_drops,vol_ctxsw_per_kpkt
 * pps_core = packets / CPU seconds of the process during the drain: the
 * DUT thread, plus an SQPOLL kernel thread (it belongs to the process),
 * the main thread sleeps meanwhile. The machine is shared, so wall-clock
 * rates (pps_wall) are noisy; CPU time is not. busy_pct = that CPU time /
 * wall time.
 */
#include <errno.h>
#include <linux/if_packet.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "csum.h"
#include "kern.h"

static const char *model = "epoll-et", *if_a, *if_b, *if_s;
static unsigned int npkts = 100000, flen = 64;
static int dut_cpu = 1, snd_cpu = 0, sq_cpu = -1;
static struct dp_port pa, pb;
static bool blocking, rxonly;
static atomic_int phase; /* 0 priming, 1 primed, 2 go, 3 done */
static uint64_t rx_total;
static double wall_s, tcpu_s, pcpu_s;
static long ctxsw, vcsw;

static double ts(clockid_t c)
{
	struct timespec t;

	clock_gettime(c, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void pin(int cpu)
{
	cpu_set_t s;

	if (cpu < 0)
		return;
	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	pthread_setaffinity_np(pthread_self(), sizeof(s), &s);
}

static int open_port(struct dp_port *p, const char *dev, int id)
{
	struct dp_port_conf c = {
		.nb_queues = 1,
		.rx_ring = 65535,
		.sqpoll_cpu = sq_cpu,
	};
	char err[256];
	int ret;

	snprintf(c.name, sizeof(c.name), "%s", id ? "B" : "A");
	snprintf(c.backend, sizeof(c.backend), "kernel");
	snprintf(c.dev, sizeof(c.dev), "%s", dev);
	snprintf(c.io_model, sizeof(c.io_model), "%s", model);
	p->id = (uint16_t)id;
	ret = dp_kern_open(p, &c, err, sizeof(err));
	if (ret < 0) {
		fprintf(stderr, "kern_bench: %s\n", err);
		return ret;
	}
	return p->ops->start(p);
}

static void *dut(void *arg)
{
	static struct dp_burst b, bb;
	struct rusage r0, r1;
	double t0, t1, tlast, c0, p0, idle_since = 0;
	uint16_t n, k, sent;

	(void)arg;
	pin(dut_cpu);
	/* Prime: join the waiters, arm reads, find nothing. */
	pa.ops->rx_burst(&pa, 0, &b);
	if (!blocking)
		pb.ops->rx_burst(&pb, 0, &bb);
	atomic_store(&phase, 1);
	while (atomic_load(&phase) < 2)
		usleep(1000);

	getrusage(RUSAGE_THREAD, &r0);
	c0 = ts(CLOCK_THREAD_CPUTIME_ID);
	p0 = ts(CLOCK_PROCESS_CPUTIME_ID);
	t0 = ts(CLOCK_MONOTONIC);
	tlast = t0;
	while (rx_total < npkts) {
		n = pa.ops->rx_burst(&pa, 0, &b);
		if (n) {
			for (k = 0; k < n; k++)
				dp_macswap(b.data[k]);
			if (!rxonly) {
				sent = pb.ops->tx_burst(&pb, 0, b.data, b.len,
							b.buf, n, true);
				(void)sent;
			}
			pa.ops->free_bufs(&pa, 0, b.buf, n);
			rx_total += n;
			idle_since = 0;
		}
		if (!blocking) {
			uint16_t m = pb.ops->rx_burst(&pb, 0, &bb);

			if (m)
				pb.ops->free_bufs(&pb, 0, bb.buf, m);
		}
		if (!n) {
			double now = ts(CLOCK_MONOTONIC);

			if (idle_since == 0)
				idle_since = now;
			else if (now - idle_since > 2.0)
				break; /* lost some: stop, time to the last */
		} else {
			tlast = ts(CLOCK_MONOTONIC);
		}
	}
	if (pb.ops->tx_flush)
		pb.ops->tx_flush(&pb, 0);
	t1 = idle_since ? tlast : ts(CLOCK_MONOTONIC);
	tcpu_s = ts(CLOCK_THREAD_CPUTIME_ID) - c0;
	pcpu_s = ts(CLOCK_PROCESS_CPUTIME_ID) - p0;
	getrusage(RUSAGE_THREAD, &r1);
	wall_s = t1 - t0;
	vcsw = r1.ru_nvcsw - r0.ru_nvcsw;
	ctxsw = vcsw + (r1.ru_nivcsw - r0.ru_nivcsw);
	/* Let the last TX completions land (not timed). */
	for (k = 0; !blocking && k < 20; k++) {
		uint16_t m = pb.ops->rx_burst(&pb, 0, &bb);

		if (m)
			pb.ops->free_bufs(&pb, 0, bb.buf, m);
	}
	atomic_store(&phase, 3);
	return NULL;
}

static int send_all(void)
{
	struct mmsghdr msg[64];
	struct iovec iov[64];
	uint8_t frame[2048];
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	unsigned int sent = 0, i, k;
	int fd, r, sndbuf = 64 << 20;

	memset(frame, 0, sizeof(frame));
	memcpy(frame, "\x02\x00\x00\x00\x00\x0b\x02\x00\x00\x00\x00\x0a", 12);
	frame[12] = 0x88;
	frame[13] = 0xb5;
	for (i = 14; i < flen; i++)
		frame[i] = (uint8_t)i;
	fd = socket(AF_PACKET, SOCK_RAW, 0);
	sll.sll_ifindex = (int)if_nametoindex(if_s);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		perror("kern_bench: sender");
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof(sndbuf));
	for (k = 0; k < 64; k++) {
		iov[k].iov_base = frame;
		iov[k].iov_len = flen;
		memset(&msg[k], 0, sizeof(msg[k]));
		msg[k].msg_hdr.msg_iov = &iov[k];
		msg[k].msg_hdr.msg_iovlen = 1;
	}
	while (sent < npkts) {
		unsigned int want = npkts - sent < 64 ? npkts - sent : 64;

		r = sendmmsg(fd, msg, want, 0);
		if (r < 0) {
			if (errno == ENOBUFS || errno == EAGAIN) {
				usleep(50);
				continue;
			}
			perror("kern_bench: sendmmsg");
			close(fd);
			return -1;
		}
		sent += (unsigned int)r;
	}
	close(fd);
	return 0;
}

static uint64_t xs(struct dp_port *p, const char *name)
{
	struct dp_port_kv kv[64];
	int k, n = p->ops->xstats(p, kv, 64);

	for (k = 0; k < n; k++)
		if (!strcmp(kv[k].name, name))
			return kv[k].value;
	return 0;
}

int main(int argc, char **argv)
{
	pthread_t th;
	int opt, ret = 1;
	double pk;

	while ((opt = getopt(argc, argv, "m:a:b:s:n:l:c:C:q:R")) != -1) {
		switch (opt) {
		case 'm': model = optarg; break;
		case 'a': if_a = optarg; break;
		case 'b': if_b = optarg; break;
		case 's': if_s = optarg; break;
		case 'n': npkts = (unsigned int)atoi(optarg); break;
		case 'l': flen = (unsigned int)atoi(optarg); break;
		case 'c': dut_cpu = atoi(optarg); break;
		case 'C': snd_cpu = atoi(optarg); break;
		case 'q': sq_cpu = atoi(optarg); break;
		case 'R': rxonly = true; break;
		default: goto usage;
		}
	}
	if (!if_a || !if_b || !if_s || flen < 60 || flen > 1500)
		goto usage;
	blocking = !strcmp(model, "blocking");
	kern_tun.rcvbuf = 1 << 29; /* doubled by the kernel: 1 GiB */
	if (open_port(&pa, if_a, 0) < 0)
		return 1;
	kern_tun.tx_only = blocking;
	if (open_port(&pb, if_b, 1) < 0)
		goto out_a;
	kern_tun.tx_only = false;
	pin(snd_cpu);
	pthread_create(&th, NULL, dut, NULL);
	while (atomic_load(&phase) < 1)
		usleep(1000);
	if (send_all() < 0) {
		atomic_store(&phase, 2);
		npkts = 0;
		pthread_join(th, NULL);
		goto out;
	}
	usleep(200000); /* softirq on the sender's core finishes queueing */
	atomic_store(&phase, 2);
	pthread_join(th, NULL);
	pa.ops->stop(&pa);
	pb.ops->stop(&pb);
	pk = rx_total ? (double)rx_total : 1;
	printf("%s,%u,%llu,%.6f,%.6f,%.6f,%.0f,%.0f,%.4f,%.0f,%.1f,%.4f,%.4f,%llu,%llu,%.3f\n",
	       model, npkts, (unsigned long long)rx_total, wall_s, tcpu_s,
	       pcpu_s, pcpu_s > 0 ? (double)rx_total / pcpu_s : 0,
	       wall_s > 0 ? (double)rx_total / wall_s : 0,
	       (double)(xs(&pa, "syscalls") + xs(&pb, "syscalls")) / pk,
	       wall_s > 0 ? (double)ctxsw / wall_s : 0,
	       wall_s > 0 ? 100.0 * pcpu_s / wall_s : 0,
	       (double)(xs(&pa, "eagain") + xs(&pb, "eagain")) / pk,
	       (double)(xs(&pa, "waits") + xs(&pb, "waits")) / pk,
	       (unsigned long long)(xs(&pa, "cq_overflow") +
				    xs(&pb, "cq_overflow")),
	       (unsigned long long)xs(&pa, "kernel_drops"),
	       1000.0 * (double)vcsw / pk);
	ret = rx_total == npkts ? 0 : 3;
out:
	pb.ops->close(&pb);
out_a:
	pa.ops->close(&pa);
	return ret;
usage:
	fprintf(stderr, "usage: kern_bench -m MODEL -a IF_A -b IF_B -s IF_S [-n PACKETS] [-l LEN] [-c DUT_CPU] [-C SENDER_CPU] [-q SQPOLL_CPU] [-R]\n");
	return 2;
}
