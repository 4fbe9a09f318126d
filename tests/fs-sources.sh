#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# fs-sources.sh - hk-fs-server behaves like the file system under it,
# whichever that is: tests/fs-ops.sh and tests/fs-random.sh again, with
# their plain directory and SOURCE side by side on a tmpfs, an overlayfs
# (layers on the file system of $TMPDIR, as a container's root), a btrfs
# and an XFS, the last two made for the test in a file of 1 GiB (sparse)
# and mounted by loop.
# The other tests run on the file system of $TMPDIR (ext4 on our
# machines).  Each script's run is one result here; a failure shows the
# lines of the script that failed, with their diagnostics.
#
#   HK_FS_SOURCES="tmpfs overlay btrfs xfs"   the kinds (default: all)
#
# On each kind, first: a passthrough mount of a SOURCE there carries file
# data with no READ or WRITE reaching the server.  Then, which runs
# (tests/fslib.sh run_args) on which kind:
# - the script of operations: none, cache and passthrough on each;
# - the random scripts (two seeds): none, cache and passthrough on tmpfs,
#   overlayfs and btrfs; none and passthrough on XFS.  XFS answers SEEK_DATA and SEEK_HOLE
#   over an unwritten or delayed-allocation extent by what of it is in
#   its page cache, and in cache mode the kernel's readahead through the
#   mount reads more of a file than the caller did, so there the answers
#   differ from those on a plain directory without any fault of the
#   server's: after `sync` and dropping the caches both say the same.

. "${HK_SRCDIR:-.}/tests/lib.sh"
. "$HK_SRCDIR/tests/fslib.sh"

# KIND DIR: a new KIND file system mounted on DIR; what it needs goes
# beside DIR (an overlayfs's layers, the image of a btrfs or an XFS,
# mounted by loop).  False, with the reason in $why, where it cannot be.
make_fs() {
	mkdir -p "$2"
	case $1 in
	tmpfs)
		mount -t tmpfs -o size=1g hk-sources "$2" ;;
	overlay)
		mkdir -p "$2.layers/lower" "$2.layers/upper" "$2.layers/work" &&
			mount -t overlay hk-sources -o "lowerdir=$2.layers/lower,upperdir=$2.layers/upper,workdir=$2.layers/work" "$2" ;;
	btrfs | xfs)
		if ! command -v "mkfs.$1" >/dev/null 2>&1; then
			why="no mkfs.$1 (./quickstart installs it)"
			return 1
		fi
		truncate -s 1G "$2.img" && "mkfs.$1" -q -f "$2.img" &&
			mount -o loop "$2.img" "$2" ;;
	*)
		why="no such kind here (tmpfs, overlay, btrfs, xfs)"
		return 1 ;;
	esac >"$2.log" 2>&1 && chmod 1777 "$2" && return
	why="cannot make and mount one here: $(tr '\n' ' ' <"$2.log")"
	return 1
}

# KIND SCRIPT RUNS [VAR=VALUE...]: tests/SCRIPT with $TMPDIR on KIND, as
# one result
again() {
	_kind=$1 _script=$2 _runs=$3
	shift 3
	_out="$T/$_kind-${_script%.sh}.tap"
	env TMPDIR="$T/$_kind" HK_FS_RUNS="$_runs" "$@" \
		sh "$HK_SRCDIR/tests/$_script" >"$_out" 2>"$_out.err"
	_st=$?
	_ok=$(grep -c '^ok ' "$_out")
	_bad=$(grep -c '^not ok ' "$_out")
	[ "$_st" -eq 0 ] && [ "$_bad" -eq 0 ] && [ "$_ok" -gt 0 ]
	ok $? "$_kind: $_script ($_runs): $_ok passed, $_bad failed, exit $_st" && return
	# each failed line and the diagnostics after it
	awk '/^not ok / { show = 1; print; next } /^(ok |1\.\.)/ { show = 0 }
	     show' "$_out" | head -80 | diag_lines
	tail -5 "$_out.err" | diag_lines
}

for kind in ${HK_FS_SOURCES:-tmpfs overlay btrfs xfs}; do
	if ! make_fs "$kind" "$T/$kind"; then
		skip "$kind: the differential tests over SOURCE on $kind" "$why"
		continue
	fi
	want=$kind	# as stat -f names it
	[ "$kind" = overlay ] && want=overlayfs
	check "$kind: mounted for the test" sh -c \
		"[ \"\$(stat -f -c %T '$T/$kind')\" = '$want' ]"

	# passthrough takes files of this kind as backing files: over a
	# SOURCE that stacks (overlayfs) only at a stack depth of 2
	mkdir -p "$T/$kind/pt-src"
	if serve "$T/pt-mnt-$kind" --stats "$T/pt-$kind.json" "$T/$kind/pt-src"; then
		dd if=/dev/urandom of="$T/pt-$kind.blob" bs=1M count=8 status=none
		cp "$T/pt-$kind.blob" "$T/pt-mnt-$kind/f" && cat "$T/pt-mnt-$kind/f" >/dev/null
		stats_now "$pid" "$T/pt-$kind.json" || diag "$kind: no stats"
		check "$kind: passthrough: 8 MiB written and read through the mount, no READ or WRITE reached the server ($(jq -c '{read: .ops.read.count, write: .ops.write.count}' "$T/pt-$kind.json"))" \
			sh -c "cmp -s '$T/pt-$kind.blob' '$T/$kind/pt-src/f' &&
			       jq -e '.fast_path == \"passthrough\" and .ops.read.count == 0 and .ops.write.count == 0' '$T/pt-$kind.json' >/dev/null"
		umount "$T/pt-mnt-$kind"
		wait_gone "$pid"
	else
		ok 1 "$kind: a passthrough mount of a SOURCE there"
	fi

	again "$kind" fs-ops.sh "none cache passthrough"
	random_runs="none cache passthrough"
	[ "$kind" = xfs ] && random_runs="none passthrough"
	again "$kind" fs-random.sh "$random_runs" HK_FS_SEEDS="11 37"

	umount "$T/$kind"
	check "$kind: nothing of the tests left on it (unmounted)" \
		sh -c "! grep -q ' $T/$kind ' /proc/self/mounts"
done

done_testing
