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
 *
 * Worker threads share the table.  The address and its port are one
 * 64-bit word, so a lookup sees an entry whole or not at all, without a
 * lock; the time it was last seen is written at most once a millisecond,
 * so that a busy flow does not bounce the line between cores.  Adding an
 * address takes the lock, and looks again under it.
 */
#include <string.h>

#include "switch.h"

#define PROBES	16
#define REFRESH_NS	1000000

#define LOAD(x)		__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define STORE(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

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
	pthread_mutex_init(&t->lock, NULL);
}

static int fresh(const struct mac_table *t, struct mac_entry *e, uint64_t now)
{
	return LOAD(e->word) && now - LOAD(e->seen_ns) <= t->ageing_ns;
}

/* The entry of @key, or NULL. */
static struct mac_entry *find(struct mac_table *t, uint64_t key)
{
	unsigned int h = mac_hash(key);

	for (unsigned int i = 0; i < PROBES; i++) {
		struct mac_entry *e = &t->slot[(h + i) & (SWITCH_SLOTS - 1)];
		uint64_t w = LOAD(e->word);

		if (w >> 8 == key)
			return e;
		if (!w)
			return NULL;	/* nothing is ever freed: the chain ends */
	}
	return NULL;
}

static void refresh(struct mac_entry *e, uint64_t word, uint64_t now)
{
	if (LOAD(e->word) != word)
		STORE(e->word, word);
	if (now - LOAD(e->seen_ns) >= REFRESH_NS)
		STORE(e->seen_ns, now);
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
	uint64_t key = mac_key(mac), word = key << 8 | (uint64_t)port;
	unsigned int h = mac_hash(key);
	struct mac_entry *e, *free_slot = NULL, *stale = NULL, *oldest = NULL;

	if (!key)
		return;
	e = find(t, key);
	if (e) {
		refresh(e, word, now);
		return;
	}
	pthread_mutex_lock(&t->lock);
	for (unsigned int i = 0; i < PROBES; i++) {
		e = &t->slot[(h + i) & (SWITCH_SLOTS - 1)];
		if (LOAD(e->word) >> 8 == key) {
			refresh(e, word, now);
			goto out;
		}
		if (!LOAD(e->word)) {
			if (!free_slot)
				free_slot = e;
		} else if (!fresh(t, e, now)) {
			if (!stale)
				stale = e;
		} else if (!oldest || LOAD(e->seen_ns) < LOAD(oldest->seen_ns)) {
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
	STORE(oldest->seen_ns, now);
	STORE(oldest->word, word);
out:
	pthread_mutex_unlock(&t->lock);
}

/**
 * switch_lookup() - the port @mac was last seen on
 * @t:	the table
 * @mac:	a destination address
 * @now:	clock_ns()
 *
 * Return: the port, or SWITCH_FLOOD for a group, unknown or aged address
 */
int switch_lookup(struct mac_table *t, const uint8_t *mac, uint64_t now)
{
	struct mac_entry *e;

	if (mac[0] & 1)
		return SWITCH_FLOOD;
	e = find(t, mac_key(mac));
	if (!e || !fresh(t, e, now))
		return SWITCH_FLOOD;
	return (int)(LOAD(e->word) & 0xff);
}
