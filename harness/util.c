/* util.c: allocation, capped buffers, strings, time and paths. */
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void fd_oom(size_t n)
{
    fprintf(stderr, "firedrill: out of memory allocating %zu bytes\n", n);
    abort();
}

void *fd_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        fd_oom(n);
    return p;
}

void *fd_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        fd_oom(n * size);
    return p;
}

void *fd_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        fd_oom(n);
    return q;
}

char *fd_strdup(const char *s)
{
    if (!s)
        return NULL;
    return fd_strndup(s, strlen(s));
}

char *fd_strndup(const char *s, size_t n)
{
    char *p = fd_xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *fd_next_line(const char **p)
{
    if (!*p || !**p)
        return NULL;
    const char *nl = strchr(*p, '\n');
    char *line = fd_strndup(*p, nl ? (size_t)(nl - *p) : strlen(*p));
    *p = nl ? nl + 1 : NULL;
    return line;
}

char *fd_vasprintf(const char *fmt, va_list ap)
{
    va_list cp;
    va_copy(cp, ap);
    int n = vsnprintf(NULL, 0, fmt, cp);
    va_end(cp);
    if (n < 0)
        n = 0;
    char *p = fd_xmalloc((size_t)n + 1);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    return p;
}

char *fd_asprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *p = fd_vasprintf(fmt, ap);
    va_end(ap);
    return p;
}

void fd_buf_init(fd_buf *b, size_t cap)
{
    memset(b, 0, sizeof *b);
    b->cap = cap ? cap : (size_t)1 << 20;
}

void fd_buf_append(fd_buf *b, const void *p, size_t n)
{
    if (b->cap == 0)
        b->cap = (size_t)1 << 20;
    if (b->len + n > b->cap) {
        b->truncated = true;
        n = b->cap > b->len ? b->cap - b->len : 0;
    }
    if (b->len + n + 1 > b->alloc) {
        size_t a = b->alloc ? b->alloc : 64;
        while (a < b->len + n + 1)
            a *= 2;
        b->data = fd_xrealloc(b->data, a);
        b->alloc = a;
    }
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void fd_buf_puts(fd_buf *b, const char *s)
{
    fd_buf_append(b, s, strlen(s));
}

void fd_buf_printf(fd_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = fd_vasprintf(fmt, ap);
    va_end(ap);
    fd_buf_puts(b, s);
    free(s);
}

char *fd_buf_steal(fd_buf *b)
{
    if (!b->data)
        fd_buf_append(b, "", 0);
    char *p = b->data;
    size_t cap = b->cap;
    memset(b, 0, sizeof *b);
    b->cap = cap;
    return p;
}

void fd_buf_free(fd_buf *b)
{
    if (!b)
        return;
    free(b->data);
    b->data = NULL;
    b->len = b->alloc = 0;
}

void fd_strv_push_owned(fd_strv *s, char *str)
{
    s->v = fd_xrealloc(s->v, (s->n + 2) * sizeof *s->v);
    s->v[s->n++] = str;
    s->v[s->n] = NULL;
}

void fd_strv_push(fd_strv *s, const char *str)
{
    fd_strv_push_owned(s, fd_strdup(str));
}

bool fd_strv_contains(const fd_strv *s, const char *str)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i], str) == 0)
            return true;
    return false;
}

void fd_strv_free(fd_strv *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    s->v = NULL;
    s->n = 0;
}

void fd_buf_shell_quote(fd_buf *b, const char *s)
{
    /* Words made only of safe characters stay readable in plans and reports. */
    bool safe = *s != '\0';
    for (const char *p = s; *p && safe; p++)
        safe = isalnum((unsigned char)*p) || strchr("@%+=:,./_-", *p);
    if (safe) {
        fd_buf_puts(b, s);
        return;
    }
    fd_buf_puts(b, "'");
    for (const char *p = s; *p; p++) {
        if (*p == '\'')
            fd_buf_puts(b, "'\\''");
        else
            fd_buf_append(b, p, 1);
    }
    fd_buf_puts(b, "'");
}

char *fd_shell_quote(const char *s)
{
    fd_buf b;
    fd_buf_init(&b, FD_BUF_UNCAPPED);
    fd_buf_shell_quote(&b, s);
    return fd_buf_steal(&b);
}

char *fd_printable(const char *s, size_t max)
{
    fd_buf b;
    fd_buf_init(&b, FD_BUF_UNCAPPED);
    size_t shown = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (shown >= max) {
            fd_buf_puts(&b, "...");
            break;
        }
        if (*p == '\n')
            fd_buf_puts(&b, "\\n");
        else if (*p == '\t')
            fd_buf_puts(&b, "\\t");
        else if (*p < 0x20 || *p == 0x7f)
            fd_buf_printf(&b, "\\x%02x", *p);
        else
            fd_buf_append(&b, p, 1);
        shown++;
    }
    return fd_buf_steal(&b);
}

size_t fd_edit_distance(const char *a, const char *b, size_t limit)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64)
        return limit + 1;
    if ((la > lb ? la - lb : lb - la) > limit)
        return limit + 1;
    size_t prev[65], cur[65];
    for (size_t j = 0; j <= lb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        size_t rowmin = cur[0];
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            size_t v = prev[j - 1] + cost;
            if (prev[j] + 1 < v)
                v = prev[j] + 1;
            if (cur[j - 1] + 1 < v)
                v = cur[j - 1] + 1;
            cur[j] = v;
            if (v < rowmin)
                rowmin = v;
        }
        if (rowmin > limit)
            return limit + 1;
        memcpy(prev, cur, (lb + 1) * sizeof prev[0]);
    }
    return prev[lb];
}

