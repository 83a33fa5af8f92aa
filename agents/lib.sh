# agents/lib.sh: shared by every firedrill agent. firedrill sends this file followed
# by one fault family's script on stdin to
#     sh -s -- ACTION RUN_ID FAULT_ID TTL_SECONDS key=value...
# over the host's SSH session. ACTION is apply or heal. An applied fault is recorded
# in /run/firedrill/RUN_ID/ as FAULT_ID.revert (a standalone script that undoes it),
# FAULT_ID.info and FAULT_ID.watchdog, BEFORE it takes effect, and a detached
# watchdog runs the revert script after TTL_SECONDS unless it has been run first.
# Reverting is idempotent. Output lines the controller reads:
#     verified: TEXT      the fault was observed to take effect
#     unverified: TEXT    the agent could not observe it (the controller says so)
#     note: TEXT          anything else worth reporting
# Exit status: 0 applied, 2 bad arguments, 3 could not apply (nothing left in place),
# 4 applied but not observed to take effect (still recorded: the controller heals it).

set -u
umask 077
FD_ROOT=/run/firedrill

fd_die() { # fd_die CODE MESSAGE
    echo "error: $2" >&2
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

[ $# -ge 2 ] || fd_die 2 "usage: ACTION RUN_ID [FAULT_ID TTL_SECONDS key=value...]"
FD_ACTION=$1
FD_RUN=$2
fd_safe_name "$FD_RUN" || fd_die 2 "invalid run id"
FD_DIR=$FD_ROOT/$FD_RUN
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

# The controller as the host sees it: its address and this SSH server's port.
FD_CTRL_IP=
FD_CTRL_PORT=22
if [ -n "${FD_SSH_CONNECTION:-}" ]; then
    set -- $FD_SSH_CONNECTION
    FD_CTRL_IP=${1:-}
    FD_CTRL_PORT=${4:-22}
fi

# Writes the revert script for the current fault: the family's revert commands (from
# stdin), then removal of the record. The script exits non-zero, keeping the record,
# when its commands fail, so that a later heal can retry.
fd_record() {
    mkdir -p "$FD_DIR" || fd_die 3 "cannot create $FD_DIR"
    f=$FD_DIR/$FD_FAULT
    {
        echo "#!/bin/sh"
        echo "# firedrill: revert fault $FD_FAULT of run $FD_RUN on $(hostname 2>/dev/null)"
        echo "export FD_HOST_NAME=$(fd_q "$FD_HOST_NAME") FD_HOST_ADDRESS=$(fd_q "$FD_HOST_ADDRESS") FD_HOST_DATACENTER=$(fd_q "$FD_HOST_DATACENTER") FD_RUN_ID=$(fd_q "$FD_RUN")"
        echo "fd_revert() {"
        cat
        echo ":"
        echo "}"
        echo "fd_revert || exit \$?"
        echo "f=$(fd_q "$f")"
        echo "if [ -z \"\${FD_FROM_WATCHDOG:-}\" ] && [ -f \"\$f.watchdog\" ]; then"
        echo "    wd=\$(cat \"\$f.watchdog\")"
        echo "    case \"\$wd\" in '' | *[!0-9]*) ;; *) kill -TERM \"-\$wd\" 2>/dev/null || kill -TERM \"\$wd\" 2>/dev/null ;; esac"
        echo "fi"
        echo "rm -f \"\$f.revert\" \"\$f.info\" \"\$f.watchdog\""
        echo "rmdir $(fd_q "$FD_DIR") 2>/dev/null"
        echo "exit 0"
    } >"$f.revert.tmp" && mv "$f.revert.tmp" "$f.revert" || fd_die 3 "cannot write $f.revert"
    {
        echo "fault=$FD_FAULT"
        echo "run=$FD_RUN"
        echo "applied_at=$(date +%s)"
        echo "ttl=$FD_TTL"
    } >"$f.info"
}

# Starts the dead-man switch: after TTL seconds the revert script runs, whether or not
# the controller is still alive. It is its own session, detached from SSH.
fd_watchdog() {
    f=$FD_DIR/$FD_FAULT
    # The watchdog records its own pid: after setsid it leads its own process group,
    # so a heal ends it and its sleep together (kill -TERM -PGID).
    wd='echo $$ >"$2.watchdog"; sleep "$1"; FD_FROM_WATCHDOG=1 sh "$2.revert"'
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

# Runs the revert script now (after a failed apply) and exits with CODE.
fd_undo_and_exit() { # fd_undo_and_exit CODE MESSAGE
    sh "$FD_DIR/$FD_FAULT.revert" >/dev/null 2>&1
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
            echo "healed: $name"
            healed=$((healed + 1))
        else
            echo "failed: $name: $(printf '%s' "$out" | tr '\n' ' ' | cut -c1-300)"
            failed=$((failed + 1))
        fi
    done
    echo "summary: healed=$healed failed=$failed"
    [ "$failed" = 0 ]
}

if [ "$FD_ACTION" = heal ]; then
    if [ "$FD_RUN" = all ]; then fd_heal_all '*'; else fd_heal_all "$FD_RUN"; fi
    exit $?
fi
[ "$FD_ACTION" = apply ] || fd_die 2 "unknown action '$FD_ACTION'"

