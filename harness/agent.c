/* agent.c: building agent invocations. Pure string work, unit-tested. */
#include "agent.h"
#include "faults.h"
#include "ssh.h"

#include <stdlib.h>
#include <string.h>

const char *fd_agent_text(const char *name)
{
    for (size_t i = 0; fd_agent_scripts[i].name; i++)
        if (strcmp(fd_agent_scripts[i].name, name) == 0)
            return fd_agent_scripts[i].text;
    return NULL;
}

void fd_agent_arg(fd_agent_call *c, const char *key, const char *value)
{
    if (value)
        fd_strv_push_owned(&c->args, fd_asprintf("%s=%s", key, value));
}

void fd_agent_arg_ratio(fd_agent_call *c, const char *key, double r)
{
    if (r >= 0)
        fd_strv_push_owned(&c->args, fd_asprintf("%s=%g%%", key, r * 100.0));
}

void fd_agent_arg_ms(fd_agent_call *c, const char *key, int64_t us)
{
    if (us >= 0)
        fd_strv_push_owned(&c->args, fd_asprintf("%s=%gms", key, (double)us / 1000.0));
}

void fd_agent_arg_peers(fd_agent_call *c, const fd_agent_ctx *ctx)
{
    fd_buf b;
    fd_buf_init(&b, FD_BUF_UNCAPPED);
    for (size_t i = 0; i < ctx->npeers; i++)
        fd_buf_printf(&b, "%s%s", i ? "," : "", ctx->peers[i]);
    fd_strv_push_owned(&c->args, fd_asprintf("peers=%s", b.data ? b.data : ""));
    fd_buf_free(&b);
}

char *fd_agent_check_input(const char *action, const char *const *args, size_t nargs)
{
    fd_buf b;
    fd_buf_init(&b, FD_BUF_UNCAPPED);
    fd_buf_puts(&b, "set -- ");
    fd_buf_shell_quote(&b, action);
    for (size_t i = 0; i < nargs; i++) {
        fd_buf_puts(&b, " ");
        fd_buf_shell_quote(&b, args[i]);
    }
    fd_buf_puts(&b, "\n");
    fd_buf_puts(&b, fd_agent_text("check"));
    return fd_buf_steal(&b);
}

void fd_agent_build(const fd_fault *f, const char *fault_id, const fd_agent_ctx *ctx,
                    fd_agent_call *call)
{
    memset(call, 0, sizeof *call);
    fd_fault_family_of(f->type)->build(f, ctx, call);
    /* the agent's own deadline for what it runs: past it, it kills the process group
     * and undoes the fault (the controller waits a little longer than this) */
    fd_strv_push_owned(&call->args,
                       fd_asprintf("deadline=%lld", (long long)fd_us_to_s_ceil(f->timeout_us)));
}

void fd_agent_call_free(fd_agent_call *call)
{
    if (!call)
        return;
    fd_strv_free(&call->args);
}

char *fd_agent_command(const fd_agent_call *call, const fd_host *h, const char *action,
                       const char *run_id, const char *fault_id)
{
    fd_buf b;
    fd_buf_init(&b, FD_BUF_UNCAPPED);
    if (strcmp(action, "revert") == 0) {
        /* Reverting runs the script the apply recorded on the host: the same one the
         * watchdog and `firedrill heal` run, and a no-op when nothing is recorded. */
        char *path = fd_asprintf("/run/firedrill/%s/%s.revert", run_id, fault_id);
        char *q = fd_shell_quote(path);
        char *inner = fd_asprintf("[ ! -f %s ] || sh %s", q, q);
        if (h->sudo) {
            fd_buf_puts(&b, "sudo -n sh -c ");
            fd_buf_shell_quote(&b, inner);
        } else {
            fd_buf_puts(&b, inner);
        }
        free(inner);
        free(q);
        free(path);
        return fd_buf_steal(&b);
    }
    /* SSH_CONNECTION tells the agent the controller's address and SSH port as the
     * host sees them, so partitions can exempt exactly that connection; it is
     * passed explicitly because sudo resets the environment. The agent's arguments
     * are on stdin (fd_agent_input), never here: a command line shows in `ps`. */
    fd_buf_puts(&b, "FD_SSH_CONNECTION=\"$SSH_CONNECTION\" ");
    fd_buf_host_vars(&b, h);
    fd_buf_puts(&b, " ");
    if (h->sudo)
        fd_buf_puts(&b, "sudo -n --preserve-env=FD_SSH_CONNECTION,FD_HOST_NAME,FD_HOST_ADDRESS,"
                        "FD_HOST_DATACENTER ");
    fd_buf_printf(&b, "sh -s # agents/%s.sh", call->script);
    return fd_buf_steal(&b);
}

