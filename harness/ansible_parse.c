/* ansible_parse.c: Ansible's two inventory formats, INI and YAML, read into one model
 * of groups, hosts and their variables, as Ansible's own inventory plugins read them. */
#include "ansible.h"
#include "value.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Ranges in a host pattern (www[01:50], db-[a:f], [1:9:2]) expand to at most this many
 * names each, as an inventory holds at most FD_MAX_HOSTS hosts. */
#define MAX_EXPANSION FD_MAX_HOSTS

void fd_an_error(fd_an_inv *a, const char *file, int line, int col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fd_diag_vadd(a->t->d, file, line, col, fmt, ap);
    va_end(ap);
    a->t->errors++;
}

fd_an_group *fd_an_group_get(fd_an_inv *a, const char *name, const char *file, int line, int col)
{
    for (size_t i = 0; i < a->ngroups; i++)
        if (strcmp(a->groups[i].name, name) == 0)
            return &a->groups[i];
    a->groups = fd_xrealloc(a->groups, (a->ngroups + 1) * sizeof *a->groups);
    fd_an_group *g = &a->groups[a->ngroups++];
    *g = (fd_an_group){.name = fd_strdup(name), .file = file, .line = line, .col = col};
    return g;
}

fd_an_host *fd_an_host_get(fd_an_inv *a, const char *name, const char *file, int line, int col)
{
    for (size_t i = a->nhosts; i-- > 0;)
        if (strcmp(a->hosts[i].name, name) == 0)
            return &a->hosts[i];
    if (a->nhosts >= FD_MAX_HOSTS)
        return NULL;
    a->hosts = fd_xrealloc(a->hosts, (a->nhosts + 1) * sizeof *a->hosts);
    fd_an_host *h = &a->hosts[a->nhosts++];
    *h = (fd_an_host){.name = fd_strdup(name), .file = file, .line = line, .col = col};
    return h;
}

void fd_an_var_set(fd_an_vars *vs, const char *name, const char *value, const char *file, int line,
                   int col)
{
    fd_an_var *v = NULL;
    for (size_t i = 0; i < vs->n && !v; i++)
        if (strcmp(vs->v[i].name, name) == 0)
            v = &vs->v[i];
    if (!v) {
        vs->v = fd_xrealloc(vs->v, (vs->n + 1) * sizeof *vs->v);
        v = &vs->v[vs->n++];
        v->name = fd_strdup(name);
    } else {
        free(v->value);
    }
    v->value = fd_strdup(value);
    v->file = file;
    v->line = line;
    v->col = col;
}

/* One bound of a range: a number (its width kept, for zero padding) or a letter. */
static bool range_bound(const char *s, size_t n, bool *alpha, long *v)
{
    if (n == 1 && isalpha((unsigned char)*s)) {
        *alpha = true;
        *v = *s;
        return true;
    }
    int64_t x = 0;
    char *num = fd_strndup(s, n);
    bool ok = n > 0 && n <= 6 && fd_parse_uint(num, 999999, &x);
    free(num);
    *alpha = false;
    *v = (long)x;
    return ok;
}

/* Expands the first range in pattern (and, recursively, the rest) into out. False with
 * *why set when a range is malformed or the names would be too many. */
static bool expand_pattern(const char *pattern, fd_strv *out, const char **why)
{
    const char *open = strchr(pattern, '['), *close = open ? strchr(open, ']') : NULL;
    if (!open) {
        if (out->n >= MAX_EXPANSION) {
            *why = "expands to too many hosts";
            return false;
        }
        fd_strv_push(out, pattern);
        return true;
    }
    const char *c1 = close ? memchr(open, ':', (size_t)(close - open)) : NULL;
    const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t)(close - c1 - 1)) : NULL;
    bool a1, a2;
    long from, to, step = 1;
    int64_t st = 1;
    if (!close || !c1 || !range_bound(open + 1, (size_t)(c1 - open - 1), &a1, &from) ||
        !range_bound(c1 + 1, (size_t)((c2 ? c2 : close) - c1 - 1), &a2, &to) || a1 != a2 ||
        from > to) {
        *why = "has a range that is not [start:end] or [start:end:step] with start <= end";
        return false;
    }
    if (c2) {
        char *s = fd_strndup(c2 + 1, (size_t)(close - c2 - 1));
        bool ok = fd_parse_uint(s, 999999, &st) && st > 0;
        free(s);
        if (!ok) {
            *why = "has a range whose step is not a positive number";
            return false;
        }
        step = (long)st;
    }
    int width = a1 ? 1 : (int)(c1 - open - 1);
    for (long i = from; i <= to; i += step) {
        char *name =
            a1 ? fd_asprintf("%.*s%c%s", (int)(open - pattern), pattern, (int)i, close + 1)
               : fd_asprintf("%.*s%0*ld%s", (int)(open - pattern), pattern, width, i, close + 1);
        bool ok = expand_pattern(name, out, why);
        free(name);
        if (!ok)
            return false;
    }
    return true;
}

