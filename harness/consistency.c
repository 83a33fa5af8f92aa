/* consistency.c: the consistency step: whole tables compared across a write probe's
 * primary and replicas. MySQL and MariaDB: pt-table-checksum runs on the target host
 * against the primary (its checksum queries replicate, so each replica checksums the
 * same rows at the same point of the replication stream), with the replicas given in
 * a DSN table, then firedrill reads each replica's percona.checksums. PostgreSQL: each
 * table's row count and a digest of its rows are taken on the primary in one statement
 * (one snapshot) with the WAL position, and on each replica once it has replayed past
 * that position; the probe's own rows are bounded by the newest id in the snapshot. */
#include "consistency.h"

#include <stdlib.h>
#include <string.h>

static void add_row(fd_consistency_record *rec, const char *table, const char *replica)
{
    rec->rows = fd_xrealloc(rec->rows, (rec->nrows + 1) * sizeof *rec->rows);
    fd_table_cmp *t = &rec->rows[rec->nrows++];
    memset(t, 0, sizeof *t);
    t->table = fd_strdup(table);
    t->replica = fd_strdup(replica);
    t->rows = t->primary_rows = t->chunks = t->diff_chunks = -1;
}

/* The tables compared: the probe's, then the step's. */
static void tables_of(const fd_probe *p, const fd_step *st, fd_strv *out)
{
    if (p->type == FD_PROBE_MYSQL)
        fd_strv_push_owned(out, fd_asprintf("%s.%s", p->database, p->table));
    else
        fd_strv_push(out, p->table);
    for (size_t i = 0; i < st->consistency.tables.n; i++)
        fd_strv_push(out, st->consistency.tables.v[i]);
}

/* ------------------------------------------------------------------ mysql */

/* The query naming which of tables ("db.t") exist. Names are plain (checked). */
static char *exists_sql(const fd_strv *tables)
{
    fd_buf b;
    fd_buf_init(&b, FD_BUF_UNCAPPED);
    fd_buf_puts(&b, "SELECT CONCAT(table_schema, '.', table_name) FROM information_schema.tables "
                    "WHERE (table_schema, table_name) IN (");
    for (size_t i = 0; i < tables->n; i++) {
        const char *t = tables->v[i], *dot = strchr(t, '.');
        fd_buf_printf(&b, "%s('%.*s', '%s')", i ? ", " : "", (int)(dot - t), t, dot + 1);
    }
    fd_buf_puts(&b, ")");
    return fd_buf_steal(&b);
}

/* The writable endpoint of the probe (the primary), or NULL with *err. */
static const char *mysql_primary(const fd_probe *p, int64_t timeout_us, char **err)
{
    const char *sql[] = {"SELECT @@global.read_only"};
    for (size_t i = 0; i < p->endpoints.n; i++) {
        fd_strv cells = {0};
        size_t ncols;
        free(*err);
        *err = NULL;
        bool writable =
            fd_mysql_run(p, p->endpoints.v[i], sql, 1, timeout_us, &cells, &ncols, err) &&
            cells.n == 1 && strcmp(cells.v[0], "0") == 0;
        fd_strv_free(&cells);
        if (writable)
            return p->endpoints.v[i];
    }
    if (!*err)
        *err = fd_strdup("no writable server among the probe's endpoints");
    return NULL;
}

/* A DSN ("h=HOST,P=PORT") from host:port. Caller frees. */
static char *dsn_of(const char *endpoint)
{
    const char *colon = strrchr(endpoint, ':');
    if (!colon)
        return fd_asprintf("h=%s", endpoint);
    return fd_asprintf("h=%.*s,P=%s", (int)(colon - endpoint), endpoint, colon + 1);
}

