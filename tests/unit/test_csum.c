// SPDX-License-Identifier: MIT
/*
 * Description: Internet checksum helpers. RFC 1071 and RFC 1624 worked
 * examples; dp_csum_partial against a byte-at-a-time reference over random
 * buffers, lengths and alignments; incremental updates (update16/32, TTL
 * decrement, IPv4/IPv6 address rewrite) against a full recompute over random
 * headers (fixed seed, so a failure reproduces).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <cmocka.h>

#include "csum.h"

#define ROUNDS 20000

/* The textbook definition: big-endian 16-bit words, odd byte padded. */
static uint16_t ref_csum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

static uint16_t ld16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return v;
}

static void st16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

static void fill_random(uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)rand();
}

static void test_rfc1071_example(void **state)
{
	/* RFC 1071 section 3: the sum of these bytes is ddf2 */
	static const uint8_t b[] = {0x00, 0x01, 0xf2, 0x03,
				    0xf4, 0xf5, 0xf6, 0xf7};

	assert_int_equal(dp_csum_partial(b, sizeof(b), 0), htons(0xddf2));
	assert_int_equal(dp_csum_fold(dp_csum_partial(b, sizeof(b), 0)),
			 htons(0x220d));
	assert_int_equal(dp_csum_fold(0), 0xffff);
}

static void test_rfc1624_example(void **state)
{
	/* RFC 1624 section 4: HC = 0xDD2F, m = 0x5555 -> m' = 0x3285 gives
	 * 0x0000 with eqn. 3 (eqn. 2 would give the wrong 0xFFFF) */
	assert_int_equal(dp_csum_update16(0xdd2f, 0x5555, 0x3285), 0x0000);
	assert_int_equal(
		dp_csum_update16(htons(0xdd2f), htons(0x5555), htons(0x3285)),
		0x0000);
	/* and back */
	assert_int_equal(dp_csum_update16(0x0000, 0x3285, 0x5555), 0xdd2f);
}

static void test_partial_vs_reference(void **state)
{
	uint8_t buf[600];
	int i;

	srand(1624);
	for (i = 0; i < ROUNDS; i++) {
		size_t align = (size_t)rand() % 8;
		size_t len = (size_t)rand() % (sizeof(buf) - 8);
		size_t split = ((size_t)rand() % (len + 1)) & ~(size_t)1;
		uint8_t *p = buf + align;
		uint32_t s;

		fill_random(buf, sizeof(buf));
		if (i % 7 == 0)
			memset(p, 0xff, len); /* carries everywhere */
		assert_int_equal(dp_csum_fold(dp_csum_partial(p, len, 0)),
				 ref_csum(p, len));
		/* chained over an even split is the same sum */
		s = dp_csum_partial(p, split, 0);
		s = dp_csum_partial(p + split, len - split, s);
		assert_int_equal(dp_csum_fold(s), ref_csum(p, len));
	}
}

/* Checksum over buf with the field at csum_off zeroed. */
static uint16_t full(uint8_t *buf, size_t len, size_t csum_off)
{
	uint16_t save = ld16(buf + csum_off), c;

	st16(buf + csum_off, 0);
	c = dp_csum_fold(dp_csum_partial(buf, len, 0));
	st16(buf + csum_off, save);
	return c;
}

static void test_update_vs_recompute(void **state)
{
	uint8_t buf[64];
	int i;

	srand(7);
	for (i = 0; i < ROUNDS; i++) {
		size_t len = 8 + 2 * ((size_t)rand() % 28);
		size_t at16 = 2 + 2 * ((size_t)rand() % (len / 2 - 1));
		size_t at32 = 4 * (1 + (size_t)rand() % (len / 4 - 1));
		uint16_t o16, n16 = (uint16_t)rand();
		uint32_t o32, n32 = (uint32_t)rand() ^ ((uint32_t)rand() << 16);
		uint16_t c;

		fill_random(buf, sizeof(buf));
		st16(buf, full(buf, len, 0)); /* checksum lives at 0 */

		o16 = ld16(buf + at16);
		c = dp_csum_update16(ld16(buf), o16, n16);
		st16(buf + at16, n16);
		assert_int_equal(c, full(buf, len, 0));
		st16(buf, c);

		memcpy(&o32, buf + at32, 4);
		c = dp_csum_update32(ld16(buf), o32, n32);
		memcpy(buf + at32, &n32, 4);
		assert_int_equal(c, full(buf, len, 0));
	}
}

