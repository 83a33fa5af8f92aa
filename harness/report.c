/* report.c: report.json, the whole result of a run (the source of every other
 * format). Every string that may hold a secret is redacted on the way in. */
#include "run.h"
#include "alerts.h"
#include "consistency.h"
#include "dr.h"
#include "faultrun.h"
#include "hold.h"
#include "notify.h"
#include "render.h"

#include <math.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

static json_t *jstr(const fd_run *r, const char *s)
{
    if (!s)
        return json_null();
    char *red = fd_redact(&r->s->vars, s);
    json_t *j = json_string(red);
    if (!j) /* not UTF-8: keep it readable rather than drop it */
        j = json_string("(output that is not UTF-8 text)");
    free(red);
    return j;
}

static json_t *jtime(double s)
{
    return s < 0 ? json_null() : json_real((double)(int64_t)(s * 1000.0 + 0.5) / 1000.0);
}

/* A measured figure, rounded; null when it could not be measured (or is not finite: a
 * prometheus value of +Inf, which JSON cannot hold). */
static json_t *jnum(double v, double scale)
{
    if (!isfinite(v))
        return json_null();
    return json_real(round(v * scale) / scale);
}

static json_t *jcount(int64_t v)
{
    return v < 0 ? json_null() : json_integer((json_int_t)v);
}

/* A replica's lag samples for a chart: at most 120 points, each the worst lag of its
 * share of the run (seconds from the run's start, ms). */
static json_t *lag_series(const fd_run *r, const fd_replica_run *rr)
{
    json_t *a = json_array();
    size_t per = rr->nlags / 120 + 1;
    for (size_t i = 0; i < rr->nlags; i += per) {
        int64_t worst = 0;
        for (size_t k = i; k < i + per && k < rr->nlags; k++)
            worst = rr->lag_us[k] > worst ? rr->lag_us[k] : worst;
        json_array_append_new(a,
                              json_pack("[o,o]", jtime((double)(rr->lag_at_us[i] - r->t0_us) / 1e6),
                                        jnum((double)worst / 1000.0, 1000)));
    }
    return a;
}

/* A write probe's replicas: each one's read-back against the primary, and its lag. */
static json_t *replicas_json(const fd_run *r, const fd_probe_run *pr)
{
    json_t *a = json_array();
    for (size_t i = 0; i < pr->nreplicas; i++) {
        const fd_replica_run *rr = &pr->replicas[i];
        json_t *o = json_pack(
            "{s:o,s:o,s:o,s:o,s:o,s:{s:o,s:o,s:o},s:I,s:b,s:o}", "name", jstr(r, rr->name),
            "values_read_back", jcount(rr->values), "lost_writes", jcount(rr->fig.lost),
            "extra_values", jcount(rr->fig.extra), "divergent_values", jcount(rr->fig.divergent),
            "lag_ms", "p50", jnum(rr->lag_p50_ms, 1000), "p99", jnum(rr->lag_p99_ms, 1000), "max",
            jnum(rr->lag_max_ms, 1000), "lag_samples", (json_int_t)rr->nlags, "lag_open",
            rr->lag_open, "lag_series", lag_series(r, rr));
        json_object_set_new(o, "read_back_s", jnum(rr->read_back_s, 1000));
        json_t *lost = json_array(), *div = json_array();
        for (size_t k = 0; k < rr->fig.nlost_sample; k++)
            json_array_append_new(lost,
                                  json_sprintf("%llu", (unsigned long long)rr->fig.lost_sample[k]));
        for (size_t k = 0; k < rr->divergent_sample.n; k++)
            json_array_append_new(div, jstr(r, rr->divergent_sample.v[k]));
        json_object_set_new(o, "lost_sample", lost);
        json_object_set_new(o, "divergent_sample", div);
        if (rr->error)
            json_object_set_new(o, "read_back_error", jstr(r, rr->error));
        json_array_append_new(a, o);
    }
    return a;
}

