// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * plan.c - the plan: measure every candidate, rank by j = alpha c~ +
 * beta p~, choose the moves, weigh the utility of the choices, report
 *
 * A candidate's penalty p is the mean of its workloads' penalties
 * ln(perf_A / perf_B): the log of the geometric mean slowdown.  The
 * report is built from the JSON of each A/B, so a plan replayed from a
 * file (--replay) is ranked and printed exactly as a measured one.
 */
#include <errno.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jsonnum.h"
#include "log.h"
#include "migrate.h"

#define EXACT_MAX	16	/* candidates for the exhaustive best-U hybrid */

static double jnum(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !v)
		return NAN;
	return json_object_get_double(v);
}

static const char *jstr(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !v)
		return NULL;
	return json_object_get_string(v);
}

static bool jbool(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_get_boolean(v);
}

/* --------------------------------------------------------- measuring */

/* Sum up a candidate's workloads. */
static void cand_sum(struct cand_result *r)
{
	double p = 0, mp = 0;
	bool model = true;

	r->measured = r->nwl > 0;
	for (size_t i = 0; i < r->nwl; i++) {
		struct json_object *w = r->wl[i], *m;

		if (!jbool(w, "measured")) {
			if (r->measured)
				snprintf(r->why, sizeof(r->why), "%s: %s", jstr(w, "workload"),
					 jstr(w, "why") ? jstr(w, "why") : "not measured");
			r->measured = false;
			continue;
		}
		p += jnum(w, "penalty");
		if (json_object_object_get_ex(w, "model", &m) && m)
			mp += jnum(m, "penalty");
		else
			model = false;
	}
	r->penalty = r->measured ? p / (double)r->nwl : NAN;
	r->model_penalty = r->measured && model ? mp / (double)r->nwl : NAN;
}

/**
 * plan_measure() - the A/B of every workload of every candidate
 *
 * A workload that cannot be measured is reported with its reason; the plan
 * goes on with the others.
 *
 * Return: 0, or MIG_FAIL when out of memory
 */
int plan_measure(struct ab_ctx *ctx, struct plan_report *rep)
{
	const struct plan_cfg *cfg = ctx->cfg;
	double t0 = clock_s();

	rep->r = calloc(cfg->ncand ? cfg->ncand : 1, sizeof(*rep->r));
	if (!rep->r)
		return MIG_FAIL;
	rep->n = cfg->ncand;
	getloadavg(rep->load_before, 3);
	for (size_t i = 0; i < cfg->ncand; i++) {
		const struct candidate *c = &cfg->cand[i];
		struct cand_result *r = &rep->r[i];
		bool broken = false;

		r->c = c;
		for (size_t k = 0; k < c->nwl; k++) {
			struct ab_result self = { 0 }, ab;
			struct json_object *j;
			double theta = cfg->theta;

			if (broken) {
				/* the candidate itself failed: do not try it again */
				memset(&ab, 0, sizeof(ab));
				ab.wl = c->wl[k];
				snprintf(ab.why, sizeof(ab.why), "not run: %.480s", r->why);
				if (ctx->progress)
					ctx->progress(ctx->progress_arg, c->name,
						      ab_runs_per_workload(cfg));
			} else {
				if (cfg->self_check) {
					ab_run(ctx, c, c->wl[k], true, theta, &self);
					if (self.measured && theta < 0)
						theta = ab_self_theta(&self);
				}
				if (ab_run(ctx, c, c->wl[k], false, theta, &ab) &&
				    ab.setup_failed) {
					broken = true;
					snprintf(r->why, sizeof(r->why), "%s", ab.why);
				}
			}
			j = ab_result_json(&ab);
			if (interrupted) {
				broken = true;
				snprintf(r->why, sizeof(r->why), "interrupted");
			}
			if (cfg->self_check && !broken)
				json_object_object_add(j, "self_check_ab", ab_result_json(&self));
			r->wl[r->nwl++] = j;
			ab_result_free(&ab);
			ab_result_free(&self);
		}
		r->why[0] = '\0';
		cand_sum(r);
	}
	getloadavg(rep->load_after, 3);
	rep->elapsed = clock_s() - t0;
	return 0;
}

