// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hk-net-server - carry Ethernet frames between TAP ports in user space
 *
 * A learning L2 switch over TAP ports, with pcap filters, an optional
 * address of its own per port, and software segmentation where a port
 * cannot take the super-frames another one sends.
 *
 * Threads: one worker per queue (--queues), each with its own epoll set
 * over queue q of every port, its own preallocated buffers and its own
 * counters; each ready port is drained until EAGAIN, 64 frames at a
 * time, so that one busy port cannot starve the others.  A frame is read
 * once and written once per output port, never copied between.  The main
 * thread only handles signals and writes the counters; it sums the
 * workers' counters as they run (64-bit loads, torn by nothing on the
 * machines we build for).
 *
 * Start-up order matters: everything the user gave is checked and every
 * filter compiled before anything is created; ports are opened (the only
 * part that needs privileges); capabilities are dropped; the workers are
 * started and held; the seccomp list is installed for all threads; then
 * the workers go.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <linux/if_tun.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "args.h"
#include "capture.h"
#include "clock.h"
#include "frame.h"
#include "log.h"
#include "sandbox.h"
#include "server.h"
#include "statsock.h"
#include "thread.h"

#define BATCH		64	/* frames per port per wake-up */
#define MAX_POPTS	256

/* An option that names a port: --filter-in PORT:EXPR and the like. */
struct popt {
	int opt;
	const char *name;	/* the option, for messages */
	const char *arg;
};

struct options {
	unsigned long mtu, ageing, queues, busy_us;
	bool all_no_offload, in_kernel, daemon, sandbox;
	cpu_set_t cpus;			/* --cpus; none: the scheduler's */
	char *filter;			/* --filter: every port's input */
	struct popt popt[MAX_POPTS];
	int npopts;
	char *expr[MAX_PORTS][2];	/* combined input and output filters */
	const char *capture[MAX_PORTS];
	int ready_fd;
	enum log_level level;
};

enum {
	OPT_FILTER = 256, OPT_FILTER_IN, OPT_FILTER_OUT, OPT_IN_KERNEL, OPT_ADDRESS,
	OPT_CAPTURE, OPT_QUEUES, OPT_CPUS, OPT_BUSY_POLL, OPT_NO_SANDBOX, OPT_STATS_SOCKET,
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: hk-net-server --port [NS/]IFNAME --port [NS/]IFNAME... [OPTIONS]\n"
		"\n"
		"Carry Ethernet frames between TAP ports, as a learning switch.\n"
		"\n"
		"  --port [NS/]IFNAME     a TAP port: attached if IFNAME exists in namespace NS\n"
		"                         (or ours), created otherwise; two or more\n"
		"  --mtu N                set every port's MTU (68..65520)\n"
		"  --no-offload[=PORT]    no checksum or segmentation offload on PORT (or on\n"
		"                         every port): frames of at most the MTU, checksummed\n"
		"  --queues N             multi-queue TAPs, one worker thread per queue (1..%d;\n"
		"                         default 1)\n"
		"  --cpus LIST            pin the workers to these CPUs (\"1\", \"0-3,6\"), one\n"
		"                         each in turn; default: the scheduler moves them\n"
		"  --busy-poll USEC       keep polling this long after the last frame before\n"
		"                         sleeping, yielding the CPU to any other thread\n"
		"                         that wants it (default 0)\n"
		"  --filter EXPR          drop frames entering from any port unless they match\n"
		"                         the pcap expression EXPR (repeated: all of them)\n"
		"  --filter-in PORT:EXPR  the same for frames entering from PORT\n"
		"  --filter-out PORT:EXPR the same for frames leaving through PORT\n"
		"  --filter-in-kernel     run the input filters in the kernel (TUNATTACHFILTER),\n"
		"                         so that dropped frames never reach the server\n"
		"  --address PORT:IP/LEN  answer ARP and ICMP echo (IPv4), neighbour\n"
		"                         solicitation and echo (IPv6) for IP on PORT\n"
		"  --capture PORT:FILE    write PORT's frames, both ways, to the pcap file FILE\n"
		"  --ageing SECONDS       forget a MAC address unseen this long (300)\n"
		"  --stats PATH           write counters as JSON to PATH every second\n"
		"  --stats-socket PATH    serve them on a Unix socket made at PATH: each\n"
		"                         client that connects is sent them (removed at exit)\n"
		"  --no-sandbox           keep capabilities and skip the seccomp list\n"
		"  --daemon               go to the background once the ports are open\n"
		"  --ready-fd N           write a newline to descriptor N and close it once\n"
		"                         the ports are open and served\n"
		"  -v, --verbose          log more\n"
		"  -V, --version          print the version and exit\n"
		"  -h, --help             this help\n"
		"\n"
		"PORT is a --port as given.  SIGUSR1 logs the counters; SIGTERM and SIGINT\n"
		"end the server, and the TAP devices it created go with it.  See\n"
		"hk-net-server(1).\n", MAX_QUEUES);
}

