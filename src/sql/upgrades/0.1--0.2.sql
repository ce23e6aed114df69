/*
 * src/sql/upgrades/0.1--0.2.sql: what changes in the tables (and in the
 * objects that are not replaced as code) from version 0.1 to 0.2.  The
 * Makefile appends the current code (src/sql/code/) to make
 * ritual--0.1--0.2.sql; tests/upgrade.sh proves that an upgraded 0.1
 * keeps its data and equals a fresh install of 0.2.
 */

\echo Use "ALTER EXTENSION ritual UPDATE" to load this file. \quit

/*
 * ritual.ingest is one C function (src/ingest/ingest.c) that keeps the checkpoint
 * as the tables' owner: its internal steps lose their SQL entry, the roles
 * that 0.1's ritual.grant_ingest let write the checkpoint tables keep only
 * SELECT (not of the fingerprints), and row security shows a role the
 * streams it may ingest.
 */
DROP FUNCTION ritual.ingest_list_files(regclass, text[], bigint[], bigint[], timestamptz[]);
DROP FUNCTION ritual.ingest_prepare_batch(regclass, regclass, bigint, text[], bigint[], bigint[], bigint[], bigint[], boolean, bigint);
DROP FUNCTION ritual.ingest_insert(regclass, regclass);
DROP FUNCTION ritual.ingest_batch_rejects();
DROP FUNCTION ritual.ingest_batch_results();

DO $migrate$
DECLARE
    grantee text;
BEGIN
    FOR grantee IN
        SELECT DISTINCT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE a.grantee::regrole::text END
          FROM pg_catalog.pg_class c, pg_catalog.aclexplode(c.relacl) a
         WHERE c.oid IN ('ritual.ingest_streams'::regclass, 'ritual.ingest_files'::regclass,
                         'ritual.ingest_batches'::regclass, 'ritual.ingest_rejects'::regclass)
           AND a.grantee <> c.relowner AND a.privilege_type IN ('INSERT', 'UPDATE')
    LOOP
        EXECUTE format('REVOKE INSERT, UPDATE ON ritual.ingest_streams, ritual.ingest_files,
                        ritual.ingest_batches, ritual.ingest_rejects FROM %s', grantee);
    END LOOP;
    FOR grantee IN
        SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE a.grantee::regrole::text END
          FROM pg_catalog.pg_class c, pg_catalog.aclexplode(c.relacl) a
         WHERE c.oid = 'ritual.ingest_files'::regclass
           AND a.grantee <> c.relowner AND a.privilege_type = 'SELECT'
    LOOP
        EXECUTE format('REVOKE SELECT ON ritual.ingest_files FROM %s', grantee);
        EXECUTE format('GRANT SELECT (stream_id, path, size, modified, bytes, lines, rows, rejects,
                        fingerprint_bytes, first_batch, batch, state) ON ritual.ingest_files TO %s',
                       grantee);
    END LOOP;
END
$migrate$;

ALTER TABLE ritual.ingest_streams ENABLE ROW LEVEL SECURITY;
ALTER TABLE ritual.ingest_files ENABLE ROW LEVEL SECURITY;
ALTER TABLE ritual.ingest_batches ENABLE ROW LEVEL SECURITY;
ALTER TABLE ritual.ingest_rejects ENABLE ROW LEVEL SECURITY;
CREATE POLICY streams_of_role ON ritual.ingest_streams FOR SELECT
  USING (pg_catalog.has_table_privilege(source, 'SELECT')
         AND pg_catalog.has_table_privilege(target, 'INSERT'));
CREATE POLICY files_of_role ON ritual.ingest_files FOR SELECT
  USING (EXISTS (SELECT FROM ritual.ingest_streams s WHERE s.stream_id = ingest_files.stream_id));
CREATE POLICY batches_of_role ON ritual.ingest_batches FOR SELECT
  USING (EXISTS (SELECT FROM ritual.ingest_streams s WHERE s.stream_id = ingest_batches.stream_id));
CREATE POLICY rejects_of_role ON ritual.ingest_rejects FOR SELECT
  USING (EXISTS (SELECT FROM ritual.ingest_streams s WHERE s.stream_id = ingest_rejects.stream_id));
