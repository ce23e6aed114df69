# tests/run_test.sh: run_test NAME FUNCTION [ARG]...: run one check of a
# shell test and print "ok - NAME", or "not ok - NAME" with the check's
# output; counts in $passed and $failed, scratch output in $work.  Sourced.
# Also ok WHAT, not_ok WHAT and expect WHAT ACTUAL EXPECTED, for checks a
# test decides itself, counted the same way; finish prints the last line,
# "$test_name: N passed, M failed", and fails when a check did; die WHAT
# fails a check and the test at once.
#
# The function runs in a subshell with errexit, so that any failing command
# fails the check: inside "if FUNCTION" errexit would be off, and only the
# function's last command would count.

run_test() {
    local name=$1 status
    shift
    set +e
    (set -e; "$@") >"$work/test.log" 2>&1
    status=$?
    set -e
    if [ "$status" -eq 0 ]; then
        echo "ok - $name"
        passed=$((passed + 1))
    else
        echo "not ok - $name"
        sed 's/^/#   /' "$work/test.log"
        failed=$((failed + 1))
    fi
}

ok() {
    passed=$((passed + 1))
    echo "ok - $*"
}

not_ok() {
    failed=$((failed + 1))
    echo "not ok - $*"
}

expect() {
    if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1: got '$2', expected '$3'"; fi
}

finish() {
    echo "$test_name: $passed passed, $failed failed"
    [ "$failed" -eq 0 ]
}

die() {
    not_ok "$*"
    finish || true
    exit 1
}
