/* SPDX-License-Identifier: MIT */
/*
 * The benchmark's sink: drops every frame at XDP, the cheapest end for
 * forwarded traffic (the interface's counters still count it). The same
 * sink serves every mode compared, so it costs them all the same.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int sink_drop(struct xdp_md *ctx)
{
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
