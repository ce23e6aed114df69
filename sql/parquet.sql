--
-- parquet: ritual.parquet_metadata() and ritual.parquet_schema() read a
-- Parquet file's footer (tests/data/parquet/, made by tests/make_parquet.mjs);
-- a broken file is a clear ERROR, never a crash; reading a file is for
-- superusers and members of pg_read_server_files
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS ritual;
RESET client_min_messages;
\getenv datadir RITUAL_TESTDATA
\set dir :datadir '/parquet'
\set types :dir '/types_snappy.parquet'
\set hostile :dir '/hostile'

-- every physical type DuckDB writes, with its statistics shown by the
-- column's logical type; unsigned columns hide the deprecated (signed) min/max
SELECT column_id, path_in_schema, type, stats_min, stats_max, stats_min_value,
       stats_max_value, stats_null_count, stats_distinct_count
  FROM ritual.parquet_metadata(:'types') ORDER BY column_id;

-- where each chunk is, and how it is stored
SELECT row_group_id, row_group_num_rows, row_group_num_columns, row_group_bytes,
       column_id, file_offset, num_values, compression, encodings,
       index_page_offset, dictionary_page_offset, data_page_offset,
       total_compressed_size, total_uncompressed_size
  FROM ritual.parquet_metadata(:'types') ORDER BY column_id;

-- the schema: the root, then one element per column, with logical types
SELECT name, type, type_length, repetition_type, num_children, converted_type,
       scale, precision, field_id, logical_type
  FROM ritual.parquet_schema(:'types');

-- each codec is named; the footer is the same whatever the codec
SELECT replace(file_name, :'dir' || '/', '') AS file,
       compression, count(*) AS chunks, sum(num_values) AS values
  FROM (SELECT * FROM ritual.parquet_metadata(:'dir' || '/types_gzip.parquet')
        UNION ALL SELECT * FROM ritual.parquet_metadata(:'dir' || '/types_zstd.parquet')
        UNION ALL SELECT * FROM ritual.parquet_metadata(:'dir' || '/types_uncompressed.parquet')) m
 GROUP BY 1, 2 ORDER BY 1;

-- several row groups, each with its own statistics and NULL counts
SELECT row_group_id, row_group_num_rows, column_id, path_in_schema,
       stats_min_value, stats_max_value, stats_null_count, compression, encodings
  FROM ritual.parquet_metadata(:'dir' || '/row_groups.parquet');

-- nested columns: the path through the schema's groups
SELECT column_id, path_in_schema, type, num_values
  FROM ritual.parquet_metadata(:'dir' || '/nested.parquet');
SELECT name, type, repetition_type, num_children, converted_type, logical_type
  FROM ritual.parquet_schema(:'dir' || '/nested.parquet');

-- hostile files: each one ERROR that says what is wrong
SELECT * FROM ritual.parquet_metadata(:'hostile' || '/no_magic.parquet');
SELECT * FROM ritual.parquet_metadata(:'hostile' || '/cut_short.parquet');
SELECT * FROM ritual.parquet_metadata(:'hostile' || '/empty.parquet');
SELECT * FROM ritual.parquet_metadata(:'hostile' || '/footer_too_long.parquet');
SELECT * FROM ritual.parquet_metadata(:'hostile' || '/truncated_footer.parquet');
SELECT * FROM ritual.parquet_metadata(:'hostile' || '/huge_list.parquet');
SELECT * FROM ritual.parquet_metadata(:'hostile' || '/deep_nesting.parquet');
SELECT * FROM ritual.parquet_metadata(:'hostile' || '/bad_field_type.parquet');
SELECT * FROM ritual.parquet_metadata(:'hostile' || '/long_varint.parquet');
SELECT * FROM ritual.parquet_metadata(:'hostile' || '/missing_fields.parquet');
SELECT * FROM ritual.parquet_schema(:'hostile' || '/encrypted.parquet');
SELECT * FROM ritual.parquet_schema(:'hostile');
SELECT * FROM ritual.parquet_schema(:'dir' || '/no_such_file.parquet');
-- STRICT: a NULL path is no rows, not an error
SELECT count(*) FROM ritual.parquet_metadata(NULL);

