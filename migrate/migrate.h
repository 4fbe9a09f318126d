/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * migrate.h - what the parts of hk-migrate share: candidates, workloads,
 * the A/B engine and the plan
 */
#ifndef HK_MIGRATE_H
#define HK_MIGRATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>

#include "clock.h"
#include "hkscores.h"
#include "prog.h"
#include "shim.h"

struct json_object;

#define MIG_FAIL	1
#define MIG_USAGE	2

enum cand_kind {
	KIND_FS,
	KIND_NET,
};

/* workload.c: the built-in workloads, each a run of "hk-migrate workload" */
#define WL_MAX		8

enum wl_model {
	MODEL_NONE,		/* a user's command: no prediction */
	MODEL_THROUGHPUT,	/* bulk data: hks_throughput() */
	MODEL_LATENCY,		/* one request at a time: hks_latency() */
};

struct workload {
	const char *name;
	enum cand_kind kind;
	bool any_kind;		/* "command": fs and net */
	bool higher_is_better;
	const char *unit;
	const char *what;
	enum wl_model model;
	double bytes;		/* per operation, for the models */
	bool data;		/* data operations: FUSE passthrough skips them */
};

const struct workload *workload_find(const char *name);
const struct workload *workload_at(size_t i);
const char *workload_defaults(enum cand_kind kind);
int workload_prepare(const struct workload *wl, const char *dir);
int workload_main(int argc, char **argv);

/* the far side of a network workload, in the far end's namespace */
struct peer {
	int pid;
	char addr[64];		/* the far end's address, as a literal */
	int port;
};
int peer_start(const char *ns, const char *addr, struct peer *p);
void peer_stop(struct peer *p);

/* config.c: candidates from a file, or discovered on the live system */
struct candidate {
	char *name;		/* fs:PATH or net:LINK */
	enum cand_kind kind;
	char *target;		/* PATH or LINK */
	double effort;		/* c */
	double gain;		/* isolation gain */
	const struct workload *wl[WL_MAX];
	size_t nwl;
	char *command;		/* for the workload "command" */
	char *fast_path;	/* hk-fs-server --fast-path, or NULL */
	int line;		/* of its section, 0 when discovered */
};

struct plan_cfg {
	double alpha, beta;
	double budget;		/* < 0: none */
	struct hks_weights w;
	unsigned int pairs, warmup;
	double seconds;		/* per run of a built-in workload */
	uint64_t seed;
	double theta;		/* < 0: the default, or the self-check's */
	bool self_check;
	const char *calibration;
	struct candidate *cand;
	size_t ncand;
};

#define DEFAULT_EFFORT_FS	1.0
#define DEFAULT_EFFORT_NET	2.0
#define DEFAULT_GAIN		1.0

void plan_cfg_init(struct plan_cfg *cfg);
void plan_cfg_free(struct plan_cfg *cfg);
int config_load(const char *path, struct plan_cfg *cfg);
int plan_set(struct plan_cfg *cfg, const char *key, const char *value,
	     char *why, size_t size);
int candidate_parse(const char *name, struct candidate *c, char *why,
		    size_t size);
int candidate_workloads(struct candidate *c, const char *list, char *why,
			size_t size);
void candidate_free(struct candidate *c);
#define FAST_PATHS	"passthrough, cache or none"
bool fast_path_known(const char *s);
int discover(struct plan_cfg *cfg);

/* ab.c: the A/B engine */
struct run_sample {
	char side;		/* 'A' or 'B' */
	bool warmup;
	double metric;
	double wall;		/* seconds, the whole run */
	double cpu;		/* seconds, user + system of all it started */
};

struct ab_result {
	const struct workload *wl;
	bool measured;
	char why[512];		/* when not measured */
	bool self_check;	/* A against A */
	bool setup_failed;	/* the candidate, not this workload, failed */
	struct run_sample *runs;
	size_t nruns;
	double *a, *b;		/* the measured pairs' metrics, res.pairs of each */
	double theta;
	struct hks_ab_opts opts;
	struct hks_ab_result res;
	double penalty;		/* ln(perf_A / perf_B) */
	double model_penalty;	/* NAN: no model */
	double model_ratio;
	const char *model_name;
	double wall_a, wall_b, cpu_a, cpu_b;	/* medians */
};

struct ab_ctx {
	const struct plan_cfg *cfg;
	struct shim_opts shim;
	struct json_object *cal;	/* calibration constants, or NULL */
	void (*progress)(void *arg, const char *what, size_t done);
	void *progress_arg;
};

int ab_run(struct ab_ctx *ctx, const struct candidate *c,
	   const struct workload *wl, bool self_check, double theta,
	   struct ab_result *out);
void ab_result_free(struct ab_result *r);
struct json_object *ab_result_json(const struct ab_result *r);
size_t ab_runs_per_workload(const struct plan_cfg *cfg);
void ab_model(const struct candidate *c, struct ab_result *r,
	      struct json_object *cal);

double ab_self_theta(const struct ab_result *r);

/* plan.c: the plan reads its measurements back from their JSON, so that a
 * plan measured now and one replayed from a file are reported alike */
struct cand_result {
	const struct candidate *c;
	struct json_object *wl[WL_MAX];	/* ab_result_json() of each */
	size_t nwl;
	bool measured;		/* every workload measured */
	char why[512];
	double penalty;		/* mean of the workloads' penalties */
	double model_penalty;	/* mean of their predictions, or NAN */
	double c_norm, p_norm, score;
	size_t rank;		/* 1-based; 0 when not measured */
	bool chosen;
};

struct plan_report {
	struct cand_result *r;
	size_t n;
	bool budgeted;
	struct hks_selection sel;
	double u_kernel, u_hybrid, u_moved;
	double load_before[3], load_after[3];
	double elapsed;
	struct json_object *cal;	/* calibration used, or NULL */
};

int plan_measure(struct ab_ctx *ctx, struct plan_report *rep);
int plan_rank(const struct plan_cfg *cfg, struct plan_report *rep);
void plan_print(const struct plan_cfg *cfg, const struct plan_report *rep,
		FILE *f);
struct json_object *plan_json(const struct plan_cfg *cfg,
			      const struct plan_report *rep);
int plan_plot(const struct plan_cfg *cfg, const struct plan_report *rep,
	      const char *path);
int plan_replay(const char *path, struct plan_cfg *cfg,
		struct plan_report *rep);
void plan_report_free(struct plan_report *rep);
void print_workload_head(FILE *f, int width);
void print_workload_row(FILE *f, int width, const char *cand,
			struct json_object *w);
int name_width(const struct plan_report *rep);

/* demo.c */
struct demo {
	char dir[PATH_MAX];	/* the scratch tree's parent, in $TMPDIR */
	char ns_a[32], ns_b[32];
	bool made_ns_a, made_ns_b;
};
int demo_setup(struct demo *d, struct plan_cfg *cfg);
void demo_teardown(struct demo *d);

/* util.c */
extern volatile sig_atomic_t interrupted;
void catch_interrupts(void);
int remove_tree(const char *path);
void fmt_metric(char *buf, size_t size, double v);

#endif /* HK_MIGRATE_H */
