// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * frame.c - read the headers of a frame, checksum it, segment it
 *
 * Everything here works on one frame in memory and never trusts it: a
 * length or offset is checked against the bytes really read before it is
 * used, because frames come from whatever runs in the namespaces.
 *
 * Checksums are summed in 32-bit native words into 64 bits and folded at
 * the end (RFC 1071: the one's-complement sum does not depend on byte
 * order, so the folded value is stored with memcpy as it is).  A region
 * summed in pieces must have every piece but the last of even length.
 *
 * Segmentation is what the kernel's GSO would have done for a port that
 * cannot take a super-frame: one frame per gso_size bytes of payload, each
 * with its own copy of the headers (IPv4 length, id and checksum; IPv6
 * payload length; TCP sequence number, FIN/PSH on the last only, CWR on
 * the first only; UDP length) and a full L4 checksum.  The payload is not
 * copied: each segment goes out as two pieces, headers and a slice.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "frame.h"

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put32(uint8_t *p, uint32_t v)
{
	frame_put16(p, (uint16_t)(v >> 16));
	frame_put16(p + 2, (uint16_t)v);
}

/* TCP or UDP header at fi->l4; sets fi->hlen.  0 or -EINVAL. */
static int frame_parse_l4(const uint8_t *eth, size_t len, struct frame_info *fi)
{
	size_t l4 = fi->l4, h;

	switch (fi->ipproto) {
	case IPPROTO_TCP:
		if (l4 + 20 > len)
			return -EINVAL;
		h = (size_t)(eth[l4 + 12] >> 4) * 4;
		if (h < 20 || l4 + h > len)
			return -EINVAL;
		fi->hlen = (uint16_t)(l4 + h);
		return 0;
	case IPPROTO_UDP:
		if (l4 + 8 > len)
			return -EINVAL;
		fi->hlen = (uint16_t)(l4 + 8);
		return 0;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		return l4 + 4 > len ? -EINVAL : 0;
	default:
		return 0;
	}
}

/**
 * frame_parse() - find the L3 and L4 headers of an Ethernet frame
 * @eth:	the frame, from its destination address
 * @len:	its length
 * @fi:		filled in; zeroed first
 *
 * Up to two VLAN tags (802.1Q, 802.1ad) are passed over.  IPv6 extension
 * headers are not walked: fi->ipproto is the first next-header.  A frame
 * that is neither IPv4 nor IPv6 has fi->l3 == 0.
 *
 * Return: 0, or -EINVAL when a header is cut short or inconsistent
 */
int frame_parse(const uint8_t *eth, size_t len, struct frame_info *fi)
{
	size_t off = 12, l3;

	memset(fi, 0, sizeof(*fi));
	if (len < ETH_HDR)
		return -EINVAL;
	fi->ethertype = frame_get16(eth + off);
	while ((fi->ethertype == 0x8100 || fi->ethertype == 0x88a8) && fi->vlans < 2) {
		if (off + 6 > len)
			return -EINVAL;
		off += 4;
		fi->ethertype = frame_get16(eth + off);
		fi->vlans++;
	}
	l3 = off + 2;
	fi->l2 = (uint16_t)l3;
	if (fi->ethertype == 0x0800) {
		size_t ihl;

		if (l3 + 20 > len || eth[l3] >> 4 != 4)
			return -EINVAL;
		ihl = (size_t)(eth[l3] & 15) * 4;
		if (ihl < 20 || l3 + ihl > len)
			return -EINVAL;
		fi->l3 = (uint16_t)l3;
		fi->ipproto = eth[l3 + 9];
		fi->l4 = (uint16_t)(l3 + ihl);
		/* MF or an offset: only the first fragment has the L4 header,
		 * and even it does not have all of what the header covers */
		fi->fragment = (frame_get16(eth + l3 + 6) & 0x3fff) != 0;
		if (fi->fragment)
			return 0;
	} else if (fi->ethertype == 0x86dd) {
		if (l3 + 40 > len || eth[l3] >> 4 != 6)
			return -EINVAL;
		fi->l3 = (uint16_t)l3;
		fi->ipproto = eth[l3 + 6];
		fi->l4 = (uint16_t)(l3 + 40);
	} else {
		return 0;
	}
	return frame_parse_l4(eth, len, fi);
}

/**
 * frame_vnet_check() - is this virtio-net header one we can act on?
 * @vh:		the header read with the frame
 * @len:	the Ethernet frame's length
 *
 * Return: 0, or -EINVAL for unknown flags or GSO types, a checksum
 * position outside the frame, or a GSO frame without a segment size
 */
