#!/usr/bin/env bash
# bench/history_scale.sh: how analysing and reporting a drill grows with its history,
# 1 M to 10 M recorded operations: the analysis (figures and data loss, in memory, as a
# run computes them) and `firedrill report --format html` (reading history.jsonl and
# drawing the page), each with its time and peak memory (/usr/bin/time). Targets at
# 10 M operations: under 10 s and under 1 GiB.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x build/bench/history_scale ] || scripts/build.sh build
work=$(mktemp -d /tmp/fd-hist.XXXXXX)
trap 'rm -rf "$work"' EXIT
printf '%10s %14s %12s %14s %12s %10s\n' ops analysis_s analysis_MiB report_html_s report_MiB history_MB
for n in ${SIZES:-1000000 2000000 5000000 10000000}; do
    line=$(build/bench/history_scale "$n" "$work/r$n")
    a_s=$(sed -n 's/.*analysis \([0-9.]*\)s.*/\1/p' <<<"$line")
    a_m=$(sed -n 's/.*peak memory \([0-9]*\) MiB.*/\1/p' <<<"$line")
    /usr/bin/time -f '%e %M' -o "$work/time" build/firedrill report "$work/r$n" --format html >/dev/null
    read -r r_s r_k <"$work/time"
    printf '%10s %14s %12s %14s %12s %10s\n' "$n" "$a_s" "$a_m" "$r_s" "$((r_k / 1024))" \
        "$(($(stat -c %s "$work/r$n/history.jsonl") / 1000000))"
    rm -rf "$work/r$n"
done