/* ----------------------------------------------------------- ranking */

static double share(double part, double all)
{
	return all > 0 ? part / all : 0;
}

static double utility(const struct plan_cfg *cfg, const struct cand_result **m,
		      size_t n, const bool *in, double gain_all, double effort_all)
{
	double g = 0, p = 0, e = 0, u = NAN;

	for (size_t i = 0; i < n; i++) {
		if (!in[i])
			continue;
		g += m[i]->c->gain;
		p += m[i]->penalty;
		e += m[i]->c->effort;
	}
	hks_utility(&cfg->w, share(g, gain_all), fmin(1.0, exp(-p)),
		    share(e, effort_all), &u);
	return u;
}

/**
 * plan_rank() - rank the measured candidates, choose the hybrid, weigh U
 *
 * With a budget the hybrid is hks_select()'s: the most isolation gain
 * within the penalty budget.  Without one it is the set with the highest
 * U: exhaustive up to EXACT_MAX candidates, else the best prefix of the
 * ranking.
 *
 * Return: 0, or MIG_FAIL
 */
int plan_rank(const struct plan_cfg *cfg, struct plan_report *rep)
{
	struct hks_candidate *hc = calloc(rep->n + 1, sizeof(*hc));
	const struct cand_result **m = calloc(rep->n + 1, sizeof(*m));
	size_t *order = calloc(rep->n + 1, sizeof(*order)), n = 0;
	double *score = calloc(rep->n + 1, sizeof(*score));
	double *cs = calloc(rep->n + 1, sizeof(*cs)), *ps = calloc(rep->n + 1, sizeof(*ps));
	bool *in = calloc(rep->n + 1, sizeof(*in)), *best = calloc(rep->n + 1, sizeof(*best));
	double gain_all = 0, effort_all = 0, u;
	int ret = MIG_FAIL;

	if (!hc || !m || !order || !score || !cs || !ps || !in || !best)
		goto out;
	for (size_t i = 0; i < rep->n; i++) {
		struct cand_result *r = &rep->r[i];

		r->rank = 0;
		r->chosen = false;
		if (!r->measured)
			continue;
		m[n] = r;
		hc[n] = (struct hks_candidate){ r->c->name, r->c->effort, r->penalty, r->c->gain };
		cs[n] = r->c->effort;
		ps[n] = r->penalty;
		gain_all += r->c->gain;
		effort_all += r->c->effort;
		n++;
	}
	if (hks_rank(hc, n, cfg->alpha, cfg->beta, order, score) ||
	    hks_normalise(cs, n, cs) || hks_normalise(ps, n, ps))
		goto out;
	for (size_t k = 0; k < n; k++) {
		struct cand_result *r = (struct cand_result *)m[order[k]];

		r->rank = k + 1;
		r->score = score[order[k]];
		r->c_norm = cs[order[k]];
		r->p_norm = ps[order[k]];
	}
	rep->budgeted = cfg->budget >= 0;
	if (rep->budgeted) {
		if (hks_select(hc, n, cfg->budget, best, &rep->sel))
			goto out;
	} else if (n <= EXACT_MAX) {
		double top = -INFINITY;

		for (unsigned long mask = 0; mask < (1ul << n); mask++) {
			for (size_t i = 0; i < n; i++)
				in[i] = mask & (1ul << i);
			u = utility(cfg, m, n, in, gain_all, effort_all);
			if (u > top + 1e-12) {
				top = u;
				memcpy(best, in, n * sizeof(*in));
			}
		}
	} else {
		double top = utility(cfg, m, n, in, gain_all, effort_all);

		for (size_t k = 0; k < n; k++) {
			in[order[k]] = true;
			u = utility(cfg, m, n, in, gain_all, effort_all);
			if (u > top + 1e-12) {
				top = u;
				memcpy(best, in, n * sizeof(*in));
			}
		}
	}
	memset(in, 0, n * sizeof(*in));
	rep->u_kernel = utility(cfg, m, n, in, gain_all, effort_all);
	rep->u_hybrid = utility(cfg, m, n, best, gain_all, effort_all);
	for (size_t i = 0; i < n; i++)
		in[i] = true;
	rep->u_moved = utility(cfg, m, n, in, gain_all, effort_all);
	rep->sel = (struct hks_selection){ 0 };
	for (size_t i = 0; i < n; i++) {
		((struct cand_result *)m[i])->chosen = best[i];
		if (best[i]) {
			rep->sel.gain += m[i]->c->gain;
			rep->sel.penalty += m[i]->penalty;
			rep->sel.count++;
		}
	}
	ret = 0;
out:
	free(hc);
	free(m);
	free(order);
	free(score);
	free(cs);
	free(ps);
	free(in);
	free(best);
	return ret;
}

