/* run.c: one drill run from start to end: the run directory, preflight, probes and
 * the steady state, the timeline (steps.h runs each step), healing on every way out
 * (healer.h), the figures, the verdict (verdict.h) and the reports. */
#include "run.h"
#include "consistency.h"
#include "alerts.h"
#include "dr.h"
#include "control.h"
#include "healer.h"
#include "hold.h"
#include "lease.h"
#include "metrics_out.h"
#include "notify.h"
#include "plan.h"
#include "progress.h"
#include "steps.h"
#include "verdict.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

static bool make_dirs(const char *path)
{
    char *p = fd_strdup(path);
    for (char *c = p + 1; *c; c++) {
        if (*c == '/') {
            *c = '\0';
            if (mkdir(p, 0755) != 0 && errno != EEXIST) {
                free(p);
                return false;
            }
            *c = '/';
        }
    }
    bool ok = mkdir(p, 0755) == 0 || errno == EEXIST;
    free(p);
    return ok;
}

static void copy_scenario(fd_run *r)
{
    char *err = NULL;
    char *text = fd_read_file(r->s->file, (size_t)1 << 20, NULL, &err);
    free(err);
    if (!text)
        return;
    char *red = fd_redact(&r->s->vars, text);
    char *path = fd_asprintf("%s/scenario.yaml", r->dir);
    FILE *f = fd_create_excl(path);
    if (f) {
        fputs(red, f);
        fclose(f);
    }
    free(path);
    free(red);
    free(text);
}

static bool preflight(fd_run *r)
{
    const fd_scenario *s = r->s;
    fd_run_log(r, "preflight: connecting to %zu host%s", s->inv.n, s->inv.n == 1 ? "" : "s");
    size_t failed = fd_pool_connect(&r->pool, NULL, 0);
    for (size_t i = 0; i < s->inv.n; i++) {
        fd_conn *c = &r->pool.conns[i];
        if (!c->connected)
            fd_run_error(r, "preflight: host %s (%s): %s", s->inv.hosts[i].name,
                         s->inv.hosts[i].address, c->error ? c->error : fd_err_str(c->status));
    }
    if (failed) {
        fd_run_error(r, "preflight failed on %zu host%s: nothing was injected", failed,
                     failed == 1 ? "" : "s");
        return false;
    }
    fd_run_log(r, "preflight: %zu hosts reachable, host keys verified, authenticated", s->inv.n);
    return true;
}

/* The probes' own preflight (a prometheus probe's query asked once): before any fault,
 * a server that cannot be reached stops the run (exit 4) and a query it refuses makes the
 * scenario invalid (exit 2). */
static bool preflight_probes(fd_run *r)
{
    const fd_scenario *s = r->s;
    bool ok = true;
    for (size_t i = 0; i < s->nprobes; i++) {
        const fd_probe *p = &s->probes[i];
        const fd_probe_type_ops *ops = fd_probe_ops_for(p->type);
        if (!ops || !ops->preflight)
            continue;
        char *err = NULL;
        int64_t timeout = p->timeout_us > 5000000 ? p->timeout_us : 5000000;
        fd_preflight pf = ops->preflight(p, fd_mono_us() + timeout, &err);
        if (pf == FD_PREFLIGHT_INVALID) {
            fd_run_error(r, "%s:%d:%d: probe %s: the server refused the query: %s", s->file,
                         p->line, p->col, p->name, err);
            fd_run_outcome(r, FD_OUTCOME_INVALID, NULL);
            ok = false;
        } else if (pf == FD_PREFLIGHT_UNREACHABLE) {
            char *url = fd_redact(&s->vars, p->url ? p->url : "");
            fd_run_error(r, "preflight: probe %s: cannot query %s: %s", p->name, url, err);
            free(url);
            fd_run_outcome(r, FD_OUTCOME_INFRA, NULL);
            ok = false;
        }
        free(err);
    }
    if (!ok)
        fd_run_error(r, "preflight failed: nothing was injected");
    return ok;
}

/* A probe's replicas: names and how to read from each (hosts selected by its target, at
 * its port; or the reads it lists). False with *err when the target cannot be resolved. */
