/* test_engine.c: the engine's pure parts and its shared state: the verdict for each
 * outcome, the step table, outcome recording from several threads at once (run under
 * ThreadSanitizer in the TSan build), and whole runs over a fake host transport: what
 * is sent to which host in which order, and the verdict when a host fails. */
#include "fdtest.h"
#include "run.h"
#include "control.h"
#include "ssh.h"
#include "steps.h"
#include "verdict.h"

#include <jansson.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <sys/stat.h>
#include <time.h>

static void test_verdict_order(void **state)
{
    static const struct {
        unsigned outcomes;
        int exit_code;
        const char *verdict;
    } cases[] = {
        {0, FD_EXIT_PASS, "pass"},
        {FD_OUTCOME_FINDING, FD_EXIT_FAIL, "fail"},
        {FD_OUTCOME_ABORTED | FD_OUTCOME_FINDING, FD_EXIT_ABORTED, "aborted"},
        {FD_OUTCOME_INFRA | FD_OUTCOME_ABORTED, FD_EXIT_INFRA, "error"},
        {FD_OUTCOME_FAULT_FAILED | FD_OUTCOME_INFRA, FD_EXIT_INFRA, "error"},
        {FD_OUTCOME_HEAL_FAILED | FD_OUTCOME_INFRA | FD_OUTCOME_FINDING, FD_EXIT_HEAL_FAILED,
         "heal_failed"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int code = -1;
        const char *v = NULL;
        fd_verdict_decide(cases[i].outcomes, &code, &v);
        assert_int_equal(code, cases[i].exit_code);
        assert_string_equal(v, cases[i].verdict);
    }
}

static void test_every_step_kind_has_an_executor(void **state)
{
    for (int k = 0; k < FD_STEP_COUNT; k++) {
        const fd_step_kind_ops *ops = fd_step_kind_for((fd_step_kind)k);
        assert_non_null(ops);
        assert_non_null(ops->exec);
        assert_int_equal(ops->kind, k);
    }
    assert_null(fd_step_kind_for(FD_STEP_COUNT));
}

static fd_scenario scenario;

static void *abort_from_thread(void *arg)
{
    fd_run *r = arg;
    for (int i = 0; i < 200; i++) {
        char why[32];
        snprintf(why, sizeof why, "reason %d", i);
        fd_run_outcome(r, i % 2 ? FD_OUTCOME_ABORTED : FD_OUTCOME_FINDING, why);
        (void)fd_run_stopping(r);
    }
    return NULL;
}

/* Outcomes recorded from several threads: every bit arrives, and the first abort's
 * reason is the one kept. */
static void test_outcomes_from_threads(void **state)
{
    fd_run r;
    memset(&r, 0, sizeof r);
    r.s = &scenario;
    pthread_mutex_init(&r.lock, NULL);
    assert_false(fd_run_stopping(&r));
    fd_run_outcome(&r, FD_OUTCOME_INFRA, NULL);
    assert_true(fd_run_has(&r, FD_OUTCOME_INFRA));
    assert_false(fd_run_has(&r, FD_OUTCOME_ABORTED));
    assert_false(fd_run_stopping(&r));
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, abort_from_thread, &r), 0);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    assert_true(fd_run_has(&r, FD_OUTCOME_ABORTED | FD_OUTCOME_FINDING));
    assert_true(fd_run_stopping(&r));
    assert_string_equal(r.abort_reason, "reason 1");
    free(r.abort_reason);
    pthread_mutex_destroy(&r.lock);
}

/* A fake set of hosts: every command is logged as "HOST ACTION" (apply FAULT, revert
 * FAULT, or the command itself) and answered as the agents answer. */
typedef struct fake_hosts {
    pthread_mutex_t lock;
    fd_strv log;
    const char *down;    /* this host is unreachable */
    int apply_exit;      /* the agents' apply exit status */
    int revert_exit;     /* the revert scripts' exit status */
    const char *catalog; /* what a pgbackrest command prints */
    int catalog_exit;
    const char *archive_pos, *primary_pos; /* what archive_lag's commands print */
    const char *fail_cmd;                  /* a command holding this exits 1 */
    int lease_exit;                        /* lease: the agent's exit status */
    const char *lease_out;                 /* and what it prints */
    const char *halt_after; /* watches say the host is halted once this fault was applied */
    double db2_clock_s;     /* how far db2's clock is ahead of the others' */
} fake_hosts;

