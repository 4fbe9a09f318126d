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
 * cached pages).  Changes made through the mount come back as events too;
 * they cost the kernel one more lookup or getattr, never a wrong answer.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "watch.h"

#define WATCH_MASK	(IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | \
			 IN_ATTRIB | IN_MODIFY | IN_CLOSE_WRITE | IN_ONLYDIR | \
			 IN_EXCL_UNLINK)
#define WATCH_NAMES	(IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO)

struct watch {
	int fd;
	pthread_t thread;
	struct fuse_session *se;
	struct fs_ctx *ctx;
	pthread_mutex_t lock;	/* by_wd, and inodes while we use them */
	struct inode **by_wd;	/* inotify watch descriptor -> directory */
	size_t nwd;
};

static fuse_ino_t watch_nodeid(struct fs_ctx *ctx, struct inode *in)
{
	return in == &ctx->inodes.root ? FUSE_ROOT_ID : (fuse_ino_t)(uintptr_t)in;
}

/**
 * watch_dir() - watch a directory the kernel now knows about
 * @ctx:	the server
 * @in:	a directory inode
 */
void watch_dir(struct fs_ctx *ctx, struct inode *in)
{
	struct watch *w = ctx->watch;
	char path[32];
	int wd;

	if (!w || in->type != S_IFDIR || in->wd > 0)
		return;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", in->fd);
	wd = inotify_add_watch(w->fd, path, WATCH_MASK);
	if (wd < 0) {
		static bool warned;

		if (!warned)
			warn_perror(errno, "watch: cannot watch more directories (fs.inotify.max_user_watches); changes behind the mount may be seen late");
		warned = true;
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

/* What one event asks of the kernel, decided under the lock. */
struct watch_todo {
	fuse_ino_t dir;		/* invalidate this directory's attributes */
	fuse_ino_t child;	/* invalidate this inode, or 0 */
	bool entry;		/* invalidate the entry dir/name */
};

static void watch_event(struct watch *w, const struct inotify_event *ev)
{
	struct watch_todo todo = { 0 };
	struct inode *dir, *child;
	struct stat st;

	if (ev->mask & IN_Q_OVERFLOW) {
		warn("watch: inotify queue overflowed; some changes behind the mount may be seen late");
		return;
	}
	pthread_mutex_lock(&w->lock);
	dir = ev->wd > 0 && (size_t)ev->wd < w->nwd ? w->by_wd[ev->wd] : NULL;
	if (!dir) {
		pthread_mutex_unlock(&w->lock);
		return;
	}
	todo.dir = watch_nodeid(w->ctx, dir);
	if (ev->len && (ev->mask & WATCH_NAMES)) {
		todo.entry = true;
	} else if (ev->len &&
		   !fstatat(dir->fd, ev->name, &st, AT_SYMLINK_NOFOLLOW)) {
		child = inode_find(&w->ctx->inodes, st.st_dev, st.st_ino);
		if (child)
			todo.child = watch_nodeid(w->ctx, child);
	}
	pthread_mutex_unlock(&w->lock);

	/* Errors mean the kernel has forgotten the node already: fine. */
	if (todo.entry)
		fuse_lowlevel_notify_inval_entry(w->se, todo.dir, ev->name,
						 strlen(ev->name));
	if (todo.child)
		fuse_lowlevel_notify_inval_inode(w->se, todo.child, 0, 0);
	if (!ev->len || todo.entry)
		fuse_lowlevel_notify_inval_inode(w->se, todo.dir, -1, 0);
}

static void *watch_main(void *arg)
{
	struct watch *w = arg;
	char buf[64 * (sizeof(struct inotify_event) + NAME_MAX + 1)]
		__attribute__((aligned(__alignof__(struct inotify_event))));

	for (;;) {
		ssize_t n = read(w->fd, buf, sizeof(buf));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;	/* the descriptor was closed: we are done */
		}
		for (char *p = buf; p < buf + n; ) {
			const struct inotify_event *ev = (const void *)p;

			watch_event(w, ev);
			p += sizeof(*ev) + ev->len;
		}
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
	w->fd = inotify_init1(IN_CLOEXEC);
	if (w->fd < 0) {
		ret = -errno;
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
	pthread_cancel(w->thread);
	pthread_join(w->thread, NULL);
	ctx->watch = NULL;
	close(w->fd);
	free(w->by_wd);
	pthread_mutex_destroy(&w->lock);
	free(w);
}
