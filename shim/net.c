// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * net.c - move a veth link behind hk-net-server and back
 *
 * LINK names one end of a veth pair, [NS/]IFNAME; its peer is found
 * through the link's IFLA_LINK and IFLA_LINK_NETNSID, matched against
 * the namespaces in /run/netns (and this program's own).  The move reads
 * both ends' configuration (nl.c), deletes the pair, starts hk-net-server
 * with a TAP port of the same name in each namespace, and writes each
 * end's configuration onto its port.  The revert, or the death of the
 * server, does the reverse: the ports go with the server, and the pair is
 * created again from the configuration kept in the record.
 *
 * As for fs.c, the server is the child of a detached supervisor, which
 * writes the record when the ports are configured and restores the veth
 * when the server ends, whatever the reason.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <net/if.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "log.h"
#include "nl.h"

#define REVERT_WAIT_MS	10000

struct end {
	char ns[256];
	char ifname[IFNAMSIZ];
	int nsfd;
	struct nl_sock *sk;
};

static void end_close(struct end *e)
{
	if (e->sk)
		nl_socket_free(e->sk);
	if (e->nsfd >= 0)
		close(e->nsfd);
	e->sk = NULL;
	e->nsfd = -1;
}

static int end_open(struct end *e, const char *ns, const char *ifname)
{
	snprintf(e->ns, sizeof(e->ns), "%s", ns);
	snprintf(e->ifname, sizeof(e->ifname), "%s", ifname);
	e->sk = NULL;
	e->nsfd = ns_open(ns);
	if (e->nsfd < 0) {
		err_perror(errno, "net: network namespace '%s'", ns);
		return SHIM_USAGE;
	}
	e->sk = ns_socket(e->nsfd);
	if (!e->sk) {
		err_perror(errno, "net: cannot enter network namespace '%s'%s", ns,
			   errno == EPERM ? " (CAP_SYS_ADMIN and CAP_NET_ADMIN are needed)" : "");
		end_close(e);
		return errno == EPERM ? SHIM_USAGE : SHIM_FAIL;
	}
	return 0;
}

/* An end from the record's JSON. */
static int end_open_json(struct end *e, struct json_object *j)
{
	struct json_object *ns, *ifname;

	e->nsfd = -1;
	e->sk = NULL;
	if (!json_object_object_get_ex(j, "ns", &ns) ||
	    !json_object_object_get_ex(j, "ifname", &ifname))
		return SHIM_FAIL;
	return end_open(e, json_object_get_string(ns),
			json_object_get_string(ifname));
}

/* "[NS/]IFNAME" */
static int link_parse(const char *link, char *ns, char *ifname)
{
	const char *slash = strrchr(link, '/');
	const char *name = slash ? slash + 1 : link;
	size_t nslen = slash ? (size_t)(slash - link) : 0;

	if (!*name || strlen(name) >= IFNAMSIZ || nslen >= 256 ||
	    (slash && (!nslen || memchr(link, '/', nslen)))) {
		err("net: '%s' is not a link: give [NS/]IFNAME", link);
		return SHIM_USAGE;
	}
	memcpy(ns, link, nslen);
	ns[nslen] = '\0';
	strcpy(ifname, name);
	return 0;
}

static void link_name(char *buf, size_t size, const char *ns, const char *ifname)
{
	snprintf(buf, size, "%s%s%s", ns, *ns ? "/" : "", ifname);
}

static bool same_ns(int a, int b)
{
	struct stat sa, sb;

	return !fstat(a, &sa) && !fstat(b, &sb) && sa.st_ino == sb.st_ino &&
	       sa.st_dev == sb.st_dev;
}

/* The namespace (a name in /run/netns, or "" for ours) that the
 * namespace of @a calls @nsid. */
static bool ns_by_id(struct end *a, int nsid, char *name)
{
	struct dirent *e;
	DIR *d;
	int fd;
	bool found = false;

	fd = ns_open("");
	if (fd >= 0 && !same_ns(fd, a->nsfd) && ns_id_of(a->sk, fd) == nsid) {
		name[0] = '\0';
		found = true;
	}
	if (fd >= 0)
		close(fd);
	d = opendir("/run/netns");
	while (!found && d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		fd = ns_open(e->d_name);
		if (fd < 0)
			continue;
		if (!same_ns(fd, a->nsfd) && ns_id_of(a->sk, fd) == nsid) {
			snprintf(name, 256, "%s", e->d_name);
			found = true;
		}
		close(fd);
	}
	if (d)
		closedir(d);
	return found;
}

/*
 * The veth @a and its peer, opened in @b, with both ends' configuration.
 */
static int veth_read(struct end *a, struct end *b, struct json_object **ja,
		     struct json_object **jb)
{
	struct rtnl_link *la = NULL, *lb = NULL;
	char ns_b[256], name[300];
	int32_t nsid;
	int peer, ret;

	link_name(name, sizeof(name), a->ns, a->ifname);
	ret = rtnl_link_get_kernel(a->sk, 0, a->ifname, &la);
	if (ret) {
		err("net: '%s': no such link", name);
		return SHIM_USAGE;
	}
	ret = SHIM_USAGE;
	if (!rtnl_link_is_veth(la)) {
		err("net: '%s' is not a veth (it is %s)", name,
		    rtnl_link_get_type(la) ? rtnl_link_get_type(la) : "a device without a type");
		goto out;
	}
	peer = rtnl_link_get_link(la);
	snprintf(ns_b, sizeof(ns_b), "%s", a->ns);
	if (!rtnl_link_get_link_netnsid(la, &nsid) && nsid >= 0 &&
	    !ns_by_id(a, nsid, ns_b)) {
		err("net: '%s': its peer is in a network namespace with no name in /run/netns",
		    name);
		goto out;
	}
	if (peer <= 0 || end_open(b, ns_b, "")) {
		err("net: '%s' has no peer", name);
		goto out;
	}
	if (rtnl_link_get_kernel(b->sk, peer, NULL, &lb) || !rtnl_link_is_veth(lb) ||
	    rtnl_link_get_link(lb) != rtnl_link_get_ifindex(la)) {
		err("net: '%s': its peer (index %d) is not found in namespace '%s'",
		    name, peer, ns_b);
		goto out;
	}
	snprintf(b->ifname, sizeof(b->ifname), "%s", rtnl_link_get_name(lb));
	*ja = end_read(a->sk, a->ns, la);
	*jb = end_read(b->sk, b->ns, lb);
	ret = *ja && *jb ? 0 : SHIM_FAIL;
	if (ret)
		err("net: cannot read the configuration of '%s'", name);
out:
	rtnl_link_put(la);
	rtnl_link_put(lb);
	return ret;
}

struct find {
	const char *ns, *ifname;
	char *id;
	struct json_object *rec;
};

static bool end_is(struct json_object *end, const char *ns, const char *ifname)
{
	return end && !strcmp(record_str(end, "ns"), ns) &&
	       !strcmp(record_str(end, "ifname"), ifname);
}

static bool find_one(const char *id, struct json_object *rec, void *arg)
{
	struct find *f = arg;
	struct json_object *a, *b;

	if (strcmp(record_str(rec, "kind"), "net") ||
	    !json_object_object_get_ex(rec, "a", &a) ||
	    !json_object_object_get_ex(rec, "b", &b) ||
	    (!end_is(a, f->ns, f->ifname) && !end_is(b, f->ns, f->ifname)))
		return false;
	snprintf(f->id, SHIM_ID_MAX, "%s", id);
	f->rec = json_object_get(rec);
	return true;
}

/* The record of the move of the link one of whose ends is @ns/@ifname. */
static struct json_object *net_record(const struct shim_opts *o, const char *ns,
				      const char *ifname, char *id)
{
	struct find f = { .ns = ns, .ifname = ifname, .id = id };

	record_each(o, find_one, &f);
	return f.rec;
}

/* The veth back from the record, after the server and its ports went. */
static int net_restore(struct json_object *rec)
{
	struct json_object *ja = json_object_object_get(rec, "a");
	struct json_object *jb = json_object_object_get(rec, "b");
	struct timespec tick = { .tv_nsec = 20 * 1000 * 1000 };
	struct end a, b;
	int ret = SHIM_FAIL;

	if (end_open_json(&a, ja))
		return SHIM_FAIL;
	if (end_open_json(&b, jb)) {
		end_close(&a);
		return SHIM_FAIL;
	}
	/* a TAP device goes with its last descriptor, but the kernel may
	 * take a moment to unregister it: its name is busy until then */
	for (int i = 0; i < 100; i++) {
		struct rtnl_link *l = NULL;

		if (rtnl_link_get_kernel(a.sk, 0, a.ifname, &l) &&
		    rtnl_link_get_kernel(b.sk, 0, b.ifname, &l))
			break;
		rtnl_link_put(l);
		nanosleep(&tick, NULL);
	}
	if (!veth_create(a.sk, b.sk, same_ns(a.nsfd, b.nsfd) ? -1 : b.nsfd, ja, jb))
		ret = 0;
	end_close(&a);
	end_close(&b);
	return ret;
}

static void port_arg(char *buf, size_t size, struct json_object *end)
{
	link_name(buf, size, record_str(end, "ns"), record_str(end, "ifname"));
}

/* Supervise the server until it ends, then put the veth back. */
static void net_supervise(const struct shim_opts *o, const char *id,
			  const char *name, pid_t server)
{
	struct json_object *rec;
	char how[128];
	bool asked;

	wait_child(server, how, sizeof(how));
	rec = record_read(o, id);
	if (!rec) {
		err("net: %s: the record is gone; the veth cannot be restored", name);
		return;
	}
	asked = !strcmp(record_str(rec, "state"), "reverting");
	if (net_restore(rec))
		err("net: %s: hk-net-server (pid %d) ended with %s and the veth could not be restored",
		    name, (int)server, how);
	else if (asked)
		info("%s: reverted to a veth (hk-net-server ended with %s)", name, how);
	else
		err("hk-net-server (pid %d) ended with %s while %s was moved: reverted, the veth is back",
		    (int)server, how, name);
	record_remove(o, id);
	json_object_put(rec);
}

/*
 * net_start() - start hk-net-server with the two ports given
 * @mtu:	the larger MTU of the two
 * @logfd:	its stdout and stderr
 * @pid:	the server
 *
 * Return: 0 when its ports are open and served, SHIM_FAIL when not (it
 * is gone then)
 */
int net_start(const struct shim_opts *o, const char *port_a,
	      const char *port_b, int mtu, int logfd, pid_t *pid)
{
	char server[PATH_MAX], mtus[16];
	char *argv[16];
	int ready[2], argc = 0, ret;

	if (server_path("hk-net-server", server, sizeof(server))) {
		err("cannot find hk-net-server (set HK_NET_SERVER)");
		return SHIM_FAIL;
	}
	snprintf(mtus, sizeof(mtus), "%d", mtu);
	argv[argc++] = server;
	argv[argc++] = "--port";
	argv[argc++] = (char *)port_a;
	argv[argc++] = "--port";
	argv[argc++] = (char *)port_b;
	argv[argc++] = "--mtu";
	argv[argc++] = mtus;
	argv[argc++] = "--ready-fd=3";
	if (o->no_offload)
		argv[argc++] = "--no-offload";
	argv[argc] = NULL;
	if (pipe2(ready, O_CLOEXEC)) {
		err_perror(errno, "pipe");
		return SHIM_FAIL;
	}
	*pid = spawn(argv, &ready[1], 1, logfd);
	close(ready[1]);
	if (*pid < 0) {
		err_perror(errno, "fork");
		ret = SHIM_FAIL;
	} else {
		ret = wait_ready(ready[0], *pid, "hk-net-server", port_a);
	}
	close(ready[0]);
	return ret;
}

struct net_sup {
	const struct shim_opts *o;
	const char *id, *name;
	struct json_object *rec;
};

/* The supervisor (see supervisor_start()): switch the link to the
 * server's ports, write the record, tell the caller, then supervise. */
static int net_supervisor(void *arg, int *report, int logfd)
{
	struct net_sup *sup = arg;
	const struct shim_opts *o = sup->o;
	const char *id = sup->id, *name = sup->name;
	struct json_object *rec = sup->rec;
	struct json_object *ja = json_object_object_get(rec, "a");
	struct json_object *jb = json_object_object_get(rec, "b");
	char pa[300], pb[300];
	int ret = SHIM_FAIL, mtu;
	struct end a, b;
	pid_t pid;

	if (end_open_json(&a, ja))
		return SHIM_FAIL;
	if (end_open_json(&b, jb)) {
		end_close(&a);
		return SHIM_FAIL;
	}
	port_arg(pa, sizeof(pa), ja);
	port_arg(pb, sizeof(pb), jb);
	mtu = record_int(ja, "mtu") > record_int(jb, "mtu") ?
	      record_int(ja, "mtu") : record_int(jb, "mtu");

	json_object_object_add(rec, "state", json_object_new_string("switching"));
	record_set_self(rec, "supervisor", getpid());
	if (record_write(o, id, rec)) {
		err("cannot write the record of %s", name);
		goto out;
	}
	ret = link_delete(a.sk, a.ifname);
	if (ret) {
		err("net: cannot delete the veth %s: %s", name, nl_geterror(ret));
		ret = SHIM_FAIL;
		goto out;
	}
	ret = SHIM_FAIL;
	if (net_start(o, pa, pb, mtu, logfd, &pid))
		goto out_restore;
	if (end_write(a.sk, a.ifname, ja) || end_write(b.sk, b.ifname, jb)) {
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
		goto out_restore;
	}
	json_object_object_add(rec, "state", json_object_new_string("moved"));
	record_set_self(rec, "server", pid);
	if (record_write(o, id, rec)) {
		err("cannot write the record of %s", name);
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
		goto out_restore;
	}
	end_close(&a);
	end_close(&b);
	info("%s moved to hk-net-server (pid %d)", name, (int)pid);
	supervisor_ready(report);
	net_supervise(o, id, name, pid);
	return 0;

out_restore:
	if (net_restore(rec))
		err("net: %s: THE VETH COULD NOT BE RESTORED; its configuration is in the record %s",
		    name, id);
out:
	end_close(&a);
	end_close(&b);
	return ret;
}

/*
 * net_link_read() - both ends of the veth @link, [NS/]IFNAME, as JSON
 * @a:	the end named
 * @b:	its peer
 */
int net_link_read(const char *link, struct json_object **a,
		  struct json_object **b)
{
	char ns[256], ifname[IFNAMSIZ];
	struct end ea = { .nsfd = -1 }, eb = { .nsfd = -1 };
	int ret = link_parse(link, ns, ifname);

	*a = *b = NULL;
	if (ret)
		return ret;
	ret = end_open(&ea, ns, ifname);
	if (!ret)
		ret = veth_read(&ea, &eb, a, b);
	end_close(&ea);
	end_close(&eb);
	if (ret) {
		json_object_put(*a);
		json_object_put(*b);
		*a = *b = NULL;
	}
	return ret;
}

int shim_net_ends(const char *link, struct json_object **near,
		  struct json_object **far)
{
	return net_link_read(link, near, far);
}

int shim_net_move(const struct shim_opts *o, const char *link)
{
	char ns[256], ifname[IFNAMSIZ], name[300], id[SHIM_ID_MAX];
	struct json_object *rec, *ja = NULL, *jb = NULL;
	struct net_sup sup;
	int ret;

	ret = link_parse(link, ns, ifname);
	if (ret)
		return ret;
	link_name(name, sizeof(name), ns, ifname);
	ret = need_privileges("net move", true);
	if (ret)
		return ret;
	ret = state_prepare(o);
	if (ret)
		return ret;
	rec = net_record(o, ns, ifname, id);
	if (rec) {
		bool live = record_proc_alive(rec, "supervisor");

		if (!live)
			net_status_clean(o, id, rec);
		json_object_put(rec);
		if (live) {
			err("net: '%s' is already moved (see hk-shim status)", name);
			return SHIM_USAGE;
		}
	}
	ret = net_link_read(link, &ja, &jb);
	if (ret)
		return ret;

	state_id(id, "net", name);
	rec = record_new("net", name);
	json_object_object_add(rec, "state", json_object_new_string("moving"));
	json_object_object_add(rec, "a", ja);
	json_object_object_add(rec, "b", jb);
	record_set_self(rec, "supervisor", getpid());
	ret = record_claim(o, id, rec);
	if (ret) {
		err_perror(-ret, "net: '%s': cannot claim its record", name);
		json_object_put(rec);
		return ret == -EEXIST ? SHIM_USAGE : SHIM_FAIL;
	}
	sup.o = o;
	sup.id = id;
	sup.name = name;
	sup.rec = rec;
	ret = supervisor_start(o, id, name, "hk-net-server", net_supervisor, &sup);
	if (!ret) {
		json_object_put(rec);
		return 0;
	}
	record_remove(o, id);
	json_object_put(rec);
	err("net: '%s' was not moved", name);
	return ret;
}

int shim_net_revert(const struct shim_opts *o, const char *link)
{
	char ns[256], ifname[IFNAMSIZ], name[300], id[SHIM_ID_MAX], rec_path[PATH_MAX + SHIM_ID_MAX];
	struct timespec tick = { .tv_nsec = 10 * 1000 * 1000 };
	struct json_object *rec;
	int ret, t;

	ret = link_parse(link, ns, ifname);
	if (ret)
		return ret;
	link_name(name, sizeof(name), ns, ifname);
	ret = need_privileges("net revert", true);
	if (ret)
		return ret;
	rec = net_record(o, ns, ifname, id);
	if (!rec) {
		err("net: '%s' is not moved", name);
		return SHIM_USAGE;
	}
	if (!record_proc_alive(rec, "supervisor")) {
		warn("net: %s: its supervisor is gone; restoring the veth from the record",
		     name);
		ret = net_status_clean(o, id, rec) ? 0 : SHIM_FAIL;
		json_object_put(rec);
		return ret;
	}
	json_object_object_add(rec, "state", json_object_new_string("reverting"));
	if (record_write(o, id, rec) || kill(record_int(rec, "server"), SIGTERM)) {
		err_perror(errno, "net: %s: cannot stop its server", name);
		json_object_put(rec);
		return SHIM_FAIL;
	}
	json_object_put(rec);
	state_file(rec_path, o, id, "json");
	for (t = 0; t < REVERT_WAIT_MS && !access(rec_path, F_OK); t += 10)
		nanosleep(&tick, NULL);
	if (t >= REVERT_WAIT_MS) {
		err("net: %s: the supervisor did not restore the veth in %d s",
		    name, REVERT_WAIT_MS / 1000);
		return SHIM_FAIL;
	}
	info("%s: reverted to a veth", name);
	return 0;
}

/* For status and for a new move: undo what is left of a stale move. */
bool net_status_clean(const struct shim_opts *o, const char *id,
		      struct json_object *rec)
{
	const char *name = record_str(rec, "target");

	if (record_proc_alive(rec, "supervisor"))
		return false;
	if (record_this_boot(rec) && record_proc_alive(rec, "server")) {
		pid_t pid = record_int(rec, "server");

		kill(pid, SIGTERM);
		wait_gone(pid, proc_start(pid), 2000);
	}
	/* in state "moving" the veth was not touched yet */
	if (strcmp(record_str(rec, "state"), "moving")) {
		if (net_restore(rec))
			err("net: %s: the veth of a stale move could not be restored",
			    name);
		else
			warn("net: %s: restored the veth of a move whose supervisor is gone",
			     name);
	}
	record_remove(o, id);
	return true;
}
