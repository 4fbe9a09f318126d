// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tapfloor.c - the least a user-space server can do to carry a network
 * path between two TAP ports, for bench/net's "floor" path, so that a run
 * shows where user space itself stops a packet server on this machine,
 * whatever the server does.
 *
 *   tapfloor NS_A/IFNAME NS_B/IFNAME
 *
 * It makes TAP IFNAME in each named network namespace (/run/netns/NS),
 * set up as hk-net-server sets up the ports it makes: a virtio-net header
 * on every frame, the same offloads (checksum, TSO4/6 with ECN, USO where
 * the kernel has it), txqueuelen 10,000, up.  Then one thread waits on
 * both, drains each ready port to EAGAIN and writes every frame, header
 * and all, to the other port: one read and one write per frame, and
 * nothing else: no switch, no filter, no counters, no checks.  Both
 * ports take the same offloads, so a super-frame never needs cutting.
 * SIGTERM or SIGINT ends it, and the TAPs go with it.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef TUN_F_USO4
#define TUN_F_USO4	0x20
#define TUN_F_USO6	0x40
#endif

#define FRAME_MAX	(65536 + 64)

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/*
 * TAP IFNAME made in namespace NS of "NS/IFNAME": its fd; or, said, -2
 * where the spec or the namespace is wrong, -1 where the TAP failed.
 */
static int tap_open(const char *spec)
{
	unsigned int off = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN |
			   TUN_F_USO4 | TUN_F_USO6;
	const char *slash = strchr(spec, '/');
	struct ifreq ifr = { 0 };
	char nspath[4096];
	int ns, fd, s;

	if (!slash || slash == spec || !slash[1] || strlen(slash + 1) >= IFNAMSIZ) {
		fprintf(stderr, "tapfloor: '%s': give NS/IFNAME\n", spec);
		return -2;
	}
	snprintf(nspath, sizeof(nspath), "/run/netns/%.*s", (int)(slash - spec), spec);
	ns = open(nspath, O_RDONLY | O_CLOEXEC);
	if (ns < 0 || setns(ns, CLONE_NEWNET)) {
		fprintf(stderr, "tapfloor: %s: %s\n", nspath, strerror(errno));
		if (ns >= 0)
			close(ns);
		return -2;
	}
	close(ns);
	/* the TAP is made in the namespace /dev/net/tun is opened in */
	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", slash + 1);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	if (fd < 0 || ioctl(fd, TUNSETIFF, &ifr) ||
	    (ioctl(fd, TUNSETOFFLOAD, off) &&
	     ioctl(fd, TUNSETOFFLOAD, off & ~(unsigned int)(TUN_F_USO4 | TUN_F_USO6)))) {
		fprintf(stderr, "tapfloor: TAP %s: %s\n", spec, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ifr.ifr_qlen = 10000;
	if (s < 0 || ioctl(s, SIOCSIFTXQLEN, &ifr) || ioctl(s, SIOCGIFFLAGS, &ifr) ||
	    (ifr.ifr_flags |= IFF_UP, ioctl(s, SIOCSIFFLAGS, &ifr))) {
		fprintf(stderr, "tapfloor: setting up %s: %s\n", spec, strerror(errno));
		if (s >= 0)
			close(s);
		close(fd);
		return -1;
	}
	close(s);
	return fd;
}

int main(int argc, char **argv)
{
	static char buf[FRAME_MAX];
	struct sigaction sa = { .sa_handler = on_signal };
	struct pollfd pfd[2];
	unsigned long dropped = 0;

	if (argc != 3) {
		fprintf(stderr, "usage: tapfloor NS_A/IFNAME NS_B/IFNAME\n");
		return 2;
	}
	for (int i = 0; i < 2; i++) {
		pfd[i].fd = tap_open(argv[1 + i]);
		pfd[i].events = POLLIN;
		if (pfd[i].fd < 0)
			return pfd[i].fd == -2 ? 2 : 1;
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	while (!stop) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			perror("tapfloor: poll");
			return 1;
		}
		for (int i = 0; i < 2; i++) {
			ssize_t n;

			if (!pfd[i].revents)
				continue;
			/* a frame the other port refuses is dropped, as a
			 * switch drops it */
			while ((n = read(pfd[i].fd, buf, sizeof(buf))) > 0)
				dropped += write(pfd[!i].fd, buf, (size_t)n) < 0;
			if (errno != EAGAIN && errno != EINTR) {
				fprintf(stderr, "tapfloor: %s: %s\n", argv[1 + i], strerror(errno));
				return 1;
			}
		}
	}
	if (dropped)
		fprintf(stderr, "tapfloor: %lu frames dropped\n", dropped);
	return 0;
}
