/*
 * src/sql/code/looker.sql: the read-only path for Looker Studio and psql.
 * Which tables are the reports, a function that lets a login role read them
 * and nothing else (and one that takes it back, and one that says what else
 * a role could do), helpers for Looker's 'YYYYMMDD' date parameters, a text
 * sparkline for psql, and the column comments the reporting layer lacks.
 * Runs after the reporting tables and functions; see docs/looker-studio.md.
 */

/*
 * The reporting tables: what a report reader may read.  An explicit list,
 * so that a table added to the schema later (a raw foreign table made by
 * create_raw_tables, a user's table) is never granted by accident; the
 * editable catalogue event_types is not a report.
 */
CREATE OR REPLACE FUNCTION ritual.report_tables()
RETURNS SETOF regclass
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT t::regclass
      FROM unnest(ARRAY['ritual.daily_activity', 'ritual.daily_activity_by_segment',
                        'ritual.daily_event_types',
                        'ritual.retention_cohorts', 'ritual.retention_by_segment',
                        'ritual.weekly_lifecycle',
                        'ritual.weekly_stickiness', 'ritual.monthly_stickiness',
                        'ritual.funnel_steps', 'ritual.session_paths',
                        'ritual.event_transitions',
                        'ritual.spikes', 'ritual.spike_coverage',
                        'ritual.data_quality', 'ritual.sessions', 'ritual.users',
                        'ritual.clean_events', 'ritual.enriched_events',
                        'ritual.report_builds']) WITH ORDINALITY AS u(t, n)
     ORDER BY n
$$;
COMMENT ON FUNCTION ritual.report_tables() IS
  'the reporting tables that ritual.grant_report_reader lets a role read';

/*
 * What a role could do beyond reading the reports, one line each; no rows
 * means it can read nothing but the reporting tables (and the system
 * catalogs every role reads) and write nothing but its own temporary tables.
 */
