// SPDX-License-Identifier: MIT
/*
 * I/O model "busypoll": the socket is O_NONBLOCK and the worker spins:
 * recv(MSG_DONTWAIT) until a burst is full or the kernel says EAGAIN (each
 * EAGAIN is counted: it is the price of spinning on an empty queue), one
 * non-blocking send() per packet. Never sleeps, so it burns its core.
 */
#include "kern.h"

static uint16_t busypoll_rx(struct dp_port *p, uint16_t qid,
			    struct dp_burst *b)
{
	struct kern_queue *q = kern_q(p, qid);
	bool eagain;
	uint16_t n;

	b->n = 0;
	if (!p->up)
		return 0;
	kern_sample(q);
	n = kern_rx_recv_loop(q, b, DP_BURST, MSG_DONTWAIT, &eagain);
	b->n = n;
	b->port = p->id;
	b->queue = qid;
	return n;
}

static const struct dp_port_ops busypoll_ops = {
	KERN_COMMON_OPS,
	.rx_burst = busypoll_rx,
	.tx_burst = kern_tx_nonblock,
};

const struct kern_model kern_model_busypoll = {
	.name = "busypoll",
	.ops = &busypoll_ops,
	.wait = KERN_WAIT_NONE,
	.queue_init = kern_set_nonblock,
};