/* Every table exists on the primary, and the DSN table lists the replicas. */
static bool mysql_prepare(const fd_probe_run *pr, const char *primary, const fd_strv *tables,
                          int64_t timeout_us, char **err)
{
    const fd_probe *p = pr->p;
    char *q = exists_sql(tables);
    const char *check[] = {q};
    fd_strv there = {0};
    size_t ncols;
    bool ok = fd_mysql_run(p, primary, check, 1, timeout_us, &there, &ncols, err);
    free(q);
    for (size_t i = 0; ok && i < tables->n; i++) {
        if (!fd_strv_contains(&there, tables->v[i])) {
            *err = fd_asprintf("table %s does not exist on the primary", tables->v[i]);
            ok = false;
        }
    }
    fd_strv_free(&there);
    if (!ok)
        return false;
    fd_buf ins;
    fd_buf_init(&ins, FD_BUF_UNCAPPED);
    fd_buf_puts(&ins, "INSERT INTO percona.firedrill_dsns (dsn) VALUES ");
    for (size_t i = 0; i < pr->nreplicas; i++) {
        char *dsn = dsn_of(pr->replicas[i].q.endpoints.v[0]);
        fd_buf_printf(&ins, "%s('%s')", i ? ", " : "", dsn);
        free(dsn);
    }
    const char *sql[] = {"CREATE DATABASE IF NOT EXISTS percona",
                         "CREATE TABLE IF NOT EXISTS percona.firedrill_dsns (id INT "
                         "AUTO_INCREMENT PRIMARY KEY, parent_id INT NULL, dsn VARCHAR(255) "
                         "NOT NULL)",
                         "DELETE FROM percona.firedrill_dsns", ins.data};
    fd_strv cells = {0};
    ok = fd_mysql_run(p, primary, sql, 4, timeout_us, &cells, &ncols, err);
    fd_strv_free(&cells);
    fd_buf_free(&ins);
    return ok;
}

/* The start of a script run on the target: the credentials in an option file only it
 * can read ($f), removed at exit; never on a command line. */
static void credentials(fd_buf *b, const fd_probe *p)
{
    fd_buf_puts(b, "umask 077\nf=$(mktemp) || exit 1\ntrap 'rm -f \"$f\"' EXIT\nprintf '%s\\n' "
                   "'[client]' ");
    char *user = fd_asprintf("user=%s", p->user);
    fd_buf_shell_quote(b, user);
    free(user);
    if (p->password) {
        fd_buf pw;
        fd_buf_init(&pw, FD_BUF_UNCAPPED);
        fd_buf_puts(&pw, "password=\"");
        for (const char *c = p->password; *c; c++)
            fd_buf_printf(&pw, "%s%c", *c == '"' || *c == '\\' ? "\\" : "", *c);
        fd_buf_puts(&pw, "\"");
        fd_buf_puts(b, " ");
        fd_buf_shell_quote(b, pw.data);
        fd_buf_free(&pw);
    }
    fd_buf_puts(b, " >\"$f\" || exit 1\n");
}

/* pt-table-checksum against the primary, its replicas from the DSN table. The version
 * check stays off: a drill talks to the hosts it names, nothing else. */
static char *checksum_script(const fd_probe *p, const char *primary, const fd_strv *tables)
{
    fd_buf b;
    fd_buf_init(&b, FD_BUF_UNCAPPED);
    credentials(&b, p);
    char *dsn = dsn_of(primary);
    fd_buf_puts(&b, "pt-table-checksum --no-version-check "
                    "--no-check-binlog-format --replicate=percona.checksums "
                    "--empty-replicate-table --recursion-method=");
    fd_buf_printf(&b, "\"dsn=F=$f,%s,D=percona,t=firedrill_dsns\" --tables ", dsn);
    for (size_t i = 0; i < tables->n; i++)
        fd_buf_printf(&b, "%s%s", i ? "," : "", tables->v[i]);
    fd_buf_printf(&b, " \"F=$f,%s\" 2>&1\n", dsn);
    free(dsn);
    return fd_buf_steal(&b);
}

/* One replica's percona.checksums: per table, rows, chunks, those that differ, digests,
 * and a sample of the differing chunks' key ranges. */
