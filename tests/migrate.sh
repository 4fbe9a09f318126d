#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# migrate.sh - hk-migrate: configuration files good and bad (FILE:LINE,
# nothing measured), ranking and budgeted selection on fixed measurements
# (--replay), a full --demo run (the table, the JSON against its schema,
# nothing left behind), an A-against-A run that finds no change, bad
# candidates reported as not measured while the plan goes on, and move,
# status and revert through the shim.  Everything it makes is removed on
# exit, passed or not.

. "${HK_SRCDIR:-.}/tests/lib.sh"

[ "$(id -u)" -eq 0 ] || skip_all "needs root (FUSE mounts, network namespaces)"
[ -c /dev/fuse ] || skip_all "needs /dev/fuse"
[ -c /dev/net/tun ] || skip_all "needs /dev/net/tun"
require_cmd jq ip /usr/bin/python3 gnuplot

MIG="$HK_BUILDDIR/hk-migrate"
SCHEMA="$HK_SRCDIR/doc/hk-migrate-plan.schema.json"
FIXED="$HK_SRCDIR/tests/plan-fixed.json"
export HK_STATE_DIR="$T/state"
NS=hkmig$$

mig_cleanup() {
	for p in $(pgrep -f "^$MIG .*$T" 2>/dev/null); do kill "$p"; done
	grep " $T/.* fuse" /proc/self/mounts | while read -r _ m _; do umount -l "$m"; done
	for n in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$NS"); do
		ip netns del "$n"
	done
	rm -rf "$T"
}
trap mig_cleanup EXIT
trap 'exit 1' INT TERM
mkdir -p "$T/state" "$T/d1" "$T/d2" "$T/tmp"

# what the plan could leave behind: mounts, namespaces, servers, scratch.
# The demo's namespaces are named by its pid and its tree goes in $TMPDIR
# (here $T/tmp), so only those that were not there before count: one left
# by some earlier run, killed, is not this run's.
demo_ns() {
	ip netns list | awk '/^hkdemo/ {print $1}' | sort
}
demo_ns >"$T/ns.before"
leftovers() {
	grep -c " $T.* fuse" /proc/self/mounts
	demo_ns | comm -13 "$T/ns.before" - | wc -l
	pgrep -fc "hk-(fs|net)-server.* $T" || true
	find "$T" -name '.hk-migrate.*' | wc -l
	ls -d "$T"/tmp/hk-demo.* 2>/dev/null | wc -l
}
jqt() {
	jq -e "$@" >/dev/null
}
schema_ok() {
	/usr/bin/python3 - "$SCHEMA" "$1" <<'EOF'
import json, sys
import jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
jsonschema.Draft202012Validator(schema).validate(json.load(open(sys.argv[2])))
EOF
}

# --- configuration files --------------------------------------------
cat >"$T/good.ini" <<EOF
# a plan of two candidates
[plan]
alpha = 0.2
beta = 0.8
pairs = 3

[fs:$T/d1]
effort = 3
gain = 5
workloads = seqread, meta

[net:$NS.a/v0]
EOF
"$MIG" list --config "$T/good.ini" >"$T/list" 2>&1
check "a good configuration is read" grep -q "^fs:$T/d1 *3 *5  seqread meta$" "$T/list"
check "a candidate without keys takes its kind's defaults" \
	grep -q "^net:$NS.a/v0 *2 *1  stream rr$" "$T/list"
# lines past inih's default 200 bytes: a path of 250 and more
deep="$T/$(printf 'p%.0s' $(seq 250))"
mkdir -p "$deep"
printf '[fs:%s]\neffort = 4\n' "$deep" >"$T/long.ini"
"$MIG" list --config "$T/long.ini" >"$T/list" 2>&1
check "a configuration line of over 250 bytes is read" grep -q "^fs:$deep *4 " "$T/list" ||
	diag "$(cat "$T/list")"

cat >"$T/bad.ini" <<EOF
[plan]
alpha = -1
frob = 2
[fs:relative]
[fs:$T/d1]
effort = x
workloads = seqread stream
workloads = meta
this line is bad
[fs:$T/d1]
[fs:$T/d2]
workloads = command
EOF
state_now() {
	leftovers
	ls -a "$T/d1" "$T/d2"
}
refused "a bad configuration is refused and nothing is measured" "9 errors" \
	"$MIG" plan --config "$T/bad.ini"
