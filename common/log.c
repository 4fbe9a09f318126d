// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * log.c - stderr logging shared by the hybridkit programs
 *
 * Kept deliberately small: programs are short-lived or run under a
 * supervisor that captures stderr, so there is no syslog or file output.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"

static const char *log_name = "hybridkit";
static enum log_level log_max = LOG_LEVEL_INFO;
static bool log_stamp;

/**
 * log_set_stamp() - put the local date and time in front of each message
 * @on:	true for a long-running process whose stderr is a log file
 */
void log_set_stamp(bool on)
{
	log_stamp = on;
}

/**
 * log_init() - set the program name and the most verbose level printed
 * @prog:	name printed in front of every message
 * @level:	messages above this level are dropped
 */
void log_init(const char *prog, enum log_level level)
{
	const char *slash = strrchr(prog, '/');

	log_name = slash ? slash + 1 : prog;
	log_max = level;
}

/**
 * log_set_level() - change the most verbose level printed
 * @level:	LOG_LEVEL_SILENT drops everything
 *
 * Return: the level it replaces, to be set again later
 */
enum log_level log_set_level(enum log_level level)
{
	enum log_level old = log_max;

	log_max = level;
	return old;
}

/**
 * log_prog() - the program name given to log_init()
 *
 * Return: the name, without any directory part
 */
const char *log_prog(void)
{
	return log_name;
}

/**
 * log_msg() - print one message to stderr
 * @level:	severity; dropped when above the level set by log_init()
 * @errnum:	positive errno to append as ": strerror", or 0
 * @fmt:	printf format
 */
void log_msg(enum log_level level, int errnum, const char *fmt, ...)
{
	char buf[1024], when[32] = "";
	va_list ap;

	if (level > log_max)
		return;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);

	if (log_stamp) {
		time_t now = time(NULL);
		struct tm tm;

		if (localtime_r(&now, &tm))
			strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S ", &tm);
	}
	if (errnum)
		fprintf(stderr, "%s%s: %s: %s\n", when, log_name, buf,
			strerror(errnum));
	else
		fprintf(stderr, "%s%s: %s\n", when, log_name, buf);
}
