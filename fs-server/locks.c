// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * locks.c - POSIX (fcntl) and BSD (flock) locks, held on the source file
 * system itself
 *
 * Were the kernel to keep the mount's locks, they would be right among
 * the mount's users but invisible to processes using SOURCE directly, and
 * a file moved behind the server (hk-shim fs move) is used both ways at
 * once.  So every lock is taken on the source.
 *
 * POSIX locks belong to a lock owner (a process, for the kernel).  Each
 * owner that locks an inode gets its own open file description of it
 * here, and its locks are open-file-description locks (F_OFD_*) on that:
 * owners conflict with each other and with processes on SOURCE exactly as
 * processes do, and an owner's locks never conflict with themselves.  The
 * description is closed, dropping its locks, when the owner closes the
 * file (FLUSH carries the owner) and when the inode is forgotten.
 *
 * BSD locks belong to an open file, and each open through the mount has
 * its own description here already: flock(2) on it is all it takes.
 *
 * A lock that must wait is retried with a backoff up to 10 ms until it is
 * granted or the caller is interrupted, so that a waiter never blocks in
 * the kernel where an interrupt cannot reach it.
 *
 * That has a price: a FLUSH request at every close(2) through the mount,
 * locked or not, since the kernel cannot know which closes drop a lock we
 * hold.  With --locks mount, the server declines both kinds of lock in
 * INIT and the kernel keeps them itself, as it does for a local file
 * system: exact among the mount's users, unseen by SOURCE's other users.
 * A close then needs the server only where close(2) on the source file
 * itself could report something, which on a local disk or memory file
 * system it never does (locks_noflush()).
 */

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <linux/magic.h>
#include <sys/file.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "fs.h"
#include "inode.h"
#include "locks.h"

struct lock_owner {
	struct lock_owner *next;
	uint64_t owner;
	int fd;
};

/* Lock owners of all inodes; taken briefly, never while waiting. */
static pthread_mutex_t locks_mutex = PTHREAD_MUTEX_INITIALIZER;

/* The description of @owner on @in, opened on first use; or -errno. */
static int locks_owner_fd(struct inode *in, uint64_t owner)
{
	char path[FS_PROC_PATH];
	struct lock_owner *o;
	int fd, pfd, e;

	pthread_mutex_lock(&locks_mutex);
	for (o = in->owners; o; o = o->next) {
		if (o->owner == owner) {
			fd = o->fd;
			pthread_mutex_unlock(&locks_mutex);
			return fd;
		}
	}
	pfd = inode_path(in, path);
	if (pfd < 0) {
		pthread_mutex_unlock(&locks_mutex);
		return pfd;
	}
	/* a write lock needs a writable description, a read lock a
	 * readable one: the server may open both ways */
	fd = open(path, O_RDWR | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0 && (errno == EISDIR || errno == EACCES || errno == EROFS))
		fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	e = fd >= 0 ? ENOMEM : errno;
	inode_fd_done(in, pfd);
	o = fd >= 0 ? malloc(sizeof(*o)) : NULL;
	if (!o) {
		if (fd >= 0)
			close(fd);
		pthread_mutex_unlock(&locks_mutex);
		return -e;
	}
	o->owner = owner;
	o->fd = fd;
	o->next = in->owners;
	__atomic_store_n(&in->owners, o, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&locks_mutex);
	return fd;
}

void locks_getlk(fuse_req_t req, struct inode *in, struct flock *lock,
		 uint64_t owner)
{
	int fd = locks_owner_fd(in, owner);

	if (fd < 0) {
		fuse_reply_err(req, -fd);
		return;
	}
	lock->l_pid = 0;
	if (fcntl(fd, F_OFD_GETLK, lock)) {
		fuse_reply_err(req, errno);
		return;
	}
	/* an open-file-description lock has no process: the kernel path
	 * says -1 for those too */
	fuse_reply_lock(req, lock);
}

/*
 * Try @try until it stops saying EAGAIN (Linux's word for a conflict, for
 * fcntl and flock alike), the caller gives up, or it fails otherwise; 0 or
 * an errno.
 */
