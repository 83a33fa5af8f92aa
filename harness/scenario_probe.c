/* scenario_probe.c: reading the probes: the settings every probe takes here, then
 * the keys of its type by the type's own reader (probe_<type>.c, probe.h). */
#include "scenario_load.h"
#include "probe.h"
#include "faults.h"
#include "ytyped.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static bool valid_endpoint(const char *s)
{
    const char *colon = strrchr(s, ':');
    int64_t port;
    return colon && colon != s && fd_parse_uint(colon + 1, 65535, &port) && port > 0;
}

void fd_probe_check_endpoints(const fd_probe_reader *rd, const fd_ynode *m, const char *key,
                              const fd_strv *v, bool urls)
{
    for (size_t i = 0; i < v->n; i++) {
        bool ok = urls ? (fd_str_starts(v->v[i], "http://") || fd_str_starts(v->v[i], "https://"))
                       : valid_endpoint(v->v[i]);
        if (!ok) {
            char *q = fd_printable(v->v[i], 60);
            fd_yt_err(rd->t, fd_ymap_get(m, key), "'%s' entries must be %s, got '%s'", key,
                      urls ? "http:// or https:// URLs" : "host:port", q);
            free(q);
        }
    }
}

void fd_probe_check_sql_name(const fd_probe_reader *rd, const fd_ynode *m, const char *key,
                             const char *value)
{
    bool ok = isalpha((unsigned char)value[0]) || value[0] == '_';
    for (const char *c = value; *c && ok; c++)
        ok = isalnum((unsigned char)*c) || *c == '_';
    if (!ok || strlen(value) > 63) {
        char *q = fd_printable(value, 60);
        fd_yt_err(rd->t, fd_ymap_get(m, key),
                  "'%s' must be a plain SQL name (letters, digits, '_'), got '%s'", key, q);
        free(q);
    }
}

void fd_probe_read_kvs(const fd_probe_reader *rd, const fd_ynode *m, const char *key, bool header,
                       fd_kv **out, size_t *nout)
{
    fd_yt *t = rd->t;
    const fd_ynode *h = fd_ymap_get(m, key);
    char what[64];
    snprintf(what, sizeof what, "'%s'", key);
    if (!h || !fd_yt_map(t, h, what))
        return;
    *out = fd_xcalloc(h->n ? h->n : 1, sizeof **out);
    for (size_t i = 0; i < h->n; i++) {
        const char *name = h->items[2 * i]->str;
        const fd_ynode *hv = h->items[2 * i + 1];
        if (hv->kind != FD_Y_SCALAR) {
            fd_yt_err(t, hv, "%s '%s' must be a string, got %s", header ? "header" : "label", name,
                      fd_ykind_name(hv));
            continue;
        }
        if (header && (strpbrk(name, ":\r\n") || strpbrk(hv->str, "\r\n"))) {
            fd_yt_err(t, hv, "header '%s' must not contain ':' in its name or line breaks", name);
            continue;
        }
        (*out)[*nout].key = fd_strdup(name);
        (*out)[(*nout)++].value = fd_strdup(hv->str);
    }
}

/* replicas: {target, port} or {read: [...]}; read_from and bound for read_your_writes. */
static void read_replica_keys(fd_loader *L, const fd_ynode *m, fd_probe *p,
                              const fd_probe_type_ops *ops)
{
    fd_yt *t = &L->t;
    const fd_ynode *rn = fd_ymap_get(m, "replicas");
    p->bound_us = 1000000;
    if (rn && !ops->newest) {
        fd_yt_err(t, fd_ymap_key(m, "replicas"),
                  "%s probes cannot read from replicas (replicas work with postgres, mysql and "
                  "redis)",
                  fd_probe_type_names[p->type]);
    } else if (rn && !p->write) {
        fd_yt_err(t, fd_ymap_key(m, "replicas"),
                  "'replicas' needs mode write or read_your_writes: a replica is checked for "
                  "the probe's own writes");
    } else if (rn && fd_yt_map(t, rn, "'replicas'")) {
        static const char *const keys[] = {"target", "port", "read", NULL};
        fd_yt_keys(t, rn, "'replicas'", keys);
        const fd_ynode *tn = fd_ymap_get(rn, "target"), *reads = fd_ymap_get(rn, "read");
        if (!tn == !reads)
            fd_yt_err(t, rn, "'replicas' takes 'target' (and 'port') or 'read', one of them");
        else if (tn)
            fd_scenario_read_selector(t, tn, "target", &p->replicas_target);
        else
            fd_yt_strlist(t, rn, "read", true, "'replicas'", &p->replicas_read);
        if (reads && fd_ymap_get(rn, "port"))
            fd_yt_err(t, fd_ymap_key(rn, "port"), "'port' goes with 'target', not 'read'");
        fd_yt_uint(t, rn, "port", false, "'replicas'", 65535, &p->replicas_port);
    }
    const fd_ynode *rf = fd_ymap_get(m, "read_from");
    if (p->read_your_writes)
        fd_yt_str(t, m, "read_from", true, "read_your_writes probe", &p->read_from);
    else if (rf || fd_ymap_get(m, "bound"))
        fd_yt_err(t, fd_ymap_key(m, rf ? "read_from" : "bound"),
                  "'%s' goes with mode read_your_writes", rf ? "read_from" : "bound");
    if (fd_yt_duration(t, m, "bound", false, "read_your_writes probe", &p->bound_us) &&
        p->bound_us == 0)
        fd_yt_err(t, fd_ymap_get(m, "bound"), "'bound' must be longer than 0s");
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
    const fd_probe_type_ops *ops = fd_probe_ops_for(p->type);
    static const char *const common[] = {"name",      "type",    "mode",   "interval",
                                         "rate",      "timeout", "settle", "replicas",
                                         "read_from", "bound",   NULL};
    fd_yt_keys2(t, m, what, common, ops->keys);
    const fd_ynode *mn = fd_ymap_get(m, "mode");
    if (mn) {
        static const char *const modes[] = {"read", "write", "read_your_writes", NULL};
        int mode = fd_yt_enum(t, mn, "mode", modes);
        p->write = mode >= 1;
        p->read_your_writes = mode == 2;
        if (p->write && !ops->writes)
            fd_yt_err(t, mn,
                      "%s probes have no write mode (write works with http, redis, "
                      "postgres, mysql and etcd)",
                      fd_probe_type_names[p->type]);
        else if (p->read_your_writes && !ops->newest)
            fd_yt_err(t, mn,
                      "%s probes cannot read from a replica (read_your_writes works with "
                      "postgres, mysql and redis)",
                      fd_probe_type_names[p->type]);
    }
    read_replica_keys(L, m, p, ops);
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
    fd_probe_reader rd = {.t = t, .what = what, .vars = &L->s->vars};
    ops->read(&rd, m, p);
}
