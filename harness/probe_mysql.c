/* probe_mysql.c: the mysql probe (MySQL and MariaDB), with libmariadb's non-blocking
 * API, so that an operation never outlives its deadline. `endpoints` are tried in
 * order; a write probe settles on the first that is writable (@@read_only = 0), which
 * is how it follows a failover. Reads run SELECT 1; writes INSERT a unique value into
 * `database`.`table` (both created if missing) tagged with the run and probe. */
#include "probe.h"
#include "subst.h"
#include "value.h"

#include <errno.h>
#include <mysql.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

struct fd_probe_client {
    const fd_probe *p;
    MYSQL *db;
    char *run_id;
    bool table_ready;
};

/* Ends a connection at once: a connection abandoned mid-operation is shut down first,
 * so that closing it cannot wait on the network. */
static void drop(fd_probe_client *c, bool abandoned)
{
    if (!c->db)
        return;
    if (abandoned && mysql_get_socket(c->db) >= 0)
        shutdown(mysql_get_socket(c->db), SHUT_RDWR);
    mysql_close(c->db);
    c->db = NULL;
}

/* Waits for what the library asks (status) until the deadline: the events that came,
 * or 0 when the deadline passed. */
static int wait_db(MYSQL *db, int status, int64_t deadline_us)
{
    struct pollfd pfd = {.fd = mysql_get_socket(db),
                         .events = (short)((status & MYSQL_WAIT_READ ? POLLIN : 0) |
                                           (status & MYSQL_WAIT_WRITE ? POLLOUT : 0) |
                                           (status & MYSQL_WAIT_EXCEPT ? POLLPRI : 0))};
    int ms = fd_deadline_ms(deadline_us);
    bool lib_timeout = false;
    if (status & MYSQL_WAIT_TIMEOUT) {
        int lib_ms = (int)mysql_get_timeout_value_ms(db);
        if (lib_ms < ms) {
            ms = lib_ms;
            lib_timeout = true;
        }
    }
    if (fd_mono_us() >= deadline_us)
        return 0;
    int n;
    while ((n = poll(&pfd, 1, ms)) < 0 && errno == EINTR)
        ;
    if (n == 0)
        return lib_timeout ? MYSQL_WAIT_TIMEOUT : 0;
    if (n < 0)
        return 0;
    return (pfd.revents & POLLIN ? MYSQL_WAIT_READ : 0) |
           (pfd.revents & (POLLOUT | POLLERR | POLLHUP) ? MYSQL_WAIT_WRITE : 0) |
           (pfd.revents & POLLPRI ? MYSQL_WAIT_EXCEPT : 0) |
           (pfd.revents & (POLLERR | POLLHUP) ? MYSQL_WAIT_READ : 0);
}

/* Runs one non-blocking call to its end: START is the first step, CONT the next. False
 * when the deadline passed first (the connection is then dropped). */
#define FD_MY_RUN(c, deadline_us, status, START, CONT)                                             \
    do {                                                                                           \
        status = START;                                                                            \
        while (status) {                                                                           \
            int ev_ = wait_db((c)->db, status, deadline_us);                                       \
            if (!ev_)                                                                              \
                break;                                                                             \
            status = CONT;                                                                         \
        }                                                                                          \
    } while (0)

/* host:port into host (cut to its size) and the port (3306 when none is given). */
static unsigned split_endpoint(const char *endpoint, char *host, size_t size)
{
    int64_t port = 3306; /* the reader checked host:port */
    const char *colon = strrchr(endpoint, ':');
    size_t hl = colon ? (size_t)(colon - endpoint) : strlen(endpoint);
    snprintf(host, size, "%.*s", (int)(hl < size ? hl : size - 1), endpoint);
    if (colon && !fd_parse_uint(colon + 1, 65535, &port))
        port = 3306;
    return (unsigned)port;
}

