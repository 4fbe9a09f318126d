// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * watch.c - invalidate the kernel's caches when the source changes behind
 * the mount
 *
 * With long entry and attribute timeouts (cache and passthrough), the
 * kernel would go on believing what it last heard from us while other
 * processes change the source directly.  So every inode the kernel knows
 * about is watched: a name created, deleted or moved in a directory
 * invalidates that entry and the directory's attributes, and an inode
 * whose content or attributes changed is invalidated (attributes, and the
 * cached pages of a file).
 *
 * All of it is fanotify, with inode marks, because of what a watch costs
 * the readers of the source.  A watch on a directory that asks for its
 * children's events (inotify's IN_MODIFY or IN_ATTRIB; inotify asks for
 * children on every directory, so any other mark's FS_ATTRIB on the same
 * directory does too) marks every child dentry "parent watched", and from
 * then on every read(2) of a file in it, by anyone, goes through
 * __fsnotify_parent(), which takes and drops a reference on the parent:
 * here 4 KiB random reads of the source fell from 808k to 650k per
 * second, and reads through a passthrough mount, which land on the source
 * file, lost as much.  So no mark here asks for children's events:
 *
 * - names: a mark on each directory for FAN_CREATE, FAN_DELETE and
 *   FAN_MOVED_* of its entries, and FAN_ATTRIB of itself, in a group that
 *   reports the directory's file handle and the name (FAN_REPORT_DFID_NAME);
 * - content and attributes: a mark on each other inode itself for
 *   FAN_MODIFY, FAN_ATTRIB and FAN_CLOSE_WRITE, in a group that reports
 *   the inode's file handle (FAN_REPORT_FID), without the parent and name
 *   that would cost each write a lookup of its parent.
 *
 * A table maps file handles to our inodes.  So a write made through a hard
 * link in a directory the kernel never looked in is seen too, which a
 * directory watch could not do.  A mark on an inode held by descriptor is
 * evictable (the descriptor pins the inode, and the mark goes with it once
 * the descriptor is closed); one on an inode held by handle or by name
 * pins the inode, lest it be evicted and its mark with it, and is removed
 * when the kernel forgets the inode.
 *
 * Changes made through the mount come back as events too, and must not
 * throw away what the kernel has just been told.  A name event tells who
 * made the change: one of the server's own (its pid) is a change the
 * kernel made through us and knows of.  fanotify merges events of one
 * name only when the same process caused them, so an event is all ours or
 * all news.  For content and attributes the process is no guide (a write
 * through a passthrough mount is made by the writer, and the server
 * changes some attributes without the kernel's knowledge, as when it
 * clears setuid at an open): each inode remembers the ctime and size last
 * sent to the kernel, or, in cache mode, those a file written through the
 * mount had when it was closed (its data is in the kernel's pages), and an
 * event that leaves both so is one the kernel knows of.  Wherever this
 * bookkeeping is unsure, it errs towards invalidating, which costs a
 * lookup, never a wrong answer.  While a file is open for writing through
 * the mount, only its attributes are invalidated on a change, not its
 * pages: a writer behind the mount and one through it at once see each
 * other's data only after the file is closed through the mount.
 *
 * Writes through a passthrough mount reach the source file directly and
 * would raise FAN_MODIFY as any other writer's do, one event per write(2),
 * made in the writer's call.  Where it can, the server registers the
 * backing files of files opened for writing from a copy of the source's
 * mount that the watcher ignores those events on (watch_quiet_mount(),
 * passthrough.c), and they are not made at all.  Elsewhere they are, and
 * read at once each would wake the watcher: at 4 KiB writes that costs
 * more than the write itself.  So after each batch the watcher rests
 * WATCH_SETTLE_NS, away from its queues: the kernel merges the events of
 * one inode into the one still queued, nobody is waiting to be woken, and
 * a change behind the mount is still seen within a few milliseconds.
 *
 * Where the watcher may miss a change, the kernel is not left to trust
 * what it knows for a day.  An inode that cannot be marked, or one on a
 * file system whose files change where fanotify cannot see (an NFS
 * server's other clients, a FUSE server's own source), is not covered
 * (watch_covers()): what the kernel is told of it, and of names in it,
 * lasts FS_UNWATCHED_TIMEOUT (ops.c).  And when a queue overflows, events
 * were lost: the kernel is told to forget everything (watch_lost()).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/fanotify.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "abi.h"
#include "clock.h"
#include "log.h"
#include "watch.h"

#ifndef FAN_MARK_IGNORE
#define FAN_MARK_IGNORE	0x400		/* Linux 6.0 */
#endif
#define WATCH_MARK_IGNORE_SURV	(FAN_MARK_IGNORE | FAN_MARK_IGNORED_SURV_MODIFY)

#ifndef AT_HANDLE_FID
#define AT_HANDLE_FID	0x200	/* Linux 6.5: the handle fanotify reports */
#endif

#define WATCH_NAMES	(FAN_CREATE | FAN_DELETE | FAN_MOVED_FROM | FAN_MOVED_TO)
#define WATCH_DIR	(WATCH_NAMES | FAN_ATTRIB | FAN_ONDIR)
#define WATCH_FILE	(FAN_MODIFY | FAN_ATTRIB | FAN_CLOSE_WRITE)
#define WATCH_SETTLE_NS	5000000		/* rest between batches: 5 ms */
#define WATCH_MIN_BUCKETS 1024

/* An inode's mark, found by the file handle its events carry */
struct watch_mark {
	struct watch_mark *next;	/* hash chain */
	struct inode *in;
	uint64_t hash;
	bool pinned;		/* not evictable: remove it when @in goes */
	bool partial;		/* its file system changes unseen (watch_partial_fs) */
	int fsid[2];
	int type;		/* the handle's */
	unsigned int bytes;
	unsigned char handle[];
};

/* Stands in inode->mark for an inode that cannot be marked */
static struct watch_mark watch_unmarkable;

/* Whether changes of the inode of mark @m may go unseen (watch_covers()) */
static bool watch_blind(const struct watch_mark *m)
{
	return m == &watch_unmarkable || m->partial;
}

/* The fsid fanotify reports for a device, as statfs(2) gives it */
struct watch_fsid {
	dev_t dev;
	int fsid[2];
	bool partial;		/* watch_partial_fs() */
};

struct watch {
	int names;		/* fanotify group: names in directories */
	int inodes;		/* fanotify group: content and attributes */
	int stop_fd;		/* an eventfd: readable when the thread must end */
	pid_t self;		/* the server, as events name it */
	int fid_flags;		/* AT_HANDLE_FID, where the kernel has it */
	pthread_t thread;
	struct fuse_session *se;
	struct fs_ctx *ctx;
	pthread_mutex_t lock;	/* what follows, and inodes while we use them */
	struct watch_mark **marks;	/* by handle */
	size_t nbuckets;	/* power of two */
	size_t nmarks;
	struct watch_fsid *fsids;
	size_t nfsids;
	bool lost;		/* the watcher's: a queue overflowed */
};

/* FNV-1a of a file handle and the file system it is of, never 0 */
static uint64_t watch_hash(const int fsid[2], int type, const unsigned char *h,
			   unsigned int bytes)
{
	const int key[3] = { fsid[0], fsid[1], type };
	const unsigned char *k = (const unsigned char *)key;
	uint64_t x = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < sizeof(key); i++)
		x = (x ^ k[i]) * 0x100000001b3ULL;
	for (unsigned int i = 0; i < bytes; i++)
		x = (x ^ h[i]) * 0x100000001b3ULL;
	return x | 1;
}

