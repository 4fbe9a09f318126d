// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fusefloor.c - the least a FUSE server can do for bench/fs's metadata
 * rows, so that a run shows where a file server whose requests come
 * through /dev/fuse stops on this machine, whatever the server does.
 *
 *   fusefloor [--io-uring] MOUNTPOINT
 *
 * It keeps its files in memory, has no source tree to call into and
 * answers each request at once: empty regular files and directories, made
 * with create and mkdir, looked up, listed (readdirplus), stat'ed and
 * removed.  It takes the kernel's caching as hk-fs-server's default does
 * (a day's entry and attribute timeouts, negative entries too, OPENDIR
 * declined so that the kernel keeps directory listings, and in a listing
 * no node for a file the kernel knows), declines FLUSH (as bindfs does,
 * so that a create waits for two requests, not three), and runs
 * libfuse's single-threaded loop, which for one caller at a time spares
 * the hand-off between threads.  Everything else (data, links, renames,
 * xattrs) is refused with ENOSYS: it is a measuring instrument, not a
 * file system, and bench/fs runs only create, stat, unlink, find and du
 * on it.  It stays in the foreground and exits on unmount or SIGTERM.
 *
 * With --io-uring its requests come over io_uring, where the kernel
 * offers it (Linux >= 6.14, the fuse module's enable_uring set), through
 * hk-fs-server's own transport (fs-server/ring.c): one queue per CPU,
 * each served by a thread pinned to it, FORGETs still through /dev/fuse.
 * Its requests are then served on several threads, one at a time under
 * a lock.  It says on stderr whether the queues ran, and how many
 * requests came over them.
 */
#define FUSE_USE_VERSION 314
#include <errno.h>
#include <fuse_lowlevel.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "abi.h"
#include "ring.h"
#include "stats.h"

#define TIMEOUT		86400.0
#define BUCKETS		(1u << 18)
/* a ring entry's room for a payload: the kernel wants the larger of
 * max_write and max_pages pages, which libfuse 3.14 sets to its buffer
 * less a page, 1 MiB */
#define MAX_IO		(1u << 20)

struct node {
	struct node *hnext;		/* in its (parent, name) bucket */
	struct node *parent;
	struct node *prev, *next;	/* among the parent's children */
	struct node *first, *last;	/* children, oldest first */
	uint64_t cookie;		/* readdir offset in the parent */
	uint64_t next_cookie;		/* for the next child */
	uint64_t nlookup;
	bool linked;			/* still has its name */
	struct stat st;
	char name[];
};

static struct node *bucket[BUCKETS];
static struct node root;
static uint64_t next_ino = 2;

static struct node *node_of(fuse_ino_t ino)
{
	return ino == FUSE_ROOT_ID ? &root : (struct node *)(uintptr_t)ino;
}

static fuse_ino_t ino_of(struct node *n)
{
	return n == &root ? FUSE_ROOT_ID : (fuse_ino_t)(uintptr_t)n;
}

static uint32_t hash(const struct node *parent, const char *name)
{
	uint64_t h = (uint64_t)(uintptr_t)parent * 0x9E3779B97F4A7C15ULL;

	for (const unsigned char *c = (const unsigned char *)name; *c; c++)
		h = (h ^ *c) * 0x100000001B3ULL;
	return (uint32_t)(h >> 40) & (BUCKETS - 1);
}

static struct node *find(struct node *parent, const char *name)
{
	for (struct node *n = bucket[hash(parent, name)]; n; n = n->hnext)
		if (n->parent == parent && !strcmp(n->name, name))
			return n;
	return NULL;
}

static void stamp(struct timespec *t)
{
	clock_gettime(CLOCK_REALTIME, t);
}

static struct node *add(fuse_req_t req, struct node *parent, const char *name, mode_t mode)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	size_t len = strlen(name);
	struct node *n = calloc(1, sizeof(*n) + len + 1);
	uint32_t h = hash(parent, name);

	if (!n)
		return NULL;
	memcpy(n->name, name, len + 1);
	n->parent = parent;
	n->linked = true;
	n->st.st_ino = next_ino++;
	n->st.st_mode = mode;
	n->st.st_nlink = S_ISDIR(mode) ? 2 : 1;
	n->st.st_uid = ctx->uid;
	n->st.st_gid = ctx->gid;
	n->st.st_blksize = 4096;
	stamp(&n->st.st_mtim);
	n->st.st_atim = n->st.st_ctim = n->st.st_mtim;
	n->next_cookie = 3;	/* 1 and 2 are "." and ".." */
	n->hnext = bucket[h];
	bucket[h] = n;
	n->cookie = parent->next_cookie++;
	n->prev = parent->last;
	if (parent->last)
		parent->last->next = n;
	else
		parent->first = n;
	parent->last = n;
	if (S_ISDIR(mode))
		parent->st.st_nlink++;
	parent->st.st_mtim = parent->st.st_ctim = n->st.st_mtim;
	return n;
}

