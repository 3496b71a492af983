// SPDX-License-Identifier: MIT
/*
 * DPDK port backend: any ethdev, named in config by its EAL devargs
 * ("net_null0", "net_ring0", "net_pcap0,rx_pcap=a.pcap,tx_pcap=b.pcap",
 * "net_af_packet0,iface=veth0", "0000:01:00.0" ...). The device is probed
 * with rte_dev_probe() when the port is opened, so a bad devargs string is an
 * error naming the port, and removed when it is closed.
 *
 * Queues: conf->nb_queues RX queues (one per polling worker, RSS over IP
 * when more than one) and dp_dpdk_set_mempool()'s nb_txq TX queues (one per
 * worker, so any worker can transmit on any DPDK port without a lock). All
 * DPDK ports receive into one mempool: their buffers are one domain and pass
 * between them without a copy. net_af_packet fans flows out to every
 * qpair: all get an RX queue, and with fewer pollers each poller reads
 * several (rx_spread).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "dp_internal.h"

#define DP_DPDK_RX_RING 1024
#define DP_DPDK_TX_RING 1024

struct dpdk_port {
	uint16_t pid;
	uint16_t nb_txq;
	/* RX queues set up: one per poller (nb_polled), more when the device
	 * delivers to queues we did not ask for (net_af_packet's qpairs);
	 * then poller q also reads q + P, q + 2P ... (P = nb_polled),
	 * starting where its last poll started + 1 (next[q], written only by
	 * that poller, a cache line each). */
	uint16_t nb_rxq_dev, nb_polled;
	struct {
		uint32_t v;
	} __rte_cache_aligned next[DP_QUEUE_MAX];
	bool probed; /* we probed it: remove on close */
	char devname[RTE_ETH_NAME_MAX_LEN];
};

static struct rte_mempool *dpdk_mp;
static uint16_t dpdk_nb_txq = 1;

void dp_dpdk_set_mempool(struct rte_mempool *mp, uint16_t nb_txq)
{
	dpdk_mp = mp;
	dpdk_nb_txq = nb_txq ? nb_txq : 1;
}

uint16_t dp_dpdk_nb_txq(const struct dp_port *p)
{
	const struct dpdk_port *d = p->priv;

	return d->nb_txq;
}

int dp_dpdk_port_id(const struct dp_port *p)
{
	const struct dpdk_port *d = p->priv;

	return d->pid;
}

static inline uint16_t mbuf_len(uintptr_t m)
{
	return rte_pktmbuf_data_len((const struct rte_mbuf *)m);
}

/* data[i]/len[i] of mbuf m[i]; returns the length. */
static inline uint16_t fill_one(struct dp_burst *b, const uintptr_t *m,
				unsigned int i)
{
	struct rte_mbuf *mb = (struct rte_mbuf *)m[i];

	b->data[i] = rte_pktmbuf_mtod(mb, uint8_t *);
	b->len[i] = rte_pktmbuf_data_len(mb);
	return b->len[i];
}

/* gcc's SLP vectoriser packs the loads from four mbufs into vectors
 * (pinsrq, shifts, ors): 13 instructions a packet instead of 7.75, and the
 * scalar loop is faster in cycles too. */
#if defined(__GNUC__) && !defined(__clang__)
#define DP_SCALAR __attribute__((optimize("no-tree-slp-vectorize")))
#else
#define DP_SCALAR
#endif

/* Fill data[]/len[] of n mbufs, four at a time; returns their bytes. */
static inline DP_SCALAR uint32_t meta_fill(struct dp_burst *b,
					   unsigned int n)
{
	const uintptr_t *m = b->buf;
	uint32_t s0 = 0, s1 = 0;
	unsigned int i;

	for (i = 0; i + 4 <= n; i += 4) {
		s0 += fill_one(b, m, i);
		s1 += fill_one(b, m, i + 1);
		s0 += fill_one(b, m, i + 2);
		s1 += fill_one(b, m, i + 3);
	}
	for (; i < n; i++)
		s0 += fill_one(b, m, i);
	return s0 + s1;
}

