/* dr.c: the disaster-recovery steps: backup, copy (offsite), restore, verify.
 *
 * backup runs the user's command on one host and records the backup point (the
 * command's start: every write acknowledged before it must be in the backup), the
 * artifact's size and sha256. copy moves the artifact between hosts over SFTP,
 * streamed through the controller, and checks the sha256 at both ends. restore
 * checks that each artifact copied to its host still has the backup's checksum, then
 * runs the user's command. verify reads the write probe's values back from the
 * restored service and gives lost_writes, rpo and rto. */
#include "dr.h"
#include "agent.h"
#include "render.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define STEP_TIMEOUT_US (30LL * 60 * 1000000)

/* Runs a command on a host with firedrill's environment; privileged (sudo -n where the
 * host asks for it). */
bool fd_dr_host_run(fd_run *r, size_t host, const char *cmd, const char *input, int64_t timeout_us,
                    fd_exec_result *er)
{
    const fd_host *h = &r->s->inv.hosts[host];
    char *full = fd_host_command(h, r->run_id, cmd, true);
    fd_conn_exec(&r->pool.conns[host], full, input, timeout_us, er);
    free(full);
    return er->error == FD_OK && er->exit_status == 0;
}

/* How a DR command that did not succeed counts. One that could not be started at all
 * (no connection, command not found, not executable) is infrastructure; one that ran
 * and failed (a non-zero exit, a signal, past its time) is a finding: the question the
 * drill asks (does the backup restore?) was answered no. */
fd_run_result fd_dr_command_outcome(const fd_exec_result *er)
{
    if (er->error == FD_ERR_TIMEOUT)
        return FD_OUTCOME_FINDING;
    if (er->error != FD_OK || er->exit_status == 126 || er->exit_status == 127)
        return FD_OUTCOME_INFRA;
    return FD_OUTCOME_FINDING;
}

char *fd_dr_failure(const fd_exec_result *er, const char *what)
{
    if (er->error != FD_OK)
        return fd_asprintf("%s: %s", what, er->error_msg);
    char *e = fd_printable(er->err[0] ? er->err : er->out, 400);
    char *m = fd_asprintf("%s exited %d: %s", what, er->exit_status, e);
    free(e);
    return m;
}

/* The size and sha256 of a file on a host. Not NONE: *err says why; a file that is
 * missing or unreadable is a finding (the backup's artifact is not there), a host that
 * cannot be asked is infrastructure. */
static fd_run_result file_digest(fd_run *r, size_t host, const char *path, uint64_t *size,
                                 char **sha, char **err)
{
    char *input = fd_agent_check_input("digest", &path, 1);
    fd_exec_result er;
    bool ok = fd_dr_host_run(r, host, "sh -s", input, 10 * 60 * 1000000LL, &er);
    free(input);
    unsigned long long sz = 0;
    char hex[65] = "";
    fd_run_result res = FD_OUTCOME_NONE;
    if (ok && sscanf(er.out, "%llu %64[0-9a-f]", &sz, hex) == 2 && strlen(hex) == 64) {
        *size = sz;
        *sha = fd_strdup(hex);
    } else if (er.error == FD_OK && er.exit_status == FD_AGENT_NO_FILE) {
        *err = fd_asprintf("%s is missing or unreadable on %s", path, r->s->inv.hosts[host].name);
        res = FD_OUTCOME_FINDING;
    } else {
        char *why = fd_dr_failure(&er, "the check agent");
        *err = fd_asprintf("cannot read the size and sha256 of %s on %s: %s", path,
                           r->s->inv.hosts[host].name, why);
        free(why);
        res = FD_OUTCOME_INFRA;
    }
    fd_exec_result_free(&er);
    return res;
}

bool fd_dr_one_host(fd_run *r, const fd_selector *sel, size_t *host, char **detail)
{
    size_t *idx = fd_xcalloc(r->s->inv.n + 1, sizeof *idx);
    char *err = NULL;
    size_t n = fd_run_resolve(r, sel, idx, &err);
    bool ok = !err && n == 1;
    if (err)
        *detail = err;
    else if (n != 1)
        *detail = fd_asprintf("the target must select one host, it selects %zu (use pick: one)", n);
    else
        *host = idx[0];
    free(idx);
    return ok;
}

