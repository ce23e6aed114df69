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