/* An agent's "effect:" line by the host's clock (db2's may be off). */
static char *fake_effect(const fake_hosts *f, const fd_host *h, const char *rest)
{
    double off = strcmp(h->name, "db2") == 0 ? f->db2_clock_s : 0;
    return fd_asprintf("effect: %.6f\n%s", fd_unix_now() + off, rest);
}

static bool logged_entry(fake_hosts *f, const char *suffix)
{
    bool found = false;
    pthread_mutex_lock(&f->lock);
    for (size_t i = 0; i < f->log.n && !found; i++) {
        size_t n = strlen(f->log.v[i]), m = strlen(suffix);
        found = n >= m && strcmp(f->log.v[i] + n - m, suffix) == 0;
    }
    pthread_mutex_unlock(&f->lock);
    return found;
}

/* The guard actions (lease, watch, release): logged as "HOST lease" and so on, except
 * watches, which come every second. */
static char *fake_guard(fake_hosts *f, const fd_host *h, const char *action, fd_exec_result *r)
{
    r->exit_status = 0;
    if (strcmp(action, "lease") == 0) {
        r->exit_status = f->lease_exit;
        r->out = fd_strdup(f->lease_out ? f->lease_out : "");
    } else if (strcmp(action, "watch") == 0) {
        char *applied = f->halt_after ? fd_asprintf(" apply %s", f->halt_after) : NULL;
        bool halt = applied && logged_entry(f, applied);
        free(applied);
        r->out = fd_strdup(halt ? "halted: game day over\nhalted_by: alice\n" : "renewed\n");
        return halt ? fd_asprintf("%s watch: halted", h->name) : NULL;
    }
    return fd_asprintf("%s %s", h->name, action);
}

static fd_err fake_open(const fd_host *h, void *arg)
{
    fake_hosts *f = arg;
    return f->down && strcmp(h->name, f->down) == 0 ? FD_ERR_CONNECT : FD_OK;
}

/* The fault id of an apply's stdin: `... set -- apply RUN FAULT TTL ...`. */
static char *applied_fault(const char *input)
{
    const char *p = strstr(input, "set -- apply ");
    if (!p)
        return NULL;
    p += strlen("set -- apply ");
    p = strchr(p, ' ');
    if (!p)
        return NULL;
    p++;
    return fd_strndup(p, strcspn(p, " "));
}

static void fake_exec(const fd_host *h, const char *cmd, const char *input, int64_t timeout_us,
                      fd_exec_result *r, void *arg)
{
    fake_hosts *f = arg;
    (void)timeout_us;
    char *fault = input ? applied_fault(input) : NULL;
    const char *rv = strstr(cmd, ".revert");
    const char *guard = strstr(cmd, "# firedrill ");
    char *entry;
    if (guard) {
        entry = fake_guard(f, h, guard + strlen("# firedrill "), r);
        r->error = FD_OK;
        if (!entry)
            return;
    } else if (fault) {
        entry = fd_asprintf("%s apply %s", h->name, fault);
        r->exit_status = f->apply_exit;
        r->out = f->apply_exit == 0
                     ? fake_effect(f, h, "verified: stopped\n")
                     : fd_strdup(f->apply_exit == FD_AGENT_HALTED ? "error: halted: incident 7\n"
                                                                  : "error: no such process\n");
    } else if (rv) {
        /* /run/firedrill/RUN/FAULT.revert: the id before .revert */
        const char *slash = rv;
        while (slash > cmd && slash[-1] != '/')
            slash--;
        entry = fd_asprintf("%s revert %.*s", h->name, (int)(rv - slash), slash);
        r->exit_status = f->revert_exit;
        if (f->revert_exit)
            r->err = fd_strdup("kill: permission denied\n");
        else
            r->out = fake_effect(f, h, "");
    } else if (strstr(cmd, "-position")) {
        bool archive = strstr(cmd, "archive-position") != NULL;
        entry = fd_asprintf("%s %s", h->name, archive ? "archive-position" : "primary-position");
        r->exit_status = 0;
        r->out = fd_strdup(archive ? f->archive_pos : f->primary_pos);
    } else if (strstr(cmd, "pgbackrest")) {
        entry = fd_asprintf("%s catalog", h->name);
        r->exit_status = f->catalog_exit;
        r->out = fd_strdup(f->catalog ? f->catalog : "");
    } else {
        entry = fd_asprintf("%s %s", h->name, cmd);
        r->exit_status = f->fail_cmd && strstr(cmd, f->fail_cmd) ? 1 : 0;
    }
    r->error = FD_OK;
    pthread_mutex_lock(&f->lock);
    fd_strv_push_owned(&f->log, entry);
    pthread_mutex_unlock(&f->lock);
    free(fault);
}

