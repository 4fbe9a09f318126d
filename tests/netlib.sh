# SPDX-License-Identifier: GPL-2.0-or-later
#
# netlib.sh - what the hk-net-server tests share.  Sourced after lib.sh.
#
#   in_ns NS CMD...            CMD in network namespace NS
#   start ARGS...              hk-net-server ARGS --stats $T/stats.json in
#                              the background, its log in $T/log; $pid;
#                              returns once the first counters are out
#   stop                       SIGTERM, and the server is gone within a second
#   stop_clean                 SIGTERM, and the server exits 0 (under the
#                              sanitizers: no report, LeakSanitizer included)
#   address NS IPV4 IPV6       both addresses on NS's tap0
#   stats JQ                   the last counters satisfy JQ

NET="$HK_BUILDDIR/hk-net-server"

in_ns() {
	ns=$1
	shift
	ip netns exec "$ns" "$@"
}

start() {
	rm -f "$T/stats.json"
	"$NET" "$@" --stats "$T/stats.json" 2>"$T/log" &
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
	while IFS= read -r l; do diag "  $l"; done <"$T/log"
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
