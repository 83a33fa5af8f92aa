/* render_markdown.c: report.md, the verdict, checks and key figures for a ticket or
 * a chat message. */
#include "render.h"

#include <math.h>
#include <string.h>

static void verdict_word(fd_buf *b, const char *v)
{
    if (strcmp(v, "pass") == 0)
        fd_buf_puts(b, "PASS");
    else if (strcmp(v, "fail") == 0)
        fd_buf_puts(b, "FAIL");
    else if (strcmp(v, "aborted") == 0)
        fd_buf_puts(b, "ABORTED");
    else if (strcmp(v, "heal_failed") == 0)
        fd_buf_puts(b, "HEAL FAILED");
    else
        fd_buf_puts(b, "ERROR");
}

/* A word firedrill writes itself (a metric, a type, a verdict) as it is; anything
 * else that a report may hold instead, escaped. */
static void md_word(fd_buf *b, const char *s)
{
    for (const char *p = s; *p; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '_' || *p == '-')) {
            fd_esc_md(b, s);
            return;
        }
    }
    fd_buf_puts(b, s);
}

/* A count from the report, or "-". */
static void md_count(fd_buf *b, const json_t *v)
{
    if (json_is_integer(v))
        fd_buf_printf(b, "%lld", (long long)json_integer_value(v));
    else
        fd_buf_puts(b, "-");
}

/* The restores and archive lags, as rows of the DR table. */
static void md_restores_lags(fd_buf *b, const json_t *r)
{
    size_t i;
    const json_t *o;
    json_array_foreach(json_object_get(r, "restores"), i, o)
    {
        fd_buf_puts(b, "| ");
        fd_esc_md(b, fd_jstr(o, "id"));
        fd_buf_puts(b, " | restore on ");
        fd_esc_md(b, fd_jstr(o, "host"));
        fd_buf_puts(b, " to ");
        fd_restore_target(b, o, fd_esc_md);
        fd_buf_puts(b, " | - | ");
        fd_buf_puts(b, json_is_true(json_object_get(o, "ok")) ? "ok" : "FAILED");
        fd_buf_puts(b, " in ");
        json_t *d = json_real(fd_jnum(o, "ended_s") - fd_jnum(o, "started_s"));
        fd_fmt_seconds(b, isfinite(json_real_value(d)) ? d : json_null());
        json_decref(d);
        fd_buf_puts(b, " |\n");
    }
    json_array_foreach(json_object_get(r, "archive_lags"), i, o)
    {
        fd_buf_puts(b, "| ");
        fd_esc_md(b, fd_jstr(o, "id"));
        fd_buf_puts(b, " | archive lag | - | ");
        fd_archive_lag(b, o, fd_esc_md);
        fd_buf_puts(b, " |\n");
    }
}