/* Runs a scenario of tests/scenarios/valid against the fake hosts; returns the exit
 * code, the report in *report. */
static bool auto_ack; /* run_scenario's --auto-ack */

static int run_scenario(const char *file, fake_hosts *f, json_t **report)
{
    char dir[] = "/tmp/fd-engine.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *path = fd_asprintf("%s/scenarios/valid/%s", fd_test_data(), file);
    fd_scenario s;
    fd_diags d = {0};
    assert_int_equal(fd_scenario_load(path, NULL, &s, &d), FD_OK);
    fd_diag_clear(&d);
    fd_transport t = {.open = fake_open, .exec = fake_exec, .arg = f};
    fd_run_opts o = {
        .seed = 1, .report_dir = dir, .quiet = true, .auto_ack = auto_ack, .transport = &t};
    fd_run r;
    /* the run says its errors on stderr, as it should: not in the test's output */
    fflush(stderr);
    int saved = dup(2), devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, 2);
    close(devnull);
    int code = fd_run_execute(&r, &s, &o);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    char *rpath = fd_asprintf("%s/report.json", r.dir);
    json_error_t je;
    *report = json_load_file(rpath, 0, &je);
    assert_non_null(*report);
    char *cmd = fd_asprintf("rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    free(rpath);
    fd_run_free(&r);
    fd_scenario_free(&s);
    free(path);
    return code;
}

static int run_fake(fake_hosts *f, json_t **report)
{
    return run_scenario("engine.yaml", f, report);
}

static int index_of(const fd_strv *log, const char *entry)
{
    for (size_t i = 0; i < log->n; i++)
        if (strcmp(log->v[i], entry) == 0)
            return (int)i;
    return -1;
}

static const char *fault_heal(const json_t *report, size_t i)
{
    return json_string_value(
        json_object_get(json_array_get(json_object_get(report, "faults"), i), "heal"));
}

/* Every fault goes to its targets alone, each is reverted after it was applied and
 * before the run ends, and the drill passes. */
static void test_run_over_fake_hosts(void **state)
{
    fake_hosts f = {.lock = PTHREAD_MUTEX_INITIALIZER};
    json_t *report;
    assert_int_equal(run_fake(&f, &report), FD_EXIT_PASS);
    assert_string_equal(json_string_value(json_object_get(report, "verdict")), "pass");
    int ak = index_of(&f.log, "db1 apply k"), rk = index_of(&f.log, "db1 revert k");
    int ap = index_of(&f.log, "db3 apply p"), rp = index_of(&f.log, "db3 revert p");
    assert_true(ak >= 0 && rk > ak);
    assert_true(ap > ak && rp > ap); /* the timeline's order */
    for (size_t i = 0; i < f.log.n; i++) {
        /* pause targets the etcd role (db3 alone), kill db1 alone */
        assert_false(fd_str_starts(f.log.v[i], "db2 apply"));
        assert_false(strcmp(f.log.v[i], "db1 apply p") == 0);
        assert_false(strcmp(f.log.v[i], "db3 apply k") == 0);
    }
    assert_string_equal(fault_heal(report, 0), "ok");
    assert_string_equal(fault_heal(report, 1), "ok");
    json_decref(report);
    fd_strv_free(&f.log);
}

/* A host that cannot be reached in preflight: nothing is applied anywhere. */
static void test_unreachable_host_touches_nothing(void **state)
{
    fake_hosts f = {.lock = PTHREAD_MUTEX_INITIALIZER, .down = "db2"};
    json_t *report;
    assert_int_equal(run_fake(&f, &report), FD_EXIT_INFRA);
    assert_string_equal(json_string_value(json_object_get(report, "verdict")), "error");
    for (size_t i = 0; i < f.log.n; i++)
        assert_null(strstr(f.log.v[i], " apply "));
    json_decref(report);
    fd_strv_free(&f.log);
}

