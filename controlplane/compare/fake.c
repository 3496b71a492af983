// SPDX-License-Identifier: MIT
/*
 * The fake backend: a synthetic rate limiter whose true limit is known, so
 * the search and the runner are tested without traffic. Deterministic for a
 * given seed (xorshift64*), so a failing test replays exactly.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "compare.h"

#define FAKE_HZ 2.5e9

void cp_cmp_fake_init(struct cp_cmp_fake *f, enum cp_cmp_fake_model model,
		      double limit, uint64_t seed)
{
	*f = (struct cp_cmp_fake){
		.model = model,
		.limit = limit,
		.ramp = 0.05,
		.floor = 0.001,
		.seed = seed ? seed : 0x9e3779b97f4a7c15ull,
		.cycles_per_pkt = 100,
		.mode_scale = 1.0,
	};
}

static double uniform(struct cp_cmp_fake *f)
{
	uint64_t x = f->seed;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	f->seed = x;
	return (double)((x * 0x2545f4914f6cdd1dull) >> 11) / 9007199254740992.0;
}

/* tx/rx of one trial against capacity cap (pps). */
static void limiter(struct cp_cmp_fake *f, double cap, double rate,
		    double duration, uint64_t *tx, uint64_t *rx)
{
	double offered = rate, fwd;

	if (f->gen_max > 0 && offered > f->gen_max)
		offered = f->gen_max;
	if (f->stall_every && f->trials % f->stall_every == f->stall_every - 1)
		offered /= 2;
	if (f->noise > 0)
		cap *= 1 + f->noise * (2 * uniform(f) - 1);
	*tx = (uint64_t)llround(offered * duration);
	switch (f->model) {
	case CP_CMP_FAKE_RAMP:
		if (offered <= cap) {
			*rx = *tx;
		} else {
			double loss = f->ramp * (offered / cap - 1);

			fwd = *tx * (1 - (loss < 1 ? loss : 1));
			*rx = (uint64_t)floor(fwd);
		}
		break;
	case CP_CMP_FAKE_FLOOR:
		fwd = fmin((double)*tx, floor(cap * duration));
		*rx = (uint64_t)floor(fwd * (1 - f->floor));
		break;
	case CP_CMP_FAKE_HARD:
	default:
		fwd = floor(cap * duration);
		*rx = *tx < fwd ? *tx : (uint64_t)fwd;
		break;
	}
	f->trials++;
}

int cp_cmp_fake_trial(void *fake, double rate, double duration, uint64_t *tx,
		      uint64_t *rx)
{
	struct cp_cmp_fake *f = fake;

	limiter(f, f->limit, rate, duration, tx, rx);
	return 0;
}

static int fake_set_mode(void *ctx, const struct cp_cmp_mode *m, char *desc,
			 size_t desclen, char *err, size_t errlen)
{
	struct cp_cmp_fake *f = ctx;

	if (f->fail_mode[0] && !strcmp(f->fail_mode, m->name)) {
		snprintf(err, errlen, "fake: mode %s is not available",
			 m->name);
		return -EOPNOTSUPP;
	}
	/* Rough shape of the real thing: bypass well ahead of the kernel. */
	if (!strcmp(m->backend, "dpdk"))
		f->mode_scale = 1.0;
	else if (!strcmp(m->backend, "afxdp"))
		f->mode_scale = m->xdp_skb ? 0.4 : 0.6;
	else
		f->mode_scale = 0.1 + 0.01 * (double)(strlen(m->io_model) % 7);
	snprintf(desc, desclen, "fake %s x%.2f", m->backend, f->mode_scale);
	return 0;
}

static int fake_trial(void *ctx, const struct cp_cmp_trial_req *req,
		      struct cp_cmp_sample *s, char *err, size_t errlen)
{
	struct cp_cmp_fake *f = ctx;
	double cap = f->limit * f->mode_scale;
	double busy;

	if (req->frame > 64)
		cap *= sqrt(64.0 / req->frame);
	memset(s, 0, sizeof(*s));
	limiter(f, cap, req->rate, req->duration, &s->tx, &s->rx);
	s->duration = req->duration;
	s->dut_pkts = s->rx;
	s->dut_total_cyc = (uint64_t)(req->duration * FAKE_HZ);
	busy = s->tx / req->duration / cap;
	s->dut_busy_cyc = (uint64_t)(s->dut_total_cyc * (busy < 1 ? busy : 1));
	s->have_cycles = true;
	if (!strcmp(f->fail_mode, "syscalls-unknown")) {
		s->have_syscalls = false;
	} else {
		s->have_syscalls = true;
		s->syscalls = f->mode_scale < 0.3 ? s->rx / 32 : 0;
	}
	s->ring_drops = s->tx - s->rx;
	s->have_drops = true;
	s->lat_p50_ns = 1000 / f->mode_scale;
	s->lat_p99_ns = 3000 / f->mode_scale;
	return 0;
}

void cp_cmp_fake_driver(struct cp_cmp_fake *f, struct cp_cmp_driver *d)
{
	d->ctx = f;
	d->set_mode = fake_set_mode;
	d->trial = fake_trial;
}
