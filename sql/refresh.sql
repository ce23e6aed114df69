--
-- refresh: ritual.refresh_reports brings the reports up to date with rows
-- appended to the raw relations, touching only what they affect, and the
-- result equals a full ritual.build_reports over the same rows
--
\getenv datadir RITUAL_TESTDATA
\set sample :datadir '/sample'
\set sample_events :sample '/user_events.csv'
\set sample_profiles :sample '/user_profiles.csv'
\set spikes :datadir '/spikes'
\set spikes_events :spikes '/user_events.csv'
\set spikes_profiles :spikes '/user_profiles.csv'
\set spikes_manifest :spikes '/manifest.json'
SET client_min_messages = warning;
\set SHOW_CONTEXT never

-- every raw row of the sample, with its provenance; the events are dealt
-- into three files by line: b.csv (lines 2-5000), c.csv (5001-10000) and
-- a.csv (the rest), which sorts before the other two
SELECT ritual.create_raw_tables(:'sample_events', :'sample_profiles');
CREATE TABLE sample_events AS
SELECT user_id, event_type, event_date,
       CASE WHEN source_line <= 5000 THEN 'events/b.csv'
            WHEN source_line <= 10000 THEN 'events/c.csv'
            ELSE 'events/a.csv' END AS source_file,
       source_line
  FROM ritual.raw_events;
CREATE TABLE sample_profiles AS
SELECT user_id, signup_date, country, platform, 'profiles/p.csv'::text AS source_file, source_line
  FROM ritual.raw_profiles;
DROP FOREIGN TABLE ritual.raw_events, ritual.raw_profiles;

-- the plain tables an ingest appends to; with an index on the provenance
-- of the events, a refresh reads only their new rows (steps 1 to 9), and
-- without one it reads them all (ev2 below, and the last part, whose
-- profiles have no index either)
CREATE TABLE ev (LIKE sample_events);
CREATE INDEX ON ev (source_file, source_line);
CREATE TABLE pr (LIKE sample_profiles);
-- and with one on the profiles', a refresh reads only their new rows too
CREATE INDEX ON pr (source_file, source_line);

-- a user whose profile arrives after its events, with a signup after some
-- of them (so they turn event_before_signup)
CREATE TEMP TABLE late AS
SELECT user_id, (SELECT event_date::date FROM sample_events e
                  WHERE e.user_id = p.user_id AND e.event_date IS NOT NULL
                  ORDER BY event_date OFFSET 20 LIMIT 1) AS signup_date
  FROM sample_profiles p
 WHERE user_id IN (SELECT user_id FROM sample_profiles GROUP BY user_id HAVING count(*) = 1)
 ORDER BY user_id OFFSET 10 LIMIT 2;
-- a clean a.csv event whose copy in c.csv arrives first
CREATE TEMP TABLE original AS
SELECT e.* FROM sample_events e
 WHERE e.source_file = 'events/a.csv' AND e.source_line BETWEEN 10001 AND 11000
   AND e.user_id IS NOT NULL AND e.event_date IS NOT NULL AND e.event_type = 'app_opened'
   AND e.user_id NOT IN (SELECT user_id FROM late)
 ORDER BY e.source_line LIMIT 1;

-- compare every reporting table (all columns) with a snapshot
CREATE FUNCTION snapshot_reports() RETURNS void LANGUAGE plpgsql AS $$
DECLARE t text;
BEGIN
    FOR t IN SELECT unnest(ARRAY['users', 'enriched_events', 'clean_events', 'sessions',
                                 'daily_activity', 'daily_event_types', 'retention_cohorts',
                                 'event_transitions', 'spikes', 'spike_coverage', 'data_quality',
                                 'weekly_lifecycle', 'weekly_stickiness', 'monthly_stickiness',
                                 'activity_counts', 'funnel_steps', 'funnel_users',
                                 'session_paths', 'path_counts', 'user_paths',
                                 'daily_activity_by_segment', 'retention_by_segment',
                                 'segment_cohorts', 'segment_weeks'])
    LOOP
        EXECUTE format('DROP TABLE IF EXISTS snap_%1$s; CREATE TEMP TABLE snap_%1$s AS SELECT * FROM ritual.%1$s', t);
    END LOOP;
