/* SPDX-License-Identifier: MIT */
/*
 * The validated configuration model: what a linerated YAML file says, in C.
 *
 * controlplane/config.c fills it from YAML (and validates all of it: every
 * cross reference resolved, every range checked) before anything is applied;
 * dp_create() builds the dataplane from it; `config reload` parses a new file
 * into a second model and hands it to dp_apply() (tables, modes, generators);
 * `show config` renders it back. One model, three users.
 *
 * Ownership: the variable-length tables (routes, neighbours, ACL, MACs) are
 * malloc'd arrays owned by the model; dp_config_free() releases them.
 * Everything else is inline. Port and worker references are indexes into
 * ports[] (the port id the dataplane uses).
 */
#ifndef DP_CONF_H
#define DP_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "port.h"

#define DP_WORKER_MAX 16
#define DP_EAL_ARGS_MAX 16
#define DP_NO_PORT 0xffff
#define DP_GEN_FLOWS_MAX 65536

/* An IPv4 or IPv6 address, network byte order, IPv4 in a[0..3]. */
struct dp_addr {
	uint8_t family; /* 4 or 6; 0: unset */
	uint8_t a[16];
};

enum dp_fwd_mode {
	DP_FWD_IO = 0, /* to the paired port, unchanged */
	DP_FWD_MACSWAP, /* back out of the input port, MACs swapped */
	DP_FWD_L2,     /* MAC table (static + learning), flood or drop */
	DP_FWD_L3,     /* IPv4/IPv6 LPM, neighbour MAC, TTL decrement */
	DP_FWD__COUNT
};

/* What happens to what a port receives. */
enum dp_rx_role {
	DP_RX_FORWARD = 0, /* through the pipeline (acl? then the mode) */
	DP_RX_SINK,        /* counted by the measuring sink, freed */
	DP_RX_DROP,        /* polled and freed (counted as RX only) */
};

const char *dp_fwd_mode_name(enum dp_fwd_mode m);
int dp_fwd_mode_parse(const char *s); /* -EINVAL when unknown */

/* The built-in traffic generator on a port's TX side. */
struct dp_gen_conf {
	bool enabled;      /* configured (started with the dataplane when
			    * autostart, else by `gen start`) */
	bool autostart;
	uint8_t ip_version; /* 4, 6, or 46 (alternate per flow) */
	bool imix;          /* 7:4:1 of 64, 594, 1518 bytes */
	uint16_t frame_size; /* 64..1518 incl. the 4-byte FCS, as testers
			      * count it: the frame we build is 4 shorter */
	uint32_t flows;     /* distinct 5-tuples (1..65536) */
	uint64_t rate_pps;  /* 0: as fast as possible */
	uint64_t count;     /* stop after this many (0: unlimited) */
	uint8_t src_mac[6]; /* default: the port's MAC */
	uint8_t dst_mac[6];
	bool src_mac_set;
	struct dp_addr src4, dst4; /* base addresses; flows vary the dst */
	struct dp_addr src6, dst6;
	uint16_t sport, dport; /* base ports; flows vary the sport */
	uint32_t dst_step;     /* flow f's dst = dst + f * dst_step (0: 1) */
};

struct dp_port_entry {
	struct dp_port_conf conf; /* backend + its parameters (port.h) */
	enum dp_fwd_mode mode;
	enum dp_rx_role rx_role;
	bool acl;          /* run the ACL in front of the mode */
	uint16_t peer;     /* io mode: output port (default: itself) */
	struct dp_gen_conf gen;
	/* Source positions for error messages of later stages. */
	unsigned int line, col;
};

struct dp_worker_conf {
	int core;                /* CPU the thread is pinned to */
	uint16_t nb_ports;
	uint16_t ports[DP_PORT_MAX]; /* ports whose queue this worker polls */
};

struct dp_eal_conf {
	char file_prefix[64]; /* "" : lr-<pid> (unique per process) */
	uint32_t mem_mb;      /* 0: computed from the mempool size */
	int hugepages;        /* -1 auto (use when free), 0 never, 1 require */
	bool in_memory;
	int main_core;        /* control-plane thread's CPU (-1: leave) */
	char log_level[16];   /* EAL --log-level, "" default (notice) */
	int nb_args;
	char args[DP_EAL_ARGS_MAX][128]; /* extra EAL args, verbatim */
};

struct dp_route_conf {
	struct dp_addr prefix;
	uint8_t plen;
	uint16_t port;      /* egress port */
	struct dp_addr via; /* next hop; family 0: connected (dst is nh) */
};

struct dp_neigh_conf {
	struct dp_addr addr;
	uint8_t mac[6];
	uint16_t port; /* DP_NO_PORT: any */
};

/* Routes made up at load (benchmarks): count IPv4 prefixes with a
 * realistic length mix (mostly /24, then /22../16, a few /8../15 and /25../32),
 * all via the same next hop. */
struct dp_routes_gen {
	uint32_t count; /* 0: none */
	uint32_t seed;
	uint16_t port;
	struct dp_addr via;
};

enum dp_acl_action { DP_ACL_PERMIT = 0, DP_ACL_DENY };

struct dp_acl_rule_conf {
	enum dp_acl_action action;
	uint8_t family;      /* 4 or 6 (0: both; needs any addresses) */
	uint8_t proto;       /* 0: any */
	struct dp_addr src, dst; /* family 0: any */
	uint8_t src_plen, dst_plen;
	uint16_t sport_lo, sport_hi; /* 0..65535 for any */
	uint16_t dport_lo, dport_hi;
};

struct dp_mac_conf {
	uint8_t mac[6];
	uint16_t port;
};

struct dp_l2_conf {
	bool learning;
	bool flood;          /* unknown dst: flood (true) or drop */
	uint32_t aging_s;    /* learned entries expire after this (0: never) */
	uint32_t size;       /* table capacity */
};

struct dp_config {
	char path[256];           /* file it came from ("" built in) */
	struct dp_eal_conf eal;
	uint16_t nb_ports;
	struct dp_port_entry ports[DP_PORT_MAX];
	uint16_t nb_workers;
	struct dp_worker_conf workers[DP_WORKER_MAX];
	struct dp_l2_conf l2;
	enum dp_acl_action acl_default; /* when no rule matches */
	size_t nb_routes, nb_neighs, nb_acl, nb_macs;
	struct dp_route_conf *routes;
	struct dp_neigh_conf *neighs;
	struct dp_acl_rule_conf *acl;
	struct dp_mac_conf *macs;
	struct dp_routes_gen routes_gen;
	uint32_t stats_interval_ms; /* linerated prints stats (0: off) */
	uint32_t duration_ms;       /* stop after (0: until signalled) */
};

/* Defaults for everything (no ports, no workers). */
void dp_config_init(struct dp_config *c);
void dp_config_free(struct dp_config *c);
/* Defaults of one port entry (id: its own index, the io peer default) and
 * of a generator. */
void dp_port_entry_init(struct dp_port_entry *p, uint16_t id);
void dp_gen_conf_init(struct dp_gen_conf *g);
/* Deep copy (the table arrays too); -ENOMEM leaves dst empty. */
int dp_config_copy(struct dp_config *dst, const struct dp_config *src);
/* Port id of a port named name, or -ENOENT. */
int dp_config_port_find(const struct dp_config *c, const char *name);

#endif