void plan_report_free(struct plan_report *rep)
{
	for (size_t i = 0; i < rep->n; i++)
		for (size_t k = 0; k < rep->r[i].nwl; k++)
			json_object_put(rep->r[i].wl[k]);
	free(rep->r);
	json_object_put(rep->cal);
	memset(rep, 0, sizeof(*rep));
}

/* ---------------------------------------------------------- printing */

/* One workload: A and B medians, B/A with its interval, the verdict, the
 * penalty and what the model predicted. */
void print_workload_row(FILE *f, int width, const char *cand,
			struct json_object *w)
{
	struct json_object *ab, *m, *ci, *cpu;
	char a[32], b[32], ratio[24], civ[40], pen[16], model[16], err_s[16];
	char cpur[16], theta[16];

	if (!jbool(w, "measured")) {
		fprintf(f, "%-*s %-9s not measured: %s\n", width, cand, jstr(w, "workload"),
			jstr(w, "why") ? jstr(w, "why") : "?");
		return;
	}
	json_object_object_get_ex(w, "ab", &ab);
	fmt_metric(a, sizeof(a), jnum(ab, "median_a"));
	fmt_metric(b, sizeof(b), jnum(ab, "median_b"));
	snprintf(ratio, sizeof(ratio), "%.3f", jnum(ab, "ratio"));
	json_object_object_get_ex(ab, "ci", &ci);
	snprintf(civ, sizeof(civ), "%.3f-%.3f",
		 json_object_get_double(json_object_array_get_idx(ci, 0)),
		 json_object_get_double(json_object_array_get_idx(ci, 1)));
	snprintf(pen, sizeof(pen), "%+.3f", jnum(w, "penalty"));
	snprintf(theta, sizeof(theta), "%.3f",
		 jnum(json_object_object_get(ab, "method"), "theta"));
	json_object_object_get_ex(w, "cpu_s", &cpu);
	snprintf(cpur, sizeof(cpur), "%.2f", jnum(cpu, "B") / jnum(cpu, "A"));
	if (json_object_object_get_ex(w, "model", &m) && m) {
		snprintf(model, sizeof(model), "%+.3f", jnum(m, "penalty"));
		snprintf(err_s, sizeof(err_s), "%+.0f%%", 100 * jnum(m, "error"));
	} else {
		snprintf(model, sizeof(model), "-");
		snprintf(err_s, sizeof(err_s), "-");
	}
	fprintf(f, "%-*s %-9s %-6s %9s %9s %6s %-11s %-12s %5s %7s %7s %6s %5s\n",
		width, cand, jstr(w, "workload"), jstr(w, "unit"), a, b, ratio, civ,
		jstr(ab, "verdict"), theta, pen, model, err_s, cpur);
}

