#!/usr/bin/env bash
# bench/parquet.sh: how fast ritual_fdw reads and writes Parquet, side by side with
# its own CSV scan of the same rows and DuckDB, in one run.
#
#   bash bench/parquet.sh [--events N] [--rounds N] [--memory]
#
# Generates N events (default 5,000,000) over 365 days with the project's
# generator; DuckDB parses them once and writes the same rows as one snappy
# Parquet file, as a 365-day Hive-partitioned Parquet lake, as CSV, and
# sorted by time as Parquet and CSV (bench/parquet_data.mjs).  Starts a
# throwaway cluster and runs each query on each peer once per round, peers
# alternating, then prints medians, ratios, and the issue's goals next to
# what was measured.  A peer with no file at all shows PostgreSQL's own
# floor: the same rows in a table, read from shared buffers by a session
# that has read them once, through the same executor and aggregates.
# Goals:
#   - all columns: ritual over Parquet at most 1.0x DuckDB with 1 thread,
#     and at most 0.5x ritual's own CSV scan of the same rows;
#   - one day of the time-sorted file: at most 0.1x the full scan of it;
#   - writing the rows as a 365-day partitioned Parquet lake: ritual's
#     INSERT at most 1.5x DuckDB's COPY ... PARTITION_BY with 1 thread;
#   - (ours) all columns no slower than the same rows in a PostgreSQL table;
#   - with --memory, the backend's peak memory (VmHWM) scanning a 100 MB
#     and a 2 GB Parquet file: flat.
# Until ritual_fdw reads Parquet the ritual Parquet peers are skipped, with
# a message, and the CSV and DuckDB parts run alone.
# Not part of the test suite: timings depend on the machine.
set -euo pipefail
cd "$(dirname "$0")/.."

source bench/rounds.sh
bench_options bench/parquet.sh "$@"

bash tests/setup.sh
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
export PG_CONFIG
source tests/cluster.sh
source tests/duckdb.sh
CLUSTER_CONF="shared_buffers = '1GB'
work_mem = '256MB'
jit = off"
trap cluster_stop EXIT
cluster_start

# DuckDB from npm, in a scratch folder next to the cluster
duck="$CLUSTER_DIR/duckdb"
duckdb_install "$duck" bench/duckdb_query.mjs bench/parquet_data.mjs >&2 ||
    { echo "bench: DuckDB is needed" >&2; exit 1; }

# the data, readable by the server
data="$CLUSTER_DIR/bench"
mkdir -p "$data"
make -s src/generator/ritual-generate >/dev/null
src/generator/ritual-generate --out "$data/raw" --target-events "$events" --days 365 --seed 1 \
    --no-anomalies >/dev/null
rows=$(cd "$duck" && node parquet_data.mjs "$data/raw/user_events.csv" "$data" $($memory && echo 2000)) ||
    { echo "bench: DuckDB could not write the data" >&2; exit 1; }
rm -rf "$data/raw"
chmod -R a+rX "$data"
mb() { echo "$(( $(du -sb "$1" | cut -f1) / 1000000 )) MB"; }
echo "bench: $rows events: Parquet $(mb "$data/events.parquet"), lake of" \
     "$(find "$data/lake" -name '*.parquet' | wc -l) files $(mb "$data/lake"), CSV $(mb "$data/events.csv");" \
     "$rounds rounds, $(nproc) cores"

psql -X -q -v ON_ERROR_STOP=1 -v data="$data" <<'SQL'
CREATE EXTENSION ritual;
CREATE SERVER ritual_files FOREIGN DATA WRAPPER ritual_fdw;
\set f :data '/events.parquet'
CREATE FOREIGN TABLE ev_pq (user_id bigint, event_type text, event_date timestamp)
  SERVER ritual_files OPTIONS (path :'f');
\set f :data '/events_sorted.parquet'
CREATE FOREIGN TABLE ev_pq_sorted (user_id bigint, event_type text, event_date timestamp)
  SERVER ritual_files OPTIONS (path :'f');
\set f :data '/lake'
CREATE FOREIGN TABLE ev_lake (user_id bigint, event_type text, event_date timestamp, event_day date)
  SERVER ritual_files OPTIONS (path :'f');
\set f :data '/events.csv'
CREATE FOREIGN TABLE ev_csv (user_id bigint, event_type text, event_date timestamp)
  SERVER ritual_files OPTIONS (path :'f', header 'true');
\set f :data '/events_sorted.csv'
CREATE FOREIGN TABLE ev_csv_sorted (user_id bigint, event_type text, event_date timestamp)
  SERVER ritual_files OPTIONS (path :'f', header 'true');
