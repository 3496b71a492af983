/* SPDX-License-Identifier: MIT */
/*
 * The one table of control verbs. Everything else is generated from it: the
 * daemon's dispatch (cmd.c), the argument checks, `linerate help` and each
 * subcommand's --help, the CLI's argument parsing, and the bash completion
 * (`linerate --completion` prints completions/linerate.bash; a unit test
 * checks the committed file matches).
 *
 * _(ENUM, handler, "verb words", "arguments", "help")
 *
 * handler names the daemon's function cmd_<handler> in cmd.c.
 *
 * Arguments: space-separated name:type, a leading '?' marks it optional.
 * Types (cmd_args.c checks them, daemon side): prefix (A.B.C.D/N or IPv6/N),
 * addr (IPv4 or IPv6), port (a port name or id), mac, mode (io, macswap,
 * l2, l3), action (permit, deny), uint, range (N or N-M), proto (tcp, udp,
 * icmp, icmp6 or a number), bool, path, ipver (4, 6, 46), backend (dpdk,
 * afxdp, kernel), dev (devargs or interface; "" keeps the port's), iomodel
 * (a kernel I/O model, or ""), ports (a port name or id, a comma-separated
 * list of them, or a JSON list), devs (one device per port: ';'-separated
 * or a JSON list; "" keeps each port's).
 * On the CLI, required arguments may be given in order without their name;
 * every argument may be given as name=value.
 */
#ifndef CP_CMD_TABLE_H
#define CP_CMD_TABLE_H

#define CP_FOREACH_CMD(_)                                                       \
	_(STATUS, status, "status", "",                                         \
	  "daemon, event loop, dataplane and control-socket status")            \
	_(SHOW_PORTS, show_ports, "show ports", "",                             \
	  "ports: backend, device, MAC, mode, state, counters")                 \
	_(SHOW_WORKERS, show_workers, "show workers", "",                       \
	  "workers: core, queues they poll, running")                           \
	_(SHOW_STATS, show_stats, "show stats", "?port:port",                   \
	  "per-core counters, drops by reason, sink latency")                   \
	_(SHOW_ROUTES, show_routes, "show routes", "", "IPv4 and IPv6 routes")  \
	_(SHOW_NEIGHBOURS, show_neighbours, "show neighbours", "",              \
	  "neighbour (ARP/ND) table")                                           \
	_(SHOW_ACL, show_acl, "show acl", "", "ACL rules in order, with hits")  \
	_(SHOW_CONFIG, show_config, "show config", "",                          \
	  "the running configuration (as `config save` writes it)")             \
	_(ROUTE_ADD, route_add, "route add",                                    \
	  "prefix:prefix port:port ?via:addr", "add or replace a route")        \
	_(ROUTE_DEL, route_del, "route del", "prefix:prefix",                   \
	  "delete a route")                                                     \
	_(NEIGH_ADD, neigh_add, "neighbour add",                                \
	  "addr:addr mac:mac ?port:port", "add or replace a neighbour entry")   \
	_(NEIGH_DEL, neigh_del, "neighbour del", "addr:addr",                   \
	  "delete a neighbour entry")                                           \
	_(ACL_ADD, acl_add, "acl add",                                          \
	  "action:action ?index:uint ?src:prefix ?dst:prefix ?proto:proto "     \
	  "?sport:range ?dport:range",                                          \
	  "insert an ACL rule (at index, default last)")                        \
	_(ACL_DEL, acl_del, "acl del", "index:uint",                            \
	  "delete the ACL rule at index")                                       \
	_(ACL_MOVE, acl_move, "acl move", "from:uint to:uint",                  \
	  "move an ACL rule to another position")                               \
	_(MODE_SET, mode_set, "mode set", "port:port mode:mode",                \
	  "set a port's forwarding mode")                                       \
	_(PORT_START, port_start, "port start", "port:port",                    \
	  "bring a port administratively up")                                   \
	_(PORT_STOP, port_stop, "port stop", "port:port",                       \
	  "bring a port administratively down")                                 \
	_(PORT_BACKEND, port_backend, "port backend",                           \
	  "port:ports backend:backend ?dev:devs ?io_model:iomodel "             \
	  "?xdp_skb:bool ?zerocopy:bool",                                       \
	  "reopen ports (a,b: one batch) on another backend or I/O model")      \
	_(STATS_CLEAR, stats_clear, "stats clear", "",                          \
	  "zero the counters `show stats` reports, reset the sinks")            \
	_(STATS_WATCH, stats_watch, "stats watch", "?interval:uint",            \
	  "stream `show stats` every interval ms (0 stops)")                    \
	_(CONFIG_RELOAD, config_reload, "config reload", "?path:path",          \
	  "apply a config file's tables, modes and generators, all or nothing") \
	_(CONFIG_SAVE, config_save, "config save", "?path:path",                \
	  "write the running configuration (atomically)")                       \
	_(GEN_START, gen_start, "gen start", "port:port",                       \
	  "start a port's generator")                                           \
	_(GEN_STOP, gen_stop, "gen stop", "port:port",                          \
	  "stop a port's generator")                                            \
	_(GEN_SET, gen_set, "gen set",                                          \
	  "port:port ?rate:uint ?count:uint ?size:uint ?flows:uint "            \
	  "?imix:bool ?ip:ipver",                                               \
	  "change a port's generator settings")                                 \
	_(HELP, help, "help", "?verb:verb",                                     \
	  "list the verbs, or one verb's usage")

enum cp_cmd_id {
#define CP_CMD_ENUM(e, fn, verb, args, help) CP_CMD_##e,
	CP_FOREACH_CMD(CP_CMD_ENUM)
#undef CP_CMD_ENUM
		CP_CMD__COUNT
};

struct cp_cmd_info {
	const char *verb;
	const char *args;
	const char *help;
};

/* Indexed by enum cp_cmd_id. */
extern const struct cp_cmd_info cp_cmd_info[CP_CMD__COUNT];

/* The verb's id, or -1. */
int cp_cmd_lookup(const char *verb);

/* One argument of a verb's spec, parsed. */
struct cp_arg_spec {
	char name[16];
	char type[16];
	int optional;
};
/* Parse cp_cmd_info[id].args into specs; returns how many (<= max). */
int cp_cmd_args(enum cp_cmd_id id, struct cp_arg_spec *specs, int max);
/* Values a type's arguments take, for completion; NULL when free-form. */
const char *const *cp_arg_type_values(const char *type);

#endif