static bool mysql_results(const fd_probe *p, const fd_replica_run *rr, const fd_strv *tables,
                          int64_t timeout_us, fd_consistency_record *rec, char **err)
{
    const char *sql[] = {
        "SELECT CONCAT(db, '.', tbl), COALESCE(SUM(this_cnt), 0), COALESCE(SUM(master_cnt), 0), "
        "COUNT(*), COALESCE(SUM(master_crc <> this_crc OR master_cnt <> this_cnt OR "
        "ISNULL(master_crc) <> ISNULL(this_crc)), 0), LOWER(HEX(BIT_XOR(CAST(CONV(this_crc, 16, "
        "10) AS UNSIGNED)))), LOWER(HEX(BIT_XOR(CAST(CONV(master_crc, 16, 10) AS UNSIGNED)))), "
        "COALESCE(SUBSTRING(GROUP_CONCAT(IF(master_crc <> this_crc OR master_cnt <> this_cnt, "
        "CONCAT(COALESCE(lower_boundary, '-'), '..', COALESCE(upper_boundary, '-')), NULL) "
        "SEPARATOR ' '), 1, 200), '') FROM percona.checksums GROUP BY db, tbl"};
    fd_strv cells = {0};
    size_t ncols = 0;
    bool ok = fd_mysql_run(p, rr->q.endpoints.v[0], sql, 1, timeout_us, &cells, &ncols, err);
    for (size_t t = 0; ok && t < tables->n; t++) {
        add_row(rec, tables->v[t], rr->name);
        fd_table_cmp *c = &rec->rows[rec->nrows - 1];
        for (size_t i = 0; ncols == 8 && i + 8 <= cells.n; i += 8) {
            if (strcmp(cells.v[i], tables->v[t]) != 0)
                continue;
            c->rows = strtoll(cells.v[i + 1], NULL, 10);
            c->primary_rows = strtoll(cells.v[i + 2], NULL, 10);
            c->chunks = strtoll(cells.v[i + 3], NULL, 10);
            c->diff_chunks = strtoll(cells.v[i + 4], NULL, 10);
            c->checksum = fd_strdup(cells.v[i + 5]);
            c->primary_checksum = fd_strdup(cells.v[i + 6]);
            char *ranges = fd_printable(cells.v[i + 7], 200);
            c->sample = ranges[0] ? fd_asprintf("chunks %s", ranges) : NULL;
            free(ranges);
        }
        c->match = c->chunks > 0 && c->diff_chunks == 0 && c->rows == c->primary_rows;
        if (c->chunks < 0)
            c->error = fd_strdup("pt-table-checksum left no checksum of it on this replica");
    }
    fd_strv_free(&cells);
    return ok;
}

/* The rows that differ on a replica, as pt-table-sync would fix them (--print changes
 * nothing): up to 3 statements a table, without pt's trailing comment, as its sample. */
static void rows_sample(fd_run *r, size_t host, const fd_probe_run *pr, const fd_replica_run *rr,
                        int64_t tmo, fd_consistency_record *rec)
{
    fd_buf b;
    fd_buf_init(&b, FD_BUF_UNCAPPED);
    credentials(&b, pr->p);
    char *dsn = dsn_of(rr->q.endpoints.v[0]);
    fd_buf_printf(&b,
                  "pt-table-sync --print --no-version-check --replicate=percona.checksums "
                  "--sync-to-master \"F=$f,%s\" 2>&1 | head -n 1000\n",
                  dsn);
    free(dsn);
    fd_exec_result er;
    fd_dr_host_run(r, host, "sh -s", b.data, tmo, &er);
    fd_buf_free(&b);
    const char *rest = er.out ? er.out : "";
    char *line;
    while ((line = fd_next_line(&rest))) {
        char *comment = strstr(line, " /*percona-toolkit");
        if (comment)
            *comment = '\0';
        const char *q = strchr(line, '`');
        for (size_t i = 0; q && comment && i < rec->nrows; i++) {
            fd_table_cmp *c = &rec->rows[i];
            const char *dot = strchr(c->table, '.');
            char *name = fd_asprintf("`%.*s`.`%s`", (int)(dot - c->table), c->table, dot + 1);
            bool mine = !c->match && strcmp(c->replica, rr->name) == 0 &&
                        strncmp(q, name, strlen(name)) == 0;
            free(name);
            if (!mine || c->nsampled >= 3)
                continue;
            char *shown = fd_printable(line, 120);
            char *joined =
                c->nsampled ? fd_asprintf("%s | %s", c->sample, shown) : fd_strdup(shown);
            free(shown);
            free(c->sample);
            c->sample = joined;
            c->nsampled++;
        }
        free(line);
    }
    fd_exec_result_free(&er);
}

