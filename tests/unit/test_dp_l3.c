// SPDX-License-Identifier: MIT
/*
 * Description: the l3 stage's longest-prefix match (rte_fib / rte_fib6 under
 * dp_l3_build + dp_fwd_l3) agrees with a plain reference search.
 *
 * A few thousand IPv4 and IPv6 routes with overlapping prefixes (a few
 * base blocks, random lengths), each via its own next hop whose neighbour
 * MAC encodes the route; some next hops have no neighbour. Random
 * destinations (mostly inside some route, some anywhere) go through the
 * real stage in bursts; for each packet the egress port, the rewritten
 * destination MAC and the drop reason must be what a linear longest-match
 * over the route list says. EAL runs --no-huge --no-shconf.
 *
 * Then the IPv4 fast path (whole burst plain IPv4, one next hop) byte by
 * byte: TTL and checksum after the fused 32-bit rewrite for every 16-bit
 * checksum value the header can carry (including 0xffff, which it must
 * leave to the general path), a next hop changing mid-burst, and a bad
 * frame late in the burst (the frames before it rewritten exactly once).
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <rte_cycles.h>
#include <rte_eal.h>

#include "csum.h"
#include "dp_internal.h"

#define N4 3000
#define N6 2000
#define LOOKUPS 8192

static struct dp *dp;
static struct dp_route_conf routes[N4 + N6];
static struct dp_neigh_conf neighs[N4 + N6];
static size_t nr, nn;
static uint64_t rng = 42;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static bool match(const uint8_t *a, const uint8_t *p, unsigned int plen)
{
	unsigned int i;

	for (i = 0; i < plen; i++)
		if ((a[i / 8] ^ p[i / 8]) & (0x80 >> (i % 8)))
			return false;
	return true;
}

static void mask(uint8_t *a, unsigned int plen, unsigned int bits)
{
	unsigned int i;

	for (i = plen; i < bits; i++)
		a[i / 8] &= (uint8_t) ~(0x80 >> (i % 8));
}

static bool dup_route(const struct dp_route_conf *r)
{
	size_t i;

	for (i = 0; i < nr; i++)
		if (routes[i].plen == r->plen &&
		    routes[i].prefix.family == r->prefix.family &&
		    memcmp(routes[i].prefix.a, r->prefix.a, 16) == 0)
			return true;
	return false;
}

static void add_routes(int family, size_t n)
{
	static const uint8_t base4[3] = { 10, 11, 172 };
	size_t k = 0;

	while (k < n) {
		struct dp_route_conf r = { 0 };
		size_t id = nr;
		unsigned int j;

		r.prefix.family = (uint8_t)family;
		for (j = 0; j < 16; j++)
			r.prefix.a[j] = (uint8_t)rnd();
		if (family == 4) {
			r.prefix.a[0] = base4[rnd() % 3];
			/* Few distinct second bytes: many overlaps. */
			r.prefix.a[1] &= 3;
			memset(r.prefix.a + 4, 0, 12);
			r.plen = (uint8_t)(8 + rnd() % 25);
			mask(r.prefix.a, r.plen, 32);
		} else {
			r.prefix.a[0] = 0x20;
			r.prefix.a[1] = 0x01;
			r.prefix.a[2] = 0x0d;
			r.prefix.a[3] = 0xb8;
			r.prefix.a[4] &= 3;
			r.plen = (uint8_t)(16 + rnd() % 113);
			mask(r.prefix.a, r.plen, 128);
		}
		if (dup_route(&r))
			continue;
		r.port = (uint16_t)(id % 3);
		r.via.family = (uint8_t)family;
		if (family == 4) {
			r.via.a[0] = 100;
			r.via.a[1] = 64;
			r.via.a[2] = (uint8_t)(id >> 8);
			r.via.a[3] = (uint8_t)id;
		} else {
			r.via.a[0] = 0xfe;
			r.via.a[1] = 0x80;
			r.via.a[14] = (uint8_t)(id >> 8);
			r.via.a[15] = (uint8_t)id;
		}
		routes[nr++] = r;
		if (id % 50 != 7) { /* some next hops stay unresolved */
			struct dp_neigh_conf *g = &neighs[nn++];

			g->addr = r.via;
			g->port = DP_NO_PORT;
			g->mac[0] = 0x02;
			g->mac[4] = (uint8_t)(id >> 8);
			g->mac[5] = (uint8_t)id;
		}
		k++;
	}
}

