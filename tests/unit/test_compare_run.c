// SPDX-License-Identifier: MIT
/*
 * Description: the compare runner against the fake backend (a synthetic
 * rate limiter per mode): every selected mode x frame x flow count comes
 * back, a mode that cannot be set up is reported with its error, the
 * numbers are sane (forwarded <= offered, loss consistent with the
 * counters, NDR <= PDR, NDR at the known limit), the limit is named; the
 * writers' JSON and CSV parse back to the same values; cp_cmp_write_all
 * produces every output file including the gnuplot charts.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "compare.h"
#include "ctl.h"

#define LIMIT 2e6

struct fixture {
	struct cp_cmp_conf c;
	struct cp_cmp_fake f;
	struct cp_cmp_run *r;
	const struct cp_cmp_result *res;
	unsigned int n;
	char dir[64];
};

static int setup(void **state)
{
	struct fixture *x = calloc(1, sizeof(*x));
	struct cp_cmp_driver d;
	char err[CP_CMP_ERR_MAX];

	assert_non_null(x);
	cp_cmp_conf_default(&x->c);
	x->c.nb_modes = 0;
	assert_int_equal(
		cp_cmp_modes_parse(
			"dpdk,afxdp:native:zc,kernel:epoll-et,kernel:uring",
			x->c.modes, &x->c.nb_modes, CP_CMP_MODES_MAX, err,
			sizeof(err)),
		0);
	x->c.frames[0] = 64;
	x->c.frames[1] = 1518;
	x->c.nb_frames = 2;
	x->c.flows[0] = 1;
	x->c.flows[1] = 1024;
	x->c.nb_flows = 2;
	x->c.reps = 5;
	cp_cmp_fake_init(&x->f, CP_CMP_FAKE_HARD, LIMIT, 42);
	x->f.noise = 0.001;
	snprintf(x->f.fail_mode, sizeof(x->f.fail_mode), "afxdp:native:zc");
	cp_cmp_fake_driver(&x->f, &d);
	assert_int_equal(cp_cmp_run_new(&x->r, &x->c, err, sizeof(err)), 0);
	assert_int_equal(cp_compare_run(x->r, &d, NULL), 0);
	x->res = cp_cmp_run_results(x->r, &x->n);
	snprintf(x->dir, sizeof(x->dir), "/tmp/lr-cf-unit-%d", (int)getpid());
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *x = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", x->dir);
	if (system(cmd))
		fprintf(stderr, "could not remove %s\n", x->dir);
	cp_cmp_run_free(x->r);
	free(x);
	return 0;
}

static bool near(double a, double b, double rel)
{
	return fabs(a - b) <= rel * fmax(fabs(a), fabs(b)) + 1e-12;
}

static void test_every_mode_present(void **state)
{
	struct fixture *x = *state;
	unsigned int done, total;
	char what[128];

	assert_int_equal(x->n, 4 * 2 * 2);
	for (unsigned int m = 0; m < x->c.nb_modes; m++)
		for (unsigned int k = 0; k < 4; k++) {
			const struct cp_cmp_result *r = &x->res[m * 4 + k];

			assert_string_equal(r->mode.name, x->c.modes[m].name);
			assert_int_equal(r->frame, x->c.frames[k / 2]);
			assert_int_equal(r->flows, x->c.flows[k % 2]);
		}
	cp_cmp_run_progress(x->r, &done, &total, what, sizeof(what));
	assert_int_equal(done, total);
	assert_string_equal(what, "done");
}

static void test_failed_mode_reported(void **state)
{
	struct fixture *x = *state;

	for (unsigned int i = 0; i < x->n; i++) {
		const struct cp_cmp_result *r = &x->res[i];

		if (strcmp(r->mode.name, "afxdp:native:zc")) {
			assert_true(r->ok);
			continue;
		}
		assert_false(r->ok);
		assert_non_null(strstr(r->error, "not available"));
		assert_true(isnan(r->forwarded_mpps.med));
	}
}

static void test_numbers_sane(void **state)
{
	struct fixture *x = *state;

	for (unsigned int i = 0; i < x->n; i++) {
		const struct cp_cmp_result *r = &x->res[i];
		double scale = 0, limit;

		if (!r->ok)
			continue;
		assert_int_equal(r->reps, 5);
		assert_int_equal(r->forwarded_mpps.n, 5);
		assert_true(r->forwarded_mpps.min <= r->forwarded_mpps.med &&
			    r->forwarded_mpps.med <= r->forwarded_mpps.max);
		assert_true(r->forwarded_mpps.max <= r->offered_mpps.max);
		assert_true(r->forwarded_mpps.med <= r->offered_mpps.med);
		/* loss is what the counters say */
		assert_true(near(
			r->loss.med,
			1 - r->forwarded_mpps.med / r->offered_mpps.med, 0.01));
		assert_true(r->cycles_per_pkt.med > 0);
		assert_true(r->cpu_busy.med > 0 && r->cpu_busy.med <= 1);
		assert_true(r->lat_p50_us.med <= r->lat_p99_us.med);
		/* the fake's max rate is 10 Mpps, above every mode's limit: the
		 * DUT core limits, and the searches found the (scaled) limit */
		assert_int_equal(r->limit, CP_CMP_LIM_DUT_CORE);
		assert_non_null(strstr(r->limit_why, "busy"));
		assert_true(r->searched);
		assert_true(r->ndr.mpps <= r->pdr.mpps);
		assert_true(r->ndr.forwarded_mpps <= r->ndr.offered_mpps);
		if (!strcmp(r->mode.backend, "dpdk"))
			scale = 1.0;
		else if (!strcmp(r->mode.backend, "kernel"))
			scale = 0.1 + 0.01 * (strlen(r->mode.io_model) % 7);
		limit = LIMIT * scale *
			(r->frame > 64 ? sqrt(64.0 / r->frame) : 1) / 1e6;
		if (!near(r->ndr.mpps, limit, 0.005 + 0.002))
			fail_msg("%s %u: NDR %.4f, limit %.4f", r->mode.name,
				 r->frame, r->ndr.mpps, limit);
		assert_true(near(r->forwarded_mpps.med, limit, 0.002));
		assert_int_equal(r->ndr.status, CP_CMP_ST_CONVERGED);
		/* the rate above the bound failed for the DUT core */
		assert_int_equal(r->ndr.limit, CP_CMP_LIM_DUT_CORE);
		assert_int_equal(r->pdr.limit, CP_CMP_LIM_DUT_CORE);
		assert_non_null(strstr(r->ndr.limit_why, "busy"));
		/* every trial is listed with the counters its numbers come
		 * from, latency included in every repetition */
		for (unsigned int k = 0; k < r->reps; k++) {
			const struct cp_cmp_trial_rec *t = &r->mrr_trials[k];

			assert_true(t->rx <= t->tx && t->tx > 0);
			assert_true(near(t->m.loss,
					 (double)(t->tx - t->rx) / t->tx,
					 1e-9));
			assert_true(near(t->m.offered_mpps,
					 t->tx / t->meas_s / 1e6, 1e-9));
			assert_true(t->m.lat_p50_us > 0 &&
				    t->m.lat_p99_us >= t->m.lat_p50_us);
		}
		assert_int_equal(r->lat_p50_us.n, r->reps);
		assert_int_equal(r->dut_rx_mpps.n, r->reps);
		assert_true(r->forwarded_mpps.med <= r->dut_rx_mpps.med);
		assert_int_equal(r->n_search_trials, r->ndr.trials);
		/* the best lossless trial is the bound's, or one above it */
		assert_true(r->ndr.met_mpps >= r->ndr.offered_mpps - 1e-9);
		assert_true(near(r->ndr.met_mpps, r->ndr.mpps, 0.005 + 0.002));
		assert_true(r->pdr.met_mpps >= r->ndr.met_mpps);
		assert_true(r->search_trials[0].rate == x->c.sc.max_rate);
		assert_non_null(strstr(r->method, "MLRsearch"));
		assert_non_null(strstr(r->method, "median of 5"));
		/* syscalls only in the kernel modes */
		if (!strcmp(r->mode.backend, "kernel"))
			assert_true(r->syscalls_per_pkt.med > 0);
		else
			assert_true(r->syscalls_per_pkt.med == 0);
	}
}

