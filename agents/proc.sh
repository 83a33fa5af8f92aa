# agents/proc.sh: kill, pause and stop_service faults (after lib.sh).
# Arguments: kind=kill|pause|stop_service, and process= | pidfile= | unit=,
# signal= (kill), restart= (kill: a command run at revert; by unit, the unit is started
# again without one), stop= start= (stop_service).

# True for firedrill's own processes, which a fault never signals: this agent and
# everything in its session, and every watchdog and lease reaper with what it runs.
FD_MY_SID=
fd_stat $$ && FD_MY_SID=$st_sid
fd_ours() { # fd_ours PID (after fd_stat PID)
    [ "$1" = $$ ] && return 0
    [ -n "$FD_MY_SID" ] && [ "$st_sid" = "$FD_MY_SID" ] && return 0
    tr '\0' '\n' <"/proc/$st_sid/cmdline" 2>/dev/null | grep -qxE 'fd-watchdog|fd-lease-reaper'
}

# fd_named NAME: pids whose process name is NAME, compared as a string (never as a
# pattern). The kernel keeps 15 bytes of a name: a longer NAME must also be the
# program's own name (argv[0] without its directory).
fd_named() {
    name=$1
    short=$name
    # ${#name} counts bytes only for plain ASCII in every shell: else head cuts
    case "$name" in *[!A-Za-z0-9._+:@-]*) short=$(printf '%s' "$name" | head -c 15) ;;
    *) [ ${#name} -le 15 ] || short=$(printf '%s' "$name" | head -c 15) ;;
    esac
    for d in /proc/[0-9]*; do
        IFS= read -r comm <"$d/comm" 2>/dev/null || continue
        [ "$comm" = "$short" ] || continue
        p=${d#/proc/}
        if [ "$short" != "$name" ]; then
            a0=$(tr '\0' '\n' <"$d/cmdline" 2>/dev/null | head -n 1)
            [ "${a0##*/}" = "$name" ] || continue
        fi
        printf '%s\n' "$p"
    done
}

fd_pids() {
    if [ -n "$(fd_arg process)" ]; then
        fd_named "$(fd_arg process)"
    elif [ -n "$(fd_arg pidfile)" ]; then
        p=$(head -c 32 -- "$(fd_arg pidfile)" 2>/dev/null </dev/null | tr -d ' \n')
        case "$p" in '' | *[!0-9]*) return 1 ;; esac
        [ "$p" -gt 1 ] && kill -0 "$p" 2>/dev/null && printf '%s\n' "$p"
    elif [ -n "$(fd_arg unit)" ]; then
        p=$(systemctl show -p MainPID --value -- "$(fd_arg unit)" 2>/dev/null </dev/null)
        case "$p" in '' | 0 | *[!0-9]*) ;; *) printf '%s\n' "$p" ;; esac
    fi
}

# The target's pids, less zombies and firedrill's own processes, on one line.
fd_targets() {
    out=
    for p in $(fd_pids); do
        fd_stat "$p" || continue
        [ "$st_state" = Z ] && continue
        fd_ours "$p" && continue
        out="$out $p"
    done
    printf '%s' "${out# }"
}

# A unit named by unit= needs systemctl and a running systemd (sd_booted(3)), and must
# exist: said before anything is done.
fd_check_unit() {
    [ -n "$(fd_arg unit)" ] || return 0
    command -v systemctl >/dev/null 2>&1 ||
        fd_die 3 "systemctl is not installed on this host (no systemd?): name the process, or give stop and start commands"
    [ -d /run/systemd/system ] ||
        fd_die 3 "systemd is not running on this host (its init is not systemd): name the process, or give stop and start commands"
    [ "$(systemctl show -p LoadState --value -- "$(fd_arg unit)" </dev/null 2>/dev/null)" != not-found ] ||
        fd_die 3 "unit $(fd_arg unit) does not exist on this host"
}

