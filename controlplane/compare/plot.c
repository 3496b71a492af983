// SPDX-License-Identifier: MIT
/*
 * Charts through gnuplot (scripts/plot-compare.gp): the runner writes the
 * CSV, gnuplot draws Mpps and cycles/packet per mode and, when the kernel
 * models' descriptor-scaling CSV exists, its curves. gnuplot runs as a child
 * with its stderr in OUTDIR/gnuplot.log; never in a worker, never in the
 * daemon's event loop (the CLI or scripts/compare.sh call this).
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "compare.h"

extern char **environ;

#ifndef CP_CMP_PLOT_SCRIPT
#define CP_CMP_PLOT_SCRIPT "scripts/plot-compare.gp"
#endif

static bool quotable(const char *s)
{
	return !strchr(s, '\'') && !strchr(s, '\n');
}

/* scripts/fdscale.sh writes the descriptor-scaling CSV long: one row per
 * model and descriptor count ("model,sockets,...,cpu_ns_per_pkt,
 * syscalls_per_pkt,..."). gnuplot cannot list the distinct models itself:
 * collect them here ("" for a wide CSV: descriptors, one column a series). */
static void desc_models(const char *path, char *out, size_t len)
{
	char line[512], seen[1024] = " ";
	size_t used = 0;
	FILE *f;

	out[0] = '\0';
	if (!path[0] || !(f = fopen(path, "r")))
		return;
	if (!fgets(line, sizeof(line), f) || strncmp(line, "model,", 6)) {
		fclose(f);
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		char key[72];
		size_t n = strcspn(line, ",\n");

		if (n == 0 || n >= 64 || memchr(line, '\'', n) ||
		    memchr(line, ' ', n))
			continue;
		snprintf(key, sizeof(key), " %.*s ", (int)n, line);
		if (strstr(seen, key))
			continue;
		if (used + n + 2 >= len || strlen(seen) + n + 2 >= sizeof(seen))
			break;
		strcat(seen, key + 1);
		used += (size_t)snprintf(out + used, len - used, "%s%.*s",
					 used ? " " : "", (int)n, line);
	}
	fclose(f);
}

int cp_cmp_plot(const char *script, const char *csv, const char *desc_csv,
		const char *outdir, char *err, size_t errlen)
{
	posix_spawn_file_actions_t fa;
	char expr[8192], log[4096], line[256], models[1024];
	const char *argv[5];
	struct stat stb;
	pid_t pid;
	int rc, status;
	FILE *f;

	if (!script)
		script = getenv("LR_PLOT_SCRIPT");
	if (!script)
		script = CP_CMP_PLOT_SCRIPT;
	if (access(script, R_OK)) {
		rc = -errno;
		snprintf(err, errlen, "plot: script %s: %s", script,
			 strerror(errno));
		return rc;
	}
	if (!desc_csv || stat(desc_csv, &stb) || !S_ISREG(stb.st_mode))
		desc_csv = "";
	if (!quotable(csv) || !quotable(desc_csv) || !quotable(outdir)) {
		snprintf(err, errlen, "plot: paths must not hold a quote");
		return -EINVAL;
	}
	desc_models(desc_csv, models, sizeof(models));
	rc = snprintf(expr, sizeof(expr),
		      "csv='%s'; outdir='%s'; desc='%s'; descmodels='%s'", csv,
		      outdir, desc_csv, models);
	if (rc < 0 || (size_t)rc >= sizeof(expr)) {
		snprintf(err, errlen, "plot: paths too long");
		return -ENAMETOOLONG;
	}
	snprintf(log, sizeof(log), "%s/gnuplot.log", outdir);
	argv[0] = "gnuplot";
	argv[1] = "-e";
	argv[2] = expr;
	argv[3] = script;
	argv[4] = NULL;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, log,
					 O_WRONLY | O_CREAT | O_TRUNC, 0644);
	rc = posix_spawnp(&pid, "gnuplot", &fa, NULL, (char *const *)argv,
			  environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc) {
		snprintf(err, errlen, "plot: cannot run gnuplot: %s",
			 strerror(rc));
		return -rc;
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			snprintf(err, errlen, "plot: waitpid: %s",
				 strerror(errno));
			return -errno;
		}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
		snprintf(err, errlen, "plot: gnuplot not installed");
		return -ENOENT;
	}
	line[0] = '\0';
	f = fopen(log, "r");
	if (f) {
		char buf[256];

		/* the last message is gnuplot's reason */
		while (fgets(buf, sizeof(buf), f))
			if (buf[0] != '\n' && buf[0] != ' ')
				snprintf(line, sizeof(line), "%s", buf);
		fclose(f);
	}
	line[strcspn(line, "\n")] = '\0';
	snprintf(err, errlen, "plot: gnuplot failed (%s): %s", log, line);
	return -EIO;
}

int cp_cmp_write_all(const char *outdir, const struct cp_cmp_conf *c,
		     const struct cp_cmp_result *res, unsigned int n,
		     const char *desc_csv, char *err, size_t errlen)
{
	struct cp_cmp_machine m;
	char path[4096], csv[4096];
	FILE *f;
	int rc;

	if (mkdir(outdir, 0755) && errno != EEXIST) {
		rc = -errno;
		snprintf(err, errlen, "compare: mkdir %s: %s", outdir,
			 strerror(errno));
		return rc;
	}
	cp_cmp_machine_probe(&m);
	snprintf(path, sizeof(path), "%s/results.json", outdir);
	rc = cp_cmp_json_write(path, c, &m, res, n);
	if (rc)
		goto fail;
	snprintf(csv, sizeof(csv), "%s/results.csv", outdir);
	rc = cp_cmp_csv_write(csv, res, n);
	if (rc) {
		snprintf(path, sizeof(path), "%s", csv);
		goto fail;
	}
	snprintf(path, sizeof(path), "%s/table.txt", outdir);
	f = fopen(path, "w");
	if (!f) {
		rc = -errno;
		goto fail;
	}
	fprintf(f, "# %s, %u cores at %.0f MHz, %s%s%s\n", m.cpu, m.cores,
		m.mhz, m.kernel, m.virtualised ? ", virtualised " : "",
		m.hypervisor);
	if (m.load[0] >= 0)
		fprintf(f,
			"# load average %.2f %.2f %.2f (1, 5, 15 min) at the "
			"end of the run\n",
			m.load[0], m.load[1], m.load[2]);
	cp_cmp_table_print(f, res, n);
	if (fclose(f)) {
		rc = -errno;
		goto fail;
	}
	for (unsigned int i = 0; i < n; i++)
		if (res[i].ok)
			return cp_cmp_plot(NULL, csv, desc_csv, outdir, err,
					   errlen);
	return 0; /* nothing measured: no chart to draw */
fail:
	snprintf(err, errlen, "compare: %s: %s", path, strerror(-rc));
	return rc;
}
