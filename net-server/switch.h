/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * switch.h - the MAC learning table of hk-net-server
 */
#ifndef HK_NET_SWITCH_H
#define HK_NET_SWITCH_H

#include <pthread.h>
#include <stdint.h>

#define SWITCH_SLOTS	4096	/* a power of two */
#define SWITCH_FLOOD	(-1)

/* Read and written with relaxed atomics: worker threads share the table. */
struct mac_entry {
	uint64_t word;		/* MAC (48 bits) << 8 | port; 0 = free */
	uint64_t seen_ns;	/* last frame from it */
};

struct mac_table {
	struct mac_entry slot[SWITCH_SLOTS];
	uint64_t ageing_ns;
	unsigned int used;
	pthread_mutex_t lock;	/* taken to add an address, not to look up */
};

void switch_init(struct mac_table *t, uint64_t ageing_ns);
void switch_learn(struct mac_table *t, const uint8_t *mac, int port, uint64_t now);
int switch_lookup(struct mac_table *t, const uint8_t *mac, uint64_t now);

#endif /* HK_NET_SWITCH_H */
