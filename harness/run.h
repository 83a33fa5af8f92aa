/* run.h: one drill run, start to end.
 *
 * The engine: run.c opens the run and walks the timeline; steps.h runs each step from
 * a table of step kinds; faultrun.h applies faults; healer.h heals them (on schedule,
 * and on every way out); verdict.h turns the outcome into the verdict; progress.h
 * draws the status line; dr.h holds the disaster-recovery steps; report.c writes the
 * reports. They share runstate.h. Whatever ends the run (its last step, a failed step,
 * an abort, a signal), every fault still in place is healed before the run returns;
 * a heal that fails is reported with the host, the fault and the command that
 * reverts it by hand. */
#ifndef FD_RUN_H
#define FD_RUN_H

#include "runstate.h"

/* Runs the whole drill. Returns the exit code. The caller frees with fd_run_free. */
int fd_run_execute(fd_run *r, const fd_scenario *s, const fd_run_opts *opts);
void fd_run_free(fd_run *r);

/* Writes report.json into the run directory (report.c). */
int fd_report_write_json(const fd_run *r);
/* Writes the scenario's other formats and the reports folder's index, and sends the
 * webhook; none of them changes the verdict, a failure is said on stderr. */
void fd_report_write_others(fd_run *r);

#endif
