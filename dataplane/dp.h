/* SPDX-License-Identifier: MIT */
/*
 * The dataplane's public API: everything the control plane (linerated's event
 * loop, the CLI commands, metrics) needs, and nothing of the hot path.
 *
 * Life cycle (one control thread calls all of these; none blocks on a
 * worker except dp_stop and the table publishes, which wait for a grace
 * period of at most a few bursts):
 *
 *   dp_eal_init(conf)          EAL in every mode (hugepages or --no-huge)
 *   dp_create(conf, &dp)       ports opened, mempools, tables built
 *   dp_start(dp)               ports started, workers launched (pinned)
 *   ... dp_stats_*, dp_*_set, dp_port_*, dp_gen_* ...
 *   dp_stop(dp)                workers stopped and joined, ports drained
 *   dp_destroy(dp)             everything freed
 *   dp_eal_cleanup()
 *
 * Errors: -errno, and a message naming the object and the reason in err.
 * Publishing tables: a new table is built off to the side, its pointer
 * published with a C11 release store; workers pick it up at the next burst
 * boundary and report quiescent states (rte_rcu_qsbr); the old table is freed
 * once every worker has passed one. Workers never wait for the control
 * plane and never see a half-made table.
 *
 * Counters: each worker owns one cache-aligned block and writes it with
 * plain adds; dp_stats_worker() copies one block (values may be a burst
 * apart from each other, never torn on x86-64), readers sum the blocks.
 */
#ifndef DP_H
#define DP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dp_conf.h"
#include "lr_reasons.h"
#include "port.h"

struct dp;

/* ---- life cycle ---- */

/* Initialise DPDK's EAL from conf->eal (once per process). argv0 names the
 * program in EAL's messages. Logs whether hugepages are used, or warns that
 * --no-huge is. */
int dp_eal_init(const struct dp_config *conf, const char *argv0, char *err,
		size_t errlen);
void dp_eal_cleanup(void);
/* The dataplane's own messages (stderr): 0 errors .. 3 debug; default 2. */
void dp_log_set_level(int level);

/* Build the dataplane from a validated model (copied; conf may be freed
 * afterwards). Opens every port; when one fails, err names it and nothing
 * stays open. */
int dp_create(const struct dp_config *conf, struct dp **out, char *err,
	      size_t errlen);
/* Start every port, then launch the workers. A port that fails to start:
 * err names it and the reason, nothing else is started. */
int dp_start(struct dp *dp, char *err, size_t errlen);
/* Stop workers (join), flush their TX buffers, stop ports. Idempotent. */
void dp_stop(struct dp *dp);
void dp_destroy(struct dp *dp);
/* Periodic work on the control thread (linerated: every 50 ms): drains the
 * workers' L2 learn rings on every call, ages L2 entries once a second.
 * Cheap when there is nothing to do. */
void dp_housekeeping(struct dp *dp);
/* True once every worker's generator has sent its configured count
 * (or when there are none with a count). For bounded runs. */
bool dp_gen_done(const struct dp *dp);

/* Apply the reloadable parts of a new model: tables (routes, neighbours,
 * ACL, MACs, generated routes), modes, ACL flags, peers, L2 settings and
 * generator settings. Ports, workers and EAL must be unchanged (else
 * -EINVAL naming the first difference, nothing applied). All or nothing:
 * every changed table is built first and all are published together; on
 * any error the dataplane and dp_config() stay exactly as they were. */
int dp_apply(struct dp *dp, const struct dp_config *conf, char *err,
	     size_t errlen);
/* The model the dataplane runs now (after dp_apply and dp_*_set). */
const struct dp_config *dp_config(const struct dp *dp);

/* ---- inventory ---- */

unsigned int dp_port_count(const struct dp *dp);
/* The port (name, backend, MAC, queues, up) or NULL. */
const struct dp_port *dp_port_get(const struct dp *dp, uint16_t id);
int dp_port_find(const struct dp *dp, const char *name); /* id or -ENOENT */

