/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * inode.h - the server's inodes: one O_PATH descriptor per file of the
 * source tree that the kernel knows about, or a file handle beyond a
 * budget of descriptors, or, for a file only listed so far, its name
 */
#ifndef HK_FS_INODE_H
#define HK_FS_INODE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/types.h>

/* "/proc/self/fd/N": names the inode of an O_PATH descriptor itself. */
#define FS_PROC_PATH	32

static inline void fs_proc_path(char *buf, int fd)
{
	snprintf(buf, FS_PROC_PATH, "/proc/self/fd/%d", fd);
}

struct file_handle;
struct watch_mark;
struct inode_table;

/* Where a file held by name was listed (inode.c). */
struct inode_name {
	struct inode *parent;	/* holds a reference on it */
	char name[];
};

struct inode {
	/* O_PATH | O_NOFOLLOW, beneath the source; or -1 when the inode is
	 * held by @handle or by @at instead (never a directory).  Use
	 * inode_fd(). */
	int fd;
	struct file_handle *handle;
	int mnt_fd;		/* the mount @handle is opened on */
	struct inode_name *at;	/* under the table lock */
	unsigned int named;	/* of a directory: children held by a name
				 * in it (atomic; changed under the lock) */
	struct inode_table *table;
	dev_t dev;
	ino_t ino;
	mode_t type;		/* S_IFMT bits; fixed for the inode's life */
	uint64_t nlookup;	/* kernel references; under the table lock */
	int backing_id;		/* passthrough backing file, or 0 */
	unsigned int backing_refs; /* passthrough opens sharing it */
	struct watch_mark *mark; /* its fanotify mark (watch.c), or NULL */
	/* what the kernel was last told of this inode (atomics) */
	int64_t sent_ctime_ns;
	int64_t sent_size;
	unsigned int writers;	/* opens for writing through the mount */
	struct lock_owner *owners; /* POSIX lock owners' descriptions (locks.c) */
	struct inode *next;	/* hash chain */
};

struct inode_mount {
	int mnt_id;
	int fd;			/* a directory of it, opened for reading */
};

struct inode_table {
	pthread_mutex_t lock;
	struct inode **buckets;
	size_t nbuckets;	/* power of two */
	size_t count;
	size_t max_fds;		/* inodes held by descriptor at most */
	size_t nfds;		/* inodes held by descriptor now */
	size_t nhandles;	/* inodes held by file handle now */
	size_t nnames;		/* inodes held by name now */
	bool destroying;	/* inode_table_destroy() under way */
	struct inode_mount *mounts;
	size_t nmounts;
	struct inode root;	/* never in the hash, never forgotten */
	/* called, outside the lock, before an inode is freed */
	void (*on_free)(struct inode *in, void *arg);
	void *on_free_arg;
};

int inode_table_init(struct inode_table *t, int root_fd);
void inode_table_destroy(struct inode_table *t);
int inode_lookup(struct inode_table *t, struct inode *parent, const char *name,
		 struct inode **out, struct stat *st, bool by_name);
void inode_forget(struct inode_table *t, struct inode *in, uint64_t n);
size_t inode_count(struct inode_table *t);
struct inode *inode_find(struct inode_table *t, dev_t dev, ino_t ino);
int inode_fd(struct inode *in);
int inode_stat(struct inode *in, struct stat *st);
int inode_at(const struct inode *in, int dirfd, const char *name, struct stat *st);

/* Whether @st, just read, is of @in. */
static inline bool inode_is(const struct inode *in, const struct stat *st)
{
	return st->st_dev == in->dev && st->st_ino == in->ino;
}
int inode_path(struct inode *in, char path[FS_PROC_PATH]);
void inode_fd_done(struct inode *in, int fd);
int inode_keep(struct inode_table *t, struct inode *in, bool last_link);
void inode_counts(struct inode_table *t, size_t *fds, size_t *handles,
		  size_t *names);

#endif /* HK_FS_INODE_H */
