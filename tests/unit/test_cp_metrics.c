// SPDX-License-Identifier: MIT
/*
 * Description: /metrics against the fake dataplane. The rendering passes
 * the exposition-format checker (and the checker itself rejects broken
 * samples: it can fail), every drop reason of lr_reasons.h appears by name
 * for every worker, the latency histogram's +Inf bucket equals the sink's
 * count; over HTTP (both loop backends): GET /metrics answers 200 with the
 * 0.0.4 content type, keep-alive serves a second request on the same
 * connection, unknown paths get 404, other methods 405, garbage 400.
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "log.h"
#include "metrics.h"
#include "test_cp_fake.h"
#include "test_cp_promcheck.h"

static char *render(struct fake_dp *f)
{
	struct cp_cmds *c;
	char *text = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);

	assert_int_equal(cp_cmds_new(&c, &fake_dp_ops, f), 0);
	assert_int_equal(cp_metrics_render(c, NULL, "epoll", fp), 0);
	fclose(fp);
	cp_cmds_free(c);
	return text;
}

static void test_render(void **state)
{
	struct fake_dp f;
	char msg[256] = "", *text, needle[160];

	fake_dp_init(&f);
	text = render(&f);
	if (pc_check(text, msg, sizeof(msg)))
		fail_msg("exposition: %s", msg);
	for (unsigned int r = 1; r < LR_R__COUNT; r++)
		for (int w = 0; w < 2; w++) {
			snprintf(
				needle, sizeof(needle),
				"linerate_drops_total{worker=\"%d\",core=\"%d\","
				"reason=\"%s\"} ",
				w, w, lr_reason_name(r));
			if (!strstr(text, needle))
				fail_msg("missing %s", needle);
		}
	assert_non_null(strstr(text, "linerate_drops_total{worker=\"0\","
				     "core=\"0\",reason=\"no_route\"} 10\n"));
	/* Two workers x 500 latency samples. */
	assert_non_null(strstr(text, "linerate_sink_latency_seconds_bucket{"
				     "le=\"+Inf\"} 1000\n"));
	assert_non_null(strstr(text, "linerate_sink_latency_seconds_count "
				     "1000\n"));
	assert_non_null(strstr(text, "linerate_port_rx_packets_total{port="
				     "\"p0\"} 1000\n"));
	assert_non_null(strstr(text, "linerate_worker_fast_bursts_total{"
				     "worker=\"1\",core=\"1\"} 25\n"));
	free(text);
	fake_dp_fini(&f);
}

