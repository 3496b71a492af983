/* SPDX-License-Identifier: MIT */
/*
 * The control plane as linerated runs it: one thread, the event loop, the
 * control socket, /metrics, signals (SIGTERM/SIGINT stop, SIGHUP reloads
 * the config file), the dataplane's housekeeping, sd_notify.
 *
 * linerated's main:
 *   cp_daemon_conf_init(&cc);
 *   cp_daemon_take_args(&cc, &argc, argv, err, len)   before its getopt
 *   cp_daemon_conf_merge(&cc, &file_control)          the config's control:
 *                                                     (options win)
 *   cp_daemon_block_signals()                         before any thread
 *   ... dp_create, dp_start ...
 *   cp_daemon_run(&cc, &cp_dp_real_ops, dp, &hooks, err, len)
 */
#ifndef CP_DAEMON_H
#define CP_DAEMON_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "cp_dp.h"
#include "loop.h"
#include "server.h"

#define CP_DEFAULT_SOCKET CP_CTL_DEFAULT_SOCKET

struct cp_daemon_conf {
	enum cp_loop_backend loop;
	struct cp_server_conf srv;
	bool socket_explicit; /* --socket given (or the config's
			       * control.socket): failing to listen is fatal */
	bool control; /* false: --no-control (or control.socket: none) */
	char metrics_addr[64]; /* "" : no /metrics */
	uint16_t metrics_port;
	bool metrics_allow_remote; /* control.metrics_allow_remote */
	char save_path[256]; /* --save-to: where `config save` writes */
	char token_file[256]; /* where srv.token came from */
	unsigned int given; /* 1u << CP_CTL_x: set by a command-line option */
};

struct cp_daemon_hooks {
	void *arg;
	/* Called every stats_interval_ms (0: never). */
	void (*stats)(void *arg);
	uint32_t stats_interval_ms;
	uint32_t duration_ms; /* stop after (0: until signalled) */
	const atomic_bool *stop; /* polled every 100 ms when set */
	void (*housekeeping)(void *arg); /* about once a second */
};

void cp_daemon_conf_init(struct cp_daemon_conf *c);
/* Take the control-plane options out of argv (the rest is left in order
 * for the caller's getopt): --socket PATH, --socket-mode OCTAL,
 * --socket-group NAME, --no-control, --loop auto|uring|epoll,
 * --metrics ADDR:PORT, --control-tcp ADDR:PORT, --token-file FILE,
 * --max-clients N, --idle-timeout MS, --save-to FILE, --log-level LEVEL.
 * Returns 0 or -EINVAL with err naming the option. */
int cp_daemon_take_args(struct cp_daemon_conf *c, int *argc, char **argv,
			char *err, size_t errlen);
void cp_daemon_usage(FILE *f);
/* The config file's control: section under the command line: every key
 * no option set (c->given) takes the file's value. */
void cp_daemon_conf_merge(struct cp_daemon_conf *c,
			  const struct cp_control_conf *file);
/* The merged settings' rules that no one source can decide (control over
 * TCP needs a token, from either): 0 or -EINVAL with err. cp_daemon_run
 * calls it first; call it after the merge to refuse earlier. */
int cp_daemon_conf_check(const struct cp_daemon_conf *c, char *err,
			 size_t errlen);
/* The settings c runs with, as a control: section (for config save). */
void cp_daemon_conf_control(const struct cp_daemon_conf *c,
			    struct cp_control_conf *out);
/* Block SIGTERM, SIGINT, SIGHUP in the calling thread, so every thread
 * created afterwards (EAL, workers) inherits the mask and the control
 * plane's signalfd sees them all. */
void cp_daemon_block_signals(void);
/* Run until stopped. 0, or -errno when the control plane could not start
 * (err says what). */
int cp_daemon_run(const struct cp_daemon_conf *c, const struct cp_dp_ops *ops,
		  void *dp, const struct cp_daemon_hooks *hooks, char *err,
		  size_t errlen);

#endif
