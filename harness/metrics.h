/* metrics.h: the measured figures of a probe, computed from its operations.
 * Pure functions over arrays: no I/O, unit-tested. */
#ifndef FD_METRICS_H
#define FD_METRICS_H

#include "util.h"
#include "value.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum fd_outcome { FD_OUT_OK = 0, FD_OUT_FAIL = 1, FD_OUT_UNKNOWN = 2 } fd_outcome;
extern const char *const fd_outcome_names[];

typedef struct fd_op {
    int64_t start_us, end_us; /* monotonic */
    uint32_t n;               /* operation number; a write's value is its decimal n */
    uint8_t outcome;
} fd_op;

/* Every operation of a run stays in memory (docs/behaviour.md states the figure). */
_Static_assert(sizeof(fd_op) == 24, "fd_op grew: update FD_OP_BYTES's figures in the docs");

typedef struct fd_outage {
    int64_t start_us, end_us; /* end: the start of the next ok operation */
    bool ended;               /* false: no ok operation came before the window's end */
} fd_outage;

typedef struct fd_probe_metrics {
    uint64_t ops, ok, fail, unknown;
    double availability;    /* NAN when there were no operations */
    double failover_time_s; /* the longest outage; 0 when none; NAN without operations */
    fd_outage *outages;
    size_t noutages;
    double latency_p50_ms, latency_p99_ms, latency_max_ms; /* NAN without ok operations */
    int64_t lost_writes, phantom_writes, corrupt_values;   /* -1: not measured */
} fd_probe_metrics;

/* The numbers a measuring probe read (prometheus). */
typedef struct fd_value_stats {
    size_t n;              /* ok operations with a value */
    double min, max, mean; /* NAN when n is 0 */
    double last;
} fd_value_stats;

/* Over the ok operations that started in [from_us, to_us] with a value (not NAN). */
void fd_metrics_values(const fd_op *ops, const double *values, size_t n, int64_t from_us,
                       int64_t to_us, fd_value_stats *st);
/* Whether every operation that started in [from_us, to_us] was ok with a value for which c
 * holds, and there was at least one. *nops counts them; *at (when not NULL) is the index
 * of the first that does not hold, or when all do the last of them (n when none). */
bool fd_metrics_values_hold(const fd_op *ops, const double *values, size_t n, int64_t from_us,
                            int64_t to_us, const fd_cmp *c, size_t *nops, size_t *at);

/* Computes availability, outages and latencies over the operations that started in
 * [from_us, to_us]. ops must be in start order. */
void fd_metrics_compute(const fd_op *ops, size_t n, int64_t from_us, int64_t to_us,
                        fd_probe_metrics *m);

/* Data loss from a write probe's history and what was read back: values are the
 * decimal operation numbers found. An ok write whose value is missing is lost; a
 * failed write whose value is present is a phantom; a value that no write attempted
 * is corrupt. Unknown writes are neither lost nor phantom. Duplicated values count
 * once. */
void fd_metrics_data_loss(const fd_op *ops, size_t n, const fd_strv *read_values,
                          fd_probe_metrics *m);

/* What a restore lost: of the ok writes acknowledged by before_us (the backup point),
 * how many (acked) and how many of those the restored values miss (lost); and the end
 * of the newest ok write the restore holds (0 when none), for the recovery point.
 * Values are matched as fd_metrics_data_loss matches them. */
typedef struct fd_restore_loss {
    int64_t acked, lost;
    int64_t late; /* writes first sent after after_us that the restore holds */
    int64_t newest_found_end_us;
} fd_restore_loss;
/* after_us: a recovery target the restore must not go past (INT64_MAX: none). A write in
 * flight at it (sent before, answered after) counts neither as lost nor as late. */
void fd_metrics_restore_loss(const fd_op *ops, size_t n, const fd_strv *values, int64_t before_us,
                             int64_t after_us, fd_restore_loss *out);

/* One replica against the primary, after settle: ok writes its values miss (lost),
 * values the probe wrote that it holds and the primary does not (extra: the replica
 * has what the primary lost), and values no write of the probe had (divergent: a row
 * changed there). Values are matched as fd_metrics_data_loss matches them. */
typedef struct fd_replica_figures {
    int64_t lost, extra, divergent;
    /* up to 5 of each, for the report: the lost writes' numbers, the divergent values'
     * indexes in the replica's values */
    uint64_t lost_sample[5];
    size_t nlost_sample, divergent_sample[5], ndivergent_sample;
} fd_replica_figures;
void fd_metrics_replica(const fd_op *ops, size_t n, const fd_strv *primary, const fd_strv *replica,
                        fd_replica_figures *out);

/* Nearest-rank p50, p99 and the max of v (sorted in place), in ms; NAN for none. */
void fd_metrics_percentiles_ms(int64_t *v_us, size_t n, double *p50, double *p99, double *max);

/* The availability of operations that started in [from_us, to_us], or NAN. */
double fd_metrics_availability(const fd_op *ops, size_t n, int64_t from_us, int64_t to_us);

/* The start of the unbroken run of ok operations that ends with the newest one,
 * counting only operations that started at or after from_us; -1 when the newest such
 * operation was not ok or there is none. (wait_for: healthy since when?) */
int64_t fd_metrics_healthy_since(const fd_op *ops, size_t n, int64_t from_us);

void fd_metrics_free(fd_probe_metrics *m);

#endif
