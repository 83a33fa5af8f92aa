/* run.c: the timeline engine, fault application and healing. */
#include "run.h"
#include "fanout.h"
#include "localexec.h"
#include "notify.h"
#include "render.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

volatile sig_atomic_t fd_run_signal = 0;

#define HEAL_TIMEOUT_US 60000000
#define APPLY_GRACE_US 30000000
#define HEAL_ATTEMPTS 3

static double now_s(const fd_run *r)
{
    return (double)(fd_mono_us() - r->t0_us) / 1e6;
}

double fd_run_now_s(const fd_run *r)
{
    return now_s(r);
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

/* One line per event on stdout, secrets redacted. */
void fd_run_log(fd_run *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *red = redacted(r, fmt, ap);
    va_end(ap);
    if (!r->cli->quiet && !r->cli->json) {
        pthread_mutex_lock(&r->lock);
        /* clear the live status line first; it is drawn again a moment later */
        printf("%s[%7.2fs] %s\n", r->tty ? "\r\033[K" : "", now_s(r), red);
        fflush(stdout);
        pthread_mutex_unlock(&r->lock);
    }
    free(red);
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

static bool stopping(const fd_run *r)
{
    return fd_run_signal != 0 || r->aborted || r->fault_failed;
}

/* Sleeps up to us, waking early when the run is stopping. */
static void run_sleep(fd_run *r, int64_t us)
{
    int64_t end = fd_mono_us() + us;
    while (!stopping(r)) {
        int64_t left = end - fd_mono_us();
        if (left <= 0)
            break;
        fd_sleep_us(left < 20000 ? left : 20000);
    }
}

/* ------------------------------------------------------------------ healing */

typedef struct heal_job {
    fd_run *r;
    fd_active_fault *f;
} heal_job;

static void heal_host(size_t i, void *arg)
{
    heal_job *j = arg;
    fd_fault_host *fh = &j->f->hosts[i];
    if (!fh->needs_revert || fh->reverted)
        return;
    free(fh->heal_error);
    fh->heal_error = NULL;
    for (int attempt = 1; attempt <= HEAL_ATTEMPTS; attempt++) {
        /* the heal's own connection: never behind another command on this host */
        fd_conn *c = fd_pool_ensure_heal(&j->r->pool, fh->host);
        if (!c->connected) {
            free(fh->heal_error);
            fh->heal_error = fd_strdup(c->error ? c->error : "cannot reconnect");
        } else {
            fd_exec_result er;
            fd_conn_exec(c, fh->revert_cmd, NULL, HEAL_TIMEOUT_US, &er);
            if (er.error == FD_OK && er.exit_status == 0) {
                fh->reverted = true;
                free(fh->heal_error);
                fh->heal_error = NULL;
                fd_exec_result_free(&er);
                return;
            }
            free(fh->heal_error);
            if (er.error != FD_OK)
                fh->heal_error = fd_strdup(er.error_msg);
            else
                fh->heal_error = fd_asprintf("revert exited %d: %s", er.exit_status,
                                             er.err[0] ? er.err : er.out);
            fd_exec_result_free(&er);
        }
        if (attempt < HEAL_ATTEMPTS)
            fd_sleep_us(1000000);
    }
}

/* Heals one fault on all its hosts. Safe to call from any thread: a fault is healed
 * once, by whoever marks it FD_FS_HEALING first. Returns false when a heal failed. */
static bool heal_fault(fd_run *r, fd_active_fault *f, const char *why)
{
    pthread_mutex_lock(&r->lock);
    bool mine = f->state == FD_FS_ACTIVE || f->state == FD_FS_HEAL_FAILED;
    if (mine)
        f->state = FD_FS_HEALING;
    pthread_mutex_unlock(&r->lock);
    if (mine && f->verifying) {
        /* let the cut be observed before it is healed */
        pthread_join(f->verifier, NULL);
        f->verifying = false;
    }
    if (!mine) {
        /* another thread is healing it: wait for the outcome */
        for (;;) {
            pthread_mutex_lock(&r->lock);
            fd_fault_state st = f->state;
            pthread_mutex_unlock(&r->lock);
            if (st != FD_FS_HEALING)
                return st != FD_FS_HEAL_FAILED;
            fd_sleep_us(10000);
        }
    }
    heal_job j = {.r = r, .f = f};
    fd_fanout(f->nhosts, 0, heal_host, &j);
    bool ok = true;
    for (size_t i = 0; i < f->nhosts; i++) {
        fd_fault_host *fh = &f->hosts[i];
        if (fh->needs_revert && !fh->reverted) {
            ok = false;
            const fd_host *h = &r->s->inv.hosts[fh->host];
            char *manual = fd_agent_heal_command(h, r->run_id);
            fd_run_error(r,
                      "HEAL FAILED: fault '%s' (%s) on host %s: %s; it may still be in place "
                      "(the host's watchdog reverts it at its ttl). Revert it by hand: %s",
                      f->step->id, fd_fault_type_names[f->step->fault.type], h->name,
                      fh->heal_error ? fh->heal_error : "unknown error", manual);
            free(manual);
        }
    }
    json_t *hosts = json_array();
    for (size_t i = 0; i < f->nhosts; i++)
        json_array_append_new(hosts, json_string(r->s->inv.hosts[f->hosts[i].host].name));
    pthread_mutex_lock(&r->lock);
    f->state = ok ? FD_FS_HEALED : FD_FS_HEAL_FAILED;
    if (ok)
        f->healed_s = now_s(r);
    else
        r->heal_failed = true;
    pthread_mutex_unlock(&r->lock);
    fd_history_event(&r->history, ok ? "fault_healed" : "fault_heal_failed",
                     json_pack("{s:s,s:o,s:s}", "fault", f->step->id, "hosts", hosts, "why", why));
    if (ok)
        fd_run_log(r, "fault %s healed (%s)", f->step->id, why);
    return ok;
}

/* Heals every fault still in place, newest first. */
static void heal_all(fd_run *r, const char *why)
{
    size_t active = 0;
    pthread_mutex_lock(&r->lock);
    for (size_t i = 0; i < r->nfaults; i++)
        active += r->faults[i]->state == FD_FS_ACTIVE || r->faults[i]->state == FD_FS_HEALING;
    size_t n = r->nfaults;
    pthread_mutex_unlock(&r->lock);
    if (active)
        fd_run_log(r, "healing %zu fault%s still in place (%s)", active, active == 1 ? "" : "s", why);
    for (size_t i = n; i-- > 0;) {
        fd_active_fault *f = r->faults[i];
        if (f->state == FD_FS_ACTIVE || f->state == FD_FS_HEALING)
            heal_fault(r, f, why);
    }
}

static fd_probe_run *probe_run(fd_run *r, const char *name);

/* The share of ok operations of a probe that started in [from, to], or NAN. */
static double window_availability(fd_probe_run *pr, int64_t from, int64_t to)
{
    pthread_mutex_lock(&pr->lock);
    double a = fd_metrics_availability(pr->ops, pr->nops, from, to);
    pthread_mutex_unlock(&pr->lock);
    return a;
}

fd_probe_run *fd_run_probe(fd_run *r, const char *name)
{
    return probe_run(r, name);
}

static fd_probe_run *probe_run(fd_run *r, const char *name)
{
    for (size_t i = 0; i < r->nprobes; i++)
        if (fd_str_eq(r->probes[i].p->name, name))
            return &r->probes[i];
    return NULL;
}

/* safety.abort_if: checked a few times a second once the timeline has run for `for`. */
static void check_abort_if(fd_run *r)
{
    const fd_scenario *s = r->s;
    int64_t now = fd_mono_us();
    if (!s->has_abort_if || !r->timeline_start_us || r->timeline_end_us || r->aborted ||
        now < r->next_abort_check_us)
        return;
    r->next_abort_check_us = now + 100000;
    if (now - r->timeline_start_us < s->abort_if.for_us)
        return;
    fd_probe_run *pr = probe_run(r, s->abort_if.probe);
    if (!pr)
        return;
    double a = window_availability(pr, now - s->abort_if.for_us, now);
    if (!isnan(a) && fd_cmp_holds(&s->abort_if.availability, a)) {
        char *d = fd_format_duration(s->abort_if.for_us);
        pthread_mutex_lock(&r->lock);
        free(r->abort_reason);
        r->abort_reason = fd_asprintf("abort_if: probe %s availability %.4f %s %g over the last %s",
                                      pr->p->name, a, fd_cmp_op_str(s->abort_if.availability.op),
                                      s->abort_if.availability.value, d);
        r->aborted = true;
        pthread_mutex_unlock(&r->lock);
        fd_history_event(&r->history, "abort", json_pack("{s:s}", "reason", r->abort_reason));
        fd_run_log(r, "ABORT: %s", r->abort_reason);
        free(d);
    }
}

static void *healer_main(void *arg)
{
    fd_run *r = arg;
    while (!r->healer_quit) {
        check_abort_if(r);
        fd_active_fault *due = NULL;
        int64_t now = fd_mono_us();
        pthread_mutex_lock(&r->lock);
        for (size_t i = 0; i < r->nfaults && !due; i++) {
            fd_active_fault *f = r->faults[i];
            if (f->state == FD_FS_ACTIVE && f->heal_due_us && f->heal_due_us <= now)
                due = f;
        }
        pthread_mutex_unlock(&r->lock);
        if (due) {
            char *why = fd_format_duration(due->step->fault.duration_us);
            char *msg = fd_asprintf("its duration of %s is over", why);
            heal_fault(r, due, msg);
            free(msg);
            free(why);
        } else {
            fd_sleep_us(5000);
        }
    }
    return NULL;
}

/* ------------------------------------------------------------------ applying faults */

typedef struct live_resolver {
    fd_run *r;
    char *error;
} live_resolver;

static size_t resolve_live(const fd_selector *sel, size_t *out, void *arg)
{
    live_resolver *lr = arg;
    fd_where_result *det = NULL;
    size_t ndet = 0;
    size_t n = fd_selector_resolve(sel, &lr->r->pool, lr->r->run_id, lr->r->seed, out, &det,
                                   &ndet);
    for (size_t i = 0; i < ndet; i++) {
        if (!det[i].ran && !lr->error)
            lr->error = fd_asprintf("the where command could not run on %s: %s",
                                    lr->r->s->inv.hosts[det[i].host].name,
                                    det[i].detail ? det[i].detail : "unreachable");
        free(det[i].detail);
    }
    free(det);
    return n;
}

size_t fd_run_resolve(fd_run *r, const fd_selector *sel, size_t *out, char **err)
{
    live_resolver lr = {.r = r};
    size_t n = resolve_live(sel, out, &lr);
    *err = lr.error;
    return n;
}

typedef struct apply_job {
    fd_run *r;
    fd_active_fault *f;
} apply_job;

/* Keeps the agent's own lines (verified:, unverified:, note:, error:). */
static char *agent_lines(const char *out, const char *err)
{
    fd_buf b;
    fd_buf_init(&b, 8192);
    const char *srcs[2] = {out, err};
    for (int k = 0; k < 2; k++) {
        const char *p = srcs[k];
        while (p && *p) {
            const char *nl = strchr(p, '\n');
            size_t n = nl ? (size_t)(nl - p) : strlen(p);
            if (n && (fd_str_starts(p, "verified:") || fd_str_starts(p, "unverified:") ||
                      fd_str_starts(p, "note:") || fd_str_starts(p, "error:"))) {
                if (b.len)
                    fd_buf_puts(&b, "; ");
                fd_buf_append(&b, p, n);
            }
            p = nl ? nl + 1 : NULL;
        }
    }
    return fd_buf_steal(&b);
}

static void apply_host(size_t i, void *arg)
{
    apply_job *j = arg;
    fd_fault_host *fh = &j->f->hosts[i];
    fd_conn *c = &j->r->pool.conns[fh->host];
    const fd_step *st = j->f->step;
    /* the heal's own connection, so that a heal never waits behind a long command
     * on this host's connection (a failure here leaves the heal to connect later) */
    fd_pool_ensure_heal(&j->r->pool, fh->host);
    char *input = fd_agent_input(&fh->call, "apply", j->r->run_id, st->id, st->fault.ttl_us,
                                 j->r->controller);
    fh->needs_revert = true; /* from here on something may be in place */
    fd_exec_result er;
    /* the agent ends what it runs at the fault's timeout; the controller waits longer */
    fd_conn_exec(c, fh->apply_cmd, input, st->fault.timeout_us + APPLY_GRACE_US, &er);
    free(input);
    if (er.error != FD_OK) {
        fh->apply_exit = -1;
        fh->apply_detail = fd_asprintf("error: %s", er.error_msg);
    } else {
        fh->apply_exit = er.exit_status;
        fh->apply_detail = agent_lines(er.out, er.err);
        if (er.exit_status == FD_AGENT_NOT_APPLIED || er.exit_status == FD_AGENT_USAGE)
            fh->needs_revert = false; /* the agent undid what it started */
        if (er.exit_status != 0 && !fh->apply_detail[0]) {
            free(fh->apply_detail);
            fh->apply_detail = fd_asprintf("error: the agent exited %d: %s", er.exit_status,
                                           er.err[0] ? er.err : er.out);
        }
    }
    fd_exec_result_free(&er);
}

/* Runs a TCP connect test on host `from` towards host `to`'s SSH port.
 * Returns 1 reachable, 0 unreachable, -1 could not tell. */
static int reach(fd_run *r, size_t from, size_t to)
{
    const fd_host *t = &r->s->inv.hosts[to];
    char *port = fd_asprintf("%d", t->port ? t->port : 22);
    char *qa = fd_shell_quote(t->address);
    char *cmd = fd_asprintf(
        "if command -v bash >/dev/null 2>&1; then timeout 2 bash -c 'exec 3<>/dev/tcp/$0/$1' %s %s; "
        "elif command -v nc >/dev/null 2>&1; then timeout 2 nc -z -w 2 %s %s; else exit 99; fi",
        qa, port, qa, port);
    fd_exec_result er;
    fd_conn_exec(&r->pool.conns[from], cmd, NULL, 10000000, &er);
    int res = -1;
    if (er.error == FD_OK) {
        if (er.exit_status == 0)
            res = 1;
        else if (er.exit_status == 124)
            res = 0; /* timed out: the packets were dropped */
        else if (er.exit_status != 99 && strstr(er.err, "refused"))
            res = 1; /* refused: the network path works */
    }
    fd_exec_result_free(&er);
    free(cmd);
    free(qa);
    free(port);
    return res;
}

static bool in_list(const size_t *v, size_t n, size_t x)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] == x)
            return true;
    return false;
}

