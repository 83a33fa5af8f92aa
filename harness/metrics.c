/* metrics.c: availability, outages, failover time, latency percentiles and data loss. */
#include "metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *const fd_outcome_names[] = {"ok", "fail", "unknown"};

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted values. */
static double percentile(const int64_t *v, size_t n, double p)
{
    size_t rank = (size_t)ceil(p / 100.0 * (double)n);
    if (rank < 1)
        rank = 1;
    if (rank > n)
        rank = n;
    return (double)v[rank - 1];
}

void fd_metrics_compute(const fd_op *ops, size_t n, int64_t from_us, int64_t to_us,
                        fd_probe_metrics *m)
{
    memset(m, 0, sizeof *m);
    m->lost_writes = m->phantom_writes = m->corrupt_values = -1;
    int64_t *lat = fd_xmalloc((n ? n : 1) * sizeof *lat);
    size_t nlat = 0;
    bool seen_ok = false, in_outage = false;
    fd_outage cur = {0};
    size_t cap = 0;
    for (size_t i = 0; i < n; i++) {
        const fd_op *o = &ops[i];
        if (o->start_us < from_us || o->start_us > to_us)
            continue;
        m->ops++;
        if (o->outcome == FD_OUT_OK) {
            m->ok++;
            lat[nlat++] = o->end_us - o->start_us;
            if (in_outage) {
                cur.end_us = o->start_us;
                cur.ended = true;
                if (m->noutages == cap) {
                    cap = cap ? cap * 2 : 8;
                    m->outages = fd_xrealloc(m->outages, cap * sizeof *m->outages);
                }
                m->outages[m->noutages++] = cur;
                in_outage = false;
            }
            seen_ok = true;
        } else {
            if (o->outcome == FD_OUT_FAIL)
                m->fail++;
            else
                m->unknown++;
            if (seen_ok && !in_outage) {
                in_outage = true;
                cur.start_us = o->start_us;
            }
            if (in_outage)
                cur.end_us = o->end_us > cur.end_us ? o->end_us : cur.end_us;
        }
    }
    if (in_outage) {
        /* still down when the window closed: a lower bound, reported as not ended */
        cur.ended = false;
        if (m->noutages == cap) {
            cap = cap ? cap * 2 : 8;
            m->outages = fd_xrealloc(m->outages, cap * sizeof *m->outages);
        }
        m->outages[m->noutages++] = cur;
    }
    m->availability = m->ops ? (double)m->ok / (double)m->ops : NAN;
    m->failover_time_s = m->ops ? 0.0 : NAN;
    for (size_t i = 0; i < m->noutages; i++) {
        double d = (double)(m->outages[i].end_us - m->outages[i].start_us) / 1e6;
        if (d > m->failover_time_s)
            m->failover_time_s = d;
    }
    fd_metrics_percentiles_ms(lat, nlat, &m->latency_p50_ms, &m->latency_p99_ms,
                              &m->latency_max_ms);
    free(lat);
}

double fd_metrics_availability(const fd_op *ops, size_t n, int64_t from_us, int64_t to_us)
{
    /* from the newest back: a recent window costs its own operations, not the history */
    uint64_t all = 0, ok = 0;
    for (size_t i = n; i-- > 0;) {
        if (ops[i].start_us > to_us)
            continue;
        if (ops[i].start_us < from_us)
            break;
        all++;
        ok += ops[i].outcome == FD_OUT_OK;
    }
    return all ? (double)ok / (double)all : NAN;
}

int64_t fd_metrics_healthy_since(const fd_op *ops, size_t n, int64_t from_us)
{
    int64_t since = -1;
    for (size_t i = n; i-- > 0;) {
        if (ops[i].outcome != FD_OUT_OK || ops[i].start_us < from_us)
            break;
        since = ops[i].start_us;
    }
    return since;
}

/* The write probe's operations by number (status[k]: 0 never attempted, else its
 * outcome + 1) and which of them the values read back hold (found[k]); a value is an
 * operation's when it is exactly its decimal number ("+5", " 5" or "5x" are none).
 * Returns how many values are no operation's (corrupt). Caller frees both arrays. */
static int64_t mark_found(const fd_op *ops, size_t n, const fd_strv *values, uint64_t *maxn,
                          uint8_t **status, uint8_t **found)
{
    *maxn = 0;
    for (size_t i = 0; i < n; i++)
        if (ops[i].n > *maxn)
            *maxn = ops[i].n;
    *status = fd_xcalloc((size_t)*maxn + 1, 1);
    *found = fd_xcalloc((size_t)*maxn + 1, 1);
    for (size_t i = 0; i < n; i++)
        (*status)[ops[i].n] = (uint8_t)(ops[i].outcome + 1);
    int64_t corrupt = 0;
    for (size_t i = 0; i < values->n; i++) {
        const char *v = values->v[i];
        char *end = NULL;
        unsigned long long k = strtoull(v, &end, 10);
        bool numeric = *v >= '0' && *v <= '9' && end && *end == '\0';
        if (!numeric || k > *maxn || (*status)[k] == 0) {
            corrupt++;
            continue;
        }
        (*found)[k] = 1;
    }
    return corrupt;
}

