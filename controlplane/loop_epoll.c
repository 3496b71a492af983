// SPDX-License-Identifier: MIT
/*
 * epoll backend of the event loop.
 *
 * Every fd is added once, edge triggered, for both directions; the loop
 * remembers what the kernel said is ready (RDY_IN / RDY_OUT) and runs an
 * armed operation when its direction is ready, until the syscall answers
 * EAGAIN. So arming a read costs no syscall, and a connection costs one
 * epoll_ctl in its life. Reads land in one loop-owned scratch buffer: an
 * idle connection holds none.
 *
 * Ready ios wait on a singly linked ready list; each wait pass handles the
 * list as it was when the pass started, so a busy connection cannot starve
 * the others.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "loop_int.h"

#define EP_EVENTS  256
#define EP_SCRATCH 65536

struct ep {
	int epfd;
	struct cp_io *ready, **ready_tail;
	struct epoll_event ev[EP_EVENTS];
	uint8_t scratch[EP_SCRATCH];
};

static int ep_init(struct cp_loop *l)
{
	struct ep *ep = calloc(1, sizeof(*ep));

	if (!ep)
		return -ENOMEM;
	ep->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (ep->epfd < 0) {
		int ret = -errno;

		free(ep);
		return ret;
	}
	ep->ready_tail = &ep->ready;
	l->priv = ep;
	return 0;
}

static void ep_fini(struct cp_loop *l)
{
	struct ep *ep = l->priv;

	close(ep->epfd);
	free(ep);
}

static bool ep_due(const struct cp_io *io)
{
	unsigned int f = io->flags;

	if (f & CP_IO_CLOSING)
		return true;
	if ((f & CP_IO_RDY_IN) && (f & (CP_IO_READ | CP_IO_ACCEPT)))
		return true;
	return (f & CP_IO_RDY_OUT) && (f & CP_IO_WRITE);
}

static void ep_enqueue(struct cp_io *io)
{
	struct ep *ep = io->loop->priv;

	if ((io->flags & CP_IO_QUEUED) || !ep_due(io))
		return;
	io->flags |= CP_IO_QUEUED;
	io->next = NULL;
	*ep->ready_tail = io;
	ep->ready_tail = &io->next;
}

static int ep_register(struct cp_io *io)
{
	struct ep *ep = io->loop->priv;
	struct epoll_event ev = {
		.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
		.data.ptr = io,
	};

	if (io->flags & (CP_IO_REG | CP_IO_NOPOLL))
		return 0;
	if (epoll_ctl(ep->epfd, EPOLL_CTL_ADD, io->fd, &ev) < 0) {
		if (errno != EPERM)
			return -errno;
		/* Regular files are always ready. */
		io->flags |= CP_IO_NOPOLL | CP_IO_RDY_IN | CP_IO_RDY_OUT;
		return 0;
	}
	io->flags |= CP_IO_REG;
	return 0;
}

static int ep_arm(struct cp_io *io)
{
	int ret = ep_register(io);

	if (ret == 0)
		ep_enqueue(io);
	return ret;
}

static void ep_close(struct cp_io *io)
{
	/* close() removes the fd from the interest list. */
	close(io->fd);
	io->flags &= ~(CP_IO_READ | CP_IO_WRITE | CP_IO_ACCEPT | CP_IO_REG);
	/* A queued io is handed over when the ready list reaches it. */
	if (!(io->flags & CP_IO_QUEUED))
		cp_loop__closed(io);
}

static void ep_do_read(struct ep *ep, struct cp_io *io)
{
	cp_read_fn fn = io->on_read;
	ssize_t n = read(io->fd, ep->scratch, sizeof(ep->scratch));

	if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
		io->flags &= ~CP_IO_RDY_IN;
		return;
	}
	if (n < 0)
		n = -errno;
	io->flags &= ~CP_IO_READ;
	io->on_read = NULL;
	fn(io, ep->scratch, n);
}

static void ep_do_accept(struct cp_io *io)
{
	cp_accept_fn fn = io->on_accept;
	int fd = accept4(io->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0 && (errno == EAGAIN || errno == EINTR)) {
		io->flags &= ~CP_IO_RDY_IN;
		return;
	}
	if (fd < 0) {
		fd = -errno;
		cp_loop__accept_result(io, fd);
	}
	io->flags &= ~CP_IO_ACCEPT;
	io->on_accept = NULL;
	fn(io, fd);
}

static void ep_do_write(struct cp_io *io)
{
	cp_write_fn fn = io->on_write;
	int err = 0;

	while (io->woff < io->wlen) {
		ssize_t n =
			send(io->fd, io->wbuf + io->woff, io->wlen - io->woff,
			     MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			io->flags &= ~CP_IO_RDY_OUT;
			return;
		}
		if (n < 0) {
			err = -errno;
			break;
		}
		io->woff += (uint32_t)n;
	}
	io->flags &= ~CP_IO_WRITE;
	io->on_write = NULL;
	io->wbuf = NULL;
	fn(io, err);
}

/* Run what is due on one io; it may be re-queued by its own callbacks. */
static int ep_dispatch(struct ep *ep, struct cp_io *io)
{
	int ran = 0;

	if (io->flags & CP_IO_CLOSING) {
		cp_loop__closed(io);
		return 0;
	}
	if ((io->flags & CP_IO_WRITE) && (io->flags & CP_IO_RDY_OUT)) {
		ep_do_write(io);
		ran++;
	}
	if (io->flags & CP_IO_CLOSING)
		goto out;
	if ((io->flags & CP_IO_READ) && (io->flags & CP_IO_RDY_IN)) {
		ep_do_read(ep, io);
		ran++;
	} else if ((io->flags & CP_IO_ACCEPT) && (io->flags & CP_IO_RDY_IN)) {
		ep_do_accept(io);
		ran++;
	}
out:
	/* Closed inside a callback: ep_close saw it unqueued. */
	return ran;
}

static int ep_wait(struct cp_loop *l, int timeout_ms)
{
	struct ep *ep = l->priv;
	struct cp_io *list;
	int n, ran = 0;

	n = epoll_wait(ep->epfd, ep->ev, EP_EVENTS, ep->ready ? 0 : timeout_ms);
	if (n < 0)
		return -errno;
	for (int i = 0; i < n; i++) {
		struct cp_io *io = ep->ev[i].data.ptr;
		uint32_t e = ep->ev[i].events;

		if (io->flags & CP_IO_CLOSING)
			continue;
		if (e & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
			io->flags |= CP_IO_RDY_IN;
		if (e & (EPOLLOUT | EPOLLHUP | EPOLLERR))
			io->flags |= CP_IO_RDY_OUT;
		ep_enqueue(io);
	}
	/* Take the list as it is now; what callbacks queue waits a pass. */
	list = ep->ready;
	ep->ready = NULL;
	ep->ready_tail = &ep->ready;
	while (list) {
		struct cp_io *io = list;

		list = io->next;
		io->next = NULL;
		io->flags &= ~CP_IO_QUEUED;
		ran += ep_dispatch(ep, io);
		if (!(io->flags & CP_IO_CLOSING))
			ep_enqueue(io);
	}
	return ran;
}

const struct cp_loop_ops cp_loop_epoll_ops = {
	.name = "epoll",
	.init = ep_init,
	.fini = ep_fini,
	.read = ep_arm,
	.accept = ep_arm,
	.write = ep_arm,
	.close = ep_close,
	.wait = ep_wait,
};
