// SPDX-License-Identifier: MIT
/*
 * I/O model "blocking": the thread that polls the port sleeps in recv()
 * until a packet arrives, one packet per call, and send() blocks while the
 * socket's send buffer is full. One worker thread per port is the model's
 * premise (a thread blocked on port A does not serve port B), so configs
 * give each blocking port its own worker. SO_RCVTIMEO bounds the sleep so
 * the worker notices its stop flag; a timeout is counted as an EAGAIN.
 */
#include <stdio.h>
#include <string.h>

#include "kern.h"

static int blocking_init(struct kern_queue *q, char *err, size_t errlen)
{
	struct timeval tv = { .tv_usec = KERN_BLOCK_TIMEOUT_MS * 1000 };

	if (setsockopt(q->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		snprintf(err, errlen, "port %s: SO_RCVTIMEO: %s",
			 q->kp->p->name, strerror(errno));
		return -errno;
	}
	return 0;
}

static uint16_t blocking_rx(struct dp_port *p, uint16_t qid,
			    struct dp_burst *b)
{
	struct kern_queue *q = kern_q(p, qid);
	bool eagain;
	uint16_t n;

	b->n = 0;
	if (!p->up)
		return 0;
	kern_sample(q);
	q->st.waits++;
	n = kern_rx_recv_loop(q, b, 1, 0, &eagain);
	q->st.wakeups += n;
	b->n = n;
	b->port = p->id;
	b->queue = qid;
	return n;
}

static uint16_t blocking_tx(struct dp_port *p, uint16_t qid,
			    uint8_t *const *data, const uint16_t *len,
			    const uintptr_t *buf, uint16_t n, bool foreign)
{
	if (!p->up)
		return 0;
	return kern_tx_send_loop(kern_q(p, qid), data, len, buf, n, foreign, 0);
}

static const struct dp_port_ops blocking_ops = {
	KERN_COMMON_OPS,
	.rx_burst = blocking_rx,
	.tx_burst = blocking_tx,
};

const struct kern_model kern_model_blocking = {
	.name = "blocking",
	.ops = &blocking_ops,
	.wait = KERN_WAIT_NONE,
	.queue_init = blocking_init,
};
