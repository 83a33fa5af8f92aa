/* render_replicas.c: the replicas section of report.html and report.md: for each write
 * probe with replicas, a row per replica (its read-back against the primary, and its
 * lag with a small chart in HTML); read_your_writes figures; and each consistency
 * step's tables per replica. */
#include "render.h"

#include <math.h>
#include <string.h>

static bool any_replicas(const json_t *r)
{
    size_t i;
    const json_t *p;
    json_array_foreach(json_object_get(r, "probes"), i, p)
    {
        if (json_array_size(json_object_get(p, "replicas")) || json_object_get(p, "stale_reads"))
            return true;
    }
    return json_array_size(json_object_get(r, "consistency")) > 0;
}

static void count_text(fd_buf *b, const json_t *v)
{
    if (json_is_integer(v))
        fd_buf_printf(b, "%lld", (long long)json_integer_value(v));
    else
        fd_buf_puts(b, "-");
}

static void html_td(fd_buf *b, const char *cls, const char *s)
{
    fd_buf_printf(b, "<td%s%s%s>", cls ? " class=\"" : "", cls ? cls : "", cls ? "\"" : "");
    fd_esc_html(b, s);
    fd_buf_puts(b, "</td>");
}

static void html_count(fd_buf *b, const json_t *v, bool zero_is_good)
{
    bool bad = zero_is_good && json_is_integer(v) && json_integer_value(v) > 0;
    fd_buf_printf(b, "<td class=\"num%s\">", bad ? " fail" : "");
    count_text(b, v);
    fd_buf_puts(b, "</td>");
}

/* A count with a sample of what it counts ("2, e.g. 1042 1043"). */
static void count_with_sample(fd_buf *b, const json_t *count, const json_t *sample,
                              void (*esc)(fd_buf *, const char *))
{
    count_text(b, count);
    size_t i;
    const json_t *v;
    json_array_foreach(sample, i, v)
    {
        fd_buf_puts(b, i ? " " : ", e.g. ");
        esc(b, json_string_value(v) ? json_string_value(v) : "");
    }
}

/* A lag in ms as fd_fmt_seconds writes it ("3 ms", "2.50 s", "-"). */
static void lag_text(fd_buf *b, const json_t *ms)
{
    json_t *s = json_is_number(ms) ? json_real(json_number_value(ms) / 1000.0) : json_null();
    fd_fmt_seconds(b, s);
    json_decref(s);
}

static void html_ms(fd_buf *b, const json_t *v)
{
    fd_buf_puts(b, "<td class=\"num\">");
    lag_text(b, v);
    fd_buf_puts(b, "</td>");
}

/* A replica's lag over the run as a 160x24 polyline, scaled to its worst sample. */
static void lag_chart(fd_buf *b, const json_t *series, double dur)
{
    double top = 0;
    size_t i;
    const json_t *pt;
    json_array_foreach(series, i, pt)
    {
        double v = json_number_value(json_array_get(pt, 1));
        top = v > top ? v : top;
    }
    fd_buf_puts(b, "<td><svg class=\"lag\" width=\"160\" height=\"24\" viewBox=\"0 0 160 24\">");
    if (json_array_size(series) && dur > 0) {
        fd_buf_puts(b, "<polyline fill=\"none\" stroke=\"#1565c0\" stroke-width=\"1.5\" points=\"");
        json_array_foreach(series, i, pt)
        {
            double t = json_number_value(json_array_get(pt, 0));
            double v = json_number_value(json_array_get(pt, 1));
            double x = fmin(fmax(t / dur, 0), 1) * 158 + 1;
            double y = 23 - (top > 0 ? v / top : 0) * 22;
            fd_buf_printf(b, "%.1f,%.1f ", x, y);
        }
        fd_buf_puts(b, "\"/>");
    }
    fd_buf_puts(b, "</svg></td>");
}

