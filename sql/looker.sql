--
-- looker: the read-only path for Looker Studio and psql.  A role granted
-- with ritual.grant_report_reader reads the reporting tables and nothing
-- else; every column Looker reads has a plain type, a plain name and a
-- comment; Looker's 'YYYYMMDD' date parameters; the text sparkline; the
-- report page.
-- Runs alone or after the other suites.
--
\getenv datadir RITUAL_TESTDATA
\set sample :datadir '/sample'
\set sample_events :sample '/user_events.csv'
\set sample_profiles :sample '/user_profiles.csv'
\set sample_manifest :sample '/manifest.json'
SET client_min_messages = warning;
SET DateStyle = ISO;
\set SHOW_CONTEXT never
CREATE EXTENSION IF NOT EXISTS ritual;
DROP FOREIGN TABLE IF EXISTS ritual.raw_events, ritual.raw_profiles;
SELECT ritual.create_raw_tables(:'sample_events', :'sample_profiles');
SELECT pg_read_file(:'sample_manifest')::jsonb ->> 'reference_time' AS reference_time \gset
SELECT count(*) AS reports FROM ritual.build_reports(reference_time => :'reference_time');

--
-- the reporting tables
--
SELECT t AS report_table FROM ritual.report_tables() AS t;
-- every table of the extension is a report, but the editable catalogues
-- (event types, funnels) and the internal ones
SELECT c.oid::regclass AS not_a_report
  FROM pg_class c JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid
   AND d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
 WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'ritual')
   AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
   AND c.oid NOT IN (SELECT t FROM ritual.report_tables() AS t)
 ORDER BY 1;

-- Looker-safe shapes: the types allowed (the same set as sql/reporting.sql
-- checks by name, here by type oid, so that no domain or typmod hides
-- another type), and names that need no quoting
SELECT a.attrelid::regclass AS report_table, a.attname, format_type(a.atttypid, a.atttypmod)
  FROM ritual.report_tables() AS t
  JOIN pg_attribute a ON a.attrelid = t AND a.attnum > 0 AND NOT a.attisdropped
 WHERE a.atttypid NOT IN ('text'::regtype, 'integer'::regtype, 'bigint'::regtype,
                          'double precision'::regtype, 'date'::regtype,
                          'timestamp without time zone'::regtype)
 ORDER BY 1, 2;
SELECT a.attrelid::regclass AS report_table, a.attname AS needs_quoting
  FROM ritual.report_tables() AS t
  JOIN pg_class c ON c.oid = t
  JOIN pg_attribute a ON a.attrelid = t AND a.attnum > 0 AND NOT a.attisdropped
 WHERE quote_ident(a.attname) <> a.attname OR quote_ident(c.relname) <> c.relname
 ORDER BY 1, 2;
SELECT count(*) > 50 AS many_columns_checked
  FROM ritual.report_tables() AS t
  JOIN pg_attribute a ON a.attrelid = t AND a.attnum > 0 AND NOT a.attisdropped;

-- psql: every table and column of the schema says what it holds, and so
-- does every function
SELECT c.relname AS table_without_comment
  FROM pg_class c
 WHERE c.relnamespace = 'ritual'::regnamespace AND c.relkind = 'r'
   AND obj_description(c.oid, 'pg_class') IS NULL;
SELECT c.relname, a.attname AS column_without_comment
  FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
 WHERE c.relnamespace = 'ritual'::regnamespace AND c.relkind = 'r'
   AND col_description(c.oid, a.attnum) IS NULL
 ORDER BY 1, 2;
SELECT p.oid::regprocedure AS function_without_comment
  FROM pg_proc p
 WHERE p.pronamespace = 'ritual'::regnamespace AND obj_description(p.oid, 'pg_proc') IS NULL;
-- clean_events says of its columns what enriched_events says
SELECT count(*) AS differing_comments
  FROM pg_attribute e JOIN pg_attribute c ON c.attname = e.attname
 WHERE e.attrelid = 'ritual.enriched_events'::regclass AND e.attnum > 0
   AND c.attrelid = 'ritual.clean_events'::regclass AND c.attnum > 0
   AND col_description(e.attrelid, e.attnum) IS DISTINCT FROM col_description(c.attrelid, c.attnum);

