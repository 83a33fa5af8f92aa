/* faultrun.c: the fault step: expanding a fault to its hosts, the blast-radius
 * check, applying it through the agents on every target host at once, and observing
 * a network cut from the hosts while the timeline goes on. */
#include "faultrun.h"
#include "notify.h"
#include "agent.h"
#include "fanout.h"
#include "plan.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The controller waits this much longer than a fault's timeout for its agent, which
 * ends what it runs at the timeout itself. */
#define APPLY_GRACE_US 30000000

static size_t resolve_live(const fd_selector *sel, size_t *out, void *arg)
{
    fd_run *r = ((void **)arg)[0];
    char **error = ((void **)arg)[1];
    char *err = NULL;
    size_t n = fd_run_resolve(r, sel, out, &err);
    if (err && !*error)
        *error = err;
    else
        free(err);
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
        for (char *line; (line = fd_next_line(&p)); free(line)) {
            if (fd_str_starts(line, "verified:") || fd_str_starts(line, "unverified:") ||
                fd_str_starts(line, "note:") || fd_str_starts(line, "error:"))
                fd_buf_printf(&b, "%s%s", b.len ? "; " : "", line);
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
    fh->apply_t.sent_s = fd_run_now_s(j->r);
    /* the agent ends what it runs at the fault's timeout; the controller waits longer */
    fd_conn_exec(c, fh->apply_cmd, input, st->fault.timeout_us + APPLY_GRACE_US, &er);
    double ack_s = fd_run_now_s(j->r);
    free(input);
    if (er.error != FD_OK) {
        fh->apply_exit = -1;
        fh->apply_detail = fd_asprintf("error: %s", er.error_msg);
    } else {
        fh->apply_exit = er.exit_status;
        fh->apply_detail = agent_lines(er.out, er.err);
        if (er.exit_status == 0) {
            fh->apply_t.ack_s = ack_s;
            fh->apply_t.effect_s = fd_effect_unix(er.out) - j->r->started_unix;
        }
        if (er.exit_status == FD_AGENT_NOT_APPLIED || er.exit_status == FD_AGENT_USAGE ||
            er.exit_status == FD_AGENT_HALTED)
            fh->needs_revert = false; /* the agent undid what it started, or touched nothing */
        if (er.exit_status != 0 && !fh->apply_detail[0]) {
            free(fh->apply_detail);
            fh->apply_detail = fd_asprintf("error: the agent exited %d: %s", er.exit_status,
                                           er.err[0] ? er.err : er.out);
        }
    }
    fd_exec_result_free(&er);
}

/* Runs the check agent's TCP connect test on host `from` towards host `to`'s SSH port.
 * Returns 1 reachable, 0 unreachable, -1 could not tell. */
static int reach(fd_run *r, size_t from, size_t to)
{
    const fd_host *t = &r->s->inv.hosts[to];
    char *port = fd_asprintf("%d", t->port ? t->port : 22);
    const char *args[] = {t->address, port};
    char *input = fd_agent_check_input("reach", args, 2);
    fd_exec_result er;
    /* its own connection (the host's main one when that cannot be made): a cut host
     * answers only at the timeout, and the next step's apply there must not wait */
    fd_conn *c = fd_pool_ensure_verify(&r->pool, from);
    fd_conn_exec(c->connected ? c : &r->pool.conns[from], "sh -s", input, 10000000, &er);
    int res = -1;
    if (er.error == FD_OK && er.exit_status == FD_AGENT_APPLIED)
        res = 1;
    else if (er.error == FD_OK && er.exit_status == FD_AGENT_UNREACHABLE)
        res = 0;
    fd_exec_result_free(&er);
    free(input);
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
    pthread_mutex_lock(&r->lock);
    fd_buf_puts(&v, f->verification);
    pthread_mutex_unlock(&r->lock);
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
        fd_run_outcome(r, FD_OUTCOME_INFRA, NULL);
        fd_run_outcome(r, FD_OUTCOME_FAULT_FAILED, NULL);
    }
    return NULL;
}

/* Applies a fault step. Returns false when the step failed (the caller ends the run). */

