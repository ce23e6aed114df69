--
-- aggregates: count, min and max over Parquet files without grouping or
-- condition are computed by the scan itself (ritual.enable_aggregate_pushdown)
-- and equal the executor's own over the same rows, whatever the types,
-- NULLs, bad values, files and columns; anything else stays the executor's
--
\getenv datadir RITUAL_TESTDATA
\set dir :datadir '/parquet'
\set types :dir '/types_snappy.parquet'
\set row_groups :dir '/row_groups.parquet'
\set written :datadir '/written/pq/aggregates'
\set lake :datadir '/written/pq/agg_lake'
\set coded :datadir '/written/pq/agg_coded'
SET timezone = 'UTC';
CREATE SERVER agg_files FOREIGN DATA WRAPPER ritual_fdw;

-- A query's answer with the scan computing its aggregates and without, and
-- whether the plan had the scan compute them (its top node a Foreign Scan).
CREATE FUNCTION agg_both(query text) RETURNS TABLE (pushed boolean, same boolean, answer text)
LANGUAGE plpgsql AS $$
DECLARE
  plan text;
  own text;
BEGIN
  EXECUTE 'EXPLAIN (COSTS OFF) ' || query INTO plan;
  pushed := plan LIKE 'Foreign Scan%';
  EXECUTE format('SELECT row(q.*)::text FROM (%s) q', query) INTO answer;
  PERFORM set_config('ritual.enable_aggregate_pushdown', 'off', true);
  EXECUTE format('SELECT row(q.*)::text FROM (%s) q', query) INTO own;
  PERFORM set_config('ritual.enable_aggregate_pushdown', 'on', true);
  same := answer IS NOT DISTINCT FROM own;
  RETURN NEXT;
END $$;

-- 5,000 rows written by ritual's own Parquet writer: decoded in several
-- batches, with NULLs, the integers' extremes, NaN and infinities, 0 and -0
-- (max and min keep the later of equal values: -0 here), multibyte text
CREATE TABLE agg_source AS
SELECT g AS i,
       CASE WHEN g % 7 = 0 THEN NULL ELSE (g % 3000 - 1500)::smallint END AS s,
       CASE WHEN g % 11 = 0 THEN NULL WHEN g = 17 THEN 9223372036854775807
            WHEN g = 18 THEN -9223372036854775808 ELSE g * 1000003::bigint END AS b,
       CASE WHEN g % 13 = 0 THEN NULL WHEN g = 100 THEN 'NaN'::real
            WHEN g = 101 THEN '-Infinity'::real ELSE (g / 7.0)::real END AS r,
       CASE WHEN g = 5 THEN '0'::float8 WHEN g = 6 THEN '-0'::float8
            WHEN g % 2 = 0 THEN NULL ELSE -g / 3.0 END AS d,
       CASE WHEN g % 17 = 0 THEN NULL ELSE '2024-01-01'::date + g % 400 END AS day,
       '2024-01-01'::timestamp + g * interval '37 minutes' AS ts,
       CASE WHEN g % 3 = 0 THEN NULL
            ELSE '2023-12-31 22:00+00'::timestamptz + g * interval '1 hour' END AS tstz,
       CASE WHEN g % 5 = 0 THEN NULL WHEN g % 5 = 1 THEN repeat('é', g % 30)
            ELSE 'name ' || g END AS name,
       ('tag' || g % 10)::varchar(10) AS tag
  FROM generate_series(1, 5000) g;
CREATE FOREIGN TABLE agg_values (i int, s smallint, b bigint, r real,
    d double precision, day date, ts timestamp, tstz timestamptz, name text,
    tag varchar(10))
  SERVER agg_files OPTIONS (path :'written', format 'parquet');
INSERT INTO agg_values SELECT * FROM agg_source;