/* An agent that could not apply stops the timeline: the later fault is never applied,
 * and the failed one is still reverted (its agent may have left something). */
static void test_failed_apply_stops_the_timeline(void **state)
{
    fake_hosts f = {.lock = PTHREAD_MUTEX_INITIALIZER, .apply_exit = 3};
    json_t *report;
    assert_int_equal(run_fake(&f, &report), FD_EXIT_INFRA);
    assert_true(index_of(&f.log, "db1 apply k") >= 0);
    assert_int_equal(index_of(&f.log, "db3 apply p"), -1);
    json_decref(report);
    fd_strv_free(&f.log);
}

/* A revert that fails is the worst outcome: heal_failed, and the report says how to
 * heal by hand. */
static void test_failed_revert_is_loud(void **state)
{
    fake_hosts f = {.lock = PTHREAD_MUTEX_INITIALIZER, .revert_exit = 1};
    json_t *report;
    assert_int_equal(run_fake(&f, &report), FD_EXIT_HEAL_FAILED);
    assert_string_equal(json_string_value(json_object_get(report, "verdict")), "heal_failed");
    assert_string_not_equal(fault_heal(report, 0), "ok");
    char *all = json_dumps(report, 0);
    assert_non_null(strstr(all, "by hand"));
    assert_non_null(strstr(all, "ssh root@10.77.0.11"));
    free(all);
    json_decref(report);
    fd_strv_free(&f.log);
}

static bool logged(const fake_hosts *f, const char *part)
{
    for (size_t i = 0; i < f->log.n; i++)
        if (strstr(f->log.v[i], part))
            return true;
    return false;
}

/* A backup read from the catalog: the newest usable one, its age a checked metric; no
 * usable backup is a finding that stops the timeline; a catalog command that cannot
 * start is infrastructure. */
static void test_catalog_backup_outcomes(void **state)
{
    long now = (long)time(NULL);
    char fresh[400], stale[400];
    snprintf(fresh, sizeof fresh,
             "[{\"name\":\"lab\",\"backup\":[{\"label\":\"F1\",\"type\":\"full\","
             "\"timestamp\":{\"start\":%ld,\"stop\":%ld},\"info\":{\"repository\":"
             "{\"size\":1000}}}]}]",
             now - 3700, now - 3600);
    snprintf(stale, sizeof stale,
             "[{\"name\":\"lab\",\"backup\":[{\"label\":\"F0\",\"timestamp\":"
             "{\"start\":%ld,\"stop\":%ld}}]}]",
             now - 30 * 3600 - 100, now - 30 * 3600);
    static const struct {
        int catalog_exit;
        int which; /* 1 fresh, 2 stale, 0 no backup */
        int want;
        bool later_step_ran;
    } cases[] = {
        {0, 1, FD_EXIT_PASS, true},     /* an hour old: within 26h */
        {0, 2, FD_EXIT_FAIL, true},     /* 30 hours old: the check fails */
        {0, 0, FD_EXIT_FAIL, false},    /* no usable backup: a finding */
        {127, 0, FD_EXIT_INFRA, false}, /* pgbackrest not installed */
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        fake_hosts f = {.lock = PTHREAD_MUTEX_INITIALIZER,
                        .catalog = cases[k].which == 1   ? fresh
                                   : cases[k].which == 2 ? stale
                                                         : "[]",
                        .catalog_exit = cases[k].catalog_exit};
        json_t *report;
        assert_int_equal(run_scenario("engine-dr.yaml", &f, &report), cases[k].want);
        assert_true(logged(&f, "db3 catalog"));
        assert_int_equal(logged(&f, "after-the-backup"), cases[k].later_step_ran);
        const json_t *b = json_array_get(json_object_get(report, "backups"), 0);
        if (cases[k].later_step_ran) {
            assert_string_equal(json_string_value(json_object_get(b, "tool")), "pgbackrest");
            double age = json_real_value(json_object_get(b, "age_s"));
            double want_age = cases[k].which == 1 ? 3600 : 30 * 3600;
            assert_true(age >= want_age && age < want_age + 100);
        } else {
            assert_null(b);
        }
        json_decref(report);
        fd_strv_free(&f.log);
    }
}

/* archive_lag: the archive is read before the primary; bytes and seconds from the two
 * positions; a lag over the check's limit fails the drill, an archive that prints no
 * position is a finding that stops the timeline. */
