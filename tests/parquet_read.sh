#!/usr/bin/env bash
# tests/parquet_read.sh: ritual_fdw reading Parquet files, compared value by
# value with DuckDB's reading of the same files.
#
# tests/parquet_fixtures.mjs writes the files at test time (DuckDB from npm,
# installed by tests/duckdb.sh; tests/parquet_spark.mjs for Spark's
# shapes) and, for each, a psql script and DuckDB's answer in one canonical
# text form (see that file).  This script then checks:
#   - the fixtures: ritual.parquet_metadata() finds every codec and encoding
#     the matrix is meant to hold (and prints which column has which), the
#     kinds of page are those meant; the
#     canonical text is PostgreSQL's own (DuckDB's values through CSV into a
#     table print as the expected rows);
#   - every case: all columns and the meta columns of each file (every
#     codec x encoding x type, on data pages v1 and, for the codecs node's
#     zlib has, v2; NULLs, one row, no row, many row groups, Spark's shapes), projections, count(*), names matched
#     case-insensitively and by column_name, option format 'parquet', a
#     Hive-partitioned lake, a lake of CSV and Parquet files, parallel
#     scans;
#   - a value that does not fit its column under on_error stop, null and
#     skip, text bytes that are not UTF-8 among them (from a dictionary,
#     where each row of a bad value is reported, and from plain pages): the
#     error, or the NOTICE, names file, row group, row and column;
#   - a parallel plan is chosen for a file of many row groups;
#   - row groups skipped by their statistics, proved by the counts EXPLAIN
#     ANALYZE shows on a time-sorted file (no timings);
#   - hostile files (tests/parquet_hostile.mjs and tests/data/parquet/hostile/):
#     a clear ERROR naming the file, no crash, no memory blow-up.
# Uses the running cluster (tests/cluster.sh) or starts one.  Prints "ok -
# NAME" or "not ok - NAME" and why, then "parquet_read: N passed, M failed";
# exits non-zero if any check failed.  When DuckDB cannot be installed it
# says why and counts nothing.
set -u
cd "$(dirname "$0")/.."
source tests/cluster.sh
cluster_use || exit 1
log_start=$(stat -c %s "$CLUSTER_DIR/server.log")

source tests/checks.sh
indent() { sed 's/^/    /' | head -n "${1:-8}"; }

source tests/duckdb.sh
duck="$CLUSTER_DIR/duckdb"
if ! duckdb_install "$duck" tests/parquet_fixtures.mjs tests/parquet_spark.mjs tests/parquet_hostile.mjs; then
    echo "parquet_read: nothing compared"
    echo "parquet_read: 0 passed, 0 failed"
    exit 0
fi

# the fixtures, where the server can read them
out="$CLUSTER_DIR/parquet_read"
rm -rf "$out"
mkdir -p "$out"
if ! (cd "$duck" && node parquet_fixtures.mjs "$out") >"$duck/fixtures.log" 2>&1; then
    indent 20 <"$duck/fixtures.log"
    fail "DuckDB writes the fixtures"
    checks_summary parquet_read
    exit 1
