/* scenario_refs.c: the cross-references of a scenario read whole: probes, fault ids,
 * steps and checks that name each other, and selectors against the inventory. */
#include "scenario_load.h"
#include "ytyped.h"

#include <stdlib.h>
#include <string.h>

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

static void unknown_probe(fd_loader *L, const fd_ynode *at, const char *name)
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

static void check_probe_ref(fd_loader *L, const fd_ynode *m, const char *name)
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

static void check_probes(fd_loader *L, const fd_ynode *root)
{
    fd_scenario *s = L->s;
    const fd_ynode *pn = fd_ymap_get(root, "probes");
    for (size_t i = 0; i < s->nprobes; i++) {
        for (size_t j = 0; j < i; j++) {
            if (s->probes[i].name && fd_str_eq(s->probes[i].name, s->probes[j].name))
                fd_yt_err(&L->t, fd_ymap_get(pn->items[i], "name"),
                          "probe name '%s' is used twice (first at line %d)", s->probes[i].name,
                          s->probes[j].line);
        }
        if (s->probes[i].target.set)
            fd_scenario_check_selector(L, &s->probes[i].target,
                                       fd_ymap_get(pn->items[i], "target"));
        if (s->probes[i].replicas_target.set)
            fd_scenario_check_selector(
                L, &s->probes[i].replicas_target,
                fd_ymap_get(fd_ymap_get(pn->items[i], "replicas"), "target"));
    }
}

static void check_fault(fd_loader *L, fd_fault *f, const fd_ynode *m)
{
    fd_scenario_check_selector(L, &f->target, fd_ymap_get(m, "target"));
    fd_scenario_check_selector(L, &f->from, fd_ymap_get(m, "from"));
    fd_scenario_check_selector(L, &f->to, fd_ymap_get(m, "to"));
    const fd_ynode *g = fd_ymap_get(m, "groups");
    for (size_t k = 0; k < f->ngroups; k++)
        fd_scenario_check_selector(L, &f->groups[k], g->items[k]);
    if (f->ttl_us < 0)
        f->ttl_us = L->s->ttl_us;
    if (f->duration_us > 0 && f->ttl_us <= f->duration_us)
        fd_yt_err(&L->t, fd_ymap_get(m, fd_ymap_get(m, "ttl") ? "ttl" : "duration"),
                  "the fault's ttl (%.1fs) must be longer than its duration (%.1fs), or the host "
                  "would revert it early",
                  (double)f->ttl_us / 1e6, (double)f->duration_us / 1e6);
}

/* Whether one of the first n steps is of `kind` with id `id`. */
static bool earlier(const fd_scenario *s, size_t n, fd_step_kind kind, const char *id)
{
    for (size_t j = 0; j < n; j++)
        if (s->steps[j].kind == kind && fd_str_eq(s->steps[j].id, id))
            return true;
    return false;
}

static void check_heal(fd_loader *L, size_t i, const fd_step *st, const fd_ynode *m)
{
    if (!st->heal || strcmp(st->heal, "all") == 0 || earlier(L->s, i, FD_STEP_FAULT, st->heal))
        return;
    char *q = fd_printable(st->heal, 60);
    const fd_step *other = fd_scenario_step(L->s, st->heal);
    if (other && other->kind == FD_STEP_FAULT)
        fd_yt_err(&L->t, fd_ymap_get(m, "heal"),
                  "heal names fault '%s', which comes later in the timeline", q);
    else
        fd_yt_err(&L->t, fd_ymap_get(m, "heal"),
                  "heal names '%s', which is not the id of an earlier fault step (or 'all')", q);
    free(q);
}

static void check_verify(fd_loader *L, size_t i, const fd_step *st, const fd_ynode *m)
{
    const fd_probe *p = fd_scenario_probe(L->s, st->verify.probe);
    if (st->verify.probe && !p)
        unknown_probe(L, step_node(m, "verify", "probe"), st->verify.probe);
    else if (p && !p->write)
        fd_yt_err(&L->t, step_node(m, "verify", "probe"),
                  "verify reads back a write probe's values, but probe '%s' has mode read",
                  p->name);
    const fd_step *a = fd_scenario_step(L->s, st->verify.against);
    bool restore_with_target = a && a->kind == FD_STEP_RESTORE && a->restore.recovery != FD_RT_NONE;
    if (st->verify.against && !earlier(L->s, i, FD_STEP_BACKUP, st->verify.against) &&
        !(restore_with_target && earlier(L->s, i, FD_STEP_RESTORE, st->verify.against))) {
        char *q = fd_printable(st->verify.against, 60);
        fd_yt_err(&L->t, step_node(m, "verify", "against"),
                  a && a->kind == FD_STEP_RESTORE
                      ? "'against' names restore '%s', which has no recovery_target to verify "
                        "against"
                      : "'against' names '%s', which is not the id of an earlier backup step or "
                        "of a restore step with a recovery_target",
                  q);
        free(q);
    }
}