/* The name goes; the node stays while the kernel knows it. */
static void unname(struct node *n)
{
	struct node *parent = n->parent, **p = &bucket[hash(parent, n->name)];

	while (*p != n)
		p = &(*p)->hnext;
	*p = n->hnext;
	if (n->prev)
		n->prev->next = n->next;
	else
		parent->first = n->next;
	if (n->next)
		n->next->prev = n->prev;
	else
		parent->last = n->prev;
	if (S_ISDIR(n->st.st_mode))
		parent->st.st_nlink--;
	stamp(&parent->st.st_mtim);
	parent->st.st_ctim = parent->st.st_mtim;
	n->linked = false;
	n->st.st_nlink = 0;
	if (!n->nlookup)
		free(n);
}

static void entry(fuse_req_t req, struct node *n)
{
	struct fuse_entry_param e = { .attr_timeout = TIMEOUT, .entry_timeout = TIMEOUT };

	if (n) {
		n->nlookup++;
		e.ino = ino_of(n);
		e.attr = n->st;
	}
	fuse_reply_entry(req, &e);
}

static void ff_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	/* a name that is not there is cached too, as by hk-fs-server */
	entry(req, find(node_of(parent), name));
}

static void forget_one(fuse_ino_t ino, uint64_t nlookup)
{
	struct node *n = node_of(ino);

	if (n == &root)
		return;
	n->nlookup -= nlookup;
	if (!n->nlookup && !n->linked)
		free(n);
}

static void ff_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	forget_one(ino, nlookup);
	fuse_reply_none(req);
}

static void ff_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *f)
{
	for (size_t i = 0; i < count; i++)
		forget_one(f[i].ino, f[i].nlookup);
	fuse_reply_none(req);
}

static void ff_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)fi;
	fuse_reply_attr(req, &node_of(ino)->st, TIMEOUT);
}

static void ff_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
		       struct fuse_file_info *fi)
{
	struct node *n = node_of(ino);

	(void)fi;
	if (to_set & FUSE_SET_ATTR_SIZE && attr->st_size) {
		fuse_reply_err(req, ENOSYS);	/* no data here */
		return;
	}
	if (to_set & FUSE_SET_ATTR_MODE)
		n->st.st_mode = (n->st.st_mode & S_IFMT) | (attr->st_mode & 07777);
	if (to_set & FUSE_SET_ATTR_UID)
		n->st.st_uid = attr->st_uid;
	if (to_set & FUSE_SET_ATTR_GID)
		n->st.st_gid = attr->st_gid;
	if (to_set & FUSE_SET_ATTR_ATIME)
		n->st.st_atim = attr->st_atim;
	if (to_set & FUSE_SET_ATTR_MTIME)
		n->st.st_mtim = attr->st_mtim;
	if (to_set & FUSE_SET_ATTR_ATIME_NOW)
		stamp(&n->st.st_atim);
	if (to_set & FUSE_SET_ATTR_MTIME_NOW)
		stamp(&n->st.st_mtim);
	stamp(&n->st.st_ctim);
	fuse_reply_attr(req, &n->st, TIMEOUT);
}

