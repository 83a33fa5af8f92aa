# agents/lib.sh: shared by every firedrill agent. firedrill sends, on stdin to `sh -s`
# over the host's SSH session, a first line that sets the arguments
#     FD_CONTROLLER='user@host'; set -- ACTION RUN_ID FAULT_ID TTL_SECONDS key=value...
# then this file, then one fault family's script (or guard.sh). The arguments travel on
# stdin, not on the command line, so that no value (a secret among them) shows in `ps`.
# ACTION is apply or heal, or one of guard.sh's (lease, watch, release, halt, unhalt). An applied fault is recorded in /run/firedrill/RUN_ID/ as
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
FD_EXIT_HALTED=9     # the host is halted (firedrill halt): nothing was touched
FD_EXIT_LEASED=10    # lease: another run holds the host (guard.sh)

# User commands run with the umask the session had; the records are private.
FD_UMASK=$(umask)
case "$FD_UMASK" in '' | *[!0-7]*) FD_UMASK=022 ;; esac
umask 077
FD_ROOT=/run/firedrill
# A run's lease on the host: FD_LEASES/RUN_ID (guard.sh). The halt marker lives where a
# reboot does not clear it: a host halted during an incident stays halted until cleared.
FD_LEASES=$FD_ROOT/leases
FD_HALT_DIR=/var/lib/firedrill
FD_HALT=$FD_HALT_DIR/halt
FD_START=$(date +%s)

fd_die() { # fd_die CODE MESSAGE
    printf 'error: %s\n' "$2" >&2
    exit "$1"
}

# Single-quotes a value for a shell script written to disk.
fd_q() {
    case "$1" in
    *"'"*) printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")" ;;
    *) printf "'%s'" "$1" ;; # nothing to escape: no program started
    esac
}

