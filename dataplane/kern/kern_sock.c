// SPDX-License-Identifier: MIT
/*
 * Kernel-stack backend, the part every I/O model shares: dp_kern_open()
 * (one bound AF_PACKET socket and one slot slab per queue), the per-thread
 * waiter (select / poll / epoll), the once-a-second getrusage sample, the
 * recv/send and recvmmsg/sendmmsg loops, buffers, xstats, and what happens
 * when the interface goes away (the port is marked down and counted).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/select.h>

#include "kern.h"

struct kern_tunables kern_tun;

static const struct kern_model *const kern_models[] = {
	&kern_model_blocking,
	&kern_model_busypoll,
	&kern_model_select,
	&kern_model_poll,
	&kern_model_epoll_lt,
	&kern_model_epoll_et,
	&kern_model_mmsg,
	&kern_model_tpacket_v3,
#if LR_HAVE_URING
	&kern_model_uring,
	&kern_model_uring_sqpoll,
	&kern_model_uring_multishot,
#endif
	NULL,
};

/* ---- counters -------------------------------------------------------- */

void kern_sample(struct kern_queue *q)
{
	struct timespec now;
	struct rusage ru;
	uint64_t cpu;

	/* vDSO: no syscall. */
	clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
	if (q->sampled && now.tv_sec - q->last_sample.tv_sec < 1)
		return;
	if (getrusage(RUSAGE_THREAD, &ru) < 0)
		return;
	q->st.samples++;
	cpu = (uint64_t)ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec +
	      (uint64_t)ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec;
	if (q->sampled) {
		q->st.ctxsw_vol += (uint64_t)ru.ru_nvcsw - q->ru_vol;
		q->st.ctxsw_invol += (uint64_t)ru.ru_nivcsw - q->ru_invol;
		q->st.cpu_us += cpu - q->ru_cpu_us;
	}
	q->ru_vol = ru.ru_nvcsw;
	q->ru_invol = ru.ru_nivcsw;
	q->ru_cpu_us = cpu;
	q->last_sample = now;
	q->sampled = true;
	{
		/* Packets the kernel dropped because we were not reading
		 * fast enough (read-and-reset; v3 layout is a superset). */
		struct tpacket_stats_v3 ps = { 0 };
		socklen_t l = sizeof(ps);

		if (getsockopt(q->fd, SOL_PACKET, PACKET_STATISTICS, &ps,
			       &l) == 0)
			q->st.kdrops += ps.tp_drops;
	}
}

__attribute__((cold)) void kern_port_down(struct kern_queue *q, int err)
{
	struct dp_port *p = q->kp->p;

	q->st.port_down++;
	q->ready = false;
	if (p->up)
		fprintf(stderr, "kern: port %s (%s) queue %u: %s, marked down\n",
			p->name, q->kp->ifname, q->qid, strerror(err));
	p->up = false;
}

__attribute__((cold)) void kern_rx_error(struct kern_queue *q, int err)
{
	if (kern_err_is_down(err))
		kern_port_down(q, err);
	else
		q->st.rx_err++;
}

__attribute__((cold)) void kern_tx_error(struct kern_queue *q, int err)
{
	if (kern_err_is_down(err))
		kern_port_down(q, err);
	else
		q->st.tx_err++;
}

/* ---- the per-thread waiter ------------------------------------------- */

#define KERN_WAITERS 64
#define KERN_WAITER_QS 64

struct kern_waiter {
	bool used;
	pthread_t owner;
	enum kern_wait_kind kind;
	int epfd;
	int n; /* slots in use are below n */
	int live;
	struct kern_queue *q[KERN_WAITER_QS];
	struct pollfd pfd[KERN_WAITER_QS];
};

static struct kern_waiter kern_waiters[KERN_WAITERS];
static pthread_mutex_t kern_waiters_lock = PTHREAD_MUTEX_INITIALIZER;
static __thread struct kern_waiter *kern_tls_waiter[KERN_WAIT__COUNT];

__attribute__((cold)) static int kern_waiter_join(struct kern_queue *q,
						  enum kern_wait_kind kind)
{
	struct kern_waiter *w = kern_tls_waiter[kind];
	pthread_t self = pthread_self();
	int i, ret = 0;

