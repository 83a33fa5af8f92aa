/* render_run.c: writing a run directory's formats, and the index of past runs. */
#include "render.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

extern const char fd_report_css[];

static bool write_file(const char *path, const fd_buf *b, char **err)
{
    return fd_write_file_replace(path, b->data ? b->data : "", b->len, err);
}

bool fd_render_run_dir(const char *dir, unsigned formats, char **err)
{
    *err = NULL;
    char *rpath = fd_asprintf("%s/report.json", dir);
    json_error_t je;
    json_t *r = json_load_file(rpath, 0, &je);
    if (!r || !json_is_object(r)) {
        *err = fd_asprintf("%s: cannot read: %s (line %d)", rpath, je.text, je.line);
        free(rpath);
        json_decref(r);
        return false;
    }
    free(rpath);
    bool ok = true;
    fd_buf b;
    if (formats & FD_FORMAT_MARKDOWN) {
        fd_buf_init(&b, (size_t)64 << 20);
        fd_render_markdown(r, &b);
        char *p = fd_asprintf("%s/report.md", dir);
        ok &= write_file(p, &b, err);
        free(p);
        fd_buf_free(&b);
    }
    if (ok && (formats & FD_FORMAT_JUNIT)) {
        fd_buf_init(&b, (size_t)64 << 20);
        fd_render_junit(r, &b);
        char *p = fd_asprintf("%s/junit.xml", dir);
        ok &= write_file(p, &b, err);
        free(p);
        fd_buf_free(&b);
    }
    if (ok && (formats & FD_FORMAT_HTML)) {
        fd_timeline_data t;
        char *hpath = fd_asprintf("%s/history.jsonl", dir);
        char *terr = NULL;
        double dur = fd_jnum(r, "duration_s");
        if (!fd_timeline_load(hpath, isnan(dur) ? 1.0 : dur, r, &t, &terr))
            free(terr); /* no history: the page shows no operations */
        free(hpath);
        fd_buf_init(&b, (size_t)64 << 20);
        fd_render_html(r, &t, &b);
        char *p = fd_asprintf("%s/report.html", dir);
        ok &= write_file(p, &b, err);
        free(p);
        fd_buf_free(&b);
        fd_timeline_free(&t);
    }
    json_decref(r);
    return ok;
}

/* ------------------------------------------------------------------ index */

typedef struct run_summary {
    char *dir; /* the run directory's name */
    char *scenario;
    char *verdict;
    double started;
    double failover_s;   /* the longest failover among the probes; NAN when none */
    double availability; /* the lowest availability among the probes */
    long long lost;      /* lost writes summed over write probes; -1 none measured */
    double rpo_s, rto_s; /* the largest among the verifies; NAN when none */
    double backup_age_s; /* the oldest backup the drill read or took; NAN when none */
} run_summary;

static double get_failover(const run_summary *s)
{
    return s->failover_s;
}
static double get_rpo(const run_summary *s)
{
    return s->rpo_s;
}
static double get_rto(const run_summary *s)
{
    return s->rto_s;
}
static double get_backup_age(const run_summary *s)
{
    return s->backup_age_s;
}

/* The figures the index trends per scenario. */
static const struct trend_metric {
    const char *label;
    double (*get)(const run_summary *s);
} trends[] = {
    {"failover time", get_failover},
    {"RPO", get_rpo},
    {"RTO", get_rto},
    {"backup age", get_backup_age},
};

static int by_scenario_time(const void *a, const void *b)
{
    const run_summary *x = a, *y = b;
    int c = strcmp(x->scenario, y->scenario);
    if (c)
        return c;
    return x->started < y->started ? -1 : x->started > y->started;
}

/* One figure of a scenario's runs as a line, oldest first (nothing when no run has it). */
static void trend_svg(fd_buf *b, const run_summary *v, size_t n, const struct trend_metric *m)
{
    double max = 0;
    size_t have = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(m->get(&v[i]))) {
            have++;
            if (m->get(&v[i]) > max)
                max = m->get(&v[i]);
        }
    if (have < 1)
        return;
    const int w = 360, h = 70, pad = 8;
    fd_buf_printf(b,
                  "<svg class=\"trend\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
                  "width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"%s per run\">",
                  w, h + 16, w, h + 16, m->label);
    fd_buf_puts(b, "<polyline fill=\"none\" stroke=\"#1565c0\" stroke-width=\"1.5\" points=\"");
    for (size_t i = 0; i < n; i++) {
        if (isnan(m->get(&v[i])))
            continue;
        double x = n > 1 ? pad + (double)i / (double)(n - 1) * (w - 2 * pad) : w / 2.0;
        double y = pad + (1.0 - (max > 0 ? m->get(&v[i]) / max : 0)) * (h - 2 * pad);
        fd_buf_printf(b, "%.1f,%.1f ", x, y);
    }
    fd_buf_puts(b, "\"/>");
    for (size_t i = 0; i < n; i++) {
        if (isnan(m->get(&v[i])))
            continue;
        double x = n > 1 ? pad + (double)i / (double)(n - 1) * (w - 2 * pad) : w / 2.0;
        double y = pad + (1.0 - (max > 0 ? m->get(&v[i]) / max : 0)) * (h - 2 * pad);
        bool bad = strcmp(v[i].verdict, "pass") != 0;
        fd_buf_printf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"><title>", x, y,
                      bad ? "#c62828" : "#2e7d32");
        fd_esc_html(b, v[i].dir);
        fd_buf_printf(b, ": %s %.2f s, ", m->label, m->get(&v[i]));
        fd_esc_html(b, v[i].verdict);
        fd_buf_puts(b, "</title></circle>");
    }
    fd_buf_printf(b, "<text x=\"%d\" y=\"%d\" font-size=\"10\">%s per run, max %.2f s</text></svg>",
                  pad, h + 12, m->label, max);
}

