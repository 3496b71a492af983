// SPDX-License-Identifier: MIT
/*
 * NDR/PDR search: an MLRsearch-like state machine (see compare.h for the
 * method). It never sends traffic: cp_cmp_search_next() names the next
 * trial, cp_cmp_search_feed() reports its counters. Bounds are recomputed
 * from the list of measurements at the current phase's duration every time,
 * pessimistically: the upper bound is the lowest failing rate, the lower
 * bound the highest passing rate below it, so noise that makes a higher rate
 * pass after a lower one failed never raises a result. A trial whose
 * generator fell short of the rate (CP_CMP_GEN_TOL) fails: its unsent
 * packets count as lost, so the bounds never exceed what was offered.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "compare.h"

#define EPS	   1e-9
#define PHASES_MAX 8

static const char *const status_names[] = {
	[CP_CMP_ST_CONVERGED] = "converged",
	[CP_CMP_ST_AT_MAX] = "at-max",
	[CP_CMP_ST_BELOW_MIN] = "below-min",
	[CP_CMP_ST_MAX_TRIALS] = "max-trials",
	[CP_CMP_ST_ERROR] = "error",
};

const char *cp_cmp_status_name(enum cp_cmp_status st)
{
	if ((unsigned int)st >= sizeof(status_names) / sizeof(status_names[0]))
		return "?";
	return status_names[st];
}

const char *cp_cmp_target_name(enum cp_cmp_target t)
{
	return t == CP_CMP_NDR ? "ndr" : t == CP_CMP_PDR ? "pdr" : "?";
}

void cp_cmp_search_conf_default(struct cp_cmp_search_conf *c)
{
	*c = (struct cp_cmp_search_conf){
		.min_rate = 10e3,
		.max_rate = 10e6,
		.precision = 0.005,
		.trial_s = 1.0,
		.initial_trial_s = 0.25,
		.max_trials = 32,
		.ndr_loss = 0.0,
		.pdr_loss = 0.005,
	};
}

int cp_cmp_search_init(struct cp_cmp_search *s,
		       const struct cp_cmp_search_conf *c, char *err,
		       size_t errlen)
{
	const char *bad = NULL;
	double d;

	if (!(c->min_rate >= 1.0))
		bad = "min_rate must be >= 1 pps";
	else if (!(c->max_rate > c->min_rate) || !isfinite(c->max_rate))
		bad = "max_rate must be finite and above min_rate";
	else if (!(c->precision >= 1e-6 && c->precision < 0.5))
		bad = "precision must be in [1e-6, 0.5)";
	else if (!(c->trial_s > 0 && c->trial_s <= 3600))
		bad = "trial duration must be in (0, 3600] s";
	else if (!(c->initial_trial_s > 0 && c->initial_trial_s <= c->trial_s))
		bad = "initial trial duration must be in (0, trial duration]";
	else if (c->max_trials < 2 || c->max_trials > CP_CMP_TRIALS_MAX)
		bad = "max_trials must be in [2, 64]";
	else if (!(c->ndr_loss >= 0 && c->ndr_loss < 1))
		bad = "ndr loss ratio must be in [0, 1)";
	else if (!(c->pdr_loss >= c->ndr_loss && c->pdr_loss < 1))
		bad = "pdr loss ratio must be in [ndr loss, 1)";
	if (bad) {
		snprintf(err, errlen, "search: %s", bad);
		return -EINVAL;
	}
	memset(s, 0, sizeof(*s));
	s->c = *c;
	s->n_phases = 1;
	for (d = c->trial_s; d / 2 >= c->initial_trial_s * (1 - EPS) &&
			     s->n_phases < PHASES_MAX;
	     d /= 2)
		s->n_phases++;
	for (int t = 0; t < CP_CMP_TARGETS; t++)
		s->res[t] =
			(struct cp_cmp_bound){.lb_meas = -1,
					      .ub_meas = -1,
					      .status = CP_CMP_ST_MAX_TRIALS};
	return 0;
}

static double phase_dur(const struct cp_cmp_search *s, unsigned int p)
{
	return s->c.trial_s / (double)(1u << (s->n_phases - 1 - p));
}

static double phase_goal(const struct cp_cmp_search *s, unsigned int p)
{
	double g = s->c.precision * (double)(1u << (s->n_phases - 1 - p));

	return g < 0.5 ? g : 0.5;
}

static double tol_of(const struct cp_cmp_search *s, int t)
{
	return t == CP_CMP_NDR ? s->c.ndr_loss : s->c.pdr_loss;
}

static bool same_dur(double a, double b)
{
	return fabs(a - b) <= EPS * b;
}

static bool passes(const struct cp_cmp_meas *m, double tol)
{
	return m->tx > 0 && m->loss <= tol + EPS;
}

/* Bounds of target t from the measurements at duration d. */
static void bounds(const struct cp_cmp_search *s, int t, double d, double *lb,
		   int *lb_i, double *ub, int *ub_i)
{
	double tol = tol_of(s, t);

	*ub = INFINITY;
	*lb = -1;
	*lb_i = -1;
	*ub_i = -1;
	for (unsigned int i = 0; i < s->n_meas; i++) {
		const struct cp_cmp_meas *m = &s->meas[i];

		if (m->invalid)
			continue;
		if (same_dur(m->duration, d) && !passes(m, tol) &&
		    m->rate < *ub) {
			*ub = m->rate;
			*ub_i = (int)i;
		}
	}
	for (unsigned int i = 0; i < s->n_meas; i++) {
		const struct cp_cmp_meas *m = &s->meas[i];

		if (!m->invalid && same_dur(m->duration, d) && passes(m, tol) &&
		    m->rate < *ub && m->rate > *lb) {
			*lb = m->rate;
			*lb_i = (int)i;
		}
	}
}

