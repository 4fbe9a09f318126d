// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * main.c - hk-migrate: which kernel subsystems to move to user space, and
 * what each move costs, measured on this machine
 */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "args.h"
#include "file.h"
#include "log.h"
#include "migrate.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: hk-migrate [-q] [--state-dir DIR] COMMAND ...\n"
		"Measure what moving each kernel file system or network link to the\n"
		"hybridkit user-space servers costs, and rank the moves.\n\n"
		"  plan [--config FILE | --demo | --replay FILE] [OPTIONS]\n"
		"         A/B every candidate (discovered when no --config), rank by\n"
		"         j = alpha c~ + beta p~, choose the hybrid, weigh U\n"
		"  ab CANDIDATE [--workload W[,W...]] [--command CMD] [OPTIONS]\n"
		"         A/B one candidate: fs:PATH or net:[NS/]IFNAME\n"
		"  list [--config FILE]\n"
		"         the candidates, with their effort, gain and workloads\n"
		"  move CANDIDATE [--fast-path MODE] | revert CANDIDATE | status [--json -]\n"
		"         apply a move for real, through the shim (see hk-shim(1))\n\n"
		"Options of plan and ab:\n"
		"  --alpha A, --beta B   weights of effort and penalty in j (0.5, 0.5)\n"
		"  --budget X            choose the most isolation gain within a total\n"
		"                        penalty X (0/1 knapsack); else the best U\n"
		"  --weights S,P,C       weights of U = S s + P p - C c (1/3 each)\n"
		"  --pairs N             measured pairs per workload (6)\n"
		"  --warmup N            warm-up pairs, not counted (1)\n"
		"  --seconds S           steady part of each run (0.5)\n"
		"  --seed N              bootstrap seed (1)\n"
		"  --theta T             noise threshold of the verdicts (0.02)\n"
		"  --self-check          measure A against A first; its noise is theta\n"
		"  --calibration FILE    hk-scores calibrate output for the models\n"
		"                        (default: a quick calibration now)\n"
		"  --json FILE           every sample and the method, as JSON (- for\n"
		"                        standard output, instead of the table)\n"
		"  --plot FILE           ratios and ranking, .png or .svg (gnuplot)\n\n"
		"Exit status: 0 done (candidates that could not be measured are in the\n"
		"table with the reason), 1 failed, 2 bad request.  See hk-migrate(1).\n");
}

enum {
	OPT_ALPHA = 256, OPT_BETA, OPT_BUDGET, OPT_WEIGHTS, OPT_PAIRS,
	OPT_WARMUP, OPT_SECONDS, OPT_SEED, OPT_THETA, OPT_SELF, OPT_CAL,
	OPT_JSON, OPT_PLOT, OPT_CONFIG, OPT_DEMO, OPT_REPLAY, OPT_WORKLOAD,
	OPT_COMMAND, OPT_FAST, OPT_STATE, OPT_LAZY, OPT_TIMEOUT, OPT_VERSION,
};

static const struct option long_opts[] = {
	{ "alpha", required_argument, NULL, OPT_ALPHA },
	{ "beta", required_argument, NULL, OPT_BETA },
	{ "budget", required_argument, NULL, OPT_BUDGET },
	{ "weights", required_argument, NULL, OPT_WEIGHTS },
	{ "pairs", required_argument, NULL, OPT_PAIRS },
	{ "warmup", required_argument, NULL, OPT_WARMUP },
	{ "seconds", required_argument, NULL, OPT_SECONDS },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "theta", required_argument, NULL, OPT_THETA },
	{ "self-check", no_argument, NULL, OPT_SELF },
	{ "calibration", required_argument, NULL, OPT_CAL },
	{ "json", required_argument, NULL, OPT_JSON },
	{ "plot", required_argument, NULL, OPT_PLOT },
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "demo", no_argument, NULL, OPT_DEMO },
	{ "replay", required_argument, NULL, OPT_REPLAY },
	{ "workload", required_argument, NULL, OPT_WORKLOAD },
	{ "command", required_argument, NULL, OPT_COMMAND },
	{ "fast-path", required_argument, NULL, OPT_FAST },
	{ "state-dir", required_argument, NULL, OPT_STATE },
	{ "lazy", no_argument, NULL, OPT_LAZY },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

