/* history.h: history.jsonl, one JSON object per line, written as things happen.
 * Times are seconds since the run's monotonic start (anchored to started_at_unix). */
#ifndef FD_HISTORY_H
#define FD_HISTORY_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct fd_vars;

/* Lines are queued by the threads that make them and written by the history's own
 * writer thread, so that a slow write to the disk never holds a probe back. */
typedef struct fd_history {
    FILE *f;
    pthread_mutex_t lock;
    pthread_cond_t more; /* the writer: lines to write, a flush wanted, or the end */
    pthread_cond_t done; /* the others: lines written and flushed, room in the queue */
    char **q;            /* lines waiting for the writer */
    size_t nq, capq, qbytes;
    uint64_t queued, flushed; /* lines queued, lines written and flushed, since the start */
    bool flush_wanted, stopping, writing;
    pthread_t writer;
    int64_t t0_us;                /* monotonic time of the run's start */
    FILE *echo_events;            /* when set, events are also written there (--json) */
    const struct fd_vars *redact; /* when set, secrets in every string value become *** */
} fd_history;

struct fd_vars;
/* Replaces every secret in the string values of v (recursively) with ***. */
void fd_json_redact(json_t *v, const struct fd_vars *vars);

int fd_history_open(fd_history *h, const char *path, int64_t t0_us);
/* Seconds since the start for a monotonic time. */
double fd_history_at(const fd_history *h, int64_t mono_us);
/* Writes {"t":"event","at_s":..,"event":name, ...fields}; takes ownership of fields
 * (may be NULL). */
void fd_history_event(fd_history *h, const char *name, json_t *fields);
/* Writes an object as one line; takes ownership of it. */
void fd_history_write(fd_history *h, json_t *obj);
/* Returns once every line written before the call is in the file. */
void fd_history_flush(fd_history *h);
/* Writes what is queued and closes the file. */
void fd_history_close(fd_history *h);

/* A history larger than this is compressed when its run ends (history.jsonl.gz). */
#define FD_HISTORY_GZ_BYTES ((long long)16 << 20)
/* Writes PATH.gz (created exclusively, never through a link) from PATH, then removes
 * PATH. On failure PATH stays and any partial PATH.gz is removed: false with *err
 * (caller frees). */
bool fd_history_compress(const char *path, char **err);

#endif
