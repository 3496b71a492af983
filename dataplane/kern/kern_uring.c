// SPDX-License-Identifier: MIT
/*
 * I/O models "uring", "uring-sqpoll" and "uring-multishot": the AF_PACKET
 * socket driven through an io_uring (liburing 2.3). Variants of one model,
 * so one file: they share the ring, the completion reaping and TX.
 *
 * uring: up to two bursts of reads stay armed on the socket (READ_FIXED
 *   into slots of the queue's slab, registered once as a fixed buffer; the
 *   socket is a registered file; 8 at first, more as the port receives:
 *   see ur_arm). rx_burst reaps completions and, when half the
 *   reads are used, re-arms them and submits them together with the TX SQEs
 *   queued since: one io_uring_enter per two bursts. Reads issued while
 *   packets are queued complete inline during that enter, so under load each
 *   syscall moves two bursts. TX SQEs are held back (up to two bursts, for
 *   at most UR_TX_DEFER_MAX rx_bursts) while another queue of the thread
 *   has work, and flushed before any wait.
 * uring-sqpoll: IORING_SETUP_SQPOLL (the SQ thread pinned to
 *   conf->sqpoll_cpu when >= 0; all SQPOLL rings with the same CPU setting
 *   share one SQ thread). Submitting is a store to the SQ tail, a syscall
 *   only when the SQ thread slept and needs a wakeup, so reads are
 *   re-armed as they are used (up to 8 bursts on a port that receives)
 *   and sends are pushed at once. The worker reaps without waiting while
 *   any queue of its thread has completions and otherwise sleeps until a
 *   whole burst is ready (one io_uring_enter per burst under load); see
 *   ur_rx_sq.
 * uring-multishot: one multishot recv with a provided buffer ring (built by
 *   hand: liburing 2.3 has no io_uring_setup_buf_ring) posts a CQE per
 *   packet until the ring runs out of buffers; a CQE without
 *   IORING_CQE_F_MORE ends it (ENOBUFS when the ring ran dry) and it is
 *   re-armed once buffers are back, each re-arm counted.
 *
 * TX: IORING_OP_SEND from a slot; foreign buffers are copied into a slot first
 * (the caller frees them when tx_burst returns, the SQE may run later), our
 * own are kept until their completion. Stop submits what is held back and
 * waits (bounded) for every send's completion, so the TX counters are final
 * and no accepted frame vanishes with the ring. Waiting (uring,
 * multishot, and an idle uring-sqpoll thread): when nothing completed,
 * the ring's fd waits in the thread's poll() with the other queues.
 * CQ overflow is checked every burst and counted, never silent.
 * Features are probed at open (SQPOLL, registered files/buffers, buffer
 * rings) and every fallback is logged.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <liburing.h>
#include <poll.h>
#include <pthread.h>
#include <sys/mman.h>

#include "kern.h"

#define UR_RX 1ull
#define UR_TX 2ull
#define UR_MS 3ull
#define UR_PROBE 4ull
#define UR_UD(kind, slot) (((kind) << 32) | (uint32_t)(slot))
#define UR_BGID 0
#define UR_SQ_IDLE_MS 50
#define UR_SQ_SHARE_MAX 64
#define UR_ARM (2 * DP_BURST)   /* single-shot reads kept armed */
#define UR_ARM_SQ (8 * DP_BURST) /* SQPOLL: reads kept armed, at most */
#define UR_ARM_MIN 8             /* single-shot reads armed at first */
#define UR_BURST_WAIT_NS 200000 /* SQPOLL: longest wait for a burst */
#define UR_IDLE_NS 2000000      /* SQPOLL: no completion this long: idle */
#define UR_TX_BATCH (2 * DP_BURST) /* TX SQEs held back while busy */
#define UR_TX_DEFER_MAX 4 /* rx_bursts TX may be held back for */
#define UR_STOP_MS 500    /* stop waits this long for send completions */

enum ur_variant { UR_PLAIN, UR_SQPOLL, UR_MULTISHOT };

struct ur {
	struct io_uring ring;
	bool sqpoll;
	bool multishot;
	bool fixed_file;
	bool fixed_bufs;
	bool overflowing;
	bool ms_armed;
	bool ms_enobufs;   /* the last multishot ended with ENOBUFS */
	unsigned int armed; /* single-shot reads outstanding */
	unsigned int arm_max; /* reads to keep armed */
	unsigned int arm_cur; /* reads to keep armed now (<= arm_max) */
	unsigned int seen;  /* CQEs the last reap retired */
	unsigned int want;  /* SQPOLL: completions a wait asks for */
	bool ext_arg;       /* IORING_FEAT_EXT_ARG: waits with a timeout */
	bool join_tried;    /* SQPOLL: joined the thread's waiter (or tried) */
	unsigned int pending; /* SQEs prepared, not submitted */
	unsigned int defer;   /* rx_bursts that held pending TX back */
	unsigned int tx_out;  /* sends accepted, completion not reaped */
	unsigned int koverflow;
	int sq_cpu;        /* SQPOLL: the CPU its shared SQ thread is on */
	/* multishot: slots [0, nrx) live in the provided buffer ring */
	struct io_uring_buf_ring *br;
	size_t br_len;
	uint32_t nrx;
	int br_mask;
	int br_added;
	uint32_t br_avail;
};

