/* history.c: the run's JSON-lines log. */
#include "history.h"
#include "subst.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

/* Operations wait at most this long, or until this many bytes wait, in the queue;
 * events are written at once. */
#define FD_HISTORY_BATCH_US 20000
#define FD_HISTORY_BATCH_BYTES ((size_t)1 << 20)
/* Past this many bytes waiting (a disk far slower than the probes), the threads that
 * write lines wait for room: memory stays bounded, and a probe held back counts its
 * missed slots. */
#define FD_HISTORY_QUEUE_BYTES ((size_t)64 << 20)

static void deadline_in(struct timespec *ts, int64_t us)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += us / 1000000;
    ts->tv_nsec += (long)(us % 1000000) * 1000;
    if (ts->tv_nsec >= 1000000000) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000;
    }
}

/* The writer: takes the whole queue at once and writes it outside the lock; flushes
 * when asked (an event, fd_history_flush) and otherwise every FD_HISTORY_BATCH_US. */
static void *writer_main(void *arg)
{
    fd_history *h = arg;
    char **batch = NULL;
    size_t capbatch = 0;
    pthread_mutex_lock(&h->lock);
    for (;;) {
        struct timespec ts;
        deadline_in(&ts, FD_HISTORY_BATCH_US);
        while (!h->flush_wanted && !h->stopping && h->qbytes < FD_HISTORY_BATCH_BYTES)
            if (pthread_cond_timedwait(&h->more, &h->lock, &ts) == ETIMEDOUT)
                break;
        if (h->nq == 0 && h->stopping)
            break;
        char **lines = h->q;
        size_t n = h->nq, caplines = h->capq;
        h->q = batch;
        h->capq = capbatch;
        h->nq = h->qbytes = 0;
        bool flush = h->flush_wanted || n > 0;
        h->flush_wanted = false;
        uint64_t upto = h->queued;
        pthread_cond_broadcast(&h->done); /* room in the queue again */
        pthread_mutex_unlock(&h->lock);
        for (size_t i = 0; i < n; i++) {
            fputs(lines[i], h->f);
            fputc('\n', h->f);
            free(lines[i]);
        }
        if (flush)
            fflush(h->f);
        batch = lines;
        capbatch = caplines;
        pthread_mutex_lock(&h->lock);
        h->flushed = upto;
        pthread_cond_broadcast(&h->done);
    }
    pthread_mutex_unlock(&h->lock);
    free(batch);
    return NULL;
}

int fd_history_open(fd_history *h, const char *path, int64_t t0_us)
{
    h->t0_us = t0_us;
    pthread_mutex_init(&h->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&h->more, &ca);
    pthread_condattr_destroy(&ca);
    pthread_cond_init(&h->done, NULL);
    h->f = fd_create_excl(path); /* a new file in a new run directory */
    if (!h->f)
        return -1;
    if (pthread_create(&h->writer, NULL, writer_main, h) != 0) {
        fclose(h->f);
        h->f = NULL;
        return -1;
    }
    h->writing = true;
    return 0;
}

double fd_history_at(const fd_history *h, int64_t mono_us)
{
    return (double)(mono_us - h->t0_us) / 1e6;
}

void fd_json_redact(json_t *v, const fd_vars *vars)
{
    if (!v || !vars || vars->secret_values.n == 0)
        return;
    if (json_is_string(v)) {
        char *red = fd_redact(vars, json_string_value(v));
        if (strcmp(red, json_string_value(v)) != 0)
            json_string_set(v, red);
        free(red);
    } else if (json_is_object(v)) {
        const char *k;
        json_t *x;
        json_object_foreach(v, k, x) fd_json_redact(x, vars);
    } else if (json_is_array(v)) {
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x) fd_json_redact(x, vars);
    }
}

