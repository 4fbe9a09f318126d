# SPDX-License-Identifier: GPL-2.0-or-later
#
# fslib.sh - what the hk-fs-server tests share.  Sourced after lib.sh.
#
#   serve MNT ARGS...   start hk-fs-server -f ARGS... MNT in the background,
#                       its log in MNT.log; $pid is the server; returns 1
#                       (with the log as diagnostics) when MNT never mounts
#   mounted MNT         MNT is a FUSE mount now
#   wait_exit PID       PID is gone within 5 s
#
# Every server started through serve is killed and every mount under $T
# detached when the script exits, passed or not.

[ "$(id -u)" -eq 0 ] || skip_all "needs root (allow_other, several uids)"
[ -c /dev/fuse ] || skip_all "needs /dev/fuse"

FS="$HK_BUILDDIR/hk-fs-server"
OPS="$HK_BUILDDIR/tests/fsops"
chmod 755 "$T"

fs_cleanup() {
	grep " $T/.* fuse" /proc/self/mounts | while read -r _ m _; do
		umount -l "$m"
	done
	for p in $(cat "$T/pids" 2>/dev/null); do
		kill -9 "$p" 2>/dev/null
	done
	rm -rf "$T"
}
trap fs_cleanup EXIT
trap 'exit 1' INT TERM

mounted() {
	grep -q " $1 fuse" /proc/self/mounts
}

wait_exit() {
	_i=0
	while kill -0 "$1" 2>/dev/null; do
		_i=$((_i + 1))
		[ $_i -gt 50 ] && return 1
		sleep 0.1
	done
}

serve() {
	_m=$1
	shift
	mkdir -p "$_m"
	"$FS" -f "$@" "$_m" 2>"$_m.log" &
	pid=$!
	echo "$pid" >>"$T/pids"
	_i=0
	while ! mounted "$_m"; do
		_i=$((_i + 1))
		if [ $_i -gt 50 ] || ! kill -0 "$pid" 2>/dev/null; then
			diag "hk-fs-server $* $_m did not mount:"
			while IFS= read -r _l; do diag "  $_l"; done <"$_m.log"
			return 1
		fi
		sleep 0.1
	done
}