fi
echo "# fixtures made in $SECONDS s"
mkdir -p "$out/hostile_footer"
cp tests/data/parquet/hostile/*.parquet "$out/hostile_footer/"
chmod -R a+rX "$out"
files="$out/files"

DB=ritual_parquet_read
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" >/dev/null 2>&1
psql -X -q -v ON_ERROR_STOP=1 -d "$DB" >/dev/null <<'SQL'
CREATE EXTENSION ritual;
CREATE SERVER pq_files FOREIGN DATA WRAPPER ritual_fdw;
-- the canonical text of a value (tests/parquet_fixtures.mjs does the same)
CREATE FUNCTION pq_text(v text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT coalesce('"' || replace(replace(replace(replace(v, '\', '\\'), '"', '\"'),
                                         chr(10), '\n'), chr(13), '\r') || '"', 'NULL') $$;
-- EXPLAIN (ANALYZE, FORMAT JSON) of a query, as jsonb, or its error
CREATE FUNCTION pq_explain(q text) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE plan jsonb;
BEGIN
  EXECUTE 'EXPLAIN (ANALYZE, FORMAT JSON) ' || q INTO plan;
  RETURN plan;
EXCEPTION WHEN OTHERS THEN
  RETURN jsonb_build_object('error', 'ERROR:  ' || SQLERRM);
END $$;
SQL
sql() { psql -X -q -At -F'|' -d "$DB" -c "$1" 2>&1; }
# psql's messages without the "psql:FILE:LINE: " it puts before those of a script
unprefix() { sed -E 's/^psql:[^ ]*:[0-9]+: //'; }

# Does ritual_fdw read Parquet yet?  Every check that reads a Parquet file
# fails until it does; say so once, plainly.
probe=$(sql "CREATE FOREIGN TABLE pq_probe (id bigint) SERVER pq_files
               OPTIONS (path '$files/single_row.parquet');
             SELECT count(*) || ' row, id ' || max(id) FROM pq_probe;
             DROP FOREIGN TABLE IF EXISTS pq_probe;" | head -n 3)
if [ "$probe" != "1 row, id 7" ]; then
    echo "# ritual_fdw does not read Parquet yet: single_row.parquet read as: $probe"
    echo "# the checks that read Parquet files are expected to fail until the reader lands"
fi

# ---- the fixtures hold what they are meant to (ritual.parquet_metadata) ----
# the encodings and codec of each matrix file, one line each:
# NAME|ENCODINGS|CODEC|the columns whose dictionary or not is not as meant
# (a _dict column has one, but for booleans and DuckDB's decimals on
# FIXED_LEN_BYTE_ARRAY; a _plain or _sparse column has none, but for enums)
matrix=$(sql "SELECT regexp_replace(f, '.*/(.*)[.]parquet', '\\1') || '|'
                     || string_agg(DISTINCT e, ' ' ORDER BY e) || '|' || string_agg(DISTINCT compression, ' ')
                     || '|' || coalesce(string_agg(DISTINCT path_in_schema, ' ') FILTER (
                            WHERE path_in_schema ~ '_dict\$' AND path_in_schema !~ '^(boolean|decimal_38_10)_'
                                  AND encodings !~ 'DICTIONARY'
                               OR path_in_schema ~ '_(plain|sparse)\$' AND path_in_schema !~ '^enum_'
                                  AND encodings ~ 'DICTIONARY'), '')
                FROM unnest(string_to_array('$(printf '%s,' "$files"/matrix_*.parquet | sed 's/,$//')', ',')) f,
                     ritual.parquet_metadata(f), regexp_split_to_table(encodings, ', ') e
               GROUP BY f ORDER BY f")
for v in v1 v2; do
    case $v in
        v1) want="PLAIN PLAIN_DICTIONARY RLE_DICTIONARY" ;;
        v2) want="PLAIN RLE_DICTIONARY DELTA_BINARY_PACKED DELTA_LENGTH_BYTE_ARRAY BYTE_STREAM_SPLIT" ;;
    esac
    for codec in uncompressed snappy gzip zstd lz4_raw brotli; do
        line=$(grep "^matrix_${codec}_$v|" <<<"$matrix")
        IFS='|' read -r _ encodings compression astray <<<"$line"
        missing=""
        for e in $want; do
            [[ " $encodings " == *" $e "* ]] || missing="$missing $e"
        done
        if [ -z "$missing" ] && [ -z "$astray" ] && [ "$compression" = "${codec^^}" ]; then
            pass "fixture matrix_${codec}_$v holds $want, codec $compression, dictionaries where meant"
        else
            fail "fixture matrix_${codec}_$v holds $want, codec ${codec^^}, dictionaries where meant"
            echo "    missing:${missing:- none}; not as meant: ${astray:-none}; got $line" | cut -c1-400
        fi
    done
