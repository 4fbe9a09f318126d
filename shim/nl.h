/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * nl.h - network namespaces, and the configuration of a link's ends,
 * through libnl-3
 */
#ifndef HK_SHIM_NL_H
#define HK_SHIM_NL_H

struct json_object;
struct nl_sock;
struct rtnl_link;

int ns_open(const char *name);
struct nl_sock *ns_socket(int nsfd);
int ns_id_of(struct nl_sock *sk, int nsfd);
struct json_object *end_read(struct nl_sock *sk, const char *ns,
			     struct rtnl_link *link);
int end_write(struct nl_sock *sk, const char *ifname, struct json_object *end);
int veth_create(struct nl_sock *sk_a, struct nl_sock *sk_b, int nsfd_b,
		struct json_object *a, struct json_object *b);
int link_delete(struct nl_sock *sk, const char *ifname);

#endif /* HK_SHIM_NL_H */
