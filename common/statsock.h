/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * statsock.h - a server's counters served on a Unix stream socket
 */
#ifndef HK_STATSOCK_H
#define HK_STATSOCK_H

#include <pthread.h>
#include <stdbool.h>
#include <sys/types.h>

struct json_object;

struct stats_socket {
	int fd;			/* listening, or -1 */
	int dirfd;		/* its directory (O_PATH): the server may chdir */
	char *name;		/* its name there */
	dev_t dev;		/* the file bound, removed at the end only */
	ino_t ino;		/* if it is still there */
	bool running;		/* the thread was started */
	pthread_t thread;
	struct json_object *(*build)(void *arg);	/* a new document */
	void *arg;
};

int stats_socket_bind(struct stats_socket *s, const char *path);
int stats_socket_start(struct stats_socket *s,
		       struct json_object *(*build)(void *arg), void *arg);
void stats_socket_stop(struct stats_socket *s);

#endif /* HK_STATSOCK_H */
