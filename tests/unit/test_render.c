/* test_render.c: the report formats from a fixed report and history, including
 * hostile text from hosts (markup in a command's stderr and a probe's error). */
#include "fdtest.h"
#include "render.h"
#include "history.h"

#include <limits.h>
#include <math.h>

static const char *const EVIL = "<script>alert(1)</script> & \"x\" | `y` ]]>";

static json_t *fixture(void)
{
    json_error_t je;
    json_t *r = json_loads(
        "{\"format\":\"firedrill-report/1\",\"firedrill_version\":\"0.1.0\","
        "\"scenario\":{\"name\":\"redis-kill\",\"file\":\"s.yaml\",\"sha256\":\"ab\","
        "\"description\":\"d\"},"
        "\"run_id\":\"redis-kill-20261123T150102Z\",\"seed\":42,\"started_at_unix\":1795446062.125,"
        "\"duration_s\":20.0,\"verdict\":\"fail\",\"exit_code\":1,"
        "\"hosts\":[{\"name\":\"h1\",\"address\":\"10.77.0.11\",\"datacenter\":\"dc-a\",\"roles\":["
        "\"redis\"]}],"
        "\"faults\":[{\"id\":\"cut\",\"type\":\"partition\",\"targets\":[\"h1\"],\"started_s\":5.0,"
        "\"applied_s\":5.1,\"healed_s\":15.0,\"heal\":\"ok\",\"took_effect\":true,\"verification\":"
        "\"v\","
        "\"commands\":[]},"
        "{\"id\":\"k\",\"type\":\"kill\",\"targets\":[\"h2\"],\"started_s\":8.0,\"applied_s\":8.1,"
        "\"healed_s\":9.0,\"heal\":\"ok\",\"took_effect\":true,\"verification\":\"v2\","
        "\"commands\":[]}],"
        "\"steps\":[{\"index\":0,\"kind\":\"fault\",\"id\":\"cut\",\"started_s\":5.0,\"ended_s\":5."
        "1,\"status\":\"ok\"}],"
        "\"probes\":[{\"name\":\"writes\",\"type\":\"redis\",\"mode\":\"write\",\"ops\":2000,"
        "\"ok\":1700,"
        "\"fail\":290,\"unknown\":10,\"availability\":0.85,\"failover_time_s\":2.61,"
        "\"outages\":[{\"start_s\":5.03,\"end_s\":7.64,\"duration_s\":2.61,\"ended\":true},"
        "{\"start_s\":12.0,\"end_s\":12.5,\"duration_s\":0.5,\"ended\":true}],"
        "\"lost_writes\":3,\"phantom_writes\":1,\"corrupt_values\":0,"
        "\"latency_ms\":{\"p50\":0.21,\"p99\":1.9,\"max\":480.0},\"missed_slots\":4}],"
        "\"verifies\":[],"
        "\"checks\":[{\"probe\":\"writes\",\"metric\":\"failover_time\",\"max\":15,\"value\":2.61,"
        "\"pass\":true},"
        "{\"probe\":\"writes\",\"metric\":\"lost_writes\",\"max\":0,\"value\":3,\"pass\":false},"
        "{\"probe\":\"writes\",\"metric\":\"latency_p99\",\"max\":0.001,\"value\":null,\"pass\":"
        "false}],"
        "\"errors\":[]}",
        0, &je);
    assert_non_null(r);
    /* hostile text from a host and from a service */
    json_object_set_new(json_array_get(json_object_get(r, "faults"), 0), "verification",
                        json_string(EVIL));
    json_object_set_new(json_array_get(json_object_get(r, "probes"), 0), "last_error",
                        json_string(EVIL));
    json_array_append_new(json_object_get(r, "errors"), json_string(EVIL));
    return r;
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

static void test_junit(void **state)
{
    json_t *r = fixture();
    fd_buf b;
    fd_buf_init(&b, 0);
    fd_render_junit(r, &b);
    /* 3 checks + all faults healed; 2 checks failed */
    assert_non_null(
        strstr(b.data, "<testsuites name=\"firedrill\" tests=\"4\" failures=\"2\" errors=\"0\""));
    assert_int_equal(count(b.data, "<testcase "), 4);
    assert_int_equal(count(b.data, "<failure "), 2);
    assert_non_null(strstr(b.data, "name=\"writes lost_writes &lt;= 0\""));
    assert_non_null(strstr(b.data, "message=\"lost_writes was 3, limit max 0\""));
    assert_non_null(strstr(b.data, "message=\"latency_p99 was not measured, limit max 1 ms\""));
    assert_non_null(strstr(
        b.data,
        "<testcase classname=\"firedrill.redis-kill\" name=\"all faults healed\" time=\"0\"/>"));
    fd_buf_free(&b);
    /* aborted: an error testcase says why, with the hostile text escaped */
    json_object_set_new(r, "verdict", json_string("aborted"));
    json_object_set_new(r, "abort_reason", json_string(EVIL));
    fd_buf_init(&b, 0);
    fd_render_junit(r, &b);
    assert_non_null(strstr(b.data, "tests=\"5\" failures=\"2\" errors=\"1\""));
    assert_non_null(strstr(b.data, "<error type=\"aborted\" message=\"&lt;script&gt;"));
    assert_null(strstr(b.data, "<script>"));
    assert_null(strstr(b.data, "]]>"));
    fd_buf_free(&b);
    /* a failed step is a finding of its own: a restore that did not work fails the
     * junit run even when no check names it */
    json_error_t je;
    json_object_set_new(r, "verdict", json_string("fail"));
    json_object_set_new(r, "steps",
                        json_loads("[{\"index\":0,\"kind\":\"fault\",\"id\":\"cut\","
                                   "\"status\":\"ok\"},{\"index\":1,\"kind\":\"restore\","
                                   "\"id\":\"pitr\",\"status\":\"failed\",\"detail\":"
                                   "\"the restore command exited 1: FATAL <x>\"}]",
                                   0, &je));
    fd_buf_init(&b, 0);
    fd_render_junit(r, &b);
    assert_non_null(strstr(b.data, "tests=\"5\" failures=\"3\" errors=\"0\""));
    assert_non_null(strstr(b.data, "name=\"step 2 restore pitr\" time=\"0\">\n      <failure "
                                   "type=\"step\" message=\"the restore command exited 1: FATAL "
                                   "&lt;x&gt;\""));
    fd_buf_free(&b);
    json_decref(r);
}

static void test_markdown(void **state)
{
    json_t *r = fixture();
    fd_buf b;
    fd_buf_init(&b, 0);
    fd_render_markdown(r, &b);
    assert_true(fd_str_starts(b.data, "# firedrill: redis-kill: FAIL\n"));
    assert_non_null(strstr(b.data, "| writes failover_time | 2.61 s | ≤ 15.00 s | pass |"));
    assert_non_null(strstr(b.data, "| writes lost_writes | 3 | ≤ 0 | **FAIL** |"));
    assert_non_null(strstr(b.data, "| writes latency_p99 | not measured | ≤ 1 ms | **FAIL** |"));
    assert_non_null(strstr(
        b.data, "| writes (redis write) | 2000 | 85.00% | 2.61 s | 2 | 3 | 0.21 ms | 1.90 ms |"));
    /* the error line: markup neutralised, table pipes escaped */
    assert_non_null(strstr(
        b.data, "- &lt;script&gt;alert(1)&lt;/script&gt; &amp; \"x\" \\| \\`y\\` \\]\\]&gt;"));
    assert_null(strstr(b.data, "<script>"));
    fd_buf_free(&b);
    json_decref(r);
}

/* A history of n operations over 20 s, failing between 5 s and 7.6 s. */
static char *write_history(size_t n)
{
    char *path = fd_strdup("/tmp/fd-test-history-XXXXXX");
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");
    fprintf(f, "{\"t\":\"event\",\"at_s\":5.0,\"event\":\"fault_applied\",\"fault\":\"cut\"}\n");
    for (size_t i = 0; i < n; i++) {
        double t = 20.0 * (double)i / (double)n;
        const char *outcome =
            t >= 5.03 && t < 7.64 ? "fail" : (t >= 15.0 && t < 15.2 ? "unknown" : "ok");
        fprintf(f,
                "{\"t\":\"op\",\"probe\":\"writes\",\"n\":%zu,\"op\":\"write\",\"value\":\"%zu\","
                "\"start_s\":%.6f,\"end_s\":%.6f,\"outcome\":\"%s\"}\n",
                i + 1, i + 1, t, t + 0.0005, outcome);
    }
    fputs("not json at all\n", f);
    fclose(f);
    return path;
}

static void test_svg_and_html(void **state)
{
    json_t *r = fixture();
    char *hist = write_history(2000);
    fd_timeline_data t;
    char *err = NULL;
    assert_true(fd_timeline_load(hist, 20.0, r, &t, &err));
    assert_int_equal(t.ops, 2000);
    fd_buf b;
    fd_buf_init(&b, 0);
    fd_render_svg(r, &t, &b);
    assert_int_equal(count(b.data, "<g class=\"fault\">"), 2);
    assert_non_null(strstr(b.data, "cut · partition on h1"));
    assert_non_null(strstr(b.data, "k · kill on h2"));
    assert_int_equal(count(b.data, "<g class=\"outage\">"), 2);
    assert_non_null(strstr(b.data, "outage 2.61 s"));
    assert_non_null(strstr(b.data, "outage 0.50 s"));
    assert_non_null(strstr(b.data, "fill=\"#c62828\"")); /* the failures are drawn */
    assert_int_equal(count(b.data, "<g class=\"step\">"), 1);
    assert_null(strstr(b.data, "class=\"dr\"")); /* no DR lane without DR steps */
    fd_buf_free(&b);
    fd_buf_init(&b, 0);
    fd_render_html(r, &t, &b);
    assert_true(fd_str_starts(b.data, "<!doctype html>"));
    assert_null(strstr(b.data, "<script"));    /* self-contained, and nothing injected */
    assert_null(strstr(b.data, "src=\"http")); /* no external assets */
    assert_null(strstr(b.data, "href=\"http"));
    assert_non_null(strstr(b.data, "&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert_non_null(strstr(b.data, "<span class=\"verdict v-fail\">fail</span>"));
    fd_buf_free(&b);
    fd_timeline_free(&t);
    unlink(hist);
    free(hist);
    json_decref(r);
}

static void test_fault_targets_joined(void **state)
{
    /* a fault on several hosts lists them all, each escaped for its format */
    json_t *r = fixture();
    json_t *targets = json_object_get(json_array_get(json_object_get(r, "faults"), 1), "targets");
    json_array_append_new(targets, json_string("db|<3>"));
    fd_buf b;
    fd_buf_init(&b, 0);
    fd_render_markdown(r, &b);
    assert_non_null(strstr(b.data, "| k (kill) | h2, db\\|&lt;3&gt; | 8.10 s | 9.00 s | ok | - |"));
    fd_buf_free(&b);
    /* its skew across the two hosts: in the faults tables and on the timeline */
    json_t *k = json_array_get(json_object_get(r, "faults"), 1);
    json_object_set_new(k, "apply_skew",
                        json_pack("{s:f,s:s,s:i}", "skew_s", 0.0123, "clock", "hosts", "hosts", 2));
    json_object_set_new(
        k, "heal_skew",
        json_pack("{s:f,s:s,s:i}", "skew_s", 0.2, "clock", "controller", "hosts", 2));
    fd_buf_init(&b, 0);
    fd_render_markdown(r, &b);
    assert_non_null(
        strstr(b.data, "| ok | apply 12 ms, heal 200 ms (by the controller's clock) |"));
    fd_buf_free(&b);
    char *hist = write_history(100);
    fd_timeline_data t;
    char *err = NULL;
    assert_true(fd_timeline_load(hist, 20.0, r, &t, &err));
    fd_buf_init(&b, 0);
    fd_render_html(r, &t, &b);
    assert_non_null(strstr(b.data, "</span></td><td>h2, db|&lt;3&gt;</td>"));
    assert_non_null(
        strstr(b.data, "<td>apply 12 ms, heal 200 ms (by the controller's clock)</td>"));
    assert_non_null(strstr(b.data, "k · kill on h2,db|&lt;3&gt; · skew 12 ms"));
    fd_buf_free(&b);
    fd_timeline_free(&t);
    unlink(hist);
    free(hist);
    json_decref(r);
}

static void test_fast_and_slow_readers_agree(void **state)
{
    /* the same operations with the keys in another order go through jansson */
    json_t *r = fixture();
    char *a = write_history(3000);
    char *b = fd_strdup("/tmp/fd-test-history-b-XXXXXX");
    FILE *in = fopen(a, "r"), *out = fdopen(mkstemp(b), "w");
    char line[512];
    while (fgets(line, sizeof line, in)) {
        json_t *o = json_loads(line, 0, NULL);
        if (!o)
            continue;
        json_t *re = json_pack("{s:O?,s:O?,s:O?,s:O?,s:O?}", "outcome",
                               json_object_get(o, "outcome"), "end_s", json_object_get(o, "end_s"),
                               "start_s", json_object_get(o, "start_s"), "probe",
                               json_object_get(o, "probe"), "t", json_object_get(o, "t"));
        char *txt = json_dumps(re, JSON_COMPACT | JSON_PRESERVE_ORDER);
        fprintf(out, "%s\n", txt);
        free(txt);
        json_decref(re);
        json_decref(o);
    }
    fclose(in);
    fclose(out);
    fd_timeline_data ta, tb;
    char *err = NULL;
    assert_true(fd_timeline_load(a, 20.0, r, &ta, &err));
    assert_true(fd_timeline_load(b, 20.0, r, &tb, &err));
    assert_int_equal(ta.ops, 3000);
    assert_int_equal(tb.ops, 3000);
    for (size_t k = 0; k < FD_BUCKETS; k++) {
        assert_int_equal(ta.probes[0].b[k].ok, tb.probes[0].b[k].ok);
        assert_int_equal(ta.probes[0].b[k].fail, tb.probes[0].b[k].fail);
        assert_int_equal(ta.probes[0].b[k].unknown, tb.probes[0].b[k].unknown);
        assert_float_equal(ta.probes[0].b[k].lat_max_ms, tb.probes[0].b[k].lat_max_ms, 1e-9);
    }
    fd_timeline_free(&ta);
    fd_timeline_free(&tb);
    unlink(a);
    unlink(b);
    free(a);
    free(b);
    json_decref(r);
}

static void test_svg_stays_light(void **state)
{
    /* 200 000 operations draw no more elements than 2 000 do */
    json_t *r = fixture();
    size_t sizes[2] = {2000, 200000}, rects[2];
    for (int k = 0; k < 2; k++) {
        char *hist = write_history(sizes[k]);
        fd_timeline_data t;
        char *err = NULL;
        assert_true(fd_timeline_load(hist, 20.0, r, &t, &err));
        fd_buf b;
        fd_buf_init(&b, 0);
        fd_render_svg(r, &t, &b);
        rects[k] = count(b.data, "<rect");
        assert_true(rects[k] <= 3 * FD_BUCKETS + 10);
        fd_buf_free(&b);
        fd_timeline_free(&t);
        unlink(hist);
        free(hist);
    }
    assert_true(rects[1] <= rects[0] + 20);
    json_decref(r);
}

static void timeline_of(const json_t *r, double dur, fd_timeline_data *t)
{
    static char hist[] = "{\"t\":\"op\",\"probe\":\"writes\",\"n\":1,\"op\":\"write\","
                         "\"start_s\":0.5,\"end_s\":0.6,\"outcome\":\"ok\"}\n";
    FILE *f = fmemopen(hist, strlen(hist), "r");
    assert_non_null(f);
    fd_timeline_read(f, dur, r, t);
    fclose(f);
}

/* Every field a report holds is escaped in every format: a hostile report.json (one
 * written by hand, or by another tool into the reports folder) stays inert. */
static void test_hostile_fields_inert(void **state)
{
    static const char *const IMG = "<img src=x onerror=alert(1)>";
    json_t *r = fixture();
    json_object_set_new(r, "verdict", json_string(IMG));
    json_object_set_new(r, "firedrill_version", json_string(IMG));
    json_t *st = json_array_get(json_object_get(r, "steps"), 0);
    json_object_set_new(st, "kind", json_string(IMG));
    json_object_set_new(st, "status", json_string(IMG));
    json_object_set_new(st, "index", json_integer(LLONG_MAX));
    json_t *p = json_array_get(json_object_get(r, "probes"), 0);
    json_object_set_new(p, "type", json_string(IMG));
    json_object_set_new(p, "mode", json_string(IMG));
    json_t *f = json_array_get(json_object_get(r, "faults"), 0);
    json_object_set_new(f, "type", json_string(IMG));
    json_object_set_new(f, "heal", json_string(IMG));
    json_object_set_new(json_array_get(json_object_get(r, "checks"), 0), "metric",
                        json_string(IMG));
    json_object_set_new(r, "started_at_unix", json_real(1e300));
    fd_timeline_data t;
    timeline_of(r, 20.0, &t);
    fd_buf b;
    fd_buf_init(&b, 0);
    fd_render_html(r, &t, &b);
    assert_null(strstr(b.data, "<img"));
    assert_non_null(strstr(b.data, "&lt;img src=x onerror=alert(1)&gt;"));
    assert_non_null(strstr(b.data, "class=\"verdict v-unknown\""));
    fd_buf_free(&b);
    fd_buf_init(&b, 0);
    fd_render_markdown(r, &b);
    assert_null(strstr(b.data, "<img"));
    fd_buf_free(&b);
    fd_buf_init(&b, 0);
    fd_render_junit(r, &b);
    assert_null(strstr(b.data, "<img"));
    assert_non_null(strstr(b.data, "timestamp=\"\""));
    fd_buf_free(&b);
    fd_timeline_free(&t);
    json_decref(r);
}

/* The time axis has a bounded number of ticks whatever duration_s says. */
static void test_tiny_and_huge_durations(void **state)
{
    const double durs[] = {1e-20, 1e-13, 5e-324, 1e300};
    for (size_t i = 0; i < sizeof durs / sizeof *durs; i++) {
        json_t *r = fixture();
        json_object_set_new(r, "duration_s", json_real(durs[i]));
        json_object_set_new(json_array_get(json_object_get(r, "probes"), 0), "interval_s",
                            json_real(1e300));
        fd_timeline_data t;
        timeline_of(r, durs[i], &t);
        fd_buf b;
        fd_buf_init(&b, 0);
        fd_render_html(r, &t, &b);
        assert_false(b.truncated);
        assert_true(b.len < 200000);
        assert_true(count(b.data, "stroke=\"#eef1f5\"") <= 21);
        fd_buf_free(&b);
        fd_timeline_free(&t);
        json_decref(r);
    }
}

/* The index links each run directory as a relative path, whatever its name. */
static void test_index_inert(void **state)
{
    json_t *good = fixture(), *bad = fixture();
    json_object_set_new(bad, "verdict", json_string("<img src=x onerror=alert(1)>"));
    json_t *const reports[] = {good, bad};
    const char *const names[] = {"javascript:alert(1)", "run \"2\" <b>"};
    fd_buf b;
    fd_buf_init(&b, 0);
    fd_render_index_html("reports", names, reports, 2, &b);
    assert_null(strstr(b.data, "href=\"javascript:"));
    assert_non_null(strstr(b.data, "href=\"./javascript%3Aalert%281%29/report.html\""));
    assert_non_null(strstr(b.data, "href=\"./run%20%222%22%20%3Cb%3E/report.html\""));
    assert_null(strstr(b.data, "<img"));
    assert_null(strstr(b.data, "<b>"));
    fd_buf_free(&b);
    json_decref(good);
    json_decref(bad);
}

/* A disaster-recovery drill's backups, copies, restores, archive lags and verifies are in
 * the HTML and the Markdown, their fields inert, and their figures junit properties; a
 * verify that could not read says why. */
static void test_dr_sections(void **state)
{
    json_t *r = fixture();
    json_error_t je;
    json_t *dr = json_loads(
        "{\"backups\":[{\"id\":\"nightly\",\"host\":\"h1\",\"artifact\":\"/b/<x>.rdb\","
        "\"started_s\":2.0,\"ended_s\":3.5,\"size\":4096,\"sha256\":\"abc\"},"
        "{\"id\":\"latest\",\"host\":\"h3\",\"started_s\":-60.0,\"ended_s\":-55.0,"
        "\"size\":3043511,\"tool\":\"pgbackrest\",\"label\":\"20261202-010000F\","
        "\"lsn_stop\":\"0/6000050\"},"
        "{\"id\":\"dump\",\"host\":\"h3\",\"started_s\":-9.0,\"ended_s\":-9.0,\"size\":0,"
        "\"point_unix\":null,\"tool\":\"mysqldump\",\"label\":\"2026-12-02T16:34:00Z\","
        "\"log_position\":\"mysql-bin.000001:1048\"}],"
        "\"restores\":[{\"id\":\"restore\",\"host\":\"h2\",\"recovery_target\":\"before\","
        "\"before\":\"mistake\",\"target_unix\":1795446071.5,\"started_s\":5.0,"
        "\"ended_s\":9.5,\"ok\":true},{\"id\":\"again\",\"host\":\"h2\","
        "\"recovery_target\":\"time\",\"target_unix\":1796227200.0,\"started_s\":10.0,"
        "\"ended_s\":10.5,\"ok\":false}],"
        "\"archive_lags\":[{\"id\":\"lag\",\"at_s\":4.5,\"archive_position\":\"<a>:1\","
        "\"primary_position\":\"mysql-bin.000001:823\",\"lag_s\":0.056,\"lag_bytes\":822}],"
        "\"copies\":[{\"id\":\"offsite\",\"from_host\":\"h1\",\"from_path\":\"/b/x\","
        "\"to_host\":\"h2\",\"to_path\":\"/c/x|y\",\"started_s\":4.0,\"ended_s\":4.25,"
        "\"bytes\":4096,\"sha256\":\"abc\"}],"
        "\"verifies\":[{\"id\":\"check\",\"against\":\"nightly\",\"lost_writes\":3,"
        "\"acknowledged_before_backup\":120,\"values_read\":117,\"rpo_s\":1.5,\"rto_s\":41.2,"
        "\"reached_unix\":1795446070.125,\"late_writes\":2,\"archive_lag_s\":0.056},"
        "{\"id\":\"check2\",\"against\":\"nightly\",\"lost_writes\":null,\"rpo_s\":null,"
        "\"rto_s\":null,\"acknowledged_before_backup\":0,\"values_read\":0,"
        "\"error\":\"cannot read the restored data: <refused>\"}]}",
        0, &je);
    assert_non_null(dr);
    json_object_update(r, dr);
    json_decref(dr);
    fd_timeline_data t;
    FILE *f = fmemopen((void *)"", 1, "r");
    fd_timeline_read(f, 20.0, r, &t);
    fclose(f);
    fd_buf b;
    fd_buf_init(&b, 0);
    fd_render_html(r, &t, &b);
    assert_non_null(strstr(b.data, "<h2>Disaster recovery</h2>"));
    /* the timeline's DR lane: the backup point, and the verify's RPO bracket (from the
     * newest write restored) */
    assert_non_null(strstr(b.data, "<g class=\"dr\">"));
    assert_non_null(strstr(b.data, ">backup nightly</text>"));
    assert_non_null(strstr(b.data, ">RPO 1.50 s</text>"));
    assert_non_null(strstr(b.data, "<td>/b/&lt;x&gt;.rdb</td><td class=\"num\">1.50 s</td>"
                                   "<td class=\"num\">4096</td><td><code>sha256 abc</code>"));
    assert_non_null(strstr(b.data, "<td>pgbackrest 20261202-010000F</td>"));
    assert_non_null(strstr(b.data, "<code>LSN 0/6000050</code>"));
    assert_non_null(strstr(b.data, "<td class=\"num fail\">3 of 120</td><td class=\"num\">2</td>"
                                   "<td class=\"num\">117</td><td class=\"num\">1.50 s</td>"
                                   "<td class=\"num\">41.20 s</td><td class=\"num\">56 ms</td>"));
    assert_non_null(strstr(b.data, "<code>binlog mysql-bin.000001:1048</code>"));
    assert_non_null(strstr(b.data,
                           "<td>restore</td><td>h2</td><td>just before mistake</td>"
                           "<td class=\"num\">4.50 s</td><td class=\"pass\">restored</td>"));
    assert_non_null(strstr(b.data, "<td>2026-12-02T16:00:00Z</td><td class=\"num\">500 ms</td>"
                                   "<td class=\"fail\">failed</td>"));
    assert_non_null(strstr(b.data, "<td>lag</td><td>&lt;a&gt;:1</td><td>mysql-bin.000001:823</td>"
                                   "<td class=\"num\">56 ms</td><td class=\"num\">822</td>"));
    assert_non_null(strstr(b.data, "cannot read the restored data: &lt;refused&gt;"));
    assert_null(strstr(b.data, "<refused>"));
    fd_buf_free(&b);
    fd_buf_init(&b, 0);
    fd_render_markdown(r, &b);
    assert_non_null(strstr(b.data, "## Disaster recovery\n"));
    assert_non_null(strstr(
        b.data, "| offsite | copy h1:/b/x to h2:/c/x\\|y | 4096 | same sha256 at both ends |"));
    assert_non_null(
        strstr(b.data, "| nightly | backup on h1: /b/&lt;x&gt;.rdb | 4096 | sha256 abc |"));
    assert_non_null(strstr(b.data,
                           "| latest | backup on h3: pgbackrest 20261202-010000F | 3043511 | "
                           "LSN 0/6000050 |"));
    assert_non_null(
        strstr(b.data, "| check | verify against nightly | - | 3 of 120 writes lost, rpo 1.50 s, "
                       "rto 41.20 s, 2 late writes |"));
    assert_non_null(strstr(b.data, "| restore | restore on h2 to just before mistake | - | ok in "
                                   "4.50 s |"));
    assert_non_null(strstr(b.data, "| again | restore on h2 to 2026-12-02T16:00:00Z | - | FAILED "
                                   "in 500 ms |"));
    assert_non_null(strstr(b.data, "| lag | archive lag | - | 56 ms (822 bytes) behind: archive "
                                   "at &lt;a&gt;:1, primary at mysql-bin.000001:823 |"));
    assert_non_null(strstr(b.data, "| dump | backup on h3: mysqldump 2026-12-02T16:34:00Z | 0 | "
                                   "binlog mysql-bin.000001:1048 |"));
    fd_buf_free(&b);
    fd_buf_init(&b, 0);
    fd_render_junit(r, &b);
    assert_non_null(strstr(b.data, "<property name=\"verify.check.rpo_s\" value=\"1.500\"/>"));
    assert_non_null(strstr(b.data, "<property name=\"verify.check.late_writes\" value=\"2\"/>"));
    assert_non_null(strstr(b.data, "<property name=\"restore.again.ok\" value=\"false\"/>"));
    assert_non_null(strstr(b.data, "<property name=\"archive_lag.lag.lag_bytes\" value=\"822\"/>"));
    assert_non_null(strstr(b.data, "<property name=\"backup.dump.log_position\" "
                                   "value=\"mysql-bin.000001:1048\"/>"));
    assert_null(strstr(b.data, "verify.check2.rpo_s")); /* not measured: no property */
    fd_buf_free(&b);
    fd_timeline_free(&t);
    json_decref(r);
}

/* The index trends RPO, RTO and backup age per scenario next to failover time, with a
 * column each, when the runs have them; runs without them show "-". */
static void test_index_dr_trends(void **state)
{
    json_t *a = fixture(), *b = fixture(), *c = fixture();
    json_object_set_new(a, "started_at_unix", json_real(1000));
    json_object_set_new(b, "started_at_unix", json_real(2000));
    json_object_set_new(c, "started_at_unix", json_real(3000));
    json_error_t je;
    json_object_set_new(b, "verifies", json_loads("[{\"rpo_s\":1.5,\"rto_s\":41.25}]", 0, &je));
    json_object_set_new(b, "backups", json_loads("[{\"age_s\":3600}]", 0, &je));
    json_object_set_new(c, "verifies", json_loads("[{\"rpo_s\":2.5,\"rto_s\":null}]", 0, &je));
    json_t *const reports[] = {a, b, c};
    const char *const names[] = {"r1", "r2", "r3"};
    fd_buf out;
    fd_buf_init(&out, 0);
    fd_render_index_html("reports", names, reports, 3, &out);
    assert_non_null(strstr(out.data, "aria-label=\"RPO per run\""));
    assert_non_null(strstr(out.data, "RPO per run, max 2.50 s"));
    assert_non_null(strstr(out.data, "RTO per run, max 41.25 s"));
    assert_non_null(strstr(out.data, "backup age per run, max 3600.00 s"));
    assert_non_null(strstr(out.data, "<th>rpo</th><th>rto</th><th>backup age</th>"));
    /* r2's row: rpo, rto, backup age; r3 has no rto and no backup */
    assert_non_null(strstr(out.data, "<td class=\"num\">1.50 s</td><td class=\"num\">41.25 s</td>"
                                     "<td class=\"num\">3600.00 s</td></tr>"));
    assert_non_null(strstr(out.data, "<td class=\"num\">2.50 s</td><td class=\"num\">-</td>"
                                     "<td class=\"num\">-</td></tr>"));
    fd_buf_free(&out);
    /* without DR figures, no DR columns and no DR trends */
    fd_buf_init(&out, 0);
    fd_render_index_html("reports", names, reports, 1, &out);
    assert_null(strstr(out.data, "<th>rpo</th>"));
    assert_null(strstr(out.data, "RPO per run"));
    fd_buf_free(&out);
    json_decref(a);
    json_decref(b);
    json_decref(c);
}

/* r rendered as HTML (with an empty history over dur seconds) and as Markdown. Callers
 * free both. */
static void render_both(json_t *r, double dur, fd_buf *html, fd_buf *md)
{
    fd_timeline_data t;
    FILE *f = fmemopen((void *)"", 1, "r");
    fd_timeline_read(f, dur, r, &t);
    fclose(f);
    fd_buf_init(html, 0);
    fd_render_html(r, &t, html);
    fd_timeline_free(&t);
    fd_buf_init(md, 0);
    fd_render_markdown(r, md);
}

/* Holds and notes: a row each in HTML (and a marker on the timeline), a line each in
 * the Markdown's Observations; what people typed stays inert. */
static void test_people(void **state)
{
    json_t *r = fixture();
    json_error_t je;
    json_t *extra = json_loads(
        "{\"holds\":[{\"id\":\"promote\",\"prompt\":\"Promote <h2>\",\"started_s\":5.0,"
        "\"ended_s\":47.5,\"time_to_ack_s\":42.5,\"acked_by\":\"alice\",\"how\":\"terminal\","
        "\"timed_out\":false}],\"notes\":[{\"at_s\":12.0,\"by\":\"bob\",\"text\":\"pager "
        "fired <script>\"}]}",
        0, &je);
    assert_non_null(extra);
    json_object_update(r, extra);
    json_decref(extra);
    fd_buf html, md;
    render_both(r, 60.0, &html, &md);
    assert_non_null(strstr(html.data, "<h2>Holds and observations</h2>"));
    assert_non_null(strstr(html.data, "hold promote: Promote &lt;h2&gt;</td><td>alice</td><td "
                                      "class=\"pass\">terminal after 42.50 s</td>"));
    assert_non_null(strstr(html.data, "<title>note from bob: pager fired &lt;script&gt;</title>"));
    assert_null(strstr(html.data, "<script>"));
    assert_non_null(strstr(md.data, "## Observations\n"));
    assert_non_null(strstr(md.data, "- at 5.00 s, hold promote (Promote &lt;h2&gt;): terminal by "
                                    "alice after 42.50 s\n"));
    assert_non_null(strstr(md.data, "- at 12.00 s, bob: pager fired &lt;script&gt;\n"));
    fd_buf_free(&html);
    fd_buf_free(&md);
    json_decref(r);
}

/* A probe that saw no outage says so rather than "0.00 s". */
static void test_no_outage(void **state)
{
    json_t *r = fixture();
    json_t *p = json_array_get(json_object_get(r, "probes"), 0);
    json_object_set_new(p, "failover_time_s", json_real(0));
    json_object_set_new(p, "outages", json_array());
    fd_buf html, md;
    render_both(r, 20.0, &html, &md);
    assert_non_null(strstr(html.data, "<td class=\"num\">no outage observed</td>"));
    assert_non_null(strstr(md.data, "| no outage observed |"));
    assert_null(strstr(md.data, "| 0.00 s |"));
    fd_buf_free(&html);
    fd_buf_free(&md);
    json_decref(r);
}

/* A prometheus probe's values: read from history.jsonl (numbers; NaN and the failed
 * queries left out), drawn as a line that breaks where a query failed; its checks and an
 * alert's show their numbers and seconds. */
static void test_values_line(void **state)
{
    (void)state;
    json_t *r = fixture();
    json_t *probes = json_object_get(r, "probes");
    json_array_append_new(probes, json_pack("{s:s,s:s,s:s,s:f,s:{s:i,s:f,s:f}}", "name", "slo",
                                            "type", "prometheus", "mode", "read", "interval_s", 1.0,
                                            "values", "n", 3, "min", 0.5, "max", 7.0));
    json_object_set_new(r, "checks",
                        json_loads("[{\"probe\":\"slo\",\"metric\":\"value_max\",\"max\":8,"
                                   "\"value\":7.25,\"pass\":true,\"during\":\"cut\"},"
                                   "{\"alert\":\"RedisMasterDown\",\"metric\":\"time_to_alert\","
                                   "\"max\":15,\"value\":1.5,\"pass\":true}]",
                                   0, NULL));
    const char *hist =
        "{\"t\":\"op\",\"probe\":\"slo\",\"n\":1,\"op\":\"read\",\"value\":0.5,\"start_s\":1,"
        "\"end_s\":1.01,\"outcome\":\"ok\"}\n"
        "{\"t\":\"op\",\"probe\":\"slo\",\"n\":2,\"op\":\"read\",\"value\":7.25,\"start_s\":"
        "3,\"end_s\":3.01,\"outcome\":\"ok\"}\n"
        "{\"t\":\"op\",\"probe\":\"slo\",\"n\":3,\"op\":\"read\",\"start_s\":5,\"end_s\":"
        "5.5,\"outcome\":\"fail\",\"error\":\"http://p:9090: Couldn't connect\"}\n"
        "{\"t\":\"op\",\"probe\":\"slo\",\"n\":4,\"op\":\"read\",\"value\":\"NaN\","
        "\"start_s\":7,\"end_s\":7.01,\"outcome\":\"ok\"}\n"
        "{\"t\":\"op\",\"probe\":\"slo\",\"n\":5,\"op\":\"read\",\"value\":2,\"start_s\":9,"
        "\"end_s\":9.01,\"outcome\":\"ok\"}\n";
    FILE *f = fmemopen((void *)hist, strlen(hist), "r");
    fd_timeline_data t;
    fd_timeline_read(f, 20.0, r, &t);
    fclose(f);
    assert_true(t.probes[1].measures);
    assert_false(t.probes[0].measures);
    fd_buf b;
    fd_buf_init(&b, 0);
    fd_render_html(r, &t, &b);
    /* two stretches: before the failed query and after it */
    const char *first = strstr(b.data, "<polyline class=\"values\"");
    assert_non_null(first);
    const char *second = strstr(first + 1, "<polyline class=\"values\"");
    assert_non_null(second);
    assert_null(strstr(second + 1, "<polyline class=\"values\""));
    assert_non_null(strstr(b.data, "value, 0.5 to 7.25"));
    assert_non_null(strstr(b.data, "value (a prometheus probe's)"));
    assert_non_null(strstr(b.data, "<td>RedisMasterDown</td>"));
    assert_non_null(strstr(b.data, "7.25"));
    assert_non_null(strstr(b.data, "1.50 s"));
    fd_buf_free(&b);
    fd_timeline_free(&t);
    json_decref(r);
}

/* The alerts the gate saw, in HTML and Markdown: labels from the monitoring stack are
 * escaped; an alert firing before the drill and one still firing say so. */
static void test_alerts_section(void **state)
{
    (void)state;
    json_t *r = fixture();
    json_object_set_new(
        r, "alerts",
        json_loads("{\"alertmanager\":\"http://am:9093\",\"looks\":12,\"unanswered\":1,"
                   "\"alerts\":[{\"name\":\"RedisMasterDown\",\"labels\":{\"alertname\":"
                   "\"RedisMasterDown\",\"team\":\"<script>x|y</script>\"},\"expected\":true,"
                   "\"at_start\":false,\"starts_unix\":null,\"first_seen_s\":4.5,"
                   "\"resolved_s\":7.25},{\"name\":\"DiskFull\",\"labels\":{},\"expected\":"
                   "false,\"at_start\":true,\"first_seen_s\":0.1,\"resolved_s\":null}]}",
                   0, NULL));
    fd_buf html, md;
    render_both(r, 20.0, &html, &md);
    assert_non_null(strstr(html.data, "<h2>Alerts</h2>"));
    assert_non_null(strstr(html.data, "asked 12 times (1 unanswered)"));
    assert_non_null(
        strstr(html.data, "RedisMasterDown {team=&quot;&lt;script&gt;x|y&lt;/script&gt;&quot;}"));
    assert_null(strstr(html.data, "<script>x"));
    assert_non_null(strstr(html.data, "before the drill"));
    assert_non_null(strstr(html.data, "still firing"));
    assert_non_null(strstr(html.data, "7.25 s"));
    assert_non_null(strstr(md.data, "## Alerts"));
    assert_non_null(
        strstr(md.data, "| RedisMasterDown {team=\"&lt;script&gt;x\\|y&lt;/script&gt;\"} | yes | "
                        "4.50 s | 7.25 s |"));
    fd_buf_free(&html);
    fd_buf_free(&md);
    json_decref(r);
}

/* A long run's history, compressed when it ends: read back the same through the same
 * path; never written over an existing .gz (a link planted there included), and the
 * original kept then. */
static void test_history_gz(void **state)
{
    (void)state;
    char dir[] = "/tmp/fd-test-hist.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *path = fd_asprintf("%s/history.jsonl", dir), *gz = fd_asprintf("%s.gz", path);
    FILE *f = fopen(path, "w");
    for (int i = 0; i < 20000; i++)
        fprintf(f,
                "{\"t\":\"op\",\"probe\":\"writes\",\"n\":%d,\"op\":\"write\",\"value\":"
                "\"%d\",\"start_s\":%.3f,\"end_s\":%.3f,\"outcome\":\"ok\"}\n",
                i + 1, i + 1, i * 0.001, i * 0.001 + 0.0005);
    fclose(f);
    json_t *r = fixture();
    fd_timeline_data plain, packed;
    char *err = NULL;
    assert_true(fd_timeline_load(path, 20.0, r, &plain, &err));
    assert_true(fd_history_compress(path, &err));
    assert_int_equal(access(path, F_OK), -1);
    assert_int_equal(access(gz, F_OK), 0);
    assert_true(fd_timeline_load(path, 20.0, r, &packed, &err));
    assert_int_equal(plain.ops, 20000);
    assert_int_equal(packed.ops, plain.ops);
    assert_memory_equal(plain.probes[0].b, packed.probes[0].b, sizeof plain.probes[0].b);
    /* a .gz already there: refused, the history kept */
    f = fopen(path, "w");
    fputs("{}\n", f);
    fclose(f);
    assert_false(fd_history_compress(path, &err));
    assert_non_null(err);
    free(err);
    assert_int_equal(access(path, F_OK), 0);
    unlink(path);
    unlink(gz);
    rmdir(dir);
    fd_timeline_free(&plain);
    fd_timeline_free(&packed);
    json_decref(r);
    free(path);
    free(gz);
}

/* A check expected to fail: skipped in JUnit when it failed, a failure when it passed;
 * said so in the HTML and the Markdown. */
static void test_expected_failure(void **state)
{
    json_t *r = fixture();
    json_error_t je;
    json_t *checks = json_loads(
        "[{\"probe\":\"writes\",\"metric\":\"lost_writes\",\"max\":0,\"value\":12,"
        "\"pass\":false,\"expect\":\"fail\",\"expected_failure\":true},"
        "{\"probe\":\"writes\",\"metric\":\"outages\",\"max\":0,\"value\":0,\"pass\":true,"
        "\"expect\":\"fail\",\"expected_failure\":false}]",
        0, &je);
    assert_non_null(checks);
    json_object_set_new(r, "checks", checks);
    fd_buf b;
    fd_buf_init(&b, 0);
    fd_render_junit(r, &b);
    assert_non_null(strstr(b.data, "<skipped message=\"expected failure: lost_writes was 12, "
                                   "limit max 0\"/>"));
    assert_non_null(strstr(b.data, "<failure type=\"check\" message=\"expected to fail, but "
                                   "passed: outages was 0, limit max 0\">"));
    assert_non_null(strstr(b.data, "skipped=\"1\""));
    fd_buf_free(&b);
    fd_buf_init(&b, 0);
    fd_render_markdown(r, &b);
    assert_non_null(strstr(b.data, "| fail, as expected |"));
    assert_non_null(strstr(b.data, "| **PASS, expected to fail** |"));
    fd_buf_free(&b);
    json_decref(r);
}

/* Replicas: a row per replica with its figures and a lag chart, read-your-writes counts,
 * and each consistency step's tables; names from the report stay inert. */
static void test_replicas_section(void **state)
{
    json_t *r = fixture();
    json_error_t je;
    json_t *extra = json_loads(
        "{\"consistency\":[{\"id\":\"drift\",\"tool\":\"pt-table-checksum\",\"mismatched\":1,"
        "\"tables\":[{\"table\":\"shop.orders\",\"replica\":\"h2\",\"rows\":99,"
        "\"primary_rows\":100,\"chunks\":1,\"diff_chunks\":1,\"match\":false,"
        "\"sample\":\"1..<b>\"},{\"table\":\"shop.orders\",\"replica\":\"h3\",\"rows\":100,"
        "\"primary_rows\":100,\"chunks\":1,\"diff_chunks\":0,\"match\":true}]}]}",
        0, &je);
    assert_non_null(extra);
    json_object_update(r, extra);
    json_decref(extra);
    json_t *p = json_array_get(json_object_get(r, "probes"), 0);
    json_t *more =
        json_loads("{\"replicas\":[{\"name\":\"<h2>\",\"values_read_back\":120,\"lost_writes\":2,"
                   "\"extra_values\":0,\"divergent_values\":1,\"lost_sample\":[\"7\",\"9\"],"
                   "\"divergent_sample\":[\"7|x<i>\"],\"lag_ms\":{\"p50\":3.0,\"p99\":2500.0,"
                   "\"max\":3100.0},\"lag_series\":[[1.0,3.0],[5.0,3100.0],[9.0,2.0]]}],"
                   "\"stale_reads\":40,\"stale_after_bound\":12,\"monotonic_violations\":0,"
                   "\"replica_read_errors\":0,\"read_from\":\"10.77.0.12:3306\",\"bound_s\":1.0}",
                   0, &je);
    assert_non_null(more);
    json_object_update(p, more);
    json_decref(more);
    fd_buf b;
    fd_buf_init(&b, 0);
    fd_html_replicas(&b, r);
    assert_non_null(strstr(b.data, "<h2>Replicas</h2>"));
    assert_non_null(strstr(b.data, "<td>&lt;h2&gt;</td><td class=\"num\">120</td><td class=\"num "
                                   "fail\">2, e.g. 7 9</td><td class=\"num\">0</td><td class=\"num "
                                   "fail\">1, e.g. 7|x&lt;i&gt;</td><td class=\"num\">3 ms</td>"
                                   "<td class=\"num\">2.50 s</td><td class=\"num\">3.10 s</td>"));
    assert_non_null(strstr(b.data, "<polyline"));
    assert_null(strstr(b.data, "<b>")); /* the sample is shown, not obeyed */
    assert_non_null(strstr(b.data, "differs: 1..&lt;b&gt;"));
    assert_non_null(strstr(b.data, "<td class=\"num fail\">12</td>"));
    fd_buf_free(&b);
    fd_buf_init(&b, 0);
    fd_md_replicas(&b, r);
    assert_non_null(strstr(
        b.data, "| 120 | 2, e.g. 7 9 | 0 | 1, e.g. 7\\|x&lt;i&gt; | 3 ms | 2.50 s | 3.10 s |"));
    assert_non_null(strstr(b.data, "| shop.orders | h2 | 99 | 100 | **differs**: 1..&lt;b&gt; |"));
    assert_non_null(strstr(b.data, "| shop.orders | h3 | 100 | 100 | same |"));
    assert_non_null(strstr(b.data, "stale after the bound 12"));
    fd_buf_free(&b);
    /* a run without replicas: no section */
    json_t *plain = fixture();
    fd_buf_init(&b, 0);
    fd_html_replicas(&b, plain);
    fd_md_replicas(&b, plain);
    assert_int_equal(b.len, 0);
    fd_buf_free(&b);
    json_decref(plain);
    json_decref(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_junit),
        cmocka_unit_test(test_markdown),
        cmocka_unit_test(test_svg_and_html),
        cmocka_unit_test(test_svg_stays_light),
        cmocka_unit_test(test_fault_targets_joined),
        cmocka_unit_test(test_fast_and_slow_readers_agree),
        cmocka_unit_test(test_hostile_fields_inert),
        cmocka_unit_test(test_tiny_and_huge_durations),
        cmocka_unit_test(test_index_inert),
        cmocka_unit_test(test_dr_sections),
        cmocka_unit_test(test_replicas_section),
        cmocka_unit_test(test_expected_failure),
        cmocka_unit_test(test_no_outage),
        cmocka_unit_test(test_values_line),
        cmocka_unit_test(test_alerts_section),
        cmocka_unit_test(test_history_gz),
        cmocka_unit_test(test_people),
        cmocka_unit_test(test_index_dr_trends),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
