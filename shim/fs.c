// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fs.c - move a directory behind hk-fs-server and back
 *
 * The move takes an O_PATH descriptor of DIR, then starts hk-fs-server
 * with that descriptor as its source and DIR as its mount point: the
 * server's lookups start beneath the descriptor, on the kernel file
 * system, while every new lookup by path lands on the FUSE mount.
 *
 * The server is the child of a supervisor, itself detached from the
 * caller (a double fork, so that a long-lived caller such as hk-migrate
 * has no child to reap).  The supervisor writes the record once the
 * server is ready, then waits for the server to end.  If the mount it
 * made is still there then, the server died: the supervisor detaches
 * the mount, so that DIR is the kernel's again and nothing answers
 * ENOTCONN, removes the record and logs the server's exit status.
 */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "log.h"

#define REVERT_WAIT_MS	5000

/* DIR as the record knows it: canonical (see path_canon()). */
int fs_canon(const char *dir, char *canon)
{
	int ret = path_canon(dir, canon);

	if (ret) {
		err_perror(-ret, "fs: '%s'", dir);
		return SHIM_USAGE;
	}
	return 0;
}

/* Whether @canon can be moved: an existing directory, not a mount of
 * ours, not holding the state directory. */
int fs_movable(const struct shim_opts *o, const char *canon)
{
	char state[PATH_MAX];
	struct stat st;
	struct mnt m;
	size_t n;

	if (mnt_at(canon, &m) && !strcmp(m.fstype, HK_FS_FSTYPE)) {
		err("fs: '%s' is already served by hk-fs-server", canon);
		return SHIM_USAGE;
	}
	if (stat(canon, &st)) {
		err_perror(errno, "fs: '%s'", canon);
		return SHIM_USAGE;
	}
	if (!S_ISDIR(st.st_mode)) {
		err("fs: '%s' is not a directory", canon);
		return SHIM_USAGE;
	}
	if (!realpath(state_dir(o), state) && path_canon(state_dir(o), state))
		snprintf(state, sizeof(state), "%s", state_dir(o));
	n = strlen(canon);
	if (!strcmp(canon, "/") || (!strncmp(state, canon, n) &&
				    (state[n] == '/' || !state[n]))) {
		err("fs: '%s' holds the state directory %s; the shim cannot move it",
		    canon, state);
		return SHIM_USAGE;
	}
	return 0;
}

/* Detach the mount @id at @dir if it is still there and on top. */
bool fs_detach(const char *dir, int id)
{
	struct mnt m;

	if (!mnt_at(dir, &m) || m.id != id)
		return false;
	if (umount2(dir, MNT_DETACH)) {
		err_perror(errno, "cannot detach %s", dir);
		return false;
	}
	return true;
}

/*
 * The supervisor's life after the server is ready: wait, and revert if
 * the server died under the mount.  A revert unmounts, then removes the
 * record: a record that is gone or names another supervisor means the
 * mount was taken down on purpose, and the mount at DIR now, even one
 * with the same id (the kernel reuses them), belongs to another move.
 */
static void fs_supervise(const struct shim_opts *o, const char *id,
			 const char *dir, pid_t server, int mount_id)
{
	struct json_object *rec;
	char how[128];
	bool ours;

	wait_child(server, how, sizeof(how));
	rec = record_read(o, id);
	ours = rec && record_int(rec, "supervisor") == getpid();
	json_object_put(rec);
	if (ours && fs_detach(dir, mount_id)) {
		err("hk-fs-server (pid %d) ended with %s while %s was moved: reverted, %s is on the kernel file system again",
		    (int)server, how, dir, dir);
		record_remove(o, id);
	} else {
		if (ours)
			record_remove(o, id);
		info("hk-fs-server (pid %d) ended with %s after %s was reverted",
		     (int)server, how, dir);
	}
}

/*
 * fs_start() - start hk-fs-server over @dir, serving @src_fd (closed here)
 * @logfd:	its stdout and stderr
 * @pid:	the server
 * @m:		its mount, on top at @dir
 *
 * Return: 0 when it is ready; SHIM_USAGE when it refused its arguments,
 * SHIM_FAIL otherwise (it is gone then)
 */
