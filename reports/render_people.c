/* render_people.c: what the people of a game day did: each hold (who acknowledged it,
 * how, and how long it took) and each note an observer added, in time order. */
#include "render.h"

#include <math.h>
#include <string.h>

static void when(fd_buf *b, const json_t *o, const char *key)
{
    json_t *v = json_real(fd_jnum(o, key));
    fd_buf_puts(b, "at ");
    fd_fmt_seconds(b, isfinite(json_real_value(v)) ? v : json_null());
    json_decref(v);
}

void fd_html_people(fd_buf *b, const json_t *r)
{
    const json_t *holds = json_object_get(r, "holds"), *notes = json_object_get(r, "notes");
    if (!json_array_size(holds) && !json_array_size(notes))
        return;
    fd_buf_puts(b, "<h2>Holds and observations</h2>\n<table class=\"dr\"><tr><th>when</th>"
                   "<th>what</th><th>who</th><th>detail</th></tr>\n");
    size_t i;
    const json_t *o;
    json_array_foreach(holds, i, o)
    {
        bool ok = !json_is_true(json_object_get(o, "timed_out"));
        fd_buf_puts(b, "<tr><td>");
        when(b, o, "started_s");
        fd_buf_puts(b, "</td><td>hold ");
        fd_esc_html(b, fd_jstr(o, "id"));
        fd_buf_puts(b, ": ");
        fd_esc_html(b, fd_jstr(o, "prompt"));
        fd_buf_puts(b, "</td><td>");
        fd_esc_html(b, *fd_jstr(o, "acked_by") ? fd_jstr(o, "acked_by") : "-");
        fd_buf_printf(b, "</td><td class=\"%s\">", ok ? "pass" : "fail");
        fd_esc_html(b, fd_jstr(o, "how"));
        if (json_is_number(json_object_get(o, "time_to_ack_s"))) {
            fd_buf_puts(b, " after ");
            fd_fmt_seconds(b, json_object_get(o, "time_to_ack_s"));
        }
        fd_buf_puts(b, "</td></tr>\n");
    }
    json_array_foreach(notes, i, o)
    {
        fd_buf_puts(b, "<tr><td>");
        when(b, o, "at_s");
        fd_buf_puts(b, "</td><td>note</td><td>");
        fd_esc_html(b, fd_jstr(o, "by"));
        fd_buf_puts(b, "</td><td>");
        fd_esc_html(b, fd_jstr(o, "text"));
        fd_buf_puts(b, "</td></tr>\n");
    }
    fd_buf_puts(b, "</table>\n");
}

void fd_md_people(fd_buf *b, const json_t *r)
{
    const json_t *holds = json_object_get(r, "holds"), *notes = json_object_get(r, "notes");
    if (!json_array_size(holds) && !json_array_size(notes))
        return;
    fd_buf_puts(b, "## Observations\n\n");
    size_t i;
    const json_t *o;
    json_array_foreach(holds, i, o)
    {
        fd_buf_puts(b, "- ");
        when(b, o, "started_s");
        fd_buf_puts(b, ", hold ");
        fd_esc_md(b, fd_jstr(o, "id"));
        fd_buf_puts(b, " (");
        fd_esc_md(b, fd_jstr(o, "prompt"));
        fd_buf_puts(b, "): ");
        fd_esc_md(b, fd_jstr(o, "how"));
        if (*fd_jstr(o, "acked_by")) {
            fd_buf_puts(b, " by ");
            fd_esc_md(b, fd_jstr(o, "acked_by"));
        }
        if (json_is_number(json_object_get(o, "time_to_ack_s"))) {
            fd_buf_puts(b, " after ");
            fd_fmt_seconds(b, json_object_get(o, "time_to_ack_s"));
        }
        fd_buf_puts(b, "\n");
    }
    json_array_foreach(notes, i, o)
    {
        fd_buf_puts(b, "- ");
        when(b, o, "at_s");
        fd_buf_puts(b, ", ");
        fd_esc_md(b, fd_jstr(o, "by"));
        fd_buf_puts(b, ": ");
        fd_esc_md(b, fd_jstr(o, "text"));
        fd_buf_puts(b, "\n");
    }
    fd_buf_puts(b, "\n");
}
