#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# net-fuzz.sh - hk-net-server's frame path under libFuzzer, ASan and
# UBSan for a bounded time (HK_FUZZ_SECONDS, 60 by default), starting from
# seeds that reach each branch: the responder's four answers, TCP
# super-frames over IPv4 and IPv6 and a UDP one cut for a port without
# offloads, a checksum left to complete, a VLAN tag.  It passes when no
# input crashes it or breaks what the fuzz target checks.

. "${HK_SRCDIR:-.}/tests/lib.sh"

FUZZ="$HK_BUILDDIR/net-server/hk-net-fuzz"
[ -x "$FUZZ" ] || skip_all "hk-net-fuzz was not built (configure found no clang with libFuzzer)"
require_cmd python3

secs=${HK_FUZZ_SECONDS:-60}
python3 "$HK_SRCDIR/tests/netpkt.py" fuzz-seeds "$T/corpus"
check "the seeds run clean" sh -c "\"$FUZZ\" -runs=0 \"$T/corpus\" >\"$T/seeds\" 2>&1"
(cd "$T" && "$FUZZ" -max_total_time="$secs" -timeout=5 -rss_limit_mb=1024 -max_len=65600 \
	-print_final_stats=1 "$T/corpus" >"$T/out" 2>&1)
st=$?
ok $st "fuzzed for $secs s without a crash"
[ $st -eq 0 ] || tail -n 40 "$T/out" | diag_lines
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$T/out")
cov=$(grep -o 'cov: [0-9]*' "$T/out" | tail -1)
diag "$runs inputs, $cov"
check "it ran inputs (at least 10000)" test "${runs:-0}" -ge 10000
done_testing
