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
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3] = { 0 };

	if (cap >= 64 || syscall(SYS_capget, &h, d))
		return false;
	return d[cap / 32].effective & (1U << (cap % 32));
}

/**
 * caps_thread_drop() - take @cap out of the calling thread's effective set
 * (capset(2) changes one thread), saving what it had in @saved
 * @cap:	CAP_*
 * @saved:	for caps_thread_restore()
 *
 * Return: false, with nothing changed, where capget(2) or capset(2) failed
 */
bool caps_thread_drop(unsigned int cap, struct caps_saved *saved)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct caps_saved less;

	if (cap >= 64 || syscall(SYS_capget, &h, saved->d))
		return false;
	less = *saved;
	less.d[cap / 32].effective &= ~(1U << (cap % 32));
	return !syscall(SYS_capset, &h, less.d);
}

/**
 * caps_thread_restore() - give the calling thread back the capabilities
 * caps_thread_drop() saved
 * @saved:	as caps_thread_drop() left it
 *
 * Return: false where capset(2) failed
 */
bool caps_thread_restore(const struct caps_saved *saved)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };

	return !syscall(SYS_capset, &h, saved->d);
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