static bool probe_replicas(fd_run *r, const fd_probe *p, fd_strv *names, fd_strv *reads, char **err)
{
    for (size_t i = 0; i < p->replicas_read.n; i++) {
        fd_strv_push(names, p->replicas_read.v[i]);
        fd_strv_push(reads, p->replicas_read.v[i]);
    }
    if (!p->replicas_target.set)
        return true;
    size_t *idx = fd_xcalloc(r->s->inv.n + 1, sizeof *idx);
    size_t n = fd_run_resolve(r, &p->replicas_target, idx, err);
    for (size_t k = 0; !*err && k < n; k++) {
        const fd_host *h = &r->s->inv.hosts[idx[k]];
        fd_strv_push(names, h->name);
        fd_strv_push_owned(reads, fd_probe_replica_read(p, h->address, p->replicas_port));
    }
    free(idx);
    return !*err;
}

static bool start_probes(fd_run *r)
{
    const fd_scenario *s = r->s;
    if (!s->nprobes)
        return true;
    r->probes = fd_xcalloc(s->nprobes, sizeof *r->probes);
    r->ops_budget = fd_probe_ops_budget();
    fd_probe_env env = {.run_id = r->run_id,
                        .pool = &r->pool,
                        .s = s,
                        .ops_total = &r->ops_total,
                        .ops_budget = r->ops_budget};
    for (size_t i = 0; i < s->nprobes; i++) {
        r->nprobes++;
        fd_strv names = {0}, reads = {0};
        char *err = NULL;
        bool ok = probe_replicas(r, &s->probes[i], &names, &reads, &err) &&
                  fd_probe_start(&r->probes[i], &s->probes[i], &env, &r->history, names.v, reads.v,
                                 names.n);
        fd_strv_free(&names);
        fd_strv_free(&reads);
        if (!ok) {
            fd_run_error(r, "probe %s could not start%s%s", s->probes[i].name, err ? ": " : "",
                         err ? err : "");
            free(err);
            fd_run_outcome(r, FD_OUTCOME_INFRA, NULL);
            return false;
        }
    }
    fd_run_log(r, "%zu probe%s running", s->nprobes, s->nprobes == 1 ? "" : "s");
    return true;
}

/* steady_state: every condition must hold over its `for`, measured from the probes'
 * start, before the first fault. Unmet: abort with nothing injected. */
static bool steady_state(fd_run *r)
{
    const fd_scenario *s = r->s;
    if (!s->nsteady)
        return true;
    int64_t start = fd_mono_us(), longest = 0;
    for (size_t i = 0; i < s->nsteady; i++)
        if (s->steady[i].for_us > longest)
            longest = s->steady[i].for_us;
    char *d = fd_format_duration(longest);
    fd_run_log(r, "steady state: measuring for %s before any fault", d);
    free(d);
    fd_run_sleep(r, longest);
    if (fd_run_stopping(r))
        return false;
    int64_t now = fd_mono_us();
    for (size_t i = 0; i < s->nsteady; i++) {
        const fd_condition *c = &s->steady[i];
        fd_probe_run *pr = fd_run_probe(r, c->probe);
        int64_t from = now - c->for_us < start ? start : now - c->for_us;
        char *measured = NULL, *want = fd_condition_words(c);
        double a = NAN;
        bool holds = fd_probe_condition(pr, c, from, now, &measured, &a);
        json_t *ev =
            json_pack("{s:s,s:s,s:b}", "probe", c->probe, "measured", measured, "met", holds);
        if (c->on_value)
            json_object_set_new(ev, "value_condition", json_string(want));
        else
            json_object_set_new(ev, "availability", isnan(a) ? json_null() : json_real(a));
        fd_history_event(&r->history, "steady_state", ev);
        if (!holds) {
            char *last = fd_probe_last_error(pr);
            char *why = fd_asprintf("steady state not met: probe %s %s, needs %s (last error: "
                                    "%s); nothing was injected",
                                    c->probe, measured, want, last);
            free(last);
            fd_run_outcome(r, FD_OUTCOME_ABORTED, why);
            fd_run_error(r, "%s", why);
            free(why);
        } else {
            fd_run_log(r, "steady state: probe %s %s, needs %s: met", c->probe, measured, want);
        }
        free(measured);
        free(want);
        if (!holds)
            return false;
    }
    return true;
}

/* Stops the probes, waits `settle`, reads back what the write probes wrote, and
 * computes every probe's figures over the timeline. */
