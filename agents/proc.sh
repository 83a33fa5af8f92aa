# agents/proc.sh: kill, pause and stop_service faults (after lib.sh).
# Arguments: kind=kill|pause|stop_service, and process= | pidfile= | unit=,
# signal= (kill), restart= (kill: a command run at revert), stop= start= (stop_service).

fd_pids() {
    if [ -n "$(fd_arg process)" ]; then
        pgrep -x -- "$(fd_arg process)" </dev/null
    elif [ -n "$(fd_arg pidfile)" ]; then
        p=$(head -c 32 -- "$(fd_arg pidfile)" 2>/dev/null </dev/null | tr -d ' \n')
        case "$p" in '' | *[!0-9]*) return 1 ;; esac
        [ "$p" -gt 1 ] && kill -0 "$p" 2>/dev/null && echo "$p"
    elif [ -n "$(fd_arg unit)" ]; then
        p=$(systemctl show -p MainPID --value -- "$(fd_arg unit)" 2>/dev/null </dev/null)
        [ -n "$p" ] && [ "$p" != 0 ] && echo "$p"
    fi
}

fd_what() {
    if [ -n "$(fd_arg process)" ]; then echo "process '$(fd_arg process)'"
    elif [ -n "$(fd_arg pidfile)" ]; then echo "the process in $(fd_arg pidfile)"
    else echo "unit $(fd_arg unit)"; fi
}

fd_alive() { # true when any of the pids still exists (and is not a zombie)
    for p in "$@"; do
        s=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$p/status" 2>/dev/null)
        [ -n "$s" ] && [ "$s" != Z ] && return 0
    done
    return 1
}

# fd_signal SIG PID...: sends SIG (a name or a number) to each pid and sets fd_sent to
# the pids it reached. A pid that exited since it was found (a short-lived worker of
# the target) is passed over; fails when a pid that still exists refuses the signal, or
# when none was reached.
fd_signal() {
    sig=$1
    shift
    fd_sent=
    for p in "$@"; do
        case "$sig" in
        *[!0-9]*) kill -s "$sig" "$p" 2>/dev/null ;;
        *) kill "-$sig" "$p" 2>/dev/null ;;
        esac && { fd_sent="$fd_sent $p"; continue; }
        [ -d "/proc/$p" ] && return 1
    done
    fd_sent=${fd_sent# }
    [ -n "$fd_sent" ]
}

fd_all_stopped() {
    for p in "$@"; do
        s=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$p/status" 2>/dev/null)
        [ "$s" = T ] || return 1
    done
    return 0
}

kind=$(fd_arg kind)
case "$kind" in
kill)
    pids=$(fd_pids | tr '\n' ' ')
    pids=${pids% }
    [ -n "$pids" ] || fd_die 3 "no running $(fd_what) to kill"
    sig=$(fd_arg signal)
    restart=$(fd_arg restart)
    if [ -n "$restart" ]; then
        fd_record <<REVERT
    sh -c $(fd_q "$restart") </dev/null >/dev/null 2>&1 || { echo "restart command failed: $(fd_q "$restart")" >&2; return 1; }
REVERT
    else
        fd_record <<REVERT
    :
REVERT
    fi
    fd_watchdog
    fd_signal "${sig:-KILL}" $pids || fd_undo_and_exit 3 "could not signal $(fd_what) (pids $pids)"
    [ "$fd_sent" = "$pids" ] && echo "note: pids $pids" ||
        echo "note: pids $pids found, $fd_sent still there to signal (the others had exited)"
    pids=$fd_sent
    case "${sig:-KILL}" in
    KILL | 9 | TERM | 15 | INT | 2 | QUIT | 3)
        i=0
        while [ $i -lt 50 ] && fd_alive $pids; do sleep 0.1; i=$((i + 1)); done
        if ! fd_alive $pids; then
            echo "verified: $(fd_what) is gone (pids $pids)"
        else
            fd_die 4 "$(fd_what) still runs 5s after SIG${sig:-KILL} (pids $pids)"
        fi
        ;;
    *) echo "verified: SIG$sig delivered to $(fd_what) (pids $pids)" ;;
    esac
    ;;
pause)
    pids=$(fd_pids | tr '\n' ' ')
    pids=${pids% }
    [ -n "$pids" ] || fd_die 3 "no running $(fd_what) to pause"
    fd_record <<REVERT
    for p in $pids; do kill -CONT "\$p" 2>/dev/null; done
    :
REVERT
    fd_watchdog
    fd_signal STOP $pids || fd_undo_and_exit 3 "could not stop $(fd_what) (pids $pids)"
    [ "$fd_sent" = "$pids" ] ||
        echo "note: pids $pids found, $fd_sent still there to stop (the others had exited)"
    pids=$fd_sent
    i=0
    while [ $i -lt 20 ] && ! fd_all_stopped $pids; do sleep 0.1; i=$((i + 1)); done
    if fd_all_stopped $pids; then
        echo "verified: $(fd_what) is stopped (pids $pids, state T)"
    else
        fd_die 4 "$(fd_what) did not stop (pids $pids)"
    fi
    ;;
stop_service)
    unit=$(fd_arg unit)
    if [ -n "$unit" ]; then
        fd_record <<REVERT
    systemctl start -- $(fd_q "$unit") </dev/null || return 1
REVERT
        fd_watchdog
        systemctl stop -- "$unit" </dev/null || fd_undo_and_exit 3 "systemctl stop $unit failed"
        if [ "$(systemctl is-active -- "$unit" </dev/null 2>/dev/null)" != active ]; then
            echo "verified: unit $unit is not active"
        else
            fd_die 4 "unit $unit is still active after stop"
        fi
    else
        fd_record <<REVERT
    sh -c $(fd_q "$(fd_arg start)") </dev/null || return 1
REVERT
        fd_watchdog
        sh -c "$(fd_arg stop)" </dev/null || fd_undo_and_exit 3 "the stop command failed"
        echo "unverified: the stop command exited 0 (a stop command's effect cannot be observed by firedrill)"
    fi
    ;;
*) fd_die 2 "unknown kind '$kind'" ;;
esac
exit 0
