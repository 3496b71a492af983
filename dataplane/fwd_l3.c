// SPDX-License-Identifier: MIT
/*
 * l3 mode: IPv4 and IPv6 longest-prefix-match routing.
 *
 * Table (struct dp_l3_table, replaced as a whole by RCU): rte_fib (DIR24_8,
 * 2-byte next-hop ids) for IPv4, rte_fib6 (TRIE, 2-byte) for IPv6, a
 * next-hop array (egress port + neighbour MAC, resolved when the table is
 * built) and two rte_hash neighbour tables for connected routes, whose next
 * hop is the destination itself. Next-hop id 0 means "no route".
 *
 * Per burst: classify every frame (not IP, bad header, bad IPv4 checksum,
 * TTL/hop limit expiring), gather the IPv4 and IPv6 destinations, one bulk
 * FIB lookup per family, then per packet: next hop -> neighbour MAC, write
 * the Ethernet header (neighbour MAC as destination, egress port's MAC as
 * source) and decrement TTL / hop limit (incremental checksum, csum.h).
 */
#include <errno.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_errno.h>
#include <rte_fib.h>
#include <rte_fib6.h>
#include <rte_hash.h>
#include <rte_jhash.h>
#include <rte_malloc.h>

#include "csum.h"
#include "dp_internal.h"

#define ETH_P_IP4 0x0800
#define ETH_P_IP6 0x86dd
#define L3_NH_MAX 32767 /* 2-byte FIB entries keep one bit for themselves */

static inline void drop(struct dp_burst *b, uint16_t i, uint8_t r)
{
	b->out[i] = DP_OUT_DROP;
	b->reason[i] = r;
}

/* Resolve next hop nh for packet i (dst at daddr); write the packet. */
static inline void l3_out(const struct dp *dp, const struct dp_l3_table *t,
			  struct dp_burst *b, uint16_t i, uint64_t nhid,
			  const uint8_t *daddr, bool v6)
{
	const struct dp_nexthop *nh;
	const uint8_t *mac;
	uint8_t *f = b->data[i];
	uint8_t *ip = f + b->meta[i].l3_off;

	if (nhid == 0 || nhid >= t->nb_nh) {
		drop(b, i, LR_R_NO_ROUTE);
		return;
	}
	nh = &t->nh[nhid];
	if (nh->resolved) {
		mac = nh->mac;
	} else if (nh->connected) {
		struct rte_hash *h = v6 ? t->neigh6 : t->neigh4;
		int pos = h ? rte_hash_lookup(h, daddr) : -ENOENT;

		if (pos < 0) {
			drop(b, i, LR_R_NO_NEIGH);
			return;
		}
		mac = t->neigh_mac[pos + (v6 ? t->neigh6_base : 0)];
	} else {
		drop(b, i, LR_R_NO_NEIGH);
		return;
	}
	if (v6 ? !dp_ip6_hop_dec(ip) : !dp_ip4_ttl_dec(ip)) {
		drop(b, i, LR_R_TTL_EXPIRED);
		return;
	}
	memcpy(f, mac, 6);
	memcpy(f + 6, dp->ports[nh->port].mac, 6);
	b->out[i] = nh->port;
}

