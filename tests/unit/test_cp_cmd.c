// SPDX-License-Identifier: MIT
/*
 * Description: the command layer against the fake dataplane. A table of
 * requests (verb, args) with the expected outcome (ok, or an error code and
 * the argument it names); then state checks: routes/neighbours/ACL changed
 * as asked, a refused publish leaves the tables as they were, stats clear
 * zeroes what show stats reports, config reload applies or leaves all, the
 * verb table's views are consistent (every verb has a handler, unique
 * verbs, specs parse), config save writes atomically and is stable.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cmd.h"
#include "config_save.h"
#include "request.h"
#include "test_cp_fake.h"

struct env {
	struct fake_dp f;
	struct cp_cmds *c;
};

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	fake_dp_init(&e->f);
	assert_int_equal(cp_cmds_new(&e->c, &fake_dp_ops, &e->f), 0);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	cp_cmds_free(e->c);
	fake_dp_fini(&e->f);
	free(e);
	return 0;
}

/* Run verb with args (JSON text); returns the result or NULL with err. */
static json_t *run(struct env *e, const char *verb, const char *args,
		   struct cp_error *err)
{
	json_t *a = args ? json_loads(args, 0, NULL) : NULL;
	int id = cp_cmd_lookup(verb);
	json_t *r = NULL;

	assert_true(id >= 0);
	if (args)
		assert_non_null(a);
	memset(err, 0, sizeof(*err));
	if (cp_cmd_check_args((enum cp_cmd_id)id, a, err) == 0)
		r = cp_cmds_exec(e->c, (enum cp_cmd_id)id, a, err);
	json_decref(a);
	return r;
}

