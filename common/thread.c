// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * thread.c - threads that have started by the time their creator goes on
 *
 * A thread only just made by pthread_create() may not yet have done what
 * glibc does at a thread's start, such as registering its rseq area.  A
 * seccomp list installed for all threads (TSYNC) at that moment catches
 * it halfway: the call is refused and glibc aborts the whole process
 * ("rseq registration failed").  A server that sandboxes itself after
 * starting its threads starts them with thread_start().
 */
#include <sched.h>
#include <stdbool.h>

#include "thread.h"

struct thread_start {
	void *(*fn)(void *);
	void *arg;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool running;
};

static void *thread_main(void *p)
{
	struct thread_start *ts = p;
	void *(*fn)(void *) = ts->fn;
	void *arg = ts->arg;

	/* @ts lives on the creator's stack until it has seen this */
	pthread_mutex_lock(&ts->lock);
	ts->running = true;
	pthread_cond_signal(&ts->cond);
	pthread_mutex_unlock(&ts->lock);
	return fn(arg);
}

/**
 * thread_start() - pthread_create(), returning once the thread runs @fn
 * @t:		the thread
 * @cpu:	the only CPU it may run on, from its first instruction; or
 *		-1 for any the process may
 * @fn, @arg:	what it runs
 *
 * Return: 0 or an errno value, as pthread_create(); a CPU that cannot be
 * had fails the start (EINVAL), and no thread is left
 */
int thread_start(pthread_t *t, int cpu, void *(*fn)(void *), void *arg)
{
	struct thread_start ts = {
		.fn = fn, .arg = arg,
		.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER,
	};
	pthread_attr_t attr;
	int e = pthread_attr_init(&attr);

	if (e)
		return e;
	if (cpu >= 0) {
		cpu_set_t one;

		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		e = pthread_attr_setaffinity_np(&attr, sizeof(one), &one);
	}
	if (!e)
		e = pthread_create(t, &attr, thread_main, &ts);
	pthread_attr_destroy(&attr);

	pthread_mutex_lock(&ts.lock);
	while (!e && !ts.running)
		pthread_cond_wait(&ts.cond, &ts.lock);
	pthread_mutex_unlock(&ts.lock);
	pthread_cond_destroy(&ts.cond);
	pthread_mutex_destroy(&ts.lock);
	return e;
}
