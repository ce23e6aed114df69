/* src/sql/code/parquet.sql: reading a Parquet file's footer. */

-- Executable by everyone: the C code lets only superusers and members of
-- pg_read_server_files read a file, as file_fdw does.  VOLATILE, as a file
-- can change between two calls.
CREATE OR REPLACE FUNCTION ritual.parquet_metadata(path text,
    OUT file_name text, OUT row_group_id bigint, OUT row_group_num_rows bigint,
    OUT row_group_num_columns bigint, OUT row_group_bytes bigint,
    OUT column_id bigint, OUT file_offset bigint, OUT num_values bigint,
    OUT path_in_schema text, OUT type text, OUT stats_min text,
    OUT stats_max text, OUT stats_null_count bigint,
    OUT stats_distinct_count bigint, OUT stats_min_value text,
    OUT stats_max_value text, OUT compression text, OUT encodings text,
    OUT index_page_offset bigint, OUT dictionary_page_offset bigint,
    OUT data_page_offset bigint, OUT total_compressed_size bigint,
    OUT total_uncompressed_size bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'ritual_parquet_metadata'
LANGUAGE C VOLATILE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION ritual.parquet_schema(path text,
    OUT file_name text, OUT name text, OUT type text, OUT type_length integer,
    OUT repetition_type text, OUT num_children integer,
    OUT converted_type text, OUT scale integer, OUT "precision" integer,
    OUT field_id integer, OUT logical_type text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'ritual_parquet_schema'
LANGUAGE C VOLATILE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ritual.parquet_metadata(text) IS
  'one row per column chunk of each row group of a Parquet file, with its statistics (superusers and pg_read_server_files only)';
COMMENT ON FUNCTION ritual.parquet_schema(text) IS
  'one row per element of a Parquet file''s schema, the root first (superusers and pg_read_server_files only)';
