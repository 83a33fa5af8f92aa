/* test_value.c: the strict scalar parsers, and splitting host output into lines. */
#include "fdtest.h"
#include "util.h"
#include "value.h"

static void test_durations(void **state)
{
    int64_t us;
    assert_true(fd_parse_duration("250ms", &us));
    assert_int_equal(us, 250000);
    assert_true(fd_parse_duration("1.5s", &us));
    assert_int_equal(us, 1500000);
    assert_true(fd_parse_duration("2m", &us));
    assert_int_equal(us, 120000000);
    assert_true(fd_parse_duration("1h", &us));
    assert_int_equal(us, 3600000000LL);
    assert_true(fd_parse_duration("0.5ms", &us));
    assert_int_equal(us, 500);
    assert_true(fd_parse_duration("0s", &us));
    assert_int_equal(us, 0);
    /* refused: bare numbers, signs, spaces, unknown units, exponents, overflow */
    const char *bad[] = {"20", "-1s", "+1s", " 1s", "1s ", "1 s", "1sec", "1e3ms", "1.s", ".5s",
                         "0x10s", "inf", "nan", "", "s", "1d", "31d", "721h", "99999999999999h",
                         /* 13 digits: their micro-units overflow 64 bits (UBSan) */
                         "9999999999999s", "9999999999999ms", "9999999999999.5h"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(fd_parse_duration(bad[i], &us));
    assert_true(fd_parse_duration("720h", &us));
}

static void test_ratios_rates(void **state)
{
    double r;
    assert_true(fd_parse_ratio("0.99", &r));
    assert_float_equal(r, 0.99, 1e-9);
    assert_true(fd_parse_ratio("99%", &r));
    assert_float_equal(r, 0.99, 1e-9);
    assert_true(fd_parse_ratio("100%", &r));
    assert_float_equal(r, 1.0, 1e-9);
    assert_true(fd_parse_ratio("0", &r));
    assert_false(fd_parse_ratio("1.01", &r));
    assert_false(fd_parse_ratio("101%", &r));
    assert_false(fd_parse_ratio("-0.1", &r));
    assert_false(fd_parse_ratio("50 %", &r));
    assert_true(fd_parse_rate("100/s", &r));
    assert_float_equal(r, 100.0, 1e-9);
    assert_true(fd_parse_rate("0.5/s", &r));
    assert_false(fd_parse_rate("100", &r));
    assert_false(fd_parse_rate("0/s", &r));
    assert_false(fd_parse_rate("100/m", &r));
}

static void test_comparisons(void **state)
{
    fd_cmp c;
    assert_true(fd_parse_cmp(">= 0.99", &c));
    assert_int_equal(c.op, FD_CMP_GE);
    assert_true(fd_cmp_holds(&c, 0.99));
    assert_false(fd_cmp_holds(&c, 0.98));
    assert_true(fd_parse_cmp("<1%", &c));
    assert_int_equal(c.op, FD_CMP_LT);
    assert_float_equal(c.value, 0.01, 1e-9);
    assert_true(fd_cmp_holds(&c, 0.0));
    assert_false(fd_cmp_holds(&c, 0.01));
    assert_true(fd_parse_cmp("> 0", &c));
    assert_true(fd_parse_cmp("<= 1", &c));
    assert_false(fd_parse_cmp("=> 0.9", &c));
    assert_false(fd_parse_cmp("== 0.9", &c));
    assert_false(fd_parse_cmp("0.9", &c));
    assert_false(fd_parse_cmp(">= 2", &c));
}

static void test_sizes_bandwidth(void **state)
{
    uint64_t b;
    double pct;
    assert_true(fd_parse_size("10G", &b, &pct));
    assert_int_equal(b, 10ULL << 30);
    assert_float_equal(pct, 0, 0);
    assert_true(fd_parse_size("1.5M", &b, &pct));
    assert_int_equal(b, 3ULL << 19);
    assert_true(fd_parse_size("95%", &b, &pct));
    assert_float_equal(pct, 95.0, 1e-9);
    assert_int_equal(b, 0);
    assert_false(fd_parse_size("10GB", &b, &pct));
    assert_false(fd_parse_size("0%", &b, &pct));
    assert_false(fd_parse_size("101%", &b, &pct));
    assert_false(fd_parse_size("10", &b, &pct));
    assert_false(fd_parse_size("0K", &b, &pct));
    assert_true(fd_parse_bandwidth("1mbit"));
    assert_true(fd_parse_bandwidth("500kbps"));
    assert_false(fd_parse_bandwidth("fast"));
    assert_false(fd_parse_bandwidth("1 mbit"));
    assert_false(fd_parse_bandwidth("0mbit"));
}

static void test_format_duration(void **state)
{
    struct {
        int64_t us;
        const char *s;
    } cases[] = {{250000, "250ms"}, {1500000, "1.5s"}, {120000000, "2m"}, {3600000000LL, "1h"},
                 {1000000, "1s"},   {500, "0.500ms"},  {90000000, "1.5m"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *s = fd_format_duration(cases[i].us);
        /* every formatted duration parses back to itself */
        int64_t back;
        if (strchr(s, '.') == NULL || strstr(s, "ms") == NULL) {
            assert_true(fd_parse_duration(s, &back));
            assert_int_equal(back, cases[i].us);
        }
        if (cases[i].us != 90000000)
            assert_string_equal(s, cases[i].s);
        free(s);
    }
}

static void test_uint(void **state)
{
    int64_t v;
    assert_true(fd_parse_uint("0", 10, &v));
    assert_int_equal(v, 0);
    assert_true(fd_parse_uint("65535", 65535, &v));
    assert_false(fd_parse_uint("65536", 65535, &v));
    assert_false(fd_parse_uint("", 10, &v));
    assert_false(fd_parse_uint("-1", 10, &v));
    assert_false(fd_parse_uint("1.0", 10, &v));
    assert_false(fd_parse_uint("99999999999999999999999", INT64_MAX / 10, &v));
}

/* UTC times as recovery targets: Z or +00:00 only, real dates only. */
static void test_utc_time(void **state)
{
    double t;
    assert_true(fd_parse_utc_time("1970-01-01T00:00:00Z", &t));
    assert_true(t == 0.0);
    assert_true(fd_parse_utc_time("2026-12-02T12:31:20Z", &t));
    assert_true(t == 1796214680.0);
    assert_true(fd_parse_utc_time("2026-12-02 12:31:20.25+00:00", &t));
    assert_true(t == 1796214680.25);
    assert_true(fd_parse_utc_time("2024-02-29T23:59:59+00", &t)); /* a leap day */
    assert_true(t == 1709251199.0);
    static const char *const bad[] = {"2026-12-02T12:31:20", /* no zone: local time is ambiguous */
                                      "2026-12-02T12:31:20+01:00", /* only UTC */
                                      "2025-02-29T00:00:00Z",
                                      "2026-13-01T00:00:00Z",
                                      "2026-12-32T00:00:00Z",
                                      "2026-12-02T24:00:00Z",
                                      "2026-12-02T12:31:60Z",
                                      "1969-12-31T23:59:59Z",
                                      "2026-12-02T12:31:20.Z",
                                      "2026-12-02T12:31:20.1234567890Z",
                                      "26-12-02T12:31:20Z",
                                      "2026-12-02T12:31:20Zjunk",
                                      "",
                                      "latest"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_false(fd_parse_utc_time(bad[i], &t));
}

/* Splits text into its lines: every line once, an empty line kept, no empty line
 * invented after a final newline, and *p says whether the last line ended with one. */
static void test_next_line(void **state)
{
    const char *text = "one\n\nthree\nfour", *p = text;
    const char *want[] = {"one", "", "three", "four"};
    size_t n = 0;
    for (char *line; (line = fd_next_line(&p)); free(line), n++) {
        assert_true(n < 4);
        assert_string_equal(line, want[n]);
    }
    assert_int_equal(n, 4);
    assert_null(p); /* "four" had no newline */
    p = "a\n";
    char *line = fd_next_line(&p);
    assert_string_equal(line, "a");
    free(line);
    assert_non_null(p);
    assert_null(fd_next_line(&p));
    p = NULL;
    assert_null(fd_next_line(&p));
}

/* Numbers and comparisons with them: a decimal with an optional sign and exponent, no
 * hex, inf, nan or trailing text. */
static void test_numbers(void **state)
{
    (void)state;
    double v;
    assert_true(fd_parse_number("2", &v) && v == 2.0);
    assert_true(fd_parse_number("-0.5", &v) && v == -0.5);
    assert_true(fd_parse_number("1e3", &v) && v == 1000.0);
    assert_true(fd_parse_number("2.5E-1", &v) && v == 0.25);
    const char *bad[] = {"",    "-",  "+1",  ".5", "1.",  "0x10",  "inf",
                         "nan", "1e", "1e+", "1 ", "1,5", "1e999", "--1"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_false(fd_parse_number(bad[i], &v));
    fd_cmp c;
    assert_true(fd_parse_cmp_number("> 2", &c) && c.op == FD_CMP_GT && c.value == 2.0);
    assert_true(fd_parse_cmp_number("<=-1", &c) && c.op == FD_CMP_LE && c.value == -1.0);
    assert_true(fd_parse_cmp_number(">= 150", &c) && c.value == 150.0);
    assert_false(fd_parse_cmp_number("= 1", &c));
    assert_false(fd_parse_cmp_number("< 1%", &c));
    assert_false(fd_parse_cmp_number("2", &c));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_durations),       cmocka_unit_test(test_ratios_rates),
        cmocka_unit_test(test_comparisons),     cmocka_unit_test(test_sizes_bandwidth),
        cmocka_unit_test(test_format_duration), cmocka_unit_test(test_uint),
        cmocka_unit_test(test_next_line),       cmocka_unit_test(test_utc_time),
        cmocka_unit_test(test_numbers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
