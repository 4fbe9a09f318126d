// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cli_models.c - one hk-scores subcommand per model of libhkscores
 *
 * Each subcommand is a parameter table, one library call, and a report.
 * When the library refuses the input after every parameter passed its own
 * range check, what is wrong involves several parameters at once; the
 * message says which rule that is.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "hkscores.h"
#include "jsonnum.h"

int cmd_utility(const struct cli_cmd *cmd, int argc, char **argv)
{
	struct cli_param p[] = {
		CLI_PARAM_REQ("w-s", CLI_NONNEG, "weight of security, w_S"),
		CLI_PARAM_REQ("w-p", CLI_NONNEG, "weight of performance, w_P"),
		CLI_PARAM_REQ("w-c", CLI_NONNEG, "weight of cost, w_C"),
		CLI_PARAM_REQ("s", CLI_PROB, "normalised security (isolation) S"),
		CLI_PARAM_REQ("p", CLI_PROB, "normalised performance P"),
		CLI_PARAM_REQ("c", CLI_PROB, "normalised cost C"),
		CLI_PARAM_END,
	};
	struct hks_weights w;
	struct cli_report r;
	struct cli_args a;
	double u;

	CLI_PARSE(cmd, p, argc, argv, &a);
	w.security = p[0].num;
	w.performance = p[1].num;
	w.cost = p[2].num;
	if (hks_utility(&w, p[3].num, p[4].num, p[5].num, &u))
		return cli_fail(cmd, EXIT_USAGE,
				"the weights must sum to 1 (they sum to %.12g)",
				w.security + w.performance + w.cost);

	cli_report_init(&r, cmd, p);
	cli_report_num(&r, "utility", "U = w_S S + w_P P - w_C C", u, NULL);
	return cli_report_print(&r, a.json);
}

int cmd_latency(const struct cli_cmd *cmd, int argc, char **argv)
{
	struct cli_param p[] = {
		CLI_PARAM_REQ("c-sys", CLI_NONNEG, "cost of one system call"),
		CLI_PARAM_REQ("c-ipc", CLI_NONNEG, "cost of one message between processes"),
		CLI_PARAM_REQ("c-copy", CLI_NONNEG, "cost of copying the message once"),
		CLI_PARAM_REQ("t-k", CLI_NONNEG, "service time in the kernel"),
		CLI_PARAM_REQ("t-u", CLI_NONNEG, "service time in the server"),
		CLI_PARAM_END,
	};
	struct hks_latency l;
	struct cli_report r;
	struct cli_args a;

	CLI_PARSE(cmd, p, argc, argv, &a);
	if (hks_latency(p[0].num, p[1].num, p[2].num, p[3].num, p[4].num, &l))
		return cli_fail(cmd, EXIT_USAGE, "invalid parameters");

	cli_report_init(&r, cmd, p);
	cli_report_num(&r, "t_kernel", "T_k = 2c_sys + 2c_copy + t_k", l.kernel, NULL);
	cli_report_num(&r, "t_user", "T_u = 4c_ipc + 4c_copy + t_u", l.user, NULL);
	cli_report_num(&r, "delta", "delta T = T_u - T_k", l.delta, NULL);
	cli_report_num(&r, "slowdown", "T_u / T_k",
		       l.kernel > 0.0 ? l.user / l.kernel : INFINITY, NULL);
	return cli_report_print(&r, a.json);
}

int cmd_throughput(const struct cli_cmd *cmd, int argc, char **argv)
{
	struct cli_param p[] = {
		CLI_PARAM_REQ("alpha", CLI_NONNEG, "cost of one crossing, in copy units"),
		CLI_PARAM_REQ("beta", CLI_PROB, "copies added: 1 full copy, 0 zero-copy"),
		CLI_PARAM_OPT("k", CLI_POSITIVE, 1.0,
		    "kernel path's own work in copy units (bounded form)"),
		CLI_PARAM_END,
	};
	struct hks_throughput t;
	struct cli_report r;
	struct cli_args a;

	CLI_PARSE(cmd, p, argc, argv, &a);
	if (hks_throughput(p[0].num, p[1].num, p[2].num, &t))
		return cli_fail(cmd, EXIT_USAGE, "invalid parameters");

	cli_report_init(&r, cmd, p);
	cli_report_num(&r, "ratio", "T = 2 / (1 + beta + 2 alpha)", t.ratio, NULL);
	cli_report_bool(&r, "beyond", "T > 1 (beyond what FUSE/TAP can do)",
			t.beyond);
	cli_report_num(&r, "bounded", "K / (K + beta + 2 alpha)", t.bounded, NULL);
	return cli_report_print(&r, a.json);
}

