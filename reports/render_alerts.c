/* render_alerts.c: the alerts the Alertmanager gate saw (report.json's "alerts"): each
 * alert's name and labels, whether the drill expected it, when it fired (Alertmanager's
 * startsAt, on the run's clock) and when it resolved. Labels come from the monitoring
 * stack: untrusted text, escaped for the format. */
#include "render.h"

#include <math.h>
#include <string.h>

/* name {a="x", b="y"}, alertname left out, written by esc. */
static void alert_words(fd_buf *b, const json_t *a, void (*esc)(fd_buf *, const char *))
{
    fd_buf w;
    fd_buf_init(&w, 2048);
    fd_alert_words(&w, fd_jstr(a, "name"), json_object_get(a, "labels"));
    esc(b, w.data);
    fd_buf_free(&w);
}

/* When it fired, as run time: startsAt less the run's start. */
static void fired(fd_buf *b, const json_t *r, const json_t *a)
{
    double at = fd_jnum(a, "starts_unix") - fd_jnum(r, "started_at_unix");
    if (json_is_true(json_object_get(a, "at_start"))) {
        fd_buf_puts(b, "before the drill");
        return;
    }
    json_t *v = json_real(isfinite(at) ? at : fd_jnum(a, "first_seen_s"));
    fd_fmt_seconds(b, isfinite(json_real_value(v)) ? v : json_null());
    json_decref(v);
}

static void resolved(fd_buf *b, const json_t *a)
{
    const json_t *v = json_object_get(a, "resolved_s");
    if (json_is_number(v))
        fd_fmt_seconds(b, v);
    else
        fd_buf_puts(b, "still firing");
}

void fd_html_alerts(fd_buf *b, const json_t *r)
{
    const json_t *g = json_object_get(r, "alerts");
    if (!g)
        return;
    const json_t *alerts = json_object_get(g, "alerts");
    fd_buf_puts(b, "<h2>Alerts</h2>\n<p>");
    fd_esc_html(b, fd_jstr(g, "alertmanager"));
    fd_buf_printf(b, ", asked %lld times", (long long)fd_jnum(g, "looks"));
    if (fd_jnum(g, "unanswered") > 0)
        fd_buf_printf(b, " (%lld unanswered)", (long long)fd_jnum(g, "unanswered"));
    if (!json_array_size(alerts)) {
        fd_buf_puts(b, ": no matching alert fired.</p>\n");
        return;
    }
    fd_buf_puts(b, ".</p>\n<table class=\"dr\"><tr><th>alert</th><th>expected</th><th>fired</th>"
                   "<th>resolved</th></tr>\n");
    size_t i;
    const json_t *a;
    json_array_foreach(alerts, i, a)
    {
        bool expected = json_is_true(json_object_get(a, "expected"));
        fd_buf_puts(b, "<tr><td>");
        alert_words(b, a, fd_esc_html);
        fd_buf_printf(b, "</td><td class=\"%s\">%s</td><td class=\"num\">",
                      expected ? "pass" : "fail", expected ? "yes" : "no");
        fired(b, r, a);
        fd_buf_puts(b, "</td><td class=\"num\">");
        resolved(b, a);
        fd_buf_puts(b, "</td></tr>\n");
    }
    fd_buf_puts(b, "</table>\n");
}

void fd_md_alerts(fd_buf *b, const json_t *r)
{
    const json_t *g = json_object_get(r, "alerts");
    if (!g)
        return;
    const json_t *alerts = json_object_get(g, "alerts");
    fd_buf_puts(b, "\n## Alerts\n\n");
    if (!json_array_size(alerts)) {
        fd_buf_puts(b, "No matching alert fired.\n");
        return;
    }
    fd_buf_puts(b, "| alert | expected | fired | resolved |\n|---|---|---|---|\n");
    size_t i;
    const json_t *a;
    json_array_foreach(alerts, i, a)
    {
        fd_buf_puts(b, "| ");
        alert_words(b, a, fd_esc_md);
        fd_buf_printf(b, " | %s | ", json_is_true(json_object_get(a, "expected")) ? "yes" : "no");
        fired(b, r, a);
        fd_buf_puts(b, " | ");
        resolved(b, a);
        fd_buf_puts(b, " |\n");
    }
}
