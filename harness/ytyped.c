/* ytyped.c: typed reads from YAML nodes with positioned errors. */
#include "ytyped.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fd_yt_err(fd_yt *t, const fd_ynode *at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fd_diag_vadd(t->d, t->file, at ? at->line : 0, at ? at->col : 0, fmt, ap);
    va_end(ap);
    t->errors++;
}

bool fd_yt_map(fd_yt *t, const fd_ynode *n, const char *what)
{
    if (n && n->kind == FD_Y_MAP)
        return true;
    fd_yt_err(t, n, "%s must be a mapping, got %s", what, fd_ykind_name(n));
    return false;
}

const char *fd_yt_suggest(const char *word, const char *const *candidates)
{
    const char *best = NULL;
    size_t bestd = 3;
    size_t limit = strlen(word) <= 3 ? 1 : 2;
    for (size_t i = 0; candidates[i]; i++) {
        size_t dist = fd_edit_distance(word, candidates[i], limit);
        if (dist <= limit && dist < bestd) {
            best = candidates[i];
            bestd = dist;
        }
    }
    return best;
}

bool fd_yt_file_keys(fd_yt *t, const fd_ynode *map, const char *what, const char *kind,
                     const char *const *allowed)
{
    for (size_t i = 0; i < map->n; i++)
        for (size_t j = 0; allowed[j]; j++)
            if (strcmp(map->items[2 * i]->str, allowed[j]) == 0) {
                fd_yt_keys(t, map, what, allowed);
                return true;
            }
    /* Not one known key: this is some other file (a path can point anywhere, a
     * secret file included). Its contents are not quoted. */
    fd_yt_err(t, map,
              "this file is not %s: it has none of the keys %s takes (its contents are "
              "not shown)",
              kind, kind);
    return false;
}

bool fd_yt_keys(fd_yt *t, const fd_ynode *map, const char *what, const char *const *allowed)
{
    bool ok = true;
    for (size_t i = 0; i < map->n; i++) {
        const fd_ynode *k = map->items[2 * i];
        bool known = false;
        for (size_t j = 0; allowed[j]; j++)
            if (strcmp(k->str, allowed[j]) == 0)
                known = true;
        if (known)
            continue;
        char *q = fd_printable(k->str, 60);
        const char *s = fd_yt_suggest(k->str, allowed);
        if (s)
            fd_yt_err(t, k, "unknown key '%s' in %s, did you mean '%s'?", q, what, s);
        else
            fd_yt_err(t, k, "unknown key '%s' in %s", q, what);
        free(q);
        ok = false;
    }
    return ok;
}

bool fd_yt_keys2(fd_yt *t, const fd_ynode *map, const char *what, const char *const *common,
                 const char *const *own)
{
    const char *keys[65];
    size_t n = 0;
    for (size_t i = 0; common[i] && n < 64; i++)
        keys[n++] = common[i];
    for (size_t i = 0; own[i] && n < 64; i++)
        keys[n++] = own[i];
    keys[n] = NULL;
    return fd_yt_keys(t, map, what, keys);
}

void fd_yt_missing(fd_yt *t, const fd_ynode *map, const char *what, const char *key)
{
    fd_yt_err(t, map, "%s is missing required key '%s'", what, key);
}

/* The scalar for key, or NULL; reports a non-scalar. *present says if the key exists. */
static const fd_ynode *scalar_at(fd_yt *t, const fd_ynode *map, const char *key, bool required,
                                 const char *what, const char *expected, bool *bad)
{
    *bad = false;
    const fd_ynode *v = fd_ymap_get(map, key);
    if (!v) {
        if (required) {
            fd_yt_missing(t, map, what, key);
            *bad = true;
        }
        return NULL;
    }
    if (v->kind != FD_Y_SCALAR) {
        fd_yt_err(t, v, "'%s' must be %s, got %s", key, expected, fd_ykind_name(v));
        *bad = true;
        return NULL;
    }
    return v;
}

static void bad_value(fd_yt *t, const fd_ynode *v, const char *key, const char *expected)
{
    char *q = fd_printable(v->str, 60);
    fd_yt_err(t, v, "'%s' must be %s, got '%s'", key, expected, q);
    free(q);
}

bool fd_yt_str(fd_yt *t, const fd_ynode *map, const char *key, bool required, const char *what,
               char **out)
{
    bool bad;
    const fd_ynode *v = scalar_at(t, map, key, required, what, "a string", &bad);
    if (!v)
        return !bad;
    if (required && v->str[0] == '\0') {
        fd_yt_err(t, v, "'%s' must not be empty", key);
        return false;
    }
    free(*out);
    *out = fd_strdup(v->str);
    return true;
}

bool fd_yt_duration(fd_yt *t, const fd_ynode *map, const char *key, bool required, const char *what,
                    int64_t *out)
{
    static const char expected[] = "a duration like 500ms, 2s or 1m";
    bool bad;
    const fd_ynode *v = scalar_at(t, map, key, required, what, expected, &bad);
    if (!v)
        return !bad;
    if (!fd_parse_duration(v->str, out)) {
        bad_value(t, v, key, expected);
        return false;
    }
    return true;
}

bool fd_yt_ratio(fd_yt *t, const fd_ynode *map, const char *key, bool required, const char *what,
                 double *out)
{
    static const char expected[] = "a ratio from 0 to 1 like 0.99 or 99%";
    bool bad;
    const fd_ynode *v = scalar_at(t, map, key, required, what, expected, &bad);
    if (!v)
        return !bad;
    if (!fd_parse_ratio(v->str, out)) {
        bad_value(t, v, key, expected);
        return false;
    }
    return true;
}

