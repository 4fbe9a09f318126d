/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * stat_internal.h - statistics helpers shared inside libhkscores and with
 * its unit tests; not part of the installed API
 */
#ifndef HKS_STAT_INTERNAL_H
#define HKS_STAT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* xoshiro256**: small, fast, and the same stream on every machine. */
struct stat_rng {
	uint64_t s[4];
};

void stat_rng_seed(struct stat_rng *rng, uint64_t seed);
uint64_t stat_rng_next(struct stat_rng *rng);
size_t stat_rng_below(struct stat_rng *rng, size_t n);
double stat_rng_uniform(struct stat_rng *rng);
double stat_rng_normal(struct stat_rng *rng);

void stat_sort(double *v, size_t n);
double stat_median_sorted(const double *v, size_t n);
double stat_quantile_sorted(const double *v, size_t n, double q);
bool stat_all_finite(const double *v, size_t n);

int stat_wilcoxon(const double *d, size_t n, double *p, bool *exact);

#endif /* HKS_STAT_INTERNAL_H */