/* The largest of a figure over an array's objects. */
static double max_of(const json_t *arr, const char *key)
{
    double max = NAN;
    size_t i;
    const json_t *o;
    json_array_foreach(arr, i, o)
    {
        double v = fd_jnum(o, key);
        if (!isnan(v) && (isnan(max) || v > max))
            max = v;
    }
    return max;
}

/* One run's figures for the index, from its report.json. */
static void summarize(run_summary *s, const char *name, const json_t *r)
{
    s->dir = fd_strdup(name);
    s->scenario = fd_strdup(fd_jstr(json_object_get(r, "scenario"), "name"));
    s->verdict = fd_strdup(fd_jstr(r, "verdict"));
    s->started = fd_jnum(r, "started_at_unix");
    s->failover_s = NAN;
    s->availability = NAN;
    s->lost = -1;
    s->rpo_s = max_of(json_object_get(r, "verifies"), "rpo_s");
    s->rto_s = max_of(json_object_get(r, "verifies"), "rto_s");
    s->backup_age_s = max_of(json_object_get(r, "backups"), "age_s");
    size_t i;
    const json_t *p;
    json_array_foreach(json_object_get(r, "probes"), i, p)
    {
        double fo = fd_jnum(p, "failover_time_s"), av = fd_jnum(p, "availability");
        if (!isnan(fo) && (isnan(s->failover_s) || fo > s->failover_s))
            s->failover_s = fo;
        if (!isnan(av) && (isnan(s->availability) || av < s->availability))
            s->availability = av;
        const json_t *lw = json_object_get(p, "lost_writes");
        long long v = json_is_integer(lw) ? (long long)json_integer_value(lw) : -1;
        if (v >= 0) /* summed without overflow, whatever the reports hold */
            s->lost = (s->lost < 0 ? 0 : s->lost) > LLONG_MAX - v ? LLONG_MAX
                                                                  : (s->lost < 0 ? 0 : s->lost) + v;
    }
}

/* A run directory's name as a relative link: "./" first, so no name reads as a URL
 * scheme (javascript:...), and every byte outside the unreserved set %-encoded. */
static void href_dir(fd_buf *b, const char *name)
{
    fd_buf_puts(b, "./");
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("-._~", *p))
            fd_buf_append(b, p, 1);
        else
            fd_buf_printf(b, "%%%02X", *p);
    }
}

/* A figure in seconds as a table cell, "-" when not measured. */
static void cell_s(fd_buf *out, double v)
{
    if (isnan(v))
        fd_buf_puts(out, "<td class=\"num\">-</td>");
    else
        fd_buf_printf(out, "<td class=\"num\">%.2f s</td>", v);
}

/* The longest failover of a run: "no outage observed" when it had none. */
static void cell_failover(fd_buf *out, double v)
{
    if (v == 0)
        fd_buf_puts(out, "<td class=\"num\">no outage observed</td>");
    else
        cell_s(out, v);
}

/* One row of a scenario's table: a run, newest first. */
static void index_row(fd_buf *out, const run_summary *s, bool dr)
{
    char when[32];
    if (!fd_fmt_utc(when, sizeof when, s->started, ' '))
        snprintf(when, sizeof when, "-");
    fd_buf_puts(out, "<tr><td><a href=\"");
    href_dir(out, s->dir);
    fd_buf_puts(out, "/report.html\">");
    fd_esc_html(out, s->dir);
    bool pass = strcmp(s->verdict, "pass") == 0;
    fd_buf_printf(out, "</a></td><td>%s</td><td class=\"%s\">", when, pass ? "pass" : "fail");
    fd_esc_html(out, s->verdict);
    fd_buf_puts(out, "</td>");
    cell_failover(out, s->failover_s);
    if (isnan(s->availability))
        fd_buf_puts(out, "<td class=\"num\">-</td>");
    else
        fd_buf_printf(out, "<td class=\"num\">%.2f%%</td>", s->availability * 100);
    if (s->lost < 0)
        fd_buf_puts(out, "<td class=\"num\">-</td>");
    else
        fd_buf_printf(out, "<td class=\"num\">%lld</td>", s->lost);
    if (dr) {
        cell_s(out, s->rpo_s);
        cell_s(out, s->rto_s);
        cell_s(out, s->backup_age_s);
    }
    fd_buf_puts(out, "</tr>\n");
}

