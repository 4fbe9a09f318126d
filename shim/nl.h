/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * nl.h - network namespaces, and the configuration of a link's ends,
 * through libnl-3
 */
#ifndef HK_SHIM_NL_H
#define HK_SHIM_NL_H

#include <stddef.h>

struct json_object;
struct nl_addr;
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
int addr_spare(struct json_object *addr, struct json_object *a,
	       struct json_object *b, char *out, size_t size);
int neigh_add(struct nl_sock *sk, const char *ifname, const char *ip,
	      struct nl_addr *mac);
struct nl_addr *link_mac(struct nl_sock *sk, const char *ifname);
int ns_create(const char *name);
void ns_delete(const char *name);

#endif /* HK_SHIM_NL_H */
