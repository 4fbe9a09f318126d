// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hist.c - histograms of durations as JSON
 */
#include <json-c/json.h>

#include "hist.h"

/**
 * hist_json() - {"count", "total_ns", "hist_log2_ns": [...]} of @h, the
 * array ending at the last bucket that counted something
 * @h:	the histogram, possibly being updated
 *
 * Return: a new JSON object
 */
struct json_object *hist_json(struct hist *h)
{
	struct json_object *o = json_object_new_object();
	struct json_object *a = json_object_new_array();
	int last = -1;

	for (int b = 0; b < HIST_BUCKETS; b++) {
		if (__atomic_load_n(&h->bucket[b], __ATOMIC_RELAXED))
			last = b;
	}
	for (int b = 0; b <= last; b++)
		json_object_array_add(a, json_object_new_uint64(
			__atomic_load_n(&h->bucket[b], __ATOMIC_RELAXED)));
	json_object_object_add(o, "count", json_object_new_uint64(
		__atomic_load_n(&h->count, __ATOMIC_RELAXED)));
	json_object_object_add(o, "total_ns", json_object_new_uint64(
		__atomic_load_n(&h->total_ns, __ATOMIC_RELAXED)));
	json_object_object_add(o, "hist_log2_ns", a);
	return o;
}
