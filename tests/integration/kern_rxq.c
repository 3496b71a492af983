// SPDX-License-Identifier: MIT
/*
 * kern_rxq: receive-path regression tests of the kernel backend, run in one
 * network namespace holding a veth pair (kern_rxq.sh makes it).
 *
 *   kern_rxq burst MODEL DUT_IF PEER_IF COUNT [MS_BUFFERS [CQ_ENTRIES]]
 *     Opens a MODEL port on DUT_IF, polls it once (it joins its waiter and
 *     finds nothing), then sends COUNT frames on PEER_IF in one go, so far
 *     more than one burst is queued behind a single arrival edge. Then
 *     rx_burst is called until COUNT frames arrived or none came for
 *     STALL_S seconds (a stall). Every frame
 *     is checked byte for byte and freed after its burst. Prints the
 *     port's xstats. Exit 0 when all arrived intact, in order.
 *     With MS_BUFFERS (uring-multishot) the provided buffer ring has that
 *     many buffers and the test also requires at least one ENOBUFS re-arm.
 *     With CQ_ENTRIES as well the CQ is that small (and the rx ring 4096):
 *     the test requires the overflow to be counted and nothing lost.
 *
 *   kern_rxq burst-refuse uring-multishot DUT_IF PEER_IF COUNT
 *     The same, with the port acting as on a kernel that takes a provided
 *     buffer ring but refuses multishot recv: the open must fall back to
 *     single-shot reads (mode_desc says so, no multishot is ever armed)
 *     and every frame still arrive intact.
 *
 *   kern_rxq tp-hold DUT_IF PEER_IF
 *     tpacket-v3 with the consumer holding every buffer: one frame per
 *     retired block until more blocks are held than the ring has. A block
 *     still held must never be walked again (no frame delivered twice);
 *     once everything is freed, frames flow again.
 *
 *   kern_rxq txbig MODEL DUT_IF PEER_IF
 *     tx_burst of more than a burst (DP_BURST + 8 foreign frames): the port
 *     takes what it can (the sendmmsg models at most DP_BURST, their
 *     vectors' size; the caller owns the rest, per the burst contract) and
 *     every frame it took arrives at the peer byte for byte.
 *
 *   kern_rxq fdlimit DUT_IF
 *     Raises RLIMIT_NOFILE, fills descriptors up to FD_SETSIZE, then opens
 *     a select port (must fail, with a message naming FD_SETSIZE) and a
 *     poll port on the same high descriptor (must work).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <unistd.h>

#include "kern.h"

static int open_port(struct dp_port *p, const char *model, const char *dev,
		     char *err, size_t errlen)
{
	struct dp_port_conf c = { .nb_queues = 1, .sqpoll_cpu = -1,
				  .rx_ring = kern_tun.cq_entries ? 4096 : 0 };
	int ret;

	snprintf(c.name, sizeof(c.name), "dut");
	snprintf(c.backend, sizeof(c.backend), "kernel");
	snprintf(c.dev, sizeof(c.dev), "%s", dev);
	snprintf(c.io_model, sizeof(c.io_model), "%s", model);
	ret = dp_kern_open(p, &c, err, errlen);
	if (ret == 0)
		ret = p->ops->start(p);
	return ret;
}

static uint64_t xstat(struct dp_port *p, const char *name, int print)
{
	struct dp_port_kv kv[64];
	int k, n = p->ops->xstats(p, kv, 64);
	uint64_t v = 0;

	for (k = 0; k < n; k++) {
		if (print)
			printf(" %s=%llu", kv[k].name,
			       (unsigned long long)kv[k].value);
		if (name && !strcmp(kv[k].name, name))
			v = kv[k].value;
	}
	if (print)
		printf("\n");
	return v;
}

static unsigned int flen(uint32_t i)
{
	return 60 + (i * 53) % 700;
}

static void fill(uint8_t *f, uint32_t i)
{
	unsigned int k, len = flen(i);

	memset(f, 0xff, 6);
	memcpy(f + 6, "\x02\x00\x00\x00\x00\x0c", 6);
	f[12] = 0x88;
	f[13] = 0xb5;
	memcpy(f + 14, &i, 4);
	for (k = 18; k < len; k++)
		f[k] = (uint8_t)(i + k * 3);
}

static double mono_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* No frame for this long while some are missing: a stall. Time, not a
 * number of empty polls: how long an empty rx_burst takes depends on the
 * model (at once, a 200 us burst wait, a 10 ms poll). */
