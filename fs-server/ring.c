// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ring.c - FUSE requests over io_uring (Linux >= 6.14), under libfuse 3.14
 *
 * Over /dev/fuse, a request goes to whichever worker thread sleeps in
 * read(2), often on the other CPU: the caller's CPU sends it an
 * interrupt, and the reply wakes the caller back across CPUs.  On this
 * kind of machine each crossing costs about 24 us, more than most
 * metadata operations take in the server.
 *
 * With FUSE over io_uring the kernel keeps one queue per CPU and hands a
 * request to the queue of the CPU its caller runs on.  Here each queue has
 * a thread pinned to that CPU with an io_uring of its own, which it makes
 * and alone submits to: a command's completions run on the thread that
 * submitted it, and that thread's exit cancels it (a libfuse worker that
 * registered entries and then ended would take them along).  On it the
 * thread keeps RING_ENTRIES requests registered (FUSE_IO_URING_CMD_REGISTER);
 * the caller's CPU switches to it and back, no interrupt in between.  A
 * reply is committed with the same command that fetches the next request
 * (COMMIT_AND_FETCH): one system call per request instead of a read and a
 * write.
 *
 * libfuse 3.14 knows nothing of this: the kernel lays a request out as a
 * fuse_in_header, an operation header and a payload in three places, so
 * each entry's buffer leaves room in front of the payload to put the two
 * headers back in front of it, and libfuse's fuse_session_process_buf()
 * sees the request as read(2) would have given it.  Its reply comes to
 * the custom writev hook (passthrough.c), which hands it to
 * ring_writev(), which puts it in the ring entry the thread serves.
 *
 * A request that may wait for long (SETLKW: a lock held by someone else)
 * would hold up its whole queue; it is served on a thread of its own,
 * which hands its entry back through an eventfd that the queue's ring
 * reads.  FORGET and INTERRUPT still come through /dev/fuse, as do the
 * invalidation notices the server sends: the libfuse workers stay.
 *
 * Read as they come, FORGETs would wake a worker once per inode the
 * kernel lets go: an `rm -r` pays a wake-up, often across CPUs, for each
 * file on top of its UNLINK.  So while the queues run, /dev/fuse is read
 * by one worker at a time, and after a FORGET the next read waits
 * RING_FORGET_REST_NS: the kernel gathers what comes meanwhile into one
 * BATCH_FORGET.  Nothing waits for a FORGET; an INTERRUPT may come that
 * much later.
 *
 * Layouts are the kernel's UAPI (protocol 7.42); Debian 12's headers
 * predate them, so they are spelled out here.
 */
#include <errno.h>
#include <liburing.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define FUSE_USE_VERSION 312
#include <fuse_lowlevel.h>

#include "abi.h"
#include "clock.h"
#include "log.h"
#include "ring.h"
#include "stats.h"

#define RING_CMD_REGISTER		1
#define RING_CMD_COMMIT_AND_FETCH	2
#define RING_ENTRIES	8		/* registered requests per queue */
#define RING_FORGET_REST_NS	1000000	/* /dev/fuse rests 1 ms after a FORGET */
#define RING_IN_HEADER	sizeof(struct fuse_in_header)
#define RING_OP_MAX	128		/* the op_in area */
#define RING_FRONT	256		/* room for both before the payload */
#define RING_EVENT	((uint64_t)1)	/* user_data of the eventfd read */

/* struct fuse_uring_req_header */
struct ring_header {
	union {			/* the request's header, then the reply's */
		struct fuse_in_header in;
		struct fuse_out_header out;
		uint8_t bytes[128];	// cppcheck-suppress unusedStructMember
	} io;
	uint8_t op_in[RING_OP_MAX];
	uint64_t flags;		/* struct fuse_uring_ent_in_out */
	uint64_t commit_id;
	uint32_t payload_sz;
	uint32_t padding;
	uint64_t reserved;
};

/* struct fuse_uring_cmd_req, in the SQE's command area */
struct ring_cmd {
	uint64_t flags;
	uint64_t commit_id;
	uint16_t qid;
	uint8_t padding[6];
};