static const struct {
	const char *verb, *args;
	const char *code; /* NULL: ok */
	const char *field;
} cases[] = {
	{"status", NULL, NULL, NULL},
	{"status", "{\"x\":1}", CP_E_INVALID, "x"},
	{"show ports", NULL, NULL, NULL},
	{"show workers", NULL, NULL, NULL},
	{"show stats", NULL, NULL, NULL},
	{"show stats", "{\"port\":\"p1\"}", NULL, NULL},
	{"show stats", "{\"port\":\"p7\"}", CP_E_NOT_FOUND, "port"},
	{"show routes", NULL, NULL, NULL},
	{"show neighbours", NULL, NULL, NULL},
	{"show acl", NULL, NULL, NULL},
	{"show config", NULL, NULL, NULL},
	{"route add", "{\"prefix\":\"10.0.0.0/8\",\"port\":\"p1\"}", NULL,
	 NULL},
	{"route add",
	 "{\"prefix\":\"2001:db8::/32\",\"port\":1,\"via\":\"fe80::1\"}", NULL,
	 NULL},
	{"route add", "{\"prefix\":\"10.0.0.0/33\",\"port\":\"p1\"}",
	 CP_E_INVALID, "prefix"},
	{"route add", "{\"prefix\":\"10.0.0.1/8\",\"port\":\"p1\"}",
	 CP_E_INVALID, "prefix"},
	{"route add", "{\"prefix\":\"banana\",\"port\":\"p1\"}", CP_E_INVALID,
	 "prefix"},
	{"route add", "{\"prefix\":\"10.0.0.0/8\",\"port\":\"p9\"}",
	 CP_E_NOT_FOUND, "port"},
	{"route add", "{\"prefix\":\"10.0.0.0/8\"}", CP_E_INVALID, "port"},
	{"route add",
	 "{\"prefix\":\"10.0.0.0/8\",\"port\":\"p1\",\"via\":\"::1\"}",
	 CP_E_INVALID, "via"},
	{"route add", "{\"prefix\":7,\"port\":\"p1\"}", CP_E_INVALID, "prefix"},
	{"route del", "{\"prefix\":\"172.16.0.0/12\"}", CP_E_NOT_FOUND,
	 "prefix"},
	{"neighbour add",
	 "{\"addr\":\"10.1.0.2\",\"mac\":\"02:00:00:00:00:09\"}", NULL, NULL},
	{"neighbour add", "{\"addr\":\"10.1.0.2\",\"mac\":\"02:00:00\"}",
	 CP_E_INVALID, "mac"},
	{"neighbour add",
	 "{\"addr\":\"10.1.0.999\",\"mac\":\"02:00:00:00:00:09\"}",
	 CP_E_INVALID, "addr"},
	{"neighbour del", "{\"addr\":\"10.9.9.9\"}", CP_E_NOT_FOUND, "addr"},
	{"acl add", "{\"action\":\"deny\",\"proto\":\"udp\",\"dport\":\"53\"}",
	 NULL, NULL},
	{"acl add", "{\"action\":\"drop\"}", CP_E_INVALID, "action"},
	{"acl add",
	 "{\"action\":\"deny\",\"dport\":\"70000\",\"proto\":\"tcp\"}",
	 CP_E_INVALID, "dport"},
	{"acl add", "{\"action\":\"deny\",\"proto\":\"sctp2\"}", CP_E_INVALID,
	 "proto"},
	{"acl add", "{\"action\":\"deny\",\"dport\":\"9-3\",\"proto\":\"tcp\"}",
	 CP_E_INVALID, "dport"},
	{"acl add", "{\"action\":\"deny\",\"dport\":\"80\"}", CP_E_INVALID,
	 "proto"},
	{"acl add", "{\"action\":\"permit\",\"index\":99}", CP_E_INVALID,
	 "index"},
	{"acl add",
	 "{\"action\":\"permit\",\"src\":\"10.0.0.0/8\",\"dst\":\"::/0\"}",
	 CP_E_INVALID, "dst"},
	{"acl del", "{\"index\":42}", CP_E_NOT_FOUND, "index"},
	{"acl del", "{\"index\":-1}", CP_E_INVALID, "index"},
	{"acl move", "{\"from\":0,\"to\":5}", CP_E_NOT_FOUND, "to"},
	{"mode set", "{\"port\":\"p0\",\"mode\":\"l3\"}", NULL, NULL},
	{"mode set", "{\"port\":\"p0\",\"mode\":\"warp\"}", CP_E_INVALID,
	 "mode"},
	{"mode set", "{\"port\":\"nope\",\"mode\":\"l3\"}", CP_E_NOT_FOUND,
	 "port"},
	{"port stop", "{\"port\":\"p1\"}", NULL, NULL},
	{"port start", "{\"port\":\"p1\"}", NULL, NULL},
	{"port start", "{}", CP_E_INVALID, "port"},
	{"stats clear", NULL, NULL, NULL},
	{"stats watch", "{\"interval\":100}", NULL, NULL},
	{"stats watch", "{\"interval\":1}", CP_E_INVALID, "interval"},
	{"gen set", "{\"port\":\"p0\",\"rate\":1000,\"size\":128}", NULL, NULL},
	{"gen set", "{\"port\":\"p0\",\"size\":20}", CP_E_INVALID, "size"},
	{"gen set", "{\"port\":\"p0\",\"flows\":0}", CP_E_INVALID, "flows"},
	{"gen set", "{\"port\":\"p0\",\"imix\":\"yes\"}", CP_E_INVALID, "imix"},
	{"gen set", "{\"port\":\"p0\",\"ip\":5}", CP_E_INVALID, "ip"},
	{"port backend", "{\"port\":\"p1\",\"backend\":\"kernel\","
			 "\"dev\":\"veth1\",\"io_model\":\"epoll-et\"}",
	 NULL, NULL},
	{"port backend", "{\"port\":\"p1\",\"backend\":\"dpdk\",\"dev\":\"\","
			 "\"io_model\":\"\",\"xdp_skb\":false,\"zerocopy\":false}",
	 NULL, NULL},
	{"port backend", "{\"port\":\"p1\",\"backend\":\"xdp\"}", CP_E_INVALID,
	 "backend"},
	{"port backend", "{\"port\":\"p1\",\"backend\":\"kernel\","
			 "\"io_model\":\"kqueue\"}",
	 CP_E_INVALID, "io_model"},
	{"port backend", "{\"port\":\"p9\",\"backend\":\"dpdk\"}",
	 CP_E_NOT_FOUND, "port"},
	{"port backend", "{\"port\":\"p1\"}", CP_E_INVALID, "backend"},
	{"port backend", "{\"port\":\"p1\",\"backend\":\"afxdp\"}", CP_E_FAILED,
	 ""},
	{"gen set", "{\"port\":\"p0\",\"ip\":\"4x\"}", CP_E_INVALID, "ip"},
	{"gen set", "{\"port\":\"p0\",\"ip\":\" 6\"}", CP_E_INVALID, "ip"},
	{"gen set", "{\"port\":\"p0\",\"ip\":\"46\"}", NULL, NULL},
	{"gen start", "{\"port\":\"p0\"}", NULL, NULL},
	{"gen stop", "{\"port\":\"p0\"}", NULL, NULL},
	{"config reload", "{\"path\":\"/tmp/bad.yaml\"}", CP_E_INVALID, "path"},
	{"help", NULL, NULL, NULL},
	{"help", "{\"verb\":\"route add\"}", NULL, NULL},
	{"help", "{\"verb\":\"fly\"}", CP_E_NOT_FOUND, "verb"},
	{"show routes", "[1,2]", CP_E_BAD_REQUEST, "args"},
};

