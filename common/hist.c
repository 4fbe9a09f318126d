// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hist.c - histograms of durations, and counters, as JSON
 */
#include <json-c/json.h>

#include "file.h"
#include "hist.h"
#include "log.h"

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

/**
 * stats_publish() - a server's counters, where it was asked to put them
 * @root:	the counters (still the caller's)
 * @path:	--stats PATH, rewritten atomically and indented, or NULL
 * @to_log:	also log them on one line ("stats: {...}"), for SIGUSR1
 */
void stats_publish(struct json_object *root, const char *path, bool to_log)
{
	int ret;

	if (to_log)
		info("stats: %s", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN));
	if (!path)
		return;
	ret = file_write_atomic(path, json_object_to_json_string_ext(root,
			JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED));
	if (ret)
		warn_perror(-ret, "--stats %s", path);
}
