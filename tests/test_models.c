// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_models.c - the models of libhkscores against known values, and
 * their refusal of input that would give a meaningless number
 */
#include <errno.h>

#include "hkscores.h"
#include "unit.h"

#define TOL	1e-9

static void test_utility_known(void **state)
{
	struct hks_weights w = { .5, .3, .2 };
	double u = -1;

	(void)state;
	assert_int_equal(hks_utility(&w, .8, .6, .4, &u), 0);
	assert_near(u, 0.50, TOL);

	w = (struct hks_weights){ 0, 0, 1 };
	assert_int_equal(hks_utility(&w, 1, 1, 1, &u), 0);
	assert_near(u, -1.0, TOL);
}

static void test_utility_invalid(void **state)
{
	struct hks_weights w = { .5, .3, .2 };
	double u = 42;

	(void)state;
	assert_int_equal(hks_utility(&w, NAN, .6, .4, &u), -EINVAL);
	assert_int_equal(hks_utility(&w, 1.01, .6, .4, &u), -EINVAL);
	assert_int_equal(hks_utility(&w, .8, -.01, .4, &u), -EINVAL);
	w = (struct hks_weights){ .5, .3, .3 };		/* sum 1.1 */
	assert_int_equal(hks_utility(&w, .8, .6, .4, &u), -EINVAL);
	w = (struct hks_weights){ .9, .3, -.2 };	/* sum 1, one negative */
	assert_int_equal(hks_utility(&w, .8, .6, .4, &u), -EINVAL);
	w = (struct hks_weights){ NAN, .5, .5 };
	assert_int_equal(hks_utility(&w, .8, .6, .4, &u), -EINVAL);
	assert_int_equal(hks_utility(NULL, .8, .6, .4, &u), -EINVAL);
	assert_near(u, 42, 0);	/* untouched on error */
}

static void test_latency_known(void **state)
{
	struct hks_latency l;

	(void)state;
	assert_int_equal(hks_latency(.1, 1.5, .4, 1, 1.2, &l), 0);
	assert_near(l.kernel, 2.0, TOL);
	assert_near(l.user, 8.8, TOL);
	assert_near(l.delta, 6.8, TOL);

	assert_int_equal(hks_latency(-.1, 1.5, .4, 1, 1.2, &l), -EINVAL);
	assert_int_equal(hks_latency(.1, NAN, .4, 1, 1.2, &l), -EINVAL);
	assert_int_equal(hks_latency(.1, 1.5, INFINITY, 1, 1.2, &l), -EINVAL);
}

static void test_throughput_known(void **state)
{
	struct hks_throughput t;

	(void)state;
	assert_int_equal(hks_throughput(0, 1, 1, &t), 0);
	assert_near(t.ratio, 1.0, TOL);
	assert_false(t.beyond);

	assert_int_equal(hks_throughput(.5, 1, 1, &t), 0);
	assert_near(t.ratio, 2.0 / 3.0, TOL);
	assert_false(t.beyond);

	assert_int_equal(hks_throughput(1, 1, 1, &t), 0);
	assert_near(t.ratio, 0.5, TOL);

	assert_int_equal(hks_throughput(0, 0, 1, &t), 0);
	assert_near(t.ratio, 2.0, TOL);
	assert_true(t.beyond);
	assert_near(t.bounded, 1.0, TOL);

	/* the bounded form never exceeds 1 */
	assert_int_equal(hks_throughput(.25, .5, 2, &t), 0);
	assert_near(t.bounded, 2.0 / 3.0, TOL);
	assert_true(t.bounded <= 1.0);

	assert_int_equal(hks_throughput(0, 1.5, 1, &t), -EINVAL);
	assert_int_equal(hks_throughput(-1, .5, 1, &t), -EINVAL);
	assert_int_equal(hks_throughput(0, .5, 0, &t), -EINVAL);
	assert_int_equal(hks_throughput(0, NAN, 1, &t), -EINVAL);
}

static void test_copy_cost(void **state)
{
	struct hks_copy_class cls[] = {
		{ .weight = .75, .copies = 2, .avoidable = 1, .zero_copy = .5 },
		{ .weight = .25, .copies = 4, .avoidable = .5, .zero_copy = 1 },
	};
	double c;

	(void)state;
	/* .75*2*(1-.5) + .25*4*(1-.5) = .75 + .5 = 1.25, times t_copy 2 */
	assert_int_equal(hks_copy_cost(cls, 2, 2.0, &c), 0);
	assert_near(c, 2.5, TOL);

	/* remapped units cost t_remap: .75*2*(2*.5 + 10*.5) + .25*4*(2*.5 + 10*.5) */
	assert_int_equal(hks_copy_cost_remap(cls, 2, 2.0, 10.0, &c), 0);
	assert_near(c, 1.5 * 6 + 1.0 * 6, TOL);

	/* remapping as cheap as copying: no gain from zero-copy at all */
	assert_int_equal(hks_copy_cost_remap(cls, 2, 2.0, 2.0, &c), 0);
	assert_near(c, 2.0 * (.75 * 2 + .25 * 4), TOL);

	cls[1].weight = .5;	/* weights sum to 1.25 */
	assert_int_equal(hks_copy_cost(cls, 2, 2.0, &c), -EINVAL);
	cls[1].weight = .25;
	cls[0].zero_copy = 1.5;
	assert_int_equal(hks_copy_cost(cls, 2, 2.0, &c), -EINVAL);
	cls[0].zero_copy = .5;
	cls[0].avoidable = -.1;
	assert_int_equal(hks_copy_cost(cls, 2, 2.0, &c), -EINVAL);
	cls[0].avoidable = 1;
	assert_int_equal(hks_copy_cost(cls, 0, 2.0, &c), -EINVAL);
	assert_int_equal(hks_copy_cost(cls, 2, -2.0, &c), -EINVAL);
	assert_int_equal(hks_copy_cost_remap(cls, 2, 2.0, NAN, &c), -EINVAL);
}

