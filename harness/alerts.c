/* alerts.c: the Alertmanager gate: the look before any fault, the watch during the run,
 * and the alerts it saw, with libcurl and jansson (Alertmanager's API v2). */
#include "alerts.h"
#include "curlutil.h"
#include "render.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* An alert seen firing during the run; a firing that ends and starts again is a new one. */
typedef struct seen_alert {
    fd_alert a;
    double first_seen_s, resolved_s; /* run seconds; resolved_s < 0 while it fires */
    bool expected;
    bool at_start; /* firing at the look before any fault */
} seen_alert;

/* The alerts kept for the report; past it an alert still counts (and still aborts the
 * run when it is not expected) but is not kept: a monitoring stack in a storm must not
 * grow the controller's memory without bound. */
#define MAX_KEPT 1000

typedef struct fd_alert_watch {
    fd_run *r;
    CURL *h;
    struct curl_slist *headers;
    char *url; /* the query, matchers included */
    pthread_t thread;
    bool started;
    atomic_bool stop;
    pthread_mutex_t lock; /* seen, nseen, errors, last_error */
    seen_alert *seen;
    size_t nseen, capseen;
    size_t polls, errors;
    size_t not_kept; /* alerts seen past MAX_KEPT */
    char *last_error;
    int64_t failing_since_us; /* 0: the last look was answered */
} fd_alert_watch;

void fd_alerts_free(fd_alert *a, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(a[i].fingerprint);
        free(a[i].name);
        json_decref(a[i].labels);
    }
    free(a);
}

bool fd_alerts_parse(const char *body, size_t len, fd_alert **out, size_t *n, char **error)
{
    *out = NULL;
    *n = 0;
    json_error_t je;
    json_t *j = json_loadb(body ? body : "", len, 0, &je);
    if (!json_is_array(j)) {
        *error = fd_strdup("the answer is not a list of alerts");
        json_decref(j);
        return false;
    }
    *out = fd_xcalloc(json_array_size(j) + 1, sizeof **out);
    size_t i;
    json_t *e;
    json_array_foreach(j, i, e)
    {
        if (*n == FD_ALERTS_MAX)
            break;
        json_t *labels = json_object_get(e, "labels");
        const char *name = json_string_value(json_object_get(labels, "alertname"));
        const char *fp = json_string_value(json_object_get(e, "fingerprint"));
        const char *starts = json_string_value(json_object_get(e, "startsAt"));
        if (!json_is_object(labels) || !name || !fp)
            continue;
        fd_alert *a = &(*out)[(*n)++];
        a->name = fd_strdup(name);
        a->fingerprint = fd_strdup(fp);
        a->labels = json_deep_copy(labels);
        if (!starts || !fd_parse_utc_time(starts, &a->starts_unix))
            a->starts_unix = NAN;
    }
    json_decref(j);
    return true;
}

/* An alert's labels as name="value", ... (alertname first, left out), for messages. */
static char *describe(const fd_alert *a)
{
    fd_buf b;
    fd_buf_init(&b, 1024);
    fd_alert_words(&b, a->name, a->labels);
    char *s = fd_buf_steal(&b);
    char *p = fd_printable(s, 300);
    free(s);
    return p;
}

static bool expected(const fd_run *r, const char *name)
{
    const fd_strv *e = &r->s->alerts.expect;
    for (size_t i = 0; i < e->n; i++)
        if (fd_str_eq(e->v[i], name))
            return true;
    return false;
}

/* One look: the alerts firing now. */
static bool ask(fd_alert_watch *w, fd_alert **alerts, size_t *n, char **error)
{
    fd_http_result res;
    int64_t deadline = fd_mono_us() + 5000000;
    fd_outcome o = fd_http_request(w->h, "GET", w->url, NULL, w->headers, deadline, &res, error);
    bool ok = false;
    if (o != FD_OUT_OK)
        ;
    else if (res.status != 200)
        *error = fd_asprintf("HTTP %ld", res.status);
    else
        ok = fd_alerts_parse(res.body.data, res.body.len, alerts, n, error);
    fd_buf_free(&res.body);
    return ok;
}