void dp_fwd_l3(struct dp_worker *w, struct dp_burst *b)
{
	const struct dp *dp = w->dp;
	const struct dp_l3_table *t =
		atomic_load_explicit(&w->dp->l3, memory_order_acquire);
	uint32_t ip4[DP_BURST];
	uint64_t nh4[DP_BURST], nh6[DP_BURST];
	uint8_t ip6[DP_BURST][16] __attribute__((aligned(16)));
	uint16_t idx4[DP_BURST], idx6[DP_BURST];
	uint16_t n4 = 0, n6 = 0, i;

	for (i = 0; i < b->n; i++) {
		const struct dp_parsed *m = &b->meta[i];
		const uint8_t *ip = b->data[i] + m->l3_off;

		if (m->layer < DP_L3) {
			drop(b, i, m->reason != LR_R_NONE ? m->reason
							  : LR_R_NOT_IP);
			continue;
		}
		if (m->ethertype == ETH_P_IP4) {
			if (unlikely(!dp_ip4_hdr_csum_ok(ip))) {
				drop(b, i, LR_R_BAD_IP4_CSUM);
				continue;
			}
			if (unlikely(m->ttl <= 1)) {
				drop(b, i, LR_R_TTL_EXPIRED);
				continue;
			}
			memcpy(&ip4[n4], ip + 16, 4);
			ip4[n4] = rte_be_to_cpu_32(ip4[n4]);
			idx4[n4++] = i;
		} else if (m->ethertype == ETH_P_IP6) {
			if (unlikely(m->ttl <= 1)) {
				drop(b, i, LR_R_TTL_EXPIRED);
				continue;
			}
			memcpy(ip6[n6], ip + 24, 16);
			idx6[n6++] = i;
		} else {
			drop(b, i, LR_R_NOT_IP);
		}
	}
	if (n4) {
		if (t->fib4)
			rte_fib_lookup_bulk(t->fib4, ip4, nh4, n4);
		else
			memset(nh4, 0, sizeof(nh4[0]) * n4);
		for (i = 0; i < n4; i++) {
			uint32_t be = rte_cpu_to_be_32(ip4[i]);

			l3_out(dp, t, b, idx4[i], nh4[i], (const uint8_t *)&be,
			       false);
		}
	}
	if (n6) {
		if (t->fib6)
			rte_fib6_lookup_bulk(t->fib6, ip6, nh6, n6);
		else
			memset(nh6, 0, sizeof(nh6[0]) * n6);
		for (i = 0; i < n6; i++)
			l3_out(dp, t, b, idx6[i], nh6[i], ip6[i], true);
	}
}

/* ---- building a table (control thread) ---- */

static uint64_t heap_used(void)
{
	struct rte_malloc_socket_stats s;
	uint64_t sum = 0;
	unsigned int sock;

	for (sock = 0; sock < RTE_MAX_NUMA_NODES; sock++)
		if (rte_malloc_get_socket_stats(sock, &s) == 0)
			sum += s.heap_allocsz_bytes;
	return sum;
}

void dp_l3_free(struct dp_l3_table *t)
{
	if (t == NULL)
		return;
	rte_fib_free(t->fib4);
	rte_fib6_free(t->fib6);
	rte_hash_free(t->neigh4);
	rte_hash_free(t->neigh6);
	rte_free(t->nh);
	rte_free(t->neigh_mac);
	rte_free(t);
}

static bool addr_eq(const struct dp_addr *a, const struct dp_addr *b)
{
	return a->family == b->family &&
	       memcmp(a->a, b->a, a->family == 4 ? 4 : 16) == 0;
}

/* A small open-addressing set of (port, via) -> next-hop id, so thousands
 * of routes sharing a few gateways build in linear time. */
struct nh_key {
	uint16_t port;
	struct dp_addr via;
};

static int nh_intern(struct dp_l3_table *t, struct nh_key *keys,
		     uint32_t *slots, uint32_t nslots, const struct nh_key *k,
		     const struct dp_neigh_conf *ng, size_t nn)
{
	uint32_t key[4], h;

	memcpy(key, k->via.a, sizeof(key)); /* jhash wants it aligned */
	h = rte_jhash(key, sizeof(key), k->port ^ k->via.family) &
	    (nslots - 1);
	struct dp_nexthop *nh;
	size_t j;

	while (slots[h]) {
		const struct nh_key *o = &keys[slots[h]];

		if (o->port == k->port && addr_eq(&o->via, &k->via))
			return (int)slots[h];
		h = (h + 1) & (nslots - 1);
	}
	if (t->nb_nh > L3_NH_MAX)
		return -E2BIG;
	slots[h] = t->nb_nh;
	keys[t->nb_nh] = *k;
	nh = &t->nh[t->nb_nh];
	nh->port = k->port;
	nh->connected = k->via.family == 0;
	for (j = 0; !nh->connected && j < nn; j++) {
		if (addr_eq(&ng[j].addr, &k->via) &&
		    (ng[j].port == DP_NO_PORT || ng[j].port == k->port)) {
			memcpy(nh->mac, ng[j].mac, 6);
			nh->resolved = 1;
			break;
		}
	}
	return (int)t->nb_nh++;
}

/* splitmix64: the route generator's reproducible random source. */
static uint64_t mix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Prefix lengths roughly as in today's global IPv4 table: ~60% /24, ~30%
 * /19../23, ~8% /12../18, ~2% /8../11 and /25../32. */