_Static_assert(sizeof(struct ring_header) == 288, "fuse_uring_req_header");
_Static_assert(sizeof(struct ring_cmd) == 24, "fuse_uring_cmd_req");

struct ring_queue;

struct ring_entry {
	struct ring_queue *q;
	struct ring_header hdr;
	struct iovec iov[2];	/* registered: the header, the payload */
	uint8_t *buf;		/* room for both headers, then the payload */
	bool replied;
	struct ring_entry *next_done;	/* on the queue's done list */
};

struct ring_queue {
	struct ring *r;
	unsigned int qid;
	pthread_t thread;
	bool started;
	int setup;		/* 1 once its ring is up, -errno if not; 0 before */
	struct io_uring uring;
	int event_fd;		/* entries served elsewhere are done; or stop */
	uint64_t event_buf;
	pthread_mutex_t lock;	/* done list */
	struct ring_entry *done;
	struct ring_entry entries[RING_ENTRIES];
};

struct ring {
	struct fuse_session *se;
	int dev_fd;
	size_t payload_max;
	unsigned int nqueues;
	bool stop;
	unsigned int slow;	/* slow requests in flight (atomic) */
	struct stats *stats;	/* --stats: queues, requests served */
	pthread_mutex_t lock;	/* queues' setup results */
	pthread_cond_t cond;
	struct ring_queue *queues;
	sem_t dev_turn;		/* one reader of /dev/fuse at a time */
	uint64_t dev_rest_until;	/* no read before (clock_ns), after a FORGET */
};

/* The entry this thread serves now: its reply goes to the ring. */
static __thread struct ring_entry *ring_current;

/**
 * ring_offered() - whether a request read from /dev/fuse is an INIT that
 * offers FUSE over io_uring (Linux >= 6.14 with the module's enable_uring)
 * @buf, @len:	the request, as read(2) gave it
 */
bool ring_offered(const void *buf, ssize_t len)
{
	const struct fuse_in_header *h = buf;
	struct abi_init_in in;

	if (len < (ssize_t)(sizeof(*h) + sizeof(in)) || h->opcode != FUSE_INIT)
		return false;
	memcpy(&in, h + 1, sizeof(in));
	return (in.flags & ABI_INIT_EXT) && (in.flags2 & ABI_OVER_IO_URING2);
}

/**
 * ring_ask() - make libfuse's INIT reply ask for FUSE over io_uring
 * @iov, @count:	the reply, as libfuse gives it to writev
 *
 * Return: false when the reply is too short to carry flags2
 */
bool ring_ask(struct iovec *iov, int count)
{
	uint8_t *out;
	uint32_t flags, flags2;

	if (count < 2 || iov[1].iov_len < ABI_INIT_OUT_FLAGS2 + sizeof(flags2))
		return false;
	out = iov[1].iov_base;
	memcpy(&flags, out + ABI_INIT_OUT_FLAGS, sizeof(flags));
	memcpy(&flags2, out + ABI_INIT_OUT_FLAGS2, sizeof(flags2));
	flags |= ABI_INIT_EXT;
	flags2 |= ABI_OVER_IO_URING2;
	memcpy(out + ABI_INIT_OUT_FLAGS, &flags, sizeof(flags));
	memcpy(out + ABI_INIT_OUT_FLAGS2, &flags2, sizeof(flags2));
	return true;
}

/* Possible CPUs, as the kernel counts its queues (num_possible_cpus) */
static unsigned int ring_possible_cpus(void)
{
	FILE *f = fopen("/sys/devices/system/cpu/possible", "re");
	unsigned int lo, hi, n = 0;

	if (!f)
		return (unsigned int)sysconf(_SC_NPROCESSORS_CONF);
	while (fscanf(f, "%u", &lo) == 1) {
		int c = fgetc(f);

		hi = lo;
		if (c == '-') {
			if (fscanf(f, "%u", &hi) != 1)
				break;
			c = fgetc(f);
		}
		n += hi - lo + 1;
		if (c != ',')
			break;
	}
	fclose(f);
	return n ? n : 1;
}

