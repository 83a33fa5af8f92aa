/* control.c: the control directory of running drills (see control.h). */
#include "control.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *base_dir(void)
{
    const char *env = getenv("FIREDRILL_CONTROL_DIR");
    if (env && *env)
        return fd_strdup(env);
    if (geteuid() == 0)
        return fd_strdup("/run/firedrill-controller");
    const char *xdg = getenv("XDG_RUNTIME_DIR");
    if (xdg && *xdg)
        return fd_asprintf("%s/firedrill-controller", xdg);
    return fd_asprintf("/tmp/firedrill-controller-%u", (unsigned)geteuid());
}

/* dir exists (made now, mode 700, when it did not), is a directory and no link, is the
 * user's own and nobody else's to enter. */
static bool own_dir(const char *dir, char **err)
{
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        *err = fd_asprintf("cannot create %s: %s", dir, strerror(errno));
        return false;
    }
    struct stat st;
    if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
        (st.st_mode & 077)) {
        *err = fd_asprintf("%s is not a directory of this user's alone (a link, another "
                           "owner, or open to others): not using it",
                           dir);
        return false;
    }
    return true;
}

static bool plain_name(const char *s)
{
    if (!*s || strlen(s) > 200 || s[0] == '.')
        return false;
    for (const char *c = s; *c; c++)
        if (!(isalnum((unsigned char)*c) || *c == '-' || *c == '_' || *c == '.'))
            return false;
    return true;
}

char *fd_control_user(const char *as)
{
    const char *u = as;
    if (!u || !*u)
        u = getenv("SUDO_USER");
    if (!u || !*u)
        u = getenv("USER");
    if (!u || !*u) {
        struct passwd *pw = getpwuid(getuid());
        u = pw ? pw->pw_name : "unknown";
    }
    return fd_printable(u, 64);
}

char *fd_control_open(const char *run_id, char **err)
{
    char *base = base_dir();
    char *dir = NULL;
    if (!plain_name(run_id))
        *err = fd_asprintf("run id '%s' is not a plain name", run_id);
    else if (own_dir(base, err)) {
        dir = fd_asprintf("%s/%s", base, run_id);
        if (!own_dir(dir, err)) {
            free(dir);
            dir = NULL;
        }
    }
    free(base);
    return dir;
}

void fd_control_close(char *dir)
{
    if (!dir)
        return;
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char *p = fd_asprintf("%s/%s", dir, e->d_name);
        unlink(p);
        free(p);
    }
    if (d)
        closedir(d);
    rmdir(dir);
    free(dir);
}

bool fd_control_put(const char *dir, const char *name, const char *content, char **err)
{
    char *path = fd_asprintf("%s/%s", dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    bool ok = fd >= 0;
    if (ok) {
        size_t n = strlen(content);
        ok = write(fd, content, n) == (ssize_t)n;
        ok = close(fd) == 0 && ok;
    }
    if (!ok)
        *err = fd_asprintf("cannot write %s: %s", path, strerror(errno));
    free(path);
    return ok;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

char *fd_control_take(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    if (!d)
        return NULL;
    fd_strv names = {0};
    struct dirent *e;
    while ((e = readdir(d)))
        if (fd_str_starts(e->d_name, prefix))
            fd_strv_push(&names, e->d_name);
    closedir(d);
    if (names.n > 1)
        qsort(names.v, names.n, sizeof *names.v, cmp_str);
    char *content = NULL;
    for (size_t i = 0; i < names.n && !content; i++) {
        char *path = fd_asprintf("%s/%s", dir, names.v[i]);
        int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        struct stat st;
        if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid()) {
            char buf[4097];
            ssize_t n = read(fd, buf, sizeof buf - 1);
            content = fd_strndup(buf, n > 0 ? (size_t)n : 0);
        }
        if (fd >= 0)
            close(fd);
        unlink(path);
        free(path);
    }
    fd_strv_free(&names);
    return content;
}

void fd_control_runs(const char *must, fd_strv *runs)
{
    char *base = base_dir();
    DIR *d = opendir(base);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (!plain_name(e->d_name))
            continue;
        char *p = must ? fd_asprintf("%s/%s/%s", base, e->d_name, must) : NULL;
        if (!p || access(p, F_OK) == 0)
            fd_strv_push(runs, e->d_name);
        free(p);
    }
    if (d)
        closedir(d);
    free(base);
}

char *fd_control_find(const char *run_id, char **err)
{
    if (!plain_name(run_id)) {
        *err = fd_asprintf("run id '%s' is not a plain name", run_id);
        return NULL;
    }
    char *base = base_dir();
    char *dir = fd_asprintf("%s/%s", base, run_id);
    free(base);
    struct stat st;
    if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid()) {
        *err = fd_asprintf("no drill '%s' is running on this machine for this user", run_id);
        free(dir);
        return NULL;
    }
    return dir;
}
