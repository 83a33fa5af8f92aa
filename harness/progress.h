/* progress.h: the live status line while a run goes on (only when stdout is a
 * terminal, and neither --quiet nor --json). It reads only atomics of the run
 * (current_step, step_started_us, timeline_start_us) and the probes under their locks. */
#ifndef FD_PROGRESS_H
#define FD_PROGRESS_H

#include "runstate.h"

void fd_progress_start(fd_run *r);
void fd_progress_stop(fd_run *r);

#endif
