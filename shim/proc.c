// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * proc.c - what the shim reads from /proc (processes, the mount table,
 * who holds a mount) and how it starts a server and waits for it
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "caps.h"
#include "file.h"
#include "internal.h"
#include "log.h"
#include "prog.h"

#define READY_TIMEOUT_MS	30000

/* The start time of @pid in clock ticks since boot; 0 when it is gone
 * or a zombie. */
unsigned long long proc_start(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long start = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')) &&
	    p[1] == ' ' && p[2] != 'Z') {
		/* after ") ": state is field 3, starttime field 22 */
		p += 2;
		for (int field = 3; field < 22 && p; field++) {
			p = strchr(p, ' ');
			if (p)
				p++;
		}
		if (p)
			start = strtoull(p, NULL, 10);
	}
	fclose(f);
	return start;
}

/*
 * The absolute path of @in without following its last component: the
 * directory part is resolved, the name kept.  A moved directory whose
 * server died answers stat(2) with ENOTCONN; it must still be nameable.
 */
int path_canon(const char *in, char *out)
{
	char copy[PATH_MAX], dir[PATH_MAX], base[NAME_MAX + 1], *d;
	size_t len = strlen(in);

	if (!len || len >= sizeof(copy))
		return -ENAMETOOLONG;
	memcpy(copy, in, len + 1);
	while (len > 1 && copy[len - 1] == '/')
		copy[--len] = '\0';
	snprintf(base, sizeof(base), "%s", basename(copy));
	if (!strcmp(base, ".") || !strcmp(base, "..") || !strcmp(copy, "/"))
		return realpath(copy, out) ? 0 : -errno;
	d = dirname(copy);
	if (!realpath(d, dir))
		return -errno;
	if (snprintf(out, PATH_MAX, "%s/%s", strcmp(dir, "/") ? dir : "",
		     base) >= PATH_MAX)
		return -ENAMETOOLONG;
	return 0;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (s[0] == '\\' && isdigit((unsigned char)s[1]) &&
		    isdigit((unsigned char)s[2]) && isdigit((unsigned char)s[3])) {
			*o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 +
				      (s[3] - '0'));
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

/* Parse one mountinfo line; the mount point is left in @mp. */
static bool mnt_parse(char *line, struct mnt *m, char **mp)
{
	char *save, *tok, *dash;
	unsigned int i = 0;

	dash = strstr(line, " - ");
	if (!dash)
		return false;
	*dash = '\0';
	for (tok = strtok_r(line, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save), i++) {
		if (i == 0)
			m->id = atoi(tok);
		else if (i == 2 && sscanf(tok, "%u:%u", &m->major, &m->minor) != 2)
			return false;
		else if (i == 4)
			*mp = tok;
	}
	if (i < 5 || sscanf(dash + 3, "%63s", m->fstype) != 1)
		return false;
	unescape(*mp);
	return true;
}

/* The mount on top at @path, in this process's mount namespace. */
bool mnt_at(const char *path, struct mnt *m)
{
	char line[2 * PATH_MAX + 256], *mp = NULL;
	bool found = false;
	FILE *f = fopen("/proc/self/mountinfo", "re");
	struct mnt cur;

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (mnt_parse(line, &cur, &mp) && !strcmp(mp, path)) {
			*m = cur;	/* the last one is on top */
			found = true;
		}
	}
	fclose(f);
	return found;
}

static bool on_dev(const char *path, dev_t dev)
{
	struct stat st;

	return !stat(path, &st) && st.st_dev == dev;
}

/* Whether process @pid has a file of @dev open, as cwd, root or mapped. */
static bool holds(const char *pid, dev_t dev)
{
	char path[PATH_MAX], line[PATH_MAX + 128];
	bool found = false;
	struct dirent *e;
	DIR *d;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%s/cwd", pid);
	if (on_dev(path, dev))
		return true;
	snprintf(path, sizeof(path), "/proc/%s/root", pid);
	if (on_dev(path, dev))
		return true;
	snprintf(path, sizeof(path), "/proc/%s/fd", pid);
	d = opendir(path);
	while (d && !found && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/fd/%s", pid, e->d_name);
		found = on_dev(path, dev);
	}
	if (d)
		closedir(d);
	snprintf(path, sizeof(path), "/proc/%s/maps", pid);
	f = found ? NULL : fopen(path, "re");
	while (f && !found && fgets(line, sizeof(line), f)) {
		unsigned int ma, mi;

		/* address perms offset major:minor inode path */
		found = sscanf(line, "%*s %*s %*s %x:%x", &ma, &mi) == 2 &&
			makedev(ma, mi) == dev;
	}
	if (f)
		fclose(f);
	return found;
}

