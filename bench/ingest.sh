#!/usr/bin/env bash
# bench/ingest.sh: what ritual.ingest costs next to COPY FROM, and what an
# ingest plus an incremental refresh of the reports costs next to a full
# rebuild.
#
#   bash bench/ingest.sh [--events N] [--report-events N] [--rounds N]
#
# 1. N events (default 2,000,000) with no anomalies in one CSV file: each
#    round COPY FROM the file into a table, and ritual.ingest the same file
#    into an identical table from a fresh checkpoint, alternating; medians
#    and their ratio (goal: ingest <= 1.0 x COPY).
# 2. A generated export of about --report-events events (default 300,000,
#    150 days, with anomalies) as a lake: its first 99% by event time are
#    ingested and the reports built; then the last 1% arrives as a new file,
#    and one ingest plus ritual.refresh_reports is timed against full
#    rebuilds (median of the rounds) of the same data (goal: <= 0.05), and
#    the refreshed tables are compared with the rebuilt ones.
# Not part of the test suite: timings depend on the machine.
set -euo pipefail
cd "$(dirname "$0")/.."

events=2000000
report_events=300000
rounds=5
while [ $# -gt 0 ]; do
    case "$1" in
        --events) events=$2; shift 2 ;;
        --report-events) report_events=$2; shift 2 ;;
        --rounds) rounds=$2; shift 2 ;;
        *) echo "usage: bash bench/ingest.sh [--events N] [--report-events N] [--rounds N]" >&2
           exit 2 ;;
    esac
done

bash tests/setup.sh
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
export PG_CONFIG
source tests/cluster.sh
trap cluster_stop EXIT
cluster_start

data="$CLUSTER_DIR/bench"
mkdir -p "$data/lake/events" "$data/lake/profiles" "$data/staged"
src/generator/ritual-generate --out "$data/copy" --target-events "$events" \
    --days 90 --seed 1 --no-anomalies >/dev/null
src/generator/ritual-generate --out "$data/export" --target-events "$report_events" \
    --days 150 --seed 5 >/dev/null
cp "$data/export/user_profiles.csv" "$data/lake/profiles/"
chown -R postgres: "$data" 2>/dev/null || true
chmod -R a+rwX "$data"
echo "bench: $(($(wc -l <"$data/copy/user_events.csv") - 1)) events for COPY," \
     "$(($(wc -l <"$data/export/user_events.csv") - 1)) events in the report export"