/* The mark of the inode an event names by @fsid and @h; under the lock. */
static struct watch_mark *watch_mark_find(struct watch *w, const int fsid[2],
					  const struct file_handle *h)
{
	uint64_t hash = watch_hash(fsid, h->handle_type, h->f_handle,
				   h->handle_bytes);
	struct watch_mark *m;

	if (!w->nbuckets)
		return NULL;
	for (m = w->marks[hash & (w->nbuckets - 1)]; m; m = m->next)
		if (m->hash == hash && m->type == h->handle_type &&
		    m->bytes == h->handle_bytes && m->fsid[0] == fsid[0] &&
		    m->fsid[1] == fsid[1] &&
		    !memcmp(m->handle, h->f_handle, h->handle_bytes))
			return m;
	return NULL;
}

/*
 * Whether files of a file system of type @type (statfs(2)) may change
 * without an event from this kernel's fanotify: network and cluster file
 * systems, written by other machines; FUSE, whose server changes what is
 * behind it; the kernel's own pseudo file systems, whose content is made
 * as it is read.  A mark there sees only what is done through this
 * kernel's VFS.
 */
static bool watch_partial_fs(long type)
{
	static const unsigned long partial[] = {
		NFS_SUPER_MAGIC, SMB_SUPER_MAGIC, CIFS_SUPER_MAGIC,
		SMB2_SUPER_MAGIC, V9FS_MAGIC, CEPH_SUPER_MAGIC, AFS_FS_MAGIC,
		AFS_SUPER_MAGIC, CODA_SUPER_MAGIC, NCP_SUPER_MAGIC,
		OCFS2_SUPER_MAGIC, 0x01161970 /* gfs2 */,
		0x0bd00bd0 /* lustre */, 0x47504653 /* gpfs */,
		0x20030528 /* orangefs */, FUSE_SUPER_MAGIC,
		PROC_SUPER_MAGIC, SYSFS_MAGIC, CGROUP_SUPER_MAGIC,
		CGROUP2_SUPER_MAGIC, DEBUGFS_MAGIC, TRACEFS_MAGIC,
		SECURITYFS_MAGIC, EFIVARFS_MAGIC, BPF_FS_MAGIC, PSTOREFS_MAGIC,
		XENFS_SUPER_MAGIC,
	};

	return fs_type_in(type, partial, sizeof(partial) / sizeof(partial[0]));
}

