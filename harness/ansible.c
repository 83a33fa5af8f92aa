/* ansible.c: an Ansible inventory resolved into firedrill's hosts: the variables of
 * all, of every group a host is in (parents before children, as Ansible orders them),
 * of group_vars and host_vars, then read as connection settings. */
#include "ansible.h"
#include "value.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- the groups a host is in, and their order ---- */

static fd_an_group *find_group(fd_an_inv *a, const char *name)
{
    for (size_t i = 0; i < a->ngroups; i++)
        if (strcmp(a->groups[i].name, name) == 0)
            return &a->groups[i];
    return NULL;
}

/* Each group's depth below all (a group no other names as a child is at 1), as Ansible
 * orders variables; a group that is its own ancestor is reported. */
static bool group_depths(fd_an_inv *a, int *depth)
{
    for (size_t i = 0; i < a->ngroups; i++)
        depth[i] = strcmp(a->groups[i].name, "all") == 0 ? 0 : 1;
    for (size_t round = 0; round <= a->ngroups; round++) {
        bool changed = false;
        for (size_t i = 0; i < a->ngroups; i++) {
            for (size_t c = 0; c < a->groups[i].children.n; c++) {
                fd_an_group *child = find_group(a, a->groups[i].children.v[c]);
                size_t ci = (size_t)(child - a->groups);
                if (strcmp(child->name, "all") != 0 && depth[ci] < depth[i] + 1) {
                    depth[ci] = depth[i] + 1;
                    changed = true;
                }
            }
        }
        if (!changed)
            return true;
    }
    for (size_t i = 0; i < a->ngroups; i++) {
        if (depth[i] > (int)a->ngroups) {
            fd_an_group *g = &a->groups[i];
            fd_an_error(a, g->file, g->line, g->col,
                        "group '%s' is a child of itself (through its children)", g->name);
            return false;
        }
    }
    return false;
}

typedef struct order_ctx {
    fd_an_inv *a;
    const int *depth;
} order_ctx;

static int group_priority(const fd_an_group *g)
{
    int prio = 1;
    const fd_an_vars *sets[] = {&g->vars, &g->file_vars};
    for (size_t s = 0; s < 2; s++) {
        for (size_t i = 0; i < sets[s]->n; i++) {
            int64_t p;
            const fd_an_var *v = &sets[s]->v[i];
            if (strcmp(v->name, "ansible_group_priority") == 0 && v->value &&
                fd_parse_uint(v->value, 1000000, &p))
                prio = (int)p;
        }
    }
    return prio;
}

/* Marks in member every group host h is in: those naming it, their parents, all. */
static void host_groups(fd_an_inv *a, const fd_an_host *h, bool *member)
{
    memset(member, 0, a->ngroups * sizeof *member);
    member[find_group(a, "all") - a->groups] = true;
    if (h->groups.n == 0)
        member[find_group(a, "ungrouped") - a->groups] = true;
    for (size_t i = 0; i < h->groups.n; i++)
        member[find_group(a, h->groups.v[i]) - a->groups] = true;
    for (bool changed = true; changed;) {
        changed = false;
        for (size_t p = 0; p < a->ngroups; p++) {
            for (size_t c = 0; c < a->groups[p].children.n && !member[p]; c++) {
                if (member[find_group(a, a->groups[p].children.v[c]) - a->groups]) {
                    member[p] = true;
                    changed = true;
                }
            }
        }
    }
}

/* ---- one host's settings ---- */

typedef struct host_vars {
    const fd_an_var **v; /* the winning definition of each variable */
    size_t n;
} host_vars;

static void merge(host_vars *hv, const fd_an_vars *vs)
{
    for (size_t i = 0; i < vs->n; i++) {
        size_t j = 0;
        while (j < hv->n && strcmp(hv->v[j]->name, vs->v[i].name) != 0)
            j++;
        if (j == hv->n)
            hv->v = fd_xrealloc(hv->v, ++hv->n * sizeof *hv->v);
        hv->v[j] = &vs->v[i];
    }
}

