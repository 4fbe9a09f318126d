// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hk-net-server - carry Ethernet frames between TAP ports in user space
 *
 * A learning L2 switch: frames read from one port are written to the
 * port their destination was last seen on, or to every other port for
 * broadcast, multicast and unknown destinations.  One thread, epoll over
 * the ports, each ready port drained to EAGAIN (in batches, so that one
 * busy port cannot starve the others), one preallocated buffer: a frame
 * is read once and written once (once per port when flooded), never
 * copied between.  The virtio-net header travels with the frame, so with
 * offloads on the kernel hands over TCP super-frames whole and checksums
 * are left to whoever receives them.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <linux/virtio_net.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "args.h"
#include "clock.h"
#include "hist.h"
#include "log.h"
#include "port.h"
#include "switch.h"

#define MAX_PORTS	64
#define VNET_HDR	sizeof(struct virtio_net_hdr)
#define ETH_HDR		14
#define FRAME_MAX	(VNET_HDR + 65550)	/* a 64 KiB super-frame and headers */
#define BATCH		64			/* frames per port per wake-up */

struct server {
	struct port port[MAX_PORTS];
	int nports;
	struct mac_table macs;
	struct hist frame_ns;		/* read to last write, per frame */
	const char *stats_path;
	uint64_t start_ns;
	int epfd;
	unsigned char *buf;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: hk-net-server --port [NS/]IFNAME --port [NS/]IFNAME... [OPTIONS]\n"
		"\n"
		"Carry Ethernet frames between TAP ports, as a learning switch.\n"
		"\n"
		"  --port [NS/]IFNAME  a TAP port: attached if IFNAME exists in namespace NS\n"
		"                      (or ours), created otherwise; two or more\n"
		"  --mtu N             set every port's MTU (68..65520)\n"
		"  --no-offload        no checksum or TSO offload: the kernel sends\n"
		"                      frames of at most the MTU, checksummed\n"
		"  --ageing SECONDS    forget a MAC address unseen this long (300)\n"
		"  --stats PATH        write counters as JSON to PATH every second\n"
		"  --daemon            go to the background once the ports are open\n"
		"  --ready-fd N        write a newline to descriptor N and close it once\n"
		"                      the ports are open and served\n"
		"  -v, --verbose       log more\n"
		"  -h, --help          this help\n"
		"\n"
		"SIGUSR1 logs the counters; SIGTERM and SIGINT end the server, and the\n"
		"TAP devices it created go with it.  See hk-net-server(1).\n");
}

static struct json_object *stats_json(struct server *s)
{
	struct json_object *root = json_object_new_object();
	struct json_object *ports = json_object_new_array();

	json_object_object_add(root, "uptime_ns", json_object_new_uint64(clock_ns() - s->start_ns));
	json_object_object_add(root, "mac_entries", json_object_new_uint64(s->macs.used));
	for (int i = 0; i < s->nports; i++) {
		struct port *p = &s->port[i];
		struct json_object *o = json_object_new_object();
		struct json_object *d = json_object_new_object();

		json_object_object_add(o, "port", json_object_new_string(p->spec));
		json_object_object_add(o, "created", json_object_new_boolean(p->created));
		json_object_object_add(o, "offload", json_object_new_boolean(p->offload));
		json_object_object_add(o, "gone", json_object_new_boolean(p->gone));
		json_object_object_add(o, "mtu", json_object_new_uint64(p->mtu));
		json_object_object_add(o, "rx_frames", json_object_new_uint64(p->st.rx_frames));
		json_object_object_add(o, "rx_bytes", json_object_new_uint64(p->st.rx_bytes));
		json_object_object_add(o, "tx_frames", json_object_new_uint64(p->st.tx_frames));
		json_object_object_add(o, "tx_bytes", json_object_new_uint64(p->st.tx_bytes));
		for (int r = 0; r < DROP_NREASONS; r++)
			json_object_object_add(d, drop_names[r], json_object_new_uint64(p->st.drops[r]));
		json_object_object_add(o, "rx_drops", d);
		json_object_array_add(ports, o);
	}
	json_object_object_add(root, "ports", ports);
	json_object_object_add(root, "histogram", json_object_new_string(HIST_NOTE));
	json_object_object_add(root, "frame_ns", hist_json(&s->frame_ns));
	return root;
}

static void stats_write(struct server *s, bool to_log)
{
	struct json_object *root;

	if (!s->stats_path && !to_log)
		return;
	root = stats_json(s);
	stats_publish(root, s->stats_path, to_log);
	json_object_put(root);
}

