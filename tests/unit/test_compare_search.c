// SPDX-License-Identifier: MIT
/*
 * Description: the NDR/PDR search converges on a synthetic rate limiter
 * whose true limit is known (hard cap, loss ramp, constant loss floor,
 * generator ceiling, capacity noise with fixed seeds); it honours the trial
 * cap and rejects bad configurations naming the field. Also the small
 * statistics and the mode-spec parser.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "compare.h"

struct search_case {
	const char *name;
	enum cp_cmp_fake_model model;
	double limit, gen_max, noise;
	uint64_t seed;
	double max_rate, precision;
	double ndr, pdr; /* known answers (pps) */
	enum cp_cmp_status ndr_st, pdr_st;
};

/* Known answers: a hard cap at L loses (r - L) / r above L, so NDR = L and
 * PDR = L / 0.995; a ramp of 0.05 * (r/L - 1) reaches 0.5% at 1.1 L; a
 * floor of 0.1% never meets NDR, and meets PDR up to L * 0.999 / 0.995; a
 * generator that offers at most G passes up to G / (1 - CP_CMP_GEN_TOL). */
static const struct search_case cases[] = {
	{"hard 1M", CP_CMP_FAKE_HARD, 1e6, 0, 0, 1, 10e6, 0.005, 1e6,
	 1e6 / 0.995, CP_CMP_ST_CONVERGED, CP_CMP_ST_CONVERGED},
	{"hard 300k", CP_CMP_FAKE_HARD, 0.3e6, 0, 0, 1, 10e6, 0.005, 0.3e6,
	 0.3e6 / 0.995, CP_CMP_ST_CONVERGED, CP_CMP_ST_CONVERGED},
	{"hard 9.7M near max", CP_CMP_FAKE_HARD, 9.7e6, 0, 0, 1, 10e6, 0.002,
	 9.7e6, 9.7e6 / 0.995, CP_CMP_ST_CONVERGED, CP_CMP_ST_CONVERGED},
	{"hard 123k fine", CP_CMP_FAKE_HARD, 123456, 0, 0, 1, 14.88e6, 0.001,
	 123456, 123456 / 0.995, CP_CMP_ST_CONVERGED, CP_CMP_ST_CONVERGED},
	{"ramp 2M", CP_CMP_FAKE_RAMP, 2e6, 0, 0, 1, 10e6, 0.005, 2e6, 2.2e6,
	 CP_CMP_ST_CONVERGED, CP_CMP_ST_CONVERGED},
	{"floor 1.5M", CP_CMP_FAKE_FLOOR, 1.5e6, 0, 0, 1, 10e6, 0.005, 0,
	 1.5e6 * 0.999 / 0.995, CP_CMP_ST_BELOW_MIN, CP_CMP_ST_CONVERGED},
	{"above max", CP_CMP_FAKE_HARD, 20e6, 0, 0, 1, 10e6, 0.005, 10e6, 10e6,
	 CP_CMP_ST_AT_MAX, CP_CMP_ST_AT_MAX},
	/* the generator cannot offer more than 4M: a trial it falls short
	 * in by more than CP_CMP_GEN_TOL fails, so both bounds stop at what
	 * it can offer (never at the 10M it was asked and did not send) */
	{"generator ceiling", CP_CMP_FAKE_HARD, 20e6, 4e6, 0, 1, 10e6, 0.005,
	 4e6 / (1 - CP_CMP_GEN_TOL), 4e6 / (1 - CP_CMP_GEN_TOL),
	 CP_CMP_ST_CONVERGED, CP_CMP_ST_CONVERGED},
	{"generator above DUT", CP_CMP_FAKE_HARD, 1e6, 4e6, 0, 1, 10e6, 0.005,
	 1e6, 1e6 / 0.995, CP_CMP_ST_CONVERGED, CP_CMP_ST_CONVERGED},
	{"below min", CP_CMP_FAKE_HARD, 5e3, 0, 0, 1, 10e6, 0.005, 0, 0,
	 CP_CMP_ST_BELOW_MIN, CP_CMP_ST_BELOW_MIN},
	{"noise 0.2% seed 7", CP_CMP_FAKE_HARD, 3e6, 0, 0.002, 7, 10e6, 0.005,
	 3e6, 3e6 / 0.995, CP_CMP_ST_CONVERGED, CP_CMP_ST_CONVERGED},
	{"noise 0.2% seed 99", CP_CMP_FAKE_HARD, 3e6, 0, 0.002, 99, 10e6, 0.005,
	 3e6, 3e6 / 0.995, CP_CMP_ST_CONVERGED, CP_CMP_ST_CONVERGED},
	{"noise 1% ramp seed 3", CP_CMP_FAKE_RAMP, 0.8e6, 0, 0.01, 3, 10e6,
	 0.01, 0.8e6, 0.88e6, CP_CMP_ST_CONVERGED, CP_CMP_ST_CONVERGED},
};

