// SPDX-License-Identifier: MIT
/*
 * afxdp_gen: a bounded traffic generator for the AF_XDP benchmark: IPv4/UDP
 * frames sent with sendmmsg on an AF_PACKET socket (qdisc bypassed), in
 * batches, until a count or a time limit, whichever comes first.
 *
 *   afxdp_gen -i IF [-n COUNT] [-t SECONDS] [-s SIZE] [-f FLOWS]
 *             [-d DST_MAC] [-c CPU]
 *
 * SIZE is the frame length without FCS (60..1514, default 60); FLOWS
 * distinct UDP source ports (default 64). Prints one line:
 *
 *   afxdp_gen: sent N pkts in S s: R pps (B syscalls)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define GEN_BATCH     256
#define GEN_FLOWS_MAX 4096

static double gen_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec * 1e-9;
}

static uint16_t gen_csum(const void *p, size_t len)
{
	const uint16_t *w = p;
	uint32_t s = 0;

	for (; len > 1; len -= 2)
		s += *w++;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return ~s;
}

static void gen_frame(uint8_t *f, size_t size, const uint8_t *dst,
		      const uint8_t *src, uint16_t sport)
{
	uint16_t ip_len = size - 14, udp_len = size - 34;
	uint8_t *ip = f + 14, *udp = f + 34;

	memset(f, 0, size);
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	f[12] = 0x08;
	ip[0] = 0x45;
	ip[2] = ip_len >> 8;
	ip[3] = ip_len & 0xff;
	ip[8] = 64;
	ip[9] = 17;
	memcpy(ip + 12, (uint8_t[]){198, 18, 0, 1}, 4);
	memcpy(ip + 16, (uint8_t[]){198, 19, 0, 2}, 4);
	*(uint16_t *)(ip + 10) = gen_csum(ip, 20);
	udp[0] = sport >> 8;
	udp[1] = sport & 0xff;
	udp[2] = 0x07;
	udp[3] = 0xd0;
	udp[4] = udp_len >> 8;
	udp[5] = udp_len & 0xff;
}

int main(int argc, char **argv)
{
	static uint8_t frames[GEN_FLOWS_MAX][1514];
	static struct mmsghdr msgs[GEN_BATCH];
	static struct iovec iov[GEN_BATCH];
	const char *ifname = NULL;
	uint8_t dst[6] = {0x02, 0, 0, 0, 0, 1}, src[6];
	unsigned long long count = 10000000, sent = 0, calls = 0;
	double seconds = 5, t0, t;
	unsigned int size = 60, flows = 64;
	struct sockaddr_ll sll = {.sll_family = AF_PACKET};
	struct ifreq ifr = {};
	int opt, fd, one = 1, cpu = -1;

	while ((opt = getopt(argc, argv, "i:n:t:s:f:d:c:")) != -1) {
		switch (opt) {
		case 'i':
			ifname = optarg;
			break;
		case 'n':
			count = strtoull(optarg, NULL, 0);
			break;
		case 't':
			seconds = atof(optarg);
			break;
		case 's':
			size = atoi(optarg);
			break;
		case 'f':
			flows = atoi(optarg);
			break;
		case 'c':
			cpu = atoi(optarg);
			break;
		case 'd':
			if (sscanf(optarg, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx",
				   &dst[0], &dst[1], &dst[2], &dst[3], &dst[4],
				   &dst[5]) != 6)
				goto usage;
			break;
		default:
			goto usage;
		}
	}
	if (!ifname || size < 60 || size > 1514 || !flows ||
	    flows > GEN_FLOWS_MAX || seconds <= 0 || seconds > 600)
		goto usage;
	if (cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		sched_setaffinity(0, sizeof(set), &set);
	}
	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0) {
		perror("afxdp_gen: socket");
		return 1;
	}
	snprintf(ifr.ifr_name, IF_NAMESIZE, "%s", ifname);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr)) {
		fprintf(stderr, "afxdp_gen: %s: %s\n", ifname, strerror(errno));
		return 1;
	}
	memcpy(src, ifr.ifr_hwaddr.sa_data, 6);
	sll.sll_ifindex = if_nametoindex(ifname);
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
		perror("afxdp_gen: bind");
		return 1;
	}
	setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));
	for (unsigned int i = 0; i < flows; i++)
		gen_frame(frames[i], size, dst, src, 1024 + i);
	for (int i = 0; i < GEN_BATCH; i++) {
		iov[i].iov_len = size;
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}

	t0 = gen_now();
	t = t0;
	while (sent < count && t - t0 < seconds) {
		unsigned int n =
			count - sent < GEN_BATCH ? count - sent : GEN_BATCH;
		int r;

		for (unsigned int i = 0; i < n; i++)
			iov[i].iov_base = frames[(sent + i) % flows];
		r = sendmmsg(fd, msgs, n, 0);
		calls++;
		if (r > 0)
			sent += r;
		else if (r < 0 && errno != ENOBUFS && errno != EAGAIN)
			break;
		if ((calls & 63) == 0)
			t = gen_now();
	}
	t = gen_now() - t0;
	printf("afxdp_gen: sent %llu pkts in %.2f s: %.0f pps (%llu syscalls)\n",
	       sent, t, sent / t, calls);
	close(fd);
	return 0;
usage:
	fprintf(stderr,
		"usage: afxdp_gen -i IF [-n COUNT] [-t SECONDS<=600] "
		"[-s SIZE 60..1514] [-f FLOWS<=%d] [-d DST_MAC] [-c CPU]\n",
		GEN_FLOWS_MAX);
	return 2;
}
