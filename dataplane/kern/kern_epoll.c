// SPDX-License-Identifier: MIT
/*
 * I/O models "epoll-lt" and "epoll-et": the worker's queues are registered
 * once in a per-thread epoll set; epoll_wait() returns only the ready ones.
 *
 * Level-triggered: after each burst the queue waits again and epoll reports
 * it again while data is left. Edge-triggered: epoll reports a queue once
 * per arrival edge, so a queue holding more than one burst must be drained
 * to EAGAIN before it waits again, or the packets left behind stall until
 * the next arrival. kern_rx_wait_recv keeps the queue ready until recv says
 * EAGAIN (a burst larger than one read carries over to the next rx_burst
 * without a wait); tests/integration/kern_et_burst proves there is no stall.
 */
#include "kern.h"

static uint16_t epoll_lt_rx(struct dp_port *p, uint16_t qid,
			    struct dp_burst *b)
{
	return kern_rx_wait_recv(p, qid, b, KERN_WAIT_EPOLL_LT);
}

static uint16_t epoll_et_rx(struct dp_port *p, uint16_t qid,
			    struct dp_burst *b)
{
	return kern_rx_wait_recv(p, qid, b, KERN_WAIT_EPOLL_ET);
}

static const struct dp_port_ops epoll_lt_ops = {
	KERN_COMMON_OPS,
	.rx_burst = epoll_lt_rx,
	.tx_burst = kern_tx_nonblock,
};

static const struct dp_port_ops epoll_et_ops = {
	KERN_COMMON_OPS,
	.rx_burst = epoll_et_rx,
	.tx_burst = kern_tx_nonblock,
};

const struct kern_model kern_model_epoll_lt = {
	.name = "epoll-lt",
	.ops = &epoll_lt_ops,
	.wait = KERN_WAIT_EPOLL_LT,
	.queue_init = kern_set_nonblock,
};

const struct kern_model kern_model_epoll_et = {
	.name = "epoll-et",
	.ops = &epoll_et_ops,
	.wait = KERN_WAIT_EPOLL_ET,
	.queue_init = kern_set_nonblock,
};