/* What the command line said; it wins over the configuration file. */
struct cli {
	const char *config, *replay, *json, *plot, *calibration;
	const char *workload, *command;
	bool demo, json_stdout;
	struct shim_opts shim;
	/* the plan's settings, checked, applied over the configuration's */
	struct {
		const char *key, *value;
	} set[32];
	size_t nset;
};

/* @first: the options before the command, up to it; else all the rest. */
static int parse_opts(int argc, char **argv, struct cli *cli, bool first)
{
	struct plan_cfg check;
	char why[512];
	int c, idx;

	plan_cfg_init(&check);
	while ((c = getopt_long(argc, argv, first ? "+qh" : "qh", long_opts, &idx)) != -1) {
		switch (c) {
		case OPT_ALPHA:
		case OPT_BETA:
		case OPT_BUDGET:
		case OPT_WEIGHTS:
		case OPT_PAIRS:
		case OPT_WARMUP:
		case OPT_SECONDS:
		case OPT_SEED:
		case OPT_THETA:
		case OPT_SELF: {
			const char *key = long_opts[idx].name, *value = optarg ? optarg : "yes";

			if (plan_set(&check, key, value, why, sizeof(why))) {
				err("--%s: %s", key, why);
				return MIG_USAGE;
			}
			if (cli->nset == sizeof(cli->set) / sizeof(cli->set[0])) {
				err("--%s: too many options", key);
				return MIG_USAGE;
			}
			cli->set[cli->nset].key = key;
			cli->set[cli->nset++].value = value;
			break;
		}
		case OPT_CAL:
			cli->calibration = optarg;
			break;
		case OPT_JSON:
			if (strcmp(optarg, "-"))
				cli->json = optarg;
			else
				cli->json_stdout = true;
			break;
		case OPT_PLOT:
			cli->plot = optarg;
			break;
		case OPT_CONFIG:
			cli->config = optarg;
			break;
		case OPT_DEMO:
			cli->demo = true;
			break;
		case OPT_REPLAY:
			cli->replay = optarg;
			break;
		case OPT_WORKLOAD:
			cli->workload = optarg;
			break;
		case OPT_COMMAND:
			cli->command = optarg;
			break;
		case OPT_FAST:
			if (!fast_path_known(optarg)) {
				err("--fast-path: '%s' is not " FAST_PATHS, optarg);
				return MIG_USAGE;
			}
			cli->shim.fast_path = optarg;	/* for move, and for ab's candidate */
			break;
		case OPT_STATE:
			cli->shim.state_dir = optarg;
			break;
		case OPT_LAZY:
			cli->shim.lazy = true;
			break;
		case OPT_TIMEOUT:
			if (!args_double(optarg, 0, 1e6, &cli->shim.timeout)) {
				err("--timeout: '%s' is not a number of seconds from 0 to 1e6", optarg);
				return MIG_USAGE;
			}
			break;
		case 'q':
			log_set_level(LOG_LEVEL_WARN);
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case OPT_VERSION:
			printf("hk-migrate %s\n", PACKAGE_VERSION);
			exit(0);
		default:
			return MIG_USAGE;
		}
	}
	return 0;
}

static void apply_cli(const struct cli *cli, struct plan_cfg *cfg)
{
	char why[512];

	for (size_t i = 0; i < cli->nset; i++)	/* checked by parse_opts() */
		plan_set(cfg, cli->set[i].key, cli->set[i].value, why, sizeof(why));
}

/* ------------------------------------------------------- calibration */