static void test_table(void **state)
{
	struct env *e = *state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cp_error err;
		json_t *r = run(e, cases[i].verb, cases[i].args, &err);

		if (!cases[i].code) {
			if (!r)
				fail_msg("%s %s: %s: %s", cases[i].verb,
					 cases[i].args ? cases[i].args : "",
					 err.code, err.msg);
			json_decref(r);
			continue;
		}
		if (r)
			fail_msg("%s %s: expected %s", cases[i].verb,
				 cases[i].args, cases[i].code);
		assert_string_equal(err.code, cases[i].code);
		assert_string_equal(err.field, cases[i].field);
		assert_true(strlen(err.msg) > 0);
	}
}

static void test_routes(void **state)
{
	struct env *e = *state;
	struct cp_error err;
	json_t *r;

	r = run(e, "route add",
		"{\"prefix\":\"10.0.0.0/8\",\"port\":\"p1\",\"via\":\"10.1.0.2\"}",
		&err);
	assert_non_null(r);
	assert_false(json_is_true(json_object_get(r, "replaced")));
	json_decref(r);
	r = run(e, "route add", "{\"prefix\":\"10.0.0.0/8\",\"port\":\"p0\"}",
		&err);
	assert_true(json_is_true(json_object_get(r, "replaced")));
	json_decref(r);
	assert_int_equal(e->f.conf.nb_routes, 1);
	assert_int_equal(e->f.conf.routes[0].port, 0);
	assert_int_equal(e->f.conf.routes[0].plen, 8);
	r = run(e, "show routes", NULL, &err);
	assert_string_equal(
		json_string_value(json_object_get(
			json_array_get(json_object_get(r, "routes"), 0),
			"prefix")),
		"10.0.0.0/8");
	json_decref(r);
	/* A refused publish changes nothing. */
	e->f.fail_next = 1;
	r = run(e, "route add", "{\"prefix\":\"11.0.0.0/8\",\"port\":\"p0\"}",
		&err);
	assert_null(r);
	assert_string_equal(err.code, CP_E_FAILED);
	assert_non_null(strstr(err.msg, "fake: publish refused"));
	assert_int_equal(e->f.conf.nb_routes, 1);
	r = run(e, "route del", "{\"prefix\":\"10.0.0.0/8\"}", &err);
	assert_non_null(r);
	json_decref(r);
	assert_int_equal(e->f.conf.nb_routes, 0);
	/* Neighbours ride along the same L3 table. */
	r = run(e, "neighbour add",
		"{\"addr\":\"2001:db8::2\",\"mac\":\"02:00:00:00:00:0a\","
		"\"port\":\"p1\"}",
		&err);
	assert_non_null(r);
	json_decref(r);
	assert_int_equal(e->f.conf.nb_neighs, 1);
	assert_int_equal(e->f.conf.neighs[0].port, 1);
	assert_int_equal(e->f.conf.neighs[0].mac[5], 0x0a);
	r = run(e, "neighbour del", "{\"addr\":\"2001:db8::2\"}", &err);
	json_decref(r);
	assert_int_equal(e->f.conf.nb_neighs, 0);
}