static fd_run_result mysql_compare(fd_run *r, const fd_step *st, const fd_probe_run *pr,
                                   fd_consistency_record *rec, char **detail)
{
    const fd_probe *p = pr->p;
    int64_t tmo = st->consistency.timeout_us;
    size_t host;
    if (!fd_dr_one_host(r, &st->consistency.target, &host, detail))
        return FD_OUTCOME_INFRA;
    fd_strv tables = {0};
    tables_of(p, st, &tables);
    char *err = NULL;
    const char *primary = mysql_primary(p, tmo, &err);
    fd_run_result res = FD_OUTCOME_NONE;
    if (!primary || !mysql_prepare(pr, primary, &tables, tmo, &err)) {
        *detail = fd_asprintf("before pt-table-checksum: %s", err);
        res = FD_OUTCOME_FINDING;
    } else {
        char *script = checksum_script(p, primary, &tables);
        fd_exec_result er;
        fd_dr_host_run(r, host, "sh -s", script, tmo, &er);
        free(script);
        /* 16: differences found, what firedrill reads next; any other bit: it failed */
        if (er.error != FD_OK || er.exit_status == 126 || er.exit_status == 127) {
            *detail = fd_dr_failure(&er, "pt-table-checksum");
            res = fd_dr_command_outcome(&er);
        } else if (er.exit_status & ~16) {
            *detail = fd_dr_failure(&er, "pt-table-checksum");
            res = FD_OUTCOME_FINDING;
        }
        fd_exec_result_free(&er);
    }
    for (size_t i = 0; res == FD_OUTCOME_NONE && i < pr->nreplicas; i++) {
        size_t before = rec->nrows;
        if (!mysql_results(p, &pr->replicas[i], &tables, tmo, rec, &err)) {
            *detail = fd_asprintf("reading percona.checksums on %s: %s", pr->replicas[i].name, err);
            res = FD_OUTCOME_FINDING;
        }
        bool differs = false;
        for (size_t k = before; k < rec->nrows; k++)
            differs |= !rec->rows[k].match;
        if (differs)
            rows_sample(r, host, pr, &pr->replicas[i], tmo, rec);
    }
    free(err);
    fd_strv_free(&tables);
    return res;
}

/* ------------------------------------------------------------------ postgres */

/* s as a PostgreSQL string literal (standard_conforming_strings). Caller frees. */
static char *pg_literal(const char *s)
{
    fd_buf b;
    fd_buf_init(&b, FD_BUF_UNCAPPED);
    fd_buf_puts(&b, "'");
    for (const char *c = s; *c; c++)
        fd_buf_puts(&b, *c == '\'' ? "''" : (char[]){*c, '\0'});
    fd_buf_puts(&b, "'");
    return fd_buf_steal(&b);
}

/* The statement that digests every table: its row count and a digest of its rows. The
 * probe's table (the first) holds only its rows of this run up to id `bound`; without a
 * bound, the newest id in the same snapshot, given first with the WAL position. Table
 * names are plain (checked); the run id and probe name are literals. */
static char *pg_digest_sql(const fd_probe *p, const char *run_id, const fd_strv *tables,
                           const char *bound)
{
    fd_buf b;
    fd_buf_init(&b, FD_BUF_UNCAPPED);
    char *run = pg_literal(run_id), *name = pg_literal(p->name);
    if (bound)
        fd_buf_printf(&b, "WITH k AS (SELECT %s::bigint AS k) SELECT ", bound);
    else
        fd_buf_printf(&b,
                      "WITH k AS (SELECT coalesce(max(id), 0) AS k FROM %s WHERE run = %s AND "
                      "probe = %s) SELECT pg_current_wal_lsn()::text, k.k, ",
                      tables->v[0], run, name);
    for (size_t i = 0; i < tables->n; i++) {
        char where[512] = "";
        if (i == 0)
            snprintf(where, sizeof where, " WHERE run = %s AND probe = %s AND id <= k.k", run,
                     name);
        fd_buf_printf(&b,
                      "%s(SELECT count(*) FROM %s t%s), (SELECT coalesce(md5(string_agg(md5(t::"
                      "text), '' ORDER BY md5(t::text))), '') FROM %s t%s)",
                      i ? ", " : "", tables->v[i], where, tables->v[i], where);
    }
    fd_buf_puts(&b, " FROM k");
    free(run);
    free(name);
    return fd_buf_steal(&b);
}

static bool pg_tables_exist(const fd_probe *p, const fd_strv *tables, int64_t tmo, char **err)
{
    fd_buf b; /* one statement: whether each table exists */
    fd_buf_init(&b, FD_BUF_UNCAPPED);
    fd_buf_puts(&b, "SELECT ");
    for (size_t i = 0; i < tables->n; i++) {
        char *lit = pg_literal(tables->v[i]);
        fd_buf_printf(&b, "%sto_regclass(%s) IS NOT NULL", i ? ", " : "", lit);
        free(lit);
    }
    const char *sql[] = {b.data};
    fd_strv cells = {0};
    size_t ncols;
    bool ok = fd_pg_run(p->conninfo, sql, 1, tmo, &cells, &ncols, err) && cells.n == tables->n;
    for (size_t i = 0; ok && i < tables->n; i++) {
        if (strcmp(cells.v[i], "t") == 0)
            continue;
        *err = i ? fd_asprintf("table %s does not exist on the primary", tables->v[i])
                 : fd_asprintf("probe %s's table %s does not exist on the primary (it has not "
                               "written yet)",
                               p->name, tables->v[i]);
        ok = false;
    }
    if (!ok && !*err)
        *err = fd_strdup("no answer on which tables exist");
    fd_strv_free(&cells);
    fd_buf_free(&b);
    return ok;
}

