/* ssh.h: one libssh session per host, kept open for a whole run and reused for
 * every command.
 *
 * Host keys are verified strictly against the host's known_hosts: an unknown key
 * is refused unless accept_new_host_keys, a changed key always. Every blocking
 * call is bounded (connect timeout, per-command timeout). A connection is used by
 * one thread at a time (its mutex); different hosts run in parallel. */
#ifndef FD_SSH_H
#define FD_SSH_H

#include "diag.h"
#include "inventory.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define FD_OUTPUT_CAP ((size_t)256 << 10)

struct fd_transport;

typedef struct fd_ssh_opts {
    bool accept_new_host_keys;
    const struct fd_transport *transport; /* NULL: SSH (libssh); else see fd_transport */
} fd_ssh_opts;

typedef struct fd_exec_result {
    int exit_status; /* -1 when killed by a signal or unknown */
    char *signal;    /* the signal name when the remote process was killed */
    bool timed_out;
    char *out, *err; /* NUL-terminated, capped at FD_OUTPUT_CAP each */
    bool out_truncated, err_truncated;
    int64_t duration_us;
    fd_err error; /* FD_OK when the command ran (whatever its status) */
    char *error_msg;
    bool unsent; /* no channel could be opened: the command surely did not start */
} fd_exec_result;

typedef struct fd_conn {
    const fd_host *host;
    void *session; /* ssh_session */
    pthread_mutex_t lock;
    pthread_mutex_t open_lock; /* heal connections: serialises (re)connecting */
    bool connected;
    fd_err status; /* of the last connect */
    char *error;   /* why the last connect failed */
    char *hostkey; /* e.g. "ssh-ed25519 SHA256:..." once verified */
    char *user;    /* the user authenticated as */
    char *auth_method;
    int64_t connect_us;
    const struct fd_transport *transport; /* NULL: the libssh session above */
} fd_conn;

/* Another way to reach hosts than SSH, for the engine's unit tests (a fake that records
 * the commands and answers as a host would). open says whether host h is reachable;
 * exec runs one command with the connection's lock held and fills r as fd_conn_exec
 * does (out and err may stay NULL: they become ""). SFTP is not offered. */
typedef struct fd_transport {
    fd_err (*open)(const fd_host *h, void *arg);
    void (*exec)(const fd_host *h, const char *cmd, const char *input, int64_t timeout_us,
                 fd_exec_result *r, void *arg);
    void *arg;
} fd_transport;

void fd_ssh_global_init(void);

/* Connects, verifies the host key and authenticates. On failure, c->status and
 * c->error say why and the connection is closed. */
fd_err fd_conn_open(fd_conn *c, const fd_host *h, const fd_ssh_opts *o);
/* Runs cmd through the host's login shell. input (may be NULL) is sent on stdin.
 * Always fills r (free with fd_exec_result_free); returns r->error. */
fd_err fd_conn_exec(fd_conn *c, const char *cmd, const char *input, int64_t timeout_us,
                    fd_exec_result *r);
/* fd_conn_exec that also ends (the remote command sent SIGKILL, error FD_ERR_TIMEOUT)
 * within 0.2 s of *stop becoming true once the command has written to stdout, or a
 * connect timeout after *stop when it has not: what a command does before its first
 * line (a watch renewing its lease) is never cut short where the host answers. */
fd_err fd_conn_exec_stoppable(fd_conn *c, const char *cmd, const char *input, int64_t timeout_us,
                              const atomic_bool *stop, fd_exec_result *r);
void fd_conn_close(fd_conn *c);
void fd_exec_result_free(fd_exec_result *r);

/* Copies a file from one host to another over SFTP, streamed through the controller
 * in fixed 256 KiB chunks (memory does not grow with the file). The destination is
 * created exclusively, with the source's permission bits: an existing file is never
 * overwritten; a partial copy left by a failure is removed. Fills the sha256 (64 hex digits) of the
 * bytes copied and the byte count. Returns FD_OK or an error with *err (caller frees). */
fd_err fd_sftp_copy(fd_conn *from, const char *from_path, fd_conn *to, const char *to_path,
                    char sha256_hex[65], uint64_t *bytes, char **err);

/* A pool: one connection per inventory host. */
typedef struct fd_pool {
    const fd_inventory *inv;
    fd_conn *conns;
    fd_conn *heal_conns;   /* a second connection per host, only for heals */
    fd_conn *verify_conns; /* a third, opened by a network cut's verifier when needed */
    size_t n;
    fd_ssh_opts opts;
} fd_pool;

void fd_pool_init(fd_pool *p, const fd_inventory *inv, const fd_ssh_opts *o);
/* Connects to the given hosts (all when idx is NULL) concurrently. Returns the
 * number that failed. */
size_t fd_pool_connect(fd_pool *p, const size_t *idx, size_t n);
/* Connects to inventory host `host` unless it is connected already. */
fd_err fd_pool_ensure(fd_pool *p, size_t host);
/* The host's heal connection, connected unless it is already: heals run on it so
 * that they never wait behind another command on the host's main connection. Check
 * ->connected (->error says why not). */
fd_conn *fd_pool_ensure_heal(fd_pool *p, size_t host);
/* The same for the connection a network cut's verification uses: its reach tests wait
 * seconds for an answer that a cut must not give, and would otherwise hold the host's
 * connection (and the next fault's apply there) that long. */
fd_conn *fd_pool_ensure_verify(fd_pool *p, size_t host);
/* Runs cmds[i] on hosts[i] for i in [0, n) at once, connecting where needed, with
 * input (may be NULL) on stdin. ran[i] is false when the host could not be reached
 * (its connection's error says why); res[i] is filled when it ran (free each). */
void fd_pool_exec_each(fd_pool *p, const size_t *hosts, size_t n, char *const *cmds,
                       const char *input, int64_t timeout_us, fd_exec_result *res, bool *ran);
void fd_pool_free(fd_pool *p);

/* Appends `FD_HOST_NAME=.. FD_HOST_ADDRESS=.. FD_HOST_DATACENTER=..` for host h, every
 * value shell-quoted: the variables every command and agent on a host sees. */
void fd_buf_host_vars(fd_buf *b, const fd_host *h);

/* True when `cmd` is one program with plain arguments that every POSIX-family shell
 * runs the same way (see ssh.c): fd_host_command then runs it without starting sh. */
bool fd_plain_command(const char *cmd);

/* Builds the command line that runs `cmd` as sh would on host h with the FD_HOST_*
 * and FD_RUN_ID variables set (and sudo -n when the host asks for it). Caller frees. */
char *fd_host_command(const fd_host *h, const char *run_id, const char *cmd, bool privileged);

#endif
