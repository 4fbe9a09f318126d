/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * port.h - TAP ports of hk-net-server
 */
#ifndef HK_NET_PORT_H
#define HK_NET_PORT_H

#include <linux/if.h>
#include <stdbool.h>
#include <stdint.h>

#include "hist.h"

/* Why a frame was dropped; counted per port (see main.c). */
enum drop {
	DROP_MALFORMED,		/* shorter than an Ethernet header */
	DROP_OVERSIZED,		/* larger than the port's MTU allows, no GSO */
	DROP_LOOP,		/* learnt on the port it came in on */
	DROP_TX_FULL,		/* the output TAP's queue was full */
	DROP_TX_ERROR,		/* the output TAP refused it */
	DROP_NREASONS,
};

struct port_stats {
	uint64_t rx_frames, rx_bytes, tx_frames, tx_bytes;
	uint64_t drops[DROP_NREASONS];	/* counted on the input port */
};

struct port {
	char spec[IFNAMSIZ + 256];	/* as given: [NS/]IFNAME */
	char ns[256];			/* network namespace, or "" */
	char ifname[IFNAMSIZ];
	int fd;				/* the TAP, non-blocking */
	int index;			/* in the server's port array */
	bool created;			/* made here: it goes when we close it */
	bool offload;			/* TUNSETOFFLOAD with checksum and TSO */
	bool gone;			/* the device disappeared */
	unsigned int mtu;
	struct port_stats st;
};

int port_parse(struct port *p, const char *spec);
int port_open(struct port *p, unsigned int mtu, bool offload);
void port_close(struct port *p);
extern const char *const drop_names[DROP_NREASONS];

#endif /* HK_NET_PORT_H */
