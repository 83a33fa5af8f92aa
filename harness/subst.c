/* subst.c: variable substitution and secret redaction. */
#include "subst.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

void fd_vars_set(fd_vars *v, const char *name, const char *value)
{
    for (size_t i = 0; i < v->names.n; i++) {
        if (strcmp(v->names.v[i], name) == 0) {
            free(v->values.v[i]);
            v->values.v[i] = fd_strdup(value);
            return;
        }
    }
    fd_strv_push(&v->names, name);
    fd_strv_push(&v->values, value);
}

const char *fd_vars_get(const fd_vars *v, const char *name)
{
    for (size_t i = 0; i < v->names.n; i++)
        if (strcmp(v->names.v[i], name) == 0)
            return v->values.v[i];
    return NULL;
}

void fd_vars_free(fd_vars *v)
{
    if (!v)
        return;
    fd_strv_free(&v->names);
    fd_strv_free(&v->values);
    fd_strv_free(&v->secret_values);
}

static void push_secret_form(fd_vars *v, char *form)
{
    if (*form && !fd_strv_contains(&v->secret_values, form))
        fd_strv_push(&v->secret_values, form);
    free(form);
}

void fd_vars_add_secret(fd_vars *v, const char *value)
{
    if (!value || !*value)
        return;
    push_secret_form(v, fd_strdup(value));
    /* the forms a value takes in what firedrill writes: inside shell quotes
     * ('\'' for each '), escaped for a message, escaped inside a JSON string */
    fd_buf b;
    fd_buf_init(&b, FD_BUF_UNCAPPED);
    for (const char *p = value; *p; p++) {
        if (*p == '\'')
            fd_buf_puts(&b, "'\\''");
        else
            fd_buf_append(&b, p, 1);
    }
    push_secret_form(v, fd_buf_steal(&b));
    push_secret_form(v, fd_printable(value, SIZE_MAX));
    fd_buf_init(&b, FD_BUF_UNCAPPED);
    for (const char *p = value; *p; p++) {
        if (*p == '"' || *p == '\\')
            fd_buf_printf(&b, "\\%c", *p);
        else
            fd_buf_append(&b, p, 1);
    }
    push_secret_form(v, fd_buf_steal(&b));
}