void print_workload_head(FILE *f, int width)
{
	fprintf(f, "%-*s %-9s %-6s %9s %9s %6s %-11s %-12s %5s %7s %7s %6s %5s\n",
		width, "candidate", "workload", "unit", "A kernel", "B user", "B/A",
		"95% CI", "verdict", "theta", "p", "model p", "error", "cpu");
}

int name_width(const struct plan_report *rep)
{
	int w = 9;

	for (size_t i = 0; i < rep->n; i++)
		if ((int)strlen(rep->r[i].c->name) > w)
			w = (int)strlen(rep->r[i].c->name);
	return w;
}

void plan_print(const struct plan_cfg *cfg, const struct plan_report *rep,
		FILE *f)
{
	int width = name_width(rep);
	bool any_rank = false;

	fprintf(f, "Measured: %u pairs (AB, BA, ...) after %u warm-up pair%s, %g s per run, seed %llu, %s;\n"
		"load average %.2f %.2f %.2f before, %.2f %.2f %.2f after; %.0f s in all.\n\n",
		cfg->pairs, cfg->warmup, cfg->warmup == 1 ? "" : "s", cfg->seconds,
		(unsigned long long)cfg->seed,
		cfg->self_check ? "theta from an A/A run of each workload" :
		cfg->theta >= 0 ? "theta as given" : "theta 0.02 (default)",
		rep->load_before[0], rep->load_before[1], rep->load_before[2],
		rep->load_after[0], rep->load_after[1], rep->load_after[2], rep->elapsed);
	print_workload_head(f, width);
	for (size_t i = 0; i < rep->n; i++) {
		const struct cand_result *r = &rep->r[i];

		if (!r->nwl)
			fprintf(f, "%-*s %-9s not measured: %s\n", width, r->c->name, "-", r->why);
		for (size_t k = 0; k < r->nwl; k++)
			print_workload_row(f, width, k ? "" : r->c->name, r->wl[k]);
	}
	fprintf(f, "\nB/A is the ratio of the medians' metric (a rate, or a time for us and s);\n"
		"p = ln(perf A / perf B), 0 = no cost; error = (model B/A - measured B/A) / measured;\n"
		"cpu = CPU time of B / of A, the servers included.\n\n");

	fprintf(f, "Ranking by j = %g c~ + %g p~ (c~, p~: effort and penalty over their largest magnitude)\n",
		cfg->alpha, cfg->beta);
	fprintf(f, "%-4s %-*s %7s %8s %8s %7s %7s %7s %6s  %s\n", "rank", width, "candidate",
		"effort", "p", "model p", "c~", "p~", "j", "gain",
		rep->budgeted ? "chosen" : "in hybrid");
	for (size_t k = 1; k <= rep->n; k++)
		for (size_t i = 0; i < rep->n; i++) {
			const struct cand_result *r = &rep->r[i];
			char mp[16];

			if (r->rank != k)
				continue;
			any_rank = true;
			if (isnan(r->model_penalty))
				snprintf(mp, sizeof(mp), "-");
			else
				snprintf(mp, sizeof(mp), "%+.3f", r->model_penalty);
			fprintf(f, "%-4zu %-*s %7.3g %+8.3f %8s %7.3f %+7.3f %+7.3f %6.3g  %s\n",
				k, width, r->c->name, r->c->effort, r->penalty, mp, r->c_norm,
				r->p_norm, r->score, r->c->gain, r->chosen ? "yes" : "no");
		}
	for (size_t i = 0; i < rep->n; i++)
		if (!rep->r[i].measured)
			fprintf(f, "-    %-*s not ranked: %s\n", width, rep->r[i].c->name, rep->r[i].why);
	if (!any_rank) {
		fprintf(f, "\nNothing was measured: no plan.\n");
		return;
	}
	fprintf(f, "\nUtility U = %.3g S + %.3g P - %.3g C  (S: share of the isolation gain moved,\n"
		"P: exp(-total penalty), at most 1; C: share of the effort spent)\n",
		cfg->w.security, cfg->w.performance, cfg->w.cost);
	fprintf(f, "  all in kernel   U = %+.4f\n", rep->u_kernel);
	fprintf(f, "  hybrid          U = %+.4f  (%zu move%s, %s: gain %.3g, penalty %+.3f)\n",
		rep->u_hybrid, rep->sel.count, rep->sel.count == 1 ? "" : "s",
		rep->budgeted ? "the most isolation gain within the budget" : "the best U",
		rep->sel.gain, rep->sel.penalty);
	if (rep->budgeted)
		fprintf(f, "                  (penalty budget %g)\n", cfg->budget);
	fprintf(f, "  all moved       U = %+.4f\n", rep->u_moved);
	/* S = C = 1 when all is moved: U = w_S - w_C + w_P P against w_P */
	if (cfg->w.security - cfg->w.cost >= cfg->w.performance)
		fprintf(f, "Note: with w_S - w_C >= w_P, all moved never loses to all in kernel, whatever\n"
			"its penalty: these weights cannot say that a move costs too much.\n");
}

