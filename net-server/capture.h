/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * capture.h - a port's frames, both ways, to a pcap file
 */
#ifndef HK_NET_CAPTURE_H
#define HK_NET_CAPTURE_H

#include <stdint.h>
#include <sys/uio.h>

struct capture;

int capture_open(struct capture **cp, const char *path);
void capture_frame(struct capture *c, const struct iovec *iov, int n);
uint64_t capture_flush(struct capture *c);
void capture_close(struct capture *c);

#endif /* HK_NET_CAPTURE_H */
