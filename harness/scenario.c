/* scenario.c: loading a scenario (or an inventory) into typed structures.
 *
 * The order is: parse YAML (yamldoc.c refuses hostile input), resolve vars,
 * substitute every scalar, load the inventory, read each section into its
 * structures, then check the cross-references between them. Every problem is
 * collected, so `validate` prints them all at once. */
#include "scenario.h"
#include "faults.h"
#include "selector.h"
#include "ytyped.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const fd_fault_type_names[] = {"kill",           "pause", "stop_service", "partition",
                                           "cut_datacenter", "drop",  "netem",        "fill_disk",
                                           "command",        NULL};

bool fd_fault_cuts_network(fd_fault_type type)
{
    const fd_fault_family *fam = fd_fault_family_of(type);
    return fam && fam->cuts_network;
}
const char *const fd_step_kind_names[] = {"fault",  "heal", "wait",    "wait_for", "run",
                                          "backup", "copy", "restore", "verify",   NULL};
const char *const fd_probe_type_names[] = {"tcp",  "http",    "redis", "postgres",
                                           "etcd", "command", NULL};
const char *const fd_metric_names[] = {"availability",
                                       "failover_time",
                                       "outages",
                                       "lost_writes",
                                       "phantom_writes",
                                       "corrupt_values",
                                       "latency_p50",
                                       "latency_p99",
                                       "latency_max",
                                       "rpo",
                                       "rto",
                                       NULL};

typedef struct loader {
    fd_yt t;
    fd_scenario *s;
    fd_ydoc *doc;
} loader;

/* ------------------------------------------------------------------ substitution */

static void subst_tree(loader *L, fd_ynode *n, const fd_ynode *skip)
{
    if (!n || n == skip)
        return;
    if (n->kind == FD_Y_SCALAR) {
        /* Aliased nodes are shared: expand each scalar once. */
        if (n->expanded || !strstr(n->str, "${"))
            return;
        n->expanded = true;
        bool used_env = false;
        char *err = NULL;
        char *v = fd_subst(&L->s->vars, n->str, &used_env, &err);
        if (!v) {
            fd_yt_err(&L->t, n, "%s", err);
            free(err);
            return;
        }
        free(n->str);
        n->str = v;
        n->secret = n->secret || used_env;
        return;
    }
    if (n->kind == FD_Y_SEQ) {
        for (size_t i = 0; i < n->n; i++)
            subst_tree(L, n->items[i], skip);
    } else {
        for (size_t i = 0; i < n->n; i++)
            subst_tree(L, n->items[2 * i + 1], skip);
    }
}

static void read_vars(loader *L, const fd_ynode *root, const fd_load_opts *o)
{
    fd_scenario *s = L->s;
    if (o) {
        for (size_t i = 0; i < o->var_names.n; i++)
            fd_vars_set(&s->vars, o->var_names.v[i], o->var_values.v[i]);
    }
    const fd_ynode *vn = fd_ymap_get(root, "vars");
    if (!vn)
        return;
    if (!fd_yt_map(&L->t, vn, "'vars'"))
        return;
    for (size_t i = 0; i < vn->n; i++) {
        fd_ynode *k = vn->items[2 * i], *v = vn->items[2 * i + 1];
        bool ok_name = isalpha((unsigned char)k->str[0]) || k->str[0] == '_';
        for (const char *p = k->str; *p && ok_name; p++)
            ok_name = isalnum((unsigned char)*p) || *p == '_' || *p == '-';
        if (!ok_name || strcmp(k->str, "value") == 0) {
            char *q = fd_printable(k->str, 60);
            fd_yt_err(&L->t, k,
                      strcmp(k->str, "value") == 0
                          ? "variable name '%s' is reserved for http write templates"
                          : "variable name '%s' must start with a letter and hold only letters, "
                            "digits, '_' and '-'",
                      q);
            free(q);
            continue;
        }
        if (v->kind != FD_Y_SCALAR) {
            fd_yt_err(&L->t, v, "variable '%s' must be a string, got %s", k->str, fd_ykind_name(v));
            continue;
        }
        if (o && fd_strv_contains(&o->var_names, k->str))
            continue; /* --var wins */
        bool used_env = false;
        char *err = NULL;
        char *val = fd_subst(&s->vars, v->str, &used_env, &err);
        if (!val) {
            fd_yt_err(&L->t, v, "%s", err);
            free(err);
            continue;
        }
        /* The node itself is now final: keep it out of the document-wide pass. */
        free(v->str);
        v->str = val;
        v->secret = used_env;
        v->expanded = true;
        fd_vars_set(&s->vars, k->str, val);
    }
}

/* ------------------------------------------------------------------ selectors */

static const char *const selector_keys[] = {"hosts", "role", "datacenter", "where", "pick", NULL};

static bool read_pick(fd_yt *t, const fd_ynode *v, fd_selector *sel)
{
    static const char expected[] = "all, one, random:N or percent:P";
    if (!v)
        return true;
    if (v->kind != FD_Y_SCALAR) {
        fd_yt_err(t, v, "'pick' must be %s, got %s", expected, fd_ykind_name(v));
        return false;
    }
    if (!fd_selector_parse_pick(v->str, sel)) {
        char *q = fd_printable(v->str, 60);
        fd_yt_err(t, v, "'pick' must be %s, got '%s'", expected, q);
        free(q);
        return false;
    }
    return true;
}

bool fd_scenario_read_selector(fd_yt *t, const fd_ynode *v, const char *key, fd_selector *sel)
{
    memset(sel, 0, sizeof *sel);
    if (!v)
        return true;
    char what[80];
    snprintf(what, sizeof what, "'%s'", key);
    if (!fd_yt_map(t, v, what))
        return false;
    sel->set = true;
    sel->line = v->line;
    sel->col = v->col;
    snprintf(what, sizeof what, "selector '%s'", key);
    bool ok = fd_yt_keys(t, v, what, selector_keys);
    ok &= fd_yt_strlist(t, v, "hosts", false, what, &sel->hosts);
    ok &= fd_yt_str(t, v, "role", false, what, &sel->role);
    ok &= fd_yt_str(t, v, "datacenter", false, what, &sel->datacenter);
    ok &= fd_yt_str(t, v, "where", false, what, &sel->where);
    ok &= read_pick(t, fd_ymap_get(v, "pick"), sel);
    if (!sel->hosts.n && !sel->role && !sel->datacenter && !sel->where) {
        fd_yt_err(t, v, "'%s' must name hosts, a role, a datacenter or a where command", key);
        return false;
    }
    /* Names are checked against the inventory once it is loaded (check_selector). */
    return ok;
}

