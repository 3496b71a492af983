// SPDX-License-Identifier: MIT
/* Description: parse unit tests (being filled in). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "csum.h"
#include "parse.h"

static void test_links(void **state)
{
	struct dp_parsed r;
	uint8_t f[14] = { 0 };

	dp_parse(f, sizeof(f), &r);
	assert_int_equal(r.reason, LR_R_NONE);
	assert_int_equal(r.layer, DP_L2);
	assert_int_equal(dp_csum_fold(0), 0xffff);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_links),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
