// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the parser and the checksum helpers.
 *
 * Each input is parsed as one frame and, split into up to 32 frames (each
 * in its own exactly-sized heap buffer), as a burst; the burst must agree
 * with frame-by-frame parsing. Every result must satisfy the invariants of
 * parse.h (offsets inside the frame, layer consistent with the reason).
 * On what parses, the rewrite helpers run on a copy: a header or L4
 * checksum that verified before a TTL decrement or an address rewrite must
 * still verify after it, and a MAC swap twice is the identity.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csum.h"
#include "parse.h"

#define BURST 32

#define CHECK(c)                                                               \
	do {                                                                   \
		if (!(c)) {                                                    \
			fprintf(stderr, "invariant failed: %s (line %d)\n",    \
				#c, __LINE__);                                 \
			abort();                                               \
		}                                                              \
	} while (0)

/* The layer each stop reason leaves (parse.h); NONE: -1, any >= DP_L2. */
static int reason_layer(unsigned int r)
{
	switch (r) {
	case LR_R_NONE:
		return -1;
	case LR_R_TRUNC_ETH:
	case LR_R_TRUNC_VLAN:
	case LR_R_VLAN_DEPTH:
		return DP_L0;
	case LR_R_TRUNC_ARP:
	case LR_R_TRUNC_IP4:
	case LR_R_BAD_IP4_VER:
	case LR_R_BAD_IP4_IHL:
	case LR_R_BAD_IP4_LEN:
	case LR_R_TRUNC_IP6:
	case LR_R_BAD_IP6_VER:
	case LR_R_BAD_IP6_LEN:
		return DP_L2;
	case LR_R_TRUNC_IP6_EXT:
	case LR_R_IP6_EXT_LIMIT:
	case LR_R_TRUNC_ICMP:
	case LR_R_TRUNC_ICMP6:
	case LR_R_TRUNC_UDP:
	case LR_R_TRUNC_TCP:
	case LR_R_BAD_UDP_LEN:
	case LR_R_BAD_TCP_DOFF:
		return DP_L3;
	default:
		CHECK(!"reason is not a parser reason");
		return -2;
	}
}

static void check_invariants(const struct dp_parsed *r, size_t size)
{
	uint32_t len = size > 0xffff ? 0xffff : (uint32_t)size;
	int want = reason_layer(r->reason);
	int ip = r->ethertype == 0x0800 || r->ethertype == 0x86dd;

	CHECK(r->layer <= DP_L4);
	if (want >= 0)
		CHECK(r->layer == want);
	else
		CHECK(r->layer >= DP_L2);
	if (r->layer >= DP_L2) {
		CHECK(r->l3_off == 14 || r->l3_off == 18 || r->l3_off == 22);
		CHECK(r->l3_off <= len);
		CHECK(!(r->flags & DP_PF_QINQ) || (r->flags & DP_PF_VLAN));
		CHECK((r->l3_off == 22) == !!(r->flags & DP_PF_QINQ));
		CHECK((r->l3_off > 14) == !!(r->flags & DP_PF_VLAN));
	}
	if (r->reason != LR_R_NONE)
		return;
	if (r->layer >= DP_L3)
		CHECK((uint32_t)r->l3_off + r->l3_len <= len);
	if (r->layer >= DP_L3 && ip) {
		uint32_t end = (uint32_t)r->l3_off + r->l3_len;

		CHECK(r->l3_len >= (r->ethertype == 0x0800 ? 20 : 40));
		CHECK(r->l4_off >= r->l3_off + 20 && r->l4_off <= end);
		CHECK(r->pay_off >= r->l4_off && r->pay_off <= end);
	}
	if (!ip)
		CHECK(r->layer <= DP_L3 && !r->l4_proto && !r->l4_off);
	if (r->layer == DP_L4)
		CHECK(r->pay_off >= r->l4_off + 8);
	if (r->flags & DP_PF_FRAG_LATER)
		CHECK(r->layer == DP_L3 && (r->flags & DP_PF_FRAG));
	if (r->layer < DP_L4)
		CHECK(!r->sport && !r->dport);
}

static int l4_ok(const uint8_t *l3, const uint8_t *l4, uint32_t l4_len, int v4,
		 uint8_t proto)
{
	return v4 ? dp_l4_csum_ok_ip4(l3, l4, (uint16_t)l4_len, proto)
		  : dp_l4_csum_ok_ip6(l3, l4, l4_len, proto);
}

static void exercise_helpers(const uint8_t *data, size_t size,
			     const struct dp_parsed *r)
{
	uint8_t *p = malloc(size ? size : 1), *l3, *l4;
	uint8_t a6[16];
	uint32_t l4_len, a4 = 0;
	int v4, csum4, l4c, l4_known;
	uint16_t c;

	if (!p)
		return;
	memcpy(p, data, size);
	if (size >= 14) {
		dp_macswap(p);
		dp_macswap(p);
		CHECK(!memcmp(p, data, 14));
	}
	if (r->reason != LR_R_NONE || r->layer < DP_L3 ||
	    (r->ethertype != 0x0800 && r->ethertype != 0x86dd))
		goto out;
	v4 = r->ethertype == 0x0800;
	l3 = p + r->l3_off;
	l4 = p + r->l4_off;
	l4_len = r->l3_len - (uint32_t)(r->l4_off - r->l3_off);
	l4_known = r->layer == DP_L4 && !(r->flags & DP_PF_FRAG) &&
		   r->l4_proto != IPPROTO_ICMP;
	l4c = l4_known && l4_ok(l3, l4, l4_len, v4, r->l4_proto);
	if (v4) {
		csum4 = dp_ip4_hdr_csum_ok(l3);
		c = dp_ip4_hdr_csum(l3);
		CHECK(!csum4 || !memcmp(&c, l3 + 10, 2) ||
		      (c == 0 && l3[10] == 0xff && l3[11] == 0xff) ||
		      (c == 0xffff && !l3[10] && !l3[11]));
		if (dp_ip4_ttl_dec(l3))
			CHECK(!csum4 || dp_ip4_hdr_csum_ok(l3));
		memcpy(&a4, data + (size > 4 ? size - 4 : 0),
		       size >= 4 ? 4 : 0);
		dp_ip4_set_addr(l3, size & 1, a4, l4_known ? l4 : NULL,
				r->l4_proto);
		CHECK(!csum4 || dp_ip4_hdr_csum_ok(l3));
		if (r->l4_proto == IPPROTO_ICMP && r->layer == DP_L4)
			(void)dp_icmp4_csum(l4, (uint16_t)l4_len);
	} else {
		dp_ip6_hop_dec(l3);
		memset(a6, 0, sizeof(a6));
		memcpy(a6, data, size < 16 ? size : 16);
		dp_ip6_set_addr(l3, size & 1, a6, l4_known ? l4 : NULL,
				r->l4_proto);
	}
	if (l4_known) {
		CHECK(!l4c || l4_ok(l3, l4, l4_len, v4, r->l4_proto));
		(void)(v4 ? dp_l4_csum_ip4(l3, l4, (uint16_t)l4_len,
					   r->l4_proto)
			  : dp_l4_csum_ip6(l3, l4, l4_len, r->l4_proto));
	}
out:
	free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dp_parsed one, again, burst[BURST];
	uint8_t *frames[BURST];
	uint16_t lens[BURST];
	size_t n, i, off, chunk;

	dp_parse(data, (uint32_t)(size > UINT32_MAX ? UINT32_MAX : size), &one);
	check_invariants(&one, size);
	dp_parse(data, (uint32_t)size, &again);
	CHECK(!memcmp(&one, &again, sizeof(one)));
	exercise_helpers(data, size, &one);

	/* the same bytes as a burst of n frames, each in its own buffer */
	if (size == 0 || size > 0xffff)
		return 0;
	n = 1 + data[0] % BURST;
	chunk = size / n;
	for (i = 0, off = 0; i < n; i++) {
		size_t l = i + 1 == n ? size - off : chunk;

		frames[i] = malloc(l ? l : 1);
		if (!frames[i]) {
			n = i;
			break;
		}
		memcpy(frames[i], data + off, l);
		lens[i] = (uint16_t)l;
		off += l;
	}
	dp_parse_burst(frames, lens, (uint16_t)n, burst);
	for (i = 0; i < n; i++) {
		dp_parse(frames[i], lens[i], &one);
		CHECK(!memcmp(&one, &burst[i], sizeof(one)));
		check_invariants(&burst[i], lens[i]);
		free(frames[i]);
	}
	return 0;
}