/* Reference: index of the longest matching route, or -1. */
static long ref_lookup(int family, const uint8_t *dst)
{
	long best = -1;
	size_t i;

	for (i = 0; i < nr; i++) {
		if (routes[i].prefix.family != family)
			continue;
		if (match(dst, routes[i].prefix.a, routes[i].plen) &&
		    (best < 0 || routes[i].plen > routes[best].plen))
			best = (long)i;
	}
	return best;
}

static uint16_t build(uint8_t *f, int family, const uint8_t *dst)
{
	static const uint8_t mac_a[6] = { 2, 0, 0, 0, 0xa, 1 };
	uint8_t *ip = f + 14;
	uint16_t len = family == 4 ? 14 + 20 + 8 + 18 : 14 + 40 + 8 + 18;
	uint16_t cs;

	memset(f, 0, len);
	memcpy(f, mac_a, 6);
	f[6] = 2;
	if (family == 4) {
		f[12] = 0x08;
		ip[0] = 0x45;
		ip[3] = (uint8_t)(len - 14);
		ip[8] = 64;
		ip[9] = 17;
		ip[12] = 192;
		ip[15] = 1;
		memcpy(ip + 16, dst, 4);
		cs = dp_ip4_hdr_csum(ip);
		memcpy(ip + 10, &cs, 2);
		ip[21] = 9;
		ip[25] = 26;
	} else {
		f[12] = 0x86;
		f[13] = 0xdd;
		ip[0] = 0x60;
		ip[5] = 26;
		ip[6] = 17;
		ip[7] = 64;
		ip[8] = 0x20;
		memcpy(ip + 24, dst, 16);
		ip[45] = 9;
		ip[47] = 26;
	}
	return len;
}

static bool has_neigh(const struct dp_route_conf *r)
{
	size_t i;

	for (i = 0; i < nn; i++)
		if (memcmp(&neighs[i].addr, &r->via, sizeof(r->via)) == 0)
			return true;
	return false;
}

static void check_family(int family, unsigned int *hits)
{
	static uint8_t frames[DP_BURST][128];
	struct dp_worker *w = calloc(1, sizeof(*w));
	struct dp_burst *b = calloc(1, sizeof(*b));
	uint8_t dst[DP_BURST][16];
	unsigned int round, i;
	uint16_t one;

	assert_non_null(w);
	assert_non_null(b);
	w->dp = dp;
	for (round = 0; round < LOOKUPS / DP_BURST; round++) {
		b->n = DP_BURST;
		b->port = 0;
		for (i = 0; i < DP_BURST; i++) {
			unsigned int j, bits = family == 4 ? 32 : 128;

			for (j = 0; j < 16; j++)
				dst[i][j] = (uint8_t)rnd();
			if (rnd() % 10 < 8) { /* inside some route */
				const struct dp_route_conf *r;

				do
					r = &routes[rnd() % nr];
				while (r->prefix.family != family);
				for (j = 0; j < r->plen; j++) {
					uint8_t m = 0x80 >> (j % 8);

					dst[i][j / 8] = (uint8_t)((dst[i][j / 8] &
								   ~m) |
								  (r->prefix.a[j / 8] &
								   m));
				}
			}
			(void)bits;
			b->data[i] = frames[i];
			b->len[i] = build(frames[i], family, dst[i]);
		}
		/* Both ways in: parsed by the parser (ACL on) and not. */
		if (round & 1)
			dp_parse_burst(b->data, b->len, b->n, b->meta);
		one = dp_fwd_l3(w, b, round & 1);
		for (i = 0; i < DP_BURST; i++) {
			long ri = ref_lookup(family, dst[i]);

			/* A one-port burst need not have out[] written. */
			if (one != DP_OUT_DROP)
				b->out[i] = one;

			if (ri < 0) {
				assert_int_equal(b->out[i], DP_OUT_DROP);
				assert_int_equal(b->reason[i], LR_R_NO_ROUTE);
				continue;
			}
			if (!has_neigh(&routes[ri])) {
				assert_int_equal(b->out[i], DP_OUT_DROP);
				assert_int_equal(b->reason[i], LR_R_NO_NEIGH);
				continue;
			}
			(*hits)++;
			assert_int_equal(b->out[i], routes[ri].port);
			/* The neighbour MAC names the route. */
			assert_int_equal(frames[i][4], (uint8_t)(ri >> 8));
			assert_int_equal(frames[i][5], (uint8_t)ri);
			assert_memory_equal(frames[i] + 6,
					    dp->ports[routes[ri].port].mac, 6);
		}
	}
	free(w);
	free(b);
}

