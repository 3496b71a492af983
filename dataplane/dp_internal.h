/* SPDX-License-Identifier: MIT */
/*
 * Dataplane internals shared by dp.c, worker.c, the forwarding modes, the
 * tables and the generator/sink. Not for the control plane (it uses dp.h).
 */
#ifndef DP_INTERNAL_H
#define DP_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

#include "dp.h"

#define DP_CACHE_LINE 64
#define DP_NO_QUEUE 0xffff
#define DP_GEN_MAGIC 0x4c52 /* "LR" */
#define DP_FLOWS_MAX DP_GEN_FLOWS_MAX

#define dp_log(lvl, ...) dp_logf(lvl, __VA_ARGS__)
enum { DP_LOG_ERR, DP_LOG_WARN, DP_LOG_INFO, DP_LOG_DEBUG };
void dp_logf(int lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ---- tables (read by workers, replaced by RCU) ---- */

struct dp_nexthop {
	uint16_t port;
	uint8_t mac[6];   /* neighbour MAC (valid when resolved) */
	uint8_t resolved; /* 0: connected route or unresolved gateway */
	uint8_t connected;
};

/* IPv4 LPM: a static DIR-24-8 (see fwd_l3.c for why not rte_fib). Entry:
 * next-hop id, or DP_LPM4_EXT | tbl8 group for /24s with longer prefixes. */
#define DP_LPM4_EXT 0x8000
struct dp_lpm4 {
	uint16_t *tbl24;   /* 1 << 24 entries */
	uint16_t *tbl8;    /* nb_tbl8 groups of 256 */
	uint32_t nb_tbl8;
};

struct dp_l3_table {
	struct dp_lpm4 lpm4; /* tbl24 NULL: no IPv4 routes */
	struct rte_fib6 *fib6;
	struct rte_hash *neigh4; /* IPv4 (4 bytes) -> index in neigh_mac */
	struct rte_hash *neigh6;
	uint32_t nb_nh;
	struct dp_nexthop *nh;   /* nb_nh entries; index 0 = "no route" */
	uint8_t (*neigh_mac)[8]; /* MAC per neighbour hash position */
	uint32_t neigh6_base;    /* IPv6 positions start here */
	uint64_t bytes;          /* memory estimate for dp_mem_info */
	unsigned int gen;        /* generation, for unique names */
};

struct dp_acl_table {
	struct rte_acl_ctx *ctx4, *ctx6;
	size_t nb_rules;
	enum dp_acl_action dflt;
	uint8_t *action;  /* per rule */
	uint64_t *hits;   /* [worker][nb_rules + 1], row stride hits_stride */
	size_t hits_stride;
	uint64_t bytes;
};

/*
 * L2 learning without writes on the worker: a worker that sees a source
 * MAC that is new, moved or whose timestamp is a second old queues a
 * learn event on its own single-producer/single-consumer ring; the control
 * thread (dp_l2_drain; dp_l2_age drains first) is the table's only writer.
 * A full ring drops the event (counted in the worker's l2_learn_drops).
 * seen[] is a small direct-mapped filter the worker alone reads and
 * writes, so that a flow from one new MAC queues one event a second, not
 * one per packet until the control thread has caught up.
 */
#define DP_L2_RING_SIZE 4096 /* ring slots per worker (power of two) */
#define DP_L2_SEEN 256       /* filter slots per worker (power of two) */

struct dp_l2_event {
	uint64_t key;  /* MAC, as in the hash */
	uint32_t secs; /* when the worker saw it (TSC seconds) */
	uint16_t port;
	uint16_t pad;
};

struct dp_l2_learner {
	struct rte_ring *ring; /* of struct dp_l2_event, SP/SC */
	/* Worker-private: key | port << 48 | 1 << 63 (0: empty), and the
	 * second it was queued. */
	uint64_t seen[DP_L2_SEEN];
	uint32_t seen_s[DP_L2_SEEN];
} __attribute__((aligned(DP_CACHE_LINE)));

struct dp_l2_table {
	struct rte_hash *h; /* MAC (8 bytes, zero-padded) -> value */
	uint32_t size;
	uint64_t bytes;
	unsigned int nb_learners;       /* one per worker (at least one) */
	struct dp_l2_learner *learners; /* [nb_learners], by worker idx */
	uint64_t learn_full; /* control thread: events the hash had no
			      * room for */
};
/* l2 value in the hash's data pointer: port | static << 16 | secs << 32 */
#define DP_L2_STATIC (1ull << 16)

/* ---- per-port runtime state (control plane writes, workers read) ---- */

struct dp_port_rt {
	_Atomic uint8_t mode;     /* enum dp_fwd_mode */
	_Atomic bool acl;
	_Atomic bool admin_up;
	_Atomic uint16_t peer;
	uint8_t rx_role;          /* enum dp_rx_role, fixed at create */
	uint16_t nb_pollers;      /* workers polling this port = RX queues */
	uint16_t nb_txq;
};

/* ---- generator and sink state (per worker) ---- */

struct dp_gen_state {
	uint16_t port, queue;
	uint16_t part, nparts; /* this worker's share of the flows */
	_Atomic bool on;
	struct dp_gen_conf c;
	_Atomic uint64_t sent;  /* built so far (worker stores, control
				 * thread reads: dp_gen_done) */
	uint64_t count;         /* this part's share of c.count (0: no end) */
	uint64_t base_tsc;      /* pacing: TSC at prepare */
	uint16_t run;           /* run id of this prepare (payload) */
	uint64_t next_fp;       /* next departure, (tsc - base) << 16 */
	uint64_t gap_fp;        /* cycles between packets << 16, 0: no pacing */
	uint32_t flow;          /* next flow index (within this part) */
	uint32_t imix_i;
	uint32_t *seq;          /* per flow */
	uint8_t port_mac[6];
};

/*
 * What the generator writes after the UDP header (little-endian); the sink
 * reads it. 16 bytes, so that a 64-byte IPv4 frame still holds it. run
 * changes on every dp_gen_prepare (gen start after a count, gen set,
 * reload): the sink starts a flow afresh when a newer run shows up instead
 * of counting the restarted sequence numbers as duplicates or reordered.
 */
struct dp_gen_payload {
	uint16_t magic;   /* DP_GEN_MAGIC */
	uint16_t flow;
	uint32_t seq;
	uint64_t tsc_run; /* TSC at build (low 48 bits) | run << 48 */
};
#define DP_GEN_TSC_MASK ((1ull << 48) - 1)

static inline uint64_t dp_gen_payload_tsc(const struct dp_gen_payload *p)
{
	return p->tsc_run & DP_GEN_TSC_MASK;
}

static inline uint16_t dp_gen_payload_run(const struct dp_gen_payload *p)
{
	return (uint16_t)(p->tsc_run >> 48);
}

struct dp_sink_flow {
	uint32_t next;   /* next expected sequence number */
	uint16_t seen;   /* 0: never seen */
	uint16_t run;    /* generator run the sequence belongs to */
	uint64_t window; /* bit i: next - 1 - i arrived */
};

/* ---- workers ---- */

struct dp_txbuf {
	uint16_t n;
	uint16_t src_port, src_queue; /* owner of the buffers in it */
	uint8_t *data[DP_BURST];
	uint16_t len[DP_BURST];
	uintptr_t buf[DP_BURST];
};

struct dp_worker {
	struct dp *dp;
	unsigned int idx;
	int core;
	unsigned int lcore;
	pthread_t tid;
	bool launched;
	_Atomic bool stop;
	_Atomic bool running;
	uint16_t nb_rxq;
	struct {
		uint16_t port, queue;
		/* The io fast path for this queue (poll_io_direct), valid
		 * while dp->rt_gen == plan_gen: peer and its TX queue, or
		 * DP_NO_QUEUE for the general path (poll_queue). */
		uint16_t direct_peer, direct_txq;
	} rxq[DP_PORT_MAX];
	/* dp->rt_gen the rxq[] plan was made for (stored with release after
	 * the plan: a reader that loads it with acquire and finds rt_gen's
	 * value sees that plan). */
	_Atomic uint32_t plan_gen;
	uint16_t txq[DP_PORT_MAX]; /* this worker's TX queue per port */
	uint16_t nb_gen;
	struct dp_gen_state *gen[DP_PORT_MAX];
	struct dp_sink_flow *sink_flows; /* DP_FLOWS_MAX, when any sink */
	_Atomic bool sink_reset;
	/* dp_port_reopen asks (port id, DP_NO_QUEUE: nothing asked): flush
	 * every TX buffer, detach from the port's queues, then answer by
	 * storing DP_NO_QUEUE. Read once per round. */
	_Atomic uint16_t detach;
	uint64_t drain_tsc, last_flush;
	uint16_t l2_secs_cache;
	struct dp_worker_stats *st; /* cache aligned, this worker writes */
	struct dp_txbuf tx[DP_PORT_MAX];
	struct dp_burst burst;
};

struct dp {
	struct dp_config conf;
	uint16_t nb_ports;
	struct dp_port ports[DP_PORT_MAX];
	bool opened[DP_PORT_MAX];
	bool started[DP_PORT_MAX];
	struct dp_port_rt rt[DP_PORT_MAX];
	/* Bumped (release) after every change to rt[] or a worker's txq[]
	 * (rt_changed): workers read it before each poll and re-plan their
	 * queues' paths when it moved. */
	_Atomic uint32_t rt_gen;
	unsigned int nb_workers;
	struct dp_worker *w[DP_WORKER_MAX];
	struct rte_rcu_qsbr *qsbr;
	struct rte_mempool *mp;
	uint64_t mp_bytes;
	_Atomic(struct dp_l3_table *) l3;
	_Atomic(struct dp_acl_table *) acl;
	_Atomic(struct dp_l2_table *) l2;
	unsigned int table_gen;
	/* L2 settings workers read (dp_apply may change them); workers never
	 * read conf, which the control thread replaces on reload. */
	_Atomic bool l2_learn, l2_flood;
	bool running;
	uint64_t tsc_hz;
	uint64_t l2_last_age;
};

/* Port id forwards in io mode to an existing port: true, with that peer
 * (the control thread's config checks and a worker's plan alike). */
static inline bool dp_io_peer(const struct dp *dp, uint16_t id,
			      uint16_t *peer)
{
	const struct dp_port_rt *rt = &dp->rt[id];

	*peer = atomic_load_explicit(&rt->peer, memory_order_relaxed);
	return rt->rx_role == DP_RX_FORWARD &&
	       atomic_load_explicit(&rt->mode, memory_order_relaxed) ==
		       DP_FWD_IO &&
	       *peer < dp->nb_ports;
}

/* Wait until every worker has passed a quiescent state (RCU grace). */
void dp_rcu_sync(struct dp *dp);

/* Tables: build (off to the side) and free. */
int dp_l3_build(struct dp *dp, const struct dp_route_conf *r, size_t nr,
		const struct dp_neigh_conf *ng, size_t nn,
		const struct dp_routes_gen *g, struct dp_l3_table **out,
		char *err, size_t errlen);
void dp_l3_free(struct dp_l3_table *t);
int dp_acl_build(struct dp *dp, const struct dp_acl_rule_conf *r, size_t n,
		 enum dp_acl_action dflt, struct dp_acl_table **out,
		 char *err, size_t errlen);
void dp_acl_free(struct dp_acl_table *t);
int dp_l2_build(struct dp *dp, const struct dp_mac_conf *m, size_t n,
		const struct dp_l2_table *old, struct dp_l2_table **out,
		char *err, size_t errlen);
void dp_l2_free(struct dp_l2_table *t);
/* Control thread: the queued learn events (dp_l2_drain), then aging. */
void dp_l2_age(struct dp *dp, uint32_t now_s);
/* Control thread: apply every queued learn event to the current table.
 * Returns how many changed it. */
unsigned int dp_l2_drain(struct dp *dp);

/* Forwarding stages: fill b->out / b->reason for every packet. */
void dp_fwd_io(struct dp_worker *w, struct dp_burst *b, uint16_t peer);
uint16_t dp_fwd_macswap(struct dp_worker *w, struct dp_burst *b);
void dp_fwd_l2(struct dp_worker *w, struct dp_burst *b);
/* parsed: b->meta is filled (the ACL ran dp_parse_burst); else l3 parses
 * what its quick path cannot take. Returns the output port when every
 * packet goes to the same one (out[] is then not necessarily written: the
 * caller fills it if it needs it), else DP_OUT_DROP with out[]/reason[]
 * written for every packet. */
uint16_t dp_fwd_l3(struct dp_worker *w, struct dp_burst *b, bool parsed);
/* ACL in front (b->meta parsed): sets out = DROP, reason ACL_DENY for
 * denied packets and out = 0 for the others (the worker then removes the
 * denied ones from the burst before the mode runs). */
void dp_fwd_acl(struct dp_worker *w, struct dp_burst *b);

/* Generator and sink. */
int dp_gen_prepare(struct dp_gen_state *g, const struct dp_gen_conf *c,
		   uint64_t tsc_hz);
unsigned int dp_gen_run(struct dp_worker *w, struct dp_gen_state *g,
			uint64_t now);
void dp_sink_burst(struct dp_worker *w, const struct dp_burst *b,
		   uint64_t now);

/* Worker. */
void *dp_worker_main(void *arg);
void dp_worker_flush_all(struct dp_worker *w);
void dp_worker_detach(struct dp_worker *w, uint16_t port);
void dp_worker_tx_one(struct dp_worker *w, uint16_t o, uint8_t *data,
		      uint16_t len, uintptr_t buf, uint16_t sp, uint16_t sq);

/* DPDK backend: the mempool every DPDK port receives into. */
void dp_dpdk_set_mempool(struct rte_mempool *mp, uint16_t nb_txq_hint);
int dp_dpdk_port_id(const struct dp_port *p);
uint16_t dp_dpdk_nb_txq(const struct dp_port *p);

#endif