static void test_acl(void **state)
{
	struct env *e = *state;
	struct cp_error err;
	json_t *r, *rules;

	for (int i = 0; i < 3; i++) {
		char a[128];

		snprintf(a, sizeof(a),
			 "{\"action\":\"deny\",\"proto\":\"tcp\",\"dport\":"
			 "\"%d\"}",
			 80 + i);
		json_decref(run(e, "acl add", a, &err));
	}
	json_decref(run(e, "acl add",
			"{\"action\":\"permit\",\"index\":0,\"src\":"
			"\"10.0.0.0/8\"}",
			&err));
	assert_int_equal(e->f.conf.nb_acl, 4);
	assert_int_equal(e->f.conf.acl[0].action, DP_ACL_PERMIT);
	assert_int_equal(e->f.conf.acl[0].family, 4);
	assert_int_equal(e->f.conf.acl[1].dport_lo, 80);
	/* move 1 -> 3: 81, 82 shift up */
	json_decref(run(e, "acl move", "{\"from\":1,\"to\":3}", &err));
	assert_int_equal(e->f.conf.acl[1].dport_lo, 81);
	assert_int_equal(e->f.conf.acl[2].dport_lo, 82);
	assert_int_equal(e->f.conf.acl[3].dport_lo, 80);
	json_decref(run(e, "acl move", "{\"from\":3,\"to\":0}", &err));
	assert_int_equal(e->f.conf.acl[0].dport_lo, 80);
	assert_int_equal(e->f.conf.acl[1].action, DP_ACL_PERMIT);
	json_decref(run(e, "acl del", "{\"index\":0}", &err));
	assert_int_equal(e->f.conf.nb_acl, 3);
	r = run(e, "show acl", NULL, &err);
	rules = json_object_get(r, "rules");
	assert_int_equal(json_array_size(rules), 3);
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(rules, 0), "src")),
			    "10.0.0.0/8");
	assert_int_equal(json_integer_value(json_object_get(
				 json_array_get(rules, 1), "hits")),
			 14);
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(rules, 1), "dport")),
			    "81");
	json_decref(r);
}

/* A quoted client string cut inside a multi-byte character (by a %.Ns
 * width or the buffer) still gives an error object with its message. */
static void test_error_utf8_cut(void **state)
{
	struct env *e = *state;
	char verb[128] = "a", key[128] = "bb";
	struct cp_error err;
	json_t *j, *r;

	for (int i = 0; i < 40; i++) {
		strcat(verb, "\xc3\xa9"); /* U+00E9 */
		strcat(key, "\xe2\x82\xac"); /* U+20AC */
	}
	cp_error_set(&err, CP_E_UNKNOWN_COMMAND, key,
		     "unknown command '%.64s'", verb);
	j = cp_error_json(&err);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "code")),
			    CP_E_UNKNOWN_COMMAND);
	assert_non_null(strstr(json_string_value(json_object_get(j, "message")),
			       "\xc3\xa9?'"));
	/* field: "bb" and 29 bytes of euro signs: the tenth one cut */
	assert_non_null(json_object_get(j, "field"));
	json_decref(j);
	/* Invalid sequences of every kind become '?'. */
	cp_error_set(&err, CP_E_INVALID, "", "%s",
		     "x\xc0\xaf\xed\xa0\x80\xf4\x90\x80\x80\xff\xe2\x82");
	j = cp_error_json(&err);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "message")),
			    "x????????????");
	json_decref(j);
	/* And a whole request through the command layer still answers. */
	r = run(e, "help", "{\"verb\": \"a\u00e9\u00e9\"}", &err);
	assert_null(r);
	j = cp_error_json(&err);
	assert_non_null(j);
	json_decref(j);
}

