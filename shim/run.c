// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * run.c - one command on the user-space path, everyone else on the kernel
 * path: hk-shim run [--fs DIR]... [--net LINK]... -- CMD
 *
 * A runner process (a child, so that the caller's namespaces are never
 * changed) takes a private mount namespace and mounts an hk-fs-server
 * over each DIR in it; only the runner and the command see those mounts.
 *
 * For the network, the command gets a fresh network namespace.  For each
 * LINK (end A of a veth whose peer B is in namespace NB), the namespace
 * gets a TAP port named as A, and NB a "twin" TAP port; an hk-net-server
 * joins the two.  The port in the command's namespace has A's MTU and
 * routes and, in each of A's subnets, an address that neither end has;
 * the twin has no address of its own but a host route to each of those.
 * Both sides know each other's MAC addresses from permanent neighbour
 * entries, because B answers ARP on any port but neighbour solicitation
 * only on the port that holds the address.  The veth itself is not
 * touched: the rest of the system keeps it, on the kernel path.
 *
 * The servers live as long as the command.  If one dies first, its mount
 * is detached (the command sees the kernel file system from then on) or
 * its link is gone, and the runner says so.
 */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netlink/addr.h>
#include <netlink/netlink.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"
#include "log.h"
#include "nl.h"

#define RUN_MAX		16

struct served {
	pid_t pid;
	const char *what;	/* DIR or LINK */
	bool fs;
	int mount_id;
};

struct runner {
	struct served srv[2 * RUN_MAX];
	int nsrv;
	char ns[32];		/* the command's network namespace, or "" */
};

static struct json_object *jstr(const char *s)
{
	return json_object_new_string(s);
}

/* The end the command's port gets: A's MTU and routes, spare addresses. */
static struct json_object *near_end(struct json_object *a, struct json_object *b,
				    const char *link)
{
	struct json_object *end = json_object_new_object(), *addrs, *mine;
	char spare[128];

	json_object_object_add(end, "mtu", json_object_get(json_object_object_get(a, "mtu")));
	json_object_object_add(end, "up", json_object_new_boolean(true));
	json_object_object_add(end, "keep_own", json_object_new_boolean(true));
	json_object_object_add(end, "routes",
			       json_object_get(json_object_object_get(a, "routes")));
	mine = json_object_new_array();
	json_object_object_add(end, "addrs", mine);
	addrs = json_object_object_get(a, "addrs");
	for (size_t i = 0; i < json_object_array_length(addrs); i++) {
		struct json_object *ad = json_object_array_get_idx(addrs, i), *n;

		/* link-local addresses: the port makes its own */
		if (json_object_get_int(json_object_object_get(ad, "scope")) == RT_SCOPE_LINK)
			continue;
		if (addr_spare(ad, a, b, spare, sizeof(spare))) {
			warn("run: %s: no spare address beside %s; the command has none in that subnet",
			     link, json_object_get_string(json_object_object_get(ad, "local")));
			continue;
		}
		n = json_object_new_object();
		json_object_object_add(n, "family",
				       json_object_get(json_object_object_get(ad, "family")));
		json_object_object_add(n, "local", jstr(spare));
		json_object_object_add(n, "scope", json_object_new_int(RT_SCOPE_UNIVERSE));
		json_object_array_add(mine, n);
	}
	return end;
}

/* The twin's end: B's MTU, no address, a host route to each of @near's. */
static struct json_object *twin_end(struct json_object *b, struct json_object *near)
{
	struct json_object *end = json_object_new_object(), *routes, *addrs;

	json_object_object_add(end, "mtu", json_object_get(json_object_object_get(b, "mtu")));
	json_object_object_add(end, "up", json_object_new_boolean(true));
	json_object_object_add(end, "keep_own", json_object_new_boolean(true));
	json_object_object_add(end, "addrs", json_object_new_array());
	routes = json_object_new_array();
	json_object_object_add(end, "routes", routes);
	addrs = json_object_object_get(near, "addrs");
	for (size_t i = 0; i < json_object_array_length(addrs); i++) {
		struct json_object *ad = json_object_array_get_idx(addrs, i);
		struct json_object *r = json_object_new_object(), *nhs;
		int family = json_object_get_int(json_object_object_get(ad, "family"));
		char dst[128];

		snprintf(dst, sizeof(dst), "%s", json_object_get_string(
				 json_object_object_get(ad, "local")));
		dst[strcspn(dst, "/")] = '\0';
		strcat(dst, family == AF_INET ? "/32" : "/128");
		json_object_object_add(r, "family", json_object_new_int(family));
		json_object_object_add(r, "dst", jstr(dst));
		json_object_object_add(r, "table", json_object_new_int(RT_TABLE_MAIN));
		json_object_object_add(r, "protocol", json_object_new_int(RTPROT_STATIC));
		json_object_object_add(r, "scope", json_object_new_int(RT_SCOPE_LINK));
		json_object_object_add(r, "type", json_object_new_int(RTN_UNICAST));
		json_object_object_add(r, "priority", json_object_new_int(0));
		nhs = json_object_new_array();
		json_object_array_add(nhs, json_object_new_object());
		json_object_object_add(r, "nexthops", nhs);
		json_object_array_add(routes, r);
	}
	return end;
}

