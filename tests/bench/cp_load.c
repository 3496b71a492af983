// SPDX-License-Identifier: MIT
/*
 * cp_load: a load client for linerated's control socket. Opens N
 * connections, then each runs closed-loop: send one request, wait for its
 * answer, R times. Reports requests/s and latency percentiles; with --hold
 * keeps the (idle) connections open for a while after the last answer so a
 * script can read the daemon's memory.
 *
 *   cp_load --socket PATH [--clients N] [--requests R] [--cmd VERB]
 *           [--duration MS] [--hold MS] [--timeout MS] [--watch MS]
 *
 * --duration: each client goes on sending (closed loop) until MS have
 * passed, whatever --requests says.
 * --watch MS: each client subscribes (`stats watch` every MS) and reads the
 * stream for --duration; rps is then stream updates received per second.
 *
 * Once every client is connected and its first request sent, prints
 * "running clients=N" (flushed), so a script can time a window of the
 * steady load.
 * Prints one line: clients=N answered=A errors=E requests=T secs=S
 * rps=X p50_us=Y p99_us=Z connect_secs=C. Exit 0 when every request got an
 * "ok" answer, 1 otherwise. One thread, epoll, non-blocking sockets.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

struct client {
	int fd;
	int left; /* requests still to send */
	int waiting; /* a request is out */
	double sent_at;
	size_t inlen;
	int skipping; /* an oversize line: dropping to its newline */
	int skip_ok; /* ... whose start said "ok":true */
	char in[2048];
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	const char *path = NULL, *cmd = "status";
	long nclients = 1, nreq = 1, hold_ms = 0, timeout_ms = 60000;
	long duration_ms = 0, watch_ms = 0;
	double stop_at = 0;
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	struct client *cl;
	struct epoll_event ev, evs[512];
	double *lat, t0, t1, tc, deadline, p50, p99;
	long total, answered = 0, errors = 0, done = 0;
	char req[256];
	int ep, reqlen;
	struct rlimit rl;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--socket"))
			path = argv[i + 1];
		else if (!strcmp(argv[i], "--clients"))
			nclients = atol(argv[i + 1]);
		else if (!strcmp(argv[i], "--requests"))
			nreq = atol(argv[i + 1]);
		else if (!strcmp(argv[i], "--cmd"))
			cmd = argv[i + 1];
		else if (!strcmp(argv[i], "--hold"))
			hold_ms = atol(argv[i + 1]);
		else if (!strcmp(argv[i], "--duration"))
			duration_ms = atol(argv[i + 1]);
		else if (!strcmp(argv[i], "--timeout"))
			timeout_ms = atol(argv[i + 1]);
		else if (!strcmp(argv[i], "--watch"))
			watch_ms = atol(argv[i + 1]);
		else {
			fprintf(stderr, "cp_load: unknown option %s\n",
				argv[i]);
			return 2;
		}
	}
	if (!path || nclients < 1 || nreq < 1 ||
	    strlen(path) >= sizeof(a.sun_path)) {
		fprintf(stderr, "usage: cp_load --socket PATH [--clients N] "
				"[--requests R] [--cmd VERB] [--hold MS]\n");
		return 2;
	}
	strcpy(a.sun_path, path);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur < (rlim_t)nclients + 64) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (watch_ms > 0 && duration_ms <= 0) {
		fprintf(stderr, "cp_load: --watch needs --duration\n");
		return 2;
	}
	if (watch_ms > 0)
		reqlen = snprintf(req, sizeof(req),
				  "{\"id\":1,\"cmd\":\"stats watch\","
				  "\"args\":{\"interval\":%ld}}\n",
				  watch_ms);
	else
		reqlen = snprintf(req, sizeof(req),
				  "{\"id\":1,\"cmd\":\"%s\"}\n", cmd);
	if (duration_ms > 0)
		nreq = 1000000000L / nclients; /* bounded by the deadline */
	total = nclients * nreq;
	cl = calloc((size_t)nclients, sizeof(*cl));
	/* Latencies kept: at most 4M samples (the rest still counted). */
	lat = calloc((size_t)(total < (4L << 20) ? total : (4L << 20)),
		     sizeof(*lat));
	ep = epoll_create1(0);
	if (!cl || !lat || ep < 0)
		return 2;
	deadline = now() + (double)timeout_ms / 1e3;
	tc = now();
	for (long i = 0; i < nclients; i++) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (fd < 0) {
			fprintf(stderr, "cp_load: socket %ld: %s\n", i,
				strerror(errno));
			return 1;
		}
		/* Blocking connect: the listen backlog may be full while
		 * the daemon accepts; it waits instead of failing. */
		while (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
			if (errno != EAGAIN && errno != EINTR) {
				fprintf(stderr, "cp_load: connect %ld: %s\n", i,
					strerror(errno));
				return 1;
			}
			usleep(1000);
		}
		fcntl(fd, F_SETFL, O_NONBLOCK);
		cl[i].fd = fd;
		cl[i].left = (int)nreq;
		ev.events = EPOLLIN;
		ev.data.ptr = &cl[i];
		epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	}
	tc = now() - tc;
	t0 = now();
	if (duration_ms > 0)
		stop_at = t0 + (double)duration_ms / 1e3;
	for (long i = 0; i < nclients; i++) {
		cl[i].sent_at = now();
		if (write(cl[i].fd, req, (size_t)reqlen) != reqlen)
			errors++;
		cl[i].waiting = 1;
		cl[i].left--;
	}
	printf("running clients=%ld\n", nclients);
	fflush(stdout);
	while (done < nclients && now() < deadline) {
		int n = epoll_wait(ep, evs, 512, 100);

		for (int k = 0; k < n; k++) {
			struct client *c = evs[k].data.ptr;
			ssize_t r = read(c->fd, c->in + c->inlen,
					 sizeof(c->in) - c->inlen);
			char *nl;

			if (r <= 0) {
				if (r < 0 && errno == EAGAIN)
					continue;
				errors++;
				epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
				c->waiting = 0;
				c->left = 0;
				done++;
				continue;
			}
			c->inlen += (size_t)r;
			while ((nl = memchr(c->in, '\n', c->inlen))) {
				size_t l = (size_t)(nl - c->in) + 1;
				int ok = c->skipping
						 ? c->skip_ok
						 : !!memmem(c->in, l,
							    "\"ok\":true", 9);

				c->skipping = 0;
				if (watch_ms > 0 &&
				    memmem(c->in, l, "\"event\":", 8)) {
					/* a stream update */
					answered++;
					memmove(c->in, c->in + l, c->inlen - l);
					c->inlen -= l;
					if (now() >= stop_at) {
						epoll_ctl(ep, EPOLL_CTL_DEL,
							  c->fd, NULL);
						done++;
						break;
					}
					continue;
				}
				if (watch_ms > 0) {
					/* the subscription's answer */
					errors += !ok;
					memmove(c->in, c->in + l, c->inlen - l);
					c->inlen -= l;
					c->waiting = 0;
					continue;
				}
				if (!ok)
					errors++;
				else if (answered < (4L << 20))
					lat[answered++] = now() - c->sent_at;
				else
					answered++;
				memmove(c->in, c->in + l, c->inlen - l);
				c->inlen -= l;
				c->waiting = 0;
				if (stop_at > 0 && now() >= stop_at)
					c->left = 0;
				if (c->left > 0) {
					c->sent_at = now();
					if (write(c->fd, req, (size_t)reqlen) !=
					    reqlen)
						errors++;
					c->waiting = 1;
					c->left--;
				} else {
					done++;
				}
			}
			if (c->inlen == sizeof(c->in)) {
				/* oversize answer: keep whether its start
				 * said ok, drop the rest up to its newline */
				if (!c->skipping)
					c->skip_ok = !!memmem(c->in, c->inlen,
							      "\"ok\":true", 9);
				c->skipping = 1;
				c->inlen = 0;
			}
		}
	}
	t1 = now();
	if (hold_ms > 0) {
		printf("holding clients=%ld\n", nclients);
		fflush(stdout);
		usleep((useconds_t)hold_ms * 1000);
	}
	{
		long kept = answered < (4L << 20) ? answered : (4L << 20);

		qsort(lat, (size_t)kept, sizeof(*lat), cmp_double);
		p50 = kept ? lat[kept / 2] * 1e6 : 0;
		p99 = kept ? lat[(long)((double)kept * 0.99)] * 1e6 : 0;
	}
	if (duration_ms > 0)
		total = answered + errors;
	if (watch_ms > 0)
		p50 = p99 = 0; /* no request latencies in a stream */
	printf("clients=%ld answered=%ld errors=%ld requests=%ld secs=%.3f "
	       "rps=%.0f p50_us=%.1f p99_us=%.1f connect_secs=%.3f\n",
	       nclients, answered, errors, total, t1 - t0,
	       (double)answered / (t1 - t0), p50, p99, tc);
	for (long i = 0; i < nclients; i++)
		close(cl[i].fd);
	free(cl);
	free(lat);
	return answered == total && !errors ? 0 : 1;
}