/* Expands step st to its hosts and checks the blast radius, before anything touches
 * a host. Returns FD_OUTCOME_NONE with e filled, or how the step fails (said). */
static fd_run_result expand(fd_run *r, const fd_step *st, fd_fault_expansion *e)
{
    const fd_scenario *s = r->s;
    char *where_err = NULL, *err = NULL;
    void *arg[2] = {r, &where_err};
    bool ok = fd_fault_expand(s, st, r->run_id, resolve_live, arg, e, &err);
    if (where_err) {
        fd_run_error(r, "fault %s: %s", st->id, where_err);
        free(where_err);
        free(err);
        if (ok)
            fd_fault_expansion_free(e);
        return FD_OUTCOME_INFRA;
    }
    if (!ok) {
        /* a selector that matches no host aborts the run (spec: Selecting hosts) */
        fd_run_error(r, "fault %s: %s; aborting", st->id, err);
        free(err);
        char *why = fd_asprintf("fault %s selected no host", st->id);
        fd_run_outcome(r, FD_OUTCOME_ABORTED, why);
        free(why);
        return FD_OUTCOME_ABORTED;
    }
    if (s->max_hosts_affected <= 0)
        return FD_OUTCOME_NONE;
    size_t total = r->ntouched;
    for (size_t i = 0; i < e->n; i++)
        total += !in_list(r->touched, r->ntouched, e->t[i].host);
    if (total <= (size_t)s->max_hosts_affected)
        return FD_OUTCOME_NONE;
    fd_run_error(r,
                 "fault %s would bring the hosts touched by faults to %zu, more than "
                 "safety.max_hosts_affected (%lld); aborting before it touches any host",
                 st->id, total, (long long)s->max_hosts_affected);
    fd_fault_expansion_free(e);
    fd_run_outcome(r, FD_OUTCOME_ABORTED, "max_hosts_affected would be exceeded");
    return FD_OUTCOME_ABORTED;
}

/* The fault in place on e's hosts (the calls are moved out of e), published in
 * r->faults before it is applied, so that every way out heals it. */
static fd_active_fault *publish(fd_run *r, size_t index, const fd_step *st, fd_fault_expansion *e)
{
    fd_active_fault *f = fd_xcalloc(1, sizeof *f);
    f->step = st;
    f->step_index = index;
    f->healed_s = -1;
    f->state = FD_FS_ACTIVE;
    f->run = r;
    f->nhosts = e->n;
    f->hosts = fd_xcalloc(e->n ? e->n : 1, sizeof *f->hosts);
    for (size_t i = 0; i < e->n; i++) {
        fd_fault_host *fh = &f->hosts[i];
        const fd_host *h = &r->s->inv.hosts[e->t[i].host];
        fh->host = e->t[i].host;
        fh->call = e->t[i].call; /* moved */
        e->t[i].call.args = (fd_strv){0};
        fh->peers = e->t[i].peers;
        fh->npeers = e->t[i].npeers;
        e->t[i].peers = NULL;
        fh->apply_exit = -1;
        fh->apply_t = fh->revert_t = (fd_host_timing){NAN, NAN, NAN};
        fh->apply_cmd = fd_agent_command(&fh->call, h, "apply", r->run_id, st->id);
        fh->revert_cmd = fd_agent_command(&fh->call, h, "revert", r->run_id, st->id);
        if (!in_list(r->touched, r->ntouched, fh->host)) {
            r->touched = fd_xrealloc(r->touched, (r->ntouched + 1) * sizeof *r->touched);
            r->touched[r->ntouched++] = fh->host;
        }
    }
    fd_fault_expansion_free(e);
    pthread_mutex_lock(&r->lock);
    r->faults = fd_xrealloc(r->faults, (r->nfaults + 1) * sizeof *r->faults);
    r->faults[r->nfaults++] = f;
    pthread_mutex_unlock(&r->lock);
    return f;
}

/* A fault that did not take effect: an infrastructure error, but when a host refused it
 * because it is halted (firedrill halt), an abort with the halt's reason. */
