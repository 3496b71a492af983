// SPDX-License-Identifier: MIT
/*
 * Description: linerated's control-plane glue against the fake dataplane.
 * cp_daemon_take_args takes exactly its options out of argv (both
 * "--opt value" and "--opt=value") and names the option of a bad value;
 * cp_daemon_run serves the socket, runs the stats hook on its interval and
 * housekeeping, reloads the config on SIGHUP (the fake's tables change),
 * stops on the stop flag and on --duration, and removes its socket; an
 * explicit socket another daemon holds is an error. Control over TCP needs
 * a token, checked once on the merged settings: --control-tcp with the
 * file's token_file, and the file's tcp with --token-file, are accepted;
 * TCP with no token from either is refused naming where TCP came from.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cp_daemon.h"
#include "log.h"
#include "test_cp_fake.h"

static void test_take_args(void **state)
{
	char *argv[] = {"linerated",
			"-c",
			"x.yaml",
			"--socket",
			"/tmp/a.sock",
			"--loop=epoll",
			"-d",
			"1",
			"--metrics",
			"127.0.0.1:9477",
			"--max-clients",
			"5",
			"--idle-timeout=250",
			"--socket-mode",
			"0600",
			"--no-control",
			"--summary",
			NULL};
	int argc = 17;
	struct cp_daemon_conf c;
	char err[256] = "";

	cp_daemon_conf_init(&c);
	assert_string_equal(c.srv.path, CP_DEFAULT_SOCKET);
	assert_false(c.socket_explicit);
	assert_int_equal(cp_daemon_take_args(&c, &argc, argv, err, sizeof(err)),
			 0);
	assert_int_equal(argc, 6);
	assert_string_equal(argv[1], "-c");
	assert_string_equal(argv[2], "x.yaml");
	assert_string_equal(argv[3], "-d");
	assert_string_equal(argv[4], "1");
	assert_string_equal(argv[5], "--summary");
	assert_null(argv[6]);
	assert_string_equal(c.srv.path, "/tmp/a.sock");
	assert_true(c.socket_explicit);
	assert_int_equal(c.loop, CP_LOOP_EPOLL);
	assert_string_equal(c.metrics_addr, "127.0.0.1");
	assert_int_equal(c.metrics_port, 9477);
	assert_int_equal(c.srv.max_clients, 5);
	assert_int_equal(c.srv.idle_timeout_ms, 250);
	assert_int_equal(c.srv.mode, 0600);
	assert_false(c.control);
}

static void test_bad_args(void **state)
{
	static const char *const bad[][3] = {
		{"--loop", "kqueue", "--loop"},
		{"--metrics", "localhost", "--metrics"},
		{"--metrics", "127.0.0.1:99999", "--metrics"},
		{"--max-clients", "0", "--max-clients"},
		{"--socket-mode", "999", "--socket-mode"},
		{"--token-file", "/nonexistent/token", "/nonexistent/token"},
		{"--log-level", "loud", "--log-level"},
		/* strtoul would read these as 0 or wrap them */
		{"--socket-mode", "", "--socket-mode"},
		{"--idle-timeout", "", "--idle-timeout"},
		{"--max-clients", " 5", "--max-clients"},
		{"--max-clients", "-4294967295", "--max-clients"},
		{"--idle-timeout", "99999999999999999999999", "--idle-timeout"},
		{"--metrics", "127.0.0.1:+80", "--metrics"},
		/* the config file's syntax (cp_hostport_parse): a literal,
		 * IPv6 in brackets */
		{"--metrics", "localhost:9477", "--metrics"},
		{"--control-tcp", "::1:9478", "--control-tcp"},
		/* cut silently before: another group, another file */
		{"--socket-group",
		 "g123456789012345678901234567890123456789012345678901234567890"
		 "123456789",
		 "--socket-group"},
		{"--save-to",
		 "/tmp/lr-cf-"
		 "0123456789012345678901234567890123456789012345678901234567890"
		 "0123456789012345678901234567890123456789012345678901234567890"
		 "0123456789012345678901234567890123456789012345678901234567890"
		 "0123456789012345678901234567890123456789012345678901234567890"
		 "/x.yaml",
		 "--save-to"},
		{"--save-to", "", "--save-to"},
		{"--token-file", "/tmp/lr-cf-nul-token", "NUL"},
	};
	FILE *tf = fopen("/tmp/lr-cf-nul-token", "w");

	/* Nine NUL bytes: passed the 8-character check as the empty token. */
	assert_non_null(tf);
	assert_int_equal(fwrite("\0\0\0\0\0\0\0\0\0", 1, 9, tf), 9);
	fclose(tf);
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *argv[] = {"linerated", (char *)bad[i][0],
				(char *)bad[i][1], NULL};
		int argc = 3;
		struct cp_daemon_conf c;

		cp_daemon_conf_init(&c);
		err[0] = 0;
		if (cp_daemon_take_args(&c, &argc, argv, err, sizeof(err)) >= 0)
			fail_msg("%s %s accepted", bad[i][0], bad[i][1]);
		if (!strstr(err, bad[i][2]))
			fail_msg("%s %s: message '%s' does not name %s",
				 bad[i][0], bad[i][1], err, bad[i][2]);
	}
	unlink("/tmp/lr-cf-nul-token");
	{
		char *argv[] = {"linerated", "--socket", NULL};
		int argc = 2;
		struct cp_daemon_conf c;

		cp_daemon_conf_init(&c);
		assert_int_equal(
			cp_daemon_take_args(&c, &argc, argv, err, sizeof(err)),
			-EINVAL);
		assert_non_null(strstr(err, "needs a value"));
	}
}

