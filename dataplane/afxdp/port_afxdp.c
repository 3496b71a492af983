// SPDX-License-Identifier: MIT
/*
 * AF_XDP port backend: one XSK socket per (port, queue), fed by our XDP
 * program (bpf/lr_xdp.bpf.c), frames in a UMEM shared by every afxdp port.
 *
 * Design
 * - UMEM: one per queue index q (a "pool"), shared by socket q of every
 *   afxdp port (xsk_socket__create_shared: each socket has its own fill and
 *   completion ring). A frame received on port A queue q can therefore be
 *   posted to port B's TX ring q without a copy: every afxdp port has the
 *   same buf_domain. The pool's free list has no lock, so the rule is the
 *   dataplane's: the worker that polls queue q of one afxdp port is the one
 *   that uses queue q of every other afxdp port. A frame offered to TX on a
 *   queue whose pool it is not in is not taken (the caller frees it).
 * - Frames are 2 KiB, aligned mode, no headroom. Handles are UMEM offsets
 *   (with the offset within the frame the kernel adds); the frame is handle
 *   & ~(frame size - 1).
 * - Accounting: every frame is in exactly one place: the pool's free list,
 *   a fill ring, an RX ring, handed to the application (rx_burst or
 *   alloc_bufs, until tx_burst or free_bufs), a TX ring or a completion
 *   ring. Closing a port takes back what its rings hold; when a pool's last
 *   socket is gone, every frame must be on the free list exactly once, or
 *   close logs the shortfall (and dp_afxdp_lost_frames() says it). In
 *   zero-copy mode the driver's own ring hides fill frames, so only the
 *   frames the application kept are counted there.
 * - Run-time switch (dp_ports_reopen): a pool's first socket is the UMEM's
 *   own fd (libxdp), which stays bound to its interface until the UMEM is
 *   deleted, and the control thread may not touch a free list a worker is
 *   using; so the dataplane closes and reopens every afxdp port together
 *   when one joins or leaves: pools only ever die with their last socket
 *   (audited as above) and are made afresh by the first open. Close puts
 *   back an MTU that open changed and detaches the program, so an
 *   interface that leaves afxdp is as it was found; during a switch
 *   (dp_afxdp_hold_mtu) the put-back waits, and a port reopened on its
 *   interface with the same mtu keeps it (no MTU flap, i.e. no NIC reset,
 *   on the ports reopened only because they share the pools).
 * - XDP program: loaded with libbpf per interface (each has its own XSKMAP
 *   and counters) and attached native (DRV) mode, SKB mode when the driver
 *   has none or the config says so; libxdp only makes the sockets
 *   (XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD: its dispatcher cannot load here).
 *   Sockets enter the XSKMAP at start and leave at stop, so a stopped port's
 *   traffic goes to the kernel. A program already attached is ours when it
 *   has our program name and an XSKMAP of our map name (left by a crashed
 *   linerated): it is replaced. Anything else stays unless conf->force.
 * - need_wakeup is on: TX is kicked with sendto only while the TX ring has
 *   descriptors the kernel has not taken and the kernel asks for it (copy
 *   mode: always, 32 descriptors per call, then EAGAIN, which is normal);
 *   after a hard failure (ENETDOWN) only every AFXDP_KICK_BACKOFF calls.
 * - Preferred busy polling (SO_PREFER_BUSY_POLL, budget 2 x burst): an
 *   empty RX poll on a queue that had traffic lately calls recvfrom, which
 *   runs the driver's NAPI on the worker's core (as DPDK's af_xdp PMD
 *   does). On veth that moves the receive work (XDP, copy into the UMEM)
 *   off the sender's core when the worker has time for it.
 *
 * dev is "ifname[,filter=all|ip][,busy_poll=BUDGET]": filter=ip leaves
 * ARP, IPv6 ND/MLD and non-IP traffic to the kernel (see enum
 * lr_xdp_filter); busy_poll=0 turns busy polling off.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/ethtool.h>
#include <linux/if_link.h>
#include <linux/if_xdp.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/xsk.h>

#include "afxdp.h"
#include "lr_xdp.h"
#include "lr_xdp.skel.h"
#include "port.h"

#define AFXDP_FRAME_SIZE   2048u
#define AFXDP_RING_DEFAULT 2048u
#define AFXDP_RING_MAX	   16384u
/* Frames per pool, as a multiple of the first port's fill + TX rings:
 * room for two ports' full fill rings plus their RX and TX in flight. */
#define AFXDP_POOL_FACTOR 4u
/* Busy-poll an empty RX ring only within this many polls of the last
 * non-empty one. */
#define AFXDP_BUSY_RECENT 1024
/* Kicks skipped after a TX kick failed hard (link down). */
#define AFXDP_KICK_BACKOFF 1024
/* Default SO_BUSY_POLL_BUDGET (dev option busy_poll=N, 0: off). */
#define AFXDP_BUSY_BUDGET (2 * DP_BURST)
/* How long close waits for the kernel to complete posted TX frames. */
#define AFXDP_DRAIN_NS (200 * 1000 * 1000L)

/* One UMEM, shared by socket q of every afxdp port. */
struct afxdp_pool {
	struct xsk_umem *umem;
	uint8_t *area;
	uint64_t size;
	uint32_t nframes;
	uint32_t nfree;
	uint64_t *free; /* stack of frame addresses */
	/* The rings xsk_umem__create maps; the pool's first socket uses
	 * them, later ones get their own. */
	struct xsk_ring_prod fill0;
	struct xsk_ring_cons comp0;
	uint32_t fill_size, comp_size;
	int refs; /* sockets on this pool */
	int started; /* sockets of started ports on this pool */
	uint16_t qid;
	/* The one thread allowed to use the pool on the hot path: the first
	 * that does (its afxdp_thread_token); NULL again once every port on
	 * the pool is stopped. Another thread is refused and counted. */
	_Atomic(const void *) owner;
	atomic_uint_fast64_t wrong_thread;
	/* Worker-written counters (single writer per pool). */
	int64_t app; /* frames handed to the application */
	uint64_t fill_starved;
	uint64_t bad_free; /* frees that would overrun the free list */
	bool zc; /* a socket on it is zero-copy */
};

struct afxdp_q {
	struct xsk_socket *xsk;
	struct afxdp_pool *pool;
	struct xsk_ring_cons rx;
	struct xsk_ring_prod tx;
	struct xsk_ring_prod *fill;
	struct xsk_ring_cons *comp;
	struct xsk_ring_prod fill_own;
	struct xsk_ring_cons comp_own;
	int fd;
	bool zc;
	bool busy; /* preferred busy polling is on */
	uint32_t tx_outstanding; /* posted to TX, not yet completed */
	uint64_t polls, last_rx; /* rx_burst calls; the last that got some */
	uint32_t kick_backoff; /* kicks to skip after a hard error */
	uint64_t rx_pkts;
	/* Worker-written counters. */
	uint64_t tx_kicks, tx_kick_busy, tx_kick_err, rx_wakeups, rx_busy_polls;
	uint64_t tx_copied, tx_not_pool, tx_no_frame;
	atomic_bool warned; /* wrong thread reported for this socket */
};

struct afxdp_port {
	struct lr_xdp *skel;
	int ifindex;
	char ifname[IF_NAMESIZE];
	uint32_t xdp_mode_flag; /* XDP_FLAGS_DRV_MODE or _SKB_MODE */
	uint32_t prog_id;
	int map_fd, stats_fd;
	uint16_t nq;
	uint16_t busy_budget; /* SO_BUSY_POLL_BUDGET, 0: no busy polling */
	int old_mtu; /* the interface's MTU before open set conf->mtu (0: not
		      * changed): put back at close */
	bool in_map;
	struct afxdp_q q[DP_QUEUE_MAX];
};