/* For faults that cut the network, observes the cut from the hosts themselves: a
 * target cannot reach a peer across the cut, and hosts on one side still reach each
 * other. Appends to f->verification; returns false when the cut is not observed. */
static bool verify_cut(fd_run *r, fd_active_fault *f, fd_buf *v)
{
    const fd_fault *ft = &f->step->fault;
    bool cuts = ft->type == FD_FAULT_CUT_DATACENTER || ft->type == FD_FAULT_PARTITION;
    if (!cuts || f->nhosts == 0)
        return true;
    fd_fault_host *a = &f->hosts[0];
    if (a->npeers == 0)
        return true;
    const fd_inventory *inv = &r->s->inv;
    size_t peer = a->peers[0];
    int across = reach(r, a->host, peer);
    if (across == 1) {
        fd_buf_printf(v, "; NOT CUT: %s still reaches %s", inv->hosts[a->host].name,
                      inv->hosts[peer].name);
        return false;
    }
    if (across == 0)
        fd_buf_printf(v, "; observed: %s cannot reach %s", inv->hosts[a->host].name,
                      inv->hosts[peer].name);
    else
        fd_buf_printf(v, "; could not test reachability from %s (no bash or nc)",
                      inv->hosts[a->host].name);
    /* within a side: two targets that are not cut from each other (a split group,
     * a datacenter) still reach each other */
    for (size_t i = 0; i < f->nhosts; i++) {
        for (size_t k = 0; k < f->nhosts; k++) {
            fd_fault_host *x = &f->hosts[i], *y = &f->hosts[k];
            if (i == k || in_list(x->peers, x->npeers, y->host))
                continue;
            int within = reach(r, x->host, y->host);
            if (within == 0) {
                fd_buf_printf(v, "; WRONG: %s cannot reach %s on its own side",
                              inv->hosts[x->host].name, inv->hosts[y->host].name);
                return false;
            }
            if (within == 1)
                fd_buf_printf(v, "; %s still reaches %s on its side", inv->hosts[x->host].name,
                              inv->hosts[y->host].name);
            return true;
        }
    }
    /* otherwise the far side still holds together (isolate, oneway) */
    for (size_t i = 0; i + 1 < a->npeers; i++) {
        size_t p0 = a->peers[i], p1 = a->peers[i + 1];
        bool p0_target = false;
        for (size_t k = 0; k < f->nhosts; k++)
            p0_target |= f->hosts[k].host == p0;
        if (p0_target)
            continue;
        int far = reach(r, p0, p1);
        if (far == 0) {
            fd_buf_printf(v, "; WRONG: %s cannot reach %s on the far side", inv->hosts[p0].name,
                          inv->hosts[p1].name);
            return false;
        }
        if (far == 1)
            fd_buf_printf(v, "; %s still reaches %s", inv->hosts[p0].name, inv->hosts[p1].name);
        break;
    }
    return true;
}

