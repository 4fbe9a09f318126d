// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ops.c - the FUSE low-level operations of hk-fs-server
 *
 * Every handler works on the O_PATH descriptors of the inode table with
 * *at() calls and single path components, so the server never resolves a
 * path string and never follows a symlink of the tree.  Handlers compute
 * 0 or -errno and reply once at the end; the kernel's errno is the source
 * file system's own.
 *
 * Files the kernel opens are reopened through /proc/self/fd/N of the
 * inode's O_PATH descriptor: that names the inode itself, not a path that
 * could have been swapped since the lookup.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "caps.h"
#include "clock.h"
#include "fs.h"
#include "locks.h"
#include "log.h"
#include "passthrough.h"
#include "stats.h"
#include "watch.h"

/* fi->fh holds the descriptor; these bits mark what else the open took. */
#define OPS_FH_PASSTHROUGH	(1ULL << 32)	/* a backing-file reference */
#define OPS_FH_WRITER		(1ULL << 33)	/* a count in inode->writers */
#define OPS_FH_DIRECT		(1ULL << 34)	/* direct_io: its writes clear
						 * setuid/setgid here */

static struct fs_ctx *ops_ctx(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

static struct inode *ops_inode(fuse_req_t req, fuse_ino_t ino)
{
	return fs_inode(ops_ctx(req), ino);
}

/*
 * How long the kernel may keep what it is told of @in (its attributes,
 * or for a directory the names looked up in it): as long as the fast
 * path allows where the watcher sees every change of @in, and
 * FS_UNWATCHED_TIMEOUT where it may not (watch_covers()), so that a
 * change behind the mount shows through it within that time anyway.
 */
static double ops_timeout(const struct fs_ctx *ctx, const struct inode *in)
{
	if (ctx->timeout <= 0 || watch_covers(in))
		return ctx->timeout;
	return FS_UNWATCHED_TIMEOUT;
}

static int ops_stat(int fd, struct stat *st)
{
	return fstatat(fd, "", st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) ?
	       -errno : 0;
}

/*
 * Look @name up in @parent and fill an entry reply for it; a new file
 * other than a directory is held by name when @listed (inode.c).
 */
static int ops_entry(fuse_req_t req, struct inode *parent, const char *name,
		     struct fuse_entry_param *e, bool listed)
{
	struct fs_ctx *ctx = ops_ctx(req);
	struct inode *in;
	int ret;

	memset(e, 0, sizeof(*e));
	ret = inode_lookup(&ctx->inodes, parent, name, &in, &e->attr, listed);
	if (ret)
		return ret;
	e->ino = fs_nodeid(ctx, in);
	watch_inode(ctx, in, parent, name);
	e->attr_timeout = ops_timeout(ctx, in);
	e->entry_timeout = ops_timeout(ctx, parent);
	watch_sent(in, &e->attr);
	return 0;
}

/*
 * A name that is not there is answered, where the kernel caches, as an
 * entry without an inode and with the directory's timeout: the kernel
 * keeps it (a negative dentry), so asking again for a missing file (a
 * build's search paths, an interpreter's imports) costs no request.  A
 * name made behind the mount raises FAN_CREATE or FAN_MOVED_TO in its
 * directory's mark, and the watcher has the kernel forget the entry
 * (watch.c); in a directory it cannot watch, the entry lasts
 * FS_UNWATCHED_TIMEOUT (ops_timeout()).
 */
static void ops_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct inode *p = ops_inode(req, parent);
	struct fuse_entry_param e;
	int ret = ops_entry(req, p, name, &e, false);
	double timeout;

	if (ret == -ENOENT && (timeout = ops_timeout(ops_ctx(req), p)) > 0) {
		memset(&e, 0, sizeof(e));
		e.entry_timeout = timeout;
		fuse_reply_entry(req, &e);
	} else if (ret) {
		fuse_reply_err(req, -ret);
	} else {
		fuse_reply_entry(req, &e);
	}
}

/*
 * A file made through the mount belongs to the caller, not to the server.
 * The file system made it as us (root); give it to the caller, leaving the
 * group alone when the directory's setgid bit chose it.
 */
static int ops_give_to_caller(fuse_req_t req, struct inode *parent,
			      struct fuse_entry_param *e)
{
	const struct fuse_ctx *c = fuse_req_ctx(req);
	const struct fs_ctx *ctx = ops_ctx(req);
	struct inode *in = ops_inode(req, e->ino);
	char path[FS_PROC_PATH];
	struct stat pst;
	gid_t gid = c->gid;
	int ret, fd;

	if (c->uid == ctx->euid && c->gid == ctx->egid)
		return 0;
	ret = ops_stat(parent->fd, &pst);
	if (ret)
		return ret;
	if (pst.st_mode & S_ISGID)
		gid = (gid_t)-1;
	fd = inode_path(in, path);
	if (fd < 0)
		return fd;
	if (fchownat(fd, "", c->uid, gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW))
		ret = -errno;
	/* chown cleared the setuid and setgid bits the caller asked for */
	else if (S_ISREG(e->attr.st_mode) &&
		 (e->attr.st_mode & (S_ISUID | S_ISGID)) &&
		 chmod(path, e->attr.st_mode & 07777))
		ret = -errno;
	else
		ret = ops_stat(fd, &e->attr);
	inode_fd_done(in, fd);
	if (!ret)
		watch_sent(in, &e->attr);
	return ret;
}

/* The entry of @name, just made in @parent; the caller's when @give. */
static int ops_made_entry(fuse_req_t req, struct inode *parent,
			  const char *name, bool give, struct fuse_entry_param *e)
{
	int ret = ops_entry(req, parent, name, e, false);

	if (!ret && give) {
		ret = ops_give_to_caller(req, parent, e);
		if (ret)
			inode_forget(&ops_ctx(req)->inodes, ops_inode(req, e->ino), 1);
	}
	return ret;
}

/* Reply to a mknod/mkdir/symlink/link that made @name in @parent. */
static void ops_reply_made(fuse_req_t req, struct inode *parent,
			   const char *name, bool give)
{
	struct fuse_entry_param e;
	int ret = ops_made_entry(req, parent, name, give, &e);

	if (ret)
		fuse_reply_err(req, -ret);
	else
		fuse_reply_entry(req, &e);
}

static void ops_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	inode_forget(&ops_ctx(req)->inodes, ops_inode(req, ino), nlookup);
	fuse_reply_none(req);
}

static void ops_forget_multi(fuse_req_t req, size_t count,
			     struct fuse_forget_data *forgets)
{
	struct fs_ctx *ctx = ops_ctx(req);

	for (size_t i = 0; i < count; i++)
		inode_forget(&ctx->inodes, ops_inode(req, forgets[i].ino),
			     forgets[i].nlookup);
	fuse_reply_none(req);
}

static void ops_getattr(fuse_req_t req, fuse_ino_t ino,
			struct fuse_file_info *fi)
{
	struct inode *in = ops_inode(req, ino);
	struct stat st;
	int ret, fd = inode_fd(in);

	(void)fi;
	ret = fd < 0 ? fd : ops_stat(fd, &st);
	inode_fd_done(in, fd);
	if (ret) {
		fuse_reply_err(req, -ret);
		return;
	}
	watch_sent(in, &st);
	fuse_reply_attr(req, &st, ops_timeout(ops_ctx(req), in));
}

/* The caller is in group @gid, or is root (standing for CAP_FSETID). */
static bool ops_in_group(fuse_req_t req, gid_t gid)
{
	const struct fuse_ctx *c = fuse_req_ctx(req);
	gid_t groups[64];
	int n;

	if (c->uid == 0 || c->gid == gid)
		return true;
	n = fuse_req_getgroups(req, 64, groups);
	for (int i = 0; i < n && i < 64; i++)
		if (groups[i] == gid)
			return true;
	return false;
}