/* Poller q's burst from its queues q, q + P, ... (more RX queues than
 * pollers: struct dpdk_port), taken in turn from a rotating start so that a
 * busy first queue cannot starve the others. */
static unsigned int rx_spread(struct dpdk_port *d, uint16_t q,
			      uintptr_t *buf)
{
	unsigned int k = (d->nb_rxq_dev - q + d->nb_polled - 1u) / d->nb_polled;
	unsigned int s = d->next[q].v++ % k, j, n = 0;

	for (j = 0; j < k && n < DP_BURST; j++) {
		uint16_t qq = (uint16_t)(q + ((s + j) % k) * d->nb_polled);

		n += rte_eth_rx_burst(d->pid, qq,
				      (struct rte_mbuf **)(void *)(buf + n),
				      (uint16_t)(DP_BURST - n));
	}
	return n;
}

/* The burst's buf[] doubles as the mbuf pointer array (uintptr_t and
 * pointers share size and representation here; the PMD writes and reads
 * the array behind a call the compiler cannot see through).
 *
 * len is data_len, the first segment's length: the pipeline sees first
 * segments only (scattered RX is not enabled, so only a PMD that chains
 * frames over the pool's 2 KiB buffers itself, net_pcap on jumbo frames,
 * makes more than one).
 *
 * Lazy (port.h): io forwards handles only, as testpmd's iofwd does, and
 * the bytes are summed from the mbufs (one load each, four sums in
 * flight); filling data[]/len[] for every packet cost ~11 instructions a
 * packet (callgrind). */
static inline __attribute__((always_inline)) uint16_t
dpdk_rx_common(struct dp_port *p, uint16_t q, struct dp_burst *b,
	       bool spread)
{
	struct dpdk_port *d = p->priv;
	const uintptr_t *m = b->buf;
	uint32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
	unsigned int n, i;

	if (!spread)
		n = rte_eth_rx_burst(d->pid, q,
				     (struct rte_mbuf **)(void *)b->buf,
				     DP_BURST);
	else
		n = rx_spread(d, q, b->buf);
	b->n = (uint16_t)n;
	if (b->lazy) {
		for (i = 0; i + 4 <= n; i += 4) {
			s0 += mbuf_len(m[i]);
			s1 += mbuf_len(m[i + 1]);
			s2 += mbuf_len(m[i + 2]);
			s3 += mbuf_len(m[i + 3]);
		}
		for (; i < n; i++)
			s0 += mbuf_len(m[i]);
	} else {
		s0 = meta_fill(b, n);
	}
	b->bytes = s0 + s1 + s2 + s3;
	return (uint16_t)n;
}

static DP_SCALAR uint16_t dpdk_rx(struct dp_port *p, uint16_t q,
				  struct dp_burst *b)
{
	return dpdk_rx_common(p, q, b, false);
}

/* The rx_burst of a port with more RX queues than pollers (its own ops
 * table: the others pay nothing for it, measured ~0.1 cycle a packet as
 * a compare in dpdk_rx). */
static DP_SCALAR uint16_t dpdk_rx_spread(struct dp_port *p, uint16_t q,
					 struct dp_burst *b)
{
	return dpdk_rx_common(p, q, b, true);
}

/* port.h io_direct: testpmd's iofwd in one call, rx and tx through the
 * ethdev's own functions with no wrapper between them. */
static inline __attribute__((always_inline)) int
dpdk_io_common(struct dp_port *p, uint16_t q, struct dp_port *op, uint16_t oq,
	       struct dp_burst *b, uint16_t min, uint32_t *tx_bytes,
	       bool spread)
{
	const struct dpdk_port *od = op->priv;
	struct rte_mbuf **m = (struct rte_mbuf **)(void *)b->buf;
	uint16_t n = dpdk_rx_common(p, q, b, spread), sent, i;
	uint32_t bytes = b->bytes;

	if (n < min)
		return -1;
	sent = rte_eth_tx_burst(od->pid, oq, m, n);
	if (unlikely(sent < n)) {
		for (i = sent; i < n; i++)
			bytes -= rte_pktmbuf_data_len(m[i]);
		rte_pktmbuf_free_bulk(m + sent, n - sent);
	}
	*tx_bytes = bytes;
	return sent;
}

