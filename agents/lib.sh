# agents/lib.sh: shared by every firedrill agent. firedrill sends, on stdin to `sh -s`
# over the host's SSH session, a first line that sets the arguments
#     FD_CONTROLLER='user@host'; set -- ACTION RUN_ID FAULT_ID TTL_SECONDS key=value...
# then this file, then one fault family's script. The arguments travel on stdin, not
# on the command line, so that no value (a secret among them) shows in `ps`. ACTION
# is apply or heal. An applied fault is recorded in /run/firedrill/RUN_ID/ as
# FAULT_ID.revert (a standalone script that undoes it), FAULT_ID.info and
# FAULT_ID.watchdog, BEFORE it takes effect, and a detached watchdog runs the revert
# script after TTL_SECONDS unless it has been run first. Reverting is idempotent.
# Every apply and revert is written to the host's own log (logger -t firedrill).
# Output lines the controller reads:
#     verified: TEXT      the fault was observed to take effect
#     unverified: TEXT    the agent could not observe it (the controller says so)
#     note: TEXT          anything else worth reporting
# Data is printed with printf '%s', never with echo (dash's echo reads backslashes).
# Exit status: see FD_EXIT_* below; the controller names them in agent.h.

set -u
FD_EXIT_APPLIED=0    # applied and observed
FD_EXIT_USAGE=2      # bad arguments: nothing was touched
FD_EXIT_NOT_APPLIED=3 # could not apply, and whatever was started was undone
FD_EXIT_UNVERIFIED=4 # applied but not observed to take effect (recorded: heal it)
FD_EXIT_UNDO_FAILED=5 # could not apply, and the undo failed too (recorded: heal it)

# User commands run with the umask the session had; the records are private.
FD_UMASK=$(umask)
case "$FD_UMASK" in '' | *[!0-7]*) FD_UMASK=022 ;; esac
umask 077
FD_ROOT=/run/firedrill
FD_START=$(date +%s)

fd_die() { # fd_die CODE MESSAGE
    printf 'error: %s\n' "$2" >&2
    exit "$1"
}

# Single-quotes a value for a shell script written to disk.
fd_q() {
    printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"
}

fd_safe_name() { # run and fault ids: no path tricks
    case "$1" in
    '' | *[!A-Za-z0-9_.-]* | .*) return 1 ;;
    esac
    return 0
}

# fd_log TEXT: one line in the host's log (syslog or the journal), when it has one.
fd_log() {
    command -v logger >/dev/null 2>&1 || return 0
    logger -t firedrill -- "$(printf '%s' "$1" | tr -c '[:print:]' ' ' | cut -c1-900)" \
        </dev/null >/dev/null 2>&1 || :
}

[ $# -ge 2 ] || fd_die 2 "usage: ACTION RUN_ID [FAULT_ID TTL_SECONDS key=value...]"
FD_ACTION=$1
FD_RUN=$2
fd_safe_name "$FD_RUN" || fd_die 2 "invalid run id"
FD_DIR=$FD_ROOT/$FD_RUN
FD_CONTROLLER=${FD_CONTROLLER:-unknown}
# User commands (restart, stop, start, apply, revert) see the same variables as
# every other command firedrill runs on a host.
export FD_RUN_ID="$FD_RUN" FD_HOST_NAME="${FD_HOST_NAME:-}" FD_HOST_ADDRESS="${FD_HOST_ADDRESS:-}" \
    FD_HOST_DATACENTER="${FD_HOST_DATACENTER:-}"
shift 2
if [ "$FD_ACTION" = apply ]; then
    [ $# -ge 2 ] || fd_die 2 "apply needs FAULT_ID and TTL_SECONDS"
    FD_FAULT=$1
    FD_TTL=$2
    shift 2
    fd_safe_name "$FD_FAULT" || fd_die 2 "invalid fault id"
    case "$FD_TTL" in '' | *[!0-9]*) fd_die 2 "invalid ttl" ;; esac
    # key=value arguments become A_key; values are never evaluated by the shell.
    for kv in "$@"; do
        k=${kv%%=*}
        v=${kv#*=}
        case "$k" in '' | *[!a-z_]*) fd_die 2 "invalid argument name" ;; esac
        eval "A_$k=\$v"
    done
fi

fd_arg() { # fd_arg NAME: the argument's value, or empty
    eval "printf '%s' \"\${A_$1-}\""
}

# The apply's deadline, in seconds from the agent's start: a user command still
# running then is killed with its whole process group, and the fault is undone.
FD_DEADLINE=$(fd_arg deadline)
case "$FD_DEADLINE" in '' | *[!0-9]*) FD_DEADLINE=60 ;; esac