/* Waits (within tmo) until a replica has replayed up to lsn. */
static bool pg_wait_replay(const char *conninfo, const char *lsn, int64_t tmo, char **err)
{
    char *lit = pg_literal(lsn);
    char *q = fd_asprintf("SELECT coalesce(pg_last_wal_replay_lsn() >= %s::pg_lsn, true), "
                          "coalesce(pg_last_wal_replay_lsn()::text, 'none')",
                          lit);
    free(lit);
    const char *sql[] = {q};
    int64_t deadline = fd_mono_us() + tmo;
    bool done = false;
    char at[64] = "";
    while (!done && fd_mono_us() < deadline) {
        fd_strv cells = {0};
        size_t ncols;
        free(*err);
        *err = NULL;
        if (fd_pg_run(conninfo, sql, 1, 10000000, &cells, &ncols, err) && cells.n == 2) {
            done = strcmp(cells.v[0], "t") == 0;
            snprintf(at, sizeof at, "%s", cells.v[1]);
        }
        fd_strv_free(&cells);
        if (!done)
            fd_sleep_us(100000);
    }
    free(q);
    if (!done) {
        free(*err);
        *err = fd_asprintf("it has not replayed up to %s within the step's timeout (it is at %s)",
                           lsn, at[0] ? at : "an unknown position");
    }
    return done;
}

static fd_run_result pg_compare(fd_run *r, const fd_step *st, const fd_probe_run *pr,
                                fd_consistency_record *rec, char **detail)
{
    const fd_probe *p = pr->p;
    int64_t tmo = st->consistency.timeout_us;
    fd_strv tables = {0}, primary = {0};
    tables_of(p, st, &tables);
    char *err = NULL;
    size_t ncols = 0;
    char *sql = pg_digest_sql(p, r->run_id, &tables, NULL);
    const char *stmts[] = {sql};
    fd_run_result res = FD_OUTCOME_NONE;
    if (!pg_tables_exist(p, &tables, tmo, &err) ||
        !fd_pg_run(p->conninfo, stmts, 1, tmo, &primary, &ncols, &err) ||
        primary.n != 2 + 2 * tables.n) {
        *detail = fd_asprintf("on the primary: %s", err ? err : "no digest");
        res = FD_OUTCOME_FINDING;
    }
    free(sql);
    char *bound = res == FD_OUTCOME_NONE ? fd_asprintf("%lld", atoll(primary.v[1])) : NULL;
    for (size_t i = 0; res == FD_OUTCOME_NONE && i < pr->nreplicas; i++) {
        const fd_replica_run *rr = &pr->replicas[i];
        fd_strv cells = {0};
        char *q = pg_digest_sql(p, r->run_id, &tables, bound);
        const char *rs[] = {q};
        bool ok = pg_wait_replay(rr->q.conninfo, primary.v[0], tmo, &err) &&
                  fd_pg_run(rr->q.conninfo, rs, 1, tmo, &cells, &ncols, &err) &&
                  cells.n == 2 * tables.n;
        free(q);
        if (!ok) {
            *detail = fd_asprintf("replica %s: %s", rr->name, err ? err : "no digest");
            res = FD_OUTCOME_FINDING;
        }
        for (size_t t = 0; ok && t < tables.n; t++) {
            add_row(rec, tables.v[t], rr->name);
            fd_table_cmp *c = &rec->rows[rec->nrows - 1];
            c->rows = atoll(cells.v[2 * t]);
            c->primary_rows = atoll(primary.v[2 + 2 * t]);
            c->checksum = fd_strdup(cells.v[2 * t + 1]);
            c->primary_checksum = fd_strdup(primary.v[2 + 2 * t + 1]);
            c->match = c->rows == c->primary_rows && strcmp(c->checksum, c->primary_checksum) == 0;
        }
        fd_strv_free(&cells);
    }
    if (res == FD_OUTCOME_NONE)
        rec->marker = fd_strdup(primary.v[0]);
    free(bound);
    free(err);
    fd_strv_free(&primary);
    fd_strv_free(&tables);
    return res;
}

