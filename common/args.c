// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * args.c - reading numbers and descriptors from the command line
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <unistd.h>

#include "args.h"

/**
 * args_ulong() - @s as a decimal number from @min to @max
 * @s:	the argument
 * @min:	smallest allowed
 * @max:	largest allowed
 * @out:	the number, when it is one
 *
 * Return: true when @s is all digits (no sign, no trailing text) and in
 * range; the caller names the option in its message
 */
bool args_ulong(const char *s, unsigned long min, unsigned long max,
		unsigned long *out)
{
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	*out = strtoul(s, &end, 10);
	return !errno && !*end && *out >= min && *out <= max;
}

/**
 * args_double() - @s as a finite number from @min to @max
 *
 * Return: true when all of @s is the number and it is in range; the
 * caller names the option, or the file and line, in its message
 */
bool args_double(const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end || errno || !isfinite(v) || v < min || v > max)
		return false;
	*out = v;
	return true;
}

/**
 * args_fd() - @s as an inherited, open file descriptor
 * @s:	the argument
 * @out:	the descriptor
 *
 * Return: true when @s is a number that names a descriptor open in this
 * process
 */
bool args_fd(const char *s, int *out)
{
	unsigned long n;

	if (!args_ulong(s, 0, INT_MAX, &n) || fcntl((int)n, F_GETFD) < 0)
		return false;
	*out = (int)n;
	return true;
}

/**
 * notify_ready() - tell the starter that the service is up, and let go
 * @fd:	the descriptor given with --ready-fd, or -1
 *
 * One newline is written and the descriptor closed, so that a starter
 * reading a pipe sees a line on success and end-of-file on failure.
 */
void notify_ready(int fd)
{
	ssize_t n;

	if (fd < 0)
		return;
	n = write(fd, "\n", 1);
	(void)n;	/* a starter that went away has nothing to be told */
	close(fd);
}
