// SPDX-License-Identifier: MIT
/*
 * results.json: the whole comparison (machine, configuration, one object per
 * mode x frame x flows) written with jansson, and read back by the same
 * field list so that the CLI can render what the daemon replied and tests
 * can check a round trip. NAN (not measured) is null.
 */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare.h"
#include "config.h"

#define JSON_FORMAT 1

/* The stat fields of a result, one list for writer and reader. */
#define CP_CMP_FOREACH_STAT(_)                                                 \
	_(offered_mpps)                                                        \
	_(forwarded_mpps)                                                      \
	_(loss)                                                                \
	_(dut_rx_mpps)                                                         \
	_(cycles_per_pkt)                                                      \
	_(syscalls_per_pkt)                                                    \
	_(cpu_busy)                                                            \
	_(lat_p50_us)                                                          \
	_(lat_p99_us)

#define CP_CMP_FOREACH_NDR_NUM(_)                                              \
	_(mpps)                                                                \
	_(offered_mpps)                                                        \
	_(forwarded_mpps)                                                      \
	_(lower_mpps)                                                          \
	_(upper_mpps)                                                          \
	_(met_mpps)                                                            \
	_(cycles_per_pkt)                                                      \
	_(lat_p50_us)                                                          \
	_(lat_p99_us)

/* The per-trial metrics, one list for writer and reader: a trial has a
 * value of each stat a result gives a median of. */
#define CP_CMP_FOREACH_TRIAL_NUM CP_CMP_FOREACH_STAT