static json_t *probe_json(const fd_run *r, const fd_probe_run *pr)
{
    const fd_probe_metrics *m = &pr->m;
    const fd_probe *p = pr->p;
    json_t *outages = json_array();
    for (size_t i = 0; i < m->noutages; i++) {
        const fd_outage *o = &m->outages[i];
        json_array_append_new(
            outages,
            json_pack("{s:o,s:o,s:o,s:b}", "start_s", jtime((double)(o->start_us - r->t0_us) / 1e6),
                      "end_s", jtime((double)(o->end_us - r->t0_us) / 1e6), "duration_s",
                      jnum((double)(o->end_us - o->start_us) / 1e6, 1000), "ended", o->ended));
    }
    json_t *j =
        json_pack("{s:o,s:s,s:s,s:I,s:I,s:I,s:I,s:o,s:o,s:o}", "name", jstr(r, p->name), "type",
                  fd_probe_type_names[p->type], "mode", p->write ? "write" : "read", "ops",
                  (json_int_t)m->ops, "ok", (json_int_t)m->ok, "fail", (json_int_t)m->fail,
                  "unknown", (json_int_t)m->unknown, "availability", jnum(m->availability, 1e6),
                  "failover_time_s", jnum(m->failover_time_s, 1000), "outages", outages);
    if (p->write) {
        json_object_set_new(j, "lost_writes", jcount(m->lost_writes));
        json_object_set_new(j, "phantom_writes", jcount(m->phantom_writes));
        json_object_set_new(j, "corrupt_values", jcount(m->corrupt_values));
        json_object_set_new(j, "values_read_back",
                            pr->read_back_error ? json_null()
                                                : json_integer((json_int_t)pr->read_back_count));
        if (pr->read_back_error)
            json_object_set_new(j, "read_back_error", jstr(r, pr->read_back_error));
        if (pr->nreplicas)
            json_object_set_new(j, "replicas", replicas_json(r, pr));
    }
    if (p->read_your_writes) {
        json_object_set_new(j, "mode", json_string("read_your_writes"));
        json_object_set_new(j, "read_from", jstr(r, p->read_from));
        json_object_set_new(j, "bound_s", jnum((double)p->bound_us / 1e6, 1e6));
        json_object_set_new(j, "stale_reads", json_integer(pr->stale_reads));
        json_object_set_new(j, "stale_after_bound", json_integer(pr->stale_after_bound));
        json_object_set_new(j, "monotonic_violations", json_integer(pr->monotonic_violations));
        json_object_set_new(j, "replica_read_errors", json_integer(pr->replica_read_errors));
    }
    if (pr->values) {
        int64_t from, to;
        fd_run_timeline(r, &from, &to);
        fd_value_stats st;
        fd_metrics_values(pr->ops, pr->values, pr->nops, from, to, &st);
        json_object_set_new(j, "query", jstr(r, p->query));
        json_object_set_new(j, "values",
                            json_pack("{s:I,s:o,s:o,s:o,s:o}", "n", (json_int_t)st.n, "min",
                                      jnum(st.min, 1e6), "max", jnum(st.max, 1e6), "mean",
                                      jnum(st.mean, 1e6), "last", jnum(st.last, 1e6)));
    }
    json_object_set_new(j, "latency_ms",
                        json_pack("{s:o,s:o,s:o}", "p50", jnum(m->latency_p50_ms, 1000), "p99",
                                  jnum(m->latency_p99_ms, 1000), "max",
                                  jnum(m->latency_max_ms, 1000)));
    json_object_set_new(j, "interval_s", jnum((double)p->interval_us / 1e6, 1e6));
    json_object_set_new(j, "timeout_s", jnum((double)p->timeout_us / 1e6, 1e6));
    json_object_set_new(j, "missed_slots", json_integer((json_int_t)pr->missed_slots));
    json_object_set_new(j, "max_lag_ms", jnum((double)pr->max_lag_us / 1000.0, 1000));
    json_object_set_new(j, "ops_recorded", json_integer((json_int_t)pr->nops));
    if (pr->last_error)
        json_object_set_new(j, "last_error", jstr(r, pr->last_error));
    return j;
}