	pthread_mutex_lock(&kern_waiters_lock);
	if (!w || !w->used || !pthread_equal(w->owner, self) ||
	    w->kind != kind) {
		w = NULL;
		for (i = 0; i < KERN_WAITERS && !w; i++)
			if (!kern_waiters[i].used)
				w = &kern_waiters[i];
		if (!w) {
			ret = -ENOSPC;
			goto out;
		}
		memset(w, 0, sizeof(*w));
		w->epfd = -1;
		if (kind == KERN_WAIT_EPOLL_LT || kind == KERN_WAIT_EPOLL_ET) {
			w->epfd = epoll_create1(EPOLL_CLOEXEC);
			if (w->epfd < 0) {
				ret = -errno;
				goto out;
			}
		}
		w->used = true;
		w->owner = self;
		w->kind = kind;
		kern_tls_waiter[kind] = w;
	}
	for (i = 0; i < KERN_WAITER_QS && w->q[i]; i++)
		;
	if (i == KERN_WAITER_QS) {
		ret = -ENOSPC;
		goto out;
	}
	if (w->epfd >= 0) {
		struct epoll_event ev = {
			.events = EPOLLIN |
				  (kind == KERN_WAIT_EPOLL_ET ? EPOLLET : 0),
			.data.ptr = q,
		};

		if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, q->wait_fd, &ev) < 0) {
			ret = -errno;
			goto out;
		}
	}
	w->q[i] = q;
	w->pfd[i].fd = q->wait_fd;
	w->pfd[i].events = POLLIN;
	if (i >= w->n)
		w->n = i + 1;
	w->live++;
	q->w = w;
	q->w_slot = i;
	/* Whatever queued before we joined is read without waiting for an
	 * edge that already happened. */
	q->ready = true;
out:
	if (ret < 0 && w && w->live == 0) {
		if (w->epfd >= 0)
			close(w->epfd);
		w->used = false;
	}
	pthread_mutex_unlock(&kern_waiters_lock);
	if (ret < 0)
		fprintf(stderr, "kern: port %s queue %u: cannot join waiter: %s\n",
			q->kp->p->name, q->qid, strerror(-ret));
	return ret;
}

__attribute__((cold)) void kern_waiter_leave(struct kern_queue *q)
{
	struct kern_waiter *w = q->w;

	if (!w)
		return;
	pthread_mutex_lock(&kern_waiters_lock);
	if (w->epfd >= 0)
		epoll_ctl(w->epfd, EPOLL_CTL_DEL, q->wait_fd, NULL);
	w->q[q->w_slot] = NULL;
	w->pfd[q->w_slot].fd = -1;
	while (w->n > 0 && !w->q[w->n - 1])
		w->n--;
	if (--w->live == 0) {
		if (w->epfd >= 0)
			close(w->epfd);
		w->epfd = -1;
		w->used = false;
	}
	q->w = NULL;
	pthread_mutex_unlock(&kern_waiters_lock);
}

/* A wait reported an error condition: take the socket error (cold). */
__attribute__((cold)) static void kern_waiter_err(struct kern_queue *q)
{
	int err = 0;
	socklen_t l = sizeof(err);

	if (q->wait_fd != q->fd)
		return;
	if (getsockopt(q->fd, SOL_SOCKET, SO_ERROR, &err, &l) == 0 && err)
		kern_rx_error(q, err);
}

static int kern_wait_select(struct kern_waiter *w)
{
	struct timeval tv = { .tv_usec = KERN_WAIT_MS * 1000 };
	fd_set rfds;
	int i, maxfd = -1, r;

	FD_ZERO(&rfds);
	for (i = 0; i < w->n; i++) {
		/* Never FD_SET a descriptor past the set: the open refused
		 * those already, this is the belt to that brace. */
		if (!w->q[i] || w->q[i]->wait_fd >= FD_SETSIZE ||
		    !w->q[i]->kp->p->up)
			continue;
		FD_SET(w->q[i]->wait_fd, &rfds);
		if (w->q[i]->wait_fd > maxfd)
			maxfd = w->q[i]->wait_fd;
	}
	r = select(maxfd + 1, &rfds, NULL, NULL, &tv);
	if (r <= 0)
		return r;
	for (i = 0; i < w->n; i++)
		if (w->q[i] && w->q[i]->wait_fd < FD_SETSIZE &&
		    FD_ISSET(w->q[i]->wait_fd, &rfds))
			w->q[i]->ready = true;
	return r;
}

