// SPDX-License-Identifier: MIT
/*
 * The worker: one pinned pthread per configured core, registered as a DPDK
 * lcore (so mempool caches work), polling its (port, queue) list.
 *
 * One round: for each of its queues — run the port's generator (if any,
 * TSC-paced), rx_burst (lazy when nothing reads the packets: io without
 * the ACL, RX dropped; see port.h), then by the port's RX role: sink,
 * drop, or the pipeline (ACL in front when on: denied packets are freed
 * and leave the burst; then the port's forwarding mode, which writes
 * out[]/reason[] per packet) and dispatch: drops are freed in one call and
 * counted by reason, the rest are appended to a TX buffer per output port,
 * sent when it holds a full burst (a whole burst for one idle output goes
 * out directly, send_direct). Buffers are flushed on a
 * TSC deadline (~100 µs) so a trickle is not held back. At the end of a
 * round the worker reports a quiescent state (tables may be swapped) and
 * books the round's cycles as busy or idle.
 *
 * The io fast path: a queue whose port forwards io (no ACL) to an up peer
 * of the same backend and buffer domain is polled by poll_io_direct, one
 * backend call (io_direct) that receives and, for a full burst, sends it
 * whole. Its settings are not read per burst but planned (worker_plan)
 * whenever dp->rt_gen moves, which every change to them bumps (dp.c
 * rt_changed): one load of rt_gen before each poll, so a poll that starts
 * after a change returned sees it (a round can wait in a kernel port's
 * rx_burst for up to 100 ms; poll_queue reads mode and ACL after its
 * rx_burst besides).
 *
 * Per packet: no syscall, lock, atomic RMW or log line; counters are plain
 * adds into this worker's own block; per-port settings are relaxed atomic
 * loads once per burst (the fast path: rt_gen, once per burst).
 */
#include <errno.h>
#include <sched.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_prefetch.h>
#include <rte_rcu_qsbr.h>

#include "dp_internal.h"

#define DP_DRAIN_US 100

/* A non-empty RX burst: n packets, bytes bytes, on port pid. */
static inline void count_rx(struct dp_worker_stats *st, uint16_t pid,
			    unsigned int n, uint64_t bytes)
{
	st->rx_bursts++;
	st->rx_pkts += n;
	st->port[pid].rx_pkts += n;
	st->port[pid].rx_bytes += bytes;
}

/* n packets given to port o's tx_burst, sent of them (bytes bytes) sent;
 * the rest were freed: tx_full. */
static inline void count_tx(struct dp_worker_stats *st, uint16_t o,
			    unsigned int n, unsigned int sent, uint64_t bytes)
{
	st->port[o].tx_pkts += sent;
	st->port[o].tx_bytes += bytes;
	st->tx_pkts += sent;
	st->drops[LR_R_TX_FULL] += n - sent;
}

static void tx_flush(struct dp_worker *w, uint16_t o)
{
	struct dp *dp = w->dp;
	struct dp_txbuf *t = &w->tx[o];
	struct dp_port *op = &dp->ports[o];
	struct dp_port *sp = &dp->ports[t->src_port];
	struct dp_worker_stats *st = w->st;
	uint16_t n = t->n, sent = 0, i;
	uint64_t bytes = 0;
	bool foreign;

	if (n == 0)
		return;
	t->n = 0;
	if (unlikely(!atomic_load_explicit(&dp->rt[o].admin_up,
					   memory_order_relaxed) ||
		     w->txq[o] == DP_NO_QUEUE)) {
		sp->ops->free_bufs(sp, t->src_queue, t->buf, n);
		st->drops[LR_R_PORT_DOWN] += n;
		return;
	}
	foreign = op->buf_domain == NULL || op->buf_domain != sp->buf_domain;
	sent = op->ops->tx_burst(op, w->txq[o], t->data, t->len, t->buf, n,
				 foreign);
	if (op->ops->tx_flush)
		op->ops->tx_flush(op, w->txq[o]);
	for (i = 0; i < sent; i++)
		bytes += t->len[i];
	if (foreign)
		sp->ops->free_bufs(sp, t->src_queue, t->buf, n);
	else if (sent < n)
		sp->ops->free_bufs(sp, t->src_queue, t->buf + sent, n - sent);
	count_tx(st, o, n, sent, bytes);
}