/* Permanent neighbour entries on @ifname for every non-link-local
 * address of @addrs, at @mac. */
static int neighbours(struct nl_sock *sk, const char *ifname,
		      struct json_object *addrs, struct nl_addr *mac)
{
	int ret = 0;

	for (size_t i = 0; !ret && i < json_object_array_length(addrs); i++) {
		struct json_object *ad = json_object_array_get_idx(addrs, i);

		if (json_object_get_int(json_object_object_get(ad, "scope")) != RT_SCOPE_LINK)
			ret = neigh_add(sk, ifname, json_object_get_string(
						json_object_object_get(ad, "local")), mac);
	}
	return ret;
}

/* Join the command's namespace to the far end of @link. */
static int run_net(const struct shim_opts *o, struct runner *r, const char *link,
		   int index)
{
	struct json_object *a, *b, *near = NULL, *twin = NULL;
	char port_c[300], port_b[300], twin_name[32];
	struct nl_sock *sk_c = NULL, *sk_b = NULL;
	struct nl_addr *mac_c = NULL, *mac_b = NULL;
	const char *ifname, *ns_b;
	int ret, fd_c = -1, fd_b = -1;
	pid_t pid;

	ret = net_link_read(link, &a, &b);
	if (ret)
		return ret;
	ifname = json_object_get_string(json_object_object_get(a, "ifname"));
	ns_b = json_object_get_string(json_object_object_get(b, "ns"));
	/* at most 2 + 7 + 1 + 2 characters: within IFNAMSIZ */
	snprintf(twin_name, sizeof(twin_name), "hk%dt%d", (int)getpid() % 10000000,
		 index);
	snprintf(port_c, sizeof(port_c), "%s/%s", r->ns, ifname);
	snprintf(port_b, sizeof(port_b), "%s%s%s", ns_b, *ns_b ? "/" : "", twin_name);
	ret = SHIM_FAIL;
	if (net_start(o, port_c, port_b,
		      json_object_get_int(json_object_object_get(a, "mtu")), 2, &pid))
		goto out;
	r->srv[r->nsrv].pid = pid;
	r->srv[r->nsrv].what = link;
	r->srv[r->nsrv].fs = false;
	r->nsrv++;

	fd_c = ns_open(r->ns);
	fd_b = ns_open(ns_b);
	sk_c = fd_c >= 0 ? ns_socket(fd_c) : NULL;
	sk_b = fd_b >= 0 ? ns_socket(fd_b) : NULL;
	if (!sk_c || !sk_b) {
		err_perror(errno, "run: %s: cannot reach the namespaces", link);
		goto out;
	}
	near = near_end(a, b, link);
	twin = twin_end(b, near);
	mac_c = link_mac(sk_c, ifname);
	mac_b = link_mac(sk_b, twin_name);
	if (!mac_c || !mac_b || end_write(sk_c, ifname, near) ||
	    end_write(sk_b, twin_name, twin) ||
	    neighbours(sk_c, ifname, json_object_object_get(b, "addrs"), mac_b) ||
	    neighbours(sk_b, twin_name, json_object_object_get(near, "addrs"), mac_c))
		goto out;
	info("run: %s: the command's %s is joined to %s%s%s through hk-net-server (pid %d)",
	     link, ifname, ns_b, *ns_b ? "/" : "", json_object_get_string(
		     json_object_object_get(b, "ifname")), (int)pid);
	ret = 0;
out:
	nl_addr_put(mac_c);
	nl_addr_put(mac_b);
	if (sk_c)
		nl_socket_free(sk_c);
	if (sk_b)
		nl_socket_free(sk_b);
	if (fd_c >= 0)
		close(fd_c);
	if (fd_b >= 0)
		close(fd_b);
	json_object_put(near);
	json_object_put(twin);
	json_object_put(a);
	json_object_put(b);
	return ret;
}

