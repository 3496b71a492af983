/* SPDX-License-Identifier: MIT */
/*
 * linerate compare: the same pipeline measured across I/O modes (DPDK,
 * AF_XDP, every kernel-stack model), CSIT-style.
 *
 * Three layers, each usable alone:
 *
 *  1. The NDR/PDR search (struct cp_cmp_search): a state machine that asks
 *     for trials ("offer R pps for D seconds") and is fed their counters.
 *     It never sends a packet itself, so it is tested against a synthetic
 *     rate limiter whose true limit is known, and an event loop can drive it
 *     one trial at a time without blocking.
 *
 *  2. The runner (struct cp_cmp_run): for every mode x frame size x flow
 *     count it asks for a mode switch, a number of maximum-rate trials
 *     (MRR, repeated: median and spread of every metric) and one or more
 *     NDR/PDR searches, and turns the samples into results that name what
 *     limited them. Also a state machine: cp_cmp_run_next() says what to do,
 *     cp_cmp_run_feed_*() reports it done. cp_compare_run() drives it to
 *     the end through a blocking driver (tests, the fake backend, a CLI).
 *
 *  3. Output: terminal table, JSON (read back by cp_cmp_json_read), CSV,
 *     gnuplot charts (scripts/plot-compare.gp).
 *
 * Units: rates in packets per second (pps) inside, Mpps in every output;
 * durations in seconds; latency in nanoseconds inside, microseconds out.
 * A metric a backend cannot measure is NAN inside, null in JSON, empty in
 * CSV, "-" in the table.
 */
#ifndef CP_COMPARE_H
#define CP_COMPARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CP_CMP_MODES_MAX  32
#define CP_CMP_SIZES_MAX  8
#define CP_CMP_FLOWS_MAX  8
#define CP_CMP_REPS_MAX	  32
#define CP_CMP_TRIALS_MAX 64 /* per search */
#define CP_CMP_NAME_MAX	  64
#define CP_CMP_ERR_MAX	  256

/* ---- 1. NDR/PDR search ------------------------------------------------ */

enum cp_cmp_target {
	CP_CMP_NDR = 0, /* no-drop rate: loss ratio <= ndr_loss (0) */
	CP_CMP_PDR, /* partial-drop rate: loss ratio <= pdr_loss (0.5%) */
	CP_CMP_TARGETS,
};

/*
 * MLRsearch-like: an initial trial at max_rate gives the maximum receive
 * rate (MRR), the first guess of the bound. Then phases of doubling trial
 * duration, from initial_trial_s up to trial_s; each phase halves the
 * relative width goal until the last one reaches `precision`. Within a
 * phase, each target keeps a lower bound (a rate whose trial at this
 * phase's duration lost no more than the target allows) and an upper bound
 * (one that lost more): bounds carried from the previous phase are
 * re-measured first, widening outwards (doubling step) when they no longer
 * hold, then bisected until (ub - lb) <= goal * ub. Every trial at the
 * current duration counts for both targets, so the PDR search starts from
 * what the NDR search measured. The result of a target is its lower bound
 * at the final duration.
 */
struct cp_cmp_search_conf {
	double min_rate; /* pps; a failure here reports "below min" */
	double max_rate; /* pps; the generator's ceiling or line rate */
	double precision; /* final relative width goal, e.g. 0.005 */
	double trial_s; /* final trial duration */
	double initial_trial_s; /* first phase (<= trial_s) */
	unsigned int max_trials; /* cap on all trials of one search */
	double ndr_loss; /* loss ratio NDR tolerates (0) */
	double pdr_loss; /* loss ratio PDR tolerates (0.005) */
};

/* How a target's search ended. */
enum cp_cmp_status {
	CP_CMP_ST_CONVERGED = 0, /* bounds within the precision goal */
	CP_CMP_ST_AT_MAX, /* max_rate itself passed: limit is above */
	CP_CMP_ST_BELOW_MIN, /* min_rate failed: rate reported is 0 */
	CP_CMP_ST_MAX_TRIALS, /* out of trials: lower bound is loose */
	CP_CMP_ST_ERROR, /* a trial failed */
};

