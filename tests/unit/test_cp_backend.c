// SPDX-License-Identifier: MIT
/*
 * Description: the `port backend` verb's batch handling (controlplane/cmd.c)
 * against the fake dataplane with a ports_reopen of this test's: which
 * ports and confs reach the dataplane for "a,b", lists and ids; one device
 * per port (';'-separated or a list) or the port's own, its interface
 * carried across backends (kernel/afxdp <-> DPDK net_af_packet); errors
 * that name the field (unknown or repeated port, a device count that does
 * not match) with nothing reaching the dataplane; a dataplane refusal
 * passed on with the ports' confs unchanged; a dataplane without
 * ports_reopen takes one port only. A conf with shorter strings than the
 * port's (kernel -> dpdk, a shorter dev) reaches the dataplane with no
 * stale bytes after their NULs.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cmd.h"
#include "test_cp_fake.h"

struct env {
	struct fake_dp f;
	struct cp_cmds *c;
	struct cp_dp_ops ops;
};

/* What the last ports_reopen got. */
static unsigned int got_n;
static uint16_t got_ids[DP_PORT_MAX];
static struct dp_port_conf got[DP_PORT_MAX];
static int calls;

/* All or nothing, as dp_ports_reopen: a dev containing "bad" fails. */
static int t_ports_reopen(void *dp, unsigned int n, const uint16_t *ports,
			  const struct dp_port_conf *confs, char *err,
			  size_t errlen)
{
	struct fake_dp *f = dp;
	unsigned int i;

	calls++;
	got_n = n;
	memcpy(got_ids, ports, n * sizeof(*ports));
	memcpy(got, confs, n * sizeof(*confs));
	for (i = 0; i < n; i++)
		if (strstr(confs[i].dev, "bad")) {
			snprintf(err, errlen, "port %s: cannot open '%s'",
				 f->conf.ports[ports[i]].conf.name,
				 confs[i].dev);
			return -ENODEV;
		}
	for (i = 0; i < n; i++)
		f->conf.ports[ports[i]].conf = confs[i];
	return 0;
}

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	fake_dp_init(&e->f);
	e->ops = fake_dp_ops;
	e->ops.ports_reopen = t_ports_reopen;
	assert_int_equal(cp_cmds_new(&e->c, &e->ops, &e->f), 0);
	calls = 0;
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

static json_t *run(struct env *e, const char *args, struct cp_error *err)
{
	json_t *a = json_loads(args, 0, NULL);
	int id = cp_cmd_lookup("port backend");
	json_t *r = NULL;

	assert_non_null(a);
	memset(err, 0, sizeof(*err));
	if (cp_cmd_check_args((enum cp_cmd_id)id, a, err) == 0)
		r = cp_cmds_exec(e->c, (enum cp_cmd_id)id, a, err);
	json_decref(a);
	return r;
}

static void set_port(struct env *e, int p, const char *backend,
		     const char *dev)
{
	struct dp_port_conf *c = &e->f.conf.ports[p].conf;

	snprintf(c->backend, sizeof(c->backend), "%s", backend);
	snprintf(c->dev, sizeof(c->dev), "%s", dev);
}

static void test_batch(void **state)
{
	struct env *e = *state;
	struct cp_error err;
	json_t *r;

	r = run(e, "{\"port\":\"p0,p1\",\"backend\":\"kernel\","
		   "\"io_model\":\"epoll-et\",\"dev\":\"veth0;veth1\"}",
		&err);
	assert_non_null(r);
	assert_int_equal(calls, 1);
	assert_int_equal(got_n, 2);
	assert_int_equal(got_ids[0], 0);
	assert_int_equal(got_ids[1], 1);
	assert_string_equal(got[0].backend, "kernel");
	assert_string_equal(got[0].dev, "veth0");
	assert_string_equal(got[1].dev, "veth1");
	assert_string_equal(got[1].io_model, "epoll-et");
	assert_string_equal(json_string_value(json_object_get(r, "port")),
			    "p0,p1");
	assert_int_equal(json_array_size(json_object_get(r, "ports")), 2);
	json_decref(r);
	/* A list, names and ids, in its order; spaces around names. */
	r = run(e, "{\"port\":[\"p1\",0],\"backend\":\"afxdp\","
		   "\"dev\":[\"vethb\",\"vetha\"],\"xdp_skb\":true}",
		&err);
	assert_non_null(r);
	json_decref(r);
	assert_int_equal(got_ids[0], 1);
	assert_int_equal(got_ids[1], 0);
	assert_string_equal(got[0].dev, "vethb");
	assert_true(got[0].xdp_skb && got[1].xdp_skb);
	r = run(e, "{\"port\":\" p0 , 1\",\"backend\":\"afxdp\"}", &err);
	assert_non_null(r);
	json_decref(r);
	assert_int_equal(got_n, 2);
	assert_int_equal(got_ids[1], 1);
	/* One port, one dev string holding commas (devargs). */
	r = run(e, "{\"port\":\"p0\",\"backend\":\"dpdk\","
		   "\"dev\":\"net_af_packet9,iface=veth0,qpairs=2\"}",
		&err);
	assert_non_null(r);
	json_decref(r);
	assert_int_equal(got_n, 1);
	assert_string_equal(got[0].dev, "net_af_packet9,iface=veth0,qpairs=2");
}

