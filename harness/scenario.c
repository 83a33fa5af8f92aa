/* scenario.c: loading a scenario (or an inventory) into typed structures.
 *
 * The order is: parse YAML (yamldoc.c refuses hostile input), resolve vars,
 * substitute every scalar, load the inventory, read each section into its
 * structures, then check the cross-references between them. Every problem is
 * collected, so `validate` prints them all at once. */
#include "scenario.h"
#include "ansible.h"
#include "notify.h"
#include "faults.h"
#include "selector.h"
#include "scenario_load.h"
#include "ytyped.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

const char *const fd_fault_type_names[] = {"kill",           "pause", "stop_service", "partition",
                                           "cut_datacenter", "drop",  "netem",        "fill_disk",
                                           "command",        NULL};

const char *const fd_step_kind_names[] = {
    "fault",   "heal",   "wait",        "wait_for",    "run",  "backup", "copy",
    "restore", "verify", "archive_lag", "consistency", "hold", NULL};
const char *const fd_probe_type_names[] = {"tcp",     "http",  "redis",      "postgres", "etcd",
                                           "command", "mysql", "prometheus", NULL};
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
                                       "backup_age",
                                       "late_writes",
                                       "archive_lag",
                                       "replica_lost_writes",
                                       "extra_values",
                                       "divergent_values",
                                       "replica_lag",
                                       "stale_reads",
                                       "stale_after_bound",
                                       "monotonic_violations",
                                       "time_to_ack",
                                       "value_max",
                                       "value_min",
                                       "value_mean",
                                       "value_last",
                                       "time_to_alert",
                                       "time_to_resolve",
                                       NULL};

/* ------------------------------------------------------------------ substitution */

static void subst_tree(fd_loader *L, fd_ynode *n, const fd_ynode *skip)
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

static void read_vars(fd_loader *L, const fd_ynode *root, const fd_load_opts *o)
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

void fd_scenario_check_selector(fd_loader *L, const fd_selector *sel, const fd_ynode *node)
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

/* ------------------------------------------------------------------ conditions, checks */

static void read_condition(fd_loader *L, const fd_ynode *m, const char *what, fd_condition *c,
                           bool need_for)
{
    fd_yt *t = &L->t;
    c->line = m->line;
    c->col = m->col;
    static const char *const keys[] = {"probe", "availability", "value", "for", NULL};
    fd_yt_keys(t, m, what, keys);
    fd_yt_str(t, m, "probe", true, what, &c->probe);
    c->on_value = fd_ymap_get(m, "value") != NULL;
    if (c->on_value && fd_ymap_get(m, "availability"))
        fd_yt_err(t, fd_ymap_key(m, "value"), "%s takes 'availability' or 'value', not both", what);
    else if (c->on_value)
        fd_yt_cmp_number(t, m, "value", true, what, &c->value);
    else if (!fd_ymap_get(m, "availability"))
        fd_yt_err(t, m, "%s needs 'availability' (or 'value' for a prometheus probe)", what);
    else
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
           m == FD_METRIC_RTO || m == FD_METRIC_BACKUP_AGE || m == FD_METRIC_ARCHIVE_LAG ||
           m == FD_METRIC_REPLICA_LAG || m == FD_METRIC_TIME_TO_ACK || fd_metric_is_alert(m);
}

const char *fd_check_about(const fd_check *c)
{
    return c->probe ? c->probe : c->step ? c->step : c->alert;
}

bool fd_metric_is_value(fd_metric m)
{
    return m == FD_METRIC_VALUE_MAX || m == FD_METRIC_VALUE_MIN || m == FD_METRIC_VALUE_MEAN ||
           m == FD_METRIC_VALUE_LAST;
}

bool fd_metric_is_alert(fd_metric m)
{
    return m == FD_METRIC_TIME_TO_ALERT || m == FD_METRIC_TIME_TO_RESOLVE;
}

static void read_check(fd_loader *L, const fd_ynode *m, fd_check *c)
{
    fd_yt *t = &L->t;
    c->line = m->line;
    c->col = m->col;
    static const char *const keys[] = {"probe", "step",   "alert",  "metric", "max",
                                       "min",   "expect", "during", NULL};
    fd_yt_keys(t, m, "check", keys);
    const fd_ynode *en = fd_ymap_get(m, "expect");
    if (en) {
        static const char *const expects[] = {"pass", "fail", NULL};
        c->expect_fail = fd_yt_enum(t, en, "expect", expects) == 1;
    }
    fd_yt_str(t, m, "probe", false, "check", &c->probe);
    fd_yt_str(t, m, "step", false, "check", &c->step);
    fd_yt_str(t, m, "alert", false, "check", &c->alert);
    fd_yt_str(t, m, "during", false, "check", &c->during);
    int subjects = !!c->probe + !!c->step + !!c->alert;
    if (subjects > 1)
        fd_yt_err(t, m, "check takes one of 'probe', 'step' and 'alert'");
    else if (!subjects)
        fd_yt_err(t, m,
                  "check needs 'probe' (or 'step' for a step's metrics, 'alert' for an "
                  "alert's)");
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
    } else if (fd_metric_is_value(c->metric)) {
        fd_yt_number(t, m, key, true, "check", &c->limit);
    } else {
        int64_t n = 0;
        if (fd_yt_uint(t, m, key, true, "check", 1000000000, &n))
            c->limit = (double)n;
    }
}

