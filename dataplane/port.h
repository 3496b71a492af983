/* SPDX-License-Identifier: MIT */
/*
 * The port interface: one small set of functions per backend, chosen when a
 * port is opened (DPDK ethdev, AF_XDP, AF_PACKET under one I/O model each).
 * Workers call it once per burst, never once per packet.
 *
 * A burst is a set of (pointer, length, buffer handle) triples. The backend
 * that filled it owns the buffers (handle = rte_mbuf *, UMEM address, slot
 * index ...) until they are handed to a TX function or freed through the
 * owning port's free_bufs. The pipeline writes headers in place and decides
 * out[i] (an output port id, or DP_OUT_DROP with reason[i]).
 *
 * Lazy bursts (optional: backends that set fill_meta). The worker sets
 * b->lazy before rx_burst when nothing will read the packets (io without
 * the ACL, a port whose RX is dropped); such a backend then fills only n,
 * buf[] and bytes, leaving data[]/len[] unfilled (testpmd's iofwd never
 * looks at an mbuf either), and fills all of them when lazy is clear. If
 * the burst must be read after all (a small burst buffered for TX, a copy
 * into another buffer domain, a partial send), the worker calls fill_meta
 * and clears lazy. bytes is the sum of the len[] the backend fills or
 * would fill, so byte counters do not depend on the path a burst took.
 * Backends without fill_meta fill n, buf[], data[] and len[] in every
 * rx_burst and leave lazy and bytes alone (the worker sums len[]).
 */
#ifndef DP_PORT_H
#define DP_PORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "parse.h"

#define DP_BURST LR_BURST_SIZE
#define DP_OUT_DROP 0xffff
#define DP_PORT_MAX 32
#define DP_QUEUE_MAX 16
#define DP_NAME_MAX 64

struct dp_port;

struct dp_burst {
	uint16_t n;
	uint16_t port;  /* input port id */
	uint16_t queue; /* input queue */
	uint8_t lazy;   /* data[]/len[] not filled (lazy bursts, above) */
	uint8_t _pad;
	uint32_t bytes; /* lazy backends: the sum of len[] */
	uint8_t *data[DP_BURST];
	uint16_t len[DP_BURST];
	uint16_t out[DP_BURST];  /* output port id or DP_OUT_DROP */
	uint8_t reason[DP_BURST]; /* enum lr_reason when out == DP_OUT_DROP */
	uintptr_t buf[DP_BURST]; /* backend's handle for each buffer */
	struct dp_parsed meta[DP_BURST];
};

/* Counters a backend keeps for itself (ethdev xstats, ring stats, syscalls
 * of an I/O model ...), rendered by name in stats and metrics. */
struct dp_port_kv {
	const char *name;
	uint64_t value;
};

typedef uint16_t (*dp_rx_burst_fn)(struct dp_port *p, uint16_t q,
				   struct dp_burst *b);
typedef uint16_t (*dp_tx_burst_fn)(struct dp_port *p, uint16_t q,
				   uint8_t *const *data, const uint16_t *len,
				   const uintptr_t *buf, uint16_t n,
				   bool foreign);
typedef void (*dp_free_bufs_fn)(struct dp_port *p, uint16_t q,
				const uintptr_t *buf, uint16_t n);
/* Get up to n empty TX buffers of at least len bytes (the generator fills
 * them); returns how many it got. */
typedef uint16_t (*dp_alloc_bufs_fn)(struct dp_port *p, uint16_t q,
				     uint16_t len, uint8_t **data,
				     uintptr_t *buf, uint16_t n);
/* Flush anything the backend batched itself (e.g. kick a TX ring). */
typedef void (*dp_tx_flush_fn)(struct dp_port *p, uint16_t q);
/* Lazy bursts (above): fill b->data[]/b->len[] for b->buf[0..b->n) of a
 * burst rx_burst left lazy. */
typedef void (*dp_fill_meta_fn)(struct dp_port *p, struct dp_burst *b);