static void test_archive_lag(void **state)
{
    double now = (double)time(NULL);
    char behind[64], far_behind[64], primary[64];
    snprintf(behind, sizeof behind, "mysql-bin.000002:100 %.3f", now - 1.5);
    snprintf(far_behind, sizeof far_behind, "mysql-bin.000001:900 %.3f", now - 10);
    snprintf(primary, sizeof primary, "mysql-bin.000002:400 %.3f", now);
    static const struct {
        int which; /* 0 behind, 1 level (no times), 2 far behind, 3 no position */
        int want;
        double lag_s;
        long long bytes; /* -1: null */
    } cases[] = {
        {0, FD_EXIT_PASS, 1.5, 300},
        {1, FD_EXIT_PASS, 0, 0},
        {2, FD_EXIT_FAIL, 10, -1},
        {3, FD_EXIT_FAIL, NAN, -1},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        int w = cases[k].which;
        fake_hosts f = {.lock = PTHREAD_MUTEX_INITIALIZER,
                        .archive_pos = w == 0   ? behind
                                       : w == 1 ? "0/6000A28\n"
                                       : w == 2 ? far_behind
                                                : "ls: cannot access 'mysql-bin.*'\n",
                        .primary_pos = w == 1 ? "0/6000A28|\n" : primary};
        json_t *report;
        assert_int_equal(run_scenario("engine-lag.yaml", &f, &report), cases[k].want);
        int a = index_of(&f.log, "db3 archive-position");
        int p = index_of(&f.log, "db1 primary-position");
        assert_true(a >= 0);
        assert_true(w == 3 ? p < 0 : p > a);
        assert_int_equal(logged(&f, "after-the-lag"), w != 3);
        const json_t *lag = json_array_get(json_object_get(report, "archive_lags"), 0);
        const json_t *s = json_object_get(lag, "lag_s"), *b = json_object_get(lag, "lag_bytes");
        if (isnan(cases[k].lag_s))
            assert_true(json_is_null(s));
        else
            assert_true(fabs(json_real_value(s) - cases[k].lag_s) < 0.01);
        if (cases[k].bytes < 0)
            assert_true(json_is_null(b));
        else
            assert_int_equal(json_integer_value(b), cases[k].bytes);
        json_decref(report);
        fd_strv_free(&f.log);
    }
}

/* The finally section runs once every fault is healed: after a timeline that passed,
 * after one whose fault could not be applied (the rest of the timeline skipped), and a
 * finally step that fails is said but leaves the verdict as it was. */
static void test_finally(void **state)
{
    static const struct {
        int apply_exit;
        const char *fail_cmd;
        int want;
        bool timeline_step_ran;
    } cases[] = {
        {0, NULL, FD_EXIT_PASS, true},
        {1, NULL, FD_EXIT_INFRA, false},
        {0, "cleanup-one", FD_EXIT_PASS, true},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        fake_hosts f = {.lock = PTHREAD_MUTEX_INITIALIZER,
                        .apply_exit = cases[k].apply_exit,
                        .fail_cmd = cases[k].fail_cmd};
        json_t *report;
        assert_int_equal(run_scenario("engine-finally.yaml", &f, &report), cases[k].want);
        int revert = index_of(&f.log, "db1 revert k");
        int one = -1, two = -1;
        for (size_t i = 0; i < f.log.n; i++) {
            if (strstr(f.log.v[i], "db2 ") && strstr(f.log.v[i], "cleanup-one"))
                one = (int)i;
            if (strstr(f.log.v[i], "db1 ") && strstr(f.log.v[i], "cleanup-two"))
                two = (int)i;
        }
        assert_true(one >= 0 && two > one); /* both, in order */
        if (cases[k].apply_exit == 0)
            assert_true(revert >= 0 && one > revert); /* after the heal */
        assert_int_equal(logged(&f, "timeline-step"), cases[k].timeline_step_ran);
        const json_t *steps = json_object_get(report, "steps");
        const json_t *last = json_array_get(steps, json_array_size(steps) - 1);
        assert_string_equal(json_string_value(json_object_get(last, "id")), "clean-two");
        assert_string_equal(json_string_value(json_object_get(last, "phase")), "finally");
        const json_t *first = json_array_get(steps, json_array_size(steps) - 2);
        assert_string_equal(json_string_value(json_object_get(first, "status")),
                            cases[k].fail_cmd ? "failed" : "ok");
        json_decref(report);
        fd_strv_free(&f.log);
    }
}

