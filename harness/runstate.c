/* runstate.c: a run's clock, its log lines and errors, and its outcome. */
#include "runstate.h"
#include "notify.h"
#include "selector.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

volatile sig_atomic_t fd_run_signal = 0;

double fd_run_now_s(const fd_run *r)
{
    return (double)(fd_mono_us() - r->t0_us) / 1e6;
}

void fd_run_timeline(const fd_run *r, int64_t *from, int64_t *to)
{
    *from = r->timeline_start_us ? r->timeline_start_us : r->t0_us;
    *to = r->timeline_end_us ? r->timeline_end_us : fd_mono_us();
}

int64_t fd_run_us_of_unix(const fd_run *r, double unix_s)
{
    return r->t0_us + (int64_t)((unix_s - r->started_unix) * 1e6);
}

double fd_run_unix_of_us(const fd_run *r, int64_t us)
{
    return r->started_unix + (double)(us - r->t0_us) / 1e6;
}

/* The formatted message with the scenario's secrets redacted, and every control
 * character escaped (it holds host output and scenario values, and goes to a
 * terminal). Caller frees. */
static char *redacted(const fd_run *r, const char *fmt, va_list ap)
{
    char *msg = fd_vasprintf(fmt, ap);
    char *red = fd_redact(&r->s->vars, msg);
    char *shown = fd_printable(red, SIZE_MAX);
    free(msg);
    free(red);
    return shown;
}

void fd_run_log(fd_run *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *red = redacted(r, fmt, ap);
    va_end(ap);
    if (!r->opts.quiet && !r->opts.json) {
        pthread_mutex_lock(&r->lock);
        /* clear the live status line first; it is drawn again a moment later */
        printf("%s[%7.2fs] %s\n", r->tty ? "\r\033[K" : "", fd_run_now_s(r), red);
        fflush(stdout);
        pthread_mutex_unlock(&r->lock);
    }
    free(red);
}

char *fd_run_report_link(const fd_run *r)
{
    if (!r->s->url_base)
        return fd_asprintf("%s/report.html", r->dir);
    char *path = fd_asprintf("%s/report.html", r->run_id);
    char *link = fd_url_join(r->s->url_base, path);
    free(path);
    return link;
}

void fd_run_notify(fd_run *r, unsigned event, const char *fmt, ...)
{
    if (!r->notifier || !(r->s->notify_events & event))
        return;
    va_list ap;
    va_start(ap, fmt);
    char *what = redacted(r, fmt, ap);
    va_end(ap);
    const char *name = "?";
    for (int k = 0; fd_notify_event_names[k]; k++)
        if (event == 1u << k)
            name = fd_notify_event_names[k];
    char *link = fd_run_report_link(r);
    char *text = fd_asprintf("firedrill: %s: %s. Report: %s", r->s->name, what, link);
    fd_notifier_post(r->notifier,
                     json_pack("{s:s,s:s,s:s,s:s,s:s}", "text", text, "event", name, "scenario",
                               r->s->name, "run_id", r->run_id, "report", link));
    free(text);
    free(link);
    free(what);
}

void fd_run_note(fd_run *r, const char *by, const char *text)
{
    double at = fd_run_now_s(r);
    pthread_mutex_lock(&r->lock);
    r->notes = fd_xrealloc(r->notes, (r->nnotes + 1) * sizeof *r->notes);
    r->notes[r->nnotes++] = (fd_note){.at_s = at, .by = fd_strdup(by), .text = fd_strdup(text)};
    pthread_mutex_unlock(&r->lock);
    fd_run_log(r, "NOTE from %s: %s", *by ? by : "someone", text);
    fd_history_event(&r->history, "note", json_pack("{s:s,s:s}", "by", by, "text", text));
}

void fd_run_error(fd_run *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *red = redacted(r, fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&r->lock);
    fd_strv_push(&r->errors, red);
    pthread_mutex_unlock(&r->lock);
    fprintf(stderr, "firedrill: %s\n", red);
    fd_history_event(&r->history, "error", json_pack("{s:s}", "message", red));
    free(red);
}

void fd_run_outcome(fd_run *r, fd_run_result o, const char *reason)
{
    if (o != FD_OUTCOME_ABORTED) {
        atomic_fetch_or(&r->outcomes, (unsigned)o);
        return;
    }
    /* the first abort gives the reason; the bit is set under the lock with it, so a
     * reader that sees the bit finds the reason */
    pthread_mutex_lock(&r->lock);
    bool first = !(atomic_load(&r->outcomes) & FD_OUTCOME_ABORTED);
    char *why = NULL;
    if (first && reason) {
        r->abort_reason = fd_strdup(reason);
        why = fd_strdup(reason);
    }
    atomic_fetch_or(&r->outcomes, (unsigned)o);
    pthread_mutex_unlock(&r->lock);
    if (why) {
        fd_history_event(&r->history, "abort", json_pack("{s:s}", "reason", why));
        fd_run_notify(r, FD_NOTIFY_ABORT, "aborted: %s; healing everything", why);
        free(why);
    }
}

bool fd_run_has(const fd_run *r, unsigned mask)
{
    return (atomic_load(&((fd_run *)r)->outcomes) & mask) != 0;
}

bool fd_run_stopping(const fd_run *r)
{
    return fd_run_signal != 0 || fd_run_has(r, FD_OUTCOME_ABORTED | FD_OUTCOME_FAULT_FAILED);
}

void fd_run_sleep(fd_run *r, int64_t us)
{
    int64_t end = fd_mono_us() + us;
    while (!fd_run_stopping(r)) {
        int64_t left = end - fd_mono_us();
        if (left <= 0)
            break;
        fd_sleep_us(left < 20000 ? left : 20000);
    }
}

fd_probe_run *fd_run_probe(fd_run *r, const char *name)
{
    for (size_t i = 0; i < r->nprobes; i++)
        if (fd_str_eq(r->probes[i].p->name, name))
            return &r->probes[i];
    return NULL;
}

size_t fd_run_resolve(fd_run *r, const fd_selector *sel, size_t *out, char **err)
{
    fd_where_result *det = NULL;
    size_t ndet = 0;
    size_t n = fd_selector_resolve(sel, &r->pool, r->run_id, r->opts.seed, out, &det, &ndet);
    *err = NULL;
    for (size_t i = 0; i < ndet; i++) {
        if (!det[i].ran && !*err)
            *err = fd_asprintf("the where command could not run on %s: %s",
                               r->s->inv.hosts[det[i].host].name,
                               det[i].detail ? det[i].detail : "unreachable");
        free(det[i].detail);
    }
    free(det);
    return n;
}
