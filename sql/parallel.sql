--
-- parallel: a parallel scan returns what a serial scan does, whether it
-- splits the work by files or by blocks of one file, with quoted line
-- breaks, bad rows and meta columns
--
\getenv datadir RITUAL_TESTDATA
\set big :datadir '/parallel_big.csv'
\set lake :datadir '/lake'
\set unbalanced :datadir '/parallel_unbalanced.csv'

-- 40,000 rows; every 97th has a quoted field with line breaks, quotes and
-- commas, every 1000th a bad id
COPY (SELECT CASE WHEN i % 1000 = 0 THEN 'x' || i ELSE i::text END AS id,
             CASE WHEN i % 97 = 0
                  THEN format(E'note %s\nspans "two" lines,\r\nthree', i)
                  ELSE 'plain ' || i END AS note,
             timestamp '2024-03-01' + i * interval '1 minute' AS at
        FROM generate_series(1, 40000) AS i)
  TO :'big' WITH (FORMAT csv, HEADER);

CREATE FOREIGN TABLE big (id int, note text, at timestamp,
    line bigint OPTIONS (meta 'line'), errors text OPTIONS (meta 'errors'))
  SERVER files OPTIONS (path :'big', header 'true', on_error 'null');

-- small blocks, and parallel plans even for small inputs
SET ritual.parallel_block_size = '64kB';
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;

SET max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE serial_rows AS SELECT * FROM big;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT * FROM big;
CREATE TEMP TABLE parallel_rows AS SELECT * FROM big;

-- the same rows, line numbers and errors included
SELECT count(*) AS rows, count(errors) AS bad, max(line) AS last_line
  FROM parallel_rows;
SELECT count(*) AS differences FROM (
  (SELECT * FROM serial_rows EXCEPT ALL SELECT * FROM parallel_rows)
  UNION ALL
  (SELECT * FROM parallel_rows EXCEPT ALL SELECT * FROM serial_rows)) AS d;
SELECT line, id, errors FROM parallel_rows WHERE note LIKE 'note 97%';

-- one NOTICE for the whole scan, naming the first bad row of the file
ALTER FOREIGN TABLE big OPTIONS (SET on_error 'skip');
SELECT count(*) FROM big;
-- reject_limit counts the rows of all processes
ALTER FOREIGN TABLE big OPTIONS (ADD reject_limit '10');
\set VERBOSITY terse
SELECT count(*) FROM big;
\set VERBOSITY default
ALTER FOREIGN TABLE big OPTIONS (DROP reject_limit);

-- EXPLAIN ANALYZE sums the work of all processes
CREATE FUNCTION ritual_figures(query text) RETURNS SETOF text
LANGUAGE plpgsql AS $$
DECLARE
  line text;
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) ' || query LOOP
    IF line ~ 'Ritual|Parallel Foreign Scan' THEN
      RETURN NEXT regexp_replace(line, '\(actual.*\)', '');
    END IF;
  END LOOP;
END $$;
SELECT ritual_figures('SELECT count(*) FROM big');
DROP FUNCTION ritual_figures;

-- several files, each read whole by one process
CREATE FOREIGN TABLE lake (user_id int, event_type text, event_date timestamp,
    file text OPTIONS (meta 'filename'), line int OPTIONS (meta 'line'))
  SERVER files OPTIONS (path :'lake', header 'true');
SET max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE serial_lake AS SELECT * FROM lake;
SET max_parallel_workers_per_gather = 2;
CREATE TEMP TABLE parallel_lake AS SELECT * FROM lake;
SELECT count(*) AS rows, (SELECT count(*) FROM (
  (SELECT * FROM serial_lake EXCEPT ALL SELECT * FROM parallel_lake)
  UNION ALL
  (SELECT * FROM parallel_lake EXCEPT ALL SELECT * FROM serial_lake)) d) AS differences
  FROM parallel_lake;

-- a stray quote (a bad row, skipped) makes quotes unbalanced: a block split
-- judged by their parity can land inside a quoted field, which the reader
-- notices instead of returning wrong rows
COPY (SELECT line FROM (
        SELECT 0 AS n, 'id,note' AS line
        UNION ALL SELECT 1, '1,ab"c'
        UNION ALL SELECT i, i || ',plain' FROM generate_series(2, 9999) AS i
        UNION ALL SELECT 10000, '10000,"quoted'
        UNION ALL SELECT 10001, 'on two lines"'
        UNION ALL SELECT i, i || ',plain' FROM generate_series(10002, 20000) AS i
      ) AS raw ORDER BY n)
  TO :'unbalanced' WITH (FORMAT csv, QUOTE E'\x01', DELIMITER E'\x02');
CREATE FOREIGN TABLE unbalanced (id int, note text)
  SERVER files OPTIONS (path :'unbalanced', header 'true', on_error 'skip');
SET max_parallel_workers_per_gather = 0;
SELECT count(*), max(id) FROM unbalanced;
SET max_parallel_workers_per_gather = 2;
\set VERBOSITY terse
SELECT count(*), max(id) FROM unbalanced;
\set VERBOSITY default

-- a lone CR inside a simple quoted field ends a line in a block's count of
-- the lines before it, and so it must in the reader: the line numbers of a
-- parallel scan are those of a serial one
\set quoted_cr :datadir '/parallel_quoted_cr.csv'
COPY (SELECT i AS id, CASE WHEN i % 50 = 0 THEN E'cr\rinside ' || i
                           ELSE 'plain ' || i END AS note
        FROM generate_series(1, 20000) AS i)
  TO :'quoted_cr' WITH (FORMAT csv, HEADER);