/* The calibration for the models: from FILE, or measured now (quick). */
static int calibration_load(const char *path, struct json_object **cal)
{
	char tmp[] = "/tmp/hk-migrate-cal.XXXXXX";
	const char *file = path;
	struct json_object *v;

	*cal = NULL;
	if (!path) {
		char prog[PATH_MAX];
		int fd = mkstemp(tmp), status;
		pid_t pid;

		if (fd < 0)
			return MIG_FAIL;
		close(fd);
		if (prog_path("hk-scores", NULL, prog, sizeof(prog)))
			snprintf(prog, sizeof(prog), "hk-scores");	/* from $PATH */
		info("calibrating this machine for the models (%s calibrate --quick)", prog);
		pid = fork();
		if (pid == 0) {
			if (!freopen("/dev/null", "w", stdout))
				_exit(127);
			execlp(prog, "hk-scores", "calibrate", "--quick", "--output", tmp,
			       (char *)NULL);
			_exit(127);
		}
		if (pid < 0 || waitpid(pid, &status, 0) < 0 || status) {
			warn("hk-scores calibrate failed: the models' predictions are left out");
			unlink(tmp);
			return 0;
		}
		file = tmp;
	}
	*cal = json_object_from_file(file);
	if (!path)
		unlink(tmp);
	if (!*cal || !json_object_object_get_ex(*cal, "hybridkit", &v) ||
	    strcmp(json_object_get_string(v), "calibration")) {
		err("%s: not the output of hk-scores calibrate", path ? path : "calibration");
		json_object_put(*cal);
		*cal = NULL;
		return path ? MIG_USAGE : 0;
	}
	return 0;
}

/* ---------------------------------------------------------- progress */

struct progress {
	size_t total, done;
	double t0;
	bool tty;
	char last[300];
};

static void progress_cb(void *arg, const char *what, size_t n)
{
	struct progress *p = arg;
	double el = clock_s() - p->t0, left;

	p->done += n;
	left = p->done ? el / (double)p->done * (double)(p->total - p->done) : 0;
	if (p->tty) {
		fprintf(stderr, "\r\033[K[%zu/%zu runs] %s, about %.0f s left", p->done,
			p->total, what, left);
	} else if (strcmp(p->last, what) || p->done == p->total) {
		fprintf(stderr, "hk-migrate: [%zu/%zu runs] %s, about %.0f s left\n",
			p->done, p->total, what, left);
	}
	snprintf(p->last, sizeof(p->last), "%s", what);
}

static void progress_end(struct progress *p)
{
	if (p->tty)
		fprintf(stderr, "\r\033[K");
}

/* --------------------------------------------------------- reporting */

static int write_json(const char *path, bool to_stdout, struct json_object *o)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
						       JSON_C_TO_STRING_NOSLASHESCAPE);
	char *text;
	int ret;

	if (to_stdout) {
		puts(s);
		return 0;
	}
	if (!path)
		return 0;
	if (asprintf(&text, "%s\n", s) < 0)
		return MIG_FAIL;
	ret = file_write_atomic(path, text);
	free(text);
	if (ret) {
		err_perror(-ret, "--json: cannot write %s", path);
		return MIG_FAIL;
	}
	return 0;
}

/* ------------------------------------------------------------- plan */