static DP_SCALAR int dpdk_io_direct(struct dp_port *p, uint16_t q,
				    struct dp_port *op, uint16_t oq,
				    struct dp_burst *b, uint16_t min,
				    uint32_t *tx_bytes)
{
	return dpdk_io_common(p, q, op, oq, b, min, tx_bytes, false);
}

static DP_SCALAR int dpdk_io_direct_spread(struct dp_port *p, uint16_t q,
					   struct dp_port *op, uint16_t oq,
					   struct dp_burst *b, uint16_t min,
					   uint32_t *tx_bytes)
{
	return dpdk_io_common(p, q, op, oq, b, min, tx_bytes, true);
}

static DP_SCALAR void dpdk_fill_meta(struct dp_port *p, struct dp_burst *b)
{
	(void)p;
	meta_fill(b, b->n);
}

/* Copy foreign buffers into mbufs of our pool; returns how many it made. */
static uint16_t dpdk_copy_in(uint8_t *const *data, const uint16_t *len,
			     uint16_t n, struct rte_mbuf **m)
{
	uint16_t i;

	if (rte_pktmbuf_alloc_bulk(dpdk_mp, m, n) != 0)
		return 0;
	for (i = 0; i < n; i++) {
		char *dst = rte_pktmbuf_append(m[i], len[i]);

		if (dst == NULL) {
			rte_pktmbuf_free_bulk(m, n);
			return 0;
		}
		rte_memcpy(dst, data[i], len[i]);
	}
	return n;
}

static uint16_t dpdk_tx(struct dp_port *p, uint16_t q, uint8_t *const *data,
			const uint16_t *len, const uintptr_t *buf, uint16_t n,
			bool foreign)
{
	const struct dpdk_port *d = p->priv;
	struct rte_mbuf *m[DP_BURST];
	uint16_t i, sent;

	if (foreign) {
		if (dpdk_copy_in(data, len, n, m) != n)
			return 0;
		sent = rte_eth_tx_burst(d->pid, q, m, n);
		if (sent < n)
			rte_pktmbuf_free_bulk(m + sent, n - sent);
		return sent;
	}
	/* Own mbufs carry their length: nothing in the pipeline changes a
	 * frame's length, and alloc_bufs sets it (len[] is for copies). */
	(void)m;
	(void)i;
	return rte_eth_tx_burst(d->pid, q, (struct rte_mbuf **)(uintptr_t)buf,
				n);
}

static void dpdk_free(struct dp_port *p, uint16_t q, const uintptr_t *buf,
		      uint16_t n)
{
	struct rte_mbuf *m[DP_BURST];
	uint16_t i, k;

	while (n > 0) {
		k = n > DP_BURST ? DP_BURST : n;
		for (i = 0; i < k; i++)
			m[i] = (struct rte_mbuf *)buf[i];
		rte_pktmbuf_free_bulk(m, k);
		buf += k;
		n -= k;
	}
}

static uint16_t dpdk_alloc(struct dp_port *p, uint16_t q, uint16_t len,
			   uint8_t **data, uintptr_t *buf, uint16_t n)
{
	struct rte_mbuf *m[DP_BURST];
	uint16_t i;

	if (n > DP_BURST)
		n = DP_BURST;
	if (len > rte_pktmbuf_data_room_size(dpdk_mp) - RTE_PKTMBUF_HEADROOM)
		return 0;
	if (rte_pktmbuf_alloc_bulk(dpdk_mp, m, n) != 0)
		return 0;
	for (i = 0; i < n; i++) {
		m[i]->data_len = len;
		m[i]->pkt_len = len;
		data[i] = rte_pktmbuf_mtod(m[i], uint8_t *);
		buf[i] = (uintptr_t)m[i];
	}
	return n;
}

