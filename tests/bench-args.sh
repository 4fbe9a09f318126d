#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# bench-args.sh - the benchmark scripts refuse bad arguments the way the
# programs do: exit 2, a message naming what was wrong, and nothing made
# (no namespace, no scratch directory, no mount, no package installed
# first); --help prints their usage.  The benchmarks themselves are run
# by hand, never here.

. "${HK_SRCDIR:-.}/tests/lib.sh"
require_cmd ip bash
[ "$(id -u)" -eq 0 ] || skip_all "needs root (the scripts refuse to start without it)"

NETB="${HK_SRCDIR:-.}/bench/net"
FSB="${HK_SRCDIR:-.}/bench/fs"
export HK_BUILDDIR
mkdir -p "$T/d"

# what a run would leave: its namespaces, its scratch directories, mounts
# under $T (make -j runs other tests beside this one, with their own)
state_now() {
	ip netns list | grep '^hkb-' || true
	ls -d /tmp/hk-bench-net.* 2>/dev/null || true
	ls -A "$T/d"
	grep " $T/" /proc/self/mounts || true
}

refused "bench/net: --rows matching no row" "--rows 'nosuchrow' matches no row" \
	bash "$NETB" --rows nosuchrow
refused "bench/net: --configs matching no path" "--configs 'nosuchpath' matches no path" \
	bash "$NETB" --configs nosuchpath
refused "bench/net: --only, its older name, matching no path" \
	"--only 'nosuchpath' matches no path" bash "$NETB" --only nosuchpath
refused "bench/net: --base without a build" "--base $T/nobuild: no hk-net-server" \
	bash "$NETB" --base "$T/nobuild"
refused "bench/net: unknown congestion control" "no congestion control 'nosuchcc'" \
	bash "$NETB" --cc nosuchcc
refused "bench/net: unknown option" "usage: bench/net" \
	bash "$NETB" --nosuchoption 1

refused "bench/fs: --configs matching no configuration" \
	"--configs 'nosuchconfig' matches no configuration" \
	bash "$FSB" --dir "$T/d" --configs nosuchconfig
refused "bench/fs: --rows matching no row" "--rows 'nosuchrow' matches no row" \
	bash "$FSB" --dir "$T/d" --rows nosuchrow
refused "bench/fs: --only, its older name, matching no row" \
	"--only 'nosuchrow' matches no row" bash "$FSB" --dir "$T/d" --only nosuchrow
refused "bench/fs: --base without a build" "--base $T/nobuild: no hk-fs-server" \
	bash "$FSB" --dir "$T/d" --base "$T/nobuild"
refused "bench/fs: --reps 0" "--reps N, N >= 1" bash "$FSB" --dir "$T/d" --reps 0
refused "bench/fs: unknown option" "unknown argument '--nosuchoption'" \
	bash "$FSB" --dir "$T/d" --nosuchoption

# --help: the header, options included, and exit 0
help_names() {	# SCRIPT NAME...: its --help exits 0 and names each NAME
	bash "$1" --help >"$T/help" 2>&1 || return
	shift
	for n in "$@"; do grep -q -- "$n" "$T/help" || return; done
}
# both scripts take the same two selections, and --base
for b in "$NETB" "$FSB"; do
	check "bench/${b##*/} --help names --configs, --rows and --base" \
		help_names "$b" "--configs REGEX" "--rows REGEX" "--base BUILDDIR"
done

done_testing
