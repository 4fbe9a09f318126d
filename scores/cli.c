// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cli.c - parameter tables and output for the hk-scores subcommands
 *
 * Every model subcommand declares its parameters in a table; the parser
 * here gives them all the same behaviour: --name VALUE or --name=VALUE,
 * --help to stdout, and on misuse a message naming the parameter and
 * exit status 2.  Domain checks here name the parameter at fault; the
 * library checks again, and catches what involves several at once.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "jsonnum.h"
#include "log.h"

static const char *cli_domain_text(enum cli_domain d)
{
	switch (d) {
	case CLI_ANY:		return "a number";
	case CLI_NONNEG:	return "a number >= 0";
	case CLI_POSITIVE:	return "a number > 0";
	case CLI_PROB:		return "a number in [0, 1]";
	case CLI_COUNT:		return "a whole number >= 1";
	case CLI_FLAG:
	case CLI_TEXT:		break;
	}
	return "";
}

/**
 * cli_fail() - print "hk-scores CMD: message" and return @status
 * @cmd:	subcommand, or NULL
 * @status:	exit status to return
 * @fmt:	printf format
 *
 * Return: @status
 */
int cli_fail(const struct cli_cmd *cmd, int status, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (cmd)
		err("%s: %s", cmd->name, buf);
	else
		err("%s", buf);
	if (status == EXIT_USAGE && cmd)
		fprintf(stderr, "Try 'hk-scores %s --help'.\n", cmd->name);
	return status;
}

/**
 * cli_usage() - usage of one subcommand, generated from its table
 * @f:	stream
 * @cmd:	subcommand
 * @params:	its parameters, ending with a NULL name
 */
void cli_usage(FILE *f, const struct cli_cmd *cmd,
	       const struct cli_param *params)
{
	fprintf(f, "Usage: hk-scores %s [--json]", cmd->name);
	for (const struct cli_param *p = params; p->name; p++) {
		const char *val = p->domain == CLI_FLAG ? "" :
				  p->domain == CLI_TEXT ? " TEXT" : " X";

		fprintf(f, p->required ? " --%s%s" : " [--%s%s]", p->name, val);
	}
	if (cmd->positional)
		fprintf(f, " %s", cmd->positional);
	fprintf(f, "\n%s\n\n", cmd->summary);

	for (const struct cli_param *p = params; p->name; p++) {
		char opt[40];

		snprintf(opt, sizeof(opt), "--%s", p->name);
		fprintf(f, "  %-18s %s", opt, p->help);
		if (p->domain != CLI_FLAG && p->domain != CLI_TEXT)
			fprintf(f, " (%s", cli_domain_text(p->domain));
		if (p->domain == CLI_FLAG || p->domain == CLI_TEXT)
			;
		else if (p->required)
			fprintf(f, ", required)");
		else
			fprintf(f, ", default %g)", p->num);
		if (p->domain == CLI_TEXT && p->text)
			fprintf(f, " (default %s)", p->text);
		fputc('\n', f);
	}
	fprintf(f, "  %-18s %s\n", "--json", "print JSON instead of a table");
	fprintf(f, "  %-18s %s\n", "--help", "print this help and exit");
}

static int cli_set(const struct cli_cmd *cmd, struct cli_param *p,
		   const char *val)
{
	char *end;
	double v;

	if (p->domain == CLI_TEXT) {
		p->text = val;
		p->set = true;
		return 0;
	}
	errno = 0;
	v = strtod(val, &end);
	if (end == val || *end || errno == ERANGE || !isfinite(v))
		return cli_fail(cmd, EXIT_USAGE, "--%s: '%s' is not a finite number",
				p->name, val);
	switch (p->domain) {
	case CLI_NONNEG:
		if (v < 0.0)
			goto out_domain;
		break;
	case CLI_POSITIVE:
		if (v <= 0.0)
			goto out_domain;
		break;
	case CLI_PROB:
		if (v < 0.0 || v > 1.0)
			goto out_domain;
		break;
	case CLI_COUNT:
		if (v < 1.0 || v != floor(v) || v > 1e9)
			goto out_domain;
		break;
	default:
		break;
	}
	p->num = v;
	p->set = true;
	return 0;

out_domain:
	return cli_fail(cmd, EXIT_USAGE, "--%s: %s is out of range: it must be %s",
			p->name, val, cli_domain_text(p->domain));
}

