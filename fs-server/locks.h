/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * locks.h - POSIX and BSD locks taken on the source file system, so that
 * processes on the kernel path and through the mount see each other's;
 * or, with --locks mount, left to the kernel
 */
#ifndef HK_FS_LOCKS_H
#define HK_FS_LOCKS_H

#include <stdint.h>

#include "fs.h"

struct inode;

void locks_getlk(fuse_req_t req, struct inode *in, struct flock *lock,
		 uint64_t owner);
void locks_setlk(fuse_req_t req, struct inode *in, struct flock *lock,
		 uint64_t owner, int sleep);
void locks_flock(fuse_req_t req, int fd, int op);
void locks_drop_owner(struct inode *in, uint64_t owner);
void locks_forget(struct inode *in);
bool locks_noflush(const struct fs_ctx *ctx, const struct inode *in, int fd);

#endif /* HK_FS_LOCKS_H */
