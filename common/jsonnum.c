// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * jsonnum.c - doubles for JSON output
 *
 * json-c prints doubles with "%.17g", which turns 0.1 into
 * 0.10000000000000001.  We print the shortest of %.15g..%.17g that reads
 * back to the same double, so files stay exact and readable, and the
 * output depends only on the value (byte-identical for identical input).
 * JSON has no NaN or infinity: those become null.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "jsonnum.h"

static void jsonnum_format(double v, char *buf, size_t len)
{
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(buf, len, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			return;
	}
}

/**
 * jsonnum_new() - a JSON number for @v, or null when @v is not finite
 * @v:	the value
 *
 * Return: a new json_object (NULL for JSON null)
 */
struct json_object *jsonnum_new(double v)
{
	char buf[40];

	if (!isfinite(v))
		return NULL;
	jsonnum_format(v, buf, sizeof(buf));
	return json_object_new_double_s(v, buf);
}

/**
 * jsonnum_add() - add @key: @v to @obj
 * @obj:	JSON object
 * @key:	member name
 * @v:	value; not finite becomes null
 */
void jsonnum_add(struct json_object *obj, const char *key, double v)
{
	json_object_object_add(obj, key, jsonnum_new(v));
}
