/* SPDX-License-Identifier: MIT */
/*
 * The control plane's event loop: one thread, never blocks, completion style.
 *
 * Two backends behind one small function set (STYLE rule 2, as Redis' ae.c):
 *   loop_uring.c  io_uring: reads use a provided-buffer ring, so an idle
 *                 connection holds no buffer at all; accept and send are
 *                 plain io_uring operations.
 *   loop_epoll.c  epoll, edge triggered, one epoll_ctl per fd lifetime;
 *                 reads land in one loop-owned scratch buffer.
 * CP_LOOP_AUTO picks io_uring and falls back to epoll, logged, when the
 * kernel refuses it (io_uring_disabled sysctl, a seccomp filter answering
 * EPERM, a kernel without provided-buffer rings).
 *
 * Operations are one-shot: cp_io_read() arms one read, its callback gets the
 * bytes (valid only during the callback: copy what you keep) and calls
 * cp_io_read() again to go on reading. Not re-arming is how a user applies
 * backpressure. One read, one write and one accept may be armed per cp_io.
 * Callbacks never run inside the call that armed them.
 *
 * Lifetime: a struct cp_io is embedded in the user's object; after
 * cp_io_close() it stays in use until its close callback runs (io_uring has
 * to see the cancelled operations come back first). Then free it.
 *
 * Timers are the loop's own (a min-heap), signals come through a signalfd.
 */
#ifndef CP_LOOP_H
#define CP_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum cp_loop_backend {
	CP_LOOP_AUTO = 0,
	CP_LOOP_URING,
	CP_LOOP_EPOLL,
};

struct cp_loop;
struct cp_io;
struct cp_timer;

/* n > 0: bytes in data; n == 0: end of file; n < 0: -errno. */
typedef void (*cp_read_fn)(struct cp_io *io, const void *data, ssize_t n);
/* fd >= 0: the new connection (non-blocking, close-on-exec); < 0: -errno. */
typedef void (*cp_accept_fn)(struct cp_io *io, int fd);
/* err == 0: every byte written; < 0: -errno (EPIPE, ECONNRESET ...). */
typedef void (*cp_write_fn)(struct cp_io *io, int err);
typedef void (*cp_close_fn)(struct cp_io *io);
typedef void (*cp_timer_fn)(struct cp_timer *t);
typedef void (*cp_signal_fn)(struct cp_loop *l, int signo, void *arg);

/* Fields are the loop's; users read fd and data only. */
struct cp_io {
	struct cp_loop *loop;
	void *data; /* the user's */
	int fd;
	uint16_t flags; /* CP_IO_* armed/ready/closing bits */
	uint16_t pending; /* io_uring: operations in flight */
	cp_read_fn on_read;
	cp_accept_fn on_accept;
	cp_write_fn on_write;
	cp_close_fn on_close;
	const uint8_t *wbuf;
	uint32_t wlen, woff;
	struct cp_io *next; /* backend's ready / retry / closed list */
};

struct cp_timer {
	struct cp_loop *loop;
	void *data; /* the user's */
	cp_timer_fn fn;
	uint64_t deadline_ns;
	unsigned int heap_idx; /* UINT_MAX: not armed */
};

/* Create a loop. On failure -errno; AUTO only fails if epoll does. */
int cp_loop_new(struct cp_loop **out, enum cp_loop_backend b);
void cp_loop_free(struct cp_loop *l);
enum cp_loop_backend cp_loop_backend(const struct cp_loop *l);
const char *cp_loop_backend_name(enum cp_loop_backend b);
/* "auto", "uring", "io_uring", "epoll" -> backend, or -EINVAL. */
int cp_loop_backend_parse(const char *s);

/* Run until cp_loop_stop(); returns 0, or -errno of a failed wait or of
 * the signal read failing for good (see cp_loop_signals). */
int cp_loop_run(struct cp_loop *l);
/* One iteration: wait up to timeout_ms (-1: until something happens or the
 * next timer), dispatch. Returns the number of callbacks run or -errno
 * (after a fatal error, that error on every call). */
int cp_loop_run_once(struct cp_loop *l, int timeout_ms);
void cp_loop_stop(struct cp_loop *l);
uint64_t cp_loop_now_ns(void);

/* Block these signals in the calling thread and deliver them through a
 * signalfd to fn. Call once. Read errors never stop the delivery quietly:
 * transient ones re-arm, and an error that persists (or cannot get better)
 * is logged and stops the loop, cp_loop_run() returning it, so the caller
 * shuts down instead of running on deaf to SIGTERM. */
int cp_loop_signals(struct cp_loop *l, const int *signos, int n,
		    cp_signal_fn fn, void *arg);

void cp_io_init(struct cp_io *io, struct cp_loop *l, int fd, void *data);
int cp_io_read(struct cp_io *io, cp_read_fn fn);
/* After an accept failed for want of fds or memory (EMFILE, ENFILE,
 * ENOBUFS, ENOMEM: the connection stays in the backlog), re-arming is held
 * back by the loop for 100 ms, so a callback that re-arms at once does not
 * spin; an accept the backend cannot arm for the moment is retried by the
 * loop. The callback still hears every error. */
int cp_io_accept(struct cp_io *io, cp_accept_fn fn);
/* Write all len bytes of buf (kept valid by the caller until fn runs).
 * Sockets only (MSG_NOSIGNAL). -EBUSY if a write is already armed. */
int cp_io_write(struct cp_io *io, const void *buf, size_t len, cp_write_fn fn);
/* Cancel what is armed, close the fd, then call fn (from the loop). */
void cp_io_close(struct cp_io *io, cp_close_fn fn);
static inline bool cp_io_writing(const struct cp_io *io)
{
	return io->on_write != NULL;
}

void cp_timer_init(struct cp_timer *t, struct cp_loop *l, cp_timer_fn fn,
		   void *data);
/* (Re)arm to fire once after ms milliseconds. */
void cp_timer_start(struct cp_timer *t, uint64_t ms);
/* For periodic timers, from the callback: fire ms after the deadline it
 * just fired at, so lateness does not add up period after period; after a
 * stall past that point, ms from now (no burst of catch-up calls). */
void cp_timer_again(struct cp_timer *t, uint64_t ms);
void cp_timer_stop(struct cp_timer *t);
static inline bool cp_timer_armed(const struct cp_timer *t)
{
	return t->heap_idx != (unsigned int)-1;
}

#endif
