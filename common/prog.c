// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * prog.c - where this program is, and the hybridkit programs beside it
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "prog.h"

/**
 * prog_self() - the path of the running program
 *
 * Return: 0, or -errno
 */
int prog_self(char *buf, size_t size)
{
	ssize_t n = readlink("/proc/self/exe", buf, size - 1);

	if (n <= 0)
		return n ? -errno : -ENOENT;
	buf[n] = '\0';
	return 0;
}

/**
 * prog_path() - the hybridkit program @name: $@env when it is set, else
 * the one beside the running program (a build tree), else the installed one
 * @env:	an environment variable that overrides, or NULL
 *
 * Return: 0, or -errno of the last place tried
 */
int prog_path(const char *name, const char *env, char *buf, size_t size)
{
	const char *over = env ? getenv(env) : NULL;
	char self[PATH_MAX], *slash;

	if (over && *over) {
		snprintf(buf, size, "%s", over);
		return access(buf, X_OK) ? -errno : 0;
	}
	if (!prog_self(self, sizeof(self)) && (slash = strrchr(self, '/'))) {
		*slash = '\0';
		snprintf(buf, size, "%s/%s", self, name);
		if (!access(buf, X_OK))
			return 0;
	}
	snprintf(buf, size, "%s/%s", BINDIR, name);
	return access(buf, X_OK) ? -errno : 0;
}
