#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# net-server.sh - hk-net-server carries a network path between two
# network namespaces that this test makes: ping (IPv4 and IPv6), TCP and
# UDP in both directions, jumbo frames, offloads on and off, counters, a
# port that disappears, bad arguments that create nothing, SIGTERM that
# removes the TAPs it made and keeps the one it attached to.  Namespaces,
# servers and devices are removed on exit, passed or not.

. "${HK_SRCDIR:-.}/tests/lib.sh"
. "${HK_SRCDIR:-.}/tests/netlib.sh"

require_cmd ip ping iperf3 jq

A="hk-$$-a"
B="hk-$$-b"
C="hk-$$-c"

netns_make "$A" "$B" "$C"

# --- a path between A and B through the server
if start --port "$A/tap0" --port "$B/tap0" --stats-socket "$T/net.sock"; then
	ok 0 "starts with a created TAP in each namespace"
else
	ok 1 "starts with a created TAP in each namespace"
	done_testing
	exit
fi
address "$A" 10.77.0.1/24 fd77::1/64
address "$B" 10.77.0.2/24 fd77::2/64
check "ping A -> B" in_ns "$A" ping -c 3 -i 0.2 -W 2 10.77.0.2
check "ping B -> A" in_ns "$B" ping -c 3 -i 0.2 -W 2 10.77.0.1
check "ping IPv6 A -> B" in_ns "$A" ping -6 -c 3 -i 0.2 -W 2 fd77::2

in_ns "$B" iperf3 -s -D -1 -B 10.77.0.2 -I "$T/iperf.pid"
sleep 0.3
in_ns "$A" iperf3 -c 10.77.0.2 -t 1 -J >"$T/tcp-ab.json"
check "TCP A -> B carries data" \
	jq -e '.end.sum_received.bytes > 1000000' "$T/tcp-ab.json"
in_ns "$B" iperf3 -s -D -1 -B 10.77.0.2 -I "$T/iperf.pid"
sleep 0.3
in_ns "$A" iperf3 -c 10.77.0.2 -t 1 -R -J >"$T/tcp-ba.json"
check "TCP B -> A carries data" \
	jq -e '.end.sum_received.bytes > 1000000' "$T/tcp-ba.json"
diag "TCP through hk-net-server: $(jq -r '.end.sum_received.bits_per_second / 1e9 | floor' "$T/tcp-ab.json") Gbit/s A->B"
in_ns "$B" iperf3 -s -D -1 -B 10.77.0.2 -I "$T/iperf.pid"
sleep 0.3
in_ns "$A" iperf3 -c 10.77.0.2 -u -b 20M -t 1 -J >"$T/udp-ab.json"
check "UDP A -> B arrives (under 5% lost)" \
	jq -e '.end.sum.packets > 100 and .end.sum.lost_percent < 5' "$T/udp-ab.json"
in_ns "$B" iperf3 -s -D -1 -B 10.77.0.2 -I "$T/iperf.pid"
sleep 0.3
in_ns "$A" iperf3 -c 10.77.0.2 -u -b 20M -t 1 -R -J >"$T/udp-ba.json"
check "UDP B -> A arrives (under 5% lost)" \
	jq -e '.end.sum.packets > 100 and .end.sum.lost_percent < 5' "$T/udp-ba.json"

kill -USR1 "$pid"
sleep 1.2
check "stats: frames counted both ways, none dropped, MACs learnt, frame times" \
	jq -e '(.ports | length) == 2 and all(.ports[]; .rx_frames > 1000 and .tx_frames > 1000 and
		([.rx_drops[]] | add) == 0 and .created) and .mac_entries >= 2 and .frame_ns.count > 2000' \
	"$T/stats.json"
check "SIGUSR1 logs the counters" grep -q '^hk-net-server: stats: {' "$T/log"
# twice: the first accept(2) may have begun before the seccomp list
stats_socket_read "$T/net.sock" 2 >"$T/sock.json"
check "--stats-socket: two clients in turn are sent the counters (the sandbox lets it)" \
	jq -e '(.ports | length) == 2 and all(.ports[]; .rx_frames > 1000)' "$T/sock.json"
check "SIGTERM: the server exits" stop
check "--stats-socket: the socket is gone with the server" test ! -e "$T/net.sock"
check "SIGTERM: the TAPs it created are gone" \
	sh -c "! ip -n $A link show tap0 2>/dev/null && ! ip -n $B link show tap0 2>/dev/null"

