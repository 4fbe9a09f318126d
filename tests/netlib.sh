# SPDX-License-Identifier: GPL-2.0-or-later
#
# netlib.sh - what the hk-net-server tests share.  Sourced after lib.sh.
#
#   netns_links                the links of every namespace netns_make made,
#                              one name a line (for lib.sh's state_now)
#   netns_make NS...           make each namespace, lo up (or skip_all);
#                              on exit they are deleted with every tracked
#                              process and every process still in them
#                              (and netns_cleanup_more, if the script
#                              defines it, runs first)
#   in_ns NS CMD...            CMD in network namespace NS
#   start ARGS...              hk-net-server ARGS --stats $T/stats.json in
#                              the background, its log in $T/log; $pid;
#                              returns once the first counters are out
#                              (run through $NET_PREFIX, if set: a
#                              command that execs the rest, as taskset)
#   stop                       SIGTERM, and the server is gone within a second
#   stop_clean                 SIGTERM, and the server exits 0 (under the
#                              sanitizers: no report, LeakSanitizer included)
#   address NS IPV4 IPV6       both addresses on NS's tap0
#   stats JQ                   the last counters satisfy JQ

[ "$(id -u)" -eq 0 ] || skip_all "needs root (network namespaces, TAP devices)"
[ -c /dev/net/tun ] || skip_all "needs /dev/net/tun"

NET="$HK_BUILDDIR/hk-net-server"
NET_PREFIX=

NETNS=

netns_cleanup() {
	command -v netns_cleanup_more >/dev/null 2>&1 && netns_cleanup_more
	kill_tracked
	for ns in $NETNS; do
		# and whatever else still runs in them: an iperf3 -D whose
		# client never came (the server under test failed) would wait on
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	rm -rf "$T"
}

netns_make() {
	NETNS="$NETNS $*"
	trap netns_cleanup EXIT
	trap 'exit 1' INT TERM
	for ns in "$@"; do
		ip netns add "$ns" || skip_all "cannot make network namespaces"
		ip -n "$ns" link set lo up
	done
}

netns_links() {
	for ns in $NETNS; do
		ip -n "$ns" -o link show | awk -v ns="$ns" '{ print ns, $2 }'
	done
}

in_ns() {
	ns=$1
	shift
	ip netns exec "$ns" "$@"
}

start() {
	rm -f "$T/stats.json"
	$NET_PREFIX "$NET" "$@" --stats "$T/stats.json" 2>"$T/log" &
	pid=$!
	track "$pid"
	i=0
	while [ $i -lt 50 ]; do
		[ -s "$T/stats.json" ] && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	diag "hk-net-server $* did not start:"
	diag_lines <"$T/log"
	return 1
}

stop() {
	kill -TERM "$pid"
	wait_gone "$pid" 10
}

stop_clean() {
	kill -TERM "$pid"
	wait "$pid"
}

address() {
	ip -n "$1" addr add "$2" dev tap0 &&
	ip -n "$1" -6 addr add "$3" dev tap0 nodad
}

stats() {
	sleep 1.2
	jq -e "$1" "$T/stats.json" >/dev/null
}
