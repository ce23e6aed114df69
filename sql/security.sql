--
-- security: only superusers and members of pg_read_server_files may point a
-- table at server files; anyone granted SELECT may query it
--
\getenv datadir RITUAL_TESTDATA
\set events :datadir '/events.csv'

CREATE ROLE regress_ritual_admin;     -- may read server files
GRANT pg_read_server_files TO regress_ritual_admin;
CREATE ROLE regress_ritual_owner;     -- may use the server, nothing more
CREATE ROLE regress_ritual_reader;    -- will only be granted SELECT
GRANT USAGE ON FOREIGN SERVER files TO regress_ritual_admin, regress_ritual_owner;
CREATE SCHEMA sec;
GRANT ALL ON SCHEMA sec TO regress_ritual_admin, regress_ritual_owner;
GRANT USAGE ON SCHEMA sec TO regress_ritual_reader;

-- a plain role cannot read a server file directly ...
SET ROLE regress_ritual_owner;
SELECT pg_read_file('/etc/hostname');
-- ... so it may not point a table at one either, whichever file
CREATE FOREIGN TABLE sec.passwd (line text) SERVER files OPTIONS (path '/etc/passwd');
CREATE FOREIGN TABLE sec.events (user_id int) SERVER files OPTIONS (path :'events');
-- nor may it make a server of its own
CREATE SERVER mine FOREIGN DATA WRAPPER ritual_fdw;
RESET ROLE;

-- a member of pg_read_server_files may
SET ROLE regress_ritual_admin;
CREATE FOREIGN TABLE sec.events (user_id int, event_type text, event_date timestamp)
  SERVER files OPTIONS (path :'events', header 'true');
SELECT count(*) FROM sec.events;
GRANT SELECT ON sec.events TO regress_ritual_reader;
RESET ROLE;

-- a role granted SELECT reads the table but cannot change it
SET ROLE regress_ritual_reader;
SELECT count(*), min(event_date) FROM sec.events;
ALTER FOREIGN TABLE sec.events OPTIONS (SET path '/etc/passwd');
RESET ROLE;
-- a plain role without the grant cannot read it
SET ROLE regress_ritual_owner;
SELECT count(*) FROM sec.events;
RESET ROLE;

-- a plain role that owns a file table can read it but not repoint it, nor
-- change any of its options
ALTER FOREIGN TABLE sec.events OWNER TO regress_ritual_owner;
SET ROLE regress_ritual_owner;
SELECT count(*) FROM sec.events;
ALTER FOREIGN TABLE sec.events OPTIONS (SET path '/etc/passwd');
ALTER FOREIGN TABLE sec.events OPTIONS (ADD on_error 'skip');
-- it may still change what needs no file access: column options
ALTER FOREIGN TABLE sec.events ALTER COLUMN event_type OPTIONS (ADD column_name 'event_type');
RESET ROLE;

-- losing the membership loses the right
REVOKE pg_read_server_files FROM regress_ritual_admin;
SET ROLE regress_ritual_admin;
CREATE FOREIGN TABLE sec.again (user_id int) SERVER files OPTIONS (path :'events');
RESET ROLE;

DROP SCHEMA sec CASCADE;
REVOKE ALL ON FOREIGN SERVER files FROM regress_ritual_admin, regress_ritual_owner;
DROP ROLE regress_ritual_admin, regress_ritual_owner, regress_ritual_reader;