static int stats_calls, hk_calls;

static void stats_hook(void *arg)
{
	stats_calls++;
}

static void hk_hook(void *arg)
{
	hk_calls++;
}

static atomic_bool stop_flag;

static void *signaller(void *arg)
{
	usleep(200 * 1000);
	kill(getpid(), SIGHUP);
	usleep(300 * 1000);
	atomic_store(&stop_flag, true);
	return NULL;
}

static void test_run(void **state)
{
	struct cp_daemon_conf c;
	struct cp_daemon_hooks h = {
		.stats = stats_hook,
		.stats_interval_ms = 50,
		.stop = &stop_flag,
		.housekeeping = hk_hook,
	};
	struct fake_dp f;
	struct stat st;
	pthread_t th;
	char err[256];
	uint64_t t0;

	fake_dp_init(&f);
	cp_daemon_conf_init(&c);
	snprintf(c.srv.path, sizeof(c.srv.path), "/tmp/lr-cf-ud-%d.sock",
		 getpid());
	c.socket_explicit = true;
	c.loop = CP_LOOP_EPOLL;
	/* Before the thread exists: it inherits the mask. */
	cp_daemon_block_signals();
	atomic_store(&stop_flag, false);
	assert_int_equal(pthread_create(&th, NULL, signaller, NULL), 0);
	t0 = cp_loop_now_ns();
	assert_int_equal(
		cp_daemon_run(&c, &fake_dp_ops, &f, &h, err, sizeof(err)), 0);
	pthread_join(th, NULL);
	assert_true(cp_loop_now_ns() - t0 >= 500 * 1000000ull);
	assert_true(stats_calls >= 3);
	/* SIGHUP reloaded the fake's file: its route and ACL rule. */
	assert_int_equal(f.publishes, 1);
	assert_int_equal(f.conf.nb_routes, 1);
	assert_int_equal(f.conf.routes[0].plen, 16);
	assert_int_equal(stat(c.srv.path, &st), -1);

	/* --duration */
	h.stop = NULL;
	h.duration_ms = 150;
	t0 = cp_loop_now_ns();
	assert_int_equal(
		cp_daemon_run(&c, &fake_dp_ops, &f, &h, err, sizeof(err)), 0);
	assert_true(cp_loop_now_ns() - t0 >= 150 * 1000000ull);
	fake_dp_fini(&f);
}

