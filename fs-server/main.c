// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * main.c - hk-fs-server: serve the tree at SOURCE from user space at
 * MOUNTPOINT through FUSE
 *
 * Arguments are checked before anything is mounted: a bad one gives a
 * message naming it, exit status 2, and no mount.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "args.h"
#include "clock.h"
#include "fs.h"
#include "log.h"
#include "passthrough.h"
#include "ring.h"
#include "statsock.h"
#include "watch.h"

#define EXIT_USAGE	2

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: hk-fs-server [OPTIONS] SOURCE MOUNTPOINT\n"
		"       hk-fs-server [OPTIONS] --source-fd N MOUNTPOINT\n"
		"Serve the directory tree at SOURCE at MOUNTPOINT from user space (FUSE).\n\n"
		"  --fast-path MODE   passthrough: file data goes from the kernel to the\n"
		"                       source file, never through the server (default;\n"
		"                       falls back to cache where the kernel refuses)\n"
		"                     cache: kernel page cache and long timeouts\n"
		"                     none: every operation reaches the server\n"
		"  --writeback        with cache: the kernel's writeback cache too; it then\n"
		"                     trusts its own file sizes and misses size changes\n"
		"                     made to SOURCE behind the mount\n"
		"  --threads N        worker threads (default: one per CPU, at least 2)\n"
		"  --inode-fds N      hold at most N files the kernel knows by descriptor,\n"
		"                       the others by file handle (default: half the\n"
		"                       open file limit)\n"
		"  --clone-fd         one /dev/fuse descriptor per worker thread\n"
		"  --io-uring         take requests over io_uring, one queue per CPU,\n"
		"                       where the kernel offers it (Linux >= 6.14 with\n"
		"                       the fuse module's enable_uring set)\n"
		"  --locks WHERE      source: POSIX and BSD locks are taken on SOURCE, where\n"
		"                       its other users see them (default)\n"
		"                     mount: the kernel keeps them among the mount's\n"
		"                       users alone, and a close sends no FLUSH\n"
		"  --readers WHO      all: every idle worker waits for the next request,\n"
		"                       and the kernel gives it to the one that has\n"
		"                       waited longest (default)\n"
		"                     one: one worker reads and serves each quick\n"
		"                       request itself, passing the reading to another\n"
		"                       before one that may take long; faster where\n"
		"                       idle CPUs wake fast, slower where they do not\n"
		"  --source-fd N      serve the directory open at inherited descriptor N;\n"
		"                     MOUNTPOINT may then be that directory itself (an\n"
		"                     over-mount, as hk-shim fs move makes)\n"
		"  --ready-fd N       write a newline to descriptor N and close it once\n"
		"                     the mount is up and served\n"
		"  -f, --foreground   do not become a daemon\n"
		"  -o OPT[,OPT...]    mount options, as libfuse takes them (allow_other, ...)\n"
		"  --stats PATH       keep per-operation counts and latency histograms in\n"
		"                     PATH as JSON (rewritten every second and on SIGUSR1;\n"
		"                     SIGUSR1 also prints them to the log)\n"
		"  --stats-socket PATH  serve the same JSON on a Unix socket made at PATH:\n"
		"                     each client that connects is sent it (removed at exit)\n"
		"  -d, --debug        log every request (implies --foreground)\n"
		"  -h, --help         print this help and exit\n"
		"  -V, --version      print the version and exit\n\n"
		"With -o allow_other (or allow_root, or default_permissions) the kernel\n"
		"checks every caller's permissions against SOURCE's attributes and ACLs\n"
		"(default_permissions); without, only the user who mounted may use the\n"
		"mount, and SOURCE checks the server's calls, made as that user.  See\n"
		"hk-fs-server(1).\n");
}

/* The words of --fast-path and --locks, as --stats gives them too. */
static const char *const fast_names[] = {
	[FS_FAST_NONE] = "none",
	[FS_FAST_CACHE] = "cache",
	[FS_FAST_PASSTHROUGH] = "passthrough",
	NULL
};
/* indexed by mount_locks (false, true) */
static const char *const locks_names[] = { "source", "mount", NULL };
/* indexed by one_reader (false, true) */
static const char *const readers_names[] = { "all", "one", NULL };