/* Generator-bound: the generator cannot offer what was asked and nothing
 * is lost. With loss, the packet counts place it before the DUT (rings,
 * or the DUT core when it was busy) or after it (TX ring, or the sink);
 * without a DUT packet count only the drop counters can say, and nothing
 * at all is "unknown". */
static void test_limit_attribution(void **state)
{
	const struct cp_cmp_sample base = {.duration = 1,
					   .tx = 500000,
					   .rx = 500000,
					   .dut_pkts = 500000,
					   .dut_busy_cyc = 100,
					   .dut_total_cyc = 1000,
					   .have_cycles = true,
					   .have_drops = true};
	struct cp_cmp_sample s = base;
	char why[CP_CMP_ERR_MAX];

	assert_int_equal(cp_cmp_limit_explain(1e6, &s, why, sizeof(why)),
			 CP_CMP_LIM_GENERATOR);
	assert_non_null(strstr(why, "offered 0.500 of the 1.000 Mpps"));
	/* within CP_CMP_GEN_TOL of the rate is the rate */
	assert_int_equal(cp_cmp_limit_of(0.5e6 / (1 - CP_CMP_GEN_TOL / 2), &s),
			 CP_CMP_LIM_NONE);
	assert_int_equal(cp_cmp_limit_of(0.5e6, &s), CP_CMP_LIM_NONE);
	/* more than offered: late packets, said */
	s.rx = 500100;
	assert_int_equal(cp_cmp_limit_explain(0.5e6, &s, why, sizeof(why)),
			 CP_CMP_LIM_NONE);
	assert_non_null(strstr(why, "100 more than offered"));
	/* the DUT received everything: lost after it */
	s.rx = 400000;
	s.tx_full = 100000;
	assert_int_equal(cp_cmp_limit_of(0.5e6, &s), CP_CMP_LIM_TX_RING);
	s.tx_full = 0;
	assert_int_equal(cp_cmp_limit_explain(0.5e6, &s, why, sizeof(why)),
			 CP_CMP_LIM_SINK);
	assert_non_null(strstr(why, "received 500000 of 500000"));
	assert_non_null(strstr(why, "sink got 400000"));
	s.have_dut_tx = true;
	s.dut_tx = 480000;
	assert_int_equal(cp_cmp_limit_explain(0.5e6, &s, why, sizeof(why)),
			 CP_CMP_LIM_SINK);
	assert_non_null(strstr(why, "sent 480000"));
	/* a busy core does not take the blame for what it forwarded */
	s.dut_busy_cyc = 950;
	assert_int_equal(cp_cmp_limit_of(0.5e6, &s), CP_CMP_LIM_SINK);
	/* the DUT never got them */
	s = base;
	s.rx = s.dut_pkts = 400000;
	s.ring_drops = 100000;
	assert_int_equal(cp_cmp_limit_explain(0.5e6, &s, why, sizeof(why)),
			 CP_CMP_LIM_RINGS);
	assert_non_null(strstr(why, "100000 counted"));
	s.ring_drops = 0;
	assert_int_equal(cp_cmp_limit_explain(0.5e6, &s, why, sizeof(why)),
			 CP_CMP_LIM_RINGS);
	assert_non_null(strstr(why, "inferred"));
	assert_non_null(strstr(why, "busy only 10%"));
	s.dut_busy_cyc = 950;
	assert_int_equal(cp_cmp_limit_explain(0.5e6, &s, why, sizeof(why)),
			 CP_CMP_LIM_DUT_CORE);
	assert_non_null(strstr(why, "busy 95%"));
	/* generator short and loss: the loss decides, the why says both */
	assert_int_equal(cp_cmp_limit_explain(1e6, &s, why, sizeof(why)),
			 CP_CMP_LIM_DUT_CORE);
	assert_non_null(strstr(why, "generator offered 0.500"));
	/* no DUT packet count: only the counters */
	s = base;
	s.rx = 400000;
	s.have_cycles = false;
	s.ring_drops = 60000;
	assert_int_equal(cp_cmp_limit_of(0.5e6, &s), CP_CMP_LIM_RINGS);
	s.ring_drops = 0;
	s.tx_full = 60000;
	assert_int_equal(cp_cmp_limit_of(0.5e6, &s), CP_CMP_LIM_TX_RING);
	s.tx_full = 0;
	s.have_drops = false;
	assert_int_equal(cp_cmp_limit_explain(0.5e6, &s, why, sizeof(why)),
			 CP_CMP_LIM_UNKNOWN);
	assert_non_null(strstr(why, "undecidable"));
	assert_int_equal(cp_cmp_limit_parse("rings"), CP_CMP_LIM_RINGS);
	assert_int_equal(cp_cmp_limit_parse("sink"), CP_CMP_LIM_SINK);
	assert_int_equal(cp_cmp_limit_parse("bogus"), -1);
}