/*
 * SQPOLL rings share one SQ thread per CPU setting (IORING_SETUP_ATTACH_WQ).
 * With a thread per ring, every port's SQ thread was pinned to the same
 * CPU and each spun there for sq_thread_idle after its last SQE; two of
 * them (port A reading, port B sending) time-shared that CPU in ~4 ms
 * slices, so A's reads sat in the SQ, NEED_WAKEUP clear (its thread was
 * runnable, not asleep), until B's slice ended: the "stall" that an
 * explicit IORING_ENTER_SQ_WAKEUP seemed to cure (it did nothing: the
 * thread was not waiting; the time spent in the syscall and the next
 * 10 ms wait let the scheduler come round). schedstat showed both threads
 * in state R with run_delay growing by the slice length. One thread
 * serves every ring of a CPU in turn and never competes with itself.
 * Open and close are cold and may run on any thread: a mutex.
 */
static pthread_mutex_t ur_sq_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ur *ur_sq_rings[UR_SQ_SHARE_MAX];

/* A live SQPOLL ring with the same CPU setting, or -1. */
__attribute__((cold)) static int ur_sq_share_fd(int cpu)
{
	int i, fd = -1;

	pthread_mutex_lock(&ur_sq_lock);
	for (i = 0; i < UR_SQ_SHARE_MAX && fd < 0; i++)
		if (ur_sq_rings[i] && ur_sq_rings[i]->sq_cpu == cpu)
			fd = ur_sq_rings[i]->ring.ring_fd;
	pthread_mutex_unlock(&ur_sq_lock);
	return fd;
}

__attribute__((cold)) static void ur_sq_register(struct ur *u, bool add)
{
	int i;

	pthread_mutex_lock(&ur_sq_lock);
	for (i = 0; i < UR_SQ_SHARE_MAX; i++) {
		if (add && !ur_sq_rings[i]) {
			ur_sq_rings[i] = u;
			break;
		}
		if (!add && ur_sq_rings[i] == u)
			ur_sq_rings[i] = NULL;
	}
	pthread_mutex_unlock(&ur_sq_lock);
}

static int ur_fd(struct ur *u, struct kern_queue *q)
{
	return u->fixed_file ? 0 : q->fd;
}

static void ur_flags(struct ur *u, struct io_uring_sqe *sqe)
{
	if (u->fixed_file)
		sqe->flags |= IOSQE_FIXED_FILE;
}

/* A slot is free again: back to the buffer ring or to the free list. */
static void ur_put_slot(struct kern_queue *q, struct ur *u, uint32_t s)
{
	if (u->multishot && s < u->nrx)
		io_uring_buf_ring_add(u->br, kern_slot(q, s), KERN_SLOT_SIZE,
				      (unsigned short)s, u->br_mask,
				      u->br_added++);
	else
		kern_slot_put(q, s);
}

static void ur_br_publish(struct ur *u)
{
	if (u->br_added) {
		io_uring_buf_ring_advance(u->br, u->br_added);
		u->br_avail += (uint32_t)u->br_added;
		u->br_added = 0;
	}
}

/*
 * SQPOLL: hand the prepared SQEs to the SQ thread. Publishing them is a
 * release store of the SQ tail (what io_uring_submit does first); the only
 * syscall is the wakeup of an SQ thread that went to sleep after
 * sq_thread_idle (IORING_SQ_NEED_WAKEUP), made here rather than inside
 * liburing so that every enter is the one counted. Overflowed CQEs are
 * flushed by ur_check_overflow, not here.
 */
static void ur_sq_push(struct kern_queue *q, struct ur *u)
{
	struct io_uring_sq *sq = &u->ring.sq;
	int r;

	if (sq->sqe_head != sq->sqe_tail) {
		sq->sqe_head = sq->sqe_tail;
		io_uring_smp_store_release(sq->ktail, sq->sqe_tail);
	}
	u->pending = 0;
	u->defer = 0;
	/* The kernel must see the tail before we read its flag (pairs
	 * with the SQ thread's barrier between setting NEED_WAKEUP and
	 * its last look at the tail). */
	io_uring_smp_mb();
	if (!(IO_URING_READ_ONCE(*sq->kflags) & IORING_SQ_NEED_WAKEUP))
		return;
	q->st.syscalls++;
	q->st.sq_wakeups++;
	r = io_uring_enter((unsigned int)u->ring.ring_fd, 0, 0,
			   IORING_ENTER_SQ_WAKEUP, NULL);
	if (r < 0 && r != -EINTR && r != -EAGAIN && r != -EBUSY)
		q->st.rx_err++;
}

static void ur_submit(struct kern_queue *q, struct ur *u)
{
	int r;

	if (u->sqpoll) {
		ur_sq_push(q, u);
		return;
	}
	q->st.syscalls++;
	r = io_uring_submit(&u->ring);
	/* -EAGAIN/-EBUSY: no memory or a CQ backlog, -EINTR: a signal;
	 * the SQEs stay in the SQ: pending stays set, so the next flush
	 * point (at the latest the one before a wait) submits them again. */
	if (r == -EAGAIN || r == -EBUSY || r == -EINTR)
		return;
	if (r < 0)
		q->st.rx_err++;
	u->pending = 0;
	u->defer = 0;
}

static struct io_uring_sqe *ur_sqe(struct kern_queue *q, struct ur *u)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);

	if (!sqe) {
		ur_submit(q, u);
		sqe = io_uring_get_sqe(&u->ring);
	}
	if (!sqe && u->sqpoll) {
		/* The SQ thread has not consumed the ring yet: wait for
		 * room rather than drop (IORING_ENTER_SQ_WAIT). */
		q->st.syscalls++;
		q->st.waits++;
		io_uring_sqring_wait(&u->ring);
		sqe = io_uring_get_sqe(&u->ring);
	}
	if (sqe)
		u->pending++;
	return sqe;
}

