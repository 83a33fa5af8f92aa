/* render_common.c: escaping, formatting, and bucketing history.jsonl. */
#include "render.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

const char *fd_jstr(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

double fd_jnum(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

const char *fd_verdict_class(const char *verdict)
{
    static const char *const known[] = {"pass", "fail", "error", "aborted", "heal_failed", NULL};
    for (size_t i = 0; known[i]; i++)
        if (strcmp(verdict, known[i]) == 0)
            return known[i];
    return "unknown";
}

long long fd_jindex1(const json_t *o)
{
    long long i = (long long)json_integer_value(json_object_get(o, "index"));
    return i < LLONG_MAX ? i + 1 : i;
}

bool fd_fmt_utc(char *out, size_t n, double unix_s, char sep)
{
    if (n)
        out[0] = '\0';
    /* a report can hold any number: only years 1 to 9999 are converted */
    if (!(unix_s > -62135596800.0 && unix_s < 253402300800.0))
        return false;
    time_t t = (time_t)unix_s;
    struct tm tm = {0};
    if (!gmtime_r(&t, &tm))
        return false;
    return strftime(out, n, sep == 'T' ? "%Y-%m-%dT%H:%M:%S" : "%Y-%m-%d %H:%M:%S", &tm) > 0;
}

void fd_join_strings(fd_buf *b, const json_t *strings, const char *sep,
                     void (*esc)(fd_buf *, const char *))
{
    size_t i;
    const json_t *v;
    json_array_foreach(strings, i, v)
    {
        if (i)
            fd_buf_puts(b, sep);
        esc(b, json_string_value(v) ? json_string_value(v) : "");
    }
}

void fd_fault_skew_words(fd_buf *b, const json_t *fault)
{
    static const char *const keys[] = {"apply_skew", "heal_skew"};
    size_t before = b->len;
    bool controller = false;
    for (int k = 0; k < 2; k++) {
        const json_t *s = json_object_get(fault, keys[k]);
        double v = fd_jnum(s, "skew_s");
        if (json_integer_value(json_object_get(s, "hosts")) < 2 || isnan(v))
            continue;
        fd_buf_printf(b, "%s%s %.0f ms", b->len > before ? ", " : "", k ? "heal" : "apply",
                      v * 1000.0);
        controller |= fd_str_eq(fd_jstr(s, "clock"), "controller");
    }
    if (b->len == before)
        fd_buf_puts(b, "-");
    else if (controller)
        fd_buf_puts(b, " (by the controller's clock)");
}

void fd_esc_html(fd_buf *b, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '&':
            fd_buf_puts(b, "&amp;");
            break;
        case '<':
            fd_buf_puts(b, "&lt;");
            break;
        case '>':
            fd_buf_puts(b, "&gt;");
            break;
        case '"':
            fd_buf_puts(b, "&quot;");
            break;
        case '\'':
            fd_buf_puts(b, "&#39;");
            break;
        default:
            if (*p < 0x20 && *p != '\n' && *p != '\t')
                fd_buf_puts(b, "?"); /* not allowed in XML 1.0 */
            else
                fd_buf_append(b, p, 1);
        }
    }
}

void fd_esc_md(fd_buf *b, const char *s)
{
    for (const char *p = s; *p; p++) {
        if (*p == '\n' || *p == '\r')
            fd_buf_puts(b, " ");
        else if (*p == '<')
            fd_buf_puts(b, "&lt;");
        else if (*p == '>')
            fd_buf_puts(b, "&gt;");
        else if (*p == '&')
            fd_buf_puts(b, "&amp;");
        else if (strchr("|\\`*_[]#~!", *p)) {
            fd_buf_puts(b, "\\");
            fd_buf_append(b, p, 1);
        } else
            fd_buf_append(b, p, 1);
    }
}

void fd_fmt_seconds(fd_buf *b, const json_t *v)
{
    if (!json_is_number(v)) {
        fd_buf_puts(b, "-");
        return;
    }
    double s = json_number_value(v);
    if (s < 1.0 && s > 0)
        fd_buf_printf(b, "%.0f ms", s * 1000.0);
    else
        fd_buf_printf(b, "%.2f s", s);
}

