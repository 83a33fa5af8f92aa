# agents/cmd.sh: a user-defined fault (after lib.sh). Arguments: apply=, revert=.
# The revert command is recorded before the apply command runs, so that even a
# half-done apply is reverted. The apply runs in a process group of its own until the
# apply's deadline: past it, the group is killed and the fault undone.
fd_record <<REVERT
    $(fd_q_sh "$(fd_arg revert)") </dev/null || return 1
REVERT
fd_watchdog
fd_bounded_sh "$(fd_arg apply)"
rc=$?
if [ $rc = 124 ]; then
    fd_bounded_notes
    fd_undo_and_exit 3 "the apply command did not finish within ${FD_DEADLINE}s; it was killed with its process group"
elif [ $rc != 0 ]; then
    fd_bounded_notes
    fd_undo_and_exit 3 "the apply command failed (exit $rc)"
fi
fd_effect
printf '%s\n' "unverified: the apply command exited 0"
exit 0