static void ur_check_overflow(struct kern_queue *q, struct ur *u)
{
	unsigned int ko = IO_URING_READ_ONCE(*u->ring.cq.koverflow);
	bool of = io_uring_cq_has_overflow(&u->ring);

	if (of) {
		/* CQEs are parked in the kernel (IORING_FEAT_NODROP): count
		 * the event once, and have them flushed into the CQ every
		 * burst until the flag clears (a multishot request is ended
		 * by an overflow; it is re-armed like after ENOBUFS). */
		if (!u->overflowing)
			q->st.cq_overflow++;
		q->st.syscalls++;
		io_uring_get_events(&u->ring);
	}
	u->overflowing = of;
	if (ko != u->koverflow) {
		q->st.cq_overflow += ko - u->koverflow; /* dropped CQEs */
		u->koverflow = ko;
	}
}

/* Arm reads; returns how many read SQEs it prepared (they must be
 * submitted now: without them nothing is received). */
static unsigned int ur_arm(struct kern_queue *q, struct ur *u)
{
	struct io_uring_sqe *sqe;
	unsigned int k = 0;
	uint32_t s;

	if (u->multishot) {
		if (u->ms_armed || u->br_avail == 0)
			return 0;
		sqe = ur_sqe(q, u);
		if (!sqe)
			return 0;
		io_uring_prep_recv_multishot(sqe, ur_fd(u, q), NULL, 0, 0);
		ur_flags(u, sqe);
		sqe->flags |= IOSQE_BUFFER_SELECT;
		sqe->buf_group = UR_BGID;
		io_uring_sqe_set_data64(sqe, UR_UD(UR_MS, 0));
		u->ms_armed = true;
		q->st.rearm++;
		if (u->ms_enobufs)
			q->st.rearm_enobufs++;
		u->ms_enobufs = false;
		return 1;
	}
	/* Refill in batches: up to 2 bursts armed, topped up when half are
	 * used, so one enter re-arms (and, under load, completes) two
	 * bursts. SQPOLL: arming costs no syscall, so every read used is
	 * re-armed at once and up to 8 bursts stay in flight: the SQ thread
	 * always has reads to issue while the worker handles the last burst.
	 * How many (arm_cur, up to arm_max): UR_ARM_MIN at first, doubled
	 * whenever one reap took half of them (ur_reap_grow). Every read
	 * waiting for data is an entry on the socket's wait queue, and every
	 * frame the socket sends walks that queue (sock_wfree ->
	 * sock_def_write_space): with 256 reads armed on a port that only
	 * transmits, that walk was 55% of the SQ thread's time (perf,
	 * cpu-clock); plain uring forwarded 39% more per core once the
	 * sending port no longer kept 64 armed. Only a port that receives
	 * arms deep. */
	if (!u->sqpoll && u->armed > u->arm_cur / 2)
		return 0;
	while (u->armed < u->arm_cur) {
		if (!kern_slot_get(q, &s)) {
			q->st.no_buf++;
			break;
		}
		sqe = ur_sqe(q, u);
		if (!sqe) {
			kern_slot_put(q, s);
			break;
		}
		if (u->fixed_bufs)
			io_uring_prep_read_fixed(sqe, ur_fd(u, q), kern_slot(q, s),
						 KERN_SLOT_SIZE, 0, 0);
		else
			io_uring_prep_recv(sqe, ur_fd(u, q), kern_slot(q, s),
					   KERN_SLOT_SIZE, 0);
		ur_flags(u, sqe);
		io_uring_sqe_set_data64(sqe, UR_UD(UR_RX, s));
		u->armed++;
		k++;
	}
	return k;
}

/* A send completed: count it and free its slot. */
static inline void ur_tx_done(struct kern_queue *q, struct ur *u, uint32_t s,
			      int res)
{
	if (res < 0) {
		kern_tx_error(q, -res);
	} else {
		q->st.tx_pkts++;
		q->st.tx_bytes += (uint64_t)res;
	}
	u->tx_out--;
	ur_put_slot(q, u, s);
}

/* Reap completions: TX ones are retired, RX ones fill b up to a burst. */
static uint16_t ur_reap(struct kern_queue *q, struct ur *u, struct dp_burst *b)
{
	struct io_uring_cqe *cqe;
	unsigned int head, seen = 0;
	uint16_t n = 0;

	io_uring_for_each_cqe(&u->ring, head, cqe) {
		uint64_t kind = cqe->user_data >> 32;
		uint32_t s = (uint32_t)cqe->user_data;
		int res = cqe->res;

		if (kind != UR_TX && n == DP_BURST)
			break;
		seen++;
		if (kind == UR_TX) {
			ur_tx_done(q, u, s, res);
		} else if (kind == UR_RX) {
			u->armed--;
			if (res <= 0) {
				kern_slot_put(q, s);
				if (res < 0 && res != -EAGAIN && res != -EINTR &&
				    res != -ECANCELED)
					kern_rx_error(q, -res);
				continue;
			}
			kern_burst_put(b, n++, kern_slot(q, s), (uint16_t)res,
				       s);
			q->st.rx_bytes += (uint64_t)res;
		} else {
			if (cqe->flags & IORING_CQE_F_BUFFER) {
				s = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
				u->br_avail--;
				if (res > 0) {
					kern_burst_put(b, n++, kern_slot(q, s),
						       (uint16_t)res, s);
					q->st.rx_bytes += (uint64_t)res;
				} else {
					ur_put_slot(q, u, s);
				}
			}
			if (!(cqe->flags & IORING_CQE_F_MORE)) {
				u->ms_armed = false;
				if (res == -ENOBUFS)
					u->ms_enobufs = true;
				else if (res < 0 && res != -ECANCELED)
					kern_rx_error(q, -res);
			}
		}
	}
	io_uring_cq_advance(&u->ring, seen);
	ur_br_publish(u);
	q->st.rx_pkts += n;
	u->seen = seen;
	return n;
}

