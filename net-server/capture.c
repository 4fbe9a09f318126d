// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * capture.c - --capture PORT:FILE, through libpcap's savefile writer
 *
 * Every frame read from the port and every frame written to it is
 * recorded whole (super-frames as one record, as the TAP carried them;
 * segments as they were written), without the virtio-net header.  Worker
 * threads share one file, so records are written under a lock; frames in
 * pieces are joined in a buffer of the capture's first.
 */
#include <errno.h>
#include <pcap/pcap.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "capture.h"
#include "frame.h"
#include "log.h"

struct capture {
	pthread_mutex_t lock;
	pcap_t *dead;
	pcap_dumper_t *d;
	uint64_t frames;
	uint8_t buf[FRAME_ETH_MAX];
};

/**
 * capture_open() - start a pcap file of Ethernet frames
 * @cp:		the capture, on success
 * @path:	the file, created or truncated
 *
 * Return: 0, or -EIO with libpcap's reason logged
 */
int capture_open(struct capture **cp, const char *path)
{
	struct capture *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->dead = pcap_open_dead(DLT_EN10MB, 262144);
	if (!c->dead) {
		free(c);
		return -ENOMEM;
	}
	c->d = pcap_dump_open(c->dead, path);
	if (!c->d) {
		err("--capture %s: %s", path, pcap_geterr(c->dead));
		pcap_close(c->dead);
		free(c);
		return -EIO;
	}
	pthread_mutex_init(&c->lock, NULL);
	*cp = c;
	return 0;
}

/**
 * capture_frame() - record one frame
 * @c:		the capture
 * @iov:	the virtio-net header, then the frame in one or more pieces
 * @n:		pieces in @iov
 */
void capture_frame(struct capture *c, const struct iovec *iov, int n)
{
	struct pcap_pkthdr h = { 0 };
	const uint8_t *data;
	size_t len = 0;

	gettimeofday(&h.ts, NULL);
	pthread_mutex_lock(&c->lock);
	if (n == 1) {
		data = (const uint8_t *)iov[0].iov_base + VNET_HDR;
		len = iov[0].iov_len - VNET_HDR;
	} else {
		/* the first piece is the header, alone or with the frame's start */
		for (int i = 0; i < n; i++) {
			size_t skip = i ? 0 : VNET_HDR, take = iov[i].iov_len - skip;

			if (len + take > sizeof(c->buf))
				take = sizeof(c->buf) - len;
			memcpy(c->buf + len, (const uint8_t *)iov[i].iov_base + skip, take);
			len += take;
		}
		data = c->buf;
	}
	h.caplen = h.len = (bpf_u_int32)len;
	pcap_dump((u_char *)c->d, &h, data);
	c->frames++;
	pthread_mutex_unlock(&c->lock);
}

/**
 * capture_flush() - push what is buffered to the file
 * @c:	the capture
 *
 * Return: frames recorded so far
 */
uint64_t capture_flush(struct capture *c)
{
	uint64_t n;

	pthread_mutex_lock(&c->lock);
	pcap_dump_flush(c->d);
	n = c->frames;
	pthread_mutex_unlock(&c->lock);
	return n;
}

/**
 * capture_close() - finish the file
 * @c:	the capture, or NULL
 */
void capture_close(struct capture *c)
{
	if (!c)
		return;
	pcap_dump_close(c->d);
	pcap_close(c->dead);
	pthread_mutex_destroy(&c->lock);
	free(c);
}
