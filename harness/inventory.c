/* inventory.c: reading the inventory (defaults + hosts). */
#include "inventory.h"
#include "ansible.h"
#include "value.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static const char *const default_keys[] = {
    "user", "port", "identity", "known_hosts", "sudo", "connect_timeout", "jump", NULL};
static const char *const host_keys[] = {
    "name",     "address",     "datacenter", "roles",           "user", "port",
    "identity", "known_hosts", "sudo",       "connect_timeout", "jump", NULL};

/* Reads the per-host overridable keys into o (keeping what is absent). */
static bool read_opts(fd_yt *t, const fd_ynode *m, const char *what, fd_host_opts *o)
{
    bool ok = true;
    ok &= fd_yt_str(t, m, "user", false, what, &o->user);
    ok &= fd_yt_uint(t, m, "port", false, what, 65535, &o->port);
    if (fd_ymap_get(m, "port") && o->port == 0) {
        fd_yt_err(t, fd_ymap_get(m, "port"), "'port' must be from 1 to 65535, got '0'");
        ok = false;
    }
    ok &= fd_yt_str(t, m, "identity", false, what, &o->identity);
    ok &= fd_yt_str(t, m, "known_hosts", false, what, &o->known_hosts);
    ok &= fd_yt_bool(t, m, "sudo", what, &o->sudo);
    ok &= fd_yt_duration(t, m, "connect_timeout", false, what, &o->connect_timeout_us);
    ok &= fd_yt_str(t, m, "jump", false, what, &o->jump);
    return ok;
}

bool fd_inventory_valid_word(const char *s)
{
    if (!*s || strlen(s) > 64)
        return false;
    for (const char *p = s; *p; p++)
        if (!(isalnum((unsigned char)*p) || *p == '-' || *p == '_' || *p == '.'))
            return false;
    return true;
}

/* An address: a host name, IPv4 or IPv6 (a zone after '%'), nothing a shell, nft or
 * ssh would read otherwise; never starting with '-'. */
bool fd_inventory_valid_address(const char *s)
{
    if (!*s || strlen(s) > 253 || *s == '-')
        return false;
    for (const char *p = s; *p; p++)
        if (!(isalnum((unsigned char)*p) || strchr("-_.:%", *p)))
            return false;
    return true;
}

/* A jump host, `[user@]host[:port]` (as ssh -J writes it; an IPv6 host in brackets):
 * split into h's jump fields. False when it is not one. */
bool fd_inventory_set_jump(const char *s, fd_host *h)
{
    const char *at = strchr(s, '@'), *host = at ? at + 1 : s;
    const char *end = *host == '[' ? strchr(host, ']') : NULL;
    const char *colon = strrchr(end ? end : host, ':');
    if (end && colon && colon != end + 1)
        return false;
    if (!end && colon && strchr(host, ':') != colon)
        colon = NULL; /* a bare IPv6 address: no port */
    char *user = at ? fd_strndup(s, (size_t)(at - s)) : NULL;
    char *name = end ? fd_strndup(host + 1, (size_t)(end - host - 1))
                     : fd_strndup(host, colon ? (size_t)(colon - host) : strlen(host));
    int64_t port = 22;
    bool ok = fd_inventory_valid_address(name) && (!user || fd_inventory_valid_word(user)) &&
              (!user || *user != '-') &&
              (!colon || (fd_parse_uint(colon + 1, 65535, &port) && port > 0));
    if (ok) {
        h->jump_user = user;
        h->jump_host = name;
        h->jump_port = (int)port;
    } else {
        free(user);
        free(name);
    }
    return ok;
}

/* Names, datacenters, roles and addresses reach host commands, agents and their
 * revert scripts: each must hold only its safe characters (valid says which). */
static void check_word(fd_yt *t, const fd_ynode *n, const char *what, const char *s,
                       bool (*valid)(const char *), const char *rule)
{
    if (s && !valid(s)) {
        char *q = fd_printable(s, 60);
        fd_yt_err(t, n, "%s '%s' %s", what, q, rule);
        free(q);
    }
}

/* Reads one host of the inventory (its own settings over the defaults) into the
 * next slot of inv->hosts. */