/*
 * A trial whose generator sent less than (1 - CP_CMP_GEN_TOL) of
 * rate x duration did not offer the rate asked: the search counts it as
 * failed, its unsent packets as lost (as CSIT counts a trial TRex had to
 * stretch), so a search can never report a rate the DUT was not offered.
 * 3% leaves room for the start/stop latency of a trial over the control
 * socket (a few ms of a 0.3-1 s trial).
 */
#define CP_CMP_GEN_TOL 0.03
/* A generator that falls short now and then (its core preempted) would pin
 * a bound at a rate the DUT handles: a short trial is repeated at the same
 * rate up to this many times before it counts (the repeats are listed,
 * marked invalid, and use the trial budget). The first trial, at max_rate,
 * is the MRR probe and is never repeated. */
#define CP_CMP_GEN_RETRIES 2

struct cp_cmp_meas {
	double rate; /* requested pps */
	double duration; /* requested s */
	uint64_t tx; /* offered (sent by the generator) */
	uint64_t rx; /* forwarded (received by the sink) */
	double loss; /* (tx - rx) / tx, or against rate x duration when the
		      * generator fell short (gen_short); 1 when tx == 0 */
	bool gen_short; /* tx < (1 - CP_CMP_GEN_TOL) x rate x duration */
	bool invalid; /* short and repeated: not used for the bounds */
};

struct cp_cmp_bound {
	double rate; /* the result: lower bound (pps), 0 when BELOW_MIN */
	double lower; /* final bounds (pps); upper is max_rate when never */
	double upper; /* measured above */
	int lb_meas; /* index into meas[] of the lower-bound trial, -1 none */
	int ub_meas; /* of the upper-bound trial (lowest failing), -1 none */
	enum cp_cmp_status status;
};

struct cp_cmp_search {
	struct cp_cmp_search_conf c;
	struct cp_cmp_meas meas[CP_CMP_TRIALS_MAX];
	unsigned int n_meas;
	unsigned int n_phases;
	unsigned int phase;
	double mrr; /* forwarded pps of the first trial at max_rate */
	bool finished;
	bool failed;
	bool asked; /* next() answered, feed() not yet called */
	double ask_rate, ask_dur;
	unsigned int retries; /* short trials in a row at ask_rate */
	bool retry; /* the last trial was short: ask it again */
	/* per target: hints carried between phases, external-search step,
	 * and whether the target is settled for the current phase */
	double hint_lb[CP_CMP_TARGETS];
	double hint_ub[CP_CMP_TARGETS];
	double step[CP_CMP_TARGETS];
	struct cp_cmp_bound res[CP_CMP_TARGETS];
};

/* Validate c (every field, named in err) and reset s. */
int cp_cmp_search_init(struct cp_cmp_search *s,
		       const struct cp_cmp_search_conf *c, char *err,
		       size_t errlen);
/* Defaults: precision 0.5%, 1 s final trials, 0.25 s first, 32 trials,
 * NDR 0 loss, PDR 0.5%; min 10 kpps, max 10 Mpps. */
void cp_cmp_search_conf_default(struct cp_cmp_search_conf *c);
/* 1: run a trial at *rate for *duration and feed it; 0: finished. */
int cp_cmp_search_next(struct cp_cmp_search *s, double *rate, double *duration);
/* Report the trial cp_cmp_search_next asked for. */
void cp_cmp_search_feed(struct cp_cmp_search *s, double rate, double duration,
			uint64_t tx, uint64_t rx);
/* A trial could not run: the search ends with CP_CMP_ST_ERROR. */
void cp_cmp_search_fail(struct cp_cmp_search *s);

/* Blocking form: trial() returns 0 and fills tx/rx, or -errno. */
typedef int (*cp_cmp_trial_fn)(void *ctx, double rate, double duration,
			       uint64_t *tx, uint64_t *rx);
int cp_cmp_search_run(struct cp_cmp_search *s, cp_cmp_trial_fn trial,
		      void *ctx);

const char *cp_cmp_status_name(enum cp_cmp_status st);
const char *cp_cmp_target_name(enum cp_cmp_target t);

/* ---- small statistics ---------------------------------------------------- */

/* Median and spread of n values, NANs ignored (all NAN: every field NAN). */
struct cp_cmp_stat {
	double med, min, max, q1, q3;
	unsigned int n;
};

