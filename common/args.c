// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * args.c - reading numbers from the command line
 */
#include <errno.h>
#include <stdlib.h>

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