/* backup with a catalog: the newest usable backup the tool lists. Its start is the
 * backup point, as for a backup the drill takes: a write acknowledged before the backup
 * began is in it; one acknowledged while it ran may or may not be (pgBackRest's stop
 * time comes after the backup's consistent point, once its WAL is archived). Its age
 * counts from its stop, when it was complete. */
static fd_run_result catalog_backup(fd_run *r, size_t host, const fd_step *st,
                                    fd_backup_record *rec, char **detail)
{
    fd_exec_result er;
    bool ok = fd_dr_host_run(r, host, st->backup.catalog, NULL, STEP_TIMEOUT_US, &er);
    if (!ok) {
        *detail = fd_dr_failure(&er, "the catalog command");
        fd_run_result res = fd_dr_command_outcome(&er);
        fd_exec_result_free(&er);
        return res;
    }
    char *err = NULL;
    ok = fd_catalog_parse(er.out, &rec->catalog, &err);
    fd_exec_result_free(&er);
    if (!ok) {
        *detail = err; /* no usable backup: what a restore test exists to find */
        return FD_OUTCOME_FINDING;
    }
    double now = fd_unix_now();
    rec->point_unix = rec->catalog.start_unix; /* NAN when the tool does not say */
    rec->age_s = now - rec->catalog.stop_unix;
    double began = isnan(rec->point_unix) ? rec->catalog.stop_unix : rec->point_unix;
    rec->started_s = began - r->started_unix;
    rec->ended_s = rec->catalog.stop_unix - r->started_unix;
    rec->started_us = fd_run_us_of_unix(r, began);
    rec->size = rec->catalog.size > 0 ? (uint64_t)rec->catalog.size : 0;
    char when[32] = "";
    fd_fmt_utc(when, sizeof when, rec->catalog.stop_unix, 'T');
    *detail = fd_asprintf("%s backup %s%s%s on %s, ended %sZ (%.0fs ago)", rec->catalog.tool,
                          rec->catalog.label, rec->catalog.type ? ", " : "",
                          rec->catalog.type ? rec->catalog.type : "", rec->host, when, rec->age_s);
    return FD_OUTCOME_NONE;
}

static void record_backup(fd_run *r, const fd_step *st, fd_backup_record *rec)
{
    r->backups = fd_xrealloc(r->backups, (r->nbackups + 1) * sizeof *r->backups);
    r->backups[r->nbackups++] = *rec;
    json_t *ev = json_pack("{s:s,s:s,s:I}", "step", st->id, "host", rec->host, "size",
                           (json_int_t)rec->size);
    if (rec->sha256)
        json_object_set_new(ev, "sha256", json_string(rec->sha256));
    if (st->backup.artifact)
        json_object_set_new(ev, "artifact", json_string(st->backup.artifact));
    if (rec->catalog.label)
        json_object_set_new(ev, "label", json_string(rec->catalog.label));
    fd_history_event(&r->history, "backup", ev);
}

fd_run_result fd_dr_backup(fd_run *r, size_t index, const fd_step *st, char **detail)
{
    size_t host;
    if (!fd_dr_one_host(r, &st->backup.target, &host, detail))
        return FD_OUTCOME_INFRA;
    fd_backup_record rec = {.step = st, .host = fd_strdup(r->s->inv.hosts[host].name)};
    if (st->backup.catalog) {
        fd_run_result res = catalog_backup(r, host, st, &rec, detail);
        if (res == FD_OUTCOME_NONE)
            record_backup(r, st, &rec);
        else
            free(rec.host);
        return res;
    }
    rec.started_us = fd_mono_us();
    rec.started_s = fd_run_now_s(r);
    rec.point_unix = fd_unix_now();
    fd_exec_result er;
    bool ok = fd_dr_host_run(r, host, st->backup.command, NULL, STEP_TIMEOUT_US, &er);
    rec.ended_s = fd_run_now_s(r);
    if (!ok) {
        *detail = fd_dr_failure(&er, "the backup command");
        fd_run_result res = fd_dr_command_outcome(&er);
        fd_exec_result_free(&er);
        free(rec.host);
        return res;
    }
    fd_exec_result_free(&er);
    char *err = NULL;
    fd_run_result res = file_digest(r, host, st->backup.artifact, &rec.size, &rec.sha256, &err);
    if (res != FD_OUTCOME_NONE) {
        *detail = fd_asprintf("the backup command succeeded but %s", err);
        free(err);
        free(rec.host);
        return res;
    }
    rec.age_s = fd_unix_now() - rec.point_unix;
    record_backup(r, st, &rec);
    *detail = fd_asprintf("%s:%s, %llu bytes, sha256 %.16s...", rec.host, st->backup.artifact,
                          (unsigned long long)rec.size, rec.sha256);
    return FD_OUTCOME_NONE;
}