static fd_run_result halted_hosts(fd_run *r, const fd_active_fault *f)
{
    for (size_t i = 0; i < f->nhosts; i++) {
        const fd_fault_host *fh = &f->hosts[i];
        const char *said = fh->apply_detail ? strstr(fh->apply_detail, "error: halted: ") : NULL;
        if (fh->apply_exit != FD_AGENT_HALTED || !said)
            continue;
        said += strlen("error: ");
        char *why = fd_strndup(said, strcspn(said, ";"));
        fd_run_outcome(r, FD_OUTCOME_ABORTED, why);
        free(why);
        return FD_OUTCOME_ABORTED;
    }
    return FD_OUTCOME_INFRA;
}

void fd_fault_skew(const fd_active_fault *f, bool heal, fd_skew *out)
{
    fd_host_timing *t = fd_xcalloc(f->nhosts + 1, sizeof *t);
    for (size_t i = 0; i < f->nhosts; i++)
        t[i] = heal ? f->hosts[i].revert_t : f->hosts[i].apply_t;
    fd_skew_of(t, f->nhosts, out);
    free(t);
}

fd_run_result fd_fault_step(fd_run *r, size_t index, const fd_step *st, char **detail)
{
    fd_fault_expansion e;
    fd_run_result o = expand(r, st, &e);
    if (o != FD_OUTCOME_NONE)
        return o;
    fd_active_fault *f = publish(r, index, st, &e);
    f->started_s = fd_run_now_s(r);
    apply_job j = {.r = r, .f = f};
    fd_fanout(f->nhosts, 0, apply_host, &j);
    fd_buf v;
    fd_buf_init(&v, 65536);
    bool took = true;
    json_t *hosts = json_array();
    for (size_t i = 0; i < f->nhosts; i++) {
        fd_fault_host *fh = &f->hosts[i];
        const char *name = r->s->inv.hosts[fh->host].name;
        json_array_append_new(hosts, json_string(name));
        fd_buf_printf(&v, "%s%s: %s", i ? "; " : "", name,
                      fh->apply_detail && fh->apply_detail[0] ? fh->apply_detail : "(no output)");
        took &= fh->apply_exit == 0;
    }
    char *vt = fd_buf_steal(&v);
    char *verification = fd_redact(&r->s->vars, vt);
    free(vt);
    /* the fault's verification belongs to the verifier thread once it runs (it replaces
     * it with what it observed): what is said here is a copy */
    char *said = fd_strdup(verification);
    /* A cut is observed from the hosts (a dropped connect takes its timeout to show),
     * while the timeline goes on; a heal waits for the observation. */
    bool cuts = fd_fault_cuts_network(st->fault.type);
    pthread_mutex_lock(&r->lock);
    f->applied_s = fd_run_now_s(r);
    if (st->fault.duration_us > 0)
        f->heal_due_us = fd_mono_us() + st->fault.duration_us;
    f->verification = verification;
    f->took_effect = took;
    if (took && cuts && pthread_create(&f->verifier, NULL, verify_main, f) == 0)
        f->verifying = true;
    pthread_mutex_unlock(&r->lock);
    fd_history_event(&r->history, took ? "fault_applied" : "fault_failed",
                     json_pack("{s:s,s:s,s:o,s:s}", "fault", st->id, "type",
                               fd_fault_type_names[st->fault.type], "hosts", hosts, "verification",
                               said));
    if (!took) {
        fd_run_error(r, "fault %s did not take effect: %s", st->id, said);
        free(said);
        return halted_hosts(r, f);
    }
    char *dur = st->fault.duration_us ? fd_format_duration(st->fault.duration_us) : NULL;
    fd_skew sk;
    fd_fault_skew(f, false, &sk);
    char *skew = fd_skew_text(&sk);
    fd_run_log(r, "fault %s (%s) applied%s%s%s: %s", st->id, fd_fault_type_names[st->fault.type],
               skew, dur ? ", heals in " : "", dur ? dur : "", said);
    free(skew);
    free(said);
    fd_run_notify(r, FD_NOTIFY_FAULT, "fault %s (%s) applied%s%s", st->id,
                  fd_fault_type_names[st->fault.type], dur ? ", heals in " : "", dur ? dur : "");
    free(dur);
    return FD_OUTCOME_NONE;
}
