// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * path.c - what happens to one frame between its read and its writes
 *
 * In order: the virtio-net header is checked; the port's input filter
 * runs (unless the kernel ran it already); the port's responder answers
 * what is for the server's own address; the source address is learnt and
 * the destination looked up; then, for each output port, its output
 * filter runs and the frame is written as it came, or with its checksum
 * completed, or cut into segments, as far as that port's offloads need.
 * Every frame ends counted in exactly one place: forwarded, answered, or
 * dropped for a named reason on the port where that happened.
 *
 * Nothing here touches a descriptor except through the server's xmit
 * function, so that the fuzzer can run this path without TAP devices.
 */
#include <errno.h>
#include <linux/if_tun.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/uio.h>

#include "capture.h"
#include "clock.h"
#include "frame.h"
#include "log.h"
#include "server.h"


/**
 * path_port_lost() - the port's device is gone: stop reading it
 * @w:	the worker that saw it
 * @p:	the port
 * @e:	the errno that told
 *
 * The first worker to see it logs it; each worker takes its own queue
 * out of its epoll set when it sees it.
 */
void path_port_lost(struct worker *w, struct port *p, int e)
{
	if (w->epfd >= 0)
		epoll_ctl(w->epfd, EPOLL_CTL_DEL, p->fd[w->q], NULL);
	if (!__atomic_exchange_n(&p->gone, true, __ATOMIC_RELAXED))
		warn_perror(e, "port %s is gone; serving the other ports", p->spec);
}

/**
 * path_writev() - the server's xmit: one writev to the worker's queue
 * @w:		the worker
 * @out:	the port
 * @iov:	virtio-net header, then the frame
 * @n:		pieces
 *
 * Return: bytes written, or -errno
 */
long path_writev(struct worker *w, struct port *out, const struct iovec *iov, int n)
{
	ssize_t r = writev(out->fd[w->q], iov, n);

	return r < 0 ? -errno : (long)r;
}

/* Write a frame to @out and count it there.  0 or -errno. */
static int path_send(struct worker *w, struct port *out, const struct iovec *iov, int n)
{
	struct port_stats *st = &w->st[out->index];
	long r = w->s->xmit(w, out, iov, n);

	if (r >= (long)VNET_HDR) {
		st->tx_frames++;
		st->tx_bytes += (uint64_t)r - VNET_HDR;
		if (out->cap)
			capture_frame(out->cap, iov, n);
		return 0;
	}
	if (r == -EAGAIN) {
		st->tx_drops[TX_FULL]++;
		return (int)r;
	}
	st->tx_drops[TX_ERROR]++;
	if (r == -EBADFD || r == -EIO || r == -ENODEV)
		path_port_lost(w, out, (int)-r);
	return r < 0 ? (int)r : -EIO;
}

struct segment_ctx {
	struct worker *w;
	struct port *out;
};

static int path_emit(void *ctx, const struct iovec *iov, int n)
{
	struct segment_ctx *c = ctx;

	return path_send(c->w, c->out, iov, n);
}

/* Can @out take super-frames of this GSO type as they are? */
static bool port_takes(const struct port *out, unsigned int gso_type)
{
	unsigned int need;

	switch (gso_type & ~VIRTIO_NET_HDR_GSO_ECN) {
	case VIRTIO_NET_HDR_GSO_TCPV4:
		need = TUN_F_TSO4;
		break;
	case VIRTIO_NET_HDR_GSO_TCPV6:
		need = TUN_F_TSO6;
		break;
	default:
		need = TUN_F_USO4 | TUN_F_USO6;
		break;
	}
	if (gso_type & VIRTIO_NET_HDR_GSO_ECN)
		need |= TUN_F_TSO_ECN;
	return (out->offloads & need) == need;
}

