#!/usr/bin/env bash
# tests/writing.sh: writing into a ritual_fdw table where several processes
# and faults are involved: two writers at once; a backend killed in the
# middle of a write, whose partial file must never be visible and whose
# leftovers the next write removes; backends killed at any moment around a
# COMMIT, after which the lake holds all of a committed transaction's rows
# or none of an aborted one's; and the hidden files a crash leaves, settled
# by the commit log.  The kills are tried on CSV and Parquet tables; and
# DuckDB reads what ritual writes, CSV and Parquet, with the same values.
#
# Needs a running cluster (tests/cluster.sh) and the extension installed;
# makes and drops its own database.  Prints "ok - NAME" or "not ok - NAME",
# then "writing: N passed, M failed"; exits non-zero if any check failed.
set -u
: "${CLUSTER_DIR:?start a cluster first: source tests/cluster.sh && cluster_start}"
source "$(dirname "$0")/cluster.sh"

DB=ritual_writing
OUT="$CLUSTER_DIR/writing"
PASSED=0
FAILED=0
pass() { echo "ok - $1"; PASSED=$((PASSED + 1)); }
fail() { echo "not ok - $1: $2"; FAILED=$((FAILED + 1)); }
sql() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB" "$@"; }

cleanup() {
    psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1
    rm -rf "$OUT"
}
trap cleanup EXIT

mkdir -p "$OUT/parquet"
chmod 777 "$OUT" "$OUT/parquet"
[ "$(id -u)" -eq 0 ] && chown postgres "$OUT" "$OUT/parquet"
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" >/dev/null
sql <<SQL
CREATE EXTENSION ritual;
CREATE SERVER files FOREIGN DATA WRAPPER ritual_fdw;
CREATE FOREIGN TABLE events (user_id bigint, event_type text, event_date date)
  SERVER files OPTIONS (path '$OUT', header 'true', partition_by 'event_date');
CREATE FOREIGN TABLE events_parquet (user_id bigint, event_type text, event_date date)
  SERVER files OPTIONS (path '$OUT/parquet', format 'parquet', partition_by 'event_date');
CREATE FOREIGN TABLE temporary_files (line text)
  SERVER files OPTIONS (path '$OUT/**/.ritual-tmp-*', missing_ok 'true');
-- a row here makes the COMMIT sleep (check_killed_commit)
CREATE TABLE commit_gate (round int);
CREATE FUNCTION sleep_at_commit() RETURNS trigger LANGUAGE plpgsql AS
  \$\$BEGIN PERFORM pg_sleep(3); RETURN NULL; END\$\$;
CREATE CONSTRAINT TRIGGER sleep_at_commit AFTER INSERT ON commit_gate
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION sleep_at_commit();
SQL

# 1. two writers at once, each in a transaction that lasts: both commit,
#    every row is there once, in files of their own
check_concurrent_writers() {
    local name=two_writers_at_once a b
    sql -c "BEGIN" -c "INSERT INTO events SELECT i, 'a', date '2024-01-01' + i % 3 FROM generate_series(1, 5000) i" \
        -c "SELECT pg_sleep(1)" -c "COMMIT" >/dev/null &
    a=$!
    sql -c "BEGIN" -c "INSERT INTO events SELECT i, 'b', date '2024-01-01' + i % 3 FROM generate_series(1, 5000) i" \
        -c "SELECT pg_sleep(1)" -c "COMMIT" >/dev/null &
    b=$!
    if ! wait $a || ! wait $b; then
        fail $name "a writer failed"
        return
    fi
    local counts
    counts=$(sql -c "SELECT count(*), count(DISTINCT (user_id, event_type)) FROM events")
    if [ "$counts" != "10000|10000" ]; then
        fail $name "expected 10000 distinct rows, got $counts"
        return
    fi
    local files
    files=$(find "$OUT" -name 'part-*.csv' | wc -l)
    if [ "$files" -ne 6 ]; then
        fail $name "expected 6 files (2 writers x 3 days), found $files"
        return
    fi
    pass $name
}