#define STALL_S 2.0

static int do_burst(const char *model, const char *dut, const char *peer,
		    uint32_t count, uint32_t msbuf, uint32_t cq)
{
	static struct dp_burst b;
	struct dp_port p = { 0 };
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	uint8_t f[1024], want[1024];
	uint32_t got = 0, bad = 0, i;
	char err[256];
	double last;
	int fd, ret;
	uint16_t n, k;

	kern_tun.ms_buffers = msbuf;
	kern_tun.cq_entries = cq;
	ret = open_port(&p, model, dut, err, sizeof(err));
	if (ret < 0) {
		fprintf(stderr, "kern_rxq: %s\n", err);
		return 1;
	}
	printf("mode: %s\n", p.mode_desc);
	if (kern_tun.ms_refuse && !strstr(p.mode_desc, "fallback")) {
		printf("FAIL: multishot refused, but mode_desc '%s' does not say it fell back\n",
		       p.mode_desc);
		p.ops->close(&p);
		return 1;
	}
	/* First poll: joins the waiter and drains whatever is there. */
	while ((n = p.ops->rx_burst(&p, 0, &b)) > 0)
		p.ops->free_bufs(&p, 0, b.buf, n);

	fd = socket(AF_PACKET, SOCK_RAW, 0);
	sll.sll_ifindex = (int)if_nametoindex(peer);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		perror("kern_rxq: peer socket");
		return 1;
	}
	for (i = 0; i < count; i++) {
		fill(f, i);
		while (send(fd, f, flen(i), 0) < 0 && errno == ENOBUFS)
			usleep(100);
	}
	close(fd);
	printf("sent %u frames in one go on %s\n", count, peer);

	last = mono_s();
	while (got < count && mono_s() - last < STALL_S) {
		n = p.ops->rx_burst(&p, 0, &b);
		if (n)
			last = mono_s();
		for (k = 0; k < n; k++, got++) {
			fill(want, got);
			if (b.len[k] != flen(got) ||
			    memcmp(b.data[k], want, b.len[k])) {
				if (bad++ < 5)
					fprintf(stderr,
						"kern_rxq: frame %u: wrong bytes or order (len %u)\n",
						got, b.len[k]);
			}
		}
		if (n)
			p.ops->free_bufs(&p, 0, b.buf, n);
	}
	printf("%s: received %u of %u, %u wrong, %s\n", model, got, count,
	       bad, got < count ? "STALLED" : "no stall");
	printf("xstats:");
	ret = got == count && bad == 0 ? 0 : 1;
	if (cq) {
		uint64_t of = xstat(&p, "cq_overflow", 1);

		if (of == 0) {
			printf("FAIL: a %u-entry CQ behind %u queued packets never reported an overflow\n",
			       cq, count);
			ret = 1;
		} else {
			printf("cq_overflow counted %llu time(s), nothing lost\n",
			       (unsigned long long)of);
		}
	} else if (msbuf && xstat(&p, "multishot_rearm_enobufs", 1) == 0) {
		printf("FAIL: a %u-buffer ring never ran dry (no ENOBUFS re-arm)\n",
		       msbuf);
		ret = 1;
	} else if (kern_tun.ms_refuse &&
		   xstat(&p, "multishot_rearm", 1) != 0) {
		printf("FAIL: a multishot recv was armed after the kernel refused it\n");
		ret = 1;
	} else if (!msbuf && !kern_tun.ms_refuse) {
		xstat(&p, NULL, 1);
	}
	p.ops->close(&p);
	return ret;
}