/* No dev: the port's own device, its interface carried across backends. */
static void test_dev_carried(void **state)
{
	struct env *e = *state;
	struct cp_error err;

	set_port(e, 0, "kernel", "veth0");
	set_port(e, 1, "afxdp", "veth1,filter=ip");
	json_decref(run(e, "{\"port\":\"p0,p1\",\"backend\":\"dpdk\"}", &err));
	assert_int_equal(calls, 1);
	/* One qpair per worker: each may send; the pollers read them all. */
	assert_string_equal(got[0].dev, "net_af_packet_p0,iface=veth0,qpairs=2");
	assert_string_equal(got[1].dev, "net_af_packet_p1,iface=veth1,qpairs=2");
	json_decref(run(e, "{\"port\":\"p0,p1\",\"backend\":\"afxdp\"}", &err));
	assert_string_equal(got[0].dev, "veth0");
	assert_string_equal(got[1].dev, "veth1");
	/* afxdp -> kernel: the interface without the afxdp options. */
	set_port(e, 1, "afxdp", "veth1,filter=ip,busy_poll=0");
	json_decref(run(e, "{\"port\":\"p1\",\"backend\":\"kernel\"}", &err));
	assert_string_equal(got[0].dev, "veth1");
	/* Same backend: the dev as it is; no interface known: as it is. */
	set_port(e, 0, "afxdp", "veth0,filter=ip");
	json_decref(run(e, "{\"port\":\"p0\",\"backend\":\"afxdp\"}", &err));
	assert_string_equal(got[0].dev, "veth0,filter=ip");
	set_port(e, 0, "dpdk", "net_null0");
	json_decref(run(e, "{\"port\":\"p0\",\"backend\":\"kernel\"}", &err));
	assert_string_equal(got[0].dev, "net_null0");
	/* dev "" keeps the port's too. */
	set_port(e, 0, "dpdk", "net_af_packet3,iface=veth7");
	json_decref(run(e, "{\"port\":\"p0\",\"backend\":\"kernel\","
			   "\"dev\":\"\"}",
			&err));
	assert_string_equal(got[0].dev, "veth7");
	assert_int_equal(calls, 6);
}

static bool zero_tail(const char *s, size_t size)
{
	size_t l = strnlen(s, size);

	while (l < size)
		if (s[l++])
			return false;
	return true;
}

/* Shorter strings over longer ones: nothing of the old ones after the NUL
 * (a reload compares the dataplane's conf with a freshly parsed one). */
static void test_no_stale_tail(void **state)
{
	struct env *e = *state;
	struct cp_error err;

	set_port(e, 0, "kernel", "net_null0,size=64");
	snprintf(e->f.conf.ports[0].conf.io_model,
		 sizeof(e->f.conf.ports[0].conf.io_model), "uring-multishot");
	json_decref(run(e, "{\"port\":\"p0\",\"backend\":\"dpdk\","
			   "\"dev\":\"net_null0\",\"io_model\":\"poll\"}",
			&err));
	assert_int_equal(calls, 1);
	assert_string_equal(got[0].backend, "dpdk");
	assert_string_equal(got[0].dev, "net_null0");
	assert_string_equal(got[0].io_model, "poll");
	assert_true(zero_tail(got[0].backend, sizeof(got[0].backend)));
	assert_true(zero_tail(got[0].dev, sizeof(got[0].dev)));
	assert_true(zero_tail(got[0].io_model, sizeof(got[0].io_model)));
	assert_true(zero_tail(got[0].name, sizeof(got[0].name)));
}

