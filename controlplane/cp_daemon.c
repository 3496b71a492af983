// SPDX-License-Identifier: MIT
/*
 * linerated's control-plane thread: event loop + control socket + metrics +
 * signals + timers, and the command-line options that configure them.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#if CP_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "cmd.h"
#include "cp_addr.h"
#include "cp_daemon.h"
#include "log.h"
#include "metrics.h"

/* Housekeeping period: the dataplane drains the workers' L2 learn rings on
 * every call (a new MAC is learned within this time) and ages once a
 * second. */
#define CP_HK_MS 50

struct daemon {
	const struct cp_daemon_conf *conf;
	const struct cp_daemon_hooks *hooks;
	struct cp_loop *loop;
	struct cp_cmds *cmds;
	struct cp_server *srv;
	struct cp_metrics *metrics;
	struct cp_timer t_stats, t_hk, t_stop, t_duration;
	uint64_t start_ns;
};

static void notify(const char *state)
{
#if CP_HAVE_SYSTEMD
	sd_notify(0, state);
#else
	(void)state;
#endif
}

void cp_daemon_conf_init(struct cp_daemon_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->loop = CP_LOOP_AUTO;
	c->control = true;
	cp_server_conf_init(&c->srv);
	snprintf(c->srv.path, sizeof(c->srv.path), "%s", CP_DEFAULT_SOCKET);
}

void cp_daemon_usage(FILE *f)
{
	fprintf(f,
		"\nControl plane:\n"
		"      --socket PATH        control socket (default %s)\n"
		"      --socket-mode OCTAL  its mode (default 0660)\n"
		"      --socket-group NAME  its group\n"
		"      --no-control         no control socket\n"
		"      --loop BACKEND       event loop: auto (io_uring, else\n"
		"                           epoll), uring, epoll\n"
		"      --metrics ADDR:PORT  serve Prometheus /metrics there\n"
		"                           (loopback unless the config sets\n"
		"                           control.metrics_allow_remote)\n"
		"      --control-tcp ADDR:PORT  also accept control clients on\n"
		"                           TCP (needs --token-file or\n"
		"                           control.token_file; loopback\n"
		"                           unless control.tcp_allow_remote)\n"
		"      --token-file FILE    the token TCP clients must send\n"
		"      --max-clients N      control clients at once (16384)\n"
		"      --idle-timeout MS    close idle clients (300000; 0 never)\n"
		"      --save-to FILE       where `config save` writes by default\n"
		"      --log-level LEVEL    err, warn, info (default), debug\n"
		"These options override the config file's control: section\n"
		"(socket, socket_mode, socket_group, loop, metrics, tcp,\n"
		"token_file, max_clients, idle_timeout_ms, save_to), which\n"
		"overrides the defaults. --no-control overrides control.socket.\n"
		"SIGHUP reloads the config file (as `linerate config reload`);\n"
		"a reload that changes control: (beyond what options override)\n"
		"is refused as a whole, naming the key: restart to change it.\n",
		CP_DEFAULT_SOCKET);
}

/* A number: digits of base only (no sign, blanks or empty string, which
 * strtoul would take as 0 or wrap), at most max. */
static int parse_num(const char *s, int base, unsigned long max,
		     unsigned long *out)
{
	const char *digits = base == 8 ? "01234567" : "0123456789";
	unsigned long v = 0;

	if (!s[0] || strspn(s, digits) != strlen(s))
		return -EINVAL;
	for (; *s; s++) {
		unsigned long d = (unsigned long)(*s - '0');

		if (v > (max - d) / (unsigned long)base)
			return -ERANGE;
		v = v * (unsigned long)base + d;
	}
	*out = v;
	return 0;
}

/* Copy an option's string value; too long for its field is an error, not
 * a silently cut path or name. */
static int copy_val(char *dst, size_t len, const char *val)
{
	if (strlen(val) >= len)
		return -ENAMETOOLONG;
	memcpy(dst, val, strlen(val) + 1);
	return 0;
}

