/* fanout.h: run a function for each of n items on up to `parallel` threads, so that
 * work on many hosts takes about as long as the slowest host. */
#ifndef FD_FANOUT_H
#define FD_FANOUT_H

#include <stddef.h>

typedef void (*fd_fanout_fn)(size_t index, void *arg);

/* Calls fn(i, arg) for i in [0, n), concurrently, and returns when all are done.
 * parallel 0 means one thread per item (capped at 256). */
void fd_fanout(size_t n, size_t parallel, fd_fanout_fn fn, void *arg);

#endif
