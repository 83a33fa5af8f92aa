# agents/net.sh: partition and drop faults (after lib.sh). Rules live only in a table
# of firedrill's own per fault (nftables `table inet firedrill_*`), or in its own
# chains where nft is missing (iptables, IPv4 only); reverting deletes that table or
# those chains and touches no other rule. The controller's SSH connection (address
# and port from SSH_CONNECTION) is always exempt, so a heal gets through.
# Arguments: kind=partition|drop, peers=ADDR,ADDR, direction=both|in|out (partition),
# clients=reach|cut (partition), client=ADDR (the probe clients' address, when the
# controller reaches this host through a jump host), loss=N% (drop).

# the run id's CRC (cksum's first field) and the fault id in hex (with printf's
# character code, a builtin): ids that differ only in '.' and '-' get tables of their own
h=$(printf '%s' "$FD_RUN" | cksum)
h=${h%% *}
fd_hex() {
    x=$1
    while [ -n "$x" ]; do
        r=${x#?}
        printf '%02x' "'${x%"$r"}"
        x=$r
    done
}
T=firedrill_${h}_$(fd_hex "$FD_FAULT")
kind=$(fd_arg kind)
direction=$(fd_arg direction)
[ -n "$direction" ] || direction=both

# Peers as IPv4 and IPv6 lists; names are resolved here, on the host.
v4=
v6=
old_ifs=$IFS
IFS=,
for p in $(fd_arg peers); do
    IFS=$old_ifs
    case "$p" in
    '' | *[!0-9A-Za-z.:_-]* | -*) fd_die 2 "invalid peer '$p'" ;;
    *:*) addrs=$p ;;
    *[!0-9.]*) addrs=$(getent ahosts "$p" </dev/null | awk '{ print $1 }' | sort -u) ;;
    *) addrs=$p ;;
    esac
    [ -n "$addrs" ] || fd_die 3 "cannot resolve peer '$p'"
    for a in $addrs; do
        case "$a" in
        *[!0-9A-Fa-f.:]*) fd_die 3 "peer '$p' resolves to '$a', which is not an address" ;;
        esac
        case "$a" in
        *:*) v6="$v6${v6:+, }$a" ;;
        *) v4="$v4${v4:+, }$a" ;;
        esac
    done
    IFS=,
done
IFS=$old_ifs

loss=$(fd_arg loss)
loss=${loss%\%}
# loss as basis points for numgen: 30% -> 3000, 0.5% -> 50
bp=0
[ -z "$loss" ] || bp=$(awk -v l="$loss" 'BEGIN { printf "%d", l * 100 + 0.5 }')

case "$FD_CTRL_IP" in
*:*) ctrl_family=ip6 ;;
'') ctrl_family= ;;
*) ctrl_family=ip ;;
esac
# The probe clients' address for clients=cut: the controller's as this host sees its
# SSH connection, unless the controller says otherwise (client=, when it reaches this
# host through a jump host, whose address is the one SSH_CONNECTION shows).
cl_ip=$FD_CTRL_IP
cl_family=$ctrl_family
if [ -n "$(fd_arg client)" ]; then
    cl_ip=$(fd_arg client)
    case "$cl_ip" in *[!0-9A-Fa-f.:]*) fd_die 2 "client '$cl_ip' is not an address" ;; esac
    case "$cl_ip" in *:*) cl_family=ip6 ;; *) cl_family=ip ;; esac
fi

# Prints the nft ruleset for this fault.
fd_nft_rules() {
    printf '%s\n' "table inet $T {"
    for chain in input output; do
        if [ $chain = input ]; then addr=saddr port=dport; else addr=daddr port=sport; fi
        printf '%s\n' "  chain $chain {"
        printf '%s\n' "    type filter hook $chain priority -10; policy accept;"
        [ -n "$ctrl_family" ] && printf '%s\n' "    $ctrl_family $addr $FD_CTRL_IP tcp $port $FD_CTRL_PORT accept"
        if [ "$kind" = partition ]; then
            if [ "$direction" = both ] || { [ "$direction" = in ] && [ $chain = input ]; } ||
                { [ "$direction" = out ] && [ $chain = output ]; }; then
                [ -n "$v4" ] && printf '%s\n' "    ip $addr { $v4 } drop"
                [ -n "$v6" ] && printf '%s\n' "    ip6 $addr { $v6 } drop"
            fi
            if [ "$(fd_arg clients)" = cut ] && [ -n "$cl_family" ]; then
                printf '%s\n' "    $cl_family $addr $cl_ip drop"
            fi
        elif [ $chain = output ]; then
            if [ -n "$v4$v6" ]; then
                [ -n "$v4" ] && printf '%s\n' "    ip daddr { $v4 } numgen random mod 10000 < $bp drop"
                [ -n "$v6" ] && printf '%s\n' "    ip6 daddr { $v6 } numgen random mod 10000 < $bp drop"
            else
                printf '%s\n' "    numgen random mod 10000 < $bp drop"
            fi
        fi
        printf '%s\n' "  }"
    done
    printf '%s\n' "}"
}

