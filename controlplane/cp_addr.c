// SPDX-License-Identifier: MIT
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cp_addr.h"

int cp_addr_parse(const char *s, struct dp_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (!s)
		return -EINVAL;
	if (inet_pton(AF_INET, s, a->a) == 1) {
		a->family = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, s, a->a) == 1) {
		a->family = 6;
		return 0;
	}
	return -EINVAL;
}

int cp_hostport_parse(const char *s, char *addr, size_t alen, uint16_t *port,
		      bool *loopback)
{
	const char *colon = s ? strrchr(s, ':') : NULL;
	struct in6_addr a6;
	struct in_addr a4;
	unsigned long p;
	size_t hl;
	bool lo;

	if (colon == NULL || !colon[1] ||
	    strspn(colon + 1, "0123456789") != strlen(colon + 1) ||
	    strlen(colon + 1) > 5)
		return -EINVAL;
	p = strtoul(colon + 1, NULL, 10);
	if (p > 65535)
		return -ERANGE;
	hl = (size_t)(colon - s);
	if (hl >= 2 && s[0] == '[' && s[hl - 1] == ']') {
		s++;
		hl -= 2;
	} else if (memchr(s, ':', hl)) {
		return -EINVAL; /* an IPv6 address needs its brackets */
	}
	if (hl == 0 || hl >= alen)
		return -EINVAL;
	memcpy(addr, s, hl);
	addr[hl] = '\0';
	if (inet_pton(AF_INET, addr, &a4) == 1)
		lo = (ntohl(a4.s_addr) >> 24) == 127;
	else if (inet_pton(AF_INET6, addr, &a6) == 1)
		lo = IN6_IS_ADDR_LOOPBACK(&a6);
	else
		return -EAFNOSUPPORT;
	*port = (uint16_t)p;
	if (loopback)
		*loopback = lo;
	return 0;
}

int cp_prefix_parse(const char *s, struct dp_addr *a, uint8_t *plen)
{
	const char *slash;
	char buf[64];
	unsigned long n;
	char *end;
	unsigned int bits;

	if (!s || !(slash = strchr(s, '/')) ||
	    (size_t)(slash - s) >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, (size_t)(slash - s));
	buf[slash - s] = 0;
	if (cp_addr_parse(buf, a))
		return -EINVAL;
	if (slash[1] < '0' || slash[1] > '9')
		return -EINVAL;
	n = strtoul(slash + 1, &end, 10);
	bits = a->family == 4 ? 32 : 128;
	if (*end || n > bits)
		return -EINVAL;
	for (unsigned int i = (unsigned int)n; i < bits; i++)
		if (a->a[i / 8] & (0x80 >> (i % 8)))
			return -EINVAL; /* host bits set */
	*plen = (uint8_t)n;
	return 0;
}

int cp_mac_parse(const char *s, uint8_t mac[6])
{
	unsigned int m[6];
	char tail;

	if (!s ||
	    sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &m[0], &m[1], &m[2], &m[3],
		   &m[4], &m[5], &tail) != 6 ||
	    strlen(s) != 17)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)m[i];
	return 0;
}

static int parse_u16(const char *s, const char **end, uint16_t *out)
{
	unsigned long v;
	char *e;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	v = strtoul(s, &e, 10);
	if (v > 65535)
		return -EINVAL;
	*out = (uint16_t)v;
	*end = e;
	return 0;
}

int cp_range_parse(const char *s, uint16_t *lo, uint16_t *hi)
{
	const char *e;

	if (!s || parse_u16(s, &e, lo))
		return -EINVAL;
	if (!*e) {
		*hi = *lo;
		return 0;
	}
	if (*e != '-' || parse_u16(e + 1, &e, hi) || *e || *hi < *lo)
		return -EINVAL;
	return 0;
}

static const struct {
	const char *name;
	int proto;
} protos[] = {{"icmp", 1}, {"tcp", 6}, {"udp", 17}, {"icmp6", 58}};

int cp_proto_parse(const char *s, int *proto)
{
	const char *e;
	uint16_t v;

	if (!s)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (!strcmp(s, protos[i].name)) {
			*proto = protos[i].proto;
			return 0;
		}
	if (parse_u16(s, &e, &v) || *e || v == 0 || v > 255)
		return -EINVAL;
	*proto = v;
	return 0;
}

const char *cp_proto_name(uint8_t proto, char *buf, size_t len)
{
	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (protos[i].proto == proto)
			return protos[i].name;
	snprintf(buf, len, "%u", proto);
	return buf;
}

const char *cp_addr_fmt(const struct dp_addr *a, char *buf, size_t len)
{
	if (!a->family || !inet_ntop(a->family == 4 ? AF_INET : AF_INET6, a->a,
				     buf, (socklen_t)len))
		snprintf(buf, len, "-");
	return buf;
}

const char *cp_mac_fmt(const uint8_t mac[6], char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1],
		 mac[2], mac[3], mac[4], mac[5]);
	return buf;
}

const char *cp_range_fmt(uint16_t lo, uint16_t hi, char *buf, size_t len)
{
	if (lo == hi)
		snprintf(buf, len, "%u", lo);
	else
		snprintf(buf, len, "%u-%u", lo, hi);
	return buf;
}