CREATE OR REPLACE FUNCTION ritual.report_reader_problems(reader name)
RETURNS TABLE (problem text)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
    WITH r AS (
        -- the cast is an error for a role that does not exist
        SELECT oid, rolname FROM pg_roles WHERE oid = quote_ident(reader)::regrole
    ), reports AS (
        SELECT t::oid AS oid FROM ritual.report_tables() AS t
    ), relations AS (
        SELECT c.oid, c.relkind, format('%I.%I', n.nspname, c.relname) AS name
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
           AND n.nspname NOT IN ('pg_catalog', 'information_schema')
           AND n.nspname !~ '^pg_(toast|temp_|toast_temp_)'
    ), problems AS (
        -- attributes that reach past the reports
        SELECT a.attr AS problem, 1 AS ord
          FROM r JOIN pg_roles p ON p.oid = r.oid,
               LATERAL (VALUES ('superuser', p.rolsuper), ('CREATEDB', p.rolcreatedb),
                               ('CREATEROLE', p.rolcreaterole),
                               ('REPLICATION', p.rolreplication),
                               ('BYPASSRLS', p.rolbypassrls)) AS a(attr, has)
         WHERE a.has
        UNION ALL
        -- roles it can act as that read files, read everything or own things
        SELECT format('member of %s', g.rolname), 2
          FROM r JOIN pg_roles g ON g.oid <> r.oid AND pg_has_role(r.oid, g.oid, 'MEMBER')
         WHERE g.rolsuper OR g.rolcreatedb OR g.rolcreaterole OR g.rolbypassrls
            OR g.rolname IN ('pg_read_server_files', 'pg_write_server_files',
                             'pg_execute_server_program', 'pg_read_all_data',
                             'pg_write_all_data')
            OR g.oid = (SELECT nspowner FROM pg_namespace WHERE nspname = 'ritual')
        UNION ALL
        SELECT format('CREATE on database %I', current_database()), 3
          FROM r WHERE has_database_privilege(r.oid, current_database(), 'CREATE')
        UNION ALL
        SELECT format('CREATE on schema %I', n.nspname), 4
          FROM r, pg_namespace n
         WHERE n.nspname !~ '^pg_(toast|temp_|toast_temp_)'
           AND has_schema_privilege(r.oid, n.oid, 'CREATE')
        UNION ALL
        -- reading any relation but the reports, writing any at all
        SELECT format('%s on %s', p.priv, rel.name), 5
          FROM r, relations rel,
               unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE',
                            'REFERENCES', 'TRIGGER']) AS p(priv)
         WHERE rel.relkind <> 'S'
           AND (p.priv <> 'SELECT' OR rel.oid NOT IN (SELECT oid FROM reports))
           AND CASE WHEN p.priv IN ('SELECT', 'INSERT', 'UPDATE', 'REFERENCES')
                    THEN has_any_column_privilege(r.oid, rel.oid, p.priv)
                    ELSE has_table_privilege(r.oid, rel.oid, p.priv) END
        UNION ALL
        SELECT format('%s on sequence %s', p.priv, rel.name), 5
          FROM r, relations rel, unnest(ARRAY['SELECT', 'USAGE', 'UPDATE']) AS p(priv)
         WHERE rel.relkind = 'S' AND has_sequence_privilege(r.oid, rel.oid, p.priv)
        UNION ALL
        -- foreign servers and wrappers: a way to new foreign tables
        SELECT format('USAGE on foreign server %I', s.srvname), 6
          FROM r, pg_foreign_server s
         WHERE has_server_privilege(r.oid, s.oid, 'USAGE')
        UNION ALL
        SELECT format('USAGE on foreign-data wrapper %I', w.fdwname), 6
          FROM r, pg_foreign_data_wrapper w
         WHERE has_foreign_data_wrapper_privilege(r.oid, w.oid, 'USAGE')
        UNION ALL
        -- the built-in functions that read or write server files
        SELECT format('EXECUTE on %s', f.oid::regprocedure), 7
          FROM r, pg_proc f
         WHERE f.pronamespace = 'pg_catalog'::regnamespace
           AND f.proname IN ('pg_read_file', 'pg_read_binary_file', 'pg_ls_dir',
                             'pg_stat_file', 'lo_import', 'lo_export',
                             'pg_ls_logdir', 'pg_ls_waldir', 'pg_ls_tmpdir',
                             'pg_ls_archive_statusdir')
           AND has_function_privilege(r.oid, f.oid, 'EXECUTE')
    )
    -- a superuser can do anything: saying so is enough
    SELECT problem FROM problems
     WHERE ord = 1 OR NOT EXISTS (SELECT FROM r JOIN pg_roles p ON p.oid = r.oid WHERE p.rolsuper)
     ORDER BY ord, problem
$fn$;
COMMENT ON FUNCTION ritual.report_reader_problems(name) IS
  'what a role could do beyond reading the reporting tables; no rows when it can only read them';

/*
 * Let a role read the reporting tables and nothing else: CONNECT on this
 * database, USAGE on schema ritual, SELECT on each reporting table, EXECUTE
 * on the dashboard's functions (report_functions); in this
 * database its sessions are read-only by default, search ritual, and plan
 * every query with its parameters' values (plan_cache_mode).
 * Refuses, changing nothing, when the role could do more than that (see
 * report_reader_problems).  Grants stay through build_reports, which empties
 * and refills the tables; after DROP EXTENSION and CREATE EXTENSION run it
 * again.  No default privileges are set: they would also cover the raw
 * foreign tables that create_raw_tables makes later.
 */
CREATE OR REPLACE FUNCTION ritual.grant_report_reader(reader name)
RETURNS SETOF regclass
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    t        regclass;
    f        regprocedure;
    problems text;
