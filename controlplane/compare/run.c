// SPDX-License-Identifier: MIT
/*
 * The runner: for every mode, switch the DUT to it once, then for every
 * frame size x flow count run `reps` trials at max_rate (MRR: median and
 * spread of every metric) and `search_reps` NDR/PDR searches. A state
 * machine, so the daemon's event loop drives it one step at a time (a timer
 * per trial, never blocking); cp_compare_run() drives it with a blocking
 * driver. A mode that cannot be set up, or a trial that fails, is reported
 * with its error and the run goes on with the next one.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare.h"

enum run_state {
	RS_MODE, /* ask for the next mode */
	RS_WAIT_MODE, /* mode switch asked, not fed yet */
	RS_MRR,
	RS_SEARCH,
	RS_FINISH, /* combination complete: summarise */
	RS_DONE,
};

struct cp_cmp_run {
	struct cp_cmp_conf c;
	struct cp_cmp_result *res;
	unsigned int n_res;
	unsigned int mode_i, combo_i;
	enum run_state st;
	bool waiting; /* a TRIAL step is out */
	struct cp_cmp_step pending;
	/* MRR */
	unsigned int rep;
	struct cp_cmp_metrics mrr[CP_CMP_REPS_MAX];
	enum cp_cmp_limit lim[CP_CMP_REPS_MAX];
	/* searches */
	unsigned int srep;
	struct cp_cmp_search search;
	struct cp_cmp_sample ss[CP_CMP_TRIALS_MAX];
	struct cp_cmp_ndr nd[CP_CMP_TARGETS][CP_CMP_REPS_MAX];
	unsigned int search_trials;
	/* progress */
	unsigned int done, total;
};

static const char *const limit_names[] = {
#define CP_CMP_LIMIT_NAME(e, n, d) n,
	CP_CMP_FOREACH_LIMIT(CP_CMP_LIMIT_NAME)
#undef CP_CMP_LIMIT_NAME
};

static const char *const limit_descs[] = {
#define CP_CMP_LIMIT_DESC(e, n, d) d,
	CP_CMP_FOREACH_LIMIT(CP_CMP_LIMIT_DESC)
#undef CP_CMP_LIMIT_DESC
};

const char *cp_cmp_limit_name(enum cp_cmp_limit l)
{
	return (unsigned int)l < CP_CMP_LIM__COUNT ? limit_names[l] : "?";
}

const char *cp_cmp_limit_desc(enum cp_cmp_limit l)
{
	return (unsigned int)l < CP_CMP_LIM__COUNT ? limit_descs[l] : "?";
}

int cp_cmp_limit_parse(const char *name)
{
	for (int i = 0; i < CP_CMP_LIM__COUNT; i++)
		if (!strcmp(limit_names[i], name))
			return i;
	return -1;
}

void cp_cmp_conf_default(struct cp_cmp_conf *c)
{
	char err[CP_CMP_ERR_MAX];

	memset(c, 0, sizeof(*c));
	cp_cmp_modes_parse("all", c->modes, &c->nb_modes, CP_CMP_MODES_MAX, err,
			   sizeof(err));
	c->frames[0] = 64;
	c->nb_frames = 1;
	c->flows[0] = 1;
	c->nb_flows = 1;
	c->reps = 3;
	c->trial_s = 1.0;
	c->search = true;
	c->search_reps = 1;
	cp_cmp_search_conf_default(&c->sc);
}

