// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_ab.c - the A/B method on simulated, seeded runs: noise alone must
 * read as no-change, a real 10% slowdown as slower, drift must cancel in
 * the pairs, an outlier must not move the verdict, and the report must be
 * reproducible to the byte
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "hkscores.h"
#include "stat_internal.h"
#include "unit.h"

#define MAXN	64

/*
 * Paired runs as the planner makes them: pair i runs AB when i is even,
 * BA when odd, in time slots 2i and 2i+1.  The machine's speed drifts
 * linearly by @drift over the whole run; each run has Gaussian noise of
 * relative size @noise; B takes @ratio times as long as A.
 */
static void simulate(struct stat_rng *rng, size_t n, double ratio,
		     double noise, double drift, double *a, double *b)
{
	for (size_t i = 0; i < n; i++) {
		size_t ta = i % 2 ? 2 * i + 1 : 2 * i;
		size_t tb = i % 2 ? 2 * i : 2 * i + 1;
		double la = 1 + drift * (double)ta / (double)(2 * n - 1);
		double lb = 1 + drift * (double)tb / (double)(2 * n - 1);

		a[i] = 100 * la * (1 + noise * stat_rng_normal(rng));
		b[i] = 100 * ratio * lb * (1 + noise * stat_rng_normal(rng));
	}
}

static enum hks_verdict verdict_of(const double *a, const double *b, size_t n,
				   struct hks_ab_result *res)
{
	struct hks_ab_result local;

	if (!res)
		res = &local;
	assert_int_equal(hks_ab_compare(a, b, n, NULL, res), 0);
	return res->verdict;
}

static void test_aa_noise_is_no_change(void **state)
{
	static const size_t pairs[] = { 10, 20 };
	struct stat_rng rng;

	(void)state;
	stat_rng_seed(&rng, 1001);
	for (size_t k = 0; k < 2; k++) {
		int no_change = 0;

		for (int t = 0; t < 200; t++) {
			double a[MAXN], b[MAXN];

			simulate(&rng, pairs[k], 1.0, 0.03, 0, a, b);
			no_change += verdict_of(a, b, pairs[k], NULL) ==
				     HKS_VERDICT_NO_CHANGE;
		}
		if (no_change < 186)
			fail_msg("%zu pairs: no-change in %d of 200 A/A trials, want >= 186",
				 pairs[k], no_change);
	}
}

static void test_ten_percent_is_slower(void **state)
{
	struct hks_ab_result res;
	struct stat_rng rng;
	double a[MAXN], b[MAXN];
	int slower = 0, inside = 0;

	(void)state;
	stat_rng_seed(&rng, 1002);
	simulate(&rng, 20, 1.10, 0.03, 0, a, b);
	assert_int_equal(verdict_of(a, b, 20, &res), HKS_VERDICT_SLOWER);
	assert_true(res.ratio >= 1.07 && res.ratio <= 1.13);
	assert_true(res.ci_low > 1.0);
	assert_true(res.ci_low <= res.ratio && res.ratio <= res.ci_high);
	assert_true(res.p_value < 0.01);

	/* and not by luck of one seed */
	for (int t = 0; t < 200; t++) {
		simulate(&rng, 20, 1.10, 0.03, 0, a, b);
		slower += verdict_of(a, b, 20, &res) == HKS_VERDICT_SLOWER;
		inside += res.ratio >= 1.07 && res.ratio <= 1.13;
	}
	assert_true(slower >= 195);
	assert_true(inside >= 190);

	/* the same slowdown seen as a rate is "slower" too */
	{
		struct hks_ab_opts o;
		double ra[MAXN], rb[MAXN];

		hks_ab_opts_init(&o);
		o.higher_is_better = true;
		for (int i = 0; i < 20; i++) {
			ra[i] = 1e6 / a[i];
			rb[i] = 1e6 / b[i];
		}
		assert_int_equal(hks_ab_compare(ra, rb, 20, &o, &res), 0);
		assert_int_equal(res.verdict, HKS_VERDICT_SLOWER);
		/* and B faster than A reads "faster" */
		assert_int_equal(hks_ab_compare(rb, ra, 20, &o, &res), 0);
		assert_int_equal(res.verdict, HKS_VERDICT_FASTER);
	}
}

