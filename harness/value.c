/* value.c: strict scalar parsers. strtod only reads what a strict check let through: it
 * accepts hex, inf, nan and locale forms that a scenario must never contain. */
#include "value.h"
#include "util.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Parses digits[.digits] at *p into a value scaled by 10^6 (micro-units). */
static bool parse_decimal_micro(const char **p, int64_t *out)
{
    const char *s = *p;
    int64_t whole = 0;
    int digits = 0;
    while (*s >= '0' && *s <= '9') {
        if (whole > 1000000000000LL)
            return false;
        whole = whole * 10 + (*s - '0');
        s++;
        digits++;
    }
    if (digits == 0 || whole > 1000000000000LL)
        return false; /* whole * 10^6 must fit in 63 bits */
    int64_t frac = 0, scale = 1000000;
    if (*s == '.') {
        s++;
        int fd = 0;
        while (*s >= '0' && *s <= '9') {
            if (fd < 6) {
                frac = frac * 10 + (*s - '0');
                scale /= 10;
            }
            fd++;
            s++;
        }
        if (fd == 0)
            return false;
    }
    *out = whole * 1000000 + frac * scale;
    *p = s;
    return true;
}

/* n digits at *p (and past them). */
static bool digits(const char **p, int n, int *out)
{
    *out = 0;
    for (int i = 0; i < n; i++, (*p)++) {
        if (**p < '0' || **p > '9')
            return false;
        *out = *out * 10 + (**p - '0');
    }
    return true;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

bool fd_parse_utc_time(const char *s, double *unix_s)
{
    int y, mo, d, h, mi, sec;
    const char *p = s;
    if (!digits(&p, 4, &y) || *p++ != '-' || !digits(&p, 2, &mo) || *p++ != '-' ||
        !digits(&p, 2, &d) || (*p != 'T' && *p != ' ') || !(++p, digits(&p, 2, &h)) ||
        *p++ != ':' || !digits(&p, 2, &mi) || *p++ != ':' || !digits(&p, 2, &sec))
        return false;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
        (mo == 2 && d == 29 && !leap) || h > 23 || mi > 59 || sec > 59)
        return false;
    double frac = 0;
    if (*p == '.') {
        p++;
        double scale = 0.1;
        if (*p < '0' || *p > '9')
            return false;
        for (int n = 0; *p >= '0' && *p <= '9'; p++, n++, scale /= 10) {
            if (n >= 9)
                return false;
            frac += (*p - '0') * scale;
        }
    }
    if (strcmp(p, "Z") != 0 && strcmp(p, "+00:00") != 0 && strcmp(p, "+00") != 0)
        return false;
    *unix_s = (double)(days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec) + frac;
    return true;
}

bool fd_parse_duration(const char *s, int64_t *us)
{
    int64_t v;
    const char *p = s;
    if (!parse_decimal_micro(&p, &v))
        return false;
    int64_t mult; /* unit in microseconds, applied to a value in micro-units */
    if (strcmp(p, "ms") == 0)
        mult = 1000;
    else if (strcmp(p, "s") == 0)
        mult = 1000000;
    else if (strcmp(p, "m") == 0)
        mult = 60000000;
    else if (strcmp(p, "h") == 0)
        mult = 3600000000LL;
    else
        return false;
    /* v is value*1e6; result = value*mult = v*mult/1e6, guarding overflow. */
    if (v > FD_DURATION_MAX_US / mult * 1000000)
        return false;
    __int128 r = (__int128)v * mult / 1000000;
    if (r > FD_DURATION_MAX_US)
        return false;
    *us = (int64_t)r;
    return true;
}

bool fd_parse_rate(const char *s, double *per_s)
{
    int64_t v;
    const char *p = s;
    if (!parse_decimal_micro(&p, &v))
        return false;
    if (strcmp(p, "/s") != 0 || v == 0 || v > (int64_t)1000000 * 1000000)
        return false;
    *per_s = (double)v / 1e6;
    return true;
}

bool fd_parse_ratio(const char *s, double *ratio)
{
    int64_t v;
    const char *p = s;
    if (!parse_decimal_micro(&p, &v))
        return false;
    double r = (double)v / 1e6;
    if (strcmp(p, "%") == 0)
        r /= 100.0;
    else if (*p)
        return false;
    if (r > 1.0)
        return false;
    *ratio = r;
    return true;
}

bool fd_parse_uint(const char *s, int64_t max, int64_t *out)
{
    if (!*s)
        return false;
    int64_t v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return false;
        v = v * 10 + (*p - '0');
        if (v > max)
            return false;
    }
    *out = v;
    return true;
}

