/*
 * src/sql/tables/fdw.sql: the schema and the ritual_fdw foreign data
 * wrapper with its handler and validator.  Foreign servers and tables that
 * users create depend on the wrapper, so like the tables it is made once
 * and changed only by migrations in src/sql/upgrades/.
 */

\echo Use "CREATE EXTENSION ritual" to load this file. \quit

-- The schema belongs to the extension, so DROP EXTENSION removes it too.
CREATE SCHEMA ritual;
COMMENT ON SCHEMA ritual IS 'ritual: app-event analytics from raw files';

CREATE FUNCTION ritual.ritual_fdw_handler()
RETURNS fdw_handler
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT;

CREATE FUNCTION ritual.ritual_fdw_validator(text[], oid)
RETURNS void
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT;

CREATE FOREIGN DATA WRAPPER ritual_fdw
  HANDLER ritual.ritual_fdw_handler
  VALIDATOR ritual.ritual_fdw_validator;

COMMENT ON FOREIGN DATA WRAPPER ritual_fdw IS
  'Raw CSV files, directories and globs as tables, with bad rows reported';
COMMENT ON FUNCTION ritual.ritual_fdw_handler() IS 'callbacks of ritual_fdw';
COMMENT ON FUNCTION ritual.ritual_fdw_validator(text[], oid) IS
  'checks the options of ritual_fdw servers, foreign tables and columns';
