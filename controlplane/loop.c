// SPDX-License-Identifier: MIT
/*
 * Backend-independent part of the event loop: choosing the backend (with the
 * logged fallback), timers (a binary min-heap the backends' waits are
 * bounded by), signals (a signalfd read like any other fd) and the deferred
 * close callbacks.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "loop_int.h"

#define TIMER_NONE UINT_MAX

_Static_assert(sizeof(((struct cp_loop *)0)->sig_part) ==
		       sizeof(struct signalfd_siginfo),
	       "sig_part holds one signalfd record");

uint64_t cp_loop_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

const char *cp_loop_backend_name(enum cp_loop_backend b)
{
	switch (b) {
	case CP_LOOP_URING:
		return "io_uring";
	case CP_LOOP_EPOLL:
		return "epoll";
	default:
		return "auto";
	}
}

int cp_loop_backend_parse(const char *s)
{
	if (!strcmp(s, "auto"))
		return CP_LOOP_AUTO;
	if (!strcmp(s, "uring") || !strcmp(s, "io_uring"))
		return CP_LOOP_URING;
	if (!strcmp(s, "epoll"))
		return CP_LOOP_EPOLL;
	return -EINVAL;
}

enum cp_loop_backend cp_loop_backend(const struct cp_loop *l)
{
	return l->backend;
}

static void on_sig_retry(struct cp_timer *t);
static void on_acc_timer(struct cp_timer *t);

static int loop_try(struct cp_loop *l, const struct cp_loop_ops *ops,
		    enum cp_loop_backend b)
{
	int ret;

	l->ops = ops;
	l->backend = b;
	ret = ops->init(l);
	if (ret < 0) {
		l->ops = NULL;
		l->priv = NULL;
	}
	return ret;
}

int cp_loop_new(struct cp_loop **out, enum cp_loop_backend b)
{
	struct cp_loop *l;
	int ret = -ENOTSUP;

	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->sig_io.fd = -1;
#if CP_HAVE_URING
	if (b == CP_LOOP_URING || b == CP_LOOP_AUTO) {
		ret = loop_try(l, &cp_loop_uring_ops, CP_LOOP_URING);
		if (ret == 0)
			goto done;
		if (b == CP_LOOP_URING) {
			cp_err("event loop: io_uring unavailable: %s",
			       strerror(-ret));
			goto fail;
		}
		cp_warn("event loop: io_uring unavailable (%s), using epoll",
			strerror(-ret));
	}
#else
	if (b == CP_LOOP_URING) {
		cp_err("event loop: built without liburing");
		goto fail;
	}
#endif
	ret = loop_try(l, &cp_loop_epoll_ops, CP_LOOP_EPOLL);
	if (ret < 0) {
		cp_err("event loop: epoll: %s", strerror(-ret));
		goto fail;
	}
done:
	cp_timer_init(&l->sig_retry, l, on_sig_retry, NULL);
	cp_timer_init(&l->acc_timer, l, on_acc_timer, NULL);
	cp_dbg("event loop: %s", l->ops->name);
	*out = l;
	return 0;
fail:
	free(l);
	return ret;
}

static void run_closed(struct cp_loop *l, int *ran)
{
	while (l->closed) {
		struct cp_io *io = l->closed;
		cp_close_fn fn = io->on_close;

		l->closed = io->next;
		io->next = NULL;
		(*ran)++;
		if (fn)
			fn(io);
	}
}

void cp_loop_free(struct cp_loop *l)
{
	int ran = 0;

	if (!l)
		return;
	cp_timer_stop(&l->sig_retry);
	cp_timer_stop(&l->acc_timer);
	if (l->sig_io.fd >= 0) {
		cp_io_close(&l->sig_io, NULL);
		/* Let the backend see the cancellation come back. */
		for (int i = 0; i < 100 && l->sig_io.fd >= 0; i++)
			l->ops->wait(l, 10);
	}
	run_closed(l, &ran);
	l->ops->fini(l);
	free(l->acc_defer);
	free(l->heap);
	free(l);
}

