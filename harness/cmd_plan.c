/* cmd_plan.c: `firedrill plan SCENARIO`: the exact commands of every step, touching nothing. */
#include "cli.h"
#include "plan.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>

int fd_cmd_plan(fd_cli *cli)
{
    fd_scenario s;
    int rc = fd_cli_load(cli, cli->args[0], &s, NULL);
    if (rc == 0) {
        char *run_id = fd_run_id_new(s.name, fd_unix_now());
        fd_plan_print(stdout, &s, run_id, cli->seed);
        free(run_id);
    }
    fd_scenario_free(&s);
    return rc;
}