static void check_selector(loader *L, const fd_selector *sel, const fd_ynode *node)
{
    const fd_inventory *inv = &L->s->inv;
    if (!sel->set || inv->n == 0)
        return;
    for (size_t i = 0; i < sel->hosts.n; i++) {
        if (!fd_inventory_find(inv, sel->hosts.v[i])) {
            const char **names = fd_xcalloc(inv->n + 1, sizeof *names);
            for (size_t j = 0; j < inv->n; j++)
                names[j] = inv->hosts[j].name;
            const char *sug = fd_yt_suggest(sel->hosts.v[i], names);
            char *q = fd_printable(sel->hosts.v[i], 60);
            if (sug)
                fd_yt_err(&L->t, node, "host '%s' is not in the inventory, did you mean '%s'?", q,
                          sug);
            else
                fd_yt_err(&L->t, node, "host '%s' is not in the inventory", q);
            free(q);
            free(names);
        }
    }
    if (sel->role && !fd_inventory_has_role(inv, sel->role)) {
        char *q = fd_printable(sel->role, 60);
        fd_yt_err(&L->t, node, "no host in the inventory has role '%s'", q);
        free(q);
    }
    if (sel->datacenter && !fd_inventory_has_datacenter(inv, sel->datacenter)) {
        char *q = fd_printable(sel->datacenter, 60);
        fd_yt_err(&L->t, node, "no host in the inventory is in datacenter '%s'", q);
        free(q);
    }
}

void fd_selector_free(fd_selector *s)
{
    if (!s)
        return;
    fd_strv_free(&s->hosts);
    free(s->role);
    free(s->datacenter);
    free(s->where);
    memset(s, 0, sizeof *s);
}

/* ------------------------------------------------------------------ faults */

/* Reads a fault step: the keys every fault takes, then its family's (faults.h). */
static void read_fault(loader *L, const fd_ynode *m, fd_step *st)
{
    fd_yt *t = &L->t;
    fd_fault *f = &st->fault;
    f->loss = f->duplicate = f->corrupt = f->reorder = -1;
    f->delay_us = f->jitter_us = -1;
    int type = fd_yt_enum(t, fd_ymap_get(m, "fault"), "fault", fd_fault_type_names);
    if (type < 0)
        return;
    f->type = (fd_fault_type)type;
    const fd_fault_family *fam = fd_fault_family_of(f->type);
    char what[96];
    snprintf(what, sizeof what, "%s fault", fd_fault_type_names[type]);
    static const char *const common[] = {"fault", "id", "duration", "ttl", "timeout"};
    const char *keys[32];
    size_t nk = 0;
    for (size_t i = 0; i < sizeof common / sizeof *common; i++)
        keys[nk++] = common[i];
    for (size_t i = 0; fam->keys[i] && nk + 1 < sizeof keys / sizeof *keys; i++)
        keys[nk++] = fam->keys[i];
    keys[nk] = NULL;
    fd_yt_keys(t, m, what, keys);
    fd_yt_duration(t, m, "duration", false, what, &f->duration_us);
    f->ttl_us = -1;
    fd_yt_duration(t, m, "ttl", false, what, &f->ttl_us);
    if (fd_ymap_get(m, "ttl") && f->ttl_us == 0)
        fd_yt_err(t, fd_ymap_get(m, "ttl"), "'ttl' must be longer than 0s");
    f->timeout_us = FD_FAULT_TIMEOUT_DEFAULT_US;
    if (fd_yt_duration(t, m, "timeout", false, what, &f->timeout_us) &&
        (f->timeout_us < 1000000 || f->timeout_us > FD_FAULT_TIMEOUT_MAX_US))
        fd_yt_err(t, fd_ymap_get(m, "timeout"), "'timeout' must be from 1s to 1h");
    fd_fault_reader rd = {.t = t, .inv = &L->s->inv, .what = what};
    if (!fam->read(&rd, m, f))
        return;
    const fd_ynode *tg = fd_ymap_get(m, "target");
    if (!tg)
        fd_yt_missing(t, m, what, "target");
    else
        fd_scenario_read_selector(t, tg, "target", &f->target);
}

/* ------------------------------------------------------------------ steps */

static bool valid_id(const char *s)
{
    if (!*s || strlen(s) > 64 || !isalnum((unsigned char)s[0]))
        return false;
    for (const char *p = s; *p; p++)
        if (!(isalnum((unsigned char)*p) || strchr("_.-", *p)))
            return false;
    return true;
}

static void read_endpoint(loader *L, const fd_ynode *m, const char *key, fd_endpoint *e)
{
    const fd_ynode *v = fd_ymap_get(m, key);
    char what[40];
    snprintf(what, sizeof what, "'%s'", key);
    if (!v) {
        fd_yt_missing(&L->t, m, "copy step", key);
        return;
    }
    if (!fd_yt_map(&L->t, v, what))
        return;
    static const char *const keys[] = {"host", "path", NULL};
    fd_yt_keys(&L->t, v, what, keys);
    if (fd_yt_str(&L->t, v, "host", true, what, &e->host) && e->host && L->s->inv.n &&
        !fd_inventory_find(&L->s->inv, e->host)) {
        char *q = fd_printable(e->host, 60);
        fd_yt_err(&L->t, fd_ymap_get(v, "host"), "host '%s' is not in the inventory", q);
        free(q);
    }
    if (fd_yt_str(&L->t, v, "path", true, what, &e->path) && e->path && e->path[0] != '/')
        fd_yt_err(&L->t, fd_ymap_get(v, "path"), "'path' must be an absolute path");
}

/* Reads the mapping under a step kind such as run: {...}. */
static const fd_ynode *step_body(loader *L, const fd_ynode *m, const char *kind,
                                 const char *const *keys)
{
    const fd_ynode *b = fd_ymap_get(m, kind);
    char what[40];
    snprintf(what, sizeof what, "'%s'", kind);
    if (!fd_yt_map(&L->t, b, what))
        return NULL;
    snprintf(what, sizeof what, "%s step", kind);
    fd_yt_keys(&L->t, b, what, keys);
    return b;
}

