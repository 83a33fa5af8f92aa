/* probe.h: probe clients that run for the whole drill, one operation per slot.
 *
 * Each probe runs in its own thread on a fixed schedule (every interval from its
 * start); an operation that overruns makes the following slots "missed", which are
 * counted and reported, never silently skipped. Every operation is recorded in
 * memory (for the metrics) and in history.jsonl. Outcomes: ok; fail (the request
 * certainly did not take effect: no connection, an error reply); unknown (it may
 * have: a timeout or a lost connection after the request was sent). */
#ifndef FD_PROBE_H
#define FD_PROBE_H

#include "history.h"
#include "metrics.h"
#include "scenario.h"
#include "ssh.h"
#include "ytyped.h"

#include <pthread.h>
#include <stdatomic.h>

typedef struct fd_probe_client fd_probe_client;

/* What a client needs from the run. */
typedef struct fd_probe_env {
    const char *run_id;
    fd_pool *pool; /* for command probes on hosts */
    const fd_scenario *s;
    /* every probe's operations so far, against the run's budget (NULL: none) */
    atomic_size_t *ops_total;
    size_t ops_budget;
} fd_probe_env;

/* What one operation costs in memory while the run goes on: its record, and a measuring
 * probe's value. */
#define FD_OP_BYTES (sizeof(fd_op) + sizeof(double))
/* A probe this far behind its schedule (or 10 intervals, if longer) skips the slots
 * that passed and counts them; a smaller lag is caught up. 100 ms: three times the
 * longest stall of every thread measured on a 2-core machine kept 75% busy
 * (docs/benchmarks.md), and less than the shortest timeout the shipped drills use. */
#define FD_PROBE_CATCH_UP_US 100000
/* The run's budget of operations: half the memory available when it starts (MemAvailable)
 * at FD_OP_BYTES each, or FIREDRILL_MAX_OPS from the environment. */
size_t fd_probe_ops_budget(void);

/* What a probe type's reader works with: the typed reader (its errors name the file,
 * line and column) and "probe 'NAME'" for messages. */
struct fd_vars;

typedef struct fd_probe_reader {
    fd_yt *t;
    const char *what;
    struct fd_vars *vars; /* a value that is a secret wherever it came from is added here */
} fd_probe_reader;

/* A probe's own preflight: the server answered as expected; could not be reached (the
 * run cannot start: exit 4); refused what the scenario asks (the scenario is invalid:
 * exit 2). */
typedef enum fd_preflight {
    FD_PREFLIGHT_OK,
    FD_PREFLIGHT_UNREACHABLE,
    FD_PREFLIGHT_INVALID
} fd_preflight;

/* One probe type: a file per type registers one of these. */
typedef struct fd_probe_type_ops {
    fd_probe_type type;
    /* the keys it takes beside name, type, mode, interval, rate, timeout and settle */
    const char *const *keys;
    /* reads them into p (scenario_probe.c has read the common ones) */
    void (*read)(const fd_probe_reader *rd, const fd_ynode *m, fd_probe *p);
    bool writes; /* has a write mode (values written, then read back) */
    /* The newest of the probe's own values a server holds (0: none), for replicas:
     * NULL when the type cannot tell. */
    bool (*newest)(fd_probe_client *c, int64_t deadline_us, uint64_t *n, char **error);
    /* Creates the client; it connects lazily, within an operation's deadline. */
    fd_probe_client *(*open)(const fd_probe *p, const fd_probe_env *env);
    /* One operation; value is the write's value (NULL for reads). *error (caller
     * frees) says why when not ok. */
    fd_outcome (*op)(fd_probe_client *c, const char *value, int64_t deadline_us, char **error);
    /* Instead of op, for a probe that reads a number (prometheus): ok with *value. */
    fd_outcome (*measure)(fd_probe_client *c, int64_t deadline_us, double *value, char **error);
    /* Asked once before any fault: what a scenario's validation cannot know (a query the
     * server refuses). NULL: nothing to ask. */
    fd_preflight (*preflight)(const fd_probe *p, int64_t deadline_us, char **error);
    /* Reads back every value the probe wrote (write probes). */
    bool (*read_back)(fd_probe_client *c, int64_t deadline_us, fd_strv *values, char **error);
    void (*close)(fd_probe_client *c);
} fd_probe_type_ops;