/* A generator that cannot offer what the DUT takes: the MRR, NDR and PDR
 * all name the generator, and the bounds stay at what it could offer. */
static void test_generator_bound(void **state)
{
	struct cp_cmp_conf c;
	struct cp_cmp_fake f;
	struct cp_cmp_driver d;
	struct cp_cmp_run *r;
	const struct cp_cmp_result *res;
	char err[CP_CMP_ERR_MAX];
	unsigned int n;

	cp_cmp_conf_default(&c);
	c.nb_modes = 0;
	assert_int_equal(cp_cmp_modes_parse("dpdk", c.modes, &c.nb_modes, 4,
					    err, sizeof(err)),
			 0);
	c.reps = 3;
	c.search_reps = 3;
	cp_cmp_fake_init(&f, CP_CMP_FAKE_HARD, 5e6, 7);
	f.gen_max = 1e6;
	cp_cmp_fake_driver(&f, &d);
	assert_int_equal(cp_cmp_run_new(&r, &c, err, sizeof(err)), 0);
	assert_int_equal(cp_compare_run(r, &d, NULL), 0);
	res = cp_cmp_run_results(r, &n);
	assert_int_equal(n, 1);
	assert_true(res[0].ok);
	assert_int_equal(res[0].limit, CP_CMP_LIM_GENERATOR);
	assert_non_null(strstr(res[0].limit_why, "generator offered 1.000"));
	assert_true(res[0].loss.med == 0);
	for (int t = 0; t < CP_CMP_TARGETS; t++) {
		const struct cp_cmp_ndr *nd = t ? &res[0].pdr : &res[0].ndr;

		assert_int_equal(nd->limit, CP_CMP_LIM_GENERATOR);
		assert_int_equal(nd->reps.n, 3);
		assert_true(nd->mpps <= 1 / (1 - CP_CMP_GEN_TOL) + 1e-9);
		assert_true(nd->mpps >= 1 * (1 - c.sc.precision));
		assert_true(nd->offered_mpps <= 1 + 1e-9);
		/* what the generator did offer, losslessly: all it had */
		assert_true(near(nd->met_mpps, 1, 1e-6));
	}
	assert_non_null(strstr(res[0].method, "x3 (median reported)"));
	cp_cmp_run_free(r);
}

