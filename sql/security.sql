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

-- through a security_barrier view a role sees only the rows the view's own
-- conditions let through; what it learns of the files must not go further
\set hive :datadir '/hive'
SET ROLE regress_ritual_admin;
CREATE FOREIGN TABLE sec.hive (user_id int, event_type text, event_date text,
    platform text) SERVER files OPTIONS (path :'hive', header 'true');
CREATE TABLE sec.platform_grants (role name, platform text);
INSERT INTO sec.platform_grants VALUES ('regress_ritual_reader', 'ios');
CREATE VIEW sec.my_events WITH (security_barrier) AS
  SELECT * FROM sec.hive
   WHERE platform IN (SELECT platform FROM sec.platform_grants
                       WHERE role = current_user);
CREATE VIEW sec.ios_events WITH (security_barrier) AS
  SELECT * FROM sec.hive WHERE platform = 'ios';
GRANT SELECT ON sec.my_events, sec.ios_events TO regress_ritual_reader;
RESET ROLE;
SET ROLE regress_ritual_reader;
SELECT platform, count(*) FROM sec.my_events GROUP BY platform;
SELECT count(*) FROM sec.hive;
-- explain_does_not_reveal_hidden_partitions: the reader's own condition on a
-- partition column changes neither the files a plain EXPLAIN counts nor the
-- estimate, whether the partition it names exists or not
EXPLAIN SELECT * FROM sec.my_events WHERE platform = 'android';
EXPLAIN SELECT * FROM sec.my_events WHERE platform = 'no such platform';
-- leaky_condition_never_sees_hidden_partitions: a function that is not
-- leakproof is not run on the partition values of files to prune them
CREATE FUNCTION pg_temp.peek(p text) RETURNS boolean LANGUAGE plpgsql
  IMMUTABLE AS $$
BEGIN
  IF p IS DISTINCT FROM 'ios' THEN
    RAISE NOTICE 'peek saw platform %', p;
  END IF;
  RETURN true;
END $$;
SELECT count(*) FROM sec.my_events WHERE pg_temp.peek(platform);
SELECT count(*) FROM sec.ios_events WHERE pg_temp.peek(platform);
DROP FUNCTION pg_temp.peek;
-- the view's and the reader's conditions prune when the query runs, as
-- always; but a role that may read the table only through a view is shown
-- no count of pruning at all, as the two cannot be told apart
EXPLAIN (COSTS OFF) SELECT * FROM sec.ios_events;
EXPLAIN (COSTS OFF) SELECT * FROM sec.ios_events WHERE event_date = '2024-03-02';
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
  SELECT * FROM sec.ios_events WHERE event_date = '2024-03-02';
RESET ROLE;
-- a role that may read the table sees in EXPLAIN what every condition prunes
EXPLAIN (COSTS OFF) SELECT * FROM sec.hive
  WHERE platform = 'ios' AND event_date = '2024-03-02';
-- a plan made for such a role is made again for one that may not
PREPARE ios_day AS SELECT * FROM sec.ios_events WHERE event_date = '2024-03-02';
EXPLAIN (COSTS OFF) EXECUTE ios_day;
SET ROLE regress_ritual_reader;
EXPLAIN (COSTS OFF) EXECUTE ios_day;
RESET ROLE;
DEALLOCATE ios_day;

-- losing the membership loses the right
REVOKE pg_read_server_files FROM regress_ritual_admin;
SET ROLE regress_ritual_admin;
CREATE FOREIGN TABLE sec.again (user_id int) SERVER files OPTIONS (path :'events');
RESET ROLE;

DROP SCHEMA sec CASCADE;
REVOKE ALL ON FOREIGN SERVER files FROM regress_ritual_admin, regress_ritual_owner;
DROP ROLE regress_ritual_admin, regress_ritual_owner, regress_ritual_reader;
