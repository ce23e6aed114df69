#!/usr/bin/env bash
# bench/lake.sh: what partition pruning and compression cost or save.
#
#   bash bench/lake.sh [--events N] [--rounds N] [--only compression|directories]
#
# Part "compression": generates N events (default 2,000,000) over 365 days
# with the project's generator, writes them as a lake of daily partitions
# three times (plain, gzip, zstd), and prints, as medians over the rounds: a
# one-day query against the whole-lake scan, and the gzip and zstd scans
# against the plain one.
#
# Part "directories": how much a query pays for the partitions it does not
# read.  Two CSV lakes, 3,650 daily partitions (event_date=YYYY-MM-DD/) and
# 87,600 hourly ones (event_date=YYYY-MM-DD/hour=HH/), 20 rows a file, and
# the same lakes as Parquet files (written by ritual's INSERT); each
# query runs in one session, once to warm it and then once per round, and
# its time (planning, execution and the round trip, as psql's \timing shows
# it) is the median.  The one-day (one-hour) query on the lake is set beside
# the same query on a table over just that partition's directory, and the
# full scan is shown for scale.
#
# Not part of the test suite: timings depend on the machine.
set -euo pipefail
cd "$(dirname "$0")/.."

events=2000000
rounds=5
only=
while [ $# -gt 0 ]; do
    case "$1" in
        --events) events=$2; shift 2 ;;
        --rounds) rounds=$2; shift 2 ;;
        --only) only=$2; shift 2 ;;
        *) echo "usage: bash bench/lake.sh [--events N] [--rounds N] [--only compression|directories]" >&2
           exit 2 ;;
    esac
done
case "$only" in
    ''|compression|directories) ;;
    *) echo "bench: --only takes compression or directories" >&2; exit 2 ;;
esac

bash tests/setup.sh
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
export PG_CONFIG
source tests/cluster.sh
trap cluster_stop EXIT
cluster_start
data="$CLUSTER_DIR/bench"
mkdir -p "$data"
psql -X -q -v ON_ERROR_STOP=1 <<'SQL'
CREATE EXTENSION ritual;
CREATE SERVER lake FOREIGN DATA WRAPPER ritual_fdw OPTIONS (header 'true');
SQL

