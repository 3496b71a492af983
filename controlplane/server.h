/* SPDX-License-Identifier: MIT */
/*
 * The control socket: newline-delimited JSON over a unix stream socket (and
 * optionally TCP on loopback, with a token).
 *
 *   request   {"id": 7, "cmd": "route add", "args": {"prefix": ..., ...}}
 *   response  {"id": 7, "ok": true, "result": {...}}
 *             {"id": 7, "ok": false, "error": {"code": "invalid_argument",
 *              "field": "prefix", "message": "route add: invalid ..."}}
 *   stream    {"id": 9, "event": "stats", "seq": 3, "coalesced": 0,
 *              "result": {...}}       (after "stats watch")
 *
 * Bad input (malformed JSON, an unknown verb, an oversize request, a bad
 * argument) gets an error response; the connection stays open and nothing
 * is applied. Memory per idle client is the client struct alone (a few
 * hundred bytes): no buffer is held between requests. A client that does
 * not read its responses stops being read from once max_output bytes wait
 * for it; a stats stream to a client that is behind is coalesced (one
 * update waits at most, the others are counted as coalesced).
 */
#ifndef CP_SERVER_H
#define CP_SERVER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cmd.h"
#include "loop.h"

struct cp_server_conf {
	char path[108]; /* unix socket ("" : none) */
	mode_t mode; /* default 0660 */
	char group[64]; /* chgrp the socket ("" : leave) */
	char tcp_addr[64]; /* "" : no TCP listener */
	uint16_t tcp_port;
	bool tcp_allow_remote; /* else tcp_addr must be a loopback address */
	char token[128]; /* required on TCP */
	uint32_t max_request; /* bytes per request line (default 64 KiB) */
	uint32_t max_clients; /* default 16384 */
	uint32_t idle_timeout_ms; /* 0: never (default 300 s) */
	uint32_t max_output; /* bytes queued per client before reads pause
			      * (default 1 MiB) */
	uint32_t sndbuf; /* SO_SNDBUF of client sockets (0: kernel's):
			  * bounds kernel memory held for a slow
			  * reader */
};

struct cp_server_stats {
	uint64_t clients, clients_max;
	uint64_t accepted, rejected, idle_closed;
	uint64_t requests, errors;
	uint64_t stream_sent, stream_coalesced;
	uint64_t read_paused;
	uint64_t out_queued_max; /* most bytes queued for one client */
};

struct cp_server;

void cp_server_conf_init(struct cp_server_conf *c);
/* Start listening. Errors name the socket and the reason in err. */
int cp_server_new(struct cp_server **out, struct cp_loop *l,
		  const struct cp_server_conf *conf, struct cp_cmds *cmds,
		  char *err, size_t errlen);
/* Close every client and listener, remove the socket file; runs the loop
 * until the closes have completed. */
void cp_server_free(struct cp_server *s);
void cp_server_get_stats(const struct cp_server *s, struct cp_server_stats *st);
/* The TCP port bound (useful with tcp_port 0). */
uint16_t cp_server_tcp_port(const struct cp_server *s);

#endif
