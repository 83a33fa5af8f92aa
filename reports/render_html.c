/* render_html.c: report.html, one self-contained page: the verdict and checks, a
 * timeline picture in SVG (per probe: outcomes and latency over time; fault windows
 * shaded and labelled; outages marked with their duration; steps as ticks), then
 * tables. The picture is drawn from FD_BUCKETS time buckets per probe, so it stays
 * a few thousand elements whatever the number of operations. */
#include "render.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

extern const char fd_report_css[];

#define W 1000
#define L 160
#define R 20
#define PW (W - L - R)
#define BAND 22
#define LAT 40
#define ROW (BAND + LAT + 34)

static double xat(double t, double dur)
{
    if (t < 0)
        t = 0;
    if (t > dur)
        t = dur;
    return L + t / dur * PW;
}

/* A tick step of 1, 2 or 5 times a power of ten giving at most about 10 ticks, for
 * any duration (a report can say anything: the loop over ticks must stay short). */
static double nice_step(double dur)
{
    if (!(dur > 0) || !isfinite(dur))
        return 1;
    double raw = dur / 10.0;
    double mag = pow(10.0, floor(log10(raw)));
    double steps[] = {1, 2, 5, 10};
    for (size_t i = 0; i < 4; i++)
        if (steps[i] * mag >= raw)
            return steps[i] * mag;
    return 10 * mag;
}

static void text(fd_buf *b, double x, double y, const char *anchor, const char *cls, const char *s,
                 size_t max)
{
    fd_buf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\"%s%s%s>", x, y, anchor,
                  cls ? " class=\"" : "", cls ? cls : "", cls ? "\"" : "");
    char *p = fd_printable(s, max);
    fd_esc_html(b, p);
    free(p);
    fd_buf_puts(b, "</text>");
}

/* The time axis: a tick and a grid line every nice step. */
static void svg_axis(fd_buf *b, double dur, double top, double bottom)
{
    double step = nice_step(dur);
    /* counted, not accumulated: with a tiny duration s += step would never reach the
     * end in floating point; nice_step gives at most about 10 ticks */
    for (int tick = 0; tick <= 20; tick++) {
        double s = step * tick;
        if (s > dur * (1 + 1e-9))
            break;
        double x = xat(s, dur);
        fd_buf_printf(b,
                      "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#eef1f5\"/>",
                      x, top - 6, x, bottom);
        char lab[48];
        snprintf(lab, sizeof lab, step < 1 ? "%.1fs" : "%.0fs", s);
        text(b, x, bottom + 16, "middle", NULL, lab, 16);
    }
    fd_buf_puts(b, "\n");
}

/* Fault windows, each with its own label row. */
static void svg_faults(fd_buf *b, const json_t *faults, double dur, double bottom)
{
    size_t i;
    const json_t *f;
    json_array_foreach(faults, i, f)
    {
        double a = fd_jnum(f, "applied_s"), h = fd_jnum(f, "healed_s");
        if (isnan(a))
            a = fd_jnum(f, "started_s");
        if (isnan(a))
            continue;
        double x0 = xat(a, dur), x1 = xat(isnan(h) ? dur : h, dur);
        if (x1 - x0 < 2)
            x1 = x0 + 2;
        double ly = 14 + 15.0 * (double)i;
        fd_buf_printf(
            b,
            "<g class=\"fault\"><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
            "fill=\"#ff9800\" fill-opacity=\"0.13\" stroke=\"#ef6c00\" "
            "stroke-dasharray=\"3,2\"/>",
            x0, ly - 10, x1 - x0, bottom - ly + 10);
        fd_buf label;
        fd_buf_init(&label, 1024);
        fd_buf_printf(&label, "%s · %s on ", fd_jstr(f, "id"), fd_jstr(f, "type"));
        size_t k;
        const json_t *hn;
        json_array_foreach(json_object_get(f, "targets"), k, hn)
        {
            if (k == 6) {
                fd_buf_printf(&label, " +%zu", json_array_size(json_object_get(f, "targets")) - 6);
                break;
            }
            fd_buf_printf(&label, "%s%s", k ? "," : "",
                          json_string_value(hn) ? json_string_value(hn) : "");
        }
        if (isnan(h))
            fd_buf_puts(&label, " (not healed)");
        double skew = fd_jnum(json_object_get(f, "apply_skew"), "skew_s");
        if (json_integer_value(json_object_get(json_object_get(f, "apply_skew"), "hosts")) > 1 &&
            !isnan(skew))
            fd_buf_printf(&label, " · skew %.0f ms", skew * 1000.0);
        text(b, x0 + 3, ly, "start", NULL, label.data, 90);
        fd_buf_free(&label);
        fd_buf_puts(b, "</g>\n");
    }
}

