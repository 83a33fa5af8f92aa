/* lease.c: leasing the hosts a run's faults may touch, and watching them for a halt
 * (see lease.h; the host's side is lib.sh's lease, watch and release). */
#include "lease.h"
#include "fanout.h"
#include "plan.h"

#include <stdlib.h>
#include <string.h>

/* The watch on one leased host: its own connection, so that a watch never waits
 * behind (or holds up) another command there. */
typedef struct fd_lease_watch {
    fd_run *r;
    size_t host;
    fd_conn conn;
    pthread_t thread;
    bool started;
    atomic_bool tried; /* its first connection was tried (made or failed) */
} fd_lease_watch;

/* A guard command waits this much longer than what it is asked to do on the host. */
#define GUARD_GRACE_US 30000000

size_t fd_lease_hosts(const fd_scenario *s, uint64_t seed, size_t *out)
{
    bool *hit = fd_xcalloc(s->inv.n + 1, sizeof *hit);
    fd_static_resolver sr = {.s = s, .seed = seed};
    for (size_t i = 0; i < s->nsteps; i++) {
        if (s->steps[i].kind != FD_STEP_FAULT)
            continue;
        fd_fault_expansion e;
        char *err = NULL;
        if (!fd_fault_expand(s, &s->steps[i], "lease", fd_resolve_static, &sr, &e, &err)) {
            free(err); /* selects nothing: the step aborts the run before it touches a host */
            continue;
        }
        for (size_t k = 0; k < e.n; k++)
            hit[e.t[k].host] = true;
        fd_fault_expansion_free(&e);
    }
    size_t n = 0;
    for (size_t i = 0; i < s->inv.n; i++)
        if (hit[i])
            out[n++] = i;
    free(hit);
    return n;
}

int64_t fd_lease_ttl_us(const fd_scenario *s)
{
    int64_t ttl = 0;
    for (size_t i = 0; i < s->nsteps; i++)
        if (s->steps[i].kind == FD_STEP_FAULT && s->steps[i].fault.ttl_us > ttl)
            ttl = s->steps[i].fault.ttl_us;
    return ttl ? ttl : s->ttl_us;
}

int64_t fd_lease_renew_us(int64_t ttl_us)
{
    int64_t every = ttl_us / 3;
    if (every < 1000000)
        every = 1000000;
    return every > 30000000 ? 30000000 : every;
}

/* Runs a guard action on every leased host at once (input built per action). */
static void guard_each(fd_run *r, const char *action, const char *input, fd_exec_result *res,
                       bool *ran)
{
    char **cmds = fd_xcalloc(r->nleased + 1, sizeof *cmds);
    for (size_t i = 0; i < r->nleased; i++)
        cmds[i] = fd_agent_guard_command(&r->s->inv.hosts[r->leased[i]], action);
    fd_pool_exec_each(&r->pool, r->leased, r->nleased, cmds, input, GUARD_GRACE_US, res, ran);
    for (size_t i = 0; i < r->nleased; i++)
        free(cmds[i]);
    free(cmds);
}

/* Releases the leases of the hosts whose flag is set (all when which is NULL). */
static void release(fd_run *r, const bool *which)
{
    char *input = fd_agent_guard_input("release", r->run_id, -1, NULL, 0, r->controller);
    fd_exec_result *res = fd_xcalloc(r->nleased + 1, sizeof *res);
    bool *ran = fd_xcalloc(r->nleased + 1, sizeof *ran);
    guard_each(r, "release", input, res, ran);
    for (size_t i = 0; i < r->nleased; i++) {
        if (which && !which[i]) {
            if (ran[i])
                fd_exec_result_free(&res[i]);
            continue;
        }
        const fd_host *h = &r->s->inv.hosts[r->leased[i]];
        if (!ran[i] || res[i].error != FD_OK || res[i].exit_status != 0)
            fd_run_error(r, "the lease on host %s was not released (it lapses within its ttl): %s",
                         h->name,
                         !ran[i]            ? "unreachable"
                         : res[i].error_msg ? res[i].error_msg
                                            : res[i].err);
        if (ran[i])
            fd_exec_result_free(&res[i]);
    }
    free(res);
    free(ran);
    free(input);
}

/* The value of `key=` in a line of words (the last word's value runs to the line's end,
 * as the drill's name may hold spaces), or NULL. Caller frees. */
