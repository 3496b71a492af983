/* SPDX-License-Identifier: MIT */
/*
 * lr_xdp_xsk: steer frames to the AF_XDP socket bound on their RX queue.
 *
 * For every frame: a frame shorter than an Ethernet header is dropped; one
 * the load-time filter does not want (lr_filter, see enum lr_xdp_filter)
 * goes to the kernel; otherwise, when a socket sits in lr_xsks at the
 * frame's RX queue it is redirected there, and when the slot is empty (no
 * worker polls that queue, or the port is stopped) it goes to the kernel.
 * Each outcome bumps one per-CPU counter from lr_xdp.h.
 *
 * The lookup before bpf_redirect_map tells "no socket" (pass, counted as
 * passed) apart from a failed redirect (counted as redirect_err): the
 * socket can leave the map between the two.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ipv6.h>
#include <linux/icmpv6.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "lr_xdp.h"

/* Set by userspace between open and load. */
const volatile __u32 lr_filter = LR_XDP_FILTER_ALL;

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, LR_XDP_QUEUE_MAX);
	__type(key, __u32);
	__type(value, __u32);
} lr_xsks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LR_XDP_C__COUNT);
	__type(key, __u32);
	__type(value, struct lr_xdp_rec);
} lr_stats SEC(".maps");

struct lr_vlan_hdr {
	__be16 tci;
	__be16 proto;
};

static __always_inline int lr_count(__u32 c, __u64 bytes, int verdict)
{
	struct lr_xdp_rec *rec = bpf_map_lookup_elem(&lr_stats, &c);

	if (rec) {
		rec->packets++;
		rec->bytes += bytes;
	}
	return verdict;
}

/* IPv6 that the kernel must keep: neighbour discovery, MLD, and anything
 * behind a hop-by-hop header (MLD reports carry one). */
static __always_inline int lr_ip6_is_mgmt(void *l3, void *end)
{
	struct ipv6hdr *ip6 = l3;
	struct icmp6hdr *icmp6;

	if ((void *)(ip6 + 1) > end)
		return 1; /* truncated: the kernel counts and drops it */
	if (ip6->nexthdr == IPPROTO_HOPOPTS)
		return 1;
	if (ip6->nexthdr != IPPROTO_ICMPV6)
		return 0;
	icmp6 = (void *)(ip6 + 1);
	if ((void *)(icmp6 + 1) > end)
		return 1;
	switch (icmp6->icmp6_type) {
	case 130: /* MLD query */
	case 131: /* MLDv1 report */
	case 132: /* MLDv1 done */
	case 133: /* router solicitation */
	case 134: /* router advertisement */
	case 135: /* neighbour solicitation */
	case 136: /* neighbour advertisement */
	case 137: /* redirect */
	case 143: /* MLDv2 report */
		return 1;
	}
	return 0;
}

/* Does the load-time filter want this frame in userspace? */
static __always_inline int lr_wanted(void *data, void *end)
{
	struct ethhdr *eth = data;
	void *l3 = eth + 1;
	__be16 proto = eth->h_proto;
	int i;

	if (lr_filter == LR_XDP_FILTER_ALL)
		return 1;
#pragma unroll
	for (i = 0; i < 2; i++) {
		struct lr_vlan_hdr *vh = l3;

		if (proto != bpf_htons(ETH_P_8021Q) &&
		    proto != bpf_htons(ETH_P_8021AD))
			break;
		if ((void *)(vh + 1) > end)
			return 0;
		proto = vh->proto;
		l3 = vh + 1;
	}
	if (proto == bpf_htons(ETH_P_IP))
		return 1;
	if (proto == bpf_htons(ETH_P_IPV6))
		return !lr_ip6_is_mgmt(l3, end);
	return 0;
}

static __always_inline int lr_steer(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u64 len = end - data;
	__u32 q = ctx->rx_queue_index;
	int ret;

	if (data + sizeof(struct ethhdr) > end)
		return lr_count(LR_XDP_C_DROPPED, len, XDP_DROP);
	if (!lr_wanted(data, end))
		return lr_count(LR_XDP_C_PASSED, len, XDP_PASS);
	if (!bpf_map_lookup_elem(&lr_xsks, &q))
		return lr_count(LR_XDP_C_PASSED, len, XDP_PASS);
	ret = bpf_redirect_map(&lr_xsks, q, XDP_ABORTED);
	if (ret != XDP_REDIRECT)
		return lr_count(LR_XDP_C_REDIRECT_ERR, len, XDP_PASS);
	return lr_count(LR_XDP_C_REDIRECTED, len, XDP_REDIRECT);
}

SEC("xdp")
int lr_xdp_xsk(struct xdp_md *ctx)
{
	return lr_steer(ctx);
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
