/* SPDX-License-Identifier: MIT */
/*
 * The compare runner's driver for a live linerated, over its control
 * socket (see ctl.c for what one trial does), and the `linerate compare`
 * command line.
 */
#ifndef CP_COMPARE_CTL_H
#define CP_COMPARE_CTL_H

#include <stdbool.h>
#include <stddef.h>

#include "compare.h"

#define CP_CMP_CTL_WORKERS 64

struct cp_cmp_ctl {
	char socket[108]; /* linerated's unix control socket */
	char gen_port[64]; /* the port whose generator offers traffic */
	char sink_port[64]; /* the port whose receive side is the sink */
	char dut_ports[256]; /* comma-separated: the ports under test */
	char mode_hook[512]; /* command run with the mode name as its
			      * argument to restart linerated in it */
	/* state */
	int fd;
	unsigned long id;
	size_t inlen;
	char in[1 << 20];
	bool dut_worker[CP_CMP_CTL_WORKERS];
	bool shared_core;
};

/* Defaults: /run/linerate/linerated.sock, gen port "gen", sink port
 * "sink", DUT ports "dut0,dut1", no hook. */
void cp_cmp_ctl_init(struct cp_cmp_ctl *c);
void cp_cmp_ctl_driver(struct cp_cmp_ctl *c, struct cp_cmp_driver *d);
void cp_cmp_ctl_fini(struct cp_cmp_ctl *c);

/* The one-shot driver (exec.c): one linerated run per trial. */
struct cp_cmp_exec {
	char linerated[512]; /* command, e.g. "ip netns exec NS linerated" */
	char tmpl_dir[256]; /* DIR/<mode>.yaml templates */
	char dut_ports[256]; /* comma-separated */
	char dut_workers[64]; /* comma-separated worker indices */
	char cfg_path[128]; /* rendered config */
	char err_path[128]; /* linerated's stderr */
	char *tmpl;
	unsigned long seq;
	double tsc_hz;
};

/* s as one shell word ('...' with each ' as '\''). -ENAMETOOLONG when it
 * does not fit in len. */
int cp_cmp_shell_quote(char *dst, size_t len, const char *s);

void cp_cmp_exec_init(struct cp_cmp_exec *x);
void cp_cmp_exec_driver(struct cp_cmp_exec *x, struct cp_cmp_driver *d);
void cp_cmp_exec_fini(struct cp_cmp_exec *x);

/*
 * `linerate compare [options]`: parse argv (argv[0] is "compare"), run
 * against the daemon (or the fake backend with --fake), print the table,
 * write results.json, results.csv, table.txt and the charts into --out.
 * Returns the process exit code: 0, 1 (run failed), 2 (usage).
 */
int cp_compare_main(int argc, char **argv);

#endif
