/* catalog.h: reading a backup tool's own catalog, to test a backup firedrill did not
 * take. Pure: text in, the newest usable backup out; unit-tested. */
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

#endif