# The controller as the host sees it: its address and this SSH server's port.
FD_CTRL_IP=
FD_CTRL_PORT=22
if [ -n "${FD_SSH_CONNECTION:-}" ]; then
    set -- $FD_SSH_CONNECTION
    FD_CTRL_IP=${1:-}
    FD_CTRL_PORT=${4:-22}
fi

fd_alive() { # true when any of the pids still exists (and is not a zombie)
    for p in "$@"; do
        s=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$p/status" 2>/dev/null)
        [ -n "$s" ] && [ "$s" != Z ] && return 0
    done
    return 1
}

# Processes and their groups (fd_stat is also what proc.sh reads processes with), for
# ending an apply: these functions are also copied into every revert script, which
# must stand alone.
fd_group_functions() {
    cat <<'FUNCS'
# fd_stat PID: sets st_state, st_pgrp and st_sid from /proc/PID/stat (the name field,
# which may hold spaces and parentheses, is skipped). Fails when the pid is gone.
fd_stat() {
    IFS= read -r st 2>/dev/null <"/proc/$1/stat" || return 1
    set -- ${st##*) }
    st_state=${1:-} st_pgrp=${3:-} st_sid=${4:-}
    [ -n "$st_sid" ]
}
# fd_group_alive: true while a process of group $fd_pg still runs (zombies aside)
fd_group_alive() {
    for s in /proc/[0-9]*/stat; do
        s=${s#/proc/}
        fd_stat "${s%/stat}" || continue
        [ "$st_pgrp" = "$fd_pg" ] && [ "$st_state" != Z ] && return 0
    done
    return 1
}
# fd_group_kill PG: KILLs the group until none of it runs (5 s at most)
fd_group_kill() {
    fd_pg=$1
    i=0
    while fd_group_alive; do
        kill -KILL "-$fd_pg" 2>/dev/null || kill -KILL "$fd_pg" 2>/dev/null
        i=$((i + 1))
        [ $i -lt 50 ] || return 1
        sleep 0.1
    done
    return 0
}
FUNCS
}
eval "$(fd_group_functions)"

# Writes the revert script for the current fault: the family's revert commands (from
# stdin), then removal of the record. The script exits non-zero, keeping the record,
# when its commands fail, so that a later heal can retry. Before anything else it
# ends an apply still running (FAULT.applying names its process group), so that
# nothing takes effect after the fault was reported healed.
fd_record() {
    mkdir -p "$FD_DIR" || fd_die 3 "cannot create $FD_DIR"
    f=$FD_DIR/$FD_FAULT
    rm -f -- "$f.revert.tmp"
    {
        printf '%s\n' "#!/bin/sh" \
            "# firedrill: revert fault $FD_FAULT of run $FD_RUN" \
            "umask $FD_UMASK" \
            "export FD_HOST_NAME=$(fd_q "$FD_HOST_NAME") FD_HOST_ADDRESS=$(fd_q "$FD_HOST_ADDRESS") FD_HOST_DATACENTER=$(fd_q "$FD_HOST_DATACENTER") FD_RUN_ID=$(fd_q "$FD_RUN")" \
            "f=$(fd_q "$f")"
        cat <<'HEAD'
# an apply still running: kill its process group and wait until it has ended
HEAD
        fd_group_functions
        cat <<'HEAD'
if [ -f "$f.applying" ]; then
    pg=$(head -c 32 "$f.applying" 2>/dev/null | tr -d ' \n')
    case "$pg" in '' | *[!0-9]*) pg= ;; esac
    if [ -n "$pg" ] && [ "$pg" -gt 1 ]; then
        fd_group_kill "$pg" || { printf '%s\n' "the apply (process group $pg) is still running" >&2; exit 1; }
    fi
    rm -f "$f.applying"
fi
fd_revert() {
HEAD
        cat
        cat <<'TAIL'
:
}
fd_revert || exit $?
if [ -z "${FD_FROM_WATCHDOG:-}" ] && [ -f "$f.watchdog" ]; then
    wd=$(head -c 32 "$f.watchdog" 2>/dev/null | tr -d ' \n')
    # only the watchdog this fault started (its command line names the record): a pid
    # that was reused since is left alone
    case "$wd" in '' | *[!0-9]*) ;; *)
        if tr '\0' '\n' <"/proc/$wd/cmdline" 2>/dev/null | grep -qxF fd-watchdog &&
            tr '\0' '\n' <"/proc/$wd/cmdline" 2>/dev/null | grep -qxF -- "$f"; then
            kill -TERM "-$wd" 2>/dev/null || kill -TERM "$wd" 2>/dev/null
        fi ;;
    esac
fi
rm -f "$f.revert" "$f.info" "$f.watchdog" "$f.out"
TAIL
        printf '%s\n' "rmdir $(fd_q "$FD_DIR") 2>/dev/null" \
            "command -v logger >/dev/null 2>&1 && logger -t firedrill -- $(fd_q "reverted fault $FD_FAULT of run $FD_RUN (applied from $FD_CONTROLLER)") </dev/null >/dev/null 2>&1" \
            "exit 0"
    } >"$f.revert.tmp" && mv -f -- "$f.revert.tmp" "$f.revert" || fd_die 3 "cannot write $f.revert"
    printf '%s\n' "fault=$FD_FAULT" "run=$FD_RUN" "applied_at=$(date +%s)" "ttl=$FD_TTL" \
        "controller=$FD_CONTROLLER" >"$f.info"
    fd_log "applying fault $FD_FAULT of run $FD_RUN from $FD_CONTROLLER (reverts itself in ${FD_TTL}s; by hand: sh $f.revert)"
}