END $$;
CREATE FUNCTION snapshot_differences(OUT tables integer, OUT rows bigint,
                                     OUT differences bigint, OUT differing text)
LANGUAGE plpgsql AS $$
DECLARE t text; n bigint; d bigint;
BEGIN
    tables := 0; rows := 0; differences := 0;
    FOR t IN SELECT unnest(ARRAY['users', 'enriched_events', 'clean_events', 'sessions',
                                 'daily_activity', 'daily_event_types', 'retention_cohorts',
                                 'event_transitions', 'spikes', 'spike_coverage', 'data_quality',
                                 'weekly_lifecycle', 'weekly_stickiness', 'monthly_stickiness',
                                 'activity_counts', 'funnel_steps', 'funnel_users',
                                 'session_paths', 'path_counts', 'user_paths',
                                 'daily_activity_by_segment', 'retention_by_segment',
                                 'segment_cohorts', 'segment_weeks'])
    LOOP
        EXECUTE format('SELECT count(*) FROM ritual.%s', t) INTO n;
        EXECUTE format('SELECT count(*) FROM ((SELECT * FROM ritual.%1$s EXCEPT ALL SELECT * FROM snap_%1$s)
                        UNION ALL (SELECT * FROM snap_%1$s EXCEPT ALL SELECT * FROM ritual.%1$s)) x', t) INTO d;
        tables := tables + 1; rows := rows + n; differences := differences + d;
        IF d > 0 THEN differing := concat_ws(', ', differing, t); END IF;
    END LOOP;
END $$;
-- what the refreshed reports differ from a full build over the same rows
CREATE FUNCTION full_build_differences(OUT tables integer, OUT rows bigint,
                                       OUT differences bigint, OUT differing text)
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM snapshot_reports();
    PERFORM ritual.build_reports('ev', 'pr', reference_time =>
        (SELECT reference_time FROM ritual.report_builds ORDER BY built_at DESC, seconds LIMIT 1));
    SELECT * INTO tables, rows, differences, differing FROM snapshot_differences();
END $$;
CREATE VIEW last_build AS
SELECT kind, new_events, new_profiles, recomputed_events, raw_events, clean_events, users
  FROM ritual.report_builds ORDER BY built_at DESC LIMIT 1;

--
-- step 1: the first lines of b.csv and the profiles but the late ones; a
-- full build, then a refresh with nothing new changes nothing
--
INSERT INTO ev SELECT * FROM sample_events WHERE source_file = 'events/b.csv' AND source_line <= 3000;
INSERT INTO pr SELECT * FROM sample_profiles WHERE user_id NOT IN (SELECT user_id FROM late);
SELECT * FROM ritual.build_reports('ev', 'pr', reference_time => '2024-03-20');
SELECT * FROM last_build;
SELECT snapshot_reports();
SELECT * FROM ritual.refresh_reports('ev', 'pr', reference_time => '2024-03-20');
SELECT * FROM last_build;
SELECT * FROM snapshot_differences();
SELECT relation, source_file, max_line FROM ritual.refresh_watermarks ORDER BY 1, 2;

-- step 2: lines appended to b.csv
INSERT INTO ev SELECT * FROM sample_events WHERE source_file = 'events/b.csv' AND source_line > 3000;
SELECT count(*) AS reports FROM ritual.refresh_reports('ev', 'pr', reference_time => '2024-03-20');
SELECT * FROM last_build;

-- step 3: a new file c.csv, with a copy of an a.csv event that comes later
INSERT INTO ev SELECT * FROM sample_events WHERE source_file = 'events/c.csv' AND source_line <= 8000;
INSERT INTO ev SELECT user_id, event_type, event_date, 'events/c.csv', 4000 FROM original;
SELECT count(*) AS reports FROM ritual.refresh_reports('ev', 'pr', reference_time => '2024-03-20');
SELECT * FROM last_build;
SELECT e.flag_names, e.source_file, e.source_line FROM ritual.enriched_events e JOIN original o
 USING (user_id, event_type, event_date) ORDER BY event_id;
SELECT * FROM full_build_differences();

