#!/usr/bin/env bash
# tests/parquet_pages.sh: the values src/readers/parquet/column.c reads
# against DuckDB's reading of the same files.  tests/parquet_pages_duckdb.mjs
# writes, with DuckDB, Parquet files of every physical type it writes, under
# every codec (UNCOMPRESSED, SNAPPY, GZIP, ZSTD, BROTLI, LZ4_RAW), page
# version v1 and v2, with dictionaries and without (PLAIN, DELTA_*,
# BYTE_STREAM_SPLIT), NULLs, empty strings, several row groups, one row, no
# rows; chunks whose dictionary pages are followed by another chunk's plain
# or delta pages (a dictionary fallback); and the chunks of
# tests/parquet_crafted.mjs (DELTA_BYTE_ARRAY, RLE booleans, INT96, ...)
# with what each holds.  tests/fuzz/build/parquet_dump (tests/fuzz.sh
# --build) prints what column.c reads of each, 1000 rows at a time and one
# at a time: it must be DuckDB's (or what the chunk was built with).
# Broken chunks of tests/parquet_crafted.mjs must each raise their error,
# and print nothing else (no sanitizer report).
#
# Installs DuckDB from npm as tests/parquet.sh does; when it cannot, says
# why and counts nothing.  Needs no cluster.  Prints "ok - NAME" or
# "not ok - NAME" and the difference, then "parquet_pages: N passed, M
# failed"; exits non-zero if any check failed.
set -u
cd "$(dirname "$0")/.."

PASSED=0
FAILED=0
pass() { echo "ok - $1"; PASSED=$((PASSED + 1)); }
fail() { echo "not ok - $1"; FAILED=$((FAILED + 1)); }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if ! bash tests/fuzz.sh --build >"$work/build.log" 2>&1; then
    tail -n 20 "$work/build.log"
    fail "tests/fuzz.sh --build builds parquet_dump"
    echo "parquet_pages: $PASSED passed, $FAILED failed"
    exit 1
fi
dump=tests/fuzz/build/parquet_dump

source tests/duckdb.sh
duck="$work/duckdb"
mkdir -p "$duck/out"
if ! duckdb_install "$duck" tests/parquet_pages_duckdb.mjs tests/parquet_crafted.mjs; then
    echo "parquet_pages: nothing compared"
    echo "parquet_pages: 0 passed, 0 failed"
    exit 0
fi
if ! (cd "$duck" && node parquet_pages_duckdb.mjs "$duck/out") >"$duck/log" 2>&1; then
    cat "$duck/log"
    fail "DuckDB writes and reads every file"
fi

# column.c's values in the order DuckDB gives them: each column's together
read_values() {   # read_values BATCH FILE
    local mode=()
    [ "${2##*.}" = chunk ] && mode=(--chunk)
    "$dump" --batch "$1" "${mode[@]}" "$2" 2>"$work/stderr" | sort -s -t"$(printf '\t')" -k1,1n
}
for file in "$duck"/out/*.parquet "$duck"/out/*.chunk; do
    [ -e "$file" ] || continue
    name=$(basename "$file")
    expected="${file%.*}.expected"
    if [ -f "${file%.*}.error" ]; then
        error=$(cat "${file%.*}.error")
        if "$dump" --chunk "$file" >/dev/null 2>"$work/stderr"; then
            fail "$name raises \"$error\": it reads"
        elif [[ $(head -n 1 "$work/stderr") == "ERROR: $error"* ]] &&
             [ "$(wc -l <"$work/stderr")" -eq 1 ]; then
            pass "$name raises \"$error\""
        else
            fail "$name raises \"$error\": $(head -c 300 "$work/stderr")"
        fi
        continue
    fi
    what="is what DuckDB reads"
    case $name in crafted_*) what="holds what it was built with" ;; esac
    for batch in 1000 1; do
        read_values "$batch" "$file" >"$work/got"
        if [ -s "$work/stderr" ]; then
            fail "$name, $batch rows at a time: $(head -c 300 "$work/stderr")"
        elif diff -u "$expected" "$work/got" >"$work/diff"; then
            pass "$name, $batch rows at a time, $what"
        else
            fail "$name, $batch rows at a time, $what"
            head -n 20 "$work/diff" | sed 's/^/    /'
        fi
    done
done
# what the files cover: codec, page version, physical type, encodings
cut -f3- "$duck/out/coverage" | sort | uniq -c | sed 's/^/# /'

echo "parquet_pages: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
