/* consistency.h: the consistency step: a write probe's tables (and the user's) compared
 * across its primary and replicas, and what it records for the report. */
#ifndef FD_CONSISTENCY_H
#define FD_CONSISTENCY_H

#include "dr.h"

/* One table on one replica against the primary. */
typedef struct fd_table_cmp {
    char *table, *replica;
    int64_t rows, primary_rows;        /* -1: not known */
    int64_t chunks, diff_chunks;       /* pt-table-checksum's chunks; -1: none */
    char *checksum, *primary_checksum; /* digests of the rows (NULL: none) */
    char *sample; /* the rows that differ (pt-table-sync --print), or the key ranges of
                   * the chunks that differ */
    int nsampled; /* rows in sample */
    char *error;
    bool match;
} fd_table_cmp;

typedef struct fd_consistency_record {
    const fd_step *step;
    const char *tool; /* "pt-table-checksum" or "firedrill" */
    double started_s, ended_s;
    char *marker; /* postgres: the WAL position every replica replayed past */
    fd_table_cmp *rows;
    size_t nrows, mismatched;
    char *error;
} fd_consistency_record;

fd_run_result fd_consistency_step(fd_run *r, size_t index, const fd_step *st, char **detail);
void fd_consistency_free(fd_run *r);

#endif
