// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nl.c - the configuration of one end of a link, read and written through
 * libnl-3, as the JSON the record keeps
 *
 * An end is { "ns", "ifname", "mac", "mtu", "up", "addrs": [...],
 * "routes": [...] }.  Addresses are those on the interface, with the
 * flags the kernel takes back; routes are those whose next hop goes out
 * of the interface, in every table but "local", except the ones the
 * kernel makes itself for an address (protocol "kernel").  Writing an end
 * onto another interface gives it the same MAC address, MTU, addresses,
 * state and routes, and takes away the addresses it had of its own (the
 * IPv6 link-local address of a new TAP device, for one) unless the end
 * says "keep_own".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <linux/if_addr.h>
#include <linux/net_namespace.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/neighbour.h>
#include <netlink/route/route.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "nl.h"

/* flags an address keeps when it is added again (the kernel drops the rest) */
#define ADDR_FLAGS_KEPT	(IFA_F_NOPREFIXROUTE | IFA_F_HOMEADDRESS | \
			 IFA_F_MANAGETEMPADDR | IFA_F_MCAUTOJOIN)

/* The network namespace NAME (/run/netns/NAME), or ours for "". */
int ns_open(const char *name)
{
	char path[PATH_MAX];

	if (!*name)
		return open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, "..")) {
		errno = EINVAL;
		return -1;
	}
	snprintf(path, sizeof(path), "/run/netns/%s", name);
	return open(path, O_RDONLY | O_CLOEXEC);
}

/* A route netlink socket that lives in the namespace @nsfd. */
struct nl_sock *ns_socket(int nsfd)
{
	int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	struct nl_sock *sk = NULL;

	if (self < 0 || setns(nsfd, CLONE_NEWNET)) {
		if (self >= 0)
			close(self);
		return NULL;
	}
	sk = nl_socket_alloc();
	if (sk && nl_connect(sk, NETLINK_ROUTE)) {
		nl_socket_free(sk);
		sk = NULL;
	}
	if (setns(self, CLONE_NEWNET))
		err_perror(errno, "cannot return to this program's network namespace");
	close(self);
	return sk;
}

struct nsid_req {
	int nsid;
	bool got;
};

static int nsid_reply(struct nl_msg *msg, void *arg)
{
	struct nsid_req *r = arg;
	struct nlattr *tb[NETNSA_MAX + 1];

	if (nlmsg_parse(nlmsg_hdr(msg), sizeof(struct rtgenmsg), tb, NETNSA_MAX,
			NULL) == 0 && tb[NETNSA_NSID]) {
		r->nsid = (int)nla_get_u32(tb[NETNSA_NSID]);
		r->got = true;
	}
	return NL_OK;
}

/* The id that the namespace of @sk gives the namespace @nsfd, or -1. */
int ns_id_of(struct nl_sock *sk, int nsfd)
{
	struct rtgenmsg g = { .rtgen_family = AF_UNSPEC };
	struct nsid_req r = { .nsid = -1 };
	struct nl_msg *msg = nlmsg_alloc_simple(RTM_GETNSID, NLM_F_REQUEST);
	struct nl_cb *cb = nl_cb_alloc(NL_CB_DEFAULT);
	int ret = -1;

	if (msg && cb && !nlmsg_append(msg, &g, sizeof(g), NLMSG_ALIGNTO) &&
	    !nla_put_u32(msg, NETNSA_FD, (uint32_t)nsfd) &&
	    nl_send_auto(sk, msg) >= 0) {
		nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, nsid_reply, &r);
		/* the answer, then the acknowledgement: both are read, or
		 * the next request on this socket would get the ack */
		if (nl_recvmsgs(sk, cb) >= 0 && r.got)
			ret = r.nsid;
		nl_wait_for_ack(sk);
	}
	nlmsg_free(msg);
	nl_cb_put(cb);
	return ret;
}

