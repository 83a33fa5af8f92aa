/* ssh.c: libssh sessions with strict host keys, bounded calls and capped output. */
#include "ssh.h"
#include "fanout.h"
#include "jump.h"
#include "util.h"

#include <libssh/callbacks.h>
#include <libssh/libssh.h>
#include <libssh/sftp.h>
#include <ctype.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* known_hosts is appended to without locking by libssh: serialise updates. */
static pthread_mutex_t known_hosts_lock = PTHREAD_MUTEX_INITIALIZER;

void fd_ssh_global_init(void)
{
    ssh_init();
}

static void conn_fail(fd_conn *c, fd_err e, char *msg)
{
    c->status = e;
    free(c->error);
    c->error = msg;
    if (c->session) {
        ssh_disconnect(c->session);
        ssh_free(c->session);
        c->session = NULL;
    }
    c->connected = false;
}

static char *key_description(ssh_session s)
{
    ssh_key key = NULL;
    if (ssh_get_server_publickey(s, &key) != SSH_OK)
        return fd_strdup("unknown key");
    unsigned char *hash = NULL;
    size_t hlen = 0;
    char *desc;
    if (ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &hlen) == 0) {
        char *fp = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, hlen);
        desc = fd_asprintf("%s %s", ssh_key_type_to_char(ssh_key_type(key)), fp ? fp : "?");
        ssh_string_free_char(fp);
        ssh_clean_pubkey_hash(&hash);
    } else {
        desc = fd_strdup(ssh_key_type_to_char(ssh_key_type(key)));
    }
    ssh_key_free(key);
    return desc;
}

/* Verifies the server's key against known_hosts. */
static fd_err verify_host_key(fd_conn *c, const fd_ssh_opts *o)
{
    ssh_session s = c->session;
    const fd_host *h = c->host;
    char *desc = key_description(s);
    enum ssh_known_hosts_e state = ssh_session_is_known_server(s);
    switch (state) {
    case SSH_KNOWN_HOSTS_OK:
        free(c->hostkey);
        c->hostkey = desc;
        return FD_OK;
    case SSH_KNOWN_HOSTS_CHANGED:
        conn_fail(c, FD_ERR_HOSTKEY,
                  fd_asprintf("HOST KEY CHANGED: the server now offers %s, which does not match "
                              "the key for %s in %s; refusing to connect (someone may be "
                              "intercepting the connection, or the host was reinstalled: fix "
                              "known_hosts by hand)",
                              desc, h->address, h->known_hosts));
        free(desc);
        return FD_ERR_HOSTKEY;
    case SSH_KNOWN_HOSTS_OTHER:
        conn_fail(c, FD_ERR_HOSTKEY,
                  fd_asprintf("HOST KEY CHANGED: the server offers %s, but %s holds a key of "
                              "another type for %s; refusing to connect",
                              desc, h->known_hosts, h->address));
        free(desc);
        return FD_ERR_HOSTKEY;
    case SSH_KNOWN_HOSTS_UNKNOWN:
    case SSH_KNOWN_HOSTS_NOT_FOUND:
        if (o->accept_new_host_keys) {
            pthread_mutex_lock(&known_hosts_lock);
            int rc = ssh_session_update_known_hosts(s);
            pthread_mutex_unlock(&known_hosts_lock);
            if (rc != SSH_OK) {
                conn_fail(c, FD_ERR_HOSTKEY,
                          fd_asprintf("could not add the host key (%s) to %s: %s", desc,
                                      h->known_hosts, ssh_get_error(s)));
                free(desc);
                return FD_ERR_HOSTKEY;
            }
            free(c->hostkey);
            c->hostkey = fd_asprintf("%s (newly accepted)", desc);
            free(desc);
            return FD_OK;
        }
        conn_fail(c, FD_ERR_HOSTKEY,
                  fd_asprintf("host key %s is not in %s; refusing an unknown host (add it to "
                              "known_hosts, or run with --accept-new-host-keys to trust it)",
                              desc, h->known_hosts));
        free(desc);
        return FD_ERR_HOSTKEY;
    case SSH_KNOWN_HOSTS_ERROR:
    default:
        conn_fail(c, FD_ERR_HOSTKEY,
                  fd_asprintf("could not check the host key against %s: %s", h->known_hosts,
                              ssh_get_error(s)));
        free(desc);
        return FD_ERR_HOSTKEY;
    }
}

