#!/usr/bin/env bash
# scripts/install-deps.sh: installs the Debian 12 packages firedrill's build, tests and
# lab need, only those missing, quietly. Safe to run any number of times (as root).
set -euo pipefail

PACKAGES=(
    # build
    gcc make cmake pkg-config
    libssh-dev libyaml-dev libcurl4-openssl-dev libjansson-dev libcmocka-dev
    libhiredis-dev libpq-dev libmariadb-dev libssl-dev zlib1g-dev
    # checks: memory errors, the HTML report in a real browser, the code's format, the
    # scenario schema, Ansible inventories against Ansible's own reading; packaging: man
    # pages from the docs, the .deb and its checks
    valgrind chromium python3 clang-format python3-jsonschema python3-yaml ansible-core
    lowdown man-db dpkg-dev lintian
    # the lab: hosts, their tools and services
    iproute2 util-linux procps openssh-server openssh-client nftables iptables sudo busybox inotify-tools
    debootstrap systemd-container
    redis-server redis-sentinel redis-tools postgresql postgresql-client pgbackrest
    mariadb-server mariadb-client percona-toolkit
    etcd-server etcd-client
    # the lab's monitoring host
    curl prometheus prometheus-alertmanager prometheus-pushgateway prometheus-node-exporter
    prometheus-redis-exporter prometheus-postgres-exporter
)

missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
    echo "install-deps: missing packages: ${missing[*]}; run as root to install them" >&2
    exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
