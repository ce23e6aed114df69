# tests/run_test.sh: run_test NAME FUNCTION [ARG]...: run one check of a
# shell test and print "ok - NAME", or "not ok - NAME" with the check's
# output; counts in $passed and $failed, scratch output in $work.  Sourced.
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