/* Control-thread state: the pools and the interfaces this process holds. */
static struct afxdp_pool *afxdp_pools[DP_QUEUE_MAX];
static int afxdp_ifindex_open[DP_PORT_MAX];
static uint64_t afxdp_lost;
static const char afxdp_domain[] = "afxdp";
static const struct dp_port_ops afxdp_ops;

static void afxdp_log(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), cold));

static void afxdp_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("afxdp: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

uint64_t dp_afxdp_lost_frames(void)
{
	return afxdp_lost;
}

static uint32_t afxdp_pow2(uint32_t v)
{
	uint32_t r = 1;

	while (r < v)
		r <<= 1;
	return r;
}

static uint64_t afxdp_frame(uint64_t addr)
{
	return addr & ~(uint64_t)(AFXDP_FRAME_SIZE - 1);
}

/* ---- pool (control thread for create/destroy, its worker otherwise) ---- */

/* Handles back to the free list. More than the pool holds means a double
 * free by the caller, a handle beyond the UMEM one that is not ours (a
 * buffer of another domain): counted and refused rather than overrun the
 * list or later copy or receive outside the UMEM. */
static void afxdp_pool_put_frames(struct afxdp_pool *pool, const uint64_t *a,
				  uint32_t n)
{
	if (pool->nfree + n > pool->nframes) {
		pool->bad_free += n;
		return;
	}
	for (uint32_t i = 0; i < n; i++) {
		if (a[i] >= pool->size) {
			pool->bad_free++;
			continue;
		}
		pool->free[pool->nfree++] = afxdp_frame(a[i]);
		pool->app--;
	}
}

/* Every frame on the free list exactly once? Returns how many are
 * missing (or duplicated). */
static uint32_t afxdp_pool_audit(struct afxdp_pool *pool)
{
	uint8_t *seen = calloc(pool->nframes, 1);
	uint32_t dup = 0, bad = 0, missing = 0;

	if (!seen)
		return 0;
	for (uint32_t i = 0; i < pool->nfree; i++) {
		uint64_t f = pool->free[i] / AFXDP_FRAME_SIZE;

		if (f >= pool->nframes)
			bad++;
		else if (seen[f]++)
			dup++;
	}
	for (uint32_t f = 0; f < pool->nframes; f++)
		missing += !seen[f];
	free(seen);
	if (dup || bad || missing || pool->app || pool->bad_free)
		afxdp_log(
			"pool q%u: frame accounting broken: %u frames, %u free, "
			"%u missing, %u duplicated, %u out of range, %lld still "
			"held by the application, %llu refused frees",
			pool->qid, pool->nframes, pool->nfree, missing, dup,
			bad, (long long)pool->app,
			(unsigned long long)pool->bad_free);
	else
		afxdp_log("pool q%u: frames balanced: %u of %u free at close",
			  pool->qid, pool->nfree, pool->nframes);
	return missing + dup + bad;
}

static void afxdp_pool_destroy(struct afxdp_pool *pool)
{
	if (pool->umem)
		xsk_umem__delete(pool->umem);
	if (pool->area)
		munmap(pool->area, pool->size);
	free(pool->free);
	free(pool);
}

static int afxdp_pool_get(uint16_t qid, uint32_t fill_size, uint32_t comp_size,
			  struct afxdp_pool **out)
{
	struct xsk_umem_config ucfg = {
		.frame_size = AFXDP_FRAME_SIZE,
		.frame_headroom = 0,
		.flags = 0,
	};
	struct afxdp_pool *pool = afxdp_pools[qid];
	int err;

	if (pool) {
		*out = pool;
		return 0;
	}
	pool = calloc(1, sizeof(*pool));
	if (!pool)
		return -ENOMEM;
	pool->qid = qid;
	pool->fill_size = fill_size;
	pool->comp_size = comp_size;
	pool->nframes = AFXDP_POOL_FACTOR * (fill_size + comp_size);
	pool->size = (uint64_t)pool->nframes * AFXDP_FRAME_SIZE;
	pool->free = calloc(pool->nframes, sizeof(*pool->free));
	if (!pool->free) {
		err = -ENOMEM;
		goto err_free;
	}
	pool->area = mmap(NULL, pool->size, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (pool->area == MAP_FAILED) {
		pool->area = NULL;
		err = -errno;
		goto err_free;
	}
	ucfg.fill_size = fill_size;
	ucfg.comp_size = comp_size;
	err = xsk_umem__create(&pool->umem, pool->area, pool->size,
			       &pool->fill0, &pool->comp0, &ucfg);
	if (err) {
		pool->umem = NULL;
		goto err_free;
	}
	for (uint32_t i = 0; i < pool->nframes; i++)
		pool->free[i] = (uint64_t)i * AFXDP_FRAME_SIZE;
	pool->nfree = pool->nframes;
	afxdp_pools[qid] = pool;
	*out = pool;
	return 0;

err_free:
	afxdp_pool_destroy(pool);
	return err;
}

static void afxdp_pool_unref(struct afxdp_pool *pool)
{
	uint32_t lost;

	if (--pool->refs > 0)
		return;
	if (pool->zc) {
		/* A zero-copy driver keeps frames from the fill ring in its
		 * own ring, where no ring pointer shows them: the audit
		 * cannot tell those from lost ones. */
		afxdp_log("pool q%u: zero-copy: %u of %u frames back at close "
			  "(the driver held the rest), %lld held by the "
			  "application",
			  pool->qid, pool->nfree, pool->nframes,
			  (long long)pool->app);
		lost = pool->app > 0 ? (uint32_t)pool->app : 0;
	} else {
		lost = afxdp_pool_audit(pool);
	}
	afxdp_lost += lost; /* frames the application kept are missing */
	afxdp_pools[pool->qid] = NULL;
	afxdp_pool_destroy(pool);
}

/* ---- hot path ---- */

/* Its address tells threads apart (a thread's TLS block lives until it
 * exits; a later thread reusing it is no conflict). */
static _Thread_local char afxdp_thread_token;

static bool afxdp_claim_slow(struct dp_port *p, uint16_t q, struct afxdp_q *s,
			     const char *what) __attribute__((cold, noinline));

/* First hot-path use of a pool by a thread other than its owner: take it
 * when it has none; otherwise refuse, count, and say so once per socket.
 * Two threads on one pool would corrupt its free list (no lock): that
 * happens when queue q of two afxdp ports is polled by different workers. */
static bool afxdp_claim_slow(struct dp_port *p, uint16_t q, struct afxdp_q *s,
			     const char *what)
{
	struct afxdp_pool *pool = s->pool;
	const void *none = NULL;

	if (atomic_compare_exchange_strong(&pool->owner, &none,
					   &afxdp_thread_token))
		return true;
	atomic_fetch_add_explicit(&pool->wrong_thread, 1,
				  memory_order_relaxed);
	if (!atomic_exchange(&s->warned, true))
		afxdp_log("port %s queue %u: %s refused: the UMEM pool of "
			  "queue %u is already used by another thread; queue "
			  "%u of every afxdp port must be polled by the same "
			  "worker (this thread's %s on it stay refused and are "
			  "counted as pool_wrong_thread)",
			  p->name, q, what, pool->qid, pool->qid, what);
	return false;
}

/* May the calling thread use this socket's pool? One relaxed load and a
 * compare per burst. */
static inline bool afxdp_claim(struct dp_port *p, uint16_t q,
			       struct afxdp_q *s, const char *what)
{
	if (__builtin_expect(atomic_load_explicit(&s->pool->owner,
						  memory_order_relaxed) ==
				     &afxdp_thread_token,
			     1))
		return true;
	return afxdp_claim_slow(p, q, s, what);
}

/* Move completed TX frames back to the pool. */
static inline void afxdp_complete(struct afxdp_q *s)
{
	struct afxdp_pool *pool = s->pool;
	uint32_t idx, n;

	if (!s->tx_outstanding)
		return;
	n = xsk_ring_cons__peek(s->comp, s->tx_outstanding, &idx);
	if (!n)
		return;
	for (uint32_t i = 0; i < n; i++)
		pool->free[pool->nfree++] = afxdp_frame(
			*xsk_ring_cons__comp_addr(s->comp, idx + i));
	xsk_ring_cons__release(s->comp, n);
	s->tx_outstanding -= n;
}

/* Kick TX while the kernel has descriptors it has not taken and asks to be
 * woken (copy mode: always). EAGAIN/EBUSY/ENOBUFS mean "call again". */
static inline void afxdp_kick(struct afxdp_q *s)
{
	uint32_t cons = __atomic_load_n(s->tx.consumer, __ATOMIC_ACQUIRE);

	if (cons == s->tx.cached_prod || !xsk_ring_prod__needs_wakeup(&s->tx))
		return;
	/* After a hard error (ENETDOWN: the link is down) try again only
	 * every AFXDP_KICK_BACKOFF calls, not a syscall per poll. */
	if (s->kick_backoff) {
		s->kick_backoff--;
		return;
	}
	s->tx_kicks++;
	if (sendto(s->fd, NULL, 0, MSG_DONTWAIT, NULL, 0) >= 0)
		return;
	if (errno == EAGAIN || errno == EBUSY || errno == ENOBUFS ||
	    errno == EINTR) {
		s->tx_kick_busy++;
	} else {
		s->tx_kick_err++;
		s->kick_backoff = AFXDP_KICK_BACKOFF;
	}
}

static inline void afxdp_refill(struct afxdp_q *s)
{
	struct afxdp_pool *pool = s->pool;
	uint32_t idx, n;

	n = xsk_prod_nb_free(s->fill, DP_BURST);
	if (n < DP_BURST)
		return;
	if (!pool->nfree) {
		pool->fill_starved++;
		return;
	}
	if (n > pool->nfree)
		n = pool->nfree;
	n = xsk_ring_prod__reserve(s->fill, n, &idx);
	for (uint32_t i = 0; i < n; i++)
		*xsk_ring_prod__fill_addr(s->fill, idx + i) =
			pool->free[--pool->nfree];
	xsk_ring_prod__submit(s->fill, n);
}

static uint16_t afxdp_rx_burst(struct dp_port *p, uint16_t q,
			       struct dp_burst *b)
{
	struct afxdp_port *ap = p->priv;
	struct afxdp_q *s = &ap->q[q];
	struct afxdp_pool *pool = s->pool;
	uint32_t idx, n;

	b->n = 0;
	b->port = p->id;
	b->queue = q;
	if (!afxdp_claim(p, q, s, "rx"))
		return 0;
	afxdp_complete(s);
	if (s->tx_outstanding)
		afxdp_kick(s);
	afxdp_refill(s);
	s->polls++;
	n = xsk_ring_cons__peek(&s->rx, DP_BURST, &idx);
	if (!n) {
		/* Busy polling: an empty ring on a queue that had traffic
		 * lately runs the driver's NAPI here, on the worker's core
		 * (veth otherwise does that work on the sender's core). A
		 * queue that has been idle for a while costs no syscall. */
		if (s->busy && s->last_rx &&
		    s->polls - s->last_rx < AFXDP_BUSY_RECENT) {
			s->rx_busy_polls++;
			recvfrom(s->fd, NULL, 0, MSG_DONTWAIT, NULL, NULL);
		} else if (xsk_ring_prod__needs_wakeup(s->fill)) {
			s->rx_wakeups++;
			recvfrom(s->fd, NULL, 0, MSG_DONTWAIT, NULL, NULL);
		}
		return 0;
	}
	s->last_rx = s->polls;
	for (uint32_t i = 0; i < n; i++) {
		const struct xdp_desc *d =
			xsk_ring_cons__rx_desc(&s->rx, idx + i);
		uint64_t addr = xsk_umem__add_offset_to_addr(d->addr);

		b->data[i] = pool->area + addr;
		b->len[i] = d->len;
		b->buf[i] = addr;
	}
	xsk_ring_cons__release(&s->rx, n);
	pool->app += n;
	s->rx_pkts += n;
	b->n = n;
	return n;
}

static void afxdp_free_bufs(struct dp_port *p, uint16_t q, const uintptr_t *buf,
			    uint16_t n)
{
	struct afxdp_port *ap = p->priv;
	struct afxdp_pool *pool = ap->q[q].pool;

	if (!afxdp_claim(p, q, &ap->q[q], "free"))
		return;
	afxdp_pool_put_frames(pool, (const uint64_t *)buf, n);
}

static uint16_t afxdp_tx_burst(struct dp_port *p, uint16_t q,
			       uint8_t *const *data, const uint16_t *len,
			       const uintptr_t *buf, uint16_t n, bool foreign)
{
	struct afxdp_port *ap = p->priv;
	struct afxdp_q *s = &ap->q[q];
	struct afxdp_pool *pool = s->pool;
	uint32_t idx, room, i;

	if (!afxdp_claim(p, q, s, "tx"))
		return 0;
	afxdp_complete(s);
	/* xsk_ring_prod__reserve is all or nothing: ask for what fits. */
	room = xsk_prod_nb_free(&s->tx, n);
	if (room > n)
		room = n;
	room = xsk_ring_prod__reserve(&s->tx, room, &idx);
	if (!foreign) {
		for (i = 0; i < room; i++) {
			uint64_t off = (uint64_t)(data[i] - pool->area);
			struct xdp_desc *d;

			/* A frame of another queue's pool cannot go on this
			 * ring (the rule in the header), nor data that left
			 * its handle's frame (completion gives back the frame
			 * the descriptor points into): the caller frees it
			 * and the rest. */
			if (off >= pool->size ||
			    afxdp_frame(off) != afxdp_frame(buf[i]) ||
			    afxdp_frame(off) + AFXDP_FRAME_SIZE <
				    off + len[i]) {
				s->tx_not_pool++;
				break;
			}
			d = xsk_ring_prod__tx_desc(&s->tx, idx + i);
			d->addr = off;
			d->len = len[i];
			d->options = 0;
		}
		pool->app -= i;
	} else {
		for (i = 0; i < room; i++) {
			struct xdp_desc *d;
			uint64_t f;

			if (!pool->nfree || len[i] > AFXDP_FRAME_SIZE) {
				s->tx_no_frame++;
				break;
			}
			f = pool->free[--pool->nfree];
			memcpy(pool->area + f, data[i], len[i]);
			d = xsk_ring_prod__tx_desc(&s->tx, idx + i);
			d->addr = f;
			d->len = len[i];
			d->options = 0;
		}
		s->tx_copied += i;
	}
	if (i < room)
		s->tx.cached_prod -= room - i; /* un-reserve the rest */
	if (i) {
		xsk_ring_prod__submit(&s->tx, i);
		s->tx_outstanding += i;
		afxdp_kick(s);
	}
	return i;
}

static uint16_t afxdp_alloc_bufs(struct dp_port *p, uint16_t q, uint16_t len,
				 uint8_t **data, uintptr_t *buf, uint16_t n)
{
	struct afxdp_port *ap = p->priv;
	struct afxdp_q *s = &ap->q[q];
	struct afxdp_pool *pool = s->pool;
	uint16_t i;

	if (len > AFXDP_FRAME_SIZE || !afxdp_claim(p, q, s, "alloc"))
		return 0;
	afxdp_complete(s);
	for (i = 0; i < n && pool->nfree; i++) {
		uint64_t f = pool->free[--pool->nfree];

		data[i] = pool->area + f;
		buf[i] = f;
	}
	pool->app += i;
	return i;
}

static void afxdp_tx_flush(struct dp_port *p, uint16_t q)
{
	struct afxdp_port *ap = p->priv;
	struct afxdp_q *s = &ap->q[q];

	if (!afxdp_claim(p, q, s, "tx"))
		return;
	afxdp_complete(s);
	afxdp_kick(s);
}

/* ---- XDP program: find, recognise, attach, detach ---- */

/* Is the program with this id ours (name + XSKMAP name)? Fills name. */
static bool afxdp_prog_is_ours(uint32_t id, char *name, size_t namelen)
{
	struct bpf_prog_info info = {};
	uint32_t len = sizeof(info), map_ids[8] = {}, nmaps;
	bool ours = false;
	int fd;

	snprintf(name, namelen, "?");
	fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0)
		return false;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		goto out;
	snprintf(name, namelen, "%s", info.name[0] ? info.name : "(no name)");
	if (strcmp(info.name, LR_XDP_PROG_NAME))
		goto out;
	nmaps = info.nr_map_ids < 8 ? info.nr_map_ids : 8;
	memset(&info, 0, sizeof(info));
	info.nr_map_ids = nmaps;
	info.map_ids = (uint64_t)(uintptr_t)map_ids;
	len = sizeof(info);
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		goto out;
	for (uint32_t i = 0; i < nmaps && !ours; i++) {
		struct bpf_map_info mi = {};
		uint32_t mlen = sizeof(mi);
		int mfd = bpf_map_get_fd_by_id(map_ids[i]);

		if (mfd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(mfd, &mi, &mlen) &&
		    mi.type == BPF_MAP_TYPE_XSKMAP &&
		    !strcmp(mi.name, LR_XDP_XSKMAP_NAME))
			ours = true;
		close(mfd);
	}
out:
	close(fd);
	return ours;
}

/* A live process other than this one that holds a file descriptor of BPF
 * program id (a running linerated or afxdp_fwd keeps its skeleton open):
 * its pid, and its name in comm; 0 when none (the program is only held by
 * the interface, i.e. its loader is gone). Cold path: walks /proc/PID/fd
 * and the fdinfo of every bpf-prog descriptor. */
static pid_t afxdp_prog_holder(uint32_t id, char *comm, size_t commlen)
{
	pid_t self = getpid(), found = 0;
	struct dirent *pe;
	DIR *proc;

	snprintf(comm, commlen, "?");
	proc = opendir("/proc");
	if (!proc)
		return 0;
	while (!found && (pe = readdir(proc))) {
		char path[64], link[32];
		struct dirent *fe;
		pid_t pid;
		DIR *fds;

		pid = (pid_t)strtol(pe->d_name, NULL, 10);
		if (pid <= 0 || pid == self)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fd", pid);
		fds = opendir(path);
		if (!fds)
			continue;
		while (!found && (fe = readdir(fds))) {
			char line[64];
			ssize_t len;
			uint32_t pid_prog;
			FILE *f;

			if (fe->d_name[0] == '.')
				continue;
			len = readlinkat(dirfd(fds), fe->d_name, link,
					 sizeof(link) - 1);
			if (len <= 0)
				continue;
			link[len] = 0;
			if (strcmp(link, "anon_inode:bpf-prog"))
				continue;
			if (snprintf(path, sizeof(path), "/proc/%d/fdinfo/%s",
				     pid, fe->d_name) >= (int)sizeof(path))
				continue;
			f = fopen(path, "re");
			if (!f)
				continue;
			while (fgets(line, sizeof(line), f))
				if (sscanf(line, "prog_id: %u", &pid_prog) == 1 &&
				    pid_prog == id)
					found = pid;
			fclose(f);
		}
		closedir(fds);
	}
	closedir(proc);
	if (found) {
		char path[64];
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/comm", found);
		f = fopen(path, "re");
		if (f) {
			if (fgets(comm, (int)commlen, f))
				comm[strcspn(comm, "\n")] = 0;
			fclose(f);
		}
	}
	return found;
}

/* Clear whatever XDP program the interface has, if it is ours and its
 * loader is gone (left by a crashed linerated), or force says so. Ours but
 * still held by a running process (another linerated on the same
 * interface) is not stale: it stays unless force. */
static int afxdp_clear_old(const struct dp_port_conf *c, int ifindex, char *err,
			   size_t errlen)
{
	static const struct {
		uint32_t flag;
		const char *mode;
	} modes[] = {
		{XDP_FLAGS_DRV_MODE, "native"},
		{XDP_FLAGS_SKB_MODE, "skb"},
		{XDP_FLAGS_HW_MODE, "offload"},
	};
	LIBBPF_OPTS(bpf_xdp_query_opts, qo);
	uint32_t ids[3];
	int ret;

	ret = bpf_xdp_query(ifindex, 0, &qo);
	if (ret) {
		snprintf(err, errlen, "port %s: cannot query XDP on %s: %s",
			 c->name, c->dev, strerror(-ret));
		return ret;
	}
	ids[0] = qo.drv_prog_id;
	ids[1] = qo.skb_prog_id;
	ids[2] = qo.hw_prog_id;
	for (int m = 0; m < 3; m++) {
		char name[BPF_OBJ_NAME_LEN + 8], comm[32];
		pid_t holder;
		bool ours;

		if (!ids[m])
			continue;
		ours = afxdp_prog_is_ours(ids[m], name, sizeof(name));
		if (ours && (holder = afxdp_prog_holder(ids[m], comm,
							 sizeof(comm)))) {
			if (!c->force) {
				snprintf(err, errlen,
					 "port %s: interface %s already has "
					 "linerate's XDP program '%s' (id %u, "
					 "%s mode) in use by running process "
					 "%d (%s); not replacing it without "
					 "force",
					 c->name, c->dev, name, ids[m],
					 modes[m].mode, (int)holder, comm);
				return -EBUSY;
			}
			afxdp_log("port %s: replacing XDP program '%s' (id %u) "
				  "of running process %d (%s) on %s (force)",
				  c->name, name, ids[m], (int)holder, comm,
				  c->dev);
		}
		if (!ours && !c->force) {
			snprintf(
				err, errlen,
				"port %s: interface %s already has XDP program "
				"'%s' (id %u, %s mode) of another tool; not "
				"replacing it without force",
				c->name, c->dev, name, ids[m], modes[m].mode);
			return -EBUSY;
		}
		afxdp_log("port %s: replacing %s XDP program '%s' (id %u, %s "
			  "mode) on %s",
			  c->name, ours ? "stale linerate" : "foreign (force)",
			  name, ids[m], modes[m].mode, c->dev);
		ret = bpf_xdp_detach(ifindex, modes[m].flag, NULL);
		if (ret) {
			snprintf(err, errlen,
				 "port %s: cannot detach XDP program '%s' (id "
				 "%u) from %s: %s",
				 c->name, name, ids[m], c->dev, strerror(-ret));
			return ret;
		}
	}
	return 0;
}

static int afxdp_attach(struct afxdp_port *ap, const struct dp_port_conf *c,
			enum lr_xdp_filter filter, char *err, size_t errlen)
{
	struct bpf_prog_info info = {};
	uint32_t len = sizeof(info);
	int prog_fd, ret;

	ap->skel = lr_xdp__open();
	if (!ap->skel) {
		ret = -errno;
		snprintf(err, errlen,
			 "port %s: cannot open the XDP program: %s", c->name,
			 strerror(-ret));
		return ret;
	}
	ap->skel->rodata->lr_filter = filter;
	ret = lr_xdp__load(ap->skel);
	if (ret) {
		snprintf(err, errlen,
			 "port %s: cannot load the XDP program "
			 "(verifier or BPF not available): %s",
			 c->name, strerror(-ret));
		return ret;
	}
	prog_fd = bpf_program__fd(ap->skel->progs.lr_xdp_xsk);
	ap->map_fd = bpf_map__fd(ap->skel->maps.lr_xsks);
	ap->stats_fd = bpf_map__fd(ap->skel->maps.lr_stats);
	if (!bpf_obj_get_info_by_fd(prog_fd, &info, &len))
		ap->prog_id = info.id;

	ap->xdp_mode_flag =
		c->xdp_skb ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
	ret = bpf_xdp_attach(ap->ifindex, prog_fd,
			     XDP_FLAGS_UPDATE_IF_NOEXIST | ap->xdp_mode_flag,
			     NULL);
	if (ret && ap->xdp_mode_flag == XDP_FLAGS_DRV_MODE &&
	    (ret == -EOPNOTSUPP || ret == -EINVAL)) {
		afxdp_log("port %s: native XDP not available on %s (%s), "
			  "falling back to SKB mode",
			  c->name, ap->ifname, strerror(-ret));
		ap->xdp_mode_flag = XDP_FLAGS_SKB_MODE;
		ret = bpf_xdp_attach(
			ap->ifindex, prog_fd,
			XDP_FLAGS_UPDATE_IF_NOEXIST | ap->xdp_mode_flag, NULL);
	}
	if (ret) {
		snprintf(err, errlen,
			 "port %s: cannot attach the XDP program "
			 "to %s (%s mode): %s",
			 c->name, ap->ifname,
			 ap->xdp_mode_flag == XDP_FLAGS_SKB_MODE ? "skb"
								 : "native",
			 strerror(-ret));
		ap->xdp_mode_flag = 0;
		return ret;
	}
	return 0;
}

/* Detach our program if the interface still runs it. */
static void afxdp_detach(struct afxdp_port *ap)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, qo);
	uint32_t id;

	if (!ap->xdp_mode_flag)
		return;
	if (bpf_xdp_query(ap->ifindex, 0, &qo))
		return;
	id = ap->xdp_mode_flag == XDP_FLAGS_SKB_MODE ? qo.skb_prog_id
						     : qo.drv_prog_id;
	if (id && id == ap->prog_id)
		bpf_xdp_detach(ap->ifindex, ap->xdp_mode_flag, NULL);
	else
		afxdp_log("%s: our XDP program (id %u) is no longer attached; "
			  "leaving id %u alone",
			  ap->ifname, ap->prog_id, id);
	ap->xdp_mode_flag = 0;
}