# fd_copy: stdin to stdout, line by line, with the shell's own builtins (what cat would
# do, without starting it: agents run on hosts where each program started counts)
fd_copy() {
    while IFS= read -r fd_cl || [ -n "$fd_cl" ]; do printf '%s\n' "$fd_cl"; done
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
    case "$1" in
    *[![:print:]]*) fd_lt=$(printf '%s' "$1" | tr -c '[:print:]' ' ' | cut -c1-900) ;;
    *) fd_lt=$1 ;; # printable already: no program to clean it
    esac
    [ ${#fd_lt} -le 900 ] || fd_lt=$(printf '%s' "$fd_lt" | cut -c1-900)
    logger -t firedrill -- "$fd_lt" </dev/null >/dev/null 2>&1 || :
}

[ $# -ge 1 ] || fd_die 2 "usage: ACTION RUN_ID [FAULT_ID TTL_SECONDS key=value...]"
FD_ACTION=$1
case "$FD_ACTION" in
halt | unhalt) set -- "$1" - "$@" ;; # a halt belongs to no run
esac
[ $# -ge 2 ] || fd_die 2 "usage: ACTION RUN_ID [FAULT_ID TTL_SECONDS key=value...]"
FD_RUN=$2
fd_safe_name "$FD_RUN" || fd_die 2 "invalid run id"
FD_DIR=$FD_ROOT/$FD_RUN
FD_CONTROLLER=${FD_CONTROLLER:-unknown}
# User commands (restart, stop, start, apply, revert) see the same variables as
# every other command firedrill runs on a host.
export FD_RUN_ID="$FD_RUN" FD_HOST_NAME="${FD_HOST_NAME:-}" FD_HOST_ADDRESS="${FD_HOST_ADDRESS:-}" \
    FD_HOST_DATACENTER="${FD_HOST_DATACENTER:-}"
shift 2
FD_TTL=0
case "$FD_ACTION" in
apply)
    [ $# -ge 2 ] || fd_die 2 "apply needs FAULT_ID and TTL_SECONDS"
    FD_FAULT=$1
    FD_TTL=$2
    shift 2
    fd_safe_name "$FD_FAULT" || fd_die 2 "invalid fault id"
    ;;
lease | watch)
    [ $# -ge 1 ] || fd_die 2 "$FD_ACTION needs TTL_SECONDS"
    FD_TTL=$1
    shift
    ;;
esac
case "$FD_TTL" in '' | *[!0-9]*) fd_die 2 "invalid ttl" ;; esac
if [ $# -gt 0 ]; then
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
# ending an apply, and fd_effect: these functions are also copied into every revert
# script, which must stand alone.
fd_group_functions() {
    fd_copy <<'FUNCS'
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
# fd_effect: says when the fault took effect (or was reverted) on this host, by its own
# clock, for the apply skew across hosts: `effect: UNIX` with nanoseconds where date has
# %N (GNU), whole seconds elsewhere (BusyBox; the controller then uses its own clock).
fd_effect() {
    t=$(date +%s.%N 2>/dev/null)
    case "$t" in '' | *[!0-9.]* | *.*.*) t=$(date +%s) ;; esac
    printf 'effect: %s\n' "$t"
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
    [ -d "$FD_DIR" ] || mkdir -p "$FD_DIR" || fd_die 3 "cannot create $FD_DIR"
    f=$FD_DIR/$FD_FAULT
    if [ -e "$f.revert.tmp" ] || [ -L "$f.revert.tmp" ]; then rm -f -- "$f.revert.tmp"; fi
    {
        printf '%s\n' "#!/bin/sh" \
            "# firedrill: revert fault $FD_FAULT of run $FD_RUN" \
            "umask $FD_UMASK" \
            "export FD_HOST_NAME=$(fd_q "$FD_HOST_NAME") FD_HOST_ADDRESS=$(fd_q "$FD_HOST_ADDRESS") FD_HOST_DATACENTER=$(fd_q "$FD_HOST_DATACENTER") FD_RUN_ID=$(fd_q "$FD_RUN")" \
            "f=$(fd_q "$f")"
        fd_copy <<'HEAD'
# an apply still running: kill its process group and wait until it has ended
HEAD
        fd_group_functions
        fd_copy <<'HEAD'
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
        fd_copy
        fd_copy <<'TAIL'
:
}
fd_revert || exit $?
fd_effect
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
    # The watchdog is the process just started: setsid, started in the background by a
    # shell without job control, is not a group leader and so execs without forking (as
    # nohup does). Its pid is recorded now, without waiting for it to run; it writes the
    # same pid itself.
    fd_wd=$!
    [ ! -s "$f.watchdog" ] && printf '%s\n' "$fd_wd" >"$f.watchdog"
    kill -0 "$fd_wd" 2>/dev/null || [ -s "$f.watchdog" ] || fd_undo_and_exit 3 "the watchdog did not start"
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
        case "$f" in "$FD_LEASES"/*) continue ;; esac
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

# fd_line TEXT: one printable line of at most 300 characters (for data from files and
# from the controller's arguments, printed back).
fd_line() {
    case "$1" in
    *[![:print:]]*) printf '%s' "$1" | tr -c '[:print:]' ' ' | cut -c1-300 ;;
    *) if [ ${#1} -le 300 ]; then printf '%s' "$1"; else printf '%s' "$1" | cut -c1-300; fi ;;
    esac
}

# fd_field FILE KEY: KEY's value in a key=value file of firedrill's own (a regular file,
# not a link), else empty.
fd_field() {
    [ -f "$1" ] && [ ! -L "$1" ] || return 0
    head -c 4096 -- "$1" 2>/dev/null | sed -n "s/^$2=//p" | head -n 1
}

# fd_lease_field FILE KEY: the same for a lease file, which only fd_lease_write writes
# (four short lines, in a folder only root can write to): read with the shell's own
# builtins, as every apply reads its lease's expiry. Kept as text too: the lease
# reaper, a shell of its own, defines it the same way.
FD_LEASE_FIELD_FN='fd_lease_field() {
    [ -f "$1" ] && [ ! -L "$1" ] || return 0
    fd_n=0
    while [ $fd_n -lt 8 ] && IFS= read -r fd_fl; do
        case "$fd_fl" in "$2="*)
            printf "%s" "${fd_fl#"$2="}"
            return 0
            ;;
        esac
        fd_n=$((fd_n + 1))
    done <"$1" 2>/dev/null
    return 0
}'
eval "$FD_LEASE_FIELD_FN"

# The halt's reason when the host is halted (firedrill halt, or the marker made by
# hand: its first line is then the reason); fails when it is not.
fd_halt_reason() {
    [ -e "$FD_HALT" ] || [ -L "$FD_HALT" ] || return 1
    r=$(fd_field "$FD_HALT" reason)
    if [ -z "$r" ] && [ -f "$FD_HALT" ] && [ ! -L "$FD_HALT" ]; then
        r=$(head -c 4096 -- "$FD_HALT" 2>/dev/null | head -n 1)
    fi
    fd_line "${r:-no reason given}"
}

# fd_lease_write EXPIRES [HAD]: writes this run's lease, lasting until EXPIRES or the
# later expiry it had (HAD, when the caller has just read it; replaced whole, never
# through a link: a new private file renamed over it).
fd_lease_write() {
    l=$FD_LEASES/$FD_RUN
    drill=$(fd_arg drill)
    [ -n "$drill" ] || drill=$(fd_lease_field "$l" drill)
    e=${2-}
    [ -n "$e" ] || e=$(fd_lease_field "$l" expires)
    case "$e" in '' | *[!0-9]*) e=0 ;; esac
    [ "$e" -le "$1" ] || set -- "$e"
    # a reaper may remove the folder when it empties: made again once
    [ -d "$FD_LEASES" ] || mkdir -p "$FD_LEASES" || return 1
    t=$(mktemp "$FD_LEASES/.$FD_RUN.XXXXXX" 2>/dev/null) ||
        t=$(mkdir -p "$FD_LEASES" && mktemp "$FD_LEASES/.$FD_RUN.XXXXXX") || return 1
    if printf '%s\n' "run=$FD_RUN" "controller=$(fd_line "$FD_CONTROLLER")" \
        "drill=$(fd_line "$drill")" "expires=$1" >"$t" && mv -f -- "$t" "$l"; then
        return 0
    fi
    rm -f -- "$t"
    return 1
}

# Removes the run's lease file once it has expired (a controller that died renews it no
# more), and ends when the file is gone. It records its pid in .RUN.reaper; after setsid
# it leads its own process group, so that fd_lease_drop ends it and its sleep together.
fd_lease_reaper() {
    # A lease only grows until it is removed (and fd_lease_drop ends this reaper with
    # it): sleeping until the expiry read is enough, and each look starts two programs
    # (date, sleep), as a host of a fleet runs one reaper per drill.
    rp=$FD_LEASE_FIELD_FN'
printf "%s\n" "$$" >"$2"
while [ -f "$1" ]; do
    e=$(fd_lease_field "$1" expires)
    n=$(date +%s)
    case "$e" in "" | *[!0-9]*) e=0 ;; esac
    [ "$e" -gt "$n" ] || break
    sleep $((e - n))
done
rm -f -- "$1" "$2"
rmdir -- "${1%/*}" 2>/dev/null'
    if command -v setsid >/dev/null 2>&1; then
        setsid sh -c "$rp" fd-lease-reaper "$FD_LEASES/$FD_RUN" "$FD_LEASES/.$FD_RUN.reaper" \
            </dev/null >/dev/null 2>&1 &
    else
        nohup sh -c "$rp" fd-lease-reaper "$FD_LEASES/$FD_RUN" "$FD_LEASES/.$FD_RUN.reaper" \
            </dev/null >/dev/null 2>&1 &
    fi
}

# fd_lease_drop RUN: removes a run's lease and ends its reaper (only the process whose
# command line names that lease: a pid reused since is left alone).
fd_lease_drop() {
    l=$FD_LEASES/$1
    p=$FD_LEASES/.$1.reaper
    rp=$(head -c 32 "$p" 2>/dev/null | tr -d ' \n')
    case "$rp" in '' | *[!0-9]*) ;; *)
        if tr '\0' '\n' <"/proc/$rp/cmdline" 2>/dev/null | grep -qxF fd-lease-reaper &&
            tr '\0' '\n' <"/proc/$rp/cmdline" 2>/dev/null | grep -qxF -- "$l"; then
            kill -TERM "-$rp" 2>/dev/null || kill -TERM "$rp" 2>/dev/null
        fi ;;
    esac
    rm -f -- "$l" "$p"
    rmdir -- "$FD_LEASES" 2>/dev/null
    return 0
}

# Prints a `PREFIX RUN ...` line for every other run that holds the host: a lease in
# force, or faults of its own recorded here. Sets fd_held to their count.
fd_holders() {
    fd_held=0
    now=$(date +%s)
    for f in "$FD_LEASES"/*; do
        [ -f "$f" ] && [ ! -L "$f" ] || continue
        [ "${f##*/}" = "$FD_RUN" ] && continue
        e=$(fd_field "$f" expires)
        case "$e" in '' | *[!0-9]*) continue ;; esac
        [ "$e" -gt "$now" ] || continue
        printf '%s %s expires_in=%s controller=%s drill=%s\n' "$1" "$(fd_line "${f##*/}")" \
            $((e - now)) "$(fd_line "$(fd_field "$f" controller)")" "$(fd_line "$(fd_field "$f" drill)")"
        fd_held=$((fd_held + 1))
    done
    for d in "$FD_ROOT"/*; do
        [ -d "$d" ] && [ ! -L "$d" ] || continue
        case "${d##*/}" in "$FD_RUN" | leases) continue ;; esac
        n=0
        for f in "$d"/*.revert; do [ -f "$f" ] && n=$((n + 1)); done
        [ $n -gt 0 ] || continue
        printf '%s %s faults=%s\n' "$1" "$(fd_line "${d##*/}")" $n
        fd_held=$((fd_held + 1))
    done
}