static size_t host_index(const fd_run *r, const char *name)
{
    for (size_t i = 0; i < r->s->inv.n; i++)
        if (fd_str_eq(r->s->inv.hosts[i].name, name))
            return i;
    return (size_t)-1;
}

fd_run_result fd_dr_copy(fd_run *r, size_t index, const fd_step *st, char **detail)
{
    size_t from = host_index(r, st->copy.from.host), to = host_index(r, st->copy.to.host);
    fd_copy_record rec = {.step = st, .started_s = fd_run_now_s(r)};
    uint64_t src_size = 0;
    char *src_sha = NULL, *err = NULL;
    fd_run_result res = file_digest(r, from, st->copy.from.path, &src_size, &src_sha, &err);
    if (res != FD_OUTCOME_NONE) {
        *detail = err;
        return res;
    }
    char hex[65];
    fd_err e = fd_sftp_copy(&r->pool.conns[from], st->copy.from.path, &r->pool.conns[to],
                            st->copy.to.path, hex, &rec.bytes, &err);
    if (e != FD_OK) {
        *detail = err;
        free(src_sha);
        return FD_OUTCOME_INFRA;
    }
    uint64_t dst_size = 0;
    char *dst_sha = NULL;
    res = file_digest(r, to, st->copy.to.path, &dst_size, &dst_sha, &err);
    rec.ended_s = fd_run_now_s(r);
    if (res != FD_OUTCOME_NONE) {
        *detail = err;
    } else if (strcmp(src_sha, hex) != 0 || strcmp(dst_sha, hex) != 0) {
        *detail = fd_asprintf("checksum mismatch: sha256 at %s %.16s..., streamed %.16s..., at "
                              "%s %.16s...",
                              st->copy.from.host, src_sha, hex, st->copy.to.host, dst_sha);
        res = FD_OUTCOME_FINDING;
    } else {
        rec.sha256 = fd_strdup(hex);
        r->copies = fd_xrealloc(r->copies, (r->ncopies + 1) * sizeof *r->copies);
        r->copies[r->ncopies++] = rec;
        fd_history_event(&r->history, "copy",
                         json_pack("{s:s,s:s,s:s,s:I,s:s}", "step", st->id, "from",
                                   st->copy.from.host, "to", st->copy.to.host, "bytes",
                                   (json_int_t)rec.bytes, "sha256", hex));
        *detail =
            fd_asprintf("%s:%s -> %s:%s, %llu bytes in %.2fs, sha256 matches at both ends",
                        st->copy.from.host, st->copy.from.path, st->copy.to.host, st->copy.to.path,
                        (unsigned long long)rec.bytes, rec.ended_s - rec.started_s);
    }
    free(src_sha);
    free(dst_sha);
    return res;
}

/* The sha256 a copied file had when a backup step of the drill took it as its artifact,
 * or NULL when the copy is of something else (a backup system's files). */
static const char *backup_sha_of(const fd_run *r, const fd_copy_record *c)
{
    const char *sha = NULL;
    for (size_t i = 0; i < r->nbackups; i++) {
        const fd_backup_record *b = &r->backups[i];
        if (b->sha256 && fd_str_eq(b->host, c->step->copy.from.host) &&
            fd_str_eq(b->step->backup.artifact, c->step->copy.from.path))
            sha = b->sha256;
    }
    return sha;
}

/* The recovery target a restore asks for, as a time (NAN: latest, or none given); false
 * with *detail when it names a step that has not run. */
