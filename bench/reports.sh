#!/usr/bin/env bash
# bench/reports.sh: what building the reports costs, next to DuckDB
# computing the same tables from the same files, and what an ingest of 1%
# new data plus ritual.refresh_reports costs next to a full build.
#
#   bash bench/reports.sh [--events N] [--big] [--rounds N] [--huge-pages]
#
# A generated export of N events (default 1,000,000; --big: 10,000,000),
# 180 days, one spike and one drop-off day, seed 5.  Each round, alternating:
#   - ritual.build_reports over foreign tables on the two CSV files;
#   - DuckDB (@duckdb/node-api) building the same tables from the same
#     files with bench/reports_duckdb.sql, with 1 and with 2 threads;
#   - the refresh: the export's first 99% of events by time as a lake,
#     ingested into plain tables (the events with an index on their
#     provenance) and built; then the last 1% arrives as a new file, and
#     one ritual.ingest plus ritual.refresh_reports is timed in a new
#     session (in a transaction rolled back), then again in the same
#     session, where its memory, plans and pages are at hand (kept),
#     then a full build over the same plain tables, and the refreshed
#     tables are compared with the rebuilt ones.
# Prints medians, ratios and the backends' peak memory (VmHWM), and checks
# that DuckDB's tables and ritual's agree (rows per table, DAU/WAU/MAU per
# day, sessions, spikes), so that the comparison is honest.  ritual runs
# without parallel workers (max_parallel_workers_per_gather = 0).  With
# --huge-pages (as root) the server's shared memory is in huge pages, as
# PostgreSQL's documentation advises for large shared_buffers: the pages
# are reserved for the run (vm.nr_hugepages) and given back after it.
# Not part of the test suite: timings depend on the machine.
set -euo pipefail
cd "$(dirname "$0")/.."

events=1000000
rounds=3
huge_pages=false
while [ $# -gt 0 ]; do
    case "$1" in
        --events) events=$2; shift 2 ;;
        --big) events=10000000; shift ;;
        --rounds) rounds=$2; shift 2 ;;
        --huge-pages) huge_pages=true; shift ;;
        *) echo "usage: bash bench/reports.sh [--events N] [--big] [--rounds N] [--huge-pages]" >&2
           exit 2 ;;
    esac
done

bash tests/setup.sh
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
export PG_CONFIG
source tests/cluster.sh
trap cluster_stop EXIT
conf="shared_buffers = '1GB'
work_mem = '64MB'
maintenance_work_mem = '256MB'
max_wal_size = '4GB'"
if $huge_pages; then
    [ "$(id -u)" -eq 0 ] || { echo "bench: --huge-pages reserves huge pages, which needs root" >&2; exit 2; }
    reserved=$(cat /proc/sys/vm/nr_hugepages)
    # 1GB of shared buffers and the rest of the shared memory, 1.25GB in all
    wanted=$((reserved + 1280 * 1024 / $(awk '/^Hugepagesize:/ { print $2 }' /proc/meminfo)))
    trap 'cluster_stop; echo "$reserved" >/proc/sys/vm/nr_hugepages' EXIT
    echo "$wanted" >/proc/sys/vm/nr_hugepages
    [ "$(cat /proc/sys/vm/nr_hugepages)" -ge "$wanted" ] ||
        { echo "bench: could not reserve $wanted huge pages (memory too fragmented?)" >&2; exit 1; }
    conf="$conf
huge_pages = on"
fi
CLUSTER_CONF="$conf" cluster_start

# DuckDB from npm, in a scratch folder next to the cluster
duck="$CLUSTER_DIR/duckdb"
source tests/duckdb.sh
duckdb_install "$duck" bench/duckdb_script.mjs || exit 1

data="$CLUSTER_DIR/bench"
mkdir -p "$data"
make -s src/generator/ritual-generate >/dev/null
src/generator/ritual-generate --out "$data/export" --target-events "$events" --days 180 --seed 5 \
    --spike-days 1 --drop-days 1 >/dev/null
reference=$(sed -n 's/^  "reference_time": "\(.*\)",$/\1/p' "$data/export/manifest.json")
sed -e "s|@EVENTS@|$data/export/user_events.csv|; s|@PROFILES@|$data/export/user_profiles.csv|" \
    -e "s|@REFERENCE@|$reference|g" bench/reports_duckdb.sql >"$duck/reports.sql"
cp bench/reports_check.sql "$duck/check.sql"
chown -R postgres: "$data" 2>/dev/null || true
chmod -R a+rwX "$data"
echo "bench: $(($(wc -l <"$data/export/user_events.csv") - 1)) events," \
     "$(($(wc -l <"$data/export/user_profiles.csv") - 1)) profile rows, reference time $reference," \
     "$rounds rounds, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)," \
     "huge pages $($huge_pages && echo on || echo off)"

