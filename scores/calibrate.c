// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * calibrate.c - hk-scores calibrate: measure this machine's constants for
 * the models
 *
 * Each constant is measured in several repetitions; we report the median
 * and the spread (min, max, MAD) so that a user sees how much a constant
 * can be trusted on a shared machine.  What each one measures:
 *
 *   c_sys        one system call that does nothing (getppid via syscall(2),
 *                so no libc cache can answer it)
 *   ipc_pipe_rtt one-byte round trip between two processes over pipes
 *   ipc_unix_rtt the same over a Unix stream socket pair
 *   ipc_same_cpu the pipe round trip with both processes on one CPU
 *   ipc_cross_cpu the pipe round trip with the two on different CPUs; the
 *                unpinned figures fall between these two, wherever the
 *                scheduler happens to put the processes
 *   c_ipc        one message between processes: half the pipe round trip
 *                (the model's T_u counts messages, four per request)
 *   copy_byte    memcpy per byte of a 64 MiB buffer (memory bound)
 *   copy_page    memcpy of one 4 KiB page that is hot in the cache
 *   remap_page   mmap, first touch and munmap of one anonymous page
 *   sched_delay  mean lateness of a 1 ms periodic timerfd wake-up
 *   delta        its exponential part: mean - min lateness (the location
 *                of a shifted exponential), the model's delta
 *   jitter_rms   measured RMS difference of consecutive latenesses
 *   jitter_model delta * sqrt(2), the model's prediction of jitter_rms
 *
 * Timer slack is set to 1 ns so that the timer measures the scheduler,
 * not the slack policy.  All constants are in nanoseconds.
 *
 * Beside them we record, not measure, how this machine's idle CPUs wait
 * (machine.idle): it decides ipc_cross_cpu.  A CPU that polls before it
 * halts is woken by a store; one that has halted needs an interrupt, and
 * on a virtual machine an exit to the host and the host's scheduling of
 * the vCPU.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "clock.h"
#include "file.h"
#include "hkscores.h"
#include "jsonnum.h"
#include "log.h"

#define CAL_MAX_REPS		50
#define CAL_COPY_BYTES		(64UL << 20)
#define CAL_PAGE		4096UL
#define CAL_TIMER_PERIOD_NS	1000000ULL

/* Keep the compiler from dropping work whose result nobody reads. */
#define CAL_BARRIER(p)	__asm__ volatile("" : : "r"(p) : "memory")

#define CAL_CPUIDLE	"/sys/devices/system/cpu/cpuidle/"
#define CAL_HALTPOLL	"/sys/module/haltpoll/parameters/guest_halt_poll_ns"

struct cal_idle {
	char driver[64];	/* cpuidle driver, "" when none */
	char governor[64];	/* its governor, "" when unknown */
	long long poll_ns;	/* haltpoll's guest_halt_poll_ns, or -1
				 * (another governor, or none) */
};

struct cal_ctx {
	unsigned int reps;
	double scale;		/* iteration scale: 1, or less for --quick */
	void *src;		/* copy buffers */
	void *dst;
	int cpu_us;		/* CPUs to pin the round trip to, or -1 */
	int cpu_child;
	int cpus[2];		/* two CPUs we may run on, or -1 */
	struct cal_idle idle;	/* how idle CPUs wait, as set when we ran */
};

struct cal_value {
	const char *key;
	const char *what;
	double rep[CAL_MAX_REPS];
};

enum {
	CAL_C_SYS,
	CAL_IPC_PIPE,
	CAL_IPC_UNIX,
	CAL_IPC_SAME,
	CAL_IPC_CROSS,
	CAL_C_IPC,
	CAL_COPY_BYTE,
	CAL_COPY_PAGE,
	CAL_REMAP,
	CAL_SCHED,
	CAL_DELTA,
	CAL_JITTER_RMS,
	CAL_JITTER_MODEL,
	CAL_COUNT,
};

static struct cal_value cal_values[CAL_COUNT] = {
	[CAL_C_SYS]	= { "c_sys", "one system call (getppid)", { 0 } },
	[CAL_IPC_PIPE]	= { "ipc_pipe_rtt", "round trip between processes, pipes", { 0 } },
	[CAL_IPC_UNIX]	= { "ipc_unix_rtt", "round trip between processes, Unix socket", { 0 } },
	[CAL_IPC_SAME]	= { "ipc_same_cpu", "pipe round trip, both on one CPU", { 0 } },
	[CAL_IPC_CROSS]	= { "ipc_cross_cpu", "pipe round trip, on two CPUs", { 0 } },
	[CAL_C_IPC]	= { "c_ipc", "one message between processes (pipe RTT / 2)", { 0 } },
	[CAL_COPY_BYTE]	= { "copy_byte", "memcpy per byte, 64 MiB buffer", { 0 } },
	[CAL_COPY_PAGE]	= { "copy_page", "memcpy of one 4 KiB page, cache hot", { 0 } },
	[CAL_REMAP]	= { "remap_page", "mmap + touch + munmap of one page", { 0 } },
	[CAL_SCHED]	= { "sched_delay", "mean lateness of a 1 ms timer wake-up", { 0 } },
	[CAL_DELTA]	= { "delta", "exponential part of it (mean - min)", { 0 } },
	[CAL_JITTER_RMS] = { "jitter_rms", "measured RMS jitter of wake-ups", { 0 } },
	[CAL_JITTER_MODEL] = { "jitter_model", "model: delta * sqrt(2)", { 0 } },
};

static unsigned long cal_iters(const struct cal_ctx *c, unsigned long n)
{
	unsigned long k = (unsigned long)((double)n * c->scale);

	return k ? k : 1;
}

static int cal_syscall(struct cal_ctx *c, double *ns)
{
	unsigned long n = cal_iters(c, 200000);
	uint64_t t0 = clock_ns();

	for (unsigned long i = 0; i < n; i++)
		syscall(SYS_getppid);
	*ns = (double)(clock_ns() - t0) / (double)n;
	return 0;
}

static void cal_pin(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static int cal_full_io(ssize_t (*io)(int, void *, size_t), int fd, char *b)
{
	ssize_t r;

	do {
		r = io(fd, b, 1);
	} while (r < 0 && errno == EINTR);
	return r == 1 ? 0 : -1;
}

static ssize_t cal_write(int fd, void *b, size_t len)
{
	return write(fd, b, len);
}

/*
 * Round trips between this process and a child echoing one byte: the
 * child reads from @child_in and writes to @child_out; we write to
 * @our_out and read from @our_in.
 */
static int cal_rtt(struct cal_ctx *c, int our_out, int our_in,
		   int child_in, int child_out, int close_a, int close_b,
		   double *ns)
{
	unsigned long n = cal_iters(c, 8000), warm = n / 10 + 1;
	uint64_t t0 = 0;
	int status, ret = 0;
	char b = 'x';
	pid_t pid;

	pid = fork();
	if (pid < 0) {
		ret = -errno;
		close(our_out);
		close(child_in);
		if (our_in != our_out) {
			close(our_in);
			close(child_out);
		}
		return ret;
	}
	if (!pid) {
		cal_pin(c->cpu_child);
		close(close_a);
		close(close_b);
		while (!cal_full_io(read, child_in, &b) &&
		       !cal_full_io(cal_write, child_out, &b))
			;
		_exit(0);
	}
	close(child_in);
	if (child_out != child_in)
		close(child_out);

	for (unsigned long i = 0; i < warm + n; i++) {
		if (i == warm)
			t0 = clock_ns();
		if (cal_full_io(cal_write, our_out, &b) ||
		    cal_full_io(read, our_in, &b)) {
			ret = -EIO;
			break;
		}
	}
	if (!ret)
		*ns = (double)(clock_ns() - t0) / (double)n;

	close(our_out);
	if (our_in != our_out)
		close(our_in);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return ret;
}

static int cal_pipe(struct cal_ctx *c, double *ns)
{
	int to_child[2], to_us[2];

	if (pipe(to_child))
		return -errno;
	if (pipe(to_us)) {
		int e = errno;

		close(to_child[0]);
		close(to_child[1]);
		return -e;
	}
	return cal_rtt(c, to_child[1], to_us[0], to_child[0], to_us[1],
		       to_child[1], to_us[0], ns);
}

/* The pipe round trip with both ends pinned; restores our affinity. */
static int cal_pipe_pinned(struct cal_ctx *c, int cpu_us, int cpu_child,
			   double *ns)
{
	cpu_set_t saved;
	int ret;

	if (cpu_us < 0 || cpu_child < 0) {
		*ns = NAN;	/* one CPU only: no cross-CPU figure */
		return 0;
	}
	if (sched_getaffinity(0, sizeof(saved), &saved))
		return -errno;
	c->cpu_us = cpu_us;
	c->cpu_child = cpu_child;
	cal_pin(cpu_us);
	ret = cal_pipe(c, ns);
	c->cpu_us = c->cpu_child = -1;
	sched_setaffinity(0, sizeof(saved), &saved);
	return ret;
}

static int cal_ipc_same(struct cal_ctx *c, double *ns)
{
	return cal_pipe_pinned(c, c->cpus[0], c->cpus[0], ns);
}

static int cal_ipc_cross(struct cal_ctx *c, double *ns)
{
	return cal_pipe_pinned(c, c->cpus[0], c->cpus[1], ns);
}

static int cal_unix(struct cal_ctx *c, double *ns)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		return -errno;
	return cal_rtt(c, sv[0], sv[0], sv[1], sv[1], sv[0], sv[0], ns);
}

/* Time @iters copies of @bytes; the result is per copy, or per byte. */
static double cal_copy(const struct cal_ctx *c, size_t bytes,
		       unsigned long iters, bool per_byte)
{
	unsigned long n = cal_iters(c, iters);
	uint64_t t0 = clock_ns();

	for (unsigned long i = 0; i < n; i++) {
		memcpy(c->dst, c->src, bytes);
		CAL_BARRIER(c->dst);
	}
	return (double)(clock_ns() - t0) /
	       ((double)n * (per_byte ? (double)bytes : 1.0));
}

static int cal_copy_byte(struct cal_ctx *c, double *ns)
{
	*ns = cal_copy(c, CAL_COPY_BYTES, 4, true);
	return 0;
}

static int cal_copy_page(struct cal_ctx *c, double *ns)
{
	*ns = cal_copy(c, CAL_PAGE, 100000, false);
	return 0;
}

static int cal_remap(struct cal_ctx *c, double *ns)
{
	unsigned long n = cal_iters(c, 20000);
	uint64_t t0 = clock_ns();

	for (unsigned long i = 0; i < n; i++) {
		volatile char *p = mmap(NULL, CAL_PAGE, PROT_READ | PROT_WRITE,
					MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			return -errno;
		p[0] = 1;
		munmap((void *)p, CAL_PAGE);
	}
	*ns = (double)(clock_ns() - t0) / (double)n;
	return 0;
}

/* One repetition of the periodic timer; fills the four timer values. */
static int cal_timer(struct cal_ctx *c, unsigned int rep)
{
	unsigned long ticks = cal_iters(c, 300);
	struct itimerspec its = { 0 };
	double sum = 0.0, min = INFINITY, prev = NAN, sq = 0.0;
	unsigned long got = 0, diffs = 0;
	uint64_t start, k = 0;
	int fd, ret = 0;

	fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	start = clock_ns() + CAL_TIMER_PERIOD_NS;
	its.it_value.tv_sec = (time_t)(start / NS_PER_SEC);
	its.it_value.tv_nsec = (long)(start % NS_PER_SEC);
	its.it_interval.tv_nsec = (long)CAL_TIMER_PERIOD_NS;
	if (timerfd_settime(fd, TFD_TIMER_ABSTIME, &its, NULL)) {
		ret = -errno;
		goto out_close;
	}

	while (got < ticks) {
		uint64_t exp, now;
		double late;

		if (read(fd, &exp, sizeof(exp)) != sizeof(exp)) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			goto out_close;
		}
		now = clock_ns();
		k += exp;
		late = (double)(now - (start + (k - 1) * CAL_TIMER_PERIOD_NS));
		sum += late;
		min = fmin(min, late);
		/* consecutive wake-ups only: a missed tick breaks the chain */
		if (exp == 1 && !isnan(prev)) {
			sq += (late - prev) * (late - prev);
			diffs++;
		}
		prev = late;
		got++;
	}

	cal_values[CAL_SCHED].rep[rep] = sum / (double)got;
	cal_values[CAL_DELTA].rep[rep] = sum / (double)got - min;
	cal_values[CAL_JITTER_RMS].rep[rep] = diffs ? sqrt(sq / (double)diffs) : NAN;
	hks_jitter(cal_values[CAL_DELTA].rep[rep],
		   &cal_values[CAL_JITTER_MODEL].rep[rep]);

out_close:
	close(fd);
	return ret;
}

/* The first two CPUs this process may run on (-1 where there is none). */
static void cal_pick_cpus(int cpus[2])
{
	cpu_set_t set;
	int k = 0;

	cpus[0] = cpus[1] = -1;
	if (sched_getaffinity(0, sizeof(set), &set))
		return;
	for (int i = 0; i < CPU_SETSIZE && k < 2; i++) {
		if (CPU_ISSET(i, &set))
			cpus[k++] = i;
	}
}

struct cal_step {
	int value;
	int (*fn)(struct cal_ctx *c, double *ns);
};

static const struct cal_step cal_steps[] = {
	{ CAL_C_SYS, cal_syscall },
	{ CAL_IPC_PIPE, cal_pipe },
	{ CAL_IPC_UNIX, cal_unix },
	{ CAL_IPC_SAME, cal_ipc_same },
	{ CAL_IPC_CROSS, cal_ipc_cross },
	{ CAL_COPY_BYTE, cal_copy_byte },
	{ CAL_COPY_PAGE, cal_copy_page },
	{ CAL_REMAP, cal_remap },
};

static void cal_progress(bool show, const char *what, unsigned int rep,
			 unsigned int reps)
{
	if (show)
		fprintf(stderr, "\rcalibrating: %-14s %u/%u ", what, rep + 1, reps);
}

static int cal_run(struct cal_ctx *c, bool progress)
{
	int ret;

	for (unsigned int r = 0; r < c->reps; r++) {
		for (size_t s = 0; s < sizeof(cal_steps) / sizeof(cal_steps[0]); s++) {
			struct cal_value *v = &cal_values[cal_steps[s].value];

			cal_progress(progress, v->key, r, c->reps);
			ret = cal_steps[s].fn(c, &v->rep[r]);
			if (ret) {
				err_perror(-ret, "calibrate: %s", v->key);
				return ret;
			}
		}
		cal_values[CAL_C_IPC].rep[r] = cal_values[CAL_IPC_PIPE].rep[r] / 2.0;

		cal_progress(progress, "timer", r, c->reps);
		ret = cal_timer(c, r);
		if (ret) {
			err_perror(-ret, "calibrate: timerfd");
			return ret;
		}
	}
	if (progress)
		fprintf(stderr, "\r%40s\r", "");
	return 0;
}

struct cal_summary {
	double median, min, max, mad;
};

static void cal_summarise(const struct cal_value *v, unsigned int reps,
			  struct cal_summary *s)
{
	s->min = INFINITY;
	s->max = -INFINITY;
	for (unsigned int r = 0; r < reps; r++) {
		s->min = fmin(s->min, v->rep[r]);
		s->max = fmax(s->max, v->rep[r]);
	}
	/* not measured on this machine (one CPU has no cross-CPU figure) */
	if (hks_stat_median(v->rep, reps, &s->median) ||
	    hks_stat_mad(v->rep, reps, &s->mad))
		s->median = s->mad = s->min = s->max = NAN;
}

static void cal_idle_read(struct cal_idle *idle)
{
	char ns[32], *end;

	file_read_line(CAL_CPUIDLE "current_driver", idle->driver, sizeof(idle->driver));
	file_read_line(CAL_CPUIDLE "current_governor_ro", idle->governor,
		       sizeof(idle->governor));
	if (!idle->governor[0])
		file_read_line(CAL_CPUIDLE "current_governor", idle->governor,
			       sizeof(idle->governor));
	/* the haltpoll governor's parameter: another governor ignores it */
	ns[0] = '\0';
	if (!strcmp(idle->governor, "haltpoll"))
		file_read_line(CAL_HALTPOLL, ns, sizeof(ns));
	errno = 0;
	idle->poll_ns = strtoll(ns, &end, 10);
	if (!ns[0] || *end || errno || idle->poll_ns < 0)
		idle->poll_ns = -1;
}

static struct json_object *cal_idle_json(const struct cal_idle *idle)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "driver", idle->driver[0] ?
			       json_object_new_string(idle->driver) : NULL);
	json_object_object_add(o, "governor", idle->governor[0] ?
			       json_object_new_string(idle->governor) : NULL);
	json_object_object_add(o, "halt_poll_ns", idle->poll_ns >= 0 ?
			       json_object_new_int64(idle->poll_ns) : NULL);
	return o;
}

