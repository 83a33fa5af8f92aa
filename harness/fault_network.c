/* fault_network.c: the network faults, applied by agents/net.sh with a firewall table
 * of firedrill's own: partition (isolate, split into groups, or one way), cut a whole
 * datacenter, and drop a share of the packets. */
#include "faults.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

/* mode split: the groups select the hosts, no target */
static void read_groups(const fd_fault_reader *rd, const fd_ynode *m, fd_fault *f)
{
    fd_yt *t = rd->t;
    const fd_ynode *groups = fd_ymap_get(m, "groups");
    if (f->mode != FD_PART_SPLIT) {
        if (groups)
            fd_yt_err(t, fd_ymap_key(m, "groups"), "'groups' is only used with mode split");
        return;
    }
    if (fd_ymap_get(m, "target"))
        fd_yt_err(t, fd_ymap_key(m, "target"),
                  "'target' is not used with mode split: 'groups' selects the hosts");
    if (!groups) {
        fd_yt_missing(t, m, "partition fault with mode split", "groups");
    } else if (groups->kind != FD_Y_SEQ || groups->n < 2) {
        fd_yt_err(t, groups, "'groups' must be a list of at least two selectors");
    } else {
        f->groups = fd_xcalloc(groups->n, sizeof *f->groups);
        f->ngroups = groups->n;
        for (size_t i = 0; i < groups->n; i++)
            fd_scenario_read_selector(t, groups->items[i], "groups", &f->groups[i]);
    }
}

/* mode oneway: from and to select the hosts, no target */
static void read_oneway(const fd_fault_reader *rd, const fd_ynode *m, fd_fault *f)
{
    fd_yt *t = rd->t;
    if (f->mode != FD_PART_ONEWAY) {
        if (fd_ymap_get(m, "from"))
            fd_yt_err(t, fd_ymap_key(m, "from"), "'from' is only used with mode oneway");
        if (fd_ymap_get(m, "to"))
            fd_yt_err(t, fd_ymap_key(m, "to"), "'to' is only used with mode oneway");
        return;
    }
    if (fd_ymap_get(m, "target"))
        fd_yt_err(t, fd_ymap_key(m, "target"),
                  "'target' is not used with mode oneway: 'from' and 'to' select the hosts");
    if (!fd_ymap_get(m, "from"))
        fd_yt_missing(t, m, "partition fault with mode oneway", "from");
    if (!fd_ymap_get(m, "to"))
        fd_yt_missing(t, m, "partition fault with mode oneway", "to");
    fd_scenario_read_selector(t, fd_ymap_get(m, "from"), "from", &f->from);
    fd_scenario_read_selector(t, fd_ymap_get(m, "to"), "to", &f->to);
}

static bool read_partition(const fd_fault_reader *rd, const fd_ynode *m, fd_fault *f)
{
    fd_yt *t = rd->t;
    static const char *const modes[] = {"isolate", "split", "oneway", NULL};
    const fd_ynode *mn = fd_ymap_get(m, "mode");
    int mode = mn ? fd_yt_enum(t, mn, "mode", modes) : 0;
    f->mode = mode < 0 ? FD_PART_ISOLATE : (fd_partition_mode)mode;
    static const char *const clients[] = {"reach", "cut", NULL};
    const fd_ynode *cn = fd_ymap_get(m, "clients");
    if (cn)
        f->clients_cut = fd_yt_enum(t, cn, "clients", clients) == 1;
    read_groups(rd, m, f);
    read_oneway(rd, m, f);
    return f->mode == FD_PART_ISOLATE;
}

static bool read_cut_datacenter(const fd_fault_reader *rd, const fd_ynode *m, fd_fault *f)
{
    if (fd_yt_str(rd->t, m, "datacenter", true, rd->what, &f->datacenter) && f->datacenter &&
        rd->inv->n && !fd_inventory_has_datacenter(rd->inv, f->datacenter)) {
        char *q = fd_printable(f->datacenter, 60);
        fd_yt_err(rd->t, fd_ymap_get(m, "datacenter"),
                  "no host in the inventory is in datacenter '%s'", q);
        free(q);
    }
    return false;
}

static bool read_drop(const fd_fault_reader *rd, const fd_ynode *m, fd_fault *f)
{
    if (fd_yt_ratio(rd->t, m, "loss", true, rd->what, &f->loss) && f->loss == 0)
        fd_yt_err(rd->t, fd_ymap_get(m, "loss"), "'loss' must be more than 0%%");
    fd_scenario_read_selector(rd->t, fd_ymap_get(m, "to"), "to", &f->to);
    return true;
}

/* The address this machine's traffic to `host` comes from (the kernel's choice of
 * source for that route; a UDP connect sends nothing). False when it cannot tell. */
static bool route_source(const char *host, char out[INET6_ADDRSTRLEN])
{
    struct addrinfo hints = {.ai_socktype = SOCK_DGRAM}, *ai = NULL;
    if (getaddrinfo(host, "9", &hints, &ai) != 0 || !ai)
        return false;
    bool ok = false;
    int fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
        getsockname(fd, (struct sockaddr *)&ss, &len) == 0) {
        const void *a = ss.ss_family == AF_INET6
                            ? (const void *)&((struct sockaddr_in6 *)&ss)->sin6_addr
                            : (const void *)&((struct sockaddr_in *)&ss)->sin_addr;
        ok = inet_ntop(ss.ss_family, a, out, INET6_ADDRSTRLEN) != NULL;
    }
    if (fd >= 0)
        close(fd);
    freeaddrinfo(ai);
    return ok;
}

static void build_cut(const fd_fault *f, const fd_agent_ctx *ctx, fd_agent_call *call)
{
    call->script = "net";
    fd_agent_arg(call, "kind", "partition");
    fd_agent_arg_peers(call, ctx);
    fd_agent_arg(call, "direction", ctx->oneway_out ? "out" : ctx->oneway_in ? "in" : "both");
    fd_agent_arg(call, "clients", ctx->clients_cut ? "cut" : "reach");
    /* Through a jump host, the host sees the jump host as its SSH client: the probe
     * clients (this machine, reaching services directly) are named instead. */
    char src[INET6_ADDRSTRLEN];
    if (ctx->clients_cut && ctx->host && ctx->host->jump_host &&
        route_source(ctx->host->address, src))
        fd_agent_arg(call, "client", src);
}

static void build_drop(const fd_fault *f, const fd_agent_ctx *ctx, fd_agent_call *call)
{
    call->script = "net";
    fd_agent_arg(call, "kind", "drop");
    fd_agent_arg_ratio(call, "loss", f->loss);
    if (f->to.set)
        fd_agent_arg_peers(call, ctx);
}

static const char *const partition_keys[] = {"target", "mode",    "groups", "from",
                                             "to",     "clients", NULL};
static const char *const cut_datacenter_keys[] = {"datacenter", NULL};
static const char *const drop_keys[] = {"target", "loss", "to", NULL};

const fd_fault_family fd_fault_partition = {FD_FAULT_PARTITION, partition_keys,    read_partition,
                                            build_cut,          FD_NEEDS_FIREWALL, true};
const fd_fault_family fd_fault_cut_datacenter = {FD_FAULT_CUT_DATACENTER, cut_datacenter_keys,
                                                 read_cut_datacenter,     build_cut,
                                                 FD_NEEDS_FIREWALL,       true};
const fd_fault_family fd_fault_drop = {FD_FAULT_DROP, drop_keys,         read_drop,
                                       build_drop,    FD_NEEDS_FIREWALL, false};
