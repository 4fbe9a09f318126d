// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * stat.c - descriptive statistics, a seeded random stream, and the
 * Wilcoxon signed-rank test, for the A/B method and for calibration
 *
 * Everything is deterministic: the same input and seed give the same bits
 * on every run, which is what makes A/B reports reproducible.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hkscores.h"
#include "stat_internal.h"

/* ------------------------------------------------------------ the stream */

static uint64_t stat_splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/**
 * stat_rng_seed() - start a stream; every seed, 0 included, is valid
 * @rng:	stream state
 * @seed:	seed
 */
void stat_rng_seed(struct stat_rng *rng, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		rng->s[i] = stat_splitmix(&seed);
}

static inline uint64_t stat_rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

/**
 * stat_rng_next() - next 64 random bits (xoshiro256**)
 * @rng:	stream state
 *
 * Return: 64 uniformly distributed bits
 */
uint64_t stat_rng_next(struct stat_rng *rng)
{
	uint64_t *s = rng->s;
	uint64_t result = stat_rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = stat_rotl(s[3], 45);
	return result;
}

/**
 * stat_rng_below() - uniform integer in [0, n)
 * @rng:	stream state
 * @n:	bound, > 0
 *
 * Return: the integer (multiply-shift; the bias is below 2^-32 for any
 * n a caller of ours uses)
 */
size_t stat_rng_below(struct stat_rng *rng, size_t n)
{
	return (size_t)(((unsigned __int128)stat_rng_next(rng) * n) >> 64);
}

/**
 * stat_rng_uniform() - uniform double in [0, 1)
 * @rng:	stream state
 *
 * Return: the double, with 53 random bits
 */
double stat_rng_uniform(struct stat_rng *rng)
{
	return (double)(stat_rng_next(rng) >> 11) * 0x1.0p-53;
}

/**
 * stat_rng_normal() - standard normal deviate (Box-Muller, one of the pair)
 * @rng:	stream state
 *
 * Return: the deviate
 */
double stat_rng_normal(struct stat_rng *rng)
{
	double u = 1.0 - stat_rng_uniform(rng);	/* (0, 1]: log() is finite */
	double v = stat_rng_uniform(rng);

	return sqrt(-2.0 * log(u)) * cos(2.0 * M_PI * v);
}

/* ----------------------------------------------------------- order stats */

static int stat_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/**
 * stat_sort() - sort ascending in place
 * @v:	values, all finite
 * @n:	how many
 */
void stat_sort(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), stat_cmp);
}

/**
 * stat_quantile_sorted() - quantile by linear interpolation (Hyndman-Fan 7)
 * @v:	sorted values
 * @n:	how many, > 0
 * @q:	quantile in [0, 1]
 *
 * Return: the quantile
 */
double stat_quantile_sorted(const double *v, size_t n, double q)
{
	double h = (double)(n - 1) * q;
	size_t lo = (size_t)floor(h);
	double frac = h - (double)lo;

	if (lo + 1 >= n)
		return v[n - 1];
	return v[lo] + frac * (v[lo + 1] - v[lo]);
}

/**
 * stat_median_sorted() - median of sorted values
 * @v:	sorted values
 * @n:	how many, > 0
 *
 * Return: the middle value, or the mean of the two middle ones; computed
 * so that negating every value negates the median exactly
 */
double stat_median_sorted(const double *v, size_t n)
{
	if (n % 2)
		return v[n / 2];
	return (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

/**
 * stat_all_finite() - whether no value is NaN or infinite
 * @v:	values
 * @n:	how many
 *
 * Return: true when all are finite
 */
bool stat_all_finite(const double *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!isfinite(v[i]))
			return false;
	}
	return true;
}

static int stat_sorted_copy(const double *v, size_t n, double **out)
{
	double *c;

	if (!v || !n || !stat_all_finite(v, n))
		return -EINVAL;
	c = malloc(n * sizeof(*c));
	if (!c)
		return -ENOMEM;
	memcpy(c, v, n * sizeof(*c));
	stat_sort(c, n);
	*out = c;
	return 0;
}

/**
 * hks_stat_median() - median of @n values
 * @v:	values, finite
 * @n:	how many, > 0
 * @median:	result
 *
 * Return: 0, -EINVAL on empty or non-finite input, -ENOMEM
 */
int hks_stat_median(const double *v, size_t n, double *median)
{
	double *c;
	int ret = stat_sorted_copy(v, n, &c);

	if (ret)
		return ret;
	*median = stat_median_sorted(c, n);
	free(c);
	return 0;
}

/**
 * hks_stat_quantile() - quantile @q of @n values (linear interpolation)
 * @v:	values, finite
 * @n:	how many, > 0
 * @q:	quantile in [0, 1]
 * @out:	result
 *
 * Return: 0, -EINVAL, -ENOMEM
 */
