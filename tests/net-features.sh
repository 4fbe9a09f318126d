#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# net-features.sh - what hk-net-server does beyond switching, each with
# real traffic between network namespaces this test makes: pcap filters
# in the server, in the kernel and on output; the server's own address
# (ARP, ICMP echo, NDP, ICMPv6 echo); a port with offloads facing one
# without (TCP super-frames over IPv4 and IPv6 and a UDP super-frame cut
# in software, checksums completed); VLAN-tagged frames; two queues;
# busy-poll; capabilities and seccomp; a pcap capture; and bad arguments
# that create nothing.  Everything made is removed on exit.

. "${HK_SRCDIR:-.}/tests/lib.sh"
. "${HK_SRCDIR:-.}/tests/netlib.sh"

require_cmd ip ping iperf3 jq python3 nstat taskset

PKT="python3 $HK_SRCDIR/tests/netpkt.py"
A="hk-$$-fa"
B="hk-$$-fb"

netns_make "$A" "$B"

addresses() {
	address "$A" 10.77.0.1/24 fd77::1/64 &&
	address "$B" 10.77.0.2/24 fd77::2/64
}

# tcp NS_CLIENT SERVER_IP [IPERF_OPTIONS]: bytes received in one second
tcp() {
	cns=$1 sip=$2
	shift 2
	in_ns "$B" iperf3 -s -D -1 -B "$sip" -I "$T/iperf.pid"
	sleep 0.3
	in_ns "$cns" iperf3 -c "$sip" -t 1 -J "$@" >"$T/iperf.json" 2>&1
	jq -r '.end.sum_received.bytes // 0' "$T/iperf.json"
}

no_ping() {
	! in_ns "$A" ping -c 2 -i 0.2 -W 1 "$1" >/dev/null 2>&1
}

# --- filters in the server: ICMP dropped, TCP flows
if start --port "$A/tap0" --port "$B/tap0" --filter 'not icmp' --filter 'not icmp6'; then
	addresses
	check "filter in the server: ping is dropped" no_ping 10.77.0.2
	check "filter in the server: TCP flows" test "$(tcp "$A" 10.77.0.2)" -gt 1000000
	check "filter in the server: the drops are counted on the input port, in user space; two --filter joined" \
		stats '.ports[0].rx_drops.filter >= 2 and (.ports[0].filter_in_kernel | not) and
		       .ports[0].filter_in == "(not icmp) and (not icmp6)"'
	stop
else
	ok 1 "starts with --filter"
fi

# --- the same filter in the kernel: the frames never reach the server
if start --port "$A/tap0" --port "$B/tap0" --filter 'not icmp' --filter-in-kernel; then
	addresses
	check "filter in the kernel: ping is dropped" no_ping 10.77.0.2
	check "filter in the kernel: TCP flows" test "$(tcp "$A" 10.77.0.2)" -gt 1000000
	check "filter in the kernel: dropped before the server (kernel_dropped), none in user space" \
		stats '.ports[0].filter_in_kernel and .ports[0].kernel_dropped >= 2 and
		       .ports[0].rx_drops.filter == 0'
	stop
else
	ok 1 "starts with --filter-in-kernel"
fi

# --- an output filter on one port, and one per-port input filter
if start --port "$A/tap0" --port "$B/tap0" --filter-out "$B/tap0:not icmp" \
	--filter-in "$A/tap0:not udp port 5001"; then
	addresses
	check "output filter: ping to B is dropped" no_ping 10.77.0.2
	check "output filter: TCP to B flows" test "$(tcp "$A" 10.77.0.2)" -gt 1000000
	check "output filter: counted on B as tx filter drops" \
		stats '.ports[1].tx_drops.filter >= 2 and .ports[1].filter_out == "not icmp"'
	in_ns "$B" $PKT udp-recv 10.77.0.2 5001 2 >"$T/udp" &
	sleep 0.5
	in_ns "$A" $PKT gso-send 10.77.0.2 5001 100 1
	wait $!
	check "per-port input filter: UDP to port 5001 from A does not arrive" grep -q '^0 ' "$T/udp"
	check "per-port input filter: counted on A" stats '.ports[0].rx_drops.filter >= 1'
	stop
else
	ok 1 "starts with --filter-out and --filter-in"
fi

# --- the server's own address on A's port
if start --port "$A/tap0" --port "$B/tap0" --address "$A/tap0:10.77.0.254/24" \
	--address "$A/tap0:fd77::fe/64"; then
	addresses
	check "address: ping of the server's IPv4 address from A" \
		in_ns "$A" ping -c 3 -i 0.2 -W 2 10.77.0.254
	check "address: ARP resolved it to the server's MAC" \
		sh -c "ip -n $A neigh show 10.77.0.254 | grep -q \"\$(jq -r '.ports[0].mac' $T/stats.json)\""
	check "address: ping of the server's IPv6 address from A" \
		in_ns "$A" ping -6 -c 3 -i 0.2 -W 2 fd77::fe
	check "address: not answered on the other port" \
		sh -c "! ip netns exec $B ping -c 2 -i 0.2 -W 1 10.77.0.254 >/dev/null 2>&1"
	check "address: A and B still reach each other" in_ns "$A" ping -c 2 -i 0.2 -W 2 10.77.0.2
	check "address: answers counted (ARP, echo, NDP, echo6)" \
		stats '.ports[0].answers | .arp >= 1 and .echo >= 3 and .ndp >= 1 and .echo6 >= 3'
	stop