/*
 * Writing, truncating or chown-ing a file other than a directory clears
 * its setuid bit, and its setgid bit where group execute is set or the
 * caller is not in the file's group (the kernel's
 * setattr_should_drop_suidgid() and setattr_should_drop_sgid()); a writer
 * with CAP_FSETID keeps both.  FUSE's own clearing knows only the first
 * setgid case, and the server acts as root, so the server clears them
 * itself where the kernel leaves it to the server: writes through a
 * direct_io file, O_TRUNC at open, and with FUSE_HANDLE_KILLPRIV_V2
 * truncation and a writer's empty SETATTR (ops_chown_clear()); a chown
 * after root's.
 * libfuse 3.14 does not pass on the kernel's FUSE_WRITE_KILL_SUIDGID: a
 * caller of uid 0 stands for one with CAP_FSETID.
 *
 * Return: the bits of @st's mode that a write or a chown by the caller
 * clears.
 */
static mode_t ops_write_kill(fuse_req_t req, const struct stat *st)
{
	mode_t kill = S_ISUID;

	if (!S_ISREG(st->st_mode))
		return 0;
	if ((st->st_mode & S_IXGRP) ||
	    ((st->st_mode & S_ISGID) && !ops_in_group(req, st->st_gid)))
		kill |= S_ISGID;
	return st->st_mode & kill;
}

/*
 * Clear @bits of @mode, the mode just read of the file open at @fd (or at
 * @path, @fd -1), where it has any of them.  Return: 0 or an errno value.
 */
static int ops_clear_mode(int fd, const char *path, mode_t mode, mode_t bits)
{
	mode_t to = mode & 07777 & ~bits;

	if (!(mode & bits))
		return 0;
	return (fd >= 0 ? fchmod(fd, to) : chmod(path, to)) ? errno : 0;
}

/* The writes of a user other than root: @fd an open file, or -1 for @path. */
static void ops_kill_suid(fuse_req_t req, int fd, const char *path)
{
	struct stat st;
	int e;

	if (fuse_req_ctx(req)->uid == 0 || (fd >= 0 ? fstat(fd, &st) : stat(path, &st)))
		return;
	e = ops_clear_mode(fd, path, st.st_mode, ops_write_kill(req, &st));
	if (e)
		warn_perror(e, "clearing setuid/setgid");
}

/*
 * A change that may clear the setuid or setgid bit of a file, made by a
 * user other than root, is made by the worker as the caller's would be:
 * without CAP_FSETID, and in the caller's groups, which decide whether a
 * setgid bit goes (in_group_or_capable()).  Then the file system under
 * us clears what it clears for the caller, by rules of its own where it
 * has them: XFS keeps both bits when truncate(2) leaves an empty file
 * empty, where ext4, btrfs and tmpfs clear them; tmpfs drops setgid when an
 * access ACL is removed, where ext4, XFS and btrfs keep it.  Such
 * changes: a truncation (ops_truncate()), an access ACL set or removed
 * (ops_setxattr(), ops_removexattr()).  The credentials are the thread's
 * own (capset(2), setfsgid(2) and the system call setgroups(2), where
 * glibc's wrapper would change every thread's), and are put back before
 * the worker does anything else.
 */
#define OPS_MAX_GROUPS 64

struct ops_cred {
	struct caps_saved caps;
	gid_t fsgid;
	int ngroups;
	gid_t groups[OPS_MAX_GROUPS];
};

/* Put back the credentials @s saved: a worker left as a caller would
 * serve the next requests with the wrong rights, so it cannot go on. */
static void ops_cred_restore(const struct ops_cred *s, bool groups)
{
	if ((groups && syscall(SYS_setgroups, (size_t)s->ngroups, s->groups)) ||
	    (setfsgid(s->fsgid), setfsgid((gid_t)-1) != (int)s->fsgid) ||
	    !caps_thread_restore(&s->caps)) {
		err("cannot take back the server's credentials after a change made as its caller");
		abort();
	}
}

/* Become the caller of @req for such a change, saving ours in @s.
 * Return: false, with nothing changed, where that cannot be done (more
 * than OPS_MAX_GROUPS groups; setgroups(2) denied in a user namespace). */
static bool ops_cred_caller(fuse_req_t req, struct ops_cred *s)
{
	gid_t gid = fuse_req_ctx(req)->gid, groups[OPS_MAX_GROUPS];
	int n = fuse_req_getgroups(req, OPS_MAX_GROUPS, groups);

	s->ngroups = getgroups(OPS_MAX_GROUPS, s->groups);
	if (n < 0 || n > OPS_MAX_GROUPS || s->ngroups < 0 ||
	    !caps_thread_drop(CAP_FSETID, &s->caps))
		return false;
	s->fsgid = (gid_t)setfsgid(gid);
	if (setfsgid((gid_t)-1) != (int)gid || syscall(SYS_setgroups, (size_t)n, groups)) {
		ops_cred_restore(s, false);
		return false;
	}
	return true;
}

/* @to is @was but for setuid or setgid taken away, if anything */
static bool ops_mode_only_cleared(mode_t was, mode_t to)
{
	was &= 07777;
	to &= 07777;
	return !(to & ~was) && !((was ^ to) & ~(mode_t)(S_ISUID | S_ISGID));
}

/*
 * Truncate the file open at @fd (or at @path, @fd -1) to @size for the
 * caller of @req.  @sxid: the file has setuid or setgid, which go as the
 * file system under us clears them for the caller (above), or where the
 * worker cannot become the caller, as ops_kill_suid() says.
 * Return: 0 or -errno.
 */
static int ops_truncate(fuse_req_t req, int fd, const char *path, off_t size,
			bool sxid)
{
	struct ops_cred cred;
	bool as_caller = sxid && fuse_req_ctx(req)->uid != 0 &&
			 ops_cred_caller(req, &cred);
	int ret = (fd >= 0 ? ftruncate(fd, size) : truncate(path, size)) ? -errno : 0;

	if (as_caller)
		ops_cred_restore(&cred, true);
	else if (!ret && sxid)
		ops_kill_suid(req, fd, path);
	return ret;
}

/*
 * Whether process @pid has a file open for writing whose inode number is
 * @ino: 1, 0, or -1 where its /proc/PID/fdinfo cannot be read.  Files
 * through the mount show the inode numbers of SOURCE.
 */
static int ops_caller_writes(pid_t pid, ino_t ino)
{
	char path[64], line[128];
	struct dirent *de;
	int found = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo", (int)pid);
	d = opendir(path);
	if (!d)
		return -1;
	while (!found && (de = readdir(d))) {
		unsigned long flags = 0, n = 0;
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fdinfo/%.20s", (int)pid, de->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "flags: %lo", &flags) != 1)
				(void)sscanf(line, "ino: %lu", &n);
		fclose(f);
		found = n == (unsigned long)ino && (flags & O_ACCMODE) != O_RDONLY;
	}
	closedir(d);
	return found;
}

/*
 * A chown is made here as root, and the file system under us clears
 * only what a chown by root clears: not the setgid bit of a file without
 * group execute whose group the caller is not in.  chown(f, -1, -1)
 * reaches us as a request with nothing to set: FUSE clears setuid/setgid
 * itself only without FUSE_HANDLE_KILLPRIV_V2, and never that setgid
 * bit.  Yet natively it clears those bits like a chmod, which is refused
 * (EPERM) to a caller who neither owns the file nor is root.  With
 * KILLPRIV_V2 the same empty request also comes before a write (through
 * passthrough too), a fallocate or a copy_file_range by a writer of a
 * file with such bits, which natively clears the same bits for anyone
 * (ops_write_kill()): where the caller has the file open for
 * writing (or its open files cannot be read while @in is open for
 * writing), the request is taken for that.  @before is the file as it
 * was; @owner_set says the request set an owner or a group, which the
 * kernel allowed the caller already.
 */
