/* probe_prometheus.c: the prometheus probe: an instant PromQL query per operation
 * through the HTTP API (GET URL/api/v1/query), with libcurl and jansson. Its value is
 * the answer's scalar, or the one series of the vector chosen by `labels`. An error
 * answer, an empty result or a choice of series that is not exactly one is a failed
 * operation, with Prometheus's own words. */
#include "curlutil.h"
#include "probe.h"
#include "render.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct fd_probe_client {
    const fd_probe *p;
    CURL *h;
    struct curl_slist *headers;
    char *url; /* the whole request: the query escaped, the probe's timeout */
};

/* Prometheus's sample values are strings: a decimal, or NaN, +Inf, -Inf. */
static bool sample_value(const json_t *pair, double *v)
{
    const char *s = json_string_value(json_array_get(pair, 1));
    if (!s)
        return false;
    if (strcmp(s, "NaN") == 0)
        *v = NAN;
    else if (strcmp(s, "+Inf") == 0)
        *v = INFINITY;
    else if (strcmp(s, "-Inf") == 0)
        *v = -INFINITY;
    else {
        char *end;
        *v = strtod(s, &end);
        return end != s && !*end;
    }
    return true;
}

static bool series_matches(const json_t *metric, const fd_kv *labels, size_t nlabels)
{
    for (size_t i = 0; i < nlabels; i++) {
        const char *v = json_string_value(json_object_get(metric, labels[i].key));
        if (!v || strcmp(v, labels[i].value) != 0)
            return false;
    }
    return true;
}

/* The series of a vector result, as {a="x", b="y"} ({} for none), for messages. */
static void describe_series(fd_buf *b, const json_t *metric)
{
    if (!fd_fmt_labels(b, metric, NULL))
        fd_buf_puts(b, "{}");
}

static bool vector_value(const json_t *result, const fd_kv *labels, size_t nlabels, double *value,
                         char **error)
{
    size_t i, matched = 0, n = json_array_size(result);
    json_t *s, *chosen = NULL;
    json_array_foreach(result, i, s)
    {
        if (series_matches(json_object_get(s, "metric"), labels, nlabels)) {
            matched++;
            chosen = s;
        }
    }
    if (n == 0) {
        *error = fd_strdup("empty result: no series matched the query");
        return false;
    }
    if (matched != 1) {
        fd_buf b;
        fd_buf_init(&b, 2048);
        fd_buf_printf(&b, "%zu of the %zu series %s; ", matched, n,
                      nlabels ? "have the probe's labels" : "in the result");
        fd_buf_puts(&b, matched ? "choose one with 'labels' or aggregate in the query"
                                : "the result has");
        for (size_t k = 0; !matched && k < n && k < 3; k++) {
            fd_buf_puts(&b, k ? ", " : " ");
            describe_series(&b, json_object_get(json_array_get(result, k), "metric"));
        }
        *error = fd_buf_steal(&b);
        return false;
    }
    if (!sample_value(json_object_get(chosen, "value"), value)) {
        *error = fd_strdup("the series has no sample value");
        return false;
    }
    return true;
}

bool fd_prom_value(const char *body, size_t len, const fd_kv *labels, size_t nlabels, double *value,
                   bool *invalid, char **error)
{
    *invalid = false;
    json_error_t je;
    json_t *j = json_loadb(body ? body : "", len, 0, &je);
    const char *status = json_string_value(json_object_get(j, "status"));
    bool ok = false;
    if (!j || !status) {
        *error = fd_strdup("the answer is not a Prometheus API response");
    } else if (strcmp(status, "success") != 0) {
        const char *type = json_string_value(json_object_get(j, "errorType"));
        const char *msg = json_string_value(json_object_get(j, "error"));
        *invalid = type && strcmp(type, "bad_data") == 0;
        *error = fd_asprintf("%s: %s", type ? type : "error", msg ? msg : "(no message)");
    } else {
        json_t *data = json_object_get(j, "data");
        const char *rt = json_string_value(json_object_get(data, "resultType"));
        json_t *result = json_object_get(data, "result");
        if (rt && strcmp(rt, "scalar") == 0) {
            ok = sample_value(result, value);
            if (!ok)
                *error = fd_strdup("the scalar has no value");
        } else if (rt && strcmp(rt, "vector") == 0) {
            ok = vector_value(result, labels, nlabels, value, error);
        } else {
            *invalid = rt && strcmp(rt, "matrix") == 0;
            *error = fd_asprintf("the query gives a %s; a probe reads an instant vector or a "
                                 "scalar",
                                 rt ? rt : "result of no type");
        }
    }
    json_decref(j);
    return ok;
}