static uint8_t gen_plen(uint64_t r)
{
	unsigned int p = r % 1000;

	if (p < 600)
		return 24;
	if (p < 900)
		return 19 + (r >> 20) % 5;
	if (p < 980)
		return 12 + (r >> 20) % 7;
	if (p < 990)
		return 8 + (r >> 20) % 4;
	return 25 + (r >> 20) % 8;
}

static int build_fibs(struct dp_l3_table *t, const char *nm4,
		      const char *nm6, size_t n4, size_t n6, uint32_t tbl8_4,
		      uint32_t tbl8_6, char *err, size_t errlen)
{
	struct rte_fib_conf c4 = {
		.type = RTE_FIB_DIR24_8,
		.default_nh = 0,
		.max_routes = (int)n4 + 16,
		.dir24_8 = { .nh_sz = RTE_FIB_DIR24_8_2B,
			     .num_tbl8 = tbl8_4 },
	};
	struct rte_fib6_conf c6 = {
		.type = RTE_FIB6_TRIE,
		.default_nh = 0,
		.max_routes = (int)n6 + 16,
		.trie = { .nh_sz = RTE_FIB6_TRIE_2B, .num_tbl8 = tbl8_6 },
	};

	if (n4) {
		t->fib4 = rte_fib_create(nm4, SOCKET_ID_ANY, &c4);
		if (t->fib4 == NULL) {
			snprintf(err, errlen,
				 "routes: IPv4 FIB for %zu routes: %s", n4,
				 rte_strerror(rte_errno));
			return -ENOMEM;
		}
	}
	if (n6) {
		t->fib6 = rte_fib6_create(nm6, SOCKET_ID_ANY, &c6);
		if (t->fib6 == NULL) {
			snprintf(err, errlen,
				 "routes: IPv6 FIB for %zu routes: %s", n6,
				 rte_strerror(rte_errno));
			return -ENOMEM;
		}
	}
	return 0;
}

static int build_neigh(struct dp_l3_table *t, const char *nm4,
		       const char *nm6, const struct dp_neigh_conf *ng,
		       size_t nn, char *err, size_t errlen)
{
	size_t n4 = 0, n6 = 0, j;
	uint32_t cap4, cap6;
	int pos;

	for (j = 0; j < nn; j++)
		ng[j].addr.family == 4 ? n4++ : n6++;
	cap4 = n4 < 8 ? 8 : n4 * 2;
	cap6 = n6 < 8 ? 8 : n6 * 2;
	struct rte_hash_parameters p4 = {
		.name = nm4, .entries = cap4, .key_len = 4,
		.hash_func = rte_jhash, .socket_id = SOCKET_ID_ANY,
	};
	struct rte_hash_parameters p6 = {
		.name = nm6, .entries = cap6, .key_len = 16,
		.hash_func = rte_jhash, .socket_id = SOCKET_ID_ANY,
	};

	t->neigh4 = rte_hash_create(&p4);
	t->neigh6 = rte_hash_create(&p6);
	if (t->neigh4 == NULL || t->neigh6 == NULL) {
		snprintf(err, errlen, "neighbours: hash: %s",
			 rte_strerror(rte_errno));
		return -ENOMEM;
	}
	t->neigh6_base = (uint32_t)rte_hash_max_key_id(t->neigh4) + 1;
	t->neigh_mac = rte_zmalloc("lr_neigh_mac",
				   8 * ((size_t)t->neigh6_base +
					rte_hash_max_key_id(t->neigh6) + 1),
				   0);
	if (t->neigh_mac == NULL) {
		snprintf(err, errlen, "neighbours: out of memory");
		return -ENOMEM;
	}
	for (j = 0; j < nn; j++) {
		bool v6 = ng[j].addr.family == 6;
		uint32_t key[4];

		memcpy(key, ng[j].addr.a, sizeof(key)); /* aligned copy */
		pos = rte_hash_add_key(v6 ? t->neigh6 : t->neigh4, key);
		if (pos < 0) {
			snprintf(err, errlen, "neighbours[%zu]: %s", j,
				 strerror(-pos));
			return pos;
		}
		if (v6)
			pos += t->neigh6_base;
		memcpy(t->neigh_mac[pos], ng[j].mac, 6);
	}
	return 0;
}