/* recovery_target: {before: ID}: a step or fault that comes before the restore (a
 * moment that has not happened yet cannot be restored to). */
static void check_recovery_target(fd_loader *L, const fd_step *st, const fd_ynode *m)
{
    if (st->restore.recovery != FD_RT_BEFORE)
        return;
    const fd_step *target = fd_scenario_step(L->s, st->restore.recovery_before);
    if (target && target < st)
        return;
    char *q = fd_printable(st->restore.recovery_before, 60);
    fd_yt_err(&L->t, step_node(fd_ymap_get(m, "restore"), "recovery_target", "before"),
              target ? "recovery_target names '%s', which comes after this restore in the "
                       "timeline"
                     : "recovery_target names '%s', which is no step or fault of the timeline",
              q);
    free(q);
}

/* consistency: a mysql or postgres write probe with replicas; mysql: a target for
 * pt-table-checksum, and tables named DATABASE.TABLE. */
static void check_consistency(fd_loader *L, const fd_step *st, const fd_ynode *b)
{
    const fd_probe *p = fd_scenario_probe(L->s, st->consistency.probe);
    const fd_ynode *pn = fd_ymap_get(b, "probe");
    if (!p) {
        unknown_probe(L, pn, st->consistency.probe);
        return;
    }
    if ((p->type != FD_PROBE_MYSQL && p->type != FD_PROBE_POSTGRES) || !p->write ||
        (!p->replicas_target.set && !p->replicas_read.n)) {
        fd_yt_err(&L->t, pn,
                  "consistency compares a mysql or postgres write probe's replicas, and probe "
                  "'%s' is %s",
                  p->name,
                  p->type != FD_PROBE_MYSQL && p->type != FD_PROBE_POSTGRES
                      ? fd_probe_type_names[p->type]
                  : !p->write ? "in mode read"
                              : "without 'replicas'");
        return;
    }
    if (p->type == FD_PROBE_MYSQL && !st->consistency.target.set)
        fd_yt_missing(&L->t, b, "consistency step (mysql: the host pt-table-checksum runs on)",
                      "target");
    fd_scenario_check_selector(L, &st->consistency.target, fd_ymap_get(b, "target"));
    for (size_t i = 0; p->type == FD_PROBE_MYSQL && i < st->consistency.tables.n; i++)
        if (!strchr(st->consistency.tables.v[i], '.'))
            fd_yt_err(&L->t, fd_ymap_get(b, "tables"),
                      "mysql tables are named DATABASE.TABLE, got '%s'",
                      st->consistency.tables.v[i]);
}

static void check_steps(fd_loader *L, const fd_ynode *root)
{
    fd_scenario *s = L->s;
    const fd_ynode *tl = fd_ymap_get(root, "timeline"), *fin = fd_ymap_get(root, "finally");
    for (size_t i = 0; i < s->nsteps; i++) {
        fd_step *st = &s->steps[i];
        const fd_ynode *m = i < s->ntimeline ? tl->items[i] : fin->items[i - s->ntimeline];
        for (size_t j = 0; j < i; j++) {
            if (st->id_given && fd_str_eq(st->id, s->steps[j].id))
                fd_yt_err(&L->t, fd_ymap_get(m, "id"),
                          "step id '%s' is used twice (first at line %d)", st->id,
                          s->steps[j].line);
        }
        switch (st->kind) {
        case FD_STEP_FAULT:
            check_fault(L, &st->fault, m);
            break;
        case FD_STEP_HEAL:
            check_heal(L, i, st, m);
            break;
        case FD_STEP_WAIT_FOR:
            if (st->wait_for.probe && !fd_scenario_probe(s, st->wait_for.probe))
                unknown_probe(L, step_node(m, "wait_for", "probe"), st->wait_for.probe);
            break;
        case FD_STEP_RUN:
            fd_scenario_check_selector(L, &st->run.target, step_node(m, "run", "target"));
            break;
        case FD_STEP_HOLD:
            fd_scenario_check_selector(L, &st->hold.target, step_node(m, "hold", "target"));
            break;
        case FD_STEP_BACKUP:
            fd_scenario_check_selector(L, &st->backup.target, step_node(m, "backup", "target"));
            break;
        case FD_STEP_RESTORE:
            fd_scenario_check_selector(L, &st->restore.target, step_node(m, "restore", "target"));
            check_recovery_target(L, st, m);
            break;
        case FD_STEP_VERIFY:
            check_verify(L, i, st, m);
            break;
        case FD_STEP_CONSISTENCY:
            check_consistency(L, st, fd_ymap_get(m, "consistency"));
            break;
        case FD_STEP_ARCHIVE_LAG: {
            const fd_ynode *b = fd_ymap_get(m, "archive_lag");
            fd_scenario_check_selector(L, &st->archive_lag.archive_target,
                                       step_node(fd_ymap_get(b, "archive"), NULL, "target"));
            fd_scenario_check_selector(L, &st->archive_lag.primary_target,
                                       step_node(fd_ymap_get(b, "primary"), NULL, "target"));
            break;
        }
        default:
            break;
        }
    }
}

