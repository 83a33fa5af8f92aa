/* value.h: strict parsers for the scalar forms of the scenario language. Each
 * returns false, touching nothing, on anything but the exact form. */
#ifndef FD_VALUE_H
#define FD_VALUE_H

#include <stdbool.h>
#include <stdint.h>

/* Longest duration accepted anywhere: 30 days. */
#define FD_DURATION_MAX_US ((int64_t)30 * 24 * 3600 * 1000000)

/* "2026-12-02T12:31:20Z" or "2026-12-02T12:31:20.250+00:00" (UTC only: a time zone other
 * than Z or +00:00 is refused, as is any date that does not exist) -> Unix seconds. */
bool fd_parse_utc_time(const char *s, double *unix_s);

/* "250ms", "1.5s", "2m", "1h" -> microseconds. A bare number is refused. */
bool fd_parse_duration(const char *s, int64_t *us);
/* "100/s" -> operations per second (> 0). */
bool fd_parse_rate(const char *s, double *per_s);
/* "0.99" or "99%" -> 0.99, within [0, 1]. */
bool fd_parse_ratio(const char *s, double *ratio);
/* A non-negative decimal integer no larger than max. */
bool fd_parse_uint(const char *s, int64_t max, int64_t *out);

typedef enum fd_cmp_op { FD_CMP_LT, FD_CMP_LE, FD_CMP_GT, FD_CMP_GE } fd_cmp_op;
typedef struct fd_cmp {
    fd_cmp_op op;
    double value;
} fd_cmp;
/* ">= 0.99", "< 1%" (the right side is a ratio). */
bool fd_parse_cmp(const char *s, fd_cmp *c);
/* "> 2", "<= -0.5", "< 1e3": the right side is any finite decimal number. */
bool fd_parse_cmp_number(const char *s, fd_cmp *c);
/* A finite decimal number: "2", "-0.5", "1e3" (no hex, inf or nan). */
bool fd_parse_number(const char *s, double *out);
bool fd_cmp_holds(const fd_cmp *c, double v);
const char *fd_cmp_op_str(fd_cmp_op op);

/* fill_disk sizes: "10G", "512M", "1.5T", "4096K", "100B" (binary units) -> bytes,
 * or "95%" -> *percent = 95 and *bytes = 0. */
bool fd_parse_size(const char *s, uint64_t *bytes, double *percent);
/* tc netem rates: "100kbit", "1mbit", "1gbit", "500kbps", "1mbps"... */
bool fd_parse_bandwidth(const char *s);

/* "1.5s", "250ms", "2m", "1h": the shortest exact form. Caller frees. */
char *fd_format_duration(int64_t us);

#endif