/* -------------------------------------------------------------- JSON */

struct json_object *plan_json(const struct plan_cfg *cfg,
			      const struct plan_report *rep)
{
	struct json_object *o = json_object_new_object(), *m, *a, *cands, *rank;
	struct utsname un;

	json_object_object_add(o, "hybridkit", json_object_new_string("plan"));
	json_object_object_add(o, "format", json_object_new_int(1));
	json_object_object_add(o, "tool", json_object_new_string("hk-migrate " PACKAGE_VERSION));

	m = json_object_new_object();
	json_object_object_add(m, "order", json_object_new_string("AB, BA, AB, ..."));
	json_object_object_add(m, "pairs", json_object_new_int((int)cfg->pairs));
	json_object_object_add(m, "warmup_pairs", json_object_new_int((int)cfg->warmup));
	jsonnum_add(m, "seconds_per_run", cfg->seconds);
	json_object_object_add(m, "seed", json_object_new_int64((int64_t)cfg->seed));
	json_object_object_add(m, "self_check", json_object_new_boolean(cfg->self_check));
	if (cfg->theta >= 0)
		jsonnum_add(m, "theta", cfg->theta);
	else
		json_object_object_add(m, "theta", NULL);
	jsonnum_add(m, "alpha", cfg->alpha);
	jsonnum_add(m, "beta", cfg->beta);
	if (cfg->budget >= 0)
		jsonnum_add(m, "budget", cfg->budget);
	else
		json_object_object_add(m, "budget", NULL);
	a = json_object_new_object();
	jsonnum_add(a, "S", cfg->w.security);
	jsonnum_add(a, "P", cfg->w.performance);
	jsonnum_add(a, "C", cfg->w.cost);
	json_object_object_add(m, "weights", a);
	json_object_object_add(m, "penalty", json_object_new_string(
				       "mean over the workloads of ln(perf A / perf B)"));
	json_object_object_add(o, "method", m);

	m = json_object_new_object();
	if (!uname(&un)) {
		json_object_object_add(m, "kernel", json_object_new_string(un.release));
		json_object_object_add(m, "arch", json_object_new_string(un.machine));
	}
	json_object_object_add(m, "cpus", json_object_new_int((int)sysconf(_SC_NPROCESSORS_ONLN)));
	a = json_object_new_array();
	for (int i = 0; i < 3; i++)
		json_object_array_add(a, jsonnum_new(rep->load_before[i]));
	json_object_object_add(m, "loadavg_before", a);
	a = json_object_new_array();
	for (int i = 0; i < 3; i++)
		json_object_array_add(a, jsonnum_new(rep->load_after[i]));
	json_object_object_add(m, "loadavg_after", a);
	json_object_object_add(o, "machine", m);
	json_object_object_add(o, "calibration", json_object_get(rep->cal));

	cands = json_object_new_array();
	rank = json_object_new_array();
	for (size_t i = 0; i < rep->n; i++) {
		const struct cand_result *r = &rep->r[i];
		struct json_object *c = json_object_new_object();

		json_object_object_add(c, "name", json_object_new_string(r->c->name));
		json_object_object_add(c, "kind", json_object_new_string(
					       r->c->kind == KIND_FS ? "fs" : "net"));
		json_object_object_add(c, "target", json_object_new_string(r->c->target));
		jsonnum_add(c, "effort", r->c->effort);
		jsonnum_add(c, "gain", r->c->gain);
		if (r->c->fast_path)
			json_object_object_add(c, "fast_path", json_object_new_string(r->c->fast_path));
		json_object_object_add(c, "measured", json_object_new_boolean(r->measured));
		if (!r->measured)
			json_object_object_add(c, "why", json_object_new_string(r->why));
		a = json_object_new_array();
		for (size_t k = 0; k < r->nwl; k++)
			json_object_array_add(a, json_object_get(r->wl[k]));
		json_object_object_add(c, "workloads", a);
		if (r->measured) {
			jsonnum_add(c, "penalty", r->penalty);
			if (isnan(r->model_penalty))
				json_object_object_add(c, "model_penalty", NULL);
			else
				jsonnum_add(c, "model_penalty", r->model_penalty);
			jsonnum_add(c, "effort_norm", r->c_norm);
			jsonnum_add(c, "penalty_norm", r->p_norm);
			jsonnum_add(c, "score", r->score);
			json_object_object_add(c, "rank", json_object_new_int((int)r->rank));
			json_object_object_add(c, "chosen", json_object_new_boolean(r->chosen));
		}
		json_object_array_add(cands, c);
	}
	for (size_t k = 1; k <= rep->n; k++)
		for (size_t i = 0; i < rep->n; i++)
			if (rep->r[i].rank == k)
				json_object_array_add(rank, json_object_new_string(rep->r[i].c->name));
	json_object_object_add(o, "candidates", cands);
	json_object_object_add(o, "ranking", rank);

	m = json_object_new_object();
	json_object_object_add(m, "rule", json_object_new_string(
				       rep->budgeted ? "most isolation gain within the penalty budget (exact)" :
				       "highest utility U"));
	a = json_object_new_array();
	for (size_t i = 0; i < rep->n; i++)
		if (rep->r[i].chosen)
			json_object_array_add(a, json_object_new_string(rep->r[i].c->name));
	json_object_object_add(m, "chosen", a);
	jsonnum_add(m, "gain", rep->sel.gain);
	jsonnum_add(m, "penalty", rep->sel.penalty);
	json_object_object_add(o, "selection", m);
	m = json_object_new_object();
	jsonnum_add(m, "all_in_kernel", rep->u_kernel);
	jsonnum_add(m, "hybrid", rep->u_hybrid);
	jsonnum_add(m, "all_moved", rep->u_moved);
	json_object_object_add(o, "utility", m);
	jsonnum_add(o, "elapsed_s", rep->elapsed);
	return o;
}