int cp_cmp_conf_check(const struct cp_cmp_conf *c, char *err, size_t errlen)
{
	struct cp_cmp_search s;

	if (c->nb_modes == 0 || c->nb_modes > CP_CMP_MODES_MAX) {
		snprintf(err, errlen, "modes: need 1 to %d", CP_CMP_MODES_MAX);
		return -EINVAL;
	}
	if (c->nb_frames == 0 || c->nb_frames > CP_CMP_SIZES_MAX) {
		snprintf(err, errlen, "sizes: need 1 to %d frame sizes",
			 CP_CMP_SIZES_MAX);
		return -EINVAL;
	}
	for (unsigned int i = 0; i < c->nb_frames; i++)
		if (c->frames[i] < 64 || c->frames[i] > 9216) {
			snprintf(err, errlen,
				 "sizes: frame size %u not in [64, 9216]",
				 c->frames[i]);
			return -EINVAL;
		}
	if (c->nb_flows == 0 || c->nb_flows > CP_CMP_FLOWS_MAX) {
		snprintf(err, errlen, "flows: need 1 to %d flow counts",
			 CP_CMP_FLOWS_MAX);
		return -EINVAL;
	}
	for (unsigned int i = 0; i < c->nb_flows; i++)
		if (c->flows[i] < 1 || c->flows[i] > 1u << 24) {
			snprintf(err, errlen,
				 "flows: flow count %u not in [1, 16777216]",
				 c->flows[i]);
			return -EINVAL;
		}
	if (c->reps < 1 || c->reps > CP_CMP_REPS_MAX) {
		snprintf(err, errlen, "reps: %u not in [1, %d]", c->reps,
			 CP_CMP_REPS_MAX);
		return -EINVAL;
	}
	if (!(c->trial_s > 0 && c->trial_s <= 3600)) {
		snprintf(err, errlen, "trial: duration must be in (0, 3600] s");
		return -EINVAL;
	}
	if (c->search &&
	    (c->search_reps < 1 || c->search_reps > CP_CMP_REPS_MAX)) {
		snprintf(err, errlen, "search-reps: %u not in [1, %d]",
			 c->search_reps, CP_CMP_REPS_MAX);
		return -EINVAL;
	}
	return cp_cmp_search_init(&s, &c->sc, err, errlen);
}

int cp_cmp_run_new(struct cp_cmp_run **out, const struct cp_cmp_conf *c,
		   char *err, size_t errlen)
{
	unsigned int combos = c->nb_frames * c->nb_flows;
	struct cp_cmp_run *r;
	int rc = cp_cmp_conf_check(c, err, errlen);

	if (rc)
		return rc;
	r = calloc(1, sizeof(*r));
	if (!r)
		goto nomem;
	r->c = *c;
	r->n_res = c->nb_modes * combos;
	r->res = calloc(r->n_res, sizeof(r->res[0]));
	if (!r->res)
		goto nomem;
	for (unsigned int i = 0; i < r->n_res; i++) {
		struct cp_cmp_result *x = &r->res[i];
		unsigned int k = i % combos;

		x->mode = c->modes[i / combos];
		x->frame = c->frames[k / c->nb_flows];
		x->flows = c->flows[k % c->nb_flows];
		cp_cmp_stat_of(&x->offered_mpps, NULL, 0);
		x->forwarded_mpps = x->loss = x->cycles_per_pkt =
			x->syscalls_per_pkt = x->cpu_busy = x->lat_p50_us =
				x->lat_p99_us = x->offered_mpps;
		x->ndr = (struct cp_cmp_ndr){NAN,
					     NAN,
					     NAN,
					     NAN,
					     NAN,
					     NAN,
					     NAN,
					     NAN,
					     0,
					     CP_CMP_ST_ERROR,
					     x->offered_mpps};
		x->pdr = x->ndr;
	}
	r->total =
		r->n_res *
		(c->reps + (c->search ? c->search_reps * c->sc.max_trials : 0));
	*out = r;
	return 0;
nomem:
	if (r)
		free(r->res);
	free(r);
	snprintf(err, errlen, "compare: %s", strerror(ENOMEM));
	return -ENOMEM;
}

void cp_cmp_run_free(struct cp_cmp_run *r)
{
	if (!r)
		return;
	free(r->res);
	free(r);
}