/* Steps as ticks on the top line. */
/* Observers' notes and the holds' acknowledgements: dashed markers across the probes. */
static void svg_people(fd_buf *b, const json_t *r, double dur, double top, double bottom)
{
    size_t i;
    const json_t *o;
    json_array_foreach(json_object_get(r, "notes"), i, o)
    {
        double x = xat(fd_jnum(o, "at_s"), dur);
        fd_buf_printf(b,
                      "<g class=\"note\"><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                      "stroke=\"#6a1b9a\" stroke-dasharray=\"3 3\"/><title>note from ",
                      x, top, x, bottom);
        fd_esc_html(b, fd_jstr(o, "by"));
        fd_buf_puts(b, ": ");
        fd_esc_html(b, fd_jstr(o, "text"));
        fd_buf_puts(b, "</title></g>");
    }
    json_array_foreach(json_object_get(r, "holds"), i, o)
    {
        double x0 = xat(fd_jnum(o, "started_s"), dur), x1 = xat(fd_jnum(o, "ended_s"), dur);
        fd_buf_printf(b,
                      "<g class=\"hold\"><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                      "height=\"%.1f\" fill=\"#6a1b9a\" opacity=\"0.08\"/><title>hold ",
                      x0, top, x1 > x0 ? x1 - x0 : 1, bottom - top);
        fd_esc_html(b, fd_jstr(o, "id"));
        fd_buf_puts(b, ": ");
        fd_esc_html(b, fd_jstr(o, "how"));
        if (*fd_jstr(o, "acked_by")) {
            fd_buf_puts(b, " by ");
            fd_esc_html(b, fd_jstr(o, "acked_by"));
        }
        fd_buf_puts(b, "</title></g>");
    }
    fd_buf_puts(b, "\n");
}

static void svg_steps(fd_buf *b, const json_t *steps, double dur, double top)
{
    size_t i;
    const json_t *st;
    json_array_foreach(steps, i, st)
    {
        double x = xat(fd_jnum(st, "started_s"), dur);
        fd_buf_printf(b,
                      "<g class=\"step\"><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                      "stroke=\"#37474f\" stroke-width=\"1.5\"/><title>",
                      x, top - 8, x, top);
        fd_buf_printf(b, "step %lld: ", fd_jindex1(st));
        fd_esc_html(b, fd_jstr(st, "kind"));
        fd_buf_puts(b, " ");
        fd_esc_html(b, fd_jstr(st, "id"));
        fd_buf_puts(b, " (");
        fd_esc_html(b, fd_jstr(st, "status"));
        fd_buf_puts(b, ")</title></g>");
    }
    fd_buf_puts(b, "\n");
}

/* Buckets narrower than the probe's interval are empty between operations: an empty
 * bucket within one interval of an operation continues that operation's state, so the
 * band is as continuous as the probing was. */
static void fill_buckets(const fd_probe_buckets *pb, double dur, double interval,
                         fd_bucket filled[FD_BUCKETS])
{
    double bucket_s = dur / FD_BUCKETS;
    double rr = interval / bucket_s; /* any double: clamp before converting */
    size_t reach = !(rr >= 0) ? 1 : rr >= FD_BUCKETS ? FD_BUCKETS : (size_t)ceil(rr);
    size_t last = (size_t)-1;
    for (size_t q = 0; q < FD_BUCKETS; q++) {
        const fd_bucket *src = &pb->b[q];
        if (src->ok + src->fail + src->unknown)
            last = q;
        else if (last != (size_t)-1 && q - last <= reach)
            src = &pb->b[last];
        filled[q] = *src;
    }
}

/* A probe's band: runs of all-ok buckets as one rect, mixed buckets stacked. */
static void svg_ops(fd_buf *b, const fd_bucket filled[FD_BUCKETS], double y, double bw)
{
    size_t k = 0;
    while (k < FD_BUCKETS) {
        const fd_bucket *bk = &filled[k];
        uint32_t total = bk->ok + bk->fail + bk->unknown;
        if (total == 0) {
            k++;
            continue;
        }
        if (bk->fail == 0 && bk->unknown == 0) {
            size_t e = k;
            while (e + 1 < FD_BUCKETS && filled[e + 1].ok && !filled[e + 1].fail &&
                   !filled[e + 1].unknown)
                e++;
            fd_buf_printf(
                b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%d\" fill=\"#2e7d32\"/>",
                L + (double)k * bw, y, (double)(e - k + 1) * bw, BAND);
            k = e + 1;
            continue;
        }
        double yy = y;
        const uint32_t counts[3] = {bk->ok, bk->unknown, bk->fail};
        static const char *const colors[3] = {"#2e7d32", "#f9a825", "#c62828"};
        for (int c = 0; c < 3; c++) {
            if (!counts[c])
                continue;
            double hh = (double)BAND * counts[c] / total;
            fd_buf_printf(
                b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>",
                L + (double)k * bw, yy, bw, hh, colors[c]);
            yy += hh;
        }
        k++;
    }
}

/* Latency: the slowest ok operation of each bucket, one polyline per stretch of buckets
 * with ok operations: a gap (an outage) shows as a gap, not as a line drawn across it. */
