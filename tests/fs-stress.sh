#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# fs-stress.sh - parallel writers, readers, appenders and renamers
# (tests/fsstress) through hk-fs-server in each fast path, and with
# --clone-fd, --readers one and --io-uring: nothing lost or torn, the server survives, exits 0 on
# unmount, and its log holds no sanitizer report.  "./quickstart
# sanitize" runs this with the server built with ASan and UBSan.
#
#   HK_FS_STRESS_SECONDS=N  how long each run lasts (default 4)

. "${HK_SRCDIR:-.}/tests/lib.sh"
. "$HK_SRCDIR/tests/fslib.sh"

STRESS="$HK_BUILDDIR/tests/fsstress"
secs=${HK_FS_STRESS_SECONDS:-4}

# and over io_uring where the kernel has it (its slow-request threads too)
set -- none cache passthrough "passthrough --clone-fd" "cache --writeback" \
	"passthrough --readers one"
if uring_on; then
	set -- "$@" "none --io-uring" "passthrough --io-uring"
else
	diag "no io_uring runs: $uring_why"
fi
for run in "$@"; do
	name=$(echo "$run" | tr ' ' '_')
	src="$T/src-$name"
	m="$T/mnt-$name"
	mkdir -p "$src"
	# shellcheck disable=SC2086
	serve "$m" --fast-path $run --threads 4 "$src" || {
		ok 1 "$run: mounts"
		continue
	}
	"$STRESS" "$m" "$secs" >"$T/out-$name" 2>&1
	st=$?
	ok "$st" "$run: $(tail -1 "$T/out-$name")"
	alive=1
	kill -0 "$pid" 2>/dev/null && mounted "$m" && alive=0
	ok "$alive" "$run: the server still serves"
	umount "$m"
	wait "$pid"
	ok $? "$run: the server exits 0 on unmount"
	if grep -q -e 'Sanitizer' -e 'runtime error' "$m.log"; then
		ok 1 "$run: no sanitizer report"
		head -30 "$m.log" | diag_lines
	else
		ok 0 "$run: no sanitizer report"
	fi
done

done_testing
