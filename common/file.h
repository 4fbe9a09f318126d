/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * file.h - files written whole or not at all, and one-line files read
 */
#ifndef HK_FILE_H
#define HK_FILE_H

#include <stdbool.h>
#include <stddef.h>

int file_write_atomic(const char *path, const char *text);
bool file_read_line(const char *path, char *buf, size_t len);

#endif /* HK_FILE_H */
