// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * main.c - hk-shim: the command line of libhkshim
 */
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "log.h"
#include "shim.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: hk-shim [--state-dir DIR] [-q|-v] COMMAND ...\n"
		"Move a live directory or network link to the hybridkit user-space\n"
		"servers and back.\n\n"
		"  fs move [--fast-path MODE] [--threads N] DIR\n"
		"                     serve DIR from hk-fs-server, mounted over DIR\n"
		"  fs revert [--lazy] [--timeout SEC] DIR\n"
		"                     unmount and stop the server; a busy DIR is waited\n"
		"                     for (up to SEC), or detached at once with --lazy\n"
		"  net move [--no-offload] LINK\n"
		"                     replace the veth LINK ([NS/]IFNAME) and its peer by\n"
		"                     two TAP ports joined by hk-net-server\n"
		"  net revert LINK    put the veth back, configured as it was\n"
		"  status [--json]    the moves on record (stale ones are cleaned)\n"
		"  run [--fs DIR]... [--net LINK]... [--fast-path MODE] [--] CMD [ARG]...\n"
		"                     run CMD alone on the user-space path; everyone\n"
		"                     else stays on the kernel path\n\n"
		"  --state-dir DIR    where moves are recorded (default $HK_STATE_DIR,\n"
		"                     else " SHIM_STATE_DIR ")\n"
		"  -q, --quiet        errors and warnings only\n"
		"  -h, --help         print this help and exit\n\n"
		"Exit status: 0 done, 1 failed, 2 bad request; nothing is changed when\n"
		"it is not 0.  hk-shim run returns the status of CMD.  See hk-shim(1).\n");
}

/* An option for the servers, shared by move and run: 0, or -1 when bad. */
static int server_opt(int c, const char *arg, struct shim_opts *o)
{
	unsigned long n;

	switch (c) {
	case 'F':
		o->fast_path = arg;	/* hk-fs-server checks it */
		return 0;
	case 't':
		if (!args_ulong(arg, 1, 1024, &n)) {
			err("--threads: '%s' is not a number from 1 to 1024", arg);
			return -1;
		}
		o->threads = (unsigned int)n;
		return 0;
	case 'O':
		o->no_offload = true;
		return 0;
	}
	return -1;
}

