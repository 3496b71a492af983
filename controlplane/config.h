/* SPDX-License-Identifier: MIT */
/*
 * linerated's YAML config (libyaml) -> the validated model (dataplane's
 * dp_conf.h). The whole file is parsed and checked (types, ranges, names,
 * cross references) before anything is applied; an error names
 * FILE:LINE:COLUMN and the field path, e.g.
 *   lab.yaml:12:15: ports[1].generator.flows: 70000 is not in 1..65536
 *
 * Schema (every key optional unless marked *):
 *
 *   eal:
 *     file_prefix: lr-lab      # default lr-<pid>: unique per process
 *     memory_mb: 256           # default: computed from the mempool
 *     hugepages: auto          # auto | true (require) | false (--no-huge)
 *     in_memory: false
 *     main_core: 0             # CPU of the control thread (-1: leave)
 *     log_level: notice
 *     args: [--vdev=..., ...]  # extra EAL arguments, verbatim
 *   ports:                     # * one or more
 *     - name: p0               # *
 *       backend: dpdk          # dpdk | afxdp | kernel
 *       dev: net_null0         # * devargs (dpdk) or interface name
 *       io_model: epoll-lt     # kernel backend
 *       rx_ring: 1024
 *       tx_ring: 1024
 *       mtu: 1500
 *       mac: 02:00:00:00:00:01
 *       xdp_skb: false         # afxdp
 *       zerocopy: false        # afxdp
 *       force: false           # afxdp
 *       sqpoll_cpu: -1         # kernel, uring-sqpoll
 *       mode: io               # io | macswap | l2 | l3
 *       peer: p1               # io: output port (default: itself)
 *       acl: false             # run the ACL in front of the mode
 *       rx: forward            # forward | sink | drop
 *       generator:             # TX-side traffic generator
 *         ip_version: 4        # 4 | 6 | 46 (both, alternating flows)
 *         frame_size: 64       # 64..1518 (with FCS) | imix
 *         flows: 1             # 1..65536
 *         rate_pps: 0          # 0 or max: as fast as possible
 *         count: 0             # stop after (0: unlimited)
 *         src_mac: ...         # default: the port's MAC
 *         dst_mac: 02:00:00:00:00:02
 *         src_ip: 198.18.0.1
 *         dst_ip: 198.19.0.1   # flow f: dst_ip + f * dst_step
 *         src_ip6: 2001:db8::1
 *         dst_ip6: 2001:db8:1::1
 *         sport: 1024          # flow f: sport + f % 1024
 *         dport: 9
 *         dst_step: 1
 *         autostart: true
 *   workers:                   # default: one worker on the last CPU
 *     - core: 1                #   polling every port
 *       ports: [p0, p1]        # default: every port
 *   l2: {learning: false, flood: true, aging_s: 300, size: 4096}
 *   macs:
 *     - {mac: 02:00:00:00:00:09, port: p1}
 *   routes:
 *     - {prefix: 10.0.0.0/8, port: p1, via: 10.1.0.2}  # no via: connected
 *   neighbours:
 *     - {ip: 10.1.0.2, mac: 02:00:00:00:00:09, port: p1}  # port optional
 *   routes_generate: {count: 1000000, seed: 1, port: p1, via: 10.1.0.2}
 *   acl:
 *     default: permit          # permit | deny
 *     rules:                   # first match wins
 *       - {action: deny, proto: udp, src: 10.0.0.0/8, dst: ::/0,
 *          sport: 0-65535, dport: 53}
 *   stats_interval_ms: 0       # linerated prints per-core stats
 *   duration_ms: 0             # stop after (0: until signalled)
 */
#ifndef CP_CONFIG_H
#define CP_CONFIG_H

#include <stddef.h>

#include "dp_conf.h"

/* Parse and validate a YAML file into *out (dp_config_init'ed here). On
 * error: -EINVAL (or -errno of the file), *out freed, err says
 * FILE:LINE:COL: path: what. */
int cp_config_load(const char *path, struct dp_config *out, char *err,
		   size_t errlen);
/* The same from a string; name stands for the file in messages. */
int cp_config_parse(const char *yaml, size_t len, const char *name,
		    struct dp_config *out, char *err, size_t errlen);

#endif