/*
 * 20% linear drift over the run with A = B.  With drift the only
 * disturbance (1% noise), no trial may read slower or faster: that would
 * be the drift itself leaking into the verdict.  With 3% noise on top, the
 * verdict must be no-change as often as without drift (>= 93%); the few
 * that are not come from the noise, at the rate the A/A test allows.
 */
static void test_drift_cancels(void **state)
{
	struct stat_rng rng;
	int no_change = 0;

	(void)state;
	stat_rng_seed(&rng, 1003);
	for (int t = 0; t < 200; t++) {
		double a[MAXN], b[MAXN];
		enum hks_verdict v;

		simulate(&rng, 20, 1.0, 0.01, 0.20, a, b);
		v = verdict_of(a, b, 20, NULL);
		if (v == HKS_VERDICT_SLOWER || v == HKS_VERDICT_FASTER)
			fail_msg("trial %d: 20%% drift with A = B read as %s", t,
				 hks_verdict_name(v));
	}
	for (int t = 0; t < 200; t++) {
		double a[MAXN], b[MAXN];

		simulate(&rng, 20, 1.0, 0.03, 0.20, a, b);
		no_change += verdict_of(a, b, 20, NULL) == HKS_VERDICT_NO_CHANGE;
	}
	if (no_change < 186)
		fail_msg("drift and 3%% noise: no-change in %d of 200, want >= 186",
			 no_change);
}

static void test_outlier_counted_not_decisive(void **state)
{
	static const double ratio[] = { 1.0, 1.10 };
	struct stat_rng rng;

	(void)state;
	stat_rng_seed(&rng, 1004);
	for (size_t k = 0; k < 2; k++) {
		struct hks_ab_result before, after;
		double a[MAXN], b[MAXN];

		simulate(&rng, 20, ratio[k], 0.03, 0, a, b);
		verdict_of(a, b, 20, &before);
		assert_int_equal(before.outliers, 0);
		b[7] *= 10;
		verdict_of(a, b, 20, &after);
		assert_int_equal(after.outliers, 1);
		assert_int_equal(after.verdict, before.verdict);
		assert_int_equal(after.pairs, 20);	/* kept, not dropped */
	}
}

static void test_swap_is_reciprocal(void **state)
{
	struct hks_ab_result ab, ba;
	struct stat_rng rng;
	double a[MAXN], b[MAXN];

	(void)state;
	stat_rng_seed(&rng, 1005);
	for (int t = 0; t < 50; t++) {
		size_t n = 5 + stat_rng_below(&rng, 30);

		simulate(&rng, n, 1.0 + 0.01 * (double)(t % 20), 0.03, 0, a, b);
		assert_int_equal(hks_ab_compare(a, b, n, NULL, &ab), 0);
		assert_int_equal(hks_ab_compare(b, a, n, NULL, &ba), 0);
		assert_near(ab.ratio * ba.ratio, 1.0, 1e-15);
		assert_near(ab.ci_low * ba.ci_high, 1.0, 1e-12);
		assert_near(ab.ci_high * ba.ci_low, 1.0, 1e-12);
		assert_near(ab.p_value, ba.p_value, 0);
		assert_int_equal(ab.outliers, ba.outliers);
		if (ab.verdict == HKS_VERDICT_SLOWER)
			assert_int_equal(ba.verdict, HKS_VERDICT_FASTER);
		else if (ab.verdict == HKS_VERDICT_FASTER)
			assert_int_equal(ba.verdict, HKS_VERDICT_SLOWER);
		else if (ab.verdict == HKS_VERDICT_NO_CHANGE)
			assert_int_equal(ba.verdict, HKS_VERDICT_NO_CHANGE);
	}
}