static int ops_chown_clear(fuse_req_t req, struct inode *in, const char *path,
			   const struct stat *before, bool owner_set)
{
	mode_t kill = ops_write_kill(req, before);
	uid_t uid = fuse_req_ctx(req)->uid;
	struct stat now = *before;

	if (!kill)
		return 0;
	if (!owner_set && uid != 0 && uid != before->st_uid) {
		/* a writer's: it clears what a chown would */
		if (!__atomic_load_n(&in->writers, __ATOMIC_RELAXED) ||
		    !ops_caller_writes(fuse_req_ctx(req)->pid, before->st_ino))
			return -EPERM;
	}
	if (owner_set && stat(path, &now))	/* what root's chown left */
		return -errno;
	return -ops_clear_mode(-1, path, now.st_mode, kill);
}

static void ops_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr,
			int valid, struct fuse_file_info *fi)
{
	struct inode *in = ops_inode(req, ino);
	char path[FS_PROC_PATH];
	struct stat st;
	int ret = 0, fd = inode_path(in, path);
	bool empty = !(valid & ~FUSE_SET_ATTR_CTIME);	/* chown(f, -1, -1) */
	bool owner = valid & (FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID);
	bool size = valid & FUSE_SET_ATTR_SIZE;
	bool user = fuse_req_ctx(req)->uid != 0;
	bool sxid = false;	/* st: a file whose bits a chown or truncate may clear */

	if (fd < 0) {
		ret = fd;
		goto out_err;
	}
	if ((empty || owner || (size && user)) && in->type != S_IFDIR && in->type != S_IFLNK) {
		ret = ops_stat(fd, &st);
		if (ret)
			goto out_err;
		sxid = st.st_mode & (S_ISUID | S_ISGID);
		if (sxid && empty && (ret = ops_chown_clear(req, in, path, &st, false)))
			goto out_err;
	}
	/*
	 * Without KILLPRIV_V2 the kernel sends with a truncation the mode
	 * it would have after FUSE's own clearing (no call sets both): the
	 * truncation clears what the source clears instead (ops_truncate()).
	 */
	if (size && sxid && user && (valid & FUSE_SET_ATTR_MODE) &&
	    ops_mode_only_cleared(st.st_mode, attr->st_mode))
		valid &= ~FUSE_SET_ATTR_MODE;

	if (valid & FUSE_SET_ATTR_MODE) {
		if (in->type == S_IFLNK)
			ret = -EOPNOTSUPP;	/* as lchmod(2) on Linux */
		else if ((fi ? fchmod((int)fi->fh, attr->st_mode) :
			       chmod(path, attr->st_mode)))
			ret = -errno;
		if (ret)
			goto out_err;
	}
	if (valid & (FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID)) {
		uid_t uid = (valid & FUSE_SET_ATTR_UID) ? attr->st_uid : (uid_t)-1;
		gid_t gid = (valid & FUSE_SET_ATTR_GID) ? attr->st_gid : (gid_t)-1;

		if (fchownat(fd, "", uid, gid,
			     AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW)) {
			ret = -errno;
			goto out_err;
		}
		/* root's chown left a setgid bit a user's would clear */
		if (sxid && (st.st_mode & S_ISGID) &&
		    (ret = ops_chown_clear(req, in, path, &st, true)))
			goto out_err;
	}
	/* the setuid and setgid bits go as the source clears them; with
	 * KILLPRIV_V2 the kernel leaves them to us */
	if (size && (ret = ops_truncate(req, fi ? (int)fi->fh : -1, path,
					attr->st_size, sxid)))
		goto out_err;
	if (valid & (FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME)) {
		struct timespec tv[2] = {
			{ .tv_nsec = UTIME_OMIT }, { .tv_nsec = UTIME_OMIT },
		};

		if (valid & FUSE_SET_ATTR_ATIME_NOW)
			tv[0].tv_nsec = UTIME_NOW;
		else if (valid & FUSE_SET_ATTR_ATIME)
			tv[0] = attr->st_atim;
		if (valid & FUSE_SET_ATTR_MTIME_NOW)
			tv[1].tv_nsec = UTIME_NOW;
		else if (valid & FUSE_SET_ATTR_MTIME)
			tv[1] = attr->st_mtim;

		if (fi ? futimens((int)fi->fh, tv) :
			 utimensat(fd, "", tv,
				   AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW)) {
			ret = -errno;
			goto out_err;
		}
	}

	ret = ops_stat(fd, &st);
	if (ret)
		goto out_err;
	inode_fd_done(in, fd);
	watch_sent(in, &st);
	fuse_reply_attr(req, &st, ops_timeout(ops_ctx(req), in));
	return;

out_err:
	inode_fd_done(in, fd);
	fuse_reply_err(req, -ret);
}

static void ops_readlink(fuse_req_t req, fuse_ino_t ino)
{
	struct inode *in = ops_inode(req, ino);
	char buf[PATH_MAX + 1];
	int fd = inode_fd(in);
	ssize_t n = fd < 0 ? fd : readlinkat(fd, "", buf, sizeof(buf));

	if (n < 0)
		n = fd < 0 ? fd : -errno;
	inode_fd_done(in, fd);
	if (n < 0)
		fuse_reply_err(req, (int)-n);
	else if (n == sizeof(buf))
		fuse_reply_err(req, ENAMETOOLONG);
	else {
		buf[n] = '\0';
		fuse_reply_readlink(req, buf);
	}
}

/*
 * This finishes a change that made @name in @p: @err is 0 or its errno.
 * The watcher knows the event it causes on the source for our own
 * (watch.c): the kernel learns of the change from the reply.
 */
static void ops_made(fuse_req_t req, struct inode *p, const char *name,
		     int err, bool give)
{
	if (err) {
		fuse_reply_err(req, err);
	} else {
		ops_reply_made(req, p, name, give);
	}
}

/*
 * A request that makes a file (create, mkdir, mknod) runs with the
 * caller's umask, which the kernel sends instead of applying it
 * (FUSE_DONT_MASK, with FUSE_POSIX_ACL): the file system under us then
 * applies the umask, or the parent's default ACL instead of it, exactly
 * as for the caller.  Each worker thread gets a file-system context of
 * its own once (unshare(CLONE_FS)), so that a umask is per thread.
 */
static void ops_umask(fuse_req_t req)
{
	static __thread bool own_fs;
	static __thread mode_t set;	/* this thread's umask, once own_fs */
	static bool said;
	mode_t mask = fuse_req_ctx(req)->umask;

	if (!own_fs && unshare(CLONE_FS)) {
		if (log_first(&said))
			warn_perror(errno, "unshare(CLONE_FS): the server's umask applies to files it makes");
		return;
	}
	if (!own_fs || mask != set)	/* a system call per file made, else */
		umask(mask);
	own_fs = true;
	set = mask;
}

static void ops_mknod(fuse_req_t req, fuse_ino_t parent, const char *name,
		      mode_t mode, dev_t rdev)
{
	struct inode *p = ops_inode(req, parent);

	ops_umask(req);
	ops_made(req, p, name, mknodat(p->fd, name, mode, rdev) ? errno : 0, true);
}

static void ops_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name,
		      mode_t mode)
{
	struct inode *p = ops_inode(req, parent);

	ops_umask(req);
	ops_made(req, p, name, mkdirat(p->fd, name, mode) ? errno : 0, true);
}

static void ops_symlink(fuse_req_t req, const char *target, fuse_ino_t parent,
			const char *name)
{
	struct inode *p = ops_inode(req, parent);

	ops_made(req, p, name, symlinkat(target, p->fd, name) ? errno : 0, true);
}

static void ops_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent,
		     const char *newname)
{
	struct inode *p = ops_inode(req, newparent), *in = ops_inode(req, ino);
	int fd = inode_fd(in), err;

	if (fd < 0)
		err = -fd;
	else
		err = linkat(fd, "", p->fd, newname, AT_EMPTY_PATH) ? errno : 0;
	inode_fd_done(in, fd);
	ops_made(req, p, newname, err, false);
}

/*
 * @name in @p is about to go (@unlink) or to move: the file it leads to
 * must stay reachable (inode_keep()).  That can matter only where @p has
 * files held by a name in it, or a file held by handle may lose its last
 * link; elsewhere it costs nothing.  The kernel holds the inode of a name
 * it unlinks or renames, so it cannot be forgotten meanwhile.
 */