static void test_socket_taken(void **state)
{
	struct cp_daemon_conf c;
	struct cp_daemon_hooks h = {.duration_ms = 50};
	struct fake_dp f;
	struct cp_loop *l;
	struct cp_cmds *cmds;
	struct cp_server *s;
	char err[256] = "";

	fake_dp_init(&f);
	cp_daemon_conf_init(&c);
	snprintf(c.srv.path, sizeof(c.srv.path), "/tmp/lr-cf-ud2-%d.sock",
		 getpid());
	c.socket_explicit = true;
	c.loop = CP_LOOP_EPOLL;
	assert_int_equal(cp_loop_new(&l, CP_LOOP_EPOLL), 0);
	assert_int_equal(cp_cmds_new(&cmds, &fake_dp_ops, &f), 0);
	assert_int_equal(cp_server_new(&s, l, &c.srv, cmds, err, sizeof(err)),
			 0);
	assert_int_equal(
		cp_daemon_run(&c, &fake_dp_ops, &f, &h, err, sizeof(err)),
		-EADDRINUSE);
	assert_non_null(strstr(err, c.srv.path));
	/* Not explicit: a warning, and it runs without a socket. */
	c.socket_explicit = false;
	assert_int_equal(
		cp_daemon_run(&c, &fake_dp_ops, &f, &h, err, sizeof(err)), 0);
	cp_server_free(s);
	cp_cmds_free(cmds);
	cp_loop_free(l);
	fake_dp_fini(&f);
}

static void test_tcp_token_merged(void **state)
{
	static const char tokpath[] = "/tmp/lr-fx-cp-token";
	struct cp_control_conf f;
	struct cp_daemon_conf c;
	char err[256];
	FILE *tf = fopen(tokpath, "w");

	(void)state;
	assert_non_null(tf);
	fputs("s3cret-token\n", tf);
	fclose(tf);
	/* --control-tcp, the token from the file's token_file. */
	{
		char *argv[] = {"linerated", "--control-tcp", "127.0.0.1:7000",
				NULL};
		int argc = 3;

		cp_daemon_conf_init(&c);
		assert_int_equal(cp_daemon_take_args(&c, &argc, argv, err,
						     sizeof(err)),
				 0);
		cp_control_conf_init(&f);
		snprintf(f.token_file, sizeof(f.token_file), "%s", tokpath);
		snprintf(f.token, sizeof(f.token), "s3cret-token");
		f.set |= 1u << CP_CTL_TOKEN_FILE;
		cp_daemon_conf_merge(&c, &f);
		assert_string_equal(c.srv.tcp_addr, "127.0.0.1");
		assert_string_equal(c.srv.token, "s3cret-token");
		assert_int_equal(cp_daemon_conf_check(&c, err, sizeof(err)), 0);
		/* No token anywhere: refused, naming the option. */
		cp_daemon_conf_init(&c);
		argc = 3;
		argv[1] = "--control-tcp";
		argv[2] = "127.0.0.1:7000";
		assert_int_equal(cp_daemon_take_args(&c, &argc, argv, err,
						     sizeof(err)),
				 0);
		cp_control_conf_init(&f);
		cp_daemon_conf_merge(&c, &f);
		assert_int_equal(cp_daemon_conf_check(&c, err, sizeof(err)),
				 -EINVAL);
		assert_non_null(strstr(err, "--control-tcp"));
		assert_non_null(strstr(err, "token"));
	}
	/* The file's tcp, the token from --token-file. */
	{
		char *argv[] = {"linerated", "--token-file", (char *)tokpath,
				NULL};
		int argc = 3;

		cp_daemon_conf_init(&c);
		assert_int_equal(cp_daemon_take_args(&c, &argc, argv, err,
						     sizeof(err)),
				 0);
		cp_control_conf_init(&f);
		snprintf(f.tcp_addr, sizeof(f.tcp_addr), "127.0.0.1");
		f.tcp_port = 7001;
		f.set |= 1u << CP_CTL_TCP;
		cp_daemon_conf_merge(&c, &f);
		assert_string_equal(c.srv.tcp_addr, "127.0.0.1");
		assert_int_equal(c.srv.tcp_port, 7001);
		assert_string_equal(c.srv.token, "s3cret-token");
		assert_int_equal(cp_daemon_conf_check(&c, err, sizeof(err)), 0);
		/* The file's tcp alone: refused, naming control.tcp. */
		cp_daemon_conf_init(&c);
		cp_daemon_conf_merge(&c, &f);
		assert_int_equal(cp_daemon_conf_check(&c, err, sizeof(err)),
				 -EINVAL);
		assert_non_null(strstr(err, "control.tcp"));
	}
	unlink(tokpath);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_take_args),
		cmocka_unit_test(test_bad_args),
		cmocka_unit_test(test_tcp_token_merged),
		cmocka_unit_test(test_run),
		cmocka_unit_test(test_socket_taken),
	};

	cp_log_set_level(CP_LOG_ERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