static bool valid_name(const char *s, size_t n)
{
    if (n == 0 || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
        return false;
    for (size_t i = 1; i < n; i++)
        if (!(isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == '-'))
            return false;
    return true;
}

/* ${q:name} and ${q:env:NAME}: the value shell-quoted, one word whatever it holds.
 * `ref` is what stands between "${" and "}" (n bytes). */
static bool subst_quoted(fd_vars *vars, const char *ref, size_t n, fd_buf *out, bool *used_env,
                         char **err)
{
    char *inner = fd_asprintf("${%.*s}", (int)(n - 2), ref + 2);
    bool env_used = false;
    char *val = fd_subst(vars, inner, &env_used, err);
    free(inner);
    if (!val)
        return false;
    char *q = fd_shell_quote(val);
    fd_buf_puts(out, q);
    if (env_used) {
        fd_vars_add_secret(vars, q);
        if (used_env)
            *used_env = true;
    }
    free(q);
    free(val);
    return true;
}

/* ${env:NAME} and ${env:NAME:-default}: a secret from the controller's environment. */
static bool subst_env(fd_vars *vars, const char *ref, size_t n, fd_buf *out, bool *used_env,
                      char **err)
{
    const char *name = ref + 4, *end = ref + n, *dflt = NULL;
    size_t nlen = n - 4;
    for (const char *q = name; q < end - 1; q++) {
        if (q[0] == ':' && q[1] == '-') {
            nlen = (size_t)(q - name);
            dflt = q + 2;
            break;
        }
    }
    char *nm = fd_strndup(name, nlen);
    const char *val = valid_name(nm, nlen) ? getenv(nm) : NULL;
    if (!valid_name(nm, nlen)) {
        char *q = fd_printable(nm, 40);
        *err = fd_asprintf("'%s' is not a valid environment variable name", q);
        free(q);
    } else if (val) {
        fd_buf_puts(out, val);
        fd_vars_add_secret(vars, val);
        if (used_env)
            *used_env = true;
    } else if (dflt) {
        fd_buf_append(out, dflt, (size_t)(end - dflt));
    } else {
        *err = fd_asprintf(
            "environment variable '%s' is not set (use ${env:%s:-default} for a default)", nm, nm);
    }
    free(nm);
    return *err == NULL;
}

/* ${name}: a variable from 'vars' or --var. */
static bool subst_var(fd_vars *vars, const char *ref, size_t n, fd_buf *out, bool *used_env,
                      char **err)
{
    char *nm = fd_strndup(ref, n);
    const char *val = valid_name(nm, n) ? fd_vars_get(vars, nm) : NULL;
    if (!val) {
        char *q = fd_printable(nm, 40);
        if (valid_name(nm, n))
            *err = fd_asprintf("undefined variable '%s' (define it under 'vars' or with --var; "
                               "write '$${%s}' to leave it to the shell)",
                               q, q);
        else
            *err = fd_asprintf("'${%s}' is not a valid variable reference", q);
        free(q);
        free(nm);
        return false;
    }
    /* A var whose value came from the environment is a secret already recorded. */
    if (used_env && fd_strv_contains(&vars->secret_values, val))
        *used_env = true;
    fd_buf_puts(out, val);
    free(nm);
    return true;
}

char *fd_subst(fd_vars *vars, const char *s, bool *used_env, char **err)
{
    fd_buf out;
    fd_buf_init(&out, (size_t)1 << 20);
    *err = NULL;
    if (used_env)
        *used_env = false;
    for (const char *p = s; *p;) {
        if (p[0] == '$' && p[1] == '$' && p[2] == '{') {
            fd_buf_puts(&out, "${");
            p += 3;
            continue;
        }
        if (!(p[0] == '$' && p[1] == '{')) {
            fd_buf_append(&out, p, 1);
            p++;
            continue;
        }
        const char *ref = p + 2;
        const char *end = strchr(ref, '}');
        if (!end) {
            *err = fd_strdup("unterminated '${' (write '$${' for a literal '${')");
            break;
        }
        size_t n = (size_t)(end - ref);
        bool ok = true;
        if (fd_str_starts(ref, "q:"))
            ok = subst_quoted(vars, ref, n, &out, used_env, err);
        else if (fd_str_starts(ref, "env:"))
            ok = subst_env(vars, ref, n, &out, used_env, err);
        else if (n == 5 && strncmp(ref, "value", 5) == 0)
            fd_buf_puts(&out, "${value}"); /* the placeholder of http write templates */
        else
            ok = subst_var(vars, ref, n, &out, used_env, err);
        if (!ok)
            break;
        p = end + 1;
    }
    if (!*err && out.truncated)
        *err = fd_strdup("value is longer than 1 MiB after substitution");
    if (*err) {
        fd_buf_free(&out);
        return NULL;
    }
    return fd_buf_steal(&out);
}

char *fd_redact(const fd_vars *vars, const char *s)
{
    fd_buf out;
    fd_buf_init(&out, FD_BUF_UNCAPPED);
    for (const char *p = s; *p;) {
        size_t best = 0;
        for (size_t i = 0; i < vars->secret_values.n; i++) {
            size_t n = strlen(vars->secret_values.v[i]);
            if (n > best && strncmp(p, vars->secret_values.v[i], n) == 0)
                best = n;
        }
        if (best) {
            fd_buf_puts(&out, "***");
            p += best;
        } else {
            fd_buf_append(&out, p, 1);
            p++;
        }
    }
    return fd_buf_steal(&out);
}