/* The frame in w->buf (header @vh, Ethernet @elen bytes) to @out. */
static void path_to(struct worker *w, struct port *out, const struct virtio_net_hdr *vh,
		    size_t elen)
{
	struct port_stats *st = &w->st[out->index];
	uint8_t *eth = w->buf + VNET_HDR;
	struct iovec iov[2];
	uint16_t saved;

	if (__atomic_load_n(&out->gone, __ATOMIC_RELAXED))
		return;
	if (!filter_pass(&out->out, eth, elen)) {
		st->tx_drops[TX_FILTER]++;
		return;
	}
	if (vh->gso_type != VIRTIO_NET_HDR_GSO_NONE) {
		struct segment_ctx c = { w, out };
		int n;

		if (port_takes(out, vh->gso_type))
			goto as_is;
		n = frame_segment(vh, eth, elen, out->mtu, path_emit, &c);
		if (n == -EINVAL) {
			st->tx_drops[TX_GSO]++;
		} else if (n == -EMSGSIZE) {
			st->tx_drops[TX_OVERSIZED]++;
		} else if (n > 0) {
			st->segmented++;
			st->segments += (uint64_t)n;
		}
		return;
	}
	if (elen > FRAME_L2_MAX(out->mtu)) {
		st->tx_drops[TX_OVERSIZED]++;
		return;
	}
	if ((vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) && !(out->offloads & TUN_F_CSUM)) {
		struct virtio_net_hdr done = *vh;

		done.flags &= (uint8_t)~VIRTIO_NET_HDR_F_NEEDS_CSUM;
		frame_csum_complete(eth, elen, vh, &saved);
		iov[0] = (struct iovec){ &done, VNET_HDR };
		iov[1] = (struct iovec){ eth, elen };
		path_send(w, out, iov, 2);
		frame_csum_restore(eth, vh, saved);
		st->checksummed++;
		return;
	}
as_is:
	iov[0] = (struct iovec){ w->buf, VNET_HDR + elen };
	path_send(w, out, iov, 1);
}

/* The responder's part; true when the frame ends here. */
static bool path_answer(struct worker *w, struct port *in, const uint8_t *eth, size_t elen)
{
	struct frame_info fi;
	enum answer a;
	size_t rlen = 0;

	if (frame_parse(eth, elen, &fi))
		return false;
	a = responder_answer(&in->resp, eth, elen, &fi, w->reply, &rlen);
	if (a == ANSWER_NONE)
		return false;
	w->st[in->index].answers[a]++;
	if (a != ANSWER_DROP) {
		struct iovec iov = { w->reply, rlen };

		path_send(w, in, &iov, 1);
	}
	return true;
}

/**
 * path_frame() - carry the frame just read from @in
 * @w:		the worker; the frame is in w->buf
 * @in:		the port it was read from
 * @len:	bytes read: virtio-net header and Ethernet frame
 */
void path_frame(struct worker *w, struct port *in, size_t len)
{
	struct server *s = w->s;
	struct port_stats *st = &w->st[in->index];
	uint8_t *eth = w->buf + VNET_HDR;
	uint64_t now = clock_ns();
	struct virtio_net_hdr vh;
	size_t elen;
	int to;

	st->rx_frames++;
	if (len < VNET_HDR + ETH_HDR) {
		st->rx_drops[RX_MALFORMED]++;
		goto out;
	}
	elen = len - VNET_HDR;
	st->rx_bytes += elen;
	if (in->cap) {
		struct iovec iov = { w->buf, len };

		capture_frame(in->cap, &iov, 1);
	}
	memcpy(&vh, w->buf, VNET_HDR);
	if (frame_vnet_check(&vh, elen)) {
		st->rx_drops[RX_MALFORMED]++;
		goto out;
	}
	if (vh.gso_type == VIRTIO_NET_HDR_GSO_NONE && elen > FRAME_L2_MAX(in->mtu)) {
		st->rx_drops[RX_OVERSIZED]++;
		goto out;
	}
	if (!in->in_kernel && !filter_pass(&in->in, eth, elen)) {
		st->rx_drops[RX_FILTER]++;
		goto out;
	}
	if (in->respond && path_answer(w, in, eth, elen))
		goto out;
	if (!(eth[6] & 1))
		switch_learn(&s->macs, eth + 6, in->index, now);
	to = switch_lookup(&s->macs, eth, now);
	if (to == in->index) {
		st->rx_drops[RX_LOOP]++;
	} else if (to != SWITCH_FLOOD) {
		path_to(w, &s->port[to], &vh, elen);
	} else {
		for (int i = 0; i < s->nports; i++) {
			if (i != in->index)
				path_to(w, &s->port[i], &vh, elen);
		}
	}
out:
	hist_add(&w->frame_ns, clock_ns() - now);
}
