// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * inode.c - the table of inodes the kernel holds references to
 *
 * The kernel names a file by a node id we gave it in a LOOKUP reply; we
 * use the address of our struct inode, so finding an inode on the hot path
 * costs nothing.  The table exists only so that the same file, reached by
 * two names or two lookups, gets the same node id (hard links, and the
 * kernel's own expectation), keyed by (st_dev, st_ino).
 *
 * Each inode holds an O_PATH descriptor opened with O_NOFOLLOW relative to
 * its parent's: every operation is an *at() call on it, so no path string
 * is ever resolved by the server and nothing outside the source is
 * reachable, whatever the tree's symlinks say.
 *
 * A descriptor per inode runs into the open file limit on a large tree
 * (find over 100,000 files holds 100,000 inodes).  Past a budget
 * (max_fds), an inode other than a directory is held by its file handle
 * (name_to_handle_at) instead, and each operation opens it for the time it
 * needs (open_by_handle_at, which needs CAP_DAC_READ_SEARCH).  A handle
 * names the inode as the descriptor did, not a path, so confinement is the
 * same.  It does not keep an unlinked inode reachable as a descriptor
 * does: before the server unlinks a file the kernel still holds, it gives
 * it a descriptor (inode_keep()).  Where the file system has no handles, or
 * the server may not open them, the inode keeps its descriptor.
 *
 * A listing (READDIRPLUS) hands the kernel an inode for every entry, most
 * of which nobody uses afterwards but for the attributes that came with
 * it (find, du, ls -l).  Opening each costs an open and a close, and a
 * handle two calls more, where one fstatat() gives the attributes.  So a
 * file met in a listing is held by name: its directory and the name it
 * was listed under (@at).  Its first use opens the name, checks that it
 * still leads to the same (st_dev, st_ino), and holds the inode by
 * descriptor or handle from then on.  A name that leads elsewhere by then
 * (changed behind the mount) answers ESTALE, on which the kernel looks
 * the path up again.  Before the server itself unlinks or renames a name,
 * the inode listed under it is held properly (inode_keep()), so that no
 * change made through the mount strands an inode.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "inode.h"
#include "locks.h"

#define INODE_MIN_BUCKETS	1024

static size_t inode_hash(dev_t dev, ino_t ino, size_t nbuckets)
{
	uint64_t h = (uint64_t)ino * 0x9e3779b97f4a7c15ULL ^ (uint64_t)dev;

	return (size_t)(h ^ (h >> 29)) & (nbuckets - 1);
}

/**
 * inode_table_init() - an empty table whose root is @root_fd
 * @t:	the table
 * @root_fd:	O_PATH descriptor of the source directory; the table owns it
 *
 * Return: 0 or -errno
 */
int inode_table_init(struct inode_table *t, int root_fd)
{
	struct stat st;

	if (fstat(root_fd, &st))
		return -errno;
	memset(t, 0, sizeof(*t));
	t->nbuckets = INODE_MIN_BUCKETS;
	t->buckets = calloc(t->nbuckets, sizeof(*t->buckets));
	if (!t->buckets)
		return -ENOMEM;
	pthread_mutex_init(&t->lock, NULL);
	t->root.table = t;
	t->root.fd = root_fd;
	t->root.dev = st.st_dev;
	t->root.ino = st.st_ino;
	t->root.type = st.st_mode & S_IFMT;
	t->root.nlookup = 2;
	t->max_fds = SIZE_MAX;
	return 0;
}

/* The counter of how @in is held; under the lock. */
static size_t *inode_held_count(struct inode_table *t, struct inode *in)
{
	return in->fd >= 0 ? &t->nfds : in->handle ? &t->nhandles : &t->nnames;
}

/*
 * @in, held by name, is to be held otherwise (or freed): its name goes;
 * under the lock.  Return: the directory whose reference the caller drops,
 * outside the lock.
 */
static struct inode *inode_unname(struct inode_table *t, struct inode *in)
{
	struct inode *parent = in->at->parent;

	__atomic_sub_fetch(&parent->named, 1, __ATOMIC_RELAXED);
	__atomic_sub_fetch(&t->nnames, 1, __ATOMIC_RELAXED);
	free(in->at);
	in->at = NULL;
	return parent;
}

/* @in is out of the table: what hangs on it goes, then it does. */
static void inode_free(struct inode_table *t, struct inode *in)
{
	struct inode *parent = NULL;

	if (t->on_free)
		t->on_free(in, t->on_free_arg);
	locks_forget(in);
	pthread_mutex_lock(&t->lock);
	if (in->at)
		parent = inode_unname(t, in);
	else
		__atomic_sub_fetch(inode_held_count(t, in), 1, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&t->lock);
	if (in->fd >= 0)
		close(in->fd);
	free(in->handle);
	free(in);
	/* at the end, the directory may be gone already: it goes anyway */
	if (parent && !t->destroying)
		inode_forget(t, parent, 1);
}

/**
 * inode_table_destroy() - close every descriptor and free the table
 * @t:	the table
 */
void inode_table_destroy(struct inode_table *t)
{
	t->destroying = true;
	for (size_t b = 0; b < t->nbuckets; b++) {
		struct inode *in = t->buckets[b], *next;

		for (; in; in = next) {
			next = in->next;
			inode_free(t, in);
		}
	}
	free(t->buckets);
	close(t->root.fd);
	for (size_t i = 0; i < t->nmounts; i++)
		if (t->mounts[i].fd >= 0)
			close(t->mounts[i].fd);
	free(t->mounts);
	pthread_mutex_destroy(&t->lock);
}

static void inode_grow(struct inode_table *t)
{
	size_t n = t->nbuckets * 2;
	struct inode **b = calloc(n, sizeof(*b));

	if (!b)
		return;		/* longer chains, still correct */
	for (size_t i = 0; i < t->nbuckets; i++) {
		struct inode *in = t->buckets[i], *next;

		for (; in; in = next) {
			size_t h = inode_hash(in->dev, in->ino, n);

			next = in->next;
			in->next = b[h];
			b[h] = in;
		}
	}
	free(t->buckets);
	t->buckets = b;
	t->nbuckets = n;
}

/*
 * The directory of mount @mnt_id that handles open on, or -1 when handles
 * cannot be opened there; under the lock.  The first handle seen on a
 * mount, @h, tests that this server may open them at all.
 */
static int inode_mount_fd(struct inode_table *t, int mnt_id, int dir_fd,
			  struct file_handle *h)
{
	char path[FS_PROC_PATH];
	struct inode_mount *m;
	int fd, probe;

	for (size_t i = 0; i < t->nmounts; i++)
		if (t->mounts[i].mnt_id == mnt_id)
			return t->mounts[i].fd;
	m = realloc(t->mounts, (t->nmounts + 1) * sizeof(*m));
	if (!m)
		return -1;
	t->mounts = m;
	fs_proc_path(path, dir_fd);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	probe = fd >= 0 ? open_by_handle_at(fd, h, O_PATH | O_CLOEXEC) : -1;
	if (probe >= 0) {
		close(probe);
	} else if (fd >= 0) {
		close(fd);
		fd = -1;
	}
	m[t->nmounts].mnt_id = mnt_id;
	m[t->nmounts].fd = fd;
	t->nmounts++;
	return fd;
}

/*
 * Hold @in by file handle rather than by @fd, if it is no directory, on
 * the mount of its parent @parent_fd, and handles open there; under the
 * lock.  True when it did: @fd is then the caller's to close.
 */
static bool inode_to_handle(struct inode_table *t, struct inode *in, int fd,
			    int parent_fd)
{
	char buf[sizeof(struct file_handle) + MAX_HANDLE_SZ]
		__attribute__((aligned(__alignof__(struct file_handle))));
	struct file_handle *h = (struct file_handle *)buf, *copy;
	struct statx stx;
	int mnt_id, mnt_fd;

	if (in->type == S_IFDIR)
		return false;
	h->handle_bytes = MAX_HANDLE_SZ;
	if (name_to_handle_at(fd, "", h, &mnt_id, AT_EMPTY_PATH) ||
	    statx(parent_fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW,
		  STATX_MNT_ID, &stx) ||
	    !(stx.stx_mask & STATX_MNT_ID) || stx.stx_mnt_id != (uint64_t)mnt_id)
		return false;	/* no handles here, or a mount of its own */
	mnt_fd = inode_mount_fd(t, mnt_id, parent_fd, h);
	if (mnt_fd < 0)
		return false;
	copy = malloc(sizeof(*h) + h->handle_bytes);
	if (!copy)
		return false;
	memcpy(copy, h, sizeof(*h) + h->handle_bytes);
	in->mnt_fd = mnt_fd;
	in->fd = -1;
	/* inode_fd() reads it unlocked, an inode held by name having been
	 * in the kernel's hands all along */
	__atomic_store_n(&in->handle, copy, __ATOMIC_RELEASE);
	return true;
}

/*
 * Hold @in, which is open as @fd in directory @parent_fd, by descriptor
 * or, past the budget, by handle; under the lock.  True when @fd is
 * kept; otherwise it is the caller's to close.
 */
static bool inode_hold(struct inode_table *t, struct inode *in, int fd,
		       int parent_fd)
{
	if (t->nfds >= t->max_fds && inode_to_handle(t, in, fd, parent_fd)) {
		__atomic_add_fetch(&t->nhandles, 1, __ATOMIC_RELAXED);
		return false;
	}
	__atomic_add_fetch(&t->nfds, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&in->fd, fd, __ATOMIC_RELEASE);
	return true;
}

/**
 * inode_lookup() - find or make the inode of @name in a directory, and
 * take one kernel reference on it
 * @t:	the table
 * @parent:	the directory (held by descriptor, as directories are)
 * @name:	one path component from the kernel (never contains '/')
 * @out:	the inode
 * @st:	its attributes
 * @by_name:	a new inode other than a directory is held by name, not
 *		opened (a listing's entries)
 *
 * Return: 0 or -errno (the lookup's own errno: ENOENT, EACCES, ...)
 */
int inode_lookup(struct inode_table *t, struct inode *parent, const char *name,
		 struct inode **out, struct stat *st, bool by_name)
{
	struct inode *in, *fresh, *unnamed = NULL;
	size_t h, len;
	int fd = -1;

	if (by_name) {
		if (fstatat(parent->fd, name, st, AT_SYMLINK_NOFOLLOW))
			return -errno;
		/* a directory is watched and looked in: it needs a descriptor */
		by_name = !S_ISDIR(st->st_mode) && strlen(name) <= NAME_MAX;
	}
	if (!by_name) {
		fd = openat(parent->fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		if (fstatat(fd, "", st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW)) {
			int e = errno;

			close(fd);
			return -e;
		}
	}

	pthread_mutex_lock(&t->lock);
	if (st->st_dev == t->root.dev && st->st_ino == t->root.ino) {
		in = &t->root;	/* a hard link cannot name a directory, but
				 * a bind mount inside the source can */
		goto out_found;
	}
	h = inode_hash(st->st_dev, st->st_ino, t->nbuckets);
	for (in = t->buckets[h]; in; in = in->next) {
		if (in->dev == st->st_dev && in->ino == st->st_ino)
			goto out_found;
	}

	len = by_name ? strlen(name) + 1 : 0;
	fresh = calloc(1, sizeof(*fresh));
	if (fresh && by_name) {
		fresh->at = malloc(sizeof(*fresh->at) + len);
		if (!fresh->at) {
			free(fresh);
			fresh = NULL;
		}
	}
	if (!fresh) {
		pthread_mutex_unlock(&t->lock);
		if (fd >= 0)
			close(fd);
		return -ENOMEM;
	}
	fresh->table = t;
	fresh->fd = -1;
	fresh->dev = st->st_dev;
	fresh->ino = st->st_ino;
	fresh->type = st->st_mode & S_IFMT;
	fresh->nlookup = 1;
	/* counted under the lock; read without it (inode_counts, ops.c) */
	if (by_name) {
		fresh->at->parent = parent;
		memcpy(fresh->at->name, name, len);
		parent->nlookup++;
		__atomic_add_fetch(&parent->named, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&t->nnames, 1, __ATOMIC_RELAXED);
	} else if (inode_hold(t, fresh, fd, parent->fd)) {
		fd = -1;
	}
	fresh->next = t->buckets[h];
	t->buckets[h] = fresh;
	if (++t->count > 2 * t->nbuckets)
		inode_grow(t);
	pthread_mutex_unlock(&t->lock);
	if (fd >= 0)
		close(fd);
	*out = fresh;
	return 0;

out_found:
	in->nlookup++;
	/* held by name until now: the descriptor just opened holds it */
	if (fd >= 0 && in->at) {
		unnamed = inode_unname(t, in);
		if (inode_hold(t, in, fd, parent->fd))
			fd = -1;
	}
	pthread_mutex_unlock(&t->lock);
	if (fd >= 0)
		close(fd);
	if (unnamed)
		inode_forget(t, unnamed, 1);
	*out = in;
	return 0;
}

/**
 * inode_forget() - drop @n kernel references; the last one frees the inode
 * @t:	the table
 * @in:	the inode
 * @n:	references to drop
 */
void inode_forget(struct inode_table *t, struct inode *in, uint64_t n)
{
	struct inode **pp;

	if (in == &t->root)
		return;
	pthread_mutex_lock(&t->lock);
	in->nlookup = n >= in->nlookup ? 0 : in->nlookup - n;
	if (in->nlookup) {
		pthread_mutex_unlock(&t->lock);
		return;
	}
	pp = &t->buckets[inode_hash(in->dev, in->ino, t->nbuckets)];
	while (*pp && *pp != in)
		pp = &(*pp)->next;
	if (*pp)
		*pp = in->next;
	t->count--;
	pthread_mutex_unlock(&t->lock);
	inode_free(t, in);
}

/**
 * inode_find() - the inode of (@dev, @ino) if the kernel holds it
 * @t:	the table
 * @dev:	device
 * @ino:	inode number
 *
 * No reference is taken: the caller uses the result only while something
 * else keeps it alive, or only as a node id for an invalidation notice
 * (which the kernel ignores for a node it has forgotten).
 *
 * Return: the inode, or NULL
 */
struct inode *inode_find(struct inode_table *t, dev_t dev, ino_t ino)
{
	struct inode *in;

	if (dev == t->root.dev && ino == t->root.ino)
		return &t->root;
	pthread_mutex_lock(&t->lock);
	for (in = t->buckets[inode_hash(dev, ino, t->nbuckets)]; in; in = in->next) {
		if (in->dev == dev && in->ino == ino)
			break;
	}
	pthread_mutex_unlock(&t->lock);
	return in;
}

/*
 * First use of @in, held by name: open the name it was listed under, and
 * hold the inode by what that gives, if it is still the same file.
 * Return: a descriptor of @in as inode_fd() gives one, or -errno (ESTALE:
 * the name is gone, or names another file now).
 */
static int inode_unlist(struct inode *in)
{
	struct inode_table *t = in->table;
	struct inode *parent, *unnamed = NULL;
	struct inode_name *at;
	struct stat st;
	char name[NAME_MAX + 1];	/* longer names are never held by name */
	int fd, e;

	pthread_mutex_lock(&t->lock);
	at = in->at;
	if (!at) {		/* another thread was first */
		pthread_mutex_unlock(&t->lock);
		return inode_fd(in);
	}
	parent = at->parent;
	parent->nlookup++;	/* it stays while we look, whoever unnames @in */
	strcpy(name, at->name);
	pthread_mutex_unlock(&t->lock);

	fd = openat(parent->fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	e = fd < 0 ? (errno == ENOENT ? ESTALE : errno) : 0;
	if (fd >= 0 && (fstat(fd, &st) || !inode_is(in, &st))) {
		close(fd);
		fd = -1;
		e = ESTALE;
	}
	if (fd >= 0) {
		pthread_mutex_lock(&t->lock);
		if (in->at) {
			unnamed = inode_unname(t, in);
			inode_hold(t, in, fd, parent->fd);
		}	/* else held meanwhile: @fd is the caller's to close */
		pthread_mutex_unlock(&t->lock);
	}
	inode_forget(t, parent, 1);
	if (unnamed)
		inode_forget(t, unnamed, 1);
	return fd >= 0 ? fd : -e;
}

/**
 * inode_fd() - an O_PATH descriptor of @in, for one operation
 * @in:	the inode
 *
 * Give it back with inode_fd_done().
 *
 * Return: its own descriptor, or one opened from its handle or its name;
 * or -errno (ESTALE: the file is gone, or held by a name that now leads
 * elsewhere)
 */
int inode_fd(struct inode *in)
{
	int fd = __atomic_load_n(&in->fd, __ATOMIC_ACQUIRE);
	struct file_handle *h;

	if (fd >= 0)
		return fd;
	h = __atomic_load_n(&in->handle, __ATOMIC_ACQUIRE);
	if (!h)
		return inode_unlist(in);
	fd = open_by_handle_at(in->mnt_fd, h, O_PATH | O_CLOEXEC);
	return fd >= 0 ? fd : -errno;
}

/**
 * inode_stat() - the attributes of @in, without changing how it is held
 * (inode_fd() would open a file held by name, and hold it by descriptor)
 * @in:	the inode
 * @st:	its attributes
 *
 * Return: 0 or -errno (ESTALE: held by a name that now leads elsewhere)
 */
int inode_stat(struct inode *in, struct stat *st)
{
	struct inode_table *t = in->table;
	int fd, ret;

	/* only an inode without a descriptor may be held by name */
	if (__atomic_load_n(&in->fd, __ATOMIC_ACQUIRE) < 0) {
		pthread_mutex_lock(&t->lock);
		if (in->at) {
			ret = inode_at(in, in->at->parent->fd, in->at->name, st);
			pthread_mutex_unlock(&t->lock);
			return ret;
		}
		pthread_mutex_unlock(&t->lock);
	}
	/* held by descriptor or handle, which it stays */
	fd = inode_fd(in);
	if (fd < 0)
		return fd;
	ret = fstatat(fd, "", st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) ? -errno : 0;
	inode_fd_done(in, fd);
	return ret;
}

/**
 * inode_at() - whether @name in @dirfd is @in
 * @in:		the inode
 * @dirfd:	a directory
 * @name:	a name in it
 * @st:		its attributes
 *
 * Return: 0, -ESTALE when the name leads to another inode, or -errno
 */
int inode_at(const struct inode *in, int dirfd, const char *name, struct stat *st)
{
	if (fstatat(dirfd, name, st, AT_SYMLINK_NOFOLLOW))
		return -errno;
	return inode_is(in, st) ? 0 : -ESTALE;
}

/**
 * inode_path() - inode_fd(), and the /proc path that names it
 * @in:	the inode
 * @path:	set to "/proc/self/fd/N" when a descriptor was had
 *
 * Give the descriptor back with inode_fd_done().
 *
 * Return: the descriptor, or -errno
 */
int inode_path(struct inode *in, char path[FS_PROC_PATH])
{
	int fd = inode_fd(in);

	if (fd >= 0)
		fs_proc_path(path, fd);
	return fd;
}

/**
 * inode_fd_done() - the operation is done with @fd from inode_fd()
 * @in:	the inode
 * @fd:	the descriptor (or -errno, which is ignored)
 */
void inode_fd_done(struct inode *in, int fd)
{
	if (fd >= 0 && fd != __atomic_load_n(&in->fd, __ATOMIC_ACQUIRE))
		close(fd);
}

/*
 * Hold @in by a descriptor from now on, as a file about to be unlinked
 * must be: a handle no longer opens once the last link is gone.
 * Return: 0 or -errno
 */
static int inode_pin(struct inode_table *t, struct inode *in)
{
	int expect = -1, fd = inode_fd(in);

	if (fd < 0 || fd == __atomic_load_n(&in->fd, __ATOMIC_ACQUIRE))
		return fd < 0 ? fd : 0;		/* gone, or held by descriptor */
	if (!__atomic_compare_exchange_n(&in->fd, &expect, fd, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		close(fd);	/* pinned by another thread meanwhile */
		return 0;
	}
	pthread_mutex_lock(&t->lock);
	__atomic_sub_fetch(&t->nhandles, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&t->nfds, 1, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&t->lock);
	return 0;
}

/**
 * inode_keep() - a name of @in is about to go or to move through the
 * mount: hold @in so that it stays reachable
 * @t:	the table
 * @in:	the inode the name leads to
 * @last_link:	the name goes, and it is the file's last link
 *
 * The last link of a file held by handle gives it a descriptor (a handle
 * no longer opens once the file is gone); a file held by name is opened
 * and held otherwise (its name would lead nowhere).  A file held by
 * descriptor, or by handle under a name that merely moves, stays as it is.
 *
 * Return: 0 or -errno
 */
int inode_keep(struct inode_table *t, struct inode *in, bool last_link)
{
	int fd;

	if (last_link)
		return inode_pin(t, in);
	if (__atomic_load_n(&in->fd, __ATOMIC_ACQUIRE) >= 0 ||
	    __atomic_load_n(&in->handle, __ATOMIC_ACQUIRE))
		return 0;
	fd = inode_unlist(in);
	inode_fd_done(in, fd);
	return fd < 0 ? fd : 0;
}

/**
 * inode_counts() - inodes the kernel holds, by descriptor, by handle and
 * by name
 * @t:	the table
 * @fds:	held by descriptor (the root too)
 * @handles:	held by file handle
 * @names:	held by the name they were listed under
 */
void inode_counts(struct inode_table *t, size_t *fds, size_t *handles,
		  size_t *names)
{
	pthread_mutex_lock(&t->lock);
	*fds = t->nfds + 1;
	*handles = t->nhandles;
	*names = t->nnames;
	pthread_mutex_unlock(&t->lock);
}

/**
 * inode_count() - how many inodes the kernel holds besides the root
 * @t:	the table
 *
 * Return: the count
 */
size_t inode_count(struct inode_table *t)
{
	size_t n;

	pthread_mutex_lock(&t->lock);
	n = t->count;
	pthread_mutex_unlock(&t->lock);
	return n;
}