done
got=$(sql "SELECT path_in_schema || ': ' || encodings
             FROM ritual.parquet_metadata('$files/spark_gzip.parquet')
            WHERE path_in_schema IN ('name', 'fallback', 'delta') AND row_group_id = 0 ORDER BY column_id")
want=$(printf '%s\n' 'name: RLE, BIT_PACKED, PLAIN_DICTIONARY' 'fallback: RLE, BIT_PACKED, PLAIN_DICTIONARY, PLAIN' \
                     'delta: RLE, BIT_PACKED, DELTA_BYTE_ARRAY')
if [ "$got" = "$want" ]; then
    pass "fixture spark_gzip holds PLAIN_DICTIONARY, a fallback to PLAIN and DELTA_BYTE_ARRAY"
else
    fail "fixture spark_gzip holds PLAIN_DICTIONARY, a fallback to PLAIN and DELTA_BYTE_ARRAY"
    indent <<<"$got"
fi
got=$(sql "SELECT string_agg(file_name || ': ' || (encodings ~ 'DICTIONARY'), ', ' ORDER BY file_name)
             FROM ritual.parquet_metadata('$files/bad_utf8.parquet') WHERE path_in_schema = 'b' UNION ALL
           SELECT string_agg(file_name || ': ' || (encodings ~ 'DICTIONARY'), ', ' ORDER BY file_name)
             FROM ritual.parquet_metadata('$files/bad_utf8_plain.parquet') WHERE path_in_schema = 'b'" |
      sed 's|.*/||')
want=$(printf '%s\n' 'bad_utf8.parquet: true' 'bad_utf8_plain.parquet: false')
if [ "$got" = "$want" ]; then
    pass "fixtures bad_utf8 and bad_utf8_plain: a dictionary, and none"
else
    fail "fixtures bad_utf8 and bad_utf8_plain: a dictionary, and none"
    indent <<<"$got"
fi
# the kinds of page (tests/parquet_fixtures.mjs walks every page): data
# pages v2 in the files made for them, v1 in DuckDB's
bad=$(awk -F'|' '{ v2 = ($1 ~ /_pages_v2$|^spark_v2_/) }
                 v2 && $2 !~ /DATA_PAGE_V2/ || !v2 && $2 ~ /DATA_PAGE_V2/ || $1 != "zero_rows" && $2 == ""' \
          "$out/pages.txt")
if [ -z "$bad" ] && grep -q _pages_v2 "$out/pages.txt"; then
    pass "fixtures: data pages v2 in *_pages_v2 and spark_v2_*, v1 in the others"
else
    fail "fixtures: data pages v2 in *_pages_v2 and spark_v2_*, v1 in the others"
    indent 20 <<<"$bad"
fi
echo "# encodings by type, as ritual.parquet_metadata lists them (matrix_snappy_*):"
sql "SELECT '#   ' || rpad(regexp_replace(file_name, '.*_', ''), 11) || rpad(t, 14) || string_agg(DISTINCT encodings, ' | ')
       FROM (SELECT file_name, encodings, regexp_replace(path_in_schema, '_(plain|dict|sparse|null)$', '') t
               FROM ritual.parquet_metadata('$files/matrix_snappy_v1.parquet')
             UNION ALL
             SELECT file_name, encodings, regexp_replace(path_in_schema, '_(plain|dict|sparse|null)$', '')
               FROM ritual.parquet_metadata('$files/matrix_snappy_v2.parquet')) m
      GROUP BY file_name, t ORDER BY t, file_name"

# run_scripts DIR: every DIR/*.sql in one session (starting psql costs more
# than most scripts): the rows of NAME.sql go to DIR/NAME.out, its messages
# to DIR/NAME.messages (cut from one stream at the "==== NAME" before them)
run_scripts() {
    local dir=$1 script name
    for script in "$dir"/*.sql; do
        name=${script##*/}
        name=${name%.sql}
        printf '\\o %s\n\\warn ==== %s\n\\i %s\n' "$dir/$name.out" "$name" "$script"
    done >"$dir/all.psql"
    psql -X -q -At -d "$DB" -f "$dir/all.psql" 2>&1 >/dev/null | unprefix >"$dir/all.messages"
    awk -v dir="$dir" '/^==== / { file = dir "/" $2 ".messages"; printf "" >file; next }
                       file { print >file }' "$dir/all.messages"
}
# compare_scripts DIR WHAT: a check for each script of DIR: no message, and
# the rows of cases/NAME.expected
compare_scripts() {
    local dir=$1 what=$2 script name
    for script in "$dir"/*.sql; do
        name=${script##*/}
        name=${name%.sql}
        if [ ! -s "$dir/$name.messages" ] && cmp -s "$out/cases/$name.expected" "$dir/$name.out"; then
            pass "$name: $what"
        else
            fail "$name: $what ($(wc -l <"$out/cases/$name.expected") rows expected)"
            { cat "$dir/$name.messages"
              diff "$out/cases/$name.expected" "$dir/$name.out" 2>&1 | cut -c1-300; } | indent 6
        fi
    done
}