BEGIN
    IF reader IS NULL OR NOT EXISTS (SELECT FROM pg_roles WHERE rolname = reader) THEN
        RAISE EXCEPTION 'role "%" does not exist', reader
              USING ERRCODE = 'undefined_object',
                    HINT = 'Create it first, e.g. CREATE ROLE looker LOGIN PASSWORD ''...''.';
    END IF;
    IF reader IN ('public', 'pg_database_owner') OR reader LIKE 'pg\_%' THEN
        RAISE EXCEPTION 'role "%" cannot be a report reader', reader
              USING ERRCODE = 'invalid_parameter_value',
                    HINT = 'Name an ordinary role made for reading the reports.';
    END IF;
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), reader);
    EXECUTE format('GRANT USAGE ON SCHEMA ritual TO %I', reader);
    FOR t IN SELECT * FROM ritual.report_tables() LOOP
        EXECUTE format('GRANT SELECT ON TABLE %s TO %I', t, reader);
        RETURN NEXT t;
    END LOOP;
    -- the dashboard (src/sql/code/dashboard.sql), run as the reader
    FOR f IN SELECT * FROM ritual.report_functions() LOOP
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO %I', f, reader);
    END LOOP;
    EXECUTE format('ALTER ROLE %I IN DATABASE %I SET default_transaction_read_only = on',
                   reader, current_database());
    EXECUTE format('ALTER ROLE %I IN DATABASE %I SET search_path = ritual',
                   reader, current_database());
    -- plan each query with its parameters' values: Looker's date range then
    -- folds to constants (see looker_date), also when a client reuses a
    -- server-prepared statement, as pgJDBC does after 5 runs
    EXECUTE format('ALTER ROLE %I IN DATABASE %I SET plan_cache_mode = force_custom_plan',
                   reader, current_database());

    SELECT string_agg(p.problem, E'\n') INTO problems
      FROM ritual.report_reader_problems(reader) AS p;
    IF problems IS NOT NULL THEN
        RAISE EXCEPTION 'role "%" could do more than read the reports', reader
              USING ERRCODE = 'insufficient_privilege',
                    DETAIL = problems,
                    HINT = 'Use a role made only for reading the reports, or revoke what is listed; '
                           'SELECT * FROM ritual.report_reader_problems(...) lists it again.';
    END IF;
    RETURN;
END
$fn$;
COMMENT ON FUNCTION ritual.grant_report_reader(name) IS
  'let a role read the reporting tables and nothing else (read-only sessions, search_path ritual, custom plans); refuses a role that could do more';

/*
 * A report reader made before an update of the extension added a report
 * reads that one too: each role that may read daily_activity, which every
 * release has had, is granted SELECT on every report.  Nothing to do in a
 * new installation.
 */
DO $grant$
DECLARE
    reader name;
    t      regclass;
BEGIN
    FOR reader IN
        SELECT DISTINCT a.grantee::regrole::name
          FROM pg_catalog.pg_class c, pg_catalog.aclexplode(c.relacl) a
         WHERE c.oid = 'ritual.daily_activity'::regclass AND a.privilege_type = 'SELECT'
           AND a.grantee <> c.relowner AND a.grantee <> 0
    LOOP
        FOR t IN SELECT * FROM ritual.report_tables() LOOP
            EXECUTE format('GRANT SELECT ON TABLE %s TO %I', t, reader);
        END LOOP;
    END LOOP;
END
$grant$;

/* Take back what grant_report_reader gave; the role itself stays. */
CREATE OR REPLACE FUNCTION ritual.revoke_report_reader(reader name)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    t regclass;
    f regprocedure;
BEGIN
    IF reader IS NULL OR NOT EXISTS (SELECT FROM pg_roles WHERE rolname = reader) THEN
        RAISE EXCEPTION 'role "%" does not exist', reader USING ERRCODE = 'undefined_object';
    END IF;
    FOR t IN SELECT * FROM ritual.report_tables() LOOP
        EXECUTE format('REVOKE SELECT ON TABLE %s FROM %I', t, reader);
    END LOOP;
    FOR f IN SELECT * FROM ritual.report_functions() LOOP
        EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM %I', f, reader);
    END LOOP;
    EXECUTE format('REVOKE USAGE ON SCHEMA ritual FROM %I', reader);
    EXECUTE format('REVOKE CONNECT ON DATABASE %I FROM %I', current_database(), reader);
    EXECUTE format('ALTER ROLE %I IN DATABASE %I RESET default_transaction_read_only',
                   reader, current_database());
    EXECUTE format('ALTER ROLE %I IN DATABASE %I RESET search_path',
                   reader, current_database());
    EXECUTE format('ALTER ROLE %I IN DATABASE %I RESET plan_cache_mode',
                   reader, current_database());
END
$fn$;
COMMENT ON FUNCTION ritual.revoke_report_reader(name) IS
  'take back what ritual.grant_report_reader gave a role (the role stays)';