static json_t *num(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static json_t *count(uint64_t v, bool have)
{
	return have ? json_integer((json_int_t)v) : json_null();
}

/* One trial: what was asked, the raw counters (null: the backend does not
 * report it), the metrics made from them and the limit they name. */
static json_t *trial_json(const struct cp_cmp_trial_rec *t)
{
	json_t *o = json_object();

	json_object_set_new(o, "rate_mpps", num(t->rate / 1e6));
	json_object_set_new(o, "duration_s", num(t->duration));
	json_object_set_new(o, "measured_s", num(t->meas_s));
	json_object_set_new(o, "tx", count(t->tx, true));
	json_object_set_new(o, "rx", count(t->rx, true));
	json_object_set_new(o, "dut_rx", count(t->dut_pkts, t->have_dut_pkts));
	json_object_set_new(o, "dut_tx", count(t->dut_tx, t->have_dut_tx));
	json_object_set_new(o, "ring_drops",
			    count(t->ring_drops, t->have_drops));
	json_object_set_new(o, "tx_full", count(t->tx_full, true));
	json_object_set_new(o, "syscalls",
			    count(t->syscalls, !isnan(t->m.syscalls_per_pkt)));
#define TRIAL_SET(f) json_object_set_new(o, #f, num(t->m.f));
	CP_CMP_FOREACH_TRIAL_NUM(TRIAL_SET)
#undef TRIAL_SET
	json_object_set_new(o, "limit",
			    json_string(cp_cmp_limit_name(t->limit)));
	json_object_set_new(o, "repeated", json_boolean(t->repeated));
	return o;
}

static json_t *trials_json(const struct cp_cmp_trial_rec *t, unsigned int n)
{
	json_t *a = json_array();

	for (unsigned int i = 0; i < n; i++)
		json_array_append_new(a, trial_json(&t[i]));
	return a;
}

static json_t *stat_json(const struct cp_cmp_stat *s)
{
	return json_pack("{s:o,s:o,s:o,s:o,s:o,s:i}", "median", num(s->med),
			 "min", num(s->min), "max", num(s->max), "q1",
			 num(s->q1), "q3", num(s->q3), "n", (int)s->n);
}

static json_t *ndr_json(const struct cp_cmp_ndr *nd)
{
	json_t *o = json_object();

#define NDR_SET(f) json_object_set_new(o, #f, num(nd->f));
	CP_CMP_FOREACH_NDR_NUM(NDR_SET)
#undef NDR_SET
	json_object_set_new(o, "trials", json_integer(nd->trials));
	json_object_set_new(o, "status",
			    json_string(cp_cmp_status_name(nd->status)));
	json_object_set_new(o, "reps", stat_json(&nd->reps));
	json_object_set_new(o, "limit",
			    json_string(cp_cmp_limit_name(nd->limit)));
	json_object_set_new(o, "limit_why", json_string(nd->limit_why));
	return o;
}

static json_t *result_json(const struct cp_cmp_result *x)
{
	json_t *o = json_object(), *mrr;

	json_object_set_new(o, "mode", json_string(x->mode.name));
	json_object_set_new(o, "backend", json_string(x->mode.backend));
	json_object_set_new(o, "dev", json_string(x->mode.dev));
	json_object_set_new(o, "io_model", json_string(x->mode.io_model));
	json_object_set_new(o, "xdp_skb", json_boolean(x->mode.xdp_skb));
	json_object_set_new(o, "zerocopy", json_boolean(x->mode.zerocopy));
	json_object_set_new(o, "mode_desc", json_string(x->mode_desc));
	json_object_set_new(o, "frame", json_integer(x->frame));
	json_object_set_new(o, "flows", json_integer(x->flows));
	json_object_set_new(o, "ok", json_boolean(x->ok));
	json_object_set_new(o, "error", json_string(x->error));
	json_object_set_new(o, "reps", json_integer(x->reps));
	mrr = json_object();
#define STAT_SET(f) json_object_set_new(mrr, #f, stat_json(&x->f));
	CP_CMP_FOREACH_STAT(STAT_SET)
#undef STAT_SET
	json_object_set_new(o, "mrr", mrr);
	json_object_set_new(o, "searched", json_boolean(x->searched));
	json_object_set_new(o, "ndr", ndr_json(&x->ndr));
	json_object_set_new(o, "pdr", ndr_json(&x->pdr));
	json_object_set_new(o, "limit",
			    json_string(cp_cmp_limit_name(x->limit)));
	json_object_set_new(o, "limit_why", json_string(x->limit_why));
	json_object_set_new(o, "method", json_string(x->method));
	json_object_set_new(
		o, "mrr_trials",
		trials_json(x->mrr_trials, x->reps < CP_CMP_REPS_MAX
						   ? x->reps
						   : CP_CMP_REPS_MAX));
	json_object_set_new(o, "search_trials",
			    trials_json(x->search_trials,
					x->searched ? x->n_search_trials : 0));
	return o;
}

static json_t *doc_json(const struct cp_cmp_conf *c,
			const struct cp_cmp_machine *m,
			const struct cp_cmp_result *res, unsigned int n)
{
	json_t *doc = json_object(), *arr = json_array(), *conf, *a;

	json_object_set_new(doc, "format", json_integer(JSON_FORMAT));
	json_object_set_new(doc, "tool", json_string("linerate compare"));
	json_object_set_new(doc, "version", json_string(LR_VERSION));
	if (m)
		json_object_set_new(
			doc, "machine",
			json_pack("{s:s,s:i,s:o,s:s,s:b,s:s,s:[o,o,o]}", "cpu",
				  m->cpu, "cores", (int)m->cores, "mhz",
				  num(m->mhz), "kernel", m->kernel,
				  "virtualised", m->virtualised, "hypervisor",
				  m->hypervisor, "loadavg",
				  num(m->load[0] >= 0 ? m->load[0] : NAN),
				  num(m->load[1] >= 0 ? m->load[1] : NAN),
				  num(m->load[2] >= 0 ? m->load[2] : NAN)));
	if (c) {
		conf = json_object();
		a = json_array();
		for (unsigned int i = 0; i < c->nb_modes; i++)
			json_array_append_new(a, json_string(c->modes[i].name));
		json_object_set_new(conf, "modes", a);
		a = json_array();
		for (unsigned int i = 0; i < c->nb_frames; i++)
			json_array_append_new(a, json_integer(c->frames[i]));
		json_object_set_new(conf, "frames", a);
		a = json_array();
		for (unsigned int i = 0; i < c->nb_flows; i++)
			json_array_append_new(a, json_integer(c->flows[i]));
		json_object_set_new(conf, "flows", a);
		json_object_set_new(conf, "reps", json_integer(c->reps));
		json_object_set_new(conf, "trial_s", num(c->trial_s));
		json_object_set_new(conf, "search", json_boolean(c->search));
		json_object_set_new(conf, "search_reps",
				    json_integer(c->search_reps));
		json_object_set_new(
			conf, "search_conf",
			json_pack("{s:o,s:o,s:o,s:o,s:o,s:i,s:o,s:o}",
				  "min_mpps", num(c->sc.min_rate / 1e6),
				  "max_mpps", num(c->sc.max_rate / 1e6),
				  "precision", num(c->sc.precision), "trial_s",
				  num(c->sc.trial_s), "initial_trial_s",
				  num(c->sc.initial_trial_s), "max_trials",
				  (int)c->sc.max_trials, "ndr_loss",
				  num(c->sc.ndr_loss), "pdr_loss",
				  num(c->sc.pdr_loss)));
		json_object_set_new(doc, "config", conf);
	}
	for (unsigned int i = 0; i < n; i++)
		json_array_append_new(arr, result_json(&res[i]));
	json_object_set_new(doc, "results", arr);
	return doc;
}

char *cp_cmp_json_dump(const struct cp_cmp_conf *c,
		       const struct cp_cmp_machine *m,
		       const struct cp_cmp_result *res, unsigned int n)
{
	json_t *doc = doc_json(c, m, res, n);
	char *s = json_dumps(doc, JSON_INDENT(1) | JSON_REAL_PRECISION(10));

	json_decref(doc);
	return s;
}

int cp_cmp_json_write(const char *path, const struct cp_cmp_conf *c,
		      const struct cp_cmp_machine *m,
		      const struct cp_cmp_result *res, unsigned int n)
{
	char *s = cp_cmp_json_dump(c, m, res, n);
	FILE *f;
	int rc = 0;

	if (!s)
		return -ENOMEM;
	f = fopen(path, "w");
	if (!f) {
		rc = -errno;
		goto out;
	}
	if (fputs(s, f) < 0 || fputc('\n', f) < 0)
		rc = -EIO;
	if (fclose(f) && !rc)
		rc = -errno;
out:
	free(s);
	return rc;
}

/* ---- reader ---- */

static double get_num(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_number(v) ? json_number_value(v) : NAN;
}

static void get_str(json_t *o, const char *k, char *dst, size_t len)
{
	const char *s = json_string_value(json_object_get(o, k));

	snprintf(dst, len, "%s", s ? s : "");
}

static void get_stat(json_t *o, const char *k, struct cp_cmp_stat *s)
{
	json_t *v = json_object_get(o, k);
	double nv;

	s->med = get_num(v, "median");
	s->min = get_num(v, "min");
	s->max = get_num(v, "max");
	s->q1 = get_num(v, "q1");
	s->q3 = get_num(v, "q3");
	nv = get_num(v, "n");
	s->n = nv >= 0 && nv <= CP_CMP_REPS_MAX ? (unsigned int)nv : 0;
}

static uint64_t get_count(json_t *o, const char *k, bool *have)
{
	json_t *v = json_object_get(o, k);

	if (have)
		*have = json_is_integer(v);
	return json_is_integer(v) && json_integer_value(v) > 0
		       ? (uint64_t)json_integer_value(v)
		       : 0;
}

static int get_limit(json_t *o, const char *k, enum cp_cmp_limit *l,
		     bool optional)
{
	const char *s = json_string_value(json_object_get(o, k));
	int v;

	if (!s && optional) {
		*l = CP_CMP_LIM_UNKNOWN;
		return 0;
	}
	v = cp_cmp_limit_parse(s ? s : "");
	if (v < 0)
		return -EINVAL;
	*l = v;
	return 0;
}

static int get_trials(json_t *o, const char *k, struct cp_cmp_trial_rec *t,
		      unsigned int max, unsigned int *n)
{
	json_t *a = json_object_get(o, k), *e;
	size_t i;

	*n = 0;
	if (!a)
		return 0; /* older documents */
	if (!json_is_array(a) || json_array_size(a) > max)
		return -EINVAL;
	json_array_foreach(a, i, e)
	{
		struct cp_cmp_trial_rec *x = &t[i];

		if (!json_is_object(e))
			return -EINVAL;
		memset(x, 0, sizeof(*x));
		x->rate = get_num(e, "rate_mpps") * 1e6;
		x->duration = get_num(e, "duration_s");
		x->meas_s = get_num(e, "measured_s");
		x->tx = get_count(e, "tx", NULL);
		x->rx = get_count(e, "rx", NULL);
		x->dut_pkts = get_count(e, "dut_rx", &x->have_dut_pkts);
		x->dut_tx = get_count(e, "dut_tx", &x->have_dut_tx);
		x->ring_drops = get_count(e, "ring_drops", &x->have_drops);
		x->tx_full = get_count(e, "tx_full", NULL);
		x->syscalls = get_count(e, "syscalls", NULL);
#define TRIAL_GET(f) x->m.f = get_num(e, #f);
		CP_CMP_FOREACH_TRIAL_NUM(TRIAL_GET)
#undef TRIAL_GET
		if (get_limit(e, "limit", &x->limit, false))
			return -EINVAL;
		x->repeated = json_is_true(json_object_get(e, "repeated"));
	}
	*n = (unsigned int)json_array_size(a);
	return 0;
}

static int get_ndr(json_t *o, const char *k, struct cp_cmp_ndr *nd)
{
	json_t *v = json_object_get(o, k);
	const char *st;
	double t;

	if (!json_is_object(v))
		return -EINVAL;
#define NDR_GET(f) nd->f = get_num(v, #f);
	CP_CMP_FOREACH_NDR_NUM(NDR_GET)
#undef NDR_GET
	t = get_num(v, "trials");
	nd->trials = t >= 0 && t <= 1e6 ? (unsigned int)t : 0;
	st = json_string_value(json_object_get(v, "status"));
	nd->status = CP_CMP_ST_ERROR;
	for (int i = 0; st && i <= CP_CMP_ST_ERROR; i++)
		if (!strcmp(st, cp_cmp_status_name(i)))
			nd->status = i;
	get_stat(v, "reps", &nd->reps);
	get_str(v, "limit_why", nd->limit_why, sizeof(nd->limit_why));
	return get_limit(v, "limit", &nd->limit, true);
}

static int result_parse(json_t *o, struct cp_cmp_result *x, char *err,
			size_t errlen, unsigned int idx)
{
	json_t *mrr = json_object_get(o, "mrr");
	char lim[32];
	unsigned int nt;
	double v;
	int l;

	memset(x, 0, sizeof(*x));
	if (!json_is_object(o) || !json_is_string(json_object_get(o, "mode")) ||
	    !json_is_object(mrr)) {
		snprintf(err, errlen, "results[%u]: not a result object", idx);
		return -EINVAL;
	}
	get_str(o, "mode", x->mode.name, sizeof(x->mode.name));
	get_str(o, "backend", x->mode.backend, sizeof(x->mode.backend));
	get_str(o, "dev", x->mode.dev, sizeof(x->mode.dev));
	get_str(o, "io_model", x->mode.io_model, sizeof(x->mode.io_model));
	x->mode.xdp_skb = json_is_true(json_object_get(o, "xdp_skb"));
	x->mode.zerocopy = json_is_true(json_object_get(o, "zerocopy"));
	get_str(o, "mode_desc", x->mode_desc, sizeof(x->mode_desc));
	v = get_num(o, "frame");
	if (!(v >= 0 && v <= 65535)) {
		snprintf(err, errlen, "results[%u]: bad frame", idx);
		return -EINVAL;
	}
	x->frame = (uint16_t)v;
	v = get_num(o, "flows");
	if (!(v >= 0 && v <= 4294967295.0)) {
		snprintf(err, errlen, "results[%u]: bad flows", idx);
		return -EINVAL;
	}
	x->flows = (uint32_t)v;
	x->ok = json_is_true(json_object_get(o, "ok"));
	get_str(o, "error", x->error, sizeof(x->error));
	v = get_num(o, "reps");
	x->reps = v >= 0 && v <= CP_CMP_REPS_MAX ? (unsigned int)v : 0;
#define STAT_GET(f) get_stat(mrr, #f, &x->f);
	CP_CMP_FOREACH_STAT(STAT_GET)
#undef STAT_GET
	x->searched = json_is_true(json_object_get(o, "searched"));
	if (get_ndr(o, "ndr", &x->ndr) || get_ndr(o, "pdr", &x->pdr)) {
		snprintf(err, errlen, "results[%u]: ndr/pdr missing or bad",
			 idx);
		return -EINVAL;
	}
	get_str(o, "limit", lim, sizeof(lim));
	l = cp_cmp_limit_parse(lim);
	if (l < 0) {
		snprintf(err, errlen, "results[%u]: unknown limit '%s'", idx,
			 lim);
		return -EINVAL;
	}
	x->limit = l;
	get_str(o, "limit_why", x->limit_why, sizeof(x->limit_why));
	get_str(o, "method", x->method, sizeof(x->method));
	if (get_trials(o, "mrr_trials", x->mrr_trials, CP_CMP_REPS_MAX, &nt) ||
	    get_trials(o, "search_trials", x->search_trials, CP_CMP_TRIALS_MAX,
		       &x->n_search_trials)) {
		snprintf(err, errlen, "results[%u]: bad trials list", idx);
		return -EINVAL;
	}
	return 0;
}

int cp_cmp_json_parse(const char *text, struct cp_cmp_result **res,
		      unsigned int *n, struct cp_cmp_machine *m, char *err,
		      size_t errlen)
{
	json_error_t je;
	json_t *doc = json_loads(text, 0, &je), *arr, *mach;
	struct cp_cmp_result *out = NULL;
	size_t cnt;
	int rc = -EINVAL;

	*res = NULL;
	*n = 0;
	if (!doc) {
		snprintf(err, errlen, "json: line %d column %d: %s", je.line,
			 je.column, je.text);
		return -EINVAL;
	}
	if (get_num(doc, "format") != JSON_FORMAT) {
		snprintf(err, errlen,
			 "json: not a linerate compare document "
			 "(format %d)",
			 JSON_FORMAT);
		goto out;
	}
	arr = json_object_get(doc, "results");
	if (!json_is_array(arr)) {
		snprintf(err, errlen, "json: 'results' is not an array");
		goto out;
	}
	cnt = json_array_size(arr);
	out = calloc(cnt ? cnt : 1, sizeof(*out));
	if (!out) {
		rc = -ENOMEM;
		snprintf(err, errlen, "json: %s", strerror(ENOMEM));
		goto out;
	}
	for (size_t i = 0; i < cnt; i++) {
		rc = result_parse(json_array_get(arr, i), &out[i], err, errlen,
				  (unsigned int)i);
		if (rc)
			goto out;
	}
	mach = json_object_get(doc, "machine");
	if (m) {
		memset(m, 0, sizeof(*m));
		if (json_is_object(mach)) {
			get_str(mach, "cpu", m->cpu, sizeof(m->cpu));
			get_str(mach, "kernel", m->kernel, sizeof(m->kernel));
			get_str(mach, "hypervisor", m->hypervisor,
				sizeof(m->hypervisor));
			m->mhz = get_num(mach, "mhz");
			m->cores = (unsigned int)json_integer_value(
				json_object_get(mach, "cores"));
			m->virtualised = json_is_true(
				json_object_get(mach, "virtualised"));
			for (int k = 0; k < 3; k++) {
				json_t *l = json_array_get(
					json_object_get(mach, "loadavg"), k);

				m->load[k] = json_is_number(l)
						     ? json_number_value(l)
						     : -1;
			}
		}
	}
	*res = out;
	*n = (unsigned int)cnt;
	out = NULL;
	rc = 0;
out:
	free(out);
	json_decref(doc);
	return rc;
}
