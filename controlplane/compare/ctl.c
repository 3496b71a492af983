// SPDX-License-Identifier: MIT
/*
 * The control-socket driver: runs the compare runner's steps against a live
 * linerated through its newline-delimited JSON socket, with the verbs any
 * client has (gen set/start/stop, stats clear, show stats/workers/ports).
 *
 * One trial: `gen set` (rate, size, flows, unbounded), `stats clear`,
 * `gen start`, sleep the duration, `gen stop`, a short drain, `show stats`.
 * Offered = the generator port's transmitted packets, forwarded = the sink
 * port's received packets (deltas of `show ports`); DUT cycles are the busy
 * cycles of the workers that poll the DUT ports and not the generator's port,
 * over the elapsed TSC time; syscalls and ring drops come from the DUT ports'
 * backend xstats ("syscalls"; drops: "kernel_drops", "imissed",
 * "rx_missed_errors", "rx_nombuf", AF_XDP's "xsk_rx_dropped",
 * "xsk_rx_ring_full", "xdp_redirect_err") when `show ports` carries them.
 *
 * Mode switch: one `port backend` request naming every DUT port (the
 * daemon switches them as one batch, all or nothing, any backend: dpdk,
 * afxdp, every kernel model); when the daemon has no such verb or refuses
 * the switch, a hook command if one was given (--mode-hook: restarts the
 * daemon with the mode's config) after which the driver reconnects; else
 * only the mode the DUT ports already run is accepted.
 */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "compare.h"
#include "ctl.h"

#define CTL_TIMEOUT_MS 10000
/* A backend switch closes and opens sockets, XDP programs and DPDK
 * devices; closing waits for kernel RCU grace periods, which take seconds
 * on a machine whose CPUs are all busy polling. */
#define CTL_SWITCH_TIMEOUT_MS 120000
#define DRAIN_STEP_S   0.05
#define DRAIN_MAX      60 /* 3 s at most */
/* A generator reprogrammed by `gen set` takes its time base then; a worker
 * still in the poll that started before it would see time run backwards
 * (dp gen.c), so give the workers a moment before `gen start`. */
#define GEN_SETTLE_S 0.02

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_s(double s)
{
	struct timespec ts = {(time_t)s, (long)((s - (time_t)s) * 1e9)};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void ctl_close(struct cp_cmp_ctl *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->inlen = 0;
}

static int ctl_connect(struct cp_cmp_ctl *c, char *err, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	ctl_close(c);
	if (strlen(c->socket) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "ctl: socket path too long");
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, c->socket);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "ctl: socket: %s", strerror(errno));
		return -errno;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int rc = -errno;

		snprintf(err, errlen, "ctl: connect %s: %s", c->socket,
			 strerror(errno));
		close(fd);
		return rc;
	}
	c->fd = fd;
	return 0;
}

/* One request, one response; returns the "result" (new reference), or
 * NULL with err (and *code: the daemon's error code, "" for transport). */