/* expect: fail: a check that fails as expected leaves the verdict pass (exit 0); one
 * that passes is news (exit 1). */
static void test_expected_failure(void **state)
{
    double now = (double)time(NULL);
    char far_behind[64], behind[64], primary[64];
    snprintf(far_behind, sizeof far_behind, "mysql-bin.000001:900 %.3f", now - 10);
    snprintf(behind, sizeof behind, "mysql-bin.000002:100 %.3f", now - 1);
    snprintf(primary, sizeof primary, "mysql-bin.000002:400 %.3f", now);
    for (int k = 0; k < 2; k++) {
        fake_hosts f = {.lock = PTHREAD_MUTEX_INITIALIZER,
                        .archive_pos = k == 0 ? far_behind : behind,
                        .primary_pos = primary};
        json_t *report;
        assert_int_equal(run_scenario("engine-expect.yaml", &f, &report),
                         k == 0 ? FD_EXIT_PASS : FD_EXIT_FAIL);
        const json_t *c = json_array_get(json_object_get(report, "checks"), 0);
        assert_string_equal(json_string_value(json_object_get(c, "expect")), "fail");
        assert_int_equal(json_is_true(json_object_get(c, "pass")), k == 1);
        assert_int_equal(json_is_true(json_object_get(c, "expected_failure")), k == 0);
        assert_string_equal(json_string_value(json_object_get(report, "verdict")),
                            k == 0 ? "pass" : "fail");
        json_decref(report);
        fd_strv_free(&f.log);
    }
}

/* Another terminal: acknowledges each hold it finds waiting, as `firedrill ack` does. */
static void *acker(void *arg)
{
    int *acked = arg;
    for (int i = 0; i < 300 && *acked < 2; i++) {
        fd_strv runs = {0};
        fd_control_runs("hold", &runs);
        char *err = NULL;
        char *dir = runs.n == 1 ? fd_control_find(runs.v[0], &err) : NULL;
        if (dir && fd_control_put(dir, "ack", "tester", &err)) {
            (*acked)++;
            fd_sleep_us(300000); /* until the drill took it and moved on */
        }
        free(err);
        free(dir);
        fd_strv_free(&runs);
        fd_sleep_us(20000);
    }
    return NULL;
}

/* Holds: --auto-ack runs the auto command (on its target) and acknowledges the other;
 * a person's `firedrill ack` from another terminal is recorded with who and how long;
 * nobody at all: the first times out and the drill goes on, the second aborts it. */
static void test_holds(void **state)
{
    char dir[] = "/tmp/fd-control.XXXXXX";
    assert_non_null(mkdtemp(dir));
    setenv("FIREDRILL_CONTROL_DIR", dir, 1);
    for (int k = 0; k < 3; k++) {
        fake_hosts f = {.lock = PTHREAD_MUTEX_INITIALIZER};
        auto_ack = k == 0;
        int acked = 0;
        pthread_t t;
        if (k == 1)
            assert_int_equal(pthread_create(&t, NULL, acker, &acked), 0);
        json_t *report;
        int code = run_scenario("engine-hold.yaml", &f, &report);
        if (k == 1)
            pthread_join(t, NULL);
        assert_int_equal(code, k == 2 ? FD_EXIT_ABORTED : FD_EXIT_PASS);
        const json_t *holds = json_object_get(report, "holds");
        const json_t *h0 = json_array_get(holds, 0), *h1 = json_array_get(holds, 1);
        const char *how0 = json_string_value(json_object_get(h0, "how"));
        const char *how1 = json_string_value(json_object_get(h1, "how"));
        assert_int_equal(logged(&f, "promote-db2"), k == 0);
        assert_int_equal(logged(&f, "after-the-holds"), k != 2);
        if (k == 0) {
            assert_string_equal(how0, "auto");
            assert_string_equal(how1, "auto-ack");
        } else if (k == 1) {
            assert_string_equal(how0, "firedrill ack");
            assert_string_equal(json_string_value(json_object_get(h1, "acked_by")), "tester");
            assert_true(json_real_value(json_object_get(h0, "time_to_ack_s")) < 2.0);
        } else {
            assert_string_equal(how0, "timed out");
            assert_true(json_is_true(json_object_get(h1, "timed_out")));
            assert_true(json_is_null(json_object_get(h0, "time_to_ack_s")));
        }
        json_decref(report);
        fd_strv_free(&f.log);
    }
    auto_ack = false;
    unsetenv("FIREDRILL_CONTROL_DIR");
    assert_int_equal(rmdir(dir), 0); /* each run removed its own directory */
}