static void put_addr(struct json_object *o, const char *key, struct nl_addr *a)
{
	char buf[128];

	if (!a)
		return;
	if (nl_addr_get_len(a) == 0 || (nl_addr_get_prefixlen(a) == 0 &&
					nl_addr_iszero(a)))
		snprintf(buf, sizeof(buf), "default");
	else
		nl_addr2str(a, buf, sizeof(buf));
	json_object_object_add(o, key, json_object_new_string(buf));
}

static int get_int(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_int(v) : 0;
}

static const char *get_str(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ?
	       json_object_get_string(v) : NULL;
}

static struct nl_addr *parse_addr(struct json_object *o, const char *key,
				  int family)
{
	const char *s = get_str(o, key);
	struct nl_addr *a = NULL;

	if (s && nl_addr_parse(s, family, &a))
		return NULL;
	return a;
}

static struct json_object *addr_json(struct rtnl_addr *a)
{
	struct json_object *o = json_object_new_object();
	unsigned int flags = rtnl_addr_get_flags(a) & ADDR_FLAGS_KEPT;

	json_object_object_add(o, "family", json_object_new_int(rtnl_addr_get_family(a)));
	put_addr(o, "local", rtnl_addr_get_local(a));
	if (rtnl_addr_get_peer(a) &&
	    nl_addr_cmp(rtnl_addr_get_peer(a), rtnl_addr_get_local(a)))
		put_addr(o, "peer", rtnl_addr_get_peer(a));
	put_addr(o, "broadcast", rtnl_addr_get_broadcast(a));
	json_object_object_add(o, "scope", json_object_new_int(rtnl_addr_get_scope(a)));
	json_object_object_add(o, "flags", json_object_new_int((int)flags));
	return o;
}

static struct json_object *route_json(struct rtnl_route *r)
{
	struct json_object *o = json_object_new_object(), *nhs;

	json_object_object_add(o, "family", json_object_new_int(rtnl_route_get_family(r)));
	put_addr(o, "dst", rtnl_route_get_dst(r));
	put_addr(o, "prefsrc", rtnl_route_get_pref_src(r));
	json_object_object_add(o, "table", json_object_new_int64(rtnl_route_get_table(r)));
	json_object_object_add(o, "protocol", json_object_new_int(rtnl_route_get_protocol(r)));
	json_object_object_add(o, "scope", json_object_new_int(rtnl_route_get_scope(r)));
	json_object_object_add(o, "type", json_object_new_int(rtnl_route_get_type(r)));
	json_object_object_add(o, "priority", json_object_new_int64(rtnl_route_get_priority(r)));
	nhs = json_object_new_array();
	for (int i = 0; i < rtnl_route_get_nnexthops(r); i++) {
		struct rtnl_nexthop *nh = rtnl_route_nexthop_n(r, i);
		struct json_object *n = json_object_new_object();

		put_addr(n, "gateway", rtnl_route_nh_get_gateway(nh));
		json_object_object_add(n, "flags", json_object_new_int(
					       (int)rtnl_route_nh_get_flags(nh) & RTNH_F_ONLINK));
		json_object_object_add(n, "weight", json_object_new_int(
					       rtnl_route_nh_get_weight(nh)));
		json_object_array_add(nhs, n);
	}
	json_object_object_add(o, "nexthops", nhs);
	return o;
}

static bool route_through(struct rtnl_route *r, int ifindex)
{
	if (rtnl_route_get_table(r) == RT_TABLE_LOCAL ||
	    rtnl_route_get_protocol(r) == RTPROT_KERNEL)
		return false;
	for (int i = 0; i < rtnl_route_get_nnexthops(r); i++)
		if (rtnl_route_nh_get_ifindex(rtnl_route_nexthop_n(r, i)) == ifindex)
			return true;
	return false;
}

/*
 * end_read() - the configuration of interface @ifname of namespace @ns
 * @sk:	a socket in that namespace
 * @link:	the interface, as the kernel gave it
 *
 * Return: the end as JSON, or NULL
 */
struct json_object *end_read(struct nl_sock *sk, const char *ns,
			     struct rtnl_link *link)
{
	struct json_object *end = json_object_new_object(), *addrs, *routes;
	struct nl_cache *cache;
	struct nl_object *obj;
	int ifindex = rtnl_link_get_ifindex(link);
	char mac[64];

