// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ab.c - the statistics of an A/B comparison from paired runs
 *
 * The planner runs the kernel path (A) and the user-space path (B) in
 * alternating pairs, so that drift of the machine (other load, thermal,
 * caches) lands on both sides of a pair.  Per pair we take r = ln(B/A);
 * the summary is exp(median r), which is robust to the odd disturbed run
 * and exactly reciprocal when A and B swap.  The interval comes from a
 * percentile bootstrap that resamples whole pairs with a fixed seed, the
 * test is Wilcoxon's signed-rank test on r, and outliers are counted by
 * the modified z-score (Iglewicz and Hoaglin) and never dropped.
 *
 * Verdict, in order:
 *   insufficient  fewer than HKS_AB_MIN_PAIRS pairs;
 *   unstable      MAD / median of the pair ratios B/A above opts->unstable:
 *                 pairs disagree so much that one ratio means little;
 *   slower/faster the ratio is beyond 1 +/- theta (in log space, so that
 *                 swapping A and B swaps the verdict) and the confidence
 *                 interval excludes 1;
 *   no-change     otherwise: no change larger than theta could be shown.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "hkscores.h"
#include "jsonnum.h"
#include "stat_internal.h"

#define AB_OUTLIER_Z		3.5
#define AB_MAD_TO_Z		0.6745	/* Phi^-1(3/4): MAD of a normal / sigma */
#define AB_MEANAD_TO_Z		0.7979	/* sqrt(2/pi): mean |dev| / sigma */

/**
 * hks_ab_opts_init() - the default options
 * @opts:	theta 2%, unstable above 10%, 95% interval, 4000 resamples,
 *		seed 1, lower metric is better (a time)
 */
void hks_ab_opts_init(struct hks_ab_opts *opts)
{
	opts->theta = 0.02;
	opts->unstable = 0.10;
	opts->confidence = 0.95;
	opts->resamples = 4000;
	opts->seed = 1;
	opts->higher_is_better = false;
}

/**
 * hks_verdict_name() - the verdict as it is written in reports
 * @v:	verdict
 *
 * Return: "insufficient", "unstable", "no-change", "slower" or "faster"
 */
const char *hks_verdict_name(enum hks_verdict v)
{
	switch (v) {
	case HKS_VERDICT_INSUFFICIENT:	return "insufficient";
	case HKS_VERDICT_UNSTABLE:	return "unstable";
	case HKS_VERDICT_NO_CHANGE:	return "no-change";
	case HKS_VERDICT_SLOWER:	return "slower";
	case HKS_VERDICT_FASTER:	return "faster";
	}
	return "unknown";
}

static bool ab_opts_ok(const struct hks_ab_opts *o)
{
	return isfinite(o->theta) && o->theta >= 0.0 &&
	       isfinite(o->unstable) && o->unstable > 0.0 &&
	       o->confidence > 0.0 && o->confidence < 1.0 &&
	       o->resamples >= 100;
}

static bool ab_samples_ok(const double *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!(isfinite(v[i]) && v[i] > 0.0))
			return false;
	}
	return true;
}

/* Percentile bootstrap of the median of @r, resampling whole pairs. */
static int ab_bootstrap(const double *r, size_t n,
			const struct hks_ab_opts *o, double *lo, double *hi)
{
	double *medians = malloc(o->resamples * sizeof(*medians));
	double *sample = malloc(n * sizeof(*sample));
	struct stat_rng rng;
	double tail = (1.0 - o->confidence) / 2.0;

	if (!medians || !sample) {
		free(sample);
		free(medians);
		return -ENOMEM;
	}
	stat_rng_seed(&rng, o->seed);
	for (unsigned int b = 0; b < o->resamples; b++) {
		for (size_t i = 0; i < n; i++)
			sample[i] = r[stat_rng_below(&rng, n)];
		stat_sort(sample, n);
		medians[b] = stat_median_sorted(sample, n);
	}
	stat_sort(medians, o->resamples);
	*lo = stat_quantile_sorted(medians, o->resamples, tail);
	*hi = stat_quantile_sorted(medians, o->resamples, 1.0 - tail);
	free(sample);
	free(medians);
	return 0;
}