int fs_start(const struct shim_opts *o, const char *dir, int src_fd,
	     int logfd, pid_t *pid, struct mnt *m)
{
	char server[PATH_MAX], threads[16];
	char *argv[16];
	int ready[2], fds[2], argc = 0, ret;

	if (server_path("hk-fs-server", server, sizeof(server))) {
		err("cannot find hk-fs-server (set HK_FS_SERVER)");
		close(src_fd);
		return SHIM_FAIL;
	}
	argv[argc++] = server;
	argv[argc++] = "--foreground";
	argv[argc++] = "--source-fd=3";
	argv[argc++] = "--ready-fd=4";
	/* every user of the directory keeps using it, each checked by the
	 * kernel as before the move (the server then has default_permissions) */
	argv[argc++] = "-o";
	argv[argc++] = "allow_other";
	if (o->fast_path) {
		argv[argc++] = "--fast-path";
		argv[argc++] = (char *)o->fast_path;
	}
	if (o->threads) {
		snprintf(threads, sizeof(threads), "%u", o->threads);
		argv[argc++] = "--threads";
		argv[argc++] = threads;
	}
	argv[argc++] = (char *)dir;
	argv[argc] = NULL;
	if (pipe2(ready, O_CLOEXEC)) {
		err_perror(errno, "pipe");
		close(src_fd);
		return SHIM_FAIL;
	}
	fds[0] = src_fd;
	fds[1] = ready[1];
	*pid = spawn(argv, fds, 2, logfd);
	close(ready[1]);
	close(src_fd);
	if (*pid < 0) {
		err_perror(errno, "fork");
		close(ready[0]);
		return SHIM_FAIL;
	}
	ret = wait_ready(ready[0], *pid, "hk-fs-server", dir);
	close(ready[0]);
	if (ret)
		return ret;
	if (!mnt_at(dir, m) || strcmp(m->fstype, HK_FS_FSTYPE)) {
		err("fs: hk-fs-server said it was ready but %s is not its mount", dir);
		kill(*pid, SIGTERM);
		waitpid(*pid, NULL, 0);
		return SHIM_FAIL;
	}
	return 0;
}

/*
 * The supervisor (see supervisor_start()): start the server, write the
 * record, tell the caller, then supervise.
 */
struct fs_sup {
	const struct shim_opts *o;
	const char *id, *dir;
	int src_fd;
};

static int fs_supervisor(void *arg, int *report, int logfd)
{
	struct fs_sup *sup = arg;
	const struct shim_opts *o = sup->o;
	const char *id = sup->id, *dir = sup->dir;
	struct json_object *rec;
	struct mnt m;
	pid_t pid;
	int ret;

	ret = fs_start(o, dir, sup->src_fd, logfd, &pid, &m);
	if (ret)
		return ret;
	rec = record_new("fs", dir);
	json_object_object_add(rec, "state", json_object_new_string("moved"));
	record_set_self(rec, "supervisor", getpid());
	record_set_self(rec, "server", pid);
	json_object_object_add(rec, "mount_id", json_object_new_int(m.id));
	json_object_object_add(rec, "fast_path", json_object_new_string(
				       o->fast_path ? o->fast_path : "default"));
	if (record_write(o, id, rec)) {
		err("cannot write the record of %s", dir);
		fs_detach(dir, m.id);
		waitpid(pid, NULL, 0);
		json_object_put(rec);
		return SHIM_FAIL;
	}
	json_object_put(rec);
	info("%s moved to hk-fs-server (pid %d)", dir, (int)pid);
	supervisor_ready(report);
	fs_supervise(o, id, dir, pid, m.id);
	return 0;
}

