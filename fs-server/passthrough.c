// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * passthrough.c - kernel FUSE passthrough (Linux >= 6.9) under libfuse 3.14
 *
 * With passthrough, the kernel sends reads and writes of an open regular
 * file straight to a backing file we registered, so file data never
 * crosses user space.  libfuse 3.14 has no API for it and composes the
 * INIT and OPEN replies itself, so we own the /dev/fuse I/O through
 * fuse_session_custom_io() and amend exactly two kinds of reply:
 *
 * - INIT: set FUSE_PASSTHROUGH (flags2 bit 5, with FUSE_INIT_EXT) and
 *   max_stack_depth 1 (2 over a SOURCE that stacks, as overlayfs: its
 *   files are at depth 1 already), when the kernel offered it in its INIT
 *   request;
 *   and FUSE_HANDLE_KILLPRIV_V2, which makes the kernel set SB_NOSEC:
 *   without it, every write asks the server for security.capability
 *   (a GETXATTR round trip per write(2), even through passthrough), and
 *   with it clearing setuid/setgid is the server's job (ops.c);
 * - OPEN and CREATE: set FOPEN_PASSTHROUGH and the backing id of the
 *   inode in struct fuse_open_out.
 *
 * A request is read and answered by the same worker thread, so what the
 * read hook and a handler learn travels to the writev hook in
 * thread-local variables.  Layouts are the kernel's UAPI (protocol 7.40);
 * Debian 12's headers predate them, so they are spelled out here.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <linux/capability.h>
#include <linux/mount.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "abi.h"
#include "caps.h"
#include "fs.h"
#include "inode.h"
#include "log.h"
#include "passthrough.h"
#include "ring.h"
#include "watch.h"

#define PT_PASSTHROUGH2		(1U << 5)	/* flags2: FUSE_PASSTHROUGH */
#define PT_ALLOW_MMAP2		(1U << 4)	/* flags2: FUSE_DIRECT_IO_ALLOW_MMAP */
#define PT_WRITEBACK_CACHE	(1U << 16)	/* flags */
#define PT_KILLPRIV_V2		(1U << 28)	/* flags: FUSE_HANDLE_KILLPRIV_V2 */
#define PT_FOPEN_DIRECT_IO	(1U << 0)
#define PT_FOPEN_KEEP_CACHE	(1U << 1)
#define PT_FOPEN_PASSTHROUGH	(1U << 7)

/* struct fuse_init_out: max_stack_depth, after flags2 (abi.h) */
#define PT_INIT_OUT_DEPTH	36

struct pt_open_out {
	uint64_t fh;
	uint32_t open_flags;
	int32_t backing_id;
};

/* The ioctl's argument: its layout is the kernel's, not used by name. */
struct pt_backing_map {
	int32_t fd;		// cppcheck-suppress unusedStructMember
	uint32_t flags;		// cppcheck-suppress unusedStructMember
	uint64_t padding;	// cppcheck-suppress unusedStructMember
};

#define PT_IOC_BACKING_OPEN	_IOW(229, 1, struct pt_backing_map)
#define PT_IOC_BACKING_CLOSE	_IOW(229, 2, uint32_t)

_Static_assert(sizeof(struct pt_open_out) == 16, "fuse_open_out");

/* What this thread's current request needs done to its reply. */
static __thread bool pt_reply_init;
static __thread int32_t pt_reply_backing;

static pthread_mutex_t pt_lock = PTHREAD_MUTEX_INITIALIZER;

/*
 * --readers one.  Every idle worker waits in read(2) on /dev/fuse by
 * default, and the kernel hands each request to the one that has waited
 * longest: with four workers, each request wakes the one whose CPU has
 * been idle longest.  Where a wake-up across CPUs is cheap (idle CPUs
 * that poll before halting), that costs more than it saves; so with
 * --readers one a single worker reads, serves what it read and reads
 * again, while the others wait here for their turn.  It passes the
 * reading on before serving a request that may take long (a lock wait,
 * fsync, file data, a directory listing, anything not in pt_quick()),
 * so that no request waits behind it for long, and a waiting lock never
 * holds up the unlock that ends it.
 */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t turn;
	bool taken;
} pt_reader = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false };
static __thread bool pt_reading;	/* this worker holds the reading */

