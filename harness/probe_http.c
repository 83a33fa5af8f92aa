/* probe_http.c: the http probe, with libcurl (one reused handle, keep-alive).
 * Reads request `url`; writes request `write_url` (with `write_body`), ${value}
 * replaced by the operation's value; the read-back GETs `read_url` and finds the
 * values as whole words in the body. */
#include "curlutil.h"
#include "probe.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

struct fd_probe_client {
    const fd_probe *p;
    CURL *h;
    struct curl_slist *headers;
};

static char *fill(const char *tmpl, const char *value)
{
    fd_buf b;
    fd_buf_init(&b, FD_BUF_UNCAPPED);
    for (const char *p = tmpl; *p;) {
        if (fd_str_starts(p, "${value}")) {
            fd_buf_puts(&b, value);
            p += 8;
        } else {
            fd_buf_append(&b, p++, 1);
        }
    }
    return fd_buf_steal(&b);
}

static fd_probe_client *http_open(const fd_probe *p, const fd_probe_env *env)
{
    fd_probe_client *c = fd_xcalloc(1, sizeof *c);
    c->p = p;
    c->h = curl_easy_init();
    c->headers = fd_http_headers(p->headers, p->nheaders);
    return c;
}

static bool status_ok(const fd_probe *p, long status)
{
    return p->expect_status ? status == p->expect_status : status >= 200 && status < 300;
}

static fd_outcome http_op(fd_probe_client *c, const char *value, int64_t deadline_us, char **error)
{
    const fd_probe *p = c->p;
    char *url = value ? fill(p->write_url, value) : fd_strdup(p->url);
    char *body = value && p->write_body ? fill(p->write_body, value)
                                        : (!value && p->body ? fd_strdup(p->body) : NULL);
    const char *method = p->method ? p->method : "GET";
    if (value && strcmp(method, "GET") == 0 && body)
        method = "POST";
    fd_http_result res;
    fd_outcome o = fd_http_request(c->h, method, url, body, c->headers, deadline_us, &res, error);
    if (o == FD_OUT_OK && !status_ok(p, res.status)) {
        *error = fd_asprintf("HTTP status %ld", res.status);
        /* a server error on a write may still have stored it */
        o = value && res.status >= 500 ? FD_OUT_UNKNOWN : FD_OUT_FAIL;
    }
    fd_buf_free(&res.body);
    free(url);
    free(body);
    return o;
}

static bool http_read_back(fd_probe_client *c, int64_t deadline_us, fd_strv *values, char **error)
{
    fd_http_result res;
    fd_outcome o =
        fd_http_request(c->h, "GET", c->p->read_url, NULL, c->headers, deadline_us, &res, error);
    bool ok = o == FD_OUT_OK && res.status >= 200 && res.status < 300;
    if (o == FD_OUT_OK && !ok)
        *error = fd_asprintf("read_url answered HTTP %ld", res.status);
    if (ok && res.body.truncated) {
        *error = fd_strdup("the read_url body is larger than 64 MiB");
        ok = false;
    }
    for (const char *p = res.body.data; ok && p && *p;) {
        while (*p && !isdigit((unsigned char)*p))
            p++;
        const char *start = p;
        while (isdigit((unsigned char)*p))
            p++;
        if (p > start)
            fd_strv_push_owned(values, fd_strndup(start, (size_t)(p - start)));
    }
    fd_buf_free(&res.body);
    return ok;
}

static void http_close(fd_probe_client *c)
{
    curl_slist_free_all(c->headers);
    curl_easy_cleanup(c->h);
    free(c);
}

/* http: a URL, method, body, headers, the status expected; write mode's templates. */
static void http_read(const fd_probe_reader *rd, const fd_ynode *m, fd_probe *p)
{
    fd_yt *t = rd->t;
    const char *what = rd->what;
    fd_yt_str(t, m, "url", !p->write, what, &p->url);
    fd_yt_str(t, m, "method", false, what, &p->method);
    if (!p->method)
        p->method = fd_strdup("GET");
    static const char *const methods[] = {"GET",   "HEAD",   "POST",    "PUT",
                                          "PATCH", "DELETE", "OPTIONS", NULL};
    if (fd_yt_name_index(methods, p->method) < 0)
        fd_yt_enum(t, fd_ymap_get(m, "method"), "method", methods);
    fd_yt_str(t, m, "body", false, what, &p->body);
    fd_probe_read_kvs(rd, m, "headers", true, &p->headers, &p->nheaders);
    const fd_ynode *es = fd_ymap_get(m, "expect_status");
    if (es) {
        int64_t code = 0;
        if (es->kind == FD_Y_SCALAR && strcmp(es->str, "2xx") == 0)
            p->expect_status = 0;
        else if (es->kind == FD_Y_SCALAR && fd_parse_uint(es->str, 599, &code) && code >= 100)
            p->expect_status = (int)code;
        else
            fd_yt_err(t, es, "'expect_status' must be an HTTP status from 100 to 599 or 2xx");
    }
    fd_yt_str(t, m, "write_url", p->write, what, &p->write_url);
    fd_yt_str(t, m, "write_body", false, what, &p->write_body);
    fd_yt_str(t, m, "read_url", p->write, what, &p->read_url);
    if (p->write && p->write_url && !strstr(p->write_url, "${value}") &&
        !(p->write_body && strstr(p->write_body, "${value}")))
        fd_yt_err(t, fd_ymap_get(m, "write_url"),
                  "write mode needs '${value}' in 'write_url' or 'write_body'");
    for (const char *const *k = (const char *const[]){"url", "write_url", "read_url", NULL}; *k;
         k++) {
        const fd_ynode *u = fd_ymap_get(m, *k);
        if (u && u->kind == FD_Y_SCALAR && !fd_str_starts(u->str, "http://") &&
            !fd_str_starts(u->str, "https://")) {
            char *q = fd_printable(u->str, 60);
            fd_yt_err(t, u, "'%s' must be an http:// or https:// URL, got '%s'", *k, q);
            free(q);
        }
    }
}

static const char *const http_keys[] = {"url",        "method",        "body",
                                        "headers",    "expect_status", "write_url",
                                        "write_body", "read_url",      NULL};

const fd_probe_type_ops fd_probe_http_ops = {
    .type = FD_PROBE_HTTP,
    .keys = http_keys,
    .read = http_read,
    .writes = true,
    .open = http_open,
    .op = http_op,
    .read_back = http_read_back,
    .close = http_close,
};