/* The identity file, then the agent, then the default keys. */
static fd_err authenticate(fd_conn *c)
{
    ssh_session s = c->session;
    const fd_host *h = c->host;
    int rc = SSH_AUTH_DENIED;
    if (h->identity) {
        ssh_key key = NULL;
        if (ssh_pki_import_privkey_file(h->identity, NULL, NULL, NULL, &key) != SSH_OK) {
            conn_fail(c, FD_ERR_AUTH,
                      fd_asprintf("cannot load identity file %s (missing, unreadable or "
                                  "passphrase-protected; use the ssh agent for those)",
                                  h->identity));
            return FD_ERR_AUTH;
        }
        rc = ssh_userauth_publickey(s, NULL, key);
        ssh_key_free(key);
        if (rc == SSH_AUTH_SUCCESS) {
            c->auth_method = fd_asprintf("publickey %s", h->identity);
            return FD_OK;
        }
    }
    if (rc != SSH_AUTH_ERROR && getenv("SSH_AUTH_SOCK")) {
        rc = ssh_userauth_agent(s, NULL);
        if (rc == SSH_AUTH_SUCCESS) {
            c->auth_method = fd_strdup("agent");
            return FD_OK;
        }
    }
    if (rc != SSH_AUTH_ERROR) {
        rc = ssh_userauth_publickey_auto(s, NULL, NULL);
        if (rc == SSH_AUTH_SUCCESS) {
            c->auth_method = fd_strdup("default keys");
            return FD_OK;
        }
    }
    if (rc == SSH_AUTH_ERROR)
        conn_fail(c, FD_ERR_AUTH, fd_asprintf("authentication error: %s", ssh_get_error(s)));
    else
        conn_fail(c, FD_ERR_AUTH,
                  fd_asprintf("authentication refused for user %s (tried %s%sthe agent and the "
                              "default keys)",
                              c->user ? c->user : "?", h->identity ? h->identity : "",
                              h->identity ? ", " : ""));
    return FD_ERR_AUTH;
}

/* A connection opened at t0 is ready for commands. */
static fd_err conn_ready(fd_conn *c, int64_t t0)
{
    c->connected = true;
    c->status = FD_OK;
    free(c->error);
    c->error = NULL;
    c->connect_us = fd_mono_us() - t0;
    return FD_OK;
}

static fd_err transport_open(fd_conn *c, const fd_host *h, const fd_transport *t, int64_t t0)
{
    c->transport = t;
    fd_err e = t->open(h, t->arg);
    if (e != FD_OK) {
        conn_fail(c, e, fd_asprintf("unreachable: %s", fd_err_str(e)));
        return e;
    }
    c->user = fd_strdup(h->user ? h->user : "root");
    c->auth_method = fd_strdup("transport");
    c->hostkey = fd_strdup("none (not SSH)");
    return conn_ready(c, t0);
}

/* ssh_connect failed: why, with the jump host and what its ssh said when there is one. */
static void connect_failed(fd_conn *c, const fd_host *h, const char *jump_said)
{
    const char *msg = ssh_get_error(c->session);
    bool timeout = strstr(msg, "imeout") || strstr(msg, "timed out");
    char *jump = fd_host_jump_words(h);
    char *via = jump ? fd_asprintf(" through the jump host %s%s%s%s", jump,
                                   jump_said ? " (its ssh says: " : "", jump_said ? jump_said : "",
                                   jump_said ? ")" : "")
                     : fd_strdup("");
    free(jump);
    conn_fail(c, FD_ERR_CONNECT,
              timeout ? fd_asprintf("unreachable%s: no answer within %.1fs (%s)", via,
                                    (double)h->connect_timeout_us / 1e6, msg)
                      : fd_asprintf("unreachable%s: %s", via, msg));
    free(via);
}

