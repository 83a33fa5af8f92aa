/* fanout.c: a fixed set of worker threads pulling item indexes from a shared counter. */
#include "fanout.h"
#include "util.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct job {
    atomic_size_t next;
    size_t n;
    fd_fanout_fn fn;
    void *arg;
} job;

static void *worker(void *p)
{
    job *j = p;
    for (;;) {
        size_t i = atomic_fetch_add(&j->next, 1);
        if (i >= j->n)
            break;
        j->fn(i, j->arg);
    }
    return NULL;
}

void fd_fanout(size_t n, size_t parallel, fd_fanout_fn fn, void *arg)
{
    if (n == 0)
        return;
    job j = {.n = n, .fn = fn, .arg = arg};
    atomic_init(&j.next, 0);
    size_t threads = parallel ? parallel : n;
    if (threads > n)
        threads = n;
    if (threads > 256)
        threads = 256;
    if (threads == 1) {
        worker(&j);
        return;
    }
    pthread_t *tids = fd_xcalloc(threads, sizeof *tids);
    bool *started = fd_xcalloc(threads, sizeof *started);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, (size_t)512 << 10);
    for (size_t i = 0; i < threads; i++)
        started[i] = pthread_create(&tids[i], &attr, worker, &j) == 0;
    pthread_attr_destroy(&attr);
    /* If no thread could start, do the work here rather than not at all. */
    bool any = false;
    for (size_t i = 0; i < threads; i++)
        any |= started[i];
    if (!any)
        worker(&j);
    for (size_t i = 0; i < threads; i++)
        if (started[i])
            pthread_join(tids[i], NULL);
    free(started);
    free(tids);
}