/* A host pattern as a line names it: ranges expanded, a ":port" taken off (into *port,
 * NULL when none). False after reporting. */
static bool host_names(fd_an_inv *a, const char *file, int line, int col, const char *pattern,
                       fd_strv *names, char **port)
{
    *port = NULL;
    const char *close = strrchr(pattern, ']'), *after = close ? close + 1 : pattern;
    const char *colon = strchr(after, ':');
    char *base;
    if (colon && !strchr(colon + 1, ':') && (close || strchr(pattern, ':') == colon)) {
        int64_t p;
        if (!fd_parse_uint(colon + 1, 65535, &p) || p == 0) {
            char *q = fd_printable(pattern, 80);
            fd_an_error(a, file, line, col, "host '%s' has a port that is not a number 1-65535", q);
            free(q);
            return false;
        }
        *port = fd_strdup(colon + 1);
        base = fd_strndup(pattern, (size_t)(colon - pattern));
    } else {
        base = fd_strdup(pattern);
    }
    const char *why = NULL;
    bool ok = expand_pattern(base, names, &why);
    if (!ok) {
        char *q = fd_printable(pattern, 80);
        fd_an_error(a, file, line, col, "host pattern '%s' %s", q, why);
        free(q);
        fd_strv_free(names);
        free(*port);
        *port = NULL;
    }
    free(base);
    return ok;
}

/* ---- INI ---- */

bool fd_an_words(const char *s, fd_strv *words, int *cols, size_t max)
{
    const char *p = s;
    while (*p) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p || *p == '#')
            break;
        if (words->n == max)
            return false;
        cols[words->n] = (int)(p - s) + 1;
        fd_buf b;
        fd_buf_init(&b, FD_BUF_UNCAPPED);
        while (*p && *p != ' ' && *p != '\t') {
            if (*p == '\'' || *p == '"') {
                char q = *p++;
                while (*p && *p != q) {
                    if (q == '"' && *p == '\\' && p[1])
                        p++;
                    fd_buf_append(&b, p++, 1);
                }
                if (!*p) {
                    fd_buf_free(&b);
                    return false;
                }
                p++;
            } else {
                if (*p == '\\' && p[1])
                    p++;
                fd_buf_append(&b, p++, 1);
            }
        }
        fd_strv_push_owned(words, fd_buf_steal(&b));
    }
    return true;
}

/* A [group:vars] value: Ansible reads it as a Python literal, so a quoted string loses its
 * quotes; anything else is the text as written. */
static char *vars_value(const char *v)
{
    size_t n = strlen(v);
    if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0])
        return fd_strndup(v + 1, n - 2);
    return fd_strdup(v);
}

typedef struct ini_state {
    fd_an_inv *a;
    const char *file;
    int line;
    enum { SEC_HOSTS, SEC_VARS, SEC_CHILDREN } kind;
    long group; /* the section's group, an index (groups move as more are added); -1: the
                 * hosts before any section (ungrouped), or a section reported as wrong */
} ini_state;

static fd_an_group *ini_group(ini_state *st)
{
    return st->group < 0 ? NULL : &st->a->groups[st->group];
}

static void ini_section(ini_state *st, const char *s)
{
    const char *end = strchr(s, ']');
    const char *rest = end ? end + 1 : NULL;
    while (rest && (*rest == ' ' || *rest == '\t'))
        rest++;
    if (!end || (*rest && *rest != '#' && *rest != ';')) {
        fd_an_error(st->a, st->file, st->line, 1,
                    "section header must be [group], [group:vars] "
                    "or [group:children]");
        st->group = -1;
        return;
    }
    char *name = fd_strndup(s + 1, (size_t)(end - s - 1));
    char *colon = strchr(name, ':');
    st->kind = SEC_HOSTS;
    if (colon) {
        *colon = '\0';
        if (strcmp(colon + 1, "vars") == 0) {
            st->kind = SEC_VARS;
        } else if (strcmp(colon + 1, "children") == 0) {
            st->kind = SEC_CHILDREN;
        } else {
            char *q = fd_printable(colon + 1, 40);
            fd_an_error(st->a, st->file, st->line, (int)(colon - name) + 3,
                        "section type '%s' is not vars or children", q);
            free(q);
        }
    }
    if (!*name)
        fd_an_error(st->a, st->file, st->line, 2, "section header names no group");
    st->group = *name ? fd_an_group_get(st->a, name, st->file, st->line, 2) - st->a->groups : -1;
    free(name);
}

