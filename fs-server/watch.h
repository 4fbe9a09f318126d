/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * watch.h - seeing changes made to the source behind the mount's back
 */
#ifndef HK_FS_WATCH_H
#define HK_FS_WATCH_H

#include "fs.h"

int watch_start(struct fs_ctx *ctx, struct fuse_session *se);
void watch_stop(struct fs_ctx *ctx);
int watch_quiet_mount(struct fs_ctx *ctx, int mnt_fd);
void watch_inode(struct fs_ctx *ctx, struct inode *in, struct inode *parent,
		 const char *name);
void watch_forget(struct inode *in, void *arg);
bool watch_covers(const struct inode *in);
void watch_sent(struct inode *in, const struct stat *st);
void watch_hold(struct fs_ctx *ctx);
void watch_release(struct fs_ctx *ctx);

#endif /* HK_FS_WATCH_H */
