// SPDX-License-Identifier: MIT
/*
 * linerated: the daemon. Parses and validates the config (a file, or the
 * built-in demo topology that needs no NIC), initialises DPDK's EAL, builds
 * and starts the dataplane, then runs the control plane on this thread until
 * SIGTERM/SIGINT or --duration; then stops the workers, drains, frees and
 * exits 0.
 *
 * Start-up order: config (all or nothing) -> EAL -> ports, tables, workers
 * -> control plane. Each step that fails says what and why, and undoes the
 * ones before it.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "config_save.h"
#include "cp_daemon.h"
#include "log.h"
#include "dp.h"

/* The built-in config: a generator on one net_ring port (a loopback ring),
 * forwarded by a worker to a second ring port whose receive side is the
 * measuring sink. No NIC, no root-only setup beyond DPDK's own. */
static const char default_config[] =
	"ports:\n"
	"  - name: gen\n"
	"    dev: net_ring0\n"
	"    mode: io\n"
	"    peer: sink\n"
	"    generator:\n"
	"      flows: 64\n"
	"      frame_size: 64\n"
	"      rate_pps: max\n"
	"  - name: sink\n"
	"    dev: net_ring1\n"
	"    rx: sink\n";

struct opts {
	const char *config;
	const char *file_prefix;
	long stats_ms;    /* -1: from config */
	long duration_ms; /* -1: from config */
	int no_huge;
	int check_only;
	int summary;
	int quiet;
};

static atomic_bool stop_requested;
static struct cp_daemon_conf cp_conf; /* control-plane options */

