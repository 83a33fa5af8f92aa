/* verdict.c: the checks, and the verdict and exit code a run's outcome gives. */
#include "verdict.h"
#include "hold.h"
#include "dr.h"
#include "alerts.h"

#include <math.h>

/* One replica's figure for a replica metric (NAN: not measured). */
static double replica_value(const fd_replica_run *rr, fd_metric metric)
{
    if (metric == FD_METRIC_REPLICA_LAG)
        return rr->lag_p99_ms / 1000.0;
    int64_t count = metric == FD_METRIC_REPLICA_LOST_WRITES ? rr->fig.lost
                    : metric == FD_METRIC_EXTRA_VALUES      ? rr->fig.extra
                                                            : rr->fig.divergent;
    return count < 0 ? NAN : (double)count;
}

/* The worst replica's figure: NAN when none measured it, or when a replica was not read
 * back (its loss is not known); a replica with no lag sample does not count. */
static double worst_replica(const fd_probe_run *pr, fd_metric metric)
{
    double worst = NAN;
    for (size_t i = 0; i < pr->nreplicas; i++) {
        double v = replica_value(&pr->replicas[i], metric);
        if (isnan(v) && metric != FD_METRIC_REPLICA_LAG)
            return NAN;
        if (!isnan(v) && (isnan(worst) || v > worst))
            worst = v;
    }
    return worst;
}

static double metric_value(const fd_probe_run *pr, fd_metric metric)
{
    const fd_probe_metrics *m = &pr->m;
    bool ryw = pr->p->read_your_writes;
    switch (metric) {
    case FD_METRIC_REPLICA_LOST_WRITES:
    case FD_METRIC_EXTRA_VALUES:
    case FD_METRIC_DIVERGENT_VALUES:
    case FD_METRIC_REPLICA_LAG:
        return worst_replica(pr, metric);
    case FD_METRIC_STALE_READS:
        return ryw ? (double)pr->stale_reads : NAN;
    case FD_METRIC_STALE_AFTER_BOUND:
        return ryw ? (double)pr->stale_after_bound : NAN;
    case FD_METRIC_MONOTONIC_VIOLATIONS:
        return ryw ? (double)pr->monotonic_violations : NAN;
    case FD_METRIC_AVAILABILITY:
        return m->availability;
    case FD_METRIC_FAILOVER_TIME:
        return m->failover_time_s;
    case FD_METRIC_OUTAGES:
        return m->ops ? (double)m->noutages : NAN;
    case FD_METRIC_LOST_WRITES:
        return m->lost_writes < 0 ? NAN : (double)m->lost_writes;
    case FD_METRIC_PHANTOM_WRITES:
        return m->phantom_writes < 0 ? NAN : (double)m->phantom_writes;
    case FD_METRIC_CORRUPT_VALUES:
        return m->corrupt_values < 0 ? NAN : (double)m->corrupt_values;
    case FD_METRIC_LATENCY_P50:
        return m->latency_p50_ms / 1000.0;
    case FD_METRIC_LATENCY_P99:
        return m->latency_p99_ms / 1000.0;
    case FD_METRIC_LATENCY_MAX:
        return m->latency_max_ms / 1000.0;
    default:
        return NAN;
    }
}

/* A check's value from the step it names: a backup's age, an archive's lag, or a verify's figures;
 * NAN when that step did not record it. */
static double step_value(const fd_run *r, const fd_check *c)
{
    double value = NAN;
    if (c->metric == FD_METRIC_BACKUP_AGE) {
        for (size_t b = 0; b < r->nbackups; b++)
            if (fd_str_eq(r->backups[b].step->id, c->step))
                value = r->backups[b].age_s;
        return value;
    }
    if (c->metric == FD_METRIC_TIME_TO_ACK) {
        for (size_t h = 0; h < r->nholds; h++)
            if (fd_str_eq(r->holds[h].step->id, c->step))
                value = r->holds[h].waited_s;
        return value;
    }
    if (c->metric == FD_METRIC_ARCHIVE_LAG) {
        for (size_t a = 0; a < r->narchive_lags; a++)
            if (fd_str_eq(r->archive_lags[a].step->id, c->step))
                value = r->archive_lags[a].lag_s;
        return value;
    }
    for (size_t v = 0; v < r->nverifies; v++) {
        const fd_verify_record *vr = &r->verifies[v];
        if (!fd_str_eq(vr->step->id, c->step))
            continue;
        int64_t count = c->metric == FD_METRIC_LATE_WRITES ? vr->late_writes : vr->lost_writes;
        value = c->metric == FD_METRIC_RPO   ? vr->rpo_s
                : c->metric == FD_METRIC_RTO ? vr->rto_s
                : count < 0                  ? NAN
                                             : (double)count;
    }
    return value;
}

