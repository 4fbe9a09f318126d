// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * workload.c - the built-in workloads of hk-migrate
 *
 * Each run of a workload is a process of its own, "hk-migrate workload
 * NAME ARG", so that the A/B engine can start it on the kernel path or,
 * through the shim, on the user-space path, exactly alike.  It times its
 * own steady part (the shim's set-up is not in the figure) and writes one
 * JSON object to its result descriptor:
 *
 *   {"workload", "metric", "unit", "ops", "seconds"}   or   {"error"}
 *
 * File system workloads work in a scratch directory under the candidate;
 * network workloads talk to "hk-migrate workload serve", started by the
 * engine in the far end's namespace.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <limits.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "args.h"
#include "jsonnum.h"
#include "log.h"
#include "migrate.h"

#define DATA_FILE	"hk-data"
#define DATA_SIZE	(64u << 20)
#define BLOCK		(1u << 20)
#define SMALL		4096u
#define NET_CHUNK	(128u << 10)
#define RR_SIZE		64u
#define META_BATCH	256

static const struct workload workloads[] = {
	{ "seqread", KIND_FS, false, true, "MB/s",
	  "sequential 1 MiB reads of a cached 64 MiB file",
	  MODEL_THROUGHPUT, BLOCK, true },
	{ "seqwrite", KIND_FS, false, true, "MB/s",
	  "sequential 1 MiB writes over a 64 MiB file, then fdatasync",
	  MODEL_THROUGHPUT, BLOCK, true },
	{ "randread", KIND_FS, false, true, "IOPS",
	  "random 4 KiB reads of a cached 64 MiB file, one at a time",
	  MODEL_LATENCY, SMALL, true },
	{ "randwrite", KIND_FS, false, true, "IOPS",
	  "random 4 KiB writes into a 64 MiB file, one at a time, then fdatasync",
	  MODEL_LATENCY, SMALL, true },
	{ "meta", KIND_FS, false, true, "ops/s",
	  "create, stat and unlink of empty files, 256 at a time",
	  MODEL_LATENCY, 256, false },
	{ "stream", KIND_NET, false, true, "Gbit/s",
	  "one TCP stream to the far end, 128 KiB writes",
	  MODEL_THROUGHPUT, 65536, true },
	{ "rr", KIND_NET, false, false, "us",
	  "TCP request/response of 64 bytes, median round trip",
	  MODEL_LATENCY, RR_SIZE, true },
	{ "command", KIND_FS, true, false, "s",
	  "the configured command (sh -c), its wall time",
	  MODEL_NONE, 0, false },
};

const struct workload *workload_find(const char *name)
{
	for (size_t i = 0; i < sizeof(workloads) / sizeof(workloads[0]); i++)
		if (!strcmp(workloads[i].name, name))
			return &workloads[i];
	return NULL;
}

const struct workload *workload_at(size_t i)
{
	return i < sizeof(workloads) / sizeof(workloads[0]) ? &workloads[i] : NULL;
}

const char *workload_defaults(enum cand_kind kind)
{
	return kind == KIND_FS ? "seqread randread seqwrite randwrite meta" :
				 "stream rr";
}

/* ------------------------------------------------------------ reporting */

static int result_fd = STDOUT_FILENO;

static int report_error(const char *name, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int report_error(const char *name, int errnum, const char *fmt, ...)
{
	struct json_object *o = json_object_new_object();
	char msg[512];
	const char *s;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (errnum && n >= 0 && (size_t)n < sizeof(msg))
		snprintf(msg + n, sizeof(msg) - (size_t)n, ": %s", strerror(errnum));
	err("workload %s: %s", name, msg);
	json_object_object_add(o, "error", json_object_new_string(msg));
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
					    JSON_C_TO_STRING_NOSLASHESCAPE);
	if (write(result_fd, s, strlen(s)) < 0 || write(result_fd, "\n", 1) < 0)
		err_perror(errno, "workload %s: cannot write the result", name);
	json_object_put(o);
	return 1;
}

static int report(const struct workload *wl, double metric, double ops,
		  double seconds, double p99)
{
	struct json_object *o = json_object_new_object();
	const char *s;
	int ret = 0;

	json_object_object_add(o, "workload", json_object_new_string(wl->name));
	jsonnum_add(o, "metric", metric);
	json_object_object_add(o, "unit", json_object_new_string(wl->unit));
	jsonnum_add(o, "ops", ops);
	jsonnum_add(o, "seconds", seconds);
	if (!isnan(p99))
		jsonnum_add(o, "p99", p99);
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
					    JSON_C_TO_STRING_NOSLASHESCAPE);
	if (write(result_fd, s, strlen(s)) < 0 || write(result_fd, "\n", 1) < 0) {
		err_perror(errno, "workload %s: cannot write the result", wl->name);
		ret = 1;
	}
	json_object_put(o);
	return ret;
}