# lease TTL [overlap=1] [drill=NAME]: this run's lease on the host, for TTL seconds. Another run
# holding the host (a lease in force or faults in place) refuses it (exit 10, `held:`
# lines), unless overlap=1 (then `overlap:` lines). Two runs asking at once may both be
# refused: each writes its lease before it looks.
fd_lease() {
    if reason=$(fd_halt_reason); then
        printf 'halted: %s\n' "$reason"
        exit "$FD_EXIT_HALTED"
    fi
    fd_lease_write $(($(date +%s) + FD_TTL)) || fd_die 3 "cannot write the lease in $FD_LEASES"
    if [ "$(fd_arg overlap)" = 1 ]; then
        fd_holders overlap:
    else
        fd_holders held:
        if [ "$fd_held" -gt 0 ]; then
            fd_lease_drop "$FD_RUN"
            exit "$FD_EXIT_LEASED"
        fi
    fi
    fd_lease_reaper
    fd_log "run $FD_RUN of $FD_CONTROLLER leases this host for ${FD_TTL}s (renewed while it runs)"
    exit 0
}

# A watch's wait in bash: ARGS SECONDS DIR MARKER. inotifywait watches DIR for the whole
# wait, SECONDS by the clock ($SECONDS), however busy the host; a `.` line a second
# (bash's read -t, no program started). Exit 11 as soon as
# something is made in DIR (or MARKER is there once the watch is set up), 12 at the end,
# 10 when the line cannot be written (the controller closed the channel), other codes
# when bash or inotifywait cannot do it (the caller then looks the old way).
FD_WATCH_WAIT='trap "" PIPE
coproc fdw { exec inotifywait -m -e create -e moved_to -- "$2" 2>&1 </dev/null; }
p=$fdw_PID
r=13
while IFS= read -r -t 5 -u "${fdw[0]}" l 2>/dev/null; do
    case $l in "Watches established"*) r=0; break ;; esac
