// SPDX-License-Identifier: MIT
/*
 * Description: linerated's YAML config loader (controlplane/config.c) and
 * its control: section. Every file in configs/ (and configs/bench/) loads
 * and saves stably (save -> load -> save identical); bad control: values
 * are refused with the exact FILE:LINE:COL: path: message; control: round
 * trips through config save; errors that once had no position (a worker
 * without 'core', an empty file, an unpolled generator or sink,
 * routes_generate without port/via, the afxdp pool conflict) name one;
 * once pinned, a load that changes control: is refused naming the key
 * (except keys the command line overrides); the command line wins over the
 * file in cp_daemon_conf_merge.
 *
 *   test_cp_config CONFIGS_DIR
 */
#include <dirent.h>
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

/* The loader's header (the build's config.h has the same name). */
#include "../../controlplane/config.h"
#include "config_save.h"
#include "cp_daemon.h"

static const char *configs_dir;
static char tmpdir[64];

static const struct cp_dp_ops emit_ops = {
	.mode_name = dp_fwd_mode_name,
};

#define PORTS "ports:\n  - {name: a, dev: net_null0}\n"

static char *emit(const struct dp_config *c, const struct cp_control_conf *ctl)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	cp_config_save_set_control(ctl);
	assert_int_equal(cp_config_emit(c, &emit_ops, f), 0);
	fclose(f);
	cp_config_save_set_control(NULL);
	return text;
}

/* Parse yaml as "t.yaml"; expect failure with exactly want. */
static void expect_err(const char *yaml, const char *want)
{
	struct cp_control_conf ctl;
	struct dp_config c;
	char err[512] = "";
	int ret;

	ret = cp_config_parse_ctl(yaml, strlen(yaml), "t.yaml", &c, &ctl, err,
				  sizeof(err));
	if (ret != -EINVAL || strcmp(err, want))
		fail_msg("yaml:\n%s\ngot %d '%s'\nwant '%s'", yaml, ret, err,
			 want);
}

static void parse_ok(const char *yaml, struct dp_config *c,
		     struct cp_control_conf *ctl)
{
	char err[512] = "";
	int ret = cp_config_parse_ctl(yaml, strlen(yaml), "t.yaml", c, ctl, err,
				      sizeof(err));

