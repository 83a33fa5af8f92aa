/* healer.c: reverting faults: one fault on all its hosts, every fault still in place,
 * and the healer thread that heals faults when their duration is over and checks
 * safety.abort_if while the timeline goes on. */
#include "healer.h"
#include "hold.h"
#include "fanout.h"
#include "faultrun.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define HEAL_TIMEOUT_US 60000000
#define HEAL_ATTEMPTS 3

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
            double sent_s = fd_run_now_s(j->r);
            fd_conn_exec(c, fh->revert_cmd, NULL, HEAL_TIMEOUT_US, &er);
            if (er.error == FD_OK && er.exit_status == 0) {
                fh->revert_t = (fd_host_timing){sent_s, fd_effect_unix(er.out) - j->r->started_unix,
                                                fd_run_now_s(j->r)};
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
bool fd_heal_fault(fd_run *r, fd_active_fault *f, const char *why)
{
    pthread_mutex_lock(&r->lock);
    bool mine = f->state == FD_FS_ACTIVE || f->state == FD_FS_HEAL_FAILED;
    bool observed = mine && f->verifying; /* the healer owns the verifier from here */
    if (mine) {
        f->state = FD_FS_HEALING;
        f->verifying = false;
    }
    pthread_mutex_unlock(&r->lock);
    if (observed) /* let the cut be observed before it is healed */
        pthread_join(f->verifier, NULL);
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
        f->healed_s = fd_run_now_s(r);
    pthread_mutex_unlock(&r->lock);
    if (!ok)
        fd_run_outcome(r, FD_OUTCOME_HEAL_FAILED, NULL);
    fd_history_event(&r->history, ok ? "fault_healed" : "fault_heal_failed",
                     json_pack("{s:s,s:o,s:s}", "fault", f->step->id, "hosts", hosts, "why", why));
    if (ok) {
        fd_skew sk;
        fd_fault_skew(f, true, &sk);
        char *skew = fd_skew_text(&sk);
        fd_run_log(r, "fault %s healed%s (%s)", f->step->id, skew, why);
        free(skew);
    }
    return ok;
}

/* Heals every fault still in place, newest first. */
void fd_heal_all(fd_run *r, const char *why)
{
    size_t active = 0;
    pthread_mutex_lock(&r->lock);
    for (size_t i = 0; i < r->nfaults; i++)
        active += r->faults[i]->state == FD_FS_ACTIVE || r->faults[i]->state == FD_FS_HEALING;
    size_t n = r->nfaults;
    pthread_mutex_unlock(&r->lock);
    if (active)
        fd_run_log(r, "healing %zu fault%s still in place (%s)", active, active == 1 ? "" : "s",
                   why);
    for (size_t i = n; i-- > 0;) {
        pthread_mutex_lock(&r->lock);
        fd_active_fault *f = r->faults[i];
        bool in_place = f->state == FD_FS_ACTIVE || f->state == FD_FS_HEALING;
        pthread_mutex_unlock(&r->lock);
        if (in_place)
            fd_heal_fault(r, f, why);
    }
}

/* safety.abort_if: checked a few times a second once the timeline has run for `for`. */
static void check_abort_if(fd_run *r)
{
    const fd_scenario *s = r->s;
    int64_t now = fd_mono_us();
    int64_t start = atomic_load(&r->timeline_start_us), end = atomic_load(&r->timeline_end_us);
    if (!s->has_abort_if || !start || end || fd_run_has(r, FD_OUTCOME_ABORTED) ||
        now < r->next_abort_check_us)
        return;
    r->next_abort_check_us = now + 100000;
    if (now - start < s->abort_if.for_us)
        return;
    fd_probe_run *pr = fd_run_probe(r, s->abort_if.probe);
    if (!pr)
        return;
    char *measured = NULL;
    if (fd_probe_condition(pr, &s->abort_if, now - s->abort_if.for_us, now, &measured, NULL)) {
        char *d = fd_format_duration(s->abort_if.for_us), *want = fd_condition_words(&s->abort_if);
        char *why = fd_asprintf("abort_if: probe %s %s %s over the last %s", pr->p->name, measured,
                                want, d);
        fd_run_outcome(r, FD_OUTCOME_ABORTED, why);
        fd_run_log(r, "ABORT: %s", why);
        free(why);
        free(want);
        free(d);
    }
    free(measured);
}

/* A probe that stopped because the run's operations reached its memory budget: the run
 * stops too (its figures would miss what followed), before the controller runs out. */
static void check_probes_full(fd_run *r)
{
    if (!atomic_load(&r->timeline_start_us))
        return; /* the probes are still being started (and their budget is far) */
    for (size_t i = 0; i < r->nprobes && !fd_run_has(r, FD_OUTCOME_ABORTED); i++) {
        if (!atomic_load(&r->probes[i].full))
            continue;
        char *why = fd_asprintf(
            "probe %s stopped: the probes' operations reached %zu, the run's memory budget "
            "(half the memory available when it started, %zu bytes an operation; "
            "FIREDRILL_MAX_OPS sets it)",
            r->probes[i].p->name, r->ops_budget, (size_t)FD_OP_BYTES);
        fd_run_outcome(r, FD_OUTCOME_ABORTED, why);
        fd_run_log(r, "ABORT: %s", why);
        free(why);
    }
}

static void *healer_main(void *arg)
{
    fd_run *r = arg;
    while (!atomic_load(&r->healer_quit)) {
        check_abort_if(r);
        check_probes_full(r);
        fd_notes_poll(r);
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
            fd_heal_fault(r, due, msg);
            free(msg);
            free(why);
        } else {
            fd_sleep_us(5000);
        }
    }
    return NULL;
}

bool fd_healer_start(fd_run *r)
{
    r->healer_started = pthread_create(&r->healer, NULL, healer_main, r) == 0;
    return r->healer_started;
}

void fd_heal_finish(fd_run *r, const char *why)
{
    fd_heal_all(r, why);
    if (r->healer_started) {
        atomic_store(&r->healer_quit, true);
        pthread_join(r->healer, NULL);
        r->healer_started = false;
    }
    for (size_t i = 0; i < r->nfaults; i++) {
        /* every thread but this one has ended: no lock needed from here */
        if (r->faults[i]->verifying) {
            pthread_join(r->faults[i]->verifier, NULL);
            r->faults[i]->verifying = false;
        }
    }
    /* a heal that failed the first time is tried once more at the very end */
    for (size_t i = 0; i < r->nfaults; i++)
        if (r->faults[i]->state == FD_FS_HEAL_FAILED)
            fd_heal_fault(r, r->faults[i], "final retry");
    bool failed = false;
    for (size_t i = 0; i < r->nfaults; i++)
        failed |= r->faults[i]->state == FD_FS_HEAL_FAILED;
    if (!failed)
        atomic_fetch_and(&r->outcomes, ~(unsigned)FD_OUTCOME_HEAL_FAILED);
}
