/* ansible.h: an Ansible inventory (INI or YAML, with its group_vars and host_vars) read
 * as firedrill's inventory: every group a host belongs to, directly or through groups of
 * groups, becomes one of its roles; the connection variables become its settings.
 *
 * Only what Ansible's inventory states literally is read: a value firedrill needs that
 * holds Jinja templating or is encrypted with Ansible Vault is refused with its file
 * and line, never guessed. */
#ifndef FD_ANSIBLE_H
#define FD_ANSIBLE_H

#include "inventory.h"
#include "yamldoc.h"
#include "ytyped.h"

#include <stdbool.h>

/* How an Ansible Vault file or value begins. */
#define FD_AN_VAULT_MARK "$ANSIBLE_VAULT;"

/* One variable as the inventory states it, and where. */
typedef struct fd_an_var {
    char *name;
    char *value;      /* NULL: a list or a mapping */
    const char *file; /* one of the model's files */
    int line, col;
} fd_an_var;

typedef struct fd_an_vars {
    fd_an_var *v;
    size_t n;
} fd_an_vars;

typedef struct fd_an_group {
    char *name;
    fd_strv children;
    fd_an_vars vars;      /* from the inventory file */
    fd_an_vars file_vars; /* from group_vars/, which Ansible ranks above every group's vars
                           * in the inventory file */
    const char *file;
    int line, col;
} fd_an_group;

typedef struct fd_an_host {
    char *name;
    fd_strv groups;       /* the groups that name it directly */
    fd_an_vars vars;      /* from the inventory file */
    fd_an_vars file_vars; /* from host_vars/ */
    const char *file;
    int line, col;
} fd_an_host;

/* The inventory as read, before its variables are resolved. */
typedef struct fd_an_inv {
    fd_an_group *groups;
    size_t ngroups;
    fd_an_host *hosts;
    size_t nhosts;
    fd_strv files; /* every file read; positions point into these names */
    fd_yt *t;      /* errors go here, each naming its own file */
} fd_an_inv;

/* What the scenario's `inventory: {ansible: ...}` says besides the path. */
typedef struct fd_ansible_opts {
    const char *datacenter_var;   /* the variable holding a host's datacenter, or NULL */
    const fd_host_opts *defaults; /* settings where the inventory's variables say nothing */
    const char *base_dir;         /* resolves relative key paths */
    bool verbose;                 /* warn of each variable firedrill does not read */
    bool named_by_file; /* the path comes from a scenario or inventory file, not the command
                         * line: read only if others may read it */
} fd_ansible_opts;

/* Reads the Ansible inventory at path (YAML when root is given, its parsed document;
 * else INI) with the group_vars and host_vars beside it, into inv. False after
 * reporting errors through t. */
bool fd_ansible_load(fd_yt *t, const char *path, const fd_ynode *root, const fd_ansible_opts *o,
                     fd_inventory *inv);

/* Reads the Ansible inventory at path, YAML or INI as it holds (a .yml, .yaml or .json
 * name: YAML only). */
void fd_ansible_load_file(fd_yt *t, const char *path, const fd_ansible_opts *o, fd_inventory *inv);

/* Whether the file at path is an Ansible inventory rather than firedrill's own: doc is
 * its parse as YAML, NULL when it is not YAML (then it is INI unless named .yml, .yaml
 * or .json). */
bool fd_ansible_file_is(const char *path, const fd_ydoc *doc);

/* Whether a YAML document has the shape of an Ansible YAML inventory: a mapping of groups
 * (each named as a role may be), each empty or a mapping (of hosts, vars and children,
 * which the reader checks). */
bool fd_ansible_yaml_shape(const fd_ynode *root);

/* The parsers (ansible_parse.c), and the model they fill. */
void fd_an_read_ini(fd_an_inv *a, const char *file, const char *text);
void fd_an_read_yaml(fd_an_inv *a, const char *file, const fd_ynode *root);
fd_an_group *fd_an_group_get(fd_an_inv *a, const char *name, const char *file, int line, int col);
fd_an_host *fd_an_host_get(fd_an_inv *a, const char *name, const char *file, int line, int col);
void fd_an_var_set(fd_an_vars *vs, const char *name, const char *value, const char *file, int line,
                   int col);
/* The variables of a YAML mapping (a host's, a group's, a group_vars file). */
void fd_an_read_vars(const char *file, const fd_ynode *m, fd_an_vars *vs);
/* Splits a line into words as Python's shlex does for Ansible (quotes join, a word
 * starting with '#' begins a comment), each word's 1-based column into cols. False on
 * an unclosed quote or more than max words (words then holds those before: free it). */
bool fd_an_words(const char *s, fd_strv *words, int *cols, size_t max);
/* The files (ansible_files.c): the inventory at path (a file: YAML when root is its parsed
 * document, else INI; or a directory of them), each read only when others may read it if
 * named_by_file; and the group_vars and host_vars of every group and host read, beside
 * it (the directory for fd_an_vars_dir). */
void fd_an_read_sources(fd_an_inv *a, const char *path, const fd_ynode *root, bool named_by_file);
char *fd_an_vars_dir(const char *path);
void fd_an_read_vars_files(fd_an_inv *a, const char *dir);
void fd_an_error(fd_an_inv *a, const char *file, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

#endif
