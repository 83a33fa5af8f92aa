/* test_scenario.c: the scenario loader, driven by tests/scenarios/{valid,invalid}.
 *
 * Each invalid/<case>/ holds scenario.yaml and `error`, the exact text the loader
 * must print; each .yaml file in valid/ must load. Typed values are checked on a few. */
#include "fdtest.h"
#include "probe.h"
#include "scenario.h"
#include "jump.h"
#include "util.h"

#include <dirent.h>
#include <limits.h>

static char *load_errors(const char *dir, const char *file, fd_err *e)
{
    char cwd[PATH_MAX];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(dir), 0);
    fd_scenario s;
    fd_diags d = {0};
    *e = fd_scenario_load(file, NULL, &s, &d);
    fd_buf b;
    fd_buf_init(&b, 0);
    for (size_t i = 0; i < d.n; i++)
        fd_buf_printf(&b, "%s\n", d.msgs[i]);
    fd_diag_clear(&d);
    fd_scenario_free(&s);
    assert_int_equal(chdir(cwd), 0);
    return fd_buf_steal(&b);
}

static void test_invalid_corpus(void **state)
{
    unsetenv("FD_TEST_SURELY_UNSET_VARIABLE");
    char *root = fd_asprintf("%s/scenarios/invalid", fd_test_data());
    DIR *dir = opendir(root);
    assert_non_null(dir);
    struct dirent *de;
    int cases = 0, failures = 0;
    while ((de = readdir(dir))) {
        if (de->d_name[0] == '.')
            continue;
        char *cdir = fd_asprintf("%s/%s", root, de->d_name);
        char *epath = fd_asprintf("%s/error", cdir);
        char *err = NULL;
        char *want = fd_read_file(epath, 1 << 16, NULL, &err);
        if (!want)
            fail_msg("%s: %s", epath, err);
        fd_err e;
        char *got = load_errors(cdir, "scenario.yaml", &e);
        if (e == FD_OK || strcmp(got, want) != 0) {
            print_error("case %s:\n  expected: %s  got:      %s\n", de->d_name, want, got);
            failures++;
        }
        cases++;
        free(got);
        free(want);
        free(epath);
        free(cdir);
    }
    closedir(dir);
    free(root);
    assert_int_equal(failures, 0);
    assert_true(cases >= 40);
}

static void test_valid_corpus(void **state)
{
    char *root = fd_asprintf("%s/scenarios/valid", fd_test_data());
    DIR *dir = opendir(root);
    assert_non_null(dir);
    struct dirent *de;
    int n = 0;
    while ((de = readdir(dir))) {
        size_t len = strlen(de->d_name);
        if (len < 6 || strcmp(de->d_name + len - 5, ".yaml") != 0 ||
            strcmp(de->d_name, "inventory.yaml") == 0)
            continue;
        fd_err e;
        char *got = load_errors(root, de->d_name, &e);
        if (e != FD_OK)
            fail_msg("%s should be valid:\n%s", de->d_name, got);
        free(got);
        n++;
    }
    closedir(dir);
    free(root);
    assert_true(n >= 5);
}

static fd_scenario *load_valid(const char *name, fd_load_opts *o)
{
    static fd_scenario s;
    char *path = fd_asprintf("%s/scenarios/valid/%s", fd_test_data(), name);
    fd_diags d = {0};
    fd_err e = fd_scenario_load(path, o, &s, &d);
    for (size_t i = 0; i < d.n; i++)
        print_error("%s\n", d.msgs[i]);
    assert_int_equal(e, FD_OK);
    fd_diag_clear(&d);
    free(path);
    return &s;
}

