// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * demo.c - the embedded scenario of "hk-migrate plan --demo": a scratch
 * tree of its own for two file system candidates (one served with FUSE
 * passthrough, one with the page cache only), and a pair of network
 * namespaces of its own joined by a veth for a network candidate; all
 * removed afterwards, also when the plan fails or is interrupted.
 */
#include <errno.h>
#include <json-c/json.h>
#include <netlink/netlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "migrate.h"
#include "nl.h"

static struct json_object *demo_end(const char *ifname, const char *addr)
{
	struct json_object *e = json_object_new_object(), *a, *addrs;

	json_object_object_add(e, "ifname", json_object_new_string(ifname));
	json_object_object_add(e, "mtu", json_object_new_int(1500));
	json_object_object_add(e, "up", json_object_new_boolean(true));
	addrs = json_object_new_array();
	a = json_object_new_object();
	json_object_object_add(a, "family", json_object_new_int(AF_INET));
	json_object_object_add(a, "local", json_object_new_string(addr));
	json_object_object_add(a, "scope", json_object_new_int(0));
	json_object_object_add(a, "flags", json_object_new_int(0));
	json_object_array_add(addrs, a);
	json_object_object_add(e, "addrs", addrs);
	json_object_object_add(e, "routes", json_object_new_array());
	return e;
}

static int demo_veth(struct demo *d)
{
	struct json_object *a = demo_end("hkdemo0", "10.77.0.1/24");
	struct json_object *b = demo_end("hkdemo1", "10.77.0.2/24");
	int fd_a = ns_open(d->ns_a), fd_b = ns_open(d->ns_b), ret = -1;
	struct nl_sock *sk_a = fd_a >= 0 ? ns_socket(fd_a) : NULL;
	struct nl_sock *sk_b = fd_b >= 0 ? ns_socket(fd_b) : NULL;

	if (sk_a && sk_b)
		ret = veth_create(sk_a, sk_b, fd_b, a, b);
	if (sk_a)
		nl_socket_free(sk_a);
	if (sk_b)
		nl_socket_free(sk_b);
	if (fd_a >= 0)
		close(fd_a);
	if (fd_b >= 0)
		close(fd_b);
	json_object_put(a);
	json_object_put(b);
	return ret;
}

static int add(struct plan_cfg *cfg, const char *name, double effort,
	       double gain, const char *workloads, const char *fast_path)
{
	struct candidate *grown = realloc(cfg->cand, (cfg->ncand + 1) * sizeof(*grown));
	struct candidate *c;

	if (!grown)
		return MIG_FAIL;
	cfg->cand = grown;
	c = &cfg->cand[cfg->ncand];
	if (candidate_parse(name, c, NULL, 0))
		return MIG_FAIL;
	cfg->ncand++;
	c->effort = effort;
	c->gain = gain;
	if (fast_path)
		c->fast_path = strdup(fast_path);
	return candidate_workloads(c, workloads, NULL, 0);
}

/**
 * demo_setup() - make the demo's tree and namespaces, and its candidates
 *
 * Return: 0, or MIG_FAIL with whatever was made removed again
 */
int demo_setup(struct demo *d, struct plan_cfg *cfg)
{
	const char *tmp = getenv("TMPDIR"), *from = " (TMPDIR)";
	char path[PATH_MAX + 32];
	int ret;

	memset(d, 0, sizeof(*d));
	if (!tmp || !*tmp) {
		tmp = "/tmp";
		from = "";
	}
	if ((size_t)snprintf(d->dir, sizeof(d->dir), "%s/hk-demo.XXXXXX", tmp) >=
	    sizeof(d->dir)) {
		err("demo: TMPDIR is too long for a scratch directory: '%s'", tmp);
		d->dir[0] = '\0';
		return MIG_FAIL;
	}
	if (!mkdtemp(d->dir)) {
		err_perror(errno, "demo: cannot make a scratch directory in %s%s",
			   tmp, from);
		d->dir[0] = '\0';
		return MIG_FAIL;
	}
	snprintf(d->ns_a, sizeof(d->ns_a), "hkdemo%d.a", (int)getpid());
	snprintf(d->ns_b, sizeof(d->ns_b), "hkdemo%d.b", (int)getpid());
	ret = ns_create(d->ns_a);
	d->made_ns_a = !ret;
	if (!ret) {
		ret = ns_create(d->ns_b);
		d->made_ns_b = !ret;
	}
	if (ret) {
		err_perror(-ret, "demo: cannot create a network namespace");
		goto fail;
	}
	if (demo_veth(d)) {
		err("demo: cannot create the veth between %s and %s", d->ns_a, d->ns_b);
		goto fail;
	}
	snprintf(path, sizeof(path), "%s/passthrough", d->dir);
	if (mkdir(path, 0755))
		goto fail_dir;
	snprintf(path, sizeof(path), "fs:%s/passthrough", d->dir);
	if (add(cfg, path, 1, 2, "seqread randwrite meta", "passthrough"))
		goto fail;
	snprintf(path, sizeof(path), "%s/cache", d->dir);
	if (mkdir(path, 0755))
		goto fail_dir;
	snprintf(path, sizeof(path), "fs:%s/cache", d->dir);
	if (add(cfg, path, 1, 1, "seqread meta", "cache"))
		goto fail;
	snprintf(path, sizeof(path), "net:%s/hkdemo0", d->ns_a);
	if (add(cfg, path, 2, 4, "stream rr", NULL))
		goto fail;
	return 0;
fail_dir:
	err_perror(errno, "demo: cannot make %s", path);
fail:
	demo_teardown(d);
	return MIG_FAIL;
}

void demo_teardown(struct demo *d)
{
	if (d->made_ns_a)
		ns_delete(d->ns_a);	/* the veth goes with it */
	if (d->made_ns_b)
		ns_delete(d->ns_b);
	d->made_ns_a = d->made_ns_b = false;
	if (d->dir[0] && remove_tree(d->dir))
		warn_perror(errno, "demo: cannot remove %s", d->dir);
	d->dir[0] = '\0';
}
