// SPDX-License-Identifier: MIT
/*
 * kern_pkt: the traffic ends of the kernel-backend lab tests.
 *
 *   kern_pkt send IFACE COUNT [TAG [PER_MS]]
 *   kern_pkt recv IFACE COUNT TIMEOUT_MS [TAG [MIN]]
 *
 * send writes COUNT frames (ethertype 0x88b5, 02:..:0a -> 02:..:0b, lengths
 * 60..959, payload "LRKN", tag, sequence number, then a pattern computed
 * from tag, sequence and offset) out of IFACE, PER_MS frames per millisecond
 * (default 50). recv expects those frames after a MAC swap (dst 0a, src
 * 0b), checks every byte, counts distinct sequence numbers, prints "ready"
 * once bound and a summary at the end; exit 0 when at least MIN (default
 * COUNT) distinct frames arrived intact and none was corrupt.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define ETYPE 0x88b5
#define HDR 14

static const uint8_t mac_a[6] = { 2, 0, 0, 0, 0, 0x0a };
static const uint8_t mac_b[6] = { 2, 0, 0, 0, 0, 0x0b };

static unsigned int frame_len(uint32_t seq)
{
	return 60 + (seq * 37) % 900;
}

static uint8_t pat(uint32_t seq, unsigned int off, uint8_t tag)
{
	return (uint8_t)(seq * 31 + off * 7 + tag);
}

static void build(uint8_t *f, uint32_t seq, uint8_t tag)
{
	unsigned int i, len = frame_len(seq);
	uint32_t nseq = htonl(seq);

	memcpy(f, mac_b, 6);
	memcpy(f + 6, mac_a, 6);
	f[12] = ETYPE >> 8;
	f[13] = ETYPE & 0xff;
	memcpy(f + HDR, "LRKN", 4);
	f[HDR + 4] = tag;
	memcpy(f + HDR + 5, &nseq, 4);
	for (i = HDR + 9; i < len; i++)
		f[i] = pat(seq, i, tag);
}

static int open_sock(const char *ifname, int proto)
{
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(proto),
		.sll_ifindex = (int)if_nametoindex(ifname),
	};
	int fd, big = 64 << 20;

	if (!sll.sll_ifindex) {
		fprintf(stderr, "kern_pkt: no interface %s\n", ifname);
		return -1;
	}
	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0) {
		perror("kern_pkt: socket");
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		perror("kern_pkt: bind");
		close(fd);
		return -1;
	}
	return fd;
}

static int do_send(const char *ifname, uint32_t count, uint8_t tag,
		   unsigned int per_ms)
{
	struct timespec ms = { .tv_nsec = 1000000 };
	uint8_t f[1024];
	uint32_t seq, errs = 0;
	int fd = open_sock(ifname, 0);

	if (fd < 0)
		return 1;
	for (seq = 0; seq < count; seq++) {
		build(f, seq, tag);
		while (send(fd, f, frame_len(seq), 0) < 0) {
			if (errno != ENOBUFS && errno != EAGAIN) {
				errs++;
				break;
			}
			nanosleep(&ms, NULL);
		}
		if (per_ms && (seq + 1) % per_ms == 0)
			nanosleep(&ms, NULL);
	}
	printf("sent %u frames on %s (%u errors)\n", count, ifname, errs);
	close(fd);
	return errs ? 1 : 0;
}

static int check(const uint8_t *f, unsigned int len, uint8_t tag,
		 uint32_t *seq_out)
{
	uint32_t seq;
	unsigned int i;

	if (len < HDR + 9 || memcmp(f + HDR, "LRKN", 4) || f[HDR + 4] != tag)
		return 1; /* not ours: ignore */
	memcpy(&seq, f + HDR + 5, 4);
	seq = ntohl(seq);
	*seq_out = seq;
	if (len != frame_len(seq) || memcmp(f, mac_a, 6) ||
	    memcmp(f + 6, mac_b, 6))
		return -1;
	for (i = HDR + 9; i < len; i++)
		if (f[i] != pat(seq, i, tag))
			return -1;
	return 0;
}

static int do_recv(const char *ifname, uint32_t count, int timeout_ms,
		   uint8_t tag, uint32_t min)
{
	uint8_t f[2048], *seen = calloc(count ? count : 1, 1);
	uint32_t uniq = 0, dup = 0, bad = 0, seq;
	struct timespec t0, t;
	int fd = open_sock(ifname, ETYPE), r, one = 1;
	long left;

	if (fd < 0 || !seen)
		return 1;
	/* Frames we (or a sender on this interface) transmit are not ours
	 * to count: only what arrives. */
	setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));
	printf("ready\n");
	fflush(stdout);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (uniq < count) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		clock_gettime(CLOCK_MONOTONIC, &t);
		left = timeout_ms - ((t.tv_sec - t0.tv_sec) * 1000 +
				     (t.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0)
			break;
		if (poll(&pfd, 1, (int)left) <= 0)
			continue;
		r = (int)recv(fd, f, sizeof(f), MSG_DONTWAIT);
		if (r <= 0)
			continue;
		switch (check(f, (unsigned int)r, tag, &seq)) {
		case 1:
			break;
		case -1:
			if (bad++ < 5)
				fprintf(stderr, "kern_pkt: corrupt frame seq %u len %d\n",
					seq, r);
			break;
		default:
			if (seq >= count || seen[seq]) {
				dup++;
			} else {
				seen[seq] = 1;
				uniq++;
			}
		}
	}
	printf("received %u distinct of %u on %s, %u duplicate, %u corrupt\n",
	       uniq, count, ifname, dup, bad);
	free(seen);
	close(fd);
	return uniq >= min && bad == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && !strcmp(argv[1], "send"))
		return do_send(argv[2], (uint32_t)atoi(argv[3]),
			       argc > 4 ? (uint8_t)atoi(argv[4]) : 1,
			       argc > 5 ? (unsigned int)atoi(argv[5]) : 50);
	if (argc >= 5 && !strcmp(argv[1], "recv")) {
		uint32_t count = (uint32_t)atoi(argv[3]);

		return do_recv(argv[2], count, atoi(argv[4]),
			       argc > 5 ? (uint8_t)atoi(argv[5]) : 1,
			       argc > 6 ? (uint32_t)atoi(argv[6]) : count);
	}
	fprintf(stderr, "usage: kern_pkt send IFACE COUNT [TAG [PER_MS]]\n"
			"       kern_pkt recv IFACE COUNT TIMEOUT_MS [TAG [MIN]]\n");
	return 2;
}