/* The one-shot driver reads linerated's --summary lines: offered from the
 * generator, forwarded from the sink, DUT rx/tx/cycles from the DUT worker,
 * syscalls from the DUT ports, latency from the sink; a loss the DUT's own
 * counts place at its TX is named tx-ring. A stand-in for linerated prints
 * the lines. */
static void test_exec_driver(void **state)
{
	struct fixture *x = *state;
	static struct cp_cmp_exec ex;
	struct cp_cmp_mode m = {.name = "kernel:mmsg", .backend = "kernel"};
	struct cp_cmp_trial_req q = {
		.rate = 1000, .duration = 1, .frame = 64, .flows = 1};
	struct cp_cmp_sample s;
	struct cp_cmp_driver d;
	char path[128], desc[128], err[CP_CMP_ERR_MAX];
	FILE *f;

	mkdir(x->dir, 0755);
	snprintf(path, sizeof(path), "%s/kernel-mmsg.yaml", x->dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "rate: @RATE@\ncount: @COUNT@\nprefix: @PREFIX@\n");
	fclose(f);
	snprintf(path, sizeof(path), "%s/fake-linerated", x->dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f,
		"#!/bin/sh\n"
		"case \"$*\" in *--check*) exit 0;; esac\n"
		"grep -q 'count: 1000$' \"$2\" || exit 3\n"
		"echo 'final worker=0 rx_pkts=900 tx_pkts=1000 gen_pkts=1000 "
		"busy_cycles=1000 idle_cycles=1000'\n"
		"echo 'final worker=1 rx_pkts=1000 tx_pkts=950 gen_pkts=0 "
		"busy_cycles=500 idle_cycles=1500'\n"
		"echo 'final port=gen rx_pkts=0 tx_pkts=1000 dev_opackets=1000'\n"
		"echo 'final port=dut0 rx_pkts=1000 tx_pkts=0 dev_syscalls=40 "
		"dev_kernel_drops=0'\n"
		"echo 'final port=dut1 rx_pkts=0 tx_pkts=950 dev_syscalls=30'\n"
		"echo 'final drops tx_full=50'\n"
		"echo 'final gen pkts=1000 bytes=60000 no_buf=0 tx_full=0'\n"
		"echo 'final sink pkts=900 bytes=54000 foreign=0 lost=100 "
		"reordered=0 dup=0 lat_p50_ns=2000 lat_p99_ns=9000'\n");
	fclose(f);
	chmod(path, 0755);
	cp_cmp_exec_init(&ex);
	snprintf(ex.linerated, sizeof(ex.linerated), "%s", path);
	snprintf(ex.tmpl_dir, sizeof(ex.tmpl_dir), "%s", x->dir);
	cp_cmp_exec_driver(&ex, &d);
	if (d.set_mode(d.ctx, &m, desc, sizeof(desc), err, sizeof(err)))
		fail_msg("set_mode: %s", err);
	assert_non_null(strstr(desc, "kernel-mmsg.yaml"));
	if (d.trial(d.ctx, &q, &s, err, sizeof(err)))
		fail_msg("trial: %s", err);
	assert_int_equal(s.tx, 1000);
	assert_int_equal(s.rx, 900);
	assert_int_equal(s.dut_pkts, 1000);
	assert_true(s.have_dut_tx && s.dut_tx == 950);
	assert_true(s.have_cycles && s.dut_busy_cyc == 500 &&
		    s.dut_total_cyc == 2000);
	assert_true(s.have_syscalls && s.syscalls == 70);
	assert_int_equal(s.tx_full, 50);
	assert_true(s.lat_p50_ns == 2000 && s.lat_p99_ns == 9000);
	assert_true(s.duration == 1);
	assert_int_equal(cp_cmp_limit_of(q.rate, &s), CP_CMP_LIM_TX_RING);
	/* another mode without a template is refused, naming the file */
	m = (struct cp_cmp_mode){.name = "dpdk", .backend = "dpdk"};
	assert_int_not_equal(
		d.set_mode(d.ctx, &m, desc, sizeof(desc), err, sizeof(err)), 0);
	assert_non_null(strstr(err, "dpdk.yaml"));
	cp_cmp_exec_fini(&ex);
}

