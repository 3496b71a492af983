// SPDX-License-Identifier: MIT
/*
 * io_uring backend of the event loop.
 *
 * Reads select their buffer from a provided-buffer ring (one group, shared
 * by every connection): the kernel takes a buffer only when bytes arrive, so
 * 10 000 idle connections with a read armed hold no buffer at all. The
 * buffer goes back to the ring as soon as the read callback returns. A read
 * that finds the ring empty (-ENOBUFS) is re-armed after the completions of
 * this pass gave their buffers back.
 *
 * user_data = pointer to the cp_io | operation (cp_io is 8-aligned);
 * 0 marks completions nobody waits for (cancellations).
 *
 * Probed at start-up: io_uring_setup (EPERM/ENOSYS under seccomp or the
 * io_uring_disabled sysctl) and the buffer ring registration (kernel 5.19);
 * any failure makes cp_loop_new() fall back to epoll, logged.
 */
#include <errno.h>
#include <liburing.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "loop_int.h"

#define UR_ENTRIES    1024
#define UR_CQ_ENTRIES 16384
#define UR_NBUF	      1024 /* power of two; 2 MiB in all, not per client */
#define UR_BUFSZ      2048
#define UR_BGID	      0

enum { OP_READ = 1, OP_WRITE, OP_ACCEPT };

struct ur {
	struct io_uring ring;
	struct io_uring_buf_ring *br;
	uint8_t *bufs;
	/* Reads waiting for a buffer, first come first served: while any
	 * waits, new reads queue behind them, so clients that just got an
	 * answer cannot take every buffer again (starving the rest). */
	struct cp_io *retry, **retry_tail;
};

static void ur_buf_put(struct ur *ur, unsigned int bid)
{
	io_uring_buf_ring_add(ur->br, ur->bufs + (size_t)bid * UR_BUFSZ,
			      UR_BUFSZ, (unsigned short)bid,
			      io_uring_buf_ring_mask(UR_NBUF), 0);
	io_uring_buf_ring_advance(ur->br, 1);
}

static int ur_init(struct cp_loop *l)
{
	struct io_uring_params p = {0};
	struct io_uring_buf_reg reg = {0};
	struct ur *ur;
	int ret;

	ur = calloc(1, sizeof(*ur));
	if (!ur)
		return -ENOMEM;
	/* Completion work runs when the loop waits, not by interrupting it
	 * (DEFER_TASKRUN, 6.1; else COOP_TASKRUN, 5.19; else the default):
	 * probed in that order. With 100 busy clients the default's
	 * task-work interruptions halved the requests served per second. */
	{
		static const unsigned int tries[] = {
			IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
			IORING_SETUP_COOP_TASKRUN,
			0,
		};

		for (unsigned int i = 0; i < 3; i++) {
			memset(&p, 0, sizeof(p));
			p.flags = IORING_SETUP_CQSIZE | tries[i];
			p.cq_entries = UR_CQ_ENTRIES;
			ret = io_uring_queue_init_params(UR_ENTRIES, &ur->ring,
							 &p);
			if (ret != -EINVAL)
				break;
		}
	}
	if (ret < 0)
		goto free_ur;
	ur->br = mmap(NULL, UR_NBUF * sizeof(struct io_uring_buf),
		      PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1,
		      0);
	if (ur->br == MAP_FAILED) {
		ret = -errno;
		goto exit_ring;
	}
	ur->bufs = malloc((size_t)UR_NBUF * UR_BUFSZ);
	if (!ur->bufs) {
		ret = -ENOMEM;
		goto unmap;
	}
	io_uring_buf_ring_init(ur->br);
	reg.ring_addr = (unsigned long)ur->br;
	reg.ring_entries = UR_NBUF;
	reg.bgid = UR_BGID;
	ret = io_uring_register_buf_ring(&ur->ring, &reg, 0);
	if (ret < 0)
		goto free_bufs;
	for (unsigned int i = 0; i < UR_NBUF; i++)
		ur_buf_put(ur, i);
	ur->retry_tail = &ur->retry;
	l->priv = ur;
	return 0;

free_bufs:
	free(ur->bufs);
unmap:
	munmap(ur->br, UR_NBUF * sizeof(struct io_uring_buf));
exit_ring:
	io_uring_queue_exit(&ur->ring);
free_ur:
	free(ur);
	return ret;
}

static void ur_fini(struct cp_loop *l)
{
	struct ur *ur = l->priv;

	io_uring_queue_exit(&ur->ring);
	munmap(ur->br, UR_NBUF * sizeof(struct io_uring_buf));
	free(ur->bufs);
	free(ur);
}