-- step 4: a new file a.csv that sorts before b.csv and c.csv: the events
-- after it are numbered again, and the c.csv copy becomes the duplicate
INSERT INTO ev SELECT * FROM sample_events WHERE source_file = 'events/a.csv' AND source_line <= 11000;
SELECT count(*) AS reports FROM ritual.refresh_reports('ev', 'pr', reference_time => '2024-03-20');
SELECT * FROM last_build;
SELECT e.flag_names, e.source_file, e.source_line FROM ritual.enriched_events e JOIN original o
 USING (user_id, event_type, event_date) ORDER BY event_id;
SELECT min(event_id) AS first_id, max(event_id) AS last_id FROM ritual.enriched_events
 WHERE source_file = 'events/a.csv';
SELECT * FROM full_build_differences();

-- step 5: lines appended to a.csv, still before the other files
INSERT INTO ev SELECT * FROM sample_events WHERE source_file = 'events/a.csv' AND source_line > 11000;
SELECT count(*) AS reports FROM ritual.refresh_reports('ev', 'pr', reference_time => '2024-03-20');
SELECT * FROM last_build;

-- step 6: the late profiles arrive: unknown_user goes, event_before_signup comes
SELECT count(*) FILTER (WHERE flags & 16 <> 0) AS unknown_user,
       count(*) FILTER (WHERE flags & 32 <> 0) AS event_before_signup
  FROM ritual.enriched_events WHERE user_id IN (SELECT user_id FROM late);
INSERT INTO pr SELECT p.user_id, l.signup_date, p.country, p.platform, 'profiles/q.csv', p.source_line
  FROM sample_profiles p JOIN late l USING (user_id);
SELECT count(*) AS reports FROM ritual.refresh_reports('ev', 'pr', reference_time => '2024-03-20');
SELECT * FROM last_build;
SELECT count(*) FILTER (WHERE flags & 16 <> 0) AS unknown_user,
       count(*) FILTER (WHERE flags & 32 <> 0) AS event_before_signup
  FROM ritual.enriched_events WHERE user_id IN (SELECT user_id FROM late);
SELECT * FROM full_build_differences();

-- step 7: a second profile row of a known user, with another signup date
INSERT INTO pr SELECT user_id, signup_date + 3, country, platform, 'profiles/q.csv', 1000
  FROM sample_profiles WHERE user_id = (SELECT min(user_id) FROM ritual.clean_events);
SELECT count(*) AS reports FROM ritual.refresh_reports('ev', 'pr', reference_time => '2024-03-20');
SELECT * FROM last_build;

-- step 8: a later reference time: future events become past
SELECT count(*) AS future_events FROM ritual.enriched_events WHERE flags & 64 <> 0;
SELECT count(*) AS reports FROM ritual.refresh_reports('ev', 'pr', reference_time => '2024-12-31');
SELECT * FROM last_build;
SELECT count(*) AS future_events FROM ritual.enriched_events WHERE flags & 64 <> 0;
SELECT * FROM full_build_differences();

-- step 9: the rest of c.csv, and an earlier reference time again
INSERT INTO ev SELECT * FROM sample_events WHERE source_file = 'events/c.csv' AND source_line > 8000;
SELECT count(*) AS reports FROM ritual.refresh_reports('ev', 'pr', reference_time => '2024-03-25');
SELECT * FROM last_build;
SELECT count(*) AS future_events FROM ritual.enriched_events WHERE flags & 64 <> 0;
SELECT * FROM full_build_differences();
-- every raw row is in, once
SELECT (SELECT count(*) FROM ritual.enriched_events) = (SELECT count(*) FROM ev) AS all_rows_once;

--
-- what makes a refresh a full rebuild, with a NOTICE
--
SET client_min_messages = notice;
-- the event_types catalogue changed (and changed back)
INSERT INTO ritual.event_types (event_type, description) VALUES ('streak_frozen', 'a streak was frozen');
SELECT count(*) AS reports FROM ritual.refresh_reports('ev', 'pr', reference_time => '2024-03-25');
SELECT * FROM last_build;
DELETE FROM ritual.event_types WHERE event_type = 'streak_frozen';
SELECT count(*) AS reports FROM ritual.refresh_reports('ev', 'pr', reference_time => '2024-03-25');
-- a file went backwards (its last lines are gone)
DELETE FROM ev WHERE source_file = 'events/c.csv' AND source_line > 9990;
SELECT count(*) AS reports FROM ritual.refresh_reports('ev', 'pr', reference_time => '2024-03-25');
SELECT * FROM last_build;
-- a profiles file went backwards: its last included row is gone, which a
-- refresh sees although it keeps only the rows of users with a new one
CREATE TABLE gone_profile AS
SELECT * FROM pr WHERE source_file = 'profiles/q.csv' AND source_line = 1000;
DELETE FROM pr WHERE source_file = 'profiles/q.csv' AND source_line = 1000;
SELECT count(*) AS reports FROM ritual.refresh_reports('ev', 'pr', reference_time => '2024-03-25');
SELECT kind, new_profiles FROM last_build;
INSERT INTO pr SELECT * FROM gone_profile;
-- another session gap
SELECT count(*) AS reports FROM ritual.refresh_reports('ev', 'pr', reference_time => '2024-03-25',
                                                       session_gap => '1 hour');
