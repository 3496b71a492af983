// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for linerated's YAML config loader (controlplane/
 * config.c, cp_config_parse from a buffer).
 *
 * Invariants: no crash, leak or sanitizer report (on error the loader
 * frees what it built, on success dp_config_free does); an error returns
 * -EINVAL or -ENOMEM with a message that starts with the file's name, and
 * every -EINVAL names its place as NAME:LINE:COL with both from 1; a model that
 * loads has at least one port, its tables refer to existing ports and its
 * workers poll existing ports.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The loader's header (the build's config.h has the same name). */
#include "../../controlplane/config.h"

#define NAME "fuzz.yaml"

#define CHECK(c)                                                               \
	do {                                                                   \
		if (!(c)) {                                                    \
			fprintf(stderr, "invariant failed: %s (line %d)\n",    \
				#c, __LINE__);                                 \
			abort();                                               \
		}                                                              \
	} while (0)

static void check_error(int ret, const char *err)
{
	const char *p = err + strlen(NAME);
	char *end;

	CHECK(ret == -EINVAL || ret == -ENOMEM);
	CHECK(!strncmp(err, NAME ":", strlen(NAME) + 1));
	CHECK(strlen(err) > strlen(NAME) + 2);
	p++;
	CHECK(ret == -ENOMEM || (*p >= '0' && *p <= '9'));
	if (*p >= '0' && *p <= '9') {
		unsigned long line = strtoul(p, &end, 10), col;

		CHECK(line >= 1 && *end == ':');
		col = strtoul(end + 1, &end, 10);
		CHECK(col >= 1 && *end == ':');
	}
}

static void check_model(const struct dp_config *c)
{
	CHECK(c->nb_ports >= 1 && c->nb_ports <= DP_PORT_MAX);
	CHECK(c->nb_workers <= DP_WORKER_MAX);
	CHECK(!c->nb_routes || c->routes);
	CHECK(!c->nb_neighs || c->neighs);
	CHECK(!c->nb_acl || c->acl);
	CHECK(!c->nb_macs || c->macs);
	for (size_t i = 0; i < c->nb_routes; i++)
		CHECK(c->routes[i].port < c->nb_ports);
	for (size_t i = 0; i < c->nb_macs; i++)
		CHECK(c->macs[i].port < c->nb_ports);
	for (unsigned int w = 0; w < c->nb_workers; w++)
		for (unsigned int i = 0; i < c->workers[w].nb_ports; i++)
			CHECK(c->workers[w].ports[i] < c->nb_ports);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dp_config *c = malloc(sizeof(*c));
	char err[512] = "";
	int ret;

	CHECK(c);
	ret = cp_config_parse((const char *)data, size, NAME, c, err,
			      sizeof(err));
	if (ret) {
		check_error(ret, err);
	} else {
		check_model(c);
		dp_config_free(c);
	}
	free(c);
	return 0;
}
