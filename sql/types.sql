--
-- types: every value goes through its type's input function, so it means
-- exactly what 'text'::type means
--
\getenv datadir RITUAL_TESTDATA
\set types :datadir '/types.csv'
\set types_bad :datadir '/types_bad.csv'

CREATE TYPE mood AS ENUM ('happy', 'sad');
CREATE DOMAIN positive AS int CHECK (VALUE > 0);
CREATE DOMAIN required_text AS text NOT NULL;

CREATE FOREIGN TABLE typed (
    i int, bi bigint, n numeric(10,2), f float8, b boolean, d date,
    ts timestamp(3), tstz timestamptz, arr int[], mood mood, pos positive,
    vc varchar(4))
  SERVER files OPTIONS (path :'types', header 'true');

SET timezone = 'UTC';
SELECT * FROM typed ORDER BY i;
-- the same values cast from text are equal, column by column
CREATE FOREIGN TABLE typed_text (
    i text, bi text, n text, f text, b text, d text, ts text, tstz text,
    arr text, mood text, pos text, vc text)
  SERVER files OPTIONS (path :'types', header 'true');
SELECT t.i, t.bi = x.bi::bigint AS bi, t.n = x.n::numeric(10,2) AS n,
       t.f = x.f::float8 AS f, t.b = x.b::boolean AS b, t.d = x.d::date AS d,
       t.ts = x.ts::timestamp(3) AS ts, t.tstz = x.tstz::timestamptz AS tstz,
       t.arr = x.arr::int[] AS arr, t.mood = x.mood::mood AS mood,
       t.pos = x.pos::positive AS pos, t.vc = x.vc::varchar(4) AS vc
  FROM typed t JOIN typed_text x ON t.i = x.i::int ORDER BY t.i;
RESET timezone;

-- each bad value is reported with its type's own message, located
ALTER FOREIGN TABLE typed OPTIONS (SET path :'types_bad');
SELECT i FROM typed;
SELECT bi, n FROM typed;
SELECT f FROM typed;
SELECT b FROM typed;
SELECT d FROM typed;
SELECT ts FROM typed;
SELECT tstz FROM typed;
SELECT arr FROM typed;
SELECT mood FROM typed;
SELECT pos FROM typed;
SELECT vc FROM typed;
-- under on_error 'null' the same values become NULL, each reason kept
ALTER FOREIGN TABLE typed OPTIONS (ADD on_error 'null');
ALTER FOREIGN TABLE typed ADD COLUMN errors text OPTIONS (meta 'errors');
SELECT i, bi, n, f, b, d, ts, tstz, arr, mood, pos, vc FROM typed;
SELECT regexp_split_to_table(errors, '; ') AS reason FROM typed;

-- a domain whose CHECK runs plpgsql, failing on a value: under on_error
-- 'null' the value is NULL and nothing the CHECK held is left behind
CREATE FUNCTION not_bad(t text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
  n int;
BEGIN
  SELECT 1 / (CASE WHEN t = 'bad' THEN 0 ELSE 1 END) INTO n;
  RETURN true;
END $$;
CREATE DOMAIN checked_text AS text CHECK (not_bad(VALUE));
\set checked :datadir '/domain_check.csv'
CREATE FOREIGN TABLE checked (v checked_text, errors text OPTIONS (meta 'errors'))
  SERVER files OPTIONS (path :'checked', header 'true', on_error 'null');
SELECT v, errors FROM checked;
SELECT count(*) AS rows_after FROM checked WHERE v IS NOT NULL;
-- the same domain inside an array and a row type: array_in and record_in
-- run its CHECK too (and record_in holds the row type while it fails), so
-- their errors are caught in a subtransaction as well, leaving no WARNING
CREATE TYPE checked_pair AS (a checked_text, b int);
\set containers :datadir '/domain_containers.csv'
CREATE FOREIGN TABLE containers (arr checked_text[], pair checked_pair,
    errors text OPTIONS (meta 'errors'))
  SERVER files OPTIONS (path :'containers', header 'true', on_error 'null');
SELECT arr, pair, errors FROM containers;
ALTER FOREIGN TABLE containers OPTIONS (SET on_error 'skip');
SELECT arr, pair FROM containers;
DROP FOREIGN TABLE checked, containers;
DROP TYPE checked_pair;
DROP DOMAIN checked_text;
DROP FUNCTION not_bad;

-- a NULL must pass a domain's constraints too
\set quoting :datadir '/quoting.csv'
CREATE FOREIGN TABLE needs_text (id int, note required_text, tag text)
  SERVER files OPTIONS (path :'quoting', header 'true');
SELECT id, note FROM needs_text;
ALTER FOREIGN TABLE needs_text OPTIONS (ADD on_error 'skip');
SELECT id, note FROM needs_text;

DROP FOREIGN TABLE typed, typed_text, needs_text;
DROP DOMAIN positive, required_text;
DROP TYPE mood;
