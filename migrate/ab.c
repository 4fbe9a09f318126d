// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ab.c - the A/B engine: one workload of one candidate, run alternately
 * on the kernel path (A) and on the user-space path (B, through
 * shim_run(), so that only the workload sees the server), after warm-up
 * pairs; the statistics are libhkscores'.
 *
 * Each run is "hk-migrate workload ...", a process of its own.  A run's
 * figure is the one the workload measured over its steady part; its wall
 * time and its CPU time (user + system of everything it started: on B
 * that includes the servers and the shim's runner) are kept beside it.
 * What a run writes to stderr is kept in a memfd, so that a failure can be
 * reported with its reason in the table instead of scrolling by.
 */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jsonnum.h"
#include "log.h"
#include "migrate.h"

#define THETA_FLOOR	0.01

struct target {
	char exe[PATH_MAX];
	char scratch[PATH_MAX];	/* fs: the workload's directory */
	struct peer peer;	/* net: the far side */
	char port[16];
	char near_ns[256];
	int logfd;		/* memfd: what a run wrote to stderr */
	bool setup_failed;
};

size_t ab_runs_per_workload(const struct plan_cfg *cfg)
{
	return 2 * ((size_t)cfg->warmup + cfg->pairs) * (cfg->self_check ? 2 : 1);
}

static double cpu_children(void)
{
	struct rusage ru;

	getrusage(RUSAGE_CHILDREN, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
}

/* What this process and all it starts write to stderr goes to @fd, until
 * stderr_back(). */
static int stderr_to(int fd)
{
	int saved = dup(STDERR_FILENO);

	dup2(fd, STDERR_FILENO);
	return saved;
}

static void stderr_back(int saved)
{
	dup2(saved, STDERR_FILENO);
	close(saved);
}

/* The last line of the run's log that says what went wrong. */
static void log_reason(int fd, char *buf, size_t size)
{
	char text[8192], *line, *best = NULL, *save = NULL;
	ssize_t n = pread(fd, text, sizeof(text) - 1, 0);

	buf[0] = '\0';
	if (n <= 0)
		return;
	text[n] = '\0';
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (strstr(line, "error") || strstr(line, "cannot") || !best)
			best = line;
	if (best && !strncmp(best, log_prog(), strlen(log_prog())) &&
	    !strncmp(best + strlen(log_prog()), ": ", 2))
		best += strlen(log_prog()) + 2;	/* our own name says nothing */
	if (best)
		snprintf(buf, size, "%s", best);
}

/*
 * One run on @side; the workload's figure goes to @s.  Return 0, or
 * MIG_FAIL with the reason in @why.
 */
static int run_one(struct ab_ctx *ctx, const struct candidate *c,
		   const struct workload *wl, struct target *t, char side,
		   struct run_sample *s, char *why, size_t size)
{
	char seconds[32], fdarg[16], buf[4096], reason[1024] = "";
	struct json_object *res = NULL, *v;
	int pipefd[2], status = 0, argc = 0, ret;
	char *argv[16];
	double t0, c0;
	bool started = true;
	ssize_t n;
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC)) {
		snprintf(why, size, "pipe: %s", strerror(errno));
		return MIG_FAIL;
	}
	/* the write end is inherited by the workload, at the same number */
	fcntl(pipefd[1], F_SETFD, 0);
	snprintf(seconds, sizeof(seconds), "%g", ctx->cfg->seconds);
	snprintf(fdarg, sizeof(fdarg), "%d", pipefd[1]);
	argv[argc++] = t->exe;
	argv[argc++] = "workload";
	argv[argc++] = (char *)wl->name;
	if (wl->any_kind) {
		argv[argc++] = "--command";
		argv[argc++] = c->command;
	} else if (c->kind == KIND_FS) {
		argv[argc++] = t->scratch;
	} else {
		argv[argc++] = t->peer.addr;
		argv[argc++] = t->port;
	}
	argv[argc++] = "--seconds";
	argv[argc++] = seconds;
	argv[argc++] = "--result-fd";
	argv[argc++] = fdarg;
	argv[argc] = NULL;

	ftruncate(t->logfd, 0);
	lseek(t->logfd, 0, SEEK_SET);
	c0 = cpu_children();
	t0 = clock_s();
	if (side == 'A') {
		pid = fork();
		if (pid == 0) {
			close(pipefd[0]);
			dup2(t->logfd, STDERR_FILENO);
			if (c->kind == KIND_NET && t->near_ns[0]) {
				int nsfd;

				snprintf(buf, sizeof(buf), "/run/netns/%s", t->near_ns);
				nsfd = open(buf, O_RDONLY | O_CLOEXEC);
				if (nsfd < 0 || setns(nsfd, CLONE_NEWNET)) {
					err_perror(errno, "cannot enter the network namespace %s",
						   t->near_ns);
					_exit(126);
				}
			}
			execv(argv[0], argv);
			err_perror(errno, "cannot run %s", argv[0]);
			_exit(127);
		}
		close(pipefd[1]);
		if (pid < 0) {
			close(pipefd[0]);
			snprintf(why, size, "fork: %s", strerror(errno));
			return MIG_FAIL;
		}
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		ret = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	} else {
		/* the shim's own messages go to the run's log, too */
		int saved = stderr_to(t->logfd);
		char *one[1] = { c->target };

		ret = shim_run(&ctx->shim, c->kind == KIND_FS ? one : NULL,
			       c->kind == KIND_FS, c->kind == KIND_NET ? one : NULL,
			       c->kind == KIND_NET, argv, &started);
		stderr_back(saved);
		close(pipefd[1]);
	}
	s->wall = clock_s() - t0;
	s->cpu = cpu_children() - c0;
	s->side = side;
	n = read(pipefd[0], buf, sizeof(buf) - 1);
	close(pipefd[0]);
	if (n > 0) {
		buf[n] = '\0';
		res = json_tokener_parse(buf);
	}
	if (res && json_object_object_get_ex(res, "error", &v))
		snprintf(reason, sizeof(reason), "%s", json_object_get_string(v));
	else
		log_reason(t->logfd, reason, sizeof(reason));
	if (!started) {
		t->setup_failed = true;
		snprintf(why, size, "B: the user-space path could not be set up: %s",
			 reason[0] ? reason : "see the log");
		json_object_put(res);
		return MIG_FAIL;
	}
	if (ret || !res || !json_object_object_get_ex(res, "metric", &v) ||
	    !(json_object_get_double(v) > 0)) {
		snprintf(why, size, "%c: workload %s failed (exit %d)%s%s", side,
			 wl->name, ret, reason[0] ? ": " : "", reason);
		json_object_put(res);
		return MIG_FAIL;
	}
	s->metric = json_object_get_double(v);
	json_object_put(res);
	return 0;
}