/* The comparison operator at the start of s; *rest is what follows it and its spaces. */
static bool parse_cmp_op(const char *s, fd_cmp_op *out, const char **rest)
{
    fd_cmp_op op;
    if (fd_str_starts(s, ">=")) {
        op = FD_CMP_GE;
        s += 2;
    } else if (fd_str_starts(s, "<=")) {
        op = FD_CMP_LE;
        s += 2;
    } else if (*s == '>') {
        op = FD_CMP_GT;
        s++;
    } else if (*s == '<') {
        op = FD_CMP_LT;
        s++;
    } else {
        return false;
    }
    while (*s == ' ')
        s++;
    *out = op;
    *rest = s;
    return true;
}

bool fd_parse_cmp(const char *s, fd_cmp *c)
{
    fd_cmp_op op;
    double v;
    if (!parse_cmp_op(s, &op, &s) || !fd_parse_ratio(s, &v))
        return false;
    c->op = op;
    c->value = v;
    return true;
}

bool fd_parse_number(const char *s, double *out)
{
    /* [-]digits[.digits][e[+-]digits], checked before strtod reads it (the program
     * keeps the C locale): no hex, inf, nan or leading '+' */
    const char *c = s + (*s == '-');
    size_t d = strspn(c, "0123456789");
    if (!d)
        return false;
    c += d;
    if (*c == '.') {
        d = strspn(c + 1, "0123456789");
        if (!d)
            return false;
        c += 1 + d;
    }
    if (*c == 'e' || *c == 'E') {
        c += 1 + (c[1] == '+' || c[1] == '-');
        d = strspn(c, "0123456789");
        if (!d)
            return false;
        c += d;
    }
    if (*c)
        return false;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno || !isfinite(v))
        return false;
    *out = v;
    return true;
}

bool fd_parse_cmp_number(const char *s, fd_cmp *c)
{
    fd_cmp_op op;
    double v;
    if (!parse_cmp_op(s, &op, &s) || !fd_parse_number(s, &v))
        return false;
    c->op = op;
    c->value = v;
    return true;
}

bool fd_cmp_holds(const fd_cmp *c, double v)
{
    switch (c->op) {
    case FD_CMP_LT:
        return v < c->value;
    case FD_CMP_LE:
        return v <= c->value;
    case FD_CMP_GT:
        return v > c->value;
    case FD_CMP_GE:
        return v >= c->value;
    }
    return false;
}

const char *fd_cmp_op_str(fd_cmp_op op)
{
    switch (op) {
    case FD_CMP_LT:
        return "<";
    case FD_CMP_LE:
        return "<=";
    case FD_CMP_GT:
        return ">";
    case FD_CMP_GE:
        return ">=";
    }
    return "?";
}

bool fd_parse_size(const char *s, uint64_t *bytes, double *percent)
{
    int64_t v;
    const char *p = s;
    if (!parse_decimal_micro(&p, &v))
        return false;
    if (strcmp(p, "%") == 0) {
        if (v == 0 || v > 100 * (int64_t)1000000)
            return false;
        *percent = (double)v / 1e6;
        *bytes = 0;
        return true;
    }
    uint64_t unit;
    if (strcmp(p, "B") == 0)
        unit = 1;
    else if (strcmp(p, "K") == 0)
        unit = 1ULL << 10;
    else if (strcmp(p, "M") == 0)
        unit = 1ULL << 20;
    else if (strcmp(p, "G") == 0)
        unit = 1ULL << 30;
    else if (strcmp(p, "T") == 0)
        unit = 1ULL << 40;
    else
        return false;
    __int128 r = (__int128)v * unit / 1000000;
    if (r <= 0 || r > ((__int128)1 << 60))
        return false;
    *bytes = (uint64_t)r;
    *percent = 0;
    return true;
}

bool fd_parse_bandwidth(const char *s)
{
    int64_t v;
    const char *p = s;
    if (!parse_decimal_micro(&p, &v) || v == 0)
        return false;
    static const char *const units[] = {"bit",  "kbit", "mbit", "gbit", "tbit", "bps",
                                        "kbps", "mbps", "gbps", "tbps", NULL};
    for (size_t i = 0; units[i]; i++)
        if (strcmp(p, units[i]) == 0)
            return true;
    return false;
}

char *fd_format_duration(int64_t us)
{
    if (us % 3600000000LL == 0 && us >= 3600000000LL)
        return fd_asprintf("%lldh", (long long)(us / 3600000000LL));
    if (us % 60000000 == 0 && us >= 60000000)
        return fd_asprintf("%lldm", (long long)(us / 60000000));
    if (us % 1000 == 0 && us < 1000000)
        return fd_asprintf("%lldms", (long long)(us / 1000));
    if (us % 1000 != 0)
        return fd_asprintf("%.3fms", (double)us / 1000.0);
    char *s = fd_asprintf("%.3f", (double)us / 1e6);
    /* trim trailing zeros of the fraction */
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == '0')
        s[--n] = '\0';
    if (n > 0 && s[n - 1] == '.')
        s[--n] = '\0';
    char *r = fd_asprintf("%ss", s);
    free(s);
    return r;
}