/* ---- sockets ---- */

static int afxdp_q_open(struct afxdp_port *ap, const struct dp_port_conf *c,
			uint16_t qid, uint32_t rx_size, uint32_t tx_size,
			uint32_t fill_size, char *err, size_t errlen)
{
	struct xsk_socket_config cfg = {
		.rx_size = rx_size,
		.tx_size = tx_size,
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
		.xdp_flags = ap->xdp_mode_flag,
		/* Neither XDP_COPY nor XDP_ZEROCOPY: the kernel tries
		 * zero-copy and falls back to copy. */
		.bind_flags =
			XDP_USE_NEED_WAKEUP | (c->zerocopy ? XDP_ZEROCOPY : 0),
	};
	struct afxdp_q *s = &ap->q[qid];
	struct xdp_options opts = {};
	socklen_t olen = sizeof(opts);
	struct afxdp_pool *pool = NULL;
	bool first;
	int ret;

	ret = afxdp_pool_get(qid, fill_size, tx_size, &pool);
	if (ret) {
		snprintf(err, errlen,
			 "port %s: cannot create the UMEM of "
			 "queue %u: %s",
			 c->name, qid, strerror(-ret));
		return ret;
	}
	first = pool->refs == 0;
	/* Later sockets get rings of the pool's sizes (libxdp makes them from
	 * the UMEM's config): say so when that is less than this port asks. */
	if (!first && (pool->fill_size < fill_size || pool->comp_size < tx_size))
		afxdp_log("port %s: queue %u: the shared UMEM's fill/completion "
			  "rings hold %u/%u, this port would want %u/%u (the "
			  "first afxdp port opened sets them; give it the "
			  "largest rings)",
			  c->name, qid, pool->fill_size, pool->comp_size,
			  fill_size, tx_size);
	s->fill = first ? &pool->fill0 : &s->fill_own;
	s->comp = first ? &pool->comp0 : &s->comp_own;
	ret = xsk_socket__create_shared(&s->xsk, ap->ifname, qid, pool->umem,
					&s->rx, &s->tx, s->fill, s->comp, &cfg);
	if (ret) {
		s->xsk = NULL;
		snprintf(err, errlen,
			 "port %s: cannot create the AF_XDP socket "
			 "on %s queue %u%s: %s",
			 c->name, ap->ifname, qid,
			 c->zerocopy ? " (zero-copy required)" : "",
			 strerror(-ret));
		if (first) {
			afxdp_pools[qid] = NULL;
			afxdp_pool_destroy(pool);
		}
		return ret;
	}
	pool->refs++;
	s->pool = pool;
	s->fd = xsk_socket__fd(s->xsk);
	if (!getsockopt(s->fd, SOL_XDP, XDP_OPTIONS, &opts, &olen))
		s->zc = opts.flags & XDP_OPTIONS_ZEROCOPY;
	pool->zc |= s->zc;
	if (ap->busy_budget) {
		int one = 1, usec = 20, budget = ap->busy_budget;

		if (setsockopt(s->fd, SOL_SOCKET, SO_PREFER_BUSY_POLL, &one,
			       sizeof(one)) ||
		    setsockopt(s->fd, SOL_SOCKET, SO_BUSY_POLL, &usec,
			       sizeof(usec)) ||
		    setsockopt(s->fd, SOL_SOCKET, SO_BUSY_POLL_BUDGET, &budget,
			       sizeof(budget)))
			afxdp_log(
				"port %s: queue %u: no preferred busy polling "
				"(%s); going on without",
				c->name, qid, strerror(errno));
		else
			s->busy = true;
	}
	/* Prime the fill ring from the pool. */
	while (pool->nfree && xsk_prod_nb_free(s->fill, DP_BURST) >= DP_BURST) {
		uint32_t before = pool->nfree;

		afxdp_refill(s);
		if (pool->nfree == before)
			break;
	}
	return 0;
}

