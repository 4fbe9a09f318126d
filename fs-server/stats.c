// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * stats.c - what hk-fs-server counts: for each operation the requests
 * served, their total time, and a histogram of their service time in
 * power-of-two nanosecond buckets
 *
 * Counters are updated with relaxed atomics from every worker; a reader
 * sees each counter exact, and the set as of a moment within the read.
 */
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "stats.h"

static const char *const stats_names[STATS_NOPS] = {
	"lookup", "forget", "getattr", "setattr", "readlink", "mknod",
	"mkdir", "symlink", "link", "unlink", "rmdir", "rename", "open",
	"create", "read", "write", "flush", "release", "fsync", "opendir",
	"readdir", "readdirplus", "releasedir", "fsyncdir", "statfs",
	"getxattr", "listxattr", "setxattr", "removexattr", "fallocate",
	"copy_file_range", "lseek", "getlk", "setlk", "flock",
};

/**
 * stats_record() - count one request of @op that started at @t0
 * @s:	the counters
 * @op:	the operation
 * @t0:	clock_ns() when the handler was entered
 */
void stats_record(struct stats *s, enum stats_op op, uint64_t t0)
{
	struct stats_counter *c = &s->op[op];
	uint64_t ns = clock_ns() - t0;
	int b = ns ? 63 - __builtin_clzll(ns) : 0;

	if (b >= STATS_BUCKETS)
		b = STATS_BUCKETS - 1;
	__atomic_fetch_add(&c->count, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&c->total_ns, ns, __ATOMIC_RELAXED);
	__atomic_fetch_add(&c->hist[b], 1, __ATOMIC_RELAXED);
}

/**
 * stats_json() - the counters as a JSON document
 * @s:	the counters
 * @fast_path:	the fast path in use
 * @inodes:	inodes the kernel holds
 * @pretty:	indented over many lines, or all on one
 *
 * Return: a malloc'd string, or NULL without memory
 */
char *stats_json(struct stats *s, const char *fast_path, uint64_t inodes,
		 bool pretty)
{
	struct json_object *root = json_object_new_object();
	struct json_object *ops = json_object_new_object();
	char *text;

	json_object_object_add(root, "fast_path", json_object_new_string(fast_path));
	json_object_object_add(root, "uptime_ns",
			       json_object_new_uint64(clock_ns() - s->start_ns));
	json_object_object_add(root, "inodes", json_object_new_uint64(inodes));
	json_object_object_add(root, "histogram",
			       json_object_new_string("bucket i counts service times in [2^i, 2^(i+1)) ns"));
	for (int i = 0; i < STATS_NOPS; i++) {
		struct stats_counter *c = &s->op[i];
		struct json_object *o = json_object_new_object();
		struct json_object *h = json_object_new_array();
		int last = -1;

		for (int b = 0; b < STATS_BUCKETS; b++) {
			if (__atomic_load_n(&c->hist[b], __ATOMIC_RELAXED))
				last = b;
		}
		for (int b = 0; b <= last; b++)
			json_object_array_add(h, json_object_new_uint64(
				__atomic_load_n(&c->hist[b], __ATOMIC_RELAXED)));
		json_object_object_add(o, "count", json_object_new_uint64(
			__atomic_load_n(&c->count, __ATOMIC_RELAXED)));
		json_object_object_add(o, "total_ns", json_object_new_uint64(
			__atomic_load_n(&c->total_ns, __ATOMIC_RELAXED)));
		json_object_object_add(o, "hist_log2_ns", h);
		json_object_object_add(ops, stats_names[i], o);
	}
	json_object_object_add(root, "ops", ops);
	text = strdup(json_object_to_json_string_ext(root, pretty ?
			JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED :
			JSON_C_TO_STRING_PLAIN));
	json_object_put(root);
	return text;
}