-- granting is for whoever owns the reports; nobody else needs to call these
REVOKE EXECUTE ON FUNCTION ritual.grant_report_reader(name) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ritual.revoke_report_reader(name) FROM PUBLIC;

/*
 * Looker Studio's @DS_START_DATE and @DS_END_DATE arrive as 'YYYYMMDD'
 * strings.  IMMUTABLE, so with a constant argument the planner folds the
 * call and an index on the date column still serves the filter.
 */
CREATE OR REPLACE FUNCTION ritual.looker_date(yyyymmdd text)
RETURNS date
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    y int;
    m int;
    d int;
BEGIN
    IF yyyymmdd !~ '^[0-9]{8}$' THEN
        RAISE EXCEPTION 'invalid Looker date "%": expected 8 digits, YYYYMMDD', yyyymmdd
              USING ERRCODE = 'invalid_datetime_format',
                    HINT = 'Looker Studio sends @DS_START_DATE and @DS_END_DATE as e.g. ''20240301''.';
    END IF;
    y := substr(yyyymmdd, 1, 4)::int;
    m := substr(yyyymmdd, 5, 2)::int;
    d := substr(yyyymmdd, 7, 2)::int;
    -- checked here, not caught: an exception block would not be parallel safe
    IF y < 1 OR m NOT BETWEEN 1 AND 12 OR d < 1
       OR d > extract(day FROM make_date(y, m, 1) + interval '1 month - 1 day') THEN
        RAISE EXCEPTION 'invalid Looker date "%": there is no such day', yyyymmdd
              USING ERRCODE = 'datetime_field_overflow';
    END IF;
    RETURN make_date(y, m, d);
END
$fn$;
COMMENT ON FUNCTION ritual.looker_date(text) IS
  'a Looker Studio date parameter (''YYYYMMDD'', e.g. @DS_START_DATE) as a date; an error for anything else';

/* Both ends of Looker's date range, inclusive, as one daterange. */
CREATE OR REPLACE FUNCTION ritual.looker_date_range(start_yyyymmdd text, end_yyyymmdd text)
RETURNS daterange
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    first_day date := ritual.looker_date(start_yyyymmdd);
    last_day  date := ritual.looker_date(end_yyyymmdd);
BEGIN
    IF last_day < first_day THEN
        RAISE EXCEPTION 'invalid Looker date range: end % is before start %',
                        end_yyyymmdd, start_yyyymmdd
              USING ERRCODE = 'data_exception';
    END IF;
    RETURN daterange(first_day, last_day, '[]');
END
$fn$;
COMMENT ON FUNCTION ritual.looker_date_range(text, text) IS
  'Looker Studio''s date range (@DS_START_DATE, @DS_END_DATE as ''YYYYMMDD'') as a daterange with both ends included';

/*
 * A text sparkline: one of ▁▂▃▄▅▆▇█ per value, scaled from lo to hi (by
 * default the least and greatest finite value; values outside are clamped);
 * a NULL, NaN or infinite value is a space; all values equal draw ▄.  A
 * non-finite lo or hi counts as not given.  The scaling is done in numeric:
 * in float8, the span of values near ±1e308 overflows and the share of a
 * tiny value in a huge span underflows, and both are errors.
 */
CREATE OR REPLACE FUNCTION ritual.sparkline(vals double precision[], lo double precision,
                                 hi double precision)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    WITH v AS (
        SELECT x, i FROM unnest(vals) WITH ORDINALITY AS u(x, i)
    ), finite AS (
        SELECT x, i,
               x IS NOT NULL AND x NOT IN ('NaN', 'Infinity', '-Infinity') AS ok
          FROM v
    ), bounds AS (
        SELECT coalesce(CASE WHEN lo NOT IN ('NaN', 'Infinity', '-Infinity') THEN lo END,
                        min(x) FILTER (WHERE ok))::numeric AS b_lo,
               coalesce(CASE WHEN hi NOT IN ('NaN', 'Infinity', '-Infinity') THEN hi END,
                        max(x) FILTER (WHERE ok))::numeric AS b_hi
          FROM finite
    )
    SELECT CASE WHEN vals IS NULL THEN NULL
                ELSE coalesce((
                    SELECT string_agg(
                               CASE WHEN NOT f.ok THEN ' '
                                    WHEN b.b_hi <= b.b_lo THEN '▄'
                                    ELSE substr('▁▂▃▄▅▆▇█',
                                                1 + round(7 * least(greatest(
                                                    (f.x::numeric - b.b_lo) / (b.b_hi - b.b_lo), 0), 1))::int,
                                                1)
                               END, '' ORDER BY f.i)
                      FROM finite f CROSS JOIN bounds b), '') END