static void ops_keep_name(struct fs_ctx *ctx, struct inode *p, const char *name,
			  bool unlink)
{
	struct inode *in;
	struct stat st;
	bool last;

	if ((!__atomic_load_n(&p->named, __ATOMIC_RELAXED) &&
	     !(unlink && __atomic_load_n(&ctx->inodes.nhandles, __ATOMIC_RELAXED))) ||
	    fstatat(p->fd, name, &st, AT_SYMLINK_NOFOLLOW) || S_ISDIR(st.st_mode))
		return;
	in = inode_find(&ctx->inodes, st.st_dev, st.st_ino);
	last = unlink && st.st_nlink == 1;
	if (in && inode_keep(&ctx->inodes, in, last) && last)
		warn("an unlinked file held by handle may answer ESTALE");
}

static void ops_remove(fuse_req_t req, fuse_ino_t parent, const char *name,
		       int flags)
{
	struct inode *p = ops_inode(req, parent);
	int err;

	if (!(flags & AT_REMOVEDIR))
		ops_keep_name(ops_ctx(req), p, name, true);
	err = unlinkat(p->fd, name, flags) ? errno : 0;
	fuse_reply_err(req, err);
}

static void ops_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	ops_remove(req, parent, name, 0);
}

static void ops_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	ops_remove(req, parent, name, AT_REMOVEDIR);
}

static void ops_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
		       fuse_ino_t newparent, const char *newname,
		       unsigned int flags)
{
	struct fs_ctx *ctx = ops_ctx(req);
	struct inode *p = ops_inode(req, parent), *np = ops_inode(req, newparent);
	bool both = flags & RENAME_EXCHANGE;	/* both names, both ways */
	int err;

	if (both) {
		ops_keep_name(ctx, np, newname, false);
	} else if (!(flags & RENAME_NOREPLACE)) {
		ops_keep_name(ctx, np, newname, true);	/* it may be replaced */
	}
	ops_keep_name(ctx, p, name, false);
	err = renameat2(p->fd, name, np->fd, newname, flags) ? errno : 0;
	fuse_reply_err(req, err);
}

/* The flags to reopen a file with, and how the kernel may cache it. */
static int ops_open_flags(const struct fs_ctx *ctx, struct fuse_file_info *fi)
{
	int flags = fi->flags & ~(O_CREAT | O_EXCL | O_NOCTTY | O_NOFOLLOW);

	/* With the writeback cache the kernel reads to fill pages of files
	 * opened write-only, and does O_APPEND itself.  It also writes its
	 * cached pages back through whichever handle of the file it picks,
	 * from buffers O_DIRECT refuses (EINVAL, which fsync then reported);
	 * a buffered write here is as coherent with the source. */
	if (ctx->writeback) {
		if ((flags & O_ACCMODE) == O_WRONLY)
			flags = (flags & ~O_ACCMODE) | O_RDWR;
		flags &= ~(O_APPEND | O_DIRECT);
	}
	fi->direct_io = ctx->fast == FS_FAST_NONE;
	fi->keep_cache = ctx->fast == FS_FAST_CACHE;
	return flags | O_CLOEXEC;
}

static void ops_release_fh(struct fs_ctx *ctx, struct inode *in, uint64_t fh)
{
	if (fh & OPS_FH_PASSTHROUGH)
		passthrough_release(ctx, in);
	if (fh & OPS_FH_WRITER) {
		struct stat st;

		/* In cache mode the kernel's pages hold what was written
		 * through this file, and while it was open the watcher spared
		 * them (watch.c): the events of those writes, which it may
		 * read only now, must not throw them away either. */
		if (ctx->fast == FS_FAST_CACHE && !fstat((int)fh, &st))
			watch_sent(in, &st);
		__atomic_sub_fetch(&in->writers, 1, __ATOMIC_RELAXED);
	}
	close((int)fh);
}

/*
 * Whether a write through the open of an existing file at @fd would clear
 * its setuid or setgid bit, where that is ours to do: with
 * FUSE_HANDLE_KILLPRIV_V2 (passthrough), the data of writes through
 * passthrough do not reach us, and the file system under us sees them
 * made by root, who keeps the bits (the kernel's own request to clear
 * them, ops_chown_clear(), comes only where it knows of the bits).
 * Such an open goes direct_io, sharing the backing file of the inode's
 * other opens (passthrough_open()), and its writes come here to clear
 * them at the first write (ops_write_buf), as natively: a file opened for
 * writing and never written keeps them.  O_TRUNC clears them now,
 * natively too.
 */
static bool ops_open_kills(fuse_req_t req, int fd, const struct fuse_file_info *fi)
{
	struct stat st;

	if (fi->flags & O_TRUNC) {
		ops_kill_suid(req, fd, NULL);
		return false;
	}
	return ops_ctx(req)->killpriv_v2 && (fi->flags & O_ACCMODE) != O_RDONLY &&
	       fuse_req_ctx(req)->uid != 0 && !fstat(fd, &st) && ops_write_kill(req, &st);
}

/*
 * Reply to an open (@e NULL) or a create of @in with descriptor @fd;
 * @kills: a write through it would clear setuid/setgid (ops_open_kills()).
 */
static void ops_opened(fuse_req_t req, struct inode *in, int fd,
		       struct fuse_file_info *fi, struct fuse_entry_param *e,
		       bool kills)
{
	struct fs_ctx *ctx = ops_ctx(req);
	int ret;

	fi->fh = (uint64_t)fd;
	fi->noflush = locks_noflush(ctx, in, fd);
	/* pages of a file that may change unseen last only while it is open:
	 * each open reads afresh, as NFS's close-to-open */
	if (!watch_covers(in))
		fi->keep_cache = 0;
	if ((fi->flags & O_ACCMODE) != O_RDONLY) {
		__atomic_add_fetch(&in->writers, 1, __ATOMIC_RELAXED);
		fi->fh |= OPS_FH_WRITER;
	}
	/* its writes come here, to clear the bits (ops_open_kills()); with
	 * passthrough too, which the kernel then lets direct_io override */
	if (kills) {
		fi->direct_io = 1;
		fi->keep_cache = 0;
		fi->fh |= OPS_FH_DIRECT;
	}
	if (passthrough_open(ctx, in, fd, fi->fh & OPS_FH_WRITER))
		fi->fh |= OPS_FH_PASSTHROUGH;
	ret = e ? fuse_reply_create(req, e, fi) : fuse_reply_open(req, fi);
	if (ret == -ENOENT) {
		/* the caller was interrupted and is gone */
		if (fi->fh & OPS_FH_PASSTHROUGH)
			passthrough_cancel(ctx, in);
		ops_release_fh(ctx, in, fi->fh & ~OPS_FH_PASSTHROUGH);
	}
}

static void ops_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct inode *in = ops_inode(req, ino);
	char path[FS_PROC_PATH];
	int fd, pfd = inode_path(in, path);

	if (pfd < 0) {
		fuse_reply_err(req, -pfd);
		return;
	}
	fd = open(path, ops_open_flags(ops_ctx(req), fi));
	if (fd < 0)
		fd = -errno;
	inode_fd_done(in, pfd);
	if (fd < 0) {
		fuse_reply_err(req, -fd);
		return;
	}
	ops_opened(req, in, fd, fi, NULL, ops_open_kills(req, fd, fi));
}

/*
 * Open @name in @p for a CREATE, creating it if it is missing, and say in
 * @made whether it was made here.  The kernel sends CREATE after a LOOKUP
 * found nothing, but another process may have made the file in between:
 * such a file is opened, not made, and keeps its owner (only a file made
 * here goes to the caller) and causes news for the watcher (watch.c).
 * O_EXCL first is how we know which happened.
 */