--
-- Looker's date parameters
--
SELECT ritual.looker_date('20240301') AS march_1st, ritual.looker_date('20240229') AS leap_day,
       ritual.looker_date('99991231') AS last, ritual.looker_date(NULL) AS null_in;
SELECT ritual.looker_date_range('20240301', '20240331') AS march,
       ritual.looker_date_range('20240301', '20240301') AS one_day,
       DATE '2024-03-31' <@ ritual.looker_date_range('20240301', '20240331') AS end_included;
SELECT ritual.looker_date('2024-03-01');
SELECT ritual.looker_date('2024031');
SELECT ritual.looker_date(' 20240301');
SELECT ritual.looker_date('');
SELECT ritual.looker_date('20230229');
SELECT ritual.looker_date('20241301');
SELECT ritual.looker_date('20240400');
SELECT ritual.looker_date('00000101');
SELECT ritual.looker_date_range('20240302', '20240301');
SELECT ritual.looker_date_range('20240301', 'today');
-- a constant parameter is folded when the query is planned, so an index on
-- the date still serves the filter
CREATE FUNCTION pg_temp.plan_mentions(query text, fragment text) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    line text;
    found boolean := false;
BEGIN
    FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || query LOOP
        found := found OR strpos(line, fragment) > 0;
    END LOOP;
    RETURN found;
