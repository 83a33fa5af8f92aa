/* test_metrics.c: availability, outages, failover time, percentiles and data loss. */
#include "fdtest.h"
#include "metrics.h"

#include <math.h>

/* ops every 10 ms from t=0; pattern: 'o' ok, 'f' fail, 'u' unknown; each takes 1 ms
 * (an unknown takes 5 ms, like a timeout) */
static fd_op *pattern(const char *p, size_t *n)
{
    *n = strlen(p);
    fd_op *ops = fd_xcalloc(*n, sizeof *ops);
    for (size_t i = 0; i < *n; i++) {
        ops[i].n = i + 1;
        ops[i].start_us = (int64_t)i * 10000;
        ops[i].end_us = ops[i].start_us + (p[i] == 'u' ? 5000 : 1000);
        ops[i].outcome = p[i] == 'o' ? FD_OUT_OK : p[i] == 'f' ? FD_OUT_FAIL : FD_OUT_UNKNOWN;
    }
    return ops;
}

static void test_outages(void **state)
{
    size_t n;
    fd_op *ops = pattern("ooofffooouuuuuoo", &n);
    fd_probe_metrics m;
    fd_metrics_compute(ops, n, 0, INT64_MAX, &m);
    assert_int_equal(m.ops, 16);
    assert_int_equal(m.ok, 8);
    assert_int_equal(m.fail, 3);
    assert_int_equal(m.unknown, 5);
    assert_float_equal(m.availability, 0.5, 1e-12);
    assert_int_equal(m.noutages, 2);
    /* first: from the start of op 3 (30 ms) to the start of the next ok op 6 (60 ms) */
    assert_int_equal(m.outages[0].start_us, 30000);
    assert_int_equal(m.outages[0].end_us, 60000);
    assert_true(m.outages[0].ended);
    /* second: 90 ms to 140 ms; the longest is the failover time */
    assert_int_equal(m.outages[1].end_us - m.outages[1].start_us, 50000);
    assert_float_equal(m.failover_time_s, 0.05, 1e-12);
    assert_float_equal(m.latency_p50_ms, 1.0, 1e-12);
    assert_float_equal(m.latency_max_ms, 1.0, 1e-12);
    fd_metrics_free(&m);
    free(ops);
}

static void test_edges(void **state)
{
    size_t n;
    fd_probe_metrics m;
    /* failures before the first success are not an outage (no success preceded them) */
    fd_op *ops = pattern("fffooo", &n);
    fd_metrics_compute(ops, n, 0, INT64_MAX, &m);
    assert_int_equal(m.noutages, 0);
    assert_float_equal(m.failover_time_s, 0.0, 0);
    fd_metrics_free(&m);
    free(ops);
    /* still down at the end: an outage that did not end, measured to its last op's end */
    ops = pattern("oooff", &n);
    fd_metrics_compute(ops, n, 0, INT64_MAX, &m);
    assert_int_equal(m.noutages, 1);
    assert_false(m.outages[0].ended);
    assert_int_equal(m.outages[0].end_us, 41000);
    fd_metrics_free(&m);
    free(ops);
    /* no operation at all: nothing measured, never 0 */
    fd_metrics_compute(NULL, 0, 0, INT64_MAX, &m);
    assert_true(isnan(m.availability));
    assert_true(isnan(m.failover_time_s));
    assert_true(isnan(m.latency_p99_ms));
    fd_metrics_free(&m);
    /* the window: only operations that started inside it */
    ops = pattern("ffoooo", &n);
    fd_metrics_compute(ops, n, 20000, 40000, &m);
    assert_int_equal(m.ops, 3);
    assert_float_equal(m.availability, 1.0, 0);
    fd_metrics_free(&m);
    free(ops);
}

static void test_percentiles(void **state)
{
    fd_op ops[100];
    for (int i = 0; i < 100; i++)
        ops[i] =
            (fd_op){.start_us = i * 1000, .end_us = i * 1000 + (i + 1) * 100, .n = (uint64_t)i + 1};
    fd_probe_metrics m;
    fd_metrics_compute(ops, 100, 0, INT64_MAX, &m);
    assert_float_equal(m.latency_p50_ms, 5.0, 1e-9); /* 50th of 0.1..10 ms */
    assert_float_equal(m.latency_p99_ms, 9.9, 1e-9);
    assert_float_equal(m.latency_max_ms, 10.0, 1e-9);
    fd_metrics_free(&m);
}

