# agents/check.sh: read-only checks firedrill runs on a host; they change nothing there.
# firedrill sends on stdin to `sh -s` a first line `set -- ACTION ARGS...` (every word
# quoted), then this file. Data is printed with printf '%s', never with echo.
#
#     tools               which fault tools the host has, one key=value line each:
#                         tool=NAME, sudo=yes|no (when FD_SUDO=1), uid=N, netem=yes|no,
#                         prio=yes|no (both tried in a private network namespace, so
#                         the host's own interfaces are untouched), run=yes|no,
#                         systemd=yes|no (systemd is the init),
#                         halted=REASON when firedrill halt's marker is there
#     reach ADDRESS PORT  whether a TCP connection to ADDRESS:PORT gets an answer
#                         (connected or refused) within 2 seconds
#     digest PATH         prints "SIZE SHA256" of the regular file PATH
#
# Exit status (agent.h names them): 0 done (reach: the port answered), 2 bad arguments,
# 6 reach: no answer within the time (the packets were dropped), 7 reach: no bash or nc
# to test with, 8 digest: PATH is missing, not a regular file or unreadable.

set -u
FD_EXIT_OK=0
FD_EXIT_USAGE=2
FD_EXIT_UNREACHABLE=6
FD_EXIT_CANNOT_TELL=7
FD_EXIT_NO_FILE=8

# The fault tools on PATH, one tool=NAME line each.
FD_TOOLS_LOOP='for t in nft iptables tc pkill pgrep systemctl unshare; do
    command -v "$t" >/dev/null 2>&1 && printf "tool=%s\n" "$t"
done; :'

fd_check_tools() {
    S=
    if [ "${FD_SUDO:-0}" = 1 ]; then
        S='sudo -n'
        if sudo -n true >/dev/null 2>&1; then printf 'sudo=yes\n'; else printf 'sudo=no\n'; S=; fi
    fi
    # The tools as the agents will find them: under sudo, sudo's own PATH (its
    # secure_path has the sbin folders a user's PATH often lacks).
    tools=$(if [ -n "$S" ]; then $S sh -c "$FD_TOOLS_LOOP"; else eval "$FD_TOOLS_LOOP"; fi)
    [ -z "$tools" ] || printf '%s\n' "$tools"
    printf 'uid=%s\n' "$(id -u)"
    case "$tools" in *tool=tc*) has_tc=1 ;; *) has_tc= ;; esac
    case "$tools" in *tool=unshare*) has_unshare=1 ;; *) has_unshare= ;; esac
    if [ -n "$has_tc" ] && [ -n "$has_unshare" ]; then
        if $S unshare --net sh -c 'tc qdisc add dev lo root netem delay 1ms' >/dev/null 2>&1
        then printf 'netem=yes\n'; else printf 'netem=no\n'; fi
        if $S unshare --net sh -c 'tc qdisc add dev lo root handle 1: prio bands 4' \
            >/dev/null 2>&1
        then printf 'prio=yes\n'; else printf 'prio=no\n'; fi
    elif [ -d /sys/module/sch_netem ]; then
        printf 'netem=yes\n'
    else
        printf 'netem=no\n'
    fi
    # systemd is the init when this directory exists (sd_booted(3))
    if [ -d /run/systemd/system ]; then printf 'systemd=yes\n'; else printf 'systemd=no\n'; fi
    if [ -n "$S" ] || [ -w /run/firedrill ] || { [ ! -e /run/firedrill ] && [ -w /run ]; }
    then printf 'run=yes\n'; else printf 'run=no\n'; fi
    # firedrill halt's marker (its reason only from a regular file, never through a link)
    h=/var/lib/firedrill/halt
    if [ -e "$h" ] || [ -L "$h" ]; then
        r=
        [ -f "$h" ] && [ ! -L "$h" ] && r=$(head -c 4096 -- "$h" 2>/dev/null | sed -n 's/^reason=//p')
        printf 'halted=%s\n' "$(printf '%s' "${r:-no reason given}" | head -n 1 | tr -c '[:print:]' ' ' | cut -c1-200)"
    fi
    return "$FD_EXIT_OK"
}

# A connection that is refused proves the path works as well as one that is accepted;
# only silence until the timeout means the packets were dropped.
fd_check_reach() { # ADDRESS PORT
    case "$2" in '' | *[!0-9]*) return "$FD_EXIT_USAGE" ;; esac
    if command -v bash >/dev/null 2>&1; then
        err=$(timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$1" "$2" 2>&1)
    elif command -v nc >/dev/null 2>&1; then
        err=$(timeout 2 nc -z -w 2 "$1" "$2" 2>&1)
    else
        return "$FD_EXIT_CANNOT_TELL"
    fi
    rc=$?
    [ "$rc" = 0 ] && return "$FD_EXIT_OK"
    [ "$rc" = 124 ] && return "$FD_EXIT_UNREACHABLE"
    case "$err" in *refused*) return "$FD_EXIT_OK" ;; esac
    return "$FD_EXIT_CANNOT_TELL"
}

fd_check_digest() { # PATH
    [ -f "$1" ] && [ -r "$1" ] || return "$FD_EXIT_NO_FILE"
    size=$(stat -c %s -- "$1") || return "$FD_EXIT_NO_FILE"
    # from stdin: sha256sum escapes a file name holding a backslash or a newline
    sum=$(sha256sum <"$1") || return "$FD_EXIT_NO_FILE"
    printf '%s %s\n' "$size" "${sum%% *}"
    return "$FD_EXIT_OK"
}

[ $# -ge 1 ] || exit "$FD_EXIT_USAGE"
case "$1" in
tools) [ $# -eq 1 ] || exit "$FD_EXIT_USAGE"; fd_check_tools ;;
reach) [ $# -eq 3 ] || exit "$FD_EXIT_USAGE"; fd_check_reach "$2" "$3" ;;
digest) [ $# -eq 2 ] || exit "$FD_EXIT_USAGE"; fd_check_digest "$2" ;;
*) exit "$FD_EXIT_USAGE" ;;
esac
exit $?
