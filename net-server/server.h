/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * server.h - the state of hk-net-server: ports, the MAC table, workers
 */
#ifndef HK_NET_SERVER_H
#define HK_NET_SERVER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "hist.h"
#include "port.h"
#include "switch.h"

#define MAX_PORTS	64

struct worker;

/**
 * typedef xmit_fn - write one frame to a port
 * @w:		the worker writing
 * @out:	the port
 * @iov:	virtio-net header, then the frame
 * @n:		pieces in @iov
 *
 * Return: bytes written, or -errno
 */
typedef long xmit_fn(struct worker *w, struct port *out, const struct iovec *iov, int n);

struct server {
	struct port port[MAX_PORTS];
	int nports;
	unsigned int queues;
	struct mac_table macs;
	uint64_t busy_poll_ns;		/* --busy-poll, 0: sleep at once */
	xmit_fn *xmit;			/* writev to the TAP; a fake in the fuzzer */
	struct worker *worker;		/* one per queue */
	int stopfd;			/* eventfd: every worker ends */
	const char *stats_path;
	const char *stats_socket;	/* --stats-socket PATH, or NULL */
	uint64_t start_ns;
};

/* One thread: queue q of every port, and its own counters. */
struct worker {
	struct server *s;
	unsigned int q;
	int cpu;			/* --cpus: the one it runs on, or -1 */
	int epfd;
	pthread_t tid;
	uint8_t *buf;			/* a frame as read */
	uint8_t *reply;			/* the responder's answer */
	struct port_stats st[MAX_PORTS];
	struct hist frame_ns;		/* read to last write, per frame */
};

void path_frame(struct worker *w, struct port *in, size_t len);
long path_writev(struct worker *w, struct port *out, const struct iovec *iov, int n);
void path_port_lost(struct worker *w, struct port *p, int e);

#endif /* HK_NET_SERVER_H */