static void read_step(loader *L, const fd_ynode *m, size_t index, fd_step *st)
{
    fd_yt *t = &L->t;
    st->line = m->line;
    st->col = m->col;
    int kinds = 0;
    const fd_ynode *first_kind = NULL;
    for (size_t i = 0; i < m->n; i++) {
        const fd_ynode *k = m->items[2 * i];
        int ki = fd_yt_name_index(fd_step_kind_names, k->str);
        if (ki < 0)
            continue;
        if (kinds++ == 0) {
            st->kind = (fd_step_kind)ki;
            first_kind = k;
        } else {
            fd_yt_err(t, k, "step has both '%s' and '%s': a step has exactly one kind",
                      first_kind->str, k->str);
            return;
        }
    }
    if (kinds == 0) {
        /* An unknown key close to a kind says more than "no kind". */
        for (size_t i = 0; i < m->n; i++) {
            const fd_ynode *k = m->items[2 * i];
            const char *sug = fd_yt_suggest(k->str, fd_step_kind_names);
            if (strcmp(k->str, "id") != 0 && sug) {
                char *q = fd_printable(k->str, 60);
                fd_yt_err(t, k, "unknown step kind '%s', did you mean '%s'?", q, sug);
                free(q);
                return;
            }
        }
        fd_yt_err(t, m,
                  "step needs one of fault, heal, wait, wait_for, run, backup, copy, restore or "
                  "verify");
        return;
    }
    const char *kname = fd_step_kind_names[st->kind];
    if (fd_yt_str(t, m, "id", false, "step", &st->id) && st->id) {
        st->id_given = true;
        if (!valid_id(st->id) || strcmp(st->id, "all") == 0) {
            char *q = fd_printable(st->id, 60);
            fd_yt_err(t, fd_ymap_get(m, "id"),
                      strcmp(st->id, "all") == 0
                          ? "step id '%s' is reserved (heal: all heals every fault)"
                          : "step id '%s' must start with a letter or digit and hold only "
                            "letters, digits, '_', '.' and '-' (at most 64)",
                      q);
            free(q);
        }
    } else if (!st->id) {
        st->id = fd_asprintf("%s-%zu", kname, index + 1);
    }
    if (st->kind != FD_STEP_FAULT) {
        static const char *const plain[] = {"id",       "fault",  "heal",   "wait",
                                            "wait_for", "run",    "backup", "copy",
                                            "restore",  "verify", NULL};
        char what[40];
        snprintf(what, sizeof what, "%s step", kname);
        fd_yt_keys(t, m, what, plain);
    }
    switch (st->kind) {
    case FD_STEP_FAULT:
        read_fault(L, m, st);
        break;
    case FD_STEP_HEAL:
        fd_yt_str(t, m, "heal", true, "heal step", &st->heal);
        break;
    case FD_STEP_WAIT:
        fd_yt_duration(t, m, "wait", true, "wait step", &st->wait_us);
        break;
    case FD_STEP_WAIT_FOR: {
        static const char *const keys[] = {"probe", "healthy_for", "timeout", NULL};
        const fd_ynode *b = step_body(L, m, "wait_for", keys);
        if (!b)
            break;
        fd_yt_str(t, b, "probe", true, "wait_for step", &st->wait_for.probe);
        fd_yt_duration(t, b, "healthy_for", true, "wait_for step", &st->wait_for.healthy_for_us);
        fd_yt_duration(t, b, "timeout", true, "wait_for step", &st->wait_for.timeout_us);
        break;
    }
    case FD_STEP_RUN: {
        static const char *const keys[] = {"command", "target", "timeout", "expect_exit", NULL};
        const fd_ynode *b = step_body(L, m, "run", keys);
        if (!b)
            break;
        st->run.timeout_us = 60000000;
        fd_yt_str(t, b, "command", true, "run step", &st->run.command);
        fd_scenario_read_selector(&L->t, fd_ymap_get(b, "target"), "target", &st->run.target);
        fd_yt_duration(t, b, "timeout", false, "run step", &st->run.timeout_us);
        fd_yt_uint(t, b, "expect_exit", false, "run step", 255, &st->run.expect_exit);
        break;
    }
    case FD_STEP_BACKUP: {
        static const char *const keys[] = {"target", "command", "artifact", NULL};
        const fd_ynode *b = step_body(L, m, "backup", keys);
        if (!b)
            break;
        if (!fd_ymap_get(b, "target"))
            fd_yt_missing(t, b, "backup step", "target");
        fd_scenario_read_selector(&L->t, fd_ymap_get(b, "target"), "target", &st->backup.target);
        fd_yt_str(t, b, "command", true, "backup step", &st->backup.command);
        if (fd_yt_str(t, b, "artifact", true, "backup step", &st->backup.artifact) &&
            st->backup.artifact && st->backup.artifact[0] != '/')
            fd_yt_err(t, fd_ymap_get(b, "artifact"), "'artifact' must be an absolute path");
        break;
    }
    case FD_STEP_COPY: {
        static const char *const keys[] = {"from", "to", NULL};
        const fd_ynode *b = step_body(L, m, "copy", keys);
        if (!b)
            break;
        read_endpoint(L, b, "from", &st->copy.from);
        read_endpoint(L, b, "to", &st->copy.to);
        break;
    }
    case FD_STEP_RESTORE: {
        static const char *const keys[] = {"target", "command", NULL};
        const fd_ynode *b = step_body(L, m, "restore", keys);
        if (!b)
            break;
        if (!fd_ymap_get(b, "target"))
            fd_yt_missing(t, b, "restore step", "target");
        fd_scenario_read_selector(&L->t, fd_ymap_get(b, "target"), "target", &st->restore.target);
        fd_yt_str(t, b, "command", true, "restore step", &st->restore.command);
        break;
    }
    case FD_STEP_VERIFY: {
        static const char *const keys[] = {"probe", "against", "read", NULL};
        const fd_ynode *b = step_body(L, m, "verify", keys);
        if (!b)
            break;
        fd_yt_str(t, b, "probe", true, "verify step", &st->verify.probe);
        fd_yt_str(t, b, "against", true, "verify step", &st->verify.against);
        fd_yt_str(t, b, "read", false, "verify step", &st->verify.read);
        break;
    }
    default:
        break;
    }
}

