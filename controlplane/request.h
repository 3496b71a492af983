/* SPDX-License-Identifier: MIT */
/*
 * One control-socket request line -> its response, without any I/O: JSON
 * parse, request-member checks, the TCP token, verb lookup, argument checks
 * and dispatch (cmd.h). The server (server.c) frames lines and queues the
 * responses; the request fuzzer (tests/fuzz/fuzz_request.c) drives this
 * directly against the fake dataplane.
 */
#ifndef CP_REQUEST_H
#define CP_REQUEST_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cmd.h"

struct cp_request_auth {
	const char *token; /* NULL: no token required (unix socket) */
	bool authed; /* in/out: the token was given once */
};

struct cp_request_out {
	json_t *id; /* the request's id (new reference) or NULL */
	bool ok;
	/* -1, or a stats watch that succeeded: its interval (0: stop) */
	int64_t watch_ms;
};

/* Run one line (its newline excluded; trailing CR and blanks ignored).
 * Returns the response object {"id","ok","result"|"error"} (a new
 * reference), or NULL for a blank line, which gets no answer. On an error
 * response nothing was applied. */
json_t *cp_request_run(struct cp_cmds *cmds, const char *buf, size_t len,
		       struct cp_request_auth *auth, struct cp_request_out *out);

/* {"id": id|null, "ok": false, "error": e} */
json_t *cp_request_error(json_t *id, const struct cp_error *e);

#endif