/* A new name in @parent, or the errno that stops it (EEXIST: *@n is
 * the node that has the name). */
static int make(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, struct node **n)
{
	struct node *p = node_of(parent);

	*n = NULL;
	if (strlen(name) > 255)
		return ENAMETOOLONG;
	*n = find(p, name);
	if (*n)
		return EEXIST;
	*n = add(req, p, name, mode);
	return *n ? 0 : ENOMEM;
}

static void ff_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	struct node *n;
	int err = make(req, parent, name, S_IFDIR | (mode & 07777), &n);

	if (err)
		fuse_reply_err(req, err);
	else
		entry(req, n);
}

static void ff_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		      struct fuse_file_info *fi)
{
	struct fuse_entry_param e = { .attr_timeout = TIMEOUT, .entry_timeout = TIMEOUT };
	struct node *n;
	int err = make(req, parent, name, S_IFREG | (mode & 07777), &n);

	/* a file that is there is opened, unless O_EXCL (which the kernel
	 * asks for only when its lookup found nothing) */
	if (err == EEXIST && !(fi->flags & O_EXCL))
		err = S_ISREG(n->st.st_mode) ? 0 : S_ISDIR(n->st.st_mode) ? EISDIR : ENOSYS;
	if (err) {
		fuse_reply_err(req, err);
		return;
	}
	n->nlookup++;
	e.ino = ino_of(n);
	e.attr = n->st;
	fi->keep_cache = 1;
	fuse_reply_create(req, &e, fi);
}

static void ff_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	fi->keep_cache = 1;
	fuse_reply_open(req, fi);
}

static void ff_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	(void)fi;
	fuse_reply_err(req, 0);
}

static void ff_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct node *n = find(node_of(parent), name);

	if (!n)
		fuse_reply_err(req, ENOENT);
	else if (S_ISDIR(n->st.st_mode))
		fuse_reply_err(req, EISDIR);
	else {
		unname(n);
		fuse_reply_err(req, 0);
	}
}

static void ff_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct node *n = find(node_of(parent), name);

	if (!n)
		fuse_reply_err(req, ENOENT);
	else if (!S_ISDIR(n->st.st_mode))
		fuse_reply_err(req, ENOTDIR);
	else if (n->first)
		fuse_reply_err(req, ENOTEMPTY);
	else {
		unname(n);
		fuse_reply_err(req, 0);
	}
}

/* Entries after cookie @off, "." and ".." first, as many as fit in @size. */
static void list(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, bool plus)
{
	struct node *d = node_of(ino), *n = d->first;
	char *buf = malloc(size), *p = buf;
	size_t left = size;

	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	for (uint64_t c = (uint64_t)off + 1; c < 3; c++) {
		struct node *self = c == 1 ? d : d->parent ? d->parent : d;
		struct fuse_entry_param e = { .attr = self->st };
		const char *name = c == 1 ? "." : "..";
		size_t len = plus ? fuse_add_direntry_plus(req, p, left, name, &e, (off_t)c) :
				    fuse_add_direntry(req, p, left, name, &self->st, (off_t)c);

		if (len > left)
			goto done;
		p += len;
		left -= len;
	}
	while (n && n->cookie <= (uint64_t)off)
		n = n->next;
	for (; n; n = n->next) {
		/* a node the kernel knows goes without one, as hk-fs-server
		 * sends it: the kernel keeps what it has and takes nothing
		 * to forget later; any other is a lookup */
		bool known = n->nlookup > 0;
		struct fuse_entry_param e = { .ino = known ? 0 : ino_of(n), .attr = n->st,
					      .attr_timeout = TIMEOUT, .entry_timeout = TIMEOUT };
		size_t len = plus ? fuse_add_direntry_plus(req, p, left, n->name, &e, (off_t)n->cookie) :
				    fuse_add_direntry(req, p, left, n->name, &n->st, (off_t)n->cookie);

		if (len > left)
			break;
		if (plus && !known)
			n->nlookup++;
		p += len;
		left -= len;
	}
done:
	fuse_reply_buf(req, buf, size - left);
	free(buf);
}

