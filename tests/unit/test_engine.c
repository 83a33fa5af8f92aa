/* test_engine.c: the engine's pure parts and its shared state: the verdict for each
 * outcome, the step table, and outcome recording from several threads at once (run
 * under ThreadSanitizer in the TSan build). */
#include "fdtest.h"
#include "steps.h"
#include "verdict.h"

#include <pthread.h>

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_verdict_order),
        cmocka_unit_test(test_every_step_kind_has_an_executor),
        cmocka_unit_test(test_outcomes_from_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
