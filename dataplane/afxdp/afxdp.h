/* SPDX-License-Identifier: MIT */
/*
 * What the AF_XDP backend offers beyond port.h, for tests and tools that
 * drive it without the dataplane.
 */
#ifndef DP_AFXDP_H
#define DP_AFXDP_H

#include <stdbool.h>
#include <stdint.h>

/* Frames that were not back in their pool when the pool was torn down (the
 * last afxdp port using it closed), summed over the process's life. Zero
 * after a clean run; close logs every shortfall with its cause. */
uint64_t dp_afxdp_lost_frames(void);

/* A run-time switch (dp_ports_reopen) holds back, while on, the MTU
 * put-back of the afxdp ports it closes: one reopened on its interface
 * with an mtu keeps the interface as it is; on false, every MTU no open
 * took over is put back (the interface left afxdp, or has no mtu now). */
void dp_afxdp_hold_mtu(bool on);

#endif