static void test_lpm_matches_reference(void **state)
{
	struct dp_l3_table *t = NULL;
	char err[256] = "";
	unsigned int hits4 = 0, hits6 = 0;
	int ret;

	(void)state;
	add_routes(4, N4);
	add_routes(6, N6);
	ret = dp_l3_build(dp, routes, nr, neighs, nn, NULL, &t, err,
			  sizeof(err));
	if (ret)
		fprintf(stderr, "dp_l3_build: %s\n", err);
	assert_int_equal(ret, 0);
	atomic_store(&dp->l3, t);
	check_family(4, &hits4);
	check_family(6, &hits6);
	/* Most lookups must have found a route (the test is not vacuous). */
	assert_true(hits4 > LOOKUPS / 2);
	assert_true(hits6 > LOOKUPS / 2);
	atomic_store(&dp->l3, NULL);
	dp_l3_free(t);
}

/* ---- the IPv4 fast path ---- */

static const uint8_t nmac1[6] = { 2, 0xee, 0, 0, 0, 1 };
static const uint8_t nmac2[6] = { 2, 0xee, 0, 0, 0, 2 };

/* 10.1.0.0/16 via 100.64.0.1 out of port 1, 10.2.0.0/16 via 100.64.0.2
 * out of port 2; both neighbours known. */
static struct dp_l3_table *fast_table(void)
{
	struct dp_route_conf r[2] = { 0 };
	struct dp_neigh_conf g[2] = { 0 };
	struct dp_l3_table *t = NULL;
	char err[256] = "";
	unsigned int k;

	for (k = 0; k < 2; k++) {
		r[k].prefix.family = 4;
		r[k].prefix.a[0] = 10;
		r[k].prefix.a[1] = (uint8_t)(k + 1);
		r[k].plen = 16;
		r[k].port = (uint16_t)(k + 1);
		r[k].via.family = 4;
		r[k].via.a[0] = 100;
		r[k].via.a[1] = 64;
		r[k].via.a[3] = (uint8_t)(k + 1);
		g[k].addr = r[k].via;
		g[k].port = DP_NO_PORT;
		memcpy(g[k].mac, k ? nmac2 : nmac1, 6);
	}
	if (dp_l3_build(dp, r, 2, g, 2, NULL, &t, err, sizeof(err)))
		fprintf(stderr, "dp_l3_build: %s\n", err);
	assert_non_null(t);
	return t;
}

/* An IPv4/UDP frame to 10.<net>.x.y with identification id and the given
 * TTL; a correct header checksum. */
static uint16_t frame4(uint8_t *f, uint8_t net, uint16_t id, uint8_t ttl)
{
	uint8_t dst[4] = { 10, net, (uint8_t)(id >> 8), (uint8_t)id };
	uint16_t len = build(f, 4, dst);

	f[14 + 4] = (uint8_t)(id >> 8);
	f[14 + 5] = (uint8_t)id;
	f[14 + 8] = ttl;
	memset(f + 14 + 10, 0, 2);
	{
		uint16_t cs = dp_ip4_hdr_csum(f + 14);

		memcpy(f + 14 + 10, &cs, 2);
	}
	return len;
}

/* Frame f, sent as orig, came out of the l3 stage towards neighbour mac
 * out of port: addresses rewritten, TTL one less, checksum valid, every
 * other byte as it was. */
