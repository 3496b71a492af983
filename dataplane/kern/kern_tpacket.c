// SPDX-License-Identifier: MIT
/*
 * I/O model "tpacket-v3": PACKET_MMAP with a TPACKET_V3 receive ring. The
 * kernel writes packets straight into blocks of a ring shared with us and
 * hands over a whole block at a time (when full, or after retire_blk_tov
 * ms), so receiving costs no syscall while blocks are ready; the worker's
 * queues wait together in poll() when none is. Burst pointers point into
 * the ring (handle = KERN_H_BLOCK | block): a block goes back to the kernel
 * when it has been walked and every packet taken from it has been freed or
 * sent. TX is sendmmsg() with PACKET_QDISC_BYPASS (straight to the driver,
 * no qdisc; packets the driver refuses are lost, as with any bypass).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/if_packet.h>
#include <sys/mman.h>

#include "kern.h"

#define TP_BLOCK_SIZE (1u << 18)
#define TP_MIN_BLOCKS 16u
#define TP_RETIRE_MS 1

struct tp {
	uint8_t *map;
	size_t map_len;
	uint32_t nblocks;
	uint32_t cur;                /* block being walked or awaited */
	uint32_t left;               /* packets left in cur (0: none open) */
	struct tpacket3_hdr *pkt;    /* next packet in cur */
	uint32_t *refs;              /* packets of a block still out */
	uint8_t *walked;             /* block fully read, awaiting refs */
};

static struct tpacket_block_desc *tp_block(struct tp *t, uint32_t i)
{
	return (struct tpacket_block_desc *)(t->map + (size_t)i * TP_BLOCK_SIZE);
}

/* A block the kernel handed over and we have not walked yet. A walked
 * block whose packets are still out is ours too (TP_STATUS_USER until
 * the last is freed): when the consumer holds buffers of every block, cur
 * wraps onto it, and it must read as not ready, or its packets would be
 * delivered a second time. */
static bool tp_block_ready(struct tp *t, uint32_t i)
{
	return !t->walked[i] &&
	       (__atomic_load_n(&tp_block(t, i)->hdr.bh1.block_status,
				__ATOMIC_ACQUIRE) & TP_STATUS_USER);
}

static void tp_release(struct tp *t, uint32_t i)
{
	t->walked[i] = 0;
	__atomic_store_n(&tp_block(t, i)->hdr.bh1.block_status,
			 TP_STATUS_KERNEL, __ATOMIC_RELEASE);
}