static void on_signal(int sig)
{
	(void)sig;
	atomic_store(&stop_requested, true);
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: linerated [OPTIONS]\n"
		"\n"
		"The linerate daemon: pinned poll-mode workers forward packets\n"
		"between ports (DPDK ethdevs, AF_XDP, AF_PACKET) in io, macswap,\n"
		"l2 or l3 mode, with an ACL, a traffic generator and a sink.\n"
		"\n"
		"  -c, --config FILE        run the YAML config FILE (schema:\n"
		"                           controlplane/config.h, examples in\n"
		"                           configs/); without it a built-in\n"
		"                           demo runs: generator -> net_ring ->\n"
		"                           io worker -> net_ring -> sink\n"
		"  -t, --check              parse and validate the config, print\n"
		"                           a summary and exit (0: valid)\n"
		"  -s, --stats-interval MS  print per-core and per-port rates\n"
		"                           every MS milliseconds (0: off;\n"
		"                           overrides stats_interval_ms)\n"
		"  -d, --duration SEC       stop after SEC seconds (may be a\n"
		"                           fraction; 0: run until SIGTERM/SIGINT;\n"
		"                           overrides duration_ms)\n"
		"      --file-prefix NAME   DPDK file prefix (default lr-<pid>,\n"
		"                           unique, so several can run at once)\n"
		"      --no-huge            run DPDK without hugepages\n"
		"      --summary            on exit print the final counters as\n"
		"                           'final ...' key=value lines\n"
		"  -q, --quiet              only warnings and errors\n"
		"  -h, --help               this text\n"
		"  -V, --version            print the version\n"
		"\n"
		"Precedence: a command-line option beats the config file,\n"
		"which beats the built-in default (stats_interval_ms,\n"
		"duration_ms, eal.file_prefix, and control: below).\n"
		"");
	cp_daemon_usage(f);
	fprintf(f,
		"\n"
		"SIGTERM or SIGINT stop the workers, drain the TX buffers, stop\n"
		"and close the ports, free everything and exit 0.\n"
		"Exit status: 0 ok, 1 runtime error, 2 usage or config error.\n");
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 't' },
		{ "stats-interval", required_argument, NULL, 's' },
		{ "duration", required_argument, NULL, 'd' },
		{ "file-prefix", required_argument, NULL, 'P' },
		{ "no-huge", no_argument, NULL, 'H' },
		{ "summary", no_argument, NULL, 'S' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	double d;
	int c;

	memset(o, 0, sizeof(*o));
	o->stats_ms = -1;
	o->duration_ms = -1;
	while ((c = getopt_long(argc, argv, "c:ts:d:qhV", lo, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->config = optarg;
			break;
		case 't':
			o->check_only = 1;
			break;
		case 's':
			o->stats_ms = strtol(optarg, &end, 10);
			if (*end || o->stats_ms < 0) {
				fprintf(stderr, "linerated: --stats-interval "
					"'%s': milliseconds >= 0\n", optarg);
				return -EINVAL;
			}
			break;
		case 'd':
			d = strtod(optarg, &end);
			if (*end || d < 0) {
				fprintf(stderr, "linerated: --duration '%s': "
					"seconds >= 0\n", optarg);
				return -EINVAL;
			}
			o->duration_ms = (long)(d * 1000);
			break;
		case 'P':
			o->file_prefix = optarg;
			break;
		case 'H':
			o->no_huge = 1;
			break;
		case 'S':
			o->summary = 1;
			break;
		case 'q':
			o->quiet = 1;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("linerated %s\n", LR_VERSION);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "linerated: unexpected argument '%s'\n",
			argv[optind]);
		return -EINVAL;
	}
	return 0;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- stats printing (until the control plane's CLI takes over) ---- */

static struct dp_worker_stats *prev_w;
static uint64_t prev_ms;

static void print_stats(struct dp *dp)
{
	unsigned int nw = dp_worker_count(dp), w, p;
	uint64_t t = now_ms();
	double secs = prev_ms ? (double)(t - prev_ms) / 1000 : 0;
	struct dp_worker_stats cur, d, tot;
	struct dp_worker_info wi;

	if (prev_w == NULL)
		prev_w = calloc(nw ? nw : 1, sizeof(*prev_w));
	if (prev_w == NULL)
		return;
	memset(&tot, 0, sizeof(tot));
	for (w = 0; w < nw; w++) {
		uint64_t drops = 0, cyc;
		unsigned int r;

		dp_stats_worker(dp, w, &cur);
		dp_worker_get(dp, w, &wi);
		d = cur;
		dp_stats_sub(&d, &prev_w[w]);
		prev_w[w] = cur;
		if (secs <= 0)
			continue;
		for (r = 1; r < LR_R__COUNT; r++)
			drops += d.drops[r];
		cyc = d.busy_cycles + d.idle_cycles;
		printf("worker %u (cpu %d): rx %8.3f Mpps  tx %8.3f Mpps  "
		       "gen %8.3f Mpps  %6.1f cyc/pkt  burst %4.1f  busy "
		       "%5.1f%%  drops %.0f/s\n",
		       w, wi.core, (double)d.rx_pkts / secs / 1e6,
		       (double)d.tx_pkts / secs / 1e6,
		       (double)d.gen.pkts / secs / 1e6,
		       dp_stats_cycles_per_pkt(&d), dp_stats_avg_burst(&d),
		       cyc ? 100.0 * (double)d.busy_cycles / (double)cyc : 0,
		       (double)drops / secs);
		for (p = 0; p < dp_port_count(dp); p++) {
			tot.port[p].rx_pkts += d.port[p].rx_pkts;
			tot.port[p].rx_bytes += d.port[p].rx_bytes;
			tot.port[p].tx_pkts += d.port[p].tx_pkts;
			tot.port[p].tx_bytes += d.port[p].tx_bytes;
		}
	}
	for (p = 0; secs > 0 && p < dp_port_count(dp); p++) {
		const struct dp_port *pt = dp_port_get(dp, (uint16_t)p);

		printf("  port %-8s rx %8.3f Mpps %7.3f Gbit/s  tx %8.3f Mpps "
		       "%7.3f Gbit/s\n",
		       pt->name, (double)tot.port[p].rx_pkts / secs / 1e6,
		       (double)tot.port[p].rx_bytes * 8 / secs / 1e9,
		       (double)tot.port[p].tx_pkts / secs / 1e6,
		       (double)tot.port[p].tx_bytes * 8 / secs / 1e9);
	}
	dp_stats_total(dp, &tot);
	if (secs > 0 && tot.sink.pkts) {
		printf("  sink: %lu pkts, lost %lu, reordered %lu, dup %lu, "
		       "latency p50 %.1f p99 %.1f p99.9 %.1f max %.1f us\n",
		       tot.sink.pkts, tot.sink.lost, tot.sink.reordered,
		       tot.sink.dup,
		       dp_sink_lat_pct_ns(&tot.sink, tot.tsc_hz, 50) / 1e3,
		       dp_sink_lat_pct_ns(&tot.sink, tot.tsc_hz, 99) / 1e3,
		       dp_sink_lat_pct_ns(&tot.sink, tot.tsc_hz, 99.9) / 1e3,
		       (double)tot.sink.lat_max * 1e6 / (double)tot.tsc_hz);
	}
	fflush(stdout);
	prev_ms = t;
}

/* Final counters as key=value lines: what scripts and tests parse. */
static void print_summary(struct dp *dp)
{
	struct dp_worker_stats tot, s;
	struct dp_port_kv kv[64];
	struct dp_mem_info mi;
	unsigned int w, p, r;
	int n, i;

	dp_stats_total(dp, &tot);
	for (w = 0; w < dp_worker_count(dp); w++) {
		dp_stats_worker(dp, w, &s);
		printf("final worker=%u rx_pkts=%lu tx_pkts=%lu gen_pkts=%lu "
		       "busy_cycles=%lu idle_cycles=%lu polls=%lu "
		       "empty_polls=%lu fast_bursts=%lu cycles_per_pkt=%.2f "
		       "avg_burst=%.2f\n",
		       w, s.rx_pkts, s.tx_pkts, s.gen.pkts, s.busy_cycles,
		       s.idle_cycles, s.polls, s.empty_polls, s.fast_bursts,
		       dp_stats_cycles_per_pkt(&s), dp_stats_avg_burst(&s));
	}
	for (p = 0; p < dp_port_count(dp); p++) {
		const struct dp_port *pt = dp_port_get(dp, (uint16_t)p);

		printf("final port=%s rx_pkts=%lu rx_bytes=%lu tx_pkts=%lu "
		       "tx_bytes=%lu",
		       pt->name, tot.port[p].rx_pkts, tot.port[p].rx_bytes,
		       tot.port[p].tx_pkts, tot.port[p].tx_bytes);
		n = dp_port_xstats(dp, (uint16_t)p, kv,
				   (int)(sizeof(kv) / sizeof(kv[0])));
		for (i = 0; i < n; i++)
			printf(" dev_%s=%lu", kv[i].name, kv[i].value);
		printf("\n");
	}
	printf("final drops");
	for (r = 1; r < LR_R__COUNT; r++)
		if (tot.drops[r])
			printf(" %s=%lu", lr_reason_name(r), tot.drops[r]);
	printf("\n");
	printf("final l2 learn_events=%lu learn_drops=%lu\n",
	       tot.l2_learn_events, tot.l2_learn_drops);
	printf("final gen pkts=%lu bytes=%lu no_buf=%lu tx_full=%lu\n",
	       tot.gen.pkts, tot.gen.bytes, tot.gen.no_buf, tot.gen.tx_full);
	printf("final sink pkts=%lu bytes=%lu foreign=%lu lost=%lu "
	       "reordered=%lu dup=%lu lat_p50_ns=%.0f lat_p99_ns=%.0f "
	       "lat_p999_ns=%.0f lat_max_ns=%.0f\n",
	       tot.sink.pkts, tot.sink.bytes, tot.sink.foreign, tot.sink.lost,
	       tot.sink.reordered, tot.sink.dup,
	       dp_sink_lat_pct_ns(&tot.sink, tot.tsc_hz, 50),
	       dp_sink_lat_pct_ns(&tot.sink, tot.tsc_hz, 99),
	       dp_sink_lat_pct_ns(&tot.sink, tot.tsc_hz, 99.9),
	       tot.tsc_hz ? (double)tot.sink.lat_max * 1e9 /
				    (double)tot.tsc_hz
			  : 0);
	{
		uint64_t hits[64];
		size_t nr = dp_acl_hits(dp, hits, 64), k;

		printf("final acl rules=%zu", nr);
		for (k = 0; k < nr && k < 64; k++)
			printf(" hit%zu=%lu", k, hits[k]);
		printf("\n");
	}
	dp_mem_info(dp, &mi);
	printf("final mem mempool_bytes=%lu l3_bytes=%lu acl_bytes=%lu "
	       "l2_bytes=%lu heap_bytes=%lu\n",
	       mi.mempool_bytes, mi.l3_bytes, mi.acl_bytes, mi.l2_bytes,
	       mi.heap_bytes);
	fflush(stdout);
}

/* ---- the control plane ----
 * Runs on this thread from "dataplane started" until stop_requested or the
 * duration is over. The event loop, control socket and metrics hook in
 * here; until then it prints stats and does the periodic housekeeping. */
static void cp_stats_hook(void *arg)
{
	print_stats(arg);
}

static void cp_housekeeping_hook(void *arg)
{
	dp_housekeeping(arg);
}

static int control_plane_run(struct dp *dp, const struct dp_config *c)
{
	struct cp_daemon_hooks h = {
		.arg = dp,
		.stats = cp_stats_hook,
		.stats_interval_ms = c->stats_interval_ms,
		.duration_ms = c->duration_ms,
		.stop = &stop_requested,
		.housekeeping = cp_housekeeping_hook,
	};
	char err[512];
	int ret;

	if (c->stats_interval_ms)
		print_stats(dp); /* baseline */
	ret = cp_daemon_run(&cp_conf, &cp_dp_real_ops, dp, &h, err,
			    sizeof(err));
	if (ret < 0)
		fprintf(stderr, "linerated: control plane: %s\n", err);
	return ret;
}

static void print_check(const struct dp_config *c,
			const struct cp_control_conf *ctl)
{
	char v[320];
	unsigned int p, w;

	printf("%s: valid: %u port(s), %u worker(s), %zu route(s) + %u "
	       "generated, %zu neighbour(s), %zu ACL rule(s), %zu MAC(s)\n",
	       c->path, c->nb_ports, c->nb_workers, c->nb_routes,
	       c->routes_gen.count, c->nb_neighs, c->nb_acl, c->nb_macs);
	for (p = 0; p < c->nb_ports; p++)
		printf("  port %s: %s %s, mode %s%s, rx %s%s\n",
		       c->ports[p].conf.name, c->ports[p].conf.backend,
		       c->ports[p].conf.dev,
		       dp_fwd_mode_name(c->ports[p].mode),
		       c->ports[p].acl ? "+acl" : "",
		       c->ports[p].rx_role == DP_RX_SINK   ? "sink"
		       : c->ports[p].rx_role == DP_RX_DROP ? "drop"
							   : "forward",
		       c->ports[p].gen.enabled ? ", generator" : "");
	for (w = 0; w < c->nb_workers; w++) {
		printf("  worker %u: cpu %d, ports", w, c->workers[w].core);
		for (p = 0; p < c->workers[w].nb_ports; p++)
			printf(" %s",
			       c->ports[c->workers[w].ports[p]].conf.name);
		printf("\n");
	}
	/* What the control plane would run with (file under options). */
	printf("  control:");
	for (int k = 0; k < CP_CTL__COUNT; k++)
		if (cp_control_fmt(ctl, (enum cp_ctl_key)k, v, sizeof(v)))
			printf(" %s=%s", cp_control_key_name((enum cp_ctl_key)k),
			       v);
	printf("\n");
}

int main(int argc, char **argv)
{
	struct cp_control_conf file_ctl, run_ctl;
	struct dp_config conf;
	struct sigaction sa;
	struct opts o;
	struct dp *dp = NULL;
	char err[1024];
	int ret;

	cp_daemon_conf_init(&cp_conf);
	if (cp_daemon_take_args(&cp_conf, &argc, argv, err, sizeof(err)) < 0) {
		fprintf(stderr, "linerated: %s\n", err);
		return 2;
	}
	if (parse_args(argc, argv, &o) < 0)
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (o.config)
		ret = cp_config_load_ctl(o.config, &conf, &file_ctl, err,
					 sizeof(err));
	else
		ret = cp_config_parse_ctl(default_config,
					  sizeof(default_config) - 1,
					  "(built-in demo config)", &conf,
					  &file_ctl, err, sizeof(err));
	if (ret < 0) {
		fprintf(stderr, "linerated: %s\n", err);
		return 2;
	}
	/* control: under the command line; from now on a reload must leave
	 * control: as it is, and config save writes what runs. */
	cp_daemon_conf_merge(&cp_conf, &file_ctl);
	/* Settings that only make sense together (TCP needs a token) are
	 * checked on the merged result, before the dataplane starts. */
	if (cp_daemon_conf_check(&cp_conf, err, sizeof(err)) < 0) {
		fprintf(stderr, "linerated: %s\n", err);
		dp_config_free(&conf);
		return 2;
	}
	cp_config_control_pin(&file_ctl, cp_conf.given);
	cp_daemon_conf_control(&cp_conf, &run_ctl);
	cp_config_save_set_control(&run_ctl);
	if (o.stats_ms >= 0)
		conf.stats_interval_ms = (uint32_t)o.stats_ms;
	if (o.duration_ms >= 0)
		conf.duration_ms = (uint32_t)o.duration_ms;
	if (o.file_prefix)
		snprintf(conf.eal.file_prefix, sizeof(conf.eal.file_prefix),
			 "%s", o.file_prefix);
	if (o.no_huge)
		conf.eal.hugepages = 0;
	if (o.quiet) {
		dp_log_set_level(1);
		cp_log_set_level(CP_LOG_WARN);
	}
	if (o.quiet && !conf.eal.log_level[0])
		snprintf(conf.eal.log_level, sizeof(conf.eal.log_level),
			 "warning");
	if (o.check_only) {
		print_check(&conf, &run_ctl);
		dp_config_free(&conf);
		return 0;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* Before EAL and workers exist, so they inherit the mask and the
	 * control plane's signalfd gets SIGTERM/SIGINT/SIGHUP. */
	cp_daemon_block_signals();

	ret = dp_eal_init(&conf, argv[0], err, sizeof(err));
	if (ret < 0) {
		fprintf(stderr, "linerated: %s\n", err);
		dp_config_free(&conf);
		return 1;
	}
	ret = dp_create(&conf, &dp, err, sizeof(err));
	if (ret == 0)
		ret = dp_start(dp, err, sizeof(err));
	if (ret < 0) {
		fprintf(stderr, "linerated: %s\n", err);
		fprintf(stderr, "linerated: nothing started\n");
		dp_destroy(dp);
		dp_config_free(&conf);
		dp_eal_cleanup();
		return 1;
	}

	ret = control_plane_run(dp, &conf);

	dp_stop(dp);
	if (o.summary)
		print_summary(dp);
	dp_destroy(dp);
	free(prev_w);
	dp_config_free(&conf);
	dp_eal_cleanup();
	return ret < 0 ? 1 : 0;
}
