// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sandbox.c - least privilege once the ports are open
 *
 * Opening TAP devices in other namespaces needs CAP_NET_ADMIN and
 * CAP_SYS_ADMIN; carrying frames needs neither.  Once every port is open
 * the server drops all capabilities (effective, permitted, inheritable
 * and the bounding set, through libcap-ng), sets no_new_privs, and then
 * installs a seccomp allow-list (libseccomp) of the system calls that
 * forwarding, the counters, the capture and the log use.  Any other call
 * fails with EPERM: no new socket, no exec, no ptrace, no mount.  The
 * list is installed for every thread at once (TSYNC), after the workers
 * exist, so thread creation itself is not on it.
 *
 * A build with AddressSanitizer also allows what LeakSanitizer needs at
 * exit to stop the threads and read their stacks.
 */
#include <cap-ng.h>
#include <errno.h>
#include <seccomp.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "sandbox.h"

/**
 * sandbox_drop_caps() - give up every capability, for good
 *
 * Return: 0, or -EPERM with the reason logged
 */
int sandbox_drop_caps(void)
{
	capng_clear(CAPNG_SELECT_BOTH);
	if (capng_apply(CAPNG_SELECT_BOTH)) {
		err("cannot drop capabilities");
		return -EPERM;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		err_perror(errno, "cannot set no_new_privs");
		return -EPERM;
	}
	return 0;
}

static const char *const allowed[] = {
	/* forwarding */
	"read", "readv", "write", "writev", "epoll_wait", "epoll_pwait", "epoll_pwait2",
	"epoll_ctl", "futex", "clock_gettime", "gettimeofday", "sched_yield",
	/* memory (json-c, libpcap, libnl allocate) */
	"mmap", "munmap", "mremap", "madvise", "brk", "mprotect",
	/* --stats: a temporary file, fsync, rename; the log's time zone */
	"openat", "open", "close", "newfstatat", "fstat", "lseek", "fsync", "fdatasync",
	"rename", "renameat", "renameat2", "unlink", "unlinkat", "fcntl",
	/* the kernel's drop counters over the port's rtnetlink socket */
	"sendmsg", "sendto", "recvmsg", "recvfrom",
	/* --stats-socket: its clients, and its end */
	"accept4", "accept", "setsockopt", "shutdown",
	/* signals, and the way out (abort included) */
	"rt_sigreturn", "rt_sigprocmask", "rt_sigaction", "restart_syscall", "getpid",
	"gettid", "tgkill", "exit", "exit_group", "nanosleep", "clock_nanosleep",
	"getrandom",
#ifdef __SANITIZE_ADDRESS__
	"clone", "clone3", "ptrace", "wait4", "waitid", "prctl", "getppid", "sigaltstack",
	"sched_getaffinity", "readlink", "readlinkat", "pipe2", "dup", "dup2", "dup3",
	"process_vm_readv", "kill", "set_robust_list", "rseq", "getrlimit", "prlimit64",
	"getdents64", "getdents",
#endif
};

/**
 * sandbox_seccomp() - refuse every system call not on the list
 *
 * Return: 0, or -errno with the reason logged
 */
int sandbox_seccomp(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
	int ret = -ENOMEM;

	if (!ctx)
		goto out;
	ret = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	for (size_t i = 0; !ret && i < sizeof(allowed) / sizeof(allowed[0]); i++) {
		int nr = seccomp_syscall_resolve_name(allowed[i]);

		if (nr != __NR_SCMP_ERROR)
			ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
	}
	if (!ret)
		ret = seccomp_load(ctx);
	seccomp_release(ctx);
out:
	if (ret)
		err_perror(-ret, "cannot install the seccomp filter");
	return ret;
}

/**
 * sandbox_probe() - with HK_SANDBOX_PROBE=1, try a call off the list
 *
 * For the tests: the server opens no socket after start, so socket(2)
 * must fail with EPERM; the result is logged either way.
 */
void sandbox_probe(void)
{
	const char *v = getenv("HK_SANDBOX_PROBE");
	int fd;

	if (!v || *v != '1')
		return;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0) {
		warn("sandbox probe: socket(AF_INET) was allowed");
		close(fd);
	} else {
		info_perror(errno, "sandbox probe: socket(AF_INET) refused");
	}
}