/* Whether a request of @opcode is served without waiting for long. */
static bool pt_quick(uint32_t opcode)
{
	switch (opcode) {
	case FUSE_LOOKUP: case FUSE_FORGET: case FUSE_BATCH_FORGET:
	case FUSE_GETATTR: case FUSE_READLINK: case FUSE_SYMLINK:
	case FUSE_MKNOD: case FUSE_MKDIR: case FUSE_UNLINK:
	case FUSE_RMDIR: case FUSE_RENAME: case FUSE_RENAME2:
	case FUSE_LINK: case FUSE_OPEN: case FUSE_OPENDIR:
	case FUSE_CREATE: case FUSE_FLUSH: case FUSE_RELEASE:
	case FUSE_RELEASEDIR: case FUSE_STATFS: case FUSE_GETXATTR:
	case FUSE_LISTXATTR: case FUSE_ACCESS:
		return true;
	default:
		return false;
	}
}

static void pt_reader_unlock(void *arg)
{
	pthread_mutex_unlock(arg);
}

/* Wait for the reading.  libfuse cancels idle workers at the end of the
 * session, here too: the wait is a cancellation point, and leaves the
 * lock to the others. */
static void pt_reader_take(void)
{
	if (pt_reading)
		return;
	pthread_mutex_lock(&pt_reader.lock);
	pthread_cleanup_push(pt_reader_unlock, &pt_reader.lock);
	while (pt_reader.taken)
		pthread_cond_wait(&pt_reader.turn, &pt_reader.lock);
	pt_reader.taken = true;
	pthread_cleanup_pop(1);
	pt_reading = true;
}

static void pt_reader_pass(struct fs_ctx *ctx)
{
	pthread_mutex_lock(&pt_reader.lock);
	pt_reader.taken = false;
	pthread_cond_signal(&pt_reader.turn);
	pthread_mutex_unlock(&pt_reader.lock);
	pt_reading = false;
	__atomic_add_fetch(&ctx->stats.reader_passes, 1, __ATOMIC_RELAXED);
}

static ssize_t pt_read(int fd, void *buf, size_t len, void *userdata)
{
	struct fs_ctx *ctx = userdata;
	struct ring *ring = __atomic_load_n(&ctx->ring, __ATOMIC_ACQUIRE);
	const struct fuse_in_header *h = buf;
	bool one = ctx->one_reader && !ring;
	ssize_t n;

	if (one)
		pt_reader_take();
	n = ring_dev_read(ring, fd, buf, len);
	/* an error (the session's end) is for every worker to see */
	if (pt_reading && (n < (ssize_t)sizeof(*h) || !pt_quick(h->opcode)))
		pt_reader_pass(ctx);

	if (n >= (ssize_t)(sizeof(*h) + sizeof(struct abi_init_in)) &&
	    h->opcode == FUSE_INIT) {
		const struct abi_init_in *in = (const void *)(h + 1);

		ctx->kernel_passthrough = in->minor >= 40 &&
					  (in->flags & ABI_INIT_EXT) &&
					  (in->flags2 & PT_PASSTHROUGH2);
		ctx->kernel_killpriv_v2 = (in->flags & PT_KILLPRIV_V2) != 0;
		ctx->kernel_uring = ring_offered(buf, n);
		ctx->kernel_allow_mmap = (in->flags & ABI_INIT_EXT) &&
					 (in->flags2 & PT_ALLOW_MMAP2);
		pt_reply_init = true;
	}
	return n;
}