	json_object_object_add(end, "ns", json_object_new_string(ns));
	json_object_object_add(end, "ifname", json_object_new_string(rtnl_link_get_name(link)));
	nl_addr2str(rtnl_link_get_addr(link), mac, sizeof(mac));
	json_object_object_add(end, "mac", json_object_new_string(mac));
	json_object_object_add(end, "mtu", json_object_new_int((int)rtnl_link_get_mtu(link)));
	json_object_object_add(end, "up", json_object_new_boolean(
				       rtnl_link_get_flags(link) & IFF_UP));

	addrs = json_object_new_array();
	json_object_object_add(end, "addrs", addrs);
	if (rtnl_addr_alloc_cache(sk, &cache))
		goto fail;
	for (obj = nl_cache_get_first(cache); obj; obj = nl_cache_get_next(obj)) {
		struct rtnl_addr *a = (struct rtnl_addr *)obj;

		if (rtnl_addr_get_ifindex(a) == ifindex &&
		    !(rtnl_addr_get_flags(a) & IFA_F_TEMPORARY))
			json_object_array_add(addrs, addr_json(a));
	}
	nl_cache_free(cache);

	routes = json_object_new_array();
	json_object_object_add(end, "routes", routes);
	if (rtnl_route_alloc_cache(sk, AF_UNSPEC, 0, &cache))
		goto fail;
	for (obj = nl_cache_get_first(cache); obj; obj = nl_cache_get_next(obj)) {
		struct rtnl_route *r = (struct rtnl_route *)obj;

		if (route_through(r, ifindex))
			json_object_array_add(routes, route_json(r));
	}
	nl_cache_free(cache);
	return end;

fail:
	json_object_put(end);
	return NULL;
}

static int addr_add(struct nl_sock *sk, int ifindex, struct json_object *o)
{
	int family = get_int(o, "family"), ret = -NLE_INVAL;
	struct rtnl_addr *a = rtnl_addr_alloc();
	struct nl_addr *local = parse_addr(o, "local", family);
	struct nl_addr *peer = parse_addr(o, "peer", family);
	struct nl_addr *brd = parse_addr(o, "broadcast", family);
	unsigned int flags = (unsigned int)get_int(o, "flags");

	if (a && local) {
		rtnl_addr_set_ifindex(a, ifindex);
		rtnl_addr_set_family(a, family);
		rtnl_addr_set_local(a, local);
		if (peer)
			rtnl_addr_set_peer(a, peer);
		if (brd)
			rtnl_addr_set_broadcast(a, brd);
		rtnl_addr_set_scope(a, get_int(o, "scope"));
		/* the address was checked on the old link already */
		if (family == AF_INET6)
			flags |= IFA_F_NODAD;
		rtnl_addr_set_flags(a, flags);
		ret = rtnl_addr_add(sk, a, 0);
		if (ret == -NLE_EXIST)
			ret = 0;
	}
	rtnl_addr_put(a);
	nl_addr_put(local);
	nl_addr_put(peer);
	nl_addr_put(brd);
	return ret;
}