static void svg_latency(fd_buf *b, const fd_probe_buckets *pb, const fd_bucket *filled, double ly0,
                        double bw)
{
    double lmax = 0;
    for (size_t k = 0; k < FD_BUCKETS; k++)
        if (pb->b[k].lat_max_ms > lmax)
            lmax = pb->b[k].lat_max_ms;
    fd_buf_printf(b, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#cfd8dc\"/>", L,
                  ly0, L + PW, ly0);
    if (lmax <= 0)
        return;
    bool open = false;
    for (size_t k = 0; k < FD_BUCKETS; k++) {
        if (!pb->b[k].ok) {
            /* a gap only where the probe saw no success at all */
            if (filled[k].ok)
                continue;
            if (open)
                fd_buf_puts(b, "\"/>");
            open = false;
            continue;
        }
        if (!open)
            fd_buf_puts(b, "<polyline class=\"latency\" fill=\"none\" stroke=\"#1565c0\" "
                           "stroke-width=\"1\" points=\"");
        open = true;
        fd_buf_printf(b, "%.1f,%.1f ", L + ((double)k + 0.5) * bw,
                      ly0 - pb->b[k].lat_max_ms / lmax * (LAT - 2));
    }
    if (open)
        fd_buf_puts(b, "\"/>");
    char s[64];
    snprintf(s, sizeof s, "latency, max %.1f ms", lmax);
    text(b, 8, ly0 - 4, "start", NULL, s, 40);
}

/* A measuring probe's values, in the latency's place: each bucket's mean, on a scale from
 * the smallest to the largest, with gaps where its queries failed. */
static void svg_values(fd_buf *b, const fd_probe_buckets *pb, double ly0, double bw)
{
    double lo = INFINITY, hi = -INFINITY;
    for (size_t k = 0; k < FD_BUCKETS; k++) {
        if (!pb->b[k].values)
            continue;
        double m = pb->b[k].value_sum / pb->b[k].values;
        lo = m < lo ? m : lo;
        hi = m > hi ? m : hi;
    }
    fd_buf_printf(b, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#cfd8dc\"/>", L,
                  ly0, L + PW, ly0);
    if (lo > hi) {
        text(b, 8, ly0 - 4, "start", NULL, "no value read", 40);
        return;
    }
    bool open = false;
    for (size_t k = 0; k < FD_BUCKETS; k++) {
        if (!pb->b[k].values) {
            /* a slower probe leaves buckets empty: the line goes on; it breaks where a
             * query failed */
            if (open && (pb->b[k].fail || pb->b[k].unknown)) {
                fd_buf_puts(b, "\"/>");
                open = false;
            }
            continue;
        }
        if (!open)
            fd_buf_puts(b, "<polyline class=\"values\" fill=\"none\" stroke=\"#6a1b9a\" "
                           "stroke-width=\"1.5\" points=\"");
        open = true;
        double m = pb->b[k].value_sum / pb->b[k].values;
        double f = hi > lo ? (m - lo) / (hi - lo) : 0.5;
        fd_buf_printf(b, "%.1f,%.1f ", L + ((double)k + 0.5) * bw, ly0 - 1 - f * (LAT - 4));
    }
    if (open)
        fd_buf_puts(b, "\"/>");
    char s[96];
    snprintf(s, sizeof s, "value, %.4g to %.4g", lo, hi);
    text(b, 8, ly0 - 4, "start", NULL, s, 40);
}

static void svg_outages(fd_buf *b, const json_t *pj, double dur, double ly0)
{
    size_t o;
    const json_t *oj;
    json_array_foreach(json_object_get(pj, "outages"), o, oj)
    {
        double x0 = xat(fd_jnum(oj, "start_s"), dur), x1 = xat(fd_jnum(oj, "end_s"), dur);
        double oy = ly0 + 10;
        fd_buf_printf(b,
                      "<g class=\"outage\"><path d=\"M%.1f %.1f v6 H%.1f v-6\" fill=\"none\" "
                      "stroke=\"#c62828\" stroke-width=\"1.5\"/>",
                      x0, oy - 6, x1 < x0 + 1 ? x0 + 1 : x1);
        char s[64];
        snprintf(s, sizeof s, "outage %.2f s%s", fd_jnum(oj, "duration_s"),
                 json_is_false(json_object_get(oj, "ended")) ? "+" : "");
        text(b, (x0 + x1) / 2, oy + 12, "middle", NULL, s, 40);
        fd_buf_puts(b, "</g>");
    }
}

/* One probe's row: its name, its band of operations, its latency, its outages. */
static void svg_probe(fd_buf *b, size_t p, const fd_probe_buckets *pb, const json_t *pj, double dur,
                      double y)
{
    text(b, 8, y + 15, "start", NULL, pb->name, 22);
    fd_buf lab;
    fd_buf_init(&lab, 256);
    fd_buf_printf(&lab, "%s %s", fd_jstr(pj, "type"), fd_jstr(pj, "mode"));
    text(b, 8, y + 29, "start", NULL, lab.data, 22);
    fd_buf_free(&lab);
    fd_buf_printf(b, "<g class=\"ops\" data-probe=\"%zu\">", p);
    double bw = (double)PW / FD_BUCKETS;
    fd_bucket filled[FD_BUCKETS];
    fill_buckets(pb, dur, fd_jnum(pj, "interval_s"), filled);
    svg_ops(b, filled, y, bw);
    fd_buf_puts(b, "</g>\n");
    double ly0 = y + BAND + 4 + LAT;
    if (pb->measures)
        svg_values(b, pb, ly0, bw);
    else
        svg_latency(b, pb, filled, ly0, bw);
    svg_outages(b, pj, dur, ly0);
    fd_buf_puts(b, "\n");
}

