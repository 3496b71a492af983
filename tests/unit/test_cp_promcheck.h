/* SPDX-License-Identifier: MIT */
/*
 * A checker for the Prometheus text exposition format (0.0.4), as strict as
 * the tests need: every line is a comment (# HELP / # TYPE), or a sample
 * `name{label="value",...} value` with a valid metric name, label names and
 * escaped values, and a float value; HELP and TYPE come once per family and
 * before its samples; a family's samples are contiguous; a histogram's
 * buckets are cumulative (monotone) with ascending le, end with +Inf, and
 * +Inf equals _count. Returns 0, or -1 with a message naming the line.
 * Header-only: the unit test and tests/integration/cp_promcheck.c use it.
 */
#ifndef TEST_CP_PROMCHECK_H
#define TEST_CP_PROMCHECK_H

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PC_MAX_FAMILIES 512

struct pc_state {
	char fam[PC_MAX_FAMILIES][128];
	char type[PC_MAX_FAMILIES][16];
	int help[PC_MAX_FAMILIES];
	int has_samples[PC_MAX_FAMILIES];
	int nfam;
	int cur; /* family of the previous sample */
	/* histogram being checked */
	double last_le, last_bucket, inf;
	int have_inf;
};

static int pc_name_ok(const char *s, size_t n)
{
	if (!n || !(isalpha((unsigned char)s[0]) || s[0] == '_' || s[0] == ':'))
		return 0;
	for (size_t i = 1; i < n; i++)
		if (!(isalnum((unsigned char)s[i]) || s[i] == '_' ||
		      s[i] == ':'))
			return 0;
	return 1;
}

static int pc_find(struct pc_state *st, const char *name)
{
	for (int i = 0; i < st->nfam; i++)
		if (!strcmp(st->fam[i], name))
			return i;
	return -1;
}

static int pc_add(struct pc_state *st, const char *name)
{
	int i = pc_find(st, name);

	if (i >= 0 || st->nfam == PC_MAX_FAMILIES)
		return i;
	snprintf(st->fam[st->nfam], sizeof(st->fam[0]), "%s", name);
	return st->nfam++;
}

static int pc_value(const char *s, double *v)
{
	char *end;

	if (!strcmp(s, "+Inf")) {
		*v = INFINITY;
		return 0;
	}
	if (!strcmp(s, "-Inf")) {
		*v = -INFINITY;
		return 0;
	}
	if (!strcmp(s, "NaN")) {
		*v = NAN;
		return 0;
	}
	*v = strtod(s, &end);
	return (*end || end == s) ? -1 : 0;
}

/* Family a sample name belongs to (histogram suffixes stripped when the
 * base is a declared histogram). */
static int pc_family_of(struct pc_state *st, const char *name, int *suffix)
{
	static const char *const sfx[] = {"_bucket", "_sum", "_count"};
	int i = pc_find(st, name);

	*suffix = -1;
	if (i >= 0)
		return i;
	for (int k = 0; k < 3; k++) {
		size_t n = strlen(name), l = strlen(sfx[k]);
		char base[128];

		if (n <= l || strcmp(name + n - l, sfx[k]) || n - l >= 128)
			continue;
		memcpy(base, name, n - l);
		base[n - l] = 0;
		i = pc_find(st, base);
		if (i >= 0 && !strcmp(st->type[i], "histogram")) {
			*suffix = k;
			return i;
		}
	}
	return -1;
}

