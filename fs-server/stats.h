/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * stats.h - per-operation counts and latency histograms of hk-fs-server
 */
#ifndef HK_FS_STATS_H
#define HK_FS_STATS_H

#include <stdbool.h>
#include <stdint.h>

#include "hist.h"

struct json_object;

enum stats_op {
	STATS_LOOKUP, STATS_FORGET, STATS_GETATTR, STATS_SETATTR,
	STATS_READLINK, STATS_MKNOD, STATS_MKDIR, STATS_SYMLINK, STATS_LINK,
	STATS_UNLINK, STATS_RMDIR, STATS_RENAME, STATS_OPEN, STATS_CREATE,
	STATS_READ, STATS_WRITE, STATS_FLUSH, STATS_RELEASE, STATS_FSYNC,
	STATS_OPENDIR, STATS_READDIR, STATS_READDIRPLUS, STATS_RELEASEDIR,
	STATS_FSYNCDIR, STATS_STATFS, STATS_GETXATTR, STATS_LISTXATTR,
	STATS_SETXATTR, STATS_REMOVEXATTR, STATS_FALLOCATE,
	STATS_COPY_FILE_RANGE, STATS_LSEEK, STATS_GETLK, STATS_SETLK,
	STATS_FLOCK, STATS_ACCESS,
	STATS_NOPS,
};

/* The source watcher's work (watch.c), written by its thread alone but
 * for @marks */
struct stats_watch {
	uint64_t wakeups;	/* batches read from the queues */
	uint64_t events;	/* events read */
	uint64_t inval_entries;	/* names invalidated in the kernel */
	uint64_t inval_inodes;	/* inodes invalidated in the kernel */
	uint64_t overflows;	/* a queue overflowed */
	uint64_t marks;		/* inodes marked now (the server's threads,
				 * under the watcher's lock) */
	uint64_t unwatched;	/* inodes known now whose changes may go
				 * unseen: short timeouts (ops_timeout()) */
	uint64_t quiet_backings; /* passthrough backing files registered
				  * from the quiet mount (passthrough.c) */
};

struct stats {
	struct hist op[STATS_NOPS];
	struct stats_watch watch;
	unsigned int ring_queues;	/* io_uring queues, or 0 */
	uint64_t ring_requests;		/* requests served over them */
	uint64_t reader_passes;		/* --readers one: reading passed on */
	uint64_t start_ns;
};

void stats_record(struct stats *s, enum stats_op op, uint64_t t0);
struct json_object *stats_json(struct stats *s, const char *fast_path,
			       uint64_t inodes, uint64_t inode_fds,
			       uint64_t inode_handles, uint64_t inode_names);

#endif /* HK_FS_STATS_H */
