// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * watch.c - invalidate the kernel's caches when the source changes behind
 * the mount
 *
 * With long entry and attribute timeouts (cache and passthrough), the
 * kernel would go on believing what it last heard from us while other
 * processes change the source directly.  Every directory the kernel knows
 * about is watched with inotify; a name created, deleted or moved
 * invalidates that entry and the directory's attributes, and a child whose
 * content or attributes changed is invalidated as an inode (attributes and
 * cached pages).
 *
 * Changes made through the mount come back as events too, and must not
 * throw away what the kernel has just been told.  So the server expects
 * the name events of its own namespace changes (watch_expect(), one event
 * each, withdrawn if the change failed, forgotten after a second), and
 * each inode remembers the ctime and size last sent to the kernel, or,
 * in cache mode, those a file written through the mount had when it was
 * closed (its data is in the kernel's pages): an event that leaves both
 * so is one the kernel knows of.  Wherever
 * this bookkeeping is unsure, it errs towards invalidating, which costs a
 * lookup, never a wrong answer.  While a file is open for writing through
 * the mount, only its attributes are invalidated on a change, not its
 * pages: a writer behind the mount and one through it at once see each
 * other's data only after the file is closed through the mount.
 *
 * Writes through a passthrough mount reach the source file directly and
 * raise IN_MODIFY as any other writer's would, one event per write(2).
 * Read at once, each would wake the watcher: at 4 KiB writes that costs
 * more than the write itself.  So after each batch the watcher rests
 * WATCH_SETTLE_NS, away from the inotify queue: the kernel merges an event
 * equal to the last one queued, nobody is waiting to be woken, and a
 * change behind the mount is still seen within a few milliseconds.  What
 * one read(2) of the queue repeats for one name (the kernel merges only
 * neighbours) is handled once.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "watch.h"

#define WATCH_MASK	(IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | \
			 IN_ATTRIB | IN_MODIFY | IN_CLOSE_WRITE | IN_ONLYDIR | \
			 IN_EXCL_UNLINK)
#define WATCH_NAMES	(IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO)
#define WATCH_EXPECTS	256		/* own changes in flight */
#define WATCH_EXPECT_NS	1000000000LL	/* an expectation lives 1 s */
#define WATCH_SETTLE_NS	5000000		/* rest between batches: 5 ms */
#define WATCH_SEEN	64		/* child events remembered per batch */

struct watch_expect {
	const struct inode *dir;	/* NULL: free slot */
	uint32_t mask;
	int64_t until_ns;
	char name[NAME_MAX + 1];
};

struct watch {
	int fd;
	int stop_fd;		/* an eventfd: readable when the thread must end */
	pthread_t thread;
	struct fuse_session *se;
	struct fs_ctx *ctx;
	pthread_mutex_t lock;	/* by_wd, and inodes while we use them */
	struct inode **by_wd;	/* inotify watch descriptor -> directory */
	size_t nwd;
	struct watch_expect expect[WATCH_EXPECTS];
};

/**
 * watch_dir() - watch a directory the kernel now knows about
 * @ctx:	the server
 * @in:	a directory inode
 */