static bool connect_one(fd_probe_client *c, const char *endpoint, int64_t deadline_us, char **error)
{
    char host[256];
    unsigned port = split_endpoint(endpoint, host, sizeof host);
    c->db = mysql_init(NULL);
    if (!c->db) {
        *error = fd_strdup("out of memory");
        return false;
    }
    mysql_options(c->db, MYSQL_OPT_NONBLOCK, 0);
    unsigned int secs = (unsigned)(fd_deadline_ms(deadline_us) / 1000 + 1);
    mysql_options(c->db, MYSQL_OPT_CONNECT_TIMEOUT, &secs);
    MYSQL *ret = NULL;
    int status;
    FD_MY_RUN(c, deadline_us, status,
              mysql_real_connect_start(&ret, c->db, host, c->p->user, c->p->password, NULL, port,
                                       NULL, 0),
              mysql_real_connect_cont(&ret, c->db, ev_));
    if (status) {
        *error = fd_asprintf("%s: connect timed out", endpoint);
        drop(c, true);
        return false;
    }
    if (!ret) {
        *error = fd_asprintf("%s: connect: %s", endpoint, mysql_error(c->db));
        drop(c, false);
        return false;
    }
    return true;
}

/* Sends a statement and waits for its result, stored whole (NULL for statements that
 * return none). unknown when it was sent and no answer came. */
static fd_outcome query(fd_probe_client *c, const char *sql, int64_t deadline_us, MYSQL_RES **out,
                        char **error)
{
    int err = 0, status;
    if (out)
        *out = NULL;
    FD_MY_RUN(c, deadline_us, status, mysql_real_query_start(&err, c->db, sql, strlen(sql)),
              mysql_real_query_cont(&err, c->db, ev_));
    if (status) {
        *error = fd_strdup("timed out waiting for the answer");
        drop(c, true); /* the server may still commit it: unknown */
        return FD_OUT_UNKNOWN;
    }
    if (err) {
        unsigned code = mysql_errno(c->db);
        *error = fd_asprintf("%s", mysql_error(c->db));
        /* 2000-2999 are the client's own errors: the connection broke, the statement's
         * fate is unknown; a server error means it did not commit */
        bool lost = code >= 2000 && code < 3000;
        if (lost || code == 1290 /* read-only */)
            drop(c, lost);
        return lost ? FD_OUT_UNKNOWN : FD_OUT_FAIL;
    }
    MYSQL_RES *res = NULL;
    FD_MY_RUN(c, deadline_us, status, mysql_store_result_start(&res, c->db),
              mysql_store_result_cont(&res, c->db, ev_));
    if (status) {
        *error = fd_strdup("timed out reading the result");
        drop(c, true);
        return FD_OUT_UNKNOWN;
    }
    if (out)
        *out = res;
    else if (res)
        mysql_free_result(res);
    return FD_OUT_OK;
}

/* Connected to the first endpoint that answers (and, for writes, is writable). */
static bool connect_db(fd_probe_client *c, int64_t deadline_us, char **error)
{
    if (c->db)
        return true;
    char *last = NULL;
    for (size_t i = 0; i < c->p->endpoints.n && fd_mono_us() < deadline_us; i++) {
        char *e = NULL;
        if (!connect_one(c, c->p->endpoints.v[i], deadline_us, &e)) {
            free(last);
            last = e;
            continue;
        }
        if (!c->p->write)
            break;
        MYSQL_RES *res = NULL;
        if (query(c, "SELECT @@global.read_only", deadline_us, &res, &e) == FD_OUT_OK) {
            MYSQL_ROW row = res ? mysql_fetch_row(res) : NULL;
            bool writable = row && row[0] && strcmp(row[0], "0") == 0;
            if (res)
                mysql_free_result(res);
            if (writable)
                break;
            e = fd_asprintf("%s is read-only", c->p->endpoints.v[i]);
        }
        drop(c, false);
        free(last);
        last = e;
    }
    if (c->db) {
        free(last);
        return true;
    }
    *error = last ? last : fd_strdup("connect timed out");
    return false;
}

static fd_probe_client *my_open(const fd_probe *p, const fd_probe_env *env)
{
    fd_probe_client *c = fd_xcalloc(1, sizeof *c);
    c->p = p;
    c->run_id = fd_strdup(env->run_id);
    return c;
}