COMMENT ON COLUMN ritual.ingest_rejects.record IS 'the record as the file holds it (up to 64 kB; invalid bytes as \xNN); NULL for a record longer than 1 MB, and when the role that ran the ingest may not read server files (the record may hold columns the source does not map)';

/*
 * Reporting metrics (docs/metrics.md): spikes judge every day with enough
 * history, so the minimum daily value goes, with its parameter and the
 * coverage column it filled; data_quality lists unknown event types one by
 * one; create_raw_tables may replace the tables.  The functions whose
 * arguments change are dropped here; src/sql/code/ makes them again.
 */
DROP FUNCTION IF EXISTS ritual.build_reports(text, text, timestamp, interval, double precision, double precision);
DROP FUNCTION IF EXISTS ritual.refresh_reports(text, text, timestamp, interval, double precision, double precision);
DROP FUNCTION IF EXISTS ritual.update_reports(text, text, timestamp, interval, double precision, double precision, boolean);
DROP FUNCTION IF EXISTS ritual.detect_spikes(double precision, double precision);
DROP FUNCTION IF EXISTS ritual.create_raw_tables(text, text, name);
-- it also says whether the new events came in provenance order
DROP FUNCTION IF EXISTS ritual.read_new_rows(regclass, regclass);
ALTER TABLE ritual.spike_coverage DROP COLUMN too_small;
ALTER TABLE ritual.data_quality ADD COLUMN event_type text;

/*
 * The reporting build (issue 14): refresh_state keeps the rows of
 * enriched_events and clean_events, which a refresh moves by difference
 * instead of counting them (NULL in a state an older build left: counted).
 */
ALTER TABLE ritual.refresh_state ADD COLUMN event_rows bigint, ADD COLUMN clean_rows bigint;
COMMENT ON COLUMN ritual.refresh_state.event_rows IS 'rows of enriched_events after the last build, which the next refresh moves by difference; NULL when not kept';
COMMENT ON COLUMN ritual.refresh_state.clean_rows IS 'rows of clean_events after the last build, as event_rows';

/*
 * clean_events becomes a view over enriched_events (issue 14): a build no
 * longer writes and indexes a second copy of the clean rows.  Its name,
 * columns, comments, grants and rows stay (the table held the rows of
 * enriched_events with flags = 0, as the view does).  An object of the
 * user's that reads the old table (a view, a function's default) would
 * otherwise be dropped with it: the update stops and names it instead.
 */
DO $migrate$
DECLARE
    dependents text;
    grants     text[];
    statement  text;
BEGIN
    SELECT string_agg(DISTINCT pg_catalog.pg_describe_object(d.classid, d.objid, d.objsubid), ', ')
      INTO dependents
      FROM pg_catalog.pg_depend d
     WHERE d.refclassid = 'pg_catalog.pg_class'::regclass
       AND d.refobjid = 'ritual.clean_events'::regclass AND d.deptype = 'n';
    IF dependents IS NOT NULL THEN
        RAISE EXCEPTION 'ritual 0.2 makes ritual.clean_events a view, and other objects depend on the table: %',
              dependents
              USING ERRCODE = 'dependent_objects_still_exist',
                    HINT = 'Drop them, run ALTER EXTENSION ritual UPDATE again, then make them again: the view has the same columns.';
    END IF;
    SELECT coalesce(array_agg(format('GRANT %s ON ritual.clean_events TO %s%s', a.privilege_type,
                                     CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE a.grantee::regrole::text END,
                                     CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END)),
                    '{}')
      INTO grants
      FROM pg_catalog.pg_class c, pg_catalog.aclexplode(c.relacl) a
     WHERE c.oid = 'ritual.clean_events'::regclass AND a.grantee <> c.relowner;
    DROP TABLE ritual.clean_events;
    -- the grants need the view now; src/sql/code/reporting.sql, which
    -- runs after the migrations, defines it (CREATE OR REPLACE VIEW)
    CREATE VIEW ritual.clean_events AS SELECT * FROM ritual.enriched_events WHERE flags = 0;
    FOREACH statement IN ARRAY grants LOOP
        EXECUTE statement;
    END LOOP;
END
$migrate$;

/*
 * The index of enriched_events on flags (WHERE flags <> 0) answered
 * nothing that enriched_events_flagged_day_idx, over the same rows, does not;
 * each build made it and each refresh kept it.
 */