static void test_data_loss(void **state)
{
    size_t n;
    fd_op *ops = pattern("oooofuo", &n); /* writes 1..7 */
    fd_strv read = {0};
    const char *present[] = {"1", "2", "4", "5", "6", "999", "2", "x"};
    for (size_t i = 0; i < 8; i++)
        fd_strv_push(&read, present[i]);
    fd_probe_metrics m = {0};
    fd_metrics_data_loss(ops, n, &read, &m);
    /* 3 and 7 were acknowledged and are missing; 5 failed but is there; 999 and x were
     * never written; 6 (unknown) present is fine */
    assert_int_equal(m.lost_writes, 2);
    assert_int_equal(m.phantom_writes, 1);
    assert_int_equal(m.corrupt_values, 2);
    fd_strv_free(&read);
    /* nothing read back: every acknowledged write is lost, unknowns are not */
    fd_metrics_data_loss(ops, n, &read, &m);
    assert_int_equal(m.lost_writes, 5);
    assert_int_equal(m.phantom_writes, 0);
    free(ops);
}

/* wait_for's question: since when has the probe been healthy, counting from the step's
 * start? */
static void test_healthy_since(void **state)
{
    size_t n;
    fd_op *ops = pattern("ooofoooo", &n);                             /* ops start every 10 ms */
    assert_int_equal(fd_metrics_healthy_since(ops, n, 0), 40000);     /* after the failure */
    assert_int_equal(fd_metrics_healthy_since(ops, n, 60000), 60000); /* not before start */
    assert_int_equal(fd_metrics_healthy_since(ops, n, 100000), -1);   /* none since then */
    assert_int_equal(fd_metrics_healthy_since(ops, 4, 0), -1);        /* the newest failed */
    assert_int_equal(fd_metrics_healthy_since(ops, 0, 0), -1);
    assert_int_equal(fd_metrics_healthy_since(ops, 3, 0), 0); /* ok from the first */
    assert_float_equal(fd_metrics_availability(ops, n, 0, 80000), 7.0 / 8.0, 1e-12);
    free(ops);
}

/* A restore: of the ok writes acknowledged by the backup point, which are missing; the
 * newest ok write the restore holds gives the recovery point. Values match as the
 * probes' read-back does: " 3" and "+3" are no write's value. */
static void test_restore_loss(void **state)
{
    size_t n;
    fd_op *ops = pattern("ooofoooo", &n); /* writes 1..8, each ends 1 ms after its start */
    fd_strv read = {0};
    const char *restored[] = {"1", " 3", "+3", "5", "2"};
    for (size_t i = 0; i < 5; i++)
        fd_strv_push(&read, restored[i]);
    fd_restore_loss loss;
    /* backup point at 51 ms: writes 1-6 ended by then, 1, 2, 3, 5, 6 of them ok */
    fd_metrics_restore_loss(ops, n, &read, 51000, INT64_MAX, &loss);
    assert_int_equal(loss.acked, 5);
    assert_int_equal(loss.lost, 2);                    /* 3 (only as " 3" and "+3") and 6 */
    assert_int_equal(loss.newest_found_end_us, 41000); /* write 5 */
    assert_int_equal(loss.late, 0);
    /* a recovery target at 15 ms: writes 3.. were sent after it; 5 is there (late), 2 is
     * not late (sent at 10 ms, before); one in flight at the target counts neither */
    fd_metrics_restore_loss(ops, n, &read, 15000, 15000, &loss);
    assert_int_equal(loss.acked, 2);
    assert_int_equal(loss.lost, 0);
    assert_int_equal(loss.late, 1);
    fd_metrics_restore_loss(ops, n, &read, 40500, 40500, &loss); /* write 5 in flight */
    assert_int_equal(loss.late, 0);
    assert_int_equal(loss.acked, 3); /* 1, 2, 3 (4 failed, 5 not yet answered) */
    assert_int_equal(loss.lost, 1);  /* 3 */
    fd_strv_free(&read);
    fd_metrics_restore_loss(ops, n, &read, 0, INT64_MAX, &loss);
    assert_int_equal(loss.acked, 0);
    assert_int_equal(loss.lost, 0);
    assert_int_equal(loss.newest_found_end_us, 0);
    free(ops);
}

/* A replica against the primary: what it lost, what it has that the primary does not,
 * and what no write had. */
