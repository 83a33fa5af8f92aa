/* render_junit.c: junit.xml: one testcase per check (failures carry value and limit),
 * one per step that failed (a backup that did not restore, a wait_for that timed out:
 * findings no check may name), one for "all faults healed", and one for the drill
 * itself when it did not run to its end (aborted or error). A disaster-recovery drill's
 * figures (backup age, restore result, archive lag, lost and late writes, RPO, RTO) are
 * properties of the suite, named KIND.ID.FIGURE. */
#include "render.h"

#include <math.h>
#include <string.h>
#include <time.h>

static void testcase_open(fd_buf *b, const char *classname, const char *name)
{
    fd_buf_puts(b, "    <testcase classname=\"");
    fd_esc_html(b, classname);
    fd_buf_puts(b, "\" name=\"");
    fd_esc_html(b, name);
    fd_buf_puts(b, "\" time=\"0\"");
}

static bool step_failed(const json_t *st)
{
    return strcmp(fd_jstr(st, "status"), "failed") == 0;
}

/* A failed step as a testcase, its detail the failure. */
static void failed_step(fd_buf *b, const char *classname, const json_t *st)
{
    char name[200];
    snprintf(name, sizeof name, "step %lld %.60s %.80s", fd_jindex1(st), fd_jstr(st, "kind"),
             fd_jstr(st, "id"));
    testcase_open(b, classname, name);
    fd_buf_puts(b, ">\n      <failure type=\"step\" message=\"");
    fd_esc_html(b, *fd_jstr(st, "detail") ? fd_jstr(st, "detail") : "failed");
    fd_buf_puts(b, "\">");
    fd_esc_html(b, fd_jstr(st, "detail"));
    fd_buf_puts(b, "</failure>\n    </testcase>\n");
}

static void property(fd_buf *b, const char *kind, const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    if (!v || json_is_null(v))
        return;
    fd_buf_puts(b, "      <property name=\"");
    fd_esc_html(b, kind);
    fd_buf_puts(b, ".");
    fd_esc_html(b, fd_jstr(o, "id"));
    fd_buf_printf(b, ".%s\" value=\"", key);
    if (json_is_integer(v))
        fd_buf_printf(b, "%lld", (long long)json_integer_value(v));
    else if (json_is_number(v))
        fd_buf_printf(b, "%.3f", json_number_value(v));
    else if (json_is_boolean(v))
        fd_buf_puts(b, json_is_true(v) ? "true" : "false");
    else
        fd_esc_html(b, json_string_value(v) ? json_string_value(v) : "");
    fd_buf_puts(b, "\"/>\n");
}

static void dr_properties(fd_buf *b, const json_t *r)
{
    static const struct {
        const char *array, *kind, *keys[6];
    } figures[] = {
        {"backups", "backup", {"age_s", "size", "label", "log_position", NULL}},
        {"copies", "copy", {"bytes", "sha256", NULL}},
        {"restores", "restore", {"ok", "recovery_target", "target_unix", NULL}},
        {"archive_lags", "archive_lag", {"lag_s", "lag_bytes", NULL}},
        {"verifies", "verify", {"lost_writes", "late_writes", "rpo_s", "rto_s", "archive_lag_s"}},
    };
    for (size_t f = 0; f < sizeof figures / sizeof *figures; f++) {
        size_t i;
        const json_t *o;
        json_array_foreach(json_object_get(r, figures[f].array), i, o)
        {
            for (size_t k = 0; k < 6 && figures[f].keys[k]; k++)
                property(b, figures[f].kind, o, figures[f].keys[k]);
        }
    }
}

