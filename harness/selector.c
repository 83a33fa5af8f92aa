/* selector.c: matching, `where` filtering on live hosts, and seeded picks. */
#include "selector.h"
#include "fanout.h"

#include <stdlib.h>
#include <string.h>

bool fd_selector_parse_pick(const char *s, fd_selector *sel)
{
    int64_t n = 0;
    if (strcmp(s, "all") == 0) {
        sel->pick = FD_PICK_ALL;
    } else if (strcmp(s, "one") == 0) {
        sel->pick = FD_PICK_ONE;
        sel->pick_n = 1;
    } else if (fd_str_starts(s, "random:") && fd_parse_uint(s + 7, 100000, &n) && n > 0) {
        sel->pick = FD_PICK_RANDOM;
        sel->pick_n = n;
    } else if (fd_str_starts(s, "percent:") && fd_parse_uint(s + 8, 100, &n) && n > 0) {
        sel->pick = FD_PICK_PERCENT;
        sel->pick_n = n;
    } else {
        return false;
    }
    return true;
}

void fd_rng_seed(fd_rng *r, uint64_t seed)
{
    r->state = seed;
}

uint64_t fd_rng_next(fd_rng *r)
{
    uint64_t z = (r->state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

size_t fd_selector_match(const fd_selector *sel, const fd_inventory *inv, size_t *out)
{
    size_t n = 0;
    for (size_t i = 0; i < inv->n; i++) {
        const fd_host *h = &inv->hosts[i];
        if (sel->hosts.n && !fd_strv_contains(&sel->hosts, h->name))
            continue;
        if (sel->role && !fd_strv_contains(&h->roles, sel->role))
            continue;
        if (sel->datacenter && !fd_str_eq(h->datacenter, sel->datacenter))
            continue;
        out[n++] = i;
    }
    return n;
}

size_t fd_selector_pick(const fd_selector *sel, size_t *idx, size_t n, fd_rng *rng)
{
    size_t want = n;
    switch (sel->pick) {
    case FD_PICK_ALL:
        return n;
    case FD_PICK_ONE:
        return n ? 1 : 0;
    case FD_PICK_RANDOM:
        want = (size_t)sel->pick_n < n ? (size_t)sel->pick_n : n;
        break;
    case FD_PICK_PERCENT:
        want = (n * (size_t)sel->pick_n + 99) / 100;
        if (want == 0 && n)
            want = 1;
        break;
    }
    /* Partial Fisher-Yates: the first `want` slots become a uniform sample. */
    for (size_t i = 0; i < want; i++) {
        size_t j = i + (size_t)(fd_rng_next(rng) % (n - i));
        size_t t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
    }
    /* Keep the chosen hosts in inventory order, for readable plans and reports. */
    for (size_t i = 1; i < want; i++)
        for (size_t j = i; j > 0 && idx[j - 1] > idx[j]; j--) {
            size_t t = idx[j];
            idx[j] = idx[j - 1];
            idx[j - 1] = t;
        }
    return want;
}

typedef struct where_job {
    const fd_selector *sel;
    fd_pool *pool;
    const char *run_id;
    const size_t *cand;
    fd_where_result *res;
} where_job;

static void where_one(size_t i, void *arg)
{
    where_job *j = arg;
    size_t h = j->cand[i];
    fd_conn *c = &j->pool->conns[h];
    fd_where_result *r = &j->res[i];
    r->host = h;
    if (fd_pool_ensure(j->pool, h) != FD_OK) {
        r->detail = fd_strdup(c->error ? c->error : "unreachable");
        return;
    }
    char *cmd = fd_host_command(c->host, j->run_id, j->sel->where, false);
    fd_exec_result er;
    fd_conn_exec(c, cmd, NULL, 30000000, &er);
    free(cmd);
    if (er.error != FD_OK) {
        r->detail = fd_strdup(er.error_msg);
    } else {
        r->ran = true;
        r->exit_status = er.exit_status;
        r->kept = er.exit_status == 0;
        if (!r->kept && er.err[0])
            r->detail = fd_printable(er.err, 200);
    }
    fd_exec_result_free(&er);
}

fd_rng fd_selector_rng(uint64_t seed, const fd_selector *sel)
{
    fd_rng r;
    fd_rng_seed(&r, seed ^ (((uint64_t)(uint32_t)sel->line << 32) | (uint32_t)sel->col));
    fd_rng_next(&r); /* mix the position in before the first draw */
    return r;
}

size_t fd_selector_resolve(const fd_selector *sel, fd_pool *pool, const char *run_id, uint64_t seed,
                           size_t *out, fd_where_result **details, size_t *ndetails)
{
    fd_rng rng = fd_selector_rng(seed, sel);
    const fd_inventory *inv = pool->inv;
    size_t *cand = fd_xcalloc(inv->n ? inv->n : 1, sizeof *cand);
    size_t n = fd_selector_match(sel, inv, cand);
    if (details) {
        *details = NULL;
        *ndetails = 0;
    }
    if (sel->where && n) {
        where_job j = {.sel = sel, .pool = pool, .run_id = run_id, .cand = cand};
        j.res = fd_xcalloc(n, sizeof *j.res);
        fd_fanout(n, 0, where_one, &j);
        size_t kept = 0;
        for (size_t i = 0; i < n; i++)
            if (j.res[i].kept)
                cand[kept++] = j.res[i].host;
        if (details) {
            *details = j.res;
            *ndetails = n;
        } else {
            for (size_t i = 0; i < n; i++)
                free(j.res[i].detail);
            free(j.res);
        }
        n = kept;
    }
    n = fd_selector_pick(sel, cand, n, &rng);
    memcpy(out, cand, n * sizeof *out);
    free(cand);
    return n;
}

char *fd_selector_describe(const fd_selector *sel)
{
    fd_buf b;
    fd_buf_init(&b, 8192);
    const char *sep = "";
    if (sel->hosts.n) {
        fd_buf_puts(&b, "hosts=");
        for (size_t i = 0; i < sel->hosts.n; i++)
            fd_buf_printf(&b, "%s%s", i ? "," : "", sel->hosts.v[i]);
        sep = ", ";
    }
    if (sel->role) {
        fd_buf_printf(&b, "%srole=%s", sep, sel->role);
        sep = ", ";
    }
    if (sel->datacenter) {
        fd_buf_printf(&b, "%sdatacenter=%s", sep, sel->datacenter);
        sep = ", ";
    }
    if (sel->where) {
        char *q = fd_printable(sel->where, 120);
        fd_buf_printf(&b, "%swhere `%s`", sep, q);
        free(q);
        sep = ", ";
    }
    switch (sel->pick) {
    case FD_PICK_ALL:
        break;
    case FD_PICK_ONE:
        fd_buf_printf(&b, "%spick one", sep);
        break;
    case FD_PICK_RANDOM:
        fd_buf_printf(&b, "%spick random:%lld", sep, (long long)sel->pick_n);
        break;
    case FD_PICK_PERCENT:
        fd_buf_printf(&b, "%spick percent:%lld", sep, (long long)sel->pick_n);
        break;
    }
    return fd_buf_steal(&b);
}