int frame_vnet_check(const struct virtio_net_hdr *vh, size_t len)
{
	unsigned int gso = vh->gso_type & ~VIRTIO_NET_HDR_GSO_ECN;

	if (vh->flags & ~(VIRTIO_NET_HDR_F_NEEDS_CSUM | VIRTIO_NET_HDR_F_DATA_VALID))
		return -EINVAL;
	if ((vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) &&
	    (size_t)vh->csum_start + vh->csum_offset + 2 > len)
		return -EINVAL;
	switch (gso) {
	case VIRTIO_NET_HDR_GSO_NONE:
		return 0;
	case VIRTIO_NET_HDR_GSO_TCPV4:
	case VIRTIO_NET_HDR_GSO_TCPV6:
	case VIRTIO_NET_HDR_GSO_UDP_L4:
		return vh->gso_size ? 0 : -EINVAL;
	default:
		return -EINVAL;
	}
}

/**
 * csum_add() - add @len bytes at @p to a checksum under way
 * @sum:	the sum so far (0 to start)
 * @p:		the bytes
 * @len:	how many; odd only for the last piece of a region
 *
 * Return: the new sum, to be folded by csum_fold()
 */
uint64_t csum_add(uint64_t sum, const void *p, size_t len)
{
	const uint8_t *b = p;

	for (; len >= 4; b += 4, len -= 4) {
		uint32_t v;

		memcpy(&v, b, 4);
		sum += v;
	}
	if (len >= 2) {
		uint16_t v;

		memcpy(&v, b, 2);
		sum += v;
		b += 2;
		len -= 2;
	}
	if (len) {
		uint8_t t[2] = { *b, 0 };
		uint16_t v;

		memcpy(&v, t, 2);
		sum += v;
	}
	return sum;
}

/**
 * csum_fold() - the Internet checksum of a sum
 * @sum:	from csum_add()
 *
 * Return: the complemented 16-bit checksum, to be stored with memcpy
 */
