/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * caps.h - what this process may do: its capabilities, its user namespace
 */
#ifndef HK_CAPS_H
#define HK_CAPS_H

#include <stdbool.h>
#include <linux/capability.h>

/* A thread's capabilities, as capget(2) gave them, to put back */
struct caps_saved {
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];
};

bool caps_effective(unsigned int cap);
bool caps_initial_userns(void);
bool caps_thread_drop(unsigned int cap, struct caps_saved *saved);
bool caps_thread_restore(const struct caps_saved *saved);

#endif /* HK_CAPS_H */
