/* SPDX-License-Identifier: MIT */
/* Parsing and printing of what commands take: addresses, prefixes, MACs,
 * port ranges, protocols. Parsers return 0 or -EINVAL. */
#ifndef CP_ADDR_H
#define CP_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dp_conf.h"

int cp_addr_parse(const char *s, struct dp_addr *a);
/* "A.B.C.D/N" or "X::/N"; host bits must be zero. */
int cp_prefix_parse(const char *s, struct dp_addr *a, uint8_t *plen);
int cp_mac_parse(const char *s, uint8_t mac[6]);
int cp_range_parse(const char *s, uint16_t *lo, uint16_t *hi);
int cp_proto_parse(const char *s, int *proto);
/* "ADDR:PORT" or "[V6]:PORT" (what the listeners bind: a literal, no name
 * lookup) into addr (without brackets) and port; *loopback (may be NULL)
 * says whether ADDR is a loopback address. -EINVAL: not ADDR:PORT (or
 * ADDR does not fit alen), -ERANGE: port over 65535, -EAFNOSUPPORT: ADDR
 * (written to addr) is not an IPv4 or IPv6 literal. The command line
 * (cp_daemon.c) and the config's control: section (config.c) share it. */
int cp_hostport_parse(const char *s, char *addr, size_t alen, uint16_t *port,
		      bool *loopback);

const char *cp_addr_fmt(const struct dp_addr *a, char *buf, size_t len);
const char *cp_mac_fmt(const uint8_t mac[6], char *buf, size_t len);
const char *cp_range_fmt(uint16_t lo, uint16_t hi, char *buf, size_t len);
const char *cp_proto_name(uint8_t proto, char *buf, size_t len);

#endif