static bool recovery_time(fd_run *r, const fd_step *st, double *unix_s, char **detail)
{
    *unix_s = NAN;
    if (st->restore.recovery == FD_RT_TIME)
        *unix_s = st->restore.recovery_unix;
    if (st->restore.recovery != FD_RT_BEFORE)
        return true;
    for (size_t i = 0; i < r->nsteps; i++) {
        const fd_step_record *sr = &r->steps[i];
        if (sr->step && fd_str_eq(sr->step->id, st->restore.recovery_before) && sr->status) {
            *unix_s = r->started_unix + sr->started_s;
            return true;
        }
    }
    *detail = fd_asprintf("recovery_target: step '%s' has not run before this restore",
                          st->restore.recovery_before);
    return false;
}

/* The restore command with FD_RECOVERY_TARGET ("latest", or the time as PostgreSQL and
 * pgBackRest take it: 2026-12-02 12:31:20.123456+00) and FD_RECOVERY_TARGET_UNIX set. */
static char *restore_command(const fd_step *st, double target_unix)
{
    if (st->restore.recovery == FD_RT_NONE)
        return fd_strdup(st->restore.command);
    if (isnan(target_unix))
        return fd_asprintf("FD_RECOVERY_TARGET=latest; export FD_RECOVERY_TARGET; %s",
                           st->restore.command);
    char when[32] = "";
    fd_fmt_utc(when, sizeof when, floor(target_unix), ' ');
    int micros = (int)((target_unix - floor(target_unix)) * 1e6);
    return fd_asprintf("FD_RECOVERY_TARGET='%s.%06d+00' FD_RECOVERY_TARGET_UNIX=%.6f; "
                       "export FD_RECOVERY_TARGET FD_RECOVERY_TARGET_UNIX; %s",
                       when, micros, target_unix, st->restore.command);
}

fd_run_result fd_dr_restore(fd_run *r, size_t index, const fd_step *st, char **detail)
{
    size_t host;
    if (!fd_dr_one_host(r, &st->restore.target, &host, detail))
        return FD_OUTCOME_INFRA;
    fd_restore_record rec = {.step = st, .started_s = fd_run_now_s(r)};
    if (!recovery_time(r, st, &rec.target_unix, detail))
        return FD_OUTCOME_INFRA;
    r->last_restore_started_s = fd_run_now_s(r);
    /* an artifact that changed since it was copied (truncated, corrupted) must not
     * restore silently */
    for (size_t i = 0; i < r->ncopies; i++) {
        const fd_copy_record *c = &r->copies[i];
        if (!fd_str_eq(c->step->copy.to.host, r->s->inv.hosts[host].name))
            continue;
        uint64_t size = 0;
        char *sha = NULL, *err = NULL;
        fd_run_result res = file_digest(r, host, c->step->copy.to.path, &size, &sha, &err);
        if (res != FD_OUTCOME_NONE) {
            *detail = fd_asprintf("before restoring: %s", err);
            free(err);
            return res;
        }
        const char *backed_up = backup_sha_of(r, c);
        if (strcmp(sha, c->sha256) != 0 || (backed_up && strcmp(backed_up, c->sha256) != 0)) {
            *detail = fd_asprintf(
                "checksum mismatch: %s:%s now has sha256 %.16s... (%llu bytes), %s %.16s... "
                "(%llu bytes); not restoring a damaged artifact",
                r->s->inv.hosts[host].name, c->step->copy.to.path, sha, (unsigned long long)size,
                backed_up ? "the backup had" : "the copy wrote", backed_up ? backed_up : c->sha256,
                (unsigned long long)c->bytes);
            free(sha);
            return FD_OUTCOME_FINDING;
        }
        free(sha);
    }
    fd_exec_result er;
    char *cmd = restore_command(st, rec.target_unix);
    bool ok = fd_dr_host_run(r, host, cmd, NULL, STEP_TIMEOUT_US, &er);
    free(cmd);
    fd_run_result res = ok ? FD_OUTCOME_NONE : fd_dr_command_outcome(&er);
    if (!ok)
        *detail = fd_dr_failure(&er, "the restore command");
    else
        *detail = fd_asprintf("restored on %s in %.2fs", r->s->inv.hosts[host].name,
                              (double)er.duration_us / 1e6);
    fd_exec_result_free(&er);
    rec.host = fd_strdup(r->s->inv.hosts[host].name);
    rec.ended_s = fd_run_now_s(r);
    rec.ok = ok;
    r->restores = fd_xrealloc(r->restores, (r->nrestores + 1) * sizeof *r->restores);
    r->restores[r->nrestores++] = rec;
    return res;
}