/* ---- timers ---- */

static void heap_swap(struct cp_loop *l, unsigned int a, unsigned int b)
{
	struct cp_timer *t = l->heap[a];

	l->heap[a] = l->heap[b];
	l->heap[b] = t;
	l->heap[a]->heap_idx = a;
	l->heap[b]->heap_idx = b;
}

static void heap_up(struct cp_loop *l, unsigned int i)
{
	while (i > 0) {
		unsigned int p = (i - 1) / 2;

		if (l->heap[p]->deadline_ns <= l->heap[i]->deadline_ns)
			break;
		heap_swap(l, i, p);
		i = p;
	}
}

static void heap_down(struct cp_loop *l, unsigned int i)
{
	for (;;) {
		unsigned int c = 2 * i + 1, m = i;

		if (c < l->heap_n &&
		    l->heap[c]->deadline_ns < l->heap[m]->deadline_ns)
			m = c;
		if (c + 1 < l->heap_n &&
		    l->heap[c + 1]->deadline_ns < l->heap[m]->deadline_ns)
			m = c + 1;
		if (m == i)
			return;
		heap_swap(l, i, m);
		i = m;
	}
}

void cp_timer_init(struct cp_timer *t, struct cp_loop *l, cp_timer_fn fn,
		   void *data)
{
	t->loop = l;
	t->fn = fn;
	t->data = data;
	t->deadline_ns = 0;
	t->heap_idx = TIMER_NONE;
}

void cp_timer_stop(struct cp_timer *t)
{
	struct cp_loop *l = t->loop;
	unsigned int i = t->heap_idx;

	if (i == TIMER_NONE)
		return;
	t->heap_idx = TIMER_NONE;
	l->heap_n--;
	if (i == l->heap_n)
		return;
	l->heap[i] = l->heap[l->heap_n];
	l->heap[i]->heap_idx = i;
	heap_down(l, i);
	heap_up(l, i);
}

static void timer_arm_at(struct cp_timer *t, uint64_t deadline_ns)
{
	struct cp_loop *l = t->loop;

	cp_timer_stop(t);
	if (l->heap_n == l->heap_cap) {
		unsigned int cap = l->heap_cap ? 2 * l->heap_cap : 16;
		struct cp_timer **h = realloc(l->heap, cap * sizeof(*h));

		if (!h) {
			/* Cold and unlikely; a timer that cannot be armed
			 * fires at once rather than never. */
			cp_err("event loop: no memory for a timer");
			t->fn(t);
			return;
		}
		l->heap = h;
		l->heap_cap = cap;
	}
	t->deadline_ns = deadline_ns;
	t->heap_idx = l->heap_n;
	l->heap[l->heap_n++] = t;
	heap_up(l, t->heap_idx);
}

void cp_timer_start(struct cp_timer *t, uint64_t ms)
{
	timer_arm_at(t, cp_loop_now_ns() + ms * 1000000ull);
}

void cp_timer_again(struct cp_timer *t, uint64_t ms)
{
	uint64_t now = cp_loop_now_ns();
	uint64_t next = t->deadline_ns + ms * 1000000ull;

	/* Stalled past the next period (or never armed): no burst of
	 * catch-up calls, one period from now. */
	if (!t->deadline_ns || next <= now)
		next = now + ms * 1000000ull;
	timer_arm_at(t, next);
}

static int run_timers(struct cp_loop *l)
{
	uint64_t now = cp_loop_now_ns();
	int ran = 0;

	while (l->heap_n && l->heap[0]->deadline_ns <= now) {
		struct cp_timer *t = l->heap[0];

		cp_timer_stop(t);
		t->fn(t);
		ran++;
	}
	return ran;
}

static int next_timeout(struct cp_loop *l, int timeout_ms)
{
	uint64_t now, d;
	int ms;

	if (!l->heap_n)
		return timeout_ms;
	now = cp_loop_now_ns();
	d = l->heap[0]->deadline_ns;
	if (d <= now)
		return 0;
	/* Round up so a timer never wakes the loop a little early. */
	d = (d - now + 999999) / 1000000;
	ms = d > INT_MAX ? INT_MAX : (int)d;
	if (timeout_ms < 0 || ms < timeout_ms)
		return ms;
	return timeout_ms;
}

