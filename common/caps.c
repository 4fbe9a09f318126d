// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * caps.c - what this process may do: its capabilities, its user namespace
 *
 * A capability counts for the kernel's capable() only in the initial user
 * namespace; in a user namespace of its own a process may hold every
 * capability and still be refused what capable() guards.
 */
#include <stdio.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "caps.h"

/**
 * caps_effective() - whether this process has capability @cap in its
 * effective set (in its own user namespace)
 * @cap:	CAP_*
 */
bool caps_effective(unsigned int cap)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = { 0 };

	if (cap >= 64 || syscall(SYS_capget, &h, d))
		return false;
	return d[cap / 32].effective & (1U << (cap % 32));
}

/**
 * caps_initial_userns() - whether this process is in the initial user
 * namespace, known by the identity map of every uid that only it has
 * (/proc/self/uid_map); false where that cannot be read
 */
bool caps_initial_userns(void)
{
	FILE *f = fopen("/proc/self/uid_map", "re");
	unsigned long inside, outside, count;
	bool init = false;

	if (f) {
		init = fscanf(f, "%lu %lu %lu", &inside, &outside, &count) == 3 &&
		       inside == 0 && outside == 0 && count == 4294967295UL &&
		       fscanf(f, "%lu", &inside) != 1;
		fclose(f);
	}
	return init;
}
