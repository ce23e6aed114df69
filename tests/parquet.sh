#!/usr/bin/env bash
# tests/parquet.sh: ritual.parquet_metadata() and ritual.parquet_schema()
# against DuckDB's functions of the same names, on every Parquet file of
# tests/data/parquet/: the same rows, field by field (DuckDB's binary
# minimums and maximums are put in ritual's hex form first; the logical
# type, which the two spell differently, is left out).
#
# Installs DuckDB from npm as bench/scan.sh does (node and npm from Debian
# when missing, as root); when it cannot, the test says why and counts
# nothing.  Uses the running cluster (tests/cluster.sh)
# or starts one.  Prints "ok - NAME" or "not ok - NAME" and the difference,
# then "parquet: N passed, M failed"; exits non-zero if any check failed.
set -u
cd "$(dirname "$0")/.."
source tests/cluster.sh
if [ -z "${CLUSTER_DIR:-}" ]; then
    bash tests/setup.sh >/dev/null
    cluster_start
    trap cluster_stop EXIT
fi

PASSED=0
FAILED=0
pass() { echo "ok - $1"; PASSED=$((PASSED + 1)); }
fail() { echo "not ok - $1"; FAILED=$((FAILED + 1)); }

source tests/install_duckdb.sh
duck="$CLUSTER_DIR/duckdb"
mkdir -p "$duck"
cp tests/parquet_duckdb.mjs "$duck/"
if ! install_duckdb "$duck"; then
    echo "parquet: DuckDB (@duckdb/node-api) could not be installed from npm (output above); nothing compared"
    echo "parquet: 0 passed, 0 failed"
    exit 0
fi

data=$(share_with_server tests/data)
DB=ritual_parquet
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" >/dev/null 2>&1
psql -X -q -d "$DB" -c "CREATE EXTENSION ritual" >/dev/null
sql() { psql -X -q -At -F'|' -v ON_ERROR_STOP=1 -d "$DB" -c "$1"; }

mkdir -p "$duck/out"
if ! (cd "$duck" && node parquet_duckdb.mjs "$duck/out" "$data"/parquet/*.parquet) >"$duck/log" 2>&1; then
    cat "$duck/log"
    fail "DuckDB reads every file"
fi
for file in "$data"/parquet/*.parquet; do
    name=$(basename "$file")
    for what in metadata schema; do
        if [ $what = metadata ]; then
            query="SELECT row_group_id, row_group_num_rows, row_group_num_columns,
                          row_group_bytes, column_id, file_offset, num_values, path_in_schema,
                          type, stats_min, stats_max, stats_null_count, stats_distinct_count,
                          stats_min_value, stats_max_value, compression, encodings,
                          index_page_offset, dictionary_page_offset, data_page_offset,
                          total_compressed_size, total_uncompressed_size
                     FROM ritual.parquet_metadata('$file') ORDER BY row_group_id, column_id"
        else
            query="SELECT name, type, type_length, repetition_type, num_children,
                          converted_type, scale, precision, field_id
                     FROM ritual.parquet_schema('$file')"
        fi
        sql "$query" >"$duck/ritual.out" 2>&1
        if [ -s "$duck/out/$name.$what" ] &&
           diff -u "$duck/out/$name.$what" "$duck/ritual.out" >"$duck/diff"; then
            pass "parquet_$what($name) is DuckDB's"
        else
            fail "parquet_$what($name) is DuckDB's"
            sed 's/^/    /' "$duck/diff"
        fi
    done
done

psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" >/dev/null
echo "parquet: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
