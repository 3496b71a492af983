/* SPDX-License-Identifier: MIT */
/*
 * Kernel-stack port backend, private header.
 *
 * A port is one interface; each of its queues is one AF_PACKET socket (a
 * PACKET_FANOUT_HASH group when there are several). Queues from nb_queues
 * to nb_all are TX only (bound with protocol 0, no fanout): one for each
 * worker that sends on the port without polling it, so no socket or slab
 * is ever shared between threads. What differs between
 * the I/O models is how a queue waits and how many packets one syscall
 * moves, so each model is one file that supplies rx/tx and the per-queue
 * set-up; kern_sock.c owns the socket, the buffer slab, the waiter and the
 * counters.
 *
 * Buffers: every queue owns a slab of fixed-size slots, handle = slot index
 * (tpacket-v3 also hands out pointers into its ring blocks, handle with
 * KERN_H_BLOCK set). rx_burst fills data pointers into slots; tx copies into
 * the socket (the kernel copies anyway), so tx_burst of our own buffers
 * consumes them and frees the slots; foreign buffers are just sent.
 *
 * Waiting: the models that wait for readiness (select, poll, epoll, mmsg,
 * tpacket-v3, uring) register each queue's descriptor with a per-thread
 * waiter, created the first time a worker thread polls the queue. A queue
 * with nothing ready waits only when no other queue of the same thread is
 * ready, so one worker polling two ports never starves one of them behind
 * the other's timeout. Ports must be stopped (workers joined) before close.
 */
#ifndef DP_KERN_H
#define DP_KERN_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <net/if.h>
#include <sys/socket.h>

#include "port.h"

/* How long a wait may block before rx_burst returns 0, so a worker notices
 * its stop flag. */
#define KERN_WAIT_MS 10
/* Receive timeout of the blocking model. */
#define KERN_BLOCK_TIMEOUT_MS 100
#define KERN_SLOT_SIZE 2048
#define KERN_DEF_RING 256
#define KERN_H_BLOCK (UINT32_C(1) << 31)

/*
 * Per-queue counters: the one list. Single writer (the worker polling the
 * queue), plain adds; xstats sums the queues. Syscalls are counted by the
 * model around each call it makes (the once-a-second getrusage sample is
 * counted apart, in samples: getrusage and PACKET_STATISTICS).
 * tx_unfinished is a level, not a count: uring sends whose completion had
 * not come UR_STOP_MS after the last stop (accepted, fate unknown).
 * sq_wakeups: io_uring_enter calls that woke a sleeping SQPOLL thread
 * (each also counted in syscalls).
 *
 * _(field, "xstat name")
 */
#define KERN_FOREACH_STAT(_)                                                   \
	_(rx_pkts, "rx_packets")                                               \
	_(rx_bytes, "rx_bytes")                                                \
	_(tx_pkts, "tx_packets")                                               \
	_(tx_bytes, "tx_bytes")                                                \
	_(syscalls, "syscalls")                                                \
	_(waits, "waits")                                                      \
	_(wakeups, "wakeups")                                                  \
	_(eagain, "eagain")                                                    \
	_(ctxsw_vol, "ctx_switches_voluntary")                                 \
	_(ctxsw_invol, "ctx_switches_involuntary")                             \
	_(cpu_us, "thread_cpu_us")                                             \
	_(samples, "rusage_samples")                                           \
	_(cq_overflow, "cq_overflow")                                          \
	_(rearm, "multishot_rearm")                                            \
	_(rearm_enobufs, "multishot_rearm_enobufs")                            \
	_(rx_err, "rx_errors")                                                 \
	_(tx_err, "tx_errors")                                                 \
	_(tx_full, "tx_full")                                                  \
	_(tx_copy, "tx_copies")                                                \
	_(no_buf, "rx_no_buffer")                                              \
	_(port_down, "port_down_events")                                       \
	_(kdrops, "kernel_drops")                                              \
	_(tx_unfinished, "tx_unfinished")                                      \
	_(sq_wakeups, "sqpoll_wakeups")

struct kern_stats {
#define KERN_STAT_FIELD(f, name) uint64_t f;
	KERN_FOREACH_STAT(KERN_STAT_FIELD)
#undef KERN_STAT_FIELD
};

enum kern_wait_kind {
	KERN_WAIT_NONE,   /* blocking, busypoll: never uses the waiter */
	KERN_WAIT_SELECT,
	KERN_WAIT_POLL,
	KERN_WAIT_EPOLL_LT,
	KERN_WAIT_EPOLL_ET,
	KERN_WAIT__COUNT
};