/* Take back every frame the socket's rings hold, then close it. The socket
 * is out of the XSKMAP already, so nothing new arrives. */
static void afxdp_q_close(struct afxdp_port *ap, uint16_t qid)
{
	struct afxdp_q *s = &ap->q[qid];
	struct afxdp_pool *pool = s->pool;
	struct timespec t0, t;
	uint32_t idx, n, cons;

	if (!s->xsk)
		return;
	/* Let the kernel finish what it took from the TX ring. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		afxdp_complete(s);
		cons = __atomic_load_n(s->tx.consumer, __ATOMIC_ACQUIRE);
		if (!s->tx_outstanding)
			break;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000000000L +
			    (t.tv_nsec - t0.tv_nsec) >
		    AFXDP_DRAIN_NS)
			break;
		if (cons != s->tx.cached_prod)
			sendto(s->fd, NULL, 0, MSG_DONTWAIT, NULL, 0);
		else
			usleep(1000);
	}
	/* Descriptors the kernel never took from TX. */
	cons = __atomic_load_n(s->tx.consumer, __ATOMIC_ACQUIRE);
	for (uint32_t i = cons; i != s->tx.cached_prod; i++) {
		pool->free[pool->nfree++] =
			afxdp_frame(xsk_ring_prod__tx_desc(&s->tx, i)->addr);
		s->tx_outstanding--;
	}
	if (s->tx_outstanding)
		afxdp_log("%s queue %u: %u TX frames not completed by the "
			  "kernel at close",
			  ap->ifname, qid, s->tx_outstanding);
	/* Received, not yet read. */
	while ((n = xsk_ring_cons__peek(&s->rx, 64, &idx))) {
		for (uint32_t i = 0; i < n; i++)
			pool->free[pool->nfree++] = afxdp_frame(
				xsk_ring_cons__rx_desc(&s->rx, idx + i)->addr);
		xsk_ring_cons__release(&s->rx, n);
	}
	/* Posted to the fill ring, not used by the kernel. */
	cons = __atomic_load_n(s->fill->consumer, __ATOMIC_ACQUIRE);
	for (uint32_t i = cons; i != s->fill->cached_prod; i++)
		pool->free[pool->nfree++] =
			afxdp_frame(*xsk_ring_prod__fill_addr(s->fill, i));
	xsk_socket__delete(s->xsk);
	s->xsk = NULL;
	s->pool = NULL;
	afxdp_pool_unref(pool);
}

