// SPDX-License-Identifier: MIT
/*
 * bench_parse — cost of dp_parse_burst in TSC cycles and ns per packet.
 *
 * Frames come from the scapy fixtures (tests/fixtures/frames.h), copied
 * into a pool of 2048 buffers 256 bytes apart (headers warm in L1/L2: this
 * measures the parser, not DRAM; the pool is large enough that the branch
 * predictor cannot learn the malformed mix by heart). Each scenario parses the
 * pool in bursts of 32 for a few hundred thousand bursts, repeated TRIALS
 * times; the best trial is reported (other processes share the 2 cores).
 * The TSC rate is measured against CLOCK_MONOTONIC and printed next to
 * /proc/cpuinfo's "cpu MHz".
 *
 * Usage: bench_parse [bursts-per-trial]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <x86intrin.h>

#include "frames.h"
#include "parse.h"

#define POOL   2048
#define STRIDE 256
#define BURST  32
#define TRIALS 7

static uint8_t *pool;
static uint8_t *frames[POOL];
static uint16_t lens[POOL];
static struct dp_parsed out[BURST];

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static double tsc_hz(void)
{
	uint64_t t0 = now_ns(), c0 = __rdtsc(), t1, c1;

	do
		t1 = now_ns();
	while (t1 - t0 < 200000000u);
	c1 = __rdtsc();
	return (double)(c1 - c0) * 1e9 / (double)(t1 - t0);
}

static double cpuinfo_mhz(void)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[256];
	double mhz = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "cpu MHz : %lf", &mhz) == 1)
			break;
	fclose(f);
	return mhz;
}

static const struct lr_fixture *fx(const char *name)
{
	size_t i;

	for (i = 0; i < LR_N_FIXTURES; i++)
		if (!strcmp(lr_fixtures[i].name, name))
			return &lr_fixtures[i];
	fprintf(stderr, "bench_parse: no fixture %s\n", name);
	exit(1);
}

static void put(int i, const uint8_t *src, uint16_t len)
{
	memcpy(frames[i], src, len);
	lens[i] = len;
}

/* Fill the pool with one frame kind. */
static void fill_same(const char *name)
{
	const struct lr_fixture *f = fx(name);
	int i;

	for (i = 0; i < POOL; i++)
		put(i, f->frame, f->len);
}

/* A malformed mix: truncations at every layer, bad fields, a too-long
 * extension chain, three VLAN tags, interleaved with good frames so the
 * branch predictor cannot learn one path. */
static void fill_malformed(void)
{
	static const char *const good[] = {"eth_ip4_udp",     "vlan_ip6_tcp",
					   "eth_ip4opts_tcp", "ip6_ext_udp",
					   "eth_arp",	      "ip4_frag_later"};
	unsigned int seed = 42;
	int i;

	for (i = 0; i < POOL; i++) {
		const struct lr_fixture *f =
			&lr_fixtures[(unsigned int)rand_r(&seed) %
				     LR_N_FIXTURES];
		uint16_t len = f->len;

		switch (i % 4) {
		case 0: /* cut anywhere */
			len = (uint16_t)((unsigned int)rand_r(&seed) % f->len);
			put(i, f->frame, len);
			break;
		case 1: /* a random byte of the first 64 changed */
			put(i, f->frame, len);
			frames[i][(unsigned int)rand_r(&seed) %
				  (len < 64 ? len : 64)] ^=
				(uint8_t)(1 + rand_r(&seed) % 255);
			break;
		case 2: /* whole fixture: some are malformed by design */
			put(i, f->frame, len);
			break;
		default:
			f = fx(good[(unsigned int)rand_r(&seed) % 6]);
			put(i, f->frame, f->len);
			break;
		}
	}
}

/* Best-of-TRIALS TSC cycles per packet of dp_parse_burst over the pool. */
static double run_burst(long bursts)
{
	double best = 1e30;
	int t;

	for (t = 0; t < TRIALS; t++) {
		uint64_t c0 = __rdtsc(), c1;
		long b;

		for (b = 0; b < bursts; b++) {
			int at = (int)(b % (POOL / BURST)) * BURST;

			dp_parse_burst(frames + at, lens + at, BURST, out);
		}
		c1 = __rdtsc();
		if ((double)(c1 - c0) / ((double)bursts * BURST) < best)
			best = (double)(c1 - c0) / ((double)bursts * BURST);
	}
	return best;
}

/* The same with one dp_parse call per packet (no burst, no prefetch). */
static double run_single(long bursts)
{
	double best = 1e30;
	int t;

	for (t = 0; t < TRIALS; t++) {
		uint64_t c0 = __rdtsc(), c1;
		long b;
		int i;

		for (b = 0; b < bursts; b++) {
			int at = (int)(b % (POOL / BURST)) * BURST;

			for (i = 0; i < BURST; i++)
				dp_parse(frames[at + i], lens[at + i], &out[i]);
		}
		c1 = __rdtsc();
		if ((double)(c1 - c0) / ((double)bursts * BURST) < best)
			best = (double)(c1 - c0) / ((double)bursts * BURST);
	}
	return best;
}

int main(int argc, char **argv)
{
	long bursts = argc > 1 ? atol(argv[1]) : 200000;
	double hz, c;
	int i;

	if (bursts <= 0) {
		fprintf(stderr, "usage: bench_parse [bursts-per-trial > 0]\n");
		return 2;
	}
	pool = aligned_alloc(64, (size_t)POOL * STRIDE);
	if (!pool) {
		fprintf(stderr, "bench_parse: out of memory\n");
		return 1;
	}
	for (i = 0; i < POOL; i++)
		frames[i] = pool + (size_t)i * STRIDE + 64; /* headroom */

	hz = tsc_hz();
	printf("bench_parse: TSC %.1f MHz (measured), cpu MHz %.1f "
	       "(/proc/cpuinfo); burst %d, %ld bursts x %d trials, best\n",
	       hz / 1e6, cpuinfo_mhz(), BURST, bursts, TRIALS);
	printf("%-22s %10s %8s %14s\n", "scenario", "cycles/pkt", "ns/pkt",
	       "single cyc/pkt");

	static const struct {
		const char *label, *fixture;
	} sc[] = {
		{"eth/ipv4/udp", "eth_ip4_udp"},
		{"eth/vlan/ipv6/tcp", "vlan_ip6_tcp"},
		{"eth/ipv4+opts/tcp", "eth_ip4opts_tcp"},
		{"eth/ipv6/3ext/udp", "ip6_ext_udp"},
		{"malformed mix", NULL},
	};
	for (i = 0; i < (int)(sizeof(sc) / sizeof(sc[0])); i++) {
		if (sc[i].fixture)
			fill_same(sc[i].fixture);
		else
			fill_malformed();
		c = run_burst(bursts);
		printf("%-22s %10.1f %8.2f %14.1f\n", sc[i].label, c,
		       c * 1e9 / hz, run_single(bursts));
	}
	free(pool);
	return 0;
}