static int ops_create_fd(struct inode *p, const char *name,
			 int flags, mode_t mode, bool excl, bool *made)
{
	for (int tries = 0; tries < 3; tries++) {
		int fd = openat(p->fd, name, flags | O_CREAT | O_EXCL | O_NOFOLLOW,
				mode);

		*made = fd >= 0;
		if (fd >= 0)
			return fd;
		if (errno != EEXIST || excl)
			return -errno;
		fd = openat(p->fd, name, flags | O_NOFOLLOW);
		if (fd >= 0 || errno != ENOENT)
			return fd >= 0 ? fd : -errno;
		/* removed in between: try to make it again */
	}
	return -EAGAIN;
}

static void ops_create(fuse_req_t req, fuse_ino_t parent, const char *name,
		       mode_t mode, struct fuse_file_info *fi)
{
	struct fs_ctx *ctx = ops_ctx(req);
	struct inode *p = ops_inode(req, parent);
	struct fuse_entry_param e;
	bool made, kills;
	int fd, ret;

	ops_umask(req);
	fd = ops_create_fd(p, name, ops_open_flags(ctx, fi), mode,
			   fi->flags & O_EXCL, &made);
	if (fd < 0) {
		fuse_reply_err(req, -fd);
		return;
	}
	kills = !made && ops_open_kills(req, fd, fi);
	ret = ops_made_entry(req, p, name, made, &e);
	if (ret) {
		close(fd);
		fuse_reply_err(req, -ret);
		return;
	}
	ops_opened(req, ops_inode(req, e.ino), fd, fi, &e, kills);
}

/*
 * One page-aligned I/O buffer per worker thread, made once: no allocation
 * per read or write, and aligned as O_DIRECT wants it.  libfuse ends idle
 * workers and starts new ones; the key's destructor frees the buffer of a
 * worker that ends.
 */
static __thread char *ops_io_buf;
static pthread_key_t ops_io_key;
static pthread_once_t ops_io_once = PTHREAD_ONCE_INIT;

static void ops_io_key_make(void)
{
	if (pthread_key_create(&ops_io_key, free))
		abort();
}

static char *ops_buf(void)
{
	void *p;

	if (ops_io_buf)
		return ops_io_buf;
	pthread_once(&ops_io_once, ops_io_key_make);
	if (posix_memalign(&p, 4096, FS_MAX_IO))
		return NULL;
	if (pthread_setspecific(ops_io_key, p)) {
		free(p);
		return NULL;
	}
	return ops_io_buf = p;
}

static void ops_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	char *buf = ops_buf();
	ssize_t n;

	(void)ino;
	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	if (size > FS_MAX_IO)
		size = FS_MAX_IO;
	n = pread((int)fi->fh, buf, size, off);
	if (n < 0)
		fuse_reply_err(req, errno);
	else
		fuse_reply_buf(req, buf, (size_t)n);
}

static void ops_write_buf(fuse_req_t req, fuse_ino_t ino,
			  struct fuse_bufvec *in_buf, off_t off,
			  struct fuse_file_info *fi)
{
	struct fuse_bufvec out = FUSE_BUFVEC_INIT(fuse_buf_size(in_buf));
	ssize_t n;

	(void)ino;
	if (!(fi->flags & O_DIRECT)) {
		out.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
		out.buf[0].fd = (int)fi->fh;
		out.buf[0].pos = off;
		n = fuse_buf_copy(&out, in_buf, 0);
	} else if (!(out.buf[0].mem = ops_buf())) {
		n = -ENOMEM;
	} else if (out.buf[0].size > FS_MAX_IO) {
		n = -EINVAL;	/* more than max_write: the kernel never sends it */
	} else {
		/* The data sits at an unaligned place in libfuse's buffer;
		 * O_DIRECT wants it aligned: copy it once into ours. */
		n = fuse_buf_copy(&out, in_buf, 0);
		if (n >= 0) {
			n = pwrite((int)fi->fh, out.buf[0].mem, (size_t)n, off);
			if (n < 0)
				n = -errno;
		}
	}
	if (n < 0) {
		fuse_reply_err(req, (int)-n);
		return;
	}
	/* direct_io: the kernel left it to us */
	if (ops_ctx(req)->fast == FS_FAST_NONE || (fi->fh & OPS_FH_DIRECT))
		ops_kill_suid(req, (int)fi->fh, NULL);
	fuse_reply_write(req, (size_t)n);
}

static void ops_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	/* close() of a duplicate reports delayed write errors (NFS and the
	 * like) as close(2) on the source would, and keeps the file open. */
	int fd = dup((int)fi->fh);

	/* a process closing a file loses its POSIX locks on it */
	locks_drop_owner(ops_inode(req, ino), fi->lock_owner);
	if (fd < 0)
		fuse_reply_err(req, errno);
	else
		fuse_reply_err(req, close(fd) ? errno : 0);
}

static void ops_release(fuse_req_t req, fuse_ino_t ino,
			struct fuse_file_info *fi)
{
	ops_release_fh(ops_ctx(req), ops_inode(req, ino), fi->fh);
	fuse_reply_err(req, 0);
}

/*
 * access(2), and the search a chdir(2) needs: sent only without
 * default_permissions, where the caller is the user the server runs as,
 * so the source's answer to the server is the caller's.  (Unanswered, the
 * kernel would allow everything from then on.)
 */
static void ops_access(fuse_req_t req, fuse_ino_t ino, int mask)
{
	struct inode *in = ops_inode(req, ino);
	char path[FS_PROC_PATH];
	int fd = inode_path(in, path), e;

	if (fd < 0) {
		fuse_reply_err(req, -fd);
		return;
	}
	e = faccessat(AT_FDCWD, path, mask, AT_EACCESS) ? errno : 0;
	inode_fd_done(in, fd);
	fuse_reply_err(req, e);
}

/* fsync(2) or fdatasync(2): 0 or an errno value */
static int ops_sync(int fd, int datasync)
{
	return (datasync ? fdatasync(fd) : fsync(fd)) ? errno : 0;
}

static void ops_fsync(fuse_req_t req, fuse_ino_t ino, int datasync,
		      struct fuse_file_info *fi)
{
	(void)ino;
	fuse_reply_err(req, ops_sync((int)fi->fh, datasync));
}

struct ops_dir {
	DIR *dp;
	off_t offset;		/* where the stream stands */
	struct dirent *entry;	/* read but not yet replied */
};