/* ------------------------------------------------------------------ probes */

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

static void check_endpoints(loader *L, const fd_ynode *m, const char *key, const fd_strv *v,
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
static void read_probe_tcp(loader *L, const fd_ynode *m, fd_probe *p, const char *what)
{
    fd_yt *t = &L->t;
    fd_yt_str(t, m, "address", true, what, &p->address);
    if (fd_yt_uint(t, m, "port", true, what, 65535, &p->port) && fd_ymap_get(m, "port") &&
        p->port == 0)
        fd_yt_err(t, fd_ymap_get(m, "port"), "'port' must be from 1 to 65535, got '0'");
}

/* http: a URL, method, body, headers, the status expected; write mode's templates. */
static void read_probe_http(loader *L, const fd_ynode *m, fd_probe *p, const char *what)
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
static void read_probe_redis(loader *L, const fd_ynode *m, fd_probe *p, const char *what)
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
static void read_probe_postgres(loader *L, const fd_ynode *m, fd_probe *p, const char *what)
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
static void read_probe_etcd(loader *L, const fd_ynode *m, fd_probe *p, const char *what)
{
    fd_yt *t = &L->t;
    if (fd_yt_strlist(t, m, "endpoints", true, what, &p->endpoints))
        check_endpoints(L, m, "endpoints", &p->endpoints, true);
}

/* command: the command, and where it runs. */
static void read_probe_command(loader *L, const fd_ynode *m, fd_probe *p, const char *what)
{
    fd_yt *t = &L->t;
    fd_yt_str(t, m, "command", true, what, &p->command);
    fd_scenario_read_selector(&L->t, fd_ymap_get(m, "target"), "target", &p->target);
}

static void read_probe(loader *L, const fd_ynode *m, fd_probe *p)
{
    fd_yt *t = &L->t;
    p->line = m->line;
    p->col = m->col;
    p->timeout_us = 1000000;
    p->settle_us = 5000000;
    p->interval_us = 100000;
    if (!fd_yt_str(t, m, "name", true, "probe", &p->name) || !p->name)
        return;
    if (!valid_id(p->name)) {
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
    static void (*const readers[])(loader *, const fd_ynode *, fd_probe *, const char *) = {
        [FD_PROBE_TCP] = read_probe_tcp,     [FD_PROBE_HTTP] = read_probe_http,
        [FD_PROBE_REDIS] = read_probe_redis, [FD_PROBE_POSTGRES] = read_probe_postgres,
        [FD_PROBE_ETCD] = read_probe_etcd,   [FD_PROBE_COMMAND] = read_probe_command,
    };
    if ((size_t)p->type < sizeof readers / sizeof *readers && readers[p->type])
        readers[p->type](L, m, p, what);
}

/* ------------------------------------------------------------------ conditions, checks */

static void read_condition(loader *L, const fd_ynode *m, const char *what, fd_condition *c,
                           bool need_for)
{
    fd_yt *t = &L->t;
    c->line = m->line;
    c->col = m->col;
    static const char *const keys[] = {"probe", "availability", "for", NULL};
    fd_yt_keys(t, m, what, keys);
    fd_yt_str(t, m, "probe", true, what, &c->probe);
    fd_yt_cmp(t, m, "availability", true, what, &c->availability);
    fd_yt_duration(t, m, "for", need_for, what, &c->for_us);
}

bool fd_metric_is_write_only(fd_metric m)
{
    return m == FD_METRIC_LOST_WRITES || m == FD_METRIC_PHANTOM_WRITES ||
           m == FD_METRIC_CORRUPT_VALUES;
}

bool fd_metric_is_duration(fd_metric m)
{
    return m == FD_METRIC_FAILOVER_TIME || m == FD_METRIC_LATENCY_P50 ||
           m == FD_METRIC_LATENCY_P99 || m == FD_METRIC_LATENCY_MAX || m == FD_METRIC_RPO ||
           m == FD_METRIC_RTO;
}

static void read_check(loader *L, const fd_ynode *m, fd_check *c)
{
    fd_yt *t = &L->t;
    c->line = m->line;
    c->col = m->col;
    static const char *const keys[] = {"probe", "step", "metric", "max", "min", NULL};
    fd_yt_keys(t, m, "check", keys);
    fd_yt_str(t, m, "probe", false, "check", &c->probe);
    fd_yt_str(t, m, "step", false, "check", &c->step);
    if (c->probe && c->step)
        fd_yt_err(t, m, "check takes 'probe' or 'step', not both");
    else if (!c->probe && !c->step)
        fd_yt_err(t, m, "check needs 'probe' (or 'step' for a verify step's metrics)");
    const fd_ynode *mn = fd_ymap_get(m, "metric");
    if (!mn) {
        fd_yt_missing(t, m, "check", "metric");
        return;
    }
    int metric = fd_yt_enum(t, mn, "metric", fd_metric_names);
    if (metric < 0)
        return;
    c->metric = (fd_metric)metric;
    const fd_ynode *mx = fd_ymap_get(m, "max"), *mi = fd_ymap_get(m, "min");
    if (mx && mi) {
        fd_yt_err(t, fd_ymap_key(m, "min"), "check takes 'max' or 'min', not both");
        return;
    }
    if (!mx && !mi) {
        fd_yt_err(t, m, "check needs 'max' or 'min'");
        return;
    }
    c->is_max = mx != NULL;
    const char *key = mx ? "max" : "min";
    if (fd_metric_is_duration(c->metric)) {
        int64_t us = 0;
        if (fd_yt_duration(t, m, key, true, "check", &us))
            c->limit = (double)us / 1e6;
    } else if (c->metric == FD_METRIC_AVAILABILITY) {
        fd_yt_ratio(t, m, key, true, "check", &c->limit);
    } else {
        int64_t n = 0;
        if (fd_yt_uint(t, m, key, true, "check", 1000000000, &n))
            c->limit = (double)n;
    }
}

/* ------------------------------------------------------------------ cross-references */

const fd_probe *fd_scenario_probe(const fd_scenario *s, const char *name)
{
    for (size_t i = 0; name && i < s->nprobes; i++)
        if (fd_str_eq(s->probes[i].name, name))
            return &s->probes[i];
    return NULL;
}

const fd_step *fd_scenario_step(const fd_scenario *s, const char *id)
{
    for (size_t i = 0; id && i < s->nsteps; i++)
        if (fd_str_eq(s->steps[i].id, id))
            return &s->steps[i];
    return NULL;
}

static void unknown_probe(loader *L, const fd_ynode *at, const char *name)
{
    const fd_scenario *s = L->s;
    const char **names = fd_xcalloc(s->nprobes + 1, sizeof *names);
    for (size_t i = 0; i < s->nprobes; i++)
        names[i] = s->probes[i].name ? s->probes[i].name : "";
    const char *sug = fd_yt_suggest(name, names);
    char *q = fd_printable(name, 60);
    if (sug)
        fd_yt_err(&L->t, at, "no probe named '%s', did you mean '%s'?", q, sug);
    else
        fd_yt_err(&L->t, at, "no probe named '%s'", q);
    free(q);
    free(names);
}

static void check_probe_ref(loader *L, const fd_ynode *m, const char *name)
{
    if (name && !fd_scenario_probe(L->s, name))
        unknown_probe(L, fd_ymap_get(m, "probe") ? fd_ymap_get(m, "probe") : m, name);
}

static const fd_ynode *step_node(const fd_ynode *m, const char *kind, const char *key)
{
    const fd_ynode *b = kind ? fd_ymap_get(m, kind) : m;
    const fd_ynode *v = fd_ymap_get(b, key);
    return v ? v : m;
}

static void check_refs(loader *L, const fd_ynode *root)
{
    fd_scenario *s = L->s;
    fd_yt *t = &L->t;
    const fd_ynode *pn = fd_ymap_get(root, "probes");
    for (size_t i = 0; i < s->nprobes; i++) {
        for (size_t j = 0; j < i; j++) {
            if (s->probes[i].name && fd_str_eq(s->probes[i].name, s->probes[j].name))
                fd_yt_err(t, fd_ymap_get(pn->items[i], "name"),
                          "probe name '%s' is used twice (first at line %d)", s->probes[i].name,
                          s->probes[j].line);
        }
        if (s->probes[i].target.set)
            check_selector(L, &s->probes[i].target, fd_ymap_get(pn->items[i], "target"));
    }
    const fd_ynode *tl = fd_ymap_get(root, "timeline");
    for (size_t i = 0; i < s->nsteps; i++) {
        fd_step *st = &s->steps[i];
        const fd_ynode *m = tl->items[i];
        for (size_t j = 0; j < i; j++) {
            if (st->id_given && fd_str_eq(st->id, s->steps[j].id))
                fd_yt_err(t, fd_ymap_get(m, "id"), "step id '%s' is used twice (first at line %d)",
                          st->id, s->steps[j].line);
        }
        switch (st->kind) {
        case FD_STEP_FAULT: {
            fd_fault *f = &st->fault;
            check_selector(L, &f->target, fd_ymap_get(m, "target"));
            check_selector(L, &f->from, fd_ymap_get(m, "from"));
            check_selector(L, &f->to, fd_ymap_get(m, "to"));
            const fd_ynode *g = fd_ymap_get(m, "groups");
            for (size_t k = 0; k < f->ngroups; k++)
                check_selector(L, &f->groups[k], g->items[k]);
            if (f->ttl_us < 0)
                f->ttl_us = s->ttl_us;
            if (f->duration_us > 0 && f->ttl_us <= f->duration_us)
                fd_yt_err(t, fd_ymap_get(m, fd_ymap_get(m, "ttl") ? "ttl" : "duration"),
                          "the fault's ttl (%.1fs) must be longer than its duration (%.1fs), or "
                          "the host would revert it early",
                          (double)f->ttl_us / 1e6, (double)f->duration_us / 1e6);
            break;
        }
        case FD_STEP_HEAL: {
            if (!st->heal || strcmp(st->heal, "all") == 0)
                break;
            bool found = false;
            for (size_t j = 0; j < i; j++)
                if (s->steps[j].kind == FD_STEP_FAULT && fd_str_eq(s->steps[j].id, st->heal))
                    found = true;
            if (!found) {
                char *q = fd_printable(st->heal, 60);
                const fd_step *other = fd_scenario_step(s, st->heal);
                if (other && other->kind == FD_STEP_FAULT)
                    fd_yt_err(t, fd_ymap_get(m, "heal"),
                              "heal names fault '%s', which comes later in the timeline", q);
                else
                    fd_yt_err(t, fd_ymap_get(m, "heal"),
                              "heal names '%s', which is not the id of an earlier fault step "
                              "(or 'all')",
                              q);
                free(q);
            }
            break;
        }
        case FD_STEP_WAIT_FOR:
            if (st->wait_for.probe && !fd_scenario_probe(s, st->wait_for.probe))
                unknown_probe(L, step_node(m, "wait_for", "probe"), st->wait_for.probe);
            break;
        case FD_STEP_RUN:
            check_selector(L, &st->run.target, step_node(m, "run", "target"));
            break;
        case FD_STEP_BACKUP:
            check_selector(L, &st->backup.target, step_node(m, "backup", "target"));
            break;
        case FD_STEP_RESTORE:
            check_selector(L, &st->restore.target, step_node(m, "restore", "target"));
            break;
        case FD_STEP_VERIFY: {
            const fd_probe *p = fd_scenario_probe(s, st->verify.probe);
            if (st->verify.probe && !p)
                unknown_probe(L, step_node(m, "verify", "probe"), st->verify.probe);
            else if (p && !p->write)
                fd_yt_err(t, step_node(m, "verify", "probe"),
                          "verify reads back a write probe's values, but probe '%s' has mode "
                          "read",
                          p->name);
            if (st->verify.against) {
                bool found = false;
                for (size_t j = 0; j < i; j++)
                    if (s->steps[j].kind == FD_STEP_BACKUP &&
                        fd_str_eq(s->steps[j].id, st->verify.against))
                        found = true;
                if (!found) {
                    char *q = fd_printable(st->verify.against, 60);
                    fd_yt_err(t, step_node(m, "verify", "against"),
                              "'against' names '%s', which is not the id of an earlier backup "
                              "step",
                              q);
                    free(q);
                }
            }
            break;
        }
        default:
            break;
        }
    }
    const fd_ynode *ss = fd_ymap_get(root, "steady_state");
    for (size_t i = 0; i < s->nsteady; i++)
        check_probe_ref(L, ss->items[i], s->steady[i].probe);
    if (s->has_abort_if)
        check_probe_ref(L, fd_ymap_get(fd_ymap_get(root, "safety"), "abort_if"), s->abort_if.probe);
    const fd_ynode *cn = fd_ymap_get(root, "checks");
    for (size_t i = 0; i < s->nchecks; i++) {
        fd_check *c = &s->checks[i];
        const fd_ynode *m = cn->items[i];
        if (c->probe) {
            const fd_probe *p = fd_scenario_probe(s, c->probe);
            if (!p)
                unknown_probe(L, fd_ymap_get(m, "probe"), c->probe);
            else if (fd_metric_is_write_only(c->metric) && !p->write)
                fd_yt_err(t, fd_ymap_get(m, "metric"),
                          "metric '%s' needs a write probe, but probe '%s' has mode read",
                          fd_metric_names[c->metric], p->name);
            if (c->metric == FD_METRIC_RPO || c->metric == FD_METRIC_RTO)
                fd_yt_err(t, fd_ymap_get(m, "metric"),
                          "metric '%s' belongs to a verify step: use 'step: ID' instead of "
                          "'probe'",
                          fd_metric_names[c->metric]);
        } else if (c->step) {
            const fd_step *st = fd_scenario_step(s, c->step);
            if (!st || st->kind != FD_STEP_VERIFY) {
                char *q = fd_printable(c->step, 60);
                fd_yt_err(t, fd_ymap_get(m, "step"),
                          "check names step '%s', which is not a "
                          "verify step",
                          q);
                free(q);
            } else if (c->metric != FD_METRIC_RPO && c->metric != FD_METRIC_RTO &&
                       c->metric != FD_METRIC_LOST_WRITES) {
                fd_yt_err(t, fd_ymap_get(m, "metric"),
                          "a verify step gives lost_writes, rpo and rto, not '%s'",
                          fd_metric_names[c->metric]);
            }
        }
    }
}

/* ------------------------------------------------------------------ top level */

static void read_safety(loader *L, const fd_ynode *m)
{
    fd_yt *t = &L->t;
    fd_scenario *s = L->s;
    if (!m || !fd_yt_map(t, m, "'safety'"))
        return;
    static const char *const keys[] = {"max_hosts_affected", "ttl", "abort_if", NULL};
    fd_yt_keys(t, m, "'safety'", keys);
    if (fd_ymap_get(m, "max_hosts_affected")) {
        int64_t n = 0;
        if (fd_yt_uint(t, m, "max_hosts_affected", false, "'safety'", FD_MAX_HOSTS, &n)) {
            if (n == 0)
                fd_yt_err(t, fd_ymap_get(m, "max_hosts_affected"),
                          "'max_hosts_affected' must be at least 1");
            s->max_hosts_affected = n;
        }
    }
    if (fd_yt_duration(t, m, "ttl", false, "'safety'", &s->ttl_us) && s->ttl_us == 0)
        fd_yt_err(t, fd_ymap_get(m, "ttl"), "'ttl' must be longer than 0s");
    const fd_ynode *a = fd_ymap_get(m, "abort_if");
    if (a && fd_yt_map(t, a, "'abort_if'")) {
        s->has_abort_if = true;
        read_condition(L, a, "'abort_if'", &s->abort_if, true);
    }
}

static void read_report(loader *L, const fd_ynode *m)
{
    fd_yt *t = &L->t;
    fd_scenario *s = L->s;
    if (!m || !fd_yt_map(t, m, "'report'"))
        return;
    static const char *const keys[] = {"dir", "formats", "notify", NULL};
    fd_yt_keys(t, m, "'report'", keys);
    fd_yt_str(t, m, "dir", false, "'report'", &s->report_dir);
    fd_strv formats = {0};
    if (fd_ymap_get(m, "formats") && fd_yt_strlist(t, m, "formats", false, "'report'", &formats)) {
        static const char *const names[] = {"json", "html", "junit", "markdown", NULL};
        s->formats = FD_FORMAT_JSON;
        for (size_t i = 0; i < formats.n; i++) {
            int k = fd_yt_name_index(names, formats.v[i]);
            if (k < 0) {
                char *q = fd_printable(formats.v[i], 60);
                fd_yt_err(t, fd_ymap_get(m, "formats"),
                          "'formats' entries must be json, html, junit or markdown, got '%s'", q);
                free(q);
            } else {
                s->formats |= 1u << k;
            }
        }
    }
    fd_strv_free(&formats);
    const fd_ynode *n = fd_ymap_get(m, "notify");
    if (n && fd_yt_map(t, n, "'notify'")) {
        static const char *const nkeys[] = {"webhook", NULL};
        fd_yt_keys(t, n, "'notify'", nkeys);
        if (fd_yt_str(t, n, "webhook", true, "'notify'", &s->webhook) && s->webhook &&
            !fd_str_starts(s->webhook, "http://") && !fd_str_starts(s->webhook, "https://"))
            fd_yt_err(t, fd_ymap_get(n, "webhook"), "'webhook' must be an http:// or https:// URL");
    }
}

static bool valid_scenario_name(const char *s)
{
    if (!*s || strlen(s) > 64 || !(islower((unsigned char)s[0]) || isdigit((unsigned char)s[0])))
        return false;
    for (const char *p = s; *p; p++)
        if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '-'))
            return false;
    return true;
}

