// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * util.c - small helpers of hk-migrate: its own path, removing a scratch
 * tree, the clock, numbers for the table
 */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "migrate.h"

static int remove_one(const char *path, const struct stat *st, int flag,
		      struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if ((flag == FTW_DP ? rmdir(path) : unlink(path)) && errno != ENOENT)
		return -1;
	return 0;
}

/* rm -r, staying on one file system and never following a link. */
int remove_tree(const char *path)
{
	return nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) ? -errno : 0;
}

/* Four significant digits, without an exponent for everyday values. */
void fmt_metric(char *buf, size_t size, double v)
{
	if (isnan(v))
		snprintf(buf, size, "-");
	else if (fabs(v) >= 1e6 || (v != 0 && fabs(v) < 1e-3))
		snprintf(buf, size, "%.3e", v);
	else if (fabs(v) >= 1000)
		snprintf(buf, size, "%.0f", v);
	else
		snprintf(buf, size, "%.4g", v);
}

volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	interrupted = sig;
}

/*
 * ^C, SIGTERM, SIGHUP, SIGPIPE: the run under way ends (a workload is killed by
 * ^C, or finishes), nothing more is started, and everything the plan made
 * is removed before hk-migrate exits.
 */
void catch_interrupts(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGPIPE, &sa, NULL);	/* "| head" ends the plan, cleanly */
}