DROP INDEX ritual.enriched_events_flags_idx;

/*
 * The index of enriched_events by user and time ends with event_id, the
 * order of a user's events: a refresh finds a user's last clean event
 * before a change, and the events from it on, by one descent each, with no
 * sort of the rows at equal times.  The full build writes the rows in that
 * order, so making the index is one pass over sorted rows.
 */
DROP INDEX ritual.enriched_events_user_id_event_date_idx;
CREATE INDEX ON ritual.enriched_events (user_id, event_date, event_id);

/*
 * A refresh judges again only the days of the daily series whose inputs
 * changed, when the threshold is the one the last build judged with: the
 * state keeps it (NULL after a 0.1 build: every day is judged again).  It
 * keeps the rows of sessions too, moved by difference as those of the
 * events are (NULL after a 0.1 build: the next refresh counts them).
 */
ALTER TABLE ritual.refresh_state ADD COLUMN spike_threshold double precision;
COMMENT ON COLUMN ritual.refresh_state.spike_threshold IS 'the threshold the spikes were judged with; a refresh with another judges every day again';
ALTER TABLE ritual.refresh_state ADD COLUMN session_rows bigint;
COMMENT ON COLUMN ritual.refresh_state.session_rows IS 'rows of sessions after the last build, as event_rows';

/*
 * enriched_events leaves a tenth of each page free.  A refresh rewrites an
 * included event whose next type, previous type or session changes (each
 * affected user's last event, when new events follow it); such an event
 * keeps every column an index holds, and with room on its page the new
 * version goes there without an index entry (a HOT update), instead of a
 * deletion and an insertion into each index.  The next full build, which
 * writes every page again, leaves the room.
 */
ALTER TABLE ritual.enriched_events SET (fillfactor = 90);

/*
 * Lifecycle and stickiness (issue 16): the counts the views
 * weekly_lifecycle, weekly_stickiness and monthly_stickiness read, kept by
 * the builds' passes.  An installation with reports gets them from its
 * user_days (the clean events per user and day), by the definitions in
 * docs/metrics.md, so that its next refresh moves them by difference.
 */
CREATE TABLE ritual.activity_counts (
    kind   text,
    period date,
    days   integer,
    users  bigint NOT NULL,
    PRIMARY KEY (kind, period, days)
);
COMMENT ON TABLE ritual.activity_counts IS
  'Internal to the reporting layer, not a report: users per lifecycle kind and week, and per number of active days in a week or month, kept up to date by refresh_reports.';
