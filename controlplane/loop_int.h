/* SPDX-License-Identifier: MIT */
/*
 * Private to loop.c and its backends: the loop object and the small function
 * set every backend file implements.
 */
#ifndef CP_LOOP_INT_H
#define CP_LOOP_INT_H

#include "loop.h"

/* struct cp_io.flags */
#define CP_IO_READ    0x01 /* a read is armed */
#define CP_IO_WRITE   0x02 /* a write is armed */
#define CP_IO_ACCEPT  0x04 /* an accept is armed */
#define CP_IO_CLOSING 0x08 /* cp_io_close() called */
#define CP_IO_REG     0x10 /* epoll: in the interest list */
#define CP_IO_RDY_IN  0x20 /* epoll: readable, not yet drained */
#define CP_IO_RDY_OUT 0x40 /* epoll: writable */
#define CP_IO_QUEUED  0x80 /* epoll: on the ready list */
#define CP_IO_NOPOLL  0x100 /* epoll: fd cannot be polled (regular file) */
#define CP_IO_DEFER   0x200 /* accept armed, held back by the loop (backoff) */

struct cp_loop_ops {
	const char *name;
	int (*init)(struct cp_loop *l);
	void (*fini)(struct cp_loop *l);
	int (*read)(struct cp_io *io);
	int (*accept)(struct cp_io *io);
	int (*write)(struct cp_io *io);
	/* Cancel what is armed; when nothing is in flight any more, close
	 * the fd and hand the io to cp_loop__closed(). */
	void (*close)(struct cp_io *io);
	/* Wait up to timeout_ms (-1: forever) and run the callbacks that are
	 * due. Returns how many ran, or -errno. */
	int (*wait)(struct cp_loop *l, int timeout_ms);
};

struct cp_loop {
	const struct cp_loop_ops *ops;
	enum cp_loop_backend backend;
	void *priv; /* backend state */
	bool stop;
	/* timers: binary min-heap on deadline_ns */
	struct cp_timer **heap;
	unsigned int heap_n, heap_cap;
	/* signals */
	struct cp_io sig_io;
	cp_signal_fn sig_fn;
	void *sig_arg;
	struct cp_timer sig_retry; /* re-arms the read after an error */
	unsigned int sig_errs; /* consecutive read errors */
	unsigned int sig_partlen; /* bytes of a record split across reads */
	uint8_t sig_part[128]; /* sizeof(struct signalfd_siginfo) */
	/* accepts held back after a resource error (EMFILE ...) */
	struct cp_io **acc_defer;
	unsigned int acc_defer_n, acc_defer_cap;
	uint64_t acc_pause_until_ns;
	struct cp_timer acc_timer;
	/* a fatal error that stopped the loop: cp_loop_run returns it */
	int err;
	/* ios whose close callback is due */
	struct cp_io *closed;
};

extern const struct cp_loop_ops cp_loop_epoll_ops;
extern const struct cp_loop_ops cp_loop_uring_ops;

/* The backend is done with io: run its close callback from the loop. */
void cp_loop__closed(struct cp_io *io);
/* Every accept result goes through here before the user's callback: a
 * resource error (EMFILE, ENFILE, ENOBUFS, ENOMEM) leaves the connection in
 * the backlog, so an accept re-armed at once would fail again at once (a
 * spin on both backends); the loop holds re-arms back for a while. */
void cp_loop__accept_result(struct cp_io *io, int fd);

/* Deliver signals read from fd (signalfd_siginfo records) to fn: the part
 * of cp_loop_signals() after the signalfd exists. Tests hand it a socket
 * they write records to, to provoke read errors and split records for
 * real; the read path is the one signals take. */
int cp_loop__signal_fd(struct cp_loop *l, int fd, cp_signal_fn fn, void *arg);
/* Consecutive signal read errors after which the loop stops with the
 * error (with CP_LOOP_SIG_RETRY_MS between tries). */
#define CP_LOOP_SIG_MAX_ERRS 32
#define CP_LOOP_SIG_RETRY_MS 10
/* How long accepts are held back after a resource error. */
#define CP_LOOP_ACCEPT_PAUSE_MS 100

#endif