EXPLAIN (COSTS OFF) SELECT count(*), max(i) FROM agg_values;
EXPLAIN (VERBOSE, COSTS OFF)
SELECT count(*) + 1, max(length(name)), min(day) FROM agg_values;
SELECT * FROM agg_both('SELECT count(*), count(i), count(s), count(name), min(s), max(s),
                               min(b), max(b), min(i), max(i) FROM agg_values');
SELECT * FROM agg_both('SELECT min(r), max(r), min(d), max(d) FROM agg_values');
SELECT * FROM agg_both('SELECT min(day), max(day), min(ts), max(ts), min(tstz), max(tstz)
                          FROM agg_values');
SELECT * FROM agg_both('SELECT max(length(name)), min(length(name)), max(char_length(tag)),
                               max(octet_length(name)), min(octet_length(tag)),
                               count(length(name)) FROM agg_values');
-- a text of a few values, which the writer codes into a dictionary and the
-- scan measures once a distinct value of a batch: multibyte and empty
-- values, and batches of NULLs only
CREATE FOREIGN TABLE agg_coded (i int, kind text)
  SERVER agg_files OPTIONS (path :'coded', format 'parquet');
INSERT INTO agg_coded
SELECT g, CASE WHEN g <= 2500 THEN NULL
               ELSE (ARRAY['café', 'ééé', '', 'open', 'a€b'])[g % 5 + 1] END
  FROM generate_series(1, 6000) g;
SELECT * FROM agg_both('SELECT max(length(kind)), min(length(kind)), max(octet_length(kind)),
                               min(octet_length(kind)), max(char_length(kind)), count(kind)
                          FROM agg_coded');
-- the executor's answer over a table of the same rows, for the record
SELECT count(*), max(length(name)), max(octet_length(name)), max(d), min(r), max(r)
  FROM agg_source;
-- expressions of aggregates, an aggregate twice, a view
SELECT * FROM agg_both('SELECT count(*) * 2 + 1, max(i) - min(i), coalesce(max(s), 0),
                               max(i), max(i) + 1 FROM agg_values');
CREATE VIEW agg_view AS SELECT i, name FROM agg_values;
SELECT * FROM agg_both('SELECT count(*), max(i) FROM agg_view');
-- a column the file does not have is NULL
CREATE FOREIGN TABLE agg_absent (i int, missing int, gone text)
  SERVER agg_files OPTIONS (path :'written');
SELECT * FROM agg_both('SELECT count(*), count(missing), max(missing), max(length(gone))
                          FROM agg_absent');
-- the scan is done again for each value of an outer parameter
SELECT g, (SELECT count(*) + g FROM agg_values) AS counted
  FROM generate_series(1, 3) g;
SELECT g, (SELECT max(i) FROM agg_values WHERE g > 1) AS max_i
  FROM generate_series(1, 2) g;

-- a file DuckDB wrote (tests/make_parquet.mjs): every integer width,
-- floats, dates, timestamps with and without time zone, text from a
-- dictionary
CREATE FOREIGN TABLE agg_types (id bigint, tiny smallint, small smallint,
    int32 integer, int64 bigint, real4 real, double8 double precision,
    name text, mood text, day date, ts timestamp, tstz timestamptz)
  SERVER agg_files OPTIONS (path :'types');
SELECT * FROM agg_both('SELECT count(*), min(tiny), max(small), min(int32), max(int64),
                               min(real4), max(double8), max(length(name)),
                               min(length(mood)), max(day), min(ts), max(tstz)
                          FROM agg_types');
-- several row groups; the meta column line goes row by row, the same
CREATE FOREIGN TABLE agg_groups (hundred smallint, kind text,
    n bigint OPTIONS (meta 'line'))
  SERVER agg_files OPTIONS (path :'row_groups');
SELECT * FROM agg_both('SELECT count(*), count(kind), min(hundred), max(hundred),
                               max(length(kind)), min(n), max(n) FROM agg_groups');
-- count(*) reads no value: each row group's row count is the count
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT count(*) FROM agg_groups;

-- a value that does not fit its column is a bad value, as when the
-- executor aggregates: an ERROR naming row group, row and column; NULL; or
-- the row skipped
CREATE FOREIGN TABLE agg_narrow (id bigint, int64 integer)
  SERVER agg_files OPTIONS (path :'types');
SELECT count(*), max(int64) FROM agg_narrow;
ALTER FOREIGN TABLE agg_narrow OPTIONS (ADD on_error 'null');
SELECT count(*), count(int64), max(int64), max(id) FROM agg_narrow;
SET ritual.enable_aggregate_pushdown = off;
SELECT count(*), count(int64), max(int64), max(id) FROM agg_narrow;
RESET ritual.enable_aggregate_pushdown;
ALTER FOREIGN TABLE agg_narrow OPTIONS (SET on_error 'skip');
SELECT count(*), max(id) FROM agg_narrow;
SET ritual.enable_aggregate_pushdown = off;
SELECT count(*), max(id) FROM agg_narrow;
RESET ritual.enable_aggregate_pushdown;

-- good and bad values in the same batches: the bad ones one row at a time
-- (terse: the file written has a name of its own each run)
CREATE FOREIGN TABLE agg_mixed (i int, b integer)
  SERVER agg_files OPTIONS (path :'written', on_error 'null');
\set VERBOSITY terse
SELECT * FROM agg_both('SELECT count(*), count(b), min(b), max(b), max(i) FROM agg_mixed');
\set VERBOSITY default

-- a corrupt page met while rows are taken a batch at a time (the third row
-- group's): the ERROR names the row group and row, as row by row
\set corrupt :datadir '/written/pq/agg_corrupt/row_groups.parquet'
SELECT lo_from_bytea(0, overlay(pg_read_binary_file(:'row_groups')
         PLACING '\xffffffffffffffff'::bytea
         FROM (SELECT data_page_offset::int + 26 FROM ritual.parquet_metadata(:'row_groups')
                WHERE row_group_id = 2 AND column_id = 0))) AS corrupt_lo \gset
SELECT lo_export(:corrupt_lo, :'corrupt') AS exported, lo_unlink(:corrupt_lo) AS unlinked;
CREATE FOREIGN TABLE agg_corrupt (hundred smallint, kind text)
  SERVER agg_files OPTIONS (path :'corrupt');
SELECT count(*), max(hundred) FROM agg_corrupt;
SET ritual.enable_aggregate_pushdown = off;
SELECT count(*), max(hundred) FROM agg_corrupt;
RESET ritual.enable_aggregate_pushdown;
SELECT count(*), max(length(kind)) FROM agg_corrupt;

-- a partitioned Parquet lake: the partition column's values come from the
-- paths, row by row
CREATE FOREIGN TABLE agg_lake (i int, name text, part int)
  SERVER agg_files OPTIONS (path :'lake', format 'parquet', partition_by 'part');
INSERT INTO agg_lake SELECT i, name, i % 4 FROM agg_source;
SELECT * FROM agg_both('SELECT count(*), count(part), min(part), max(part), max(i),
                               max(length(name)) FROM agg_lake');

-- what stays the executor's: conditions, grouping, DISTINCT, FILTER,
-- ORDER BY in the aggregate, text's order, other aggregates, CSV files
SELECT pushed, same FROM agg_both('SELECT count(*) FROM agg_values WHERE i > 10');
SELECT pushed, same FROM agg_both('SELECT count(*) FROM agg_lake WHERE part = 1');
SELECT pushed, same FROM agg_both('SELECT max(i) FROM agg_values GROUP BY s % 2 HAVING true');
SELECT pushed, same FROM agg_both('SELECT count(DISTINCT s) FROM agg_values');
SELECT pushed, same FROM agg_both('SELECT count(*) FILTER (WHERE s > 0) FROM agg_values');
SELECT pushed, same FROM agg_both('SELECT max(name) FROM agg_values');
SELECT pushed, same FROM agg_both('SELECT sum(i), avg(s) FROM agg_values');
SELECT pushed, same FROM agg_both('SELECT max(i + 1) FROM agg_values');
SELECT pushed, same FROM agg_both('SELECT max(i ORDER BY s) FROM agg_values');
\set csv :datadir '/events.csv'
CREATE FOREIGN TABLE agg_csv (user_id bigint, event_type text)
  SERVER agg_files OPTIONS (path :'csv', header 'true');
SELECT pushed, same FROM agg_both('SELECT count(*), max(user_id) FROM agg_csv');
SET ritual.enable_aggregate_pushdown = off;
EXPLAIN (COSTS OFF) SELECT count(*), max(i) FROM agg_values;
RESET ritual.enable_aggregate_pushdown;

DROP SERVER agg_files CASCADE;
DROP FUNCTION agg_both(text);
DROP TABLE agg_source;
