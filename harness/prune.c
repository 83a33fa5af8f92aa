/* prune.c: `firedrill report --prune REPORTS_DIR --keep N`: per scenario, the newest N
 * runs are kept and the older run directories removed, then the index is written again.
 * Only what a run wrote is removed: a directory is a run's when its report.json says so
 * (its run_id is the directory's name) and it holds nothing but the files a run writes;
 * anything else there (a file a user added, a link, a subdirectory) keeps the whole
 * directory, and says why. */
#include "prune.h"
#include "render.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct run_dir {
    char *name, *scenario;
    double started;
} run_dir;

/* The files a run writes, and report's temporary files (NAME.XXXXXX). */
static bool run_file(const char *name)
{
    static const char *const files[] = {
        "report.json", "history.jsonl", "history.jsonl.gz", "report.html",
        "report.md",   "junit.xml",     "scenario.yaml",    NULL};
    for (size_t i = 0; files[i]; i++) {
        size_t n = strlen(files[i]);
        if (strncmp(name, files[i], n) == 0 &&
            (name[n] == '\0' || (name[n] == '.' && strlen(name + n + 1) == 6)))
            return true;
    }
    return false;
}

/* Removes a run directory holding only a run's files; false with *why otherwise. */
static bool remove_run(const char *path, char **why)
{
    DIR *d = opendir(path);
    if (!d) {
        *why = fd_asprintf("cannot read it: %s", strerror(errno));
        return false;
    }
    fd_strv files = {0};
    struct dirent *de;
    while ((de = readdir(d)) && !*why) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        char *p = fd_asprintf("%s/%s", path, de->d_name);
        struct stat st;
        if (!run_file(de->d_name) || lstat(p, &st) != 0 || !S_ISREG(st.st_mode))
            *why = fd_asprintf("it holds %s, which no run writes", de->d_name);
        else
            fd_strv_push(&files, p);
        free(p);
    }
    closedir(d);
    for (size_t i = 0; !*why && i < files.n; i++)
        if (unlink(files.v[i]) != 0)
            *why = fd_asprintf("cannot remove %s: %s", files.v[i], strerror(errno));
    fd_strv_free(&files);
    if (!*why && rmdir(path) != 0)
        *why = fd_asprintf("cannot remove it: %s", strerror(errno));
    return !*why;
}

static int newest_first(const void *a, const void *b)
{
    const run_dir *x = a, *y = b;
    int c = strcmp(x->scenario, y->scenario);
    if (c)
        return c;
    return x->started < y->started ? 1 : x->started > y->started ? -1 : strcmp(y->name, x->name);
}

/* The run directories of reports_dir: a directory (not a link) whose report.json is a
 * firedrill report of that run. */
static run_dir *list_runs(const char *reports_dir, size_t *n, char **err)
{
    DIR *d = opendir(reports_dir);
    if (!d) {
        *err = fd_asprintf("cannot read %s: %s", reports_dir, strerror(errno));
        return NULL;
    }
    run_dir *runs = NULL;
    size_t cap = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        char *dpath = fd_asprintf("%s/%s", reports_dir, de->d_name);
        char *rpath = fd_asprintf("%s/report.json", dpath);
        struct stat st;
        json_t *r =
            lstat(dpath, &st) == 0 && S_ISDIR(st.st_mode) ? json_load_file(rpath, 0, NULL) : NULL;
        const char *scenario = fd_jstr(json_object_get(r, "scenario"), "name");
        if (r && strcmp(fd_jstr(r, "format"), "firedrill-report/1") == 0 &&
            strcmp(fd_jstr(r, "run_id"), de->d_name) == 0 && *scenario) {
            if (*n == cap) {
                cap = cap ? 2 * cap : 32;
                runs = fd_xrealloc(runs, cap * sizeof *runs);
            }
            runs[(*n)++] = (run_dir){fd_strdup(de->d_name), fd_strdup(scenario),
                                     fd_jnum(r, "started_at_unix")};
        }
        json_decref(r);
        free(rpath);
        free(dpath);
    }
    closedir(d);
    return runs ? runs : fd_xcalloc(1, sizeof *runs);
}

int fd_prune_reports(const char *reports_dir, int64_t keep, FILE *out, char **err)
{
    size_t n = 0;
    run_dir *runs = list_runs(reports_dir, &n, err);
    if (!runs)
        return -1;
    qsort(runs, n, sizeof *runs, newest_first);
    size_t removed = 0, kept_back = 0, rank = 0;
    for (size_t i = 0; i < n; i++) {
        rank = i && strcmp(runs[i].scenario, runs[i - 1].scenario) == 0 ? rank + 1 : 0;
        if ((int64_t)rank < keep)
            continue;
        char *path = fd_asprintf("%s/%s", reports_dir, runs[i].name), *why = NULL;
        if (remove_run(path, &why)) {
            fprintf(out, "removed %s\n", path);
            removed++;
        } else {
            fprintf(out, "kept %s: %s\n", path, why);
            kept_back++;
        }
        free(why);
        free(path);
    }
    for (size_t i = 0; i < n; i++) {
        free(runs[i].name);
        free(runs[i].scenario);
    }
    free(runs);
    fprintf(out, "%zu run%s removed, the newest %lld of each scenario kept", removed,
            removed == 1 ? "" : "s", (long long)keep);
    if (kept_back)
        fprintf(out, " (%zu older kept: they hold files no run writes)", kept_back);
    fputc('\n', out);
    if (!fd_render_index(reports_dir, err))
        return -1;
    fprintf(out, "%s/index.html\n", reports_dir);
    return 0;
}
