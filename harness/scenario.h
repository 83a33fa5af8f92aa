/* scenario.h: a drill scenario, loaded and checked, as typed structures.
 *
 * fd_scenario_load reads the whole scenario language (every step, fault and probe
 * type). Durations are in microseconds; a field that was not given keeps the
 * documented default. All strings are owned by the scenario and freed by
 * fd_scenario_free. */
#ifndef FD_SCENARIO_H
#define FD_SCENARIO_H

#include "formats.h"
#include "diag.h"
#include "inventory.h"
#include "subst.h"
#include "value.h"

#include <stdbool.h>
#include <stdint.h>

typedef enum fd_pick { FD_PICK_ALL, FD_PICK_ONE, FD_PICK_RANDOM, FD_PICK_PERCENT } fd_pick;

typedef struct fd_selector {
    bool set;
    fd_strv hosts;
    char *role;
    char *datacenter;
    char *where; /* run on each candidate at step time; exit 0 keeps it */
    fd_pick pick;
    int64_t pick_n; /* random:N -> N, percent:P -> P */
    int line, col;
} fd_selector;

typedef enum fd_fault_type {
    FD_FAULT_KILL,
    FD_FAULT_PAUSE,
    FD_FAULT_STOP_SERVICE,
    FD_FAULT_PARTITION,
    FD_FAULT_CUT_DATACENTER,
    FD_FAULT_DROP,
    FD_FAULT_NETEM,
    FD_FAULT_FILL_DISK,
    FD_FAULT_COMMAND,
    FD_FAULT_COUNT
} fd_fault_type;
extern const char *const fd_fault_type_names[];
/* True for the faults that cut the network (partition, cut_datacenter): the run
 * observes the cut from the hosts. */
bool fd_fault_cuts_network(fd_fault_type type);

typedef enum fd_partition_mode { FD_PART_ISOLATE, FD_PART_SPLIT, FD_PART_ONEWAY } fd_partition_mode;

#define FD_FAULT_TIMEOUT_DEFAULT_US ((int64_t)60 * 1000000)
#define FD_FAULT_TIMEOUT_MAX_US ((int64_t)3600 * 1000000)

typedef struct fd_fault {
    fd_fault_type type;
    fd_selector target;
    int64_t duration_us; /* 0: lasts until a heal step or the end of the run */
    int64_t ttl_us;      /* resolved: the fault's ttl, else safety.ttl */
    int64_t timeout_us;  /* the apply's deadline on the host (default 60s) */
    /* kill, pause, stop_service */
    char *process, *pidfile, *unit, *signal, *restart;
    char *stop, *start;
    /* partition, cut_datacenter */
    fd_partition_mode mode;
    fd_selector *groups;
    size_t ngroups;
    fd_selector from, to; /* oneway; `to` also for drop and netem */
    bool clients_cut;
    char *datacenter;
    /* drop, netem: a negative value means "not given" */
    double loss;
    int64_t delay_us, jitter_us;
    double duplicate, corrupt, reorder;
    char *rate, *device;
    /* fill_disk */
    char *path;
    uint64_t size_bytes;
    double size_percent;
    /* command */
    char *apply, *revert;
} fd_fault;

typedef enum fd_step_kind {
    FD_STEP_FAULT,
    FD_STEP_HEAL,
    FD_STEP_WAIT,
    FD_STEP_WAIT_FOR,
    FD_STEP_RUN,
    FD_STEP_BACKUP,
    FD_STEP_COPY,
    FD_STEP_RESTORE,
    FD_STEP_VERIFY,
    FD_STEP_ARCHIVE_LAG,
    FD_STEP_CONSISTENCY,
    FD_STEP_HOLD,
    FD_STEP_COUNT
} fd_step_kind;
extern const char *const fd_step_kind_names[];

typedef struct fd_endpoint {
    char *host;
    char *path;
} fd_endpoint;

