/* scenario_step.c: reading the timeline's steps: each kind's keys, a fault step's
 * common keys (its family reads the rest, faults.h), and the names steps go by. */
#include "scenario_load.h"
#include "faults.h"
#include "value.h"
#include "ytyped.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* Reads a fault step: the keys every fault takes, then its family's (faults.h). */
static void read_fault(fd_loader *L, const fd_ynode *m, fd_step *st)
{
    fd_yt *t = &L->t;
    fd_fault *f = &st->fault;
    f->loss = f->duplicate = f->corrupt = f->reorder = -1;
    f->delay_us = f->jitter_us = -1;
    int type = fd_yt_enum(t, fd_ymap_get(m, "fault"), "fault", fd_fault_type_names);
    if (type < 0)
        return;
    f->type = (fd_fault_type)type;
    const fd_fault_family *fam = fd_fault_family_of(f->type);
    char what[96];
    snprintf(what, sizeof what, "%s fault", fd_fault_type_names[type]);
    static const char *const common[] = {"fault", "id", "duration", "ttl", "timeout", NULL};
    fd_yt_keys2(t, m, what, common, fam->keys);
    fd_yt_duration(t, m, "duration", false, what, &f->duration_us);
    f->ttl_us = -1;
    fd_yt_duration(t, m, "ttl", false, what, &f->ttl_us);
    if (fd_ymap_get(m, "ttl") && f->ttl_us == 0)
        fd_yt_err(t, fd_ymap_get(m, "ttl"), "'ttl' must be longer than 0s");
    f->timeout_us = FD_FAULT_TIMEOUT_DEFAULT_US;
    if (fd_yt_duration(t, m, "timeout", false, what, &f->timeout_us) &&
        (f->timeout_us < 1000000 || f->timeout_us > FD_FAULT_TIMEOUT_MAX_US))
        fd_yt_err(t, fd_ymap_get(m, "timeout"), "'timeout' must be from 1s to 1h");
    fd_fault_reader rd = {.t = t, .inv = &L->s->inv, .what = what};
    if (!fam->read(&rd, m, f))
        return;
    const fd_ynode *tg = fd_ymap_get(m, "target");
    if (!tg)
        fd_yt_missing(t, m, what, "target");
    else
        fd_scenario_read_selector(t, tg, "target", &f->target);
}

/* ------------------------------------------------------------------ steps */

bool fd_scenario_valid_id(const char *s)
{
    if (!*s || strlen(s) > 64 || !isalnum((unsigned char)s[0]))
        return false;
    for (const char *p = s; *p; p++)
        if (!(isalnum((unsigned char)*p) || strchr("_.-", *p)))
            return false;
    return true;
}

static void read_endpoint(fd_loader *L, const fd_ynode *m, const char *key, fd_endpoint *e)
{
    const fd_ynode *v = fd_ymap_get(m, key);
    char what[40];
    snprintf(what, sizeof what, "'%s'", key);
    if (!v) {
        fd_yt_missing(&L->t, m, "copy step", key);
        return;
    }
    if (!fd_yt_map(&L->t, v, what))
        return;
    static const char *const keys[] = {"host", "path", NULL};
    fd_yt_keys(&L->t, v, what, keys);
    if (fd_yt_str(&L->t, v, "host", true, what, &e->host) && e->host && L->s->inv.n &&
        !fd_inventory_find(&L->s->inv, e->host)) {
        char *q = fd_printable(e->host, 60);
        fd_yt_err(&L->t, fd_ymap_get(v, "host"), "host '%s' is not in the inventory", q);
        free(q);
    }
    if (fd_yt_str(&L->t, v, "path", true, what, &e->path) && e->path && e->path[0] != '/')
        fd_yt_err(&L->t, fd_ymap_get(v, "path"), "'path' must be an absolute path");
}

