/* test_plan.c: fault expansion (which hosts a fault step touches and which peers each
 * is cut from) and history.jsonl (one JSON object per line, secrets redacted, created
 * exclusively). */
#include "fdtest.h"
#include "history.h"
#include "plan.h"
#include "lease.h"
#include "subst.h"

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>

static fd_scenario scenario;

static int load(void **state)
{
    char *path = fd_asprintf("%s/scenarios/valid/every-fault.yaml", fd_test_data());
    fd_diags d = {0};
    fd_err e = fd_scenario_load(path, NULL, &scenario, &d);
    for (size_t i = 0; i < d.n; i++)
        print_error("%s\n", d.msgs[i]);
    fd_diag_clear(&d);
    free(path);
    return e == FD_OK ? 0 : -1;
}

static int unload(void **state)
{
    fd_scenario_free(&scenario);
    return 0;
}

static fd_step *step(const char *id)
{
    for (size_t i = 0; i < scenario.nsteps; i++)
        if (strcmp(scenario.steps[i].id, id) == 0)
            return &scenario.steps[i];
    fail_msg("no step %s", id);
    return NULL;
}

/* "db1>db2,db3 db2>db1" for an expansion: each target and its peers, by name. */
static char *describe(const fd_fault_expansion *e)
{
    fd_buf b;
    fd_buf_init(&b, FD_BUF_UNCAPPED);
    for (size_t i = 0; i < e->n; i++) {
        fd_buf_printf(&b, "%s%s", i ? " " : "", scenario.inv.hosts[e->t[i].host].name);
        for (size_t k = 0; k < e->t[i].npeers; k++)
            fd_buf_printf(&b, "%c%s", k ? ',' : '>', scenario.inv.hosts[e->t[i].peers[k]].name);
    }
    return fd_buf_steal(&b);
}

static char *expand(const char *id, char **err)
{
    fd_static_resolver res = {.s = &scenario, .seed = 7};
    fd_fault_expansion e;
    *err = NULL;
    if (!fd_fault_expand(&scenario, step(id), "run-1", fd_resolve_static, &res, &e, err)) {
        assert_int_equal(e.n, 0); /* a failed expansion leaves nothing to apply */
        return NULL;
    }
    char *d = describe(&e);
    fd_fault_expansion_free(&e);
    return d;
}

/* The hosts a run leases: every candidate a fault step's selector may pick (a `where`
 * selector's all, since where runs only at step time), never a host only probed or
 * only used by a run step; and how long a lease lasts and how often it is renewed. */
static void test_lease_hosts(void **state)
{
    static const char *const texts[] = {
        "version: 1\nname: l1\ninventory: inventory.yaml\ntimeline:\n"
        "  - { id: k, fault: kill, process: redis-server, ttl: 20m,\n"
        "      target: { role: redis, where: 'true', pick: one } }\n",
        "version: 1\nname: l2\ninventory: inventory.yaml\n"
        "probes: [ { name: p, type: tcp, address: 10.77.0.12, port: 6379 } ]\n"
        "timeline:\n"
        "  - { id: k, fault: kill, process: redis-server, target: { hosts: [db1] }, ttl: 30s }\n"
        "  - run: { target: { hosts: [db2] }, command: 'true' }\n",
        "version: 1\nname: l3\ninventory: inventory.yaml\n"
        "timeline:\n  - run: { target: { hosts: [db2] }, command: 'true' }\n",
    };
    static const char *const want[] = {"db1 db2 db3", "db1", ""};
    static const int64_t ttl_s[] = {20 * 60, 30, 10 * 60}; /* the faults' longest, else safety's */
    char *label = fd_asprintf("%s/scenarios/valid/leases.yaml", fd_test_data());
    for (size_t k = 0; k < 3; k++) {
        fd_scenario s;
        fd_diags d = {0};
        assert_int_equal(fd_scenario_load_text(label, texts[k], strlen(texts[k]), NULL, &s, &d),
                         FD_OK);
        fd_diag_clear(&d);
        size_t idx[8];
        size_t n = fd_lease_hosts(&s, 7, idx);
        fd_buf b;
        fd_buf_init(&b, 0);
        for (size_t i = 0; i < n; i++)
            fd_buf_printf(&b, "%s%s", i ? " " : "", s.inv.hosts[idx[i]].name);
        assert_string_equal(b.len ? b.data : "", want[k]);
        fd_buf_free(&b);
        assert_int_equal(fd_lease_ttl_us(&s), ttl_s[k] * 1000000);
        fd_scenario_free(&s);
    }
    free(label);
    assert_int_equal(fd_lease_renew_us((int64_t)600 * 1000000), 30000000);
    assert_int_equal(fd_lease_renew_us((int64_t)60 * 1000000), 20000000);
    assert_int_equal(fd_lease_renew_us(6000000), 2000000);
    assert_int_equal(fd_lease_renew_us(1000000), 1000000);
}