# Starts the dead-man switch: after TTL seconds the revert script runs, whether or not
# the controller is still alive. It is its own session, detached from SSH.
fd_watchdog() {
    f=$FD_DIR/$FD_FAULT
    # The watchdog records its own pid: after setsid it leads its own process group,
    # so a heal ends it and its sleep together (kill -TERM -PGID).
    wd='printf "%s\n" "$$" >"$2.watchdog"; sleep "$1"; FD_FROM_WATCHDOG=1 sh "$2.revert"'
    : >"$f.watchdog"
    if command -v setsid >/dev/null 2>&1; then
        setsid sh -c "$wd" fd-watchdog "$FD_TTL" "$f" </dev/null >/dev/null 2>&1 &
    else
        nohup sh -c "$wd" fd-watchdog "$FD_TTL" "$f" </dev/null >/dev/null 2>&1 &
    fi
    i=0
    while [ ! -s "$f.watchdog" ] && [ $i -lt 50 ]; do sleep 0.02; i=$((i + 1)); done
    [ -s "$f.watchdog" ] || fd_undo_and_exit 3 "the watchdog did not start"
}

# fd_bounded CMD...: runs a command of the user's (or a slow tool) in a process group
# of its own, with the session's umask, its output in FAULT.out, until the apply's
# deadline. FAULT.applying names the group while it runs, so a revert can end it.
# Returns the command's status, or 124 when the deadline killed it (the whole group
# is gone when it returns 124).
FD_CMD_TEXT=
fd_bounded() {
    f=$FD_DIR/$FD_FAULT
    if command -v setsid >/dev/null 2>&1; then
        (umask "$FD_UMASK" && FD_USER_CMD=$FD_CMD_TEXT && export FD_USER_CMD &&
            exec setsid "$@") </dev/null >"$f.out" 2>&1 &
    else
        (umask "$FD_UMASK" && FD_USER_CMD=$FD_CMD_TEXT && export FD_USER_CMD &&
            exec "$@") </dev/null >"$f.out" 2>&1 &
    fi
    pg=$!
    printf '%s\n' "$pg" >"$f.applying"
    end=$((FD_START + FD_DEADLINE + 1)) # whole seconds: at least FD_DEADLINE
    while fd_alive "$pg"; do
        if [ "$(date +%s)" -ge "$end" ]; then
            kill -KILL "-$pg" 2>/dev/null || kill -KILL "$pg" 2>/dev/null
            wait "$pg" 2>/dev/null
            fd_group_kill "$pg" && rm -f "$f.applying"
            return 124
        fi
        sleep 0.1
    done
    wait "$pg"
    rc=$?
    rm -f "$f.applying"
    return $rc
}