static int run_fs(const struct shim_opts *o, struct runner *r, const char *dir)
{
	char canon[PATH_MAX];
	struct mnt m;
	pid_t pid;
	int ret, src_fd;

	ret = fs_canon(dir, canon);
	if (!ret)
		ret = fs_movable(o, canon);
	if (ret)
		return ret;
	src_fd = open(canon, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (src_fd < 0) {
		err_perror(errno, "run: '%s'", canon);
		return SHIM_USAGE;
	}
	ret = fs_start(o, canon, src_fd, STDERR_FILENO, &pid, &m);
	if (ret)
		return ret;
	r->srv[r->nsrv].pid = pid;
	r->srv[r->nsrv].what = dir;
	r->srv[r->nsrv].fs = true;
	r->srv[r->nsrv].mount_id = m.id;
	r->nsrv++;
	return 0;
}

static void stop_servers(struct runner *r)
{
	for (int i = 0; i < r->nsrv; i++)
		if (r->srv[i].pid > 0)
			kill(r->srv[i].pid, SIGTERM);
	for (int i = 0; i < r->nsrv; i++) {
		if (r->srv[i].pid <= 0)
			continue;
		if (!wait_gone(r->srv[i].pid, proc_start(r->srv[i].pid), 3000))
			kill(r->srv[i].pid, SIGKILL);
		waitpid(r->srv[i].pid, NULL, 0);
	}
}

/* The runner: set up, run the command, wait, tear down.  Its exit status
 * is the command's; @started gets a byte once the command runs. */
static int runner(const struct shim_opts *o, char *const *fs, int nfs,
		  char *const *net, int nnet, char *const *argv, int started)
{
	struct runner r = { 0 };
	int ret = 0, status, nsfd = -1;
	char how[128];
	pid_t cmd, pid;

	if (nfs && (unshare(CLONE_NEWNS) ||
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))) {
		err_perror(errno, "run: cannot make a private mount namespace%s",
			   errno == EPERM ? " (CAP_SYS_ADMIN is needed)" : "");
		return errno == EPERM ? SHIM_USAGE : SHIM_FAIL;
	}
	for (int i = 0; !ret && i < nfs; i++)
		ret = run_fs(o, &r, fs[i]);
	if (!ret && nnet) {
		snprintf(r.ns, sizeof(r.ns), "hkrun%d", (int)getpid());
		ret = ns_create(r.ns);
		if (ret) {
			err_perror(-ret, "run: cannot create the network namespace %s", r.ns);
			r.ns[0] = '\0';
			ret = SHIM_FAIL;
		}
	}
	for (int i = 0; !ret && i < nnet; i++)
		ret = run_net(o, &r, net[i], i);
	if (!ret && nnet && (nsfd = ns_open(r.ns)) < 0)
		ret = SHIM_FAIL;
	if (ret)
		goto out;

	cmd = fork();
	if (cmd == 0) {
		close(started);
		if (nsfd >= 0 && setns(nsfd, CLONE_NEWNET)) {
			err_perror(errno, "run: cannot enter %s", r.ns);
			_exit(127);
		}
		execvp(argv[0], argv);
		err_perror(errno, "run: cannot run '%s'", argv[0]);
		_exit(errno == ENOENT ? 127 : 126);
	}
	if (cmd < 0) {
		err_perror(errno, "fork");
		ret = SHIM_FAIL;
		goto out;
	}
	if (write(started, "s", 1) != 1)
		warn("run: the caller went away");
	close(started);
	for (;;) {
		pid = waitpid(-1, &status, 0);
		if (pid < 0 && errno == EINTR)
			continue;
		if (pid < 0 || pid == cmd)
			break;
		for (int i = 0; i < r.nsrv; i++) {
			if (r.srv[i].pid != pid)
				continue;
			r.srv[i].pid = 0;
			status_text(how, sizeof(how), status);
			if (r.srv[i].fs && fs_detach(r.srv[i].what, r.srv[i].mount_id))
				err("run: the hk-fs-server of %s ended with %s: detached, the command sees the kernel file system now",
				    r.srv[i].what, how);
			else if (!r.srv[i].fs)
				err("run: the hk-net-server of %s ended with %s: the command's link to it is gone",
				    r.srv[i].what, how);
		}
	}
	ret = exit_code(status);
out:
	stop_servers(&r);
	if (nsfd >= 0)
		close(nsfd);
	if (r.ns[0])
		ns_delete(r.ns);
	return ret;
}

int shim_run(const struct shim_opts *o, char *const *fs, int nfs,
	     char *const *net, int nnet, char *const *argv, bool *started)
{
	int pipefd[2], status;
	pid_t pid;
	char c;

	*started = false;
	if (need_privileges("run", nnet > 0))
		return SHIM_USAGE;
	if (nfs > RUN_MAX || nnet > RUN_MAX) {
		err("run: at most %d --fs and %d --net", RUN_MAX, RUN_MAX);
		return SHIM_USAGE;
	}
	if (pipe2(pipefd, O_CLOEXEC)) {
		err_perror(errno, "pipe");
		return SHIM_FAIL;
	}
	pid = fork();
	if (pid == 0) {
		close(pipefd[0]);
		signal(SIGINT, SIG_IGN);	/* ^C is for the command */
		signal(SIGQUIT, SIG_IGN);
		_exit(runner(o, fs, nfs, net, nnet, argv, pipefd[1]));
	}
	close(pipefd[1]);
	if (pid < 0) {
		err_perror(errno, "fork");
		close(pipefd[0]);
		return SHIM_FAIL;
	}
	*started = read(pipefd[0], &c, 1) == 1;
	close(pipefd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return exit_code(status);
}
