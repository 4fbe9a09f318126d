/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * args.h - reading numbers, words and descriptors from the command line, and
 * telling the starter that a server is ready
 */
#ifndef HK_ARGS_H
#define HK_ARGS_H

#include <sched.h>
#include <stdbool.h>
#include <stddef.h>

bool args_ulong(const char *s, unsigned long min, unsigned long max,
		unsigned long *out);

bool args_double(const char *s, double min, double max, double *out);
bool args_word(const char *s, const char *const *words, unsigned int *out);
bool args_fd(const char *s, int *out);
bool args_cpus(const char *s, cpu_set_t *set);
char *args_cpus_format(const cpu_set_t *set, char *buf, size_t len);
void notify_ready(int fd);

#endif /* HK_ARGS_H */
