// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static enum cp_log_level log_level = CP_LOG_INFO;
static const char *log_ident = "linerated";

static const char *level_name(enum cp_log_level l)
{
	switch (l) {
	case CP_LOG_ERR:
		return "error";
	case CP_LOG_WARN:
		return "warn";
	case CP_LOG_INFO:
		return "info";
	default:
		return "debug";
	}
}

void cp_log_set_level(enum cp_log_level l)
{
	log_level = l;
}

enum cp_log_level cp_log_get_level(void)
{
	return log_level;
}

void cp_log_set_ident(const char *ident)
{
	log_ident = ident;
}

int cp_log_level_parse(const char *s)
{
	static const struct {
		const char *name;
		enum cp_log_level l;
	} names[] = {
		{"err", CP_LOG_ERR},   {"error", CP_LOG_ERR},
		{"warn", CP_LOG_WARN}, {"warning", CP_LOG_WARN},
		{"info", CP_LOG_INFO}, {"debug", CP_LOG_DEBUG},
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s, names[i].name))
			return names[i].l;
	return -EINVAL;
}

void cp_log(enum cp_log_level l, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	if (l > log_level)
		return;
	if (getenv("JOURNAL_STREAM"))
		n = snprintf(line, sizeof(line), "<%d>", (int)l);
	else
		n = snprintf(line, sizeof(line), "%s: %s: ", log_ident,
			     level_name(l));
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	va_end(ap);
	/* One write per line so lines of concurrent writers do not mix. */
	fprintf(stderr, "%s\n", line);
}