static void check_fwd4(const uint8_t *f, const uint8_t *orig, uint16_t len,
		       const uint8_t *mac, uint16_t port)
{
	uint16_t cs;

	assert_memory_equal(f, mac, 6);
	assert_memory_equal(f + 6, dp->ports[port].mac, 6);
	assert_int_equal(f[14 + 8], orig[14 + 8] - 1);
	assert_true(dp_ip4_hdr_csum_ok(f + 14));
	/* Exactly what a fresh computation gives (RFC 1624: never 0xffff),
	 * not only a checksum that verifies. */
	memcpy(&cs, f + 14 + 10, 2);
	assert_int_equal(cs, dp_ip4_hdr_csum(f + 14));
	assert_memory_equal(f + 12, orig + 12, 14 + 8 - 12);
	assert_int_equal(f[14 + 9], orig[14 + 9]);
	assert_memory_equal(f + 14 + 12, orig + 14 + 12, len - 14 - 12);
}

/* Every identification value, so the stored checksum takes (nearly) every
 * 16-bit value and the carry out of its high byte is exercised; then a
 * header whose checksum is stored as 0xffff (equivalent to 0x0000, legal,
 * never computed) in the middle of a burst. A burst the fast path takes
 * whole leaves out[] as it was (it returns the one port instead): out[]
 * preset to a sentinel shows that it did take every burst without a
 * 0xffff or 0xfeff checksum (the two it leaves to the general path). */
static void test_fast_path_checksums(void **state)
{
	static uint8_t frames[DP_BURST][128], orig[DP_BURST][128];
	struct dp_worker *w = calloc(1, sizeof(*w));
	struct dp_burst *b = calloc(1, sizeof(*b));
	struct dp_l3_table *t = fast_table();
	unsigned int id, i, ffff = 0, fast = 0, fastable, parsed;
	uint16_t one, cs;

	(void)state;
	assert_non_null(w);
	assert_non_null(b);
	w->dp = dp;
	atomic_store(&dp->l3, t);
	/* Both ways: the fast path (and the general one for the bursts it
	 * leaves), then all through the general path (parsed, as with the
	 * ACL on), whose ip4_ttl_dec shares the fused add. */
	for (parsed = 0; parsed < 2; parsed++) {
		for (id = 0; id < 65536;) {
			b->n = DP_BURST;
			fastable = 1;
			for (i = 0; i < DP_BURST; i++, id++) {
				b->data[i] = frames[i];
				b->len[i] = frame4(frames[i], 1, (uint16_t)id,
						   (uint8_t)(2 + id % 254));
				memcpy(&cs, frames[i] + 24, 2);
				/* cs 0: its 0xffff twin */
				if (cs == 0) {
					memset(frames[i] + 24, 0xff, 2);
					assert_true(dp_ip4_hdr_csum_ok(
						frames[i] + 14));
					ffff++;
				}
				memcpy(orig[i], frames[i], b->len[i]);
				fastable &= frames[i][25] != 0xff ||
					    frames[i][24] < 0xfe;
				b->out[i] = 0x7777;
			}
			if (parsed)
				dp_parse_burst(b->data, b->len, b->n,
					       b->meta);
			one = dp_fwd_l3(w, b, parsed);
			assert_int_equal(one, 1);
			for (i = 0; i < DP_BURST; i++) {
				check_fwd4(frames[i], orig[i], b->len[i],
					   nmac1, 1);
				if (!parsed && fastable)
					assert_int_equal(b->out[i], 0x7777);
			}
			fast += !parsed && fastable;
		}
	}
	assert_true(ffff > 0); /* the 0xffff field was exercised */
	assert_true(fast > 65536 / DP_BURST * 9 / 10);
	atomic_store(&dp->l3, NULL);
	dp_l3_free(t);
	free(w);
	free(b);
}

/* Next hop changes at packet k (k = 0 .. DP_BURST-1); a bad frame (bad
 * checksum, TTL 1, not IP, truncated) at packet k: the others are
 * forwarded, each rewritten once, the bad one dropped with its reason. */