/*
 * The processes that keep mount @m busy, as "PID (comm), ..." in @buf.
 *
 * Return: how many there are
 */
size_t holders(const struct mnt *m, char *buf, size_t size)
{
	dev_t dev = makedev(m->major, m->minor);
	char self[16], path[300], comm[64];
	size_t n = 0, used = 0;
	struct dirent *e;
	DIR *d = opendir("/proc");

	buf[0] = '\0';
	snprintf(self, sizeof(self), "%d", (int)getpid());
	while (d && (e = readdir(d))) {
		if (!isdigit((unsigned char)e->d_name[0]) ||
		    !strcmp(e->d_name, self) || !holds(e->d_name, dev))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", e->d_name);
		if (!file_read_line(path, comm, sizeof(comm)))
			snprintf(comm, sizeof(comm), "?");
		if (used < size)
			used += (size_t)snprintf(buf + used, size - used, "%s%s (%s)",
						 n ? ", " : "", e->d_name, comm);
		n++;
	}
	if (d)
		closedir(d);
	return n;
}

/*
 * Where the server @name is: $HK_FS_SERVER or $HK_NET_SERVER, else
 * beside this program (the build tree, or the installed bindir), else
 * the bindir this was configured for.
 */
int server_path(const char *name, char *buf, size_t size)
{
	return prog_path(name, strcmp(name, "hk-fs-server") ? "HK_NET_SERVER" :
							    "HK_FS_SERVER", buf, size);
}

/*
 * Start @argv with @fds as its descriptors 3, 4, ..., /dev/null as stdin
 * and @logfd as stdout and stderr, in a session of its own.  Nothing else
 * is inherited.
 */
pid_t spawn(char *const argv[], const int *fds, int nfds, int logfd)
{
	pid_t pid = fork();
	int high[8], null;
	sigset_t none;

	if (pid)
		return pid;
	/* a session of its own: the terminal's ^C is for the command the
	 * server serves, and the server is stopped by whoever started it */
	setsid();
	/* out of the way first: a wanted fd may sit where another goes */
	for (int i = 0; i < nfds && i < 8; i++)
		high[i] = fcntl(fds[i], F_DUPFD, 64);
	if (logfd >= 0) {
		dup2(logfd, STDOUT_FILENO);
		dup2(logfd, STDERR_FILENO);
	}
	for (int i = 0; i < nfds && i < 8; i++)
		dup2(high[i], 3 + i);
	close_range(3U + (unsigned int)nfds, ~0U, 0);
	null = open("/dev/null", O_RDONLY);
	if (null >= 0 && null != STDIN_FILENO) {
		dup2(null, STDIN_FILENO);
		close(null);
	}
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execv(argv[0], argv);
	fprintf(stderr, "%s: cannot run %s: %s\n", log_prog(), argv[0],
		strerror(errno));
	_exit(127);
}

/*
 * wait_ready() - wait for the newline the server @pid writes to its
 * --ready-fd, @fd
 * @name:	the server, and @what what it serves, for the message
 *
 * Return: 0 when it came; when the server ended first (or did not answer
 * in 30 s: it is killed then), SHIM_USAGE if it refused its arguments
 * (exit 2), SHIM_FAIL otherwise, with the reason logged
 */
int wait_ready(int fd, pid_t pid, const char *name, const char *what)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char c, how[128];
	int status;

	if (poll(&p, 1, READY_TIMEOUT_MS) == 1 && read(fd, &c, 1) == 1)
		return 0;
	if (p.revents == 0) {
		err("%s for %s did not get ready in %d s", name, what,
		    READY_TIMEOUT_MS / 1000);
		kill(pid, SIGKILL);
	}
	status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	status_text(how, sizeof(how), status);
	err("%s for %s ended with %s before it was ready", name, what, how);
	return WIFEXITED(status) && WEXITSTATUS(status) == 2 ? SHIM_USAGE :
							       SHIM_FAIL;
}

