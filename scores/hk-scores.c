// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hk-scores.c - command line front-end of libhkscores: one subcommand per
 * model, the A/B statistics on a user's own data, and the calibration of
 * this machine's constants
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "log.h"

static const struct cli_cmd commands[] = {
	{ "utility", "Utility U = w_S S + w_P P - w_C C of a configuration.",
	  NULL, cmd_utility },
	{ "migration", "Rank candidates by j = alpha c~ + beta p~; with --budget, "
	  "choose the moves of largest isolation gain within the budget.",
	  "NAME:EFFORT:PENALTY[:GAIN]...", cmd_migration },
	{ "latency", "Round-trip latency through the kernel (T_k) and a server (T_u).",
	  NULL, cmd_latency },
	{ "throughput", "Throughput ratio of the user-space path to the kernel's.",
	  NULL, cmd_throughput },
	{ "copy", "Expected copy cost over message classes W:K:A:P (share, copies, "
	  "avoidable fraction, zero-copy probability).", "W:K:A:P...", cmd_copy },
	{ "jitter", "RMS jitter of exponential scheduling delays.", NULL, cmd_jitter },
	{ "underrun", "Probability and rate of buffer underruns.", NULL, cmd_underrun },
	{ "fastpath", "Hit rate, staleness and gain of a FUSE cache timeout.",
	  NULL, cmd_fastpath },
	{ "ebpf", "Cost per event and break-even of an in-kernel extension "
	  "against an upcall.", NULL, cmd_ebpf },
	{ "ab", "A/B statistics of paired samples 'A B', one pair a line.",
	  "[FILE]", cmd_ab },
	{ "calibrate", "Measure this machine's constants for the models (ns).",
	  NULL, cmd_calibrate },
};

#define NCOMMANDS	(sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	fprintf(f, "Usage: hk-scores COMMAND [OPTIONS]\n"
		   "       hk-scores COMMAND --help\n\n"
		   "Cost models of moving kernel paths to user space, the A/B\n"
		   "statistics of hybridkit, and this machine's constants.\n\n"
		   "Commands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-11s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nEvery command takes --json for machine-readable output.\n"
		   "See hk-scores(1) for the models and their derivations.\n");
}

int main(int argc, char **argv)
{
	log_init("hk-scores", LOG_LEVEL_INFO);

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("hk-scores (hybridkit) %s\n", PACKAGE_VERSION);
		return 0;
	}
	for (size_t i = 0; i < NCOMMANDS; i++) {
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(&commands[i], argc - 1, argv + 1);
	}
	err("unknown command '%s'", argv[1]);
	fprintf(stderr, "Try 'hk-scores --help'.\n");
	return EXIT_USAGE;
}