$$;
COMMENT ON FUNCTION ritual.sparkline(double precision[], double precision, double precision) IS
  'a text sparkline (▁▂▃▄▅▆▇█) of the values, scaled from lo to hi';

CREATE OR REPLACE FUNCTION ritual.sparkline(vals double precision[])
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT ritual.sparkline(vals, NULL, NULL) $$;
COMMENT ON FUNCTION ritual.sparkline(double precision[]) IS
  'a text sparkline (▁▂▃▄▅▆▇█) of the values, scaled from their least to their greatest';

CREATE OR REPLACE AGGREGATE ritual.sparkline(double precision) (
    SFUNC = pg_catalog.array_append,
    STYPE = double precision[],
    FINALFUNC = ritual.sparkline,
    INITCOND = '{}'
);
COMMENT ON AGGREGATE ritual.sparkline(double precision) IS
  'a text sparkline of the values in the aggregate''s order, e.g. sparkline(dau ORDER BY day)';

/*
 * Column comments the reporting layer lacks, so that \d+ in psql and
 * Looker Studio's field descriptions say what every column holds.
 */
COMMENT ON COLUMN ritual.event_types.event_type IS 'the type, normalised with lower(btrim())';
COMMENT ON COLUMN ritual.event_types.description IS 'what the app does when it sends the type';
COMMENT ON COLUMN ritual.event_types.builtin IS 'one of the app''s known types that the extension installs';

COMMENT ON COLUMN ritual.users.user_id IS 'the user, as the raw profile files give it';

COMMENT ON COLUMN ritual.enriched_events.user_id IS 'the user, as the raw event files give it; NULL when missing or unparseable';
COMMENT ON COLUMN ritual.enriched_events.event_date IS 'when the event happened (timestamp without time zone, UTC by convention); NULL when missing or unparseable';

COMMENT ON COLUMN ritual.sessions.user_id IS 'the user';
COMMENT ON COLUMN ritual.sessions.session_number IS 'the user''s session, from 1 in time order';
COMMENT ON COLUMN ritual.sessions.session_start IS 'the first clean event of the session';
COMMENT ON COLUMN ritual.sessions.session_end IS 'the last clean event of the session';

COMMENT ON COLUMN ritual.daily_activity.day IS 'the day (UTC by convention)';

COMMENT ON COLUMN ritual.daily_event_types.day IS 'the day (UTC by convention)';
COMMENT ON COLUMN ritual.daily_event_types.event_type IS 'the normalised event type';
COMMENT ON COLUMN ritual.daily_event_types.events IS 'clean events of that type that day';
COMMENT ON COLUMN ritual.daily_event_types.users IS 'distinct users with a clean event of that type that day';

COMMENT ON COLUMN ritual.event_transitions.prev_event_type IS 'the type of the user''s previous clean event';
COMMENT ON COLUMN ritual.event_transitions.event_type IS 'the type of the clean event that followed it';
COMMENT ON COLUMN ritual.event_transitions.transitions IS 'how many times event_type directly followed prev_event_type';

COMMENT ON COLUMN ritual.spikes.day IS 'the day judged a spike or a drop-off';