void cp_cmp_stat_of(struct cp_cmp_stat *st, const double *v, unsigned int n);

/* ---- 2. modes, trials, runner -------------------------------------------- */

/*
 * One I/O mode of the DUT port pair. Written as a spec string:
 *   dpdk[:DEVARGS]            e.g. dpdk, dpdk:net_ring0
 *   afxdp[:native|skb][:copy|zc]
 *   kernel:MODEL              MODEL one of cp_cmp_kernel_models[]
 *   kernel:all                every kernel model (expands)
 *   all                       dpdk, afxdp:native:copy, afxdp:skb:copy and
 *                             every kernel model
 */
struct cp_cmp_mode {
	char name[CP_CMP_NAME_MAX]; /* canonical spec, e.g. "kernel:epoll-et" */
	char backend[16]; /* "dpdk", "afxdp", "kernel" */
	char dev[128]; /* dpdk devargs; "" = the daemon's own */
	char io_model[32]; /* kernel */
	bool xdp_skb; /* afxdp: SKB (generic) mode */
	bool zerocopy; /* afxdp: require zero-copy */
};

extern const char *const cp_cmp_kernel_models[];

/* Parse a comma-separated list of specs, appending to modes[] (*n in/out,
 * duplicates dropped). -EINVAL with the bad item named in err. */
int cp_cmp_modes_parse(const char *list, struct cp_cmp_mode *modes,
		       unsigned int *n, unsigned int max, char *err,
		       size_t errlen);

/* What one trial asks of the generator. */
struct cp_cmp_trial_req {
	double rate; /* pps */
	double duration; /* s */
	uint16_t frame; /* bytes incl. the 4-byte FCS, as testers count
			 * (dp_gen_conf.frame_size) */
	uint32_t flows; /* distinct 5-tuples */
};

/*
 * What one trial measured. Counters are deltas over the trial. The DUT
 * counters describe the forwarding core(s) only (not the generator's).
 * Unknown counters: leave 0 and clear the matching have_* flag.
 */
struct cp_cmp_sample {
	double duration; /* measured seconds (wall) */
	uint64_t tx; /* generator sent = offered */
	uint64_t rx; /* sink received = forwarded */
	uint64_t dut_pkts; /* packets the DUT core(s) received */
	uint64_t dut_tx; /* packets the DUT core(s) sent (have_dut_tx) */
	uint64_t dut_busy_cyc; /* TSC cycles spent on bursts with work */
	uint64_t dut_total_cyc; /* TSC cycles elapsed on the DUT core(s) */
	uint64_t syscalls; /* syscalls made by the DUT core(s) */
	uint64_t ring_drops; /* RX ring / socket overflows (imissed,
			      * tp_drops, XDP ring full, rx_nombuf) */
	uint64_t tx_full; /* packets dropped for a full TX ring */
	double lat_p50_ns; /* NAN when not measured */
	double lat_p99_ns;
	bool have_cycles; /* also: dut_pkts is known */
	bool have_syscalls;
	bool have_drops;
	bool have_dut_tx;
};

/* What limited a result: the CSV/JSON "limit" column. */
#define CP_CMP_FOREACH_LIMIT(_)                                                \
	_(NONE, "none", "no loss at the highest rate offered")                 \
	_(GENERATOR, "generator",                                              \
	  "the generator could not offer the rate asked")                      \
	_(DUT_CORE, "dut-core", "the DUT core was busy all the time")          \
	_(RINGS, "rings",                                                      \
	  "lost on the way into the DUT (ring, socket buffer, link backlog) "  \
	  "while its worker was not busy (idle or preempted)")                 \
	_(TX_RING, "tx-ring", "TX ring full")                                  \
	_(SINK, "sink",                                                        \
	  "lost after the DUT sent them: the sink side of the lab")            \
	_(SEARCH_MAX, "search-max", "the search's max_rate passed")            \
	_(UNKNOWN, "unknown",                                                  \
	  "loss that neither a counter nor the DUT's packet counts place")

enum cp_cmp_limit {
#define CP_CMP_LIMIT_ENUM(e, n, d) CP_CMP_LIM_##e,
	CP_CMP_FOREACH_LIMIT(CP_CMP_LIMIT_ENUM)
#undef CP_CMP_LIMIT_ENUM
		CP_CMP_LIM__COUNT
};