static void test_json_reproducible(void **state)
{
	struct hks_ab_result r1, r2;
	struct hks_ab_opts o;
	struct stat_rng rng;
	double a[MAXN], b[MAXN], a2[MAXN], b2[MAXN];
	char *j1, *j2, *j3;

	(void)state;
	stat_rng_seed(&rng, 1006);
	simulate(&rng, 12, 1.05, 0.03, 0, a, b);
	memcpy(a2, a, sizeof(a));
	memcpy(b2, b, sizeof(b));
	hks_ab_opts_init(&o);
	o.seed = 99;

	assert_int_equal(hks_ab_compare(a, b, 12, &o, &r1), 0);
	assert_int_equal(hks_ab_compare(a2, b2, 12, &o, &r2), 0);
	assert_int_equal(hks_ab_json(a, b, 12, &o, &r1, &j1), 0);
	assert_int_equal(hks_ab_json(a2, b2, 12, &o, &r2, &j2), 0);
	assert_string_equal(j1, j2);
	assert_non_null(strstr(j1, "\"verdict\""));
	assert_non_null(strstr(j1, "\"seed\": 99"));

	/* another seed: another interval, reported as such */
	o.seed = 100;
	assert_int_equal(hks_ab_compare(a, b, 12, &o, &r2), 0);
	assert_near(r2.ratio, r1.ratio, 0);
	assert_int_equal(hks_ab_json(a, b, 12, &o, &r2, &j3), 0);
	assert_true(strcmp(j1, j3) != 0);
	free(j1);
	free(j2);
	free(j3);

	assert_int_equal(hks_ab_json(a, b, 11, &o, &r1, &j1), -EINVAL);
}

static void test_insufficient_and_unstable(void **state)
{
	struct hks_ab_result res;
	struct stat_rng rng;
	double a[MAXN], b[MAXN];

	(void)state;
	stat_rng_seed(&rng, 1007);
	simulate(&rng, 4, 2.0, 0.01, 0, a, b);
	assert_int_equal(verdict_of(a, b, 4, &res), HKS_VERDICT_INSUFFICIENT);
	assert_near(res.ratio, 2.0, 0.1);	/* still computed */

	simulate(&rng, 20, 1.5, 0.30, 0, a, b);
	assert_int_equal(verdict_of(a, b, 20, &res), HKS_VERDICT_UNSTABLE);
	assert_true(res.rel_mad > 0.10);

	/* identical pairs: ratio exactly 1, no outliers, no-change */
	for (int i = 0; i < 8; i++)
		a[i] = b[i] = 10 + i;
	assert_int_equal(verdict_of(a, b, 8, &res), HKS_VERDICT_NO_CHANGE);
	assert_near(res.ratio, 1, 0);
	assert_near(res.p_value, 1, 0);
	assert_int_equal(res.outliers, 0);
}

static void test_invalid_input(void **state)
{
	double a[] = { 1, 2, 3, 4, 5 }, b[] = { 1, 2, 3, 4, 5 };
	struct hks_ab_result res;
	struct hks_ab_opts o;

	(void)state;
	assert_int_equal(hks_ab_compare(a, b, 0, NULL, &res), -EINVAL);
	b[2] = 0;
	assert_int_equal(hks_ab_compare(a, b, 5, NULL, &res), -EINVAL);
	b[2] = -3;
	assert_int_equal(hks_ab_compare(a, b, 5, NULL, &res), -EINVAL);
	b[2] = NAN;
	assert_int_equal(hks_ab_compare(a, b, 5, NULL, &res), -EINVAL);
	b[2] = 3;
	hks_ab_opts_init(&o);
	o.theta = NAN;
	assert_int_equal(hks_ab_compare(a, b, 5, &o, &res), -EINVAL);
	hks_ab_opts_init(&o);
	o.confidence = 1.0;
	assert_int_equal(hks_ab_compare(a, b, 5, &o, &res), -EINVAL);
	hks_ab_opts_init(&o);
	o.resamples = 10;
	assert_int_equal(hks_ab_compare(a, b, 5, &o, &res), -EINVAL);
	assert_string_equal(hks_verdict_name(HKS_VERDICT_NO_CHANGE), "no-change");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_aa_noise_is_no_change),
		cmocka_unit_test(test_ten_percent_is_slower),
		cmocka_unit_test(test_drift_cancels),
		cmocka_unit_test(test_outlier_counted_not_decisive),
		cmocka_unit_test(test_swap_is_reciprocal),
		cmocka_unit_test(test_json_reproducible),
		cmocka_unit_test(test_insufficient_and_unstable),
		cmocka_unit_test(test_invalid_input),
	};

	return cmocka_run_group_tests_name("ab", tests, NULL, NULL);
}