else
	ok 1 "starts with --address"
fi

# --- offloads on A, off on B: super-frames from A are cut for B
if start --port "$A/tap0" --port "$B/tap0" --no-offload="$B/tap0"; then
	addresses
	check "mixed offloads: TCP A -> B over IPv4" test "$(tcp "$A" 10.77.0.2)" -gt 1000000
	check "mixed offloads: TCP A -> B over IPv6" test "$(tcp "$A" fd77::2)" -gt 1000000
	check "mixed offloads: TCP B -> A" test "$(tcp "$A" 10.77.0.2 -R)" -gt 1000000
	in_ns "$B" $PKT udp-recv 10.77.0.2 7000 3 >"$T/udp" &
	sleep 0.5
	in_ns "$A" $PKT gso-send 10.77.0.2 7000 1000 8
	wait $!
	check "mixed offloads: a UDP super-frame arrives as 8 datagrams of 1000 bytes, intact" \
		grep -qx '8 1000,1000,1000,1000,1000,1000,1000,1000 intact' "$T/udp"
	check "mixed offloads: no checksum errors in B" \
		sh -c "[ \"\$(ip netns exec $B nstat -az TcpInCsumErrors UdpInCsumErrors | awk 'NR > 1 { s += \$2 } END { print s + 0 }')\" -eq 0 ]"
	check "mixed offloads: B's port cut super-frames and completed checksums" \
		stats '.ports[1].segmented > 10 and .ports[1].segments > .ports[1].segmented and
		       .ports[1].checksummed > 0 and .ports[1].offload == false and
		       (.ports[0].offloads | index("tso4") != null) and .ports[1].tx_drops.gso == 0'
	stop
else
	ok 1 "starts with --no-offload=PORT"
fi

# --- VLAN-tagged frames pass through as they are
if start --port "$A/tap0" --port "$B/tap0" --capture "$B/tap0:$T/b.pcap"; then
	in_ns "$B" $PKT vlan-recv tap0 42 3 >"$T/vlan" &
	rpid=$!
	sleep 0.5
	in_ns "$A" $PKT vlan-send tap0 42 5
	wait $rpid
	check "VLAN: 5 frames tagged 42 reach B with their tag" grep -qx 5 "$T/vlan"
	stop
	check "capture: a pcap file of Ethernet frames with the 5 tagged ones" \
		sh -c "$PKT pcap $T/b.pcap | awk '{ exit !(\$1 >= 5 && \$2 == 1) }'"
else
	ok 1 "starts with --capture"
fi

# --- two queues: flows spread over both workers
if start --port "$A/tap0" --port "$B/tap0" --queues 2; then
	addresses
	check "two queues: 8 TCP streams A -> B" test "$(tcp "$A" 10.77.0.2 -P 8)" -gt 1000000
	check "two queues: both queues of A's port carried frames" \
		stats '.queues == 2 and (.ports[0].queue_rx_frames | length == 2 and all(. > 0))'
	check "two queues: SIGTERM, exit status 0" stop_clean
else
	ok 1 "starts with --queues 2"
fi

