// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * responder.c - answer for the server's own address on a port
 *
 * With --address PORT:IP/LEN the server is a host on that port's segment,
 * with a MAC address of its own: it answers ARP requests and ICMP echo
 * for its IPv4 address, neighbour solicitations and ICMPv6 echo for its
 * IPv6 address, and swallows anything else sent to it.  A reply keeps the
 * request's VLAN tags and goes back out of the port the request came in
 * on.  IPv4 fragments are not reassembled, so a ping larger than the MTU
 * gets no answer.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "responder.h"

const char *const answer_names[ANSWER_NKINDS] = {
	"none", "arp", "echo", "ndp", "echo6", "to_server",
};

/**
 * responder_add() - give the responder an address
 * @r:		the port's responder
 * @addr:	"IPv4/LEN" or "IPv6/LEN"; one of each family per port
 *
 * Return: 0, -EINVAL for a bad address, -EEXIST for a second one of a family
 */
int responder_add(struct responder *r, const char *addr)
{
	char ip[INET6_ADDRSTRLEN];
	uint8_t a4[4], a6[16];
	const char *slash = strchr(addr, '/');
	size_t n = slash ? (size_t)(slash - addr) : strlen(addr);
	unsigned long plen;
	char *end;
	bool v6;

	if (n == 0 || n >= sizeof(ip))
		return -EINVAL;
	memcpy(ip, addr, n);
	ip[n] = '\0';
	v6 = strchr(ip, ':') != NULL;
	plen = v6 ? 128 : 32;
	if (slash) {
		errno = 0;
		plen = strtoul(slash + 1, &end, 10);
		if (errno || end == slash + 1 || *end || plen > (v6 ? 128u : 32u))
			return -EINVAL;
	}
	if (inet_pton(v6 ? AF_INET6 : AF_INET, ip, v6 ? (void *)a6 : (void *)a4) != 1)
		return -EINVAL;
	if (v6 ? r->has6 : r->has4)
		return -EEXIST;
	if (v6) {
		memcpy(r->ip6, a6, 16);
		r->has6 = true;
		r->plen6 = (unsigned int)plen;
	} else {
		memcpy(r->ip4, a4, 4);
		r->has4 = true;
		r->plen4 = (unsigned int)plen;
	}
	return 0;
}

/* The reply's L2 header: the request's, addressed back; its length. */
static size_t reply_l2(const struct responder *r, const uint8_t *eth,
		       const struct frame_info *fi, const uint8_t *dst, uint8_t *out)
{
	memset(out, 0, VNET_HDR);
	out += VNET_HDR;
	memcpy(out, eth, fi->l2);
	memcpy(out, dst, 6);
	memcpy(out + 6, r->mac, 6);
	return fi->l2;
}

static enum answer answer_arp(const struct responder *r, const uint8_t *eth, size_t len,
			      const struct frame_info *fi, uint8_t *reply, size_t *rlen)
{
	const uint8_t *a = eth + fi->l2;
	uint8_t *o;
	size_t l2;

	if (!r->has4 || (size_t)fi->l2 + 28 > len || frame_get16(a) != 1 || frame_get16(a + 2) != 0x0800 ||
	    a[4] != 6 || a[5] != 4 || memcmp(a + 24, r->ip4, 4))
		return ANSWER_NONE;
	if (frame_get16(a + 6) != 1)		/* a reply or other for us */
		return ANSWER_DROP;
	l2 = reply_l2(r, eth, fi, a + 8, reply);
	o = reply + VNET_HDR + l2;
	memcpy(o, a, 6);		/* htype, ptype, hlen, plen */
	frame_put16(o + 6, 2);
	memcpy(o + 8, r->mac, 6);
	memcpy(o + 14, r->ip4, 4);
	memcpy(o + 18, a + 8, 10);	/* the asker's hardware and IP */
	*rlen = VNET_HDR + l2 + 28;
	return ANSWER_ARP;
}

static enum answer answer_ipv4(const struct responder *r, const uint8_t *eth, size_t len,
			       const struct frame_info *fi, uint8_t *reply, size_t *rlen)
{
	const uint8_t *ip = eth + fi->l3;
	size_t ihl = fi->l4 - fi->l3, tot = frame_get16(ip + 2);
	uint8_t *o, *icmp;
	uint16_t c;

	if (!r->has4 || memcmp(ip + 16, r->ip4, 4))
		return ANSWER_NONE;
	if (fi->fragment || fi->ipproto != IPPROTO_ICMP || tot < ihl + 8 ||
	    fi->l3 + tot > len || ip[fi->l4 - fi->l3] != 8 || ip[fi->l4 - fi->l3 + 1] != 0)
		return ANSWER_DROP;
	reply_l2(r, eth, fi, eth + 6, reply);
	o = reply + VNET_HDR + fi->l3;
	memcpy(o, ip, tot);
	memcpy(o + 12, r->ip4, 4);
	memcpy(o + 16, ip + 12, 4);
	o[8] = 64;
	frame_put16(o + 10, 0);
	c = csum_fold(csum_add(0, o, ihl));
	memcpy(o + 10, &c, 2);
	icmp = o + ihl;
	icmp[0] = 0;
	frame_put16(icmp + 2, 0);
	c = csum_fold(csum_add(0, icmp, tot - ihl));
	memcpy(icmp + 2, &c, 2);
	*rlen = VNET_HDR + fi->l3 + tot;
	return ANSWER_ECHO;
}