/*
 * SQPOLL waiting. Submitting is a store, and the SQ thread does the socket
 * work, so the worker has nothing to do between bursts but wait for it. It
 * never waits while completions are there: an rx_burst that reaps nothing
 * returns at once while another queue of the thread is ready. The thread's
 * "hot" queue (the last one that received) waits for a whole burst in one
 * io_uring_enter (min_complete, with an IORING_ENTER_EXT_ARG timeout of
 * UR_BURST_WAIT_NS, no timeout SQE): the SQ thread works through the reads
 * still armed meanwhile, so under load that is one syscall and one wakeup
 * per burst. Spinning instead would burn a second core to save that
 * syscall, and on a shared core it takes the SQ thread's time (measured:
 * scripts/bench-kern.sh). Other queues of the thread reap without waiting.
 * min_complete adapts: halved when a wait timed out short of it while
 * the SQ thread had consumed every SQE (traffic slower than a burst per
 * UR_BURST_WAIT_NS), doubled up to a burst when reached. After
 * UR_IDLE_NS without a completion on any SQPOLL queue of the thread, it is
 * idle: the queues wait in the thread's poll() as the other models do (any
 * completion wakes it). Per thread: thread-local.
 */
static __thread uint64_t ur_idle_since; /* 0: a completion came lately */
/* The queue that received last; may dangle (its port closed): only
 * compared, or looked up in the thread's waiter. */
static __thread const struct kern_queue *ur_hot;

static uint64_t ur_now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t); /* vDSO: no syscall */
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* Sleep until want completions are in the CQ, UR_BURST_WAIT_NS at most. */
static void ur_wait_burst(struct kern_queue *q, struct ur *u, unsigned int want)
{
	struct __kernel_timespec ts = { .tv_nsec = UR_BURST_WAIT_NS };
	struct io_uring_getevents_arg arg = {
		.ts = (uint64_t)(uintptr_t)&ts,
	};
	unsigned int got;
	int r;

	q->st.syscalls++;
	q->st.waits++;
	r = io_uring_enter2((unsigned int)u->ring.ring_fd, 0, want,
			    IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG,
			    (sigset_t *)&arg, sizeof(arg));
	if (r < 0 && r != -ETIME && r != -EINTR && r != -EAGAIN &&
	    r != -EBUSY)
		q->st.rx_err++;
	got = io_uring_cq_ready(&u->ring);
	if (got)
		q->st.wakeups++;
	/* Short of it with the SQ consumed: the reads wait for traffic,
	 * ask for fewer. With SQEs still queued the SQ thread was late
	 * (preempted), which says nothing about the traffic. */
	if (got >= want) {
		if (u->want < DP_BURST)
			u->want *= 2;
	} else if (u->want > 1 &&
		   io_uring_smp_load_acquire(u->ring.sq.khead) ==
			   *u->ring.sq.ktail) {
		u->want /= 2;
	}
}

/* Reap; a reap that took half the reads armed doubles arm_cur. */
static uint16_t ur_reap_grow(struct kern_queue *q, struct ur *u,
			   struct dp_burst *b)
{
	uint16_t n = ur_reap(q, u, b);

	if (n >= u->arm_cur / 2 && u->arm_cur < u->arm_max)
		u->arm_cur = u->arm_cur * 2 < u->arm_max ? u->arm_cur * 2
							 : u->arm_max;
	return n;
}

static uint16_t ur_rx_sq(struct kern_queue *q, struct ur *u,
			 struct dp_burst *b)
{
	unsigned int inflight;
	uint64_t now;
	uint16_t n;

	/* Join the thread's waiter at once, not at the first idle wait:
	 * the queues of a thread must see each other's ready flags and
	 * which one is hot even if they never go idle. */
	if (__builtin_expect(!q->w && !u->join_tried, 0)) {
		u->join_tried = true; /* a refusal is logged once */
		kern_waiter_enter(q, KERN_WAIT_POLL);
	}
	n = ur_reap_grow(q, u, b);
	ur_arm(q, u);
	if (u->pending)
		ur_sq_push(q, u);
	if (n)
		ur_hot = q;
	if (u->seen) {
		ur_idle_since = 0;
		return n;
	}
	if (kern_others_ready(q) ||
	    (ur_hot != q && kern_waiter_peer_up(q, ur_hot)))
		return 0;
	now = ur_now_ns();
	if (!ur_idle_since)
		ur_idle_since = now;
	inflight = u->armed + u->tx_out;
	if (now - ur_idle_since < UR_IDLE_NS && inflight && u->ext_arg) {
		ur_wait_burst(q, u, u->want < inflight ? u->want : inflight);
		n = ur_reap_grow(q, u, b);
	} else {
		/* Idle: any queue's completion wakes the thread. */
		ur_hot = NULL;
		q->ready = false;
		if (kern_wait_ready(q, KERN_WAIT_POLL)) {
			q->ready = false;
			n = ur_reap_grow(q, u, b);
		}
	}
	ur_arm(q, u);
	if (u->pending)
		ur_sq_push(q, u);
	if (u->seen)
		ur_idle_since = 0;
	if (n)
		ur_hot = q;
	return n;
}