/* Return: true when the reply asks for FUSE over io_uring */
static bool pt_amend_init(struct fs_ctx *ctx, struct iovec *iov, int count)
{
	bool pt = ctx->fast == FS_FAST_PASSTHROUGH;
	bool uring = ctx->want_uring && ctx->kernel_uring;
	uint8_t *out;
	uint32_t flags, flags2, depth = ctx->stacked_source ? 2 : 1;

	pt_reply_init = false;
	if (!pt && !uring && !ctx->kernel_allow_mmap)
		return false;
	if (count < 2 || iov[1].iov_len < PT_INIT_OUT_DEPTH + sizeof(depth)) {
		warn("INIT: libfuse's reply is too short; no passthrough, no io_uring");
		if (pt)
			ctx->fast = FS_FAST_CACHE;
		return false;
	}
	out = iov[1].iov_base;
	memcpy(&flags, out + ABI_INIT_OUT_FLAGS, sizeof(flags));
	memcpy(&flags2, out + ABI_INIT_OUT_FLAGS2, sizeof(flags2));
	flags |= ABI_INIT_EXT;
	if (pt) {
		flags &= ~PT_WRITEBACK_CACHE;
		if (ctx->kernel_killpriv_v2) {
			flags |= PT_KILLPRIV_V2;
			ctx->killpriv_v2 = true;
		}
		flags2 |= PT_PASSTHROUGH2;
		memcpy(out + PT_INIT_OUT_DEPTH, &depth, sizeof(depth));
	}
	/* a shared mapping of a direct_io file (every file in mode none)
	 * works as natively, through the page cache, instead of failing
	 * with ENODEV */
	if (ctx->kernel_allow_mmap)
		flags2 |= PT_ALLOW_MMAP2;
	memcpy(out + ABI_INIT_OUT_FLAGS, &flags, sizeof(flags));
	memcpy(out + ABI_INIT_OUT_FLAGS2, &flags2, sizeof(flags2));
	return uring && ring_ask(iov, count);
}

static void pt_amend_open(struct iovec *iov, int count)
{
	const struct fuse_out_header *h = iov[0].iov_base;
	struct pt_open_out *o;
	struct iovec *last = &iov[count - 1];

	if (count < 2 || h->error || last->iov_len < sizeof(*o))
		return;
	/* fuse_open_out ends the OPEN reply and the CREATE reply alike */
	o = (struct pt_open_out *)((uint8_t *)last->iov_base +
				   last->iov_len - sizeof(*o));
	/* FOPEN_DIRECT_IO stays where the open asked for it (fi->direct_io):
	 * the kernel shares the backing file, and sends that open's reads
	 * and writes to the server */
	o->open_flags &= ~PT_FOPEN_KEEP_CACHE;
	o->open_flags |= PT_FOPEN_PASSTHROUGH;
	o->backing_id = pt_reply_backing;
}

static ssize_t pt_writev(int fd, struct iovec *iov, int count, void *userdata)
{
	struct fs_ctx *ctx = userdata;
	bool uring = false;
	ssize_t n;

	if (pt_reply_init)
		uring = pt_amend_init(ctx, iov, count);
	if (pt_reply_backing) {
		pt_amend_open(iov, count);
		pt_reply_backing = 0;
	}
	n = ring_writev(fd, iov, count);
	/* the kernel takes io_uring registrations once INIT is answered */
	if (uring && n >= 0) {
		__atomic_store_n(&ctx->ring, ring_start(ctx->se, fd, FS_MAX_IO, &ctx->stats),
				 __ATOMIC_RELEASE);
		if (ctx->ring)
			info("io_uring: %u queues, one per CPU",
			     __atomic_load_n(&ctx->stats.ring_queues, __ATOMIC_RELAXED));
	}
	return n;
}

static const struct fuse_custom_io pt_io = {
	.writev = pt_writev,
	.read = pt_read,
};

/**
 * passthrough_permitted() - whether the kernel would take our backing files
 *
 * It takes them only from a process with CAP_SYS_ADMIN in the initial user
 * namespace (fuse_backing_open(): capable()).  A server in a user
 * namespace of its own, or without the capability, would have every open
 * refused: it is better served by cache from the start.
 *
 * Return: false when the kernel surely refuses
 */
bool passthrough_permitted(void)
{
	return caps_effective(CAP_SYS_ADMIN) && caps_initial_userns();
}

/**
 * passthrough_install() - take over the /dev/fuse I/O of a mounted session
 * @se:	the session, mounted
 *
 * Return: 0 or -errno
 */
int passthrough_install(struct fuse_session *se)
{
	int ret = fuse_session_custom_io(se, &pt_io, fuse_session_fd(se));

	return ret < 0 ? ret : 0;
}