/* ---- counters */

static void sum_stats(const struct server *s, int i, struct port_stats *t)
{
	memset(t, 0, sizeof(*t));
	for (unsigned int q = 0; q < s->queues; q++) {
		const uint64_t *a = (const uint64_t *)&s->worker[q].st[i];
		uint64_t *b = (uint64_t *)t;

		for (size_t k = 0; k < sizeof(*t) / sizeof(uint64_t); k++)
			b[k] += __atomic_load_n(&a[k], __ATOMIC_RELAXED);
	}
}

static struct json_object *counts_json(const char *const *names, const uint64_t *v, int n)
{
	struct json_object *o = json_object_new_object();

	for (int r = 0; r < n; r++)
		json_object_object_add(o, names[r], json_object_new_uint64(v[r]));
	return o;
}

static struct json_object *offloads_json(unsigned int off)
{
	static const struct { unsigned int bit; const char *name; } f[] = {
		{ TUN_F_CSUM, "csum" }, { TUN_F_TSO4, "tso4" }, { TUN_F_TSO6, "tso6" },
		{ TUN_F_TSO_ECN, "tso_ecn" }, { TUN_F_USO4, "uso4" }, { TUN_F_USO6, "uso6" },
	};
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		if (off & f[i].bit)
			json_object_array_add(a, json_object_new_string(f[i].name));
	}
	return a;
}

static struct json_object *port_json(struct server *s, int i)
{
	struct port *p = &s->port[i];
	struct json_object *o = json_object_new_object();
	struct json_object *q = json_object_new_array();
	struct port_stats t;
	uint64_t kdrop;

	sum_stats(s, i, &t);
	json_object_object_add(o, "port", json_object_new_string(p->spec));
	json_object_object_add(o, "created", json_object_new_boolean(p->created));
	json_object_object_add(o, "offload", json_object_new_boolean(p->offloads != 0));
	json_object_object_add(o, "offloads", offloads_json(p->offloads));
	json_object_object_add(o, "gone", json_object_new_boolean(p->gone));
	json_object_object_add(o, "mtu", json_object_new_uint64(p->mtu));
	json_object_object_add(o, "rx_frames", json_object_new_uint64(t.rx_frames));
	json_object_object_add(o, "rx_bytes", json_object_new_uint64(t.rx_bytes));
	json_object_object_add(o, "tx_frames", json_object_new_uint64(t.tx_frames));
	json_object_object_add(o, "tx_bytes", json_object_new_uint64(t.tx_bytes));
	json_object_object_add(o, "rx_drops", counts_json(rx_drop_names, t.rx_drops, RX_NREASONS));
	json_object_object_add(o, "tx_drops", counts_json(tx_drop_names, t.tx_drops, TX_NREASONS));
	json_object_object_add(o, "kernel_dropped",
			       port_kernel_dropped(p, &kdrop) ? NULL : json_object_new_uint64(kdrop));
	json_object_object_add(o, "segmented", json_object_new_uint64(t.segmented));
	json_object_object_add(o, "segments", json_object_new_uint64(t.segments));
	json_object_object_add(o, "checksummed", json_object_new_uint64(t.checksummed));
	for (unsigned int k = 0; k < s->queues; k++)
		json_object_array_add(q, json_object_new_uint64(
			__atomic_load_n(&s->worker[k].st[i].rx_frames, __ATOMIC_RELAXED)));
	json_object_object_add(o, "queue_rx_frames", q);
	json_object_object_add(o, "filter_in", p->in.expr ? json_object_new_string(p->in.expr) : NULL);
	json_object_object_add(o, "filter_in_kernel", json_object_new_boolean(p->in_kernel));
	json_object_object_add(o, "filter_out", p->out.expr ? json_object_new_string(p->out.expr) : NULL);
	if (p->respond) {
		char mac[18];

		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", p->resp.mac[0],
			 p->resp.mac[1], p->resp.mac[2], p->resp.mac[3], p->resp.mac[4], p->resp.mac[5]);
		json_object_object_add(o, "mac", json_object_new_string(mac));
		json_object_object_add(o, "answers",
				       counts_json(answer_names + 1, t.answers + 1, ANSWER_NKINDS - 1));
	}
	if (p->cap)
		json_object_object_add(o, "captured", json_object_new_uint64(capture_flush(p->cap)));
	return o;
}

