/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * abi.h - the FUSE wire headers the server reads and writes itself
 *
 * libfuse composes and parses requests, but the custom I/O hooks
 * (passthrough.c) and the io_uring transport (ring.c) look at them
 * directly.  Layouts are the kernel's UAPI (struct fuse_in_header and
 * struct fuse_out_header); libfuse 3.14 does not install its copy.
 */
#ifndef HK_FS_ABI_H
#define HK_FS_ABI_H

#include <stdint.h>

#define ABI_OP_LOOKUP	1
#define ABI_OP_FORGET	2
#define ABI_OP_GETATTR	3
#define ABI_OP_READLINK	5
#define ABI_OP_SYMLINK	6
#define ABI_OP_MKNOD	8
#define ABI_OP_MKDIR	9
#define ABI_OP_UNLINK	10
#define ABI_OP_RMDIR	11
#define ABI_OP_RENAME	12
#define ABI_OP_LINK	13
#define ABI_OP_OPEN	14
#define ABI_OP_STATFS	17
#define ABI_OP_RELEASE	18
#define ABI_OP_GETXATTR	22
#define ABI_OP_LISTXATTR	23
#define ABI_OP_FLUSH	25
#define ABI_OP_INIT	26
#define ABI_OP_OPENDIR	27
#define ABI_OP_RELEASEDIR	29
#define ABI_OP_SETLKW	33
#define ABI_OP_ACCESS	34
#define ABI_OP_CREATE	35
#define ABI_OP_BATCH_FORGET	42
#define ABI_OP_RENAME2	45

/* A notice (unique 0) whose error field is this code: every cached name
 * is revalidated at its next use (protocol 7.44, Linux 6.16) */
#define ABI_NOTIFY_INC_EPOCH	8
#define ABI_MINOR_INC_EPOCH	44

struct abi_in_header {
	uint32_t len;		/* the whole request */
	uint32_t opcode;
	uint64_t unique, nodeid;
	uint32_t uid, gid, pid;
	uint16_t total_extlen, padding;
};

struct abi_out_header {
	uint32_t len;		/* the whole reply */
	int32_t error;		/* 0 or -errno */
	uint64_t unique;	/* the request's */
};

_Static_assert(sizeof(struct abi_in_header) == 40, "fuse_in_header");
_Static_assert(sizeof(struct abi_out_header) == 16, "fuse_out_header");

#endif /* HK_FS_ABI_H */
