// SPDX-License-Identifier: MIT
/*
 * The one-shot driver: each trial runs linerated once, for the trial's
 * duration plus a drain, on a config made from the mode's template, and
 * reads its `--summary` lines. It measures the real dataplane before the
 * daemon can switch backends and serve the generator verbs at run time
 * (the control-socket driver, ctl.c, is the intended path), at the price
 * of an EAL start per trial.
 *
 * Templates: DIR/<mode>.yaml, ':' in the mode name written as '-'
 * (kernel-epoll-et.yaml). Placeholders: @RATE@ (pps), @COUNT@ (packets the
 * generator sends, rate x duration, so it stops before the end and what is
 * in flight drains), @SIZE@ (frame bytes incl. FCS), @FLOWS@, @PREFIX@ (a
 * DPDK file prefix unique per trial).
 *
 * Duration: when the generator sent all rate x trial packets it kept the
 * rate, so the trial lasted its nominal duration; when it did not, it ran
 * for the whole run and the duration is its worker's polling time
 * (busy + idle cycles over the TSC rate).
 *
 * Counters: offered = "final gen pkts", forwarded = "final sink pkts" minus
 * foreign; DUT = the workers listed in dut_workers ("final worker=W":
 * busy_cycles, busy+idle as the elapsed cycles, rx_pkts, tx_pkts); syscalls
 * and ring drops from the DUT ports' dev_* xstats.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "compare.h"
#include "ctl.h"

#define DRAIN_S 0.4
/* linerated's --duration counts from start-up (EAL, ports) which takes
 * 0.5-0.7 s here: the run is start-up + trial + drain long, the generator
 * bounded to rate x trial packets. */
#define STARTUP_S 1.0

static int read_file(const char *path, char **out)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long len;

	if (!f)
		return -errno;
	if (fseek(f, 0, SEEK_END) || (len = ftell(f)) < 0 || len > 1 << 20) {
		fclose(f);
		return -EFBIG;
	}
	rewind(f);
	buf = malloc((size_t)len + 1);
	if (!buf) {
		fclose(f);
		return -ENOMEM;
	}
	if (fread(buf, 1, (size_t)len, f) != (size_t)len) {
		free(buf);
		fclose(f);
		return -EIO;
	}
	buf[len] = '\0';
	fclose(f);
	*out = buf;
	return 0;
}

/* Write tmpl with the placeholders replaced into path. */
static int render(const char *tmpl, const char *path,
		  const struct cp_cmp_trial_req *q, unsigned long seq)
{
	FILE *f = fopen(path, "w");
	const char *p = tmpl;

	if (!f)
		return -errno;
	while (*p) {
		if (!strncmp(p, "@RATE@", 6)) {
			fprintf(f, "%.0f", q->rate);
			p += 6;
		} else if (!strncmp(p, "@COUNT@", 7)) {
			fprintf(f, "%.0f",
				fmax(1, llround(q->rate * q->duration)));
			p += 7;
		} else if (!strncmp(p, "@SIZE@", 6)) {
			fprintf(f, "%u", q->frame);
			p += 6;
		} else if (!strncmp(p, "@FLOWS@", 7)) {
			fprintf(f, "%u", q->flows);
			p += 7;
		} else if (!strncmp(p, "@PREFIX@", 8)) {
			fprintf(f, "lr-cf-%d-%lu", (int)getpid(), seq);
			p += 8;
		} else {
			fputc(*p++, f);
		}
	}
	return fclose(f) ? -errno : 0;
}

static bool in_list(const char *list, const char *name, size_t n)
{
	for (const char *p = list; p && *p;) {
		const char *e = strchr(p, ',');
		size_t l = e ? (size_t)(e - p) : strlen(p);

		if (l == n && !strncmp(p, name, n))
			return true;
		p = e ? e + 1 : NULL;
	}
	return false;
}

/* The value of key=... in line, or false. */
static bool kv(const char *line, const char *key, double *v)
{
	size_t kl = strlen(key);

	for (const char *p = line; (p = strstr(p, key)); p += kl)
		if ((p == line || p[-1] == ' ') && p[kl] == '=') {
			*v = strtod(p + kl + 1, NULL);
			return true;
		}
	return false;
}

static void tail_of(const char *path, char *dst, size_t len)
{
	FILE *f = fopen(path, "r");
	char buf[512];

	dst[0] = '\0';
	if (!f)
		return;
	while (fgets(buf, sizeof(buf), f)) {
		size_t k = strnlen(buf, len - 1); /* a long line's start */

		if (buf[0] == '\n')
			continue;
		memcpy(dst, buf, k);
		dst[k] = '\0';
	}
	fclose(f);
	dst[strcspn(dst, "\n")] = '\0';
}

