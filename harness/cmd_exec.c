/* cmd_exec.c: `firedrill exec SCENARIO_OR_INVENTORY [selector] [--repeat N] -- COMMAND`:
 * runs one command on the selected hosts (all by default) at once, over the same
 * sessions firedrill uses for faults. With --repeat, the command runs again on the
 * already-open sessions and the rounds are timed: the first round connects,
 * authenticates and runs, the others only run (how faults are applied in a drill). */
#include "cli.h"
#include "plan.h"
#include "selector.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Prints what one host's command said. Returns 0 when it exited 0, else 1. */
static int print_result(const fd_host *h, const fd_exec_result *er, bool quiet)
{
    if (er->error != FD_OK) {
        printf("%s: FAILED: %s\n", h->name, er->error_msg);
        return 1;
    }
    if (quiet)
        return er->exit_status != 0;
    const char *srcs[2] = {er->out, er->err};
    for (int k = 0; k < 2; k++) {
        const char *p = srcs[k];
        for (char *line; (line = fd_next_line(&p)); free(line)) {
            char *shown = fd_printable(line, 400);
            printf("%s%s: %s\n", h->name, k ? " (stderr)" : "", shown);
            free(shown);
        }
    }
    printf("%s: exit %d%s\n", h->name, er->exit_status, er->signal ? " (killed by a signal)" : "");
    return er->exit_status != 0;
}

/* The summary line: counts, the first round's time, the open sessions' rounds. */
static void print_summary(size_t n, size_t failed, size_t unreachable, double *secs, int rounds)
{
    printf("%zu hosts: %zu ok, %zu failed, %zu unreachable; round 1 (connect, authenticate, run) "
           "%.3fs",
           n, n - failed - unreachable, failed, unreachable, secs[0]);
    if (rounds > 1) {
        qsort(secs + 1, (size_t)rounds - 1, sizeof *secs, cmp_double);
        printf("; rounds 2-%d on the open sessions: median %.4fs, min %.4fs, max %.4fs", rounds,
               secs[1 + (rounds - 1) / 2], secs[1], secs[rounds - 1]);
    }
    printf("\n");
}

int fd_cmd_exec(fd_cli *cli)
{
    if (cli->nargs < 2) {
        fprintf(stderr, "firedrill exec: no command given (firedrill exec INVENTORY -- COMMAND)\n");
        return FD_EXIT_USAGE;
    }
    fd_scenario s;
    bool is_scenario;
    int rc = fd_cli_load(cli, cli->args[0], &s, &is_scenario);
    if (rc)
        return rc;
    fd_buf cmd;
    fd_buf_init(&cmd, 1 << 20);
    for (int i = 1; i < cli->nargs; i++)
        fd_buf_printf(&cmd, "%s%s", i > 1 ? " " : "", cli->args[i]);
    fd_pool pool;
    fd_ssh_opts o = {.accept_new_host_keys = cli->accept_new_host_keys};
    fd_pool_init(&pool, &s.inv, &o);
    fd_selector *sel = &cli->select;
    size_t *hosts = fd_xcalloc(s.inv.n, sizeof *hosts);
    size_t n;
    char *run_id = fd_run_id_new(is_scenario ? s.name : "exec", fd_unix_now());
    if (sel->hosts.n || sel->role || sel->datacenter || sel->where) {
        sel->set = true;
        n = fd_selector_resolve(sel, &pool, run_id, cli->seed, hosts, NULL, NULL);
    } else {
        for (n = 0; n < s.inv.n; n++)
            hosts[n] = n;
    }
    int rounds = cli->repeat > 0 ? cli->repeat : 1;
    char **cmds = fd_xcalloc(n ? n : 1, sizeof *cmds);
    for (size_t i = 0; i < n; i++)
        cmds[i] = fd_host_command(&s.inv.hosts[hosts[i]], run_id, cmd.data, false);
    fd_exec_result *res = fd_xcalloc(n ? n : 1, sizeof *res);
    bool *ran = fd_xcalloc(n ? n : 1, sizeof *ran);
    double *secs = fd_xcalloc((size_t)rounds, sizeof *secs);
    for (int k = 0; k < rounds; k++) {
        for (size_t i = 0; i < n; i++)
            fd_exec_result_free(&res[i]);
        int64_t t0 = fd_mono_us();
        fd_pool_exec_each(&pool, hosts, n, cmds, NULL, 600000000, res, ran);
        secs[k] = (double)(fd_mono_us() - t0) / 1e6;
    }
    size_t failed = 0, unreachable = 0;
    for (size_t i = 0; i < n; i++) {
        const fd_host *h = &s.inv.hosts[hosts[i]];
        if (!ran[i]) {
            const char *why = pool.conns[hosts[i]].error;
            char *e = fd_printable(why ? why : "?", 400); /* may quote what the server sent */
            printf("%s: UNREACHABLE: %s\n", h->name, e);
            free(e);
            unreachable++;
            continue;
        }
        failed += (size_t)print_result(h, &res[i], cli->quiet);
    }
    print_summary(n, failed, unreachable, secs, rounds);
    for (size_t i = 0; i < n; i++) {
        fd_exec_result_free(&res[i]);
        free(cmds[i]);
    }
    free(cmds);
    free(res);
    free(ran);
    free(secs);
    free(hosts);
    free(run_id);
    fd_buf_free(&cmd);
    fd_pool_free(&pool);
    fd_scenario_free(&s);
    if (unreachable)
        return FD_EXIT_INFRA;
    return failed ? FD_EXIT_FAIL : FD_EXIT_PASS;
}
