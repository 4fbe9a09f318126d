// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * state.c - the record of each move, so that status and revert work from
 * any process
 *
 * A move is one file STATE/ID.json, where ID names the kind and the
 * target ("fs:" and the path, "net:" and NS/IFNAME) with '%' and '/'
 * escaped.  It is created with link(2), so that of two shims moving the
 * same thing one wins and the other is told it is already moved, and
 * replaced with rename(2), so that a reader never sees half of it.  The
 * supervisor and the server are named by pid and start time, so that a
 * reused pid is not taken for a live one, and the boot by its id, so that
 * a record from before a reboot is known to be stale.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "file.h"
#include "internal.h"
#include "log.h"

const char *state_dir(const struct shim_opts *o)
{
	const char *env = getenv("HK_STATE_DIR");

	if (o->state_dir)
		return o->state_dir;
	return env && *env ? env : SHIM_STATE_DIR;
}

/* mkdir -p the state directory, mode 0755: 0, or SHIM_FAIL (said). */
int state_prepare(const struct shim_opts *o)
{
	char path[PATH_MAX];
	size_t len;

	len = (size_t)snprintf(path, sizeof(path), "%s", state_dir(o));
	if (len >= sizeof(path)) {
		err_perror(ENAMETOOLONG, "state directory %s", state_dir(o));
		return SHIM_FAIL;
	}
	for (char *p = path + 1; ; p++) {
		char c = *p;

		if (c && c != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) && errno != EEXIST) {
			err_perror(errno, "state directory %s", path);
			return SHIM_FAIL;
		}
		*p = c;
		if (!c)
			break;
	}
	return 0;
}

void state_id(char *id, const char *kind, const char *name)
{
	char *o = id + sprintf(id, "%s:", kind);

	for (const char *s = name; *s && o < id + SHIM_ID_MAX - 4; s++) {
		if (*s == '/' || *s == '%')
			o += sprintf(o, "%%%02X", (unsigned char)*s);
		else
			*o++ = *s;
	}
	*o = '\0';
}

void state_file(char *path, const struct shim_opts *o, const char *id,
		const char *ext)
{
	snprintf(path, PATH_MAX + SHIM_ID_MAX, "%s/%s.%s", state_dir(o), id,
		 ext);
}

static const char *boot_id(void)
{
	static char id[40];

	if (!id[0] && !file_read_line("/proc/sys/kernel/random/boot_id", id, sizeof(id)))
		snprintf(id, sizeof(id), "unknown");
	return id;
}

struct json_object *record_new(const char *kind, const char *target)
{
	struct json_object *rec = json_object_new_object();
	char when[32];
	time_t now = time(NULL);
	struct tm tm;

	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S%z",
		 localtime_r(&now, &tm));
	json_object_object_add(rec, "kind", json_object_new_string(kind));
	json_object_object_add(rec, "target", json_object_new_string(target));
	json_object_object_add(rec, "since", json_object_new_string(when));
	json_object_object_add(rec, "boot_id", json_object_new_string(boot_id()));
	return rec;
}

static const char *record_text(struct json_object *rec)
{
	return json_object_to_json_string_ext(rec, JSON_C_TO_STRING_PRETTY |
					      JSON_C_TO_STRING_NOSLASHESCAPE);
}

/* Create the record; -EEXIST when there is one already. */
int record_claim(const struct shim_opts *o, const char *id,
		 struct json_object *rec)
{
	char path[PATH_MAX + SHIM_ID_MAX], tmp[PATH_MAX + SHIM_ID_MAX + 32];
	int ret;

	state_file(path, o, id, "json");
	snprintf(tmp, sizeof(tmp), "%s.claim%ld", path, (long)getpid());
	ret = file_write_atomic(tmp, record_text(rec));
	if (ret)
		return ret;
	ret = link(tmp, path) ? -errno : 0;
	unlink(tmp);
	return ret;
}

int record_write(const struct shim_opts *o, const char *id,
		 struct json_object *rec)
{
	char path[PATH_MAX + SHIM_ID_MAX];

	state_file(path, o, id, "json");
	return file_write_atomic(path, record_text(rec));
}

