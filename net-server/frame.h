/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * frame.h - what hk-net-server reads in a frame: the virtio-net header,
 * Ethernet with VLAN tags, IPv4/IPv6, TCP/UDP; Internet checksums; and
 * the software segmentation of a super-frame for a port without offloads
 */
#ifndef HK_NET_FRAME_H
#define HK_NET_FRAME_H

#include <linux/virtio_net.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#define VNET_HDR	sizeof(struct virtio_net_hdr)
#define ETH_HDR		14
#define ETH_ALEN_	6
#define FRAME_ETH_MAX	65550			/* 64 KiB super-frame and L2 */
#define FRAME_MAX	(VNET_HDR + FRAME_ETH_MAX)
#define FRAME_HDR_MAX	256			/* L2..L4 headers we rebuild */
/* Largest frame that is not a super-frame: the MTU, Ethernet, two VLAN tags */
#define FRAME_L2_MAX(mtu)	((size_t)(mtu) + ETH_HDR + 8)

#ifndef VIRTIO_NET_HDR_GSO_UDP_L4
#define VIRTIO_NET_HDR_GSO_UDP_L4	5	/* Linux 5.18 */
#endif

/* Offsets into an Ethernet frame, from frame_parse(). */
struct frame_info {
	uint16_t ethertype;	/* after any VLAN tags */
	uint16_t l2;		/* end of the L2 header: the payload */
	uint8_t vlans;		/* 802.1Q/802.1ad tags passed over */
	uint8_t ipproto;	/* IPPROTO_TCP, _UDP, _ICMP, _ICMPV6, or 0 */
	uint16_t l3;		/* IP header, or 0 */
	uint16_t l4;		/* TCP/UDP/ICMP header, or 0 */
	uint16_t hlen;		/* end of the L4 header (TCP, UDP), or 0 */
	bool fragment;		/* IPv4 fragment: no L4 header to read */
};

/* Big-endian fields of a frame, at any alignment. */
static inline uint16_t frame_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void frame_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

int frame_parse(const uint8_t *eth, size_t len, struct frame_info *fi);
int frame_vnet_check(const struct virtio_net_hdr *vh, size_t len);

uint64_t csum_add(uint64_t sum, const void *p, size_t len);
uint16_t csum_fold(uint64_t sum);
uint64_t csum_pseudo(const uint8_t *eth, const struct frame_info *fi, size_t l4len);

int frame_csum_complete(uint8_t *eth, size_t len, const struct virtio_net_hdr *vh,
			uint16_t *saved);
void frame_csum_restore(uint8_t *eth, const struct virtio_net_hdr *vh, uint16_t saved);

/**
 * typedef frame_emit_fn - write one frame given as pieces
 * @ctx:	the caller's
 * @iov:	virtio-net header, then the frame
 * @n:		pieces
 *
 * Return: 0, or -errno (segmentation stops)
 */
typedef int frame_emit_fn(void *ctx, const struct iovec *iov, int n);

int frame_segment(const struct virtio_net_hdr *vh, const uint8_t *eth, size_t len,
		  unsigned int mtu, frame_emit_fn *emit, void *ctx);

#endif /* HK_NET_FRAME_H */
