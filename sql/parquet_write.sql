--
-- parquet_write: INSERT into a table of format 'parquet' writes Parquet
-- files, with statistics on every column chunk, that read back as the rows
-- written
--
\getenv datadir RITUAL_TESTDATA
\set pq :datadir '/written/pq'
\set types :pq '/types'

-- every type, at its edges, and NULLs
CREATE TABLE pq_values (id int, flag boolean, small smallint, big bigint,
    f4 real, f8 double precision, day date, clock time, ts timestamp,
    tstz timestamptz, amount numeric(12,3), exact numeric, id_uuid uuid,
    body text, short varchar(10), code char(3), doc json, docb jsonb,
    raw bytea, span interval, list int[], wide numeric(30,4));
INSERT INTO pq_values VALUES
  (1, true, 32767, 9223372036854775807, 'NaN', '-0', '1969-12-31',
   '23:59:59.999999', '1900-01-01 00:00:00.000001', '2024-03-01 12:00+02',
   -0.001, 'NaN', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '', 'x', 'ab',
   '{"a": [1, 2]}', '[]', '\x00ff00', '-1 day', '{}',
   '-12345678901234567890123456.7891'),
  (2, false, -32768, -9223372036854775808, 'Infinity', '-Infinity',
   '0001-01-01', '00:00', '0001-01-01 00:00', '1970-01-01 00:00+00',
   999999999.999, '-123456789012345678901234567890.5',
   '00000000-0000-0000-0000-000000000000', repeat('é', 100), 'ünï',
   'abc', 'null', '{"k": "v"}', '\x', '1 year 2 mons 3 days 04:05:06.7',
   '{1,NULL,3}', '99999999999999999999999999.9999'),
  (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
   NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  (4, true, 0, 0, 1.5, 0, '9999-12-31', '12:00', '9999-12-31 23:59:59',
   '2262-04-11 23:47:16.854775+00', 0, 0.1,
   'ffffffff-ffff-ffff-ffff-ffffffffffff', E'tab\tand\nnewline "quoted"',
   '', '', '"text"', '{"a": 1}', '\x0000', '0', '{{1,2},{3,4}}', 0.0001);
CREATE FOREIGN TABLE pq_written (id int, flag boolean, small smallint,
    big bigint, f4 real, f8 double precision, day date, clock time,
    ts timestamp, tstz timestamptz, amount numeric(12,3), exact numeric,
    id_uuid uuid, body text, short varchar(10), code char(3), doc json,
    docb jsonb, raw bytea, span interval, list int[], wide numeric(30,4))
  SERVER files OPTIONS (path :'types', format 'parquet');
INSERT INTO pq_written SELECT * FROM pq_values;
-- every value reads back as itself (rows compared as text: json has no =)
SELECT count(*) AS missing FROM (
  SELECT v::text FROM pq_values v EXCEPT ALL SELECT w::text FROM pq_written w) d;
SELECT count(*) AS invented FROM (
  SELECT w::text FROM pq_written w EXCEPT ALL SELECT v::text FROM pq_values v) d;
SELECT id, f4, f8, day, ts, tstz, amount, length(body) AS body_length, short, raw, wide
  FROM pq_written ORDER BY id;

-- random rows (a fixed seed): runs of repeats and of NULLs, strings of
-- every length up to 2000 bytes, values few and many, in row groups of an
-- odd size, read back as written
SELECT setseed(0.25);
CREATE TABLE pq_random AS
  SELECT i AS id,
         CASE WHEN r1 < 0.2 THEN NULL ELSE r1 < 0.6 END AS flag,
         CASE WHEN i % 1000 < 300 THEN NULL ELSE (r2 * 2000000000 - 1000000000)::int END AS num,
         CASE WHEN r3 < 0.1 THEN NULL ELSE ((i / 50) % 7)::bigint * 1000000007 END AS runs,
         CASE WHEN r4 < 0.05 THEN NULL ELSE r4 * 1e10 - 5e9 END AS float,
         CASE WHEN r5 < 0.15 THEN NULL
              WHEN r5 < 0.5 THEN (ARRAY['a', 'bb', 'ccc', ''])[1 + i % 4]
              ELSE repeat(chr(65 + (i % 50)), (r5 * 2000)::int) END AS label,
         date '2024-01-01' + (r1 * 400)::int AS day
    FROM (SELECT i, random() AS r1, random() AS r2, random() AS r3, random() AS r4,
                 random() AS r5 FROM generate_series(1, 20000) AS i) AS g;
\set random_dir :pq '/random'
CREATE FOREIGN TABLE pq_random_written (id int, flag boolean, num int, runs bigint,
    float double precision, label text, day date)
  SERVER files OPTIONS (path :'random_dir', format 'parquet', row_group_size '777');
INSERT INTO pq_random_written SELECT * FROM pq_random;
SELECT count(*) AS missing FROM (
  SELECT * FROM pq_random EXCEPT ALL SELECT * FROM pq_random_written) d;
SELECT count(*) AS invented FROM (
  SELECT * FROM pq_random_written EXCEPT ALL SELECT * FROM pq_random) d;
SELECT count(*) AS rows, count(flag) AS flags, count(num) AS nums, count(label) AS labels
  FROM pq_random_written;

-- how each type is written
SELECT :'types' || '/' || f AS types_file FROM pg_ls_dir(:'types') AS f \gset
SELECT name, type, type_length, repetition_type, converted_type, scale,
       "precision", logical_type
  FROM ritual.parquet_schema(:'types_file');
-- statistics on every column chunk: NULL counts always, least and
-- greatest values but NaN; -0 and +0 at the ends of a range through zero;
-- a long string cut to 64 bytes between characters, the greatest with its
-- last character raised by one (é to ê), so that both stay bounds
SELECT path_in_schema, stats_null_count, stats_min_value, stats_max_value,
       encodings, compression
  FROM ritual.parquet_metadata(:'types_file') ORDER BY column_id;

-- a codec per option compression, snappy by default
\set snappy :pq '/snappy'
\set zstd :pq '/zstd'
\set gzip :pq '/gzip'
\set none :pq '/none'
CREATE FOREIGN TABLE pq_snappy (id int, kind text, at timestamptz)
  SERVER files OPTIONS (path :'snappy', format 'parquet');
CREATE FOREIGN TABLE pq_zstd (id int, kind text, at timestamptz)
  SERVER files OPTIONS (path :'zstd', format 'parquet', compression 'zstd');
CREATE FOREIGN TABLE pq_gzip (id int, kind text, at timestamptz)
  SERVER files OPTIONS (path :'gzip', format 'parquet', compression 'gzip');
CREATE FOREIGN TABLE pq_none (id int, kind text, at timestamptz)
  SERVER files OPTIONS (path :'none', format 'parquet', compression 'none');
CREATE TABLE pq_events AS
  SELECT i AS id, (ARRAY['open', 'start', 'complete', 'share'])[1 + i % 4] AS kind,
         timestamptz '2024-03-01 00:00+00' + i * interval '1 minute' AS at
    FROM generate_series(1, 5000) AS i;
INSERT INTO pq_snappy SELECT * FROM pq_events;
INSERT INTO pq_zstd SELECT * FROM pq_events;
INSERT INTO pq_gzip SELECT * FROM pq_events;
INSERT INTO pq_none SELECT * FROM pq_events;
SELECT 'snappy' AS codec, count(*), sum(id), count(DISTINCT kind), max(at) FROM pq_snappy
UNION ALL SELECT 'zstd', count(*), sum(id), count(DISTINCT kind), max(at) FROM pq_zstd
UNION ALL SELECT 'gzip', count(*), sum(id), count(DISTINCT kind), max(at) FROM pq_gzip
UNION ALL SELECT 'none', count(*), sum(id), count(DISTINCT kind), max(at) FROM pq_none;
-- a column of few values gets a dictionary; one of distinct values does not
SELECT compression, path_in_schema, encodings, dictionary_page_offset IS NOT NULL AS dictionary
  FROM (SELECT DISTINCT d || '/' || f AS file
          FROM unnest(ARRAY[:'snappy', :'zstd', :'gzip', :'none']) AS d,
               pg_ls_dir(d) AS f) AS files,
       ritual.parquet_metadata(file) AS m
  ORDER BY compression, column_id;

-- row groups of option row_group_size rows, each skipped by its statistics
\set groups :pq '/groups'
CREATE FOREIGN TABLE pq_groups (id int, kind text, at timestamptz)
  SERVER files OPTIONS (path :'groups', format 'parquet', row_group_size '1500');
INSERT INTO pq_groups SELECT * FROM pq_events ORDER BY id;
SELECT :'groups' || '/' || f AS groups_file FROM pg_ls_dir(:'groups') AS f \gset
SELECT row_group_id, row_group_num_rows, stats_min_value, stats_max_value
  FROM ritual.parquet_metadata(:'groups_file')
  WHERE path_in_schema = 'id' ORDER BY row_group_id;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
  SELECT count(*) FROM pq_groups WHERE id BETWEEN 1600 AND 1700;

-- partitioned: one file per partition, whatever the order of the rows
\set parts :pq '/parts'
CREATE FOREIGN TABLE pq_parts (id int, kind text, at timestamptz, day date,
    file text OPTIONS (meta 'filename'))
  SERVER files OPTIONS (path :'parts', format 'parquet', partition_by 'day');
INSERT INTO pq_parts (id, kind, at, day)
  SELECT id, kind, at, date '2024-03-01' + (id * 7919) % 40 FROM pq_events;
SELECT count(*) AS rows, count(DISTINCT day) AS days, count(DISTINCT file) AS files
  FROM pq_parts;
SELECT count(*) AS differences FROM (
  SELECT id, kind, at FROM pq_events EXCEPT ALL SELECT id, kind, at FROM pq_parts) d;
SELECT DISTINCT regexp_replace(replace(file, :'parts', ''), 'part-[0-9-]+', 'part-N') AS file
  FROM pq_parts WHERE day < '2024-03-03' ORDER BY 1;

-- a lake of Parquet files alone, imported, is of format 'parquet', so that
-- an INSERT into it writes Parquet too
CREATE SCHEMA pq_imported;
IMPORT FOREIGN SCHEMA :"pq" LIMIT TO (parts) FROM SERVER files INTO pq_imported;
SELECT array_to_string(ftoptions, ', ') AS options
  FROM pg_foreign_table WHERE ftrelid = 'pq_imported.parts'::regclass;
INSERT INTO pq_imported.parts (id, kind, at, day)
  VALUES (99999, 'imported', '2024-04-01 00:00+00', '2024-04-01');
SELECT id, kind, regexp_replace(replace(file, :'parts', ''), 'part-[0-9-]+', 'part-N') AS file
  FROM pq_parts WHERE id = 99999;
DROP SCHEMA pq_imported CASCADE;

-- past max_file_size a partition rolls over to a new file
\set small :pq '/small'
CREATE FOREIGN TABLE pq_small (id int, kind text, at timestamptz,
    file text OPTIONS (meta 'filename'))
  SERVER files OPTIONS (path :'small', format 'parquet', max_file_size '8kB',
                        row_group_size '500');
INSERT INTO pq_small (id, kind, at) SELECT * FROM pq_events;
SELECT count(*) AS rows, sum(id), count(DISTINCT file) > 2 AS several_files
  FROM pq_small;

-- 1,000 partitions in one statement: a file each, and what they buffer
-- (80MB of rows) stays near the writer's budget of 64MB in all, with
-- allocation overhead (about 100MB here)
\set many :pq '/many'
CREATE FOREIGN TABLE pq_many (id int, pad text, part int, file text OPTIONS (meta 'filename'))
  SERVER files OPTIONS (path :'many', format 'parquet', partition_by 'part');
BEGIN;
INSERT INTO pq_many (id, pad, part)
  SELECT i, repeat('x', 200), i % 1000 FROM generate_series(1, 400000) AS i;
SELECT sum(total_bytes) BETWEEN 32 * 1048576 AND 128 * 1048576 AS bounded,
       count(*) FILTER (WHERE name = 'ritual Parquet file') AS files
  FROM pg_backend_memory_contexts WHERE name LIKE 'ritual Parquet %';
COMMIT;
SELECT count(*) AS rows, count(DISTINCT part) AS parts, count(DISTINCT file) AS files
  FROM pq_many;
-- and so do CSV files, whose text waits in buffers of the same budget
\set many_csv :pq '/many_csv'
CREATE FOREIGN TABLE csv_many (id int, pad text, part int, file text OPTIONS (meta 'filename'))
  SERVER files OPTIONS (path :'many_csv', partition_by 'part');
BEGIN;
SELECT sum(total_bytes) AS before FROM pg_backend_memory_contexts \gset
INSERT INTO csv_many (id, pad, part)
  SELECT i, repeat('x', 200), i % 1000 FROM generate_series(1, 400000) AS i;
SELECT sum(total_bytes) - :before < 128 * 1048576 AS bounded FROM pg_backend_memory_contexts;
COMMIT;
SELECT count(*) AS rows, count(DISTINCT part) AS parts, count(DISTINCT file) AS files
  FROM csv_many;

-- COPY FROM writes as INSERT does
COPY pq_snappy FROM STDIN (FORMAT csv);
80001,copied,2024-05-01 10:00:00+00
80002,,2024-05-01 11:00:00+00
\.
SELECT id, kind, kind IS NULL AS null_kind, at FROM pq_snappy WHERE id > 80000 ORDER BY id;

-- an aborted transaction, or savepoint, leaves nothing
BEGIN;
INSERT INTO pq_snappy VALUES (90001, 'gone', now());
SELECT count(*) AS visible_inside FROM pq_snappy WHERE id = 90001;
ROLLBACK;
BEGIN;
INSERT INTO pq_snappy VALUES (90002, 'kept', now());
SAVEPOINT s;
INSERT INTO pq_snappy VALUES (90003, 'gone', now());
ROLLBACK TO s;
SAVEPOINT t;
INSERT INTO pq_snappy VALUES (90004, 'kept', now());
RELEASE t;
COMMIT;
SELECT id, kind FROM pq_snappy WHERE id > 90000 ORDER BY id;

-- two tables of the same columns written in one transaction each get their
-- own rows (CSV and Parquet alike)
\set two_a :pq '/two_a'
\set two_b :pq '/two_b'
CREATE FOREIGN TABLE pq_two_a (id int, side text) SERVER files
  OPTIONS (path :'two_a', header 'true');
CREATE FOREIGN TABLE pq_two_b (id int, side text) SERVER files
  OPTIONS (path :'two_b', header 'true');
BEGIN;
INSERT INTO pq_two_a VALUES (1, 'a');
INSERT INTO pq_two_b VALUES (2, 'b');
INSERT INTO pq_two_a VALUES (3, 'a');
COMMIT;
SELECT 'a' AS t, * FROM pq_two_a UNION ALL SELECT 'b', * FROM pq_two_b ORDER BY id;

-- a table altered in the middle of a transaction starts a new file
\set altered :pq '/altered'
CREATE FOREIGN TABLE pq_altered (id int) SERVER files
  OPTIONS (path :'altered', format 'parquet');
BEGIN;
INSERT INTO pq_altered VALUES (1);
ALTER FOREIGN TABLE pq_altered ADD COLUMN note text;
INSERT INTO pq_altered VALUES (2, 'two');
COMMIT;
SELECT * FROM pq_altered ORDER BY id;

-- values Parquet cannot hold are refused, never changed
\set refused :pq '/refused'
CREATE FOREIGN TABLE pq_refused (day date, ts timestamptz, amount numeric(10,2))
  SERVER files OPTIONS (path :'refused', format 'parquet', missing_ok 'true');
INSERT INTO pq_refused (day) VALUES ('infinity');
INSERT INTO pq_refused (ts) VALUES ('-infinity');
INSERT INTO pq_refused (ts) VALUES ('294276-12-31 23:59:59+00');
INSERT INTO pq_refused (amount) VALUES ('NaN');
SELECT count(*) AS nothing_written FROM pq_refused;

-- options
CREATE FOREIGN TABLE pq_bad (id int) SERVER files
  OPTIONS (path :'refused', compression 'snappy');
SELECT * FROM pq_bad;
DROP FOREIGN TABLE pq_bad;
CREATE FOREIGN TABLE pq_bad (id int) SERVER files
  OPTIONS (path :'refused', format 'csv', compression 'snappy');
CREATE FOREIGN TABLE pq_bad (id int) SERVER files
  OPTIONS (path :'refused', format 'parquet', row_group_size '0');
CREATE FOREIGN TABLE pq_bad (id int) SERVER files
  OPTIONS (path :'refused', format 'parquet', row_group_size '1e6');
CREATE FOREIGN TABLE pq_bad (id int) SERVER files
  OPTIONS (path :'refused', format 'parquet', row_groups_size '100');

-- writing Parquet files needs pg_write_server_files, as writing CSV does
CREATE ROLE regress_pq_writer;
CREATE ROLE regress_pq_no_writer;
GRANT pg_write_server_files TO regress_pq_writer;
GRANT INSERT, SELECT ON pq_altered TO regress_pq_writer, regress_pq_no_writer;
SET ROLE regress_pq_no_writer;
INSERT INTO pq_altered VALUES (3, 'denied');
RESET ROLE;
SET ROLE regress_pq_writer;
INSERT INTO pq_altered VALUES (4, 'written');
RESET ROLE;
SELECT * FROM pq_altered ORDER BY id;
REVOKE ALL ON pq_altered FROM regress_pq_writer, regress_pq_no_writer;
DROP ROLE regress_pq_writer, regress_pq_no_writer;
