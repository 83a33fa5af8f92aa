/* plan.c: fault expansion and plan printing. */
#include "plan.h"
#include "lease.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

char *fd_run_id_new(const char *name, double unix_time)
{
    time_t t = (time_t)unix_time;
    struct tm tm = {0};
    char ts[32] = "00000000T000000Z";
    if (gmtime_r(&t, &tm))
        strftime(ts, sizeof ts, "%Y%m%dT%H%M%SZ", &tm);
    /* a random part: two runs of one scenario started in the same second get ids of
     * their own (their fault records on the hosts and their run directories) */
    uint32_t rnd = 0;
    if (getrandom(&rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
        rnd = (uint32_t)fd_mono_us() ^ ((uint32_t)getpid() << 16);
    return fd_asprintf("%s-%s-%06x", name, ts, (unsigned)(rnd & 0xffffff));
}

size_t fd_resolve_static(const fd_selector *sel, size_t *out, void *arg)
{
    const fd_static_resolver *r = arg;
    if (r->only_sel == sel) {
        out[0] = r->only_host;
        return 1;
    }
    size_t n = fd_selector_match(sel, &r->s->inv, out);
    if (sel->where)
        return n; /* the where command narrows these at step time */
    fd_rng rng = fd_selector_rng(r->seed, sel);
    return fd_selector_pick(sel, out, n, &rng);
}

static bool in_set(const size_t *set, size_t n, size_t v)
{
    for (size_t i = 0; i < n; i++)
        if (set[i] == v)
            return true;
    return false;
}

/* Adds a target host with peers = the addresses of hosts in `peers`. */
static void add_target(const fd_scenario *s, const fd_step *st, const char *run_id,
                       fd_fault_expansion *e, size_t host, const size_t *peers, size_t npeers,
                       bool clients_cut, int oneway)
{
    const char **addr = fd_xcalloc(npeers ? npeers : 1, sizeof *addr);
    for (size_t i = 0; i < npeers; i++)
        addr[i] = s->inv.hosts[peers[i]].address;
    fd_agent_ctx ctx = {.run_id = run_id,
                        .inv = &s->inv,
                        .host = &s->inv.hosts[host],
                        .peers = addr,
                        .npeers = npeers,
                        .clients_cut = clients_cut,
                        .oneway_out = oneway > 0,
                        .oneway_in = oneway < 0};
    e->t = fd_xrealloc(e->t, (e->n + 1) * sizeof *e->t);
    fd_fault_target *t = &e->t[e->n++];
    t->host = host;
    fd_agent_build(&st->fault, st->id, &ctx, &t->call);
    t->peers = fd_xcalloc(npeers ? npeers : 1, sizeof *t->peers);
    memcpy(t->peers, peers, npeers * sizeof *peers);
    t->npeers = npeers;
    free(addr);
}

/* What expanding one fault step works with: its hosts' scratch lists (inventory
 * sized) and where the targets go. */
typedef struct expansion {
    const fd_scenario *s;
    const fd_step *st;
    const fd_fault *f;
    const char *run_id;
    fd_resolve_fn resolve;
    void *arg;
    fd_fault_expansion *out;
    size_t *a, *b, *peers;
    char **err;
} expansion;

/* cut_datacenter: every host of the datacenter, cut from every other host. */
static bool expand_datacenter(expansion *x)
{
    size_t na = 0, nb = 0;
    for (size_t i = 0; i < x->s->inv.n; i++) {
        if (fd_str_eq(x->s->inv.hosts[i].datacenter, x->f->datacenter))
            x->a[na++] = i;
        else
            x->b[nb++] = i;
    }
    for (size_t i = 0; i < na; i++)
        add_target(x->s, x->st, x->run_id, x->out, x->a[i], x->b, nb, true, 0);
    return true;
}

/* partition split: each group's hosts cut from the other groups' (a host in no
 * group keeps its network). */
static bool expand_split(expansion *x)
{
    const fd_fault *f = x->f;
    size_t ninv = x->s->inv.n;
    long *group = fd_xcalloc(ninv + 1, sizeof *group); /* group of host h, or -1 */
    for (size_t i = 0; i < ninv; i++)
        group[i] = -1;
    bool ok = true;
    for (size_t g = 0; g < f->ngroups && ok; g++) {
        size_t na = x->resolve(&f->groups[g], x->a, x->arg);
        if (na == 0) {
            char *d = fd_selector_describe(&f->groups[g]);
            *x->err = fd_asprintf("split group %zu (%s) matches no host", g + 1, d);
            free(d);
            ok = false;
        }
        for (size_t i = 0; i < na && ok; i++) {
            if (group[x->a[i]] >= 0) {
                *x->err = fd_asprintf("host '%s' is in split groups %ld and %zu",
                                      x->s->inv.hosts[x->a[i]].name, group[x->a[i]] + 1, g + 1);
                ok = false;
            }
            group[x->a[i]] = (long)g;
        }
    }
    for (size_t h = 0; h < ninv && ok; h++) {
        if (group[h] < 0)
            continue;
        size_t np = 0;
        for (size_t o = 0; o < ninv; o++)
            if (group[o] >= 0 && group[o] != group[h])
                x->peers[np++] = o;
        add_target(x->s, x->st, x->run_id, x->out, h, x->peers, np, f->clients_cut, 0);
    }
    free(group);
    return ok;
}

/* partition oneway: traffic from 'from' to 'to' dropped, on the 'from' hosts. */
static bool expand_oneway(expansion *x)
{
    size_t na = x->resolve(&x->f->from, x->a, x->arg);
    size_t nb = x->resolve(&x->f->to, x->b, x->arg);
    if (na == 0 || nb == 0) {
        *x->err = fd_asprintf("oneway partition: '%s' matches no host", na == 0 ? "from" : "to");
        return false;
    }
    for (size_t i = 0; i < na; i++) {
        if (in_set(x->b, nb, x->a[i])) {
            *x->err = fd_asprintf("host '%s' is both in 'from' and in 'to'",
                                  x->s->inv.hosts[x->a[i]].name);
            return false;
        }
    }
    for (size_t i = 0; i < na; i++)
        add_target(x->s, x->st, x->run_id, x->out, x->a[i], x->b, nb, x->f->clients_cut, 1);
    return true;
}

/* Every other fault: its target hosts; peers are the rest of the inventory for an
 * isolating partition, else the 'to' hosts when given. */
static bool expand_target(expansion *x)
{
    const fd_fault *f = x->f;
    size_t na = x->resolve(&f->target, x->a, x->arg), nb = 0;
    if (na == 0) {
        char *d = fd_selector_describe(&f->target);
        *x->err = fd_asprintf("target (%s) matches no host", d);
        free(d);
        return false;
    }
    if (f->type == FD_FAULT_PARTITION) {
        for (size_t i = 0; i < x->s->inv.n; i++)
            if (!in_set(x->a, na, i))
                x->b[nb++] = i;
    } else if (f->to.set) {
        nb = x->resolve(&f->to, x->b, x->arg);
        if (nb == 0) {
            *x->err = fd_strdup("'to' matches no host");
            return false;
        }
    }
    for (size_t i = 0; i < na; i++)
        add_target(x->s, x->st, x->run_id, x->out, x->a[i], x->b, nb, f->clients_cut, 0);
    return true;
}

bool fd_fault_expand(const fd_scenario *s, const fd_step *st, const char *run_id,
                     fd_resolve_fn resolve, void *arg, fd_fault_expansion *out, char **err)
{
    memset(out, 0, sizeof *out);
    *err = NULL;
    size_t ninv = s->inv.n;
    expansion x = {.s = s,
                   .st = st,
                   .f = &st->fault,
                   .run_id = run_id,
                   .resolve = resolve,
                   .arg = arg,
                   .out = out,
                   .err = err,
                   .a = fd_xcalloc(ninv + 1, sizeof(size_t)),
                   .b = fd_xcalloc(ninv + 1, sizeof(size_t)),
                   .peers = fd_xcalloc(ninv + 1, sizeof(size_t))};
    bool ok;
    if (x.f->type == FD_FAULT_CUT_DATACENTER)
        ok = expand_datacenter(&x);
    else if (x.f->type == FD_FAULT_PARTITION && x.f->mode == FD_PART_SPLIT)
        ok = expand_split(&x);
    else if (x.f->type == FD_FAULT_PARTITION && x.f->mode == FD_PART_ONEWAY)
        ok = expand_oneway(&x);
    else
        ok = expand_target(&x);
    free(x.a);
    free(x.b);
    free(x.peers);
    if (!ok)
        fd_fault_expansion_free(out);
    return ok;
}

void fd_fault_expansion_free(fd_fault_expansion *e)
{
    if (!e)
        return;
    for (size_t i = 0; i < e->n; i++) {
        fd_agent_call_free(&e->t[i].call);
        free(e->t[i].peers);
    }
    free(e->t);
    memset(e, 0, sizeof *e);
}

static void print_hosts(FILE *f, const fd_scenario *s, const size_t *idx, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%s%s", i ? ", " : "", s->inv.hosts[idx[i]].name);
    if (n == 0)
        fprintf(f, "(none)");
}

static void print_selector_line(FILE *f, const fd_scenario *s, const char *label,
                                const fd_selector *sel, uint64_t seed)
{
    size_t *idx = fd_xcalloc(s->inv.n + 1, sizeof *idx);
    fd_static_resolver r = {.s = s, .seed = seed};
    size_t n = fd_resolve_static(sel, idx, &r);
    char *d = fd_selector_describe(sel);
    fprintf(f, "    %s: %s -> ", label, d);
    print_hosts(f, s, idx, n);
    if (sel->where)
        fprintf(f, " (candidates; the where command picks among them when the step runs%s)",
                sel->pick != FD_PICK_ALL ? ", then pick applies" : "");
    fprintf(f, "\n");
    free(d);
    free(idx);
}

static void print_host_command(FILE *f, const fd_scenario *s, const char *run_id,
                               const fd_selector *sel, const char *cmd, bool privileged,
                               uint64_t seed)
{
    size_t *idx = fd_xcalloc(s->inv.n + 1, sizeof *idx);
    fd_static_resolver r = {.s = s, .seed = seed};
    size_t n = fd_resolve_static(sel, idx, &r);
    for (size_t i = 0; i < n; i++) {
        char *c = fd_host_command(&s->inv.hosts[idx[i]], run_id, cmd, privileged);
        fprintf(f, "    %s: %s\n", s->inv.hosts[idx[i]].name, c);
        free(c);
    }
    free(idx);
}

static void print_expansion(FILE *f, const fd_scenario *s, const fd_step *st, const char *run_id,
                            fd_static_resolver *r, const char *label)
{
    fd_fault_expansion e;
    char *err = NULL;
    if (!fd_fault_expand(s, st, run_id, fd_resolve_static, r, &e, &err)) {
        fprintf(f, "    %s%swould fail: %s\n", label, *label ? ": " : "", err);
        free(err);
        return;
    }
    if (*label)
        fprintf(f, "    %s:\n", label);
    for (size_t i = 0; i < e.n; i++) {
        const fd_host *h = &s->inv.hosts[e.t[i].host];
        char *apply = fd_agent_command(&e.t[i].call, h, "apply", run_id, st->id);
        char *me = fd_controller_identity();
        char *args = fd_agent_args(&e.t[i].call, "apply", run_id, st->id, st->fault.ttl_us, me);
        free(me);
        char *revert = fd_agent_command(&e.t[i].call, h, "revert", run_id, st->id);
        const char *ind = *label ? "  " : "";
        fprintf(f, "    %s%s apply:  %s\n", ind, h->name, apply);
        fprintf(f, "    %s%s stdin:  %s\n", ind, h->name, args);
        fprintf(f, "    %s%s revert: %s\n", ind, h->name, revert);
        free(apply);
        free(args);
        free(revert);
    }
    fd_fault_expansion_free(&e);
}

static void print_fault(FILE *f, const fd_scenario *s, const fd_step *st, const char *run_id,
                        uint64_t seed)
{
    const fd_fault *ft = &st->fault;
    char *dur = ft->duration_us ? fd_format_duration(ft->duration_us) : NULL;
    char *ttl = fd_format_duration(ft->ttl_us);
    fprintf(f, "  fault %s: %s; host watchdog reverts after %s\n", fd_fault_type_names[ft->type],
            dur ? dur : "until healed", ttl);
    free(dur);
    free(ttl);
    if (ft->target.set)
        print_selector_line(f, s, "target", &ft->target, seed);
    for (size_t g = 0; g < ft->ngroups; g++) {
        char label[32];
        snprintf(label, sizeof label, "group %zu", g + 1);
        print_selector_line(f, s, label, &ft->groups[g], seed);
    }
    if (ft->from.set)
        print_selector_line(f, s, "from", &ft->from, seed);
    if (ft->to.set)
        print_selector_line(f, s, "to", &ft->to, seed);
    if (!ft->target.where) {
        fd_static_resolver r = {.s = s, .seed = seed};
        print_expansion(f, s, st, run_id, &r, "");
        return;
    }
    /* `where` decides at step time: show what each candidate would get if picked. */
    fprintf(f, "    where, on each candidate: %s\n", ft->target.where);
    size_t *cand = fd_xcalloc(s->inv.n + 1, sizeof *cand);
    size_t n = fd_selector_match(&ft->target, &s->inv, cand);
    for (size_t i = 0; i < n; i++) {
        fd_static_resolver r = {
            .s = s, .seed = seed, .only_sel = &ft->target, .only_host = cand[i]};
        char *label = fd_asprintf("if picked, %s", s->inv.hosts[cand[i]].name);
        print_expansion(f, s, st, run_id, &r, label);
        free(label);
    }
    free(cand);
}

/* One step of the plan: what it does, on which hosts, with which commands. */
/* The disaster-recovery and replica steps of the plan. */
static void plan_dr_step(FILE *f, const fd_scenario *s, const fd_step *st, const char *run_id,
                         uint64_t seed)
{
    switch (st->kind) {
    case FD_STEP_BACKUP:
        print_selector_line(f, s, "target", &st->backup.target, seed);
        if (st->backup.catalog) {
            print_host_command(f, s, run_id, &st->backup.target, st->backup.catalog, true, seed);
            fprintf(f, "    reads the newest usable backup from the catalog it prints\n");
        } else {
            print_host_command(f, s, run_id, &st->backup.target, st->backup.command, true, seed);
            fprintf(f, "    artifact: %s (size and sha256 recorded)\n", st->backup.artifact);
        }
        break;
    case FD_STEP_COPY:
        fprintf(f,
                "  %s:%s -> %s:%s over SFTP through the controller, sha256 checked at "
                "both ends\n",
                st->copy.from.host, st->copy.from.path, st->copy.to.host, st->copy.to.path);
        break;
    case FD_STEP_RESTORE:
        print_selector_line(f, s, "target", &st->restore.target, seed);
        print_host_command(f, s, run_id, &st->restore.target, st->restore.command, true, seed);
        break;
    case FD_STEP_VERIFY:
        fprintf(f, "  read back probe %s's writes acknowledged before backup %s\n",
                st->verify.probe, st->verify.against);
        break;
    case FD_STEP_CONSISTENCY:
        fprintf(f, "  compare probe %s's table%s on its primary and each replica (%s)\n",
                st->consistency.probe, st->consistency.tables.n ? " and the named ones" : "",
                st->consistency.target.set ? "pt-table-checksum on the target" : "row digests");
        if (st->consistency.target.set)
            print_selector_line(f, s, "target", &st->consistency.target, seed);
        break;
    case FD_STEP_ARCHIVE_LAG:
        fprintf(f, "  the archive's newest log position, then the primary's:\n");
        print_selector_line(f, s, "archive", &st->archive_lag.archive_target, seed);
        print_host_command(f, s, run_id, &st->archive_lag.archive_target,
                           st->archive_lag.archive_command, true, seed);
        print_selector_line(f, s, "primary", &st->archive_lag.primary_target, seed);
        print_host_command(f, s, run_id, &st->archive_lag.primary_target,
                           st->archive_lag.primary_command, true, seed);
        break;
    default:
        break;
    }
}

static void plan_step(FILE *f, const fd_scenario *s, const fd_step *st, const char *run_id,
                      uint64_t seed)
{
    switch (st->kind) {
    case FD_STEP_FAULT:
        print_fault(f, s, st, run_id, seed);
        break;
    case FD_STEP_HEAL:
        fprintf(f, "  revert %s\n",
                strcmp(st->heal, "all") == 0 ? "every fault still in place" : st->heal);
        break;
    case FD_STEP_WAIT: {
        char *d = fd_format_duration(st->wait_us);
        fprintf(f, "  sleep %s\n", d);
        free(d);
        break;
    }
    case FD_STEP_WAIT_FOR: {
        char *h = fd_format_duration(st->wait_for.healthy_for_us);
        char *t = fd_format_duration(st->wait_for.timeout_us);
        fprintf(f, "  until probe %s has succeeded for %s (fails after %s)\n", st->wait_for.probe,
                h, t);
        free(h);
        free(t);
        break;
    }
    case FD_STEP_RUN: {
        char *t = fd_format_duration(st->run.timeout_us);
        fprintf(f, "  timeout %s, expect exit %lld\n", t, (long long)st->run.expect_exit);
        free(t);
        if (!st->run.target.set) {
            char *q = fd_shell_quote(st->run.command);
            fprintf(f, "    controller: sh -c %s\n", q);
            free(q);
        } else {
            print_selector_line(f, s, "target", &st->run.target, seed);
            print_host_command(f, s, run_id, &st->run.target, st->run.command, st->run.sudo, seed);
        }
        break;
    }
    case FD_STEP_BACKUP:
    case FD_STEP_COPY:
    case FD_STEP_RESTORE:
    case FD_STEP_VERIFY:
    case FD_STEP_CONSISTENCY:
    case FD_STEP_ARCHIVE_LAG:
        plan_dr_step(f, s, st, run_id, seed);
        break;
    default:
        break;
    }
}

static void plan_write(FILE *f, const fd_scenario *s, const char *run_id, uint64_t seed)
{
    fprintf(f, "plan for '%s' (%s): %zu hosts, %zu probes, %zu steps, seed %llu, run id %s\n",
            s->name, s->file, s->inv.n, s->nprobes, s->nsteps, (unsigned long long)seed, run_id);
    fprintf(f, "agent scripts are sent on stdin over the host's SSH session; nothing below "
               "has been run\n");
    for (size_t i = 0; i < s->nprobes; i++) {
        const fd_probe *p = &s->probes[i];
        char *iv = fd_format_duration(p->interval_us);
        char *to = fd_format_duration(p->timeout_us);
        fprintf(f, "probe %s: %s %s, every %s, timeout %s\n", p->name, fd_probe_type_names[p->type],
                p->write ? "write" : "read", iv, to);
        if (p->query) {
            char *u = fd_redact(&s->vars, p->url), *q = fd_redact(&s->vars, p->query);
            fprintf(f, "  asks %s (once at preflight, then every operation): %s\n", u, q);
            free(u);
            free(q);
        }
        free(iv);
        free(to);
    }
    for (size_t i = 0; i < s->nsteady; i++) {
        const fd_condition *c = &s->steady[i];
        char *d = fd_format_duration(c->for_us);
        const fd_cmp *k = c->on_value ? &c->value : &c->availability;
        fprintf(f, "steady state: probe %s %s %s %g for %s before any fault\n", c->probe,
                c->on_value ? "value" : "availability", fd_cmp_op_str(k->op), k->value, d);
        free(d);
    }
    if (s->alerts.set) {
        char *u = fd_redact(&s->vars, s->alerts.alertmanager);
        fprintf(f,
                "alerts: %s is asked before any fault (an alert firing stops the run) and every "
                "%.1fs after; expected:",
                u, (double)s->alerts.interval_us / 1e6);
        for (size_t i = 0; i < s->alerts.expect.n; i++)
            fprintf(f, " %s", s->alerts.expect.v[i]);
        fprintf(f, "%s\n", s->alerts.expect.n ? "" : " none (any alert aborts the drill)");
        free(u);
    }
    size_t *leased = fd_xcalloc(s->inv.n + 1, sizeof *leased);
    size_t nleased = fd_lease_hosts(s, seed, leased);
    if (nleased) {
        char *ttl = fd_format_duration(fd_lease_ttl_us(s));
        fprintf(f,
                "leases (the hosts its faults may touch; another drill cannot fault them "
                "meanwhile; lapsing %s after the last renewal): ",
                ttl);
        print_hosts(f, s, leased, nleased);
        fputc('\n', f);
        free(ttl);
    }
    free(leased);
    for (size_t i = 0; i < s->nsteps; i++) {
        const fd_step *st = &s->steps[i];
        if (i == s->ntimeline)
            fprintf(f, "finally (once every fault is healed, whatever happened before):\n");
        fprintf(f, "step %zu [%s] %s\n", i + 1, st->id, fd_step_kind_names[st->kind]);
        plan_step(f, s, st, run_id, seed);
    }
    for (size_t i = 0; i < s->nchecks; i++) {
        const fd_check *c = &s->checks[i];
        fprintf(f, "check: %s %s %s %g%s%s\n", fd_check_about(c), fd_metric_names[c->metric],
                c->is_max ? "<=" : ">=", c->limit, c->during ? " during " : "",
                c->during ? c->during : "");
    }
    if (s->pushgateway) {
        char *u = fd_redact(&s->vars, s->pushgateway);
        fprintf(f, "metrics: pushed to %s when the run ends\n", u);
        free(u);
    }
}

void fd_plan_print(FILE *f, const fd_scenario *s, const char *run_id, uint64_t seed)
{
    /* Scenario values reach a terminal here: every control character but the line
     * ends is shown escaped, so no value can move the cursor or hide a line. */
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    if (!m)
        return;
    plan_write(m, s, run_id, seed);
    fclose(m);
    const char *p = text;
    for (char *line; (line = fd_next_line(&p)); free(line)) {
        char *shown = fd_printable(line, SIZE_MAX);
        fputs(shown, f);
        if (p)
            fputc('\n', f);
        free(shown);
    }
    free(text);
}
