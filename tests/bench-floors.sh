#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# bench-floors.sh - the two floors the benchmarks measure against do what
# bench/fs and bench/net ask of them, so that a floor's figure is the
# floor's and not a failure's: bench/fusefloor makes, finds, lists and
# removes files (the metadata rows' work) and refuses data, through
# /dev/fuse and over io_uring where the kernel offers it; bench/tapfloor
# carries ping and TCP both ways between two namespaces, and its TAPs go
# when it ends.  Timings are never checked here.

. "${HK_SRCDIR:-.}/tests/lib.sh"
. "$HK_SRCDIR/tests/fslib.sh"
. "$HK_SRCDIR/tests/netlib.sh"
require_cmd ping iperf3 jq

FLOOR="$HK_BUILDDIR/bench/fusefloor"
TAPFLOOR="$HK_BUILDDIR/bench/tapfloor"
META="$HK_BUILDDIR/bench/fsmeta"
# netlib's exit trap deletes the namespaces; the mounts go first
netns_cleanup_more() { fs_cleanup; }

# ---- fusefloor, through /dev/fuse and over io_uring

# floor_checks TAG NAME [--io-uring]: the floor's work, on a mount of its
# own ($T/m-TAG), its stderr in $T/floor-TAG.log
floor_checks() {
	m="$T/m-$1" log="$T/floor-$1.log" f=$2
	shift 2
	mkdir -p "$m"
	"$FLOOR" "$@" "$m" 2>"$log" &
	pid=$!
	track "$pid"
	if ! wait_mount "$m" "$pid"; then
		ok 1 "$f: mounts"
		diag_lines <"$log"
		return
	fi
	mkdir "$m/meta"
	check "$f: fsmeta creates, stats and unlinks 3000 files" "$META" "$m/meta" 3000
	check "$f: and the directory is empty after" test -z "$(ls -A "$m/meta")"
	check "$f: an empty directory is removed" rmdir "$m/meta"

	check "$f: fsmeta -k makes a tree of 3000 files" "$META" -k "$m/tree" 3000
	n=$(find "$m/tree" | wc -l)
	check "$f: find lists the tree whole (3101 entries: $n)" test "$n" -eq 3101
	check "$f: du walks it" du -s "$m/tree"

	# a directory listed in many chunks, once each, while it shrinks
	mkdir "$m/big"
	i=0
	while [ $i -lt 1500 ]; do
		: >"$m/big/file-with-a-long-name-$i"
		i=$((i + 1))
	done
	ls -f "$m/big" >"$T/big.ls"
	n=$(grep -c '^file-' "$T/big.ls")
	d=$(sort "$T/big.ls" | uniq -d | wc -l)
	ok "$([ "$n" -eq 1500 ] && [ "$d" -eq 0 ] && echo 0 || echo 1)" \
		"$f: a directory of 1500 entries lists each once ($n, $d twice)"
	# the errors, as tests/fsops names them
	: >"$m/f"
	printf 'rmdir big\nopen f creat,excl,wronly\nwrite f data\n' | "$OPS" "$m" >"$T/errs"
	check "$f: a directory with entries is not removed (ENOTEMPTY)" \
		grep -qx '1 rmdir: ENOTEMPTY' "$T/errs" || diag_lines <"$T/errs"
	check "$f: an exclusive create of a name that is there fails (EEXIST)" \
		grep -qx '2 open: EEXIST' "$T/errs"
	# which errno is the kernel's: ENOSYS from the server, or EIO
	check "$f: a write fails: the floor has no data" grep -q '^3 write: E' "$T/errs"
	check "$f: rm -r removes the files and the directories" rm -r "$m/tree" "$m/big" "$m/f"
	check "$f: nothing is left" test -z "$(ls -A "$m")"

	umount "$m"
	wait_gone "$pid"
	ok $? "$f: exits on unmount"
}

floor_checks dev fusefloor
if uring_on; then
	floor_checks uring "fusefloor --io-uring" --io-uring
	# the requests above came over the queues, not through /dev/fuse:
	# each of the 6000 files of fsmeta was made and removed over them
	q=$(sed -n 's/^fusefloor: io_uring: \([0-9]*\) queues, \([0-9]*\) requests$/\1 \2/p' "$T/floor-uring.log")
	ok "$(set -- $q; [ "${1:-0}" -ge 1 ] && [ "${2:-0}" -ge 12000 ] && echo 0 || echo 1)" \
		"fusefloor --io-uring: its requests came over io_uring (queues, requests: ${q:-none})" ||
		diag_lines <"$T/floor-uring.log"
else
	diag "no io_uring run of fusefloor: $uring_why"
fi

# ---- tapfloor
A=hkfa$$ B=hkfb$$
netns_make "$A" "$B"
"$TAPFLOOR" "$A/e0" "nosuchns$$/e0" >"$T/tapfloor.out" 2>&1
rc=$?
ok "$([ $rc -eq 2 ] && grep -q "nosuchns$$" "$T/tapfloor.out" && ! ip -n "$A" link show e0 >/dev/null 2>&1 && echo 0 || echo 1)" \
	"tapfloor: a namespace that is not there: exit 2, named, and no TAP left (exit $rc)" ||
	diag_lines <"$T/tapfloor.out"

"$TAPFLOOR" "$A/e0" "$B/e0" 2>"$T/tapfloor.log" &
tpid=$!
track "$tpid"
i=0
until ip -n "$A" link show e0 >/dev/null 2>&1 && ip -n "$B" link show e0 >/dev/null 2>&1; do
	i=$((i + 1))
	[ $i -gt 50 ] && break
	sleep 0.1
done
ip -n "$A" addr add 10.78.0.1/24 dev e0
ip -n "$B" addr add 10.78.0.2/24 dev e0
ip -n "$A" link set e0 up
ip -n "$B" link set e0 up
check "tapfloor: ping A to B" in_ns "$A" ping -c 3 -i 0.2 -W 2 10.78.0.2
check "tapfloor: ping B to A" in_ns "$B" ping -c 3 -i 0.2 -W 2 10.78.0.1
for dir in A-B B-A; do
	in_ns "$B" iperf3 -s -D -1 -B 10.78.0.2 -I "$T/iperf.pid"
	sleep 0.3
	# shellcheck disable=SC2046
	in_ns "$A" iperf3 -c 10.78.0.2 -n 64M $([ $dir = B-A ] && echo -R) -J >"$T/iperf-$dir.json" 2>&1
	# iperf3's receiver stops counting at its last interval, before
	# the last bytes in flight (95-98% of 64 MiB through the floor)
	check "tapfloor: TCP carries 64 MiB $dir" \
		jq -e '.end.sum_sent.bytes >= 67108864 and .end.sum_received.bytes >= 33554432' "$T/iperf-$dir.json" ||
		diag_lines <"$T/iperf-$dir.json"
done
kill "$tpid"
wait_gone "$tpid" 10
ok $? "tapfloor: SIGTERM ends it within a second"
left=$(ip -n "$A" -o link show e0 2>/dev/null; ip -n "$B" -o link show e0 2>/dev/null)
ok "$([ -z "$left" ] && echo 0 || echo 1)" "tapfloor: its TAPs went with it" || diag "$left"

done_testing
