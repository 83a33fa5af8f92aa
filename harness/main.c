/* main.c: the firedrill command line: one table of commands, one option parser. */
#include "cli.h"
#include "selector.h"
#include "ssh.h"
#include "value.h"

#include <getopt.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static const fd_command commands[] = {
    {"run",
     "run SCENARIO [--inventory FILE] [--var k=v]... [--seed N] [--report-dir DIR] "
     "[--accept-new-host-keys] [--yes] [--dry-run] [--quiet] [--json] [--auto-ack] "
     "[--allow-overlap] [--metrics-file PATH] [--verbose]",
     "run a drill: preflight, timeline, heal, report",
     FD_OPT_INVENTORY | FD_OPT_VAR | FD_OPT_SEED | FD_OPT_REPORT_DIR | FD_OPT_ACCEPT_NEW |
         FD_OPT_YES | FD_OPT_DRY_RUN | FD_OPT_QUIET | FD_OPT_JSON | FD_OPT_AUTO_ACK |
         FD_OPT_ALLOW_OVERLAP | FD_OPT_METRICS_FILE,
     1, 1, fd_cmd_run},
    {"ack", "ack [RUN] [--as NAME]",
     "acknowledge the hold a running drill on this machine waits at (the only one, or RUN)",
     FD_OPT_AS, 0, 1, fd_cmd_ack},
    {"note", "note [RUN] TEXT [--as NAME]",
     "add a timestamped observation to a running drill on this machine (the only one, or RUN)",
     FD_OPT_AS, 1, 2, fd_cmd_note},
    {"validate", "validate SCENARIO... [--inventory FILE] [--var k=v]... [--verbose]",
     "parse and check scenarios, touching no host", FD_OPT_INVENTORY | FD_OPT_VAR, 1, -1,
     fd_cmd_validate},
    {"plan", "plan SCENARIO [--inventory FILE] [--var k=v]... [--seed N] [--verbose]",
     "print the exact commands each step would run on each host, touching nothing",
     FD_OPT_INVENTORY | FD_OPT_VAR | FD_OPT_SEED, 1, 1, fd_cmd_plan},
    {"check-hosts",
     "check-hosts SCENARIO_OR_INVENTORY [--inventory FILE] [--accept-new-host-keys] "
     "[--verbose]",
     "connect to every host, verify its key, authenticate and check the fault tools",
     FD_OPT_INVENTORY | FD_OPT_VAR | FD_OPT_ACCEPT_NEW, 1, 1, fd_cmd_check_hosts},
    {"heal", "heal SCENARIO_OR_INVENTORY [--run ID] [--accept-new-host-keys] [--verbose]",
     "revert every fault firedrill recorded on the hosts (all runs, or one)",
     FD_OPT_INVENTORY | FD_OPT_VAR | FD_OPT_RUN | FD_OPT_ACCEPT_NEW, 1, 1, fd_cmd_heal},
    {"halt",
     "halt SCENARIO_OR_INVENTORY --reason TEXT | --clear [--accept-new-host-keys] [--verbose]",
     "stop every drill on these hosts: a marker each refuses new faults with, and every running "
     "drill there aborts and heals within a second (--clear lifts it)",
     FD_OPT_INVENTORY | FD_OPT_VAR | FD_OPT_ACCEPT_NEW | FD_OPT_REASON | FD_OPT_CLEAR, 1, 1,
     fd_cmd_halt},
    {"report",
     "report RUN_DIR [--format html|markdown|junit|json] | report --index REPORTS_DIR | "
     "report --prune REPORTS_DIR --keep N",
     "render a run's reports again from report.json and history.jsonl, write the index of "
     "runs, or keep the newest N runs of each scenario and remove the older",
     FD_OPT_FORMAT | FD_OPT_INDEX | FD_OPT_PRUNE | FD_OPT_KEEP, 1, 1, fd_cmd_report},
    {"exec",
     "exec SCENARIO_OR_INVENTORY [--hosts a,b] [--role R] [--datacenter D] [--where CMD] "
     "[--pick P] [--repeat N] [--quiet] [--verbose] -- COMMAND...",
     "run a command on the selected hosts (all by default) at once; --repeat times rounds on "
     "the open sessions",
     FD_OPT_INVENTORY | FD_OPT_VAR | FD_OPT_SEED | FD_OPT_ACCEPT_NEW | FD_OPT_SELECT |
         FD_OPT_REPEAT | FD_OPT_QUIET,
     2, -1, fd_cmd_exec},
    {"inventory", "inventory show SCENARIO_OR_INVENTORY [--inventory FILE] [--json] [--verbose]",
     "print the hosts, addresses, datacenters and roles an inventory (firedrill's or Ansible's) "
     "resolves to, touching no host",
     FD_OPT_INVENTORY | FD_OPT_VAR | FD_OPT_JSON, 2, 2, fd_cmd_inventory},
    {"init", "init TEMPLATE --inventory FILE [OUTPUT] [--verbose] | init --list",
     "write a commented starter scenario for an inventory's hosts (OUTPUT: TEMPLATE.yaml, - for "
     "standard output; never over a file), checked to validate; --list names the templates",
     FD_OPT_INVENTORY | FD_OPT_VAR | FD_OPT_LIST, 0, 2, fd_cmd_init},
    {"select",
     "select SCENARIO_OR_INVENTORY [--hosts a,b] [--role R] [--datacenter D] [--where CMD] "
     "[--pick P] [--seed N] [--verbose]",
     "show which hosts a target selector picks right now (runs `where` on the candidates)",
     FD_OPT_INVENTORY | FD_OPT_VAR | FD_OPT_SEED | FD_OPT_ACCEPT_NEW | FD_OPT_SELECT, 1, 1,
     fd_cmd_select},
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *f)
{
    fprintf(f, "usage: firedrill COMMAND [ARGS]\n\ncommands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "  %-12s %s\n", "help", "help [COMMAND]: show a command's usage");
    fprintf(f, "\nexit status: 0 pass, 1 a check failed, 2 usage or invalid scenario, "
               "3 aborted, 4 infrastructure error, 5 a heal failed\n");
}

static const fd_command *find_command(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

static int usage_error(const fd_command *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int usage_error(const fd_command *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "firedrill %s: ", c->name);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nusage: firedrill %s\n", c->usage);
    return FD_EXIT_USAGE;
}

/* Applies a host selection option (--hosts, --role, --datacenter, --where, --pick).
 * Returns -1 when it applied, else the exit code to stop with (said). */
static int parse_select_option(fd_cli *cli, const fd_command *c, int ch)
{
    switch (ch) {
    case 'H': {
        fd_strv_free(&cli->select.hosts);
        const char *p = optarg;
        while (*p) {
            const char *comma = strchr(p, ',');
            size_t n = comma ? (size_t)(comma - p) : strlen(p);
            if (n)
                fd_strv_push_owned(&cli->select.hosts, fd_strndup(p, n));
            p += n + (comma ? 1 : 0);
        }
        return -1;
    }
    case 'o':
    case 'd':
    case 'w': {
        char **slot = ch == 'o'   ? &cli->select.role
                      : ch == 'd' ? &cli->select.datacenter
                                  : &cli->select.where;
        free(*slot); /* given twice: the last one counts */
        *slot = fd_strdup(optarg);
        return -1;
    }
    case 'p':
        if (!fd_selector_parse_pick(optarg, &cli->select))
            return usage_error(c, "--pick takes all, one, random:N or percent:P, got '%s'", optarg);
        return -1;
    default:
        return -1;
    }
}

/* The options that only set a flag: the option's letter, the command flag it needs, the
 * field it sets. */
static const struct {
    int ch;
    unsigned need;
    size_t field;
} flag_options[] = {
    {'A', FD_OPT_ACCEPT_NEW, offsetof(fd_cli, accept_new_host_keys)},
    {'y', FD_OPT_YES, offsetof(fd_cli, yes)},
    {'n', FD_OPT_DRY_RUN, offsetof(fd_cli, dry_run)},
    {'q', FD_OPT_QUIET, offsetof(fd_cli, quiet)},
    {'j', FD_OPT_JSON, offsetof(fd_cli, json)},
    {'X', FD_OPT_INDEX, offsetof(fd_cli, index)},
    {'K', FD_OPT_AUTO_ACK, offsetof(fd_cli, auto_ack)},
    {'O', FD_OPT_ALLOW_OVERLAP, offsetof(fd_cli, allow_overlap)},
    {'C', FD_OPT_CLEAR, offsetof(fd_cli, clear)},
    {'P', FD_OPT_PRUNE, offsetof(fd_cli, prune)},
    {'V', FD_OPT_INVENTORY, offsetof(fd_cli, load.verbose)},
    {'L', FD_OPT_LIST, offsetof(fd_cli, list)},
};

/* Applies option ch (its argument in optarg) to cli, with *need the command flag it
 * needs. Returns -1 when it applied, else the exit code to stop with (said).
 * long: one short case per option, in the order of the option table. */
static int parse_option(fd_cli *cli, const fd_command *c, int ch, const char *arg_seen,
                        unsigned *need)
{
    for (size_t i = 0; i < sizeof flag_options / sizeof *flag_options; i++) {
        if (flag_options[i].ch == ch) {
            *need = flag_options[i].need;
            *(bool *)((char *)cli + flag_options[i].field) = true;
            return -1;
        }
    }
    switch (ch) {
    case 'i':
        *need = FD_OPT_INVENTORY;
        cli->load.inventory = optarg;
        break;
    case 'v': {
        *need = FD_OPT_VAR;
        const char *eq = strchr(optarg, '=');
        if (!eq || eq == optarg) {
            return usage_error(c, "--var takes NAME=VALUE, got '%s'", optarg);
        }
        fd_strv_push_owned(&cli->load.var_names, fd_strndup(optarg, (size_t)(eq - optarg)));
        fd_strv_push(&cli->load.var_values, eq + 1);
        break;
    }
    case 's': {
        *need = FD_OPT_SEED;
        int64_t v;
        if (!fd_parse_uint(optarg, INT64_MAX / 10, &v)) {
            return usage_error(c, "--seed takes a non-negative integer, got '%s'", optarg);
        }
        cli->seed = (uint64_t)v;
        cli->seed_set = true;
        break;
    }
    case 'r':
        *need = FD_OPT_REPORT_DIR;
        cli->report_dir = optarg;
        break;
    case 'R':
        *need = FD_OPT_RUN;
        cli->run_id = optarg;
        break;
    case 'f':
        *need = FD_OPT_FORMAT;
        cli->format = optarg;
        break;
    case 'a':
        *need = FD_OPT_AS;
        cli->as = optarg;
        break;
    case 'k':
        *need = FD_OPT_KEEP;
        if (!fd_parse_uint(optarg, 1000000, &cli->keep) || cli->keep < 1)
            return usage_error(c, "--keep takes a number of runs from 1, got '%s'", optarg);
        cli->keep_set = true;
        break;
    case 'M':
        *need = FD_OPT_METRICS_FILE;
        cli->metrics_file = optarg;
        break;
    case 'e':
        *need = FD_OPT_REASON;
        cli->reason = optarg;
        break;
    case 'N': {
        *need = FD_OPT_REPEAT;
        int64_t v;
        if (!fd_parse_uint(optarg, 100000, &v) || v < 1) {
            return usage_error(c, "--repeat takes a number from 1 to 100000, got '%s'", optarg);
        }
        cli->repeat = (int)v;
        break;
    }
    case 'H':
    case 'o':
    case 'd':
    case 'w':
    case 'p':
        *need = FD_OPT_SELECT;
        return parse_select_option(cli, c, ch);
    case 'h':
        printf("usage: firedrill %s\n\n%s\n", c->usage, c->summary);
        return 0;
    case '?':
    default:
        return usage_error(c, "unknown or incomplete option '%s'", arg_seen);
    }
    return -1;
}

/* A seed for a run not given --seed (printed in the report, so the run can be
 * replayed with --seed). */
static uint64_t clock_seed(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return ((uint64_t)ts.tv_sec * 1000003u ^ (uint64_t)ts.tv_nsec) % 1000000000ULL;
}

static bool is_help_or_version(const char *arg)
{
    static const char *const words[] = {"--version", "version", "help", "--help", "-h", NULL};
    for (size_t i = 0; words[i]; i++)
        if (strcmp(words[i], arg) == 0)
            return true;
    return false;
}

/* firedrill version, firedrill help [COMMAND] and their option spellings. */
static int help_or_version(int argc, char **argv)
{
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("firedrill %s\n", FD_VERSION);
        return 0;
    }
    if (argc > 2) {
        const fd_command *c = find_command(argv[2]);
        if (!c) {
            fprintf(stderr, "firedrill: no command '%s'\n", argv[2]);
            return FD_EXIT_USAGE;
        }
        printf("usage: firedrill %s\n\n%s\n", c->usage, c->summary);
        return 0;
    }
    usage(stdout);
    return 0;
}

/* A drill holds up to four connections to each host it faults (its commands, heals,
 * the halt watch, a network cut's verification): raise the soft limit on open files
 * to the hard one, as a default soft limit of 1024 ends near 250 hosts. */
static void raise_open_files(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

int main(int argc, char **argv)
{
    raise_open_files();
    if (argc < 2) {
        usage(stderr);
        return FD_EXIT_USAGE;
    }
    if (is_help_or_version(argv[1]))
        return help_or_version(argc, argv);
    const fd_command *c = find_command(argv[1]);
    if (!c) {
        fprintf(stderr, "firedrill: no command '%s' (see 'firedrill help')\n", argv[1]);
        return FD_EXIT_USAGE;
    }
    static const struct option longopts[] = {{"inventory", required_argument, 0, 'i'},
                                             {"var", required_argument, 0, 'v'},
                                             {"seed", required_argument, 0, 's'},
                                             {"report-dir", required_argument, 0, 'r'},
                                             {"accept-new-host-keys", no_argument, 0, 'A'},
                                             {"yes", no_argument, 0, 'y'},
                                             {"dry-run", no_argument, 0, 'n'},
                                             {"run", required_argument, 0, 'R'},
                                             {"format", required_argument, 0, 'f'},
                                             {"quiet", no_argument, 0, 'q'},
                                             {"json", no_argument, 0, 'j'},
                                             {"hosts", required_argument, 0, 'H'},
                                             {"role", required_argument, 0, 'o'},
                                             {"datacenter", required_argument, 0, 'd'},
                                             {"where", required_argument, 0, 'w'},
                                             {"pick", required_argument, 0, 'p'},
                                             {"index", no_argument, 0, 'X'},
                                             {"repeat", required_argument, 0, 'N'},
                                             {"auto-ack", no_argument, 0, 'K'},
                                             {"as", required_argument, 0, 'a'},
                                             {"allow-overlap", no_argument, 0, 'O'},
                                             {"reason", required_argument, 0, 'e'},
                                             {"metrics-file", required_argument, 0, 'M'},
                                             {"prune", no_argument, 0, 'P'},
                                             {"keep", required_argument, 0, 'k'},
                                             {"clear", no_argument, 0, 'C'},
                                             {"verbose", no_argument, 0, 'V'},
                                             {"list", no_argument, 0, 'L'},
                                             {"help", no_argument, 0, 'h'},
                                             {0, 0, 0, 0}};
    fd_cli cli = {.command = c->name};
    int rc = FD_EXIT_USAGE;
    optind = 2;
    opterr = 0;
    int ch, longidx = -1;
    while ((ch = getopt_long(argc, argv, "", longopts, &longidx)) != -1) {
        unsigned need = 0;
        rc = parse_option(&cli, c, ch, argv[optind - 1], &need);
        if (rc >= 0)
            goto out;
        rc = FD_EXIT_USAGE;
        if (!(c->opts & need)) {
            rc = usage_error(c, "option '--%s' does not apply to this command",
                             longidx >= 0 ? longopts[longidx].name : "?");
            goto out;
        }
        longidx = -1;
    }
    cli.args = argv + optind;
    cli.nargs = argc - optind;
    if (cli.nargs < c->min_args || (c->max_args >= 0 && cli.nargs > c->max_args)) {
        rc = usage_error(c, "%s",
                         cli.nargs < c->min_args ? "missing argument" : "too many arguments");
        goto out;
    }
    if (!cli.seed_set)
        cli.seed = clock_seed();
    fd_ssh_global_init();
    rc = c->exec(&cli);
out:
    fd_strv_free(&cli.load.var_names);
    fd_strv_free(&cli.load.var_values);
    fd_selector_free(&cli.select);
    return rc;
}