/* ------------------------------------------------------------ replay */

/**
 * plan_replay() - the candidates and measurements of a plan's JSON, to be
 * ranked again (with other weights, another budget)
 *
 * Return: 0, or MIG_USAGE when the file is not a plan
 */
int plan_replay(const char *path, struct plan_cfg *cfg, struct plan_report *rep)
{
	struct json_object *o = json_object_from_file(path), *cands, *w;
	int ret = MIG_USAGE;

	if (!o) {
		err("%s: not a JSON plan written by hk-migrate --json: %s", path,
		    json_util_get_last_err());
		return MIG_USAGE;
	}
	if (!jstr(o, "hybridkit") || strcmp(jstr(o, "hybridkit"), "plan") ||
	    !json_object_object_get_ex(o, "candidates", &cands) ||
	    !json_object_is_type(cands, json_type_array)) {
		err("%s: not a JSON plan written by hk-migrate --json", path);
		goto out;
	}
	cfg->cand = calloc(json_object_array_length(cands) + 1, sizeof(*cfg->cand));
	rep->r = calloc(json_object_array_length(cands) + 1, sizeof(*rep->r));
	if (!cfg->cand || !rep->r)
		goto out;
	for (size_t i = 0; i < json_object_array_length(cands); i++) {
		struct json_object *c = json_object_array_get_idx(cands, i);
		struct candidate *cd = &cfg->cand[cfg->ncand];
		struct cand_result *r = &rep->r[rep->n];
		const char *name = jstr(c, "name");

		if (!name || candidate_parse(name, cd, NULL, 0)) {
			err("%s: candidate %zu has no valid name", path, i + 1);
			goto out;
		}
		cfg->ncand++;
		cd->effort = jnum(c, "effort");
		cd->gain = jnum(c, "gain");
		if (!(cd->effort >= 0) || !(cd->gain >= 0)) {
			err("%s: %s: effort and gain must be numbers >= 0", path, name);
			goto out;
		}
		if (jstr(c, "fast_path"))
			cd->fast_path = strdup(jstr(c, "fast_path"));
		r->c = cd;
		rep->n++;
		json_object_object_get_ex(c, "workloads", &w);
		for (size_t k = 0; k < json_object_array_length(w) && k < WL_MAX; k++) {
			struct json_object *x = json_object_array_get_idx(w, k);

			if (jbool(x, "measured") && !(isfinite(jnum(x, "penalty")) &&
			    json_object_object_get_ex(x, "ab", NULL))) {
				err("%s: %s: a measured workload without its penalty and A/B", path, name);
				goto out;
			}
			r->wl[r->nwl++] = json_object_get(x);
		}
		if (!r->nwl)
			snprintf(r->why, sizeof(r->why), "%s", jstr(c, "why") ? jstr(c, "why") : "no workload");
		else
			cand_sum(r);
	}
	if (json_object_object_get_ex(o, "calibration", &w) && w)
		rep->cal = json_object_get(w);
	if (json_object_object_get_ex(o, "machine", &w)) {
		for (int i = 0; i < 3; i++) {
			rep->load_before[i] = json_object_get_double(json_object_array_get_idx(
				json_object_object_get(w, "loadavg_before"), (size_t)i));
			rep->load_after[i] = json_object_get_double(json_object_array_get_idx(
				json_object_object_get(w, "loadavg_after"), (size_t)i));
		}
	}
	rep->elapsed = jnum(o, "elapsed_s");
	if (json_object_object_get_ex(o, "method", &w)) {
		cfg->pairs = (unsigned int)json_object_get_int(json_object_object_get(w, "pairs"));
		cfg->warmup = (unsigned int)json_object_get_int(json_object_object_get(w, "warmup_pairs"));
		cfg->seconds = jnum(w, "seconds_per_run");
		cfg->seed = (uint64_t)json_object_get_int64(json_object_object_get(w, "seed"));
		cfg->self_check = jbool(w, "self_check");
		if (!isnan(jnum(w, "theta")))
			cfg->theta = jnum(w, "theta");
	}
	ret = 0;
out:
	json_object_put(o);
	return ret;
}