/* The file's sha256 as hex, or NULL. Caller frees. */
static char *file_sha256(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    unsigned char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        EVP_DigestUpdate(ctx, buf, n);
    fclose(f);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx, md, &len);
    EVP_MD_CTX_free(ctx);
    char *hex = fd_xmalloc(len * 2 + 1);
    for (unsigned int i = 0; i < len; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    return hex;
}

static const char *heal_status(const fd_active_fault *f)
{
    switch (f->state) {
    case FD_FS_HEALED:
        return "ok";
    case FD_FS_HEAL_FAILED:
        return "failed";
    default:
        return "pending";
    }
}

/* The inventory as the run saw it. */
static json_t *hosts_json(const fd_run *r)
{
    const fd_scenario *s = r->s;
    json_t *hosts = json_array();
    for (size_t i = 0; i < s->inv.n; i++) {
        const fd_host *h = &s->inv.hosts[i];
        json_t *roles = json_array();
        for (size_t k = 0; k < h->roles.n; k++)
            json_array_append_new(roles, jstr(r, h->roles.v[k]));
        json_array_append_new(hosts, json_pack("{s:o,s:o,s:o,s:o}", "name", jstr(r, h->name),
                                               "address", jstr(r, h->address), "datacenter",
                                               jstr(r, h->datacenter), "roles", roles));
    }
    return hosts;
}

/* A host's times of an apply or a revert: sent, took effect by its own clock, acked. */
static void timing_json(json_t *c, const char *what, const char *at, const fd_host_timing *t)
{
    char key[32];
    snprintf(key, sizeof key, "%s_sent_s", what);
    json_object_set_new(c, key, jnum(t->sent_s, 1e4));
    json_object_set_new(c, at, jnum(t->effect_s, 1e4));
    snprintf(key, sizeof key, "%s_ack_s", what);
    json_object_set_new(c, key, jnum(t->ack_s, 1e4));
}

/* A fault's apply or heal skew across its hosts; null when no host acknowledged. */
static json_t *skew_json(const fd_active_fault *f, bool heal)
{
    fd_skew s;
    fd_fault_skew(f, heal, &s);
    if (!s.hosts)
        return json_null();
    return json_pack("{s:o,s:s,s:o,s:o,s:I}", "skew_s", jnum(s.skew_s, 1e4), "clock",
                     s.hosts_clock ? "hosts" : "controller", "hosts_s", jnum(s.hosts_s, 1e4),
                     "controller_s", jnum(s.controller_s, 1e4), "hosts", (json_int_t)s.hosts);
}

/* Each fault: its hosts, times, heal and the exact commands. */
static json_t *faults_json(const fd_run *r)
{
    const fd_scenario *s = r->s;
    json_t *faults = json_array();
    for (size_t i = 0; i < r->nfaults; i++) {
        const fd_active_fault *f = r->faults[i];
        json_t *targets = json_array(), *cmds = json_array();
        for (size_t k = 0; k < f->nhosts; k++) {
            const fd_fault_host *fh = &f->hosts[k];
            const char *name = s->inv.hosts[fh->host].name;
            json_array_append_new(targets, jstr(r, name));
            json_t *c =
                json_pack("{s:o,s:o,s:o,s:o,s:o}", "host", jstr(r, name), "apply",
                          jstr(r, fh->apply_cmd), "revert", jstr(r, fh->revert_cmd), "apply_exit",
                          json_integer(fh->apply_exit), "agent", jstr(r, fh->apply_detail));
            if (fh->heal_error)
                json_object_set_new(c, "heal_error", jstr(r, fh->heal_error));
            timing_json(c, "apply", "applied_at_s", &fh->apply_t);
            timing_json(c, "heal", "healed_at_s", &fh->revert_t);
            json_array_append_new(cmds, c);
        }
        json_array_append_new(
            faults,
            json_pack("{s:o,s:s,s:o,s:o,s:o,s:o,s:s,s:b,s:o,s:o,s:o,s:o}", "id",
                      jstr(r, f->step->id), "type", fd_fault_type_names[f->step->fault.type],
                      "targets", targets, "started_s", jtime(f->started_s), "applied_s",
                      jtime(f->applied_s), "healed_s", jtime(f->healed_s), "heal", heal_status(f),
                      "took_effect", f->took_effect, "verification", jstr(r, f->verification),
                      "commands", cmds, "apply_skew", skew_json(f, false), "heal_skew",
                      skew_json(f, true)));
    }
    return faults;
}

