// SPDX-License-Identifier: MIT
/*
 * cp_promcheck: check a Prometheus text exposition read from stdin (the
 * checks of tests/unit/test_cp_promcheck.h). Exit 0 when valid, else 1 with
 * the offending line named.
 */
#include <stdio.h>
#include <stdlib.h>

#include "test_cp_promcheck.h"

int main(void)
{
	size_t cap = 1 << 16, len = 0, n;
	char *buf = malloc(cap), msg[256];

	while (buf && (n = fread(buf + len, 1, cap - len - 1, stdin)) > 0) {
		len += n;
		if (len + 1 == cap)
			buf = realloc(buf, cap *= 2);
	}
	if (!buf || !len) {
		fprintf(stderr, "cp_promcheck: empty input\n");
		return 1;
	}
	buf[len] = 0;
	if (pc_check(buf, msg, sizeof(msg))) {
		fprintf(stderr, "cp_promcheck: %s\n", msg);
		return 1;
	}
	free(buf);
	return 0;
}