/*
 * The fsid of @in's file system, as fanotify reports it, and whether its
 * changes may go unseen (watch_partial_fs()), from @fd (of the same file
 * system) the first time the device is met; under the lock.
 */
static int watch_fsid(struct watch *w, const struct inode *in, int fd,
		      int fsid[2], bool *partial)
{
	struct watch_fsid *f;
	struct statfs sfs;

	for (size_t i = 0; i < w->nfsids; i++)
		if (w->fsids[i].dev == in->dev) {
			memcpy(fsid, w->fsids[i].fsid, sizeof(w->fsids[i].fsid));
			*partial = w->fsids[i].partial;
			return 0;
		}
	if (fstatfs(fd, &sfs))
		return -errno;
	f = realloc(w->fsids, (w->nfsids + 1) * sizeof(*f));
	if (!f)
		return -ENOMEM;
	w->fsids = f;
	f[w->nfsids].dev = in->dev;
	memcpy(f[w->nfsids].fsid, &sfs.f_fsid, sizeof(f->fsid));
	f[w->nfsids].partial = watch_partial_fs(sfs.f_type);
	memcpy(fsid, f[w->nfsids].fsid, sizeof(f->fsid));
	*partial = f[w->nfsids].partial;
	w->nfsids++;
	return 0;
}

/*
 * Put @m in the table, once its file system's fsid is known (from @fd,
 * of the same file system, the first time); under the lock.
 */
static int watch_mark_insert(struct watch *w, struct watch_mark *m, int fd)
{
	int ret = watch_fsid(w, m->in, fd, m->fsid, &m->partial);

	if (ret)
		return ret;
	m->hash = watch_hash(m->fsid, m->type, m->handle, m->bytes);
	if (w->nmarks >= 2 * w->nbuckets) {
		size_t n = w->nbuckets ? w->nbuckets * 2 : WATCH_MIN_BUCKETS;
		struct watch_mark **b = calloc(n, sizeof(*b));

		if (b) {
			for (size_t i = 0; i < w->nbuckets; i++) {
				struct watch_mark *x = w->marks[i], *next;

				for (; x; x = next) {
					next = x->next;
					x->next = b[x->hash & (n - 1)];
					b[x->hash & (n - 1)] = x;
				}
			}
			free(w->marks);
			w->marks = b;
			w->nbuckets = n;
		} else if (!w->nbuckets) {
			return -ENOMEM;
		}		/* else longer chains, still correct */
	}
	m->next = w->marks[m->hash & (w->nbuckets - 1)];
	w->marks[m->hash & (w->nbuckets - 1)] = m;
	w->nmarks++;
	__atomic_store_n(&w->ctx->stats.watch.marks, w->nmarks, __ATOMIC_RELAXED);
	return 0;
}

/* Take @m out of the table; under the lock. */
static void watch_mark_remove(struct watch *w, struct watch_mark *m)
{
	struct watch_mark **pp = &w->marks[m->hash & (w->nbuckets - 1)];

	while (*pp && *pp != m)
		pp = &(*pp)->next;
	if (*pp) {
		*pp = m->next;
		w->nmarks--;
		__atomic_store_n(&w->ctx->stats.watch.marks, w->nmarks,
				 __ATOMIC_RELAXED);
	}
}

/*
 * Into @h (MAX_HANDLE_SZ bytes of room), the handle fanotify will report
 * for @name in @dirfd, or for @dirfd itself when @name is "".
 */
static int watch_handle(struct watch *w, int dirfd, const char *name,
			struct file_handle *h)
{
	int flags = *name ? 0 : AT_EMPTY_PATH, mnt_id;
	int fid = __atomic_load_n(&w->fid_flags, __ATOMIC_RELAXED);

	h->handle_bytes = MAX_HANDLE_SZ;
	if (!name_to_handle_at(dirfd, name, h, &mnt_id, flags | fid))
		return 0;
	if (errno != EINVAL || !fid)
		return -errno;
	/* before Linux 6.5, which reports the plain handle */
	__atomic_store_n(&w->fid_flags, 0, __ATOMIC_RELAXED);
	h->handle_bytes = MAX_HANDLE_SZ;
	return name_to_handle_at(dirfd, name, h, &mnt_id, flags) ? -errno : 0;
}