static int dpdk_start(struct dp_port *p)
{
	const struct dpdk_port *d = p->priv;
	int ret;

	ret = rte_eth_dev_start(d->pid);
	if (ret < 0)
		return ret;
	/* Not every PMD has promiscuous mode (net_null, net_ring): fine. */
	rte_eth_promiscuous_enable(d->pid);
	p->up = true;
	return 0;
}

static void dpdk_stop(struct dp_port *p)
{
	const struct dpdk_port *d = p->priv;

	rte_eth_dev_stop(d->pid);
	p->up = false;
}

static void dpdk_close(struct dp_port *p)
{
	struct dpdk_port *d = p->priv;

	if (d == NULL)
		return;
	rte_eth_dev_stop(d->pid);
	rte_eth_dev_close(d->pid);
	if (d->probed) {
		/* rte_eth_dev_close released the port; remove the vdev so a
		 * later open of the same devargs probes afresh. */
		rte_eal_hotplug_remove("vdev", d->devname);
	}
	free(d);
	p->priv = NULL;
}

static int dpdk_xstats(struct dp_port *p, struct dp_port_kv *kv, int max)
{
	const struct dpdk_port *d = p->priv;
	struct rte_eth_stats s;
	const struct dp_port_kv all[] = {
		{ "ipackets", 0 }, { "opackets", 0 }, { "ibytes", 0 },
		{ "obytes", 0 },   { "imissed", 0 },  { "ierrors", 0 },
		{ "oerrors", 0 },  { "rx_nombuf", 0 },
	};
	int i, n = (int)(sizeof(all) / sizeof(all[0]));

	if (rte_eth_stats_get(d->pid, &s) != 0)
		return 0;
	uint64_t v[] = { s.ipackets, s.opackets, s.ibytes,  s.obytes,
			 s.imissed,  s.ierrors,  s.oerrors, s.rx_nombuf };
	for (i = 0; i < n && i < max; i++) {
		kv[i] = all[i];
		kv[i].value = v[i];
	}
	return i;
}

static const struct dp_port_ops dpdk_ops = {
	.backend = "dpdk",
	.rx_burst = dpdk_rx,
	.tx_burst = dpdk_tx,
	.free_bufs = dpdk_free,
	.alloc_bufs = dpdk_alloc,
	.fill_meta = dpdk_fill_meta,
	.io_direct = dpdk_io_direct,
	.start = dpdk_start,
	.stop = dpdk_stop,
	.close = dpdk_close,
	.xstats = dpdk_xstats,
};

/* dpdk_ops with dpdk_rx_spread, made on first use (control thread). */
static struct dp_port_ops dpdk_spread_ops;

/* The device name is the devargs up to the first comma. */
static void devname_of(const char *dev, char *out, size_t len)
{
	size_t n = strcspn(dev, ",");

	if (n >= len)
		n = len - 1;
	memcpy(out, dev, n);
	out[n] = '\0';
}