void fd_render_junit(const json_t *r, fd_buf *b)
{
    const char *scenario = fd_jstr(json_object_get(r, "scenario"), "name");
    const char *verdict = fd_jstr(r, "verdict");
    const json_t *checks = json_object_get(r, "checks");
    const json_t *faults = json_object_get(r, "faults");
    bool incomplete = strcmp(verdict, "aborted") == 0 || strcmp(verdict, "error") == 0;
    size_t tests = json_array_size(checks) + 1 + (incomplete ? 1 : 0), failures = 0, skipped = 0;
    size_t i;
    const json_t *c;
    json_array_foreach(checks, i, c)
    {
        bool pass = json_is_true(json_object_get(c, "pass"));
        bool expect_fail = strcmp(fd_jstr(c, "expect"), "fail") == 0;
        skipped += expect_fail && !pass; /* the known weakness, shown again */
        failures += expect_fail ? pass : !pass;
    }
    const json_t *steps = json_object_get(r, "steps"), *st;
    json_array_foreach(steps, i, st)
    {
        tests += step_failed(st);
        failures += step_failed(st);
    }
    bool heal_failed = strcmp(verdict, "heal_failed") == 0;
    const json_t *f;
    json_array_foreach(faults, i, f) heal_failed |= strcmp(fd_jstr(f, "heal"), "ok") != 0;
    failures += heal_failed;
    char classname[200];
    snprintf(classname, sizeof classname, "firedrill.%s", scenario);
    char ts[32] = "";
    double started = fd_jnum(r, "started_at_unix");
    fd_fmt_utc(ts, sizeof ts, started, 'T');
    double dur = fd_jnum(r, "duration_s");
    fd_buf_puts(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"firedrill\"");
    fd_buf_printf(b, " tests=\"%zu\" failures=\"%zu\" errors=\"%d\" time=\"%.3f\">\n", tests,
                  failures, incomplete ? 1 : 0, isnan(dur) ? 0.0 : dur);
    fd_buf_puts(b, "  <testsuite name=\"");
    fd_esc_html(b, classname);
    fd_buf_printf(b,
                  "\" tests=\"%zu\" failures=\"%zu\" errors=\"%d\" skipped=\"%zu\" time=\"%.3f\" "
                  "timestamp=\"%s\">\n",
                  tests, failures, incomplete ? 1 : 0, skipped, isnan(dur) ? 0.0 : dur, ts);
    fd_buf_puts(b, "    <properties>\n      <property name=\"run_id\" value=\"");
    fd_esc_html(b, fd_jstr(r, "run_id"));
    fd_buf_puts(b, "\"/>\n      <property name=\"verdict\" value=\"");
    fd_esc_html(b, verdict);
    fd_buf_printf(b, "\"/>\n      <property name=\"exit_code\" value=\"%lld\"/>\n",
                  (long long)json_integer_value(json_object_get(r, "exit_code")));
    dr_properties(b, r);
    fd_buf_puts(b, "    </properties>\n");
    json_array_foreach(checks, i, c)
    {
        const char *metric = fd_jstr(c, "metric");
        bool is_max = json_object_get(c, "max") != NULL;
        fd_buf name;
        fd_buf_init(&name, 4096);
        fd_buf_printf(&name, "%s %s %s ", fd_check_subject(c), metric, is_max ? "<=" : ">=");
        fd_fmt_limit(&name, metric, fd_jnum(c, is_max ? "max" : "min"));
        testcase_open(b, classname, name.data);
        fd_buf_free(&name);
        bool pass = json_is_true(json_object_get(c, "pass"));
        bool expect_fail = strcmp(fd_jstr(c, "expect"), "fail") == 0;
        if (pass && !expect_fail) {
            fd_buf_puts(b, "/>\n");
            continue;
        }
        fd_buf msg;
        fd_buf_init(&msg, 4096);
        if (expect_fail)
            fd_buf_puts(&msg, pass ? "expected to fail, but passed: " : "expected failure: ");
        fd_buf_printf(&msg, "%s was ", metric);
        fd_fmt_metric(&msg, metric, json_object_get(c, "value"));
        fd_buf_printf(&msg, ", limit %s ", is_max ? "max" : "min");
        fd_fmt_limit(&msg, metric, fd_jnum(c, is_max ? "max" : "min"));
        if (expect_fail && !pass) {
            fd_buf_puts(b, ">\n      <skipped message=\"");
            fd_esc_html(b, msg.data);
            fd_buf_puts(b, "\"/>\n    </testcase>\n");
        } else {
            fd_buf_puts(b, ">\n      <failure type=\"check\" message=\"");
            fd_esc_html(b, msg.data);
            fd_buf_puts(b, "\">");
            fd_esc_html(b, msg.data);
            fd_buf_puts(b, "</failure>\n    </testcase>\n");
        }
        fd_buf_free(&msg);
    }
    json_array_foreach(steps, i, st)
    {
        if (step_failed(st))
            failed_step(b, classname, st);
    }
    testcase_open(b, classname, "all faults healed");
    if (!heal_failed) {
        fd_buf_puts(b, "/>\n");
    } else {
        fd_buf_puts(b,
                    ">\n      <failure type=\"heal\" message=\"a fault may still be in place\">");
        json_array_foreach(faults, i, f)
        {
            if (strcmp(fd_jstr(f, "heal"), "ok") != 0) {
                fd_esc_html(b, fd_jstr(f, "id"));
                fd_buf_puts(b, ": heal ");
                fd_esc_html(b, fd_jstr(f, "heal"));
                fd_buf_puts(b, "\n");
            }
        }
        fd_buf_puts(b, "</failure>\n    </testcase>\n");
    }
    if (incomplete) {
        testcase_open(b, classname, "drill completed");
        fd_buf_printf(b, ">\n      <error type=\"%s\" message=\"", verdict);
        const char *why = *fd_jstr(r, "abort_reason") ? fd_jstr(r, "abort_reason")
                          : json_array_size(json_object_get(r, "errors"))
                              ? json_string_value(json_array_get(json_object_get(r, "errors"), 0))
                              : verdict;
        fd_esc_html(b, why ? why : verdict);
        fd_buf_puts(b, "\">");
        const json_t *e;
        json_array_foreach(json_object_get(r, "errors"), i, e)
        {
            fd_esc_html(b, json_string_value(e) ? json_string_value(e) : "");
            fd_buf_puts(b, "\n");
        }
        fd_buf_puts(b, "</error>\n    </testcase>\n");
    }
    fd_buf_puts(b, "  </testsuite>\n</testsuites>\n");
}
