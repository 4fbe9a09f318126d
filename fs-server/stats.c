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

#include "clock.h"
#include "stats.h"

static const char *const stats_names[STATS_NOPS] = {
	"lookup", "forget", "getattr", "setattr", "readlink", "mknod",
	"mkdir", "symlink", "link", "unlink", "rmdir", "rename", "open",
	"create", "read", "write", "flush", "release", "fsync", "opendir",
	"readdir", "readdirplus", "releasedir", "fsyncdir", "statfs",
	"getxattr", "listxattr", "setxattr", "removexattr", "fallocate",
	"copy_file_range", "lseek", "getlk", "setlk", "flock", "access",
};

/**
 * stats_record() - count one request of @op that started at @t0
 * @s:	the counters
 * @op:	the operation
 * @t0:	clock_ns() when the handler was entered
 */
void stats_record(struct stats *s, enum stats_op op, uint64_t t0)
{
	hist_add(&s->op[op], clock_ns() - t0);
}

static struct json_object *stats_watch_json(const struct stats_watch *w)
{
	struct json_object *o = json_object_new_object();
	const struct { const char *name; const uint64_t *v; } f[] = {
		{ "wakeups", &w->wakeups }, { "events", &w->events },
		{ "inval_entries", &w->inval_entries },
		{ "inval_inodes", &w->inval_inodes },
		{ "overflows", &w->overflows }, { "marks", &w->marks },
		{ "unwatched", &w->unwatched },
		{ "quiet_backings", &w->quiet_backings },
	};

	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		json_object_object_add(o, f[i].name, json_object_new_uint64(
			__atomic_load_n(f[i].v, __ATOMIC_RELAXED)));
	return o;
}

/**
 * stats_json() - the counters as a JSON document
 * @s:	the counters
 * @fast_path:	the fast path in use
 * @inodes:	inodes the kernel holds
 * @inode_fds:	inodes held by descriptor (the root too)
 * @inode_handles:	inodes held by file handle
 * @inode_names:	inodes held by the name they were listed under
 *
 * Return: a new JSON object
 */
struct json_object *stats_json(struct stats *s, const char *fast_path,
			       uint64_t inodes, uint64_t inode_fds,
			       uint64_t inode_handles, uint64_t inode_names)
{
	struct json_object *root = json_object_new_object();
	struct json_object *ops = json_object_new_object();
	struct json_object *ring;

	json_object_object_add(root, "fast_path", json_object_new_string(fast_path));
	json_object_object_add(root, "uptime_ns",
			       json_object_new_uint64(clock_ns() - s->start_ns));
	json_object_object_add(root, "inodes", json_object_new_uint64(inodes));
	json_object_object_add(root, "inode_fds", json_object_new_uint64(inode_fds));
	json_object_object_add(root, "inode_handles",
			       json_object_new_uint64(inode_handles));
	json_object_object_add(root, "inode_names",
			       json_object_new_uint64(inode_names));
	json_object_object_add(root, "histogram",
			       json_object_new_string(HIST_NOTE));
	for (int i = 0; i < STATS_NOPS; i++)
		json_object_object_add(ops, stats_names[i], hist_json(&s->op[i]));
	json_object_object_add(root, "ops", ops);
	json_object_object_add(root, "watch", stats_watch_json(&s->watch));
	ring = json_object_new_object();
	json_object_object_add(ring, "queues",
		json_object_new_uint64(__atomic_load_n(&s->ring_queues, __ATOMIC_RELAXED)));
	json_object_object_add(ring, "requests",
		json_object_new_uint64(__atomic_load_n(&s->ring_requests, __ATOMIC_RELAXED)));
	json_object_object_add(root, "io_uring", ring);
	return root;
}