static const fd_an_var *lookup(const host_vars *hv, const char *name)
{
    for (size_t i = 0; i < hv->n; i++)
        if (strcmp(hv->v[i]->name, name) == 0)
            return hv->v[i];
    return NULL;
}

/* The variables host hi sees, in Ansible's order: the groups' from the inventory file (by
 * depth, priority and name), their group_vars files (the same order), the host's own from
 * the inventory file, its host_vars files. */
static void resolve_vars(fd_an_inv *a, const int *depth, const int *prio, size_t hi, bool *member,
                         host_vars *hv)
{
    host_groups(a, &a->hosts[hi], member);
    size_t *order = fd_xcalloc(a->ngroups, sizeof *order), n = 0;
    for (size_t i = 0; i < a->ngroups; i++)
        if (member[i])
            order[n++] = i;
    for (size_t i = 1; i < n; i++) { /* insertion sort: a host is in a few groups */
        size_t g = order[i], j = i;
        for (; j > 0; j--) {
            size_t p = order[j - 1];
            int c = depth[p] != depth[g] ? depth[p] - depth[g]
                    : prio[p] != prio[g] ? prio[p] - prio[g]
                                         : strcmp(a->groups[p].name, a->groups[g].name);
            if (c <= 0)
                break;
            order[j] = p;
        }
        order[j] = g;
    }
    for (size_t i = 0; i < n; i++)
        merge(hv, &a->groups[order[i]].vars);
    for (size_t i = 0; i < n; i++)
        merge(hv, &a->groups[order[i]].file_vars);
    merge(hv, &a->hosts[hi].vars);
    merge(hv, &a->hosts[hi].file_vars);
    free(order);
}

/* The value of the first of names the host has, checked to be literal text. NULL when
 * none is set; *bad set (after reporting) when one cannot be read. */
static const char *literal(fd_an_inv *a, const host_vars *hv, const char *const *names, bool *bad,
                           const fd_an_var **where)
{
    for (size_t i = 0; names[i]; i++) {
        const fd_an_var *v = lookup(hv, names[i]);
        if (!v)
            continue;
        *where = v;
        if (!v->value) {
            fd_an_error(a, v->file, v->line, v->col,
                        "'%s' must be a single value, not a list "
                        "or a mapping",
                        v->name);
        } else if (strstr(v->value, "{{") || strstr(v->value, "{%") || strstr(v->value, "{#")) {
            fd_an_error(a, v->file, v->line, v->col,
                        "'%s' needs Ansible's templating ('{{ ... }}'), which firedrill does not "
                        "evaluate: give its value literally",
                        v->name);
        } else if (strncmp(v->value, FD_AN_VAULT_MARK, strlen(FD_AN_VAULT_MARK)) == 0) {
            fd_an_error(a, v->file, v->line, v->col,
                        "'%s' is encrypted with Ansible Vault, which firedrill does not decrypt: "
                        "give its value unencrypted",
                        v->name);
        } else {
            return v->value;
        }
        *bad = true;
        return NULL;
    }
    return NULL;
}

static bool truth(const char *s, bool *out)
{
    static const char *const yes[] = {"true", "yes", "on", "1", "y", NULL};
    static const char *const no[] = {"false", "no", "off", "0", "n", NULL};
    for (size_t i = 0; yes[i]; i++) {
        if (strcasecmp(s, yes[i]) == 0)
            return *out = true, true;
        if (strcasecmp(s, no[i]) == 0)
            return *out = false, true;
    }
    return false;
}

static bool ssh_args(fd_an_inv *a, const fd_an_var *v, char **jump, fd_strv *seen);

/* The variables firedrill reads; every other one is reported under --verbose. */
static const char *const known_vars[] = {"ansible_host",
                                         "ansible_ssh_host",
                                         "ansible_port",
                                         "ansible_ssh_port",
                                         "ansible_user",
                                         "ansible_ssh_user",
                                         "ansible_ssh_private_key_file",
                                         "ansible_private_key_file",
                                         "ansible_ssh_common_args",
                                         "ansible_ssh_extra_args",
                                         "ansible_become",
                                         "ansible_become_method",
                                         "ansible_become_user",
                                         "ansible_connection",
                                         "ansible_group_priority",
                                         NULL};

