#!/usr/bin/env bash
# scripts/check-format.sh [--fix]: every C file of the project is as clang-format
# writes it with the committed .clang-format (--fix rewrites those that are not), and
# none calls a function banned for its unbounded or unchecked reads of data that may
# come from a host or a report (strtok, atoi, atol, sprintf, vsprintf, strcpy, strcat,
# gets).
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files 'harness/*.[ch]' 'reports/*.[ch]' 'tests/unit/*.[ch]' \
    'tests/fuzz/*.c' 'bench/*.c')
if [ "${1:-}" = --fix ]; then
    clang-format -i "${files[@]}"
    exit 0
fi
if ! clang-format --dry-run --Werror "${files[@]}" 2>/tmp/fd-format.$$; then
    grep -m 20 'error:' /tmp/fd-format.$$ || true
    rm -f /tmp/fd-format.$$
    echo "check-format: these files differ from .clang-format; scripts/check-format.sh --fix rewrites them"
    exit 1
fi
rm -f /tmp/fd-format.$$
echo "check-format: ${#files[@]} files as .clang-format writes them"
if grep -nE '\b(strtok|atoi|atol|sprintf|vsprintf|strcpy|strcat|gets)[[:space:]]*\(' \
    harness/*.[ch] reports/*.[ch]; then
    echo "check-format: banned functions above (use fd_parse_uint, fd_asprintf, fd_buf...)"
    exit 1
fi