done
end=$((SECONDS + $1))
while [ $r = 0 ]; do
    if [ -e "$3" ] || [ -L "$3" ]; then r=11; break; fi
    [ $SECONDS -lt $end ] || { r=12; break; }
    printf ".\n" 2>/dev/null || { r=10; break; }
    IFS= read -r -t 1 -u "${fdw[0]}" l 2>/dev/null
    case $? in
    0) r=11 ;;
    1) r=13 ;;
    esac
done
kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
exit $r'

# Sets up to the kernel's uptime in whole seconds (empty where /proc/uptime is not).
fd_uptime() {
    up=
    read -r up _ 2>/dev/null </proc/uptime || up=
    up=${up%.*}
    case "$up" in '' | *[!0-9]*) up= ;; esac
}

# Prints `halted:` and `halted_by:` and ends the watch when the host is halted.
fd_watch_halted() {
    if { [ -e "$FD_HALT" ] || [ -L "$FD_HALT" ]; } && reason=$(fd_halt_reason); then
        printf 'halted: %s\n' "$reason"
        printf 'halted_by: %s\n' "$(fd_line "$(fd_field "$FD_HALT" by) $(fd_field "$FD_HALT" at)")"
        exit 0
    fi
}

# watch TTL [wait=S]: renews the run's lease to TTL seconds from now, then watches the
# halt marker for S seconds (default 10): `halted: REASON` and `halted_by: WHO` as soon
# as it is there, else `renewed` at the end. The controller runs it again and again.
fd_watch() {
    fresh=
    [ -f "$FD_LEASES/$FD_RUN" ] || fresh=1
    if fd_lease_write $(($(date +%s) + FD_TTL)); then
        [ -z "$fresh" ] || fd_lease_reaper
    else
        printf 'note: cannot renew the lease in %s\n' "$FD_LEASES"
    fi
    w=$(fd_arg wait)
    case "$w" in '' | *[!0-9]*) w=10 ;; esac
    # The end of this watch by the kernel's uptime (read without starting a program), so
    # that a busy host still answers in time; a count of waits where there is none.
    fd_uptime
    end=$((${up:-0} + w))
    # With bash and inotifywait (inotify-tools), one inotifywait watches the marker's
    # folder for the whole wait and bash's `read -t` times the lines: two programs a
    # watch instead of one a second on every host of a fleet.
    if [ -n "$up" ] && command -v inotifywait >/dev/null 2>&1 && command -v bash >/dev/null 2>&1; then
        [ -d "$FD_HALT_DIR" ] || mkdir -p -m 755 -- "$FD_HALT_DIR" 2>/dev/null
        n=0
        while [ -d "$FD_HALT_DIR" ] && [ ! -L "$FD_HALT_DIR" ] && [ $n -le $((w + 2)) ]; do
            fd_watch_halted
            [ -n "$up" ] && [ "$up" -lt "$end" ] || break
            bash -c "$FD_WATCH_WAIT" fd-watch-wait $((end - up)) "$FD_HALT_DIR" "$FD_HALT" </dev/null
            case $? in
            10) exit 0 ;;   # the channel is closed: the run is over
            11) ;;          # something was made in the folder: look again
            12) printf '%s\n' renewed && exit 0 ;;
            *) break ;;     # no coproc, no inotify: the looks below
            esac
            n=$((n + 1))
            fd_uptime
        done
    fi
    # inotifywait alone wakes the moment a marker is made, with one program started a
    # second; else a look 4 times a second. A marker made between a look and the wait
    # is seen at the next look.
    per=4
    if command -v inotifywait >/dev/null 2>&1 && [ -d "$FD_HALT_DIR" ]; then per=1; fi
    i=$((w * per))
    while :; do
        fd_watch_halted
        if [ -n "$up" ]; then
            fd_uptime
            [ -n "$up" ] && [ "$up" -lt "$end" ] || break
        fi
        [ $i -gt 0 ] || break
        i=$((i - 1))
        # A line each look: once the controller has closed this watch's channel, the
        # write fails (or SIGPIPE ends the shell) and the watch ends within a second,
        # rather than at its end, up to 30 s later, on every host of a fleet.
        printf '.\n' 2>/dev/null || exit 0
        if [ $per = 1 ]; then
            inotifywait -qq -t 1 -e create -e moved_to -- "$FD_HALT_DIR" </dev/null >/dev/null 2>&1 ||
                [ $? = 2 ] || sleep 0.25
        else
            sleep 0.25
        fi
    done
    printf '%s\n' renewed
    exit 0
}