static bool known(const char *name, const char *dc_var)
{
    for (size_t i = 0; known_vars[i]; i++)
        if (strcmp(known_vars[i], name) == 0)
            return true;
    return fd_str_eq(name, dc_var);
}

typedef struct host_ctx {
    fd_an_inv *a;
    const fd_ansible_opts *o;
    const host_vars *hv;
    fd_strv *seen; /* what was warned of */
    bool bad;
} host_ctx;

static const char *get(host_ctx *c, const char *n1, const char *n2, const fd_an_var **where)
{
    const char *names[] = {n1, n2, NULL};
    *where = NULL;
    return literal(c->a, c->hv, names, &c->bad, where);
}

/* A checked word (address, datacenter) from a variable. */
static char *word(host_ctx *c, const char *v, const fd_an_var *at, bool (*valid)(const char *),
                  const char *rule)
{
    if (!v)
        return NULL;
    if (!valid(v)) {
        char *q = fd_printable(v, 60);
        fd_an_error(c->a, at->file, at->line, at->col, "'%s' value '%s' %s", at->name, q, rule);
        free(q);
        c->bad = true;
        return NULL;
    }
    return fd_strdup(v);
}

/* sudo from ansible_become: firedrill becomes root with `sudo -n`, and nothing else. */
static void become(host_ctx *c, fd_host_opts *o)
{
    const fd_an_var *at;
    const char *b = get(c, "ansible_become", NULL, &at);
    bool on;
    if (!b)
        return;
    if (!truth(b, &on)) {
        fd_an_error(c->a, at->file, at->line, at->col, "'ansible_become' must be true or false");
        c->bad = true;
        return;
    }
    const char *m = get(c, "ansible_become_method", NULL, &at);
    if (on && m && strcmp(m, "sudo") != 0) {
        fd_an_error(c->a, at->file, at->line, at->col,
                    "'ansible_become_method' is '%s': firedrill becomes root only with sudo", m);
        c->bad = true;
    }
    const char *u = get(c, "ansible_become_user", NULL, &at);
    if (on && u && strcmp(u, "root") != 0) {
        fd_an_error(c->a, at->file, at->line, at->col,
                    "'ansible_become_user' is '%s': firedrill becomes root only", u);
        c->bad = true;
    }
    o->sudo = on;
}

/* The host's settings, the wrapper's defaults under the inventory's variables. */
static void host_settings(host_ctx *c, fd_host *h, fd_host_opts *o)
{
    const fd_an_var *at;
    const char *v;
    if ((v = get(c, "ansible_user", "ansible_ssh_user", &at)) != NULL) {
        if (!fd_inventory_valid_word(v) || *v == '-') {
            char *q = fd_printable(v, 60);
            fd_an_error(c->a, at->file, at->line, at->col, "'%s' value '%s' " FD_WORD_RULE,
                        at->name, q);
            free(q);
            c->bad = true;
        } else {
            free(o->user);
            o->user = fd_strdup(v);
        }
    }
    if ((v = get(c, "ansible_port", "ansible_ssh_port", &at)) != NULL) {
        if (!fd_parse_uint(v, 65535, &o->port) || o->port == 0) {
            fd_an_error(c->a, at->file, at->line, at->col, "'%s' must be a port from 1 to 65535",
                        at->name);
            c->bad = true;
        }
    }
    if ((v = get(c, "ansible_ssh_private_key_file", "ansible_private_key_file", &at)) != NULL) {
        free(o->identity);
        o->identity = fd_strdup(v);
    }
    become(c, o);
    for (size_t i = 0; i < 2; i++) {
        static const char *const args[] = {"ansible_ssh_common_args", "ansible_ssh_extra_args"};
        if ((v = get(c, args[i], NULL, &at)) != NULL &&
            !ssh_args(c->a, at, &o->jump, c->o->verbose ? c->seen : NULL))
            c->bad = true;
    }
    if ((v = get(c, "ansible_host", "ansible_ssh_host", &at)) != NULL)
        h->address = word(c, v, at, fd_inventory_valid_address, FD_ADDRESS_RULE);
    if (c->o->datacenter_var && (v = get(c, c->o->datacenter_var, NULL, &at)) != NULL)
        h->datacenter = word(c, v, at, fd_inventory_valid_word, FD_WORD_RULE);
}