void watch_dir(struct fs_ctx *ctx, struct inode *in)
{
	struct watch *w = ctx->watch;
	char path[FS_PROC_PATH];
	int wd;

	if (!w || in->type != S_IFDIR || in->wd > 0)
		return;
	fs_proc_path(path, in->fd);
	wd = inotify_add_watch(w->fd, path, WATCH_MASK);
	if (wd < 0) {
		static bool warned;

		if (log_first(&warned))
			warn_perror(errno, "watch: cannot watch more directories (fs.inotify.max_user_watches); changes behind the mount may be seen late");
		return;
	}
	pthread_mutex_lock(&w->lock);
	if ((size_t)wd >= w->nwd) {
		size_t n = (size_t)wd * 2 + 64;
		struct inode **m = realloc(w->by_wd, n * sizeof(*m));

		if (!m) {
			pthread_mutex_unlock(&w->lock);
			inotify_rm_watch(w->fd, wd);
			return;
		}
		memset(m + w->nwd, 0, (n - w->nwd) * sizeof(*m));
		w->by_wd = m;
		w->nwd = n;
	}
	w->by_wd[wd] = in;
	in->wd = wd;
	pthread_mutex_unlock(&w->lock);
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

	if (!w || in->wd <= 0)
		return;
	pthread_mutex_lock(&w->lock);
	if ((size_t)in->wd < w->nwd && w->by_wd[in->wd] == in)
		w->by_wd[in->wd] = NULL;
	inotify_rm_watch(w->fd, in->wd);
	in->wd = 0;
	pthread_mutex_unlock(&w->lock);
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

/**
 * watch_expect() - the server is about to change @name in @dir itself:
 * the inotify event it will cause is no news to the kernel
 * @ctx:	the server
 * @dir:	the directory
 * @name:	the name
 * @mask:	the event it will cause (IN_CREATE, IN_DELETE, IN_MOVED_*)
 *
 * When every slot is taken the expectation is not kept, and the event will
 * invalidate as if someone else had made the change.
 */
void watch_expect(struct fs_ctx *ctx, struct inode *dir, const char *name,
		  uint32_t mask)
{
	struct watch *w = ctx->watch;
	int64_t now = (int64_t)clock_ns();

	if (!w || strlen(name) > NAME_MAX)
		return;
	pthread_mutex_lock(&w->lock);
	for (int i = 0; i < WATCH_EXPECTS; i++) {
		struct watch_expect *e = &w->expect[i];

		if (e->dir && e->until_ns > now)
			continue;
		e->dir = dir;
		e->mask = mask;
		e->until_ns = now + WATCH_EXPECT_NS;
		strcpy(e->name, name);
		break;
	}
	pthread_mutex_unlock(&w->lock);
}

/* Take the expectation matching an event; true when there was one. */
static bool watch_take(struct watch *w, const struct inode *dir,
		       const char *name, uint32_t mask)
{
	int64_t now = (int64_t)clock_ns();

	for (int i = 0; i < WATCH_EXPECTS; i++) {
		struct watch_expect *e = &w->expect[i];

		if (e->dir == dir && (e->mask & mask) && e->until_ns > now &&
		    !strcmp(e->name, name)) {
			e->dir = NULL;
			return true;
		}
	}
	return false;
}

/**
 * watch_unexpect() - the change announced by watch_expect() failed
 * @ctx:	the server
 * @dir:	the directory
 * @name:	the name
 * @mask:	the event announced
 */
void watch_unexpect(struct fs_ctx *ctx, struct inode *dir, const char *name,
		    uint32_t mask)
{
	struct watch *w = ctx->watch;

	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	watch_take(w, dir, name, mask);
	pthread_mutex_unlock(&w->lock);
}

/* The watcher's counters have one writer, this thread; --stats reads them. */
static void watch_count(uint64_t *c, uint64_t n)
{
	__atomic_store_n(c, *c + n, __ATOMIC_RELAXED);
}

/* What one event asks of the kernel, decided under the lock. */
struct watch_todo {
	fuse_ino_t dir;		/* the directory */
	bool dir_attr;		/* invalidate its attributes */
	bool entry;		/* invalidate the entry dir/name */
	fuse_ino_t child;	/* invalidate this inode, or 0 */
	bool child_data;	/* its pages too, not only its attributes */
};

static void watch_event(struct watch *w, const struct inotify_event *ev)
{
	struct watch_todo todo = { 0 };
	struct inode *dir, *child;
	struct stat st;

	if (ev->mask & IN_Q_OVERFLOW) {
		watch_count(&w->ctx->stats.watch.overflows, 1);
		warn("watch: inotify queue overflowed; some changes behind the mount may be seen late");
		return;
	}
	pthread_mutex_lock(&w->lock);
	dir = ev->wd > 0 && (size_t)ev->wd < w->nwd ? w->by_wd[ev->wd] : NULL;
	if (!dir) {
		pthread_mutex_unlock(&w->lock);
		return;
	}
	todo.dir = fs_nodeid(w->ctx, dir);
	if (ev->len && (ev->mask & WATCH_NAMES)) {
		/* a name came or went: news unless we made it so */
		if (!watch_take(w, dir, ev->name, ev->mask & WATCH_NAMES))
			todo.entry = todo.dir_attr = true;
	} else if (!ev->len) {
		/* the directory itself */
		todo.dir_attr = fstatat(dir->fd, "", &st, AT_EMPTY_PATH) ||
				!watch_as_sent(dir, &st);
	} else if (!fstatat(dir->fd, ev->name, &st, AT_SYMLINK_NOFOLLOW)) {
		/* a child's content or attributes */
		child = inode_find(&w->ctx->inodes, st.st_dev, st.st_ino);
		if (child && !watch_as_sent(child, &st)) {
			todo.child = fs_nodeid(w->ctx, child);
			todo.child_data = !__atomic_load_n(&child->writers,
							   __ATOMIC_RELAXED);
		}
	}
	pthread_mutex_unlock(&w->lock);

	/* Errors mean the kernel has forgotten the node already: fine. */
	if (todo.entry)
		fuse_lowlevel_notify_inval_entry(w->se, todo.dir, ev->name,
						 strlen(ev->name));
	if (todo.child)
		fuse_lowlevel_notify_inval_inode(w->se, todo.child,
						 todo.child_data ? 0 : -1, 0);
	if (todo.dir_attr)
		fuse_lowlevel_notify_inval_inode(w->se, todo.dir, -1, 0);
	watch_count(&w->ctx->stats.watch.inval_entries, todo.entry);
	watch_count(&w->ctx->stats.watch.inval_inodes,
		    !!todo.child + todo.dir_attr);
}

/* FNV-1a of an event's directory and name, never 0 */
static uint64_t watch_key(const struct inotify_event *ev)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ (uint32_t)ev->wd;

	for (const char *c = ev->name; *c; c++)
		h = (h ^ (unsigned char)*c) * 0x100000001b3ULL;
	return h | 1;
}