static void test_replica(void **state)
{
    size_t n;
    fd_op *ops = pattern("oooofuo", &n); /* writes 1..7: 5 failed, 6 unknown */
    fd_strv primary = {0}, replica = {0};
    const char *p[] = {"1", "2", "3", "4", "7"};
    const char *r[] = {"1", "2", "4", "5", "6", "6", "10x", "99"};
    for (size_t i = 0; i < 5; i++)
        fd_strv_push(&primary, p[i]);
    for (size_t i = 0; i < 8; i++)
        fd_strv_push(&replica, r[i]);
    fd_replica_figures f;
    fd_metrics_replica(ops, n, &primary, &replica, &f);
    assert_int_equal(f.lost, 2);      /* 3 and 7: acknowledged, on the primary, not here */
    assert_int_equal(f.extra, 2);     /* 5 (failed) and 6 (unknown): here, not on the primary */
    assert_int_equal(f.divergent, 2); /* 10x and 99: no write had them */
    assert_int_equal(f.nlost_sample, 2);
    assert_true(f.lost_sample[0] == 3 && f.lost_sample[1] == 7);
    assert_int_equal(f.ndivergent_sample, 2);
    assert_string_equal(replica.v[f.divergent_sample[0]], "10x");
    assert_string_equal(replica.v[f.divergent_sample[1]], "99");
    fd_metrics_replica(ops, n, &primary, &primary, &f);
    assert_true(f.lost == 0 && f.extra == 0 && f.divergent == 0);
    fd_strv_free(&primary);
    fd_strv_free(&replica);
    free(ops);
    int64_t lag[] = {30000, 1000, 2000, 500000};
    double p50, p99, max;
    fd_metrics_percentiles_ms(lag, 4, &p50, &p99, &max);
    assert_true(p50 == 2.0 && p99 == 500.0 && max == 500.0);
    fd_metrics_percentiles_ms(lag, 0, &p50, &p99, &max);
    assert_true(isnan(p50) && isnan(p99) && isnan(max));
}

/* A measuring probe's values: stats over ok operations in a window, and a condition that
 * needs every operation there ok and holding. */
static void test_values(void **state)
{
    (void)state;
    fd_op ops[5];
    double values[5] = {1, 3, NAN, 2, -1};
    for (int i = 0; i < 5; i++)
        ops[i] = (fd_op){.start_us = 100 * i,
                         .end_us = 100 * i + 10,
                         .n = (uint64_t)i + 1,
                         .outcome = i == 2 ? FD_OUT_FAIL : FD_OUT_OK};
    fd_value_stats st;
    fd_metrics_values(ops, values, 5, 0, 400, &st);
    assert_int_equal(st.n, 4);
    assert_true(st.min == -1 && st.max == 3 && st.mean == 1.25 && st.last == -1);
    fd_metrics_values(ops, values, 5, 50, 350, &st);
    assert_int_equal(st.n, 2);
    assert_true(st.min == 2 && st.max == 3);
    fd_metrics_values(ops, values, 5, 1000, 2000, &st);
    assert_int_equal(st.n, 0);
    assert_true(isnan(st.min) && isnan(st.mean) && isnan(st.last));
    fd_cmp gt0 = {FD_CMP_GT, 0};
    size_t n, bad;
    assert_true(fd_metrics_values_hold(ops, values, 5, 0, 100, &gt0, &n, &bad));
    assert_int_equal(n, 2);
    assert_int_equal(bad, 1); /* all held: the last in the window */
    /* a failed operation in the window: the condition does not hold */
    assert_false(fd_metrics_values_hold(ops, values, 5, 0, 300, &gt0, &n, &bad));
    assert_int_equal(bad, 2);
    assert_false(fd_metrics_values_hold(ops, values, 5, 300, 400, &gt0, &n, &bad));
    assert_int_equal(bad, 4);
    /* no operation: not held */
    assert_false(fd_metrics_values_hold(ops, values, 5, 1000, 2000, &gt0, &n, NULL));
    assert_int_equal(n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_outages),       cmocka_unit_test(test_edges),
        cmocka_unit_test(test_percentiles),   cmocka_unit_test(test_data_loss),
        cmocka_unit_test(test_healthy_since), cmocka_unit_test(test_restore_loss),
        cmocka_unit_test(test_replica),       cmocka_unit_test(test_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
