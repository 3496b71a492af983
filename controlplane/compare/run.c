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
	/* MRR: the samples as the driver gave them (limit_why is made from
	 * the representative one) */
	unsigned int rep;
	struct cp_cmp_sample msamp[CP_CMP_REPS_MAX];
	/* searches: every repetition's trials, so that the reported one
	 * (the median) can list its own */
	unsigned int srep;
	struct cp_cmp_search search;
	struct cp_cmp_sample ss[CP_CMP_TRIALS_MAX];
	struct cp_cmp_trial_rec srec[CP_CMP_REPS_MAX][CP_CMP_TRIALS_MAX];
	unsigned int n_srec[CP_CMP_REPS_MAX];
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
	if (!c->search) {
		/* MRR only: the search's floor and durations do not apply */
		if (!(c->sc.max_rate >= 1.0 && isfinite(c->sc.max_rate))) {
			snprintf(err, errlen,
				 "max rate must be finite and >= 1 pps");
			return -EINVAL;
		}
		return 0;
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
		x->forwarded_mpps = x->loss = x->dut_rx_mpps =
			x->cycles_per_pkt = x->syscalls_per_pkt = x->cpu_busy =
				x->lat_p50_us = x->lat_p99_us = x->offered_mpps;
		x->ndr = (struct cp_cmp_ndr){
			.mpps = NAN,
			.offered_mpps = NAN,
			.forwarded_mpps = NAN,
			.lower_mpps = NAN,
			.upper_mpps = NAN,
			.met_mpps = NAN,
			.cycles_per_pkt = NAN,
			.lat_p50_us = NAN,
			.lat_p99_us = NAN,
			.status = CP_CMP_ST_ERROR,
			.reps = x->offered_mpps,
			.limit = CP_CMP_LIM_UNKNOWN,
		};
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
	m->dut_rx_mpps = s->have_cycles ? s->dut_pkts / d / 1e6 : NAN;
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

static void pct(char *buf, size_t len, double v)
{
	if (isnan(v))
		snprintf(buf, len, "unknown");
	else
		snprintf(buf, len, "%.0f%%", 100 * v);
}

enum cp_cmp_limit cp_cmp_limit_explain(double rate,
				       const struct cp_cmp_sample *s, char *why,
				       size_t whylen)
{
	struct cp_cmp_metrics m;
	char nowhy[8], busy[16], gen[128] = "";
	uint64_t lost = s->tx > s->rx ? s->tx - s->rx : 0;
	uint64_t in, out, sent;
	double offered_pps = s->duration > 0 ? s->tx / s->duration : 0;
	bool short_gen = offered_pps < (1 - CP_CMP_GEN_TOL) * rate;
	bool hot;

	if (!why) {
		why = nowhy;
		whylen = sizeof(nowhy);
	}
	cp_cmp_metrics_of(&m, s);
	hot = !isnan(m.cpu_busy) && m.cpu_busy >= 0.9;
	pct(busy, sizeof(busy), m.cpu_busy);
	if (short_gen)
		snprintf(gen, sizeof(gen),
			 "; the generator offered %.3f of the %.3f Mpps asked",
			 offered_pps / 1e6, rate / 1e6);
	if (lost == 0) {
		char late[128] = "";

		if (s->rx > s->tx)
			snprintf(late, sizeof(late),
				 " (the sink got %lu more than offered: late "
				 "packets of an earlier trial)",
				 (unsigned long)(s->rx - s->tx));
		if (short_gen) {
			snprintf(why, whylen,
				 "no loss%s, DUT core busy %s%s: the DUT was "
				 "not loaded to its limit",
				 late, busy, gen);
			return CP_CMP_LIM_GENERATOR;
		}
		snprintf(why, whylen,
			 "no loss%s at %.3f Mpps offered, DUT core busy %s",
			 late, offered_pps / 1e6, busy);
		return CP_CMP_LIM_NONE;
	}
	if (!s->have_cycles) {
		/* no DUT packet count: the counters alone */
		if (s->have_drops && s->tx_full && s->tx_full * 2 >= lost) {
			snprintf(why, whylen,
				 "loss %.2f%%: %lu of %lu lost packets "
				 "dropped for a full TX ring (counter)%s",
				 100 * m.loss, (unsigned long)s->tx_full,
				 (unsigned long)lost, gen);
			return CP_CMP_LIM_TX_RING;
		}
		if (s->have_drops && s->ring_drops &&
		    s->ring_drops * 2 >= lost) {
			snprintf(why, whylen,
				 "loss %.2f%%: %lu of %lu lost packets "
				 "counted as RX ring/socket drops%s",
				 100 * m.loss, (unsigned long)s->ring_drops,
				 (unsigned long)lost, gen);
			return CP_CMP_LIM_RINGS;
		}
		snprintf(why, whylen,
			 "loss %.2f%%: undecidable, the backend reports "
			 "neither the packets its core handled nor a drop "
			 "counter that covers the loss%s",
			 100 * m.loss, gen);
		return CP_CMP_LIM_UNKNOWN;
	}
	/* Place the loss by the packet counts: before the DUT's core
	 * (offered - received) or after it (received - forwarded). */
	sent = s->have_dut_tx		  ? s->dut_tx
	       : s->dut_pkts > s->tx_full ? s->dut_pkts - s->tx_full
					  : 0;
	in = s->tx > s->dut_pkts ? s->tx - s->dut_pkts : 0;
	out = s->dut_pkts > s->rx ? s->dut_pkts - s->rx : 0;
	if (out > in) {
		uint64_t kept = s->dut_pkts > sent ? s->dut_pkts - sent : 0;

		if (s->tx_full * 2 >= out || kept * 2 >= out) {
			snprintf(why, whylen,
				 "loss %.2f%%: the DUT received %lu of %lu "
				 "offered and sent %lu, %lu dropped for a full "
				 "TX ring (counter)%s",
				 100 * m.loss, (unsigned long)s->dut_pkts,
				 (unsigned long)s->tx, (unsigned long)sent,
				 (unsigned long)s->tx_full, gen);
			return CP_CMP_LIM_TX_RING;
		}
		snprintf(why, whylen,
			 "loss %.2f%%: the DUT received %lu of %lu offered "
			 "and sent %lu%s, the sink got %lu: lost after the "
			 "DUT (sink side; placed by packet counts)%s",
			 100 * m.loss, (unsigned long)s->dut_pkts,
			 (unsigned long)s->tx, (unsigned long)sent,
			 s->have_dut_tx ? "" : " (received - tx_full)",
			 (unsigned long)s->rx, gen);
		return CP_CMP_LIM_SINK;
	}
	if (hot) {
		snprintf(why, whylen,
			 "loss %.2f%%: the DUT received %lu of %lu offered "
			 "with its core busy %s (TSC)%s",
			 100 * m.loss, (unsigned long)s->dut_pkts,
			 (unsigned long)s->tx, busy, gen);
		return CP_CMP_LIM_DUT_CORE;
	}
	if (s->have_drops && s->ring_drops && s->ring_drops * 2 >= in) {
		snprintf(why, whylen,
			 "loss %.2f%%: the DUT received %lu of %lu offered, "
			 "%lu counted as RX ring/socket drops, core busy "
			 "%s%s",
			 100 * m.loss, (unsigned long)s->dut_pkts,
			 (unsigned long)s->tx, (unsigned long)s->ring_drops,
			 busy, gen);
		return CP_CMP_LIM_RINGS;
	}
	snprintf(why, whylen,
		 "loss %.2f%%: the DUT received %lu of %lu offered with its "
		 "core busy only %s of the time: the rest was lost on the way "
		 "in (link backlog, RX ring or socket buffer) while its worker "
		 "idled or was preempted (the TSC cannot tell which; inferred "
		 "from packet counts, no drop counter covers it)%s",
		 100 * m.loss, (unsigned long)s->dut_pkts, (unsigned long)s->tx,
		 busy, gen);
	return CP_CMP_LIM_RINGS;
}

enum cp_cmp_limit cp_cmp_limit_of(double rate, const struct cp_cmp_sample *s)
{
	return cp_cmp_limit_explain(rate, s, NULL, 0);
}

/* DPDK drivers whose RX/TX bursts make system calls DPDK does not count:
 * their syscalls/packet is not known; every other PMD polls in user space
 * (0 by construction). */
static const char *const dpdk_syscall_pmds[] = {"net_af_packet", "net_af_xdp",
						"net_tap", "net_pcap", NULL};

/* 1: the DPDK driver in desc ("dpdk/<driver> ...", as the ctl driver
 * describes a port) makes no syscalls; 0: it does or desc does not say. */
static bool dpdk_syscall_free(const struct cp_cmp_result *x)
{
	const char *d = x->mode_desc;
	size_t n;

	if (strcmp(x->mode.backend, "dpdk") || strncmp(d, "dpdk/", 5))
		return false;
	d += 5;
	n = strcspn(d, " ,/");
	if (n == 0)
		return false;
	for (int i = 0; dpdk_syscall_pmds[i]; i++)
		if (strlen(dpdk_syscall_pmds[i]) == n &&
		    !strncmp(d, dpdk_syscall_pmds[i], n))
			return false;
	return true;
}

static void record_of(struct cp_cmp_trial_rec *t, const struct cp_cmp_result *x,
		      const struct cp_cmp_trial_req *q,
		      const struct cp_cmp_sample *s)
{
	struct cp_cmp_sample z = *s;

	if (!z.have_syscalls && dpdk_syscall_free(x)) {
		z.have_syscalls = true;
		z.syscalls = 0;
	}
	*t = (struct cp_cmp_trial_rec){
		.rate = q->rate,
		.duration = q->duration,
		.meas_s = s->duration,
		.tx = s->tx,
		.rx = s->rx,
		.dut_pkts = s->dut_pkts,
		.dut_tx = s->dut_tx,
		.ring_drops = s->ring_drops,
		.tx_full = s->tx_full,
		.syscalls = z.syscalls,
		.have_dut_pkts = s->have_cycles,
		.have_dut_tx = s->have_dut_tx,
		.have_drops = s->have_drops,
	};
	cp_cmp_metrics_of(&t->m, &z);
	t->limit = cp_cmp_limit_explain(q->rate, s, NULL, 0);
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
	double worst[CP_CMP_LIM__COUNT];
	unsigned int pick = 0;
	bool picked = false;

#define STAT(field)                                                            \
	do {                                                                   \
		for (unsigned int i = 0; i < n; i++)                           \
			v[i] = x->mrr_trials[i].m.field;                       \
		cp_cmp_stat_of(&x->field, v, n);                               \
	} while (0)
	STAT(offered_mpps);
	STAT(forwarded_mpps);
	STAT(loss);
	STAT(dut_rx_mpps);
	STAT(cycles_per_pkt);
	STAT(syscalls_per_pkt);
	STAT(cpu_busy);
	STAT(lat_p50_us);
	STAT(lat_p99_us);
#undef STAT
	x->reps = n;
	/* the limit most repetitions name; a tie goes to the one whose
	 * repetition lost the most (never "no loss" beside a lossy one) */
	for (unsigned int l = 0; l < CP_CMP_LIM__COUNT; l++)
		worst[l] = -1;
	for (unsigned int i = 0; i < n; i++) {
		const struct cp_cmp_trial_rec *t = &x->mrr_trials[i];
		double loss = isnan(t->m.loss) ? 0 : t->m.loss;

		votes[t->limit]++;
		if (loss > worst[t->limit])
			worst[t->limit] = loss;
	}
	for (unsigned int l = 0; l < CP_CMP_LIM__COUNT; l++)
		if (votes[l] > votes[best] ||
		    (votes[l] == votes[best] && worst[l] > worst[best]))
			best = l;
	x->limit = best;
	/* the why of the repetition with that limit nearest the median */
	for (unsigned int i = 0; i < n; i++) {
		double d = fabs(x->mrr_trials[i].m.forwarded_mpps -
				x->forwarded_mpps.med);

		if (x->mrr_trials[i].limit != x->limit)
			continue;
		if (!picked || d < fabs(x->mrr_trials[pick].m.forwarded_mpps -
					x->forwarded_mpps.med))
			pick = i;
		picked = true;
	}
	if (n)
		cp_cmp_limit_explain(x->mrr_trials[pick].rate, &r->msamp[pick],
				     x->limit_why, sizeof(x->limit_why));
}

/* Why the search could not go above the bound: the upper-bound trial. */
static void search_limit(struct cp_cmp_run *r, const struct cp_cmp_bound *b,
			 struct cp_cmp_ndr *nd)
{
	if (b->status == CP_CMP_ST_AT_MAX) {
		nd->limit = CP_CMP_LIM_SEARCH_MAX;
		snprintf(nd->limit_why, sizeof(nd->limit_why),
			 "%.3f Mpps, the search's maximum, passed: the DUT's "
			 "limit is higher",
			 r->c.sc.max_rate / 1e6);
		return;
	}
	if (b->ub_meas < 0 || b->ub_meas >= CP_CMP_TRIALS_MAX) {
		nd->limit = CP_CMP_LIM_NONE;
		snprintf(nd->limit_why, sizeof(nd->limit_why),
			 "no trial failed (%s)", cp_cmp_status_name(b->status));
		return;
	}
	nd->limit = cp_cmp_limit_explain(r->search.meas[b->ub_meas].rate,
					 &r->ss[b->ub_meas], nd->limit_why,
					 sizeof(nd->limit_why));
}

static void record_search(struct cp_cmp_run *r)
{
	for (int t = 0; t < CP_CMP_TARGETS; t++) {
		const struct cp_cmp_bound *b = &r->search.res[t];
		struct cp_cmp_ndr *nd = &r->nd[t][r->srep];
		struct cp_cmp_metrics m = {NAN, NAN, NAN, NAN, NAN,
					   NAN, NAN, NAN, NAN};

		double met = 0;

		if (b->lb_meas >= 0)
			m = r->srec[r->srep][b->lb_meas].m;
		for (unsigned int i = 0; i < r->n_srec[r->srep]; i++) {
			const struct cp_cmp_trial_rec *tr =
				&r->srec[r->srep][i];
			double tol = t == CP_CMP_NDR ? r->c.sc.ndr_loss
						     : r->c.sc.pdr_loss;

			if (tr->tx && tr->rx <= tr->tx &&
			    tr->m.loss <= tol + 1e-12 &&
			    tr->m.offered_mpps > met)
				met = tr->m.offered_mpps;
		}
		*nd = (struct cp_cmp_ndr){
			.mpps = b->rate / 1e6,
			.offered_mpps = m.offered_mpps,
			.forwarded_mpps = m.forwarded_mpps,
			.lower_mpps = b->lower / 1e6,
			.upper_mpps = b->upper / 1e6,
			.met_mpps = met,
			.cycles_per_pkt = m.cycles_per_pkt,
			.lat_p50_us = m.lat_p50_us,
			.lat_p99_us = m.lat_p99_us,
			.trials = r->search.n_meas,
			.status = b->status,
		};
		search_limit(r, b, nd);
	}
	r->search_trials += r->search.n_meas;
}

/* Per target: the bound is the median over the search repetitions (per
 * repetition NDR <= PDR, so their medians keep the order), the trial
 * details (offered, forwarded, cycles, latency, bounds, status, limit) come
 * from the repetition nearest that median, and reps holds the spread.
 * results.json lists the trials of NDR's repetition. */
static void summarise_search(struct cp_cmp_run *r)
{
	struct cp_cmp_result *x = cur(r);
	unsigned int n = r->srep, pick[CP_CMP_TARGETS] = {0};
	double v[CP_CMP_REPS_MAX];

	if (n == 0)
		return;
	for (int t = 0; t < CP_CMP_TARGETS; t++) {
		struct cp_cmp_ndr *out = t == CP_CMP_NDR ? &x->ndr : &x->pdr;
		struct cp_cmp_stat st;

		for (unsigned int i = 0; i < n; i++)
			v[i] = r->nd[t][i].mpps;
		cp_cmp_stat_of(&st, v, n);
		for (unsigned int i = 1; i < n; i++)
			if (fabs(v[i] - st.med) < fabs(v[pick[t]] - st.med))
				pick[t] = i;
		*out = r->nd[t][pick[t]];
		out->mpps = st.med;
		out->reps = st;
	}
	x->n_search_trials = r->n_srec[pick[CP_CMP_NDR]];
	memcpy(x->search_trials, r->srec[pick[CP_CMP_NDR]],
	       x->n_search_trials * sizeof(x->search_trials[0]));
	x->searched = true;
}

static void describe_method(struct cp_cmp_run *r)
{
	struct cp_cmp_result *x = cur(r);
	const struct cp_cmp_search_conf *sc = &r->c.sc;
	size_t len, cap = sizeof(x->method);

	len = (size_t)snprintf(x->method, cap,
			       "MRR: median of %u x %.2f s at %.3f Mpps",
			       x->reps, r->c.trial_s, sc->max_rate / 1e6);
	if (r->c.search && len < cap)
		len += (size_t)snprintf(
			x->method + len, cap - len,
			"; NDR/PDR: MLRsearch-like bisection x%u (median "
			"reported), %u phases %.2f-%.2f s, goal %.2f%% width, "
			"loss <= %g/%g, %u trials (max %u/search), "
			"%.3f-%.3f Mpps, a generator short by > %.0f%% fails "
			"the trial (asked again up to %d times first)",
			r->srep, r->search.n_phases, sc->initial_trial_s,
			sc->trial_s, 100 * sc->precision, sc->ndr_loss,
			sc->pdr_loss, r->search_trials, sc->max_trials,
			sc->min_rate / 1e6, sc->max_rate / 1e6,
			100 * CP_CMP_GEN_TOL, CP_CMP_GEN_RETRIES);
	if (len < cap)
		len += (size_t)snprintf(
			x->method + len, cap - len,
			"; limit: loss placed before/after the DUT by packet "
			"counts (offered, DUT rx/tx, sink), then drop counters "
			"and DUT busy (TSC)");
	if (len < cap && !strcmp(x->mode.backend, "dpdk") &&
	    isnan(x->syscalls_per_pkt.med))
		snprintf(x->method + len, cap - len,
			 "; syscalls: not counted (%s: its PMD calls the "
			 "kernel per burst, DPDK has no counter)",
			 x->mode_desc[0] ? x->mode_desc : "driver unknown");
}

static void start_combo(struct cp_cmp_run *r)
{
	r->rep = 0;
	r->srep = 0;
	r->search_trials = 0;
	memset(r->n_srec, 0, sizeof(r->n_srec));
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
		r->msamp[r->rep] = *s;
		record_of(&cur(r)->mrr_trials[r->rep], cur(r), q, s);
		r->rep++;
		return;
	}
	if (r->st == RS_SEARCH) {
		unsigned int i = r->search.n_meas;
		double tx = (double)s->tx, rx = (double)s->rx;

		if (rc) {
			fail_cur(r, "search trial", rc, err);
			cp_cmp_search_fail(&r->search);
			return;
		}
		if (i < CP_CMP_TRIALS_MAX) {
			r->ss[i] = *s;
			record_of(&r->srec[r->srep][i], cur(r), q, s);
			r->n_srec[r->srep] = i + 1;
		}
		/* A driver that sends a fixed count and lets the trial
		 * stretch (exec.c) measured a longer duration: scale to the
		 * one asked, so that the search sees the rate fall short. */
		if (s->duration > q->duration * (1 + 1e-6)) {
			tx *= q->duration / s->duration;
			rx *= q->duration / s->duration;
		}
		cp_cmp_search_feed(&r->search, q->rate, q->duration,
				   (uint64_t)llround(tx),
				   (uint64_t)llround(rx));
		if (i < CP_CMP_TRIALS_MAX && i < r->search.n_meas)
			r->srec[r->srep][i].repeated =
				r->search.meas[i].invalid;
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
