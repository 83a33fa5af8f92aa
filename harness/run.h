/* run.h: one drill run: preflight, timeline, scheduled heals, heal-everything on
 * any way out, and the facts the report is written from.
 *
 * The main thread runs the timeline's steps in order. A healer thread reverts each
 * fault with a `duration` when it is due, while the timeline goes on. Whatever ends
 * the run (its last step, a failed step, an abort, SIGINT or SIGTERM), every fault
 * still in place is healed before the run returns; a heal that fails is reported
 * with the host, the fault and the command that reverts it by hand. */
#ifndef FD_RUN_H
#define FD_RUN_H

#include "cli.h"
#include "history.h"
#include "plan.h"
#include "probe.h"
#include "ssh.h"

#include <pthread.h>
#include <signal.h>

typedef struct fd_fault_host {
    size_t host;                 /* inventory index */
    fd_agent_call call;
    char *apply_cmd, *revert_cmd;
    size_t *peers;               /* inventory indexes across the cut */
    size_t npeers;
    int apply_exit;              /* the agent's exit status, -1 when it did not run */
    char *apply_detail;          /* what the agent said (verified:, unverified:, error:) */
    bool needs_revert;           /* the apply ran: something may be in place */
    bool reverted;
    char *heal_error;
} fd_fault_host;

typedef enum fd_fault_state {
    FD_FS_ACTIVE,
    FD_FS_HEALING,
    FD_FS_HEALED,
    FD_FS_HEAL_FAILED,
} fd_fault_state;

typedef struct fd_active_fault {
    const fd_step *step;
    size_t step_index;
    fd_fault_host *hosts;
    size_t nhosts;
    double started_s, applied_s, healed_s; /* healed_s < 0 until healed */
    int64_t heal_due_us;         /* monotonic; 0: no scheduled heal */
    fd_fault_state state;
    bool took_effect;            /* applied on every host and nothing contradicted it */
    char *verification;          /* what was observed, for the report */
    pthread_t verifier;          /* observes a network cut while the timeline goes on */
    bool verifying;
    struct fd_run *run;
} fd_active_fault;

typedef struct fd_step_record {
    size_t index;
    const fd_step *step;
    double started_s, ended_s;
    const char *status;          /* "ok", "failed", "skipped" */
    char *detail;
} fd_step_record;

/* Disaster-recovery steps. */
typedef struct fd_backup_record {
    const fd_step *step;
    char *host;
    double started_s, ended_s;
    int64_t started_us;          /* the backup point: writes acknowledged before it must restore */
    uint64_t size;
    char *sha256;
} fd_backup_record;

typedef struct fd_copy_record {
    const fd_step *step;
    double started_s, ended_s;
    uint64_t bytes;
    char *sha256;
} fd_copy_record;

typedef struct fd_verify_record {
    const fd_step *step;
    int64_t lost_writes;         /* -1: not measured */
    int64_t acked_before_backup, found;
    double rpo_s, rto_s;         /* NAN: not measured */
    char *error;
} fd_verify_record;

typedef struct fd_check_result {
    const fd_check *check;
    double value;                /* NAN: not measured */
    bool pass;
} fd_check_result;

typedef struct fd_run {
    const fd_scenario *s;
    const fd_cli *cli;
    char *run_id;
    char *controller;            /* "user@host", for the hosts' logs */
    char *dir;                   /* the run directory */
    uint64_t seed;
    double started_unix;
    int64_t t0_us;
    fd_pool pool;
    fd_history history;
    pthread_mutex_t lock;        /* faults, steps, errors, output */
    fd_active_fault **faults;
    size_t nfaults;
    fd_step_record *steps;
    size_t nsteps;
    fd_strv errors;
    size_t *touched;             /* distinct hosts any fault has touched */
    size_t ntouched;
    pthread_t healer;
    bool healer_started;
    volatile bool healer_quit;
    bool aborted, infra_error, heal_failed;
    volatile bool fault_failed;  /* a fault was found not to have taken effect */
    bool checks_failed;          /* a check failed, or a wait_for timed out */
    fd_probe_run *probes;
    size_t nprobes;
    int64_t timeline_start_us, timeline_end_us;
    int64_t next_abort_check_us;
    fd_check_result *check_results;
    size_t nchecks;
    fd_backup_record *backups;
    size_t nbackups;
    fd_copy_record *copies;
    size_t ncopies;
    fd_verify_record *verifies;
    size_t nverifies;
    double last_restore_started_s;
    double cpu_user_s, cpu_system_s;
    bool tty;                    /* stdout is a terminal: a live status line */
    volatile size_t current_step;
    pthread_t progress;
    bool progress_started;
    volatile bool progress_quit;
    long max_rss_kb;
    char *abort_reason;
    int exit_code;
    const char *verdict;
    double duration_s;
} fd_run;

/* Shared by the engine and the disaster-recovery steps (dr.c). */
void fd_run_log(fd_run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void fd_run_error(fd_run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
double fd_run_now_s(const fd_run *r);
/* Resolves a selector now; *err (caller frees) when a `where` could not run. */
size_t fd_run_resolve(fd_run *r, const fd_selector *sel, size_t *out, char **err);
fd_probe_run *fd_run_probe(fd_run *r, const char *name);

/* The disaster-recovery steps: each returns false when the step failed, with
 * *detail (caller frees) saying why or what was done. */
bool fd_dr_backup(fd_run *r, const fd_step *st, char **detail);
bool fd_dr_copy(fd_run *r, const fd_step *st, char **detail);
bool fd_dr_restore(fd_run *r, const fd_step *st, char **detail);
bool fd_dr_verify(fd_run *r, const fd_step *st, char **detail);
void fd_dr_free(fd_run *r);

/* Set from the SIGINT/SIGTERM handler. */
extern volatile sig_atomic_t fd_run_signal;

/* Runs the whole drill. Returns the exit code. The caller frees with fd_run_free. */
int fd_run_execute(fd_run *r, const fd_scenario *s, const fd_cli *cli);
void fd_run_free(fd_run *r);

/* Writes report.json into the run directory. */
int fd_report_write_json(const fd_run *r);

#endif