static int route_add(struct nl_sock *sk, int ifindex, struct json_object *o)
{
	int family = get_int(o, "family"), ret = -NLE_INVAL;
	struct rtnl_route *r = rtnl_route_alloc();
	struct nl_addr *dst = parse_addr(o, "dst", family);
	struct nl_addr *src = parse_addr(o, "prefsrc", family);
	struct json_object *nhs;

	if (!r || !dst || !json_object_object_get_ex(o, "nexthops", &nhs))
		goto out;
	rtnl_route_set_family(r, (uint8_t)family);
	rtnl_route_set_dst(r, dst);
	if (src)
		rtnl_route_set_pref_src(r, src);
	rtnl_route_set_table(r, (uint32_t)json_object_get_int64(
				     json_object_object_get(o, "table")));
	rtnl_route_set_protocol(r, (uint8_t)get_int(o, "protocol"));
	rtnl_route_set_scope(r, (uint8_t)get_int(o, "scope"));
	rtnl_route_set_type(r, (uint8_t)get_int(o, "type"));
	rtnl_route_set_priority(r, (uint32_t)json_object_get_int64(
					json_object_object_get(o, "priority")));
	for (size_t i = 0; i < json_object_array_length(nhs); i++) {
		struct json_object *n = json_object_array_get_idx(nhs, i);
		struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
		struct nl_addr *gw = parse_addr(n, "gateway", family);

		if (!nh)
			goto out;
		rtnl_route_nh_set_ifindex(nh, ifindex);
		if (gw)
			rtnl_route_nh_set_gateway(nh, gw);
		rtnl_route_nh_set_flags(nh, (unsigned int)get_int(n, "flags"));
		if (json_object_array_length(nhs) > 1)
			rtnl_route_nh_set_weight(nh, (uint8_t)get_int(n, "weight"));
		rtnl_route_add_nexthop(r, nh);
		nl_addr_put(gw);
	}
	ret = rtnl_route_add(sk, r, 0);
	if (ret == -NLE_EXIST)
		ret = 0;
out:
	rtnl_route_put(r);
	nl_addr_put(dst);
	nl_addr_put(src);
	return ret;
}

/* Whether address @a is one of the end's. */
static bool addr_listed(struct rtnl_addr *a, struct json_object *addrs)
{
	char buf[128];

	nl_addr2str(rtnl_addr_get_local(a), buf, sizeof(buf));
	for (size_t i = 0; i < json_object_array_length(addrs); i++) {
		const char *s = get_str(json_object_array_get_idx(addrs, i), "local");

		if (s && !strcmp(s, buf))
			return true;
	}
	return false;
}

/* Remove the addresses of @ifindex that the end does not have. */
static void addrs_prune(struct nl_sock *sk, int ifindex, struct json_object *addrs)
{
	struct nl_cache *cache;
	struct nl_object *obj;

	if (rtnl_addr_alloc_cache(sk, &cache))
		return;
	for (obj = nl_cache_get_first(cache); obj; obj = nl_cache_get_next(obj)) {
		struct rtnl_addr *a = (struct rtnl_addr *)obj;

		if (rtnl_addr_get_ifindex(a) == ifindex && !addr_listed(a, addrs))
			rtnl_addr_delete(sk, a, 0);
	}
	nl_cache_free(cache);
}

/*
 * end_write() - give interface @ifname (in the namespace of @sk) the
 * configuration @end
 *
 * Return: 0, or a negative libnl error (what was done stays done)
 */
int end_write(struct nl_sock *sk, const char *ifname, struct json_object *end)
{
	struct rtnl_link *link = NULL, *change = rtnl_link_alloc();
	struct json_object *addrs, *routes;
	struct nl_addr *mac = NULL;
	bool up = json_object_get_boolean(json_object_object_get(end, "up"));
	int ret, ifindex;
	const char *what = "link";

	ret = rtnl_link_get_kernel(sk, 0, ifname, &link);
	if (ret || !change)
		goto out;
	ifindex = rtnl_link_get_ifindex(link);
	if (get_str(end, "mac") && !nl_addr_parse(get_str(end, "mac"), AF_LLC, &mac))
		rtnl_link_set_addr(change, mac);
	rtnl_link_set_mtu(change, (unsigned int)get_int(end, "mtu"));
	ret = rtnl_link_change(sk, link, change, 0);
	if (ret)
		goto out;

	what = "addresses";
	json_object_object_get_ex(end, "addrs", &addrs);
	for (size_t i = 0; !ret && i < json_object_array_length(addrs); i++)
		ret = addr_add(sk, ifindex, json_object_array_get_idx(addrs, i));
	if (ret)
		goto out;
	if (!json_object_get_boolean(json_object_object_get(end, "keep_own")))
		addrs_prune(sk, ifindex, addrs);

	what = "state";
	rtnl_link_put(change);
	change = rtnl_link_alloc();
	if (up)
		rtnl_link_set_flags(change, IFF_UP);
	else
		rtnl_link_unset_flags(change, IFF_UP);
	ret = rtnl_link_change(sk, link, change, 0);
	if (ret || !up)
		goto out;

	what = "routes";
	json_object_object_get_ex(end, "routes", &routes);
	for (size_t i = 0; !ret && i < json_object_array_length(routes); i++)
		ret = route_add(sk, ifindex, json_object_array_get_idx(routes, i));
out:
	if (ret)
		err("%s: cannot set its %s: %s", ifname, what, nl_geterror(ret));
	nl_addr_put(mac);
	rtnl_link_put(change);
	rtnl_link_put(link);
	return ret;
}