fd_err fd_conn_open(fd_conn *c, const fd_host *h, const fd_ssh_opts *o)
{
    int64_t t0 = fd_mono_us();
    c->host = h;
    free(c->hostkey);
    c->hostkey = NULL;
    free(c->auth_method);
    c->auth_method = NULL;
    free(c->user);
    c->user = NULL;
    if (o->transport)
        return transport_open(c, h, o->transport, t0);
    c->session = ssh_new();
    if (!c->session) {
        conn_fail(c, FD_ERR_NOMEM, fd_strdup("cannot create an ssh session"));
        return c->status;
    }
    ssh_session s = c->session;
    int nodelay = 1;
    long timeout_s = (long)(h->connect_timeout_us / 1000000);
    long timeout_us = (long)(h->connect_timeout_us % 1000000);
    ssh_options_set(s, SSH_OPTIONS_HOST, h->address);
    /* ~/.ssh/config: aliases, User, Port, IdentityFile, ProxyJump. Inventory values
     * given explicitly take precedence, as they are set afterwards. */
    ssh_options_parse_config(s, NULL);
    if (h->user)
        ssh_options_set(s, SSH_OPTIONS_USER, h->user);
    if (h->port) {
        unsigned int port = (unsigned int)h->port;
        ssh_options_set(s, SSH_OPTIONS_PORT, &port);
    }
    ssh_options_set(s, SSH_OPTIONS_KNOWNHOSTS, h->known_hosts);
    char err_path[512];
    int err_fd = -1;
    if (h->jump_host) {
        err_fd = fd_jump_err_open(err_path, sizeof err_path);
        char *pc = fd_jump_command(h, err_fd >= 0 ? err_path : NULL);
        ssh_options_set(s, SSH_OPTIONS_PROXYCOMMAND, pc);
        free(pc);
    }
    ssh_options_set(s, SSH_OPTIONS_TIMEOUT, &timeout_s);
    ssh_options_set(s, SSH_OPTIONS_TIMEOUT_USEC, &timeout_us);
    ssh_options_set(s, SSH_OPTIONS_NODELAY, &nodelay);
    char *user = NULL;
    if (ssh_options_get(s, SSH_OPTIONS_USER, &user) == SSH_OK) {
        c->user = fd_strdup(user);
        ssh_string_free_char(user);
    }
    fd_jump_slot *slot = h->jump_host ? fd_jump_enter(h) : NULL;
    int rc = ssh_connect(s);
    fd_jump_leave(slot);
    char *jump_said = fd_jump_err_take(err_fd, err_path);
    if (rc != SSH_OK) {
        connect_failed(c, h, jump_said);
        free(jump_said);
        return c->status;
    }
    free(jump_said);
    if (verify_host_key(c, o) != FD_OK)
        return c->status;
    if (authenticate(c) != FD_OK)
        return c->status;
    return conn_ready(c, t0);
}

void fd_conn_close(fd_conn *c)
{
    if (!c)
        return;
    if (c->session) {
        ssh_disconnect(c->session);
        ssh_free(c->session);
    }
    c->session = NULL;
    c->connected = false;
    free(c->error);
    free(c->hostkey);
    free(c->user);
    free(c->auth_method);
    c->error = c->hostkey = c->user = c->auth_method = NULL;
}

void fd_exec_result_free(fd_exec_result *r)
{
    if (!r)
        return;
    free(r->out);
    free(r->err);
    free(r->signal);
    free(r->error_msg);
    memset(r, 0, sizeof *r);
}

static void on_exit_signal(ssh_session s, ssh_channel ch, const char *sig, int core,
                           const char *errmsg, const char *lang, void *userdata)
{
    fd_exec_result *r = userdata;
    free(r->signal);
    r->signal = fd_strdup(sig ? sig : "?");
}

static void drain(ssh_channel ch, fd_buf *out, fd_buf *err)
{
    char buf[16384];
    int n;
    while ((n = ssh_channel_read_nonblocking(ch, buf, sizeof buf, 0)) > 0)
        fd_buf_append(out, buf, (size_t)n);
    while ((n = ssh_channel_read_nonblocking(ch, buf, sizeof buf, 1)) > 0)
        fd_buf_append(err, buf, (size_t)n);
}

/* fd_conn_exec over a transport other than SSH. */
static fd_err transport_exec(fd_conn *c, const char *cmd, const char *input, int64_t timeout_us,
                             fd_exec_result *r, int64_t t0)
{
    pthread_mutex_lock(&c->lock);
    c->transport->exec(c->host, cmd, input, timeout_us, r, c->transport->arg);
    pthread_mutex_unlock(&c->lock);
    r->out = r->out ? r->out : fd_strdup("");
    r->err = r->err ? r->err : fd_strdup("");
    r->duration_us = fd_mono_us() - t0;
    return r->error;
}

/* Writes a command's standard input (all of it) to its channel. */
static bool send_input(ssh_channel ch, const char *input)
{
    size_t len = input ? strlen(input) : 0, off = 0;
    while (off < len) {
        int n = ssh_channel_write(ch, input + off, (uint32_t)(len - off));
        if (n <= 0)
            return false;
        off += (size_t)n;
    }
    return true;
}

