/* probe.c: the probe engine: scheduling, recording, read-back. */
#include "probe.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const fd_probe_type_ops fd_probe_tcp_ops, fd_probe_http_ops, fd_probe_redis_ops,
    fd_probe_postgres_ops, fd_probe_etcd_ops, fd_probe_command_ops, fd_probe_mysql_ops,
    fd_probe_prometheus_ops;

static const fd_probe_type_ops *const probe_types[] = {
    &fd_probe_tcp_ops,  &fd_probe_http_ops,    &fd_probe_redis_ops, &fd_probe_postgres_ops,
    &fd_probe_etcd_ops, &fd_probe_command_ops, &fd_probe_mysql_ops, &fd_probe_prometheus_ops,
};

const fd_probe_type_ops *fd_probe_ops_for(fd_probe_type type)
{
    for (size_t i = 0; i < sizeof probe_types / sizeof probe_types[0]; i++)
        if (probe_types[i]->type == type)
            return probe_types[i];
    return NULL;
}

size_t fd_probe_ops_budget(void)
{
    const char *env = getenv("FIREDRILL_MAX_OPS");
    int64_t v;
    if (env && fd_parse_uint(env, INT64_MAX / 2, &v) && v > 0)
        return (size_t)v;
    FILE *f = fopen("/proc/meminfo", "r");
    unsigned long long kb = 0;
    char line[256];
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1)
            break;
    if (f)
        fclose(f);
    if (!kb)
        kb = 1ULL << 20; /* 1 GiB when it cannot be read */
    return (size_t)(kb * 1024 / 2 / FD_OP_BYTES);
}

int fd_deadline_ms(int64_t deadline_us)
{
    int64_t left = deadline_us - fd_mono_us();
    return left <= 1000 ? 1 : (int)(left / 1000);
}

/* A measured number in history.jsonl: JSON has no NaN or infinities; Prometheus's own
 * words for them are kept as strings. */
static json_t *json_number(double v)
{
    if (isnan(v))
        return json_string("NaN");
    if (isinf(v))
        return json_string(v > 0 ? "+Inf" : "-Inf");
    return json_real(v);
}

static void record(fd_probe_run *pr, const fd_op *op, const char *value, const double *measured,
                   const char *error)
{
    pthread_mutex_lock(&pr->lock);
    if (pr->nops == pr->capops) {
        pr->capops = pr->capops ? pr->capops * 2 : 4096;
        pr->ops = fd_xrealloc(pr->ops, pr->capops * sizeof *pr->ops);
        if (pr->ops_table->measure)
            pr->values = fd_xrealloc(pr->values, pr->capops * sizeof *pr->values);
    }
    if (pr->values)
        pr->values[pr->nops] = measured && op->outcome == FD_OUT_OK ? *measured : NAN;
    pr->ops[pr->nops++] = *op;
    if (error) {
        free(pr->last_error);
        pr->last_error = fd_strdup(error);
    }
    pthread_mutex_unlock(&pr->lock);
    json_t *o = json_object();
    json_object_set_new(o, "t", json_string("op"));
    json_object_set_new(o, "probe", json_string(pr->p->name));
    json_object_set_new(o, "n", json_integer((json_int_t)op->n));
    json_object_set_new(o, "op", json_string(value ? "write" : "read"));
    if (value)
        json_object_set_new(o, "value", json_string(value));
    else if (measured && op->outcome == FD_OUT_OK)
        json_object_set_new(o, "value", json_number(*measured));
    json_object_set_new(o, "start_s", json_real(fd_history_at(pr->history, op->start_us)));
    json_object_set_new(o, "end_s", json_real(fd_history_at(pr->history, op->end_us)));
    json_object_set_new(o, "outcome", json_string(fd_outcome_names[op->outcome]));
    if (error) {
        char *e = fd_printable(error, 300);
        json_t *js = json_string(e);
        json_object_set_new(o, "error", js ? js : json_string("(not UTF-8)"));
        free(e);
    }
    fd_history_write(pr->history, o);
}

