/* probe_replicas.c: a write probe's replicas. During the run, a thread per replica
 * measures replication lag: it asks the replica for the newest of the probe's values
 * every half interval, so each acknowledged write's lag is the time from its
 * acknowledgement to its first sight there. After settle, each
 * replica's values are read back and compared with the primary's. A read_your_writes
 * probe reads each acknowledged write back from its replica at once, and again `bound`
 * later when it was not there yet, and watches that what it sees never goes back. */
#include "probe.h"
#include "value.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

fd_probe fd_probe_at(const fd_probe *p, const char *read, bool replica, fd_strv *owned)
{
    fd_probe q = *p;
    if (replica)
        q.write = false;
    if (!read)
        return q;
    switch (p->type) {
    case FD_PROBE_POSTGRES:
        q.conninfo = (char *)read;
        break;
    case FD_PROBE_REDIS:
    case FD_PROBE_ETCD:
    case FD_PROBE_MYSQL: {
        fd_strv_push(owned, read);
        q.endpoints = (fd_strv){.v = owned->v, .n = 1};
        q.sentinel_addresses = (fd_strv){0};
        break;
    }
    case FD_PROBE_HTTP:
        q.read_url = (char *)read;
        break;
    default:
        break;
    }
    return q;
}

char *fd_probe_replica_read(const fd_probe *p, const char *address, int64_t port)
{
    if (p->type == FD_PROBE_POSTGRES) /* libpq: a keyword given again wins */
        return fd_asprintf("%s host=%s port=%lld target_session_attrs=any", p->conninfo, address,
                           (long long)(port ? port : 5432));
    if (!port && p->endpoints.n) {
        const char *colon = strrchr(p->endpoints.v[0], ':');
        int64_t own = 0;
        if (colon && fd_parse_uint(colon + 1, 65535, &own))
            port = own;
    }
    return fd_asprintf("%s:%lld", address, (long long)(port ? port : 6379));
}

static void add_lag(fd_replica_run *rr, int64_t ack_us, int64_t lag_us)
{
    if (rr->nlags == rr->caplags) {
        rr->caplags = rr->caplags ? rr->caplags * 2 : 1024;
        rr->lag_at_us = fd_xrealloc(rr->lag_at_us, rr->caplags * sizeof *rr->lag_at_us);
        rr->lag_us = fd_xrealloc(rr->lag_us, rr->caplags * sizeof *rr->lag_us);
    }
    rr->lag_at_us[rr->nlags] = ack_us;
    rr->lag_us[rr->nlags++] = lag_us < 0 ? 0 : lag_us;
}

/* The replica showed the probe's writes up to `have` at `at_us`: each acknowledged
 * write after `seen` gets its lag. Writes are numbered in order (operation n is
 * ops[n - 1]); one not yet recorded as answered waits for a later look. Returns the
 * newest write accounted for. */
static uint64_t account(fd_replica_run *rr, uint64_t seen, uint64_t have, int64_t at_us)
{
    fd_probe_run *pr = rr->pr;
    pthread_mutex_lock(&pr->lock);
    if (have > pr->nops)
        have = pr->nops;
    for (uint64_t n = seen + 1; n <= have; n++) {
        const fd_op *op = &pr->ops[n - 1];
        if (op->n == n && op->outcome == FD_OUT_OK)
            add_lag(rr, op->end_us, at_us - op->end_us);
    }
    pthread_mutex_unlock(&pr->lock);
    return have > seen ? have : seen;
}

/* Asks the replica for the newest of the probe's values every half interval (5 ms to
 * 100 ms): each acknowledged write's lag is the time from its acknowledgement to the
 * first look that saw it (the middle of that query). When the probe stops, the writes
 * the replica still lacks keep the lag so far, as at least that (lag_open). */