# ---- the canonical text: DuckDB's values, loaded into a table from CSV,
# print as the expected rows say (this checks the fixtures, not the reader) ----
run_scripts "$out/heap"
compare_scripts "$out/heap" "PostgreSQL prints DuckDB's values as the expected rows (canonical text)"

# ---- every case: ritual's rows are DuckDB's ----
run_scripts "$out/cases"
compare_scripts "$out/cases" "ritual's rows are DuckDB's"

# ---- a value that does not fit its column, under on_error ----
# The CONTEXT (stop) and DETAIL (null, skip) name file, row group, row and
# column as: file "PATH", row group N, row N, column NAME
bad_file=wrong
where='file "[^"]*/wrong\.parquet", row group [0-9]+, row'
# on_error_check NAME COLUMNS ON_ERROR QUERY EXPECTED_ROWS PATTERN...: each
# PATTERN (an extended regex) must match a line of the messages; the table
# reads $files/$bad_file.parquet
on_error_check() {
    local name=$1 columns=$2 on_error=$3 query=$4 expected=$5
    shift 5
    local table="pq_$name" ok=true pattern
    psql -X -q -At -F'|' -d "$DB" 2>&1 >"$out/$name.rows" <<SQL | unprefix >"$out/$name.messages"
CREATE FOREIGN TABLE $table ($columns, _line bigint OPTIONS (meta 'line'))
  SERVER pq_files OPTIONS (path '$files/$bad_file.parquet', on_error '$on_error');
$(printf "$query" "$table");
DROP FOREIGN TABLE $table;
SQL
    [ "$(cat "$out/$name.rows")" = "$expected" ] || ok=false
    for pattern in "$@"; do
        grep -qE -- "$pattern" "$out/$name.messages" || ok=false
    done
    if $ok; then
        pass "$name"
    else
        fail "$name"
        { echo "rows:"; cat "$out/$name.rows"; echo "messages:"; cat "$out/$name.messages"; } | indent 12
    fi
}
on_error_check int_stop 'big integer, txt text' stop 'SELECT _line, big FROM %s ORDER BY _line' '' \
    '^ERROR:  .*(integer out of range|out of range for type integer)' \
    "^CONTEXT:  ritual_fdw table \"pq_int_stop\", $where 3, column big"
on_error_check int_null 'big integer, txt text' null 'SELECT _line, big FROM %s ORDER BY _line' \
    "$(printf '1|1\n2|2\n3|\n4|4\n5|')" \
    '^NOTICE:  ritual_fdw set bad fields to NULL in 1 row of table "pq_int_null"' \
    "^DETAIL:  The first was at $where 3, column big: .*out of range"
on_error_check int_skip 'big integer, txt text' skip 'SELECT _line, big FROM %s ORDER BY _line' \
    "$(printf '1|1\n2|2\n4|4\n5|')" \
    '^NOTICE:  ritual_fdw skipped 1 bad row of table "pq_int_skip"' \
    "^DETAIL:  The first was at $where 3, column big: .*out of range"