# --- --cpus: the workers pinned, each to a CPU of the list in turn
last_cpu=$(awk '/^Cpus_allowed_list/ { n = split($2, a, /[-,]/); print a[n] }' /proc/self/status)
# the worker threads (named "hk-net qN") of $pid allowed exactly CPU $1
pinned_workers() {
	for t in /proc/"$pid"/task/*; do
		case $(cat "$t/comm") in "hk-net q"*) ;; *) continue ;; esac
		grep -qx "Cpus_allowed_list:[[:space:]]*$1" "$t/status" && echo "$t"
	done | wc -l
}
if start --port "$A/tap0" --port "$B/tap0" --queues 2 --cpus "$last_cpu"; then
	addresses
	check "--cpus $last_cpu: the stats give each worker's CPU" stats ".cpus == [$last_cpu, $last_cpu]"
	check "--cpus $last_cpu: both workers may run there only" test "$(pinned_workers "$last_cpu")" -eq 2
	check "--cpus $last_cpu: A pings B" in_ns "$A" ping -c 2 -i 0.2 -W 2 10.77.0.2
	stop
else
	ok 1 "starts with --cpus"
fi
if start --port "$A/tap0" --port "$B/tap0"; then
	check "without --cpus: no CPUs in the stats" stats '.cpus == null'
	stop
else
	ok 1 "starts without --cpus"
fi

# --- busy-poll, and the sandbox
if HK_SANDBOX_PROBE=1 start --port "$A/tap0" --port "$B/tap0" --busy-poll 50 \
	--stats-socket "$T/taken.sock"; then
	# a file put where the socket was is not the server's to remove
	mv "$T/taken.sock" "$T/moved.sock"
	echo keep >"$T/taken.sock"
	addresses
	check "busy-poll: ping A -> B" in_ns "$A" ping -c 3 -i 0.2 -W 2 10.77.0.2
	check "busy-poll: reported" stats '.busy_poll_us == 50'
	check "sandbox: no capability left, no_new_privs, seccomp filter" \
		sh -c "grep -q '^CapEff:[[:space:]]*0000000000000000' /proc/$pid/status &&
		       grep -q '^CapPrm:[[:space:]]*0000000000000000' /proc/$pid/status &&
		       grep -q '^NoNewPrivs:[[:space:]]*1' /proc/$pid/status &&
		       grep -q '^Seccomp:[[:space:]]*2' /proc/$pid/status"
	check "sandbox: a call off the list (socket) is refused with EPERM" \
		grep -q 'sandbox probe: socket(AF_INET) refused: Operation not permitted' "$T/log"
	check "sandbox: still forwarding after the refusal" in_ns "$A" ping -c 1 -W 2 10.77.0.2
	check "sandbox: SIGTERM, exit status 0 inside the seccomp list" stop_clean
	check "--stats-socket: a file that took the socket's place is left at exit" \
		grep -qx keep "$T/taken.sock"
else
	ok 1 "starts with --busy-poll"
fi
# The --stats-socket thread is past its start before the seccomp list
# is installed: on one CPU that a busy loop shares, a thread only just
# made has usually not registered rseq yet (glibc aborts it if seccomp
# refuses that: 16 starts of 20 did before the fix).
cpu=$(sed 's/[-,].*//' /sys/devices/system/cpu/online)
taskset -c "$cpu" sh -c 'while :; do :; done' &
busy=$!
track "$busy"
NET_PREFIX="taskset -c $cpu"
n=0
for round in 1 2 3 4; do
	rm -f "$T/race.sock"
	start --port "$A/tap0" --port "$B/tap0" --stats-socket "$T/race.sock" || break
	stop_clean || { diag "start $round: exit status $?:" "$(cat "$T/log")"; break; }
	n=$round
done
NET_PREFIX=
kill "$busy"
check "sandbox: four starts with --stats-socket on one busy CPU (its thread never meets the seccomp list halfway)" \
	test "$n" -eq 4
if start --port "$A/tap0" --port "$B/tap0" --no-sandbox; then
	check "--no-sandbox: no seccomp filter" grep -q '^Seccomp:[[:space:]]*0' "/proc/$pid/status"
	stop
else
	ok 1 "starts with --no-sandbox"
fi

# --- bad arguments: exit 2, a clear message, nothing created
state_now() {
	netns_links
	ls "$T" | grep pcap
}
refused "a filter that does not compile" "does not compile" \
	"$NET" --port "$A/tap5" --port "$B/tap5" --filter 'tcp port'
refused "an output filter that does not compile" "does not compile" \
	"$NET" --port "$A/tap5" --port "$B/tap5" --filter-out "$B/tap5:ip proto nosuch"
refused "a filter for a port that is not given" "no --port is named" \
	"$NET" --port "$A/tap5" --port "$B/tap5" --filter-in "$A/tap9:icmp"
refused "an address that is not one" "give IPv4/LEN" \
	"$NET" --port "$A/tap5" --port "$B/tap5" --address "$A/tap5:10.0.0.300/24"
refused "two IPv4 addresses on a port" "has an address of that family" \
	"$NET" --port "$A/tap5" --port "$B/tap5" --address "$A/tap5:10.0.0.1/24" \
	--address "$A/tap5:10.0.0.2/24"
refused "--queues 0" "from 1 to" "$NET" --port "$A/tap5" --port "$B/tap5" --queues 0
refused "a --stats-socket that cannot be made (no TAP made)" "stats-socket" \
	"$NET" --port "$A/tap5" --port "$B/tap5" --stats-socket "$T/nosuch/net.sock"
refused "--cpus: a CPU this process may not run on" "is not one this process may run on" \
	"$NET" --port "$A/tap5" --port "$B/tap5" --cpus "$last_cpu,$((last_cpu + 1))"
refused "--cpus: a range from high to low" "numbers and ranges" \
	"$NET" --port "$A/tap5" --port "$B/tap5" --cpus "1-0"
refused "--busy-poll not a number" "microseconds" \
	"$NET" --port "$A/tap5" --port "$B/tap5" --busy-poll soon
refused "a capture file that cannot be made (the TAPs made first go)" "--capture" \
	"$NET" --port "$A/tap5" --port "$B/tap5" --capture "$A/tap5:/nonexistent/x.pcap"

done_testing
