/* probe_postgres.c: the postgres probe, with libpq. A multi-host conninfo with
 * target_session_attrs=read-write makes libpq find the primary on each (re)connect,
 * which is how it follows a failover. Everything is non-blocking, so an operation
 * never outlives its deadline. Reads run SELECT 1; writes INSERT a unique value into
 * `table` (created if missing) tagged with the run and probe. */
#include "probe.h"
#include "value.h"

#include <ctype.h>
#include <errno.h>
#include <libpq-fe.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

struct fd_probe_client {
    const fd_probe *p;
    PGconn *conn;
    char *run_id;
    bool table_ready;
    /* a multi-host conninfo, tried one host at a time as blocking libpq does: each for
     * at most connect_timeout (libpq leaves timeouts to the caller in async mode) */
    fd_strv hosts, ports;
    int64_t host_timeout_us;
    size_t preferred; /* the host that answered last */
};

static void drop(fd_probe_client *c)
{
    if (c->conn)
        PQfinish(c->conn);
    c->conn = NULL;
}

static bool wait_fd(PGconn *conn, bool write, int64_t deadline_us)
{
    struct pollfd pfd = {.fd = PQsocket(conn), .events = write ? POLLOUT : POLLIN};
    int n;
    while ((n = poll(&pfd, 1, fd_deadline_ms(deadline_us))) < 0 && errno == EINTR)
        ;
    return n > 0 && fd_mono_us() < deadline_us + 1000;
}

static void quiet_notices(void *arg, const char *msg)
{
    (void)arg;
    (void)msg;
}

/* s split at sep into out (empty parts kept: libpq's "default" for that host). */
static void split(const char *s, char sep, fd_strv *out)
{
    for (;;) {
        const char *e = strchr(s, sep);
        fd_strv_push_owned(out, fd_strndup(s, e ? (size_t)(e - s) : strlen(s)));
        if (!e)
            return;
        s = e + 1;
    }
}

/* The hosts and ports of a multi-host conninfo, and its connect_timeout (0: none). */
static void split_hosts(fd_probe_client *c)
{
    PQconninfoOption *opts = PQconninfoParse(c->p->conninfo, NULL);
    const char *host = NULL, *port = NULL, *hostaddr = NULL, *timeout = NULL;
    for (PQconninfoOption *o = opts; o && o->keyword; o++) {
        if (!o->val)
            continue;
        if (strcmp(o->keyword, "host") == 0)
            host = o->val;
        else if (strcmp(o->keyword, "port") == 0)
            port = o->val;
        else if (strcmp(o->keyword, "hostaddr") == 0)
            hostaddr = o->val;
        else if (strcmp(o->keyword, "connect_timeout") == 0)
            timeout = o->val;
    }
    if (host && !hostaddr && strchr(host, ',')) {
        split(host, ',', &c->hosts);
        if (port)
            split(port, ',', &c->ports);
        int64_t t = 0;
        if (!timeout || !fd_parse_uint(timeout, 1000000, &t))
            t = 0;
        c->host_timeout_us = (t > 0 && t < 2 ? 2 : t) * 1000000LL;
    }
    PQconninfoFree(opts);
}

/* One connection attempt with conninfo until deadline_us. */
static bool connect_one(fd_probe_client *c, const char *conninfo, int64_t deadline_us, char **error)
{
    c->conn = PQconnectStart(conninfo);
    if (!c->conn || PQstatus(c->conn) == CONNECTION_BAD) {
        *error = fd_asprintf("connect: %s", c->conn ? PQerrorMessage(c->conn) : "out of memory");
        drop(c);
        return false;
    }
    PostgresPollingStatusType st = PGRES_POLLING_WRITING;
    while (st != PGRES_POLLING_OK) {
        if (st == PGRES_POLLING_FAILED) {
            *error = fd_asprintf("connect: %s", PQerrorMessage(c->conn));
            drop(c);
            return false;
        }
        if (fd_mono_us() >= deadline_us ||
            !wait_fd(c->conn, st == PGRES_POLLING_WRITING, deadline_us)) {
            *error = fd_strdup("connect timed out");
            drop(c);
            return false;
        }
        st = PQconnectPoll(c->conn);
    }
    PQsetnonblocking(c->conn, 1);
    PQsetNoticeProcessor(c->conn, quiet_notices, NULL);
    return true;
}