static seen_alert *find_firing(fd_alert_watch *w, const char *fingerprint)
{
    for (size_t i = 0; i < w->nseen; i++)
        if (w->seen[i].resolved_s < 0 && fd_str_eq(w->seen[i].a.fingerprint, fingerprint))
            return &w->seen[i];
    return NULL;
}

/* Takes in one answer: new alerts (an unexpected one, or an expected one before any
 * fault, aborts a run whose timeline is not over), and the resolution of those no longer
 * in it. */
static void take_in(fd_alert_watch *w, fd_alert *alerts, size_t n)
{
    fd_run *r = w->r;
    double now = fd_run_now_s(r);
    bool timeline_over = atomic_load(&r->timeline_end_us) != 0;
    /* an expected alert is one a fault causes: before the first fault, it says the
     * service is unwell already, and stops the drill like any other */
    pthread_mutex_lock(&r->lock);
    bool faulted = r->nfaults > 0;
    pthread_mutex_unlock(&r->lock);
    pthread_mutex_lock(&w->lock);
    for (size_t i = 0; i < w->nseen; i++) {
        seen_alert *sa = &w->seen[i];
        bool still = false;
        for (size_t k = 0; k < n && !still; k++)
            still = fd_str_eq(alerts[k].fingerprint, sa->a.fingerprint);
        if (!still && sa->resolved_s < 0) {
            sa->resolved_s = now;
            char *d = describe(&sa->a);
            fd_run_log(r, "alert resolved: %s", d);
            fd_history_event(&r->history, "alert",
                             json_pack("{s:s,s:s,s:O}", "state", "resolved", "name", sa->a.name,
                                       "labels", sa->a.labels));
            free(d);
        }
    }
    for (size_t k = 0; k < n; k++) {
        if (find_firing(w, alerts[k].fingerprint))
            continue;
        if (w->nseen == MAX_KEPT) {
            w->not_kept++;
            if ((!faulted || !expected(r, alerts[k].name)) && !timeline_over &&
                !fd_run_has(r, FD_OUTCOME_ABORTED))
                fd_run_outcome(r, FD_OUTCOME_ABORTED,
                               "safety.alerts: an alert the drill does not "
                               "expect started firing");
            continue;
        }
        if (w->nseen == w->capseen) {
            w->capseen = w->capseen ? 2 * w->capseen : 8;
            w->seen = fd_xrealloc(w->seen, w->capseen * sizeof *w->seen);
        }
        seen_alert *sa = &w->seen[w->nseen++];
        memset(sa, 0, sizeof *sa);
        sa->a = alerts[k];
        memset(&alerts[k], 0, sizeof alerts[k]);
        sa->first_seen_s = now;
        sa->resolved_s = -1;
        sa->expected = expected(r, sa->a.name);
        char *d = describe(&sa->a);
        fd_history_event(&r->history, "alert",
                         json_pack("{s:s,s:s,s:O,s:b}", "state", "firing", "name", sa->a.name,
                                   "labels", sa->a.labels, "expected", sa->expected));
        if ((sa->expected && faulted) || timeline_over) {
            fd_run_log(r, "alert firing: %s%s", d, sa->expected ? " (expected)" : "");
        } else {
            char *why = fd_asprintf("safety.alerts: alert %s started firing%s", d,
                                    sa->expected ? " before any fault" : "");
            fd_run_outcome(r, FD_OUTCOME_ABORTED, why);
            fd_run_log(r, "ABORT: %s", why);
            free(why);
        }
        free(d);
    }
    pthread_mutex_unlock(&w->lock);
}

/* A look that was not answered: counted; for 5 s before the timeline ends, an abort. */
static void take_error(fd_alert_watch *w, const char *error)
{
    fd_run *r = w->r;
    int64_t now = fd_mono_us();
    pthread_mutex_lock(&w->lock);
    w->errors++;
    free(w->last_error);
    w->last_error = fd_strdup(error);
    if (!w->failing_since_us)
        w->failing_since_us = now;
    bool blind = now - w->failing_since_us >= 5000000;
    pthread_mutex_unlock(&w->lock);
    if (blind && !atomic_load(&r->timeline_end_us) && !fd_run_has(r, FD_OUTCOME_ABORTED)) {
        char *url = fd_redact(&r->s->vars, r->s->alerts.alertmanager);
        char *why = fd_asprintf("safety.alerts: no answer from %s for 5s: %s", url, error);
        fd_run_outcome(r, FD_OUTCOME_ABORTED, why);
        fd_run_log(r, "ABORT: %s", why);
        free(why);
        free(url);
    }
}