void dp_worker_flush_all(struct dp_worker *w)
{
	uint16_t o;

	for (o = 0; o < w->dp->nb_ports; o++)
		if (w->tx[o].n)
			tx_flush(w, o);
}

/*
 * dp_port_reopen's request, in this worker's thread: the port is already
 * admin down (nothing new is polled from or sent to it), so after this
 * flush no TX buffer holds its buffers or buffers for it; then per-thread
 * state about its queues goes (the kernel backend's waiter).
 */
void dp_worker_detach(struct dp_worker *w, uint16_t port)
{
	struct dp_port *p = &w->dp->ports[port];
	unsigned int i;

	dp_worker_flush_all(w);
	for (i = 0; i < w->nb_rxq; i++)
		if (w->rxq[i].port == port && p->ops && p->ops->queue_detach)
			p->ops->queue_detach(p, w->rxq[i].queue);
}

/* Append one packet (a flood copy) to output o's TX buffer. */
void dp_worker_tx_one(struct dp_worker *w, uint16_t o, uint8_t *data,
		      uint16_t len, uintptr_t buf, uint16_t sp, uint16_t sq)
{
	struct dp_txbuf *t = &w->tx[o];

	if (t->n && (t->src_port != sp || t->src_queue != sq))
		tx_flush(w, o);
	t->src_port = sp;
	t->src_queue = sq;
	t->data[t->n] = data;
	t->len[t->n] = len;
	t->buf[t->n] = buf;
	if (++t->n == DP_BURST)
		tx_flush(w, o);
}

/* Hand every packet of the burst to its output's TX buffer or free it. */
static void dispatch(struct dp_worker *w, struct dp_burst *b)
{
	struct dp_worker_stats *st = w->st;
	uintptr_t drop[DP_BURST];
	uint16_t nd = 0, i;

	for (i = 0; i < b->n; i++) {
		uint16_t o = b->out[i];
		struct dp_txbuf *t;

		if (o >= w->dp->nb_ports) {
			drop[nd++] = b->buf[i];
			st->drops[o == DP_OUT_DROP ? b->reason[i]
						   : LR_R_PORT_DOWN]++;
			continue;
		}
		t = &w->tx[o];
		if (t->n && (t->src_port != b->port || t->src_queue != b->queue))
			tx_flush(w, o);
		t->src_port = b->port;
		t->src_queue = b->queue;
		t->data[t->n] = b->data[i];
		t->len[t->n] = b->len[i];
		t->buf[t->n] = b->buf[i];
		if (++t->n == DP_BURST)
			tx_flush(w, o);
	}
	if (nd) {
		struct dp_port *ip = &w->dp->ports[b->port];

		ip->ops->free_bufs(ip, b->queue, drop, nd);
	}
}

/* Lazy bursts (port.h): fill data[]/len[] when something reads them. */
static inline void burst_fill(struct dp_worker *w, struct dp_burst *b)
{
	struct dp_port *ip = &w->dp->ports[b->port];

	if (b->lazy) {
		ip->ops->fill_meta(ip, b);
		b->lazy = 0;
	}
}

/*
 * The whole burst goes to one output (io; macswap without runts) and
 * nothing is buffered for it: hand the burst's own arrays to the output's
 * tx_burst, with no per-packet dispatch (testpmd's iofwd path). Small
 * bursts are buffered instead, so a trickle from several queues still
 * leaves in full bursts. A lazy burst stays lazy unless it is copied into
 * another buffer domain. Inlined into each caller: the call's register
 * saves were ~30 instructions a burst (callgrind, io on net_null: 136.3 ->
 * 135.4 a packet).
 */
static inline __attribute__((always_inline)) bool
send_direct(struct dp_worker *w, struct dp_burst *b, uint16_t o,
			uint64_t bytes)
{
	struct dp *dp = w->dp;
	struct dp_port *op, *sp = &dp->ports[b->port];
	struct dp_worker_stats *st = w->st;
	uint16_t n = b->n, sent, i, q = w->txq[o];
	bool foreign;

	if (o >= dp->nb_ports || w->tx[o].n || n < DP_BURST / 2 ||
	    q == DP_NO_QUEUE ||
	    !atomic_load_explicit(&dp->rt[o].admin_up, memory_order_relaxed))
		return false;
	op = &dp->ports[o];
	foreign = op->buf_domain == NULL || op->buf_domain != sp->buf_domain;
	if (foreign)
		burst_fill(w, b);
	sent = op->ops->tx_burst(op, q, b->data, b->len, b->buf, n, foreign);
	if (op->ops->tx_flush)
		op->ops->tx_flush(op, q);
	if (foreign)
		sp->ops->free_bufs(sp, b->queue, b->buf, n);
	if (sent < n) {
		/* The unsent are still ours to read (and free). */
		burst_fill(w, b);
		for (i = sent; i < n; i++)
			bytes -= b->len[i];
		if (!foreign)
			sp->ops->free_bufs(sp, b->queue, b->buf + sent,
					   n - sent);
	}
	count_tx(st, o, n, sent, bytes);
	return true;
}

