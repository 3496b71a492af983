// SPDX-License-Identifier: MIT
/*
 * Description: the control-socket server, against the fake dataplane, on
 * both loop backends. The server runs in a child process; the test is its
 * client. Checks: responses echo the request id; malformed JSON, unknown
 * verbs and members, oversize lines get an error response and the
 * connection keeps working; pipelined and byte-by-byte requests; the stats
 * stream delivers ordered events and a client that stops reading gets
 * coalesced updates, not an unbounded queue; max_clients rejects with an
 * error; idle clients are closed; socket mode 0660, a stale socket file is
 * replaced and a live one is not stolen; TCP requires the token; SIGTERM
 * stops the server and removes the socket.
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "cmd.h"
#include "log.h"
#include "server.h"
#include "test_cp_fake.h"

struct srv {
	enum cp_loop_backend backend;
	struct cp_server_conf conf;
	pid_t pid;
};

static void on_sig(struct cp_loop *l, int signo, void *arg)
{
	cp_loop_stop(l);
}

/* `status` in the child adds the server's counters the tests look at. */
static json_t *child_status(void *arg)
{
	struct cp_server_stats st;

	cp_server_get_stats(*(struct cp_server **)arg, &st);
	return json_pack("{s:I, s:I}", "out_queued_max",
			 (json_int_t)st.out_queued_max, "read_paused",
			 (json_int_t)st.read_paused);
}

static void server_child(struct srv *s, int ready_fd)
{
	struct fake_dp f;
	struct cp_loop *l;
	struct cp_cmds *c;
	struct cp_server *sv;
	char err[256] = "";
	int sigs[] = {SIGTERM};
	uint16_t port;

	cp_log_set_level(CP_LOG_WARN);
	fake_dp_init(&f);
	if (cp_loop_new(&l, s->backend) || cp_cmds_new(&c, &fake_dp_ops, &f))
		_exit(2);
	cp_loop_signals(l, sigs, 1, on_sig, NULL);
	if (cp_server_new(&sv, l, &s->conf, c, err, sizeof(err))) {
		fprintf(stderr, "server: %s\n", err);
		_exit(3);
	}
	cp_cmds_set_status(c, child_status, &sv);
	port = cp_server_tcp_port(sv);
	if (write(ready_fd, &port, sizeof(port)) != sizeof(port))
		_exit(4);
	close(ready_fd);
	cp_loop_run(l);
	cp_server_free(sv);
	cp_cmds_free(c);
	cp_loop_free(l);
	fake_dp_fini(&f);
	_exit(0);
}

static pid_t child_pid;
static char child_path[108]; /* its socket: removed after every test */

/* A failed assertion longjmps out of a test: stop its server anyway. */
static int reap(void **state)
{
	if (child_pid > 0) {
		kill(child_pid, SIGKILL);
		waitpid(child_pid, NULL, 0);
		child_pid = 0;
	}
	if (child_path[0]) {
		/* The server removes it on a clean stop; not when killed. */
		unlink(child_path);
		child_path[0] = 0;
	}
	return 0;
}

static uint16_t server_start(struct srv *s)
{
	int p[2];
	uint16_t port = 0;

	assert_int_equal(pipe(p), 0);
	s->pid = fork();
	assert_true(s->pid >= 0);
	if (s->pid == 0) {
		close(p[0]);
		server_child(s, p[1]);
	}
	close(p[1]);
	child_pid = s->pid;
	snprintf(child_path, sizeof(child_path), "%s", s->conf.path);
	assert_int_equal(read(p[0], &port, sizeof(port)), sizeof(port));
	close(p[0]);
	return port;
}