static int tp_pre_bind(struct kern_queue *q, char *err, size_t errlen)
{
	struct kern_port *kp = q->kp;
	int v = TPACKET_V3, one = 1;
	struct tpacket_req3 req = { 0 };
	struct tp *t;
	uint32_t nb;

	if (setsockopt(q->fd, SOL_PACKET, PACKET_VERSION, &v, sizeof(v)) < 0) {
		snprintf(err, errlen, "port %s: TPACKET_V3: %s", kp->p->name,
			 strerror(errno));
		return -errno;
	}
	nb = (uint32_t)(((uint64_t)kp->rx_ring * KERN_SLOT_SIZE) /
			TP_BLOCK_SIZE);
	if (nb < TP_MIN_BLOCKS)
		nb = TP_MIN_BLOCKS;
	req.tp_block_size = TP_BLOCK_SIZE;
	req.tp_block_nr = nb;
	req.tp_frame_size = KERN_SLOT_SIZE;
	req.tp_frame_nr = (TP_BLOCK_SIZE / KERN_SLOT_SIZE) * nb;
	req.tp_retire_blk_tov = TP_RETIRE_MS;
	if (setsockopt(q->fd, SOL_PACKET, PACKET_RX_RING, &req,
		       sizeof(req)) < 0) {
		snprintf(err, errlen, "port %s: PACKET_RX_RING (%u x %u): %s",
			 kp->p->name, nb, TP_BLOCK_SIZE, strerror(errno));
		return -errno;
	}
	if (setsockopt(q->fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one,
		       sizeof(one)) < 0) {
		snprintf(err, errlen, "port %s: PACKET_QDISC_BYPASS: %s",
			 kp->p->name, strerror(errno));
		return -errno;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		goto nomem;
	q->model = t;
	t->nblocks = nb;
	t->refs = calloc(nb, sizeof(*t->refs));
	t->walked = calloc(nb, 1);
	if (!t->refs || !t->walked)
		goto nomem;
	t->map_len = (size_t)nb * TP_BLOCK_SIZE;
	t->map = mmap(NULL, t->map_len, PROT_READ | PROT_WRITE, MAP_SHARED,
		      q->fd, 0);
	if (t->map == MAP_FAILED) {
		t->map = NULL;
		snprintf(err, errlen, "port %s: mmap of the rx ring: %s",
			 kp->p->name, strerror(errno));
		return -errno;
	}
	return 0;
nomem:
	snprintf(err, errlen, "port %s: out of memory", kp->p->name);
	return -ENOMEM;
}

static void tp_fini(struct kern_queue *q)
{
	struct tp *t = q->model;

	if (!t)
		return;
	if (t->map)
		munmap(t->map, t->map_len);
	free(t->refs);
	free(t->walked);
	free(t);
	q->model = NULL;
}

static uint16_t tp_rx(struct dp_port *p, uint16_t qid, struct dp_burst *b)
{
	struct kern_queue *q = kern_q(p, qid);
	struct tp *t = q->model;
	uint16_t n = 0;

	b->n = 0;
	if (!p->up)
		return 0;
	kern_sample(q);
	if (t->left == 0 && !tp_block_ready(t, t->cur)) {
		q->ready = false;
		if (!kern_wait_ready(q, KERN_WAIT_POLL))
			return 0;
		q->ready = false; /* the ring's status words are the truth */
		if (!tp_block_ready(t, t->cur))
			return 0;
	}
	while (n < DP_BURST) {
		struct tpacket3_hdr *h;

		if (t->left == 0) {
			struct tpacket_block_desc *bd = tp_block(t, t->cur);

			if (!tp_block_ready(t, t->cur))
				break;
			t->left = bd->hdr.bh1.num_pkts;
			t->pkt = (struct tpacket3_hdr *)
				((uint8_t *)bd + bd->hdr.bh1.offset_to_first_pkt);
			if (t->left == 0) {
				tp_release(t, t->cur);
				t->cur = (t->cur + 1) % t->nblocks;
				continue;
			}
		}
		h = t->pkt;
		if (h->tp_snaplen < h->tp_len) {
			q->st.rx_err++;
		} else {
			kern_burst_put(b, n++, (uint8_t *)h + h->tp_mac,
				       (uint16_t)h->tp_snaplen,
				       KERN_H_BLOCK | t->cur);
			t->refs[t->cur]++;
			q->st.rx_bytes += h->tp_snaplen;
		}
		t->pkt = (struct tpacket3_hdr *)((uint8_t *)h + h->tp_next_offset);
		if (--t->left == 0) {
			if (t->refs[t->cur] == 0)
				tp_release(t, t->cur);
			else
				t->walked[t->cur] = 1;
			t->cur = (t->cur + 1) % t->nblocks;
		}
	}
	q->st.rx_pkts += n;
	b->n = n;
	b->port = p->id;
	b->queue = qid;
	return n;
}

static void tp_free(struct dp_port *p, uint16_t qid, const uintptr_t *buf,
		    uint16_t n)
{
	struct kern_queue *q = kern_q(p, qid);
	struct tp *t = q->model;
	uint16_t i;

	for (i = 0; i < n; i++) {
		uint32_t h = (uint32_t)buf[i];

		if (h & KERN_H_BLOCK) {
			h &= ~KERN_H_BLOCK;
			if (--t->refs[h] == 0 && t->walked[h])
				tp_release(t, h);
		} else {
			kern_slot_put(q, h);
		}
	}
}

static uint16_t tp_tx(struct dp_port *p, uint16_t qid, uint8_t *const *data,
		      const uint16_t *len, const uintptr_t *buf, uint16_t n,
		      bool foreign)
{
	if (!p->up)
		return 0;
	return kern_tx_mmsg(kern_q(p, qid), data, len, buf, n, foreign);
}

static const struct dp_port_ops tp_ops = {
	KERN_BASE_OPS,
	.free_bufs = tp_free,
	.rx_burst = tp_rx,
	.tx_burst = tp_tx,
};

const struct kern_model kern_model_tpacket_v3 = {
	.name = "tpacket-v3",
	.ops = &tp_ops,
	.wait = KERN_WAIT_POLL,
	.pre_bind = tp_pre_bind,
	.queue_fini = tp_fini,
};
