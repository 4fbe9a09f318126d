#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# shim-fs.sh - hk-shim moves a live directory behind hk-fs-server and
# back: paths unchanged, descriptors taken before the move still on the
# kernel file system, a busy revert that waits or detaches, a killed
# server reverted by the supervisor within a second with every fsynced
# byte kept, a move and revert under a running writer, hk-shim run in a
# private mount namespace, stale records, and bad requests that change
# nothing.  Every mount and process is removed on exit, passed or not.

. "${HK_SRCDIR:-.}/tests/lib.sh"
. "$HK_SRCDIR/tests/fslib.sh"

SHIM="$HK_BUILDDIR/hk-shim"
STATE="$T/state"
D="$T/dir"
export HK_STATE_DIR="$STATE"
AS=                                # a command to run hk-shim through

shim_cleanup() {
	# supervisors first, or they would act on what the cleanup does
	for p in $(pgrep -f "^$SHIM .*$T" 2>/dev/null); do kill -9 "$p"; done
	for p in $(pgrep -f "^$FS --foreground --source-fd=3.* $T" 2>/dev/null); do
		kill -9 "$p"
	done
	fs_cleanup
}
trap shim_cleanup EXIT

mkdir -p "$D/sub" "$STATE"
echo kernel >"$D/before"
echo secret >"$D/secret"
chmod 0600 "$D/secret"
echo theirs >"$D/theirs"
chown 65534:65534 "$D/theirs"
chmod 755 "$D"

# the mount table, as far as this test's directory goes
mounts() {
	grep " $T" /proc/self/mountinfo | cut -d' ' -f5,9 | sort
}
fstype() {
	grep " $1 " /proc/self/mountinfo | tail -1 | sed 's/.* - \([^ ]*\) .*/\1/'
}
records() {
	ls "$STATE" | grep -c '\.json$'
}
server_pid() {
	jq -r --arg d "$1" '.[] | select(.target == $d) | .server' "$T/status.json"
}

# --- bad requests: a clear message, exit 2, nothing changed ----------
mounts >"$T/start"
state_now() {
	mounts
	ls "$STATE"
}
bad() {
	_d=$1
	_w=$2
	shift 2
	refused "$_d" "$_w" $AS "$SHIM" "$@"
}
touch "$T/file"
bad "fs move of a missing directory" "No such file" fs move "$T/none"
bad "fs move of a file" "not a directory" fs move "$T/file"
bad "fs move of the directory holding the state" "holds the state directory" fs move "$T"
bad "fs move with an unknown fast path" "unknown mode" fs move --fast-path warp "$D"
bad "fs revert of a directory not moved" "is not moved" fs revert "$D"
bad "fs with no verb" "expected move or revert" fs "$D"
bad "run without a command" "give the command" run --fs "$D"
if command -v setpriv >/dev/null; then
	AS="setpriv --reuid 65534 --regid 65534 --clear-groups --inh-caps=-all"
	bad "fs move without privileges" "needs CAP_SYS_ADMIN" fs move "$D"
	AS=
fi
mkdir -p "$T/ours-src"
serve "$T/ours" "$T/ours-src"
bad "fs move of an hk-fs-server mount" "already served by hk-fs-server" fs move "$T/ours"
umount "$T/ours"

# --- move -------------------------------------------------------------
exec 7<>"$D/before"                # a descriptor from before the move
check "fs move exits 0" "$SHIM" -q fs move "$D"
check "DIR is now an hk-fs-server mount" test "$(fstype "$D")" = fuse.hk-fs-server
check "the same paths show the same files" grep -qx kernel "$D/before"
"$SHIM" status --json >"$T/status.json"
check "status --json lists the move, server alive" \
	test "$(jq -r --arg d "$D" '.[] | select(.target == $d) | .alive' "$T/status.json")" = true
srv=$(server_pid "$D")
bad "fs move of a moved directory" "is already moved" fs move "$D"
echo served >"$D/new"
echo "through the old descriptor" >&7
exec 7>&-
if command -v setpriv >/dev/null; then
	# every user keeps the access the directory gave before the move
	nobody="setpriv --reuid 65534 --regid 65534 --clear-groups"
	check "an unprivileged user reads the moved directory as before" \
		sh -c "$nobody cat '$D/theirs' >/dev/null"
	check "... writes the file that is theirs" \
		$nobody sh -c "echo more >>'$D/theirs'"
	check "... and is refused root's file of mode 0600 (EACCES)" \
		sh -c "! $nobody cat '$D/secret' 2>'$T/err' && grep -q 'Permission denied' '$T/err'"
fi

# --- revert: busy, then waiting, then lazily ---------------------------
(cd "$D/sub" && exec sleep 30) &
holder=$!
track $holder
sleep 0.2
"$SHIM" fs revert --timeout 1 "$D" >"$T/out" 2>&1
rc=$?
check "a busy revert with --timeout gives up with exit 1" test $rc -eq 1
check "... naming the process that holds DIR" grep -q "$holder (sleep)" "$T/out"
check "... and DIR stays moved" test "$(fstype "$D")" = fuse.hk-fs-server
(sleep 1; kill $holder) &
"$SHIM" fs revert "$D" >"$T/out" 2>&1
rc=$?
check "a revert waits for the holder to leave, then exits 0" test $rc -eq 0
check "DIR is the kernel's again" test "$(fstype "$D")" != fuse.hk-fs-server
check "the server has ended" wait_gone "$srv" 30
check "no record is left" test "$(records)" -eq 0
check "a file made through the mount is on the kernel file system" grep -qx served "$D/new"
check "the old descriptor wrote to the kernel file system" \
	grep -q "through the old descriptor" "$D/before"