static bool connect_db(fd_probe_client *c, int64_t deadline_us, char **error)
{
    if (c->conn && PQstatus(c->conn) == CONNECTION_OK)
        return true;
    drop(c);
    if (c->hosts.n < 2)
        return connect_one(c, c->p->conninfo, deadline_us, error);
    /* each host in turn (the last that answered first), each for connect_timeout */
    for (size_t k = 0; k < c->hosts.n && fd_mono_us() < deadline_us; k++) {
        size_t i = (c->preferred + k) % c->hosts.n;
        const char *port = c->ports.n == c->hosts.n ? c->ports.v[i]
                           : c->ports.n             ? c->ports.v[0]
                                                    : "5432";
        char *one = fd_asprintf("%s host=%s port=%s", c->p->conninfo, c->hosts.v[i], port);
        int64_t until = deadline_us;
        if (c->host_timeout_us && fd_mono_us() + c->host_timeout_us < until)
            until = fd_mono_us() + c->host_timeout_us;
        free(*error);
        *error = NULL;
        bool ok = connect_one(c, one, until, error);
        free(one);
        if (ok) {
            c->preferred = i;
            return true;
        }
    }
    if (!*error)
        *error = fd_strdup("connect timed out");
    return false;
}

/* A result's error message without libpq's trailing newlines. Caller frees. */
static char *result_error(const PGresult *r)
{
    char *e = fd_strdup(PQresultErrorMessage(r));
    size_t n = strlen(e);
    while (n && e[n - 1] == '\n')
        e[--n] = '\0';
    return e;
}

/* Sends a query and waits for its result. unknown when it was sent and no answer came. */
static fd_outcome query(fd_probe_client *c, const char *sql, int nparams, const char *const *params,
                        int64_t deadline_us, PGresult **out, char **error)
{
    *out = NULL;
    if (!PQsendQueryParams(c->conn, sql, nparams, NULL, params, NULL, NULL, 0)) {
        *error = fd_asprintf("send: %s", PQerrorMessage(c->conn));
        drop(c);
        return FD_OUT_FAIL;
    }
    int flushed;
    while ((flushed = PQflush(c->conn)) == 1) {
        if (!wait_fd(c->conn, true, deadline_us)) {
            *error = fd_strdup("timed out sending the query");
            drop(c);
            return FD_OUT_UNKNOWN;
        }
    }
    if (flushed < 0) {
        *error = fd_asprintf("send: %s", PQerrorMessage(c->conn));
        drop(c);
        return FD_OUT_UNKNOWN;
    }
    PGresult *res = NULL, *last = NULL;
    for (;;) {
        while (PQisBusy(c->conn)) {
            if (fd_mono_us() >= deadline_us || !wait_fd(c->conn, false, deadline_us)) {
                *error = fd_strdup("timed out waiting for the answer");
                PQclear(last);
                drop(c); /* the server may still commit it: unknown */
                return FD_OUT_UNKNOWN;
            }
            if (!PQconsumeInput(c->conn)) {
                *error = fd_asprintf("connection lost: %s", PQerrorMessage(c->conn));
                PQclear(last);
                drop(c);
                return FD_OUT_UNKNOWN;
            }
        }
        res = PQgetResult(c->conn);
        if (!res)
            break;
        PQclear(last);
        last = res;
    }
    if (!last) {
        *error = fd_strdup("no result");
        drop(c);
        return FD_OUT_UNKNOWN;
    }
    ExecStatusType st = PQresultStatus(last);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        *error = result_error(last);
        /* an error reply means the statement did not commit */
        PQclear(last);
        if (PQstatus(c->conn) != CONNECTION_OK)
            drop(c);
        else if (strstr(*error, "read-only"))
            drop(c); /* connected to a standby after a failover: reconnect */
        return FD_OUT_FAIL;
    }
    *out = last;
    return FD_OUT_OK;
}

static fd_probe_client *pg_open(const fd_probe *p, const fd_probe_env *env)
{
    fd_probe_client *c = fd_xcalloc(1, sizeof *c);
    c->p = p;
    c->run_id = fd_strdup(env->run_id);
    split_hosts(c);
    return c;
}

static bool ensure_table(fd_probe_client *c, int64_t deadline_us, char **error)
{
    if (c->table_ready)
        return true;
    char *sql = fd_asprintf("CREATE TABLE IF NOT EXISTS %s (id bigserial PRIMARY KEY, run text "
                            "NOT NULL, probe text NOT NULL, v text NOT NULL, at timestamptz "
                            "NOT NULL DEFAULT now())",
                            c->p->table);
    PGresult *r = NULL;
    fd_outcome o = query(c, sql, 0, NULL, deadline_us, &r, error);
    free(sql);
    PQclear(r);
    c->table_ready = o == FD_OUT_OK;
    return c->table_ready;
}

static fd_outcome pg_op(fd_probe_client *c, const char *value, int64_t deadline_us, char **error)
{
    if (!connect_db(c, deadline_us, error))
        return FD_OUT_FAIL;
    PGresult *r = NULL;
    fd_outcome o;
    if (value) {
        if (!ensure_table(c, deadline_us, error))
            return FD_OUT_FAIL;
        char *sql = fd_asprintf("INSERT INTO %s (run, probe, v) VALUES ($1, $2, $3)", c->p->table);
        const char *params[3] = {c->run_id, c->p->name, value};
        o = query(c, sql, 3, params, deadline_us, &r, error);
        free(sql);
    } else {
        o = query(c, "SELECT 1", 0, NULL, deadline_us, &r, error);
    }
    PQclear(r);
    return o;
}

