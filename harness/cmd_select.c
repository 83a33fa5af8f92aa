/* cmd_select.c: `firedrill select`: which hosts a selector picks right now. */
#include "cli.h"
#include "plan.h"
#include "selector.h"

#include <stdio.h>
#include <stdlib.h>

int fd_cmd_select(fd_cli *cli)
{
    fd_scenario s;
    bool is_scenario;
    int rc = fd_cli_load(cli, cli->args[0], &s, &is_scenario);
    if (rc)
        return rc;
    fd_selector *sel = &cli->select;
    sel->set = true;
    for (size_t i = 0; i < sel->hosts.n; i++) {
        if (!fd_inventory_find(&s.inv, sel->hosts.v[i])) {
            fprintf(stderr, "firedrill select: host '%s' is not in the inventory\n",
                    sel->hosts.v[i]);
            fd_scenario_free(&s);
            return FD_EXIT_USAGE;
        }
    }
    fd_pool pool;
    fd_ssh_opts o = {.accept_new_host_keys = cli->accept_new_host_keys};
    fd_pool_init(&pool, &s.inv, &o);
    size_t *out = fd_xcalloc(s.inv.n, sizeof *out);
    fd_where_result *det = NULL;
    size_t ndet = 0;
    char *run_id = fd_run_id_new(is_scenario ? s.name : "select", fd_unix_now());
    size_t n = fd_selector_resolve(sel, &pool, run_id, cli->seed, out, &det, &ndet);
    bool unreachable = false;
    for (size_t i = 0; i < ndet; i++) {
        const fd_host *h = &s.inv.hosts[det[i].host];
        if (!det[i].ran) {
            printf("%s: unreachable: %s\n", h->name, det[i].detail ? det[i].detail : "?");
            unreachable = true;
        } else {
            printf("%s: where exited %d%s%s%s\n", h->name, det[i].exit_status,
                   det[i].kept ? " (match)" : "", det[i].detail ? ": " : "",
                   det[i].detail ? det[i].detail : "");
        }
        free(det[i].detail);
    }
    free(det);
    char *d = fd_selector_describe(sel);
    printf("selected (%s, seed %llu):", d, (unsigned long long)cli->seed);
    for (size_t i = 0; i < n; i++)
        printf(" %s", s.inv.hosts[out[i]].name);
    printf("%s\n", n ? "" : " no host");
    free(d);
    free(run_id);
    free(out);
    fd_pool_free(&pool);
    fd_scenario_free(&s);
    if (unreachable)
        return FD_EXIT_INFRA;
    return n ? FD_EXIT_PASS : FD_EXIT_FAIL;
}
