# agents/cmd.sh: a user-defined fault (after lib.sh). Arguments: apply=, revert=.
# The revert command is recorded before the apply command runs, so that even a
# half-done apply is reverted.
fd_record <<REVERT
    sh -c $(fd_q "$(fd_arg revert)") </dev/null || return 1
REVERT
fd_watchdog
if ! out=$(sh -c "$(fd_arg apply)" </dev/null 2>&1); then
    printf '%s\n' "$out" | tail -n 5 | sed 's/^/note: /'
    fd_undo_and_exit 3 "the apply command failed"
fi
echo "unverified: the apply command exited 0"
exit 0