/*
 * fanotify_mark(FAN_MARK_ADD | @flags) of @name in @dirfd, evictable
 * unless *@pinned, which is set when the mark had to pin its inode.
 */
static int watch_add(int group, unsigned int flags, uint64_t mask, int dirfd,
		     const char *name, bool *pinned)
{
	flags |= FAN_MARK_ADD;
	if (!*pinned && !fanotify_mark(group, flags | FAN_MARK_EVICTABLE, mask,
				       dirfd, name))
		return 0;
	if (!*pinned && errno != EEXIST && errno != EINVAL)
		return -errno;
	/* a pinned mark left from an earlier life of the inode, or a kernel
	 * before 5.19, which has no evictable marks */
	*pinned = true;
	return fanotify_mark(group, flags, mask, dirfd, name) ? -errno : 0;
}

/*
 * Mark @in, a directory as "." in its own descriptor (an O_PATH
 * descriptor is no mark's object), another inode as @name in @parent.
 * Return: 0 and the mark in *@out, not yet in the table, with in *@fd a
 * descriptor of @in's file system; or -errno.
 */
static int watch_mark_new(struct watch *w, struct inode *in,
			  struct inode *parent, const char *name,
			  struct watch_mark **out, int *fd)
{
	char buf[sizeof(struct file_handle) + MAX_HANDLE_SZ]
		__attribute__((aligned(__alignof__(struct file_handle))));
	struct file_handle *h = (struct file_handle *)buf;
	bool dir = in->type == S_IFDIR;
	int own = __atomic_load_n(&in->fd, __ATOMIC_ACQUIRE);
	int group = dir ? w->names : w->inodes;
	uint64_t mask = dir ? WATCH_DIR : WATCH_FILE;
	/* held by descriptor: the descriptor pins the inode, and its mark
	 * can go with it; otherwise the mark must pin the inode itself */
	bool pinned = own < 0;
	struct watch_mark *m;
	struct stat st;
	int dirfd, ret;

	if (!dir && !parent)
		return -EINVAL;
	dirfd = dir ? in->fd : parent->fd;
	if (dir)
		name = ".";
	ret = watch_add(group, FAN_MARK_DONT_FOLLOW, mask, dirfd, name, &pinned);
	if (!ret && !dir && own >= 0 && inode_at(in, dirfd, name, &st)) {
		/* the name moved since the lookup: mark what the descriptor
		 * holds, through the magic link that names it (slower) */
		char path[FS_PROC_PATH];

		fs_proc_path(path, own);
		ret = watch_add(group, 0, mask, AT_FDCWD, path, &pinned);
	}
	if (!ret)
		ret = own >= 0 ? watch_handle(w, own, "", h) :
				 watch_handle(w, dirfd, name, h);
	if (ret)
		return ret;
	m = calloc(1, sizeof(*m) + h->handle_bytes);
	if (!m)
		return -ENOMEM;
	m->in = in;
	m->pinned = pinned;
	m->type = h->handle_type;
	m->bytes = h->handle_bytes;
	memcpy(m->handle, h->f_handle, h->handle_bytes);
	*out = m;
	*fd = own >= 0 ? own : dirfd;
	return 0;
}

/**
 * watch_inode() - watch an inode the kernel now knows about
 * @ctx:	the server
 * @in:	the inode
 * @parent:	the directory it was found in, or NULL for the root
 * @name:	its name there
 */
void watch_inode(struct fs_ctx *ctx, struct inode *in, struct inode *parent,
		 const char *name)
{
	struct watch *w = ctx->watch;
	struct watch_mark *m = NULL;
	int ret, fd = -1;

	if (!w || __atomic_load_n(&in->mark, __ATOMIC_ACQUIRE))
		return;
	ret = watch_mark_new(w, in, parent, name, &m, &fd);
	pthread_mutex_lock(&w->lock);
	if (in->mark) {
		/* another thread was first: the kernel's mark is the same */
		free(m);
		m = NULL;
		ret = 0;
	} else if (ret || (ret = watch_mark_insert(w, m, fd))) {
		free(m);
		m = &watch_unmarkable;
	}
	if (m) {
		__atomic_store_n(&in->mark, m, __ATOMIC_RELEASE);
		if (watch_blind(m))
			__atomic_add_fetch(&ctx->stats.watch.unwatched, 1, __ATOMIC_RELAXED);
	}
	pthread_mutex_unlock(&w->lock);
	if (ret) {
		static bool warned;

		if (log_first(&warned))
			warn_perror(-ret, "watch: cannot watch a file of the source with fanotify%s; the kernel keeps what it knows of such files for %g s only",
				    ret == -ENOSPC ? " (fs.fanotify.max_user_marks)" : "",
				    FS_UNWATCHED_TIMEOUT);
	}
}