static void test_jitter_known(void **state)
{
	double j;

	(void)state;
	assert_int_equal(hks_jitter(1, &j), 0);
	assert_near(j, 1.41421356, 1e-8);
	assert_int_equal(hks_jitter(0, &j), 0);
	assert_near(j, 0, 0);
	assert_int_equal(hks_jitter(-1, &j), -EINVAL);
	assert_int_equal(hks_jitter(NAN, &j), -EINVAL);
}

static void test_underrun_known(void **state)
{
	struct hks_underrun u;

	(void)state;
	assert_int_equal(hks_underrun(1000, 1024, 48000, .01, &u), 0);
	assert_rel(u.probability, 1.1967e-5, 1e-3);
	assert_near(u.slack, 1024.0 / 48000 - .01, TOL);
	assert_rel(u.per_second, u.probability * 48000 / 1024, 1e-12);

	/* below zero slack the buffer always runs dry */
	assert_int_equal(hks_underrun(1000, 240, 48000, .01, &u), 0);
	assert_true(u.slack < 0);
	assert_near(u.probability, 1.0, 0);
	/* exactly zero slack: exp(0) = 1 too */
	assert_int_equal(hks_underrun(1000, 480, 48000, .01, &u), 0);
	assert_near(u.probability, 1.0, TOL);

	assert_int_equal(hks_underrun(0, 1024, 48000, .01, &u), -EINVAL);
	assert_int_equal(hks_underrun(1000, 0, 48000, .01, &u), -EINVAL);
	assert_int_equal(hks_underrun(1000, 1024, -1, .01, &u), -EINVAL);
	assert_int_equal(hks_underrun(1000, 1024, 48000, NAN, &u), -EINVAL);
}

static void test_fastpath(void **state)
{
	struct hks_fuse_cache fc;
	double g;

	(void)state;
	assert_int_equal(hks_fuse_cache(.5, 100, 0, &fc), 0);
	assert_near(fc.hit_rate, 0.980392, 1e-6);
	assert_near(fc.hit_rate, 50.0 / 51.0, TOL);
	assert_near(fc.p_stale, 0, 0);

	/* mu tau = 1: p_stale = 1 - (1 - 1/e) = 1/e */
	assert_int_equal(hks_fuse_cache(.5, 100, 2, &fc), 0);
	assert_near(fc.p_stale, exp(-1.0), TOL);
	/* small mu tau: p_stale ~ mu tau / 2 */
	assert_int_equal(hks_fuse_cache(1e-3, 100, 1e-6, &fc), 0);
	assert_rel(fc.p_stale, 5e-10, 1e-6);
	/* tau 0: no cache, no hits */
	assert_int_equal(hks_fuse_cache(0, 100, 2, &fc), 0);
	assert_near(fc.hit_rate, 0, 0);

	/* f [(T_u - T_fast) - p_stale C_err] */
	assert_int_equal(hks_fastpath_gain(.5, 10, 2, .1, 20, &g), 0);
	assert_near(g, .5 * (8 - 2), TOL);
	assert_int_equal(hks_fastpath_gain(1, 10, 2, .5, 20, &g), 0);
	assert_near(g, -2, TOL);	/* stale answers cost more than it saves */

	assert_int_equal(hks_fastpath_gain(1.1, 10, 2, .1, 20, &g), -EINVAL);
	assert_int_equal(hks_fastpath_gain(.5, 10, 2, -.1, 20, &g), -EINVAL);
	assert_int_equal(hks_fastpath_gain(.5, NAN, 2, .1, 20, &g), -EINVAL);
	assert_int_equal(hks_fuse_cache(-1, 100, 0, &fc), -EINVAL);
	assert_int_equal(hks_fuse_cache(1, NAN, 0, &fc), -EINVAL);
}

static void test_ebpf_known(void **state)
{
	double n, c;

	(void)state;
	assert_int_equal(hks_ebpf_break_even(5000, 10, .2, &n), 0);
	assert_near(n, 510.204, 1e-3);
	assert_near(n, 5000 / 9.8, TOL);

	/* at the break-even point the extension costs what an upcall does */
	assert_int_equal(hks_ebpf_cost(.2, 5000, n, &c), 0);
	assert_near(c, 10, 1e-9);

	/* an upcall that is not dearer: the extension never pays */
	assert_int_equal(hks_ebpf_break_even(5000, .2, .2, &n), 0);
	assert_true(isinf(n) && n > 0);
	assert_int_equal(hks_ebpf_break_even(5000, .1, .2, &n), 0);
	assert_true(isinf(n));

	assert_int_equal(hks_ebpf_cost(.2, 5000, 0, &c), -EINVAL);
	assert_int_equal(hks_ebpf_break_even(-1, 10, .2, &n), -EINVAL);
	assert_int_equal(hks_ebpf_break_even(5000, NAN, .2, &n), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utility_known),
		cmocka_unit_test(test_utility_invalid),
		cmocka_unit_test(test_latency_known),
		cmocka_unit_test(test_throughput_known),
		cmocka_unit_test(test_copy_cost),
		cmocka_unit_test(test_jitter_known),
		cmocka_unit_test(test_underrun_known),
		cmocka_unit_test(test_fastpath),
		cmocka_unit_test(test_ebpf_known),
	};

	return cmocka_run_group_tests_name("models", tests, NULL, NULL);
}
