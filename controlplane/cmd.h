/* SPDX-License-Identifier: MIT */
/*
 * The command layer: runs one verb of cmd_table.h against the dataplane
 * (through struct cp_dp_ops, so tests plug in a fake) and answers with a
 * JSON result, or an error with a code, the argument it is about and a
 * message. A verb either applies completely or changes nothing: tables are
 * copied, changed and published whole.
 */
#ifndef CP_CMD_H
#define CP_CMD_H

#include <jansson.h>
#include <stdbool.h>

#include "cmd_table.h"
#include "cp_dp.h"

/* Error codes (the "code" member of an error response). */
#define CP_E_BAD_REQUEST     "bad_request" /* not JSON / not an object */
#define CP_E_UNKNOWN_COMMAND "unknown_command"
#define CP_E_INVALID	     "invalid_argument" /* missing, unknown, malformed */
#define CP_E_NOT_FOUND	     "not_found" /* port, route, rule ... */
#define CP_E_TOO_LARGE	     "too_large" /* request over the limit */
#define CP_E_FAILED	     "failed" /* the dataplane refused */
#define CP_E_UNAUTHORIZED    "unauthorized" /* TCP without the token */
#define CP_E_TOO_MANY	     "too_many_clients"
#define CP_E_INTERNAL	     "internal"

struct cp_error {
	const char *code;
	char field[32];
	char msg[512];
};

void cp_error_set(struct cp_error *e, const char *code, const char *field,
		  const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* {"code": ..., "field": ..., "message": ...} */
json_t *cp_error_json(const struct cp_error *e);

struct cp_cmds;

/* Daemon facts `status` adds (server, loop, uptime); may return NULL. */
typedef json_t *(*cp_status_fn)(void *arg);

int cp_cmds_new(struct cp_cmds **out, const struct cp_dp_ops *ops, void *dp);
void cp_cmds_free(struct cp_cmds *c);
void cp_cmds_set_status(struct cp_cmds *c, cp_status_fn fn, void *arg);
/* Where `config save` writes by default (else the loaded file's path). */
void cp_cmds_set_save_path(struct cp_cmds *c, const char *path);

/* Check args (an object, or NULL for none) against the verb's spec:
 * unknown names, missing required ones, malformed values. 0 or -EINVAL. */
int cp_cmd_check_args(enum cp_cmd_id id, json_t *args, struct cp_error *e);
/* Run a verb (after cp_cmd_check_args). Returns a new reference to the
 * result, or NULL with e filled. STATS_WATCH is the server's: here it only
 * validates and answers {"interval": ms}. */
json_t *cp_cmds_exec(struct cp_cmds *c, enum cp_cmd_id id, json_t *args,
		     struct cp_error *e);

/* Helpers shared with metrics and the server. */
const struct cp_dp_ops *cp_cmds_ops(struct cp_cmds *c);
void *cp_cmds_dp(struct cp_cmds *c);

#endif