static int dpdk_configure(struct dp_port *p, struct dpdk_port *d,
			  const struct dp_port_conf *c, char *err,
			  size_t errlen)
{
	struct rte_eth_conf ec;
	struct rte_eth_dev_info info;
	struct rte_ether_addr mac;
	uint16_t nb_rxq = c->nb_queues ? c->nb_queues : 1, nb_rxq_dev;
	uint16_t rx_ring = c->rx_ring ? c->rx_ring : DP_DPDK_RX_RING;
	uint16_t tx_ring = c->tx_ring ? c->tx_ring : DP_DPDK_TX_RING;
	int socket = rte_eth_dev_socket_id(d->pid);
	uint16_t q;
	int ret;

	if (socket < 0)
		socket = 0;
	ret = rte_eth_dev_info_get(d->pid, &info);
	if (ret != 0) {
		snprintf(err, errlen, "port %s: device info: %s", c->name,
			 strerror(-ret));
		return ret;
	}
	/* net_af_packet spreads what it receives over all its qpairs (one
	 * socket each, in one PACKET_FANOUT group by flow hash), whether we
	 * set up their RX queues or not: a socket nobody reads loses its
	 * flows (seen: 1 flow, qpairs=2, one poller, 99.97% lost). Set them
	 * all up; the pollers share them out (rx_spread). */
	nb_rxq_dev = nb_rxq;
	if (strcmp(info.driver_name, "net_af_packet") == 0 &&
	    info.max_rx_queues > nb_rxq)
		nb_rxq_dev = info.max_rx_queues;
	d->nb_txq = dpdk_nb_txq;
	if (d->nb_txq > info.max_tx_queues && nb_rxq <= info.max_tx_queues) {
		/* Too few for one per worker (net_ring has one): pair TX
		 * with RX queues; workers that do not poll this port cannot
		 * send to it (their packets count as port_down). */
		dp_log(DP_LOG_WARN,
		       "port %s: %s has %u TX queue(s), not one per worker "
		       "(%u): only workers polling it transmit on it",
		       c->name, d->devname, info.max_tx_queues, d->nb_txq);
		d->nb_txq = nb_rxq;
	}
	if (nb_rxq > info.max_rx_queues || d->nb_txq > info.max_tx_queues) {
		snprintf(err, errlen,
			 "port %s: %u RX / %u TX queues wanted, device %s has "
			 "%u / %u",
			 c->name, nb_rxq, d->nb_txq, d->devname,
			 info.max_rx_queues, info.max_tx_queues);
		return -EINVAL;
	}
	memset(&ec, 0, sizeof(ec));
	if (nb_rxq_dev > 1) {
		ec.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		ec.rx_adv_conf.rss_conf.rss_hf =
			(RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP | RTE_ETH_RSS_TCP) &
			info.flow_type_rss_offloads;
		if (ec.rx_adv_conf.rss_conf.rss_hf == 0)
			ec.rxmode.mq_mode = RTE_ETH_MQ_RX_NONE;
	}
	if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE)
		ec.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE;
	ret = rte_eth_dev_configure(d->pid, nb_rxq_dev, d->nb_txq, &ec);
	if (ret < 0) {
		snprintf(err, errlen, "port %s: configure %u/%u queues: %s",
			 c->name, nb_rxq_dev, d->nb_txq, strerror(-ret));
		return ret;
	}
	ret = rte_eth_dev_adjust_nb_rx_tx_desc(d->pid, &rx_ring, &tx_ring);
	if (ret < 0) {
		snprintf(err, errlen, "port %s: ring sizes: %s", c->name,
			 strerror(-ret));
		return ret;
	}
	for (q = 0; q < nb_rxq_dev; q++) {
		ret = rte_eth_rx_queue_setup(d->pid, q, rx_ring, socket, NULL,
					     dpdk_mp);
		if (ret < 0) {
			snprintf(err, errlen, "port %s: RX queue %u: %s",
				 c->name, q, strerror(-ret));
			return ret;
		}
	}
	for (q = 0; q < d->nb_txq; q++) {
		struct rte_eth_txconf txc = info.default_txconf;

		txc.offloads = ec.txmode.offloads;
		ret = rte_eth_tx_queue_setup(d->pid, q, tx_ring, socket, &txc);
		if (ret < 0) {
			snprintf(err, errlen, "port %s: TX queue %u: %s",
				 c->name, q, strerror(-ret));
			return ret;
		}
	}
	if (c->mtu) {
		ret = rte_eth_dev_set_mtu(d->pid, c->mtu);
		if (ret < 0) {
			snprintf(err, errlen, "port %s: MTU %u: %s", c->name,
				 c->mtu, strerror(-ret));
			return ret;
		}
	}
	if (rte_eth_macaddr_get(d->pid, &mac) == 0)
		memcpy(p->mac, mac.addr_bytes, 6);
	if (c->mac_set) {
		memcpy(mac.addr_bytes, c->mac, 6);
		ret = rte_eth_dev_default_mac_addr_set(d->pid, &mac);
		if (ret == -ENOTSUP) {
			/* Virtual devices without a MAC filter (net_ring,
			 * net_null): the MAC is ours alone, used as the
			 * source of what we rewrite. */
			dp_log(DP_LOG_DEBUG, "port %s: %s keeps no MAC; using "
			       "the configured one for rewrites", c->name,
			       d->devname);
		} else if (ret < 0) {
			snprintf(err, errlen, "port %s: set MAC: %s", c->name,
				 strerror(-ret));
			return ret;
		}
		memcpy(p->mac, c->mac, 6);
	}
	if (rte_eth_dev_get_mtu(d->pid, &p->mtu) != 0)
		p->mtu = 1500;
	p->nb_queues = nb_rxq;
	d->nb_polled = nb_rxq;
	d->nb_rxq_dev = nb_rxq_dev;
	snprintf(p->mode_desc, sizeof(p->mode_desc), "%s %urxq/%utxq",
		 info.driver_name, nb_rxq_dev, d->nb_txq);
	if (nb_rxq_dev > nb_rxq)
		dp_log(DP_LOG_INFO,
		       "port %s: %s delivers to all its %u RX queues; its %u "
		       "poller(s) read them in turn",
		       c->name, d->devname, nb_rxq_dev, nb_rxq);
	return 0;
}

