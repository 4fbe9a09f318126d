# SPDX-License-Identifier: GPL-2.0-or-later
#
# lib.sh - TAP for the shell integration tests.  Sourced, not run.
#
#   ok COND_STATUS "description"     one result from a status (0 = pass)
#   check "description" CMD...       run CMD, pass when it exits 0
#                                    (both return as the test went:
#                                    "check ... || diag ..." explains)
#   diag MSG...                      TAP comments, a line of each MSG each
#   diag_lines                       stdin as TAP comments, indented
#   skip_all "reason"                the whole script is skipped
#   skip "description" "reason"      one result skipped
#   done_testing                     prints the plan; exit 1 if anything failed
#   track PID                        a process for kill_tracked to kill
#   kill_tracked                     SIGKILL every tracked process (cleanups)
#   wait_gone PID [TENTHS]           PID ended within TENTHS of a second (50)
#   ms_until CMD...                  milliseconds until CMD succeeds (it is
#                                    tried every 10 ms, for 3 s at most)
#   cache_rounds CMD...              CMD up to three times ($_round: 1, 2, 3),
#                                    until it succeeds: for a check that the
#                                    kernel kept something in its page cache
#   refused "description" WANT CMD...
#                                    CMD exits 2 saying WANT, and what the
#                                    caller's state_now prints is the same
#                                    after as before (bad input changes nothing)
#
# Every script makes its own scratch directory ($T) and removes it on exit.

tap_n=0
tap_failed=0

# ok STATUS DESC: one test, passed when STATUS is 0.  It returns as the
# test went, so that "ok ... || diag ..." explains a failure.
ok() {
	tap_n=$((tap_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $tap_n - $2"
		return 0
	fi
	echo "not ok $tap_n - $2"
	tap_failed=$((tap_failed + 1))
	return 1
}

# check DESC CMD...: one test, passed when CMD succeeds; it returns as
# ok() does.  What CMD prints (jq -e's "true") goes to stderr, beside the
# TAP stream, not into it.
check() {
	desc=$1
	shift
	if "$@" >&2; then ok 0 "$desc"; else ok 1 "$desc"; fi
}

skip() {
	tap_n=$((tap_n + 1))
	echo "ok $tap_n - $1 # SKIP $2"
}

skip_all() {
	echo "1..0 # SKIP $*"
	exit 0
}

done_testing() {
	echo "1..$tap_n"
	[ "$tap_failed" -eq 0 ]
}

# diag MSG...: each MSG as a TAP comment, beside the results; a MSG of
# several lines ("$(cat log)") gives a comment of each, so that none of
# them is read as a result
diag() {
	for _diag in "$@"; do
		case $_diag in
		*"
"*) printf '%s\n' "$_diag" | sed 's/^/# /' ;;
		*) printf '# %s\n' "$_diag" ;;
		esac
	done
}

# diag_lines: what comes on stdin (a log, a diff), each line a TAP
# comment indented under the diag before it
diag_lines() {
	sed 's/^/#   /'
}

track() {
	echo "$1" >>"$T/pids"
}

kill_tracked() {
	for _p in $(cat "$T/pids" 2>/dev/null); do
		kill -9 "$_p" 2>/dev/null
	done
}

# A zombie has ended: a daemon's parent is init, which may reap it late.
wait_gone() {
	_i=0
	while [ -e "/proc/$1" ] && [ "$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null)" != Z ]; do
		_i=$((_i + 1))
		[ $_i -gt "${2:-50}" ] && return 1
		sleep 0.1
	done
}

ms_until() {
	_t0=$(date +%s%N)
	until "$@"; do
		[ $(( ($(date +%s%N) - _t0) / 1000000 )) -gt 3000 ] && break
		sleep 0.01
	done
	echo $(( ($(date +%s%N) - _t0) / 1000000 ))
}

# The kernel may reclaim page cache at any time: this kind of machine
# runs DAMON's pageout, which takes pages idle for under a minute (a file
# read once was gone within 75 s, with 23 GB free), and in CI under the
# full test load a check once met data or a listing dropped in between.
# So one miss proves nothing; with nothing kept, every round misses.
cache_rounds() {
	for _round in 1 2 3; do
		"$@" && return 0
	done
	return 1
}

refused() {
	_desc=$1
	_want=$2
	shift 2
	state_now >"$T/refused.0"
	"$@" >"$T/refused.out" 2>&1
	_rc=$?
	state_now >"$T/refused.1"
	if [ $_rc -eq 2 ] && grep -q -- "$_want" "$T/refused.out" &&
		cmp -s "$T/refused.0" "$T/refused.1"; then
		ok 0 "$_desc"
		return
	fi
	ok 1 "$_desc"
	diag "exit $_rc, want 2 and '$_want':" "$(cat "$T/refused.out")"
	diff "$T/refused.0" "$T/refused.1" | diag_lines
}

# The JSON document a server's --stats-socket at $1 sends, asked for $2
# times in turn (default once); the last one is printed.  It connects
# from the socket's directory: TMPDIR may make $T longer than a socket
# address can hold.
stats_socket_read() {
	python3 -c "import os, socket, sys
d, n = os.path.split(sys.argv[1])
os.chdir(d or '.')
for _ in range(int(sys.argv[2])):
	c = socket.socket(socket.AF_UNIX)
	c.settimeout(5)
	c.connect(n)
	d = b''
	while True:
		b = c.recv(65536)
		if not b:
			break
		d += b
sys.stdout.write(d.decode())" "$1" "${2:-1}"
}

require_cmd() {
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 ||
			skip_all "needs '$c' (./quickstart installs it)"
	done
}

: "${HK_BUILDDIR:?HK_BUILDDIR must name the build directory (make check sets it)}"
T=$(mktemp -d "${TMPDIR:-/tmp}/hk-test.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