/* xorshift64*: the same offsets on A and on B */
static uint64_t rnd_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1DULL;
}

/* ------------------------------------------------------- file systems */

static int data_open(const char *dir, int flags)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/" DATA_FILE, dir);
	return open(path, flags | O_CLOEXEC, 0644);
}

/**
 * workload_prepare() - what a file system workload needs before its runs
 * @wl:	the workload
 * @dir:	its scratch directory, on the kernel path
 *
 * Return: 0, or -errno
 */
int workload_prepare(const struct workload *wl, const char *dir)
{
	char *buf;
	int fd, ret = 0;

	if (wl->kind != KIND_FS || wl->any_kind || !strcmp(wl->name, "meta"))
		return 0;
	fd = data_open(dir, O_WRONLY | O_CREAT | O_TRUNC);
	if (fd < 0)
		return -errno;
	buf = malloc(BLOCK);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	for (size_t i = 0; i < BLOCK; i++)
		buf[i] = (char)(i * 131 + 7);
	for (unsigned int off = 0; off < DATA_SIZE && !ret; off += BLOCK)
		if (pwrite(fd, buf, BLOCK, off) != (ssize_t)BLOCK)
			ret = errno ? -errno : -EIO;
	if (!ret && fsync(fd))
		ret = -errno;
	free(buf);
	close(fd);
	return ret;
}

/* The data file and an aligned buffer of @size for a run; 1 on failure,
 * reported. */
static int data_setup(const struct workload *wl, const char *dir, bool rd,
		      size_t size, int *fd, char **buf)
{
	*fd = data_open(dir, rd ? O_RDONLY : O_WRONLY);
	if (*fd < 0)
		return report_error(wl->name, errno, "%s/" DATA_FILE, dir);
	*buf = aligned_alloc(4096, size);
	if (!*buf) {
		close(*fd);
		return report_error(wl->name, ENOMEM, "buffer");
	}
	memset(*buf, 0x5a, size);
	return 0;
}

static int wl_seq(const struct workload *wl, const char *dir, double seconds)
{
	bool rd = !strcmp(wl->name, "seqread");
	double t0, t = 0, bytes = 0;
	unsigned int off = 0;
	char *buf;
	int fd;

	if (data_setup(wl, dir, rd, BLOCK, &fd, &buf))
		return 1;
	if (rd) {	/* one pass to warm the caches, not timed */
		for (off = 0; off < DATA_SIZE; off += BLOCK)
			if (pread(fd, buf, BLOCK, off) != (ssize_t)BLOCK)
				goto io;
		off = 0;
	}
	t0 = clock_s();
	do {
		ssize_t n = rd ? pread(fd, buf, BLOCK, off) : pwrite(fd, buf, BLOCK, off);

		if (n != (ssize_t)BLOCK)
			goto io;
		bytes += BLOCK;
		off = (off + BLOCK) % DATA_SIZE;
		if (off % (8 * BLOCK) == 0)	/* the clock every 8 MiB */
			t = clock_s() - t0;
	} while (t < seconds);
	if (!rd && fdatasync(fd))
		goto io;
	t = clock_s() - t0;
	free(buf);
	close(fd);
	return report(wl, bytes / t / 1e6, bytes / BLOCK, t, NAN);
io:
	free(buf);
	close(fd);
	return report_error(wl->name, errno ? errno : EIO, "%s at %u",
			    rd ? "read" : "write", off);
}