/*
 * The ACL runs first and denied packets leave the burst before the mode
 * sees it: l2 neither learns from nor floods a denied frame, and every
 * mode (and the direct send) only ever handles permitted packets.
 * Compaction keeps meta[] in step (l3 uses the ACL's parse).
 */
static void acl_filter(struct dp_worker *w, struct dp_burst *b,
		       uint64_t *bytes)
{
	struct dp_port *ip = &w->dp->ports[b->port];
	uintptr_t drop[DP_BURST];
	uint16_t i, j = 0, nd = 0;

	dp_parse_burst(b->data, b->len, b->n, b->meta);
	dp_fwd_acl(w, b);
	for (i = 0; i < b->n; i++) {
		if (b->out[i] == DP_OUT_DROP) {
			drop[nd++] = b->buf[i];
			*bytes -= b->len[i];
			continue;
		}
		if (j != i) {
			b->data[j] = b->data[i];
			b->len[j] = b->len[i];
			b->buf[j] = b->buf[i];
			b->meta[j] = b->meta[i];
		}
		j++;
	}
	if (nd) {
		ip->ops->free_bufs(ip, b->queue, drop, nd);
		w->st->drops[LR_R_ACL_DENY] += nd;
	}
	b->n = j;
}

/* mode and acl as poll_queue read them after rx_burst (b->lazy only when
 * io without the ACL). */
static void pipeline(struct dp_worker *w, struct dp_burst *b, uint8_t mode,
		     bool acl, uint64_t bytes)
{
	const struct dp_port_rt *rt = &w->dp->rt[b->port];
	uint16_t peer, i;

	/* Only the ACL needs every header parsed; l3 parses what its quick
	 * path cannot classify, the other modes look at MACs only. */
	if (acl) {
		acl_filter(w, b, &bytes);
		if (b->n == 0)
			return;
	}
	switch (mode) {
	case DP_FWD_IO:
		peer = atomic_load_explicit(&rt->peer, memory_order_relaxed);
		if (send_direct(w, b, peer, bytes))
			return;
		burst_fill(w, b);
		dp_fwd_io(w, b, peer);
		break;
	case DP_FWD_MACSWAP:
		if (dp_fwd_macswap(w, b) == 0 &&
		    send_direct(w, b, b->port, bytes))
			return;
		break;
	case DP_FWD_L2:
		dp_fwd_l2(w, b);
		break;
	default:
		peer = dp_fwd_l3(w, b, acl);
		if (peer != DP_OUT_DROP) {
			if (send_direct(w, b, peer, bytes))
				return;
			/* l3 need not write out[] for a one-port burst. */
			for (i = 0; i < b->n; i++)
				b->out[i] = peer;
		}
		break;
	}
	dispatch(w, b);
}

