# shellcheck shell=bash
# bench/machine.sh - sourced by bench/fs and bench/net
#
# bench_help SCRIPT: print SCRIPT's header comment, its usage and options
# (everything from its third line to the first line that is not a comment).
bench_help() {
	awk 'NR > 2 && !/^#/ { exit } NR > 2 { sub(/^# ?/, ""); print }' "$1"
}

# What a wake-up costs decides much of what a user-space server costs:
# each FUSE request, and each frame a sleeping net-server is woken for,
# pays one or two of them.  On a virtual machine a wake-up of an idle
# CPU can cost ten times a switch on one CPU.  So before measuring, the
# benches measure this machine with hk-scores calibrate (the planner's own
# constants), print the figures that explain their rows, and keep the
# whole calibration in their JSON.

# How an idle CPU waits is the largest part of that cost on a virtual
# machine: one that polls a while before halting is woken by a store, one
# that halted needs an interrupt, an exit to the host and the host's
# scheduling of the vCPU.  On a KVM guest with the haltpoll cpuidle
# governor, --idle-poll NS sets how long (guest_halt_poll_ns) for the
# run, and the old value is put back at exit, so that one command shows
# what the servers cost where wake-ups are cheap, beside what they cost
# as the machine is set.  hk-scores calibrate records the setting it ran
# under (machine.idle in the JSON).
idle_param=/sys/module/haltpoll/parameters/guest_halt_poll_ns
idle_was=

# machine_idle_check NS NAME: exit 2, with a message naming what is wrong,
# unless NS is a poll time this machine can take; changes nothing.
machine_idle_check() {
	local ns=$1 name=$2 gov

	[[ $ns =~ ^[0-9]+$ ]] && [ "${#ns}" -le 8 ] && [ "$ns" -le 10000000 ] || {
		echo "$name: --idle-poll '$ns': give nanoseconds, from 0 to 10000000" >&2
		exit 2
	}
	gov=$(cat /sys/devices/system/cpu/cpuidle/current_governor_ro 2>/dev/null) || gov=
	[ "$gov" = haltpoll ] && [ -w "$idle_param" ] || {
		echo "$name: --idle-poll: this machine's idle CPUs are not under the haltpoll governor (cpuidle governor: ${gov:-none}); there is no poll time to set" >&2
		exit 2
	}
}

# machine_idle_set NS NAME: set the poll time for the run; the caller's
# exit trap calls machine_idle_restore.
machine_idle_set() {
	local ns=$1 name=$2

	idle_was=$(cat "$idle_param")
	echo "$ns" >"$idle_param"
	echo "$name: idle CPUs poll up to $ns ns before halting for this run (guest_halt_poll_ns was $idle_was)" >&2
}

# machine_idle_restore: put back the poll time machine_idle_set changed.
machine_idle_restore() {
	if [ -n "$idle_was" ]; then
		echo "$idle_was" >"$idle_param" || true
		idle_was=
	fi
}

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
			(.machine.idle // {}) as $i
			| (if $i.halt_poll_ns == 0 then "; idle CPUs halt without polling"
			   elif $i.halt_poll_ns != null then "; idle CPUs poll up to \($i.halt_poll_ns / 1000) us before halting"
			   elif $i.driver != null then "; idle CPUs: cpuidle \($i.driver)" else "" end) as $idle
			| "\($name): this machine (hk-scores calibrate): a system call \($c.c_sys.median | round) ns; a pipe round trip \(us("ipc_same_cpu")) on one CPU, \(us("ipc_cross_cpu")) across two\($idle)"' \
			"$out" >&2
	else
		echo null >"$out"
		echo "$name: hk-scores calibrate did not run ($scores); no machine figures" >&2
	fi
}

# machine_cpu_busy: the CPU time all of this machine's CPUs have worked
# since it booted, in clock ticks (machine_hz a second): the CPUs' time since
# boot less what they spent idle, waiting for I/O, or stolen by the host.
# The kernel keeps an idle CPU's time exactly, while its user and system
# times are samples taken at the timer tick, which miss work done between
# ticks by a CPU that sleeps and wakes often: for two processes playing
# ping-pong over pipes, the samples summed to 1.04 CPU-seconds in 2 s
# where this gave 1.66 and the processes' own run times 1.44 (2026-12-07,
# 2 vCPUs, 250 Hz).  The difference of two calls is the work done between
# them, by every process and interrupt.
machine_hz=$(getconf CLK_TCK)
machine_cpu_busy() {
	awk -v hz="$machine_hz" '
		FILENAME == "/proc/uptime" { up = $1 }
		FILENAME == "/proc/stat" && /^cpu / { off = $5 + $6 + $9 }
		FILENAME == "/proc/stat" && /^cpu[0-9]/ { n++ }
		END { printf "%.0f\n", n * up * hz - off }' /proc/uptime /proc/stat
}

# machine_cpu_per BUSY0 BUSY1 WORK [SCALE]: the CPU time worked between
# two readings of machine_cpu_busy per unit of WORK, in seconds times
# SCALE (1e6: microseconds), or - where no work was done
machine_cpu_per() {
	awk -v b0="$1" -v b1="$2" -v n="$3" -v scale="${4:-1}" -v hz="$machine_hz" \
		'BEGIN { if (n + 0 > 0) printf "%.4g\n", (b1 - b0) / hz * scale / n; else print "-" }'
}