static void html_probe_replicas(fd_buf *b, const json_t *p, double dur)
{
    const json_t *reps = json_object_get(p, "replicas");
    if (!json_array_size(reps))
        return;
    fd_buf_puts(b, "<table class=\"dr\"><tr><th>probe</th><th>replica</th><th>values</th>"
                   "<th>lost writes</th><th>extra values</th><th>divergent values</th>"
                   "<th>lag p50</th><th>lag p99</th><th>lag max</th><th>lag over the run</th>"
                   "</tr>\n");
    size_t i;
    const json_t *rr;
    json_array_foreach(reps, i, rr)
    {
        fd_buf_puts(b, "<tr>");
        html_td(b, NULL, fd_jstr(p, "name"));
        html_td(b, NULL, fd_jstr(rr, "name"));
        if (*fd_jstr(rr, "read_back_error")) {
            fd_buf_puts(b, "<td colspan=\"4\" class=\"fail\">");
            fd_esc_html(b, fd_jstr(rr, "read_back_error"));
            fd_buf_puts(b, "</td>");
        } else {
            html_count(b, json_object_get(rr, "values_read_back"), false);
            const char *keys[] = {"lost_writes", "extra_values", "divergent_values"};
            const char *samples[] = {"lost_sample", NULL, "divergent_sample"};
            for (size_t k = 0; k < 3; k++) {
                const json_t *v = json_object_get(rr, keys[k]);
                bool bad = json_is_integer(v) && json_integer_value(v) > 0;
                fd_buf_printf(b, "<td class=\"num%s\">", bad ? " fail" : "");
                count_with_sample(b, v, samples[k] ? json_object_get(rr, samples[k]) : NULL,
                                  fd_esc_html);
                fd_buf_puts(b, "</td>");
            }
        }
        const json_t *lag = json_object_get(rr, "lag_ms");
        html_ms(b, json_object_get(lag, "p50"));
        html_ms(b, json_object_get(lag, "p99"));
        html_ms(b, json_object_get(lag, "max"));
        lag_chart(b, json_object_get(rr, "lag_series"), dur);
        fd_buf_puts(b, "</tr>\n");
    }
    fd_buf_puts(b, "</table>\n");
}

static void html_ryw(fd_buf *b, const json_t *p)
{
    if (!json_object_get(p, "stale_reads"))
        return;
    fd_buf_puts(b, "<table class=\"dr\"><tr><th>probe</th><th>reads from</th><th>stale at "
                   "once</th><th>stale after ");
    json_t *bound = json_real(fd_jnum(p, "bound_s"));
    fd_fmt_seconds(b, bound);
    json_decref(bound);
    fd_buf_puts(b, "</th><th>monotonic violations</th><th>replica read errors</th></tr>\n<tr>");
    html_td(b, NULL, fd_jstr(p, "name"));
    html_td(b, NULL, fd_jstr(p, "read_from"));
    html_count(b, json_object_get(p, "stale_reads"), false);
    html_count(b, json_object_get(p, "stale_after_bound"), true);
    html_count(b, json_object_get(p, "monotonic_violations"), true);
    html_count(b, json_object_get(p, "replica_read_errors"), true);
    fd_buf_puts(b, "</tr>\n</table>\n");
}

static void html_consistency(fd_buf *b, const json_t *r)
{
    size_t i, k;
    const json_t *c, *t;
    json_array_foreach(json_object_get(r, "consistency"), i, c)
    {
        fd_buf_puts(b, "<table class=\"dr\"><tr><th>consistency</th><th>table</th><th>replica"
                       "</th><th>rows</th><th>rows on the primary</th><th>chunks that differ"
                       "</th><th>result</th></tr>\n");
        if (*fd_jstr(c, "error")) {
            fd_buf_puts(b, "<tr>");
            html_td(b, NULL, fd_jstr(c, "id"));
            fd_buf_puts(b, "<td colspan=\"6\" class=\"fail\">");
            fd_esc_html(b, fd_jstr(c, "error"));
            fd_buf_puts(b, "</td></tr>\n");
        }
        json_array_foreach(json_object_get(c, "tables"), k, t)
        {
            bool match = json_is_true(json_object_get(t, "match"));
            fd_buf_puts(b, "<tr>");
            html_td(b, NULL, fd_jstr(c, "id"));
            html_td(b, NULL, fd_jstr(t, "table"));
            html_td(b, NULL, fd_jstr(t, "replica"));
            html_count(b, json_object_get(t, "rows"), false);
            html_count(b, json_object_get(t, "primary_rows"), false);
            html_count(b, json_object_get(t, "diff_chunks"), true);
            fd_buf_printf(b, "<td class=\"%s\">%s", match ? "pass" : "fail",
                          match ? "same" : "differs");
            if (*fd_jstr(t, "sample")) {
                fd_buf_puts(b, ": ");
                fd_esc_html(b, fd_jstr(t, "sample"));
            }
            fd_buf_puts(b, "</td></tr>\n");
        }
        fd_buf_puts(b, "</table>\n");
    }
}

