/* scenario_monitor.c: reading what a scenario asks of the monitoring stack: the
 * Alertmanager gate (safety.alerts), and the cross-references of conditions and checks
 * on a prometheus probe's values and on alerts. */
#include "scenario_load.h"
#include "probe.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* A label name: [a-zA-Z_][a-zA-Z0-9_]*. */
static size_t label_name_len(const char *s)
{
    size_t n = 0;
    if (!(isalpha((unsigned char)s[0]) || s[0] == '_'))
        return 0;
    while (isalnum((unsigned char)s[n]) || s[n] == '_')
        n++;
    return n;
}

/* An Alertmanager matcher as its API takes it: name, one of = != =~ !~, and a value in
 * double quotes (a backslash escapes the next character). */
bool fd_alert_matcher_valid(const char *m)
{
    size_t n = label_name_len(m);
    if (!n)
        return false;
    const char *p = m + n;
    if (fd_str_starts(p, "=~") || fd_str_starts(p, "!~") || fd_str_starts(p, "!="))
        p += 2;
    else if (*p == '=')
        p++;
    else
        return false;
    if (*p++ != '"')
        return false;
    for (; *p && *p != '"'; p++)
        if (*p == '\\' && !*++p)
            return false;
    return p[0] == '"' && p[1] == '\0';
}

void fd_scenario_read_alerts(fd_loader *L, const fd_ynode *m)
{
    fd_yt *t = &L->t;
    fd_alert_gate *g = &L->s->alerts;
    g->interval_us = 1000000;
    if (!m || !fd_yt_map(t, m, "'alerts'"))
        return;
    g->set = true;
    g->line = m->line;
    g->col = m->col;
    static const char *const keys[] = {"alertmanager", "matchers", "expect",
                                       "interval",     "headers",  NULL};
    fd_yt_keys(t, m, "'alerts'", keys);
    if (fd_yt_str(t, m, "alertmanager", true, "'alerts'", &g->alertmanager) && g->alertmanager &&
        !fd_str_starts(g->alertmanager, "http://") && !fd_str_starts(g->alertmanager, "https://"))
        fd_yt_err(t, fd_ymap_get(m, "alertmanager"),
                  "'alertmanager' must be the Alertmanager's http:// or https:// URL");
    if (fd_yt_strlist(t, m, "matchers", false, "'alerts'", &g->matchers)) {
        for (size_t i = 0; i < g->matchers.n; i++) {
            if (fd_alert_matcher_valid(g->matchers.v[i]))
                continue;
            char *q = fd_printable(g->matchers.v[i], 80);
            fd_yt_err(t, fd_ymap_get(m, "matchers"),
                      "'matchers' entries are label matchers like severity=\"critical\" or "
                      "alertname=~\"Redis.*\" (=, !=, =~, !~; the value in double quotes), got "
                      "'%s'",
                      q);
            free(q);
        }
    }
    if (fd_yt_strlist(t, m, "expect", false, "'alerts'", &g->expect)) {
        for (size_t i = 0; i < g->expect.n; i++) {
            if (label_name_len(g->expect.v[i]) == strlen(g->expect.v[i]) &&
                strlen(g->expect.v[i]) <= 128)
                continue;
            char *q = fd_printable(g->expect.v[i], 80);
            fd_yt_err(t, fd_ymap_get(m, "expect"),
                      "'expect' entries are alert names (letters, digits, '_'), got '%s'", q);
            free(q);
        }
    }
    fd_probe_reader rd = {.t = t, .what = "'alerts'"};
    fd_probe_read_kvs(&rd, m, "headers", true, &g->headers, &g->nheaders);
    if (fd_yt_duration(t, m, "interval", false, "'alerts'", &g->interval_us) &&
        (g->interval_us < 100000 || g->interval_us > 60000000))
        fd_yt_err(t, fd_ymap_get(m, "interval"), "'interval' must be from 100ms to 1m");
}

