# tests/testlib.sh: a tiny harness for the shell tests. Each test is t_begin ... t_end;
# t_fail records a failure; t_done prints "N passed, N failed" and sets the exit code.
T_PASS=0
T_FAILED=0
T_DIR=$(mktemp -d /tmp/fdtest.XXXXXX)
T_OUT=$T_DIR/out
T_ERR=$T_DIR/err
trap 'rm -rf "$T_DIR"' EXIT

t_now_ms() { local t=${EPOCHREALTIME/./}; echo $((t / 1000)); }
t_begin() { T_NAME=$1; T_OK=1; T_T0=$(t_now_ms); }
t_fail() { echo "  FAIL: $T_NAME: $*" >&2; T_OK=0; }
t_end() {
    local ms=$(($(t_now_ms) - T_T0))
    if [ "$T_OK" = 1 ]; then
        T_PASS=$((T_PASS + 1))
        printf 'ok   %s (%d.%03ds)\n' "$T_NAME" $((ms / 1000)) $((ms % 1000))
    else
        T_FAILED=$((T_FAILED + 1))
        echo "FAIL $T_NAME"
    fi
}
t_done() {
    echo "$T_PASS passed, $T_FAILED failed"
    [ "$T_FAILED" = 0 ]
}
# expect_exit CODE COMMAND...: runs it with stdout in $T_OUT and stderr in $T_ERR.
expect_exit() {
    local want=$1 rc
    shift
    "$@" >"$T_OUT" 2>"$T_ERR"
    rc=$?
    [ "$rc" = "$want" ] || t_fail "'$*' exited $rc, expected $want; stderr: $(head -c 600 "$T_ERR")"
}