static void ini_host_line(ini_state *st, const char *s, int indent)
{
    fd_strv words = {0}, names = {0};
    int cols[64];
    if (!fd_an_words(s, &words, cols, 64)) {
        fd_an_error(st->a, st->file, st->line, indent + 1,
                    "host line has an unclosed quote or more than 64 words");
        goto out;
    }
    if (!words.n)
        goto out;
    char *port;
    if (!host_names(st->a, st->file, st->line, indent + 1, words.v[0], &names, &port))
        goto out;
    for (size_t i = 1; i < words.n; i++) {
        if (!strchr(words.v[i], '=') || words.v[i][0] == '=') {
            char *q = fd_printable(words.v[i], 60);
            fd_an_error(st->a, st->file, st->line, indent + cols[i],
                        "'%s' is not a host variable (key=value)", q);
            free(q);
        }
    }
    for (size_t h = 0; h < names.n; h++) {
        fd_an_host *host = fd_an_host_get(st->a, names.v[h], st->file, st->line, indent + 1);
        if (!host) {
            fd_an_error(st->a, st->file, st->line, indent + 1,
                        "the inventory lists more than %d hosts", FD_MAX_HOSTS);
            break;
        }
        fd_an_group *g = ini_group(st);
        if (g && !fd_strv_contains(&host->groups, g->name))
            fd_strv_push(&host->groups, g->name);
        if (port)
            fd_an_var_set(&host->vars, "ansible_port", port, st->file, st->line, indent + 1);
        for (size_t i = 1; i < words.n; i++) {
            char *eq = strchr(words.v[i], '=');
            if (!eq || eq == words.v[i])
                continue;
            *eq = '\0';
            fd_an_var_set(&host->vars, words.v[i], eq + 1, st->file, st->line, indent + cols[i]);
            *eq = '=';
        }
    }
    free(port);
out:
    fd_strv_free(&words);
    fd_strv_free(&names);
}

static void ini_line(ini_state *st, const char *raw)
{
    int indent = 0;
    while (raw[indent] == ' ' || raw[indent] == '\t')
        indent++;
    const char *s = raw + indent;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    if (!n || *s == '#' || *s == ';')
        return;
    char *line = fd_strndup(s, n);
    if (*line == '[') {
        ini_section(st, line);
    } else if (st->kind == SEC_HOSTS) {
        ini_host_line(st, line, indent);
    } else if (st->group < 0) {
        /* the section header was reported */
    } else if (st->kind == SEC_CHILDREN) {
        fd_an_group_get(st->a, line, st->file, st->line, indent + 1);
        fd_an_group *g = ini_group(st);
        if (!fd_strv_contains(&g->children, line))
            fd_strv_push(&g->children, line);
    } else {
        char *eq = strchr(line, '=');
        if (!eq) {
            fd_an_error(st->a, st->file, st->line, indent + 1, "a [%s:vars] line must be key=value",
                        ini_group(st)->name);
        } else {
            char *k = line, *v = eq + 1;
            *eq = '\0';
            for (char *e = eq; e > k && isspace((unsigned char)e[-1]); e--)
                e[-1] = '\0';
            while (isspace((unsigned char)*v))
                v++;
            char *val = vars_value(v);
            fd_an_var_set(&ini_group(st)->vars, k, val, st->file, st->line,
                          (int)(v - line) + indent + 1);
            free(val);
        }
    }
    free(line);
}

void fd_an_read_ini(fd_an_inv *a, const char *file, const char *text)
{
    ini_state st = {.a = a, .file = file, .kind = SEC_HOSTS, .group = -1};
    const char *p = text;
    char *line;
    while ((line = fd_next_line(&p)) != NULL) {
        st.line++;
        ini_line(&st, line);
        free(line);
    }
}

/* ---- YAML ---- */

void fd_an_read_vars(const char *file, const fd_ynode *m, fd_an_vars *vs)
{
    for (size_t i = 0; i < m->n; i++) {
        const fd_ynode *k = m->items[2 * i], *v = m->items[2 * i + 1];
        fd_an_var_set(vs, k->str, v->kind == FD_Y_SCALAR ? v->str : NULL, file, v->line, v->col);
    }
}