COMMENT ON COLUMN ritual.activity_counts.kind IS '''new'', ''returning'', ''resurrecting'' or ''dormant'' (per Sunday week); ''week_days'' or ''month_days'' (users active on exactly that many days of the week or month)';
COMMENT ON COLUMN ritual.activity_counts.period IS 'the Sunday that starts the week, or the first day of the month';
COMMENT ON COLUMN ritual.activity_counts.days IS 'days with a clean event in the period, for week_days and month_days; 0 for the lifecycle kinds';
COMMENT ON COLUMN ritual.activity_counts.users IS 'users of that kind in the period (dormant users as a positive count; the report shows it negative)';
INSERT INTO ritual.activity_counts
WITH weeks AS (
    SELECT user_id, day - extract(dow FROM day)::int AS week, count(*)::int AS days
      FROM ritual.user_days GROUP BY 1, 2
), ordered AS (
    SELECT week, days, lag(week) OVER u AS week_before, lead(week) OVER u AS week_after
      FROM weeks WINDOW u AS (PARTITION BY user_id ORDER BY week)
), months AS (
    SELECT date_trunc('month', day)::date AS month, count(*)::int AS days
      FROM ritual.user_days GROUP BY user_id, 1
)
SELECT CASE WHEN week_before IS NULL THEN 'new'
            WHEN week_before = week - 7 THEN 'returning'
            ELSE 'resurrecting' END,
       week, 0, count(*)
  FROM ordered GROUP BY 1, 2
UNION ALL
SELECT 'dormant', week + 7, 0, count(*) FROM ordered
 WHERE week_after IS NULL OR week_after > week + 7 GROUP BY 2
UNION ALL
SELECT 'week_days', week, days, count(*) FROM weeks GROUP BY 2, 3
UNION ALL
SELECT 'month_days', month, days, count(*) FROM months GROUP BY 2, 3;

/*
 * Funnels (issue 16): the catalogue, with the default funnel, and each
 * user's way through them.  The next refresh rebuilds every report (the
 * digest of the catalogues it compares with now covers the funnels), which
 * fills funnel_users.
 */
-- The funnel catalogue: users may add, change and remove funnels (a build
-- after a change follows every user through them again).
CREATE TABLE ritual.funnels (
    funnel            text PRIMARY KEY CHECK (funnel <> ''),
    steps             text[] NOT NULL
                      CHECK (array_ndims(steps) = 1 AND array_lower(steps, 1) = 1
                             AND cardinality(steps) BETWEEN 2 AND 10
                             AND array_position(steps, NULL) IS NULL),
    conversion_window interval NOT NULL DEFAULT '7 days'
                      CHECK (conversion_window > interval '0'
                             AND conversion_window <= interval '1 year'),
    description       text,
    builtin           boolean NOT NULL DEFAULT false
);
INSERT INTO ritual.funnels (funnel, steps, conversion_window, description, builtin) VALUES
    ('activation', ARRAY['app_opened', 'ritual_started', 'ritual_completed', 'subscription_purchased'],
     '7 days', 'from opening the app to a subscription: a ritual started and completed on the way', true);
-- pg_dump keeps the funnels users added
SELECT pg_catalog.pg_extension_config_dump('ritual.funnels', 'WHERE NOT builtin');
COMMENT ON TABLE ritual.funnels IS
  'The funnels reported in funnel_steps: ordered event types (2 to 10) and a conversion window. Editable; build again after a change.';
COMMENT ON COLUMN ritual.funnels.funnel IS 'the funnel''s name, as funnel_steps shows it';
COMMENT ON COLUMN ritual.funnels.description IS 'what the funnel follows, in words';
COMMENT ON COLUMN ritual.funnels.builtin IS 'made by CREATE EXTENSION (pg_dump keeps the others)';
COMMENT ON COLUMN ritual.funnels.steps IS 'event types of ritual.event_types, in order: step 1 is the entry';
COMMENT ON COLUMN ritual.funnels.conversion_window IS 'how long after the entry the later steps count (up to a year)';

-- Each user's way through each funnel: what funnel_steps counts.
CREATE TABLE ritual.funnel_users (
    user_id        bigint,
    funnel         text,
    entered_at     timestamp NOT NULL,
    steps_reached  integer NOT NULL,
    step_times     timestamp[] NOT NULL,
    step_event_ids bigint[] NOT NULL,
    PRIMARY KEY (user_id, funnel)
);
COMMENT ON TABLE ritual.funnel_users IS
  'Internal to the reporting layer, not a report: the users who entered each funnel, the steps they reached and the time and event of each, kept up to date by refresh_reports.';
COMMENT ON COLUMN ritual.funnel_users.user_id IS 'a user who entered the funnel';
COMMENT ON COLUMN ritual.funnel_users.funnel IS 'the funnel''s name in ritual.funnels';
COMMENT ON COLUMN ritual.funnel_users.entered_at IS 'the time of the user''s first clean event of step 1';
COMMENT ON COLUMN ritual.funnel_users.steps_reached IS 'steps reached, from 1 (entered) to the funnel''s steps';
COMMENT ON COLUMN ritual.funnel_users.step_times IS 'the time of the event that reached each step';
COMMENT ON COLUMN ritual.funnel_users.step_event_ids IS 'the event_id of the event that reached each step';
CREATE INDEX ON ritual.funnel_users (funnel, entered_at);

-- Per funnel, entry cohort and step: made of funnel_users by every build.
CREATE TABLE ritual.funnel_steps (
    funnel                       text,
    cohort_week                  date,
    step                         integer,
    event_type                   text NOT NULL,
    users                        bigint NOT NULL,
    pct_of_first                 double precision,
    pct_of_previous              double precision,
    median_seconds_from_previous double precision,
    cohort_status                text NOT NULL,
    PRIMARY KEY (funnel, cohort_week, step)
);
COMMENT ON TABLE ritual.funnel_steps IS
  'Per funnel of ritual.funnels, entry cohort (Sunday week) and step: the users who reached the step within the conversion window, their share of the entrants and of the step before, and the median seconds from the step before.';
COMMENT ON COLUMN ritual.funnel_steps.funnel IS 'the funnel''s name in ritual.funnels';
COMMENT ON COLUMN ritual.funnel_steps.cohort_week IS 'the Sunday that starts the week of the users'' entry (their first clean event of step 1)';
COMMENT ON COLUMN ritual.funnel_steps.step IS 'the step, from 1 (the entry)';
COMMENT ON COLUMN ritual.funnel_steps.event_type IS 'the step''s event type';
COMMENT ON COLUMN ritual.funnel_steps.users IS 'users of the cohort who reached the step; never more than at the step before';
COMMENT ON COLUMN ritual.funnel_steps.pct_of_first IS 'users / the cohort''s entrants';
COMMENT ON COLUMN ritual.funnel_steps.pct_of_previous IS 'users / the users of the step before; NULL at step 1';
COMMENT ON COLUMN ritual.funnel_steps.median_seconds_from_previous IS 'median seconds from the step before to this one, over the users who reached it; NULL at step 1';
COMMENT ON COLUMN ritual.funnel_steps.cohort_status IS '''complete'' when the cohort week''s Saturday plus the conversion window is on or before the last day with a clean event, else ''incomplete''';

/*
 * Session paths (issue 16): each session's first three clean types, the
 * sessions and users per path, each user's paths, from the clean events
 * of the installation's reports (by the definition in docs/metrics.md).
 */
ALTER TABLE ritual.sessions ADD COLUMN path text;
UPDATE ritual.sessions s SET path = p.path
  FROM (SELECT user_id, session_number,
               string_agg(event_type, ' > ' ORDER BY event_date, event_id) AS path
          FROM (SELECT user_id, session_number, event_type, event_date, event_id,
                       row_number() OVER (PARTITION BY user_id, session_number
                                          ORDER BY event_date, event_id) AS n
                  FROM ritual.enriched_events WHERE flags = 0) e
         WHERE n <= 3 GROUP BY user_id, session_number) p
 WHERE p.user_id = s.user_id AND p.session_number = s.session_number;
ALTER TABLE ritual.sessions ALTER COLUMN path SET NOT NULL;
COMMENT ON COLUMN ritual.sessions.path IS 'the session''s first three clean event types, in order, joined by '' > '' (fewer in a shorter session)';
-- Sessions and users per session path (the view session_paths reads it),
-- and each user's distinct paths, kept up to date by the builds' passes.
CREATE TABLE ritual.path_counts (
    path     text PRIMARY KEY,
    sessions bigint NOT NULL,
    users    bigint NOT NULL
);
COMMENT ON TABLE ritual.path_counts IS
  'Internal to the reporting layer, not a report: the sessions with each path and the distinct users with one, kept up to date by refresh_reports.';
COMMENT ON COLUMN ritual.path_counts.path IS 'a session path, as sessions.path spells it';
COMMENT ON COLUMN ritual.path_counts.sessions IS 'sessions with the path';
COMMENT ON COLUMN ritual.path_counts.users IS 'distinct users with at least one session with the path';
CREATE TABLE ritual.user_paths (
    user_id bigint PRIMARY KEY,
    paths   text[] NOT NULL
)
-- room for a refresh to rewrite a user's paths on their page, with no
-- index entry (a HOT update)
WITH (fillfactor = 70);
COMMENT ON TABLE ritual.user_paths IS
  'Internal to the reporting layer, not a report: the distinct paths of each user''s sessions, kept up to date by refresh_reports.';
COMMENT ON COLUMN ritual.user_paths.user_id IS 'a user with a session';
COMMENT ON COLUMN ritual.user_paths.paths IS 'the distinct paths of the user''s sessions, in the order of their bytes';
INSERT INTO ritual.path_counts
SELECT path, count(*), count(DISTINCT user_id) FROM ritual.sessions GROUP BY path;
INSERT INTO ritual.user_paths
SELECT user_id, array_agg(DISTINCT path COLLATE "C" ORDER BY path COLLATE "C")
  FROM ritual.sessions GROUP BY user_id;

/*
 * Breakdowns by profile attribute (issue 16): the attribute catalogue,
 * each user's combination of segments, and the two reports.  An
 * installation with reports gets its users' combinations of the builtin
 * attributes from their country and platform (chosen by the same rule,
 * numbered as a build numbers them); the reports fill at the next
 * refresh, which rebuilds every report (the digest of the catalogues it
 * compares with now covers the attributes).
 */
-- The profile attributes the breakdowns split users by: country and
-- platform, and any column of the raw profiles relation a user adds (a
-- build after a change splits every user again).
CREATE TABLE ritual.breakdown_attributes (
    attribute   text PRIMARY KEY CHECK (attribute <> ''),
    description text,
    builtin     boolean NOT NULL DEFAULT false
);
INSERT INTO ritual.breakdown_attributes (attribute, description, builtin) VALUES
    ('country', 'the country of the user''s profile', true),
    ('platform', 'the platform of the user''s profile (ios, android, ...)', true);
-- pg_dump keeps the attributes users added
SELECT pg_catalog.pg_extension_config_dump('ritual.breakdown_attributes', 'WHERE NOT builtin');
COMMENT ON TABLE ritual.breakdown_attributes IS
  'The profile columns daily_activity_by_segment and retention_by_segment split users by. Editable; build again after a change.';
COMMENT ON COLUMN ritual.breakdown_attributes.attribute IS 'a column of the raw profiles relation, as it is named there';
COMMENT ON COLUMN ritual.breakdown_attributes.description IS 'what the attribute says, in words';
COMMENT ON COLUMN ritual.breakdown_attributes.builtin IS 'made by CREATE EXTENSION (pg_dump keeps the others); a builtin attribute the profiles relation lacks is NULL for every user, another is an error';

-- Each user's segments, as the key of their combination: what the
-- breakdowns split by.  The passes over the events count by key; the
-- reports split the keys by attribute.
-- (no unique index on segments, which one combination of many long
-- values could make too large for an index entry: update_reports numbers
-- a combination only when no key has it, one build at a time)
CREATE TABLE ritual.segment_keys (
    segment_key integer PRIMARY KEY,
    segments    jsonb NOT NULL
);
COMMENT ON TABLE ritual.segment_keys IS
  'Internal to the reporting layer, not a report: each combination of segments some user has had, numbered; kept by the builds.';
COMMENT ON COLUMN ritual.segment_keys.segment_key IS 'the combination''s number, from 1 (0 stands for a user with no value of any attribute)';
COMMENT ON COLUMN ritual.segment_keys.segments IS 'the combination: each breakdown attribute with a value, and the value (as the profile spells it, as text, not trimmed, case kept; its first 200 characters)';
CREATE TABLE ritual.user_segments (
    user_id     bigint PRIMARY KEY,
    segment_key integer NOT NULL
);
COMMENT ON TABLE ritual.user_segments IS
  'Internal to the reporting layer, not a report: each user''s combination of segments, from the profile row with the earliest valid signup_date (ties: the first by file and line); no row when every value is missing or empty.';
COMMENT ON COLUMN ritual.user_segments.user_id IS 'a user with a profile';
COMMENT ON COLUMN ritual.user_segments.segment_key IS 'their combination''s number in ritual.segment_keys';

-- DAU, WAU, MAU and new users per day, split by each attribute.
CREATE TABLE ritual.daily_activity_by_segment (
    attribute  text NOT NULL,
    segment    text,
    day        date NOT NULL,
    dau        bigint NOT NULL,
    wau        bigint NOT NULL,
    mau        bigint NOT NULL,
    stickiness double precision,
    new_users  bigint NOT NULL,
    UNIQUE NULLS NOT DISTINCT (attribute, segment, day)
);
COMMENT ON TABLE ritual.daily_activity_by_segment IS
  'daily_activity''s users split by a profile attribute of ritual.breakdown_attributes: per attribute, the segments of a day sum to the day''s total. A row for each day of daily_activity and segment with a non-zero count.';
COMMENT ON COLUMN ritual.daily_activity_by_segment.attribute IS 'the profile attribute, as ritual.breakdown_attributes names it';
COMMENT ON COLUMN ritual.daily_activity_by_segment.segment IS 'the users'' value of the attribute; NULL when missing or empty';
COMMENT ON COLUMN ritual.daily_activity_by_segment.day IS 'a day of daily_activity';
COMMENT ON COLUMN ritual.daily_activity_by_segment.dau IS 'distinct users of the segment with a clean event that day';
COMMENT ON COLUMN ritual.daily_activity_by_segment.wau IS 'distinct users of the segment with a clean event in the 7 days ending that day';
COMMENT ON COLUMN ritual.daily_activity_by_segment.mau IS 'distinct users of the segment with a clean event in the 30 days ending that day';
COMMENT ON COLUMN ritual.daily_activity_by_segment.stickiness IS 'dau / mau; NULL when mau is 0';
COMMENT ON COLUMN ritual.daily_activity_by_segment.new_users IS 'users of the segment whose signup_date is that day';

-- What the view retention_by_segment counts: the users of each cohort and
-- segment, and per week since signup those active in it and those whose
-- last active week it is.  The missing segment is '' here (no value is
-- empty: an empty one is missing), so that segments join by equality.
CREATE TABLE ritual.segment_cohorts (
    attribute   text,
    segment     text,
    cohort_week date,
    users       bigint NOT NULL,
    PRIMARY KEY (attribute, segment, cohort_week)
);
COMMENT ON TABLE ritual.segment_cohorts IS
  'Internal to the reporting layer, not a report: the users of each signup cohort per segment of each breakdown attribute, kept up to date by refresh_reports.';
COMMENT ON COLUMN ritual.segment_cohorts.attribute IS 'an attribute of ritual.breakdown_attributes';
COMMENT ON COLUMN ritual.segment_cohorts.segment IS 'the users'' value of the attribute; '''' when missing or empty';
COMMENT ON COLUMN ritual.segment_cohorts.cohort_week IS 'the Sunday that starts the cohort''s signup week';
COMMENT ON COLUMN ritual.segment_cohorts.users IS 'users of the cohort and segment, at least 1';
CREATE TABLE ritual.segment_weeks (
    attribute         text,
    segment           text,
    cohort_week       date,
    week_number       integer,
    active_users      bigint NOT NULL,
    last_active_users bigint NOT NULL,
    PRIMARY KEY (attribute, segment, cohort_week, week_number)
);
COMMENT ON TABLE ritual.segment_weeks IS
  'Internal to the reporting layer, not a report: per segment of each breakdown attribute, cohort and week since signup, the users active in the week and those whose last active week it is, kept up to date by refresh_reports.';
