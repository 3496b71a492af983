// SPDX-License-Identifier: MIT
/*
 * l2 mode: a MAC table (rte_hash, lock-free readers) of static entries from
 * config plus, when learning is on, source MACs seen on forwarding ports.
 * Known destination: out of its port (dropped as L2_SAME_PORT when that is
 * the input port). Unknown, broadcast or multicast destination: flooded to
 * every other port in l2 mode when flooding is on (the original to the first,
 * copies in buffers of the input port's domain to the rest), else dropped as
 * L2_UNKNOWN.
 *
 * Per burst (in chunks of 64): one bulk lookup of the source MACs when
 * learning, one of the unicast destinations. Learning writes the hash from
 * the worker only when a MAC is new, moved, or its timestamp is a second
 * old: rare events, not per packet. A worker
 * without a DPDK lcore id (rte_thread_register failed) does not learn:
 * the multi-writer add indexes a per-lcore cache with it. The hash is
 * built multi-writer (its add path takes a lock; lookups never do). Aging
 * runs on the control thread (dp_housekeeping): entries older than aging_s
 * are deleted and their slots freed after an RCU grace period.
 */
#include <errno.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "dp_internal.h"

static inline uint64_t mac_key(const uint8_t *mac)
{
	uint64_t k = 0;

	memcpy(&k, mac, 6);
	return k;
}

static inline uintptr_t l2_val(uint16_t port, bool stat, uint32_t secs)
{
	return (uintptr_t)port | (stat ? DP_L2_STATIC : 0) |
	       (uintptr_t)secs << 32;
}

static void flood(struct dp_worker *w, struct dp_burst *b, uint16_t i)
{
	struct dp *dp = w->dp;
	struct dp_port *ip = &dp->ports[b->port];
	uint16_t o, first = DP_OUT_DROP;

	for (o = 0; o < dp->nb_ports; o++) {
		uint8_t *data;
		uintptr_t buf;

		if (o == b->port ||
		    atomic_load_explicit(&dp->rt[o].mode,
					 memory_order_relaxed) != DP_FWD_L2 ||
		    !atomic_load_explicit(&dp->rt[o].admin_up,
					  memory_order_relaxed))
			continue;
		if (first == DP_OUT_DROP) {
			first = o;
			continue;
		}
		if (ip->ops->alloc_bufs(ip, b->queue, b->len[i], &data, &buf,
					1) != 1) {
			w->st->drops[LR_R_NO_BUF]++;
			continue;
		}
		memcpy(data, b->data[i], b->len[i]);
		dp_worker_tx_one(w, o, data, b->len[i], buf, b->port,
				 b->queue);
	}
	b->out[i] = first;
	b->reason[i] = LR_R_L2_UNKNOWN;
}

/* rte_hash bulk lookups take at most this many keys. */
#define L2_CHUNK RTE_HASH_LOOKUP_BULK_MAX

/* Learn the source MACs of packets [lo, lo + n): one bulk lookup, then an
 * insert only for a MAC that is new, moved, or a second old (a run of
 * frames from one source inserts once). */
static void learn_chunk(struct dp_worker *w, const struct dp_l2_table *t,
			struct dp_burst *b, uint16_t lo, uint16_t n,
			uint32_t now_s)
{
	uint64_t sk[L2_CHUNK], hit = 0;
	const void *kp[L2_CHUNK];
	void *v[L2_CHUNK];
	uintptr_t nv = l2_val(b->port, false, now_s);
	unsigned int m = 0, j;
	uint16_t i;

	for (i = lo; i < lo + n; i++) {
		const uint8_t *f = b->data[i];

		if (b->len[i] < 14 || (f[6] & 1))
			continue;
		sk[m] = mac_key(f + 6);
		if (m && sk[m] == sk[m - 1])
			continue;
		kp[m] = &sk[m];
		m++;
	}
	if (m == 0)
		return;
	rte_hash_lookup_bulk_data(t->h, kp, m, &hit, v);
	for (j = 0; j < m; j++) {
		uintptr_t old = (uintptr_t)v[j];

		if (!(hit >> j & 1) ||
		    (!(old & DP_L2_STATIC) &&
		     ((old & 0xffff) != b->port ||
		      (uint32_t)(old >> 32) != now_s)))
			rte_hash_add_key_data(t->h, &sk[j], (void *)nv);
	}
}

/* Forward packets [lo, lo + n): one bulk lookup of the unicast
 * destinations. */
static void fwd_chunk(struct dp_worker *w, const struct dp_l2_table *t,
		      struct dp_burst *b, uint16_t lo, uint16_t n, bool fl)
{
	uint64_t dk[L2_CHUNK], hit = 0;
	const void *kp[L2_CHUNK];
	void *v[L2_CHUNK];
	uint16_t idx[L2_CHUNK], i;
	unsigned int m = 0, j;

