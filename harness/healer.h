/* healer.h: reverting what a run injected.
 *
 * A fault is healed once, by whichever thread marks it FD_FS_HEALING first; the
 * others wait for the outcome. Heals run on each host's heal connection (ssh.h), so
 * they never wait behind another command. A fault that cannot be healed is an error
 * naming the host, the fault and the command that reverts it by hand. */
#ifndef FD_HEALER_H
#define FD_HEALER_H

#include "runstate.h"

/* Heals one fault on all its hosts. Returns false when a heal failed. */
bool fd_heal_fault(fd_run *r, fd_active_fault *f, const char *why);
/* Heals every fault still in place, newest first. */
void fd_heal_all(fd_run *r, const char *why);
/* Starts the healer thread: faults whose duration is over, and safety.abort_if. */
bool fd_healer_start(fd_run *r);
/* Every way out of a run ends here: heals everything still in place, stops the healer
 * thread, waits for the cut observations, tries failed heals once more, and leaves
 * FD_OUTCOME_HEAL_FAILED set only when a fault may still be in place. */
void fd_heal_finish(fd_run *r, const char *why);

#endif