/* Request lines through cp_request_run (what the server runs). */
static void test_request_line(void **state)
{
	static const struct {
		const char *line, *code; /* NULL: ok */
	} lines[] = {
		{"{\"id\":1,\"cmd\":\"status\"}", NULL},
		{"{\"id\":1,\"cmd\":\"status\"} \r\t", NULL},
		{"{\"cmd\":\"status\",\"cmd\":\"route del\"}", CP_E_BAD_REQUEST},
		{"{\"cmd\":\"route add\",\"args\":{\"prefix\":\"10.0.0.0/8\","
		 "\"port\":\"p0\",\"port\":\"p1\"}}",
		 CP_E_BAD_REQUEST},
		{"{\"cmd\":\"status\",\"x\":1}", CP_E_BAD_REQUEST},
		{"[1]", CP_E_BAD_REQUEST},
		{"{\"cmd\":7}", CP_E_BAD_REQUEST},
		{"{\"cmd\":\"nope\"}", CP_E_UNKNOWN_COMMAND},
		{"{\"cmd\":\"status\",\"args\":[1]}", CP_E_BAD_REQUEST},
	};
	struct env *e = *state;
	struct cp_request_out o;
	json_t *r;

	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		const char *code;

		r = cp_request_run(e->c, lines[i].line, strlen(lines[i].line),
				   NULL, &o);
		assert_non_null(r);
		code = json_string_value(json_object_get(
			json_object_get(r, "error"), "code"));
		if (lines[i].code ? !code || strcmp(code, lines[i].code)
				  : !o.ok)
			fail_msg("'%s': %s, want %s", lines[i].line,
				 code ? code : "ok",
				 lines[i].code ? lines[i].code : "ok");
		json_decref(r);
		json_decref(o.id);
	}
	assert_int_equal(e->f.publishes, 0);
	assert_null(cp_request_run(e->c, " \r", 2, NULL, &o));
}

static json_int_t sink_pkts(json_t *r)
{
	return json_integer_value(json_object_get(
		json_object_get(json_object_get(r, "total"), "sink"), "pkts"));
}

/* The real dataplane resets a sink at its next sink burst: before it (no
 * traffic since the clear) show stats reads 0, not the old totals; after
 * it, what arrived since, not 0 against the pre-reset base. */
static void test_stats_clear_lazy_sink(void **state)
{
	struct env *e = *state;
	struct cp_error err;
	json_t *r;

	e->f.sink_lazy = true;
	for (int i = 0; i < 3; i++)
		json_decref(run(e, "show stats", NULL, &err));
	json_decref(run(e, "stats clear", NULL, &err));
	e->f.sink_idle = true;
	r = run(e, "show stats", NULL, &err);
	assert_int_equal(sink_pkts(r), 0);
	json_decref(r);
	e->f.sink_idle = false;
	r = run(e, "show stats", NULL, &err);
	assert_int_equal(sink_pkts(r), 1000);
	json_decref(r);
	r = run(e, "show stats", NULL, &err);
	assert_int_equal(sink_pkts(r), 2000);
	json_decref(r);
}

static void test_stats_clear(void **state)
{
	struct env *e = *state;
	struct cp_error err;
	json_t *r, *tot;

	r = run(e, "show stats", NULL, &err);
	tot = json_object_get(r, "total");
	assert_true(json_integer_value(json_object_get(tot, "rx_pkts")) >=
		    2000);
	assert_int_equal(json_integer_value(json_object_get(
				 json_object_get(tot, "drops"), "no_route")) %
				 10,
			 0);
	json_decref(r);
	json_decref(run(e, "stats clear", NULL, &err));
	assert_int_equal(e->f.sink_resets, 1);
	r = run(e, "show stats", NULL, &err);
	tot = json_object_get(r, "total");
	/* One fake "burst" per worker since the clear. */
	assert_int_equal(json_integer_value(json_object_get(tot, "rx_pkts")),
			 2000);
	assert_int_equal(
		json_integer_value(json_object_get(tot, "fast_bursts")), 50);
	assert_int_equal(json_integer_value(json_object_get(
				 json_object_get(tot, "drops"), "no_route")),
			 20);
	assert_int_equal(json_integer_value(json_object_get(tot, "dropped")),
			 20);
	/* 2 x 50000 busy cycles over 2 x 1000 packets; busy 25 % */
	assert_float_equal(
		json_real_value(json_object_get(tot, "cycles_per_pkt")), 50.0,
		1e-9);
	assert_float_equal(json_real_value(json_object_get(tot, "busy_pct")),
			   25.0, 1e-9);
	/* The sinks were reset by the clear: what they counted since (500
	 * per worker per read) shows, not 0 against a pre-reset base. */
	assert_int_equal(json_integer_value(json_object_get(
				 json_object_get(tot, "sink"), "pkts")),
			 1000);
	assert_int_equal(json_integer_value(json_object_get(
				 json_object_get(tot, "sink"), "lat_count")),
			 1000);
	json_decref(r);
}