/* The far end's address to reach it by: IPv4 first, else global IPv6. */
static bool far_addr(struct json_object *far, char *buf, size_t size)
{
	struct json_object *addrs = json_object_object_get(far, "addrs");

	for (int fam = 0; fam < 2; fam++)
		for (size_t i = 0; i < json_object_array_length(addrs); i++) {
			struct json_object *a = json_object_array_get_idx(addrs, i);
			const char *local = json_object_get_string(json_object_object_get(a, "local"));
			int family = json_object_get_int(json_object_object_get(a, "family"));
			int scope = json_object_get_int(json_object_object_get(a, "scope"));

			if (!local || scope != 0 || family != (fam ? AF_INET6 : AF_INET))
				continue;
			snprintf(buf, size, "%s", local);
			if (strchr(buf, '/'))
				*strchr(buf, '/') = '\0';
			return true;
		}
	return false;
}

static int target_open(const struct candidate *c, const struct workload *wl,
		       struct target *t, char *why, size_t size)
{
	struct json_object *near = NULL, *far = NULL;
	char addr[64];
	int saved;
	struct stat st;
	int ret;

	memset(t, 0, sizeof(*t));
	t->logfd = memfd_create("hk-migrate-run", MFD_CLOEXEC);
	ret = t->logfd < 0 ? -errno : prog_self(t->exe, sizeof(t->exe));
	if (ret) {
		snprintf(why, size, "cannot prepare a run: %s", strerror(-ret));
		return MIG_FAIL;
	}
	if (c->kind == KIND_FS) {
		if (stat(c->target, &st) || !S_ISDIR(st.st_mode)) {
			snprintf(why, size, "%s is not a directory", c->target);
			return MIG_USAGE;
		}
		snprintf(t->scratch, sizeof(t->scratch), "%s%s.hk-migrate.XXXXXX",
			 c->target, strcmp(c->target, "/") ? "/" : "");
		if (!mkdtemp(t->scratch)) {
			snprintf(why, size, "cannot make a scratch directory in %s: %s",
				 c->target, strerror(errno));
			t->scratch[0] = '\0';
			return MIG_FAIL;
		}
		setenv("HK_TARGET", c->target, 1);
		setenv("HK_SCRATCH", t->scratch, 1);
		ret = workload_prepare(wl, t->scratch);
		if (ret) {
			snprintf(why, size, "cannot write the workload's 64 MiB file in %.300s: %s",
				 t->scratch, strerror(-ret));
			return MIG_FAIL;
		}
		return 0;
	}
	saved = stderr_to(t->logfd);
	ret = shim_net_ends(c->target, &near, &far);
	stderr_back(saved);
	if (ret) {
		log_reason(t->logfd, why, size);	/* the shim says why */
		return ret;
	}
	snprintf(t->near_ns, sizeof(t->near_ns), "%s",
		 json_object_get_string(json_object_object_get(near, "ns")));
	ret = MIG_FAIL;
	if (!far_addr(far, addr, sizeof(addr))) {
		snprintf(why, size, "the far end %s has no global address to reach it by",
			 json_object_get_string(json_object_object_get(far, "ifname")));
	} else if (peer_start(json_object_get_string(json_object_object_get(far, "ns")),
			      addr, &t->peer)) {
		snprintf(why, size, "cannot start the workload's server on %s in the far namespace",
			 addr);
	} else {
		snprintf(t->port, sizeof(t->port), "%d", t->peer.port);
		setenv("HK_TARGET", c->target, 1);
		setenv("HK_PEER", addr, 1);
		setenv("HK_PEER_PORT", t->port, 1);
		ret = 0;
	}
	json_object_put(near);
	json_object_put(far);
	return ret;
}

