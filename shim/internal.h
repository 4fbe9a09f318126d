/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * internal.h - what the parts of libhkshim share: the state records, the
 * mount table, processes, and starting the servers
 */
#ifndef HK_SHIM_INTERNAL_H
#define HK_SHIM_INTERNAL_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "shim.h"

struct json_object;

/* state.c: one JSON record per move, STATE/ID.json, and its log STATE/ID.log */
#define SHIM_ID_MAX	(PATH_MAX + 64)

const char *state_dir(const struct shim_opts *o);
int state_prepare(const struct shim_opts *o);
void state_id(char *id, const char *kind, const char *name);
void state_file(char *path, const struct shim_opts *o, const char *id,
		const char *ext);
int record_claim(const struct shim_opts *o, const char *id,
		 struct json_object *rec);
int record_write(const struct shim_opts *o, const char *id,
		 struct json_object *rec);
struct json_object *record_read(const struct shim_opts *o, const char *id);
void record_remove(const struct shim_opts *o, const char *id);
void record_set_self(struct json_object *rec, const char *key, pid_t pid);
bool record_proc_alive(struct json_object *rec, const char *key);
bool record_this_boot(struct json_object *rec);
int record_int(struct json_object *rec, const char *key);
const char *record_str(struct json_object *rec, const char *key);
struct json_object *record_new(const char *kind, const char *target);
void record_each(const struct shim_opts *o,
		 bool (*fn)(const char *id, struct json_object *rec, void *arg),
		 void *arg);

/* proc.c */
unsigned long long proc_start(pid_t pid);
int path_canon(const char *in, char *out);
struct mnt {
	int id;
	unsigned int major, minor;
	char fstype[64];
};
bool mnt_at(const char *path, struct mnt *m);
size_t holders(const struct mnt *m, char *buf, size_t size);
int server_path(const char *name, char *buf, size_t size);
pid_t spawn(char *const argv[], const int *fds, int nfds, int logfd);
int wait_ready(int fd, pid_t pid, const char *name, const char *what);
void status_text(char *buf, size_t size, int status);
int wait_child(pid_t pid, char *how, size_t size);
int exit_code(int status);
bool wait_gone(pid_t pid, unsigned long long start, int ms);
void log_tail(const char *path, long from);
int need_privileges(const char *what, bool net);
int supervisor_start(const struct shim_opts *o, const char *id,
		     const char *what, const char *server,
		     int (*fn)(void *arg, int *report, int logfd), void *arg);
void supervisor_ready(int *report);

/* fs.c, net.c: what run.c shares with the moves */
int fs_canon(const char *dir, char *canon);
int fs_movable(const struct shim_opts *o, const char *canon);
int fs_start(const struct shim_opts *o, const char *dir, int src_fd,
	     int logfd, pid_t *pid, struct mnt *m);
bool fs_detach(const char *dir, int id);
int net_link_read(const char *link, struct json_object **a,
		  struct json_object **b);
int net_start(const struct shim_opts *o, const char *port_a,
	      const char *port_b, int mtu, int logfd, pid_t *pid);

/* fs.c, net.c: for status, undo what is left of a stale move */
bool fs_status_clean(const struct shim_opts *o, const char *id,
		     struct json_object *rec);
bool net_status_clean(const struct shim_opts *o, const char *id,
		      struct json_object *rec);

#define HK_FS_FSTYPE	"fuse.hk-fs-server"

#endif /* HK_SHIM_INTERNAL_H */