static void test_expand_hosts_and_peers(void **state)
{
    static const struct {
        const char *id, *want;
    } cases[] = {
        {"iso", "db1>db2,db3"},                   /* isolate: from every other host */
        {"split", "db1>db2,db3 db2>db1 db3>db1"}, /* east | west */
        {"ow", "db1>db2,db3"},                    /* oneway from db1 to the west */
        {"dc", "db2>db1 db3>db1"},                /* the west cut from the rest */
        {"n", "db1>db2"},                         /* netem towards 'to' only */
        {"c", "db1 db2"},                         /* a command: no peers */
        {"k2", "db1"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *err = NULL;
        char *got = expand(cases[i].id, &err);
        if (!got)
            fail_msg("%s: %s", cases[i].id, err);
        assert_string_equal(got, cases[i].want);
        free(got);
    }
}

/* A network fault's agent call carries its peers' addresses; others carry none. */
static void test_expand_agent_calls(void **state)
{
    fd_static_resolver res = {.s = &scenario, .seed = 7};
    fd_fault_expansion e;
    char *err = NULL;
    assert_true(fd_fault_expand(&scenario, step("dc"), "run-1", fd_resolve_static, &res, &e, &err));
    assert_string_equal(e.t[0].call.script, "net");
    assert_true(fd_strv_contains(&e.t[0].call.args, "peers=10.77.0.11"));
    fd_fault_expansion_free(&e);
    assert_true(fd_fault_expand(&scenario, step("k2"), "run-1", fd_resolve_static, &res, &e, &err));
    assert_string_equal(e.t[0].call.script, "proc");
    for (size_t i = 0; i < e.t[0].call.args.n; i++)
        assert_false(fd_str_starts(e.t[0].call.args.v[i], "peers="));
    fd_fault_expansion_free(&e);
}

static size_t resolve_nothing(const fd_selector *sel, size_t *out, void *arg)
{
    (void)sel, (void)out, (void)arg;
    return 0;
}

/* Selectors that leave nothing to do or contradict each other stop the step. */
static void test_expand_errors(void **state)
{
    char *err = NULL;
    fd_fault *split = &step("split")->fault;
    fd_selector west = split->groups[1];
    split->groups[1] = split->groups[0]; /* both groups: the east */
    assert_null(expand("split", &err));
    split->groups[1] = west;
    assert_non_null(strstr(err, "is in split groups 1 and 2"));
    free(err);

    fd_fault *ow = &step("ow")->fault;
    fd_selector to = ow->to;
    ow->to = ow->from; /* db1 to db1 */
    assert_null(expand("ow", &err));
    ow->to = to;
    assert_string_equal(err, "host 'db1' is both in 'from' and in 'to'");
    free(err);

    fd_fault_expansion e;
    const char *ids[] = {"iso", "split", "ow", "k"};
    for (size_t i = 0; i < 4; i++) {
        assert_false(
            fd_fault_expand(&scenario, step(ids[i]), "run-1", resolve_nothing, NULL, &e, &err));
        assert_non_null(strstr(err, "matches no host"));
        free(err);
    }
}

static char *read_all(const char *path)
{
    char *err = NULL;
    char *text = fd_read_file(path, 64 << 20, NULL, &err);
    assert_non_null(text);
    return text;
}

/* Every line is one JSON object; events carry t, at_s and event first; a secret is
 * *** wherever it appears, nested or not. */
static void test_history_lines(void **state)
{
    char dir[] = "/tmp/fd-history.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *path = fd_asprintf("%s/history.jsonl", dir);
    fd_vars vars = {0};
    fd_vars_add_secret(&vars, "hunter2");
    fd_history h = {.redact = &vars};
    assert_int_equal(fd_history_open(&h, path, fd_mono_us()), 0);
    fd_history_event(
        &h, "fault_applied",
        json_pack("{s:s, s:[s]}", "detail", "password hunter2 used", "hosts", "db1 hunter2"));
    fd_history_write(&h, json_pack("{s:s, s:i}", "t", "op", "seq", 1));
    fd_history_close(&h);
    /* the file exists now: a second history never overwrites it */
    fd_history h2 = {0};
    assert_int_equal(fd_history_open(&h2, path, 0), -1);
    fd_history_close(&h2);

    char *text = read_all(path);
    assert_null(strstr(text, "hunter2"));
    const char *p = text;
    char *line = fd_next_line(&p);
    json_error_t je;
    json_t *ev = json_loads(line, 0, &je);
    assert_non_null(ev);
    assert_string_equal(json_string_value(json_object_get(ev, "t")), "event");
    assert_string_equal(json_string_value(json_object_get(ev, "event")), "fault_applied");
    assert_true(json_real_value(json_object_get(ev, "at_s")) >= 0);
    assert_string_equal(json_string_value(json_object_get(ev, "detail")), "password *** used");
    assert_string_equal(json_string_value(json_array_get(json_object_get(ev, "hosts"), 0)),
                        "db1 ***");
    assert_true(fd_str_starts(line, "{\"t\":\"event\",\"at_s\":"));
    json_decref(ev);
    free(line);
    line = fd_next_line(&p);
    assert_string_equal(line, "{\"t\":\"op\",\"seq\":1}");
    free(line);
    assert_null(fd_next_line(&p));
    free(text);

    /* a link planted where the history goes is not followed */
    char *target = fd_asprintf("%s/target", dir), *link = fd_asprintf("%s/link.jsonl", dir);
    assert_int_equal(symlink(target, link), 0);
    fd_history h3 = {0};
    assert_int_equal(fd_history_open(&h3, link, 0), -1);
    fd_history_close(&h3);
    assert_int_equal(access(target, F_OK), -1);
    unlink(link);
    unlink(path);
    rmdir(dir);
    free(link);
    free(target);
    free(path);
    fd_vars_free(&vars);
}

/* Lines from many threads at once, as probes write them: each whole, each thread's in
 * its order, none lost; fd_history_flush puts in the file everything written before it
 * (the report is made from the file while the history is still open), and an event
 * reaches the file without a flush. */
enum { WRITERS = 4, LINES = 20000 };

static void *write_lines(void *arg)
{
    fd_history *h = arg;
    static atomic_int next_id;
    int id = atomic_fetch_add(&next_id, 1);
    for (int i = 0; i < LINES; i++)
        fd_history_write(h, json_pack("{s:s, s:i, s:i, s:s}", "t", "op", "w", id, "i", i, "pad",
                                      "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"));
    return NULL;
}

static size_t count_lines(const char *path)
{
    char *text = read_all(path);
    size_t n = 0;
    for (const char *c = text; *c; c++)
        n += *c == '\n';
    free(text);
    return n;
}

static void test_history_threads(void **state)
{
    (void)state;
    char dir[] = "/tmp/fd-history.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *path = fd_asprintf("%s/history.jsonl", dir);
    fd_history h = {0};
    assert_int_equal(fd_history_open(&h, path, fd_mono_us()), 0);
    pthread_t t[WRITERS];
    for (int i = 0; i < WRITERS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, write_lines, &h), 0);
    for (int i = 0; i < WRITERS; i++)
        pthread_join(t[i], NULL);
    fd_history_flush(&h);
    assert_int_equal(count_lines(path), WRITERS * LINES);
    fd_history_event(&h, "run_ended", NULL);
    /* an event is written at once: it is in the file within a second, with no flush */
    size_t n = 0;
    for (int i = 0; i < 100 && (n = count_lines(path)) < WRITERS * LINES + 1; i++)
        fd_sleep_us(10000);
    assert_int_equal(n, WRITERS * LINES + 1);
    fd_history_close(&h);

    char *text = read_all(path);
    const char *p = text;
    int seen[WRITERS] = {0};
    char *line;
    while ((line = fd_next_line(&p))) {
        json_error_t je;
        json_t *o = json_loads(line, 0, &je);
        assert_non_null(o);
        if (strcmp(json_string_value(json_object_get(o, "t")), "op") == 0) {
            int w = (int)json_integer_value(json_object_get(o, "w"));
            assert_true(w >= 0 && w < WRITERS);
            assert_int_equal(json_integer_value(json_object_get(o, "i")), seen[w]);
            seen[w]++;
        }
        json_decref(o);
        free(line);
    }
    for (int i = 0; i < WRITERS; i++)
        assert_int_equal(seen[i], LINES);
    free(text);
    unlink(path);
    rmdir(dir);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lease_hosts),        cmocka_unit_test(test_expand_hosts_and_peers),
        cmocka_unit_test(test_expand_agent_calls), cmocka_unit_test(test_expand_errors),
        cmocka_unit_test(test_history_lines),      cmocka_unit_test(test_history_threads),
    };
    return cmocka_run_group_tests(tests, load, unload);
}
