// SPDX-License-Identifier: MIT
/*
 * A request line to its response (request.h): no I/O, no server state but
 * the TCP client's authenticated flag, so the fuzzer runs it as is.
 */
#include <string.h>

#include "request.h"

static bool token_ok(const char *want, const char *got)
{
	size_t lw = strlen(want), lg = strlen(got);
	unsigned char d = lw != lg;

	/* Constant time in the token's length. */
	for (size_t i = 0; i < lw; i++)
		d |= (unsigned char)(want[i] ^ (i < lg ? got[i] : 0));
	return d == 0;
}

json_t *cp_request_error(json_t *id, const struct cp_error *e)
{
	json_t *j = json_object();

	json_object_set(j, "id", id ? id : json_null());
	json_object_set_new(j, "ok", json_false());
	json_object_set_new(j, "error", cp_error_json(e));
	return j;
}

static json_t *result_json(json_t *id, json_t *result)
{
	json_t *j = json_object();

	json_object_set(j, "id", id ? id : json_null());
	json_object_set_new(j, "ok", json_true());
	json_object_set_new(j, "result", result);
	return j;
}

json_t *cp_request_run(struct cp_cmds *cmds, const char *buf, size_t len,
		       struct cp_request_auth *auth, struct cp_request_out *out)
{
	struct cp_error e = {0};
	json_error_t jerr;
	json_t *req, *id = NULL, *cmd, *args, *r, *resp;
	const char *key;
	json_t *v;
	int verb;

	out->id = NULL;
	out->ok = false;
	out->watch_ms = -1;
	while (len && (buf[len - 1] == '\r' || buf[len - 1] == ' ' ||
		       buf[len - 1] == '\t'))
		len--;
	if (!len)
		return NULL;
	/* A key given twice ({"cmd":"status","cmd":"route del"}) is an
	 * error, not "the last one wins": what a log or a proxy shows must
	 * be what runs. */
	req = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!req) {
		cp_error_set(&e, CP_E_BAD_REQUEST, "",
			     "malformed JSON at column %d: %s", jerr.column,
			     jerr.text);
		return cp_request_error(NULL, &e);
	}
	if (!json_is_object(req)) {
		cp_error_set(&e, CP_E_BAD_REQUEST, "",
			     "a request is a JSON object");
		goto error;
	}
	id = json_object_get(req, "id");
	json_object_foreach(req, key, v)
	{
		if (strcmp(key, "id") && strcmp(key, "cmd") &&
		    strcmp(key, "args") && strcmp(key, "token")) {
			cp_error_set(&e, CP_E_BAD_REQUEST, key,
				     "unknown request member '%.64s' (id, "
				     "cmd, args, token)",
				     key);
			goto error;
		}
	}
	if (auth && auth->token && !auth->authed) {
		const char *tok =
			json_string_value(json_object_get(req, "token"));

		if (!tok || !token_ok(auth->token, tok)) {
			cp_error_set(&e, CP_E_UNAUTHORIZED, "token",
				     "TCP clients must send the token");
			goto error;
		}
		auth->authed = true;
	}
	cmd = json_object_get(req, "cmd");
	if (!json_is_string(cmd)) {
		cp_error_set(&e, CP_E_BAD_REQUEST, "cmd",
			     "missing 'cmd' (a verb, see \"help\")");
		goto error;
	}
	verb = cp_cmd_lookup(json_string_value(cmd));
	if (verb < 0) {
		cp_error_set(&e, CP_E_UNKNOWN_COMMAND, "cmd",
			     "unknown command '%.64s' (see \"help\")",
			     json_string_value(cmd));
		goto error;
	}
	args = json_object_get(req, "args");
	if (json_is_null(args))
		args = NULL;
	if (cp_cmd_check_args((enum cp_cmd_id)verb, args, &e))
		goto error;
	r = cp_cmds_exec(cmds, (enum cp_cmd_id)verb, args, &e);
	if (!r)
		goto error;
	if (verb == CP_CMD_STATS_WATCH)
		out->watch_ms =
			json_integer_value(json_object_get(r, "interval"));
	resp = result_json(id, r);
	out->ok = true;
	out->id = json_incref(id);
	json_decref(req);
	return resp;
error:
	resp = cp_request_error(id, &e);
	out->id = json_incref(id);
	json_decref(req);
	return resp;
}
