/* test_yamldoc.c: the YAML layer refuses hostile input and keeps positions. */
#include "fdtest.h"
#include "util.h"
#include "yamldoc.h"

static fd_ydoc *parse(const char *text, size_t len, fd_diags *d)
{
    return fd_ydoc_parse("t.yaml", text, len, d);
}

static void expect_error(const char *text, size_t len, const char *msg)
{
    fd_diags d = {0};
    fd_ydoc *doc = parse(text, len, &d);
    assert_null(doc);
    assert_int_equal(d.n, 1);
    if (strcmp(d.msgs[0], msg) != 0)
        fail_msg("got '%s', expected '%s'", d.msgs[0], msg);
    fd_diag_clear(&d);
}

static void test_positions(void **state)
{
    const char *t = "a: 1\nb:\n  - x\n  - { c: d }\n";
    fd_diags d = {0};
    fd_ydoc *doc = parse(t, strlen(t), &d);
    assert_non_null(doc);
    fd_ynode *b = fd_ymap_get(doc->root, "b");
    assert_int_equal(b->kind, FD_Y_SEQ);
    assert_int_equal(b->n, 2);
    assert_int_equal(b->items[0]->line, 3);
    assert_int_equal(b->items[0]->col, 5);
    fd_ynode *c = fd_ymap_get(b->items[1], "c");
    assert_string_equal(c->str, "d");
    assert_int_equal(c->line, 4);
    assert_int_equal(c->col, 10);
    fd_ydoc_free(doc);
}

static void test_alias_bomb(void **state)
{
    /* the "billion laughs": 10^9 nodes once expanded, a few hundred bytes written */
    fd_buf b;
    fd_buf_init(&b, 0);
    fd_buf_puts(&b, "a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for (char c = 'b'; c <= 'j'; c++) {
        char p = (char)(c - 1);
        fd_buf_printf(&b, "%c: &%c [*%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c]\n", c, c, p,
                      p, p, p, p, p, p, p, p, p);
    }
    fd_diags d = {0};
    int64_t t0 = fd_mono_us();
    assert_null(parse(b.data, b.len, &d));
    assert_int_equal(d.n, 1);
    assert_non_null(strstr(d.msgs[0], "more than 100000 nodes"));
    /* refused while reading, not after expanding: well under a second */
    assert_true(fd_mono_us() - t0 < 5000000);
    fd_diag_clear(&d);
    fd_buf_free(&b);
}

static void test_aliases_shared(void **state)
{
    const char *t = "a: &x { k: v }\nb: *x\n";
    fd_diags d = {0};
    fd_ydoc *doc = parse(t, strlen(t), &d);
    assert_non_null(doc);
    assert_ptr_equal(fd_ymap_get(doc->root, "a"), fd_ymap_get(doc->root, "b"));
    fd_ydoc_free(doc);
    expect_error("a: &x [1, *x]\n", 14,
                 "t.yaml:1:11: alias '*x' refers to a node that contains it");
    expect_error("a: *nope\n", 9, "t.yaml:1:4: alias '*nope' names no anchor defined before it");
    expect_error("? [a]\n: 1\n", 10, "t.yaml:1:3: mapping keys must be plain strings, got a list");
}

static void test_depth(void **state)
{
    char ok[200], bad[200];
    memset(ok, 0, sizeof ok);
    memset(bad, 0, sizeof bad);
    for (int i = 0; i < 64; i++)
        ok[i] = '[';
    for (int i = 0; i < 64; i++)
        ok[64 + i] = ']';
    for (int i = 0; i < 65; i++)
        bad[i] = '[';
    for (int i = 0; i < 65; i++)
        bad[65 + i] = ']';
    fd_diags d = {0};
    fd_ydoc *doc = parse(ok, strlen(ok), &d);
    assert_non_null(doc);
    fd_ydoc_free(doc);
    expect_error(bad, strlen(bad), "t.yaml:1:65: nesting is deeper than 64 levels");
}

static void test_duplicates_and_docs(void **state)
{
    expect_error("a: 1\nb: 2\na: 3\n", 15, "t.yaml:3:1: duplicate key 'a' (first at line 1)");
    expect_error("a: 1\n---\nb: 2\n", 14,
                 "t.yaml:2:1: only one YAML document is allowed in a file");
    expect_error("a: \"x\\0y\"\n", 10, "t.yaml:1:4: value contains a NUL character");
}

static void test_utf8(void **state)
{
    expect_error("a: \xc0\x80\n", 6, "t.yaml:1:4: file is not valid UTF-8 text (byte 0xc0)");
    expect_error("a: \xed\xa0\x80\n", 7, "t.yaml:1:4: file is not valid UTF-8 text (byte 0xed)");
    expect_error("a: b\nc: \xff\n", 9, "t.yaml:2:4: file is not valid UTF-8 text (byte 0xff)");
    expect_error("a: \xe2\x82\n", 6, "t.yaml:1:4: file is not valid UTF-8 text (byte 0xe2)");
    const char *good = "a: caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\xa5\n";
    fd_diags d = {0};
    fd_ydoc *doc = parse(good, strlen(good), &d);
    assert_non_null(doc);
    fd_ydoc_free(doc);
}

static void test_size_limit(void **state)
{
    size_t n = FD_YAML_MAX_BYTES + 1;
    char *big = fd_xmalloc(n);
    memset(big, '#', n);
    big[n - 1] = '\n';
    expect_error(big, n, "t.yaml: file is larger than 1 MiB (1048577 bytes)");
    free(big);
    /* and through the file reader, which stops reading at the limit */
    char path[] = "/tmp/fd-test-big-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    for (size_t written = 0; written <= FD_YAML_MAX_BYTES;)
        written +=
            (size_t)fprintf(f, "# ..........................................................\n");
    fclose(f);
    fd_diags d = {0};
    assert_null(fd_ydoc_load(path, &d));
    assert_int_equal(d.n, 1);
    char *want = fd_asprintf("%s: file is larger than 1 MiB", path);
    assert_string_equal(d.msgs[0], want);
    free(want);
    fd_diag_clear(&d);
    unlink(path);
}

static void test_syntax_error(void **state)
{
    expect_error("a: [1, 2\nb: 3\n", 14,
                 "t.yaml:2:2: invalid YAML: did not find expected ',' or ']' while parsing a flow "
                 "sequence (line 1)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_positions),           cmocka_unit_test(test_alias_bomb),
        cmocka_unit_test(test_aliases_shared),      cmocka_unit_test(test_depth),
        cmocka_unit_test(test_duplicates_and_docs), cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_size_limit),          cmocka_unit_test(test_syntax_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