static void look(fd_alert_watch *w)
{
    fd_alert *alerts = NULL;
    size_t n = 0;
    char *error = NULL;
    if (ask(w, &alerts, &n, &error)) {
        w->failing_since_us = 0;
        take_in(w, alerts, n);
    } else {
        take_error(w, error ? error : "no answer");
    }
    pthread_mutex_lock(&w->lock);
    w->polls++;
    pthread_mutex_unlock(&w->lock);
    fd_alerts_free(alerts, n);
    free(error);
}

static void *watch_main(void *arg)
{
    fd_alert_watch *w = arg;
    int64_t interval = w->r->s->alerts.interval_us, next = fd_mono_us() + interval;
    while (!atomic_load(&w->stop)) {
        int64_t now = fd_mono_us();
        if (now < next) {
            fd_sleep_us(next - now > 20000 ? 20000 : next - now);
            continue;
        }
        look(w);
        next += interval;
        if (next < fd_mono_us())
            next = fd_mono_us() + interval;
    }
    return NULL;
}

static char *query_url(CURL *h, const fd_alert_gate *g)
{
    fd_buf b;
    fd_buf_init(&b, FD_BUF_UNCAPPED);
    char *base = fd_url_join(g->alertmanager, "api/v2/alerts");
    fd_buf_printf(&b, "%s?active=true&silenced=false&inhibited=false", base);
    free(base);
    for (size_t i = 0; i < g->matchers.n; i++) {
        char *e = curl_easy_escape(h, g->matchers.v[i], 0);
        fd_buf_printf(&b, "&filter=%s", e);
        curl_free(e);
    }
    return fd_buf_steal(&b);
}

/* The alerts firing at the look before any fault, each said; the run stops. */
static void refuse_start(fd_run *r, fd_alert_watch *w, fd_alert *alerts, size_t n)
{
    fd_buf names;
    fd_buf_init(&names, 4096);
    for (size_t k = 0; k < n; k++) {
        char *d = describe(&alerts[k]);
        fd_run_error(r, "safety.alerts: alert %s is firing", d);
        fd_buf_printf(&names, "%s%s", k ? ", " : "", alerts[k].name);
        free(d);
    }
    take_in(w, alerts, n);
    for (size_t i = 0; i < w->nseen; i++)
        w->seen[i].at_start = true;
    char *list = fd_buf_steal(&names);
    char *why = fd_asprintf("safety.alerts: %s firing before the drill started (%s); nothing "
                            "was injected",
                            n == 1 ? "an alert is" : "alerts are", list);
    fd_run_outcome(r, FD_OUTCOME_ABORTED, why);
    fd_run_error(r, "%s", why);
    free(why);
    free(list);
}

bool fd_alerts_preflight(fd_run *r)
{
    const fd_alert_gate *g = &r->s->alerts;
    if (!g->set)
        return true;
    fd_alert_watch *w = fd_xcalloc(1, sizeof *w);
    r->alert_watch = w;
    w->r = r;
    w->h = curl_easy_init();
    w->url = query_url(w->h, g);
    w->headers = fd_http_headers(g->headers, g->nheaders);
    pthread_mutex_init(&w->lock, NULL);
    fd_alert *alerts = NULL;
    size_t n = 0;
    char *error = NULL;
    bool ok = ask(w, &alerts, &n, &error);
    w->polls++;
    if (!ok) {
        char *url = fd_redact(&r->s->vars, g->alertmanager);
        fd_run_error(r,
                     "preflight: safety.alerts: cannot ask the Alertmanager at %s: %s; "
                     "nothing was injected",
                     url, error ? error : "no answer");
        free(url);
        fd_run_outcome(r, FD_OUTCOME_INFRA, NULL);
    } else if (n) {
        refuse_start(r, w, alerts, n);
        ok = false;
    } else {
        fd_run_log(r, "safety.alerts: no matching alert firing; watching every %.1fs",
                   (double)g->interval_us / 1e6);
        w->started = pthread_create(&w->thread, NULL, watch_main, w) == 0;
        if (!w->started) {
            fd_run_error(r, "safety.alerts: cannot start the watch");
            fd_run_outcome(r, FD_OUTCOME_INFRA, NULL);
            ok = false;
        }
    }
    fd_alerts_free(alerts, n);
    free(error);
    return ok;
}

