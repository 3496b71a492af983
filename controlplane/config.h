/* SPDX-License-Identifier: MIT */
/*
 * linerated's YAML config (libyaml) -> the validated model (dataplane's
 * dp_conf.h). The whole file is parsed and checked (types, ranges, names,
 * cross references) before anything is applied; an error names
 * FILE:LINE:COLUMN and the field path, e.g.
 *   lab.yaml:12:15: ports[1].generator.flows: 70000 is not in 1..65536
 *
 * Schema (every key optional unless marked *):
 *
 *   eal:
 *     file_prefix: lr-lab      # default lr-<pid>: unique per process
 *     memory_mb: 256           # default: computed from the mempool
 *     hugepages: auto          # auto | true (require) | false (--no-huge)
 *     in_memory: false
 *     main_core: 0             # CPU of the control thread (-1: leave)
 *     log_level: notice
 *     args: [--vdev=..., ...]  # extra EAL arguments, verbatim
 *   ports:                     # * one or more
 *     - name: p0               # *
 *       backend: dpdk          # dpdk | afxdp | kernel
 *       dev: net_null0         # * devargs (dpdk) or interface name
 *       io_model: epoll-lt     # kernel backend
 *       rx_ring: 1024
 *       tx_ring: 1024
 *       mtu: 1500
 *       mac: 02:00:00:00:00:01
 *       xdp_skb: false         # afxdp
 *       zerocopy: false        # afxdp
 *       force: false           # afxdp
 *       sqpoll_cpu: -1         # kernel, uring-sqpoll
 *       mode: io               # io | macswap | l2 | l3
 *       peer: p1               # io: output port (default: itself)
 *       acl: false             # run the ACL in front of the mode
 *       rx: forward            # forward | sink | drop
 *       generator:             # TX-side traffic generator
 *         ip_version: 4        # 4 | 6 | 46 (both, alternating flows)
 *         frame_size: 64       # 64..1518 (with FCS) | imix
 *         flows: 1             # 1..65536
 *         rate_pps: 0          # 0 or max: as fast as possible
 *         count: 0             # stop after (0: unlimited)
 *         src_mac: ...         # default: the port's MAC
 *         dst_mac: 02:00:00:00:00:02
 *         src_ip: 198.18.0.1
 *         dst_ip: 198.19.0.1   # flow f: dst_ip + f * dst_step
 *         src_ip6: 2001:db8::1
 *         dst_ip6: 2001:db8:1::1
 *         sport: 1024          # flow f: sport + f % 1024
 *         dport: 9
 *         dst_step: 1
 *         autostart: true
 *   workers:                   # default: one worker on the last CPU
 *     - core: 1                #   polling every port
 *       ports: [p0, p1]        # default: every port
 *   l2: {learning: false, flood: true, aging_s: 300, size: 4096}
 *   macs:
 *     - {mac: 02:00:00:00:00:09, port: p1}
 *   routes:
 *     - {prefix: 10.0.0.0/8, port: p1, via: 10.1.0.2}  # no via: connected
 *   neighbours:
 *     - {ip: 10.1.0.2, mac: 02:00:00:00:00:09, port: p1}  # port optional
 *   routes_generate: {count: 1000000, seed: 1, port: p1, via: 10.1.0.2}
 *   acl:
 *     default: permit          # permit | deny
 *     rules:                   # first match wins
 *       - {action: deny, proto: udp, src: 10.0.0.0/8, dst: ::/0,
 *          sport: 0-65535, dport: 53}
 *   stats_interval_ms: 0       # linerated prints per-core stats
 *   duration_ms: 0             # stop after (0: until signalled)
 *   control:                   # the control plane (struct cp_control_conf)
 *     socket: /run/linerate/linerated.sock  # none: no unix socket
 *     socket_mode: "0660"      # octal
 *     socket_group: linerate   # default: leave the creator's
 *     loop: auto               # auto (io_uring, else epoll) | uring | epoll
 *     tcp: 127.0.0.1:9478      # ADDR:PORT, [::1]:PORT; needs token_file
 *     tcp_allow_remote: false  # else tcp must be a loopback address
 *     token_file: /etc/linerate/token  # read (>= 8 chars) when loaded
 *     metrics: 127.0.0.1:9477  # Prometheus /metrics (default: none)
 *     metrics_allow_remote: false
 *     max_request: 65536       # bytes per request line
 *     max_clients: 16384
 *     idle_timeout_ms: 300000  # close idle clients (0: never)
 *     save_to: /etc/linerate/saved.yaml  # `config save` default path
 *
 * linerated's command-line options override the control: keys they name.
 * None of control: can change at run time: once cp_config_control_pin()
 * has been called, a load whose control: section differs from the pinned
 * one (in a key the command line did not override) is refused, naming the
 * key: "FILE:L:C: control.socket: cannot change at run time ...".
 */