/* A bracket from x0 to x1 at y, with its label under it. */
static void bracket(fd_buf *b, double x0, double x1, double y, const char *color, const char *label)
{
    if (x1 < x0 + 2)
        x1 = x0 + 2;
    fd_buf_printf(b,
                  "<path d=\"M%.1f %.1f v4 H%.1f v-4\" fill=\"none\" stroke=\"%s\" "
                  "stroke-width=\"1.5\"/>",
                  x0, y - 4, x1, color);
    text(b, (x0 + x1) / 2, y + 9, "middle", NULL, label, 40);
}

/* The ended_s of the step with id `id`, or NAN. */
static double step_end(const json_t *r, const char *id)
{
    size_t i;
    const json_t *st;
    json_array_foreach(json_object_get(r, "steps"), i, st)
    {
        if (strcmp(fd_jstr(st, "id"), id) == 0)
            return fd_jnum(st, "ended_s");
    }
    return NAN;
}

/* A disaster-recovery drill's lane: each backup point (at the left edge when it is
 * older than the run), each restore, and per verify its RPO (from the newest write the
 * restore holds) and RTO (up to the verify's end) as brackets. */
static void svg_dr(fd_buf *b, const json_t *r, double dur, double y)
{
    text(b, 8, y, "start", NULL, "disaster recovery", 22);
    fd_buf_puts(b, "<g class=\"dr\">");
    size_t i;
    const json_t *o;
    char label[96];
    json_array_foreach(json_object_get(r, "backups"), i, o)
    {
        double x = xat(fd_jnum(o, "started_s"), dur);
        fd_buf_printf(b, "<path d=\"M%.1f %.1f l4 5 l-4 5 l-4 -5 z\" fill=\"#6a1b9a\"/>", x,
                      y - 10);
        snprintf(label, sizeof label, "backup %.40s%s", fd_jstr(o, "id"),
                 fd_jnum(o, "started_s") < 0 ? " (before the run)" : "");
        text(b, x + 6, y, "start", NULL, label, 60);
    }
    json_array_foreach(json_object_get(r, "restores"), i, o)
    {
        double x0 = xat(fd_jnum(o, "started_s"), dur), x1 = xat(fd_jnum(o, "ended_s"), dur);
        fd_buf_printf(b,
                      "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"10\" "
                      "fill=\"#6a1b9a\" fill-opacity=\"0.3\"/>",
                      x0, y - 10, x1 - x0 < 2 ? 2 : x1 - x0);
        snprintf(label, sizeof label, "restore %.40s", fd_jstr(o, "id"));
        text(b, x1 + 3, y, "start", NULL, label, 60);
    }
    double t0 = fd_jnum(r, "started_at_unix");
    json_array_foreach(json_object_get(r, "verifies"), i, o)
    {
        double end = step_end(r, fd_jstr(o, "id")), rto = fd_jnum(o, "rto_s");
        double reached = fd_jnum(o, "reached_unix") - t0, rpo = fd_jnum(o, "rpo_s");
        if (!isnan(end) && !isnan(rto)) {
            snprintf(label, sizeof label, "RTO %.2f s", rto);
            bracket(b, xat(end - rto, dur), xat(end, dur), y + 6, "#ef6c00", label);
        }
        if (!isnan(reached) && !isnan(rpo)) {
            snprintf(label, sizeof label, "RPO %.2f s", rpo);
            bracket(b, xat(reached, dur), xat(reached + rpo, dur), y + 6, "#c62828", label);
        }
    }
    fd_buf_puts(b, "</g>\n");
}

void fd_render_svg(const json_t *r, const fd_timeline_data *t, fd_buf *b)
{
    double dur = t->duration_s > 0 && isfinite(t->duration_s) ? t->duration_s : 1.0;
    const json_t *faults = json_object_get(r, "faults");
    const json_t *probes = json_object_get(r, "probes");
    size_t nf = json_array_size(faults), np = t->nprobes;
    bool dr = json_array_size(json_object_get(r, "backups")) ||
              json_array_size(json_object_get(r, "restores")) ||
              json_array_size(json_object_get(r, "verifies"));
    double top = 34 + 15.0 * (double)nf + (dr ? 30 : 0);
    double bottom = top + (np ? (double)np * ROW : 40);
    double height = bottom + 34;
    fd_buf_printf(b,
                  "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %.0f\" width=\"%d\" "
                  "height=\"%.0f\" role=\"img\" aria-label=\"timeline\">\n",
                  W, height, W, height);
    svg_axis(b, dur, top, bottom);
    svg_faults(b, faults, dur, bottom);
    svg_steps(b, json_object_get(r, "steps"), dur, top);
    svg_people(b, r, dur, top, bottom);
    if (dr)
        svg_dr(b, r, dur, 14 + 15.0 * (double)nf + 6);
    for (size_t p = 0; p < np; p++)
        svg_probe(b, p, &t->probes[p], json_array_get(probes, p), dur, top + (double)p * ROW);
    if (!np)
        text(b, L + PW / 2.0, top + 24, "middle", NULL, "no probes in this drill", 40);
    fd_buf_puts(b, "</svg>\n");
}

