/* SPDX-License-Identifier: MIT */
/*
 * Prometheus metrics: the text exposition format (0.0.4) over HTTP on a
 * loopback address, served by the control plane's event loop. Requests are
 * parsed with http_parser (Debian's libhttp-parser); GET /metrics renders
 * the per-worker counters (raw, never reset by `stats clear`, so they stay
 * monotonic), per-port counters and state, drops by reason (names from
 * lr_reasons.h), the sink's latency histogram, and the control socket's
 * own counters.
 */
#ifndef CP_METRICS_H
#define CP_METRICS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cmd.h"
#include "loop.h"
#include "server.h"

struct cp_metrics;

/* Render everything into f. srv may be NULL. */
int cp_metrics_render(struct cp_cmds *cmds, const struct cp_server *srv,
		      const char *loop_name, FILE *f);

/* Listen on addr:port (addr must be loopback unless allow_remote); port 0
 * picks one (see cp_metrics_port). */
int cp_metrics_new(struct cp_metrics **out, struct cp_loop *l,
		   struct cp_cmds *cmds, const struct cp_server *srv,
		   const char *addr, uint16_t port, bool allow_remote,
		   char *err, size_t errlen);
uint16_t cp_metrics_port(const struct cp_metrics *m);
void cp_metrics_free(struct cp_metrics *m);

#endif
