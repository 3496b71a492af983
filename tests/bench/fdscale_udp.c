// SPDX-License-Identifier: MIT
/*
 * fdscale_udp: how each I/O model's cost grows with the number of watched
 * descriptors. Run by scripts/fdscale.sh (in a network namespace, loopback
 * only).
 *
 *   fdscale_udp -m MODEL -n SOCKETS [-a ACTIVE] [-r PPS] [-t SECONDS]
 *               [-c RX_CPU] [-C TX_CPU]
 *
 * SOCKETS UDP sockets are bound on 127.0.0.1; ACTIVE of them (default 1%,
 * at least 1) receive traffic: a sender thread (pinned to TX_CPU) sends
 * 64-byte datagrams to them round robin at PPS (default 50000) for SECONDS
 * (default 1). The receiver thread (pinned to RX_CPU) waits and reads with
 * MODEL over all SOCKETS descriptors until the sender is done and the
 * queues are empty. Offered load is fixed, so what grows with SOCKETS is
 * the receiver's CPU per packet (its thread CPU time, or for blocking,
 * which runs a thread per socket, the process's less the sender's).
 *
 * Models: blocking (a thread per socket, up to 1000), busypoll (recv on
 * every socket in turn), select (refuses descriptors >= FD_SETSIZE and
 * says so), poll, epoll-lt (one read per event), epoll-et (drain to
 * EAGAIN), mmsg (epoll-et + recvmmsg), uring (one recv armed per socket),
 * uring-multishot (one multishot recv per socket, shared provided buffers).
 *
 * Prints one CSV line:
 * model,sockets,active,sent,received,rx_pps,cpu_ns_per_pkt,syscalls_per_pkt,
 * waits_per_pkt
 * Exit 3 when the model cannot run at this size (the reason on stderr).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#if LR_HAVE_URING
#include <liburing.h>
#endif

static const char *model = "epoll-et";
static int nsock = 100, nactive, rate = 50000, secs = 1, rx_cpu = 1,
	   tx_cpu = 0;
static int *fds;
static struct sockaddr_in *addrs;
static atomic_bool sender_done;
static atomic_ulong received;
static unsigned long sent, syscalls, waits;
static double sender_cpu;

static double ts(clockid_t c)
{
	struct timespec t;

	clock_gettime(c, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void pin(int cpu)
{
	cpu_set_t s;

	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	pthread_setaffinity_np(pthread_self(), sizeof(s), &s);
}

/* ---- sender ------------------------------------------------------------ */

