// SPDX-License-Identifier: MIT
/*
 * results.csv: one row per mode x frame x flows, the medians with their
 * spread, NDR/PDR, what limited the result and how it was measured. Numbers
 * in plain %.6g, empty when not measured; text fields quoted RFC 4180 style
 * when they hold a comma, quote or newline. scripts/plot-compare.gp reads
 * the columns by name.
 *
 * MRR columns are medians over the repetitions, the _min, _max, _q1, _q3
 * columns their spread, lat_n how many repetitions measured latency;
 * dut_rx_mpps is what the DUT core received (its throughput when the sink
 * limits forwarded_mpps); ndr_met_mpps/pdr_met_mpps the highest rate the
 * generator really offered in a search trial that met the target.
 * ndr_mpps/pdr_mpps are medians over the search repetitions (ndr_min/ndr_max
 * their spread); the other ndr_ and pdr_ columns come from the repetition
 * nearest the median. limit is the MRR's, ndr_limit/pdr_limit why the rate
 * above the bound failed; each _why column says with which numbers.
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
	"limit,limit_why,method,error,"
	"syscalls_min,syscalls_max,cpu_busy_min,cpu_busy_max,"
	"lat_p50_min,lat_p50_max,lat_p99_min,lat_p99_max,lat_n,"
	"ndr_min,ndr_max,ndr_offered_mpps,ndr_limit,ndr_limit_why,"
	"pdr_min,pdr_max,pdr_offered_mpps,pdr_cycles_per_pkt,pdr_limit,"
	"pdr_limit_why,dut_rx_mpps,dut_rx_min,dut_rx_max,ndr_met_mpps,"
	"pdr_met_mpps";

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

/* The columns appended after error: spread, offered, (PDR: cycles), limit. */
static void put_bound(FILE *f, const struct cp_cmp_result *x,
		      const struct cp_cmp_ndr *nd, bool cycles)
{
	bool have = x->ok && x->searched;

	put_num(f, have ? nd->reps.min : NAN);
	put_num(f, have ? nd->reps.max : NAN);
	put_num(f, have ? nd->offered_mpps : NAN);
	if (cycles)
		put_num(f, have ? nd->cycles_per_pkt : NAN);
	put_str(f, have ? cp_cmp_limit_name(nd->limit) : "", false);
	put_str(f, have ? nd->limit_why : "", false);
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
		put_num(f, x->syscalls_per_pkt.min);
		put_num(f, x->syscalls_per_pkt.max);
		put_num(f, x->cpu_busy.min);
		put_num(f, x->cpu_busy.max);
		put_num(f, x->lat_p50_us.min);
		put_num(f, x->lat_p50_us.max);
		put_num(f, x->lat_p99_us.min);
		put_num(f, x->lat_p99_us.max);
		fprintf(f, ",%u", x->ok ? x->lat_p50_us.n : 0);
		put_bound(f, x, &x->ndr, false);
		put_bound(f, x, &x->pdr, true);
		put_num(f, x->dut_rx_mpps.med);
		put_num(f, x->dut_rx_mpps.min);
		put_num(f, x->dut_rx_mpps.max);
		put_num(f, x->ok && x->searched ? x->ndr.met_mpps : NAN);
		put_num(f, x->ok && x->searched ? x->pdr.met_mpps : NAN);
		fputc('\n', f);
	}
	if (ferror(f))
		rc = -EIO;
	if (fclose(f) && !rc)
		rc = -errno;
	return rc;
}