/* Reads the mapping under a step kind such as run: {...}. */
static const fd_ynode *step_body(fd_loader *L, const fd_ynode *m, const char *kind,
                                 const char *const *keys)
{
    const fd_ynode *b = fd_ymap_get(m, kind);
    char what[40];
    snprintf(what, sizeof what, "'%s'", kind);
    if (!fd_yt_map(&L->t, b, what))
        return NULL;
    snprintf(what, sizeof what, "%s step", kind);
    fd_yt_keys(&L->t, b, what, keys);
    return b;
}

static void read_heal(fd_loader *L, const fd_ynode *m, fd_step *st)
{
    fd_yt_str(&L->t, m, "heal", true, "heal step", &st->heal);
}

static void read_wait(fd_loader *L, const fd_ynode *m, fd_step *st)
{
    fd_yt_duration(&L->t, m, "wait", true, "wait step", &st->wait_us);
}

static void read_wait_for(fd_loader *L, const fd_ynode *m, fd_step *st)
{
    static const char *const keys[] = {"probe", "healthy_for", "timeout", NULL};
    const fd_ynode *b = step_body(L, m, "wait_for", keys);
    if (!b)
        return;
    fd_yt_str(&L->t, b, "probe", true, "wait_for step", &st->wait_for.probe);
    fd_yt_duration(&L->t, b, "healthy_for", true, "wait_for step", &st->wait_for.healthy_for_us);
    fd_yt_duration(&L->t, b, "timeout", true, "wait_for step", &st->wait_for.timeout_us);
}

/* `sudo: true` of a command on hosts: under sudo -n where the inventory says sudo. */
static void read_sudo(fd_loader *L, const fd_ynode *b, const char *what, const fd_selector *target,
                      bool *out)
{
    fd_yt_bool(&L->t, b, "sudo", what, out);
    if (*out && !target->set)
        fd_yt_err(&L->t, fd_ymap_get(b, "sudo"),
                  "'sudo' is for a command on hosts (with a 'target'); on the controller, "
                  "write sudo in the command");
}

static void read_run(fd_loader *L, const fd_ynode *m, fd_step *st)
{
    static const char *const keys[] = {"command", "target", "timeout", "expect_exit", "sudo", NULL};
    const fd_ynode *b = step_body(L, m, "run", keys);
    if (!b)
        return;
    st->run.timeout_us = 60000000;
    fd_yt_str(&L->t, b, "command", true, "run step", &st->run.command);
    fd_scenario_read_selector(&L->t, fd_ymap_get(b, "target"), "target", &st->run.target);
    fd_yt_duration(&L->t, b, "timeout", false, "run step", &st->run.timeout_us);
    fd_yt_uint(&L->t, b, "expect_exit", false, "run step", 255, &st->run.expect_exit);
    read_sudo(L, b, "run step", &st->run.target, &st->run.sudo);
}

/* The target a backup or restore step must have. */
static void read_dr_target(fd_loader *L, const fd_ynode *b, const char *what, fd_selector *sel)
{
    if (!fd_ymap_get(b, "target"))
        fd_yt_missing(&L->t, b, what, "target");
    fd_scenario_read_selector(&L->t, fd_ymap_get(b, "target"), "target", sel);
}

/* A backup the drill takes (command and artifact), or one that exists (catalog: the
 * command that prints the backup tool's catalog, which names the newest backup). */
static void read_backup(fd_loader *L, const fd_ynode *m, fd_step *st)
{
    static const char *const keys[] = {"target", "command", "artifact", "catalog", NULL};
    const fd_ynode *b = step_body(L, m, "backup", keys);
    if (!b)
        return;
    read_dr_target(L, b, "backup step", &st->backup.target);
    if (fd_ymap_get(b, "catalog")) {
        fd_yt_str(&L->t, b, "catalog", true, "backup step", &st->backup.catalog);
        const char *other = fd_ymap_get(b, "command") ? "command" : "artifact";
        if (fd_ymap_get(b, other))
            fd_yt_err(&L->t, fd_ymap_key(b, other),
                      "backup step takes 'catalog' (a backup that exists) or 'command' and "
                      "'artifact' (a backup the drill takes), not both");
        return;
    }
    fd_yt_str(&L->t, b, "command", true, "backup step", &st->backup.command);
    if (fd_yt_str(&L->t, b, "artifact", true, "backup step", &st->backup.artifact) &&
        st->backup.artifact && st->backup.artifact[0] != '/')
        fd_yt_err(&L->t, fd_ymap_get(b, "artifact"), "'artifact' must be an absolute path");
}