static int server_stop(struct srv *s)
{
	int st;

	kill(s->pid, SIGTERM);
	assert_int_equal(waitpid(s->pid, &st, 0), s->pid);
	child_pid = 0;
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static void conf_init(struct srv *s, enum cp_loop_backend b)
{
	memset(s, 0, sizeof(*s));
	s->backend = b;
	cp_server_conf_init(&s->conf);
	static int seq;

	/* A fresh path per test: a killed server's io_uring may keep its
	 * listening socket alive for a moment after the process is gone. */
	snprintf(s->conf.path, sizeof(s->conf.path), "/tmp/lr-cf-ut-%d-%d.sock",
		 getpid(), ++seq);
	s->conf.max_request = 4096;
	s->conf.max_output = 64 * 1024;
	s->conf.sndbuf = 8192;
}

static int cl_connect(const char *path)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

static void cl_send(int fd, const char *s)
{
	size_t n = strlen(s);

	assert_int_equal(write(fd, s, n), (ssize_t)n);
}

/* One line, waiting at most 5 s; NULL on EOF. Buffered per fd. */
static char rbuf[1 << 20];
static size_t rlen;
static int rfd = -1;

static char *cl_line(int fd)
{
	static char line[1 << 20];

	if (rfd != fd) {
		rfd = fd;
		rlen = 0;
	}
	for (;;) {
		char *nl = memchr(rbuf, '\n', rlen);
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		ssize_t n;

		if (nl) {
			size_t l = (size_t)(nl - rbuf);

			memcpy(line, rbuf, l);
			line[l] = 0;
			memmove(rbuf, nl + 1, rlen - l - 1);
			rlen -= l + 1;
			return line;
		}
		assert_int_equal(poll(&pfd, 1, 5000), 1);
		n = read(fd, rbuf + rlen, sizeof(rbuf) - rlen);
		if (n <= 0)
			return NULL;
		rlen += (size_t)n;
	}
}

static json_t *cl_json(int fd)
{
	char *l = cl_line(fd);
	json_t *j;

	assert_non_null(l);
	j = json_loads(l, 0, NULL);
	if (!j)
		fail_msg("not JSON: %s", l);
	return j;
}

static const char *err_code(json_t *j)
{
	return json_string_value(
		json_object_get(json_object_get(j, "error"), "code"));
}

static enum cp_loop_backend backends[] = {CP_LOOP_URING, CP_LOOP_EPOLL};

static void test_requests(void **state)
{
	struct srv s;
	struct stat st;
	json_t *j;
	int fd;

	conf_init(&s, *(enum cp_loop_backend *)*state);
	server_start(&s);
	assert_int_equal(stat(s.conf.path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0660);
	fd = cl_connect(s.conf.path);
	cl_send(fd, "{\"id\":1,\"cmd\":\"status\"}\n");
	j = cl_json(fd);
	assert_int_equal(json_integer_value(json_object_get(j, "id")), 1);
	assert_true(json_is_true(json_object_get(j, "ok")));
	assert_int_equal(json_integer_value(json_object_get(
				 json_object_get(j, "result"), "ports")),
			 2);
	json_decref(j);
	/* Malformed JSON: an error, the connection stays. */
	cl_send(fd, "{\"id\":2,\"cmd\":\"status\"\n");
	j = cl_json(fd);
	assert_string_equal(err_code(j), CP_E_BAD_REQUEST);
	assert_true(json_is_null(json_object_get(j, "id")));
	json_decref(j);
	cl_send(fd, "[1,2,3]\n{\"id\":\"x\",\"cmd\":\"fly\"}\n");
	j = cl_json(fd);
	assert_string_equal(err_code(j), CP_E_BAD_REQUEST);
	json_decref(j);
	j = cl_json(fd);
	assert_string_equal(err_code(j), CP_E_UNKNOWN_COMMAND);
	assert_string_equal(json_string_value(json_object_get(j, "id")), "x");
	json_decref(j);
	cl_send(fd, "{\"id\":3,\"cmd\":\"status\",\"bogus\":1}\n");
	j = cl_json(fd);
	assert_string_equal(err_code(j), CP_E_BAD_REQUEST);
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(j, "error"), "field")),
			    "bogus");
	json_decref(j);
	/* Invalid prefix: names the field, nothing applied. */
	cl_send(fd, "{\"id\":4,\"cmd\":\"route add\",\"args\":{\"prefix\":"
		    "\"10.0.0.0/40\",\"port\":\"p0\"}}\n"
		    "{\"id\":5,\"cmd\":\"show routes\"}\n");
	j = cl_json(fd);
	assert_string_equal(err_code(j), CP_E_INVALID);
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(j, "error"), "field")),
			    "prefix");
	json_decref(j);
	j = cl_json(fd);
	assert_int_equal(json_array_size(json_object_get(
				 json_object_get(j, "result"), "routes")),
			 0);
	json_decref(j);
	/* Oversize line: too_large, skipped to its newline, then normal. */
	{
		char *big = malloc(10000);

		memset(big, 'a', 9998);
		big[0] = '{';
		big[9998] = '\n';
		big[9999] = 0;
		cl_send(fd, big);
		free(big);
	}
	cl_send(fd, "{\"id\":6,\"cmd\":\"help\"}\n");
	j = cl_json(fd);
	assert_string_equal(err_code(j), CP_E_TOO_LARGE);
	json_decref(j);
	j = cl_json(fd);
	assert_int_equal(json_integer_value(json_object_get(j, "id")), 6);
	assert_true(json_is_true(json_object_get(j, "ok")));
	json_decref(j);
	/* Byte by byte. */
	{
		const char *req = "{\"id\":7,\"cmd\":\"route add\",\"args\":"
				  "{\"prefix\":\"10.0.0.0/8\",\"port\":1}}\r\n";

		for (const char *p = req; *p; p++) {
			assert_int_equal(write(fd, p, 1), 1);
			if ((p - req) % 16 == 0)
				usleep(1000);
		}
	}
	j = cl_json(fd);
	assert_int_equal(json_integer_value(json_object_get(j, "id")), 7);
	assert_true(json_is_true(json_object_get(j, "ok")));
	json_decref(j);
	close(fd);
	/* A second server on a live socket must not steal it. */
	{
		struct fake_dp f;
		struct cp_loop *l;
		struct cp_cmds *c;
		struct cp_server *sv;
		char err[256] = "";

		fake_dp_init(&f);
		assert_int_equal(cp_loop_new(&l, CP_LOOP_EPOLL), 0);
		assert_int_equal(cp_cmds_new(&c, &fake_dp_ops, &f), 0);
		assert_int_equal(
			cp_server_new(&sv, l, &s.conf, c, err, sizeof(err)),
			-EADDRINUSE);
		assert_non_null(strstr(err, "another daemon"));
		cp_cmds_free(c);
		cp_loop_free(l);
		fake_dp_fini(&f);
	}
	assert_int_equal(server_stop(&s), 0);
	/* SIGTERM: socket removed. */
	assert_int_equal(stat(s.conf.path, &st), -1);
}