COMMENT ON COLUMN ritual.spike_coverage.series IS '''events'', ''dau'', or ''events:'' and an event type';
COMMENT ON COLUMN ritual.spike_coverage.days IS 'days of the series, from the first to the last day with a clean event';
COMMENT ON COLUMN ritual.spike_coverage.judged IS 'days with enough history to be judged, whatever their volume';
COMMENT ON COLUMN ritual.spike_coverage.too_young IS 'days without enough history (3 same weekdays, 28 scores) to be judged';
COMMENT ON COLUMN ritual.spike_coverage.spikes IS 'days judged spikes';
COMMENT ON COLUMN ritual.spike_coverage.drop_offs IS 'days judged drop-offs';

COMMENT ON COLUMN ritual.data_quality.kind IS 'the anomaly kind (docs/metrics.md), e.g. missing_user_id';
COMMENT ON COLUMN ritual.data_quality.flag_bit IS 'the kind''s flag bit';
COMMENT ON COLUMN ritual.data_quality.scope IS '''total'', ''file'', ''day'' or ''event_type'' (unknown_event_type only): what the row counts over';
COMMENT ON COLUMN ritual.data_quality.source_file IS 'the raw file, for scope ''file''; else NULL';
COMMENT ON COLUMN ritual.data_quality.day IS 'the event day (the signup day for profile kinds), for scope ''day''; else NULL';
COMMENT ON COLUMN ritual.data_quality.rows IS 'raw rows carrying the kind';
COMMENT ON COLUMN ritual.data_quality.event_type IS 'the unknown event type (normalised), for scope ''event_type''; else NULL';

COMMENT ON COLUMN ritual.report_builds.built_at IS 'when the build finished (UTC)';
COMMENT ON COLUMN ritual.report_builds.events_relation IS 'the raw events relation the build read';
COMMENT ON COLUMN ritual.report_builds.profiles_relation IS 'the raw profiles relation the build read';
COMMENT ON COLUMN ritual.report_builds.reference_time IS 'the time future_event compared with';
COMMENT ON COLUMN ritual.report_builds.session_gap_seconds IS 'the longest gap within a session, in seconds';
COMMENT ON COLUMN ritual.report_builds.raw_events IS 'raw event rows read';
COMMENT ON COLUMN ritual.report_builds.clean_events IS 'events without an anomaly flag';
COMMENT ON COLUMN ritual.report_builds.users IS 'users with a profile';
COMMENT ON COLUMN ritual.report_builds.seconds IS 'how long the build took';

-- comments of the reporting tables that changed with version 0.2: code, so
-- that an upgrade writes them as a fresh install does
COMMENT ON COLUMN ritual.enriched_events.flags IS 'anomaly flag bits (docs/metrics.md); 0 for a clean event';
COMMENT ON TABLE ritual.daily_activity IS
  'One row per day from the first to the last day with a clean event or a signup (signups after the reference time left out).';
COMMENT ON TABLE ritual.spikes IS
  'Days on which a daily series deviates from what its weekly pattern predicts (docs/metrics.md: spikes and drop-offs).';
COMMENT ON COLUMN ritual.spikes.z IS 'robust z-score of ln((value+1)/(expected+1)) against the previous 56 days; sigma at least max(0.1, 1/sqrt(expected+1))';
COMMENT ON TABLE ritual.spike_coverage IS
  'For each series: days judged, and days too young (not enough history) to judge; every other day is judged, whatever its volume.';
COMMENT ON TABLE ritual.data_quality IS
  'Rows carrying each anomaly kind: in total (scope ''total'', every kind, zeros included), by file (scope ''file''), by day (scope ''day'': the event day, or the signup day for profile kinds), and for unknown_event_type by type (scope ''event_type'').';

-- clean_events has the columns of enriched_events, and says the same of them
DO $do$
DECLARE
    col record;
BEGIN
    FOR col IN
        SELECT a.attname, col_description(a.attrelid, a.attnum) AS description
          FROM pg_catalog.pg_attribute a
         WHERE a.attrelid = 'ritual.enriched_events'::regclass AND a.attnum > 0
           AND NOT a.attisdropped
           AND col_description(a.attrelid, a.attnum) IS NOT NULL
           AND EXISTS (SELECT FROM pg_catalog.pg_attribute c
                        WHERE c.attrelid = 'ritual.clean_events'::regclass
                          AND c.attname = a.attname AND NOT c.attisdropped)
           AND col_description('ritual.clean_events'::regclass,
                               (SELECT c.attnum FROM pg_catalog.pg_attribute c
                                 WHERE c.attrelid = 'ritual.clean_events'::regclass
                                   AND c.attname = a.attname))
               IS DISTINCT FROM col_description(a.attrelid, a.attnum)
    LOOP
        EXECUTE format('COMMENT ON COLUMN ritual.clean_events.%I IS %L',
                       col.attname, col.description);
    END LOOP;
END
$do$;
