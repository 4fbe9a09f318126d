// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * statsock.c - a server's counters served on a Unix stream socket
 *
 * Each client that connects is sent the counters as they are at that
 * moment, one indented JSON document, and the connection is closed:
 * `socat - UNIX-CONNECT:PATH` or any Unix socket client reads them, as
 * often as it likes, without the file rewrites of --stats PATH.  One
 * thread accepts and answers in turn; a client that does not read is
 * given up after a second.
 */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "statsock.h"
#include "thread.h"

/**
 * stats_socket_bind() - listen at @path, before the server commits to
 * anything (a path that cannot be bound is the caller's bad argument)
 * @s:	the socket, zeroed
 * @path:	where; an existing file there is an error, never replaced.
 *		Its directory is held open, so that neither a later chdir
 *		nor a path longer than sockaddr_un's 108 bytes matters: such
 *		a path is bound as /proc/self/fd/N/NAME.
 *
 * Return: 0 or -errno
 */
int stats_socket_bind(struct stats_socket *s, const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	char *dir = NULL;
	struct stat st;
	int n, e;

	s->fd = -1;
	s->dirfd = -1;
	s->name = NULL;
	if (!*base)
		return -EISDIR;
	if (slash == path)
		dir = strdup("/");
	else
		dir = slash ? strndup(path, (size_t)(slash - path)) : strdup(".");
	s->name = strdup(base);
	if (!dir || !s->name) {
		e = ENOMEM;
		goto fail;
	}
	s->dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (s->dirfd < 0) {
		e = errno;
		goto fail;
	}
	if (strlen(path) < sizeof(sun.sun_path))
		n = snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	else
		n = snprintf(sun.sun_path, sizeof(sun.sun_path), "/proc/self/fd/%d/%s",
			     s->dirfd, base);
	if (n < 0 || (size_t)n >= sizeof(sun.sun_path)) {
		e = ENAMETOOLONG;
		goto fail;
	}
	s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->fd < 0 || bind(s->fd, (struct sockaddr *)&sun, sizeof(sun))) {
		e = errno;
		goto fail;
	}
	/* from here on the file is ours: what goes wrong removes it */
	if (fstatat(s->dirfd, base, &st, AT_SYMLINK_NOFOLLOW) || listen(s->fd, 16)) {
		e = errno;
		unlinkat(s->dirfd, base, 0);
		goto fail;
	}
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	free(dir);
	return 0;
fail:
	if (s->fd >= 0)
		close(s->fd);
	if (s->dirfd >= 0)
		close(s->dirfd);
	s->fd = -1;
	s->dirfd = -1;
	free(s->name);
	s->name = NULL;
	free(dir);
	return -e;
}

static void *stats_socket_main(void *arg)
{
	struct stats_socket *s = arg;
	struct timeval second = { .tv_sec = 1 };

	for (;;) {
		struct json_object *root;
		const char *text;
		size_t len, off = 0;
		int c = accept4(s->fd, NULL, NULL, SOCK_CLOEXEC);

		if (c < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			break;		/* shut down: stats_socket_stop() */
		}
		setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &second, sizeof(second));
		root = s->build(s->arg);
		text = root ? json_object_to_json_string_ext(root,
				JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED) : NULL;
		len = text ? strlen(text) : 0;
		while (off < len) {
			ssize_t n = send(c, text + off, len - off, MSG_NOSIGNAL);

			if (n <= 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			off += (size_t)n;
		}
		if (off == len && len)
			send(c, "\n", 1, MSG_NOSIGNAL);
		json_object_put(root);
		close(c);
	}
	return NULL;
}

/**
 * stats_socket_start() - answer clients from now on
 * @s:	a bound socket
 * @build:	makes a new document of the counters; freed after sending
 * @arg:	for @build
 *
 * Returns once the thread runs (thread_start()): a seccomp list
 * installed after this cannot catch it halfway through its start.
 *
 * Return: 0 or -errno
 */
int stats_socket_start(struct stats_socket *s,
		       struct json_object *(*build)(void *arg), void *arg)
{
	int e;

	s->build = build;
	s->arg = arg;
	e = thread_start(&s->thread, -1, stats_socket_main, s);
	s->running = !e;
	return -e;
}

/**
 * stats_socket_stop() - stop answering, close, and remove the socket file
 * @s:	the socket (bound or not, started or not)
 */
void stats_socket_stop(struct stats_socket *s)
{
	struct stat st;

	if (s->fd < 0)
		return;
	/* wakes accept() with EINVAL: no cancellation needed */
	shutdown(s->fd, SHUT_RDWR);
	if (s->running)
		pthread_join(s->thread, NULL);
	s->running = false;
	close(s->fd);
	s->fd = -1;
	/* the file only if it is still the socket bound: never one that
	 * took its place */
	if (!fstatat(s->dirfd, s->name, &st, AT_SYMLINK_NOFOLLOW) &&
	    S_ISSOCK(st.st_mode) && st.st_dev == s->dev && st.st_ino == s->ino)
		unlinkat(s->dirfd, s->name, 0);
	close(s->dirfd);
	s->dirfd = -1;
	free(s->name);
	s->name = NULL;
}
