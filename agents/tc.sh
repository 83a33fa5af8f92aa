# agents/tc.sh: netem faults (after lib.sh). Without peers, netem is the device's root
# qdisc; with peers, a 4-band prio qdisc sends only traffic to those addresses
# through netem (band 4, which the priomap never uses) and the rest passes untouched.
# firedrill only replaces a device's default root qdisc and removes only its own
# (handle fd00:). Arguments: delay= jitter= loss= duplicate= corrupt= reorder= rate=
# device= peers=.

dev=$(fd_arg device)
peers=$(fd_arg peers)
if [ -z "$dev" ]; then
    first=${peers%%,*}
    [ -n "$first" ] || first=$FD_CTRL_IP
    [ -n "$first" ] || fd_die 3 "cannot tell which device to shape: give 'device'"
    dev=$(ip route get "$first" </dev/null 2>/dev/null | sed -n 's/.* dev \([^ ]*\).*/\1/p' | head -n 1)
    [ -n "$dev" ] || fd_die 3 "no route to $first to find the device: give 'device'"
fi
ip link show dev "$dev" </dev/null >/dev/null 2>&1 || fd_die 3 "no network device '$dev'"
command -v tc >/dev/null 2>&1 || fd_die 3 "tc is not installed"

opts=
[ -n "$(fd_arg delay)" ] && opts="$opts delay $(fd_arg delay)${A_jitter:+ $A_jitter}"
[ -n "$(fd_arg loss)" ] && opts="$opts loss $(fd_arg loss)"
[ -n "$(fd_arg duplicate)" ] && opts="$opts duplicate $(fd_arg duplicate)"
[ -n "$(fd_arg corrupt)" ] && opts="$opts corrupt $(fd_arg corrupt)"
[ -n "$(fd_arg reorder)" ] && opts="$opts reorder $(fd_arg reorder)"
[ -n "$(fd_arg rate)" ] && opts="$opts rate $(fd_arg rate)"
[ -n "$opts" ] || fd_die 2 "no netem option given"

root=$(tc qdisc show dev "$dev" root </dev/null 2>/dev/null | head -n 1)
set -- $root
[ "${3:-0:}" = "0:" ] || fd_die 3 "device $dev already has a root qdisc ($root) that firedrill did not install; refusing to replace it"

fd_record <<REVERT
    if tc qdisc show dev $(fd_q "$dev") root 2>/dev/null | grep -q ' fd00: '; then
        tc qdisc del dev $(fd_q "$dev") root || return 1
    fi
REVERT
fd_watchdog

fd_tc() { # runs tc, turning a missing qdisc into a clear message
    if ! err=$(tc "$@" </dev/null 2>&1); then
        case "$err" in
        *"kind is unknown"* | *"Unknown qdisc"*)
            q=$(printf '%s\n' "$*" | awk '{ for (i = 1; i <= NF; i++) if ($i == "netem" || $i == "prio") { print $i; exit } }')
            fd_undo_and_exit 3 "this host's kernel has no '$q' qdisc, which the netem fault needs (tc: $(printf '%s' "$err" | head -n 1))" ;;
        *) fd_undo_and_exit 3 "tc $* failed: $(printf '%s' "$err" | head -n 2 | tr '\n' ' ')" ;;
        esac
    fi
}

if [ -z "$peers" ]; then
    fd_tc qdisc add dev "$dev" root handle fd00: netem $opts
else
    fd_tc qdisc add dev "$dev" root handle fd00: prio bands 4 priomap 1 2 2 2 1 2 0 0 1 1 1 1 1 1 1 1
    fd_tc qdisc add dev "$dev" parent fd00:4 handle fd40: netem $opts
    old_ifs=$IFS
    IFS=,
    for p in $peers; do
        IFS=$old_ifs
        case "$p" in
        *:*) fd_tc filter add dev "$dev" parent fd00: protocol ipv6 prio 2 u32 match ip6 dst "$p/128" flowid fd00:4 ;;
        *) fd_tc filter add dev "$dev" parent fd00: protocol ip prio 1 u32 match ip dst "$p/32" flowid fd00:4 ;;
        esac
        IFS=,
    done
    IFS=$old_ifs
fi
fd_effect
if tc qdisc show dev "$dev" </dev/null | grep -q netem; then
    printf '%s\n' "verified: netem ($opts ) on $dev${peers:+ for traffic to $peers}"
else
    fd_die 4 "netem is not in place on $dev"
fi
exit 0
