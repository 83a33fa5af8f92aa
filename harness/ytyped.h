/* ytyped.h: typed reads from a YAML node tree, each failure reported as
 * "file:line:col: what was expected, got what". Used by the inventory and
 * scenario loaders. */
#ifndef FD_YTYPED_H
#define FD_YTYPED_H

#include "diag.h"
#include "util.h"
#include "value.h"
#include "yamldoc.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct fd_yt {
    const char *file;
    fd_diags *d;
    int errors;
} fd_yt;

void fd_yt_err(fd_yt *t, const fd_ynode *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Checks that n is a mapping ("'<what>' must be a mapping, got a list"). */
bool fd_yt_map(fd_yt *t, const fd_ynode *n, const char *what);
/* Reports every key of map not in allowed (NULL-terminated), with a "did you mean". */
/* fd_yt_keys for the top of a file: a mapping with none of the allowed keys is
 * reported once, without quoting any of it, and false returned; otherwise true (unknown
 * keys among known ones are reported as fd_yt_keys does). */
bool fd_yt_file_keys(fd_yt *t, const fd_ynode *map, const char *what, const char *kind,
                     const char *const *allowed);
bool fd_yt_keys(fd_yt *t, const fd_ynode *map, const char *what, const char *const *allowed);
/* fd_yt_keys with the keys of two NULL-terminated lists (say, the keys every fault
 * takes and its family's own; at most 64 in all). */
bool fd_yt_keys2(fd_yt *t, const fd_ynode *map, const char *what, const char *const *common,
                 const char *const *own);
/* Reports a missing required key at the mapping's position. */
void fd_yt_missing(fd_yt *t, const fd_ynode *map, const char *what, const char *key);

/* Each reads map[key]. Absent and not required: returns true, *out untouched.
 * Absent and required, or of the wrong form: reports, returns false. */
bool fd_yt_str(fd_yt *t, const fd_ynode *map, const char *key, bool required, const char *what,
               char **out);
bool fd_yt_duration(fd_yt *t, const fd_ynode *map, const char *key, bool required, const char *what,
                    int64_t *out);
bool fd_yt_ratio(fd_yt *t, const fd_ynode *map, const char *key, bool required, const char *what,
                 double *out);
bool fd_yt_uint(fd_yt *t, const fd_ynode *map, const char *key, bool required, const char *what,
                int64_t max, int64_t *out);
bool fd_yt_bool(fd_yt *t, const fd_ynode *map, const char *key, const char *what, bool *out);
bool fd_yt_cmp(fd_yt *t, const fd_ynode *map, const char *key, bool required, const char *what,
               fd_cmp *out);
/* A YAML list of strings, or one comma-separated string. */
/* A comparison with any number ("< 0.01", ">= 1"), and a plain number. */
bool fd_yt_cmp_number(fd_yt *t, const fd_ynode *map, const char *key, bool required,
                      const char *what, fd_cmp *out);
bool fd_yt_number(fd_yt *t, const fd_ynode *map, const char *key, bool required, const char *what,
                  double *out);
bool fd_yt_strlist(fd_yt *t, const fd_ynode *map, const char *key, bool required, const char *what,
                   fd_strv *out);

/* The closest of candidates to word within a small edit distance, or NULL. */
const char *fd_yt_suggest(const char *word, const char *const *candidates);
/* The index of s in the NULL-terminated names, or -1. */
int fd_yt_name_index(const char *const *names, const char *s);
/* Reads a scalar that must be one of names: its index, or -1 with "'KEY' must be one
 * of ..., got '...'" (and a did-you-mean) reported at v. */
int fd_yt_enum(fd_yt *t, const fd_ynode *v, const char *key, const char *const *names);

#endif
