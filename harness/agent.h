/* agent.h: the host-side agent scripts and the exact commands that invoke them.
 *
 * A fault is applied on a host by sending one embedded script (agents/<family>.sh,
 * preceded by agents/lib.sh) on stdin to `sh -s -- ACTION RUN_ID FAULT_ID TTL_S
 * key=value...` over the host's SSH session. The script records the fault and its
 * revert command under /run/firedrill/<run id>/ and starts a watchdog that reverts
 * it after TTL_S seconds unless the controller heals it first. */
#ifndef FD_AGENT_H
#define FD_AGENT_H

#include "scenario.h"
#include "util.h"

typedef struct fd_agent_script {
    const char *name; /* file name without .sh */
    const char *text;
} fd_agent_script;

/* Generated at build time from the agents folder; ends with {NULL, NULL}. */
extern const fd_agent_script fd_agent_scripts[];
const char *fd_agent_text(const char *name);

/* What the controller knows when building a fault's commands for one host. */
typedef struct fd_agent_ctx {
    const char *run_id;
    const fd_inventory *inv;
    const fd_host *host;      /* the host the command runs on */
    const char *const *peers; /* addresses the fault cuts this host from */
    size_t npeers;
    bool clients_cut; /* also cut the controller (its SSH port stays open) */
    bool oneway_out;  /* oneway: drop only traffic this host sends to peers */
    bool oneway_in;   /* oneway: drop only traffic this host receives from peers */
} fd_agent_ctx;

typedef struct fd_agent_call {
    const char *script; /* agent family: proc, net, tc, disk, cmd */
    fd_strv args;       /* key=value arguments after ACTION RUN FAULT TTL */
} fd_agent_call;

/* Builds the call that applies `f` (a step with id fault_id) on ctx->host. */
void fd_agent_build(const fd_fault *f, const char *fault_id, const fd_agent_ctx *ctx,
                    fd_agent_call *call);
void fd_agent_call_free(fd_agent_call *call);

/* Exit statuses of the agents (agents/lib.sh and agents/check.sh name them too). */
enum fd_agent_exit {
    FD_AGENT_APPLIED = 0,     /* apply: applied and observed; check: done, reachable */
    FD_AGENT_USAGE = 2,       /* bad arguments: nothing was touched */
    FD_AGENT_NOT_APPLIED = 3, /* could not apply; what was started was undone */
    FD_AGENT_UNVERIFIED = 4,  /* applied, not observed: recorded, to be healed */
    FD_AGENT_UNDO_FAILED = 5, /* could not apply and the undo failed: recorded */
    FD_AGENT_UNREACHABLE = 6, /* check reach: no answer in time (packets dropped) */
    FD_AGENT_CANNOT_TELL = 7, /* check reach: no bash or nc on the host to test with */
    FD_AGENT_NO_FILE = 8,     /* check digest: missing, not a regular file, unreadable */
    FD_AGENT_HALTED = 9,      /* apply, lease: the host is halted; nothing was touched */
    FD_AGENT_LEASED = 10,     /* lease: another run holds the host */
};

/* The stdin of the read-only check agent (agents/check.sh) for `sh -s`: the line
 * `set -- ACTION ARGS...` with every word shell-quoted, then the script. Caller frees. */
char *fd_agent_check_input(const char *action, const char *const *args, size_t nargs);

/* The command line for an action (apply or revert) of a call. An apply reads its
 * arguments and the script from stdin (fd_agent_input). Caller frees. */
char *fd_agent_command(const fd_agent_call *call, const fd_host *h, const char *action,
                       const char *run_id, const char *fault_id);
/* The first line of an apply's stdin: `FD_CONTROLLER=..; set -- ACTION RUN FAULT TTL
 * key=value...`, every word shell-quoted. Caller frees. */
char *fd_agent_args(const fd_agent_call *call, const char *action, const char *run_id,
                    const char *fault_id, int64_t ttl_us, const char *controller);
/* The whole stdin of an apply: the arguments' line, lib.sh, then the family script.
 * Caller frees. */
char *fd_agent_input(const fd_agent_call *call, const char *action, const char *run_id,
                     const char *fault_id, int64_t ttl_us, const char *controller);

/* The run's guard on a host (lib.sh's lease, watch, release, halt and unhalt actions):
 * the command line (sudo -n where the host asks for it; the action named in a comment)
 * and its stdin: `FD_CONTROLLER=..; set -- ACTION RUN [TTL] key=value...`, then lib.sh.
 * run_id NULL for halt and unhalt; ttl_s < 0 for the actions without one. Caller frees. */
char *fd_agent_guard_command(const fd_host *h, const char *action);
char *fd_agent_guard_input(const char *action, const char *run_id, int64_t ttl_s,
                           const char *const *kv, size_t nkv, const char *controller);

/* The by-hand command that reverts everything firedrill recorded for a run (or all
 * runs when run_id is NULL) on a host. Caller frees. */
char *fd_agent_heal_command(const fd_host *h, const char *run_id);

#endif