void fd_fmt_failover(fd_buf *b, const json_t *probe)
{
    const json_t *v = json_object_get(probe, "failover_time_s");
    const json_t *outages = json_object_get(probe, "outages");
    if (json_is_number(v) && json_number_value(v) == 0 && json_array_size(outages) == 0)
        fd_buf_puts(b, "no outage observed");
    else
        fd_fmt_seconds(b, v);
}

static bool is_seconds(const char *metric)
{
    return strcmp(metric, "failover_time") == 0 || strncmp(metric, "latency_", 8) == 0 ||
           strcmp(metric, "rpo") == 0 || strcmp(metric, "rto") == 0 ||
           strcmp(metric, "backup_age") == 0 || strcmp(metric, "archive_lag") == 0 ||
           strcmp(metric, "replica_lag") == 0 || strcmp(metric, "time_to_alert") == 0 ||
           strcmp(metric, "time_to_resolve") == 0;
}

bool fd_fmt_labels(fd_buf *b, const json_t *labels, const char *skip)
{
    const char *k;
    json_t *v;
    bool first = true;
    json_object_foreach((json_t *)labels, k, v)
    {
        if (skip && strcmp(k, skip) == 0)
            continue;
        fd_buf_printf(b, "%s%s=\"%s\"", first ? "{" : ", ", k, json_string_value(v) ?: "");
        first = false;
    }
    if (!first)
        fd_buf_puts(b, "}");
    return !first;
}

void fd_alert_words(fd_buf *b, const char *name, const json_t *labels)
{
    fd_buf l;
    fd_buf_init(&l, 2048);
    fd_buf_puts(b, name);
    if (fd_fmt_labels(&l, labels, "alertname"))
        fd_buf_printf(b, " %s", l.data);
    fd_buf_free(&l);
}

const char *fd_check_subject(const json_t *check)
{
    return *fd_jstr(check, "probe")  ? fd_jstr(check, "probe")
           : *fd_jstr(check, "step") ? fd_jstr(check, "step")
                                     : fd_jstr(check, "alert");
}

void fd_fmt_metric(fd_buf *b, const char *metric, const json_t *v)
{
    if (!json_is_number(v)) {
        fd_buf_puts(b, "not measured");
        return;
    }
    double x = json_number_value(v);
    if (is_seconds(metric))
        fd_fmt_seconds(b, v);
    else if (strcmp(metric, "availability") == 0)
        fd_buf_printf(b, "%.2f%%", x * 100.0);
    else if (strncmp(metric, "value_", 6) == 0)
        fd_buf_printf(b, "%.6g", x); /* a prometheus probe's number, as it came */
    else
        fd_buf_printf(b, "%.0f", x);
}

void fd_fmt_limit(fd_buf *b, const char *metric, double limit)
{
    json_t *v = json_real(limit);
    fd_fmt_metric(b, metric, v);
    json_decref(v);
}

static void timeline_init(double duration_s, const json_t *report, fd_timeline_data *t)
{
    memset(t, 0, sizeof *t);
    t->duration_s = duration_s > 0 && isfinite(duration_s) ? duration_s : 1.0;
    const json_t *probes = json_object_get(report, "probes");
    t->nprobes = json_array_size(probes);
    t->probes = fd_xcalloc(t->nprobes ? t->nprobes : 1, sizeof *t->probes);
    for (size_t i = 0; i < t->nprobes; i++) {
        t->probes[i].name = fd_strdup(fd_jstr(json_array_get(probes, i), "name"));
        t->probes[i].measures = json_object_get(json_array_get(probes, i), "values") != NULL;
    }
}

/* A measuring probe's number in an operation line ("value":0.25), if finite. */
static bool op_value(const char *line, size_t n, double *v)
{
    static const char key[] = "\"value\":";
    const char *k = memmem(line, n, key, sizeof key - 1);
    if (!k)
        return false;
    char num[64];
    size_t at = (size_t)(k - line) + sizeof key - 1, len = 0;
    while (at + len < n && len < sizeof num - 1 && strchr("0123456789.eE+-", line[at + len]))
        len++;
    memcpy(num, line + at, len);
    num[len] = '\0';
    char *end;
    *v = strtod(num, &end);
    return len && !*end && isfinite(*v);
}

/* The fields of an operation line as firedrill writes them, read in place: a
 * history of millions of operations is read in seconds. Returns false for any line of
 * another shape, which then goes through jansson. */
