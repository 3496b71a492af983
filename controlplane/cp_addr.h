/* SPDX-License-Identifier: MIT */
/* Parsing and printing of what commands take: addresses, prefixes, MACs,
 * port ranges, protocols. Parsers return 0 or -EINVAL. */
#ifndef CP_ADDR_H
#define CP_ADDR_H

#include <stddef.h>
#include <stdint.h>

#include "dp_conf.h"

int cp_addr_parse(const char *s, struct dp_addr *a);
/* "A.B.C.D/N" or "X::/N"; host bits must be zero. */
int cp_prefix_parse(const char *s, struct dp_addr *a, uint8_t *plen);
int cp_mac_parse(const char *s, uint8_t mac[6]);
int cp_range_parse(const char *s, uint16_t *lo, uint16_t *hi);
int cp_proto_parse(const char *s, int *proto);

const char *cp_addr_fmt(const struct dp_addr *a, char *buf, size_t len);
const char *cp_mac_fmt(const uint8_t mac[6], char *buf, size_t len);
const char *cp_range_fmt(uint16_t lo, uint16_t hi, char *buf, size_t len);
const char *cp_proto_name(uint8_t proto, char *buf, size_t len);

#endif