/* value_max, value_min, value_mean, value_last of a prometheus probe: over the timeline, or over
 * the window of the fault step `during` names (its start to its heal, or the timeline's end). */
static double value_metric(const fd_run *r, fd_probe_run *pr, const fd_check *c)
{
    int64_t from, to;
    fd_run_timeline(r, &from, &to);
    if (c->during) {
        const fd_active_fault *f = NULL;
        for (size_t i = 0; i < r->nfaults && !f; i++)
            if (fd_str_eq(r->faults[i]->step->id, c->during))
                f = r->faults[i];
        if (!f)
            return NAN; /* the fault never ran */
        from = r->t0_us + (int64_t)(f->started_s * 1e6);
        if (f->healed_s >= 0)
            to = r->t0_us + (int64_t)(f->healed_s * 1e6);
    }
    fd_value_stats st;
    fd_probe_value_stats(pr, from, to, &st);
    return c->metric == FD_METRIC_VALUE_MAX    ? st.max
           : c->metric == FD_METRIC_VALUE_MIN  ? st.min
           : c->metric == FD_METRIC_VALUE_MEAN ? st.mean
                                               : st.last;
}

static double check_value(fd_run *r, const fd_check *c)
{
    if (c->alert)
        return fd_alerts_time_to(r, c->alert, c->metric == FD_METRIC_TIME_TO_RESOLVE);
    fd_probe_run *pr = c->probe ? fd_run_probe(r, c->probe) : NULL;
    if (pr && fd_metric_is_value(c->metric))
        return value_metric(r, pr, c);
    return pr ? metric_value(pr, c->metric) : c->step ? step_value(r, c) : NAN;
}

void fd_verdict_checks(fd_run *r)
{
    const fd_scenario *s = r->s;
    if (!s->nchecks || fd_run_has(r, FD_OUTCOME_HEAL_FAILED))
        return;
    r->check_results = fd_xcalloc(s->nchecks, sizeof *r->check_results);
    r->nchecks = s->nchecks;
    for (size_t i = 0; i < s->nchecks; i++) {
        const fd_check *c = &s->checks[i];
        fd_check_result *cr = &r->check_results[i];
        cr->check = c;
        cr->value = check_value(r, c);
        cr->pass = !isnan(cr->value) && (c->is_max ? cr->value <= c->limit : cr->value >= c->limit);
        /* a check expected to fail that fails is the known weakness shown again; one
         * that passes is news: the drill no longer shows what it was written to show */
        cr->expected_failure = c->expect_fail && !cr->pass;
        if (cr->pass == c->expect_fail)
            fd_run_outcome(r, FD_OUTCOME_FINDING, NULL);
        fd_run_log(r, "check %s %s %s %g: %s%s", fd_check_about(c), fd_metric_names[c->metric],
                   c->is_max ? "<=" : ">=", c->limit,
                   cr->expected_failure ? "fail, as expected"
                   : c->expect_fail     ? "PASS, but it was expected to fail"
                   : cr->pass           ? "pass"
                                        : "FAIL",
                   isnan(cr->value) ? " (not measured)" : "");
    }
}

/* The other formats, the index of the reports folder, and the webhook. None of them
 * changes the verdict; a failure is said. */

void fd_verdict_decide(unsigned outcomes, int *exit_code, const char **verdict)
{
    /* the most serious outcome decides: a fault that may still be in place, then a
     * scenario a server refused (found at preflight, before any fault), an infrastructure
     * error, an abort, a finding */
    static const struct {
        unsigned bit;
        int exit_code;
        const char *verdict;
    } order[] = {
        {FD_OUTCOME_HEAL_FAILED, FD_EXIT_HEAL_FAILED, "heal_failed"},
        {FD_OUTCOME_INVALID, FD_EXIT_USAGE, "error"},
        {FD_OUTCOME_INFRA, FD_EXIT_INFRA, "error"},
        {FD_OUTCOME_ABORTED, FD_EXIT_ABORTED, "aborted"},
        {FD_OUTCOME_FINDING, FD_EXIT_FAIL, "fail"},
    };
    for (size_t i = 0; i < sizeof order / sizeof *order; i++) {
        if (outcomes & order[i].bit) {
            *exit_code = order[i].exit_code;
            *verdict = order[i].verdict;
            return;
        }
    }
    *exit_code = FD_EXIT_PASS;
    *verdict = "pass";
}