static uint16_t ur_rx(struct dp_port *p, uint16_t qid, struct dp_burst *b)
{
	struct kern_queue *q = kern_q(p, qid);
	struct ur *u = q->model;
	uint16_t n;

	b->n = 0;
	if (!p->up)
		return 0;
	kern_sample(q);
	ur_check_overflow(q, u);
	if (u->sqpoll) {
		n = ur_rx_sq(q, u, b);
		goto out;
	}
	n = ur_reap_grow(q, u, b);
	if (ur_arm(q, u) || u->pending >= UR_TX_BATCH)
		ur_submit(q, u);
	if (n == 0) {
		/* Another queue of this thread has work: TX SQEs stay
		 * batched (TX completes when this queue next submits or
		 * the thread goes idle), for UR_TX_DEFER_MAX bursts at
		 * most. Otherwise flush them and wait. Deferring goes
		 * through out: the CQ was just drained, so q->ready turns
		 * false unless completions came meanwhile. Returning with
		 * a stale ready flag let two queues each defer to the
		 * other's flag forever: neither flushed its TX nor waited
		 * (CQEs that arrive between bursts left ready set; up to
		 * 63 frames of a surviving port were held that way). */
		if (kern_others_ready(q)) {
			if (u->pending && ++u->defer >= UR_TX_DEFER_MAX)
				ur_submit(q, u);
			goto out;
		}
		if (u->pending)
			ur_submit(q, u);
		q->ready = false;
		if (kern_wait_ready(q, KERN_WAIT_POLL)) {
			q->ready = false;
			n = ur_reap_grow(q, u, b);
		}
	}
out:
	/* Hint for the thread's waiter: more completions are likely. */
	q->ready = n == DP_BURST || io_uring_cq_ready(&u->ring) > 0;
	b->n = n;
	b->port = p->id;
	b->queue = qid;
	return n;
}

/*
 * A TX-only queue (qid >= nb_queues, bound with protocol 0) is never
 * rx-polled, so nothing else reaps its completions: retire them here, once
 * per burst (reading the CQ ring is no syscall). Its socket receives
 * nothing; should a stray receive completion show up, its slot goes back.
 */
static void ur_reap_tx_only(struct kern_queue *q, struct ur *u)
{
	struct dp_burst b;
	uint16_t n, i;

	if (q->qid < q->kp->nb_queues || !io_uring_cq_ready(&u->ring))
		return;
	b.n = 0;
	n = ur_reap(q, u, &b);
	for (i = 0; i < n; i++)
		ur_put_slot(q, u, (uint32_t)b.buf[i]);
	if (n)
		ur_br_publish(u);
}

static uint16_t ur_tx(struct dp_port *p, uint16_t qid, uint8_t *const *data,
		      const uint16_t *len, const uintptr_t *buf, uint16_t n,
		      bool foreign)
{
	struct kern_queue *q = kern_q(p, qid);
	struct ur *u = q->model;
	struct io_uring_sqe *sqe;
	uint16_t i;
	uint32_t s;

	if (!p->up)
		return 0;
	ur_reap_tx_only(q, u);
	for (i = 0; i < n; i++) {
		if (foreign) {
			if (len[i] > KERN_SLOT_SIZE || !kern_slot_get(q, &s)) {
				q->st.tx_full++;
				break;
			}
			memcpy(kern_slot(q, s), data[i], len[i]);
			q->st.tx_copy++;
		} else {
			s = (uint32_t)buf[i];
		}
		sqe = ur_sqe(q, u);
		if (!sqe) {
			if (foreign)
				kern_slot_put(q, s);
			q->st.tx_full++;
			break;
		}
		/* IORING_OP_SEND, not WRITE_FIXED: a fixed buffer saves
		 * nothing on a socket send (the kernel copies from it
		 * anyway) and SEND skips the file write path: ~8% more
		 * forwarded packets per core here. */
		io_uring_prep_send(sqe, ur_fd(u, q), kern_slot(q, s), len[i], 0);
		ur_flags(u, sqe);
		io_uring_sqe_set_data64(sqe, UR_UD(UR_TX, s));
		u->tx_out++;
	}
	/* SQPOLL: the SQ thread starts on the sends now (a store, no
	 * syscall while it is awake), not at the next rx_burst. */
	if (u->sqpoll && u->pending)
		ur_sq_push(q, u);
	return i;
}

static void ur_tx_flush(struct dp_port *p, uint16_t qid)
{
	struct kern_queue *q = kern_q(p, qid);
	struct ur *u = q->model;

	/* A queue some thread rx-polls (it joined a waiter) is flushed by
	 * that rx_burst before it waits: keep TX batched up to
	 * UR_TX_BATCH. A queue nobody rx-polls is submitted now, and so is
	 * every SQPOLL queue (normally nothing is left: ur_tx pushes). */
	if (p->up && u->pending &&
	    (u->sqpoll || !q->w || u->pending >= UR_TX_BATCH))
		ur_submit(q, u);
}

/*
 * Stop-time reaping (cold, the workers are joined): every completion is
 * retired. Sends are counted as in ur_reap; a read that completed since
 * the last burst gives its slot back uncounted, like a frame still queued
 * in the socket when the port stops (nobody received it).
 */
__attribute__((cold)) static void ur_reap_stop(struct kern_queue *q,
					       struct ur *u)
{
	struct io_uring_cqe *cqe;
	unsigned int head, seen = 0;