# halt reason=TEXT by=WHO: the halt marker (replaced whole, never through a link);
# prints the runs holding the host, which the halt stops.
fd_halt() {
    reason=$(fd_line "$(fd_arg reason)")
    [ -n "$reason" ] || fd_die 2 "a halt needs a reason"
    if [ -L "$FD_HALT_DIR" ] || { [ -e "$FD_HALT_DIR" ] && [ ! -d "$FD_HALT_DIR" ]; }; then
        fd_die 3 "$FD_HALT_DIR is not a directory"
    fi
    mkdir -p "$FD_HALT_DIR" || fd_die 3 "cannot create $FD_HALT_DIR"
    t=$(mktemp "$FD_HALT_DIR/.halt.XXXXXX") || fd_die 3 "cannot write in $FD_HALT_DIR"
    if ! { printf '%s\n' "reason=$reason" "by=$(fd_line "$(fd_arg by)")" \
        "at=$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$t" && chmod 644 "$t" && mv -f -- "$t" "$FD_HALT"; }; then
        rm -f -- "$t"
        fd_die 3 "cannot write $FD_HALT"
    fi
    fd_log "halted by $(fd_arg by): $reason (firedrill refuses new faults here until cleared)"
    printf 'halted: %s\n' "$reason"
    FD_RUN=-
    fd_holders run:
    exit 0
}