static int kern_wait_poll(struct kern_waiter *w)
{
	int i, r;

	/* A port that went down is not watched: its descriptor may stay
	 * readable (an io_uring with unreaped completions) forever. */
	for (i = 0; i < w->n; i++)
		w->pfd[i].fd = w->q[i] && w->q[i]->kp->p->up ? w->q[i]->wait_fd
							      : -1;
	r = poll(w->pfd, w->n, KERN_WAIT_MS);
	if (r <= 0)
		return r;
	for (i = 0; i < w->n; i++) {
		short re = w->pfd[i].revents;

		if (!re || !w->q[i])
			continue;
		if (re & (POLLERR | POLLHUP | POLLNVAL))
			kern_waiter_err(w->q[i]);
		w->q[i]->ready = true;
	}
	return r;
}

static int kern_wait_epoll(struct kern_waiter *w)
{
	struct epoll_event ev[KERN_WAITER_QS];
	int i, r;

	r = epoll_wait(w->epfd, ev, KERN_WAITER_QS, KERN_WAIT_MS);
	for (i = 0; i < r; i++) {
		struct kern_queue *q = ev[i].data.ptr;

		if (ev[i].events & (EPOLLERR | EPOLLHUP))
			kern_waiter_err(q);
		q->ready = true;
	}
	return r;
}

bool kern_others_ready(const struct kern_queue *q)
{
	const struct kern_waiter *w = q->w;
	int i;

	if (!w)
		return false;
	for (i = 0; i < w->n; i++)
		if (w->q[i] && w->q[i] != q && w->q[i]->ready &&
		    w->q[i]->kp->p->up)
			return true;
	return false;
}

__attribute__((cold)) int kern_waiter_enter(struct kern_queue *q,
					    enum kern_wait_kind kind)
{
	return q->w ? 0 : kern_waiter_join(q, kind);
}

bool kern_waiter_peer_up(const struct kern_queue *q,
			 const struct kern_queue *other)
{
	const struct kern_waiter *w = q->w;
	int i;

	if (!w || !other)
		return false;
	/* Compared as a pointer first: other may be a queue that left (its
	 * port closed); only a member of the waiter is dereferenced. */
	for (i = 0; i < w->n; i++)
		if (w->q[i] == other)
			return other->kp->p->up;
	return false;
}

bool kern_wait_ready(struct kern_queue *q, enum kern_wait_kind kind)
{
	struct kern_waiter *w;
	int i, r;

	if (q->ready)
		return true;
	if (!q->w && kern_waiter_join(q, kind) < 0)
		return false;
	if (q->ready)
		return true;
	w = q->w;
	/* Another queue of this thread has work: serve it first (a queue
	 * of a port that went down has none, whatever its flag says). */
	for (i = 0; i < w->n; i++)
		if (w->q[i] && w->q[i]->ready && w->q[i]->kp->p->up)
			return false;
	switch (kind) {
	case KERN_WAIT_SELECT:
		r = kern_wait_select(w);
		break;
	case KERN_WAIT_EPOLL_LT:
	case KERN_WAIT_EPOLL_ET:
		r = kern_wait_epoll(w);
		break;
	default:
		r = kern_wait_poll(w);
		break;
	}
	q->st.syscalls++;
	q->st.waits++;
	if (r > 0)
		q->st.wakeups++;
	return q->ready;
}

/* ---- rx / tx loops the models share ---------------------------------- */

uint16_t kern_rx_recv_loop(struct kern_queue *q, struct dp_burst *b,
			   uint16_t max, int flags, bool *eagain)
{
	uint16_t n = 0;
	uint32_t s;
	ssize_t r;

	*eagain = false;
	while (n < max) {
		if (!kern_slot_get(q, &s)) {
			q->st.no_buf++;
			break;
		}
		r = recv(q->fd, kern_slot(q, s), KERN_SLOT_SIZE,
			 flags | MSG_TRUNC);
		q->st.syscalls++;
		if (r < 0) {
			int err = errno;

			kern_slot_put(q, s);
			if (err == EAGAIN || err == EWOULDBLOCK) {
				q->st.eagain++;
				*eagain = true;
			} else if (err != EINTR) {
				kern_rx_error(q, err);
			}
			break;
		}
		if (r > KERN_SLOT_SIZE) {
			/* Frame longer than a slot (MTU raised under us). */
			kern_slot_put(q, s);
			q->st.rx_err++;
			continue;
		}
		kern_burst_put(b, n++, kern_slot(q, s), (uint16_t)r, s);
		q->st.rx_bytes += (uint64_t)r;
	}
	q->st.rx_pkts += n;
	return n;
}