static void *verify_main(void *arg)
{
    fd_active_fault *f = arg;
    fd_run *r = f->run;
    fd_buf v;
    fd_buf_init(&v, 65536);
    fd_buf_puts(&v, f->verification);
    bool ok = verify_cut(r, f, &v);
    char *vt = fd_buf_steal(&v);
    char *red = fd_redact(&r->s->vars, vt);
    free(vt);
    pthread_mutex_lock(&r->lock);
    free(f->verification);
    f->verification = red;
    f->took_effect = ok;
    pthread_mutex_unlock(&r->lock);
    fd_history_event(&r->history, ok ? "fault_verified" : "fault_failed",
                     json_pack("{s:s,s:s}", "fault", f->step->id, "verification", red));
    if (ok) {
        fd_run_log(r, "fault %s: %s", f->step->id, red);
    } else {
        fd_run_error(r, "fault %s did not take effect: %s", f->step->id, red);
        r->infra_error = true;
        r->fault_failed = true;
    }
    return NULL;
}

/* Applies a fault step. Returns false when the step failed (the caller ends the run). */
static bool apply_fault(fd_run *r, size_t index, const fd_step *st)
{
    const fd_scenario *s = r->s;
    live_resolver lr = {.r = r};
    fd_fault_expansion e;
    char *err = NULL;
    bool ok = fd_fault_expand(s, st, r->run_id, resolve_live, &lr, &e, &err);
    if (lr.error) {
        fd_run_error(r, "fault %s: %s", st->id, lr.error);
        free(lr.error);
        free(err);
        if (ok)
            fd_fault_expansion_free(&e);
        r->infra_error = true;
        return false;
    }
    if (!ok) {
        /* a selector that matches no host aborts the run (spec: Selecting hosts) */
        fd_run_error(r, "fault %s: %s; aborting", st->id, err);
        free(err);
        r->aborted = true;
        free(r->abort_reason);
        r->abort_reason = fd_asprintf("fault %s selected no host", st->id);
        return false;
    }
    /* The blast radius is checked before anything touches a host. */
    if (s->max_hosts_affected > 0) {
        size_t total = r->ntouched;
        for (size_t i = 0; i < e.n; i++)
            total += !in_list(r->touched, r->ntouched, e.t[i].host);
        if (total > (size_t)s->max_hosts_affected) {
            fd_run_error(r,
                      "fault %s would bring the hosts touched by faults to %zu, more than "
                      "safety.max_hosts_affected (%lld); aborting before it touches any host",
                      st->id, total, (long long)s->max_hosts_affected);
            fd_fault_expansion_free(&e);
            r->aborted = true;
            free(r->abort_reason);
            r->abort_reason = fd_strdup("max_hosts_affected would be exceeded");
            return false;
        }
    }
    fd_active_fault *f = fd_xcalloc(1, sizeof *f);
    f->step = st;
    f->step_index = index;
    f->healed_s = -1;
    f->state = FD_FS_ACTIVE;
    f->nhosts = e.n;
    f->hosts = fd_xcalloc(e.n ? e.n : 1, sizeof *f->hosts);
    for (size_t i = 0; i < e.n; i++) {
        fd_fault_host *fh = &f->hosts[i];
        const fd_host *h = &s->inv.hosts[e.t[i].host];
        fh->host = e.t[i].host;
        fh->call = e.t[i].call; /* moved */
        e.t[i].call.args = (fd_strv){0};
        fh->peers = e.t[i].peers;
        fh->npeers = e.t[i].npeers;
        e.t[i].peers = NULL;
        fh->apply_exit = -1;
        fh->apply_cmd = fd_agent_command(&fh->call, h, "apply", r->run_id, st->id);
        fh->revert_cmd = fd_agent_command(&fh->call, h, "revert", r->run_id, st->id);
        if (!in_list(r->touched, r->ntouched, fh->host)) {
            r->touched = fd_xrealloc(r->touched, (r->ntouched + 1) * sizeof *r->touched);
            r->touched[r->ntouched++] = fh->host;
        }
    }
    fd_fault_expansion_free(&e);
    pthread_mutex_lock(&r->lock);
    r->faults = fd_xrealloc(r->faults, (r->nfaults + 1) * sizeof *r->faults);
    r->faults[r->nfaults++] = f;
    pthread_mutex_unlock(&r->lock);

    f->started_s = now_s(r);
    apply_job j = {.r = r, .f = f};
    fd_fanout(f->nhosts, 0, apply_host, &j);
    f->applied_s = now_s(r);
    if (st->fault.duration_us > 0)
        f->heal_due_us = fd_mono_us() + st->fault.duration_us;

    fd_buf v;
    fd_buf_init(&v, 65536);
    bool took = true;
    json_t *hosts = json_array();
    for (size_t i = 0; i < f->nhosts; i++) {
        fd_fault_host *fh = &f->hosts[i];
        const char *name = s->inv.hosts[fh->host].name;
        json_array_append_new(hosts, json_string(name));
        fd_buf_printf(&v, "%s%s: %s", i ? "; " : "", name,
                      fh->apply_detail && fh->apply_detail[0] ? fh->apply_detail : "(no output)");
        if (fh->apply_exit != 0)
            took = false;
    }
    char *vt = fd_buf_steal(&v);
    f->verification = fd_redact(&s->vars, vt);
    free(vt);
    f->took_effect = took;
    fd_history_event(&r->history, took ? "fault_applied" : "fault_failed",
                     json_pack("{s:s,s:s,s:o,s:s}", "fault", st->id, "type",
                               fd_fault_type_names[st->fault.type], "hosts", hosts,
                               "verification", f->verification));
    if (!took) {
        fd_run_error(r, "fault %s did not take effect: %s", st->id, f->verification);
        r->infra_error = true;
        return false;
    }
    /* A cut is observed from the hosts (a dropped connect takes its timeout to show),
     * while the timeline goes on; a heal waits for the observation. */
    f->run = r;
    if ((st->fault.type == FD_FAULT_PARTITION || st->fault.type == FD_FAULT_CUT_DATACENTER) &&
        pthread_create(&f->verifier, NULL, verify_main, f) == 0)
        f->verifying = true;
    char *dur = st->fault.duration_us ? fd_format_duration(st->fault.duration_us) : NULL;
    fd_run_log(r, "fault %s (%s) applied%s%s: %s", st->id, fd_fault_type_names[st->fault.type],
            dur ? ", heals in " : "", dur ? dur : "", f->verification);
    free(dur);
    return true;
}