/* Each step as it went. */
static json_t *steps_json(const fd_run *r)
{
    json_t *steps = json_array();
    for (size_t i = 0; i < r->nsteps; i++) {
        const fd_step_record *st = &r->steps[i];
        json_t *o = json_pack("{s:i,s:s,s:o,s:o,s:o,s:s}", "index", (json_int_t)st->index, "kind",
                              fd_step_kind_names[st->step->kind], "id", jstr(r, st->step->id),
                              "started_s", jtime(st->started_s), "ended_s", jtime(st->ended_s),
                              "status", st->status ? st->status : "skipped");
        if (st->detail)
            json_object_set_new(o, "detail", jstr(r, st->detail));
        if (st->index >= r->s->ntimeline)
            json_object_set_new(o, "phase", json_string("finally"));
        json_array_append_new(steps, o);
    }
    return steps;
}

/* The verify steps' figures. */
static json_t *verifies_json(const fd_run *r)
{
    json_t *verifies = json_array();
    for (size_t i = 0; i < r->nverifies; i++) {
        const fd_verify_record *v = &r->verifies[i];
        json_t *o = json_pack(
            "{s:o,s:o,s:o,s:o,s:o,s:I,s:I}", "id", jstr(r, v->step->id), "against",
            jstr(r, v->step->verify.against), "lost_writes", jcount(v->lost_writes), "rpo_s",
            jnum(v->rpo_s, 1000), "rto_s", jnum(v->rto_s, 1000), "acknowledged_before_backup",
            (json_int_t)v->acked_before_backup, "values_read", (json_int_t)v->found);
        json_object_set_new(o, "probe", jstr(r, v->step->verify.probe));
        if (v->error)
            json_object_set_new(o, "error", jstr(r, v->error));
        if (v->late_writes >= 0)
            json_object_set_new(o, "late_writes", json_integer(v->late_writes));
        if (!isnan(v->point_unix))
            json_object_set_new(o, "point_unix", jnum(v->point_unix, 1000000));
        json_object_set_new(o, "reached_unix", jnum(v->reached_unix, 1000000));
        if (!isnan(v->archive_lag_s))
            json_object_set_new(o, "archive_lag_s", jnum(v->archive_lag_s, 1000));
        json_array_append_new(verifies, o);
    }
    return verifies;
}

/* The checks and their results. */
static json_t *checks_json(const fd_run *r)
{
    json_t *checks = json_array();
    for (size_t i = 0; i < r->nchecks; i++) {
        const fd_check_result *cr = &r->check_results[i];
        const fd_check *c = cr->check;
        json_t *o = json_object();
        if (c->probe)
            json_object_set_new(o, "probe", jstr(r, c->probe));
        else if (c->step)
            json_object_set_new(o, "step", jstr(r, c->step));
        else
            json_object_set_new(o, "alert", jstr(r, c->alert));
        if (c->during)
            json_object_set_new(o, "during", jstr(r, c->during));
        json_object_set_new(o, "metric", json_string(fd_metric_names[c->metric]));
        json_object_set_new(o, c->is_max ? "max" : "min", json_real(c->limit));
        json_object_set_new(o, "value", jnum(cr->value, 1e6));
        json_object_set_new(o, "pass", json_boolean(cr->pass));
        if (c->expect_fail) {
            json_object_set_new(o, "expect", json_string("fail"));
            json_object_set_new(o, "expected_failure", json_boolean(cr->expected_failure));
        }
        json_array_append_new(checks, o);
    }
    return checks;
}