static int pc_check(const char *text, char *msg, size_t msglen)
{
	struct pc_state *st = calloc(1, sizeof(*st));
	const char *p = text;
	int lineno = 0, ret = -1;

	if (!st)
		return -1;
	st->cur = -1;
	while (*p) {
		const char *nl = strchr(p, '\n');
		char line[4096];
		size_t n;

		lineno++;
		if (!nl) {
			snprintf(msg, msglen, "line %d: no final newline",
				 lineno);
			goto out;
		}
		n = (size_t)(nl - p);
		if (n >= sizeof(line)) {
			snprintf(msg, msglen, "line %d: too long", lineno);
			goto out;
		}
		memcpy(line, p, n);
		line[n] = 0;
		p = nl + 1;
		if (!n)
			continue;
		if (line[0] == '#') {
			char kw[8], name[128], rest[256];
			int f;

			if (sscanf(line, "# %7s %127s %255[^\n]", kw, name,
				   rest) < 3) {
				snprintf(msg, msglen, "line %d: bad comment",
					 lineno);
				goto out;
			}
			if (!pc_name_ok(name, strlen(name))) {
				snprintf(msg, msglen,
					 "line %d: bad metric name '%s'",
					 lineno, name);
				goto out;
			}
			f = pc_add(st, name);
			if (f < 0 || st->has_samples[f]) {
				snprintf(
					msg, msglen,
					"line %d: %s of '%s' after its samples",
					lineno, kw, name);
				goto out;
			}
			if (!strcmp(kw, "HELP")) {
				if (st->help[f]++) {
					snprintf(msg, msglen,
						 "line %d: second HELP",
						 lineno);
					goto out;
				}
			} else if (!strcmp(kw, "TYPE")) {
				if (st->type[f][0] ||
				    (strcmp(rest, "counter") &&
				     strcmp(rest, "gauge") &&
				     strcmp(rest, "histogram") &&
				     strcmp(rest, "summary") &&
				     strcmp(rest, "untyped"))) {
					snprintf(msg, msglen,
						 "line %d: bad or second TYPE",
						 lineno);
					goto out;
				}
				/* One of the five names above: it fits. */
				memcpy(st->type[f], rest, strlen(rest) + 1);
			}
			continue;
		}
		{
			char name[128], le[64] = "";
			const char *q = line;
			size_t nl_ = strcspn(q, "{ ");
			int f, suffix;
			double v;

			if (nl_ >= sizeof(name) || !pc_name_ok(q, nl_)) {
				snprintf(msg, msglen,
					 "line %d: bad sample name", lineno);
				goto out;
			}
			memcpy(name, q, nl_);
			name[nl_] = 0;
			q += nl_;
			if (*q == '{') {
				q++;
				while (*q != '}') {
					size_t ln = strcspn(q, "=");
					int is_le =
						ln == 2 && !strncmp(q, "le", 2);
					size_t k = 0;

					if (!pc_name_ok(q, ln) ||
					    q[ln] != '=' || q[ln + 1] != '"') {
						snprintf(msg, msglen,
							 "line %d: bad label",
							 lineno);
						goto out;
					}
					q += ln + 2;
					while (*q && *q != '"') {
						if (*q == '\\') {
							if (q[1] != '\\' &&
							    q[1] != '"' &&
							    q[1] != 'n')
								break;
							q++;
						}
						if (is_le && k < sizeof(le) - 1)
							le[k++] = *q;
						q++;
					}
					if (*q != '"') {
						snprintf(msg, msglen,
							 "line %d: bad label "
							 "value",
							 lineno);
						goto out;
					}
					q++;
					if (*q == ',')
						q++;
					else if (*q != '}') {
						snprintf(msg, msglen,
							 "line %d: bad label "
							 "list",
							 lineno);
						goto out;
					}
				}
				q++;
			}
			if (*q != ' ' || pc_value(q + 1, &v)) {
				snprintf(msg, msglen, "line %d: bad value",
					 lineno);
				goto out;
			}
			f = pc_family_of(st, name, &suffix);
			if (f < 0 || !st->type[f][0] || !st->help[f]) {
				snprintf(
					msg, msglen,
					"line %d: sample '%s' without HELP and "
					"TYPE before it",
					lineno, name);
				goto out;
			}
			if (f != st->cur && st->has_samples[f]) {
				snprintf(msg, msglen,
					 "line %d: samples of '%s' not "
					 "contiguous",
					 lineno, st->fam[f]);
				goto out;
			}
			if (f != st->cur) {
				st->last_le = -INFINITY;
				st->last_bucket = 0;
				st->have_inf = 0;
			}
			st->cur = f;
			st->has_samples[f] = 1;
			if (!strcmp(st->type[f], "counter") && v < 0) {
				snprintf(msg, msglen,
					 "line %d: negative counter", lineno);
				goto out;
			}
			if (suffix == 0) { /* _bucket */
				double lev;

				if (!le[0] || pc_value(le, &lev) ||
				    lev <= st->last_le || v < st->last_bucket) {
					snprintf(msg, msglen,
						 "line %d: histogram buckets "
						 "not ascending/cumulative",
						 lineno);
					goto out;
				}
				st->last_le = lev;
				st->last_bucket = v;
				if (isinf(lev)) {
					st->have_inf = 1;
					st->inf = v;
				}
			} else if (suffix == 2) { /* _count */
				if (!st->have_inf || st->inf != v) {
					snprintf(msg, msglen,
						 "line %d: _count differs from "
						 "the +Inf bucket",
						 lineno);
					goto out;
				}
			}
		}
	}
	ret = 0;
out:
	free(st);
	return ret;
}

#endif
