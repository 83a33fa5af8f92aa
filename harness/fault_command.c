/* fault_command.c: a fault of the user's own, applied by agents/cmd.sh: an apply
 * command, and the revert command recorded before it runs. */
#include "faults.h"

static bool read_command(const fd_fault_reader *rd, const fd_ynode *m, fd_fault *f)
{
    fd_yt_str(rd->t, m, "apply", true, rd->what, &f->apply);
    fd_yt_str(rd->t, m, "revert", true, rd->what, &f->revert);
    return true;
}

static void build_command(const fd_fault *f, const fd_agent_ctx *ctx, fd_agent_call *call)
{
    call->script = "cmd";
    fd_agent_arg(call, "apply", f->apply);
    fd_agent_arg(call, "revert", f->revert);
}

static const char *const command_keys[] = {"target", "apply", "revert", NULL};

const fd_fault_family fd_fault_command = {
    FD_FAULT_COMMAND, command_keys, read_command, build_command, 0, false};
