/* scenario_probe.c: reading the probes: the settings every probe takes, then one
 * reader per probe type, and the endpoints they name. */
#include "scenario_load.h"
#include "faults.h"
#include "ytyped.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static const char *const *probe_keys(fd_probe_type type)
{
#define COMMON "name", "type", "mode", "interval", "rate", "timeout", "settle"
    static const char *const tcp[] = {COMMON, "address", "port", NULL};
    static const char *const http[] = {
        COMMON,          "url",       "method",     "body",     "headers",
        "expect_status", "write_url", "write_body", "read_url", NULL};
    static const char *const redis[] = {COMMON, "endpoints", "sentinel", NULL};
    static const char *const pg[] = {COMMON, "conninfo", "table", NULL};
    static const char *const etcd[] = {COMMON, "endpoints", NULL};
    static const char *const cmd[] = {COMMON, "command", "target", NULL};
#undef COMMON
    switch (type) {
    case FD_PROBE_TCP:
        return tcp;
    case FD_PROBE_HTTP:
        return http;
    case FD_PROBE_REDIS:
        return redis;
    case FD_PROBE_POSTGRES:
        return pg;
    case FD_PROBE_ETCD:
        return etcd;
    case FD_PROBE_COMMAND:
        return cmd;
    default:
        return tcp;
    }
}

static bool valid_endpoint(const char *s)
{
    const char *colon = strrchr(s, ':');
    int64_t port;
    return colon && colon != s && fd_parse_uint(colon + 1, 65535, &port) && port > 0;
}

static void check_endpoints(fd_loader *L, const fd_ynode *m, const char *key, const fd_strv *v,
                            bool urls)
{
    for (size_t i = 0; i < v->n; i++) {
        bool ok = urls ? (fd_str_starts(v->v[i], "http://") || fd_str_starts(v->v[i], "https://"))
                       : valid_endpoint(v->v[i]);
        if (!ok) {
            char *q = fd_printable(v->v[i], 60);
            fd_yt_err(&L->t, fd_ymap_get(m, key), "'%s' entries must be %s, got '%s'", key,
                      urls ? "http:// or https:// URLs" : "host:port", q);
            free(q);
        }
    }
}

/* tcp: an address and a port. */
static void read_probe_tcp(fd_loader *L, const fd_ynode *m, fd_probe *p, const char *what)
{
    fd_yt *t = &L->t;
    fd_yt_str(t, m, "address", true, what, &p->address);
    if (fd_yt_uint(t, m, "port", true, what, 65535, &p->port) && fd_ymap_get(m, "port") &&
        p->port == 0)
        fd_yt_err(t, fd_ymap_get(m, "port"), "'port' must be from 1 to 65535, got '0'");
}

