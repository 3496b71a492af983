// SPDX-License-Identifier: MIT
/* linerate-compare: `linerate compare` as a program of its own, so that
 * scripts/compare.sh and the tests run it whether or not the CLI has wired
 * the verb yet; `linerate compare ARGS` and `linerate-compare ARGS` are the
 * same thing. */
#include "ctl.h"

int main(int argc, char **argv)
{
	return cp_compare_main(argc, argv);
}
