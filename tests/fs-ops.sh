#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# fs-ops.sh - the same script of operations (tests/fs-ops.script) on a
# plain directory and through a mount of hk-fs-server must print the same
# results and errnos and leave the same tree, in each fast path and way
# of running (below).  The plain directory and SOURCE are side by side
# in one directory of $TMPDIR, so on one file system: tests/fs-sources.sh
# runs this script again with TMPDIR on other kinds of file system.
#
#   HK_FS_RUNS="none cache"  the runs (default: all of those below that
#                            this kernel can do)

. "${HK_SRCDIR:-.}/tests/lib.sh"
. "$HK_SRCDIR/tests/fslib.sh"

SCRIPT="$HK_SRCDIR/tests/fs-ops.script"

# operations in the script: lines that are neither blank nor comments
nops=$(grep -cv -e '^[[:space:]]*#' -e '^[[:space:]]*$' "$SCRIPT")


# the server holds no more than $1 inodes (--stats, asked for now)
inodes_back() {
	stats_now "$pid" "$d/stats.json" && [ "$(jq .inodes "$d/stats.json")" -le "$1" ]
}

# Each run (fslib.sh run_args): a fast path, and what else it tries.
# handles: every file held by file handle, as past the descriptor budget
# on a big tree.  uring: every operation, reads and writes too, reaches
# the server over io_uring.  Each runs with -o allow_other, so that the
# other users of the script reach the mount, and the kernel checks their
# permissions (default_permissions).  mounter: passthrough without
# allow_other, where only root (who mounted) may come, the kernel checks
# nothing, and the source answers the server's calls as it would root's:
# the script's lines of root alone.  mountlocks: passthrough with --locks
# mount, where the kernel keeps the script's locks itself.
pick_runs none cache passthrough handles uring mounter mountlocks
for run in $runs; do
	run_args "$run"
	d="$T/$run"
	script=$SCRIPT n=$nops perms="-o allow_other"
	if [ "$run" = mounter ]; then
		mkdir -p "$d"
		script="$d/script"
		grep -v -e '^@' -e '^proc ' -e '^as ' "$SCRIPT" >"$script"
		n=$(grep -cv -e '^[[:space:]]*#' -e '^[[:space:]]*$' "$script")
		perms=
	fi
	# shellcheck disable=SC2086
	set -- $set_args $perms --stats "$d/stats.json"
	mkdir -p "$d/src/xdev" "$d/ref/xdev"
	# another file system inside both trees, for EXDEV
	mount -t tmpfs -o size=1m,mode=0755 hk-xdev "$d/src/xdev" &&
		mount -t tmpfs -o size=1m,mode=0755 hk-xdev "$d/ref/xdev" ||
		diag "$run: no tmpfs inside the trees: the EXDEV lines will differ"
	if ! serve "$d/mnt" --fast-path "$mode" "$@" "$d/src"; then
		ok 1 "$run: mounts"
		continue
	fi
	ok 0 "$run: mounts"

	"$OPS" "$d/ref" <"$script" >"$d/ref.out"
	st_ref=$?
	"$OPS" "$d/mnt" <"$script" >"$d/mnt.out"
	st_mnt=$?
	ran=1
	[ "$st_ref" -eq 0 ] && [ "$st_mnt" -eq 0 ] &&
		[ "$(wc -l <"$d/ref.out")" -eq "$n" ] &&
		[ "$(wc -l <"$d/mnt.out")" -eq "$n" ] && ran=0
	ok "$ran" "$run: all $n operations ran on both sides"
	same "$run: $n operations give the same results and errnos" \
		"$d/ref.out" "$d/mnt.out" "kernel file system (-) against hk-fs-server (+):"
	tree "$d/ref" >"$d/ref.tree"
	tree "$d/src" >"$d/src.tree"
	same "$run: the source tree ends byte for byte as the reference" \
		"$d/ref.tree" "$d/src.tree"

	if [ "$run" = uring ]; then
		# 1 MiB requests and replies fill a ring entry's payload
		dd if=/dev/urandom of="$d/blob" bs=1M count=16 status=none
		dd if="$d/blob" of="$d/mnt/blob" bs=1M status=none
		check "uring: 16 MiB written and read back through the mount in 1 MiB requests" \
			sh -c "cmp -s '$d/blob' '$d/mnt/blob' && cmp -s '$d/blob' '$d/src/blob'"
		rm -f "$d/mnt/blob"
		# FORGETs still come through /dev/fuse: those of 2,000 files
		# removed come gathered, not read one by one (ring.c)
		stats_now "$pid" "$d/stats.json"
		f0=$(jq '.ops.forget.count' "$d/stats.json")
		i0=$(jq '.inodes' "$d/stats.json")
		mkdir "$d/mnt/many" && (cd "$d/mnt/many" && seq 2000 | xargs touch)
		rm -r "$d/mnt/many"
		ms_until inodes_back "$i0" >/dev/null
		check "uring: the server let go of the 2,000 files removed (--stats inodes back to $i0)" \
			jq -e --argjson i0 "$i0" '.inodes == $i0' "$d/stats.json"
		check "uring: their FORGETs came in batches: fewer than 1,000 requests" \
			jq -e --argjson f0 "$f0" '.ops.forget.count - $f0 < 1000' "$d/stats.json"
		diag "uring: $(( $(jq '.ops.forget.count' "$d/stats.json") - f0 )) FORGET requests for 2,001 inodes"
	fi
	stats_now "$pid" "$d/stats.json" || diag "$run: no stats file after SIGUSR1"
	case $run in
	handles)
		check "handles: the files were held by file handle (--stats)" \
			jq -e '.inode_handles >= 10' "$d/stats.json" ;;
	uring)
		check "uring: the requests came over io_uring, one queue per CPU (--stats)" \
			jq -e --argjson cpus "$(nproc --all)" \
			'.io_uring.queues >= $cpus and .io_uring.requests >= 300' "$d/stats.json"
		diag "uring: $(jq -c .io_uring "$d/stats.json")" ;;
	mountlocks)
		check "mountlocks: the kernel kept the locks: no GETLK, SETLK or FLOCK reached the server (--stats)" \
			jq -e '.locks == "mount" and .ops.getlk.count + .ops.setlk.count + .ops.flock.count == 0' "$d/stats.json" ;;
	mounter)
		check "mounter: no default_permissions, the access(2) calls came to the server (--stats)" \
			jq -e '.permissions == "mounter" and .ops.access.count >= 8' "$d/stats.json"
		check "mounter: mounted without default_permissions or allow_other" \
			sh -c "grep ' $d/mnt ' /proc/self/mounts | grep -qv -e default_permissions -e allow_other"
		check "mounter: a user other than root is refused" \
			sh -c "! setpriv --reuid 1000 --regid 1000 --clear-groups cat '$d/mnt/acc-rw' 2>/dev/null" ;;
	*)
		check "$run: no io_uring unless asked for (--stats)" \
			jq -e '.io_uring.queues == 0 and .io_uring.requests == 0' "$d/stats.json"
		check "$run: the kernel checks permissions (default_permissions, --stats)" \
			jq -e '.permissions == "kernel" and .ops.access.count == 0' "$d/stats.json" ;;
	esac
	umount "$d/mnt"
	check "$run: the server exits on unmount" wait_gone "$pid"
	check "$run: nothing left mounted" sh -c "! grep -q ' $d/mnt ' /proc/self/mounts"
	umount "$d/src/xdev" "$d/ref/xdev"
done

done_testing
