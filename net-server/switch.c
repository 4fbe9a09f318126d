// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * switch.c - which port a MAC address was last seen on
 *
 * Open addressing with linear probing in a fixed table: no allocation
 * after start, a lookup touches one or two cache lines.  An entry not
 * refreshed within the ageing time counts as absent (the frame is
 * flooded) and its slot is taken again by the next address that needs
 * one.  Probes stop after 16 slots: when all 16 hold live addresses, the
 * stalest of them goes.
 */
#include <string.h>

#include "switch.h"

#define PROBES	16

static uint64_t mac_key(const uint8_t *m)
{
	return (uint64_t)m[0] << 40 | (uint64_t)m[1] << 32 | (uint64_t)m[2] << 24 |
	       (uint64_t)m[3] << 16 | (uint64_t)m[4] << 8 | m[5];
}

static unsigned int mac_hash(uint64_t key)
{
	return (unsigned int)((key * 0x9E3779B97F4A7C15ULL) >> 52) & (SWITCH_SLOTS - 1);
}

void switch_init(struct mac_table *t, uint64_t ageing_ns)
{
	memset(t, 0, sizeof(*t));
	t->ageing_ns = ageing_ns;
}

static int fresh(const struct mac_table *t, const struct mac_entry *e, uint64_t now)
{
	return e->mac && now - e->seen_ns <= t->ageing_ns;
}

/**
 * switch_learn() - @mac was the source of a frame on @port at @now
 * @t:	the table
 * @mac:	a unicast source address (the caller skips group addresses)
 * @port:	the input port
 * @now:	clock_ns()
 */
void switch_learn(struct mac_table *t, const uint8_t *mac, int port, uint64_t now)
{
	uint64_t key = mac_key(mac);
	unsigned int h = mac_hash(key);
	struct mac_entry *free_slot = NULL, *stale = NULL, *oldest = NULL;

	if (!key)
		return;
	for (unsigned int i = 0; i < PROBES; i++) {
		struct mac_entry *e = &t->slot[(h + i) & (SWITCH_SLOTS - 1)];

		if (e->mac == key) {
			e->port = port;
			e->seen_ns = now;
			return;
		}
		if (!e->mac) {
			if (!free_slot)
				free_slot = e;
		} else if (!fresh(t, e, now)) {
			if (!stale)
				stale = e;
		} else if (!oldest || e->seen_ns < oldest->seen_ns) {
			oldest = e;
		}
	}
	/* a free slot, else an aged entry, else the stalest live one */
	if (free_slot) {
		t->used++;
		oldest = free_slot;
	} else if (stale) {
		oldest = stale;
	}
	oldest->mac = key;
	oldest->port = port;
	oldest->seen_ns = now;
}

/**
 * switch_lookup() - the port @mac was last seen on
 * @t:	the table
 * @mac:	a destination address
 * @now:	clock_ns()
 *
 * Return: the port, or SWITCH_FLOOD for a group, unknown or aged address
 */
int switch_lookup(const struct mac_table *t, const uint8_t *mac, uint64_t now)
{
	uint64_t key = mac_key(mac);
	unsigned int h = mac_hash(key);

	if (mac[0] & 1)
		return SWITCH_FLOOD;
	for (unsigned int i = 0; i < PROBES; i++) {
		const struct mac_entry *e = &t->slot[(h + i) & (SWITCH_SLOTS - 1)];

		if (e->mac == key)
			return fresh(t, e, now) ? e->port : SWITCH_FLOOD;
	}
	return SWITCH_FLOOD;
}