/* Bounds libssh's blocking calls (opening a channel, starting the command, its exit
 * status) by three times the connect timeout, and never beyond what is left of the
 * command's time: an sshd slow to start a session (a fleet sharing few CPUs took over
 * 3 s) is waited for, a connection that died is given up within seconds. */
static void session_timeout(ssh_session s, int64_t connect_us, int64_t left_us)
{
    if (left_us > 3 * connect_us)
        left_us = 3 * connect_us;
    if (left_us < 1000000)
        left_us = 1000000;
    long sec = (long)(left_us / 1000000), usec = (long)(left_us % 1000000);
    ssh_options_set(s, SSH_OPTIONS_TIMEOUT, &sec);
    ssh_options_set(s, SSH_OPTIONS_TIMEOUT_USEC, &usec);
}

/* What failed and why: libssh's message, or, where it gave none, what that means. */
/* Whether libssh's error string says something: it is sometimes ";" or empty. */
static bool says_something(const char *e)
{
    for (; e && *e; e++)
        if (isalnum((unsigned char)*e))
            return true;
    return false;
}

static char *ssh_reason(ssh_session s, const char *what, int64_t t0)
{
    const char *e = ssh_get_error(s);
    /* a session that is gone first: libssh's words are then often a stale errno's
     * ("Socket error: No such file or directory") */
    if (!ssh_is_connected(s))
        return says_something(e) ? fd_asprintf("%s: the connection was lost (%s)", what, e)
                                 : fd_asprintf("%s: the connection was lost", what);
    if (says_something(e))
        return fd_asprintf("%s: %s", what, e);
    return fd_asprintf("%s: no answer from the host after %.1fs", what,
                       (double)(fd_mono_us() - t0) / 1e6);
}

fd_err fd_conn_exec(fd_conn *c, const char *cmd, const char *input, int64_t timeout_us,
                    fd_exec_result *r)
{
    return fd_conn_exec_stoppable(c, cmd, input, timeout_us, NULL, r);
}

/* Whether a stoppable command stops now: *stop is set and the command has said
 * something (it is past what it does first: a watch's lease renewal), or the host has
 * not answered for `grace` since the stop was first seen (*stop_by). */
static bool stop_now(const atomic_bool *stop, int64_t *stop_by, int64_t grace, size_t said)
{
    if (!stop || !atomic_load(stop))
        return false;
    int64_t now = fd_mono_us();
    if (*stop_by == INT64_MAX)
        *stop_by = now + grace;
    return said > 0 || now >= *stop_by;
}

/* A new channel on c's session, or NULL with r's error: the command surely not sent. A
 * session found gone is marked so, and opened again by the next ensure (a heal's retry)
 * instead of failing every later command on it. */
static ssh_channel open_channel(fd_conn *c, fd_exec_result *r, int64_t t0)
{
    ssh_session s = c->session;
    ssh_channel ch = ssh_channel_new(s);
    if (ch && ssh_channel_open_session(ch) == SSH_OK)
        return ch;
    if (ch)
        ssh_channel_free(ch);
    r->error = FD_ERR_SSH;
    r->error_msg = ssh_reason(s, "cannot open a channel", t0);
    r->unsent = true;
    if (!ssh_is_connected(s))
        c->connected = false;
    return NULL;
}

/* long: one channel's whole life (open, exec, feed stdin, read to the deadline, close)
 * reads top to bottom as libssh's own example does; split, the cleanup paths of each
 * part would repeat. */