	io_uring_for_each_cqe(&u->ring, head, cqe) {
		uint64_t kind = cqe->user_data >> 32;
		uint32_t s = (uint32_t)cqe->user_data;

		seen++;
		if (kind == UR_TX) {
			ur_tx_done(q, u, s, cqe->res);
		} else if (kind == UR_RX) {
			u->armed--;
			kern_slot_put(q, s);
		} else if (kind == UR_MS) {
			if (cqe->flags & IORING_CQE_F_BUFFER) {
				u->br_avail--;
				ur_put_slot(q, u, cqe->flags >>
						     IORING_CQE_BUFFER_SHIFT);
			}
			if (!(cqe->flags & IORING_CQE_F_MORE))
				u->ms_armed = false;
		}
	}
	io_uring_cq_advance(&u->ring, seen);
	ur_br_publish(u);
}

static int64_t ur_ms_left(const struct timespec *end)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (end->tv_sec - t.tv_sec) * 1000 +
	       (end->tv_nsec - t.tv_nsec) / 1000000;
}

/*
 * Stop: no frame a tx_burst accepted may vanish with the ring. TX SQEs
 * still held back are submitted, and every send's completion is waited for
 * (UR_STOP_MS at most for the port) and counted: tx_packets, or tx_errors
 * (a port that went down fails them at once). Sends still outstanding after
 * that are tx_unfinished (set at each stop) and logged: never silent.
 */
__attribute__((cold)) static void ur_stop(struct dp_port *p)
{
	struct kern_port *kp = p->priv;
	struct timespec end;
	uint16_t i;

	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += UR_STOP_MS / 1000;
	end.tv_nsec += (UR_STOP_MS % 1000) * 1000000L;
	if (end.tv_nsec >= 1000000000L) {
		end.tv_sec++;
		end.tv_nsec -= 1000000000L;
	}
	for (i = 0; kp && i < kp->nb_all; i++) {
		struct kern_queue *q = &kp->q[i];
		struct ur *u = q->model;
		int64_t left;

		if (!u)
			continue;
		if (u->pending)
			ur_submit(q, u);
		ur_reap_stop(q, u);
		while (u->tx_out && (left = ur_ms_left(&end)) > 0) {
			struct pollfd pfd = { .fd = u->ring.ring_fd,
					      .events = POLLIN };

			/* Poll, not io_uring_wait_cqe_timeout: no timeout
			 * SQE (older kernels) lands in the CQ. */
			if (u->pending)
				ur_submit(q, u);
			poll(&pfd, 1, left < 10 ? (int)left : 10);
			ur_reap_stop(q, u);
		}
		q->st.tx_unfinished = u->tx_out;
		if (u->tx_out)
			fprintf(stderr,
				"kern: port %s queue %u: %u sends not completed %d ms after stop (counted as tx_unfinished)\n",
				p->name, i, u->tx_out, UR_STOP_MS);
	}
	kern_stop(p);
}

static void ur_free(struct dp_port *p, uint16_t qid, const uintptr_t *buf,
		    uint16_t n)
{
	struct kern_queue *q = kern_q(p, qid);
	struct ur *u = q->model;
	uint16_t i;

	for (i = 0; i < n; i++)
		ur_put_slot(q, u, (uint32_t)buf[i]);
	ur_br_publish(u);
}

static uint32_t pow2_floor(uint32_t v)
{
	uint32_t r = 1;

	while (r * 2 <= v)
		r *= 2;
	return r;
}

/* Provided buffers: the rx ring size (or the tunable), a power of two,
 * at most half the slab. */
static uint32_t ur_br_entries(const struct kern_queue *q)
{
	uint32_t want, n;

	want = kern_tun.ms_buffers ? kern_tun.ms_buffers : q->kp->rx_ring;
	n = pow2_floor(want < q->nslots / 2 ? want : q->nslots / 2);
	return n > 32768 ? 32768 : n;
}

__attribute__((cold)) static int ur_setup_br(struct kern_queue *q,
					     struct ur *u)
{
	struct io_uring_buf_reg reg = { 0 };
	uint32_t n = ur_br_entries(q), i;
	int ret;

	u->br_len = (size_t)n * sizeof(struct io_uring_buf);
	u->br = mmap(NULL, u->br_len, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (u->br == MAP_FAILED) {
		u->br = NULL;
		return -ENOMEM;
	}
	io_uring_buf_ring_init(u->br);
	reg.ring_addr = (uint64_t)(uintptr_t)u->br;
	reg.ring_entries = n;
	reg.bgid = UR_BGID;
	ret = io_uring_register_buf_ring(&u->ring, &reg, 0);
	if (ret < 0) {
		munmap(u->br, u->br_len);
		u->br = NULL;
		return ret;
	}
	u->nrx = n;
	u->multishot = true;
	u->br_mask = io_uring_buf_ring_mask(n);
	/* Slots [0, n) go to the buffer ring, the rest stay for TX copies. */
	q->nfree = 0;
	for (i = q->nslots; i > n; i--)
		kern_slot_put(q, i - 1);
	for (i = 0; i < n; i++)
		ur_put_slot(q, u, i);
	ur_br_publish(u);
	return 0;
}

/* Undo ur_setup_br: every slot back on the free list (none is out yet). */
__attribute__((cold)) static void ur_drop_br(struct kern_queue *q,
					     struct ur *u)
{
	uint32_t i;

