/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * inode.h - the server's inodes: one O_PATH descriptor per file of the
 * source tree that the kernel knows about
 */
#ifndef HK_FS_INODE_H
#define HK_FS_INODE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct inode {
	int fd;			/* O_PATH | O_NOFOLLOW, beneath the source */
	dev_t dev;
	ino_t ino;
	mode_t type;		/* S_IFMT bits; fixed for the inode's life */
	uint64_t nlookup;	/* kernel references; under the table lock */
	int backing_id;		/* passthrough backing file, or 0 */
	unsigned int backing_refs; /* passthrough opens sharing it */
	int wd;			/* inotify watch of a directory, or 0 */
	/* what the kernel was last told of this inode (atomics) */
	int64_t sent_ctime_ns;
	int64_t sent_size;
	unsigned int writers;	/* opens for writing through the mount */
	struct lock_owner *owners; /* POSIX lock owners' descriptions (locks.c) */
	struct inode *next;	/* hash chain */
};

struct inode_table {
	pthread_mutex_t lock;
	struct inode **buckets;
	size_t nbuckets;	/* power of two */
	size_t count;
	struct inode root;	/* never in the hash, never forgotten */
	/* called, outside the lock, before an inode is freed */
	void (*on_free)(struct inode *in, void *arg);
	void *on_free_arg;
};

int inode_table_init(struct inode_table *t, int root_fd);
void inode_table_destroy(struct inode_table *t);
int inode_lookup(struct inode_table *t, int parent_fd, const char *name,
		 struct inode **out, struct stat *st);
void inode_forget(struct inode_table *t, struct inode *in, uint64_t n);
size_t inode_count(struct inode_table *t);
struct inode *inode_find(struct inode_table *t, dev_t dev, ino_t ino);

#endif /* HK_FS_INODE_H */
