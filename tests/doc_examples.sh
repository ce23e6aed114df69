#!/usr/bin/env bash
# tests/doc_examples.sh: the SQL examples of README.md and docs/*.md, run.
# Each document's ```sql blocks run in order in one psql session, in a fresh
# database named analytics, against the demo's export; a block that fails,
# or prints other than the ```text block shown after it, fails the test
# (tests/doc_examples.pl; the conventions are in docs/testing.md).
#
# Starts and stops its own cluster (tests/cluster.sh), with pg_cron
# preloaded as docs/ingest.md sets it up.  Paths in the examples that start
# with /srv/ are read in a sandbox that the server's OS user owns:
#   /srv/exports/events/user_events.csv, /srv/exports/profiles/user_profiles.csv
#       the demo's export (tests/demo.sh: 3000 users, 150 days, seed 11)
#   /srv/lake/events/event_date=YYYY-MM-DD/part-0.csv
#       its events with a valid date, as a lake partitioned by day
#   /srv/lake/clean/, /srv/lake/clean_parquet/, /srv/lake/parquet_doc/
#       empty directories, for the examples of writing a lake (README.md,
#       docs/parquet.md)
#   /srv/parquet/part-0.parquet
#       tests/data/parquet/row_groups.parquet
# Prints "ok - DOC:LINE" or "not ok - DOC:LINE: reason" per block, then
# "doc_examples: N passed, M failed"; exits non-zero if any block failed.
set -u
cd "$(dirname "$0")/.."

unset PG_BIN CLUSTER_DIR
source tests/cluster.sh
trap cluster_stop EXIT
# pg_cron as docs/ingest.md sets it up; little WAL, as the builds write much
cron_cluster_start analytics "wal_level = minimal
max_wal_senders = 0" || { echo "doc_examples: 0 passed, 1 failed"; exit 1; }

stage="$CLUSTER_DIR/stage"
mkdir "$stage"
src/generator/ritual-generate --out "$stage/demo" --users 3000 --days 150 \
    --spike-days 1 --drop-days 1 --seed 11 >/dev/null
mkdir -p "$stage/srv/exports/events" "$stage/srv/exports/profiles" "$stage/srv/lake/events" \
    "$stage/srv/lake/clean" "$stage/srv/lake/clean_parquet" "$stage/srv/lake/parquet_doc" \
    "$stage/srv/parquet"
mv "$stage/demo/user_events.csv" "$stage/srv/exports/events/"
mv "$stage/demo/user_profiles.csv" "$stage/srv/exports/profiles/"
# the lake: user_id and event_type of the rows whose event_date starts with a
# valid date, in the directory of their day
tail -n +2 "$stage/srv/exports/events/user_events.csv" \
    | grep -E '^[0-9]+,[a-z_]+,[0-9]{4}-[0-9]{2}-[0-9]{2}' | sort -t, -k3,3 \
    | awk -F, 'BEGIN { split("31 29 31 30 31 30 31 31 30 31 30 31", days, " ") } {
        day = substr($3, 1, 10)
        y = substr(day, 1, 4) + 0; m = substr(day, 6, 2) + 0; d = substr(day, 9, 2) + 0
        leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
        if (m >= 1 && m <= 12 && d >= 1 && d <= days[m] && (m != 2 || d < 29 || leap))
            print day "," $1 "," $2
    }' >"$stage/lake.csv"
cut -d, -f1 "$stage/lake.csv" | uniq | sed "s|^|$stage/srv/lake/events/event_date=|" | xargs mkdir -p
awk -F, -v lake="$stage/srv/lake/events" '$1 != day {
        if (file != "") close(file)
        day = $1
        file = lake "/event_date=" day "/part-0.csv"
        print "user_id,event_type" > file
    } { print $2 "," $3 > file }' "$stage/lake.csv"
cp tests/data/parquet/row_groups.parquet "$stage/srv/parquet/part-0.parquet"
give_to_server "$CLUSTER_DIR/doc" "$stage/srv"
rm -rf "$stage"

echo "# the cluster and the demo's data: $SECONDS s"

passed=0
failed=0
not_run=0
for doc in README.md docs/*.md; do
    grep -q '^ *```sql' "$doc" || continue
    start=$SECONDS
    PGOPTIONS='-c client_min_messages=warning' psql -X -q -d postgres -v ON_ERROR_STOP=1 \
        -c 'DROP DATABASE IF EXISTS analytics WITH (FORCE)' -c 'CREATE DATABASE analytics' \
        || { echo "not ok - $doc: no fresh database"; failed=$((failed + 1)); continue; }
    perl tests/doc_examples.pl "$doc" "$CLUSTER_DIR/doc" | tee "$CLUSTER_DIR/doc.out" \
        | grep -v '^BLOCKS '
    counts=$(grep -E '^BLOCKS [0-9]+ passed, [0-9]+ failed, [0-9]+ not run$' "$CLUSTER_DIR/doc.out")
    if [ -z "$counts" ]; then
        echo "not ok - $doc: tests/doc_examples.pl did not finish"
        failed=$((failed + 1))
        continue
    fi
    read -r p f n <<<"$(sed -E 's/^BLOCKS ([0-9]+) passed, ([0-9]+) failed, ([0-9]+) not run$/\1 \2 \3/' <<<"$counts")"
    passed=$((passed + p))
    failed=$((failed + f))
    not_run=$((not_run + n))
    echo "# $doc: $((SECONDS - start)) s"
done

# dropped, its pages are not written at the shutdown checkpoint
psql -X -q -d postgres -c 'DROP DATABASE IF EXISTS analytics WITH (FORCE)'
echo "# $not_run blocks marked not run; $SECONDS s in all"
echo "doc_examples: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