/*
 * veth_create() - the veth pair @a (in the namespace of @sk_a) and @b (in
 * namespace @nsfd_b, or beside @a when @nsfd_b is -1), configured as the
 * ends were
 */
int veth_create(struct nl_sock *sk_a, struct nl_sock *sk_b, int nsfd_b,
		struct json_object *a, struct json_object *b)
{
	struct rtnl_link *link = rtnl_link_veth_alloc(), *peer;
	const char *name_a = get_str(a, "ifname"), *name_b = get_str(b, "ifname");
	int ret;

	if (!link)
		return -NLE_NOMEM;
	peer = rtnl_link_veth_get_peer(link);
	rtnl_link_set_name(link, name_a);
	rtnl_link_set_name(peer, name_b);
	if (nsfd_b >= 0)
		rtnl_link_set_ns_fd(peer, nsfd_b);
	ret = rtnl_link_add(sk_a, link, NLM_F_CREATE | NLM_F_EXCL);
	rtnl_link_put(peer);
	rtnl_link_veth_release(link);
	if (ret) {
		err("cannot create the veth %s/%s: %s", name_a, name_b,
		    nl_geterror(ret));
		return ret;
	}
	ret = end_write(sk_a, name_a, a);
	if (!ret)
		ret = end_write(sk_b, name_b, b);
	return ret;
}

int link_delete(struct nl_sock *sk, const char *ifname)
{
	struct rtnl_link *link = rtnl_link_alloc();
	int ret;

	if (!link)
		return -NLE_NOMEM;
	rtnl_link_set_name(link, ifname);
	ret = rtnl_link_delete(sk, link);
	rtnl_link_put(link);
	return ret;
}

/* Whether the address @a (without prefix) is the local address of one of
 * @addrs. */
static bool addr_taken(struct nl_addr *a, struct json_object *addrs)
{
	bool taken = false;

	for (size_t i = 0; !taken && i < json_object_array_length(addrs); i++) {
		struct json_object *o = json_object_array_get_idx(addrs, i);
		struct nl_addr *b = parse_addr(o, "local", get_int(o, "family"));

		taken = b && nl_addr_get_family(b) == nl_addr_get_family(a) &&
			!memcmp(nl_addr_get_binary_addr(a), nl_addr_get_binary_addr(b),
				nl_addr_get_len(a));
		nl_addr_put(b);
	}
	return taken;
}

/*
 * addr_spare() - an address of the subnet of @addr that neither end has
 * @addr:	an address of end A, as the record keeps it ("local", "family")
 * @a:	end A's addresses
 * @b:	end B's addresses
 * @out:	the spare address with the prefix length, as text
 *
 * The highest host addresses are tried first (the broadcast address of an
 * IPv4 subnet excepted): a veth link has only its two ends on it, so any
 * address that neither has is free.
 *
 * Return: 0, or -1 when the subnet has no room (a /31, /32 or /127)
 */
int addr_spare(struct json_object *addr, struct json_object *a,
	       struct json_object *b, char *out, size_t size)
{
	int family = get_int(addr, "family");
	struct nl_addr *local = parse_addr(addr, "local", family);
	unsigned int plen, bits = family == AF_INET ? 32 : 128, len;
	uint32_t last, host;
	unsigned char *bin;
	int ret = -1;

