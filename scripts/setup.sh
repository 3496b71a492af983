#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# setup.sh — prepare a Debian 12 machine for linerate, idempotently, and say
# what changed. Run as root.
#
#   scripts/setup.sh [--no-build] [--hugepages N] [--build-dir DIR] [-- MESON_ARGS]
#
# 1. installs the Debian packages linerate builds and tests with (only the
#    missing ones),
# 2. reserves N 2 MiB hugepages (default 512 = 1 GiB, env LR_HUGEPAGES) and
#    mounts hugetlbfs at /dev/hugepages,
# 3. mounts bpffs at /sys/fs/bpf,
# 4. configures and builds into DIR (default build/, release).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
hugepages=${LR_HUGEPAGES:-512}
build=1
builddir="$here/build"
meson_args=()

while [ $# -gt 0 ]; do
	case "$1" in
	--no-build) build=0 ;;
	--hugepages) hugepages=$2; shift ;;
	--build-dir) builddir=$2; shift ;;
	--) shift; meson_args=("$@"); break ;;
	-h|--help) sed -n '3,16p' "$0"; exit 0 ;;
	*) echo "setup.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
	esac
	shift
done

say() { echo "setup: $*"; }

if [ "$(id -u)" != 0 ]; then
	echo "setup.sh: must run as root (installs packages, reserves hugepages, mounts bpffs)" >&2
	exit 1
fi

# Everything linerate needs, by Debian package name.
packages=(
	bpftool build-essential clang curl dpdk dpdk-dev gnuplot-nox iproute2
	jq libbpf-dev libclang-rt-14-dev libcmocka-dev libdpdk-dev libelf-dev
	libhttp-parser-dev libjansson-dev libpcap-dev libsystemd-dev
	liburing-dev libxdp-dev libyaml-dev llvm meson ninja-build pkg-config
	procps python3 python3-scapy tcpdump valgrind xdp-tools zlib1g-dev
)
missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	say "installing: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	apt-get install -y -q --no-install-recommends "${missing[@]}"
else
	say "packages: all ${#packages[@]} present"
fi

# Hugepages: DPDK runs without them (--no-huge, ~3x slower here) but the
# demo and benchmarks want them.
cur=$(cat /proc/sys/vm/nr_hugepages)
if [ "$cur" -lt "$hugepages" ]; then
	echo "$hugepages" > /proc/sys/vm/nr_hugepages
	say "hugepages: $cur -> $(cat /proc/sys/vm/nr_hugepages) (asked for $hugepages)"
else
	say "hugepages: $cur reserved (>= $hugepages)"
fi
if ! mountpoint -q /dev/hugepages; then
	mkdir -p /dev/hugepages
	mount -t hugetlbfs -o pagesize=2M nodev /dev/hugepages
	say "mounted hugetlbfs at /dev/hugepages"
fi
if ! mountpoint -q /sys/fs/bpf; then
	mount -t bpf bpf /sys/fs/bpf
	say "mounted bpffs at /sys/fs/bpf"
fi

if [ "$build" = 1 ]; then
	if [ ! -f "$builddir/build.ninja" ]; then
		say "configuring $builddir ${meson_args[*]:-}"
		meson setup "$builddir" "$here" "${meson_args[@]}"
	fi
	say "building $builddir"
	ninja -C "$builddir"
fi