#ifndef CP_CONFIG_H
#define CP_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "dp_conf.h"

/*
 * The control: section, one list: the enum, the key names, the emitter
 * (config_save.c) and the run-time change check are generated from it.
 */
#define CP_CTL_KEYS(X)                                                     \
	X(SOCKET, "socket")                                                \
	X(SOCKET_MODE, "socket_mode")                                      \
	X(SOCKET_GROUP, "socket_group")                                    \
	X(LOOP, "loop")                                                    \
	X(TCP, "tcp")                                                      \
	X(TCP_ALLOW_REMOTE, "tcp_allow_remote")                            \
	X(TOKEN_FILE, "token_file")                                        \
	X(METRICS, "metrics")                                              \
	X(METRICS_ALLOW_REMOTE, "metrics_allow_remote")                    \
	X(MAX_REQUEST, "max_request")                                      \
	X(MAX_CLIENTS, "max_clients")                                      \
	X(IDLE_TIMEOUT_MS, "idle_timeout_ms")                              \
	X(SAVE_TO, "save_to")

enum cp_ctl_key {
#define CP_CTL_ENUM(e, name) CP_CTL_##e,
	CP_CTL_KEYS(CP_CTL_ENUM)
#undef CP_CTL_ENUM
	CP_CTL__COUNT
};

#define CP_CTL_DEFAULT_SOCKET "/run/linerate/linerated.sock"
#define CP_CTL_MAX_REQUEST_MIN 256
#define CP_CTL_MAX_REQUEST_MAX (64u << 20)

/* The control plane's settings. Defaults (cp_control_conf_init) are
 * linerated's: the default socket, 0660, auto loop, 64 KiB requests,
 * 16384 clients, 300 s idle timeout, no TCP, no metrics. */
struct cp_control_conf {
	char socket[108];      /* "" : none */
	unsigned int socket_mode;
	char socket_group[64]; /* "" : leave */
	char loop[8];          /* auto, uring or epoll */
	char tcp_addr[64];     /* "" : no TCP listener */
	uint16_t tcp_port;
	bool tcp_allow_remote;
	char token_file[256];
	char token[128];       /* token_file's content (never emitted) */
	char metrics_addr[64]; /* "" : no /metrics */
	uint16_t metrics_port;
	bool metrics_allow_remote;
	uint32_t max_request;
	uint32_t max_clients;
	uint32_t idle_timeout_ms;
	char save_to[256];
	/* Where each key's value was (0: not given), and the control:
	 * mapping (or the document, without one): for reload errors. */
	unsigned int set; /* 1u << CP_CTL_x: keys the file gave */
	unsigned int line[CP_CTL__COUNT], col[CP_CTL__COUNT];
	unsigned int sec_line, sec_col;
};

static inline void cp_control_conf_init(struct cp_control_conf *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->socket, sizeof(c->socket), "%s", CP_CTL_DEFAULT_SOCKET);
	c->socket_mode = 0660;
	snprintf(c->loop, sizeof(c->loop), "auto");
	c->max_request = 64 * 1024;
	c->max_clients = 16384;
	c->idle_timeout_ms = 300 * 1000;
}

static inline const char *cp_control_key_name(enum cp_ctl_key k)
{
	static const char *const names[] = {
#define CP_CTL_NAME(e, name) name,
		CP_CTL_KEYS(CP_CTL_NAME)
#undef CP_CTL_NAME
	};

	return (unsigned int)k < CP_CTL__COUNT ? names[k] : "?";
}