static int ring_submit_cmd(struct ring_queue *q, struct ring_entry *e,
			   uint32_t op, uint64_t commit_id)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&q->uring);
	struct ring_cmd *cmd;

	if (!sqe)
		return -EBUSY;
	memset(sqe, 0, 2 * sizeof(*sqe));	/* SQE128 */
	sqe->opcode = IORING_OP_URING_CMD;
	sqe->fd = q->r->dev_fd;
	sqe->cmd_op = op;
	sqe->addr = (uint64_t)(uintptr_t)e->iov;
	sqe->len = 2;
	cmd = (struct ring_cmd *)sqe->cmd;
	cmd->qid = (uint16_t)q->qid;
	cmd->commit_id = commit_id;
	io_uring_sqe_set_data(sqe, e);
	return 0;
}

static int ring_arm_event(struct ring_queue *q)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&q->uring);

	if (!sqe)
		return -EBUSY;
	io_uring_prep_read(sqe, q->event_fd, &q->event_buf,
			   sizeof(q->event_buf), 0);
	io_uring_sqe_set_data64(sqe, RING_EVENT);
	return 0;
}

/* Answer @e's request with @error (-errno) alone. */
static void ring_fail(struct ring_entry *e, int32_t error)
{
	e->hdr.io.out = (struct fuse_out_header){
		.len = sizeof(struct fuse_out_header),
		.error = error,
		.unique = e->hdr.commit_id,
	};
	e->hdr.payload_sz = 0;
	e->replied = true;
}

/* The reply of the request this thread serves, if it is one from the
 * ring: its length, or -1 when it is not (it goes to /dev/fuse). */
static ssize_t ring_reply(const struct iovec *iov, int count)
{
	struct ring_entry *e = ring_current;
	size_t off = 0, len = iov[0].iov_len;
	struct fuse_out_header out;

	if (!e || count < 1 || iov[0].iov_len < sizeof(out))
		return -1;
	memcpy(&out, iov[0].iov_base, sizeof(out));
	if (out.unique != e->hdr.commit_id)
		return -1;	/* not this request's reply */
	e->hdr.io.out = out;
	e->replied = true;
	for (int i = 1; i < count; i++) {
		if (off + iov[i].iov_len > e->q->r->payload_max) {
			/* cannot happen within max_write/max_pages */
			ring_fail(e, -EIO);
			return (ssize_t)len;
		}
		memcpy((uint8_t *)e->iov[1].iov_base + off, iov[i].iov_base,
		       iov[i].iov_len);
		off += iov[i].iov_len;
		len += iov[i].iov_len;
	}
	e->hdr.payload_sz = (uint32_t)off;
	return (ssize_t)len;
}

/**
 * ring_writev() - send a reply libfuse composed: to the ring entry this
 * thread serves, when it serves one, else to /dev/fuse
 * @fd:		/dev/fuse
 * @iov:	the reply as libfuse gives it to writev: fuse_out_header first
 * @count:	the number of pieces
 *
 * Return: as writev(2)
 */
ssize_t ring_writev(int fd, const struct iovec *iov, int count)
{
	ssize_t n = ring_reply(iov, count);

	return n >= 0 ? n : writev(fd, iov, count);
}

/* Hand @e's request to libfuse as read(2) would have; on this thread. */
static void ring_serve(struct ring_entry *e)
{
	struct ring *r = e->q->r;
	uint32_t len = e->hdr.io.in.len, payload = e->hdr.payload_sz;
	uint8_t *start;
	struct fuse_buf fbuf = { 0 };

	e->replied = false;
	if (len < RING_IN_HEADER + payload ||
	    len - RING_IN_HEADER - payload > RING_OP_MAX ||
	    payload > r->payload_max) {
		warn("io_uring: a request of %u bytes with a payload of %u: refused",
		     len, payload);
	} else {
		uint32_t oplen = len - RING_IN_HEADER - payload;

		start = e->buf + RING_FRONT - RING_IN_HEADER - oplen;
		memcpy(start, &e->hdr.io.in, RING_IN_HEADER);
		memcpy(start + RING_IN_HEADER, e->hdr.op_in, oplen);
		fbuf.mem = start;
		fbuf.size = len;
		ring_current = e;
		fuse_session_process_buf(r->se, &fbuf);
		ring_current = NULL;
	}
	if (!e->replied)	/* a request libfuse dropped: the kernel needs an answer */
		ring_fail(e, -EIO);
	__atomic_add_fetch(&e->q->r->stats->ring_requests, 1, __ATOMIC_RELAXED);
}

