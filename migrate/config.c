// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * config.c - the candidates of a plan, from an INI file (parsed by inih)
 *
 *   [plan]                     defaults of the plan; the command line wins
 *   alpha = 0.5
 *   [fs:/srv/data]             one section per candidate, named fs:PATH
 *   effort = 2                 or net:[NS/]IFNAME
 *   gain = 3
 *   workloads = seqread meta
 *
 * inih reads the lines through our reader, which counts them, so that
 * every error, also one found after a section is complete, is reported as
 * FILE:LINE.  All errors are reported, not only the first; any error
 * rejects the whole file.
 */
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <math.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "log.h"
#include "migrate.h"

#define LINE_MAX_LEN	4096

struct parse {
	const char *path;
	FILE *f;
	int line;		/* of the line inih has just been given */
	struct plan_cfg *cfg;
	struct candidate *cur;	/* the section being read, NULL for [plan] */
	bool in_plan, in_bad;
	int errors;
	size_t added;		/* candidates */
	/* per candidate: which keys were seen, for duplicates */
	unsigned int seen;
};

static void perr(struct parse *p, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void perr(struct parse *p, int line, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	err("%s:%d: %s", p->path, line, msg);
	p->errors++;
}

void plan_cfg_init(struct plan_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->alpha = 0.5;
	cfg->beta = 0.5;
	cfg->budget = -1;
	cfg->w.security = 1.0 / 3;
	cfg->w.performance = 1.0 / 3;
	cfg->w.cost = 1.0 - 2.0 / 3;
	cfg->pairs = 6;
	cfg->warmup = 1;
	cfg->seconds = 0.5;
	cfg->seed = 1;
	cfg->theta = -1;
}

void candidate_free(struct candidate *c)
{
	free(c->name);
	free(c->target);
	free(c->command);
	free(c->fast_path);
	memset(c, 0, sizeof(*c));
}

void plan_cfg_free(struct plan_cfg *cfg)
{
	for (size_t i = 0; i < cfg->ncand; i++)
		candidate_free(&cfg->cand[i]);
	free(cfg->cand);
	cfg->cand = NULL;
	cfg->ncand = 0;
}

/**
 * candidate_parse() - a candidate from its name, fs:PATH or net:[NS/]IFNAME,
 * with the defaults of its kind
 *
 * Return: 0, or MIG_USAGE with the reason logged
 */
int candidate_parse(const char *name, struct candidate *c, char *why,
		    size_t size)
{
	const char *slash, *ifname;
	char msg[512];

	memset(c, 0, sizeof(*c));
	if (!strncmp(name, "fs:", 3)) {
		if (name[3] != '/') {
			snprintf(msg, sizeof(msg), "'%s': fs:PATH needs an absolute PATH", name);
			goto bad;
		}
		c->kind = KIND_FS;
		c->effort = DEFAULT_EFFORT_FS;
	} else if (!strncmp(name, "net:", 4)) {
		slash = strchr(name + 4, '/');
		ifname = slash ? slash + 1 : name + 4;
		if (!*ifname || strlen(ifname) >= IFNAMSIZ || strchr(ifname, '/') ||
		    (slash && slash == name + 4)) {
			snprintf(msg, sizeof(msg), "'%s': net:[NS/]IFNAME needs an interface name of 1 to %d characters",
				 name, IFNAMSIZ - 1);
			goto bad;
		}
		c->kind = KIND_NET;
		c->effort = DEFAULT_EFFORT_NET;
	} else {
		snprintf(msg, sizeof(msg), "'%s' is not a candidate: fs:PATH or net:[NS/]IFNAME", name);
		goto bad;
	}
	c->name = strdup(name);
	c->target = strdup(strchr(name, ':') + 1);
	c->gain = DEFAULT_GAIN;
	if (!c->name || !c->target) {
		candidate_free(c);
		return MIG_FAIL;
	}
	return candidate_workloads(c, workload_defaults(c->kind), NULL, 0);
bad:
	if (why)
		snprintf(why, size, "%s", msg);
	else
		err("%s", msg);
	return MIG_USAGE;
}

/**
 * candidate_workloads() - set the workloads of @c from a list of names,
 * separated by spaces or commas
 * @why:	where the reason goes on error; NULL logs it
 *
 * Return: 0, or MIG_USAGE
 */
int candidate_workloads(struct candidate *c, const char *list, char *why,
			size_t size)
{
	char buf[256], *save = NULL, *tok, msg[512];
	const struct workload *wl;
	size_t n = 0;

	snprintf(buf, sizeof(buf), "%s", list);
	for (tok = strtok_r(buf, " \t,", &save); tok; tok = strtok_r(NULL, " \t,", &save)) {
		wl = workload_find(tok);
		if (!wl || (!wl->any_kind && wl->kind != c->kind)) {
			snprintf(msg, sizeof(msg), "'%s' is not a workload of %s candidates (%s, command)",
				 tok, c->kind == KIND_FS ? "fs" : "net",
				 workload_defaults(c->kind));
			goto bad;
		}
		for (size_t i = 0; i < n; i++)
			if (c->wl[i] == wl) {
				snprintf(msg, sizeof(msg), "workload '%s' is named twice", tok);
				goto bad;
			}
		if (n == WL_MAX) {
			snprintf(msg, sizeof(msg), "more than %d workloads", WL_MAX);
			goto bad;
		}
		c->wl[n++] = wl;
	}
	if (!n) {
		snprintf(msg, sizeof(msg), "no workload named");
		goto bad;
	}
	c->nwl = n;
	return 0;
bad:
	if (why)
		snprintf(why, size, "%s", msg);
	else
		err("%s: %s", c->name, msg);
	return MIG_USAGE;
}

/* hk-fs-server's fast paths, checked here so that a plan fails before it
 * measures anything, not at its first B run. */
bool fast_path_known(const char *s)
{
	return !strcmp(s, "passthrough") || !strcmp(s, "cache") || !strcmp(s, "none");
}

static bool parse_bool(const char *s, bool *out)
{
	if (!strcmp(s, "yes") || !strcmp(s, "true") || !strcmp(s, "1"))
		*out = true;
	else if (!strcmp(s, "no") || !strcmp(s, "false") || !strcmp(s, "0"))
		*out = false;
	else
		return false;
	return true;
}

/* A key may appear once per section: bit @bit of p->seen. */
static bool once(struct parse *p, unsigned int bit, const char *name)
{
	if (p->seen & (1u << bit)) {
		perr(p, p->line, "'%s' is set twice in this section", name);
		return false;
	}
	p->seen |= 1u << bit;
	return true;
}

/* The plan's settings, as [plan] keys and as command-line options alike. */
static const char *const plan_keys[] = {
	"alpha", "beta", "budget", "weights", "pairs", "warmup", "seconds",
	"seed", "theta", "self-check", NULL,
};

/**
 * plan_set() - set the plan's setting @key from @value
 * @why:	the reason, when @value is not good for @key
 *
 * The configuration's [plan] section and the command line both come here,
 * so that a setting has one meaning, one range and one message.
 *
 * Return: 0, -ENOENT for an unknown key, -EINVAL for a bad value
 */
int plan_set(struct plan_cfg *cfg, const char *key, const char *value,
	     char *why, size_t size)
{
	double v, w[3];
	int n = 0;

	if (!strcmp(key, "alpha") || !strcmp(key, "beta")) {
		if (!args_double(value, 0, 1e9, &v))
			goto bad_num;
		*(key[0] == 'a' ? &cfg->alpha : &cfg->beta) = v;
	} else if (!strcmp(key, "budget")) {
		/* hks_select()'s range: a total ln-ratio beyond e^1000 is none */
		if (!args_double(value, 0, 1000, &cfg->budget)) {
			snprintf(why, size, "'%s' is not a total penalty from 0 to 1000", value);
			return -EINVAL;
		}
	} else if (!strcmp(key, "weights")) {
		if (sscanf(value, "%lf%*[ ,]%lf%*[ ,]%lf %n", &w[0], &w[1], &w[2], &n) != 3 ||
		    value[n] || !(w[0] >= 0 && w[1] >= 0 && w[2] >= 0) ||
		    fabs(w[0] + w[1] + w[2] - 1) > 1e-6) {
			snprintf(why, size, "'%s' is not three weights S,P,C >= 0 that sum to 1", value);
			return -EINVAL;
		}
		cfg->w = (struct hks_weights){ w[0], w[1], w[2] };
	} else if (!strcmp(key, "pairs") || !strcmp(key, "warmup")) {
		bool pairs = key[0] == 'p';

		if (!args_double(value, pairs ? 1 : 0, 1000, &v) || v != floor(v)) {
			snprintf(why, size, "'%s' is not a whole number from %d to 1000",
				 value, pairs ? 1 : 0);
			return -EINVAL;
		}
		*(pairs ? &cfg->pairs : &cfg->warmup) = (unsigned int)v;
	} else if (!strcmp(key, "seconds")) {
		if (!args_double(value, 0.01, 3600, &cfg->seconds)) {
			snprintf(why, size, "'%s' is not from 0.01 to 3600", value);
			return -EINVAL;
		}
	} else if (!strcmp(key, "seed")) {
		if (!args_double(value, 0, 9007199254740992.0, &v) || v != floor(v)) {
			snprintf(why, size, "'%s' is not a whole number >= 0", value);
			return -EINVAL;
		}
		cfg->seed = (uint64_t)v;
	} else if (!strcmp(key, "theta")) {
		if (!args_double(value, 0, 1, &cfg->theta)) {
			snprintf(why, size, "'%s' is not from 0 to 1", value);
			return -EINVAL;
		}
	} else if (!strcmp(key, "self-check")) {
		if (!parse_bool(value, &cfg->self_check)) {
			snprintf(why, size, "'%s' is not yes or no", value);
			return -EINVAL;
		}
	} else {
		snprintf(why, size, "unknown key '%s' in [plan] (alpha, beta, budget, weights, pairs, warmup, seconds, seed, theta, self-check)",
			 key);
		return -ENOENT;
	}
	return 0;
bad_num:
	snprintf(why, size, "'%s' is not a number >= 0", value);
	return -EINVAL;
}

static void plan_key(struct parse *p, const char *name, const char *value)
{
	char why[512];
	int ret;

	for (unsigned int bit = 0; plan_keys[bit]; bit++)
		if (!strcmp(name, plan_keys[bit]) && !once(p, bit, name))
			return;
	ret = plan_set(p->cfg, name, value, why, sizeof(why));
	if (ret == -ENOENT)
		perr(p, p->line, "%s", why);
	else if (ret)
		perr(p, p->line, "%s: %s", name, why);
}

static void cand_key(struct parse *p, const char *name, const char *value)
{
	struct candidate *c = p->cur;
	char why[512];

	if (!strcmp(name, "effort") || !strcmp(name, "gain")) {
		bool effort = name[0] == 'e';

		if (once(p, effort ? 0 : 1, name) &&
		    !args_double(value, 0, 1e9, effort ? &c->effort : &c->gain))
			perr(p, p->line, "%s: '%s' is not a number >= 0", name, value);
	} else if (!strcmp(name, "workloads") || !strcmp(name, "workload")) {
		if (once(p, 2, "workloads") &&
		    candidate_workloads(c, value, why, sizeof(why)))
			perr(p, p->line, "%s", why);
	} else if (!strcmp(name, "command")) {
		if (once(p, 3, name) && !(c->command = strdup(value)))
			perr(p, p->line, "out of memory");
	} else if (!strcmp(name, "fast-path") && c->kind == KIND_FS) {
		if (!once(p, 4, name))
			return;
		if (!fast_path_known(value))
			perr(p, p->line, "fast-path: '%s' is not " FAST_PATHS, value);
		else
			c->fast_path = strdup(value);
	} else {
		perr(p, p->line, "unknown key '%s' for a candidate (effort, gain, workloads, command%s)",
		     name, c->kind == KIND_FS ? ", fast-path" : "");
	}
}

/* The section that ends: what can only be checked once it is whole. */
static void section_end(struct parse *p)
{
	struct candidate *c = p->cur;
	bool cmd = false;

	if (!c)
		return;
	for (size_t i = 0; i < c->nwl; i++)
		cmd |= !strcmp(c->wl[i]->name, "command");
	if (cmd && !c->command)
		perr(p, c->line, "[%s]: the workload 'command' needs 'command = ...'", c->name);
	if (!cmd && c->command)
		perr(p, c->line, "[%s]: 'command' is set but 'command' is not among its workloads", c->name);
	p->cur = NULL;
}

static void section_start(struct parse *p, const char *name)
{
	struct plan_cfg *cfg = p->cfg;
	struct candidate c, *grown;
	char why[512];

	section_end(p);
	p->in_plan = p->in_bad = false;
	p->seen = 0;
	if (!strcmp(name, "plan")) {
		p->in_plan = true;
		return;
	}
	p->in_bad = true;
	for (size_t i = 0; i < cfg->ncand; i++)
		if (!strcmp(cfg->cand[i].name, name)) {
			perr(p, p->line, "[%s] is also at line %d", name, cfg->cand[i].line);
			return;
		}
	if (candidate_parse(name, &c, why, sizeof(why))) {
		perr(p, p->line, "[%s]: %s; a section is [plan] or a candidate", name, why);
		return;
	}
	grown = realloc(cfg->cand, (cfg->ncand + 1) * sizeof(*grown));
	if (!grown) {
		candidate_free(&c);
		perr(p, p->line, "out of memory");
		return;
	}
	c.line = p->line;
	cfg->cand = grown;
	cfg->cand[cfg->ncand] = c;
	p->cur = &cfg->cand[cfg->ncand++];
	p->added++;
	p->in_bad = false;
}

/*
 * inih's reader: one line at a time, counted.  Section headers and
 * malformed lines are seen here first, so that an empty section is still
 * a candidate and every syntax error is reported, not only the first.
 */
static char *reader(char *str, int num, void *stream)
{
	struct parse *p = stream;
	char *s;

	if (!fgets(str, num, p->f))
		return NULL;
	p->line++;
	if (!strchr(str, '\n') && !feof(p->f)) {
		int ch;

		perr(p, p->line, "line longer than %d characters", num - 2);
		while ((ch = fgetc(p->f)) != EOF && ch != '\n')
			;
		str[0] = '\0';	/* the rest of it is not parsed */
		return str;
	}
	for (s = str; isspace((unsigned char)*s); s++)
		;
	if (!*s || *s == '#' || *s == ';')
		return str;
	if (*s == '[') {
		char *e = strchr(s, ']');

		if (!e) {
			perr(p, p->line, "section header without ']'");
			str[0] = '\0';
			return str;
		}
		*e = '\0';
		section_start(p, s + 1);
		*e = ']';
	} else if (!strchr(s, '=')) {
		perr(p, p->line, "expected NAME = VALUE or [SECTION]");
		str[0] = '\0';
	}
	return str;
}

static int handler(void *user, const char *section, const char *name,
		   const char *value)
{
	struct parse *p = user;

	(void)section;	/* the reader has followed the sections already */
	if (p->in_plan)
		plan_key(p, name, value);
	else if (p->cur)
		cand_key(p, name, value);
	else if (!p->in_bad)
		perr(p, p->line, "'%s' outside a section", name);
	return 1;
}

/**
 * config_load() - read the plan and its candidates from @path
 *
 * Return: 0, or MIG_USAGE when the file cannot be read or has errors;
 * @cfg then has no candidates from it.
 */
int config_load(const char *path, struct plan_cfg *cfg)
{
	struct parse p = { .path = path, .cfg = cfg };
	size_t before = cfg->ncand;
	int ret;

	p.f = fopen(path, "re");
	if (!p.f) {
		err_perror(errno, "cannot read the configuration %s", path);
		return MIG_USAGE;
	}
	ini_allow_multiline = false;
	ini_allow_inline_comments = false;	/* a command may hold ';' */
	ini_use_stack = false;
	ini_max_line = LINE_MAX_LEN;
	ini_initial_alloc = LINE_MAX_LEN;	/* the heap buffer is this, not max_line */
	ret = ini_parse_stream(reader, &p, handler, &p);
	section_end(&p);
	if (ferror(p.f))
		perr(&p, p.line, "read error");
	fclose(p.f);
	if (ret > 0 && !p.errors)
		perr(&p, ret, "syntax error");
	if (!p.errors && !p.added)
		perr(&p, p.line, "no candidate: add a section [fs:/PATH] or [net:[NS/]IFNAME]");
	if (p.errors) {
		for (size_t i = before; i < cfg->ncand; i++)
			candidate_free(&cfg->cand[i]);
		cfg->ncand = before;
		err("%s: %d error%s, nothing was measured", path, p.errors,
		    p.errors == 1 ? "" : "s");
		return MIG_USAGE;
	}
	return 0;
}
