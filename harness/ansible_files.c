/* ansible_files.c: the files of an Ansible inventory: the inventory itself (a file, or
 * a directory of them as Ansible reads one), told apart from firedrill's own, and the
 * group_vars and host_vars beside it. Every file a scenario names is treated as
 * hostile: read only when others may read it, and never shown unless it reads as an
 * inventory. */
#include "ansible.h"

#include <ctype.h>
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- group_vars and host_vars ---- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool regular_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* A file's text, or NULL after reporting why it cannot be read: not there, too large,
 * or encrypted with Ansible Vault (what: "file" or "inventory"; hint: what to do). */
static char *read_text(fd_an_inv *a, const char *path, const char *what, const char *hint,
                       size_t *len)
{
    char *err = NULL;
    char *text = fd_read_file(path, FD_YAML_MAX_BYTES, len, &err);
    if (!text) {
        fd_an_error(a, path, 0, 0, "cannot read the Ansible %s: %s", what, err);
        free(err);
    } else if (strncmp(text, FD_AN_VAULT_MARK, strlen(FD_AN_VAULT_MARK)) == 0) {
        fd_an_error(a, path, 1, 1,
                    "this %s is encrypted with Ansible Vault, which firedrill does not "
                    "decrypt%s",
                    what, hint);
        free(text);
        text = NULL;
    }
    return text;
}

/* Reads one variables file (YAML or JSON) into vs. */
static void vars_file(fd_an_inv *a, const char *path, fd_an_vars *vs)
{
    fd_strv_push(&a->files, path);
    const char *file = a->files.v[a->files.n - 1];
    size_t len;
    char *text = read_text(a, file, "file",
                           ": keep the variables firedrill reads (ansible_host, ansible_port, "
                           "ansible_user, the key and jump settings, the datacenter) in an "
                           "unencrypted file",
                           &len);
    if (!text)
        return;
    fd_ydoc *doc = fd_ydoc_parse(file, text, len, a->t->d);
    if (!doc)
        a->t->errors++;
    else if (doc->root && doc->root->kind != FD_Y_MAP)
        fd_an_error(a, file, doc->root->line, doc->root->col,
                    "a variables file must be a mapping of variables, got %s",
                    fd_ykind_name(doc->root));
    else if (doc->root)
        fd_an_read_vars(file, doc->root, vs);
    fd_ydoc_free(doc);
    free(text);
}

static bool vars_name(const char *name)
{
    size_t n = strlen(name);
    if (name[0] == '.' || name[n - 1] == '~')
        return false;
    const char *dot = strrchr(name, '.');
    return !dot || strcmp(dot, ".yml") == 0 || strcmp(dot, ".yaml") == 0 ||
           strcmp(dot, ".json") == 0;
}

/* The files of dir/kind/name: name, name.yml, name.yaml, name.json, and every variables
 * file in a directory dir/kind/name/ (in name order), as Ansible reads them. */
static void vars_for(fd_an_inv *a, const char *dir, const char *kind, const char *name,
                     fd_an_vars *vs)
{
    if (!fd_inventory_valid_word(name) || name[0] == '.')
        return; /* never a path outside the directory: '..' has no variables files */
    static const char *const ext[] = {"", ".yml", ".yaml", ".json"};
    for (size_t i = 0; i < 4; i++) {
        char *p = fd_asprintf("%s/%s/%s%s", dir, kind, name, ext[i]);
        if (regular_file(p))
            vars_file(a, p, vs);
        free(p);
    }
    char *sub = fd_asprintf("%s/%s/%s", dir, kind, name);
    DIR *d = opendir(sub);
    if (d) {
        fd_strv names = {0};
        struct dirent *e;
        while ((e = readdir(d)) != NULL && names.n < 1000)
            if (vars_name(e->d_name))
                fd_strv_push(&names, e->d_name);
        closedir(d);
        if (names.n)
            qsort(names.v, names.n, sizeof *names.v, cmp_str);
        for (size_t i = 0; i < names.n; i++) {
            char *p = fd_asprintf("%s/%s", sub, names.v[i]);
            if (regular_file(p))
                vars_file(a, p, vs);
            free(p);
        }
        fd_strv_free(&names);
    }
    free(sub);
}

/* A file named by a scenario (which may come from anyone) is read only when others may read
 * it too: a private file may hold secrets, which an error or a host name would show. */
static bool readable_by_others(fd_yt *t, const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0 || (st.st_mode & S_IROTH))
        return true; /* a file that cannot be read is reported when read */
    fd_diag_add(t->d, path, 0, 0,
                "this Ansible inventory is private (mode %04o): firedrill reads one a file names "
                "only when others may read it, as a private file may hold secrets; make it "
                "readable (chmod o+r) or give it with --inventory",
                (unsigned)(st.st_mode & 07777));
    t->errors++;
    return false;
}