/* The port vanished (deleted, namespace gone): stop reading it. */
static void port_lost(struct server *s, struct port *p, int e)
{
	if (p->gone)
		return;
	p->gone = true;
	epoll_ctl(s->epfd, EPOLL_CTL_DEL, p->fd, NULL);
	warn_perror(e, "port %s is gone; serving the other ports", p->spec);
}

static void send_to(struct server *s, struct port *in, struct port *out, size_t len)
{
	ssize_t n;

	if (out->gone)
		return;
	n = write(out->fd, s->buf, len);
	if (n == (ssize_t)len) {
		out->st.tx_frames++;
		out->st.tx_bytes += len - VNET_HDR;
		return;
	}
	if (n < 0 && errno == EAGAIN) {
		in->st.drops[DROP_TX_FULL]++;
		return;
	}
	in->st.drops[DROP_TX_ERROR]++;
	if (n < 0 && (errno == EBADFD || errno == EIO || errno == ENODEV))
		port_lost(s, out, errno);
}

/* One frame of @len bytes (virtio-net header first) from @in. */
static void forward(struct server *s, struct port *in, size_t len)
{
	const unsigned char *eth = s->buf + VNET_HDR;
	uint64_t now = clock_ns();
	int to;

	in->st.rx_frames++;
	in->st.rx_bytes += len - VNET_HDR;
	if (len < VNET_HDR + ETH_HDR) {
		in->st.drops[DROP_MALFORMED]++;
		return;
	}
	if (!(eth[6] & 1))
		switch_learn(&s->macs, eth + 6, in->index, now);
	to = switch_lookup(&s->macs, eth, now);
	if (to == in->index) {
		in->st.drops[DROP_LOOP]++;
	} else if (to != SWITCH_FLOOD) {
		send_to(s, in, &s->port[to], len);
	} else {
		for (int i = 0; i < s->nports; i++) {
			if (i != in->index)
				send_to(s, in, &s->port[i], len);
		}
	}
	hist_add(&s->frame_ns, clock_ns() - now);
}

/* Read up to BATCH frames from @p; true when it has more. */
static bool drain(struct server *s, struct port *p)
{
	for (int k = 0; k < BATCH; k++) {
		ssize_t n = read(p->fd, s->buf, FRAME_MAX);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return false;
			port_lost(s, p, errno);
			return false;
		}
		forward(s, p, (size_t)n);
	}
	return true;
}

static int run(struct server *s, int sigfd, int timerfd)
{
	struct epoll_event ev[MAX_PORTS + 2];
	bool more[MAX_PORTS] = { false };

	for (;;) {
		bool pending = false;
		int n;

		for (int i = 0; i < s->nports; i++)
			pending |= more[i];
		/* ports left with frames are served again before sleeping */
		n = epoll_wait(s->epfd, ev, MAX_PORTS + 2, pending ? 0 : -1);
		if (n < 0 && errno != EINTR) {
			err_perror(errno, "epoll_wait");
			return EXIT_FAILURE;
		}
		for (int i = 0; i < n; i++) {
			int tag = (int)ev[i].data.u32;

			if (tag < MAX_PORTS) {
				more[tag] = true;
			} else if (tag == MAX_PORTS) {
				struct signalfd_siginfo si;

				if (read(sigfd, &si, sizeof(si)) != sizeof(si))
					continue;
				if (si.ssi_signo == SIGUSR1) {
					stats_write(s, true);
				} else {
					info("signal %d: stopping", (int)si.ssi_signo);
					return EXIT_SUCCESS;
				}
			} else {
				uint64_t ticks;

				if (read(timerfd, &ticks, sizeof(ticks)) == sizeof(ticks))
					stats_write(s, false);
			}
		}
		for (int i = 0; i < s->nports; i++) {
			if (more[i])
				more[i] = !s->port[i].gone && drain(s, &s->port[i]);
		}
	}
}

static int watch_fd(int epfd, int fd, uint32_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = tag };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

