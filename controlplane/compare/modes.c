// SPDX-License-Identifier: MIT
/* Mode specs ("dpdk:net_ring0", "afxdp:skb:copy", "kernel:epoll-et",
 * "kernel:all", "all") to struct cp_cmp_mode. The kernel model names are the
 * ones dataplane/port.h lists for dp_port_conf.io_model. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "compare.h"

const char *const cp_cmp_kernel_models[] = {
	"blocking",	"busypoll",	   "select",	 "poll",
	"epoll-lt",	"epoll-et",	   "mmsg",	 "uring",
	"uring-sqpoll", "uring-multishot", "tpacket-v3", NULL,
};

static int add(struct cp_cmp_mode *modes, unsigned int *n, unsigned int max,
	       const struct cp_cmp_mode *m, char *err, size_t errlen)
{
	for (unsigned int i = 0; i < *n; i++)
		if (!strcmp(modes[i].name, m->name))
			return 0;
	if (*n >= max) {
		snprintf(err, errlen, "modes: more than %u modes", max);
		return -E2BIG;
	}
	modes[(*n)++] = *m;
	return 0;
}

static int parse_afxdp(struct cp_cmp_mode *m, char *rest, char *err,
		       size_t errlen)
{
	char *save = NULL;

	for (char *w = strtok_r(rest, ":", &save); w;
	     w = strtok_r(NULL, ":", &save)) {
		if (!strcmp(w, "native") || !strcmp(w, "drv"))
			m->xdp_skb = false;
		else if (!strcmp(w, "skb") || !strcmp(w, "generic"))
			m->xdp_skb = true;
		else if (!strcmp(w, "copy"))
			m->zerocopy = false;
		else if (!strcmp(w, "zc") || !strcmp(w, "zerocopy"))
			m->zerocopy = true;
		else {
			snprintf(
				err, errlen,
				"modes: afxdp option '%s' is not native, skb, copy or zc",
				w);
			return -EINVAL;
		}
	}
	snprintf(m->name, sizeof(m->name), "afxdp:%s:%s",
		 m->xdp_skb ? "skb" : "native", m->zerocopy ? "zc" : "copy");
	return 0;
}

static int parse_one(const char *spec, struct cp_cmp_mode *modes,
		     unsigned int *n, unsigned int max, char *err,
		     size_t errlen)
{
	struct cp_cmp_mode m = {0};
	char buf[256];
	char *rest;
	int rc;

	if (strlen(spec) >= sizeof(buf)) {
		snprintf(err, errlen, "modes: '%.32s...' is too long", spec);
		return -EINVAL;
	}
	strcpy(buf, spec);
	rest = strchr(buf, ':');
	if (rest)
		*rest++ = '\0';
	if (!strcmp(buf, "all") && !rest) {
		static const char *const all[] = {"dpdk", "afxdp:native:copy",
						  "afxdp:skb:copy",
						  "kernel:all"};

		for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
			rc = parse_one(all[i], modes, n, max, err, errlen);
			if (rc)
				return rc;
		}
		return 0;
	}
	if (!strcmp(buf, "dpdk")) {
		strcpy(m.backend, "dpdk");
		if (rest && *rest) {
			if (strlen(rest) >= sizeof(m.dev)) {
				snprintf(err, errlen,
					 "modes: dpdk devargs too long");
				return -EINVAL;
			}
			strcpy(m.dev, rest);
		}
		snprintf(m.name, sizeof(m.name), "dpdk%s%.*s",
			 m.dev[0] ? ":" : "", (int)(sizeof(m.name) - 6), m.dev);
		return add(modes, n, max, &m, err, errlen);
	}
	if (!strcmp(buf, "afxdp")) {
		strcpy(m.backend, "afxdp");
		rc = parse_afxdp(&m, rest ? rest : (char[]){""}, err, errlen);
		if (rc)
			return rc;
		return add(modes, n, max, &m, err, errlen);
	}
	if (!strcmp(buf, "kernel")) {
		strcpy(m.backend, "kernel");
		if (!rest || !*rest) {
			snprintf(
				err, errlen,
				"modes: 'kernel' needs a model (kernel:MODEL or kernel:all)");
			return -EINVAL;
		}
		if (!strcmp(rest, "all")) {
			for (int i = 0; cp_cmp_kernel_models[i]; i++) {
				snprintf(m.io_model, sizeof(m.io_model), "%s",
					 cp_cmp_kernel_models[i]);
				snprintf(m.name, sizeof(m.name), "kernel:%s",
					 m.io_model);
				rc = add(modes, n, max, &m, err, errlen);
				if (rc)
					return rc;
			}
			return 0;
		}
		for (int i = 0; cp_cmp_kernel_models[i]; i++) {
			if (strcmp(rest, cp_cmp_kernel_models[i]))
				continue;
			snprintf(m.io_model, sizeof(m.io_model), "%s", rest);
			snprintf(m.name, sizeof(m.name), "kernel:%s", rest);
			return add(modes, n, max, &m, err, errlen);
		}
		snprintf(err, errlen, "modes: unknown kernel model '%s'", rest);
		return -EINVAL;
	}
	snprintf(err, errlen,
		 "modes: '%s' is not dpdk, afxdp, kernel:MODEL or all", spec);
	return -EINVAL;
}

int cp_cmp_modes_parse(const char *list, struct cp_cmp_mode *modes,
		       unsigned int *n, unsigned int max, char *err,
		       size_t errlen)
{
	struct cp_cmp_mode tmp[CP_CMP_MODES_MAX];
	unsigned int k = *n;
	char buf[1024];
	char *save = NULL;
	int rc;

	if (max > CP_CMP_MODES_MAX)
		max = CP_CMP_MODES_MAX;
	if (strlen(list) >= sizeof(buf)) {
		snprintf(err, errlen, "modes: list too long");
		return -EINVAL;
	}
	strcpy(buf, list);
	memcpy(tmp, modes, sizeof(tmp[0]) * k);
	for (char *w = strtok_r(buf, ", ", &save); w;
	     w = strtok_r(NULL, ", ", &save)) {
		rc = parse_one(w, tmp, &k, max, err, errlen);
		if (rc)
			return rc; /* nothing half-applied */
	}
	if (k == *n) {
		snprintf(err, errlen, "modes: empty list");
		return -EINVAL;
	}
	memcpy(modes, tmp, sizeof(tmp[0]) * k);
	*n = k;
	return 0;
}
