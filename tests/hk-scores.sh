#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# hk-scores.sh - the hk-scores program as a user runs it: every model's
# known value through the command line and JSON, usage errors with exit 2
# and a message naming the parameter, the A/B statistics on a file, and a
# short calibration.

. "${HK_SRCDIR:-.}/tests/lib.sh"
require_cmd jq

S="$HK_BUILDDIR/hk-scores"

# near JSON FILTER WANT: the filter's number is within 1e-9 (relative) of WANT
near() {
	jq -e --argjson w "$3" "($2) as \$g | ((\$g - \$w) | fabs) <= 1e-9 * ([1, (\$w | fabs)] | max)" "$1" >/dev/null
}

# usage_error NAME WORD CMD...: exit 2, nothing on stdout, WORD on stderr
usage_error() {
	name=$1 word=$2
	shift 2
	"$@" >"$T/out" 2>"$T/err"
	st=$?
	if [ "$st" -eq 2 ] && [ ! -s "$T/out" ] && grep -q -e "$word" "$T/err"; then
		ok 0 "$name"
	else
		ok 1 "$name"
		diag "exit $st, stderr: $(cat "$T/err")"
	fi
}

# --- the program itself
"$S" --help >"$T/help"; st=$?
check "--help exits 0" [ "$st" -eq 0 ]
missing=
for m in utility migration latency throughput copy jitter underrun fastpath ebpf ab calibrate; do
	grep -q "^  $m " "$T/help" || missing="$missing $m"
done
check "--help lists every subcommand${missing:+ (missing:$missing)}" [ -z "$missing" ]
check "--version names the package" sh -c "'$S' --version | grep -q hybridkit"
usage_error "no command: exit 2" "Usage" "$S"
usage_error "unknown command: exit 2, named" "frobnicate" "$S" frobnicate

# --- known values through JSON
"$S" utility --json --w-s .5 --w-p .3 --w-c .2 --s .8 --p .6 --c .4 >"$T/u.json"
check "utility = 0.50" near "$T/u.json" .outputs.utility 0.5
check "utility echoes its inputs" near "$T/u.json" '.inputs["w-s"]' 0.5

"$S" latency --json --c-sys .1 --c-ipc 1.5 --c-copy .4 --t-k 1 --t-u 1.2 >"$T/l.json"
check "latency T_k = 2.0" near "$T/l.json" .outputs.t_kernel 2.0
check "latency T_u = 8.8" near "$T/l.json" .outputs.t_user 8.8
check "latency delta = 6.8" near "$T/l.json" .outputs.delta 6.8

"$S" throughput --json --alpha .5 --beta 1 >"$T/t.json"
check "throughput(.5, 1) = 2/3" near "$T/t.json" .outputs.ratio 0.6666666666666666
"$S" throughput --json --alpha 0 --beta 0 >"$T/t0.json"
check "throughput(0, 0) = 2, flagged" jq -e '.outputs.ratio == 2 and .outputs.beyond == true and .outputs.bounded <= 1' "$T/t0.json"

"$S" jitter --json --delta 1 >"$T/j.json"
check "jitter(1) = sqrt 2" near "$T/j.json" .outputs.jitter 1.4142135623730951

"$S" underrun --json --lambda 1000 --buffer 1024 --rate 48000 --t-s .01 >"$T/un.json"
check "underrun = 1.1967e-5" jq -e '((.outputs.probability / 1.1967e-5) - 1 | fabs) < 1e-3' "$T/un.json"
"$S" underrun --json --lambda 1000 --buffer 100 --rate 48000 --t-s .01 >"$T/un1.json"
check "underrun below zero slack = 1" jq -e '.outputs.probability == 1' "$T/un1.json"

"$S" fastpath --json --tau .5 --nu 100 --t-u 10 --t-fast 1 >"$T/f.json"
check "fuse hit rate = 0.980392" jq -e '((.outputs.hit_rate - 0.980392) | fabs) < 1e-6' "$T/f.json"

"$S" ebpf --json --t-verify 5000 --t-up 10 --t-exec .2 >"$T/e.json"
check "ebpf break-even = 510.204" jq -e '((.outputs.break_even - 510.204) | fabs) < 1e-3' "$T/e.json"
"$S" ebpf --json --t-verify 5000 --t-up .1 --t-exec .2 >"$T/e0.json"
check "ebpf never pays when the upcall is cheaper" jq -e '.outputs.break_even == null and .outputs.ever_pays == false' "$T/e0.json"

"$S" copy --json --t-copy 2 --t-remap 10 .75:2:1:.5 .25:4:.5:1 >"$T/c.json"
check "copy cost = 2.5" near "$T/c.json" .outputs.cost 2.5
check "copy cost with remap = 15" near "$T/c.json" .outputs.cost_remap 15

# knapsack: greedy would take A, the optimum is {B, C}
"$S" migration --json --budget 0.09531017980432493 \
	A:1:0.058268908123975824:40 B:1:0.046883585898850384:30 \
	C:1:0.046883585898850384:30 >"$T/m.json"
check "budgeted selection chooses B and C, gain 60" jq -e \
	'[.outputs.ranking[] | select(.chosen) | .name] == ["B", "C"] and .outputs.selection.gain == 60' "$T/m.json"