/* Refused before the dataplane: the field named, nothing applied. */
static void test_refused_args(void **state)
{
	static const struct {
		const char *args, *code, *field, *msg;
	} t[] = {
		{"{\"port\":\"p0,p0\",\"backend\":\"kernel\"}", CP_E_INVALID,
		 "port", "named twice"},
		{"{\"port\":[\"p1\",1],\"backend\":\"kernel\"}", CP_E_INVALID,
		 "port", "named twice"},
		{"{\"port\":\"p0,px\",\"backend\":\"kernel\"}", CP_E_NOT_FOUND,
		 "port", "'px'"},
		{"{\"port\":\"p0,\",\"backend\":\"kernel\"}", CP_E_NOT_FOUND,
		 "port", "unknown port"},
		{"{\"port\":[0,7],\"backend\":\"kernel\"}", CP_E_NOT_FOUND,
		 "port", "unknown port 7"},
		{"{\"port\":[],\"backend\":\"kernel\"}", CP_E_INVALID, "port",
		 "empty"},
		{"{\"port\":[true],\"backend\":\"kernel\"}", CP_E_INVALID,
		 "port", "port name or id"},
		{"{\"port\":\"p0,p1\",\"backend\":\"kernel\",\"dev\":\"veth0\"}",
		 CP_E_INVALID, "dev", "1 device(s) for 2 ports"},
		{"{\"port\":\"p0,p1\",\"backend\":\"kernel\","
		 "\"dev\":[\"veth0\"]}",
		 CP_E_INVALID, "dev", "1 devices for 2 ports"},
		{"{\"port\":\"p0,p1\",\"backend\":\"kernel\","
		 "\"dev\":\"a;b;c\"}",
		 CP_E_INVALID, "dev", "3 device(s) for 2 ports"},
		{"{\"port\":\"p0\",\"backend\":\"kernel\",\"dev\":[1]}",
		 CP_E_INVALID, "dev", "string"},
		{"{\"port\":\"p0,p1\",\"backend\":\"xdp\"}", CP_E_INVALID,
		 "backend", "unknown backend"},
	};
	struct env *e = *state;
	struct cp_error err;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		json_t *r = run(e, t[i].args, &err);

		if (r || !err.code || strcmp(err.code, t[i].code) ||
		    strcmp(err.field, t[i].field) ||
		    !strstr(err.msg, t[i].msg))
			fail_msg("%s: got %s %s/%s '%s'", t[i].args,
				 r ? "a result" : "an error",
				 err.code ? err.code : "-", err.field, err.msg);
	}
	assert_int_equal(calls, 0);
	assert_string_equal(e->f.conf.ports[0].conf.backend, "dpdk");
}

/* The dataplane refuses: its message, every port as it was. */
static void test_refused_by_dp(void **state)
{
	struct env *e = *state;
	struct cp_error err;

	assert_null(run(e, "{\"port\":\"p0,p1\",\"backend\":\"kernel\","
			   "\"dev\":\"veth0;badif\"}",
			&err));
	assert_string_equal(err.code, CP_E_FAILED);
	assert_non_null(strstr(err.msg, "port p1: cannot open 'badif'"));
	assert_string_equal(e->f.conf.ports[0].conf.backend, "dpdk");
	assert_string_equal(e->f.conf.ports[0].conf.dev, "net_null0");
	assert_string_equal(e->f.conf.ports[1].conf.dev, "net_null1");
}

/* A dataplane without ports_reopen: one port at a time. */
static void test_no_batch(void **state)
{
	struct env *e = *state;
	struct cp_error err;
	json_t *r;

	cp_cmds_free(e->c);
	e->ops.ports_reopen = NULL;
	assert_int_equal(cp_cmds_new(&e->c, &e->ops, &e->f), 0);
	assert_null(run(e, "{\"port\":\"p0,p1\",\"backend\":\"kernel\","
			   "\"dev\":\"a;b\"}",
			&err));
	assert_string_equal(err.code, CP_E_FAILED);
	assert_non_null(strstr(err.msg, "several ports at once"));
	r = run(e, "{\"port\":\"p1\",\"backend\":\"kernel\",\"dev\":\"v1\"}",
		&err);
	assert_non_null(r);
	json_decref(r);
	assert_string_equal(e->f.conf.ports[1].conf.dev, "v1");
	assert_int_equal(calls, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dev_carried, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_no_stale_tail, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_refused_args, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_refused_by_dp, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_no_batch, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