static int wl_rand(const struct workload *wl, const char *dir, double seconds)
{
	bool rd = !strcmp(wl->name, "randread");
	uint64_t seed = 0x9e3779b97f4a7c15ULL, ops = 0;
	double t0, t = 0;
	char *buf;
	int fd;

	if (data_setup(wl, dir, rd, SMALL, &fd, &buf))
		return 1;
	t0 = clock_s();
	do {
		off_t off = (off_t)(rnd_next(&seed) % (DATA_SIZE / SMALL)) * SMALL;
		ssize_t n = rd ? pread(fd, buf, SMALL, off) : pwrite(fd, buf, SMALL, off);

		if (n != (ssize_t)SMALL) {
			free(buf);
			close(fd);
			return report_error(wl->name, errno ? errno : EIO, "%s",
					    rd ? "read" : "write");
		}
		if (++ops % 256 == 0)
			t = clock_s() - t0;
	} while (t < seconds);
	if (!rd && fdatasync(fd)) {
		free(buf);
		close(fd);
		return report_error(wl->name, errno, "fdatasync");
	}
	t = clock_s() - t0;
	free(buf);
	close(fd);
	return report(wl, (double)ops / t, (double)ops, t, NAN);
}

static int wl_meta(const struct workload *wl, const char *dir, double seconds)
{
	double t0, t = 0, ops = 0;
	char path[4096];
	unsigned int round = 0;
	struct stat st;
	int fd;

	t0 = clock_s();
	do {
		for (int i = 0; i < META_BATCH; i++) {
			snprintf(path, sizeof(path), "%s/m%u.%d", dir, round, i);
			fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
			if (fd < 0 || close(fd))
				return report_error(wl->name, errno, "create %s", path);
		}
		for (int i = 0; i < META_BATCH; i++) {
			snprintf(path, sizeof(path), "%s/m%u.%d", dir, round, i);
			if (stat(path, &st))
				return report_error(wl->name, errno, "stat %s", path);
		}
		for (int i = 0; i < META_BATCH; i++) {
			snprintf(path, sizeof(path), "%s/m%u.%d", dir, round, i);
			if (unlink(path))
				return report_error(wl->name, errno, "unlink %s", path);
		}
		ops += 3 * META_BATCH;
		round++;
		t = clock_s() - t0;
	} while (t < seconds);
	return report(wl, ops / t, ops, t, NAN);
}

/* ------------------------------------------------------------ network */

