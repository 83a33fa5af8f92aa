/* cli.h: the parsed command line shared by every command, and the command table. */
#ifndef FD_CLI_H
#define FD_CLI_H

#include "scenario.h"

#include <stdbool.h>
#include <stdint.h>

enum {
    FD_OPT_INVENTORY = 1 << 0,
    FD_OPT_VAR = 1 << 1,
    FD_OPT_SEED = 1 << 2,
    FD_OPT_REPORT_DIR = 1 << 3,
    FD_OPT_ACCEPT_NEW = 1 << 4,
    FD_OPT_YES = 1 << 5,
    FD_OPT_DRY_RUN = 1 << 6,
    FD_OPT_RUN = 1 << 7,
    FD_OPT_FORMAT = 1 << 8,
    FD_OPT_QUIET = 1 << 9,
    FD_OPT_JSON = 1 << 10,
    FD_OPT_SELECT = 1 << 11, /* --hosts --role --datacenter --where --pick */
    FD_OPT_INDEX = 1 << 12,
    FD_OPT_REPEAT = 1 << 13,
    FD_OPT_AUTO_ACK = 1 << 14,
    FD_OPT_AS = 1 << 15,
    FD_OPT_ALLOW_OVERLAP = 1 << 16,
    FD_OPT_REASON = 1 << 17,
    FD_OPT_CLEAR = 1 << 18,
    FD_OPT_METRICS_FILE = 1 << 19,
    FD_OPT_PRUNE = 1 << 20,
    FD_OPT_KEEP = 1 << 21,
    FD_OPT_LIST = 1 << 22,
};

typedef struct fd_cli {
    const char *command;
    fd_load_opts load;
    uint64_t seed;
    bool seed_set;
    const char *report_dir;
    bool accept_new_host_keys;
    bool yes;
    bool dry_run;
    bool quiet;
    bool json;
    bool index;
    int repeat;
    bool auto_ack;
    const char *as; /* ack, note: who says it */
    bool allow_overlap;
    const char *metrics_file; /* run: the figures for node exporter's textfile collector */
    bool prune;               /* report --prune REPORTS_DIR --keep N */
    int64_t keep;
    bool keep_set;
    bool list;          /* init --list */
    const char *reason; /* halt */
    bool clear;         /* halt --clear */
    const char *run_id;
    const char *format;
    fd_selector select; /* for `select` */
    char **args;        /* positional arguments */
    int nargs;
} fd_cli;

typedef struct fd_command {
    const char *name;
    const char *usage;
    const char *summary;
    unsigned opts;
    int min_args, max_args; /* max -1: any */
    int (*exec)(fd_cli *cli);
} fd_command;

int fd_cmd_validate(fd_cli *cli);
int fd_cmd_plan(fd_cli *cli);
int fd_cmd_check_hosts(fd_cli *cli);
int fd_cmd_select(fd_cli *cli);
int fd_cmd_run(fd_cli *cli);
int fd_cmd_ack(fd_cli *cli);
int fd_cmd_note(fd_cli *cli);
int fd_cmd_heal(fd_cli *cli);
int fd_cmd_init(fd_cli *cli);
int fd_cmd_halt(fd_cli *cli);
int fd_cmd_report(fd_cli *cli);
int fd_cmd_exec(fd_cli *cli);
int fd_cmd_inventory(fd_cli *cli);

/* Loads a scenario or inventory for a command, printing errors. Returns 0 (the caller
 * frees s with fd_scenario_free) or an exit code (2 for invalid input; s is freed). */
int fd_cli_load(fd_cli *cli, const char *path, fd_scenario *s, bool *is_scenario);

#endif
