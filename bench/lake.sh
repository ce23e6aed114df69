#!/usr/bin/env bash
# bench/lake.sh: what partition pruning and compression cost or save.
#
#   bash bench/lake.sh [--events N] [--rounds N]
#
# Generates N events (default 2,000,000) over 365 days with the project's
# generator, writes them as a lake of daily partitions three times (plain,
# gzip, zstd), and prints, as medians over the rounds: a one-day query
# against the whole-lake scan, and the gzip and zstd scans against the plain
# one.  Not part of the test suite: timings depend on the machine.
set -euo pipefail
cd "$(dirname "$0")/.."

events=2000000
rounds=5
while [ $# -gt 0 ]; do
    case "$1" in
        --events) events=$2; shift 2 ;;
        --rounds) rounds=$2; shift 2 ;;
        *) echo "usage: bash bench/lake.sh [--events N] [--rounds N]" >&2; exit 2 ;;
    esac
done

bash tests/setup.sh
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
export PG_CONFIG
source tests/cluster.sh
trap cluster_stop EXIT
cluster_start

data="$CLUSTER_DIR/bench"
mkdir -p "$data"
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
CREATE EXTENSION ritual;
CREATE SERVER lake FOREIGN DATA WRAPPER ritual_fdw OPTIONS (header 'true');
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
all="SELECT count(*), max(user_id), max(event_date), max(length(event_type)) FROM"
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
median() {
    awk -v n="$1" '$1 == n { print $2 }' "$results" | sort -n |
        awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
whole=$(median whole_lake)
printf '%-16s %10s %12s\n' scan "median ms" "ratio"
for name in whole_lake one_day_pruned gzip zstd; do
    ms=$(median "$name")
    printf '%-16s %10.0f %12.3f\n' "$name" "$ms" "$(awk -v a="$ms" -v b="$whole" 'BEGIN { print a / b }')"
done
echo "(ratios are to the whole-lake scan of plain files)"
