// SPDX-License-Identifier: MIT
/*
 * Description: the XDP steering program (bpf/lr_xdp.bpf.c) run through
 * BPF_PROG_TEST_RUN on a table of packet fixtures: description, input
 * frame, filter, which XSKMAP slots hold a socket, RX queue, expected
 * verdict and expected counter changes.
 *
 * The XSKMAP slots are filled with real AF_XDP sockets bound to a veth in
 * a private network namespace of this process (unshare; it goes away with
 * the process). The program is loaded twice, once per filter, since the
 * filter is a load-time constant.
 *
 * Exit 0 when every fixture passes, 1 otherwise, 77 (skip) when BPF
 * itself is unavailable (not root, or the kernel refuses to load).
 */
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/xsk.h>

#include "lr_xdp.h"
#include "lr_xdp.skel.h"

#define SKIP	     77
#define T_IF	     "lrx2-t0"
#define T_FRAMES     256
#define T_FRAME_SIZE 2048

enum frame_kind {
	F_IP4_UDP,
	F_IP6_UDP,
	F_IP6_ECHO,
	F_ARP,
	F_IP6_NS,
	F_IP6_NA,
	F_IP6_RS,
	F_IP6_MLD2,
	F_IP6_HBH,
	F_IP6_TRUNC,
	F_VLAN_IP4,
	F_QINQ_IP4,
	F_VLAN_ARP,
	F_LLDP,
};

struct fixture {
	const char *desc;
	enum frame_kind kind;
	enum lr_xdp_filter filter;
	unsigned int slots; /* bit q: a socket sits in XSKMAP slot q */
	unsigned int queue; /* the frame's RX queue */
	unsigned int verdict;
	int delta[LR_XDP_C__COUNT];
};

#define RED                                                                    \
	{                                                                      \
		[LR_XDP_C_REDIRECTED] = 1                                      \
	}
#define PAS                                                                    \
	{                                                                      \
		[LR_XDP_C_PASSED] = 1                                          \
	}
/* No fixture reaches the "dropped" branch (frame shorter than an Ethernet
 * header): BPF_PROG_TEST_RUN refuses input below 14 bytes, metadata or
 * not, and no driver hands XDP such a frame. The branch is the bounds
 * check the verifier demands. */

static const struct fixture fixtures[] = {
	{"IPv4 UDP, filter all, no socket: kernel", F_IP4_UDP,
	 LR_XDP_FILTER_ALL, 0, 0, XDP_PASS, PAS},
	{"IPv4 UDP, filter all, socket on q0: redirect", F_IP4_UDP,
	 LR_XDP_FILTER_ALL, 1, 0, XDP_REDIRECT, RED},
	{"IPv4 UDP on q1, socket only on q0: kernel", F_IP4_UDP,
	 LR_XDP_FILTER_ALL, 1, 1, XDP_PASS, PAS},
	{"IPv4 UDP on q1, socket on q1: redirect", F_IP4_UDP, LR_XDP_FILTER_ALL,
	 2, 1, XDP_REDIRECT, RED},
	{"ARP, filter all, socket: redirect (all means all)", F_ARP,
	 LR_XDP_FILTER_ALL, 1, 0, XDP_REDIRECT, RED},
	{"IPv6 ND solicitation, filter all, socket: redirect", F_IP6_NS,
	 LR_XDP_FILTER_ALL, 1, 0, XDP_REDIRECT, RED},
	{"LLDP, filter all, socket: redirect", F_LLDP, LR_XDP_FILTER_ALL, 1, 0,
	 XDP_REDIRECT, RED},

	{"IPv4 UDP, filter ip, socket: redirect", F_IP4_UDP, LR_XDP_FILTER_IP,
	 1, 0, XDP_REDIRECT, RED},
	{"IPv4 UDP, filter ip, no socket: kernel", F_IP4_UDP, LR_XDP_FILTER_IP,
	 0, 0, XDP_PASS, PAS},
	{"IPv6 UDP, filter ip, socket: redirect", F_IP6_UDP, LR_XDP_FILTER_IP,
	 1, 0, XDP_REDIRECT, RED},
	{"IPv6 echo request, filter ip, socket: redirect", F_IP6_ECHO,
	 LR_XDP_FILTER_IP, 1, 0, XDP_REDIRECT, RED},
	{"ARP, filter ip, socket: stays with the kernel", F_ARP,
	 LR_XDP_FILTER_IP, 1, 0, XDP_PASS, PAS},
	{"IPv6 neighbour solicitation, filter ip: kernel", F_IP6_NS,
	 LR_XDP_FILTER_IP, 1, 0, XDP_PASS, PAS},
	{"IPv6 neighbour advertisement, filter ip: kernel", F_IP6_NA,
	 LR_XDP_FILTER_IP, 1, 0, XDP_PASS, PAS},
	{"IPv6 router solicitation, filter ip: kernel", F_IP6_RS,
	 LR_XDP_FILTER_IP, 1, 0, XDP_PASS, PAS},
	{"IPv6 MLDv2 report (plain ICMPv6), filter ip: kernel", F_IP6_MLD2,
	 LR_XDP_FILTER_IP, 1, 0, XDP_PASS, PAS},
	{"IPv6 with hop-by-hop header, filter ip: kernel", F_IP6_HBH,
	 LR_XDP_FILTER_IP, 1, 0, XDP_PASS, PAS},
	{"IPv6 header truncated, filter ip: kernel", F_IP6_TRUNC,
	 LR_XDP_FILTER_IP, 1, 0, XDP_PASS, PAS},
	{"802.1Q IPv4, filter ip, socket: redirect", F_VLAN_IP4,
	 LR_XDP_FILTER_IP, 1, 0, XDP_REDIRECT, RED},
	{"QinQ IPv4, filter ip, socket: redirect", F_QINQ_IP4, LR_XDP_FILTER_IP,
	 1, 0, XDP_REDIRECT, RED},
	{"802.1Q ARP, filter ip: kernel", F_VLAN_ARP, LR_XDP_FILTER_IP, 1, 0,
	 XDP_PASS, PAS},
	{"LLDP, filter ip: kernel", F_LLDP, LR_XDP_FILTER_IP, 1, 0, XDP_PASS,
	 PAS},
};