median() {      # median NAME: of the times recorded for NAME in $results
    awk -v n="$1" '$1 == n { print $2 }' "$results" | sort -n |
        awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

compression() {
    src/generator/ritual-generate --out "$data/raw" --target-events "$events" \
        --days 365 --seed 1 --no-anomalies >/dev/null
    # one directory per day; the date of an event starts its third field
    awk -F, -v lake="$data/plain" 'NR > 1 {
        day = substr($3, 1, 10); gsub(/"/, "", day)
        if (day !~ /^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]$/) next
        file = lake "/event_date=" day "/part-0.csv"
        if (!(file in seen)) {
            system("mkdir -p \"" lake "/event_date=" day "\"")
            print "user_id,event_type,event_date" > file
            seen[file] = 1
        }
        print > file
    }' "$data/raw/user_events.csv"
    cp -r "$data/plain" "$data/gzip"
    cp -r "$data/plain" "$data/zstd"
    find "$data/gzip" -name '*.csv' -exec gzip {} +
    find "$data/zstd" -name '*.csv' -exec zstd -q --rm {} +
    chmod -R a+rX "$data"
    echo "bench: $(find "$data/plain" -name '*.csv' | wc -l) partitions," \
         "$(du -sm "$data/plain" | cut -f1) MB plain, $(du -sm "$data/gzip" | cut -f1) MB gzip," \
         "$(du -sm "$data/zstd" | cut -f1) MB zstd"

    psql -X -q -v ON_ERROR_STOP=1 -v data="$data" <<'SQL'
\set plain :data '/plain'
\set gzip :data '/gzip'
\set zstd :data '/zstd'
CREATE FOREIGN TABLE ev_plain (user_id bigint, event_type text, event_date date) SERVER lake OPTIONS (path :'plain');
CREATE FOREIGN TABLE ev_gzip (user_id bigint, event_type text, event_date date) SERVER lake OPTIONS (path :'gzip');
CREATE FOREIGN TABLE ev_zstd (user_id bigint, event_type text, event_date date) SERVER lake OPTIONS (path :'zstd');
SQL

    # milliseconds the query $1 takes; an error is shown and fails the bench
    time_sql() {
        local out
        out=$(psql -X -q -At -v ON_ERROR_STOP=1 -c "SET max_parallel_workers_per_gather = 0" \
            -c '\timing on' -c "$1" 2>&1) || { echo "bench: failed: $1: $out" >&2; return 1; }
        awk '/^Time: / { t = $2 } END { print t }' <<<"$out"
    }
    local all="SELECT count(*), max(user_id), max(event_date), max(length(event_type)) FROM"
    declare -A query=(
        [whole_lake]="$all ev_plain"
        [one_day_pruned]="$all ev_plain WHERE event_date = '2024-06-01'"
        [gzip]="$all ev_gzip"
        [zstd]="$all ev_zstd"
    )
    # event_date takes its value from the directory (the day), so '=' prunes
    results="$CLUSTER_DIR/results"
    : >"$results"
    for round in $(seq "$rounds"); do
        for name in whole_lake one_day_pruned gzip zstd; do
            ms=$(time_sql "${query[$name]}")
            echo "$name $ms" >>"$results"
        done
    done
    local whole
    whole=$(median whole_lake)
    printf '%-16s %10s %12s\n' scan "median ms" "ratio"
    for name in whole_lake one_day_pruned gzip zstd; do
        ms=$(median "$name")
        printf '%-16s %10.0f %12.3f\n' "$name" "$ms" "$(awk -v a="$ms" -v b="$whole" 'BEGIN { print a / b }')"
    done
    echo "(ratios are to the whole-lake scan of plain files)"
}

# make_lake DIR HOURS: 3,650 days from 2015-01-01, and HOURS hour=HH
# levels below each day (0: none), a part-0.csv of 20 rows in each leaf
make_lake() {
    local dir=$1 hours=$2
    mkdir -p "$dir"
    (cd "$dir" && awk -v hours="$hours" 'BEGIN {
        split("31 28 31 30 31 30 31 31 30 31 30 31", lengths, " ")
        y = 2015; m = 1; d = 1
        for (day = 0; day < 3650; day++) {
            leaf = sprintf("event_date=%04d-%02d-%02d", y, m, d)
            if (hours == 0) print leaf
            for (h = 0; h < hours; h++) printf "%s/hour=%02d\n", leaf, h
            leap = (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) && m == 2
            if (++d > lengths[m] + leap) { d = 1; if (++m > 12) { m = 1; y++ } }
        }
    }' >leaves && xargs mkdir -p <leaves &&
        awk '{
            file = $0 "/part-0.csv"
            print "user_id,event_type" > file
            for (i = 0; i < 20; i++) print (NR * 20 + i) % 5000 ",app_opened" > file
            close(file)
        }' leaves && rm leaves)
}