static void read_host(fd_yt *t, const fd_ynode *h, const char *base_dir, const fd_host_opts *defs,
                      fd_inventory *inv)
{
    fd_host *host = &inv->hosts[inv->n++];
    host->line = h->line;
    host->col = h->col;
    fd_yt_keys(t, h, "a host", host_keys);
    if (!fd_yt_str(t, h, "name", true, "a host", &host->name))
        return;
    check_word(t, fd_ymap_get(h, "name"), "host name", host->name, fd_inventory_valid_word,
               FD_WORD_RULE);
    for (size_t j = 0; j + 1 < inv->n; j++) {
        if (fd_str_eq(inv->hosts[j].name, host->name)) {
            fd_yt_err(t, fd_ymap_get(h, "name"), "host name '%s' is used twice (first at line %d)",
                      host->name, inv->hosts[j].line);
        }
    }
    fd_yt_str(t, h, "address", false, "a host", &host->address);
    check_word(t, fd_ymap_get(h, "address"), "address", host->address, fd_inventory_valid_address,
               FD_ADDRESS_RULE);
    if (!host->address)
        host->address = fd_strdup(host->name);
    fd_yt_str(t, h, "datacenter", false, "a host", &host->datacenter);
    check_word(t, fd_ymap_get(h, "datacenter"), "datacenter", host->datacenter,
               fd_inventory_valid_word, FD_WORD_RULE);
    fd_yt_strlist(t, h, "roles", false, "a host", &host->roles);
    const fd_ynode *rn = fd_ymap_get(h, "roles");
    for (size_t r = 0; r < host->roles.n; r++)
        check_word(t, rn && rn->kind == FD_Y_SEQ && r < rn->n ? rn->items[r] : rn, "role",
                   host->roles.v[r], fd_inventory_valid_word, FD_WORD_RULE);
    fd_host_opts o = fd_host_opts_copy(defs);
    read_opts(t, h, "a host", &o);
    if (o.jump && !fd_inventory_set_jump(o.jump, host)) {
        const fd_ynode *jn = fd_ymap_get(h, "jump");
        char *q = fd_printable(o.jump, 60);
        fd_yt_err(t, jn ? jn : h, "'jump' " FD_JUMP_RULE ", got '%s'", q);
        free(q);
    }
    fd_host_apply_opts(host, &o, base_dir);
}

fd_host_opts fd_host_opts_copy(const fd_host_opts *d)
{
    return (fd_host_opts){.user = fd_strdup(d->user),
                          .port = d->port,
                          .identity = fd_strdup(d->identity),
                          .known_hosts = fd_strdup(d->known_hosts),
                          .sudo = d->sudo,
                          .connect_timeout_us = d->connect_timeout_us,
                          .jump = fd_strdup(d->jump)};
}

void fd_host_apply_opts(fd_host *h, fd_host_opts *o, const char *base_dir)
{
    free(o->jump);
    h->user = o->user;
    h->port = (int)o->port;
    h->identity = o->identity ? fd_path_resolve(o->identity, base_dir) : NULL;
    h->known_hosts =
        fd_path_resolve(o->known_hosts ? o->known_hosts : "~/.ssh/known_hosts", base_dir);
    h->sudo = o->sudo;
    h->connect_timeout_us = o->connect_timeout_us;
    free(o->identity);
    free(o->known_hosts);
    memset(o, 0, sizeof *o);
}

/* A variable name as Ansible writes one. */
static bool valid_var_name(const char *s)
{
    if (!*s || strlen(s) > 64 || isdigit((unsigned char)*s))
        return false;
    for (const char *p = s; *p; p++)
        if (!(isalnum((unsigned char)*p) || *p == '_'))
            return false;
    return true;
}

/* `inventory: {ansible: PATH, datacenter_var: NAME, defaults: {...}}`. */
static void read_ansible(fd_yt *t, const fd_ynode *node, const char *base_dir, bool verbose,
                         const fd_host_opts *defs, fd_inventory *inv)
{
    char *path = NULL, *dc_var = NULL;
    if (!fd_yt_str(t, node, "ansible", true, "the inventory", &path) ||
        !fd_yt_str(t, node, "datacenter_var", false, "the inventory", &dc_var)) {
        free(path);
        return;
    }
    if (dc_var && !valid_var_name(dc_var)) {
        fd_yt_err(t, fd_ymap_get(node, "datacenter_var"),
                  "'datacenter_var' must name an Ansible variable (letters, digits, '_')");
    } else if (!*path) {
        fd_yt_err(t, fd_ymap_get(node, "ansible"),
                  "'ansible' must be the path of an Ansible "
                  "inventory");
    } else {
        char *full = fd_path_resolve(path, base_dir);
        fd_ansible_opts o = {.datacenter_var = dc_var,
                             .defaults = defs,
                             .base_dir = base_dir,
                             .verbose = verbose,
                             .named_by_file = true};
        fd_ansible_load_file(t, full, &o, inv);
        free(full);
    }
    free(path);
    free(dc_var);
}

