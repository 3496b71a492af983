// SPDX-License-Identifier: MIT
/*
 * Control-socket server: listeners, client sessions, request framing and
 * limits, responses and stats streams, on the event loop (loop.h).
 *
 * A client costs its struct cp_client and nothing else while idle: the
 * loop lends a buffer for each read, a partial request line is copied into
 * a buffer sized to it (freed when the line completes), responses are
 * queued as exactly sized chunks. Limits: max_request per line (an oversize
 * line is answered with too_large and skipped up to its newline),
 * max_output queued bytes per client (past it the client is not read from
 * until half has drained), max_clients (the next one gets a
 * too_many_clients error and is closed), idle_timeout_ms.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "request.h"
#include "server.h"

struct out_chunk {
	struct out_chunk *next;
	uint32_t len;
	char data[];
};

struct cp_watch;

struct cp_client {
	struct cp_io io;
	struct cp_server *srv;
	struct cp_client *prev, *next;
	char *in; /* partial request line, NULL when none */
	uint32_t in_len, in_cap;
	/* Bytes of a read not yet looked at: output passed max_output in the
	 * middle of it (at most one read's worth, while paused). */
	char *rest;
	uint32_t rest_len;
	uint32_t out_bytes;
	struct out_chunk *out_head, *out_tail;
	struct cp_watch *watch;
	uint64_t last_active_ns;
	bool discarding; /* skipping the rest of an oversize line */
	bool eof; /* the client shut its side: close once answered */
	bool reading; /* a read is armed */
	bool closing;
	bool tcp, authed;
};

struct cp_watch {
	struct cp_timer timer;
	struct cp_client *cl;
	json_t *id;
	uint32_t interval_ms;
	uint64_t seq, coalesced;
};

struct listener {
	struct cp_io io;
	struct cp_server *srv;
	struct cp_timer retry; /* accept paused after EMFILE */
	bool tcp;
	bool open;
};

struct cp_server {
	struct cp_loop *loop;
	struct cp_cmds *cmds;
	struct cp_server_conf conf;
	struct listener lunix, ltcp;
	uint16_t tcp_port;
	struct cp_client *clients;
	struct cp_timer sweep;
	struct cp_server_stats st;
	uint64_t last_emfile_log;
	bool path_bound;
};

void cp_server_conf_init(struct cp_server_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->mode = 0660;
	c->max_request = 64 * 1024;
	c->max_clients = 16384;
	c->idle_timeout_ms = 300 * 1000;
	c->max_output = 1024 * 1024;
}

static void client_close(struct cp_client *cl);
static void client_read(struct cp_client *cl);
static void client_resume(struct cp_client *cl);

/* ---- output ---- */

static void on_written(struct cp_io *io, int err);

static void out_kick(struct cp_client *cl)
{
	struct out_chunk *c = cl->out_head;
	int ret;

	if (!c || cp_io_writing(&cl->io) || cl->closing)
		return;
	ret = cp_io_write(&cl->io, c->data, c->len, on_written);
	if (ret < 0) {
		cp_dbg("control: client write: %s", strerror(-ret));
		client_close(cl);
	}
}

static void on_written(struct cp_io *io, int err)
{
	struct cp_client *cl = io->data;
	struct out_chunk *c = cl->out_head;

	if (err < 0) {
		client_close(cl);
		return;
	}
	cl->out_head = c->next;
	if (!cl->out_head)
		cl->out_tail = NULL;
	cl->out_bytes -= c->len;
	cl->last_active_ns = cp_loop_now_ns(); /* it reads its answers */
	free(c);
	out_kick(cl);
	if (cl->eof) {
		if (!cl->out_head)
			client_close(cl);
		return;
	}
	if (!cl->reading && !cl->closing &&
	    cl->out_bytes <= cl->srv->conf.max_output / 2)
		client_resume(cl);
}

