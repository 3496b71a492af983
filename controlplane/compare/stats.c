// SPDX-License-Identifier: MIT
/* Median and spread (min, max, quartiles by linear interpolation, as R's
 * type 7 and numpy's default) of a few repetitions. */
#include <math.h>
#include <stdlib.h>

#include "compare.h"

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y ? 1 : 0;
}

static double quantile(const double *v, unsigned int n, double q)
{
	double pos = q * (n - 1);
	unsigned int i = (unsigned int)pos;
	double frac = pos - i;

	if (i + 1 >= n)
		return v[n - 1];
	return v[i] + (v[i + 1] - v[i]) * frac;
}

void cp_cmp_stat_of(struct cp_cmp_stat *st, const double *v, unsigned int n)
{
	double w[CP_CMP_REPS_MAX];
	unsigned int k = 0;

	for (unsigned int i = 0; i < n && k < CP_CMP_REPS_MAX; i++)
		if (!isnan(v[i]))
			w[k++] = v[i];
	st->n = k;
	if (k == 0) {
		st->med = st->min = st->max = st->q1 = st->q3 = NAN;
		return;
	}
	qsort(w, k, sizeof(w[0]), cmp_double);
	st->min = w[0];
	st->max = w[k - 1];
	st->med = quantile(w, k, 0.5);
	st->q1 = quantile(w, k, 0.25);
	st->q3 = quantile(w, k, 0.75);
}
