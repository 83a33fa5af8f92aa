/* cmd_heal.c: `firedrill heal SCENARIO_OR_INVENTORY [--run ID]`: revert every fault
 * firedrill recorded on the hosts, even those of a run whose controller died, and clear
 * those runs' leases (lease.h). */
#include "agent.h"
#include "cli.h"
#include "ssh.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Prints what the heal agent did on one host (its lines go through the printable
 * filter: host output) and adds to the counts. */
static void report_host(const fd_host *h, const fd_exec_result *er, const char *run_id,
                        size_t *healed, size_t *failed)
{
    size_t host_healed = 0, host_failed = 0;
    if (er->error != FD_OK) {
        char *e = fd_printable(er->error_msg, 300);
        printf("%s: FAILED: %s\n", h->name, e);
        free(e);
        (*failed)++;
        return;
    }
    const char *p = er->out;
    for (char *line; (line = fd_next_line(&p)); free(line)) {
        if (fd_str_starts(line, "healed: ")) {
            char *q = fd_printable(line + 8, 300);
            printf("%s: healed %s\n", h->name, q);
            free(q);
            host_healed++;
        } else if (fd_str_starts(line, "lease cleared: ")) {
            char *q = fd_printable(line + 15, 300);
            printf("%s: cleared the lease of run %s\n", h->name, q);
            free(q);
        } else if (fd_str_starts(line, "failed: ")) {
            char *q = fd_printable(line + 8, 400);
            char *manual = fd_agent_heal_command(h, run_id);
            printf("%s: FAILED to heal %s; by hand: %s\n", h->name, q, manual);
            free(manual);
            free(q);
            host_failed++;
        }
    }
    if (er->exit_status != 0 && host_failed == 0) {
        /* the agent did not run (no sudo, no sh) or died: said for this host */
        char *e = fd_printable(er->err[0] ? er->err : er->out, 300);
        printf("%s: FAILED: the heal agent exited %d: %s\n", h->name, er->exit_status, e);
        free(e);
        host_failed++;
    } else if (host_healed == 0 && host_failed == 0) {
        printf("%s: nothing recorded%s%s\n", h->name, run_id ? " for run " : "",
               run_id ? run_id : "");
    }
    *healed += host_healed;
    *failed += host_failed;
}

int fd_cmd_heal(fd_cli *cli)
{
    fd_scenario s;
    bool is_scenario;
    int rc = fd_cli_load(cli, cli->args[0], &s, &is_scenario);
    if (rc)
        return rc;
    const char *run = cli->run_id ? cli->run_id : "all";
    for (const char *p = run; *p; p++) {
        if (!(strchr("-_.", *p) || (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
              (*p >= 'A' && *p <= 'Z'))) {
            fprintf(stderr, "firedrill heal: '%s' is not a run id\n", run);
            fd_scenario_free(&s);
            return FD_EXIT_USAGE;
        }
    }
    fd_pool pool;
    fd_ssh_opts o = {.accept_new_host_keys = cli->accept_new_host_keys};
    fd_pool_init(&pool, &s.inv, &o);
    /* the heal agent: lib.sh on stdin, run under sudo -n where the host asks for it */
    size_t *hosts = fd_xcalloc(s.inv.n, sizeof *hosts);
    char **cmds = fd_xcalloc(s.inv.n, sizeof *cmds);
    char *qrun = fd_shell_quote(run);
    for (size_t i = 0; i < s.inv.n; i++) {
        hosts[i] = i;
        cmds[i] = fd_asprintf("%ssh -s -- heal %s", s.inv.hosts[i].sudo ? "sudo -n " : "", qrun);
    }
    free(qrun);
    fd_exec_result *res = fd_xcalloc(s.inv.n, sizeof *res);
    bool *ran = fd_xcalloc(s.inv.n, sizeof *ran);
    fd_pool_exec_each(&pool, hosts, s.inv.n, cmds, fd_agent_text("lib"), 120000000, res, ran);
    size_t healed = 0, failed = 0, unreachable = 0;
    for (size_t i = 0; i < s.inv.n; i++) {
        const fd_host *h = &s.inv.hosts[i];
        if (!ran[i]) {
            char *e = fd_printable(pool.conns[i].error ? pool.conns[i].error : "not connected",
                                   400); /* may quote what the server sent */
            printf("%s: UNREACHABLE: %s\n", h->name, e);
            free(e);
            unreachable++;
            continue;
        }
        report_host(h, &res[i], cli->run_id, &healed, &failed);
        fd_exec_result_free(&res[i]);
    }
    printf("%zu fault record%s healed, %zu failed, %zu host%s unreachable\n", healed,
           healed == 1 ? "" : "s", failed, unreachable, unreachable == 1 ? "" : "s");
    for (size_t i = 0; i < s.inv.n; i++)
        free(cmds[i]);
    free(cmds);
    free(hosts);
    free(res);
    free(ran);
    fd_pool_free(&pool);
    fd_scenario_free(&s);
    if (failed)
        return FD_EXIT_HEAL_FAILED;
    return unreachable ? FD_EXIT_INFRA : FD_EXIT_PASS;
}
