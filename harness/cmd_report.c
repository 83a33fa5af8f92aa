/* cmd_report.c: `firedrill report RUN_DIR [--format ...]` renders a run's reports again
 * from report.json and history.jsonl; `firedrill report --index REPORTS_DIR` writes
 * the index of past runs; `--prune REPORTS_DIR --keep N` removes the older runs. */
#include "cli.h"
#include "prune.h"
#include "render.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int fd_cmd_report(fd_cli *cli)
{
    const char *dir = cli->args[0];
    char *err = NULL;
    if (cli->prune != cli->keep_set) {
        fprintf(stderr, "firedrill report: --prune and --keep N go together\n");
        return FD_EXIT_USAGE;
    }
    if (cli->prune) {
        if (fd_prune_reports(dir, cli->keep, stdout, &err) != 0) {
            fprintf(stderr, "firedrill report: %s\n", err);
            free(err);
            return FD_EXIT_INFRA;
        }
        return FD_EXIT_PASS;
    }
    if (cli->index) {
        if (!fd_render_index(dir, &err)) {
            fprintf(stderr, "firedrill report: %s\n", err);
            free(err);
            return FD_EXIT_INFRA;
        }
        printf("%s/index.html\n", dir);
        return FD_EXIT_PASS;
    }
    unsigned formats = FD_FORMAT_HTML | FD_FORMAT_JUNIT | FD_FORMAT_MARKDOWN;
    if (cli->format) {
        if (strcmp(cli->format, "html") == 0)
            formats = FD_FORMAT_HTML;
        else if (strcmp(cli->format, "markdown") == 0)
            formats = FD_FORMAT_MARKDOWN;
        else if (strcmp(cli->format, "junit") == 0)
            formats = FD_FORMAT_JUNIT;
        else if (strcmp(cli->format, "json") == 0)
            formats = 0;
        else {
            fprintf(stderr,
                    "firedrill report: --format takes html, markdown, junit or json, got '%s'\n",
                    cli->format);
            return FD_EXIT_USAGE;
        }
    }
    if (formats == 0) {
        /* json is the source: check it and print it */
        char *path = fd_asprintf("%s/report.json", dir);
        json_error_t je;
        json_t *r = json_load_file(path, 0, &je);
        if (!r) {
            fprintf(stderr, "firedrill report: %s: %s\n", path, je.text);
            free(path);
            return FD_EXIT_USAGE;
        }
        json_dumpf(r, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
        printf("\n");
        json_decref(r);
        free(path);
        return FD_EXIT_PASS;
    }
    if (!fd_render_run_dir(dir, formats, &err)) {
        fprintf(stderr, "firedrill report: %s\n", err);
        free(err);
        return FD_EXIT_USAGE;
    }
    if (formats & FD_FORMAT_HTML)
        printf("%s/report.html\n", dir);
    if (formats & FD_FORMAT_MARKDOWN)
        printf("%s/report.md\n", dir);
    if (formats & FD_FORMAT_JUNIT)
        printf("%s/junit.xml\n", dir);
    return FD_EXIT_PASS;
}