# --- jumbo frames, and offloads off (every frame at most the MTU)
if start --port "$A/tap0" --port "$B/tap0" --mtu 9000 --no-offload; then
	address "$A" 10.77.0.1/24 fd77::1/64
	address "$B" 10.77.0.2/24 fd77::2/64
	check "MTU 9000: an unfragmented 8972-byte ping" \
		in_ns "$A" ping -c 2 -i 0.2 -W 2 -M do -s 8972 10.77.0.2
	in_ns "$B" iperf3 -s -D -1 -B 10.77.0.2 -I "$T/iperf.pid"
	sleep 0.3
	in_ns "$A" iperf3 -c 10.77.0.2 -t 1 -J >"$T/tcp-nooff.json"
	check "offloads off: TCP carries data" \
		jq -e '.end.sum_received.bytes > 1000000' "$T/tcp-nooff.json"
	sleep 1.2
	check "offloads off: no frame above the MTU crossed (bytes/frame <= 9014)" \
		jq -e 'all(.ports[]; .rx_frames > 0 and .rx_bytes / .rx_frames <= 9014 and .offload == false)' \
		"$T/stats.json"
	stop
else
	ok 1 "starts with --mtu 9000 --no-offload"
fi
if start --port "$A/tap0" --port "$B/tap0" --mtu 65520; then
	address "$A" 10.77.0.1/24 fd77::1/64
	address "$B" 10.77.0.2/24 fd77::2/64
	check "MTU 65520: an unfragmented 65000-byte ping" \
		in_ns "$A" ping -c 2 -i 0.2 -W 2 -M do -s 65000 10.77.0.2
	stop
else
	ok 1 "starts with --mtu 65520"
fi

# --- three ports; one disappears, the other two keep talking.  One of
# them existed before (ip tuntap): attached, and left in place at exit.
ip -n "$C" tuntap add dev tap0 mode tap
if start --port "$A/tap0" --port "$B/tap0" --port "$C/tap0"; then
	address "$A" 10.77.0.1/24 fd77::1/64
	address "$B" 10.77.0.2/24 fd77::2/64
	address "$C" 10.77.0.3/24 fd77::3/64
	check "three ports: A reaches C (an attached TAP)" \
		in_ns "$A" ping -c 2 -i 0.2 -W 2 10.77.0.3
	ip -n "$B" link del tap0
	sleep 0.2
	check "B's TAP deleted: A still reaches C" \
		in_ns "$A" ping -c 2 -i 0.2 -W 2 10.77.0.3
	sleep 1.2
	check "the lost port is counted and logged" \
		sh -c "jq -e '.ports[1].gone and (.ports[0].gone | not)' '$T/stats.json' >/dev/null &&
		       grep -q 'port $B/tap0 is gone' '$T/log'"
	check "SIGTERM with a lost port: exits" stop
	check "the attached TAP stays, the created ones go" \
		sh -c "ip -n $C link show tap0 >/dev/null && ! ip -n $A link show tap0 2>/dev/null"
else
	ok 1 "starts with three ports"
fi

# --- bad arguments: a clear message, exit 2, nothing created
ip -n "$A" link add veth0 type veth peer name veth1
state_now() {
	netns_links
}
refused "refused: one port" "two or more" "$NET" --port "$A/tap5"
refused "refused: a namespace that does not exist" "nosuch-$$" \
	"$NET" --port "$A/tap5" --port "nosuch-$$/tap0"
refused "refused: a device that is not a TAP" "not a TAP" "$NET" --port "$A/tap5" --port "$A/veth0"
refused "refused: the same port twice" "twice" "$NET" --port "$A/tap5" --port "$A/tap5"
refused "refused: an MTU too large" "65520" "$NET" --port "$A/tap5" --port "$B/tap5" --mtu 70000
refused "refused: a name too long" "IFNAME" "$NET" --port "$A/tap5" --port "$B/abcdefghijklmnopq"
refused "refused: an unknown option" "usage" "$NET" --port "$A/tap5" --port "$B/tap5" --warp

# --- daemon: returns once the ports are open, serves, ends on SIGTERM
"$NET" --daemon --port "$A/tap6" --port "$B/tap6" 2>"$T/dlog"
st=$?
dpid=$(pgrep -f "hk-net-server --daemon --port $A/tap6" | head -1)
[ -n "$dpid" ] && track "$dpid"
ok $(( st == 0 && ${dpid:-0} > 0 ? 0 : 1 )) "daemon: returns 0 with the server running"
check "daemon: the ports exist when it returns" ip -n "$A" link show tap6
pid=${dpid:-0}
check "daemon: SIGTERM ends it" stop

done_testing