/* Queue one JSON message (a line). Steals j. */
static void send_json(struct cp_client *cl, json_t *j)
{
	size_t n;
	struct out_chunk *c;

	if (!j)
		return;
	n = json_dumpb(j, NULL, 0, JSON_COMPACT);
	c = malloc(sizeof(*c) + n + 1);
	if (!c || json_dumpb(j, c->data, n, JSON_COMPACT) != n) {
		cp_err("control: no memory for a response");
		free(c);
		json_decref(j);
		client_close(cl);
		return;
	}
	json_decref(j);
	c->data[n] = '\n';
	c->len = (uint32_t)(n + 1);
	c->next = NULL;
	if (cl->out_tail)
		cl->out_tail->next = c;
	else
		cl->out_head = c;
	cl->out_tail = c;
	cl->out_bytes += c->len;
	if (cl->out_bytes > cl->srv->st.out_queued_max)
		cl->srv->st.out_queued_max = cl->out_bytes;
	out_kick(cl);
}

static void send_error(struct cp_client *cl, json_t *id,
		       const struct cp_error *e)
{
	cl->srv->st.errors++;
	send_json(cl, cp_request_error(id, e));
}

/* ---- stats streams ---- */

static void watch_stop(struct cp_client *cl)
{
	struct cp_watch *w = cl->watch;

	if (!w)
		return;
	cp_timer_stop(&w->timer);
	json_decref(w->id);
	free(w);
	cl->watch = NULL;
}

static void on_watch_tick(struct cp_timer *t)
{
	struct cp_watch *w = t->data;
	struct cp_client *cl = w->cl;
	struct cp_error e = {0};
	json_t *r, *j;

	/* From the deadline, not from now: updates keep their period. */
	cp_timer_again(&w->timer, w->interval_ms);
	/* Behind: the update waiting (or being written) is enough. */
	if (cl->out_head) {
		w->coalesced++;
		cl->srv->st.stream_coalesced++;
		return;
	}
	r = cp_cmds_exec(cl->srv->cmds, CP_CMD_SHOW_STATS, NULL, &e);
	if (!r) {
		send_error(cl, w->id, &e);
		return;
	}
	j = json_object();
	json_object_set(j, "id", w->id);
	json_object_set_new(j, "event", json_string("stats"));
	json_object_set_new(j, "seq", json_integer((json_int_t)++w->seq));
	json_object_set_new(j, "coalesced",
			    json_integer((json_int_t)w->coalesced));
	json_object_set_new(j, "result", r);
	cl->srv->st.stream_sent++;
	send_json(cl, j);
}

static void watch_start(struct cp_client *cl, json_t *id, uint32_t ms)
{
	struct cp_watch *w = cl->watch;

	if (!w) {
		w = calloc(1, sizeof(*w));
		if (!w)
			return;
		w->cl = cl;
		cp_timer_init(&w->timer, cl->srv->loop, on_watch_tick, w);
		cl->watch = w;
	}
	json_decref(w->id);
	w->id = json_incref(id ? id : json_null());
	w->interval_ms = ms;
	cp_timer_start(&w->timer, ms);
}

/* ---- requests ---- */

static void handle_request(struct cp_client *cl, const char *buf, size_t len)
{
	struct cp_server *s = cl->srv;
	struct cp_request_auth auth = {
		.token = cl->tcp ? s->conf.token : NULL,
		.authed = cl->authed,
	};
	struct cp_request_out o;
	json_t *resp;

	resp = cp_request_run(s->cmds, buf, len, &auth, &o);
	if (!resp)
		return; /* a blank line */
	cl->authed = auth.authed;
	s->st.requests++;
	if (!o.ok)
		s->st.errors++;
	if (o.watch_ms >= 0) {
		json_t *r = json_object_get(resp, "result");

		/* What the previous stream of this client came to. */
		if (cl->watch) {
			json_object_set_new(
				r, "sent",
				json_integer((json_int_t)cl->watch->seq));
			json_object_set_new(
				r, "coalesced",
				json_integer((json_int_t)cl->watch->coalesced));
		}
		if (o.watch_ms)
			watch_start(cl, o.id, (uint32_t)o.watch_ms);
		else
			watch_stop(cl);
	}
	json_decref(o.id);
	send_json(cl, resp);
}