/* The ICMPv6 checksum of the message at @l4 in @frame. */
static void icmp6_csum(uint8_t *frame, const struct frame_info *fi, size_t n)
{
	uint16_t c;

	frame_put16(frame + fi->l4 + 2, 0);
	c = csum_fold(csum_add(csum_pseudo(frame, fi, n), frame + fi->l4, n));
	memcpy(frame + fi->l4 + 2, &c, 2);
}

static enum answer answer_ipv6(const struct responder *r, const uint8_t *eth, size_t len,
			       const struct frame_info *fi, uint8_t *reply, size_t *rlen)
{
	static const uint8_t all_nodes[16] = { 0xff, 2, [15] = 1 };
	static const uint8_t all_nodes_mac[6] = { 0x33, 0x33, 0, 0, 0, 1 };
	static const uint8_t unspecified[16];
	const uint8_t *ip = eth + fi->l3, *icmp = eth + fi->l4;
	size_t plen = frame_get16(ip + 4);
	uint8_t *o;

	if (!r->has6 || fi->ipproto != IPPROTO_ICMPV6 || fi->l3 + 40 + plen > len || plen < 8) {
		if (r->has6 && !memcmp(ip + 24, r->ip6, 16))
			return ANSWER_DROP;
		return ANSWER_NONE;
	}
	if (icmp[0] == 135) {		/* neighbour solicitation */
		bool dad;

		if (plen < 24 || ip[7] != 255 || memcmp(icmp + 8, r->ip6, 16))
			return ANSWER_NONE;
		dad = !memcmp(ip + 8, unspecified, 16);
		reply_l2(r, eth, fi, dad ? all_nodes_mac : eth + 6, reply);
		o = reply + VNET_HDR;
		memcpy(o + fi->l3, ip, 4);	/* version, class, flow */
		frame_put16(o + fi->l3 + 4, 32);
		o[fi->l3 + 6] = IPPROTO_ICMPV6;
		o[fi->l3 + 7] = 255;
		memcpy(o + fi->l3 + 8, r->ip6, 16);
		memcpy(o + fi->l3 + 24, dad ? all_nodes : ip + 8, 16);
		memset(o + fi->l4, 0, 32);
		o[fi->l4] = 136;
		o[fi->l4 + 4] = dad ? 0x20 : 0x60;	/* (solicited,) override */
		memcpy(o + fi->l4 + 8, r->ip6, 16);
		o[fi->l4 + 24] = 2;			/* target link-layer address */
		o[fi->l4 + 25] = 1;
		memcpy(o + fi->l4 + 26, r->mac, 6);
		icmp6_csum(o, fi, 32);
		*rlen = VNET_HDR + fi->l4 + 32;
		return ANSWER_NDP;
	}
	if (memcmp(ip + 24, r->ip6, 16))
		return ANSWER_NONE;
	if (icmp[0] != 128 || icmp[1] != 0)
		return ANSWER_DROP;
	reply_l2(r, eth, fi, eth + 6, reply);
	o = reply + VNET_HDR;
	memcpy(o + fi->l3, ip, 40 + plen);
	memcpy(o + fi->l3 + 8, r->ip6, 16);
	memcpy(o + fi->l3 + 24, ip + 8, 16);
	o[fi->l3 + 7] = 64;
	o[fi->l4] = 129;
	icmp6_csum(o, fi, plen);
	*rlen = VNET_HDR + fi->l3 + 40 + plen;
	return ANSWER_ECHO6;
}

/**
 * responder_answer() - answer a frame meant for the server
 * @r:		the input port's responder
 * @eth:	the frame
 * @len:	its length
 * @fi:		its headers, from frame_parse()
 * @reply:	room for FRAME_MAX bytes: virtio-net header and frame
 * @rlen:	the reply's length, when there is one
 *
 * Return: ANSWER_NONE for a frame to switch as usual; ANSWER_DROP for
 * one that was for the server and needs no answer; otherwise the kind of
 * the reply now in @reply
 */
enum answer responder_answer(const struct responder *r, const uint8_t *eth, size_t len,
			     const struct frame_info *fi, uint8_t *reply, size_t *rlen)
{
	enum answer a = ANSWER_NONE;

	if (fi->ethertype == 0x0806)
		a = answer_arp(r, eth, len, fi, reply, rlen);
	else if (fi->ethertype == 0x0800 && fi->l3)
		a = answer_ipv4(r, eth, len, fi, reply, rlen);
	else if (fi->ethertype == 0x86dd && fi->l3)
		a = answer_ipv6(r, eth, len, fi, reply, rlen);
	if (a == ANSWER_NONE && !memcmp(eth, r->mac, 6))
		a = ANSWER_DROP;
	return a;
}