/* ---- cold path: ops ---- */

static int afxdp_map_set(struct afxdp_port *ap, bool in)
{
	for (uint16_t q = 0; q < ap->nq; q++) {
		uint32_t key = q;
		int ret;

		if (in)
			ret = bpf_map_update_elem(ap->map_fd, &key,
						  &ap->q[q].fd, BPF_ANY);
		else
			ret = bpf_map_delete_elem(ap->map_fd, &key);
		if (ret && in)
			return ret;
	}
	ap->in_map = in;
	return 0;
}

/* Count the port's sockets as started on their pools (in) or not; a pool
 * with no started socket left has no worker using it: its owner goes, so
 * the workers of a later start (new threads) can take it. */
static void afxdp_started(struct afxdp_port *ap, bool in)
{
	for (uint16_t q = 0; q < ap->nq; q++) {
		struct afxdp_pool *pool = ap->q[q].pool;

		if (in) {
			pool->started++;
			continue;
		}
		if (--pool->started == 0)
			atomic_store(&pool->owner, NULL);
	}
}

static int afxdp_start(struct dp_port *p)
{
	struct afxdp_port *ap = p->priv;
	int ret;

	if (ap->in_map)
		return 0;
	ret = afxdp_map_set(ap, true);
	if (ret) {
		afxdp_log("port %s: cannot put the sockets into the XSKMAP of "
			  "%s: %s",
			  p->name, ap->ifname, strerror(-ret));
		afxdp_map_set(ap, false);
		return ret;
	}
	afxdp_started(ap, true);
	p->up = true;
	return 0;
}

