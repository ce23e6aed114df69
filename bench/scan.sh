#!/usr/bin/env bash
# bench/scan.sh: how fast ritual_fdw reads a raw events file, side by side
# with file_fdw, COPY into a table and DuckDB's read_csv, in one run.
#
#   bash bench/scan.sh [--events N] [--rounds N] [--memory]
#
# Generates N events (default 5,000,000) with the project's generator,
# starts a throwaway cluster, and runs each query on each peer once per
# round, peers alternating, then prints medians and ratios.  Peer
# heap_table runs the queries over a table already loaded: PostgreSQL's own
# cost of the query, the floor under any foreign scan.  --memory also
# compares the backend's peak memory scanning a 100 MB and a 2 GB file.
# Not part of the test suite: timings depend on the machine.
set -euo pipefail
cd "$(dirname "$0")/.."

events=5000000
rounds=5
memory=false
while [ $# -gt 0 ]; do
    case "$1" in
        --events) events=$2; shift 2 ;;
        --rounds) rounds=$2; shift 2 ;;
        --memory) memory=true; shift ;;
        *) echo "usage: bash bench/scan.sh [--events N] [--rounds N] [--memory]" >&2; exit 2 ;;
    esac
done

bash tests/setup.sh
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
export PG_CONFIG
source tests/cluster.sh
trap cluster_stop EXIT
cluster_start
cat >>"$CLUSTER_DIR/data/postgresql.conf" <<CONF
shared_buffers = '1GB'
work_mem = '256MB'
max_parallel_workers_per_gather = 0
jit = off
CONF
server_ctl -D "$CLUSTER_DIR/data" -w restart >/dev/null

# DuckDB from npm, in a scratch folder next to the cluster
duck="$CLUSTER_DIR/duckdb"
source bench/duckdb.sh
duckdb_install "$duck"
cp bench/duckdb_query.mjs "$duck/"

# the data, readable by the server
data="$CLUSTER_DIR/bench"
mkdir -p "$data"
make -s src/generator/ritual-generate >/dev/null
# valid data: file_fdw and COPY stop at the first bad value
src/generator/ritual-generate --out "$data" --target-events "$events" --seed 1 \
    --no-anomalies >/dev/null
file="$data/user_events.csv"
chmod -R a+rX "$data"
size_mb=$(( $(stat -c %s "$file") / 1000000 ))
rows=$(( $(wc -l <"$file") - 1 ))
echo "bench: $rows events, $size_mb MB, $rounds rounds, $(nproc) cores"

psql -X -q -v ON_ERROR_STOP=1 -v file="$file" <<'SQL'
CREATE EXTENSION ritual;
CREATE EXTENSION file_fdw;
CREATE SERVER ritual_files FOREIGN DATA WRAPPER ritual_fdw;
CREATE SERVER plain_files FOREIGN DATA WRAPPER file_fdw;
CREATE FOREIGN TABLE ev_ritual (user_id bigint, event_type text, event_date timestamp)
  SERVER ritual_files OPTIONS (path :'file', header 'true', on_error 'null');
CREATE FOREIGN TABLE ev_file_fdw (user_id bigint, event_type text, event_date timestamp)
  SERVER plain_files OPTIONS (filename :'file', format 'csv', header 'true');
CREATE UNLOGGED TABLE ev_copy (user_id bigint, event_type text, event_date timestamp);
-- the floor: the same queries over a table already loaded
CREATE UNLOGGED TABLE ev_heap (user_id bigint, event_type text, event_date timestamp);
COPY ev_heap FROM :'file' WITH (FORMAT csv, HEADER);
VACUUM ANALYZE ev_heap;
SQL

# one timed statement in a fresh session; prints milliseconds
time_sql() {
    local setup=$1 sql=$2 out
    out=$(psql -X -q -At -c "$setup" -c '\timing on' -c "$sql" 2>&1)
    awk '/^Time: / { t = $2 } END { if (t == "") exit 1; print t }' <<<"$out" ||
        { echo "bench: $sql failed: $out" >&2; return 1; }
}

duck_csv="read_csv('$file', header = true, auto_detect = false,
  columns = {'user_id': 'BIGINT', 'event_type': 'VARCHAR', 'event_date': 'TIMESTAMP'},
  ignore_errors = true)"
time_duck() {
    (cd "$duck" && node duckdb_query.mjs "$1" "$2")
}