-- a plain role may not read a server file, even with EXECUTE ...
CREATE ROLE regress_parquet_plain;
CREATE ROLE regress_parquet_reader;
GRANT pg_read_server_files TO regress_parquet_reader;
GRANT USAGE ON SCHEMA ritual TO regress_parquet_plain, regress_parquet_reader;
SET ROLE regress_parquet_plain;
SELECT count(*) FROM ritual.parquet_metadata(:'types');
SELECT count(*) FROM ritual.parquet_schema('/etc/passwd');
RESET ROLE;
-- ... a member of pg_read_server_files may
SET ROLE regress_parquet_reader;
SELECT count(*) FROM ritual.parquet_metadata(:'types');
SELECT count(*) FROM ritual.parquet_schema(:'types');
RESET ROLE;
REVOKE USAGE ON SCHEMA ritual FROM regress_parquet_plain, regress_parquet_reader;
DROP ROLE regress_parquet_plain, regress_parquet_reader;

--
-- Reading Parquet files as a foreign table
--
CREATE SERVER parquet_files FOREIGN DATA WRAPPER ritual_fdw;
-- every column of tests/make_parquet.mjs's table, in types PostgreSQL has
-- for them; unsigned integers go to the next wider type
CREATE FOREIGN TABLE pq_types (
    id bigint, flag boolean, tiny smallint, small smallint, int32 integer,
    int64 bigint, utiny smallint, ubig numeric, real4 real, double8 double precision,
    name text, mood text, doc json, day date, at_time time, ts timestamp,
    tstz timestamptz, dec9 numeric(9,2), dec30 numeric(30,3), uid uuid, raw bytea,
    row_number bigint OPTIONS (meta 'line'))
  SERVER parquet_files OPTIONS (path :'types');
SET timezone = 'UTC';
SELECT * FROM pq_types ORDER BY id;
-- each codec reads the same rows
\set codecs :dir '/types_*.parquet'
\set row_groups :dir '/row_groups.parquet'
\set nested :dir '/nested.parquet'
\set csv :datadir '/events.csv'
\set footer_too_long :hostile '/footer_too_long.parquet'
\set truncated_footer :hostile '/truncated_footer.parquet'
CREATE FOREIGN TABLE pq_codecs (file text OPTIONS (meta 'filename'), id bigint,
    name text, tstz timestamptz, dec30 numeric, raw bytea)
  SERVER parquet_files OPTIONS (path :'codecs');
SELECT replace(file, :'dir' || '/', '') AS file, count(*), sum(id),
       count(name), max(tstz), sum(dec30), string_agg(raw::text, '' ORDER BY id) = (
         SELECT string_agg(raw::text, '' ORDER BY id) FROM pq_types) AS same_raw
  FROM pq_codecs GROUP BY 1 ORDER BY 1;
-- columns are matched by name, whatever the case, or by option column_name;
-- a column the file lacks is NULL
CREATE FOREIGN TABLE pq_names (ID bigint, "Name" text, renamed double precision
    OPTIONS (column_name 'DOUBLE8'), absent text)
  SERVER parquet_files OPTIONS (path :'types');
SELECT * FROM pq_names WHERE id <= 3 ORDER BY id;
-- a value that does not fit its column is a bad value, named by row group,
-- row and column
CREATE FOREIGN TABLE pq_narrow (id bigint, int64 integer, name date)
  SERVER parquet_files OPTIONS (path :'types');
SELECT * FROM pq_narrow;
-- the page buffers a scan borrowed go back to the backend's pool for the
-- next scan, also when an error ends it: failed scans do not make it grow
CREATE FUNCTION pq_pool_bytes() RETURNS bigint LANGUAGE sql AS
$$SELECT coalesce(sum(total_bytes), 0) FROM pg_backend_memory_contexts
   WHERE name = 'ritual_fdw Parquet page buffers'$$;
DO $$ BEGIN PERFORM * FROM pq_narrow; EXCEPTION WHEN numeric_value_out_of_range THEN END $$;
SELECT pq_pool_bytes() AS pool_after_one \gset
DO $$
BEGIN
  FOR i IN 1..50 LOOP
    BEGIN
      PERFORM * FROM pq_narrow;
    EXCEPTION WHEN numeric_value_out_of_range THEN
    END;
  END LOOP;