static void test_checker_fails(void **state)
{
	static const char *const bad[] = {
		"x 1\n", /* no HELP/TYPE */
		"# HELP a h\n# TYPE a counter\na -1\n", /* negative */
		"# HELP a h\n# TYPE a gauge\na{b=\"c} 1\n", /* open quote */
		"# HELP a h\n# TYPE a gauge\na 1x\n", /* value */
		"# HELP a h\n# TYPE a gauge\n9a 1\n", /* name */
		"# HELP h h\n# TYPE h histogram\nh_bucket{le=\"1\"} 5\n"
		"h_bucket{le=\"2\"} 4\nh_bucket{le=\"+Inf\"} 5\n"
		"h_count 5\n", /* not cumulative */
		"# HELP h h\n# TYPE h histogram\nh_bucket{le=\"1\"} 5\n"
		"h_bucket{le=\"+Inf\"} 6\nh_count 5\n", /* count != +Inf */
		"# HELP a h\n# TYPE a gauge\na 1\n# HELP b h\n# TYPE b gauge\n"
		"b 1\na 2\n", /* not contiguous */
		"# HELP a h\n# TYPE a gauge\na 1", /* no newline */
	};
	char msg[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (pc_check(bad[i], msg, sizeof(msg)) == 0)
			fail_msg("checker accepted case %zu", i);
	assert_int_equal(pc_check("# HELP a h\n# TYPE a gauge\na{x=\"y\"} "
				  "1.5e3\n",
				  msg, sizeof(msg)),
			 0);
}

/* ---- HTTP ---- */

static enum cp_loop_backend backends[] = {CP_LOOP_URING, CP_LOOP_EPOLL};

/* Send req, run the loop until a full response (Content-Length) came. */
static char *http(struct cp_loop *l, int fd, const char *req)
{
	static char buf[1 << 20];
	size_t len = 0;

	if (req)
		assert_int_equal(write(fd, req, strlen(req)),
				 (ssize_t)strlen(req));
	for (int i = 0; i < 500; i++) {
		char *hdr_end;
		ssize_t n;

		cp_loop_run_once(l, 10);
		n = recv(fd, buf + len, sizeof(buf) - 1 - len, MSG_DONTWAIT);
		if (n > 0)
			len += (size_t)n;
		if (n == 0)
			break;
		buf[len] = 0;
		hdr_end = strstr(buf, "\r\n\r\n");
		if (hdr_end) {
			const char *cl = strstr(buf, "Content-Length: ");

			if (cl && len >= (size_t)(hdr_end + 4 - buf) +
						  strtoul(cl + 16, NULL, 10))
				break;
		}
	}
	buf[len] = 0;
	return buf;
}

static void test_http(void **state)
{
	enum cp_loop_backend b = *(enum cp_loop_backend *)*state;
	struct sockaddr_in a = {.sin_family = AF_INET};
	struct fake_dp f;
	struct cp_loop *l;
	struct cp_cmds *c;
	struct cp_metrics *m;
	char err[256] = "", msg[256], *r, *body;
	int fd;

	fake_dp_init(&f);
	assert_int_equal(cp_loop_new(&l, b), 0);
	assert_int_equal(cp_cmds_new(&c, &fake_dp_ops, &f), 0);
	assert_int_equal(cp_metrics_new(&m, l, c, NULL, "0.0.0.0", 0, false,
					err, sizeof(err)),
			 -EPERM);
	assert_int_equal(cp_metrics_new(&m, l, c, NULL, "127.0.0.1", 0, false,
					err, sizeof(err)),
			 0);
	a.sin_port = htons(cp_metrics_port(m));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	r = http(l, fd, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_true(!strncmp(r, "HTTP/1.1 200 OK\r\n", 17));
	assert_non_null(strstr(r, "Content-Type: text/plain; version=0.0.4"));
	body = strstr(r, "\r\n\r\n") + 4;
	if (pc_check(body, msg, sizeof(msg)))
		fail_msg("exposition over HTTP: %s", msg);
	/* Keep-alive: same connection, the request split in two writes. */
	assert_int_equal(write(fd, "GET /nope HTT", 13), 13);
	r = http(l, fd, "P/1.1\r\nHost: x\r\n\r\n");
	assert_true(!strncmp(r, "HTTP/1.1 404", 12));
	r = http(l, fd,
		 "POST /metrics HTTP/1.1\r\nHost: x\r\n"
		 "Content-Length: 0\r\n\r\n");
	assert_true(!strncmp(r, "HTTP/1.1 405", 12));
	/* Pipelined: two requests in one write, two answers in order. */
	{
		static const char two[] =
			"GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
			"GET /metrics?x HTTP/1.1\r\nHost: x\r\n\r\n";
		static char got[1 << 20];
		size_t len = 0;
		char *r404, *r200;

		assert_int_equal(write(fd, two, sizeof(two) - 1),
				 (ssize_t)sizeof(two) - 1);
		for (int i = 0; i < 500; i++) {
			ssize_t n;

			cp_loop_run_once(l, 10);
			n = recv(fd, got + len, sizeof(got) - 1 - len,
				 MSG_DONTWAIT);
			if (n > 0)
				len += (size_t)n;
			got[len] = 0;
			r200 = strstr(got, "HTTP/1.1 200");
			if (r200 && strstr(r200, "\r\n\r\n") &&
			    strstr(r200, "Content-Length: ") &&
			    len >= (size_t)(strstr(r200, "\r\n\r\n") + 4 - got) +
					   strtoul(strstr(r200, "Content-Length: ") +
							   16,
						   NULL, 10))
				break;
		}
		r404 = strstr(got, "HTTP/1.1 404");
		r200 = strstr(got, "HTTP/1.1 200");
		assert_non_null(r404);
		assert_non_null(r200);
		assert_true(r404 < r200);
	}
	r = http(l, fd, "GET /metrics HTTP/1.0\r\n\r\n");
	assert_true(!strncmp(r, "HTTP/1.1 200", 12));
	assert_non_null(strstr(r, "Connection: close"));
	close(fd);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	r = http(l, fd, "\x01\x02 garbage\r\n\r\n");
	assert_true(!strncmp(r, "HTTP/1.1 400", 12));
	close(fd);
	/* 64 idle connections (the most it keeps) do not lock a scraper
	 * out: the one idle longest makes room. */
	{
		int idle[70];

		for (int i = 0; i < 70; i++) {
			idle[i] = socket(AF_INET, SOCK_STREAM, 0);
			assert_int_equal(connect(idle[i], (struct sockaddr *)&a,
						 sizeof(a)),
					 0);
			for (int k = 0; k < 3; k++)
				cp_loop_run_once(l, 1);
		}
		fd = socket(AF_INET, SOCK_STREAM, 0);
		assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)),
				 0);
		r = http(l, fd, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
		assert_true(!strncmp(r, "HTTP/1.1 200", 12));
		close(fd);
		for (int i = 0; i < 70; i++)
			close(idle[i]);
	}
	cp_metrics_free(m);
	cp_cmds_free(c);
	cp_loop_free(l);
	fake_dp_fini(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render),
		cmocka_unit_test(test_checker_fails),
		cmocka_unit_test_prestate(test_http, &backends[0]),
		cmocka_unit_test_prestate(test_http, &backends[1]),
	};
	struct cp_loop *probe;

	cp_log_set_level(CP_LOG_WARN);
	/* Without io_uring the AUTO fallback runs the first case on epoll. */
	if (cp_loop_new(&probe, CP_LOOP_URING) == 0)
		cp_loop_free(probe);
	else
		backends[0] = CP_LOOP_AUTO;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