static void finish_probes(fd_run *r)
{
    if (!r->nprobes)
        return;
    for (size_t i = 0; i < r->nprobes; i++)
        fd_probe_stop(&r->probes[i]);
    int64_t settle = 0;
    bool writes = false;
    for (size_t i = 0; i < r->nprobes; i++) {
        if (r->probes[i].p->write && r->probes[i].client) {
            writes = true;
            if (r->probes[i].p->settle_us > settle)
                settle = r->probes[i].p->settle_us;
        }
    }
    if (writes && !fd_run_has(r, FD_OUTCOME_HEAL_FAILED)) {
        char *d = fd_format_duration(settle);
        fd_run_log(r, "%s; settling for %s before reading back",
                   r->nfaults ? "every fault healed" : "timeline over", d);
        free(d);
        /* settle even when interrupted: the read-back is what the drill is for */
        fd_sleep_us(settle);
    }
    int64_t from, to;
    fd_run_timeline(r, &from, &to);
    for (size_t i = 0; i < r->nprobes; i++) {
        fd_probe_run *pr = &r->probes[i];
        fd_metrics_compute(pr->ops, pr->nops, from, to, &pr->m);
        if (pr->p->write && !fd_run_has(r, FD_OUTCOME_HEAL_FAILED) && pr->client) {
            fd_probe_read_back(pr, 30000000);
            fd_history_event(
                &r->history, "read_back",
                json_pack("{s:s,s:I,s:I,s:I,s:I,s:o}", "probe", pr->p->name, "values",
                          (json_int_t)pr->read_back_count, "lost_writes",
                          (json_int_t)pr->m.lost_writes, "phantom_writes",
                          (json_int_t)pr->m.phantom_writes, "corrupt_values",
                          (json_int_t)pr->m.corrupt_values, "error",
                          pr->read_back_error ? json_string(pr->read_back_error) : json_null()));
        }
        const fd_probe_metrics *m = &pr->m;
        char *fo = m->noutages
                       ? fd_asprintf("failover time %.3fs, %zu outage%s", m->failover_time_s,
                                     m->noutages, m->noutages == 1 ? "" : "s")
                       : fd_strdup("no outage observed");
        if (pr->p->write)
            fd_run_log(r,
                       "probe %s: %llu ops, availability %.4f, %s, lost writes %lld, phantom %lld, "
                       "corrupt %lld%s%s",
                       pr->p->name, (unsigned long long)m->ops, m->availability, fo,
                       (long long)m->lost_writes, (long long)m->phantom_writes,
                       (long long)m->corrupt_values,
                       pr->read_back_error ? "; read-back failed: " : "",
                       pr->read_back_error ? pr->read_back_error : "");
        else
            fd_run_log(r, "probe %s: %llu ops, availability %.4f, %s", pr->p->name,
                       (unsigned long long)m->ops, m->availability, fo);
        free(fo);
    }
}

/* Creates the run directory, history.jsonl and the copy of the scenario. Returns
 * false (said on stderr) when they cannot be written: nothing has been touched. */
static bool open_run(fd_run *r)
{
    const fd_scenario *s = r->s;
    fd_clock_pair(&r->started_unix, &r->t0_us);
    r->run_id = fd_run_id_new(s->name, r->started_unix);
    r->controller = fd_controller_identity();
    const char *base = r->opts.report_dir ? r->opts.report_dir : s->report_dir;
    r->dir = fd_asprintf("%s/%s", base, r->run_id);
    /* the reports folder may exist; the run directory is new, made by this run alone
     * (mkdir fails on anything already there, a link included) */
    if (!make_dirs(base) || mkdir(r->dir, 0755) != 0) {
        fprintf(stderr, "firedrill run: cannot create the run directory %s: %s\n", r->dir,
                strerror(errno));
        return false;
    }
    char *hpath = fd_asprintf("%s/history.jsonl", r->dir);
    if (fd_history_open(&r->history, hpath, r->t0_us) != 0) {
        fprintf(stderr, "firedrill run: cannot write %s: %s\n", hpath, strerror(errno));
        free(hpath);
        return false;
    }
    free(hpath);
    r->history.redact = &s->vars;
    copy_scenario(r);
    if (r->opts.json)
        r->history.echo_events = stdout;
    r->tty = isatty(STDOUT_FILENO) && !r->opts.quiet && !r->opts.json;
    fd_ssh_opts o = {.accept_new_host_keys = r->opts.accept_new_host_keys,
                     .transport = r->opts.transport};
    fd_pool_init(&r->pool, &s->inv, &o);
    fd_run_log(r, "run %s (seed %llu), writing %s", r->run_id, (unsigned long long)r->opts.seed,
               r->dir);
    /* where `firedrill ack` and `firedrill note` reach this run; a drill runs without */
    char *err = NULL;
    r->control_dir = fd_control_open(r->run_id, &err);
    if (!r->control_dir) {
        fd_run_log(r, "no control directory (firedrill ack and note cannot reach this run): %s",
                   err);
        free(err);
    }
    if (s->webhook && (s->notify_events & ~(unsigned)FD_NOTIFY_END)) {
        r->notifier = fd_xcalloc(1, sizeof *r->notifier);
        if (!fd_notifier_start(r->notifier, s->webhook)) {
            free(r->notifier);
            r->notifier = NULL;
        }
    }
    return true;
}