static struct io_uring_sqe *ur_sqe(struct ur *ur)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&ur->ring);

	if (!sqe) {
		io_uring_submit(&ur->ring);
		sqe = io_uring_get_sqe(&ur->ring);
	}
	return sqe;
}

static uint64_t ud(struct cp_io *io, int op)
{
	return (uint64_t)(uintptr_t)io | (uint64_t)op;
}

static void ur_retry_add(struct ur *ur, struct cp_io *io)
{
	io->flags |= CP_IO_QUEUED;
	io->next = NULL;
	*ur->retry_tail = io;
	ur->retry_tail = &io->next;
}

static int ur_submit_read(struct cp_io *io)
{
	struct ur *ur = io->loop->priv;
	struct io_uring_sqe *sqe = ur_sqe(ur);

	if (!sqe)
		return -EAGAIN;
	io_uring_prep_read(sqe, io->fd, NULL, UR_BUFSZ, (uint64_t)-1);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = UR_BGID;
	io_uring_sqe_set_data64(sqe, ud(io, OP_READ));
	io->pending++;
	return 0;
}

static int ur_read(struct cp_io *io)
{
	struct ur *ur = io->loop->priv;

	/* Behind the reads waiting for a buffer; and with no SQE even after
	 * a submit, waiting like them rather than failing (the next wait
	 * submits again): arming a read never fails for a transient lack. */
	if (ur->retry || ur_submit_read(io) < 0)
		ur_retry_add(ur, io);
	return 0;
}

