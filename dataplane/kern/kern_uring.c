// SPDX-License-Identifier: MIT
/* I/O models "uring", "uring-sqpoll", "uring-multishot" (work in progress). */
#include <stdio.h>

#include "kern.h"

static int uring_init(struct kern_queue *q, char *err, size_t errlen)
{
	snprintf(err, errlen, "port %s: io_model %s not implemented yet",
		 q->kp->p->name, q->kp->m->name);
	return -ENOTSUP;
}

static uint16_t uring_rx(struct dp_port *p, uint16_t qid, struct dp_burst *b)
{
	b->n = 0;
	return 0;
}

static const struct dp_port_ops uring_ops = {
	KERN_COMMON_OPS,
	.rx_burst = uring_rx,
	.tx_burst = kern_tx_nonblock,
};

const struct kern_model kern_model_uring = {
	.name = "uring", .ops = &uring_ops, .queue_init = uring_init,
};
const struct kern_model kern_model_uring_sqpoll = {
	.name = "uring-sqpoll", .ops = &uring_ops, .queue_init = uring_init,
};
const struct kern_model kern_model_uring_multishot = {
	.name = "uring-multishot", .ops = &uring_ops, .queue_init = uring_init,
};
