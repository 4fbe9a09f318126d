/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * passthrough.h - kernel FUSE passthrough under libfuse 3.14
 */
#ifndef HK_FS_PASSTHROUGH_H
#define HK_FS_PASSTHROUGH_H

#include <stdbool.h>

#include "fs.h"

int passthrough_install(struct fuse_session *se);
bool passthrough_permitted(void);
bool passthrough_open(struct fs_ctx *ctx, struct inode *in, int fd,
		      bool writer);
void passthrough_quiet(struct fs_ctx *ctx);
void passthrough_cancel(struct fs_ctx *ctx, struct inode *in);
void passthrough_release(struct fs_ctx *ctx, struct inode *in);

#endif /* HK_FS_PASSTHROUGH_H */