static struct json_object *cal_json(const struct cal_ctx *c, double elapsed)
{
	struct json_object *root = json_object_new_object();
	struct json_object *machine = json_object_new_object();
	struct json_object *consts = json_object_new_object();
	struct utsname u;
	double load[3];

	json_object_object_add(root, "hybridkit",
			       json_object_new_string("calibration"));
	json_object_object_add(root, "format", json_object_new_int(1));
	json_object_object_add(root, "tool",
			       json_object_new_string("hk-scores " PACKAGE_VERSION));
	if (!uname(&u)) {
		json_object_object_add(machine, "kernel",
				       json_object_new_string(u.release));
		json_object_object_add(machine, "arch",
				       json_object_new_string(u.machine));
	}
	json_object_object_add(machine, "cpus",
			       json_object_new_int((int)sysconf(_SC_NPROCESSORS_ONLN)));
	if (getloadavg(load, 3) == 3) {
		struct json_object *l = json_object_new_array();

		for (int i = 0; i < 3; i++)
			json_object_array_add(l, jsonnum_new(load[i]));
		json_object_object_add(machine, "loadavg", l);
	}
	json_object_object_add(machine, "idle", cal_idle_json(&c->idle));
	json_object_object_add(root, "machine", machine);
	json_object_object_add(root, "reps", json_object_new_int((int)c->reps));
	json_object_object_add(root, "unit", json_object_new_string("ns"));