for want in "bad.ini:2: alpha: '-1' is not a number" "bad.ini:3: unknown key 'frob'" \
	"bad.ini:4: \[fs:relative\]" "bad.ini:6: effort: 'x'" \
	"bad.ini:7: 'stream' is not a workload of fs" "bad.ini:8: 'workloads' is set twice" \
	"bad.ini:9: expected NAME = VALUE" "bad.ini:10: \[fs:$T/d1\] is also at line 5" \
	"bad.ini:11: \[fs:$T/d2\]: the workload 'command' needs"; do
	check "error reported as FILE:LINE: ${want%%:*}:${want#*:}" grep -q -- "$want" "$T/refused.out"
done
refused "an unreadable configuration is refused" "cannot read the configuration" \
	"$MIG" plan --config "$T/none.ini"
printf '[plan]\nweights = 0.5, 0.3 0.2\nbudget = 5000\n[fs:/srv]\n' >"$T/budget.ini"
refused "[plan] has the options' ranges: a budget beyond hks_select's" \
	"budget.ini:3: budget: '5000' is not a total penalty from 0 to 1000" \
	"$MIG" plan --config "$T/budget.ini"
check "... and the same message as the option" sh -c \
	"'$MIG' plan --budget 5000 2>&1 | grep -q -- \"--budget: '5000' is not a total penalty from 0 to 1000\""
printf '[plan]\npairs = 3\n' >"$T/empty.ini"
refused "a configuration without candidates is refused" "empty.ini:2: no candidate" \
	"$MIG" plan --config "$T/empty.ini"
refused "--weights that do not sum to 1 are refused" "--weights" \
	"$MIG" plan --replay "$FIXED" --weights 0.5,0.5,0.5
refused "a plot that is neither PNG nor SVG is refused" "must end in .png or .svg" \
	"$MIG" plan --replay "$FIXED" --plot "$T/x.gif"
refused "an unknown candidate kind is refused" "is not a candidate" \
	"$MIG" ab "disk:$T/d1"

# --- ranking and selection on fixed measurements -----------------------
"$MIG" plan --replay "$FIXED" --json - >"$T/r1.json"
check "replay ranks by j = 0.5 c~ + 0.5 p~" \
	jqt '.ranking == ["fs:/srv/b", "fs:/srv/a", "net:n1/v0"]' "$T/r1.json"
check "a candidate's penalty is the mean of its workloads'" \
	jqt '.candidates[0].penalty == 0.5 and (.candidates[0].score - 0.625 | fabs) < 1e-12' "$T/r1.json"
check "an unmeasured candidate is not ranked, and says why" \
	jqt '.candidates[3].measured == false and (.candidates[3].why | test("could not be set up")) and (.candidates[3] | has("rank") | not)' "$T/r1.json"
"$MIG" plan --replay "$FIXED" --alpha 1 --beta 0 --json - >"$T/r2.json"
check "--alpha 1 --beta 0 ranks by effort alone" \
	jqt '.ranking == ["fs:/srv/a", "fs:/srv/b", "net:n1/v0"]' "$T/r2.json"
"$MIG" plan --replay "$FIXED" --budget 0.6 --weights 0.5,0.3,0.2 --json - >"$T/r3.json"
check "--budget 0.6 takes the most gain within it (b + n1: 4, not a: 3)" \
	jqt '.selection.chosen == ["fs:/srv/b", "net:n1/v0"] and .selection.gain == 4' "$T/r3.json"
check "U of all in kernel, the hybrid and all moved, as computed by hand" \
	jqt '(.utility.all_in_kernel - 0.3 | fabs) < 1e-12 and
	       (.utility.hybrid - 0.278929205113922 | fabs) < 1e-12 and
	       (.utility.all_moved - 0.399861325109424 | fabs) < 1e-12' "$T/r3.json"