int64_t fd_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

double fd_unix_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void fd_clock_pair(double *unix_s, int64_t *mono_us)
{
    /* the two clocks read as close together as this machine allows: a thread preempted
     * between the reads would shift every time the run maps from one to the other (a
     * point-in-time recovery target among them) by as long as it waited */
    int64_t best = INT64_MAX;
    for (int i = 0; i < 8 && best > 20; i++) {
        int64_t before = fd_mono_us();
        double now = fd_unix_now();
        int64_t after = fd_mono_us();
        if (after - before < best) {
            best = after - before;
            *unix_s = now;
            *mono_us = before + (after - before) / 2;
        }
    }
}

void fd_sleep_us(int64_t us)
{
    if (us <= 0)
        return;
    struct timespec ts = {.tv_sec = us / 1000000, .tv_nsec = (us % 1000000) * 1000};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

char *fd_read_file(const char *path, size_t max, size_t *len, char **err)
{
    *err = NULL;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    FILE *f = fd >= 0 ? fdopen(fd, "rb") : NULL;
    if (!f && fd >= 0)
        close(fd);
    if (!f) {
        *err = fd_asprintf("cannot open: %s", strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(f);
        *err = fd_strdup("is a directory, expected a file");
        return NULL;
    }
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        /* a FIFO, a device or a socket could block or never end */
        fclose(f);
        *err = fd_strdup("is not a regular file");
        return NULL;
    }
    fd_buf b;
    fd_buf_init(&b, max);
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        fd_buf_append(&b, chunk, n);
        if (b.truncated)
            break;
    }
    bool failed = ferror(f);
    fclose(f);
    if (b.truncated) {
        fd_buf_free(&b);
        *err = fd_asprintf("file is larger than %zu bytes", max);
        return NULL;
    }
    if (failed) {
        fd_buf_free(&b);
        *err = fd_strdup("read error");
        return NULL;
    }
    if (len)
        *len = b.len;
    return fd_buf_steal(&b);
}

char *fd_path_resolve(const char *path, const char *base_dir)
{
    if (path[0] == '~' && (path[1] == '/' || path[1] == '\0')) {
        const char *home = getenv("HOME");
        return fd_asprintf("%s%s", home ? home : "", path + 1);
    }
    if (path[0] == '/' || !base_dir || !*base_dir || strcmp(base_dir, ".") == 0)
        return fd_strdup(path);
    return fd_asprintf("%s/%s", base_dir, path);
}

char *fd_path_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return fd_strdup(".");
    if (slash == path)
        return fd_strdup("/");
    return fd_strndup(path, (size_t)(slash - path));
}

bool fd_str_eq(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    return strcmp(a, b) == 0;
}

bool fd_str_starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

int64_t fd_us_to_s_ceil(int64_t us)
{
    if (us <= 0)
        return 0;
    return us / 1000000 + (us % 1000000 != 0);
}

char *fd_controller_identity(void)
{
    char host[256] = "";
    if (gethostname(host, sizeof host - 1) != 0)
        snprintf(host, sizeof host, "unknown");
    struct passwd pw, *res = NULL;
    char buf[4096];
    const char *user = NULL;
    if (getpwuid_r(getuid(), &pw, buf, sizeof buf, &res) == 0 && res)
        user = res->pw_name;
    char *id =
        user ? fd_asprintf("%s@%s", user, host) : fd_asprintf("uid%u@%s", (unsigned)getuid(), host);
    /* a name is data from the system: keep it to a printable, shell-neutral set */
    for (char *c = id; *c; c++)
        if (!(isalnum((unsigned char)*c) || strchr("@._-", *c)))
            *c = '_';
    return id;
}

FILE *fd_create_excl(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0)
        return NULL;
    FILE *f = fdopen(fd, "w");
    if (!f)
        close(fd);
    return f;
}

bool fd_write_file_replace(const char *path, const char *data, size_t len, char **err)
{
    char *tmp = fd_asprintf("%s.XXXXXX", path);
    int fd = mkostemp(tmp, O_CLOEXEC); /* O_CREAT|O_EXCL: a new file, never a link */
    bool ok = fd >= 0;
    if (ok) {
        fchmod(fd, 0644);
        size_t off = 0;
        while (ok && off < len) {
            ssize_t n = write(fd, data + off, len - off);
            if (n < 0 && errno == EINTR)
                continue;
            ok = n > 0;
            if (ok)
                off += (size_t)n;
        }
        ok &= close(fd) == 0;
        if (ok && rename(tmp, path) != 0)
            ok = false;
    }
    if (!ok) {
        *err = fd_asprintf("cannot write %s: %s", path, strerror(errno));
        if (fd >= 0)
            unlink(tmp);
    }
    free(tmp);
    return ok;
}

char *fd_url_join(const char *base, const char *path)
{
    size_t n = strlen(base);
    while (n && base[n - 1] == '/')
        n--;
    return fd_asprintf("%.*s/%s", (int)n, base, path);
}