static int cmd_plan(struct cli *cli, int argc, char **argv)
{
	struct plan_cfg cfg;
	struct plan_report rep = { 0 };
	struct ab_ctx ctx = { .cfg = &cfg };
	struct progress prog = { 0 };
	struct demo demo = { 0 };
	struct json_object *j = NULL;
	int ret, sources;

	if (optind != argc) {
		err("plan: unexpected argument '%s'", argv[optind]);
		return MIG_USAGE;
	}
	sources = !!cli->config + cli->demo + !!cli->replay;
	if (sources > 1) {
		err("plan: give one of --config, --demo and --replay");
		return MIG_USAGE;
	}
	if (cli->plot && !strstr(cli->plot, ".png") && !strstr(cli->plot, ".svg")) {
		err("--plot %s: the name must end in .png or .svg", cli->plot);
		return MIG_USAGE;
	}
	plan_cfg_init(&cfg);
	if (cli->replay) {
		ret = plan_replay(cli->replay, &cfg, &rep);
		if (ret)
			goto out;
		apply_cli(cli, &cfg);
		goto report;
	}
	if (cli->config && (ret = config_load(cli->config, &cfg)))
		goto out;
	if (cli->demo) {
		/* isolation and performance weigh alike, effort half as much;
		 * w_S - w_C < w_P, so moving everything is not free */
		cfg.seconds = 0.3;
		cfg.self_check = true;
		cfg.w = (struct hks_weights){ 0.4, 0.4, 0.2 };
	}
	apply_cli(cli, &cfg);
	ret = calibration_load(cli->calibration, &rep.cal);
	if (ret)
		goto out;
	catch_interrupts();
	if (cli->demo) {
		ret = demo_setup(&demo, &cfg);
		if (ret)
			goto out;
		info("demo: a scratch tree in %s, namespaces %s and %s joined by a veth",
		     demo.dir, demo.ns_a, demo.ns_b);
	} else if (!cli->config) {
		ret = discover(&cfg);
		if (ret)
			goto out;
		info("discovered %zu candidates (use --config to choose)", cfg.ncand);
	}
	ctx.shim = cli->shim;
	ctx.cal = rep.cal;
	ctx.progress = progress_cb;
	ctx.progress_arg = &prog;
	prog.t0 = clock_s();
	prog.tty = isatty(STDERR_FILENO);
	for (size_t i = 0; i < cfg.ncand; i++)
		prog.total += cfg.cand[i].nwl * ab_runs_per_workload(&cfg);
	ret = plan_measure(&ctx, &rep);
	progress_end(&prog);
	if (cli->demo)
		demo_teardown(&demo);
	if (ret)
		goto out;
	if (interrupted) {
		err("interrupted: everything the plan made is removed");
		ret = 128 + interrupted;
		goto out;
	}
report:
	ret = plan_rank(&cfg, &rep);
	if (ret)
		goto out;
	if (!cli->json_stdout)
		plan_print(&cfg, &rep, stdout);
	j = plan_json(&cfg, &rep);
	ret = write_json(cli->json, cli->json_stdout, j);
	if (!ret && cli->plot)
		ret = plan_plot(&cfg, &rep, cli->plot);
out:
	if (cli->demo)
		demo_teardown(&demo);
	json_object_put(j);
	plan_report_free(&rep);
	plan_cfg_free(&cfg);
	return ret;
}

/* --------------------------------------------------------------- ab */

