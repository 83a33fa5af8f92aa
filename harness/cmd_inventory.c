/* cmd_inventory.c: `firedrill inventory show`: the hosts a scenario or an inventory
 * resolves to, as firedrill will reach them, touching no host. */
#include "cli.h"

#include <jansson.h>

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
    fd_buf_init(&b, FD_BUF_UNCAPPED);
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

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

/* The hosts as a JSON array, one object per host, for scripts. */
static void print_json(const fd_inventory *inv)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < inv->n; i++) {
        const fd_host *h = &inv->hosts[i];
        json_t *roles = json_array();
        for (size_t r = 0; r < h->roles.n; r++)
            json_array_append_new(roles, json_string(h->roles.v[r]));
        char *jump = fd_host_jump_words(h);
        json_array_append_new(
            arr, json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:b, s:o, s:o}", "name", h->name,
                           "address", h->address, "datacenter", str_or_null(h->datacenter), "roles",
                           roles, "user", str_or_null(h->user), "port",
                           h->port ? json_integer(h->port) : json_null(), "sudo", h->sudo, "jump",
                           str_or_null(jump), "identity", str_or_null(h->identity)));
        free(jump);
    }
    char *text = json_dumps(arr, JSON_INDENT(2) | JSON_ENSURE_ASCII);
    printf("%s\n", text);
    free(text);
    json_decref(arr);
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
    if (cli->json) {
        print_json(inv);
        fd_scenario_free(&s);
        return FD_EXIT_PASS;
    }
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