	if (!local)
		return -1;
	plen = nl_addr_get_prefixlen(local);
	bin = nl_addr_get_binary_addr(local);
	len = nl_addr_get_len(local);
	if (plen + 2 > bits || len < 4) {
		nl_addr_put(local);
		return -1;
	}
	/* the last 32 bits, with the host part all ones */
	host = bits - plen >= 32 ? 0xffffffffU : (1U << (bits - plen)) - 1;
	memcpy(&last, bin + len - 4, 4);
	last = ntohl(last) | host;
	for (uint32_t k = family == AF_INET ? 1 : 0; k < 64 && k < host; k++) {
		uint32_t cand = htonl(last - k);

		memcpy(bin + len - 4, &cand, 4);
		if (!addr_taken(local, json_object_object_get(a, "addrs")) &&
		    !addr_taken(local, json_object_object_get(b, "addrs"))) {
			nl_addr2str(local, out, size);
			ret = 0;
			break;
		}
	}
	nl_addr_put(local);
	return ret;
}

/* A permanent neighbour entry: @ip (text, a prefix length is ignored)
 * is at @mac on @ifname. */
int neigh_add(struct nl_sock *sk, const char *ifname, const char *ip,
	      struct nl_addr *mac)
{
	struct rtnl_neigh *n = rtnl_neigh_alloc();
	struct rtnl_link *link = NULL;
	struct nl_addr *dst = NULL;
	int ret;

	ret = rtnl_link_get_kernel(sk, 0, ifname, &link);
	if (!ret)
		ret = nl_addr_parse(ip, AF_UNSPEC, &dst);
	if (!ret && n) {
		nl_addr_set_prefixlen(dst, nl_addr_get_len(dst) * 8);
		rtnl_neigh_set_ifindex(n, rtnl_link_get_ifindex(link));
		rtnl_neigh_set_family(n, nl_addr_get_family(dst));
		rtnl_neigh_set_dst(n, dst);
		rtnl_neigh_set_lladdr(n, mac);
		rtnl_neigh_set_state(n, NUD_PERMANENT);
		ret = rtnl_neigh_add(sk, n, NLM_F_CREATE | NLM_F_REPLACE);
	}
	if (ret)
		err("%s: cannot add the neighbour %s: %s", ifname, ip, nl_geterror(ret));
	rtnl_neigh_put(n);
	rtnl_link_put(link);
	nl_addr_put(dst);
	return ret;
}

/* The MAC address of @ifname, a new reference, or NULL. */
struct nl_addr *link_mac(struct nl_sock *sk, const char *ifname)
{
	struct rtnl_link *link = NULL;
	struct nl_addr *mac = NULL;

	if (!rtnl_link_get_kernel(sk, 0, ifname, &link))
		mac = nl_addr_clone(rtnl_link_get_addr(link));
	rtnl_link_put(link);
	return mac;
}

/*
 * ns_create() - a new network namespace, named @name in /run/netns as
 * ip-netns(8) names them, with its loopback up
 */
int ns_create(const char *name)
{
	char path[PATH_MAX];
	struct rtnl_link *lo = NULL, *up;
	struct nl_sock *sk;
	int fd, status;
	pid_t pid;

	if (mkdir("/run/netns", 0755) && errno != EEXIST)
		return -errno;
	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
	if (fd < 0)
		return -errno;
	close(fd);
	pid = fork();
	if (pid == 0)
		_exit(unshare(CLONE_NEWNET) ||
		      mount("/proc/self/ns/net", path, "none", MS_BIND, NULL));
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || status) {
		unlink(path);
		return -EPERM;
	}
	fd = ns_open(name);
	sk = fd >= 0 ? ns_socket(fd) : NULL;
	up = rtnl_link_alloc();
	if (sk && up && !rtnl_link_get_kernel(sk, 0, "lo", &lo)) {
		rtnl_link_set_flags(up, IFF_UP);
		rtnl_link_change(sk, lo, up, 0);
	}
	rtnl_link_put(lo);
	rtnl_link_put(up);
	if (sk)
		nl_socket_free(sk);
	if (fd >= 0)
		close(fd);
	return 0;
}

void ns_delete(const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	umount2(path, MNT_DETACH);
	if (unlink(path))
		warn_perror(errno, "cannot remove %s", path);
}