/* ---- running ---- */

int cp_loop_run_once(struct cp_loop *l, int timeout_ms)
{
	int ran = 0, ret;

	if (l->closed)
		timeout_ms = 0;
	ret = l->ops->wait(l, next_timeout(l, timeout_ms));
	if (ret < 0 && ret != -EINTR)
		return ret;
	if (ret > 0)
		ran += ret;
	ran += run_timers(l);
	run_closed(l, &ran);
	return l->err ? l->err : ran;
}

int cp_loop_run(struct cp_loop *l)
{
	int ret;

	l->stop = false;
	while (!l->stop && !l->err) {
		ret = cp_loop_run_once(l, -1);
		if (ret < 0) {
			if (ret != l->err)
				cp_err("event loop: wait: %s", strerror(-ret));
			return ret;
		}
	}
	return l->err;
}

void cp_loop_stop(struct cp_loop *l)
{
	l->stop = true;
}

void cp_loop__closed(struct cp_io *io)
{
	struct cp_loop *l = io->loop;

	io->fd = -1;
	io->next = l->closed;
	l->closed = io;
}

/* ---- io ---- */

void cp_io_init(struct cp_io *io, struct cp_loop *l, int fd, void *data)
{
	memset(io, 0, sizeof(*io));
	io->loop = l;
	io->fd = fd;
	io->data = data;
}

int cp_io_read(struct cp_io *io, cp_read_fn fn)
{
	int ret;

	if (io->flags & CP_IO_CLOSING)
		return -EBADF;
	if (io->flags & CP_IO_READ)
		return -EBUSY;
	io->on_read = fn;
	io->flags |= CP_IO_READ;
	ret = io->loop->ops->read(io);
	if (ret < 0) {
		io->flags &= ~CP_IO_READ;
		io->on_read = NULL;
	}
	return ret;
}

/* ---- accept backoff ----
 * An accept that failed for want of a resource (fds, socket memory) left
 * the connection in the backlog: armed again at once it would fail again
 * at once, a busy loop on either backend (epoll still sees the listener
 * readable, io_uring completes the new accept straight away). So after
 * such an error every re-arm of an accept is held back on a list until
 * CP_LOOP_ACCEPT_PAUSE_MS have passed, and armed then by one loop timer.
 * An accept the backend cannot arm for a moment (io_uring: no SQE even
 * after a submit) takes the same list instead of failing: accepting never
 * stops because of a transient error. */

void cp_loop__accept_result(struct cp_io *io, int fd)
{
	struct cp_loop *l = io->loop;

	if (fd == -EMFILE || fd == -ENFILE || fd == -ENOBUFS || fd == -ENOMEM)
		l->acc_pause_until_ns =
			cp_loop_now_ns() + CP_LOOP_ACCEPT_PAUSE_MS * 1000000ull;
}

static int acc_defer(struct cp_io *io, uint64_t ms)
{
	struct cp_loop *l = io->loop;

	if (l->acc_defer_n == l->acc_defer_cap) {
		unsigned int cap = l->acc_defer_cap ? 2 * l->acc_defer_cap : 4;
		struct cp_io **a =
			realloc(l->acc_defer, cap * sizeof(*l->acc_defer));

		if (!a)
			return -ENOMEM;
		l->acc_defer = a;
		l->acc_defer_cap = cap;
	}
	l->acc_defer[l->acc_defer_n++] = io;
	io->flags |= CP_IO_DEFER;
	if (!cp_timer_armed(&l->acc_timer) ||
	    l->acc_timer.deadline_ns > cp_loop_now_ns() + ms * 1000000ull)
		cp_timer_start(&l->acc_timer, ms);
	return 0;
}