static void read_copy(fd_loader *L, const fd_ynode *m, fd_step *st)
{
    static const char *const keys[] = {"from", "to", NULL};
    const fd_ynode *b = step_body(L, m, "copy", keys);
    if (!b)
        return;
    read_endpoint(L, b, "from", &st->copy.from);
    read_endpoint(L, b, "to", &st->copy.to);
}

/* recovery_target: latest, a UTC time, or {before: ID} (a step or fault of the timeline). */
static void read_recovery_target(fd_loader *L, const fd_ynode *b, fd_step *st)
{
    const fd_ynode *v = fd_ymap_get(b, "recovery_target");
    if (!v)
        return;
    if (v->kind == FD_Y_SCALAR && strcmp(v->str, "latest") == 0) {
        st->restore.recovery = FD_RT_LATEST;
    } else if (v->kind == FD_Y_SCALAR && fd_parse_utc_time(v->str, &st->restore.recovery_unix)) {
        st->restore.recovery = FD_RT_TIME;
    } else if (v->kind == FD_Y_MAP) {
        static const char *const keys[] = {"before", NULL};
        fd_yt_keys(&L->t, v, "'recovery_target'", keys);
        if (fd_yt_str(&L->t, v, "before", true, "'recovery_target'", &st->restore.recovery_before))
            st->restore.recovery = FD_RT_BEFORE;
    } else {
        char *q = fd_printable(v->kind == FD_Y_SCALAR ? v->str : "", 60);
        fd_yt_err(&L->t, v,
                  "'recovery_target' must be latest, a UTC time like 2026-12-02T03:00:00Z, or "
                  "{before: ID} naming a step or fault, got '%s'",
                  q);
        free(q);
    }
}

static void read_restore(fd_loader *L, const fd_ynode *m, fd_step *st)
{
    static const char *const keys[] = {"target", "command", "recovery_target", NULL};
    const fd_ynode *b = step_body(L, m, "restore", keys);
    if (!b)
        return;
    read_dr_target(L, b, "restore step", &st->restore.target);
    fd_yt_str(&L->t, b, "command", true, "restore step", &st->restore.command);
    read_recovery_target(L, b, st);
}

static void read_verify(fd_loader *L, const fd_ynode *m, fd_step *st)
{
    static const char *const keys[] = {"probe", "against", "read", NULL};
    const fd_ynode *b = step_body(L, m, "verify", keys);
    if (!b)
        return;
    fd_yt_str(&L->t, b, "probe", true, "verify step", &st->verify.probe);
    fd_yt_str(&L->t, b, "against", true, "verify step", &st->verify.against);
    fd_yt_str(&L->t, b, "read", false, "verify step", &st->verify.read);
}

/* archive_lag: {archive: {target, command}, primary: {target, command}}. */
static void read_archive_lag(fd_loader *L, const fd_ynode *m, fd_step *st)
{
    static const char *const keys[] = {"archive", "primary", NULL};
    static const char *const side_keys[] = {"target", "command", NULL};
    const fd_ynode *b = step_body(L, m, "archive_lag", keys);
    if (!b)
        return;
    const char *names[2] = {"archive", "primary"};
    fd_selector *targets[2] = {&st->archive_lag.archive_target, &st->archive_lag.primary_target};
    char **commands[2] = {&st->archive_lag.archive_command, &st->archive_lag.primary_command};
    for (int i = 0; i < 2; i++) {
        const fd_ynode *side = fd_ymap_get(b, names[i]);
        char what[32];
        snprintf(what, sizeof what, "'%s'", names[i]);
        if (!side) {
            fd_yt_missing(&L->t, b, "archive_lag step", names[i]);
            continue;
        }
        if (!fd_yt_map(&L->t, side, what))
            continue;
        fd_yt_keys(&L->t, side, what, side_keys);
        read_dr_target(L, side, what, targets[i]);
        fd_yt_str(&L->t, side, "command", true, what, commands[i]);
    }
}

