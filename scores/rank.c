// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rank.c - migration score j = alpha c~ + beta p~, the ranking of
 * candidates by it, and the budgeted choice of moves
 *
 * Two properties are promised and tested, so the arithmetic is chosen for
 * them rather than for brevity:
 *
 * - Scaling alpha and beta together never changes the ranking.  Scores are
 *   compared as _Float128 keys, in which alpha*c~ and beta*p~ are exact
 *   (106-bit products in a 113-bit mantissa), so a common factor that is
 *   exact in the caller's doubles cannot reorder two candidates through
 *   rounding.
 * - The selection is never over budget.  Penalties are taken in fixed
 *   point, rounded up, and the budget rounded down; sums of integers do not
 *   depend on the order they are added in.  The search is an exact branch
 *   and bound over the 0/1 knapsack.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hkscores.h"

/* Fixed point for penalties: 2^-40 (about 1e-12) per unit. */
#define RANK_FIX_SCALE		0x1.0p40
#define RANK_FIX_MAX_ABS	1e3	/* ln-ratio; e^1000 is no real ratio */
/* A total within this much over the budget is within it: penalties are
 * measured numbers, and 0.3 + 0.3 must fit a budget of 0.6. */
#define RANK_BUDGET_TOL		1e-9

/**
 * hks_normalise() - scale values so that the largest magnitude is 1
 * @in:	values, finite
 * @n:	how many
 * @out:	results (may be @in); all zero when every input is zero
 *
 * Dividing by the largest magnitude, not min-max scaling, keeps 0 meaning
 * "no cost" and keeps the sign of a negative penalty (B faster than A).
 *
 * Return: 0 or -EINVAL
 */
int hks_normalise(const double *in, size_t n, double *out)
{
	double max = 0.0;

	if (n && (!in || !out))
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (!isfinite(in[i]))
			return -EINVAL;
		max = fmax(max, fabs(in[i]));
	}
	for (size_t i = 0; i < n; i++)
		out[i] = max > 0.0 ? in[i] / max : 0.0;
	return 0;
}

static bool rank_weights_ok(double alpha, double beta)
{
	return isfinite(alpha) && isfinite(beta) && alpha >= 0.0 &&
	       beta >= 0.0;
}

/**
 * hks_migration_score() - j = alpha c + beta p for one candidate
 * @alpha:	weight of effort, >= 0
 * @beta:	weight of penalty, >= 0
 * @c:	effort (normalised by the caller when ranking), >= 0
 * @p:	penalty, any finite value
 * @j:	result; lower is a better move
 *
 * Return: 0 or -EINVAL
 */
int hks_migration_score(double alpha, double beta, double c, double p,
			double *j)
{
	if (!rank_weights_ok(alpha, beta) || !isfinite(c) || c < 0.0 ||
	    !isfinite(p))
		return -EINVAL;
	*j = alpha * c + beta * p;
	return 0;
}

struct rank_key {
	_Float128 key;
	const char *name;
	size_t index;
};

static int rank_cmp(const void *a, const void *b)
{
	const struct rank_key *x = a, *y = b;
	int c;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	c = strcmp(x->name, y->name);
	if (c)
		return c;
	return (x->index > y->index) - (x->index < y->index);
}

/**
 * hks_rank() - order candidates by j = alpha c~ + beta p~, lowest first
 * @cand:	candidates; names non-NULL, efforts >= 0, penalties finite
 * @n:	how many
 * @alpha:	weight of effort, >= 0
 * @beta:	weight of penalty, >= 0
 * @order:	n indices into @cand, best move first; equal scores by name
 * @score:	if not NULL, j of each candidate (indexed like @cand)
 *
 * c~ and p~ are the efforts and penalties normalised by hks_normalise().
 *
 * Return: 0, -EINVAL, -ENOMEM
 */
int hks_rank(const struct hks_candidate *cand, size_t n, double alpha,
	     double beta, size_t *order, double *score)
{
	double *c = NULL, *p = NULL;
	struct rank_key *keys = NULL;
	int ret;

	if (!rank_weights_ok(alpha, beta) || (n && (!cand || !order)))
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (!cand[i].name || !isfinite(cand[i].effort) ||
		    cand[i].effort < 0.0 || !isfinite(cand[i].penalty))
			return -EINVAL;
	}
	if (!n)
		return 0;

	c = malloc(n * sizeof(*c));
	p = malloc(n * sizeof(*p));
	keys = malloc(n * sizeof(*keys));
	if (!c || !p || !keys) {
		ret = -ENOMEM;
		goto out_free;
	}
	for (size_t i = 0; i < n; i++) {
		c[i] = cand[i].effort;
		p[i] = cand[i].penalty;
	}
	hks_normalise(c, n, c);
	hks_normalise(p, n, p);

	for (size_t i = 0; i < n; i++) {
		keys[i].key = (_Float128)alpha * c[i] + (_Float128)beta * p[i];
		keys[i].name = cand[i].name;
		keys[i].index = i;
		if (score)
			score[i] = alpha * c[i] + beta * p[i];
	}
	qsort(keys, n, sizeof(*keys), rank_cmp);
	for (size_t i = 0; i < n; i++)
		order[i] = keys[i].index;
	ret = 0;

