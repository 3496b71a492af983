// SPDX-License-Identifier: MIT
/*
 * I/O model "poll": the worker's queues wait together in one poll() (the
 * pollfd array is kept between waits, the kernel still walks all of it each
 * call), then recv() a burst without blocking. Level-triggered: after each
 * burst the queue waits again.
 */
#include "kern.h"

static uint16_t poll_rx(struct dp_port *p, uint16_t qid, struct dp_burst *b)
{
	return kern_rx_wait_recv(p, qid, b, KERN_WAIT_POLL);
}

static const struct dp_port_ops poll_ops = {
	KERN_COMMON_OPS,
	.rx_burst = poll_rx,
	.tx_burst = kern_tx_nonblock,
};

const struct kern_model kern_model_poll = {
	.name = "poll",
	.ops = &poll_ops,
	.wait = KERN_WAIT_POLL,
	.queue_init = kern_set_nonblock,
};
