# agents/disk.sh: fill_disk (after lib.sh). Arguments: path= (a directory), and
# bytes=N or percent=P (fill until the file system is P% used). The fill file is
# removed at revert.
path=$(fd_arg path)
[ -d "$path" ] || fd_die 3 "'$path' is not a directory"
file=$path/.firedrill-fill-$FD_RUN-$FD_FAULT
[ -e "$file" ] && fd_die 3 "$file already exists"
if [ -n "$(fd_arg percent)" ]; then
    set -- $(df -Pk -- "$path" </dev/null | awk 'NR == 2 { print $2, $3 }')
    total_k=${1:-0}
    used_k=${2:-0}
    pct=$(fd_arg percent)
    bytes=$(awk -v t="$total_k" -v u="$used_k" -v p="$pct" 'BEGIN { n = (t * p / 100 - u) * 1024; if (n < 0) n = 0; printf "%.0f", n }')
else
    bytes=$(fd_arg bytes)
fi
case "$bytes" in '' | *[!0-9]*) fd_die 2 "invalid size" ;; esac
fd_record <<REVERT
    rm -f -- $(fd_q "$file") || return 1
REVERT
fd_watchdog
if [ "$bytes" = 0 ]; then
    echo "verified: $path is already at least $(fd_arg percent)% used; nothing to fill"
    exit 0
fi
if ! fallocate -l "$bytes" -- "$file" </dev/null 2>/dev/null; then
    # fallocate is not supported everywhere (tmpfs on old kernels, some NFS)
    dd if=/dev/zero of="$file" bs=1048576 count=$(((bytes + 1048575) / 1048576)) </dev/null 2>/dev/null
    truncate -s "$bytes" -- "$file" 2>/dev/null
fi
size=$(stat -c %s -- "$file" 2>/dev/null || echo 0)
if [ "$size" -ge "$bytes" ]; then
    echo "verified: $file holds $size bytes"
else
    fd_die 4 "could only write $size of $bytes bytes to $file (file system full?)"
fi
exit 0