static void test_modes_ports_gen(void **state)
{
	struct env *e = *state;
	struct cp_error err;
	json_t *r;

	json_decref(
		run(e, "mode set", "{\"port\":\"p1\",\"mode\":\"l2\"}", &err));
	assert_int_equal(e->f.conf.ports[1].mode, DP_FWD_L2);
	/* port backend: the running conf with what the request changes;
	 * refused: the port keeps its conf, the message says why */
	r = run(e, "port backend",
		"{\"port\":\"p1\",\"backend\":\"kernel\",\"dev\":\"veth1\","
		"\"io_model\":\"uring\"}",
		&err);
	assert_non_null(r);
	assert_string_equal(json_string_value(json_object_get(r, "io_model")),
			    "uring");
	json_decref(r);
	assert_string_equal(e->f.conf.ports[1].conf.backend, "kernel");
	assert_string_equal(e->f.conf.ports[1].conf.dev, "veth1");
	assert_string_equal(e->f.conf.ports[1].conf.io_model, "uring");
	assert_null(run(e, "port backend",
			"{\"port\":\"p1\",\"backend\":\"afxdp\"}", &err));
	assert_string_equal(err.code, CP_E_FAILED);
	assert_non_null(strstr(err.msg, "afxdp cannot be reopened"));
	assert_string_equal(e->f.conf.ports[1].conf.backend, "kernel");
	e->f.fail_next = 1;
	assert_null(run(e, "port backend",
			"{\"port\":\"p1\",\"backend\":\"dpdk\"}", &err));
	assert_string_equal(e->f.conf.ports[1].conf.backend, "kernel");
	assert_int_equal(e->f.reopens, 1);
	json_decref(run(e, "port stop", "{\"port\":\"1\"}", &err));
	assert_false(e->f.ports[1].up);
	r = run(e, "show ports", NULL, &err);
	assert_false(json_is_true(json_object_get(
		json_array_get(json_object_get(r, "ports"), 1), "up")));
	assert_string_equal(
		json_string_value(json_object_get(
			json_array_get(json_object_get(r, "ports"), 1),
			"mode")),
		"l2");
	assert_int_equal(
		json_integer_value(json_object_get(
			json_object_get(
				json_array_get(json_object_get(r, "ports"), 1),
				"xstats"),
			"syscalls")),
		101);
	json_decref(r);
	json_decref(run(e, "gen set",
			"{\"port\":\"p0\",\"rate\":5000,\"count\":10,\"ip\":"
			"\"46\",\"imix\":true}",
			&err));
	assert_int_equal(e->f.conf.ports[0].gen.rate_pps, 5000);
	assert_int_equal(e->f.conf.ports[0].gen.count, 10);
	assert_int_equal(e->f.conf.ports[0].gen.ip_version, 46);
	assert_true(e->f.conf.ports[0].gen.imix);
	/* Unchanged fields are kept. */
	assert_int_equal(e->f.conf.ports[0].gen.frame_size, 64);
	json_decref(run(e, "gen start", "{\"port\":\"p0\"}", &err));
	assert_int_equal(e->f.gen_running[0], 1);
}

