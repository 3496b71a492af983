// SPDX-License-Identifier: MIT
/* The views of the verb table that both the daemon and the CLI need. */
#include <string.h>

#include "cmd_table.h"

const struct cp_cmd_info cp_cmd_info[CP_CMD__COUNT] = {
#define CP_CMD_INFO(e, fn, v, a, h)                                            \
	[CP_CMD_##e] = {.verb = v, .args = a, .help = h},
	CP_FOREACH_CMD(CP_CMD_INFO)
#undef CP_CMD_INFO
};

int cp_cmd_lookup(const char *verb)
{
	for (int i = 0; i < CP_CMD__COUNT; i++)
		if (!strcmp(cp_cmd_info[i].verb, verb))
			return i;
	return -1;
}

int cp_cmd_args(enum cp_cmd_id id, struct cp_arg_spec *specs, int max)
{
	const char *p = cp_cmd_info[id].args;
	int n = 0;

	while (*p && n < max) {
		struct cp_arg_spec *s = &specs[n];
		size_t len;

		while (*p == ' ')
			p++;
		if (!*p)
			break;
		memset(s, 0, sizeof(*s));
		if (*p == '?') {
			s->optional = 1;
			p++;
		}
		len = strcspn(p, ":");
		if (len >= sizeof(s->name))
			len = sizeof(s->name) - 1;
		memcpy(s->name, p, len);
		p += strcspn(p, ":");
		if (*p == ':')
			p++;
		len = strcspn(p, " ");
		if (len >= sizeof(s->type))
			len = sizeof(s->type) - 1;
		memcpy(s->type, p, len);
		p += strcspn(p, " ");
		n++;
	}
	return n;
}

const char *const *cp_arg_type_values(const char *type)
{
	static const char *const modes[] = {"io", "macswap", "l2", "l3", NULL};
	static const char *const actions[] = {"permit", "deny", NULL};
	static const char *const bools[] = {"true", "false", NULL};
	static const char *const protos[] = {"tcp", "udp", "icmp", "icmp6",
					     NULL};
	static const char *const ipvers[] = {"4", "6", "46", NULL};
	static const char *const backends[] = {"dpdk", "afxdp", "kernel", NULL};
	static const char *const iomodels[] = {
		"blocking", "busypoll",	       "select",     "poll",
		"epoll-lt", "epoll-et",	       "mmsg",	     "uring",
		"uring-sqpoll", "uring-multishot", "tpacket-v3", NULL,
	};

	if (!strcmp(type, "mode"))
		return modes;
	if (!strcmp(type, "action"))
		return actions;
	if (!strcmp(type, "bool"))
		return bools;
	if (!strcmp(type, "proto"))
		return protos;
	if (!strcmp(type, "ipver"))
		return ipvers;
	if (!strcmp(type, "backend"))
		return backends;
	if (!strcmp(type, "iomodel"))
		return iomodels;
	return NULL;
}
