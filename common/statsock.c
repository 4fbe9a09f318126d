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
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "statsock.h"

/**
 * stats_socket_bind() - listen at @path, before the server commits to
 * anything (a path that cannot be bound is the caller's bad argument)
 * @s:	the socket, zeroed
 * @path:	where (relative to the current directory, kept absolute);
 *		an existing file there is an error, never replaced
 *
 * Return: 0 or -errno
 */
int stats_socket_bind(struct stats_socket *s, const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char cwd[PATH_MAX];
	int n;

	s->fd = -1;
	s->path = NULL;
	if (path[0] == '/')
		n = snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	else if (getcwd(cwd, sizeof(cwd)))
		n = snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/%s", cwd, path);
	else
		return -errno;
	if (n < 0 || (size_t)n >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	s->path = strdup(sun.sun_path);
	if (!s->path)
		return -ENOMEM;
	s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->fd < 0 ||
	    bind(s->fd, (struct sockaddr *)&sun, sizeof(sun)) ||
	    listen(s->fd, 16)) {
		int e = errno;

		if (s->fd >= 0)
			close(s->fd);
		s->fd = -1;
		free(s->path);
		s->path = NULL;
		return -e;
	}
	return 0;
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
 * Return: 0 or -errno
 */
int stats_socket_start(struct stats_socket *s,
		       struct json_object *(*build)(void *arg), void *arg)
{
	int e;

	s->build = build;
	s->arg = arg;
	e = pthread_create(&s->thread, NULL, stats_socket_main, s);
	s->running = !e;
	return -e;
}

/**
 * stats_socket_stop() - stop answering, close, and remove the socket file
 * @s:	the socket (bound or not, started or not)
 */
void stats_socket_stop(struct stats_socket *s)
{
	if (s->fd < 0)
		return;
	/* wakes accept() with EINVAL: no cancellation needed */
	shutdown(s->fd, SHUT_RDWR);
	if (s->running)
		pthread_join(s->thread, NULL);
	s->running = false;
	close(s->fd);
	s->fd = -1;
	unlink(s->path);
	free(s->path);
	s->path = NULL;
}