static json_t *ctl_call(struct cp_cmp_ctl *c, const char *cmd, json_t *args,
			char *code, size_t codelen, char *err, size_t errlen)
{
	json_t *req, *resp = NULL, *res = NULL;
	char *line;
	size_t len, off = 0;
	int rc, tmo = strcmp(cmd, "port backend") ? CTL_TIMEOUT_MS
						  : CTL_SWITCH_TIMEOUT_MS;

	if (code)
		code[0] = '\0';
	if (c->fd < 0 && ctl_connect(c, err, errlen))
		goto out_args;
	req = json_pack("{s:I, s:s}", "id", (json_int_t)++c->id, "cmd", cmd);
	if (args)
		json_object_set(req, "args", args);
	line = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (!line) {
		snprintf(err, errlen, "ctl: %s: out of memory", cmd);
		goto out_args;
	}
	len = strlen(line);
	line[len] = '\n'; /* json_dumps leaves room for the NUL */
	while (off < len + 1) {
		ssize_t w =
			send(c->fd, line + off, len + 1 - off, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			snprintf(err, errlen, "ctl: %s: send: %s", cmd,
				 strerror(errno));
			free(line);
			ctl_close(c);
			goto out_args;
		}
		off += (size_t)w;
	}
	free(line);
	for (;;) {
		char *nl = memchr(c->in, '\n', c->inlen);
		struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
		ssize_t r;

		if (nl) {
			json_error_t je;
			size_t n = (size_t)(nl - c->in) + 1;

			*nl = '\0';
			resp = json_loads(c->in, 0, &je);
			memmove(c->in, c->in + n, c->inlen - n);
			c->inlen -= n;
			if (!resp) {
				snprintf(err, errlen, "ctl: %s: bad reply: %s",
					 cmd, je.text);
				goto out_args;
			}
			/* skip stream events and replies to older ids */
			if (json_object_get(resp, "event") ||
			    json_integer_value(json_object_get(resp, "id")) !=
				    (json_int_t)c->id) {
				json_decref(resp);
				resp = NULL;
				continue;
			}
			break;
		}
		if (c->inlen == sizeof(c->in)) {
			snprintf(err, errlen, "ctl: %s: reply over %zu bytes",
				 cmd, sizeof(c->in));
			ctl_close(c);
			goto out_args;
		}
		rc = poll(&pfd, 1, tmo);
		if (rc == 0) {
			snprintf(err, errlen, "ctl: %s: no reply in %d ms", cmd,
				 tmo);
			ctl_close(c);
			goto out_args;
		}
		r = rc < 0 ? -1
			   : recv(c->fd, c->in + c->inlen,
				  sizeof(c->in) - c->inlen, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			snprintf(err, errlen, "ctl: %s: %s", cmd,
				 r == 0 ? "daemon closed the connection"
					: strerror(errno));
			ctl_close(c);
			goto out_args;
		}
		c->inlen += (size_t)r;
	}
	if (json_is_true(json_object_get(resp, "ok"))) {
		res = json_incref(json_object_get(resp, "result"));
		if (!res)
			res = json_object();
	} else {
		json_t *e = json_object_get(resp, "error");
		const char *m =
			json_string_value(json_object_get(e, "message"));
		const char *k = json_string_value(json_object_get(e, "code"));

		if (code)
			snprintf(code, codelen, "%s", k ? k : "");
		snprintf(err, errlen, "%s: %s", cmd, m ? m : "failed");
	}
	json_decref(resp);
out_args:
	json_decref(args);
	return res;
}

static bool in_list(const char *list, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = list; p && *p;) {
		const char *e = strchr(p, ',');
		size_t l = e ? (size_t)(e - p) : strlen(p);

		if (l == n && !strncmp(p, name, n))
			return true;
		p = e ? e + 1 : NULL;
	}
	return false;
}

/* Which workers are the DUT: they poll a DUT port and not the generator's. */
static int find_dut_workers(struct cp_cmp_ctl *c, char *err, size_t errlen)
{
	json_t *r = ctl_call(c, "show workers", NULL, NULL, 0, err, errlen);
	json_t *w;
	size_t i;

	if (!r)
		return -EIO;
	memset(c->dut_worker, 0, sizeof(c->dut_worker));
	c->shared_core = false;
	json_array_foreach(json_object_get(r, "workers"), i, w)
	{
		json_t *q;
		size_t k;
		bool dut = false, gen = false;
		json_int_t id =
			json_integer_value(json_object_get(w, "worker"));

		json_array_foreach(json_object_get(w, "rxq"), k, q)
		{
			const char *p =
				json_string_value(json_object_get(q, "port"));

			if (p && in_list(c->dut_ports, p))
				dut = true;
			if (p && !strcmp(p, c->gen_port))
				gen = true;
		}
		if (dut && id >= 0 && id < CP_CMP_CTL_WORKERS) {
			c->dut_worker[id] = true;
			c->shared_core |= gen;
		}
	}
	json_decref(r);
	for (i = 0; i < CP_CMP_CTL_WORKERS; i++)
		if (c->dut_worker[i])
			return 0;
	snprintf(err, errlen, "ctl: no worker polls the DUT ports '%s'",
		 c->dut_ports);
	return -ENOENT;
}