"$MIG" plan --replay "$FIXED" --budget 0.5 --json - >"$T/r4.json"
check "--budget 0.5 takes a alone (gain 3)" jqt '.selection.chosen == ["fs:/srv/a"]' "$T/r4.json"
"$MIG" plan --replay "$FIXED" --weights 0.5,0.3,0.2 --json - >"$T/r5.json"
check "without a budget the hybrid has the best U of all the sets" \
	jqt '.utility.hybrid >= .utility.all_in_kernel and .utility.hybrid >= .utility.all_moved and .utility.hybrid > 0.40' "$T/r5.json"
"$MIG" plan --replay "$FIXED" --budget 0.6 --weights 0.5,0.3,0.2 --json - >"$T/r3b.json"
check "the same data give byte-identical JSON" cmp -s "$T/r3.json" "$T/r3b.json"
"$MIG" plan --replay "$FIXED" --budget 0.6 --weights 0.5,0.3,0.2 >"$T/r3.txt"
check "weights that make moving everything free are pointed out" \
	grep -q "^Note: with w_S - w_C >= w_P, all moved never loses" "$T/r3.txt"
"$MIG" plan --replay "$FIXED" --budget 0.6 >"$T/r3.txt"
check "... and others are not" sh -c "! grep -q '^Note: with w_S' '$T/r3.txt'"
check "the table marks the chosen moves" grep -q "^1 *fs:/srv/b .* yes$" "$T/r3.txt"
check "the replayed plan matches its schema" schema_ok "$T/r3.json"

# --- bad candidates: reported, the plan goes on, nothing left moved ---
ip netns add "$NS.a"
ip netns add "$NS.b"
ip -n "$NS.a" link add v0 type veth peer name v1 netns "$NS.b"
ip -n "$NS.a" addr add 10.91.0.1/24 dev v0
ip -n "$NS.b" addr add 10.91.0.2/24 dev v1
ip -n "$NS.a" link set v0 up
ip -n "$NS.b" link set v1 up
ip -n "$NS.a" tuntap add mode tap name tap0
cat >"$T/mixed.ini" <<EOF
[fs:$T/d1]
workloads = meta
[fs:$T/missing]
[net:$NS.a/tap0]
[net:$NS.a/nothing]
[fs:$T/d2]
workloads = command
command = false
EOF
"$MIG" plan --config "$T/mixed.ini" --pairs 2 --warmup 0 --seconds 0.1 \
	--json "$T/mixed.json" >"$T/mixed.txt" 2>"$T/mixed.err"
ok $? "a plan with bad candidates completes"
check "the good candidate is measured" \
	jqt '.candidates[0].measured and .candidates[0].rank == 1' "$T/mixed.json"
check "a missing directory is not measured, with the reason" \
	grep -q "^fs:$T/missing .*not measured: $T/missing is not a directory" "$T/mixed.txt"
check "a TAP device is not a movable link" \
	grep -q "net:$NS.a/tap0 .*not measured: .*'$NS.a/tap0' is not a veth (it is tun)" "$T/mixed.txt"
check "an unknown link is not measured" \
	grep -q "net:$NS.a/nothing .*not measured: .*'$NS.a/nothing': no such link" "$T/mixed.txt"
check "a failing workload is not measured, with its exit" \
	grep -q "fs:$T/d2 .*not measured: A: workload command failed (exit 1): 'false' exited with 1" "$T/mixed.txt"
check "nothing of the bad plan is left behind" test "$(leftovers | tr '\n' ' ')" = "0 0 0 0 0 "
check "nothing is left moved" test "$(ls "$T/state" | grep -c json)" = 0

# --- A against A: no change ---------------------------------------------
# theta 0.05: no change larger than 5% may be shown by noise alone.  The
# method's answer to A against A is no-change, or unstable when the pairs
# disagree by more than 10% (MAD of B/A): make check's other tests run
# beside this one, and a CPU-bound neighbour in bursts gave unstable in 1
# of 8 A/A runs here.  Never slower or faster.  With 10 pairs, a clean
# clone's CI claimed a change twice in one run (the verdicts were not
# printed then; they are now): 20 pairs, so that one neighbour's burst
# weighs half as much in the median.
"$MIG" ab "fs:$T/d1" --workload randread --self-check --pairs 20 --seconds 0.2 \
	--theta 0.05 --json "$T/aa.json" >"$T/aa.txt" 2>"$T/aa.err"
