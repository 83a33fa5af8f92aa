# agents/disk.sh: fill_disk (after lib.sh). Arguments: path= (a directory), and
# bytes=N or percent=P (fill until the file system is P% used). The fill file lives in
# a directory of firedrill's own, created exclusively (mkdir never follows a link and
# fails on anything already there) with mode 0700, so nothing planted at its
# predictable name is followed or written through. Both are removed at revert.
path=$(fd_arg path)
[ -d "$path" ] || fd_die 3 "'$path' is not a directory"
dir=$path/.firedrill-fill-$FD_RUN-$FD_FAULT
file=$dir/fill
mkdir -m 700 -- "$dir" 2>/dev/null || fd_die 3 "$dir already exists (or cannot be created); not filling through it"
if [ -n "$(fd_arg percent)" ]; then
    set -- $(df -Pk -- "$path" </dev/null | awk 'NR == 2 { print $2, $3 }')
    total_k=${1:-0}
    used_k=${2:-0}
    pct=$(fd_arg percent)
    bytes=$(awk -v t="$total_k" -v u="$used_k" -v p="$pct" 'BEGIN { n = (t * p / 100 - u) * 1024; if (n < 0) n = 0; printf "%.0f", n }')
else
    bytes=$(fd_arg bytes)
fi
case "$bytes" in '' | *[!0-9]*) rmdir -- "$dir"; fd_die 2 "invalid size" ;; esac
fd_record <<REVERT
    if [ -d $(fd_q "$dir") ] && [ ! -L $(fd_q "$dir") ]; then
        rm -f -- $(fd_q "$file") && rmdir -- $(fd_q "$dir") || return 1
    fi
REVERT
fd_watchdog
if [ "$bytes" = 0 ]; then
    fd_effect
    printf '%s\n' "verified: $path is already at least $(fd_arg percent)% used; nothing to fill"
    exit 0
fi
# fallocate is not supported everywhere (tmpfs on old kernels, some NFS): then dd
fd_bounded sh -c 'fallocate -l "$1" -- "$2" 2>/dev/null && exit 0
dd if=/dev/zero of="$2" bs=1048576 count=$((($1 + 1048575) / 1048576)) 2>/dev/null
truncate -s "$1" -- "$2"' fd-fill "$bytes" "$file"
[ $? = 124 ] && fd_undo_and_exit 3 "filling $file did not finish within ${FD_DEADLINE}s; it was stopped and removed"
fd_effect
size=$(stat -c %s -- "$file" 2>/dev/null || printf '0')
if [ "$size" -ge "$bytes" ]; then
    printf '%s\n' "verified: $file holds $size bytes"
else
    fd_die 4 "could only write $size of $bytes bytes to $file (file system full?)"
fi
exit 0
