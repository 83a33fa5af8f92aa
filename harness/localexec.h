/* localexec.h: running a command on the controller (`run` steps without a target),
 * with a timeout and capped output. */
#ifndef FD_LOCALEXEC_H
#define FD_LOCALEXEC_H

#include "ssh.h"

#include <signal.h>

/* Runs `sh -c cmd` with extra environment entries (NAME=value, may be NULL) and
 * stdin from /dev/null. On timeout, or when *cancel becomes non-zero, the command's
 * process group is killed. Fills r like fd_conn_exec (free with fd_exec_result_free). */
fd_err fd_local_exec(const char *cmd, char *const *env, int64_t timeout_us,
                     volatile sig_atomic_t *cancel, fd_exec_result *r);

#endif