static void target_close(struct target *t)
{
	if (t->scratch[0] && remove_tree(t->scratch))
		warn_perror(errno, "cannot remove the scratch directory %s", t->scratch);
	peer_stop(&t->peer);
	if (t->logfd >= 0)
		close(t->logfd);
	unsetenv("HK_SCRATCH");
	unsetenv("HK_PEER");
	unsetenv("HK_PEER_PORT");
	unsetenv("HK_TARGET");
}

static double median_of(const struct run_sample *r, size_t n, char side,
			bool cpu)
{
	double v[2048], m = NAN;
	size_t k = 0;

	for (size_t i = 0; i < n && k < 2048; i++)
		if (!r[i].warmup && r[i].side == side)
			v[k++] = cpu ? r[i].cpu : r[i].wall;
	if (k)
		hks_stat_median(v, k, &m);
	return m;
}

static const char *progress_label(const struct candidate *c,
				  const struct workload *wl, char *buf,
				  size_t size, bool self_check)
{
	snprintf(buf, size, "%s %s%s", c->name, wl->name, self_check ? " (A/A)" : "");
	return buf;
}

/**
 * ab_run() - measure @wl on candidate @c, A against B (or A against A)
 * @theta:	noise threshold for the verdict; < 0 for the default
 * @out:	the result; not measured, with the reason, when a run failed
 *
 * Return: 0 when measured, else the code of the failure (the plan goes on)
 */
int ab_run(struct ab_ctx *ctx, const struct candidate *c,
	   const struct workload *wl, bool self_check, double theta,
	   struct ab_result *out)
{
	const struct plan_cfg *cfg = ctx->cfg;
	size_t total = 2 * ((size_t)cfg->warmup + cfg->pairs), k = 0;
	char label[300];
	struct target t;
	int ret;