/* Each worker's CPU (--cpus), or null when the scheduler places them. */
static struct json_object *cpus_json(const struct server *s)
{
	struct json_object *a;

	if (s->worker[0].cpu < 0)
		return NULL;
	a = json_object_new_array();
	for (unsigned int q = 0; q < s->queues; q++)
		json_object_array_add(a, json_object_new_int(s->worker[q].cpu));
	return a;
}

static struct json_object *stats_json(struct server *s)
{
	struct json_object *root = json_object_new_object();
	struct json_object *ports = json_object_new_array();
	struct hist h = { 0 };

	json_object_object_add(root, "uptime_ns", json_object_new_uint64(clock_ns() - s->start_ns));
	json_object_object_add(root, "queues", json_object_new_uint64(s->queues));
	json_object_object_add(root, "cpus", cpus_json(s));
	json_object_object_add(root, "busy_poll_us", json_object_new_uint64(s->busy_poll_ns / 1000));
	json_object_object_add(root, "mac_entries", json_object_new_uint64(s->macs.used));
	for (int i = 0; i < s->nports; i++)
		json_object_array_add(ports, port_json(s, i));
	json_object_object_add(root, "ports", ports);
	for (unsigned int q = 0; q < s->queues; q++) {
		const struct hist *w = &s->worker[q].frame_ns;

		h.count += __atomic_load_n(&w->count, __ATOMIC_RELAXED);
		h.total_ns += __atomic_load_n(&w->total_ns, __ATOMIC_RELAXED);
		for (int b = 0; b < HIST_BUCKETS; b++)
			h.bucket[b] += __atomic_load_n(&w->bucket[b], __ATOMIC_RELAXED);
	}
	json_object_object_add(root, "histogram", json_object_new_string(HIST_NOTE));
	json_object_object_add(root, "frame_ns", hist_json(&h));
	return root;
}

/* The counters come from one thread at a time: port_json() asks the
 * kernel over each port's one rtnetlink socket. */
static pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER;

/* For --stats-socket's thread: the counters now. */
static struct json_object *stats_now(void *arg)
{
	struct json_object *root;

	pthread_mutex_lock(&stats_lock);
	root = stats_json(arg);
	pthread_mutex_unlock(&stats_lock);
	return root;
}

static void stats_write(struct server *s, bool to_log)
{
	struct json_object *root;

	if (!s->stats_path && !to_log)
		return;
	root = stats_now(s);
	stats_publish(root, s->stats_path, to_log);
	json_object_put(root);
}

/* ---- workers */

/* Read up to BATCH frames from queue w->q of @p; true when it has more. */
static bool drain(struct worker *w, struct port *p, bool *got)
{
	for (int k = 0; k < BATCH; k++) {
		ssize_t n = read(p->fd[w->q], w->buf, FRAME_MAX);

		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				path_port_lost(w, p, errno);
			return false;
		}
		*got = true;
		path_frame(w, p, (size_t)n);
	}
	return true;
}

/* Workers wait here until the sandbox is in place (or the start failed). */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool open;
} gate = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false };

static void gate_wait(void)
{
	pthread_mutex_lock(&gate.lock);
	while (!gate.open)
		pthread_cond_wait(&gate.cond, &gate.lock);
	pthread_mutex_unlock(&gate.lock);
}