sql() { psql -X -q -At -v ON_ERROR_STOP=1 -v data="$data" "$@"; }
# milliseconds the statements $1 take; an error is shown and fails the bench
time_sql() {
    local out
    out=$(psql -X -q -At -v ON_ERROR_STOP=1 -c '\timing on' -c "$1" 2>&1) \
        || { echo "bench: failed: $1: $out" >&2; return 1; }
    awk '/^Time: / { t += $2 } END { print t }' <<<"$out"
}
median() {
    awk -v n="$1" '$1 == n { print $2 }' "$results" | sort -n |
        awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
results="$CLUSTER_DIR/results"
: >"$results"

sql <<'SQL'
CREATE EXTENSION ritual;
CREATE SERVER bench FOREIGN DATA WRAPPER ritual_fdw OPTIONS (header 'true');
\set copy_file :data '/copy/user_events.csv'
CREATE FOREIGN TABLE copy_source (user_id bigint, event_type text, event_date timestamp)
  SERVER bench OPTIONS (path :'copy_file');
CREATE TABLE by_copy (user_id bigint, event_type text, event_date timestamp);
CREATE TABLE by_ingest (LIKE by_copy);
SQL

# 1. ingest against COPY FROM, alternating
copy_file="$data/copy/user_events.csv"
for round in $(seq "$rounds"); do
    sql -c "TRUNCATE by_copy" -c "CHECKPOINT"
    ms=$(time_sql "COPY by_copy FROM '$copy_file' WITH (FORMAT csv, HEADER)")
    echo "copy $ms" >>"$results"
    sql -c "TRUNCATE by_ingest" -c "DELETE FROM ritual.ingest_streams" -c "CHECKPOINT"
    ms=$(time_sql "SELECT ritual.ingest('copy_source', 'by_ingest')")
    echo "ingest $ms" >>"$results"
done
rows=$(sql -c "SELECT (SELECT count(*) FROM by_copy) || ' ' || (SELECT count(*) FROM by_ingest)")
copy_ms=$(median copy)
ingest_ms=$(median ingest)
printf '%-34s %10s %8s\n' "load of one file" "median ms" "ratio"
printf '%-34s %10.0f %8.3f\n' "COPY FROM" "$copy_ms" 1
printf '%-34s %10.0f %8.3f\n' "ritual.ingest" "$ingest_ms" \
    "$(awk -v a="$ingest_ms" -v b="$copy_ms" 'BEGIN { print a / b }')"
echo "(rows loaded by COPY and by ingest: $rows)"

# 2. the export as a lake: the last 1% of events by time arrives later
sql <<'SQL'
\set export_events :data '/export/user_events.csv'
\set early :data '/lake/events/part-0.csv'
\set late :data '/staged/part-1.csv'
\set manifest_path :data '/export/manifest.json'
CREATE FOREIGN TABLE export_lines (user_id text, event_type text, event_date text,
                                   line bigint OPTIONS (meta 'line'))
  SERVER bench OPTIONS (path :'export_events');
CREATE TEMP TABLE ranked AS
SELECT user_id, event_type, event_date,
       ntile(100) OVER (ORDER BY event_date NULLS FIRST, line) AS percentile, line
  FROM export_lines;
COPY (SELECT user_id, event_type, event_date FROM ranked WHERE percentile < 100 ORDER BY line)
  TO :'early' WITH (FORMAT csv, HEADER);
COPY (SELECT user_id, event_type, event_date FROM ranked WHERE percentile = 100 ORDER BY line)
  TO :'late' WITH (FORMAT csv, HEADER);
\set events_dir :data '/lake/events'
\set profiles_dir :data '/lake/profiles'
SELECT ritual.create_raw_tables(:'events_dir', :'profiles_dir', 'bench') \g /dev/null
CREATE TABLE events (user_id bigint, event_type text, event_date timestamp,
                     source_file text, source_line bigint, errors text);
CREATE TABLE profiles (user_id bigint, signup_date date, country text, platform text,
                       source_file text, source_line bigint, errors text);
SELECT ritual.ingest('ritual.raw_events', 'events') \g /dev/null
SELECT ritual.ingest('ritual.raw_profiles', 'profiles') \g /dev/null
SELECT pg_read_file(:'manifest_path')::jsonb ->> 'reference_time' AS reference \gset
CREATE TABLE bench_settings AS SELECT :'reference'::timestamp AS reference;
SELECT count(*) FROM ritual.build_reports('events', 'profiles',
                                          reference_time => :'reference'::timestamp) \g /dev/null
SQL
mv "$data/staged/part-1.csv" "$data/lake/events/"
reference="(SELECT reference FROM bench_settings)"
incremental_ms=$(time_sql "SELECT ritual.ingest('ritual.raw_events', 'events');
    SELECT count(*) FROM ritual.refresh_reports('events', 'profiles', reference_time => $reference)")
new_rows=$(sql -c "SELECT rows FROM ritual.ingest_log WHERE target = 'events'::regclass ORDER BY batch DESC LIMIT 1")
all_rows=$(sql -c "SELECT count(*) FROM events")

# the refreshed tables, to compare with the rebuilt ones
tables="users enriched_events clean_events sessions daily_activity daily_event_types
        retention_cohorts event_transitions spikes spike_coverage data_quality
        weekly_lifecycle weekly_stickiness monthly_stickiness activity_counts
        funnel_steps funnel_users session_paths path_counts user_paths
        daily_activity_by_segment retention_by_segment segment_cohorts segment_weeks"
for t in $tables; do
    sql -c "CREATE TABLE refreshed_$t AS TABLE ritual.$t"
done
for round in $(seq "$rounds"); do
    ms=$(time_sql "SELECT count(*) FROM ritual.build_reports('events', 'profiles', reference_time => $reference)")
    echo "rebuild $ms" >>"$results"
done
differences=0
for t in $tables; do
    d=$(sql -c "SELECT (SELECT count(*) FROM (TABLE refreshed_$t EXCEPT ALL TABLE ritual.$t) a)
                     + (SELECT count(*) FROM (TABLE ritual.$t EXCEPT ALL TABLE refreshed_$t) b)")
    differences=$((differences + d))
done
rebuild_ms=$(median rebuild)
echo
printf '%-34s %10s %8s\n' "reports after 1% new data" "ms" "ratio"
printf '%-34s %10.0f %8.3f\n' "full rebuild (median)" "$rebuild_ms" 1
printf '%-34s %10.0f %8.3f\n' "ingest + refresh_reports" "$incremental_ms" \
    "$(awk -v a="$incremental_ms" -v b="$rebuild_ms" 'BEGIN { print a / b }')"
echo "(new rows $new_rows of $all_rows; rows differing between refreshed and rebuilt tables: $differences)"
