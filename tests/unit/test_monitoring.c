/* test_monitoring.c: reading Prometheus's and Alertmanager's answers, and the run's
 * figures in the Prometheus text format. */
#include "fdtest.h"
#include "alerts.h"
#include "probe.h"
#include "render.h"

#include <math.h>

static bool value_of(const char *body, const fd_kv *labels, size_t n, double *v, bool *invalid,
                     char **err)
{
    *err = NULL;
    return fd_prom_value(body, strlen(body), labels, n, v, invalid, err);
}

static void test_prom_value(void **state)
{
    (void)state;
    double v = 0;
    bool invalid;
    char *err;
    assert_true(value_of("{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\","
                         "\"result\":[1796315128.6,\"0.25\"]}}",
                         NULL, 0, &v, &invalid, &err));
    assert_true(v == 0.25);
    const char *vec = "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
                      "{\"metric\":{\"job\":\"redis\",\"host\":\"h1\"},\"value\":[1,\"1\"]},"
                      "{\"metric\":{\"job\":\"redis\",\"host\":\"h2\"},\"value\":[1,\"+Inf\"]},"
                      "{\"metric\":{\"job\":\"redis\",\"host\":\"h3\"},\"value\":[1,\"NaN\"]}]}}";
    fd_kv h2 = {"host", "h2"}, h3 = {"host", "h3"}, redis = {"job", "redis"}, h9 = {"host", "h9"};
    assert_true(value_of(vec, &h2, 1, &v, &invalid, &err) && isinf(v) && v > 0);
    assert_true(value_of(vec, &h3, 1, &v, &invalid, &err) && isnan(v));
    /* several series, and none chosen: a failure that says so and shows none of them */
    assert_false(value_of(vec, &redis, 1, &v, &invalid, &err));
    assert_false(invalid);
    assert_non_null(strstr(err, "3 of the 3 series"));
    free(err);
    /* no series with the labels: the failure names some that there are */
    assert_false(value_of(vec, &h9, 1, &v, &invalid, &err));
    assert_non_null(strstr(err, "host=\"h1\""));
    free(err);
    assert_false(value_of("{\"status\":\"success\",\"data\":{\"resultType\":\"vector\","
                          "\"result\":[]}}",
                          NULL, 0, &v, &invalid, &err));
    assert_non_null(strstr(err, "empty result"));
    assert_false(invalid);
    free(err);
    /* Prometheus refusing the query: invalid, with its words */
    assert_false(value_of("{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":"
                          "\"1:12: parse error: missing unit character in duration\"}",
                          NULL, 0, &v, &invalid, &err));
    assert_true(invalid);
    assert_string_equal(err, "bad_data: 1:12: parse error: missing unit character in duration");
    free(err);
    assert_false(value_of("{\"status\":\"error\",\"errorType\":\"timeout\",\"error\":\"x\"}", NULL,
                          0, &v, &invalid, &err));
    assert_false(invalid);
    free(err);
    /* a range vector cannot be one value: the scenario asks what cannot be */
    assert_false(value_of("{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\","
                          "\"result\":[]}}",
                          NULL, 0, &v, &invalid, &err));
    assert_true(invalid);
    free(err);
    assert_false(value_of("<html>proxy error</html>", NULL, 0, &v, &invalid, &err));
    assert_false(invalid);
    free(err);
    assert_false(value_of("{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\","
                          "\"result\":[1,\"12abc\"]}}",
                          NULL, 0, &v, &invalid, &err));
    free(err);
}