const fd_probe_type_ops *fd_probe_ops_for(fd_probe_type type);
/* For readers: every entry of list v (read from key of m) is host:port, or an http://
 * or https:// URL when urls. */
void fd_probe_check_endpoints(const fd_probe_reader *rd, const fd_ynode *m, const char *key,
                              const fd_strv *v, bool urls);
/* For readers: the string map at key of m (headers: no ':' in names, no line breaks). */
void fd_probe_read_kvs(const fd_probe_reader *rd, const fd_ynode *m, const char *key, bool header,
                       fd_kv **out, size_t *nout);
/* For readers: value (read from key of m) is a plain SQL name (letters, digits, '_'). */
void fd_probe_check_sql_name(const fd_probe_reader *rd, const fd_ynode *m, const char *key,
                             const char *value);

struct fd_probe_run;

/* One replica of a write probe (probe_replicas.c): the lag until each sampled write
 * shows there, during the run; its read-back against the primary's, after settle. */
typedef struct fd_replica_run {
    char *name;              /* the host's name, or the read string */
    fd_probe q;              /* the probe pointed at it, in mode read */
    fd_strv owned;           /* strings q points to */
    fd_probe_client *client; /* the lag sampler's */
    struct fd_probe_run *pr;
    pthread_t thread;
    bool started;
    int64_t *lag_at_us, *lag_us; /* each acknowledged write: its acknowledgement, its lag */
    size_t nlags, caplags;       /* under pr->lock */
    bool lag_open;               /* the last sample was still not there when the probe stopped */
    /* after the run */
    fd_replica_figures fig;   /* -1: not measured */
    int64_t values;           /* -1: not read back */
    double read_back_s;       /* how long its read-back and comparison took */
    fd_strv divergent_sample; /* up to 5 values it holds that no write had */
    char *error;
    double lag_p50_ms, lag_p99_ms, lag_max_ms;
} fd_replica_run;

typedef struct fd_probe_run {
    const fd_probe *p;
    const fd_probe_type_ops *ops_table;
    fd_probe_client *client;
    fd_history *history;
    pthread_t thread;
    bool started;
    atomic_bool stop; /* set by the main thread, read by the probe's */
    atomic_size_t *ops_total;
    size_t ops_budget;
    atomic_bool full;     /* it stopped: the run's operation budget is spent */
    pthread_mutex_t lock; /* ops, nops, last_error while the probe runs */
    fd_op *ops;
    double *values; /* beside ops, for a type that measures (NAN: no value) */
    size_t nops, capops;
    uint64_t missed_slots;
    int64_t max_lag_us; /* the latest an operation started after its slot */
    char *last_error;
    /* after the run */
    fd_probe_metrics m;
    char *read_back_error; /* set when the read-back failed */
    size_t read_back_count;
    fd_replica_run *replicas;
    size_t nreplicas;
    /* read_your_writes: the replica client, the writes to look at again, the figures */
    fd_probe ryw_q;
    fd_strv ryw_owned;
    fd_probe_client *ryw_client;
    uint64_t ryw_max_seen, *ryw_pending;
    int64_t *ryw_due;
    size_t nryw_pending, capryw_pending;
    int64_t stale_reads, stale_after_bound, monotonic_violations, replica_read_errors;
} fd_probe_run;

/* Starts a probe's thread; with replicas (names[i] reached as reads[i], each as verify's
 * read), a lag sampler for each. */
bool fd_probe_start(fd_probe_run *pr, const fd_probe *p, const fd_probe_env *env, fd_history *h,
                    char *const *names, char *const *reads, size_t nreplicas);
/* Stops it and waits for the operation in flight to end. */
void fd_probe_stop(fd_probe_run *pr);
/* The share of ok operations that started in [from, to] (monotonic), or NAN. */
double fd_probe_availability(fd_probe_run *pr, int64_t from, int64_t to);
/* Whether condition c (availability or value) holds over the operations that started in
 * [from, to]; *measured (caller frees) says what was measured, for messages, and *figure
 * (when not NULL) is the availability, or the value it turned on (NAN: none). A value
 * condition holds when there was an operation and every one was ok with a value for which
 * it holds. */