static struct cp_cmp_result *cur(struct cp_cmp_run *r)
{
	return &r->res[r->mode_i * r->c.nb_frames * r->c.nb_flows + r->combo_i];
}

void cp_cmp_metrics_of(struct cp_cmp_metrics *m, const struct cp_cmp_sample *s)
{
	double d = s->duration > 0 ? s->duration : NAN;

	m->offered_mpps = s->tx / d / 1e6;
	m->forwarded_mpps = s->rx / d / 1e6;
	m->loss = s->tx == 0	   ? NAN
		  : s->rx >= s->tx ? 0
				   : (double)(s->tx - s->rx) / s->tx;
	m->cycles_per_pkt = s->have_cycles && s->dut_pkts
				    ? (double)s->dut_busy_cyc / s->dut_pkts
				    : NAN;
	m->cpu_busy = s->have_cycles && s->dut_total_cyc
			      ? (double)s->dut_busy_cyc / s->dut_total_cyc
			      : NAN;
	m->syscalls_per_pkt = s->have_syscalls && s->dut_pkts
				      ? (double)s->syscalls / s->dut_pkts
				      : NAN;
	m->lat_p50_us = s->lat_p50_ns / 1e3;
	m->lat_p99_us = s->lat_p99_ns / 1e3;
}

enum cp_cmp_limit cp_cmp_limit_of(double rate, const struct cp_cmp_sample *s)
{
	struct cp_cmp_metrics m;
	uint64_t lost;

	cp_cmp_metrics_of(&m, s);
	lost = s->tx > s->rx ? s->tx - s->rx : 0;
	if (lost == 0)
		return m.offered_mpps * 1e6 < 0.97 * rate ? CP_CMP_LIM_GENERATOR
							  : CP_CMP_LIM_NONE;
	if (!isnan(m.cpu_busy) && m.cpu_busy >= 0.9)
		return CP_CMP_LIM_DUT_CORE;
	if (s->have_drops && s->tx_full * 2 >= lost)
		return CP_CMP_LIM_TX_RING;
	if (s->have_drops && s->ring_drops * 2 >= lost)
		return CP_CMP_LIM_RINGS;
	return CP_CMP_LIM_UNKNOWN;
}

static void fail_cur(struct cp_cmp_run *r, const char *what, int rc,
		     const char *err)
{
	struct cp_cmp_result *x = cur(r);

	x->ok = false;
	snprintf(x->error, sizeof(x->error), "%s: %s", what,
		 err && *err ? err : strerror(rc < 0 ? -rc : EIO));
}

static void summarise_mrr(struct cp_cmp_run *r)
{
	struct cp_cmp_result *x = cur(r);
	double v[CP_CMP_REPS_MAX];
	unsigned int n = r->rep, votes[CP_CMP_LIM__COUNT] = {0}, best = 0;

#define STAT(field)                                                            \
	do {                                                                   \
		for (unsigned int i = 0; i < n; i++)                           \
			v[i] = r->mrr[i].field;                                \
		cp_cmp_stat_of(&x->field, v, n);                               \
	} while (0)
	STAT(offered_mpps);
	STAT(forwarded_mpps);
	STAT(loss);
	STAT(cycles_per_pkt);
	STAT(syscalls_per_pkt);
	STAT(cpu_busy);
	STAT(lat_p50_us);
	STAT(lat_p99_us);
#undef STAT
	x->reps = n;
	for (unsigned int i = 0; i < n; i++)
		votes[r->lim[i]]++;
	for (unsigned int l = 0; l < CP_CMP_LIM__COUNT; l++)
		if (votes[l] > votes[best])
			best = l;
	x->limit = best;
	switch (x->limit) {
	case CP_CMP_LIM_GENERATOR:
	case CP_CMP_LIM_NONE:
		snprintf(x->limit_why, sizeof(x->limit_why),
			 "no loss; offered %.3f of %.3f Mpps asked (%.0f%%)",
			 x->offered_mpps.med, r->c.sc.max_rate / 1e6,
			 100 * x->offered_mpps.med * 1e6 / r->c.sc.max_rate);
		break;
	default:
		snprintf(x->limit_why, sizeof(x->limit_why),
			 "loss %.2f%%, DUT core busy %.0f%%: %s",
			 100 * x->loss.med, 100 * x->cpu_busy.med,
			 cp_cmp_limit_desc(x->limit));
		break;
	}
}