static int tcp_connect(const char *addr, const char *port, int *fd)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV };
	struct timeval tv = { .tv_sec = 10 };
	struct addrinfo *ai;
	int one = 1, ret;

	ret = getaddrinfo(addr, port, &hints, &ai);
	if (ret)
		return EINVAL;
	*fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (*fd < 0) {
		freeaddrinfo(ai);
		return errno;
	}
	setsockopt(*fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(*fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(*fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	ret = connect(*fd, ai->ai_addr, ai->ai_addrlen) ? errno : 0;
	freeaddrinfo(ai);
	if (ret) {
		close(*fd);
		*fd = -1;
	}
	return ret;
}

static bool read_full(int fd, void *buf, size_t n)
{
	char *p = buf;

	while (n) {
		ssize_t r = read(fd, p, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		p += r;
		n -= (size_t)r;
	}
	return true;
}

static bool write_full(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n) {
		ssize_t r = write(fd, p, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		p += r;
		n -= (size_t)r;
	}
	return true;
}

static int wl_stream(const struct workload *wl, const char *addr,
		     const char *port, double seconds)
{
	uint64_t sent = 0, got;
	double t0, t = 0;
	char *buf;
	int fd, e;

	e = tcp_connect(addr, port, &fd);
	if (e)
		return report_error(wl->name, e, "connect to %s port %s", addr, port);
	buf = malloc(NET_CHUNK);
	if (!buf) {
		close(fd);
		return report_error(wl->name, ENOMEM, "buffer");
	}
	memset(buf, 'S', NET_CHUNK);
	if (!write_full(fd, "S", 1))
		goto io;
	t0 = clock_s();
	do {
		if (!write_full(fd, buf, NET_CHUNK))
			goto io;
		sent += NET_CHUNK;
		t = clock_s() - t0;
	} while (t < seconds);
	if (shutdown(fd, SHUT_WR) || !read_full(fd, &got, sizeof(got)))
		goto io;
	t = clock_s() - t0;
	free(buf);
	close(fd);
	if (got != sent)
		return report_error(wl->name, 0, "the far end received %llu bytes of %llu",
				    (unsigned long long)got, (unsigned long long)sent);
	return report(wl, (double)sent * 8 / t / 1e9, (double)sent / NET_CHUNK, t, NAN);
io:
	e = errno ? errno : EPIPE;
	free(buf);
	close(fd);
	return report_error(wl->name, e, "after %llu bytes", (unsigned long long)sent);
}

static int wl_rr(const struct workload *wl, const char *addr,
		 const char *port, double seconds)
{
	size_t n = 0, cap = 65536;
	double t0, t, *rtt, med, p99;
	char msg[RR_SIZE];
	int fd, e;

	e = tcp_connect(addr, port, &fd);
	if (e)
		return report_error(wl->name, e, "connect to %s port %s", addr, port);
	rtt = malloc(cap * sizeof(*rtt));
	if (!rtt) {
		close(fd);
		return report_error(wl->name, ENOMEM, "buffer");
	}
	memset(msg, 'R', sizeof(msg));
	if (!write_full(fd, "R", 1)) {
		e = errno;
		free(rtt);
		close(fd);
		return report_error(wl->name, e, "send");
	}
	/* one clock read per round trip: its end is the next one's start */
	t = t0 = clock_s();
	do {
		double now;

		if (!write_full(fd, msg, sizeof(msg)) || !read_full(fd, msg, sizeof(msg))) {
			e = errno ? errno : EPIPE;
			free(rtt);
			close(fd);
			return report_error(wl->name, e, "after %zu round trips", n);
		}
		now = clock_s();
		if (n < cap)
			rtt[n] = (now - t) * 1e6;
		n++;
		t = now;
	} while (t - t0 < seconds);
	close(fd);
	e = hks_stat_median(rtt, n < cap ? n : cap, &med) ||
	    hks_stat_quantile(rtt, n < cap ? n : cap, 0.99, &p99);
	free(rtt);
	if (e)
		return report_error(wl->name, 0, "no round trip to count");
	return report(wl, med, (double)n, t - t0, p99);
}

/* The far side: one process per connection; 'S' counts a stream, 'R'
 * echoes fixed-size requests. */
static void serve_one(int fd)
{
	char *buf = malloc(NET_CHUNK), mode;
	uint64_t total = 0;

	if (!buf || !read_full(fd, &mode, 1))
		_exit(1);
	if (mode == 'S') {
		for (;;) {
			ssize_t r = read(fd, buf, NET_CHUNK);

			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				break;
			total += (uint64_t)r;
		}
		write_full(fd, &total, sizeof(total));
	} else {
		while (read_full(fd, buf, RR_SIZE) && write_full(fd, buf, RR_SIZE))
			;
	}
	_exit(0);
}

static int wl_serve(const char *addr, int ready)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICHOST | AI_PASSIVE };
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	struct addrinfo *ai;
	char port[16];
	int fd, one = 1;

	signal(SIGCHLD, SIG_IGN);
	if (getaddrinfo(addr, "0", &hints, &ai)) {
		err("workload serve: '%s' is not an address", addr);
		return 2;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, 16) ||
	    getsockname(fd, (struct sockaddr *)&ss, &len)) {
		err_perror(errno, "workload serve: %s", addr);
		freeaddrinfo(ai);
		return 1;
	}
	freeaddrinfo(ai);
	snprintf(port, sizeof(port), "%d\n", ntohs(ss.ss_family == AF_INET6 ?
		 ((struct sockaddr_in6 *)&ss)->sin6_port :
		 ((struct sockaddr_in *)&ss)->sin_port));
	if (write(ready, port, strlen(port)) < 0)
		return 1;
	close(ready);
	for (;;) {
		int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);

		if (c < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			err_perror(errno, "workload serve: accept");
			return 1;
		}
		setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (fork() == 0) {
			close(fd);
			serve_one(c);
		}
		close(c);
	}
}

/* ------------------------------------------------------------ command */

static int wl_command(const struct workload *wl, const char *cmd, double *t)
{
	int status;
	double t0 = clock_s();
	pid_t pid = fork();

	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	if (pid < 0)
		return report_error(wl->name, errno, "fork");
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return report_error(wl->name, errno, "wait");
	*t = clock_s() - t0;
	if (WIFSIGNALED(status))
		return report_error(wl->name, 0, "'%s' was killed by signal %d", cmd,
				    WTERMSIG(status));
	if (WEXITSTATUS(status))
		return report_error(wl->name, 0, "'%s' exited with %d", cmd,
				    WEXITSTATUS(status));
	return report(wl, *t, 1, *t, NAN);
}

/* ----------------------------------------------------------- the peer */

/**
 * peer_start() - "hk-migrate workload serve" in namespace @ns, on @addr
 *
 * Return: 0, or -errno
 */