static int cmd_ab(struct cli *cli, int argc, char **argv)
{
	struct plan_cfg cfg;
	struct plan_report rep = { 0 };
	struct ab_ctx ctx = { .cfg = &cfg };
	struct progress prog = { 0 };
	struct candidate *c = NULL, one;
	struct json_object *j = NULL;
	int ret;

	if (argc - optind != 1) {
		err("ab: give one candidate, fs:PATH or net:[NS/]IFNAME");
		return MIG_USAGE;
	}
	plan_cfg_init(&cfg);
	if (cli->config && (ret = config_load(cli->config, &cfg)))
		goto out;
	for (size_t i = 0; i < cfg.ncand; i++)
		if (!strcmp(cfg.cand[i].name, argv[optind]))
			c = &cfg.cand[i];
	if (!c) {
		if (cli->config) {
			err("ab: %s has no candidate %s", cli->config, argv[optind]);
			ret = MIG_USAGE;
			goto out;
		}
		ret = candidate_parse(argv[optind], &one, NULL, 0);
		if (ret)
			goto out;
		plan_cfg_free(&cfg);
		cfg.cand = malloc(sizeof(*cfg.cand));
		if (!cfg.cand) {
			candidate_free(&one);
			ret = MIG_FAIL;
			goto out;
		}
		cfg.cand[0] = one;
		cfg.ncand = 1;
		c = &cfg.cand[0];
	}
	if (cli->workload && candidate_workloads(c, cli->workload, NULL, 0)) {
		ret = MIG_USAGE;
		goto out;
	}
	if (cli->command) {
		free(c->command);
		c->command = strdup(cli->command);
		if (!cli->workload)
			candidate_workloads(c, "command", NULL, 0);
	}
	for (size_t i = 0; i < c->nwl; i++)
		if (!strcmp(c->wl[i]->name, "command") && !c->command) {
			err("ab: the workload 'command' needs --command CMD");
			ret = MIG_USAGE;
			goto out;
		}
	if (cli->shim.fast_path) {
		free(c->fast_path);
		c->fast_path = strdup(cli->shim.fast_path);
	}
	/* only this one candidate is measured */
	if (c != &cfg.cand[0]) {
		struct candidate tmp = cfg.cand[0];

		cfg.cand[0] = *c;
		*c = tmp;
		c = &cfg.cand[0];
	}
	for (size_t i = 1; i < cfg.ncand; i++)
		candidate_free(&cfg.cand[i]);
	cfg.ncand = 1;
	apply_cli(cli, &cfg);
	ret = calibration_load(cli->calibration, &rep.cal);
	if (ret)
		goto out;
	catch_interrupts();
	ctx.shim = cli->shim;
	ctx.cal = rep.cal;
	ctx.progress = progress_cb;
	ctx.progress_arg = &prog;
	prog.t0 = clock_s();
	prog.tty = isatty(STDERR_FILENO);
	prog.total = c->nwl * ab_runs_per_workload(&cfg);
	ret = plan_measure(&ctx, &rep);
	progress_end(&prog);
	if (ret)
		goto out;
	if (interrupted) {
		err("interrupted: everything the A/B made is removed");
		ret = 128 + interrupted;
		goto out;
	}
	if (!cli->json_stdout) {
		int width = name_width(&rep);

		print_workload_head(stdout, width);
		for (size_t k = 0; k < rep.r[0].nwl; k++) {
			struct json_object *self;

			if (json_object_object_get_ex(rep.r[0].wl[k], "self_check_ab", &self))
				print_workload_row(stdout, width, "A against A", self);
			print_workload_row(stdout, width, c->name, rep.r[0].wl[k]);
		}
	}
	ret = plan_rank(&cfg, &rep);
	if (!ret) {
		j = plan_json(&cfg, &rep);
		ret = write_json(cli->json, cli->json_stdout, j);
	}
	if (!ret && !rep.r[0].measured)
		ret = MIG_FAIL;
out:
	json_object_put(j);
	plan_report_free(&rep);
	plan_cfg_free(&cfg);
	return ret;
}

/* ------------------------------------------------------------- list */

static int cmd_list(struct cli *cli, int argc, char **argv)
{
	struct plan_cfg cfg;
	int ret, width = 9;

	if (optind != argc) {
		err("list: unexpected argument '%s'", argv[optind]);
		return MIG_USAGE;
	}
	plan_cfg_init(&cfg);
	ret = cli->config ? config_load(cli->config, &cfg) : discover(&cfg);
	for (size_t i = 0; i < cfg.ncand; i++)
		width = (int)strlen(cfg.cand[i].name) > width ? (int)strlen(cfg.cand[i].name) : width;
	if (!ret) {
		printf("%-*s %7s %6s  %s\n", width, "candidate", "effort", "gain", "workloads");
		for (size_t i = 0; i < cfg.ncand; i++) {
			const struct candidate *c = &cfg.cand[i];

			printf("%-*s %7.3g %6.3g  ", width, c->name, c->effort, c->gain);
			for (size_t k = 0; k < c->nwl; k++)
				printf("%s%s", k ? " " : "", c->wl[k]->name);
			if (c->fast_path)
				printf("  (fast path %s)", c->fast_path);
			putchar('\n');
		}
	}
	plan_cfg_free(&cfg);
	return ret;
}

