/* test_selector.c: matching and seeded picks. */
#include "fdtest.h"
#include "selector.h"

static fd_inventory inv;

static int setup(void **state)
{
    static const char *dcs[] = {"dc-a", "dc-b", "dc-c"};
    inv.n = 9;
    inv.hosts = fd_xcalloc(inv.n, sizeof *inv.hosts);
    for (size_t i = 0; i < inv.n; i++) {
        fd_host *h = &inv.hosts[i];
        h->name = fd_asprintf("h%zu", i + 1);
        h->address = fd_asprintf("10.77.0.%zu", i + 11);
        h->datacenter = fd_strdup(dcs[i % 3]);
        fd_strv_push(&h->roles, "redis");
        if (i < 3)
            fd_strv_push(&h->roles, "etcd");
    }
    return 0;
}

static int teardown(void **state)
{
    fd_inventory_free(&inv);
    return 0;
}

static void test_match(void **state)
{
    size_t out[9];
    fd_selector s = {.set = true};
    s.role = "etcd";
    assert_int_equal(fd_selector_match(&s, &inv, out), 3);
    s.datacenter = "dc-b";
    assert_int_equal(fd_selector_match(&s, &inv, out), 1);
    assert_int_equal(out[0], 1);
    s.role = NULL;
    assert_int_equal(fd_selector_match(&s, &inv, out), 3);
    assert_int_equal(out[2], 7);
    fd_selector h = {.set = true};
    fd_strv_push(&h.hosts, "h9");
    fd_strv_push(&h.hosts, "h2");
    assert_int_equal(fd_selector_match(&h, &inv, out), 2);
    assert_int_equal(out[0], 1); /* inventory order */
    assert_int_equal(out[1], 8);
    fd_strv_free(&h.hosts);
}

static void test_pick(void **state)
{
    fd_selector s = {.set = true, .role = "redis"};
    size_t out[9];
    fd_rng rng;
    fd_rng_seed(&rng, 42);
    s.pick = FD_PICK_ONE;
    size_t n = fd_selector_match(&s, &inv, out);
    assert_int_equal(fd_selector_pick(&s, out, n, &rng), 1);
    assert_int_equal(out[0], 0);
    s.pick = FD_PICK_PERCENT;
    s.pick_n = 50;
    n = fd_selector_match(&s, &inv, out);
    assert_int_equal(fd_selector_pick(&s, out, n, &rng), 5); /* ceil(9 * 0.5) */
    s.pick_n = 1;
    n = fd_selector_match(&s, &inv, out);
    assert_int_equal(fd_selector_pick(&s, out, n, &rng), 1);
    s.pick = FD_PICK_RANDOM;
    s.pick_n = 20;
    n = fd_selector_match(&s, &inv, out);
    assert_int_equal(fd_selector_pick(&s, out, n, &rng), 9);
}

static void test_random_is_seeded_and_distinct(void **state)
{
    fd_selector s = {.set = true, .role = "redis", .pick = FD_PICK_RANDOM, .pick_n = 4};
    size_t a[9], b[9], c[9];
    fd_rng r1, r2, r3;
    fd_rng_seed(&r1, 7);
    fd_rng_seed(&r2, 7);
    fd_rng_seed(&r3, 8);
    size_t na = fd_selector_pick(&s, a, fd_selector_match(&s, &inv, a), &r1);
    size_t nb = fd_selector_pick(&s, b, fd_selector_match(&s, &inv, b), &r2);
    size_t nc = fd_selector_pick(&s, c, fd_selector_match(&s, &inv, c), &r3);
    assert_int_equal(na, 4);
    assert_int_equal(nb, 4);
    assert_int_equal(nc, 4);
    assert_memory_equal(a, b, 4 * sizeof a[0]); /* same seed, same hosts */
    for (size_t i = 0; i < 4; i++)
        for (size_t j = i + 1; j < 4; j++) {
            assert_true(a[i] != a[j]);
            assert_true(a[i] < a[j]); /* kept in inventory order */
        }
    /* over many seeds every host gets picked: the sample is not stuck */
    int seen[9] = {0};
    for (uint64_t seed = 0; seed < 200; seed++) {
        fd_rng r;
        fd_rng_seed(&r, seed);
        size_t o[9];
        size_t n = fd_selector_pick(&s, o, fd_selector_match(&s, &inv, o), &r);
        for (size_t i = 0; i < n; i++)
            seen[o[i]]++;
    }
    for (size_t i = 0; i < 9; i++)
        assert_true(seen[i] > 40 && seen[i] < 140); /* about 200 * 4/9 = 89 each */
    (void)nc;
}

/* A selector's pick depends on the seed and on the selector alone, not on the picks
 * made before it: `plan` (which does not run `where`) and `run` agree. */
static void test_pick_independent_of_earlier_draws(void **state)
{
    fd_selector a = {
        .set = true, .role = "redis", .pick = FD_PICK_RANDOM, .pick_n = 2, .line = 10, .col = 5};
    fd_selector b = {
        .set = true, .role = "redis", .pick = FD_PICK_RANDOM, .pick_n = 3, .line = 14, .col = 5};
    for (uint64_t seed = 1; seed <= 20; seed++) {
        size_t alone[9], after[9], tmp[9];
        fd_rng rb = fd_selector_rng(seed, &b);
        size_t nb = fd_selector_match(&b, &inv, alone);
        nb = fd_selector_pick(&b, alone, nb, &rb);
        /* a (any number of draws, as a `where` would make) picked first */
        fd_rng ra = fd_selector_rng(seed, &a);
        size_t na = fd_selector_match(&a, &inv, tmp);
        fd_selector_pick(&a, tmp, na, &ra);
        fd_selector_pick(&a, tmp, na, &ra);
        fd_rng rb2 = fd_selector_rng(seed, &b);
        size_t nb2 = fd_selector_match(&b, &inv, after);
        nb2 = fd_selector_pick(&b, after, nb2, &rb2);
        assert_int_equal(nb, nb2);
        assert_memory_equal(alone, after, nb * sizeof *alone);
    }
    /* selectors at different places draw different streams */
    fd_rng x = fd_selector_rng(7, &a), y = fd_selector_rng(7, &b);
    assert_true(fd_rng_next(&x) != fd_rng_next(&y));
}

static void test_describe(void **state)
{
    fd_selector s = {.set = true, .role = "redis", .where = "true", .pick = FD_PICK_ONE};
    char *d = fd_selector_describe(&s);
    assert_string_equal(d, "role=redis, where `true`, pick one");
    free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_match),
        cmocka_unit_test(test_pick),
        cmocka_unit_test(test_random_is_seeded_and_distinct),
        cmocka_unit_test(test_pick_independent_of_earlier_draws),
        cmocka_unit_test(test_describe),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
