/* cmd_halt.c: `firedrill halt SCENARIO_OR_INVENTORY --reason TEXT` (or `--clear`): the
 * fleet-wide stop for when a real incident starts. Every host gets a halt marker
 * (lib.sh's halt): agents refuse new faults while it is there, and every running drill
 * that leases the host sees it within a second (lease.h), aborts and heals. */
#include "agent.h"
#include "cli.h"
#include "control.h"
#include "ssh.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Prints one host's answer; returns false when the agent failed there. */
static bool report_host(const fd_host *h, const fd_exec_result *er, bool clear)
{
    if (er->error != FD_OK || er->exit_status != 0) {
        char *e = fd_printable(er->error != FD_OK ? er->error_msg
                               : er->err[0]       ? er->err
                                                  : er->out,
                               300);
        printf("%s: FAILED: %s\n", h->name, e);
        free(e);
        return false;
    }
    const char *p = er->out;
    fd_buf runs;
    fd_buf_init(&runs, 8192);
    const char *state = clear ? "not halted" : "halted";
    for (char *line; (line = fd_next_line(&p)); free(line)) {
        if (fd_str_starts(line, "run: ")) {
            char *q = fd_printable(line + 5, 300);
            fd_buf_printf(&runs, "%s%s", runs.len ? "; " : "", q);
            free(q);
        } else if (clear && fd_str_starts(line, "cleared: ")) {
            state = "cleared";
        }
    }
    if (runs.len)
        printf("%s: %s; drills holding it, which stop now: %s\n", h->name, state, runs.data);
    else
        printf("%s: %s\n", h->name, state);
    fd_buf_free(&runs);
    return true;
}

/* One of --reason TEXT and --clear, not both. */
static bool usage_ok(const fd_cli *cli)
{
    if (!cli->clear != !(cli->reason && *cli->reason))
        return true;
    fprintf(stderr, "firedrill halt: give --reason TEXT (why every drill must stop) or --clear\n");
    return false;
}

int fd_cmd_halt(fd_cli *cli)
{
    if (!usage_ok(cli))
        return FD_EXIT_USAGE;
    fd_scenario s;
    bool is_scenario;
    int rc = fd_cli_load(cli, cli->args[0], &s, &is_scenario);
    if (rc)
        return rc;
    char *user = fd_control_user(NULL), *self = fd_controller_identity();
    char *by = fd_asprintf("by=%s (%s)", user, self);
    char *reason = cli->clear ? NULL : fd_asprintf("reason=%s", cli->reason);
    const char *kv[] = {by, reason};
    char *input = fd_agent_guard_input(cli->clear ? "unhalt" : "halt", NULL, -1, kv,
                                       cli->clear ? 1 : 2, self);
    fd_pool pool;
    fd_ssh_opts o = {.accept_new_host_keys = cli->accept_new_host_keys};
    fd_pool_init(&pool, &s.inv, &o);
    size_t *hosts = fd_xcalloc(s.inv.n + 1, sizeof *hosts);
    char **cmds = fd_xcalloc(s.inv.n + 1, sizeof *cmds);
    for (size_t i = 0; i < s.inv.n; i++) {
        hosts[i] = i;
        cmds[i] = fd_agent_guard_command(&s.inv.hosts[i], cli->clear ? "unhalt" : "halt");
    }
    fd_exec_result *res = fd_xcalloc(s.inv.n + 1, sizeof *res);
    bool *ran = fd_xcalloc(s.inv.n + 1, sizeof *ran);
    fd_pool_exec_each(&pool, hosts, s.inv.n, cmds, input, 60000000, res, ran);
    size_t done = 0, failed = 0;
    fd_buf missed;
    fd_buf_init(&missed, 0);
    for (size_t i = 0; i < s.inv.n; i++) {
        const fd_host *h = &s.inv.hosts[i];
        bool ok = false;
        if (!ran[i]) {
            char *e =
                fd_printable(pool.conns[i].error ? pool.conns[i].error : "not connected", 400);
            printf("%s: UNREACHABLE: %s\n", h->name, e);
            free(e);
        } else {
            ok = report_host(h, &res[i], cli->clear);
            fd_exec_result_free(&res[i]);
        }
        done += ok;
        failed += !ok;
        if (!ok)
            fd_buf_printf(&missed, "%s%s", missed.len ? ", " : "", h->name);
        free(cmds[i]);
    }
    printf("%s %zu of %zu host%s%s%s\n", cli->clear ? "halt cleared on" : "halted", done, s.inv.n,
           s.inv.n == 1 ? "" : "s", failed ? "; NOT on: " : "", failed ? missed.data : "");
    fd_buf_free(&missed);
    free(cmds);
    free(hosts);
    free(res);
    free(ran);
    free(input);
    free(reason);
    free(by);
    free(self);
    free(user);
    fd_pool_free(&pool);
    fd_scenario_free(&s);
    return failed ? FD_EXIT_INFRA : FD_EXIT_PASS;
}
