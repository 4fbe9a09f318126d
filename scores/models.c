// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * models.c - the analytic cost models of a move from kernel to user space
 *
 * Each model predicts what moving a path behind FUSE or TAP should cost, so
 * that the planner can set the prediction beside what it measured.  The
 * formulas and the assumptions behind them are in hk-scores(1); here we
 * only check inputs strictly, because a model fed NaN or a negative cost
 * gives a number that looks fine and means nothing.
 */
#include <errno.h>
#include <math.h>

#include "hkscores.h"

static bool is_nonneg(double x)
{
	return isfinite(x) && x >= 0.0;
}

static bool is_prob(double x)
{
	return x >= 0.0 && x <= 1.0;	/* false for NaN */
}

static bool sums_to_one(double sum)
{
	return fabs(sum - 1.0) <= HKS_WEIGHT_SUM_TOL;
}

/**
 * hks_utility() - U = w_S*S + w_P*P - w_C*C
 * @w:	weights, each >= 0, summing to 1
 * @s:	normalised security (isolation), in [0, 1]
 * @p:	normalised performance, in [0, 1]
 * @c:	normalised cost, in [0, 1]
 * @u:	result
 *
 * Return: 0 or -EINVAL
 */
int hks_utility(const struct hks_weights *w, double s, double p, double c,
		double *u)
{
	if (!w || !is_nonneg(w->security) || !is_nonneg(w->performance) ||
	    !is_nonneg(w->cost))
		return -EINVAL;
	if (!sums_to_one(w->security + w->performance + w->cost))
		return -EINVAL;
	if (!is_prob(s) || !is_prob(p) || !is_prob(c))
		return -EINVAL;

	*u = w->security * s + w->performance * p - w->cost * c;
	return 0;
}

/**
 * hks_latency() - round trip through the kernel and through a server
 * @c_sys:	cost of one kernel crossing (system call)
 * @c_ipc:	cost of one message between two processes
 * @c_copy:	cost of copying the message once
 * @t_k:	service time of the kernel implementation
 * @t_u:	service time of the user-space implementation
 * @out:	T_k = 2c_sys + 2c_copy + t_k, T_u = 4c_ipc + 4c_copy + t_u,
 *		and their difference
 *
 * Return: 0 or -EINVAL
 */
int hks_latency(double c_sys, double c_ipc, double c_copy, double t_k,
		double t_u, struct hks_latency *out)
{
	if (!is_nonneg(c_sys) || !is_nonneg(c_ipc) || !is_nonneg(c_copy) ||
	    !is_nonneg(t_k) || !is_nonneg(t_u))
		return -EINVAL;

	out->kernel = 2.0 * c_sys + 2.0 * c_copy + t_k;
	out->user = 4.0 * c_ipc + 4.0 * c_copy + t_u;
	out->delta = out->user - out->kernel;
	return 0;
}

/**
 * hks_throughput() - throughput ratio of the user-space path to the kernel's
 * @alpha:	cost of one crossing, in units of one copy (>= 0)
 * @beta:	copies the server adds: 1 a full copy, 0 perfect zero-copy
 * @k:	the kernel path's own work in copy units, for the bounded form (> 0)
 * @out:	ratio 2/(1+beta+2alpha), flagged when above 1, and the bounded
 *		K/(K+beta+2alpha)
 *
 * The unbounded form can exceed 1 (alpha = beta = 0 gives 2), which no
 * FUSE or TAP path can deliver: the flag says so, rather than hiding it.
 *
 * Return: 0 or -EINVAL
 */
int hks_throughput(double alpha, double beta, double k,
		   struct hks_throughput *out)
{
	if (!is_nonneg(alpha) || !is_prob(beta) || !(isfinite(k) && k > 0.0))
		return -EINVAL;

	out->ratio = 2.0 / (1.0 + beta + 2.0 * alpha);
	out->beyond = out->ratio > 1.0;
	out->bounded = k / (k + beta + 2.0 * alpha);
	return 0;
}

static int copy_check(const struct hks_copy_class *cls, size_t n)
{
	double sum = 0.0;

	if (!cls || !n)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (!is_nonneg(cls[i].weight) || !is_nonneg(cls[i].copies) ||
		    !is_prob(cls[i].avoidable) || !is_prob(cls[i].zero_copy))
			return -EINVAL;
		sum += cls[i].weight;
	}
	return sums_to_one(sum) ? 0 : -EINVAL;
}

/**
 * hks_copy_cost_remap() - expected copy cost, charging page remapping
 * @cls:	message classes; weights sum to 1
 * @n:	how many classes, > 0
 * @t_copy:	cost of one copy unit
 * @t_remap:	cost of remapping what one copy unit would have copied
 * @cost:	E[C] = sum_i w_i k_i [t_copy (1 - a_i p_i) + t_remap a_i p_i]
 *
 * Return: 0 or -EINVAL
 */
int hks_copy_cost_remap(const struct hks_copy_class *cls, size_t n,
			double t_copy, double t_remap, double *cost)
{
	double sum = 0.0;
	int ret = copy_check(cls, n);

	if (ret)
		return ret;
	if (!is_nonneg(t_copy) || !is_nonneg(t_remap))
		return -EINVAL;

	for (size_t i = 0; i < n; i++) {
		double zc = cls[i].avoidable * cls[i].zero_copy;

		sum += cls[i].weight * cls[i].copies *
		       (t_copy * (1.0 - zc) + t_remap * zc);
	}
	*cost = sum;
	return 0;
}