/* Two repetitions that disagree: the lossy one names the limit, and the
 * why is its own. */
static void test_limit_tie(void **state)
{
	struct cp_cmp_conf c;
	struct cp_cmp_run *r;
	struct cp_cmp_step st;
	const struct cp_cmp_sample ok = {.duration = 1,
					 .tx = 100000,
					 .rx = 100000,
					 .dut_pkts = 100000,
					 .dut_busy_cyc = 10,
					 .dut_total_cyc = 100,
					 .have_cycles = true,
					 .lat_p50_ns = 1000,
					 .lat_p99_ns = 2000};
	struct cp_cmp_sample lossy = ok;
	const struct cp_cmp_result *res;
	char err[CP_CMP_ERR_MAX];
	unsigned int n, k = 0;

	lossy.rx = 80000;
	cp_cmp_conf_default(&c);
	c.nb_modes = 0;
	assert_int_equal(cp_cmp_modes_parse("dpdk", c.modes, &c.nb_modes, 4,
					    err, sizeof(err)),
			 0);
	c.reps = 2;
	c.search = false;
	c.sc.max_rate = 0.1e6;
	assert_int_equal(cp_cmp_run_new(&r, &c, err, sizeof(err)), 0);
	for (cp_cmp_run_next(r, &st); st.kind != CP_CMP_STEP_DONE;
	     cp_cmp_run_next(r, &st)) {
		if (st.kind == CP_CMP_STEP_MODE)
			cp_cmp_run_feed_mode(r, 0, "dpdk/net_null", NULL);
		else
			cp_cmp_run_feed_trial(r, 0, k++ ? &lossy : &ok, NULL);
	}
	res = cp_cmp_run_results(r, &n);
	assert_int_equal(k, 2);
	assert_int_equal(res[0].limit, CP_CMP_LIM_SINK);
	assert_non_null(strstr(res[0].limit_why, "sink got 80000"));
	/* net_null polls in user space: 0 syscalls, not "not counted" */
	assert_true(res[0].syscalls_per_pkt.med == 0);
	assert_null(strstr(res[0].method, "syscalls: not counted"));
	cp_cmp_run_free(r);
}

/* The step interface: asking twice repeats, feeding a step that was not
 * asked is ignored, a failing trial fails only its combination. */
static void test_step_protocol(void **state)
{
	struct cp_cmp_conf c;
	struct cp_cmp_run *r;
	struct cp_cmp_step a, b;
	struct cp_cmp_sample s = {.duration = 0.1, .tx = 1000, .rx = 1000};
	const struct cp_cmp_result *res;
	char err[CP_CMP_ERR_MAX];
	unsigned int n, trials = 0;

	cp_cmp_conf_default(&c);
	c.nb_modes = 0;
	assert_int_equal(cp_cmp_modes_parse("kernel:poll,dpdk", c.modes,
					    &c.nb_modes, 4, err, sizeof(err)),
			 0);
	c.reps = 2;
	c.search = false;
	assert_int_equal(cp_cmp_run_new(&r, &c, err, sizeof(err)), 0);
	cp_cmp_run_feed_trial(r, 0, &s, NULL); /* not asked: ignored */
	cp_cmp_run_next(r, &a);
	cp_cmp_run_next(r, &b);
	assert_int_equal(a.kind, CP_CMP_STEP_MODE);
	assert_ptr_equal(a.mode, b.mode);
	cp_cmp_run_feed_mode(r, 0, "poll on veth", NULL);
	for (;;) {
		cp_cmp_run_next(r, &a);
		if (a.kind == CP_CMP_STEP_DONE)
			break;
		if (a.kind == CP_CMP_STEP_MODE) {
			cp_cmp_run_feed_mode(r, 0, NULL, NULL);
			continue;
		}
		cp_cmp_run_next(r, &b);
		assert_true(a.req.rate == b.req.rate);
		trials++;
		if (!strcmp(a.mode->name, "kernel:poll"))
			cp_cmp_run_feed_trial(r, -ETIMEDOUT, NULL,
					      "stats read timed out");
		else
			cp_cmp_run_feed_trial(r, 0, &s, NULL);
	}
	res = cp_cmp_run_results(r, &n);
	assert_int_equal(n, 2);
	assert_int_equal(trials, 1 + 2); /* poll failed at its first trial */
	assert_false(res[0].ok);
	assert_non_null(strstr(res[0].error, "timed out"));
	assert_string_equal(res[0].mode_desc, "poll on veth");
	assert_true(res[1].ok);
	assert_false(res[1].searched);
	assert_true(res[1].loss.med == 0);
	/* generator offered 0.01 Mpps of 10 asked, no loss */
	assert_int_equal(res[1].limit, CP_CMP_LIM_GENERATOR);
	cp_cmp_run_free(r);

	c.reps = 0;
	assert_int_equal(cp_cmp_run_new(&r, &c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "reps"));
	c.reps = 1;
	c.frames[0] = 20;
	assert_int_equal(cp_cmp_run_new(&r, &c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "frame size 20"));
	/* MRR only: a max rate below the search's floor is fine, none is
	 * not */
	c.frames[0] = 64;
	c.sc.max_rate = c.sc.min_rate / 2;
	assert_int_equal(cp_cmp_run_new(&r, &c, err, sizeof(err)), 0);
	cp_cmp_run_free(r);
	c.sc.max_rate = 0;
	assert_int_equal(cp_cmp_run_new(&r, &c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "max rate"));
	c.search = true;
	c.sc.max_rate = c.sc.min_rate / 2;
	assert_int_equal(cp_cmp_run_new(&r, &c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "max_rate"));
}

