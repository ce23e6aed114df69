#!/usr/bin/env bash
# tests/check.sh: run every test of ritual.  Installs what is missing (as
# root, on Debian 12), builds and installs the extension, starts a throwaway
# cluster as an unprivileged OS user, runs the pg_regress suites and the
# cluster-level shell tests, stops the cluster, and exits non-zero on any
# failure.
set -euo pipefail
cd "$(dirname "$0")/.."

# As root, the tests run from a copy of the tree in a directory only root can
# enter, as a clone in root's home is: what runs as the server's OS user must
# be copied out of it (tests/cluster.sh), and a script that forgets fails
# here, in CI too.  Output saying the server's user was refused fails too.
if [ "$(id -u)" -eq 0 ] && [ -z "${RITUAL_CHECK_PRIVATE:-}" ]; then
    private=$(mktemp -d "${TMPDIR:-/tmp}/ritual-check.XXXXXX")
    chmod 700 "$private"
    mkdir "$private/ritual"
    # with the git history: tests/upgrade.sh builds release 0.1 from it
    tar -cf - . | tar -xf - -C "$private/ritual"
    echo "check: running from a copy in $private, which only root can enter"
    set +e
    RITUAL_CHECK_PRIVATE=1 bash "$private/ritual/tests/check.sh" "$@" 2>&1 \
        | tee "$private/check.out"
    status=${PIPESTATUS[0]}
    set -e
    summary=$(grep -E '^check: [0-9]+ passed, [0-9]+ failed$' "$private/check.out" | tail -1 || true)
    summary=${summary:-check: 0 passed, 1 failed}
    if grep -E 'could not change directory|Permission denied' "$private/check.out" \
        >"$private/refused.out"; then
        echo "not ok - the server's OS user was refused a directory or file:"
        cat "$private/refused.out"
        failed=$(sed -E 's/.* ([0-9]+) failed$/\1/' <<<"$summary")
        summary="${summary% * failed} $((failed + 1)) failed"
        status=1
    fi
    if [ "$status" -eq 0 ]; then
        rm -rf "$private"
    else
        echo "check: the copy, with the tests' output, is kept in $private"
        echo "$summary"
    fi
    exit "$status"
fi

bash tests/setup.sh
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
export PG_CONFIG
source tests/cluster.sh
trap cluster_stop EXIT
cluster_start
echo "check: cluster on port $PGPORT in $CLUSTER_DIR"

# The suites read tests/data from a copy the server can read; one file is made
# unreadable to prove that a plain EXPLAIN opens no file.
RITUAL_TESTDATA=$(share_with_server tests/data)
chmod 000 "$RITUAL_TESTDATA/unreadable.csv"
# a lake of 365 daily partitions and compressed files
bash tests/make_lake.sh "$RITUAL_TESTDATA"
# a dataset large enough to judge spikes, with two spikes and two drop-offs
src/generator/ritual-generate --out "$RITUAL_TESTDATA/spikes" --users 3000 \
    --days 150 --spike-days 2 --drop-days 2 --seed 11 >/dev/null
chmod -R a+rX "$RITUAL_TESTDATA/spikes"
# and one whose segments behave apart: android users complete fewer rituals,
# users in Brazil churn faster (its manifest says so)
src/generator/ritual-generate --out "$RITUAL_TESTDATA/segments" --users 3000 \
    --days 150 --seed 11 --segment-effects >/dev/null
chmod -R a+rX "$RITUAL_TESTDATA/segments"
export RITUAL_TESTDATA

passed=0
failed=0

set +e
make -s PG_CONFIG="$PG_CONFIG" installcheck 2>&1 | tee "$CLUSTER_DIR/regress.out"
regress_status=${PIPESTATUS[0]}
set -e
suite_ok=$(grep -cE '^(ok|test) .* ok( |$)|^ok [0-9]+ ' "$CLUSTER_DIR/regress.out" || true)
suite_failed=$(grep -cE 'FAILED|failed \(ignored\)|^not ok' "$CLUSTER_DIR/regress.out" || true)
passed=$((passed + suite_ok))
failed=$((failed + suite_failed))
if [ "$regress_status" -ne 0 ]; then
    [ -f regression.diffs ] && cat regression.diffs
    [ "$suite_failed" -gt 0 ] || failed=$((failed + 1))
fi

# shell tests end with a line "NAME: N passed, M failed"
# tests/looker.sh last: it restarts the cluster with TLS on
for t in tests/generator.sh tests/upgrade.sh tests/robustness.sh tests/writing.sh tests/ingest_crash.sh \
         tests/ingest_concurrency.sh tests/ingest_cron.sh tests/doc_examples.sh tests/parquet.sh tests/parquet_read.sh tests/fuzz.sh \
         tests/package.sh tests/load.sh tests/dashboard.sh tests/scale_out.sh tests/looker.sh; do
    set +e
    bash "$t" 2>&1 | tee "$CLUSTER_DIR/shell.out"
    status=${PIPESTATUS[0]}
    set -e
    counts=$(grep -E '^[a-z_]+: [0-9]+ passed, [0-9]+ failed$' "$CLUSTER_DIR/shell.out" | tail -1)
    if [ -n "$counts" ]; then
        passed=$((passed + $(sed -E 's/.*: ([0-9]+) passed.*/\1/' <<<"$counts")))
        failed=$((failed + $(sed -E 's/.* ([0-9]+) failed$/\1/' <<<"$counts")))
    fi
    if [ "$status" -ne 0 ]; then
        echo "check: $t failed"
        [ -n "$counts" ] || failed=$((failed + 1))
    fi
done

echo "check: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
