/* localexec.c: fork/exec with pipes, poll, a deadline and a process-group kill. */
#include "localexec.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static const char *signal_name(int sig)
{
    switch (sig) {
    case SIGKILL:
        return "KILL";
    case SIGTERM:
        return "TERM";
    case SIGINT:
        return "INT";
    case SIGSEGV:
        return "SEGV";
    case SIGABRT:
        return "ABRT";
    case SIGHUP:
        return "HUP";
    case SIGPIPE:
        return "PIPE";
    default:
        return "other";
    }
}

/* Starts `sh -c cmd` in a process group of its own, stdin from /dev/null, stdout and
 * stderr into the pipes, with the controller's environment plus `env`. */
static pid_t spawn(const char *cmd, char *const *env, const int out[2], const int err[2])
{
    /* Build the environment before fork: only async-signal-safe calls in the child. */
    size_t nenv = 0, nextra = 0;
    while (environ[nenv])
        nenv++;
    while (env && env[nextra])
        nextra++;
    char **envp = fd_xcalloc(nenv + nextra + 1, sizeof *envp);
    memcpy(envp, environ, nenv * sizeof *envp);
    for (size_t i = 0; i < nextra; i++)
        envp[nenv + i] = env[i];
    pid_t pid = fork();
    if (pid == 0) {
        setpgid(0, 0);
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0)
            dup2(devnull, 0);
        dup2(out[1], 1);
        dup2(err[1], 2);
        char *argv[] = {"sh", "-c", (char *)cmd, NULL};
        execve("/bin/sh", argv, envp);
        _exit(127);
    }
    free(envp);
    if (pid > 0)
        setpgid(pid, pid);
    return pid;
}

/* A started command as the controller follows it. */
typedef struct child {
    pid_t pid;
    bool killed, reaped;
    int status;
    int64_t reaped_at;
} child;

/* Reads the command's output until both pipes close, but never longer than a moment
 * after the command itself has ended: a child it left behind in another session
 * (setsid cmd &) may hold the pipes open for ever, and must not hold the run. Kills
 * the process group at the deadline or when *cancel is set. */
static void collect(child *c, int fds[2], int64_t deadline, volatile sig_atomic_t *cancel,
                    fd_buf *bo, fd_buf *be, fd_exec_result *r)
{
    struct pollfd pfd[2] = {{.fd = fds[0], .events = POLLIN}, {.fd = fds[1], .events = POLLIN}};
    int open_fds = 2;
    while (open_fds > 0) {
        int64_t now = fd_mono_us(), left = deadline - now;
        if (!c->killed && !c->reaped && (left <= 0 || (cancel && *cancel))) {
            kill(-c->pid, SIGKILL);
            c->killed = true;
            if (left <= 0)
                r->timed_out = true;
        }
        if (!c->reaped) {
            pid_t w = waitpid(c->pid, &c->status, WNOHANG);
            if (w == c->pid || (w < 0 && errno != EINTR)) {
                c->reaped = true;
                c->reaped_at = now;
            }
        }
        if (c->reaped && (now - c->reaped_at > 200000 || (cancel && *cancel) || left <= 0))
            break;
        int rc = poll(pfd, 2, 50);
        if (rc < 0 && errno != EINTR)
            break;
        for (int i = 0; i < 2; i++) {
            if (pfd[i].fd < 0 || !(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            char buf[8192];
            ssize_t n = read(pfd[i].fd, buf, sizeof buf);
            if (n > 0) {
                fd_buf_append(i == 0 ? bo : be, buf, (size_t)n);
            } else if (n == 0 || errno != EINTR) {
                close(pfd[i].fd);
                pfd[i].fd = -1;
                open_fds--;
            }
        }
    }
    for (int i = 0; i < 2; i++)
        if (pfd[i].fd >= 0)
            close(pfd[i].fd);
}

fd_err fd_local_exec(const char *cmd, char *const *env, int64_t timeout_us,
                     volatile sig_atomic_t *cancel, fd_exec_result *r)
{
    memset(r, 0, sizeof *r);
    r->exit_status = -1;
    int64_t t0 = fd_mono_us(), deadline = t0 + timeout_us;
    int out[2] = {-1, -1}, err[2] = {-1, -1};
    if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
        r->error = FD_ERR_IO;
        r->error_msg = fd_asprintf("pipe: %s", strerror(errno));
        r->out = fd_strdup("");
        r->err = fd_strdup("");
        return r->error;
    }
    child c = {.pid = spawn(cmd, env, out, err)};
    close(out[1]);
    close(err[1]);
    fd_buf bo, be;
    fd_buf_init(&bo, FD_OUTPUT_CAP);
    fd_buf_init(&be, FD_OUTPUT_CAP);
    if (c.pid < 0) {
        r->error = FD_ERR_IO;
        r->error_msg = fd_asprintf("fork: %s", strerror(errno));
        close(out[0]);
        close(err[0]);
        goto done;
    }
    int fds[2] = {out[0], err[0]};
    collect(&c, fds, deadline, cancel, &bo, &be, r);
    /* what is left of the command's process group goes with it */
    if (c.killed || r->timed_out)
        kill(-c.pid, SIGKILL);
    while (!c.reaped && waitpid(c.pid, &c.status, 0) < 0 && errno == EINTR)
        ;
    if (r->timed_out) {
        r->error = FD_ERR_TIMEOUT;
        r->error_msg = fd_asprintf("command did not finish within %.1fs", (double)timeout_us / 1e6);
    } else if (c.killed) {
        r->error = FD_ERR_COMMAND;
        r->error_msg = fd_strdup("command stopped: the run was interrupted");
    } else if (WIFEXITED(c.status)) {
        r->exit_status = WEXITSTATUS(c.status);
    } else if (WIFSIGNALED(c.status)) {
        r->signal = fd_strdup(signal_name(WTERMSIG(c.status)));
    }
done:
    r->out_truncated = bo.truncated;
    r->err_truncated = be.truncated;
    r->out = fd_buf_steal(&bo);
    r->err = fd_buf_steal(&be);
    r->duration_us = fd_mono_us() - t0;
    return r->error;
}