static const fd_restore_record *restore_of(const fd_run *r, const char *id)
{
    for (size_t i = 0; i < r->nrestores; i++)
        if (fd_str_eq(r->restores[i].step->id, id) &&
            r->restores[i].step->restore.recovery != FD_RT_NONE)
            return &r->restores[i];
    return NULL;
}

static const fd_backup_record *backup_of(const fd_run *r, const char *id)
{
    for (size_t i = 0; i < r->nbackups; i++)
        if (fd_str_eq(r->backups[i].step->id, id))
            return &r->backups[i];
    return NULL;
}

/* Reads every value the probe wrote back from the restored service (at `read`). False
 * with *err (caller frees) when it cannot. */
static bool read_restored(fd_run *r, fd_probe_run *pr, const char *read, fd_strv *values,
                          char **err)
{
    fd_strv owned = {0};
    fd_probe q = fd_probe_at(pr->p, read, false, &owned);
    fd_probe_env env = {.run_id = r->run_id, .pool = &r->pool, .s = r->s};
    const fd_probe_type_ops *ops = fd_probe_ops_for(q.type);
    fd_probe_client *c = ops ? ops->open(&q, &env) : NULL;
    *err = NULL;
    bool ok = c && fd_probe_read_values(ops, c, 30000000, values, err);
    if (c)
        ops->close(c);
    fd_strv_free(&owned);
    if (!ok && !*err)
        *err = fd_strdup("no client");
    return ok;
}

/* The disaster point for RPO and RTO. Against a backup: the first fault started after
 * the backup began and before this verify. Against a restore: the last fault started
 * before the restore did (what the restore recovers from). The moment it took effect
 * (a write acknowledged while a cut was still being applied was not lost); else the
 * verify itself. */
static double disaster_point(const fd_run *r, const fd_backup_record *b,
                             const fd_restore_record *rs, double verify_s, bool *found)
{
    const fd_active_fault *d = NULL;
    for (size_t i = 0; i < r->nfaults; i++) {
        const fd_active_fault *f = r->faults[i];
        if (b && f->started_s >= b->started_s && f->started_s <= verify_s) {
            d = f;
            break;
        }
        if (rs && f->started_s <= rs->started_s)
            d = f;
    }
    *found = d != NULL;
    if (!d)
        return verify_s;
    return d->applied_s > d->started_s ? d->applied_s : d->started_s;
}

/* The restored values against the probe's writes: against a backup, the writes
 * acknowledged before its point; against a recovery target time, also the writes sent
 * after it; against latest, the writes acknowledged before the newest one restored (no
 * holes). Fills rec's counts and point (NAN for latest when nothing was restored). */
static fd_restore_loss compare(fd_run *r, fd_probe_run *pr, const fd_strv *values,
                               const fd_backup_record *b, const fd_restore_record *rs, bool latest,
                               fd_verify_record *rec)
{
    size_t nops = 0;
    fd_op *ops = fd_probe_snapshot(pr, &nops);
    fd_restore_loss loss;
    rec->point_unix = b ? b->point_unix : rs->target_unix;
    int64_t point_us = b ? b->started_us : INT64_MIN;
    if (latest) {
        fd_metrics_restore_loss(ops, nops, values, INT64_MIN, INT64_MAX, &loss);
        if (loss.newest_found_end_us) {
            point_us = loss.newest_found_end_us;
            rec->point_unix = fd_run_unix_of_us(r, point_us);
        }
    } else if (!b) {
        point_us = fd_run_us_of_unix(r, rs->target_unix);
    }
    fd_metrics_restore_loss(ops, nops, values, point_us, b || latest ? INT64_MAX : point_us, &loss);
    free(ops);
    rec->acked_before_backup = loss.acked;
    rec->lost_writes = loss.lost;
    rec->late_writes = b || latest ? -1 : loss.late;
    rec->found = (int64_t)values->n;
    return loss;
}