static void test_stale_socket(void **state)
{
	struct srv s;
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	json_t *j;
	int fd;

	conf_init(&s, *(enum cp_loop_backend *)*state);
	/* A socket file nobody listens on, as a crashed run leaves. */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", s.conf.path);
	unlink(s.conf.path);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	close(fd);
	server_start(&s);
	fd = cl_connect(s.conf.path);
	cl_send(fd, "{\"id\":1,\"cmd\":\"status\"}\n");
	j = cl_json(fd);
	assert_true(json_is_true(json_object_get(j, "ok")));
	json_decref(j);
	close(fd);
	assert_int_equal(server_stop(&s), 0);
}

static void test_stream(void **state)
{
	struct srv s;
	json_t *j;
	int fd;
	int64_t last = 0, coalesced = 0;
	int events = 0, lines = 0;

	conf_init(&s, *(enum cp_loop_backend *)*state);
	server_start(&s);
	fd = cl_connect(s.conf.path);
	cl_send(fd, "{\"id\":9,\"cmd\":\"stats watch\",\"args\":{\"interval\":"
		    "20}}\n");
	j = cl_json(fd);
	assert_true(json_is_true(json_object_get(j, "ok")));
	json_decref(j);
	for (int i = 0; i < 3; i++) {
		j = cl_json(fd);
		assert_string_equal(
			json_string_value(json_object_get(j, "event")),
			"stats");
		assert_int_equal(json_integer_value(json_object_get(j, "id")),
				 9);
		assert_true(json_integer_value(json_object_get(j, "seq")) >
			    last);
		last = json_integer_value(json_object_get(j, "seq"));
		assert_non_null(json_object_get(
			json_object_get(json_object_get(j, "result"), "total"),
			"rx_pkts"));
		json_decref(j);
	}
	/* Requests still work mid-stream. */
	cl_send(fd, "{\"id\":10,\"cmd\":\"status\"}\n");
	for (;;) {
		j = cl_json(fd);
		if (json_integer_value(json_object_get(j, "id")) == 10) {
			json_decref(j);
			break;
		}
		json_decref(j);
	}
	/* Stop reading for a while at 10 ms: the server must not queue
	 * ~100 updates; it coalesces them. */
	cl_send(fd, "{\"id\":11,\"cmd\":\"stats watch\",\"args\":{\"interval\":"
		    "10}}\n");
	usleep(1000 * 1000);
	cl_send(fd, "{\"id\":12,\"cmd\":\"stats watch\",\"args\":{\"interval\":"
		    "0}}\n");
	for (;;) {
		char *l = cl_line(fd);

		assert_non_null(l);
		lines++;
		j = json_loads(l, 0, NULL);
		assert_non_null(j);
		if (json_object_get(j, "event")) {
			events++;
			coalesced = json_integer_value(
				json_object_get(j, "coalesced"));
		}
		if (json_integer_value(json_object_get(j, "id")) == 12) {
			coalesced = json_integer_value(json_object_get(
				json_object_get(j, "result"), "coalesced"));
			json_decref(j);
			break;
		}
		json_decref(j);
	}
	printf("stream: %d events after the pause, %lld coalesced\n", events,
	       (long long)coalesced);
	/* ~100 ticks happened; most were coalesced, not queued. */
	assert_true(coalesced > 0);
	assert_true(events < 90);
	close(fd);
	assert_int_equal(server_stop(&s), 0);
}