COMMENT ON COLUMN ritual.segment_weeks.attribute IS 'an attribute of ritual.breakdown_attributes';
COMMENT ON COLUMN ritual.segment_weeks.segment IS 'the users'' value of the attribute; '''' when missing or empty';
COMMENT ON COLUMN ritual.segment_weeks.cohort_week IS 'the Sunday that starts the cohort''s signup week';
COMMENT ON COLUMN ritual.segment_weeks.week_number IS 'week since signup, from 1';
COMMENT ON COLUMN ritual.segment_weeks.active_users IS 'users of the cohort and segment with a clean event in the week';
COMMENT ON COLUMN ritual.segment_weeks.last_active_users IS 'users of the cohort and segment whose last week with a clean event it is';
WITH combinations AS (
    SELECT user_id, jsonb_strip_nulls(jsonb_build_object('country', left(nullif(country, ''), 200),
                                                         'platform', left(nullif(platform, ''), 200)))
               AS segments
      FROM ritual.users WHERE country <> '' OR platform <> ''
), keys AS (
    INSERT INTO ritual.segment_keys
    SELECT dense_rank() OVER (ORDER BY segments), segments
      FROM (SELECT DISTINCT segments FROM combinations) c
    RETURNING segment_key, segments
)
INSERT INTO ritual.user_segments
SELECT c.user_id, k.segment_key FROM combinations c JOIN keys k USING (segments);

-- the coordinator's tables (docs/scale-out.md)
-- The workers, each the holder of one shard of the users.
CREATE TABLE ritual.workers (
    worker   text PRIMARY KEY CHECK (worker ~ '^[a-z][a-z0-9_]{0,39}$'),
    shard    integer NOT NULL UNIQUE,
    shards   integer NOT NULL CHECK (shards BETWEEN 1 AND 4096),
    server   name NOT NULL,
    version  text NOT NULL,
    added_at timestamp NOT NULL,
    CHECK (shard >= 0 AND shard < shards)
);
-- pg_dump keeps the workers (their servers and user mappings are dumped as
-- the objects of no extension they are)
SELECT pg_catalog.pg_extension_config_dump('ritual.workers', '');
COMMENT ON TABLE ritual.workers IS
  'A coordinator''s workers: each holds the users of one shard (ritual.user_shard) and builds their reports; add and remove them with ritual.add_worker and ritual.remove_worker.';
COMMENT ON COLUMN ritual.workers.worker IS 'the worker''s name: lower-case letters, digits and _';
COMMENT ON COLUMN ritual.workers.shard IS 'the shard it holds, from 0';
COMMENT ON COLUMN ritual.workers.shards IS 'the number of shards of the deployment';
COMMENT ON COLUMN ritual.workers.server IS 'its postgres_fdw server, ritual_worker_ and the name';
COMMENT ON COLUMN ritual.workers.version IS 'the worker''s ritual version when it was added (every build checks it is the coordinator''s)';
COMMENT ON COLUMN ritual.workers.added_at IS 'when it was added (UTC)';

-- One row per global build or refresh that completed.
CREATE TABLE ritual.global_builds (
    built_at         timestamp PRIMARY KEY,
    kind             text NOT NULL,
    reference_time   timestamp NOT NULL,
    workers          integer NOT NULL,
    raw_events       bigint NOT NULL,
    clean_events     bigint NOT NULL,
    users            bigint NOT NULL,
    worker_seconds   double precision NOT NULL,
    assembly_seconds double precision NOT NULL,
    seconds          double precision NOT NULL
);
COMMENT ON TABLE ritual.global_builds IS
  'One row per global build (build_global_reports) or refresh (refresh_global_reports) that completed on this coordinator.';
COMMENT ON COLUMN ritual.global_builds.built_at IS 'when it started (UTC); worker_builds rows carry it';
COMMENT ON COLUMN ritual.global_builds.kind IS '''build'' or ''refresh''';
COMMENT ON COLUMN ritual.global_builds.reference_time IS 'the reference time every worker built with';
COMMENT ON COLUMN ritual.global_builds.workers IS 'the workers built';
COMMENT ON COLUMN ritual.global_builds.raw_events IS 'raw event rows of all workers';
COMMENT ON COLUMN ritual.global_builds.clean_events IS 'clean events of all workers';
COMMENT ON COLUMN ritual.global_builds.users IS 'users with a profile, of all workers';
COMMENT ON COLUMN ritual.global_builds.worker_seconds IS 'seconds until the slowest worker''s build ended (they run at once)';
COMMENT ON COLUMN ritual.global_builds.assembly_seconds IS 'seconds the coordinator took to make the global tables from the workers'' aggregates';
COMMENT ON COLUMN ritual.global_builds.seconds IS 'seconds in all';

-- Each worker's build that a global build used.
CREATE TABLE ritual.worker_builds (
    built_at        timestamp REFERENCES ritual.global_builds ON DELETE CASCADE,
    worker          text,
    shard           integer NOT NULL,
    worker_built_at timestamp NOT NULL,
    kind            text NOT NULL,
    raw_events      bigint NOT NULL,
    clean_events    bigint NOT NULL,
    users           bigint NOT NULL,
    seconds         double precision NOT NULL,
    PRIMARY KEY (built_at, worker)
);
COMMENT ON TABLE ritual.worker_builds IS
  'Per global build, the build of each worker it assembled: the worker''s row of its own ritual.report_builds.';
COMMENT ON COLUMN ritual.worker_builds.built_at IS 'the global build''s built_at';
COMMENT ON COLUMN ritual.worker_builds.worker IS 'the worker, as ritual.workers names it';
COMMENT ON COLUMN ritual.worker_builds.shard IS 'the shard it held';
COMMENT ON COLUMN ritual.worker_builds.worker_built_at IS 'built_at of the worker''s report_builds row';
COMMENT ON COLUMN ritual.worker_builds.kind IS 'the worker''s build: ''full'' or ''incremental''';
COMMENT ON COLUMN ritual.worker_builds.raw_events IS 'raw event rows of the worker';
COMMENT ON COLUMN ritual.worker_builds.clean_events IS 'clean events of the worker';
COMMENT ON COLUMN ritual.worker_builds.users IS 'users with a profile, of the worker';
COMMENT ON COLUMN ritual.worker_builds.seconds IS 'the worker''s build time';
