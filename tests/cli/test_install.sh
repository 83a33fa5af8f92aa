#!/usr/bin/env bash
# tests/cli/test_install.sh FIREDRILL: firedrill as a user installs it: `cmake --install`
# into a scratch prefix, the Debian package CPack builds (lintian with no errors, its
# dependencies, unpacked into a scratch root and run), the manual pages (rendered by
# man without a warning, every command and option of the binary's help in firedrill(1)),
# and bash completion. Touches no host; writes only under a temporary directory.
set -uo pipefail
FD=$(realpath "${1:?usage: test_install.sh FIREDRILL}")
SRC=${FD_SOURCE_DIR:?}
BUILD=$(dirname "$FD")
. "$SRC/tests/testlib.sh"
INV=$SRC/tests/scenarios/lab-inventory.yaml

t_begin "cmake --install puts every file where a user looks for it"
prefix=$T_DIR/prefix
cmake --install "$BUILD" --prefix "$prefix" >"$T_OUT" 2>"$T_ERR" || t_fail "cmake --install: $(cat "$T_ERR")"
for f in bin/firedrill share/man/man1/firedrill.1.gz share/man/man5/firedrill-scenario.5.gz \
    share/man/man5/firedrill-report.5.gz share/bash-completion/completions/firedrill \
    share/firedrill/scenario.schema.json share/firedrill/examples/redis-sentinel-kill-primary.yaml \
    share/doc/firedrill/README.md share/doc/firedrill/scenario.md share/doc/firedrill/copyright \
    share/doc/firedrill/changelog.gz; do
    [ -f "$prefix/$f" ] || t_fail "$f is not installed"
done
n=$(ls "$prefix/share/firedrill/examples" | wc -l)
[ "$n" = "$(ls "$SRC"/scenarios/*.yaml | wc -l)" ] || t_fail "$n examples installed"
"$prefix/bin/firedrill" --version | grep -qx "firedrill [0-9.]*" || t_fail "installed --version"
t_end

t_begin "the .deb: lintian reports no error, its dependencies are the linked libraries, it runs"
pkgdir=$T_DIR/pkg
(cd "$BUILD" && cpack -G DEB -B "$pkgdir" >"$T_OUT" 2>"$T_ERR") || t_fail "cpack: $(tail -5 "$T_OUT" "$T_ERR")"
deb=$(ls "$pkgdir"/firedrill_*.deb 2>/dev/null | head -1)
if [ -z "$deb" ]; then
    t_fail "no .deb built"
else
    lintian --no-tag-display-limit "$deb" >"$T_OUT" 2>&1
    grep '^E: ' "$T_OUT" && t_fail "lintian errors (above)"
    deps=$(dpkg-deb -f "$deb" Depends)
    for lib in libssh-4 libyaml-0-2 libcurl4 libjansson4 libhiredis0.14 libpq5 libmariadb3 zlib1g; do
        [[ $deps == *"$lib"* ]] || t_fail "Depends lacks $lib: $deps"
    done
    # every dependency is a package this machine has: apt could install the .deb
    for d in $(printf '%s\n' "$deps" | tr ',' '\n' | sed 's/[(|].*//; s/ //g'); do
        dpkg-query -W -f='${Status}' "$d" 2>/dev/null | grep -q 'install ok installed' ||
            t_fail "dependency $d is not installed here"
    done
    root=$T_DIR/root
    dpkg-deb -x "$deb" "$root" || t_fail "dpkg-deb -x"
    "$root/usr/bin/firedrill" --version | grep -qx "firedrill [0-9.]*" || t_fail "packaged --version"
    expect_exit 0 "$root/usr/bin/firedrill" validate --inventory "$INV" \
        "$root/usr/share/firedrill/examples/redis-sentinel-kill-primary.yaml" \
        "$root/usr/share/firedrill/examples/postgres-pitr-offsite-restore.yaml"
    [ -f "$root/usr/share/man/man1/firedrill.1.gz" ] || t_fail "no firedrill(1) in the .deb"
fi
t_end

t_begin "the manual pages render without a warning"
# every groff warning about the markup (undefined macros, escapes, characters, fonts,
# numbers, tables...); not "cannot adjust line", which says a long word in a table cell
# left its line short
MAN_WARNINGS=mac,escape,char,font,number,range,missing,input,di,el,scale,tab,reg,right-brace,ig
for page in firedrill.1 firedrill-scenario.5 firedrill-report.5; do
    LC_ALL=C.UTF-8 MANWIDTH=100 man --warnings="$MAN_WARNINGS" -l "$BUILD/man/$page" >"$T_OUT" 2>"$T_ERR" ||
        t_fail "man -l $page failed"
    [ -s "$T_ERR" ] && t_fail "man -l $page warns: $(head -5 "$T_ERR")"
    [ "$(wc -l <"$T_OUT")" -gt 40 ] || t_fail "$page is nearly empty"
