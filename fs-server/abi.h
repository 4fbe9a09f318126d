/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * abi.h - the FUSE wire headers the server reads and writes itself
 *
 * libfuse composes and parses requests, but the custom I/O hooks
 * (passthrough.c) and the io_uring transport (ring.c) look at them
 * directly.  libfuse 3.14 does not install its copy of the kernel's UAPI
 * header; the system's <linux/fuse.h> gives the opcodes and struct
 * fuse_in_header and fuse_out_header, all older than the protocol of the
 * oldest headers we build with (7.38, Debian 12).  What is newer is
 * spelled out here, and in passthrough.c and ring.c.
 */
#ifndef HK_FS_ABI_H
#define HK_FS_ABI_H

#include <stdint.h>
#include <linux/fuse.h>

/* INIT: the request's fields up to flags2 (protocol 7.36), and where
 * flags and flags2 sit in libfuse's reply (struct fuse_init_out) */
struct abi_init_in {
	uint32_t major, minor, max_readahead, flags, flags2;
};

#define ABI_INIT_OUT_FLAGS	12
#define ABI_INIT_OUT_FLAGS2	32
#define ABI_INIT_EXT		(1U << 30)	/* flags: flags2 is valid */
#define ABI_OVER_IO_URING2	(1U << 9)	/* flags2: FUSE_OVER_IO_URING */

/* A notice (unique 0) whose error field is this code: every cached name
 * is revalidated at its next use (protocol 7.44, Linux 6.16) */
#define ABI_NOTIFY_INC_EPOCH	8
#define ABI_MINOR_INC_EPOCH	44

#endif /* HK_FS_ABI_H */