const char *cp_cmp_limit_name(enum cp_cmp_limit l);
const char *cp_cmp_limit_desc(enum cp_cmp_limit l);
/* Parse back a name (JSON reader); -1 when unknown. */
int cp_cmp_limit_parse(const char *name);

/* Per-trial derived metrics (NAN where the sample lacks the counter). */
struct cp_cmp_metrics {
	double offered_mpps, forwarded_mpps, loss;
	double dut_rx_mpps; /* what the DUT core(s) received: its throughput
			     * when the lab's sink is what limits forwarded */
	double cycles_per_pkt, syscalls_per_pkt, cpu_busy;
	double lat_p50_us, lat_p99_us;
};

void cp_cmp_metrics_of(struct cp_cmp_metrics *m, const struct cp_cmp_sample *s);
/*
 * Explain a trial: requested rate vs sample. No loss: GENERATOR when it
 * offered less than (1 - CP_CMP_GEN_TOL) of the rate, else NONE. Loss is
 * first placed, from the packet counts, before the DUT (offered - DUT
 * received) or after it (DUT sent - forwarded; DUT sent = dut_tx, or DUT
 * received - tx_full when the backend does not say):
 *   after:  TX_RING when tx_full explains half of it, else SINK;
 *   before: DUT_CORE when the core was >= 90% busy, else RINGS (counted
 *           when ring_drops explain half of it, else inferred: the packets
 *           never reached a core that had time for them: an RX ring, a
 *           socket buffer or, on veth, the sender's backlog overflowed).
 * Without a DUT packet count the drop counters alone decide (tx_full,
 * ring_drops, busy >= 90%); UNKNOWN only when nothing does. why (may be
 * NULL) gets one line naming the numbers and the method.
 */
enum cp_cmp_limit cp_cmp_limit_explain(double rate,
				       const struct cp_cmp_sample *s, char *why,
				       size_t whylen);
enum cp_cmp_limit cp_cmp_limit_of(double rate, const struct cp_cmp_sample *s);

/* One trial as measured: results.json lists every MRR trial and every
 * trial of the reported search, so each number can be checked against
 * the counters it came from. */
struct cp_cmp_trial_rec {
	double rate; /* asked, pps */
	double duration; /* asked, s */
	double meas_s; /* measured (sample duration) */
	uint64_t tx, rx, dut_pkts, dut_tx, ring_drops, tx_full, syscalls;
	struct cp_cmp_metrics m;
	enum cp_cmp_limit limit;
	bool have_dut_pkts, have_dut_tx, have_drops;
	bool repeated; /* search: generator short, asked again (not used) */
};

struct cp_cmp_ndr {
	double mpps; /* the bound (requested rate) */
	double offered_mpps; /* measured at that trial */
	double forwarded_mpps;
	double lower_mpps, upper_mpps;
	/* the highest rate the generator really offered (tx over the
	 * measured seconds) in any trial of the search that met the loss
	 * target, 0 when none did: a lower bound on the DUT's NDR/PDR that
	 * holds even when the generator could not keep the rate asked
	 * (trials with rx > tx, late packets of an earlier trial, skipped) */
	double met_mpps;
	double cycles_per_pkt; /* at the bound's trial */
	double lat_p50_us, lat_p99_us;
	unsigned int trials;
	enum cp_cmp_status status;
	struct cp_cmp_stat reps; /* bound over the search repetitions */
	/* why the rate above the bound failed (the upper-bound trial) */
	enum cp_cmp_limit limit;
	char limit_why[CP_CMP_ERR_MAX];
};