/* A table name as consistency takes it: one or two plain SQL names joined by '.'. */
static bool valid_table(const char *s)
{
    int parts = 1;
    size_t len = 0;
    for (const char *c = s; *c; c++) {
        if (*c == '.') {
            if (!len || ++parts > 2)
                return false;
            len = 0;
        } else if ((isalnum((unsigned char)*c) || *c == '_') && ++len <= 64) {
            continue;
        } else {
            return false;
        }
    }
    return len > 0;
}

/* consistency: {probe, tables, target, timeout}. */
static void read_consistency(fd_loader *L, const fd_ynode *m, fd_step *st)
{
    static const char *const keys[] = {"probe", "tables", "target", "timeout", NULL};
    const fd_ynode *b = step_body(L, m, "consistency", keys);
    if (!b)
        return;
    st->consistency.timeout_us = 5 * 60 * 1000000LL;
    fd_yt_str(&L->t, b, "probe", true, "consistency step", &st->consistency.probe);
    if (fd_yt_strlist(&L->t, b, "tables", false, "consistency step", &st->consistency.tables)) {
        const fd_strv *tv = &st->consistency.tables;
        if (fd_ymap_get(b, "tables") && !tv->n)
            fd_yt_err(&L->t, fd_ymap_get(b, "tables"),
                      "'tables' names no table (leave it out to compare the probe's alone)");
        for (size_t i = 0; i < tv->n; i++) {
            if (valid_table(tv->v[i]))
                continue;
            char *q = fd_printable(tv->v[i], 60);
            fd_yt_err(&L->t, fd_ymap_get(b, "tables"),
                      "'tables' entries must be TABLE or SCHEMA.TABLE (letters, digits, '_'), "
                      "got '%s'",
                      q);
            free(q);
        }
    }
    fd_scenario_read_selector(&L->t, fd_ymap_get(b, "target"), "target", &st->consistency.target);
    if (fd_yt_duration(&L->t, b, "timeout", false, "consistency step",
                       &st->consistency.timeout_us) &&
        st->consistency.timeout_us == 0)
        fd_yt_err(&L->t, fd_ymap_get(b, "timeout"), "'timeout' must be longer than 0s");
}

/* hold: {prompt, runbook, timeout, on_timeout, auto, target}. */
static void read_hold(fd_loader *L, const fd_ynode *m, fd_step *st)
{
    static const char *const keys[] = {"prompt", "runbook", "timeout", "on_timeout",
                                       "auto",   "target",  "sudo",    NULL};
    const fd_ynode *b = step_body(L, m, "hold", keys);
    if (!b)
        return;
    st->hold.timeout_us = 30 * 60 * 1000000LL;
    fd_yt_str(&L->t, b, "prompt", true, "hold step", &st->hold.prompt);
    fd_yt_str(&L->t, b, "runbook", false, "hold step", &st->hold.runbook);
    fd_yt_str(&L->t, b, "auto", false, "hold step", &st->hold.auto_command);
    if (fd_yt_duration(&L->t, b, "timeout", false, "hold step", &st->hold.timeout_us) &&
        st->hold.timeout_us == 0)
        fd_yt_err(&L->t, fd_ymap_get(b, "timeout"), "'timeout' must be longer than 0s");
    const fd_ynode *ot = fd_ymap_get(b, "on_timeout");
    if (ot) {
        static const char *const choices[] = {"abort", "continue", NULL};
        st->hold.on_timeout_continue = fd_yt_enum(&L->t, ot, "on_timeout", choices) == 1;
    }
    fd_scenario_read_selector(&L->t, fd_ymap_get(b, "target"), "target", &st->hold.target);
    if (st->hold.target.set && !st->hold.auto_command)
        fd_yt_err(&L->t, fd_ymap_key(b, "target"), "'target' says where 'auto' runs: give 'auto'");
    read_sudo(L, b, "hold step", &st->hold.target, &st->hold.sudo);
}

