// SPDX-License-Identifier: MIT
/*
 * Description: the compare runner's control-socket driver against a fake
 * linerated (a thread answering the newline-delimited JSON protocol of
 * controlplane/server.h): a trial sends gen set / stats clear / show ports /
 * gen start / gen stop / show ports until the sink stops counting / show
 * stats in that order and turns
 * the replies into the sample (offered = the generator port's transmitted
 * packets, forwarded = the sink port's received packets, both as deltas;
 * DUT cycles from the DUT worker only; syscalls and drops as xstats
 * deltas); a mode the daemon cannot switch to is reported with the
 * reason; a daemon that is not there is an error naming the socket.
 */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "compare.h"
#include "ctl.h"

struct fake_daemon {
	int lfd;
	char path[108];
	pthread_t th;
	char log[4096]; /* verbs in order */
	json_int_t trials; /* counters move when a generator starts */
	bool backend_refused; /* has `port backend`, answers it "failed" */
};

static json_t *answer(struct fake_daemon *d, const char *cmd, json_t *args)
{
	if (!strcmp(cmd, "port backend"))
		return NULL;
	if (!strcmp(cmd, "show ports")) {
		json_int_t k = d->trials;

		return json_pack(
			"{s:[{s:s, s:s, s:s, s:{s:I, s:I}}, {s:s, s:s, s:s, s:{s:I}}, {s:s, s:s, s:s, s:I}, {s:s, s:s, s:s, s:I}]}",
			"ports", "name", "dut0", "backend", "kernel", "io_mode",
			"poll", "xstats", "syscalls", 100 * k, "kernel_drops",
			7 * k, "name", "dut1", "backend", "kernel", "io_mode",
			"poll", "xstats", "syscalls", 50 * k, "name", "gen",
			"backend", "dpdk", "io_mode", "", "tx_pkts", 1000 * k,
			"name", "sink", "backend", "dpdk", "io_mode", "",
			"rx_pkts", 890 * k);
	}
	if (!strcmp(cmd, "show workers"))
		return json_pack(
			"{s:[{s:i, s:[{s:s}, {s:s}]}, {s:i, s:[{s:s}, {s:s}]}]}",
			"workers", "worker", 0, "rxq", "port", "gen", "port",
			"sink", "worker", 1, "rxq", "port", "dut0", "port",
			"dut1");
	if (!strcmp(cmd, "show stats"))
		return json_pack(
			"{s:I, s:{s:{s:I}, s:{s:I, s:I, s:I, s:f, s:f}}, s:[{s:i, s:I, s:I, s:{}}, {s:i, s:I, s:I, s:{s:I}}]}",
			"tsc_hz", (json_int_t)1000000000, "total", "gen",
			"pkts", (json_int_t)1000, "sink", "pkts",
			(json_int_t)890, "foreign", (json_int_t)10, "lat_count",
			(json_int_t)5, "lat_p50_ns", 1500.0, "lat_p99_ns",
			9000.0, "workers", "worker", 0, "rx_pkts",
			(json_int_t)5, "busy_cycles", (json_int_t)999999,
			"drops", "worker", 1, "rx_pkts", (json_int_t)950,
			"busy_cycles", (json_int_t)19000000, "drops", "tx_full",
			(json_int_t)3);
	if (!strcmp(cmd, "gen start"))
		d->trials++;
	if (!strcmp(cmd, "gen set")) {
		/* the trial's parameters arrive as arguments */
		if (json_integer_value(json_object_get(args, "size")) != 128 ||
		    json_integer_value(json_object_get(args, "flows")) != 16 ||
		    json_integer_value(json_object_get(args, "rate")) !=
			    2000000)
			return NULL;
	}
	return json_object();
}

