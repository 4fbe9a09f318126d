#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# static-analysis.sh - the C sources are cppcheck clean (warning, style,
# performance and portability checks).  A finding fails the test and is
# printed in its log.

. "${HK_SRCDIR:-.}/tests/lib.sh"
require_cmd cppcheck

cd "$HK_SRCDIR" || exit 1
dirs=
for d in common scores fs-server net-server shim migrate bench tests; do
	[ -d "$d" ] && dirs="$dirs $d"
done

# shellcheck disable=SC2086
cppcheck --quiet --error-exitcode=1 --std=c11 \
	--enable=warning,style,performance,portability \
	--suppress=missingIncludeSystem --inline-suppr \
	-D__GNUC__ -DPACKAGE_VERSION='"0"' -I common -I scores \
	$dirs >"$T/report" 2>&1
st=$?
diag_lines <"$T/report"
ok "$st" "cppcheck finds nothing in:$dirs"

done_testing