static void test_spec_example_typed(void **state)
{
    setenv("FD_SENTINELS", "10.77.0.21:26379, 10.77.0.22:26379,10.77.0.23:26379", 1);
    fd_scenario *s = load_valid("spec-example.yaml", NULL);
    assert_string_equal(s->name, "redis-primary-isolated");
    assert_int_equal(s->inv.n, 3);
    assert_int_equal(s->inv.hosts[2].port, 2222);
    assert_true(s->inv.hosts[2].sudo);
    assert_false(s->inv.hosts[0].sudo);
    assert_int_equal(s->inv.hosts[0].connect_timeout_us, 5000000);
    assert_int_equal(s->nprobes, 1);
    const fd_probe *p = &s->probes[0];
    assert_int_equal(p->type, FD_PROBE_REDIS);
    assert_true(p->write);
    assert_int_equal(p->interval_us, 10000);
    assert_int_equal(p->timeout_us, 500000);
    assert_int_equal(p->settle_us, 5000000);
    assert_int_equal(p->sentinel_addresses.n, 3);
    assert_string_equal(p->sentinel_addresses.v[1], "10.77.0.22:26379");
    assert_string_equal(p->sentinel_master, "mymaster");
    assert_int_equal(s->nsteady, 1);
    assert_int_equal(s->steady[0].availability.op, FD_CMP_GE);
    assert_int_equal(s->steady[0].for_us, 3000000);
    assert_int_equal(s->nsteps, 3);
    const fd_step *st = &s->steps[0];
    assert_int_equal(st->kind, FD_STEP_FAULT);
    assert_string_equal(st->id, "cut");
    assert_int_equal(st->fault.type, FD_FAULT_PARTITION);
    assert_int_equal(st->fault.mode, FD_PART_ISOLATE);
    assert_false(st->fault.clients_cut);
    assert_int_equal(st->fault.duration_us, 20000000);
    assert_int_equal(st->fault.ttl_us, 300000000); /* from safety.ttl */
    assert_int_equal(st->fault.target.pick, FD_PICK_ONE);
    assert_string_equal(st->fault.target.role, "redis");
    assert_string_equal(s->steps[1].id, "wait-2");
    assert_int_equal(s->steps[1].wait_us, 25000000);
    assert_int_equal(s->steps[2].wait_for.healthy_for_us, 3000000);
    assert_int_equal(s->nchecks, 3);
    assert_int_equal(s->checks[0].metric, FD_METRIC_FAILOVER_TIME);
    assert_true(s->checks[0].is_max);
    assert_float_equal(s->checks[0].limit, 15.0, 1e-9);
    assert_float_equal(s->checks[2].limit, 0.5, 1e-9);
    assert_false(s->checks[2].is_max);
    assert_int_equal(s->max_hosts_affected, 1);
    assert_true(s->has_abort_if);
    assert_int_equal(s->abort_if.availability.op, FD_CMP_LT);
    assert_int_equal(s->formats,
                     FD_FORMAT_JSON | FD_FORMAT_HTML | FD_FORMAT_JUNIT | FD_FORMAT_MARKDOWN);
    /* the environment value is a secret, to be redacted everywhere */
    char *r = fd_redact(&s->vars, "addresses: 10.77.0.21:26379, 10.77.0.22:26379,10.77.0.23:26379");
    assert_string_equal(r, "addresses: ***");
    free(r);
    fd_scenario_free(s);
    unsetenv("FD_SENTINELS");
}

static void test_every_fault_typed(void **state)
{
    fd_scenario *s = load_valid("every-fault.yaml", NULL);
    assert_int_equal(s->nsteps, 17);
    const fd_fault *k = &s->steps[0].fault;
    assert_int_equal(k->type, FD_FAULT_KILL);
    assert_string_equal(k->signal, "TERM");
    assert_string_equal(k->restart, "redis-server /etc/redis.conf");
    assert_int_equal(k->ttl_us, 60000000);
    assert_string_equal(s->steps[2].fault.signal, "9");
    assert_string_equal(s->steps[1].fault.signal, "KILL");
    assert_int_equal(s->steps[4].fault.target.pick, FD_PICK_RANDOM);
    assert_int_equal(s->steps[4].fault.target.pick_n, 1);
    assert_true(s->steps[6].fault.clients_cut);
    assert_int_equal(s->steps[7].fault.mode, FD_PART_SPLIT);
    assert_int_equal(s->steps[7].fault.ngroups, 2);
    assert_string_equal(s->steps[7].fault.groups[1].datacenter, "west");
    assert_int_equal(s->steps[8].fault.mode, FD_PART_ONEWAY);
    assert_string_equal(s->steps[9].fault.datacenter, "west");
    assert_float_equal(s->steps[10].fault.loss, 0.3, 1e-9);
    assert_int_equal(s->steps[10].fault.target.pick, FD_PICK_PERCENT);
    const fd_fault *n = &s->steps[11].fault;
    assert_int_equal(n->delay_us, 100000);
    assert_int_equal(n->jitter_us, 10000);
    assert_float_equal(n->duplicate, 0.005, 1e-9);
    assert_string_equal(n->rate, "1mbit");
    assert_string_equal(n->device, "eth0");
    assert_float_equal(s->steps[12].fault.size_percent, 95.0, 1e-9);
    assert_int_equal(s->steps[13].fault.size_bytes, 3ULL << 29);
    assert_string_equal(s->steps[14].fault.revert, "rm -f /tmp/flag");
    assert_string_equal(s->steps[15].heal, "k2");
    assert_int_equal(s->steps[0].fault.duration_us, 5000000);
    assert_int_equal(s->steps[1].fault.duration_us, 0);
    assert_int_equal(s->steps[1].fault.ttl_us, 600000000); /* default safety.ttl 10m */
    assert_int_equal(s->max_hosts_affected, -1);
    fd_scenario_free(s);
}