/* ---------------------------------------------------------- the plot */

/* gnuplot reads the data inline; a name may not hold a quote. */
static void plot_name(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++)
		fputc(*s == '"' ? '\'' : *s, f);
	fputc('"', f);
}

/**
 * plan_plot() - draw each workload's B performance relative to A with its
 * 95% interval, and the ranking, through gnuplot; PNG or SVG by the name
 *
 * Return: 0, MIG_USAGE (a name that is neither), MIG_FAIL (gnuplot failed)
 */
int plan_plot(const struct plan_cfg *cfg, const struct plan_report *rep,
	      const char *path)
{
	const char *dot = strrchr(path, '.');
	const char *term;
	size_t rows = 0, nrank = 0;
	int status;
	FILE *f;

	if (dot && !strcmp(dot, ".svg"))
		term = "svg size 1000,800 dynamic font 'sans,11'";
	else if (dot && !strcmp(dot, ".png"))
		term = "pngcairo size 1000,800 font 'sans,10'";
	else {
		err("--plot %s: the name must end in .png or .svg", path);
		return MIG_USAGE;
	}
	f = popen("gnuplot", "w");
	if (!f) {
		err_perror(errno, "--plot: cannot run gnuplot");
		return MIG_FAIL;
	}
	fprintf(f, "set terminal %s noenhanced\nset output ", term);
	plot_name(f, path);
	fprintf(f, "\n$perf << EOD\n");
	for (size_t i = 0; i < rep->n; i++)
		for (size_t k = 0; k < rep->r[i].nwl; k++) {
			struct json_object *w = rep->r[i].wl[k], *ab, *ci;
			double lo, hi, v;
			char label[600];

			if (!jbool(w, "measured"))
				continue;
			json_object_object_get_ex(w, "ab", &ab);
			json_object_object_get_ex(ab, "ci", &ci);
			v = exp(-jnum(w, "penalty"));
			lo = json_object_get_double(json_object_array_get_idx(ci, 0));
			hi = json_object_get_double(json_object_array_get_idx(ci, 1));
			if (!jbool(w, "higher_is_better")) {	/* a time: perf is 1/x */
				double t = lo;

				lo = 1 / hi;
				hi = 1 / t;
			}
			snprintf(label, sizeof(label), "%s %s", rep->r[i].c->name, jstr(w, "workload"));
			fprintf(f, "%zu ", rows++);
			plot_name(f, label);
			fprintf(f, " %.6g %.6g %.6g\n", v, lo, hi);
		}
	fprintf(f, "EOD\n$rank << EOD\n");
	for (size_t k = 1; k <= rep->n; k++)
		for (size_t i = 0; i < rep->n; i++)
			if (rep->r[i].rank == k) {
				fprintf(f, "%zu ", nrank++);
				plot_name(f, rep->r[i].c->name);
				fprintf(f, " %.6g %d\n", rep->r[i].score, rep->r[i].chosen);
			}
	fprintf(f, "EOD\n"
		"set multiplot layout 2,1\n"
		"set title 'B (user space) performance relative to A (kernel), median and 95%% interval'\n"
		"set ylabel 'perf B / perf A'\nset grid ytics\nset xtics rotate by -30\n"
		"set xrange [-0.5:%g]\nset offsets 0,0,0.05,0.05\n"
		"set style fill solid 0.5\n"
		"plot 1 with lines lc 'gray' notitle, \\\n"
		"     $perf using 1:3:4:5:xtic(2) with yerrorbars pt 7 lc 'navy' notitle\n"
		"set title sprintf('Ranking by j = %%g c~ + %%g p~ (lowest first; dark: chosen)', %g, %g)\n"
		"set ylabel 'j'\nset xrange [-0.5:%g]\nset yrange [0:*]\nset boxwidth 0.6\n"
		"plot $rank using 1:3:($4 > 0 ? 0x1f3a93 : 0x9fb3e0):xtic(2) with boxes lc rgb variable notitle\n"
		"unset multiplot\n",
		(double)rows - 0.5, cfg->alpha, cfg->beta, (double)nrank - 0.5);
	status = pclose(f);
	if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status)) {
		err("--plot %s: gnuplot failed (is the Debian package gnuplot-nox installed?)", path);
		return MIG_FAIL;
	}
	return 0;
}