int cmd_copy(const struct cli_cmd *cmd, int argc, char **argv)
{
	struct cli_param p[] = {
		CLI_PARAM_REQ("t-copy", CLI_NONNEG, "cost of one copy unit"),
		CLI_PARAM_OPT("t-remap", CLI_NONNEG, 0.0,
		    "cost of remapping instead of copying one unit"),
		CLI_PARAM_END,
	};
	struct hks_copy_class *cls;
	struct cli_report r;
	struct cli_args a;
	double plain, remap;
	int ret;

	CLI_PARSE(cmd, p, argc, argv, &a);
	if (!a.npos)
		return cli_fail(cmd, EXIT_USAGE,
				"give at least one message class W:K:A:P");
	cls = calloc((size_t)a.npos, sizeof(*cls));
	if (!cls)
		return cli_fail(cmd, EXIT_FAILURE, "out of memory");
	for (int i = 0; i < a.npos; i++) {
		double v[4];

		if (cli_parse_fields(a.pos[i], v, 4, 4, NULL) != 4 ||
		    v[0] < 0.0 || v[1] < 0.0 || v[2] < 0.0 || v[2] > 1.0 ||
		    v[3] < 0.0 || v[3] > 1.0) {
			free(cls);
			return cli_fail(cmd, EXIT_USAGE,
					"class '%s': expected W:K:A:P with W, K >= 0 and A, P in [0, 1]",
					a.pos[i]);
		}
		cls[i] = (struct hks_copy_class){ v[0], v[1], v[2], v[3] };
	}
	ret = hks_copy_cost(cls, (size_t)a.npos, p[0].num, &plain);
	if (!ret)
		ret = hks_copy_cost_remap(cls, (size_t)a.npos, p[0].num,
					  p[1].num, &remap);
	free(cls);
	if (ret)
		return cli_fail(cmd, EXIT_USAGE,
				"the class weights W must sum to 1");

	cli_report_init(&r, cmd, p);
	cli_report_num(&r, "cost", "E[C], zero-copy free", plain, NULL);
	cli_report_num(&r, "cost_remap", "E[C], remapping charged t_remap",
		       remap, NULL);
	return cli_report_print(&r, a.json);
}

int cmd_jitter(const struct cli_cmd *cmd, int argc, char **argv)
{
	struct cli_param p[] = {
		CLI_PARAM_REQ("delta", CLI_NONNEG, "mean of the exponential scheduling delay"),
		CLI_PARAM_END,
	};
	struct cli_report r;
	struct cli_args a;
	double j;

	CLI_PARSE(cmd, p, argc, argv, &a);
	if (hks_jitter(p[0].num, &j))
		return cli_fail(cmd, EXIT_USAGE, "invalid parameters");

	cli_report_init(&r, cmd, p);
	cli_report_num(&r, "jitter", "J = delta sqrt(2) (RMS)", j, NULL);
	return cli_report_print(&r, a.json);
}

int cmd_underrun(const struct cli_cmd *cmd, int argc, char **argv)
{
	struct cli_param p[] = {
		CLI_PARAM_REQ("lambda", CLI_POSITIVE, "1 / mean scheduling delay, per second"),
		CLI_PARAM_REQ("buffer", CLI_POSITIVE, "buffer size B, frames"),
		CLI_PARAM_REQ("rate", CLI_POSITIVE, "consumption rate r, frames per second"),
		CLI_PARAM_OPT("t-s", CLI_NONNEG, 0.0, "fixed service time T_s, seconds"),
		CLI_PARAM_END,
	};
	struct hks_underrun u;
	struct cli_report r;
	struct cli_args a;

	CLI_PARSE(cmd, p, argc, argv, &a);
	if (hks_underrun(p[0].num, p[1].num, p[2].num, p[3].num, &u))
		return cli_fail(cmd, EXIT_USAGE, "invalid parameters");

	cli_report_init(&r, cmd, p);
	cli_report_num(&r, "slack", "slack B/r - T_s", u.slack, "s");
	cli_report_num(&r, "probability", "P_u per buffer period", u.probability, NULL);
	cli_report_num(&r, "per_second", "underruns per second", u.per_second, "/s");
	return cli_report_print(&r, a.json);
}