static int tp_send(const char *peer, uint32_t from, uint32_t count)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	uint8_t f[1024];
	uint32_t i;
	int fd;

	fd = socket(AF_PACKET, SOCK_RAW, 0);
	sll.sll_ifindex = (int)if_nametoindex(peer);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		perror("kern_rxq: peer socket");
		return -1;
	}
	for (i = from; i < from + count; i++) {
		fill(f, i);
		if (send(fd, f, flen(i), 0) < 0)
			perror("kern_rxq: send");
	}
	close(fd);
	return 0;
}

static int do_tp_hold(const char *dut, const char *peer)
{
	static struct dp_burst b;
	static uintptr_t held[4096];
	static uint8_t seen[256];
	struct dp_port p = { 0 };
	uint32_t nheld = 0, i, id, dup = 0, got = 0, again = 0;
	char err[256];
	uint16_t n, k;
	int ret;

	ret = open_port(&p, "tpacket-v3", dut, err, sizeof(err));
	if (ret < 0) {
		fprintf(stderr, "kern_rxq: %s\n", err);
		return 1;
	}
	while ((n = p.ops->rx_burst(&p, 0, &b)) > 0)
		p.ops->free_bufs(&p, 0, b.buf, n);
	/* One frame per block (the block retires after 1 ms), held. */
	for (i = 0; i < 40; i++) {
		if (tp_send(peer, i, 1) < 0)
			return 1;
		usleep(5000);
		for (int r = 0; r < 3; r++) {
			n = p.ops->rx_burst(&p, 0, &b);
			for (k = 0; k < n; k++) {
				memcpy(&id, b.data[k] + 14, 4);
				if (id < sizeof(seen) && seen[id]++) {
					if (dup++ < 5)
						fprintf(stderr,
							"kern_rxq: frame %u delivered again while its block was held\n",
							id);
				}
				got++;
				if (nheld < 4096)
					held[nheld++] = b.buf[k];
				else
					p.ops->free_bufs(&p, 0, &b.buf[k], 1);
			}
		}
	}
	printf("held %u frames of 40 (ring full: the rest dropped), %u delivered twice\n",
	       got, dup);
	p.ops->free_bufs(&p, 0, held, (uint16_t)nheld);
	/* Everything freed: frames must flow again. */
	usleep(5000);
	while ((n = p.ops->rx_burst(&p, 0, &b)) > 0)
		p.ops->free_bufs(&p, 0, b.buf, n);
	if (tp_send(peer, 100, 10) < 0)
		return 1;
	for (i = 0; i < 100 && again < 10; i++) {
		n = p.ops->rx_burst(&p, 0, &b);
		for (k = 0; k < n; k++) {
			memcpy(&id, b.data[k] + 14, 4);
			again += id >= 100 && id < 110;
		}
		if (n)
			p.ops->free_bufs(&p, 0, b.buf, n);
	}
	printf("after freeing: %u of 10 new frames received\n", again);
	xstat(&p, NULL, 1);
	p.ops->close(&p);
	if (dup || got == 0 || again != 10) {
		printf("FAIL\n");
		return 1;
	}
	return 0;
}