sql() { PGOPTIONS="-c client_min_messages=warning" psql -X -q -At -v ON_ERROR_STOP=1 -v data="$data" -v reference="$reference" "$@"; }
# "milliseconds peak_kB" of the statements $1 in a fresh session; an error
# is shown and fails the bench
time_sql() {
    local out
    out=$(psql -X -q -At -v ON_ERROR_STOP=1 -c '\timing on' -c "$1" -c '\timing off' \
          -c "SELECT 'peak ' || (regexp_match(pg_read_file('/proc/self/status'), 'VmHWM:\s*(\d+)'))[1]" 2>&1) \
        || { echo "bench: failed: $1: $out" >&2; return 1; }
    awk '/^Time: / { t += $2 } /^peak / { p = $2 } END { print t, p }' <<<"$out"
}
# "milliseconds milliseconds peak_kB" of the statements $1 in a fresh
# session, in a transaction rolled back, and then again in that session
time_sql_twice() {
    local out
    out=$(psql -X -q -At -v ON_ERROR_STOP=1 -c 'SET client_min_messages = warning' \
               -c 'BEGIN' -c '\timing on' -c "$1" -c '\timing off' -c 'ROLLBACK' \
               -c "SELECT 'again'" -c '\timing on' -c "$1" -c '\timing off' \
               -c "SELECT 'peak ' || (regexp_match(pg_read_file('/proc/self/status'), 'VmHWM:\s*(\d+)'))[1]" 2>&1) \
        || { echo "bench: failed: $1: $out" >&2; return 1; }
    awk '/^again$/ { again = 1 } /^Time: / { if (again) t2 += $2; else t1 += $2 }
         /^peak / { p = $2 } END { print t1, t2, p }' <<<"$out"
}
results="$CLUSTER_DIR/results"
: >"$results"

sql <<'SQL'
CREATE EXTENSION ritual;
\set events_file :data '/export/user_events.csv'
\set profiles_file :data '/export/user_profiles.csv'
SELECT ritual.create_raw_tables(:'events_file', :'profiles_file') \g /dev/null
CREATE TABLE bench_settings AS SELECT :'reference'::timestamp AS reference;
CREATE SERVER bench FOREIGN DATA WRAPPER ritual_fdw OPTIONS (header 'true');
-- the export's last 1% of events by time, for the refresh
\set early :data '/early.csv'
\set late :data '/late.csv'
CREATE TEMP TABLE ranked AS
SELECT user_id, event_type, event_date,
       ntile(100) OVER (ORDER BY event_date NULLS FIRST, line) AS percentile, line
  FROM (SELECT user_id, event_type, event_date, source_line AS line
          FROM ritual.raw_events) e;
COPY (SELECT user_id, event_type, event_date FROM ranked WHERE percentile < 100 ORDER BY line)
  TO :'early' WITH (FORMAT csv, HEADER);
COPY (SELECT user_id, event_type, event_date FROM ranked WHERE percentile = 100 ORDER BY line)
  TO :'late' WITH (FORMAT csv, HEADER);
SQL
reference_sql="(SELECT reference FROM bench_settings)"
tables="users enriched_events clean_events sessions daily_activity daily_event_types
        retention_cohorts event_transitions spikes spike_coverage data_quality
        weekly_lifecycle weekly_stickiness monthly_stickiness activity_counts
        funnel_steps funnel_users session_paths path_counts user_paths
        daily_activity_by_segment retention_by_segment segment_cohorts segment_weeks"