/* Everything before the first step: the hosts, the healer, the probes, the steady
 * state. Returns false when the timeline must not run (said, outcome recorded). */
static bool before_timeline(fd_run *r)
{
    bool ok = preflight(r);
    if (!ok)
        fd_run_outcome(r, FD_OUTCOME_INFRA, NULL);
    ok = ok && preflight_probes(r) && fd_alerts_preflight(r);
    ok = ok && fd_lease_acquire(r); /* records its own outcome */
    if (ok)
        fd_run_notify(r, FD_NOTIFY_START, "drill started (%zu hosts, %zu steps)", r->s->inv.n,
                      r->s->nsteps);
    if (ok && !fd_healer_start(r)) {
        fd_run_error(r, "cannot start the healer thread");
        fd_run_outcome(r, FD_OUTCOME_INFRA, NULL);
        ok = false;
    }
    if (ok)
        fd_lease_watch_start(r);
    fd_progress_start(r);
    return ok && start_probes(r) && steady_state(r);
}

/* The signal that stopped the run, as the abort reason. */
static void note_signal(fd_run *r)
{
    if (!fd_run_signal || fd_run_has(r, FD_OUTCOME_ABORTED))
        return;
    const char *name = fd_run_signal == SIGTERM   ? "SIGTERM"
                       : fd_run_signal == SIGHUP  ? "SIGHUP"
                       : fd_run_signal == SIGQUIT ? "SIGQUIT"
                                                  : "SIGINT";
    fd_run_outcome(r, FD_OUTCOME_ABORTED, name);
    fd_run_log(r, "interrupted by %s", name);
}

/* After the timeline: the figures, the checks, the verdict, the reports. */
/* Sends what is queued (15 s at most) and stops the notifier; says what was not sent. */
static void stop_notifier(fd_run *r)
{
    if (!r->notifier)
        return;
    fd_notifier *nt = r->notifier;
    size_t failed = 0;
    char *last = NULL;
    fd_notifier_stop(nt, 15000000, &failed, &last);
    if (failed) {
        char *url = fd_redact(&r->s->vars, r->s->webhook);
        fd_run_error(r, "%zu stage message%s to %s not delivered: %s (the verdict stands)", failed,
                     failed == 1 ? "" : "s", url, last ? last : "not sent in time");
        free(url);
    }
    free(last);
    free(nt);
    r->notifier = NULL;
}

static void after_timeline(fd_run *r)
{
    finish_probes(r);
    fd_alerts_stop(r);
    fd_verdict_checks(r);
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) == 0) {
        r->cpu_user_s = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6;
        r->cpu_system_s = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
        r->max_rss_kb = ru.ru_maxrss;
    }
    fd_verdict_decide(atomic_load(&r->outcomes), &r->exit_code, &r->verdict);
    fd_progress_stop(r);
    r->duration_s = fd_run_now_s(r);
    fd_history_event(
        &r->history, "run_ended",
        json_pack("{s:s,s:i}", "verdict", r->verdict, "exit_code", (json_int_t)r->exit_code));
    stop_notifier(r); /* the stage messages before the end's */
    struct stat hst;
    char *hpath = fd_asprintf("%s/history.jsonl", r->dir);
    fd_history_flush(&r->history);
    r->history_gz = stat(hpath, &hst) == 0 && (long long)hst.st_size > FD_HISTORY_GZ_BYTES;
    free(hpath);
    if (fd_report_write_json(r) != 0) {
        fd_run_error(r, "cannot write %s/report.json", r->dir);
    } else {
        fd_report_write_others(r);
        fd_metrics_out(r);
    }
    size_t nf = r->nfaults, healed = 0;
    for (size_t i = 0; i < nf; i++)
        healed += r->faults[i]->state == FD_FS_HEALED;
    fd_run_log(r, "verdict: %s (exit %d); %zu fault%s injected, %zu healed; report: %s/report.json",
               r->verdict, r->exit_code, nf, nf == 1 ? "" : "s", healed, r->dir);
}