static void compare_stat(const struct cp_cmp_stat *a,
			 const struct cp_cmp_stat *b)
{
	const double va[] = {a->med, a->min, a->max, a->q1, a->q3};
	const double vb[] = {b->med, b->min, b->max, b->q1, b->q3};

	assert_int_equal(a->n, b->n);
	for (int i = 0; i < 5; i++)
		assert_true((isnan(va[i]) && isnan(vb[i])) ||
			    near(va[i], vb[i], 1e-9));
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long len;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	buf = calloc(1, len + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, len, f), (size_t)len);
	fclose(f);
	return buf;
}

static void test_json_roundtrip(void **state)
{
	struct fixture *x = *state;
	struct cp_cmp_machine m, m2;
	struct cp_cmp_result *back;
	char path[128], err[CP_CMP_ERR_MAX], *text;
	unsigned int n;

	mkdir(x->dir, 0755);
	snprintf(path, sizeof(path), "%s/r.json", x->dir);
	cp_cmp_machine_probe(&m);
	assert_true(m.cores >= 1);
	assert_int_equal(cp_cmp_json_write(path, &x->c, &m, x->res, x->n), 0);
	text = slurp(path);
	assert_int_equal(
		cp_cmp_json_parse(text, &back, &n, &m2, err, sizeof(err)), 0);
	free(text);
	assert_int_equal(n, x->n);
	assert_int_equal(m2.cores, m.cores);
	assert_string_equal(m2.kernel, m.kernel);
	assert_true(m.load[2] >= 0 && near(m2.load[2], m.load[2], 1e-9));
	for (unsigned int i = 0; i < n; i++) {
		const struct cp_cmp_result *a = &x->res[i];
		const struct cp_cmp_result *b = &back[i];

		assert_string_equal(a->mode.name, b->mode.name);
		assert_string_equal(a->mode.io_model, b->mode.io_model);
		assert_int_equal(a->mode.zerocopy, b->mode.zerocopy);
		assert_int_equal(a->frame, b->frame);
		assert_int_equal(a->flows, b->flows);
		assert_int_equal(a->ok, b->ok);
		assert_string_equal(a->error, b->error);
		compare_stat(&a->forwarded_mpps, &b->forwarded_mpps);
		compare_stat(&a->offered_mpps, &b->offered_mpps);
		compare_stat(&a->cycles_per_pkt, &b->cycles_per_pkt);
		compare_stat(&a->lat_p99_us, &b->lat_p99_us);
		compare_stat(&a->ndr.reps, &b->ndr.reps);
		assert_true((isnan(a->ndr.mpps) && isnan(b->ndr.mpps)) ||
			    near(a->ndr.mpps, b->ndr.mpps, 1e-9));
		assert_int_equal(a->pdr.status, b->pdr.status);
		assert_int_equal(a->pdr.trials, b->pdr.trials);
		assert_int_equal(a->limit, b->limit);
		assert_string_equal(a->method, b->method);
		assert_int_equal(a->ndr.limit, b->ndr.limit);
		assert_string_equal(a->pdr.limit_why, b->pdr.limit_why);
		assert_int_equal(a->n_search_trials, b->n_search_trials);
		for (unsigned int k = 0; k < a->reps; k++) {
			const struct cp_cmp_trial_rec *ta = &a->mrr_trials[k];
			const struct cp_cmp_trial_rec *tb = &b->mrr_trials[k];

			assert_true(ta->tx == tb->tx && ta->rx == tb->rx);
			assert_true(ta->dut_pkts == tb->dut_pkts);
			assert_int_equal(ta->have_dut_tx, tb->have_dut_tx);
			assert_int_equal(ta->limit, tb->limit);
			assert_true(
				near(ta->m.lat_p99_us, tb->m.lat_p99_us, 1e-9));
		}
		for (unsigned int k = 0; k < a->n_search_trials; k++)
			assert_true(near(a->search_trials[k].rate,
					 b->search_trials[k].rate, 1e-9));
	}
	free(back);

	/* bad documents are refused with a reason */
	static const char *const bad[] = {
		"{",
		"[]",
		"{\"format\": 2, \"results\": []}",
		"{\"format\": 1, \"results\": {}}",
		"{\"format\": 1, \"results\": [3]}",
		"{\"format\": 1, \"results\": [{\"mode\": \"x\", \"mrr\": {},"
		" \"frame\": 64, \"flows\": 1, \"ndr\": {}, \"pdr\": {},"
		" \"limit\": \"warp\"}]}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(cp_cmp_json_parse(bad[i], &back, &n, NULL, err,
						   sizeof(err)),
				 -EINVAL);
		assert_null(back);
		assert_true(err[0] != '\0');
	}
}

