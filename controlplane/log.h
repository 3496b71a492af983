/* SPDX-License-Identifier: MIT */
/*
 * Control-plane logging: levels, to stderr. Under systemd (JOURNAL_STREAM
 * set) each line starts with the sd-daemon "<N>" priority prefix so journald
 * keeps the level; on a terminal it reads "linerated: warn: ...".
 * Never called from a worker's hot path (STYLE rule 11).
 */
#ifndef CP_LOG_H
#define CP_LOG_H

enum cp_log_level {
	CP_LOG_ERR = 3,
	CP_LOG_WARN = 4,
	CP_LOG_INFO = 6,
	CP_LOG_DEBUG = 7,
};

/* Lines above this level are dropped (default CP_LOG_INFO). */
void cp_log_set_level(enum cp_log_level l);
enum cp_log_level cp_log_get_level(void);
/* "err", "warn", "info", "debug" -> level, or -EINVAL. */
int cp_log_level_parse(const char *s);
void cp_log_set_ident(const char *ident);

void cp_log(enum cp_log_level l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define cp_err(...)  cp_log(CP_LOG_ERR, __VA_ARGS__)
#define cp_warn(...) cp_log(CP_LOG_WARN, __VA_ARGS__)
#define cp_info(...) cp_log(CP_LOG_INFO, __VA_ARGS__)
#define cp_dbg(...)  cp_log(CP_LOG_DEBUG, __VA_ARGS__)

#endif
