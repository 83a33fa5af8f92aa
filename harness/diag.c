/* diag.c: collected user-facing diagnostics and the error vocabulary. */
#include "diag.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>

const char *fd_err_str(fd_err e)
{
    switch (e) {
    case FD_OK:
        return "ok";
    case FD_ERR_NOMEM:
        return "out of memory";
    case FD_ERR_IO:
        return "input/output error";
    case FD_ERR_INPUT:
        return "invalid input";
    case FD_ERR_CONNECT:
        return "host unreachable";
    case FD_ERR_HOSTKEY:
        return "host key not verified";
    case FD_ERR_AUTH:
        return "authentication failed";
    case FD_ERR_SSH:
        return "ssh error";
    case FD_ERR_TIMEOUT:
        return "timed out";
    case FD_ERR_COMMAND:
        return "command failed";
    }
    return "unknown error";
}

void fd_diag_vadd(fd_diags *d, const char *file, int line, int col, const char *fmt, va_list ap)
{
    if (d->n >= FD_DIAG_MAX) {
        d->dropped++;
        return;
    }
    char *msg = fd_vasprintf(fmt, ap);
    char *full;
    if (file && line > 0)
        full = fd_asprintf("%s:%d:%d: %s", file, line, col, msg);
    else if (file)
        full = fd_asprintf("%s: %s", file, msg);
    else
        full = fd_strdup(msg);
    free(msg);
    if (d->n == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 8;
        d->msgs = fd_xrealloc(d->msgs, d->cap * sizeof *d->msgs);
    }
    d->msgs[d->n++] = full;
}

void fd_diag_add(fd_diags *d, const char *file, int line, int col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fd_diag_vadd(d, file, line, col, fmt, ap);
    va_end(ap);
}

void fd_diag_print(const fd_diags *d)
{
    for (size_t i = 0; i < d->n; i++)
        fprintf(stderr, "%s\n", d->msgs[i]);
    if (d->dropped)
        fprintf(stderr, "... and %zu more errors\n", d->dropped);
}

void fd_diag_clear(fd_diags *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n; i++)
        free(d->msgs[i]);
    free(d->msgs);
    d->msgs = NULL;
    d->n = d->cap = d->dropped = 0;
}