# one round of the refresh: a lake of its own, ingested, built, then the
# last 1% ingested and refreshed (timed), then rebuilt (timed) and compared
refresh_round() {
    local r=$1 lake="$data/lake$1" m differences=0 d t t1 t2 peak
    mkdir -p "$lake/events" "$lake/profiles"
    cp "$data/early.csv" "$lake/events/part-0.csv"
    cp "$data/export/user_profiles.csv" "$lake/profiles/"
    chmod -R a+rwX "$lake"
    sql -v lake="$lake" -v r="$r" <<'SQL'
\set events_dir :lake '/events'
\set profiles_dir :lake '/profiles'
CREATE FOREIGN TABLE lake_events_:r (user_id bigint, event_type text, event_date timestamp,
    source_file text OPTIONS (meta 'filename'), source_line bigint OPTIONS (meta 'line'),
    errors text OPTIONS (meta 'errors'))
  SERVER bench OPTIONS (path :'events_dir', on_error 'null');
CREATE FOREIGN TABLE lake_profiles_:r (user_id bigint, signup_date date, country text,
    platform text, source_file text OPTIONS (meta 'filename'),
    source_line bigint OPTIONS (meta 'line'), errors text OPTIONS (meta 'errors'))
  SERVER bench OPTIONS (path :'profiles_dir', on_error 'null');
CREATE TABLE events_:r (user_id bigint, event_type text, event_date timestamp,
                        source_file text, source_line bigint, errors text);
-- as docs/reporting.md advises: a refresh finds the new rows by this index
CREATE INDEX ON events_:r (source_file, source_line);
CREATE TABLE profiles_:r (user_id bigint, signup_date date, country text, platform text,
                          source_file text, source_line bigint, errors text);
CREATE INDEX ON profiles_:r (source_file, source_line);
SET client_min_messages = warning;
SELECT ritual.ingest('lake_events_' || :'r', 'events_' || :'r') \g /dev/null
SELECT ritual.ingest('lake_profiles_' || :'r', 'profiles_' || :'r') \g /dev/null
SELECT count(*) FROM ritual.build_reports('events_' || :'r', 'profiles_' || :'r',
                                          reference_time => :'reference') \g /dev/null
SQL
    cp "$data/late.csv" "$lake/events/part-1.csv"
    chmod a+rw "$lake/events/part-1.csv"
    m=$(time_sql_twice "SELECT ritual.ingest('lake_events_$r', 'events_$r');
        SELECT count(*) FROM ritual.refresh_reports('events_$r', 'profiles_$r', reference_time => $reference_sql)")
    read -r t1 t2 peak <<<"$m"
    echo "refresh $t1 $peak" >>"$results"
    echo "refresh_again $t2" >>"$results"
    for t in $tables; do
        sql -c "DROP TABLE IF EXISTS refreshed_$t" \
            -c "CREATE TABLE refreshed_$t AS TABLE ritual.$t"
    done
    m=$(time_sql "SET client_min_messages = warning;
        SELECT count(*) FROM ritual.build_reports('events_$r', 'profiles_$r', reference_time => $reference_sql)")
    echo "rebuild $m" >>"$results"
    for t in $tables; do
        d=$(sql -c "SELECT (SELECT count(*) FROM (TABLE refreshed_$t EXCEPT ALL TABLE ritual.$t) a)
                         + (SELECT count(*) FROM (TABLE ritual.$t EXCEPT ALL TABLE refreshed_$t) b)")
        differences=$((differences + d))
    done
    echo "differences $differences" >>"$results"
}

for round in $(seq "$rounds"); do
    m=$(time_sql "SET client_min_messages = warning;
        SELECT count(*) FROM ritual.build_reports(reference_time => $reference_sql)")
    echo "ritual $m" >>"$results"
    echo "duckdb_1 $(cd "$duck" && node duckdb_script.mjs 1 reports.sql)" >>"$results"
    echo "duckdb_2 $(cd "$duck" && node duckdb_script.mjs 2 reports.sql)" >>"$results"
    refresh_round "$round"
    echo "bench: round $round of $rounds done, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
done

# median of column $2 (default 2) of the results named $1
median() {
    awk -v n="$1" -v c="${2:-2}" '$1 == n { print $c }' "$results" | sort -n |
        awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
ritual_ms=$(median ritual)
duck1_ms=$(median duckdb_1)
duck2_ms=$(median duckdb_2)
refresh_ms=$(median refresh)
refresh_again_ms=$(median refresh_again)
rebuild_ms=$(median rebuild)
echo
printf '%-44s %10s %10s %12s\n' "full build of every table" "median ms" "ratio" "peak kB"
printf '%-44s %10.0f %10s %12s\n' "DuckDB, 1 thread" "$duck1_ms" 1.000 ""
printf '%-44s %10.0f %10s %12s\n' "DuckDB, 2 threads" "$duck2_ms" "$(ratio "$duck2_ms" "$duck1_ms")" ""
printf '%-44s %10.0f %10s %12s\n' "ritual.build_reports over the CSV files" "$ritual_ms" \
    "$(ratio "$ritual_ms" "$duck1_ms")" "$(median ritual 3)"
echo "(ritual / DuckDB with 2 threads: $(ratio "$ritual_ms" "$duck2_ms"))"
echo
printf '%-44s %10s %10s %12s\n' "after 1% new data (the latest by time)" "median ms" "ratio" "peak kB"
printf '%-44s %10.0f %10s %12s\n' "full build over the ingested tables" "$rebuild_ms" 1.000 "$(median rebuild 3)"
printf '%-44s %10.0f %10s %12s\n' "ritual.ingest + ritual.refresh_reports" "$refresh_ms" \
    "$(ratio "$refresh_ms" "$rebuild_ms")" "$(median refresh 3)"
printf '%-44s %10.0f %10s\n' "  the same again in that session" "$refresh_again_ms" \
    "$(ratio "$refresh_again_ms" "$rebuild_ms")"
echo "(rows differing between refreshed and rebuilt tables, all rounds: $(awk '$1 == "differences" { s += $2 } END { print s }' "$results"))"

# do DuckDB's tables and ritual's agree?
(cd "$duck" && node duckdb_script.mjs 1 reports.sql check.sql) | tail -n +2 >"$duck/duckdb.out"
sql -c "SELECT count(*) FROM ritual.build_reports(reference_time => $reference_sql)" >/dev/null
sed -e 's/FROM \([a-z_]*\)/FROM ritual.\1/g' bench/reports_check.sql |
    while IFS= read -r q; do sql -F $'\t' -c "$q"; done >"$duck/ritual.out"
echo
if diff "$duck/ritual.out" "$duck/duckdb.out" >"$duck/check.diff"; then
    echo "DuckDB's tables and ritual's agree: rows of every table, DAU/WAU/MAU of every day," \
         "sessions, spikes, lifecycle, stickiness, the default funnel, session paths and the breakdowns by country and platform"
else
    echo "DuckDB's tables and ritual's DIFFER (< ritual, > DuckDB):"
    cat "$duck/check.diff"
fi
echo "load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