/*
 * A write through a passthrough mount is made by the kernel on the
 * backing file, in the writer's own call, and raises FAN_MODIFY there as a
 * write behind the mount would.  The watcher has no use for it: the kernel
 * made the write, grew the size itself and asks for the new times.  Yet
 * the writer pays for it, per write(2): fanotify encodes the file's handle
 * and queues the event or merges it into the one queued.  So the backing
 * file of an open for writing is registered from a copy of the source's
 * mount that only this server holds (open_tree(OPEN_TREE_CLONE), attached
 * nowhere), and the watcher ignores FAN_MODIFY made through that copy
 * (watch_quiet_mount()).  A write through the mount reaches the same file
 * and raises nothing; a write to it from anywhere else, even while it is
 * open through the mount, is seen as before.  The file's O_PATH
 * description is reopened on the copy from its file handle (Linux 6.12
 * and later take an O_PATH backing file, pt_backing_open()).  Where that
 * cannot be (a file on a mount inside the source, a file system without
 * handles, an older kernel), or where the first open of a file is for
 * reading only and later ones write through its backing file, the writes
 * raise their events as before, and cost what they did.
 */

/**
 * passthrough_quiet() - make the copy of the source's mount that backing
 * files for writing are registered from; after watch_start()
 * @ctx:	the server
 */
void passthrough_quiet(struct fs_ctx *ctx)
{
	int root = ctx->inodes.root.fd, fd, e;
	struct statx stx;

	/* without the right to register backing files (cache, at INIT) */
	if (ctx->fast != FS_FAST_PASSTHROUGH || !ctx->watch ||
	    !passthrough_permitted())
		return;
	if (statx(root, "", AT_EMPTY_PATH, STATX_MNT_ID, &stx)) {
		e = errno;
	} else if (!(stx.stx_mask & STATX_MNT_ID)) {
		e = EOPNOTSUPP;
	} else {
		int tree = (int)syscall(SYS_open_tree, root, "", AT_EMPTY_PATH |
					OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);

		/* open_by_handle_at() takes no O_PATH descriptor, which
		 * open_tree() gives; the copy lives while either is open */
		fd = tree < 0 ? -1 : openat(tree, ".", O_RDONLY | O_DIRECTORY |
					     O_CLOEXEC);
		e = fd < 0 ? errno : -watch_quiet_mount(ctx, fd);
		if (tree >= 0)
			close(tree);
		if (!e) {
			ctx->quiet_fd = fd;
			ctx->quiet_mnt_id = (int)stx.stx_mnt_id;
			return;
		}
		if (fd >= 0)
			close(fd);
	}
	info("passthrough: each write through the mount raises a fanotify event for the watcher (a private copy of the source's mount: %s)",
	     strerror(e));
}

/* The kernel refused an O_PATH backing file (before Linux 6.12). */
static bool pt_no_opath;

/*
 * An O_PATH descriptor of @in on the quiet copy of the source's mount, or
 * -1 (no copy, a kernel that takes no O_PATH backing file, not on the
 * source's own mount, or no handles).
 */
static int pt_quiet_fd(struct fs_ctx *ctx, struct inode *in)
{
	char buf[sizeof(struct file_handle) + MAX_HANDLE_SZ]
		__attribute__((aligned(__alignof__(struct file_handle))));
	struct file_handle *h = (struct file_handle *)buf;
	int fd, mnt_id, ret;

	if (ctx->quiet_fd < 0 || __atomic_load_n(&pt_no_opath, __ATOMIC_RELAXED))
		return -1;
	fd = inode_fd(in);
	if (fd < 0)
		return -1;
	h->handle_bytes = MAX_HANDLE_SZ;
	ret = name_to_handle_at(fd, "", h, &mnt_id, AT_EMPTY_PATH);
	inode_fd_done(in, fd);
	if (ret || mnt_id != ctx->quiet_mnt_id)
		return -1;
	return open_by_handle_at(ctx->quiet_fd, h, O_PATH | O_CLOEXEC);
}

/*
 * Register @in's file, open at @fd, as a backing file: @quiet where it is
 * open on the quiet copy (pt_quiet_fd()), else an O_PATH description of
 * @in's own, where the kernel takes one (Linux >= 6.12; it uses only the
 * path of a backing file, and opens each open's own from it).  The kernel
 * keeps what is registered until the last open sharing it is released,
 * and a flock(2) belongs to a description: registered, the first
 * opener's own would keep its flock past its close.  Older kernels refuse
 * an O_PATH description (EOPNOTSUPP), and get @fd itself.  Under pt_lock.
 */