/* ENOSYS, once, as from hk-fs-server: the kernel then opens directories
 * itself and keeps their listings from one open to the next */
static void ff_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	(void)fi;
	fuse_reply_err(req, ENOSYS);
}

static void ff_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	(void)fi;
	list(req, ino, size, off, false);
}

static void ff_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			   struct fuse_file_info *fi)
{
	(void)fi;
	list(req, ino, size, off, true);
}

/*
 * Over io_uring, requests are served on the queues' threads and FORGETs
 * on libfuse's loop: each handler then runs under one lock.  Through
 * /dev/fuse alone there is one thread, and no lock is taken.
 */
static bool locking;
static pthread_mutex_t big = PTHREAD_MUTEX_INITIALIZER;

#define LOCKED(name, proto, args)					\
	static void locked_##name proto					\
	{								\
		if (locking)						\
			pthread_mutex_lock(&big);			\
		ff_##name args;						\
		if (locking)						\
			pthread_mutex_unlock(&big);			\
	}

LOCKED(lookup, (fuse_req_t req, fuse_ino_t p, const char *n), (req, p, n))
LOCKED(forget, (fuse_req_t req, fuse_ino_t i, uint64_t n), (req, i, n))
LOCKED(forget_multi, (fuse_req_t req, size_t n, struct fuse_forget_data *f), (req, n, f))
LOCKED(getattr, (fuse_req_t req, fuse_ino_t i, struct fuse_file_info *fi), (req, i, fi))
LOCKED(setattr, (fuse_req_t req, fuse_ino_t i, struct stat *a, int set, struct fuse_file_info *fi),
       (req, i, a, set, fi))
LOCKED(mkdir, (fuse_req_t req, fuse_ino_t p, const char *n, mode_t m), (req, p, n, m))
LOCKED(create, (fuse_req_t req, fuse_ino_t p, const char *n, mode_t m, struct fuse_file_info *fi),
       (req, p, n, m, fi))
LOCKED(open, (fuse_req_t req, fuse_ino_t i, struct fuse_file_info *fi), (req, i, fi))
LOCKED(release, (fuse_req_t req, fuse_ino_t i, struct fuse_file_info *fi), (req, i, fi))
LOCKED(unlink, (fuse_req_t req, fuse_ino_t p, const char *n), (req, p, n))
LOCKED(rmdir, (fuse_req_t req, fuse_ino_t p, const char *n), (req, p, n))
LOCKED(opendir, (fuse_req_t req, fuse_ino_t i, struct fuse_file_info *fi), (req, i, fi))
LOCKED(readdir, (fuse_req_t req, fuse_ino_t i, size_t size, off_t off, struct fuse_file_info *fi),
       (req, i, size, off, fi))
LOCKED(readdirplus, (fuse_req_t req, fuse_ino_t i, size_t size, off_t off, struct fuse_file_info *fi),
       (req, i, size, off, fi))

static const struct fuse_lowlevel_ops ops = {
	.lookup = locked_lookup,
	.forget = locked_forget,
	.forget_multi = locked_forget_multi,
	.getattr = locked_getattr,
	.setattr = locked_setattr,
	.mkdir = locked_mkdir,
	.create = locked_create,
	.open = locked_open,
	.release = locked_release,
	.unlink = locked_unlink,
	.rmdir = locked_rmdir,
	.opendir = locked_opendir,
	.readdir = locked_readdir,
	.readdirplus = locked_readdirplus,
};

