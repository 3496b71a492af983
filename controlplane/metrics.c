// SPDX-License-Identifier: MIT
/*
 * /metrics: rendering (Prometheus text format 0.0.4) and the small HTTP/1.1
 * server in front of it. One response per request, keep-alive honoured,
 * at most METRICS_CONNS connections (a new one, when all are taken,
 * replaces the one idle longest, so idle connections cannot lock the
 * scraper out); bodies are built with open_memstream and freed once
 * written.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <http_parser.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "metrics.h"

#define METRICS_CONNS	64
#define METRICS_URL_MAX 256

/* ---- rendering ---- */

static void family(FILE *f, const char *name, const char *type,
		   const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

struct worker_snap {
	struct dp_worker_stats s;
	struct dp_worker_info wi;
	bool ok;
};

#define WORKER_COUNTER(name, member, help)                                     \
	do {                                                                   \
		family(f, "linerate_worker_" name "_total", "counter", help);  \
		for (unsigned int w = 0; w < nw; w++)                          \
			if (ws[w].ok)                                          \
				fprintf(f,                                     \
					"linerate_worker_" name                \
					"_total{worker=\"%u\",core=\"%d\"} "   \
					"%llu\n",                              \
					w, ws[w].wi.core,                      \
					(unsigned long long)ws[w].s.member);   \
	} while (0)

static void render_latency(FILE *f, const struct cp_dp_ops *ops,
			   const struct dp_sink_stats *sink, uint64_t hz)
{
	uint64_t acc = 0, total = 0;
	double sum = 0, low = 0;
	unsigned int i;

	family(f, "linerate_sink_latency_seconds", "histogram",
	       "Latency the sinks measured for generated packets (sum "
	       "approximated from the bucket bounds).");
	if (!hz)
		hz = 1;
	for (i = 0; i < DP_LAT_BUCKETS; i++) {
		uint64_t up = ops->lat_bucket_upper(i);

		total += sink->lat[i];
		sum += (double)sink->lat[i] *
		       (up == UINT64_MAX ? low : (low + (double)up) / 2) /
		       (double)hz;
		low = (double)up;
	}
	/* One bucket per power of two of TSC cycles, 2^6 .. 2^40. */
	for (i = 0; i < DP_LAT_BUCKETS; i++) {
		uint64_t up = ops->lat_bucket_upper(i);

		acc += sink->lat[i];
		if (up == UINT64_MAX || up < (1ull << 6) || up > (1ull << 40) ||
		    (up & (up - 1)))
			continue;
		fprintf(f,
			"linerate_sink_latency_seconds_bucket{le=\"%.9g\"} "
			"%llu\n",
			(double)up / (double)hz, (unsigned long long)acc);
	}
	fprintf(f, "linerate_sink_latency_seconds_bucket{le=\"+Inf\"} %llu\n",
		(unsigned long long)total);
	fprintf(f, "linerate_sink_latency_seconds_sum %.9g\n", sum);
	fprintf(f, "linerate_sink_latency_seconds_count %llu\n",
		(unsigned long long)total);
}

int cp_metrics_render(struct cp_cmds *cmds, const struct cp_server *srv,
		      const char *loop_name, FILE *f)
{
	const struct cp_dp_ops *ops = cp_cmds_ops(cmds);
	void *dp = cp_cmds_dp(cmds);
	const struct dp_config *conf = ops->config(dp);
	unsigned int nw = ops->worker_count(dp);
	struct worker_snap *ws = calloc(nw ? nw : 1, sizeof(*ws));
	struct dp_worker_stats *tot = calloc(1, sizeof(*tot));

	if (!ws || !tot) {
		free(ws);
		free(tot);
		return -ENOMEM;
	}
	for (unsigned int w = 0; w < nw; w++) {
		ws[w].ok = ops->stats_worker(dp, w, &ws[w].s) == 0 &&
			   ops->worker_get(dp, w, &ws[w].wi) == 0;
		if (!ws[w].ok)
			continue;
		tot->tsc_hz = ws[w].s.tsc_hz;
		for (unsigned int p = 0; p < DP_PORT_MAX; p++) {
			tot->port[p].rx_pkts += ws[w].s.port[p].rx_pkts;
			tot->port[p].tx_pkts += ws[w].s.port[p].tx_pkts;
			tot->port[p].rx_bytes += ws[w].s.port[p].rx_bytes;
			tot->port[p].tx_bytes += ws[w].s.port[p].tx_bytes;
		}
		for (unsigned int i = 0; i < DP_LAT_BUCKETS; i++)
			tot->sink.lat[i] += ws[w].s.sink.lat[i];
	}

	family(f, "linerate_up", "gauge", "1 while linerated serves.");
	fprintf(f, "linerate_up 1\n");
	family(f, "linerate_info", "gauge",
	       "Build and run facts as labels (value 1).");
	fprintf(f, "linerate_info{version=\"%s\",loop=\"%s\"} 1\n", CP_VERSION,
		loop_name ? loop_name : "");
	family(f, "linerate_tsc_hz", "gauge", "TSC frequency cycles count at.");
	fprintf(f, "linerate_tsc_hz %llu\n", (unsigned long long)tot->tsc_hz);

	WORKER_COUNTER("rx_packets", rx_pkts, "Packets a worker received.");
	WORKER_COUNTER("tx_packets", tx_pkts, "Packets a worker sent.");
	WORKER_COUNTER("busy_cycles", busy_cycles,
		       "TSC cycles of polls that moved packets.");
	WORKER_COUNTER("idle_cycles", idle_cycles,
		       "TSC cycles of polls that found nothing.");
	WORKER_COUNTER("polls", polls, "RX polls.");
	WORKER_COUNTER("empty_polls", empty_polls,
		       "RX polls that found nothing.");
	WORKER_COUNTER("rx_bursts", rx_bursts, "Non-empty RX bursts.");
	WORKER_COUNTER("fast_bursts", fast_bursts,
		       "RX bursts the io fast path handed to the peer in one "
		       "call (what it did not take is counted tx_full).");
	WORKER_COUNTER("l2_learn_events", l2_learn_events,
		       "L2 learn events queued to the control thread.");
	WORKER_COUNTER("l2_learn_drops", l2_learn_drops,
		       "L2 learn events lost: the worker's learn ring was full.");
	WORKER_COUNTER("gen_packets", gen.pkts, "Packets the generator sent.");
	WORKER_COUNTER("gen_no_buf", gen.no_buf,
		       "Generator bursts without buffers.");
	WORKER_COUNTER("sink_packets", sink.pkts, "Packets the sink counted.");
	WORKER_COUNTER("sink_lost", sink.lost, "Sequence gaps at the sink.");
	WORKER_COUNTER("sink_reordered", sink.reordered,
		       "Packets the sink saw out of order.");
	WORKER_COUNTER("sink_dup", sink.dup, "Packets the sink saw twice.");

	family(f, "linerate_drops_total", "counter",
	       "Packets dropped, by worker and reason (dataplane/lr_reasons.h).");
	for (unsigned int w = 0; w < nw; w++) {
		if (!ws[w].ok)
			continue;
		for (unsigned int r = 1; r < LR_R__COUNT; r++)
			fprintf(f,
				"linerate_drops_total{worker=\"%u\",core=\"%d\","
				"reason=\"%s\"} %llu\n",
				w, ws[w].wi.core, lr_reason_name(r),
				(unsigned long long)ws[w].s.drops[r]);
	}

	family(f, "linerate_port_up", "gauge",
	       "1 when the port is administratively up.");
	for (uint16_t p = 0; p < conf->nb_ports; p++) {
		const struct dp_port *dp_p = ops->port_get(dp, p);

		fprintf(f, "linerate_port_up{port=\"%s\",backend=\"%s\"} %d\n",
			conf->ports[p].conf.name, conf->ports[p].conf.backend,
			dp_p && dp_p->up);
	}
#define PORT_COUNTER(nm, mb, help)                                             \
	do {                                                                   \
		family(f, "linerate_port_" nm "_total", "counter", help);      \
		for (uint16_t p = 0; p < conf->nb_ports && p < DP_PORT_MAX;    \
		     p++)                                                      \
			fprintf(f,                                             \
				"linerate_port_" nm "_total{port=\"%s\"} "     \
				"%llu\n",                                      \
				conf->ports[p].conf.name,                      \
				(unsigned long long)tot->port[p].mb);          \
	} while (0)
	PORT_COUNTER("rx_packets", rx_pkts, "Packets received on a port.");
	PORT_COUNTER("tx_packets", tx_pkts, "Packets sent on a port.");
	PORT_COUNTER("rx_bytes", rx_bytes, "Bytes received on a port.");
	PORT_COUNTER("tx_bytes", tx_bytes, "Bytes sent on a port.");
#undef PORT_COUNTER

	render_latency(f, ops, &tot->sink, tot->tsc_hz);

	if (srv) {
		struct cp_server_stats st;

		cp_server_get_stats(srv, &st);
		family(f, "linerate_control_clients", "gauge",
		       "Clients connected to the control socket.");
		fprintf(f, "linerate_control_clients %llu\n",
			(unsigned long long)st.clients);
		family(f, "linerate_control_output_queued_max_bytes", "gauge",
		       "Most response bytes ever queued for one control "
		       "client.");
		fprintf(f, "linerate_control_output_queued_max_bytes %llu\n",
			(unsigned long long)st.out_queued_max);
#define SRV_COUNTER(name, member, help)                                        \
	do {                                                                   \
		family(f, "linerate_control_" name "_total", "counter", help); \
		fprintf(f, "linerate_control_" name "_total %llu\n",           \
			(unsigned long long)st.member);                        \
	} while (0)
		SRV_COUNTER("accepted", accepted, "Control clients accepted.");
		SRV_COUNTER("rejected", rejected,
			    "Control clients refused (max_clients).");
		SRV_COUNTER("requests", requests, "Control requests.");
		SRV_COUNTER("errors", errors,
			    "Control requests answered with "
			    "an error.");
		SRV_COUNTER("stream_sent", stream_sent,
			    "Stats stream updates "
			    "sent.");
		SRV_COUNTER("stream_coalesced", stream_coalesced,
			    "Stats stream updates skipped for a slow client.");
#undef SRV_COUNTER
	}
	free(ws);
	free(tot);
	return ferror(f) ? -EIO : 0;
}

/* ---- HTTP ---- */

struct mconn {
	struct cp_io io;
	struct cp_metrics *m;
	struct mconn *prev, *next;
	http_parser parser;
	char url[METRICS_URL_MAX];
	size_t url_len;
	char *resp;
	size_t resp_len;
	/* Bytes of a read after a complete request (pipelined requests),
	 * parsed once its answer is written. At most one read's worth. */
	char *rest;
	size_t rest_len;
	uint64_t last_ns; /* accepted or last request answered */
	bool complete, keep_alive, closing;
};

struct cp_metrics {
	struct cp_loop *loop;
	struct cp_cmds *cmds;
	const struct cp_server *srv;
	struct cp_io lio;
	struct mconn *conns;
	bool open;
	unsigned int nconns;
	uint16_t port;
};

static http_parser_settings settings;

static int on_url(http_parser *p, const char *at, size_t len)
{
	struct mconn *c = p->data;

	if (c->url_len + len >= sizeof(c->url))
		return 1; /* too long: parse error, 400 */
	memcpy(c->url + c->url_len, at, len);
	c->url_len += len;
	c->url[c->url_len] = 0;
	return 0;
}

static int on_complete(http_parser *p)
{
	struct mconn *c = p->data;

	c->complete = true;
	c->keep_alive = http_should_keep_alive(p);
	http_parser_pause(p, 1); /* one request at a time */
	return 0;
}

static void conn_closed(struct cp_io *io)
{
	struct mconn *c = io->data;

	if (c->prev)
		c->prev->next = c->next;
	else
		c->m->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->m->nconns--;
	free(c->resp);
	free(c->rest);
	free(c);
}

static void conn_close(struct mconn *c)
{
	if (c->closing)
		return;
	c->closing = true;
	cp_io_close(&c->io, conn_closed);
}

static void conn_read(struct mconn *c);
static void conn_feed(struct mconn *c, const char *data, size_t n);

static void on_written(struct cp_io *io, int err)
{
	struct mconn *c = io->data;
	char *r = c->rest;

	free(c->resp);
	c->resp = NULL;
	if (err < 0 || !c->keep_alive) {
		conn_close(c);
		return;
	}
	c->complete = false;
	c->url_len = 0;
	c->url[0] = 0;
	c->last_ns = cp_loop_now_ns();
	http_parser_pause(&c->parser, 0);
	if (r) {
		/* The next pipelined request is already here. */
		c->rest = NULL;
		conn_feed(c, r, c->rest_len);
		free(r);
		return;
	}
	conn_read(c);
}

static void respond(struct mconn *c, int status, const char *reason,
		    const char *ctype, const char *body, size_t blen, bool head)
{
	FILE *f = open_memstream(&c->resp, &c->resp_len);

	if (!f) {
		conn_close(c);
		return;
	}
	fprintf(f,
		"HTTP/1.1 %d %s\r\nContent-Type: %s\r\n"
		"Content-Length: %zu\r\nConnection: %s\r\n\r\n",
		status, reason, ctype, blen,
		c->keep_alive ? "keep-alive" : "close");
	if (!head)
		fwrite(body, 1, blen, f);
	fclose(f);
	if (cp_io_write(&c->io, c->resp, c->resp_len, on_written) < 0)
		conn_close(c);
}

static void handle(struct mconn *c)
{
	enum http_method m = (enum http_method)c->parser.method;
	bool head = m == HTTP_HEAD;
	char *body = NULL;
	size_t blen = 0;
	FILE *f;
	static const char text[] = "text/plain; charset=utf-8";

	if (m != HTTP_GET && !head) {
		respond(c, 405, "Method Not Allowed", text, "GET only\n", 9,
			head);
		return;
	}
	if (strcmp(c->url, "/metrics") && strncmp(c->url, "/metrics?", 9)) {
		static const char nf[] = "not found: try /metrics\n";

		respond(c, 404, "Not Found", text, nf, sizeof(nf) - 1, head);
		return;
	}
	f = open_memstream(&body, &blen);
	if (!f ||
	    cp_metrics_render(c->m->cmds, c->m->srv,
			      cp_loop_backend_name(cp_loop_backend(c->m->loop)),
			      f) < 0) {
		if (f)
			fclose(f);
		free(body);
		respond(c, 500, "Internal Server Error", text, "error\n", 6,
			head);
		return;
	}
	fclose(f);
	respond(c, 200, "OK", "text/plain; version=0.0.4; charset=utf-8", body,
		blen, head);
	free(body);
}

/* Parse n bytes; answer a complete request (what follows it waits in
 * rest until the answer is written: the parser is paused). */
static void conn_feed(struct mconn *c, const char *data, size_t n)
{
	size_t done = http_parser_execute(&c->parser, &settings, data, n);

	if (HTTP_PARSER_ERRNO(&c->parser) != HPE_OK &&
	    HTTP_PARSER_ERRNO(&c->parser) != HPE_PAUSED) {
		static const char bad[] = "bad request\n";

		c->keep_alive = false;
		respond(c, 400, "Bad Request", "text/plain", bad,
			sizeof(bad) - 1, false);
		return;
	}
	if (c->complete) {
		if (done < n && c->keep_alive) {
			c->rest = malloc(n - done);
			if (!c->rest) {
				conn_close(c);
				return;
			}
			memcpy(c->rest, data + done, n - done);
			c->rest_len = n - done;
		}
		handle(c);
		return;
	}
	conn_read(c);
}

static void on_read(struct cp_io *io, const void *data, ssize_t n)
{
	struct mconn *c = io->data;

	if (n <= 0) {
		conn_close(c);
		return;
	}
	conn_feed(c, data, (size_t)n);
}

static void conn_read(struct mconn *c)
{
	if (cp_io_read(&c->io, on_read) < 0)
		conn_close(c);
}

/* All connections taken: close the one idle longest (waiting for a
 * request, not answering one). Its slot frees when its close completes,
 * so the count may pass METRICS_CONNS by the closes in flight. */
static bool evict_idle(struct cp_metrics *m)
{
	struct mconn *old = NULL;

	for (struct mconn *c = m->conns; c; c = c->next)
		if (!c->closing && !c->complete &&
		    (!old || c->last_ns < old->last_ns))
			old = c;
	if (!old)
		return false;
	conn_close(old);
	return true;
}

static void on_accept(struct cp_io *io, int fd)
{
	struct cp_metrics *m = io->data;
	struct mconn *c;
	unsigned int closing = 0;

	for (c = m->conns; c; c = c->next)
		closing += c->closing;
	if (fd >= 0) {
		bool room = m->nconns - closing < METRICS_CONNS ||
			    evict_idle(m);

		c = room ? calloc(1, sizeof(*c)) : NULL;
		if (!c) {
			close(fd);
		} else {
			m->nconns++;
			c->m = m;
			c->next = m->conns;
			if (m->conns)
				m->conns->prev = c;
			m->conns = c;
			cp_io_init(&c->io, m->loop, fd, c);
			c->last_ns = cp_loop_now_ns();
			http_parser_init(&c->parser, HTTP_REQUEST);
			c->parser.data = c;
			conn_read(c);
		}
	}
	if (m->open && cp_io_accept(io, on_accept) < 0)
		cp_err("metrics: cannot re-arm accept");
}

int cp_metrics_new(struct cp_metrics **out, struct cp_loop *l,
		   struct cp_cmds *cmds, const struct cp_server *srv,
		   const char *addr, uint16_t port, bool allow_remote,
		   char *err, size_t errlen)
{
	struct sockaddr_storage ss = {0};
	struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
	struct cp_metrics *m;
	socklen_t sl;
	bool loopback;
	int fd, one = 1, ret;

	settings.on_url = on_url;
	settings.on_message_complete = on_complete;
	if (inet_pton(AF_INET, addr, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(port);
		sl = sizeof(*a4);
		loopback = (ntohl(a4->sin_addr.s_addr) >> 24) == 127;
	} else if (inet_pton(AF_INET6, addr, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(port);
		sl = sizeof(*a6);
		loopback = IN6_IS_ADDR_LOOPBACK(&a6->sin6_addr);
	} else {
		snprintf(err, errlen, "metrics: invalid address '%s'", addr);
		return -EINVAL;
	}
	if (!loopback && !allow_remote) {
		snprintf(err, errlen, "metrics: %s is not a loopback address",
			 addr);
		return -EPERM;
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd < 0)
		goto fail_errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, 128) < 0)
		goto fail_errno;
	sl = sizeof(ss);
	getsockname(fd, (struct sockaddr *)&ss, &sl);
	m->port = ntohs(ss.ss_family == AF_INET ? a4->sin_port : a6->sin6_port);
	m->loop = l;
	m->cmds = cmds;
	m->srv = srv;
	cp_io_init(&m->lio, l, fd, m);
	m->open = true;
	ret = cp_io_accept(&m->lio, on_accept);
	if (ret < 0) {
		snprintf(err, errlen, "metrics: accept: %s", strerror(-ret));
		close(fd);
		free(m);
		return ret;
	}
	cp_info("metrics on http://%s:%u/metrics", addr, m->port);
	*out = m;
	return 0;
fail_errno:
	ret = -errno;
	snprintf(err, errlen, "metrics %s:%u: %s", addr, port, strerror(-ret));
	if (fd >= 0)
		close(fd);
	free(m);
	return ret;
}

uint16_t cp_metrics_port(const struct cp_metrics *m)
{
	return m->port;
}

static void on_listener_closed(struct cp_io *io)
{
	((struct cp_metrics *)io->data)->open = false;
}

void cp_metrics_free(struct cp_metrics *m)
{
	if (!m)
		return;
	cp_io_close(&m->lio, on_listener_closed);
	for (struct mconn *c = m->conns; c; c = c->next)
		conn_close(c);
	for (int i = 0; i < 300 && (m->open || m->nconns); i++)
		cp_loop_run_once(m->loop, 10);
	if (m->nconns)
		cp_warn("metrics: %u connections still open at exit",
			m->nconns);
	else
		free(m);
}