static void *probe_main(void *arg)
{
    fd_probe_run *pr = arg;
    const fd_probe *p = pr->p;
    int64_t next = fd_mono_us();
    uint64_t n = 0;
    char value[32];
    while (!atomic_load(&pr->stop)) {
        if (p->read_your_writes)
            fd_probe_ryw_due(pr);
        int64_t now = fd_mono_us();
        if (now < next) {
            int64_t wait = next - now;
            fd_sleep_us(wait > 20000 ? 20000 : wait);
            continue;
        }
        /* A lag (a late wake-up, a machine that stalls its threads for tens of
         * milliseconds when its cores are busy, a few slow operations) is caught up by
         * running the late slots one after another, as a fixed-rate schedule does: each
         * is a real operation with its own start time, and the lag is stated
         * (max_lag_ms). When the probe is far behind (operations waiting out their
         * timeouts), the slots that passed are skipped and counted as missed, never
         * silently. */
        int64_t catch_up =
            p->interval_us * 10 > FD_PROBE_CATCH_UP_US ? p->interval_us * 10 : FD_PROBE_CATCH_UP_US;
        if (now - next >= catch_up) {
            uint64_t k = (uint64_t)((now - next) / p->interval_us);
            pr->missed_slots += k;
            /* when, so that a reader can tell misses inside a fault's window (slots an
             * operation that timed out overran) from those outside it */
            fd_history_event(pr->history, "missed_slots",
                             json_pack("{s:s,s:I,s:f}", "probe", p->name, "slots", (json_int_t)k,
                                       "from_s", fd_history_at(pr->history, next)));
            next += (int64_t)k * p->interval_us;
        }
        /* memory: every operation stays until the figures are made; past the run's
         * budget the probe stops, and the run is aborted (healer.c) before the
         * controller runs out */
        if (n == UINT32_MAX ||
            (pr->ops_total && atomic_fetch_add(pr->ops_total, 1) >= pr->ops_budget)) {
            atomic_store(&pr->full, true);
            break;
        }
        n++;
        fd_op op = {.start_us = fd_mono_us(), .n = (uint32_t)n};
        if (op.start_us - next > pr->max_lag_us)
            pr->max_lag_us = op.start_us - next;
        snprintf(value, sizeof value, "%llu", (unsigned long long)n);
        char *error = NULL;
        double measured = NAN;
        if (pr->ops_table->measure)
            op.outcome = (uint8_t)pr->ops_table->measure(pr->client, op.start_us + p->timeout_us,
                                                         &measured, &error);
        else
            op.outcome = (uint8_t)pr->ops_table->op(pr->client, p->write ? value : NULL,
                                                    op.start_us + p->timeout_us, &error);
        op.end_us = fd_mono_us();
        if (op.outcome == FD_OUT_OK && op.end_us - op.start_us > p->timeout_us) {
            /* an answer after the timeout is an unknown for the probe, as for a client */
            op.outcome = FD_OUT_UNKNOWN;
            free(error);
            error =
                fd_asprintf("answered after the %.0fms timeout", (double)p->timeout_us / 1000.0);
        }
        record(pr, &op, p->write ? value : NULL, pr->ops_table->measure ? &measured : NULL, error);
        free(error);
        if (p->read_your_writes && op.outcome == FD_OUT_OK)
            fd_probe_ryw_after_write(pr, n, op.end_us);
        next += p->interval_us;
    }
    return NULL;
}

bool fd_probe_start(fd_probe_run *pr, const fd_probe *p, const fd_probe_env *env, fd_history *h,
                    char *const *names, char *const *reads, size_t nreplicas)
{
    memset(pr, 0, sizeof *pr);
    pr->p = p;
    pr->history = h;
    pr->m.lost_writes = pr->m.phantom_writes = pr->m.corrupt_values = -1;
    pthread_mutex_init(&pr->lock, NULL);
    pr->ops_table = fd_probe_ops_for(p->type);
    pr->ops_total = env->ops_total;
    pr->ops_budget = env->ops_budget;
    if (!pr->ops_table)
        return false;
    pr->client = pr->ops_table->open(p, env);
    if (!pr->client)
        return false;
    fd_probe_replicas_start(pr, env, names, reads, nreplicas);
    pr->started = pthread_create(&pr->thread, NULL, probe_main, pr) == 0;
    if (!pr->started) {
        atomic_store(&pr->stop, true);
        fd_probe_replicas_stop(pr);
    }
    return pr->started;
}

void fd_probe_stop(fd_probe_run *pr)
{
    if (!pr->started)
        return;
    atomic_store(&pr->stop, true);
    pthread_join(pr->thread, NULL);
    fd_probe_replicas_stop(pr);
    pr->started = false;
}

double fd_probe_availability(fd_probe_run *pr, int64_t from, int64_t to)
{
    pthread_mutex_lock(&pr->lock);
    double a = fd_metrics_availability(pr->ops, pr->nops, from, to);
    pthread_mutex_unlock(&pr->lock);
    return a;
}