static int read_token(const char *path, char *tok, size_t len, char *err,
		      size_t errlen)
{
	if (strlen(path) >= sizeof(((struct cp_daemon_conf *)0)->token_file)) {
		snprintf(err, errlen, "--token-file %s: path too long", path);
		return -ENAMETOOLONG;
	}
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f) {
		int ret = -errno;

		snprintf(err, errlen, "--token-file %s: %s", path,
			 strerror(-ret));
		return ret;
	}
	n = fread(tok, 1, len - 1, f);
	fclose(f);
	tok[n] = 0;
	if (strlen(tok) != n) {
		/* A NUL would cut the token the server compares short (an
		 * all-NUL file: the empty token). */
		tok[0] = 0;
		snprintf(err, errlen, "--token-file %s: contains a NUL byte",
			 path);
		return -EINVAL;
	}
	while (n &&
	       (tok[n - 1] == '\n' || tok[n - 1] == '\r' || tok[n - 1] == ' '))
		tok[--n] = 0;
	if (n < 8) {
		snprintf(err, errlen,
			 "--token-file %s: token shorter than 8 "
			 "characters",
			 path);
		return -EINVAL;
	}
	return 0;
}

static int take_one(struct cp_daemon_conf *c, const char *opt, const char *val,
		    char *err, size_t errlen)
{
	unsigned long u;
	int r;

	if (!strcmp(opt, "--socket")) {
		if (!val[0] || copy_val(c->srv.path, sizeof(c->srv.path), val))
			goto bad;
		c->socket_explicit = true;
		c->given |= 1u << CP_CTL_SOCKET;
	} else if (!strcmp(opt, "--socket-mode")) {
		if (parse_num(val, 8, 0777, &u))
			goto bad;
		c->srv.mode = (mode_t)u;
		c->given |= 1u << CP_CTL_SOCKET_MODE;
	} else if (!strcmp(opt, "--socket-group")) {
		if (copy_val(c->srv.group, sizeof(c->srv.group), val))
			goto bad;
		c->given |= 1u << CP_CTL_SOCKET_GROUP;
	} else if (!strcmp(opt, "--loop")) {
		r = cp_loop_backend_parse(val);
		if (r < 0)
			goto bad;
		c->loop = (enum cp_loop_backend)r;
		c->given |= 1u << CP_CTL_LOOP;
	} else if (!strcmp(opt, "--metrics")) {
		if (cp_hostport_parse(val, c->metrics_addr,
				      sizeof(c->metrics_addr), &c->metrics_port,
				      NULL))
			goto bad;
		c->given |= 1u << CP_CTL_METRICS;
	} else if (!strcmp(opt, "--control-tcp")) {
		if (cp_hostport_parse(val, c->srv.tcp_addr,
				      sizeof(c->srv.tcp_addr), &c->srv.tcp_port,
				      NULL))
			goto bad;
		c->given |= 1u << CP_CTL_TCP;
	} else if (!strcmp(opt, "--token-file")) {
		r = read_token(val, c->srv.token, sizeof(c->srv.token), err,
			       errlen);
		if (r < 0)
			return r;
		snprintf(c->token_file, sizeof(c->token_file), "%s", val);
		c->given |= 1u << CP_CTL_TOKEN_FILE;
	} else if (!strcmp(opt, "--max-clients")) {
		if (parse_num(val, 10, 1000000, &u) || !u)
			goto bad;
		c->srv.max_clients = (uint32_t)u;
		c->given |= 1u << CP_CTL_MAX_CLIENTS;
	} else if (!strcmp(opt, "--idle-timeout")) {
		if (parse_num(val, 10, 86400000, &u))
			goto bad;
		c->srv.idle_timeout_ms = (uint32_t)u;
		c->given |= 1u << CP_CTL_IDLE_TIMEOUT_MS;
	} else if (!strcmp(opt, "--save-to")) {
		if (!val[0] ||
		    copy_val(c->save_path, sizeof(c->save_path), val))
			goto bad;
		c->given |= 1u << CP_CTL_SAVE_TO;
	} else if (!strcmp(opt, "--log-level")) {
		r = cp_log_level_parse(val);
		if (r < 0)
			goto bad;
		cp_log_set_level((enum cp_log_level)r);
	} else {
		return 1; /* not ours */
	}
	return 0;
bad:
	snprintf(err, errlen, "%s '%s': invalid value", opt, val);
	return -EINVAL;
}

