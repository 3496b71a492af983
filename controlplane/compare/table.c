// SPDX-License-Identifier: MIT
/* The terminal table: one line per mode x frame x flows, medians with the
 * min-max spread of the forwarded rate, NDR/PDR and the limit; then per
 * result why the MRR, NDR and PDR stopped where they did. */
#include <math.h>
#include <stdio.h>

#include "compare.h"

static void cell(char *buf, size_t len, const char *fmt, double v)
{
	if (isfinite(v))
		snprintf(buf, len, fmt, v);
	else
		snprintf(buf, len, "-");
}

void cp_cmp_table_print(FILE *f, const struct cp_cmp_result *res,
			unsigned int n)
{
	fprintf(f,
		"%-22s %5s %6s %8s %7s %20s %7s %8s %7s %5s %15s %8s %8s  %s\n",
		"mode", "frame", "flows", "offered", "DUT rx", "forwarded Mpps",
		"loss%", "cyc/pkt", "sys/pkt", "busy%", "lat p50/p99 us", "NDR",
		"PDR", "limit");
	for (unsigned int i = 0; i < n; i++) {
		const struct cp_cmp_result *x = &res[i];
		char off[16], drx[16], fwd[32], loss[16], cyc[16], sys[16];
		char busy[16];
		char p50[16], p99[16], ndr[16], pdr[16];

		if (!x->ok) {
			fprintf(f, "%-22s %5u %6u  not measured: %s\n",
				x->mode.name, x->frame, x->flows, x->error);
			continue;
		}
		cell(off, sizeof(off), "%.3f", x->offered_mpps.med);
		cell(drx, sizeof(drx), "%.3f", x->dut_rx_mpps.med);
		if (isfinite(x->forwarded_mpps.med))
			snprintf(fwd, sizeof(fwd), "%.3f [%.3f-%.3f]",
				 x->forwarded_mpps.med, x->forwarded_mpps.min,
				 x->forwarded_mpps.max);
		else
			snprintf(fwd, sizeof(fwd), "-");
		cell(loss, sizeof(loss), "%.2f", 100 * x->loss.med);
		cell(cyc, sizeof(cyc), "%.0f", x->cycles_per_pkt.med);
		cell(sys, sizeof(sys), "%.3f", x->syscalls_per_pkt.med);
		cell(busy, sizeof(busy), "%.0f", 100 * x->cpu_busy.med);
		cell(p50, sizeof(p50), "%.1f", x->lat_p50_us.med);
		cell(p99, sizeof(p99), "%.1f", x->lat_p99_us.med);
		cell(ndr, sizeof(ndr), "%.3f", x->searched ? x->ndr.mpps : NAN);
		cell(pdr, sizeof(pdr), "%.3f", x->searched ? x->pdr.mpps : NAN);
		fprintf(f,
			"%-22s %5u %6u %8s %7s %20s %7s %8s %7s %5s %7s/%-7s %8s %8s  %s\n",
			x->mode.name, x->frame, x->flows, off, drx, fwd, loss,
			cyc, sys, busy, p50, p99, ndr, pdr,
			cp_cmp_limit_name(x->limit));
	}
	/* what limited each result, with the numbers that say so */
	for (unsigned int i = 0; i < n; i++) {
		const struct cp_cmp_result *x = &res[i];

		if (!x->ok)
			continue;
		fprintf(f, "%s %uB %u flows: MRR %s: %s\n", x->mode.name,
			x->frame, x->flows, cp_cmp_limit_name(x->limit),
			x->limit_why);
		if (x->searched)
			fprintf(f,
				"  NDR %s (%s; met at %.3f Mpps offered): %s\n"
				"  PDR %s (%s; met at %.3f Mpps offered): %s\n",
				cp_cmp_limit_name(x->ndr.limit),
				cp_cmp_status_name(x->ndr.status),
				x->ndr.met_mpps, x->ndr.limit_why,
				cp_cmp_limit_name(x->pdr.limit),
				cp_cmp_status_name(x->pdr.status),
				x->pdr.met_mpps, x->pdr.limit_why);
	}
}
