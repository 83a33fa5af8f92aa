/* probe_etcd.c: the etcd probe, through the v3 JSON gateway with libcurl.
 * Writes put firedrill/<run>/<probe>/<n> = n; reads range the probe's read key;
 * the read-back ranges over the probe's prefix. Keys and values are base64 in the
 * gateway's JSON. After an error the next operation tries the next endpoint. */
#include "curlutil.h"
#include "probe.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

struct fd_probe_client {
    const fd_probe *p;
    CURL *h;
    struct curl_slist *headers;
    char *prefix;
    size_t endpoint;
};

static fd_probe_client *etcd_open(const fd_probe *p, const fd_probe_env *env)
{
    fd_probe_client *c = fd_xcalloc(1, sizeof *c);
    c->p = p;
    c->h = curl_easy_init();
    c->headers = curl_slist_append(NULL, "Content-Type: application/json");
    c->prefix = fd_asprintf("firedrill/%s/%s/", env->run_id, p->name);
    return c;
}

/* POSTs a JSON body to endpoint/path; on an ok answer *resp holds the parsed JSON. */
static fd_outcome post(fd_probe_client *c, const char *path, json_t *req, int64_t deadline_us,
                       json_t **resp, char **error)
{
    *resp = NULL;
    char *body = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    const char *ep = c->p->endpoints.v[c->endpoint % c->p->endpoints.n];
    char *url = fd_asprintf("%s%s", ep, path);
    fd_http_result res;
    fd_outcome o = fd_http_request(c->h, "POST", url, body, c->headers, deadline_us, &res, error);
    if (o == FD_OUT_OK) {
        json_error_t je;
        json_t *j = json_loadb(res.body.data ? res.body.data : "", res.body.len, 0, &je);
        if (res.status != 200 || !j || json_object_get(j, "error")) {
            const char *msg = j ? json_string_value(json_object_get(j, "error")) : NULL;
            *error =
                fd_asprintf("%s: HTTP %ld%s%s", ep, res.status, msg ? ": " : "", msg ? msg : "");
            /* a put the cluster failed to commit may still be applied later */
            o = res.status >= 500 ? FD_OUT_UNKNOWN : FD_OUT_FAIL;
            json_decref(j);
        } else {
            *resp = j;
        }
    } else {
        char *e = fd_asprintf("%s: %s", ep, *error);
        free(*error);
        *error = e;
    }
    if (o != FD_OUT_OK)
        c->endpoint++;
    fd_buf_free(&res.body);
    free(url);
    free(body);
    return o;
}

static fd_outcome etcd_op(fd_probe_client *c, const char *value, int64_t deadline_us, char **error)
{
    json_t *resp = NULL;
    fd_outcome o;
    if (value) {
        char *key = fd_asprintf("%s%s", c->prefix, value);
        char *k64 = fd_base64(key, strlen(key)), *v64 = fd_base64(value, strlen(value));
        o = post(c, "/v3/kv/put", json_pack("{s:s,s:s}", "key", k64, "value", v64), deadline_us,
                 &resp, error);
        free(key);
        free(k64);
        free(v64);
    } else {
        char *key = fd_asprintf("%sread", c->prefix);
        char *k64 = fd_base64(key, strlen(key));
        o = post(c, "/v3/kv/range", json_pack("{s:s}", "key", k64), deadline_us, &resp, error);
        free(key);
        free(k64);
    }
    json_decref(resp);
    return o;
}

static bool etcd_read_back(fd_probe_client *c, int64_t deadline_us, fd_strv *values, char **error)
{
    size_t plen = strlen(c->prefix);
    char *end = fd_strdup(c->prefix);
    end[plen - 1]++; /* '/' + 1: the end of the prefix range */
    char *k64 = fd_base64(c->prefix, plen), *e64 = fd_base64(end, plen);
    json_t *resp = NULL;
    fd_outcome o = FD_OUT_FAIL;
    for (size_t tries = 0; tries < c->p->endpoints.n && o != FD_OUT_OK; tries++) {
        free(*error);
        *error = NULL;
        o = post(c, "/v3/kv/range", json_pack("{s:s,s:s}", "key", k64, "range_end", e64),
                 deadline_us, &resp, error);
    }
    free(k64);
    free(e64);
    free(end);
    if (o != FD_OUT_OK)
        return false;
    json_t *kvs = json_object_get(resp, "kvs");
    size_t i;
    json_t *kv;
    json_array_foreach(kvs, i, kv)
    {
        size_t n = 0;
        char *v = fd_unbase64(json_string_value(json_object_get(kv, "value")) ?: "", &n);
        fd_strv_push_owned(values, v ? v : fd_strdup("(undecodable)"));
    }
    json_decref(resp);
    return true;
}

static void etcd_close(fd_probe_client *c)
{
    curl_slist_free_all(c->headers);
    curl_easy_cleanup(c->h);
    free(c->prefix);
    free(c);
}

/* etcd: endpoints. */
static void etcd_read(const fd_probe_reader *rd, const fd_ynode *m, fd_probe *p)
{
    fd_yt *t = rd->t;
    const char *what = rd->what;
    if (fd_yt_strlist(t, m, "endpoints", true, what, &p->endpoints))
        fd_probe_check_endpoints(rd, m, "endpoints", &p->endpoints, true);
}

static const char *const etcd_keys[] = {"endpoints", NULL};

const fd_probe_type_ops fd_probe_etcd_ops = {
    .type = FD_PROBE_ETCD,
    .keys = etcd_keys,
    .read = etcd_read,
    .writes = true,
    .open = etcd_open,
    .op = etcd_op,
    .read_back = etcd_read_back,
    .close = etcd_close,
};
