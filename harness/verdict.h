/* verdict.h: what a run's outcome means: the checks' results, and the verdict and
 * exit code (the contract's exit status table). */
#ifndef FD_VERDICT_H
#define FD_VERDICT_H

#include "runstate.h"

/* Evaluates the scenario's checks over the probes' figures and the verify steps'
 * records into r->check_results; a failed check is a finding. Nothing is evaluated
 * when a heal failed (the figures would not be trustworthy). */
void fd_verdict_checks(fd_run *r);
/* The verdict and exit code for a set of FD_OUTCOME_* bits. Pure. */
void fd_verdict_decide(unsigned outcomes, int *exit_code, const char **verdict);

#endif