-- the floor: the same rows in PostgreSQL tables, read from shared buffers
CREATE TABLE ev_table AS SELECT * FROM ev_csv;
CREATE TABLE ev_table_sorted AS SELECT * FROM ev_csv_sorted;
VACUUM ANALYZE ev_table, ev_table_sorted;
-- what write_lake writes into
\set f :data '/written/ritual_parquet'
CREATE FOREIGN TABLE ev_write_parquet (user_id bigint, event_type text, event_date timestamp,
    event_day date)
  SERVER ritual_files OPTIONS (path :'f', format 'parquet', partition_by 'event_day');
\set f :data '/written/ritual_csv'
CREATE FOREIGN TABLE ev_write_csv (user_id bigint, event_type text, event_date timestamp,
    event_day date)
  SERVER ritual_files OPTIONS (path :'f', header 'true', partition_by 'event_day');
SQL

# Does ritual_fdw read Parquet yet?  If not, its Parquet peers are skipped.
parquet=true
got=$(psql -X -q -At -c "SELECT count(*) FROM ev_pq" 2>&1 | head -n 1) || true
if [ "$got" != "$rows" ]; then
    parquet=false
    echo "bench: ritual_fdw does not read Parquet yet (a scan of events.parquet gave: $got);" \
         "the ritual Parquet peers are skipped, the CSV and DuckDB ones run"
fi

day="event_date >= '2024-06-01' AND event_date < '2024-06-02'"
queries=(count all_columns dau one_day sorted_full write_lake)
declare -A sql=(
    [count]="SELECT count(*) FROM %s"
    [all_columns]="SELECT count(*), max(user_id), max(event_date), max(length(event_type)) FROM %s"
    [dau]="SELECT count(*) FROM (SELECT event_date::date, count(DISTINCT user_id) FROM %s GROUP BY 1) d"
    # on the time-sorted files: one day, and the same query over all days
    [one_day]="SELECT count(*), count(DISTINCT user_id) FROM %s WHERE $day"
    [sorted_full]="SELECT count(*), count(DISTINCT user_id) FROM %s"
)
peers=(ritual_parquet ritual_parquet_lake ritual_csv postgres_table duckdb_1_thread duckdb_2_threads
       duckdb_lake_1_thread)
$parquet || peers=(ritual_csv postgres_table duckdb_1_thread duckdb_2_threads duckdb_lake_1_thread)

pq="read_parquet('$data/events.parquet')"
pq_sorted="read_parquet('$data/events_sorted.parquet')"
pq_lake="read_parquet('$data/lake/**/*.parquet', hive_partitioning = true)"
# the relation a peer reads for a query: the sorted files for the one-day
# queries, the lake for every query but the full scan of sorted files
relation() {
    local peer=$1 query=$2 sorted=false
    case $query in one_day|sorted_full) sorted=true ;; esac
    case $peer in
        ritual_parquet) $sorted && echo ev_pq_sorted || echo ev_pq ;;
        ritual_csv) $sorted && echo ev_csv_sorted || echo ev_csv ;;
        postgres_table) $sorted && echo ev_table_sorted || echo ev_table ;;
        ritual_parquet_lake) [ "$query" != sorted_full ] && echo ev_lake ;;
        duckdb_1_thread|duckdb_2_threads) $sorted && echo "$pq_sorted" || echo "$pq" ;;
        duckdb_lake_1_thread) [ "$query" != sorted_full ] && echo "$pq_lake" ;;
    esac
}
# write_lake: the rows written as a lake of 365 daily partitions, by
# ritual's INSERT (from the table) and DuckDB's COPY ... PARTITION_BY (from
# the Parquet file), into an emptied directory; ritual's time includes its
# COMMIT, which writes the footers and syncs the files
written="$data/written"
write_peer() {
    local peer=$1 dir="$written/$1"
    rm -rf "$dir"
    mkdir -p "$dir"
    chmod 777 "$dir"
    [ "$(id -u)" -ne 0 ] || chown postgres "$dir"
    case $peer in
        ritual_parquet|ritual_csv)
            time_sql "SET max_parallel_workers_per_gather = 0" \
                "INSERT INTO ev_write_${peer#ritual_} SELECT *, event_date::date FROM ev_table" ;;
        duckdb_1_thread)
            time_duck 1 "COPY (SELECT *, event_date::date AS event_day FROM $pq)
                         TO '$dir' (FORMAT parquet, PARTITION_BY (event_day), OVERWRITE_OR_IGNORE)" ;;
        *) return 1 ;;
    esac
}
run_peer() {
    local peer=$1 query=$2 from
    [ "$query" != write_lake ] || { write_peer "$peer"; return; }
    from=$(relation "$peer" "$query") || return 1
    [ -n "$from" ] || return 1
    case $peer in
        ritual_*)
            time_sql "SET max_parallel_workers_per_gather = 0" "$(printf "${sql[$query]}" "$from")" ;;
        # timed on its second run in the session: a fresh session first maps
        # each shared buffer it touches, which on a VM can cost more than
        # the scan itself, and the table stands for the executor's floor
        postgres_table)
            time_sql "SET max_parallel_workers_per_gather = 0; $(printf "${sql[$query]}" "$from")" \
                     "$(printf "${sql[$query]}" "$from")" ;;
        duckdb_1_thread|duckdb_lake_1_thread) time_duck 1 "$(printf "${sql[$query]}" "$from")" ;;
        duckdb_2_threads) time_duck 2 "$(printf "${sql[$query]}" "$from")" ;;
    esac
}

