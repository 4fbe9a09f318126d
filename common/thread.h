/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * thread.h - threads that have started by the time their creator goes on
 */
#ifndef HK_THREAD_H
#define HK_THREAD_H

#include <pthread.h>

int thread_start(pthread_t *t, int cpu, void *(*fn)(void *), void *arg);

#endif /* HK_THREAD_H */