/**
 * watch_covers() - whether the watcher sees every change of @in, so that
 * the kernel may keep what it knows of @in until told otherwise
 * @in:	an inode the kernel knows, after watch_inode()
 *
 * Not where @in could not be marked, nor on a file system whose files
 * change unseen by fanotify (watch_partial_fs()), nor when nothing is
 * watched.
 */
bool watch_covers(const struct inode *in)
{
	const struct watch_mark *m = __atomic_load_n(&in->mark, __ATOMIC_ACQUIRE);

	return m && !watch_blind(m);
}

/*
 * Remove the pinned mark of @in, which the inode table is about to free
 * (a directory's only on a kernel without evictable marks).
 */
static void watch_unpin(struct watch *w, struct inode *in)
{
	char path[FS_PROC_PATH];
	struct stat st;
	int fd;

	if (in->type == S_IFDIR) {
		fanotify_mark(w->names, FAN_MARK_REMOVE | FAN_MARK_DONT_FOLLOW,
			      WATCH_DIR, in->fd, ".");
	} else if (in->at) {
		/* held by name (inode_fd() would hold it otherwise) */
		if (!inode_at(in, in->at->parent->fd, in->at->name, &st))
			fanotify_mark(w->inodes, FAN_MARK_REMOVE | FAN_MARK_DONT_FOLLOW,
				      WATCH_FILE, in->at->parent->fd, in->at->name);
	} else if ((fd = inode_path(in, path)) >= 0) {
		fanotify_mark(w->inodes, FAN_MARK_REMOVE, WATCH_FILE, AT_FDCWD, path);
		inode_fd_done(in, fd);
	}	/* else gone, and its mark with it, or out of reach */
}

/**
 * watch_forget() - the inode table is about to free @in: stop watching it
 * @in:	the inode
 * @arg:	the server (struct fs_ctx)
 */
void watch_forget(struct inode *in, void *arg)
{
	struct fs_ctx *ctx = arg;
	struct watch *w = ctx->watch;
	struct watch_mark *m;

	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	m = in->mark;
	in->mark = NULL;
	if (m && watch_blind(m))
		__atomic_sub_fetch(&ctx->stats.watch.unwatched, 1, __ATOMIC_RELAXED);
	if (m == &watch_unmarkable)
		m = NULL;
	if (m)
		watch_mark_remove(w, m);
	pthread_mutex_unlock(&w->lock);
	if (m && m->pinned)
		watch_unpin(w, in);
	free(m);
}

static int64_t watch_ctime_ns(const struct stat *st)
{
	return (int64_t)st->st_ctim.tv_sec * 1000000000LL + st->st_ctim.tv_nsec;
}

/**
 * watch_sent() - remember what the kernel is being told of @in
 * @in:	the inode
 * @st:	the attributes in the reply
 */
void watch_sent(struct inode *in, const struct stat *st)
{
	__atomic_store_n(&in->sent_ctime_ns, watch_ctime_ns(st), __ATOMIC_RELAXED);
	__atomic_store_n(&in->sent_size, (int64_t)st->st_size, __ATOMIC_RELAXED);
}

/**
 * watch_hold() - the server is about to change an inode's attributes on the
 * source itself and to record them with watch_sent() before it replies:
 * the watcher decides on no event until watch_release(), so that it never
 * sees the change before the record (and sends an invalidation that could
 * reach the kernel after the reply, as it fetches the new attributes)
 * @ctx:	the server
 */
void watch_hold(struct fs_ctx *ctx)
{
	if (ctx->watch)
		pthread_mutex_lock(&ctx->watch->lock);
}

/**
 * watch_release() - end watch_hold()
 * @ctx:	the server
 */
void watch_release(struct fs_ctx *ctx)
{
	if (ctx->watch)
		pthread_mutex_unlock(&ctx->watch->lock);
}

static bool watch_as_sent(const struct inode *in, const struct stat *st)
{
	return __atomic_load_n(&in->sent_ctime_ns, __ATOMIC_RELAXED) == watch_ctime_ns(st) &&
	       __atomic_load_n(&in->sent_size, __ATOMIC_RELAXED) == st->st_size;
}

/* The watcher's counters have one writer, this thread; --stats reads them. */
static void watch_count(uint64_t *c, uint64_t n)
{
	__atomic_store_n(c, *c + n, __ATOMIC_RELAXED);
}

/* What one event asks of the kernel, decided under the lock. */
struct watch_todo {
	fuse_ino_t dir;		/* a directory whose entry @name changed */
	const char *name;
	fuse_ino_t inode;	/* invalidate this inode's attributes, or 0 */
	bool data;		/* its pages too */
};