int cp_daemon_take_args(struct cp_daemon_conf *c, int *argc, char **argv,
			char *err, size_t errlen)
{
	static const char *const with_value[] = {
		"--socket",	"--socket-mode", "--socket-group",
		"--loop",	"--metrics",	 "--control-tcp",
		"--token-file", "--max-clients", "--idle-timeout",
		"--save-to",	"--log-level",
	};
	int out = 1;

	for (int i = 1; i < *argc; i++) {
		char *a = argv[i], *eq;
		char opt[32];
		const char *val = NULL;
		bool ours = false;
		int r;

		if (!strcmp(a, "--")) {
			while (i < *argc)
				argv[out++] = argv[i++];
			break;
		}
		if (!strcmp(a, "--no-control")) {
			c->control = false;
			c->given |= 1u << CP_CTL_SOCKET;
			continue;
		}
		eq = strchr(a, '=');
		snprintf(opt, sizeof(opt), "%.*s",
			 eq ? (int)(eq - a) : (int)strlen(a), a);
		for (size_t k = 0; k < sizeof(with_value) / sizeof(*with_value);
		     k++)
			ours |= !strcmp(opt, with_value[k]);
		if (!ours) {
			argv[out++] = a;
			continue;
		}
		if (eq) {
			val = eq + 1;
		} else if (i + 1 < *argc) {
			val = argv[++i];
		} else {
			snprintf(err, errlen, "%s needs a value", opt);
			return -EINVAL;
		}
		r = take_one(c, opt, val, err, errlen);
		if (r < 0)
			return r;
	}
	argv[out] = NULL;
	*argc = out;
	/* TCP needs a token: checked on the merged settings
	 * (cp_daemon_conf_check), the token may come from the file. */
	return 0;
}

int cp_daemon_conf_check(const struct cp_daemon_conf *c, char *err,
			 size_t errlen)
{
	if (c->srv.tcp_addr[0] && !c->srv.token[0]) {
		snprintf(err, errlen,
			 "control over TCP (%s) needs a token: --token-file "
			 "or control.token_file",
			 c->given & (1u << CP_CTL_TCP) ? "--control-tcp"
						       : "control.tcp");
		return -EINVAL;
	}
	return 0;
}

void cp_daemon_conf_merge(struct cp_daemon_conf *c,
			  const struct cp_control_conf *f)
{
#define FROM_FILE(key) (!(c->given & (1u << CP_CTL_##key)))
	if (FROM_FILE(SOCKET) && (f->set & (1u << CP_CTL_SOCKET))) {
		/* A path the file chose, like --socket, must be listened on. */
		snprintf(c->srv.path, sizeof(c->srv.path), "%s",
			 f->socket[0] ? f->socket : CP_DEFAULT_SOCKET);
		c->control = f->socket[0] != '\0';
		c->socket_explicit = c->control;
	}
	if (FROM_FILE(SOCKET_MODE))
		c->srv.mode = (mode_t)f->socket_mode;
	if (FROM_FILE(SOCKET_GROUP))
		snprintf(c->srv.group, sizeof(c->srv.group), "%s",
			 f->socket_group);
	if (FROM_FILE(LOOP)) {
		int r = cp_loop_backend_parse(f->loop);

		c->loop = r < 0 ? CP_LOOP_AUTO : (enum cp_loop_backend)r;
	}
	if (FROM_FILE(TCP)) {
		snprintf(c->srv.tcp_addr, sizeof(c->srv.tcp_addr), "%s",
			 f->tcp_addr);
		c->srv.tcp_port = f->tcp_port;
	}
	c->srv.tcp_allow_remote = f->tcp_allow_remote;
	if (FROM_FILE(TOKEN_FILE) && f->token_file[0]) {
		snprintf(c->token_file, sizeof(c->token_file), "%s",
			 f->token_file);
		snprintf(c->srv.token, sizeof(c->srv.token), "%s", f->token);
	}
	if (FROM_FILE(METRICS)) {
		snprintf(c->metrics_addr, sizeof(c->metrics_addr), "%s",
			 f->metrics_addr);
		c->metrics_port = f->metrics_port;
	}
	c->metrics_allow_remote = f->metrics_allow_remote;
	c->srv.max_request = f->max_request;
	if (FROM_FILE(MAX_CLIENTS))
		c->srv.max_clients = f->max_clients;
	if (FROM_FILE(IDLE_TIMEOUT_MS))
		c->srv.idle_timeout_ms = f->idle_timeout_ms;
	if (FROM_FILE(SAVE_TO))
		snprintf(c->save_path, sizeof(c->save_path), "%s", f->save_to);
#undef FROM_FILE
}