static char *word(const char *line, const char *key)
{
    char *k = fd_asprintf(" %s=", key);
    const char *p = strstr(line, k);
    char *v = NULL;
    if (p) {
        p += strlen(k);
        v = fd_strndup(p, strcmp(key, "drill") == 0 ? strlen(p) : strcspn(p, " "));
    }
    free(k);
    return v;
}

/* What a refused lease said (`held: RUN expires_in=S controller=C drill=D` and `held:
 * RUN faults=N` lines) in words: "run R (drill D from C, leased for 118s more; 1 fault in
 * place)". Caller frees. */
static char *holders(const char *out, const char *prefix)
{
    fd_buf b;
    fd_buf_init(&b, 8192);
    const char *p = out;
    for (char *line; (line = fd_next_line(&p)); free(line)) {
        if (!fd_str_starts(line, prefix))
            continue;
        char *clean = fd_printable(line + strlen(prefix) - 1, 600); /* from the space */
        char *run = fd_strndup(clean + 1, strcspn(clean + 1, " "));
        char *exp = word(clean, "expires_in"), *by = word(clean, "controller");
        char *drill = word(clean, "drill"), *faults = word(clean, "faults");
        fd_buf_printf(&b, "%srun %s (", b.len ? "; " : "", run);
        if (faults)
            fd_buf_printf(&b, "%s fault%s in place", faults, strcmp(faults, "1") ? "s" : "");
        else
            fd_buf_printf(&b, "drill %s from %s, leased for %ss more", drill ? drill : "?",
                          by ? by : "?", exp ? exp : "?");
        fd_buf_puts(&b, ")");
        free(run);
        free(exp);
        free(by);
        free(drill);
        free(faults);
        free(clean);
    }
    return fd_buf_steal(&b);
}

/* The first line of out starting with prefix, after it, printable; NULL when none.
 * Caller frees. */
static char *line_after(const char *out, const char *prefix, size_t max)
{
    char *found = NULL;
    const char *p = out;
    for (char *line; !found && (line = fd_next_line(&p)); free(line))
        if (fd_str_starts(line, prefix))
            found = fd_printable(line + strlen(prefix), max);
    return found;
}

/* One host's answer to `lease`. Returns the outcome it calls for (NONE: leased). */
static fd_run_result lease_answer(fd_run *r, size_t i, bool ran, const fd_exec_result *er)
{
    const fd_host *h = &r->s->inv.hosts[r->leased[i]];
    if (!ran || er->error != FD_OK) {
        fd_run_error(r, "preflight: cannot lease host %s: %s", h->name,
                     !ran ? "unreachable" : er->error_msg);
        return FD_OUTCOME_INFRA;
    }
    if (er->exit_status == FD_AGENT_HALTED) {
        char *why = line_after(er->out, "halted: ", 300);
        char *reason = fd_asprintf("halted: %s", why ? why : "no reason given");
        fd_run_error(r, "preflight: host %s is %s (firedrill halt): nothing was injected", h->name,
                     reason);
        fd_run_outcome(r, FD_OUTCOME_ABORTED, reason);
        free(reason);
        free(why);
        return FD_OUTCOME_ABORTED;
    }
    if (er->exit_status == FD_AGENT_LEASED) {
        char *who = holders(er->out, "held: ");
        fd_run_error(r,
                     "preflight: host %s is held by another drill (%s): nothing was injected; "
                     "wait for it, heal a dead one (firedrill heal --run RUN), or run with "
                     "--allow-overlap",
                     h->name, who);
        free(who);
        return FD_OUTCOME_INFRA;
    }
    if (er->exit_status != 0) {
        char *e = fd_printable(er->err[0] ? er->err : er->out, 300);
        if (h->sudo && strstr(e, "sudo"))
            fd_run_error(r,
                         "preflight: host %s refuses sudo -n (%s): its faults need root there; "
                         "nothing was injected (sudo: true needs passwordless sudo)",
                         h->name, e);
        else
            fd_run_error(r, "preflight: cannot lease host %s: the agent exited %d: %s", h->name,
                         er->exit_status, e);
        free(e);
        return FD_OUTCOME_INFRA;
    }
    char *other = holders(er->out, "overlap: ");
    if (*other) {
        fd_run_log(r, "host %s is also held by %s: going on (--allow-overlap)", h->name, other);
        fd_strv_push_owned(&r->overlaps, fd_asprintf("%s: %s", h->name, other));
    }
    free(other);
    return FD_OUTCOME_NONE;
}

