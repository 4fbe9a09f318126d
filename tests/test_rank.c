// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_rank.c - ranking by j = alpha c~ + beta p~ and the budgeted
 * selection, against hand-worked cases and against brute force
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "hkscores.h"
#include "stat_internal.h"
#include "unit.h"

static void test_normalise(void **state)
{
	double in[] = { 2, -4, 1, 0 }, out[4];
	double zero[] = { 0, 0 };

	(void)state;
	assert_int_equal(hks_normalise(in, 4, out), 0);
	assert_near(out[0], .5, 0);
	assert_near(out[1], -1, 0);
	assert_near(out[2], .25, 0);
	assert_near(out[3], 0, 0);
	assert_int_equal(hks_normalise(zero, 2, zero), 0);
	assert_near(zero[0], 0, 0);
	in[2] = NAN;
	assert_int_equal(hks_normalise(in, 4, out), -EINVAL);
}

static void test_score(void **state)
{
	double j;

	(void)state;
	assert_int_equal(hks_migration_score(.3, .7, .5, .2, &j), 0);
	assert_near(j, .3 * .5 + .7 * .2, 1e-15);
	assert_int_equal(hks_migration_score(-.3, .7, .5, .2, &j), -EINVAL);
	assert_int_equal(hks_migration_score(.3, NAN, .5, .2, &j), -EINVAL);
	assert_int_equal(hks_migration_score(.3, .7, -.5, .2, &j), -EINVAL);
}

static void test_rank_order_and_ties(void **state)
{
	struct hks_candidate c[] = {
		{ "net:ns1/veth0", 2, .10, 0 },
		{ "fs:/srv", 1, .05, 0 },
		{ "fs:/data", 1, .05, 0 },	/* ties with fs:/srv */
		{ "fs:/tmp", 4, 0, 0 },
	};
	size_t order[4];
	double score[4];

	(void)state;
	/* c~ = .5 .25 .25 1, p~ = 1 .5 .5 0; j = c~ + p~ = 1.5 .75 .75 1 */
	assert_int_equal(hks_rank(c, 4, 1, 1, order, score), 0);
	assert_int_equal(order[0], 2);	/* fs:/data before fs:/srv by name */
	assert_int_equal(order[1], 1);
	assert_int_equal(order[2], 3);
	assert_int_equal(order[3], 0);
	assert_near(score[0], 1.5, 1e-15);
	assert_near(score[3], 1.0, 1e-15);

	/* effort alone */
	assert_int_equal(hks_rank(c, 4, 1, 0, order, NULL), 0);
	assert_int_equal(order[0], 2);
	assert_int_equal(order[3], 3);

	c[1].effort = -1;
	assert_int_equal(hks_rank(c, 4, 1, 1, order, NULL), -EINVAL);
	c[1].effort = 1;
	c[1].penalty = NAN;
	assert_int_equal(hks_rank(c, 4, 1, 1, order, NULL), -EINVAL);
	c[1].penalty = .05;
	c[1].name = NULL;
	assert_int_equal(hks_rank(c, 4, 1, 1, order, NULL), -EINVAL);
	c[1].name = "fs:/srv";
	assert_int_equal(hks_rank(c, 4, -1, 1, order, NULL), -EINVAL);
}

/*
 * Scaling alpha and beta together never changes the ranking: random
 * candidates, many of them near ties, weights scaled by factors that are
 * exact in double (integers times integers, powers of two).
 */
static void test_rank_scale_invariant(void **state)
{
	static const double factor[] = { 2, 3, 7, 10, 1000, 0.5, 0x1.0p-20, 12345 };
	struct stat_rng rng;
	char names[16][8];

	(void)state;
	stat_rng_seed(&rng, 2024);
	for (int i = 0; i < 16; i++)
		snprintf(names[i], sizeof(names[i]), "c%02d", 15 - i);

	for (int trial = 0; trial < 2000; trial++) {
		struct hks_candidate c[16];
		size_t n = 2 + stat_rng_below(&rng, 15), base[16], scaled[16];
		double alpha = (double)stat_rng_below(&rng, 20);
		double beta = (double)stat_rng_below(&rng, 20);

		for (size_t i = 0; i < n; i++) {
			c[i].name = names[i];
			/* few distinct values make ties and near ties common */
			c[i].effort = (double)stat_rng_below(&rng, 4) / 3.0;
			c[i].penalty = (double)stat_rng_below(&rng, 5) / 7.0 - 0.2;
			c[i].gain = 0;
		}
		assert_int_equal(hks_rank(c, n, alpha, beta, base, NULL), 0);
		for (size_t f = 0; f < sizeof(factor) / sizeof(factor[0]); f++) {
			assert_int_equal(hks_rank(c, n, alpha * factor[f],
						  beta * factor[f], scaled, NULL), 0);
			if (memcmp(base, scaled, n * sizeof(*base)))
				fail_msg("trial %d: ranking changed when alpha=%g beta=%g were scaled by %g",
					 trial, alpha, beta, factor[f]);
		}
	}
}