static int ur_accept(struct cp_io *io)
{
	struct ur *ur = io->loop->priv;
	struct io_uring_sqe *sqe = ur_sqe(ur);

	if (!sqe)
		return -EAGAIN;
	io_uring_prep_accept(sqe, io->fd, NULL, NULL,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
	io_uring_sqe_set_data64(sqe, ud(io, OP_ACCEPT));
	io->pending++;
	return 0;
}

static int ur_write(struct cp_io *io)
{
	struct ur *ur = io->loop->priv;
	struct io_uring_sqe *sqe = ur_sqe(ur);

	if (!sqe)
		return -EAGAIN;
	io_uring_prep_send(sqe, io->fd, io->wbuf + io->woff,
			   io->wlen - io->woff, MSG_NOSIGNAL);
	io_uring_sqe_set_data64(sqe, ud(io, OP_WRITE));
	io->pending++;
	return 0;
}

static void ur_cancel(struct ur *ur, struct cp_io *io, int op)
{
	struct io_uring_sqe *sqe = ur_sqe(ur);

	if (!sqe) {
		/* No cancel: the close waits for the operation, and a read on
		 * an idle socket would never end (io_uring holds the file, so
		 * closing the fd does not end it). Shutting the socket down
		 * does: the read sees EOF, the write EPIPE, accept EINVAL. */
		shutdown(io->fd, SHUT_RDWR);
		return;
	}
	io_uring_prep_cancel64(sqe, ud(io, op), 0);
	io_uring_sqe_set_data64(sqe, 0);
}

static void ur_finish_close(struct cp_io *io)
{
	close(io->fd);
	cp_loop__closed(io);
}

static void ur_close(struct cp_io *io)
{
	struct ur *ur = io->loop->priv;

	if (io->flags & CP_IO_READ)
		ur_cancel(ur, io, OP_READ);
	if (io->flags & CP_IO_WRITE)
		ur_cancel(ur, io, OP_WRITE);
	if (io->flags & CP_IO_ACCEPT)
		ur_cancel(ur, io, OP_ACCEPT);
	/* A read waiting for a buffer is on the retry list, not in flight:
	 * ur_wait drops it there. */
	if (!io->pending && !(io->flags & CP_IO_QUEUED))
		ur_finish_close(io);
}

static void ur_done(struct cp_io *io)
{
	if (--io->pending == 0 && (io->flags & CP_IO_CLOSING) &&
	    !(io->flags & CP_IO_QUEUED))
		ur_finish_close(io);
}

static int ur_complete(struct ur *ur, uint64_t data, int res,
		       unsigned int cflags)
{
	struct cp_io *io = (struct cp_io *)(uintptr_t)(data & ~7ull);
	int op = (int)(data & 7);
	int bid = -1;

	if (!io)
		return 0;
	if (cflags & IORING_CQE_F_BUFFER)
		bid = (int)(cflags >> IORING_CQE_BUFFER_SHIFT);
	switch (op) {
	case OP_READ: {
		cp_read_fn fn = io->on_read;

		if (io->flags & CP_IO_CLOSING)
			goto drop;
		if (res == -ENOBUFS) {
			/* Re-armed once this pass gave buffers back. */
			ur_retry_add(ur, io);
			ur_done(io);
			return 0;
		}
		io->flags &= ~CP_IO_READ;
		io->on_read = NULL;
		io->pending--;
		fn(io, bid >= 0 ? ur->bufs + (size_t)bid * UR_BUFSZ : NULL,
		   res);
		if (bid >= 0)
			ur_buf_put(ur, (unsigned int)bid);
		/* A close inside fn was finished or is waiting for the
		 * other operations by ur_close itself. */
		return 1;
	}
	case OP_ACCEPT: {
		cp_accept_fn fn = io->on_accept;

		if (io->flags & CP_IO_CLOSING) {
			if (res >= 0)
				close(res);
			goto drop;
		}
		io->flags &= ~CP_IO_ACCEPT;
		io->on_accept = NULL;
		io->pending--;
		if (res < 0)
			cp_loop__accept_result(io, res);
		fn(io, res);
		return 1;
	}
	case OP_WRITE: {
		cp_write_fn fn = io->on_write;

		if (io->flags & CP_IO_CLOSING)
			goto drop;
		if (res > 0 && io->woff + (uint32_t)res < io->wlen) {
			io->woff += (uint32_t)res;
			io->pending--;
			if (ur_write(io) == 0)
				return 0;
			res = -EAGAIN;
			io->pending++;
		}
		if (res == 0)
			res = -EPIPE;
		io->flags &= ~CP_IO_WRITE;
		io->on_write = NULL;
		io->wbuf = NULL;
		io->pending--;
		fn(io, res > 0 ? 0 : res);
		return 1;
	}
	}
	return 0;
drop:
	if (bid >= 0)
		ur_buf_put(ur, (unsigned int)bid);
	ur_done(io);
	return 0;
}

static void ur_rearm_retries(struct ur *ur)
{
	struct cp_io *list = ur->retry;

	ur->retry = NULL;
	ur->retry_tail = &ur->retry;
	while (list) {
		struct cp_io *io = list;

		list = io->next;
		io->next = NULL;
		io->flags &= ~CP_IO_QUEUED;
		if (io->flags & CP_IO_CLOSING) {
			io->flags &= ~CP_IO_READ;
			if (!io->pending)
				ur_finish_close(io);
			continue;
		}
		if (ur_submit_read(io) < 0)
			ur_retry_add(ur, io); /* no SQE even after a submit */
	}
}

static int ur_wait(struct cp_loop *l, int timeout_ms)
{
	struct ur *ur = l->priv;
	struct io_uring_cqe *cqe;
	struct __kernel_timespec ts;
	int ret, ran = 0;

	if (ur->retry) {
		ur_rearm_retries(ur);
		timeout_ms = 0;
	}
	if (timeout_ms == 0) {
		/* Also runs deferred completion work. */
		ret = io_uring_submit_and_get_events(&ur->ring);
		if (ret < 0 && ret != -EINTR && ret != -EBUSY && ret != -EAGAIN)
			return ret;
	} else {
		ts.tv_sec = timeout_ms / 1000;
		ts.tv_nsec = (long long)(timeout_ms % 1000) * 1000000;
		ret = io_uring_submit_and_wait_timeout(
			&ur->ring, &cqe, 1, timeout_ms < 0 ? NULL : &ts, NULL);
		/* EAGAIN / EBUSY: the kernel is short of memory for new
		 * requests or the completion queue overflowed; reaping
		 * completions is what helps, not stopping. */
		if (ret < 0 && ret != -ETIME && ret != -EINTR &&
		    ret != -EAGAIN && ret != -EBUSY)
			return ret;
	}
	/* One completion at a time: callbacks may arm (and submit) more. */
	for (unsigned int i = 0; i < 4 * UR_ENTRIES; i++) {
		uint64_t data;
		unsigned int cflags;
		int res;

		if (io_uring_peek_cqe(&ur->ring, &cqe) != 0)
			break;
		data = cqe->user_data;
		res = cqe->res;
		cflags = cqe->flags;
		io_uring_cqe_seen(&ur->ring, cqe);
		ran += ur_complete(ur, data, res, cflags);
	}
	return ran;
}

const struct cp_loop_ops cp_loop_uring_ops = {
	.name = "io_uring",
	.init = ur_init,
	.fini = ur_fini,
	.read = ur_read,
	.accept = ur_accept,
	.write = ur_write,
	.close = ur_close,
	.wait = ur_wait,
};