/* recvmmsg/sendmmsg vectors, one set per queue. */
struct kern_mmsg {
	struct mmsghdr msg[DP_BURST];
	struct iovec iov[DP_BURST];
	uint32_t slot[DP_BURST];
};

struct kern_port;
struct kern_queue;
struct kern_waiter;

struct kern_model {
	const char *name;
	const struct dp_port_ops *ops;
	enum kern_wait_kind wait;
	/* Called once per queue after the socket is bound, before start; the
	 * model may set socket options, map rings, create an io_uring, and
	 * replace q->wait_fd. Returns -errno with a message in err. */
	int (*queue_init)(struct kern_queue *q, char *err, size_t errlen);
	void (*queue_fini)(struct kern_queue *q);
	/* Options applied before bind (tpacket rings). May be NULL. */
	int (*pre_bind)(struct kern_queue *q, char *err, size_t errlen);
};

struct kern_queue {
	struct kern_port *kp;
	uint16_t qid;
	int fd;        /* the AF_PACKET socket */
	int wait_fd;   /* what the waiter watches (fd, or an io_uring fd) */
	bool ready;    /* the waiter said readable, not yet drained */
	struct kern_waiter *w;
	int w_slot;
	/* Slab of fixed-size slots, handle = slot index. */
	uint8_t *slab;
	size_t slab_len;
	uint32_t nslots;
	uint32_t nfree;
	uint32_t *free;
	/* Once-a-second getrusage(RUSAGE_THREAD) sample. */
	struct timespec last_sample;
	bool sampled;
	uint64_t ru_vol, ru_invol, ru_cpu_us;
	struct kern_mmsg *mm;
	void *model; /* model-private state */
	struct kern_stats st __attribute__((aligned(64)));
};

struct kern_port {
	struct dp_port *p;
	const struct kern_model *m;
	int ifindex;
	char ifname[IF_NAMESIZE];
	uint32_t rx_ring;
	uint32_t tx_ring;
	int sqpoll_cpu;
	uint16_t nb_queues; /* RX queues (each also sends) */
	uint16_t nb_all;    /* nb_queues + TX-only queues (dp_port_conf.nb_txq) */
	struct kern_queue q[DP_QUEUE_MAX];
};

/* Test and benchmark knobs (cold, set before dp_kern_open). */
struct kern_tunables {
	int rcvbuf;            /* SO_RCVBUFFORCE bytes, 0: default 4 MiB */
	uint32_t ms_buffers;   /* uring-multishot provided buffers, 0: ring */
	uint32_t cq_entries;   /* io_uring CQ size, 0: sized to never overflow
				* (a test makes it overflow on purpose) */
	bool ms_refuse;        /* uring-multishot: act as a kernel that
				* refuses multishot recv (tests the
				* fallback) */
	bool tx_only;          /* bind with protocol 0: the socket sends but
				* receives nothing (a second handle for
				* sending on a port another thread reads) */
};
extern struct kern_tunables kern_tun;

/* Every model, NULL-terminated; kern_sock.c picks conf->io_model here. */
extern const struct kern_model kern_model_blocking;
extern const struct kern_model kern_model_busypoll;
extern const struct kern_model kern_model_select;
extern const struct kern_model kern_model_poll;
extern const struct kern_model kern_model_epoll_lt;
extern const struct kern_model kern_model_epoll_et;
extern const struct kern_model kern_model_mmsg;
extern const struct kern_model kern_model_tpacket_v3;
#if LR_HAVE_URING
extern const struct kern_model kern_model_uring;
extern const struct kern_model kern_model_uring_sqpoll;
extern const struct kern_model kern_model_uring_multishot;
#endif

static inline struct kern_queue *kern_q(struct dp_port *p, uint16_t q)
{
	return &((struct kern_port *)p->priv)->q[q];
}

static inline uint8_t *kern_slot(struct kern_queue *q, uint32_t i)
{
	return q->slab + (size_t)i * KERN_SLOT_SIZE;
}

static inline bool kern_slot_get(struct kern_queue *q, uint32_t *i)
{
	if (q->nfree == 0)
		return false;
	*i = q->free[--q->nfree];
	return true;
}

static inline void kern_slot_put(struct kern_queue *q, uint32_t i)
{
	q->free[q->nfree++] = i;
}

/* True for the errors that mean "the interface went away or down". */
static inline bool kern_err_is_down(int err)
{
	return err == ENXIO || err == ENETDOWN || err == ENODEV;
}