ok $? "ab --self-check runs"
aa=$(jq -r '.candidates[0].workloads[0].self_check_ab.ab.verdict' "$T/aa.json")
check "A against A claims no change (no-change, or unstable under load)" \
	test "$aa" = no-change -o "$aa" = unstable || {
	diag "A/A verdict: $aa"
	diag_lines <"$T/aa.txt"
	diag "  runs in order: $(jq -r '[.candidates[0].workloads[0].self_check_ab.runs[] | select(.warmup | not) | "\(.side) \(.metric | floor)"] | join(", ")' "$T/aa.json" 2>/dev/null)"
}
[ "$aa" = unstable ] && diag "A/A was unstable: other load on the machine; $(grep '^A against' "$T/aa.txt")"
check "the A/B verdict uses the theta given" \
	jqt '.candidates[0].workloads[0].ab.method.theta == 0.05' "$T/aa.json"
check "the A/A row is in the table, with the same verdict" \
	grep -q "^A against A .*randread .* $aa " "$T/aa.txt"

# --- the demo -----------------------------------------------------------
t0=$(date +%s)
TMPDIR="$T/tmp" "$MIG" plan --demo --json "$T/demo.json" --plot "$T/demo.svg" \
	>"$T/demo.txt" 2>"$T/demo.err"
rc=$?
t1=$(date +%s)
ok $rc "plan --demo completes"
[ $rc -eq 0 ] || diag "$(tail -20 "$T/demo.err")"
diag "plan --demo took $((t1 - t0)) s"
check "the demo's table has its three candidates, measured, its tree in TMPDIR" \
	test "$(grep -cE "^(fs:$T/tmp/hk-demo\.[^ ]*/(passthrough|cache)|net:hkdemo[0-9]+\.a/hkdemo0) +(seqread|stream) " "$T/demo.txt")" = 3
check "the demo's table ranks them and weighs U" \
	grep -q "^  all in kernel   U = " "$T/demo.txt"
check "the demo's JSON matches its schema" schema_ok "$T/demo.json"
check "the demo's JSON has every sample: pairs and warm-up of A and B" \
	jqt '[.candidates[].workloads[] | .runs | length] | all(. == 14)' "$T/demo.json"
check "the demo's JSON has a model beside each built-in workload" \
	jqt '[.candidates[].workloads[] | .model.name] | all(. == "throughput" or . == "latency")' "$T/demo.json"
check "the plot is an SVG" grep -q "<svg" "$T/demo.svg"
ip -n "$NS.a" link del tap0
ip netns del "$NS.a"
ip netns del "$NS.b"
check "the demo leaves nothing behind" test "$(leftovers | tr '\n' ' ')" = "0 0 0 0 0 " ||
	diag "$(leftovers | tr '\n' ' ')"
check "no veth of the demo is left" test "$(ip -br link | grep -c hkdemo)" = 0
TMPDIR=$(printf "$T/tmp/%04096d" 0) "$MIG" plan --demo >"$T/long.txt" 2>"$T/long.err"
rc=$?
check "a TMPDIR too long for the demo's tree is refused, saying so" sh -c \
	"[ $rc -ne 0 ] && grep -q 'demo: TMPDIR is too long' '$T/long.err'" ||
	diag "exit $rc: $(cat "$T/long.err")"
check "... and nothing was made" test "$(leftovers | tr '\n' ' ')" = "0 0 0 0 0 "

# --- move, status, revert through the shim ------------------------------
echo data >"$T/d2/f"
"$MIG" move "fs:$T/d2" 2>"$T/move.err"
ok $? "move fs:DIR"
check "status lists the move" sh -c "'$MIG' status | grep -q '^fs:$T/d2 '"
check "the moved directory is served by hk-fs-server" grep -q " $T/d2 fuse.hk-fs-server" /proc/self/mounts
check "its data is there" grep -q data "$T/d2/f"
"$MIG" revert "fs:$T/d2" 2>>"$T/move.err"
ok $? "revert fs:DIR"
check "status is empty again" sh -c "'$MIG' status | grep -q '^nothing moved'"
check "no mount is left" test "$(grep -c " $T" /proc/self/mounts)" = 0

done_testing