/* @arg of --@opt as an index in @words; else say which @what it takes */
static bool opt_word(const char *arg, const char *opt, const char *what,
		     const char *const *words, unsigned int *out)
{
	char list[64] = "";

	if (args_word(arg, words, out))
		return true;
	for (unsigned int i = 0; words[i]; i++) {
		size_t used = strlen(list);

		snprintf(list + used, sizeof(list) - used, "%s%s",
			 i ? ", " : "", words[i]);
	}
	err("--%s: unknown %s '%s' (%s)", opt, what, arg, list);
	return false;
}

struct fs_opts {
	const char *source;
	const char *mountpoint;
	enum fs_fast_path fast;
	unsigned int threads;
	long inode_fds;		/* --inode-fds, or -1: half the file limit */
	bool clone_fd;
	bool io_uring;
	bool mount_locks;	/* --locks mount */
	bool one_reader;	/* --readers one */
	bool writeback;
	bool foreground;
	bool debug;
	char *mount_opts;	/* -o, joined with commas */
	const char *stats_path;
	const char *stats_socket;	/* --stats-socket */
	int source_fd;		/* --source-fd, or -1 */
	char source_name[PATH_MAX];	/* its path, for messages */
	char mountpoint_abs[PATH_MAX];	/* MOUNTPOINT resolved: mounted, and
					 * unmounted at exit from any cwd */
	int ready_fd;		/* --ready-fd, or -1 */
};

static int opts_add_mount(struct fs_opts *o, const char *opt)
{
	size_t len = (o->mount_opts ? strlen(o->mount_opts) + 1 : 0) +
		     strlen(opt) + 1;
	char *s = malloc(len);

	if (!s)
		return -ENOMEM;
	snprintf(s, len, "%s%s%s", o->mount_opts ? o->mount_opts : "",
		 o->mount_opts ? "," : "", opt);
	free(o->mount_opts);
	o->mount_opts = s;
	return 0;
}

/*
 * The -o options that let users other than the mounter in (allow_other,
 * allow_root), or ask for the kernel's checks for the mounter too.  Any
 * of them: the kernel checks every caller (ctx->kernel_perms).
 */
enum { OPT_KERNEL_PERMS };

static const struct fuse_opt perm_opts[] = {
	FUSE_OPT_KEY("allow_other", OPT_KERNEL_PERMS),
	FUSE_OPT_KEY("allow_root", OPT_KERNEL_PERMS),
	FUSE_OPT_KEY("default_permissions", OPT_KERNEL_PERMS),
	FUSE_OPT_END,
};

static int perm_opt(void *data, const char *arg, int key, struct fuse_args *out)
{
	(void)arg;
	(void)out;
	if (key == OPT_KERNEL_PERMS)
		*(bool *)data = true;
	return 1;	/* keep every option, for libfuse */
}

/* Whether the -o options in @opts (or NULL), read by libfuse's own
 * parser as the mount will read them, ask for the kernel's checks */
static bool perms_kernel(const char *opts)
{
	char *argv[] = { "hk-fs-server", "-o", (char *)opts, NULL };
	struct fuse_args a = FUSE_ARGS_INIT(3, argv);
	bool kernel = false;

	if (opts && fuse_opt_parse(&a, &kernel, perm_opts, perm_opt))
		kernel = false;	/* libfuse refuses them at the mount */
	fuse_opt_free_args(&a);
	return kernel;
}