"$S" migration --alpha 1 --beta 0 b:2:0 a:2:0 c:1:0 >"$T/m.txt"
check "ranking: lowest j first, ties by name" \
	sh -c "awk 'NR > 1 { printf \"%s \", \$2 }' '$T/m.txt' | grep -qx 'c a b '"

# --- bad input: exit 2, a message naming what was wrong, nothing on stdout
usage_error "negative cost is refused, named" "c-sys" "$S" latency --c-sys -1 --c-ipc 1 --c-copy 1 --t-k 1 --t-u 1
usage_error "not a number is refused, named" "c-ipc" "$S" latency --c-sys 1 --c-ipc x --c-copy 1 --t-k 1 --t-u 1
usage_error "NaN is refused" "t-k" "$S" latency --c-sys 1 --c-ipc 1 --c-copy 1 --t-k nan --t-u 1
usage_error "probability above 1 is refused, named" "beta" "$S" throughput --alpha 0 --beta 1.5
usage_error "weights not summing to 1 are refused" "sum to 1" "$S" utility --w-s .5 --w-p .5 --w-c .5 --s 1 --p 1 --c 1
usage_error "missing parameter is named" "delta" "$S" jitter
usage_error "unknown option is named" "bogus" "$S" jitter --delta 1 --bogus 2
usage_error "class weights not summing to 1" "sum to 1" "$S" copy --t-copy 1 .5:1:1:1 .6:1:1:1
usage_error "malformed candidate is named" "oops" "$S" migration oops

# --- A/B on a file of pairs
awk 'BEGIN { for (i = 0; i < 12; i++) { a = 100 + (i * 37 % 11) / 3; printf "%g %g\n", a, a * 1.15 * (1 + ((i * 53 % 7) - 3) / 300) } }' >"$T/pairs"
"$S" ab --json "$T/pairs" >"$T/ab1.json"
"$S" ab --json <"$T/pairs" >"$T/ab2.json"
check "ab: the same data and seed give byte-identical JSON" cmp -s "$T/ab1.json" "$T/ab2.json"
check "ab: a 15% slowdown reads slower" jq -e '.verdict == "slower" and .ratio > 1.1 and .ratio < 1.2' "$T/ab1.json"
awk '{ print $2, $1 }' "$T/pairs" | "$S" ab --json >"$T/ab3.json"
check "ab: swapping A and B gives the reciprocal ratio" sh -c \
	"jq -n --slurpfile x '$T/ab1.json' --slurpfile y '$T/ab3.json' -e '((\$x[0].ratio * \$y[0].ratio) - 1 | fabs) < 1e-12 and \$y[0].verdict == \"faster\"' >/dev/null"
head -4 "$T/pairs" | "$S" ab --json >"$T/ab4.json"
check "ab: 4 pairs are insufficient" jq -e '.verdict == "insufficient"' "$T/ab4.json"
printf '1 2\n# comment\n3 x\n' >"$T/bad"
usage_error "ab: a bad line is reported as file:line" "bad:3:" "$S" ab "$T/bad"
printf '1 2\n0 2\n' >"$T/zero"
usage_error "ab: a zero sample is refused" "zero:2:" "$S" ab "$T/zero"

# --- calibration: short, but every constant measured and written
"$S" calibrate --quick --reps 3 --json --output "$T/cal.json" >"$T/cal.out"; st=$?
check "calibrate exits 0" [ "$st" -eq 0 ]
check "calibrate: JSON on stdout equals the file" cmp -s "$T/cal.out" "$T/cal.json"
check "calibrate: every constant has a positive median and 3 reps" jq -e '
	[.constants | to_entries[]
	 | select(.key | IN("jitter_rms", "delta", "jitter_model", "ipc_cross_cpu") | not)
	 | .value.median > 0 and (.value.reps | length) == 3] | all and length == 9' "$T/cal.json"
check "calibrate: 13 constants, the cross-CPU one null only on one CPU" jq -e '
	(.constants | length) == 13 and
	(if .machine.cpus > 1 then .constants.ipc_cross_cpu.median > 0
	 else .constants.ipc_cross_cpu.median == null end)' "$T/cal.json"
check "calibrate: the model's jitter is delta * sqrt 2" jq -e '
	.constants.jitter_model.reps as $m | .constants.delta.reps as $d |
	[range(0; 3) | (($m[.] - $d[.] * 1.4142135623730951) | fabs) <= 1e-6 * ([$m[.], 1] | max)] | all' "$T/cal.json"
idle=/sys/devices/system/cpu/cpuidle
drv=$(cat $idle/current_driver 2>/dev/null || true)
gov=$(cat $idle/current_governor_ro 2>/dev/null || true)
poll=
[ "$gov" = haltpoll ] && poll=$(cat /sys/module/haltpoll/parameters/guest_halt_poll_ns 2>/dev/null || true)
check "calibrate: machine.idle gives the cpuidle driver, governor and haltpoll's poll as sysfs has them" \
	jq -e --arg d "$drv" --arg g "$gov" --arg p "$poll" '.machine.idle |
	.driver == (if $d == "" then null else $d end) and
	.governor == (if $g == "" then null else $g end) and
	.halt_poll_ns == (if $p == "" then null else ($p | tonumber) end)' "$T/cal.json"
check "calibrate: no temporary file left" sh -c "[ \$(ls '$T' | grep -c 'cal.json.tmp') -eq 0 ]"
usage_error "calibrate: --reps 2 is refused" "reps" "$S" calibrate --reps 2

done_testing
