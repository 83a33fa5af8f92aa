/* cmd_inventory.c: `firedrill inventory show`: the hosts a scenario or an inventory
 * resolves to, as firedrill will reach them, touching no host. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One column: the value, or '-' for none; host output is never trusted to be
 * printable (names come from the user's files, checked, but shown safely anyway). */
static void column(const char *v, int width, bool last)
{
    char *q = fd_printable(v && *v ? v : "-", 200);
    if (last)
        printf("%s\n", q);
    else
        printf("%-*s ", width, q);
    free(q);
}

static char *join_roles(const fd_strv *roles)
{
    fd_buf b;
    fd_buf_init(&b, 64);
    for (size_t i = 0; i < roles->n; i++) {
        if (i)
            fd_buf_puts(&b, ",");
        fd_buf_puts(&b, roles->v[i]);
    }
    return fd_buf_steal(&b);
}

/* Widens a column to hold v, up to 40 characters. */
static void widen(int *w, const char *v)
{
    int len = v ? (int)strlen(v) : 0;
    if (len > *w)
        *w = len > 40 ? 40 : len;
}

int fd_cmd_inventory(fd_cli *cli)
{
    if (strcmp(cli->args[0], "show") != 0) {
        fprintf(stderr, "firedrill inventory: unknown action '%s' (show)\n", cli->args[0]);
        return FD_EXIT_USAGE;
    }
    if (cli->nargs != 2) {
        fprintf(stderr, "firedrill inventory show: give one scenario or inventory file\n");
        return FD_EXIT_USAGE;
    }
    fd_scenario s;
    bool is_scenario;
    int rc = fd_cli_load(cli, cli->args[1], &s, &is_scenario);
    if (rc)
        return rc;
    const fd_inventory *inv = &s.inv;
    int wn = 4, wa = 7, wd = 10;
    for (size_t i = 0; i < inv->n; i++) {
        widen(&wn, inv->hosts[i].name);
        widen(&wa, inv->hosts[i].address);
        widen(&wd, inv->hosts[i].datacenter);
    }
    printf("%-*s %-*s %-*s %-24s %-10s %-5s %-4s %s\n", wn, "host", wa, "address", wd, "datacenter",
           "roles", "user", "port", "sudo", "jump");
    for (size_t i = 0; i < inv->n; i++) {
        const fd_host *h = &inv->hosts[i];
        char *roles = join_roles(&h->roles);
        char port[16] = "";
        if (h->port)
            snprintf(port, sizeof port, "%d", h->port);
        char *jump = fd_host_jump_words(h);
        column(h->name, wn, false);
        column(h->address, wa, false);
        column(h->datacenter, wd, false);
        column(roles, 24, false);
        column(h->user, 10, false);
        column(port, 5, false);
        column(h->sudo ? "yes" : "no", 4, false);
        column(jump, 0, true);
        free(roles);
        free(jump);
    }
    fd_scenario_free(&s);
    return FD_EXIT_PASS;
}