static bool pg_read_back(fd_probe_client *c, int64_t deadline_us, fd_strv *values, char **error)
{
    drop(c); /* reconnect: libpq finds the current read-write server */
    if (!connect_db(c, deadline_us, error))
        return false;
    char *sql = fd_asprintf("SELECT v FROM %s WHERE run = $1 AND probe = $2", c->p->table);
    const char *params[2] = {c->run_id, c->p->name};
    PGresult *r = NULL;
    fd_outcome o = query(c, sql, 2, params, deadline_us, &r, error);
    free(sql);
    if (o != FD_OUT_OK) {
        /* no table: nothing was ever written */
        if (*error && strstr(*error, "does not exist")) {
            free(*error);
            *error = NULL;
            return true;
        }
        return false;
    }
    for (int i = 0; i < PQntuples(r); i++)
        fd_strv_push(values, PQgetvalue(r, i, 0));
    PQclear(r);
    return true;
}

/* The newest of the probe's values on this server: the row with the highest id. */
static bool pg_newest(fd_probe_client *c, int64_t deadline_us, uint64_t *n, char **error)
{
    *n = 0;
    if (!connect_db(c, deadline_us, error))
        return false;
    char *sql = fd_asprintf("SELECT v FROM %s WHERE run = $1 AND probe = $2 ORDER BY id DESC "
                            "LIMIT 1",
                            c->p->table);
    const char *params[2] = {c->run_id, c->p->name};
    PGresult *r = NULL;
    fd_outcome o = query(c, sql, 2, params, deadline_us, &r, error);
    free(sql);
    if (o != FD_OUT_OK) {
        if (*error && strstr(*error, "does not exist")) { /* nothing written yet */
            free(*error);
            *error = NULL;
            return true;
        }
        return false;
    }
    if (PQntuples(r) > 0)
        *n = strtoull(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return true;
}

bool fd_pg_run(const char *conninfo, const char *const *sql, size_t nsql, int64_t timeout_us,
               fd_strv *cells, size_t *ncols, char **err)
{
    long long secs = timeout_us / 1000000 > 0 ? timeout_us / 1000000 : 1;
    char timeout[32];
    snprintf(timeout, sizeof timeout, "%lld", secs);
    const char *keys[] = {"dbname", "connect_timeout", NULL};
    const char *vals[] = {conninfo, timeout, NULL};
    PGconn *conn = PQconnectdbParams(keys, vals, 1);
    *ncols = 0;
    *err = NULL;
    if (!conn || PQstatus(conn) != CONNECTION_OK) {
        *err = fd_asprintf("connect: %s", conn ? PQerrorMessage(conn) : "out of memory");
        PQfinish(conn);
        return false;
    }
    PQsetNoticeProcessor(conn, quiet_notices, NULL);
    char *st = fd_asprintf("SET statement_timeout = %lld", secs * 1000);
    PQclear(PQexec(conn, st));
    free(st);
    for (size_t i = 0; i < nsql && !*err; i++) {
        PGresult *r = PQexec(conn, sql[i]);
        ExecStatusType s = PQresultStatus(r);
        if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
            *err = result_error(r);
        } else if (i + 1 == nsql) {
            *ncols = (size_t)PQnfields(r);
            for (int row = 0; row < PQntuples(r); row++)
                for (int c = 0; c < PQnfields(r); c++)
                    fd_strv_push(cells, PQgetvalue(r, row, c));
        }
        PQclear(r);
    }
    PQfinish(conn);
    return !*err;
}

static void pg_close(fd_probe_client *c)
{
    drop(c);
    fd_strv_free(&c->hosts);
    fd_strv_free(&c->ports);
    free(c->run_id);
    free(c);
}

/* postgres: a conninfo and a plain table name. */
static void postgres_read(const fd_probe_reader *rd, const fd_ynode *m, fd_probe *p)
{
    fd_yt *t = rd->t;
    const char *what = rd->what;
    fd_yt_str(t, m, "conninfo", true, what, &p->conninfo);
    fd_yt_str(t, m, "table", false, what, &p->table);
    if (!p->table)
        p->table = fd_strdup("firedrill_probe");
    fd_probe_check_sql_name(rd, m, "table", p->table);
}

static const char *const postgres_keys[] = {"conninfo", "table", NULL};

const fd_probe_type_ops fd_probe_postgres_ops = {
    .type = FD_PROBE_POSTGRES,
    .keys = postgres_keys,
    .read = postgres_read,
    .writes = true,
    .open = pg_open,
    .op = pg_op,
    .read_back = pg_read_back,
    .newest = pg_newest,
    .close = pg_close,
};