static unsigned int poll_queue(struct dp_worker *w, uint16_t pid, uint16_t q,
			       uint64_t now)
{
	struct dp *dp = w->dp;
	struct dp_port *p = &dp->ports[pid];
	const struct dp_port_rt *rt = &dp->rt[pid];
	struct dp_burst *b = &w->burst;
	struct dp_worker_stats *st = w->st;
	uint64_t bytes = 0;
	uint8_t mode;
	bool acl;
	uint16_t n, i;

	/* Whether anything will read the packets: io without the ACL, and
	 * dropping, can take the burst as handles only (lazy backends). */
	if (rt->rx_role == DP_RX_FORWARD)
		b->lazy = atomic_load_explicit(&rt->mode,
					       memory_order_relaxed) ==
				  DP_FWD_IO &&
			  !atomic_load_explicit(&rt->acl, memory_order_relaxed);
	else
		b->lazy = rt->rx_role != DP_RX_SINK;
	st->polls++;
	b->port = pid;
	b->queue = q;
	n = p->ops->rx_burst(p, q, b);
	if (n == 0) {
		st->empty_polls++;
		return 0;
	}
	b->n = n;
	if (p->ops->fill_meta) {
		bytes = b->bytes;
	} else {
		b->lazy = 0;
		for (i = 0; i < n; i++)
			bytes += b->len[i];
	}
	count_rx(st, pid, n, bytes);
	switch (rt->rx_role) {
	case DP_RX_FORWARD:
		/* The mode and ACL flag as they are now: a waiting backend
		 * (kernel models) may have slept in rx_burst since they were
		 * read, and a burst that arrives after a change must see it.
		 * A burst taken lazily for io is filled if it is read now. */
		mode = atomic_load_explicit(&rt->mode, memory_order_relaxed);
		acl = atomic_load_explicit(&rt->acl, memory_order_relaxed);
		if (mode != DP_FWD_IO || acl)
			burst_fill(w, b);
		pipeline(w, b, mode, acl, bytes);
		break;
	case DP_RX_SINK:
		dp_sink_burst(w, b, now);
		/* fallthrough */
	default:
		p->ops->free_bufs(p, q, b->buf, n);
		break;
	}
	return n;
}

/*
 * Which queues take the io fast path (poll_io_direct) until rt_gen moves:
 * the port forwards in io mode without the ACL, it and its peer are up,
 * the peer is of the same backend and buffer domain (the burst is handed
 * over as is), has no tx_flush and gives this worker a TX queue, and the
 * backend has io_direct. Everything else takes poll_queue, which reads the
 * settings at every burst.
 */
static void worker_plan(struct dp_worker *w, uint32_t gen)
{
	struct dp *dp = w->dp;
	unsigned int i;

	for (i = 0; i < w->nb_rxq; i++) {
		uint16_t pid = w->rxq[i].port, o;
		const struct dp_port_rt *rt = &dp->rt[pid];
		const struct dp_port *p = &dp->ports[pid], *op;

		w->rxq[i].direct_peer = DP_NO_QUEUE;
		if (!dp_io_peer(dp, pid, &o) ||
		    atomic_load_explicit(&rt->acl, memory_order_relaxed) ||
		    w->txq[o] == DP_NO_QUEUE ||
		    !atomic_load_explicit(&rt->admin_up,
					  memory_order_relaxed) ||
		    !atomic_load_explicit(&dp->rt[o].admin_up,
					  memory_order_relaxed))
			continue;
		op = &dp->ports[o];
		if (p->ops->io_direct == NULL || op->ops->tx_flush != NULL ||
		    strcmp(op->ops->backend, p->ops->backend) != 0 ||
		    p->buf_domain == NULL || op->buf_domain != p->buf_domain)
			continue;
		w->rxq[i].direct_peer = o;
		w->rxq[i].direct_txq = w->txq[o];
	}
	atomic_store_explicit(&w->plan_gen, gen, memory_order_release);
}

/* *gen = dp->rt_gen now; true when this worker's plan is older. */
static inline bool plan_stale(struct dp_worker *w, uint32_t *gen)
{
	*gen = atomic_load_explicit(&w->dp->rt_gen, memory_order_acquire);
	return *gen != atomic_load_explicit(&w->plan_gen,
					    memory_order_relaxed);
}

/*
 * poll_queue for a queue on the io fast path: one backend call receives
 * the burst and, when it is a full one (half a burst or more) and nothing
 * is buffered for the peer, sends it as it came (send_direct's rule);
 * otherwise the burst goes on through the pipeline as io, which buffers
 * it. The counters are poll_queue's and send_direct's, to the packet and
 * byte. On bench-dpdk.sh's io pair (net_null): 16.3-16.4 -> 15.0-15.9
 * cycles a packet, 0.96x -> parity with testpmd's rate (medians 0.999 to
 * 1.011); callgrind: 135.2 -> 131.9 instructions a packet, 13.4 -> 10.1
 * of them outside the PMD (testpmd's: 3.0; ~3.75 of ours are the byte
 * count, which testpmd does not keep: ~3 % of the rate).
 */
