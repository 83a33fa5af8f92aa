/* steps.h: the step kinds a timeline is made of, as a table.
 *
 * Adding a step kind: its reader in scenario_step.c (a line in step_readers),
 * its executor (here, or a module of its own such as dr.c), one line in the table in
 * steps.c, and its plan line in plan.c. The engine's loop (run.c) needs no change. */
#ifndef FD_STEPS_H
#define FD_STEPS_H

#include "runstate.h"

/* Runs step `index`. Returns FD_OUTCOME_NONE when it did its work, else how its
 * failure counts; *detail (caller frees, may stay NULL) says what was done or why not. */
typedef fd_run_result (*fd_step_exec)(fd_run *r, size_t index, const fd_step *st, char **detail);

typedef struct fd_step_kind_ops {
    fd_step_kind kind;
    fd_step_exec exec;
    bool logged; /* the engine logs its detail and says its failure */
} fd_step_kind_ops;

const fd_step_kind_ops *fd_step_kind_for(fd_step_kind kind);

/* Runs step i of the timeline: records it in r->steps, writes its history events,
 * logs it, and records a failure as the run's outcome. Returns false when the
 * timeline must not go on (the step failed, or the run is stopping: then the step is
 * recorded as skipped). */
bool fd_step_run(fd_run *r, size_t i);

#endif