/* Loads the inventory named (or held inline) by the scenario, or --inventory. */
static void load_inventory(loader *L, const fd_ynode *root, const fd_load_opts *o)
{
    fd_scenario *s = L->s;
    const char *path = o ? o->inventory : NULL;
    const fd_ynode *in = fd_ymap_get(root, "inventory");
    if (!path && !in) {
        fd_yt_err(&L->t, root,
                  "scenario is missing required key 'inventory' (or give "
                  "--inventory FILE)");
        return;
    }
    if (!path && in->kind == FD_Y_MAP) {
        fd_inventory_from_node(&L->t, in, s->file, s->dir, &s->inv);
        return;
    }
    char *full;
    if (path) {
        full = fd_strdup(path);
    } else if (in->kind == FD_Y_SCALAR && in->str[0]) {
        full = fd_path_resolve(in->str, s->dir);
    } else {
        fd_yt_err(&L->t, in, "'inventory' must be a path or a mapping, got %s",
                  in->kind == FD_Y_SCALAR ? "an empty string" : fd_ykind_name(in));
        return;
    }
    fd_diags *d = L->t.d;
    fd_ydoc *doc = fd_ydoc_load(full, d);
    if (!doc) {
        /* Name the reference as well as the file when the scenario pointed at it. */
        if (!path && d->n) {
            char *last = d->msgs[d->n - 1];
            char *ref = fd_asprintf("%s:%d:%d: inventory %s", s->file, in->line, in->col, last);
            free(last);
            d->msgs[d->n - 1] = ref;
        }
        L->t.errors++;
        free(full);
        return;
    }
    fd_yt it = {.file = full, .d = d};
    loader sub = {.t = it, .s = s, .doc = doc};
    subst_tree(&sub, doc->root, NULL);
    char *dir = fd_path_dir(full);
    if (!doc->root)
        fd_yt_err(&sub.t, NULL, "inventory file is empty");
    else
        fd_inventory_from_node(&sub.t, doc->root, full, dir, &s->inv);
    L->t.errors += sub.t.errors;
    free(dir);
    free(full);
    fd_ydoc_free(doc);
}

