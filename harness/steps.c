/* steps.c: the step kinds of a timeline, as a table: each kind's executor, whether
 * the engine logs its outcome or the step says its own, and the one function that runs
 * a step and records its outcome. */
#include "steps.h"
#include "consistency.h"
#include "dr.h"
#include "faultrun.h"
#include "healer.h"
#include "hold.h"
#include "localexec.h"

#include <stdlib.h>
#include <string.h>

/* wait: sleeps, waking early when the run stops. */
static fd_run_result wait_step(fd_run *r, size_t index, const fd_step *st, char **detail)
{
    char *d = fd_format_duration(st->wait_us);
    fd_run_log(r, "step %zu: wait %s", index + 1, d);
    free(d);
    fd_run_sleep(r, st->wait_us);
    if (fd_run_stopping(r))
        *detail = fd_strdup("interrupted");
    return FD_OUTCOME_NONE;
}

/* run: a command on the controller (no target) or on the target hosts, one by one. A
 * command that fails is an infrastructure error. */
static fd_run_result run_step(fd_run *r, size_t index, const fd_step *st, char **detail)
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
            return FD_OUTCOME_NONE;
        }
        bool ok = er.error == FD_OK && er.exit_status == st->run.expect_exit;
        if (!ok)
            *detail = er.error != FD_OK ? fd_strdup(er.error_msg)
                      : er.signal       ? fd_asprintf("killed by SIG%s", er.signal)
                                  : fd_asprintf("exited %d, expected %lld: %s", er.exit_status,
                                                (long long)st->run.expect_exit,
                                                er.err[0] ? er.err : er.out);
        else
            *detail = fd_asprintf("exited %d on the controller", er.exit_status);
        fd_exec_result_free(&er);
        return ok ? FD_OUTCOME_NONE : FD_OUTCOME_INFRA;
    }
    char *err = NULL;
    size_t *hosts = fd_xcalloc(s->inv.n, sizeof *hosts);
    size_t n = fd_run_resolve(r, &st->run.target, hosts, &err);
    if (err || n == 0) {
        *detail = err ? err : fd_strdup("the target matches no host");
        free(hosts);
        return FD_OUTCOME_INFRA;
    }
    bool ok = true;
    fd_buf b;
    fd_buf_init(&b, 65536);
    for (size_t i = 0; i < n && ok; i++) {
        const fd_host *h = &s->inv.hosts[hosts[i]];
        char *cmd = fd_host_command(h, r->run_id, st->run.command, st->run.sudo);
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
    return ok ? FD_OUTCOME_NONE : FD_OUTCOME_INFRA;
}

/* wait_for: until the probe has succeeded continuously for healthy_for. A timeout is
 * a finding: the service did not recover. */
static fd_run_result wait_for_step(fd_run *r, size_t index, const fd_step *st, char **detail)
{
    fd_probe_run *pr = fd_run_probe(r, st->wait_for.probe);
    int64_t start = fd_mono_us(), deadline = start + st->wait_for.timeout_us;
    while (!fd_run_stopping(r)) {
        /* the start of the current run of ok operations, counted only from this step's
         * start: an operation still in flight when the step began (say, hung on a node
         * that was just killed) is not recorded yet and must not be vouched for */
        pthread_mutex_lock(&pr->lock);
        int64_t healthy_since = fd_metrics_healthy_since(pr->ops, pr->nops, start);
        pthread_mutex_unlock(&pr->lock);
        int64_t now = fd_mono_us();
        if (healthy_since >= 0 && now - healthy_since >= st->wait_for.healthy_for_us) {
            *detail = fd_asprintf("probe %s healthy for %.2fs after %.2fs", pr->p->name,
                                  (double)(now - healthy_since) / 1e6, (double)(now - start) / 1e6);
            return FD_OUTCOME_NONE;
        }
        if (now >= deadline)
            break;
        fd_sleep_us(10000);
    }
    if (fd_run_stopping(r)) {
        *detail = fd_strdup("interrupted");
        return FD_OUTCOME_NONE;
    }
    char *h = fd_format_duration(st->wait_for.healthy_for_us);
    char *t = fd_format_duration(st->wait_for.timeout_us);
    char *last = fd_probe_last_error(pr);
    *detail = fd_asprintf("probe %s did not stay healthy for %s within %s (last error: %s)",
                          pr->p->name, h, t, last);
    free(last);
    free(h);
    free(t);
    return FD_OUTCOME_FINDING;
}

/* heal: reverts one fault, or every one still in place. A heal that fails is said by
 * the healer and ends the run with a heal failure. */