int cp_cmp_shell_quote(char *dst, size_t len, const char *s)
{
	size_t o = 0;

	if (len < 3)
		return -ENAMETOOLONG;
	dst[o++] = '\'';
	for (; *s; s++) {
		const char *rep = *s == '\'' ? "'\\''" : NULL;
		size_t n = rep ? 4 : 1;

		if (o + n + 2 > len)
			return -ENAMETOOLONG;
		if (rep)
			memcpy(dst + o, rep, n);
		else
			dst[o] = *s;
		o += n;
	}
	dst[o++] = '\'';
	dst[o] = '\0';
	return 0;
}

static int run(struct cp_cmp_exec *x, const char *args, FILE **out, char *err,
	       size_t errlen)
{
	char cmd[2048], cfg[512], errp[512];

	if (cp_cmp_shell_quote(cfg, sizeof(cfg), x->cfg_path) ||
	    cp_cmp_shell_quote(errp, sizeof(errp), x->err_path) ||
	    snprintf(cmd, sizeof(cmd), "%s -c %s %s 2>%s", x->linerated, cfg,
		     args, errp) >= (int)sizeof(cmd)) {
		/* a cut command line would run something else */
		snprintf(err, errlen, "exec: command line too long");
		return -ENAMETOOLONG;
	}
	*out = popen(cmd, "r");
	if (!*out) {
		snprintf(err, errlen, "exec: %s: %s", cmd, strerror(errno));
		return -errno;
	}
	return 0;
}