	for (int i = 0; i < CAL_COUNT; i++) {
		const struct cal_value *v = &cal_values[i];
		struct json_object *o = json_object_new_object();
		struct json_object *reps = json_object_new_array();
		struct cal_summary s;

		cal_summarise(v, c->reps, &s);
		json_object_object_add(o, "what", json_object_new_string(v->what));
		jsonnum_add(o, "median", s.median);
		jsonnum_add(o, "min", s.min);
		jsonnum_add(o, "max", s.max);
		jsonnum_add(o, "mad", s.mad);
		for (unsigned int r = 0; r < c->reps; r++)
			json_object_array_add(reps, jsonnum_new(v->rep[r]));
		json_object_object_add(o, "reps", reps);
		json_object_object_add(consts, v->key, o);
	}
	json_object_object_add(root, "constants", consts);
	jsonnum_add(root, "elapsed_s", elapsed);
	return root;
}

static void cal_print(const struct cal_ctx *c, double elapsed)
{
	printf("%-13s %12s %12s %12s %8s  %s\n", "constant", "median", "min",
	       "max", "mad%", "what (ns)");
	for (int i = 0; i < CAL_COUNT; i++) {
		struct cal_summary s;

		cal_summarise(&cal_values[i], c->reps, &s);
		printf("%-13s %12.4g %12.4g %12.4g %8.1f  %s\n",
		       cal_values[i].key, s.median, s.min, s.max,
		       s.median > 0.0 ? 100.0 * s.mad / s.median : 0.0,
		       cal_values[i].what);
	}
	printf("\n%u repetitions in %.1f s\n", c->reps, elapsed);
	if (!c->idle.driver[0])
		printf("idle CPUs: no cpuidle driver\n");
	else if (c->idle.poll_ns < 0)
		printf("idle CPUs: cpuidle driver %s, governor %s\n", c->idle.driver,
		       c->idle.governor[0] ? c->idle.governor : "unknown");
	else
		printf("idle CPUs: cpuidle driver %s, governor %s, polling up to %lld ns before halting (haltpoll guest_halt_poll_ns)\n",
		       c->idle.driver, c->idle.governor[0] ? c->idle.governor : "unknown",
		       c->idle.poll_ns);
}