static void check_case(const struct search_case *k)
{
	struct cp_cmp_search_conf c;
	struct cp_cmp_search s;
	struct cp_cmp_fake f;
	char err[CP_CMP_ERR_MAX];
	const double want[CP_CMP_TARGETS] = {k->ndr, k->pdr};
	const enum cp_cmp_status want_st[CP_CMP_TARGETS] = {k->ndr_st,
							    k->pdr_st};

	cp_cmp_search_conf_default(&c);
	c.max_rate = k->max_rate;
	c.precision = k->precision;
	c.max_trials = 40;
	cp_cmp_fake_init(&f, k->model, k->limit, k->seed);
	f.gen_max = k->gen_max;
	f.noise = k->noise;
	assert_int_equal(cp_cmp_search_init(&s, &c, err, sizeof(err)), 0);
	assert_int_equal(cp_cmp_search_run(&s, cp_cmp_fake_trial, &f), 0);
	assert_true(s.finished);
	assert_true(s.n_meas <= c.max_trials);
	assert_int_equal(f.trials, s.n_meas);
	/* the first trial is the MRR at max_rate */
	assert_true(s.meas[0].rate == c.max_rate);

	for (int t = 0; t < CP_CMP_TARGETS; t++) {
		const struct cp_cmp_bound *b = &s.res[t];
		/* noise moves the true limit by up to noise either way */
		double lo = want[t] * (1 - k->noise) * (1 - k->precision);
		double hi = want[t] * (1 + k->noise) * (1 + 1e-6) + 1;

		if (b->status != want_st[t] || b->rate < lo || b->rate > hi)
			fail_msg(
				"%s %s: got %.1f (%s, [%.1f, %.1f], %u trials), "
				"want %.1f in [%.1f, %.1f] (%s)",
				k->name, cp_cmp_target_name(t), b->rate,
				cp_cmp_status_name(b->status), b->lower,
				b->upper, s.n_meas, want[t], lo, hi,
				cp_cmp_status_name(want_st[t]));
		if (b->status == CP_CMP_ST_CONVERGED) {
			/* the width goal is met, and the bound was measured
			 * at the final trial duration */
			assert_true(b->upper - b->lower <=
				    c.precision * b->upper * (1 + 1e-9));
			assert_true(b->lb_meas >= 0);
			assert_true(fabs(s.meas[b->lb_meas].duration -
					 c.trial_s) < 1e-9);
			assert_true(s.meas[b->lb_meas].rate == b->rate);
		}
	}
	/* NDR never above PDR */
	assert_true(s.res[CP_CMP_NDR].rate <= s.res[CP_CMP_PDR].rate);
}

static void test_search_table(void **state)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_case(&cases[i]);
}

/* The search is as good as its inputs: with many seeds, noise never lifts
 * NDR above the highest capacity a trial saw. */
/* A generator that stalls on every 4th trial (offers half the rate): the
 * short trials are repeated, marked invalid, and the bounds still find the
 * DUT's limit instead of stopping at the first stall. */
