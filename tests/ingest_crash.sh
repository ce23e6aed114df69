#!/usr/bin/env bash
# tests/ingest_crash.sh: run the TAP test tests/ingest_crash.pl (ritual.ingest
# killed with SIGKILL 20 times, then exactly once) with prove.
#
# PostgreSQL::Test::Cluster runs initdb and postgres as the current user,
# which PostgreSQL refuses as root; as root the test runs as the OS user
# "postgres" (tests/cluster.sh, run_as_server), with the test and the
# generator copied to a temporary directory of its own.  The test makes its
# own cluster with $PG_CONFIG's binaries and the extension installed there.
# Prints prove's verbose output, then "ingest_crash: N passed, M failed";
# exits non-zero if any check failed.
set -u
cd "$(dirname "$0")/.."

PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
BINDIR=$($PG_CONFIG --bindir)
PGXS_DIR=$($PG_CONFIG --pkglibdir)/pgxs
PERL_LIB=$PGXS_DIR/src/test/perl
PG_REGRESS=$PGXS_DIR/src/test/regress/pg_regress

if [ ! -f "$PERL_LIB/PostgreSQL/Test/Cluster.pm" ] || [ ! -x "$PG_REGRESS" ]; then
    echo "not ok - ingest_crash: no PostgreSQL::Test::Cluster or pg_regress under $PGXS_DIR"
    echo "ingest_crash: 0 passed, 1 failed"
    exit 1
fi

source tests/cluster.sh
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ritual-ingest-crash.XXXXXX")
chmod 755 "$WORK"
trap 'rm -rf "$WORK"' EXIT
give_to_server "$WORK" tests/ingest_crash.pl src/generator/ritual-generate

run_as_server env PATH="$BINDIR:$PATH" PG_REGRESS="$PG_REGRESS" \
    TESTDIR="$WORK" RITUAL_GENERATOR="$WORK/ritual-generate" \
    ${RITUAL_CRASH_SEED:+RITUAL_CRASH_SEED=$RITUAL_CRASH_SEED} \
    ${RITUAL_CRASH_SABOTAGE:+RITUAL_CRASH_SABOTAGE=$RITUAL_CRASH_SABOTAGE} \
    prove -v -I "$PERL_LIB" "$WORK/ingest_crash.pl" 2>&1 | tee "$WORK/prove.out"
status=${PIPESTATUS[0]}

passed=$(grep -cE '^ok [0-9]+' "$WORK/prove.out")
failed=$(grep -cE '^not ok [0-9]+' "$WORK/prove.out")
if [ "$status" -ne 0 ]; then
    # the server log tells why, when the test died early
    find "$WORK/tmp_check" -name '*.log' -path '*log*' -exec tail -n 30 {} + 2>/dev/null | tail -n 60
    [ "$failed" -gt 0 ] || failed=1
fi
echo "ingest_crash: $passed passed, $failed failed"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