static const char *const counter_names[] = {
#define T_NAME(e, name, desc) name,
	LR_XDP_FOREACH_COUNTER(T_NAME)
#undef T_NAME
};

static size_t put_eth(uint8_t *p, uint16_t type)
{
	static const uint8_t macs[12] = {0x02, 0, 0, 0, 0, 0x01,
					 0x02, 0, 0, 0, 0, 0x02};

	memcpy(p, macs, 12);
	p[12] = type >> 8;
	p[13] = type & 0xff;
	return 14;
}

/* A VLAN tag after an ethertype of 0x8100/0x88a8: TCI, next ethertype. */
static size_t put_tag(uint8_t *p, uint16_t tci, uint16_t next)
{
	p[0] = tci >> 8;
	p[1] = tci & 0xff;
	p[2] = next >> 8;
	p[3] = next & 0xff;
	return 4;
}

static size_t put_ip4_udp(uint8_t *p)
{
	static const uint8_t h[28] = {
		0x45, 0,    0,	  28 + 18, 0, 1,      0,   0,  64, 17,
		0,    0,    198,  18,	   0, 1,      198, 19, 0,  2,
		0x03, 0xe8, 0x07, 0xd0,	   0, 8 + 18, 0,   0,
	};

	memcpy(p, h, sizeof(h));
	memset(p + sizeof(h), 0xab, 18);
	return sizeof(h) + 18;
}

/* IPv6 header + nh + an 8-byte L4 header of the given first bytes. */
static size_t put_ip6(uint8_t *p, uint8_t nh, const uint8_t *l4, size_t l4len)
{
	memset(p, 0, 40);
	p[0] = 0x60;
	p[4] = 0;
	p[5] = l4len;
	p[6] = nh;
	p[7] = 255;
	p[8] = 0xfe;
	p[9] = 0x80;
	p[23] = 1;
	p[24] = 0xff;
	p[25] = 0x02;
	p[39] = 1;
	memcpy(p + 40, l4, l4len);
	return 40 + l4len;
}

static size_t put_arp(uint8_t *p)
{
	static const uint8_t a[28] = {
		0,   1,	 0x08, 0, 6, 4, 0, 1, 0x02, 0, 0,   0,	0, 0x02,
		198, 18, 0,    1, 0, 0, 0, 0, 0,    0, 198, 18, 0, 2,
	};

	memcpy(p, a, sizeof(a));
	return sizeof(a);
}