static void gate_open(void)
{
	pthread_mutex_lock(&gate.lock);
	gate.open = true;
	pthread_cond_broadcast(&gate.cond);
	pthread_mutex_unlock(&gate.lock);
}

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	struct server *s = w->s;
	struct epoll_event ev[MAX_PORTS + 1];
	bool more[MAX_PORTS] = { false };
	uint64_t last = 0;

	gate_wait();
	for (;;) {
		bool pending = false, got = false;
		int n, timeout = -1;

		for (int i = 0; i < s->nports; i++)
			pending |= more[i];
		/* ports left with frames are served again before sleeping,
		 * and with --busy-poll so is everything, for a while */
		if (pending || (s->busy_poll_ns && clock_ns() - last < s->busy_poll_ns))
			timeout = 0;
		n = epoll_wait(w->epfd, ev, MAX_PORTS + 1, timeout);
		if (n < 0 && errno != EINTR) {
			err_perror(errno, "epoll_wait");
			return NULL;
		}
		for (int i = 0; i < n; i++) {
			int tag = (int)ev[i].data.u32;

			if (tag == MAX_PORTS)
				return NULL;
			if (__atomic_load_n(&s->port[tag].gone, __ATOMIC_RELAXED))
				epoll_ctl(w->epfd, EPOLL_CTL_DEL, s->port[tag].fd[w->q], NULL);
			else
				more[tag] = true;
		}
		for (int i = 0; i < s->nports; i++) {
			if (more[i])
				more[i] = !s->port[i].gone && drain(w, &s->port[i], &got);
		}
		if (got && s->busy_poll_ns)
			last = clock_ns();
		/* a busy poll that found nothing gives the CPU to whatever
		 * else waits for it, often the very program the frames are
		 * for: a poll that held on to it cost cubic a quarter of one
		 * stream's rate on two CPUs (hk-net-server(1), PERFORMANCE) */
		if (timeout == 0 && !pending && n == 0)
			sched_yield();
	}
}

static int watch_fd(int epfd, int fd, uint32_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = tag };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

static int worker_init(struct server *s, struct worker *w, unsigned int q)
{
	w->s = s;
	w->q = q;
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	w->buf = malloc(FRAME_MAX);
	w->reply = malloc(FRAME_MAX);
	if (w->epfd < 0 || !w->buf || !w->reply)
		return -ENOMEM;
	for (int i = 0; i < s->nports; i++) {
		if (watch_fd(w->epfd, s->port[i].fd[q], (uint32_t)i))
			return -errno;
	}
	return watch_fd(w->epfd, s->stopfd, MAX_PORTS);
}

static void worker_free(struct worker *w)
{
	if (w->epfd > 0)
		close(w->epfd);
	free(w->buf);
	free(w->reply);
}

/* ---- the main thread: signals and counters */

/* The main thread's epoll set: signals (0) and the counters' timer (1). */
static int control_init(int sigfd, int timerfd)
{
	int epfd = epoll_create1(EPOLL_CLOEXEC);

	if (epfd < 0 || watch_fd(epfd, sigfd, 0) || (timerfd >= 0 && watch_fd(epfd, timerfd, 1))) {
		err_perror(errno, "epoll");
		if (epfd >= 0)
			close(epfd);
		return -1;
	}
	return epfd;
}

