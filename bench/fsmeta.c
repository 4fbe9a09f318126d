// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fsmeta.c - metadata benchmark for bench/fs: create, stat and unlink N
 * empty files in DIR, one phase after the other, and print the rate of
 * each phase in operations per second:
 *
 *   fsmeta DIR N      ->  "create OPS stat OPS unlink OPS"
 *   fsmeta -k DIR N   ->  create only, and keep the files (a tree for
 *                         find and du), spread over 100 subdirectories
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void name(char *buf, size_t len, const char *dir, long i, int keep)
{
	if (keep)
		snprintf(buf, len, "%s/d%02ld/f%06ld", dir, i % 100, i);
	else
		snprintf(buf, len, "%s/f%06ld", dir, i);
}

int main(int argc, char **argv)
{
	int keep = argc > 1 && !strcmp(argv[1], "-k");
	char path[4096];
	double t0, t[3];
	struct stat st;
	long n;

	if (argc != 3 + keep) {
		fprintf(stderr, "usage: fsmeta [-k] DIR N\n");
		return 2;
	}
	n = atol(argv[2 + keep]);
	if (keep) {
		if (mkdir(argv[2], 0755) && errno != EEXIST) {
			perror(argv[2]);
			return 1;
		}
		for (int d = 0; d < 100; d++) {
			snprintf(path, sizeof(path), "%s/d%02d", argv[2], d);
			if (mkdir(path, 0755) && errno != EEXIST) {
				perror(path);
				return 1;
			}
		}
	}

	t0 = now();
	for (long i = 0; i < n; i++) {
		int fd;

		name(path, sizeof(path), argv[1 + keep], i, keep);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
		if (fd < 0 || close(fd)) {
			perror(path);
			return 1;
		}
	}
	t[0] = now() - t0;
	if (keep)
		return 0;

	t0 = now();
	for (long i = 0; i < n; i++) {
		name(path, sizeof(path), argv[1], i, 0);
		if (stat(path, &st)) {
			perror(path);
			return 1;
		}
	}
	t[1] = now() - t0;

	t0 = now();
	for (long i = 0; i < n; i++) {
		name(path, sizeof(path), argv[1], i, 0);
		if (unlink(path)) {
			perror(path);
			return 1;
		}
	}
	t[2] = now() - t0;
	printf("create %.0f stat %.0f unlink %.0f\n", (double)n / t[0],
	       (double)n / t[1], (double)n / t[2]);
	return 0;
}