/* The restores: where each was asked to stop, how long it took, whether it ran. */
static json_t *restores_json(const fd_run *r)
{
    json_t *restores = json_array();
    for (size_t i = 0; i < r->nrestores; i++) {
        const fd_restore_record *rs = &r->restores[i];
        const fd_step *st = rs->step;
        json_t *target = st->restore.recovery == FD_RT_NONE     ? json_null()
                         : st->restore.recovery == FD_RT_LATEST ? json_string("latest")
                         : st->restore.recovery == FD_RT_TIME   ? json_string("time")
                                                                : json_string("before");
        json_t *o = json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:b}", "id", jstr(r, st->id), "host",
                              jstr(r, rs->host), "recovery_target", target, "target_unix",
                              jnum(rs->target_unix, 1000000), "started_s", jtime(rs->started_s),
                              "ended_s", jtime(rs->ended_s), "ok", rs->ok);
        if (st->restore.recovery == FD_RT_BEFORE)
            json_object_set_new(o, "before", jstr(r, st->restore.recovery_before));
        json_array_append_new(restores, o);
    }
    return restores;
}

/* The archive_lag steps: both positions as read, the lag in seconds and bytes. */
static json_t *archive_lags_json(const fd_run *r)
{
    json_t *lags = json_array();
    for (size_t i = 0; i < r->narchive_lags; i++) {
        const fd_archive_lag_record *a = &r->archive_lags[i];
        json_t *o = json_pack("{s:o,s:o,s:o,s:o,s:o,s:o}", "id", jstr(r, a->step->id), "at_s",
                              jtime(a->at_s), "archive_position", jstr(r, a->archive_pos),
                              "primary_position", jstr(r, a->primary_pos), "lag_s",
                              jnum(a->lag_s, 1000), "lag_bytes", jcount(a->lag_bytes));
        json_array_append_new(lags, o);
    }
    return lags;
}

/* The consistency steps: each table on each replica against the primary. */
static json_t *consistency_json(const fd_run *r)
{
    json_t *a = json_array();
    for (size_t i = 0; i < r->nconsistency; i++) {
        const fd_consistency_record *c = &r->consistency[i];
        json_t *tables = json_array();
        for (size_t k = 0; k < c->nrows; k++) {
            const fd_table_cmp *t = &c->rows[k];
            json_t *o =
                json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:b}", "table", jstr(r, t->table), "replica",
                          jstr(r, t->replica), "rows", jcount(t->rows), "primary_rows",
                          jcount(t->primary_rows), "checksum", jstr(r, t->checksum),
                          "primary_checksum", jstr(r, t->primary_checksum), "match", t->match);
            if (t->chunks >= 0) {
                json_object_set_new(o, "chunks", json_integer(t->chunks));
                json_object_set_new(o, "diff_chunks", json_integer(t->diff_chunks));
            }
            if (t->sample)
                json_object_set_new(o, "sample", jstr(r, t->sample));
            if (t->error)
                json_object_set_new(o, "error", jstr(r, t->error));
            json_array_append_new(tables, o);
        }
        json_t *o =
            json_pack("{s:o,s:s,s:o,s:o,s:I,s:o}", "id", jstr(r, c->step->id), "tool", c->tool,
                      "started_s", jtime(c->started_s), "ended_s", jtime(c->ended_s), "mismatched",
                      (json_int_t)c->mismatched, "tables", tables);
        if (c->marker)
            json_object_set_new(o, "marker", jstr(r, c->marker));
        if (c->error)
            json_object_set_new(o, "error", jstr(r, c->error));
        json_array_append_new(a, o);
    }
    return a;
}

