--
-- roles: what an ordinary role may execute in schema ritual.  The public
-- API is executable by anyone with USAGE on the schema (each function then
-- checks the privileges its work needs); what only ritual itself calls is
-- not executable at all, so no role can hand it arguments of its choosing.
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS ritual;
RESET client_min_messages;

CREATE ROLE regress_ritual_plain;
GRANT USAGE ON SCHEMA ritual TO regress_ritual_plain;

-- every function of the extension, and whether a plain role may run it
SELECT p.oid::regprocedure AS function,
       has_function_privilege('regress_ritual_plain', p.oid, 'EXECUTE') AS plain_role_may_execute
  FROM pg_proc p
 WHERE p.pronamespace = 'ritual'::regnamespace
 ORDER BY p.oid::regprocedure::text COLLATE "C";

SET ROLE regress_ritual_plain;
-- building the reports is for the owner of the reporting tables, and says so
SELECT * FROM ritual.build_reports();
SELECT * FROM ritual.refresh_reports();
-- the build's internals are not reachable
SELECT ritual.update_reports('ritual.raw_events', 'ritual.raw_profiles', NULL, '30 minutes', 5, false);
SELECT ritual.read_new_rows(0, 0, '{}');
SELECT ritual.empty_reports();
RESET ROLE;

DROP OWNED BY regress_ritual_plain;
DROP ROLE regress_ritual_plain;
