/* cli.c: helpers shared by the commands. */
#include "cli.h"

#include <stdio.h>

int fd_cli_load(fd_cli *cli, const char *path, fd_scenario *s, bool *is_scenario)
{
    fd_diags d = {0};
    fd_err e = is_scenario ? fd_load_scenario_or_inventory(path, &cli->load, s, is_scenario, &d)
                           : fd_scenario_load(path, &cli->load, s, &d);
    if (e != FD_OK) {
        fd_diag_print(&d);
        if (d.n == 0)
            fprintf(stderr, "%s: %s\n", path, fd_err_str(e));
        fd_diag_clear(&d);
        fd_scenario_free(s);
        return FD_EXIT_USAGE;
    }
    fd_diag_clear(&d);
    return 0;
}
