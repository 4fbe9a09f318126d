/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * clock.h - monotonic time in nanoseconds, for measurements and timeouts
 */
#ifndef HK_CLOCK_H
#define HK_CLOCK_H

#include <stdint.h>
#include <time.h>

#define NS_PER_SEC	1000000000ULL

static inline uint64_t clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

static inline uint64_t clock_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

/* the monotonic clock in seconds, for figures reported in seconds */
static inline double clock_s(void)
{
	return (double)clock_ns() / (double)NS_PER_SEC;
}

#endif /* HK_CLOCK_H */