static bool ensure_table(fd_probe_client *c, int64_t deadline_us, char **error)
{
    if (c->table_ready)
        return true;
    char *sql = fd_asprintf("CREATE DATABASE IF NOT EXISTS `%s`", c->p->database);
    fd_outcome o = query(c, sql, deadline_us, NULL, error);
    free(sql);
    if (o != FD_OUT_OK)
        return false;
    sql = fd_asprintf("CREATE TABLE IF NOT EXISTS `%s`.`%s` (id bigint AUTO_INCREMENT PRIMARY "
                      "KEY, run varchar(64) NOT NULL, probe varchar(128) NOT NULL, v "
                      "varchar(128) NOT NULL, at timestamp(6) NOT NULL DEFAULT "
                      "current_timestamp(6)) ENGINE=InnoDB",
                      c->p->database, c->p->table);
    o = query(c, sql, deadline_us, NULL, error);
    free(sql);
    c->table_ready = o == FD_OUT_OK;
    return c->table_ready;
}

/* s as a quoted SQL string literal for this connection. Caller frees. */
static char *literal(fd_probe_client *c, const char *s)
{
    size_t n = strlen(s);
    char *out = fd_xcalloc(2 * n + 3, 1);
    out[0] = '\'';
    unsigned long k = mysql_real_escape_string(c->db, out + 1, s, (unsigned long)n);
    out[k + 1] = '\'';
    return out;
}

static fd_outcome my_op(fd_probe_client *c, const char *value, int64_t deadline_us, char **error)
{
    if (!connect_db(c, deadline_us, error))
        return FD_OUT_FAIL;
    if (!value)
        return query(c, "SELECT 1", deadline_us, NULL, error);
    if (!ensure_table(c, deadline_us, error))
        return FD_OUT_FAIL;
    char *run = literal(c, c->run_id), *probe = literal(c, c->p->name), *v = literal(c, value);
    char *sql = fd_asprintf("INSERT INTO `%s`.`%s` (run, probe, v) VALUES (%s, %s, %s)",
                            c->p->database, c->p->table, run, probe, v);
    fd_outcome o = query(c, sql, deadline_us, NULL, error);
    free(sql);
    free(run);
    free(probe);
    free(v);
    return o;
}

static bool my_read_back(fd_probe_client *c, int64_t deadline_us, fd_strv *values, char **error)
{
    drop(c, false); /* reconnect: find the current writable server */
    if (!connect_db(c, deadline_us, error))
        return false;
    char *run = literal(c, c->run_id), *probe = literal(c, c->p->name);
    char *sql = fd_asprintf("SELECT v FROM `%s`.`%s` WHERE run = %s AND probe = %s", c->p->database,
                            c->p->table, run, probe);
    free(run);
    free(probe);
    MYSQL_RES *res = NULL;
    fd_outcome o = query(c, sql, deadline_us, &res, error);
    free(sql);
    if (o != FD_OUT_OK) {
        /* no database or table: nothing was ever written */
        unsigned code = c->db ? mysql_errno(c->db) : 0;
        if (code == 1146 || code == 1049) {
            free(*error);
            *error = NULL;
            return true;
        }
        return false;
    }
    MYSQL_ROW row;
    while (res && (row = mysql_fetch_row(res)))
        if (row[0])
            fd_strv_push(values, row[0]);
    if (res)
        mysql_free_result(res);
    return true;
}

/* The newest of the probe's values on this server: the row with the highest id. */
static bool my_newest(fd_probe_client *c, int64_t deadline_us, uint64_t *n, char **error)
{
    *n = 0;
    if (!connect_db(c, deadline_us, error))
        return false;
    char *run = literal(c, c->run_id), *probe = literal(c, c->p->name);
    char *sql = fd_asprintf("SELECT v FROM `%s`.`%s` WHERE run = %s AND probe = %s ORDER BY id "
                            "DESC LIMIT 1",
                            c->p->database, c->p->table, run, probe);
    free(run);
    free(probe);
    MYSQL_RES *res = NULL;
    fd_outcome o = query(c, sql, deadline_us, &res, error);
    free(sql);
    if (o != FD_OUT_OK) {
        unsigned code = c->db ? mysql_errno(c->db) : 0;
        if (code == 1146 || code == 1049) { /* nothing written yet */
            free(*error);
            *error = NULL;
            return true;
        }
        return false;
    }
    MYSQL_ROW row = res ? mysql_fetch_row(res) : NULL;
    if (row && row[0])
        *n = strtoull(row[0], NULL, 10);
    if (res)
        mysql_free_result(res);
    return true;
}