/* ------------------------------------------------------------------ other steps */

static bool run_step_command(fd_run *r, const fd_step *st, char **detail)
{
    const fd_scenario *s = r->s;
    if (!st->run.target.set) {
        char *env[] = {fd_asprintf("FD_RUN_ID=%s", r->run_id), NULL};
        fd_exec_result er;
        fd_local_exec(st->run.command, env, st->run.timeout_us, &fd_run_signal, &er);
        free(env[0]);
        if (fd_run_signal && !er.timed_out && er.error == FD_ERR_COMMAND) {
            /* stopped because the run was interrupted: the interruption is the outcome */
            *detail = fd_strdup("interrupted");
            fd_exec_result_free(&er);
            return true;
        }
        bool ok = er.error == FD_OK && er.exit_status == st->run.expect_exit;
        if (!ok)
            *detail = er.error != FD_OK
                          ? fd_strdup(er.error_msg)
                          : er.signal ? fd_asprintf("killed by SIG%s", er.signal)
                                      : fd_asprintf("exited %d, expected %lld: %s", er.exit_status,
                                                    (long long)st->run.expect_exit,
                                                    er.err[0] ? er.err : er.out);
        else
            *detail = fd_asprintf("exited %d on the controller", er.exit_status);
        fd_exec_result_free(&er);
        return ok;
    }
    live_resolver lr = {.r = r};
    size_t *hosts = fd_xcalloc(s->inv.n, sizeof *hosts);
    size_t n = resolve_live(&st->run.target, hosts, &lr);
    if (lr.error || n == 0) {
        *detail = lr.error ? lr.error : fd_strdup("the target matches no host");
        free(hosts);
        return false;
    }
    bool ok = true;
    fd_buf b;
    fd_buf_init(&b, 65536);
    for (size_t i = 0; i < n && ok; i++) {
        const fd_host *h = &s->inv.hosts[hosts[i]];
        char *cmd = fd_host_command(h, r->run_id, st->run.command, false);
        fd_exec_result er;
        fd_conn_exec(&r->pool.conns[hosts[i]], cmd, NULL, st->run.timeout_us, &er);
        free(cmd);
        if (er.error != FD_OK) {
            fd_buf_printf(&b, "%s%s: %s", b.len ? "; " : "", h->name, er.error_msg);
            ok = false;
        } else if (er.exit_status != st->run.expect_exit) {
            char *e = fd_printable(er.err[0] ? er.err : er.out, 300);
            fd_buf_printf(&b, "%s%s: exited %d, expected %lld: %s", b.len ? "; " : "", h->name,
                          er.exit_status, (long long)st->run.expect_exit, e);
            free(e);
            ok = false;
        } else {
            fd_buf_printf(&b, "%s%s: exited %d", b.len ? "; " : "", h->name, er.exit_status);
        }
        fd_exec_result_free(&er);
    }
    free(hosts);
    *detail = fd_buf_steal(&b);
    return ok;
}