int shim_fs_move(const struct shim_opts *o, const char *dir)
{
	char canon[PATH_MAX], id[SHIM_ID_MAX];
	struct json_object *rec;
	struct fs_sup sup;
	int ret;

	ret = fs_canon(dir, canon);
	if (!ret)
		ret = need_privileges("fs move", false);
	if (!ret)
		ret = state_prepare(o);
	if (ret)
		return ret;
	/* a stale move is undone first, as status would: its dead mount
	 * would make DIR look served */
	state_id(id, "fs", canon);
	rec = record_read(o, id);
	if (rec && fs_status_clean(o, id, rec)) {
		warn("fs: '%s': cleaned the stale record of an earlier move", canon);
	} else if (rec) {
		err("fs: '%s' is already moved (see hk-shim status)", canon);
		ret = SHIM_USAGE;
	}
	json_object_put(rec);
	if (!ret)
		ret = fs_movable(o, canon);
	if (ret)
		return ret;

	/* the claim names this process, so that it is not taken for stale */
	rec = record_new("fs", canon);
	json_object_object_add(rec, "state", json_object_new_string("moving"));
	record_set_self(rec, "supervisor", getpid());
	ret = record_claim(o, id, rec);
	json_object_put(rec);
	if (ret == -EEXIST) {
		err("fs: '%s' is being moved by another hk-shim", canon);
		return SHIM_USAGE;
	} else if (ret) {
		err_perror(-ret, "cannot write in %s", state_dir(o));
		return SHIM_FAIL;
	}

	sup.o = o;
	sup.id = id;
	sup.dir = canon;
	sup.src_fd = open(canon, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (sup.src_fd < 0) {
		err_perror(errno, "fs: '%s'", canon);
		ret = SHIM_FAIL;
	} else {
		ret = supervisor_start(o, id, canon, "hk-fs-server", fs_supervisor,
				       &sup);
		close(sup.src_fd);
		if (!ret)
			return 0;
	}
	record_remove(o, id);
	err("fs: '%s' was not moved", canon);
	return ret;
}

/* Clean the record of a move whose supervisor is gone: the mount goes
 * (it may be one no server answers), the server is stopped. */
static void fs_clean_stale(const struct shim_opts *o, const char *id,
			   struct json_object *rec)
{
	const char *dir = record_str(rec, "target");

	if (record_this_boot(rec)) {
		if (fs_detach(dir, record_int(rec, "mount_id")))
			warn("fs: %s: detached the mount of a move whose supervisor is gone",
			     dir);
		if (record_proc_alive(rec, "server"))
			kill(record_int(rec, "server"), SIGTERM);
	}
	record_remove(o, id);
}

/* Unmount @dir, waiting while it is busy (or detaching with --lazy).
 * Who holds it (a scan of every process) is looked up when it is said:
 * at first, then every 2 s, and said again when it changed. */
static int fs_unmount(const struct shim_opts *o, const char *dir, int mount_id)
{
	struct timespec tick = { .tv_nsec = 100 * 1000 * 1000 };
	char who[1024], said[1024] = "";
	struct mnt m;

	for (int t = 0; ; t++) {
		if (!mnt_at(dir, &m) || m.id != mount_id) {
			err("fs: %s: the mount of the move is not on top (something was mounted over it)",
			    dir);
			return SHIM_FAIL;
		}
		if (!umount2(dir, o->lazy ? MNT_DETACH : 0))
			return 0;
		if (errno != EBUSY) {
			err_perror(errno, "fs: cannot unmount %s", dir);
			return SHIM_FAIL;
		}
		if (o->timeout > 0 && t >= o->timeout * 10) {
			err("fs: %s still busy after %g s; it stays moved", dir,
			    o->timeout);
			return SHIM_FAIL;
		}
		if (t % 20 == 0) {
			if (!holders(&m, who, sizeof(who)))
				snprintf(who, sizeof(who),
					 "no process found (one that comes and goes, or a mount beneath)");
			if (strcmp(who, said)) {
				warn("fs: %s is busy, held by %s; waiting (--lazy detaches it now)",
				     dir, who);
				snprintf(said, sizeof(said), "%s", who);
			}
		}
		nanosleep(&tick, NULL);
	}
}

int shim_fs_revert(const struct shim_opts *o, const char *dir)
{
	char canon[PATH_MAX], id[SHIM_ID_MAX];
	struct json_object *rec;
	unsigned long long start;
	pid_t sup;
	int ret;

	ret = fs_canon(dir, canon);
	if (!ret)
		ret = need_privileges("fs revert", false);
	if (ret)
		return ret;
	state_id(id, "fs", canon);
	rec = record_read(o, id);
	if (!rec) {
		struct mnt m;

		if (mnt_at(canon, &m) && !strcmp(m.fstype, HK_FS_FSTYPE))
			err("fs: '%s' is served by an hk-fs-server that hk-shim did not start (no record in %s)",
			    canon, state_dir(o));
		else
			err("fs: '%s' is not moved", canon);
		return SHIM_USAGE;
	}
	if (!record_proc_alive(rec, "supervisor")) {
		warn("fs: %s: its supervisor is gone; cleaning the stale record", canon);
		fs_clean_stale(o, id, rec);
		json_object_put(rec);
		return 0;
	}
	ret = fs_unmount(o, canon, record_int(rec, "mount_id"));
	if (ret) {
		json_object_put(rec);
		return ret;
	}
	record_remove(o, id);
	sup = record_int(rec, "supervisor");
	start = proc_start(sup);
	json_object_put(rec);
	if (o->lazy) {
		info("%s: detached; hk-fs-server ends when its last user leaves", canon);
		return 0;
	}
	if (!wait_gone(sup, start, REVERT_WAIT_MS))
		warn("fs: %s: the supervisor (pid %d) has not ended yet", canon, (int)sup);
	info("%s: reverted to the kernel file system", canon);
	return 0;
}

/* For status: whether an fs record is stale, cleaning it if so. */
bool fs_status_clean(const struct shim_opts *o, const char *id,
		     struct json_object *rec)
{
	if (record_proc_alive(rec, "supervisor"))
		return false;
	fs_clean_stale(o, id, rec);
	return true;
}