/*
 * A failed send: true when the caller must stop sending this burst (socket
 * buffer full, counted as tx_full, or the port went down), false when only
 * this packet was refused (EMSGSIZE ...): it is consumed and counted.
 */
static bool kern_tx_stop(struct kern_queue *q, int err)
{
	if (err == EAGAIN || err == EWOULDBLOCK || err == ENOBUFS) {
		q->st.eagain += err != ENOBUFS;
		q->st.tx_full++;
		return true;
	}
	kern_tx_error(q, err);
	return kern_err_is_down(err);
}

uint16_t kern_tx_send_loop(struct kern_queue *q, uint8_t *const *data,
			   const uint16_t *len, const uintptr_t *buf,
			   uint16_t n, bool foreign, int flags)
{
	struct dp_port *p = q->kp->p;
	uint16_t i;
	ssize_t r;

	for (i = 0; i < n; i++) {
		r = send(q->fd, data[i], len[i], flags);
		q->st.syscalls++;
		if (r < 0) {
			if (kern_tx_stop(q, errno))
				break;
			continue; /* bad packet (EMSGSIZE ...): consumed */
		}
		q->st.tx_pkts++;
		q->st.tx_bytes += len[i];
	}
	if (!foreign && i)
		p->ops->free_bufs(p, q->qid, buf, i);
	return i;
}

static struct kern_mmsg *kern_mm(struct kern_queue *q)
{
	return q->mm;
}

uint16_t kern_rx_mmsg(struct kern_queue *q, struct dp_burst *b, bool *eagain)
{
	struct kern_mmsg *mm = kern_mm(q);
	uint16_t k, i, n = 0;
	int r;

	*eagain = false;
	if (!mm)
		return 0;
	for (k = 0; k < DP_BURST; k++) {
		if (!kern_slot_get(q, &mm->slot[k]))
			break;
		mm->iov[k].iov_base = kern_slot(q, mm->slot[k]);
		mm->iov[k].iov_len = KERN_SLOT_SIZE;
		memset(&mm->msg[k].msg_hdr, 0, sizeof(mm->msg[k].msg_hdr));
		mm->msg[k].msg_hdr.msg_iov = &mm->iov[k];
		mm->msg[k].msg_hdr.msg_iovlen = 1;
	}
	if (k == 0) {
		q->st.no_buf++;
		return 0;
	}
	r = recvmmsg(q->fd, mm->msg, k, MSG_DONTWAIT, NULL);
	q->st.syscalls++;
	if (r < 0) {
		int err = errno;

		if (err == EAGAIN || err == EWOULDBLOCK) {
			q->st.eagain++;
			*eagain = true;
		} else if (err != EINTR) {
			kern_rx_error(q, err);
		}
		r = 0;
	}
	for (i = 0; i < (uint16_t)r; i++) {
		if (mm->msg[i].msg_hdr.msg_flags & MSG_TRUNC) {
			kern_slot_put(q, mm->slot[i]);
			q->st.rx_err++;
			continue;
		}
		kern_burst_put(b, n++, kern_slot(q, mm->slot[i]),
			       (uint16_t)mm->msg[i].msg_len, mm->slot[i]);
		q->st.rx_bytes += mm->msg[i].msg_len;
	}
	/* Slots recvmmsg did not fill go back, newest first. */
	while (k > (uint16_t)r)
		kern_slot_put(q, mm->slot[--k]);
	if (r < k && !*eagain && r >= 0)
		*eagain = true; /* fewer than asked: the queue is empty */
	q->st.rx_pkts += n;
	return n;
}

