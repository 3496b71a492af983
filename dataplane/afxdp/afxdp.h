/* SPDX-License-Identifier: MIT */
/*
 * What the AF_XDP backend offers beyond port.h, for tests and tools that
 * drive it without the dataplane.
 */
#ifndef DP_AFXDP_H
#define DP_AFXDP_H

#include <stdint.h>

/* Frames that were not back in their pool when the pool was torn down (the
 * last afxdp port using it closed), summed over the process's life. Zero
 * after a clean run; close logs every shortfall with its cause. */
uint64_t dp_afxdp_lost_frames(void);

#endif