/* The holds (who acknowledged, how long it took), the leases and the observers' notes. */
static void people_json(const fd_run *r, json_t *root)
{
    if (r->nholds) {
        json_t *a = json_array();
        for (size_t i = 0; i < r->nholds; i++) {
            const fd_hold_record *h = &r->holds[i];
            json_array_append_new(
                a, json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:s,s:b}", "id", jstr(r, h->step->id),
                             "prompt", jstr(r, h->step->hold.prompt), "started_s",
                             jtime(h->started_s), "ended_s", jtime(h->ended_s), "time_to_ack_s",
                             jnum(h->waited_s, 1000), "acked_by", jstr(r, h->acked_by), "how",
                             h->how ? h->how : "", "timed_out", h->timed_out));
        }
        json_object_set_new(root, "holds", a);
    }
    if (r->nleased) {
        json_t *hosts = json_array(), *over = json_array();
        for (size_t i = 0; i < r->nleased; i++)
            json_array_append_new(hosts, json_string(r->s->inv.hosts[r->leased[i]].name));
        for (size_t i = 0; i < r->overlaps.n; i++)
            json_array_append_new(over, jstr(r, r->overlaps.v[i]));
        json_object_set_new(root, "leases",
                            json_pack("{s:o,s:I,s:o}", "hosts", hosts, "ttl_s",
                                      (json_int_t)fd_us_to_s_ceil(r->lease_ttl_us), "overlapping",
                                      over));
    }
    json_t *alerts = fd_alerts_json(r);
    if (alerts)
        json_object_set_new(root, "alerts", alerts);
    if (r->nnotes) {
        json_t *a = json_array();
        for (size_t i = 0; i < r->nnotes; i++)
            json_array_append_new(a, json_pack("{s:o,s:o,s:o}", "at_s", jtime(r->notes[i].at_s),
                                               "by", jstr(r, r->notes[i].by), "text",
                                               jstr(r, r->notes[i].text)));
        json_object_set_new(root, "notes", a);
    }
}

/* The backups and copies of a disaster-recovery drill (none: no keys). */
static void dr_json(const fd_run *r, json_t *root)
{
    if (r->nrestores)
        json_object_set_new(root, "restores", restores_json(r));
    if (r->narchive_lags)
        json_object_set_new(root, "archive_lags", archive_lags_json(r));
    if (r->nconsistency)
        json_object_set_new(root, "consistency", consistency_json(r));
    if (!r->nbackups && !r->ncopies)
        return;
    json_t *backups = json_array(), *copies = json_array();
    for (size_t i = 0; i < r->nbackups; i++) {
        const fd_backup_record *b = &r->backups[i];
        json_t *o = json_pack("{s:o,s:o,s:o,s:o,s:I,s:o,s:o}", "id", jstr(r, b->step->id), "host",
                              jstr(r, b->host), "started_s", jtime(b->started_s), "ended_s",
                              jtime(b->ended_s), "size", (json_int_t)b->size, "point_unix",
                              jnum(b->point_unix, 1000), "age_s", jnum(b->age_s, 1000));
        if (b->step->backup.artifact)
            json_object_set_new(o, "artifact", jstr(r, b->step->backup.artifact));
        if (b->sha256)
            json_object_set_new(o, "sha256", json_string(b->sha256));
        if (b->catalog.label) {
            json_object_set_new(o, "tool", json_string(b->catalog.tool));
            json_object_set_new(o, "label", jstr(r, b->catalog.label));
            if (b->catalog.type)
                json_object_set_new(o, "type", jstr(r, b->catalog.type));
            if (b->catalog.lsn_stop)
                json_object_set_new(o, "lsn_stop", jstr(r, b->catalog.lsn_stop));
            if (b->catalog.log_position)
                json_object_set_new(o, "log_position", jstr(r, b->catalog.log_position));
        }
        json_array_append_new(backups, o);
    }
    for (size_t i = 0; i < r->ncopies; i++) {
        const fd_copy_record *c = &r->copies[i];
        json_array_append_new(
            copies,
            json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:I,s:s}", "id", jstr(r, c->step->id),
                      "from_host", jstr(r, c->step->copy.from.host), "from_path",
                      jstr(r, c->step->copy.from.path), "to_host", jstr(r, c->step->copy.to.host),
                      "to_path", jstr(r, c->step->copy.to.path), "started_s", jtime(c->started_s),
                      "ended_s", jtime(c->ended_s), "bytes", (json_int_t)c->bytes, "sha256",
                      c->sha256));
    }
    json_object_set_new(root, "backups", backups);
    json_object_set_new(root, "copies", copies);
}