	if (ret)
		fail_msg("yaml:\n%s\nfailed: %d %s", yaml, ret, err);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* Every example config loads, and emit -> parse -> emit is a fixpoint
 * (the control: section included). */
static void roundtrip_dir(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;

	if (d == NULL)
		fail_msg("%s: %s", dir, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		struct cp_control_conf ctl, ctl2;
		struct dp_config c, c2;
		char path[512], err[512] = "", *a, *b;
		size_t l = strlen(de->d_name);

		if (l < 6 || strcmp(de->d_name + l - 5, ".yaml"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (cp_config_load_ctl(path, &c, &ctl, err, sizeof(err)))
			fail_msg("%s does not load: %s", path, err);
		a = emit(&c, &ctl);
		if (cp_config_parse_ctl(a, strlen(a), path, &c2, &ctl2, err,
					sizeof(err)))
			fail_msg("%s: saved copy does not load: %s\n%s", path,
				 err, a);
		b = emit(&c2, &ctl2);
		if (strcmp(a, b))
			fail_msg(
				"%s: save -> load -> save differs:\n%s\n---\n%s",
				path, a, b);
		assert_non_null(strstr(a, "\ncontrol:\n"));
		free(a);
		free(b);
		dp_config_free(&c);
		dp_config_free(&c2);
		n++;
	}
	closedir(d);
	assert_true(n > 0);
}

static void test_configs_load(void **state)
{
	char bench[512];

	(void)state;
	roundtrip_dir(configs_dir);
	snprintf(bench, sizeof(bench), "%s/bench", configs_dir);
	roundtrip_dir(bench);
}

/* The demo and kernel-veth examples carry a control: section. */
static void test_configs_control(void **state)
{
	struct cp_control_conf ctl;
	struct dp_config c;
	char path[512], err[512] = "";

	(void)state;
	snprintf(path, sizeof(path), "%s/demo.yaml", configs_dir);
	assert_int_equal(cp_config_load_ctl(path, &c, &ctl, err, sizeof(err)),
			 0);
	assert_true(ctl.set & (1u << CP_CTL_LOOP));
	assert_int_equal(ctl.max_clients, 1024);
	dp_config_free(&c);
	snprintf(path, sizeof(path), "%s/kernel-veth.yaml", configs_dir);
	assert_int_equal(cp_config_load_ctl(path, &c, &ctl, err, sizeof(err)),
			 0);
	assert_string_equal(ctl.loop, "epoll");
	assert_string_equal(ctl.metrics_addr, "127.0.0.1");
	assert_int_equal(ctl.metrics_port, 9477);
	dp_config_free(&c);
}

static void test_control_errors(void **state)
{
	char yaml[1024], want[512], tok[128];

	(void)state;
	expect_err(PORTS "control:\n  socket_mode: rw-rw----\n",
		   "t.yaml:4:16: control.socket_mode: 'rw-rw----' is not an "
		   "octal mode 0..0777 (e.g. \"0660\")");
	expect_err(PORTS "control:\n  socket_mode: \"01777\"\n",
		   "t.yaml:4:16: control.socket_mode: '01777' is not an "
		   "octal mode 0..0777 (e.g. \"0660\")");
	expect_err(PORTS "control:\n  loop: kqueue\n",
		   "t.yaml:4:9: control.loop: 'kqueue': loop is auto, uring "
		   "(io_uring) or epoll");
	expect_err(PORTS "control:\n  metrics: localhost:9477\n",
		   "t.yaml:4:12: control.metrics: 'localhost:9477': "
		   "'localhost' is not an IPv4 or IPv6 address");
	expect_err(PORTS "control:\n  metrics: \"::1:9477\"\n",
		   "t.yaml:4:12: control.metrics: '::1:9477' is not ADDR:PORT "
		   "(e.g. 127.0.0.1:9477 or [::1]:9477)");
	expect_err(PORTS "control:\n  metrics: 127.0.0.1\n",
		   "t.yaml:4:12: control.metrics: '127.0.0.1' is not "
		   "ADDR:PORT (e.g. 127.0.0.1:9477 or [::1]:9477)");
	expect_err(PORTS "control:\n  metrics: 127.0.0.1:70000\n",
		   "t.yaml:4:12: control.metrics: '127.0.0.1:70000': port "
		   "70000 is not in 0..65535");
	expect_err(PORTS "control:\n  metrics: 10.1.2.3:9477\n",
		   "t.yaml:4:12: control.metrics: 10.1.2.3 is not a loopback "
		   "address (set control.metrics_allow_remote: true to serve "
		   "on it)");
	expect_err(PORTS "control:\n  max_clients: 0\n",
		   "t.yaml:4:16: control.max_clients: 0 is not in 1..1000000");
	expect_err(PORTS "control:\n  idle_timeout_ms: -1\n",
		   "t.yaml:4:20: control.idle_timeout_ms: -1 is not in "
		   "0..86400000");
	expect_err(PORTS "control:\n  max_request: 100\n",
		   "t.yaml:4:16: control.max_request: 100 is not in "
		   "256..67108864");
	expect_err(PORTS "control:\n  socket_group: lr-cc-no-such-group\n",
		   "t.yaml:4:17: control.socket_group: 'lr-cc-no-such-group': "
		   "no such group");
	expect_err(PORTS "control:\n  sockets: /tmp/x\n",
		   "t.yaml:4:3: control.sockets: unknown key 'sockets'");
	expect_err(PORTS "control:\n  loop: epoll\n  loop: uring\n",
		   "t.yaml:5:3: control.loop: key 'loop' given twice");
	expect_err(PORTS "control: [socket]\n",
		   "t.yaml:3:10: control: expected a mapping (key: value)");
	expect_err(PORTS "control:\n  tcp_allow_remote: maybe\n",
		   "t.yaml:4:21: control.tcp_allow_remote: 'maybe' is not true "
		   "or false");
	expect_err(PORTS "control:\n  token_file: /dev/null\n",
		   "t.yaml:4:15: control.token_file: '/dev/null' is not a "
		   "regular file");
	expect_err(PORTS "control:\n  token_file: /nonexistent/lr-cc\n",
		   "t.yaml:4:15: control.token_file: '/nonexistent/lr-cc': No "
		   "such file or directory");

	/* A short token; a non-loopback TCP listener without the allow. */
	snprintf(tok, sizeof(tok), "%s/short", tmpdir);
	write_file(tok, "abc\n");
	snprintf(yaml, sizeof(yaml), PORTS "control:\n  token_file: %s\n", tok);
	snprintf(want, sizeof(want),
		 "t.yaml:4:15: control.token_file: '%s': token shorter than 8 "
		 "characters",
		 tok);
	expect_err(yaml, want);
	snprintf(tok, sizeof(tok), "%s/token", tmpdir);
	write_file(tok, "s3cret-token\n");
	snprintf(yaml, sizeof(yaml),
		 PORTS "control:\n  tcp: 0.0.0.0:9478\n  token_file: %s\n",
		 tok);
	expect_err(yaml, "t.yaml:4:8: control.tcp: 0.0.0.0 is not a loopback "
			 "address (set control.tcp_allow_remote: true to "
			 "listen on it)");
}

static void test_control_values(void **state)
{
	struct cp_control_conf ctl;
	struct dp_config c;
	char yaml[1024], tok[128];

	(void)state;
	/* No control: the defaults, nothing set. */
	parse_ok(PORTS, &c, &ctl);
	assert_int_equal(ctl.set, 0);
	assert_string_equal(ctl.socket, CP_CTL_DEFAULT_SOCKET);
	assert_int_equal(ctl.socket_mode, 0660);
	assert_string_equal(ctl.loop, "auto");
	assert_int_equal(ctl.max_clients, 16384);
	assert_int_equal(ctl.idle_timeout_ms, 300000);
	assert_string_equal(ctl.tcp_addr, "");
	dp_config_free(&c);
	/* tcp without token_file: the token may come from --token-file
	 * (checked on the merged settings, test_cp_daemon). */
	parse_ok(PORTS "control:\n  tcp: 127.0.0.1:9478\n", &c, &ctl);
	assert_string_equal(ctl.tcp_addr, "127.0.0.1");
	assert_int_equal(ctl.tcp_port, 9478);
	assert_string_equal(ctl.token_file, "");
	dp_config_free(&c);

	snprintf(tok, sizeof(tok), "%s/token", tmpdir);
	write_file(tok, "s3cret-token \r\n");
	snprintf(yaml, sizeof(yaml),
		 "control:\n  socket: none\n  socket_mode: 600\n"
		 "  loop: io_uring\n  tcp: \"[::]:9478\"\n"
		 "  tcp_allow_remote: true\n  token_file: %s\n"
		 "  metrics: \"[::1]:0\"\n  max_request: 4096\n"
		 "  max_clients: 7\n  idle_timeout_ms: 0\n"
		 "  save_to: /tmp/lr-cc-saved.yaml\n" PORTS,
		 tok);
	parse_ok(yaml, &c, &ctl);
	assert_string_equal(ctl.socket, "");
	assert_int_equal(ctl.socket_mode, 0600);
	assert_string_equal(ctl.loop, "uring");
	assert_string_equal(ctl.tcp_addr, "::");
	assert_int_equal(ctl.tcp_port, 9478);
	assert_true(ctl.tcp_allow_remote);
	assert_string_equal(ctl.token, "s3cret-token");
	assert_string_equal(ctl.metrics_addr, "::1");
	assert_int_equal(ctl.metrics_port, 0);
	assert_int_equal(ctl.max_request, 4096);
	assert_int_equal(ctl.max_clients, 7);
	assert_int_equal(ctl.idle_timeout_ms, 0);
	assert_string_equal(ctl.save_to, "/tmp/lr-cc-saved.yaml");
	assert_int_equal(ctl.line[CP_CTL_LOOP], 4);
	assert_int_equal(ctl.col[CP_CTL_LOOP], 9);
	assert_int_equal(ctl.sec_line, 2);
	assert_int_equal(ctl.sec_col, 3);
	dp_config_free(&c);
}

/* control: through config save and back: the same bytes, and the token
 * itself is never written (only where it is read from). */
static void test_control_roundtrip(void **state)
{
	struct cp_control_conf ctl, ctl2;
	struct dp_config c, c2;
	char yaml[1024], tok[128], *a, *b, line[200];

	(void)state;
	snprintf(tok, sizeof(tok), "%s/token", tmpdir);
	write_file(tok, "s3cret-token\n");
	snprintf(yaml, sizeof(yaml),
		 PORTS "control:\n  socket: \"/tmp/lr-cc \\\"q\\\".sock\"\n"
		       "  socket_mode: \"0640\"\n  socket_group: root\n"
		       "  loop: epoll\n  tcp: 127.0.0.1:9478\n"
		       "  token_file: %s\n  metrics: \"[::1]:9477\"\n"
		       "  max_request: 1024\n  max_clients: 3\n"
		       "  idle_timeout_ms: 1500\n  save_to: /tmp/s.yaml\n",
		 tok);
	parse_ok(yaml, &c, &ctl);
	assert_string_equal(ctl.socket, "/tmp/lr-cc \"q\".sock");
	a = emit(&c, &ctl);
	assert_null(strstr(a, "s3cret"));
	snprintf(line, sizeof(line), "  token_file: \"%s\"\n", tok);
	assert_non_null(strstr(a, line));
	assert_non_null(strstr(a, "control:\n"
				  "  socket: \"/tmp/lr-cc \\\"q\\\".sock\"\n"
				  "  socket_mode: \"0640\"\n"
				  "  socket_group: \"root\"\n"
				  "  loop: epoll\n"
				  "  tcp: \"127.0.0.1:9478\"\n"
				  "  tcp_allow_remote: false\n"));
	assert_non_null(strstr(a, "  metrics: \"[::1]:9477\"\n"
				  "  metrics_allow_remote: false\n"
				  "  max_request: 1024\n"
				  "  max_clients: 3\n"
				  "  idle_timeout_ms: 1500\n"
				  "  save_to: \"/tmp/s.yaml\"\n"));
	parse_ok(a, &c2, &ctl2);
	assert_string_equal(ctl2.token, "s3cret-token");
	b = emit(&c2, &ctl2);
	assert_string_equal(a, b);
	free(a);
	free(b);
	dp_config_free(&c2);

	/* socket: none survives the trip too. */
	ctl.socket[0] = '\0';
	a = emit(&c, &ctl);
	assert_non_null(strstr(a, "control:\n  socket: none\n"));
	parse_ok(a, &c2, &ctl2);
	assert_string_equal(ctl2.socket, "");
	free(a);
	dp_config_free(&c2);
	dp_config_free(&c);
}

/* Errors that had no FILE:LINE:COL now have one. */
static void test_error_positions(void **state)
{
	(void)state;
	expect_err("", "t.yaml:1:1: (top): empty config: the 'ports' list is "
		       "needed");
	expect_err("# only a comment\n\n",
		   "t.yaml:1:1: (top): empty config: the 'ports' list is "
		   "needed");
	expect_err(PORTS "workers:\n  - {core: 0}\n  - ports: [a]\n",
		   "t.yaml:5:5: workers[1]: missing 'core'");
	expect_err("ports:\n  - {name: a, dev: net_null0, generator: {}}\n"
		   "  - {name: b, dev: net_null1, rx: sink}\n"
		   "workers:\n  - {core: 0, ports: [b]}\n",
		   "t.yaml:2:5: ports[0]: port 'a' has a generator but no "
		   "worker lists it");
	expect_err("ports:\n  - {name: a, dev: net_null0}\n"
		   "  - {name: b, dev: net_null1, rx: sink}\n"
		   "workers:\n  - {core: 0, ports: [a]}\n",
		   "t.yaml:3:5: ports[1]: port 'b' is a sink but no worker "
		   "lists it");
	expect_err(PORTS "routes_generate:\n  count: 10\n  seed: 1\n",
		   "t.yaml:4:3: routes_generate: needs 'port' and 'via'");
	expect_err("ports:\n  - {name: x, backend: afxdp, dev: lrdf0}\n"
		   "  - {name: y, backend: afxdp, dev: lrdf1}\n"
		   "workers:\n  - {core: 0, ports: [x]}\n"
		   "  - {core: 1, ports: [y]}\n",
		   "t.yaml:6:5: workers[1]: afxdp ports 'x' and 'y': queue 0 "
		   "would be polled by workers[0] and workers[1], but queue 0 "
		   "of every afxdp port shares one UMEM pool that only one "
		   "thread may use: list every afxdp port in the same workers");
	expect_err("workers: []\n",
		   "t.yaml:1:1: (top): no ports: the 'ports' list is needed");
}

/* Pinned: the control: section cannot change at run time (reload). */
static void test_pin(void **state)
{
	struct cp_control_conf run, ctl;
	struct dp_config c;

	(void)state;
	parse_ok(PORTS "control:\n  socket: /tmp/lr-cc-a.sock\n"
		       "  idle_timeout_ms: 1000\n  loop: epoll\n",
		 &c, &run);
	dp_config_free(&c);
	cp_config_control_pin(&run, 1u << CP_CTL_LOOP);

	/* The same (other keys and tables may change): accepted. */
	parse_ok("control:\n  loop: epoll\n  idle_timeout_ms: 1000\n"
		 "  socket: /tmp/lr-cc-a.sock\n" PORTS
		 "routes:\n  - {prefix: 10.0.0.0/8, port: a}\n",
		 &c, &ctl);
	assert_int_equal(c.nb_routes, 1);
	dp_config_free(&c);
	/* A key the command line overrides may differ: it is not used. */
	parse_ok(PORTS "control:\n  socket: /tmp/lr-cc-a.sock\n"
		       "  idle_timeout_ms: 1000\n  loop: uring\n",
		 &c, &ctl);
	dp_config_free(&c);
	/* Explicitly the default is the same as absent. */
	parse_ok(PORTS "control:\n  socket: /tmp/lr-cc-a.sock\n"
		       "  idle_timeout_ms: 1000\n  max_clients: 16384\n",
		 &c, &ctl);
	dp_config_free(&c);

	expect_err(PORTS "control:\n  socket: /tmp/lr-cc-b.sock\n"
			 "  idle_timeout_ms: 1000\n",
		   "t.yaml:4:11: control.socket: cannot change at run time "
		   "(running: \"/tmp/lr-cc-a.sock\", file: "
		   "\"/tmp/lr-cc-b.sock\"); restart linerated to apply it");
	expect_err(PORTS "control:\n  socket: /tmp/lr-cc-a.sock\n"
			 "  idle_timeout_ms: 5\n",
		   "t.yaml:5:20: control.idle_timeout_ms: cannot change at "
		   "run time (running: 1000, file: 5); restart linerated to "
		   "apply it");
	/* A key taken away: the section's position. */
	expect_err(PORTS "control:\n  socket: /tmp/lr-cc-a.sock\n",
		   "t.yaml:4:3: control.idle_timeout_ms: cannot change at run "
		   "time (running: 1000, file: 300000); restart linerated to "
		   "apply it");
	/* The section taken away: the document's. */
	expect_err(PORTS, "t.yaml:1:1: control.socket: cannot change at run "
			  "time (running: \"/tmp/lr-cc-a.sock\", file: "
			  "\"/run/linerate/linerated.sock\"); restart "
			  "linerated to apply it");
	expect_err(PORTS "control:\n  socket: /tmp/lr-cc-a.sock\n"
			 "  idle_timeout_ms: 1000\n  metrics: 127.0.0.1:1\n",
		   "t.yaml:6:12: control.metrics: cannot change at run time "
		   "(running: (not set), file: \"127.0.0.1:1\"); restart "
		   "linerated to apply it");

	cp_config_control_pin(NULL, 0);
	parse_ok(PORTS, &c, &ctl);
	dp_config_free(&c);
}

/* Command line over file over defaults. */
static void test_merge(void **state)
{
	char *argv[] = {"linerated", "--loop", "epoll",	 "--idle-timeout",
			"250",	     "-c",     "x.yaml", NULL};
	int argc = 7;
	struct cp_daemon_conf d;
	struct cp_control_conf f, out;
	struct dp_config c;
	char err[256] = "", v[320];

	(void)state;
	parse_ok(PORTS "control:\n  socket: /tmp/lr-cc-m.sock\n"
		       "  socket_mode: \"0600\"\n  loop: uring\n"
		       "  idle_timeout_ms: 9000\n  max_clients: 12\n"
		       "  max_request: 2048\n  metrics: 127.0.0.1:9555\n",
		 &c, &f);
	dp_config_free(&c);
	cp_daemon_conf_init(&d);
	assert_int_equal(cp_daemon_take_args(&d, &argc, argv, err, sizeof(err)),
			 0);
	assert_int_equal(d.given,
			 (1u << CP_CTL_LOOP) | (1u << CP_CTL_IDLE_TIMEOUT_MS));
	cp_daemon_conf_merge(&d, &f);
	assert_int_equal(d.loop, CP_LOOP_EPOLL); /* option */
	assert_int_equal(d.srv.idle_timeout_ms, 250); /* option */
	assert_string_equal(d.srv.path, "/tmp/lr-cc-m.sock"); /* file */
	assert_true(d.socket_explicit);
	assert_true(d.control);
	assert_int_equal(d.srv.mode, 0600);
	assert_int_equal(d.srv.max_clients, 12);
	assert_int_equal(d.srv.max_request, 2048);
	assert_string_equal(d.metrics_addr, "127.0.0.1");
	assert_int_equal(d.metrics_port, 9555);
	cp_daemon_conf_control(&d, &out);
	assert_true(cp_control_fmt(&out, CP_CTL_LOOP, v, sizeof(v)));
	assert_string_equal(v, "epoll");
	assert_true(cp_control_fmt(&out, CP_CTL_IDLE_TIMEOUT_MS, v, sizeof(v)));
	assert_string_equal(v, "250");
	assert_true(cp_control_fmt(&out, CP_CTL_SOCKET_MODE, v, sizeof(v)));
	assert_string_equal(v, "\"0600\"");

	/* --no-control beats control.socket; socket: none is --no-control. */
	{
		char *argv2[] = {"linerated", "--no-control", NULL};
		int argc2 = 2;

		cp_daemon_conf_init(&d);
		assert_int_equal(cp_daemon_take_args(&d, &argc2, argv2, err,
						     sizeof(err)),
				 0);
		cp_daemon_conf_merge(&d, &f);
		assert_false(d.control);
		cp_daemon_conf_control(&d, &out);
		assert_string_equal(out.socket, "");
	}
	parse_ok(PORTS "control:\n  socket: none\n", &c, &f);
	dp_config_free(&c);
	cp_daemon_conf_init(&d);
	cp_daemon_conf_merge(&d, &f);
	assert_false(d.control);
	/* No control: the defaults stay, the socket is not explicit. */
	parse_ok(PORTS, &c, &f);
	dp_config_free(&c);
	cp_daemon_conf_init(&d);
	cp_daemon_conf_merge(&d, &f);
	assert_true(d.control);
	assert_false(d.socket_explicit);
	assert_string_equal(d.srv.path, CP_DEFAULT_SOCKET);
	assert_int_equal(d.srv.idle_timeout_ms, 300000);
}

static int rm_tmp(void)
{
	char p[128];

	snprintf(p, sizeof(p), "%s/token", tmpdir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/short", tmpdir);
	unlink(p);
	return rmdir(tmpdir);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_configs_load),
		cmocka_unit_test(test_configs_control),
		cmocka_unit_test(test_control_errors),
		cmocka_unit_test(test_control_values),
		cmocka_unit_test(test_control_roundtrip),
		cmocka_unit_test(test_error_positions),
		cmocka_unit_test(test_pin),
		cmocka_unit_test(test_merge),
	};
	int ret;

	if (argc < 2) {
		fprintf(stderr, "usage: %s CONFIGS_DIR\n", argv[0]);
		return 2;
	}
	configs_dir = argv[1];
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/lr-cc-cfg.XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	ret = cmocka_run_group_tests(tests, NULL, NULL);
	rm_tmp();
	return ret;
}
