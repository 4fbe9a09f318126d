#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# shim-net.sh - hk-shim moves a veth link between two network namespaces
# that this test makes behind hk-net-server and back: MAC addresses,
# IPv4/IPv6 addresses, MTU, state and routes carried over both ways;
# ping in both directions and a TCP connection that stays open across the
# move and the revert; the longest gap in a 10 ms ping is reported; a
# killed server reverted by the supervisor; hk-shim run in a namespace of
# its own joined to the far end; stale records; bad requests that change
# nothing.  Namespaces, servers and devices are removed on exit.

. "${HK_SRCDIR:-.}/tests/lib.sh"
. "${HK_SRCDIR:-.}/tests/netlib.sh"

require_cmd ip ping iperf3 jq

SHIM="$HK_BUILDDIR/hk-shim"
STATE="$T/state"
export HK_STATE_DIR="$STATE"
A="hk-$$-a"
B="hk-$$-b"

# also servers and shims of ours that outlived a failure, and the
# namespaces hk-shim run made
netns_cleanup_more() {
	for p in $(pgrep -f "^$SHIM .*$A/" 2>/dev/null); do kill -9 "$p"; done
	for p in $(pgrep -f "^$NET .*hk-$$-" 2>/dev/null); do kill -9 "$p"; done
	[ -s "$T/run.ns" ] && NETNS="$NETNS $(cat "$T/run.ns")"
}
netns_make "$A" "$B"
ip -n "$A" link add va type veth peer name vb netns "$B"
ip -n "$A" link set va mtu 9000 address 02:00:00:00:0a:01
ip -n "$B" link set vb mtu 9000 address 02:00:00:00:0b:01
ip -n "$A" addr add 10.77.0.1/24 dev va
ip -n "$B" addr add 10.77.0.2/24 dev vb
ip -n "$A" addr add fd77::1/64 dev va nodad
ip -n "$B" addr add fd77::2/64 dev vb nodad
ip -n "$A" link set va up
ip -n "$B" link set vb up
# a subnet behind B, reached through a route on A's end of the link
ip -n "$B" addr add 10.78.0.1/32 dev lo
ip -n "$B" addr add fd78::1/128 dev lo
ip -n "$A" route add 10.78.0.0/16 via 10.77.0.2 dev va
ip -n "$A" -6 route add fd78::/64 via fd77::2 dev va
ip -n "$B" route add 10.77.9.0/24 via 10.77.0.1 dev vb metric 50

# what a move must carry over, per namespace, without interface indexes
config() {
	{
		ip -n "$1" -j addr show | jq -c '[.[] | select(.ifname != "lo") |
			{ifname, mtu, address, up: (.flags | index("UP") != null),
			 addrs: [.addr_info[] | select(.scope != "link") | {local, prefixlen}]}]'
		ip -n "$1" -j route show | jq -c '[.[] | {dst, gateway, dev, prefsrc, metric}] | sort_by(.dst)'
		ip -n "$1" -j -6 route show | jq -c '[.[] | select(.dst | startswith("fe80") | not) |
			{dst, gateway, dev, metric}] | sort_by(.dst)'
	}
}
# everything, as the kernel shows it: for requests that must change nothing
snapshot() {
	for ns in "$A" "$B"; do
		ip -n "$ns" -j link show | jq -c '.[]'
		ip -n "$ns" -j addr show | jq -c '.[]'
		ip -n "$ns" -j route show | jq -c '.[]'
		ip -n "$ns" -j -6 route show | jq -c '.[]'
	done
}
kind() {
	ip -n "$1" -d -j link show "$2" 2>/dev/null | jq -r '.[0].linkinfo.info_kind // "none"'
}
records() {
	ls "$STATE" 2>/dev/null | grep -c '\.json$'
}
same() {
	if cmp -s "$2" "$3"; then ok 0 "$1"; else
		ok 1 "$1"
		diff "$2" "$3" | diag_lines
	fi
}
reaches() {
	in_ns "$1" ping -c 1 -W 2 "$2" >/dev/null 2>&1
}