/* The worked example: greedy by gain/penalty takes A, the optimum is B+C. */
static void test_select_example(void **state)
{
	struct hks_candidate c[] = {
		{ "A", 1, log(1.06), 40 },
		{ "B", 1, log(1.048), 30 },
		{ "C", 1, log(1.048), 30 },
	};
	struct hks_selection s;
	bool chosen[3];

	(void)state;
	/* greedy by gain per penalty would take A first: */
	assert_true(40 / log(1.06) > 30 / log(1.048));
	assert_int_equal(hks_select(c, 3, log(1.10), chosen, &s), 0);
	assert_false(chosen[0]);
	assert_true(chosen[1]);
	assert_true(chosen[2]);
	assert_near(s.gain, 60, 0);
	assert_int_equal(s.count, 2);
	assert_true(s.penalty <= log(1.10));
}

static void test_select_edges(void **state)
{
	struct hks_candidate c[] = {
		{ "faster", 1, -0.05, 5 },	/* B faster than A: free, gives budget back */
		{ "big", 1, 0.12, 50 },
		{ "zero", 1, 0, 0 },
	};
	struct hks_selection s;
	bool chosen[3];

	(void)state;
	/* budget .1 alone cannot take "big" (.12), but with -.05 it can */
	assert_int_equal(hks_select(c, 3, 0.1, chosen, &s), 0);
	assert_true(chosen[0]);
	assert_true(chosen[1]);
	assert_near(s.gain, 55, 0);
	assert_true(s.penalty <= 0.1);

	/* penalties that add up to the budget exactly fit it */
	{
		const struct hks_candidate t[] = {
			{ "a", 1, 0.5, 3 }, { "b", 2, 0.3, 2 }, { "c", 4, 0.3, 2 },
		};
		bool ch[3];

		assert_int_equal(hks_select(t, 3, 0.6, ch, &s), 0);
		assert_false(ch[0]);
		assert_true(ch[1] && ch[2]);
		assert_near(s.gain, 4, 1e-12);
	}

	/* budget 0: only what costs nothing */
	assert_int_equal(hks_select(c, 3, 0, chosen, &s), 0);
	assert_true(chosen[0]);
	assert_false(chosen[1]);

	/* nothing to choose from */
	assert_int_equal(hks_select(NULL, 0, 1, NULL, &s), 0);
	assert_int_equal(s.count, 0);

	c[1].gain = -1;
	assert_int_equal(hks_select(c, 3, 0.1, chosen, &s), -EINVAL);
	c[1].gain = 50;
	c[1].penalty = NAN;
	assert_int_equal(hks_select(c, 3, 0.1, chosen, &s), -EINVAL);
	c[1].penalty = .12;
	assert_int_equal(hks_select(c, 3, -0.1, chosen, &s), -EINVAL);
	assert_int_equal(hks_select(c, 3, INFINITY, chosen, &s), -EINVAL);
}

static double brute_force(const struct hks_candidate *c, size_t n,
			  double budget)
{
	double best = 0;

	for (unsigned int mask = 0; mask < (1u << n); mask++) {
		double p = 0, g = 0;

		for (size_t i = 0; i < n; i++) {
			if (mask & (1u << i)) {
				p += c[i].penalty;
				g += c[i].gain;
			}
		}
		if (p <= budget + 1e-9 && g > best)
			best = g;
	}
	return best;
}

/* Exact: the same gain as trying every subset, and never over budget. */
static void test_select_brute_force(void **state)
{
	struct stat_rng rng;

	(void)state;
	stat_rng_seed(&rng, 7);
	for (int trial = 0; trial < 3000; trial++) {
		struct hks_candidate c[12];
		size_t n = 1 + stat_rng_below(&rng, 12);
		double budget = stat_rng_uniform(&rng) * 0.5, p = 0, g = 0;
		struct hks_selection s;
		bool chosen[12];

		for (size_t i = 0; i < n; i++) {
			c[i].name = "x";
			c[i].effort = 1;
			/* a few negative penalties (B faster), mostly positive */
			c[i].penalty = stat_rng_uniform(&rng) * 0.2 - 0.02;
			/* integer gains make equal-gain choices common */
			c[i].gain = (double)stat_rng_below(&rng, 50);
		}
		assert_int_equal(hks_select(c, n, budget, chosen, &s), 0);
		for (size_t i = 0; i < n; i++) {
			if (chosen[i]) {
				p += c[i].penalty;
				g += c[i].gain;
			}
		}
		if (p > budget + 1e-9)
			fail_msg("trial %d: over budget: %.17g > %.17g", trial, p, budget);
		assert_near(g, s.gain, 1e-9);
		assert_near(s.gain, brute_force(c, n, budget), 1e-9);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normalise),
		cmocka_unit_test(test_score),
		cmocka_unit_test(test_rank_order_and_ties),
		cmocka_unit_test(test_rank_scale_invariant),
		cmocka_unit_test(test_select_example),
		cmocka_unit_test(test_select_edges),
		cmocka_unit_test(test_select_brute_force),
	};

	return cmocka_run_group_tests_name("rank", tests, NULL, NULL);
}