static void *replica_main(void *arg)
{
    fd_replica_run *rr = arg;
    fd_probe_run *pr = rr->pr;
    int64_t gap = pr->p->interval_us / 2;
    gap = gap < 5000 ? 5000 : gap > 100000 ? 100000 : gap;
    uint64_t seen = 0;
    while (!atomic_load(&pr->stop)) {
        uint64_t have = 0;
        char *err = NULL;
        int64_t t0 = fd_mono_us();
        bool ok = pr->ops_table->newest(rr->client, t0 + pr->p->timeout_us, &have, &err);
        int64_t t1 = fd_mono_us();
        free(err);
        if (ok && have > seen)
            seen = account(rr, seen, have, (t0 + t1) / 2);
        fd_sleep_us(ok ? gap : 100000);
    }
    int64_t now = fd_mono_us();
    pthread_mutex_lock(&pr->lock);
    for (uint64_t n = seen + 1; n <= pr->nops; n++) {
        const fd_op *op = &pr->ops[n - 1];
        if (op->n == n && op->outcome == FD_OUT_OK) {
            add_lag(rr, op->end_us, now - op->end_us);
            rr->lag_open = true;
        }
    }
    pthread_mutex_unlock(&pr->lock);
    return NULL;
}

void fd_probe_replicas_start(fd_probe_run *pr, const fd_probe_env *env, char *const *names,
                             char *const *reads, size_t n)
{
    const fd_probe *p = pr->p;
    if (p->read_your_writes) {
        pr->ryw_q = fd_probe_at(p, p->read_from, true, &pr->ryw_owned);
        pr->ryw_client = pr->ops_table->open(&pr->ryw_q, env);
    }
    if (!n)
        return;
    pr->replicas = fd_xcalloc(n, sizeof *pr->replicas);
    pr->nreplicas = n;
    for (size_t i = 0; i < n; i++) {
        fd_replica_run *rr = &pr->replicas[i];
        rr->pr = pr;
        rr->name = fd_strdup(names[i]);
        fd_strv_push(&rr->owned, reads[i]);
        rr->q = fd_probe_at(p, rr->owned.v[0], true, &rr->owned);
        rr->values = -1;
        rr->fig.lost = rr->fig.extra = rr->fig.divergent = -1;
        rr->lag_p50_ms = rr->lag_p99_ms = rr->lag_max_ms = NAN;
        rr->client = pr->ops_table->open(&rr->q, env);
        rr->started = rr->client && pthread_create(&rr->thread, NULL, replica_main, rr) == 0;
    }
}

void fd_probe_replicas_stop(fd_probe_run *pr)
{
    for (size_t i = 0; i < pr->nreplicas; i++) {
        if (pr->replicas[i].started)
            pthread_join(pr->replicas[i].thread, NULL);
        pr->replicas[i].started = false;
    }
}

void fd_probe_replicas_read_back(fd_probe_run *pr, const fd_strv *primary, int64_t timeout_us)
{
    fd_strv none = {0};
    for (size_t i = 0; i < pr->nreplicas; i++) {
        fd_replica_run *rr = &pr->replicas[i];
        int64_t *lags = fd_xmalloc((rr->nlags ? rr->nlags : 1) * sizeof *lags);
        memcpy(lags, rr->lag_us, rr->nlags * sizeof *lags);
        fd_metrics_percentiles_ms(lags, rr->nlags, &rr->lag_p50_ms, &rr->lag_p99_ms,
                                  &rr->lag_max_ms);
        free(lags);
        fd_strv values = {0};
        char *error = NULL;
        int64_t t0 = fd_mono_us();
        if (rr->client &&
            fd_probe_read_values(pr->ops_table, rr->client, timeout_us, &values, &error)) {
            fd_metrics_replica(pr->ops, pr->nops, primary ? primary : &none, &values, &rr->fig);
            for (size_t k = 0; k < rr->fig.ndivergent_sample; k++)
                fd_strv_push_owned(&rr->divergent_sample,
                                   fd_printable(values.v[rr->fig.divergent_sample[k]], 80));
            if (!primary)
                rr->fig.extra = -1; /* against nothing: not measured */
            rr->values = (int64_t)values.n;
        } else {
            rr->error = error ? error : fd_strdup("no client");
            error = NULL;
        }
        free(error);
        fd_strv_free(&values);
        rr->read_back_s = (double)(fd_mono_us() - t0) / 1e6;
    }
}

