/* inventory.c: reading the inventory (defaults + hosts). */
#include "inventory.h"
#include "value.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

typedef struct host_opts {
    char *user;
    int64_t port;
    char *identity;
    char *known_hosts;
    bool sudo;
    int64_t connect_timeout_us;
    char *jump;
} host_opts;

static const char *const default_keys[] = {
    "user", "port", "identity", "known_hosts", "sudo", "connect_timeout", "jump", NULL};
static const char *const host_keys[] = {
    "name",     "address",     "datacenter", "roles",           "user", "port",
    "identity", "known_hosts", "sudo",       "connect_timeout", "jump", NULL};

/* Reads the per-host overridable keys into o (keeping what is absent). */
static bool read_opts(fd_yt *t, const fd_ynode *m, const char *what, host_opts *o)
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

static bool valid_host_name(const char *s)
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
static bool valid_address(const char *s)
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
static bool parse_jump(const char *s, fd_host *h)
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
    bool ok = valid_address(name) && (!user || valid_host_name(user)) && (!user || *user != '-') &&
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

#define WORD_RULE "must be 1 to 64 letters, digits, '-', '_' or '.'"
#define ADDRESS_RULE                                                                               \
    "must be a host name or an IP address (letters, digits, '-', '_', '.', ':', '%')"

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
static void read_host(fd_yt *t, const fd_ynode *h, const char *base_dir, const host_opts *defs,
                      fd_inventory *inv)
{
    fd_host *host = &inv->hosts[inv->n++];
    host->line = h->line;
    host->col = h->col;
    fd_yt_keys(t, h, "a host", host_keys);
    if (!fd_yt_str(t, h, "name", true, "a host", &host->name))
        return;
    check_word(t, fd_ymap_get(h, "name"), "host name", host->name, valid_host_name, WORD_RULE);
    for (size_t j = 0; j + 1 < inv->n; j++) {
        if (fd_str_eq(inv->hosts[j].name, host->name)) {
            fd_yt_err(t, fd_ymap_get(h, "name"), "host name '%s' is used twice (first at line %d)",
                      host->name, inv->hosts[j].line);
        }
    }
    fd_yt_str(t, h, "address", false, "a host", &host->address);
    check_word(t, fd_ymap_get(h, "address"), "address", host->address, valid_address, ADDRESS_RULE);
    if (!host->address)
        host->address = fd_strdup(host->name);
    fd_yt_str(t, h, "datacenter", false, "a host", &host->datacenter);
    check_word(t, fd_ymap_get(h, "datacenter"), "datacenter", host->datacenter, valid_host_name,
               WORD_RULE);
    fd_yt_strlist(t, h, "roles", false, "a host", &host->roles);
    const fd_ynode *rn = fd_ymap_get(h, "roles");
    for (size_t r = 0; r < host->roles.n; r++)
        check_word(t, rn && rn->kind == FD_Y_SEQ && r < rn->n ? rn->items[r] : rn, "role",
                   host->roles.v[r], valid_host_name, WORD_RULE);
    host_opts o = {.user = fd_strdup(defs->user),
                   .port = defs->port,
                   .identity = fd_strdup(defs->identity),
                   .known_hosts = fd_strdup(defs->known_hosts),
                   .sudo = defs->sudo,
                   .connect_timeout_us = defs->connect_timeout_us,
                   .jump = fd_strdup(defs->jump)};
    read_opts(t, h, "a host", &o);
    if (o.jump && !parse_jump(o.jump, host)) {
        const fd_ynode *jn = fd_ymap_get(h, "jump");
        char *q = fd_printable(o.jump, 60);
        fd_yt_err(t, jn ? jn : h,
                  "'jump' must be [user@]host[:port] (a safe user name, a host "
                  "name or an IP address, [IPv6] in brackets), got '%s'",
                  q);
        free(q);
    }
    free(o.jump);
    host->user = o.user;
    host->port = (int)o.port;
    host->identity = o.identity ? fd_path_resolve(o.identity, base_dir) : NULL;
    host->known_hosts =
        fd_path_resolve(o.known_hosts ? o.known_hosts : "~/.ssh/known_hosts", base_dir);
    host->sudo = o.sudo;
    host->connect_timeout_us = o.connect_timeout_us;
    free(o.identity);
    free(o.known_hosts);
}

bool fd_inventory_from_node(fd_yt *t, const fd_ynode *node, const char *file, const char *base_dir,
                            fd_inventory *inv)
{
    int before = t->errors;
    memset(inv, 0, sizeof *inv);
    inv->file = fd_strdup(file);
    if (!fd_yt_map(t, node, "the inventory"))
        return false;
    static const char *const top[] = {"defaults", "hosts", NULL};
    if (!fd_yt_file_keys(t, node, "the inventory", "an inventory", top))
        return false;

    host_opts defs = {.port = 0, .connect_timeout_us = 5000000};
    const fd_ynode *dn = fd_ymap_get(node, "defaults");
    if (dn && fd_yt_map(t, dn, "'defaults'")) {
        fd_yt_keys(t, dn, "inventory defaults", default_keys);
        read_opts(t, dn, "inventory defaults", &defs);
    }

    const fd_ynode *hn = fd_ymap_get(node, "hosts");
    if (!hn) {
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
