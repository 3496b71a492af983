// SPDX-License-Identifier: MIT
/*
 * `linerate compare`: the command line of the comparison. Parses the
 * options into a cp_cmp_conf, runs the runner through the control-socket
 * driver (or the fake backend), prints the table, writes every output file.
 * Blocking by design: it runs in the CLI process, never in the daemon's
 * event loop, so the daemon keeps serving other clients during a run.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare.h"
#include "ctl.h"

static void usage(FILE *f)
{
	/* clang-format off */
	fputs(
"usage: linerate compare [options]\n"
"  Measures the same pipeline across I/O modes: per mode, frame size and\n"
"  flow count, REPS trials at the maximum rate (median and spread of Mpps,\n"
"  loss, cycles/packet, syscalls/packet, latency, CPU busy) and an\n"
"  MLRsearch-like NDR/PDR search. Writes results.json, results.csv,\n"
"  table.txt, mpps/cycles/desc-scaling .png/.svg into --out.\n"
"\n"
"  --modes LIST        dpdk[:DEVARGS], afxdp[:native|skb][:copy|zc],\n"
"                      kernel:MODEL, kernel:all, all (default all)\n"
"  --sizes LIST        frame sizes incl. FCS, e.g. 64,512,1518 (64)\n"
"  --flows LIST        flow counts, e.g. 1,1024 (1)\n"
"  --reps N            MRR trials per combination (3)\n"
"  --trial S           MRR trial seconds (1)\n"
"  --no-search         MRR only\n"
"  --search-reps N     NDR/PDR searches per combination (1)\n"
"  --min-mpps X        search floor (0.01)\n"
"  --max-mpps X        search ceiling and MRR rate (10)\n"
"  --precision X       final relative width of the bounds (0.005)\n"
"  --search-trial S    final search trial seconds (1)\n"
"  --initial-trial S   first phase trial seconds (0.25)\n"
"  --max-trials N      trials per search (32)\n"
"  --pdr-loss X        loss ratio PDR allows (0.005)\n"
"  --out DIR           results directory (compare-results)\n"
"  --desc-csv FILE     kernel models' descriptor-scaling CSV to chart\n"
"  --socket PATH       linerated control socket\n"
"  --gen-port NAME     port whose generator offers (gen)\n"
"  --sink-port NAME    port whose receive side is the sink (sink)\n"
"  --dut-ports A,B     ports under test (dut0,dut1)\n"
"  --mode-hook CMD     run `CMD MODE` to restart linerated in MODE when it\n"
"                      cannot switch a port's backend itself\n"
"  --exec DIR          no daemon: one linerated run per trial, configs from\n"
"                      DIR/<mode>.yaml templates (see exec.c)\n"
"  --linerated CMD     with --exec: how to run linerated (linerated)\n"
"  --dut-workers LIST  with --exec: DUT worker indices (1)\n"
"  --fake MPPS         no daemon: a synthetic DUT with this limit\n"
"  --quiet             no progress lines\n", f);
	/* clang-format on */
}

static int parse_list(const char *s, unsigned long *v, unsigned int max,
		      unsigned int *n)
{
	char *end;

	*n = 0;
	while (*s) {
		if (*n >= max)
			return -E2BIG;
		errno = 0;
		v[*n] = strtoul(s, &end, 10);
		if (end == s || errno)
			return -EINVAL;
		(*n)++;
		if (*end == ',')
			end++;
		else if (*end)
			return -EINVAL;
		s = end;
	}
	return *n ? 0 : -EINVAL;
}

