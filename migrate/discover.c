// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * discover.c - candidates found on the live system: the mounted file
 * systems of /proc/self/mountinfo that hold files (pseudo file systems and
 * FUSE mounts are skipped), and the veth links of this network namespace
 * and of those named in /run/netns, each pair once
 */
#include <dirent.h>
#include <errno.h>
#include <json-c/json.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "migrate.h"
#include "nl.h"

/* File systems that hold no files of their own. */
static const char *const pseudo[] = {
	"autofs", "binfmt_misc", "bpf", "cgroup", "cgroup2", "configfs",
	"debugfs", "devpts", "devtmpfs", "efivarfs", "fusectl", "hugetlbfs",
	"mqueue", "nsfs", "proc", "pstore", "rpc_pipefs", "securityfs",
	"selinuxfs", "sysfs", "tracefs", "nfsd", "overlay", "squashfs",
	"iso9660", NULL,
};

/* Mount points that belong to the running system, not to its data. */
static const char *const system_dirs[] = { "/proc", "/sys", "/dev", "/run", NULL };

static bool skip_mount(const char *dir, const char *fstype)
{
	if (!strncmp(fstype, "fuse", 4))
		return true;	/* already in user space */
	for (int i = 0; pseudo[i]; i++)
		if (!strcmp(fstype, pseudo[i]))
			return true;
	for (int i = 0; system_dirs[i]; i++) {
		size_t n = strlen(system_dirs[i]);

		if (!strncmp(dir, system_dirs[i], n) && (!dir[n] || dir[n] == '/'))
			return true;
	}
	return false;
}

static bool known(const struct plan_cfg *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->ncand; i++)
		if (!strcmp(cfg->cand[i].name, name))
			return true;
	return false;
}

static int add(struct plan_cfg *cfg, const char *name)
{
	struct candidate c, *grown;

	if (known(cfg, name))
		return 0;
	if (candidate_parse(name, &c, NULL, 0))
		return 0;	/* a name we cannot write, say a path with a space */
	grown = realloc(cfg->cand, (cfg->ncand + 1) * sizeof(*grown));
	if (!grown) {
		candidate_free(&c);
		return -ENOMEM;
	}
	cfg->cand = grown;
	cfg->cand[cfg->ncand++] = c;
	return 0;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape(char *s)
{
	char *d = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] && s[3]) {
			*d++ = (char)(((s[1] - '0') << 6) | ((s[2] - '0') << 3) | (s[3] - '0'));
			s += 3;
		} else {
			*d++ = *s;
		}
	}
	*d = '\0';
}

static int discover_mounts(struct plan_cfg *cfg)
{
	char *line = NULL, dir[4096], fstype[64], name[4200];
	FILE *f = fopen("/proc/self/mountinfo", "re");
	size_t size = 0;
	int ret = 0;

	if (!f)
		return -errno;
	while (!ret && getline(&line, &size, f) > 0) {
		char *sep = strstr(line, " - ");

		/* id parent major:minor root MOUNTPOINT options ... - FSTYPE ... */
		if (!sep || sscanf(line, "%*d %*d %*s %*s %4095s", dir) != 1 ||
		    sscanf(sep + 3, "%63s", fstype) != 1)
			continue;
		unescape(dir);
		if (skip_mount(dir, fstype) || strpbrk(dir, " \t\n"))
			continue;
		snprintf(name, sizeof(name), "fs:%s", dir);
		ret = add(cfg, name);
	}
	free(line);
	fclose(f);
	return ret;
}

/* The veths of namespace @ns; each pair is named once, by the end met first. */
static int discover_ns(struct plan_cfg *cfg, const char *ns,
		       struct json_object *seen)
{
	int nsfd = ns_open(ns), ret = 0;
	struct nl_sock *sk = nsfd >= 0 ? ns_socket(nsfd) : NULL;
	struct json_object *a, *b;
	struct nl_cache *cache;
	struct nl_object *obj;
	char name[300], peer[310];
	enum log_level lvl;

	if (nsfd >= 0)
		close(nsfd);
	if (!sk)
		return 0;	/* a namespace that went away meanwhile */
	if (rtnl_link_alloc_cache(sk, AF_UNSPEC, &cache)) {
		nl_socket_free(sk);
		return 0;
	}
	for (obj = nl_cache_get_first(cache); !ret && obj; obj = nl_cache_get_next(obj)) {
		struct rtnl_link *l = (struct rtnl_link *)obj;
		const char *type = rtnl_link_get_type(l);

		if (!type || strcmp(type, "veth"))
			continue;
		snprintf(name, sizeof(name), "%s%s%s", ns, *ns ? "/" : "",
			 rtnl_link_get_name(l));
		if (json_object_object_get_ex(seen, name, NULL))
			continue;
		lvl = log_set_level(LOG_LEVEL_SILENT);
		if (!shim_net_ends(name, &a, &b)) {
			snprintf(peer, sizeof(peer), "%s%s%s",
				 json_object_get_string(json_object_object_get(b, "ns")),
				 *json_object_get_string(json_object_object_get(b, "ns")) ? "/" : "",
				 json_object_get_string(json_object_object_get(b, "ifname")));
			json_object_object_add(seen, peer, NULL);
			json_object_put(a);
			json_object_put(b);
		}
		log_set_level(lvl);
		json_object_object_add(seen, name, NULL);
		snprintf(peer, sizeof(peer), "net:%s", name);
		ret = add(cfg, peer);
	}
	nl_cache_free(cache);
	nl_socket_free(sk);
	return ret;
}

/**
 * discover() - add the candidates of the live system to @cfg
 *
 * Return: 0, or MIG_FAIL
 */
int discover(struct plan_cfg *cfg)
{
	struct json_object *seen = json_object_new_object();
	struct dirent *de;
	DIR *d;
	int ret;

	ret = discover_mounts(cfg);
	if (!ret)
		ret = discover_ns(cfg, "", seen);
	d = opendir("/run/netns");
	while (!ret && d && (de = readdir(d)))
		if (de->d_name[0] != '.')
			ret = discover_ns(cfg, de->d_name, seen);
	if (d)
		closedir(d);
	json_object_put(seen);
	if (ret) {
		err_perror(-ret, "discovery");
		return MIG_FAIL;
	}
	return 0;
}
