/* fault_process.c: the process faults, applied by agents/proc.sh: kill (a signal, and
 * an optional restart command at heal), pause (SIGSTOP, SIGCONT at heal) and
 * stop_service (a unit, or stop and start commands). */
#include "faults.h"

#include <stdlib.h>
#include <string.h>

static const char *const signal_names[] = {"HUP",  "INT",  "QUIT", "ILL",    "TRAP", "ABRT",
                                           "BUS",  "FPE",  "KILL", "USR1",   "SEGV", "USR2",
                                           "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT",
                                           "STOP", "TSTP", "TTIN", "TTOU",   NULL};

static bool read_signal(fd_yt *t, const fd_ynode *m, fd_fault *f)
{
    const fd_ynode *v = fd_ymap_get(m, "signal");
    if (!v) {
        f->signal = fd_strdup("KILL");
        return true;
    }
    if (v->kind == FD_Y_SCALAR) {
        const char *name = v->str;
        if (fd_str_starts(name, "SIG"))
            name += 3;
        int idx = fd_yt_name_index(signal_names, name);
        int64_t num = 0;
        bool numeric = fd_parse_uint(v->str, 64, &num) && num > 0;
        /* STOP, TSTP, TTIN, TTOU (19-22 on Linux) stop a process: nothing at heal
         * would undo that, and the pause fault is what does it with a heal */
        if ((idx >= 0 && idx >= fd_yt_name_index(signal_names, "STOP")) ||
            (numeric && num >= 19 && num <= 22)) {
            fd_yt_err(t, v,
                      "signal %s stops the process, and kill does not undo it at heal: use "
                      "'fault: pause', which resumes it",
                      v->str);
            return false;
        }
        if (idx >= 0) {
            f->signal = fd_strdup(name);
            return true;
        }
        if (numeric) {
            f->signal = fd_strdup(v->str);
            return true;
        }
    }
    char *q = fd_printable(v->kind == FD_Y_SCALAR ? v->str : "", 60);
    fd_yt_err(t, v, "'signal' must be a signal name like KILL, TERM or INT, or a number, got '%s'",
              q);
    free(q);
    return false;
}

/* Exactly one of process, pidfile, unit. */
static void read_process_target(const fd_fault_reader *rd, const fd_ynode *m, fd_fault *f)
{
    fd_yt *t = rd->t;
    fd_yt_str(t, m, "process", false, rd->what, &f->process);
    fd_yt_str(t, m, "pidfile", false, rd->what, &f->pidfile);
    fd_yt_str(t, m, "unit", false, rd->what, &f->unit);
    int given = !!f->process + !!f->pidfile + !!f->unit;
    if (given == 0)
        fd_yt_err(t, m, "%s needs one of 'process', 'pidfile' or 'unit'", rd->what);
    else if (given > 1)
        fd_yt_err(t, m, "%s takes only one of 'process', 'pidfile' or 'unit'", rd->what);
}

static bool read_kill(const fd_fault_reader *rd, const fd_ynode *m, fd_fault *f)
{
    read_process_target(rd, m, f);
    read_signal(rd->t, m, f);
    fd_yt_str(rd->t, m, "restart", false, rd->what, &f->restart);
    return true;
}

static bool read_pause(const fd_fault_reader *rd, const fd_ynode *m, fd_fault *f)
{
    read_process_target(rd, m, f);
    return true;
}

static bool read_stop(const fd_fault_reader *rd, const fd_ynode *m, fd_fault *f)
{
    fd_yt *t = rd->t;
    fd_yt_str(t, m, "unit", false, rd->what, &f->unit);
    fd_yt_str(t, m, "stop", false, rd->what, &f->stop);
    fd_yt_str(t, m, "start", false, rd->what, &f->start);
    if (f->unit && (f->stop || f->start))
        fd_yt_err(t, m, "%s takes 'unit', or 'stop' and 'start', not both", rd->what);
    else if (!f->unit && !(f->stop && f->start))
        fd_yt_err(t, m, "%s needs 'unit', or both 'stop' and 'start' commands", rd->what);
    return true;
}

static void build_signal(const fd_fault *f, const fd_agent_ctx *ctx, fd_agent_call *call)
{
    bool kill = f->type == FD_FAULT_KILL;
    call->script = "proc";
    fd_agent_arg(call, "kind", kill ? "kill" : "pause");
    fd_agent_arg(call, "process", f->process);
    fd_agent_arg(call, "pidfile", f->pidfile);
    fd_agent_arg(call, "unit", f->unit);
    if (kill)
        fd_agent_arg(call, "signal", f->signal);
    fd_agent_arg(call, "restart", f->restart);
}

static void build_stop(const fd_fault *f, const fd_agent_ctx *ctx, fd_agent_call *call)
{
    call->script = "proc";
    fd_agent_arg(call, "kind", "stop_service");
    fd_agent_arg(call, "unit", f->unit);
    fd_agent_arg(call, "stop", f->stop);
    fd_agent_arg(call, "start", f->start);
}

static const char *const kill_keys[] = {"target", "process", "pidfile", "unit",
                                        "signal", "restart", NULL};
static const char *const pause_keys[] = {"target", "process", "pidfile", "unit", NULL};
static const char *const stop_keys[] = {"target", "unit", "stop", "start", NULL};

const fd_fault_family fd_fault_kill = {FD_FAULT_KILL, kill_keys,     read_kill,
                                       build_signal,  FD_NEEDS_PROC, false};
const fd_fault_family fd_fault_pause = {FD_FAULT_PAUSE, pause_keys,    read_pause,
                                        build_signal,   FD_NEEDS_PROC, false};
const fd_fault_family fd_fault_stop_service = {
    FD_FAULT_STOP_SERVICE, stop_keys, read_stop, build_stop, 0, false};
