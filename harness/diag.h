/* diag.h: the error vocabulary and the list of user-facing diagnostics.
 *
 * Every mistake in user input becomes one line "file:line:col: message"; the
 * loader collects all of them so that `validate` can print every error at once. */
#ifndef FD_DIAG_H
#define FD_DIAG_H

#include <stdarg.h>
#include <stddef.h>

/* Process exit codes, as in the report spec. */
enum {
    FD_EXIT_PASS = 0,
    FD_EXIT_FAIL = 1,
    FD_EXIT_USAGE = 2,
    FD_EXIT_ABORTED = 3,
    FD_EXIT_INFRA = 4,
    FD_EXIT_HEAL_FAILED = 5,
};

/* Internal result codes; fd_err_str() gives a lowercase description. */
typedef enum fd_err {
    FD_OK = 0,
    FD_ERR_NOMEM,   /* an allocation failed */
    FD_ERR_IO,      /* a file could not be read or written */
    FD_ERR_INPUT,   /* user input is invalid: see the diagnostics */
    FD_ERR_CONNECT, /* a host could not be reached */
    FD_ERR_HOSTKEY, /* a host key is unknown or changed */
    FD_ERR_AUTH,    /* authentication was refused */
    FD_ERR_SSH,     /* an SSH protocol or channel error */
    FD_ERR_TIMEOUT, /* an operation did not finish in its time */
    FD_ERR_COMMAND, /* a command ran and failed */
} fd_err;

const char *fd_err_str(fd_err e);

#define FD_DIAG_MAX 200

typedef struct fd_diags {
    char **msgs;
    size_t n;
    size_t cap;
    size_t dropped; /* diagnostics past FD_DIAG_MAX, counted but not kept */
} fd_diags;

/* Appends "file:line:col: message". line/col are 1-based; 0 omits them. */
void fd_diag_add(fd_diags *d, const char *file, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
void fd_diag_vadd(fd_diags *d, const char *file, int line, int col, const char *fmt, va_list ap)
    __attribute__((format(printf, 5, 0)));
/* Prints every diagnostic, one per line, to stderr. */
void fd_diag_print(const fd_diags *d);
/* Frees the messages; the struct itself may be reused. NULL is a no-op. */
void fd_diag_clear(fd_diags *d);

#endif