uint16_t csum_fold(uint64_t sum)
{
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/**
 * csum_pseudo() - the sum of the IPv4 or IPv6 pseudo-header
 * @eth:	the frame
 * @fi:		its headers (fi->l3 set)
 * @l4len:	length of the L4 header and payload
 *
 * Return: a sum for csum_add()
 */
uint64_t csum_pseudo(const uint8_t *eth, const struct frame_info *fi, size_t l4len)
{
	uint8_t ph[40] = { 0 };

	if (fi->ethertype == 0x0800) {
		memcpy(ph, eth + fi->l3 + 12, 8);
		ph[9] = fi->ipproto;
		frame_put16(ph + 10, (uint16_t)l4len);
		return csum_add(0, ph, 12);
	}
	memcpy(ph, eth + fi->l3 + 8, 32);
	put32(ph + 32, (uint32_t)l4len);
	ph[39] = fi->ipproto;
	return csum_add(0, ph, 40);
}

/**
 * frame_csum_complete() - fill in a checksum the sender left to offload
 * @eth:	the frame
 * @len:	its length
 * @vh:		its virtio-net header, already checked
 * @saved:	the field's old value, for frame_csum_restore()
 *
 * The field holds the pseudo-header's sum, as the kernel left it; summing
 * from csum_start to the end with it in place gives the checksum.
 *
 * Return: 1 if a checksum was written, 0 if none was pending
 */
int frame_csum_complete(uint8_t *eth, size_t len, const struct virtio_net_hdr *vh,
			uint16_t *saved)
{
	uint8_t *field = eth + vh->csum_start + vh->csum_offset;
	uint16_t c;

	if (!(vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM))
		return 0;
	memcpy(saved, field, 2);
	c = csum_fold(csum_add(0, eth + vh->csum_start, len - vh->csum_start));
	if (!c)
		c = 0xffff;	/* 0 means "no checksum" to UDP */
	memcpy(field, &c, 2);
	return 1;
}

/**
 * frame_csum_restore() - undo frame_csum_complete()
 * @eth:	the frame
 * @vh:		its virtio-net header
 * @saved:	what frame_csum_complete() saved
 *
 * A port with offloads must get the partial sum back, not the result.
 */
void frame_csum_restore(uint8_t *eth, const struct virtio_net_hdr *vh, uint16_t saved)
{
	memcpy(eth + vh->csum_start + vh->csum_offset, &saved, 2);
}

/* The headers of segment @i (payload @plen at @off) in @h, checksummed. */
static void segment_headers(uint8_t *h, const struct frame_info *fi, const uint8_t *payload,
			    size_t plen, size_t off, unsigned int i, bool last)
{
	size_t l4len = fi->hlen - fi->l4 + plen;
	uint64_t sum;
	uint16_t c;

	if (fi->ethertype == 0x0800) {
		frame_put16(h + fi->l3 + 2, (uint16_t)(fi->hlen - fi->l3 + plen));
		frame_put16(h + fi->l3 + 4, (uint16_t)(frame_get16(h + fi->l3 + 4) + i));
		frame_put16(h + fi->l3 + 10, 0);
		c = csum_fold(csum_add(0, h + fi->l3, fi->l4 - fi->l3));
		memcpy(h + fi->l3 + 10, &c, 2);
	} else {
		frame_put16(h + fi->l3 + 4, (uint16_t)(fi->hlen - fi->l3 - 40 + plen));
	}
	if (fi->ipproto == IPPROTO_TCP) {
		uint8_t *tcp = h + fi->l4;

		put32(tcp + 4, get32(tcp + 4) + (uint32_t)off);
		if (!last)
			tcp[13] &= (uint8_t)~0x09;	/* FIN, PSH */
		if (i)
			tcp[13] &= (uint8_t)~0x80;	/* CWR */
		frame_put16(tcp + 16, 0);
	} else {
		frame_put16(h + fi->l4 + 4, (uint16_t)l4len);
		frame_put16(h + fi->l4 + 6, 0);
	}
	sum = csum_pseudo(h, fi, l4len);
	sum = csum_add(sum, h + fi->l4, fi->hlen - fi->l4);
	c = csum_fold(csum_add(sum, payload, plen));
	if (!c && fi->ipproto == IPPROTO_UDP)
		c = 0xffff;
	memcpy(h + fi->l4 + (fi->ipproto == IPPROTO_TCP ? 16 : 6), &c, 2);
}

/**
 * frame_segment() - cut a GSO super-frame into frames of the MTU
 * @vh:		its virtio-net header, already checked (GSO type set)
 * @eth:	the super-frame, left unchanged
 * @len:	its length
 * @mtu:	the output port's MTU: a TCP segment is cut smaller than
 *		gso_size to fit it; UDP datagrams keep their size, or fail
 * @emit:	called once per segment with the virtio-net header (no
 *		offload, no GSO) and the frame in two pieces
 * @ctx:	for @emit
 *
 * Return: the number of segments, -EINVAL when the headers do not match
 * the GSO type, -EMSGSIZE when a datagram is larger than @mtu, or the
 * first error of @emit
 */
int frame_segment(const struct virtio_net_hdr *vh, const uint8_t *eth, size_t len,
		  unsigned int mtu, frame_emit_fn *emit, void *ctx)
{
	unsigned int gso = vh->gso_type & ~VIRTIO_NET_HDR_GSO_ECN;
	uint8_t hdr[VNET_HDR + FRAME_HDR_MAX];
	struct frame_info fi;
	size_t mss = vh->gso_size, payload, off;
	unsigned int i = 0;

	if (frame_parse(eth, len, &fi) || !fi.l3 || fi.fragment || !fi.hlen || !mss)
		return -EINVAL;
	if ((gso == VIRTIO_NET_HDR_GSO_TCPV4 && (fi.ethertype != 0x0800 || fi.ipproto != IPPROTO_TCP)) ||
	    (gso == VIRTIO_NET_HDR_GSO_TCPV6 && (fi.ethertype != 0x86dd || fi.ipproto != IPPROTO_TCP)) ||
	    (gso == VIRTIO_NET_HDR_GSO_UDP_L4 && fi.ipproto != IPPROTO_UDP) ||
	    fi.hlen > FRAME_HDR_MAX)
		return -EINVAL;
	payload = len - fi.hlen;
	if (fi.hlen - fi.l3 + mss > mtu) {
		if (fi.ipproto == IPPROTO_UDP || mtu <= (size_t)(fi.hlen - fi.l3))
			return -EMSGSIZE;
		mss = mtu - (fi.hlen - fi.l3);
	}
	memset(hdr, 0, VNET_HDR);
	off = 0;
	do {
		size_t plen = payload - off < mss ? payload - off : mss;
		struct iovec iov[2] = {
			{ hdr, VNET_HDR + fi.hlen },
			{ (void *)(eth + fi.hlen + off), plen },
		};
		int ret;

		memcpy(hdr + VNET_HDR, eth, fi.hlen);
		segment_headers(hdr + VNET_HDR, &fi, eth + fi.hlen + off, plen, off, i,
				off + plen == payload);
		ret = emit(ctx, iov, plen ? 2 : 1);
		if (ret)
			return ret;
		off += plen;
		i++;
	} while (off < payload);
	return (int)i;
}
