/* subst.h: ${name}, ${env:NAME} and ${env:NAME:-default} substitution; ${q:name} and
 * ${q:env:NAME} give the value shell-quoted, as one word whatever it holds.
 *
 * "$${" stands for a literal "${", so shell commands can still use ${VAR}.
 * "${value}" is reserved: it is kept as it is for the http probe's write templates.
 * An undefined name is an error, never an empty string. */
#ifndef FD_SUBST_H
#define FD_SUBST_H

#include "util.h"

#include <stdbool.h>

typedef struct fd_vars {
    fd_strv names;
    fd_strv values;
    fd_strv secret_values; /* every value read from the environment, for redaction */
} fd_vars;

void fd_vars_set(fd_vars *v, const char *name, const char *value);
const char *fd_vars_get(const fd_vars *v, const char *name);
void fd_vars_free(fd_vars *v);

/* Expands s. On success returns the new string (caller frees) and sets *used_env when
 * any part came from the environment. On failure returns NULL and *err (caller frees)
 * says why. Environment values used are added to vars->secret_values. */
char *fd_subst(fd_vars *vars, const char *s, bool *used_env, char **err);

/* Records a secret: its raw form and the forms it takes in firedrill's output
 * (shell-quoted, escaped for messages, escaped in JSON), each redacted. */
void fd_vars_add_secret(fd_vars *v, const char *value);
/* s with every secret value replaced by "***". Caller frees. */
char *fd_redact(const fd_vars *vars, const char *s);

#endif