/* Each step kind's reader, by kind (a fault step's family reads its own keys). */
static void (*const step_readers[FD_STEP_COUNT])(fd_loader *, const fd_ynode *, fd_step *) = {
    [FD_STEP_FAULT] = read_fault,
    [FD_STEP_HEAL] = read_heal,
    [FD_STEP_WAIT] = read_wait,
    [FD_STEP_WAIT_FOR] = read_wait_for,
    [FD_STEP_RUN] = read_run,
    [FD_STEP_BACKUP] = read_backup,
    [FD_STEP_COPY] = read_copy,
    [FD_STEP_RESTORE] = read_restore,
    [FD_STEP_VERIFY] = read_verify,
    [FD_STEP_ARCHIVE_LAG] = read_archive_lag,
    [FD_STEP_CONSISTENCY] = read_consistency,
    [FD_STEP_HOLD] = read_hold,
};

/* Finds the one key of a step that names its kind. */
static bool read_kind(fd_loader *L, const fd_ynode *m, fd_step *st)
{
    const fd_ynode *first_kind = NULL;
    for (size_t i = 0; i < m->n; i++) {
        const fd_ynode *k = m->items[2 * i];
        int ki = fd_yt_name_index(fd_step_kind_names, k->str);
        if (ki < 0)
            continue;
        if (first_kind) {
            fd_yt_err(&L->t, k, "step has both '%s' and '%s': a step has exactly one kind",
                      first_kind->str, k->str);
            return false;
        }
        st->kind = (fd_step_kind)ki;
        first_kind = k;
    }
    if (first_kind)
        return true;
    /* An unknown key close to a kind says more than "no kind". */
    for (size_t i = 0; i < m->n; i++) {
        const fd_ynode *k = m->items[2 * i];
        const char *sug = fd_yt_suggest(k->str, fd_step_kind_names);
        if (strcmp(k->str, "id") != 0 && sug) {
            char *q = fd_printable(k->str, 60);
            fd_yt_err(&L->t, k, "unknown step kind '%s', did you mean '%s'?", q, sug);
            free(q);
            return false;
        }
    }
    fd_yt_err(&L->t, m,
              "step needs one of fault, heal, wait, wait_for, run, backup, copy, restore or "
              "verify");
    return false;
}

/* The step's id: the one given, checked, or KIND-N. */
static void read_id(fd_loader *L, const fd_ynode *m, size_t index, fd_step *st)
{
    if (fd_yt_str(&L->t, m, "id", false, "step", &st->id) && st->id) {
        st->id_given = true;
        if (!fd_scenario_valid_id(st->id) || strcmp(st->id, "all") == 0) {
            char *q = fd_printable(st->id, 60);
            fd_yt_err(&L->t, fd_ymap_get(m, "id"),
                      strcmp(st->id, "all") == 0
                          ? "step id '%s' is reserved (heal: all heals every fault)"
                          : "step id '%s' must start with a letter or digit and hold only "
                            "letters, digits, '_', '.' and '-' (at most 64)",
                      q);
            free(q);
        }
    } else if (!st->id) {
        st->id = fd_asprintf("%s-%zu", fd_step_kind_names[st->kind], index + 1);
    }
}

void fd_scenario_read_step(fd_loader *L, const fd_ynode *m, size_t index, fd_step *st)
{
    st->line = m->line;
    st->col = m->col;
    if (!read_kind(L, m, st))
        return;
    read_id(L, m, index, st);
    if (st->kind != FD_STEP_FAULT) {
        /* every other kind's keys sit under its own name (a fault's family checks its) */
        static const char *const id[] = {"id", NULL};
        char what[40];
        snprintf(what, sizeof what, "%s step", fd_step_kind_names[st->kind]);
        fd_yt_keys2(&L->t, m, what, id, fd_step_kind_names);
    }
    step_readers[st->kind](L, m, st);
}
