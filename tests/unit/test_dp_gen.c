// SPDX-License-Identifier: MIT
/*
 * Description: the generator (dp_gen_run) against a fake port that counts
 * every buffer it hands out and gets back: a short allocation sends the
 * frames it got and leaks none; an administratively down port is not
 * touched; a worker whose round started before dp_gen_prepare read the TSC
 * (now < base_tsc) neither sends early nor stalls for good; the frames
 * carry the run id of their prepare, which changes on every prepare, and
 * the sink counts a second run of the same flows as neither duplicates,
 * reordering nor loss.
 * No EAL: the generator only needs the port ops and the TSC.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <rte_cycles.h>

#include "dp_internal.h"

#define POOL 256
#define HZ 1000000000ull

static uint8_t mem[POOL][2048];
static bool used[POOL];
static int outstanding, tx_calls, tx_pkts;
static uint16_t budget; /* buffers the next alloc_bufs may give */
static uint8_t last_frame[2048];
#define CAP 512
static uint8_t cap[CAP][128]; /* frames sent, for the sink test */
static uint16_t cap_len[CAP];
static int nb_cap;

static uint16_t f_alloc(struct dp_port *p, uint16_t q, uint16_t len,
			uint8_t **data, uintptr_t *buf, uint16_t n)
{
	uint16_t k = 0, i;

	for (i = 0; i < POOL && k < n && k < budget; i++) {
		if (used[i])
			continue;
		used[i] = true;
		data[k] = mem[i];
		buf[k++] = i;
	}
	budget -= k;
	outstanding += k;
	return k;
}

static void f_free(struct dp_port *p, uint16_t q, const uintptr_t *buf,
		   uint16_t n)
{
	uint16_t i;

	for (i = 0; i < n; i++) {
		assert_true(used[buf[i]]);
		used[buf[i]] = false;
	}
	outstanding -= n;
}

static uint16_t f_tx(struct dp_port *p, uint16_t q, uint8_t *const *data,
		     const uint16_t *len, const uintptr_t *buf, uint16_t n,
		     bool foreign)
{
	assert_false(foreign);
	tx_calls++;
	tx_pkts += n;
	memcpy(last_frame, data[n - 1], len[n - 1]);
	for (uint16_t i = 0; i < n && nb_cap < CAP; i++, nb_cap++) {
		cap_len[nb_cap] = len[i] < 128 ? len[i] : 128;
		memcpy(cap[nb_cap], data[i], cap_len[nb_cap]);
	}
	f_free(p, q, buf, n); /* taken: the port owns (and here frees) them */
	return n;
}

static const struct dp_port_ops fake_ops = {
	.backend = "fake",
	.tx_burst = f_tx,
	.free_bufs = f_free,
	.alloc_bufs = f_alloc,
};

static struct dp *dp;
static struct dp_worker *w;
static struct dp_gen_state *g;

static int setup(void **state)
{
	dp = calloc(1, sizeof(*dp));
	w = calloc(1, sizeof(*w));
	g = calloc(1, sizeof(*g));
	assert_non_null(dp);
	assert_non_null(w);
	assert_non_null(g);
	w->st = calloc(1, sizeof(*w->st));
	assert_non_null(w->st);
	dp->nb_ports = 1;
	dp->tsc_hz = HZ;
	dp->ports[0].ops = &fake_ops;
	atomic_store(&dp->rt[0].admin_up, true);
	w->dp = dp;
	w->txq[0] = 0;
	g->nparts = 1;
	memset(used, 0, sizeof(used));
	outstanding = tx_calls = tx_pkts = nb_cap = 0;
	return 0;
}

static int teardown(void **state)
{
	free(w->sink_flows);
	free(g->seq);
	free(g);
	free(w->st);
	free(w);
	free(dp);
	return 0;
}

static void prepare(uint64_t rate, bool imix)
{
	struct dp_gen_conf c;

	dp_gen_conf_init(&c);
	c.rate_pps = rate;
	c.imix = imix;
	c.flows = 4;
	assert_int_equal(dp_gen_prepare(g, &c, HZ), 0);
	atomic_store(&g->on, true);
}

/* alloc_bufs gives 5 of 32: the 5 are sent, none stays allocated. */
static void test_short_alloc(void **state)
{
	prepare(0, false);
	budget = 5;
	assert_int_equal(dp_gen_run(w, g, rte_rdtsc()), 5);
	assert_int_equal(tx_pkts, 5);
	assert_int_equal(outstanding, 0);
	assert_int_equal(w->st->gen.pkts, 5);
	assert_int_equal(atomic_load(&g->sent), 5);
	budget = 0;
	assert_int_equal(dp_gen_run(w, g, rte_rdtsc()), 0);
	assert_int_equal(outstanding, 0);
}