static void test_search_generator_stalls(void **state)
{
	struct cp_cmp_search_conf c;
	struct cp_cmp_search s;
	struct cp_cmp_fake f;
	char err[CP_CMP_ERR_MAX];
	unsigned int invalid = 0;

	cp_cmp_search_conf_default(&c);
	c.max_trials = 64;
	cp_cmp_fake_init(&f, CP_CMP_FAKE_HARD, 1e6, 1);
	f.stall_every = 4;
	assert_int_equal(cp_cmp_search_init(&s, &c, err, sizeof(err)), 0);
	assert_int_equal(cp_cmp_search_run(&s, cp_cmp_fake_trial, &f), 0);
	for (unsigned int i = 0; i < s.n_meas; i++) {
		if (!s.meas[i].invalid)
			continue;
		invalid++;
		/* a repeat follows at the same rate and duration */
		assert_true(s.meas[i].gen_short);
		assert_true(i + 1 < s.n_meas);
		assert_true(s.meas[i + 1].rate == s.meas[i].rate);
		assert_true(s.meas[i + 1].duration == s.meas[i].duration);
	}
	assert_true(invalid > 0);
	for (int t = 0; t < CP_CMP_TARGETS; t++) {
		double want = t == CP_CMP_NDR ? 1e6 : 1e6 / 0.995;

		if (s.res[t].status != CP_CMP_ST_CONVERGED ||
		    s.res[t].rate < want * (1 - c.precision) ||
		    s.res[t].rate > want * (1 + 1e-6) + 1)
			fail_msg("%s: %.1f (%s), want %.1f",
				 cp_cmp_target_name(t), s.res[t].rate,
				 cp_cmp_status_name(s.res[t].status), want);
	}
	/* a generator short every time still fails after the repeats */
	cp_cmp_fake_init(&f, CP_CMP_FAKE_HARD, 5e6, 1);
	f.gen_max = 1e6;
	assert_int_equal(cp_cmp_search_init(&s, &c, err, sizeof(err)), 0);
	assert_int_equal(cp_cmp_search_run(&s, cp_cmp_fake_trial, &f), 0);
	assert_true(s.res[CP_CMP_NDR].rate <= 1e6 / (1 - CP_CMP_GEN_TOL));
}

static void test_search_noise_seeds(void **state)
{
	for (uint64_t seed = 1; seed <= 20; seed++) {
		struct search_case k = {"seeds",
					CP_CMP_FAKE_HARD,
					1.7e6,
					0,
					0.003,
					seed,
					10e6,
					0.005,
					1.7e6,
					1.7e6 / 0.995,
					CP_CMP_ST_CONVERGED,
					CP_CMP_ST_CONVERGED};

		check_case(&k);
	}
}

static void test_search_trial_cap(void **state)
{
	struct cp_cmp_search_conf c;
	struct cp_cmp_search s;
	struct cp_cmp_fake f;
	char err[CP_CMP_ERR_MAX];

	cp_cmp_search_conf_default(&c);
	c.max_trials = 4;
	cp_cmp_fake_init(&f, CP_CMP_FAKE_HARD, 1e6, 1);
	assert_int_equal(cp_cmp_search_init(&s, &c, err, sizeof(err)), 0);
	assert_int_equal(cp_cmp_search_run(&s, cp_cmp_fake_trial, &f), 0);
	assert_int_equal(s.n_meas, 4);
	assert_int_equal(s.res[CP_CMP_NDR].status, CP_CMP_ST_MAX_TRIALS);
	/* a loose bound is still a bound: never above the truth */
	assert_true(s.res[CP_CMP_NDR].rate <= 1e6 + 1);

	/* out of trials just as a longer phase starts: the previous phase's
	 * lower bound (loose), not 0 */
	c.max_trials = 40;
	cp_cmp_fake_init(&f, CP_CMP_FAKE_HARD, 1e6, 1);
	assert_int_equal(cp_cmp_search_init(&s, &c, err, sizeof(err)), 0);
	assert_int_equal(cp_cmp_search_run(&s, cp_cmp_fake_trial, &f), 0);
	c.max_trials = 0;
	while (c.max_trials < s.n_meas &&
	       s.meas[c.max_trials].duration == s.meas[0].duration)
		c.max_trials++;
	assert_true(c.max_trials >= 2 && c.max_trials < s.n_meas);
	cp_cmp_fake_init(&f, CP_CMP_FAKE_HARD, 1e6, 1);
	assert_int_equal(cp_cmp_search_init(&s, &c, err, sizeof(err)), 0);
	assert_int_equal(cp_cmp_search_run(&s, cp_cmp_fake_trial, &f), 0);
	assert_int_equal(s.res[CP_CMP_NDR].status, CP_CMP_ST_MAX_TRIALS);
	assert_true(s.res[CP_CMP_NDR].rate > 0.9e6 &&
		    s.res[CP_CMP_NDR].rate <= 1e6 + 1);
	assert_true(s.res[CP_CMP_NDR].lb_meas >= 0);
	assert_true(s.meas[s.res[CP_CMP_NDR].lb_meas].rate ==
		    s.res[CP_CMP_NDR].rate);
}