static void read_list(loader *L, const fd_ynode *root, const char *key, size_t max,
                      const char *item_what, size_t *count, const fd_ynode **out)
{
    const fd_ynode *n = fd_ymap_get(root, key);
    *out = NULL;
    *count = 0;
    if (!n)
        return;
    if (n->kind != FD_Y_SEQ) {
        fd_yt_err(&L->t, n, "'%s' must be a list of %s, got %s", key, item_what, fd_ykind_name(n));
        return;
    }
    if (n->n > max) {
        fd_yt_err(&L->t, n, "'%s' has %zu entries, more than the limit of %zu", key, n->n, max);
        return;
    }
    for (size_t i = 0; i < n->n; i++) {
        if (n->items[i]->kind != FD_Y_MAP) {
            fd_yt_err(&L->t, n->items[i], "each entry of '%s' must be a mapping, got %s", key,
                      fd_ykind_name(n->items[i]));
            return;
        }
    }
    *out = n;
    *count = n->n;
}

static fd_err load_doc(fd_ydoc *doc, const fd_load_opts *o, fd_scenario *s, fd_diags *d)
{
    loader L = {.t = {.file = s->file, .d = d}, .s = s, .doc = doc};
    fd_yt *t = &L.t;
    const fd_ynode *root = doc->root;
    if (!root) {
        fd_yt_err(t, NULL, "file is empty, expected a scenario mapping");
        return FD_ERR_INPUT;
    }
    if (!fd_yt_map(t, root, "a scenario"))
        return FD_ERR_INPUT;
    static const char *const top[] = {"version", "name",   "description",  "inventory",
                                      "vars",    "probes", "steady_state", "timeline",
                                      "checks",  "safety", "report",       NULL};
    if (!fd_yt_file_keys(t, root, "the scenario", "a scenario", top))
        return FD_ERR_INPUT;

    const fd_ynode *vn = fd_ymap_get(root, "version");
    if (!vn)
        fd_yt_missing(t, root, "the scenario", "version");
    else if (vn->kind != FD_Y_SCALAR || strcmp(vn->str, "1") != 0)
        fd_yt_err(t, vn, "'version' must be 1, got '%s'",
                  vn->kind == FD_Y_SCALAR ? vn->str : fd_ykind_name(vn));

    read_vars(&L, root, o);
    /* Substitute every scalar outside 'vars' (whose values were expanded in order). */
    fd_ynode *varsn = fd_ymap_get(root, "vars");
    for (size_t i = 0; i < root->n; i++)
        subst_tree(&L, root->items[2 * i + 1], varsn);

    if (fd_yt_str(t, root, "name", true, "the scenario", &s->name) && s->name &&
        !valid_scenario_name(s->name)) {
        char *q = fd_printable(s->name, 60);
        fd_yt_err(t, fd_ymap_get(root, "name"),
                  "'name' must be lowercase letters, digits and '-', starting with a letter or "
                  "digit, at most 64 characters, got '%s'",
                  q);
        free(q);
    }
    fd_yt_str(t, root, "description", false, "the scenario", &s->description);
    load_inventory(&L, root, o);

    s->ttl_us = 600000000;
    s->max_hosts_affected = -1;
    read_safety(&L, fd_ymap_get(root, "safety"));

    const fd_ynode *list;
    read_list(&L, root, "probes", FD_MAX_PROBES, "probes", &s->nprobes, &list);
    if (list) {
        s->probes = fd_xcalloc(s->nprobes, sizeof *s->probes);
        for (size_t i = 0; i < s->nprobes; i++)
            read_probe(&L, list->items[i], &s->probes[i]);
    }

    read_list(&L, root, "steady_state", 64, "conditions", &s->nsteady, &list);
    if (list) {
        s->steady = fd_xcalloc(s->nsteady, sizeof *s->steady);
        for (size_t i = 0; i < s->nsteady; i++)
            read_condition(&L, list->items[i], "steady_state condition", &s->steady[i], true);
    }

    const fd_ynode *tl = fd_ymap_get(root, "timeline");
    if (!tl) {
        fd_yt_missing(t, root, "the scenario", "timeline");
    } else if (tl->kind == FD_Y_SEQ && tl->n == 0) {
        fd_yt_err(t, tl, "'timeline' must have at least one step");
    } else {
        read_list(&L, root, "timeline", FD_MAX_STEPS, "steps", &s->nsteps, &list);
        if (list) {
            s->steps = fd_xcalloc(s->nsteps, sizeof *s->steps);
            for (size_t i = 0; i < s->nsteps; i++)
                read_step(&L, list->items[i], i, &s->steps[i]);
        }
    }

    read_list(&L, root, "checks", 1000, "checks", &s->nchecks, &list);
    if (list) {
        s->checks = fd_xcalloc(s->nchecks, sizeof *s->checks);
        for (size_t i = 0; i < s->nchecks; i++)
            read_check(&L, list->items[i], &s->checks[i]);
    }

    s->formats = FD_FORMAT_JSON | FD_FORMAT_HTML | FD_FORMAT_JUNIT | FD_FORMAT_MARKDOWN;
    read_report(&L, fd_ymap_get(root, "report"));
    if (!s->report_dir)
        s->report_dir = fd_strdup("reports");

    if (t->errors == 0)
        check_refs(&L, root);
    return t->errors ? FD_ERR_INPUT : FD_OK;
}