typedef struct fd_step {
    fd_step_kind kind;
    char *id; /* given, or "<kind>-<index+1>" */
    bool id_given;
    int line, col;
    fd_fault fault;
    char *heal; /* a fault id or "all" */
    int64_t wait_us;
    struct {
        char *probe;
        int64_t healthy_for_us, timeout_us;
    } wait_for;
    struct {
        char *command;
        fd_selector target; /* unset: runs on the controller */
        int64_t timeout_us;
        int64_t expect_exit;
        bool sudo; /* under sudo -n on hosts with the inventory's sudo: true */
    } run;
    struct {
        fd_selector target;
        char *command, *artifact; /* a backup the drill takes */
        char *catalog;            /* or: the command that prints an existing backup's catalog */
    } backup;
    struct {
        fd_endpoint from, to;
    } copy;
    struct {
        fd_selector target;
        char *command;
        /* recovery_target: where the restore must stop (the command reads it from
         * FD_RECOVERY_TARGET). NONE: not given. */
        enum { FD_RT_NONE, FD_RT_LATEST, FD_RT_TIME, FD_RT_BEFORE } recovery;
        double recovery_unix;  /* FD_RT_TIME */
        char *recovery_before; /* FD_RT_BEFORE: the step or fault just before which */
    } restore;
    struct {
        char *probe, *against, *read;
    } verify;
    struct {
        /* each prints a log position (and a time): the archive's newest, the primary's */
        fd_selector archive_target, primary_target;
        char *archive_command, *primary_command;
    } archive_lag;
    struct {
        char *probe;        /* a mysql or postgres write probe with replicas */
        fd_strv tables;     /* the user's tables beside the probe's: [db.]table */
        fd_selector target; /* mysql: the host pt-table-checksum runs on */
        int64_t timeout_us;
    } consistency;
    struct {
        char *prompt, *runbook;
        int64_t timeout_us;
        bool on_timeout_continue;
        char *auto_command; /* run instead of waiting, with --auto-ack */
        bool sudo;          /* auto under sudo -n, as a run step's sudo */
        fd_selector target; /* where auto runs (unset: the controller) */
    } hold;
} fd_step;

typedef enum fd_probe_type {
    FD_PROBE_TCP,
    FD_PROBE_HTTP,
    FD_PROBE_REDIS,
    FD_PROBE_POSTGRES,
    FD_PROBE_ETCD,
    FD_PROBE_COMMAND,
    FD_PROBE_MYSQL,
    FD_PROBE_PROMETHEUS,
    FD_PROBE_COUNT
} fd_probe_type;
extern const char *const fd_probe_type_names[];

typedef struct fd_kv {
    char *key, *value;
} fd_kv;

typedef struct fd_probe {
    char *name;
    fd_probe_type type;
    bool write;
    int64_t interval_us; /* the period between operation starts */
    double rate;         /* given as rate: ops per second (interval_us derived) */
    int64_t timeout_us;
    int64_t settle_us;
    int line, col;
    /* tcp */
    char *address;
    int64_t port;
    /* http */
    char *url, *method, *body, *write_url, *write_body, *read_url;
    fd_kv *headers;
    size_t nheaders;
    int expect_status; /* 0: any 2xx */
    /* redis, etcd */
    fd_strv endpoints;
    fd_strv sentinel_addresses;
    char *sentinel_master;
    /* postgres (conninfo), postgres and mysql (table), mysql */
    char *conninfo, *table;
    char *user, *password, *database;
    /* command */
    char *command;
    fd_selector target;
    /* prometheus: url is the server's base URL; headers as for http */
    char *query;
    fd_kv *labels; /* the one series of the result to read, by these labels */
    size_t nlabels;
    /* replicas (postgres, mysql and redis write probes): read back from each, and the
     * lag until a write shows there sampled during the run */
    fd_selector replicas_target; /* each selected host, at replicas_port */
    int64_t replicas_port;       /* 0: the probe's own */
    fd_strv replicas_read;       /* or each of these, as verify's read */
    /* mode read_your_writes: each write is read from read_from at once, and again
     * `bound` later when it was not there */
    bool read_your_writes;
    char *read_from;
    int64_t bound_us;
} fd_probe;

typedef struct fd_condition {
    char *probe;
    fd_cmp availability;
    bool on_value; /* value: a condition on a measuring probe's numbers instead */
    fd_cmp value;
    int64_t for_us;
    int line, col;
} fd_condition;

typedef enum fd_metric {
    FD_METRIC_AVAILABILITY,
    FD_METRIC_FAILOVER_TIME,
    FD_METRIC_OUTAGES,
    FD_METRIC_LOST_WRITES,
    FD_METRIC_PHANTOM_WRITES,
    FD_METRIC_CORRUPT_VALUES,
    FD_METRIC_LATENCY_P50,
    FD_METRIC_LATENCY_P99,
    FD_METRIC_LATENCY_MAX,
    FD_METRIC_RPO,
    FD_METRIC_RTO,
    FD_METRIC_BACKUP_AGE,
    FD_METRIC_LATE_WRITES,
    FD_METRIC_ARCHIVE_LAG,
    FD_METRIC_REPLICA_LOST_WRITES,
    FD_METRIC_EXTRA_VALUES,
    FD_METRIC_DIVERGENT_VALUES,
    FD_METRIC_REPLICA_LAG,
    FD_METRIC_STALE_READS,
    FD_METRIC_STALE_AFTER_BOUND,
    FD_METRIC_MONOTONIC_VIOLATIONS,
    FD_METRIC_TIME_TO_ACK,
    FD_METRIC_VALUE_MAX,
    FD_METRIC_VALUE_MIN,
    FD_METRIC_VALUE_MEAN,
    FD_METRIC_VALUE_LAST,
    FD_METRIC_TIME_TO_ALERT,
    FD_METRIC_TIME_TO_RESOLVE,
    FD_METRIC_COUNT
} fd_metric;
extern const char *const fd_metric_names[];

