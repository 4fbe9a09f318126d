// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fsstress.c - parallel writers, readers, appenders and renamers in one
 * directory for a while, then a check that nothing was lost or torn.
 *
 * Usage: fsstress DIR SECONDS
 *
 * Every byte written is a function of (file, offset), so any byte read
 * back is either zero (not written yet) or the one expected: readers check
 * each block while the writers work, and the end checks every file whole.
 * Appenders write fixed-size records with O_APPEND, which must never
 * interleave.  Renamers move files between two directories and swap them
 * with RENAME_EXCHANGE, make and remove entries, and list the directories;
 * at the end each of their files is in exactly one place with its content.
 * Exit status 0 when every check held; the first problem is printed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WRITERS		2
#define READERS		2
#define APPENDERS	2
#define RENAMERS	2
#define MOVING		8	/* files the renamers move around */
#define FILE_SIZE	(4 << 20)
#define BLOCK		4096
#define RECORD		64
#define MAX_RECORDS	100000	/* per appender: 6.4 MB */

static volatile sig_atomic_t stop;

static void on_alarm(int sig)
{
	(void)sig;
	stop = 1;
}

static int fail(const char *what, const char *path)
{
	fprintf(stderr, "fsstress: %s: %s (%s)\n", path, what, errno ? strerror(errno) : "-");
	return 1;
}

/* The byte at @off of writer file @w: never zero. */
static unsigned char pattern(int w, off_t off)
{
	return (unsigned char)(1 + (off / 7 + w * 13 + off % 251) % 255);
}

static void fill(unsigned char *buf, int w, off_t off, size_t len)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = pattern(w, off + (off_t)i);
}

/* Every block of @fd is zero or right; all must be right when @whole. */
static int check_file(int fd, int w, const char *path, int whole)
{
	unsigned char buf[BLOCK], want[BLOCK];

	for (off_t off = 0; off < FILE_SIZE; off += BLOCK) {
		ssize_t n = pread(fd, buf, BLOCK, off);

		if (n < 0)
			return fail("read", path);
		if (n == 0 && !whole)
			break;
		if (n != BLOCK && whole)
			return fail("short file", path);
		fill(want, w, off, (size_t)n);
		if (!memcmp(buf, want, (size_t)n))
			continue;
		/* a read racing the write of its block may see part of it
		 * (as on any file system), but never a byte that is wrong */
		for (ssize_t i = 0; i < n; i++) {
			if (whole || (buf[i] && buf[i] != want[i]))
				return errno = 0, fail("content wrong", path);
		}
	}
	return 0;
}

/* Write the file in blocks, in a shuffled order, sometimes fsync. */
static int writer(int w)
{
	unsigned char buf[BLOCK];
	char path[64];
	int fd, nblocks = FILE_SIZE / BLOCK;
	unsigned int seed = (unsigned int)w * 7919u + 1;

	snprintf(path, sizeof(path), "w%d", w);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return fail("create", path);
	/* a stride coprime with the block count visits every block once */
	for (int i = 0, b = 0; i < nblocks; i++, b = (b + 769) % nblocks) {
		fill(buf, w, (off_t)b * BLOCK, BLOCK);
		if (pwrite(fd, buf, BLOCK, (off_t)b * BLOCK) != BLOCK)
			return fail("write", path);
		if (rand_r(&seed) % 64 == 0 && fdatasync(fd))
			return fail("fdatasync", path);
	}
	return close(fd) ? fail("close", path) : 0;
}

static int reader(int r)
{
	char path[64];

	while (!stop) {
		int w = r % WRITERS, fd;

		snprintf(path, sizeof(path), "w%d", w);
		fd = open(path, O_RDONLY);
		if (fd < 0) {
			if (errno == ENOENT)
				continue;
			return fail("open", path);
		}
		if (check_file(fd, w, path, 0))
			return 1;
		close(fd);
		r++;
	}
	return 0;
}

static int appender(int a, long *records)
{
	char rec[RECORD];
	int fd = open("log", O_WRONLY | O_CREAT | O_APPEND, 0644);

	if (fd < 0)
		return fail("open", "log");
	for (long i = 0; !stop && i < MAX_RECORDS; i++) {
		memset(rec, 'a' + a, sizeof(rec));
		snprintf(rec, sizeof(rec), "%d %08ld", a, i);
		rec[RECORD - 1] = '\n';
		if (write(fd, rec, RECORD) != RECORD)
			return fail("append", "log");
		*records = i + 1;
	}
	return close(fd) ? fail("close", "log") : 0;
}