uint16_t kern_tx_mmsg(struct kern_queue *q, uint8_t *const *data,
		      const uint16_t *len, const uintptr_t *buf, uint16_t n,
		      bool foreign)
{
	struct dp_port *p = q->kp->p;
	struct kern_mmsg *mm = kern_mm(q);
	uint16_t i, done = 0;
	int r;

	if (!mm || n == 0)
		return 0;
	/* The vectors hold one burst; the caller owns (and frees) the rest,
	 * as with any short tx_burst. */
	if (n > DP_BURST)
		n = DP_BURST;
	for (i = 0; i < n; i++) {
		mm->iov[i].iov_base = data[i];
		mm->iov[i].iov_len = len[i];
		memset(&mm->msg[i].msg_hdr, 0, sizeof(mm->msg[i].msg_hdr));
		mm->msg[i].msg_hdr.msg_iov = &mm->iov[i];
		mm->msg[i].msg_hdr.msg_iovlen = 1;
	}
	while (done < n) {
		r = sendmmsg(q->fd, mm->msg + done, n - done, MSG_DONTWAIT);
		q->st.syscalls++;
		if (r < 0) {
			if (kern_tx_stop(q, errno))
				break;
			done++; /* this packet is bad: consumed, go on */
			continue;
		}
		for (i = done; i < done + r; i++)
			q->st.tx_bytes += len[i];
		q->st.tx_pkts += (uint64_t)r;
		done += (uint16_t)r;
	}
	if (!foreign && done)
		p->ops->free_bufs(p, q->qid, buf, done);
	return done;
}

uint16_t kern_rx_wait_recv(struct dp_port *p, uint16_t qid,
			   struct dp_burst *b, enum kern_wait_kind kind)
{
	struct kern_queue *q = kern_q(p, qid);
	bool eagain;
	uint16_t n;

	b->n = 0;
	if (!p->up)
		return 0;
	kern_sample(q);
	if (!kern_wait_ready(q, kind))
		return 0;
	n = kern_rx_recv_loop(q, b, DP_BURST, MSG_DONTWAIT, &eagain);
	if (kind != KERN_WAIT_EPOLL_ET || eagain || !p->up)
		q->ready = false;
	b->n = n;
	b->port = p->id;
	b->queue = qid;
	return n;
}

uint16_t kern_tx_nonblock(struct dp_port *p, uint16_t qid,
			  uint8_t *const *data, const uint16_t *len,
			  const uintptr_t *buf, uint16_t n, bool foreign)
{
	if (!p->up)
		return 0;
	return kern_tx_send_loop(kern_q(p, qid), data, len, buf, n, foreign,
				 MSG_DONTWAIT);
}