/* Build the frame of a kind at buf; returns its length. */
static size_t build(enum frame_kind k, uint8_t *buf)
{
	uint8_t l4[24] = {};
	size_t n;

	switch (k) {
	case F_IP4_UDP:
		n = put_eth(buf, ETH_P_IP);
		return n + put_ip4_udp(buf + n);
	case F_IP6_UDP:
		n = put_eth(buf, ETH_P_IPV6);
		l4[1] = 53;
		l4[5] = 16;
		return n + put_ip6(buf + n, 17, l4, 16);
	case F_IP6_ECHO:
		n = put_eth(buf, ETH_P_IPV6);
		l4[0] = 128;
		return n + put_ip6(buf + n, 58, l4, 16);
	case F_ARP:
		n = put_eth(buf, ETH_P_ARP);
		return n + put_arp(buf + n);
	case F_IP6_NS:
	case F_IP6_NA:
	case F_IP6_RS:
	case F_IP6_MLD2:
		n = put_eth(buf, ETH_P_IPV6);
		l4[0] = k == F_IP6_NS	? 135
			: k == F_IP6_NA ? 136
			: k == F_IP6_RS ? 133
					: 143;
		return n + put_ip6(buf + n, 58, l4, 24);
	case F_IP6_HBH:
		n = put_eth(buf, ETH_P_IPV6);
		l4[0] = 58; /* next: ICMPv6 */
		l4[2] = 5; /* router alert option */
		l4[3] = 2;
		l4[8] = 131;
		return n + put_ip6(buf + n, 0, l4, 16);
	case F_IP6_TRUNC:
		n = put_eth(buf, ETH_P_IPV6);
		memset(buf + n, 0x60, 20);
		return n + 20;
	case F_VLAN_IP4:
		n = put_eth(buf, ETH_P_8021Q);
		n += put_tag(buf + n, 100, ETH_P_IP);
		return n + put_ip4_udp(buf + n);
	case F_QINQ_IP4:
		n = put_eth(buf, ETH_P_8021AD);
		n += put_tag(buf + n, 10, ETH_P_8021Q);
		n += put_tag(buf + n, 20, ETH_P_IP);
		return n + put_ip4_udp(buf + n);
	case F_VLAN_ARP:
		n = put_eth(buf, ETH_P_8021Q);
		n += put_tag(buf + n, 100, ETH_P_ARP);
		return n + put_arp(buf + n);
	case F_LLDP:
		n = put_eth(buf, 0x88cc);
		memset(buf + n, 0x02, 46);
		return n + 46;
	}
	return 0;
}

struct t_xsk {
	void *area;
	struct xsk_umem *umem;
	struct xsk_ring_prod fill, fill1;
	struct xsk_ring_cons comp, comp1;
	struct xsk_ring_cons rx[2];
	struct xsk_ring_prod tx[2];
	struct xsk_socket *xsk[2];
};

