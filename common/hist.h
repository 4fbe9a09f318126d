/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hist.h - a count, a total and a log2 histogram of durations, updated
 * with relaxed atomics from any thread, and the servers' counters written
 * out as JSON
 */
#ifndef HK_HIST_H
#define HK_HIST_H

#include <stdbool.h>
#include <stdint.h>

struct json_object;

#define HIST_BUCKETS	40	/* bucket i: [2^i, 2^(i+1)) ns */
#define HIST_NOTE	"bucket i counts durations in [2^i, 2^(i+1)) ns"

struct hist {
	uint64_t count;
	uint64_t total_ns;
	uint64_t bucket[HIST_BUCKETS];
};

static inline void hist_add(struct hist *h, uint64_t ns)
{
	int b = ns ? 63 - __builtin_clzll(ns) : 0;

	if (b >= HIST_BUCKETS)
		b = HIST_BUCKETS - 1;
	__atomic_fetch_add(&h->count, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&h->total_ns, ns, __ATOMIC_RELAXED);
	__atomic_fetch_add(&h->bucket[b], 1, __ATOMIC_RELAXED);
}

struct json_object *hist_json(struct hist *h);
void stats_publish(struct json_object *root, const char *path, bool to_log);

#endif /* HK_HIST_H */