static double clamp_rate(const struct cp_cmp_search *s, double r)
{
	if (r < s->c.min_rate)
		return s->c.min_rate;
	if (r > s->c.max_rate)
		return s->c.max_rate;
	return r;
}

static double next_step(struct cp_cmp_search *s, int t, double goal, double ref)
{
	double st = s->step[t];

	if (st == 0) {
		st = goal * ref;
		if (s->hint_ub[t] > s->hint_lb[t] && s->hint_lb[t] > 0 &&
		    s->hint_ub[t] - s->hint_lb[t] > st)
			st = s->hint_ub[t] - s->hint_lb[t];
	} else {
		st *= 2;
	}
	s->step[t] = st;
	return st;
}

/* 1 and *rate: target t needs a trial in this phase; 0: settled (res set). */
static int decide(struct cp_cmp_search *s, int t, double *rate)
{
	double d = phase_dur(s, s->phase), goal = phase_goal(s, s->phase);
	struct cp_cmp_bound *r = &s->res[t];
	double lb, ub;
	int lb_i, ub_i;

	bounds(s, t, d, &lb, &lb_i, &ub, &ub_i);
	if (lb >= s->c.max_rate * (1 - EPS)) {
		*r = (struct cp_cmp_bound){.rate = s->c.max_rate,
					   .lower = s->c.max_rate,
					   .upper = s->c.max_rate,
					   .lb_meas = lb_i,
					   .ub_meas = -1,
					   .status = CP_CMP_ST_AT_MAX};
		return 0;
	}
	if (ub <= s->c.min_rate * (1 + EPS)) {
		*r = (struct cp_cmp_bound){.rate = 0,
					   .lower = 0,
					   .upper = ub,
					   .lb_meas = -1,
					   .ub_meas = ub_i,
					   .status = CP_CMP_ST_BELOW_MIN};
		return 0;
	}
	if (lb >= 0 && isfinite(ub)) {
		if (ub - lb <= goal * ub) {
			*r = (struct cp_cmp_bound){.rate = lb,
						   .lower = lb,
						   .upper = ub,
						   .lb_meas = lb_i,
						   .ub_meas = ub_i,
						   .status =
							   CP_CMP_ST_CONVERGED};
			return 0;
		}
		/* Bounds carried from the previous phase lie in between:
		 * re-validate them first, they are the likely answer. */
		if (s->hint_lb[t] > lb * (1 + EPS) &&
		    s->hint_lb[t] < ub * (1 - EPS)) {
			*rate = s->hint_lb[t];
			return 1;
		}
		if (s->hint_ub[t] > lb * (1 + EPS) &&
		    s->hint_ub[t] < ub * (1 - EPS)) {
			*rate = s->hint_ub[t];
			return 1;
		}
		*rate = (lb + ub) / 2;
		/* Far apart (typically ub is the max_rate trial): walk up from
		 * the lower bound with a doubling step before bisecting, as
		 * the true bound is usually close to the last one found. */
		if (ub - lb > 4 * goal * ub && lb > 0) {
			double up = lb + next_step(s, t, goal, lb);

			if (up < *rate)
				*rate = up;
		}
		return 1;
	}
	if (isfinite(ub)) {
		/* Only an upper bound at this duration: try the carried lower
		 * bound, then walk down with a doubling step. */
		if (s->hint_lb[t] > 0 && s->hint_lb[t] < ub * (1 - EPS))
			*rate = s->hint_lb[t];
		else
			*rate = ub - next_step(s, t, goal, ub);
		*rate = clamp_rate(s, *rate);
		return 1;
	}
	if (lb >= 0) {
		if (s->hint_ub[t] > lb * (1 + EPS))
			*rate = s->hint_ub[t];
		else
			*rate = lb + next_step(s, t, goal, lb);
		*rate = clamp_rate(s, *rate);
		return 1;
	}
	if (s->hint_lb[t] > 0)
		*rate = s->hint_lb[t];
	else if (s->hint_ub[t] > 0)
		*rate = s->hint_ub[t];
	else
		*rate = s->c.max_rate;
	*rate = clamp_rate(s, *rate);
	return 1;
}

