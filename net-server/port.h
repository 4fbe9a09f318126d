/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * port.h - TAP ports of hk-net-server
 */
#ifndef HK_NET_PORT_H
#define HK_NET_PORT_H

#include <linux/if.h>
#include <linux/if_tun.h>
#include <stdbool.h>
#include <stdint.h>

#include "filter.h"
#include "responder.h"

#define MAX_QUEUES	16

#ifndef TUN_F_USO4
#define TUN_F_USO4	0x20	/* Linux 6.2; Debian 12's headers predate it */
#define TUN_F_USO6	0x40
#endif

/* Why a frame read from a port was dropped; counted on that port. */
enum rx_drop {
	RX_MALFORMED,		/* too short, or a virtio-net header we cannot act on */
	RX_OVERSIZED,		/* above the port's MTU, and not a GSO super-frame */
	RX_LOOP,		/* its destination was learnt on the port it came in on */
	RX_FILTER,		/* the port's input filter, run in the server */
	RX_NREASONS,
};

/* Why a frame was not written to a port; counted on that port. */
enum tx_drop {
	TX_FILTER,		/* the port's output filter */
	TX_FULL,		/* the TAP's queue was full */
	TX_ERROR,		/* the TAP refused it */
	TX_OVERSIZED,		/* above this port's MTU */
	TX_GSO,			/* a super-frame that could not be segmented */
	TX_NREASONS,
};

/* Counters of one port, kept per worker thread and summed for reports. */
struct port_stats {
	uint64_t rx_frames, rx_bytes, tx_frames, tx_bytes;
	uint64_t rx_drops[RX_NREASONS];
	uint64_t tx_drops[TX_NREASONS];
	uint64_t answers[ANSWER_NKINDS];
	uint64_t segmented, segments, checksummed;
};

struct capture;
struct nl_sock;

struct port {
	char spec[IFNAMSIZ + 256];	/* as given: [NS/]IFNAME */
	char ns[256];			/* network namespace, or "" */
	char ifname[IFNAMSIZ];
	int fd[MAX_QUEUES];		/* the TAP's queues, non-blocking */
	unsigned int queues;
	int index;			/* in the server's port array */
	int ifindex;
	bool created;			/* made here: it goes when we close it */
	bool no_offload;		/* asked for: --no-offload[=PORT] */
	unsigned int offloads;		/* TUN_F_* the TAP accepted */
	bool gone;			/* the device disappeared */
	unsigned int mtu;
	struct filter in, out;		/* --filter-in, --filter-out */
	bool in_kernel;			/* the input filter runs in the kernel */
	bool respond;			/* --address given */
	struct responder resp;
	struct capture *cap;		/* --capture, or NULL */
	struct nl_sock *nl;		/* rtnetlink in the port's namespace */
	uint64_t kernel_dropped0;	/* tx_dropped when opened */
};

int port_parse(struct port *p, const char *spec);
int port_open(struct port *p, unsigned int mtu, unsigned int queues);
int port_kernel_dropped(struct port *p, uint64_t *dropped);
void port_close(struct port *p);
extern const char *const rx_drop_names[RX_NREASONS];
extern const char *const tx_drop_names[TX_NREASONS];

#endif /* HK_NET_PORT_H */