# until duplicate address detection is over, the link-local addresses
# change flags by themselves: wait, so that a snapshot means something
settled() {
	i=0
	while [ -n "$(ip -n "$A" -6 addr show tentative)$(ip -n "$B" -6 addr show tentative)" ]; do
		i=$((i + 1))
		[ $i -gt 50 ] && return 1
		sleep 0.1
	done
}
settled || diag "duplicate address detection still running after 5 s"
config "$A" >"$T/a0"
config "$B" >"$T/b0"
check "the test's link works before the move" reaches "$A" 10.78.0.1

# --- bad requests -----------------------------------------------------
ip -n "$A" tuntap add dev tp0 mode tap
state_now() {
	snapshot
	ls "$STATE" 2>/dev/null
}
bad() {
	_d=$1
	_w=$2
	shift 2
	refused "$_d" "$_w" "$SHIM" "$@"
}
bad "net move of a link that does not exist" "no such link" net move "$A/nope"
bad "net move of a device that is not a veth" "is not a veth" net move "$A/tp0"
bad "net move in a namespace that does not exist" "network namespace 'hk-none-$$'" net move "hk-none-$$/va"
bad "net move of a malformed name" "is not a link" net move "$A/"
bad "net revert of a link not moved" "is not moved" net revert "$A/va"
# a veth whose peer lives in a namespace without a name
unshare -n sleep 60 &
anon=$!
track $anon
sleep 0.2
ip -n "$A" link add vx type veth peer name vy
if ip -n "$A" link set vy netns "$anon"; then
	bad "net move of a veth whose peer is in an unnamed namespace" \
		"no name in /run/netns" net move "$A/vx"
else
	skip "net move of a veth whose peer is in an unnamed namespace" "cannot make one"
fi
ip -n "$A" link del vx
kill $anon
if command -v setpriv >/dev/null; then
	refused "net move without privileges" "needs CAP_SYS_ADMIN and CAP_NET_ADMIN" \
		setpriv --reuid 65534 --regid 65534 --clear-groups --inh-caps=-all \
		"$SHIM" net move "$A/va"
fi
ip -n "$A" link del tp0

# --- move under traffic -----------------------------------------------
in_ns "$B" iperf3 -s -1 -D -B 10.78.0.1 -p 5301 --logfile "$T/iperf-s.log"
sleep 0.3
in_ns "$A" iperf3 -c 10.78.0.1 -p 5301 -t 6 -b 20M -J >"$T/iperf.json" 2>&1 &
client=$!
track $client
in_ns "$A" ping -D -i 0.01 -c 500 -W 1 10.78.0.1 >"$T/ping.txt" 2>&1 &
pinger=$!
track $pinger
sleep 1
check "net move exits 0" "$SHIM" -q net move "$A/va"
check "va is now a TAP port" test "$(kind "$A" va)" = tun
check "vb is now a TAP port" test "$(kind "$B" vb)" = tun
config "$A" >"$T/a1"
config "$B" >"$T/b1"
same "A's end keeps its MAC, MTU, state, addresses and routes" "$T/a0" "$T/a1"
same "B's end keeps its MAC, MTU, state, addresses and routes" "$T/b0" "$T/b1"
check "ping A to B through hk-net-server" reaches "$A" 10.78.0.1
check "ping B to A through hk-net-server" reaches "$B" 10.77.0.1
check "ping6 A to B through hk-net-server" reaches "$A" fd78::1
check "ping6 B to A through hk-net-server" reaches "$B" fd77::1
"$SHIM" status --json >"$T/status.json"
check "status --json lists the move, server alive" \
	test "$(jq -r '.[] | select(.kind == "net") | .alive' "$T/status.json")" = true
bad "net move of a moved link (by its peer's name)" "already moved" net move "$B/vb"
sleep 1.5
check "net revert by the peer's name exits 0" "$SHIM" -q net revert "$B/vb"
check "va is a veth again" test "$(kind "$A" va)" = veth
config "$A" >"$T/a2"
config "$B" >"$T/b2"
same "A's end is configured as before the move" "$T/a0" "$T/a2"
same "B's end is configured as before the move" "$T/b0" "$T/b2"
wait $client
rc=$?
check "the TCP connection opened before the move survived move and revert" \
	sh -c "[ $rc -eq 0 ] && jq -e '.end.sum_received.bytes > 0' '$T/iperf.json' >/dev/null"