/* A condition on values names a probe that measures. */
static void check_condition(fd_loader *L, const fd_condition *c, const fd_ynode *m)
{
    const fd_probe *p = fd_scenario_probe(L->s, c->probe);
    const fd_probe_type_ops *ops = p ? fd_probe_ops_for(p->type) : NULL;
    if (c->on_value && ops && !ops->measure)
        fd_yt_err(&L->t, fd_ymap_get(m, "value"),
                  "'value' is a prometheus probe's number, and probe '%s' is %s", p->name,
                  fd_probe_type_names[p->type]);
}

static void check_value_check(fd_loader *L, const fd_check *c, const fd_ynode *m)
{
    fd_yt *t = &L->t;
    const char *metric = fd_metric_names[c->metric];
    if (!c->probe) {
        fd_yt_err(t, fd_ymap_get(m, "metric"),
                  "metric '%s' is a prometheus probe's: use 'probe: NAME'", metric);
        return;
    }
    const fd_probe *p = fd_scenario_probe(L->s, c->probe);
    const fd_probe_type_ops *ops = p ? fd_probe_ops_for(p->type) : NULL;
    if (!p) {
        char *q = fd_printable(c->probe, 60);
        fd_yt_err(t, fd_ymap_get(m, "probe"), "no probe named '%s'", q);
        free(q);
    } else if (ops && !ops->measure) {
        fd_yt_err(t, fd_ymap_get(m, "metric"),
                  "metric '%s' is a prometheus probe's, and probe '%s' is %s", metric, p->name,
                  fd_probe_type_names[p->type]);
    }
    if (!c->during)
        return;
    const fd_step *st = fd_scenario_step(L->s, c->during);
    if (!st || st->kind != FD_STEP_FAULT || (size_t)(st - L->s->steps) >= L->s->ntimeline) {
        char *q = fd_printable(c->during, 60);
        fd_yt_err(t, fd_ymap_get(m, "during"),
                  "'during' names a fault step of the timeline, and '%s' is not one", q);
        free(q);
    }
}

static void check_alert_check(fd_loader *L, const fd_check *c, const fd_ynode *m)
{
    fd_yt *t = &L->t;
    const fd_alert_gate *g = &L->s->alerts;
    const char *metric = fd_metric_names[c->metric];
    if (!fd_metric_is_alert(c->metric)) {
        fd_yt_err(t, fd_ymap_get(m, "metric"),
                  "an alert gives time_to_alert and time_to_resolve, not '%s'", metric);
        return;
    }
    if (!c->alert) {
        fd_yt_err(t, fd_ymap_get(m, "metric"), "metric '%s' is an alert's: use 'alert: NAME'",
                  metric);
        return;
    }
    if (!g->set) {
        fd_yt_err(t, fd_ymap_get(m, "alert"),
                  "an alert check needs safety.alerts (the Alertmanager to ask)");
        return;
    }
    for (size_t i = 0; i < g->expect.n; i++)
        if (fd_str_eq(g->expect.v[i], c->alert))
            return;
    char *q = fd_printable(c->alert, 60);
    fd_yt_err(t, fd_ymap_get(m, "alert"),
              "alert '%s' is not in safety.alerts.expect (an alert the drill does not expect "
              "aborts it)",
              q);
    free(q);
}

void fd_scenario_check_monitoring(fd_loader *L, const fd_ynode *root)
{
    const fd_scenario *s = L->s;
    const fd_ynode *ss = fd_ymap_get(root, "steady_state");
    for (size_t i = 0; i < s->nsteady; i++)
        check_condition(L, &s->steady[i], ss->items[i]);
    if (s->has_abort_if)
        check_condition(L, &s->abort_if, fd_ymap_get(fd_ymap_get(root, "safety"), "abort_if"));
    const fd_ynode *cn = fd_ymap_get(root, "checks");
    for (size_t i = 0; i < s->nchecks; i++) {
        const fd_check *c = &s->checks[i];
        const fd_ynode *m = cn->items[i];
        if (fd_metric_is_value(c->metric))
            check_value_check(L, c, m);
        else if (c->alert || fd_metric_is_alert(c->metric))
            check_alert_check(L, c, m);
        else if (c->during)
            fd_yt_err(&L->t, fd_ymap_get(m, "during"),
                      "'during' is for value_max, value_min, value_mean and value_last, not '%s'",
                      fd_metric_names[c->metric]);
    }
}