# A command of the user's runs as `sh -c` would run it, but its text travels in the
# environment (FD_USER_CMD, readable by root alone), never on a command line, which
# `ps` shows to every user of the host: a command may hold a secret.
FD_SH_EVAL='c=$FD_USER_CMD; unset FD_USER_CMD; eval "$c"'

# fd_bounded_sh CMD: fd_bounded for a command of the user's.
fd_bounded_sh() {
    FD_CMD_TEXT=$1
    fd_bounded sh -c "$FD_SH_EVAL" fd-user-command
    rc=$?
    FD_CMD_TEXT=
    return $rc
}

# fd_q_sh CMD: the line of a revert script that runs a command of the user's.
fd_q_sh() {
    printf 'FD_USER_CMD=%s sh -c %s fd-user-command' "$(fd_q "$1")" "$(fd_q "$FD_SH_EVAL")"
}

# The last lines a bounded command printed, as note: lines.
fd_bounded_notes() {
    tail -n 5 -- "$FD_DIR/$FD_FAULT.out" 2>/dev/null | tr -d '\r' | sed 's/^/note: /'
}

# Runs the revert script now (after a failed apply) and exits with CODE, or with
# FD_EXIT_UNDO_FAILED (the record kept, for a heal to retry) when the undo failed.
fd_undo_and_exit() { # fd_undo_and_exit CODE MESSAGE
    if [ -f "$FD_DIR/$FD_FAULT.revert" ] && ! undo=$(sh "$FD_DIR/$FD_FAULT.revert" 2>&1); then
        fd_log "fault $FD_FAULT of run $FD_RUN: $2; the undo failed, the record stays"
        fd_die "$FD_EXIT_UNDO_FAILED" "$2; undoing it failed too ($(printf '%s' "$undo" | tr '\n' ' ' | cut -c1-300)); still recorded, heal it: sh $FD_DIR/$FD_FAULT.revert"
    fi
    fd_die "$1" "$2"
}

# Reverts every fault recorded for the run (or, with run "*", for all runs).
fd_heal_all() {
    healed=0
    failed=0
    for f in $FD_ROOT/$1/*.revert; do
        [ -f "$f" ] || continue
        name=${f#"$FD_ROOT"/}
        name=${name%.revert}
        if out=$(sh "$f" 2>&1); then
            printf 'healed: %s\n' "$name"
            healed=$((healed + 1))
        else
            printf 'failed: %s: %s\n' "$name" "$(printf '%s' "$out" | tr '\n' ' ' | cut -c1-300)"
            failed=$((failed + 1))
        fi
    done
    printf 'summary: healed=%s failed=%s\n' "$healed" "$failed"
    [ "$failed" = 0 ]
}

if [ "$FD_ACTION" = heal ]; then
    if [ "$FD_RUN" = all ]; then fd_heal_all '*'; else fd_heal_all "$FD_RUN"; fi
    exit $?
fi
[ "$FD_ACTION" = apply ] || fd_die 2 "unknown action '$FD_ACTION'"