static void afxdp_stop(struct dp_port *p)
{
	struct afxdp_port *ap = p->priv;

	if (ap->in_map) {
		afxdp_map_set(ap, false);
		afxdp_started(ap, false);
	}
	p->up = false;
}

static int afxdp_ifreq(const char *ifname, unsigned long req,
		       struct ifreq *ifr);

/*
 * MTUs a run-time switch holds back (dp_afxdp_hold_mtu): an afxdp port
 * closed and opened again on its interface with the same mtu keeps it (no
 * put-back and set again: on a NIC each is a reset, a link flap); the
 * interface's MTU from before linerated is kept here meanwhile. The open
 * takes it over; what no open took is put back when the hold ends.
 */
static bool afxdp_mtu_holding;
static struct {
	int ifindex;
	int mtu;
	char ifname[IF_NAMESIZE];
} afxdp_mtu_held[DP_PORT_MAX];

static void afxdp_mtu_put_back(const char *ifname, int mtu)
{
	struct ifreq back = {.ifr_mtu = mtu};
	int ret = afxdp_ifreq(ifname, SIOCSIFMTU, &back);

	if (ret)
		afxdp_log("%s: cannot put MTU %d back: %s", ifname, mtu,
			  strerror(-ret));
}

/* The MTU held for ifindex (taken out of the hold), or 0. */
static int afxdp_mtu_take(int ifindex)
{
	for (int i = 0; i < DP_PORT_MAX; i++)
		if (afxdp_mtu_held[i].ifindex == ifindex) {
			afxdp_mtu_held[i].ifindex = 0;
			return afxdp_mtu_held[i].mtu;
		}
	return 0;
}

void dp_afxdp_hold_mtu(bool on)
{
	afxdp_mtu_holding = on;
	if (on)
		return;
	for (int i = 0; i < DP_PORT_MAX; i++)
		if (afxdp_mtu_held[i].ifindex) {
			afxdp_mtu_held[i].ifindex = 0;
			afxdp_mtu_put_back(afxdp_mtu_held[i].ifname,
					   afxdp_mtu_held[i].mtu);
		}
}

static void afxdp_release(struct afxdp_port *ap)
{
	if (ap->in_map) {
		afxdp_map_set(ap, false);
		afxdp_started(ap, false);
	}
	/* Redirects already under way finish within the NAPI poll that
	 * started them; give them that long before reading the rings. */
	usleep(2000);
	for (uint16_t q = 0; q < DP_QUEUE_MAX; q++)
		afxdp_q_close(ap, q);
	afxdp_detach(ap);
	lr_xdp__destroy(ap->skel);
	if (ap->old_mtu) {
		int i = 0;

		while (afxdp_mtu_holding && i < DP_PORT_MAX &&
		       afxdp_mtu_held[i].ifindex)
			i++;
		if (afxdp_mtu_holding && i < DP_PORT_MAX) {
			afxdp_mtu_held[i].ifindex = ap->ifindex;
			afxdp_mtu_held[i].mtu = ap->old_mtu;
			snprintf(afxdp_mtu_held[i].ifname,
				 sizeof(afxdp_mtu_held[i].ifname), "%s",
				 ap->ifname);
		} else {
			afxdp_mtu_put_back(ap->ifname, ap->old_mtu);
		}
	}
	for (int i = 0; i < DP_PORT_MAX; i++)
		if (afxdp_ifindex_open[i] == ap->ifindex) {
			afxdp_ifindex_open[i] = 0;
			break;
		}
	free(ap);
}

static void afxdp_close(struct dp_port *p)
{
	if (!p->priv)
		return;
	afxdp_release(p->priv);
	p->priv = NULL;
	p->up = false;
}

static void afxdp_sum_xsk_stats(struct afxdp_port *ap, struct xdp_statistics *t)
{
	memset(t, 0, sizeof(*t));
	for (uint16_t q = 0; q < ap->nq; q++) {
		struct xdp_statistics st = {};
		socklen_t len = sizeof(st);

		if (getsockopt(ap->q[q].fd, SOL_XDP, XDP_STATISTICS, &st, &len))
			continue;
		t->rx_dropped += st.rx_dropped;
		t->rx_invalid_descs += st.rx_invalid_descs;
		t->tx_invalid_descs += st.tx_invalid_descs;
		t->rx_ring_full += st.rx_ring_full;
		t->rx_fill_ring_empty_descs += st.rx_fill_ring_empty_descs;
		t->tx_ring_empty_descs += st.tx_ring_empty_descs;
	}
}

/* The XDP counters' names, from the list the program counts by. */
static const char *const afxdp_xdp_names[] = {
#define AFXDP_XDP_NAME(e, name, desc) name,
	LR_XDP_FOREACH_COUNTER(AFXDP_XDP_NAME)
#undef AFXDP_XDP_NAME
};
static const char *const afxdp_xdp_byte_names[] = {
#define AFXDP_XDP_BNAME(e, name, desc) name "_bytes",
	LR_XDP_FOREACH_COUNTER(AFXDP_XDP_BNAME)
#undef AFXDP_XDP_BNAME
};

/* Per-queue names (kv names must outlive the call). */
static const char *const afxdp_q_rx_names[] = {
	"q0_rx_pkts",  "q1_rx_pkts",  "q2_rx_pkts",  "q3_rx_pkts",
	"q4_rx_pkts",  "q5_rx_pkts",  "q6_rx_pkts",  "q7_rx_pkts",
	"q8_rx_pkts",  "q9_rx_pkts",  "q10_rx_pkts", "q11_rx_pkts",
	"q12_rx_pkts", "q13_rx_pkts", "q14_rx_pkts", "q15_rx_pkts",
};
_Static_assert(sizeof(afxdp_q_rx_names) / sizeof(afxdp_q_rx_names[0]) ==
		       DP_QUEUE_MAX,
	       "one name per queue");