/* Reads one inventory file into the model. */
static void read_source(fd_an_inv *a, const char *file, const fd_ynode *root)
{
    if (root) {
        fd_an_read_yaml(a, file, root);
        return;
    }
    size_t len;
    char *text = read_text(a, file, "inventory", "", &len);
    if (text && memchr(text, '\0', len))
        fd_an_error(a, file, 0, 0, "an Ansible INI inventory must be text (it holds a NUL byte)");
    else if (text)
        fd_an_read_ini(a, file, text);
    free(text);
}

static bool yaml_name(const char *path)
{
    const char *dot = strrchr(path, '.');
    return dot && !strchr(dot, '/') &&
           (strcmp(dot, ".yml") == 0 || strcmp(dot, ".yaml") == 0 || strcmp(dot, ".json") == 0);
}

/* Whether text reads as an Ansible INI inventory, line by line: a section header, or a line
 * whose first word could be a host pattern, a group or a variable's name. A file that does
 * not (/etc/shadow, a key) is not one, and nothing of it is shown. */
static bool ini_plausible(const char *text)
{
    static const char word[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                               "_.-:[]";
    bool any = false;
    for (const char *p = text; *p;) {
        size_t n = strcspn(p, "\n");
        const char *s = p + strspn(p, " \t");
        size_t len = n - (size_t)(s - p);
        while (len && isspace((unsigned char)s[len - 1]))
            len--;
        if (len && *s != '#' && *s != ';') {
            size_t w = strspn(s, word);
            bool header = *s == '[' && s[len - 1] == ']';
            if (!header && (*s == '-' || *s == ':' || w == 0 || (w < len && !strchr(" \t=", s[w]))))
                return false;
            any = true;
        }
        p += n + (p[n] == '\n');
    }
    return any;
}

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

bool fd_ansible_file_is(const char *path, const fd_ydoc *doc)
{
    if (is_dir(path))
        return true; /* firedrill's own inventory is one file */
    const fd_ynode *r = doc ? doc->root : NULL;
    if (r && r->kind == FD_Y_MAP) {
        if (fd_ymap_get(r, "hosts") || fd_ymap_get(r, "defaults") || fd_ymap_get(r, "ansible"))
            return false;
        return fd_ansible_yaml_shape(r);
    }
    if ((doc && !r) || yaml_name(path))
        return false;
    char *err = NULL;
    char *text = fd_read_file(path, FD_YAML_MAX_BYTES, NULL, &err);
    bool ini = text && ini_plausible(text);
    free(text);
    free(err);
    return ini;
}

void fd_ansible_load_file(fd_yt *t, const char *path, const fd_ansible_opts *o, fd_inventory *inv)
{
    fd_diags yd = {0};
    fd_ydoc *doc = fd_ydoc_load(path, &yd);
    if (!doc && yaml_name(path)) {
        for (size_t i = 0; i < yd.n; i++)
            fd_diag_add(t->d, NULL, 0, 0, "%s", yd.msgs[i]);
        t->errors++;
    } else {
        fd_ansible_load(t, path, doc && doc->root && doc->root->kind == FD_Y_MAP ? doc->root : NULL,
                        o, inv);
    }
    fd_diag_clear(&yd);
    fd_ydoc_free(doc);
}

char *fd_an_vars_dir(const char *path)
{
    return is_dir(path) ? fd_strdup(path) : fd_path_dir(path);
}

void fd_an_read_vars_files(fd_an_inv *a, const char *dir)
{
    for (size_t i = 0; i < a->ngroups; i++)
        vars_for(a, dir, "group_vars", a->groups[i].name, &a->groups[i].file_vars);
    for (size_t i = 0; i < a->nhosts; i++)
        vars_for(a, dir, "host_vars", a->hosts[i].name, &a->hosts[i].file_vars);
}

/* What Ansible skips in an inventory directory: hidden names, the variables folders, and
 * its INVENTORY_IGNORE_EXTS (.ini among them). */
static bool ignored(const char *name)
{
    static const char *const names[] = {"group_vars", "host_vars", "vars_plugins", NULL};
    static const char *const ext[] = {".pyc", ".pyo", ".swp",  ".bak", "~",    ".rpm",   ".md",
                                      ".txt", ".rst", ".orig", ".ini", ".cfg", ".retry", NULL};
    if (name[0] == '.')
        return true;
    for (size_t i = 0; names[i]; i++)
        if (strcmp(name, names[i]) == 0)
            return true;
    size_t n = strlen(name);
    for (size_t i = 0; ext[i]; i++) {
        size_t e = strlen(ext[i]);
        if (n >= e && strcmp(name + n - e, ext[i]) == 0)
            return true;
    }
    return false;
}

/* One file of an inventory directory: YAML when it reads as an Ansible YAML inventory,
 * INI when it reads as one; an inventory script is not run, anything else not shown. */
static void dir_file(fd_an_inv *a, const char *file, bool named_by_file)
{
    struct stat st;
    if (stat(file, &st) != 0 || !S_ISREG(st.st_mode))
        return;
    if (st.st_mode & 0111) {
        fd_an_error(a, file, 0, 0,
                    "an executable file in an inventory directory is an inventory script, "
                    "which firedrill does not run");
        return;
    }
    if (named_by_file && !readable_by_others(a->t, file))
        return;
    size_t len;
    char *text = read_text(a, file, "inventory", "", &len);
    if (!text)
        return;
    fd_diags quiet = {0};
    fd_ydoc *doc = memchr(text, '\0', len) ? NULL : fd_ydoc_parse(file, text, len, &quiet);
    if (doc && fd_ansible_yaml_shape(doc->root))
        fd_an_read_yaml(a, file, doc->root);
    else if (!memchr(text, '\0', len) && !yaml_name(file) && ini_plausible(text))
        fd_an_read_ini(a, file, text);
    else
        fd_an_error(a, file, 0, 0,
                    "this file in an inventory directory is not an Ansible inventory (its "
                    "contents are not shown)");
    fd_ydoc_free(doc);
    fd_diag_clear(&quiet);
    free(text);
}

/* An inventory directory is read down to this depth, and up to this many files: a
 * scenario may name any folder (its own, /, ~). */
#define MAX_DIR_DEPTH 4
#define MAX_DIR_FILES 2000

/* Every file of an inventory directory and its subdirectories, in name order, on the
 * directory's own file system (never /proc, /sys or a mount below it). */
static void read_dir(fd_an_inv *a, const char *dir, dev_t dev, bool named_by_file, int depth)
{
    DIR *d = opendir(dir);
    if (!d) {
        fd_an_error(a, dir, 0, 0, "cannot read the inventory directory");
        return;
    }
    fd_strv names = {0};
    struct dirent *e;
    while ((e = readdir(d)) != NULL && names.n < MAX_DIR_FILES)
        if (!ignored(e->d_name))
            fd_strv_push(&names, e->d_name);
    closedir(d);
    if (names.n)
        qsort(names.v, names.n, sizeof *names.v, cmp_str);
    for (size_t i = 0; i < names.n; i++) {
        if (a->files.n >= MAX_DIR_FILES) {
            fd_an_error(a, dir, 0, 0, "the inventory directory holds more than %d files",
                        MAX_DIR_FILES);
            break;
        }
        fd_strv_push_owned(&a->files, fd_asprintf("%s/%s", dir, names.v[i]));
        const char *path = a->files.v[a->files.n - 1];
        struct stat st;
        if (lstat(path, &st) != 0 || st.st_dev != dev)
            continue;
        if (S_ISDIR(st.st_mode) && depth < MAX_DIR_DEPTH)
            read_dir(a, path, dev, named_by_file, depth + 1);
        else if (!S_ISDIR(st.st_mode))
            dir_file(a, path, named_by_file);
    }
    fd_strv_free(&names);
}

/* Whether a directory is in the kernel's file systems, whose files are views of the
 * machine (processes' command lines among them), not inventories. */
static bool kernel_dir(const char *path)
{
    char real[PATH_MAX];
    if (!realpath(path, real))
        return false;
    static const char *const roots[] = {"/proc", "/sys", "/dev", NULL};
    for (size_t i = 0; roots[i]; i++) {
        size_t n = strlen(roots[i]);
        if (strncmp(real, roots[i], n) == 0 && (real[n] == '\0' || real[n] == '/'))
            return true;
    }
    return false;
}

void fd_an_read_sources(fd_an_inv *a, const char *path, const fd_ynode *root, bool named_by_file)
{
    struct stat st;
    bool dir = stat(path, &st) == 0 && S_ISDIR(st.st_mode);
    if (dir && kernel_dir(path))
        fd_an_error(a, path, 0, 0, "the kernel's /proc, /sys and /dev hold no inventory");
    else if (dir)
        read_dir(a, path, st.st_dev, named_by_file, 0);
    else if (!named_by_file || readable_by_others(a->t, path))
        read_source(a, path, root);
}
