/* SPDX-License-Identifier: MIT */
/*
 * A fake dataplane behind struct cp_dp_ops for the control-plane tests: a
 * dp_config in memory (two ports "p0", "p1", two workers), tables replaced
 * whole as the real one does, counters that advance on every read, and a
 * switch that makes the next publish fail (to check nothing is applied).
 */
#ifndef TEST_CP_FAKE_H
#define TEST_CP_FAKE_H

#include <stdbool.h>

#include "cp_dp.h"

struct fake_dp {
	struct dp_config conf;
	struct dp_port ports[2];
	struct dp_worker_stats ws[2];
	int fail_next; /* next publish returns -EINVAL */
	int publishes; /* successful table publishes */
	int sink_resets;
	int reopens; /* successful port backend switches */
	/* As the real dataplane: a sink reset runs at the worker's next
	 * sink burst; sink_idle: no packets reach the sinks. */
	bool sink_lazy, sink_idle;
	bool sink_reset_pending[2];
	int gen_running[2];
};

extern const struct cp_dp_ops fake_dp_ops;

void fake_dp_init(struct fake_dp *f);
void fake_dp_fini(struct fake_dp *f);
/* Fill c with the fake's default model (what config_load returns). */
void fake_dp_default_config(struct dp_config *c, const char *path);

#endif