static int do_txbig(const char *model, const char *dut, const char *peer)
{
	static uint8_t frames[DP_BURST + 8][1024];
	uint8_t *data[DP_BURST + 8], rx[2048], want[1024];
	uint16_t len[DP_BURST + 8];
	uintptr_t buf[DP_BURST + 8] = { 0 };
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	struct timeval tv = { .tv_sec = 1 };
	struct dp_port p = { 0 };
	uint32_t i, got = 0, bad = 0, id;
	uint16_t sent;
	char err[256];
	ssize_t r;
	int fd;

	fd = socket(AF_PACKET, SOCK_RAW, htons(0x88b5));
	sll.sll_protocol = htons(0x88b5);
	sll.sll_ifindex = (int)if_nametoindex(peer);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		perror("kern_rxq: peer socket");
		return 1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (open_port(&p, model, dut, err, sizeof(err)) < 0) {
		fprintf(stderr, "kern_rxq: %s\n", err);
		return 1;
	}
	for (i = 0; i < DP_BURST + 8; i++) {
		fill(frames[i], i);
		data[i] = frames[i];
		len[i] = (uint16_t)flen(i);
	}
	sent = p.ops->tx_burst(&p, 0, data, len, buf, DP_BURST + 8, true);
	if (p.ops->tx_flush)
		p.ops->tx_flush(&p, 0);
	printf("%s: tx_burst of %d took %u\n", model, DP_BURST + 8, sent);
	while (got < sent && (r = recv(fd, rx, sizeof(rx), 0)) > 0) {
		memcpy(&id, rx + 14, 4);
		fill(want, id);
		if (id >= sent || (size_t)r != flen(id) ||
		    memcmp(rx, want, (size_t)r)) {
			if (bad++ < 5)
				fprintf(stderr, "kern_rxq: frame %u (%zd bytes) is not one that was sent\n",
					id, r);
		}
		got++;
	}
	/* Let the port reap its own completions before closing. */
	for (i = 0; i < 3; i++) {
		static struct dp_burst b;
		uint16_t n = p.ops->rx_burst(&p, 0, &b);

		if (n)
			p.ops->free_bufs(&p, 0, b.buf, n);
	}
	p.ops->close(&p);
	close(fd);
	printf("peer got %u of %u, %u wrong\n", got, sent, bad);
	if (sent == 0 || got != sent || bad) {
		printf("FAIL\n");
		return 1;
	}
	return 0;
}

static int do_fdlimit(const char *dut)
{
	struct rlimit rl = { 4096, 4096 };
	struct dp_port p = { 0 };
	char err[256] = "";
	int fd, ret, rc = 0;

	if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
		perror("kern_rxq: RLIMIT_NOFILE");
		return 77;
	}
	/* Occupy every descriptor below FD_SETSIZE. */
	do {
		fd = open("/dev/null", O_RDONLY);
	} while (fd >= 0 && fd < FD_SETSIZE - 1);
	if (fd < 0) {
		perror("kern_rxq: open");
		return 1;
	}
	ret = open_port(&p, "select", dut, err, sizeof(err));
	printf("select open: %d (%s)\n", ret, err);
	if (ret == 0) {
		printf("FAIL: select accepted a descriptor >= FD_SETSIZE\n");
		p.ops->close(&p);
		rc = 1;
	} else if (!strstr(err, "FD_SETSIZE") || !strstr(err, "select")) {
		printf("FAIL: the error does not say why (FD_SETSIZE)\n");
		rc = 1;
	}
	err[0] = 0;
	ret = open_port(&p, "poll", dut, err, sizeof(err));
	printf("poll open on the same descriptor range: %d %s\n", ret, err);
	if (ret < 0)
		rc = 1;
	else
		p.ops->close(&p);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc == 6 && !strcmp(argv[1], "burst-refuse")) {
		kern_tun.ms_refuse = true;
		return do_burst(argv[2], argv[3], argv[4],
				(uint32_t)atoi(argv[5]), 0, 0);
	}
	if (argc >= 6 && !strcmp(argv[1], "burst"))
		return do_burst(argv[2], argv[3], argv[4],
				(uint32_t)atoi(argv[5]),
				argc > 6 ? (uint32_t)atoi(argv[6]) : 0,
				argc > 7 ? (uint32_t)atoi(argv[7]) : 0);
	if (argc == 4 && !strcmp(argv[1], "tp-hold"))
		return do_tp_hold(argv[2], argv[3]);
	if (argc == 5 && !strcmp(argv[1], "txbig"))
		return do_txbig(argv[2], argv[3], argv[4]);
	if (argc == 3 && !strcmp(argv[1], "fdlimit"))
		return do_fdlimit(argv[2]);
	fprintf(stderr, "usage: kern_rxq burst MODEL DUT_IF PEER_IF COUNT [MS_BUFFERS [CQ_ENTRIES]]\n"
			"       kern_rxq burst-refuse uring-multishot DUT_IF PEER_IF COUNT\n"
			"       kern_rxq tp-hold DUT_IF PEER_IF\n"
			"       kern_rxq txbig MODEL DUT_IF PEER_IF\n"
			"       kern_rxq fdlimit DUT_IF\n");
	return 2;
}
