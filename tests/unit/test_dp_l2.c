// SPDX-License-Identifier: MIT
/*
 * Description: l2 learning through the workers' learn rings. The stage
 * (dp_fwd_l2) runs on a worker without a DPDK lcore id, as a worker thread
 * that got none would; the test thread plays the control thread
 * (dp_housekeeping / dp_l2_drain / dp_l2_age). Asserted, with the bytes of
 * every frame and flooded copy:
 * - a frame from a new MAC is flooded and the hash is not written by the
 *   worker; after the drain, frames to that MAC go out of its port only;
 * - a run of frames from one new MAC queues one event, not one a frame;
 * - a move (the MAC shows up on another port) is learned; a static entry
 *   never moves;
 * - a stale timestamp is refreshed through the ring;
 * - with more distinct new MACs than the ring holds, the rest are counted
 *   in l2_learn_drops, and their next frames queue them again;
 * - a reload of the MAC table keeps learned entries and queued events;
 * - aging removes learned entries that are old enough, keeps the others
 *   and the static ones, and their frames are flooded again;
 * - with the stage on its own thread (an RCU reader, as a worker is) and
 *   this thread draining and aging everything away again and again, every
 *   MAC ends up learned on its port (and ASan sees no bad access).
 * Three net_null ports in l2 mode, no worker threads; EAL --no-huge, its
 * own file prefix.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <rte_cycles.h>
#include <rte_hash.h>
#include <rte_lcore.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "dp_internal.h"

#define AGING_S 300

static struct dp *dp;
static struct dp_config base;
static struct dp_worker *w;
static struct dp_burst *b;

/* Static: ST behind port 2. */
static const uint8_t ST[6] = { 2, 0, 0, 0, 0x0c, 0x99 };
static struct dp_mac_conf macs[1] = {
	{ .mac = { 2, 0, 0, 0, 0x0c, 0x99 }, .port = 2 },
};