/* ------------------------------------------------------------------ top level */

static void read_safety(fd_loader *L, const fd_ynode *m)
{
    fd_yt *t = &L->t;
    fd_scenario *s = L->s;
    if (!m || !fd_yt_map(t, m, "'safety'"))
        return;
    static const char *const keys[] = {"max_hosts_affected", "ttl", "abort_if", "alerts", NULL};
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
    fd_scenario_read_alerts(L, fd_ymap_get(m, "alerts"));
}

static void read_report(fd_loader *L, const fd_ynode *m)
{
    fd_yt *t = &L->t;
    fd_scenario *s = L->s;
    if (!m || !fd_yt_map(t, m, "'report'"))
        return;
    static const char *const keys[] = {"dir", "formats", "notify", "url_base", "pushgateway", NULL};
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
        static const char *const nkeys[] = {"webhook", "events", NULL};
        fd_yt_keys(t, n, "'notify'", nkeys);
        if (fd_yt_str(t, n, "webhook", true, "'notify'", &s->webhook) && s->webhook &&
            !fd_str_starts(s->webhook, "http://") && !fd_str_starts(s->webhook, "https://"))
            fd_yt_err(t, fd_ymap_get(n, "webhook"), "'webhook' must be an http:// or https:// URL");
        fd_strv ev = {0};
        s->notify_events = FD_NOTIFY_END;
        if (fd_ymap_get(n, "events") && fd_yt_strlist(t, n, "events", false, "'notify'", &ev)) {
            s->notify_events = 0;
            for (size_t i = 0; i < ev.n; i++) {
                int k = fd_yt_name_index(fd_notify_event_names, ev.v[i]);
                if (k < 0) {
                    char *q = fd_printable(ev.v[i], 60);
                    fd_yt_err(t, fd_ymap_get(n, "events"),
                              "'events' entries must be start, fault, hold, abort or end, got '%s'",
                              q);
                    free(q);
                } else {
                    s->notify_events |= 1u << k;
                }
            }
        }
        fd_strv_free(&ev);
    }
    if (fd_yt_str(t, m, "url_base", false, "'report'", &s->url_base) && s->url_base &&
        !fd_str_starts(s->url_base, "http://") && !fd_str_starts(s->url_base, "https://"))
        fd_yt_err(t, fd_ymap_get(m, "url_base"), "'url_base' must be an http:// or https:// URL");
    if (fd_yt_str(t, m, "pushgateway", false, "'report'", &s->pushgateway) && s->pushgateway &&
        !fd_str_starts(s->pushgateway, "http://") && !fd_str_starts(s->pushgateway, "https://"))
        fd_yt_err(t, fd_ymap_get(m, "pushgateway"),
                  "'pushgateway' must be the Pushgateway's http:// or https:// URL");
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

/* Reads the inventory file at full: firedrill's own (with ${...} substituted) or an
 * Ansible inventory, INI or YAML. ref: the scenario's `inventory:` that named it, whose
 * position a failure to read the file is reported at too (NULL for --inventory). */
static void inventory_file(fd_loader *L, const char *full, bool verbose, const fd_ynode *ref,
                           fd_inventory *inv)
{
    fd_diags yd = {0};
    fd_ydoc *doc = fd_ydoc_load(full, &yd);
    fd_yt it = {.file = full, .d = L->t.d};
    fd_loader sub = {.t = it, .s = L->s, .doc = doc};
    char *dir = fd_path_dir(full);
    if (fd_ansible_file_is(full, doc)) {
        fd_host_opts defs = {.connect_timeout_us = 5000000};
        fd_ansible_opts ao = {
            .defaults = &defs, .base_dir = dir, .verbose = verbose, .named_by_file = ref != NULL};
        memset(inv, 0, sizeof *inv);
        inv->file = fd_strdup(full);
        fd_ansible_load(&sub.t, full,
                        doc && doc->root && doc->root->kind == FD_Y_MAP ? doc->root : NULL, &ao,
                        inv);
    } else if (!doc) {
        /* Name the reference as well as the file when the scenario pointed at it. */
        for (size_t i = 0; i < yd.n; i++) {
            if (ref)
                fd_diag_add(L->t.d, L->s->file, ref->line, ref->col, "inventory %s", yd.msgs[i]);
            else
                fd_diag_add(L->t.d, NULL, 0, 0, "%s", yd.msgs[i]);
        }
        sub.t.errors++;
    } else {
        subst_tree(&sub, doc->root, NULL);
        if (!doc->root)
            fd_yt_err(&sub.t, NULL, "inventory file is empty");
        else if (sub.t.errors == 0)
            fd_inventory_from_node(&sub.t, doc->root, full, dir, verbose, inv);
    }
    L->t.errors += sub.t.errors;
    fd_diag_clear(&yd);
    free(dir);
    fd_ydoc_free(doc);
}