/* One mode x frame size x flow count. */
struct cp_cmp_result {
	struct cp_cmp_mode mode;
	uint16_t frame;
	uint32_t flows;
	bool ok; /* false: mode could not run, see error */
	char error[CP_CMP_ERR_MAX];
	char mode_desc[CP_CMP_NAME_MAX]; /* what the backend says it runs */
	unsigned int reps;
	/* MRR: trials at max_rate, median and spread over reps */
	struct cp_cmp_stat offered_mpps, forwarded_mpps, loss, dut_rx_mpps;
	struct cp_cmp_stat cycles_per_pkt, syscalls_per_pkt, cpu_busy;
	struct cp_cmp_stat lat_p50_us, lat_p99_us;
	struct cp_cmp_ndr ndr, pdr; /* ok && search: bounds */
	bool searched;
	enum cp_cmp_limit limit; /* of the MRR (most repetitions' reason) */
	char limit_why[CP_CMP_ERR_MAX];
	char method[2 * CP_CMP_ERR_MAX];
	/* the raw trials: MRR repetitions (reps of them) and the reported
	 * search repetition's trials (ndr.trials of them) */
	struct cp_cmp_trial_rec mrr_trials[CP_CMP_REPS_MAX];
	struct cp_cmp_trial_rec search_trials[CP_CMP_TRIALS_MAX];
	unsigned int n_search_trials;
};

struct cp_cmp_conf {
	struct cp_cmp_mode modes[CP_CMP_MODES_MAX];
	unsigned int nb_modes;
	uint16_t frames[CP_CMP_SIZES_MAX];
	unsigned int nb_frames;
	uint32_t flows[CP_CMP_FLOWS_MAX];
	unsigned int nb_flows;
	unsigned int reps; /* MRR trials per combination */
	double trial_s; /* MRR trial duration */
	bool search; /* run the NDR/PDR search */
	unsigned int search_reps; /* searches per combination */
	struct cp_cmp_search_conf sc;
};

/* Defaults: modes "all", 64-byte frames, 1 flow, 3 reps of 1 s, search on
 * (1 rep), cp_cmp_search_conf_default. */
void cp_cmp_conf_default(struct cp_cmp_conf *c);
int cp_cmp_conf_check(const struct cp_cmp_conf *c, char *err, size_t errlen);

enum cp_cmp_step_kind {
	CP_CMP_STEP_MODE, /* switch the DUT to step.mode */
	CP_CMP_STEP_TRIAL, /* run step.req */
	CP_CMP_STEP_DONE,
};

struct cp_cmp_step {
	enum cp_cmp_step_kind kind;
	const struct cp_cmp_mode *mode;
	struct cp_cmp_trial_req req;
};

struct cp_cmp_run;

int cp_cmp_run_new(struct cp_cmp_run **r, const struct cp_cmp_conf *c,
		   char *err, size_t errlen);
void cp_cmp_run_free(struct cp_cmp_run *r);
/* What to do next; CP_CMP_STEP_DONE when every result is in. */
void cp_cmp_run_next(struct cp_cmp_run *r, struct cp_cmp_step *st);
/* The mode switch finished: rc 0 (desc: what the backend runs, may be
 * NULL) or -errno with a message (the mode is reported, not measured). */
void cp_cmp_run_feed_mode(struct cp_cmp_run *r, int rc, const char *desc,
			  const char *err);
/* The trial finished: rc 0 and *s, or -errno (the combination fails). */
void cp_cmp_run_feed_trial(struct cp_cmp_run *r, int rc,
			   const struct cp_cmp_sample *s, const char *err);
/* Progress, e.g. for `linerate compare status`. */
void cp_cmp_run_progress(const struct cp_cmp_run *r, unsigned int *done,
			 unsigned int *total, char *what, size_t whatlen);
const struct cp_cmp_result *cp_cmp_run_results(const struct cp_cmp_run *r,
					       unsigned int *n);
const struct cp_cmp_conf *cp_cmp_run_conf(const struct cp_cmp_run *r);

/* A blocking driver: what the daemon's dataplane, or a fake, does. */
struct cp_cmp_driver {
	void *ctx;
	int (*set_mode)(void *ctx, const struct cp_cmp_mode *m, char *desc,
			size_t desclen, char *err, size_t errlen);
	int (*trial)(void *ctx, const struct cp_cmp_trial_req *req,
		     struct cp_cmp_sample *s, char *err, size_t errlen);
};

/* Drive r to the end through d. Progress lines go to log (may be NULL). */
int cp_compare_run(struct cp_cmp_run *r, const struct cp_cmp_driver *d,
		   FILE *log);

/* ---- the fake backend: a synthetic rate limiter ------------------------- */