/* The directory @dir opened for reading; -1 with errno set. */
static int ops_dir_open(struct inode *dir)
{
	return openat(dir->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/* A stream of the directory @dir, at its start; NULL with errno set. */
static DIR *ops_dir_stream(struct inode *dir)
{
	int fd = ops_dir_open(dir);
	DIR *dp;

	if (fd < 0)
		return NULL;
	dp = fdopendir(fd);
	if (!dp) {
		int err = errno;

		close(fd);
		errno = err;
	}
	return dp;
}

/*
 * With the kernel's caches on, OPENDIR is refused with ENOSYS, once: the
 * kernel then opens every directory by itself (no OPENDIR, no RELEASEDIR:
 * two requests less for each directory that find or du enter), keeps its
 * listings from one open to the next (FOPEN_KEEP_CACHE | FOPEN_CACHE_DIR
 * are its defaults then), and sends READDIR without a handle, which
 * ops_do_readdir() serves from a stream of its own.  The listings are
 * dropped when the directory changes through the mount, or when the
 * watcher invalidates it (watch.c).  With --fast-path none every open
 * still comes here, and the stream lives until RELEASEDIR.
 */
static void ops_opendir(fuse_req_t req, fuse_ino_t ino,
			struct fuse_file_info *fi)
{
	struct ops_dir *d;

	if (ops_ctx(req)->fast != FS_FAST_NONE) {
		fuse_reply_err(req, ENOSYS);
		return;
	}
	d = calloc(1, sizeof(*d));
	if (!d) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	d->dp = ops_dir_stream(ops_inode(req, ino));
	if (!d->dp) {
		int err = errno;

		free(d);
		fuse_reply_err(req, err);
		return;
	}
	fi->fh = (uint64_t)(uintptr_t)d;
	if (fuse_reply_open(req, fi) == -ENOENT) {
		closedir(d->dp);
		free(d);
	}
}

static bool ops_is_dot(const char *name)
{
	return name[0] == '.' &&
	       (!name[1] || (name[1] == '.' && !name[2]));
}

/*
 * Offsets are the file system's own d_off cookies, which stay valid while
 * entries are added and removed (ext4's hashes, tmpfs's indices), so a
 * listing resumed at an offset neither repeats nor skips what stayed.
 */
static void ops_do_readdir(fuse_req_t req, fuse_ino_t ino, size_t size,
			   off_t offset, struct fuse_file_info *fi, bool plus)
{
	struct ops_dir own = { NULL, 0, NULL };
	struct ops_dir *d = fi->fh ? (struct ops_dir *)(uintptr_t)fi->fh : &own;
	struct fs_ctx *ctx = ops_ctx(req);
	struct inode *dir = ops_inode(req, ino);
	char *buf = malloc(size ? size : 1), *p;
	size_t rem = size;
	int err = 0;

	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	/* no handle (see ops_opendir): a stream for this request alone */
	if (d == &own && !(own.dp = ops_dir_stream(dir))) {
		fuse_reply_err(req, errno);
		free(buf);
		return;
	}
	if (offset != d->offset) {
		seekdir(d->dp, offset);
		d->entry = NULL;
		d->offset = offset;
	}
	p = buf;
	for (;;) {
		struct fuse_entry_param e;
		size_t len;
		off_t next;

		if (!d->entry) {
			errno = 0;
			d->entry = readdir(d->dp);
			if (!d->entry) {
				err = errno;
				break;
			}
		}
		next = d->entry->d_off;
		if (!plus) {
			struct stat st = {
				.st_ino = d->entry->d_ino,
				.st_mode = (mode_t)d->entry->d_type << 12,
			};

			len = fuse_add_direntry(req, p, rem, d->entry->d_name,
						&st, next);
		} else if (ops_is_dot(d->entry->d_name) ||
			   (ctx->timeout > 0 && watch_covers(dir) &&
			    inode_find(&ctx->inodes, dir->dev, d->entry->d_ino))) {
			/* without a node: the kernel lists the name and
			 * instantiates nothing.  For a file it has already
			 * (the server holds it) in a directory the watcher
			 * covers, what it knows is kept fresh by the
			 * watcher: no fstatat for it here.  A name that
			 * leads elsewhere now is looked up when used, as
			 * after a plain READDIR. */
			memset(&e, 0, sizeof(e));
			e.attr.st_ino = d->entry->d_ino;
			e.attr.st_mode = (mode_t)d->entry->d_type << 12;
			len = fuse_add_direntry_plus(req, p, rem,
						     d->entry->d_name, &e, next);
		} else {
			err = -ops_entry(req, dir, d->entry->d_name, &e, true);
			if (err == ENOENT) {	/* gone since readdir() */
				d->entry = NULL;
				d->offset = next;
				err = 0;
				continue;
			}
			if (err)
				break;
			len = fuse_add_direntry_plus(req, p, rem,
						     d->entry->d_name, &e, next);
			if (len > rem)	/* not sent: the kernel has no ref */
				inode_forget(&ctx->inodes,
					     ops_inode(req, e.ino), 1);
		}
		if (len > rem)
			break;
		p += len;
		rem -= len;
		d->entry = NULL;
		d->offset = next;
	}

	/* An error after some entries: send those, the error comes next. */
	if (err && rem == size)
		fuse_reply_err(req, err);
	else
		fuse_reply_buf(req, buf, size - rem);
	free(buf);
	if (own.dp)
		closedir(own.dp);
}

static void ops_readdir(fuse_req_t req, fuse_ino_t ino, size_t size,
			off_t offset, struct fuse_file_info *fi)
{
	ops_do_readdir(req, ino, size, offset, fi, false);
}

static void ops_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size,
			    off_t offset, struct fuse_file_info *fi)
{
	ops_do_readdir(req, ino, size, offset, fi, true);
}

static void ops_releasedir(fuse_req_t req, fuse_ino_t ino,
			   struct fuse_file_info *fi)
{
	struct ops_dir *d = (struct ops_dir *)(uintptr_t)fi->fh;

	(void)ino;
	if (d) {
		closedir(d->dp);
		free(d);
	}
	fuse_reply_err(req, 0);
}

static void ops_fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync,
			 struct fuse_file_info *fi)
{
	struct ops_dir *d = (struct ops_dir *)(uintptr_t)fi->fh;
	/* no handle (see ops_opendir): a descriptor for this call */
	int fd = d ? dirfd(d->dp) : ops_dir_open(ops_inode(req, ino));
	int err = fd < 0 ? errno : ops_sync(fd, datasync);

	if (!d && fd >= 0)
		close(fd);
	fuse_reply_err(req, err);
}

static void ops_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct inode *in = ops_inode(req, ino);
	struct statvfs sv;
	int fd = inode_fd(in), err;

	err = fd < 0 ? -fd : fstatvfs(fd, &sv) ? errno : 0;
	inode_fd_done(in, fd);
	if (err)
		fuse_reply_err(req, err);
	else
		fuse_reply_statfs(req, &sv);
}

/*
 * Extended attributes go through /proc/self/fd/N, which names the inode:
 * the magic link lands on the inode itself and is not followed further,
 * so for a symlink's O_PATH descriptor the calls act on the symlink (the
 * file system under us then refuses user.* there, as Linux does).
 *
 * ops_query_xattr(): getxattr of @name, or listxattr when @name is NULL.
 */
static void ops_query_xattr(fuse_req_t req, fuse_ino_t ino, const char *name,
			    size_t size)
{
	struct inode *in = ops_inode(req, ino);
	char path[FS_PROC_PATH], *buf = NULL;
	int fd;
	ssize_t n;

	if (size && !(buf = malloc(size))) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	fd = inode_path(in, path);
	n = fd < 0 ? fd : name ? getxattr(path, name, buf, size) :
				 listxattr(path, buf, size);
	if (n < 0 && fd >= 0)
		n = -errno;
	inode_fd_done(in, fd);
	if (n < 0)
		fuse_reply_err(req, (int)-n);
	else if (!size)
		fuse_reply_xattr(req, (size_t)n);
	else
		fuse_reply_buf(req, buf, (size_t)n);
	free(buf);
}

static void ops_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
			 size_t size)
{
	ops_query_xattr(req, ino, name, size);
}

static void ops_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	ops_query_xattr(req, ino, NULL, size);
}

/* The caller of @req is not root, and the file at @path has setgid. */
static bool ops_sgid_by_user(fuse_req_t req, const char *path)
{
	struct stat st;

	return fuse_req_ctx(req)->uid != 0 && !stat(path, &st) && (st.st_mode & S_ISGID);
}

/*
 * @in's xattrs changed through the mount (@path); @acl: its access ACL
 * was set, as root.  Return: 0, or an errno value.
 *
 * Setting an access ACL sets the mode from it, and drops setgid where the
 * caller is not in the file's group (the kernel's
 * posix_acl_update_mode()).  It is set as the caller where it can be
 * (ops_cred_caller()); where it was set as root, who keeps the bit,
 * @acl says so, and the check is ours, as libfuse 3.14 does not
 * negotiate FUSE_SETXATTR_EXT, whose FUSE_SETXATTR_ACL_KILL_SGID would
 * carry the kernel's word on it.
 *
 * The kernel drops what it knows of the inode's attributes and ACLs
 * itself when we reply, so the fanotify event of the change is no news
 * (watch_sent()).  Passed on, it would be harmful as well as useless: an
 * invalidation that reaches the kernel while it is fetching the new
 * attributes for a permission check makes it discard the reply as stale
 * (attr_version) and check against the mode it had before the change.  A
 * directory's new ACL was then ignored, or an old one obeyed, for one
 * path walk: 26-27 of 4000 checks alternating a directory's owner between
 * rwx and rw- in cache and passthrough mode.  The caller holds the
 * watcher off (watch_hold()) from before the change until this is
 * recorded.  A SETATTR needs none of this: its reply carries the new
 * attributes, so the kernel has no fetch for an invalidation to cross.
 */