/* Asks the read_your_writes replica for the newest value it holds; a value lower than
 * one seen before is a monotonic-read violation. False when it could not be asked. */
static bool ryw_read(fd_probe_run *pr, uint64_t *have)
{
    char *err = NULL;
    bool ok = pr->ryw_client &&
              pr->ops_table->newest(pr->ryw_client, fd_mono_us() + pr->p->timeout_us, have, &err);
    free(err);
    if (!ok) {
        pr->replica_read_errors++;
        return false;
    }
    if (*have < pr->ryw_max_seen) {
        pr->monotonic_violations++;
        fd_history_event(pr->history, "monotonic_violation",
                         json_pack("{s:s,s:I,s:I}", "probe", pr->p->name, "seen", (json_int_t)*have,
                                   "after", (json_int_t)pr->ryw_max_seen));
    }
    if (*have > pr->ryw_max_seen)
        pr->ryw_max_seen = *have;
    return true;
}

void fd_probe_ryw_after_write(fd_probe_run *pr, uint64_t n, int64_t ack_us)
{
    uint64_t have;
    if (!ryw_read(pr, &have) || have >= n)
        return;
    pr->stale_reads++;
    if (pr->nryw_pending == pr->capryw_pending) {
        pr->capryw_pending = pr->capryw_pending ? pr->capryw_pending * 2 : 64;
        pr->ryw_pending = fd_xrealloc(pr->ryw_pending, pr->capryw_pending * sizeof(uint64_t));
        pr->ryw_due = fd_xrealloc(pr->ryw_due, pr->capryw_pending * sizeof(int64_t));
    }
    pr->ryw_pending[pr->nryw_pending] = n;
    pr->ryw_due[pr->nryw_pending++] = ack_us + pr->p->bound_us;
}

void fd_probe_ryw_due(fd_probe_run *pr)
{
    if (!pr->nryw_pending || fd_mono_us() < pr->ryw_due[0])
        return;
    uint64_t have;
    if (!ryw_read(pr, &have))
        have = 0; /* not there as far as the client can tell */
    int64_t now = fd_mono_us();
    size_t kept = 0;
    for (size_t i = 0; i < pr->nryw_pending; i++) {
        if (pr->ryw_due[i] > now) {
            pr->ryw_pending[kept] = pr->ryw_pending[i];
            pr->ryw_due[kept++] = pr->ryw_due[i];
        } else if (have < pr->ryw_pending[i]) {
            pr->stale_after_bound++;
            fd_history_event(pr->history, "stale_read",
                             json_pack("{s:s,s:I,s:I}", "probe", pr->p->name, "write",
                                       (json_int_t)pr->ryw_pending[i], "seen", (json_int_t)have));
        }
    }
    pr->nryw_pending = kept;
}

void fd_probe_replicas_free(fd_probe_run *pr)
{
    for (size_t i = 0; i < pr->nreplicas; i++) {
        fd_replica_run *rr = &pr->replicas[i];
        if (rr->client)
            pr->ops_table->close(rr->client);
        free(rr->name);
        fd_strv_free(&rr->owned);
        free(rr->lag_at_us);
        free(rr->lag_us);
        free(rr->error);
        fd_strv_free(&rr->divergent_sample);
    }
    free(pr->replicas);
    if (pr->ryw_client)
        pr->ops_table->close(pr->ryw_client);
    fd_strv_free(&pr->ryw_owned);
    free(pr->ryw_pending);
    free(pr->ryw_due);
}