/* ------------------------------------------------------------------ the step */

/* "TABLE on REPLICA: N rows, M on the primary[, K of C chunks differ: sample]". */
static void say_mismatches(const fd_consistency_record *rec, fd_buf *b)
{
    size_t shown = 0;
    for (size_t i = 0; i < rec->nrows; i++) {
        const fd_table_cmp *c = &rec->rows[i];
        if (c->match)
            continue;
        if (shown++ == 3) {
            fd_buf_puts(b, "; ...");
            break;
        }
        fd_buf_printf(b, "%s%s on %s: %lld rows, %lld on the primary", shown > 1 ? "; " : "",
                      c->table, c->replica, (long long)c->rows, (long long)c->primary_rows);
        if (c->diff_chunks > 0)
            fd_buf_printf(b, ", %lld of %lld chunks differ", (long long)c->diff_chunks,
                          (long long)c->chunks);
        else if (c->checksum && c->primary_checksum && strcmp(c->checksum, c->primary_checksum))
            fd_buf_puts(b, ", the rows' digests differ");
        if (c->sample) { /* the first of the sample: the report has the rest */
            int n = (int)strcspn(c->sample, "|");
            while (n > 0 && c->sample[n - 1] == ' ')
                n--;
            fd_buf_printf(b, " (%.*s%s)", n, c->sample, c->sample[n] ? "..." : "");
        }
        if (c->error)
            fd_buf_printf(b, " (%s)", c->error);
    }
}

fd_run_result fd_consistency_step(fd_run *r, size_t index, const fd_step *st, char **detail)
{
    (void)index;
    fd_probe_run *pr = fd_run_probe(r, st->consistency.probe);
    if (!pr || !pr->nreplicas) {
        *detail = fd_asprintf("probe %s has no replicas running", st->consistency.probe);
        return FD_OUTCOME_INFRA;
    }
    fd_consistency_record rec = {.step = st, .started_s = fd_run_now_s(r)};
    rec.tool = pr->p->type == FD_PROBE_MYSQL ? "pt-table-checksum" : "firedrill";
    fd_run_result res = pr->p->type == FD_PROBE_MYSQL ? mysql_compare(r, st, pr, &rec, detail)
                                                      : pg_compare(r, st, pr, &rec, detail);
    rec.ended_s = fd_run_now_s(r);
    size_t mismatched = 0;
    for (size_t i = 0; i < rec.nrows; i++)
        mismatched += !rec.rows[i].match;
    if (res == FD_OUTCOME_NONE) {
        fd_buf b;
        fd_buf_init(&b, FD_BUF_UNCAPPED);
        if (mismatched) {
            fd_buf_printf(&b, "%zu of %zu table copies differ from the primary: ", mismatched,
                          rec.nrows);
            say_mismatches(&rec, &b);
            res = FD_OUTCOME_FINDING;
        } else {
            fd_buf_printf(&b, "%zu tables match on %zu replicas (%s, %.2fs)",
                          rec.nrows / (pr->nreplicas ? pr->nreplicas : 1), pr->nreplicas, rec.tool,
                          rec.ended_s - rec.started_s);
        }
        *detail = fd_buf_steal(&b);
    } else {
        rec.error = fd_strdup(*detail);
    }
    rec.mismatched = mismatched;
    r->consistency = fd_xrealloc(r->consistency, (r->nconsistency + 1) * sizeof *r->consistency);
    r->consistency[r->nconsistency++] = rec;
    fd_history_event(&r->history, "consistency",
                     json_pack("{s:s,s:s,s:I,s:I}", "step", st->id, "tool", rec.tool, "compared",
                               (json_int_t)rec.nrows, "mismatched", (json_int_t)mismatched));
    return res;
}

void fd_consistency_free(fd_run *r)
{
    for (size_t i = 0; i < r->nconsistency; i++) {
        fd_consistency_record *rec = &r->consistency[i];
        for (size_t k = 0; k < rec->nrows; k++) {
            fd_table_cmp *c = &rec->rows[k];
            free(c->table);
            free(c->replica);
            free(c->checksum);
            free(c->primary_checksum);
            free(c->sample);
            free(c->error);
        }
        free(rec->rows);
        free(rec->marker);
        free(rec->error);
    }
    free(r->consistency);
}