/* A disaster-recovery drill's backups, copies, restores, archive lags and verifies. */
static void md_dr(fd_buf *b, const json_t *r)
{
    const json_t *backups = json_object_get(r, "backups"), *copies = json_object_get(r, "copies");
    const json_t *verifies = json_object_get(r, "verifies");
    if (!json_array_size(backups) && !json_array_size(copies) && !json_array_size(verifies) &&
        !json_array_size(json_object_get(r, "restores")) &&
        !json_array_size(json_object_get(r, "archive_lags")))
        return;
    fd_buf_puts(b, "## Disaster recovery\n\n| step | what | bytes | result |\n|---|---|---|---|\n");
    size_t i;
    const json_t *o;
    json_array_foreach(backups, i, o)
    {
        fd_buf_puts(b, "| ");
        fd_esc_md(b, fd_jstr(o, "id"));
        fd_buf_puts(b, " | backup on ");
        fd_esc_md(b, fd_jstr(o, "host"));
        fd_buf_puts(b, ": ");
        fd_backup_source(b, o, fd_esc_md);
        fd_buf_puts(b, " | ");
        md_count(b, json_object_get(o, "size"));
        fd_buf_puts(b, " | ");
        fd_backup_digest(b, o, fd_esc_md);
        fd_buf_puts(b, " |\n");
    }
    json_array_foreach(copies, i, o)
    {
        fd_buf_puts(b, "| ");
        fd_esc_md(b, fd_jstr(o, "id"));
        fd_buf_puts(b, " | copy ");
        fd_host_path(b, o, "from_host", "from_path", fd_esc_md);
        fd_buf_puts(b, " to ");
        fd_host_path(b, o, "to_host", "to_path", fd_esc_md);
        fd_buf_puts(b, " | ");
        md_count(b, json_object_get(o, "bytes"));
        fd_buf_puts(b, " | same sha256 at both ends |\n");
    }
    md_restores_lags(b, r);
    json_array_foreach(verifies, i, o)
    {
        fd_buf_puts(b, "| ");
        fd_esc_md(b, fd_jstr(o, "id"));
        fd_buf_puts(b, " | verify against ");
        fd_esc_md(b, fd_jstr(o, "against"));
        fd_buf_puts(b, " | - | ");
        const json_t *lost = json_object_get(o, "lost_writes");
        if (json_is_integer(lost)) {
            md_count(b, lost);
            fd_buf_puts(b, " of ");
            md_count(b, json_object_get(o, "acknowledged_before_backup"));
            fd_buf_puts(b, " writes lost, rpo ");
            fd_fmt_seconds(b, json_object_get(o, "rpo_s"));
            fd_buf_puts(b, ", rto ");
            fd_fmt_seconds(b, json_object_get(o, "rto_s"));
            if (json_is_integer(json_object_get(o, "late_writes"))) {
                fd_buf_puts(b, ", ");
                md_count(b, json_object_get(o, "late_writes"));
                fd_buf_puts(b, " late writes");
            }
        } else {
            fd_esc_md(b, *fd_jstr(o, "error") ? fd_jstr(o, "error") : "not measured");
        }
        fd_buf_puts(b, " |\n");
    }
    fd_buf_puts(b, "\n");
}

