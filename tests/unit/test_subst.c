/* test_subst.c: ${var} / ${env:...} substitution and secret redaction. */
#include "fdtest.h"
#include "subst.h"

static char *expand(fd_vars *v, const char *s, bool *env, char **err)
{
    return fd_subst(v, s, env, err);
}

static void test_vars_and_env(void **state)
{
    fd_vars v = {0};
    fd_vars_set(&v, "master", "mymaster");
    setenv("FD_TEST_SECRET", "s3cr3t-token", 1);
    unsetenv("FD_TEST_UNSET");
    bool env;
    char *err = NULL;
    char *s = expand(&v, "m=${master} t=${env:FD_TEST_SECRET}", &env, &err);
    assert_non_null(s);
    assert_string_equal(s, "m=mymaster t=s3cr3t-token");
    assert_true(env);
    free(s);
    s = expand(&v, "${env:FD_TEST_UNSET:-fallback:with-colon}", &env, &err);
    assert_string_equal(s, "fallback:with-colon");
    assert_false(env);
    free(s);
    s = expand(&v, "plain $HOME and $${LITERAL} and ${value}", &env, &err);
    assert_string_equal(s, "plain $HOME and ${LITERAL} and ${value}");
    free(s);
    /* the secret is redacted wherever it appears */
    char *r = fd_redact(&v, "url=https://x/?t=s3cr3t-token&u=s3cr3t-token");
    assert_string_equal(r, "url=https://x/?t=***&u=***");
    free(r);
    fd_vars_free(&v);
}

/* ${q:...}: one shell word whatever the value holds; secrets are redacted in every
 * form firedrill writes them (raw, inside shell quotes, escaped, in JSON). */
static void test_quoted_and_redacted_forms(void **state)
{
    fd_vars v = {0};
    fd_vars_set(&v, "proc", "a b;c");
    setenv("FD_TEST_QSECRET", "it's \"x\"\n", 1);
    bool env = false;
    char *err = NULL;
    char *s = expand(&v, "kill ${q:proc}", &env, &err);
    assert_non_null(s);
    assert_string_equal(s, "kill 'a b;c'");
    assert_false(env);
    free(s);
    s = expand(&v, "echo ${q:env:FD_TEST_QSECRET}", &env, &err);
    assert_non_null(s);
    assert_string_equal(s, "echo 'it'\\''s \"x\"\n'");
    assert_true(env);
    free(s);
    s = expand(&v, "${q:env:FD_TEST_QUNSET:-d e}", &env, &err);
    assert_string_equal(s, "'d e'");
    free(s);
    assert_null(expand(&v, "${q:nope}", &env, &err));
    assert_non_null(strstr(err, "undefined variable 'nope'"));
    free(err);
    const char *forms[] = {"raw it's \"x\"\n.", "sh 'it'\\''s \"x\"\n'.", "msg it's \"x\"\\n.",
                           "json it's \\\"x\\\"\n."};
    const char *want[] = {"raw ***.", "sh ***.", "msg ***.", "json ***."};
    for (size_t i = 0; i < 4; i++) {
        char *r = fd_redact(&v, forms[i]);
        assert_string_equal(r, want[i]);
        free(r);
    }
    fd_vars_free(&v);
}

static void test_errors(void **state)
{
    fd_vars v = {0};
    unsetenv("FD_TEST_UNSET");
    const char *bad[] = {"${missing}", "${env:FD_TEST_UNSET}", "${oops", "${1bad}", "${env:}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *err = NULL;
        char *s = fd_subst(&v, bad[i], NULL, &err);
        assert_null(s);
        assert_non_null(err);
        free(err);
    }
    char *err = NULL;
    assert_null(fd_subst(&v, "${missing}", NULL, &err));
    assert_string_equal(err, "undefined variable 'missing' (define it under 'vars' or with --var; "
                             "write '$${missing}' to leave it to the shell)");
    free(err);
    fd_vars_free(&v);
}

static void test_var_from_env_is_secret(void **state)
{
    fd_vars v = {0};
    setenv("FD_TEST_SECRET2", "hunter2", 1);
    bool env = false;
    char *err = NULL;
    char *val = fd_subst(&v, "${env:FD_TEST_SECRET2}", &env, &err);
    fd_vars_set(&v, "pw", val);
    free(val);
    char *s = fd_subst(&v, "password=${pw}", &env, &err);
    assert_string_equal(s, "password=hunter2");
    assert_true(env);
    free(s);
    fd_vars_free(&v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quoted_and_redacted_forms),
        cmocka_unit_test(test_vars_and_env),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_var_from_env_is_secret),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