int fd_report_write_json(const fd_run *r)
{
    const fd_scenario *s = r->s;
    json_t *root = json_object();
    json_object_set_new(root, "format", json_string("firedrill-report/1"));
    json_object_set_new(root, "firedrill_version", json_string(FD_VERSION));
    char *sha = file_sha256(s->file);
    json_object_set_new(root, "scenario",
                        json_pack("{s:o,s:o,s:o,s:o}", "name", jstr(r, s->name), "file",
                                  jstr(r, s->file), "sha256", sha ? json_string(sha) : json_null(),
                                  "description", jstr(r, s->description)));
    free(sha);
    json_object_set_new(root, "run_id", jstr(r, r->run_id));
    json_object_set_new(root, "seed", json_integer((json_int_t)r->opts.seed));
    json_object_set_new(root, "started_at_unix", json_real(r->started_unix));
    json_object_set_new(root, "duration_s", jtime(r->duration_s));
    json_object_set_new(root, "history_file",
                        json_string(r->history_gz ? "history.jsonl.gz" : "history.jsonl"));
    json_object_set_new(root, "verdict", json_string(r->verdict ? r->verdict : "error"));
    json_object_set_new(root, "exit_code", json_integer(r->exit_code));
    if (r->abort_reason)
        json_object_set_new(root, "abort_reason", jstr(r, r->abort_reason));
    json_object_set_new(root, "hosts", hosts_json(r));
    json_object_set_new(root, "faults", faults_json(r));
    json_object_set_new(root, "steps", steps_json(r));
    json_t *probes = json_array();
    for (size_t i = 0; i < r->nprobes; i++)
        json_array_append_new(probes, probe_json(r, &r->probes[i]));
    json_object_set_new(root, "probes", probes);
    json_object_set_new(root, "verifies", verifies_json(r));
    dr_json(r, root);
    people_json(r, root);
    json_object_set_new(root, "checks", checks_json(r));
    json_object_set_new(root, "controller",
                        json_pack("{s:o,s:o,s:I}", "cpu_user_s", jnum(r->cpu_user_s, 1000),
                                  "cpu_system_s", jnum(r->cpu_system_s, 1000), "max_rss_kb",
                                  (json_int_t)r->max_rss_kb));
    json_t *errors = json_array();
    for (size_t i = 0; i < r->errors.n; i++)
        json_array_append_new(errors, jstr(r, r->errors.v[i]));
    json_object_set_new(root, "errors", errors);

    /* every string, whatever field it is in, with the secrets redacted */
    fd_json_redact(root, &r->s->vars);
    char *path = fd_asprintf("%s/report.json", r->dir);
    char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
    char *err = NULL;
    int rc = text && fd_write_file_replace(path, text, strlen(text), &err) ? 0 : -1;
    free(err);
    free(text);
    json_decref(root);
    free(path);
    return rc;
}

/* The other formats, the index of the reports folder, and the webhook. None of them
 * changes the verdict; a failure is said. */
void fd_report_write_others(fd_run *r)
{
    const fd_scenario *s = r->s;
    char *err = NULL;
    if (!fd_render_run_dir(r->dir, s->formats & ~(unsigned)FD_FORMAT_JSON, &err)) {
        fprintf(stderr, "firedrill: writing the reports: %s\n", err);
        free(err);
        err = NULL;
    }
    const char *base = r->opts.report_dir ? r->opts.report_dir : s->report_dir;
    if (!fd_render_index(base, &err)) {
        fprintf(stderr, "firedrill: writing %s/index.html: %s\n", base, err);
        free(err);
        err = NULL;
    }
    if (s->webhook && (s->notify_events & FD_NOTIFY_END)) {
        char *path = fd_asprintf("%s/report.json", r->dir);
        json_t *rep = json_load_file(path, 0, NULL);
        free(path);
        char *url_shown = fd_redact(&s->vars, s->webhook);
        char *link = fd_run_report_link(r);
        bool sent = rep && fd_notify_webhook(s->webhook, rep, r->dir, link, &err);
        free(link);
        if (sent) {
            fd_run_log(r, "notified %s", url_shown);
        } else {
            char *e = err ? fd_redact(&s->vars, err) : fd_strdup("no report to send");
            fprintf(stderr,
                    "firedrill: the webhook notification to %s failed: %s (the verdict stands)\n",
                    url_shown, e);
            free(e);
        }
        free(err);
        free(url_shown);
        json_decref(rep);
    }
}