static void check_check(fd_loader *L, const fd_check *c, const fd_ynode *m)
{
    fd_yt *t = &L->t;
    if (fd_metric_is_value(c->metric) || fd_metric_is_alert(c->metric) || c->alert)
        return; /* scenario_monitor.c */
    if (c->probe) {
        const fd_probe *p = fd_scenario_probe(L->s, c->probe);
        if (!p)
            unknown_probe(L, fd_ymap_get(m, "probe"), c->probe);
        else if (fd_metric_is_write_only(c->metric) && !p->write)
            fd_yt_err(t, fd_ymap_get(m, "metric"),
                      "metric '%s' needs a write probe, but probe '%s' has mode read",
                      fd_metric_names[c->metric], p->name);
        else if (c->metric >= FD_METRIC_REPLICA_LOST_WRITES && c->metric <= FD_METRIC_REPLICA_LAG &&
                 !p->replicas_target.set && !p->replicas_read.n)
            fd_yt_err(t, fd_ymap_get(m, "metric"),
                      "metric '%s' needs replicas, but probe '%s' has no 'replicas'",
                      fd_metric_names[c->metric], p->name);
        else if (c->metric >= FD_METRIC_STALE_READS &&
                 c->metric <= FD_METRIC_MONOTONIC_VIOLATIONS && !p->read_your_writes)
            fd_yt_err(t, fd_ymap_get(m, "metric"),
                      "metric '%s' needs mode read_your_writes, but probe '%s' is not one",
                      fd_metric_names[c->metric], p->name);
        if (c->metric == FD_METRIC_RPO || c->metric == FD_METRIC_RTO ||
            c->metric == FD_METRIC_BACKUP_AGE || c->metric == FD_METRIC_LATE_WRITES ||
            c->metric == FD_METRIC_ARCHIVE_LAG || c->metric == FD_METRIC_TIME_TO_ACK)
            fd_yt_err(t, fd_ymap_get(m, "metric"),
                      "metric '%s' belongs to %s step: use 'step: ID' instead of 'probe'",
                      fd_metric_names[c->metric],
                      c->metric == FD_METRIC_BACKUP_AGE    ? "a backup"
                      : c->metric == FD_METRIC_ARCHIVE_LAG ? "an archive_lag"
                      : c->metric == FD_METRIC_TIME_TO_ACK ? "a hold"
                                                           : "a verify");
    } else if (c->step &&
               (c->metric == FD_METRIC_BACKUP_AGE || c->metric == FD_METRIC_ARCHIVE_LAG ||
                c->metric == FD_METRIC_TIME_TO_ACK)) {
        const fd_step *st = fd_scenario_step(L->s, c->step);
        fd_step_kind want = c->metric == FD_METRIC_BACKUP_AGE    ? FD_STEP_BACKUP
                            : c->metric == FD_METRIC_ARCHIVE_LAG ? FD_STEP_ARCHIVE_LAG
                                                                 : FD_STEP_HOLD;
        if (!st || st->kind != want) {
            char *q = fd_printable(c->step, 60);
            fd_yt_err(t, fd_ymap_get(m, "step"),
                      "metric '%s' belongs to %s %s step, and '%s' is not one",
                      fd_metric_names[c->metric], want == FD_STEP_ARCHIVE_LAG ? "an" : "a",
                      fd_step_kind_names[want], q);
            free(q);
        }
    } else if (c->step) {
        const fd_step *st = fd_scenario_step(L->s, c->step);
        if (!st || st->kind != FD_STEP_VERIFY) {
            char *q = fd_printable(c->step, 60);
            fd_yt_err(t, fd_ymap_get(m, "step"),
                      "check names step '%s', which is not a verify step", q);
            free(q);
        } else if (c->metric != FD_METRIC_RPO && c->metric != FD_METRIC_RTO &&
                   c->metric != FD_METRIC_LOST_WRITES && c->metric != FD_METRIC_LATE_WRITES) {
            fd_yt_err(t, fd_ymap_get(m, "metric"),
                      "a verify step gives lost_writes, late_writes, rpo and rto, not '%s'",
                      fd_metric_names[c->metric]);
        }
    }
}

void fd_scenario_check_refs(fd_loader *L, const fd_ynode *root)
{
    fd_scenario *s = L->s;
    check_probes(L, root);
    check_steps(L, root);
    const fd_ynode *ss = fd_ymap_get(root, "steady_state");
    for (size_t i = 0; i < s->nsteady; i++)
        check_probe_ref(L, ss->items[i], s->steady[i].probe);
    if (s->has_abort_if)
        check_probe_ref(L, fd_ymap_get(fd_ymap_get(root, "safety"), "abort_if"), s->abort_if.probe);
    const fd_ynode *cn = fd_ymap_get(root, "checks");
    for (size_t i = 0; i < s->nchecks; i++)
        check_check(L, &s->checks[i], cn->items[i]);
    fd_scenario_check_monitoring(L, root);
}
