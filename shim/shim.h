/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * shim.h - libhkshim: move a live file system or network link to the
 * user-space servers and back, supervise the servers, keep the record
 *
 * Every call returns 0 on success, SHIM_FAIL when the system refused or a
 * server failed, SHIM_USAGE when the request itself was wrong (a path that
 * does not exist, a link that is not a veth, a path already moved).  On
 * any failure the system is as it was before the call, and the reason
 * has been logged (log.h).
 */
#ifndef HK_SHIM_H
#define HK_SHIM_H

#include <stdbool.h>

struct json_object;

#define SHIM_FAIL	1
#define SHIM_USAGE	2

#define SHIM_STATE_DIR	"/run/hybridkit"

struct shim_opts {
	const char *state_dir;	/* NULL: $HK_STATE_DIR, else SHIM_STATE_DIR */
	const char *fast_path;	/* hk-fs-server --fast-path, or NULL */
	unsigned int threads;	/* hk-fs-server --threads, or 0 */
	bool no_offload;	/* hk-net-server --no-offload */
	bool lazy;		/* fs revert: detach a busy mount at once */
	double timeout;		/* fs revert: give up after this many seconds
				 * of a busy mount; 0 waits for ever */
};

int shim_fs_move(const struct shim_opts *o, const char *dir);
int shim_fs_revert(const struct shim_opts *o, const char *dir);
int shim_net_move(const struct shim_opts *o, const char *link);
int shim_net_revert(const struct shim_opts *o, const char *link);

/*
 * Both ends of the veth @link ([NS/]IFNAME) as the shim records them:
 * {ns, ifname, mac, mtu, up, addrs: [{family, local, ...}], routes}.
 */
int shim_net_ends(const char *link, struct json_object **near,
		  struct json_object **far);

/* The moves on record, as a JSON array; stale records are cleaned first. */
int shim_status(const struct shim_opts *o, struct json_object **moves);

/*
 * Run @argv with each of @fs served by hk-fs-server in a private mount
 * namespace, and with its network in a fresh namespace joined to the far
 * end of each of @net through hk-net-server.  Returns the command's exit
 * status (128 + signal when it was killed), or a SHIM_ code with
 * @started false when it could not be started.
 */
int shim_run(const struct shim_opts *o, char *const *fs, int nfs,
	     char *const *net, int nnet, char *const *argv, bool *started);

#endif /* HK_SHIM_H */