struct dp_worker_info {
	int core;
	unsigned int lcore;  /* DPDK lcore id the thread registered as */
	bool running;
	uint16_t nb_rxq;
	struct {
		uint16_t port, queue;
	} rxq[DP_PORT_MAX];
};
unsigned int dp_worker_count(const struct dp *dp);
int dp_worker_get(const struct dp *dp, unsigned int w,
		  struct dp_worker_info *out);

/* Backend's own counters of a port (ethdev stats/xstats ...). */
int dp_port_xstats(struct dp *dp, uint16_t id, struct dp_port_kv *kv,
		   int max);

/* ---- counters ---- */

struct dp_pq_stats { /* one port, one queue (= one worker) */
	uint64_t rx_pkts, rx_bytes;
	uint64_t tx_pkts, tx_bytes;
};

/* Latency histogram: log2 buckets of TSC cycles with 8 linear
 * sub-buckets each (bucket error < 12.5%). */
#define DP_LAT_BUCKETS (64 * 8)

struct dp_sink_stats {
	uint64_t pkts, bytes;
	uint64_t foreign;   /* no generator magic: counted, not tracked */
	uint64_t lost;      /* sequence gaps not (yet) filled */
	uint64_t reordered; /* arrived after a later one of its flow */
	uint64_t dup;       /* seen twice */
	uint64_t lat_count;
	uint64_t lat_max;   /* TSC cycles */
	uint64_t lat[DP_LAT_BUCKETS];
};

struct dp_gen_stats {
	uint64_t pkts, bytes;
	uint64_t no_buf;  /* bursts the backend had no buffers for */
	uint64_t tx_full; /* built but not taken by TX (freed) */
};

struct dp_worker_stats {
	uint64_t tsc_hz;
	uint64_t busy_cycles;  /* polls that moved at least one packet */
	uint64_t idle_cycles;  /* polls that found nothing */
	uint64_t polls, empty_polls;
	uint64_t rx_bursts;    /* non-empty RX bursts */
	/* Of them, bursts the io fast path received and handed to the peer
	 * whole in one backend call (worker.c poll_io_direct; what the peer
	 * did not take counts as tx_full). */
	uint64_t fast_bursts;
	uint64_t rx_pkts, tx_pkts; /* totals over every port */
	uint64_t drops[LR_R__COUNT];
	/* l2 learning: events queued to the control thread, and events lost
	 * because this worker's learn ring was full (the packet itself is
	 * forwarded all the same: not a drop reason). */
	uint64_t l2_learn_events, l2_learn_drops;
	struct dp_pq_stats port[DP_PORT_MAX];
	struct dp_gen_stats gen;
	struct dp_sink_stats sink;
};

/* Copy worker w's counter block. */
int dp_stats_worker(const struct dp *dp, unsigned int w,
		    struct dp_worker_stats *out);
/* Sum over every worker (tsc_hz copied, not summed). */
void dp_stats_total(const struct dp *dp, struct dp_worker_stats *out);
/* Derived figures of a block (or of the difference of two snapshots). */
double dp_stats_cycles_per_pkt(const struct dp_worker_stats *s);
double dp_stats_avg_burst(const struct dp_worker_stats *s);
/* Percentile p (0..100) of the sink's latency, in nanoseconds. */
double dp_sink_lat_pct_ns(const struct dp_sink_stats *s, uint64_t tsc_hz,
			  double p);
/* Upper bound (exclusive), in TSC cycles, of latency bucket i. */
uint64_t dp_lat_bucket_upper(unsigned int i);
/* a -= b, field by field (for rates between two snapshots). */
void dp_stats_sub(struct dp_worker_stats *a, const struct dp_worker_stats *b);

/* ACL per-rule hits of the current table, summed over workers: fills
 * hits[0..n) (rule order as configured), returns the number of rules. */
size_t dp_acl_hits(const struct dp *dp, uint64_t *hits, size_t n);

/* ---- tables (RCU publish; the arrays are copied) ---- */

/* Replace routes and neighbours together (one L3 table). */
int dp_routes_set(struct dp *dp, const struct dp_route_conf *routes,
		  size_t nb_routes, const struct dp_neigh_conf *neighs,
		  size_t nb_neighs, const struct dp_routes_gen *gen,
		  char *err, size_t errlen);