static int daemonize(void)
{
	pid_t pid = fork();
	int null;

	if (pid < 0)
		return -errno;
	if (pid > 0)
		_exit(EXIT_SUCCESS);
	setsid();
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		close(null);
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "mtu", required_argument, NULL, 'm' },
		{ "no-offload", no_argument, NULL, 'O' },
		{ "ageing", required_argument, NULL, 'a' },
		{ "stats", required_argument, NULL, 's' },
		{ "daemon", no_argument, NULL, 'D' },
		{ "ready-fd", required_argument, NULL, 'R' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct server s;
	unsigned long mtu = 0, ageing = 300;
	bool offload = true, daemon = false;
	enum log_level level = LOG_LEVEL_INFO;
	int c, ret = EXIT_FAILURE, sigfd = -1, timerfd = -1, ready_fd = -1;
	sigset_t sigs;

	log_init("hk-net-server", LOG_LEVEL_INFO);
	while ((c = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (s.nports == MAX_PORTS) {
				err("at most %d ports", MAX_PORTS);
				return 2;
			}
			if (port_parse(&s.port[s.nports], optarg))
				return 2;
			s.port[s.nports].index = s.nports;
			s.nports++;
			break;
		case 'm':
			if (!args_ulong(optarg, 68, 65520, &mtu)) {
				err("--mtu %s: the MTU must be a number from 68 to 65520", optarg);
				return 2;
			}
			break;
		case 'O':
			offload = false;
			break;
		case 'a':
			if (!args_ulong(optarg, 1, 1000000, &ageing)) {
				err("--ageing %s: give seconds, from 1 to 1000000", optarg);
				return 2;
			}
			break;
		case 's':
			s.stats_path = optarg;
			break;
		case 'D':
			daemon = true;
			break;
		case 'R':
			if (!args_fd(optarg, &ready_fd)) {
				err("--ready-fd: '%s' is not an open file descriptor", optarg);
				return 2;
			}
			fcntl(ready_fd, F_SETFD, FD_CLOEXEC);
			break;
		case 'v':
			level = LOG_LEVEL_DEBUG;
			break;
		case 'h':
			usage(stdout);
			return EXIT_SUCCESS;
		default:
			usage(stderr);
			return 2;
		}
	}
	log_init("hk-net-server", level);
	if (optind < argc) {
		err("unexpected argument '%s': ports are given with --port", argv[optind]);
		return 2;
	}
	if (s.nports < 2) {
		err("give two or more --port [NS/]IFNAME");
		return 2;
	}
	for (int i = 0; i < s.nports; i++) {
		for (int j = 0; j < i; j++) {
			if (!strcmp(s.port[i].ns, s.port[j].ns) &&
			    !strcmp(s.port[i].ifname, s.port[j].ifname)) {
				err("--port %s is given twice", s.port[i].spec);
				return 2;
			}
		}
	}

	s.buf = malloc(FRAME_MAX);
	s.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (!s.buf || s.epfd < 0) {
		err_perror(errno, "cannot start");
		return EXIT_FAILURE;
	}
	switch_init(&s.macs, ageing * 1000000000ULL);
	for (int i = 0; i < s.nports; i++) {
		if (port_open(&s.port[i], (unsigned int)mtu, offload)) {
			ret = 2;	/* a bad port is bad input: nothing stays */
			goto out;
		}
		if (watch_fd(s.epfd, s.port[i].fd, (uint32_t)i)) {
			err_perror(errno, "epoll");
			goto out;
		}
		info("port %s: %s, MTU %u, offloads %s", s.port[i].spec,
		     s.port[i].created ? "created" : "attached", s.port[i].mtu,
		     offload ? "on" : "off");
	}

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGUSR1);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* before the signalfd: one polled by the parent would never wake
	 * the child (its wait queue belongs to the parent's signals) */
	if (daemon && daemonize()) {
		err_perror(errno, "cannot go to the background");
		goto out;
	}
	sigfd = signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sigfd < 0 || watch_fd(s.epfd, sigfd, MAX_PORTS)) {
		err_perror(errno, "signalfd");
		goto out;
	}
	if (s.stats_path) {
		struct itimerspec second = { { 1, 0 }, { 1, 0 } };

		timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
		if (timerfd < 0 || timerfd_settime(timerfd, 0, &second, NULL) ||
		    watch_fd(s.epfd, timerfd, MAX_PORTS + 1)) {
			err_perror(errno, "timerfd");
			goto out;
		}
	}
	s.start_ns = clock_ns();
	stats_write(&s, false);
	notify_ready(ready_fd);
	ret = run(&s, sigfd, timerfd);
	stats_write(&s, false);
out:
	for (int i = 0; i < s.nports; i++)
		port_close(&s.port[i]);
	if (sigfd >= 0)
		close(sigfd);
	if (timerfd >= 0)
		close(timerfd);
	close(s.epfd);
	free(s.buf);
	return ret;
}
