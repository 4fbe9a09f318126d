/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * args.h - reading numbers from the command line
 */
#ifndef HK_ARGS_H
#define HK_ARGS_H

#include <stdbool.h>

bool args_ulong(const char *s, unsigned long min, unsigned long max,
		unsigned long *out);

#endif /* HK_ARGS_H */