/* Sum of the DUT ports' backend counters, and their backend. */
static int port_xstats(struct cp_cmp_ctl *c, uint64_t *syscalls,
		       uint64_t *drops, bool *have_sys, bool *have_drops,
		       char *backend, size_t blen, char *err, size_t errlen,
		       uint64_t *gen_tx, uint64_t *sink_rx)
{
	static const char *const drop_names[] = {
		"kernel_drops",	    "imissed",
		"rx_missed_errors", "rx_nombuf",
		"rx_ring_full",	    "rx_dropped",
		"xsk_rx_dropped",   "xsk_rx_ring_full",
		"xdp_redirect_err", NULL};
	json_t *r = ctl_call(c, "show ports", NULL, NULL, 0, err, errlen);
	json_t *p;
	size_t i;

	if (!r)
		return -EIO;
	*syscalls = *drops = 0;
	*have_sys = *have_drops = false;
	json_array_foreach(json_object_get(r, "ports"), i, p)
	{
		const char *name =
			json_string_value(json_object_get(p, "name"));
		json_t *x = json_object_get(p, "xstats");
		json_t *v;

		if (name && gen_tx && !strcmp(name, c->gen_port))
			*gen_tx = (uint64_t)json_integer_value(
				json_object_get(p, "tx_pkts"));
		if (name && sink_rx && !strcmp(name, c->sink_port))
			*sink_rx = (uint64_t)json_integer_value(
				json_object_get(p, "rx_pkts"));
		if (!name || !in_list(c->dut_ports, name))
			continue;
		if (backend && blen && !backend[0])
			snprintf(
				backend, blen, "%s/%s",
				json_string_value(json_object_get(p, "backend"))
					?: "?",
				json_string_value(json_object_get(p, "io_mode"))
					?: "");
		if (!json_is_object(x))
			continue;
		v = json_object_get(x, "syscalls");
		if (json_is_integer(v)) {
			*syscalls += (uint64_t)json_integer_value(v);
			*have_sys = true;
		}
		for (int k = 0; drop_names[k]; k++) {
			v = json_object_get(x, drop_names[k]);
			if (json_is_integer(v)) {
				*drops += (uint64_t)json_integer_value(v);
				*have_drops = true;
			}
		}
	}
	json_decref(r);
	return 0;
}

