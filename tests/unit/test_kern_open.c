// SPDX-License-Identifier: MIT
/*
 * Description: dp_kern_open refuses bad port configs with a message that
 * names the port and what is wrong, and leaves nothing allocated (the
 * ASan build's leak check would report it): unknown io_model (the message
 * lists the built models), missing interface, too many queues, interface
 * name too long. Needs no privileges: every case fails before a socket.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "kern.h"

struct kcase {
	const char *desc;
	const char *dev;
	const char *model;
	uint16_t queues;
	int ret;
	const char *msg[3]; /* substrings the error must contain */
};

static const struct kcase kcases[] = {
	{ "unknown model", "lo", "epol", 1, -EINVAL,
	  { "port kp0", "unknown io_model 'epol'", "epoll-et" } },
	{ "missing interface", "lrk2-nonexist0", "poll", 1, -ENODEV,
	  { "port kp0", "no interface 'lrk2-nonexist0'", NULL } },
	{ "too many queues", "lo", "poll", DP_QUEUE_MAX + 1, -EINVAL,
	  { "port kp0", "17 queues", "at most 16" } },
	{ "interface name too long", "lrk2-0123456789abcdef", "mmsg", 1,
	  -EINVAL, { "port kp0", "too long", NULL } },
};

static void test_open_errors(void **state)
{
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(kcases) / sizeof(kcases[0]); i++) {
		const struct kcase *c = &kcases[i];
		struct dp_port_conf pc = { .nb_queues = c->queues,
					   .sqpoll_cpu = -1 };
		struct dp_port p = { 0 };
		char err[256] = "";
		int ret;

		snprintf(pc.name, sizeof(pc.name), "kp0");
		snprintf(pc.backend, sizeof(pc.backend), "kernel");
		snprintf(pc.dev, sizeof(pc.dev), "%s", c->dev);
		snprintf(pc.io_model, sizeof(pc.io_model), "%s", c->model);
		ret = dp_kern_open(&p, &pc, err, sizeof(err));
		print_message("%s: %d \"%s\"\n", c->desc, ret, err);
		assert_int_equal(ret, c->ret);
		for (k = 0; k < 3 && c->msg[k]; k++)
			assert_non_null(strstr(err, c->msg[k]));
		assert_null(p.priv);
		assert_null(p.ops);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