void cp_daemon_conf_control(const struct cp_daemon_conf *c,
			    struct cp_control_conf *out)
{
	cp_control_conf_init(out);
	snprintf(out->socket, sizeof(out->socket), "%s",
		 c->control ? c->srv.path : "");
	out->socket_mode = (unsigned int)c->srv.mode;
	snprintf(out->socket_group, sizeof(out->socket_group), "%s",
		 c->srv.group);
	snprintf(out->loop, sizeof(out->loop), "%s",
		 c->loop == CP_LOOP_URING   ? "uring"
		 : c->loop == CP_LOOP_EPOLL ? "epoll"
					    : "auto");
	snprintf(out->tcp_addr, sizeof(out->tcp_addr), "%s", c->srv.tcp_addr);
	out->tcp_port = c->srv.tcp_port;
	out->tcp_allow_remote = c->srv.tcp_allow_remote;
	snprintf(out->token_file, sizeof(out->token_file), "%s", c->token_file);
	snprintf(out->token, sizeof(out->token), "%s", c->srv.token);
	snprintf(out->metrics_addr, sizeof(out->metrics_addr), "%s",
		 c->metrics_addr);
	out->metrics_port = c->metrics_port;
	out->metrics_allow_remote = c->metrics_allow_remote;
	out->max_request = c->srv.max_request;
	out->max_clients = c->srv.max_clients;
	out->idle_timeout_ms = c->srv.idle_timeout_ms;
	snprintf(out->save_to, sizeof(out->save_to), "%s", c->save_path);
}

void cp_daemon_block_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	/* A client that goes away mid-write is an error, not a signal. */
	signal(SIGPIPE, SIG_IGN);
}

/* ---- running ---- */

static json_t *status_json(void *arg)
{
	struct daemon *d = arg;
	struct cp_server_stats st = {0};

	if (d->srv)
		cp_server_get_stats(d->srv, &st);
	return json_pack(
		"{s:s, s:i, s:s, s:f, s:s, s:I, s:I, s:I, s:I}", "version",
		CP_VERSION, "pid", (int)getpid(), "loop",
		cp_loop_backend_name(cp_loop_backend(d->loop)), "uptime_s",
		(double)(cp_loop_now_ns() - d->start_ns) / 1e9, "socket",
		d->srv ? d->conf->srv.path : "", "clients",
		(json_int_t)st.clients, "requests", (json_int_t)st.requests,
		"errors", (json_int_t)st.errors, "stream_coalesced",
		(json_int_t)st.stream_coalesced);
}

static void stop(struct daemon *d, const char *why)
{
	cp_info("stopping: %s", why);
	notify("STOPPING=1");
	cp_loop_stop(d->loop);
}

static void reload(struct daemon *d)
{
	struct cp_error e = {0};
	json_t *r;

	notify("RELOADING=1");
	r = cp_cmds_exec(d->cmds, CP_CMD_CONFIG_RELOAD, NULL, &e);
	if (r)
		cp_info("SIGHUP: reloaded %s",
			json_string_value(json_object_get(r, "path")));
	else
		cp_err("SIGHUP: reload failed, nothing applied: %s", e.msg);
	json_decref(r);
	notify("READY=1");
}

static void on_signal(struct cp_loop *l, int signo, void *arg)
{
	struct daemon *d = arg;

	if (signo == SIGHUP)
		reload(d);
	else
		stop(d, signo == SIGTERM ? "SIGTERM" : "SIGINT");
}

static void on_stats(struct cp_timer *t)
{
	struct daemon *d = t->data;

	d->hooks->stats(d->hooks->arg);
	cp_timer_again(t, d->hooks->stats_interval_ms);
}

static void on_hk(struct cp_timer *t)
{
	struct daemon *d = t->data;

	d->hooks->housekeeping(d->hooks->arg);
	cp_timer_again(t, CP_HK_MS);
}

static void on_stop_poll(struct cp_timer *t)
{
	struct daemon *d = t->data;

	if (atomic_load(d->hooks->stop))
		stop(d, "stop requested");
	else
		cp_timer_start(t, 100);
}