fd_err fd_conn_exec_stoppable(fd_conn *c, const char *cmd, const char *input, int64_t timeout_us,
                              const atomic_bool *stop, fd_exec_result *r)
{
    memset(r, 0, sizeof *r);
    r->exit_status = -1;
    int64_t t0 = fd_mono_us(), deadline = t0 + timeout_us;
    if (!c->connected || (!c->session && !c->transport)) {
        r->error = FD_ERR_CONNECT;
        r->error_msg = fd_strdup(c->error ? c->error : "not connected");
        r->out = fd_strdup("");
        r->err = fd_strdup("");
        return r->error;
    }
    if (c->transport)
        return transport_exec(c, cmd, input, timeout_us, r, t0);
    fd_buf out, err;
    fd_buf_init(&out, FD_OUTPUT_CAP);
    fd_buf_init(&err, FD_OUTPUT_CAP);
    pthread_mutex_lock(&c->lock);
    ssh_session s = c->session;
    session_timeout(s, c->host->connect_timeout_us, deadline - fd_mono_us());
    struct ssh_channel_callbacks_struct cb = {.userdata = r,
                                              .channel_exit_signal_function = on_exit_signal};
    ssh_callbacks_init(&cb);
    bool cb_set = false;
    ssh_channel ch = open_channel(c, r, t0);
    if (!ch)
        goto out;
    ssh_set_channel_callbacks(ch, &cb);
    cb_set = true;
    if (ssh_channel_request_exec(ch, cmd) != SSH_OK) {
        r->error = FD_ERR_SSH;
        r->error_msg = ssh_reason(s, "cannot start the command", t0);
        goto out;
    }
    if (!send_input(ch, input)) {
        r->error = FD_ERR_SSH;
        r->error_msg = ssh_reason(s, "cannot send input", t0);
        goto out;
    }
    ssh_channel_send_eof(ch);
    char buf[16384];
    int64_t stop_by = INT64_MAX;
    while (!ssh_channel_is_eof(ch)) {
        int64_t left = deadline - fd_mono_us();
        if (left <= 0 || stop_now(stop, &stop_by, c->host->connect_timeout_us, out.len)) {
            r->timed_out = true;
            break;
        }
        int slice = left > 200000 ? 200 : (int)(left / 1000) + 1;
        int n = ssh_channel_read_timeout(ch, buf, sizeof buf, 0, slice);
        if (n == SSH_ERROR) {
            r->error = FD_ERR_SSH;
            r->error_msg = ssh_reason(s, "connection lost while running the command", t0);
            c->connected = false;
            goto out;
        }
        if (n > 0)
            fd_buf_append(&out, buf, (size_t)n);
        while ((n = ssh_channel_read_nonblocking(ch, buf, sizeof buf, 1)) > 0)
            fd_buf_append(&err, buf, (size_t)n);
    }
    if (r->timed_out) {
        /* Ask the server to kill it; the channel is closed either way. */
        ssh_channel_request_send_signal(ch, "KILL");
        r->error = FD_ERR_TIMEOUT;
        r->error_msg =
            stop && atomic_load(stop)
                ? fd_strdup("stopped before the command finished")
                : fd_asprintf("command did not finish within %.1fs", (double)timeout_us / 1e6);
        drain(ch, &out, &err);
        goto out;
    }
    drain(ch, &out, &err);
    /* The exit-status message may follow EOF; get_exit_status waits for it within the
     * session timeout. -1 with an exit-signal recorded means killed by a signal. */
    r->exit_status = ssh_channel_get_exit_status(ch);
    r->error = FD_OK;
out:
    if (ch) {
        /* A channel the server has not closed yet (a command that timed out) outlives
         * ssh_channel_free inside the session, until its close arrives while another
         * command runs: its callbacks, on this stack, must go with it. */
        if (cb_set)
            ssh_remove_channel_callbacks(ch, &cb);
        ssh_channel_close(ch);
        ssh_channel_free(ch);
    }
    pthread_mutex_unlock(&c->lock);
    r->out_truncated = out.truncated;
    r->err_truncated = err.truncated;
    r->out = fd_buf_steal(&out);
    r->err = fd_buf_steal(&err);
    r->duration_us = fd_mono_us() - t0;
    return r->error;
}

void fd_pool_init(fd_pool *p, const fd_inventory *inv, const fd_ssh_opts *o)
{
    memset(p, 0, sizeof *p);
    p->inv = inv;
    p->n = inv->n;
    p->opts = *o;
    p->conns = fd_xcalloc(inv->n ? inv->n : 1, sizeof *p->conns);
    p->heal_conns = fd_xcalloc(inv->n ? inv->n : 1, sizeof *p->heal_conns);
    p->verify_conns = fd_xcalloc(inv->n ? inv->n : 1, sizeof *p->verify_conns);
    for (size_t i = 0; i < inv->n; i++) {
        pthread_mutex_init(&p->conns[i].lock, NULL);
        p->conns[i].host = &inv->hosts[i];
        fd_conn *extra[] = {&p->heal_conns[i], &p->verify_conns[i]};
        for (size_t k = 0; k < 2; k++) {
            pthread_mutex_init(&extra[k]->lock, NULL);
            pthread_mutex_init(&extra[k]->open_lock, NULL);
            extra[k]->host = &inv->hosts[i];
        }
    }
}

typedef struct connect_job {
    fd_pool *p;
    const size_t *idx;
} connect_job;

