/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fs.h - the context shared by the parts of hk-fs-server
 */
#ifndef HK_FS_H
#define HK_FS_H

#define FUSE_USE_VERSION 312
#include <fuse_lowlevel.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "inode.h"
#include "stats.h"

struct watch;
struct ring;

#define FS_MAX_IO	(1U << 20)	/* max_write, max_read, readahead */
#define FS_CACHE_TIMEOUT	86400.0	/* cache, passthrough: the watcher
					 * tells the kernel of changes */
#define FS_UNWATCHED_TIMEOUT	0.1	/* ... of inodes it cannot watch */

enum fs_fast_path {
	FS_FAST_NONE,		/* every operation reaches the server */
	FS_FAST_CACHE,		/* kernel caches, long timeouts */
	FS_FAST_PASSTHROUGH,	/* file data from the backing file, in the kernel */
};

struct fs_ctx {
	struct inode_table inodes;
	enum fs_fast_path fast;
	double timeout;		/* entry and attribute timeout, seconds */
	uid_t euid;		/* the server's own, which never change */
	gid_t egid;
	bool kernel_perms;	/* default_permissions: the kernel checks each
				 * caller; else only the mounting user comes */
	bool mount_locks;	/* --locks mount: the kernel keeps the locks
				 * among the mount's users (locks.c) */
	bool one_reader;	/* --readers one (passthrough.c) */
	bool want_writeback;	/* --writeback */
	bool writeback;		/* the kernel granted the writeback cache */
	bool stacked_source;	/* SOURCE is itself a stacking file system
				 * (overlayfs, ecryptfs, FUSE): passthrough
				 * needs a stack depth of 2 (passthrough.c) */
	bool kernel_passthrough; /* the kernel offered passthrough in INIT */
	bool kernel_killpriv_v2; /* ... and FUSE_HANDLE_KILLPRIV_V2 */
	unsigned int kernel_minor; /* its protocol's minor version, from INIT */
	bool killpriv_v2;	/* we took it: setuid/setgid are ours to clear */
	int dev_fd;		/* /dev/fuse, for backing-file ioctls */
	int quiet_fd;		/* passthrough: a private copy of the source's
				 * mount that the watcher ignores writes on
				 * (passthrough_quiet()), or -1 */
	int quiet_mnt_id;	/* ... the source's mount it copies */
	struct fuse_session *se;
	bool want_uring;	/* --io-uring */
	bool kernel_uring;	/* the kernel offered FUSE_OVER_IO_URING */
	bool kernel_allow_mmap;	/* ... and FUSE_DIRECT_IO_ALLOW_MMAP */
	struct ring *ring;	/* requests over io_uring (ring.c), or NULL */
	bool stopping;		/* the session ended: lock waits give up */
	struct watch *watch;	/* cache and passthrough: the source watcher */
	struct stats stats;
};

extern const struct fuse_lowlevel_ops fs_ops;

/*
 * Whether a file system of statfs(2) type @type is one of the @n @magics
 * (linux/magic.h).  f_type is a signed word that holds a 32-bit magic:
 * only its low 32 bits count.
 */
static inline bool fs_type_in(long type, const unsigned long *magics, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned long)(unsigned int)type == magics[i])
			return true;
	return false;
}

/* The kernel names an inode by its address, and the root FUSE_ROOT_ID. */
static inline struct inode *fs_inode(struct fs_ctx *ctx, fuse_ino_t ino)
{
	return ino == FUSE_ROOT_ID ? &ctx->inodes.root :
				     (struct inode *)(uintptr_t)ino;
}

static inline fuse_ino_t fs_nodeid(struct fs_ctx *ctx, struct inode *in)
{
	return in == &ctx->inodes.root ? FUSE_ROOT_ID : (fuse_ino_t)(uintptr_t)in;
}

#endif /* HK_FS_H */
