--
-- options: CREATE EXTENSION, the validator, and every option's checks
--
\getenv datadir RITUAL_TESTDATA
\set events :datadir '/events.csv'

-- the extension creates its schema and the wrapper, and drops them again
CREATE EXTENSION ritual;
SELECT fdwname, fdwhandler::regproc, fdwvalidator::regproc
  FROM pg_foreign_data_wrapper WHERE fdwname = 'ritual_fdw';
SELECT nspname FROM pg_namespace WHERE nspname = 'ritual';
DROP EXTENSION ritual;
SELECT count(*) AS wrappers_left FROM pg_foreign_data_wrapper WHERE fdwname = 'ritual_fdw';
SELECT count(*) AS schemas_left FROM pg_namespace WHERE nspname = 'ritual';
SELECT count(*) AS functions_left FROM pg_proc WHERE proname LIKE 'ritual_fdw%';
CREATE EXTENSION ritual;

-- the wrapper and user mappings take no options
ALTER FOREIGN DATA WRAPPER ritual_fdw OPTIONS (path '/tmp');
CREATE SERVER files FOREIGN DATA WRAPPER ritual_fdw;
CREATE USER MAPPING FOR CURRENT_USER SERVER files OPTIONS (user 'x');

-- unknown options: the closest valid one is suggested
CREATE SERVER bad FOREIGN DATA WRAPPER ritual_fdw OPTIONS (delimeter ';');
CREATE SERVER bad FOREIGN DATA WRAPPER ritual_fdw OPTIONS (zzzzzzzz 'x');
CREATE SERVER bad FOREIGN DATA WRAPPER ritual_fdw OPTIONS (path '/tmp');
CREATE FOREIGN TABLE t (a int) SERVER files OPTIONS (path :'events', headr 'true');
CREATE FOREIGN TABLE t (a int OPTIONS (colum_name 'b')) SERVER files OPTIONS (path :'events');
CREATE FOREIGN TABLE t (a int OPTIONS (header 'true')) SERVER files OPTIONS (path :'events');

-- a table needs a path, absolute, without empty parts
CREATE FOREIGN TABLE t (a int) SERVER files;
CREATE FOREIGN TABLE t (a int) SERVER files OPTIONS (path 'events.csv');
CREATE FOREIGN TABLE t (a int) SERVER files OPTIONS (path '/a.csv,,/b.csv');
CREATE FOREIGN TABLE t (a int) SERVER files OPTIONS (path '/a.csv, relative/b.csv');

-- an option given twice
CREATE FOREIGN TABLE t (a int) SERVER files OPTIONS (path :'events', header 'true', header 'false');

-- values
CREATE FOREIGN TABLE t (a int) SERVER files OPTIONS (path :'events', format 'parqet');
CREATE FOREIGN TABLE t (a int) SERVER files OPTIONS (path :'events', header 'yes please');
CREATE FOREIGN TABLE t (a int) SERVER files OPTIONS (path :'events', missing_ok 'maybe');
CREATE FOREIGN TABLE t (a int) SERVER files OPTIONS (path :'events', match_by 'nme');
CREATE FOREIGN TABLE t (a int) SERVER files OPTIONS (path :'events', delimiter ';;');
CREATE FOREIGN TABLE t (a int) SERVER files OPTIONS (path :'events', delimiter '');
CREATE FOREIGN TABLE t (a int) SERVER files OPTIONS (path :'events', quote E'\n');
CREATE FOREIGN TABLE t (a int) SERVER files OPTIONS (path :'events', escape E'\r');
CREATE FOREIGN TABLE t (a int) SERVER files OPTIONS (path :'events', null E'a\nb');
CREATE FOREIGN TABLE t (a int) SERVER files OPTIONS (path :'events', on_error 'ignore');
CREATE FOREIGN TABLE t (a int) SERVER files OPTIONS (path :'events', on_error 'skp');
CREATE FOREIGN TABLE t (a int) SERVER files OPTIONS (path :'events', on_error 'skip', reject_limit '-1');
CREATE FOREIGN TABLE t (a int) SERVER files OPTIONS (path :'events', on_error 'skip', reject_limit 'ten');
CREATE FOREIGN TABLE t (a int) SERVER files OPTIONS (path :'events', max_record_size '0');
CREATE FOREIGN TABLE t (a int) SERVER files OPTIONS (path :'events', max_record_size '64 apples');
CREATE FOREIGN TABLE t (a int) SERVER files OPTIONS (path :'events', max_record_size '2GB');
CREATE FOREIGN TABLE t (a int) SERVER files OPTIONS (path :'events', max_recordsize '1MB');
CREATE FOREIGN TABLE t (a int OPTIONS (meta 'file')) SERVER files OPTIONS (path :'events');
CREATE FOREIGN TABLE t (a int OPTIONS (meta 'line', column_name 'b')) SERVER files OPTIONS (path :'events');

-- combinations
CREATE FOREIGN TABLE t (a int) SERVER files OPTIONS (path :'events', match_by 'name', header 'false');
CREATE FOREIGN TABLE t (a int) SERVER files OPTIONS (path :'events', delimiter '"', quote '"');
CREATE FOREIGN TABLE t (a int) SERVER files OPTIONS (path :'events', delimiter '\', escape '\');
CREATE FOREIGN TABLE t (a int) SERVER files OPTIONS (path :'events', delimiter ';', null 'a;b');
CREATE FOREIGN TABLE t (a int) SERVER files OPTIONS (path :'events', on_error 'stop', reject_limit '3');

-- combinations that only the merged options reveal are checked at scan time
CREATE SERVER semi FOREIGN DATA WRAPPER ritual_fdw OPTIONS (delimiter ';', header 'true');
CREATE FOREIGN TABLE t (a int) SERVER semi OPTIONS (path :'events', quote ';');
SELECT * FROM t;
DROP FOREIGN TABLE t;
CREATE FOREIGN TABLE t (a int) SERVER files OPTIONS (path :'events', reject_limit '3');
SELECT * FROM t;
DROP FOREIGN TABLE t;

-- a server's format options are its tables' defaults; a table overrides them
CREATE SERVER headed FOREIGN DATA WRAPPER ritual_fdw OPTIONS (header 'true', format 'csv');
CREATE FOREIGN TABLE inherits (user_id int, event_type text) SERVER headed
  OPTIONS (path :'events');
SELECT * FROM inherits ORDER BY user_id, event_type LIMIT 3;
CREATE FOREIGN TABLE overrides (user_id text, event_type text, event_date text) SERVER headed
  OPTIONS (path :'events', header 'false');
SELECT * FROM overrides LIMIT 2;

-- ALTER is validated the same way
ALTER FOREIGN TABLE inherits OPTIONS (ADD on_error 'later');
ALTER FOREIGN TABLE inherits OPTIONS (DROP path);
ALTER FOREIGN TABLE inherits ALTER COLUMN user_id OPTIONS (ADD meta 'lines');
ALTER FOREIGN TABLE inherits OPTIONS (ADD on_error 'null', ADD reject_limit '0');
SELECT replace(ftoptions::text, :'datadir', '<data>') AS ftoptions
  FROM pg_foreign_table WHERE ftrelid = 'inherits'::regclass;

DROP FOREIGN TABLE inherits, overrides;
DROP SERVER semi, headed;