/* Against a backup: every write acknowledged before its point must be there. Against a
 * restore's recovery target: the same up to the target, and no write first sent after it
 * may be there (late_writes). */
fd_run_result fd_dr_verify(fd_run *r, size_t index, const fd_step *st, char **detail)
{
    double started_s = fd_run_now_s(r);
    fd_verify_record rec = {.step = st,
                            .lost_writes = -1,
                            .late_writes = -1,
                            .rpo_s = NAN,
                            .rto_s = NAN,
                            .point_unix = NAN,
                            .reached_unix = NAN,
                            .archive_lag_s = NAN};
    const fd_backup_record *b = backup_of(r, st->verify.against);
    const fd_restore_record *rs = b ? NULL : restore_of(r, st->verify.against);
    fd_probe_run *pr = fd_run_probe(r, st->verify.probe);
    fd_strv values = {0};
    char *err = NULL;
    fd_run_result res = FD_OUTCOME_NONE;
    if ((!b && !rs) || !pr) {
        *detail = fd_asprintf("%s did not run", st->verify.against);
        res = FD_OUTCOME_INFRA;
    } else if (b && isnan(b->point_unix)) {
        *detail = fd_asprintf("%s's catalog does not say when the backup began, so which writes "
                              "it must hold is not known: verify against a restore of it",
                              st->verify.against);
        res = FD_OUTCOME_INFRA;
    } else if (!read_restored(r, pr, st->verify.read, &values, &err)) {
        /* a restored service that cannot be read is the restore not working: a finding */
        rec.error = fd_asprintf("cannot read the restored data: %s", err);
        *detail = fd_strdup(rec.error);
        res = FD_OUTCOME_FINDING;
    } else {
        bool latest = rs && isnan(rs->target_unix);
        fd_restore_loss loss = compare(r, pr, &values, b, rs, latest, &rec);
        bool disaster;
        double disaster_s = disaster_point(r, b, rs, started_s, &disaster);
        if (loss.newest_found_end_us) {
            rec.reached_unix = fd_run_unix_of_us(r, loss.newest_found_end_us);
            rec.rpo_s = fmax(0, disaster_s - (rec.reached_unix - r->started_unix));
        }
        for (size_t i = 0; i < r->narchive_lags; i++)
            if (r->archive_lags[i].at_s <= disaster_s)
                rec.archive_lag_s = r->archive_lags[i].lag_s;
        double rto_from = disaster ? disaster_s : r->last_restore_started_s;
        if (rto_from > 0)
            rec.rto_s = fd_run_now_s(r) - rto_from;
        char *late = b || latest ? fd_strdup("")
                                 : fd_asprintf(", %lld written after it are in it",
                                               (long long)rec.late_writes);
        *detail = fd_asprintf("%lld of %lld writes acknowledged before %s %s are missing from "
                              "the restore%s (%lld values read); rpo %.2fs, rto %.2fs",
                              (long long)rec.lost_writes, (long long)rec.acked_before_backup,
                              b        ? "backup"
                              : latest ? "the newest write restored by"
                                       : "the recovery target of",
                              st->verify.against, late, (long long)rec.found, rec.rpo_s, rec.rto_s);
        free(late);
        if (rec.lost_writes > 0 || rec.late_writes > 0)
            fd_run_outcome(r, FD_OUTCOME_FINDING, NULL); /* fails the drill, check or not */
        fd_history_event(
            &r->history, "verify",
            json_pack("{s:s,s:s,s:I,s:I,s:I,s:I}", "step", st->id, "against", st->verify.against,
                      "lost_writes", (json_int_t)rec.lost_writes, "late_writes",
                      (json_int_t)rec.late_writes, "acknowledged_before_backup",
                      (json_int_t)rec.acked_before_backup, "values_read", (json_int_t)rec.found));
    }
    free(err);
    fd_strv_free(&values);
    r->verifies = fd_xrealloc(r->verifies, (r->nverifies + 1) * sizeof *r->verifies);
    r->verifies[r->nverifies++] = rec;
    return res;
}