int kern_set_nonblock(struct kern_queue *q, char *err, size_t errlen)
{
	int fl = fcntl(q->fd, F_GETFL);

	if (fl < 0 || fcntl(q->fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		int ret = -errno;

		snprintf(err, errlen, "port %s: O_NONBLOCK: %s",
			 q->kp->p->name, strerror(-ret));
		return ret;
	}
	return 0;
}

/* ---- common ops ------------------------------------------------------ */

void kern_free_bufs(struct dp_port *p, uint16_t qid, const uintptr_t *buf,
		    uint16_t n)
{
	struct kern_queue *q = kern_q(p, qid);
	uint16_t i;

	for (i = 0; i < n; i++)
		kern_slot_put(q, (uint32_t)buf[i]);
}

uint16_t kern_alloc_bufs(struct dp_port *p, uint16_t qid, uint16_t len,
			 uint8_t **data, uintptr_t *buf, uint16_t n)
{
	struct kern_queue *q = kern_q(p, qid);
	uint16_t i;
	uint32_t s;

	if (len > KERN_SLOT_SIZE)
		return 0;
	for (i = 0; i < n && kern_slot_get(q, &s); i++) {
		data[i] = kern_slot(q, s);
		buf[i] = s;
	}
	return i;
}

int kern_start(struct dp_port *p)
{
	struct kern_port *kp = p->priv;
	struct ifreq ifr = { 0 };
	int fd = kp->q[0].fd;

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", kp->ifname);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		return -errno;
	p->up = (ifr.ifr_flags & IFF_UP) != 0;
	return 0;
}

void kern_stop(struct dp_port *p)
{
	/* Workers notice their stop flag within KERN_WAIT_MS (or the
	 * blocking model's receive timeout) and are joined before this is
	 * called: take the kernel's last drop counts so none go unreported. */
	struct kern_port *kp = p->priv;
	uint16_t i;

	for (i = 0; kp && i < kp->nb_all; i++) {
		struct tpacket_stats_v3 ps = { 0 };
		socklen_t l = sizeof(ps);

		if (getsockopt(kp->q[i].fd, SOL_PACKET, PACKET_STATISTICS, &ps,
			       &l) == 0)
			kp->q[i].st.kdrops += ps.tp_drops;
	}
}

static void kern_queue_free(struct kern_queue *q)
{
	const struct kern_model *m = q->kp->m;

	kern_waiter_leave(q);
	if (m->queue_fini)
		m->queue_fini(q);
	else
		free(q->model);
	q->model = NULL;
	if (q->fd >= 0)
		close(q->fd);
	q->fd = -1;
	if (q->slab)
		munmap(q->slab, q->slab_len);
	q->slab = NULL;
	free(q->free);
	q->free = NULL;
	free(q->mm);
	q->mm = NULL;
}

void kern_queue_detach(struct dp_port *p, uint16_t qid)
{
	kern_waiter_leave(kern_q(p, qid));
}

void kern_close(struct dp_port *p)
{
	struct kern_port *kp = p->priv;
	uint16_t i;

	if (!kp)
		return;
	for (i = 0; i < kp->nb_all; i++)
		kern_queue_free(&kp->q[i]);
	free(kp);
	p->priv = NULL;
	p->up = false;
}

static const char *const kern_stat_names[] = {
#define KERN_STAT_NAME(f, name) name,
	KERN_FOREACH_STAT(KERN_STAT_NAME)
#undef KERN_STAT_NAME
};

#define KERN_NSTATS (sizeof(kern_stat_names) / sizeof(kern_stat_names[0]))

int kern_xstats(struct dp_port *p, struct dp_port_kv *kv, int max)
{
	struct kern_port *kp = p->priv;
	uint64_t sum[KERN_NSTATS] = { 0 };
	unsigned int i, j;
	int n = 0;

	for (i = 0; i < kp->nb_all; i++) {
		const uint64_t *v = (const uint64_t *)&kp->q[i].st;

		for (j = 0; j < KERN_NSTATS; j++)
			sum[j] += v[j];
	}
	for (j = 0; j < KERN_NSTATS && n < max; j++) {
		kv[n].name = kern_stat_names[j];
		kv[n++].value = sum[j];
	}
	if (n < max) {
		/* syscalls per 1000 packets moved (rx + tx) */
		uint64_t pk = 0, sc = 0;

		for (i = 0; i < kp->nb_all; i++) {
			pk += kp->q[i].st.rx_pkts + kp->q[i].st.tx_pkts;
			sc += kp->q[i].st.syscalls;
		}
		kv[n].name = "syscalls_per_1k_packets";
		kv[n++].value = pk ? sc * 1000 / pk : 0;
	}
	return n;
}

/* ---- open ------------------------------------------------------------ */

__attribute__((cold)) static int kern_queue_open(struct kern_port *kp,
						 uint16_t qid, char *err,
						 size_t errlen)
{
	struct kern_queue *q = &kp->q[qid];
	const struct kern_model *m = kp->m;
	/* Queues from nb_queues on are TX only: protocol 0 binds a socket
	 * that sends on the interface but receives nothing, so it takes no
	 * share of the RX fanout and needs no promiscuous membership. */
	bool tx_only = kern_tun.tx_only || qid >= kp->nb_queues;
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = tx_only ? 0 : htons(ETH_P_ALL),
		.sll_ifindex = kp->ifindex,
	};
	struct packet_mreq mr = {
		.mr_ifindex = kp->ifindex,
		.mr_type = PACKET_MR_PROMISC,
	};
	int one = 1, rcvbuf = kern_tun.rcvbuf ? kern_tun.rcvbuf : 4 << 20;
	int sndbuf;
	uint32_t i;
	int ret;

	q->kp = kp;
	q->qid = qid;
	/* Protocol 0: nothing is queued until bind names the interface. */
	q->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (q->fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "port %s: AF_PACKET socket: %s",
			 kp->p->name, strerror(-ret));
		return ret;
	}
	q->wait_fd = q->fd;
	if (setsockopt(q->fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
		       sizeof(rcvbuf)) < 0)
		setsockopt(q->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
			   sizeof(rcvbuf));
	/* A send buffer for a TX ring's worth of bursts in flight (io_uring
	 * would otherwise punt sends that find it full to io-wq). */
	sndbuf = 4 << 20;
	if (setsockopt(q->fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf,
		       sizeof(sndbuf)) < 0)
		setsockopt(q->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf,
			   sizeof(sndbuf));
	/* Our own transmissions must not come back as receptions. */
	if (setsockopt(q->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one,
		       sizeof(one)) < 0) {
		ret = -errno;
		snprintf(err, errlen, "port %s: PACKET_IGNORE_OUTGOING: %s",
			 kp->p->name, strerror(-ret));
		return ret;
	}
	q->nslots = kp->rx_ring + kp->tx_ring + 4 * DP_BURST;
	q->slab_len = (size_t)q->nslots * KERN_SLOT_SIZE;
	q->slab = mmap(NULL, q->slab_len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (q->slab == MAP_FAILED) {
		q->slab = NULL;
		snprintf(err, errlen, "port %s: slab of %u slots: %s",
			 kp->p->name, q->nslots, strerror(errno));
		return -ENOMEM;
	}
	q->free = malloc(q->nslots * sizeof(*q->free));
	if (!q->free) {
		snprintf(err, errlen, "port %s: out of memory", kp->p->name);
		return -ENOMEM;
	}
	for (i = 0; i < q->nslots; i++)
		q->free[i] = q->nslots - 1 - i;
	q->mm = calloc(1, sizeof(*q->mm));
	if (!q->mm) {
		snprintf(err, errlen, "port %s: out of memory", kp->p->name);
		return -ENOMEM;
	}
	q->nfree = q->nslots;
	if (m->pre_bind) {
		ret = m->pre_bind(q, err, errlen);
		if (ret < 0)
			return ret;
	}
	if (bind(q->fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		ret = -errno;
		snprintf(err, errlen, "port %s: bind to %s: %s", kp->p->name,
			 kp->ifname, strerror(-ret));
		return ret;
	}
	if (kp->nb_queues > 1 && qid < kp->nb_queues) {
		int fanout = ((getpid() ^ kp->ifindex) & 0xffff) |
			     (PACKET_FANOUT_HASH << 16);

		if (setsockopt(q->fd, SOL_PACKET, PACKET_FANOUT, &fanout,
			       sizeof(fanout)) < 0) {
			ret = -errno;
			snprintf(err, errlen, "port %s: PACKET_FANOUT: %s",
				 kp->p->name, strerror(-ret));
			return ret;
		}
	}
	if (qid < kp->nb_queues &&
	    setsockopt(q->fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr,
		       sizeof(mr)) < 0) {
		ret = -errno;
		snprintf(err, errlen, "port %s: promiscuous mode on %s: %s",
			 kp->p->name, kp->ifname, strerror(-ret));
		return ret;
	}
	if (m->queue_init) {
		ret = m->queue_init(q, err, errlen);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static const struct kern_model *kern_model_find(const char *name)
{
	int i;

	if (!name[0])
		name = "epoll-et";
	for (i = 0; kern_models[i]; i++)
		if (!strcmp(kern_models[i]->name, name))
			return kern_models[i];
	return NULL;
}

__attribute__((cold)) int dp_kern_open(struct dp_port *p,
				       const struct dp_port_conf *c, char *err,
				       size_t errlen)
{
	const struct kern_model *m = kern_model_find(c->io_model);
	struct kern_port *kp = NULL;
	struct ifreq ifr = { 0 };
	char names[256] = "";
	int i, ret, fd = -1;

	if (!m) {
		for (i = 0; kern_models[i]; i++) {
			strncat(names, " ", sizeof(names) - strlen(names) - 1);
			strncat(names, kern_models[i]->name,
				sizeof(names) - strlen(names) - 1);
		}
		snprintf(err, errlen,
			 "port %s: unknown io_model '%s' (built:%s%s)", c->name,
			 c->io_model, names,
			 LR_HAVE_URING ? "" :
					 "; uring models need liburing");
		return -EINVAL;
	}
	if (c->nb_queues > DP_QUEUE_MAX || c->nb_txq > DP_QUEUE_MAX) {
		snprintf(err, errlen, "port %s: %u queues (%u with TX only), "
			 "at most %d",
			 c->name, c->nb_queues, c->nb_txq, DP_QUEUE_MAX);
		return -EINVAL;
	}
	if (strlen(c->dev) >= IF_NAMESIZE) {
		snprintf(err, errlen, "port %s: interface name '%s' too long",
			 c->name, c->dev);
		return -EINVAL;
	}
	kp = calloc(1, sizeof(*kp));
	if (!kp) {
		snprintf(err, errlen, "port %s: out of memory", c->name);
		return -ENOMEM;
	}
	for (i = 0; i < DP_QUEUE_MAX; i++)
		kp->q[i].fd = -1;
	kp->p = p;
	kp->m = m;
	snprintf(p->name, sizeof(p->name), "%s", c->name);
	snprintf(kp->ifname, sizeof(kp->ifname), "%s", c->dev);
	kp->ifindex = (int)if_nametoindex(c->dev);
	if (!kp->ifindex) {
		ret = -ENODEV;
		snprintf(err, errlen, "port %s: no interface '%s'", c->name,
			 c->dev);
		goto fail;
	}
	kp->rx_ring = c->rx_ring ? c->rx_ring : KERN_DEF_RING;
	kp->tx_ring = c->tx_ring ? c->tx_ring : KERN_DEF_RING;
	kp->sqpoll_cpu = c->sqpoll_cpu;
	kp->nb_queues = c->nb_queues ? c->nb_queues : 1;
	kp->nb_all = c->nb_txq > kp->nb_queues ? c->nb_txq : kp->nb_queues;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "port %s: socket: %s", c->name,
			 strerror(-ret));
		goto fail;
	}
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", c->dev);
	if (c->mtu) {
		ifr.ifr_mtu = c->mtu;
		if (ioctl(fd, SIOCSIFMTU, &ifr) < 0) {
			ret = -errno;
			snprintf(err, errlen, "port %s: set mtu %u on %s: %s",
				 c->name, c->mtu, c->dev, strerror(-ret));
			goto fail;
		}
	}
	if (ioctl(fd, SIOCGIFMTU, &ifr) < 0) {
		ret = -errno;
		snprintf(err, errlen, "port %s: mtu of %s: %s", c->name,
			 c->dev, strerror(-ret));
		goto fail;
	}
	if (ifr.ifr_mtu + 18 > KERN_SLOT_SIZE) {
		ret = -EINVAL;
		snprintf(err, errlen,
			 "port %s: mtu %d of %s is above the kernel backend's %d-byte slots",
			 c->name, ifr.ifr_mtu, c->dev, KERN_SLOT_SIZE - 18);
		goto fail;
	}
	p->mtu = (uint16_t)ifr.ifr_mtu;
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) {
		ret = -errno;
		snprintf(err, errlen, "port %s: MAC of %s: %s", c->name,
			 c->dev, strerror(-ret));
		goto fail;
	}
	memcpy(p->mac, ifr.ifr_hwaddr.sa_data, 6);
	if (c->mac_set)
		memcpy(p->mac, c->mac, 6);
	close(fd);
	fd = -1;

	p->priv = kp;
	p->ops = m->ops;
	/* Handles are slot indices of this port's queues: no other port can
	 * take them without a copy. */
	p->buf_domain = kp;
	p->nb_queues = kp->nb_queues;
	p->up = false;
	snprintf(p->mode_desc, sizeof(p->mode_desc), "%s", m->name);
	for (i = 0; i < kp->nb_all; i++) {
		ret = kern_queue_open(kp, (uint16_t)i, err, errlen);
		if (ret < 0)
			goto fail_queues;
	}
	return 0;

fail_queues:
	for (i = 0; i < kp->nb_all; i++)
		if (kp->q[i].kp)
			kern_queue_free(&kp->q[i]);
	p->priv = NULL;
	p->ops = NULL;
fail:
	if (fd >= 0)
		close(fd);
	free(kp);
	return ret;
}
