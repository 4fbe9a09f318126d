/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ring.h - FUSE requests over io_uring, one queue per CPU
 */
#ifndef HK_FS_RING_H
#define HK_FS_RING_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

struct fuse_session;
struct ring;
struct stats;

bool ring_offered(const void *buf, ssize_t len);
bool ring_ask(struct iovec *iov, int count);

struct ring *ring_start(struct fuse_session *se, int dev_fd, size_t max_io,
			struct stats *stats);
void ring_stop(struct ring *r);
ssize_t ring_writev(int fd, const struct iovec *iov, int count);
ssize_t ring_dev_read(struct ring *r, int fd, void *buf, size_t len);

#endif /* HK_FS_RING_H */