/* Loads the inventory named (or held inline) by the scenario, or --inventory. */
static void load_inventory(fd_loader *L, const fd_ynode *root, const fd_load_opts *o)
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
        fd_inventory_from_node(&L->t, in, s->file, s->dir, o && o->verbose, &s->inv);
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
    inventory_file(L, full, o && o->verbose, !path ? in : NULL, &s->inv);
    free(full);
}

static void read_list(fd_loader *L, const fd_ynode *root, const char *key, size_t max,
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

/* A `finally:` step: any kind but a fault or a heal (finally runs once every fault is
 * healed). */
static void read_finally_step(fd_loader *L, const fd_ynode *m, size_t index, fd_step *st)
{
    fd_scenario_read_step(L, m, index, st);
    if (st->kind == FD_STEP_FAULT || st->kind == FD_STEP_HEAL)
        fd_yt_err(&L->t, m,
                  "a finally step cannot be a %s: finally runs once every fault is healed",
                  fd_step_kind_names[st->kind]);
}

/* The scenario's lists: probes, steady_state, timeline (and finally), checks. */
static void read_lists(fd_loader *L, const fd_ynode *root)
{
    fd_scenario *s = L->s;
    const fd_ynode *list;
    read_list(L, root, "probes", FD_MAX_PROBES, "probes", &s->nprobes, &list);
    if (list) {
        s->probes = fd_xcalloc(s->nprobes, sizeof *s->probes);
        for (size_t i = 0; i < s->nprobes; i++)
            fd_scenario_read_probe(L, list->items[i], &s->probes[i]);
    }

    read_list(L, root, "steady_state", 64, "conditions", &s->nsteady, &list);
    if (list) {
        s->steady = fd_xcalloc(s->nsteady, sizeof *s->steady);
        for (size_t i = 0; i < s->nsteady; i++)
            read_condition(L, list->items[i], "steady_state condition", &s->steady[i], true);
    }

    const fd_ynode *tl = fd_ymap_get(root, "timeline");
    if (!tl) {
        fd_yt_missing(&L->t, root, "the scenario", "timeline");
    } else if (tl->kind == FD_Y_SEQ && tl->n == 0) {
        fd_yt_err(&L->t, tl, "'timeline' must have at least one step");
    } else {
        read_list(L, root, "timeline", FD_MAX_STEPS, "steps", &s->nsteps, &list);
        const fd_ynode *fin = NULL;
        size_t nfin = 0;
        read_list(L, root, "finally", FD_MAX_STEPS, "steps", &nfin, &fin);
        if (list) {
            s->ntimeline = s->nsteps;
            s->nsteps += nfin;
            s->steps = fd_xcalloc(s->nsteps, sizeof *s->steps);
            for (size_t i = 0; i < s->ntimeline; i++)
                fd_scenario_read_step(L, list->items[i], i, &s->steps[i]);
            for (size_t k = 0; k < nfin; k++)
                read_finally_step(L, fin->items[k], s->ntimeline + k, &s->steps[s->ntimeline + k]);
        }
    }

    read_list(L, root, "checks", 1000, "checks", &s->nchecks, &list);
    if (list) {
        s->checks = fd_xcalloc(s->nchecks, sizeof *s->checks);
        for (size_t i = 0; i < s->nchecks; i++)
            read_check(L, list->items[i], &s->checks[i]);
    }
}

static fd_err load_doc(fd_ydoc *doc, const fd_load_opts *o, fd_scenario *s, fd_diags *d)
{
    fd_loader L = {.t = {.file = s->file, .d = d}, .s = s, .doc = doc};
    fd_yt *t = &L.t;
    const fd_ynode *root = doc->root;
    if (!root) {
        fd_yt_err(t, NULL, "file is empty, expected a scenario mapping");
        return FD_ERR_INPUT;
    }
    if (!fd_yt_map(t, root, "a scenario"))
        return FD_ERR_INPUT;
    static const char *const top[] = {
        "version",  "name",    "description", "inventory", "vars",   "probes", "steady_state",
        "timeline", "finally", "checks",      "safety",    "report", NULL};
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

    read_lists(&L, root);
    s->formats = FD_FORMAT_JSON | FD_FORMAT_HTML | FD_FORMAT_JUNIT | FD_FORMAT_MARKDOWN;
    read_report(&L, fd_ymap_get(root, "report"));
    if (!s->report_dir)
        s->report_dir = fd_strdup("reports");

    if (t->errors == 0)
        fd_scenario_check_refs(&L, root);
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

fd_err fd_inventory_load(const char *path, bool verbose, fd_inventory *inv, fd_diags *d)
{
    memset(inv, 0, sizeof *inv);
    fd_scenario tmp = {.file = fd_strdup(path)};
    fd_yt t = {.file = path, .d = d};
    fd_loader L = {.t = t, .s = &tmp};
    inventory_file(&L, path, verbose, NULL, inv);
    fd_vars_free(&tmp.vars);
    free(tmp.file);
    return L.t.errors ? FD_ERR_INPUT : FD_OK;
}

fd_err fd_load_scenario_or_inventory(const char *path, const fd_load_opts *opts, fd_scenario *s,
                                     bool *is_scenario, fd_diags *d)
{
    memset(s, 0, sizeof *s);
    *is_scenario = true;
    fd_diags probe_d = {0};
    fd_ydoc *doc = fd_ydoc_load(path, &probe_d);
    bool inv_only = fd_ansible_file_is(path, doc) ||
                    (doc && doc->root && doc->root->kind == FD_Y_MAP &&
                     (fd_ymap_get(doc->root, "hosts") || fd_ymap_get(doc->root, "ansible")) &&
                     !fd_ymap_get(doc->root, "timeline"));
    fd_ydoc_free(doc);
    fd_diag_clear(&probe_d);
    if (inv_only) {
        *is_scenario = false;
        s->file = fd_strdup(path);
        s->dir = fd_path_dir(path);
        return fd_inventory_load(path, opts && opts->verbose, &s->inv, d);
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

static void step_free(fd_step *st)
{
    free(st->id);
    fault_free(&st->fault);
    free(st->heal);
    free(st->wait_for.probe);
    free(st->run.command);
    fd_selector_free(&st->run.target);
    fd_selector_free(&st->backup.target);
    free(st->backup.command);
    free(st->backup.artifact);
    free(st->backup.catalog);
    free(st->copy.from.host);
    free(st->copy.from.path);
    free(st->copy.to.host);
    free(st->copy.to.path);
    fd_selector_free(&st->restore.target);
    free(st->restore.command);
    free(st->restore.recovery_before);
    free(st->verify.probe);
    free(st->verify.against);
    free(st->verify.read);
    fd_selector_free(&st->archive_lag.archive_target);
    fd_selector_free(&st->archive_lag.primary_target);
    free(st->archive_lag.archive_command);
    free(st->archive_lag.primary_command);
    free(st->consistency.probe);
    fd_strv_free(&st->consistency.tables);
    fd_selector_free(&st->consistency.target);
    free(st->hold.prompt);
    free(st->hold.runbook);
    free(st->hold.auto_command);
    fd_selector_free(&st->hold.target);
}

static void free_kvs(fd_kv *kv, size_t n)
{
    for (size_t j = 0; j < n; j++) {
        free(kv[j].key);
        free(kv[j].value);
    }
    free(kv);
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
        free(p->query);
        free_kvs(p->labels, p->nlabels);
        free_kvs(p->headers, p->nheaders);
        fd_strv_free(&p->endpoints);
        fd_strv_free(&p->sentinel_addresses);
        free(p->sentinel_master);
        free(p->conninfo);
        free(p->user);
        free(p->password);
        free(p->database);
        free(p->table);
        free(p->command);
        fd_selector_free(&p->target);
        fd_selector_free(&p->replicas_target);
        fd_strv_free(&p->replicas_read);
        free(p->read_from);
    }
    free(s->probes);
    for (size_t i = 0; i < s->nsteady; i++)
        free(s->steady[i].probe);
    free(s->steady);
    for (size_t i = 0; i < s->nsteps; i++)
        step_free(&s->steps[i]);
    free(s->steps);
    for (size_t i = 0; i < s->nchecks; i++) {
        free(s->checks[i].probe);
        free(s->checks[i].step);
        free(s->checks[i].alert);
        free(s->checks[i].during);
    }
    free(s->checks);
    free(s->abort_if.probe);
    free(s->alerts.alertmanager);
    fd_strv_free(&s->alerts.matchers);
    fd_strv_free(&s->alerts.expect);
    free_kvs(s->alerts.headers, s->alerts.nheaders);
    free(s->report_dir);
    free(s->webhook);
    free(s->url_base);
    free(s->pushgateway);
    memset(s, 0, sizeof *s);
}