void fd_render_markdown(const json_t *r, fd_buf *b)
{
    const json_t *sc = json_object_get(r, "scenario");
    fd_buf_puts(b, "# firedrill: ");
    fd_esc_md(b, fd_jstr(sc, "name"));
    fd_buf_puts(b, ": ");
    verdict_word(b, fd_jstr(r, "verdict"));
    fd_buf_puts(b, "\n\n");
    fd_buf_puts(b, "**Verdict: ");
    md_word(b, fd_jstr(r, "verdict"));
    fd_buf_printf(b, "** (exit %lld) · run `",
                  (long long)json_integer_value(json_object_get(r, "exit_code")));
    fd_esc_md(b, fd_jstr(r, "run_id"));
    fd_buf_printf(b, "` · %.1f s · seed %lld\n\n", fd_jnum(r, "duration_s"),
                  (long long)json_integer_value(json_object_get(r, "seed")));
    if (*fd_jstr(sc, "description")) {
        fd_esc_md(b, fd_jstr(sc, "description"));
        fd_buf_puts(b, "\n\n");
    }
    if (*fd_jstr(r, "abort_reason")) {
        fd_buf_puts(b, "Aborted: ");
        fd_esc_md(b, fd_jstr(r, "abort_reason"));
        fd_buf_puts(b, "\n\n");
    }
    const json_t *checks = json_object_get(r, "checks");
    if (json_array_size(checks)) {
        fd_buf_puts(b, "| check | value | limit | result |\n|---|---|---|---|\n");
        size_t i;
        const json_t *c;
        json_array_foreach(checks, i, c)
        {
            const char *metric = fd_jstr(c, "metric");
            fd_buf_puts(b, "| ");
            fd_esc_md(b, fd_check_subject(c));
            fd_buf_puts(b, " ");
            md_word(b, metric);
            fd_buf_puts(b, " | ");
            fd_fmt_metric(b, metric, json_object_get(c, "value"));
            bool is_max = json_object_get(c, "max") != NULL;
            fd_buf_puts(b, is_max ? " | ≤ " : " | ≥ ");
            fd_fmt_limit(b, metric, fd_jnum(c, is_max ? "max" : "min"));
            bool pass = json_is_true(json_object_get(c, "pass"));
            bool expect_fail = strcmp(fd_jstr(c, "expect"), "fail") == 0;
            fd_buf_puts(b, expect_fail ? (pass ? " | **PASS, expected to fail** |\n"
                                               : " | fail, as expected |\n")
                           : pass      ? " | pass |\n"
                                       : " | **FAIL** |\n");
        }
        fd_buf_puts(b, "\n");
    }
    const json_t *probes = json_object_get(r, "probes");
    if (json_array_size(probes)) {
        fd_buf_puts(b, "## Probes\n\n| probe | ops | availability | failover time | outages | lost "
                       "writes | p50 | p99 |\n|---|---|---|---|---|---|---|---|\n");
        size_t i;
        const json_t *p;
        json_array_foreach(probes, i, p)
        {
            fd_buf_puts(b, "| ");
            fd_esc_md(b, fd_jstr(p, "name"));
            fd_buf_puts(b, " (");
            md_word(b, fd_jstr(p, "type"));
            fd_buf_puts(b, " ");
            md_word(b, fd_jstr(p, "mode"));
            fd_buf_printf(b, ") | %lld | ",
                          (long long)json_integer_value(json_object_get(p, "ops")));
            fd_fmt_metric(b, "availability", json_object_get(p, "availability"));
            fd_buf_puts(b, " | ");
            fd_fmt_failover(b, p);
            fd_buf_printf(b, " | %zu | ", json_array_size(json_object_get(p, "outages")));
            const json_t *lw = json_object_get(p, "lost_writes");
            if (json_is_integer(lw))
                fd_buf_printf(b, "%lld", (long long)json_integer_value(lw));
            else
                fd_buf_puts(b, strcmp(fd_jstr(p, "mode"), "write") == 0 ? "not measured" : "-");
            const json_t *lat = json_object_get(p, "latency_ms");
            double p50 = fd_jnum(lat, "p50"), p99 = fd_jnum(lat, "p99");
            if (isnan(p50))
                fd_buf_puts(b, " | - | - |\n");
            else
                fd_buf_printf(b, " | %.2f ms | %.2f ms |\n", p50, p99);
        }
        fd_buf_puts(b, "\n");
    }
    const json_t *faults = json_object_get(r, "faults");
    if (json_array_size(faults)) {
        fd_buf_puts(b, "## Faults\n\n| fault | hosts | applied | healed | heal | skew |\n"
                       "|---|---|---|---|---|---|\n");
        size_t i;
        const json_t *f;
        json_array_foreach(faults, i, f)
        {
            fd_buf_puts(b, "| ");
            fd_esc_md(b, fd_jstr(f, "id"));
            fd_buf_puts(b, " (");
            md_word(b, fd_jstr(f, "type"));
            fd_buf_puts(b, ") | ");
            fd_join_strings(b, json_object_get(f, "targets"), ", ", fd_esc_md);
            fd_buf_printf(b, " | %.2f s | ", fd_jnum(f, "applied_s"));
            double healed = fd_jnum(f, "healed_s");
            if (isnan(healed))
                fd_buf_puts(b, "-");
            else
                fd_buf_printf(b, "%.2f s", healed);
            fd_buf_puts(b, " | ");
            md_word(b, fd_jstr(f, "heal"));
            fd_buf_puts(b, " | ");
            fd_fault_skew_words(b, f);
            fd_buf_puts(b, " |\n");
        }
        fd_buf_puts(b, "\n");
    }
    md_dr(b, r);
    fd_md_replicas(b, r);
    fd_md_people(b, r);
    fd_md_alerts(b, r);
    const json_t *errors = json_object_get(r, "errors");
    if (json_array_size(errors)) {
        fd_buf_puts(b, "## Errors\n\n");
        size_t i;
        const json_t *e;
        json_array_foreach(errors, i, e)
        {
            fd_buf_puts(b, "- ");
            fd_esc_md(b, json_string_value(e) ? json_string_value(e) : "");
            fd_buf_puts(b, "\n");
        }
        fd_buf_puts(b, "\n");
    }
}
