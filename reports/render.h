/* render.h: the report formats, each rendered from report.json (and, for the
 * timeline picture, history.jsonl), so that `firedrill report RUN_DIR` renders any
 * of them again. Everything from hosts and services is untrusted text: it is
 * escaped for the format it goes into. */
#ifndef FD_RENDER_H
#define FD_RENDER_H

#include "formats.h"
#include "util.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

/* Per-probe operation counts in equal time buckets over the run, read from
 * history.jsonl: the timeline picture's data, bounded whatever the op count. */
#define FD_BUCKETS 300

typedef struct fd_bucket {
    uint32_t ok, fail, unknown;
    double lat_max_ms, lat_sum_ms; /* over ok operations */
    double value_sum;              /* a measuring probe's finite values */
    uint32_t values;
} fd_bucket;

typedef struct fd_probe_buckets {
    char *name;
    bool measures; /* a prometheus probe: its values are drawn as a line */
    fd_bucket b[FD_BUCKETS];
} fd_probe_buckets;

typedef struct fd_timeline_data {
    double duration_s;
    fd_probe_buckets *probes;
    size_t nprobes;
    uint64_t ops;
} fd_timeline_data;

/* Opens a run's history for reading: PATH (history.jsonl), or PATH.gz (a long run's,
 * compressed when it ended) through zlib. NULL with errno when neither can be read. */
FILE *fd_history_fopen(const char *path);
/* Reads history.jsonl into buckets over [0, duration_s]. Returns false (with *err)
 * when the file cannot be read; unparseable lines are skipped and counted. */
bool fd_timeline_load(const char *history_path, double duration_s, const json_t *report,
                      fd_timeline_data *t, char **err);
/* The same from an open stream. */
void fd_timeline_read(FILE *f, double duration_s, const json_t *report, fd_timeline_data *t);
void fd_timeline_free(fd_timeline_data *t);

void fd_render_markdown(const json_t *report, fd_buf *out);
/* The run's figures in the Prometheus text format (render_metrics.c). */
void fd_render_metrics(const json_t *report, fd_buf *out);
void fd_render_junit(const json_t *report, fd_buf *out);
void fd_render_html(const json_t *report, const fd_timeline_data *t, fd_buf *out);
/* The timeline picture alone (an <svg> element). */
void fd_render_svg(const json_t *report, const fd_timeline_data *t, fd_buf *out);

/* Renders the asked formats of a run directory from its report.json and
 * history.jsonl. Returns false with *err (caller frees). */
bool fd_render_run_dir(const char *dir, unsigned formats, char **err);

/* Writes REPORTS_DIR/index.html: every run found there, grouped by scenario, with a
 * trend chart per scenario. */
bool fd_render_index(const char *reports_dir, char **err);
/* The index page itself, from the reports of runs named names[i] (json objects; others
 * are passed over). */
void fd_render_index_html(const char *reports_dir, const char *const *names, json_t *const *reports,
                          size_t n, fd_buf *out);

/* escaping and formatting helpers */
void fd_esc_html(fd_buf *b, const char *s); /* also fit for XML attributes and text */
void fd_esc_md(fd_buf *b, const char *s);   /* one table cell or line of Markdown */
/* The strings of a JSON array, each written by esc (fd_esc_html, fd_esc_md), joined by sep. */
void fd_join_strings(fd_buf *b, const json_t *strings, const char *sep,
                     void (*esc)(fd_buf *, const char *));
/* A fault's skew across its hosts: "apply 12 ms, heal 8 ms" (with "by the controller's
 * clock" when the hosts' clocks could not be used), or "-" for a fault on one host. */
void fd_fault_skew_words(fd_buf *b, const json_t *fault);
/* What a backup of report.json is, written by esc: its artifact, or for one read from a
 * catalog, its tool and label. */
void fd_backup_source(fd_buf *b, const json_t *backup, void (*esc)(fd_buf *, const char *));
void fd_backup_digest(fd_buf *b, const json_t *backup, void (*esc)(fd_buf *, const char *));
/* How a backup is pinned down: "sha256 HEX", "LSN X/Y", "binlog FILE:POS", or "-". */
/* Where a restore of report.json was asked to stop: "latest", "before STEP", the UTC
 * time, or "the backup's end" when none was given. */
void fd_restore_target(fd_buf *b, const json_t *restore, void (*esc)(fd_buf *, const char *));
/* An archive_lag of report.json: "SECONDS (N bytes) behind: archive A, primary P". */
void fd_archive_lag(fd_buf *b, const json_t *lag, void (*esc)(fd_buf *, const char *));
/* The replicas section (render_replicas.c): per-replica read-back and lag, read your
 * writes, consistency steps; nothing when the run had none. */
void fd_html_replicas(fd_buf *b, const json_t *r);
void fd_md_replicas(fd_buf *b, const json_t *r);
/* The holds (who acknowledged, how long it took) and the observers' notes
 * (render_people.c): "Holds and observations" in HTML, "Observations" in Markdown. */
void fd_html_people(fd_buf *b, const json_t *r);
void fd_md_people(fd_buf *b, const json_t *r);
/* The alerts the Alertmanager gate saw (render_alerts.c). */
void fd_html_alerts(fd_buf *b, const json_t *r);
void fd_md_alerts(fd_buf *b, const json_t *r);
/* "HOST:PATH" from two keys of o, written by esc. */
void fd_host_path(fd_buf *b, const json_t *o, const char *host, const char *path,
                  void (*esc)(fd_buf *, const char *));
/* "2.21 s", "12 ms", "-" for null */
void fd_fmt_seconds(fd_buf *b, const json_t *v);
/* A probe's failover time: "no outage observed" when it had none, else as seconds. */
void fd_fmt_failover(fd_buf *b, const json_t *probe);
const char *fd_jstr(const json_t *o, const char *key); /* "" when absent */
/* Labels (a JSON object of strings) as {a="x", b="y"}, the label `skip` left out (NULL:
 * none); nothing when no label is left. Returns whether it wrote. */
bool fd_fmt_labels(fd_buf *b, const json_t *labels, const char *skip);
/* An alert as NAME {a="x", ...}, its alertname label left out (NAME alone without others). */
void fd_alert_words(fd_buf *b, const char *name, const json_t *labels);
/* What a check of report.json is about: its probe, step or alert. */
const char *fd_check_subject(const json_t *check);
/* A verdict as a CSS class name: one of the known verdicts, else "unknown". */
const char *fd_verdict_class(const char *verdict);
/* Unix seconds as UTC "yyyy-mm-dd<sep>hh:mm:ss" (sep 'T' or ' '); "" (and false) for
 * a time that is not a number or out of years 1-9999. */
bool fd_fmt_utc(char *out, size_t n, double unix_s, char sep);
/* A step's "index" + 1, for display (no overflow whatever the report holds). */
long long fd_jindex1(const json_t *o);
double fd_jnum(const json_t *o, const char *key); /* NAN when absent or null */
/* The value of a check as text with its unit. */
void fd_fmt_metric(fd_buf *b, const char *metric, const json_t *v);
void fd_fmt_limit(fd_buf *b, const char *metric, double limit);

#endif