static void *serve(void *arg)
{
	struct fake_daemon *d = arg;
	char buf[65536];
	size_t len = 0;
	int fd;

	while ((fd = accept(d->lfd, NULL, NULL)) >= 0) {
		for (;;) {
			char *nl;
			ssize_t r =
				recv(fd, buf + len, sizeof(buf) - 1 - len, 0);

			if (r <= 0)
				break;
			len += (size_t)r;
			while ((nl = memchr(buf, '\n', len))) {
				json_t *req, *res, *resp;
				const char *cmd;
				char *out;

				*nl = '\0';
				req = json_loads(buf, 0, NULL);
				cmd = json_string_value(
					json_object_get(req, "cmd"));
				strncat(d->log, cmd ? cmd : "?",
					sizeof(d->log) - strlen(d->log) - 2);
				strcat(d->log, ";");
				res = answer(d, cmd ? cmd : "",
					     json_object_get(req, "args"));
				/* an unrelated stream event first: skipped */
				if (cmd && !strcmp(cmd, "show stats")) {
					const char *ev =
						"{\"id\": 1, \"event\": \"stats\"}\n";

					if (send(fd, ev, strlen(ev), 0) < 0)
						break;
				}
				resp = res ? json_pack(
						     "{s:O, s:b, s:o}", "id",
						     json_object_get(req, "id"),
						     "ok", 1, "result", res)
					   : json_pack(
						     "{s:O, s:b, s:{s:s, s:s}}",
						     "id",
						     json_object_get(req, "id"),
						     "ok", 0, "error", "code",
						     strcmp(cmd, "port backend")
							     ? "invalid_argument"
						     : d->backend_refused
							     ? "failed"
							     : "unknown_command",
						     "message",
						     "no such thing");
				out = json_dumps(resp, JSON_COMPACT);
				if (send(fd, out, strlen(out), 0) < 0 ||
				    send(fd, "\n", 1, 0) < 0) {
					free(out);
					break;
				}
				free(out);
				json_decref(resp);
				json_decref(req);
				len -= (size_t)(nl + 1 - buf);
				memmove(buf, nl + 1, len);
			}
		}
		close(fd);
	}
	return NULL;
}