int dp_acl_set(struct dp *dp, const struct dp_acl_rule_conf *rules,
	       size_t n, enum dp_acl_action dflt, char *err, size_t errlen);
/* Static MACs; learned entries are kept when their port still exists. */
int dp_macs_set(struct dp *dp, const struct dp_mac_conf *macs, size_t n,
		char *err, size_t errlen);

/* Bytes of DPDK memory held by mempools and by tables (for `show mem`). */
struct dp_mem_info {
	uint64_t mempool_bytes;
	uint64_t l3_bytes; /* FIB v4 + v6 + next hops + neighbours */
	uint64_t acl_bytes;
	uint64_t l2_bytes;
	uint64_t heap_bytes; /* DPDK heap in use, all of it */
};
void dp_mem_info(const struct dp *dp, struct dp_mem_info *out);

/* ---- per-port runtime settings ---- */

int dp_port_set_mode(struct dp *dp, uint16_t port, enum dp_fwd_mode mode,
		     char *err, size_t errlen);
int dp_port_set_acl(struct dp *dp, uint16_t port, bool on);
int dp_port_set_peer(struct dp *dp, uint16_t port, uint16_t peer);
/* Link administratively up/down: a stopped port is not polled and packets
 * routed to it count as LR_R_PORT_DOWN. */
int dp_port_start(struct dp *dp, uint16_t port, char *err, size_t errlen);
int dp_port_stop(struct dp *dp, uint16_t port);
/*
 * Switch ports' backends (or any of their dp_port_conf) at run time, as one
 * batch: ports[i] gets confs[i]. Every port of the batch goes admin down,
 * every running worker flushes its TX buffers and detaches from their
 * queues (an RCU grace period after); all are stopped and closed, then
 * opened (and started, if they were) with the new confs. All or nothing:
 * when one fails, those already opened are closed again and every port
 * is opened with its old conf; the error names the port and the reason (a
 * port that cannot be reverted either stays down, its backend "closed",
 * and the message says so). Then admin up as each was. A conf's name must
 * be empty or the port's name; a port may appear once.
 *
 * AF_XDP: every afxdp port shares the UMEM pool of its queue q with the
 * other afxdp ports, and the pool's first socket is the UMEM's own, so a
 * port joins or leaves afxdp together with all of them: when the batch
 * opens or closes an afxdp port, every other afxdp port is added to it
 * with its unchanged conf (logged). Their pools are torn down (frame
 * accounting audited, see afxdp.h) and made afresh, the XDP program
 * leaves an interface that leaves afxdp (and the MTU the backend set is
 * put back). The rules of the config are checked first for the new
 * confs (queue q of every afxdp port polled by one worker; an io peer on
 * afxdp polled by the workers that forward to it): -EINVAL, nothing
 * touched.
 *
 * Waiting for the workers is bounded: one that does not answer or pass a
 * quiescent state within 2 s fails the switch with "port X: worker N did
 * not quiesce within 2000 ms" (-ETIMEDOUT), before anything was closed.
 * The queue plan is the ports' as at create (one RX queue per polling
 * worker, a TX queue per worker). Control thread only. Returns 0, or
 * -errno (the ports run their old confs unless the message says not).
 */
int dp_ports_reopen(struct dp *dp, unsigned int n, const uint16_t *ports,
		    const struct dp_port_conf *confs, char *err, size_t errlen);
/* dp_ports_reopen of one port. */
int dp_port_reopen(struct dp *dp, uint16_t port, const struct dp_port_conf *c,
		   char *err, size_t errlen);

/* ---- generator ---- */

int dp_gen_set(struct dp *dp, uint16_t port, const struct dp_gen_conf *g,
	       char *err, size_t errlen);
int dp_gen_start(struct dp *dp, uint16_t port);
int dp_gen_stop(struct dp *dp, uint16_t port);
/* Reset every sink's flow tracking and counters (new measurement). */
void dp_sink_reset(struct dp *dp);

#endif