static int ctl_set_mode(void *ctx, const struct cp_cmp_mode *m, char *desc,
			size_t desclen, char *err, size_t errlen)
{
	struct cp_cmp_ctl *c = ctx;
	char code[32], cur[96] = "";
	uint64_t a, b;
	bool ha, hb;
	json_t *r;
	int rc;

	/* 1. the daemon switches every DUT port in one `port backend` batch
	 * (all or nothing). No dev: each port keeps its interface, carried
	 * across backends by the daemon; a mode's own devargs (dpdk:DEV)
	 * give one device per DUT port, ';'-separated. */
	if (c->fd >= 0 || !ctl_connect(c, err, errlen)) {
		json_t *args = json_pack("{s:s, s:s, s:s, s:b, s:b}", "port",
					 c->dut_ports, "backend", m->backend,
					 "io_model", m->io_model, "xdp_skb",
					 m->xdp_skb, "zerocopy", m->zerocopy);

		if (m->dev[0])
			json_object_set_new(args, "dev", json_string(m->dev));
		r = ctl_call(c, "port backend", args, code, sizeof(code), err,
			     errlen);
		if (r) {
			json_decref(r);
			goto switched;
		}
		/* Refused (a device the new backend cannot use ...): the
		 * ports run their old backends; a hook can still restart
		 * linerated on the mode's own configuration. */
		if (strcmp(code, "unknown_command") && !c->mode_hook[0])
			return -EIO;
	} else if (!c->mode_hook[0]) {
		return -ECONNREFUSED; /* nothing running, no hook to start it */
	}
	/* 2. a hook restarts linerated with the mode's configuration */
	if (c->mode_hook[0]) {
		char cmd[1024], name[256], line[512], last[512] = "";
		FILE *p;

		ctl_close(c);
		/* The mode name carries user text (dpdk:DEVARGS): one shell
		 * word whatever it holds, and never a cut command line. */
		if (cp_cmp_shell_quote(name, sizeof(name), m->name) ||
		    snprintf(cmd, sizeof(cmd), "%s %s 2>&1", c->mode_hook,
			     name) >= (int)sizeof(cmd)) {
			snprintf(err, errlen, "mode hook: command too long");
			return -ENAMETOOLONG;
		}
		p = popen(cmd, "r");
		if (!p) {
			snprintf(err, errlen, "mode hook: %s", strerror(errno));
			return -errno;
		}
		while (fgets(line, sizeof(line), p))
			if (line[0] != '\n')
				snprintf(last, sizeof(last), "%s", line);
		rc = pclose(p);
		last[strcspn(last, "\n")] = '\0';
		if (rc == -1 || !WIFEXITED(rc) || WEXITSTATUS(rc)) {
			snprintf(err, errlen, "mode hook failed (exit %d): %s",
				 rc == -1 || !WIFEXITED(rc) ? -1
							    : WEXITSTATUS(rc),
				 last);
			return -EIO;
		}
		for (int i = 0; i < 100; i++) { /* the daemon comes up */
			if (!ctl_connect(c, err, errlen))
				goto switched;
			sleep_s(0.1);
		}
		return -ECONNREFUSED;
	}
	/* 3. no way to switch: only the running mode can be measured */
	rc = port_xstats(c, &a, &b, &ha, &hb, cur, sizeof(cur), err, errlen,
			 NULL, NULL);
	if (rc)
		return rc;
	if (strncmp(cur, m->backend, strlen(m->backend)) ||
	    (m->io_model[0] && !strstr(cur, m->io_model))) {
		snprintf(err, errlen,
			 "linerated runs %s on the DUT ports and has no `port "
			 "backend` verb (dp.h: no run-time backend switch); "
			 "give a mode hook (--mode-hook) to restart it",
			 cur);
		return -EOPNOTSUPP;
	}
switched:
	rc = find_dut_workers(c, err, errlen);
	if (rc)
		return rc;
	cur[0] = '\0';
	rc = port_xstats(c, &a, &b, &ha, &hb, cur, sizeof(cur), err, errlen,
			 NULL, NULL);
	if (rc)
		return rc;
	snprintf(desc, desclen, "%s%s", cur,
		 c->shared_core ? " (DUT shares its core with the generator)"
				: "");
	return 0;
}

static int ctl_trial(void *ctx, const struct cp_cmp_trial_req *req,
		     struct cp_cmp_sample *s, char *err, size_t errlen)
{
	struct cp_cmp_ctl *c = ctx;
	uint64_t sys0, sys1, dr0, dr1, gtx0 = 0, gtx1 = 0, srx0 = 0, srx1 = 0;
	bool hs, hd;
	double t0, t1, hz;
	json_t *r, *w, *tot;
	size_t i;
	int rc;