/* Errors mean the kernel has forgotten the node already: fine. */
static void watch_send(struct watch *w, const struct watch_todo *todo)
{
	if (todo->name)
		fuse_lowlevel_notify_inval_entry(w->se, todo->dir, todo->name,
						 strlen(todo->name));
	if (todo->inode)
		fuse_lowlevel_notify_inval_inode(w->se, todo->inode,
						 todo->data ? 0 : -1, 0);
	watch_count(&w->ctx->stats.watch.inval_entries, !!todo->name);
	watch_count(&w->ctx->stats.watch.inval_inodes, !!todo->inode);
}

/*
 * The inode an event is about: the handle in the information record at
 * @info, @len bytes (FAN_EVENT_INFO_TYPE_FID or _DFID_NAME), and after it
 * the name.  Return: false when the event is not of that form.
 */
static bool watch_event_fid(const char *info, size_t len,
			    const struct fanotify_event_info_fid **fid,
			    const struct file_handle **h, const char **name)
{
	size_t hlen;

	*fid = (const void *)info;
	if (len < sizeof(**fid) + sizeof(**h) || (*fid)->hdr.len > len)
		return false;
	*h = (const struct file_handle *)(*fid)->handle;
	hlen = sizeof(**fid) + sizeof(**h) + (*h)->handle_bytes;
	if (hlen > (*fid)->hdr.len)
		return false;
	*name = NULL;
	if ((*fid)->hdr.info_type == FAN_EVENT_INFO_TYPE_DFID_NAME) {
		*name = info + hlen;
		if (hlen >= (*fid)->hdr.len ||
		    !memchr(*name, '\0', (*fid)->hdr.len - hlen))
			return false;
	} else if ((*fid)->hdr.info_type != FAN_EVENT_INFO_TYPE_FID) {
		return false;
	}
	return true;
}

/*
 * An event @ev, its information records at @info (@len bytes): a name in
 * a directory came or went, news unless the server made the change; or an
 * inode's content or attributes changed (a directory's reported as its
 * name "."), news unless the kernel was told of it.  Return: false when
 * the event is of an unknown form.
 */
static bool watch_event(struct watch *w, const struct fanotify_event_metadata *ev,
			const char *info, size_t len)
{
	const struct fanotify_event_info_fid *fid;
	struct watch_todo todo = { 0 };
	const struct file_handle *h;
	const char *name;
	struct watch_mark *m;
	struct stat st;

	if (ev->mask & FAN_Q_OVERFLOW) {
		watch_count(&w->ctx->stats.watch.overflows, 1);
		w->lost = true;		/* watch_lost(), after this batch */
		return true;
	}
	if (!watch_event_fid(info, len, &fid, &h, &name))
		return false;
	pthread_mutex_lock(&w->lock);
	m = watch_mark_find(w, fid->fsid.val, h);
	if (!m) {
		/* an inode forgotten meanwhile */
	} else if (name && strcmp(name, ".")) {
		if ((ev->mask & WATCH_NAMES) && ev->pid != w->self) {
			todo.dir = todo.inode = fs_nodeid(w->ctx, m->in);
			todo.name = name;
		}
	} else if (!(ev->mask & ~(FAN_ONDIR | FAN_MODIFY | FAN_CLOSE_WRITE)) &&
		   ev->pid == w->self) {
		/* the server wrote, or closed a file it wrote, at the
		 * kernel's request (a WRITE, a truncation, a fallocate, a
		 * copy), and the kernel knows what it asked for: any change
		 * of ours it does not know of raises FAN_ATTRIB.  Told of it,
		 * it would fetch attributes it has; and a notice that crosses
		 * the GETATTR of a permission check has the kernel check
		 * against the mode it had before (ops_xattr_changed()) */
	} else if (inode_stat(m->in, &st) || !watch_as_sent(m->in, &st)) {
		todo.inode = fs_nodeid(w->ctx, m->in);
		todo.data = m->in->type == S_IFREG &&
			    !__atomic_load_n(&m->in->writers, __ATOMIC_RELAXED);
	}
	pthread_mutex_unlock(&w->lock);
	watch_send(w, &todo);
	return true;
}

/*
 * Read what the queue of @group holds; false on a failure that ends us.
 * Events are aligned to 4 bytes only (FANOTIFY_EVENT_ALIGN), and the
 * metadata holds a 64-bit mask: each is copied out before it is read.
 */
