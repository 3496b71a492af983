/* SPDX-License-Identifier: MIT */
/*
 * Another tool's XDP program, for the tests: it passes everything. The
 * AF_XDP backend must never replace it without force, and must name it
 * ("other_pass") when it refuses.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int other_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