bool fd_lease_acquire(fd_run *r)
{
    const fd_scenario *s = r->s;
    r->leased = fd_xcalloc(s->inv.n + 1, sizeof *r->leased);
    r->nleased = fd_lease_hosts(s, r->opts.seed, r->leased);
    r->lease_ttl_us = fd_lease_ttl_us(s);
    if (!r->nleased)
        return true;
    char *ttl = fd_asprintf("drill=%s", s->name);
    const char *kv[] = {ttl, "overlap=1"};
    char *input = fd_agent_guard_input("lease", r->run_id, fd_us_to_s_ceil(r->lease_ttl_us), kv,
                                       r->opts.allow_overlap ? 2 : 1, r->controller);
    fd_exec_result *res = fd_xcalloc(r->nleased, sizeof *res);
    bool *ran = fd_xcalloc(r->nleased, sizeof *ran), *got = fd_xcalloc(r->nleased, sizeof *got);
    guard_each(r, "lease", input, res, ran);
    unsigned worst = FD_OUTCOME_NONE;
    for (size_t i = 0; i < r->nleased; i++) {
        fd_run_result o = lease_answer(r, i, ran[i], &res[i]);
        got[i] = o == FD_OUTCOME_NONE;
        worst |= (unsigned)o;
        if (ran[i])
            fd_exec_result_free(&res[i]);
    }
    if (worst != FD_OUTCOME_NONE) {
        release(r, got);
        r->leases_released = true;
        if (worst & FD_OUTCOME_INFRA)
            fd_run_outcome(r, FD_OUTCOME_INFRA, NULL);
    } else {
        char *d = fd_format_duration(r->lease_ttl_us);
        fd_run_log(r,
                   "preflight: leased %zu host%s its faults may touch (lapsing %s after the "
                   "last renewal)",
                   r->nleased, r->nleased == 1 ? "" : "s", d);
        free(d);
        fd_history_event(&r->history, "leased",
                         json_pack("{s:I,s:I}", "hosts", (json_int_t)r->nleased, "ttl_s",
                                   (json_int_t)fd_us_to_s_ceil(r->lease_ttl_us)));
    }
    free(got);
    free(ran);
    free(res);
    free(input);
    free(ttl);
    return worst == FD_OUTCOME_NONE;
}

/* A halt seen on w's host: the run aborts (the first one seen is said). */
static void halted(fd_lease_watch *w, const char *out)
{
    fd_run *r = w->r;
    char *reason = line_after(out, "halted: ", 300), *by = line_after(out, "halted_by: ", 200);
    if (!reason)
        reason = fd_strdup("no reason given");
    if (!atomic_exchange(&r->halted, true)) {
        const char *host = r->s->inv.hosts[w->host].name;
        fd_run_log(r, "host %s is halted (by %s): %s; aborting and healing", host, by ? by : "?",
                   reason);
        fd_history_event(
            &r->history, "halt",
            json_pack("{s:s,s:s,s:s}", "host", host, "reason", reason, "by", by ? by : ""));
        char *why = fd_asprintf("halted: %s", reason);
        fd_run_outcome(r, FD_OUTCOME_ABORTED, why);
        free(why);
    }
    free(reason);
    free(by);
}

/* Sleeps until `until` (monotonic), waking when the watch stops. */
static void watch_sleep(fd_run *r, int64_t until)
{
    while (!atomic_load(&r->watch_quit) && fd_mono_us() < until)
        fd_sleep_us(50000);
}

