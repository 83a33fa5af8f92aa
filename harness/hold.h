/* hold.h: the hold step (a person acknowledges, or --auto-ack) and observers' notes. */
#ifndef FD_HOLD_H
#define FD_HOLD_H

#include "runstate.h"

typedef struct fd_hold_record {
    const fd_step *step;
    double started_s, ended_s;
    double waited_s; /* time_to_ack; NAN when nobody acknowledged */
    char *acked_by;  /* who (the terminal's user, firedrill ack --as, auto) */
    const char *how; /* "terminal", "firedrill ack", "auto", "auto-ack", "timed out" */
    bool timed_out;
} fd_hold_record;

fd_run_result fd_hold_step(fd_run *r, size_t index, const fd_step *st, char **detail);
/* Takes the notes `firedrill note` left for this run (the healer thread, 10 times a
 * second). */
void fd_notes_poll(fd_run *r);

#endif