static void rand_ip4(uint8_t *ip)
{
	fill_random(ip, 20);
	ip[0] = 0x45;
	st16(ip + 10, dp_ip4_hdr_csum(ip));
}

static void test_ip4_hdr_and_ttl(void **state)
{
	uint8_t ip[20], before[20];
	int i;

	srand(8);
	for (i = 0; i < ROUNDS; i++) {
		rand_ip4(ip);
		assert_true(dp_ip4_hdr_csum_ok(ip));
		assert_int_equal(ld16(ip + 10), full(ip, 20, 10));
		memcpy(before, ip, 20);
		if (ip[8] <= 1) {
			assert_false(dp_ip4_ttl_dec(ip));
			assert_memory_equal(ip, before, 20);
			continue;
		}
		assert_true(dp_ip4_ttl_dec(ip));
		assert_int_equal(ip[8], before[8] - 1);
		assert_int_equal(ld16(ip + 10), full(ip, 20, 10));
		assert_true(dp_ip4_hdr_csum_ok(ip));
	}
}

/* A random IPv4 + UDP/TCP packet with correct checksums. */
static void rand_ip4_l4(uint8_t *pkt, uint16_t l4_len, uint8_t proto,
			int udp_nocsum)
{
	uint8_t *l4 = pkt + 20;
	int off = proto == IPPROTO_UDP ? 6 : 16;
	uint16_t c;

	rand_ip4(pkt);
	pkt[9] = proto;
	st16(pkt + 2, htons((uint16_t)(20 + l4_len)));
	st16(pkt + 10, dp_ip4_hdr_csum(pkt));
	fill_random(l4, l4_len);
	if (proto == IPPROTO_UDP)
		st16(l4 + 4, htons(l4_len));
	c = dp_l4_csum_ip4(pkt, l4, l4_len, proto);
	if (proto == IPPROTO_UDP && c == 0)
		c = 0xffff;
	st16(l4 + off, udp_nocsum ? 0 : c);
}

static void test_ip4_set_addr(void **state)
{
	uint8_t pkt[20 + 200];
	int i;

	srand(9);
	for (i = 0; i < ROUNDS / 4; i++) {
		uint8_t proto = i & 1 ? IPPROTO_TCP : IPPROTO_UDP;
		uint16_t l4_len = (uint16_t)(20 + rand() % 180);
		int nocsum = proto == IPPROTO_UDP && i % 10 == 0;
		int which = (i >> 1) & 1;
		uint32_t a = (uint32_t)rand() ^ ((uint32_t)rand() << 16);
		uint8_t *l4 = pkt + 20;
		uint16_t c;

		rand_ip4_l4(pkt, l4_len, proto, nocsum);
		dp_ip4_set_addr(pkt, which, a, l4, proto);
		assert_memory_equal(pkt + (which ? 16 : 12), &a, 4);
		assert_true(dp_ip4_hdr_csum_ok(pkt));
		assert_int_equal(ld16(pkt + 10), dp_ip4_hdr_csum(pkt));
		if (nocsum) {
			assert_int_equal(ld16(l4 + 6), 0);
			continue;
		}
		c = dp_l4_csum_ip4(pkt, l4, l4_len, proto);
		if (proto == IPPROTO_UDP && c == 0)
			c = 0xffff;
		assert_int_equal(ld16(l4 + (proto == IPPROTO_UDP ? 6 : 16)), c);
		assert_true(dp_l4_csum_ok_ip4(pkt, l4, l4_len, proto));
	}
}

/* A rewrite whose UDP checksum comes out as 0 must store 0xffff (0 means
 * "no checksum"); TCP keeps the 0. */
