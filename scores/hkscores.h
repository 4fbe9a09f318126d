/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * hkscores.h - hybridkit's cost models and A/B statistics
 *
 * libhkscores is pure computation: no I/O, no global state, no allocation
 * that outlives a call except the JSON string of hks_ab_json().  Every
 * function checks its inputs and returns 0 or -EINVAL (NaN, infinity where
 * a finite value is needed, negative weights or costs, probabilities
 * outside [0, 1], weights that do not sum to 1); results are written
 * through pointers only on success.  Units are whatever the caller uses,
 * consistently (hk-scores uses nanoseconds).
 *
 * The models are documented with their derivations in hk-scores(1).
 */
#ifndef HKSCORES_H
#define HKSCORES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Tolerance on "weights sum to 1". */
#define HKS_WEIGHT_SUM_TOL	1e-9

/* ---------------------------------------------------------------- models */

/* Utility U = w_S*S + w_P*P - w_C*C on normalised S, P, C in [0, 1]. */
struct hks_weights {
	double security;	/* w_S */
	double performance;	/* w_P */
	double cost;		/* w_C */
};
int hks_utility(const struct hks_weights *w, double s, double p, double c,
		double *u);

/* Round-trip latency through the kernel (T_k) and through a server (T_u). */
struct hks_latency {
	double kernel;		/* T_k = 2 c_sys + 2 c_copy + t_k */
	double user;		/* T_u = 4 c_ipc + 4 c_copy + t_u */
	double delta;		/* T_u - T_k */
};
int hks_latency(double c_sys, double c_ipc, double c_copy, double t_k,
		double t_u, struct hks_latency *out);

/* Throughput of the user-space path relative to the kernel path. */
struct hks_throughput {
	double ratio;		/* 2 / (1 + beta + 2 alpha) */
	bool beyond;		/* ratio > 1: more than FUSE or TAP can give */
	double bounded;		/* K / (K + beta + 2 alpha), never above 1 */
};
int hks_throughput(double alpha, double beta, double k,
		   struct hks_throughput *out);

/* One class of messages for the expected copy cost. */
struct hks_copy_class {
	double weight;		/* w_i: share of messages, sums to 1 */
	double copies;		/* k_i: copies (or bytes) per message */
	double avoidable;	/* a_i: fraction a zero-copy path can skip */
	double zero_copy;	/* p_i: probability the zero-copy path is taken */
};
int hks_copy_cost(const struct hks_copy_class *cls, size_t n, double t_copy,
		  double *cost);
int hks_copy_cost_remap(const struct hks_copy_class *cls, size_t n,
			double t_copy, double t_remap, double *cost);

/* RMS jitter of two independent exponential delays of mean delta. */
int hks_jitter(double delta, double *jitter);

/* Buffer underrun: lambda = 1/mean delay, buffer in frames, rate frames/s. */
struct hks_underrun {
	double probability;	/* per buffer period */
	double per_second;	/* expected underruns per second */
	double slack;		/* B/r - T_s, negative when the buffer is short */
};
int hks_underrun(double lambda, double buffer, double rate, double t_s,
		 struct hks_underrun *out);

/* Fast path (kernel cache in front of a server). */
int hks_fastpath_gain(double f, double t_u, double t_fast, double p_stale,
		      double c_err, double *gain);
struct hks_fuse_cache {
	double hit_rate;	/* f = nu tau / (1 + nu tau) */
	double p_stale;		/* 1 - (1 - exp(-mu tau)) / (mu tau) */
};
int hks_fuse_cache(double tau, double nu, double mu, struct hks_fuse_cache *out);

/* Verified in-kernel extension against an upcall to user space. */
int hks_ebpf_cost(double t_exec, double t_verify, double n, double *per_event);
int hks_ebpf_break_even(double t_verify, double t_up, double t_exec,
			double *n);

/* ------------------------------------------------- ranking and selection */

struct hks_candidate {
	const char *name;
	double effort;		/* c: migration effort, >= 0 */
	double penalty;		/* p: ln(perf_A / perf_B) */
	double gain;		/* isolation gain, >= 0, for hks_select() */
};

int hks_normalise(const double *in, size_t n, double *out);
int hks_migration_score(double alpha, double beta, double c, double p,
			double *j);
int hks_rank(const struct hks_candidate *cand, size_t n, double alpha,
	     double beta, size_t *order, double *score);

struct hks_selection {
	double gain;		/* total isolation gain of the chosen set */
	double penalty;		/* total penalty of the chosen set */
	size_t count;		/* how many were chosen */
};
int hks_select(const struct hks_candidate *cand, size_t n, double budget,
	       bool *chosen, struct hks_selection *out);

/* ---------------------------------------------------------- A/B method */

enum hks_verdict {
	HKS_VERDICT_INSUFFICIENT,	/* fewer than HKS_AB_MIN_PAIRS pairs */
	HKS_VERDICT_UNSTABLE,		/* pair ratios spread too much */
	HKS_VERDICT_NO_CHANGE,		/* no change beyond theta shown */
	HKS_VERDICT_SLOWER,		/* B is worse than A beyond theta */
	HKS_VERDICT_FASTER,		/* B is better than A beyond theta */
};

#define HKS_AB_MIN_PAIRS	5

struct hks_ab_opts {
	double theta;		/* noise threshold, default 0.02 */
	double unstable;	/* MAD/median of pair ratios, default 0.10 */
	double confidence;	/* of the interval, default 0.95 */
	unsigned int resamples;	/* bootstrap resamples, default 4000 */
	uint64_t seed;		/* bootstrap seed, default 1 */
	bool higher_is_better;	/* metric is a rate (ops/s), not a time */
};

struct hks_ab_result {
	size_t pairs;
	double ratio;		/* exp(median ln(B/A)) */
	double ci_low;		/* bootstrap interval of ratio */
	double ci_high;
	double p_value;		/* Wilcoxon signed-rank, two-sided */
	bool p_exact;		/* exact distribution, not the normal one */
	size_t outliers;	/* pairs with modified z > 3.5; kept */
	double rel_mad;		/* MAD / median of the pair ratios B/A */
	double median_a;
	double median_b;
	enum hks_verdict verdict;
};

void hks_ab_opts_init(struct hks_ab_opts *opts);
int hks_ab_compare(const double *a, const double *b, size_t n,
		   const struct hks_ab_opts *opts, struct hks_ab_result *res);
int hks_ab_json(const double *a, const double *b, size_t n,
		const struct hks_ab_opts *opts,
		const struct hks_ab_result *res, char **json);
const char *hks_verdict_name(enum hks_verdict v);

/* ------------------------------------------------ descriptive statistics */

int hks_stat_median(const double *v, size_t n, double *median);
int hks_stat_mad(const double *v, size_t n, double *mad);
int hks_stat_quantile(const double *v, size_t n, double q, double *out);

#ifdef __cplusplus
}
#endif

#endif /* HKSCORES_H */