case "$kind" in partition | drop) ;; *) fd_die 2 "unknown kind '$kind'" ;; esac
if [ "$kind" = partition ] && [ -z "$v4$v6" ] && [ "$(fd_arg clients)" != cut ]; then
    fd_die 3 "no peer to cut this host from"
fi

fd_nft_works() {
    command -v nft >/dev/null 2>&1 || return 1
    for _ in 1 2 3; do
        nft list tables </dev/null >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    return 1
}

if fd_nft_works; then
    fd_record <<REVERT
    if nft list table inet $T >/dev/null 2>&1; then nft delete table inet $T || return 1; fi
REVERT
    fd_watchdog
    rules=$(fd_nft_rules)
    if ! err=$(printf '%s\n' "$rules" | nft -f - 2>&1); then
        fd_undo_and_exit 3 "nft refused the rules: $(printf '%s' "$err" | head -n 3 | tr '\n' ' ')"
    fi
    fd_effect
    # a listing that races with another nft transaction can fail for a moment: retry
    i=0
    until nft list table inet "$T" </dev/null >/dev/null 2>&1; do
        i=$((i + 1))
        [ $i -lt 5 ] || fd_die 4 "table inet $T is not loaded"
        sleep 0.1
    done
    printf '%s\n' "verified: rules loaded in nftables table inet $T"
elif command -v iptables >/dev/null 2>&1; then
    [ -z "$v6" ] || fd_die 3 "IPv6 peers need nft (this host has only iptables)"
    C=FD$(printf '%s/%s' "$FD_RUN" "$FD_FAULT" | cksum | cut -d' ' -f1)
    fd_record <<REVERT
    for c in INPUT:${C}I OUTPUT:${C}O; do
        while iptables -w -D \${c%%:*} -j \${c#*:} 2>/dev/null; do :; done
        iptables -w -F \${c#*:} 2>/dev/null
        iptables -w -X \${c#*:} 2>/dev/null
    done
    ! iptables -w -L ${C}I -n >/dev/null 2>&1 && ! iptables -w -L ${C}O -n >/dev/null 2>&1
REVERT
    fd_watchdog
    fd_ipt_apply() {
        iptables -w -N "${C}I" && iptables -w -N "${C}O" || return 1
        if [ -n "$FD_CTRL_IP" ]; then
            iptables -w -A "${C}I" -s "$FD_CTRL_IP" -p tcp --dport "$FD_CTRL_PORT" -j RETURN
            iptables -w -A "${C}O" -d "$FD_CTRL_IP" -p tcp --sport "$FD_CTRL_PORT" -j RETURN
        fi
        old_ifs=$IFS
        IFS=', '
        for a in $v4; do
            IFS=$old_ifs
            if [ "$kind" = partition ]; then
                [ "$direction" = out ] || iptables -w -A "${C}I" -s "$a" -j DROP
                [ "$direction" = in ] || iptables -w -A "${C}O" -d "$a" -j DROP
            else
                iptables -w -A "${C}O" -d "$a" -m statistic --mode random \
                    --probability "$(awk -v b="$bp" 'BEGIN { printf "%.4f", b / 10000 }')" -j DROP
            fi
        done
        IFS=$old_ifs
        if [ "$kind" = drop ] && [ -z "$v4" ]; then
            iptables -w -A "${C}O" -m statistic --mode random \
                --probability "$(awk -v b="$bp" 'BEGIN { printf "%.4f", b / 10000 }')" -j DROP
        fi
        if [ "$kind" = partition ] && [ "$(fd_arg clients)" = cut ] && [ -n "$cl_ip" ]; then
            iptables -w -A "${C}I" -s "$cl_ip" -j DROP
            iptables -w -A "${C}O" -d "$cl_ip" -j DROP
        fi
        iptables -w -I INPUT 1 -j "${C}I" && iptables -w -I OUTPUT 1 -j "${C}O"
    }
    fd_ipt_apply </dev/null >/dev/null 2>&1 || fd_undo_and_exit 3 "iptables refused the rules"
    fd_effect
    printf '%s\n' "verified: rules loaded in iptables chains ${C}I and ${C}O"
else
    fd_die 3 "neither nft nor iptables is installed"
fi
exit 0