static void connect_one(size_t i, void *arg)
{
    connect_job *j = arg;
    fd_pool_ensure(j->p, j->idx ? j->idx[i] : i);
}

size_t fd_pool_connect(fd_pool *p, const size_t *idx, size_t n)
{
    if (!idx)
        n = p->n;
    connect_job j = {.p = p, .idx = idx};
    fd_fanout(n, 0, connect_one, &j);
    size_t failed = 0;
    for (size_t i = 0; i < n; i++)
        failed += !p->conns[idx ? idx[i] : i].connected;
    return failed;
}

fd_err fd_pool_ensure(fd_pool *p, size_t host)
{
    fd_conn *c = &p->conns[host];
    if (c->connected)
        return FD_OK;
    return fd_conn_open(c, &p->inv->hosts[host], &p->opts);
}

typedef struct exec_each_job {
    fd_pool *p;
    const size_t *hosts;
    char *const *cmds;
    const char *input;
    int64_t timeout_us;
    fd_exec_result *res;
    bool *ran;
} exec_each_job;

static void exec_each_one(size_t i, void *arg)
{
    exec_each_job *j = arg;
    j->ran[i] = false;
    if (fd_pool_ensure(j->p, j->hosts[i]) != FD_OK)
        return;
    fd_conn *c = &j->p->conns[j->hosts[i]];
    fd_conn_exec(c, j->cmds[i], j->input, j->timeout_us, &j->res[i]);
    /* a session found lost before the command started: once more on a new one (it
     * cannot run twice: it never ran) */
    if (j->res[i].error != FD_OK && j->res[i].unsent && !c->connected &&
        fd_pool_ensure(j->p, j->hosts[i]) == FD_OK) {
        fd_exec_result_free(&j->res[i]);
        fd_conn_exec(c, j->cmds[i], j->input, j->timeout_us, &j->res[i]);
    }
    j->ran[i] = true;
}

void fd_pool_exec_each(fd_pool *p, const size_t *hosts, size_t n, char *const *cmds,
                       const char *input, int64_t timeout_us, fd_exec_result *res, bool *ran)
{
    exec_each_job j = {.p = p,
                       .hosts = hosts,
                       .cmds = cmds,
                       .input = input,
                       .timeout_us = timeout_us,
                       .res = res,
                       .ran = ran};
    fd_fanout(n, 0, exec_each_one, &j);
}

static fd_conn *ensure_open(fd_pool *p, fd_conn *c, size_t host)
{
    /* the apply and the healer thread may both ask: one opens it */
    pthread_mutex_lock(&c->open_lock);
    if (!c->connected) {
        if (c->session) {
            ssh_disconnect(c->session);
            ssh_free(c->session);
            c->session = NULL;
        }
        fd_conn_open(c, &p->inv->hosts[host], &p->opts);
    }
    pthread_mutex_unlock(&c->open_lock);
    return c;
}

fd_conn *fd_pool_ensure_heal(fd_pool *p, size_t host)
{
    return ensure_open(p, &p->heal_conns[host], host);
}

fd_conn *fd_pool_ensure_verify(fd_pool *p, size_t host)
{
    return ensure_open(p, &p->verify_conns[host], host);
}

void fd_pool_free(fd_pool *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++) {
        fd_conn_close(&p->conns[i]);
        pthread_mutex_destroy(&p->conns[i].lock);
        fd_conn *extra[] = {&p->heal_conns[i], &p->verify_conns[i]};
        for (size_t k = 0; k < 2; k++) {
            fd_conn_close(extra[k]);
            pthread_mutex_destroy(&extra[k]->lock);
            pthread_mutex_destroy(&extra[k]->open_lock);
        }
    }
    free(p->conns);
    free(p->heal_conns);
    free(p->verify_conns);
    memset(p, 0, sizeof *p);
}

/* Words that any of sh, bash, dash, ksh or zsh reads as a reserved word or runs as a
 * builtin whose behaviour differs between them (echo -e, kill -SIGTERM, time, print...).
 * A plain command starting with one of these still goes through sh. */
