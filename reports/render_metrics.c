/* render_metrics.c: a run's figures in the Prometheus text exposition format (0.0.4),
 * from report.json: for the Pushgateway (report.pushgateway) and node exporter's
 * textfile collector (--metrics-file). Every sample is labelled by scenario, and a
 * probe's (or a verify's) by probe (and step). A figure that was not measured has no
 * sample: Prometheus reads an absent series as unknown, never as 0. */
#include "render.h"

#include <math.h>
#include <string.h>

/* A label value: backslash, double quote and line feed escaped. */
static void esc_label(fd_buf *b, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\' || *s == '"')
            fd_buf_printf(b, "\\%c", *s);
        else if (*s == '\n')
            fd_buf_puts(b, "\\n");
        else
            fd_buf_append(b, s, 1);
    }
}

typedef struct family {
    const char *name, *help;
} family;

static const family families[] = {
    {"firedrill_exit_code", "The run's exit code: 0 pass, 1 fail, 2 invalid, 3 aborted, 4 error, "
                            "5 heal failed."},
    {"firedrill_last_run_timestamp_seconds", "When the run ended (Unix time)."},
    {"firedrill_duration_seconds", "How long the run took."},
    {"firedrill_availability", "A probe's ok operations over all its operations (the timeline)."},
    {"firedrill_failover_seconds", "A probe's longest outage."},
    {"firedrill_lost_writes", "Acknowledged writes missing: a probe's read-back, or a verify's."},
    {"firedrill_rpo_seconds", "A verify's recovery point: data lost, in time."},
    {"firedrill_rto_seconds", "A verify's recovery time."},
};

static void header(fd_buf *b, const family *f)
{
    fd_buf_printf(b, "# HELP %s %s\n# TYPE %s gauge\n", f->name, f->help, f->name);
}

static void sample(fd_buf *b, const char *name, const char *scenario, const char *probe,
                   const char *step, double v)
{
    fd_buf_printf(b, "%s{scenario=\"", name);
    esc_label(b, scenario);
    if (probe && *probe) {
        fd_buf_puts(b, "\",probe=\"");
        esc_label(b, probe);
    }
    if (step && *step) {
        fd_buf_puts(b, "\",step=\"");
        esc_label(b, step);
    }
    fd_buf_printf(b, "\"} %.15g\n", v);
}

/* Samples of one family: every probe's (key of probes[]) or verify's (key of verifies[])
 * figure; its header before the first sample, once (*headed). */
static void per_item(fd_buf *b, const family *f, const char *scenario, const json_t *items,
                     const char *key, bool verify, bool *headed)
{
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it)
    {
        double v = fd_jnum(it, key);
        if (isnan(v))
            continue;
        if (!*headed)
            header(b, f);
        *headed = true;
        sample(b, f->name, scenario, verify ? fd_jstr(it, "probe") : fd_jstr(it, "name"),
               verify ? fd_jstr(it, "id") : NULL, v);
    }
}

void fd_render_metrics(const json_t *report, fd_buf *out)
{
    const char *scenario = fd_jstr(json_object_get(report, "scenario"), "name");
    const json_t *probes = json_object_get(report, "probes");
    const json_t *verifies = json_object_get(report, "verifies");
    fd_buf_puts(out, "# firedrill metrics: written by firedrill run, replaced by the next\n");
    header(out, &families[0]);
    sample(out, families[0].name, scenario, NULL, NULL, fd_jnum(report, "exit_code"));
    header(out, &families[1]);
    sample(out, families[1].name, scenario, NULL, NULL,
           fd_jnum(report, "started_at_unix") + fd_jnum(report, "duration_s"));
    header(out, &families[2]);
    sample(out, families[2].name, scenario, NULL, NULL, fd_jnum(report, "duration_s"));
    bool headed[8] = {0};
    per_item(out, &families[3], scenario, probes, "availability", false, &headed[3]);
    per_item(out, &families[4], scenario, probes, "failover_time_s", false, &headed[4]);
    /* lost writes: the probes' read-backs and the verifies' restores, one family */
    per_item(out, &families[5], scenario, probes, "lost_writes", false, &headed[5]);
    per_item(out, &families[5], scenario, verifies, "lost_writes", true, &headed[5]);
    per_item(out, &families[6], scenario, verifies, "rpo_s", true, &headed[6]);
    per_item(out, &families[7], scenario, verifies, "rto_s", true, &headed[7]);
}