static void test_set_addr_zero_result(void **state)
{
	uint8_t pkt[20 + 40], copy[sizeof(pkt)];
	uint8_t protos[] = {IPPROTO_UDP, IPPROTO_TCP};
	int k;

	srand(11);
	for (k = 0; k < 2; k++) {
		uint8_t proto = protos[k];
		int off = proto == IPPROTO_UDP ? 6 : 16;
		uint32_t lo, a = 0;
		int found = 0;

		rand_ip4_l4(pkt, 40, proto, 0);
		/* find a destination whose full recompute gives 0 */
		for (lo = 0; lo <= 0xffff && !found; lo++) {
			uint8_t b[4] = {10, 0, (uint8_t)(lo >> 8), (uint8_t)lo};

			memcpy(&a, b, 4);
			memcpy(copy, pkt, sizeof(pkt));
			memcpy(copy + 16, &a, 4);
			found = dp_l4_csum_ip4(copy, copy + 20, 40, proto) == 0;
		}
		assert_true(found);
		dp_ip4_set_addr(pkt, 1, a, pkt + 20, proto);
		assert_int_equal(ld16(pkt + 20 + off),
				 proto == IPPROTO_UDP ? 0xffff : 0);
		assert_true(dp_l4_csum_ok_ip4(pkt, pkt + 20, 40, proto));
	}
}

static void test_ip6_set_addr(void **state)
{
	static const uint8_t protos[] = {IPPROTO_UDP, IPPROTO_TCP,
					 IPPROTO_ICMPV6};
	uint8_t pkt[40 + 200], addr[16];
	int i;

	srand(10);
	for (i = 0; i < ROUNDS / 4; i++) {
		uint8_t proto = protos[i % 3];
		int off = proto == IPPROTO_UDP	 ? 6
			  : proto == IPPROTO_TCP ? 16
						 : 2;
		uint16_t l4_len = (uint16_t)(20 + rand() % 180), c;
		uint8_t *l4 = pkt + 40;

		fill_random(pkt, sizeof(pkt));
		fill_random(addr, sizeof(addr));
		pkt[0] = 0x60;
		pkt[6] = proto;
		c = dp_l4_csum_ip6(pkt, l4, l4_len, proto);
		if (proto == IPPROTO_UDP && c == 0)
			c = 0xffff;
		st16(l4 + off, c);
		assert_true(dp_l4_csum_ok_ip6(pkt, l4, l4_len, proto));
		dp_ip6_set_addr(pkt, i & 1, addr, l4, proto);
		assert_memory_equal(pkt + (i & 1 ? 24 : 8), addr, 16);
		c = dp_l4_csum_ip6(pkt, l4, l4_len, proto);
		if (proto == IPPROTO_UDP && c == 0)
			c = 0xffff;
		assert_int_equal(ld16(l4 + off), c);
		assert_true(dp_l4_csum_ok_ip6(pkt, l4, l4_len, proto));
		if (proto == IPPROTO_UDP) {
			/* RFC 8200: zero is not "no checksum" over IPv6 */
			st16(l4 + 6, 0);
			assert_false(dp_l4_csum_ok_ip6(pkt, l4, l4_len, proto));
		}
	}
}

static void test_hop_dec(void **state)
{
	uint8_t ip6[40] = {0x60};
	int h;

	for (h = 0; h < 256; h++) {
		ip6[7] = (uint8_t)h;
		if (h <= 1) {
			assert_false(dp_ip6_hop_dec(ip6));
			assert_int_equal(ip6[7], h);
		} else {
			assert_true(dp_ip6_hop_dec(ip6));
			assert_int_equal(ip6[7], h - 1);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc1071_example),
		cmocka_unit_test(test_rfc1624_example),
		cmocka_unit_test(test_partial_vs_reference),
		cmocka_unit_test(test_update_vs_recompute),
		cmocka_unit_test(test_ip4_hdr_and_ttl),
		cmocka_unit_test(test_ip4_set_addr),
		cmocka_unit_test(test_set_addr_zero_result),
		cmocka_unit_test(test_ip6_set_addr),
		cmocka_unit_test(test_hop_dec),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
