/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * caps.h - what this process may do: its capabilities, its user namespace
 */
#ifndef HK_CAPS_H
#define HK_CAPS_H

#include <stdbool.h>

bool caps_effective(unsigned int cap);
bool caps_initial_userns(void);

#endif /* HK_CAPS_H */