static int renamer(int r)
{
	char from[64], to[64], tmp[64];
	unsigned int seed = (unsigned int)r * 104729u + 3;

	for (long i = 0; !stop; i++) {
		int f = r * (MOVING / RENAMERS) + (int)(rand_r(&seed) % (MOVING / RENAMERS));
		DIR *d;

		/* each renamer has its own files: one goes to y/ and back,
		 * and is swapped twice with a neighbour (so back again) */
		snprintf(from, sizeof(from), "x/m%d", f);
		snprintf(to, sizeof(to), "y/m%d", f);
		if (rename(from, to))
			return fail("rename", from);
		if (rename(to, from))
			return fail("rename", to);
		snprintf(to, sizeof(to), "x/m%d", r * (MOVING / RENAMERS));
		for (int k = 0; k < 2; k++) {
			if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_EXCHANGE))
				return fail("rename exchange", from);
		}
		snprintf(tmp, sizeof(tmp), "x/t%d", r);
		if (mkdir(tmp, 0755) || rmdir(tmp))
			return fail("mkdir/rmdir", tmp);
		snprintf(tmp, sizeof(tmp), "y/l%d", r);
		if (link(from, tmp) == 0 && unlink(tmp))
			return fail("unlink", tmp);
		d = opendir(i % 2 ? "x" : "y");
		if (!d)
			return fail("opendir", "x|y");
		while (readdir(d))
			;
		closedir(d);
	}
	return 0;
}

/* Each moving file is in x/ or y/, never both, with its content. */
static int check_moving(void)
{
	for (int f = 0; f < MOVING; f++) {
		char x[64], y[64], buf[64], want[64];
		int inx, iny, fd;
		ssize_t n;

		snprintf(x, sizeof(x), "x/m%d", f);
		snprintf(y, sizeof(y), "y/m%d", f);
		inx = access(x, F_OK) == 0;
		iny = access(y, F_OK) == 0;
		if (inx + iny != 1)
			return errno = 0, fail(inx ? "in both directories" : "lost", x);
		fd = open(inx ? x : y, O_RDONLY);
		if (fd < 0)
			return fail("open", x);
		n = read(fd, buf, sizeof(buf));
		close(fd);
		snprintf(want, sizeof(want), "moving file %d\n", f);
		if (n != (ssize_t)strlen(want) || memcmp(buf, want, (size_t)n))
			return errno = 0, fail("content changed", x);
	}
	return 0;
}

/* Every record whole, each appender's numbers 0..n-1 in order. */
static int check_log(const long *records)
{
	long next[APPENDERS] = { 0 };
	char rec[RECORD];
	FILE *f = fopen("log", "r");

	if (!f)
		return fail("open", "log");
	while (fread(rec, 1, RECORD, f) == RECORD) {
		int a = rec[0] - '0';
		long i;

		if (a < 0 || a >= APPENDERS || rec[RECORD - 1] != '\n' ||
		    sscanf(rec + 2, "%ld", &i) != 1 || i != next[a]) {
			fclose(f);
			return errno = 0, fail("record torn or out of order", "log");
		}
		next[a]++;
	}
	fclose(f);
	for (int a = 0; a < APPENDERS; a++) {
		if (next[a] != records[a])
			return errno = 0, fail("records lost", "log");
	}
	return 0;
}

int main(int argc, char **argv)
{
	pid_t pids[WRITERS + READERS + APPENDERS + RENAMERS];
	long *records;
	int n = 0, bad = 0;

	if (argc != 3 || chdir(argv[1]) || atoi(argv[2]) <= 0) {
		fprintf(stderr, "usage: fsstress DIR SECONDS\n");
		return 2;
	}
	if (mkdir("x", 0755) || mkdir("y", 0755))
		return fail("mkdir", "x, y");
	for (int f = 0; f < MOVING; f++) {
		char p[64];
		FILE *fp;

		snprintf(p, sizeof(p), "x/m%d", f);
		fp = fopen(p, "w");
		if (!fp || fprintf(fp, "moving file %d\n", f) < 0 || fclose(fp))
			return fail("create", p);
	}
	/* the appenders' counts come back through shared memory */
	records = mmap(NULL, sizeof(long) * APPENDERS, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (records == MAP_FAILED)
		return fail("mmap", "-");

	for (int k = 0; k < WRITERS + READERS + APPENDERS + RENAMERS; k++) {
		pid_t pid = fork();

		if (pid < 0)
			return fail("fork", "-");
		if (pid == 0) {
			signal(SIGALRM, on_alarm);
			alarm((unsigned int)atoi(argv[2]));
			_exit(k < WRITERS ? writer(k) :
			      k < WRITERS + READERS ? reader(k - WRITERS) :
			      k < WRITERS + READERS + APPENDERS ?
			      appender(k - WRITERS - READERS, &records[k - WRITERS - READERS]) :
			      renamer(k - WRITERS - READERS - APPENDERS));
		}
		pids[n++] = pid;
	}
	for (int k = 0; k < n; k++) {
		int st;

		if (waitpid(pids[k], &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
			bad = 1;
	}
	if (bad)
		return 1;
	for (int w = 0; w < WRITERS; w++) {
		char path[64];
		int fd;

		snprintf(path, sizeof(path), "w%d", w);
		fd = open(path, O_RDONLY);
		if (fd < 0 || check_file(fd, w, path, 1))
			return 1;
		close(fd);
	}
	if (check_moving() || check_log(records))
		return 1;
	printf("fsstress: %d writers of %d MiB, %d readers, %ld+%ld records appended, %d renamers: all checks held\n",
	       WRITERS, FILE_SIZE >> 20, READERS, records[0], records[1], RENAMERS);
	return 0;
}
