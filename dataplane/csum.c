// SPDX-License-Identifier: MIT
/*
 * Internet checksum (RFC 1071) and incremental update (RFC 1624).
 *
 * The one's-complement sum does not depend on byte order as long as every
 * term is taken the same way: we load 16/32/64-bit words in host order
 * straight from memory, so a folded sum stored back with memcpy lands in
 * network order. Wider loads are sums of 16-bit words because
 * 2^16 == 1 (mod 0xffff); carries are added back (end-around) as we go.
 * Pseudo-header terms (protocol, length) are converted to network order
 * before they are added, for the same reason.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "csum.h"

/* Offset of the checksum field in the L4 header, or -1 when proto has no
 * pseudo-header checksum that we maintain. */
static int l4_csum_off(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_UDP:
		return 6;
	case IPPROTO_TCP:
		return 16;
	case IPPROTO_ICMPV6:
		return 2;
	default:
		return -1;
	}
}

static uint16_t fold16(uint64_t sum)
{
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static uint16_t ld16(const void *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static void st16(void *p, uint16_t v)
{
	memcpy(p, &v, sizeof(v));
}

static uint32_t ld32(const void *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

uint32_t dp_csum_partial(const void *buf, size_t len, uint32_t sum)
{
	const uint8_t *p = buf;
	uint64_t acc = sum, v;

	while (len >= 32) {
		uint64_t a, b, c, d;

		memcpy(&a, p, 8);
		memcpy(&b, p + 8, 8);
		memcpy(&c, p + 16, 8);
		memcpy(&d, p + 24, 8);
		acc += a;
		acc += acc < a;
		acc += b;
		acc += acc < b;
		acc += c;
		acc += acc < c;
		acc += d;
		acc += acc < d;
		p += 32;
		len -= 32;
	}
	while (len >= 8) {
		memcpy(&v, p, 8);
		acc += v;
		acc += acc < v;
		p += 8;
		len -= 8;
	}
	/* acc < 2^64 and each term below is < 2^32: fold first, no overflow */
	acc = (acc & 0xffffffff) + (acc >> 32);
	if (len >= 4) {
		acc += ld32(p);
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		acc += ld16(p);
		p += 2;
		len -= 2;
	}
	if (len) {
		/* the odd byte is the high-order byte of a zero-padded word */
		uint8_t last[2] = {p[0], 0};

		acc += ld16(last);
	}
	return fold16(acc);
}

uint16_t dp_csum_fold(uint32_t sum)
{
	return (uint16_t)~fold16(sum);
}

uint16_t dp_ip4_hdr_csum(const void *ip4)
{
	const uint8_t *h = ip4;
	size_t hl = (size_t)(h[0] & 0x0f) * 4;
	uint32_t sum;

	sum = dp_csum_partial(h, 10, 0);
	if (hl > 12)
		sum = dp_csum_partial(h + 12, hl - 12, sum);
	return dp_csum_fold(sum);
}

bool dp_ip4_hdr_csum_ok(const void *ip4)
{
	const uint8_t *h = ip4;

	return dp_csum_fold(dp_csum_partial(h, (size_t)(h[0] & 0x0f) * 4, 0)) ==
	       0;
}

static uint32_t pseudo_ip4(const uint8_t *ip4, uint32_t l4_len, uint8_t proto)
{
	uint32_t sum = dp_csum_partial(ip4 + 12, 8, 0);

	return sum + htons(proto) + htons((uint16_t)l4_len);
}

static uint32_t pseudo_ip6(const uint8_t *ip6, uint32_t l4_len, uint8_t proto)
{
	uint32_t sum = dp_csum_partial(ip6 + 8, 32, 0);
	uint32_t nlen = htonl(l4_len);

	return sum + (nlen & 0xffff) + (nlen >> 16) + htons(proto);
}

/* Sum of the L4 bytes with the stored checksum taken out (x - c = x + ~c). */
static uint32_t l4_sum_nocsum(const uint8_t *l4, uint32_t l4_len, uint8_t proto,
			      uint32_t sum)
{
	int off = l4_csum_off(proto);

	sum = dp_csum_partial(l4, l4_len, sum);
	if (off >= 0 && l4_len >= (uint32_t)off + 2)
		sum = fold16(sum) + (uint16_t)~ld16(l4 + off);
	return sum;
}

uint16_t dp_l4_csum_ip4(const void *ip4, const void *l4, uint16_t l4_len,
			uint8_t proto)
{
	return dp_csum_fold(l4_sum_nocsum(l4, l4_len, proto,
					  pseudo_ip4(ip4, l4_len, proto)));
}

uint16_t dp_l4_csum_ip6(const void *ip6, const void *l4, uint32_t l4_len,
			uint8_t proto)
{
	return dp_csum_fold(l4_sum_nocsum(l4, l4_len, proto,
					  pseudo_ip6(ip6, l4_len, proto)));
}

bool dp_l4_csum_ok_ip4(const void *ip4, const void *l4, uint16_t l4_len,
		       uint8_t proto)
{
	int off = l4_csum_off(proto);

	if (off < 0 || l4_len < (uint32_t)off + 2)
		return false;
	if (proto == IPPROTO_UDP && ld16((const uint8_t *)l4 + 6) == 0)
		return true;
	return dp_csum_fold(dp_csum_partial(
		       l4, l4_len, pseudo_ip4(ip4, l4_len, proto))) == 0;
}

bool dp_l4_csum_ok_ip6(const void *ip6, const void *l4, uint32_t l4_len,
		       uint8_t proto)
{
	int off = l4_csum_off(proto);

	if (off < 0 || l4_len < (uint32_t)off + 2)
		return false;
	/* RFC 8200 8.1: a zero UDP checksum over IPv6 is invalid */
	if (proto == IPPROTO_UDP && ld16((const uint8_t *)l4 + 6) == 0)
		return false;
	return dp_csum_fold(dp_csum_partial(
		       l4, l4_len, pseudo_ip6(ip6, l4_len, proto))) == 0;
}

uint16_t dp_icmp4_csum(const void *icmp, uint16_t len)
{
	const uint8_t *h = icmp;
	uint32_t sum;

	if (len < 4)
		return dp_csum_fold(dp_csum_partial(h, len, 0));
	sum = dp_csum_partial(h, 2, 0);
	sum = dp_csum_partial(h + 4, len - 4u, sum);
	return dp_csum_fold(sum);
}

bool dp_icmp4_csum_ok(const void *icmp, uint16_t len)
{
	return dp_csum_fold(dp_csum_partial(icmp, len, 0)) == 0;
}

uint16_t dp_csum_update16(uint16_t csum, uint16_t old, uint16_t new_)
{
	uint32_t sum = (uint16_t)~csum;

	sum += (uint16_t)~old;
	sum += new_;
	return (uint16_t)~fold16(sum);
}

uint16_t dp_csum_update32(uint16_t csum, uint32_t old, uint32_t new_)
{
	uint32_t sum = (uint16_t)~csum;

	sum += (uint16_t) ~(old & 0xffff);
	sum += (uint16_t) ~(old >> 16);
	sum += new_ & 0xffff;
	sum += new_ >> 16;
	return (uint16_t)~fold16(sum);
}

void dp_macswap(uint8_t *frame)
{
	uint8_t tmp[6];

	memcpy(tmp, frame, 6);
	memcpy(frame, frame + 6, 6);
	memcpy(frame + 6, tmp, 6);
}

bool dp_ip4_ttl_dec(void *ip4)
{
	uint8_t *h = ip4;
	uint16_t old, new_;

	if (h[8] <= 1)
		return false;
	old = ld16(h + 8); /* TTL and protocol share a 16-bit word */
	h[8]--;
	new_ = ld16(h + 8);
	st16(h + 10, dp_csum_update16(ld16(h + 10), old, new_));
	return true;
}

bool dp_ip6_hop_dec(void *ip6)
{
	uint8_t *h = ip6;

	if (h[7] <= 1)
		return false;
	h[7]--;
	return true;
}

/* Update the L4 checksum at l4 for a pseudo-header change whose
 * one's-complement difference (sum of ~old and new words) is diff. */
static void l4_csum_apply(uint8_t *l4, uint8_t proto, uint32_t diff)
{
	int off = l4_csum_off(proto);
	uint16_t c;

	if (!l4 || off < 0)
		return;
	c = ld16(l4 + off);
	if (proto == IPPROTO_UDP && c == 0)
		return; /* IPv4 "no checksum" stays that way */
	c = (uint16_t)~fold16((uint32_t)(uint16_t)~c + fold16(diff));
	if (proto == IPPROTO_UDP && c == 0)
		c = 0xffff;
	st16(l4 + off, c);
}

void dp_ip4_set_addr(void *ip4, int which, uint32_t addr, void *l4,
		     uint8_t proto)
{
	uint8_t *h = ip4;
	uint8_t *a = h + (which ? 16 : 12);
	uint32_t old = ld32(a);
	uint32_t diff;

	memcpy(a, &addr, 4);
	st16(h + 10, dp_csum_update32(ld16(h + 10), old, addr));
	diff = (uint16_t) ~(old & 0xffff);
	diff += (uint16_t) ~(old >> 16);
	diff += (addr & 0xffff) + (addr >> 16);
	l4_csum_apply(l4, proto, diff);
}

void dp_ip6_set_addr(void *ip6, int which, const uint8_t *addr, void *l4,
		     uint8_t proto)
{
	uint8_t *a = (uint8_t *)ip6 + (which ? 24 : 8);
	uint32_t diff = 0;
	int i;

	for (i = 0; i < 16; i += 2) {
		diff += (uint16_t)~ld16(a + i);
		diff += ld16(addr + i);
	}
	memcpy(a, addr, 16);
	l4_csum_apply(l4, proto, diff);
}
