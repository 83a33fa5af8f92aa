/* util.h: allocation, capped buffers, strings, time and paths used everywhere. */
#ifndef FD_UTIL_H
#define FD_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Allocation that cannot return NULL: on exhaustion the process prints and aborts.
 * Callers free with free(). */
void *fd_xmalloc(size_t n);
void *fd_xcalloc(size_t n, size_t size);
void *fd_xrealloc(void *p, size_t n);
char *fd_strdup(const char *s); /* NULL gives NULL */
char *fd_strndup(const char *s, size_t n);
/* Splits text (host output, say) into lines: returns the line at *p without its
 * newline (caller frees) and moves *p past it, to NULL when the line had no newline;
 * returns NULL when *p is NULL or at the end of the text. */
char *fd_next_line(const char **p);
char *fd_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *fd_vasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* A growable byte buffer with a hard cap: appends past `cap` bytes are dropped and
 * `truncated` is set, so remote output can never grow memory without bound.
 * The data is always NUL-terminated. cap 0 means the default of 1 MiB. */
typedef struct fd_buf {
    char *data;
    size_t len;
    size_t alloc;
    size_t cap;
    bool truncated;
} fd_buf;

/* The cap of a buffer filled only from the controller's own data. */
#define FD_BUF_UNCAPPED (SIZE_MAX / 2)

void fd_buf_init(fd_buf *b, size_t cap);
void fd_buf_append(fd_buf *b, const void *p, size_t n);
void fd_buf_puts(fd_buf *b, const char *s);
void fd_buf_printf(fd_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Returns the data (caller frees) and resets the buffer. */
char *fd_buf_steal(fd_buf *b);
void fd_buf_free(fd_buf *b);

/* A string list. */
typedef struct fd_strv {
    char **v;
    size_t n;
} fd_strv;
void fd_strv_push(fd_strv *s, const char *str); /* copies str */
void fd_strv_push_owned(fd_strv *s, char *str);
bool fd_strv_contains(const fd_strv *s, const char *str);
void fd_strv_free(fd_strv *s);

/* Quotes s for a POSIX shell: the result is one word whatever s holds. Caller frees. */
char *fd_shell_quote(const char *s);
/* Appends the shell-quoted s to b. */
void fd_buf_shell_quote(fd_buf *b, const char *s);

/* For messages: s with control and non-ASCII bytes escaped, cut to max chars with
 * "..." appended. Caller frees. */
/* BASE/PATH: base's trailing slashes dropped, one put between. Caller frees. */
char *fd_url_join(const char *base, const char *path);
char *fd_printable(const char *s, size_t max);

/* Edit distance, bounded: returns a value > limit as soon as it is known to exceed it. */
size_t fd_edit_distance(const char *a, const char *b, size_t limit);

/* Monotonic time in microseconds, and wall-clock Unix time in seconds. */
int64_t fd_mono_us(void);
double fd_unix_now(void);
/* The wall clock and the monotonic clock read at (nearly) the same moment. */
void fd_clock_pair(double *unix_s, int64_t *mono_us);
void fd_sleep_us(int64_t us);
/* Whole seconds, rounded up (a negative value gives 0). */
int64_t fd_us_to_s_ceil(int64_t us);

/* Reads a whole file of at most `max` bytes. Returns NULL and sets *err to a message
 * (caller frees) when it cannot, or when the file is larger than max. */
char *fd_read_file(const char *path, size_t max, size_t *len, char **err);

/* Creates a new file for writing: never one that exists, never through a symbolic
 * link (O_EXCL|O_NOFOLLOW). NULL with errno set when it cannot. */
FILE *fd_create_excl(const char *path);
/* Writes a whole file by writing a new temporary file (created exclusively, in the
 * same directory) and renaming it over path: a link planted at path or at any
 * predictable temporary name is replaced, never followed. Returns false with *err
 * (caller frees). */
bool fd_write_file_replace(const char *path, const char *data, size_t len, char **err);

/* "~/x" -> "$HOME/x"; a relative path is taken relative to base_dir (NULL: as is).
 * Caller frees. */
char *fd_path_resolve(const char *path, const char *base_dir);
/* The directory part of a path ("." when none). Caller frees. */
char *fd_path_dir(const char *path);

/* "user@host" of the controller, for the hosts' logs. Caller frees. */
char *fd_controller_identity(void);

bool fd_str_eq(const char *a, const char *b); /* NULL-safe */
bool fd_str_starts(const char *s, const char *prefix);

#endif
