# SPDX-License-Identifier: GPL-2.0-or-later
#
# fslib.sh - what the hk-fs-server tests share.  Sourced after lib.sh.
#
#   serve MNT ARGS...   start hk-fs-server -f ARGS... MNT in the background,
#                       its log in MNT.log; $pid is the server; returns 1
#                       (with the log as diagnostics) when MNT never mounts
#   mounted MNT         MNT is a FUSE mount now
#   tree DIR            every entry under DIR, with content checksums
#                       (tests/fsops "tree")
#   same DESC A B [WHY] one result: files A and B are equal; if not, WHY
#                       and the first 60 lines of their diff as diagnostics
#   stats_now PID FILE  have server PID write its --stats FILE now
#                       (SIGUSR1) and wait for it, 5 s at most
#   run_args RUN        set $mode (a fast path) and $set_args (options)
#                       for a run: none, cache, passthrough, handles
#                       (passthrough, every file by handle) or uring
#                       (none, over io_uring) or mounter (passthrough;
#                       the caller gives no -o allow_other)
#   uring_on            let FUSE connections take io_uring (the fuse
#                       module's enable_uring) until the script exits;
#                       false, with the reason in $uring_why, where the
#                       kernel cannot.  make -j runs test scripts at
#                       once: they count their users under a lock, and
#                       the last to leave puts back the value the first
#                       found
#   pick_runs RUN...    $runs: the runs of a script, $HK_FS_RUNS where it
#                       is set, else RUN...; uring only where uring_on
#
# Every server started through serve is killed and every mount under $T
# (FUSE, and the tmpfs a test puts inside a tree) detached when the script
# exits, passed or not.
#
# The script runs in a mount namespace of its own, private.  make -j runs
# scripts side by side, and a process another one starts meanwhile with
# a mount namespace of its own (ip netns exec, unshare -m) gets a copy of
# every mount there is, this script's FUSE mounts included.  Where mounts
# are private (a machine without systemd, as ours), an unmount here does
# not reach that copy, and the copy keeps the FUSE connection, and so the
# server, until the process ends: a test that the server exits on unmount
# then failed for as long as an iperf3 ran elsewhere.

[ "$(id -u)" -eq 0 ] || skip_all "needs root (allow_other, several uids)"
[ -c /dev/fuse ] || skip_all "needs /dev/fuse"
if [ -z "${HK_TEST_OWN_MNTNS:-}" ] && unshare --mount --propagation private true 2>/dev/null; then
	# the same script again, from the top, in the new namespace; its
	# scratch directory is made anew there
	rm -rf "$T"
	HK_TEST_OWN_MNTNS=1 exec unshare --mount --propagation private \
		"$(readlink /proc/$$/exe)" "$0" "$@"
fi

FS="$HK_BUILDDIR/hk-fs-server"
OPS="$HK_BUILDDIR/tests/fsops"
chmod 755 "$T"

URING_PARAM=/sys/module/fuse/parameters/enable_uring
URING_STATE=/run/hk-test-enable-uring	# .lock, .users, .was
uring_mine=

# uring_users +1|-1: count this script in or out, under the lock
uring_users() {
	(
		flock 9
		n=$(cat "$URING_STATE.users" 2>/dev/null || echo 0)
		if [ "$1" = +1 ]; then
			[ "$n" -gt 0 ] || cat "$URING_PARAM" >"$URING_STATE.was"
			echo Y >"$URING_PARAM" || exit 1
			echo $((n + 1)) >"$URING_STATE.users"
		else
			n=$((n - 1))
			if [ "$n" -le 0 ]; then
				cat "$URING_STATE.was" >"$URING_PARAM"
				rm -f "$URING_STATE.users" "$URING_STATE.was"
			else
				echo "$n" >"$URING_STATE.users"
			fi
		fi
	) 9>"$URING_STATE.lock"
}

fs_cleanup() {
	grep " $T/" /proc/self/mounts | while read -r _ m _; do
		umount -l "$m"
	done
	kill_tracked
	[ -n "$uring_mine" ] && uring_users -1
	rm -rf "$T"
}

stats_now() {
	rm -f "$2"
	kill -USR1 "$1"
	_i=0
	while [ ! -s "$2" ]; do
		_i=$((_i + 1))
		[ $_i -gt 50 ] && return 1
		sleep 0.1
	done
}

run_args() {
	mode=$1
	set_args=
	case $1 in
	handles) mode=passthrough set_args="--inode-fds 0" ;;
	uring) mode=none set_args="--io-uring" ;;
	mountlocks) mode=passthrough set_args="--locks mount" ;;
	onereader) mode=passthrough set_args="--readers one" ;;
	mounter) mode=passthrough ;;
	esac
}

uring_on() {
	if [ ! -e "$URING_PARAM" ]; then
		uring_why="no $URING_PARAM (Linux < 6.14, or no CONFIG_FUSE_IO_URING)"
		return 1
	fi
	[ -n "$uring_mine" ] && return 0
	if ! uring_users +1 2>/dev/null; then
		uring_why="cannot write $URING_PARAM"
		return 1
	fi
	uring_mine=1
}

pick_runs() {
	runs=
	for _r in ${HK_FS_RUNS:-$*}; do
		if [ "$_r" = uring ] && ! uring_on; then
			diag "no io_uring run: $uring_why"
			continue
		fi
		runs="$runs $_r"
	done
}
trap fs_cleanup EXIT
trap 'exit 1' INT TERM

mounted() {
	grep -q " $1 fuse" /proc/self/mounts
}

tree() {
	echo 'tree .' | "$OPS" "$1"
}

same() {
	if cmp -s "$2" "$3"; then
		ok 0 "$1"
		return
	fi
	ok 1 "$1"
	[ -n "${4:-}" ] && diag "$4"
	diff -u "$2" "$3" | head -60 | diag_lines
}

serve() {
	_m=$1
	shift
	mkdir -p "$_m"
	"$FS" -f "$@" "$_m" 2>"$_m.log" &
	pid=$!
	track "$pid"
	if ! wait_mount "$_m" "$pid"; then
		diag "hk-fs-server $* $_m did not mount:"
		diag_lines <"$_m.log"
		return 1
	fi
}

# wait_mount MOUNTPOINT PID: until a FUSE mount shows there, while PID
# lives, 5 s at most
wait_mount() {
	_i=0
	while ! mounted "$1"; do
		_i=$((_i + 1))
		if [ $_i -gt 50 ] || ! kill -0 "$2" 2>/dev/null; then
			return 1
		fi
		sleep 0.1
	done
}