bool fd_inventory_from_node(fd_yt *t, const fd_ynode *node, const char *file, const char *base_dir,
                            bool verbose, fd_inventory *inv)
{
    int before = t->errors;
    memset(inv, 0, sizeof *inv);
    inv->file = fd_strdup(file);
    if (!fd_yt_map(t, node, "the inventory"))
        return false;
    static const char *const top[] = {"defaults", "hosts", NULL};
    static const char *const top_ansible[] = {"ansible", "datacenter_var", "defaults", NULL};
    bool ansible = fd_ymap_get(node, "ansible") != NULL;
    if (!fd_yt_file_keys(t, node, "the inventory", "an inventory", ansible ? top_ansible : top))
        return false;

    fd_host_opts defs = {.port = 0, .connect_timeout_us = 5000000};
    const fd_ynode *dn = fd_ymap_get(node, "defaults");
    if (dn && fd_yt_map(t, dn, "'defaults'")) {
        fd_yt_keys(t, dn, "inventory defaults", default_keys);
        read_opts(t, dn, "inventory defaults", &defs);
    }
    if (defs.jump && ansible) {
        fd_host tmp = {0};
        if (!fd_inventory_set_jump(defs.jump, &tmp))
            fd_yt_err(t, fd_ymap_get(dn, "jump"), "'jump' " FD_JUMP_RULE);
        free(tmp.jump_user);
        free(tmp.jump_host);
    }

    const fd_ynode *hn = fd_ymap_get(node, "hosts");
    if (ansible) {
        if (t->errors == before)
            read_ansible(t, node, base_dir, verbose, &defs, inv);
    } else if (!hn) {
        fd_yt_missing(t, node, "the inventory", "hosts");
    } else if (hn->kind != FD_Y_SEQ) {
        fd_yt_err(t, hn, "'hosts' must be a list of hosts, got %s", fd_ykind_name(hn));
    } else if (hn->n == 0) {
        fd_yt_err(t, hn, "'hosts' must list at least one host");
    } else if (hn->n > FD_MAX_HOSTS) {
        fd_yt_err(t, hn, "'hosts' lists %zu hosts, more than the limit of %d", hn->n, FD_MAX_HOSTS);
    } else {
        inv->hosts = fd_xcalloc(hn->n, sizeof *inv->hosts);
        for (size_t i = 0; i < hn->n; i++) {
            const fd_ynode *h = hn->items[i];
            if (!fd_yt_map(t, h, "each host"))
                continue;
            read_host(t, h, base_dir, &defs, inv);
        }
    }
    free(defs.user);
    free(defs.identity);
    free(defs.known_hosts);
    free(defs.jump);
    return t->errors == before;
}

void fd_inventory_free(fd_inventory *inv)
{
    if (!inv)
        return;
    for (size_t i = 0; i < inv->n; i++) {
        fd_host *h = &inv->hosts[i];
        free(h->name);
        free(h->address);
        free(h->datacenter);
        fd_strv_free(&h->roles);
        free(h->user);
        free(h->identity);
        free(h->known_hosts);
        free(h->jump_user);
        free(h->jump_host);
    }
    free(inv->hosts);
    free(inv->file);
    memset(inv, 0, sizeof *inv);
}

char *fd_host_jump_words(const fd_host *h)
{
    if (!h->jump_host)
        return NULL;
    return fd_asprintf("%s%s%s:%d", h->jump_user ? h->jump_user : "", h->jump_user ? "@" : "",
                       h->jump_host, h->jump_port ? h->jump_port : 22);
}

const fd_host *fd_inventory_find(const fd_inventory *inv, const char *name)
{
    for (size_t i = 0; i < inv->n; i++)
        if (fd_str_eq(inv->hosts[i].name, name))
            return &inv->hosts[i];
    return NULL;
}

bool fd_inventory_has_role(const fd_inventory *inv, const char *role)
{
    for (size_t i = 0; i < inv->n; i++)
        if (fd_strv_contains(&inv->hosts[i].roles, role))
            return true;
    return false;
}

bool fd_inventory_has_datacenter(const fd_inventory *inv, const char *dc)
{
    for (size_t i = 0; i < inv->n; i++)
        if (fd_str_eq(inv->hosts[i].datacenter, dc))
            return true;
    return false;
}