static int pt_backing_open(struct fs_ctx *ctx, struct inode *in, int fd,
			   int quiet)
{
	bool no_opath = __atomic_load_n(&pt_no_opath, __ATOMIC_RELAXED);
	struct pt_backing_map map = { .fd = no_opath ? -1 :
					    quiet >= 0 ? quiet : inode_fd(in) };

	if (map.fd >= 0) {
		int id = ioctl(ctx->dev_fd, PT_IOC_BACKING_OPEN, &map);
		int e = errno;

		if (map.fd != quiet)
			inode_fd_done(in, map.fd);
		else if (id > 0)
			__atomic_add_fetch(&ctx->stats.watch.quiet_backings, 1,
					   __ATOMIC_RELAXED);
		errno = e;
		if (id > 0 || e != EOPNOTSUPP)
			return id;
		__atomic_store_n(&pt_no_opath, true, __ATOMIC_RELAXED);
	}
	map.fd = fd;
	return ioctl(ctx->dev_fd, PT_IOC_BACKING_OPEN, &map);
}

/**
 * passthrough_open() - answer an open of @in through its backing file,
 * registering @fd's file as that on the first open
 * @ctx:	the server
 * @in:	the inode being opened
 * @fd:	the file just opened for it
 * @writer:	it was opened for writing: register the backing file from
 *		the quiet copy of the mount, where it can be (passthrough_quiet())
 *
 * The kernel allows one backing file per inode: the first open registers
 * it, later opens share it, the last release drops it.  While an inode
 * has a passthrough open, the kernel refuses (EIO, to the opener) any
 * open of it without passthrough; but an open with passthrough and
 * direct_io both shares the backing file and sends its reads and writes
 * to the server (FOPEN_DIRECT_IO overrides FOPEN_PASSTHROUGH, Linux 6.9
 * on), whatever the inode's other opens are: an open whose fi->direct_io
 * is set is that (pt_amend_open()).
 *
 * Return: true when the next OPEN or CREATE reply of this thread will ask
 * for passthrough; false where it goes
 * as libfuse composes it: not a regular file in passthrough mode, or the
 * kernel refused a backing file (logged once, the server goes on)
 */
bool passthrough_open(struct fs_ctx *ctx, struct inode *in, int fd,
		      bool writer)
{
	int quiet = -1;
	bool ok = true;

	if (ctx->fast != FS_FAST_PASSTHROUGH || in->type != S_IFREG)
		return false;
	/* before the lock, which every open takes: the reopen costs two
	 * system calls, and only a first open registers a backing file */
	if (writer && !__atomic_load_n(&in->backing_id, __ATOMIC_RELAXED))
		quiet = pt_quiet_fd(ctx, in);
	pthread_mutex_lock(&pt_lock);
	if (!in->backing_id) {
		int id = pt_backing_open(ctx, in, fd, quiet);

		if (id <= 0) {
			static bool warned;

			if (log_first(&warned))
				warn_perror(errno, "passthrough: the kernel refused a backing file; serving data through the server");
			ok = false;
		} else {
			__atomic_store_n(&in->backing_id, id, __ATOMIC_RELAXED);
		}
	}
	if (ok) {
		in->backing_refs++;
		pt_reply_backing = in->backing_id;
	}
	pthread_mutex_unlock(&pt_lock);
	if (quiet >= 0)
		close(quiet);
	return ok;
}

/**
 * passthrough_cancel() - the reply prepared by passthrough_open() was not
 * sent after all: forget it and drop the reference
 * @ctx:	the server
 * @in:	the inode
 */
void passthrough_cancel(struct fs_ctx *ctx, struct inode *in)
{
	pt_reply_backing = 0;
	passthrough_release(ctx, in);
}

/**
 * passthrough_release() - one passthrough open of @in was released
 * @ctx:	the server
 * @in:	the inode
 */
void passthrough_release(struct fs_ctx *ctx, struct inode *in)
{
	uint32_t id;

	pthread_mutex_lock(&pt_lock);
	if (in->backing_refs && !--in->backing_refs) {
		id = (uint32_t)in->backing_id;
		__atomic_store_n(&in->backing_id, 0, __ATOMIC_RELAXED);
		if (ioctl(ctx->dev_fd, PT_IOC_BACKING_CLOSE, &id))
			warn_perror(errno, "passthrough: closing backing file %u", id);
	}
	pthread_mutex_unlock(&pt_lock);
}