static void test_alerts_parse(void **state)
{
    (void)state;
    const char *body =
        "[{\"annotations\":{},\"endsAt\":\"2026-12-03T16:30:00.000Z\",\"fingerprint\":"
        "\"d35513ff524e7f4f\",\"receivers\":[{\"name\":\"none\"}],\"startsAt\":"
        "\"2026-12-03T16:25:28.671123456Z\",\"status\":{\"state\":\"active\"},\"labels\":"
        "{\"alertname\":\"RedisMasterDown\",\"severity\":\"critical\"}},"
        "{\"fingerprint\":\"x\",\"labels\":{\"severity\":\"critical\"}},"
        "{\"fingerprint\":\"y\",\"labels\":{\"alertname\":\"NoStart\"},\"startsAt\":\"soon\"}]";
    fd_alert *a = NULL;
    size_t n = 0;
    char *err = NULL;
    assert_true(fd_alerts_parse(body, strlen(body), &a, &n, &err));
    /* the entry without an alertname is not an alert */
    assert_int_equal(n, 2);
    assert_string_equal(a[0].name, "RedisMasterDown");
    assert_string_equal(a[0].fingerprint, "d35513ff524e7f4f");
    assert_string_equal(json_string_value(json_object_get(a[0].labels, "severity")), "critical");
    assert_true(fabs(a[0].starts_unix - 1796315128.671123456) < 1e-5);
    assert_true(isnan(a[1].starts_unix));
    fd_alerts_free(a, n);
    assert_false(fd_alerts_parse("{\"error\":1}", 11, &a, &n, &err));
    assert_non_null(err);
    free(err);
}

static void test_render_metrics(void **state)
{
    (void)state;
    const char *text =
        "{\"scenario\":{\"name\":\"pg-drill\"},\"exit_code\":1,\"started_at_unix\":100.5,"
        "\"duration_s\":20,\"probes\":[{\"name\":\"writes\",\"availability\":0.75,"
        "\"failover_time_s\":2.5,\"lost_writes\":3},{\"name\":\"q\\\"x\",\"availability\":null,"
        "\"failover_time_s\":null}],\"verifies\":[{\"id\":\"check\",\"probe\":\"writes\","
        "\"lost_writes\":0,\"rpo_s\":1.25,\"rto_s\":null}]}";
    json_t *rep = json_loads(text, 0, NULL);
    assert_non_null(rep);
    fd_buf b;
    fd_buf_init(&b, FD_BUF_UNCAPPED);
    fd_render_metrics(rep, &b);
    const char *want[] = {
        "# firedrill metrics:",
        "# TYPE firedrill_exit_code gauge\nfiredrill_exit_code{scenario=\"pg-drill\"} 1\n",
        "firedrill_last_run_timestamp_seconds{scenario=\"pg-drill\"} 120.5\n",
        "firedrill_availability{scenario=\"pg-drill\",probe=\"writes\"} 0.75\n",
        "firedrill_failover_seconds{scenario=\"pg-drill\",probe=\"writes\"} 2.5\n",
        "firedrill_lost_writes{scenario=\"pg-drill\",probe=\"writes\"} 3\n"
        "firedrill_lost_writes{scenario=\"pg-drill\",probe=\"writes\",step=\"check\"} 0\n",
        "firedrill_rpo_seconds{scenario=\"pg-drill\",probe=\"writes\",step=\"check\"} 1.25\n",
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        if (!strstr(b.data, want[i]))
            fail_msg("missing:\n%s\nin:\n%s", want[i], b.data);
    /* a family is described once; unmeasured figures have no sample */
    assert_int_equal(
        strstr(strstr(b.data, "# TYPE firedrill_lost_writes") + 1, "# TYPE firedrill_lost_writes"),
        NULL);
    assert_null(strstr(b.data, "q\\\"x"));
    assert_null(strstr(b.data, "firedrill_rto_seconds"));
    fd_buf_free(&b);
    json_decref(rep);
    /* label values are escaped */
    rep = json_loads("{\"scenario\":{\"name\":\"a\"},\"exit_code\":0,\"probes\":[{\"name\":"
                     "\"p\\\"\\\\\\n\",\"availability\":1}]}",
                     0, NULL);
    fd_buf_init(&b, FD_BUF_UNCAPPED);
    fd_render_metrics(rep, &b);
    assert_non_null(strstr(b.data, "probe=\"p\\\"\\\\\\n\"} 1\n"));
    fd_buf_free(&b);
    json_decref(rep);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prom_value),
        cmocka_unit_test(test_alerts_parse),
        cmocka_unit_test(test_render_metrics),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