void fd_alerts_stop(fd_run *r)
{
    fd_alert_watch *w = r->alert_watch;
    if (!w || !w->started)
        return;
    atomic_store(&w->stop, true);
    pthread_join(w->thread, NULL);
    w->started = false;
    look(w); /* the last look: what resolved since */
}

double fd_alerts_time_to(const fd_run *r, const char *name, bool resolve)
{
    const fd_alert_watch *w = r->alert_watch;
    if (!w || !r->nfaults)
        return NAN;
    double fault_s = r->faults[0]->started_s, best = NAN;
    for (size_t i = 0; i < w->nseen; i++) {
        const seen_alert *sa = &w->seen[i];
        if (sa->at_start || !fd_str_eq(sa->a.name, name))
            continue;
        if (resolve) {
            if (sa->resolved_s < 0)
                return NAN; /* one firing of it has not resolved */
            if (isnan(best) || sa->resolved_s - fault_s > best)
                best = sa->resolved_s - fault_s;
        } else {
            /* Alertmanager's startsAt: when Prometheus found it firing, not when it was
             * looked at; the first look stands in when it has none */
            double at =
                isnan(sa->a.starts_unix) ? sa->first_seen_s : sa->a.starts_unix - r->started_unix;
            if (isnan(best) || at - fault_s < best)
                best = at - fault_s;
        }
    }
    return best;
}

json_t *fd_alerts_json(const fd_run *r)
{
    const fd_alert_gate *g = &r->s->alerts;
    const fd_alert_watch *w = r->alert_watch;
    if (!g->set)
        return NULL;
    char *url = fd_redact(&r->s->vars, g->alertmanager);
    json_t *o = json_pack("{s:s,s:[],s:[],s:f}", "alertmanager", url, "matchers", "expect",
                          "interval_s", (double)g->interval_us / 1e6);
    free(url);
    for (size_t i = 0; i < g->matchers.n; i++)
        json_array_append_new(json_object_get(o, "matchers"), json_string(g->matchers.v[i]));
    for (size_t i = 0; i < g->expect.n; i++)
        json_array_append_new(json_object_get(o, "expect"), json_string(g->expect.v[i]));
    json_t *fired = json_array();
    for (size_t i = 0; w && i < w->nseen; i++) {
        const seen_alert *sa = &w->seen[i];
        json_t *a =
            json_pack("{s:s,s:s,s:O,s:b,s:b,s:f,s:o}", "name", sa->a.name, "fingerprint",
                      sa->a.fingerprint, "labels", sa->a.labels, "expected", sa->expected,
                      "at_start", sa->at_start, "first_seen_s", sa->first_seen_s, "resolved_s",
                      sa->resolved_s < 0 ? json_null() : json_real(sa->resolved_s));
        json_object_set_new(a, "starts_unix",
                            isnan(sa->a.starts_unix) ? json_null() : json_real(sa->a.starts_unix));
        json_array_append_new(fired, a);
    }
    json_object_set_new(o, "alerts", fired);
    json_object_set_new(o, "looks", json_integer(w ? (json_int_t)w->polls : 0));
    json_object_set_new(o, "unanswered", json_integer(w ? (json_int_t)w->errors : 0));
    json_object_set_new(o, "not_kept", json_integer(w ? (json_int_t)w->not_kept : 0));
    json_object_set_new(o, "last_error",
                        w && w->last_error ? json_string(w->last_error) : json_null());
    return o;
}

void fd_alerts_free_watch(fd_run *r)
{
    fd_alert_watch *w = r->alert_watch;
    if (!w)
        return;
    fd_alerts_stop(r);
    for (size_t i = 0; i < w->nseen; i++) {
        free(w->seen[i].a.fingerprint);
        free(w->seen[i].a.name);
        json_decref(w->seen[i].a.labels);
    }
    free(w->seen);
    free(w->last_error);
    free(w->url);
    curl_slist_free_all(w->headers);
    curl_easy_cleanup(w->h);
    pthread_mutex_destroy(&w->lock);
    free(w);
    r->alert_watch = NULL;
}