static void test_vars_override_and_inventory_override(void **state)
{
    fd_load_opts o = {0};
    fd_strv_push(&o.var_names, "proc");
    fd_strv_push(&o.var_values, "valkey-server");
    char *inv = fd_asprintf("%s/scenarios/valid/inventory.yaml", fd_test_data());
    o.inventory = inv;
    fd_scenario *s = load_valid("anchors-and-escapes.yaml", &o);
    assert_string_equal(s->steps[0].fault.process, "valkey-server");
    /* a var defined from an overridden one follows the override */
    assert_string_equal(s->steps[1].fault.unit, "valkey-server.service");
    /* $${...} leaves ${...} for the shell; the anchor is shared by both steps */
    assert_string_equal(s->steps[0].fault.target.where, "test \"${FD_HOST_NAME}\" = db1");
    assert_string_equal(s->steps[1].fault.target.where, "test \"${FD_HOST_NAME}\" = db1");
    fd_scenario_free(s);
    fd_strv_free(&o.var_names);
    fd_strv_free(&o.var_values);
    free(inv);
}

static void test_scenario_or_inventory(void **state)
{
    char *path = fd_asprintf("%s/scenarios/valid/inventory.yaml", fd_test_data());
    fd_scenario s;
    bool is_scenario = true;
    fd_diags d = {0};
    assert_int_equal(fd_load_scenario_or_inventory(path, NULL, &s, &is_scenario, &d), FD_OK);
    assert_false(is_scenario);
    assert_int_equal(s.inv.n, 3);
    /* identity and known_hosts: ~ expanded */
    const char *home = getenv("HOME");
    char *want = fd_asprintf("%s/.ssh/known_hosts", home ? home : "");
    assert_string_equal(s.inv.hosts[0].known_hosts, want);
    free(want);
    fd_scenario_free(&s);
    free(path);
}

/* `jump:` from the defaults or the host, split as ssh -J writes it, and the ProxyCommand
 * that carries a host's connection through it: every value a single shell word, the
 * jump host's key checked against the inventory's known_hosts. */
static void test_jump_hosts(void **state)
{
    static const char text[] =
        "version: 1\nname: j\ninventory:\n"
        "  defaults: { jump: 'ops@bastion.example:2222', known_hosts: '/k h', identity: /id }\n"
        "  hosts:\n"
        "    - { name: h1, address: 10.0.0.1, user: deploy }\n"
        "    - { name: h2, address: 10.0.0.2, user: deploy, jump: '10.1.0.1' }\n"
        "    - { name: h3, address: 10.0.0.3, jump: '[fd00::1]:22' }\n"
        "timeline:\n  - wait: 1s\n";
    fd_scenario s;
    fd_diags d = {0};
    assert_int_equal(fd_scenario_load_text("/tmp/j.yaml", text, strlen(text), NULL, &s, &d), FD_OK);
    fd_diag_clear(&d);
    const fd_host *h = s.inv.hosts;
    assert_string_equal(h[0].jump_user, "ops");
    assert_string_equal(h[0].jump_host, "bastion.example");
    assert_int_equal(h[0].jump_port, 2222);
    assert_null(h[1].jump_user);
    assert_string_equal(h[1].jump_host, "10.1.0.1");
    assert_int_equal(h[1].jump_port, 22);
    assert_string_equal(h[2].jump_host, "fd00::1");
    char *pc = fd_jump_command(&h[0], NULL);
    assert_string_equal(pc, "exec ssh -W %h:%p -o BatchMode=yes -o StrictHostKeyChecking=yes "
                            "-o LogLevel=ERROR -o GlobalKnownHostsFile=/dev/null "
                            "-o ConnectTimeout=5 -o UserKnownHostsFile='/k h' "
                            "-o IdentitiesOnly=yes -i /id -l ops -p 2222 -- bastion.example");
    free(pc);
    pc = fd_jump_command(&h[1], "/tmp/e r"); /* no user of its own: the host's */
    assert_non_null(strstr(pc, " -l deploy -p 22 -- 10.1.0.1 2>>'/tmp/e r'"));
    free(pc);
    fd_scenario_free(&s);
}

/* The monitoring keys, typed: a prometheus probe, value conditions, value and alert
 * checks, the Alertmanager gate, the Pushgateway. */