static int afxdp_xstats(struct dp_port *p, struct dp_port_kv *kv, int max)
{
	struct afxdp_port *ap = p->priv;
	int ncpu = libbpf_num_possible_cpus();
	struct lr_xdp_rec *rec;
	struct xdp_statistics st;
	uint64_t fill = 0, rx = 0, tx = 0, kicks = 0, busy = 0, kerr = 0;
	uint64_t wake = 0, bpolls = 0, copied = 0, notpool = 0, noframe = 0;
	uint64_t total = 0, nfree = 0, starved = 0, badfree = 0, wrong = 0;
	int64_t app = 0;
	bool seen[DP_QUEUE_MAX] = {};
	int n = 0;

#define AFXDP_KV(nm, v)                                                        \
	do {                                                                   \
		if (n < max)                                                   \
			kv[n++] = (struct dp_port_kv){(nm), (v)};              \
	} while (0)

	if (ncpu > 0 && (rec = calloc(ncpu, sizeof(*rec)))) {
		for (uint32_t c = 0; c < LR_XDP_C__COUNT; c++) {
			uint64_t sum = 0, bytes = 0;

			if (!bpf_map_lookup_elem(ap->stats_fd, &c, rec))
				for (int i = 0; i < ncpu; i++) {
					sum += rec[i].packets;
					bytes += rec[i].bytes;
				}
			AFXDP_KV(afxdp_xdp_names[c], sum);
			AFXDP_KV(afxdp_xdp_byte_names[c], bytes);
		}
		free(rec);
	}
	afxdp_sum_xsk_stats(ap, &st);
	AFXDP_KV("xsk_rx_dropped", st.rx_dropped);
	/* RX and TX together (both are 0 unless descriptors are wrong):
	 * linerated's summary shows 32 names. */
	AFXDP_KV("xsk_invalid_descs", st.rx_invalid_descs + st.tx_invalid_descs);
	AFXDP_KV("xsk_rx_ring_full", st.rx_ring_full);
	AFXDP_KV("xsk_rx_fill_ring_empty_descs", st.rx_fill_ring_empty_descs);
	AFXDP_KV("xsk_tx_ring_empty_descs", st.tx_ring_empty_descs);

	for (uint16_t q = 0; q < ap->nq; q++) {
		struct afxdp_q *s = &ap->q[q];
		struct afxdp_pool *pool = s->pool;

		fill += s->fill->cached_prod -
			__atomic_load_n(s->fill->consumer, __ATOMIC_ACQUIRE);
		rx += __atomic_load_n(s->rx.producer, __ATOMIC_ACQUIRE) -
		      s->rx.cached_cons;
		tx += s->tx_outstanding;
		kicks += s->tx_kicks;
		busy += s->tx_kick_busy;
		kerr += s->tx_kick_err;
		wake += s->rx_wakeups;
		bpolls += s->rx_busy_polls;
		copied += s->tx_copied;
		notpool += s->tx_not_pool;
		noframe += s->tx_no_frame;
		if (!pool || seen[pool->qid])
			continue;
		seen[pool->qid] = true;
		total += pool->nframes;
		nfree += pool->nfree;
		app += pool->app;
		starved += pool->fill_starved;
		badfree += pool->bad_free;
		wrong += atomic_load_explicit(&pool->wrong_thread,
					      memory_order_relaxed);
	}
	/* Pool figures cover every port sharing the pool; ring figures are
	 * this port's. */
	AFXDP_KV("frames_total", total);
	AFXDP_KV("frames_free", nfree);
	AFXDP_KV("frames_in_app", (uint64_t)(app > 0 ? app : 0));
	AFXDP_KV("frames_in_fill", fill);
	AFXDP_KV("frames_in_rx", rx);
	AFXDP_KV("frames_in_tx", tx);
	AFXDP_KV("fill_starved", starved);
	AFXDP_KV("bad_free", badfree);
	AFXDP_KV("pool_wrong_thread", wrong);
	AFXDP_KV("tx_kicks", kicks);
	AFXDP_KV("tx_kick_busy", busy);
	AFXDP_KV("tx_kick_err", kerr);
	AFXDP_KV("rx_wakeups", wake);
	AFXDP_KV("rx_busy_polls", bpolls);
	AFXDP_KV("tx_copied", copied);
	AFXDP_KV("tx_not_pool", notpool);
	AFXDP_KV("tx_no_frame", noframe);
	for (uint16_t q = 0; q < ap->nq; q++)
		AFXDP_KV(afxdp_q_rx_names[q], ap->q[q].rx_pkts);
#undef AFXDP_KV
	return n;
}

static const struct dp_port_ops afxdp_ops = {
	.backend = "afxdp",
	.rx_burst = afxdp_rx_burst,
	.tx_burst = afxdp_tx_burst,
	.free_bufs = afxdp_free_bufs,
	.alloc_bufs = afxdp_alloc_bufs,
	.tx_flush = afxdp_tx_flush,
	.start = afxdp_start,
	.stop = afxdp_stop,
	.close = afxdp_close,
	.xstats = afxdp_xstats,
};

/* ---- open ---- */

/* "ifname[,filter=all|ip][,busy_poll=BUDGET]" */
static int afxdp_parse_dev(const struct dp_port_conf *c, char *ifname,
			   enum lr_xdp_filter *filter, uint16_t *busy,
			   char *err, size_t errlen)
{
	char buf[sizeof(c->dev)], *opt, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", c->dev);
	opt = strtok_r(buf, ",", &save);
	if (!opt || !*opt || strlen(opt) >= IF_NAMESIZE) {
		snprintf(err, errlen,
			 "port %s: dev '%s': expected an interface "
			 "name (at most %d characters) first",
			 c->name, c->dev, IF_NAMESIZE - 1);
		return -EINVAL;
	}
	snprintf(ifname, IF_NAMESIZE, "%s", opt);
	*filter = LR_XDP_FILTER_ALL;
	*busy = AFXDP_BUSY_BUDGET;
	while ((opt = strtok_r(NULL, ",", &save))) {
		char *end;

		if (!strncmp(opt, "busy_poll=", 10)) {
			unsigned long v = strtoul(opt + 10, &end, 10);

			if (*end || end == opt + 10 || v > 1024) {
				snprintf(err, errlen,
					 "port %s: dev '%s': "
					 "busy_poll wants a budget 0..1024 "
					 "(0: off), not '%s'",
					 c->name, c->dev, opt + 10);
				return -EINVAL;
			}
			*busy = v;
		} else if (!strcmp(opt, "filter=all")) {
			*filter = LR_XDP_FILTER_ALL;
		} else if (!strcmp(opt, "filter=ip")) {
			*filter = LR_XDP_FILTER_IP;
		} else {
			snprintf(err, errlen,
				 "port %s: dev '%s': unknown option "
				 "'%s' (known: filter=all, filter=ip, "
				 "busy_poll=N)",
				 c->name, c->dev, opt);
			return -EINVAL;
		}
	}
	return 0;
}

static int afxdp_ifreq(const char *ifname, unsigned long req, struct ifreq *ifr)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int ret = 0;

	if (fd < 0)
		return -errno;
	snprintf(ifr->ifr_name, IF_NAMESIZE, "%s", ifname);
	if (ioctl(fd, req, ifr))
		ret = -errno;
	close(fd);
	return ret;
}

/* RX queues the driver has (0 when it does not say). */
static uint32_t afxdp_rx_queues(const char *ifname)
{
	struct ethtool_channels ch = {.cmd = ETHTOOL_GCHANNELS};
	struct ifreq ifr = {.ifr_data = (void *)&ch};

	if (afxdp_ifreq(ifname, SIOCETHTOOL, &ifr))
		return 0;
	return ch.rx_count + ch.combined_count;
}

/* RX descriptors of the driver's own ring (0 when it has none, as veth). */
static uint32_t afxdp_hw_rx_ring(const char *ifname)
{
	struct ethtool_ringparam rp = {.cmd = ETHTOOL_GRINGPARAM};
	struct ifreq ifr = {.ifr_data = (void *)&rp};

	if (afxdp_ifreq(ifname, SIOCETHTOOL, &ifr))
		return 0;
	return rp.rx_pending;
}