/* Warns, once per variable, of what firedrill does not read (only under --verbose). */
static void warn_unread(fd_an_inv *a, const fd_ansible_opts *o, const host_vars *hv, fd_strv *seen)
{
    for (size_t i = 0; i < hv->n && o->verbose; i++) {
        const fd_an_var *v = hv->v[i];
        if (known(v->name, o->datacenter_var) || fd_strv_contains(seen, v->name))
            continue;
        fd_strv_push(seen, v->name);
        char *q = fd_printable(v->name, 60);
        fprintf(stderr,
                "%s:%d:%d: warning: Ansible variable '%s' is not one firedrill reads; "
                "ignored\n",
                v->file, v->line, v->col, q);
        free(q);
    }
}

/* ---- ssh arguments: the one thing in them firedrill applies is the jump host ---- */

static void warn_arg(const fd_an_var *v, fd_strv *seen, const char *arg)
{
    if (!seen)
        return;
    char *key = fd_asprintf("%s:%d:%d:%s", v->file, v->line, v->col, arg);
    bool again = fd_strv_contains(seen, key);
    if (!again)
        fd_strv_push(seen, key);
    free(key);
    if (again)
        return;
    char *q = fd_printable(arg, 60);
    fprintf(stderr, "%s:%d:%d: warning: ssh option '%s' in '%s' is not applied by firedrill\n",
            v->file, v->line, v->col, q, v->name);
    free(q);
}

/* `ssh -W %h:%p [-q] [-p PORT] [-l USER] [USER@]HOST` as a jump host; NULL otherwise. */
static char *proxy_command(const char *cmd)
{
    fd_strv w = {0};
    int cols[32];
    char *jump = NULL, *port = NULL, *user = NULL;
    const char *dest = NULL;
    bool forward = false,
         ok = fd_an_words(cmd, &w, cols, 32) && w.n > 1 && strcmp(w.v[0], "ssh") == 0;
    for (size_t i = 1; ok && i < w.n; i++) {
        bool has_next = i + 1 < w.n;
        if (strcmp(w.v[i], "-q") == 0)
            continue;
        if (strcmp(w.v[i], "-W") == 0 && has_next && strcmp(w.v[i + 1], "%h:%p") == 0)
            forward = true, i++;
        else if (strcmp(w.v[i], "-p") == 0 && has_next)
            port = w.v[++i];
        else if (strcmp(w.v[i], "-l") == 0 && has_next)
            user = w.v[++i];
        else if (w.v[i][0] != '-' && !dest)
            dest = w.v[i];
        else
            ok = false;
    }
    if (ok && forward && dest)
        jump = fd_asprintf("%s%s%s%s%s", user ? user : "", user ? "@" : "", dest, port ? ":" : "",
                           port ? port : "");
    fd_strv_free(&w);
    return jump;
}

/* Applies `-J X`, `-o ProxyJump=X` or an `ssh -W` ProxyCommand from an ssh arguments
 * variable; other options are not applied (said once each, when seen is given: under
 * --verbose). */