static bool fast_op(const char *line, size_t n, char *probe, size_t probe_cap, double *start,
                    double *end, char *outcome)
{
    static const char prefix[] = "{\"t\":\"op\",\"probe\":\"";
    const size_t plen = sizeof prefix - 1;
    if (n < plen || strncmp(line, prefix, plen) != 0)
        return false;
    const char *p = line + plen, *q = memchr(p, '"', n - plen);
    if (!q || (size_t)(q - p) >= probe_cap || memchr(p, '\\', (size_t)(q - p)))
        return false;
    memcpy(probe, p, (size_t)(q - p));
    probe[q - p] = '\0';
    static const char k_start[] = "\"start_s\":", k_end[] = "\"end_s\":",
                      k_out[] = "\"outcome\":\"";
    const char *ss = memmem(q, n - (size_t)(q - line), k_start, sizeof k_start - 1);
    const char *es = ss ? memmem(ss, n - (size_t)(ss - line), k_end, sizeof k_end - 1) : NULL;
    const char *os = es ? memmem(es, n - (size_t)(es - line), k_out, sizeof k_out - 1) : NULL;
    if (!os || (size_t)(os - line) + sizeof k_out > n)
        return false;
    char *e1 = NULL, *e2 = NULL;
    *start = strtod(ss + sizeof k_start - 1, &e1);
    *end = strtod(es + sizeof k_end - 1, &e2);
    if (e1 == ss + sizeof k_start - 1 || e2 == es + sizeof k_end - 1)
        return false;
    *outcome = os[sizeof k_out - 1]; /* o(k), f(ail), u(nknown) */
    return true;
}

static void timeline_add(fd_timeline_data *t, const char *line, size_t n)
{
    if (n < 12 || (strncmp(line, "{\"t\":\"op\"", 11) != 0 && !memmem(line, n, "\"t\":\"op\"", 8)))
        return;
    char probe_buf[128], oc = 0;
    double start = NAN, end = NAN;
    json_t *o = NULL;
    const char *probe;
    if (fast_op(line, n, probe_buf, sizeof probe_buf, &start, &end, &oc)) {
        probe = probe_buf;
    } else {
        o = json_loadb(line, n, 0, NULL);
        if (!o)
            return;
        probe = fd_jstr(o, "probe");
        start = fd_jnum(o, "start_s");
        end = fd_jnum(o, "end_s");
        const char *out = fd_jstr(o, "outcome");
        oc = strcmp(out, "ok") == 0 ? 'o' : strcmp(out, "unknown") == 0 ? 'u' : 'f';
    }
    fd_probe_buckets *pb = NULL;
    for (size_t i = 0; i < t->nprobes && !pb; i++)
        if (strcmp(t->probes[i].name, probe) == 0)
            pb = &t->probes[i];
    if (pb && isfinite(start)) {
        double pos = start / t->duration_s * FD_BUCKETS;
        long k = pos < 0 ? 0 : pos >= FD_BUCKETS ? FD_BUCKETS - 1 : (long)pos;
        fd_bucket *bk = &pb->b[k];
        double v;
        if (oc == 'o' && pb->measures && op_value(line, n, &v)) {
            bk->value_sum += v;
            bk->values++;
        }
        if (oc == 'o') {
            bk->ok++;
            double ms = isfinite(end) ? (end - start) * 1000.0 : 0;
            bk->lat_sum_ms += ms;
            if (ms > bk->lat_max_ms)
                bk->lat_max_ms = ms;
        } else if (oc == 'u') {
            bk->unknown++;
        } else {
            bk->fail++;
        }
        t->ops++;
    }
    json_decref(o);
}

void fd_timeline_read(FILE *f, double duration_s, const json_t *report, fd_timeline_data *t)
{
    timeline_init(duration_s, report, t);
    /* big blocks split on newlines: no per-line allocation or stdio locking */
    size_t cap = (size_t)4 << 20, len = 0;
    char *buf = fd_xmalloc(cap + 1);
    for (;;) {
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        size_t start = 0;
        for (;;) {
            char *nl = memchr(buf + start, '\n', len - start);
            if (!nl)
                break;
            size_t end = (size_t)(nl - buf);
            timeline_add(t, buf + start, end - start);
            start = end + 1;
        }
        memmove(buf, buf + start, len - start);
        len -= start;
        if (got == 0) {
            if (len)
                timeline_add(t, buf, len); /* a last line without a newline */
            break;
        }
        if (len == cap) {
            /* a line longer than the buffer: it cannot be an operation; skip it */
            len = 0;
        }
    }
    free(buf);
}