static void *sender(void *arg)
{
	struct mmsghdr msg[64];
	struct iovec iov = { .iov_base = "fdscale payload 0123456789abcdef0123456789abcdef",
			     .iov_len = 64 - 28 };
	struct timespec next;
	int fd = socket(AF_INET, SOCK_DGRAM, 0), per_ms = rate / 1000, k, r;
	long ms, total_ms = (long)secs * 1000;
	unsigned long dst = 0;

	(void)arg;
	pin(tx_cpu);
	if (per_ms < 1)
		per_ms = 1;
	if (per_ms > 64)
		per_ms = 64;
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (ms = 0; ms < total_ms; ms++) {
		for (k = 0; k < per_ms; k++) {
			memset(&msg[k], 0, sizeof(msg[k]));
			msg[k].msg_hdr.msg_name = &addrs[dst++ % nactive];
			msg[k].msg_hdr.msg_namelen = sizeof(addrs[0]);
			msg[k].msg_hdr.msg_iov = &iov;
			msg[k].msg_hdr.msg_iovlen = 1;
		}
		r = sendmmsg(fd, msg, per_ms, 0);
		if (r > 0)
			sent += (unsigned long)r;
		next.tv_nsec += 1000000;
		if (next.tv_nsec >= 1000000000) {
			next.tv_nsec -= 1000000000;
			next.tv_sec++;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
	}
	close(fd);
	sender_cpu = ts(CLOCK_THREAD_CPUTIME_ID);
	atomic_store(&sender_done, true);
	return NULL;
}

/* ---- receivers ----------------------------------------------------------- */

static char buf[2048];

/* Read fd until EAGAIN (drain) or once; returns datagrams read. */
static unsigned long rd(int fd, bool drain)
{
	unsigned long n = 0;

	for (;;) {
		ssize_t r = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

		syscalls++;
		if (r < 0)
			break;
		n++;
		if (!drain)
			break;
	}
	return n;
}

/* Quiet: the sender finished and a whole wait found nothing. */
static bool finished(int got_in_round)
{
	return atomic_load(&sender_done) && got_in_round == 0;
}

static void run_busypoll(void)
{
	unsigned long n;
	int i;

	do {
		n = 0;
		for (i = 0; i < nsock; i++)
			n += rd(fds[i], true);
		atomic_fetch_add(&received, n);
	} while (!finished((int)n));
}

static int run_select(void)
{
	fd_set tmpl, rs;
	int i, maxfd = -1, r;
	unsigned long n;

	for (i = 0; i < nsock; i++) {
		if (fds[i] >= FD_SETSIZE) {
			fprintf(stderr,
				"select: descriptor %d >= FD_SETSIZE (%d): select cannot watch %d sockets, stopping here\n",
				fds[i], FD_SETSIZE, nsock);
			return -1;
		}
	}
	FD_ZERO(&tmpl);
	for (i = 0; i < nsock; i++) {
		FD_SET(fds[i], &tmpl);
		if (fds[i] > maxfd)
			maxfd = fds[i];
	}
	do {
		struct timeval tv = { .tv_usec = 10000 };

		rs = tmpl;
		r = select(maxfd + 1, &rs, NULL, NULL, &tv);
		syscalls++;
		waits++;
		n = 0;
		for (i = 0; r > 0 && i < nsock; i++)
			if (FD_ISSET(fds[i], &rs))
				n += rd(fds[i], true);
		atomic_fetch_add(&received, n);
	} while (!finished((int)n));
	return 0;
}

static void run_poll(void)
{
	struct pollfd *p = calloc((size_t)nsock, sizeof(*p));
	unsigned long n;
	int i, r;

	for (i = 0; i < nsock; i++) {
		p[i].fd = fds[i];
		p[i].events = POLLIN;
	}
	do {
		r = poll(p, (nfds_t)nsock, 10);
		syscalls++;
		waits++;
		n = 0;
		for (i = 0; r > 0 && i < nsock; i++)
			if (p[i].revents & POLLIN)
				n += rd(fds[i], true);
		atomic_fetch_add(&received, n);
	} while (!finished((int)n));
	free(p);
}

static void run_epoll(bool et, bool mmsg)
{
	struct epoll_event ev[256];
	int ep = epoll_create1(0), i, r;
	struct mmsghdr mm[32];
	struct iovec iov[32];
	unsigned long n;

	for (i = 0; i < 32; i++) {
		iov[i].iov_base = buf;
		iov[i].iov_len = sizeof(buf);
		memset(&mm[i], 0, sizeof(mm[i]));
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	for (i = 0; i < nsock; i++) {
		struct epoll_event e = { .events = EPOLLIN | (et ? EPOLLET : 0),
					 .data.fd = fds[i] };

		epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &e);
	}
	do {
		r = epoll_wait(ep, ev, 256, 10);
		syscalls++;
		waits++;
		n = 0;
		for (i = 0; i < r; i++) {
			if (!mmsg) {
				n += rd(ev[i].data.fd, et);
				continue;
			}
			for (;;) {
				int k = recvmmsg(ev[i].data.fd, mm, 32,
						 MSG_DONTWAIT, NULL);

				syscalls++;
				if (k <= 0)
					break;
				n += (unsigned long)k;
				if (k < 32)
					break;
			}
		}
		atomic_fetch_add(&received, n);
	} while (!finished((int)n));
	close(ep);
}

struct blk_arg {
	int fd;
	unsigned long n, sc;
};

static void *blk_thread(void *arg)
{
	struct blk_arg *a = arg;
	char b[2048];

	for (;;) {
		ssize_t r = recv(a->fd, b, sizeof(b), 0);

		a->sc++;
		if (r >= 0) {
			a->n++;
			continue;
		}
		if (atomic_load(&sender_done))
			break;
	}
	return NULL;
}

static int run_blocking(void)
{
	struct timeval tv = { .tv_usec = 100000 };
	pthread_t *th;
	struct blk_arg *a;
	int i;

	if (nsock > 1000) {
		fprintf(stderr,
			"blocking: a thread per socket; not run with %d sockets (%d threads)\n",
			nsock, nsock);
		return -1;
	}
	th = calloc((size_t)nsock, sizeof(*th));
	a = calloc((size_t)nsock, sizeof(*a));
	for (i = 0; i < nsock; i++) {
		pthread_attr_t at;

		setsockopt(fds[i], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		a[i].fd = fds[i];
		pthread_attr_init(&at);
		pthread_attr_setstacksize(&at, 64 << 10);
		pthread_create(&th[i], &at, blk_thread, &a[i]);
		pthread_attr_destroy(&at);
	}
	for (i = 0; i < nsock; i++) {
		pthread_join(th[i], NULL);
		atomic_fetch_add(&received, a[i].n);
		syscalls += a[i].sc;
		waits += a[i].sc;
	}
	free(th);
	free(a);
	return 0;
}

#if LR_HAVE_URING
static int run_uring(bool multishot)
{
	struct io_uring ring;
	struct io_uring_params par = { .flags = IORING_SETUP_CQSIZE };
	struct io_uring_buf_ring *br = NULL;
	unsigned int entries = 1, nbuf = 4096, i, head, seen;
	char *bufs = NULL;
	struct io_uring_cqe *cqe;
	unsigned long n;
	int ret;

	while (entries < (unsigned int)nsock + 64)
		entries *= 2;
	if (entries > 32768)
		entries = 32768;
	par.cq_entries = 2 * entries + nbuf;
	ret = io_uring_queue_init_params(entries, &ring, &par);
	if (ret < 0) {
		fprintf(stderr, "uring: io_uring_queue_init: %s\n",
			strerror(-ret));
		return -1;
	}
	if (multishot) {
		struct io_uring_buf_reg reg = { .ring_entries = nbuf };

		br = aligned_alloc(4096, nbuf * sizeof(struct io_uring_buf));
		bufs = malloc((size_t)nbuf * 2048);
		io_uring_buf_ring_init(br);
		reg.ring_addr = (uint64_t)(uintptr_t)br;
		ret = io_uring_register_buf_ring(&ring, &reg, 0);
		if (ret < 0) {
			fprintf(stderr, "uring-multishot: buffer ring: %s\n",
				strerror(-ret));
			return -1;
		}
		for (i = 0; i < nbuf; i++)
			io_uring_buf_ring_add(br, bufs + (size_t)i * 2048, 2048,
					      (unsigned short)i, (int)nbuf - 1,
					      (int)i);
		io_uring_buf_ring_advance(br, (int)nbuf);
	} else {
		bufs = malloc((size_t)nsock * 2048);
	}
	/* Arm one receive per socket. */
	for (i = 0; i < (unsigned int)nsock; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

		if (!sqe) {
			io_uring_submit(&ring);
			syscalls++;
			sqe = io_uring_get_sqe(&ring);
		}
		if (multishot) {
			io_uring_prep_recv_multishot(sqe, fds[i], NULL, 0, 0);
			sqe->flags |= IOSQE_BUFFER_SELECT;
			sqe->buf_group = 0;
		} else {
			io_uring_prep_recv(sqe, fds[i], bufs + (size_t)i * 2048,
					   2048, 0);
		}
		io_uring_sqe_set_data64(sqe, i);
	}
	do {
		struct __kernel_timespec t = { .tv_nsec = 10000000 };

		ret = io_uring_submit_and_wait_timeout(&ring, &cqe, 1, &t, NULL);
		syscalls++;
		waits++;
		n = 0;
		seen = 0;
		io_uring_for_each_cqe(&ring, head, cqe) {
			unsigned int s = (unsigned int)cqe->user_data;
			struct io_uring_sqe *sqe;
			bool rearm = !multishot ||
				     !(cqe->flags & IORING_CQE_F_MORE);

			seen++;
			if (cqe->res > 0)
				n++;
			if (multishot && (cqe->flags & IORING_CQE_F_BUFFER)) {
				unsigned int bid = cqe->flags >>
						   IORING_CQE_BUFFER_SHIFT;

				io_uring_buf_ring_add(br, bufs + (size_t)bid * 2048,
						      2048, (unsigned short)bid,
						      (int)nbuf - 1, 0);
				io_uring_buf_ring_advance(br, 1);
			}
			if (!rearm)
				continue;
			sqe = io_uring_get_sqe(&ring);
			if (!sqe)
				continue; /* rare: next round re-arms nothing */
			if (multishot) {
				io_uring_prep_recv_multishot(sqe, fds[s], NULL,
							     0, 0);
				sqe->flags |= IOSQE_BUFFER_SELECT;
				sqe->buf_group = 0;
			} else {
				io_uring_prep_recv(sqe, fds[s],
						   bufs + (size_t)s * 2048,
						   2048, 0);
			}
			io_uring_sqe_set_data64(sqe, s);
		}
		io_uring_cq_advance(&ring, seen);
		atomic_fetch_add(&received, n);
	} while (!finished((int)n));
	io_uring_queue_exit(&ring);
	free(br);
	free(bufs);
	return 0;
}
#endif

int main(int argc, char **argv)
{
	struct rlimit rl;
	pthread_t tx;
	double t0, t1, c0, c1;
	int opt, i, ret = 0;
	bool proc;

	while ((opt = getopt(argc, argv, "m:n:a:r:t:c:C:")) != -1) {
		switch (opt) {
		case 'm': model = optarg; break;
		case 'n': nsock = atoi(optarg); break;
		case 'a': nactive = atoi(optarg); break;
		case 'r': rate = atoi(optarg); break;
		case 't': secs = atoi(optarg); break;
		case 'c': rx_cpu = atoi(optarg); break;
		case 'C': tx_cpu = atoi(optarg); break;
		default: goto usage;
		}
	}
	if (nsock < 1 || nsock > 100000 || rate < 1000)
		goto usage;
	if (nactive <= 0)
		nactive = nsock / 100 > 0 ? nsock / 100 : 1;
	if (nactive > nsock)
		nactive = nsock;
	rl.rlim_cur = rl.rlim_max = (rlim_t)nsock + 256;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
		perror("fdscale: RLIMIT_NOFILE");
		return 1;
	}
	fds = calloc((size_t)nsock, sizeof(*fds));
	addrs = calloc((size_t)nsock, sizeof(*addrs));
	for (i = 0; i < nsock; i++) {
		struct sockaddr_in a = { .sin_family = AF_INET,
					 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		socklen_t l = sizeof(a);

		int rcv = 1 << 20;

		fds[i] = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
		if (fds[i] >= 0) /* a cap, not an allocation */
			setsockopt(fds[i], SOL_SOCKET, SO_RCVBUF, &rcv,
				   sizeof(rcv));
		if (fds[i] < 0 || bind(fds[i], (struct sockaddr *)&a, l) < 0 ||
		    getsockname(fds[i], (struct sockaddr *)&addrs[i], &l) < 0) {
			perror("fdscale: socket");
			return 1;
		}
	}
	/* The active sockets are spread over the range, not the first ones. */
	for (i = 0; i < nactive; i++) {
		int j = (int)((long)i * nsock / nactive);
		struct sockaddr_in t = addrs[i];

		addrs[i] = addrs[j];
		addrs[j] = t;
	}
	proc = !strcmp(model, "blocking");
	if (!strcmp(model, "blocking")) {
		for (i = 0; i < nsock; i++) /* blocking sockets */
			fcntl(fds[i], F_SETFL, 0);
	}
	pin(rx_cpu);
	pthread_create(&tx, NULL, sender, NULL);
	t0 = ts(CLOCK_MONOTONIC);
	c0 = ts(proc ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_THREAD_CPUTIME_ID);
	if (!strcmp(model, "busypoll"))
		run_busypoll();
	else if (!strcmp(model, "select"))
		ret = run_select();
	else if (!strcmp(model, "poll"))
		run_poll();
	else if (!strcmp(model, "epoll-lt"))
		run_epoll(false, false);
	else if (!strcmp(model, "epoll-et"))
		run_epoll(true, false);
	else if (!strcmp(model, "mmsg"))
		run_epoll(true, true);
	else if (!strcmp(model, "blocking"))
		ret = run_blocking();
#if LR_HAVE_URING
	else if (!strcmp(model, "uring"))
		ret = run_uring(false);
	else if (!strcmp(model, "uring-multishot"))
		ret = run_uring(true);
#endif
	else {
		fprintf(stderr, "fdscale: unknown model %s\n", model);
		ret = -1;
	}
	c1 = ts(proc ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_THREAD_CPUTIME_ID);
	t1 = ts(CLOCK_MONOTONIC);
	pthread_join(tx, NULL);
	if (proc)
		c1 -= sender_cpu; /* the process's CPU, less the sender's */
	if (ret < 0)
		return 3;
	{
		unsigned long rx = atomic_load(&received);
		double pk = rx ? (double)rx : 1;

		printf("%s,%d,%d,%lu,%lu,%.0f,%.0f,%.4f,%.4f\n", model, nsock,
		       nactive, sent, rx, (double)rx / (t1 - t0),
		       (c1 - c0) * 1e9 / pk, (double)syscalls / pk,
		       (double)waits / pk);
	}
	return 0;
usage:
	fprintf(stderr, "usage: fdscale_udp -m MODEL -n SOCKETS [-a ACTIVE] [-r PPS] [-t SECONDS] [-c RX_CPU] [-C TX_CPU]\n");
	return 2;
}