int dp_l3_build(struct dp *dp, const struct dp_route_conf *r, size_t nr,
		const struct dp_neigh_conf *ng, size_t nn,
		const struct dp_routes_gen *g, struct dp_l3_table **out,
		char *err, size_t errlen)
{
	uint64_t before = heap_used(), seed;
	struct dp_l3_table *t;
	struct nh_key *keys = NULL;
	uint32_t *slots = NULL, nslots = 1, tbl8_4 = 64, tbl8_6 = 64;
	size_t n4 = 0, n6 = 0, j, nmax = nr + 2;
	char nm[4][32];
	unsigned int gen = ++dp->table_gen;
	int ret, id;

	for (j = 0; j < nr; j++) {
		if (r[j].prefix.family == 4) {
			n4++;
			tbl8_4 += r[j].plen > 24;
		} else {
			n6++;
			tbl8_6 += r[j].plen > 24 ? (r[j].plen - 17) / 8 : 0;
		}
	}
	if (g && g->count) {
		n4 += g->count;
		tbl8_4 += g->count / 50 + 64; /* ~1% longer than /24 */
	}
	while (nslots < nmax * 2)
		nslots <<= 1;
	t = rte_zmalloc("lr_l3", sizeof(*t), 0);
	keys = calloc(nmax, sizeof(*keys));
	slots = calloc(nslots, sizeof(*slots));
	if (t == NULL || keys == NULL || slots == NULL) {
		snprintf(err, errlen, "routes: out of memory");
		ret = -ENOMEM;
		goto fail;
	}
	t->gen = gen;
	t->nh = rte_zmalloc("lr_l3_nh",
			    sizeof(*t->nh) * (nmax < L3_NH_MAX + 1
						      ? nmax
						      : L3_NH_MAX + 1),
			    0);
	if (t->nh == NULL) {
		snprintf(err, errlen, "routes: out of memory");
		ret = -ENOMEM;
		goto fail;
	}
	t->nb_nh = 1; /* 0 = no route */
	snprintf(nm[0], sizeof(nm[0]), "lr_fib4_%u", gen);
	snprintf(nm[1], sizeof(nm[1]), "lr_fib6_%u", gen);
	snprintf(nm[2], sizeof(nm[2]), "lr_nb4_%u", gen);
	snprintf(nm[3], sizeof(nm[3]), "lr_nb6_%u", gen);
	ret = build_fibs(t, nm[0], nm[1], n4, n6, tbl8_4, tbl8_6, err,
			 errlen);
	if (ret < 0)
		goto fail;
	ret = build_neigh(t, nm[2], nm[3], ng, nn, err, errlen);
	if (ret < 0)
		goto fail;
	for (j = 0; j < nr; j++) {
		struct nh_key k = { .port = r[j].port, .via = r[j].via };

		id = nh_intern(t, keys, slots, nslots, &k, ng, nn);
		if (id < 0) {
			snprintf(err, errlen,
				 "routes[%zu]: more than %d distinct next hops",
				 j, L3_NH_MAX);
			ret = id;
			goto fail;
		}
		if (r[j].prefix.family == 4) {
			uint32_t a;

			memcpy(&a, r[j].prefix.a, 4);
			ret = rte_fib_add(t->fib4, rte_be_to_cpu_32(a),
					  r[j].plen, (uint64_t)id);
		} else {
			ret = rte_fib6_add(t->fib6, r[j].prefix.a, r[j].plen,
					   (uint64_t)id);
		}
		if (ret < 0) {
			snprintf(err, errlen, "routes[%zu]: FIB add: %s", j,
				 strerror(-ret));
			goto fail;
		}
	}
	if (g && g->count) {
		struct nh_key k = { .port = g->port, .via = g->via };

		id = nh_intern(t, keys, slots, nslots, &k, ng, nn);
		seed = g->seed;
		for (j = 0; id >= 0 && j < g->count; j++) {
			uint64_t rnd = mix64(&seed);
			uint8_t plen = gen_plen(rnd >> 32);
			/* Unicast space 1.0.0.0 - 223.255.255.255. */
			uint32_t a = (uint32_t)(1 + rnd % 223) << 24 |
				     ((uint32_t)(rnd >> 8) & 0xffffff);

			a &= plen ? ~0u << (32 - plen) : 0;
			ret = rte_fib_add(t->fib4, a, plen, (uint64_t)id);
			if (ret < 0) {
				snprintf(err, errlen,
					 "routes_generate: route %zu: %s", j,
					 strerror(-ret));
				goto fail;
			}
		}
	}
	free(keys);
	free(slots);
	t->bytes = heap_used() - before;
	*out = t;
	return 0;
fail:
	free(keys);
	free(slots);
	dp_l3_free(t);
	return ret;
}