static void write_line(fd_history *h, json_t *obj, bool flush_now)
{
    fd_json_redact(obj, h->redact);
    char *line = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
    json_decref(obj);
    if (!line)
        return;
    size_t len = strlen(line) + 1;
    pthread_mutex_lock(&h->lock);
    while (h->writing && !h->stopping && h->qbytes > FD_HISTORY_QUEUE_BYTES)
        pthread_cond_wait(&h->done, &h->lock);
    if (!h->writing || h->stopping) {
        pthread_mutex_unlock(&h->lock);
        free(line);
        return;
    }
    if (h->nq == h->capq) {
        h->capq = h->capq ? h->capq * 2 : 1024;
        h->q = fd_xrealloc(h->q, h->capq * sizeof *h->q);
    }
    h->q[h->nq++] = line;
    h->qbytes += len;
    h->queued++;
    if (flush_now)
        h->flush_wanted = true;
    if (flush_now || h->qbytes >= FD_HISTORY_BATCH_BYTES)
        pthread_cond_signal(&h->more);
    pthread_mutex_unlock(&h->lock);
}

void fd_history_write(fd_history *h, json_t *obj)
{
    write_line(h, obj, false);
}

void fd_history_event(fd_history *h, const char *name, json_t *fields)
{
    json_t *o = json_object();
    json_object_set_new(o, "t", json_string("event"));
    json_object_set_new(o, "at_s", json_real(fd_history_at(h, fd_mono_us())));
    json_object_set_new(o, "event", json_string(name));
    if (fields) {
        json_object_update(o, fields);
        json_decref(fields);
    }
    if (h->echo_events) {
        fd_json_redact(o, h->redact);
        char *line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
        if (line) {
            /* one call, so that the line stays whole (stdio locks the stream for it) */
            fprintf(h->echo_events, "%s\n", line);
            fflush(h->echo_events);
            free(line);
        }
    }
    write_line(h, o, true);
}

void fd_history_flush(fd_history *h)
{
    pthread_mutex_lock(&h->lock);
    uint64_t upto = h->queued;
    h->flush_wanted = true;
    pthread_cond_signal(&h->more);
    while (h->writing && h->flushed < upto)
        pthread_cond_wait(&h->done, &h->lock);
    pthread_mutex_unlock(&h->lock);
}

void fd_history_close(fd_history *h)
{
    pthread_mutex_lock(&h->lock);
    bool writing = h->writing;
    h->stopping = true;
    pthread_cond_signal(&h->more);
    pthread_mutex_unlock(&h->lock);
    if (writing)
        pthread_join(h->writer, NULL);
    h->writing = false;
    free(h->q);
    h->q = NULL;
    h->nq = h->capq = h->qbytes = 0;
    if (h->f)
        fclose(h->f);
    h->f = NULL;
    pthread_cond_destroy(&h->more);
    pthread_cond_destroy(&h->done);
    pthread_mutex_destroy(&h->lock);
}

bool fd_history_compress(const char *path, char **err)
{
    char *gz = fd_asprintf("%s.gz", path);
    FILE *in = fopen(path, "rb");
    int fd = in ? open(gz, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644) : -1;
    gzFile z = fd >= 0 ? gzdopen(fd, "wb1") : NULL; /* speed: a 4-hour history is GBs */
    bool ok = z != NULL;
    if (!ok)
        *err = fd_asprintf("cannot compress %s: %s", path, strerror(errno));
    char *buf = fd_xmalloc((size_t)1 << 20);
    size_t n;
    while (ok && (n = fread(buf, 1, (size_t)1 << 20, in)) > 0) {
        if (gzwrite(z, buf, (unsigned)n) != (int)n) {
            int zerr;
            *err = fd_asprintf("cannot write %s: %s", gz, gzerror(z, &zerr));
            ok = false;
        }
    }
    if (ok && ferror(in)) {
        *err = fd_asprintf("cannot read %s: %s", path, strerror(errno));
        ok = false;
    }
    free(buf);
    if (z && gzclose(z) != Z_OK && ok) {
        *err = fd_asprintf("cannot write %s", gz);
        ok = false;
    } else if (!z && fd >= 0) {
        close(fd);
    }
    if (in)
        fclose(in);
    if (ok)
        unlink(path);
    else if (fd >= 0)
        unlink(gz); /* ours: created exclusively above */
    free(gz);
    return ok;
}