bool fd_probe_condition(fd_probe_run *pr, const fd_condition *c, int64_t from, int64_t to,
                        char **measured, double *figure);
/* What c needs: ">= 0.99", "< 0.01" (caller frees). */
char *fd_condition_words(const fd_condition *c);
/* A copy of the probe's last error while it runs (caller frees), or "none". */
char *fd_probe_last_error(fd_probe_run *pr);
/* The values of the ok operations that started in [from, to] (monotonic). */
void fd_probe_value_stats(fd_probe_run *pr, int64_t from, int64_t to, fd_value_stats *st);
/* A copy of the operations so far (caller frees), for live checks. */
fd_op *fd_probe_snapshot(fd_probe_run *pr, size_t *n);
/* Reads back every value through a client, giving a service that is still settling
 * up to 5 tries within timeout_us. On failure *error (caller frees) says why. */
bool fd_probe_read_values(const fd_probe_type_ops *ops, fd_probe_client *c, int64_t timeout_us,
                          fd_strv *values, char **error);
/* Reads back a write probe's values and fills pr->m's data-loss figures. */
void fd_probe_read_back(fd_probe_run *pr, int64_t timeout_us);
void fd_probe_free(fd_probe_run *pr);

/* SQL for steps that compare servers (blocking; each wait bounded by timeout_us): runs
 * statements in order in one session and gives every cell of the last one's rows, row by
 * row (NULL as ""), with *ncols cells a row. False with *err (caller frees). */
/* mysql: at endpoint (host:port), with p's user and password. */
bool fd_mysql_run(const fd_probe *p, const char *endpoint, const char *const *sql, size_t nsql,
                  int64_t timeout_us, fd_strv *cells, size_t *ncols, char **err);
/* postgres: with a conninfo. */
bool fd_pg_run(const char *conninfo, const char *const *sql, size_t nsql, int64_t timeout_us,
               fd_strv *cells, size_t *ncols, char **err);

/* probe_replicas.c */
/* p pointed at `read` (verify's read: a conninfo for postgres, host:port for redis and
 * mysql, a URL for http); for a replica, in mode read (no writable server asked for).
 * Strings the copy needs are kept in owned. */
fd_probe fd_probe_at(const fd_probe *p, const char *read, bool replica, fd_strv *owned);
/* How to read from a replica host at address (port 0: the probe's own). Caller frees. */
char *fd_probe_replica_read(const fd_probe *p, const char *address, int64_t port);
void fd_probe_replicas_start(fd_probe_run *pr, const fd_probe_env *env, char *const *names,
                             char *const *reads, size_t n);
void fd_probe_replicas_stop(fd_probe_run *pr);
/* Each replica's read-back against the primary's values (NULL: the primary's read-back
 * failed), and its lag percentiles. */
void fd_probe_replicas_read_back(fd_probe_run *pr, const fd_strv *primary, int64_t timeout_us);
/* read_your_writes: after write n was acknowledged at ack_us; and, between operations,
 * the writes due to be looked at again. */
void fd_probe_ryw_after_write(fd_probe_run *pr, uint64_t n, int64_t ack_us);
void fd_probe_ryw_due(fd_probe_run *pr);
void fd_probe_replicas_free(fd_probe_run *pr);

/* probe_prometheus.c: the value of a Prometheus instant query's answer (the body of
 * /api/v1/query): a scalar, or the one series of a vector whose labels hold every
 * labels[i]. False with *error (caller frees) on an error answer, an empty result or a
 * choice of series that is not exactly one; *invalid when the server refused the
 * query itself (bad_data). */
bool fd_prom_value(const char *body, size_t len, const fd_kv *labels, size_t nlabels, double *value,
                   bool *invalid, char **error);

/* helpers for clients */
/* Remaining time until deadline in ms (at least 1). */
int fd_deadline_ms(int64_t deadline_us);

#endif