/* http: a URL, method, body, headers, the status expected; write mode's templates. */
static void read_probe_http(fd_loader *L, const fd_ynode *m, fd_probe *p, const char *what)
{
    fd_yt *t = &L->t;
    fd_yt_str(t, m, "url", !p->write, what, &p->url);
    fd_yt_str(t, m, "method", false, what, &p->method);
    if (!p->method)
        p->method = fd_strdup("GET");
    static const char *const methods[] = {"GET",   "HEAD",   "POST",    "PUT",
                                          "PATCH", "DELETE", "OPTIONS", NULL};
    if (fd_yt_name_index(methods, p->method) < 0)
        fd_yt_enum(t, fd_ymap_get(m, "method"), "method", methods);
    fd_yt_str(t, m, "body", false, what, &p->body);
    const fd_ynode *h = fd_ymap_get(m, "headers");
    if (h && fd_yt_map(t, h, "'headers'")) {
        p->headers = fd_xcalloc(h->n ? h->n : 1, sizeof *p->headers);
        for (size_t i = 0; i < h->n; i++) {
            const fd_ynode *hv = h->items[2 * i + 1];
            if (hv->kind != FD_Y_SCALAR) {
                fd_yt_err(t, hv, "header '%s' must be a string, got %s", h->items[2 * i]->str,
                          fd_ykind_name(hv));
                continue;
            }
            if (strpbrk(h->items[2 * i]->str, ":\r\n") || strpbrk(hv->str, "\r\n")) {
                fd_yt_err(t, hv, "header '%s' must not contain ':' in its name or line breaks",
                          h->items[2 * i]->str);
                continue;
            }
            p->headers[p->nheaders].key = fd_strdup(h->items[2 * i]->str);
            p->headers[p->nheaders++].value = fd_strdup(hv->str);
        }
    }
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

/* redis: endpoints, or Sentinel's addresses and master name. */
static void read_probe_redis(fd_loader *L, const fd_ynode *m, fd_probe *p, const char *what)
{
    fd_yt *t = &L->t;
    const fd_ynode *sn = fd_ymap_get(m, "sentinel");
    const fd_ynode *en = fd_ymap_get(m, "endpoints");
    if (sn && en) {
        fd_yt_err(t, fd_ymap_key(m, "sentinel"), "%s takes 'endpoints' or 'sentinel', not both",
                  what);
    } else if (!sn && !en) {
        fd_yt_err(t, m, "%s needs 'endpoints' or 'sentinel'", what);
    } else if (en) {
        if (fd_yt_strlist(t, m, "endpoints", true, what, &p->endpoints))
            check_endpoints(L, m, "endpoints", &p->endpoints, false);
    } else if (fd_yt_map(t, sn, "'sentinel'")) {
        static const char *const skeys[] = {"addresses", "master", NULL};
        fd_yt_keys(t, sn, "'sentinel'", skeys);
        if (fd_yt_strlist(t, sn, "addresses", true, "'sentinel'", &p->sentinel_addresses))
            check_endpoints(L, sn, "addresses", &p->sentinel_addresses, false);
        fd_yt_str(t, sn, "master", true, "'sentinel'", &p->sentinel_master);
    }
}

/* postgres: a conninfo and a plain table name. */
static void read_probe_postgres(fd_loader *L, const fd_ynode *m, fd_probe *p, const char *what)
{
    fd_yt *t = &L->t;
    fd_yt_str(t, m, "conninfo", true, what, &p->conninfo);
    fd_yt_str(t, m, "table", false, what, &p->table);
    if (!p->table)
        p->table = fd_strdup("firedrill_probe");
    {
        bool ok = isalpha((unsigned char)p->table[0]) || p->table[0] == '_';
        for (const char *c = p->table; *c && ok; c++)
            ok = isalnum((unsigned char)*c) || *c == '_';
        if (!ok || strlen(p->table) > 63)
            fd_yt_err(t, fd_ymap_get(m, "table"),
                      "'table' must be a plain SQL name (letters, digits, '_'), got '%s'",
                      p->table);
    }
}

/* etcd: endpoints. */
static void read_probe_etcd(fd_loader *L, const fd_ynode *m, fd_probe *p, const char *what)
{
    fd_yt *t = &L->t;
    if (fd_yt_strlist(t, m, "endpoints", true, what, &p->endpoints))
        check_endpoints(L, m, "endpoints", &p->endpoints, true);
}

/* command: the command, and where it runs. */
static void read_probe_command(fd_loader *L, const fd_ynode *m, fd_probe *p, const char *what)
{
    fd_yt *t = &L->t;
    fd_yt_str(t, m, "command", true, what, &p->command);
    fd_scenario_read_selector(&L->t, fd_ymap_get(m, "target"), "target", &p->target);
}

void fd_scenario_read_probe(fd_loader *L, const fd_ynode *m, fd_probe *p)
{
    fd_yt *t = &L->t;
    p->line = m->line;
    p->col = m->col;
    p->timeout_us = 1000000;
    p->settle_us = 5000000;
    p->interval_us = 100000;
    if (!fd_yt_str(t, m, "name", true, "probe", &p->name) || !p->name)
        return;
    if (!fd_scenario_valid_id(p->name)) {
        char *q = fd_printable(p->name, 60);
        fd_yt_err(t, fd_ymap_get(m, "name"),
                  "probe name '%s' must start with a letter or digit and hold only letters, "
                  "digits, '_', '.' and '-' (at most 64)",
                  q);
        free(q);
    }
    char what[96];
    snprintf(what, sizeof what, "probe '%s'", p->name);
    const fd_ynode *tn = fd_ymap_get(m, "type");
    if (!tn) {
        fd_yt_missing(t, m, what, "type");
        return;
    }
    int type = fd_yt_enum(t, tn, "type", fd_probe_type_names);
    if (type < 0)
        return;
    p->type = (fd_probe_type)type;
    fd_yt_keys(t, m, what, probe_keys(p->type));
    const fd_ynode *mn = fd_ymap_get(m, "mode");
    if (mn) {
        static const char *const modes[] = {"read", "write", NULL};
        p->write = fd_yt_enum(t, mn, "mode", modes) == 1;
        if (p->write && (p->type == FD_PROBE_TCP || p->type == FD_PROBE_COMMAND))
            fd_yt_err(t, mn,
                      "%s probes have no write mode (write works with http, redis, "
                      "postgres and etcd)",
                      fd_probe_type_names[p->type]);
    }
    const fd_ynode *iv = fd_ymap_get(m, "interval"), *rv = fd_ymap_get(m, "rate");
    if (iv && rv) {
        fd_yt_err(t, fd_ymap_key(m, "rate"), "%s takes 'interval' or 'rate', not both", what);
    } else if (rv) {
        if (rv->kind != FD_Y_SCALAR || !fd_parse_rate(rv->str, &p->rate) || p->rate > 100000) {
            char *q = fd_printable(rv->kind == FD_Y_SCALAR ? rv->str : "", 60);
            fd_yt_err(t, rv,
                      "'rate' must be operations per second like 100/s (at most "
                      "100000/s), got '%s'",
                      q);
            free(q);
        } else {
            p->interval_us = (int64_t)(1e6 / p->rate);
            if (p->interval_us < 1)
                p->interval_us = 1;
        }
    } else if (fd_yt_duration(t, m, "interval", false, what, &p->interval_us) && iv &&
               p->interval_us == 0) {
        fd_yt_err(t, iv, "'interval' must be longer than 0s");
    }
    if (fd_yt_duration(t, m, "timeout", false, what, &p->timeout_us) && p->timeout_us == 0)
        fd_yt_err(t, fd_ymap_get(m, "timeout"), "'timeout' must be longer than 0s");
    fd_yt_duration(t, m, "settle", false, what, &p->settle_us);
    static void (*const readers[])(fd_loader *, const fd_ynode *, fd_probe *, const char *) = {
        [FD_PROBE_TCP] = read_probe_tcp,     [FD_PROBE_HTTP] = read_probe_http,
        [FD_PROBE_REDIS] = read_probe_redis, [FD_PROBE_POSTGRES] = read_probe_postgres,
        [FD_PROBE_ETCD] = read_probe_etcd,   [FD_PROBE_COMMAND] = read_probe_command,
    };
    if ((size_t)p->type < sizeof readers / sizeof *readers && readers[p->type])
        readers[p->type](L, m, p, what);
}