bool fd_yt_uint(fd_yt *t, const fd_ynode *map, const char *key, bool required, const char *what,
                int64_t max, int64_t *out)
{
    char expected[64];
    snprintf(expected, sizeof expected, "a whole number from 0 to %lld", (long long)max);
    bool bad;
    const fd_ynode *v = scalar_at(t, map, key, required, what, expected, &bad);
    if (!v)
        return !bad;
    if (!fd_parse_uint(v->str, max, out)) {
        bad_value(t, v, key, expected);
        return false;
    }
    return true;
}

bool fd_yt_bool(fd_yt *t, const fd_ynode *map, const char *key, const char *what, bool *out)
{
    bool bad;
    const fd_ynode *v = scalar_at(t, map, key, false, what, "true or false", &bad);
    if (!v)
        return !bad;
    if (strcmp(v->str, "true") == 0)
        *out = true;
    else if (strcmp(v->str, "false") == 0)
        *out = false;
    else {
        bad_value(t, v, key, "true or false");
        return false;
    }
    return true;
}

bool fd_yt_cmp(fd_yt *t, const fd_ynode *map, const char *key, bool required, const char *what,
               fd_cmp *out)
{
    static const char expected[] = "a comparison like \">= 0.99\" or \"< 1%\"";
    bool bad;
    const fd_ynode *v = scalar_at(t, map, key, required, what, expected, &bad);
    if (!v)
        return !bad;
    if (!fd_parse_cmp(v->str, out)) {
        bad_value(t, v, key, expected);
        return false;
    }
    return true;
}

bool fd_yt_cmp_number(fd_yt *t, const fd_ynode *map, const char *key, bool required,
                      const char *what, fd_cmp *out)
{
    static const char expected[] = "a comparison with a number like \"< 0.01\" or \">= 1\"";
    bool bad;
    const fd_ynode *v = scalar_at(t, map, key, required, what, expected, &bad);
    if (!v)
        return !bad;
    if (!fd_parse_cmp_number(v->str, out)) {
        bad_value(t, v, key, expected);
        return false;
    }
    return true;
}

bool fd_yt_number(fd_yt *t, const fd_ynode *map, const char *key, bool required, const char *what,
                  double *out)
{
    static const char expected[] = "a number like 2, 0.5 or -1";
    bool bad;
    const fd_ynode *v = scalar_at(t, map, key, required, what, expected, &bad);
    if (!v)
        return !bad;
    if (!fd_parse_number(v->str, out)) {
        bad_value(t, v, key, expected);
        return false;
    }
    return true;
}

bool fd_yt_strlist(fd_yt *t, const fd_ynode *map, const char *key, bool required, const char *what,
                   fd_strv *out)
{
    const fd_ynode *v = fd_ymap_get(map, key);
    if (!v) {
        if (required)
            fd_yt_missing(t, map, what, key);
        return !required;
    }
    fd_strv items = {0};
    if (v->kind == FD_Y_SCALAR) {
        const char *p = v->str;
        while (*p) {
            const char *comma = strchr(p, ',');
            size_t n = comma ? (size_t)(comma - p) : strlen(p);
            while (n && (*p == ' ' || *p == '\t')) {
                p++;
                n--;
            }
            while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
                n--;
            if (n)
                fd_strv_push_owned(&items, fd_strndup(p, n));
            p = comma ? comma + 1 : p + strlen(p);
        }
    } else if (v->kind == FD_Y_SEQ) {
        for (size_t i = 0; i < v->n; i++) {
            if (v->items[i]->kind != FD_Y_SCALAR || !v->items[i]->str[0]) {
                fd_yt_err(t, v->items[i], "'%s' must be a list of strings, got %s", key,
                          v->items[i]->kind == FD_Y_SCALAR ? "an empty string"
                                                           : fd_ykind_name(v->items[i]));
                fd_strv_free(&items);
                return false;
            }
            fd_strv_push(&items, v->items[i]->str);
        }
    } else {
        fd_yt_err(t, v, "'%s' must be a list or a comma-separated string, got a mapping", key);
        return false;
    }
    if (items.n == 0 && required) {
        fd_yt_err(t, v, "'%s' must not be empty", key);
        return false;
    }
    fd_strv_free(out);
    *out = items;
    return true;
}

int fd_yt_name_index(const char *const *names, const char *s)
{
    for (int i = 0; names[i]; i++)
        if (strcmp(names[i], s) == 0)
            return i;
    return -1;
}

/* Reports "'<key>' must be one of a, b, c, got 'x'" with a did-you-mean. */
int fd_yt_enum(fd_yt *t, const fd_ynode *v, const char *key, const char *const *names)
{
    if (!v || v->kind != FD_Y_SCALAR) {
        fd_yt_err(t, v, "'%s' must be a string, got %s", key, fd_ykind_name(v));
        return -1;
    }
    int i = fd_yt_name_index(names, v->str);
    if (i >= 0)
        return i;
    fd_buf list;
    fd_buf_init(&list, 4096);
    for (size_t j = 0; names[j]; j++)
        fd_buf_printf(&list, "%s%s", j ? ", " : "", names[j]);
    char *q = fd_printable(v->str, 60);
    const char *sug = fd_yt_suggest(v->str, names);
    if (sug)
        fd_yt_err(t, v, "'%s' must be one of %s, got '%s' (did you mean '%s'?)", key, list.data, q,
                  sug);
    else
        fd_yt_err(t, v, "'%s' must be one of %s, got '%s'", key, list.data, q);
    free(q);
    fd_buf_free(&list);
    return -1;
}