/* A request that may wait long, on a thread of its own. */
static void *ring_slow_main(void *arg)
{
	struct ring_entry *e = arg;
	struct ring_queue *q = e->q;
	struct ring *r = q->r;

	ring_serve(e);
	pthread_mutex_lock(&q->lock);
	e->next_done = q->done;
	q->done = e;
	pthread_mutex_unlock(&q->lock);
	if (eventfd_write(q->event_fd, 1))
		err_perror(errno, "io_uring: cannot wake queue %u", q->qid);
	/* the last touch: ring_stop() waits for this count */
	__atomic_sub_fetch(&r->slow, 1, __ATOMIC_RELEASE);
	return NULL;
}

static bool ring_is_slow(const struct ring_entry *e)
{
	return e->hdr.io.in.opcode == FUSE_SETLKW;
}

/* Serve @e: here, or on a thread of its own; true when done here. */
static bool ring_dispatch(struct ring_entry *e)
{
	pthread_attr_t attr;
	pthread_t t;
	int ret;

	if (!ring_is_slow(e)) {
		ring_serve(e);
		return true;
	}
	__atomic_add_fetch(&e->q->r->slow, 1, __ATOMIC_ACQUIRE);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	ret = pthread_create(&t, &attr, ring_slow_main, e);
	pthread_attr_destroy(&attr);
	if (ret) {
		__atomic_sub_fetch(&e->q->r->slow, 1, __ATOMIC_RELEASE);
		ring_serve(e);	/* no thread: wait here */
		return true;
	}
	return false;
}

/* The ring of @q, made on its own thread; 0 or -errno. */
static int ring_queue_setup(struct ring_queue *q)
{
	/* The thread that submits a command is the one its completions run
	 * on, and the one whose exit cancels it: every command of this ring
	 * is this thread's (SINGLE_ISSUER), and completions wait for it to
	 * ask for them (DEFER_TASKRUN) instead of interrupting it.  Linux
	 * before 6.1 has neither. */
	static const unsigned int flags[] = {
		IORING_SETUP_SQE128 | IORING_SETUP_CQSIZE |
		IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
		IORING_SETUP_SQE128 | IORING_SETUP_CQSIZE,
	};
	int ret = -EINVAL;

	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]) && ret == -EINVAL; i++) {
		struct io_uring_params p = {
			.flags = flags[i],
			.cq_entries = 4 * RING_ENTRIES,
		};

		ret = io_uring_queue_init_params(2 * RING_ENTRIES + 2, &q->uring, &p);
	}
	if (ret)
		return ret;
	for (int i = 0; i < RING_ENTRIES; i++)
		ring_submit_cmd(q, &q->entries[i], RING_CMD_REGISTER, 0);
	ring_arm_event(q);
	ret = io_uring_submit(&q->uring);
	if (ret < 0) {
		io_uring_queue_exit(&q->uring);
		return ret;
	}
	return 0;
}