static void acc_undefer(struct cp_io *io)
{
	struct cp_loop *l = io->loop;

	for (unsigned int i = 0; i < l->acc_defer_n; i++) {
		if (l->acc_defer[i] == io) {
			l->acc_defer[i] = l->acc_defer[--l->acc_defer_n];
			break;
		}
	}
	io->flags &= ~CP_IO_DEFER;
}

static int acc_arm(struct cp_io *io)
{
	struct cp_loop *l = io->loop;
	uint64_t now = cp_loop_now_ns();
	int ret;

	if (now < l->acc_pause_until_ns)
		return acc_defer(io, (l->acc_pause_until_ns - now + 999999) /
					     1000000);
	io->flags |= CP_IO_ACCEPT;
	ret = l->ops->accept(io);
	if (ret == -EAGAIN) {
		io->flags &= ~CP_IO_ACCEPT;
		return acc_defer(io, 1);
	}
	if (ret < 0)
		io->flags &= ~CP_IO_ACCEPT;
	return ret;
}

static void on_acc_timer(struct cp_timer *t)
{
	struct cp_loop *l = t->loop;
	unsigned int n = l->acc_defer_n;

	/* Arm what waits now; what acc_arm defers again lands after n. */
	for (unsigned int i = 0; i < n && l->acc_defer_n; i++) {
		struct cp_io *io = l->acc_defer[0];
		cp_accept_fn fn = io->on_accept;

		int ret;

		acc_undefer(io);
		ret = acc_arm(io);
		if (ret < 0) {
			/* Not transient (epoll_ctl refused the listener, no
			 * memory to hold it back): the user hears it as the
			 * accept's result. */
			io->on_accept = NULL;
			fn(io, ret);
		}
	}
}

int cp_io_accept(struct cp_io *io, cp_accept_fn fn)
{
	int ret;

	if (io->flags & CP_IO_CLOSING)
		return -EBADF;
	if (io->flags & (CP_IO_ACCEPT | CP_IO_DEFER))
		return -EBUSY;
	io->on_accept = fn;
	ret = acc_arm(io);
	if (ret < 0)
		io->on_accept = NULL;
	return ret;
}

int cp_io_write(struct cp_io *io, const void *buf, size_t len, cp_write_fn fn)
{
	int ret;

	if (io->flags & CP_IO_CLOSING)
		return -EBADF;
	if (io->flags & CP_IO_WRITE)
		return -EBUSY;
	if (len > UINT32_MAX)
		return -EMSGSIZE;
	io->wbuf = buf;
	io->wlen = (uint32_t)len;
	io->woff = 0;
	io->on_write = fn;
	io->flags |= CP_IO_WRITE;
	ret = io->loop->ops->write(io);
	if (ret < 0) {
		io->flags &= ~CP_IO_WRITE;
		io->on_write = NULL;
	}
	return ret;
}

void cp_io_close(struct cp_io *io, cp_close_fn fn)
{
	if (io->flags & CP_IO_CLOSING)
		return;
	io->flags |= CP_IO_CLOSING;
	io->on_close = fn;
	if (io->flags & CP_IO_DEFER) {
		acc_undefer(io);
		io->on_accept = NULL;
	}
	io->loop->ops->close(io);
}

/* ---- signals ----
 * The signalfd is read like any other fd, and the read must never stop for
 * good: a daemon deaf to SIGTERM can only be killed. So
 *   - records split across reads are put back together (sig_part),
 *   - EAGAIN / EINTR re-arm (the second in a row after a short pause, so a
 *     kernel answering EAGAIN at once cannot make the loop spin),
 *   - any other error re-arms after CP_LOOP_SIG_RETRY_MS and is logged
 *     once; CP_LOOP_SIG_MAX_ERRS of them in a row, or an error that cannot
 *     get better (EBADF, EINVAL, EFAULT: the fd or the buffer is wrong),
 *     stop the loop with that error: cp_loop_run() returns it and the
 *     daemon shuts down the way it does on SIGTERM, with the reason logged,
 *   - a re-arm that fails takes the same path.
 */