enum cp_cmp_fake_model {
	CP_CMP_FAKE_HARD, /* forwards min(offered, limit) */
	CP_CMP_FAKE_RAMP, /* above limit, loss ratio = ramp * (r/limit - 1) */
	CP_CMP_FAKE_FLOOR, /* hard cap, and always loses floor of what passes */
};

struct cp_cmp_fake {
	enum cp_cmp_fake_model model;
	double limit; /* pps the DUT sustains */
	double gen_max; /* pps the generator can offer (0: unlimited) */
	double ramp; /* RAMP slope */
	double floor; /* FLOOR loss ratio */
	double noise; /* relative capacity noise per trial, uniform */
	unsigned int stall_every; /* every Nth trial the generator offers
				   * half the rate (0: never) */
	uint64_t seed; /* xorshift state, never 0 */
	double cycles_per_pkt; /* reported DUT cost at full load */
	unsigned int trials;
	/* per mode limit scaling, by mode name prefix ("kernel:" 0.1 ...) */
	double mode_scale;
	char fail_mode[CP_CMP_NAME_MAX]; /* set_mode fails for this name */
};

void cp_cmp_fake_init(struct cp_cmp_fake *f, enum cp_cmp_fake_model model,
		      double limit, uint64_t seed);
/* For cp_cmp_search_run. */
int cp_cmp_fake_trial(void *fake, double rate, double duration, uint64_t *tx,
		      uint64_t *rx);
/* A cp_cmp_driver around the fake (limit scaled per backend). */
void cp_cmp_fake_driver(struct cp_cmp_fake *f, struct cp_cmp_driver *d);

/* ---- 3. output ----------------------------------------------------------- */

/* The machine the numbers came from. */
struct cp_cmp_machine {
	char cpu[128];
	unsigned int cores;
	double mhz;
	char kernel[128];
	bool virtualised;
	char hypervisor[64];
	/* /proc/loadavg when probed (the end of a run): 1, 5, 15 minutes;
	 * other work on the machine moves every number a run reports */
	double load[3];
};

void cp_cmp_machine_probe(struct cp_cmp_machine *m);

void cp_cmp_table_print(FILE *f, const struct cp_cmp_result *res,
			unsigned int n);
int cp_cmp_json_write(const char *path, const struct cp_cmp_conf *c,
		      const struct cp_cmp_machine *m,
		      const struct cp_cmp_result *res, unsigned int n);
/* The JSON document as a string (caller frees); the daemon replies this. */
char *cp_cmp_json_dump(const struct cp_cmp_conf *c,
		       const struct cp_cmp_machine *m,
		       const struct cp_cmp_result *res, unsigned int n);
/* Parse a document cp_cmp_json_dump wrote: results into *res (malloc'd,
 * caller frees), machine into *m when non-NULL. -EINVAL + err on bad input. */
int cp_cmp_json_parse(const char *text, struct cp_cmp_result **res,
		      unsigned int *n, struct cp_cmp_machine *m, char *err,
		      size_t errlen);
int cp_cmp_csv_write(const char *path, const struct cp_cmp_result *res,
		     unsigned int n);
/* The CSV header, for readers and tests. */
extern const char cp_cmp_csv_header[];

/*
 * Charts: runs gnuplot on script (NULL: $LR_PLOT_SCRIPT, else the source
 * tree's scripts/plot-compare.gp) with the CSV, writing mpps.{png,svg},
 * cycles.{png,svg} into outdir, and desc-scaling.{png,svg} when desc_csv
 * (the kernel models' descriptor-scaling CSV) exists: as scripts/fdscale.sh
 * writes it (long, one row per model and socket count; then also
 * desc-syscalls.{png,svg}) or wide (descriptors, one column per series).
 * -ENOENT when gnuplot is missing, -EIO when it failed (message in err).
 */
int cp_cmp_plot(const char *script, const char *csv, const char *desc_csv,
		const char *outdir, char *err, size_t errlen);

/* Everything at once into outdir: results.json, results.csv, table.txt,
 * charts (none when no result was measured). Returns 0, or -errno with err
 * naming the file. */
int cp_cmp_write_all(const char *outdir, const struct cp_cmp_conf *c,
		     const struct cp_cmp_result *res, unsigned int n,
		     const char *desc_csv, char *err, size_t errlen);

#endif