# 2. a backend killed with SIGKILL while writing into TABLE: after the
#    restart, no row of its write is visible, a hidden leftover may remain,
#    and the next write removes it
check_killed_writer() {
    local table=$1 name=killed_writer_leaves_nothing_visible_$1 before pid leftovers after
    before=$(sql -c "SELECT count(*) FROM $table")
    PGAPPNAME=ritual_killed sql -c "INSERT INTO $table SELECT i, 'killed', date '2024-02-01' + i % 5 FROM generate_series(1, 50000000) i" \
        >/dev/null 2>&1 &
    local client=$!
    for _ in $(seq 50); do
        pid=$(psql -X -At -d "$DB" -c "SELECT pid FROM pg_stat_activity WHERE application_name = 'ritual_killed' AND state = 'active'" 2>/dev/null)
        [ -n "$pid" ] && break
        sleep 0.1
    done
    if [ -z "$pid" ]; then
        fail $name "the write never started"
        return
    fi
    # let it write for a while, until its hidden files exist
    for _ in $(seq 100); do
        [ -n "$(find "$OUT" -name '.ritual-tmp-*' 2>/dev/null | head -1)" ] && break
        sleep 0.1
    done
    sleep 1
    kill -9 "$pid"
    wait "$client" 2>/dev/null
    # the postmaster restarts every backend after a crash
    for _ in $(seq 100); do
        psql -X -At -d "$DB" -c "SELECT 1" >/dev/null 2>&1 && break
        sleep 0.2
    done
    leftovers=$(find "$OUT" -name '.ritual-tmp-*' | wc -l)
    after=$(sql -c "SELECT count(*) FROM $table")
    if [ "$after" != "$before" ]; then
        fail $name "rows of the killed write are visible: $before before, $after after"
        return
    fi
    if [ -n "$(find "$OUT" -name 'part-*' -newer "$OUT" -path '*2024-02*' | head -1)" ]; then
        fail $name "a file of the killed write is visible"
        return
    fi
    echo "# the killed write left $leftovers hidden file(s)"
    if [ "$leftovers" -eq 0 ]; then
        fail $name "the kill came after the write; nothing was left to clean up"
        return
    fi
    sql -c "INSERT INTO $table VALUES (1, 'after', '2024-03-01')" >/dev/null
    leftovers=$(find "$OUT" -name '.ritual-tmp-*' | wc -l)
    if [ "$leftovers" -ne 0 ]; then
        fail $name "the next write left $leftovers leftover file(s)"
        return
    fi
    if [ "$(sql -c "SELECT count(*) FROM temporary_files")" != 0 ]; then
        fail $name "a temporary file is still readable"
        return
    fi
    pass $name
}

