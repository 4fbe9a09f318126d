// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * port.c - open a TAP device in a network namespace
 *
 * A port is named [NS/]IFNAME.  The TAP is opened from inside NS (entered
 * with setns for the few calls that need it, then left): an existing TAP
 * is attached, a missing one is created and goes away when the server
 * closes it (it is never made persistent).  Every port carries the
 * virtio-net header, so that with offloads on a TCP super-frame of up to
 * 64 KiB crosses user space in one read and one write.
 *
 * With more than one queue the TAP is made (or must already be) a
 * multi-queue one, and each queue is a descriptor of its own: the kernel
 * spreads flows over them, and one worker thread serves queue q of every
 * port.  A netlink socket opened in the port's namespace reads the TAP's
 * tx_dropped later on: the frames the kernel dropped before the server
 * could read them (the in-kernel filter's, and those of a full queue).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "port.h"

const char *const rx_drop_names[RX_NREASONS] = {
	"malformed", "oversized", "loop", "filter",
};

const char *const tx_drop_names[TX_NREASONS] = {
	"filter", "full", "error", "oversized", "gso",
};

/**
 * port_parse() - split "[NS/]IFNAME" into @p
 * @p:	the port, zeroed by the caller
 * @spec:	the argument of --port
 *
 * Return: 0, or -EINVAL with the reason logged
 */
int port_parse(struct port *p, const char *spec)
{
	const char *slash = strrchr(spec, '/');
	const char *name = slash ? slash + 1 : spec;
	size_t nslen = slash ? (size_t)(slash - spec) : 0;

	snprintf(p->spec, sizeof(p->spec), "%s", spec);
	if (!*name || strlen(name) >= IFNAMSIZ || strchr(name, ' ')) {
		err("--port %s: IFNAME must be 1 to %d characters", spec, IFNAMSIZ - 1);
		return -EINVAL;
	}
	if (slash && (nslen == 0 || nslen >= sizeof(p->ns) || memchr(spec, '/', nslen))) {
		err("--port %s: NS must be the name of a namespace in /run/netns", spec);
		return -EINVAL;
	}
	memcpy(p->ns, spec, nslen);
	p->ns[nslen] = '\0';
	snprintf(p->ifname, sizeof(p->ifname), "%s", name);
	for (int q = 0; q < MAX_QUEUES; q++)
		p->fd[q] = -1;
	return 0;
}

/* Enter namespace @ns; *@back is where to return.  0 or -errno. */
static int port_enter(const char *ns, int *back)
{
	char path[300];
	int fd, ret = 0;

	*back = -1;
	if (!*ns)
		return 0;
	snprintf(path, sizeof(path), "/run/netns/%s", ns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	*back = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (*back < 0 || setns(fd, CLONE_NEWNET))
		ret = -errno;
	close(fd);
	return ret;
}

static void port_leave(int back)
{
	if (back < 0)
		return;
	if (setns(back, CLONE_NEWNET))
		err_perror(errno, "cannot return to the original network namespace");
	close(back);
}

/* MTU, txqueuelen and up, through an ioctl socket of the current ns. */
static int port_configure(struct port *p, unsigned int mtu)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr = { 0 };
	int ret = 0;

	if (s < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", p->ifname);
	if (mtu) {
		ifr.ifr_mtu = (int)mtu;
		if (ioctl(s, SIOCSIFMTU, &ifr))
			ret = -errno;
	}
	if (!ret && !ioctl(s, SIOCGIFMTU, &ifr))
		p->mtu = (unsigned int)ifr.ifr_mtu;
	/* the default of 1000 starves a TAP at line rate */
	ifr.ifr_qlen = 10000;
	if (!ret && p->created && ioctl(s, SIOCSIFTXQLEN, &ifr))
		ret = -errno;
	if (!ret && !ioctl(s, SIOCGIFFLAGS, &ifr) && !(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(s, SIOCSIFFLAGS, &ifr))
			ret = -errno;
	}
	close(s);
	return ret;
}

/* Queue @q of the TAP: attached or created.  0 or -errno, logged. */
static int port_open_queue(struct port *p, unsigned int q, bool exists)
{
	struct ifreq ifr = { 0 };
	unsigned int features = 0;
	int fd, ret;

	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		err_perror(-ret, "--port %s: /dev/net/tun", p->spec);
		return ret;
	}
	p->fd[q] = fd;
	if (!ioctl(fd, TUNGETFEATURES, &features) && !(features & IFF_VNET_HDR)) {
		err("--port %s: this kernel's TAP has no IFF_VNET_HDR", p->spec);
		return -EOPNOTSUPP;
	}
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", p->ifname);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	if (p->queues > 1)
		ifr.ifr_flags |= IFF_MULTI_QUEUE;
	if (ioctl(fd, TUNSETIFF, &ifr)) {
		ret = -errno;
		if (exists)
			err_perror(-ret, "--port %s: %s exists but is not a TAP this server can attach to (a %s TAP)",
				   p->spec, p->ifname, p->queues > 1 ? "multi-queue" : "single-queue");
		else
			err_perror(-ret, "--port %s: cannot create TAP %s", p->spec, p->ifname);
		return ret;
	}
	if (p->no_offload)
		return 0;
	/* UDP segmentation offload where the kernel has it (6.2) */
	p->offloads = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN | TUN_F_USO4 | TUN_F_USO6;
	if (ioctl(fd, TUNSETOFFLOAD, p->offloads)) {
		p->offloads &= ~(unsigned int)(TUN_F_USO4 | TUN_F_USO6);
		if (ioctl(fd, TUNSETOFFLOAD, p->offloads)) {
			ret = -errno;
			p->offloads = 0;
			err_perror(-ret, "--port %s: TUNSETOFFLOAD", p->spec);
			return ret;
		}
	}
	return 0;
}

/* The rtnetlink socket of the port's namespace, and tx_dropped now. */
static void port_netlink(struct port *p)
{
	p->nl = nl_socket_alloc();
	if (p->nl && nl_connect(p->nl, NETLINK_ROUTE)) {
		nl_socket_free(p->nl);
		p->nl = NULL;
	}
	if (!p->nl || port_kernel_dropped(p, &p->kernel_dropped0))
		warn("--port %s: no rtnetlink: the kernel's drops will not be reported", p->spec);
}

/**
 * port_kernel_dropped() - frames the kernel dropped on their way to us
 * @p:		an open port
 * @dropped:	the TAP's tx_dropped since the port was opened
 *
 * Return: 0, or a negative libnl error
 */
int port_kernel_dropped(struct port *p, uint64_t *dropped)
{
	struct rtnl_link *link;
	int ret;

	if (!p->nl)
		return -NLE_BAD_SOCK;
	ret = rtnl_link_get_kernel(p->nl, p->ifindex, NULL, &link);
	if (ret)
		return ret;
	*dropped = rtnl_link_get_stat(link, RTNL_LINK_TX_DROPPED) - p->kernel_dropped0;
	rtnl_link_put(link);
	return 0;
}

/**
 * port_open() - attach to or create the TAP of @p, and bring it up
 * @p:		a parsed port (p->no_offload as asked)
 * @mtu:	MTU to set, or 0 to keep the device's
 * @queues:	queues to open, 1 to MAX_QUEUES; more than one needs a
 *		multi-queue TAP
 *
 * Return: 0, or -errno with the reason logged
 */
int port_open(struct port *p, unsigned int mtu, unsigned int queues)
{
	int back, ret, exists;

	ret = port_enter(p->ns, &back);
	if (ret) {
		err_perror(-ret, "--port %s: cannot enter network namespace %s", p->spec, p->ns);
		port_leave(back);
		return ret;
	}
	exists = if_nametoindex(p->ifname) != 0;
	p->queues = queues;
	for (unsigned int q = 0; q < queues && !ret; q++) {
		ret = port_open_queue(p, q, exists);
		if (!q && !ret)
			p->created = !exists;
	}
	if (!ret) {
		ret = port_configure(p, mtu);
		if (ret)
			err_perror(-ret, "--port %s: cannot set MTU %u and bring %s up",
				   p->spec, mtu, p->ifname);
	}
	if (!ret) {
		p->ifindex = (int)if_nametoindex(p->ifname);
		port_netlink(p);
	}
	port_leave(back);
	if (ret)
		port_close(p);
	return ret;
}

/* Close the TAP; one we created disappears with its last queue. */
void port_close(struct port *p)
{
	for (int q = 0; q < MAX_QUEUES; q++) {
		if (p->fd[q] >= 0)
			close(p->fd[q]);
		p->fd[q] = -1;
	}
	if (p->nl)
		nl_socket_free(p->nl);
	p->nl = NULL;
}
