/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * unit.h - what every cmocka unit test includes
 */
#ifndef HK_TESTS_UNIT_H
#define HK_TESTS_UNIT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <cmocka.h>

/* |got - want| <= tol, with both values in the failure message. */
#define assert_near(got, want, tol)					\
	do {								\
		double _g = (got), _w = (want), _t = (tol);		\
		if (!(fabs(_g - _w) <= _t))				\
			fail_msg("%s = %.17g, expected %.17g +/- %g",	\
				 #got, _g, _w, _t);			\
	} while (0)

/* Relative error at most rel. */
#define assert_rel(got, want, rel)					\
	assert_near(got, want, fabs(want) * (rel))

#endif /* HK_TESTS_UNIT_H */
