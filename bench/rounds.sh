# bench/rounds.sh: what bench/scan.sh and bench/parquet.sh share: their
# options, timing a query in ritual or DuckDB, rounds of alternating peers,
# medians, and the backend's peak memory; sourced.  The timing functions
# need a cluster (tests/cluster.sh) and $duck, the folder DuckDB was
# installed in (tests/duckdb.sh).

# bench_options SCRIPT "$@": sets events (default 5,000,000), rounds (5)
# and memory (false) from --events N, --rounds N and --memory
bench_options() {
    local script=$1
    shift
    events=5000000
    rounds=5
    memory=false
    while [ $# -gt 0 ]; do
        case "$1" in
            --events) events=$2; shift 2 ;;
            --rounds) rounds=$2; shift 2 ;;
            --memory) memory=true; shift ;;
            *) echo "usage: bash $script [--events N] [--rounds N] [--memory]" >&2; exit 2 ;;
        esac
    done
}

# time_sql SETUP SQL: one timed statement in a fresh session, after SETUP;
# prints milliseconds
time_sql() {
    local setup=$1 sql=$2 out
    out=$(psql -X -q -At -c "$setup" -c '\timing on' -c "$sql" 2>&1)
    awk '/^Time: / { t = $2 } END { if (t == "") exit 1; print t }' <<<"$out" ||
        { echo "bench: $sql failed: $out" >&2; return 1; }
}

# time_duck THREADS SQL: milliseconds DuckDB takes (bench/duckdb_query.mjs)
time_duck() {
    (cd "$duck" && node duckdb_query.mjs "$1" "$2")
}

# run_rounds ROUNDS RESULTS: each query of ${queries[@]} on each peer of
# ${peers[@]}, peers alternating, ROUNDS times, through run_peer PEER QUERY
# (which prints milliseconds, or fails for a pair that does not run); one
# line "QUERY PEER MS" per run into RESULTS
run_rounds() {
    local rounds=$1 results=$2 round query peer ms
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
}

# median RESULTS QUERY PEER: the median milliseconds, or nothing
median() {
    awk -v q="$2" -v p="$3" '$1 == q && $2 == p { print $3 }' "$1" | sort -n |
        awk '{ v[NR] = $1 } END { if (NR == 0) exit; print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# peak_kb TABLE: the backend's peak memory (VmHWM) after a scan of all
# columns of an events table (user_id, event_type, event_date)
peak_kb() {
    psql -X -q -At -v table="$1" <<'SQL' 2>/dev/null | tail -1
SELECT count(*), max(user_id), max(event_date), max(length(event_type)) FROM :table \g /dev/null
SELECT pg_backend_pid() AS backend_pid \gset
\setenv BACKEND_PID :backend_pid
\! awk '/^VmHWM:/ { print $2 }' /proc/$BACKEND_PID/status
SQL
}
