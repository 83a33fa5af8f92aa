/* cmd_run.c: `firedrill run SCENARIO`: a whole drill. */
#include "cli.h"
#include "plan.h"
#include "run.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void on_signal(int sig)
{
    static const char again[] = "\nfiredrill: still healing; it exits once every fault is "
                                "reverted (a host's watchdog reverts it at its ttl otherwise)\n";
    if (fd_run_signal) {
        ssize_t w = write(2, again, sizeof again - 1);
        (void)w;
        return;
    }
    fd_run_signal = sig;
}

int fd_cmd_run(fd_cli *cli)
{
    fd_scenario s;
    int rc = fd_cli_load(cli, cli->args[0], &s, NULL);
    if (rc)
        return rc;
    if (cli->dry_run) {
        char *run_id = fd_run_id_new(s.name, fd_unix_now());
        fd_plan_print(stdout, &s, run_id, cli->seed);
        free(run_id);
        fd_scenario_free(&s);
        return FD_EXIT_PASS;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    /* every way a controller is told to stop, a dropped terminal or SSH session (HUP)
     * among them, stops the run and heals before exiting */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGQUIT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    fd_run r;
    rc = fd_run_execute(&r, &s, cli);
    fd_run_free(&r);
    fd_scenario_free(&s);
    return rc;
}
