/* runstate.h: one drill run's state, shared by the engine's modules: its facts, its
 * clock, its log, and how it is going (its outcome). Every module of the engine
 * (steps, faultrun, healer, verdict, progress, dr, report) works on this struct.
 *
 * Threads and what they share:
 *   - the main thread runs the preflight, the timeline and the end of the run;
 *   - the healer thread heals faults on schedule and checks abort_if (healer.h);
 *   - one verifier thread per network cut observes it (faultrun.c);
 *   - the progress thread draws the status line on a terminal (progress.h);
 *   - one thread per probe, each with its own lock (probe.h);
 *   - one watch thread per leased host, each with its own connection (lease.h).
 * They share state only in these ways:
 *   - `lock` guards `faults`/`nfaults` (the array, and each fault's state, healed_s,
 *     took_effect and verification), `errors`, `abort_reason`, and stdout;
 *   - `outcomes` is a C11 atomic set of FD_OUTCOME_* bits, set only through
 *     fd_run_outcome (which takes the lock for the abort reason);
 *   - `current_step`, `step_started_us`, `timeline_start_us`, `timeline_end_us`,
 *     `healer_quit`, `progress_quit`, `watch_quit` and `halted` are C11 atomics;
 *   - fd_run_signal is written by the signal handler alone;
 *   - every other field is written by the main thread alone, before the other
 *     threads start or after they are joined. */
#ifndef FD_RUNSTATE_H
#define FD_RUNSTATE_H

#include "agent.h"
#include "history.h"
#include "probe.h"
#include "scenario.h"
#include "skew.h"
#include "ssh.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>

/* How a run is going: each bit, once set, stays set (but FD_OUTCOME_HEAL_FAILED,
 * which the final retry settles). The verdict is read from them (verdict.h). */
typedef enum fd_run_result {
    FD_OUTCOME_NONE = 0,
    FD_OUTCOME_ABORTED = 1 << 0,      /* abort_if, no host selected, blast radius, a signal */
    FD_OUTCOME_INFRA = 1 << 1,        /* a step or a fault could not be done */
    FD_OUTCOME_FAULT_FAILED = 1 << 2, /* a fault did not take effect: the timeline stops */
    FD_OUTCOME_FINDING = 1 << 3,      /* a check failed, a wait_for timed out, writes lost */
    FD_OUTCOME_HEAL_FAILED = 1 << 4,  /* a fault may still be in place */
    FD_OUTCOME_INVALID = 1 << 5,      /* the scenario asks what a server refuses (exit 2) */
} fd_run_result;

/* What the engine takes from whoever starts a run (the command line, a test). */
typedef struct fd_run_opts {
    uint64_t seed;
    const char *report_dir; /* NULL: the scenario's report.dir */
    bool quiet;             /* no log lines on stdout */
    bool json;              /* events as JSON lines on stdout instead */
    bool accept_new_host_keys;
    bool auto_ack;            /* every hold acknowledged at once (its auto command run) */
    bool allow_overlap;       /* lease hosts another run holds (lease.h) */
    const char *metrics_file; /* --metrics-file: the figures for a textfile collector */
    const struct fd_transport *transport; /* NULL: SSH; the engine's unit tests: a fake */
} fd_run_opts;

typedef struct fd_fault_host {
    size_t host; /* inventory index */
    fd_agent_call call;
    char *apply_cmd, *revert_cmd;
    size_t *peers; /* inventory indexes across the cut */
    size_t npeers;
    int apply_exit;     /* the agent's exit status, -1 when it did not run */
    char *apply_detail; /* what the agent said (verified:, unverified:, error:) */
    bool needs_revert;  /* the apply ran: something may be in place */
    bool reverted;
    char *heal_error;
    fd_host_timing apply_t, revert_t; /* when sent, took effect (the host's clock), acked */
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
    int64_t heal_due_us;                   /* monotonic; 0: no scheduled heal */
    fd_fault_state state;
    bool took_effect;   /* applied on every host and nothing contradicted it */
    char *verification; /* what was observed, for the report */
    pthread_t verifier; /* observes a network cut while the timeline goes on */
    bool verifying;
    struct fd_run *run;
} fd_active_fault;

typedef struct fd_step_record {
    size_t index;
    const fd_step *step;
    double started_s, ended_s;
    const char *status; /* "ok", "failed", "skipped", "interrupted" */
    char *detail;
} fd_step_record;

typedef struct fd_check_result {
    const fd_check *check;
    double value;          /* NAN: not measured */
    bool pass;             /* the limit held */
    bool expected_failure; /* expect: fail, and it failed: not a finding */
} fd_check_result;

struct fd_backup_record;
struct fd_copy_record;
struct fd_verify_record;
struct fd_restore_record;
struct fd_archive_lag_record;
struct fd_consistency_record;
struct fd_hold_record;
struct fd_notifier;
struct fd_alert_watch;
struct fd_lease_watch;

/* An observation `firedrill note` added while the run went on. */
typedef struct fd_note {
    double at_s;
    char *by, *text;
} fd_note;

