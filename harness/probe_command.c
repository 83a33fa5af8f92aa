/* probe_command.c: the command probe: exit status 0 is ok. On the controller, or over
 * the target host's SSH session (the first host its selector matches). */
#include "localexec.h"
#include "faults.h"
#include "probe.h"
#include "selector.h"

#include <stdlib.h>
#include <string.h>

struct fd_probe_client {
    const fd_probe *p;
    fd_conn *conn; /* NULL: on the controller */
    char *cmd;
};

static fd_probe_client *command_open(const fd_probe *p, const fd_probe_env *env)
{
    fd_probe_client *c = fd_xcalloc(1, sizeof *c);
    c->p = p;
    if (p->target.set && env->pool) {
        size_t *idx = fd_xcalloc(env->s->inv.n + 1, sizeof *idx);
        size_t n = fd_selector_match(&p->target, &env->s->inv, idx);
        if (n) {
            c->conn = &env->pool->conns[idx[0]];
            c->cmd = fd_host_command(c->conn->host, env->run_id, p->command, false);
        }
        free(idx);
    }
    if (!c->cmd)
        c->cmd = fd_strdup(p->command);
    return c;
}

static fd_outcome command_op(fd_probe_client *c, const char *value, int64_t deadline_us,
                             char **error)
{
    fd_exec_result r;
    int64_t left = deadline_us - fd_mono_us();
    if (c->conn)
        fd_conn_exec(c->conn, c->cmd, NULL, left > 0 ? left : 1000, &r);
    else
        fd_local_exec(c->cmd, NULL, left > 0 ? left : 1000, NULL, &r);
    fd_outcome o;
    if (r.error == FD_ERR_TIMEOUT) {
        o = FD_OUT_UNKNOWN;
        *error = fd_strdup(r.error_msg);
    } else if (r.error != FD_OK) {
        o = FD_OUT_FAIL;
        *error = fd_strdup(r.error_msg);
    } else if (r.exit_status != 0) {
        o = FD_OUT_FAIL;
        char *e = fd_printable(r.err[0] ? r.err : r.out, 200);
        *error = fd_asprintf("exit %d: %s", r.exit_status, e);
        free(e);
    } else {
        o = FD_OUT_OK;
    }
    fd_exec_result_free(&r);
    return o;
}

static bool command_read_back(fd_probe_client *c, int64_t deadline_us, fd_strv *values,
                              char **error)
{
    *error = fd_strdup("command probes do not write");
    return false;
}

static void command_close(fd_probe_client *c)
{
    free(c->cmd);
    free(c);
}

/* command: the command, and where it runs. */
static void command_read(const fd_probe_reader *rd, const fd_ynode *m, fd_probe *p)
{
    fd_yt *t = rd->t;
    const char *what = rd->what;
    fd_yt_str(t, m, "command", true, what, &p->command);
    fd_scenario_read_selector(t, fd_ymap_get(m, "target"), "target", &p->target);
}

static const char *const command_keys[] = {"command", "target", NULL};

const fd_probe_type_ops fd_probe_command_ops = {
    .type = FD_PROBE_COMMAND,
    .keys = command_keys,
    .read = command_read,
    .writes = false,
    .open = command_open,
    .op = command_op,
    .read_back = command_read_back,
    .close = command_close,
};