static void cell(fd_buf *b, const char *s)
{
    fd_buf_puts(b, "<td>");
    fd_esc_html(b, s);
    fd_buf_puts(b, "</td>");
}

/* The last cells of a fault's or a step's row: its result ("ok" passes), its detail. */
static void result_cells(fd_buf *b, const char *result, const char *detail)
{
    bool ok = strcmp(result, "ok") == 0;
    fd_buf_printf(b, "<td class=\"%s\">", ok ? "pass" : "fail");
    fd_esc_html(b, result);
    fd_buf_puts(b, "</td><td class=\"detail\">");
    fd_esc_html(b, detail);
    fd_buf_puts(b, "</td></tr>\n");
}

static void cell_secs(fd_buf *b, const json_t *v)
{
    fd_buf_puts(b, "<td class=\"num\">");
    fd_fmt_seconds(b, v);
    fd_buf_puts(b, "</td>");
}

/* The document head, the title line and what ran. */
static void html_head(fd_buf *b, const json_t *r)
{
    const json_t *sc = json_object_get(r, "scenario");
    const char *verdict = fd_jstr(r, "verdict");
    fd_buf_puts(b, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                   "<meta name=\"viewport\" content=\"width=device-width, "
                   "initial-scale=1\"><title>firedrill: ");
    fd_esc_html(b, fd_jstr(sc, "name"));
    fd_buf_puts(b, " (");
    fd_esc_html(b, verdict);
    fd_buf_printf(b, ")</title>\n<style>\n%s</style></head><body>\n", fd_report_css);
    fd_buf_puts(b, "<h1>");
    fd_esc_html(b, fd_jstr(sc, "name"));
    fd_buf_printf(b, " <span class=\"verdict v-%s\">", fd_verdict_class(verdict));
    fd_esc_html(b, verdict);
    fd_buf_puts(b, "</span></h1>\n<div class=\"meta\">run <code>");
    fd_esc_html(b, fd_jstr(r, "run_id"));
    fd_buf_printf(b, "</code> · exit %lld · %.1f s · seed %lld · firedrill ",
                  (long long)json_integer_value(json_object_get(r, "exit_code")),
                  fd_jnum(r, "duration_s"),
                  (long long)json_integer_value(json_object_get(r, "seed")));
    fd_esc_html(b, fd_jstr(r, "firedrill_version"));
    fd_buf_puts(b, "</div>\n");
    if (*fd_jstr(sc, "description")) {
        fd_buf_puts(b, "<p>");
        fd_esc_html(b, fd_jstr(sc, "description"));
        fd_buf_puts(b, "</p>\n");
    }
}

/* Each check with its value, limit and result. */
static void html_checks(fd_buf *b, const json_t *r)
{
    size_t i;
    const json_t *c;
    const json_t *checks = json_object_get(r, "checks");
    if (json_array_size(checks)) {
        fd_buf_puts(
            b, "<h2>Checks</h2>\n<table class=\"checks\"><tr><th>probe / step</th><th>metric</th>"
               "<th>value</th><th>limit</th><th>result</th></tr>\n");
        json_array_foreach(checks, i, c)
        {
            const char *metric = fd_jstr(c, "metric");
            bool is_max = json_object_get(c, "max") != NULL,
                 pass = json_is_true(json_object_get(c, "pass"));
            fd_buf_puts(b, "<tr>");
            cell(b, fd_check_subject(c));
            cell(b, metric);
            fd_buf_puts(b, "<td class=\"num\">");
            fd_fmt_metric(b, metric, json_object_get(c, "value"));
            fd_buf_puts(b, is_max ? "</td><td class=\"num\">≤ " : "</td><td class=\"num\">≥ ");
            fd_fmt_limit(b, metric, fd_jnum(c, is_max ? "max" : "min"));
            bool expect_fail = strcmp(fd_jstr(c, "expect"), "fail") == 0;
            fd_buf_printf(b, "</td><td class=\"%s\">%s</td></tr>\n",
                          pass != expect_fail ? "pass" : "fail",
                          expect_fail ? (pass ? "PASS, expected to fail" : "fail, as expected")
                          : pass      ? "pass"
                                      : "FAIL");
        }
        fd_buf_puts(b, "</table>\n");
    }
}