typedef struct fd_run {
    const fd_scenario *s;
    fd_run_opts opts;
    char *run_id;
    char *controller; /* "user@host", for the hosts' logs */
    char *dir;        /* the run directory */
    double started_unix;
    int64_t t0_us;
    fd_pool pool;
    fd_history history;
    pthread_mutex_t lock; /* see the top of this file */
    fd_active_fault **faults;
    size_t nfaults;
    fd_step_record *steps;
    size_t nsteps;
    fd_strv errors;
    size_t *touched; /* distinct hosts any fault has touched */
    size_t ntouched;
    _Atomic unsigned outcomes; /* FD_OUTCOME_* bits */
    char *abort_reason;
    pthread_t healer;
    bool healer_started;
    atomic_bool healer_quit;
    fd_probe_run *probes;
    size_t nprobes;
    _Atomic int64_t timeline_start_us, timeline_end_us; /* read by the healer and progress */
    int64_t next_abort_check_us;                        /* the healer thread's own */
    fd_check_result *check_results;
    size_t nchecks;
    struct fd_backup_record *backups;
    size_t nbackups;
    struct fd_copy_record *copies;
    size_t ncopies;
    struct fd_verify_record *verifies;
    size_t nverifies;
    struct fd_restore_record *restores;
    size_t nrestores;
    struct fd_archive_lag_record *archive_lags;
    size_t narchive_lags;
    struct fd_consistency_record *consistency;
    size_t nconsistency;
    struct fd_hold_record *holds;
    size_t nholds;
    size_t *leased; /* the hosts its faults may touch, leased at preflight (lease.h) */
    size_t nleased;
    int64_t lease_ttl_us;
    bool leases_released;
    fd_strv overlaps; /* "host: run ..." held by another run too (--allow-overlap) */
    struct fd_lease_watch *watches;
    size_t nwatches;
    atomic_bool watch_quit, halted; /* halted: a watch saw a halt (said once) */
    char *control_dir;              /* where `firedrill ack` and `firedrill note` reach this run */
    struct fd_notifier *notifier;   /* report.notify.events other than the end; NULL: none */
    struct fd_alert_watch *alert_watch; /* safety.alerts (alerts.h); NULL: none */
    fd_note *notes;                     /* under lock */
    size_t nnotes;
    double last_restore_started_s;
    double cpu_user_s, cpu_system_s;
    long max_rss_kb;
    bool tty; /* stdout is a terminal: a live status line */
    atomic_size_t current_step;
    _Atomic int64_t step_started_us; /* when the current step started (monotonic) */
    pthread_t progress;
    bool progress_started;
    atomic_bool progress_quit;
    int exit_code;
    const char *verdict;
    double duration_s;
    bool history_gz;         /* history.jsonl is compressed when the run ends (history.h) */
    atomic_size_t ops_total; /* the probes' operations so far, against ops_budget */
    size_t ops_budget;
} fd_run;

/* Set from the signal handler (SIGINT, SIGTERM, SIGHUP, SIGQUIT). */
extern volatile sig_atomic_t fd_run_signal;

/* Seconds since the run started. */
double fd_run_now_s(const fd_run *r);
/* The timeline's window on the monotonic clock, that figures are computed over: its
 * start (the run's, before it started) to its end (now, before it ended). */
void fd_run_timeline(const fd_run *r, int64_t *from, int64_t *to);
/* A Unix time on the run's monotonic clock (the one probe operations are stamped with),
 * and back. unix_s must be finite. */
int64_t fd_run_us_of_unix(const fd_run *r, double unix_s);
double fd_run_unix_of_us(const fd_run *r, int64_t us);
/* A stage message to the webhook when the scenario asks for event (FD_NOTIFY_*): queued,
 * sent by the notifier's thread (any thread may call it). */
void fd_run_notify(fd_run *r, unsigned event, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The report's link for messages: report.url_base/RUN/report.html, else the path.
 * Caller frees. */
char *fd_run_report_link(const fd_run *r);
/* Records an observation (any thread): logged, in history.jsonl and the report. */
void fd_run_note(fd_run *r, const char *by, const char *text);
/* One line on stdout (unless quiet or json), secrets redacted, control characters
 * escaped. */
void fd_run_log(fd_run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* An error: on stderr, in report.json's errors and in the history, the same way. */
void fd_run_error(fd_run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Records how the run is going (one FD_OUTCOME_* bit). For FD_OUTCOME_ABORTED, reason
 * (may be NULL) becomes the abort reason unless the run has one already; it is then
 * logged and written to the history as an "abort" event. Safe from any thread. */
void fd_run_outcome(fd_run *r, fd_run_result o, const char *reason);
/* True when any of the bits in mask is set. */
bool fd_run_has(const fd_run *r, unsigned mask);
/* True once the timeline must stop: a signal, an abort, a fault that failed. */
bool fd_run_stopping(const fd_run *r);
/* Sleeps up to us, waking early when the run is stopping. */
void fd_run_sleep(fd_run *r, int64_t us);

/* The probe of that name, or NULL. */
fd_probe_run *fd_run_probe(fd_run *r, const char *name);
/* Resolves a selector now (a `where` runs on the live hosts). *err (caller frees)
 * when a `where` could not run. */
size_t fd_run_resolve(fd_run *r, const fd_selector *sel, size_t *out, char **err);

#endif
