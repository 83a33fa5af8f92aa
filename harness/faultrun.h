/* faultrun.h: the fault step of a run.
 *
 * The fault is published in the run's faults before any agent runs, so every way out
 * of the run heals it; its agents run on all its hosts at once over their SSH
 * sessions. A network cut is then observed from the hosts on a thread of its own. */
#ifndef FD_FAULTRUN_H
#define FD_FAULTRUN_H

#include "runstate.h"

/* Applies fault step st. FD_OUTCOME_NONE when it took effect everywhere, else how the
 * step failed (an abort: no host selected, the blast radius; infrastructure: the
 * fault did not take effect), every error said. */
fd_run_result fd_fault_step(fd_run *r, size_t index, const fd_step *st, char **detail);

/* How simultaneously fault f took effect on its hosts (heal: was healed). */
void fd_fault_skew(const fd_active_fault *f, bool heal, fd_skew *out);

#endif
