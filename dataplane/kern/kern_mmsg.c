// SPDX-License-Identifier: MIT
/*
 * I/O model "mmsg": one recvmmsg() fills a whole burst and one sendmmsg()
 * sends one, so a syscall moves up to DP_BURST packets. When the queue is
 * empty (recvmmsg returned fewer than asked, or EAGAIN) the worker's queues
 * wait together in poll().
 */
#include "kern.h"

static uint16_t mmsg_rx(struct dp_port *p, uint16_t qid, struct dp_burst *b)
{
	struct kern_queue *q = kern_q(p, qid);
	bool eagain;
	uint16_t n;

	b->n = 0;
	if (!p->up)
		return 0;
	kern_sample(q);
	if (!kern_wait_ready(q, KERN_WAIT_POLL))
		return 0;
	n = kern_rx_mmsg(q, b, &eagain);
	if (eagain || !p->up)
		q->ready = false;
	b->n = n;
	b->port = p->id;
	b->queue = qid;
	return n;
}

static uint16_t mmsg_tx(struct dp_port *p, uint16_t qid, uint8_t *const *data,
			const uint16_t *len, const uintptr_t *buf, uint16_t n,
			bool foreign)
{
	if (!p->up)
		return 0;
	return kern_tx_mmsg(kern_q(p, qid), data, len, buf, n, foreign);
}

static const struct dp_port_ops mmsg_ops = {
	KERN_COMMON_OPS,
	.rx_burst = mmsg_rx,
	.tx_burst = mmsg_tx,
};

const struct kern_model kern_model_mmsg = {
	.name = "mmsg",
	.ops = &mmsg_ops,
	.wait = KERN_WAIT_POLL,
	.queue_init = kern_set_nonblock,
};