END $$;
SELECT pg_temp.plan_mentions(
         $$SELECT count(*) FROM ritual.clean_events
            WHERE event_day BETWEEN ritual.looker_date('20240301')
                                AND ritual.looker_date('20240307')$$,
         '''2024-03-01''::date') AS folded,
       pg_temp.plan_mentions(
         $$SELECT count(*) FROM ritual.clean_events
            WHERE event_day BETWEEN ritual.looker_date('20240301')
                                AND ritual.looker_date('20240307')$$,
         'looker_date') AS call_left_in_plan;
-- a Looker custom query with the date range, wrapped as Looker wraps it
SELECT count(*) AS days, sum(t0.dau) = (SELECT sum(dau) FROM ritual.daily_activity
                                         WHERE day BETWEEN '2024-03-01' AND '2024-03-14') AS same_dau
  FROM (SELECT day, dau FROM ritual.daily_activity
         WHERE day BETWEEN ritual.looker_date('20240301') AND ritual.looker_date('20240314')) AS t0;

--
-- the sparkline
--
SELECT ritual.sparkline(ARRAY[1, 2, 3, 4, 5, 6, 7, 8]::float8[]) AS rising,
       ritual.sparkline(ARRAY[8, 1, 8]::float8[]) AS dip,
       ritual.sparkline(ARRAY[5, 5, 5]::float8[]) AS flat,
       ritual.sparkline(ARRAY[1, NULL, 'NaN', 'Infinity', 3]::float8[]) AS gaps,
       ritual.sparkline(ARRAY[]::float8[]) = '' AS empty,
       ritual.sparkline(NULL::float8[]) IS NULL AS null_in;
-- fixed bounds: clamped outside them
SELECT ritual.sparkline(ARRAY[0, 0.25, 0.5, 1, 2, -1]::float8[], 0, 1) AS fixed;
-- the extremes of float8 neither overflow nor underflow; non-finite bounds are not bounds
SELECT ritual.sparkline('{-1e308,0,1e308}'::float8[]) AS widest,
       ritual.sparkline('{1.7976931348623157e308,-1.7976931348623157e308}'::float8[]) AS extremes,
       ritual.sparkline('{1e-300,0,1e308}'::float8[]) AS tiny_in_huge,
       ritual.sparkline('{4.9e-324,0,1e-323}'::float8[]) AS denormals,
       ritual.sparkline('{1,2,3}'::float8[], 'NaN', 'Infinity') AS nonfinite_bounds,
       ritual.sparkline('{1,2,3}'::float8[], -1e308, 1e308) AS huge_bounds;
-- text from the data, as the report page shows it: escaped, and cut
SELECT ritual.html_text('<script>"x" & ''y''</script>') AS escaped,
       ritual.html_text(repeat('a', 100), 10) AS cut, ritual.html_text(NULL) AS null_in,
       ritual.html_text('<b>', 0) AS at_least_two;
-- the aggregate, in the order asked for
SELECT ritual.sparkline(x ORDER BY x) AS up, ritual.sparkline(x ORDER BY x DESC) AS down
  FROM generate_series(1, 8) AS x;
SELECT ritual.sparkline(dau ORDER BY day) AS dau_trend,
       length(ritual.sparkline(dau ORDER BY day)) = count(*) AS one_per_day
  FROM ritual.daily_activity;
SELECT cohort_week, ritual.sparkline(array_agg(pct_on ORDER BY week_number), 0, 1) AS retention
  FROM ritual.retention_cohorts WHERE cell_status = 'complete'
 GROUP BY cohort_week ORDER BY cohort_week LIMIT 4;
SELECT p.proname, p.provolatile, p.proparallel FROM pg_proc p
 WHERE p.oid IN ('ritual.sparkline(double precision[])'::regprocedure,
                 'ritual.sparkline(double precision[], double precision, double precision)'::regprocedure,
                 'ritual.looker_date(text)'::regprocedure,
                 'ritual.looker_date_range(text, text)'::regprocedure)
 ORDER BY p.oid::regprocedure::text;

--
-- the read-only role
--
CREATE ROLE regress_looker LOGIN;
SELECT * FROM ritual.report_reader_problems('regress_looker');
SELECT * FROM ritual.grant_report_reader('regress_looker');
SELECT * FROM ritual.report_reader_problems('regress_looker');
-- its sessions in this database are read-only, search ritual, and plan each
-- query with its parameters' values
SELECT s.setconfig FROM pg_db_role_setting s
 WHERE s.setrole = 'regress_looker'::regrole
   AND s.setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database());
-- granting twice changes nothing
SELECT count(*) AS granted_again FROM ritual.grant_report_reader('regress_looker');

SET ROLE regress_looker;
-- it reads every report, and uses the helpers
SELECT (SELECT count(*) FROM ritual.daily_activity) > 0 AS daily_activity,
       (SELECT count(*) FROM ritual.daily_event_types) > 0 AS daily_event_types,
       (SELECT count(*) FROM ritual.retention_cohorts) > 0 AS retention_cohorts,
       (SELECT count(*) FROM ritual.event_transitions) > 0 AS event_transitions,
       (SELECT count(*) FROM ritual.spikes) >= 0 AS spikes,
       (SELECT count(*) FROM ritual.spike_coverage) > 0 AS spike_coverage;
SELECT (SELECT count(*) FROM ritual.data_quality) > 0 AS data_quality,
       (SELECT count(*) FROM ritual.sessions) > 0 AS sessions,
       (SELECT count(*) FROM ritual.users) > 0 AS users,
       (SELECT count(*) FROM ritual.clean_events) > 0 AS clean_events,
       (SELECT count(*) FROM ritual.enriched_events) > 0 AS enriched_events,
       (SELECT count(*) FROM ritual.report_builds) > 0 AS report_builds;
SELECT ritual.sparkline(dau ORDER BY day) IS NOT NULL AS sparkline, count(*) AS march_days
  FROM ritual.daily_activity
 WHERE day <@ ritual.looker_date_range('20240301', '20240331');
-- and writes the report page (docs/dashboard.md)
SELECT left(ritual.dashboard_html(), 15) AS page_start,
       ritual.dashboard_html() LIKE '%<figure class="chart" id="retention_on"%' AS has_retention,
       (SELECT count(*) FROM ritual.flagged_examples()) AS traced_kinds;
-- no raw file access: not the raw tables, not the file functions, not a
-- new foreign table, not COPY from a file
SELECT count(*) FROM ritual.raw_events;
SELECT count(*) FROM ritual.raw_profiles;
SELECT pg_read_file('postgresql.conf');
SELECT pg_read_binary_file('postgresql.conf');
SELECT pg_ls_dir('.');
SELECT lo_import('postgresql.conf');
CREATE FOREIGN TABLE public.peek (line text) SERVER ritual_raw_files OPTIONS (path 'postgresql.conf');
CREATE FOREIGN TABLE ritual.peek (line text) SERVER ritual_raw_files OPTIONS (path 'postgresql.conf');
CREATE SERVER peek FOREIGN DATA WRAPPER ritual_fdw;
COPY ritual.users FROM 'postgresql.conf';
-- no writes
INSERT INTO ritual.daily_activity (day, dau, wau, mau, new_users, events, sessions)
VALUES ('2000-01-01', 0, 0, 0, 0, 0, 0);
UPDATE ritual.daily_activity SET dau = 0;
DELETE FROM ritual.spikes;
TRUNCATE ritual.users;
CREATE TABLE public.scratch (a int);
CREATE TABLE ritual.scratch (a int);
CREATE VIEW ritual.scratch AS SELECT 1;
CREATE SCHEMA scratch;
CREATE FUNCTION ritual.scratch() RETURNS int LANGUAGE sql AS 'SELECT 1';
ALTER TABLE ritual.users ADD COLUMN scratch int;
DROP TABLE ritual.spikes;
COMMENT ON TABLE ritual.users IS 'scratch';
GRANT SELECT ON ritual.users TO PUBLIC;
SELECT * FROM ritual.build_reports();
SELECT ritual.grant_report_reader('regress_looker');
-- nothing else of the schema (the helper tables of the reports neither)
SELECT count(*) FROM ritual.event_types;
SELECT count(*) FROM ritual.funnel_users;
SELECT count(*) FROM ritual.user_paths;
SELECT count(*) FROM ritual.activity_counts;
RESET ROLE;

-- grants survive a rebuild: the tables are emptied and refilled, not made anew
SELECT count(*) AS reports FROM ritual.build_reports(reference_time => :'reference_time');
SET ROLE regress_looker;
SELECT count(*) > 0 AS still_reads FROM ritual.daily_activity;
RESET ROLE;

-- a role that could do more is refused, and nothing is granted to it
CREATE ROLE regress_looker_creator LOGIN CREATEDB;
SELECT ritual.grant_report_reader('regress_looker_creator');
SELECT has_table_privilege('regress_looker_creator', 'ritual.users', 'SELECT') AS granted;
CREATE ROLE regress_looker_files LOGIN IN ROLE pg_read_server_files;
SELECT ritual.grant_report_reader('regress_looker_files');
CREATE ROLE regress_looker_super SUPERUSER;
SELECT * FROM ritual.report_reader_problems('regress_looker_super');
SELECT ritual.grant_report_reader('regress_looker_super');
SELECT ritual.grant_report_reader('regress_no_such_role');
SELECT * FROM ritual.report_reader_problems('regress_no_such_role');
SELECT ritual.grant_report_reader('pg_monitor');
SELECT ritual.grant_report_reader(NULL);
-- a table someone opened to everyone is found
CREATE TABLE public.regress_open (a int);
GRANT SELECT, INSERT ON public.regress_open TO PUBLIC;
SELECT * FROM ritual.report_reader_problems('regress_looker');
DROP TABLE public.regress_open;
-- a grant that would let it into the raw files is found
GRANT SELECT ON ritual.raw_events TO regress_looker;
GRANT USAGE ON FOREIGN SERVER ritual_raw_files TO regress_looker;
GRANT EXECUTE ON FUNCTION pg_read_file(text) TO regress_looker;
SELECT * FROM ritual.report_reader_problems('regress_looker');
REVOKE SELECT ON ritual.raw_events FROM regress_looker;
REVOKE USAGE ON FOREIGN SERVER ritual_raw_files FROM regress_looker;
REVOKE EXECUTE ON FUNCTION pg_read_file(text) FROM regress_looker;
SELECT count(*) AS problems FROM ritual.report_reader_problems('regress_looker');

-- revoking takes back all of it: the role can then be dropped
SELECT ritual.revoke_report_reader('regress_looker');
SELECT count(*) AS still_granted FROM ritual.report_tables() AS t
 WHERE has_table_privilege('regress_looker', t, 'SELECT');
SELECT count(*) AS functions_still_granted FROM ritual.report_functions() AS f
 WHERE has_function_privilege('regress_looker', f, 'EXECUTE');
SELECT count(*) AS settings FROM pg_db_role_setting WHERE setrole = 'regress_looker'::regrole;
SELECT ritual.revoke_report_reader('regress_no_such_role');
DROP ROLE regress_looker, regress_looker_creator, regress_looker_files, regress_looker_super;

DROP FOREIGN TABLE ritual.raw_events, ritual.raw_profiles;
DROP SERVER ritual_raw_files;
RESET client_min_messages;
RESET DateStyle;