/* A gzip file read through stdio, for the readers of history.jsonl. */
static ssize_t gz_read(void *cookie, char *buf, size_t n)
{
    int got = gzread((gzFile)cookie, buf, n > (size_t)INT_MAX ? (unsigned)INT_MAX : (unsigned)n);
    return got < 0 ? -1 : got;
}

static int gz_close(void *cookie)
{
    return gzclose((gzFile)cookie) == Z_OK ? 0 : -1;
}

FILE *fd_history_fopen(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f || errno != ENOENT)
        return f;
    char *gz = fd_asprintf("%s.gz", path);
    gzFile z = gzopen(gz, "rb");
    free(gz);
    if (!z)
        return NULL;
    gzbuffer(z, 1 << 20);
    cookie_io_functions_t io = {.read = gz_read, .close = gz_close};
    f = fopencookie(z, "r", io);
    if (!f)
        gzclose(z);
    return f;
}

bool fd_timeline_load(const char *history_path, double duration_s, const json_t *report,
                      fd_timeline_data *t, char **err)
{
    FILE *f = fd_history_fopen(history_path);
    if (!f) {
        timeline_init(duration_s, report, t);
        *err = fd_asprintf("cannot read %s", history_path);
        return false;
    }
    fd_timeline_read(f, duration_s, report, t);
    fclose(f);
    return true;
}

void fd_timeline_free(fd_timeline_data *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->nprobes; i++)
        free(t->probes[i].name);
    free(t->probes);
    memset(t, 0, sizeof *t);
}

void fd_backup_source(fd_buf *b, const json_t *backup, void (*esc)(fd_buf *, const char *))
{
    if (*fd_jstr(backup, "tool")) {
        esc(b, fd_jstr(backup, "tool"));
        fd_buf_puts(b, " ");
        esc(b, fd_jstr(backup, "label"));
    } else {
        esc(b, fd_jstr(backup, "artifact"));
    }
}

void fd_backup_digest(fd_buf *b, const json_t *backup, void (*esc)(fd_buf *, const char *))
{
    if (*fd_jstr(backup, "sha256")) {
        fd_buf_puts(b, "sha256 ");
        esc(b, fd_jstr(backup, "sha256"));
    } else if (*fd_jstr(backup, "lsn_stop")) {
        fd_buf_puts(b, "LSN ");
        esc(b, fd_jstr(backup, "lsn_stop"));
    } else if (*fd_jstr(backup, "log_position")) {
        fd_buf_puts(b, "binlog ");
        esc(b, fd_jstr(backup, "log_position"));
    } else {
        fd_buf_puts(b, "-");
    }
}

void fd_restore_target(fd_buf *b, const json_t *restore, void (*esc)(fd_buf *, const char *))
{
    const char *t = fd_jstr(restore, "recovery_target");
    char when[32];
    if (strcmp(t, "before") == 0) {
        fd_buf_puts(b, "just before ");
        esc(b, fd_jstr(restore, "before"));
    } else if (strcmp(t, "time") == 0 &&
               fd_fmt_utc(when, sizeof when, fd_jnum(restore, "target_unix"), 'T')) {
        fd_buf_printf(b, "%sZ", when);
    } else if (strcmp(t, "latest") == 0) {
        fd_buf_puts(b, "latest (all the archive holds)");
    } else {
        fd_buf_puts(b, "as the restore command chooses");
    }
}

void fd_archive_lag(fd_buf *b, const json_t *lag, void (*esc)(fd_buf *, const char *))
{
    fd_fmt_seconds(b, json_object_get(lag, "lag_s"));
    const json_t *bytes = json_object_get(lag, "lag_bytes");
    if (json_is_integer(bytes))
        fd_buf_printf(b, " (%lld bytes)", (long long)json_integer_value(bytes));
    fd_buf_puts(b, " behind: archive at ");
    esc(b, fd_jstr(lag, "archive_position"));
    fd_buf_puts(b, ", primary at ");
    esc(b, fd_jstr(lag, "primary_position"));
}

void fd_host_path(fd_buf *b, const json_t *o, const char *host, const char *path,
                  void (*esc)(fd_buf *, const char *))
{
    esc(b, fd_jstr(o, host));
    fd_buf_puts(b, ":");
    esc(b, fd_jstr(o, path));
}
