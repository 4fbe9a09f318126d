// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_stat.c - order statistics, the seeded stream and the Wilcoxon
 * signed-rank test behind the A/B method
 */
#include <errno.h>
#include <stdbool.h>

#include "hkscores.h"
#include "stat_internal.h"
#include "unit.h"

static void test_median_quantile_mad(void **state)
{
	double odd[] = { 5, 1, 3 }, even[] = { 4, 1, 3, 2 };
	double mad_in[] = { 1, 1, 2, 2, 4, 6, 9 }, v;

	(void)state;
	assert_int_equal(hks_stat_median(odd, 3, &v), 0);
	assert_near(v, 3, 0);
	assert_int_equal(hks_stat_median(even, 4, &v), 0);
	assert_near(v, 2.5, 0);
	/* type 7, as R's default: quantile(1:4, .25) = 1.75 */
	assert_int_equal(hks_stat_quantile(even, 4, .25, &v), 0);
	assert_near(v, 1.75, 1e-15);
	assert_int_equal(hks_stat_quantile(even, 4, 1, &v), 0);
	assert_near(v, 4, 0);
	assert_int_equal(hks_stat_mad(mad_in, 7, &v), 0);
	assert_near(v, 1, 0);

	assert_int_equal(hks_stat_median(odd, 0, &v), -EINVAL);
	assert_int_equal(hks_stat_quantile(odd, 3, 1.5, &v), -EINVAL);
	odd[1] = NAN;
	assert_int_equal(hks_stat_median(odd, 3, &v), -EINVAL);
	assert_int_equal(hks_stat_mad(odd, 3, &v), -EINVAL);
}

static void test_rng(void **state)
{
	struct stat_rng a, b, c;
	double sum = 0, sq = 0;
	int differ = 0;

	(void)state;
	stat_rng_seed(&a, 42);
	stat_rng_seed(&b, 42);
	stat_rng_seed(&c, 43);
	for (int i = 0; i < 1000; i++) {
		uint64_t x = stat_rng_next(&a);

		assert_true(x == stat_rng_next(&b));
		differ += x != stat_rng_next(&c);
	}
	assert_true(differ > 990);

	for (int i = 0; i < 100000; i++) {
		size_t k = stat_rng_below(&a, 7);
		double u = stat_rng_uniform(&a);

		assert_true(k < 7);
		assert_true(u >= 0 && u < 1);
	}
	for (int i = 0; i < 100000; i++) {
		double z = stat_rng_normal(&a);

		sum += z;
		sq += z * z;
	}
	assert_near(sum / 100000, 0, 0.02);
	assert_near(sq / 100000, 1, 0.02);
}

/* R's documented paired example: V = 40, exact p = 2 * 10/512. */
static void test_wilcoxon_exact(void **state)
{
	double x[] = { 1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30 };
	const double y[] = { 0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29 };
	double d[9], p;
	bool exact;

	(void)state;
	for (int i = 0; i < 9; i++)
		d[i] = x[i] - y[i];
	assert_int_equal(stat_wilcoxon(d, 9, &p, &exact), 0);
	assert_true(exact);
	assert_near(p, 20.0 / 512.0, 1e-12);

	/* symmetric in sign */
	for (int i = 0; i < 9; i++)
		d[i] = -d[i];
	assert_int_equal(stat_wilcoxon(d, 9, &p, &exact), 0);
	assert_near(p, 20.0 / 512.0, 1e-12);

	/* all of one sign, n = 5: p = 2/32 */
	assert_int_equal(stat_wilcoxon(x, 5, &p, &exact), 0);
	assert_near(p, 2.0 / 32.0, 1e-12);
}

/*
 * Ties: d = 1 2 2 3 3 3 -1 gives ranks 1.5 3.5 3.5 6 6 6 1.5, W+ = 26.5,
 * mean 14, variance 35 - (6 + 6 + 24)/48 = 34.25, z = 12/sqrt(34.25)
 * with the continuity correction.
 */
static void test_wilcoxon_ties(void **state)
{
	double d[] = { 1, 2, 2, 3, 3, 3, -1 }, p;
	double zeros[] = { 0, 0, 0 };
	double with_zero[] = { 1, 2, 2, 3, 3, 3, -1, 0, 0 };
	bool exact;

	(void)state;
	assert_int_equal(stat_wilcoxon(d, 7, &p, &exact), 0);
	assert_false(exact);
	assert_near(p, erfc(12.0 / sqrt(34.25) / M_SQRT2), 1e-12);
	assert_near(p, 0.0403, 1e-4);

	/* zero differences are dropped */
	assert_int_equal(stat_wilcoxon(with_zero, 9, &p, &exact), 0);
	assert_near(p, erfc(12.0 / sqrt(34.25) / M_SQRT2), 1e-12);

	assert_int_equal(stat_wilcoxon(zeros, 3, &p, &exact), 0);
	assert_near(p, 1, 0);

	d[2] = NAN;
	assert_int_equal(stat_wilcoxon(d, 7, &p, &exact), -EINVAL);
}

/* Exact and normal forms agree for a largish sample without ties. */
static void test_wilcoxon_large(void **state)
{
	struct stat_rng rng;
	double d[60], p_exact, p_normal;
	bool exact;

	(void)state;
	stat_rng_seed(&rng, 5);
	for (int i = 0; i < 60; i++)
		d[i] = stat_rng_normal(&rng) + 0.3;
	assert_int_equal(stat_wilcoxon(d, 50, &p_exact, &exact), 0);
	assert_true(exact);
	assert_int_equal(stat_wilcoxon(d, 60, &p_normal, &exact), 0);
	assert_false(exact);
	assert_true(p_exact > 0 && p_exact < 1);
	/* 50 with the exact distribution vs the normal form on the same 50 */
	d[0] = d[1];	/* a tie forces the normal form */
	assert_int_equal(stat_wilcoxon(d, 50, &p_normal, &exact), 0);
	assert_false(exact);
	assert_near(p_normal, p_exact, 0.02);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_median_quantile_mad),
		cmocka_unit_test(test_rng),
		cmocka_unit_test(test_wilcoxon_exact),
		cmocka_unit_test(test_wilcoxon_ties),
		cmocka_unit_test(test_wilcoxon_large),
	};

	return cmocka_run_group_tests_name("stat", tests, NULL, NULL);
}