int hks_stat_quantile(const double *v, size_t n, double q, double *out)
{
	double *c;
	int ret;

	if (!(q >= 0.0 && q <= 1.0))
		return -EINVAL;
	ret = stat_sorted_copy(v, n, &c);
	if (ret)
		return ret;
	*out = stat_quantile_sorted(c, n, q);
	free(c);
	return 0;
}

/**
 * hks_stat_mad() - median absolute deviation from the median (unscaled)
 * @v:	values, finite
 * @n:	how many, > 0
 * @mad:	result
 *
 * Return: 0, -EINVAL, -ENOMEM
 */
int hks_stat_mad(const double *v, size_t n, double *mad)
{
	double *c, med;
	int ret = stat_sorted_copy(v, n, &c);

	if (ret)
		return ret;
	med = stat_median_sorted(c, n);
	for (size_t i = 0; i < n; i++)
		c[i] = fabs(c[i] - med);
	stat_sort(c, n);
	*mad = stat_median_sorted(c, n);
	free(c);
	return 0;
}

/* ------------------------------------------------------------- Wilcoxon */

struct stat_signed {
	double abs;
	bool positive;
};

static int stat_cmp_abs(const void *a, const void *b)
{
	double x = ((const struct stat_signed *)a)->abs;
	double y = ((const struct stat_signed *)b)->abs;

	return (x > y) - (x < y);
}

/* Exact two-sided p of W+ = @w for @m untied ranks: P(W+ = k) by counting. */
static double stat_wilcoxon_exact(double w, size_t m)
{
	size_t max = m * (m + 1) / 2;
	double *dist = calloc(max + 1, sizeof(*dist));
	double below = 0.0, above = 0.0, p;

	if (!dist)
		return NAN;
	dist[0] = 1.0;
	for (size_t r = 1; r <= m; r++) {
		for (size_t s = max; s >= r; s--)
			dist[s] = 0.5 * (dist[s] + dist[s - r]);
		for (size_t s = r - 1; ; s--) {
			dist[s] *= 0.5;
			if (!s)
				break;
		}
	}
	for (size_t s = 0; s <= max; s++) {
		if ((double)s <= w)
			below += dist[s];
		if ((double)s >= w)
			above += dist[s];
	}
	free(dist);
	p = 2.0 * fmin(below, above);
	return fmin(p, 1.0);
}

/**
 * stat_wilcoxon() - two-sided Wilcoxon signed-rank test of "median d = 0"
 * @d:	differences (here ln(B/A) per pair)
 * @n:	how many
 * @p:	p-value
 * @exact:	set when the exact null distribution was used (no ties, no
 *		zeros, at most 50 non-zero differences); otherwise the normal
 *		approximation with tie and continuity corrections
 *
 * Zero differences are dropped (Wilcoxon's convention).  With no non-zero
 * difference left, p = 1.
 *
 * Return: 0, -EINVAL, -ENOMEM
 */
int stat_wilcoxon(const double *d, size_t n, double *p, bool *exact)
{
	struct stat_signed *s;
	double w = 0.0, ties = 0.0, mean, var;
	size_t m = 0;

	if (!stat_all_finite(d, n))
		return -EINVAL;
	s = malloc((n ? n : 1) * sizeof(*s));
	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (d[i] == 0.0)
			continue;
		s[m].abs = fabs(d[i]);
		s[m].positive = d[i] > 0.0;
		m++;
	}
	if (!m) {
		free(s);
		*p = 1.0;
		*exact = true;
		return 0;
	}
	qsort(s, m, sizeof(*s), stat_cmp_abs);

	for (size_t i = 0; i < m; ) {
		size_t j = i;
		double rank, t;

		while (j + 1 < m && s[j + 1].abs == s[i].abs)
			j++;
		rank = ((double)(i + 1) + (double)(j + 1)) / 2.0;
		for (size_t k = i; k <= j; k++) {
			if (s[k].positive)
				w += rank;
		}
		t = (double)(j - i + 1);
		ties += t * t * t - t;
		i = j + 1;
	}
	free(s);

	if (ties == 0.0 && m <= 50) {
		*p = stat_wilcoxon_exact(w, m);
		*exact = true;
		return isnan(*p) ? -ENOMEM : 0;
	}

	mean = (double)m * (double)(m + 1) / 4.0;
	var = (double)m * (double)(m + 1) * (double)(2 * m + 1) / 24.0 -
	      ties / 48.0;
	if (var <= 0.0) {
		*p = 1.0;
	} else {
		double z = fmax(fabs(w - mean) - 0.5, 0.0) / sqrt(var);

		*p = fmin(erfc(z / M_SQRT2), 1.0);
	}
	*exact = false;
	return 0;
}