static const char *const shell_words[] = {
    ".",          ":",        "alias",     "autoload", "bg",         "bind",      "bindkey",
    "break",      "builtin",  "bye",       "caller",   "case",       "cd",        "chdir",
    "command",    "compgen",  "complete",  "compopt",  "continue",   "coproc",    "declare",
    "dirs",       "disable",  "disown",    "do",       "done",       "echo",      "elif",
    "else",       "emulate",  "enable",    "end",      "esac",       "eval",      "exec",
    "exit",       "export",   "fc",        "fg",       "fi",         "float",     "for",
    "foreach",    "function", "functions", "getopts",  "hash",       "help",      "history",
    "if",         "in",       "integer",   "jobs",     "kill",       "let",       "limit",
    "local",      "logout",   "mapfile",   "noglob",   "nocorrect",  "popd",      "print",
    "printf",     "pushd",    "pwd",       "r",        "read",       "readarray", "readonly",
    "rehash",     "repeat",   "return",    "sched",    "select",     "set",       "setopt",
    "shift",      "shopt",    "source",    "suspend",  "test",       "then",      "time",
    "times",      "trap",     "type",      "typeset",  "ulimit",     "umask",     "unalias",
    "unfunction", "unhash",   "unlimit",   "unset",    "unsetopt",   "until",     "wait",
    "whence",     "where",    "which",     "while",    "newgrp",     "private",   "vared",
    "zcompile",   "zformat",  "zle",       "zmodload", "zparseopts", "zstyle",
};

bool fd_plain_command(const char *cmd)
{
    /* Words of letters, digits and _ . / , : @ + - = separated by single spaces; no word
     * starts with = (zsh expands =name) and the first word is no assignment and no shell
     * word. Every POSIX-family shell runs such a command the same way: no expansion,
     * quoting or redirection, just the program and its arguments. */
    if (strlen(cmd) > 4096)
        return false;
    bool word_start = true;
    for (const char *p = cmd; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch == ' ') {
            if (word_start)
                return false;
            word_start = true;
            continue;
        }
        if (!(ch < 0x80 && (isalnum(ch) || strchr("_./,:@+-=", ch))))
            return false;
        if (ch == '=' && word_start)
            return false;
        word_start = false;
    }
    if (word_start) /* empty, or a trailing space */
        return false;
    size_t first = strcspn(cmd, " ");
    if (memchr(cmd, '=', first))
        return false;
    for (size_t i = 0; i < sizeof shell_words / sizeof *shell_words; i++)
        if (strlen(shell_words[i]) == first && memcmp(cmd, shell_words[i], first) == 0)
            return false;
    return true;
}

void fd_buf_host_vars(fd_buf *b, const fd_host *h)
{
    fd_buf_puts(b, "FD_HOST_NAME=");
    fd_buf_shell_quote(b, h->name);
    fd_buf_puts(b, " FD_HOST_ADDRESS=");
    fd_buf_shell_quote(b, h->address);
    fd_buf_puts(b, " FD_HOST_DATACENTER=");
    fd_buf_shell_quote(b, h->datacenter ? h->datacenter : "");
}

char *fd_host_command(const fd_host *h, const char *run_id, const char *cmd, bool privileged)
{
    fd_buf b;
    fd_buf_init(&b, FD_BUF_UNCAPPED);
    /* Prefix assignments (as agent commands use) rather than `env`: one exec() less.
     * sudo resets the environment, so under sudo the variables go through `env`. */
    if (privileged && h->sudo)
        fd_buf_puts(&b, "sudo -n env ");
    fd_buf_host_vars(&b, h);
    fd_buf_puts(&b, " FD_RUN_ID=");
    fd_buf_shell_quote(&b, run_id ? run_id : "");
    if (fd_plain_command(cmd)) {
        /* nothing for a shell to interpret: the login shell (or env) runs it as sh would,
         * without starting sh */
        fd_buf_puts(&b, " ");
        fd_buf_puts(&b, cmd);
    } else {
        fd_buf_puts(&b, " sh -c ");
        fd_buf_shell_quote(&b, cmd);
    }
    return fd_buf_steal(&b);
}

static sftp_session sftp_start(fd_conn *c, char **err)
{
    sftp_session s = sftp_new(c->session);
    if (!s) {
        *err = fd_asprintf("%s: cannot start SFTP: %s", c->host->name, ssh_get_error(c->session));
        return NULL;
    }
    if (sftp_init(s) != SSH_OK) {
        *err = fd_asprintf("%s: SFTP refused (is the sftp subsystem enabled?): %s", c->host->name,
                           ssh_get_error(c->session));
        sftp_free(s);
        return NULL;
    }
    return s;
}

/* Creates the copy's destination exclusively, with the source's permission bits (as
 * scp does): an existing file is never overwritten. */
