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
 * learning, one of the unicast destinations. The worker never writes the
 * hash: a source MAC that is new, moved, or whose timestamp is a second
 * old becomes a learn event (MAC, port, second) on the worker's own SP/SC
 * ring (struct dp_l2_learner), enqueued once per burst; a small filter
 * keeps a run of frames from one MAC to one event a second. A full ring
 * drops the event and counts it (l2_learn_drops); the frame is forwarded
 * all the same. So learning costs the worker no lock, no atomic
 * read-modify-write and no lcore id, and a flood of random source MACs
 * costs it one ring slot per new MAC, then nothing.
 *
 * The control thread is the hash's only writer (single-writer rte_hash,
 * RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF readers): dp_l2_drain applies
 * the events (an older event never undoes a newer one; static entries
 * never move), and dp_l2_age (dp_housekeeping, once a second) drains, then
 * deletes entries older than aging_s and frees their slots after an RCU
 * grace period. Until the drain, frames to a new MAC are flooded (or
 * dropped as L2_UNKNOWN). Each table has its own rings; a table built on
 * reload first takes the old one's learned entries and queued events.
 *
 * Measured (release build, the stage alone on bursts of 32, best of 5
 * alternating runs on the loaded 2-core VM): every frame from a new source
 * MAC, ~95 cycles a packet on the worker, against ~200 when the worker
 * inserted under rte_hash's writer lock; the control thread's drain,
 * ~370 cycles an event.
 */
#include <errno.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>
#include <rte_ring.h>

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

/* Filter slot of a MAC (Fibonacci hashing of its 48 bits). */
static inline unsigned int seen_slot(uint64_t key)
{
	return (unsigned int)((key * 0x9e3779b97f4a7c15ull) >> 56) &
	       (DP_L2_SEEN - 1);
}

/* Queue a learn event unless this worker queued the same (MAC, port) this
 * second already. Returns the number of events added to ev (0 or 1). */
static inline unsigned int learn_event(struct dp_l2_learner *l,
				       struct dp_l2_event *ev, uint64_t key,
				       uint16_t port, uint32_t now_s)
{
	unsigned int s = seen_slot(key);
	uint64_t tag = key | (uint64_t)port << 48 | 1ull << 63;

	if (l->seen[s] == tag && l->seen_s[s] == now_s)
		return 0;
	l->seen[s] = tag;
	l->seen_s[s] = now_s;
	ev->key = key;
	ev->secs = now_s;
	ev->port = port;
	ev->pad = 0;
	return 1;
}

/* Source MACs of packets [lo, lo + n): one bulk lookup; an event for each
 * MAC that is new, moved, or a second old (a run of frames from one source
 * makes one). Returns the number of events added to ev. */
static unsigned int learn_chunk(struct dp_l2_learner *l,
				const struct dp_l2_table *t,
				const struct dp_burst *b, uint16_t lo,
				uint16_t n, uint32_t now_s,
				struct dp_l2_event *ev)
{
	uint64_t sk[L2_CHUNK], hit = 0;
	const void *kp[L2_CHUNK];
	void *v[L2_CHUNK];
	unsigned int m = 0, j, ne = 0;
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
		return 0;
	rte_hash_lookup_bulk_data(t->h, kp, m, &hit, v);
	for (j = 0; j < m; j++) {
		uintptr_t old = (uintptr_t)v[j];

		if (!(hit >> j & 1) ||
		    (!(old & DP_L2_STATIC) &&
		     ((old & 0xffff) != b->port ||
		      (uint32_t)(old >> 32) != now_s)))
			ne += learn_event(l, &ev[ne], sk[j], b->port, now_s);
	}
	return ne;
}

/* One enqueue per burst. What does not fit is counted, and its filter
 * slot cleared so that the MAC's next frame tries again. */