/* One scenario's runs v[0..n): the change in failover time at a glance, a trend of
 * each figure its runs have, and a row per run. */
static void index_scenario(fd_buf *out, const run_summary *v, size_t n)
{
    fd_buf_puts(out, "<h2>");
    fd_esc_html(out, v[0].scenario);
    fd_buf_printf(out, " <span class=\"detail\">%zu run%s</span></h2>\n", n, n == 1 ? "" : "s");
    /* the change that matters at a glance: latest against previous and first */
    size_t last = n - 1;
    if (n >= 2 && !isnan(v[last].failover_s)) {
        size_t prev = last - 1;
        while (prev > 0 && isnan(v[prev].failover_s))
            prev--;
        if (!isnan(v[prev].failover_s)) {
            double dp = v[last].failover_s - v[prev].failover_s;
            double df = isnan(v[0].failover_s) ? NAN : v[last].failover_s - v[0].failover_s;
            fd_buf_printf(out,
                          "<p class=\"%s\">failover time %.2f s: %+.2f s since the previous run",
                          dp > 0.5 ? "fail" : "pass", v[last].failover_s, dp);
            if (!isnan(df))
                fd_buf_printf(out, ", %+.2f s since the first", df);
            fd_buf_puts(out, "</p>\n");
        }
    }
    bool dr = false;
    for (size_t i = 0; i < n; i++)
        dr |= !isnan(v[i].rpo_s) || !isnan(v[i].rto_s) || !isnan(v[i].backup_age_s);
    for (size_t t = 0; t < sizeof trends / sizeof *trends; t++)
        trend_svg(out, v, n, &trends[t]);
    fd_buf_printf(out,
                  "<table><tr><th>run</th><th>started (UTC)</th><th>verdict</th><th>failover "
                  "time</th><th>availability</th><th>lost writes</th>%s</tr>\n",
                  dr ? "<th>rpo</th><th>rto</th><th>backup age</th>" : "");
    for (size_t k = n; k-- > 0;)
        index_row(out, &v[k], dr);
    fd_buf_puts(out, "</table>\n");
}

void fd_render_index_html(const char *reports_dir, const char *const *names, json_t *const *reports,
                          size_t nreports, fd_buf *out)
{
    run_summary *runs = fd_xcalloc(nreports ? nreports : 1, sizeof *runs);
    size_t n = 0;
    for (size_t i = 0; i < nreports; i++)
        if (json_is_object(reports[i]))
            summarize(&runs[n++], names[i], reports[i]);
    qsort(runs, n, sizeof *runs, by_scenario_time);
    fd_buf_printf(out,
                  "<!doctype html>\n<html lang=\"en\"><head><meta "
                  "charset=\"utf-8\"><title>firedrill runs</title>"
                  "<style>\n%s</style></head><body>\n<h1>firedrill runs</h1>\n<div "
                  "class=\"meta\">%zu runs in ",
                  fd_report_css, n);
    fd_esc_html(out, reports_dir);
    fd_buf_puts(out, "</div>\n");
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && strcmp(runs[j].scenario, runs[i].scenario) == 0)
            j++;
        index_scenario(out, runs + i, j - i);
        i = j;
    }
    fd_buf_puts(out, "</body></html>\n");
    for (size_t i = 0; i < n; i++) {
        free(runs[i].dir);
        free(runs[i].scenario);
        free(runs[i].verdict);
    }
    free(runs);
}

bool fd_render_index(const char *reports_dir, char **err)
{
    *err = NULL;
    DIR *d = opendir(reports_dir);
    if (!d) {
        *err = fd_asprintf("cannot read %s: %s", reports_dir, strerror(errno));
        return false;
    }
    fd_strv names = {0};
    json_t **reports = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        /* run directories only: a link is not followed */
        char *dpath = fd_asprintf("%s/%s", reports_dir, de->d_name);
        struct stat st;
        bool isdir = lstat(dpath, &st) == 0 && S_ISDIR(st.st_mode);
        free(dpath);
        if (!isdir)
            continue;
        char *path = fd_asprintf("%s/%s/report.json", reports_dir, de->d_name);
        json_t *r = json_load_file(path, 0, NULL);
        free(path);
        if (!r)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 32;
            reports = fd_xrealloc(reports, cap * sizeof *reports);
        }
        reports[n++] = r;
        fd_strv_push(&names, de->d_name);
    }
    closedir(d);
    fd_buf b;
    fd_buf_init(&b, (size_t)64 << 20);
    fd_render_index_html(reports_dir, (const char *const *)names.v, reports, n, &b);
    char *path = fd_asprintf("%s/index.html", reports_dir);
    bool ok = write_file(path, &b, err);
    free(path);
    fd_buf_free(&b);
    for (size_t i = 0; i < n; i++)
        json_decref(reports[i]);
    free(reports);
    fd_strv_free(&names);
    return ok;
}