/* Options after the command word; @argv[0] is the command word. */
static int sub_args(int argc, char **argv, struct shim_opts *o,
		    const char *allowed, int *json)
{
	static const struct option longopts[] = {
		{ "fast-path", required_argument, NULL, 'F' },
		{ "threads", required_argument, NULL, 't' },
		{ "no-offload", no_argument, NULL, 'O' },
		{ "lazy", no_argument, NULL, 'l' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long n;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		if (c == '?' || !strchr(allowed, c)) {
			if (c != '?')
				err("%s: option %s does not apply here", argv[0],
				    argv[optind - 1]);
			return -1;
		}
		switch (c) {
		case 'F':
		case 't':
		case 'O':
			if (server_opt(c, optarg, o))
				return -1;
			break;
		case 'l':
			o->lazy = true;
			break;
		case 'T':
			if (!args_ulong(optarg, 1, 86400, &n)) {
				err("--timeout: '%s' is not seconds from 1 to 86400", optarg);
				return -1;
			}
			o->timeout = (double)n;
			break;
		case 'j':
			*json = 1;
			break;
		}
	}
	return optind;
}

static int one_target(int argc, int at, const char *what)
{
	if (at < 0)
		return -1;
	if (argc - at != 1) {
		err("expected one %s", what);
		return -1;
	}
	return at;
}

static int cmd_fs_net(struct shim_opts *o, int argc, char **argv, bool fs)
{
	int json = 0, at;
	bool move;

	if (argc < 2 || (strcmp(argv[1], "move") && strcmp(argv[1], "revert"))) {
		err("%s: expected move or revert", argv[0]);
		return 2;
	}
	move = !strcmp(argv[1], "move");
	at = sub_args(argc - 1, argv + 1, o,
		      fs ? (move ? "Ft" : "lT") : (move ? "O" : ""), &json);
	at = one_target(argc - 1, at, fs ? "DIR" : "LINK");
	if (at < 0)
		return 2;
	if (fs)
		return move ? shim_fs_move(o, argv[1 + at]) :
			      shim_fs_revert(o, argv[1 + at]);
	return move ? shim_net_move(o, argv[1 + at]) :
		      shim_net_revert(o, argv[1 + at]);
}

static int cmd_status(struct shim_opts *o, int argc, char **argv)
{
	struct json_object *moves;
	int json = 0, at = sub_args(argc, argv, o, "j", &json);
	size_t n;

	if (at < 0 || at != argc) {
		if (at >= 0)
			err("status: unexpected argument '%s'", argv[at]);
		return 2;
	}
	if (shim_status(o, &moves))
		return 1;
	n = json_object_array_length(moves);
	if (json) {
		puts(json_object_to_json_string_ext(moves, JSON_C_TO_STRING_PRETTY |
						    JSON_C_TO_STRING_NOSLASHESCAPE));
	} else if (!n) {
		printf("nothing moved\n");
	} else {
		printf("%-4s %-32s %-8s %-8s %s\n", "KIND", "TARGET", "SERVER",
		       "ALIVE", "SINCE");
		for (size_t i = 0; i < n; i++) {
			struct json_object *r = json_object_array_get_idx(moves, i), *v;

			printf("%-4s %-32s %-8d %-8s %s\n",
			       json_object_object_get_ex(r, "kind", &v) ?
			       json_object_get_string(v) : "?",
			       json_object_object_get_ex(r, "target", &v) ?
			       json_object_get_string(v) : "?",
			       json_object_object_get_ex(r, "server", &v) ?
			       json_object_get_int(v) : 0,
			       json_object_object_get_ex(r, "alive", &v) &&
			       json_object_get_boolean(v) ? "yes" : "no",
			       json_object_object_get_ex(r, "since", &v) ?
			       json_object_get_string(v) : "?");
		}
	}
	json_object_put(moves);
	return 0;
}

static int cmd_run(struct shim_opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "fs", required_argument, NULL, 'f' },
		{ "net", required_argument, NULL, 'n' },
		{ "fast-path", required_argument, NULL, 'F' },
		{ "threads", required_argument, NULL, 't' },
		{ "no-offload", no_argument, NULL, 'O' },
		{ NULL, 0, NULL, 0 },
	};
	char **fs = calloc((size_t)argc, sizeof(*fs));
	char **net = calloc((size_t)argc, sizeof(*net));
	int nfs = 0, nnet = 0, c, ret;
	bool started;

	if (!fs || !net) {
		err("out of memory");
		free(fs);
		free(net);
		return 1;
	}
	optind = 1;
	ret = -1;
	while (ret < 0 && (c = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			fs[nfs++] = optarg;
			break;
		case 'n':
			net[nnet++] = optarg;
			break;
		case 'F':
		case 't':
		case 'O':
			if (server_opt(c, optarg, o))
				ret = 2;
			break;
		default:
			ret = 2;
		}
	}
	if (ret < 0 && optind >= argc) {
		err("run: give the command to run after --");
		ret = 2;
	}
	if (ret < 0 && !nfs && !nnet) {
		err("run: give at least one --fs DIR or --net LINK");
		ret = 2;
	}
	if (ret < 0)
		ret = shim_run(o, fs, nfs, net, nnet, argv + optind, &started);
	free(fs);
	free(net);
	return ret;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "state-dir", required_argument, NULL, 's' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct shim_opts o = { 0 };
	enum log_level level = LOG_LEVEL_INFO;
	int c;

	log_init("hk-shim", level);
	while ((c = getopt_long(argc, argv, "+qhV", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			o.state_dir = optarg;
			break;
		case 'q':
			level = LOG_LEVEL_WARN;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("hk-shim (hybridkit) %s\n", PACKAGE_VERSION);
			return 0;
		default:
			fprintf(stderr, "Try 'hk-shim --help'.\n");
			return 2;
		}
	}
	log_init("hk-shim", level);
	if (optind >= argc) {
		err("expected a command: fs, net, status or run");
		fprintf(stderr, "Try 'hk-shim --help'.\n");
		return 2;
	}
	argc -= optind;
	argv += optind;
	if (!strcmp(argv[0], "fs") || !strcmp(argv[0], "net"))
		return cmd_fs_net(&o, argc, argv, argv[0][0] == 'f');
	if (!strcmp(argv[0], "status"))
		return cmd_status(&o, argc, argv);
	if (!strcmp(argv[0], "run"))
		return cmd_run(&o, argc, argv);
	err("unknown command '%s' (fs, net, status, run)", argv[0]);
	return 2;
}
