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
	/* ios whose close callback is due */
	struct cp_io *closed;
};

extern const struct cp_loop_ops cp_loop_epoll_ops;
extern const struct cp_loop_ops cp_loop_uring_ops;

/* The backend is done with io: run its close callback from the loop. */
void cp_loop__closed(struct cp_io *io);

#endif