/* Another drill holds a host: the run stops at preflight (exit 4) naming it, touching
 * nothing, and the leases it did get are released. */
static void test_lease_refused(void **state)
{
    fake_hosts f = {.lock = PTHREAD_MUTEX_INITIALIZER,
                    .lease_exit = FD_AGENT_LEASED,
                    .lease_out = "held: other-run-1 expires_in=30 controller=bob@ops drill=x y\n"};
    json_t *report;
    assert_int_equal(run_fake(&f, &report), FD_EXIT_INFRA);
    for (size_t i = 0; i < f.log.n; i++)
        assert_null(strstr(f.log.v[i], " apply "));
    assert_true(index_of(&f.log, "db1 lease") >= 0 && index_of(&f.log, "db3 lease") >= 0);
    assert_int_equal(index_of(&f.log, "db2 lease"), -1); /* no fault touches db2 */
    const char *err = json_string_value(json_array_get(json_object_get(report, "errors"), 0));
    assert_non_null(strstr(err, "run other-run-1 (drill x y from bob@ops, leased for 30s more)"));
    json_decref(report);
    fd_strv_free(&f.log);
}

/* A halt seen by a watch while a fault is in place: the run aborts with the halt's
 * reason (exit 3), every fault is reverted, and the leases are released after that. */
static void test_halt_heals_and_releases(void **state)
{
    fake_hosts f = {.lock = PTHREAD_MUTEX_INITIALIZER, .halt_after = "p"};
    json_t *report;
    assert_int_equal(run_scenario("engine-halt.yaml", &f, &report), FD_EXIT_ABORTED);
    assert_string_equal(json_string_value(json_object_get(report, "abort_reason")),
                        "halted: game day over");
    int halted = -1, reverted = index_of(&f.log, "db3 revert p");
    for (size_t i = 0; i < f.log.n && halted < 0; i++)
        if (strstr(f.log.v[i], " watch: halted"))
            halted = (int)i;
    assert_true(halted >= 0 && reverted > halted);
    assert_true(index_of(&f.log, "db3 release") > reverted);
    assert_int_equal(index_of(&f.log, "db1 apply after"), -1); /* the timeline stopped */
    const json_t *leases = json_object_get(report, "leases");
    assert_int_equal(json_array_size(json_object_get(leases, "hosts")), 2);
    json_decref(report);
    fd_strv_free(&f.log);
}

/* An agent that refuses a fault because its host is halted aborts the run with the
 * halt's reason, touching nothing more. */
static void test_apply_refused_by_halt(void **state)
{
    fake_hosts f = {.lock = PTHREAD_MUTEX_INITIALIZER, .apply_exit = FD_AGENT_HALTED};
    json_t *report;
    assert_int_equal(run_fake(&f, &report), FD_EXIT_ABORTED);
    assert_string_equal(json_string_value(json_object_get(report, "abort_reason")),
                        "halted: incident 7");
    assert_int_equal(index_of(&f.log, "db3 apply p"), -1);
    json_decref(report);
    fd_strv_free(&f.log);
}

/* A fault on three hosts: when it took effect on each (by the host's clock, and when
 * the controller saw the answer) and the skew across them; the hosts' clocks are used
 * while they agree with the controller's, the controller's when one is off. */