static void *ring_main(void *arg)
{
	struct ring_queue *q = arg;
	struct ring *r = q->r;
	unsigned int live = RING_ENTRIES;	/* entries the kernel holds */
	cpu_set_t cpus;
	int ret;

	CPU_ZERO(&cpus);
	CPU_SET(q->qid, &cpus);
	/* an offline CPU cannot be had; its queue then just waits */
	(void)pthread_setaffinity_np(pthread_self(), sizeof(cpus), &cpus);
	ret = ring_queue_setup(q);
	pthread_mutex_lock(&r->lock);
	q->setup = ret ? ret : 1;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
	if (ret)
		return NULL;

	while (live && !__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
		struct io_uring_cqe *cqe;
		unsigned int head, seen = 0;

		ret = io_uring_submit_and_wait(&q->uring, 1);
		if (ret < 0 && ret != -EINTR && ret != -EAGAIN && ret != -EBUSY) {
			err_perror(-ret, "io_uring: queue %u", q->qid);
			break;
		}
		io_uring_for_each_cqe(&q->uring, head, cqe) {
			uint64_t data = io_uring_cqe_get_data64(cqe);
			struct ring_entry *e;

			seen++;
			if (data == RING_EVENT) {
				pthread_mutex_lock(&q->lock);
				e = q->done;
				q->done = NULL;
				pthread_mutex_unlock(&q->lock);
				for (; e; e = e->next_done)
					ring_submit_cmd(q, e, RING_CMD_COMMIT_AND_FETCH,
							e->hdr.commit_id);
				ring_arm_event(q);
				continue;
			}
			e = (struct ring_entry *)(uintptr_t)data;
			if (cqe->res < 0) {
				/* the connection ends (ENOTCONN) or the ring
				 * is torn down: this entry is no longer held */
				live--;
				continue;
			}
			if (ring_dispatch(e))
				ring_submit_cmd(q, e, RING_CMD_COMMIT_AND_FETCH,
						e->hdr.commit_id);
		}
		io_uring_cq_advance(&q->uring, seen);
	}
	io_uring_queue_exit(&q->uring);
	return NULL;
}

static void ring_queue_free(struct ring_queue *q)
{
	if (!q->r)
		return;		/* never set up */
	for (int i = 0; i < RING_ENTRIES; i++)
		free(q->entries[i].buf);
	if (q->event_fd >= 0)
		close(q->event_fd);
	pthread_mutex_destroy(&q->lock);
}

/* @q's buffers and eventfd; its ring is made by its thread.  0 or -errno */
static int ring_queue_alloc(struct ring *r, struct ring_queue *q,
			    unsigned int qid)
{
	q->r = r;
	q->qid = qid;
	pthread_mutex_init(&q->lock, NULL);
	q->event_fd = eventfd(0, EFD_CLOEXEC);
	if (q->event_fd < 0)
		return -errno;
	for (int i = 0; i < RING_ENTRIES; i++) {
		struct ring_entry *e = &q->entries[i];
		void *buf;

		e->q = q;
		if (posix_memalign(&buf, 4096, RING_FRONT + r->payload_max))
			return -ENOMEM;
		e->buf = buf;
		e->iov[0].iov_base = &e->hdr;
		e->iov[0].iov_len = sizeof(e->hdr);
		e->iov[1].iov_base = e->buf + RING_FRONT;
		e->iov[1].iov_len = r->payload_max;
	}
	return 0;
}

/**
 * ring_start() - serve requests over io_uring, one queue per CPU
 * @se:	the session; its INIT reply asked for FUSE_OVER_IO_URING
 * @dev_fd:	its /dev/fuse descriptor
 * @max_io:	max_write and max_pages * page size, as told the kernel
 * @stats:	the counters of queues and of requests served over them
 *
 * Called once INIT is answered: the kernel takes registrations only then.
 *
 * Return: the ring, or NULL (logged; requests keep coming through /dev/fuse)
 */
struct ring *ring_start(struct fuse_session *se, int dev_fd, size_t max_io,
			struct stats *stats)
{
	struct ring *r = calloc(1, sizeof(*r));
	unsigned int i;
	int ret = -ENOMEM;

