/* cmd_validate.c: `firedrill validate SCENARIO...`: parse and check, touching no host. */
#include "cli.h"

#include <stdio.h>

int fd_cmd_validate(fd_cli *cli)
{
    int bad = 0;
    for (int i = 0; i < cli->nargs; i++) {
        fd_scenario s;
        fd_diags d = {0};
        fd_err e = fd_scenario_load(cli->args[i], &cli->load, &s, &d);
        if (e == FD_OK) {
            printf("%s: ok: scenario '%s', %zu hosts, %zu probes, %zu steps, %zu checks\n",
                   cli->args[i], s.name, s.inv.n, s.nprobes, s.nsteps, s.nchecks);
        } else {
            fd_diag_print(&d);
            if (d.n == 0)
                fprintf(stderr, "%s: %s\n", cli->args[i], fd_err_str(e));
            bad++;
        }
        fd_diag_clear(&d);
        fd_scenario_free(&s);
    }
    return bad ? FD_EXIT_USAGE : FD_EXIT_PASS;
}