void fd_metrics_data_loss(const fd_op *ops, size_t n, const fd_strv *read_values,
                          fd_probe_metrics *m)
{
    uint64_t maxn;
    uint8_t *status, *found;
    int64_t corrupt = mark_found(ops, n, read_values, &maxn, &status, &found);
    int64_t lost = 0, phantom = 0;
    for (uint64_t k = 0; k <= maxn; k++) {
        if (status[k] == FD_OUT_OK + 1 && !found[k])
            lost++;
        else if (status[k] == FD_OUT_FAIL + 1 && found[k])
            phantom++;
    }
    m->lost_writes = lost;
    m->phantom_writes = phantom;
    m->corrupt_values = corrupt;
    free(status);
    free(found);
}

void fd_metrics_restore_loss(const fd_op *ops, size_t n, const fd_strv *values, int64_t before_us,
                             int64_t after_us, fd_restore_loss *out)
{
    uint64_t maxn;
    uint8_t *status, *found;
    mark_found(ops, n, values, &maxn, &status, &found);
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < n; i++) {
        const fd_op *o = &ops[i];
        if (o->start_us > after_us && found[o->n])
            out->late++;
        if (o->outcome != FD_OUT_OK)
            continue;
        if (found[o->n] && o->end_us > out->newest_found_end_us)
            out->newest_found_end_us = o->end_us;
        if (o->end_us <= before_us) {
            out->acked++;
            out->lost += !found[o->n];
        }
    }
    free(status);
    free(found);
}

/* Whether v is the decimal number of one of the writes (status non-zero). */
static bool is_write(const char *v, const uint8_t *status, uint64_t maxn)
{
    char *end = NULL;
    unsigned long long k = strtoull(v, &end, 10);
    return *v >= '0' && *v <= '9' && end && *end == '\0' && k <= maxn && status[k];
}

void fd_metrics_replica(const fd_op *ops, size_t n, const fd_strv *primary, const fd_strv *replica,
                        fd_replica_figures *out)
{
    uint64_t maxn;
    uint8_t *status, *on_primary, *on_replica;
    memset(out, 0, sizeof *out);
    mark_found(ops, n, primary, &maxn, &status, &on_primary);
    free(status);
    out->divergent = mark_found(ops, n, replica, &maxn, &status, &on_replica);
    for (size_t i = 0; i < replica->n && out->ndivergent_sample < 5; i++)
        if (!is_write(replica->v[i], status, maxn))
            out->divergent_sample[out->ndivergent_sample++] = i;
    for (uint64_t k = 0; k <= maxn; k++) {
        if (status[k] == FD_OUT_OK + 1 && !on_replica[k]) {
            if (out->nlost_sample < 5)
                out->lost_sample[out->nlost_sample++] = k;
            out->lost++;
        }
        if (on_replica[k] && !on_primary[k])
            out->extra++;
    }
    free(status);
    free(on_primary);
    free(on_replica);
}

void fd_metrics_percentiles_ms(int64_t *v_us, size_t n, double *p50, double *p99, double *max)
{
    if (!n) {
        *p50 = *p99 = *max = NAN;
        return;
    }
    qsort(v_us, n, sizeof *v_us, cmp_i64);
    *p50 = percentile(v_us, n, 50) / 1000.0;
    *p99 = percentile(v_us, n, 99) / 1000.0;
    *max = (double)v_us[n - 1] / 1000.0;
}

void fd_metrics_free(fd_probe_metrics *m)
{
    if (!m)
        return;
    free(m->outages);
    m->outages = NULL;
    m->noutages = 0;
}

void fd_metrics_values(const fd_op *ops, const double *values, size_t n, int64_t from_us,
                       int64_t to_us, fd_value_stats *st)
{
    memset(st, 0, sizeof *st);
    st->min = st->max = st->mean = st->last = NAN;
    double sum = 0;
    for (size_t i = 0; values && i < n; i++) {
        if (ops[i].start_us < from_us || ops[i].start_us > to_us || ops[i].outcome != FD_OUT_OK ||
            isnan(values[i]))
            continue;
        double v = values[i];
        if (!st->n || v < st->min)
            st->min = v;
        if (!st->n || v > st->max)
            st->max = v;
        sum += v;
        st->last = v;
        st->n++;
    }
    if (st->n)
        st->mean = sum / (double)st->n;
}

bool fd_metrics_values_hold(const fd_op *ops, const double *values, size_t n, int64_t from_us,
                            int64_t to_us, const fd_cmp *c, size_t *nops, size_t *at)
{
    *nops = 0;
    if (at)
        *at = n;
    for (size_t i = 0; i < n; i++) {
        if (ops[i].start_us < from_us || ops[i].start_us > to_us)
            continue;
        (*nops)++;
        if (at)
            *at = i;
        bool holds = values && ops[i].outcome == FD_OUT_OK && !isnan(values[i]) &&
                     fd_cmp_holds(c, values[i]);
        if (!holds)
            return false;
    }
    return *nops > 0;
}