static fd_probe_client *prom_open(const fd_probe *p, const fd_probe_env *env)
{
    (void)env;
    fd_probe_client *c = fd_xcalloc(1, sizeof *c);
    c->p = p;
    c->h = curl_easy_init();
    c->headers = fd_http_headers(p->headers, p->nheaders);
    char *q = curl_easy_escape(c->h, p->query, 0);
    /* Prometheus gives up on the query at the probe's own timeout */
    char *path = fd_asprintf("api/v1/query?query=%s&timeout=%lldms", q,
                             (long long)(p->timeout_us / 1000 ? p->timeout_us / 1000 : 1));
    c->url = fd_url_join(p->url, path);
    free(path);
    curl_free(q);
    return c;
}

/* How an operation went, for the preflight: answered (with a value or not: an empty
 * result is an answer), refused the query, or no answer from a Prometheus. */
typedef enum answer { ANSWERED, REFUSED, NO_ANSWER } answer;

static fd_outcome query(fd_probe_client *c, int64_t deadline_us, double *value, answer *how,
                        char **error)
{
    fd_http_result res;
    fd_outcome o = fd_http_request(c->h, "GET", c->url, NULL, c->headers, deadline_us, &res, error);
    *how = NO_ANSWER;
    if (o == FD_OUT_OK) {
        bool invalid = false;
        if (res.status != 200 && res.status != 400 && res.status != 422 && res.status != 503) {
            *error = fd_asprintf("HTTP %ld from %s", res.status, c->p->url);
            o = FD_OUT_FAIL;
        } else if (!fd_prom_value(res.body.data, res.body.len, c->p->labels, c->p->nlabels, value,
                                  &invalid, error)) {
            o = FD_OUT_FAIL;
            *how = invalid ? REFUSED : res.status == 200 ? ANSWERED : NO_ANSWER;
        } else {
            *how = ANSWERED;
        }
    } else {
        char *e = fd_asprintf("%s: %s", c->p->url, *error);
        free(*error);
        *error = e;
        o = FD_OUT_FAIL; /* a read: whether it reached the server changes nothing */
    }
    fd_buf_free(&res.body);
    return o;
}

static fd_outcome prom_measure(fd_probe_client *c, int64_t deadline_us, double *value, char **error)
{
    answer how;
    return query(c, deadline_us, value, &how, error);
}

static fd_outcome prom_op(fd_probe_client *c, const char *value, int64_t deadline_us, char **error)
{
    (void)value;
    double v;
    return prom_measure(c, deadline_us, &v, error);
}

static bool prom_read_back(fd_probe_client *c, int64_t deadline_us, fd_strv *values, char **error)
{
    (void)c, (void)deadline_us, (void)values;
    *error = fd_strdup("prometheus probes do not write");
    return false;
}

static void prom_close(fd_probe_client *c)
{
    curl_slist_free_all(c->headers);
    curl_easy_cleanup(c->h);
    free(c->url);
    free(c);
}

/* One query before any fault: a server that cannot be reached or a query it refuses
 * stops the run there. An empty result or several series is not refused here: a
 * series may appear once the drill starts. */
static fd_preflight prom_preflight(const fd_probe *p, int64_t deadline_us, char **error)
{
    fd_probe_client *c = prom_open(p, NULL);
    double v;
    answer how;
    fd_outcome o = query(c, deadline_us, &v, &how, error);
    prom_close(c);
    if (o == FD_OUT_OK || how == ANSWERED) {
        free(*error);
        *error = NULL;
        return FD_PREFLIGHT_OK;
    }
    return how == REFUSED ? FD_PREFLIGHT_INVALID : FD_PREFLIGHT_UNREACHABLE;
}

/* prometheus: url (the server), query, labels, headers. */
static void prom_read(const fd_probe_reader *rd, const fd_ynode *m, fd_probe *p)
{
    fd_yt *t = rd->t;
    const char *what = rd->what;
    if (fd_yt_str(t, m, "url", true, what, &p->url) && p->url &&
        !fd_str_starts(p->url, "http://") && !fd_str_starts(p->url, "https://")) {
        char *q = fd_printable(p->url, 60);
        fd_yt_err(t, fd_ymap_get(m, "url"),
                  "'url' must be the Prometheus server's http:// or https:// URL, got '%s'", q);
        free(q);
    }
    if (fd_yt_str(t, m, "query", true, what, &p->query) && p->query && !p->query[0])
        fd_yt_err(t, fd_ymap_get(m, "query"), "'query' must not be empty");
    fd_probe_read_kvs(rd, m, "labels", false, &p->labels, &p->nlabels);
    fd_probe_read_kvs(rd, m, "headers", true, &p->headers, &p->nheaders);
}

static const char *const prom_keys[] = {"url", "query", "labels", "headers", NULL};

const fd_probe_type_ops fd_probe_prometheus_ops = {
    .type = FD_PROBE_PROMETHEUS,
    .keys = prom_keys,
    .read = prom_read,
    .open = prom_open,
    .op = prom_op,
    .measure = prom_measure,
    .preflight = prom_preflight,
    .read_back = prom_read_back,
    .close = prom_close,
};