/**
 * hks_copy_cost() - expected copy cost, zero-copy taken as free
 * @cls:	message classes; weights sum to 1
 * @n:	how many classes, > 0
 * @t_copy:	cost of one copy unit
 * @cost:	E[C] = t_copy * sum_i w_i k_i (1 - a_i p_i)
 *
 * Return: 0 or -EINVAL
 */
int hks_copy_cost(const struct hks_copy_class *cls, size_t n, double t_copy,
		  double *cost)
{
	return hks_copy_cost_remap(cls, n, t_copy, 0.0, cost);
}

/**
 * hks_jitter() - RMS jitter J = delta * sqrt(2)
 * @delta:	mean of the exponential part of a scheduling delay
 * @jitter:	result
 *
 * The difference of two independent exponential delays of mean delta has
 * variance 2 delta^2; a constant part of the delay cancels in it.
 *
 * Return: 0 or -EINVAL
 */
int hks_jitter(double delta, double *jitter)
{
	if (!is_nonneg(delta))
		return -EINVAL;
	*jitter = delta * M_SQRT2;
	return 0;
}

/**
 * hks_underrun() - probability that a buffer runs dry before the server
 * refills it
 * @lambda:	rate of the exponential scheduling delay (1 / its mean), > 0
 * @buffer:	buffer size in frames, > 0
 * @rate:	frames consumed per second, > 0
 * @t_s:	fixed service time of one refill, in seconds
 * @out:	P_u = exp(-lambda (B/r - T_s)), 1 when the slack B/r - T_s is
 *		negative; and the expected underruns per second P_u * r / B
 *
 * Return: 0 or -EINVAL
 */
int hks_underrun(double lambda, double buffer, double rate, double t_s,
		 struct hks_underrun *out)
{
	double slack;

	if (!(isfinite(lambda) && lambda > 0.0) ||
	    !(isfinite(buffer) && buffer > 0.0) ||
	    !(isfinite(rate) && rate > 0.0) || !is_nonneg(t_s))
		return -EINVAL;

	slack = buffer / rate - t_s;
	out->slack = slack;
	out->probability = slack < 0.0 ? 1.0 : exp(-lambda * slack);
	out->per_second = out->probability * rate / buffer;
	return 0;
}

/**
 * hks_fastpath_gain() - gain per operation of a kernel fast path
 * @f:	fraction of operations the fast path serves, in [0, 1]
 * @t_u:	cost of an operation through the server
 * @t_fast:	cost of an operation through the fast path
 * @p_stale:	probability that a fast-path answer is stale, in [0, 1]
 * @c_err:	cost of one stale answer
 * @gain:	f * [(T_u - T_fast) - p_stale * C_err]; negative when the
 *		fast path does not pay
 *
 * Return: 0 or -EINVAL
 */
int hks_fastpath_gain(double f, double t_u, double t_fast, double p_stale,
		      double c_err, double *gain)
{
	if (!is_prob(f) || !is_prob(p_stale) || !is_nonneg(t_u) ||
	    !is_nonneg(t_fast) || !is_nonneg(c_err))
		return -EINVAL;

	*gain = f * ((t_u - t_fast) - p_stale * c_err);
	return 0;
}

/**
 * hks_fuse_cache() - hit rate and staleness of a FUSE cache timeout
 * @tau:	entry/attribute timeout, seconds
 * @nu:	rate of lookups of one entry, per second (Poisson)
 * @mu:	rate of changes to it made behind the cache, per second (Poisson)
 * @out:	hit rate f = nu tau / (1 + nu tau): each miss fills the cache
 *		for tau, during which nu tau lookups hit on average; p_stale
 *		= 1 - (1 - e^{-mu tau}) / (mu tau): a hit comes at an age
 *		uniform in [0, tau] and is stale when a change came since
 *		(0 when mu tau = 0)
 *
 * Return: 0 or -EINVAL
 */
int hks_fuse_cache(double tau, double nu, double mu, struct hks_fuse_cache *out)
{
	double x;

	if (!is_nonneg(tau) || !is_nonneg(nu) || !is_nonneg(mu))
		return -EINVAL;

	out->hit_rate = nu * tau / (1.0 + nu * tau);
	x = mu * tau;
	/* -expm1(-x)/x loses nothing for small x, where 1 - exp(-x) would */
	out->p_stale = x > 0.0 ? 1.0 + expm1(-x) / x : 0.0;
	return 0;
}

/**
 * hks_ebpf_cost() - cost per event of a verified in-kernel extension
 * @t_exec:	cost of running it once
 * @t_verify:	one-time cost of verifying and loading it
 * @n:	events over which the load is amortised, > 0
 * @per_event:	t_exec + t_verify / N
 *
 * Return: 0 or -EINVAL
 */
int hks_ebpf_cost(double t_exec, double t_verify, double n, double *per_event)
{
	if (!is_nonneg(t_exec) || !is_nonneg(t_verify) || !(n > 0.0))
		return -EINVAL;

	*per_event = t_exec + t_verify / n;
	return 0;
}

/**
 * hks_ebpf_break_even() - events after which the extension beats an upcall
 * @t_verify:	one-time cost of verifying and loading it
 * @t_up:	cost of one upcall to a user-space server
 * @t_exec:	cost of running the extension once
 * @n:	N = t_verify / (t_up - t_exec); INFINITY when the upcall is not
 *	dearer than the extension, so it never pays
 *
 * Return: 0 or -EINVAL
 */
int hks_ebpf_break_even(double t_verify, double t_up, double t_exec,
			double *n)
{
	if (!is_nonneg(t_verify) || !is_nonneg(t_up) || !is_nonneg(t_exec))
		return -EINVAL;

	*n = t_up > t_exec ? t_verify / (t_up - t_exec) : INFINITY;
	return 0;
}