/* ------------------------------------------------- move/revert/status */

static int cmd_move(struct cli *cli, int argc, char **argv, bool revert)
{
	struct candidate c;
	int ret;

	if (argc - optind != 1) {
		err("%s: give one candidate, fs:PATH or net:[NS/]IFNAME",
		    revert ? "revert" : "move");
		return MIG_USAGE;
	}
	ret = candidate_parse(argv[optind], &c, NULL, 0);
	if (ret)
		return ret;
	if (c.kind == KIND_FS)
		ret = revert ? shim_fs_revert(&cli->shim, c.target) :
			       shim_fs_move(&cli->shim, c.target);
	else
		ret = revert ? shim_net_revert(&cli->shim, c.target) :
			       shim_net_move(&cli->shim, c.target);
	candidate_free(&c);
	return ret;
}

static int cmd_status(struct cli *cli, int argc, char **argv)
{
	struct json_object *moves, *v;
	size_t n;

	if (optind != argc) {
		err("status: unexpected argument '%s'", argv[optind]);
		return MIG_USAGE;
	}
	if (shim_status(&cli->shim, &moves))
		return MIG_FAIL;
	n = json_object_array_length(moves);
	if (cli->json_stdout || cli->json) {
		write_json(cli->json, cli->json_stdout, moves);
	} else if (!n) {
		printf("nothing moved\n");
	} else {
		printf("%-36s %-8s %-6s %s\n", "candidate", "server", "alive", "since");
		for (size_t i = 0; i < n; i++) {
			struct json_object *r = json_object_array_get_idx(moves, i);
			char name[4200];

			snprintf(name, sizeof(name), "%s:%s",
				 json_object_object_get_ex(r, "kind", &v) ? json_object_get_string(v) : "?",
				 json_object_object_get_ex(r, "target", &v) ? json_object_get_string(v) : "?");
			printf("%-36s %-8d %-6s %s\n", name,
			       json_object_object_get_ex(r, "server", &v) ? json_object_get_int(v) : 0,
			       json_object_object_get_ex(r, "alive", &v) && json_object_get_boolean(v) ?
			       "yes" : "no",
			       json_object_object_get_ex(r, "since", &v) ? json_object_get_string(v) : "?");
		}
	}
	json_object_put(moves);
	return 0;
}

int main(int argc, char **argv)
{
	struct cli cli = { 0 };
	const char *cmd;
	int ret;

	log_init("hk-migrate", LOG_LEVEL_INFO);
	if (argc >= 2 && !strcmp(argv[1], "workload"))
		return workload_main(argc - 1, argv + 1);
	ret = parse_opts(argc, argv, &cli, true);
	if (ret)
		return ret;
	if (optind >= argc) {
		usage(stderr);
		return MIG_USAGE;
	}
	/* the command's own options, before or after its arguments */
	cmd = argv[optind];
	argc -= optind;
	argv += optind;
	optind = 0;
	ret = parse_opts(argc, argv, &cli, false);
	if (ret)
		return ret;
	if (!strcmp(cmd, "plan"))
		return cmd_plan(&cli, argc, argv);
	if (!strcmp(cmd, "ab"))
		return cmd_ab(&cli, argc, argv);
	if (!strcmp(cmd, "list"))
		return cmd_list(&cli, argc, argv);
	if (!strcmp(cmd, "move") || !strcmp(cmd, "revert"))
		return cmd_move(&cli, argc, argv, cmd[0] == 'r');
	if (!strcmp(cmd, "status"))
		return cmd_status(&cli, argc, argv);
	err("unknown command '%s' (plan, ab, list, move, revert, status)", cmd);
	return MIG_USAGE;
}