/* Out of trials: report the best bounds at the current phase as loose. */
static void finish_loose(struct cp_cmp_search *s, enum cp_cmp_status st)
{
	double d = phase_dur(s, s->phase);

	for (int t = 0; t < CP_CMP_TARGETS; t++) {
		double lb, ub;
		int lb_i, ub_i;

		bounds(s, t, d, &lb, &lb_i, &ub, &ub_i);
		/* Nothing passed at this phase's duration yet: the previous
		 * phase's lower bound, unless a trial at this duration already
		 * failed at or below it (loose: measured shorter). */
		if (lb < 0 && s->phase > 0 && s->hint_lb[t] > 0 &&
		    s->hint_lb[t] < ub * (1 - EPS)) {
			for (unsigned int i = 0; i < s->n_meas; i++) {
				const struct cp_cmp_meas *m = &s->meas[i];

				if (m->invalid || !passes(m, tol_of(s, t)) ||
				    fabs(m->rate - s->hint_lb[t]) >
					    EPS * m->rate ||
				    (lb_i >= 0 &&
				     s->meas[lb_i].duration >= m->duration))
					continue;
				lb = m->rate;
				lb_i = (int)i;
			}
		}
		s->res[t] = (struct cp_cmp_bound){
			.rate = lb > 0 ? lb : 0,
			.lower = lb > 0 ? lb : 0,
			.upper = isfinite(ub) ? ub : s->c.max_rate,
			.lb_meas = lb_i,
			.ub_meas = ub_i,
			.status = st,
		};
	}
	s->finished = true;
}

int cp_cmp_search_next(struct cp_cmp_search *s, double *rate, double *duration)
{
	if (s->finished)
		return 0;
	if (s->asked) { /* asked again before the trial was fed */
		*rate = s->ask_rate;
		*duration = s->ask_dur;
		return 1;
	}
	if (s->n_meas == 0) {
		*rate = s->c.max_rate;
		*duration = phase_dur(s, 0);
		goto ask;
	}
	if (s->retry) {
		if (s->n_meas >= s->c.max_trials) {
			finish_loose(s, CP_CMP_ST_MAX_TRIALS);
			return 0;
		}
		*rate = s->ask_rate;
		*duration = s->ask_dur;
		goto ask;
	}
	for (;;) {
		for (int t = 0; t < CP_CMP_TARGETS; t++) {
			if (!decide(s, t, rate))
				continue;
			if (s->n_meas >= s->c.max_trials) {
				finish_loose(s, CP_CMP_ST_MAX_TRIALS);
				return 0;
			}
			*duration = phase_dur(s, s->phase);
			goto ask;
		}
		if (s->phase + 1 >= s->n_phases)
			break;
		/* Both settled: carry the bounds into a longer phase. */
		for (int t = 0; t < CP_CMP_TARGETS; t++) {
			s->hint_lb[t] = s->res[t].lower;
			s->hint_ub[t] = s->res[t].upper;
			s->step[t] = 0;
		}
		s->phase++;
	}
	s->finished = true;
	return 0;
ask:
	s->asked = true;
	s->ask_rate = *rate;
	s->ask_dur = *duration;
	return 1;
}

void cp_cmp_search_feed(struct cp_cmp_search *s, double rate, double duration,
			uint64_t tx, uint64_t rx)
{
	struct cp_cmp_meas *m;
	double want = rate * duration, base;

	if (s->finished || s->n_meas >= CP_CMP_TRIALS_MAX)
		return;
	s->asked = false;
	m = &s->meas[s->n_meas++];
	m->rate = rate;
	m->duration = duration;
	m->tx = tx;
	m->rx = rx;
	m->gen_short = (double)tx < (1 - CP_CMP_GEN_TOL) * want;
	/* short generator: what it did not send is lost too; but once or
	 * twice in a row it is the generator's hiccup: ask again */
	s->retry = m->gen_short && s->n_meas > 1 &&
		   s->retries < CP_CMP_GEN_RETRIES;
	m->invalid = s->retry;
	s->retries = s->retry ? s->retries + 1 : 0;
	base = m->gen_short ? want : (double)tx;
	m->loss = base <= 0 || tx == 0 ? 1.0
		  : (double)rx >= base ? 0.0
				       : (base - (double)rx) / base;
	if (s->n_meas == 1) {
		/* The maximum receive rate is the first guess of both bounds.
		 */
		s->mrr = (double)rx / duration;
		for (int t = 0; t < CP_CMP_TARGETS; t++)
			s->hint_lb[t] = clamp_rate(s, s->mrr);
	}
}

void cp_cmp_search_fail(struct cp_cmp_search *s)
{
	if (s->finished)
		return;
	finish_loose(s, CP_CMP_ST_ERROR);
	s->failed = true;
}

int cp_cmp_search_run(struct cp_cmp_search *s, cp_cmp_trial_fn trial, void *ctx)
{
	double rate, dur;

	while (cp_cmp_search_next(s, &rate, &dur)) {
		uint64_t tx = 0, rx = 0;
		int rc = trial(ctx, rate, dur, &tx, &rx);

		if (rc < 0) {
			cp_cmp_search_fail(s);
			return rc;
		}
		cp_cmp_search_feed(s, rate, dur, tx, rx);
	}
	return 0;
}