void fd_html_replicas(fd_buf *b, const json_t *r)
{
    if (!any_replicas(r))
        return;
    fd_buf_puts(b, "<h2>Replicas</h2>\n");
    double dur = fd_jnum(r, "duration_s");
    size_t i;
    const json_t *p;
    json_array_foreach(json_object_get(r, "probes"), i, p)
    {
        html_probe_replicas(b, p, dur);
        html_ryw(b, p);
    }
    html_consistency(b, r);
}

void fd_md_replicas(fd_buf *b, const json_t *r)
{
    if (!any_replicas(r))
        return;
    fd_buf_puts(b, "## Replicas\n\n| probe | replica | values | lost | extra | divergent | lag "
                   "p50 | lag p99 | lag max |\n|---|---|---|---|---|---|---|---|---|\n");
    size_t i, k;
    const json_t *p, *rr, *c, *t;
    json_array_foreach(json_object_get(r, "probes"), i, p)
    {
        json_array_foreach(json_object_get(p, "replicas"), k, rr)
        {
            const json_t *lag = json_object_get(rr, "lag_ms");
            fd_buf_puts(b, "| ");
            fd_esc_md(b, fd_jstr(p, "name"));
            fd_buf_puts(b, " | ");
            fd_esc_md(b, fd_jstr(rr, "name"));
            const char *keys[] = {"values_read_back", "lost_writes", "extra_values",
                                  "divergent_values"};
            const char *samples[] = {NULL, "lost_sample", NULL, "divergent_sample"};
            for (size_t f = 0; f < 4; f++) {
                fd_buf_puts(b, " | ");
                count_with_sample(b, json_object_get(rr, keys[f]),
                                  samples[f] ? json_object_get(rr, samples[f]) : NULL, fd_esc_md);
            }
            const char *lags[] = {"p50", "p99", "max"};
            for (size_t f = 0; f < 3; f++) {
                fd_buf_puts(b, " | ");
                lag_text(b, json_object_get(lag, lags[f]));
            }
            fd_buf_puts(b, " |\n");
        }
        if (json_object_get(p, "stale_reads")) {
            fd_buf_puts(b, "| ");
            fd_esc_md(b, fd_jstr(p, "name"));
            fd_buf_puts(b, " | read your writes from ");
            fd_esc_md(b, fd_jstr(p, "read_from"));
            fd_buf_puts(b, " | stale at once ");
            count_text(b, json_object_get(p, "stale_reads"));
            fd_buf_puts(b, " | stale after the bound ");
            count_text(b, json_object_get(p, "stale_after_bound"));
            fd_buf_puts(b, " | monotonic violations ");
            count_text(b, json_object_get(p, "monotonic_violations"));
            fd_buf_puts(b, " | | | | |\n");
        }
    }
    fd_buf_puts(b, "\n");
    json_array_foreach(json_object_get(r, "consistency"), i, c)
    {
        fd_buf_puts(b, "Consistency ");
        fd_esc_md(b, fd_jstr(c, "id"));
        fd_buf_puts(b, " (");
        fd_esc_md(b, fd_jstr(c, "tool"));
        fd_buf_puts(b, "):");
        if (*fd_jstr(c, "error")) {
            fd_buf_puts(b, " ");
            fd_esc_md(b, fd_jstr(c, "error"));
        }
        fd_buf_puts(b, "\n\n| table | replica | rows | on the primary | result |\n"
                       "|---|---|---|---|---|\n");
        json_array_foreach(json_object_get(c, "tables"), k, t)
        {
            fd_buf_puts(b, "| ");
            fd_esc_md(b, fd_jstr(t, "table"));
            fd_buf_puts(b, " | ");
            fd_esc_md(b, fd_jstr(t, "replica"));
            fd_buf_puts(b, " | ");
            count_text(b, json_object_get(t, "rows"));
            fd_buf_puts(b, " | ");
            count_text(b, json_object_get(t, "primary_rows"));
            fd_buf_puts(b,
                        json_is_true(json_object_get(t, "match")) ? " | same" : " | **differs**");
            if (*fd_jstr(t, "sample")) {
                fd_buf_puts(b, ": ");
                fd_esc_md(b, fd_jstr(t, "sample"));
            }
            fd_buf_puts(b, " |\n");
        }
        fd_buf_puts(b, "\n");
    }
}