void fd_probe_value_stats(fd_probe_run *pr, int64_t from, int64_t to, fd_value_stats *st)
{
    pthread_mutex_lock(&pr->lock);
    fd_metrics_values(pr->ops, pr->values, pr->nops, from, to, st);
    pthread_mutex_unlock(&pr->lock);
}

char *fd_condition_words(const fd_condition *c)
{
    const fd_cmp *k = c->on_value ? &c->value : &c->availability;
    return fd_asprintf("%s %g", fd_cmp_op_str(k->op), k->value);
}

bool fd_probe_condition(fd_probe_run *pr, const fd_condition *c, int64_t from, int64_t to,
                        char **measured, double *figure)
{
    double unused;
    figure = figure ? figure : &unused;
    if (!c->on_value) {
        double a = *figure = fd_probe_availability(pr, from, to);
        *measured =
            isnan(a) ? fd_strdup("availability unmeasured") : fd_asprintf("availability %.4f", a);
        return !isnan(a) && fd_cmp_holds(&c->availability, a);
    }
    pthread_mutex_lock(&pr->lock);
    size_t nops = 0, at = pr->nops;
    bool holds =
        fd_metrics_values_hold(pr->ops, pr->values, pr->nops, from, to, &c->value, &nops, &at);
    *figure = at < pr->nops && pr->values ? pr->values[at] : NAN;
    if (holds) {
        *measured = fd_asprintf("value %g (the last of %zu, all holding)", *figure, nops);
    } else if (!nops) {
        *measured = fd_strdup("no value measured");
    } else if (pr->ops[at].outcome != FD_OUT_OK) {
        *measured = fd_asprintf("no value at operation %llu (it failed)",
                                (unsigned long long)pr->ops[at].n);
    } else {
        *measured =
            fd_asprintf("value %g at operation %llu", *figure, (unsigned long long)pr->ops[at].n);
    }
    pthread_mutex_unlock(&pr->lock);
    return holds;
}

char *fd_probe_last_error(fd_probe_run *pr)
{
    pthread_mutex_lock(&pr->lock);
    char *e = fd_strdup(pr->last_error ? pr->last_error : "none");
    pthread_mutex_unlock(&pr->lock);
    return e;
}

fd_op *fd_probe_snapshot(fd_probe_run *pr, size_t *n)
{
    pthread_mutex_lock(&pr->lock);
    fd_op *copy = fd_xmalloc((pr->nops ? pr->nops : 1) * sizeof *copy);
    memcpy(copy, pr->ops, pr->nops * sizeof *copy);
    *n = pr->nops;
    pthread_mutex_unlock(&pr->lock);
    return copy;
}

bool fd_probe_read_values(const fd_probe_type_ops *ops, fd_probe_client *c, int64_t timeout_us,
                          fd_strv *values, char **error)
{
    int64_t deadline = fd_mono_us() + timeout_us;
    bool ok = false;
    *error = NULL;
    for (int attempt = 0; attempt < 5 && !ok && fd_mono_us() < deadline; attempt++) {
        free(*error);
        *error = NULL;
        fd_strv_free(values);
        ok = ops->read_back(c, deadline, values, error);
        if (!ok)
            fd_sleep_us(1000000);
    }
    if (!ok && !*error)
        *error = fd_strdup("read-back failed");
    return ok;
}

void fd_probe_read_back(fd_probe_run *pr, int64_t timeout_us)
{
    if (!pr->p->write || !pr->client)
        return;
    fd_strv values = {0};
    char *error = NULL;
    bool ok = fd_probe_read_values(pr->ops_table, pr->client, timeout_us, &values, &error);
    if (ok) {
        fd_metrics_data_loss(pr->ops, pr->nops, &values, &pr->m);
        pr->read_back_count = values.n;
    } else {
        pr->read_back_error = error;
        error = NULL;
    }
    free(error);
    fd_probe_replicas_read_back(pr, ok ? &values : NULL, timeout_us);
    fd_strv_free(&values);
}

void fd_probe_free(fd_probe_run *pr)
{
    if (!pr)
        return;
    fd_probe_stop(pr);
    if (pr->client && pr->ops_table)
        pr->ops_table->close(pr->client);
    if (pr->ops_table)
        fd_probe_replicas_free(pr);
    free(pr->ops);
    free(pr->values);
    free(pr->last_error);
    free(pr->read_back_error);
    fd_metrics_free(&pr->m);
    pthread_mutex_destroy(&pr->lock);
}