/* Each probe's figures. */
static void html_probes(fd_buf *b, const json_t *r)
{
    size_t i;
    const json_t *probes = json_object_get(r, "probes");
    if (json_array_size(probes)) {
        fd_buf_puts(b, "<h2>Probes</h2>\n<table "
                       "class=\"probes\"><tr><th>probe</th><th>ops</th><th>ok / fail / unknown</th>"
                       "<th>availability</th><th>failover time</th><th>outages</th><th>lost / "
                       "phantom / corrupt</th>"
                       "<th>p50 / p99 / max</th><th>missed slots</th></tr>\n");
        const json_t *p;
        json_array_foreach(probes, i, p)
        {
            fd_buf_puts(b, "<tr><td>");
            fd_esc_html(b, fd_jstr(p, "name"));
            fd_buf_puts(b, " <span class=\"detail\">");
            fd_esc_html(b, fd_jstr(p, "type"));
            fd_buf_puts(b, " ");
            fd_esc_html(b, fd_jstr(p, "mode"));
            fd_buf_puts(b, "</span>");
            if (*fd_jstr(p, "last_error")) {
                fd_buf_puts(b, "<div class=\"detail\">last error: ");
                fd_esc_html(b, fd_jstr(p, "last_error"));
                fd_buf_puts(b, "</div>");
            }
            fd_buf_printf(b,
                          "</td><td class=\"num\">%lld</td><td class=\"num\">%lld / %lld / "
                          "%lld</td><td class=\"num\">",
                          (long long)json_integer_value(json_object_get(p, "ops")),
                          (long long)json_integer_value(json_object_get(p, "ok")),
                          (long long)json_integer_value(json_object_get(p, "fail")),
                          (long long)json_integer_value(json_object_get(p, "unknown")));
            fd_fmt_metric(b, "availability", json_object_get(p, "availability"));
            fd_buf_puts(b, "</td>");
            fd_buf_puts(b, "<td class=\"num\">");
            fd_fmt_failover(b, p);
            fd_buf_puts(b, "</td>");
            fd_buf_printf(b, "<td class=\"num\">%zu</td><td class=\"num\">",
                          json_array_size(json_object_get(p, "outages")));
            if (strcmp(fd_jstr(p, "mode"), "write") == 0) {
                const char *keys[3] = {"lost_writes", "phantom_writes", "corrupt_values"};
                for (int k = 0; k < 3; k++) {
                    const json_t *v = json_object_get(p, keys[k]);
                    if (json_is_integer(v))
                        fd_buf_printf(b, "%s%lld", k ? " / " : "",
                                      (long long)json_integer_value(v));
                    else
                        fd_buf_printf(b, "%s-", k ? " / " : "");
                }
                if (*fd_jstr(p, "read_back_error")) {
                    fd_buf_puts(b, "<div class=\"detail\">read-back failed: ");
                    fd_esc_html(b, fd_jstr(p, "read_back_error"));
                    fd_buf_puts(b, "</div>");
                }
            } else {
                fd_buf_puts(b, "-");
            }
            const json_t *lat = json_object_get(p, "latency_ms");
            if (isnan(fd_jnum(lat, "p50")))
                fd_buf_puts(b, "</td><td class=\"num\">-</td>");
            else
                fd_buf_printf(b, "</td><td class=\"num\">%.2f / %.2f / %.1f ms</td>",
                              fd_jnum(lat, "p50"), fd_jnum(lat, "p99"), fd_jnum(lat, "max"));
            fd_buf_printf(b, "<td class=\"num\">%lld</td></tr>\n",
                          (long long)json_integer_value(json_object_get(p, "missed_slots")));
        }
        fd_buf_puts(b, "</table>\n");
    }
}

/* Each fault: where, when, whether healed, what was observed. */
static void html_faults(fd_buf *b, const json_t *r)
{
    size_t i;
    const json_t *faults = json_object_get(r, "faults");
    if (json_array_size(faults)) {
        fd_buf_puts(b, "<h2>Faults</h2>\n<table "
                       "class=\"faults\"><tr><th>fault</th><th>targets</th><th>applied</th>"
                       "<th>healed</th><th>skew</th><th>heal</th><th>verification</th></tr>\n");
        const json_t *f;
        json_array_foreach(faults, i, f)
        {
            fd_buf_puts(b, "<tr><td>");
            fd_esc_html(b, fd_jstr(f, "id"));
            fd_buf_puts(b, " <span class=\"detail\">");
            fd_esc_html(b, fd_jstr(f, "type"));
            fd_buf_puts(b, "</span></td><td>");
            fd_join_strings(b, json_object_get(f, "targets"), ", ", fd_esc_html);
            fd_buf_puts(b, "</td>");
            cell_secs(b, json_object_get(f, "applied_s"));
            cell_secs(b, json_object_get(f, "healed_s"));
            fd_buf_puts(b, "<td>");
            fd_fault_skew_words(b, f);
            fd_buf_puts(b, "</td>");
            result_cells(b, fd_jstr(f, "heal"), fd_jstr(f, "verification"));
        }
        fd_buf_puts(b, "</table>\n");
    }
}