static int ops_xattr_changed(fuse_req_t req, struct inode *in, const char *path,
			     bool acl)
{
	struct stat st;

	if (stat(path, &st))
		return 0;	/* gone meanwhile: nothing to record */
	if (acl && (st.st_mode & S_ISGID) && !ops_in_group(req, st.st_gid)) {
		int e = ops_clear_mode(-1, path, st.st_mode, S_ISGID);

		if (e || stat(path, &st))
			return e;
	}
	watch_sent(in, &st);
	return 0;
}

/*
 * setxattr(2) of @name (@value, @size, @flags), or with @remove,
 * removexattr(2); an access ACL of a setgid file changed by a user is
 * changed as the caller (ops_cred_caller())
 */
static void ops_xattr_change(fuse_req_t req, fuse_ino_t ino, const char *name,
			     const char *value, size_t size, int flags, bool remove)
{
	struct inode *in = ops_inode(req, ino);
	char path[FS_PROC_PATH];
	int fd = inode_path(in, path), err = 0;
	bool acl = !strcmp(name, "system.posix_acl_access"), as_caller;
	struct ops_cred cred;

	watch_hold(ops_ctx(req));
	as_caller = fd >= 0 && acl && ops_sgid_by_user(req, path) &&
		    ops_cred_caller(req, &cred);
	if (fd < 0)
		err = -fd;
	else if (remove ? removexattr(path, name) : setxattr(path, name, value, size, flags))
		err = errno;
	if (as_caller)
		ops_cred_restore(&cred, true);
	if (!err)
		err = ops_xattr_changed(req, in, path, acl && !remove && !as_caller);
	watch_release(ops_ctx(req));
	inode_fd_done(in, fd);
	fuse_reply_err(req, err);
}

static void ops_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
			 const char *value, size_t size, int flags)
{
	ops_xattr_change(req, ino, name, value, size, flags, false);
}

static void ops_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
	ops_xattr_change(req, ino, name, NULL, 0, 0, true);
}

static void ops_fallocate(fuse_req_t req, fuse_ino_t ino, int mode,
			  off_t offset, off_t length, struct fuse_file_info *fi)
{
	(void)ino;
	fuse_reply_err(req, fallocate((int)fi->fh, mode, offset, length) ?
			    errno : 0);
}

static void ops_copy_file_range(fuse_req_t req, fuse_ino_t ino_in,
				off_t off_in, struct fuse_file_info *fi_in,
				fuse_ino_t ino_out, off_t off_out,
				struct fuse_file_info *fi_out, size_t len,
				int flags)
{
	ssize_t n;

	(void)ino_in;
	(void)ino_out;
	n = copy_file_range((int)fi_in->fh, &off_in, (int)fi_out->fh, &off_out,
			    len, (unsigned int)flags);
	if (n < 0)
		fuse_reply_err(req, errno);
	else
		fuse_reply_write(req, (size_t)n);
}

/*
 * SEEK_DATA and SEEK_HOLE.  With the writeback cache the kernel asks
 * without writing its dirty pages back first, so SOURCE may still have a
 * hole where the file has data, and a copy that skips holes would lose
 * it.  ENOSYS makes the kernel answer itself from the file's size (no
 * holes at all), which is less precise and never wrong that way.
 */
static void ops_lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence,
		      struct fuse_file_info *fi)
{
	off_t res;

	(void)ino;
	if (ops_ctx(req)->writeback) {
		fuse_reply_err(req, ENOSYS);
		return;
	}
	res = lseek((int)fi->fh, off, whence);
	if (res < 0)
		fuse_reply_err(req, errno);
	else
		fuse_reply_lseek(req, res);
}

static void ops_init(void *userdata, struct fuse_conn_info *conn)
{
	struct fs_ctx *ctx = userdata;

	conn->max_write = FS_MAX_IO;
	conn->max_readahead = FS_MAX_IO;
	ctx->kernel_minor = conn->proto_minor;	/* the kernel's, from INIT */
	if (ctx->fast == FS_FAST_PASSTHROUGH && !ctx->kernel_passthrough) {
		warn("passthrough: this kernel does not offer FUSE passthrough (Linux >= 6.9 with CONFIG_FUSE_PASSTHROUGH); using cache");
		ctx->fast = FS_FAST_CACHE;
	} else if (ctx->fast == FS_FAST_PASSTHROUGH && !passthrough_permitted()) {
		warn("passthrough: the kernel takes backing files only from CAP_SYS_ADMIN in the initial user namespace, which this server lacks; using cache");
		ctx->fast = FS_FAST_CACHE;
	}
	/* The kernel refuses passthrough together with the writeback cache. */
	if (ctx->fast == FS_FAST_CACHE && ctx->want_writeback &&
	    (conn->capable & FUSE_CAP_WRITEBACK_CACHE)) {
		conn->want |= FUSE_CAP_WRITEBACK_CACHE;
		ctx->writeback = true;
	} else {
		conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
		ctx->writeback = false;
	}
	/* With the watcher, the kernel keeps its pages until the source
	 * changes behind the mount (watch.c), not until it sees a new mtime,
	 * which each write through the mount gives: AUTO_INVAL_DATA would
	 * have it drop what it had just written, and ask for attributes
	 * before every read. */
	if (ctx->fast == FS_FAST_CACHE && ctx->watch)
		conn->want &= ~FUSE_CAP_AUTO_INVAL_DATA;
	/* Locks are taken on the source, seen by its other users; or, with
	 * --locks mount, kept by the kernel (locks.c). */
	if (ctx->mount_locks)
		conn->want &= ~(FUSE_CAP_POSIX_LOCKS | FUSE_CAP_FLOCK_LOCKS);
	else
		conn->want |= conn->capable & (FUSE_CAP_POSIX_LOCKS | FUSE_CAP_FLOCK_LOCKS);
	/* The umask applied here (ops_umask()), by the file system under us,
	 * or a default ACL instead.  With other users (ctx->kernel_perms),
	 * POSIX ACLs enforced by the kernel as on the source (the ACL xattrs
	 * pass through); FUSE_POSIX_ACL turns default_permissions on too, so
	 * not for the mounting user alone, whose permissions the source
	 * checks on the server's calls (ops_access()). */
	if (conn->capable & FUSE_CAP_DONT_MASK)
		conn->want |= FUSE_CAP_DONT_MASK;
	if (ctx->kernel_perms && (conn->capable & FUSE_CAP_POSIX_ACL))
		conn->want |= FUSE_CAP_POSIX_ACL;
}

/*
 * Every handler is timed for --stats.  The context is taken before the
 * call: the handler's reply frees the request.
 */
#define OPS_TIMED(op, name, proto, args)				\
	static void timed_##name proto					\
	{								\
		struct fs_ctx *ctx = ops_ctx(req);			\
		uint64_t t0 = clock_ns();				\
									\
		ops_##name args;					\
		stats_record(&ctx->stats, op, t0);			\
	}

OPS_TIMED(STATS_LOOKUP, lookup, (fuse_req_t req, fuse_ino_t p, const char *n), (req, p, n))
OPS_TIMED(STATS_FORGET, forget, (fuse_req_t req, fuse_ino_t i, uint64_t n), (req, i, n))
OPS_TIMED(STATS_FORGET, forget_multi,
	  (fuse_req_t req, size_t n, struct fuse_forget_data *f), (req, n, f))
OPS_TIMED(STATS_GETATTR, getattr,
	  (fuse_req_t req, fuse_ino_t i, struct fuse_file_info *fi), (req, i, fi))
OPS_TIMED(STATS_SETATTR, setattr,
	  (fuse_req_t req, fuse_ino_t i, struct stat *a, int v, struct fuse_file_info *fi),
	  (req, i, a, v, fi))