SELECT * FROM last_build;
SELECT count(*) AS reports FROM ritual.refresh_reports('ev', 'pr', reference_time => '2024-03-25');
-- other relations
CREATE TABLE ev2 AS SELECT * FROM ev;
SELECT ritual.has_provenance_index('ev') AS ev_indexed, ritual.has_provenance_index('ev2') AS ev2_indexed;
SELECT count(*) AS reports FROM ritual.refresh_reports('ev2', 'pr', reference_time => '2024-03-25');
SELECT * FROM last_build;
-- and then it is incremental again
SELECT count(*) AS reports FROM ritual.refresh_reports('ev2', 'pr', reference_time => '2024-03-25');
SELECT * FROM last_build;
SET client_min_messages = warning;

-- errors: relations without provenance
CREATE TABLE no_provenance AS SELECT user_id, event_type, event_date FROM ev;
SELECT ritual.refresh_reports('no_provenance', 'pr');
SELECT ritual.refresh_reports('ev', 'no_such_table');
SELECT ritual.refresh_reports('ev', 'pr', spike_threshold => 0);
-- build_reports still reads them, every row new
SELECT count(*) AS reports FROM ritual.build_reports('no_provenance', 'pr', reference_time => '2024-03-25');
SELECT * FROM last_build;
SELECT count(*) AS watermarks FROM ritual.refresh_watermarks;
-- and a refresh after it has nothing to start from
SET client_min_messages = notice;
SELECT count(*) AS reports FROM ritual.refresh_reports('ev', 'pr', reference_time => '2024-03-25');
SET client_min_messages = warning;
DROP TABLE ev, pr, ev2, no_provenance, sample_events, sample_profiles;

--
-- a dataset large enough for spikes: a build over 99% of the rows, then a
-- refresh with the last 1% equals a build over all of them
--
SELECT ritual.create_raw_tables(:'spikes_events', :'spikes_profiles');
SELECT pg_read_file(:'spikes_manifest')::jsonb ->> 'reference_time' AS spikes_reference \gset
CREATE TABLE ev AS SELECT user_id, event_type, event_date, source_file, source_line
  FROM ritual.raw_events;
CREATE TABLE pr AS SELECT user_id, signup_date, country, platform, source_file, source_line
  FROM ritual.raw_profiles;
DROP FOREIGN TABLE ritual.raw_events, ritual.raw_profiles;
SELECT percentile_disc(0.99) WITHIN GROUP (ORDER BY source_line) AS cut FROM ev \gset
CREATE TABLE later AS SELECT * FROM ev WHERE source_line > :cut;
DELETE FROM ev WHERE source_line > :cut;
SELECT count(*) AS reports FROM ritual.build_reports('ev', 'pr', reference_time => :'spikes_reference');
INSERT INTO ev SELECT * FROM later;
-- a refresh rolled back leaves dead entries in the index by user and time,
-- which the refresh after it reads past
BEGIN;
SELECT count(*) AS reports FROM ritual.refresh_reports('ev', 'pr', reference_time => :'spikes_reference');
ROLLBACK;
SELECT count(*) AS reports FROM ritual.refresh_reports('ev', 'pr', reference_time => :'spikes_reference');
SELECT * FROM last_build;
SELECT * FROM full_build_differences();
SELECT day, kind, string_agg(series, ', ' ORDER BY series) AS series
  FROM ritual.spikes GROUP BY day, kind ORDER BY day;