static void record_search(struct cp_cmp_run *r)
{
	for (int t = 0; t < CP_CMP_TARGETS; t++) {
		const struct cp_cmp_bound *b = &r->search.res[t];
		struct cp_cmp_ndr *nd = &r->nd[t][r->srep];
		struct cp_cmp_metrics m = {NAN, NAN, NAN, NAN,
					   NAN, NAN, NAN, NAN};

		if (b->lb_meas >= 0)
			cp_cmp_metrics_of(&m, &r->ss[b->lb_meas]);
		*nd = (struct cp_cmp_ndr){
			.mpps = b->rate / 1e6,
			.offered_mpps = m.offered_mpps,
			.forwarded_mpps = m.forwarded_mpps,
			.lower_mpps = b->lower / 1e6,
			.upper_mpps = b->upper / 1e6,
			.cycles_per_pkt = m.cycles_per_pkt,
			.lat_p50_us = m.lat_p50_us,
			.lat_p99_us = m.lat_p99_us,
			.trials = r->search.n_meas,
			.status = b->status,
		};
	}
	r->search_trials += r->search.n_meas;
}

/* The reported bound is the repetition with the median rate; reps holds
 * the spread of all of them. */
static void summarise_search(struct cp_cmp_run *r)
{
	struct cp_cmp_result *x = cur(r);
	unsigned int n = r->srep;

	for (int t = 0; t < CP_CMP_TARGETS; t++) {
		struct cp_cmp_ndr *out = t == CP_CMP_NDR ? &x->ndr : &x->pdr;
		struct cp_cmp_stat st;
		double v[CP_CMP_REPS_MAX];
		unsigned int pick = 0;

		if (n == 0)
			continue;
		for (unsigned int i = 0; i < n; i++)
			v[i] = r->nd[t][i].mpps;
		cp_cmp_stat_of(&st, v, n);
		for (unsigned int i = 1; i < n; i++)
			if (fabs(v[i] - st.med) < fabs(v[pick] - st.med))
				pick = i;
		*out = r->nd[t][pick];
		out->reps = st;
	}
	x->searched = n > 0;
}

static void describe_method(struct cp_cmp_run *r)
{
	struct cp_cmp_result *x = cur(r);
	const struct cp_cmp_search_conf *sc = &r->c.sc;
	int len;

	len = snprintf(x->method, sizeof(x->method),
		       "MRR: median of %u x %.2f s at %.3f Mpps", x->reps,
		       r->c.trial_s, sc->max_rate / 1e6);
	if (r->c.search && len > 0 && (size_t)len < sizeof(x->method))
		snprintf(x->method + len, sizeof(x->method) - len,
			 "; NDR/PDR: MLRsearch-like bisection x%u, %u phases "
			 "%.2f-%.2f s, goal %.2f%% width, loss <= %g/%g, "
			 "%u trials (max %u/search), %.3f-%.3f Mpps",
			 r->srep, r->search.n_phases, sc->initial_trial_s,
			 sc->trial_s, 100 * sc->precision, sc->ndr_loss,
			 sc->pdr_loss, r->search_trials, sc->max_trials,
			 sc->min_rate / 1e6, sc->max_rate / 1e6);
}

static void start_combo(struct cp_cmp_run *r)
{
	r->rep = 0;
	r->srep = 0;
	r->search_trials = 0;
	r->st = RS_MRR;
}