/* Many short requests with long answers in one write, not read for a
 * while: the server keeps the unread part of its read instead of queueing
 * every answer, so no client ever has much more than max_output queued;
 * and every request is still answered, in order. */
static void test_output_bound(void **state)
{
	enum { N = 4000 };
	static const char req[] = "{\"cmd\":\"help\"}\n";
	char *batch = malloc(N * (sizeof(req) - 1) + 1);
	struct srv s;
	json_t *j, *r;
	int fd;

	conf_init(&s, *(enum cp_loop_backend *)*state);
	server_start(&s);
	fd = cl_connect(s.conf.path);
	for (int i = 0; i < N; i++)
		memcpy(batch + i * (sizeof(req) - 1), req, sizeof(req) - 1);
	batch[N * (sizeof(req) - 1)] = 0;
	cl_send(fd, batch);
	free(batch);
	usleep(300 * 1000);
	for (int i = 0; i < N; i++) {
		j = cl_json(fd);
		assert_true(json_is_true(json_object_get(j, "ok")));
		assert_non_null(json_object_get(
			json_object_get(j, "result"), "verbs"));
		json_decref(j);
	}
	cl_send(fd, "{\"id\":1,\"cmd\":\"status\"}\n");
	j = cl_json(fd);
	r = json_object_get(j, "result");
	printf("output bound: %lld bytes queued at most (max_output %u), "
	       "%lld pauses\n",
	       (long long)json_integer_value(
		       json_object_get(r, "out_queued_max")),
	       s.conf.max_output,
	       (long long)json_integer_value(
		       json_object_get(r, "read_paused")));
	/* max_output plus the answer that crossed it (a help is ~5 KiB). */
	assert_true(json_integer_value(json_object_get(r, "out_queued_max")) <=
		    s.conf.max_output + 16 * 1024);
	assert_true(json_integer_value(json_object_get(r, "read_paused")) > 0);
	json_decref(j);
	close(fd);
	assert_int_equal(server_stop(&s), 0);
}