	memset(out, 0, sizeof(*out));
	out->wl = wl;
	out->self_check = self_check;
	out->model_penalty = NAN;
	out->model_ratio = NAN;
	out->penalty = NAN;
	out->runs = calloc(total, sizeof(*out->runs));
	out->a = calloc(cfg->pairs, sizeof(*out->a));
	out->b = calloc(cfg->pairs, sizeof(*out->b));
	if (!out->runs || !out->a || !out->b) {
		snprintf(out->why, sizeof(out->why), "out of memory");
		return MIG_FAIL;
	}
	progress_label(c, wl, label, sizeof(label), self_check);
	ret = target_open(c, wl, &t, out->why, sizeof(out->why));
	out->setup_failed = ret != 0;
	for (size_t pair = 0; !ret && pair < cfg->warmup + cfg->pairs; pair++) {
		/* AB, BA, AB, ...: a drift of the machine falls on both sides */
		const char *sides = pair % 2 ? "BA" : "AB";

		for (int i = 0; !ret && i < 2; i++) {
			struct run_sample *s = &out->runs[out->nruns];
			char side = self_check ? 'A' : sides[i];

			ret = interrupted ? MIG_FAIL :
				run_one(ctx, c, wl, &t, side, s, out->why, sizeof(out->why));
			if (ret)
				break;
			s->side = self_check ? sides[i] : side;	/* A/A: A and "A'" */
			s->warmup = pair < cfg->warmup;
			out->nruns++;
			if (ctx->progress)
				ctx->progress(ctx->progress_arg, label, 1);
		}
		if (!ret && pair >= cfg->warmup) {
			struct run_sample *r = &out->runs[out->nruns - 2];

			out->a[k] = r[0].side == 'A' ? r[0].metric : r[1].metric;
			out->b[k] = r[0].side == 'A' ? r[1].metric : r[0].metric;
			k++;
		}
	}
	if (!ret && interrupted) {
		snprintf(out->why, sizeof(out->why), "interrupted");
		ret = MIG_FAIL;
	}
	out->setup_failed |= t.setup_failed;
	target_close(&t);
	if (ctx->progress && ret)	/* the runs that will not happen */
		ctx->progress(ctx->progress_arg, label, total - out->nruns);
	if (!ret) {
		hks_ab_opts_init(&out->opts);
		if (theta >= 0)
			out->opts.theta = theta;
		out->opts.seed = cfg->seed;
		out->opts.higher_is_better = wl->higher_is_better;
		if (hks_ab_compare(out->a, out->b, k, &out->opts, &out->res)) {
			snprintf(out->why, sizeof(out->why), "the statistics refused the samples");
			ret = MIG_FAIL;
		}
	}
	if (ret)
		return ret;
	out->measured = true;
	out->theta = out->opts.theta;
	out->penalty = wl->higher_is_better ? -log(out->res.ratio) : log(out->res.ratio);
	out->wall_a = median_of(out->runs, out->nruns, 'A', false);
	out->wall_b = median_of(out->runs, out->nruns, 'B', false);
	out->cpu_a = median_of(out->runs, out->nruns, 'A', true);
	out->cpu_b = median_of(out->runs, out->nruns, 'B', true);
	if (!self_check)
		ab_model(c, out, ctx->cal);
	return 0;
}

/* The noise threshold an A/A run shows: the largest |ln| of its interval. */
double ab_self_theta(const struct ab_result *r)
{
	double th;

	if (!r->measured)
		return -1;
	th = fmax(fabs(log(r->res.ci_low)), fabs(log(r->res.ci_high)));
	return fmax(th, THETA_FLOOR);
}

void ab_result_free(struct ab_result *r)
{
	free(r->runs);
	free(r->a);
	free(r->b);
	r->a = r->b = NULL;
	r->runs = NULL;
	r->nruns = 0;
}

static double cal_const(struct json_object *cal, const char *name)
{
	struct json_object *c, *m;

	if (!json_object_object_get_ex(cal, "constants", &c) ||
	    !json_object_object_get_ex(c, name, &c) ||
	    !json_object_object_get_ex(c, "median", &m))
		return NAN;
	return json_object_get_double(m);
}

/**
 * ab_model() - what the models predict for @r from the calibration
 *
 * Bulk workloads use the throughput model with K = 2 (the kernel path's two
 * copies): beta = 1 (the server copies the data once more), or 0 for data
 * under FUSE passthrough, which never crosses user space; alpha is one
 * crossing (c_ipc) in units of copying one operation's bytes.  Workloads of
 * one request at a time use the latency model, with t_k = t_u = A's time
 * per operation less its crossing and copies; data operations under
 * passthrough do not reach the server and are predicted at A's time.
 */
