# tests/checks.sh: counting the checks of a shell test; sourced.
#
# pass NAME and fail NAME print "ok - NAME" or "not ok - NAME" and count
# them; checks_summary TEST prints the line tests/check.sh sums up, "TEST: N
# passed, M failed", and fails if any check failed.
PASSED=0
FAILED=0
pass() { echo "ok - $1"; PASSED=$((PASSED + 1)); }
fail() { echo "not ok - $1"; FAILED=$((FAILED + 1)); }
checks_summary() {
    echo "$1: $PASSED passed, $FAILED failed"
    [ "$FAILED" -eq 0 ]
}