static fd_run_result heal_step(fd_run *r, size_t index, const fd_step *st, char **detail)
{
    bool all = strcmp(st->heal, "all") == 0;
    bool ok = true;
    size_t healed = 0;
    for (size_t i = r->nfaults; i-- > 0;) {
        fd_active_fault *f = r->faults[i];
        if (!all && strcmp(f->step->id, st->heal) != 0)
            continue;
        pthread_mutex_lock(&r->lock);
        bool healed_already = f->state == FD_FS_HEALED;
        pthread_mutex_unlock(&r->lock);
        if (healed_already)
            continue;
        ok &= fd_heal_fault(r, f, all ? "heal: all" : "heal step");
        healed++;
    }
    *detail = fd_asprintf("%zu fault%s healed", healed, healed == 1 ? "" : "s");
    return ok ? FD_OUTCOME_NONE : FD_OUTCOME_HEAL_FAILED;
}

/* Every step kind, in fd_step_kind order. A failure is classed by what the executor
 * returns: fault (an abort when no host is selected or the blast radius would be
 * passed; infrastructure when it does not take effect), heal (a heal failure),
 * wait_for (a finding), run and the disaster-recovery steps (infrastructure).
 * `logged`: the engine logs the step's detail, and says its failure as an error. */
static const fd_step_kind_ops kinds[FD_STEP_COUNT] = {
    [FD_STEP_FAULT] = {FD_STEP_FAULT, fd_fault_step, false},
    [FD_STEP_HEAL] = {FD_STEP_HEAL, heal_step, false},
    [FD_STEP_WAIT] = {FD_STEP_WAIT, wait_step, false},
    [FD_STEP_WAIT_FOR] = {FD_STEP_WAIT_FOR, wait_for_step, true},
    [FD_STEP_RUN] = {FD_STEP_RUN, run_step, true},
    [FD_STEP_BACKUP] = {FD_STEP_BACKUP, fd_dr_backup, true},
    [FD_STEP_COPY] = {FD_STEP_COPY, fd_dr_copy, true},
    [FD_STEP_RESTORE] = {FD_STEP_RESTORE, fd_dr_restore, true},
    [FD_STEP_VERIFY] = {FD_STEP_VERIFY, fd_dr_verify, true},
    [FD_STEP_ARCHIVE_LAG] = {FD_STEP_ARCHIVE_LAG, fd_dr_archive_lag, true},
    [FD_STEP_CONSISTENCY] = {FD_STEP_CONSISTENCY, fd_consistency_step, true},
    [FD_STEP_HOLD] = {FD_STEP_HOLD, fd_hold_step, true},
};

const fd_step_kind_ops *fd_step_kind_for(fd_step_kind kind)
{
    return kind < FD_STEP_COUNT && kinds[kind].exec ? &kinds[kind] : NULL;
}

bool fd_step_run(fd_run *r, size_t i)
{
    const fd_step *st = &r->s->steps[i];
    const fd_step_kind_ops *k = fd_step_kind_for(st->kind);
    const char *kind = fd_step_kind_names[st->kind];
    atomic_store(&r->step_started_us, fd_mono_us());
    atomic_store(&r->current_step, i);
    fd_step_record *rec = &r->steps[r->nsteps++];
    rec->index = i;
    rec->step = st;
    rec->started_s = rec->ended_s = fd_run_now_s(r);
    /* finally steps run whatever happened before them, and never change the verdict */
    bool finally = i >= r->s->ntimeline;
    if ((!finally && fd_run_stopping(r)) || !k) {
        rec->status = "skipped";
        return false;
    }
    fd_history_event(
        &r->history, "step_started",
        json_pack("{s:i,s:s,s:s}", "index", (json_int_t)i, "kind", kind, "id", st->id));
    char *detail = NULL;
    fd_run_result o = k->exec(r, i, st, &detail);
    rec->ended_s = fd_run_now_s(r);
    bool interrupted = detail && strcmp(detail, "interrupted") == 0 && fd_run_stopping(r);
    rec->status = o != FD_OUTCOME_NONE ? "failed" : interrupted ? "interrupted" : "ok";
    rec->detail = detail ? fd_redact(&r->s->vars, detail) : NULL;
    if (k->logged)
        fd_run_log(r, "step %zu [%s] %s: %s%s", i + 1, st->id, kind,
                   o != FD_OUTCOME_NONE ? "FAILED: " : "", detail ? detail : "");
    if (o != FD_OUTCOME_NONE && finally) {
        fd_run_error(r, "finally step [%s] %s failed: %s", st->id, kind, detail ? detail : "");
    } else if (o != FD_OUTCOME_NONE) {
        fd_run_outcome(r, o, NULL);
        if (k->logged)
            fd_run_error(r, "step %zu [%s] %s failed: %s", i + 1, st->id, kind,
                         detail ? detail : "");
    }
    free(detail);
    fd_history_event(
        &r->history, "step_ended",
        json_pack("{s:i,s:s,s:s}", "index", (json_int_t)i, "id", st->id, "status", rec->status));
    return o == FD_OUTCOME_NONE;
}