/* Minimal RFC 4180 field splitter: returns the number of fields. */
static int csv_split(char *line, char **f, int max)
{
	int n = 0;
	char *w = line, *r = line;

	while (n < max) {
		f[n++] = w;
		if (*r == '"') {
			r++;
			for (;;) {
				if (*r == '"' && r[1] == '"') {
					*w++ = '"';
					r += 2;
				} else if (*r == '"') {
					r++;
					break;
				} else {
					assert_true(*r != '\0');
					*w++ = *r++;
				}
			}
		} else {
			while (*r && *r != ',' && *r != '\n')
				*w++ = *r++;
		}
		if (*r != ',') {
			*w = '\0';
			return n;
		}
		*w++ = '\0';
		r++;
	}
	return n;
}

static int col(char **hdr, int nh, const char *name)
{
	for (int i = 0; i < nh; i++)
		if (!strcmp(hdr[i], name))
			return i;
	fail_msg("no column %s", name);
	return -1;
}

static void test_csv_parse_back(void **state)
{
	struct fixture *x = *state;
	struct cp_cmp_result odd = x->res[0];
	char path[128], hline[2048], line[4096], *h[64], *f[64];
	unsigned int rows = 0;
	int nh, nf;
	FILE *fp;

	/* a field with commas and quotes survives */
	snprintf(odd.limit_why, sizeof(odd.limit_why), "a, \"quoted\" why");
	mkdir(x->dir, 0755);
	snprintf(path, sizeof(path), "%s/r.csv", x->dir);
	assert_int_equal(cp_cmp_csv_write(path, x->res, x->n), 0);
	fp = fopen(path, "r");
	assert_non_null(fp);
	assert_non_null(fgets(hline, sizeof(hline), fp));
	hline[strcspn(hline, "\n")] = '\0';
	assert_string_equal(hline, cp_cmp_csv_header);
	nh = csv_split(hline, h, 64);
	while (fgets(line, sizeof(line), fp)) {
		const struct cp_cmp_result *r = &x->res[rows];

		nf = csv_split(line, f, 64);
		assert_int_equal(nf, nh);
		assert_string_equal(f[col(h, nh, "mode")], r->mode.name);
		assert_int_equal(atoi(f[col(h, nh, "frame")]), r->frame);
		assert_int_equal(atoi(f[col(h, nh, "ok")]), r->ok);
		if (r->ok) {
			double fwd = atof(f[col(h, nh, "forwarded_mpps")]);
			double off = atof(f[col(h, nh, "offered_mpps")]);
			double ndr = atof(f[col(h, nh, "ndr_mpps")]);

			assert_true(near(fwd, r->forwarded_mpps.med, 1e-5));
			assert_true(fwd <= off);
			assert_true(near(ndr, r->ndr.mpps, 1e-5));
			assert_string_equal(f[col(h, nh, "limit")],
					    cp_cmp_limit_name(r->limit));
			assert_string_equal(f[col(h, nh, "method")], r->method);
		} else {
			assert_string_equal(f[col(h, nh, "forwarded_mpps")],
					    "");
			assert_string_equal(f[col(h, nh, "error")], r->error);
		}
		rows++;
	}
	fclose(fp);
	assert_int_equal(rows, x->n);

	assert_int_equal(cp_cmp_csv_write(path, &odd, 1), 0);
	fp = fopen(path, "r");
	assert_non_null(fgets(line, sizeof(line), fp));
	assert_non_null(fgets(line, sizeof(line), fp));
	fclose(fp);
	nf = csv_split(line, f, 64);
	assert_int_equal(nf, nh);
	assert_string_equal(f[col(h, nh, "limit_why")], "a, \"quoted\" why");
}