static int setup(void **state)
{
	char err[256];
	uint16_t p;
	int ret;

	(void)state;
	dp_config_init(&base);
	snprintf(base.eal.file_prefix, sizeof(base.eal.file_prefix),
		 "lr-l2-%d", (int)getpid());
	base.eal.hugepages = 0;
	base.eal.mem_mb = 256;
	base.eal.main_core = 0;
	snprintf(base.eal.log_level, sizeof(base.eal.log_level), "error");
	base.nb_ports = 3;
	for (p = 0; p < 3; p++) {
		struct dp_port_entry *pe = &base.ports[p];

		dp_port_entry_init(pe, p);
		snprintf(pe->conf.name, sizeof(pe->conf.name), "%c", 'a' + p);
		snprintf(pe->conf.backend, sizeof(pe->conf.backend), "dpdk");
		snprintf(pe->conf.dev, sizeof(pe->conf.dev), "net_null%u", p);
		pe->mode = DP_FWD_L2;
	}
	base.l2.learning = true;
	base.l2.flood = true;
	base.l2.aging_s = AGING_S;
	base.l2.size = 16384;
	base.macs = macs;
	base.nb_macs = 1;
	ret = dp_eal_init(&base, "test_dp_l2", err, sizeof(err));
	if (ret < 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	ret = dp_create(&base, &dp, err, sizeof(err));
	if (ret < 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	w = calloc(1, sizeof(*w));
	b = calloc(1, sizeof(*b));
	if (w == NULL || b == NULL)
		return -1;
	w->st = calloc(1, sizeof(*w->st));
	if (w->st == NULL)
		return -1;
	w->dp = dp;
	w->idx = 0;
	/* No lcore id: it learns all the same (the ring needs none). */
	w->lcore = LCORE_ID_ANY;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	if (w)
		free(w->st);
	free(w);
	free(b);
	dp_destroy(dp);
	base.macs = NULL;
	base.nb_macs = 0;
	dp_config_free(&base);
	dp_eal_cleanup();
	return 0;
}

/* Test frames: 64 bytes, dst, src, IPv4 ethertype, then tag in every
 * payload byte so that the bytes say which frame it is. */
struct frame {
	uint8_t d[64];
};

static void mkframe(struct frame *f, const uint8_t *dst, const uint8_t *src,
		    uint8_t tag)
{
	memcpy(f->d, dst, 6);
	memcpy(f->d + 6, src, 6);
	f->d[12] = 0x08;
	f->d[13] = 0x00;
	memset(f->d + 14, tag, sizeof(f->d) - 14);
}

static void mac_n(uint8_t *mac, uint32_t n)
{
	mac[0] = 2;
	mac[1] = 0x42;
	mac[2] = (uint8_t)(n >> 24);
	mac[3] = (uint8_t)(n >> 16);
	mac[4] = (uint8_t)(n >> 8);
	mac[5] = (uint8_t)n;
}

static uint64_t key_of(const uint8_t *mac)
{
	uint64_t k = 0;

	memcpy(&k, mac, 6);
	return k;
}

/* Value of mac in the current table, or -1 when absent. */
static int64_t lookup(const uint8_t *mac)
{
	uint64_t k = key_of(mac);
	void *v;

	if (rte_hash_lookup_data(atomic_load(&dp->l2)->h, &k, &v) < 0)
		return -1;
	return (int64_t)(uintptr_t)v;
}

static uint32_t now_s(void)
{
	return (uint32_t)(rte_rdtsc() / dp->tsc_hz);
}

/* Copies the stage flooded to port o: checks each is f's bytes, frees
 * them, returns how many. */
static unsigned int take_copies(uint16_t o, const struct frame *f)
{
	struct dp_txbuf *t = &w->tx[o];
	unsigned int n = t->n, i;

	for (i = 0; i < n; i++) {
		assert_int_equal(t->len[i], sizeof(f->d));
		assert_memory_equal(t->data[i], f->d, sizeof(f->d));
	}
	if (n)
		dp->ports[t->src_port].ops->free_bufs(&dp->ports[t->src_port],
						 t->src_queue, t->buf, t->n);
	t->n = 0;
	return n;
}

/* Run one frame through the stage from port in. Returns its output port
 * (DP_OUT_DROP: dropped) after checking the frame itself is unchanged. */
static uint16_t run1(uint16_t in, struct frame *f)
{
	struct frame copy = *f;

	memset(b, 0, offsetof(struct dp_burst, meta));
	b->n = 1;
	b->port = in;
	b->queue = 0;
	b->data[0] = f->d;
	b->len[0] = sizeof(f->d);
	dp_fwd_l2(w, b);
	assert_memory_equal(f->d, copy.d, sizeof(f->d));
	return b->out[0];
}

/* A frame from port in must be flooded: the original to the first other
 * port, one copy with its bytes to the remaining one. */
static void expect_flood(uint16_t in, struct frame *f)
{
	uint16_t o, first = in == 0 ? 1 : 0, other = in == 2 ? 1 : 2;

	o = run1(in, f);
	assert_int_equal(o, first);
	assert_int_equal(take_copies(other, f), 1);
	assert_int_equal(take_copies(first, f), 0);
	assert_int_equal(take_copies(in, f), 0);
}

/* A frame from port in must go to port out only. */
static void expect_unicast(uint16_t in, struct frame *f, uint16_t out)
{
	uint16_t p;

	assert_int_equal(run1(in, f), out);
	for (p = 0; p < 3; p++)
		assert_int_equal(take_copies(p, f), 0);
}

static const uint8_t S[6] = { 2, 0, 0, 0, 0x51, 1 };
static const uint8_t T[6] = { 2, 0, 0, 0, 0x52, 2 };
static const uint8_t U[6] = { 2, 0, 0, 0, 0x53, 3 };
static const uint8_t UNK[6] = { 2, 0, 0, 0, 0x77, 0x77 };
static const uint8_t NOBODY[6] = { 2, 0, 0, 0, 0x78, 0x78 }; /* never a source */

static void test_new_mac_floods_then_unicast(void **state)
{
	struct frame f1, f2, f3;
	uint64_t ev0 = w->st->l2_learn_events;

	(void)state;
	mkframe(&f1, UNK, S, 1); /* S on a, to nobody known */
	mkframe(&f2, S, T, 2);   /* T on b, to S */
	mkframe(&f3, T, S, 3);   /* S on a, to T */
	expect_flood(0, &f1);
	assert_int_equal(w->st->l2_learn_events, ev0 + 1);
	/* The worker queued S but did not write the hash. */
	assert_true(lookup(S) < 0);
	/* Not drained yet: a frame to S is flooded too. */
	expect_flood(1, &f2);
	assert_int_equal(w->st->l2_learn_events, ev0 + 2);
	assert_true(lookup(T) < 0);

	/* The control thread drains: S behind a, T behind b. */
	dp_housekeeping(dp);
	assert_int_equal(lookup(S) & 0xffff, 0);
	assert_int_equal(lookup(T) & 0xffff, 1);
	assert_int_equal(lookup(S) & DP_L2_STATIC, 0);
	expect_unicast(1, &f2, 0);
	expect_unicast(0, &f3, 1);
	/* A frame to S from S's own port: dropped as same-port. */
	mkframe(&f3, S, T, 4);
	assert_int_equal(run1(0, &f3), DP_OUT_DROP);
	assert_int_equal(b->reason[0], LR_R_L2_SAME_PORT);
	/* T's frame came from a: a move, queued. */
	dp_l2_drain(dp);
	assert_int_equal(lookup(T) & 0xffff, 0);
	assert_int_equal(w->st->l2_learn_drops, 0);
}

/* Many frames from one new MAC, in many bursts before a drain: one event
 * (two if the second changed in between), not one a frame. */
static void test_one_event_per_mac(void **state)
{
	struct frame f;
	uint64_t ev0 = w->st->l2_learn_events;
	unsigned int i;

	(void)state;
	mkframe(&f, ST, U, 5); /* to the static MAC on c */
	for (i = 0; i < 50; i++)
		expect_unicast(0, &f, 2);
	assert_true(w->st->l2_learn_events - ev0 >= 1);
	assert_true(w->st->l2_learn_events - ev0 <= 2);
	assert_true(dp_l2_drain(dp) >= 1);
	assert_int_equal(lookup(U) & 0xffff, 0);
	/* Learned and fresh: no more events (but a refresh when the second
	 * turns). */
	ev0 = w->st->l2_learn_events;
	for (i = 0; i < 50; i++)
		expect_unicast(0, &f, 2);
	assert_true(w->st->l2_learn_events - ev0 <= 1);
	dp_l2_drain(dp);
}

static void test_move_and_static(void **state)
{
	struct frame from_s, to_s, from_st, to_st;

	(void)state;
	mkframe(&from_s, ST, S, 6);
	mkframe(&to_s, S, UNK, 7);
	mkframe(&from_st, NOBODY, ST, 8);
	mkframe(&to_st, ST, UNK, 9);
	/* S (learned on a) now talks from c. */
	assert_int_equal(lookup(S) & 0xffff, 0);
	assert_int_equal(run1(2, &from_s), DP_OUT_DROP); /* ST is on c */
	assert_int_equal(b->reason[0], LR_R_L2_SAME_PORT);
	expect_unicast(1, &to_s, 0); /* not drained: still a */
	assert_true(dp_l2_drain(dp) >= 1);
	assert_int_equal(lookup(S) & 0xffff, 2);
	expect_unicast(1, &to_s, 2);
	/* And back to a. */
	mkframe(&from_s, ST, S, 10);
	expect_unicast(0, &from_s, 2);
	dp_l2_drain(dp);
	assert_int_equal(lookup(S) & 0xffff, 0);
	expect_unicast(1, &to_s, 0);

	/* The static MAC shows up as a source on a: it stays on c. */
	expect_flood(0, &from_st);
	dp_l2_drain(dp);
	assert_int_equal(lookup(ST) & 0xffff, 2);
	assert_true(lookup(ST) & DP_L2_STATIC);
	expect_unicast(1, &to_st, 2);
}

/* An entry whose timestamp is old is refreshed through the ring. (A MAC
 * this worker has not queued yet: its filter would hold back a second
 * event for the same MAC and port within the same second.) */
static void test_refresh(void **state)
{
	static const uint8_t W[6] = { 2, 0, 0, 0, 0x55, 5 };
	struct frame f;
	uint64_t k = key_of(W);
	uint32_t t0 = now_s() - 5;
	uint64_t ev0;
	int64_t v;

	(void)state;
	assert_int_equal(rte_hash_add_key_data(atomic_load(&dp->l2)->h, &k,
					       (void *)((uintptr_t)0 |
							(uintptr_t)t0 << 32)),
			 0);
	mkframe(&f, ST, W, 11);
	ev0 = w->st->l2_learn_events;
	expect_unicast(0, &f, 2);
	expect_unicast(0, &f, 2);
	assert_true(w->st->l2_learn_events - ev0 >= 1);
	assert_true(w->st->l2_learn_events - ev0 <= 2);
	assert_int_equal((uint64_t)lookup(W) >> 32, t0); /* not yet */
	assert_true(dp_l2_drain(dp) >= 1);
	v = lookup(W);
	assert_int_equal(v & 0xffff, 0);
	assert_true((uint32_t)((uint64_t)v >> 32) >= t0 + 5);
	assert_true((uint32_t)((uint64_t)v >> 32) <= now_s());
}

/* More distinct new MACs than the ring holds, without a drain. */
static void test_ring_full(void **state)
{
	const struct dp_l2_table *t = atomic_load(&dp->l2);
	unsigned int cap = rte_ring_get_capacity(t->learners[0].ring);
	unsigned int total = cap + 100, i, j, n;
	uint64_t ev0 = w->st->l2_learn_events;
	uint64_t dr0 = w->st->l2_learn_drops;
	int32_t cnt0 = rte_hash_count(t->h);
	static struct frame f[DP_BURST];
	uint8_t mac[6];

	(void)state;
	assert_int_equal(cap, DP_L2_RING_SIZE - 1);
	for (i = 0; i < total; i += n) {
		n = total - i < DP_BURST ? total - i : DP_BURST;
		memset(b, 0, offsetof(struct dp_burst, meta));
		b->n = (uint16_t)n;
		b->port = 0;
		for (j = 0; j < n; j++) {
			mac_n(mac, i + j);
			mkframe(&f[j], ST, mac, 12);
			b->data[j] = f[j].d;
			b->len[j] = sizeof(f[j].d);
		}
		dp_fwd_l2(w, b);
		for (j = 0; j < n; j++)
			assert_int_equal(b->out[j], 2); /* to the static MAC */
	}
	assert_int_equal(w->st->l2_learn_events - ev0, cap);
	assert_int_equal(w->st->l2_learn_drops - dr0, total - cap);
	/* The drain learns the ones that fit (the first cap). */
	assert_int_equal(dp_l2_drain(dp), cap);
	assert_int_equal(rte_hash_count(t->h), cnt0 + (int32_t)cap);
	mac_n(mac, cap - 1);
	assert_int_equal(lookup(mac) & 0xffff, 0);
	mac_n(mac, cap);
	assert_true(lookup(mac) < 0);
	/* The dropped ones' next frames queue them again. */
	for (i = cap; i < total; i++) {
		struct frame g;

		mac_n(mac, i);
		mkframe(&g, ST, mac, 13);
		expect_unicast(0, &g, 2);
	}
	assert_int_equal(w->st->l2_learn_events - ev0, total);
	assert_int_equal(w->st->l2_learn_drops - dr0, total - cap);
	assert_int_equal(dp_l2_drain(dp), total - cap);
	assert_int_equal(rte_hash_count(t->h), cnt0 + (int32_t)total);
}

/* A new MAC table (dp_macs_set) keeps learned entries and takes the
 * events queued on the old table's ring. */
static void test_reload_keeps(void **state)
{
	static const uint8_t V[6] = { 2, 0, 0, 0, 0x54, 4 };
	const struct dp_l2_table *old = atomic_load(&dp->l2);
	struct frame f;
	char err[256] = "";

	(void)state;
	mkframe(&f, ST, V, 14);
	expect_unicast(1, &f, 2);
	assert_true(lookup(V) < 0);
	assert_int_equal(dp_macs_set(dp, macs, 1, err, sizeof(err)), 0);
	assert_ptr_not_equal(atomic_load(&dp->l2), old);
	assert_int_equal(lookup(V) & 0xffff, 1);
	assert_int_equal(lookup(S) & 0xffff, 0);
	assert_true(lookup(ST) & DP_L2_STATIC);
}

/* Aging: learned entries at least aging_s old go, younger ones and static
 * ones stay; frames to an aged-out MAC are flooded again. */
static void test_aging(void **state)
{
	const struct dp_l2_table *t = atomic_load(&dp->l2);
	struct frame to_s;
	uint32_t now = now_s();
	unsigned int i;

	(void)state;
	mkframe(&to_s, S, UNK, 15);
	expect_unicast(1, &to_s, 0);
	/* Nothing is old yet. */
	dp_l2_age(dp, now);
	assert_int_equal(lookup(S) & 0xffff, 0);
	/* aging_s later, everything learned is old; aging deletes at most
	 * 256 a call (a second), so call it until nothing more goes. */
	for (i = 0; i < 64 && rte_hash_count(t->h) > 1; i++)
		dp_l2_age(dp, now + AGING_S + 2);
	assert_int_equal(rte_hash_count(t->h), 1);
	assert_true(lookup(S) < 0);
	assert_true(lookup(T) < 0);
	assert_true(lookup(ST) & DP_L2_STATIC);
	expect_flood(1, &to_s);
	/* Learning again after aging: S from a, drained, unicast. */
	mkframe(&to_s, ST, S, 16);
	expect_unicast(0, &to_s, 2);
	dp_l2_drain(dp);
	mkframe(&to_s, S, UNK, 17);
	expect_unicast(1, &to_s, 0);
}

/* An event stamped after the aging call's now (housekeeping takes now
 * before it drains; a worker's stamp can be the next second): the entry is
 * fresh, not 2^32 - 1 seconds old. */
static void test_age_future_stamp(void **state)
{
	static const uint8_t FUT[6] = { 2, 0, 0, 0, 0x79, 0x79 };
	struct frame f;

	(void)state;
	mkframe(&f, S, FUT, 18);
	run1(1, &f);
	take_copies(0, &f);
	take_copies(2, &f);
	dp_l2_drain(dp);
	assert_int_equal(lookup(FUT) & 0xffff, 1);
	dp_l2_age(dp, now_s() - 1);
	assert_true(lookup(FUT) >= 0);
	assert_int_equal(lookup(FUT) & 0xffff, 1);
	/* Still aged when really old. */
	dp_l2_age(dp, now_s() + AGING_S + 2);
	assert_true(lookup(FUT) < 0);
}

/* ---- worker thread against control thread ---- */

#define CC_MACS 2000

static _Atomic bool cc_stop;
static _Atomic uint64_t cc_bursts;

/* MAC i always talks from port i & 1, to the static MAC on c. */
static void *cc_worker(void *arg)
{
	static struct frame f[32];
	struct dp_burst *cb = calloc(1, sizeof(*cb));
	struct dp_worker *cw = arg;
	uint32_t next = 0;
	uint8_t mac[6];
	unsigned int j;

	if (cb == NULL)
		return NULL;
	rte_rcu_qsbr_thread_online(dp->qsbr, 0);
	while (!atomic_load(&cc_stop)) {
		cb->n = 32;
		cb->port = (uint16_t)(next & 1);
		for (j = 0; j < 32; j++) {
			/* Same parity in a burst: step by 2. */
			mac_n(mac, next);
			mkframe(&f[j], ST, mac, 18);
			cb->data[j] = f[j].d;
			cb->len[j] = sizeof(f[j].d);
			next = (next + 2) % CC_MACS;
		}
		if (next < 2 * 32)
			next ^= 1; /* the other parity, next lap */
		dp_fwd_l2(cw, cb);
		for (j = 0; j < 32; j++)
			if (cb->out[j] != 2)
				abort();
		rte_rcu_qsbr_quiescent(dp->qsbr, 0);
		atomic_fetch_add(&cc_bursts, 1);
	}
	rte_rcu_qsbr_thread_offline(dp->qsbr, 0);
	free(cb);
	return NULL;
}

static void sleep_us(long us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };

	nanosleep(&ts, NULL);
}

static void test_worker_thread(void **state)
{
	struct dp_worker *cw = calloc(1, sizeof(*cw));
	pthread_t th;
	uint64_t b0, t_end;
	uint8_t mac[6];
	unsigned int i, ages = 0;

	(void)state;
	assert_non_null(cw);
	cw->st = calloc(1, sizeof(*cw->st));
	assert_non_null(cw->st);
	cw->dp = dp;
	cw->idx = 0;
	cw->lcore = LCORE_ID_ANY;
	assert_int_equal(rte_rcu_qsbr_thread_register(dp->qsbr, 0), 0);
	assert_int_equal(pthread_create(&th, NULL, cc_worker, cw), 0);
	/* A second of drains, each tenth followed by aging everything
	 * learned away (a date far ahead): deletes and slot frees while the
	 * worker reads. */
	t_end = rte_rdtsc() + dp->tsc_hz;
	for (i = 0; rte_rdtsc() < t_end; i++) {
		dp_l2_drain(dp);
		if (i % 10 == 9) {
			dp_l2_age(dp, now_s() + 100 * AGING_S);
			ages++;
		}
		sleep_us(1000);
	}
	/* Then only drains, long enough for the worker's filter (one event
	 * per MAC and port a second) to let every aged MAC through again,
	 * and for a few full laps over the MACs. */
	b0 = atomic_load(&cc_bursts);
	t_end = rte_rdtsc() + dp->tsc_hz * 3 / 2;
	while (rte_rdtsc() < t_end ||
	       atomic_load(&cc_bursts) - b0 < 4 * CC_MACS / 32) {
		dp_l2_drain(dp);
		sleep_us(1000);
	}
	atomic_store(&cc_stop, true);
	assert_int_equal(pthread_join(th, NULL), 0);
	dp_l2_drain(dp);
	rte_rcu_qsbr_thread_unregister(dp->qsbr, 0);
	assert_true(ages >= 5);
	assert_true(cw->st->l2_learn_events >= CC_MACS);
	for (i = 0; i < CC_MACS; i++) {
		mac_n(mac, i);
		if (lookup(mac) < 0 || (lookup(mac) & 0xffff) != (i & 1))
			fail_msg("MAC %u: %lld, expected port %u", i,
				 (long long)lookup(mac), i & 1);
	}
	free(cw->st);
	free(cw);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_mac_floods_then_unicast),
		cmocka_unit_test(test_one_event_per_mac),
		cmocka_unit_test(test_move_and_static),
		cmocka_unit_test(test_refresh),
		cmocka_unit_test(test_ring_full),
		cmocka_unit_test(test_reload_keeps),
		cmocka_unit_test(test_aging),
		cmocka_unit_test(test_age_future_stamp),
		cmocka_unit_test(test_worker_thread),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