queries=(count all_columns dau)
declare -A sql=(
    [count]="SELECT count(*) FROM %s"
    [all_columns]="SELECT count(*), max(user_id), max(event_date), max(length(event_type)) FROM %s"
    [dau]="SELECT count(*) FROM (SELECT event_date::date, count(DISTINCT user_id) FROM %s GROUP BY 1) d"
)
peers=(ritual ritual_2_workers file_fdw copy heap_table duckdb_1_thread duckdb_2_threads)

run_peer() {
    local peer=$1 query=$2 q=${sql[$2]}
    case $peer in
        ritual) time_sql "SET max_parallel_workers_per_gather = 0" "$(printf "$q" ev_ritual)" ;;
        ritual_2_workers) time_sql "SET max_parallel_workers_per_gather = 2" "$(printf "$q" ev_ritual)" ;;
        file_fdw) time_sql "SET max_parallel_workers_per_gather = 0" "$(printf "$q" ev_file_fdw)" ;;
        copy)
            # loading converts every column whatever the query: one figure
            [ "$query" = all_columns ] || return 1
            time_sql "TRUNCATE ev_copy" "COPY ev_copy FROM '$file' WITH (FORMAT csv, HEADER)" ;;
        heap_table) time_sql "SET max_parallel_workers_per_gather = 0" "$(printf "$q" ev_heap)" ;;
        duckdb_1_thread) time_duck 1 "$(printf "$q" "$duck_csv")" ;;
        duckdb_2_threads) time_duck 2 "$(printf "$q" "$duck_csv")" ;;
    esac
}

results="$CLUSTER_DIR/results"
: >"$results"
for round in $(seq "$rounds"); do
    for query in "${queries[@]}"; do
        for peer in "${peers[@]}"; do
            if ms=$(run_peer "$peer" "$query"); then
                echo "$query $peer $ms" >>"$results"
            fi
        done
    done
    echo "bench: round $round of $rounds done" >&2
done

median() {
    awk -v q="$1" -v p="$2" '$1 == q && $2 == p { print $3 }' "$results" | sort -n |
        awk '{ v[NR] = $1 } END { if (NR == 0) exit; print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

echo
echo "ratios below 1 mean ritual_fdw is faster than the peer"
printf '%-12s %-17s %10s %14s %17s\n' query peer "median ms" "ritual/peer" "ritual 2w/peer"
for query in "${queries[@]}"; do
    ritual_ms=$(median "$query" ritual)
    ritual2_ms=$(median "$query" ritual_2_workers)
    for peer in "${peers[@]}"; do
        ms=$(median "$query" "$peer")
        [ -n "$ms" ] || continue
        printf '%-12s %-17s %10.0f %14.2f %17.2f\n' "$query" "$peer" "$ms" \
            "$(awk -v a="$ritual_ms" -v b="$ms" 'BEGIN { print a / b }')" \
            "$(awk -v a="$ritual2_ms" -v b="$ms" 'BEGIN { print a / b }')"
    done
done

# the backend's peak memory (VmHWM) during a scan of all columns
peak_kb() {
    psql -X -q -At -v table="$1" <<'SQL' 2>/dev/null | tail -1
SELECT count(*), max(user_id), max(event_date), max(length(event_type)) FROM :table \g /dev/null
SELECT pg_backend_pid() AS backend_pid \gset
\setenv BACKEND_PID :backend_pid
\! awk '/^VmHWM:/ { print $2 }' /proc/$BACKEND_PID/status
SQL
}
echo
echo "backend peak memory (VmHWM) after an all-columns scan: ritual $(peak_kb ev_ritual) kB, file_fdw $(peak_kb ev_file_fdw) kB"

if $memory; then
    # a 2 GB file made of copies of the data, against a 100 MB one
    big="$data/big.csv"
    small="$data/small.csv"
    head -c 100000000 "$file" | sed '$d' >"$small"
    : >"$big"
    while [ "$(stat -c %s "$big")" -lt 2000000000 ]; do
        tail -n +2 "$file" >>"$big"
    done
    chmod a+r "$big" "$small"
    psql -X -q -v big="$big" -v small="$small" <<'SQL'
CREATE FOREIGN TABLE ev_small (user_id bigint, event_type text, event_date timestamp)
  SERVER ritual_files OPTIONS (path :'small', header 'true', on_error 'null');
CREATE FOREIGN TABLE ev_big (user_id bigint, event_type text, event_date timestamp)
  SERVER ritual_files OPTIONS (path :'big', header 'true', on_error 'null');
SQL
    small_kb=$(peak_kb ev_small)
    big_kb=$(peak_kb ev_big)
    echo "peak memory: 100 MB scan $small_kb kB, 2 GB scan $big_kb kB, difference $((big_kb - small_kb)) kB"
fi