static bool ssh_args(fd_an_inv *a, const fd_an_var *v, char **jump, fd_strv *seen)
{
    fd_strv w = {0};
    int cols[64];
    if (!fd_an_words(v->value, &w, cols, 64)) {
        fd_an_error(a, v->file, v->line, v->col, "'%s' has an unclosed quote or more than 64 words",
                    v->name);
        fd_strv_free(&w);
        return false;
    }
    char *found = NULL;
    bool ok = true;
    for (size_t i = 0; i < w.n && ok; i++) {
        const char *arg = w.v[i], *opt = NULL;
        bool is_j = fd_str_starts(arg, "-J"), is_o = fd_str_starts(arg, "-o");
        if ((is_j || is_o) && !arg[2] && i + 1 < w.n)
            opt = w.v[++i];
        else if (is_j || is_o)
            opt = arg + 2;
        if (!opt || !*opt) {
            warn_arg(v, seen, arg);
            continue;
        }
        const char *val = opt;
        if (is_o) {
            size_t k = strcspn(opt, "= \t");
            val = opt + k + strspn(opt + k, "= \t");
            if (k == 12 && strncasecmp(opt, "ProxyCommand", 12) == 0) {
                free(found);
                found = proxy_command(val);
                if (!found) {
                    char *q = fd_printable(val, 80);
                    fd_an_error(a, v->file, v->line, v->col,
                                "'%s': ProxyCommand '%s' is not 'ssh -W %%h:%%p [user@]host': "
                                "firedrill reaches a host through one SSH jump host; write it "
                                "as -o ProxyJump=[user@]host[:port]",
                                v->name, q);
                    free(q);
                    ok = false;
                }
                continue;
            }
            if (k != 9 || strncasecmp(opt, "ProxyJump", 9) != 0) {
                warn_arg(v, seen, opt);
                continue;
            }
        }
        if (fd_str_starts(val, "ssh://"))
            val += 6;
        free(found);
        found = strcasecmp(val, "none") == 0 ? NULL : fd_strndup(val, strcspn(val, "/"));
        if (found && strchr(found, ',')) {
            fd_an_error(a, v->file, v->line, v->col,
                        "'%s' names more than one jump host: firedrill reaches a host through "
                        "one",
                        v->name);
            ok = false;
        }
    }
    fd_host tmp = {0};
    if (ok && found && !fd_inventory_set_jump(found, &tmp)) {
        char *q = fd_printable(found, 60);
        fd_an_error(a, v->file, v->line, v->col, "the jump host in '%s' " FD_JUMP_RULE ", got '%s'",
                    v->name, q);
        free(q);
        ok = false;
    }
    free(tmp.jump_user);
    free(tmp.jump_host);
    if (ok && found) {
        free(*jump);
        *jump = found;
        found = NULL;
    }
    free(found);
    fd_strv_free(&w);
    return ok;
}

/* ---- the whole inventory ---- */

static bool is_implicit(const char *group)
{
    return strcmp(group, "all") == 0 || strcmp(group, "ungrouped") == 0;
}

/* Host hi as firedrill's next host in inv, unless Ansible reaches it other than over SSH. */
static void build_host(fd_an_inv *a, const fd_ansible_opts *o, const char *inv_dir,
                       const int *depth, const int *prio, size_t hi, fd_strv *seen,
                       fd_inventory *inv)
{
    fd_an_host *ah = &a->hosts[hi];
    bool *member = fd_xcalloc(a->ngroups, sizeof *member);
    host_vars hv = {0};
    resolve_vars(a, depth, prio, hi, member, &hv);
    warn_unread(a, o, &hv, seen);
    host_ctx c = {.a = a, .o = o, .hv = &hv, .seen = seen};
    const fd_an_var *at;
    const char *conn = get(&c, "ansible_connection", NULL, &at);
    if (conn && strcmp(conn, "ssh") && strcmp(conn, "smart") && strcmp(conn, "paramiko")) {
        char *q = fd_printable(ah->name, 64);
        if (strcmp(conn, "local") == 0 && o->verbose)
            fprintf(stderr,
                    "%s:%d:%d: note: host '%s' is left out: Ansible reaches it with "
                    "ansible_connection=local, firedrill only over SSH\n",
                    at->file, at->line, at->col, q);
        else if (strcmp(conn, "local") != 0)
            fd_an_error(a, at->file, at->line, at->col,
                        "host '%s': ansible_connection '%s' is not SSH, which is how firedrill "
                        "reaches hosts",
                        q, conn);
        free(q);
        goto out;
    }
    fd_host *h = &inv->hosts[inv->n++];
    h->name = fd_strdup(ah->name);
    h->line = ah->line;
    h->col = ah->col;
    if (!fd_inventory_valid_word(ah->name)) {
        char *q = fd_printable(ah->name, 60);
        fd_an_error(a, ah->file, ah->line, ah->col, "host name '%s' " FD_WORD_RULE, q);
        free(q);
    }
    for (size_t g = 0; g < a->ngroups; g++)
        if (member[g] && !is_implicit(a->groups[g].name))
            fd_strv_push(&h->roles, a->groups[g].name);
    fd_host_opts opts = fd_host_opts_copy(o->defaults);
    host_settings(&c, h, &opts);
    if (opts.identity && (lookup(&hv, "ansible_ssh_private_key_file") != NULL ||
                          lookup(&hv, "ansible_private_key_file") != NULL)) {
        char *p = fd_path_resolve(opts.identity, inv_dir);
        free(opts.identity);
        opts.identity = p;
    }
    if (!h->address)
        h->address = fd_strdup(h->name);
    if (opts.jump && !h->jump_host && !fd_inventory_set_jump(opts.jump, h))
        fd_an_error(a, inv->file, 0, 0, "the inventory's 'jump' " FD_JUMP_RULE);
    fd_host_apply_opts(h, &opts, o->base_dir);
out:
    free(hv.v);
    free(member);
}