static int in_append(struct cp_client *cl, const char *p, size_t n)
{
	size_t need = (size_t)cl->in_len + n;

	if (need > UINT32_MAX)
		return -ENOMEM;
	if (need > cl->in_cap) {
		/* size_t: doubling past 2 GiB (a max_request that large)
		 * must not wrap to 0 and loop. */
		size_t cap = cl->in_cap ? cl->in_cap : 256;
		char *b;

		while (cap < need)
			cap *= 2;
		if (cap > UINT32_MAX)
			cap = need;
		b = realloc(cl->in, cap);
		if (!b)
			return -ENOMEM;
		cl->in = b;
		cl->in_cap = (uint32_t)cap;
	}
	memcpy(cl->in + cl->in_len, p, n);
	cl->in_len = (uint32_t)need;
	return 0;
}

static void in_reset(struct cp_client *cl)
{
	free(cl->in);
	cl->in = NULL;
	cl->in_len = cl->in_cap = 0;
}

static void too_large(struct cp_client *cl)
{
	struct cp_error e;

	cp_error_set(&e, CP_E_TOO_LARGE, "",
		     "request longer than %u bytes: skipped",
		     cl->srv->conf.max_request);
	cl->srv->st.requests++;
	send_error(cl, NULL, &e);
	in_reset(cl);
	cl->discarding = true;
}

static void on_data(struct cp_client *cl, const char *p, size_t n)
{
	uint32_t max = cl->srv->conf.max_request;

	while (n && !cl->closing) {
		const char *nl = memchr(p, '\n', n);
		size_t part = nl ? (size_t)(nl - p) : n;

		/* Many short requests in one read can each queue a long
		 * answer: past max_output keep the rest of the read for when
		 * the client has drained its answers, instead of queueing
		 * them all. */
		if (cl->out_bytes > cl->srv->conf.max_output) {
			cl->rest = malloc(n);
			if (!cl->rest) {
				client_close(cl);
				return;
			}
			memcpy(cl->rest, p, n);
			cl->rest_len = (uint32_t)n;
			return;
		}

		if (cl->discarding) {
			if (nl)
				cl->discarding = false;
		} else if (cl->in_len + part > max) {
			too_large(cl);
			if (nl)
				cl->discarding = false;
		} else if (!nl) {
			if (in_append(cl, p, part) < 0)
				client_close(cl);
		} else if (cl->in_len) {
			if (in_append(cl, p, part) < 0) {
				client_close(cl);
				return;
			}
			handle_request(cl, cl->in, cl->in_len);
			in_reset(cl);
		} else {
			/* The whole line is in the loop's buffer. */
			handle_request(cl, p, part);
		}
		if (!nl)
			return;
		n -= part + 1;
		p = nl + 1;
	}
}

static void on_read(struct cp_io *io, const void *data, ssize_t n)
{
	struct cp_client *cl = io->data;

	cl->reading = false;
	if (n == 0) {
		/* Shut down for writing (or gone): answer what came, an
		 * unterminated last line too, then close. Closing at once
		 * would drop answers still queued or being written. */
		cl->eof = true;
		if (cl->in_len && !cl->discarding) {
			handle_request(cl, cl->in, cl->in_len);
			in_reset(cl);
		}
		if (!cl->out_head && !cl->closing)
			client_close(cl);
		return;
	}
	if (n < 0) {
		if (n != -ECONNRESET)
			cp_dbg("control: client read: %s", strerror((int)-n));
		client_close(cl);
		return;
	}
	cl->last_active_ns = cp_loop_now_ns();
	on_data(cl, data, (size_t)n);
	if (cl->closing)
		return;
	if (cl->rest || cl->out_bytes > cl->srv->conf.max_output) {
		/* Backpressure: resumes from on_written. */
		cl->srv->st.read_paused++;
		return;
	}
	client_read(cl);
}

static void client_read(struct cp_client *cl)
{
	int ret = cp_io_read(&cl->io, on_read);

	if (ret < 0) {
		cp_dbg("control: arming a read: %s", strerror(-ret));
		client_close(cl);
		return;
	}
	cl->reading = true;
}

/* Output drained to half of max_output: the kept rest of a read first,
 * then reading again (unless the rest filled the queue once more). */