# 3. DuckDB reads what ritual writes as a Hive-partitioned dataset, with the
#    same rows and the escaped partition values decoded
check_duckdb_reads_the_layout() {
    local name=duckdb_reads_the_layout dir="$OUT/duck" duck="$CLUSTER_DIR/duckdb-test" ours theirs
    if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
        echo "skip - $name: Node.js and npm are not installed"
        return
    fi
    mkdir -p "$dir" "$duck"
    chmod 777 "$dir"
    [ "$(id -u)" -eq 0 ] && chown postgres "$dir"
    sql <<SQL >/dev/null
CREATE FOREIGN TABLE layout (user_id bigint, event_type text, event_date timestamp,
    event_day date, platform text)
  SERVER files OPTIONS (path '$dir', header 'true', partition_by 'event_day, platform',
                        compression 'gzip');
INSERT INTO layout
  SELECT i, CASE WHEN i % 7 = 0 THEN 'a, "b"' ELSE 'share' END,
         timestamp '2024-03-01 10:00' + i * interval '1 hour', date '2024-03-01' + i / 24,
         CASE WHEN i % 3 = 0 THEN 'web/app: 1%' WHEN i % 5 = 0 THEN NULL ELSE 'ios' END
    FROM generate_series(1, 200) AS i;
SQL
    ours=$(sql -c "SELECT count(*), count(DISTINCT event_day), sum(user_id),
                          count(*) FILTER (WHERE platform = 'web/app: 1%'),
                          count(*) FILTER (WHERE platform IS NULL),
                          count(*) FILTER (WHERE event_type = 'a, \"b\"')
                     FROM layout")
    if ! (cd "$duck" && npm init -y >/dev/null 2>&1 &&
          npm install --no-audit --no-fund @duckdb/node-api@1.5.6-r.1 >/dev/null 2>&1); then
        fail $name "could not install DuckDB from npm"
        return
    fi
    cat >"$duck/read.mjs" <<JS
import { DuckDBInstance } from '@duckdb/node-api';
const connection = await (await DuckDBInstance.create(':memory:')).connect();
const rows = (await connection.runAndReadAll(\`
  SELECT count(*), count(DISTINCT event_day), sum(user_id),
         count(*) FILTER (WHERE platform = 'web/app: 1%'),
         count(*) FILTER (WHERE platform IS NULL),
         count(*) FILTER (WHERE event_type = 'a, "b"')
    FROM read_csv('$dir/**/*.csv.gz', hive_partitioning = true, header = true)\`)).getRows();
console.log(rows[0].join('|'));
JS
    theirs=$(cd "$duck" && node read.mjs 2>&1)
    if [ "$ours" != "$theirs" ]; then
        fail $name "ritual reads $ours, DuckDB reads $theirs"
        return
    fi
    echo "# ritual and DuckDB both read: $ours"
    pass $name
}

# 3b. DuckDB reads the Parquet lake ritual writes (partitioned, each codec,
#    every type DuckDB has, NULLs) with the very values ritual reads back:
#    each row normalized to one line of text in both, and the lines
#    compared; and DuckDB finds statistics on every column chunk, with a
#    least and greatest value where the chunk has a value
check_duckdb_reads_parquet() {
    local name=duckdb_reads_parquet dir="$OUT/duck_parquet" duck="$CLUSTER_DIR/duckdb-test"
    local codec ours theirs stats
    if [ ! -d "$duck/node_modules/@duckdb/node-api" ]; then
        echo "skip - $name: DuckDB is not installed (see duckdb_reads_the_layout)"
        return
    fi
    for codec in snappy zstd gzip none; do
        mkdir -p "$dir/$codec"
    done
    chmod -R 777 "$dir"
    [ "$(id -u)" -eq 0 ] && chown -R postgres "$dir"
    local columns="id int, flag boolean, small smallint, big bigint, f4 real,
        f8 double precision, day date, clock time, ts timestamp, tstz timestamptz,
        amount numeric(12,3), id_uuid uuid, kind text, raw bytea, wide numeric(30,4), part text"
    sql <<SQL >/dev/null
CREATE TABLE typed AS
  SELECT i AS id, CASE WHEN i % 11 = 0 THEN NULL ELSE i % 3 = 0 END AS flag,
         (i % 30000 - 15000)::smallint AS small, i::bigint * 1000003 - 5000000000 AS big,
         CASE WHEN i % 13 = 0 THEN NULL ELSE (i / 7.0)::real END AS f4,
         i / 3.0::float8 - 1000 AS f8,
         date '1960-01-01' + i * 3 AS day, time '00:00' + i * interval '17 seconds' AS clock,
         timestamp '1969-12-31 23:00' + i * interval '1 minute 7.123456 seconds' AS ts,
         timestamptz '2024-03-01 00:00+00' + i * interval '1 second' AS tstz,
         CASE WHEN i % 5 = 0 THEN NULL ELSE (i * 1.125 - 3000)::numeric(12,3) END AS amount,
         md5(i::text)::uuid AS id_uuid,
         CASE WHEN i % 17 = 0 THEN NULL WHEN i % 4 = 0 THEN repeat('ü', i % 90)
              ELSE (ARRAY['app_opened', 'ritual_started', 'ritual_completed'])[1 + i % 3] END AS kind,
         decode(lpad(to_hex(i), 8, '0'), 'hex') AS raw,
         CASE WHEN i % 7 = 0 THEN NULL
              ELSE (i * 123456789012345678.9012 - 400000000000000000000)::numeric(30,4) END AS wide,
         'p' || i % 6 AS part
    FROM generate_series(1, 6000) AS i;
CREATE FOREIGN TABLE typed_snappy ($columns)
  SERVER files OPTIONS (path '$dir/snappy', format 'parquet', partition_by 'part',
                        row_group_size '400');
CREATE FOREIGN TABLE typed_zstd ($columns)
  SERVER files OPTIONS (path '$dir/zstd', format 'parquet', compression 'zstd');
CREATE FOREIGN TABLE typed_gzip ($columns)
  SERVER files OPTIONS (path '$dir/gzip', format 'parquet', compression 'gzip');
CREATE FOREIGN TABLE typed_none ($columns)
  SERVER files OPTIONS (path '$dir/none', format 'parquet', compression 'none');
INSERT INTO typed_snappy SELECT * FROM typed ORDER BY random();
INSERT INTO typed_zstd SELECT * FROM typed;
INSERT INTO typed_gzip SELECT * FROM typed;
INSERT INTO typed_none SELECT * FROM typed;
SQL
    # one line per row, the same text in both: times as microseconds since
    # 1970, dates as days, bytes as hex, floats as their shortest text (which
    # DuckDB ends in .0 when whole)
    local pg_line="id || '|' || coalesce(flag::int::text, '-') || '|' || coalesce(small::text, '-')
        || '|' || big || '|' || coalesce(f4::text, '-') || '|' || f8::text
        || '|' || (day - date '1970-01-01') || '|' || (extract(epoch FROM clock) * 1000000)::bigint
        || '|' || (extract(epoch FROM ts) * 1000000)::bigint || '|' || (extract(epoch FROM tstz) * 1000000)::bigint
        || '|' || coalesce(amount::text, '-') || '|' || id_uuid || '|' || coalesce(kind, '-')
        || '|' || encode(raw, 'hex') || '|' || coalesce(wide::text, '-') || '|' || part"
    local duck_line="id || '|' || coalesce(flag::int::text, '-') || '|' || coalesce(small::text, '-')
        || '|' || big || '|' || coalesce(regexp_replace(f4::text, '[.]0\$', ''), '-')
        || '|' || regexp_replace(f8::text, '[.]0\$', '')
        || '|' || date_diff('day', DATE '1970-01-01', day) || '|' || epoch_us(DATE '1970-01-01' + clock)
        || '|' || epoch_us(ts) || '|' || epoch_us(tstz)
        || '|' || coalesce(amount::text, '-') || '|' || id_uuid || '|' || coalesce(kind, '-')
        || '|' || lower(hex(raw)) || '|' || coalesce(wide::text, '-') || '|' || part"
    for codec in snappy zstd gzip none; do
        sql -c "SELECT $pg_line FROM typed_$codec ORDER BY id" >"$dir/ours_$codec.txt"
        cat >"$duck/read_parquet.mjs" <<JS
import { DuckDBInstance } from '@duckdb/node-api';
const connection = await (await DuckDBInstance.create(':memory:')).connect();
await connection.run("SET TimeZone = 'UTC'");
const reader = await connection.runAndReadAll(\`
  SELECT $duck_line AS line
    FROM read_parquet('$dir/$codec/**/*.parquet', hive_partitioning = true)
   ORDER BY id\`);
for (const row of reader.getRows()) console.log(row[0]);
JS
        (cd "$duck" && node read_parquet.mjs) >"$dir/theirs_$codec.txt" 2>&1
        if ! cmp -s "$dir/ours_$codec.txt" "$dir/theirs_$codec.txt"; then
            diff "$dir/ours_$codec.txt" "$dir/theirs_$codec.txt" | head -n 6 | sed 's/^/    /'
            fail $name "$codec: DuckDB reads other values than ritual ($(wc -l <"$dir/ours_$codec.txt") rows ours)"
            return
        fi
    done
    ours=$(wc -l <"$dir/ours_snappy.txt")
    # statistics: every chunk has a NULL count, and a least and a greatest
    # value unless all its values are NULL
    cat >"$duck/parquet_stats.mjs" <<JS
import { DuckDBInstance } from '@duckdb/node-api';
const connection = await (await DuckDBInstance.create(':memory:')).connect();
const reader = await connection.runAndReadAll(\`
  SELECT count(*), count(*) FILTER (WHERE stats_null_count IS NULL),
         count(*) FILTER (WHERE (stats_min_value IS NULL OR stats_max_value IS NULL)
                           AND stats_null_count < num_values),
         count(DISTINCT file_name), count(DISTINCT compression)
    FROM parquet_metadata('$dir/*/**/*.parquet')\`);
console.log(reader.getRows()[0].join('|'));
JS
    stats=$(cd "$duck" && node parquet_stats.mjs 2>&1)
    case $stats in
        *\|0\|0\|9\|4) ;;
        *) fail $name "statistics: DuckDB's parquet_metadata says $stats (chunks, without a NULL count, without a range, files, codecs)"
           return ;;
    esac
    echo "# DuckDB reads the same $ours rows from each codec's lake; column chunks with statistics: $stats"
    pass $name
}

# 4. a backend killed at any moment around the COMMIT of a transaction that
#    moves rows from a table into the lake: after the restart the lake holds
#    all of the transaction's rows if it committed and none if it did not, so
#    the lake and the table together hold every row exactly once.  The kill
#    comes, in turn: while a deferred trigger sleeps in the COMMIT, before
#    the files are synced; as soon as a file of the transaction is visible;
#    and after a random delay.  FORMAT is csv or parquet (whose footers
#    are written in the COMMIT, before the files are synced).
check_killed_commit() {
    local format=$1 name=killed_commit_is_all_or_nothing_$1 rounds=${WRITING_KILL_ROUNDS:-12}
    local fifo="$CLUSTER_DIR/mover.fifo" total committed=0 aborted=0 round pid client before got
    local moved="$OUT/moved_$format" staging=staging_$format table=moved_$format
    mkdir -p "$moved"
    chmod 777 "$moved"
    [ "$(id -u)" -eq 0 ] && chown postgres "$moved"
    # a file per row, so that the COMMIT has hundreds to deal with
    sql <<SQL >/dev/null
CREATE TABLE $staging AS
  SELECT i AS id, 1 + i % $rounds AS round, i % 40 AS day, repeat('x', 1024) AS pad
    FROM generate_series(1, $((rounds * 500))) i;
CREATE FOREIGN TABLE $table (id int, round int, day int, pad text)
  SERVER files OPTIONS (path '$moved', partition_by 'day', max_file_size '1kB',
                        format '$format');
SQL
    total=$((rounds * 500))
    shopt -s nullglob
    for round in $(seq "$rounds"); do
        rm -f "$fifo"
        mkfifo "$fifo"
        PGAPPNAME=mover_$round psql -X -q -d "$DB" -v ON_ERROR_STOP=1 <"$fifo" >/dev/null 2>&1 &
        client=$!
        exec 3>"$fifo"
        # a third of the rounds sleep in their COMMIT
        echo "BEGIN; INSERT INTO $table SELECT * FROM $staging WHERE round = $round;
              DELETE FROM $staging WHERE round = $round;
              INSERT INTO commit_gate SELECT $round WHERE $round % 3 = 0;" >&3
        pid=
        for _ in $(seq 200); do
            pid=$(psql -X -At -d "$DB" -c "SELECT pid FROM pg_stat_activity
                    WHERE application_name = 'mover_$round' AND state = 'idle in transaction'
                      AND query LIKE 'INSERT INTO commit_gate%'")
            [ -n "$pid" ] && break
            sleep 0.05
        done
        if [ -z "$pid" ]; then
            exec 3>&-
            fail $name "round $round: the transaction never got ready to commit"
            return
        fi
        before=("$moved"/*/part-*)
        echo "COMMIT;" >&3
        case $((round % 3)) in
        0)  for _ in $(seq 100); do
                [ -n "$(psql -X -At -d "$DB" -c "SELECT 1 FROM pg_stat_activity
                          WHERE pid = $pid AND wait_event = 'PgSleep'")" ] && break
                sleep 0.01
            done ;;
        1)  for _ in $(seq 5000); do
                got=("$moved"/*/part-*)
                [ "${#got[@]}" -gt "${#before[@]}" ] && break
            done ;;
        2)  sleep "0.$((RANDOM % 4))$((RANDOM % 10))" ;;
        esac
        kill -9 "$pid" 2>/dev/null
        exec 3>&-
        wait "$client" 2>/dev/null
        for _ in $(seq 100); do
            psql -X -At -d "$DB" -c "SELECT 1" >/dev/null 2>&1 && break
            sleep 0.2
        done
        if [ "$(sql -c "SELECT count(*) FROM $staging WHERE round = $round")" = 0 ]; then
            committed=$((committed + 1))
        else
            aborted=$((aborted + 1))
        fi
        got=$(sql -c "SELECT count(*), count(DISTINCT id)
                        FROM (SELECT id FROM $table UNION ALL SELECT id FROM $staging) s")
        if [ "$got" != "$total|$total" ]; then
            fail $name "round $round: the lake and the table hold $got rows (all, distinct), not $total"
            shopt -u nullglob
            return
        fi
    done
    shopt -u nullglob
    rm -f "$fifo"
    echo "# $committed of $rounds killed transactions had committed, $aborted had not"
    pass $name
}

# 5. what a crash leaves at any point is settled by the commit log on the
#    next scan: a committed transaction's files under their hidden names (a
#    crash after its commit, before the renames) are renamed and read; an
#    aborted one's are removed; a running one's, another cluster's, and
#    those of an id this cluster has not reached stay hidden and untouched
check_settled_by_commit_log() {
    local name=crash_leftovers_settled_by_commit_log dir="$OUT/settle" system next aborted_xid
    local fifo="$CLUSTER_DIR/holder.fifo" holder running_xid f got
    mkdir -p "$dir"
    chmod 777 "$dir"
    [ "$(id -u)" -eq 0 ] && chown postgres "$dir"
    sql <<SQL >/dev/null
CREATE FOREIGN TABLE settle (id int, day int)
  SERVER files OPTIONS (path '$dir', partition_by 'day');
INSERT INTO settle SELECT i, i % 3 FROM generate_series(1, 30) i;
SQL
    system=$(sql -c "SELECT system_identifier FROM pg_control_system()")
    # the state a crash between the commit and the renames leaves
    for f in "$dir"/day=*/part-*; do
        xid=$(basename "$f" | cut -d- -f4)
        mv "$f" "$(dirname "$f")/.ritual-tmp-$system-$xid-$(basename "$f")"
    done
    aborted_xid=$(sql -c "BEGIN" -c "SELECT pg_current_xact_id()" -c "ROLLBACK" | head -1)
    printf '101\n102\n' >"$dir/day=0/.ritual-tmp-$system-$aborted_xid-part-1-1-$aborted_xid-1.csv"
    printf '201\n' >"$dir/day=0/.ritual-tmp-$((system + 1))-$aborted_xid-part-1-1-$aborted_xid-2.csv"
    next=$(sql -c "SELECT pg_current_xact_id()::text::bigint + 1000")
    printf '301\n' >"$dir/day=0/.ritual-tmp-$system-$next-part-1-1-$next-3.csv"
    # a transaction that runs while the table is read, and then commits
    rm -f "$fifo"
    mkfifo "$fifo"
    PGAPPNAME=holder psql -X -q -d "$DB" <"$fifo" >/dev/null &
    holder=$!
    exec 4>"$fifo"
    echo "BEGIN; SELECT pg_current_xact_id();" >&4
    for _ in $(seq 100); do
        running_xid=$(sql -c "SELECT backend_xid FROM pg_stat_activity WHERE application_name = 'holder'")
        [ -n "$running_xid" ] && break
        sleep 0.05
    done
    printf '401\n' >"$dir/day=0/.ritual-tmp-$system-$running_xid-part-1-1-$running_xid-4.csv"
    chmod -R a+rw "$dir"
    got=$(sql -c "SELECT count(*), count(*) FILTER (WHERE id > 100) FROM settle" 2>/dev/null)
    if [ "$got" != "30|0" ]; then
        exec 4>&-
        wait $holder
        fail $name "expected the 30 committed rows alone, read $got (all, other)"
        return
    fi
    if [ -n "$(find "$dir" -name ".ritual-tmp-$system-*-part-*-$aborted_xid-1.csv")" ]; then
        exec 4>&-
        wait $holder
        fail $name "the aborted transaction's file is still there"
        return
    fi
    got=$(find "$dir" -name '.ritual-tmp-*' | wc -l)
    if [ "$got" != 3 ] || [ "$(find "$dir" -name 'part-*' | wc -l)" != 3 ]; then
        exec 4>&-
        wait $holder
        fail $name "expected 3 files renamed and 3 hidden ones left alone, found $got hidden"
        return
    fi
    echo "COMMIT;" >&4
    exec 4>&-
    wait $holder
    rm -f "$fifo"
    got=$(sql -c "SELECT count(*), string_agg(id::text, ',') FILTER (WHERE id > 100) FROM settle" 2>/dev/null)
    if [ "$got" != "31|401" ]; then
        fail $name "once the running transaction committed, expected its row too, read $got"
        return
    fi
    pass $name
}

check_concurrent_writers
check_killed_writer events
check_killed_writer events_parquet
check_duckdb_reads_the_layout
check_duckdb_reads_parquet
check_killed_commit csv
check_killed_commit parquet
check_settled_by_commit_log
echo "writing: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