int cmd_calibrate(const struct cli_cmd *cmd, int argc, char **argv)
{
	struct cli_param p[] = {
		CLI_PARAM_OPT("reps", CLI_COUNT, 7,
			      "repetitions of every measurement (3..50)"),
		CLI_PARAM_OPT("quick", CLI_FLAG, 0, "a tenth of the iterations, for tests"),
		CLI_PARAM_OPT("output", CLI_TEXT, 0, "also write the JSON to this file"),
		CLI_PARAM_END,
	};
	struct cal_ctx c = { 0 };
	struct json_object *doc;
	struct cli_args a;
	uint64_t t0;
	double elapsed;
	int ret;

	CLI_PARSE(cmd, p, argc, argv, &a);
	if (p[0].num < 3 || p[0].num > CAL_MAX_REPS)
		return cli_fail(cmd, EXIT_USAGE, "--reps: between 3 and %d",
				CAL_MAX_REPS);
	c.reps = (unsigned int)p[0].num;
	c.cpu_us = c.cpu_child = -1;
	cal_pick_cpus(c.cpus);
	cal_idle_read(&c.idle);
	c.scale = p[1].set ? 0.1 : 1.0;

	c.src = mmap(NULL, CAL_COPY_BYTES, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	c.dst = mmap(NULL, CAL_COPY_BYTES, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (c.src == MAP_FAILED || c.dst == MAP_FAILED) {
		ret = cli_fail(cmd, EXIT_FAILURE, "mmap: %s", strerror(errno));
		goto out_unmap;
	}
	memset(c.src, 0x5a, CAL_COPY_BYTES);
	memset(c.dst, 0, CAL_COPY_BYTES);
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);

	t0 = clock_ns();
	ret = cal_run(&c, isatty(STDERR_FILENO));
	elapsed = (double)(clock_ns() - t0) / 1e9;
	if (ret) {
		ret = EXIT_FAILURE;
		goto out_unmap;
	}

	doc = cal_json(&c, elapsed);
	if (p[2].set) {
		const char *text = json_object_to_json_string_ext(doc,
				JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
				JSON_C_TO_STRING_NOSLASHESCAPE);

		ret = file_write_atomic(p[2].text, text);
		if (ret) {
			json_object_put(doc);
			ret = cli_fail(cmd, EXIT_FAILURE, "%s: %s", p[2].text,
				       strerror(-ret));
			goto out_unmap;
		}
	}
	if (a.json) {
		ret = cli_print_json(doc);
	} else {
		json_object_put(doc);
		cal_print(&c, elapsed);
		ret = fflush(stdout) ? EXIT_FAILURE : 0;
	}

out_unmap:
	if (c.dst != MAP_FAILED && c.dst)
		munmap(c.dst, CAL_COPY_BYTES);
	if (c.src != MAP_FAILED && c.src)
		munmap(c.src, CAL_COPY_BYTES);
	return ret;
}