static int failing_trial(void *ctx, double rate, double duration, uint64_t *tx,
			 uint64_t *rx)
{
	int *calls = ctx;

	if (++*calls == 3)
		return -EIO;
	*tx = (uint64_t)(rate * duration);
	*rx = *tx / 2;
	return 0;
}

static void test_search_trial_error(void **state)
{
	struct cp_cmp_search_conf c;
	struct cp_cmp_search s;
	char err[CP_CMP_ERR_MAX];
	double r, d;
	int calls = 0;

	cp_cmp_search_conf_default(&c);
	assert_int_equal(cp_cmp_search_init(&s, &c, err, sizeof(err)), 0);
	assert_int_equal(cp_cmp_search_run(&s, failing_trial, &calls), -EIO);
	assert_int_equal(calls, 3);
	assert_int_equal(s.res[CP_CMP_NDR].status, CP_CMP_ST_ERROR);
	assert_int_equal(cp_cmp_search_next(&s, &r, &d), 0);
}

/* The iterator form asks for exactly what the blocking form runs, and
 * asking twice without feeding repeats the question. */
static void test_search_iterator(void **state)
{
	struct cp_cmp_search_conf c;
	struct cp_cmp_search a, b;
	struct cp_cmp_fake f;
	char err[CP_CMP_ERR_MAX];
	double r1, d1, r2, d2;
	uint64_t tx, rx;

	cp_cmp_search_conf_default(&c);
	cp_cmp_fake_init(&f, CP_CMP_FAKE_RAMP, 2.5e6, 5);
	assert_int_equal(cp_cmp_search_init(&a, &c, err, sizeof(err)), 0);
	assert_int_equal(cp_cmp_search_run(&a, cp_cmp_fake_trial, &f), 0);
	cp_cmp_fake_init(&f, CP_CMP_FAKE_RAMP, 2.5e6, 5);
	assert_int_equal(cp_cmp_search_init(&b, &c, err, sizeof(err)), 0);
	for (unsigned int i = 0;; i++) {
		if (!cp_cmp_search_next(&b, &r1, &d1))
			break;
		assert_int_equal(cp_cmp_search_next(&b, &r2, &d2), 1);
		assert_true(r1 == r2 && d1 == d2);
		assert_true(i < a.n_meas);
		assert_true(r1 == a.meas[i].rate && d1 == a.meas[i].duration);
		cp_cmp_fake_trial(&f, r1, d1, &tx, &rx);
		cp_cmp_search_feed(&b, r1, d1, tx, rx);
	}
	assert_int_equal(a.n_meas, b.n_meas);
	assert_true(a.res[CP_CMP_PDR].rate == b.res[CP_CMP_PDR].rate);
}

static void test_search_conf_errors(void **state)
{
	static const struct {
		const char *field;
		size_t off;
		double v;
	} bad[] = {
		{"min_rate", offsetof(struct cp_cmp_search_conf, min_rate), 0},
		{"max_rate", offsetof(struct cp_cmp_search_conf, max_rate), 5},
		{"max_rate", offsetof(struct cp_cmp_search_conf, max_rate),
		 INFINITY},
		{"precision", offsetof(struct cp_cmp_search_conf, precision),
		 0},
		{"precision", offsetof(struct cp_cmp_search_conf, precision),
		 NAN},
		{"trial duration", offsetof(struct cp_cmp_search_conf, trial_s),
		 -1},
		{"initial trial",
		 offsetof(struct cp_cmp_search_conf, initial_trial_s), 5},
		{"ndr loss", offsetof(struct cp_cmp_search_conf, ndr_loss),
		 -0.1},
		{"pdr loss", offsetof(struct cp_cmp_search_conf, pdr_loss), 1},
	};
	struct cp_cmp_search_conf c;
	struct cp_cmp_search s;
	char err[CP_CMP_ERR_MAX];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cp_cmp_search_conf_default(&c);
		*(double *)((char *)&c + bad[i].off) = bad[i].v;
		err[0] = '\0';
		assert_int_equal(cp_cmp_search_init(&s, &c, err, sizeof(err)),
				 -EINVAL);
		if (!strstr(err, bad[i].field))
			fail_msg("case %zu: '%s' does not name %s", i, err,
				 bad[i].field);
	}
	cp_cmp_search_conf_default(&c);
	c.max_trials = 1;
	assert_int_equal(cp_cmp_search_init(&s, &c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "max_trials"));
}