static int finish(struct cp_cmp_exec *x, FILE *p, const char *what, char *err,
		  size_t errlen)
{
	int st = pclose(p);
	char tail[256];

	if (st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	tail_of(x->err_path, tail, sizeof(tail));
	snprintf(err, errlen, "linerated %s failed (exit %d): %s", what,
		 st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1, tail);
	return -EIO;
}

static int exec_set_mode(void *ctx, const struct cp_cmp_mode *m, char *desc,
			 size_t desclen, char *err, size_t errlen)
{
	struct cp_cmp_exec *x = ctx;
	struct cp_cmp_trial_req q = {
		.rate = 1000, .duration = 1, .frame = 64, .flows = 1};
	char path[600], line[512];
	FILE *p;
	int rc;

	snprintf(path, sizeof(path), "%s/%s.yaml", x->tmpl_dir, m->name);
	for (char *c = path + strlen(x->tmpl_dir) + 1; *c; c++)
		if (*c == ':')
			*c = '-';
	free(x->tmpl);
	x->tmpl = NULL;
	rc = read_file(path, &x->tmpl);
	if (rc) {
		snprintf(err, errlen, "no config template %s: %s", path,
			 strerror(-rc));
		return rc;
	}
	rc = render(x->tmpl, x->cfg_path, &q, x->seq++);
	if (rc) {
		snprintf(err, errlen, "exec: %s: %s", x->cfg_path,
			 strerror(-rc));
		return rc;
	}
	rc = run(x, "--check", &p, err, errlen);
	if (rc)
		return rc;
	while (fgets(line, sizeof(line), p))
		;
	rc = finish(x, p, "--check", err, errlen);
	if (rc)
		return rc;
	snprintf(desc, desclen, "one linerated run per trial (%s)",
		 strrchr(path, '/') + 1);
	return 0;
}

static int exec_trial(void *ctx, const struct cp_cmp_trial_req *req,
		      struct cp_cmp_sample *s, char *err, size_t errlen)
{
	struct cp_cmp_exec *x = ctx;
	char args[64], line[4096];
	double v, sink_pkts = 0, foreign = 0, gen_cyc = 0;
	double count = fmax(1, llround(req->rate * req->duration));
	bool have_sys = false, have_lat = false;
	FILE *p;
	int rc;

	rc = render(x->tmpl, x->cfg_path, req, x->seq++);
	if (rc) {
		snprintf(err, errlen, "exec: %s: %s", x->cfg_path,
			 strerror(-rc));
		return rc;
	}
	snprintf(args, sizeof(args), "-d %.3f --summary -q",
		 STARTUP_S + req->duration + DRAIN_S);
	rc = run(x, args, &p, err, errlen);
	if (rc)
		return rc;
	memset(s, 0, sizeof(*s));
	s->duration = req->duration;
	s->lat_p50_ns = s->lat_p99_ns = NAN;
	while (fgets(line, sizeof(line), p)) {
		if (!strncmp(line, "final worker=", 13)) {
			char id[16];

			snprintf(id, sizeof(id), "%.*s",
				 (int)strcspn(line + 13, " \n"), line + 13);
			if (!in_list(x->dut_workers, id, strlen(id))) {
				if (kv(line, "gen_pkts", &v) && v > 0 &&
				    kv(line, "busy_cycles", &v))
					gen_cyc += v;
				if (gen_cyc > 0 && kv(line, "idle_cycles", &v))
					gen_cyc += v;
				continue;
			}
			if (kv(line, "rx_pkts", &v))
				s->dut_pkts += (uint64_t)v;
			if (kv(line, "tx_pkts", &v)) {
				s->dut_tx += (uint64_t)v;
				s->have_dut_tx = true;
			}
			if (kv(line, "busy_cycles", &v)) {
				s->dut_busy_cyc += (uint64_t)v;
				s->dut_total_cyc += (uint64_t)v;
				s->have_cycles = true;
			}
			if (kv(line, "idle_cycles", &v))
				s->dut_total_cyc += (uint64_t)v;
		} else if (!strncmp(line, "final port=", 11)) {
			size_t n = strcspn(line + 11, " \n");

			if (!in_list(x->dut_ports, line + 11, n))
				continue;
			if (kv(line, "dev_syscalls", &v)) {
				s->syscalls += (uint64_t)v;
				have_sys = true;
			}
			if (kv(line, "dev_kernel_drops", &v))
				s->ring_drops += (uint64_t)v;
			if (kv(line, "dev_imissed", &v))
				s->ring_drops += (uint64_t)v;
			if (kv(line, "dev_rx_nombuf", &v))
				s->ring_drops += (uint64_t)v;
			if (kv(line, "dev_xsk_rx_dropped", &v))
				s->ring_drops += (uint64_t)v;
			if (kv(line, "dev_xsk_rx_ring_full", &v))
				s->ring_drops += (uint64_t)v;
			if (kv(line, "dev_xdp_redirect_err", &v))
				s->ring_drops += (uint64_t)v;
			s->have_drops = true;
		} else if (!strncmp(line, "final gen ", 10)) {
			if (kv(line, "pkts", &v))
				s->tx = (uint64_t)v;
		} else if (!strncmp(line, "final sink ", 11)) {
			kv(line, "pkts", &sink_pkts);
			kv(line, "foreign", &foreign);
			if (kv(line, "lat_p50_ns", &v) && sink_pkts > foreign) {
				s->lat_p50_ns = v;
				have_lat = true;
			}
			if (have_lat && kv(line, "lat_p99_ns", &v))
				s->lat_p99_ns = v;
		} else if (!strncmp(line, "final drops", 11)) {
			if (kv(line, "tx_full", &v))
				s->tx_full = (uint64_t)v;
		}
	}
	rc = finish(x, p, "trial", err, errlen);
	if (rc)
		return rc;
	s->rx = sink_pkts > foreign ? (uint64_t)(sink_pkts - foreign) : 0;
	if ((double)s->tx < count && gen_cyc > 0 && x->tsc_hz > 0)
		s->duration = gen_cyc / x->tsc_hz;
	s->have_syscalls = have_sys;
	if (s->tx == 0) {
		snprintf(err, errlen,
			 "linerated: the generator sent nothing "
			 "(no 'final gen' line?)");
		return -EIO;
	}
	return 0;
}

void cp_cmp_exec_init(struct cp_cmp_exec *x)
{
	memset(x, 0, sizeof(*x));
	snprintf(x->linerated, sizeof(x->linerated), "linerated");
	snprintf(x->dut_ports, sizeof(x->dut_ports), "dut0,dut1");
	snprintf(x->dut_workers, sizeof(x->dut_workers), "1");
	snprintf(x->cfg_path, sizeof(x->cfg_path), "/tmp/lr-cf-%d.yaml",
		 (int)getpid());
	snprintf(x->err_path, sizeof(x->err_path), "/tmp/lr-cf-%d.err",
		 (int)getpid());
	{
		struct cp_cmp_machine m;

		cp_cmp_machine_probe(&m);
		x->tsc_hz = m.mhz * 1e6; /* constant TSC: the nominal clock */
	}
}

void cp_cmp_exec_driver(struct cp_cmp_exec *x, struct cp_cmp_driver *d)
{
	d->ctx = x;
	d->set_mode = exec_set_mode;
	d->trial = exec_trial;
}

void cp_cmp_exec_fini(struct cp_cmp_exec *x)
{
	free(x->tmpl);
	x->tmpl = NULL;
	unlink(x->cfg_path);
	unlink(x->err_path);
}
