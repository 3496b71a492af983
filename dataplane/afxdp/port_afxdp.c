// SPDX-License-Identifier: MIT
/*
 * AF_XDP port backend (work in progress: open fails until the backend
 * lands; the symbol exists so the dataplane links).
 */
#include <errno.h>
#include <stdio.h>

#include "lr_xdp.skel.h"
#include "port.h"

int dp_afxdp_open(struct dp_port *p, const struct dp_port_conf *c, char *err,
		  size_t errlen)
{
	snprintf(err, errlen, "port %s: AF_XDP backend not ready yet",
		 c->name);
	return -ENOTSUP;
}