END $$;
SELECT :pool_after_one > 0 AS pool_kept, pq_pool_bytes() = :pool_after_one AS pool_flat;
DROP FUNCTION pq_pool_bytes();
ALTER FOREIGN TABLE pq_narrow OPTIONS (ADD on_error 'null');
SELECT * FROM pq_narrow ORDER BY id LIMIT 3;
ALTER FOREIGN TABLE pq_narrow OPTIONS (SET on_error 'skip');
SELECT count(*) FROM pq_narrow;
-- row groups: line is the row's number in the file
CREATE FOREIGN TABLE pq_groups (hundred smallint, kind text, n bigint OPTIONS (meta 'line'))
  SERVER parquet_files OPTIONS (path :'row_groups');
SELECT count(*), count(kind), min(n), max(n), sum(hundred) FROM pq_groups;
SELECT * FROM pq_groups WHERE n IN (1, 2048, 2049, 6000) ORDER BY n;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT count(*) FROM pq_groups;
-- rows that cannot satisfy the conditions by their own values are passed over
-- in the scan: the same counts as the executor's own test of every row
SELECT count(*) FILTER (WHERE kind = 'kind 3') AS kind_3,
       count(*) FILTER (WHERE kind IS NULL) AS no_kind,
       count(*) FILTER (WHERE hundred BETWEEN 20 AND 22 OR kind IS NULL) AS either,
       count(*) FILTER (WHERE NOT (kind IN ('kind 1', 'kind 2') AND hundred < 30)) AS neither
  FROM pq_groups;
SELECT count(*) FROM pq_groups WHERE kind = 'kind 3';
SELECT count(*) FROM pq_groups WHERE kind IS NULL;
SELECT count(*) FROM pq_groups WHERE hundred BETWEEN 20 AND 22 OR kind IS NULL;
SELECT count(*) FROM pq_groups WHERE NOT (kind IN ('kind 1', 'kind 2') AND hundred < 30);
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT count(*) FROM pq_groups WHERE kind = 'kind 3';
-- a file without the tested column (all NULL) after one with it
\set groups_then_types :dir '/[rt][oy]*.parquet'
CREATE FOREIGN TABLE pq_mixed (kind text, id bigint, file text OPTIONS (meta 'filename'))
  SERVER parquet_files OPTIONS (path :'groups_then_types');
SELECT count(*) FILTER (WHERE kind IS NULL) AS no_kind, count(DISTINCT file) AS files
  FROM pq_mixed;
SELECT count(*) AS no_kind FROM pq_mixed WHERE kind IS NULL;
DROP FOREIGN TABLE pq_mixed;
-- nested columns the table does not name are skipped; one it names is an error
CREATE FOREIGN TABLE pq_flat (id bigint) SERVER parquet_files
  OPTIONS (path :'nested');
SELECT * FROM pq_flat ORDER BY id;
CREATE FOREIGN TABLE pq_nested (id bigint, pair text) SERVER parquet_files
  OPTIONS (path :'nested');
SELECT * FROM pq_nested;
-- a table that names no column of the file
CREATE FOREIGN TABLE pq_none (nothing int) SERVER parquet_files OPTIONS (path :'types');
SELECT * FROM pq_none;
-- option format 'parquet' reads any name as Parquet; a CSV file so read is
-- not Parquet
CREATE FOREIGN TABLE pq_csv (id int) SERVER parquet_files
  OPTIONS (path :'csv', format 'parquet');
SELECT * FROM pq_csv;
-- hostile files are an ERROR naming the file, as for the metadata functions
CREATE FOREIGN TABLE pq_hostile (id bigint) SERVER parquet_files
  OPTIONS (path :'footer_too_long');
SELECT * FROM pq_hostile;
ALTER FOREIGN TABLE pq_hostile OPTIONS (SET path :'truncated_footer');
SELECT * FROM pq_hostile;
-- as with CSV and file_fdw, only a superuser or a member of
-- pg_read_server_files may point a table at a path; a role granted SELECT
-- reads the table
CREATE ROLE regress_parquet_plain;
GRANT SELECT ON pq_types TO regress_parquet_plain;
SET ROLE regress_parquet_plain;
SELECT count(*) FROM pq_types;
RESET ROLE;
REVOKE ALL ON pq_types FROM regress_parquet_plain;
DROP ROLE regress_parquet_plain;
DROP SERVER parquet_files CASCADE;
RESET timezone;