static int make_sockets(struct t_xsk *x)
{
	struct xsk_umem_config uc = {
		.fill_size = 64,
		.comp_size = 64,
		.frame_size = T_FRAME_SIZE,
	};
	struct xsk_socket_config sc = {
		.rx_size = 64,
		.tx_size = 64,
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
		.bind_flags = XDP_USE_NEED_WAKEUP,
	};
	int err;

	if (system("ip link add " T_IF " numrxqueues 2 numtxqueues 2 type veth "
		   "peer name lrx2-t1 numrxqueues 2 numtxqueues 2 && "
		   "ip link set " T_IF " up && ip link set lrx2-t1 up")) {
		fprintf(stderr, "cannot create the veth pair (ip link)\n");
		return -1;
	}
	x->area = mmap(NULL, T_FRAMES * T_FRAME_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (x->area == MAP_FAILED)
		return -errno;
	err = xsk_umem__create(&x->umem, x->area, T_FRAMES * T_FRAME_SIZE,
			       &x->fill, &x->comp, &uc);
	if (err) {
		fprintf(stderr, "xsk_umem__create: %s\n", strerror(-err));
		return err;
	}
	err = xsk_socket__create_shared(&x->xsk[0], T_IF, 0, x->umem, &x->rx[0],
					&x->tx[0], &x->fill, &x->comp, &sc);
	if (err) {
		fprintf(stderr, "AF_XDP socket on %s q0: %s\n", T_IF,
			strerror(-err));
		return err;
	}
	err = xsk_socket__create_shared(&x->xsk[1], T_IF, 1, x->umem, &x->rx[1],
					&x->tx[1], &x->fill1, &x->comp1, &sc);
	if (err) {
		fprintf(stderr, "AF_XDP socket on %s q1: %s\n", T_IF,
			strerror(-err));
		return err;
	}
	return 0;
}

static void free_sockets(struct t_xsk *x)
{
	for (int i = 1; i >= 0; i--)
		if (x->xsk[i])
			xsk_socket__delete(x->xsk[i]);
	if (x->umem)
		xsk_umem__delete(x->umem);
	if (x->area && x->area != MAP_FAILED)
		munmap(x->area, T_FRAMES * T_FRAME_SIZE);
}

static int read_counters(struct lr_xdp *skel, uint64_t *out)
{
	int ncpu = libbpf_num_possible_cpus();
	struct lr_xdp_rec rec[ncpu > 0 ? ncpu : 1];
	int fd = bpf_map__fd(skel->maps.lr_stats);

	for (uint32_t c = 0; c < LR_XDP_C__COUNT; c++) {
		out[c] = 0;
		if (bpf_map_lookup_elem(fd, &c, rec))
			return -errno;
		for (int i = 0; i < ncpu; i++)
			out[c] += rec[i].packets;
	}
	return 0;
}

static int set_slots(struct lr_xdp *skel, struct t_xsk *x, unsigned int slots)
{
	int fd = bpf_map__fd(skel->maps.lr_xsks);

	for (uint32_t q = 0; q < 2; q++) {
		int sfd = xsk_socket__fd(x->xsk[q]);

		if (slots & (1u << q)) {
			if (bpf_map_update_elem(fd, &q, &sfd, BPF_ANY))
				return -errno;
		} else {
			bpf_map_delete_elem(fd, &q);
		}
	}
	return 0;
}

static int run_fixture(const struct fixture *f, struct lr_xdp *skel,
		       struct t_xsk *x, int ifindex)
{
	uint8_t buf[256] = {}, out[256];
	size_t len = build(f->kind, buf);
	struct xdp_md ctx = {
		.data = 0,
		.data_end = len,
		.ingress_ifindex = f->queue ? ifindex : 0,
		.rx_queue_index = f->queue,
	};
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = buf, .data_size_in = len,
		    .data_out = out, .data_size_out = sizeof(out),
		    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = 1);
	uint64_t before[LR_XDP_C__COUNT], after[LR_XDP_C__COUNT];
	int ret, fail = 0;

	if (set_slots(skel, x, f->slots) || read_counters(skel, before)) {
		printf("not ok - %s: cannot set up maps: %s\n", f->desc,
		       strerror(errno));
		return 1;
	}
	ret = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.lr_xdp_xsk),
				     &o);
	if (ret) {
		printf("not ok - %s: BPF_PROG_TEST_RUN: %s\n", f->desc,
		       strerror(-ret));
		return 1;
	}
	if (o.retval != f->verdict) {
		printf("not ok - %s: verdict %u, want %u\n", f->desc, o.retval,
		       f->verdict);
		fail = 1;
	}
	read_counters(skel, after);
	for (int c = 0; c < LR_XDP_C__COUNT; c++) {
		int64_t d = after[c] - before[c];

		if (d != f->delta[c]) {
			printf("not ok - %s: counter %s +%lld, want +%d\n",
			       f->desc, counter_names[c], (long long)d,
			       f->delta[c]);
			fail = 1;
		}
	}
	if (!fail)
		printf("ok - %s\n", f->desc);
	return fail;
}

int main(void)
{
	struct lr_xdp *skel[2] = {};
	struct t_xsk x = {};
	int passed = 0, failed = 0, ifindex, ret = 1;

	if (geteuid() != 0) {
		printf("SKIP: BPF_PROG_TEST_RUN and AF_XDP need root\n");
		return SKIP;
	}
	if (unshare(CLONE_NEWNET)) {
		printf("SKIP: cannot create a network namespace: %s\n",
		       strerror(errno));
		return SKIP;
	}
	system("ip link set lo up");
	for (int f = 0; f < 2; f++) {
		skel[f] = lr_xdp__open();
		if (!skel[f]) {
			printf("SKIP: cannot open the BPF object: %s\n",
			       strerror(errno));
			ret = SKIP;
			goto out;
		}
		skel[f]->rodata->lr_filter =
			f ? LR_XDP_FILTER_IP : LR_XDP_FILTER_ALL;
		ret = lr_xdp__load(skel[f]);
		if (ret == -EPERM || ret == -ENOSYS) {
			printf("SKIP: the kernel refuses BPF: %s\n",
			       strerror(-ret));
			ret = SKIP;
			goto out;
		}
		if (ret) {
			/* The verifier rejected our program: a real failure. */
			printf("not ok - load with filter %d: %s\n", f,
			       strerror(-ret));
			ret = 1;
			goto out;
		}
		printf("ok - program loads (verifier-clean), filter %s\n",
		       f ? "ip" : "all");
		passed++;
	}
	ret = make_sockets(&x);
	if (ret) {
		printf("not ok - AF_XDP sockets for the XSKMAP\n");
		failed++;
		goto report;
	}
	ifindex = if_nametoindex(T_IF);
	for (size_t i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++) {
		const struct fixture *f = &fixtures[i];

		if (run_fixture(f, skel[f->filter], &x, ifindex))
			failed++;
		else
			passed++;
	}
report:
	printf("%d passed, %d failed\n", passed, failed);
	ret = failed ? 1 : 0;
out:
	for (int f = 0; f < 2; f++)
		lr_xdp__destroy(skel[f]);
	free_sockets(&x);
	return ret;
}
