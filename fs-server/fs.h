/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fs.h - the context shared by the parts of hk-fs-server
 */
#ifndef HK_FS_H
#define HK_FS_H

#define FUSE_USE_VERSION 312
#include <fuse_lowlevel.h>
#include <stdbool.h>

#include "inode.h"
#include "stats.h"

struct watch;

#define FS_MAX_IO	(1U << 20)	/* max_write, max_read, readahead */

enum fs_fast_path {
	FS_FAST_NONE,		/* every operation reaches the server */
	FS_FAST_CACHE,		/* kernel caches, long timeouts */
	FS_FAST_PASSTHROUGH,	/* file data from the backing file, in the kernel */
};

struct fs_ctx {
	struct inode_table inodes;
	enum fs_fast_path fast;
	double timeout;		/* entry and attribute timeout, seconds */
	bool want_writeback;	/* --writeback */
	bool writeback;		/* the kernel granted the writeback cache */
	bool kernel_passthrough; /* the kernel offered passthrough in INIT */
	int dev_fd;		/* /dev/fuse, for backing-file ioctls */
	struct watch *watch;	/* cache and passthrough: the source watcher */
	struct stats stats;
};

extern const struct fuse_lowlevel_ops fs_ops;

#endif /* HK_FS_H */
