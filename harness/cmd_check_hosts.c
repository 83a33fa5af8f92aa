/* cmd_check_hosts.c: `firedrill check-hosts`: reach, verify, authenticate and look for
 * the fault tools on every host, concurrently; one line per host. */
#include "agent.h"
#include "cli.h"
#include "faults.h"
#include "ssh.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct host_check {
    bool ok;
    fd_strv tools;
    bool netem, prio, sudo_ok, run_ok, systemd;
    char *halted; /* firedrill halt's reason, when the host is halted */
    char *error;
} host_check;

/* Reads the check script's output (tool=..., netem=yes, ...). */
static void parse_check(const fd_exec_result *er, host_check *r)
{
    if (er->error != FD_OK || er->exit_status != 0) {
        r->error = fd_asprintf("the tool check failed: %s",
                               er->error_msg ? er->error_msg : "non-zero exit");
        return;
    }
    const char *p = er->out;
    for (char *line; (line = fd_next_line(&p));) {
        if (fd_str_starts(line, "tool="))
            fd_strv_push_owned(&r->tools, fd_printable(line + 5, 40)); /* host output */
        else if (strcmp(line, "netem=yes") == 0)
            r->netem = true;
        else if (strcmp(line, "prio=yes") == 0)
            r->prio = true;
        else if (strcmp(line, "sudo=yes") == 0)
            r->sudo_ok = true;
        else if (strcmp(line, "run=yes") == 0)
            r->run_ok = true;
        else if (strcmp(line, "systemd=yes") == 0)
            r->systemd = true;
        else if (fd_str_starts(line, "halted=") && !r->halted)
            r->halted = fd_printable(line + 7, 200);
        free(line);
    }
    r->ok = true;
}

/* Which tools the scenario's faults need (all of them for a bare inventory). */
typedef struct needs {
    bool firewall, netem, proc, unit;
} needs;

static needs scenario_needs(const fd_scenario *s, bool is_scenario)
{
    needs n = {0};
    if (!is_scenario)
        return n;
    for (size_t i = 0; i < s->nsteps; i++) {
        if (s->steps[i].kind != FD_STEP_FAULT)
            continue;
        unsigned fam = fd_fault_family_of(s->steps[i].fault.type)->needs;
        n.firewall |= (fam & FD_NEEDS_FIREWALL) != 0;
        n.netem |= (fam & FD_NEEDS_NETEM) != 0;
        n.proc |= (fam & FD_NEEDS_PROC) != 0;
        n.unit |= s->steps[i].fault.unit != NULL;
    }
    return n;
}

/* Prints one host's line. Returns 1 when the host is ready, 0 when not; counts a
 * warning in *warnings. */