# under skip every column is checked, whatever the query
on_error_check int_skip_count 'big integer, txt text' skip 'SELECT count(*) FROM %s' 4 \
    '^NOTICE:  ritual_fdw skipped 1 bad row of table "pq_int_skip_count"'
on_error_check date_stop 'big bigint, txt date' stop 'SELECT _line, txt FROM %s ORDER BY _line' '' \
    '^ERROR:  invalid input syntax for type date: "not a date"' \
    "^CONTEXT:  ritual_fdw table \"pq_date_stop\", $where 4, column txt"
on_error_check date_null 'big bigint, txt date' null 'SELECT _line, txt FROM %s ORDER BY _line' \
    "$(printf '1|2024-01-01\n2|2024-01-02\n3|2024-01-03\n4|\n5|2024-01-05')" \
    '^NOTICE:  ritual_fdw set bad fields to NULL in 1 row of table "pq_date_null"' \
    "^DETAIL:  The first was at $where 4, column txt: invalid input syntax for type date: \"not a date\""
on_error_check date_skip 'big bigint, txt date' skip 'SELECT _line, big, txt FROM %s ORDER BY _line' \
    "$(printf '1|1|2024-01-01\n2|2|2024-01-02\n3|3000000000|2024-01-03\n5||2024-01-05')" \
    '^NOTICE:  ritual_fdw skipped 1 bad row of table "pq_date_skip"' \
    "^DETAIL:  The first was at $where 4, column txt: invalid input syntax for type date"
# bytes that are not UTF-8 in a text column, every third row, from a
# dictionary (a value met again is bad again) and from plain pages
bad_file=bad_utf8
where='file "[^"]*/bad_utf8\.parquet", row group 0, row'
on_error_check utf8_stop 'id bigint, b text' stop 'SELECT count(b) FROM %s' '' \
    '^ERROR:  invalid byte sequence for encoding "UTF8"' \
    "^CONTEXT:  ritual_fdw table \"pq_utf8_stop\", $where 3, column b: \"\\\\xfffe626164\""
on_error_check utf8_null 'id bigint, b text' null \
    'SELECT count(*), count(b), string_agg(DISTINCT b, $$,$$), sum(id) FILTER (WHERE b IS NULL) FROM %s' \
    '3000|2000|ok0,ok1|1501500' \
    '^NOTICE:  ritual_fdw set bad fields to NULL in 1000 rows of table "pq_utf8_null"' \
    "^DETAIL:  The first was at $where 3, column b: invalid byte sequence"
bad_file=bad_utf8_plain
where='file "[^"]*/bad_utf8_plain\.parquet", row group 0, row'
on_error_check utf8_plain_skip 'id bigint, b text' skip 'SELECT id, b FROM %s ORDER BY id' \
    "$(printf '1|ok0\n2|ok1\n4|ok1\n5|ok0')" \
    '^NOTICE:  ritual_fdw skipped 2 bad rows of table "pq_utf8_plain_skip"' \
    "^DETAIL:  The first was at $where 3, column b: invalid byte sequence"