/* One side of an archive_lag step: its command's first line as a position. */
static fd_run_result read_position(fd_run *r, const fd_selector *sel, const char *cmd,
                                   const char *side, fd_log_position *pos, char **detail)
{
    size_t host;
    if (!fd_dr_one_host(r, sel, &host, detail))
        return FD_OUTCOME_INFRA;
    fd_exec_result er;
    fd_run_result res = FD_OUTCOME_NONE;
    char *err = NULL;
    if (!fd_dr_host_run(r, host, cmd, NULL, 60 * 1000000LL, &er)) {
        char *what = fd_asprintf("the %s's position command", side);
        *detail = fd_dr_failure(&er, what);
        free(what);
        res = fd_dr_command_outcome(&er);
    } else if (!fd_log_position_parse(er.out, pos, &err)) {
        *detail = fd_asprintf("the %s's position: %s", side, err);
        free(err);
        res = FD_OUTCOME_FINDING;
    }
    fd_exec_result_free(&er);
    return res;
}

/* How far the archive is behind the primary: the archive is read first, so that the
 * lag is never understated. Seconds: 0 when it holds all the primary has; else from
 * the time the archive's newest data was written to the primary's clock (the
 * controller's when the primary prints none). */
fd_run_result fd_dr_archive_lag(fd_run *r, size_t index, const fd_step *st, char **detail)
{
    (void)index;
    fd_archive_lag_record rec = {.step = st, .lag_s = NAN, .lag_bytes = -1};
    fd_log_position a, p;
    fd_run_result res = read_position(r, &st->archive_lag.archive_target,
                                      st->archive_lag.archive_command, "archive", &a, detail);
    if (res == FD_OUTCOME_NONE)
        res = read_position(r, &st->archive_lag.primary_target, st->archive_lag.primary_command,
                            "primary", &p, detail);
    rec.at_s = fd_run_now_s(r);
    if (res == FD_OUTCOME_NONE) {
        rec.archive_pos = fd_log_position_str(&a);
        rec.primary_pos = fd_log_position_str(&p);
        rec.lag_bytes = fd_log_position_behind(&a, &p);
        double now = isnan(p.at_unix) ? fd_unix_now() : p.at_unix;
        rec.lag_s = rec.lag_bytes == 0 ? 0 : isnan(a.at_unix) ? NAN : fmax(0, now - a.at_unix);
        char bytes[48] = "an unknown number of bytes";
        if (rec.lag_bytes >= 0)
            snprintf(bytes, sizeof bytes, "%lld bytes", (long long)rec.lag_bytes);
        *detail = fd_asprintf("the archive is at %s, the primary at %s: %s, %.3fs behind",
                              rec.archive_pos, rec.primary_pos, bytes, rec.lag_s);
    }
    r->archive_lags =
        fd_xrealloc(r->archive_lags, (r->narchive_lags + 1) * sizeof *r->archive_lags);
    r->archive_lags[r->narchive_lags++] = rec;
    json_t *ev = json_pack("{s:s}", "step", st->id);
    if (!isnan(rec.lag_s))
        json_object_set_new(ev, "lag_s", json_real(rec.lag_s));
    fd_history_event(&r->history, "archive_lag", ev);
    return res;
}

void fd_dr_free(fd_run *r)
{
    for (size_t i = 0; i < r->nbackups; i++) {
        free(r->backups[i].host);
        free(r->backups[i].sha256);
        fd_catalog_backup_free(&r->backups[i].catalog);
    }
    free(r->backups);
    for (size_t i = 0; i < r->ncopies; i++)
        free(r->copies[i].sha256);
    free(r->copies);
    for (size_t i = 0; i < r->nverifies; i++)
        free(r->verifies[i].error);
    free(r->verifies);
    for (size_t i = 0; i < r->nrestores; i++)
        free(r->restores[i].host);
    free(r->restores);
    for (size_t i = 0; i < r->narchive_lags; i++) {
        free(r->archive_lags[i].archive_pos);
        free(r->archive_lags[i].primary_pos);
    }
    free(r->archive_lags);
}