/* A long run's history is compressed once everything that reads or writes it is done
 * (report.json says which file it is). */
static void compress_history(fd_run *r)
{
    if (!r->history_gz)
        return;
    fd_history_close(&r->history);
    char *path = fd_asprintf("%s/history.jsonl", r->dir), *err = NULL;
    if (fd_history_compress(path, &err)) {
        if (!r->opts.quiet && !r->opts.json)
            printf("history compressed: %s.gz\n", path);
    } else {
        fprintf(stderr, "firedrill: %s; history.jsonl is kept as it is\n", err);
    }
    free(err);
    free(path);
}

/* The finally section: after every fault was healed, whatever the timeline did; not
 * when a heal failed (a fault may still be in place: nothing more is run then). */
static void run_finally(fd_run *r)
{
    const fd_scenario *s = r->s;
    if (s->nsteps == s->ntimeline)
        return;
    if (fd_run_has(r, FD_OUTCOME_HEAL_FAILED)) {
        fd_run_error(r, "finally: not run, a fault may still be in place");
        return;
    }
    fd_run_log(r, "finally: %zu step%s", s->nsteps - s->ntimeline,
               s->nsteps - s->ntimeline == 1 ? "" : "s");
    for (size_t i = s->ntimeline; i < s->nsteps; i++)
        fd_step_run(r, i);
    atomic_store(&r->current_step, s->nsteps);
}

int fd_run_execute(fd_run *r, const fd_scenario *s, const fd_run_opts *opts)
{
    memset(r, 0, sizeof *r);
    r->s = s;
    r->opts = *opts;
    pthread_mutex_init(&r->lock, NULL);
    if (!open_run(r)) {
        r->exit_code = FD_EXIT_INFRA;
        return r->exit_code;
    }
    bool go = before_timeline(r);
    r->timeline_start_us = fd_mono_us();
    r->steps = fd_xcalloc(s->nsteps ? s->nsteps : 1, sizeof *r->steps);
    for (size_t i = 0; go && i < s->ntimeline; i++)
        go = fd_step_run(r, i);
    r->timeline_end_us = fd_mono_us();
    atomic_store(&r->current_step, s->nsteps);
    note_signal(r);
    /* every way out goes through here: heal whatever is still in place */
    fd_heal_finish(r, fd_run_has(r, FD_OUTCOME_ABORTED) ? "the run was aborted"
                      : fd_run_has(r, FD_OUTCOME_INFRA) ? "the run failed"
                                                        : "the timeline is over");
    run_finally(r);
    fd_lease_finish(r);
    after_timeline(r);
    compress_history(r);
    return r->exit_code;
}

void fd_run_free(fd_run *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nfaults; i++) {
        fd_active_fault *f = r->faults[i];
        for (size_t k = 0; k < f->nhosts; k++) {
            fd_fault_host *fh = &f->hosts[k];
            fd_agent_call_free(&fh->call);
            free(fh->apply_cmd);
            free(fh->revert_cmd);
            free(fh->peers);
            free(fh->apply_detail);
            free(fh->heal_error);
        }
        free(f->hosts);
        free(f->verification);
        free(f);
    }
    free(r->faults);
    for (size_t i = 0; i < r->nprobes; i++)
        fd_probe_free(&r->probes[i]);
    free(r->probes);
    free(r->check_results);
    fd_dr_free(r);
    fd_consistency_free(r);
    for (size_t i = 0; i < r->nholds; i++)
        free(r->holds[i].acked_by);
    free(r->holds);
    for (size_t i = 0; i < r->nnotes; i++) {
        free(r->notes[i].by);
        free(r->notes[i].text);
    }
    free(r->notes);
    fd_alerts_free_watch(r);
    fd_control_close(r->control_dir);
    free(r->leased);
    fd_strv_free(&r->overlaps);
    if (r->notifier) {
        fd_notifier_stop(r->notifier, 0, NULL, NULL);
        free(r->notifier);
    }
    for (size_t i = 0; i < r->nsteps; i++)
        free(r->steps[i].detail);
    free(r->steps);
    fd_strv_free(&r->errors);
    free(r->touched);
    free(r->abort_reason);
    if (r->pool.conns)
        fd_pool_free(&r->pool);
    if (r->history.f)
        fd_history_close(&r->history);
    free(r->run_id);
    free(r->controller);
    free(r->dir);
    pthread_mutex_destroy(&r->lock);
}
