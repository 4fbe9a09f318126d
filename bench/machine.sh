# shellcheck shell=bash
# bench/machine.sh - sourced by bench/fs and bench/net
#
# What a wake-up costs decides much of what a user-space server costs:
# each FUSE request, and each frame a sleeping net-server is woken for,
# pays one or two of them.  On a virtual machine a wake-up of an idle
# CPU can cost ten times a switch on one CPU.  So before measuring, the
# benches measure this machine with hk-scores calibrate (the planner's own
# constants), print the figures that explain their rows, and keep the
# whole calibration in their JSON.

# machine_measure SCORES OUT NAME: calibrate with the hk-scores binary
# SCORES into OUT (its JSON, or null when it cannot run) and print a line
# for bench NAME.
machine_measure() {
	local scores=$1 out=$2 name=$3

	if [ -x "$scores" ] && "$scores" calibrate --reps 3 --json >"$out" 2>/dev/null &&
	   jq -e .constants "$out" >/dev/null 2>&1; then
		jq -r --arg name "$name" '.constants as $c
			| def us(k): if $c[k].median == null then "n/a"
				     else "\(($c[k].median / 100 | round) / 10) us" end;
			"\($name): this machine (hk-scores calibrate): a system call \($c.c_sys.median | round) ns; a pipe round trip \(us("ipc_same_cpu")) on one CPU, \(us("ipc_cross_cpu")) across two"' \
			"$out" >&2
	else
		echo null >"$out"
		echo "$name: hk-scores calibrate did not run ($scores); no machine figures" >&2
	fi
}
