/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * responder.h - the server's own address on a port: ARP, ICMP echo,
 * IPv6 neighbour discovery and ICMPv6 echo
 */
#ifndef HK_NET_RESPONDER_H
#define HK_NET_RESPONDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "frame.h"

struct responder {
	uint8_t mac[6];
	bool has4, has6;
	uint8_t ip4[4], ip6[16];
	unsigned int plen4, plen6;
};

/* What the responder made of a frame. */
enum answer {
	ANSWER_NONE,		/* not for the server: switch it */
	ANSWER_ARP,		/* an ARP request for our IPv4 address */
	ANSWER_ECHO,		/* an ICMP echo request to it */
	ANSWER_NDP,		/* an IPv6 neighbour solicitation for ours */
	ANSWER_ECHO6,		/* an ICMPv6 echo request to it */
	ANSWER_DROP,		/* for the server, nothing to answer */
	ANSWER_NKINDS,
};

extern const char *const answer_names[ANSWER_NKINDS];

int responder_add(struct responder *r, const char *addr);
enum answer responder_answer(const struct responder *r, const uint8_t *eth, size_t len,
			     const struct frame_info *fi, uint8_t *reply, size_t *rlen);

#endif /* HK_NET_RESPONDER_H */
