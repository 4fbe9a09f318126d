// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cli_ab.c - hk-scores ab: the A/B statistics on paired samples read from
 * a file, so that a user can judge any pair of measurements with the same
 * method the planner uses
 *
 * Input: one pair a line, "A B", separated by blanks or a comma; blank
 * lines and everything after '#' are ignored.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "hkscores.h"

struct ab_samples {
	double *a;
	double *b;
	size_t n;
	size_t cap;
};

static int ab_push(struct ab_samples *s, double a, double b)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		double *na = realloc(s->a, cap * sizeof(*na));
		double *nb;

		if (!na)
			return -ENOMEM;
		s->a = na;
		nb = realloc(s->b, cap * sizeof(*nb));
		if (!nb)
			return -ENOMEM;
		s->b = nb;
		s->cap = cap;
	}
	s->a[s->n] = a;
	s->b[s->n] = b;
	s->n++;
	return 0;
}

/* Read pairs from @f; on a bad line, report "name:line: why" and fail. */
static int ab_read(const struct cli_cmd *cmd, FILE *f, const char *name,
		   struct ab_samples *s)
{
	char *line = NULL;
	size_t len = 0;
	unsigned long lineno = 0;
	int ret = 0;

	while (getline(&line, &len, f) >= 0) {
		char *hash = strchr(line, '#'), *p = line, *end;
		double v[2];
		int k;

		lineno++;
		if (hash)
			*hash = '\0';
		for (k = 0; k < 2; k++) {
			while (*p == ' ' || *p == '\t' || *p == ',')
				p++;
			if (*p == '\n' || !*p)
				break;
			errno = 0;
			v[k] = strtod(p, &end);
			if (end == p || errno == ERANGE)
				break;
			p = end;
		}
		while (*p == ' ' || *p == '\t' || *p == ',' || *p == '\r' ||
		       *p == '\n')
			p++;
		if (k == 0 && !*p)
			continue;	/* blank or comment */
		if (k < 2 || *p) {
			ret = cli_fail(cmd, EXIT_USAGE,
				       "%s:%lu: expected two numbers 'A B'",
				       name, lineno);
			break;
		}
		if (!(isfinite(v[0]) && v[0] > 0.0 && isfinite(v[1]) &&
		      v[1] > 0.0)) {
			ret = cli_fail(cmd, EXIT_USAGE,
				       "%s:%lu: samples must be finite and > 0",
				       name, lineno);
			break;
		}
		if (ab_push(s, v[0], v[1])) {
			ret = cli_fail(cmd, EXIT_FAILURE, "out of memory");
			break;
		}
	}
	if (!ret && ferror(f))
		ret = cli_fail(cmd, EXIT_FAILURE, "%s: read error", name);
	free(line);
	return ret;
}

static int ab_print(const struct hks_ab_opts *o, const struct hks_ab_result *r)
{
	printf("pairs        %zu\n", r->pairs);
	printf("median A     %.6g\n", r->median_a);
	printf("median B     %.6g\n", r->median_b);
	printf("ratio B/A    %.4f  (%g%% CI %.4f .. %.4f, %u resamples, seed %llu)\n",
	       r->ratio, o->confidence * 100.0, r->ci_low, r->ci_high,
	       o->resamples, (unsigned long long)o->seed);
	printf("p-value      %.4g  (Wilcoxon signed-rank, %s)\n", r->p_value,
	       r->p_exact ? "exact" : "normal approximation");
	printf("outliers     %zu  (modified z > 3.5, kept)\n", r->outliers);
	printf("spread       %.2f%%  (MAD/median of B/A; unstable above %g%%)\n",
	       r->rel_mad * 100.0, o->unstable * 100.0);
	printf("verdict      %s  (theta %g%%, %s is better)\n",
	       hks_verdict_name(r->verdict), o->theta * 100.0,
	       o->higher_is_better ? "higher" : "lower");
	return fflush(stdout) ? EXIT_FAILURE : 0;
}

int cmd_ab(const struct cli_cmd *cmd, int argc, char **argv)
{
	struct cli_param p[] = {
		CLI_PARAM_OPT("theta", CLI_NONNEG, 0.02, "noise threshold for a verdict"),
		CLI_PARAM_OPT("unstable", CLI_POSITIVE, 0.10,
			      "MAD/median of B/A above which the run is unstable"),
		CLI_PARAM_OPT("confidence", CLI_PROB, 0.95, "confidence of the interval"),
		CLI_PARAM_OPT("resamples", CLI_COUNT, 4000, "bootstrap resamples (>= 100)"),
		CLI_PARAM_OPT("seed", CLI_NONNEG, 1, "bootstrap seed"),
		CLI_PARAM_OPT("higher-is-better", CLI_FLAG, 0,
			      "the metric is a rate (ops/s), not a time"),
		CLI_PARAM_END,
	};
	struct ab_samples s = { 0 };
	struct hks_ab_result res;
	struct hks_ab_opts o;
	struct cli_args a;
	const char *name = "-";
	char *json;
	FILE *f = stdin;
	int ret;

	CLI_PARSE(cmd, p, argc, argv, &a);
	if (a.npos > 1)
		return cli_fail(cmd, EXIT_USAGE, "give one FILE, or none for stdin");
	if (p[4].num != floor(p[4].num) || p[4].num > 0x1.0p53)
		return cli_fail(cmd, EXIT_USAGE, "--seed: a whole number below 2^53");
	if (p[3].num < 100)
		return cli_fail(cmd, EXIT_USAGE, "--resamples: at least 100");
	if (!(p[2].num > 0.0 && p[2].num < 1.0))
		return cli_fail(cmd, EXIT_USAGE, "--confidence: strictly between 0 and 1");

	hks_ab_opts_init(&o);
	o.theta = p[0].num;
	o.unstable = p[1].num;
	o.confidence = p[2].num;
	o.resamples = (unsigned int)p[3].num;
	o.seed = (uint64_t)p[4].num;
	o.higher_is_better = p[5].set;

	if (a.npos == 1 && strcmp(a.pos[0], "-")) {
		name = a.pos[0];
		f = fopen(name, "r");
		if (!f)
			return cli_fail(cmd, EXIT_FAILURE, "%s: %s", name,
					strerror(errno));
	}
	ret = ab_read(cmd, f, name, &s);
	if (f != stdin)
		fclose(f);
	if (ret)
		goto out_free;
	if (!s.n) {
		ret = cli_fail(cmd, EXIT_USAGE, "%s: no pairs", name);
		goto out_free;
	}

	ret = hks_ab_compare(s.a, s.b, s.n, &o, &res);
	if (ret) {
		ret = cli_fail(cmd, EXIT_FAILURE, "comparison failed: %s",
			       strerror(-ret));
		goto out_free;
	}
	if (a.json) {
		ret = hks_ab_json(s.a, s.b, s.n, &o, &res, &json);
		if (ret) {
			ret = cli_fail(cmd, EXIT_FAILURE, "JSON: %s", strerror(-ret));
			goto out_free;
		}
		ret = puts(json) < 0 ? EXIT_FAILURE : 0;
		free(json);
	} else {
		ret = ab_print(&o, &res);
	}

out_free:
	free(s.a);
	free(s.b);
	return ret;
}