/* Child events handled in one read's worth of events */
struct watch_seen {
	uint64_t key[WATCH_SEEN];
	unsigned int n;
};

/*
 * A child's content or attributes: true when the same name had such an
 * event earlier in the same read.  Handling that one looked at the file
 * after both had happened, which does for both.  A name event is never
 * skipped and empties the set: what follows may be about another file
 * under the same name.
 */
static bool watch_repeat(struct watch_seen *seen, const struct inotify_event *ev)
{
	uint64_t key;
	size_t i;

	if (!ev->len || (ev->mask & (WATCH_NAMES | IN_Q_OVERFLOW))) {
		if (ev->len || (ev->mask & IN_Q_OVERFLOW))
			memset(seen, 0, sizeof(*seen));
		return false;
	}
	key = watch_key(ev);
	for (i = key % WATCH_SEEN; seen->key[i]; i = (i + 1) % WATCH_SEEN)
		if (seen->key[i] == key)
			return true;
	/* keep a free slot, so that the search ends */
	if (seen->n < WATCH_SEEN - 1) {
		seen->key[i] = key;
		seen->n++;
	}
	return false;
}

static void *watch_main(void *arg)
{
	struct watch *w = arg;
	char buf[64 * (sizeof(struct inotify_event) + NAME_MAX + 1)]
		__attribute__((aligned(__alignof__(struct inotify_event))));
	struct stats_watch *st = &w->ctx->stats.watch;
	struct watch_seen seen;
	struct pollfd pfd[2] = {
		{ .fd = w->fd, .events = POLLIN },
		{ .fd = w->stop_fd, .events = POLLIN },
	};

	for (;;) {
		const struct timespec settle = { 0, WATCH_SETTLE_NS };
		ssize_t n;

		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			err_perror(errno, "watcher: poll");
			break;
		}
		if (pfd[1].revents)
			break;
		/* one batch: what the queue holds now */
		watch_count(&st->wakeups, 1);
		while ((n = read(w->fd, buf, sizeof(buf))) > 0) {
			memset(&seen, 0, sizeof(seen));
			for (char *p = buf; p < buf + n; ) {
				const struct inotify_event *ev = (const void *)p;

				watch_count(&st->events, 1);
				if (watch_repeat(&seen, ev))
					watch_count(&st->repeats, 1);
				else
					watch_event(w, ev);
				p += sizeof(*ev) + ev->len;
			}
		}
		if (n < 0 && errno != EINTR && errno != EAGAIN) {
			err_perror(errno, "watcher: read");
			break;
		}
		/* rest, but not from stopping */
		if (ppoll(&pfd[1], 1, &settle, NULL) > 0)
			break;
	}
	return NULL;
}

/**
 * watch_start() - watch the root, and from now on every directory looked up
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
	w->fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	w->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (w->fd < 0 || w->stop_fd < 0) {
		ret = -errno;
		if (w->fd >= 0)
			close(w->fd);
		free(w);
		return ret;
	}
	w->se = se;
	w->ctx = ctx;
	pthread_mutex_init(&w->lock, NULL);
	ctx->watch = w;
	watch_dir(ctx, &ctx->inodes.root);
	ret = -pthread_create(&w->thread, NULL, watch_main, w);
	if (ret) {
		ctx->watch = NULL;
		close(w->fd);
		close(w->stop_fd);
		free(w);
	}
	return ret;
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
	close(w->fd);
	close(w->stop_fd);
	free(w->by_wd);
	pthread_mutex_destroy(&w->lock);
	free(w);
}