static void test_apply_skew(void **state)
{
    for (int off = 0; off < 2; off++) {
        fake_hosts f = {.lock = PTHREAD_MUTEX_INITIALIZER, .db2_clock_s = off ? 30.0 : 0};
        json_t *report;
        assert_int_equal(run_scenario("engine-skew.yaml", &f, &report), FD_EXIT_PASS);
        const json_t *fault = json_array_get(json_object_get(report, "faults"), 0);
        const json_t *cmds = json_object_get(fault, "commands");
        assert_int_equal(json_array_size(cmds), 3);
        for (size_t i = 0; i < 3; i++) {
            const json_t *c = json_array_get(cmds, i);
            double sent = json_number_value(json_object_get(c, "apply_sent_s"));
            double at = json_number_value(json_object_get(c, "applied_at_s"));
            double ack = json_number_value(json_object_get(c, "apply_ack_s"));
            assert_true(sent >= 0 && ack >= sent);
            if (!off || strcmp(json_string_value(json_object_get(c, "host")), "db2") != 0)
                assert_true(at >= sent - 0.001 && at <= ack + 0.001);
            assert_true(json_number_value(json_object_get(c, "heal_ack_s")) >= ack);
            assert_true(json_is_number(json_object_get(c, "healed_at_s")));
        }
        for (int heal = 0; heal < 2; heal++) {
            const json_t *sk = json_object_get(fault, heal ? "heal_skew" : "apply_skew");
            assert_int_equal(json_integer_value(json_object_get(sk, "hosts")), 3);
            const char *clock = json_string_value(json_object_get(sk, "clock"));
            double skew = json_number_value(json_object_get(sk, "skew_s"));
            double hosts = json_number_value(json_object_get(sk, "hosts_s"));
            double ctl = json_number_value(json_object_get(sk, "controller_s"));
            assert_string_equal(clock, off ? "controller" : "hosts");
            assert_true(skew == (off ? ctl : hosts));
            assert_true(off ? hosts > 29.0 && ctl < 5.0 : hosts < 5.0);
        }
        json_decref(report);
        fd_strv_free(&f.log);
    }
}

/* The skew rule on its own: a host without a timestamp, or one whose clock disagrees,
 * makes the controller's acknowledgements the measure; a host that did not answer is
 * left out. */
static void test_skew_rule(void **state)
{
    fd_host_timing t[3] = {{1.0, 1.010, 1.020}, {1.0, 1.050, 1.060}, {1.0, NAN, NAN}};
    fd_skew s;
    fd_skew_of(t, 3, &s);
    assert_int_equal(s.hosts, 2);
    assert_true(s.hosts_clock);
    assert_true(fabs(s.skew_s - 0.040) < 1e-9 && fabs(s.controller_s - 0.040) < 1e-9);
    t[1].effect_s = 1.2; /* after its own acknowledgement: the clocks disagree */
    fd_skew_of(t, 3, &s);
    assert_false(s.hosts_clock);
    assert_true(fabs(s.skew_s - 0.040) < 1e-9 && fabs(s.hosts_s - 0.19) < 1e-9);
    t[1].effect_s = NAN; /* acknowledged, no timestamp (a BusyBox date: whole seconds) */
    fd_skew_of(t, 3, &s);
    assert_false(s.hosts_clock);
    assert_true(isnan(s.hosts_s));
    assert_true(isnan(fd_effect_unix("verified: x\neffect: nan\n")));
    assert_true(isnan(fd_effect_unix("effect: 12abc\n")));
    assert_true(isnan(fd_effect_unix("effect: 1796210946\n"))); /* whole seconds */
    assert_true(isnan(fd_effect_unix("effect: 1796210946.1\n")));
    assert_true(isnan(fd_effect_unix("effect: -1796210946.123\n")));
    assert_true(fabs(fd_effect_unix("note: y\neffect: 1796210946.123456\nverified: x") -
                     1796210946.123456) < 1e-6);
    char *txt = fd_skew_text(&(fd_skew){.hosts = 3, .skew_s = 0.0123, .hosts_clock = true});
    assert_string_equal(txt, " on 3 hosts within 12 ms (the hosts' clocks)");
    free(txt);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_verdict_order),
        cmocka_unit_test(test_every_step_kind_has_an_executor),
        cmocka_unit_test(test_outcomes_from_threads),
        cmocka_unit_test(test_run_over_fake_hosts),
        cmocka_unit_test(test_unreachable_host_touches_nothing),
        cmocka_unit_test(test_failed_apply_stops_the_timeline),
        cmocka_unit_test(test_failed_revert_is_loud),
        cmocka_unit_test(test_catalog_backup_outcomes),
        cmocka_unit_test(test_archive_lag),
        cmocka_unit_test(test_finally),
        cmocka_unit_test(test_expected_failure),
        cmocka_unit_test(test_holds),
        cmocka_unit_test(test_lease_refused),
        cmocka_unit_test(test_halt_heals_and_releases),
        cmocka_unit_test(test_apply_refused_by_halt),
        cmocka_unit_test(test_apply_skew),
        cmocka_unit_test(test_skew_rule),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
