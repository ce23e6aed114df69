#!/usr/bin/env bash
# tests/check.sh: run every test of ritual.  Installs what is missing (as
# root, on Debian 12), builds and installs the extension, starts a throwaway
# cluster as an unprivileged OS user, runs the pg_regress suites and the
# cluster-level shell tests, stops the cluster, and exits non-zero on any
# failure.
set -euo pipefail
cd "$(dirname "$0")/.."

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
         tests/ingest_concurrency.sh tests/ingest_cron.sh tests/load.sh tests/looker.sh; do
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