# ---- a parallel plan for a file of many row groups (sum: an aggregate
# the scan does not compute itself) ----
plan=$(sql "SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0;
            SET min_parallel_table_scan_size = 0; SET max_parallel_workers_per_gather = 2;
            CREATE FOREIGN TABLE pq_plan (id bigint) SERVER pq_files
              OPTIONS (path '$files/row_groups.parquet');
            EXPLAIN (COSTS OFF) SELECT sum(id) FROM pq_plan;
            DROP FOREIGN TABLE pq_plan;")
if grep -q 'Parallel Foreign Scan' <<<"$plan"; then
    pass "a file of 10 row groups gets a parallel plan"
else
    fail "a file of 10 row groups gets a parallel plan"
    indent <<<"$plan"
fi

# ---- a parallel scan of a file of many blocks, most with no row group
# starting in them: the workers read each row group once, together ----
got=$(sql "SELECT 'blocks of 64 kB: ' || ceil((pg_stat_file('$files/blocks.parquet')).size / 65536.0)
                  || ', row groups: ' || count(DISTINCT row_group_id)
             FROM ritual.parquet_metadata('$files/blocks.parquet');
           SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0;
           SET min_parallel_table_scan_size = 0; SET max_parallel_workers_per_gather = 2;
           SET ritual.parallel_block_size = '64kB';
           CREATE FOREIGN TABLE pq_blocks (id bigint, h text) SERVER pq_files
             OPTIONS (path '$files/blocks.parquet');
           EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
             SELECT count(*), count(DISTINCT id), sum(length(h)) FROM pq_blocks;
           SELECT count(*), count(DISTINCT id), sum(length(h)) FROM pq_blocks;
           DROP FOREIGN TABLE pq_blocks;")
if grep -qE '^blocks of 64 kB: [0-9]{2}, row groups: 5$' <<<"$got" && grep -q 'Workers Launched: [12]' <<<"$got" &&
   grep -q 'Ritual Row Groups Read: 5$' <<<"$got" && grep -qx '40000|40000|1280000' <<<"$got"; then
    pass "a parallel scan of over 10 blocks and 5 row groups reads each row group once"
else
    fail "a parallel scan of over 10 blocks and 5 row groups reads each row group once"
    indent 30 <<<"$got"
fi

# ---- row groups skipped by their statistics: the time-sorted events, 10
# days of 4096 events 21.09375 s apart, each day two row groups of 12 hours ----
events="$files/events_sorted.parquet"
got=$(sql "SELECT count(*) || ' ' || count(*) FILTER (WHERE row_group_num_rows = 2048
                  AND stats_min_value::timestamp = '2024-01-01'::timestamp + row_group_id * interval '12 hours')
             FROM ritual.parquet_metadata('$events') WHERE path_in_schema = 'event_time'")
if [ "$got" = "20 20" ]; then
    pass "fixture events_sorted: 20 row groups of 2048 rows, each 12 hours from the previous"
else
    fail "fixture events_sorted: 20 row groups of 2048 rows, each 12 hours from the previous (got $got)"
fi
sql "CREATE FOREIGN TABLE pq_events (event_time timestamp, user_id bigint, event_type text)
       SERVER pq_files OPTIONS (path '$events')" >/dev/null
# each condition, and the row groups read and skipped, the rows of the row
# groups read that the scan passed over, and the rows that EXPLAIN ANALYZE
# must show (the rows read, of 2,048 a group, less those passed over)
checks=(
    "event_time >= '2024-01-03' AND event_time < '2024-01-04'|2|18|0|4096"
    "event_time BETWEEN '2024-01-05' AND '2024-01-05 23:59:59.999999'|2|18|0|4096"
    "event_time < '2024-01-02' OR event_time >= '2024-01-10'|4|16|0|8192"
    "event_time IN ('2024-01-07 00:00:00', '2024-01-07 12:00:00')|2|18|4094|2"
    "event_time >= '2024-01-03 12:00' AND event_time < '2024-01-03 13:00'|1|19|1877|171"
    "event_time < '2023-12-31'|0|20|0|0"
    "event_time IS NULL|0|20|0|0"
    "user_id = 3|20|0|40919|41"
)
got=$(printf '%s\n' "${checks[@]%%|*}" | psql -X -q -At -d "$DB" \
          -c "CREATE TEMP TABLE pq_conditions (n serial, c text)" -c "COPY pq_conditions (c) FROM STDIN" \
          -c "SELECT coalesce(e->>'error', concat_ws('|', jsonb_path_query_first(e, '\$.**.\"Ritual Row Groups Read\"'),
                                                   jsonb_path_query_first(e, '\$.**.\"Ritual Row Groups Skipped\"'),
                                                   jsonb_path_query_first(e, '\$.**.\"Ritual Parquet Rows Skipped\"'),
                                                   jsonb_path_query_first(e, '\$.**.\"Actual Rows\"')))
                FROM pq_conditions, pq_explain('SELECT * FROM pq_events WHERE ' || c) e ORDER BY n" 2>&1)
for k in "${!checks[@]}"; do
    condition=${checks[$k]%%|*}
    expected=${checks[$k]#*|}
    result=$(sed -n "$((k + 1))p" <<<"$got")
    if [ "$result" = "$expected" ]; then
        pass "row groups read|skipped, rows skipped|returned $expected: $condition"
    else
        fail "row groups read|skipped, rows skipped|returned $expected: $condition (got: $result)"
    fi
done
sql "DROP FOREIGN TABLE pq_events" >/dev/null

# ---- hostile files: a clear ERROR naming the file, no crash, no blow-up
# (a backend's peak memory under 200 MB; the files are at most 400 kB) ----
# One session reads them all; after each file it prints the backend's peak
# memory so far, so the first file that raises it too far is the one named.
hostile=("$out"/hostile/*.parquet "$out"/hostile_footer/*.parquet)
for f in "${hostile[@]}"; do
    cat <<SQL
\\warn ==== $f
CREATE FOREIGN TABLE pq_hostile (id bigint, name text) SERVER pq_files OPTIONS (path '$f');
SELECT count(*), max(id), max(name) FROM pq_hostile;
DROP FOREIGN TABLE pq_hostile;
\\! awk '/^VmHWM:/ { print "peak " \$2 }' /proc/\$BACKEND_PID/status >>"$out/hostile.peaks"
SQL
done >"$out/hostile.psql"
: >"$out/hostile.peaks"
psql -X -q -At -d "$DB" 2>&1 >/dev/null <<SQL | unprefix >"$out/hostile.messages"
SET statement_timeout = '60s';
SELECT pg_backend_pid() AS backend_pid \\gset
\\setenv BACKEND_PID :backend_pid
\\i $out/hostile.psql
SQL
awk -v dir="$out/hostile" '/^==== / { n++; file = dir "/" n ".messages"; printf "" >file; next }
                          file { print >file }' "$out/hostile.messages"
mapfile -t peaks < <(sed 's/^peak //' "$out/hostile.peaks")
for k in "${!hostile[@]}"; do
    f=${hostile[$k]}
    msg=$(<"$out/hostile/$((k + 1)).messages")
    peak=${peaks[$k]:-}
    why=""
    if [ "$probe" != "1 row, id 7" ]; then
        why="ritual_fdw does not read Parquet yet (an error of the CSV reader proves nothing)"
    fi
    [[ $msg == *"ERROR:  "* ]] || why="$why${why:+; }no ERROR"
    [[ $msg == *"CONTEXT:  ritual_fdw table \"pq_hostile\", file \"$f\""* ]] ||
        why="$why${why:+; }no CONTEXT naming the table and file"
    [[ $msg =~ invalid\ memory\ alloc\ request|out\ of\ memory|statement\ timeout ]] &&
        why="$why${why:+; }a count or size was believed"
    [ -n "$peak" ] && [ "$peak" -lt 200000 ] || why="$why${why:+; }peak memory ${peak:-unknown} kB"
    if [ -z "$why" ]; then
        error=${msg#*ERROR:  }
        pass "hostile ${f#"$out"/}: ${error%%$'\n'*}"
    else
        fail "hostile ${f#"$out"/}: $why"
        cut -c1-200 <<<"$msg" | indent 4
    fi
done
if [ "$(sql 'SELECT 1')" = 1 ]; then
    pass "the server is up after the hostile files"
else
    fail "the server is up after the hostile files"
fi
# only what the server logged during this test: tests/check.sh's cluster
# has seen backends killed on purpose by the tests before
if tail -c +"$((log_start + 1))" "$CLUSTER_DIR/server.log" |
    grep -E 'terminated by signal|was terminated|PANIC' >"$out/crashes"; then
    fail "no backend crashed (server log)"
    indent <"$out/crashes"
else
    pass "no backend crashed (server log)"
fi

psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" >/dev/null
echo "# all done in $SECONDS s"
checks_summary parquet_read