/* IMIX allocates per frame: running dry after 3 sends those 3. */
static void test_short_alloc_imix(void **state)
{
	prepare(0, true);
	budget = 3;
	assert_int_equal(dp_gen_run(w, g, rte_rdtsc()), 3);
	assert_int_equal(tx_pkts, 3);
	assert_int_equal(outstanding, 0);
	assert_int_equal(atomic_load(&g->sent), 3);
}

/* `port stop`: the generator leaves a down port alone. */
static void test_admin_down(void **state)
{
	prepare(0, false);
	budget = 64;
	atomic_store(&dp->rt[0].admin_up, false);
	assert_int_equal(dp_gen_run(w, g, rte_rdtsc()), 0);
	assert_int_equal(tx_calls, 0);
	assert_int_equal(outstanding, 0);
	atomic_store(&dp->rt[0].admin_up, true);
	assert_int_equal(dp_gen_run(w, g, rte_rdtsc()), DP_BURST);
}

/* The worker's round started (now) before prepare read the TSC. */
static void test_now_before_base(void **state)
{
	uint64_t base, ms = HZ / 1000;
	unsigned int i, total = 0;

	prepare(1000, false); /* one packet a millisecond */
	base = g->base_tsc;
	budget = 1000;
	assert_int_equal(dp_gen_run(w, g, base - 5000), 0);
	/* 10 ms later: 10 or 11 are due, and they are sent. */
	for (i = 1; i <= 10; i++)
		total += dp_gen_run(w, g, base + i * ms);
	assert_in_range(total, 10, 11);
	assert_int_equal(outstanding, 0);
}

static uint16_t frame_run(void)
{
	struct dp_gen_payload pl;

	/* Ethernet 14 + IPv4 20 + UDP 8 */
	memcpy(&pl, last_frame + 42, sizeof(pl));
	assert_int_equal(pl.magic, DP_GEN_MAGIC);
	return dp_gen_payload_run(&pl);
}

/* Every prepare is a new run and says so in the payload. */
static void test_run_id(void **state)
{
	uint16_t r1, r2;

	prepare(0, false);
	budget = 64;
	assert_int_equal(dp_gen_run(w, g, rte_rdtsc()), DP_BURST);
	r1 = frame_run();
	prepare(0, false);
	assert_int_equal(dp_gen_run(w, g, rte_rdtsc()), DP_BURST);
	r2 = frame_run();
	assert_int_not_equal(r1, r2);
}

/* Feed every captured frame to the sink, in bursts, in order. */
static void sink_all(void)
{
	struct dp_burst *b = calloc(1, sizeof(*b));
	int i = 0;

	assert_non_null(b);
	while (i < nb_cap) {
		for (b->n = 0; b->n < DP_BURST && i < nb_cap; b->n++, i++) {
			b->data[b->n] = cap[i];
			b->len[b->n] = cap_len[i];
		}
		dp_sink_burst(w, b, rte_rdtsc());
	}
	free(b);
}

/* Two runs of the same flows (gen start after its count, gen set): the
 * second run's sequence numbers start again at 0 and that is not
 * duplication, reordering or loss. */
static void test_sink_new_run(void **state)
{
	const struct dp_sink_stats *s = &w->st->sink;

	w->sink_flows = calloc(DP_FLOWS_MAX, sizeof(*w->sink_flows));
	assert_non_null(w->sink_flows);
	budget = 512;
	prepare(0, false);
	assert_int_equal(dp_gen_run(w, g, rte_rdtsc()), DP_BURST);
	assert_int_equal(dp_gen_run(w, g, rte_rdtsc()), DP_BURST);
	prepare(0, false);
	assert_int_equal(dp_gen_run(w, g, rte_rdtsc()), DP_BURST);
	sink_all();
	assert_int_equal(s->pkts, 3 * DP_BURST);
	assert_int_equal(s->foreign, 0);
	assert_int_equal(s->dup, 0);
	assert_int_equal(s->reordered, 0);
	assert_int_equal(s->lost, 0);
	assert_int_equal(s->lat_count, 3 * DP_BURST);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_short_alloc, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_short_alloc_imix, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_admin_down, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_now_before_base, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_run_id, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sink_new_run, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
