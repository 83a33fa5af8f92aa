/* cmd_ack.c: `firedrill ack [RUN]` and `firedrill note [RUN] TEXT`: other terminals of
 * the controller machine talking to a running drill through its control directory. */
#include "cli.h"
#include "control.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The run's control directory: RUN's, or the only one running (with the file `must`, for
 * ack: the one holding). NULL when there is not exactly one (said). */
static char *pick_run(const char *cmd, const char *run_id, const char *must)
{
    char *err = NULL;
    if (run_id) {
        char *dir = fd_control_find(run_id, &err);
        if (!dir) {
            fprintf(stderr, "firedrill %s: %s\n", cmd, err);
            free(err);
        }
        return dir;
    }
    fd_strv runs = {0};
    fd_control_runs(must, &runs);
    char *dir = NULL;
    if (runs.n == 1) {
        dir = fd_control_find(runs.v[0], &err);
        free(err);
    } else if (runs.n == 0) {
        fprintf(stderr, "firedrill %s: no drill on this machine %s\n", cmd,
                must ? "is waiting at a hold" : "is running");
    } else {
        fprintf(stderr, "firedrill %s: %zu drills %s; name one:", cmd, runs.n,
                must ? "are waiting at a hold" : "are running");
        for (size_t i = 0; i < runs.n; i++)
            fprintf(stderr, " %s", runs.v[i]);
        fprintf(stderr, "\n");
    }
    fd_strv_free(&runs);
    return dir;
}

int fd_cmd_ack(fd_cli *cli)
{
    char *dir = pick_run("ack", cli->nargs ? cli->args[0] : NULL, "hold");
    if (!dir)
        return FD_EXIT_USAGE;
    char *by = fd_control_user(cli->as), *err = NULL;
    bool ok = fd_control_put(dir, "ack", by, &err);
    if (ok)
        printf("acknowledged as %s\n", by);
    else
        fprintf(stderr, "firedrill ack: %s (acknowledged already?)\n", err);
    free(err);
    free(by);
    free(dir);
    return ok ? FD_EXIT_PASS : FD_EXIT_INFRA;
}

int fd_cmd_note(fd_cli *cli)
{
    const char *text = cli->args[cli->nargs - 1];
    char *dir = pick_run("note", cli->nargs == 2 ? cli->args[0] : NULL, NULL);
    if (!dir)
        return FD_EXIT_USAGE;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    char *name = fd_asprintf("note-%lld%09ld-%d", (long long)ts.tv_sec, ts.tv_nsec, (int)getpid());
    char *by = fd_control_user(cli->as), *err = NULL;
    char *content = fd_asprintf("%s\n%s", by, text);
    bool ok = fd_control_put(dir, name, content, &err);
    if (!ok)
        fprintf(stderr, "firedrill note: %s\n", err);
    free(err);
    free(content);
    free(by);
    free(name);
    free(dir);
    return ok ? FD_EXIT_PASS : FD_EXIT_INFRA;
}
