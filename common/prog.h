/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * prog.h - where this program is, and the hybridkit programs beside it
 */
#ifndef HK_PROG_H
#define HK_PROG_H

#include <stddef.h>

int prog_self(char *buf, size_t size);
int prog_path(const char *name, const char *env, char *buf, size_t size);

#endif /* HK_PROG_H */
