/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * log.h - one logging function for every hybridkit program
 *
 * Messages go to stderr as "prog: message".  err() and warn() always print;
 * info() prints unless quiet, debug() only when asked for.
 */
#ifndef HK_LOG_H
#define HK_LOG_H

#include <stdbool.h>

enum log_level {
	LOG_LEVEL_SILENT = -1,
	LOG_LEVEL_ERR,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

void log_init(const char *prog, enum log_level level);
const char *log_prog(void);
enum log_level log_set_level(enum log_level level);
void log_set_stamp(bool on);
void log_msg(enum log_level level, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* True the first time for @flag, from any thread: for messages said once. */
static inline bool log_first(bool *flag)
{
	return !__atomic_exchange_n(flag, true, __ATOMIC_RELAXED);
}

#define err(...)	log_msg(LOG_LEVEL_ERR, 0, __VA_ARGS__)
#define warn(...)	log_msg(LOG_LEVEL_WARN, 0, __VA_ARGS__)
#define info(...)	log_msg(LOG_LEVEL_INFO, 0, __VA_ARGS__)
#define debug(...)	log_msg(LOG_LEVEL_DEBUG, 0, __VA_ARGS__)

/* The _perror forms append ": strerror(errnum)"; errnum is a positive errno. */
#define err_perror(errnum, ...)	 log_msg(LOG_LEVEL_ERR, (errnum), __VA_ARGS__)
#define warn_perror(errnum, ...) log_msg(LOG_LEVEL_WARN, (errnum), __VA_ARGS__)
#define info_perror(errnum, ...) log_msg(LOG_LEVEL_INFO, (errnum), __VA_ARGS__)

#endif /* HK_LOG_H */