/**
 * cli_parse() - parse the arguments of one subcommand against its table
 * @cmd:	subcommand
 * @params:	its parameters, ending with a NULL name; updated
 * @argc:	argument count, argv[0] being the subcommand name
 * @argv:	arguments
 * @args:	--json and the positional arguments
 *
 * Return: 0 to go on, -1 when --help was printed (exit 0), or the exit
 * status of a usage error (already reported)
 */
int cli_parse(const struct cli_cmd *cmd, struct cli_param *params,
	      int argc, char **argv, struct cli_args *args)
{
	bool options = true;

	/* Positional arguments are gathered at the front of argv, in order:
	 * each is moved to a slot that has been read already. */
	args->json = false;
	args->npos = 0;
	args->pos = argv + 1;

	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i], *eq, *val = NULL;
		struct cli_param *p;
		size_t len;
		int ret;

		if (options && !strcmp(arg, "--")) {
			options = false;
			continue;
		}
		if (!options || strncmp(arg, "--", 2)) {
			if (options && !strcmp(arg, "-h")) {
				cli_usage(stdout, cmd, params);
				return -1;
			}
			args->pos[args->npos++] = argv[i];
			continue;
		}
		arg += 2;
		if (!strcmp(arg, "help")) {
			cli_usage(stdout, cmd, params);
			return -1;
		}
		if (!strcmp(arg, "json")) {
			args->json = true;
			continue;
		}
		eq = strchr(arg, '=');
		len = eq ? (size_t)(eq - arg) : strlen(arg);
		for (p = params; p->name; p++) {
			if (strlen(p->name) == len && !strncmp(p->name, arg, len))
				break;
		}
		if (!p->name)
			return cli_fail(cmd, EXIT_USAGE, "unknown option '--%.*s'",
					(int)len, arg);
		if (p->domain == CLI_FLAG) {
			if (eq)
				return cli_fail(cmd, EXIT_USAGE,
						"--%s takes no value", p->name);
			p->set = true;
			p->num = 1.0;
			continue;
		}
		if (eq)
			val = eq + 1;
		else if (i + 1 < argc)
			val = argv[++i];
		else
			return cli_fail(cmd, EXIT_USAGE, "--%s needs a value",
					p->name);
		ret = cli_set(cmd, p, val);
		if (ret)
			return ret;
	}

	for (struct cli_param *p = params; p->name; p++) {
		if (p->required && !p->set)
			return cli_fail(cmd, EXIT_USAGE, "--%s is required (%s)",
					p->name, p->help);
	}
	if (args->npos && !cmd->positional)
		return cli_fail(cmd, EXIT_USAGE, "unexpected argument '%s'",
				args->pos[0]);
	return 0;
}

/**
 * cli_parse_fields() - split "[NAME:]X:Y[:Z]" into numbers
 * @arg:	the argument
 * @v:	the numbers
 * @min:	fewest numbers accepted
 * @max:	most numbers accepted
 * @name:	if not NULL, the argument starts with a name, returned here
 *		as a malloc'd string the caller frees
 *
 * Return: how many numbers were read, or -EINVAL
 */
int cli_parse_fields(const char *arg, double *v, int min, int max,
		     const char **name)
{
	char *copy = strdup(arg), *save = NULL, *tok;
	int n = 0;

	if (!copy)
		return -ENOMEM;
	tok = strtok_r(copy, ":", &save);
	if (name) {
		if (!tok || arg[0] == ':')
			goto out_invalid;
		tok = strtok_r(NULL, ":", &save);
	}
	for (; tok; tok = strtok_r(NULL, ":", &save)) {
		char *end;

		if (n == max)
			goto out_invalid;
		errno = 0;
		v[n] = strtod(tok, &end);
		if (end == tok || *end || errno == ERANGE || !isfinite(v[n]))
			goto out_invalid;
		n++;
	}
	if (n < min)
		goto out_invalid;
	if (name)
		*name = copy;	/* the name is the copy's first field */
	else
		free(copy);
	return n;

out_invalid:
	free(copy);
	return -EINVAL;
}