/* A client that sends its requests and shuts down its side (nc -N, a
 * script's shutdown(SHUT_WR)) still gets every answer, the unterminated
 * last line included, then EOF. */
static void test_half_close(void **state)
{
	enum { N = 200 };
	struct srv s;
	char *l;
	int fd, got = 0;

	conf_init(&s, *(enum cp_loop_backend *)*state);
	server_start(&s);
	for (int round = 0; round < 5; round++) {
		fd = cl_connect(s.conf.path);
		for (int i = 0; i < N; i++) {
			char req[64];

			snprintf(req, sizeof(req),
				 "{\"id\":%d,\"cmd\":\"show ports\"}%s", i,
				 i == N - 1 ? "" : "\n");
			cl_send(fd, req);
		}
		assert_int_equal(shutdown(fd, SHUT_WR), 0);
		got = 0;
		while ((l = cl_line(fd))) {
			json_t *j = json_loads(l, 0, NULL);

			assert_non_null(j);
			assert_int_equal(
				json_integer_value(json_object_get(j, "id")),
				got);
			assert_true(json_is_true(json_object_get(j, "ok")));
			json_decref(j);
			got++;
		}
		assert_int_equal(got, N);
		close(fd);
	}
	assert_int_equal(server_stop(&s), 0);
}

/* A client that sends requests and never reads its answers is idle too:
 * closed after the timeout, its queued answers freed. */
static void test_stalled_reader(void **state)
{
	enum { N = 4000 };
	static const char req[] = "{\"cmd\":\"help\"}\n";
	char *batch = malloc(N * (sizeof(req) - 1) + 1);
	struct srv s;
	int fd, got = 0;

	conf_init(&s, *(enum cp_loop_backend *)*state);
	s.conf.idle_timeout_ms = 500;
	server_start(&s);
	fd = cl_connect(s.conf.path);
	for (int i = 0; i < N; i++)
		memcpy(batch + i * (sizeof(req) - 1), req, sizeof(req) - 1);
	batch[N * (sizeof(req) - 1)] = 0;
	cl_send(fd, batch);
	free(batch);
	sleep(2);
	/* What the kernel buffered before the close, then EOF. */
	while (cl_line(fd))
		got++;
	printf("stalled reader: %d of %d answers before the close\n", got, N);
	assert_true(got < N);
	close(fd);
	assert_int_equal(server_stop(&s), 0);
}

static void test_max_clients_idle(void **state)
{
	struct srv s;
	int fds[12];
	json_t *j;

	conf_init(&s, *(enum cp_loop_backend *)*state);
	s.conf.max_clients = 10;
	s.conf.idle_timeout_ms =
		1000; /* long enough for the requests below under load */
	server_start(&s);
	for (int i = 0; i < 12; i++) {
		fds[i] = cl_connect(s.conf.path);
		usleep(2000);
	}
	for (int i = 0; i < 12; i++) {
		if (i < 10) {
			cl_send(fds[i], "{\"id\":1,\"cmd\":\"status\"}\n");
			j = cl_json(fds[i]);
			assert_true(json_is_true(json_object_get(j, "ok")));
		} else {
			j = cl_json(fds[i]);
			assert_string_equal(err_code(j), CP_E_TOO_MANY);
			assert_null(cl_line(fds[i]));
		}
		json_decref(j);
	}
	/* Idle: closed by the server after ~1 s. */
	usleep(3000 * 1000);
	for (int i = 0; i < 10; i++)
		assert_null(cl_line(fds[i]));
	for (int i = 0; i < 12; i++)
		close(fds[i]);
	assert_int_equal(server_stop(&s), 0);
}