static void on_signal(struct cp_io *io, const void *data, ssize_t n);

static void sig_fatal(struct cp_loop *l, int err)
{
	cp_err("event loop: signals: %s (%u errors in a row): stopping, "
	       "signals could not be received any more",
	       strerror(-err), l->sig_errs);
	l->err = err;
	cp_loop_stop(l);
}

static void sig_error(struct cp_loop *l, int err)
{
	bool again = err == -EAGAIN || err == -EWOULDBLOCK || err == -EINTR;

	l->sig_errs++;
	if (!again) {
		if (err == -EBADF || err == -EINVAL || err == -EFAULT ||
		    l->sig_errs >= CP_LOOP_SIG_MAX_ERRS) {
			sig_fatal(l, err);
			return;
		}
		if (l->sig_errs == 1)
			cp_warn("event loop: signals: read: %s: retrying",
				strerror(-err));
	}
	cp_timer_start(&l->sig_retry,
		       again && l->sig_errs == 1 ? 0 : CP_LOOP_SIG_RETRY_MS);
}

static void sig_arm(struct cp_loop *l)
{
	int ret;

	if (l->sig_io.flags & (CP_IO_CLOSING | CP_IO_READ))
		return;
	ret = cp_io_read(&l->sig_io, on_signal);
	if (ret < 0)
		sig_error(l, ret);
}

static void on_sig_retry(struct cp_timer *t)
{
	sig_arm(t->loop);
}

static void sig_deliver(struct cp_loop *l, const struct signalfd_siginfo *si)
{
	l->sig_fn(l, (int)si->ssi_signo, l->sig_arg);
}

static void on_signal(struct cp_io *io, const void *data, ssize_t n)
{
	struct cp_loop *l = io->loop;
	const uint8_t *p = data;
	struct signalfd_siginfo si;
	size_t len, rec = sizeof(si);

	if (n <= 0) {
		/* A signalfd never ends: EOF is an error like the others. */
		sig_error(l, n < 0 ? (int)n : -ENODATA);
		return;
	}
	l->sig_errs = 0;
	len = (size_t)n;
	if (l->sig_partlen) {
		size_t k = rec - l->sig_partlen;

		if (k > len)
			k = len;
		memcpy(l->sig_part + l->sig_partlen, p, k);
		l->sig_partlen += (unsigned int)k;
		p += k;
		len -= k;
		if (l->sig_partlen == rec) {
			l->sig_partlen = 0;
			memcpy(&si, l->sig_part, rec);
			sig_deliver(l, &si);
		}
	}
	for (; len >= rec; len -= rec, p += rec) {
		memcpy(&si, p, rec); /* the buffer is not aligned for it */
		sig_deliver(l, &si);
	}
	if (len) {
		memcpy(l->sig_part, p, len);
		l->sig_partlen = (unsigned int)len;
	}
	/* A callback may have stopped the loop or closed it: sig_arm looks. */
	sig_arm(l);
}

int cp_loop__signal_fd(struct cp_loop *l, int fd, cp_signal_fn fn, void *arg)
{
	int ret;

	if (l->sig_io.fd >= 0)
		return -EBUSY;
	l->sig_fn = fn;
	l->sig_arg = arg;
	l->sig_errs = 0;
	l->sig_partlen = 0;
	cp_io_init(&l->sig_io, l, fd, NULL);
	ret = cp_io_read(&l->sig_io, on_signal);
	if (ret < 0)
		l->sig_io.fd = -1;
	return ret;
}

int cp_loop_signals(struct cp_loop *l, const int *signos, int n,
		    cp_signal_fn fn, void *arg)
{
	sigset_t set;
	int fd, ret;

	if (l->sig_io.fd >= 0)
		return -EBUSY;
	sigemptyset(&set);
	for (int i = 0; i < n; i++)
		sigaddset(&set, signos[i]);
	ret = pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (ret)
		return -ret;
	fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = cp_loop__signal_fd(l, fd, fn, arg);
	if (ret < 0)
		close(fd);
	return ret;
}