void ab_model(const struct candidate *c, struct ab_result *r,
	      struct json_object *cal)
{
	const struct workload *wl = r->wl;
	double c_sys = cal_const(cal, "c_sys"), c_ipc = cal_const(cal, "c_ipc");
	double copy = cal_const(cal, "copy_byte"), c_copy;
	bool passthrough = c->kind == KIND_FS && wl->data &&
			   (!c->fast_path || !strcmp(c->fast_path, "passthrough"));
	struct hks_throughput tp;
	struct hks_latency lat;

	r->model_name = NULL;
	if (!cal || wl->model == MODEL_NONE || isnan(c_sys) || isnan(c_ipc) ||
	    isnan(copy))
		return;
	c_copy = wl->bytes * copy;
	if (wl->model == MODEL_THROUGHPUT) {
		if (hks_throughput(c_ipc / c_copy, passthrough ? 0 : 1, 2, &tp))
			return;
		r->model_name = "throughput";
		r->model_penalty = -log(tp.bounded);
	} else {
		/* A's time per operation, in ns */
		double t_a = wl->higher_is_better ? 1e9 / r->res.median_a : r->res.median_a * 1e3;
		double t = fmax(0, t_a - 2 * c_sys - 2 * c_copy);

		if (hks_latency(c_sys, c_ipc, c_copy, t, t, &lat))
			return;
		r->model_name = "latency";
		r->model_penalty = passthrough ? 0 : log(lat.user / lat.kernel);
	}
	r->model_ratio = wl->higher_is_better ? exp(-r->model_penalty) :
						exp(r->model_penalty);
}

struct json_object *ab_result_json(const struct ab_result *r)
{
	struct json_object *o = json_object_new_object(), *runs, *m, *ab = NULL;
	char *text = NULL;

	json_object_object_add(o, "workload", json_object_new_string(r->wl->name));
	json_object_object_add(o, "what", json_object_new_string(r->wl->what));
	json_object_object_add(o, "unit", json_object_new_string(r->wl->unit));
	json_object_object_add(o, "higher_is_better",
			       json_object_new_boolean(r->wl->higher_is_better));
	json_object_object_add(o, "self_check", json_object_new_boolean(r->self_check));
	json_object_object_add(o, "measured", json_object_new_boolean(r->measured));
	if (!r->measured)
		json_object_object_add(o, "why", json_object_new_string(r->why));
	runs = json_object_new_array();
	for (size_t i = 0; i < r->nruns; i++) {
		struct json_object *s = json_object_new_object();
		char side[2] = { r->runs[i].side, '\0' };

		json_object_object_add(s, "side", json_object_new_string(side));
		json_object_object_add(s, "warmup", json_object_new_boolean(r->runs[i].warmup));
		jsonnum_add(s, "metric", r->runs[i].metric);
		jsonnum_add(s, "wall_s", r->runs[i].wall);
		jsonnum_add(s, "cpu_s", r->runs[i].cpu);
		json_object_array_add(runs, s);
	}
	json_object_object_add(o, "runs", runs);
	if (!r->measured)
		return o;
	if (!hks_ab_json(r->a, r->b, r->res.pairs, &r->opts, &r->res, &text)) {
		ab = json_tokener_parse(text);
		free(text);
	}
	json_object_object_add(o, "ab", ab);
	jsonnum_add(o, "penalty", r->penalty);
	m = json_object_new_object();
	jsonnum_add(m, "A", r->wall_a);
	jsonnum_add(m, "B", r->wall_b);
	json_object_object_add(o, "wall_s", m);
	m = json_object_new_object();
	jsonnum_add(m, "A", r->cpu_a);
	jsonnum_add(m, "B", r->cpu_b);
	json_object_object_add(o, "cpu_s", m);
	if (r->model_name) {
		m = json_object_new_object();
		json_object_object_add(m, "name", json_object_new_string(r->model_name));
		jsonnum_add(m, "ratio", r->model_ratio);
		jsonnum_add(m, "penalty", r->model_penalty);
		jsonnum_add(m, "error", (r->model_ratio - r->res.ratio) / r->res.ratio);
		json_object_object_add(o, "model", m);
	} else {
		json_object_object_add(o, "model", NULL);
	}
	return o;
}