/* --io-uring: the /dev/fuse I/O, to ask for the queues and start them */
static struct {
	struct fuse_session *se;
	bool offered;		/* the kernel's INIT offered io_uring */
	bool init_reply;	/* the next reply answers INIT */
	struct ring *ring;
	struct stats stats;	/* the queues, and requests over them */
} uring;

static ssize_t uring_read(int fd, void *buf, size_t len, void *userdata)
{
	struct ring *r = __atomic_load_n(&uring.ring, __ATOMIC_ACQUIRE);
	ssize_t n = ring_dev_read(r, fd, buf, len);

	(void)userdata;
	if (n >= (ssize_t)sizeof(struct fuse_in_header) &&
	    ((const struct fuse_in_header *)buf)->opcode == FUSE_INIT) {
		uring.offered = ring_offered(buf, n);
		uring.init_reply = true;
	}
	return n;
}

static ssize_t uring_writev(int fd, struct iovec *iov, int count, void *userdata)
{
	bool start = false;
	ssize_t n;

	(void)userdata;
	if (uring.init_reply) {
		uring.init_reply = false;
		start = uring.offered && ring_ask(iov, count);
	}
	n = ring_writev(fd, iov, count);
	/* the kernel takes the queues' registrations once INIT is answered */
	if (start && n >= 0) {
		locking = true;
		__atomic_store_n(&uring.ring, ring_start(uring.se, fd, MAX_IO, &uring.stats),
				 __ATOMIC_RELEASE);
		if (uring.ring)
			fprintf(stderr, "fusefloor: io_uring: %u queues\n",
				uring.stats.ring_queues);
	}
	return n;
}

static const struct fuse_custom_io uring_io = {
	.writev = uring_writev,
	.read = uring_read,
};

int main(int argc, char **argv)
{
	char *fargv[] = { argv[0], "-o", "fsname=fusefloor,subtype=fusefloor,default_permissions", NULL };
	struct fuse_args args = FUSE_ARGS_INIT(3, fargv);
	struct fuse_session *se;
	bool want_uring = argc == 3 && !strcmp(argv[1], "--io-uring");
	const char *mnt = argv[argc - 1];
	int ret = 1;

	if (argc != 2 && !want_uring) {
		fprintf(stderr, "usage: fusefloor [--io-uring] MOUNTPOINT\n");
		return 2;
	}
	root.st.st_ino = 1;
	root.st.st_mode = S_IFDIR | 0755;
	root.st.st_nlink = 2;
	root.next_cookie = 3;
	root.nlookup = 1;
	root.linked = true;
	stamp(&root.st.st_mtim);
	root.st.st_atim = root.st.st_ctim = root.st.st_mtim;

	se = fuse_session_new(&args, &ops, sizeof(ops), NULL);
	if (!se)
		return 1;
	if (fuse_set_signal_handlers(se))
		goto out;
	if (fuse_session_mount(se, mnt))
		goto out_signals;
	uring.se = se;
	if (want_uring && fuse_session_custom_io(se, &uring_io, fuse_session_fd(se))) {
		fprintf(stderr, "fusefloor: libfuse took no custom I/O: no io_uring\n");
		fuse_session_unmount(se);
		goto out_signals;
	}
	ret = fuse_session_loop(se) ? 1 : 0;
	fuse_session_unmount(se);
	if (want_uring) {
		/* the connection is gone: the queues' commands end with it */
		ring_stop(uring.ring);
		if (uring.ring)
			fprintf(stderr, "fusefloor: io_uring: %u queues, %llu requests\n",
				uring.stats.ring_queues,
				(unsigned long long)uring.stats.ring_requests);
		else
			fprintf(stderr, "fusefloor: io_uring: %s\n", uring.offered ?
				"the queues could not be set up" :
				"the kernel did not offer it (Linux >= 6.14, /sys/module/fuse/parameters/enable_uring)");
	}
out_signals:
	fuse_remove_signal_handlers(se);
out:
	fuse_session_destroy(se);
	return ret;
}