static void on_duration(struct cp_timer *t)
{
	stop(t->data, "duration over");
}

static int start_server(struct daemon *d, char *err, size_t errlen)
{
	const struct cp_daemon_conf *c = d->conf;
	struct cp_server_conf sc = c->srv;
	char dir[sizeof(sc.path)];
	int ret;

	if (!c->control) {
		sc.path[0] = 0;
		if (!sc.tcp_addr[0])
			return 0;
	}
	if (sc.path[0]) {
		/* /run/linerate when not made by systemd's RuntimeDirectory */
		snprintf(dir, sizeof(dir), "%s", sc.path);
		mkdir(dirname(dir), 0755);
	}
	ret = cp_server_new(&d->srv, d->loop, &sc, d->cmds, err, errlen);
	if (ret < 0 && c->control && !c->socket_explicit && !sc.tcp_addr[0]) {
		/* The default path is a convenience: another daemon (a test
		 * running beside this one) may hold it. */
		cp_warn("%s: running without a control socket (pass --socket "
			"to choose one)",
			err);
		err[0] = 0;
		d->srv = NULL;
		return 0;
	}
	return ret;
}

int cp_daemon_run(const struct cp_daemon_conf *c, const struct cp_dp_ops *ops,
		  void *dp, const struct cp_daemon_hooks *hooks, char *err,
		  size_t errlen)
{
	static const int sigs[] = {SIGTERM, SIGINT, SIGHUP};
	struct daemon d = {.conf = c, .hooks = hooks};
	int ret;

	err[0] = 0;
	ret = cp_daemon_conf_check(c, err, errlen);
	if (ret < 0)
		return ret;
	d.start_ns = cp_loop_now_ns();
	ret = cp_loop_new(&d.loop, c->loop);
	if (ret < 0) {
		snprintf(err, errlen, "event loop: %s", strerror(-ret));
		return ret;
	}
	ret = cp_loop_signals(d.loop, sigs, 3, on_signal, &d);
	if (ret < 0) {
		snprintf(err, errlen, "signalfd: %s", strerror(-ret));
		goto out_loop;
	}
	ret = cp_cmds_new(&d.cmds, ops, dp);
	if (ret < 0)
		goto out_loop;
	cp_cmds_set_status(d.cmds, status_json, &d);
	if (c->save_path[0])
		cp_cmds_set_save_path(d.cmds, c->save_path);
	ret = start_server(&d, err, errlen);
	if (ret < 0)
		goto out_cmds;
	if (c->metrics_addr[0]) {
		ret = cp_metrics_new(&d.metrics, d.loop, d.cmds, d.srv,
				     c->metrics_addr, c->metrics_port,
				     c->metrics_allow_remote, err, errlen);
		if (ret < 0)
			goto out_srv;
	}
	cp_timer_init(&d.t_stats, d.loop, on_stats, &d);
	cp_timer_init(&d.t_hk, d.loop, on_hk, &d);
	cp_timer_init(&d.t_stop, d.loop, on_stop_poll, &d);
	cp_timer_init(&d.t_duration, d.loop, on_duration, &d);
	if (hooks->stats && hooks->stats_interval_ms)
		cp_timer_start(&d.t_stats, hooks->stats_interval_ms);
	if (hooks->housekeeping)
		cp_timer_start(&d.t_hk, CP_HK_MS);
	if (hooks->stop)
		cp_timer_start(&d.t_stop, 100);
	if (hooks->duration_ms)
		cp_timer_start(&d.t_duration, hooks->duration_ms);
	cp_info("control plane up: %s loop%s%s",
		cp_loop_backend_name(cp_loop_backend(d.loop)),
		d.srv ? ", socket " : "", d.srv ? c->srv.path : "");
	notify("READY=1");
	ret = cp_loop_run(d.loop);
	cp_timer_stop(&d.t_stats);
	cp_timer_stop(&d.t_hk);
	cp_timer_stop(&d.t_stop);
	cp_timer_stop(&d.t_duration);
	if (ret < 0)
		snprintf(err, errlen, "event loop: %s", strerror(-ret));
	cp_metrics_free(d.metrics);
out_srv:
	cp_server_free(d.srv);
out_cmds:
	cp_cmds_free(d.cmds);
out_loop:
	cp_loop_free(d.loop);
	return ret;
}