static bool watch_read(struct watch *w, int group)
{
	char buf[64 * (sizeof(struct fanotify_event_metadata) +
		       sizeof(struct fanotify_event_info_fid) +
		       sizeof(struct file_handle) + MAX_HANDLE_SZ + NAME_MAX + 1)]
		__attribute__((aligned(__alignof__(struct fanotify_event_metadata))));
	struct fanotify_event_metadata ev;
	ssize_t n;

	while ((n = read(group, buf, sizeof(buf))) > 0) {
		for (const char *p = buf; buf + n - p >= (ssize_t)sizeof(ev);
		     p += ev.event_len) {
			memcpy(&ev, p, sizeof(ev));
			if (ev.event_len < sizeof(ev) || ev.event_len > buf + n - p ||
			    ev.metadata_len < sizeof(ev) || ev.metadata_len > ev.event_len)
				break;
			watch_count(&w->ctx->stats.watch.events, 1);
			if (ev.fd >= 0)
				close(ev.fd);	/* never, with file handles */
			if (ev.vers != FANOTIFY_METADATA_VERSION ||
			    !watch_event(w, &ev, p + ev.metadata_len,
					 ev.event_len - ev.metadata_len)) {
				static bool warned;

				if (log_first(&warned))
					warn("watch: a fanotify event of an unknown form (version %u, mask %#llx) skipped",
					     ev.vers, (unsigned long long)ev.mask);
			}
		}
	}
	if (n < 0 && errno != EINTR && errno != EAGAIN) {
		err_perror(errno, "watcher: read");
		return false;
	}
	return true;
}

/*
 * Have the kernel revalidate every name it cached through the mount, at
 * its next use, negative ones too (FUSE_NOTIFY_INC_EPOCH); false where
 * the kernel has no such notice (before Linux 6.16).
 */
static bool watch_new_epoch(struct watch *w)
{
	const struct fuse_out_header oh = {
		.len = sizeof(oh),
		.error = ABI_NOTIFY_INC_EPOCH,
		.unique = 0,
	};

	if (w->ctx->kernel_minor < ABI_MINOR_INC_EPOCH)
		return false;
	return write(fuse_session_fd(w->se), &oh, sizeof(oh)) == (ssize_t)sizeof(oh);
}

/*
 * A queue overflowed: events were lost, and what changed behind the
 * mount is unknown.  So the kernel forgets everything it was told: every
 * name it cached is revalidated at its next use (a new epoch), and every
 * marked inode's attributes, and the pages of a file not open for writing
 * through the mount, are invalidated.  The inodes are gathered under the
 * lock and told of after it, as for any event (a notice may wait on a
 * page lock whose reader waits for a worker that waits for the lock).
 */
static void watch_lost(struct watch *w)
{
	struct watch_todo *todo;
	size_t n = 0;
	bool epoch = watch_new_epoch(w), all;

	pthread_mutex_lock(&w->lock);
	todo = calloc(w->nmarks ? w->nmarks : 1, sizeof(*todo));
	for (size_t i = 0; todo && i < w->nbuckets; i++) {
		for (const struct watch_mark *m = w->marks[i]; m; m = m->next)
			todo[n++] = (struct watch_todo){
				.inode = fs_nodeid(w->ctx, m->in),
				.data = m->in->type == S_IFREG &&
					!__atomic_load_n(&m->in->writers, __ATOMIC_RELAXED),
			};
	}
	pthread_mutex_unlock(&w->lock);
	all = todo != NULL;
	for (size_t i = 0; i < n; i++)
		watch_send(w, &todo[i]);
	free(todo);
	if (!epoch || !all) {
		static bool warned;

		if (log_first(&warned))
			warn("watch: fanotify's queue overflowed, and %s: some changes behind the mount may show only when timeouts expire",
			     !all ? "the server is out of memory" :
			     "this kernel cannot be told to forget every name it cached (Linux >= 6.16)");
	} else {
		static bool told;

		if (log_first(&told))
			warn("watch: fanotify's queue overflowed; the kernel was told to forget all it cached (%zu inodes), and asks again", n);
	}
}