static void test_monitoring_typed(void **state)
{
    (void)state;
    fd_scenario *s = load_valid("monitoring.yaml", NULL);
    const fd_probe *p = &s->probes[1];
    assert_int_equal(p->type, FD_PROBE_PROMETHEUS);
    assert_string_equal(p->url, "http://10.77.0.9:9090/");
    assert_string_equal(p->query, "min(etcd_server_has_leader{job=\"etcd\"})");
    assert_int_equal(p->nlabels, 2);
    assert_string_equal(p->labels[1].key, "host");
    assert_string_equal(p->labels[1].value, "h1");
    assert_int_equal(p->nheaders, 1);
    assert_false(s->steady[0].on_value);
    assert_true(s->steady[1].on_value);
    assert_int_equal(s->steady[1].value.op, FD_CMP_GE);
    assert_true(s->steady[1].value.value == 1.0);
    assert_true(s->abort_if.on_value);
    assert_int_equal(s->abort_if.value.op, FD_CMP_LT);
    assert_int_equal(s->checks[0].metric, FD_METRIC_VALUE_MIN);
    assert_string_equal(s->checks[0].during, "kill");
    assert_true(s->checks[0].is_max && s->checks[0].limit == 0.0);
    assert_true(s->checks[2].limit == -0.25);
    assert_string_equal(s->checks[3].alert, "EtcdNoLeader");
    assert_int_equal(s->checks[3].metric, FD_METRIC_TIME_TO_ALERT);
    assert_true(s->checks[3].limit == 10.0);
    assert_int_equal(s->checks[4].metric, FD_METRIC_TIME_TO_RESOLVE);
    assert_true(s->checks[4].limit == 60.0);
    assert_true(s->alerts.set);
    assert_string_equal(s->alerts.alertmanager, "http://10.77.0.9:9093");
    assert_int_equal(s->alerts.matchers.n, 3);
    assert_string_equal(s->alerts.matchers.v[2], "team=\"a \\\"b\\\" c\"");
    assert_int_equal(s->alerts.expect.n, 1);
    assert_int_equal(s->alerts.interval_us, 500000);
    assert_int_equal(s->alerts.nheaders, 1);
    assert_string_equal(s->alerts.headers[0].key, "Authorization");
    assert_string_equal(s->pushgateway, "http://10.77.0.9:9091");
    fd_scenario_free(s);
}

/* Alertmanager's matchers: a name, an operator, a value in double quotes and nothing
 * after it. */
static void test_alert_matchers(void **state)
{
    (void)state;
    assert_true(fd_alert_matcher_valid("severity=\"critical\""));
    assert_true(fd_alert_matcher_valid("alertname=~\"Redis.*\""));
    assert_true(fd_alert_matcher_valid("a!=\"\""));
    assert_true(fd_alert_matcher_valid("_x!~\"a\\\"b\""));
    assert_false(fd_alert_matcher_valid("severity=critical"));
    assert_false(fd_alert_matcher_valid("severity==\"x\""));
    assert_false(fd_alert_matcher_valid("1a=\"x\""));
    assert_false(fd_alert_matcher_valid("a=\"x\" b=\"y\""));
    assert_false(fd_alert_matcher_valid("a=\"x\\\""));
    assert_false(fd_alert_matcher_valid("=\"x\""));
}

/* Every probe type registers its reader, its keys and whether it writes; tcp, command
 * and prometheus are the ones without a write mode, and prometheus alone measures. */
static void test_probe_types(void **state)
{
    for (int t = 0; t < FD_PROBE_COUNT; t++) {
        const fd_probe_type_ops *ops = fd_probe_ops_for((fd_probe_type)t);
        assert_non_null(ops);
        assert_int_equal(ops->type, t);
        assert_non_null(ops->keys);
        assert_non_null(ops->read);
        assert_non_null(ops->open);
        assert_non_null(ops->op);
        assert_int_equal(ops->writes,
                         t != FD_PROBE_TCP && t != FD_PROBE_COMMAND && t != FD_PROBE_PROMETHEUS);
        assert_int_equal(ops->measure != NULL, t == FD_PROBE_PROMETHEUS);
        assert_non_null(ops->read_back); /* a reader says why when it has nothing */
    }
    assert_null(fd_probe_ops_for(FD_PROBE_COUNT));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_invalid_corpus),
        cmocka_unit_test(test_valid_corpus),
        cmocka_unit_test(test_spec_example_typed),
        cmocka_unit_test(test_jump_hosts),
        cmocka_unit_test(test_probe_types),
        cmocka_unit_test(test_monitoring_typed),
        cmocka_unit_test(test_alert_matchers),
        cmocka_unit_test(test_every_fault_typed),
        cmocka_unit_test(test_vars_override_and_inventory_override),
        cmocka_unit_test(test_scenario_or_inventory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