static void yaml_group(fd_an_inv *a, const char *file, const fd_ynode *key, const fd_ynode *body);

static void yaml_hosts(fd_an_inv *a, const char *file, fd_an_group *g, const fd_ynode *hn)
{
    for (size_t i = 0; i < hn->n; i++) {
        const fd_ynode *k = hn->items[2 * i], *v = hn->items[2 * i + 1];
        bool empty = v->kind == FD_Y_SCALAR && v->plain && !*v->str;
        if (!empty && v->kind != FD_Y_MAP) {
            fd_an_error(a, file, v->line, v->col,
                        "host '%s' must be empty or a mapping of its variables", k->str);
            continue;
        }
        fd_strv names = {0};
        char *port;
        if (!host_names(a, file, k->line, k->col, k->str, &names, &port))
            continue;
        for (size_t h = 0; h < names.n; h++) {
            fd_an_host *host = fd_an_host_get(a, names.v[h], file, k->line, k->col);
            if (!host) {
                fd_an_error(a, file, k->line, k->col, "the inventory lists more than %d hosts",
                            FD_MAX_HOSTS);
                break;
            }
            if (!fd_strv_contains(&host->groups, g->name))
                fd_strv_push(&host->groups, g->name);
            if (port)
                fd_an_var_set(&host->vars, "ansible_port", port, file, k->line, k->col);
            if (!empty)
                fd_an_read_vars(file, v, &host->vars);
        }
        free(port);
        fd_strv_free(&names);
    }
}

static void yaml_group(fd_an_inv *a, const char *file, const fd_ynode *key, const fd_ynode *body)
{
    fd_an_group *g = fd_an_group_get(a, key->str, file, key->line, key->col);
    if (body->kind == FD_Y_SCALAR && body->plain && !*body->str)
        return;
    if (body->kind != FD_Y_MAP) {
        fd_an_error(a, file, body->line, body->col,
                    "group '%s' must be empty or a mapping of hosts, vars and children", key->str);
        return;
    }
    char *name = fd_strdup(g->name); /* g moves as groups are added */
    for (size_t i = 0; i < body->n; i++) {
        const fd_ynode *k = body->items[2 * i], *v = body->items[2 * i + 1];
        bool empty = v->kind == FD_Y_SCALAR && v->plain && !*v->str;
        if (strcmp(k->str, "hosts") && strcmp(k->str, "vars") && strcmp(k->str, "children")) {
            fd_an_error(a, file, k->line, k->col,
                        "group '%s' has key '%s'; a group holds hosts, vars and children", name,
                        k->str);
        } else if (empty) {
            continue;
        } else if (v->kind != FD_Y_MAP) {
            fd_an_error(a, file, v->line, v->col, "'%s' of group '%s' must be a mapping, got %s",
                        k->str, name, fd_ykind_name(v));
        } else if (strcmp(k->str, "hosts") == 0) {
            yaml_hosts(a, file, fd_an_group_get(a, name, NULL, 0, 0), v);
        } else if (strcmp(k->str, "vars") == 0) {
            fd_an_read_vars(file, v, &fd_an_group_get(a, name, NULL, 0, 0)->vars);
        } else {
            for (size_t c = 0; c < v->n; c++) {
                const fd_ynode *ck = v->items[2 * c];
                yaml_group(a, file, ck, v->items[2 * c + 1]);
                fd_an_group *parent = fd_an_group_get(a, name, NULL, 0, 0);
                if (!fd_strv_contains(&parent->children, ck->str))
                    fd_strv_push(&parent->children, ck->str);
            }
        }
    }
    free(name);
}

void fd_an_read_yaml(fd_an_inv *a, const char *file, const fd_ynode *root)
{
    if (!root || root->kind != FD_Y_MAP) {
        fd_an_error(a, file, root ? root->line : 0, root ? root->col : 0,
                    "an Ansible YAML inventory must be a mapping of groups");
        return;
    }
    for (size_t i = 0; i < root->n; i++)
        yaml_group(a, file, root->items[2 * i], root->items[2 * i + 1]);
}

bool fd_ansible_yaml_shape(const fd_ynode *root)
{
    if (!root || root->kind != FD_Y_MAP || root->n == 0)
        return false;
    for (size_t i = 0; i < root->n; i++) {
        const fd_ynode *v = root->items[2 * i + 1];
        if (!fd_inventory_valid_word(root->items[2 * i]->str))
            return false;
        if (v->kind != FD_Y_MAP && !(v->kind == FD_Y_SCALAR && v->plain && !*v->str))
            return false;
    }
    return true;
}