fd_err fd_scenario_load(const char *path, const fd_load_opts *opts, fd_scenario *s, fd_diags *d)
{
    memset(s, 0, sizeof *s);
    s->file = fd_strdup(path);
    s->dir = fd_path_dir(path);
    size_t before = d->n;
    fd_ydoc *doc = fd_ydoc_load(path, d);
    if (!doc)
        return d->n > before ? FD_ERR_INPUT : FD_ERR_IO;
    fd_err e = load_doc(doc, opts, s, d);
    fd_ydoc_free(doc);
    return e;
}

fd_err fd_scenario_load_text(const char *label, const char *text, size_t len,
                             const fd_load_opts *opts, fd_scenario *s, fd_diags *d)
{
    memset(s, 0, sizeof *s);
    s->file = fd_strdup(label);
    s->dir = fd_path_dir(label);
    fd_ydoc *doc = fd_ydoc_parse(label, text, len, d);
    if (!doc)
        return FD_ERR_INPUT;
    fd_err e = load_doc(doc, opts, s, d);
    fd_ydoc_free(doc);
    return e;
}

fd_err fd_inventory_load(const char *path, fd_inventory *inv, fd_diags *d)
{
    memset(inv, 0, sizeof *inv);
    fd_ydoc *doc = fd_ydoc_load(path, d);
    if (!doc)
        return FD_ERR_INPUT;
    fd_scenario tmp = {0};
    fd_yt t = {.file = path, .d = d};
    loader L = {.t = t, .s = &tmp, .doc = doc};
    subst_tree(&L, doc->root, NULL);
    char *dir = fd_path_dir(path);
    if (!doc->root)
        fd_yt_err(&L.t, NULL, "inventory file is empty");
    else if (L.t.errors == 0)
        fd_inventory_from_node(&L.t, doc->root, path, dir, inv);
    free(dir);
    fd_vars_free(&tmp.vars);
    fd_ydoc_free(doc);
    return L.t.errors ? FD_ERR_INPUT : FD_OK;
}