static void *watch_main(void *arg)
{
	struct watch *w = arg;
	struct pollfd pfd[3] = {
		{ .fd = w->stop_fd, .events = POLLIN },
		{ .fd = w->names, .events = POLLIN },
		{ .fd = w->inodes, .events = POLLIN },
	};

	for (;;) {
		const struct timespec settle = { 0, WATCH_SETTLE_NS };

		if (poll(pfd, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			err_perror(errno, "watcher: poll");
			break;
		}
		if (pfd[0].revents)
			break;
		/* one batch: what the queues hold now */
		watch_count(&w->ctx->stats.watch.wakeups, 1);
		if (!watch_read(w, w->names) || !watch_read(w, w->inodes))
			break;
		if (w->lost) {
			w->lost = false;
			watch_lost(w);
		}
		/* rest, but not from stopping */
		if (ppoll(pfd, 1, &settle, NULL) > 0)
			break;
	}
	return NULL;
}

/*
 * A fanotify group that reports events by file handle (@report), with no
 * limit on its queue and marks where we may.  Return: it, or -errno.
 */
static int watch_group(unsigned int report)
{
	unsigned int flags = FAN_CLASS_NOTIF | FAN_CLOEXEC | FAN_NONBLOCK | report;
	int fd = fanotify_init(flags | FAN_UNLIMITED_QUEUE | FAN_UNLIMITED_MARKS,
			       O_RDONLY);

	/* without CAP_SYS_ADMIN: fs.fanotify.max_queued_events and
	 * max_user_marks apply */
	if (fd < 0 && errno == EPERM)
		fd = fanotify_init(flags, O_RDONLY);
	return fd < 0 ? -errno : fd;
}

/* Free the table of marks, and the inodes' pointers into it. */
static void watch_free_marks(struct watch *w)
{
	for (size_t i = 0; i < w->nbuckets; i++) {
		struct watch_mark *m = w->marks[i], *next;

		for (; m; m = next) {
			next = m->next;
			m->in->mark = NULL;
			free(m);
		}
	}
	free(w->marks);
	free(w->fsids);
	__atomic_store_n(&w->ctx->stats.watch.marks, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&w->ctx->stats.watch.unwatched, 0, __ATOMIC_RELAXED);
}

/**
 * watch_start() - watch the root, and from now on every inode looked up
 * @ctx:	the server
 * @se:	its session, for the invalidation notices
 *
 * Return: 0 or -errno
 */
int watch_start(struct fs_ctx *ctx, struct fuse_session *se)
{
	struct watch *w = calloc(1, sizeof(*w));
	int ret;

	if (!w)
		return -ENOMEM;
	w->names = watch_group(FAN_REPORT_DFID_NAME);
	if (w->names < 0) {
		ret = w->names;
		goto err_free;
	}
	w->inodes = watch_group(FAN_REPORT_FID);
	if (w->inodes < 0) {
		ret = w->inodes;
		goto err_close_names;
	}
	w->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (w->stop_fd < 0) {
		ret = -errno;
		goto err_close_inodes;
	}
	w->self = getpid();
	w->fid_flags = AT_HANDLE_FID;
	w->se = se;
	w->ctx = ctx;
	pthread_mutex_init(&w->lock, NULL);
	ctx->watch = w;
	watch_inode(ctx, &ctx->inodes.root, NULL, NULL);
	ret = -pthread_create(&w->thread, NULL, watch_main, w);
	if (ret)
		goto err_destroy;
	return 0;

err_destroy:
	ctx->watch = NULL;
	watch_free_marks(w);
	pthread_mutex_destroy(&w->lock);
	close(w->stop_fd);
err_close_inodes:
	close(w->inodes);
err_close_names:
	close(w->names);
err_free:
	free(w);
	return ret;
}

/**
 * watch_quiet_mount() - ignore from now on the writes made through the
 * mount @mnt_fd (passthrough_quiet())
 * @ctx:	the server, watching
 * @mnt_fd:	the root of a mount that only the server uses
 *
 * An ignore mask on a mount counts for every mark of the group, the
 * inodes' too: a write to a marked file through that mount makes no
 * event, and the writer is spared the handle and the queueing of one
 * (Linux 6.0: FAN_MARK_IGNORE; it survives the writes it ignores).
 *
 * Return: 0 or -errno
 */
int watch_quiet_mount(struct fs_ctx *ctx, int mnt_fd)
{
	struct watch *w = ctx->watch;

	if (!w)
		return -ENOENT;
	/* by name ".": without one, fanotify_mark() refuses an O_PATH
	 * descriptor (EBADF) */
	if (fanotify_mark(w->inodes, FAN_MARK_ADD | FAN_MARK_MOUNT |
			  WATCH_MARK_IGNORE_SURV, FAN_MODIFY, mnt_fd, "."))
		return -errno;
	return 0;
}

/**
 * watch_stop() - stop watching; before the session and inodes go
 * @ctx:	the server
 */
void watch_stop(struct fs_ctx *ctx)
{
	struct watch *w = ctx->watch;

	if (!w)
		return;
	if (eventfd_write(w->stop_fd, 1)) {
		/* it still runs: leave it its memory */
		err_perror(errno, "watcher: cannot stop it");
		return;
	}
	pthread_join(w->thread, NULL);
	ctx->watch = NULL;
	/* closing the groups removes their marks, pinned or not */
	close(w->names);
	close(w->inodes);
	close(w->stop_fd);
	watch_free_marks(w);
	pthread_mutex_destroy(&w->lock);
	free(w);
}
