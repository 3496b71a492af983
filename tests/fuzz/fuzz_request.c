// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the control socket's request path: each input is
 * split on newlines into request lines, and each line runs through
 * cp_request_run() (request.c: JSON parse, member and token checks, verb
 * lookup, argument checks, dispatch to cmd.c) against the fake dataplane of
 * the unit tests, exactly as the server runs a line it framed.
 *
 * Invariants, per line: no crash, leak or sanitizer report; a non-blank
 * line gets exactly one response, an object with "id" and a boolean "ok"
 * that serialises; an error carries a known code and a message; after an
 * error the dataplane's state (tables, backends, modes, generators, port
 * states, sink resets, publishes) is unchanged — nothing applied.
 *
 * A first byte below 0x04 is a flag set, not request text: bit 0 makes
 * every publish of the fake fail (the "failed" paths), bit 1 runs the lines
 * as a TCP client that must send the token first. `config save` lines are
 * skipped (they would write files wherever the input says).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "request.h"
#include "test_cp_fake.h"

#define CHECK(c)                                                               \
	do {                                                                   \
		if (!(c)) {                                                    \
			fprintf(stderr, "invariant failed: %s (line %d)\n",    \
				#c, __LINE__);                                 \
			abort();                                               \
		}                                                              \
	} while (0)

static const char *const codes[] = {
	CP_E_BAD_REQUEST, CP_E_UNKNOWN_COMMAND, CP_E_INVALID,
	CP_E_NOT_FOUND,	  CP_E_TOO_LARGE,	CP_E_FAILED,
	CP_E_UNAUTHORIZED, CP_E_TOO_MANY,	CP_E_INTERNAL,
};

/* What a verb may change in the fake, flattened for comparison. */
struct snap {
	size_t len;
	unsigned char *b;
};

static void put(struct snap *s, const void *p, size_t n)
{
	if (!n)
		return;
	s->b = realloc(s->b, s->len + n);
	CHECK(s->b);
	memcpy(s->b + s->len, p, n);
	s->len += n;
}

static void snap_take(struct snap *s, const struct fake_dp *f)
{
	const struct dp_config *c = &f->conf;

	s->len = 0;
	put(s, &c->nb_routes, sizeof(c->nb_routes));
	put(s, c->routes, c->nb_routes * sizeof(*c->routes));
	put(s, &c->nb_neighs, sizeof(c->nb_neighs));
	put(s, c->neighs, c->nb_neighs * sizeof(*c->neighs));
	put(s, &c->nb_acl, sizeof(c->nb_acl));
	put(s, c->acl, c->nb_acl * sizeof(*c->acl));
	put(s, &c->acl_default, sizeof(c->acl_default));
	put(s, &c->routes_gen, sizeof(c->routes_gen));
	for (unsigned int i = 0; i < c->nb_ports && i < 2; i++) {
		put(s, &c->ports[i].conf, sizeof(c->ports[i].conf));
		put(s, &c->ports[i].mode, sizeof(c->ports[i].mode));
		put(s, &c->ports[i].gen, sizeof(c->ports[i].gen));
		put(s, &f->ports[i].up, sizeof(f->ports[i].up));
	}
	put(s, f->gen_running, sizeof(f->gen_running));
	put(s, &f->sink_resets, sizeof(f->sink_resets));
	put(s, &f->publishes, sizeof(f->publishes));
}

static bool is_config_save(const char *p, size_t n)
{
	json_t *req = json_loadb(p, n, 0, NULL);
	const char *cmd = json_string_value(json_object_get(req, "cmd"));
	bool r = cmd && cp_cmd_lookup(cmd) == CP_CMD_CONFIG_SAVE;

	json_decref(req);
	return r;
}

static void check_response(json_t *resp, bool ok_flag)
{
	json_t *ok = json_object_get(resp, "ok"), *err;
	const char *code;
	char *text;
	bool known = false;

	CHECK(json_is_object(resp));
	CHECK(json_object_get(resp, "id"));
	CHECK(json_is_boolean(ok));
	CHECK(json_is_true(ok) == ok_flag);
	text = json_dumps(resp, JSON_COMPACT);
	CHECK(text);
	CHECK(!strchr(text, '\n')); /* one line on the wire */
	free(text);
	if (ok_flag) {
		CHECK(json_object_get(resp, "result"));
		return;
	}
	err = json_object_get(resp, "error");
	code = json_string_value(json_object_get(err, "code"));
	CHECK(code);
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		known |= !strcmp(code, codes[i]);
	CHECK(known);
	CHECK(json_string_length(json_object_get(err, "message")) > 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cp_request_auth auth = {0};
	struct snap before = {0}, after = {0};
	const char *p = (const char *)data;
	struct fake_dp *f;
	struct cp_cmds *c;
	bool fail = false;

	if (size && data[0] < 4) {
		fail = data[0] & 1;
		if (data[0] & 2)
			auth.token = "fuzz-token-0123";
		p++;
		size--;
	}
	f = malloc(sizeof(*f));
	CHECK(f);
	fake_dp_init(f);
	CHECK(cp_cmds_new(&c, &fake_dp_ops, f) == 0);
	while (size) {
		const char *nl = memchr(p, '\n', size);
		size_t n = nl ? (size_t)(nl - p) : size;
		struct cp_request_out o;
		json_t *resp;
		size_t k = n;

		while (k && (p[k - 1] == '\r' || p[k - 1] == ' ' ||
			     p[k - 1] == '\t'))
			k--;
		if (!is_config_save(p, n)) {
			f->fail_next = fail;
			snap_take(&before, f);
			resp = cp_request_run(c, p, n, &auth, &o);
			if (!k) {
				CHECK(!resp);
			} else {
				CHECK(resp);
				check_response(resp, o.ok);
				if (!o.ok) {
					snap_take(&after, f);
					CHECK(before.len == after.len);
					CHECK(!memcmp(before.b, after.b,
						      before.len));
				}
				json_decref(resp);
				json_decref(o.id);
			}
		}
		if (!nl)
			break;
		size -= n + 1;
		p = nl + 1;
	}
	free(before.b);
	free(after.b);
	cp_cmds_free(c);
	fake_dp_fini(f);
	free(f);
	return 0;
}