/* Starts an agent's arguments' line: `FD_CONTROLLER=..; set -- ACTION [RUN]`. */
static void args_start(fd_buf *b, const char *controller, const char *action, const char *run_id)
{
    fd_buf_init(b, FD_BUF_UNCAPPED);
    fd_buf_puts(b, "FD_CONTROLLER=");
    fd_buf_shell_quote(b, controller ? controller : "unknown");
    fd_buf_puts(b, "; set -- ");
    fd_buf_shell_quote(b, action);
    if (run_id) {
        fd_buf_puts(b, " ");
        fd_buf_shell_quote(b, run_id);
    }
}

char *fd_agent_args(const fd_agent_call *call, const char *action, const char *run_id,
                    const char *fault_id, int64_t ttl_us, const char *controller)
{
    fd_buf b;
    args_start(&b, controller, action, run_id);
    fd_buf_puts(&b, " ");
    fd_buf_shell_quote(&b, fault_id);
    fd_buf_printf(&b, " %lld", (long long)fd_us_to_s_ceil(ttl_us));
    for (size_t i = 0; i < call->args.n; i++) {
        fd_buf_puts(&b, " ");
        fd_buf_shell_quote(&b, call->args.v[i]);
    }
    return fd_buf_steal(&b);
}

char *fd_agent_input(const fd_agent_call *call, const char *action, const char *run_id,
                     const char *fault_id, int64_t ttl_us, const char *controller)
{
    const char *lib = fd_agent_text("lib");
    const char *fam = fd_agent_text(call->script);
    char *args = fd_agent_args(call, action, run_id, fault_id, ttl_us, controller);
    char *in = fd_asprintf("%s\n%s\n%s\n", args, lib ? lib : "", fam ? fam : "");
    free(args);
    return in;
}

char *fd_agent_guard_command(const fd_host *h, const char *action)
{
    return fd_asprintf("%ssh -s # firedrill %s", h->sudo ? "sudo -n " : "", action);
}

char *fd_agent_guard_input(const char *action, const char *run_id, int64_t ttl_s,
                           const char *const *kv, size_t nkv, const char *controller)
{
    fd_buf b;
    args_start(&b, controller, action, run_id);
    if (ttl_s >= 0)
        fd_buf_printf(&b, " %lld", (long long)ttl_s);
    for (size_t i = 0; i < nkv; i++) {
        fd_buf_puts(&b, " ");
        fd_buf_shell_quote(&b, kv[i]);
    }
    fd_buf_printf(&b, "\n%s\n", fd_agent_text("lib"));
    return fd_buf_steal(&b);
}

char *fd_agent_heal_command(const fd_host *h, const char *run_id)
{
    char *dir = run_id ? fd_shell_quote(run_id) : fd_strdup("*");
    char *loop = fd_asprintf("for f in /run/firedrill/%s/*.revert; do [ -f \"$f\" ] && sh \"$f\"; "
                             "done",
                             dir);
    char *qloop = fd_shell_quote(loop);
    char *inner = h->sudo ? fd_asprintf("sudo -n sh -c %s", qloop) : fd_strdup(loop);
    free(qloop);
    fd_buf b;
    fd_buf_init(&b, FD_BUF_UNCAPPED);
    fd_buf_puts(&b, "ssh ");
    if (h->port && h->port != 22)
        fd_buf_printf(&b, "-p %d ", h->port);
    fd_buf_printf(&b, "%s%s%s ", h->user ? h->user : "", h->user ? "@" : "", h->address);
    fd_buf_shell_quote(&b, inner);
    free(dir);
    free(loop);
    free(inner);
    return fd_buf_steal(&b);
}
