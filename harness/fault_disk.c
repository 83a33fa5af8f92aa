/* fault_disk.c: fill_disk, applied by agents/disk.sh: a file of the given size (or up
 * to a share of the file system) in a directory of firedrill's own. */
#include "faults.h"

#include <stdlib.h>

static bool read_fill(const fd_fault_reader *rd, const fd_ynode *m, fd_fault *f)
{
    fd_yt *t = rd->t;
    if (fd_yt_str(t, m, "path", true, rd->what, &f->path) && f->path && f->path[0] != '/')
        fd_yt_err(t, fd_ymap_get(m, "path"), "'path' must be an absolute directory path");
    const fd_ynode *sz = fd_ymap_get(m, "size");
    if (!sz) {
        fd_yt_missing(t, m, rd->what, "size");
    } else if (sz->kind != FD_Y_SCALAR ||
               !fd_parse_size(sz->str, &f->size_bytes, &f->size_percent)) {
        char *q = fd_printable(sz->kind == FD_Y_SCALAR ? sz->str : "", 60);
        fd_yt_err(t, sz,
                  "'size' must be a size like 512M or 10G, or a share like 95%%, got "
                  "'%s'",
                  q);
        free(q);
    }
    return true;
}

static void build_fill(const fd_fault *f, const fd_agent_ctx *ctx, fd_agent_call *call)
{
    call->script = "disk";
    fd_agent_arg(call, "path", f->path);
    if (f->size_percent > 0)
        fd_strv_push_owned(&call->args, fd_asprintf("percent=%g", f->size_percent));
    else
        fd_strv_push_owned(&call->args,
                           fd_asprintf("bytes=%llu", (unsigned long long)f->size_bytes));
}

static const char *const fill_keys[] = {"target", "path", "size", NULL};

const fd_fault_family fd_fault_fill_disk = {FD_FAULT_FILL_DISK, fill_keys, read_fill,
                                            build_fill,         0,         false};