done
LC_ALL=C.UTF-8 MANWIDTH=100 man -l "$BUILD/man/firedrill-scenario.5" | grep -q "cut_datacenter" ||
    t_fail "firedrill-scenario(5) lacks the fault table"
t_end

t_begin "firedrill(1) names every command and option of the binary, and no other"
man1=$(LC_ALL=C.UTF-8 MANWIDTH=200 man -l "$BUILD/man/firedrill.1" 2>/dev/null)
commands=$("$FD" help | awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 }')
all_options=
for cmd in $commands; do
    [ "$cmd" = help ] && continue
    grep -q "^ *firedrill $cmd\b" <<<"$man1" || t_fail "firedrill(1) has no usage line for '$cmd'"
    options=$("$FD" help "$cmd" | grep -o -- '--[a-z][a-z-]*' | sort -u)
    for opt in $options; do
        grep -q -- "$opt" <<<"$man1" || t_fail "firedrill(1) does not describe $opt of $cmd"
    done
    all_options="$all_options $options"
done
for opt in $(grep -o -- '--[a-z][a-z-]*' <<<"$man1" | sort -u); do
    [ "$opt" = --version ] && continue
    [[ " $(echo $all_options) " == *" $opt "* ]] || t_fail "firedrill(1) names $opt, which no command takes"
done
for code in 0 1 2 3 4 5; do
    grep -A1 "^ *$code\$" <<<"$man1" | grep -q . || t_fail "exit status $code is not described"
done
t_end

# complete WORDS...: what bash completion offers for the last word
complete_words() {
    bash -c 'shopt -s extglob; . "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1));
             _firedrill; printf "%s\n" "${COMPREPLY[@]}"' _ "$SRC/completions/firedrill" "$@"
}

t_begin "bash completion: commands, options, files, hosts, roles and datacenters"
cd "$T_DIR" && mkdir -p sc && cp "$SRC/scenarios/redis-sentinel-kill-primary.yaml" sc/ && cp "$INV" sc/inv.yaml
[ "$(complete_words "$FD" che)" = check-hosts ] || t_fail "command: $(complete_words "$FD" che)"
complete_words "$FD" "" | grep -qx inventory || t_fail "commands lack inventory"
complete_words "$FD" run --re | grep -qx -- --report-dir || t_fail "run options: $(complete_words "$FD" run --re)"
complete_words "$FD" run --re | grep -qx -- --reason && t_fail "run offers halt's --reason"
complete_words "$FD" run sc/redis | grep -qx sc/redis-sentinel-kill-primary.yaml || t_fail "scenario files"
complete_words "$FD" exec sc/inv.yaml --hosts "" | sort | tr '\n' ' ' | grep -q "^h1 h2 h3 " ||
    t_fail "hosts: $(complete_words "$FD" exec sc/inv.yaml --hosts "")"
[ "$(complete_words "$FD" exec sc/inv.yaml --hosts h1,h)" = "$(printf 'h1,h1\nh1,h2\nh1,h3')" ] ||
    t_fail "a second host: $(complete_words "$FD" exec sc/inv.yaml --hosts h1,h)"
complete_words "$FD" select sc/redis-sentinel-kill-primary.yaml --inventory sc/inv.yaml --role "" |
    grep -qx redis || t_fail "roles: $(complete_words "$FD" select sc/inv.yaml --role "")"
complete_words "$FD" exec sc/inv.yaml --datacenter dc | grep -qx dc-a || t_fail "datacenters"
complete_words "$FD" report --format h | grep -qx html || t_fail "formats"
[ "$(complete_words "$FD" init postgres-)" = postgres-pitr ] || t_fail "templates: $(complete_words "$FD" init postgres-)"
t_end

t_begin "inventory show: the resolved hosts, from an inventory or a scenario"
expect_exit 0 "$FD" inventory show "$INV"
head -1 "$T_OUT" | grep -q "^host *address *datacenter *roles" || t_fail "header: $(head -1 "$T_OUT")"
grep -q "^h1 *10.77.0.11 *dc-a *redis" "$T_OUT" || t_fail "h1: $(cat "$T_OUT")"
expect_exit 0 "$FD" inventory show --inventory "$INV" "$SRC/scenarios/redis-sentinel-kill-primary.yaml"
grep -q "^h3 " "$T_OUT" || t_fail "from a scenario: $(cat "$T_OUT")"
expect_exit 2 "$FD" inventory list "$INV"
grep -q "unknown action 'list'" "$T_ERR" || t_fail "unknown action: $(cat "$T_ERR")"
printf 'hosts: [ { name: h1 }\n' >"$T_DIR/bad.yaml"
expect_exit 2 "$FD" inventory show "$T_DIR/bad.yaml"
grep -q "bad.yaml:[0-9]*:[0-9]*:" "$T_ERR" || t_fail "bad inventory: $(cat "$T_ERR")"
t_end

t_done