-- a refresh finds each user's events through that index, and says so
-- when it is gone
DROP INDEX ritual.enriched_events_user_id_event_date_event_id_idx;
INSERT INTO ev SELECT user_id, event_type, event_date + interval '1 minute', source_file,
                      source_line + 1000000
  FROM later ORDER BY source_line DESC LIMIT 1;
SELECT count(*) AS reports FROM ritual.refresh_reports('ev', 'pr', reference_time => :'spikes_reference');
CREATE INDEX ON ritual.enriched_events (user_id, event_date, event_id);
-- it writes enriched_events past the executor, its indexes kept, so what
-- would miss its rows stops it, as it stops a full build
CREATE FUNCTION refresh_trigger() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;
CREATE TRIGGER refresh_trigger BEFORE UPDATE ON ritual.enriched_events
   FOR EACH ROW EXECUTE FUNCTION refresh_trigger();
\set SHOW_CONTEXT never
SELECT count(*) AS reports FROM ritual.refresh_reports('ev', 'pr', reference_time => :'spikes_reference');
\set SHOW_CONTEXT errors
DROP TRIGGER refresh_trigger ON ritual.enriched_events;
DROP FUNCTION refresh_trigger();
-- and with the trigger gone, the refresh that failed twice takes the row
SELECT count(*) AS reports FROM ritual.refresh_reports('ev', 'pr', reference_time => :'spikes_reference');
SELECT * FROM full_build_differences();
-- it finds a user's days through the primary key of user_days
INSERT INTO ev SELECT user_id, event_type, event_date + interval '2 minutes', source_file,
                      source_line + 2000000
  FROM later ORDER BY source_line DESC LIMIT 1;
ALTER TABLE ritual.user_days DROP CONSTRAINT user_days_pkey;
\set SHOW_CONTEXT never
SELECT count(*) AS reports FROM ritual.refresh_reports('ev', 'pr', reference_time => :'spikes_reference');
\set SHOW_CONTEXT errors
ALTER TABLE ritual.user_days ADD PRIMARY KEY (user_id, day);
SELECT count(*) AS reports FROM ritual.refresh_reports('ev', 'pr', reference_time => :'spikes_reference');
SELECT * FROM full_build_differences();
-- new rows after every included one with the key (user, type, time) of
-- an included event, clean or flagged, are its duplicates: the pass finds
-- those events through the index by user and time
INSERT INTO ev
SELECT e.user_id, e.raw_event_type, e.event_date, (SELECT max(source_file) FROM ev),
       (SELECT max(source_line) FROM ev) + row_number() OVER (ORDER BY e.event_id)
  FROM ritual.enriched_events e
 WHERE e.event_id IN ((SELECT min(event_id) FROM ritual.enriched_events WHERE flags = 0),
                      (SELECT min(event_id) FROM ritual.enriched_events WHERE flags = 64));
SELECT count(*) AS reports FROM ritual.refresh_reports('ev', 'pr', reference_time => :'spikes_reference');
SELECT flag_names FROM ritual.enriched_events
 WHERE source_line > (SELECT max(source_line) - 2 FROM ev) ORDER BY event_id;
SELECT * FROM full_build_differences();
-- with full pages (fillfactor 100), an event the pass updates in place
-- leaves its page, with an entry in each index (no HOT update); the
-- refresh still equals a full build
ALTER TABLE ritual.enriched_events SET (fillfactor = 100);
SELECT count(*) AS reports FROM ritual.build_reports('ev', 'pr', reference_time => :'spikes_reference');
INSERT INTO ev SELECT user_id, event_type, event_date + interval '3 minutes', source_file,
                      source_line + 4000000
  FROM later ORDER BY source_line DESC LIMIT 50;
BEGIN;
SELECT count(*) AS reports FROM ritual.refresh_reports('ev', 'pr', reference_time => :'spikes_reference');
SELECT n_tup_upd > 0 AS updated, n_tup_upd > n_tup_hot_upd AS some_not_hot
  FROM pg_stat_xact_user_tables WHERE relid = 'ritual.enriched_events'::regclass;
COMMIT;
SELECT * FROM full_build_differences();
ALTER TABLE ritual.enriched_events SET (fillfactor = 90);
DROP TABLE ev, pr, later;
DROP VIEW last_build;
DROP FUNCTION full_build_differences(), snapshot_differences(), snapshot_reports();
DROP SERVER ritual_raw_files;
RESET client_min_messages;