fd_err fd_load_scenario_or_inventory(const char *path, const fd_load_opts *opts, fd_scenario *s,
                                     bool *is_scenario, fd_diags *d)
{
    memset(s, 0, sizeof *s);
    *is_scenario = true;
    fd_diags probe_d = {0};
    fd_ydoc *doc = fd_ydoc_load(path, &probe_d);
    bool inv_only = doc && doc->root && doc->root->kind == FD_Y_MAP &&
                    fd_ymap_get(doc->root, "hosts") && !fd_ymap_get(doc->root, "timeline");
    fd_ydoc_free(doc);
    fd_diag_clear(&probe_d);
    if (inv_only) {
        *is_scenario = false;
        s->file = fd_strdup(path);
        s->dir = fd_path_dir(path);
        return fd_inventory_load(path, &s->inv, d);
    }
    return fd_scenario_load(path, opts, s, d);
}

static void fault_free(fd_fault *f)
{
    fd_selector_free(&f->target);
    free(f->process);
    free(f->pidfile);
    free(f->unit);
    free(f->signal);
    free(f->restart);
    free(f->stop);
    free(f->start);
    for (size_t i = 0; i < f->ngroups; i++)
        fd_selector_free(&f->groups[i]);
    free(f->groups);
    fd_selector_free(&f->from);
    fd_selector_free(&f->to);
    free(f->datacenter);
    free(f->rate);
    free(f->device);
    free(f->path);
    free(f->apply);
    free(f->revert);
}

void fd_scenario_free(fd_scenario *s)
{
    if (!s)
        return;
    free(s->file);
    free(s->dir);
    free(s->name);
    free(s->description);
    fd_inventory_free(&s->inv);
    fd_vars_free(&s->vars);
    for (size_t i = 0; i < s->nprobes; i++) {
        fd_probe *p = &s->probes[i];
        free(p->name);
        free(p->address);
        free(p->url);
        free(p->method);
        free(p->body);
        free(p->write_url);
        free(p->write_body);
        free(p->read_url);
        for (size_t j = 0; j < p->nheaders; j++) {
            free(p->headers[j].key);
            free(p->headers[j].value);
        }
        free(p->headers);
        fd_strv_free(&p->endpoints);
        fd_strv_free(&p->sentinel_addresses);
        free(p->sentinel_master);
        free(p->conninfo);
        free(p->table);
        free(p->command);
        fd_selector_free(&p->target);
    }
    free(s->probes);
    for (size_t i = 0; i < s->nsteady; i++)
        free(s->steady[i].probe);
    free(s->steady);
    for (size_t i = 0; i < s->nsteps; i++) {
        fd_step *st = &s->steps[i];
        free(st->id);
        fault_free(&st->fault);
        free(st->heal);
        free(st->wait_for.probe);
        free(st->run.command);
        fd_selector_free(&st->run.target);
        fd_selector_free(&st->backup.target);
        free(st->backup.command);
        free(st->backup.artifact);
        free(st->copy.from.host);
        free(st->copy.from.path);
        free(st->copy.to.host);
        free(st->copy.to.path);
        fd_selector_free(&st->restore.target);
        free(st->restore.command);
        free(st->verify.probe);
        free(st->verify.against);
        free(st->verify.read);
    }
    free(s->steps);
    for (size_t i = 0; i < s->nchecks; i++) {
        free(s->checks[i].probe);
        free(s->checks[i].step);
    }
    free(s->checks);
    free(s->abort_if.probe);
    free(s->report_dir);
    free(s->webhook);
    memset(s, 0, sizeof *s);
}