static void test_fast_path_fallbacks(void **state)
{
	static uint8_t frames[DP_BURST][128], orig[DP_BURST][128];
	struct dp_worker *w = calloc(1, sizeof(*w));
	struct dp_burst *b = calloc(1, sizeof(*b));
	struct dp_l3_table *t = fast_table();
	unsigned int k, i, bad;
	uint16_t one;

	(void)state;
	assert_non_null(w);
	assert_non_null(b);
	w->dp = dp;
	atomic_store(&dp->l3, t);
	for (k = 0; k < DP_BURST; k++) {
		/* 10.1/16 before k, 10.2/16 from k on. */
		b->n = DP_BURST;
		for (i = 0; i < DP_BURST; i++) {
			b->data[i] = frames[i];
			b->len[i] = frame4(frames[i], i < k ? 1 : 2,
					   (uint16_t)(k * 64 + i), 64);
			memcpy(orig[i], frames[i], b->len[i]);
		}
		one = dp_fwd_l3(w, b, false);
		assert_int_equal(one, k == 0 ? 2 : DP_OUT_DROP);
		for (i = 0; i < DP_BURST; i++) {
			if (one != DP_OUT_DROP)
				b->out[i] = one;
			assert_int_equal(b->out[i], i < k ? 1 : 2);
			check_fwd4(frames[i], orig[i], b->len[i],
				   i < k ? nmac1 : nmac2, i < k ? 1 : 2);
		}
		for (bad = 0; bad < 4; bad++) {
			static const uint16_t reason[4] = {
				LR_R_BAD_IP4_CSUM, LR_R_TTL_EXPIRED,
				LR_R_NOT_IP, LR_R_NONE,
			};

			b->n = DP_BURST;
			for (i = 0; i < DP_BURST; i++) {
				b->data[i] = frames[i];
				b->len[i] = frame4(frames[i], 1,
						   (uint16_t)(k * 64 + i),
						   bad == 1 && i == k ? 1 : 64);
			}
			if (bad == 0)
				frames[k][14 + 11] ^= 0x40;
			else if (bad == 2)
				frames[k][12] = 0x88;
			else if (bad == 3)
				b->len[k] = 33; /* shorter than Eth + IPv4 */
			for (i = 0; i < DP_BURST; i++)
				memcpy(orig[i], frames[i], b->len[i]);
			one = dp_fwd_l3(w, b, false);
			assert_int_equal(one, DP_OUT_DROP);
			for (i = 0; i < DP_BURST; i++) {
				if (i != k) {
					assert_int_equal(b->out[i], 1);
					check_fwd4(frames[i], orig[i],
						   b->len[i], nmac1, 1);
					continue;
				}
				assert_int_equal(b->out[i], DP_OUT_DROP);
				if (reason[bad] != LR_R_NONE)
					assert_int_equal(b->reason[i],
							 reason[bad]);
				else
					assert_int_not_equal(b->reason[i],
							     LR_R_NONE);
				/* A dropped frame is not rewritten. */
				assert_memory_equal(frames[i], orig[i],
						    b->len[i]);
			}
		}
	}
	atomic_store(&dp->l3, NULL);
	dp_l3_free(t);
	free(w);
	free(b);
}

static int setup(void **state)
{
	char prefix[64];
	char *argv[] = { "test_dp_l3", "--no-huge", "-m", "512",
			 "--no-shconf", "--no-pci", "--log-level=error",
			 "-l", "0", prefix, NULL };
	uint16_t p;

	(void)state;
	snprintf(prefix, sizeof(prefix), "--file-prefix=lr-dp-ut-%d",
		 (int)getpid());
	if (rte_eal_init(10, argv) < 0)
		return -1;
	dp = calloc(1, sizeof(*dp));
	if (dp == NULL)
		return -1;
	dp->nb_ports = 3;
	dp->nb_workers = 1;
	dp->tsc_hz = rte_get_tsc_hz();
	for (p = 0; p < 3; p++) {
		dp->ports[p].mac[0] = 2;
		dp->ports[p].mac[4] = 0xb0;
		dp->ports[p].mac[5] = (uint8_t)p;
	}
	return 0;
}

static int teardown(void **state)
{
	char dir[512], path[1024];
	struct dirent *e;
	DIR *d;

	(void)state;
	free(dp);
	snprintf(dir, sizeof(dir), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	/* Leave nothing in /var/run/dpdk. */
	d = opendir(dir);
	while (d && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	if (d)
		closedir(d);
	rmdir(dir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lpm_matches_reference),
		cmocka_unit_test(test_fast_path_checksums),
		cmocka_unit_test(test_fast_path_fallbacks),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
