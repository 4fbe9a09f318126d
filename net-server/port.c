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
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "port.h"

const char *const drop_names[DROP_NREASONS] = {
	"malformed", "oversized", "loop", "tx_full", "tx_error",
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
	p->fd = -1;
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

/**
 * port_open() - attach to or create the TAP of @p, and bring it up
 * @p:	a parsed port
 * @mtu:	MTU to set, or 0 to keep the device's
 * @offload:	ask for checksum and TSO offloads
 *
 * Return: 0, or -errno with the reason logged
 */
int port_open(struct port *p, unsigned int mtu, bool offload)
{
	struct ifreq ifr = { 0 };
	unsigned int features = 0;
	int back, ret, exists;

	ret = port_enter(p->ns, &back);
	if (ret) {
		err_perror(-ret, "--port %s: cannot enter network namespace %s", p->spec, p->ns);
		port_leave(back);
		return ret;
	}
	exists = if_nametoindex(p->ifname) != 0;
	p->fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (p->fd < 0) {
		ret = -errno;
		err_perror(-ret, "--port %s: /dev/net/tun", p->spec);
		goto out;
	}
	if (!ioctl(p->fd, TUNGETFEATURES, &features) && !(features & IFF_VNET_HDR)) {
		ret = -EOPNOTSUPP;
		err("--port %s: this kernel's TAP has no IFF_VNET_HDR", p->spec);
		goto out;
	}
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", p->ifname);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	if (ioctl(p->fd, TUNSETIFF, &ifr)) {
		ret = -errno;
		if (exists)
			err_perror(-ret, "--port %s: %s exists but is not a TAP this server can attach to (a single-queue TAP)",
				   p->spec, p->ifname);
		else
			err_perror(-ret, "--port %s: cannot create TAP %s", p->spec, p->ifname);
		goto out;
	}
	p->created = !exists;
	p->offload = offload;
	if (offload && ioctl(p->fd, TUNSETOFFLOAD,
			     TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN)) {
		ret = -errno;
		err_perror(-ret, "--port %s: TUNSETOFFLOAD", p->spec);
		goto out;
	}
	ret = port_configure(p, mtu);
	if (ret)
		err_perror(-ret, "--port %s: cannot set MTU %u and bring %s up", p->spec, mtu, p->ifname);
out:
	port_leave(back);
	if (ret && p->fd >= 0) {
		close(p->fd);
		p->fd = -1;
	}
	return ret;
}

/* Close the TAP; one we created disappears with it. */
void port_close(struct port *p)
{
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
}
