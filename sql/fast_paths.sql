--
-- fast_paths: the values ritual_fdw parses itself equal what the types'
-- input functions give, on edge values, valid and not
--
\getenv datadir RITUAL_TESTDATA
\set edge :datadir '/edge_values.csv'
SELECT set_config('ritual_test.edge', :'edge', false) IS NOT NULL AS edge_set;

-- the column types under test, with their input functions and typmods
CREATE TABLE fast_types (typ text PRIMARY KEY, typinput regproc, nargs int,
                         typoid oid, typmod int);
CREATE TABLE type_probe (int2 int2, int4 int4, int8 int8, float4 float4,
  float8 float8, "boolean" boolean, text text, "varchar" varchar,
  "varchar(3)" varchar(3), date date, "timestamp" timestamp,
  "timestamp(6)" timestamp(6), "timestamp(2)" timestamp(2),
  timestamptz timestamptz, "timestamptz(6)" timestamptz(6));
INSERT INTO fast_types
  SELECT a.attname, t.typinput, p.pronargs, t.oid, a.atttypmod
    FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
         JOIN pg_proc p ON p.oid = t.typinput
   WHERE a.attrelid = 'type_probe'::regclass AND a.attnum > 0;
DROP TABLE type_probe;

-- what the input function makes of a value, as COPY calls it: its text
-- form, or its error
CREATE FUNCTION input_or_error(value text, typ text,
                               OUT result text, OUT error text)
LANGUAGE plpgsql AS $$
DECLARE
  f fast_types;
BEGIN
  SELECT * INTO f FROM fast_types WHERE fast_types.typ = input_or_error.typ;
  IF f.nargs = 1 THEN
    EXECUTE format('SELECT %s(%L::cstring)::text', f.typinput, value)
      INTO result;
  ELSE
    EXECUTE format('SELECT %s(%L::cstring, %s::oid, %s)::text',
                   f.typinput, value, f.typoid, f.typmod) INTO result;
  END IF;
EXCEPTION WHEN others THEN
  error := SQLERRM;
END $$;

CREATE FOREIGN TABLE edge_text (v text, line int OPTIONS (meta 'line'))
  SERVER files OPTIONS (path :'edge', header 'true');

-- every value of edge_values.csv read as 'typ' under on_error 'null', next
-- to the input function's verdict; rows are returned where the two differ
CREATE FUNCTION fast_path_mismatches(typ text)
RETURNS TABLE (line int, value text, ritual text, ritual_error text,
               input_function text, input_error text)
LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('CREATE FOREIGN TABLE edge_typed (v %s,
                    line int OPTIONS (meta %L), errors text OPTIONS (meta %L))
                  SERVER files OPTIONS (path %L, header %L, on_error %L)',
                 typ, 'line', 'errors', current_setting('ritual_test.edge'),
                 'true', 'null');
  RETURN QUERY
    SELECT t.line, x.v, t.v::text, substr(t.errors, 4), c.result, c.error
      FROM edge_typed t JOIN edge_text x USING (line),
           input_or_error(x.v, typ) c
     WHERE t.v::text IS DISTINCT FROM c.result
        OR substr(t.errors, 4) IS DISTINCT FROM c.error;
  DROP FOREIGN TABLE edge_typed;
END $$;

-- the file holds both valid and invalid values of every type
SELECT f.typ,
       count(*) FILTER (WHERE c.error IS NULL) AS valid,
       count(*) FILTER (WHERE c.error IS NOT NULL) AS invalid
  FROM fast_types f, edge_text x, input_or_error(x.v, f.typ) c
 GROUP BY f.typ ORDER BY f.typ;

-- no difference, in three time zones and date styles
SET client_min_messages = warning;
SET timezone = 'UTC';
SELECT f.typ, m.* FROM fast_types f, fast_path_mismatches(f.typ) m;
SET timezone = 'America/Sao_Paulo';
SET datestyle = 'ISO, DMY';
SELECT f.typ, m.* FROM fast_types f, fast_path_mismatches(f.typ) m;
SET timezone = 'Asia/Kathmandu';
SET datestyle = 'SQL, MDY';
SELECT f.typ, m.* FROM fast_types f, fast_path_mismatches(f.typ) m;
RESET timezone;
RESET datestyle;
RESET client_min_messages;

DROP TABLE fast_types;
DROP FUNCTION fast_path_mismatches, input_or_error;
DROP FOREIGN TABLE edge_text;
