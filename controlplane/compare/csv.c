// SPDX-License-Identifier: MIT
/*
 * results.csv: one row per mode x frame x flows, the medians with their
 * spread, NDR/PDR, what limited the result and how it was measured. Numbers
 * in plain %.6g, empty when not measured; text fields quoted RFC 4180 style
 * when they hold a comma, quote or newline. scripts/plot-compare.gp reads
 * the columns by name.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "compare.h"

const char cp_cmp_csv_header[] =
	"mode,backend,io_model,dev,frame,flows,ok,reps,"
	"offered_mpps,offered_min,offered_max,"
	"forwarded_mpps,forwarded_min,forwarded_max,forwarded_q1,forwarded_q3,"
	"loss,loss_max,"
	"cycles_per_pkt,cycles_min,cycles_max,"
	"syscalls_per_pkt,cpu_busy,lat_p50_us,lat_p99_us,"
	"ndr_mpps,ndr_lower,ndr_upper,ndr_status,ndr_trials,"
	"ndr_cycles_per_pkt,"
	"pdr_mpps,pdr_lower,pdr_upper,pdr_status,pdr_trials,"
	"limit,limit_why,method,error";

static void put_num(FILE *f, double v)
{
	fputc(',', f);
	if (isfinite(v))
		fprintf(f, "%.6g", v);
}

static void put_str(FILE *f, const char *s, bool first)
{
	if (!first)
		fputc(',', f);
	if (!strpbrk(s, ",\"\n\r")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void put_ndr(FILE *f, const struct cp_cmp_result *x,
		    const struct cp_cmp_ndr *nd)
{
	bool have = x->ok && x->searched;

	put_num(f, have ? nd->mpps : NAN);
	put_num(f, have ? nd->lower_mpps : NAN);
	put_num(f, have ? nd->upper_mpps : NAN);
	put_str(f, have ? cp_cmp_status_name(nd->status) : "", false);
	fprintf(f, ",%u", have ? nd->trials : 0);
}

int cp_cmp_csv_write(const char *path, const struct cp_cmp_result *res,
		     unsigned int n)
{
	FILE *f = fopen(path, "w");
	int rc = 0;

	if (!f)
		return -errno;
	fprintf(f, "%s\n", cp_cmp_csv_header);
	for (unsigned int i = 0; i < n; i++) {
		const struct cp_cmp_result *x = &res[i];

		put_str(f, x->mode.name, true);
		put_str(f, x->mode.backend, false);
		put_str(f, x->mode.io_model, false);
		put_str(f, x->mode.dev, false);
		fprintf(f, ",%u,%u,%d,%u", x->frame, x->flows, x->ok, x->reps);
		put_num(f, x->offered_mpps.med);
		put_num(f, x->offered_mpps.min);
		put_num(f, x->offered_mpps.max);
		put_num(f, x->forwarded_mpps.med);
		put_num(f, x->forwarded_mpps.min);
		put_num(f, x->forwarded_mpps.max);
		put_num(f, x->forwarded_mpps.q1);
		put_num(f, x->forwarded_mpps.q3);
		put_num(f, x->loss.med);
		put_num(f, x->loss.max);
		put_num(f, x->cycles_per_pkt.med);
		put_num(f, x->cycles_per_pkt.min);
		put_num(f, x->cycles_per_pkt.max);
		put_num(f, x->syscalls_per_pkt.med);
		put_num(f, x->cpu_busy.med);
		put_num(f, x->lat_p50_us.med);
		put_num(f, x->lat_p99_us.med);
		put_ndr(f, x, &x->ndr);
		put_num(f, x->ok && x->searched ? x->ndr.cycles_per_pkt : NAN);
		put_ndr(f, x, &x->pdr);
		put_str(f, x->ok ? cp_cmp_limit_name(x->limit) : "", false);
		put_str(f, x->limit_why, false);
		put_str(f, x->method, false);
		put_str(f, x->error, false);
		fputc('\n', f);
	}
	if (ferror(f))
		rc = -EIO;
	if (fclose(f) && !rc)
		rc = -errno;
	return rc;
}