static MYSQL *run_connect(const fd_probe *p, const char *endpoint, unsigned secs, char **err)
{
    char host[256];
    unsigned port = split_endpoint(endpoint, host, sizeof host);
    MYSQL *db = mysql_init(NULL);
    if (!db) {
        *err = fd_strdup("out of memory");
        return NULL;
    }
    mysql_options(db, MYSQL_OPT_CONNECT_TIMEOUT, &secs);
    mysql_options(db, MYSQL_OPT_READ_TIMEOUT, &secs);
    mysql_options(db, MYSQL_OPT_WRITE_TIMEOUT, &secs);
    if (!mysql_real_connect(db, host, p->user, p->password, NULL, port, NULL, 0)) {
        *err = fd_asprintf("%s: %s", endpoint, mysql_error(db));
        mysql_close(db);
        return NULL;
    }
    return db;
}

/* The last statement's cells; false with *err at the first that fails. */
static bool run_statements(MYSQL *db, const char *const *sql, size_t nsql, fd_strv *cells,
                           size_t *ncols, char **err)
{
    for (size_t i = 0; i < nsql; i++) {
        if (mysql_query(db, sql[i])) {
            *err = fd_asprintf("%s", mysql_error(db));
            return false;
        }
        MYSQL_RES *res = mysql_store_result(db);
        if (!res)
            continue;
        if (i + 1 == nsql) {
            *ncols = mysql_num_fields(res);
            MYSQL_ROW row;
            while ((row = mysql_fetch_row(res)))
                for (size_t c = 0; c < *ncols; c++)
                    fd_strv_push(cells, row[c] ? row[c] : "");
        }
        mysql_free_result(res);
    }
    return true;
}

bool fd_mysql_run(const fd_probe *p, const char *endpoint, const char *const *sql, size_t nsql,
                  int64_t timeout_us, fd_strv *cells, size_t *ncols, char **err)
{
    unsigned secs = (unsigned)(timeout_us / 1000000 > 0 ? timeout_us / 1000000 : 1);
    *ncols = 0;
    *err = NULL;
    MYSQL *db = run_connect(p, endpoint, secs, err);
    if (!db)
        return false;
    bool ok = run_statements(db, sql, nsql, cells, ncols, err);
    mysql_close(db);
    return ok;
}

static void my_close(fd_probe_client *c)
{
    drop(c, false);
    free(c->run_id);
    free(c);
}

/* mysql: endpoints (host:port), a user, a password (from the environment, so that it is
 * redacted), plain database and table names. */
static void mysql_read(const fd_probe_reader *rd, const fd_ynode *m, fd_probe *p)
{
    fd_yt *t = rd->t;
    const char *what = rd->what;
    if (fd_yt_strlist(t, m, "endpoints", true, what, &p->endpoints))
        fd_probe_check_endpoints(rd, m, "endpoints", &p->endpoints, false);
    fd_yt_str(t, m, "user", true, what, &p->user);
    fd_yt_str(t, m, "password", false, what, &p->password);
    if (p->password && *p->password && rd->vars)
        fd_vars_add_secret(rd->vars, p->password); /* redacted even when written in the file */
    fd_yt_str(t, m, "database", false, what, &p->database);
    fd_yt_str(t, m, "table", false, what, &p->table);
    if (!p->database)
        p->database = fd_strdup("firedrill");
    if (!p->table)
        p->table = fd_strdup("firedrill_probe");
    fd_probe_check_sql_name(rd, m, "database", p->database);
    fd_probe_check_sql_name(rd, m, "table", p->table);
}

static const char *const mysql_keys[] = {"endpoints", "user",  "password",
                                         "database",  "table", NULL};

const fd_probe_type_ops fd_probe_mysql_ops = {
    .type = FD_PROBE_MYSQL,
    .keys = mysql_keys,
    .read = mysql_read,
    .writes = true,
    .open = my_open,
    .op = my_op,
    .read_back = my_read_back,
    .newest = my_newest,
    .close = my_close,
};
