/* bench/history_scale.c N DIR: the analysis of a drill with N recorded operations.
 * Builds N operations of one write probe in memory, 1 ms apart with a 5 s outage,
 * computes the figures and the data loss as a run does (timed), and writes DIR/report.json
 * and DIR/history.jsonl in the run directory format, for `firedrill report` to render.
 * Prints: ops, analysis seconds, peak memory. */
#include "metrics.h"
#include "util.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: history_scale N DIR\n");
        return 2;
    }
    size_t n = strtoull(argv[1], NULL, 10);
    const char *dir = argv[2];
    mkdir(dir, 0755);
    fd_op *ops = fd_xmalloc(n * sizeof *ops);
    int64_t t0 = 1000000;
    size_t mid = n / 2;
    for (size_t i = 0; i < n; i++) {
        ops[i].n = i + 1;
        ops[i].start_us = t0 + (int64_t)i * 1000;
        ops[i].end_us = ops[i].start_us + 200 + (int64_t)(i % 97);
        ops[i].outcome = (i >= mid && i < mid + 5000) ? FD_OUT_FAIL : FD_OUT_OK;
    }
    /* what the read-back finds: every acknowledged value but the last 3 before the outage */
    fd_strv read = {0};
    read.v = fd_xmalloc((n + 1) * sizeof *read.v);
    char *pool = fd_xmalloc(n * 24);
    for (size_t i = 0; i < n; i++) {
        if (ops[i].outcome != FD_OUT_OK || (i + 3 >= mid && i < mid))
            continue;
        char *v = pool + read.n * 24;
        snprintf(v, 24, "%zu", i + 1);
        read.v[read.n++] = v;
    }
    int64_t a0 = fd_mono_us();
    fd_probe_metrics m;
    fd_metrics_compute(ops, n, 0, INT64_MAX, &m);
    fd_metrics_data_loss(ops, n, &read, &m);
    double analysis = (double)(fd_mono_us() - a0) / 1e6;
    double duration = (double)(ops[n - 1].end_us) / 1e6 + 1;
    /* history.jsonl exactly as a run writes its operation lines */
    char *hpath = fd_asprintf("%s/history.jsonl", dir);
    FILE *h = fopen(hpath, "w");
    for (size_t i = 0; i < n; i++)
        fprintf(h,
                "{\"t\":\"op\",\"probe\":\"writes\",\"n\":%llu,\"op\":\"write\",\"value\":\"%llu\","
                "\"start_s\":%.6f,\"end_s\":%.6f,\"outcome\":\"%s\"}\n",
                (unsigned long long)ops[i].n, (unsigned long long)ops[i].n,
                (double)ops[i].start_us / 1e6, (double)ops[i].end_us / 1e6,
                fd_outcome_names[ops[i].outcome]);
    fclose(h);
    json_t *outages = json_array();
    for (size_t i = 0; i < m.noutages; i++)
        json_array_append_new(
            outages, json_pack("{s:f,s:f,s:f,s:b}", "start_s", (double)m.outages[i].start_us / 1e6,
                               "end_s", (double)m.outages[i].end_us / 1e6, "duration_s",
                               (double)(m.outages[i].end_us - m.outages[i].start_us) / 1e6, "ended",
                               m.outages[i].ended));
    json_t *r = json_pack(
        "{s:s,s:{s:s},s:s,s:i,s:f,s:f,s:s,s:i,s:[],s:[],s:[{s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:f,s:f,s:"
        "o,"
        "s:I,s:I,s:I,s:{s:f,s:f,s:f},s:f,s:i}],s:[],s:[],s:[]}",
        "format", "firedrill-report/1", "scenario", "name", "history-scale", "run_id",
        "history-scale", "seed", 1, "started_at_unix", 1795446062.0, "duration_s", duration,
        "verdict", "pass", "exit_code", 0, "hosts", "faults", "probes", "name", "writes", "type",
        "redis", "mode", "write", "ops", (json_int_t)m.ops, "ok", (json_int_t)m.ok, "fail",
        (json_int_t)m.fail, "unknown", (json_int_t)m.unknown, "availability", m.availability,
        "failover_time_s", m.failover_time_s, "outages", outages, "lost_writes",
        (json_int_t)m.lost_writes, "phantom_writes", (json_int_t)m.phantom_writes, "corrupt_values",
        (json_int_t)m.corrupt_values, "latency_ms", "p50", m.latency_p50_ms, "p99",
        m.latency_p99_ms, "max", m.latency_max_ms, "interval_s", 0.001, "missed_slots", 0, "steps",
        "checks", "errors");
    char *rpath = fd_asprintf("%s/report.json", dir);
    json_dump_file(r, rpath, JSON_INDENT(2));
    json_decref(r);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("%zu ops: analysis %.3fs (failover %.3fs, lost %lld), peak memory %ld MiB\n", n,
           analysis, m.failover_time_s, (long long)m.lost_writes, ru.ru_maxrss / 1024);
    fd_metrics_free(&m);
    free(read.v);
    free(pool);
    free(ops);
    free(hpath);
    free(rpath);
    return 0;
}