static int control(struct server *s, int epfd, int sigfd, int timerfd)
{
	for (;;) {
		struct epoll_event ev[2];
		int n = epoll_wait(epfd, ev, 2, -1);

		for (int i = 0; i < n; i++) {
			struct signalfd_siginfo si;
			uint64_t ticks;

			if (ev[i].data.u32 == 1) {
				if (read(timerfd, &ticks, sizeof(ticks)) == sizeof(ticks))
					stats_write(s, false);
				continue;
			}
			if (read(sigfd, &si, sizeof(si)) != sizeof(si))
				continue;
			if (si.ssi_signo == SIGUSR1) {
				stats_write(s, true);
				continue;
			}
			info("signal %d: stopping", (int)si.ssi_signo);
			return EXIT_SUCCESS;
		}
	}
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

/* ---- options */

/* The port @arg (PORT:VALUE, or PORT alone for --no-offload) names;
 * *@value after the colon.  -1 if none. */
static int port_of(const struct server *s, const struct popt *o, const char **value)
{
	const char *colon = strchr(o->arg, ':');
	char sep = o->opt == 'O' ? '\0' : ':';

	for (int i = 0; i < s->nports; i++) {
		size_t n = strlen(s->port[i].spec);

		if (!strncmp(o->arg, s->port[i].spec, n) && o->arg[n] == sep) {
			*value = o->arg + n + (sep != '\0');
			return i;
		}
	}
	if (!sep)
		err("--no-offload=%s: no --port is named so", o->arg);
	else if (!colon)
		err("--%s %s: give PORT:VALUE, with PORT one of the --port arguments", o->name, o->arg);
	else
		err("--%s %s: no --port is named '%.*s'", o->name, o->arg, (int)(colon - o->arg), o->arg);
	return -1;
}

/* "(a) and (b)", or whichever of them there is; NULL for neither. */
static char *filter_join(const char *a, const char *b)
{
	char *r = NULL;

	if (a && b) {
		if (asprintf(&r, "(%s) and (%s)", a, b) < 0)
			r = NULL;
	} else if (a || b) {
		r = strdup(a ? a : b);
	}
	return r;
}

/* Per-port options onto their ports; filters compiled.  0 or 2. */
static int options_apply(struct server *s, struct options *o)
{
	char why[PCAP_ERRBUF_SIZE + 64];

	for (int k = 0; k < o->npopts; k++) {
		const struct popt *po = &o->popt[k];
		const char *v = NULL;
		int i = port_of(s, po, &v), ret;
		struct port *p;

		if (i < 0)
			return 2;
		p = &s->port[i];
		switch (po->opt) {
		case 'O':
			p->no_offload = true;
			break;
		case OPT_FILTER_IN:
		case OPT_FILTER_OUT: {
			char **e = &o->expr[i][po->opt == OPT_FILTER_OUT];
			char *j = filter_join(*e, v);

			free(*e);
			*e = j;
			break;
		}
		case OPT_ADDRESS:
			ret = responder_add(&p->resp, v);
			if (ret) {
				err(ret == -EEXIST ? "--address %s: the port has an address of that family already"
						   : "--address %s: give IPv4/LEN or IPv6/LEN", po->arg);
				return 2;
			}
			p->respond = true;
			break;
		case OPT_CAPTURE:
			if (!*v || o->capture[i]) {
				err("--capture %s: give one FILE per port", po->arg);
				return 2;
			}
			o->capture[i] = v;
			break;
		}
	}
	for (int i = 0; i < s->nports; i++) {
		struct port *p = &s->port[i];
		char *in = filter_join(o->filter, o->expr[i][0]);
		uint32_t h = 2166136261u;

		free(o->expr[i][0]);
		o->expr[i][0] = in;
		for (int d = 0; d < 2; d++) {
			if (o->expr[i][d] &&
			    filter_compile(d ? &p->out : &p->in, o->expr[i][d], why, sizeof(why))) {
				err("%s filter of port %s: '%s' does not compile: %s",
				    d ? "output" : "input", p->spec, o->expr[i][d], why);
				return 2;
			}
		}
		if (o->all_no_offload)
			p->no_offload = true;
		/* a locally administered MAC of the port's own, stable per name */
		for (const char *c = p->spec; *c; c++)
			h = (h ^ (uint8_t)*c) * 16777619u;
		memcpy(p->resp.mac, (uint8_t[]){ 0x02, 0x68, 0x6b, (uint8_t)(h >> 16),
						 (uint8_t)(h >> 8), (uint8_t)h }, 6);
	}
	return 0;
}

static int popt_add(struct options *o, int opt, const char *name, const char *arg)
{
	if (o->npopts == MAX_POPTS) {
		err("at most %d per-port options", MAX_POPTS);
		return 2;
	}
	o->popt[o->npopts++] = (struct popt){ opt, name, arg };
	return 0;
}

/* --cpus @arg: a list of CPUs this process may run on */
static int options_cpus(struct options *o, const char *arg)
{
	cpu_set_t allowed;

	if (!args_cpus(arg, &o->cpus)) {
		err("--cpus %s: give CPUs as numbers and ranges joined by commas, as \"0-3,6\"",
		    arg);
		return 2;
	}
	if (sched_getaffinity(0, sizeof(allowed), &allowed)) {
		err_perror(errno, "--cpus: cannot learn which CPUs this process may use");
		return 2;
	}
	for (int c = 0; c < CPU_SETSIZE; c++) {
		if (CPU_ISSET(c, &o->cpus) && !CPU_ISSET(c, &allowed)) {
			char may[128];

			err("--cpus %s: CPU %d is not one this process may run on (%s)",
			    arg, c, args_cpus_format(&allowed, may, sizeof(may)));
			return 2;
		}
	}
	return 0;
}

static int options_parse(struct server *s, struct options *o, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "mtu", required_argument, NULL, 'm' },
		{ "no-offload", optional_argument, NULL, 'O' },
		{ "queues", required_argument, NULL, OPT_QUEUES },
		{ "cpus", required_argument, NULL, OPT_CPUS },
		{ "busy-poll", required_argument, NULL, OPT_BUSY_POLL },
		{ "filter", required_argument, NULL, OPT_FILTER },
		{ "filter-in", required_argument, NULL, OPT_FILTER_IN },
		{ "filter-out", required_argument, NULL, OPT_FILTER_OUT },
		{ "filter-in-kernel", no_argument, NULL, OPT_IN_KERNEL },
		{ "address", required_argument, NULL, OPT_ADDRESS },
		{ "capture", required_argument, NULL, OPT_CAPTURE },
		{ "ageing", required_argument, NULL, 'a' },
		{ "stats", required_argument, NULL, 's' },
		{ "stats-socket", required_argument, NULL, OPT_STATS_SOCKET },
		{ "no-sandbox", no_argument, NULL, OPT_NO_SANDBOX },
		{ "daemon", no_argument, NULL, 'D' },
		{ "ready-fd", required_argument, NULL, 'R' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, idx = 0;

	while ((c = getopt_long(argc, argv, "vVh", opts, &idx)) != -1) {
		const char *name = opts[idx].name;

		switch (c) {
		case 'p':
			if (s->nports == MAX_PORTS) {
				err("at most %d ports", MAX_PORTS);
				return 2;
			}
			if (port_parse(&s->port[s->nports], optarg))
				return 2;
			s->port[s->nports].index = s->nports;
			s->nports++;
			break;
		case 'm':
			if (!args_ulong(optarg, 68, 65520, &o->mtu)) {
				err("--mtu %s: the MTU must be a number from 68 to 65520", optarg);
				return 2;
			}
			break;
		case 'O':
			if (!optarg)
				o->all_no_offload = true;
			else if (popt_add(o, c, "no-offload", optarg))
				return 2;
			break;
		case OPT_QUEUES:
			if (!args_ulong(optarg, 1, MAX_QUEUES, &o->queues)) {
				err("--queues %s: give a number from 1 to %d", optarg, MAX_QUEUES);
				return 2;
			}
			break;
		case OPT_CPUS:
			if (options_cpus(o, optarg))
				return 2;
			break;
		case OPT_BUSY_POLL:
			if (!args_ulong(optarg, 0, 1000000, &o->busy_us)) {
				err("--busy-poll %s: give microseconds, from 0 to 1000000", optarg);
				return 2;
			}
			break;
		case OPT_FILTER: {
			/* repeated, like --filter-in: the expressions are joined */
			char *j = filter_join(o->filter, optarg);

			free(o->filter);
			o->filter = j;
			break;
		}
		case OPT_FILTER_IN:
		case OPT_FILTER_OUT:
		case OPT_ADDRESS:
		case OPT_CAPTURE:
			if (popt_add(o, c, name, optarg))
				return 2;
			break;
		case OPT_IN_KERNEL:
			o->in_kernel = true;
			break;
		case 'a':
			if (!args_ulong(optarg, 1, 1000000, &o->ageing)) {
				err("--ageing %s: give seconds, from 1 to 1000000", optarg);
				return 2;
			}
			break;
		case 's':
			s->stats_path = optarg;
			break;
		case OPT_STATS_SOCKET:
			s->stats_socket = optarg;
			break;
		case OPT_NO_SANDBOX:
			o->sandbox = false;
			break;
		case 'D':
			o->daemon = true;
			break;
		case 'R':
			if (!args_fd(optarg, &o->ready_fd)) {
				err("--ready-fd: '%s' is not an open file descriptor", optarg);
				return 2;
			}
			fcntl(o->ready_fd, F_SETFD, FD_CLOEXEC);
			break;
		case 'v':
			o->level = LOG_LEVEL_DEBUG;
			break;
		case 'V':
			printf("hk-net-server (hybridkit) %s\n", PACKAGE_VERSION);
			exit(EXIT_SUCCESS);
		case 'h':
			usage(stdout);
			exit(EXIT_SUCCESS);
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		err("unexpected argument '%s': ports are given with --port", argv[optind]);
		return 2;
	}
	if (s->nports < 2) {
		err("give two or more --port [NS/]IFNAME");
		return 2;
	}
	for (int i = 0; i < s->nports; i++) {
		for (int j = 0; j < i; j++) {
			if (!strcmp(s->port[i].ns, s->port[j].ns) &&
			    !strcmp(s->port[i].ifname, s->port[j].ifname)) {
				err("--port %s is given twice", s->port[i].spec);
				return 2;
			}
		}
	}
	return options_apply(s, o);
}

/* ---- start and stop */

static int open_ports(struct server *s, const struct options *o)
{
	for (int i = 0; i < s->nports; i++) {
		struct port *p = &s->port[i];

		if (port_open(p, (unsigned int)o->mtu, s->queues))
			return 2;	/* a bad port is bad input: nothing stays */
		if (o->in_kernel && p->in.expr) {
			int ret = filter_attach(&p->in, p->fd[0]);
			if (ret)
				warn_perror(-ret, "port %s: the kernel refused the input filter; it runs in the server",
					    p->spec);
			p->in_kernel = !ret;
		}
		info("port %s: %s, MTU %u, %u queue%s, offloads %s%s%s%s", p->spec,
		     p->created ? "created" : "attached", p->mtu, s->queues, s->queues > 1 ? "s" : "",
		     p->offloads ? "on" : "off", p->in.expr ? ", input filter" : "",
		     p->in_kernel ? " in the kernel" : "", p->out.expr ? ", output filter" : "");
	}
	/* after the ports: a port that fails leaves no capture file */
	for (int i = 0; i < s->nports; i++) {
		if (o->capture[i] && capture_open(&s->port[i].cap, o->capture[i]))
			return 2;
	}
	return 0;
}

static void close_ports(struct server *s, const struct options *o, bool failed)
{
	for (int i = 0; i < s->nports; i++) {
		struct port *p = &s->port[i];

		port_close(p);
		filter_free(&p->in);
		filter_free(&p->out);
		capture_close(p->cap);
		if (failed && p->cap)
			unlink(o->capture[i]);
		p->cap = NULL;
	}
}

static int signals(sigset_t *sigs)
{
	sigemptyset(sigs);
	sigaddset(sigs, SIGTERM);
	sigaddset(sigs, SIGINT);
	sigaddset(sigs, SIGHUP);
	sigaddset(sigs, SIGUSR1);
	signal(SIGPIPE, SIG_IGN);
	return pthread_sigmask(SIG_BLOCK, sigs, NULL);
}

/* Start the workers, held at the gate, each on its CPU where --cpus
 * gave one; how many started.  Each is past its start before the next
 * (thread_start()): the seccomp list installed after this cannot catch
 * one halfway. */
static unsigned int workers_start(struct server *s)
{
	unsigned int q;

	for (q = 0; q < s->queues; q++) {
		struct worker *w = &s->worker[q];
		char name[24];	/* a thread's name holds 15: q < MAX_QUEUES */
		int e = -worker_init(s, w, q);

		if (e) {
			err_perror(e, "cannot start worker %u", q);
			break;
		}
		e = thread_start(&w->tid, w->cpu, worker_run, w);
		if (e) {
			if (w->cpu >= 0)
				err_perror(e, "cannot start worker %u on CPU %d", q, w->cpu);
			else
				err_perror(e, "cannot start worker %u", q);
			break;
		}
		/* for top -H and ps -L; a name is not worth failing for */
		snprintf(name, sizeof(name), "hk-net q%u", q);
		(void)pthread_setname_np(w->tid, name);
	}
	return q;
}

/* Worker q's CPU: the q-th of --cpus, round again when there are fewer;
 * -1 without --cpus. */
static void workers_place(struct server *s, const struct options *o)
{
	bool pin = CPU_COUNT(&o->cpus) > 0;
	int c = -1;

	for (unsigned int q = 0; q < s->queues; q++) {
		s->worker[q].cpu = -1;
		if (!pin)
			continue;
		do
			c = (c + 1) % CPU_SETSIZE;
		while (!CPU_ISSET(c, &o->cpus));
		s->worker[q].cpu = c;
	}
}

static void workers_stop(struct server *s, unsigned int started)
{
	uint64_t one = 1;

	if (write(s->stopfd, &one, sizeof(one)) != sizeof(one))
		err_perror(errno, "cannot stop the workers");
	for (unsigned int q = 0; q < started; q++)
		pthread_join(s->worker[q].tid, NULL);
}

int main(int argc, char **argv)
{
	static struct server s;
	static struct options o = {
		.ageing = 300, .queues = 1, .sandbox = true, .ready_fd = -1,
		.level = LOG_LEVEL_INFO,
	};
	struct stats_socket sock = { .fd = -1 };
	int ret = EXIT_FAILURE, sigfd = -1, timerfd = -1, epfd = -1;
	unsigned int started = 0;
	bool failed = true, go;
	sigset_t sigs;

	log_init("hk-net-server", LOG_LEVEL_INFO);
	ret = options_parse(&s, &o, argc, argv);
	if (ret)
		goto out_free;
	ret = EXIT_FAILURE;
	log_init("hk-net-server", o.level);
	s.queues = (unsigned int)o.queues;
	s.busy_poll_ns = o.busy_us * 1000;
	s.xmit = path_writev;
	switch_init(&s.macs, o.ageing * 1000000000ULL);
	s.worker = calloc(s.queues, sizeof(*s.worker));
	s.stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (!s.worker || s.stopfd < 0 || signals(&sigs)) {
		err_perror(errno, "cannot start");
		goto out_free;
	}
	workers_place(&s, &o);
	/* before anything is made: a socket path that cannot be bound is a
	 * bad argument */
	if (s.stats_socket) {
		int e = stats_socket_bind(&sock, s.stats_socket);

		if (e) {
			err_perror(-e, "--stats-socket '%s'", s.stats_socket);
			ret = 2;
			goto out_close;
		}
	}
	ret = open_ports(&s, &o);
	if (ret)
		goto out_close;
	ret = EXIT_FAILURE;
	/* before the signalfd: one polled by the parent would never wake
	 * the child (its wait queue belongs to the parent's signals) */
	if (o.daemon && daemonize()) {
		err_perror(errno, "cannot go to the background");
		goto out_close;
	}
	sigfd = signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sigfd < 0) {
		err_perror(errno, "signalfd");
		goto out_close;
	}
	if (s.stats_path) {
		struct itimerspec second = { { 1, 0 }, { 1, 0 } };

		timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
		if (timerfd < 0 || timerfd_settime(timerfd, 0, &second, NULL)) {
			err_perror(errno, "timerfd");
			goto out_close;
		}
	}
	epfd = control_init(sigfd, timerfd);
	if (epfd < 0 || (o.sandbox && sandbox_drop_caps()))
		goto out_close;
	started = workers_start(&s);
	/* a thread of its own, started before the seccomp list (no clone
	 * there), which covers it too */
	if (sock.fd >= 0 && stats_socket_start(&sock, stats_now, &s))
		warn("--stats-socket: cannot start its thread; no answers there");
	go = started == s.queues && (!o.sandbox || !sandbox_seccomp());
	if (!go) {
		workers_stop(&s, 0);	/* they see the stop at once */
		gate_open();
		workers_stop(&s, started);
		goto out_close;
	}
	gate_open();
	if (o.sandbox)
		sandbox_probe();
	s.start_ns = clock_ns();
	stats_write(&s, false);
	notify_ready(o.ready_fd);
	failed = false;
	ret = control(&s, epfd, sigfd, timerfd);
	workers_stop(&s, started);
	stats_write(&s, false);
out_close:
	stats_socket_stop(&sock);	/* before what it reads goes */
	close_ports(&s, &o, failed);
	if (sigfd >= 0)
		close(sigfd);
	if (timerfd >= 0)
		close(timerfd);
	if (epfd >= 0)
		close(epfd);
	for (unsigned int q = 0; s.worker && q < s.queues; q++)
		worker_free(&s.worker[q]);
out_free:
	free(o.filter);
	for (int i = 0; i < MAX_PORTS; i++) {
		free(o.expr[i][0]);
		free(o.expr[i][1]);
	}
	free(s.worker);
	if (s.stopfd > 0)
		close(s.stopfd);
	return ret;
}
