/* init.c: a starter scenario from a template, its hosts, roles and addresses taken from
 * the inventory it will run against, so that it validates as written. */
#include "init.h"
#include "value.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

const fd_init_template *fd_init_find(const char *name)
{
    for (const fd_init_template *t = fd_init_templates; t->name; t++)
        if (strcmp(t->name, name) == 0)
            return t;
    return NULL;
}

/* The role a keyword set names in inv: one equal to a keyword (in the set's order), else
 * one containing it; NULL when none does. */
static const char *find_role(const fd_inventory *inv, const char *kws)
{
    for (int pass = 0; pass < 2; pass++) {
        for (const char *k = kws; *k;) {
            size_t n = strcspn(k, "|");
            for (size_t i = 0; i < inv->n; i++) {
                for (size_t r = 0; r < inv->hosts[i].roles.n; r++) {
                    const char *role = inv->hosts[i].roles.v[r];
                    bool hit = false;
                    if (pass == 0)
                        hit = strlen(role) == n && strncasecmp(role, k, n) == 0;
                    else
                        for (const char *p = role; *p && !hit; p++)
                            hit = strncasecmp(p, k, n) == 0;
                    if (hit)
                        return role;
                }
            }
            k += n + (k[n] == '|');
        }
    }
    return NULL;
}

/* The hosts a keyword set stands for: those with its role, else every host. */
typedef struct matched {
    const char *role;
    const fd_host **h;
    size_t n;
} matched;

static matched match(const fd_inventory *inv, const char *kws, fd_strv *notes)
{
    matched m = {.role = find_role(inv, kws), .h = fd_xcalloc(inv->n ? inv->n : 1, sizeof *m.h)};
    for (size_t i = 0; i < inv->n; i++)
        if (!m.role || fd_strv_contains(&inv->hosts[i].roles, m.role))
            m.h[m.n++] = &inv->hosts[i];
    if (!m.role) {
        char *note = fd_asprintf("no role in the inventory is named like '%s': the drill "
                                 "targets every host by name; edit its targets",
                                 kws);
        if (!fd_strv_contains(notes, note))
            fd_strv_push(notes, note);
        free(note);
    }
    return m;
}

/* An address as it goes before ":port": an IPv6 address in brackets. */
static void put_address(fd_buf *b, const char *addr, bool port_follows)
{
    bool v6 = port_follows && strchr(addr, ':');
    fd_buf_printf(b, "%s%s%s", v6 ? "[" : "", addr, v6 ? "]" : "");
}

/* Fills one placeholder (spec is what stands between "@{" and "}"); next is the
 * template's character after it. False when spec is not one. */
static bool fill(fd_buf *b, const char *spec, char next, const fd_inventory *inv,
                 const char *inventory_yaml, fd_strv *notes)
{
    if (strcmp(spec, "inventory") == 0) {
        fd_buf_puts(b, inventory_yaml);
        return true;
    }
    const char *colon = strchr(spec, ':');
    if (!colon)
        return false;
    size_t kind = (size_t)(colon - spec);
    const char *rest = colon + 1, *arg = strchr(rest, ':');
    char *kws = fd_strndup(rest, arg ? (size_t)(arg - rest) : strlen(rest));
    bool ok = *kws != '\0';
    matched m = {0};
    if (ok)
        m = match(inv, kws, notes);
    if (!ok || m.n == 0) {
        ok = false;
    } else if (kind == 6 && strncmp(spec, "target", 6) == 0 && !arg) {
        if (m.role) {
            fd_buf_printf(b, "role: %s", m.role);
        } else {
            fd_buf_puts(b, "hosts: [");
            for (size_t i = 0; i < m.n; i++)
                fd_buf_printf(b, "%s%s", i ? ", " : "", m.h[i]->name);
            fd_buf_puts(b, "]");
        }
    } else if (kind == 4 && strncmp(spec, "list", 4) == 0 && arg) {
        for (size_t i = 0; i < m.n; i++) {
            if (i)
                fd_buf_puts(b, ",");
            for (const char *f = arg + 1; *f; f++) {
                if (*f == '%')
                    put_address(b, m.h[i]->address, f[1] == ':');
                else
                    fd_buf_append(b, f, 1);
            }
        }
    } else if (kind == 4 && (strncmp(spec, "host", 4) == 0 || strncmp(spec, "addr", 4) == 0) &&
               arg) {
        int64_t nth;
        ok = fd_parse_uint(arg + 1, 1000, &nth) && nth > 0;
        if (ok) {
            const fd_host *h = m.h[(size_t)(nth - 1) % m.n];
            if (spec[0] == 'h')
                fd_buf_puts(b, h->name);
            else
                put_address(b, h->address, next == ':');
        }
    } else {
        ok = false;
    }
    free(m.h);
    free(kws);
    return ok;
}

char *fd_init_render(const char *tmpl, const fd_inventory *inv, const char *inventory_yaml,
                     fd_strv *notes, char **err)
{
    fd_buf b;
    fd_buf_init(&b, FD_BUF_UNCAPPED);
    const char *p = tmpl;
    for (const char *at; (at = strstr(p, "@{")) != NULL;) {
        const char *end = strchr(at, '}');
        fd_buf_append(&b, p, (size_t)(at - p));
        char *spec = end ? fd_strndup(at + 2, (size_t)(end - at - 2)) : fd_strdup(at + 2);
        bool ok = end && fill(&b, spec, end[1], inv, inventory_yaml, notes);
        if (!ok) {
            *err = fd_asprintf("the template has a placeholder '@{%.40s}' it cannot fill", spec);
            free(spec);
            fd_buf_free(&b);
            return NULL;
        }
        free(spec);
        p = end + 1;
    }
    fd_buf_puts(&b, p);
    return fd_buf_steal(&b);
}