out_free:
	free(keys);
	free(p);
	free(c);
	return ret;
}

/* ------------------------------------------------------------ selection */

struct sel_item {
	size_t index;
	int64_t weight;		/* fixed-point penalty, > 0 */
	double gain;
};

struct sel_search {
	const struct sel_item *items;
	size_t n;
	bool *take;		/* current branch */
	bool *best_take;
	double best_gain;
	int64_t best_weight;
};

static int sel_item_cmp(const void *a, const void *b)
{
	const struct sel_item *x = a, *y = b;
	/* gain/weight descending, compared without division */
	double l = x->gain * (double)y->weight;
	double r = y->gain * (double)x->weight;

	if (l != r)
		return l > r ? -1 : 1;
	return (x->index > y->index) - (x->index < y->index);
}

/* Gain of the LP relaxation from item @i on: an upper bound of any choice. */
static double sel_bound(const struct sel_search *s, size_t i, int64_t room)
{
	double bound = 0.0;

	for (; i < s->n; i++) {
		if (s->items[i].weight <= room) {
			room -= s->items[i].weight;
			bound += s->items[i].gain;
		} else {
			bound += s->items[i].gain * (double)room /
				 (double)s->items[i].weight;
			break;
		}
	}
	return bound;
}

static void sel_branch(struct sel_search *s, size_t i, int64_t room,
		       double gain, int64_t weight)
{
	if (gain > s->best_gain ||
	    (gain == s->best_gain && weight < s->best_weight)) {
		s->best_gain = gain;
		s->best_weight = weight;
		memcpy(s->best_take, s->take, s->n * sizeof(*s->take));
	}
	if (i == s->n || gain + sel_bound(s, i, room) < s->best_gain)
		return;

	if (s->items[i].weight <= room) {
		s->take[i] = true;
		sel_branch(s, i + 1, room - s->items[i].weight,
			   gain + s->items[i].gain, weight + s->items[i].weight);
		s->take[i] = false;
	}
	sel_branch(s, i + 1, room, gain, weight);
}

static int64_t sel_fix_up(double x)
{
	return (int64_t)ceil(x * RANK_FIX_SCALE);
}

/**
 * hks_select() - the set of moves with the largest isolation gain whose
 * total penalty stays within a budget (0/1 knapsack, exact)
 * @cand:	candidates: gains finite and >= 0, penalties finite, |p| <= 1000
 * @n:	how many
 * @budget:	largest total penalty allowed, 0 <= budget <= 1000
 * @chosen:	n flags, set for the chosen candidates
 * @out:	total gain, total penalty and count of the choice
 *
 * A candidate with a penalty <= 0 costs nothing (it may even give budget
 * back) and is always chosen.  A total over the budget by less than 1e-9
 * is within it, so that binary rounding does not turn away a set whose
 * penalties add up to the budget exactly.  Among choices of equal gain the one with
 * the smaller total penalty wins.
 *
 * Return: 0, -EINVAL, -ENOMEM
 */
int hks_select(const struct hks_candidate *cand, size_t n, double budget,
	       bool *chosen, struct hks_selection *out)
{
	struct sel_search s = { 0 };
	struct sel_item *items = NULL;
	int64_t room;
	int ret = -ENOMEM;

	if (!isfinite(budget) || budget < 0.0 || budget > RANK_FIX_MAX_ABS ||
	    (n && (!cand || !chosen)) || !out)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (!isfinite(cand[i].gain) || cand[i].gain < 0.0 ||
		    !isfinite(cand[i].penalty) ||
		    fabs(cand[i].penalty) > RANK_FIX_MAX_ABS)
			return -EINVAL;
	}

	room = (int64_t)floor((budget + RANK_BUDGET_TOL) * RANK_FIX_SCALE);
	items = malloc((n ? n : 1) * sizeof(*items));
	s.take = calloc(n ? n : 1, sizeof(*s.take));
	s.best_take = calloc(n ? n : 1, sizeof(*s.best_take));
	if (!items || !s.take || !s.best_take)
		goto out_free;

	if (n)
		memset(chosen, 0, n * sizeof(*chosen));
	for (size_t i = 0; i < n; i++) {
		int64_t w = sel_fix_up(cand[i].penalty);

		if (w <= 0) {
			chosen[i] = true;
			room -= w;
			continue;
		}
		items[s.n].index = i;
		items[s.n].weight = w;
		items[s.n].gain = cand[i].gain;
		s.n++;
	}
	qsort(items, s.n, sizeof(*items), sel_item_cmp);
	s.items = items;
	s.best_gain = -1.0;
	s.best_weight = INT64_MAX;
	sel_branch(&s, 0, room, 0.0, 0);

	for (size_t k = 0; k < s.n; k++) {
		if (s.best_take[k])
			chosen[items[k].index] = true;
	}
	out->gain = 0.0;
	out->penalty = 0.0;
	out->count = 0;
	for (size_t i = 0; i < n; i++) {
		if (!chosen[i])
			continue;
		out->gain += cand[i].gain;
		out->penalty += cand[i].penalty;
		out->count++;
	}
	ret = 0;

out_free:
	free(s.best_take);
	free(s.take);
	free(items);
	return ret;
}