static sftp_file create_dest(sftp_session src, const char *from_path, sftp_session dst, fd_conn *to,
                             const char *to_path, char **err)
{
    mode_t mode = 0600;
    sftp_attributes attrs = sftp_stat(src, from_path);
    if (attrs) {
        mode = (mode_t)(attrs->permissions & 0777);
        sftp_attributes_free(attrs);
    }
    sftp_file out = sftp_open(dst, to_path, O_WRONLY | O_CREAT | O_EXCL, mode);
    if (!out) {
        int e = sftp_get_error(dst);
        *err = e == SSH_FX_FILE_ALREADY_EXISTS || e == SSH_FX_FAILURE
                   ? fd_asprintf("%s:%s already exists (or cannot be created); firedrill never "
                                 "overwrites a file",
                                 to->host->name, to_path)
                   : fd_asprintf("%s:%s: cannot create: %s", to->host->name, to_path,
                                 ssh_get_error(to->session));
    }
    return out;
}

/* Copies in from `in` to `out` in 256 KiB chunks, hashing what it reads. */
static bool stream(fd_conn *from, const char *from_path, sftp_file in, fd_conn *to,
                   const char *to_path, sftp_file out, EVP_MD_CTX *md, uint64_t *bytes, char **err)
{
    char *buf = fd_xmalloc(256 << 10);
    for (;;) {
        ssize_t n = sftp_read(in, buf, 256 << 10);
        if (n < 0) {
            *err = fd_asprintf("%s:%s: read failed: %s", from->host->name, from_path,
                               ssh_get_error(from->session));
            break;
        }
        if (n == 0)
            break;
        EVP_DigestUpdate(md, buf, (size_t)n);
        for (ssize_t off = 0; off < n && !*err;) {
            ssize_t w = sftp_write(out, buf + off, (size_t)(n - off));
            if (w <= 0)
                *err = fd_asprintf("%s:%s: write failed: %s", to->host->name, to_path,
                                   ssh_get_error(to->session));
            else
                off += w;
        }
        if (*err)
            break;
        *bytes += (uint64_t)n;
    }
    free(buf);
    return *err == NULL;
}

fd_err fd_sftp_copy(fd_conn *from, const char *from_path, fd_conn *to, const char *to_path,
                    char sha256_hex[65], uint64_t *bytes, char **err)
{
    *err = NULL;
    *bytes = 0;
    sha256_hex[0] = '\0';
    if (!from->connected || !to->connected || from->transport || to->transport) {
        *err = fd_strdup(from->transport || to->transport ? "SFTP needs SSH" : "not connected");
        return FD_ERR_CONNECT;
    }
    /* both sessions are used by this thread for the whole copy: lock in a fixed order */
    fd_conn *first = from < to ? from : to, *second = from < to ? to : from;
    pthread_mutex_lock(&first->lock);
    if (second != first)
        pthread_mutex_lock(&second->lock);
    fd_err rc = FD_ERR_SSH;
    sftp_session src = NULL, dst = NULL;
    sftp_file in = NULL, out = NULL;
    bool created = false;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    src = sftp_start(from, err);
    if (!src)
        goto out;
    dst = to == from ? src : sftp_start(to, err);
    if (!dst)
        goto out;
    in = sftp_open(src, from_path, O_RDONLY, 0);
    if (!in) {
        *err = fd_asprintf("%s:%s: cannot open: %s", from->host->name, from_path,
                           ssh_get_error(from->session));
        goto out;
    }
    out = create_dest(src, from_path, dst, to, to_path, err);
    if (!out)
        goto out;
    created = true;
    if (!stream(from, from_path, in, to, to_path, out, md, bytes, err))
        goto out;
    if (sftp_close(out) != SSH_OK) {
        out = NULL;
        *err = fd_asprintf("%s:%s: closing failed: %s", to->host->name, to_path,
                           ssh_get_error(to->session));
        goto out;
    }
    out = NULL;
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(md, digest, &len);
    for (unsigned int i = 0; i < len; i++)
        snprintf(sha256_hex + 2 * i, 3, "%02x", digest[i]);
    rc = FD_OK;
out:
    if (out)
        sftp_close(out);
    if (rc != FD_OK && created && dst)
        sftp_unlink(dst, to_path); /* our own partial file, created exclusively */
    if (in)
        sftp_close(in);
    if (dst && dst != src)
        sftp_free(dst);
    if (src)
        sftp_free(src);
    EVP_MD_CTX_free(md);
    if (second != first)
        pthread_mutex_unlock(&second->lock);
    pthread_mutex_unlock(&first->lock);
    return rc;
}
