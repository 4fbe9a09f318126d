#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# skip-wrapper.sh - the wrapper that makes cmocka's skips count as skips:
# fed the exact lines cmocka 1.1 prints, it must turn "not ok N # SKIP"
# into "ok N # SKIP", leave real failures alone, and keep the exit status.

. "${HK_SRCDIR:-.}/tests/lib.sh"

W="$HK_SRCDIR/tests/cmocka-tap"

cat >"$T/fake" <<'FAKE'
#!/bin/sh
printf '1..3\nok 1 - a\nnot ok 2 # SKIP b\nnot ok 3 - c\n# t.c:8: error: Failure!\n'
echo "ERROR: message on stderr" >&2
exit 1
FAKE
chmod +x "$T/fake"

sh "$W" "$T/fake" >"$T/out"
st=$?
check "a cmocka skip is rewritten as a passing TAP skip line" grep -qx 'ok 2 # SKIP b' "$T/out"
check "a failure stays 'not ok'" grep -qx 'not ok 3 - c' "$T/out"
check "a pass stays 'ok'" grep -qx 'ok 1 - a' "$T/out"
check "the exit status is kept" [ "$st" -eq 1 ]
check "stderr is kept, in the log" grep -q 'message on stderr' "$T/out"
check "cmocka is asked for TAP" sh -c "CMOCKA_MESSAGE_OUTPUT= sh '$W' env | grep -qx 'CMOCKA_MESSAGE_OUTPUT=TAP'"

done_testing