"$SHIM" fs move "$D" 2>/dev/null
(cd "$D/sub" && exec sleep 30) &
holder=$!
track $holder
sleep 0.2
check "revert --lazy of a busy DIR exits 0" "$SHIM" -q fs revert --lazy "$D"
check "... and detaches it at once" test "$(fstype "$D")" != fuse.hk-fs-server
kill $holder

# --- a killed server: reverted within a second, fsynced data kept ----
check "fs move --fast-path passthrough exits 0" "$SHIM" -q fs move --fast-path passthrough "$D"
"$SHIM" status --json >"$T/status.json"
srv=$(server_pid "$D")
# each record is fsynced before its number is noted, outside DIR
(
	i=0
	while [ $i -lt 100000 ]; do
		i=$((i + 1))
		printf 'record %06d\n' $i |
			dd of="$D/log" oflag=append conv=notrunc,fsync status=none 2>/dev/null ||
			continue
		echo $i >>"$T/acked"
	done
) &
writer=$!
track $writer
sleep 1
kill -9 "$srv"
reverted() {
	[ "$(fstype "$D")" != fuse.hk-fs-server ]
}
ms=$(ms_until reverted)
diag "the supervisor reverted ${ms} ms after kill -9"
check "kill -9 of the server: reverted within a second" test "$ms" -le 1000
check "... DIR answers (no 'Transport endpoint is not connected')" sh -c "ls '$D' >/dev/null"
sleep 0.3
kill $writer
wait $writer 2>/dev/null
acked=$(wc -l <"$T/acked")
check "... no record is left" test "$(records)" -eq 0
grep -q "signal 9" "$STATE"/fs:*.log
rc=$?
ok $rc "... the log says the server died of signal 9"
[ $rc -eq 0 ] || diag "$(cat "$STATE"/fs:*.log)"
grep -o 'record [0-9]*' "$D/log" | awk '{print $2 + 0}' | sort >"$T/have"
missing=$(sort "$T/acked" | comm -23 - "$T/have" | wc -l)
diag "$acked records fsynced before, during and after the kill"
check "... every fsynced record is on the kernel file system" test "$missing" -eq 0 -a "$acked" -gt 10

# --- move and revert under a running writer ---------------------------
rm -f "$D/seq"
(
	i=0
	while :; do
		i=$((i + 1))
		until echo $i >>"$D/seq"; do sleep 0.01; done 2>/dev/null
	done
) &
writer=$!
track $writer
sleep 0.3
"$SHIM" -q fs move "$D"
sleep 0.5
grep -q "$D fuse" /proc/self/mounts
moved=$?
"$SHIM" status --json >"$T/status.json"
srv=$(server_pid "$D")
"$SHIM" -q fs revert "$D" 2>"$T/out"
sleep 0.3
kill $writer
wait $writer 2>/dev/null
# the next section counts servers: this one must be gone first (revert
# waits 5 s for it, then warns; CI saw one outlive the revert)
ms=$(ms_until sh -c "! kill -0 ${srv:-0} 2>/dev/null")
check "... and its server ended (${ms} ms after the writer stopped)" sh -c "! kill -0 ${srv:-0} 2>/dev/null"
[ "$ms" -lt 1000 ] || diag "revert said:" "$(cat "$T/out")"
n=$(wc -l <"$D/seq")
check "the writer's file, moved and reverted under it, has every line once, in order" \
	sh -c "seq 1 $n | cmp -s - '$D/seq'"
ok $moved "... and it was moved meanwhile"

# --- run: a private mount namespace -----------------------------------
out=$("$SHIM" -q run --fs "$D" -- sh -c "grep ' $D ' /proc/self/mountinfo | sed 's/.* - \([^ ]*\) .*/\1/'; exit 7" 2>/dev/null)
rc=$?
check "run: the command sees DIR served by hk-fs-server" test "$out" = fuse.hk-fs-server
check "run: its exit status is returned" test $rc -eq 7
left=$(grep " $D fuse" /proc/self/mounts; pgrep -af "^$FS --foreground --source-fd=3.* $D")
ok $([ -z "$left" ] && echo 0 || echo 1) "run: nobody else sees the mount, and no server is left"
# what is left, with its parent (a move's supervisor, or run's runner?)
# and the moves on record, to tell whose it is
if [ -n "$left" ]; then
	servers=$(pgrep -d, -f "^$FS" || echo 1)
	parents=$(ps -o ppid= -p "$servers" | tr -s ' \n' ',' | sed 's/^,//; s/,$//')
	diag "left after run:" "$left" "$(ps -o pid,ppid,etimes,args -p "$servers")" \
		"$(ps -o pid,ppid,etimes,args -p "${parents:-1}" 2>&1)" "$("$SHIM" status 2>&1)"
fi

# --- stale records ----------------------------------------------------
"$SHIM" -q fs move "$D"
"$SHIM" status --json >"$T/status.json"
srv=$(server_pid "$D")
sup=$(jq -r '.[0].supervisor' "$T/status.json")
kill -9 "$sup"
wait_gone "$sup"
"$SHIM" status >"$T/out" 2>&1
check "status finds a move whose supervisor died and cleans it" \
	grep -q "stale record" "$T/out"
check "... the mount is detached, its server stopped, the record gone" \
	sh -c "test '$(fstype "$D")' != fuse.hk-fs-server && test $(records) -eq 0"
wait_gone "$srv" 30
check "... and the server is gone" test ! -d "/proc/$srv" -o "$(cut -d' ' -f3 /proc/$srv/stat 2>/dev/null)" = Z

mounts >"$T/m1"
check "nothing is left mounted" cmp -s "$T/start" "$T/m1"
done_testing