/* Modified z-scores of @r beyond AB_OUTLIER_Z; @sorted is @r sorted. */
static size_t ab_outliers(const double *r, const double *sorted, size_t n,
			  double *scratch)
{
	double med = stat_median_sorted(sorted, n), mad, scale, meanad = 0.0;
	size_t count = 0;

	for (size_t i = 0; i < n; i++) {
		scratch[i] = fabs(r[i] - med);
		meanad += scratch[i];
	}
	meanad /= (double)n;
	stat_sort(scratch, n);
	mad = stat_median_sorted(scratch, n);

	/* With more than half the pairs equal, MAD is 0: fall back to the
	 * mean absolute deviation, as Iglewicz and Hoaglin suggest. */
	if (mad > 0.0)
		scale = AB_MAD_TO_Z / mad;
	else if (meanad > 0.0)
		scale = AB_MEANAD_TO_Z / meanad;
	else
		return 0;

	for (size_t i = 0; i < n; i++) {
		if (fabs(r[i] - med) * scale > AB_OUTLIER_Z)
			count++;
	}
	return count;
}

static enum hks_verdict ab_verdict(const struct hks_ab_opts *o,
				   const struct hks_ab_result *res)
{
	double limit = log1p(o->theta);
	double lr = log(res->ratio);
	bool up;

	if (res->pairs < HKS_AB_MIN_PAIRS)
		return HKS_VERDICT_INSUFFICIENT;
	if (res->rel_mad > o->unstable)
		return HKS_VERDICT_UNSTABLE;

	if (lr > limit && res->ci_low > 1.0)
		up = true;
	else if (lr < -limit && res->ci_high < 1.0)
		up = false;
	else
		return HKS_VERDICT_NO_CHANGE;

	/* B's metric went up: slower for a time, faster for a rate. */
	return up != o->higher_is_better ? HKS_VERDICT_SLOWER :
					   HKS_VERDICT_FASTER;
}

/**
 * hks_ab_compare() - compare paired runs of A and B
 * @a:	metric of each A run (a time unless opts->higher_is_better), > 0
 * @b:	metric of the B run paired with each A run, > 0
 * @n:	pairs, > 0
 * @opts:	options, or NULL for hks_ab_opts_init()'s
 * @res:	the comparison
 *
 * Return: 0, -EINVAL (no pairs, a sample not finite and positive, bad
 * options), -ENOMEM
 */
int hks_ab_compare(const double *a, const double *b, size_t n,
		   const struct hks_ab_opts *opts, struct hks_ab_result *res)
{
	struct hks_ab_opts defaults;
	double *r = NULL, *sorted = NULL, *scratch = NULL;
	double lo, hi, med_r;
	int ret = -ENOMEM;

	if (!opts) {
		hks_ab_opts_init(&defaults);
		opts = &defaults;
	}
	if (!a || !b || !n || !res || !ab_opts_ok(opts) ||
	    !ab_samples_ok(a, n) || !ab_samples_ok(b, n))
		return -EINVAL;

	r = malloc(n * sizeof(*r));
	sorted = malloc(n * sizeof(*sorted));
	scratch = malloc(n * sizeof(*scratch));
	if (!r || !sorted || !scratch)
		goto out_free;

	for (size_t i = 0; i < n; i++)
		r[i] = log(b[i]) - log(a[i]);	/* exactly -r when swapped */
	memcpy(sorted, r, n * sizeof(*r));
	stat_sort(sorted, n);
	med_r = stat_median_sorted(sorted, n);

	memset(res, 0, sizeof(*res));
	res->pairs = n;
	res->ratio = exp(med_r);

	ret = ab_bootstrap(r, n, opts, &lo, &hi);
	if (ret)
		goto out_free;
	res->ci_low = exp(lo);
	res->ci_high = exp(hi);

	ret = stat_wilcoxon(r, n, &res->p_value, &res->p_exact);
	if (ret)
		goto out_free;

	res->outliers = ab_outliers(r, sorted, n, scratch);

	/* Relative spread of the pair ratios B/A. */
	for (size_t i = 0; i < n; i++)
		scratch[i] = exp(r[i]);
	hks_stat_mad(scratch, n, &res->rel_mad);
	hks_stat_median(scratch, n, &lo);
	res->rel_mad /= lo;

	hks_stat_median(a, n, &res->median_a);
	hks_stat_median(b, n, &res->median_b);
	res->verdict = ab_verdict(opts, res);
	ret = 0;

out_free:
	free(scratch);
	free(sorted);
	free(r);
	return ret;
}

