/* faults.h: the fault types, as families registered in a table. Each family lives in
 * a file of its own beside the agent that applies it:
 *
 *   fault_process.c  kill, pause, stop_service  agents/proc.sh
 *   fault_network.c  partition, cut_datacenter, drop  agents/net.sh
 *   fault_tc.c       netem                      agents/tc.sh
 *   fault_disk.c     fill_disk                  agents/disk.sh
 *   fault_command.c  command                    agents/cmd.sh
 *
 * A family says which keys its faults take (`target` among them, or not), reads them, builds the
 * agent call for a host, names the host tools it needs (check-hosts), and whether it cuts the
 * network (the run then observes the cut from the hosts). Adding a fault type: a value in
 * fd_fault_type and its name (scenario.h/.c), its family entry in its file, one line
 * in the table in faults.c, and its agent script. */
#ifndef FD_FAULTS_H
#define FD_FAULTS_H

#include "agent.h"
#include "scenario.h"
#include "ytyped.h"

/* What a family's host tools are, for check-hosts. */
enum fd_fault_needs {
    FD_NEEDS_FIREWALL = 1 << 0, /* nft or iptables */
    FD_NEEDS_NETEM = 1 << 1,    /* tc with the netem qdisc */
    FD_NEEDS_PROC = 1 << 2,     /* process tools: kill, /proc */
};

/* What a reader gets: the typed reader and the inventory read so far (may be empty),
 * and the fault's name for messages ("kill fault"). */
typedef struct fd_fault_reader {
    fd_yt *t;
    const fd_inventory *inv;
    const char *what;
} fd_fault_reader;

typedef struct fd_fault_family {
    fd_fault_type type;
    /* the keys it takes beside fault, id, duration, ttl and timeout */
    const char *const *keys;
    /* reads them into f; returns whether the fault takes a `target` (partition with
     * groups or from/to, cut_datacenter: no) */
    bool (*read)(const fd_fault_reader *rd, const fd_ynode *m, fd_fault *f);
    /* the agent call that applies f on ctx->host (its script and key=value arguments) */
    void (*build)(const fd_fault *f, const fd_agent_ctx *ctx, fd_agent_call *call);
    unsigned needs; /* FD_NEEDS_* */
    bool cuts_network;
} fd_fault_family;

/* The family of a fault type (never NULL for a valid type). */
const fd_fault_family *fd_fault_family_of(fd_fault_type type);

extern const fd_fault_family fd_fault_kill, fd_fault_pause, fd_fault_stop_service;
extern const fd_fault_family fd_fault_partition, fd_fault_cut_datacenter, fd_fault_drop;
extern const fd_fault_family fd_fault_netem, fd_fault_fill_disk, fd_fault_command;

/* Reads a selector (target, to, a split group) at v; NULL v leaves it unset. Names
 * are checked against the inventory once the whole scenario is read. */
bool fd_scenario_read_selector(fd_yt *t, const fd_ynode *v, const char *key, fd_selector *sel);

/* Agent arguments, for the families' build functions: key=value (nothing when value
 * is NULL), a ratio as a percentage, microseconds as milliseconds (nothing when
 * negative), and peers=ADDR,ADDR from ctx. */
void fd_agent_arg(fd_agent_call *c, const char *key, const char *value);
void fd_agent_arg_ratio(fd_agent_call *c, const char *key, double r);
void fd_agent_arg_ms(fd_agent_call *c, const char *key, int64_t us);
void fd_agent_arg_peers(fd_agent_call *c, const fd_agent_ctx *ctx);

#endif