static void next_combo(struct cp_cmp_run *r)
{
	if (++r->combo_i < r->c.nb_frames * r->c.nb_flows) {
		start_combo(r);
		return;
	}
	r->combo_i = 0;
	r->mode_i++;
	r->st = RS_MODE;
}

static void trial_step(struct cp_cmp_run *r, struct cp_cmp_step *st,
		       double rate, double dur)
{
	struct cp_cmp_result *x = cur(r);

	r->pending = (struct cp_cmp_step){
		.kind = CP_CMP_STEP_TRIAL,
		.mode = &x->mode,
		.req = {.rate = rate,
			.duration = dur,
			.frame = x->frame,
			.flows = x->flows},
	};
	r->waiting = true;
	*st = r->pending;
}

void cp_cmp_run_next(struct cp_cmp_run *r, struct cp_cmp_step *st)
{
	double rate, dur;
	char err[CP_CMP_ERR_MAX];

	if (r->waiting || r->st == RS_WAIT_MODE) {
		*st = r->pending; /* asked again before being fed */
		return;
	}
	for (;;) {
		switch (r->st) {
		case RS_MODE:
			if (r->mode_i >= r->c.nb_modes) {
				r->st = RS_DONE;
				continue;
			}
			r->combo_i = 0;
			r->pending = (struct cp_cmp_step){
				.kind = CP_CMP_STEP_MODE,
				.mode = &r->c.modes[r->mode_i],
			};
			r->st = RS_WAIT_MODE;
			*st = r->pending;
			return;
		case RS_MRR:
			if (!cur(r)->ok) { /* a trial failed */
				r->st = RS_FINISH;
				continue;
			}
			if (r->rep < r->c.reps) {
				trial_step(r, st, r->c.sc.max_rate,
					   r->c.trial_s);
				return;
			}
			summarise_mrr(r);
			if (!r->c.search) {
				r->st = RS_FINISH;
				continue;
			}
			cp_cmp_search_init(&r->search, &r->c.sc, err,
					   sizeof(err));
			r->st = RS_SEARCH;
			continue;
		case RS_SEARCH:
			if (cp_cmp_search_next(&r->search, &rate, &dur)) {
				trial_step(r, st, rate, dur);
				return;
			}
			if (r->search.failed) {
				r->st = RS_FINISH;
				continue;
			}
			record_search(r);
			r->done += r->c.sc.max_trials - r->search.n_meas;
			if (++r->srep < r->c.search_reps) {
				cp_cmp_search_init(&r->search, &r->c.sc, err,
						   sizeof(err));
				continue;
			}
			summarise_search(r);
			r->st = RS_FINISH;
			continue;
		case RS_FINISH:
			if (cur(r)->ok)
				describe_method(r);
			next_combo(r);
			continue;
		case RS_WAIT_MODE:
		case RS_DONE:
		default:
			r->done = r->total;
			*st = (struct cp_cmp_step){.kind = CP_CMP_STEP_DONE};
			return;
		}
	}
}

void cp_cmp_run_feed_mode(struct cp_cmp_run *r, int rc, const char *desc,
			  const char *err)
{
	unsigned int combos = r->c.nb_frames * r->c.nb_flows;

	if (r->st != RS_WAIT_MODE)
		return;
	for (unsigned int k = 0; k < combos; k++) {
		struct cp_cmp_result *x = &r->res[r->mode_i * combos + k];

		x->ok = rc == 0;
		if (rc == 0 && desc)
			snprintf(x->mode_desc, sizeof(x->mode_desc), "%s",
				 desc);
		if (rc)
			snprintf(x->error, sizeof(x->error), "mode %s: %s",
				 x->mode.name,
				 err && *err ? err
					     : strerror(rc < 0 ? -rc : EIO));
	}
	if (rc == 0) {
		start_combo(r);
		return;
	}
	r->done += combos *
		   (r->c.reps +
		    (r->c.search ? r->c.search_reps * r->c.sc.max_trials : 0));
	r->mode_i++;
	r->st = RS_MODE;
}