results="$CLUSTER_DIR/results"
run_rounds "$rounds" "$results"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b == 0) print "-"; else printf "%.2f", a / b }'; }

# medians, each next to ritual over Parquet (or, without it, ritual over CSV)
base=ritual_parquet
$parquet || base=ritual_csv
echo
echo "ratios below 1 mean $base is faster than the peer"
printf '%-12s %-22s %10s %14s\n' query peer "median ms" "$base/peer"
for query in "${queries[@]}"; do
    base_ms=$(median "$results" "$query" "$base")
    for peer in "${peers[@]}"; do
        ms=$(median "$results" "$query" "$peer")
        [ -n "$ms" ] || continue
        printf '%-12s %-22s %10.0f %14s\n' "$query" "$peer" "$ms" "$(ratio "$base_ms" "$ms")"
    done
done

# the goals of issue 13, next to what was measured
goal() {
    local what=$1 value=$2 limit=$3
    if [ "$value" = "-" ]; then
        printf '  %-68s %8s  (goal <= %s)\n' "$what" "-" "$limit"
    else
        printf '  %-68s %8s  (goal <= %s) %s\n' "$what" "$value" "$limit" \
            "$(awk -v v="$value" -v l="$limit" 'BEGIN { print (v <= l) ? "met" : "NOT MET" }')"
    fi
}
echo
echo "goals:"
if $parquet; then
    goal "all columns: ritual Parquet / DuckDB 1 thread" \
        "$(ratio "$(median "$results" all_columns ritual_parquet)" "$(median "$results" all_columns duckdb_1_thread)")" 1.0
    goal "all columns: ritual Parquet / ritual CSV of the same rows" \
        "$(ratio "$(median "$results" all_columns ritual_parquet)" "$(median "$results" all_columns ritual_csv)")" 0.5
    goal "all columns: ritual Parquet / the rows in a PostgreSQL table (ours)" \
        "$(ratio "$(median "$results" all_columns ritual_parquet)" "$(median "$results" all_columns postgres_table)")" 1.0
    goal "one day / full scan, time-sorted Parquet file" \
        "$(ratio "$(median "$results" one_day ritual_parquet)" "$(median "$results" sorted_full ritual_parquet)")" 0.1
    goal "write the 365-day lake: ritual Parquet INSERT / DuckDB COPY 1 thread (issue 15)" \
        "$(ratio "$(median "$results" write_lake ritual_parquet)" "$(median "$results" write_lake duckdb_1_thread)")" 1.5
    files() { find "$written/$1" -type f ! -name '.*' | wc -l; }
    echo "  files written for 365 partitions: ritual Parquet $(files ritual_parquet)," \
         "ritual CSV $(files ritual_csv), DuckDB $(files duckdb_1_thread)"
else
    echo "  skipped: ritual_fdw does not read Parquet yet"
fi

echo
echo "backend peak memory (VmHWM) after an all-columns scan: ritual CSV $(peak_kb ev_csv) kB" \
     "$($parquet && echo ", ritual Parquet $(peak_kb ev_pq) kB")"
if $memory; then
    if $parquet; then
        psql -X -q -v small="$data/small.parquet" -v big="$data/big.parquet" <<'SQL'
CREATE FOREIGN TABLE ev_small (user_id bigint, event_type text, event_date timestamp)
  SERVER ritual_files OPTIONS (path :'small');
CREATE FOREIGN TABLE ev_big (user_id bigint, event_type text, event_date timestamp)
  SERVER ritual_files OPTIONS (path :'big');
SQL
        small_kb=$(peak_kb ev_small)
        big_kb=$(peak_kb ev_big)
        echo "peak memory: $(mb "$data/small.parquet") Parquet scan $small_kb kB," \
             "$(mb "$data/big.parquet") Parquet scan $big_kb kB, difference $((big_kb - small_kb)) kB (goal: flat)"
    else
        echo "peak memory of Parquet scans: skipped, ritual_fdw does not read Parquet yet"
    fi
fi