/* wait_for: until the probe has succeeded continuously for healthy_for. */
static bool wait_for_step(fd_run *r, const fd_step *st, char **detail)
{
    fd_probe_run *pr = probe_run(r, st->wait_for.probe);
    int64_t start = fd_mono_us(), deadline = start + st->wait_for.timeout_us;
    while (!stopping(r)) {
        /* the start of the current run of ok operations, counted only from this step's
         * start: an operation still in flight when the step began (say, hung on a node
         * that was just killed) is not recorded yet and must not be vouched for */
        int64_t healthy_since = 0;
        pthread_mutex_lock(&pr->lock);
        for (size_t i = pr->nops; i-- > 0;) {
            if (pr->ops[i].outcome != FD_OUT_OK || pr->ops[i].start_us < start)
                break;
            healthy_since = pr->ops[i].start_us;
        }
        pthread_mutex_unlock(&pr->lock);
        int64_t now = fd_mono_us();
        if (healthy_since && now - healthy_since >= st->wait_for.healthy_for_us) {
            *detail = fd_asprintf("probe %s healthy for %.2fs after %.2fs", pr->p->name,
                                  (double)(now - healthy_since) / 1e6, (double)(now - start) / 1e6);
            return true;
        }
        if (now >= deadline)
            break;
        fd_sleep_us(10000);
    }
    if (stopping(r)) {
        *detail = fd_strdup("interrupted");
        return true;
    }
    char *h = fd_format_duration(st->wait_for.healthy_for_us);
    char *t = fd_format_duration(st->wait_for.timeout_us);
    *detail = fd_asprintf("probe %s did not stay healthy for %s within %s (last error: %s)",
                          pr->p->name, h, t, pr->last_error ? pr->last_error : "none");
    free(h);
    free(t);
    return false;
}

static bool heal_step(fd_run *r, const fd_step *st, char **detail)
{
    bool all = strcmp(st->heal, "all") == 0;
    bool ok = true;
    size_t healed = 0;
    for (size_t i = r->nfaults; i-- > 0;) {
        fd_active_fault *f = r->faults[i];
        if (!all && strcmp(f->step->id, st->heal) != 0)
            continue;
        if (f->state == FD_FS_HEALED)
            continue;
        ok &= heal_fault(r, f, all ? "heal: all" : "heal step");
        healed++;
    }
    *detail = fd_asprintf("%zu fault%s healed", healed, healed == 1 ? "" : "s");
    return ok;
}

/* ------------------------------------------------------------------ the run */

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

/* The planned time still ahead: waits not yet done and the rest of the current one.
 * A lower bound (wait_for and commands take what they take). */
static double remaining_s(const fd_run *r)
{
    const fd_scenario *s = r->s;
    double left = 0;
    size_t cur = r->current_step;
    for (size_t i = cur; i < s->nsteps; i++) {
        if (s->steps[i].kind != FD_STEP_WAIT)
            continue;
        double w = (double)s->steps[i].wait_us / 1e6;
        if (i == cur && r->nsteps > i)
            w -= now_s(r) - r->steps[i].started_s;
        if (w > 0)
            left += w;
    }
    return left;
}

/* The live status line on a terminal: step, elapsed and remaining time, and each
 * probe's counts and current outage. */
static void *progress_main(void *arg)
{
    fd_run *r = arg;
    while (!r->progress_quit) {
        fd_sleep_us(200000);
        if (r->progress_quit)
            break;
        fd_buf b;
        fd_buf_init(&b, 4096);
        const fd_scenario *s = r->s;
        size_t cur = r->current_step;
        if (!r->timeline_start_us)
            fd_buf_puts(&b, "starting");
        else if (cur < s->nsteps)
            fd_buf_printf(&b, "step %zu/%zu %s %s", cur + 1, s->nsteps,
                          fd_step_kind_names[s->steps[cur].kind], s->steps[cur].id);
        else
            fd_buf_puts(&b, "finishing");
        fd_buf_printf(&b, " | %.0fs elapsed, >=%.0fs left", now_s(r), remaining_s(r));
        for (size_t i = 0; i < r->nprobes; i++) {
            fd_probe_run *pr = &r->probes[i];
            uint64_t ok = 0, bad = 0;
            int64_t down_since = 0;
            pthread_mutex_lock(&pr->lock);
            for (size_t k = 0; k < pr->nops; k++) {
                if (pr->ops[k].outcome == FD_OUT_OK) {
                    ok++;
                    down_since = 0;
                } else {
                    bad++;
                    if (!down_since)
                        down_since = pr->ops[k].start_us;
                }
            }
            pthread_mutex_unlock(&pr->lock);
            fd_buf_printf(&b, " | %s ok %llu fail %llu", pr->p->name, (unsigned long long)ok,
                          (unsigned long long)bad);
            if (down_since)
                fd_buf_printf(&b, " DOWN %.1fs", (double)(fd_mono_us() - down_since) / 1e6);
        }
        pthread_mutex_lock(&r->lock);
        printf("\r\033[K%s", b.data);
        fflush(stdout);
        pthread_mutex_unlock(&r->lock);
        fd_buf_free(&b);
    }
    pthread_mutex_lock(&r->lock);
    printf("\r\033[K");
    fflush(stdout);
    pthread_mutex_unlock(&r->lock);
    return NULL;
}