int dp_afxdp_open(struct dp_port *p, const struct dp_port_conf *c, char *err,
		  size_t errlen)
{
	enum lr_xdp_filter filter;
	struct afxdp_port *ap;
	uint32_t rx_size, tx_size, fill_size;
	struct ifreq ifr = {};
	char ifname[IF_NAMESIZE] = "";
	int slot = -1, ret, old_mtu = 0, held_mtu = 0;
	bool zc = false;

	ap = calloc(1, sizeof(*ap));
	if (!ap) {
		snprintf(err, errlen, "port %s: out of memory", c->name);
		return -ENOMEM;
	}
	ap->map_fd = ap->stats_fd = -1;
	ret = afxdp_parse_dev(c, ap->ifname, &filter, &ap->busy_budget, err,
			      errlen);
	if (ret)
		goto err_free;
	ap->ifindex = if_nametoindex(ap->ifname);
	if (!ap->ifindex) {
		ret = -ENODEV;
		snprintf(err, errlen, "port %s: interface %s not found",
			 c->name, ap->ifname);
		goto err_free;
	}
	ap->nq = c->nb_queues ? c->nb_queues : 1;
	if (ap->nq > DP_QUEUE_MAX || ap->nq > LR_XDP_QUEUE_MAX) {
		ret = -EINVAL;
		snprintf(err, errlen, "port %s: %u queues, at most %d", c->name,
			 ap->nq, DP_QUEUE_MAX);
		goto err_free;
	}
	if (afxdp_rx_queues(ap->ifname) &&
	    ap->nq > afxdp_rx_queues(ap->ifname)) {
		ret = -EINVAL;
		snprintf(err, errlen,
			 "port %s: %u queues, but %s has %u RX queue(s)",
			 c->name, ap->nq, ap->ifname,
			 afxdp_rx_queues(ap->ifname));
		goto err_free;
	}
	rx_size = afxdp_pow2(c->rx_ring ? c->rx_ring : AFXDP_RING_DEFAULT);
	tx_size = afxdp_pow2(c->tx_ring ? c->tx_ring : AFXDP_RING_DEFAULT);
	if (rx_size > AFXDP_RING_MAX || tx_size > AFXDP_RING_MAX ||
	    rx_size < DP_BURST || tx_size < DP_BURST) {
		ret = -EINVAL;
		snprintf(err, errlen,
			 "port %s: rings of %u/%u descriptors; "
			 "allowed %d..%u",
			 c->name, rx_size, tx_size, DP_BURST, AFXDP_RING_MAX);
		goto err_free;
	}
	/* The driver's ring and the socket's RX ring can both hold frames
	 * taken from the fill ring. */
	fill_size = afxdp_pow2(afxdp_hw_rx_ring(ap->ifname) + rx_size);
	for (int i = 0; i < DP_PORT_MAX; i++) {
		if (afxdp_ifindex_open[i] == ap->ifindex) {
			ret = -EBUSY;
			snprintf(err, errlen,
				 "port %s: interface %s is already "
				 "an afxdp port of this process",
				 c->name, ap->ifname);
			goto err_free;
		}
		if (slot < 0 && !afxdp_ifindex_open[i])
			slot = i;
	}
	if (slot < 0) {
		ret = -ENOSPC;
		snprintf(err, errlen, "port %s: too many afxdp ports", c->name);
		goto err_free;
	}
	if (c->mtu && (unsigned int)c->mtu + 14 + 8 > AFXDP_FRAME_SIZE) {
		ret = -EMSGSIZE;
		snprintf(err, errlen,
			 "port %s: MTU %u does not fit a %u-byte UMEM frame",
			 c->name, c->mtu, AFXDP_FRAME_SIZE);
		goto err_free;
	}
	/* A switch closed this interface's afxdp port a moment ago: its MTU
	 * from before linerated comes back to us; without an mtu now it is
	 * put back at once. */
	held_mtu = afxdp_mtu_take(ap->ifindex);
	if (held_mtu && !c->mtu)
		afxdp_mtu_put_back(ap->ifname, held_mtu);
	if (held_mtu && c->mtu) {
		old_mtu = held_mtu;
		snprintf(ifname, sizeof(ifname), "%s", ap->ifname);
	}
	if (c->mtu && !afxdp_ifreq(ap->ifname, SIOCGIFMTU, &ifr) &&
	    ifr.ifr_mtu != c->mtu) {
		/* Put back if open fails later: nothing half-applied. */
		if (!old_mtu)
			old_mtu = ifr.ifr_mtu;
		snprintf(ifname, sizeof(ifname), "%s", ap->ifname);
		ifr.ifr_mtu = c->mtu;
		ret = afxdp_ifreq(ap->ifname, SIOCSIFMTU, &ifr);
		if (ret) {
			snprintf(err, errlen,
				 "port %s: cannot set MTU %u on %s: "
				 "%s",
				 c->name, c->mtu, ap->ifname, strerror(-ret));
			if (held_mtu)
				afxdp_mtu_put_back(ap->ifname, held_mtu);
			old_mtu = 0;
			goto err_free;
		}
	}
	ret = afxdp_ifreq(ap->ifname, SIOCGIFMTU, &ifr);
	if (!ret && ifr.ifr_mtu + 14 + 8 > (int)AFXDP_FRAME_SIZE) {
		ret = -EMSGSIZE;
		snprintf(err, errlen,
			 "port %s: MTU %d of %s does not fit a "
			 "%u-byte UMEM frame",
			 c->name, ifr.ifr_mtu, ap->ifname, AFXDP_FRAME_SIZE);
		goto err_free;
	}
	p->mtu = ret ? 1500 : ifr.ifr_mtu;
	if (c->mac_set) {
		memcpy(p->mac, c->mac, 6);
	} else {
		ret = afxdp_ifreq(ap->ifname, SIOCGIFHWADDR, &ifr);
		if (!ret)
			memcpy(p->mac, ifr.ifr_hwaddr.sa_data, 6);
	}

	ret = afxdp_clear_old(c, ap->ifindex, err, errlen);
	if (ret)
		goto err_free;
	ret = afxdp_attach(ap, c, filter, err, errlen);
	if (ret)
		goto err_release;
	for (uint16_t q = 0; q < ap->nq; q++) {
		ret = afxdp_q_open(ap, c, q, rx_size, tx_size, fill_size, err,
				   errlen);
		if (ret)
			goto err_release;
		zc = ap->q[q].zc;
	}
	afxdp_ifindex_open[slot] = ap->ifindex;
	ap->old_mtu = old_mtu;

	p->ops = &afxdp_ops;
	p->priv = ap;
	p->buf_domain = afxdp_domain;
	p->nb_queues = ap->nq;
	p->up = false;
	snprintf(p->name, sizeof(p->name), "%s", c->name);
	snprintf(p->mode_desc, sizeof(p->mode_desc), "%s, %s%s",
		 ap->xdp_mode_flag == XDP_FLAGS_SKB_MODE ? "skb" : "native",
		 zc ? "zero-copy" : "copy",
		 filter == LR_XDP_FILTER_IP ? ", ip only" : "");
	afxdp_log("port %s: %s, %u queue(s), rings rx %u tx %u fill %u, "
		  "%u frames per pool",
		  c->name, p->mode_desc, ap->nq, rx_size, tx_size, fill_size,
		  ap->q[0].pool->nframes);
	return 0;

err_release:
	afxdp_release(ap);
	ap = NULL;
err_free:
	free(ap);
	if (old_mtu) {
		struct ifreq back = {.ifr_mtu = old_mtu};

		if (afxdp_ifreq(ifname, SIOCSIFMTU, &back))
			afxdp_log("port %s: cannot restore MTU %d on %s",
				  c->name, old_mtu, ifname);
	}
	return ret;
}