OPS_TIMED(STATS_READLINK, readlink, (fuse_req_t req, fuse_ino_t i), (req, i))
OPS_TIMED(STATS_MKNOD, mknod,
	  (fuse_req_t req, fuse_ino_t p, const char *n, mode_t m, dev_t d),
	  (req, p, n, m, d))
OPS_TIMED(STATS_MKDIR, mkdir, (fuse_req_t req, fuse_ino_t p, const char *n, mode_t m),
	  (req, p, n, m))
OPS_TIMED(STATS_SYMLINK, symlink,
	  (fuse_req_t req, const char *t, fuse_ino_t p, const char *n), (req, t, p, n))
OPS_TIMED(STATS_LINK, link, (fuse_req_t req, fuse_ino_t i, fuse_ino_t p, const char *n),
	  (req, i, p, n))
OPS_TIMED(STATS_UNLINK, unlink, (fuse_req_t req, fuse_ino_t p, const char *n), (req, p, n))
OPS_TIMED(STATS_RMDIR, rmdir, (fuse_req_t req, fuse_ino_t p, const char *n), (req, p, n))
OPS_TIMED(STATS_RENAME, rename,
	  (fuse_req_t req, fuse_ino_t p, const char *n, fuse_ino_t np, const char *nn,
	   unsigned int f), (req, p, n, np, nn, f))
OPS_TIMED(STATS_OPEN, open, (fuse_req_t req, fuse_ino_t i, struct fuse_file_info *fi),
	  (req, i, fi))
OPS_TIMED(STATS_CREATE, create,
	  (fuse_req_t req, fuse_ino_t p, const char *n, mode_t m, struct fuse_file_info *fi),
	  (req, p, n, m, fi))
OPS_TIMED(STATS_READ, read,
	  (fuse_req_t req, fuse_ino_t i, size_t s, off_t o, struct fuse_file_info *fi),
	  (req, i, s, o, fi))
OPS_TIMED(STATS_WRITE, write_buf,
	  (fuse_req_t req, fuse_ino_t i, struct fuse_bufvec *b, off_t o,
	   struct fuse_file_info *fi), (req, i, b, o, fi))
OPS_TIMED(STATS_FLUSH, flush, (fuse_req_t req, fuse_ino_t i, struct fuse_file_info *fi),
	  (req, i, fi))
OPS_TIMED(STATS_RELEASE, release,
	  (fuse_req_t req, fuse_ino_t i, struct fuse_file_info *fi), (req, i, fi))
OPS_TIMED(STATS_FSYNC, fsync,
	  (fuse_req_t req, fuse_ino_t i, int d, struct fuse_file_info *fi), (req, i, d, fi))
OPS_TIMED(STATS_OPENDIR, opendir,
	  (fuse_req_t req, fuse_ino_t i, struct fuse_file_info *fi), (req, i, fi))
OPS_TIMED(STATS_READDIR, readdir,
	  (fuse_req_t req, fuse_ino_t i, size_t s, off_t o, struct fuse_file_info *fi),
	  (req, i, s, o, fi))
OPS_TIMED(STATS_READDIRPLUS, readdirplus,
	  (fuse_req_t req, fuse_ino_t i, size_t s, off_t o, struct fuse_file_info *fi),
	  (req, i, s, o, fi))
OPS_TIMED(STATS_RELEASEDIR, releasedir,
	  (fuse_req_t req, fuse_ino_t i, struct fuse_file_info *fi), (req, i, fi))
OPS_TIMED(STATS_FSYNCDIR, fsyncdir,
	  (fuse_req_t req, fuse_ino_t i, int d, struct fuse_file_info *fi), (req, i, d, fi))
OPS_TIMED(STATS_STATFS, statfs, (fuse_req_t req, fuse_ino_t i), (req, i))
OPS_TIMED(STATS_ACCESS, access, (fuse_req_t req, fuse_ino_t i, int m), (req, i, m))
OPS_TIMED(STATS_GETXATTR, getxattr,
	  (fuse_req_t req, fuse_ino_t i, const char *n, size_t s), (req, i, n, s))
OPS_TIMED(STATS_LISTXATTR, listxattr, (fuse_req_t req, fuse_ino_t i, size_t s), (req, i, s))
OPS_TIMED(STATS_SETXATTR, setxattr,
	  (fuse_req_t req, fuse_ino_t i, const char *n, const char *v, size_t s, int f),
	  (req, i, n, v, s, f))
OPS_TIMED(STATS_REMOVEXATTR, removexattr,
	  (fuse_req_t req, fuse_ino_t i, const char *n), (req, i, n))
OPS_TIMED(STATS_FALLOCATE, fallocate,
	  (fuse_req_t req, fuse_ino_t i, int m, off_t o, off_t l, struct fuse_file_info *fi),
	  (req, i, m, o, l, fi))
OPS_TIMED(STATS_COPY_FILE_RANGE, copy_file_range,
	  (fuse_req_t req, fuse_ino_t ii, off_t oi, struct fuse_file_info *fii,
	   fuse_ino_t io, off_t oo, struct fuse_file_info *fio, size_t l, int f),
	  (req, ii, oi, fii, io, oo, fio, l, f))
OPS_TIMED(STATS_LSEEK, lseek,
	  (fuse_req_t req, fuse_ino_t i, off_t o, int w, struct fuse_file_info *fi),
	  (req, i, o, w, fi))

static void ops_getlk(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi,
		      struct flock *lock)
{
	locks_getlk(req, ops_inode(req, ino), lock, fi->lock_owner);
}

static void ops_setlk(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi,
		      struct flock *lock, int sleep)
{
	locks_setlk(req, ops_inode(req, ino), lock, fi->lock_owner, sleep);
}

static void ops_flock(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi,
		      int op)
{
	(void)ino;
	locks_flock(req, (int)fi->fh, op);
}

OPS_TIMED(STATS_GETLK, getlk,
	  (fuse_req_t req, fuse_ino_t i, struct fuse_file_info *fi, struct flock *l),
	  (req, i, fi, l))
OPS_TIMED(STATS_SETLK, setlk,
	  (fuse_req_t req, fuse_ino_t i, struct fuse_file_info *fi, struct flock *l, int s),
	  (req, i, fi, l, s))
OPS_TIMED(STATS_FLOCK, flock,
	  (fuse_req_t req, fuse_ino_t i, struct fuse_file_info *fi, int op),
	  (req, i, fi, op))

/*
 * No ioctl handler: the kernel answers ENOTTY, as for a file system
 * without ioctls.
 */
const struct fuse_lowlevel_ops fs_ops = {
	.init		= ops_init,
	.lookup		= timed_lookup,
	.forget		= timed_forget,
	.forget_multi	= timed_forget_multi,
	.getattr	= timed_getattr,
	.setattr	= timed_setattr,
	.readlink	= timed_readlink,
	.mknod		= timed_mknod,
	.mkdir		= timed_mkdir,
	.symlink	= timed_symlink,
	.link		= timed_link,
	.unlink		= timed_unlink,
	.rmdir		= timed_rmdir,
	.rename		= timed_rename,
	.open		= timed_open,
	.create		= timed_create,
	.read		= timed_read,
	.write_buf	= timed_write_buf,
	.flush		= timed_flush,
	.release	= timed_release,
	.fsync		= timed_fsync,
	.opendir	= timed_opendir,
	.readdir	= timed_readdir,
	.readdirplus	= timed_readdirplus,
	.releasedir	= timed_releasedir,
	.fsyncdir	= timed_fsyncdir,
	.statfs		= timed_statfs,
	.access		= timed_access,
	.getxattr	= timed_getxattr,
	.listxattr	= timed_listxattr,
	.setxattr	= timed_setxattr,
	.removexattr	= timed_removexattr,
	.fallocate	= timed_fallocate,
	.copy_file_range = timed_copy_file_range,
	.lseek		= timed_lseek,
	.getlk		= timed_getlk,
	.setlk		= timed_setlk,
	.flock		= timed_flock,
};
