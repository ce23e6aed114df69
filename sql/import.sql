--
-- import: IMPORT FOREIGN SCHEMA makes a table of each file and directory
-- of a directory (tests/data/import/), or one of a lake, with the columns
-- and types a Parquet schema tells or a CSV header and first rows suggest;
-- it reads files, so it is for superusers and pg_read_server_files
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS ritual;
RESET client_min_messages;
\getenv datadir RITUAL_TESTDATA
\set dir :datadir '/import'
CREATE SERVER import_files FOREIGN DATA WRAPPER ritual_fdw;

-- what a schema's tables are: columns, types and options
CREATE FUNCTION import_tables(schema_name name)
RETURNS TABLE (tab name, columns text, options text)
LANGUAGE sql AS $$
    SELECT c.relname,
           string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod), ', '
                      ORDER BY a.attnum),
           array_to_string(ft.ftoptions, ', ')
      FROM pg_class c
      JOIN pg_foreign_table ft ON ft.ftrelid = c.oid
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0
     WHERE c.relnamespace = schema_name::regnamespace
     GROUP BY c.relname, ft.ftoptions
     ORDER BY 1
$$;

-- a table for each data file and directory; hidden entries, other files,
-- a directory without files and an empty file make none (a directory whose
-- first file is empty, hours/, is described by its next)
CREATE SCHEMA imported;
IMPORT FOREIGN SCHEMA :"dir" FROM SERVER import_files INTO imported;
SELECT * FROM import_tables('imported');

-- they read what the files hold
SELECT * FROM imported.events ORDER BY user_id;
SELECT count(*), sum(amount) FROM imported.events_copy;
SELECT * FROM imported.numbers ORDER BY 1;
SELECT * FROM imported.zoned ORDER BY n;
SELECT * FROM imported.odd_names;
SELECT * FROM imported.hours ORDER BY a;
SELECT * FROM imported.profiles;

-- a wrong guess is fixed on the table: zip codes are not numbers
SELECT * FROM imported.zips ORDER BY city;
ALTER FOREIGN TABLE imported.zips ALTER COLUMN zip TYPE text;
SELECT * FROM imported.zips ORDER BY city;

-- LIMIT TO and EXCEPT name the tables
CREATE SCHEMA limited;
IMPORT FOREIGN SCHEMA :"dir" LIMIT TO (events, hours, nothing_so_named)
  FROM SERVER import_files INTO limited;
SELECT tab FROM import_tables('limited');
CREATE SCHEMA excepted;
IMPORT FOREIGN SCHEMA :"dir" EXCEPT (events, events_copy, numbers, odd_names, profiles, zips)
  FROM SERVER import_files INTO excepted;
SELECT tab FROM import_tables('excepted');

-- the statement's options are the tables', and what they say is not guessed
CREATE SCHEMA given;
IMPORT FOREIGN SCHEMA :"dir" LIMIT TO (numbers, events)
  FROM SERVER import_files INTO given OPTIONS (delimiter ';', on_error 'null');
SELECT * FROM import_tables('given');
-- hive_partitioning 'false': a lake's keys are not columns
CREATE SCHEMA unpartitioned;
IMPORT FOREIGN SCHEMA :"dir" LIMIT TO (hours)
  FROM SERVER import_files INTO unpartitioned OPTIONS (hive_partitioning 'false');
SELECT * FROM import_tables('unpartitioned');

-- a file, and a lake, as the remote schema
CREATE SCHEMA one_file;
\set file :dir '/events.csv'
IMPORT FOREIGN SCHEMA :"file" FROM SERVER import_files INTO one_file;
\set lake :datadir '/lake365'
IMPORT FOREIGN SCHEMA :"lake" FROM SERVER import_files INTO one_file;
SELECT * FROM import_tables('one_file');
SELECT count(*), min(event_date), max(event_date) FROM one_file.lake365;

-- Parquet: the types the schema's logical types mean; nested columns left out
CREATE SCHEMA pq;
\set pqdir :datadir '/parquet'
IMPORT FOREIGN SCHEMA :"pqdir" LIMIT TO (types_snappy, nested)
  FROM SERVER import_files INTO pq;
SELECT * FROM import_tables('pq');
\x on
SELECT * FROM pq.types_snappy ORDER BY id LIMIT 2;
\x off

-- mistakes
IMPORT FOREIGN SCHEMA "relative/dir" FROM SERVER import_files INTO public;
IMPORT FOREIGN SCHEMA "/no/such/dir" FROM SERVER import_files INTO public;
IMPORT FOREIGN SCHEMA :"dir" FROM SERVER import_files INTO public OPTIONS (path '/srv');
IMPORT FOREIGN SCHEMA :"dir" FROM SERVER import_files INTO public OPTIONS (delimitr ';');
IMPORT FOREIGN SCHEMA :"dir" FROM SERVER import_files INTO public OPTIONS (header 'maybe');
-- a file that is not what its name says names itself
IMPORT FOREIGN SCHEMA :"pqdir" LIMIT TO (hostile) FROM SERVER import_files INTO public;

-- a role that may not read server files may not import them
CREATE ROLE import_reader;
GRANT USAGE ON FOREIGN SERVER import_files TO import_reader;
GRANT CREATE ON SCHEMA imported TO import_reader;
SET ROLE import_reader;
IMPORT FOREIGN SCHEMA :"dir" FROM SERVER import_files INTO imported;
RESET ROLE;

DROP SCHEMA imported, limited, excepted, given, unpartitioned, one_file, pq CASCADE;
DROP SERVER import_files;
DROP FUNCTION import_tables(name);
DROP ROLE import_reader;
