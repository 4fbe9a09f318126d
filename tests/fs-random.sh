#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# fs-random.sh - the randomized differential test of hk-fs-server: seeded
# scripts of thousands of mixed operations (tests/fsgen) from four
# long-lived processes of three users, keeping descriptors open while the
# others rename, unlink, chmod and lock, are run on a plain directory and
# through the mount, in each fast path.  Every return value, errno and
# result must be the same, and the source tree must end byte for byte as
# the plain directory.
#
#   HK_FS_SEEDS="1 2 3"  the seeds (default: four fixed ones)
#   HK_FS_OPS=N          operations per script (default 4000)
#   HK_FS_RUNS="none"    the runs (default: all of those below that this
#                        kernel can do)
#
# A failing seed is reported with the command that replays it.

. "${HK_SRCDIR:-.}/tests/lib.sh"
. "$HK_SRCDIR/tests/fslib.sh"

GEN="$HK_BUILDDIR/tests/fsgen"
seeds=${HK_FS_SEEDS:-11 23 37 53}
count=${HK_FS_OPS:-4000}

# none, cache, passthrough, and none over io_uring where the kernel has
# it; mountlocks: passthrough with the locks kept by the kernel;
# onereader: passthrough with --readers one
pick_runs none cache passthrough uring mountlocks onereader
for run in $runs; do
	run_args "$run"
	for seed in $seeds; do
		d="$T/$run-$seed"
		mkdir -p "$d/src" "$d/ref"
		# shellcheck disable=SC2086
		serve "$d/mnt" --fast-path "$mode" $set_args -o allow_other "$d/src" || {
			ok 1 "$run seed $seed: mounts"
			continue
		}
		"$GEN" "$seed" "$count" >"$d/script"
		lines=$(grep -cv '^#' "$d/script")
		"$OPS" "$d/ref" <"$d/script" >"$d/ref.out"
		st_ref=$?
		"$OPS" "$d/mnt" <"$d/script" >"$d/mnt.out"
		st_mnt=$?
		umount "$d/mnt" 2>"$d/umount.err"
		st_umount=$?
		wait_gone "$pid"
		st_exit=$?
		# what held it, should it not end: the unmount's word, the
		# mount table, the processes whose mount namespace still has
		# a copy of the mount (fslib.sh), where each of the server's
		# threads waits, its log
		[ "$st_exit" -eq 0 ] || why_alive=$(
			echo "umount exit $st_umount: $(cat "$d/umount.err")"
			grep " $d/mnt " /proc/self/mounts
			grep -l " $d/mnt " /proc/[0-9]*/mountinfo 2>/dev/null |
				while read -r m; do
					m=${m%/mountinfo}
					echo "a copy of the mount in the namespace of ${m#/proc/} ($(cat "$m/comm" 2>/dev/null))"
				done
			for t in /proc/"$pid"/task/*; do
				echo "thread $(cat "$t/comm" 2>/dev/null): $(cat "$t/wchan" 2>/dev/null) $(cut -d' ' -f3 "$t/stat" 2>/dev/null)"
			done
			tail -5 "$d/mnt.log")

		# the script really ran, on both sides, and did things: a
		# script of nothing but errors would compare equal too
		done_ref=$(grep -c '^[0-9]' "$d/ref.out")
		done_mnt=$(grep -c '^[0-9]' "$d/mnt.out")
		okay=$(grep -c ': ok' "$d/ref.out")
		kinds=$(grep ': ok' "$d/ref.out" | awk '{ print $(NF > 2 && $2 ~ /^@/ ? 3 : 2) }' |
			sort -u | wc -l)
		ran=1
		[ "$st_ref" -eq 0 ] && [ "$st_mnt" -eq 0 ] &&
			[ "$done_ref" -eq "$lines" ] && [ "$done_mnt" -eq "$lines" ] &&
			[ "$okay" -ge $((count / 8)) ] && [ "$kinds" -ge 30 ] && ran=0
		ok "$ran" "$run seed $seed: $lines operations ran on both sides ($okay succeeded, $kinds kinds)"

		same "$run seed $seed: the same results, errnos and final tree" \
			"$d/ref.out" "$d/mnt.out" \
			"replay: fsgen $seed $count | fsops DIR (kernel -, hk-fs-server +):"
		tree "$d/ref" >"$d/ref.tree"
		tree "$d/src" >"$d/src.tree"
		same "$run seed $seed: SOURCE ends byte for byte as the plain directory" \
			"$d/ref.tree" "$d/src.tree"
		ok "$st_exit" "$run seed $seed: the server exits on unmount" || diag "$why_alive"
	done
done

done_testing