/**
 * cli_inputs_json() - the parameters as a JSON object, for reports
 * @params:	the table, ending with a NULL name
 *
 * Return: a new JSON object
 */
struct json_object *cli_inputs_json(const struct cli_param *params)
{
	struct json_object *in = json_object_new_object();

	for (const struct cli_param *p = params; p->name; p++) {
		if (p->domain == CLI_FLAG)
			json_object_object_add(in, p->name,
					       json_object_new_boolean(p->set));
		else if (p->domain == CLI_TEXT)
			json_object_object_add(in, p->name, p->text ?
					       json_object_new_string(p->text) :
					       NULL);
		else if (p->set || !p->required)
			jsonnum_add(in, p->name, p->num);
	}
	return in;
}

/**
 * cli_report_init() - start a report of one model
 * @r:	report
 * @cmd:	the model's subcommand
 * @params:	its parameters, echoed in the JSON form
 */
void cli_report_init(struct cli_report *r, const struct cli_cmd *cmd,
		     const struct cli_param *params)
{
	r->cmd = cmd;
	r->params = params;
	r->outputs = json_object_new_object();
	r->nrows = 0;
}

static struct cli_row *cli_report_row(struct cli_report *r, const char *label)
{
	struct cli_row *row;

	if (r->nrows == CLI_REPORT_ROWS)
		return NULL;
	row = &r->rows[r->nrows++];
	snprintf(row->label, sizeof(row->label), "%s", label);
	return row;
}

/**
 * cli_report_num() - add a numeric result
 * @r:	report
 * @key:	JSON member name
 * @label:	what a person reads in the table
 * @v:	the value; infinity prints as "inf" and is null in JSON
 * @unit:	unit shown after the value, or NULL
 */
void cli_report_num(struct cli_report *r, const char *key, const char *label,
		    double v, const char *unit)
{
	struct cli_row *row = cli_report_row(r, label);

	jsonnum_add(r->outputs, key, v);
	if (row)
		snprintf(row->value, sizeof(row->value), "%.10g%s%s", v,
			 unit ? " " : "", unit ? unit : "");
}

/**
 * cli_report_bool() - add a yes/no result
 * @r:	report
 * @key:	JSON member name
 * @label:	what a person reads in the table
 * @v:	the value
 */
void cli_report_bool(struct cli_report *r, const char *key, const char *label,
		     bool v)
{
	struct cli_row *row = cli_report_row(r, label);

	json_object_object_add(r->outputs, key, json_object_new_boolean(v));
	if (row)
		snprintf(row->value, sizeof(row->value), "%s", v ? "yes" : "no");
}

/**
 * cli_print_json() - print a JSON document to stdout and release it
 * @obj:	the document
 *
 * Return: 0, or EXIT_FAILURE when stdout could not be written
 */
int cli_print_json(struct json_object *obj)
{
	const char *s = json_object_to_json_string_ext(obj,
			JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
			JSON_C_TO_STRING_NOSLASHESCAPE);
	int ret = puts(s) < 0 ? EXIT_FAILURE : 0;

	json_object_put(obj);
	return ret;
}

/**
 * cli_report_print() - print the report and release it
 * @r:	report
 * @json:	as JSON {model, inputs, outputs} instead of a table
 *
 * Return: 0, or EXIT_FAILURE when stdout could not be written
 */
int cli_report_print(struct cli_report *r, bool json)
{
	int width = 0;

	if (json) {
		struct json_object *root = json_object_new_object();

		json_object_object_add(root, "model",
				       json_object_new_string(r->cmd->name));
		json_object_object_add(root, "inputs",
				       cli_inputs_json(r->params));
		json_object_object_add(root, "outputs", r->outputs);
		return cli_print_json(root);
	}

	json_object_put(r->outputs);
	for (int i = 0; i < r->nrows; i++) {
		int len = (int)strlen(r->rows[i].label);

		width = len > width ? len : width;
	}
	for (int i = 0; i < r->nrows; i++)
		printf("%-*s  %s\n", width, r->rows[i].label, r->rows[i].value);
	return fflush(stdout) ? EXIT_FAILURE : 0;
}