static unsigned int poll_io_direct(struct dp_worker *w, unsigned int i)
{
	struct dp *dp = w->dp;
	uint16_t pid = w->rxq[i].port, q = w->rxq[i].queue;
	uint16_t o = w->rxq[i].direct_peer, n;
	struct dp_port *p = &dp->ports[pid];
	struct dp_burst *b = &w->burst;
	struct dp_worker_stats *st = w->st;
	uint32_t tx_bytes = 0;
	int sent;

	b->lazy = 1;
	b->port = pid;
	b->queue = q;
	st->polls++;
	sent = p->ops->io_direct(p, q, &dp->ports[o], w->rxq[i].direct_txq, b,
				 w->tx[o].n ? DP_BURST + 1 : DP_BURST / 2,
				 &tx_bytes);
	n = b->n;
	if (n == 0) {
		st->empty_polls++;
		return 0;
	}
	count_rx(st, pid, n, b->bytes);
	if (sent < 0) {
		pipeline(w, b, DP_FWD_IO, false, b->bytes);
	} else {
		st->fast_bursts++;
		count_tx(st, o, n, (unsigned int)sent, tx_bytes);
	}
	return n;
}

static void worker_loop(struct dp_worker *w)
{
	struct dp *dp = w->dp;
	struct dp_worker_stats *st = w->st;
	uint64_t t0 = rte_rdtsc(), t1;
	unsigned int moved, i;

	while (!atomic_load_explicit(&w->stop, memory_order_relaxed)) {
		moved = 0;
		for (i = 0; i < w->nb_gen; i++)
			moved += dp_gen_run(w, w->gen[i], t0);
		for (i = 0; i < w->nb_rxq; i++) {
			uint16_t pid = w->rxq[i].port;
			uint32_t gen;

			/* Before every poll: the round may have waited in a
			 * kernel port's rx_burst since the last one. */
			if (unlikely(plan_stale(w, &gen)))
				worker_plan(w, gen);
			if (w->rxq[i].direct_peer != DP_NO_QUEUE) {
				moved += poll_io_direct(w, i);
				continue;
			}
			if (!atomic_load_explicit(&dp->rt[pid].admin_up,
						  memory_order_relaxed))
				continue;
			moved += poll_queue(w, pid, w->rxq[i].queue, t0);
		}
		t1 = rte_rdtsc();
		if (t1 - w->last_flush > w->drain_tsc) {
			dp_worker_flush_all(w);
			w->last_flush = t1;
		}
		if (unlikely(atomic_load_explicit(&w->detach,
						  memory_order_acquire) !=
			     DP_NO_QUEUE)) {
			dp_worker_detach(w, atomic_load(&w->detach));
			atomic_store_explicit(&w->detach, DP_NO_QUEUE,
					      memory_order_release);
		}
		rte_rcu_qsbr_quiescent(dp->qsbr, w->idx);
		if (moved)
			st->busy_cycles += t1 - t0;
		else
			st->idle_cycles += t1 - t0;
		t0 = t1;
	}
}

void *dp_worker_main(void *arg)
{
	struct dp_worker *w = arg;
	struct dp *dp = w->dp;
	char name[16];

	snprintf(name, sizeof(name), "lr-worker%u", w->idx);
	pthread_setname_np(pthread_self(), name);
	if (w->core >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(w->core, &set);
		if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set))
			dp_log(DP_LOG_WARN, "worker %u: cannot pin to CPU %d",
			       w->idx, w->core);
	}
	/* An lcore id gives this thread its own mempool caches. */
	if (rte_thread_register() == 0)
		w->lcore = rte_lcore_id();
	else
		dp_log(DP_LOG_WARN,
		       "worker %u: no free lcore id: mempool caches off",
		       w->idx);
	w->drain_tsc = dp->tsc_hz / 1000000 * DP_DRAIN_US;
	w->last_flush = rte_rdtsc();
	rte_rcu_qsbr_thread_online(dp->qsbr, w->idx);
	worker_plan(w, atomic_load_explicit(&dp->rt_gen, memory_order_acquire));
	atomic_store_explicit(&w->running, true, memory_order_release);
	worker_loop(w);
	dp_worker_flush_all(w);
	rte_rcu_qsbr_thread_offline(dp->qsbr, w->idx);
	if (w->lcore != LCORE_ID_ANY)
		rte_thread_unregister();
	atomic_store_explicit(&w->running, false, memory_order_release);
	return NULL;
}
