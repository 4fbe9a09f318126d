// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * args.c - reading numbers, words and descriptors from the command line
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"

/* The decimal number at *@s (digits only: no sign, no space), and *@s
 * moved past it.  False when there is none or it does not fit. */
static bool args_number(const char **s, unsigned long *out)
{
	char *end;

	if (**s < '0' || **s > '9')
		return false;
	errno = 0;
	*out = strtoul(*s, &end, 10);
	*s = end;
	return !errno;
}

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
	return args_number(&s, out) && !*s && *out >= min && *out <= max;
}

/**
 * args_word() - which of @words @s is
 * @s:		the argument
 * @words:	the words an option takes, ending with NULL
 * @out:	the index of @s in @words, when it is one
 *
 * Return: true when @s is one of @words, exactly; the caller names the
 * option and the words in its message
 */
bool args_word(const char *s, const char *const *words, unsigned int *out)
{
	for (unsigned int i = 0; words[i]; i++) {
		if (!strcmp(s, words[i])) {
			*out = i;
			return true;
		}
	}
	return false;
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
 * args_cpus() - @s as a list of CPUs, as taskset -c and cpuset(7) write
 * them: numbers and ranges joined by commas ("0-3,6")
 * @s:	the argument
 * @set:	the CPUs
 *
 * Return: true when all of @s is such a list, each range from low to
 * high, every CPU below CPU_SETSIZE; the caller names the option
 */
bool args_cpus(const char *s, cpu_set_t *set)
{
	CPU_ZERO(set);
	for (;;) {
		unsigned long lo, hi;

		if (!args_number(&s, &lo))
			return false;
		hi = lo;
		if (*s == '-' && (s++, !args_number(&s, &hi) || hi < lo))
			return false;
		if (hi >= CPU_SETSIZE)
			return false;
		for (unsigned long c = lo; c <= hi; c++)
			CPU_SET(c, set);
		if (!*s)
			return true;
		if (*s++ != ',')
			return false;
	}
}

/**
 * args_cpus_format() - @set written as args_cpus() reads it ("0-3,6")
 * @set:	the CPUs
 * @buf:	where
 * @len:	its size; a list that does not fit ends in "..."
 *
 * Return: @buf
 */
char *args_cpus_format(const cpu_set_t *set, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (int c = 0; c < CPU_SETSIZE; c++) {
		int hi = c;
		int k;

		if (!CPU_ISSET(c, set))
			continue;
		while (hi + 1 < CPU_SETSIZE && CPU_ISSET(hi + 1, set))
			hi++;
		k = hi > c ? snprintf(buf + n, len - n, "%s%d-%d", n ? "," : "", c, hi)
			   : snprintf(buf + n, len - n, "%s%d", n ? "," : "", c);
		if (k < 0 || (size_t)k >= len - n) {
			snprintf(buf + (len > 4 ? len - 4 : 0), len > 4 ? 4 : len, "...");
			break;
		}
		n += (size_t)k;
		c = hi;
	}
	return buf;
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
