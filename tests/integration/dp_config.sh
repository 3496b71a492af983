#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Description: linerated refuses bad configs with FILE:LINE:COLUMN and the
# field path, exit status 2, before touching anything; a port that cannot
# be opened is named with the reason and nothing starts (exit 1); afxdp
# ports whose queue q would be polled by different workers are refused,
# naming the ports (their UMEM pool q is single-threaded); an io peer a
# worker has no TX queue on is refused, naming it; SIGTERM stops a running
# linerated cleanly (exit 0).
#
#   dp_config.sh LINERATED
set -uo pipefail

lr=$1
[ -x "$lr" ] || { echo "SKIP: $lr not built"; exit 77; }
tmp=$(mktemp -d /tmp/lr-dp-config.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail=0

# expect NAME STATUS PATTERN YAML: run -t on YAML, want STATUS and PATTERN.
expect() {
	local name=$1 want=$2 pat=$3 yaml=$4 out st
	printf '%s' "$yaml" > "$tmp/$name.yaml"
	out=$("$lr" -t -c "$tmp/$name.yaml" 2>&1); st=$?
	if [ "$st" != "$want" ] || ! grep -qE -- "$pat" <<< "$out"; then
		echo "FAIL $name: status $st (want $want), output: $out"
		echo "     wanted /$pat/"
		fail=1
	else
		echo "ok   $name: $out"
	fi
}

ports='ports:
  - {name: a, dev: net_null0}
'
expect range 2 "range.yaml:5:14: ports\[0\]\.generator\.flows: 70000 is not in 1\.\.65536" \
'ports:
  - name: a
    dev: net_null0
    generator:
      flows: 70000
'
expect unknown_key 2 "unknown_key.yaml:3:5: ports\[0\]\.bogus: unknown key 'bogus'" \
'ports:
  - name: a
    bogus: 1
    dev: net_null0
'
expect peer 2 "peer.yaml:2:47: ports\[0\]\.peer: peer 'nope' is not a configured port" \
'ports:
  - {name: a, dev: net_null0, mode: io, peer: nope}
'
expect syntax 2 "syntax.yaml:[0-9]+:[0-9]+: YAML: " \
'ports:
  - {name: a, dev: net_null0
'
expect host_bits 2 "host_bits.yaml:4:14: routes\[0\]\.prefix: '10\.1\.2\.3/16': host bits set beyond /16" \
"${ports}routes:
  - {prefix: 10.1.2.3/16, port: a}
"
expect mode 2 "mode.yaml:2:37: ports\[0\]\.mode: 'l7': mode is io, macswap, l2 or l3" \
'ports:
  - {name: a, dev: net_null0, mode: l7}
'
expect worker_port 2 "worker_port.yaml:4:26: workers\[0\]\.ports\[1\]: port 'b' is not a configured port" \
"${ports}workers:
  - {core: 0, ports: [a, b]}
"
expect no_ports 2 "no_ports.yaml.*no ports" 'workers: []
'
# Queue q of every afxdp port shares UMEM pool q (no lock): queue 0 of
# x by workers[0] and queue 0 of y by workers[1] is refused, naming both.
expect afxdp_pool 2 "afxdp_pool.yaml:6:5: workers\[1\]: afxdp ports 'x' and 'y': queue 0 would be polled by workers\[0\] and workers\[1\]" \
'ports:
  - {name: x, backend: afxdp, dev: lrdf0}
  - {name: y, backend: afxdp, dev: lrdf1}
workers:
  - {core: 0, ports: [x]}
  - {core: 1, ports: [y]}
'
# The same workers for both (thread i does queue i of each): accepted.
expect afxdp_pool_ok 0 "valid: 3 port\(s\), 2 worker" \
'ports:
  - {name: x, backend: afxdp, dev: lrdf0}
  - {name: y, backend: afxdp, dev: lrdf1}
  - {name: d, dev: net_null0}
workers:
  - {core: 0, ports: [x, y]}
  - {core: 1, ports: [d, y, x]}
'
expect valid 0 "valid: 1 port\(s\)" "$ports"

# A port that cannot be opened: named, with the reason; nothing starts.
if [ "$(id -u)" = 0 ]; then
	printf 'ports:\n  - {name: good, dev: net_null0}\n  - {name: broken, dev: "net_bogus0"}\n' > "$tmp/open.yaml"
	out=$("$lr" -q --no-control --no-huge -c "$tmp/open.yaml" -d 1 --file-prefix "lr-dp-config-$$" 2>&1); st=$?
	if [ "$st" != 1 ] || ! grep -q "port broken: probing 'net_bogus0'" <<< "$out" ||
	   ! grep -q "nothing started" <<< "$out"; then
		echo "FAIL open: status $st, output: $out"; fail=1
	else
		echo "ok   open: $(grep 'port broken' <<< "$out")"
	fi
	# An io peer the worker has no TX queue on (a net_pcap port with one
	# TX queue pairs it with its one poller): refused, naming both ports
	# and the worker, instead of counting every packet as port_down.
	here=$(cd "$(dirname "$0")" && pwd)
	cat > "$tmp/txq.yaml" <<YAML
ports:
  - {name: a, dev: net_null0, mode: io, peer: b}
  - {name: b, dev: "net_pcap0,rx_pcap=$here/dp_pcaps/io_in.pcap,tx_pcap=$tmp/b.pcap"}
workers:
  - {core: 0, ports: [a]}
  - {core: $(($(nproc) > 1 ? 1 : 0)), ports: [b]}
YAML
	out=$("$lr" -q --no-control --no-huge -c "$tmp/txq.yaml" -d 1 --file-prefix "lr-dt-config-$$" 2>&1); st=$?
	if [ "$st" != 1 ] ||
	   ! grep -q "ports.a: io peer b is a dpdk port that workers\[0\] (polling a) does not poll" <<< "$out" ||
	   ! grep -q "nothing started" <<< "$out"; then
		echo "FAIL txq: status $st, output: $out"; fail=1
	else
		echo "ok   txq: $(grep 'io peer' <<< "$out")"
	fi
	# SIGTERM: drain, free, exit 0.
	"$lr" -q --no-control --no-huge -c "$tmp/valid.yaml" --file-prefix "lr-dp-config-t-$$" > "$tmp/term.out" 2>&1 &
	pid=$!
	sleep 3
	kill -TERM "$pid"
	wait "$pid"; st=$?
	if [ "$st" != 0 ]; then
		echo "FAIL sigterm: exit status $st"; cat "$tmp/term.out"; fail=1
	else
		echo "ok   sigterm: exit 0"
	fi
else
	echo "skip open/sigterm: not root"
fi
exit $fail
