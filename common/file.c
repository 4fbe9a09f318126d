// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * file.c - write a file so that a reader sees the old content or the new,
 * never half of it: a temporary file beside it, fsync, rename(2); and
 * read the one line of a small file (/proc, /sys)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "file.h"

/**
 * file_write_atomic() - replace @path with @text and a newline
 * @path:	the file
 * @text:	its new content
 *
 * Return: 0 or -errno; on failure @path is as it was and no temporary
 * file is left
 */
int file_write_atomic(const char *path, const char *text)
{
	size_t len = strlen(path) + 24;
	char *tmp = malloc(len);
	FILE *f;
	int ret = 0;

	if (!tmp)
		return -ENOMEM;
	snprintf(tmp, len, "%s.tmp%ld", path, (long)getpid());
	f = fopen(tmp, "w");
	if (!f) {
		ret = -errno;
		goto out_free;
	}
	if (fputs(text, f) < 0 || fputc('\n', f) < 0 || fflush(f) ||
	    fsync(fileno(f)))
		ret = -errno;
	if (fclose(f) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret)
		unlink(tmp);
out_free:
	free(tmp);
	return ret;
}

/**
 * file_read_line() - the first line of @path, without its newline
 * @path:	the file
 * @buf:	where the line goes, cut to @len - 1 bytes
 * @len:	its size, at least 1
 *
 * Return: true when a line was read; false, with @buf empty, when the
 * file cannot be opened or is empty
 */
bool file_read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	bool ok = f && fgets(buf, (int)len, f);

	if (f)
		fclose(f);
	if (!ok)
		buf[0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return ok;
}