/* The seconds from o's started_s to its ended_s, as a cell. */
static void cell_took(fd_buf *b, const json_t *o)
{
    json_t *d = json_real(fd_jnum(o, "ended_s") - fd_jnum(o, "started_s"));
    cell_secs(b, isfinite(json_real_value(d)) ? d : json_null());
    json_decref(d);
}

/* A count from the report, or "-" when it is not one. */
static void cell_count(fd_buf *b, const json_t *v)
{
    if (json_is_integer(v))
        fd_buf_printf(b, "<td class=\"num\">%lld</td>", (long long)json_integer_value(v));
    else
        fd_buf_puts(b, "<td class=\"num\">-</td>");
}

/* The restores (where each was asked to stop, how long, whether it ran) and the
 * archive lags. */
static void html_restores_lags(fd_buf *b, const json_t *r)
{
    size_t i;
    const json_t *o, *restores = json_object_get(r, "restores");
    const json_t *lags = json_object_get(r, "archive_lags");
    if (json_array_size(restores))
        fd_buf_puts(b, "<table class=\"dr\"><tr><th>restore</th><th>host</th><th>recovery "
                       "target</th><th>took</th><th>result</th></tr>\n");
    json_array_foreach(restores, i, o)
    {
        bool ok = json_is_true(json_object_get(o, "ok"));
        fd_buf_puts(b, "<tr>");
        cell(b, fd_jstr(o, "id"));
        cell(b, fd_jstr(o, "host"));
        fd_buf_puts(b, "<td>");
        fd_restore_target(b, o, fd_esc_html);
        fd_buf_puts(b, "</td>");
        cell_took(b, o);
        fd_buf_printf(b, "<td class=\"%s\">%s</td></tr>\n", ok ? "pass" : "fail",
                      ok ? "restored" : "failed");
    }
    if (json_array_size(restores))
        fd_buf_puts(b, "</table>\n");
    if (json_array_size(lags))
        fd_buf_puts(b, "<table class=\"dr\"><tr><th>archive lag</th><th>archive at</th><th>primary "
                       "at</th><th>behind</th><th>bytes behind</th></tr>\n");
    json_array_foreach(lags, i, o)
    {
        fd_buf_puts(b, "<tr>");
        cell(b, fd_jstr(o, "id"));
        cell(b, fd_jstr(o, "archive_position"));
        cell(b, fd_jstr(o, "primary_position"));
        cell_secs(b, json_object_get(o, "lag_s"));
        cell_count(b, json_object_get(o, "lag_bytes"));
        fd_buf_puts(b, "</tr>\n");
    }
    if (json_array_size(lags))
        fd_buf_puts(b, "</table>\n");
}

/* A disaster-recovery drill's backups, copies, restores, archive lags and verifies. */
static void html_dr(fd_buf *b, const json_t *r)
{
    const json_t *backups = json_object_get(r, "backups"), *copies = json_object_get(r, "copies");
    const json_t *verifies = json_object_get(r, "verifies");
    if (!json_array_size(backups) && !json_array_size(copies) && !json_array_size(verifies) &&
        !json_array_size(json_object_get(r, "restores")) &&
        !json_array_size(json_object_get(r, "archive_lags")))
        return;
    fd_buf_puts(b, "<h2>Disaster recovery</h2>\n");
    size_t i;
    const json_t *o;
    if (json_array_size(backups))
        fd_buf_puts(b, "<table class=\"dr\"><tr><th>backup</th><th>host</th><th>what</th>"
                       "<th>took</th><th>bytes</th><th>pinned by</th></tr>\n");
    json_array_foreach(backups, i, o)
    {
        fd_buf_puts(b, "<tr>");
        cell(b, fd_jstr(o, "id"));
        cell(b, fd_jstr(o, "host"));
        fd_buf_puts(b, "<td>");
        fd_backup_source(b, o, fd_esc_html);
        fd_buf_puts(b, "</td>");
        cell_took(b, o);
        cell_count(b, json_object_get(o, "size"));
        fd_buf_puts(b, "<td><code>");
        fd_backup_digest(b, o, fd_esc_html);
        fd_buf_puts(b, "</code></td></tr>\n");
    }
    if (json_array_size(backups))
        fd_buf_puts(b, "</table>\n");
    if (json_array_size(copies))
        fd_buf_puts(b, "<table class=\"dr\"><tr><th>copy</th><th>from</th><th>to</th><th>took</th>"
                       "<th>bytes</th><th>checksum</th></tr>\n");
    json_array_foreach(copies, i, o)
    {
        fd_buf_puts(b, "<tr>");
        cell(b, fd_jstr(o, "id"));
        fd_buf_puts(b, "<td>");
        fd_host_path(b, o, "from_host", "from_path", fd_esc_html);
        fd_buf_puts(b, "</td><td>");
        fd_host_path(b, o, "to_host", "to_path", fd_esc_html);
        fd_buf_puts(b, "</td>");
        cell_took(b, o);
        cell_count(b, json_object_get(o, "bytes"));
        fd_buf_puts(b, "<td class=\"pass\">same at both ends</td></tr>\n");
    }
    if (json_array_size(copies))
        fd_buf_puts(b, "</table>\n");
    html_restores_lags(b, r);
    if (json_array_size(verifies))
        fd_buf_puts(b, "<table class=\"dr\"><tr><th>verify</th><th>against</th><th>lost writes</th>"
                       "<th>late writes</th><th>values read</th><th>rpo</th><th>rto</th>"
                       "<th>archive lag</th></tr>\n");
    json_array_foreach(verifies, i, o)
    {
        const json_t *lost = json_object_get(o, "lost_writes");
        bool ok = json_is_integer(lost) && json_integer_value(lost) == 0;
        fd_buf_puts(b, "<tr>");
        cell(b, fd_jstr(o, "id"));
        cell(b, fd_jstr(o, "against"));
        fd_buf_printf(b, "<td class=\"num %s\">", ok ? "pass" : "fail");
        const json_t *acked = json_object_get(o, "acknowledged_before_backup");
        if (json_is_integer(lost) && json_is_integer(acked))
            fd_buf_printf(b, "%lld of %lld", (long long)json_integer_value(lost),
                          (long long)json_integer_value(acked));
        else
            fd_esc_html(b, *fd_jstr(o, "error") ? fd_jstr(o, "error") : "not measured");
        fd_buf_puts(b, "</td>");
        cell_count(b, json_object_get(o, "late_writes"));
        cell_count(b, json_object_get(o, "values_read"));
        cell_secs(b, json_object_get(o, "rpo_s"));
        cell_secs(b, json_object_get(o, "rto_s"));
        cell_secs(b, json_object_get(o, "archive_lag_s"));
        fd_buf_puts(b, "</tr>\n");
    }
    if (json_array_size(verifies))
        fd_buf_puts(b, "</table>\n");
}

