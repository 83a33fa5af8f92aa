# tests/lab/systemd.sh: the lab's --systemd hosts (sourced by tests/lab/lab).
#
# A --systemd host runs a real systemd as its init: systemd-nspawn boots a Debian 12
# root file system in the host's network namespace, with a volatile overlay (the
# shared tree is read-only, each host writes to its own tmpfs), its own sshd as the
# unit ssh.service and, with redis in --services, Redis as the unit
# redis-server.service (Debian's own unit: Type=notify, Restart=always). The root file
# system is built once with debootstrap and cached in $FIREDRILL_LAB_CACHE (default
# /var/cache/firedrill-lab); it is rebuilt when its recipe below changes.

SYSTEMD_CACHE=${FIREDRILL_LAB_CACHE:-/var/cache/firedrill-lab}
SYSTEMD_PACKAGES=systemd,systemd-sysv,dbus,openssh-server,redis-server,procps,iproute2,nftables,sudo,util-linux
SYSTEMD_RECIPE="bookworm minbase $SYSTEMD_PACKAGES; ssh keys removed; redis disabled; timers masked; v1"

is_systemd_host() { [ "$1" -gt $((HOSTS - ${SYSTEMD_N:-0})) ]; }
systemd_root() { echo "$SYSTEMD_CACHE/bookworm-systemd"; }

# Builds the cached root file system when it is missing or made by another recipe.
systemd_rootfs() {
    local root tmp
    root=$(systemd_root)
    if [ -f "$root/.firedrill-lab-recipe" ] && [ "$(cat "$root/.firedrill-lab-recipe")" = "$SYSTEMD_RECIPE" ]; then
        return 0
    fi
    command -v debootstrap >/dev/null || die "--systemd needs debootstrap (apt-get install debootstrap)"
    mkdir -p "$SYSTEMD_CACHE"
    tmp=$(mktemp -d "$SYSTEMD_CACHE/build.XXXXXX")
    log "building a Debian 12 root file system with systemd for --systemd hosts (once, about 2 minutes): $root"
    debootstrap --variant=minbase --include="$SYSTEMD_PACKAGES" bookworm "$tmp" http://deb.debian.org/debian \
        >"$tmp.log" 2>&1 || die "debootstrap failed (see $tmp.log)"
    # Each host gets its own host key (bound in at boot); Redis is enabled at up with the
    # host's own configuration; periodic jobs that would run inside a drill are masked.
    rm -f "$tmp"/etc/ssh/ssh_host_*
    systemctl --root="$tmp" --quiet disable redis-server.service
    systemctl --root="$tmp" --quiet mask apt-daily.timer apt-daily-upgrade.timer \
        dpkg-db-backup.timer e2scrub_all.timer fstrim.timer systemd-tmpfiles-clean.timer \
        console-getty.service
    rm -rf "$tmp"/var/cache/apt/archives/*.deb "$tmp"/var/lib/apt/lists/*
    echo "$SYSTEMD_RECIPE" >"$tmp/.firedrill-lab-recipe"
    rm -rf "$root" "$tmp.log"
    mv "$tmp" "$root"
}

# The host's sshd settings, read before Debian's own /etc/ssh/sshd_config (the first
# value of a setting wins). PAM stays on, as on a stock Debian host.
write_systemd_sshd_config() {
    local i=$1
    cat >"$(host_dir "$i")/sshd-lab.conf" <<EOF
ListenAddress $(host_ip "$i")
HostKey /etc/ssh/ssh_host_ed25519_key
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
AuthorizedKeysFile /etc/ssh/firedrill-lab-authorized-keys
MaxStartups 200:30:400
MaxSessions 64
LogLevel ERROR
EOF
}

# Redis on a systemd host: Debian's unit runs it supervised, in the foreground, as the
# redis user; h1 is the primary as on the other hosts.
write_systemd_redis_config() {
    local i=$1 d
    d=$(host_dir "$i")/redis
    mkdir -p "$d"
    cat >"$d/redis.conf" <<EOF
bind $(host_ip "$i")
port 6379
protected-mode no
daemonize no
supervised systemd
dir /var/lib/redis
pidfile /run/redis/redis-server.pid
logfile ""
save ""
appendonly no
repl-diskless-sync-delay 0
EOF
    [ "$i" = 1 ] || echo "replicaof $(host_ip 1) 6379" >>"$d/redis.conf"
}

# The process that is pid 1 of a new PID namespace among the descendants of $1.
ns_init_below() {
    local todo=$1 next c
    for _ in 1 2 3 4; do
        next=
        for c in $todo; do
            if grep -Eq '^NSpid:[[:space:]]+[0-9]+[[:space:]]+1$' "/proc/$c/status" 2>/dev/null; then
                echo "$c"
                return 0
            fi
            next="$next $(pgrep -P "$c" 2>/dev/null | tr '\n' ' ')"
        done
        todo=$next
    done
    return 1
}

start_systemd_host() {
    local i=$1 d upid pid binds
    d=$(host_dir "$i")
    write_systemd_sshd_config "$i"
    echo "h$i" >"$d/hostname" # systemd sets the host name from /etc/hostname at boot
    binds=(--bind-ro="$d/etc-hosts:/etc/hosts" --bind-ro="$d/hostname:/etc/hostname"
        --bind-ro="$d/sshd-lab.conf:/etc/ssh/sshd_config.d/firedrill-lab.conf"
        --bind-ro="$d/ssh_host_ed25519_key:/etc/ssh/ssh_host_ed25519_key"
        --bind-ro="$d/ssh_host_ed25519_key.pub:/etc/ssh/ssh_host_ed25519_key.pub"
        --bind-ro="$LAB_DIR/authorized_keys:/etc/ssh/firedrill-lab-authorized-keys"
        --bind="$LAB_DIR/scratch:$LAB_DIR/scratch")
    if has_service redis; then
        write_systemd_redis_config "$i"
        binds+=(--bind-ro="$d/redis/redis.conf:/etc/redis/redis.conf")
    fi
    # --keep-unit and --register=no: the machine's own init need not be systemd.
    # CAP_NET_ADMIN: network faults change the host's own firewall, as root can.
    setsid systemd-nspawn --quiet --boot --directory="$(systemd_root)" --volatile=overlay \
        --machine="fdlab-h$i" --hostname="h$i" --register=no --keep-unit --console=passive \
        --network-namespace-path="/run/netns/$NS_PREFIX""h$i" --capability=CAP_NET_ADMIN \
        "${binds[@]}" >>"$d/init.log" 2>&1 </dev/null &
    upid=$!
    pid=
    for _ in $(seq 1 200); do
        pid=$(ns_init_below "$upid") && break
        sleep 0.05
    done
    [ -n "$pid" ] || die "systemd host h$i did not start (see $d/init.log)"
    echo "$pid" >"$d/init.pid"
    proc_start "$pid" >"$d/init.start"
}

# After sshd answers: the host's boot has finished (or says what failed), and Redis is
# enabled and started as a unit.
systemd_host_ready() {
    local i=$1 state
    state=$(in_host "$i" systemctl is-system-running --wait 2>/dev/null) || true
    case "$state" in
    running) ;;
    *) die "systemd on h$i is '$state': $(in_host "$i" systemctl --failed --no-legend --plain 2>&1 | tr '\n' ' ')" ;;
    esac
    if has_service redis; then
        in_host "$i" systemctl enable --now --quiet redis-server.service ||
            die "redis-server.service did not start on h$i: $(in_host "$i" systemctl status --no-pager redis-server 2>&1 | tail -5)"
    fi
}