static void *watch_main(void *arg)
{
    fd_lease_watch *w = arg;
    fd_run *r = w->r;
    const fd_host *h = &r->s->inv.hosts[w->host];
    int64_t every = fd_lease_renew_us(r->lease_ttl_us);
    char *wait = fd_asprintf("wait=%lld", (long long)(every / 1000000));
    const char *kv[] = {wait};
    char *input = fd_agent_guard_input("watch", r->run_id, fd_us_to_s_ceil(r->lease_ttl_us), kv, 1,
                                       r->controller);
    char *cmd = fd_agent_guard_command(h, "watch");
    bool lost = false;
    while (!atomic_load(&r->watch_quit)) {
        int64_t t0 = fd_mono_us();
        fd_exec_result er = {0};
        bool up = w->conn.connected || fd_conn_open(&w->conn, h, &r->pool.opts) == FD_OK;
        atomic_store(&w->tried, true);
        if (up)
            fd_conn_exec_stoppable(&w->conn, cmd, input, every + GUARD_GRACE_US, &r->watch_quit,
                                   &er);
        else
            er.error_msg = fd_strdup(w->conn.error ? w->conn.error : "cannot connect");
        bool ok = w->conn.connected && er.error == FD_OK && er.exit_status == 0;
        if (ok && strstr(er.out, "halted: ")) {
            halted(w, er.out);
            fd_exec_result_free(&er);
            break;
        }
        if (!ok && !lost && !atomic_load(&r->watch_quit)) {
            fd_run_error(r,
                         "the watch on host %s failed (a halt there is not seen until it is "
                         "back; its lease lapses %s after the last renewal): %s",
                         h->name, "the ttl",
                         er.error_msg ? er.error_msg
                         : er.err     ? er.err
                                      : "");
            lost = true;
        } else if (ok && lost) {
            fd_run_log(r, "the watch on host %s is back", h->name);
            lost = false;
        }
        if (!ok && (!w->conn.connected || er.error == FD_ERR_SSH))
            fd_conn_close(&w->conn); /* connect again next time */
        fd_exec_result_free(&er);
        watch_sleep(r, t0 + 1000000); /* a watch that ends early is not run again at once */
    }
    free(cmd);
    free(input);
    free(wait);
    return NULL;
}

static void open_heal_conn(size_t i, void *arg)
{
    fd_run *r = arg;
    fd_pool_ensure_heal(&r->pool, r->leased[i]);
}

/* Waits until every watch has tried its first connection, at most the longest connect
 * timeout and a second. */
static void wait_watches_tried(fd_run *r)
{
    int64_t longest = 0;
    for (size_t i = 0; i < r->nwatches; i++) {
        int64_t t = r->s->inv.hosts[r->watches[i].host].connect_timeout_us;
        longest = t > longest ? t : longest;
    }
    int64_t until = fd_mono_us() + longest + 1000000;
    for (size_t i = 0; i < r->nwatches; i++)
        while (r->watches[i].started && !atomic_load(&r->watches[i].tried) && fd_mono_us() < until)
            fd_sleep_us(5000);
}

void fd_lease_watch_start(fd_run *r)
{
    if (!r->nleased)
        return;
    /* Every connection a fault's apply or heal uses is made now, before the first step:
     * their handshakes (the hosts' sshd and the controller, a few tens of ms of CPU
     * each) then do not compete with the first fault's agents, and a halt is watched
     * from the first fault on. The heal connections first, then the watches': a fleet
     * on few CPUs answers one burst of handshakes within the connect timeout sooner
     * than two at once. */
    fd_fanout(r->nleased, 0, open_heal_conn, r);
    r->watches = fd_xcalloc(r->nleased, sizeof *r->watches);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, (size_t)1 << 20); /* libssh and its crypto, with room */
    for (size_t i = 0; i < r->nleased; i++) {
        fd_lease_watch *w = &r->watches[i];
        w->r = r;
        w->host = r->leased[i];
        pthread_mutex_init(&w->conn.lock, NULL);
        pthread_mutex_init(&w->conn.open_lock, NULL);
        w->conn.host = &r->s->inv.hosts[w->host];
        w->started = pthread_create(&w->thread, &attr, watch_main, w) == 0;
        if (!w->started)
            fd_run_error(r, "cannot start the watch on host %s: a halt there is not seen",
                         r->s->inv.hosts[w->host].name);
    }
    pthread_attr_destroy(&attr);
    r->nwatches = r->nleased;
    wait_watches_tried(r);
}

void fd_lease_finish(fd_run *r)
{
    atomic_store(&r->watch_quit, true);
    for (size_t i = 0; i < r->nwatches; i++) {
        fd_lease_watch *w = &r->watches[i];
        if (w->started)
            pthread_join(w->thread, NULL);
        fd_conn_close(&w->conn);
        pthread_mutex_destroy(&w->conn.lock);
        pthread_mutex_destroy(&w->conn.open_lock);
    }
    free(r->watches);
    r->watches = NULL;
    r->nwatches = 0;
    if (!r->nleased || r->leases_released)
        return;
    r->leases_released = true;
    if (fd_run_has(r, FD_OUTCOME_HEAL_FAILED)) {
        char *d = fd_format_duration(r->lease_ttl_us);
        fd_run_error(r,
                     "the leases stay on the %zu host%s (a fault may still be in place); they "
                     "lapse within %s, or firedrill heal --run %s clears them",
                     r->nleased, r->nleased == 1 ? "" : "s", d, r->run_id);
        free(d);
        return;
    }
    release(r, NULL);
}
