/* cmd_init.c: `firedrill init TEMPLATE --inventory FILE [OUTPUT]`: a commented starter
 * scenario for the hosts of an inventory, checked to validate before it is written, into
 * a new file (never over one); `firedrill init --list` names the templates. */
#include "ansible.h"
#include "cli.h"
#include "init.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The first sentence of a template's `description: >` block. */
static char *summary(const char *text)
{
    const char *d = strstr(text, "\ndescription: >\n");
    fd_buf b;
    fd_buf_init(&b, FD_BUF_UNCAPPED);
    for (const char *p = d ? d + 16 : ""; strncmp(p, "  ", 2) == 0;) {
        size_t n = strcspn(p, "\n");
        if (b.len)
            fd_buf_puts(&b, " ");
        fd_buf_append(&b, p + 2, n - 2);
        p += n + (p[n] == '\n');
    }
    char *s = fd_buf_steal(&b);
    char *stop = strstr(s, ". ");
    if (stop)
        stop[1] = '\0';
    return s;
}

static int list_templates(void)
{
    for (const fd_init_template *t = fd_init_templates; t->name; t++) {
        char *s = summary(t->text);
        printf("%-24s %s\n", t->name, s);
        free(s);
    }
    return FD_EXIT_PASS;
}

/* A YAML double-quoted scalar holding s literally (firedrill's ${...} escaped as $$). */
static char *yaml_quote(const char *s)
{
    fd_buf b;
    fd_buf_init(&b, FD_BUF_UNCAPPED);
    fd_buf_puts(&b, "\"");
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fd_buf_printf(&b, "\\%c", *s);
        else if (*s == '$')
            fd_buf_puts(&b, "$$");
        else
            fd_buf_append(&b, s, 1);
    }
    fd_buf_puts(&b, "\"");
    return fd_buf_steal(&b);
}

/* The scenario's `inventory:` key for the inventory at path, as seen from out_dir: the
 * path relative to it when the inventory is below it, else absolute. */
static char *inventory_key(const char *path, const char *out_dir)
{
    char inv_real[PATH_MAX], dir_real[PATH_MAX];
    const char *shown = path;
    if (realpath(path, inv_real)) {
        shown = inv_real;
        size_t n = realpath(out_dir, dir_real) ? strlen(dir_real) : 0;
        if (n && strncmp(inv_real, dir_real, n) == 0 && inv_real[n] == '/')
            shown = inv_real + n + 1;
    }
    fd_diags d = {0};
    fd_ydoc *doc = fd_ydoc_load(path, &d);
    bool ansible = fd_ansible_file_is(path, doc);
    fd_ydoc_free(doc);
    fd_diag_clear(&d);
    char *q = yaml_quote(shown);
    char *key = ansible ? fd_asprintf("inventory:\n"
                                      "  ansible: %s\n"
                                      "  # the host or group variable naming each host's "
                                      "datacenter, if one does\n"
                                      "  # datacenter_var: dc",
                                      q)
                        : fd_asprintf("inventory: %s", q);
    free(q);
    return key;
}

/* Checks text as the scenario it will be; prints why not. */
static bool validates(const char *label, const char *text)
{
    fd_scenario s;
    fd_diags d = {0};
    fd_err e = fd_scenario_load_text(label, text, strlen(text), NULL, &s, &d);
    fd_diag_print(&d);
    fd_diag_clear(&d);
    fd_scenario_free(&s);
    return e == FD_OK;
}

static int write_out(const char *out, const char *text)
{
    if (strcmp(out, "-") == 0) {
        fputs(text, stdout);
        return FD_EXIT_PASS;
    }
    FILE *f = fd_create_excl(out);
    if (!f) {
        fprintf(stderr, "firedrill init: %s: %s%s\n", out, strerror(errno),
                errno == EEXIST ? " (init never writes over a file: give another OUTPUT)" : "");
        return FD_EXIT_USAGE;
    }
    bool ok = fputs(text, f) >= 0;
    ok &= fclose(f) == 0;
    if (!ok) {
        fprintf(stderr, "firedrill init: %s: cannot write: %s\n", out, strerror(errno));
        return FD_EXIT_INFRA;
    }
    return FD_EXIT_PASS;
}

int fd_cmd_init(fd_cli *cli)
{
    if (cli->list)
        return cli->nargs
                   ? (fprintf(stderr, "firedrill init --list takes no argument\n"), FD_EXIT_USAGE)
                   : list_templates();
    if (cli->nargs < 1 || !cli->load.inventory) {
        fprintf(stderr, "firedrill init: give a TEMPLATE and --inventory FILE (templates: "
                        "firedrill init --list)\n");
        return FD_EXIT_USAGE;
    }
    const fd_init_template *t = fd_init_find(cli->args[0]);
    if (!t) {
        char *q = fd_printable(cli->args[0], 60);
        fprintf(stderr, "firedrill init: no template '%s' (firedrill init --list names them)\n", q);
        free(q);
        return FD_EXIT_USAGE;
    }
    const char *inv_path = cli->load.inventory;
    fd_inventory inv;
    fd_diags d = {0};
    fd_err e = fd_inventory_load(inv_path, cli->load.verbose, &inv, &d);
    fd_diag_print(&d);
    fd_diag_clear(&d);
    if (e != FD_OK) {
        fd_inventory_free(&inv);
        return FD_EXIT_USAGE;
    }
    char *out = cli->nargs > 1 ? fd_strdup(cli->args[1]) : fd_asprintf("%s.yaml", t->name);
    char *label = strcmp(out, "-") == 0 ? fd_asprintf("./%s.yaml", t->name) : fd_strdup(out);
    char *out_dir = fd_path_dir(label);
    char *key = inventory_key(inv_path, out_dir);
    fd_strv notes = {0};
    char *err = NULL;
    char *text = fd_init_render(t->text, &inv, key, &notes, &err);
    int rc = FD_EXIT_USAGE;
    if (!text)
        fprintf(stderr, "firedrill init: %s\n", err);
    else if (!validates(label, text))
        fprintf(stderr,
                "firedrill init: the %s starter does not validate against this "
                "inventory; nothing written\n",
                t->name);
    else
        rc = write_out(out, text);
    for (size_t i = 0; rc == FD_EXIT_PASS && i < notes.n; i++)
        fprintf(stderr, "firedrill init: note: %s\n", notes.v[i]);
    if (rc == FD_EXIT_PASS && strcmp(out, "-") != 0)
        fprintf(stderr,
                "firedrill init: wrote %s: read its comments, then firedrill validate, "
                "plan and check-hosts it\n",
                out);
    fd_strv_free(&notes);
    free(text);
    free(err);
    free(key);
    free(out_dir);
    free(label);
    free(out);
    fd_inventory_free(&inv);
    return rc;
}