static int print_host(const fd_host *h, const fd_conn *c, bool ran, const host_check *r, needs need,
                      size_t *warnings)
{
    printf("%s (%s, %s): ", h->name, h->address, h->datacenter ? h->datacenter : "no datacenter");
    if (!ran) {
        char *e = fd_printable(c->error ? c->error : fd_err_str(c->status), 400);
        printf("FAILED: %s\n", e); /* may quote what the server sent */
        free(e);
        return 0;
    }
    if (!r->ok) {
        printf("FAILED: reachable, host key verified, authenticated as %s, but %s\n",
               c->user ? c->user : "?", r->error);
        return 0;
    }
    fd_buf problems, warns;
    fd_buf_init(&problems, 4096);
    fd_buf_init(&warns, 4096);
    bool fw = fd_strv_contains(&r->tools, "nft") || fd_strv_contains(&r->tools, "iptables");
    if (!fw)
        fd_buf_puts(need.firewall ? &problems : &warns,
                    "; no nft or iptables (partition, cut_datacenter and drop need one)");
    if (!fd_strv_contains(&r->tools, "tc") || !r->netem)
        fd_buf_puts(need.netem ? &problems : &warns,
                    !fd_strv_contains(&r->tools, "tc")
                        ? "; no tc (netem faults will fail on this host)"
                        : "; tc has no netem qdisc in this kernel (netem faults will fail on "
                          "this host; the drop fault works without it)");
    else if (!r->prio)
        fd_buf_puts(&warns, "; no prio qdisc (netem with 'to' will fail on this host)");
    if (!fd_strv_contains(&r->tools, "pkill") || !fd_strv_contains(&r->tools, "pgrep"))
        fd_buf_puts(need.proc ? &problems : &warns,
                    "; no pgrep/pkill (kill and pause by process name need them)");
    if (!r->systemd)
        fd_buf_puts(need.unit ? &problems : &warns,
                    fd_strv_contains(&r->tools, "systemctl")
                        ? "; systemd is not running here (faults by unit will fail on this host)"
                        : "; no systemctl (faults by unit will fail on this host)");
    if (h->sudo && !r->sudo_ok)
        fd_buf_puts(&problems, "; sudo -n is refused (sudo: true needs passwordless sudo)");
    if (!r->run_ok)
        fd_buf_puts(&problems, "; cannot write /run/firedrill (fault records live there)");
    if (r->halted)
        fd_buf_printf(&problems,
                      "; halted (%s): no fault is applied here until firedrill halt --clear",
                      r->halted);
    printf("%s: reachable, host key verified (%s), authenticated as %s (%s); tools:",
           problems.len ? "FAILED" : "ok", c->hostkey, c->user ? c->user : "?",
           c->auth_method ? c->auth_method : "?");
    for (size_t k = 0; k < r->tools.n; k++)
        printf("%s%s", k ? ", " : " ", r->tools.v[k]);
    if (fd_strv_contains(&r->tools, "tc"))
        printf("%s", r->netem ? " (netem)" : "");
    if (h->sudo)
        printf(", sudo -n %s", r->sudo_ok ? "ok" : "refused");
    if (problems.len)
        printf("; problem: %s", problems.data + 2);
    if (warns.len) {
        printf("; warning: %s", warns.data + 2);
        (*warnings)++;
    }
    printf("\n");
    int ready = problems.len ? 0 : 1;
    fd_buf_free(&problems);
    fd_buf_free(&warns);
    return ready;
}

int fd_cmd_check_hosts(fd_cli *cli)
{
    fd_scenario s;
    bool is_scenario = false;
    int rc = fd_cli_load(cli, cli->args[0], &s, &is_scenario);
    if (rc)
        return rc;
    fd_pool pool;
    fd_ssh_opts o = {.accept_new_host_keys = cli->accept_new_host_keys};
    fd_pool_init(&pool, &s.inv, &o);
    host_check *res = fd_xcalloc(s.inv.n, sizeof *res);
    size_t *hosts = fd_xcalloc(s.inv.n, sizeof *hosts);
    char **cmds = fd_xcalloc(s.inv.n, sizeof *cmds);
    char *input = fd_agent_check_input("tools", NULL, 0);
    for (size_t i = 0; i < s.inv.n; i++) {
        hosts[i] = i;
        cmds[i] = fd_asprintf("FD_SUDO=%d sh -s", s.inv.hosts[i].sudo ? 1 : 0);
    }
    fd_exec_result *er = fd_xcalloc(s.inv.n, sizeof *er);
    bool *ran = fd_xcalloc(s.inv.n, sizeof *ran);
    int64_t t0 = fd_mono_us();
    fd_pool_exec_each(&pool, hosts, s.inv.n, cmds, input, 20000000, er, ran);
    free(input);
    double secs = (double)(fd_mono_us() - t0) / 1e6;
    for (size_t i = 0; i < s.inv.n; i++) {
        if (ran[i])
            parse_check(&er[i], &res[i]);
        fd_exec_result_free(&er[i]);
        free(cmds[i]);
    }
    free(er);
    free(cmds);
    free(hosts);
    needs need = scenario_needs(&s, is_scenario);
    size_t ready = 0, warnings = 0;
    for (size_t i = 0; i < s.inv.n; i++)
        ready +=
            (size_t)print_host(&s.inv.hosts[i], &pool.conns[i], ran[i], &res[i], need, &warnings);
    printf("%zu of %zu hosts ready (%zu with warnings), checked in %.2fs\n", ready, s.inv.n,
           warnings, secs);
    for (size_t i = 0; i < s.inv.n; i++) {
        fd_strv_free(&res[i].tools);
        free(res[i].error);
        free(res[i].halted);
    }
    free(res);
    free(ran);
    size_t total = s.inv.n;
    fd_pool_free(&pool);
    fd_scenario_free(&s);
    return ready == total ? FD_EXIT_PASS : FD_EXIT_INFRA;
}