/* "exit status N" or "signal NAME", for the log. */
void status_text(char *buf, size_t size, int status)
{
	if (WIFEXITED(status))
		snprintf(buf, size, "exit status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, size, "signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	else
		snprintf(buf, size, "wait status %#x", status);
}

/* Wait for the child @pid to end; its end as text in @how. */
int wait_child(pid_t pid, char *how, size_t size)
{
	int status = 0;

	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	status_text(how, size, status);
	return status;
}

/* A wait status as a shell reports it: the code, or 128 + signal. */
int exit_code(int status)
{
	return WIFSIGNALED(status) ? 128 + WTERMSIG(status) :
				     WEXITSTATUS(status);
}

/* Wait up to @ms for process @pid (started at @start) to be gone. */
bool wait_gone(pid_t pid, unsigned long long start, int ms)
{
	struct timespec tick = { .tv_nsec = 10 * 1000 * 1000 };

	for (int t = 0; t <= ms; t += 10) {
		if (proc_start(pid) != start)
			return true;
		nanosleep(&tick, NULL);
	}
	return false;
}

/* Copy a log from offset @from to stderr: what a failed server said. */
void log_tail(const char *path, long from)
{
	FILE *f = fopen(path, "re");

	if (!f)
		return;
	if (!fseek(f, from, SEEK_SET)) {
		char buf[4096];
		size_t n;

		while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
			fwrite(buf, 1, n, stderr);
	}
	fclose(f);
}

/*
 * need_privileges() - say so, before anything is touched, when this
 * process lacks what @what needs: CAP_SYS_ADMIN for mounts and namespaces,
 * CAP_NET_ADMIN too for links
 *
 * Return: 0, or SHIM_USAGE
 */
int need_privileges(const char *what, bool net)
{
	if (caps_effective(CAP_SYS_ADMIN) && (!net || caps_effective(CAP_NET_ADMIN)))
		return 0;
	err("%s needs %s (run it as root)", what,
	    net ? "CAP_SYS_ADMIN and CAP_NET_ADMIN" : "CAP_SYS_ADMIN");
	return SHIM_USAGE;
}

/*
 * supervisor_ready() - tell the caller of supervisor_start() that the move
 * is done; the supervisor goes on supervising
 */
void supervisor_ready(int *report)
{
	if (write(*report, "ok", 2) != 2)
		warn("the caller of the move went away");
	close(*report);
	*report = -1;
}

/*
 * supervisor_start() - run @fn as the supervisor of a move, detached from
 * the caller (a double fork: a long-lived caller has no child to reap)
 * @o:		options (the state directory, for the log)
 * @id:		the move's record id; its log is STATE/ID.log
 * @what:	the target, and @server the server, for messages
 * @fn:		the supervisor: it starts the server, calls supervisor_ready()
 *		once the move is done, and supervises; when it returns
 *		without having called it, its return value is the caller's.
 *		Its stderr is the log, and @logfd is for the server.
 * @arg:	for @fn
 *
 * Return: 0 when the move is done; else @fn's SHIM_ code (SHIM_FAIL if it
 * died), after copying to stderr what the log gained meanwhile (the reason)
 */
int supervisor_start(const struct shim_opts *o, const char *id,
		     const char *what, const char *server,
		     int (*fn)(void *arg, int *report, int logfd), void *arg)
{
	char log[PATH_MAX + SHIM_ID_MAX], ok[2];
	int logfd, report[2];
	long from;
	pid_t mid;
	ssize_t n;

	state_file(log, o, id, "log");
	logfd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (logfd < 0 || pipe2(report, O_CLOEXEC)) {
		err_perror(errno, "%s: cannot start its supervisor", what);
		if (logfd >= 0)
			close(logfd);
		return SHIM_FAIL;
	}
	from = lseek(logfd, 0, SEEK_END);
	mid = fork();
	if (mid == 0) {
		int ret;

		setsid();
		if (fork())
			_exit(0);
		close(report[0]);
		dup2(logfd, STDERR_FILENO);
		log_set_stamp(true);
		signal(SIGHUP, SIG_IGN);
		signal(SIGINT, SIG_IGN);
		ret = fn(arg, &report[1], logfd);
		if (report[1] >= 0) {
			/* not ready: the code is the caller's answer */
			unsigned char c = ret ? (unsigned char)ret : SHIM_FAIL;

			n = write(report[1], &c, 1);
			(void)n;
		}
		_exit(ret);
	}
	close(report[1]);
	if (mid > 0)
		waitpid(mid, NULL, 0);
	n = mid > 0 ? read(report[0], ok, 2) : 0;
	close(report[0]);
	close(logfd);
	if (n == 2 && !memcmp(ok, "ok", 2)) {
		info("%s: moved to %s; the supervisor logs to %s", what, server, log);
		return 0;
	}
	log_tail(log, from);
	if (from == 0)	/* said above; a failed first move leaves nothing */
		unlink(log);
	return n == 1 && ok[0] == SHIM_USAGE ? SHIM_USAGE : SHIM_FAIL;
}