static int setup(void **state)
{
	struct fake_daemon *d = calloc(1, sizeof(*d));
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	snprintf(d->path, sizeof(d->path), "/tmp/lr-cf-ctl-%d.sock",
		 (int)getpid());
	unlink(d->path);
	strcpy(sa.sun_path, d->path);
	d->lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(d->lfd >= 0);
	assert_int_equal(bind(d->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(d->lfd, 4), 0);
	assert_int_equal(pthread_create(&d->th, NULL, serve, d), 0);
	*state = d;
	return 0;
}

static int teardown(void **state)
{
	struct fake_daemon *d = *state;

	shutdown(d->lfd, SHUT_RDWR);
	close(d->lfd);
	pthread_join(d->th, NULL);
	unlink(d->path);
	free(d);
	return 0;
}

static void test_ctl_trial(void **state)
{
	struct fake_daemon *d = *state;
	static struct cp_cmp_ctl ctl;
	struct cp_cmp_driver drv;
	struct cp_cmp_conf c;
	struct cp_cmp_run *r;
	const struct cp_cmp_result *res;
	char err[CP_CMP_ERR_MAX];
	unsigned int n;

	cp_cmp_ctl_init(&ctl);
	snprintf(ctl.socket, sizeof(ctl.socket), "%s", d->path);
	cp_cmp_ctl_driver(&ctl, &drv);
	cp_cmp_conf_default(&c);
	c.nb_modes = 0;
	assert_int_equal(cp_cmp_modes_parse("kernel:poll,dpdk", c.modes,
					    &c.nb_modes, 4, err, sizeof(err)),
			 0);
	c.frames[0] = 128;
	c.flows[0] = 16;
	c.reps = 1;
	c.trial_s = 0.05;
	c.search = false;
	c.sc.max_rate = 2e6;
	assert_int_equal(cp_cmp_run_new(&r, &c, err, sizeof(err)), 0);
	assert_int_equal(cp_compare_run(r, &drv, NULL), 0);
	cp_cmp_ctl_fini(&ctl);
	res = cp_cmp_run_results(r, &n);
	assert_int_equal(n, 2);

	/* kernel:poll is what the daemon runs: measured */
	if (!res[0].ok)
		fail_msg("kernel:poll: %s", res[0].error);
	assert_string_equal(res[0].mode_desc, "kernel/poll");
	assert_true(fabs(res[0].offered_mpps.med - 1000 / 0.05 / 1e6) < 1e-9);
	assert_true(fabs(res[0].forwarded_mpps.med - 890 / 0.05 / 1e6) < 1e-9);
	assert_true(fabs(res[0].loss.med - 0.11) < 1e-9);
	/* DUT = worker 1 only: 19e6 cycles / 950 packets */
	assert_true(fabs(res[0].cycles_per_pkt.med - 20000) < 1e-6);
	/* syscalls: (100 + 50) per `show ports`, one call apart */
	assert_true(fabs(res[0].syscalls_per_pkt.med - 150.0 / 950) < 1e-9);
	assert_true(fabs(res[0].lat_p50_us.med - 1.5) < 1e-9);
	assert_true(fabs(res[0].lat_p99_us.med - 9.0) < 1e-9);
	/* the daemon cannot switch to dpdk: reported, with the reason */
	assert_false(res[1].ok);
	assert_non_null(strstr(res[1].error, "port backend"));
	assert_non_null(strstr(res[1].error, "kernel/poll"));
	/* the verbs of a trial, in order: the port snapshot before the
	 * clear (a straggler is in the port window, never only in the
	 * sink's); the sink is read until it stops counting, then the
	 * stats */
	assert_non_null(strstr(d->log,
			       "gen set;show ports;stats clear;"
			       "gen start;gen stop;show ports;show ports;"
			       "show stats;"));
	cp_cmp_run_free(r);
}

static void test_ctl_no_daemon(void **state)
{
	static struct cp_cmp_ctl ctl;
	struct cp_cmp_driver drv;
	struct cp_cmp_mode m = {
		.name = "kernel:poll", .backend = "kernel", .io_model = "poll"};
	char desc[64], err[CP_CMP_ERR_MAX];

	cp_cmp_ctl_init(&ctl);
	snprintf(ctl.socket, sizeof(ctl.socket), "/tmp/lr-cf-none-%d.sock",
		 (int)getpid());
	cp_cmp_ctl_driver(&ctl, &drv);
	assert_true(drv.set_mode(drv.ctx, &m, desc, sizeof(desc), err,
				 sizeof(err)) < 0);
	assert_non_null(strstr(err, ctl.socket));
	cp_cmp_ctl_fini(&ctl);
}

/* The mode hook gets the mode's name as one shell word, whatever quotes
 * its devargs hold: the hook here records its argument and fails. */
static void test_ctl_hook_quoting(void **state)
{
	static struct cp_cmp_ctl ctl;
	struct cp_cmp_driver drv;
	struct cp_cmp_mode modes[2];
	unsigned int n = 0;
	char desc[64], err[CP_CMP_ERR_MAX], out[128], got[256] = "";
	FILE *f;

	snprintf(out, sizeof(out), "/tmp/lr-cf-hook-%d.out", (int)getpid());
	unlink(out);
	assert_int_equal(cp_cmp_modes_parse("dpdk:net_null0'q$(id)",
					    modes, &n, 2, err, sizeof(err)),
			 0);
	cp_cmp_ctl_init(&ctl);
	snprintf(ctl.socket, sizeof(ctl.socket), "/tmp/lr-cf-none-%d.sock",
		 (int)getpid());
	snprintf(ctl.mode_hook, sizeof(ctl.mode_hook),
		 "sh -c 'printf %%s \"$1\" > %s; exit 3' hook", out);
	cp_cmp_ctl_driver(&ctl, &drv);
	assert_int_equal(drv.set_mode(drv.ctx, &modes[0], desc, sizeof(desc),
				      err, sizeof(err)),
			 -EIO);
	assert_non_null(strstr(err, "exit 3"));
	f = fopen(out, "r");
	assert_non_null(f);
	assert_non_null(fgets(got, sizeof(got), f));
	fclose(f);
	unlink(out);
	assert_string_equal(got, modes[0].name);
	/* and a quote-free word survives the quoting as is */
	assert_int_equal(cp_cmp_shell_quote(got, sizeof(got), "a'b"), 0);
	assert_string_equal(got, "'a'\\''b'");
	assert_int_equal(cp_cmp_shell_quote(got, 5, "abc"), -ENAMETOOLONG);
	cp_cmp_ctl_fini(&ctl);
}

/* A daemon that has `port backend` but refuses a switch (afxdp, a device
 * the new backend cannot open): the mode hook still gets its turn. */
static void test_ctl_backend_refused(void **state)
{
	struct fake_daemon *d = *state;
	static struct cp_cmp_ctl ctl;
	struct cp_cmp_driver drv;
	struct cp_cmp_mode m = {.name = "kernel:poll",
				.backend = "kernel",
				.io_model = "poll"};
	char desc[64], err[CP_CMP_ERR_MAX], out[128];

	snprintf(out, sizeof(out), "/tmp/lr-cf-hook2-%d.out", (int)getpid());
	unlink(out);
	d->backend_refused = true;
	cp_cmp_ctl_init(&ctl);
	snprintf(ctl.socket, sizeof(ctl.socket), "%s", d->path);
	snprintf(ctl.mode_hook, sizeof(ctl.mode_hook), "touch %s; true", out);
	cp_cmp_ctl_driver(&ctl, &drv);
	if (drv.set_mode(drv.ctx, &m, desc, sizeof(desc), err, sizeof(err)))
		fail_msg("set_mode: %s", err);
	assert_int_equal(access(out, F_OK), 0);
	unlink(out);
	d->backend_refused = false;
	cp_cmp_ctl_fini(&ctl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ctl_trial),
		cmocka_unit_test(test_ctl_no_daemon),
		cmocka_unit_test(test_ctl_hook_quoting),
		cmocka_unit_test(test_ctl_backend_refused),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