struct json_object *record_read(const struct shim_opts *o, const char *id)
{
	char path[PATH_MAX + SHIM_ID_MAX];
	struct json_object *rec;

	state_file(path, o, id, "json");
	if (access(path, F_OK))
		return NULL;
	rec = json_object_from_file(path);
	if (!rec)
		warn("%s: not a record this program wrote: %s", path,
		     json_util_get_last_err());
	return rec;
}

void record_remove(const struct shim_opts *o, const char *id)
{
	char path[PATH_MAX + SHIM_ID_MAX];

	state_file(path, o, id, "json");
	if (unlink(path) && errno != ENOENT)
		warn_perror(errno, "cannot remove %s", path);
}

/* Store @pid and its start time as KEY and KEY_start. */
void record_set_self(struct json_object *rec, const char *key, pid_t pid)
{
	char start[64];

	snprintf(start, sizeof(start), "%s_start", key);
	json_object_object_add(rec, key, json_object_new_int(pid));
	json_object_object_add(rec, start,
			       json_object_new_uint64(proc_start(pid)));
}

int record_int(struct json_object *rec, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(rec, key, &v) ?
	       json_object_get_int(v) : 0;
}

const char *record_str(struct json_object *rec, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(rec, key, &v) ?
	       json_object_get_string(v) : "";
}

bool record_this_boot(struct json_object *rec)
{
	return !strcmp(record_str(rec, "boot_id"), boot_id());
}

/* Whether the process recorded as KEY still runs (and is the same one). */
bool record_proc_alive(struct json_object *rec, const char *key)
{
	struct json_object *v;
	char start[64];
	pid_t pid = record_int(rec, key);

	snprintf(start, sizeof(start), "%s_start", key);
	if (pid <= 0 || !record_this_boot(rec) ||
	    !json_object_object_get_ex(rec, start, &v))
		return false;
	return proc_start(pid) == json_object_get_uint64(v);
}

/*
 * record_each() - call @fn on every record, until it returns true
 * @o:		options (the state directory)
 * @fn:		given the id and the record (which it may keep a reference of)
 * @arg:	for @fn
 */
void record_each(const struct shim_opts *o,
		 bool (*fn)(const char *id, struct json_object *rec, void *arg),
		 void *arg)
{
	struct dirent *e;
	DIR *d = opendir(state_dir(o));
	bool done = false;

	while (d && !done && (e = readdir(d))) {
		size_t n = strlen(e->d_name);
		char id[SHIM_ID_MAX];
		struct json_object *rec;

		if (n < 6 || n - 5 >= sizeof(id) ||
		    strcmp(e->d_name + n - 5, ".json"))
			continue;
		snprintf(id, sizeof(id), "%.*s", (int)(n - 5), e->d_name);
		rec = record_read(o, id);
		if (!rec)
			continue;
		done = fn(id, rec, arg);
		json_object_put(rec);
	}
	if (d)
		closedir(d);
}

struct status {
	const struct shim_opts *o;
	struct json_object *moves;
};

static bool status_one(const char *id, struct json_object *rec, void *arg)
{
	struct status *st = arg;
	bool stale;

	if (!strcmp(record_str(rec, "kind"), "fs"))
		stale = fs_status_clean(st->o, id, rec);
	else
		stale = net_status_clean(st->o, id, rec);
	if (stale) {
		warn("%s: stale record (supervisor gone); cleaned",
		     record_str(rec, "target"));
		return false;
	}
	json_object_object_add(rec, "alive", json_object_new_boolean(
				       record_proc_alive(rec, "server")));
	json_object_array_add(st->moves, json_object_get(rec));
	return false;
}

/*
 * shim_status() - the moves on record
 * @o:		options (the state directory)
 * @moves:	a new JSON array of the records, each with "alive": whether
 *		its server runs
 *
 * A record whose supervisor is gone, or that dates from another boot, is
 * stale: what is left of its move is undone and the record removed.
 */
int shim_status(const struct shim_opts *o, struct json_object **moves)
{
	struct status st = { .o = o, .moves = json_object_new_array() };

	record_each(o, status_one, &st);
	*moves = st.moves;
	return 0;
}