int cmd_fastpath(const struct cli_cmd *cmd, int argc, char **argv)
{
	struct cli_param p[] = {
		CLI_PARAM_REQ("tau", CLI_NONNEG, "cache timeout, seconds"),
		CLI_PARAM_REQ("nu", CLI_NONNEG, "lookups of an entry per second"),
		CLI_PARAM_OPT("mu", CLI_NONNEG, 0.0, "changes behind the cache per second"),
		CLI_PARAM_REQ("t-u", CLI_NONNEG, "cost of an operation through the server"),
		CLI_PARAM_REQ("t-fast", CLI_NONNEG, "cost of an operation on the fast path"),
		CLI_PARAM_OPT("c-err", CLI_NONNEG, 0.0, "cost of one stale answer"),
		CLI_PARAM_END,
	};
	struct hks_fuse_cache fc;
	struct cli_report r;
	struct cli_args a;
	double gain;

	CLI_PARSE(cmd, p, argc, argv, &a);
	if (hks_fuse_cache(p[0].num, p[1].num, p[2].num, &fc) ||
	    hks_fastpath_gain(fc.hit_rate, p[3].num, p[4].num, fc.p_stale,
			      p[5].num, &gain))
		return cli_fail(cmd, EXIT_USAGE, "invalid parameters");

	cli_report_init(&r, cmd, p);
	cli_report_num(&r, "hit_rate", "f = nu tau / (1 + nu tau)", fc.hit_rate, NULL);
	cli_report_num(&r, "p_stale", "p_stale", fc.p_stale, NULL);
	cli_report_num(&r, "gain", "gain per operation", gain, NULL);
	cli_report_num(&r, "gain_per_second", "gain per second (x nu)",
		       gain * p[1].num, NULL);
	return cli_report_print(&r, a.json);
}

int cmd_ebpf(const struct cli_cmd *cmd, int argc, char **argv)
{
	struct cli_param p[] = {
		CLI_PARAM_REQ("t-verify", CLI_NONNEG, "one-time cost of verifying and loading"),
		CLI_PARAM_REQ("t-up", CLI_NONNEG, "cost of one upcall to user space"),
		CLI_PARAM_REQ("t-exec", CLI_NONNEG, "cost of one run of the extension"),
		CLI_PARAM_OPT("n", CLI_POSITIVE, 1.0, "events to amortise the load over"),
		CLI_PARAM_END,
	};
	struct cli_report r;
	struct cli_args a;
	double n, per_event;

	CLI_PARSE(cmd, p, argc, argv, &a);
	if (hks_ebpf_break_even(p[0].num, p[1].num, p[2].num, &n) ||
	    hks_ebpf_cost(p[2].num, p[0].num, p[3].num, &per_event))
		return cli_fail(cmd, EXIT_USAGE, "invalid parameters");

	cli_report_init(&r, cmd, p);
	cli_report_num(&r, "break_even", "break-even N (events)", n, NULL);
	cli_report_bool(&r, "ever_pays", "extension ever pays", isfinite(n));
	cli_report_num(&r, "per_event", "cost per event at --n", per_event, NULL);
	cli_report_bool(&r, "beats_upcall", "cheaper than an upcall at --n",
			per_event < p[1].num);
	return cli_report_print(&r, a.json);
}

/* ------------------------------------------------------------- migration */

static int migration_print(const struct hks_candidate *c, size_t n,
			   const size_t *order, const double *score,
			   const bool *chosen, const struct hks_selection *sel,
			   double budget)
{
	int w = 4;

	for (size_t i = 0; i < n; i++) {
		int len = (int)strlen(c[i].name);

		w = len > w ? len : w;
	}
	printf("%4s  %-*s  %10s  %10s  %10s  %10s%s\n", "rank", w, "name",
	       "effort", "penalty", "gain", "j", chosen ? "  chosen" : "");
	for (size_t k = 0; k < n; k++) {
		size_t i = order[k];

		printf("%4zu  %-*s  %10.4g  %10.4g  %10.4g  %10.4g%s\n", k + 1,
		       w, c[i].name, c[i].effort, c[i].penalty, c[i].gain,
		       score[i], !chosen ? "" : chosen[i] ? "  yes" : "  no");
	}
	if (chosen)
		printf("\nbudget %.6g: chose %zu, gain %.6g, penalty %.6g\n",
		       budget, sel->count, sel->gain, sel->penalty);
	return fflush(stdout) ? EXIT_FAILURE : 0;
}

