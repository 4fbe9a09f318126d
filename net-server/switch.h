/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * switch.h - the MAC learning table of hk-net-server
 */
#ifndef HK_NET_SWITCH_H
#define HK_NET_SWITCH_H

#include <stdint.h>

#define SWITCH_SLOTS	4096	/* a power of two */
#define SWITCH_FLOOD	(-1)

struct mac_entry {
	uint64_t mac;		/* 48 bits; 0 = free */
	uint64_t seen_ns;	/* last frame from it */
	int port;
};

struct mac_table {
	struct mac_entry slot[SWITCH_SLOTS];
	uint64_t ageing_ns;
	unsigned int used;
};

void switch_init(struct mac_table *t, uint64_t ageing_ns);
void switch_learn(struct mac_table *t, const uint8_t *mac, int port, uint64_t now);
int switch_lookup(const struct mac_table *t, const uint8_t *mac, uint64_t now);

#endif /* HK_NET_SWITCH_H */
