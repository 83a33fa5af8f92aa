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

typedef struct fd_history {
    FILE *f;
    pthread_mutex_t lock;
    int64_t t0_us;     /* monotonic time of the run's start */
    FILE *echo_events; /* when set, events are also written there (--json) */
    int64_t last_flush_us;
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
void fd_history_close(fd_history *h);

/* A history larger than this is compressed when its run ends (history.jsonl.gz). */
#define FD_HISTORY_GZ_BYTES ((long long)16 << 20)
/* Writes PATH.gz (created exclusively, never through a link) from PATH, then removes
 * PATH. On failure PATH stays and any partial PATH.gz is removed: false with *err
 * (caller frees). */
bool fd_history_compress(const char *path, char **err);

#endif
