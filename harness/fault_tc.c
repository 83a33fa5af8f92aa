/* fault_tc.c: netem (delay, jitter, loss, duplication, corruption, reordering, rate),
 * applied by agents/tc.sh: the device's root qdisc, or through a prio qdisc only for
 * traffic to the `to` hosts. */
#include "faults.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static double opt_ratio(const fd_fault_reader *rd, const fd_ynode *m, const char *key)
{
    double r = -1;
    fd_yt_ratio(rd->t, m, key, false, rd->what, &r);
    return r;
}

/* rate and device: tc's words, checked before they reach a host */
static void read_words(const fd_fault_reader *rd, const fd_ynode *m, fd_fault *f)
{
    fd_yt *t = rd->t;
    fd_yt_str(t, m, "rate", false, rd->what, &f->rate);
    if (f->rate && !fd_parse_bandwidth(f->rate)) {
        char *q = fd_printable(f->rate, 60);
        fd_yt_err(t, fd_ymap_get(m, "rate"),
                  "'rate' must be a bandwidth like 100kbit, 1mbit or 10mbps, got '%s'", q);
        free(q);
    }
    fd_yt_str(t, m, "device", false, rd->what, &f->device);
    if (!f->device)
        return;
    bool ok = f->device[0] && strlen(f->device) < 16;
    for (const char *p = f->device; *p && ok; p++)
        ok = isalnum((unsigned char)*p) || strchr("-_.@", *p);
    if (!ok) {
        char *q = fd_printable(f->device, 60);
        fd_yt_err(t, fd_ymap_get(m, "device"),
                  "'device' must be a network interface name, got '%s'", q);
        free(q);
    }
}

static bool read_netem(const fd_fault_reader *rd, const fd_ynode *m, fd_fault *f)
{
    fd_yt *t = rd->t;
    fd_yt_duration(t, m, "delay", false, rd->what, &f->delay_us);
    fd_yt_duration(t, m, "jitter", false, rd->what, &f->jitter_us);
    f->loss = opt_ratio(rd, m, "loss");
    f->duplicate = opt_ratio(rd, m, "duplicate");
    f->corrupt = opt_ratio(rd, m, "corrupt");
    f->reorder = opt_ratio(rd, m, "reorder");
    read_words(rd, m, f);
    fd_scenario_read_selector(t, fd_ymap_get(m, "to"), "to", &f->to);
    if (f->delay_us < 0 && f->loss < 0 && f->duplicate < 0 && f->corrupt < 0 && f->reorder < 0 &&
        !f->rate)
        fd_yt_err(t, m,
                  "netem fault needs at least one of 'delay', 'loss', 'duplicate', "
                  "'corrupt', 'reorder' or 'rate'");
    if (f->jitter_us >= 0 && f->delay_us < 0)
        fd_yt_err(t, fd_ymap_key(m, "jitter"), "'jitter' needs a 'delay'");
    if (f->reorder >= 0 && f->delay_us < 0)
        fd_yt_err(t, fd_ymap_key(m, "reorder"),
                  "'reorder' needs a 'delay' (netem reorders "
                  "by sending some packets without it)");
    return true;
}

static void build_netem(const fd_fault *f, const fd_agent_ctx *ctx, fd_agent_call *call)
{
    call->script = "tc";
    fd_agent_arg_ms(call, "delay", f->delay_us);
    fd_agent_arg_ms(call, "jitter", f->jitter_us);
    fd_agent_arg_ratio(call, "loss", f->loss);
    fd_agent_arg_ratio(call, "duplicate", f->duplicate);
    fd_agent_arg_ratio(call, "corrupt", f->corrupt);
    fd_agent_arg_ratio(call, "reorder", f->reorder);
    fd_agent_arg(call, "rate", f->rate);
    fd_agent_arg(call, "device", f->device);
    if (f->to.set)
        fd_agent_arg_peers(call, ctx);
}

static const char *const netem_keys[] = {"target",    "delay",   "jitter",  "loss",
                                         "duplicate", "corrupt", "reorder", "rate",
                                         "device",    "to",      NULL};

const fd_fault_family fd_fault_netem = {FD_FAULT_NETEM, netem_keys,     read_netem,
                                        build_netem,    FD_NEEDS_NETEM, false};