typedef struct fd_check {
    char *probe;  /* or */
    char *step;   /* a verify step's id, or */
    char *alert;  /* an alert's name (safety.alerts.expect) */
    char *during; /* value metrics: a fault step's window instead of the timeline */
    fd_metric metric;
    bool is_max;      /* max: value <= limit; else min: value >= limit */
    bool expect_fail; /* expect: fail: the drill shows a known weakness */
    double limit;     /* seconds for times, a ratio, or a count */
    int line, col;
} fd_check;

/* safety.alerts: the Alertmanager gate. */
typedef struct fd_alert_gate {
    bool set;
    char *alertmanager; /* the server's base URL */
    fd_strv matchers;   /* Alertmanager's filter matchers, as written: severity="critical" */
    fd_strv expect;     /* alert names the drill's faults should cause */
    fd_kv *headers;     /* sent with every request (an auth proxy's) */
    size_t nheaders;
    int64_t interval_us; /* how often it is asked during the run */
    int line, col;
} fd_alert_gate;

typedef struct fd_scenario {
    char *file;
    char *dir; /* the scenario file's directory */
    char *name;
    char *description;
    fd_inventory inv;
    fd_vars vars;
    fd_probe *probes;
    size_t nprobes;
    fd_condition *steady;
    size_t nsteady;
    fd_step *steps; /* the timeline's, then the finally section's */
    size_t nsteps;
    size_t ntimeline; /* steps[ntimeline..nsteps) are `finally:` steps */
    fd_check *checks;
    size_t nchecks;
    int64_t max_hosts_affected; /* -1: no limit */
    int64_t ttl_us;
    bool has_abort_if;
    fd_condition abort_if;
    fd_alert_gate alerts;
    char *report_dir;
    unsigned formats;
    char *webhook;
    unsigned notify_events; /* FD_NOTIFY_* bits (notify.h); the end alone unless given */
    char *url_base;         /* where the reports folder is served: links in messages */
    char *pushgateway;      /* report.pushgateway: where the run's figures are pushed */
} fd_scenario;

typedef struct fd_load_opts {
    const char *inventory; /* --inventory: replaces the scenario's */
    fd_strv var_names;     /* --var k=v, overriding vars */
    fd_strv var_values;
    bool verbose; /* --verbose: warn of inventory variables firedrill does not read */
} fd_load_opts;

#define FD_MAX_PROBES 64
#define FD_MAX_STEPS 1000

/* Loads and checks a scenario. Returns FD_OK, or FD_ERR_INPUT with every problem in d
 * (or FD_ERR_IO when the file cannot be read). out must be freed in both cases. */
fd_err fd_scenario_load(const char *path, const fd_load_opts *opts, fd_scenario *out, fd_diags *d);
void fd_scenario_free(fd_scenario *s);
/* The same from text in memory; `label` names it in messages and its directory
 * resolves a relative inventory path. */
fd_err fd_scenario_load_text(const char *label, const char *text, size_t len,
                             const fd_load_opts *opts, fd_scenario *out, fd_diags *d);

/* Loads a standalone inventory file. */
fd_err fd_inventory_load(const char *path, bool verbose, fd_inventory *inv, fd_diags *d);

/* A path that may be a scenario or an inventory: a document with 'timeline' is a
 * scenario. For an inventory file, *is_scenario is false and only inv is filled. */
fd_err fd_load_scenario_or_inventory(const char *path, const fd_load_opts *opts, fd_scenario *s,
                                     bool *is_scenario, fd_diags *d);

/* Finds a probe or step by name/id, or NULL. */
const fd_probe *fd_scenario_probe(const fd_scenario *s, const char *name);
const fd_step *fd_scenario_step(const fd_scenario *s, const char *id);

bool fd_metric_is_write_only(fd_metric m);
bool fd_metric_is_duration(fd_metric m);
/* What a check is about: its probe, step or alert. */
const char *fd_check_about(const fd_check *c);
/* value_max, value_min, value_mean, value_last: a measuring probe's numbers. */
bool fd_metric_is_value(fd_metric m);
/* time_to_alert, time_to_resolve: an alert's. */
bool fd_metric_is_alert(fd_metric m);

void fd_selector_free(fd_selector *s);

/* An Alertmanager label matcher: name, =, !=, =~ or !~, a value in double quotes. */
bool fd_alert_matcher_valid(const char *m);

#endif
