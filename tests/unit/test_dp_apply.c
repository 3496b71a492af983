// SPDX-License-Identifier: MIT
/*
 * Description: dp_apply is all or nothing. A reload that changes the
 * routes (valid) and the MAC table (one entry on a port that does not
 * exist) fails naming the bad entry, and neither the published L3 table
 * nor the model (dp_config) changed; the same reload without the bad entry
 * publishes routes, ACL and MACs together and the model follows. (L2
 * learning: test_dp_l2.c.)
 * A run-time switch that writes a shorter dev over a longer one (stale
 * bytes after the NUL) does not make a reload of the same ports look like
 * a structural change.
 * One net_null port, no workers; EAL --no-huge, its own file prefix.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "dp_internal.h"

static struct dp *dp;
static struct dp_config base;

static int setup(void **state)
{
	char err[256];
	int ret;

	(void)state;
	dp_config_init(&base);
	snprintf(base.eal.file_prefix, sizeof(base.eal.file_prefix),
		 "lr-df-ut-%d", (int)getpid());
	base.eal.hugepages = 0;
	base.eal.mem_mb = 256;
	base.eal.main_core = 0;
	snprintf(base.eal.log_level, sizeof(base.eal.log_level), "error");
	base.nb_ports = 1;
	dp_port_entry_init(&base.ports[0], 0);
	snprintf(base.ports[0].conf.name, sizeof(base.ports[0].conf.name),
		 "a");
	snprintf(base.ports[0].conf.backend,
		 sizeof(base.ports[0].conf.backend), "dpdk");
	snprintf(base.ports[0].conf.dev, sizeof(base.ports[0].conf.dev),
		 "net_null0");
	ret = dp_eal_init(&base, "test_dp_apply", err, sizeof(err));
	if (ret < 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	ret = dp_create(&base, &dp, err, sizeof(err));
	if (ret < 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	dp_destroy(dp);
	dp_config_free(&base);
	dp_eal_cleanup();
	return 0;
}

static struct dp_route_conf route = {
	.prefix = { .family = 4, .a = { 10 } },
	.plen = 8,
	.port = 0,
};
static struct dp_acl_rule_conf rule = {
	.action = DP_ACL_DENY,
	.proto = 17,
	.sport_hi = 65535,
	.dport_hi = 65535,
};
static struct dp_mac_conf macs[2] = {
	{ .mac = { 2, 0, 0, 0, 0, 1 }, .port = 0 },
	{ .mac = { 2, 0, 0, 0, 0, 2 }, .port = 7 }, /* no such port */
};

static void test_apply_all_or_nothing(void **state)
{
	struct dp_l3_table *l3 = atomic_load(&dp->l3);
	struct dp_acl_table *acl = atomic_load(&dp->acl);
	struct dp_l2_table *l2 = atomic_load(&dp->l2);
	struct dp_config c = base;
	char err[256] = "";

	(void)state;
	c.routes = &route;
	c.nb_routes = 1;
	c.acl = &rule;
	c.nb_acl = 1;
	c.macs = macs;
	c.nb_macs = 2;
	assert_int_equal(dp_apply(dp, &c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "macs[1]"));
	assert_ptr_equal(atomic_load(&dp->l3), l3);
	assert_ptr_equal(atomic_load(&dp->acl), acl);
	assert_ptr_equal(atomic_load(&dp->l2), l2);
	assert_int_equal(dp_config(dp)->nb_routes, 0);
	assert_int_equal(dp_config(dp)->nb_acl, 0);
	assert_int_equal(dp_config(dp)->nb_macs, 0);

	/* Without the bad entry: everything at once. */
	c.nb_macs = 1;
	assert_int_equal(dp_apply(dp, &c, err, sizeof(err)), 0);
	assert_ptr_not_equal(atomic_load(&dp->l3), l3);
	assert_ptr_not_equal(atomic_load(&dp->acl), acl);
	assert_ptr_not_equal(atomic_load(&dp->l2), l2);
	assert_int_equal(dp_config(dp)->nb_routes, 1);
	assert_int_equal(dp_config(dp)->nb_acl, 1);
	assert_int_equal(dp_config(dp)->nb_macs, 1);
	assert_int_equal(atomic_load(&dp->acl)->dflt, DP_ACL_PERMIT);
}

/* dev net_null1,size=64 -> net_null2 written over it (as port backend
 * does: the old conf copied, the string snprintf'd): a reload whose port
 * is net_null2 is accepted. */
static void test_apply_after_shorter_switch(void **state)
{
	struct dp_port_conf pc;
	struct dp_config c = base;
	char err[256] = "";

	(void)state;
	pc = dp_config(dp)->ports[0].conf;
	snprintf(pc.dev, sizeof(pc.dev), "net_null1,size=64");
	assert_int_equal(dp_port_reopen(dp, 0, &pc, err, sizeof(err)), 0);
	pc = dp_config(dp)->ports[0].conf;
	snprintf(pc.dev, sizeof(pc.dev), "net_null2");
	assert_int_equal(dp_port_reopen(dp, 0, &pc, err, sizeof(err)), 0);
	assert_string_equal(dp_config(dp)->ports[0].conf.dev, "net_null2");

	snprintf(c.ports[0].conf.dev, sizeof(c.ports[0].conf.dev),
		 "net_null2");
	err[0] = 0;
	assert_int_equal(dp_apply(dp, &c, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	/* Still a structural change where there is one. */
	snprintf(c.ports[0].conf.dev, sizeof(c.ports[0].conf.dev),
		 "net_null3");
	assert_int_equal(dp_apply(dp, &c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "ports.a"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_apply_all_or_nothing),
		cmocka_unit_test(test_apply_after_shorter_switch),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