static bool start_probes(fd_run *r)
{
    const fd_scenario *s = r->s;
    if (!s->nprobes)
        return true;
    r->probes = fd_xcalloc(s->nprobes, sizeof *r->probes);
    fd_probe_env env = {.run_id = r->run_id, .pool = &r->pool, .s = s};
    for (size_t i = 0; i < s->nprobes; i++) {
        r->nprobes++;
        if (!fd_probe_start(&r->probes[i], &s->probes[i], &env, &r->history)) {
            fd_run_error(r, "probe %s could not start", s->probes[i].name);
            r->infra_error = true;
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
    run_sleep(r, longest);
    if (stopping(r))
        return false;
    int64_t now = fd_mono_us();
    for (size_t i = 0; i < s->nsteady; i++) {
        const fd_condition *c = &s->steady[i];
        fd_probe_run *pr = probe_run(r, c->probe);
        int64_t from = now - c->for_us < start ? start : now - c->for_us;
        double a = window_availability(pr, from, now);
        bool holds = !isnan(a) && fd_cmp_holds(&c->availability, a);
        fd_history_event(&r->history, "steady_state",
                         json_pack("{s:s,s:o,s:b}", "probe", c->probe,
                                   "availability", isnan(a) ? json_null() : json_real(a), "met",
                                   holds));
        if (!holds) {
            pthread_mutex_lock(&r->lock);
            free(r->abort_reason);
            char measured[32] = "unmeasured";
            if (!isnan(a))
                snprintf(measured, sizeof measured, "%.4f", a);
            r->abort_reason = fd_asprintf(
                "steady state not met: probe %s availability %s, needs %s %g (last error: %s); "
                "nothing was injected",
                c->probe, measured, fd_cmp_op_str(c->availability.op), c->availability.value,
                pr->last_error ? pr->last_error : "none");
            r->aborted = true;
            pthread_mutex_unlock(&r->lock);
            fd_run_error(r, "%s", r->abort_reason);
            return false;
        }
        fd_run_log(r, "steady state: probe %s availability %.4f %s %g: met", c->probe, a,
                fd_cmp_op_str(c->availability.op), c->availability.value);
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
    if (writes && !r->heal_failed) {
        char *d = fd_format_duration(settle);
        fd_run_log(r, "%s; settling for %s before reading back",
                r->nfaults ? "every fault healed" : "timeline over", d);
        free(d);
        /* settle even when interrupted: the read-back is what the drill is for */
        fd_sleep_us(settle);
    }
    int64_t from = r->timeline_start_us ? r->timeline_start_us : r->t0_us;
    int64_t to = r->timeline_end_us ? r->timeline_end_us : fd_mono_us();
    for (size_t i = 0; i < r->nprobes; i++) {
        fd_probe_run *pr = &r->probes[i];
        fd_metrics_compute(pr->ops, pr->nops, from, to, &pr->m);
        if (pr->p->write && !r->heal_failed && pr->client) {
            fd_probe_read_back(pr, 30000000);
            fd_history_event(&r->history, "read_back",
                             json_pack("{s:s,s:I,s:I,s:I,s:I,s:o}", "probe", pr->p->name,
                                       "values", (json_int_t)pr->read_back_count, "lost_writes",
                                       (json_int_t)pr->m.lost_writes, "phantom_writes",
                                       (json_int_t)pr->m.phantom_writes, "corrupt_values",
                                       (json_int_t)pr->m.corrupt_values, "error",
                                       pr->read_back_error ? json_string(pr->read_back_error)
                                                           : json_null()));
        }
        const fd_probe_metrics *m = &pr->m;
        if (pr->p->write)
            fd_run_log(r,
                    "probe %s: %llu ops, availability %.4f, failover time %.3fs, %zu outage%s, "
                    "lost writes %lld, phantom %lld, corrupt %lld%s%s",
                    pr->p->name, (unsigned long long)m->ops, m->availability, m->failover_time_s,
                    m->noutages, m->noutages == 1 ? "" : "s", (long long)m->lost_writes,
                    (long long)m->phantom_writes, (long long)m->corrupt_values,
                    pr->read_back_error ? "; read-back failed: " : "",
                    pr->read_back_error ? pr->read_back_error : "");
        else
            fd_run_log(r, "probe %s: %llu ops, availability %.4f, failover time %.3fs, %zu outage%s",
                    pr->p->name, (unsigned long long)m->ops, m->availability, m->failover_time_s,
                    m->noutages, m->noutages == 1 ? "" : "s");
    }
}

static double metric_value(const fd_probe_metrics *m, fd_metric metric)
{
    switch (metric) {
    case FD_METRIC_AVAILABILITY: return m->availability;
    case FD_METRIC_FAILOVER_TIME: return m->failover_time_s;
    case FD_METRIC_OUTAGES: return m->ops ? (double)m->noutages : NAN;
    case FD_METRIC_LOST_WRITES: return m->lost_writes < 0 ? NAN : (double)m->lost_writes;
    case FD_METRIC_PHANTOM_WRITES: return m->phantom_writes < 0 ? NAN : (double)m->phantom_writes;
    case FD_METRIC_CORRUPT_VALUES: return m->corrupt_values < 0 ? NAN : (double)m->corrupt_values;
    case FD_METRIC_LATENCY_P50: return m->latency_p50_ms / 1000.0;
    case FD_METRIC_LATENCY_P99: return m->latency_p99_ms / 1000.0;
    case FD_METRIC_LATENCY_MAX: return m->latency_max_ms / 1000.0;
    default: return NAN;
    }
}

static void evaluate_checks(fd_run *r)
{
    const fd_scenario *s = r->s;
    if (!s->nchecks || r->heal_failed)
        return;
    r->check_results = fd_xcalloc(s->nchecks, sizeof *r->check_results);
    r->nchecks = s->nchecks;
    for (size_t i = 0; i < s->nchecks; i++) {
        const fd_check *c = &s->checks[i];
        fd_check_result *cr = &r->check_results[i];
        cr->check = c;
        fd_probe_run *pr = c->probe ? probe_run(r, c->probe) : NULL;
        cr->value = pr ? metric_value(&pr->m, c->metric) : NAN;
        for (size_t v = 0; c->step && v < r->nverifies; v++) {
            const fd_verify_record *vr = &r->verifies[v];
            if (!fd_str_eq(vr->step->id, c->step))
                continue;
            cr->value = c->metric == FD_METRIC_RPO   ? vr->rpo_s
                        : c->metric == FD_METRIC_RTO ? vr->rto_s
                        : vr->lost_writes < 0        ? NAN
                                                     : (double)vr->lost_writes;
        }
        cr->pass = !isnan(cr->value) && (c->is_max ? cr->value <= c->limit : cr->value >= c->limit);
        if (!cr->pass)
            r->checks_failed = true;
        fd_run_log(r, "check %s %s %s %g: %s%s", c->probe ? c->probe : c->step,
                fd_metric_names[c->metric], c->is_max ? "<=" : ">=", c->limit,
                cr->pass ? "pass" : "FAIL",
                isnan(cr->value) ? " (not measured)" : "");
    }
}

/* The other formats, the index of the reports folder, and the webhook. None of them
 * changes the verdict; a failure is said. */
static void write_reports(fd_run *r, const fd_cli *cli)
{
    const fd_scenario *s = r->s;
    unsigned formats = 0;
    if (s->formats & FD_FORMAT_HTML)
        formats |= FD_RENDER_HTML;
    if (s->formats & FD_FORMAT_JUNIT)
        formats |= FD_RENDER_JUNIT;
    if (s->formats & FD_FORMAT_MARKDOWN)
        formats |= FD_RENDER_MARKDOWN;
    char *err = NULL;
    if (!fd_render_run_dir(r->dir, formats, &err)) {
        fprintf(stderr, "firedrill: writing the reports: %s\n", err);
        free(err);
        err = NULL;
    }
    const char *base = cli->report_dir ? cli->report_dir : s->report_dir;
    if (!fd_render_index(base, &err)) {
        fprintf(stderr, "firedrill: writing %s/index.html: %s\n", base, err);
        free(err);
        err = NULL;
    }
    if (s->webhook) {
        char *path = fd_asprintf("%s/report.json", r->dir);
        json_t *rep = json_load_file(path, 0, NULL);
        free(path);
        char *url_shown = fd_redact(&s->vars, s->webhook);
        if (rep && fd_notify_webhook(s->webhook, rep, r->dir, &err)) {
            fd_run_log(r, "notified %s", url_shown);
        } else {
            char *e = err ? fd_redact(&s->vars, err) : fd_strdup("no report to send");
            fprintf(stderr, "firedrill: the webhook notification to %s failed: %s (the verdict stands)\n",
                    url_shown, e);
            free(e);
        }
        free(err);
        free(url_shown);
        json_decref(rep);
    }
}

/* True when the inventory is the local lab's: the file tests/lab/lab wrote, next to
 * the marker it keeps in its directory. */
static bool inventory_is_lab(const fd_scenario *s)
{
    const char *file = s->inv.file;
    if (!file)
        return false;
    char *dir = fd_path_dir(file);
    char *marker = fd_asprintf("%s/.firedrill-lab", dir);
    const char *base = strrchr(file, '/');
    bool lab = access(marker, F_OK) == 0 && strcmp(base ? base + 1 : file, "inventory.yaml") == 0;
    free(marker);
    free(dir);
    return lab;
}

/* Faults on hosts that are not the lab need --yes, or the scenario's name typed at a
 * prompt. Returns false when the run must not go on. */
static bool confirm_targets(const fd_scenario *s, const fd_cli *cli)
{
    bool faults = false;
    for (size_t i = 0; i < s->nsteps; i++)
        faults |= s->steps[i].kind == FD_STEP_FAULT;
    if (!faults || cli->yes || inventory_is_lab(s))
        return true;
    if (!isatty(STDIN_FILENO)) {
        fprintf(stderr,
                "firedrill run: '%s' injects faults into %zu hosts of %s, which is not the local "
                "lab; run with --yes to confirm (nothing was touched)\n",
                s->name, s->inv.n, s->inv.file);
        return false;
    }
    fprintf(stderr, "This drill injects faults into %zu hosts of %s:", s->inv.n, s->inv.file);
    for (size_t i = 0; i < s->inv.n && i < 10; i++)
        fprintf(stderr, " %s", s->inv.hosts[i].name);
    fprintf(stderr, "%s\nType the scenario name (%s) to go on: ", s->inv.n > 10 ? " ..." : "", s->name);
    char line[128] = "";
    if (!fgets(line, sizeof line, stdin))
        return false;
    line[strcspn(line, "\r\n")] = '\0';
    if (strcmp(line, s->name) != 0) {
        fprintf(stderr, "firedrill run: not confirmed; nothing was touched\n");
        return false;
    }
    return true;
}

int fd_run_execute(fd_run *r, const fd_scenario *s, const fd_cli *cli)
{
    memset(r, 0, sizeof *r);
    r->s = s;
    r->cli = cli;
    r->seed = cli->seed;
    pthread_mutex_init(&r->lock, NULL);
    if (!confirm_targets(s, cli)) {
        r->exit_code = FD_EXIT_USAGE;
        return r->exit_code;
    }
    r->started_unix = fd_unix_now();
    r->t0_us = fd_mono_us();
    r->run_id = fd_run_id_new(s->name, r->started_unix);
    r->controller = fd_controller_identity();
    const char *base = cli->report_dir ? cli->report_dir : s->report_dir;
    r->dir = fd_asprintf("%s/%s", base, r->run_id);
    /* the reports folder may exist; the run directory is new, made by this run alone
     * (mkdir fails on anything already there, a link included) */
    if (!make_dirs(base) || mkdir(r->dir, 0755) != 0) {
        fprintf(stderr, "firedrill run: cannot create the run directory %s: %s\n", r->dir,
                strerror(errno));
        r->exit_code = FD_EXIT_INFRA;
        return r->exit_code;
    }
    char *hpath = fd_asprintf("%s/history.jsonl", r->dir);
    if (fd_history_open(&r->history, hpath, r->t0_us) != 0) {
        fprintf(stderr, "firedrill run: cannot write %s: %s\n", hpath, strerror(errno));
        free(hpath);
        r->exit_code = FD_EXIT_INFRA;
        return r->exit_code;
    }
    free(hpath);
    r->history.redact = &s->vars;
    copy_scenario(r);
    if (cli->json)
        r->history.echo_events = stdout;
    r->tty = isatty(STDOUT_FILENO) && !cli->quiet && !cli->json;
    fd_ssh_opts o = {.accept_new_host_keys = cli->accept_new_host_keys};
    fd_pool_init(&r->pool, &s->inv, &o);
    fd_run_log(r, "run %s (seed %llu), writing %s", r->run_id, (unsigned long long)r->seed, r->dir);

    bool ok = preflight(r);
    if (!ok)
        r->infra_error = true;
    if (ok) {
        r->healer_started = pthread_create(&r->healer, NULL, healer_main, r) == 0;
        if (!r->healer_started) {
            fd_run_error(r, "cannot start the healer thread");
            r->infra_error = true;
            ok = false;
        }
    }
    if (r->tty)
        r->progress_started = pthread_create(&r->progress, NULL, progress_main, r) == 0;
    if (ok)
        ok = start_probes(r) && steady_state(r);
    r->timeline_start_us = fd_mono_us();
    r->steps = fd_xcalloc(s->nsteps, sizeof *r->steps);
    for (size_t i = 0; ok && i < s->nsteps; i++) {
        const fd_step *st = &s->steps[i];
        r->current_step = i;
        fd_step_record *rec = &r->steps[r->nsteps++];
        rec->index = i;
        rec->step = st;
        rec->started_s = now_s(r);
        if (stopping(r)) {
            rec->status = "skipped";
            rec->ended_s = rec->started_s;
            break;
        }
        fd_history_event(&r->history, "step_started",
                         json_pack("{s:i,s:s,s:s}", "index", (json_int_t)i, "kind",
                                   fd_step_kind_names[st->kind], "id", st->id));
        bool step_ok = true;
        char *detail = NULL;
        switch (st->kind) {
        case FD_STEP_FAULT:
            step_ok = apply_fault(r, i, st);
            break;
        case FD_STEP_HEAL:
            step_ok = heal_step(r, st, &detail);
            break;
        case FD_STEP_WAIT: {
            char *d = fd_format_duration(st->wait_us);
            fd_run_log(r, "step %zu: wait %s", i + 1, d);
            free(d);
            run_sleep(r, st->wait_us);
            break;
        }
        case FD_STEP_WAIT_FOR:
            step_ok = wait_for_step(r, st, &detail);
            fd_run_log(r, "step %zu [%s] wait_for: %s%s", i + 1, st->id, step_ok ? "" : "FAILED: ",
                    detail);
            if (!step_ok) {
                r->checks_failed = true;
                fd_run_error(r, "step %zu [%s]: %s", i + 1, st->id, detail);
            }
            break;
        case FD_STEP_BACKUP:
        case FD_STEP_COPY:
        case FD_STEP_RESTORE:
        case FD_STEP_VERIFY:
            step_ok = st->kind == FD_STEP_BACKUP    ? fd_dr_backup(r, st, &detail)
                      : st->kind == FD_STEP_COPY    ? fd_dr_copy(r, st, &detail)
                      : st->kind == FD_STEP_RESTORE ? fd_dr_restore(r, st, &detail)
                                                    : fd_dr_verify(r, st, &detail);
            fd_run_log(r, "step %zu [%s] %s: %s%s", i + 1, st->id, fd_step_kind_names[st->kind],
                       step_ok ? "" : "FAILED: ", detail ? detail : "");
            if (!step_ok) {
                r->infra_error = true;
                fd_run_error(r, "step %zu [%s] %s failed: %s", i + 1, st->id,
                             fd_step_kind_names[st->kind], detail ? detail : "");
            }
            break;
        case FD_STEP_RUN:
            step_ok = run_step_command(r, st, &detail);
            if (!step_ok)
                r->infra_error = true;
            fd_run_log(r, "step %zu [%s] run: %s%s", i + 1, st->id, step_ok ? "" : "FAILED: ",
                    detail);
            break;
        default:
            break;
        }
        rec->ended_s = now_s(r);
        bool interrupted = stopping(r) && (st->kind == FD_STEP_WAIT ||
                                           (detail && strcmp(detail, "interrupted") == 0));
        rec->status = step_ok ? (interrupted ? "interrupted" : "ok") : "failed";
        rec->detail = detail ? fd_redact(&s->vars, detail) : NULL;
        free(detail);
        fd_history_event(&r->history, "step_ended",
                         json_pack("{s:i,s:s,s:s}", "index", (json_int_t)i, "id", st->id,
                                   "status", rec->status));
        if (!step_ok) {
            if (st->kind == FD_STEP_RUN)
                fd_run_error(r, "step %zu [%s] failed: %s", i + 1, st->id,
                          rec->detail ? rec->detail : "");
            ok = false;
        }
    }
    r->timeline_end_us = fd_mono_us();
    r->current_step = s->nsteps;
    if (r->fault_failed)
        ok = false;
    if (fd_run_signal && !r->aborted) {
        r->aborted = true;
        r->abort_reason = fd_strdup(fd_run_signal == SIGTERM   ? "SIGTERM"
                                    : fd_run_signal == SIGHUP  ? "SIGHUP"
                                    : fd_run_signal == SIGQUIT ? "SIGQUIT"
                                                               : "SIGINT");
        fd_run_log(r, "interrupted by %s", r->abort_reason);
        fd_history_event(&r->history, "abort", json_pack("{s:s}", "reason", r->abort_reason));
    }
    /* Every way out goes through here: heal whatever is still in place. */
    heal_all(r, r->aborted ? "the run was aborted"
                           : r->infra_error ? "the run failed" : "the timeline is over");
    if (r->healer_started) {
        r->healer_quit = true;
        pthread_join(r->healer, NULL);
    }
    for (size_t i = 0; i < r->nfaults; i++)
        if (r->faults[i]->verifying) {
            pthread_join(r->faults[i]->verifier, NULL);
            r->faults[i]->verifying = false;
        }
    /* A heal that failed the first time is tried once more at the very end. */
    for (size_t i = 0; i < r->nfaults; i++)
        if (r->faults[i]->state == FD_FS_HEAL_FAILED)
            heal_fault(r, r->faults[i], "final retry");
    r->heal_failed = false;
    for (size_t i = 0; i < r->nfaults; i++)
        r->heal_failed |= r->faults[i]->state == FD_FS_HEAL_FAILED;
    finish_probes(r);
    evaluate_checks(r);
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) == 0) {
        r->cpu_user_s = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6;
        r->cpu_system_s = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
        r->max_rss_kb = ru.ru_maxrss;
    }

    if (r->heal_failed) {
        r->exit_code = FD_EXIT_HEAL_FAILED;
        r->verdict = "heal_failed";
    } else if (r->infra_error) {
        r->exit_code = FD_EXIT_INFRA;
        r->verdict = "error";
    } else if (r->aborted) {
        r->exit_code = FD_EXIT_ABORTED;
        r->verdict = "aborted";
    } else if (r->checks_failed) {
        r->exit_code = FD_EXIT_FAIL;
        r->verdict = "fail";
    } else {
        r->exit_code = FD_EXIT_PASS;
        r->verdict = "pass";
    }
    if (r->progress_started) {
        r->progress_quit = true;
        pthread_join(r->progress, NULL);
        r->progress_started = false;
    }
    r->duration_s = now_s(r);
    fd_history_event(&r->history, "run_ended",
                     json_pack("{s:s,s:i}", "verdict", r->verdict, "exit_code",
                               (json_int_t)r->exit_code));
    if (fd_report_write_json(r) != 0)
        fd_run_error(r, "cannot write %s/report.json", r->dir);
    else
        write_reports(r, cli);
    size_t nf = r->nfaults, healed = 0;
    for (size_t i = 0; i < nf; i++)
        healed += r->faults[i]->state == FD_FS_HEALED;
    fd_run_log(r, "verdict: %s (exit %d); %zu fault%s injected, %zu healed; report: %s/report.json",
            r->verdict, r->exit_code, nf, nf == 1 ? "" : "s", healed, r->dir);
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