struct dp_port_ops {
	const char *backend; /* "dpdk", "afxdp", "kernel" */
	dp_rx_burst_fn rx_burst;
	dp_tx_burst_fn tx_burst;
	dp_free_bufs_fn free_bufs;
	dp_alloc_bufs_fn alloc_bufs;
	dp_tx_flush_fn tx_flush;  /* may be NULL */
	dp_fill_meta_fn fill_meta; /* lazy bursts; NULL: rx_burst fills all */
	/* May be NULL. io in one call, for a port whose io peer has the
	 * same backend and buffer domain: rx_burst of a lazy burst into b, then,
	 * when it holds at least min packets, tx_burst of all of them to
	 * queue oq of port op, freeing what could not be sent. Returns how
	 * many were sent, *tx_bytes their bytes; -1 when it did not send
	 * (b holds the burst, lazy, b->n may be 0), the caller goes on as
	 * after rx_burst. */
	int (*io_direct)(struct dp_port *p, uint16_t q, struct dp_port *op,
			 uint16_t oq, struct dp_burst *b, uint16_t min,
			 uint32_t *tx_bytes);
	/* Cold path. */
	int (*start)(struct dp_port *p);
	void (*stop)(struct dp_port *p);
	void (*close)(struct dp_port *p);
	/* Fill up to max name/value pairs; returns how many. May be NULL. */
	int (*xstats)(struct dp_port *p, struct dp_port_kv *kv, int max);
	/* Called by the thread that polls queue q, before the port is closed
	 * while that thread goes on running (dp_port_reopen): forget any
	 * per-thread state that refers to the queue. May be NULL. */
	void (*queue_detach)(struct dp_port *p, uint16_t q);
};

struct dp_port {
	const struct dp_port_ops *ops;
	void *priv;            /* backend state */
	const void *buf_domain; /* buffers of ports with equal domains can be
				 * handed to each other's TX without a copy */
	uint16_t id;
	uint16_t nb_queues;
	uint16_t mtu;
	uint8_t mac[6];
	bool up;
	char name[DP_NAME_MAX];
	char mode_desc[DP_NAME_MAX]; /* e.g. "native, copy", "epoll-et" */
};

/* What the config says about one port; the backend's open function reads
 * the fields that concern it. */
struct dp_port_conf {
	char name[DP_NAME_MAX]; /* the port's name in config and stats */
	char backend[16];       /* "dpdk", "afxdp", "kernel" */
	/* dpdk: EAL devargs ("net_null0", "net_ring0", "0000:01:00.0",
	 * "net_af_packet0,iface=veth0" ...); afxdp, kernel: interface name */
	char dev[256];
	char io_model[32];      /* kernel: blocking, busypoll, select, poll,
				 * epoll-lt, epoll-et, mmsg, uring,
				 * uring-sqpoll, uring-multishot, tpacket-v3 */
	uint16_t nb_queues;     /* one per worker that polls this port */
	/* kernel: queues in all (0: nb_queues); the ones from nb_queues on
	 * are TX only, one per worker that sends here without polling */
	uint16_t nb_txq;
	uint16_t rx_ring;       /* descriptors per RX queue (0: default) */
	uint16_t tx_ring;       /* descriptors per TX queue (0: default) */
	uint16_t mtu;           /* 0: leave as is */
	bool mac_set;
	uint8_t mac[6];         /* override the port's MAC when mac_set */
	/* afxdp */
	bool xdp_skb;           /* force SKB (generic) mode */
	bool zerocopy;          /* require zero-copy (fail if unavailable) */
	bool force;             /* replace another tool's XDP program */
	/* kernel, uring-sqpoll: CPU of the SQ thread (-1: not pinned) */
	int sqpoll_cpu;
};

/*
 * Backend open functions: fill *p (ops, priv, buf_domain, nb_queues, mac,
 * mode_desc) from *c. On failure return -errno and write a message naming
 * the port and the reason into err; nothing stays allocated.
 */
int dp_dpdk_open(struct dp_port *p, const struct dp_port_conf *c, char *err,
		 size_t errlen);
int dp_afxdp_open(struct dp_port *p, const struct dp_port_conf *c, char *err,
		  size_t errlen);
int dp_kern_open(struct dp_port *p, const struct dp_port_conf *c, char *err,
		 size_t errlen);

#endif