/* A YAML double-quoted scalar of s into buf. */
static inline void cp_control_quote(char *buf, size_t len, const char *s)
{
	size_t o = 0;

	if (len < 3) {
		if (len)
			buf[0] = '\0';
		return;
	}
	buf[o++] = '"';
	for (; *s && o + 3 < len; s++) {
		if (*s == '"' || *s == '\\')
			buf[o++] = '\\';
		buf[o++] = *s;
	}
	buf[o++] = '"';
	buf[o] = '\0';
}

static inline void cp_control_hostport(char *buf, size_t len,
				       const char *addr, uint16_t port)
{
	char hp[96];

	snprintf(hp, sizeof(hp), strchr(addr, ':') ? "[%s]:%u" : "%s:%u",
		 addr, port);
	cp_control_quote(buf, len, hp);
}

/* Key k's value as the YAML text config save writes (and reload compares);
 * false when the key is absent (no TCP, no metrics, ...): not written. */
static inline bool cp_control_fmt(const struct cp_control_conf *c,
				  enum cp_ctl_key k, char *buf, size_t len)
{
	switch (k) {
	case CP_CTL_SOCKET:
		if (!c->socket[0])
			snprintf(buf, len, "none");
		else
			cp_control_quote(buf, len, c->socket);
		return true;
	case CP_CTL_SOCKET_MODE:
		snprintf(buf, len, "\"%04o\"", c->socket_mode);
		return true;
	case CP_CTL_SOCKET_GROUP:
		cp_control_quote(buf, len, c->socket_group);
		return c->socket_group[0] != '\0';
	case CP_CTL_LOOP:
		snprintf(buf, len, "%s", c->loop);
		return true;
	case CP_CTL_TCP:
		cp_control_hostport(buf, len, c->tcp_addr, c->tcp_port);
		return c->tcp_addr[0] != '\0';
	case CP_CTL_TCP_ALLOW_REMOTE:
		snprintf(buf, len, "%s", c->tcp_allow_remote ? "true" : "false");
		return true;
	case CP_CTL_TOKEN_FILE:
		cp_control_quote(buf, len, c->token_file);
		return c->token_file[0] != '\0';
	case CP_CTL_METRICS:
		cp_control_hostport(buf, len, c->metrics_addr,
				    c->metrics_port);
		return c->metrics_addr[0] != '\0';
	case CP_CTL_METRICS_ALLOW_REMOTE:
		snprintf(buf, len, "%s",
			 c->metrics_allow_remote ? "true" : "false");
		return true;
	case CP_CTL_MAX_REQUEST:
		snprintf(buf, len, "%u", c->max_request);
		return true;
	case CP_CTL_MAX_CLIENTS:
		snprintf(buf, len, "%u", c->max_clients);
		return true;
	case CP_CTL_IDLE_TIMEOUT_MS:
		snprintf(buf, len, "%u", c->idle_timeout_ms);
		return true;
	case CP_CTL_SAVE_TO:
		cp_control_quote(buf, len, c->save_to);
		return c->save_to[0] != '\0';
	default:
		break;
	}
	if (len)
		buf[0] = '\0';
	return false;
}

/* Parse and validate a YAML file into *out (dp_config_init'ed here). On
 * error: -EINVAL (or -errno of the file), *out freed, err says
 * FILE:LINE:COL: path: what. The control: section is validated too (and,
 * once pinned, checked against the pinned one) but not returned. */
int cp_config_load(const char *path, struct dp_config *out, char *err,
		   size_t errlen);
/* The same from a string; name stands for the file in messages. */
int cp_config_parse(const char *yaml, size_t len, const char *name,
		    struct dp_config *out, char *err, size_t errlen);
/* Both, also returning the control: section in *ctl (NULL: not wanted);
 * without one, *ctl holds the defaults (ctl->set == 0). */
int cp_config_load_ctl(const char *path, struct dp_config *out,
		       struct cp_control_conf *ctl, char *err, size_t errlen);
int cp_config_parse_ctl(const char *yaml, size_t len, const char *name,
			struct dp_config *out, struct cp_control_conf *ctl,
			char *err, size_t errlen);
/* The control plane is running with the control: section *file (what the
 * file said at start); keys in cmdline_mask (1u << CP_CTL_x) were given on
 * the command line instead and are not compared. From now on every load
 * refuses a config whose control: section differs. NULL unpins. */
void cp_config_control_pin(const struct cp_control_conf *file,
			   unsigned int cmdline_mask);

#endif
