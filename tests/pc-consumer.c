// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pc-consumer.c - a program outside the tree that uses the installed
 * libhkscores through pkg-config, as README.md shows; built and run by
 * "make installcheck" (and so by distcheck)
 */
#include <stdio.h>

#include <hkscores.h>

int main(void)
{
	double a[] = { 100, 101, 99, 100, 102, 98 };
	double b[] = { 110, 111, 109, 110, 112, 108 };
	struct hks_ab_result r;
	double j;

	if (hks_jitter(1.0, &j) || j < 1.414 || j > 1.415)
		return 1;
	if (hks_ab_compare(a, b, 6, NULL, &r))
		return 1;
	printf("%.3f [%.3f, %.3f] %s\n", r.ratio, r.ci_low, r.ci_high,
	       hks_verdict_name(r.verdict));
	return r.verdict == HKS_VERDICT_SLOWER ? 0 : 1;
}