static void free_vars(fd_an_vars *vs)
{
    for (size_t j = 0; j < vs->n; j++) {
        free(vs->v[j].name);
        free(vs->v[j].value);
    }
    free(vs->v);
}

static void free_model(fd_an_inv *a)
{
    for (size_t i = 0; i < a->ngroups; i++) {
        free(a->groups[i].name);
        fd_strv_free(&a->groups[i].children);
        free_vars(&a->groups[i].vars);
        free_vars(&a->groups[i].file_vars);
    }
    for (size_t i = 0; i < a->nhosts; i++) {
        free(a->hosts[i].name);
        fd_strv_free(&a->hosts[i].groups);
        free_vars(&a->hosts[i].vars);
        free_vars(&a->hosts[i].file_vars);
    }
    free(a->groups);
    free(a->hosts);
    fd_strv_free(&a->files);
}

bool fd_ansible_load(fd_yt *t, const char *path, const fd_ynode *root, const fd_ansible_opts *o,
                     fd_inventory *inv)
{
    int before = t->errors;
    fd_an_inv a = {.t = t};
    fd_strv_push(&a.files, path);
    const char *file = a.files.v[0];
    fd_an_read_sources(&a, file, root, o->named_by_file);
    if (t->errors != before) {
        free_model(&a);
        return false;
    }
    fd_an_group_get(&a, "all", file, 0, 0);
    fd_an_group_get(&a, "ungrouped", file, 0, 0);
    for (size_t i = 0; i < a.ngroups; i++) {
        fd_an_group *g = &a.groups[i];
        if (!is_implicit(g->name) && !fd_inventory_valid_word(g->name)) {
            char *q = fd_printable(g->name, 60);
            fd_an_error(&a, g->file, g->line, g->col, "group name '%s', a role, " FD_WORD_RULE, q);
            free(q);
        }
    }
    char *dir = fd_an_vars_dir(path);
    fd_an_read_vars_files(&a, dir);
    int *depth = fd_xcalloc(a.ngroups, sizeof *depth);
    int *prio = fd_xcalloc(a.ngroups, sizeof *prio);
    for (size_t i = 0; i < a.ngroups; i++)
        prio[i] = group_priority(&a.groups[i]);
    if (t->errors == before && group_depths(&a, depth)) {
        if (a.nhosts == 0)
            fd_an_error(&a, file, 0, 0, "the Ansible inventory lists no host");
        inv->hosts = fd_xcalloc(a.nhosts ? a.nhosts : 1, sizeof *inv->hosts);
        fd_strv seen = {0};
        for (size_t i = 0; i < a.nhosts; i++)
            build_host(&a, o, dir, depth, prio, i, &seen, inv);
        fd_strv_free(&seen);
        if (a.nhosts && inv->n == 0 && t->errors == before)
            fd_an_error(&a, file, 0, 0, "the Ansible inventory lists no host reached over SSH");
    }
    free(depth);
    free(prio);
    free(dir);
    free_model(&a);
    return t->errors == before;
}
