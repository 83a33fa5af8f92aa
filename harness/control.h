/* control.h: how other terminals on the controller machine talk to a running drill:
 * `firedrill ack` acknowledges its hold, `firedrill note` adds an observation. Each
 * running drill has a directory of its own under the control directory
 * ($FIREDRILL_CONTROL_DIR, else /run/firedrill-controller for root, else
 * $XDG_RUNTIME_DIR/firedrill-controller, else /tmp/firedrill-controller-UID), only its
 * user can enter; a message is a file created there exclusively, never through a link,
 * and taken (read and removed) by the drill. */
#ifndef FD_CONTROL_H
#define FD_CONTROL_H

#include "util.h"

#include <stdbool.h>

/* Who is at this terminal: `as` when given, else the user sudo was run by, else the
 * login user. Caller frees. */
char *fd_control_user(const char *as);
/* The run's directory, created (mode 700, the control directory too, checked to be the
 * user's own and no link). NULL with *err (caller frees) when it cannot be. */
char *fd_control_open(const char *run_id, char **err);
/* Removes the run's directory and what is left in it. */
void fd_control_close(char *dir);
/* Writes a message file NAME in dir (exclusive, no link followed, mode 600). */
bool fd_control_put(const char *dir, const char *name, const char *content, char **err);
/* Takes the first message whose name starts with prefix (names in order): its content
 * (caller frees), or NULL when there is none. */
char *fd_control_take(const char *dir, const char *prefix);
/* The run directories of the control directory (run ids), for `ack` and `note` without
 * a run named: those whose file `must` exists (NULL: all). */
void fd_control_runs(const char *must, fd_strv *runs);
/* The run id's directory (not created), or NULL with *err when the id is not a plain
 * name or no such run is in the control directory. */
char *fd_control_find(const char *run_id, char **err);

#endif