	if (!r)
		goto fail;
	r->se = se;
	r->dev_fd = dev_fd;
	r->stats = stats;
	/* the kernel wants room for max(8 KiB, max_write, max_pages pages) */
	r->payload_max = max_io > 8192 ? max_io : 8192;
	r->nqueues = ring_possible_cpus();
	r->queues = calloc(r->nqueues, sizeof(*r->queues));
	if (!r->queues)
		goto fail;
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->cond, NULL);
	sem_init(&r->dev_turn, 0, 1);
	for (i = 0; i < r->nqueues; i++)
		r->queues[i].event_fd = -1;
	for (i = 0; i < r->nqueues; i++) {
		ret = ring_queue_alloc(r, &r->queues[i], i);
		if (ret)
			goto fail_queues;
		ret = -pthread_create(&r->queues[i].thread, NULL, ring_main,
				      &r->queues[i]);
		if (ret)
			goto fail_queues;
		r->queues[i].started = true;
	}
	/* each thread makes its ring and registers its entries */
	pthread_mutex_lock(&r->lock);
	for (i = 0; i < r->nqueues; i++) {
		while (!r->queues[i].setup)
			pthread_cond_wait(&r->cond, &r->lock);
		if (r->queues[i].setup < 0 && !ret)
			ret = r->queues[i].setup;
	}
	pthread_mutex_unlock(&r->lock);
	if (ret)
		goto fail_queues;
	__atomic_store_n(&stats->ring_queues, r->nqueues, __ATOMIC_RELAXED);
	return r;

fail_queues:
	ring_stop(r);
	r = NULL;
fail:
	err_perror(-ret, "io_uring: cannot set up the queues; requests go through /dev/fuse");
	free(r);
	return NULL;
}

static void ring_dev_turn_end(void *arg)
{
	struct ring *r = arg;

	sem_post(&r->dev_turn);
}

/**
 * ring_dev_read() - read a request from /dev/fuse
 * @r:		the ring, or NULL before the queues run: then a plain read(2)
 * @fd:		/dev/fuse
 * @buf, @len:	as read(2)
 *
 * While the queues run, one reader at a time, and none within
 * RING_FORGET_REST_NS of a FORGET (see the top of this file).  libfuse
 * ends its workers with pthread_cancel(): the wait for the turn, the rest
 * and the read are all cancellation points, and a cancelled reader hands
 * the turn on.
 *
 * Return: as read(2)
 */
ssize_t ring_dev_read(struct ring *r, int fd, void *buf, size_t len)
{
	const struct fuse_in_header *h = buf;
	struct timespec until;
	ssize_t n;

	if (!r)
		return read(fd, buf, len);
	if (sem_wait(&r->dev_turn))
		return -1;	/* EINTR: libfuse reads again */
	pthread_cleanup_push(ring_dev_turn_end, r);
	if (r->dev_rest_until) {
		until.tv_sec = r->dev_rest_until / NS_PER_SEC;
		until.tv_nsec = r->dev_rest_until % NS_PER_SEC;
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL) == EINTR)
			;
	}
	n = read(fd, buf, len);
	if (n >= (ssize_t)sizeof(*h) &&
	    (h->opcode == FUSE_FORGET || h->opcode == FUSE_BATCH_FORGET))
		r->dev_rest_until = clock_ns() + RING_FORGET_REST_NS;
	pthread_cleanup_pop(1);
	return n;
}

/**
 * ring_stop() - end the queues' threads and free the ring
 * @r:	the ring, or NULL
 *
 * After the session loop ended (the connection is gone or going), and
 * with lock waits told to give up (locks.c), so that requests served on
 * threads of their own end.
 */
void ring_stop(struct ring *r)
{
	const struct timespec ms = { 0, 1000000 };

	if (!r)
		return;
	__atomic_store_n(&r->stop, true, __ATOMIC_RELEASE);
	while (__atomic_load_n(&r->slow, __ATOMIC_ACQUIRE))
		nanosleep(&ms, NULL);
	for (unsigned int i = 0; i < r->nqueues; i++) {
		struct ring_queue *q = &r->queues[i];

		if (q->started) {
			if (eventfd_write(q->event_fd, 1))
				err_perror(errno, "io_uring: cannot stop queue %u", i);
			pthread_join(q->thread, NULL);	/* it ends its ring */
		}
		ring_queue_free(q);
	}
	free(r->queues);
	pthread_cond_destroy(&r->cond);
	pthread_mutex_destroy(&r->lock);
	sem_destroy(&r->dev_turn);
	free(r);
}
