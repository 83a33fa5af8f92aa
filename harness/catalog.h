/* catalog.h: reading a backup tool's own catalog, to test a backup firedrill did not
 * take, and the log positions an archive_lag step compares. Pure: text in, the newest
 * usable backup or a position out; unit-tested. */
#ifndef FD_CATALOG_H
#define FD_CATALOG_H

#include <stdbool.h>
#include <stdint.h>

typedef struct fd_catalog_backup {
    const char *tool;   /* "pgbackrest", "mysqldump" */
    char *label;        /* the tool's name for the backup (pgBackRest's 20261202-122446F) */
    char *type;         /* full, diff, incr... (NULL when the tool has none) */
    double start_unix;  /* writes acknowledged before it are in the backup (NAN: not known) */
    double stop_unix;   /* when it was complete (its age counts from here) */
    int64_t size;       /* bytes it takes in the repository, -1 when not known */
    char *lsn_stop;     /* the log position at its stop, when the tool has one */
    char *log_position; /* a dump's binlog coordinates (FILE:POS), from which to replay */
} fd_catalog_backup;

/* Reads a catalog: the output of `pgbackrest info --output=json` (every stanza it lists:
 * the newest backup that is not marked in error), or a mysqldump / mariadb-dump text
 * (its head, for the `CHANGE MASTER TO` coordinates --master-data writes, and its last
 * line, `-- Dump completed on`, read as UTC). False with *err (caller frees) when the
 * text is no catalog firedrill reads or lists no usable backup. */
bool fd_catalog_parse(const char *text, fd_catalog_backup *out, char **err);
void fd_catalog_backup_free(fd_catalog_backup *b);

/* A write-ahead or binary log position, as an archive_lag command prints it: a
 * PostgreSQL LSN (0/5000060), a WAL segment file name (its end, for 16 MiB segments),
 * or a binlog FILE:POS; then, optionally, a Unix time: for the archive, when its newest
 * data was written there; for the primary, its clock. Whitespace or '|' separates. */
typedef struct fd_log_position {
    bool binlog;     /* FILE:POS, else an LSN */
    uint64_t offset; /* the LSN, or the position in file */
    char file[128];  /* binlog */
    double at_unix;  /* NAN: not given */
} fd_log_position;

/* False with *err (caller frees) when text's first line is no such position. */
bool fd_log_position_parse(const char *text, fd_log_position *out, char **err);
/* How many bytes the archive is behind the primary: 0 when it holds as much or more,
 * -1 when it is behind but by how much is not known (binlogs of different files). */
int64_t fd_log_position_behind(const fd_log_position *archive, const fd_log_position *primary);
/* The position as text (FILE:POS or X/Y). Caller frees. */
char *fd_log_position_str(const fd_log_position *p);

#endif