int dp_dpdk_open(struct dp_port *p, const struct dp_port_conf *c, char *err,
		 size_t errlen)
{
	struct dpdk_port *d;
	uint16_t pid;
	int ret;

	if (dpdk_mp == NULL) {
		snprintf(err, errlen, "port %s: DPDK mempool not created",
			 c->name);
		return -EINVAL;
	}
	/* next[] is cache-line aligned: so is d. */
	d = aligned_alloc(RTE_CACHE_LINE_SIZE,
			  RTE_ALIGN_CEIL(sizeof(*d), RTE_CACHE_LINE_SIZE));
	if (d == NULL) {
		snprintf(err, errlen, "port %s: out of memory", c->name);
		return -ENOMEM;
	}
	memset(d, 0, sizeof(*d));
	devname_of(c->dev, d->devname, sizeof(d->devname));
	if (rte_eth_dev_get_port_by_name(d->devname, &pid) != 0) {
		ret = rte_dev_probe(c->dev);
		if (ret < 0) {
			snprintf(err, errlen, "port %s: probing '%s': %s",
				 c->name, c->dev, strerror(-ret));
			goto err_free;
		}
		d->probed = strncmp(d->devname, "net_", 4) == 0;
		if (rte_eth_dev_get_port_by_name(d->devname, &pid) != 0) {
			snprintf(err, errlen,
				 "port %s: '%s' probed but no ethdev named "
				 "'%s' appeared",
				 c->name, c->dev, d->devname);
			ret = -ENODEV;
			goto err_remove;
		}
	}
	d->pid = pid;
	p->priv = d;
	p->ops = &dpdk_ops;
	p->buf_domain = dpdk_mp;
	ret = dpdk_configure(p, d, c, err, errlen);
	if (ret < 0)
		goto err_close;
	if (d->nb_rxq_dev > d->nb_polled) {
		if (dpdk_spread_ops.rx_burst == NULL) {
			dpdk_spread_ops = dpdk_ops;
			dpdk_spread_ops.rx_burst = dpdk_rx_spread;
			dpdk_spread_ops.io_direct = dpdk_io_direct_spread;
		}
		p->ops = &dpdk_spread_ops;
	}
	return 0;

err_close:
	rte_eth_dev_close(pid);
err_remove:
	if (d->probed)
		rte_eal_hotplug_remove("vdev", d->devname);
err_free:
	free(d);
	p->priv = NULL;
	p->ops = NULL;
	return ret;
}