CREATE FOREIGN TABLE quoted_cr (id int, note text, line bigint OPTIONS (meta 'line'))
  SERVER files OPTIONS (path :'quoted_cr', header 'true');
SET max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE serial_cr AS SELECT * FROM quoted_cr;
SET max_parallel_workers_per_gather = 2;
CREATE TEMP TABLE parallel_cr AS SELECT * FROM quoted_cr;
SELECT count(*) AS rows, max(line) AS last_line, (SELECT count(*) FROM (
  (SELECT * FROM serial_cr EXCEPT ALL SELECT * FROM parallel_cr)
  UNION ALL
  (SELECT * FROM parallel_cr EXCEPT ALL SELECT * FROM serial_cr)) d) AS differences
  FROM parallel_cr;
-- a domain whose CHECK runs plpgsql, and citext (an input function of an
-- extension), under on_error 'null': their errors can only be caught in a
-- subtransaction, which no process of a parallel query may start, so a scan
-- that converts them is planned serial, and reads what a serial scan reads
CREATE EXTENSION citext;
CREATE FUNCTION id_allowed(id int) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
  n int;
BEGIN
  SELECT 1 / (CASE WHEN id % 1001 = 0 THEN 0 ELSE 1 END) INTO n;
  RETURN true;
END $$;
CREATE DOMAIN checked_id AS int CHECK (id_allowed(VALUE));
CREATE FOREIGN TABLE checked_big (id checked_id, note citext, at timestamp,
    errors text OPTIONS (meta 'errors'))
  SERVER files OPTIONS (path :'big', header 'true', on_error 'null');
EXPLAIN (COSTS OFF) SELECT count(id) FROM checked_big;
EXPLAIN (COSTS OFF) SELECT count(*) FROM checked_big WHERE note = 'PLAIN 5';
SELECT count(*) AS rows, count(id) AS ids, count(note) AS notes,
       count(errors) AS bad FROM checked_big;
SELECT count(*) FROM checked_big WHERE note = 'PLAIN 5';
-- the leader of a parallel query cannot start one either (here forced by
-- force_parallel_mode): there the values convert as under on_error 'stop'
SET force_parallel_mode = on;
SELECT count(note) FROM checked_big;
SELECT count(id) FROM checked_big;
RESET force_parallel_mode;
ALTER FOREIGN TABLE checked_big OPTIONS (SET on_error 'skip');
EXPLAIN (COSTS OFF) SELECT count(at) FROM checked_big;
SELECT count(at) FROM checked_big;
-- a query that converts neither stays parallel
ALTER FOREIGN TABLE checked_big OPTIONS (SET on_error 'null');
EXPLAIN (COSTS OFF) SELECT count(at) FROM checked_big;
SELECT count(at) FROM checked_big;
-- with on_error 'stop' nothing is caught: parallel
ALTER FOREIGN TABLE checked_big OPTIONS (SET on_error 'stop');
EXPLAIN (COSTS OFF) SELECT count(note) FROM checked_big;
SELECT count(note) FROM checked_big;
DROP FOREIGN TABLE checked_big;
DROP DOMAIN checked_id;
DROP FUNCTION id_allowed;
DROP EXTENSION citext;

RESET max_parallel_workers_per_gather;
RESET min_parallel_table_scan_size;
RESET parallel_tuple_cost;
RESET parallel_setup_cost;
RESET ritual.parallel_block_size;
DROP FOREIGN TABLE big, lake, unbalanced, quoted_cr;

-- a leader that reads nothing itself still reports the whole scan
\set big :datadir '/parallel_big.csv'
CREATE FOREIGN TABLE big_again (id int, note text, at timestamp)
  SERVER files OPTIONS (path :'big', header 'true', on_error 'skip');
SET ritual.parallel_block_size = '64kB';
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
SELECT count(*) FROM big_again;
RESET parallel_leader_participation;
RESET max_parallel_workers_per_gather;
RESET min_parallel_table_scan_size;
RESET parallel_tuple_cost;
RESET parallel_setup_cost;
RESET ritual.parallel_block_size;
DROP FOREIGN TABLE big_again;

-- a scan that is not parallel-aware inside a parallel plan (the inner side
-- of a join each worker makes) reads every file in every process: no row of
-- the workers' share is lost
CREATE TABLE parallel_keys AS SELECT g AS id, g % 100 AS k FROM generate_series(1, 50000) g;
ANALYZE parallel_keys;
\set names :datadir '/parallel_names.csv'
COPY (SELECT k, 'name ' || k AS name FROM generate_series(0, 99) k) TO :'names' WITH (FORMAT csv, HEADER);
CREATE FOREIGN TABLE parallel_names (k int, name text)
  SERVER files OPTIONS (path :'names', header 'true');
ANALYZE parallel_names;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET enable_parallel_hash = off;
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF)
SELECT count(*), count(DISTINCT n.name) FROM parallel_keys p JOIN parallel_names n ON n.k = p.k;
SELECT count(*), count(DISTINCT n.name) FROM parallel_keys p JOIN parallel_names n ON n.k = p.k;
RESET parallel_leader_participation;
RESET enable_parallel_hash;
RESET max_parallel_workers_per_gather;
RESET min_parallel_table_scan_size;
RESET parallel_tuple_cost;
RESET parallel_setup_cost;
DROP FOREIGN TABLE parallel_names;
DROP TABLE parallel_keys;