	r = ctl_call(c, "gen set",
		     json_pack("{s:s, s:I, s:I, s:I, s:I}", "port", c->gen_port,
			       "rate", (json_int_t)llround(req->rate), "count",
			       (json_int_t)0, "size", (json_int_t)req->frame,
			       "flows", (json_int_t)req->flows),
		     NULL, 0, err, errlen);
	if (!r)
		return -EIO;
	json_decref(r);
	sleep_s(GEN_SETTLE_S);
	/* The port snapshot first, then the clear: a straggler of the last
	 * trial that reaches the sink in between is in the port delta but
	 * not in the sink's own count (sink <= port window), never the
	 * other way round. */
	rc = port_xstats(c, &sys0, &dr0, &hs, &hd, NULL, 0, err, errlen, &gtx0,
			 &srx0);
	if (rc)
		return rc;
	r = ctl_call(c, "stats clear", NULL, NULL, 0, err, errlen);
	if (!r)
		return -EIO;
	json_decref(r);
	t0 = now_s();
	r = ctl_call(c, "gen start", json_pack("{s:s}", "port", c->gen_port),
		     NULL, 0, err, errlen);
	if (!r)
		return -EIO;
	json_decref(r);
	sleep_s(req->duration - (now_s() - t0));
	r = ctl_call(c, "gen stop", json_pack("{s:s}", "port", c->gen_port),
		     NULL, 0, err, errlen);
	if (!r)
		return -EIO;
	json_decref(r);
	/* What is in flight still arrives (queues of an overloaded kernel
	 * model hold 100 ms and more): wait until the sink stops counting,
	 * so late packets belong to the trial that sent them. */
	for (int k = 0; k < DRAIN_MAX; k++) {
		uint64_t prev = srx1;

		sleep_s(DRAIN_STEP_S);
		rc = port_xstats(c, &sys1, &dr1, &hs, &hd, NULL, 0, err, errlen,
				 &gtx1, &srx1);
		if (rc)
			return rc;
		if (k > 0 && srx1 == prev)
			break;
	}
	r = ctl_call(c, "show stats", NULL, NULL, 0, err, errlen);
	t1 = now_s();
	if (!r)
		return -EIO;
	hz = (double)json_integer_value(json_object_get(r, "tsc_hz"));
	tot = json_object_get(r, "total");
	memset(s, 0, sizeof(*s));
	s->duration = req->duration;
	/* Packet counts from the ports (raw counters, deltas here):
	 * `stats clear` resets the sinks, and the daemon's show stats
	 * then reports sink counters against a base taken before the
	 * reset. Latency: only when the sink's own count is consistent. */
	s->tx = gtx1 >= gtx0 ? gtx1 - gtx0 : 0;
	s->rx = srx1 >= srx0 ? srx1 - srx0 : 0;
	{
		json_t *sink = json_object_get(tot, "sink");
		uint64_t pk = (uint64_t)json_integer_value(
			json_object_get(sink, "pkts"));
		uint64_t lc = (uint64_t)json_integer_value(
			json_object_get(sink, "lat_count"));

		s->lat_p50_ns = s->lat_p99_ns = NAN;
		if (lc && pk * 10 >= s->rx * 9 &&
		    pk <= s->rx + s->rx / 100 + 64) {
			s->lat_p50_ns = json_number_value(
				json_object_get(sink, "lat_p50_ns"));
			s->lat_p99_ns = json_number_value(
				json_object_get(sink, "lat_p99_ns"));
		}
	}
	json_array_foreach(json_object_get(r, "workers"), i, w)
	{
		json_int_t id =
			json_integer_value(json_object_get(w, "worker"));

		if (id < 0 || id >= CP_CMP_CTL_WORKERS || !c->dut_worker[id])
			continue;
		s->dut_pkts += (uint64_t)json_integer_value(
			json_object_get(w, "rx_pkts"));
		s->dut_tx += (uint64_t)json_integer_value(
			json_object_get(w, "tx_pkts"));
		s->have_dut_tx = true;
		s->dut_busy_cyc += (uint64_t)json_integer_value(
			json_object_get(w, "busy_cycles"));
		s->dut_total_cyc += (uint64_t)(hz * (t1 - t0));
		s->tx_full += (uint64_t)json_integer_value(json_object_get(
			json_object_get(w, "drops"), "tx_full"));
	}
	json_decref(r);
	s->have_cycles = hz > 0 && s->dut_total_cyc > 0;
	s->have_syscalls = hs;
	s->syscalls = hs && sys1 >= sys0 ? sys1 - sys0 : 0;
	s->have_drops = true;
	s->ring_drops = hd && dr1 >= dr0 ? dr1 - dr0 : 0;
	return 0;
}

void cp_cmp_ctl_init(struct cp_cmp_ctl *c)
{
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	snprintf(c->socket, sizeof(c->socket), "/run/linerate/linerated.sock");
	snprintf(c->gen_port, sizeof(c->gen_port), "gen");
	snprintf(c->sink_port, sizeof(c->sink_port), "sink");
	snprintf(c->dut_ports, sizeof(c->dut_ports), "dut0,dut1");
}

void cp_cmp_ctl_driver(struct cp_cmp_ctl *c, struct cp_cmp_driver *d)
{
	d->ctx = c;
	d->set_mode = ctl_set_mode;
	d->trial = ctl_trial;
}

void cp_cmp_ctl_fini(struct cp_cmp_ctl *c)
{
	ctl_close(c);
}