int peer_start(const char *ns, const char *addr, struct peer *p)
{
	char exe[PATH_MAX], buf[16] = "";
	int pipefd[2], nsfd = -1, status;
	ssize_t n;
	pid_t pid;

	if (prog_self(exe, sizeof(exe)))
		return -ENOENT;
	if (*ns) {
		char path[300];

		snprintf(path, sizeof(path), "/run/netns/%s", ns);
		nsfd = open(path, O_RDONLY | O_CLOEXEC);
		if (nsfd < 0)
			return -errno;
	}
	if (pipe(pipefd)) {
		if (nsfd >= 0)
			close(nsfd);
		return -errno;
	}
	pid = fork();
	if (pid == 0) {
		char fdarg[16];

		close(pipefd[0]);
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (nsfd >= 0 && setns(nsfd, CLONE_NEWNET))
			_exit(1);
		snprintf(fdarg, sizeof(fdarg), "%d", pipefd[1]);
		execl(exe, "hk-migrate", "workload", "serve", addr, "--ready-fd",
		      fdarg, (char *)NULL);
		_exit(127);
	}
	close(pipefd[1]);
	if (nsfd >= 0)
		close(nsfd);
	if (pid < 0) {
		close(pipefd[0]);
		return -errno;
	}
	n = read(pipefd[0], buf, sizeof(buf) - 1);
	close(pipefd[0]);
	p->port = n > 0 ? atoi(buf) : 0;
	if (p->port <= 0) {
		waitpid(pid, &status, 0);
		return -ECONNREFUSED;
	}
	p->pid = pid;
	snprintf(p->addr, sizeof(p->addr), "%s", addr);
	return 0;
}

void peer_stop(struct peer *p)
{
	if (p->pid <= 0)
		return;
	kill(p->pid, SIGTERM);
	waitpid(p->pid, NULL, 0);
	p->pid = 0;
}

/* ------------------------------------------------------------ the CLI */

int workload_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seconds", required_argument, NULL, 's' },
		{ "result-fd", required_argument, NULL, 'r' },
		{ "ready-fd", required_argument, NULL, 'R' },
		{ "command", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	const struct workload *wl;
	const char *command = NULL;
	double seconds = 0.5, t;
	int c, ready = -1;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (!args_double(optarg, 0.001, 3600, &seconds)) {
				err("workload: --seconds '%s' is not from 0 to 3600", optarg);
				return 2;
			}
			break;
		case 'r':
			if (!args_fd(optarg, &result_fd)) {
				err("workload: --result-fd '%s' is not a descriptor", optarg);
				return 2;
			}
			break;
		case 'R':
			if (!args_fd(optarg, &ready)) {
				err("workload: --ready-fd '%s' is not a descriptor", optarg);
				return 2;
			}
			break;
		case 'c':
			command = optarg;
			break;
		default:
			return 2;
		}
	}
	if (argc - optind == 2 && !strcmp(argv[optind], "serve"))
		return wl_serve(argv[optind + 1], ready >= 0 ? ready : STDOUT_FILENO);
	wl = argc - optind >= 1 ? workload_find(argv[optind]) : NULL;
	if (!wl) {
		err("workload: usage: hk-migrate workload NAME DIR | NAME ADDR PORT | serve ADDR");
		return 2;
	}
	if (!strcmp(wl->name, "command")) {
		if (!command) {
			err("workload command: --command CMD is needed");
			return 2;
		}
		return wl_command(wl, command, &t);
	}
	if (wl->kind == KIND_NET) {
		if (argc - optind != 3) {
			err("workload %s: usage: hk-migrate workload %s ADDR PORT",
			    wl->name, wl->name);
			return 2;
		}
		return !strcmp(wl->name, "stream") ?
			wl_stream(wl, argv[optind + 1], argv[optind + 2], seconds) :
			wl_rr(wl, argv[optind + 1], argv[optind + 2], seconds);
	}
	if (argc - optind != 2) {
		err("workload %s: usage: hk-migrate workload %s DIR", wl->name, wl->name);
		return 2;
	}
	if (!strcmp(wl->name, "meta"))
		return wl_meta(wl, argv[optind + 1], seconds);
	if (wl->model == MODEL_THROUGHPUT)
		return wl_seq(wl, argv[optind + 1], seconds);
	return wl_rand(wl, argv[optind + 1], seconds);
}