static struct json_object *migration_json(const struct cli_param *p,
					  const struct hks_candidate *c,
					  size_t n, const size_t *order,
					  const double *score,
					  const bool *chosen,
					  const struct hks_selection *sel)
{
	struct json_object *root = json_object_new_object();
	struct json_object *out = json_object_new_object();
	struct json_object *ranking = json_object_new_array();

	json_object_object_add(root, "model", json_object_new_string("migration"));
	json_object_object_add(root, "inputs", cli_inputs_json(p));
	for (size_t k = 0; k < n; k++) {
		struct json_object *e = json_object_new_object();
		size_t i = order[k];

		json_object_object_add(e, "rank", json_object_new_uint64(k + 1));
		json_object_object_add(e, "name", json_object_new_string(c[i].name));
		jsonnum_add(e, "effort", c[i].effort);
		jsonnum_add(e, "penalty", c[i].penalty);
		jsonnum_add(e, "gain", c[i].gain);
		jsonnum_add(e, "j", score[i]);
		if (chosen)
			json_object_object_add(e, "chosen",
					       json_object_new_boolean(chosen[i]));
		json_object_array_add(ranking, e);
	}
	json_object_object_add(out, "ranking", ranking);
	if (chosen) {
		struct json_object *s = json_object_new_object();

		jsonnum_add(s, "gain", sel->gain);
		jsonnum_add(s, "penalty", sel->penalty);
		json_object_object_add(s, "count", json_object_new_uint64(sel->count));
		json_object_object_add(out, "selection", s);
	}
	json_object_object_add(root, "outputs", out);
	return root;
}

int cmd_migration(const struct cli_cmd *cmd, int argc, char **argv)
{
	struct cli_param p[] = {
		CLI_PARAM_OPT("alpha", CLI_NONNEG, 1.0, "weight of the migration effort"),
		CLI_PARAM_OPT("beta", CLI_NONNEG, 1.0, "weight of the measured penalty"),
		CLI_PARAM_OPT("budget", CLI_NONNEG, 0.0,
		    "choose the moves of largest gain within this total penalty"),
		CLI_PARAM_END,
	};
	struct hks_candidate *c = NULL;
	struct hks_selection sel = { 0 };
	size_t *order = NULL, n;
	double *score = NULL;
	bool *chosen = NULL;
	struct cli_args a;
	int ret;

	CLI_PARSE(cmd, p, argc, argv, &a);
	if (!a.npos)
		return cli_fail(cmd, EXIT_USAGE,
				"give at least one candidate NAME:EFFORT:PENALTY[:GAIN]");
	n = (size_t)a.npos;
	c = calloc(n, sizeof(*c));
	order = calloc(n, sizeof(*order));
	score = calloc(n, sizeof(*score));
	chosen = calloc(n, sizeof(*chosen));
	if (!c || !order || !score || !chosen) {
		ret = cli_fail(cmd, EXIT_FAILURE, "out of memory");
		goto out_free;
	}
	for (size_t i = 0; i < n; i++) {
		double v[3] = { 0, 0, 0 };
		int got = cli_parse_fields(a.pos[i], v, 2, 3, &c[i].name);

		if (got < 0 || v[0] < 0.0 || v[2] < 0.0) {
			ret = cli_fail(cmd, EXIT_USAGE,
				       "candidate '%s': expected NAME:EFFORT:PENALTY[:GAIN] with EFFORT, GAIN >= 0",
				       a.pos[i]);
			goto out_free;
		}
		c[i].effort = v[0];
		c[i].penalty = v[1];
		c[i].gain = v[2];
	}
	if (hks_rank(c, n, p[0].num, p[1].num, order, score)) {
		ret = cli_fail(cmd, EXIT_USAGE, "invalid candidates");
		goto out_free;
	}
	if (p[2].set && hks_select(c, n, p[2].num, chosen, &sel)) {
		ret = cli_fail(cmd, EXIT_USAGE,
			       "cannot select: budget and |penalty| must be at most 1000");
		goto out_free;
	}
	if (a.json)
		ret = cli_print_json(migration_json(p, c, n, order, score,
						    p[2].set ? chosen : NULL, &sel));
	else
		ret = migration_print(c, n, order, score,
				      p[2].set ? chosen : NULL, &sel, p[2].num);

out_free:
	for (size_t i = 0; c && i < n; i++)
		free((char *)c[i].name);
	free(chosen);
	free(score);
	free(order);
	free(c);
	return ret;
}