static void test_tcp_token(void **state)
{
	struct srv s;
	struct sockaddr_in a = {.sin_family = AF_INET};
	uint16_t port;
	json_t *j;
	int fd;

	conf_init(&s, *(enum cp_loop_backend *)*state);
	snprintf(s.conf.tcp_addr, sizeof(s.conf.tcp_addr), "127.0.0.1");
	snprintf(s.conf.token, sizeof(s.conf.token), "s3cret");
	port = server_start(&s);
	assert_true(port > 0);
	a.sin_port = htons(port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	cl_send(fd, "{\"id\":1,\"cmd\":\"status\"}\n");
	j = cl_json(fd);
	assert_string_equal(err_code(j), CP_E_UNAUTHORIZED);
	json_decref(j);
	cl_send(fd, "{\"id\":2,\"cmd\":\"status\",\"token\":\"wrong\"}\n");
	j = cl_json(fd);
	assert_string_equal(err_code(j), CP_E_UNAUTHORIZED);
	json_decref(j);
	cl_send(fd, "{\"id\":3,\"cmd\":\"status\",\"token\":\"s3cret\"}\n"
		    "{\"id\":4,\"cmd\":\"show ports\"}\n");
	j = cl_json(fd);
	assert_true(json_is_true(json_object_get(j, "ok")));
	json_decref(j);
	j = cl_json(fd);
	assert_true(json_is_true(json_object_get(j, "ok")));
	json_decref(j);
	close(fd);
	assert_int_equal(server_stop(&s), 0);
}

/* Seeded garbage: random bytes and mutated valid requests, pipelined, on
 * one connection. Every non-blank line gets exactly one answer (ok or
 * error), the server survives, and a valid request still works. */
static void test_garbage(void **state)
{
	static const char *const valid[] = {
		"{\"id\":1,\"cmd\":\"route add\",\"args\":{\"prefix\":"
		"\"10.0.0.0/8\",\"port\":\"p1\",\"via\":\"10.1.0.2\"}}",
		"{\"id\":2,\"cmd\":\"acl add\",\"args\":{\"action\":\"deny\","
		"\"proto\":\"udp\",\"dport\":\"53-54\"}}",
		"{\"id\":3,\"cmd\":\"gen set\",\"args\":{\"port\":0,"
		"\"rate\":5,\"imix\":true,\"ip\":\"46\"}}",
		"{\"id\":4,\"cmd\":\"show stats\",\"args\":{\"port\":\"p0\"}}",
		"{\"id\":5,\"cmd\":\"neighbour add\",\"args\":{\"addr\":"
		"\"2001:db8::1\",\"mac\":\"02:00:00:00:00:01\"}}",
	};
	struct srv s;
	unsigned int seed = 12345;
	int fd, lines = 0, answers = 0;
	json_t *j;

	conf_init(&s, *(enum cp_loop_backend *)*state);
	server_start(&s);
	fd = cl_connect(s.conf.path);
	for (int i = 0; i < 400; i++) {
		char buf[512];
		size_t n;

		if (i % 2) {
			/* random bytes, no newline inside */
			n = (size_t)(rand_r(&seed) % 200) + 1;
			for (size_t k = 0; k < n; k++) {
				buf[k] = (char)(rand_r(&seed) % 256);
				if (buf[k] == '\n')
					buf[k] = ' ';
			}
		} else {
			const char *v = valid[rand_r(&seed) % 5];

			n = strlen(v);
			memcpy(buf, v, n);
			for (int m = rand_r(&seed) % 4; m >= 0; m--)
				buf[rand_r(&seed) % n] =
					(char)(rand_r(&seed) % 94 + 32);
		}
		buf[n++] = '\n';
		assert_int_equal(write(fd, buf, n), (ssize_t)n);
		/* lines of blanks only are skipped without an answer */
		for (size_t k = 0; k + 1 < n; k++)
			if (buf[k] != ' ' && buf[k] != '\r') {
				lines++;
				break;
			}
		if (i % 50 == 49)
			while (answers < lines) {
				j = cl_json(fd);
				assert_non_null(json_object_get(j, "ok"));
				answers++;
				json_decref(j);
			}
	}
	cl_send(fd, "{\"id\":\"end\",\"cmd\":\"status\"}\n");
	for (;;) {
		j = cl_json(fd);
		if (json_is_string(json_object_get(j, "id")) &&
		    !strcmp(json_string_value(json_object_get(j, "id")),
			    "end")) {
			assert_true(json_is_true(json_object_get(j, "ok")));
			json_decref(j);
			break;
		}
		answers++;
		json_decref(j);
	}
	assert_int_equal(answers, lines);
	close(fd);
	assert_int_equal(server_stop(&s), 0);
}

static void test_tcp_remote_refused(void **state)
{
	struct cp_server_conf c;
	struct fake_dp f;
	struct cp_loop *l;
	struct cp_cmds *cm;
	struct cp_server *sv;
	char err[256] = "";

	cp_server_conf_init(&c);
	snprintf(c.tcp_addr, sizeof(c.tcp_addr), "0.0.0.0");
	snprintf(c.token, sizeof(c.token), "t");
	fake_dp_init(&f);
	assert_int_equal(cp_loop_new(&l, CP_LOOP_EPOLL), 0);
	assert_int_equal(cp_cmds_new(&cm, &fake_dp_ops, &f), 0);
	assert_int_equal(cp_server_new(&sv, l, &c, cm, err, sizeof(err)),
			 -EPERM);
	assert_non_null(strstr(err, "loopback"));
	c.tcp_addr[0] = 0;
	snprintf(c.path, sizeof(c.path), "/nonexistent-dir/x.sock");
	assert_true(cp_server_new(&sv, l, &c, cm, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "/nonexistent-dir/x.sock"));
	cp_cmds_free(cm);
	cp_loop_free(l);
	fake_dp_fini(&f);
}

#define CASES(b)                                                               \
	cmocka_unit_test_prestate_setup_teardown(test_requests, NULL, reap,    \
						 &backends[b]),                \
		cmocka_unit_test_prestate_setup_teardown(                      \
			test_stale_socket, NULL, reap, &backends[b]),          \
		cmocka_unit_test_prestate_setup_teardown(test_stream, NULL,    \
							 reap, &backends[b]),  \
		cmocka_unit_test_prestate_setup_teardown(                      \
			test_output_bound, NULL, reap, &backends[b]),          \
		cmocka_unit_test_prestate_setup_teardown(                      \
			test_half_close, NULL, reap, &backends[b]),            \
		cmocka_unit_test_prestate_setup_teardown(                      \
			test_stalled_reader, NULL, reap, &backends[b]),        \
		cmocka_unit_test_prestate_setup_teardown(                      \
			test_max_clients_idle, NULL, reap, &backends[b]),      \
		cmocka_unit_test_prestate_setup_teardown(test_tcp_token, NULL, \
							 reap, &backends[b]),  \
		cmocka_unit_test_prestate_setup_teardown(test_garbage, NULL,   \
							 reap, &backends[b])

int main(void)
{
	const struct CMUnitTest uring_tests[] = {CASES(0)};
	const struct CMUnitTest epoll_tests[] = {
		CASES(1),
		cmocka_unit_test(test_tcp_remote_refused),
	};
	struct cp_loop *probe;
	int fails = 0;

	signal(SIGPIPE, SIG_IGN);
	cp_log_set_level(CP_LOG_ERR);
	if (cp_loop_new(&probe, CP_LOOP_URING) == 0) {
		cp_loop_free(probe);
		fails += cmocka_run_group_tests_name("server_uring",
						     uring_tests, NULL, NULL);
	} else {
		printf("io_uring unavailable here: its cases are skipped\n");
	}
	fails += cmocka_run_group_tests_name("server_epoll", epoll_tests, NULL,
					     NULL);
	return fails;
}