	for (i = lo; i < lo + n; i++) {
		const uint8_t *f = b->data[i];

		if (b->len[i] < 14) {
			b->out[i] = DP_OUT_DROP;
			b->reason[i] = LR_R_TRUNC_ETH;
		} else if (f[0] & 1) { /* broadcast / multicast */
			if (fl) {
				flood(w, b, i);
			} else {
				b->out[i] = DP_OUT_DROP;
				b->reason[i] = LR_R_L2_UNKNOWN;
			}
		} else {
			dk[m] = mac_key(f);
			kp[m] = &dk[m];
			idx[m++] = i;
		}
	}
	if (m == 0)
		return;
	rte_hash_lookup_bulk_data(t->h, kp, m, &hit, v);
	for (j = 0; j < m; j++) {
		i = idx[j];
		if (hit >> j & 1) {
			uint16_t o = (uintptr_t)v[j] & 0xffff;

			if (o == b->port) {
				b->out[i] = DP_OUT_DROP;
				b->reason[i] = LR_R_L2_SAME_PORT;
			} else {
				b->out[i] = o;
			}
		} else if (fl) {
			flood(w, b, i);
		} else {
			b->out[i] = DP_OUT_DROP;
			b->reason[i] = LR_R_L2_UNKNOWN;
		}
	}
}

void dp_fwd_l2(struct dp_worker *w, struct dp_burst *b)
{
	struct dp *dp = w->dp;
	const struct dp_l2_table *t =
		atomic_load_explicit(&dp->l2, memory_order_acquire);
	/* rte_hash's multi-writer add keeps a free-slot cache per lcore id:
	 * a worker that got none (LCORE_ID_ANY) must not insert. */
	bool learn = atomic_load_explicit(&dp->l2_learn,
					  memory_order_relaxed) &&
		     w->lcore != LCORE_ID_ANY;
	bool fl = atomic_load_explicit(&dp->l2_flood, memory_order_relaxed);
	uint32_t now_s = (uint32_t)(rte_rdtsc() / dp->tsc_hz);
	uint16_t lo, n;

	/* Per chunk: learn every source first, then look the destinations
	 * up, so a frame to a MAC learned earlier in the same burst is
	 * forwarded (or dropped as same-port) as if one by one. */
	for (lo = 0; lo < b->n; lo += n) {
		n = (uint16_t)RTE_MIN(b->n - lo, L2_CHUNK);
		if (learn)
			learn_chunk(w, t, b, lo, n, now_s);
		fwd_chunk(w, t, b, lo, n, fl);
	}
}

void dp_l2_free(struct dp_l2_table *t)
{
	if (t == NULL)
		return;
	rte_hash_free(t->h);
	rte_free(t);
}

int dp_l2_build(struct dp *dp, const struct dp_mac_conf *m, size_t n,
		const struct dp_l2_table *old, struct dp_l2_table **out,
		char *err, size_t errlen)
{
	struct dp_l2_table *t;
	char nm[32];
	uint32_t size = dp->conf.l2.size ? dp->conf.l2.size : 4096;
	const void *k;
	void *v;
	uint32_t it = 0;
	size_t j;
	int ret;

	if (size < n * 2)
		size = (uint32_t)n * 2;
	snprintf(nm, sizeof(nm), "lr_l2_%u", ++dp->table_gen);
	struct rte_hash_parameters p = {
		.name = nm,
		.entries = size,
		.key_len = sizeof(uint64_t),
		.hash_func = rte_hash_crc,
		.socket_id = SOCKET_ID_ANY,
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF |
			      RTE_HASH_EXTRA_FLAGS_MULTI_WRITER_ADD,
	};

	t = rte_zmalloc("lr_l2", sizeof(*t), 0);
	if (t == NULL)
		goto nomem;
	t->size = size;
	t->h = rte_hash_create(&p);
	if (t->h == NULL)
		goto nomem;
	for (j = 0; j < n; j++) {
		uint64_t key = mac_key(m[j].mac);

		ret = rte_hash_add_key_data(t->h, &key,
					    (void *)l2_val(m[j].port, true, 0));
		if (ret < 0) {
			snprintf(err, errlen, "macs[%zu]: %s", j,
				 strerror(-ret));
			dp_l2_free(t);
			return ret;
		}
	}
	/* Keep what was learned, where its port is still there. */
	while (old && rte_hash_iterate(old->h, &k, &v, &it) >= 0) {
		uintptr_t val = (uintptr_t)v;

		if (val & DP_L2_STATIC || (val & 0xffff) >= dp->nb_ports)
			continue;
		if (rte_hash_lookup(t->h, k) >= 0)
			continue;
		rte_hash_add_key_data(t->h, k, v);
	}
	t->bytes = (uint64_t)size * 64;
	*out = t;
	return 0;
nomem:
	snprintf(err, errlen, "macs: table of %u entries: %s", size,
		 rte_strerror(rte_errno));
	dp_l2_free(t);
	return -ENOMEM;
}

void dp_l2_age(struct dp *dp, uint32_t now_s)
{
	struct dp_l2_table *t =
		atomic_load_explicit(&dp->l2, memory_order_acquire);
	int32_t pos[256];
	unsigned int np = 0, i;
	uint32_t it = 0;
	const void *k;
	void *v;

	if (t == NULL || dp->conf.l2.aging_s == 0)
		return;
	while (np < 256 && rte_hash_iterate(t->h, &k, &v, &it) >= 0) {
		uintptr_t val = (uintptr_t)v;
		int32_t p;

		if (val & DP_L2_STATIC ||
		    now_s - (uint32_t)(val >> 32) < dp->conf.l2.aging_s)
			continue;
		p = rte_hash_del_key(t->h, k);
		if (p >= 0)
			pos[np++] = p;
	}
	if (np == 0)
		return;
	dp_rcu_sync(dp);
	for (i = 0; i < np; i++)
		rte_hash_free_key_with_position(t->h, pos[i]);
}