static void client_resume(struct cp_client *cl)
{
	char *r = cl->rest;

	if (r) {
		cl->rest = NULL;
		on_data(cl, r, cl->rest_len);
		free(r);
		if (cl->closing || cl->rest ||
		    cl->out_bytes > cl->srv->conf.max_output)
			return;
	}
	client_read(cl);
}

/* ---- clients ---- */

static void on_client_closed(struct cp_io *io)
{
	struct cp_client *cl = io->data;
	struct cp_server *s = cl->srv;

	if (cl->prev)
		cl->prev->next = cl->next;
	else
		s->clients = cl->next;
	if (cl->next)
		cl->next->prev = cl->prev;
	while (cl->out_head) {
		struct out_chunk *c = cl->out_head;

		cl->out_head = c->next;
		free(c);
	}
	in_reset(cl);
	free(cl->rest);
	s->st.clients--;
	free(cl);
}

static void client_close(struct cp_client *cl)
{
	if (cl->closing)
		return;
	cl->closing = true;
	watch_stop(cl);
	cp_io_close(&cl->io, on_client_closed);
}

static void reject(struct cp_server *s, int fd)
{
	static const char msg[] =
		"{\"id\":null,\"ok\":false,\"error\":{\"code\":\"" CP_E_TOO_MANY
		"\",\"message\":\"too many clients\"}}\n";

	s->st.rejected++;
	/* Best effort: the socket buffer of a new connection is empty. */
	if (send(fd, msg, sizeof(msg) - 1, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		cp_dbg("control: rejecting a client: %s", strerror(errno));
	close(fd);
}

static void on_accept(struct cp_io *io, int fd);

static void on_accept_retry(struct cp_timer *t)
{
	struct listener *ls = t->data;
	int ret;

	if (!ls->open)
		return;
	ret = cp_io_accept(&ls->io, on_accept);
	if (ret < 0 && ret != -EBUSY) {
		/* Never give up on accepting: try again in a second. */
		cp_err("control: cannot re-arm accept: %s: retrying in 1 s",
		       strerror(-ret));
		cp_timer_start(&ls->retry, 1000);
	}
}

static void on_accept(struct cp_io *io, int fd)
{
	struct listener *ls = io->data;
	struct cp_server *s = ls->srv;
	struct cp_client *cl;

	if (fd < 0) {
		if (fd == -EMFILE || fd == -ENFILE || fd == -ENOMEM ||
		    fd == -ENOBUFS) {
			uint64_t now = cp_loop_now_ns();

			if (now - s->last_emfile_log > 1000000000ull) {
				cp_warn("control: accept: %s (%llu clients): "
					"pausing 100 ms",
					strerror(-fd),
					(unsigned long long)s->st.clients);
				s->last_emfile_log = now;
			}
			cp_timer_start(&ls->retry, 100);
			return;
		}
		if (fd != -ECONNABORTED && fd != -EINTR)
			cp_warn("control: accept: %s", strerror(-fd));
		goto rearm;
	}
	if (s->st.clients >= s->conf.max_clients) {
		reject(s, fd);
		goto rearm;
	}
	cl = calloc(1, sizeof(*cl));
	if (!cl) {
		reject(s, fd);
		goto rearm;
	}
	if (s->conf.sndbuf)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &s->conf.sndbuf,
			   sizeof(s->conf.sndbuf));
	cl->srv = s;
	cl->tcp = ls->tcp;
	cl->last_active_ns = cp_loop_now_ns();
	cp_io_init(&cl->io, s->loop, fd, cl);
	cl->next = s->clients;
	if (s->clients)
		s->clients->prev = cl;
	s->clients = cl;
	s->st.accepted++;
	if (++s->st.clients > s->st.clients_max)
		s->st.clients_max = s->st.clients;
	client_read(cl);
rearm:
	if (ls->open && cp_io_accept(io, on_accept) < 0)
		cp_timer_start(&ls->retry, 100);
}

static void on_sweep(struct cp_timer *t)
{
	struct cp_server *s = t->data;
	uint64_t now = cp_loop_now_ns();
	uint64_t idle = (uint64_t)s->conf.idle_timeout_ms * 1000000ull;
	struct cp_client *cl, *next;

	for (cl = s->clients; cl; cl = next) {
		next = cl->next;
		/* A stream between updates is not idle; a client with answers
		 * queued is if it has not taken any for the timeout: it holds
		 * up to max_output and stops nothing else. */
		if (cl->closing || (cl->watch && !cl->out_head))
			continue;
		if (now - cl->last_active_ns > idle) {
			s->st.idle_closed++;
			client_close(cl);
		}
	}
	cp_timer_start(t, s->conf.idle_timeout_ms / 4 < 1000
				  ? s->conf.idle_timeout_ms / 4 + 1
				  : 1000);
}

/* ---- listeners ---- */

static int listen_unix(struct cp_server *s, char *err, size_t errlen)
{
	const struct cp_server_conf *c = &s->conf;
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	struct stat sb;
	int fd, ret;

	if (strlen(c->path) >= sizeof(a.sun_path)) {
		snprintf(err, errlen, "control socket %s: path too long",
			 c->path);
		return -ENAMETOOLONG;
	}
	strcpy(a.sun_path, c->path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail_errno;
	if (lstat(c->path, &sb) == 0) {
		int probe;

		if (!S_ISSOCK(sb.st_mode)) {
			snprintf(err, errlen,
				 "control socket %s: exists and is not a "
				 "socket",
				 c->path);
			close(fd);
			return -EEXIST;
		}
		probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (probe >= 0 &&
		    connect(probe, (struct sockaddr *)&a, sizeof(a)) == 0) {
			close(probe);
			close(fd);
			snprintf(err, errlen,
				 "control socket %s: another daemon is "
				 "listening on it",
				 c->path);
			return -EADDRINUSE;
		}
		if (probe >= 0)
			close(probe);
		/* Left by a crashed run. */
		unlink(c->path);
	}
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		goto fail_errno;
	s->path_bound = true;
	if (chmod(c->path, c->mode) < 0)
		goto fail_errno;
	if (c->group[0]) {
		struct group gr, *res = NULL;
		char buf[4096];

		ret = getgrnam_r(c->group, &gr, buf, sizeof(buf), &res);
		if (ret || !res) {
			snprintf(err, errlen,
				 "control socket %s: unknown group '%s'",
				 c->path, c->group);
			close(fd);
			return -ENOENT;
		}
		if (chown(c->path, (uid_t)-1, gr.gr_gid) < 0)
			goto fail_errno;
	}
	if (listen(fd, 4096) < 0)
		goto fail_errno;
	cp_io_init(&s->lunix.io, s->loop, fd, &s->lunix);
	return fd;
fail_errno:
	ret = -errno;
	snprintf(err, errlen, "control socket %s: %s", c->path, strerror(-ret));
	if (fd >= 0)
		close(fd);
	return ret;
}

static int listen_tcp(struct cp_server *s, char *err, size_t errlen)
{
	const struct cp_server_conf *c = &s->conf;
	struct sockaddr_storage ss = {0};
	struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
	socklen_t sl;
	bool loopback;
	int fd, ret, one = 1;

	if (inet_pton(AF_INET, c->tcp_addr, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(c->tcp_port);
		sl = sizeof(*a4);
		loopback = (ntohl(a4->sin_addr.s_addr) >> 24) == 127;
	} else if (inet_pton(AF_INET6, c->tcp_addr, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(c->tcp_port);
		sl = sizeof(*a6);
		loopback = IN6_IS_ADDR_LOOPBACK(&a6->sin6_addr);
	} else {
		snprintf(err, errlen, "control tcp: invalid address '%s'",
			 c->tcp_addr);
		return -EINVAL;
	}
	if (!loopback && !c->tcp_allow_remote) {
		snprintf(err, errlen,
			 "control tcp: %s is not a loopback address (set "
			 "tcp_allow_remote to listen on it)",
			 c->tcp_addr);
		return -EPERM;
	}
	if (!c->token[0]) {
		snprintf(err, errlen, "control tcp: a token is required");
		return -EINVAL;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd < 0)
		goto fail_errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, 4096) < 0)
		goto fail_errno;
	sl = sizeof(ss);
	getsockname(fd, (struct sockaddr *)&ss, &sl);
	s->tcp_port =
		ntohs(ss.ss_family == AF_INET ? a4->sin_port : a6->sin6_port);
	cp_io_init(&s->ltcp.io, s->loop, fd, &s->ltcp);
	return fd;
fail_errno:
	ret = -errno;
	snprintf(err, errlen, "control tcp %s:%u: %s", c->tcp_addr, c->tcp_port,
		 strerror(-ret));
	if (fd >= 0)
		close(fd);
	return ret;
}

static void raise_nofile(uint32_t want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		cp_warn("control: cannot raise RLIMIT_NOFILE: %s",
			strerror(errno));
	if (rl.rlim_cur < want)
		cp_warn("control: RLIMIT_NOFILE %llu is below the %u fds "
			"max_clients needs",
			(unsigned long long)rl.rlim_cur, want);
}

static void on_listener_closed(struct cp_io *io)
{
	struct listener *ls = io->data;

	ls->open = false;
}

int cp_server_new(struct cp_server **out, struct cp_loop *l,
		  const struct cp_server_conf *conf, struct cp_cmds *cmds,
		  char *err, size_t errlen)
{
	struct cp_server *s = calloc(1, sizeof(*s));
	int ret;

	if (!s)
		return -ENOMEM;
	s->loop = l;
	s->cmds = cmds;
	s->conf = *conf;
	if (!s->conf.max_request)
		s->conf.max_request = 64 * 1024;
	if (!s->conf.max_output)
		s->conf.max_output = 1024 * 1024;
	if (!s->conf.max_clients)
		s->conf.max_clients = 16384;
	raise_nofile(s->conf.max_clients > UINT32_MAX - 256
			     ? UINT32_MAX
			     : s->conf.max_clients + 256);
	s->lunix.srv = s->ltcp.srv = s;
	s->ltcp.tcp = true;
	cp_timer_init(&s->lunix.retry, l, on_accept_retry, &s->lunix);
	cp_timer_init(&s->ltcp.retry, l, on_accept_retry, &s->ltcp);
	cp_timer_init(&s->sweep, l, on_sweep, s);
	if (s->conf.path[0]) {
		ret = listen_unix(s, err, errlen);
		if (ret < 0)
			goto fail;
		s->lunix.open = true;
		ret = cp_io_accept(&s->lunix.io, on_accept);
		if (ret < 0)
			goto fail;
	}
	if (s->conf.tcp_addr[0]) {
		ret = listen_tcp(s, err, errlen);
		if (ret < 0)
			goto fail;
		s->ltcp.open = true;
		ret = cp_io_accept(&s->ltcp.io, on_accept);
		if (ret < 0)
			goto fail;
	}
	if (s->conf.idle_timeout_ms)
		cp_timer_start(&s->sweep, 1000);
	cp_info("control socket %s%s%s listening (max %u clients)",
		s->conf.path, s->conf.tcp_addr[0] ? ", tcp " : "",
		s->conf.tcp_addr, s->conf.max_clients);
	*out = s;
	return 0;
fail:
	if (!err[0])
		snprintf(err, errlen, "control socket: %s", strerror(-ret));
	cp_server_free(s);
	return ret;
}

void cp_server_free(struct cp_server *s)
{
	if (!s)
		return;
	cp_timer_stop(&s->sweep);
	cp_timer_stop(&s->lunix.retry);
	cp_timer_stop(&s->ltcp.retry);
	if (s->lunix.open)
		cp_io_close(&s->lunix.io, on_listener_closed);
	if (s->ltcp.open)
		cp_io_close(&s->ltcp.io, on_listener_closed);
	for (struct cp_client *cl = s->clients; cl; cl = cl->next)
		client_close(cl);
	for (int i = 0;
	     i < 1000 && (s->clients || s->lunix.open || s->ltcp.open); i++)
		cp_loop_run_once(s->loop, 10);
	if (s->clients)
		cp_err("control: %llu clients did not close",
		       (unsigned long long)s->st.clients);
	if (s->path_bound)
		unlink(s->conf.path);
	free(s);
}

void cp_server_get_stats(const struct cp_server *s, struct cp_server_stats *st)
{
	*st = s->st;
}

uint16_t cp_server_tcp_port(const struct cp_server *s)
{
	return s->tcp_port;
}
