/* dr.h: the disaster-recovery steps (backup, copy, restore, verify, archive_lag) and what they
 * record for the report.
 *
 * Each step returns FD_OUTCOME_NONE when it did its work, else how its failure
 * counts (steps.h), with *detail (caller frees) saying what was done or why not. */
#ifndef FD_DR_H
#define FD_DR_H

#include "catalog.h"
#include "runstate.h"

typedef struct fd_backup_record {
    const fd_step *step;
    char *host;
    double started_s, ended_s;
    int64_t started_us; /* the backup point: writes acknowledged before it must restore */
    uint64_t size;
    char *sha256;              /* a backup the drill took: its artifact's digest */
    double point_unix;         /* the backup point, as a time */
    double age_s;              /* how old the backup was when the step read it */
    fd_catalog_backup catalog; /* an existing backup: what its tool's catalog says */
} fd_backup_record;

typedef struct fd_copy_record {
    const fd_step *step;
    double started_s, ended_s;
    uint64_t bytes;
    char *sha256;
} fd_copy_record;

typedef struct fd_restore_record {
    const fd_step *step;
    char *host;
    double started_s, ended_s;
    double target_unix; /* the recovery target asked, as a time; NAN: latest or none */
    bool ok;
} fd_restore_record;

typedef struct fd_archive_lag_record {
    const fd_step *step;
    double at_s;                     /* when the primary's position was read */
    char *archive_pos, *primary_pos; /* as read (NULL: could not be read) */
    double lag_s;                    /* NAN: not measured */
    int64_t lag_bytes;               /* -1: not known */
} fd_archive_lag_record;

typedef struct fd_verify_record {
    const fd_step *step;
    int64_t lost_writes; /* -1: not measured */
    int64_t late_writes; /* against a restore's recovery target; -1: not measured */
    int64_t acked_before_backup, found;
    double point_unix;    /* the backup point or recovery target verified against; NAN: none */
    double reached_unix;  /* the newest acknowledged write found: where the restore got to */
    double rpo_s, rto_s;  /* NAN: not measured */
    double archive_lag_s; /* the newest archive_lag before the disaster; NAN: none */
    char *error;
} fd_verify_record;

/* For steps that run commands on hosts: a command with firedrill's environment,
 * privileged (sudo -n where the host asks for it); how one that did not succeed counts
 * (could not start: infrastructure; ran and failed: a finding) and says why; the one
 * host a selector must pick. */
bool fd_dr_host_run(fd_run *r, size_t host, const char *cmd, const char *input, int64_t timeout_us,
                    fd_exec_result *er);
fd_run_result fd_dr_command_outcome(const fd_exec_result *er);
char *fd_dr_failure(const fd_exec_result *er, const char *what);
bool fd_dr_one_host(fd_run *r, const fd_selector *sel, size_t *host, char **detail);

fd_run_result fd_dr_backup(fd_run *r, size_t index, const fd_step *st, char **detail);
fd_run_result fd_dr_copy(fd_run *r, size_t index, const fd_step *st, char **detail);
fd_run_result fd_dr_restore(fd_run *r, size_t index, const fd_step *st, char **detail);
fd_run_result fd_dr_verify(fd_run *r, size_t index, const fd_step *st, char **detail);
fd_run_result fd_dr_archive_lag(fd_run *r, size_t index, const fd_step *st, char **detail);
void fd_dr_free(fd_run *r);

#endif