	io_uring_unregister_buf_ring(&u->ring, UR_BGID);
	munmap(u->br, u->br_len);
	u->br = NULL;
	u->multishot = false;
	u->nrx = 0;
	u->br_avail = 0;
	u->br_added = 0;
	q->nfree = 0;
	for (i = q->nslots; i > 0; i--)
		kern_slot_put(q, i - 1);
}

/*
 * A kernel can take a provided buffer ring (5.19) and still refuse a
 * multishot recv (6.0): arm one on the socket, cancel it, and see how it
 * ends. -ECANCELED (or a packet) means it works; -EINVAL / -EOPNOTSUPP
 * mean it does not, and the queue falls back to single-shot reads.
 * Returns 0 or the refusal (-errno). Packets that arrived meanwhile give
 * their buffers back (they are lost, as any before start would be).
 */
__attribute__((cold)) static int ur_probe_multishot(struct kern_queue *q,
						    struct ur *u)
{
	struct __kernel_timespec ts = { .tv_sec = 1 };
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	bool ms_done = false, cancel_done = false;
	int res = 0, ret;

	if (kern_tun.ms_refuse)
		return -EINVAL;
	sqe = io_uring_get_sqe(&u->ring);
	if (!sqe)
		return -EBUSY;
	io_uring_prep_recv_multishot(sqe, ur_fd(u, q), NULL, 0, 0);
	ur_flags(u, sqe);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = UR_BGID;
	io_uring_sqe_set_data64(sqe, UR_UD(UR_MS, 0));
	sqe = io_uring_get_sqe(&u->ring);
	if (!sqe)
		return -EBUSY;
	io_uring_prep_cancel64(sqe, UR_UD(UR_MS, 0), 0);
	io_uring_sqe_set_data64(sqe, UR_UD(UR_PROBE, 0));
	ret = io_uring_submit(&u->ring);
	if (ret < 0)
		return ret;
	while (!ms_done || !cancel_done) {
		ret = io_uring_wait_cqe_timeout(&u->ring, &cqe, &ts);
		if (ret < 0)
			return 0; /* no answer in a second: keep multishot,
				   * whatever comes later is reaped as usual */
		if (cqe->user_data == UR_UD(UR_PROBE, 0)) {
			cancel_done = true;
		} else {
			if (cqe->flags & IORING_CQE_F_BUFFER) {
				u->br_avail--;
				ur_put_slot(q, u, cqe->flags >>
						     IORING_CQE_BUFFER_SHIFT);
				ur_br_publish(u);
			}
			if (!(cqe->flags & IORING_CQE_F_MORE)) {
				ms_done = true;
				res = cqe->res;
			}
		}
		io_uring_cqe_seen(&u->ring, cqe);
	}
	return res == -EINVAL || res == -EOPNOTSUPP ? res : 0;
}

__attribute__((cold)) static int ur_init(struct kern_queue *q, char *err,
					 size_t errlen, enum ur_variant v)
{
	struct kern_port *kp = q->kp;
	struct io_uring_params par = { 0 };
	unsigned int arm = v == UR_SQPOLL ? UR_ARM_SQ : UR_ARM;
	unsigned int entries;
	struct iovec iov = { q->slab, q->slab_len };
	unsigned int cq;
	struct ur *u;
	int ret;

	u = calloc(1, sizeof(*u));
	if (!u) {
		snprintf(err, errlen, "port %s: out of memory", kp->p->name);
		return -ENOMEM;
	}
	q->model = u;
	/* At most half the slab in armed reads: the rest carries bursts
	 * in the worker and TX copies. */
	if (arm > q->nslots / 2)
		arm = q->nslots / 2 > UR_ARM ? q->nslots / 2 : UR_ARM;
	u->arm_max = arm;
	u->arm_cur = arm < UR_ARM_MIN ? arm : UR_ARM_MIN;
	entries = arm + UR_TX_BATCH + kp->tx_ring;
	/* The CQ holds every completion that can be outstanding at once:
	 * reads, TX, and with multishot one per provided buffer. */
	cq = 4 * entries + (v == UR_MULTISHOT ? ur_br_entries(q) : 0);
	if (kern_tun.cq_entries)
		cq = kern_tun.cq_entries;
	par.flags = IORING_SETUP_CQSIZE;
	par.cq_entries = cq;
	u->sq_cpu = kp->sqpoll_cpu >= 0 ? kp->sqpoll_cpu : -1;
	if (v == UR_SQPOLL) {
		int share = ur_sq_share_fd(u->sq_cpu);

		par.flags |= IORING_SETUP_SQPOLL;
		par.sq_thread_idle = UR_SQ_IDLE_MS;
		if (u->sq_cpu >= 0) {
			par.flags |= IORING_SETUP_SQ_AFF;
			par.sq_thread_cpu = (unsigned int)u->sq_cpu;
		}
		if (share >= 0) {
			par.flags |= IORING_SETUP_ATTACH_WQ;
			par.wq_fd = (unsigned int)share;
		}
		ret = io_uring_queue_init_params(entries, &u->ring, &par);
		if (ret < 0 && share >= 0) {
			fprintf(stderr,
				"kern: port %s: cannot share the SQ thread (%s), using one of its own\n",
				kp->p->name, strerror(-ret));
			par.flags &= ~IORING_SETUP_ATTACH_WQ;
			par.wq_fd = 0;
			ret = io_uring_queue_init_params(entries, &u->ring,
							 &par);
		}
	} else {
		ret = io_uring_queue_init_params(entries, &u->ring, &par);
	}
	if (ret < 0 && v == UR_SQPOLL) {
		fprintf(stderr,
			"kern: port %s: SQPOLL unavailable (%s), falling back to a plain ring\n",
			kp->p->name, strerror(-ret));
		memset(&par, 0, sizeof(par));
		par.flags = IORING_SETUP_CQSIZE;
		par.cq_entries = cq;
		ret = io_uring_queue_init_params(entries, &u->ring, &par);
		u->arm_max = UR_ARM;
		u->arm_cur = UR_ARM_MIN;
	} else if (ret == 0 && v == UR_SQPOLL) {
		u->sqpoll = true;
		ur_sq_register(u, true);
	}
	if (ret < 0) {
		free(u);
		q->model = NULL;
		snprintf(err, errlen, "port %s: io_uring_queue_init: %s",
			 kp->p->name, strerror(-ret));
		return ret;
	}
	u->ext_arg = par.features & IORING_FEAT_EXT_ARG;
	u->want = DP_BURST;
	if (!(par.features & IORING_FEAT_NODROP))
		fprintf(stderr,
			"kern: port %s: kernel may drop CQEs on overflow (no IORING_FEAT_NODROP); drops are counted\n",
			kp->p->name);
	ret = io_uring_register_files(&u->ring, &q->fd, 1);
	u->fixed_file = ret == 0;
	if (ret < 0)
		fprintf(stderr, "kern: port %s: registered files unavailable (%s), using the plain descriptor\n",
			kp->p->name, strerror(-ret));
	if (v != UR_MULTISHOT) {
		ret = io_uring_register_buffers(&u->ring, &iov, 1);
		u->fixed_bufs = ret == 0;
		if (ret < 0)
			fprintf(stderr, "kern: port %s: registered buffers unavailable (%s), using recv/send\n",
				kp->p->name, strerror(-ret));
	} else {
		/* Provided buffers for rx; tx copies/sends from slots, which
		 * are registered too when possible. */
		ret = ur_setup_br(q, u);
		if (ret < 0) {
			fprintf(stderr,
				"kern: port %s: provided buffer rings unavailable (%s): multishot recv needs them, falling back to single-shot reads\n",
				kp->p->name, strerror(-ret));
		} else if ((ret = ur_probe_multishot(q, u)) < 0) {
			fprintf(stderr,
				"kern: port %s: multishot recv refused (%s), falling back to single-shot reads\n",
				kp->p->name, strerror(-ret));
			ur_drop_br(q, u);
		}
		ret = io_uring_register_buffers(&u->ring, &iov, 1);
		u->fixed_bufs = ret == 0;
	}
	q->wait_fd = u->ring.ring_fd;
	snprintf(kp->p->mode_desc, sizeof(kp->p->mode_desc), "%s%s%s%s",
		 v == UR_MULTISHOT ? (u->multishot ? "uring-multishot" :
						     "uring (multishot fallback)") :
		 v == UR_SQPOLL ? (u->sqpoll ? "uring-sqpoll" :
					       "uring (sqpoll fallback)") :
				  "uring",
		 u->fixed_file ? ", fixed file" : "",
		 u->fixed_bufs ? ", fixed bufs" : "", "");
	return 0;
}

static int ur_init_plain(struct kern_queue *q, char *err, size_t errlen)
{
	return ur_init(q, err, errlen, UR_PLAIN);
}

static int ur_init_sqpoll(struct kern_queue *q, char *err, size_t errlen)
{
	return ur_init(q, err, errlen, UR_SQPOLL);
}

static int ur_init_ms(struct kern_queue *q, char *err, size_t errlen)
{
	return ur_init(q, err, errlen, UR_MULTISHOT);
}

static void ur_fini(struct kern_queue *q)
{
	struct ur *u = q->model;

	if (!u)
		return;
	if (u->sqpoll)
		ur_sq_register(u, false);
	io_uring_queue_exit(&u->ring);
	if (u->br)
		munmap(u->br, u->br_len);
	free(u);
	q->model = NULL;
}

/* The thread polling the queue leaves it: the next one joins afresh. */
__attribute__((cold)) static void ur_queue_detach(struct dp_port *p,
						  uint16_t qid)
{
	struct ur *u = kern_q(p, qid)->model;

	kern_queue_detach(p, qid);
	if (u)
		u->join_tried = false;
}

static const struct dp_port_ops ur_ops = {
	/* KERN_BASE_OPS, but with ur_stop and ur_queue_detach. */
	.backend = "kernel",
	.alloc_bufs = kern_alloc_bufs,
	.start = kern_start,
	.stop = ur_stop,
	.close = kern_close,
	.xstats = kern_xstats,
	.queue_detach = ur_queue_detach,
	.free_bufs = ur_free,
	.rx_burst = ur_rx,
	.tx_burst = ur_tx,
	.tx_flush = ur_tx_flush,
};

const struct kern_model kern_model_uring = {
	.name = "uring",
	.ops = &ur_ops,
	.wait = KERN_WAIT_POLL,
	.queue_init = ur_init_plain,
	.queue_fini = ur_fini,
};

const struct kern_model kern_model_uring_sqpoll = {
	.name = "uring-sqpoll",
	.ops = &ur_ops,
	.wait = KERN_WAIT_POLL,
	.queue_init = ur_init_sqpoll,
	.queue_fini = ur_fini,
};

const struct kern_model kern_model_uring_multishot = {
	.name = "uring-multishot",
	.ops = &ur_ops,
	.wait = KERN_WAIT_POLL,
	.queue_init = ur_init_ms,
	.queue_fini = ur_fini,
};
