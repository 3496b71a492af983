// SPDX-License-Identifier: MIT
/*
 * dp_afxdp_open when the build has no AF_XDP backend (meson feature
 * `afxdp` off: libbpf, libxdp, clang or bpftool missing, see the meson
 * log). Opening an afxdp port then fails with a message saying so.
 */
#include <errno.h>
#include <stdio.h>

#include "port.h"

int dp_afxdp_open(struct dp_port *p, const struct dp_port_conf *c, char *err,
		  size_t errlen)
{
	snprintf(
		err, errlen,
		"port %s: AF_XDP backend not built (meson feature afxdp is off)",
		c->name);
	return -ENOTSUP;
}