static int parse_num(const char *opt, const char *s, double lo, double hi,
		     double *out)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end || !(v >= lo && v <= hi)) {
		fprintf(stderr,
			"compare: --%s '%s' is not a number in [%g, %g]\n", opt,
			s, lo, hi);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

enum {
	O_MODES = 256,
	O_SIZES,
	O_FLOWS,
	O_REPS,
	O_TRIAL,
	O_NO_SEARCH,
	O_SEARCH_REPS,
	O_MIN,
	O_MAX,
	O_PREC,
	O_STRIAL,
	O_ITRIAL,
	O_MAXT,
	O_PDR,
	O_OUT,
	O_DESC,
	O_SOCKET,
	O_GEN,
	O_DUT,
	O_HOOK,
	O_FAKE,
	O_EXEC,
	O_LINERATED,
	O_DUTW,
	O_SINK,
};

static const struct option opts[] = {
	{"modes", required_argument, NULL, O_MODES},
	{"sizes", required_argument, NULL, O_SIZES},
	{"flows", required_argument, NULL, O_FLOWS},
	{"reps", required_argument, NULL, O_REPS},
	{"trial", required_argument, NULL, O_TRIAL},
	{"no-search", no_argument, NULL, O_NO_SEARCH},
	{"search-reps", required_argument, NULL, O_SEARCH_REPS},
	{"min-mpps", required_argument, NULL, O_MIN},
	{"max-mpps", required_argument, NULL, O_MAX},
	{"precision", required_argument, NULL, O_PREC},
	{"search-trial", required_argument, NULL, O_STRIAL},
	{"initial-trial", required_argument, NULL, O_ITRIAL},
	{"max-trials", required_argument, NULL, O_MAXT},
	{"pdr-loss", required_argument, NULL, O_PDR},
	{"out", required_argument, NULL, O_OUT},
	{"desc-csv", required_argument, NULL, O_DESC},
	{"socket", required_argument, NULL, O_SOCKET},
	{"gen-port", required_argument, NULL, O_GEN},
	{"dut-ports", required_argument, NULL, O_DUT},
	{"mode-hook", required_argument, NULL, O_HOOK},
	{"fake", required_argument, NULL, O_FAKE},
	{"exec", required_argument, NULL, O_EXEC},
	{"linerated", required_argument, NULL, O_LINERATED},
	{"dut-workers", required_argument, NULL, O_DUTW},
	{"sink-port", required_argument, NULL, O_SINK},
	{"quiet", no_argument, NULL, 'q'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

static int copy_opt(char *dst, size_t len, const char *opt, const char *v)
{
	if (strlen(v) >= len) {
		fprintf(stderr, "compare: --%s: too long\n", opt);
		return -EINVAL;
	}
	strcpy(dst, v);
	return 0;
}

int cp_compare_main(int argc, char **argv)
{
	static struct cp_cmp_ctl ctl; /* 1 MiB input buffer: not on the stack */
	static struct cp_cmp_exec ex;
	struct cp_cmp_conf c;
	struct cp_cmp_fake fake;
	struct cp_cmp_driver d;
	struct cp_cmp_run *run = NULL;
	const struct cp_cmp_result *res;
	const char *out = "compare-results", *desc = NULL;
	char err[CP_CMP_ERR_MAX];
	unsigned long v[CP_CMP_MODES_MAX];
	unsigned int n, ok = 0;
	double x = 0, fake_mpps = 0;
	bool quiet = false, modes_given = false;
	int o, rc;

	cp_cmp_conf_default(&c);
	cp_cmp_ctl_init(&ctl);
	cp_cmp_exec_init(&ex);
	optind = 1;
	while ((o = getopt_long(argc, argv, "hq", opts, NULL)) != -1) {
		const char *name = o >= O_MODES ? opts[o - O_MODES].name : "";

		rc = 0;
		switch (o) {
		case O_MODES:
			if (!modes_given)
				c.nb_modes = 0;
			modes_given = true;
			rc = cp_cmp_modes_parse(optarg, c.modes, &c.nb_modes,
						CP_CMP_MODES_MAX, err,
						sizeof(err));
			if (rc)
				fprintf(stderr, "compare: %s\n", err);
			break;
		case O_SIZES:
			rc = parse_list(optarg, v, CP_CMP_SIZES_MAX, &n);
			for (unsigned int i = 0; !rc && i < n; i++)
				c.frames[i] = v[i] > 65535 ? 0 : (uint16_t)v[i];
			c.nb_frames = rc ? 0 : n;
			if (rc)
				fprintf(stderr,
					"compare: --sizes '%s': want up to %d numbers, comma-separated\n",
					optarg, CP_CMP_SIZES_MAX);
			break;
		case O_FLOWS:
			rc = parse_list(optarg, v, CP_CMP_FLOWS_MAX, &n);
			for (unsigned int i = 0; !rc && i < n; i++)
				c.flows[i] =
					v[i] > UINT32_MAX ? 0 : (uint32_t)v[i];
			c.nb_flows = rc ? 0 : n;
			if (rc)
				fprintf(stderr,
					"compare: --flows '%s': want up to %d numbers, comma-separated\n",
					optarg, CP_CMP_FLOWS_MAX);
			break;
		case O_REPS:
			rc = parse_num(name, optarg, 1, CP_CMP_REPS_MAX, &x);
			c.reps = (unsigned int)x;
			break;
		case O_TRIAL:
			rc = parse_num(name, optarg, 0.01, 3600, &c.trial_s);
			break;
		case O_NO_SEARCH:
			c.search = false;
			break;
		case O_SEARCH_REPS:
			rc = parse_num(name, optarg, 1, CP_CMP_REPS_MAX, &x);
			c.search_reps = (unsigned int)x;
			break;
		case O_MIN:
			rc = parse_num(name, optarg, 1e-6, 1e4, &x);
			c.sc.min_rate = x * 1e6;
			break;
		case O_MAX:
			rc = parse_num(name, optarg, 1e-6, 1e4, &x);
			c.sc.max_rate = x * 1e6;
			break;
		case O_PREC:
			rc = parse_num(name, optarg, 1e-6, 0.49,
				       &c.sc.precision);
			break;
		case O_STRIAL:
			rc = parse_num(name, optarg, 0.01, 3600, &c.sc.trial_s);
			break;
		case O_ITRIAL:
			rc = parse_num(name, optarg, 0.01, 3600,
				       &c.sc.initial_trial_s);
			break;
		case O_MAXT:
			rc = parse_num(name, optarg, 2, CP_CMP_TRIALS_MAX, &x);
			c.sc.max_trials = (unsigned int)x;
			break;
		case O_PDR:
			rc = parse_num(name, optarg, 0, 0.99, &c.sc.pdr_loss);
			break;
		case O_OUT:
			out = optarg;
			break;
		case O_DESC:
			desc = optarg;
			break;
		case O_SOCKET:
			rc = copy_opt(ctl.socket, sizeof(ctl.socket), name,
				      optarg);
			break;
		case O_GEN:
			rc = copy_opt(ctl.gen_port, sizeof(ctl.gen_port), name,
				      optarg);
			break;
		case O_SINK:
			rc = copy_opt(ctl.sink_port, sizeof(ctl.sink_port),
				      name, optarg);
			break;
		case O_DUT:
			rc = copy_opt(ctl.dut_ports, sizeof(ctl.dut_ports),
				      name, optarg);
			break;
		case O_HOOK:
			rc = copy_opt(ctl.mode_hook, sizeof(ctl.mode_hook),
				      name, optarg);
			break;
		case O_EXEC:
			rc = copy_opt(ex.tmpl_dir, sizeof(ex.tmpl_dir), name,
				      optarg);
			break;
		case O_LINERATED:
			rc = copy_opt(ex.linerated, sizeof(ex.linerated), name,
				      optarg);
			break;
		case O_DUTW:
			rc = copy_opt(ex.dut_workers, sizeof(ex.dut_workers),
				      name, optarg);
			break;
		case O_FAKE:
			rc = parse_num(name, optarg, 1e-3, 1e4, &fake_mpps);
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
		if (rc)
			return 2;
	}
	if (optind < argc) {
		fprintf(stderr,
			"compare: unexpected argument '%s' (see --help)\n",
			argv[optind]);
		return 2;
	}
	if (c.sc.initial_trial_s > c.sc.trial_s)
		c.sc.initial_trial_s = c.sc.trial_s;
	rc = cp_cmp_run_new(&run, &c, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "compare: %s\n", err);
		return 2;
	}
	if (fake_mpps > 0) {
		cp_cmp_fake_init(&fake, CP_CMP_FAKE_HARD, fake_mpps * 1e6, 1);
		fake.noise = 0.005;
		cp_cmp_fake_driver(&fake, &d);
	} else if (ex.tmpl_dir[0]) {
		snprintf(ex.dut_ports, sizeof(ex.dut_ports), "%s",
			 ctl.dut_ports);
		cp_cmp_exec_driver(&ex, &d);
	} else {
		cp_cmp_ctl_driver(&ctl, &d);
	}
	cp_compare_run(run, &d, quiet ? NULL : stderr);
	cp_cmp_ctl_fini(&ctl);
	cp_cmp_exec_fini(&ex);
	res = cp_cmp_run_results(run, &n);
	cp_cmp_table_print(stdout, res, n);
	for (unsigned int i = 0; i < n; i++)
		ok += res[i].ok;
	rc = cp_cmp_write_all(out, &c, res, n, desc, err, sizeof(err));
	if (rc)
		fprintf(stderr, "compare: %s\n", err);
	else if (!quiet)
		fprintf(stderr,
			"compare: %u of %u results measured; files in %s/\n",
			ok, n, out);
	cp_cmp_run_free(run);
	return rc || ok == 0 ? 1 : 0;
}