static int parse_args(int argc, char **argv, struct fs_opts *o)
{
	static const struct option longopts[] = {
		{ "fast-path", required_argument, NULL, 'F' },
		{ "threads", required_argument, NULL, 't' },
		{ "inode-fds", required_argument, NULL, 'I' },
		{ "clone-fd", no_argument, NULL, 'C' },
		{ "io-uring", no_argument, NULL, 'U' },
		{ "locks", required_argument, NULL, 'L' },
		{ "readers", required_argument, NULL, 'R' },
		{ "writeback", no_argument, NULL, 'W' },
		{ "stats", required_argument, NULL, 'S' },
		{ "stats-socket", required_argument, NULL, 'K' },
		{ "source-fd", required_argument, NULL, 's' },
		{ "ready-fd", required_argument, NULL, 'r' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "debug", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int c, want;

	o->source_fd = o->ready_fd = -1;
	o->inode_fds = -1;
	o->fast = FS_FAST_PASSTHROUGH;
	o->threads = cpus > 2 ? (unsigned int)cpus : 2;
	while ((c = getopt_long(argc, argv, "fdho:V", longopts, NULL)) != -1) {
		unsigned long n;
		unsigned int w;

		switch (c) {
		case 'F':
			if (!opt_word(optarg, "fast-path", "mode", fast_names, &w))
				return EXIT_USAGE;
			o->fast = (enum fs_fast_path)w;
			break;
		case 't':
			if (!args_ulong(optarg, 1, 1024, &n)) {
				err("--threads: '%s' is not a number from 1 to 1024", optarg);
				return EXIT_USAGE;
			}
			o->threads = (unsigned int)n;
			break;
		case 'I':
			if (!args_ulong(optarg, 0, 1UL << 30, &n)) {
				err("--inode-fds: '%s' is not a number from 0 to 2^30", optarg);
				return EXIT_USAGE;
			}
			o->inode_fds = (long)n;
			break;
		case 'C':
			o->clone_fd = true;
			break;
		case 'U':
			o->io_uring = true;
			break;
		case 'L':
			if (!opt_word(optarg, "locks", "place", locks_names, &w))
				return EXIT_USAGE;
			o->mount_locks = w;
			break;
		case 'R':
			if (!opt_word(optarg, "readers", "choice", readers_names, &w))
				return EXIT_USAGE;
			o->one_reader = w;
			break;
		case 'W':
			o->writeback = true;
			break;
		case 'S':
			o->stats_path = optarg;
			break;
		case 'K':
			o->stats_socket = optarg;
			break;
		case 's':
		case 'r':
			if (!args_fd(optarg, c == 's' ? &o->source_fd : &o->ready_fd)) {
				err("--%s: '%s' is not an open file descriptor",
				    c == 's' ? "source-fd" : "ready-fd", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'f':
			o->foreground = true;
			break;
		case 'd':
			o->debug = o->foreground = true;
			break;
		case 'o':
			if (opts_add_mount(o, optarg)) {
				err("out of memory");
				return EXIT_FAILURE;
			}
			break;
		case 'h':
			usage(stdout);
			return -1;
		case 'V':
			printf("hk-fs-server (hybridkit) %s\n", PACKAGE_VERSION);
			return -1;
		default:
			fprintf(stderr, "Try 'hk-fs-server --help'.\n");
			return EXIT_USAGE;
		}
	}
	want = o->source_fd < 0 ? 2 : 1;
	if (argc - optind != want) {
		err(want == 2 ? "expected SOURCE and MOUNTPOINT" :
				"expected MOUNTPOINT alone: --source-fd gives the source");
		fprintf(stderr, "Try 'hk-fs-server --help'.\n");
		return EXIT_USAGE;
	}
	if (o->writeback && o->fast != FS_FAST_CACHE) {
		err("--writeback goes with --fast-path cache");
		return EXIT_USAGE;
	}
	o->source = want == 2 ? argv[optind] : NULL;
	o->mountpoint = argv[optind + want - 1];
	return 0;
}

/* Whether @inner is @outer or lies beneath it; both canonical paths. */
static bool path_within(const char *inner, const char *outer)
{
	size_t n = strlen(outer);

	if (!strcmp(outer, "/"))
		return true;
	return !strncmp(inner, outer, n) && (inner[n] == '/' || !inner[n]);
}

/* The source directory: SOURCE opened, or the --source-fd descriptor. */
static int open_source(struct fs_opts *o)
{
	struct stat st;
	ssize_t n;
	char link[FS_PROC_PATH];

	if (o->source_fd < 0) {
		int fd = open(o->source, O_PATH | O_DIRECTORY | O_CLOEXEC);

		if (fd < 0)
			err_perror(errno, "SOURCE '%s'", o->source);
		return fd;
	}
	if (fstat(o->source_fd, &st) || !S_ISDIR(st.st_mode)) {
		err("--source-fd %d: not a directory", o->source_fd);
		return -1;
	}
	fcntl(o->source_fd, F_SETFD, FD_CLOEXEC);
	fs_proc_path(link, o->source_fd);
	n = readlink(link, o->source_name, sizeof(o->source_name) - 1);
	if (n <= 0 || o->source_name[0] != '/') {
		err("--source-fd %d: the directory has no path", o->source_fd);
		return -1;
	}
	o->source_name[n] = '\0';
	o->source = o->source_name;
	return o->source_fd;
}

/*
 * SOURCE must be a directory, MOUNTPOINT a directory, and neither may
 * contain the other: a source inside the mount would be hidden by it, and
 * a mount inside the source would make the server look up its own files
 * through itself.  The one exception is a source given as a descriptor
 * and the mount on that same directory: the descriptor was taken before
 * the mount, so the server's lookups start beneath it.
 */
static int check_paths(struct fs_opts *o, int *src_fd)
{
	char src[PATH_MAX], mnt[PATH_MAX];
	struct stat st;
	int fd;

	fd = open_source(o);
	if (fd < 0)
		return EXIT_USAGE;
	if (stat(o->mountpoint, &st)) {
		err_perror(errno, "MOUNTPOINT '%s'", o->mountpoint);
		goto out_usage;
	}
	if (!S_ISDIR(st.st_mode)) {
		err("MOUNTPOINT '%s' is not a directory", o->mountpoint);
		goto out_usage;
	}
	if (!realpath(o->source, src) || !realpath(o->mountpoint, mnt)) {
		err_perror(errno, "cannot resolve SOURCE or MOUNTPOINT");
		goto out_usage;
	}
	/* libfuse unmounts by this path at exit; relative, it failed */
	memcpy(o->mountpoint_abs, mnt, sizeof(mnt));
	o->mountpoint = o->mountpoint_abs;
	if (o->source_fd >= 0 && !strcmp(src, mnt)) {
		*src_fd = fd;
		return 0;
	}
	if (path_within(src, mnt)) {
		err("SOURCE '%s' is inside MOUNTPOINT '%s': the mount would hide it",
		    src, mnt);
		goto out_usage;
	}
	if (path_within(mnt, src)) {
		err("MOUNTPOINT '%s' is inside SOURCE '%s': the server would serve itself",
		    mnt, src);
		goto out_usage;
	}
	*src_fd = fd;
	return 0;

out_usage:
	close(fd);
	return EXIT_USAGE;
}

struct stats_thread {
	pthread_t thread;
	struct fs_ctx *ctx;
	const char *path;
	bool stop;		/* set, then SIGUSR1 to the thread, to end it */
};

/* The counters now, as a new JSON document. */
static struct json_object *stats_now(void *arg)
{
	struct fs_ctx *ctx = arg;
	size_t fds, handles, names;
	struct json_object *o;

	inode_counts(&ctx->inodes, &fds, &handles, &names);
	o = stats_json(&ctx->stats, fast_names[ctx->fast],
		       inode_count(&ctx->inodes), fds, handles, names);
	json_object_object_add(o, "permissions", json_object_new_string(
		ctx->kernel_perms ? "kernel" : "mounter"));
	json_object_object_add(o, "locks", json_object_new_string(
		locks_names[ctx->mount_locks]));
	json_object_object_add(o, "readers", json_object_new_string(
		readers_names[ctx->one_reader]));
	json_object_object_add(o, "reader_passes", json_object_new_uint64(
		__atomic_load_n(&ctx->stats.reader_passes, __ATOMIC_RELAXED)));
	return o;
}

static void stats_write(struct stats_thread *st, bool to_log)
{
	struct json_object *root;

	if (!st->path && !to_log)
		return;
	root = stats_now(st->ctx);
	stats_publish(root, st->path, to_log);
	json_object_put(root);
}

/* Rewrite the stats file every second, and at once on SIGUSR1. */
static void *stats_main(void *arg)
{
	struct stats_thread *st = arg;
	struct timespec second = { .tv_sec = 1 };
	sigset_t usr1;

	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	for (;;) {
		int sig = sigtimedwait(&usr1, NULL, &second);

		if (__atomic_load_n(&st->stop, __ATOMIC_ACQUIRE))
			break;
		stats_write(st, sig == SIGUSR1);
	}
	return NULL;
}

/*
 * Whether the file system of SOURCE (@fd) stacks on others, as overlayfs,
 * ecryptfs and FUSE do: the kernel then lets its files back a passthrough
 * file only where the FUSE mount allows a stack depth of 2, one more than
 * the default, which in turn keeps the mount from being a layer of an
 * overlayfs.
 */
static bool source_stacked(int fd)
{
	static const unsigned long stacking[] = {
		OVERLAYFS_SUPER_MAGIC, ECRYPTFS_SUPER_MAGIC, FUSE_SUPER_MAGIC,
	};
	struct statfs sfs;

	return !fstatfs(fd, &sfs) &&
	       fs_type_in(sfs.f_type, stacking, sizeof(stacking) / sizeof(stacking[0]));
}

/*
 * Every inode the kernel knows is an O_PATH descriptor here, so a tree of
 * tens of thousands of files needs as many: raise the descriptor limit to
 * the kernel's (fs.nr_open) when allowed, else to the hard limit.  With
 * the default 1024, or the 20000 of some containers, lookups failed with
 * EMFILE once that many files were known.
 */
/* Return: the open file limit now */
static size_t raise_nofile(void)
{
	struct rlimit r = { 0 };
	unsigned long nr_open = 1048576;
	FILE *f = fopen("/proc/sys/fs/nr_open", "re");

	if (f) {
		if (fscanf(f, "%lu", &nr_open) != 1)
			nr_open = 1048576;
		fclose(f);
	}
	if (getrlimit(RLIMIT_NOFILE, &r))
		return 1024;
	if (r.rlim_max < nr_open) {
		struct rlimit up = { nr_open, nr_open };

		if (!setrlimit(RLIMIT_NOFILE, &up))
			return nr_open;
	}
	if (setrlimit(RLIMIT_NOFILE, &(struct rlimit){ r.rlim_max, r.rlim_max })) {
		warn_perror(errno, "cannot raise the open file limit");
		return r.rlim_cur;
	}
	return r.rlim_max;
}

static int serve(struct fs_opts *o, int src_fd)
{
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
	struct fuse_loop_config *loop;
	struct fuse_session *se;
	struct fs_ctx ctx = { 0 };
	struct stats_thread stats = { 0 };
	struct stats_socket sock = { .fd = -1 };
	char fsname[PATH_MAX + 32];
	size_t nofile;
	int ret = EXIT_FAILURE;

	nofile = raise_nofile();
	if (inode_table_init(&ctx.inodes, src_fd)) {
		err("out of memory");
		close(src_fd);
		return EXIT_FAILURE;
	}
	/* the other half: files open through the mount, and the rest */
	ctx.inodes.max_fds = o->inode_fds >= 0 ? (size_t)o->inode_fds : nofile / 2;
	ctx.fast = o->fast;
	ctx.stacked_source = source_stacked(src_fd);
	ctx.quiet_fd = -1;
	ctx.want_writeback = o->writeback;
	ctx.mount_locks = o->mount_locks;
	ctx.one_reader = o->one_reader;
	ctx.stats.start_ns = clock_ns();
	ctx.timeout = o->fast == FS_FAST_NONE ? 0.0 : FS_CACHE_TIMEOUT;
	ctx.euid = geteuid();
	ctx.egid = getegid();

	/* Other users than the one who mounted (allow_other, allow_root) are
	 * not the server: the kernel checks them, with ACLs (ops_init()).
	 * Without them only the mounting user's processes reach the mount,
	 * and the server's calls on SOURCE are checked as that user. */
	ctx.kernel_perms = perms_kernel(o->mount_opts);
	snprintf(fsname, sizeof(fsname), "%ssubtype=hk-fs-server,fsname=%s",
		 ctx.kernel_perms ? "default_permissions," : "", o->source);
	if (fuse_opt_add_arg(&args, "hk-fs-server") ||
	    fuse_opt_add_arg(&args, "-o") || fuse_opt_add_arg(&args, fsname) ||
	    (o->mount_opts && (fuse_opt_add_arg(&args, "-o") ||
			       fuse_opt_add_arg(&args, o->mount_opts))) ||
	    (o->debug && fuse_opt_add_arg(&args, "-d"))) {
		err("out of memory");
		goto out_table;
	}

	se = fuse_session_new(&args, &fs_ops, sizeof(fs_ops), &ctx);
	if (!se) {
		err("-o '%s': options libfuse does not take", o->mount_opts ?
		    o->mount_opts : "");
		ret = EXIT_USAGE;
		goto out_args;
	}
	if (fuse_set_signal_handlers(se)) {
		err("cannot install signal handlers");
		goto out_session;
	}
	if (o->stats_socket) {
		int e = stats_socket_bind(&sock, o->stats_socket);

		if (e) {
			err_perror(-e, "--stats-socket '%s'", o->stats_socket);
			ret = EXIT_USAGE;
			goto out_signals;
		}
	}
	if (fuse_session_mount(se, o->mountpoint)) {
		err("cannot mount at '%s'", o->mountpoint);
		goto out_signals;
	}
	ctx.dev_fd = fuse_session_fd(se);
	ctx.se = se;
	ctx.want_uring = o->io_uring;
	if (passthrough_install(se)) {
		warn("libfuse refused custom I/O: no passthrough (cache instead), no io_uring, no shared mappings of direct_io files");
		if (ctx.fast == FS_FAST_PASSTHROUGH)
			ctx.fast = FS_FAST_CACHE;
		ctx.want_uring = false;
		if (ctx.one_reader)
			warn("--readers one: without custom I/O, every worker reads");
		ctx.one_reader = false;
	}
	if (fuse_daemonize(o->foreground)) {
		err("cannot become a daemon");
		goto out_unmount;
	}

	/* Threads start after fuse_daemonize(), which forks; they inherit
	 * main()'s mask, SIGUSR1 blocked */
	if (ctx.fast != FS_FAST_NONE) {
		ctx.inodes.on_free = watch_forget;
		ctx.inodes.on_free_arg = &ctx;
		int e = -watch_start(&ctx, se);

		if (e)
			warn_perror(e, "cannot watch SOURCE (fanotify): the kernel keeps what it knows for %g s only", FS_UNWATCHED_TIMEOUT);
	}
	passthrough_quiet(&ctx);
	stats.ctx = &ctx;
	stats.path = o->stats_path;
	if (pthread_create(&stats.thread, NULL, stats_main, &stats)) {
		err("cannot start the stats thread");
		goto out_unmount;
	}
	if (sock.fd >= 0 && stats_socket_start(&sock, stats_now, &ctx))
		warn("--stats-socket: cannot start its thread; no answers there");
	notify_ready(o->ready_fd);
	o->ready_fd = -1;

	loop = fuse_loop_cfg_create();
	if (!loop) {
		err("out of memory");
		goto out_stats;
	}
	fuse_loop_cfg_set_clone_fd(loop, o->clone_fd);
	/* a lock waiter holds its worker (locks.c): room for 64 of them
	 * beyond the workers that serve everything else */
	fuse_loop_cfg_set_max_threads(loop, o->threads + 64);
	/* and no limit on idle workers (libfuse's default): libfuse starts
	 * a worker whenever none is idle, which an asynchronous RELEASE or
	 * FORGET beside a synchronous request is enough for, and with a
	 * limit the surplus worker exited again after its one request (a
	 * clone, an 8 MiB stack mapped and unmapped, per file created) */
	ret = fuse_session_loop_mt(se, loop) ? EXIT_FAILURE : 0;
	fuse_loop_cfg_destroy(loop);
	if (ctx.want_uring && !ctx.ring)
		warn("io_uring: %s; requests came through /dev/fuse",
		     ctx.kernel_uring ? "the queues could not be set up" :
		     "the kernel did not offer it (Linux >= 6.14, /sys/module/fuse/parameters/enable_uring)");
	/* lock waits give up, so that the ring's slow requests end */
	__atomic_store_n(&ctx.stopping, true, __ATOMIC_RELEASE);
	ring_stop(ctx.ring);
	ctx.ring = NULL;

out_stats:
	/* no cancellation: a cancelled thread unwinds past code that does
	 * not expect it (and confuses ASan, google/sanitizers#1399) */
	__atomic_store_n(&stats.stop, true, __ATOMIC_RELEASE);
	pthread_kill(stats.thread, SIGUSR1);
	pthread_join(stats.thread, NULL);
	stats_write(&stats, false);

out_unmount:
	watch_stop(&ctx);
	fuse_session_unmount(se);
	if (ctx.quiet_fd >= 0)
		close(ctx.quiet_fd);
out_signals:
	stats_socket_stop(&sock);
	fuse_remove_signal_handlers(se);
out_session:
	fuse_session_destroy(se);
out_args:
	fuse_opt_free_args(&args);
out_table:
	inode_table_destroy(&ctx.inodes);
	return ret;
}

int main(int argc, char **argv)
{
	struct fs_opts o = { 0 };
	sigset_t usr1;
	int ret, src_fd;

	/* SIGUSR1 is blocked in every thread but the stats thread, which
	 * takes it with sigtimedwait().  From the start: where it is not
	 * blocked it ends the process, and a script may send it the moment
	 * the mount shows, before the stats thread is there. */
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, NULL);
	log_init("hk-fs-server", LOG_LEVEL_INFO);
	ret = parse_args(argc, argv, &o);
	if (!ret)
		ret = check_paths(&o, &src_fd);
	if (!ret)
		ret = serve(&o, src_fd);
	free(o.mount_opts);
	return ret < 0 ? 0 : ret;
}