fd_what() {
    if [ -n "$(fd_arg process)" ]; then printf '%s' "process '$(fd_arg process)'"
    elif [ -n "$(fd_arg pidfile)" ]; then printf '%s' "the process in $(fd_arg pidfile)"
    else printf '%s' "unit $(fd_arg unit)"; fi
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
fd_check_unit
case "$kind" in
kill)
    sig=$(fd_arg signal)
    case "$sig" in *[!0-9]*) signame=${sig#SIG} ;; *) signame=$(kill -l "$sig" 2>/dev/null) ;; esac
    case "$signame" in
    STOP | TSTP | TTIN | TTOU) fd_die 2 "signal $sig stops the process and kill cannot undo it: use the pause fault" ;;
    esac
    pids=$(fd_targets)
    [ -n "$pids" ] || fd_die 3 "no running $(fd_what) to kill"
    restart=$(fd_arg restart)
    if [ -n "$restart" ]; then
        fd_record <<REVERT
    $(fd_q_sh "$restart") </dev/null >/dev/null 2>&1 || { printf '%s\n' "the restart command failed" >&2; return 1; }
REVERT
    elif [ -n "$(fd_arg unit)" ]; then
        # A unit killed is a unit started again at heal: a no-op when systemd has already
        # restarted it (Restart=), and its start limit, hit by the fault, forgotten first.
        fd_record <<REVERT
    systemctl reset-failed -- $(fd_q "$(fd_arg unit)") </dev/null >/dev/null 2>&1
    systemctl start -- $(fd_q "$(fd_arg unit)") </dev/null || return 1
REVERT
    else
        fd_record <<REVERT
    :
REVERT
    fi
    fd_watchdog
    fd_signal "${sig:-KILL}" $pids || fd_undo_and_exit 3 "could not signal $(fd_what) (pids $pids)"
    fd_effect
    [ "$fd_sent" = "$pids" ] && printf '%s\n' "note: pids $pids" ||
        printf '%s\n' "note: pids $pids found, $fd_sent still there to signal (the others had exited)"
    pids=$fd_sent
    case "${sig:-KILL}" in
    KILL | 9 | TERM | 15 | INT | 2 | QUIT | 3)
        i=0
        while [ $i -lt 50 ] && fd_alive $pids; do sleep 0.1; i=$((i + 1)); done
        if ! fd_alive $pids; then
            printf '%s\n' "verified: $(fd_what) is gone (pids $pids)"
        else
            fd_die 4 "$(fd_what) still runs 5s after SIG${sig:-KILL} (pids $pids)"
        fi
        ;;
    *) printf '%s\n' "verified: SIG$sig delivered to $(fd_what) (pids $pids)" ;;
    esac
    ;;
pause)
    pids=$(fd_targets)
    [ -n "$pids" ] || fd_die 3 "no running $(fd_what) to pause"
    fd_record <<REVERT
    for p in $pids; do kill -CONT "\$p" 2>/dev/null; done
    :
REVERT
    fd_watchdog
    fd_signal STOP $pids || fd_undo_and_exit 3 "could not stop $(fd_what) (pids $pids)"
    fd_effect
    [ "$fd_sent" = "$pids" ] ||
        printf '%s\n' "note: pids $pids found, $fd_sent still there to stop (the others had exited)"
    pids=$fd_sent
    i=0
    while [ $i -lt 20 ] && ! fd_all_stopped $pids; do sleep 0.1; i=$((i + 1)); done
    if fd_all_stopped $pids; then
        printf '%s\n' "verified: $(fd_what) is stopped (pids $pids, state T)"
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
        fd_bounded systemctl stop -- "$unit"
        rc=$?
        [ $rc = 0 ] || { fd_bounded_notes; fd_undo_and_exit 3 "systemctl stop $unit failed (exit $rc)"; }
        fd_effect
        if [ "$(systemctl is-active -- "$unit" </dev/null 2>/dev/null)" != active ]; then
            printf '%s\n' "verified: unit $unit is not active"
        else
            fd_die 4 "unit $unit is still active after stop"
        fi
    else
        fd_record <<REVERT
    $(fd_q_sh "$(fd_arg start)") </dev/null || return 1
REVERT
        fd_watchdog
        fd_bounded_sh "$(fd_arg stop)"
        rc=$?
        [ $rc = 0 ] || { fd_bounded_notes; fd_undo_and_exit 3 "the stop command failed (exit $rc)"; }
        fd_effect
        printf '%s\n' "unverified: the stop command exited 0 (a stop command's effect cannot be observed by firedrill)"
    fi
    ;;
*) fd_die 2 "unknown kind '$kind'" ;;
esac
exit 0