static int locks_wait(fuse_req_t req, int (*try)(int fd, void *arg), int fd,
		      void *arg)
{
	struct timespec pause = { .tv_nsec = 100 * 1000 };

	for (;;) {
		int ret = try(fd, arg);

		if (ret != EAGAIN)
			return ret;
		if (fuse_req_interrupted(req) ||
		    __atomic_load_n(&((struct fs_ctx *)fuse_req_userdata(req))->stopping,
				    __ATOMIC_ACQUIRE))
			return EINTR;
		nanosleep(&pause, NULL);
		if (pause.tv_nsec < 10 * 1000 * 1000)
			pause.tv_nsec *= 2;
	}
}

static int locks_try_posix(int fd, void *arg)
{
	return fcntl(fd, F_OFD_SETLK, arg) ? errno : 0;
}

void locks_setlk(fuse_req_t req, struct inode *in, struct flock *lock,
		 uint64_t owner, int sleep)
{
	int fd = locks_owner_fd(in, owner), ret;

	if (fd < 0) {
		fuse_reply_err(req, -fd);
		return;
	}
	lock->l_pid = 0;
	ret = sleep && lock->l_type != F_UNLCK ?
	      locks_wait(req, locks_try_posix, fd, lock) : locks_try_posix(fd, lock);
	fuse_reply_err(req, ret);
}

static int locks_try_flock(int fd, void *arg)
{
	return flock(fd, *(int *)arg | LOCK_NB) ? errno : 0;
}

void locks_flock(fuse_req_t req, int fd, int op)
{
	int ret;

	if ((op & LOCK_NB) || (op & LOCK_UN))
		ret = flock(fd, op) ? errno : 0;
	else
		ret = locks_wait(req, locks_try_flock, fd, &op);
	fuse_reply_err(req, ret);
}

/* @owner closed the file: its POSIX locks on @in go (close(2) semantics). */
void locks_drop_owner(struct inode *in, uint64_t owner)
{
	struct lock_owner **pp, *o = NULL;

	/* most files are never locked: no need to take the mutex on each
	 * close (an owner being added now is not this one: it is closing) */
	if (!__atomic_load_n(&in->owners, __ATOMIC_ACQUIRE))
		return;
	pthread_mutex_lock(&locks_mutex);
	for (pp = &in->owners; *pp; pp = &(*pp)->next) {
		if ((*pp)->owner == owner) {
			o = *pp;
			*pp = o->next;
			break;
		}
	}
	pthread_mutex_unlock(&locks_mutex);
	if (o) {
		close(o->fd);
		free(o);
	}
}

/* @in is being freed: nobody can lock it any more. */
void locks_forget(struct inode *in)
{
	struct lock_owner *o = in->owners, *next;

	in->owners = NULL;
	for (; o; o = next) {
		next = o->next;
		close(o->fd);
		free(o);
	}
}

/*
 * File systems whose close(2) never fails: no ->flush, data written back
 * later and its errors reported by fsync(2).  Elsewhere (NFS, SMB, FUSE,
 * ...) a close may report a delayed write error, which FLUSH carries.
 */
static bool locks_quiet_close(long type)
{
	static const unsigned long quiet[] = {
		EXT4_SUPER_MAGIC, XFS_SUPER_MAGIC, BTRFS_SUPER_MAGIC,
		TMPFS_MAGIC, RAMFS_MAGIC, F2FS_SUPER_MAGIC,
	};

	return fs_type_in(type, quiet, sizeof(quiet) / sizeof(quiet[0]));
}

/**
 * locks_noflush() - whether the close of an open of @in may skip FLUSH
 * @ctx:	the server
 * @in:		the inode opened
 * @fd:		the server's descriptor of that open
 *
 * FLUSH drops the closing owner's locks held on SOURCE and reports what
 * close(2) on the source file would.  Neither is needed where the kernel
 * keeps the locks (--locks mount) and the source file's close is quiet.
 * The file system is asked once per thread for each device met in a row.
 *
 * Return: true when the open may be marked FOPEN_NOFLUSH
 */
bool locks_noflush(const struct fs_ctx *ctx, const struct inode *in, int fd)
{
	static __thread dev_t dev;
	static __thread bool known, quiet;
	struct statfs sfs;

	if (!ctx->mount_locks)
		return false;
	if (!known || dev != in->dev) {
		if (fstatfs(fd, &sfs))
			return false;
		quiet = locks_quiet_close(sfs.f_type);
		dev = in->dev;
		known = true;
	}
	return quiet;
}
