/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * file.h - files written whole or not at all
 */
#ifndef HK_FILE_H
#define HK_FILE_H

int file_write_atomic(const char *path, const char *text);

#endif /* HK_FILE_H */