/* Mark the port down (once per event) and count it. Cold. */
void kern_port_down(struct kern_queue *q, int err);
/* A receive or send error: down errors mark the port, others count. */
void kern_rx_error(struct kern_queue *q, int err);
void kern_tx_error(struct kern_queue *q, int err);

/* Once-a-second context-switch and CPU sample; call once per rx_burst. */
void kern_sample(struct kern_queue *q);

/*
 * The per-thread waiter. kern_wait_ready() returns true when q may be
 * read now: q->ready is set, or no queue of this thread is ready and a
 * wait of at most KERN_WAIT_MS made q ready. Counts waits/wakeups/syscalls.
 */
bool kern_wait_ready(struct kern_queue *q, enum kern_wait_kind kind);
void kern_waiter_leave(struct kern_queue *q);
/* True when another live queue of q's thread is marked ready. */
bool kern_others_ready(const struct kern_queue *q);
/* q joins its thread's waiter now (kern_wait_ready joins on its first
 * wait): for a model that may never wait under load but asks
 * kern_others_ready / kern_waiter_peer_up. 0 or -errno (logged). */
int kern_waiter_enter(struct kern_queue *q, enum kern_wait_kind kind);
/* True when other is a queue of q's waiter (thread) and its port is up;
 * other may point to a queue that has since left (never dereferenced
 * then). */
bool kern_waiter_peer_up(const struct kern_queue *q,
			 const struct kern_queue *other);

/* Shared building blocks the models combine. */
uint16_t kern_rx_recv_loop(struct kern_queue *q, struct dp_burst *b,
			   uint16_t max, int flags, bool *eagain);
uint16_t kern_tx_send_loop(struct kern_queue *q, uint8_t *const *data,
			   const uint16_t *len, const uintptr_t *buf,
			   uint16_t n, bool foreign, int flags);
uint16_t kern_rx_mmsg(struct kern_queue *q, struct dp_burst *b, bool *eagain);
uint16_t kern_tx_mmsg(struct kern_queue *q, uint8_t *const *data,
		      const uint16_t *len, const uintptr_t *buf, uint16_t n,
		      bool foreign);

/*
 * rx of the readiness models: wait (kern_wait_ready) then recv() up to a
 * burst without blocking. Level-triggered models forget readiness after
 * each burst (the next wait reports it again); edge-triggered ones keep it
 * until recv says EAGAIN, since no new edge will come for data already
 * queued.
 */
uint16_t kern_rx_wait_recv(struct dp_port *p, uint16_t qid,
			   struct dp_burst *b, enum kern_wait_kind kind);
uint16_t kern_tx_nonblock(struct dp_port *p, uint16_t qid,
			  uint8_t *const *data, const uint16_t *len,
			  const uintptr_t *buf, uint16_t n, bool foreign);
/* Set O_NONBLOCK on q->fd. */
int kern_set_nonblock(struct kern_queue *q, char *err, size_t errlen);

/* Common ops every model uses as they are. */
void kern_free_bufs(struct dp_port *p, uint16_t q, const uintptr_t *buf,
		    uint16_t n);
uint16_t kern_alloc_bufs(struct dp_port *p, uint16_t q, uint16_t len,
			 uint8_t **data, uintptr_t *buf, uint16_t n);
int kern_start(struct dp_port *p);
void kern_stop(struct dp_port *p);
void kern_close(struct dp_port *p);
int kern_xstats(struct dp_port *p, struct dp_port_kv *kv, int max);
/* The polling thread leaves its waiter (before a close while it runs). */
void kern_queue_detach(struct dp_port *p, uint16_t q);

/* Fill burst slot i from a received slot. */
static inline void kern_burst_put(struct dp_burst *b, uint16_t i,
				  uint8_t *data, uint16_t len, uintptr_t h)
{
	b->data[i] = data;
	b->len[i] = len;
	b->buf[i] = h;
	b->out[i] = DP_OUT_DROP;
	b->reason[i] = 0;
}

/* Models that use the generic socket rx/tx share these ops fields. */
#define KERN_BASE_OPS                                                          \
	.backend = "kernel", .alloc_bufs = kern_alloc_bufs,                    \
	.start = kern_start, .stop = kern_stop, .close = kern_close,           \
	.xstats = kern_xstats, .queue_detach = kern_queue_detach
#define KERN_COMMON_OPS KERN_BASE_OPS, .free_bufs = kern_free_bufs

#endif
