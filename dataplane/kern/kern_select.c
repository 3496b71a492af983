// SPDX-License-Identifier: MIT
/*
 * I/O model "select": the worker's queues wait together in one select()
 * (fd_set rebuilt each wait, O(highest descriptor) in the kernel), then
 * recv() a burst without blocking. An fd_set holds descriptors below
 * FD_SETSIZE only; FD_SET on a larger one writes past the set, so such a
 * descriptor is refused at open with an error that says so.
 */
#include <stdio.h>
#include <sys/select.h>

#include "kern.h"

static int select_init(struct kern_queue *q, char *err, size_t errlen)
{
	if (q->fd >= FD_SETSIZE) {
		snprintf(err, errlen,
			 "port %s: io_model select cannot watch descriptor %d: it is >= FD_SETSIZE (%d); use poll or epoll for this many descriptors",
			 q->kp->p->name, q->fd, FD_SETSIZE);
		return -EMFILE;
	}
	return kern_set_nonblock(q, err, errlen);
}

static uint16_t select_rx(struct dp_port *p, uint16_t qid, struct dp_burst *b)
{
	return kern_rx_wait_recv(p, qid, b, KERN_WAIT_SELECT);
}

static const struct dp_port_ops select_ops = {
	KERN_COMMON_OPS,
	.rx_burst = select_rx,
	.tx_burst = kern_tx_nonblock,
};

const struct kern_model kern_model_select = {
	.name = "select",
	.ops = &select_ops,
	.wait = KERN_WAIT_SELECT,
	.queue_init = select_init,
};