directories() {
    make_lake "$data/daily" 0
    make_lake "$data/hourly" 24
    # the same lakes in Parquet, written by ritual's own INSERT
    mkdir -p "$data/daily_pq" "$data/hourly_pq"
    chmod -R a+rwX "$data"
    psql -X -q -v ON_ERROR_STOP=1 -v data="$data" <<'SQL'
\set daily :data '/daily'
\set one_day :data '/daily/event_date=2019-06-01'
\set hourly :data '/hourly'
\set one_hour :data '/hourly/event_date=2019-06-01/hour=13'
CREATE FOREIGN TABLE daily (user_id bigint, event_type text, event_date date) SERVER lake OPTIONS (path :'daily');
CREATE FOREIGN TABLE one_day (user_id bigint, event_type text, event_date date) SERVER lake OPTIONS (path :'one_day');
CREATE FOREIGN TABLE hourly (user_id bigint, event_type text, event_date date, hour int) SERVER lake OPTIONS (path :'hourly');
CREATE FOREIGN TABLE one_hour (user_id bigint, event_type text, event_date date, hour int) SERVER lake OPTIONS (path :'one_hour');
\set daily :data '/daily_pq'
\set one_day :data '/daily_pq/event_date=2019-06-01'
\set hourly :data '/hourly_pq'
\set one_hour :data '/hourly_pq/event_date=2019-06-01/hour=13'
CREATE FOREIGN TABLE daily_pq (user_id bigint, event_type text, event_date date) SERVER lake
  OPTIONS (path :'daily', format 'parquet', partition_by 'event_date');
CREATE FOREIGN TABLE hourly_pq (user_id bigint, event_type text, event_date date, hour int) SERVER lake
  OPTIONS (path :'hourly', format 'parquet', partition_by 'event_date, hour');
INSERT INTO daily_pq SELECT * FROM daily;
INSERT INTO hourly_pq SELECT * FROM hourly;
CREATE FOREIGN TABLE one_day_pq (user_id bigint, event_type text, event_date date) SERVER lake OPTIONS (path :'one_day', format 'parquet');
CREATE FOREIGN TABLE one_hour_pq (user_id bigint, event_type text, event_date date, hour int) SERVER lake OPTIONS (path :'one_hour', format 'parquet');
SQL
    echo "bench: $(find "$data/daily" -name '*.csv' | wc -l) daily and" \
         "$(find "$data/hourly" -name '*.csv' | wc -l) hourly partitions, 20 rows each, as CSV and as" \
         "$(find "$data/daily_pq" "$data/hourly_pq" -name '*.parquet' | wc -l) Parquet files"
    results="$CLUSTER_DIR/results"
    : >"$results"
    # timed NAME QUERY: in one session, once to warm it, then once per round
    timed() {
        { echo '\timing on'; for round in $(seq 0 "$rounds"); do echo "$2;"; done; } |
            psql -X -q -At -v ON_ERROR_STOP=1 >"$CLUSTER_DIR/out" 2>&1 ||
            { echo "bench: failed: $2" >&2; cat "$CLUSTER_DIR/out" >&2; return 1; }
        awk -v n="$1" '/^Time: / && seen++ { print n, $2 }' "$CLUSTER_DIR/out" >>"$results"
    }
    local day="event_date = '2019-06-01'"
    local all="SELECT count(*), max(user_id) FROM"
    local format
    for format in "" _pq; do
        timed "day_lake$format" "$all daily$format WHERE $day"
        timed "day_dir$format" "$all one_day$format WHERE $day"
        timed "day_full$format" "$all daily$format"
        timed "hour_lake$format" "$all hourly$format WHERE $day AND hour = 13"
        timed "hour_dir$format" "$all one_hour$format WHERE $day AND hour = 13"
        timed "hour_full$format" "$all hourly$format"
    done
    printf '%-36s %12s %12s %8s\n' query "lake ms" "one dir ms" ratio
    for format in "" _pq; do
        local name
        name=$([ -z "$format" ] && echo CSV || echo Parquet)
        for unit in day hour; do
            local lake dir
            lake=$(median "${unit}_lake$format")
            dir=$(median "${unit}_dir$format")
            printf '%-36s %12.2f %12.2f %8.2f\n' \
                "$name: one $unit, $([ $unit = day ] && echo 3,650 || echo 87,600) partitions" \
                "$lake" "$dir" "$(awk -v a="$lake" -v b="$dir" 'BEGIN { print a / b }')"
        done
        printf '%-36s %12.2f\n' "$name: full scan, daily lake" "$(median "day_full$format")"
        printf '%-36s %12.2f\n' "$name: full scan, hourly lake" "$(median "hour_full$format")"
    done
    echo "(ratio: the query on the lake to the same query on a table over that one directory)"
}

[ "$only" = directories ] || compression
[ "$only" = compression ] || directories