static void test_reload(void **state)
{
	struct env *e = *state;
	struct cp_error err;
	json_t *r;

	json_decref(run(e, "route add",
			"{\"prefix\":\"10.0.0.0/8\",\"port\":\"p1\"}", &err));
	/* Bad file: error names the file and line, nothing applied. */
	r = run(e, "config reload", "{\"path\":\"/x/bad.yaml\"}", &err);
	assert_null(r);
	assert_non_null(strstr(err.msg, "bad.yaml:3:5"));
	assert_int_equal(e->f.conf.nb_routes, 1);
	assert_int_equal(e->f.conf.routes[0].plen, 8);
	/* Apply refused: nothing applied either. */
	e->f.fail_next = 1;
	r = run(e, "config reload", "{\"path\":\"/x/good.yaml\"}", &err);
	assert_null(r);
	assert_string_equal(err.code, CP_E_FAILED);
	assert_non_null(strstr(err.msg, "nothing applied"));
	assert_int_equal(e->f.conf.routes[0].plen, 8);
	r = run(e, "config reload", "{\"path\":\"/x/good.yaml\"}", &err);
	assert_non_null(r);
	json_decref(r);
	assert_int_equal(e->f.conf.nb_routes, 1);
	assert_int_equal(e->f.conf.routes[0].plen, 16);
	assert_int_equal(e->f.conf.nb_acl, 1);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 1 << 16);

	assert_non_null(f);
	assert_true(fread(buf, 1, (1 << 16) - 1, f) > 0);
	fclose(f);
	return buf;
}

static void test_save(void **state)
{
	struct env *e = *state;
	struct cp_error err;
	char path[128], args[256], *a, *b;
	struct stat st;
	json_t *r;

	snprintf(path, sizeof(path), "/tmp/lr-cf-save-%d.yaml", getpid());
	json_decref(run(e, "route add",
			"{\"prefix\":\"10.0.0.0/8\",\"port\":\"p1\",\"via\":"
			"\"10.1.0.2\"}",
			&err));
	json_decref(run(e, "acl add",
			"{\"action\":\"deny\",\"proto\":\"udp\",\"dport\":"
			"\"53-54\",\"dst\":\"2001:db8::/32\"}",
			&err));
	snprintf(args, sizeof(args), "{\"path\":\"%s\"}", path);
	r = run(e, "config save", args, &err);
	if (!r)
		fail_msg("%s", err.msg);
	json_decref(r);
	a = slurp(path);
	assert_non_null(strstr(a, "prefix: 10.0.0.0/8"));
	assert_non_null(strstr(a, "via: 10.1.0.2"));
	assert_non_null(strstr(a, "dst: 2001:db8::/32"));
	/* Same model, same bytes; the temporary file is gone. */
	json_decref(run(e, "config save", args, &err));
	b = slurp(path);
	assert_string_equal(a, b);
	snprintf(args, sizeof(args), "%s.tmp.%d", path, getpid());
	assert_int_equal(stat(args, &st), -1);
	/* show config prints what save writes. */
	r = run(e, "show config", NULL, &err);
	assert_string_equal(json_string_value(json_object_get(r, "yaml")), a);
	json_decref(r);
	free(a);
	free(b);
	unlink(path);
	/* Unwritable directory: an error, nothing written. */
	r = run(e, "config save", "{\"path\":\"/nonexistent/dir/x.yaml\"}",
		&err);
	assert_null(r);
	assert_non_null(strstr(err.msg, "/nonexistent/dir/x.yaml"));
}

static void test_table_views(void **state)
{
	struct cp_arg_spec specs[16];

	for (int i = 0; i < CP_CMD__COUNT; i++) {
		int n = cp_cmd_args((enum cp_cmd_id)i, specs, 16);

		assert_non_null(cp_cmd_info[i].verb);
		assert_true(strlen(cp_cmd_info[i].help) > 0);
		assert_int_equal(cp_cmd_lookup(cp_cmd_info[i].verb), i);
		for (int k = 0; k < n; k++) {
			assert_true(strlen(specs[k].name) > 0);
			assert_true(strlen(specs[k].type) > 0);
		}
	}
	assert_int_equal(cp_cmd_lookup("compare"), -1);
	assert_int_equal(cp_cmd_args(CP_CMD_ROUTE_ADD, specs, 16), 3);
	assert_string_equal(specs[2].name, "via");
	assert_string_equal(specs[2].type, "addr");
	assert_true(specs[2].optional);
	assert_false(specs[0].optional);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_table, setup, teardown),
		cmocka_unit_test_setup_teardown(test_routes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_acl, setup, teardown),
		cmocka_unit_test_setup_teardown(test_error_utf8_cut, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_request_line, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_stats_clear_lazy_sink,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_stats_clear, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_modes_ports_gen, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_reload, setup, teardown),
		cmocka_unit_test_setup_teardown(test_save, setup, teardown),
		cmocka_unit_test(test_table_views),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