static void learn_push(struct dp_worker *w, struct dp_l2_learner *l,
		       const struct dp_l2_event *ev, unsigned int ne)
{
	unsigned int k, j;

	k = rte_ring_sp_enqueue_burst_elem(l->ring, ev, sizeof(*ev), ne,
					   NULL);
	w->st->l2_learn_events += k;
	if (k == ne)
		return;
	w->st->l2_learn_drops += ne - k;
	for (j = k; j < ne; j++) {
		unsigned int s = seen_slot(ev[j].key);

		if ((l->seen[s] & 0xffffffffffffull) == ev[j].key)
			l->seen[s] = 0;
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
	struct dp_l2_learner *l = NULL;
	struct dp_l2_event ev[DP_BURST];
	bool fl = atomic_load_explicit(&dp->l2_flood, memory_order_relaxed);
	uint32_t now_s = 0;
	unsigned int ne = 0;
	uint16_t lo, n;

	if (atomic_load_explicit(&dp->l2_learn, memory_order_relaxed) &&
	    w->idx < t->nb_learners) {
		l = &t->learners[w->idx];
		now_s = (uint32_t)(rte_rdtsc() / dp->tsc_hz);
	}
	/* Per chunk: the sources' events, then the destinations. A frame to
	 * a MAC first seen in the same burst is flooded: the table learns it
	 * when the control thread drains the ring. */
	for (lo = 0; lo < b->n; lo += n) {
		n = (uint16_t)RTE_MIN(b->n - lo, L2_CHUNK);
		if (l)
			ne += learn_chunk(l, t, b, lo, n, now_s, &ev[ne]);
		fwd_chunk(w, t, b, lo, n, fl);
	}
	if (ne)
		learn_push(w, l, ev, ne);
}

void dp_l2_free(struct dp_l2_table *t)
{
	unsigned int i;

	if (t == NULL)
		return;
	for (i = 0; t->learners && i < t->nb_learners; i++)
		rte_free(t->learners[i].ring);
	rte_free(t->learners);
	rte_hash_free(t->h);
	rte_free(t);
}

/* One SP/SC ring of DP_L2_RING_SIZE slots (one fewer events) per worker.
 * Not rte_ring_create: these need no name in the ring list. */
static int learners_alloc(struct dp_l2_table *t, unsigned int n)
{
	ssize_t sz = rte_ring_get_memsize_elem(sizeof(struct dp_l2_event),
					       DP_L2_RING_SIZE);
	unsigned int i;

	if (sz < 0)
		return (int)sz;
	t->learners = rte_zmalloc("lr_l2_learn", sizeof(*t->learners) * n,
				  DP_CACHE_LINE);
	if (t->learners == NULL)
		return -ENOMEM;
	t->nb_learners = n;
	for (i = 0; i < n; i++) {
		struct rte_ring *r = rte_zmalloc("lr_l2_ring", (size_t)sz,
						 DP_CACHE_LINE);
		int ret;

		if (r == NULL)
			return -ENOMEM;
		t->learners[i].ring = r;
		ret = rte_ring_init(r, "lr_l2_learn", DP_L2_RING_SIZE,
				    RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (ret < 0)
			return ret;
	}
	t->bytes += (uint64_t)n * ((uint64_t)sz + sizeof(*t->learners));
	return 0;
}

/* Apply one learn event (control thread, the only writer). Static entries
 * stay; an event older than the entry is stale (another worker saw the
 * MAC later, maybe on another port). Returns 1 when the table changed. */
static unsigned int learn_apply(struct dp *dp, struct dp_l2_table *t,
				const struct dp_l2_event *e)
{
	void *v;
	int ret;

	if (e->port >= dp->nb_ports)
		return 0;
	if (rte_hash_lookup_data(t->h, &e->key, &v) >= 0) {
		uintptr_t old = (uintptr_t)v;

		if (old & DP_L2_STATIC || (uint32_t)(old >> 32) > e->secs ||
		    ((old & 0xffff) == e->port &&
		     (uint32_t)(old >> 32) == e->secs))
			return 0;
	}
	ret = rte_hash_add_key_data(t->h, &e->key,
				    (void *)l2_val(e->port, false, e->secs));
	if (ret < 0) {
		t->learn_full++;
		return 0;
	}
	return 1;
}

/* Drain every ring of src (at most one ring's worth each, so a worker
 * that keeps pushing cannot hold the control thread) into t. */
static unsigned int drain_into(struct dp *dp, struct dp_l2_table *t,
			       const struct dp_l2_table *src)
{
	struct dp_l2_event ev[64];
	unsigned int i, k, j, done, changed = 0;

	for (i = 0; i < src->nb_learners; i++) {
		struct rte_ring *r = src->learners[i].ring;

		for (done = 0; done < DP_L2_RING_SIZE; done += k) {
			k = rte_ring_sc_dequeue_burst_elem(r, ev, sizeof(ev[0]),
							   RTE_DIM(ev), NULL);
			if (k == 0)
				break;
			for (j = 0; j < k; j++)
				changed += learn_apply(dp, t, &ev[j]);
		}
	}
	return changed;
}

unsigned int dp_l2_drain(struct dp *dp)
{
	struct dp_l2_table *t =
		atomic_load_explicit(&dp->l2, memory_order_acquire);

	return t ? drain_into(dp, t, t) : 0;
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
	/* Single writer (the control thread), lock-free readers. */
	struct rte_hash_parameters p = {
		.name = nm,
		.entries = size,
		.key_len = sizeof(uint64_t),
		.hash_func = rte_hash_crc,
		.socket_id = SOCKET_ID_ANY,
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF,
	};

	t = rte_zmalloc("lr_l2", sizeof(*t), 0);
	if (t == NULL)
		goto nomem;
	t->size = size;
	t->h = rte_hash_create(&p);
	if (t->h == NULL)
		goto nomem;
	t->bytes = (uint64_t)size * 64;
	ret = learners_alloc(t, dp->nb_workers ? dp->nb_workers : 1);
	if (ret < 0) {
		snprintf(err, errlen, "l2: learn rings of %u events: %s",
			 DP_L2_RING_SIZE, strerror(-ret));
		dp_l2_free(t);
		return ret;
	}
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
	/* Keep what was learned, where its port is still there, and what
	 * the workers queued on the old table's rings so far (what they
	 * queue there until the swap is lost: the next frame re-queues it
	 * on the new table's). */
	while (old && rte_hash_iterate(old->h, &k, &v, &it) >= 0) {
		uintptr_t val = (uintptr_t)v;

		if (val & DP_L2_STATIC || (val & 0xffff) >= dp->nb_ports)
			continue;
		if (rte_hash_lookup(t->h, k) >= 0)
			continue;
		rte_hash_add_key_data(t->h, k, v);
	}
	if (old)
		drain_into(dp, t, old);
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

	if (t == NULL)
		return;
	/* The learn events first, so what was just learned is not aged
	 * (dp_housekeeping drains on every call and ages once a second; for
	 * it this is an empty ring check per worker). */
	drain_into(dp, t, t);
	if (dp->conf.l2.aging_s == 0)
		return;
	while (np < 256 && rte_hash_iterate(t->h, &k, &v, &it) >= 0) {
		uintptr_t val = (uintptr_t)v;
		int32_t p;

		/* Signed: a stamp after now (a worker's event of the next
		 * second, drained after now was taken) is fresh, not aged
		 * 2^32 - 1 seconds. */
		if (val & DP_L2_STATIC ||
		    (int32_t)(now_s - (uint32_t)(val >> 32)) <
			    (int32_t)dp->conf.l2.aging_s)
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
