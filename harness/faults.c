/* faults.c: the table of fault families, one line each, in fd_fault_type order. */
#include "faults.h"

static const fd_fault_family *const families[FD_FAULT_COUNT] = {
    [FD_FAULT_KILL] = &fd_fault_kill,
    [FD_FAULT_PAUSE] = &fd_fault_pause,
    [FD_FAULT_STOP_SERVICE] = &fd_fault_stop_service,
    [FD_FAULT_PARTITION] = &fd_fault_partition,
    [FD_FAULT_CUT_DATACENTER] = &fd_fault_cut_datacenter,
    [FD_FAULT_DROP] = &fd_fault_drop,
    [FD_FAULT_NETEM] = &fd_fault_netem,
    [FD_FAULT_FILL_DISK] = &fd_fault_fill_disk,
    [FD_FAULT_COMMAND] = &fd_fault_command,
};

const fd_fault_family *fd_fault_family_of(fd_fault_type type)
{
    return (unsigned)type < FD_FAULT_COUNT ? families[type] : NULL;
}

bool fd_fault_cuts_network(fd_fault_type type)
{
    const fd_fault_family *fam = fd_fault_family_of(type);
    return fam && fam->cuts_network;
}