fd_unhalt() {
    if ! reason=$(fd_halt_reason); then
        printf '%s\n' "not halted"
        exit 0
    fi
    rm -f -- "$FD_HALT" || fd_die 3 "cannot remove $FD_HALT"
    fd_log "halt cleared by $(fd_arg by) (it said: $reason)"
    printf 'cleared: %s\n' "$reason"
    exit 0
}

# fd_lease_extend: an applied fault keeps the run's lease (when it has one) in force
# until the fault's own watchdog has reverted it, so that a lease never lapses before a
# fault of its run is undone.
fd_lease_extend() {
    [ -f "$FD_LEASES/$FD_RUN" ] && [ ! -L "$FD_LEASES/$FD_RUN" ] || return 0
    fd_need=$(($(date +%s) + FD_TTL + 1))
    fd_has=$(fd_lease_field "$FD_LEASES/$FD_RUN" expires)
    case "$fd_has" in '' | *[!0-9]*) fd_has=0 ;; esac
    [ "$fd_has" -ge "$fd_need" ] && return 0 # already lasts that long: nothing to write
    fd_lease_write "$fd_need" "$fd_has" || :
}

case "$FD_ACTION" in
heal)
    if [ "$FD_RUN" = all ]; then set -- '*'; else set -- "$FD_RUN"; fi
    fd_heal_all "$1"
    rc=$?
    # a dead run's lease goes with its faults (a live run's controller renews its own)
    for f in $FD_LEASES/$1; do
        [ -f "$f" ] || [ -L "$f" ] || continue
        fd_lease_drop "${f##*/}"
        printf 'lease cleared: %s\n' "$(fd_line "${f##*/}")"
    done
    exit $rc
    ;;
lease) fd_lease ;;
watch) fd_watch ;;
release)
    fd_lease_drop "$FD_RUN"
    exit 0
    ;;
halt) fd_halt ;;
unhalt) fd_unhalt ;;
apply)
    if reason=$(fd_halt_reason); then
        fd_log "refused fault $FD_FAULT of run $FD_RUN: the host is halted ($reason)"
        fd_die "$FD_EXIT_HALTED" "halted: $reason"
    fi
    fd_lease_extend
    ;;
*) fd_die 2 "unknown action '$FD_ACTION'" ;;
esac