void cp_cmp_run_feed_trial(struct cp_cmp_run *r, int rc,
			   const struct cp_cmp_sample *s, const char *err)
{
	const struct cp_cmp_trial_req *q = &r->pending.req;

	if (!r->waiting)
		return;
	r->waiting = false;
	r->done++;
	if (r->st == RS_MRR) {
		if (rc) {
			fail_cur(r, "MRR trial", rc, err);
			r->done += r->c.reps - r->rep - 1;
			return;
		}
		cp_cmp_metrics_of(&r->mrr[r->rep], s);
		r->lim[r->rep] = cp_cmp_limit_of(q->rate, s);
		r->rep++;
		return;
	}
	if (r->st == RS_SEARCH) {
		if (rc) {
			fail_cur(r, "search trial", rc, err);
			cp_cmp_search_fail(&r->search);
			return;
		}
		if (r->search.n_meas < CP_CMP_TRIALS_MAX)
			r->ss[r->search.n_meas] = *s;
		cp_cmp_search_feed(&r->search, q->rate, q->duration, s->tx,
				   s->rx);
	}
}

void cp_cmp_run_progress(const struct cp_cmp_run *r, unsigned int *done,
			 unsigned int *total, char *what, size_t whatlen)
{
	*done = r->done < r->total ? r->done : r->total;
	*total = r->total;
	if (!what || !whatlen)
		return;
	if (r->st == RS_DONE || r->mode_i >= r->c.nb_modes)
		snprintf(what, whatlen, "done");
	else if (r->st == RS_WAIT_MODE || r->st == RS_MODE)
		snprintf(what, whatlen, "switching to %s",
			 r->c.modes[r->mode_i].name);
	else
		snprintf(what, whatlen, "%s %uB %u flows: %s",
			 r->c.modes[r->mode_i].name,
			 cur((struct cp_cmp_run *)r)->frame,
			 cur((struct cp_cmp_run *)r)->flows,
			 r->st == RS_MRR ? "MRR" : "NDR/PDR search");
}

const struct cp_cmp_result *cp_cmp_run_results(const struct cp_cmp_run *r,
					       unsigned int *n)
{
	*n = r->n_res;
	return r->res;
}

const struct cp_cmp_conf *cp_cmp_run_conf(const struct cp_cmp_run *r)
{
	return &r->c;
}

int cp_compare_run(struct cp_cmp_run *r, const struct cp_cmp_driver *d,
		   FILE *log)
{
	struct cp_cmp_step st;
	struct cp_cmp_sample s;
	char err[CP_CMP_ERR_MAX], desc[CP_CMP_NAME_MAX];
	int rc;

	for (;;) {
		cp_cmp_run_next(r, &st);
		err[0] = desc[0] = '\0';
		switch (st.kind) {
		case CP_CMP_STEP_MODE:
			if (log)
				fprintf(log, "compare: mode %s\n",
					st.mode->name);
			rc = d->set_mode(d->ctx, st.mode, desc, sizeof(desc),
					 err, sizeof(err));
			if (rc && log)
				fprintf(log,
					"compare: mode %s unavailable: %s\n",
					st.mode->name, err);
			cp_cmp_run_feed_mode(r, rc, desc, err);
			break;
		case CP_CMP_STEP_TRIAL:
			memset(&s, 0, sizeof(s));
			s.lat_p50_ns = s.lat_p99_ns = NAN;
			rc = d->trial(d->ctx, &st.req, &s, err, sizeof(err));
			if (rc && log)
				fprintf(log, "compare: %s trial failed: %s\n",
					st.mode->name, err);
			cp_cmp_run_feed_trial(r, rc, &s, err);
			break;
		case CP_CMP_STEP_DONE:
		default:
			return 0;
		}
	}
}