[ $rc -eq 0 ] || diag "$(jq -r '.error // empty' "$T/iperf.json")"
wait $pinger
gap=$(awk -F'[][]' '/bytes from/ { t = $2; if (p && t - p > g) g = t - p; p = t }
	END { printf "%d", g * 1000 }' "$T/ping.txt")
diag "longest gap between ping replies (10 ms apart) across move and revert: $gap ms"
check "ping kept answering across move and revert" test "$gap" -gt 0 -a "$gap" -lt 3000
check "no record is left" test "$(records)" -eq 0

# --- a killed server ---------------------------------------------------
"$SHIM" -q net move "$A/va"
"$SHIM" status --json >"$T/status.json"
srv=$(jq -r '.[0].server' "$T/status.json")
kill -9 "$srv"
veth_back() {
	[ "$(kind "$A" va)" = veth ]
}
ms=$(ms_until veth_back)
diag "the veth was back ${ms} ms after kill -9 of hk-net-server"
check "kill -9 of the server: the veth is back within a second" test "$ms" -le 1000
sleep 0.2
config "$A" >"$T/a3"
same "... configured as before" "$T/a0" "$T/a3"
check "... and carrying traffic" reaches "$A" 10.78.0.1
check "... the log says the server died of signal 9" grep -q "signal 9" "$STATE"/net:*.log
check "... no record is left" test "$(records)" -eq 0

# --- a supervisor killed: a stale record, cleaned by status ------------
"$SHIM" -q net move "$A/va"
"$SHIM" status --json >"$T/status.json"
srv=$(jq -r '.[0].server' "$T/status.json")
sup=$(jq -r '.[0].supervisor' "$T/status.json")
kill -9 "$sup"
wait_gone "$sup"
"$SHIM" status >"$T/out" 2>&1
check "status finds a move whose supervisor died" grep -q "stale record" "$T/out"
check "... stops its server and puts the veth back" \
	sh -c "test '$(kind "$A" va)' = veth && ! kill -0 $srv 2>/dev/null || grep -q Z /proc/$srv/stat"
config "$A" >"$T/a4"
same "... configured as before" "$T/a0" "$T/a4"

# --- run: one command on the user-space path ----------------------------
snapshot >"$T/s0"
out=$("$SHIM" -q run --net "$A/va" -- sh -c '
	ip netns identify >"$1/run.ns"
	ip -j link show va | jq -r ".[0].mtu"
	ping -c 2 -i 0.2 -W 2 10.78.0.1 >/dev/null && echo v4
	ping -c 1 -W 2 fd78::1 >/dev/null && echo v6
	exit 5' sh "$T" 2>"$T/run.err")
rc=$?
check "run: the command's va has the link's MTU" sh -c "echo '$out' | head -1 | grep -qx 9000"
check "run: the command reaches B's subnet over IPv4" sh -c "echo '$out' | grep -qx v4"
check "run: ... and over IPv6" sh -c "echo '$out' | grep -qx v6"
check "run: its exit status is returned" test $rc -eq 5
snapshot >"$T/s1"
same "run: both namespaces are exactly as before" "$T/s0" "$T/s1"
# its own namespace only: another hk-shim run (hk-migrate's B side, say)
# may have one of its own meanwhile
ns=$(cat "$T/run.ns" 2>/dev/null)
check "run: its namespace is gone" sh -c "echo '$ns' | grep -qx 'hkrun[0-9]*' &&
	! ip netns list | awk '{print \$1}' | grep -qx '$ns'" || diag "its namespace: '$ns'"
[ $rc -eq 5 ] || diag "$(cat "$T/run.err")"

check "nothing of ours is left running" sh -c "! pgrep -f '^$NET .*hk-$$-' >/dev/null"
done_testing
