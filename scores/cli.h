/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cli.h - the parts of hk-scores shared by its subcommands: parameter
 * tables, their parser, and output as an aligned table or as JSON
 */
#ifndef HK_SCORES_CLI_H
#define HK_SCORES_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include <json-c/json.h>

/* Exit statuses of every hybridkit program. */
#define EXIT_USAGE	2

enum cli_domain {
	CLI_ANY,	/* any finite number */
	CLI_NONNEG,	/* finite, >= 0 */
	CLI_POSITIVE,	/* finite, > 0 */
	CLI_PROB,	/* in [0, 1] */
	CLI_COUNT,	/* whole number >= 1 */
	CLI_FLAG,	/* no value */
	CLI_TEXT,	/* a string */
};

struct cli_param {
	const char *name;	/* option name without "--" */
	enum cli_domain domain;
	const char *help;
	bool required;
	double num;		/* value (default before parsing) */
	const char *text;	/* CLI_TEXT value */
	bool set;		/* given on the command line (or flag on) */
};

/* Entries of a parameter table, which ends with CLI_PARAM_END. */
#define CLI_PARAM_REQ(name, dom, help) \
	{ name, dom, help, true, 0, NULL, false }
#define CLI_PARAM_OPT(name, dom, def, help) \
	{ name, dom, help, false, def, NULL, false }
#define CLI_PARAM_END \
	{ NULL, CLI_ANY, NULL, false, 0, NULL, false }

struct cli_cmd {
	const char *name;
	const char *summary;
	const char *positional;	/* usage of positional arguments, or NULL */
	int (*run)(const struct cli_cmd *cmd, int argc, char **argv);
};

/* Parsed command line of one subcommand. */
struct cli_args {
	bool json;
	int npos;
	char **pos;
};

int cli_parse(const struct cli_cmd *cmd, struct cli_param *params,
	      int argc, char **argv, struct cli_args *args);

/* In a subcommand: parse, or return its exit status (0 after --help). */
#define CLI_PARSE(cmd, params, argc, argv, args)			\
	do {								\
		int _ret = cli_parse(cmd, params, argc, argv, args);	\
		if (_ret)						\
			return _ret < 0 ? 0 : _ret;			\
	} while (0)
void cli_usage(FILE *f, const struct cli_cmd *cmd,
	       const struct cli_param *params);
int cli_fail(const struct cli_cmd *cmd, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int cli_parse_fields(const char *arg, double *v, int min, int max,
		     const char **name);

/* A report of one model: rows of results, as an aligned table or JSON. */
#define CLI_REPORT_ROWS	16

struct cli_row {
	char label[64];
	char value[48];
};

struct cli_report {
	const struct cli_cmd *cmd;
	const struct cli_param *params;
	struct json_object *outputs;
	struct cli_row rows[CLI_REPORT_ROWS];
	int nrows;
};

void cli_report_init(struct cli_report *r, const struct cli_cmd *cmd,
		     const struct cli_param *params);
void cli_report_num(struct cli_report *r, const char *key, const char *label,
		    double v, const char *unit);
void cli_report_bool(struct cli_report *r, const char *key, const char *label,
		     bool v);
int cli_report_print(struct cli_report *r, bool json);
int cli_print_json(struct json_object *obj);
struct json_object *cli_inputs_json(const struct cli_param *params);

/* Subcommands. */
int cmd_utility(const struct cli_cmd *cmd, int argc, char **argv);
int cmd_migration(const struct cli_cmd *cmd, int argc, char **argv);
int cmd_latency(const struct cli_cmd *cmd, int argc, char **argv);
int cmd_throughput(const struct cli_cmd *cmd, int argc, char **argv);
int cmd_copy(const struct cli_cmd *cmd, int argc, char **argv);
int cmd_jitter(const struct cli_cmd *cmd, int argc, char **argv);
int cmd_underrun(const struct cli_cmd *cmd, int argc, char **argv);
int cmd_fastpath(const struct cli_cmd *cmd, int argc, char **argv);
int cmd_ebpf(const struct cli_cmd *cmd, int argc, char **argv);
int cmd_ab(const struct cli_cmd *cmd, int argc, char **argv);
int cmd_calibrate(const struct cli_cmd *cmd, int argc, char **argv);

#endif /* HK_SCORES_CLI_H */
