/* test_init.c: filling the placeholders of `firedrill init`'s templates from an
 * inventory (that every shipped template validates as written is tests/cli). */
#include "fdtest.h"
#include "init.h"
#include "scenario.h"

static void load_inventory(fd_inventory *inv, const char *text)
{
    char *scen = fd_asprintf("version: 1\nname: s\ninventory:\n%stimeline:\n  - wait: 1s\n", text);
    fd_scenario s;
    fd_diags d = {0};
    assert_int_equal(fd_scenario_load_text("/tmp/s.yaml", scen, strlen(scen), NULL, &s, &d), FD_OK);
    *inv = s.inv;
    memset(&s.inv, 0, sizeof s.inv);
    fd_scenario_free(&s);
    free(scen);
}

static void test_placeholders(void **state)
{
    (void)state;
    fd_inventory inv;
    load_inventory(&inv, "  hosts:\n"
                         "    - { name: a, address: 'fd00::1', roles: [Redis_Servers] }\n"
                         "    - { name: b, address: 10.0.0.2, roles: [Redis_Servers, pg] }\n"
                         "    - { name: c, address: 10.0.0.3, roles: [pg] }\n");
    fd_strv notes = {0};
    char *err = NULL;
    char *out = fd_init_render("@{inventory}|@{target:redis}|@{list:redis:%:6379}|"
                               "@{list:redis:http://%/}|@{host:postgres|pg:3}@{addr:pg:2}:5432|"
                               "@{addr:redis:1}:1|@{target:etcd}",
                               &inv, "inventory: x", &notes, &err);
    assert_non_null(out);
    /* a role containing the keyword (case aside); IPv6 in brackets only before a port;
     * hosts counted round; no role: every host by name, with a note */
    assert_string_equal(out, "inventory: x|role: Redis_Servers|[fd00::1]:6379,10.0.0.2:6379|"
                             "http://fd00::1/,http://10.0.0.2/|b10.0.0.3:5432|[fd00::1]:1|"
                             "hosts: [a, b, c]");
    assert_int_equal(notes.n, 1);
    assert_non_null(strstr(notes.v[0], "'etcd'"));
    free(out);
    static const char *const bad[] = {"@{nope}",    "@{host:pg}", "@{host:pg:0}",
                                      "@{list:pg}", "@{target:}", "@{unclosed"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        out = fd_init_render(bad[i], &inv, "", &notes, &err);
        assert_null(out);
        assert_non_null(strstr(err, "placeholder"));
        free(err);
        err = NULL;
    }
    fd_strv_free(&notes);
    fd_inventory_free(&inv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_placeholders),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
