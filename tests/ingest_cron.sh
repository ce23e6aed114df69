#!/usr/bin/env bash
# tests/ingest_cron.sh: ritual.ingest on a pg_cron schedule.  A cluster of its
# own preloads pg_cron (its jobs run in background workers); a lake is
# ingested once by hand, then new files are dropped into it and one of its
# files grows, and a job scheduled every minute must pick them up, exactly
# once, at its next tick (so the test takes up to a minute and a bit).
#
# Needs the extension and pg_cron installed for $PG_CONFIG; starts and stops
# its own cluster (tests/cluster.sh), whatever cluster the caller runs.
# Prints "ok - NAME" or "not ok - NAME: reason" per check, then
# "ingest_cron: N passed, M failed"; exits non-zero if any check failed.
set -u
cd "$(dirname "$0")/.."

DB=ritual_cron
PASSED=0
FAILED=0
pass() { echo "ok - $1"; PASSED=$((PASSED + 1)); }
fail() { echo "not ok - $1: $2"; FAILED=$((FAILED + 1)); }
note() { echo "# $*"; }
sql() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB" "$@"; }

unset PG_BIN CLUSTER_DIR
source tests/cluster.sh
trap cluster_stop EXIT
cron_cluster_start "$DB" "cron.use_background_workers = on
max_worker_processes = 16
cron.log_run = on" || { echo "ingest_cron: 0 passed, 1 failed"; exit 1; }

LAKE="$CLUSTER_DIR/lake"
src/generator/ritual-generate --out "$CLUSTER_DIR/gen" --users 300 --days 20 --seed 5 \
    --events-files 6 >/dev/null
mkdir -p "$LAKE"
for f in "$CLUSTER_DIR"/gen/user_events_00[0-3].csv; do mv "$f" "$LAKE/"; done
gzip "$LAKE/user_events_003.csv"
chmod -R a+rX "$LAKE" "$CLUSTER_DIR/gen"

psql -X -q -d postgres -c "CREATE DATABASE $DB" >/dev/null
sql <<SQL
CREATE EXTENSION ritual;
CREATE EXTENSION pg_cron;
CREATE SERVER files FOREIGN DATA WRAPPER ritual_fdw;
CREATE FOREIGN TABLE events_raw (user_id bigint, event_type text, event_date timestamptz,
    source_file text OPTIONS (meta 'filename'), source_line bigint OPTIONS (meta 'line'))
  SERVER files OPTIONS (path '$LAKE/*.csv*', header 'true', on_error 'skip');
CREATE TABLE events (user_id bigint, event_type text, event_date timestamptz,
    source_file text, source_line bigint);
SQL

first=$(sql -c "SELECT files || ' ' || rows FROM ritual.ingest('events_raw', 'events')")
before=$(sql -c "SELECT count(*) FROM events")
note "by hand: $first (files rows)"

# new files, one of them gzip, and a file that grows
mv "$CLUSTER_DIR"/gen/user_events_00[45].csv "$LAKE/"
gzip "$LAKE/user_events_005.csv"
added=$(($(wc -l <"$LAKE/user_events_004.csv") - 1 + $(zcat "$LAKE/user_events_005.csv" | wc -l) - 1))
for i in $(seq 1 25); do
    echo "$((90000 + i)),share,2024-01-2$((i % 10)) 12:00:00"
done >>"$LAKE/user_events_001.csv"
added=$((added + 25))
chmod -R a+rX "$LAKE"

job=$(sql -c "SELECT cron.schedule('ritual-ingest', '* * * * *', \$\$SELECT ritual.ingest('events_raw', 'events')\$\$)")
start=$(date +%s)
note "job $job scheduled at $(date +%T); waiting for its next minute"

# wait for a run of the job that succeeded, and its batch
status=
for _ in $(seq 150); do
    status=$(sql -c "SELECT string_agg(status, ',' ORDER BY runid) FROM cron.job_run_details WHERE jobid = $job" 2>/dev/null)
    case "$status" in
        *succeeded*|*failed*) break ;;
    esac
    sleep 1
done
waited=$(($(date +%s) - start))
details=$(sql -c "SELECT status || ': ' || coalesce(return_message, '') FROM cron.job_run_details WHERE jobid = $job ORDER BY runid" | tr '\n' ';')
if [[ "$status" != *succeeded* ]]; then
    fail job_ran "after $waited s the job's runs are: '${details:-none}'"
else
    note "the job ran after $waited s: $details"
    pass job_ran
fi
# (a second tick may have come by now; it must have found nothing)
sql -c "SELECT cron.unschedule($job)" >/dev/null

after=$(sql -c "SELECT count(*) FROM events")
rejected=$(sql -c "SELECT count(*) FROM ritual.ingest_rejects WHERE batch = 2")
logged=$(sql -c "SELECT string_agg(batch || ':' || files || ':' || rows, ' ' ORDER BY batch) FROM ritual.ingest_log WHERE target = 'events'::regclass")
if [ "$((after + rejected))" -ne $((before + added)) ]; then
    fail job_took_the_new_rows "the target went from $before to $after rows and $rejected rejects, want +$added; batches (batch:files:rows) $logged"
elif [ "$(sql -c "SELECT files || ' ' || rows + rejects FROM ritual.ingest_log WHERE target = 'events'::regclass AND batch = 2")" != "3 $added" ]; then
    fail job_took_the_new_rows "batch 2 is not the 3 files and $added rows and rejects: $logged"
else
    note "the job took $((after - before)) rows and $rejected rejects"
    pass job_took_the_new_rows
fi

# exactly once: every (file, line) once, the checkpoint and the log agree,
# the same rows as a plain scan, and nothing left for another ingest
check=$(PGOPTIONS='-c client_min_messages=warning' sql -c "SELECT (SELECT count(*) - count(DISTINCT (source_file, source_line)) FROM events) || ' ' ||
                       (SELECT count(*) FROM events) - (SELECT sum(rows) FROM ritual.ingest_files) || ' ' ||
                       (SELECT count(*) FROM events) - (SELECT sum(rows) FROM ritual.ingest_batches) || ' ' ||
                       (SELECT count(*) FROM (SELECT user_id, event_type, event_date, source_file, source_line FROM events_raw
                                              EXCEPT ALL
                                              SELECT user_id, event_type, event_date, source_file, source_line FROM events) d) || ' ' ||
                       (SELECT count(*) FROM (SELECT user_id, event_type, event_date, source_file, source_line FROM events
                                              EXCEPT ALL
                                              SELECT user_id, event_type, event_date, source_file, source_line FROM events_raw) d)")
rest=$(sql -c "SELECT coalesce(batch::text, 'nothing') FROM ritual.ingest('events_raw', 'events')")
if [ "$check" != "0 0 0 0 0" ] || [ "$rest" != nothing ]; then
    fail exactly_once "(duplicates, rows beyond the checkpoint, beyond the log, rows missing, rows extra) = ($check); another ingest took batch $rest"
else
    pass exactly_once
fi

echo "ingest_cron: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