static struct json_object *ab_json_method(const struct hks_ab_opts *o,
					  const struct hks_ab_result *res)
{
	struct json_object *m = json_object_new_object();

	json_object_object_add(m, "statistic",
			       json_object_new_string("exp(median ln(B/A))"));
	json_object_object_add(m, "pairs", json_object_new_uint64(res->pairs));
	json_object_object_add(m, "min_pairs",
			       json_object_new_int(HKS_AB_MIN_PAIRS));
	json_object_object_add(m, "interval",
			       json_object_new_string("percentile bootstrap of whole pairs"));
	jsonnum_add(m, "confidence", o->confidence);
	json_object_object_add(m, "resamples",
			       json_object_new_uint64(o->resamples));
	json_object_object_add(m, "seed", json_object_new_uint64(o->seed));
	json_object_object_add(m, "test",
			       json_object_new_string(res->p_exact ?
				       "wilcoxon signed-rank, exact" :
				       "wilcoxon signed-rank, normal approximation"));
	jsonnum_add(m, "theta", o->theta);
	jsonnum_add(m, "unstable_above", o->unstable);
	json_object_object_add(m, "outlier_rule",
			       json_object_new_string("modified z > 3.5, kept"));
	json_object_object_add(m, "higher_is_better",
			       json_object_new_boolean(o->higher_is_better));
	return m;
}

/**
 * hks_ab_json() - the comparison as a JSON document
 * @a:	the A samples given to hks_ab_compare()
 * @b:	the B samples
 * @n:	pairs
 * @opts:	the options given to hks_ab_compare(), or NULL for defaults
 * @res:	its result
 * @json:	a malloc'd, NUL-terminated string; the caller frees it.  The
 *		same input gives the same bytes.
 *
 * Return: 0, -EINVAL, -ENOMEM
 */
int hks_ab_json(const double *a, const double *b, size_t n,
		const struct hks_ab_opts *opts,
		const struct hks_ab_result *res, char **json)
{
	struct hks_ab_opts defaults;
	struct json_object *root, *ci, *samples;
	const char *text;
	int ret = 0;

	if (!opts) {
		hks_ab_opts_init(&defaults);
		opts = &defaults;
	}
	if (!a || !b || !res || !json || res->pairs != n)
		return -EINVAL;

	root = json_object_new_object();
	if (!root)
		return -ENOMEM;
	json_object_object_add(root, "method", ab_json_method(opts, res));
	jsonnum_add(root, "ratio", res->ratio);
	ci = json_object_new_array();
	json_object_array_add(ci, jsonnum_new(res->ci_low));
	json_object_array_add(ci, jsonnum_new(res->ci_high));
	json_object_object_add(root, "ci", ci);
	jsonnum_add(root, "p_value", res->p_value);
	json_object_object_add(root, "outliers",
			       json_object_new_uint64(res->outliers));
	jsonnum_add(root, "rel_mad", res->rel_mad);
	jsonnum_add(root, "median_a", res->median_a);
	jsonnum_add(root, "median_b", res->median_b);
	json_object_object_add(root, "verdict",
			       json_object_new_string(hks_verdict_name(res->verdict)));

	samples = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		struct json_object *pair = json_object_new_array();

		json_object_array_add(pair, jsonnum_new(a[i]));
		json_object_array_add(pair, jsonnum_new(b[i]));
		json_object_array_add(samples, pair);
	}
	json_object_object_add(root, "samples", samples);

	text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
					      JSON_C_TO_STRING_SPACED |
					      JSON_C_TO_STRING_NOSLASHESCAPE);
	*json = text ? strdup(text) : NULL;
	if (!*json)
		ret = -ENOMEM;
	json_object_put(root);
	return ret;
}
