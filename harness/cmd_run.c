/* cmd_run.c: `firedrill run SCENARIO`: a whole drill. */
#include "cli.h"
#include "plan.h"
#include "metrics_out.h"
#include "run.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* True when the inventory is the local lab's: the file tests/lab/lab wrote, next to
 * the marker it keeps in its directory. */
static bool inventory_is_lab(const fd_scenario *s)
{
    const char *file = s->inv.file;
    if (!file)
        return false;
    char *dir = fd_path_dir(file);
    char *marker = fd_asprintf("%s/.firedrill-lab", dir);
    const char *base = strrchr(file, '/');
    bool lab = access(marker, F_OK) == 0 && strcmp(base ? base + 1 : file, "inventory.yaml") == 0;
    free(marker);
    free(dir);
    return lab;
}

/* Faults on hosts that are not the lab need --yes, or the scenario's name typed at a
 * prompt. Returns false when the run must not go on. */
static bool confirm_targets(const fd_scenario *s, const fd_cli *cli)
{
    bool faults = false;
    for (size_t i = 0; i < s->nsteps; i++)
        faults |= s->steps[i].kind == FD_STEP_FAULT;
    if (!faults || cli->yes || inventory_is_lab(s))
        return true;
    if (!isatty(STDIN_FILENO)) {
        fprintf(stderr,
                "firedrill run: '%s' injects faults into %zu hosts of %s, which is not the local "
                "lab; run with --yes to confirm (nothing was touched)\n",
                s->name, s->inv.n, s->inv.file);
        return false;
    }
    fprintf(stderr, "This drill injects faults into %zu hosts of %s:", s->inv.n, s->inv.file);
    for (size_t i = 0; i < s->inv.n && i < 10; i++)
        fprintf(stderr, " %s", s->inv.hosts[i].name);
    fprintf(stderr, "%s\nType the scenario name (%s) to go on: ", s->inv.n > 10 ? " ..." : "",
            s->name);
    char line[128] = "";
    if (!fgets(line, sizeof line, stdin))
        return false;
    line[strcspn(line, "\r\n")] = '\0';
    if (strcmp(line, s->name) != 0) {
        fprintf(stderr, "firedrill run: not confirmed; nothing was touched\n");
        return false;
    }
    return true;
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
    char *err = NULL;
    if (cli->metrics_file && !fd_metrics_file_ok(cli->metrics_file, &err)) {
        fprintf(stderr, "firedrill run: %s; nothing was touched\n", err);
        free(err);
        fd_scenario_free(&s);
        return FD_EXIT_USAGE;
    }
    if (!confirm_targets(&s, cli)) {
        fd_scenario_free(&s);
        return FD_EXIT_USAGE;
    }
    fd_run_opts o = {.seed = cli->seed,
                     .report_dir = cli->report_dir,
                     .quiet = cli->quiet,
                     .json = cli->json,
                     .accept_new_host_keys = cli->accept_new_host_keys,
                     .auto_ack = cli->auto_ack,
                     .allow_overlap = cli->allow_overlap,
                     .metrics_file = cli->metrics_file};
    fd_run r;
    rc = fd_run_execute(&r, &s, &o);
    fd_run_free(&r);
    fd_scenario_free(&s);
    return rc;
}