static void test_stats(void **state)
{
	const double odd[] = {5, 1, NAN, 4, 2, 3};
	const double even[] = {4, 3, 2, 1};
	const double none[] = {NAN, NAN};
	struct cp_cmp_stat st;

	cp_cmp_stat_of(&st, odd, 6);
	assert_int_equal(st.n, 5);
	assert_true(st.med == 3 && st.min == 1 && st.max == 5);
	assert_true(st.q1 == 2 && st.q3 == 4);
	cp_cmp_stat_of(&st, even, 4);
	assert_true(st.med == 2.5 && st.q1 == 1.75 && st.q3 == 3.25);
	cp_cmp_stat_of(&st, none, 2);
	assert_int_equal(st.n, 0);
	assert_true(isnan(st.med) && isnan(st.min));
	cp_cmp_stat_of(&st, even, 1);
	assert_true(st.med == 4 && st.q1 == 4 && st.q3 == 4);
}

static void test_modes(void **state)
{
	struct cp_cmp_mode m[CP_CMP_MODES_MAX];
	unsigned int n = 0, k;
	char err[CP_CMP_ERR_MAX];

	assert_int_equal(cp_cmp_modes_parse("all", m, &n, CP_CMP_MODES_MAX, err,
					    sizeof(err)),
			 0);
	for (k = 0; cp_cmp_kernel_models[k]; k++)
		;
	assert_int_equal(n, 3 + k);
	assert_string_equal(m[0].name, "dpdk");
	assert_string_equal(m[1].name, "afxdp:native:copy");
	assert_true(m[2].xdp_skb && !m[2].zerocopy);
	assert_string_equal(m[3].backend, "kernel");
	assert_string_equal(m[3].io_model, "blocking");

	n = 0;
	assert_int_equal(
		cp_cmp_modes_parse(
			"kernel:epoll-et, dpdk:net_ring0,afxdp:skb:zc,kernel:epoll-et",
			m, &n, CP_CMP_MODES_MAX, err, sizeof(err)),
		0);
	assert_int_equal(n, 3); /* duplicate dropped */
	assert_string_equal(m[0].io_model, "epoll-et");
	assert_string_equal(m[1].dev, "net_ring0");
	assert_string_equal(m[1].name, "dpdk:net_ring0");
	assert_string_equal(m[2].name, "afxdp:skb:zc");
	assert_true(m[2].xdp_skb && m[2].zerocopy);

	/* bad items are named and nothing is half-applied */
	static const struct {
		const char *in, *named;
	} bad[] = {
		{"dpdk,kernel:foo", "foo"},
		{"kernel", "needs a model"},
		{"afxdp:turbo", "turbo"},
		{"vpp", "vpp"},
		{"", "empty"},
		{"all:x", "all:x"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(cp_cmp_modes_parse(bad[i].in, m, &n,
						    CP_CMP_MODES_MAX, err,
						    sizeof(err)),
				 -EINVAL);
		if (!strstr(err, bad[i].named))
			fail_msg("'%s': '%s' does not name '%s'", bad[i].in,
				 err, bad[i].named);
		assert_int_equal(n, 3);
	}
	n = 0;
	assert_int_equal(cp_cmp_modes_parse("all", m, &n, 5, err, sizeof(err)),
			 -E2BIG);
	assert_int_equal(n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_search_table),
		cmocka_unit_test(test_search_noise_seeds),
		cmocka_unit_test(test_search_generator_stalls),
		cmocka_unit_test(test_search_trial_cap),
		cmocka_unit_test(test_search_trial_error),
		cmocka_unit_test(test_search_iterator),
		cmocka_unit_test(test_search_conf_errors),
		cmocka_unit_test(test_stats),
		cmocka_unit_test(test_modes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
