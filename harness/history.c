/* history.c: the run's JSON-lines log. */
#include "history.h"
#include "subst.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

int fd_history_open(fd_history *h, const char *path, int64_t t0_us)
{
    h->t0_us = t0_us;
    pthread_mutex_init(&h->lock, NULL);
    h->f = fd_create_excl(path); /* a new file in a new run directory */
    return h->f ? 0 : -1;
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

/* Operations are flushed at most every 100 ms (a fast probe must not pay a write
 * system call per operation); events are flushed at once. */
static void write_line(fd_history *h, json_t *obj, bool flush_now)
{
    fd_json_redact(obj, h->redact);
    char *line = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
    json_decref(obj);
    if (!line)
        return;
    pthread_mutex_lock(&h->lock);
    if (h->f) {
        fputs(line, h->f);
        fputc('\n', h->f);
        int64_t now = fd_mono_us();
        if (flush_now || now - h->last_flush_us > 100000) {
            fflush(h->f);
            h->last_flush_us = now;
        }
    }
    pthread_mutex_unlock(&h->lock);
    free(line);
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
            pthread_mutex_lock(&h->lock);
            fputs(line, h->echo_events);
            fputc('\n', h->echo_events);
            fflush(h->echo_events);
            pthread_mutex_unlock(&h->lock);
            free(line);
        }
    }
    write_line(h, o, true);
}

void fd_history_close(fd_history *h)
{
    if (h->f)
        fclose(h->f);
    h->f = NULL;
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