/* Each step of the timeline. */
static void html_steps(fd_buf *b, const json_t *r)
{
    size_t i;
    const json_t *steps = json_object_get(r, "steps");
    if (json_array_size(steps)) {
        fd_buf_puts(
            b, "<h2>Steps</h2>\n<table class=\"steps\"><tr><th>#</th><th>step</th><th>started</th>"
               "<th>ended</th><th>status</th><th>detail</th></tr>\n");
        const json_t *st;
        json_array_foreach(steps, i, st)
        {
            fd_buf_printf(b, "<tr><td class=\"num\">%lld</td><td>", fd_jindex1(st));
            fd_esc_html(b, fd_jstr(st, "kind"));
            fd_buf_puts(b, " ");
            fd_esc_html(b, fd_jstr(st, "id"));
            fd_buf_puts(b, "</td>");
            cell_secs(b, json_object_get(st, "started_s"));
            cell_secs(b, json_object_get(st, "ended_s"));
            result_cells(b, fd_jstr(st, "status"), fd_jstr(st, "detail"));
        }
        fd_buf_puts(b, "</table>\n");
    }
}

/* Infrastructure errors. */
static void html_errors(fd_buf *b, const json_t *r)
{
    size_t i;
    const json_t *errors = json_object_get(r, "errors");
    if (json_array_size(errors)) {
        fd_buf_puts(b, "<h2>Errors</h2>\n<ul class=\"errors\">\n");
        const json_t *e;
        json_array_foreach(errors, i, e)
        {
            fd_buf_puts(b, "<li>");
            fd_esc_html(b, json_string_value(e) ? json_string_value(e) : "");
            fd_buf_puts(b, "</li>\n");
        }
        fd_buf_puts(b, "</ul>\n");
    }
}

void fd_render_html(const json_t *r, const fd_timeline_data *t, fd_buf *b)
{
    html_head(b, r);
    if (*fd_jstr(r, "abort_reason")) {
        fd_buf_puts(b, "<p class=\"fail\">Aborted: ");
        fd_esc_html(b, fd_jstr(r, "abort_reason"));
        fd_buf_puts(b, "</p>\n");
    }
    html_checks(b, r);
    fd_buf_puts(
        b,
        "<h2>Timeline</h2>\n<div class=\"legend\"><span><i "
        "style=\"background:#2e7d32\"></i>ok</span>"
        "<span><i style=\"background:#f9a825\"></i>unknown</span><span><i "
        "style=\"background:#c62828\">"
        "</i>fail</span><span><i style=\"background:#ff9800;opacity:.4\"></i>fault in place</span>"
        "<span><i style=\"background:#1565c0;height:2px\"></i>latency (slowest ok "
        "operation)</span>");
    for (size_t i = 0; i < t->nprobes; i++) {
        if (t->probes[i].measures) {
            fd_buf_puts(b, "<span><i style=\"background:#6a1b9a;height:2px\"></i>value (a "
                           "prometheus probe's)</span>");
            break;
        }
    }
    fd_buf_puts(b, "</div>\n");
    fd_render_svg(r, t, b);
    html_probes(b, r);
    html_faults(b, r);
    html_steps(b, r);
    html_dr(b, r);
    fd_html_replicas(b, r);
    fd_html_people(b, r);
    fd_html_alerts(b, r);
    html_errors(b, r);
    fd_buf_puts(b, "</body></html>\n");
}