static void test_table(void **state)
{
	struct fixture *x = *state;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cp_cmp_table_print(f, x->res, x->n);
	fclose(f);
	for (unsigned int i = 0; i < x->c.nb_modes; i++)
		assert_non_null(strstr(buf, x->c.modes[i].name));
	assert_non_null(strstr(buf, "not measured: mode afxdp:native:zc"));
	assert_non_null(strstr(buf, "dut-core"));
	free(buf);
}

static void test_write_all(void **state)
{
	struct fixture *x = *state;
	static const char *const files[] = {
		"results.json",	     "results.csv",	 "table.txt",
		"mpps.png",	     "mpps.svg",	 "cycles.png",
		"cycles.svg",	     "desc-scaling.png", "desc-scaling.svg",
		"desc-syscalls.png", "desc-syscalls.svg"};
	char path[256], desc[128], cmd_dir[128], err[CP_CMP_ERR_MAX];
	struct stat st;
	FILE *f;
	int rc;

	mkdir(x->dir, 0755);
	snprintf(desc, sizeof(desc), "%s/desc.csv", x->dir);
	f = fopen(desc, "w");
	assert_non_null(f);
	/* as scripts/fdscale.sh writes it */
	fprintf(f, "model,sockets,active,rx_pps,received_pct,cpu_ns_per_pkt,"
		   "syscalls_per_pkt,waits_per_pkt\n"
		   "poll,1,1,49000,100.0,2088,1.0,1.0\n"
		   "poll,1000,10,49000,100.0,3766,1.1,1.0\n"
		   "epoll-lt,1,1,49000,100.0,2533,1.3,1.0\n"
		   "epoll-lt,1000,10,49000,100.0,2949,1.4,1.0\n");
	fclose(f);
	snprintf(path, sizeof(path), "%s/out", x->dir);
	rc = cp_cmp_write_all(path, &x->c, x->res, x->n, desc, err,
			      sizeof(err));
	if (rc == -ENOENT && strstr(err, "gnuplot not installed"))
		skip();
	if (rc)
		fail_msg("write_all: %s", err);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/out/%s", x->dir, files[i]);
		if (stat(path, &st) || st.st_size < 100)
			fail_msg("%s missing or empty", path);
	}
	/* a wide descriptor CSV (descriptors, one column a series) too */
	snprintf(desc, sizeof(desc), "%s/wide.csv", x->dir);
	f = fopen(desc, "w");
	assert_non_null(f);
	fprintf(f, "descriptors,poll,epoll-et\n64,0.1,0.12\n256,0.15,0.2\n");
	fclose(f);
	snprintf(path, sizeof(path), "%s/out/results.csv", x->dir);
	snprintf(cmd_dir, sizeof(cmd_dir), "%s/wide", x->dir);
	mkdir(cmd_dir, 0755);
	assert_int_equal(
		cp_cmp_plot(NULL, path, desc, cmd_dir, err, sizeof(err)), 0);
	snprintf(path, sizeof(path), "%s/desc-scaling.svg", cmd_dir);
	assert_int_equal(stat(path, &st), 0);
	snprintf(path, sizeof(path), "%s/desc-syscalls.svg", cmd_dir);
	assert_int_not_equal(stat(path, &st), 0);
	/* a bad script is an error naming gnuplot's complaint */
	snprintf(path, sizeof(path), "%s/bad.gp", x->dir);
	f = fopen(path, "w");
	fprintf(f, "plot nosuchthing(x)\n");
	fclose(f);
	snprintf(desc, sizeof(desc), "%s/out", x->dir);
	rc = cp_cmp_plot(path, "r.csv", NULL, desc, err, sizeof(err));
	assert_int_equal(rc, -EIO);
	assert_non_null(strstr(err, "gnuplot failed"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_mode_present),
		cmocka_unit_test(test_failed_mode_reported),
		cmocka_unit_test(test_numbers_sane),
		cmocka_unit_test(test_limit_attribution),
		cmocka_unit_test(test_generator_bound),
		cmocka_unit_test(test_limit_tie),
		cmocka_unit_test(test_exec_driver),
		cmocka_unit_test(test_step_protocol),
		cmocka_unit_test(test_json_roundtrip),
		cmocka_unit_test(test_csv_parse_back),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_write_all),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
