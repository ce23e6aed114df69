/*
 * src/sql/reporting.sql: the reporting layer.  Tables with stable names and
 * plain column types (what Looker Studio's PostgreSQL connector and psql
 * read), filled by ritual.build_reports() from a raw events relation and a
 * raw profiles relation, as ANALYTICS.md defines every metric.
 *
 * The tables belong to the extension, so DROP EXTENSION removes them; a
 * build empties and refills them in one transaction.
 */

-- The event-type catalogue: users may add and remove types.
CREATE TABLE ritual.event_types (
    event_type  text PRIMARY KEY
                CHECK (event_type = lower(btrim(event_type)) AND event_type <> ''),
    description text,
    builtin     boolean NOT NULL DEFAULT false
);
INSERT INTO ritual.event_types (event_type, description, builtin) VALUES
    ('app_opened', 'the app came to the foreground', true),
    ('ritual_started', 'a ritual was started', true),
    ('ritual_completed', 'a ritual was completed', true),
    ('journal_entry', 'a journal entry was written', true),
    ('share', 'something was shared', true),
    ('reminder_set', 'a reminder was set', true),
    ('subscription_purchased', 'a subscription was bought', true);
-- pg_dump keeps the types users added
SELECT pg_catalog.pg_extension_config_dump('ritual.event_types', 'WHERE NOT builtin');
COMMENT ON TABLE ritual.event_types IS
  'The known event types (normalised with lower(btrim())); other types are flagged unknown_event_type. Editable.';

-- One row per user with a profile.
CREATE TABLE ritual.users (
    user_id      bigint PRIMARY KEY,
    signup_date  date,
    cohort_week  date,
    profile_rows integer NOT NULL,
    flags        integer NOT NULL,
    flag_names   text NOT NULL,
    country      text,
    platform     text
);
COMMENT ON TABLE ritual.users IS
  'Users with a profile: the earliest valid signup_date of their profile rows, and the profile flags.';
COMMENT ON COLUMN ritual.users.signup_date IS 'earliest valid signup date of the user''s profile rows; NULL when none is valid';
COMMENT ON COLUMN ritual.users.cohort_week IS 'the Sunday that starts the week of signup_date';
COMMENT ON COLUMN ritual.users.profile_rows IS 'profile rows of the user in the raw files';
COMMENT ON COLUMN ritual.users.flags IS 'profile flag bits: 256 conflicting_profile, 512 missing_signup_date';
COMMENT ON COLUMN ritual.users.flag_names IS 'the flags as names, comma-separated; empty when clean';
COMMENT ON COLUMN ritual.users.country IS 'country of the user''s first profile row';
COMMENT ON COLUMN ritual.users.platform IS 'platform of the user''s first profile row';

-- Every raw event, flagged, with the columns of the original report.
CREATE TABLE ritual.enriched_events (
    event_id                 bigint PRIMARY KEY,
    user_id                  bigint,
    event_type               text,
    raw_event_type           text,
    event_date               timestamp,
    event_day                date,
    signup_date              date,
    cohort_week              date,
    week_number_since_signup integer,
    prev_event_type          text,
    next_event_type          text,
    session_number           bigint,
    flags                    integer NOT NULL,
    flag_names               text NOT NULL,
    source_file              text,
    source_line              bigint
);
CREATE INDEX ON ritual.enriched_events (user_id, event_date);
CREATE INDEX ON ritual.enriched_events (event_day);
CREATE INDEX ON ritual.enriched_events (flags) WHERE flags <> 0;
COMMENT ON TABLE ritual.enriched_events IS
  'Every raw event with its anomaly flags, signup date, week number since signup, previous and next event type and session (the last three for clean events only), and where it came from.';
COMMENT ON COLUMN ritual.enriched_events.event_id IS 'the event''s rank in provenance order (file, then line)';
COMMENT ON COLUMN ritual.enriched_events.event_type IS 'lower(btrim(raw_event_type)); NULL when blank';
COMMENT ON COLUMN ritual.enriched_events.raw_event_type IS 'event_type as the file spells it';
COMMENT ON COLUMN ritual.enriched_events.event_day IS 'event_date::date (UTC by convention)';
COMMENT ON COLUMN ritual.enriched_events.signup_date IS 'the user''s earliest valid signup date';
COMMENT ON COLUMN ritual.enriched_events.cohort_week IS 'the Sunday that starts the week of signup_date';
COMMENT ON COLUMN ritual.enriched_events.week_number_since_signup IS 'BigQuery DATE_DIFF(event_day, signup_date, WEEK) + 1 (Sunday weeks)';
COMMENT ON COLUMN ritual.enriched_events.prev_event_type IS 'the user''s previous clean event type by time (ties by file and line); NULL for flagged events';
COMMENT ON COLUMN ritual.enriched_events.next_event_type IS 'the user''s next clean event type by time; NULL for flagged events';
COMMENT ON COLUMN ritual.enriched_events.session_number IS 'the user''s session, from 1 (a gap over 30 minutes starts a new one); NULL for flagged events';
COMMENT ON COLUMN ritual.enriched_events.flags IS 'anomaly flag bits (ANALYTICS.md); 0 for a clean event';
COMMENT ON COLUMN ritual.enriched_events.flag_names IS 'the flags as names, comma-separated; empty when clean';
COMMENT ON COLUMN ritual.enriched_events.source_file IS 'the raw file the event came from';
COMMENT ON COLUMN ritual.enriched_events.source_line IS 'the line of the raw file where the event''s record starts';

-- The events with no flag: what every metric is computed over.
CREATE TABLE ritual.clean_events (LIKE ritual.enriched_events);
ALTER TABLE ritual.clean_events ADD PRIMARY KEY (event_id);
CREATE INDEX ON ritual.clean_events (user_id, event_date);
CREATE INDEX ON ritual.clean_events (event_day);
COMMENT ON TABLE ritual.clean_events IS
  'The enriched events that carry no anomaly flag; every metric is computed over these.';

CREATE TABLE ritual.sessions (
    user_id          bigint,
    session_number   bigint,
    session_start    timestamp NOT NULL,
    session_end      timestamp NOT NULL,
    duration_seconds double precision NOT NULL,
    events           integer NOT NULL,
    PRIMARY KEY (user_id, session_number)
);
CREATE INDEX ON ritual.sessions (session_start);
COMMENT ON TABLE ritual.sessions IS
  'Sessions: a user''s clean events with no gap longer than 30 minutes (by default).';
COMMENT ON COLUMN ritual.sessions.duration_seconds IS 'session_end - session_start, in seconds';
COMMENT ON COLUMN ritual.sessions.events IS 'clean events in the session';

CREATE TABLE ritual.daily_activity (
    day        date PRIMARY KEY,
    dau        bigint NOT NULL,
    wau        bigint NOT NULL,
    mau        bigint NOT NULL,
    stickiness double precision,
    new_users  bigint NOT NULL,
    events     bigint NOT NULL,
    sessions   bigint NOT NULL
);
COMMENT ON TABLE ritual.daily_activity IS
  'One row per day from the first to the last day with a clean event.';
COMMENT ON COLUMN ritual.daily_activity.dau IS 'distinct users with a clean event that day';
COMMENT ON COLUMN ritual.daily_activity.wau IS 'distinct users with a clean event in the 7 days ending that day';
COMMENT ON COLUMN ritual.daily_activity.mau IS 'distinct users with a clean event in the 30 days ending that day';
COMMENT ON COLUMN ritual.daily_activity.stickiness IS 'dau / mau; NULL when mau is 0';
COMMENT ON COLUMN ritual.daily_activity.new_users IS 'users whose signup_date is that day';
COMMENT ON COLUMN ritual.daily_activity.events IS 'clean events that day';
COMMENT ON COLUMN ritual.daily_activity.sessions IS 'sessions that started that day';

CREATE TABLE ritual.daily_event_types (
    day        date,
    event_type text,
    events     bigint NOT NULL,
    users      bigint NOT NULL,
    PRIMARY KEY (day, event_type)
);
COMMENT ON TABLE ritual.daily_event_types IS 'Clean events and distinct users per day and event type.';

CREATE TABLE ritual.retention_cohorts (
    cohort_week          date,
    week_number          integer,
    cohort_size          bigint NOT NULL,
    retained_on          bigint NOT NULL,
    pct_on               double precision,
    retained_on_or_after bigint NOT NULL,
    pct_on_or_after      double precision,
    cell_status          text NOT NULL,
    PRIMARY KEY (cohort_week, week_number)
);
COMMENT ON TABLE ritual.retention_cohorts IS
  'Weekly retention: for each signup cohort (Sunday-start week) and week number since signup.';
COMMENT ON COLUMN ritual.retention_cohorts.cohort_week IS 'the Sunday that starts the cohort''s signup week';
COMMENT ON COLUMN ritual.retention_cohorts.week_number IS 'week since signup, from 1 (the signup week)';
COMMENT ON COLUMN ritual.retention_cohorts.cohort_size IS 'users of the cohort with a valid profile';
COMMENT ON COLUMN ritual.retention_cohorts.retained_on IS 'users of the cohort with a clean event in that week ("return on")';
COMMENT ON COLUMN ritual.retention_cohorts.pct_on IS 'retained_on / cohort_size';
COMMENT ON COLUMN ritual.retention_cohorts.retained_on_or_after IS 'users of the cohort with a clean event in that week or later';
COMMENT ON COLUMN ritual.retention_cohorts.pct_on_or_after IS 'retained_on_or_after / cohort_size';
COMMENT ON COLUMN ritual.retention_cohorts.cell_status IS '''complete'' when the week ended on or before the last day with a clean event, else ''incomplete''';

CREATE TABLE ritual.event_transitions (
    prev_event_type text,
    event_type      text,
    transitions     bigint NOT NULL,
    PRIMARY KEY (prev_event_type, event_type)
);
COMMENT ON TABLE ritual.event_transitions IS
  'How often one clean event type follows another for the same user.';

CREATE TABLE ritual.spikes (
    day      date,
    series   text,
    value    double precision NOT NULL,
    expected double precision NOT NULL,
    z        double precision NOT NULL,
    kind     text NOT NULL,
    PRIMARY KEY (day, series)
);
COMMENT ON TABLE ritual.spikes IS
  'Days on which a daily series deviates from what its weekly pattern predicts (ANALYTICS.md: spikes and drop-offs).';
COMMENT ON COLUMN ritual.spikes.series IS '''events'' (clean events), ''dau'', or ''events:'' and an event type';
COMMENT ON COLUMN ritual.spikes.value IS 'the series'' value that day';
COMMENT ON COLUMN ritual.spikes.expected IS 'median of the same weekday over the previous 4 weeks';
COMMENT ON COLUMN ritual.spikes.z IS 'robust z-score of ln((value+1)/(expected+1)) against the previous 56 days';
COMMENT ON COLUMN ritual.spikes.kind IS '''spike'' or ''drop_off''';

CREATE TABLE ritual.spike_coverage (
    series    text PRIMARY KEY,
    days      integer NOT NULL,
    judged    integer NOT NULL,
    too_young integer NOT NULL,
    too_small integer NOT NULL,
    spikes    integer NOT NULL,
    drop_offs integer NOT NULL
);
COMMENT ON TABLE ritual.spike_coverage IS
  'For each series: days judged, and days too young (not enough history) or too small (expected value under the minimum) to judge.';

CREATE TABLE ritual.data_quality (
    kind        text NOT NULL,
    flag_bit    integer NOT NULL,
    scope       text NOT NULL,
    source_file text,
    day         date,
    rows        bigint NOT NULL
);
CREATE INDEX ON ritual.data_quality (scope, kind);
COMMENT ON TABLE ritual.data_quality IS
  'Rows carrying each anomaly kind: in total (scope ''total'', every kind, zeros included), by file (scope ''file'') and by day (scope ''day'': the event day, or the signup day for profile kinds).';

CREATE TABLE ritual.report_builds (
    built_at          timestamp NOT NULL,
    events_relation   text NOT NULL,
    profiles_relation text NOT NULL,
    reference_time    timestamp NOT NULL,
    session_gap_seconds double precision NOT NULL,
    raw_events        bigint NOT NULL,
    clean_events      bigint NOT NULL,
    users             bigint NOT NULL,
    seconds           double precision NOT NULL
);
COMMENT ON TABLE ritual.report_builds IS 'One row per build of the reporting layer.';

/*
 * The flag kinds, by bit, as rows.
 */
CREATE FUNCTION ritual.flag_kinds(OUT kind text, OUT flag_bit integer)
RETURNS SETOF record
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT (ritual.flag_names(1 << i))[1], 1 << i FROM generate_series(0, 9) AS i
$$;
COMMENT ON FUNCTION ritual.flag_kinds() IS 'every anomaly kind with its bit';

/*
 * A daily series' spikes and drop-offs, as ANALYTICS.md defines them, for
 * the series in table _ritual_series (series, day, value) of this session.
 */
CREATE FUNCTION ritual.detect_spikes(threshold double precision,
                                     min_expected double precision)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    CREATE TEMP TABLE _ritual_scores ON COMMIT DROP AS
    WITH expected AS (
        SELECT s.series, s.day, s.value,
               (SELECT CASE WHEN count(*) >= 3
                            THEN percentile_cont(0.5) WITHIN GROUP (ORDER BY p.value) END
                  FROM _ritual_series p
                 WHERE p.series = s.series
                   AND p.day IN (s.day - 7, s.day - 14, s.day - 21, s.day - 28)) AS expected
          FROM _ritual_series s
    )
    SELECT series, day, value, expected,
           CASE WHEN expected IS NOT NULL THEN ln((value + 1) / (expected + 1)) END AS l
      FROM expected;
    CREATE INDEX ON _ritual_scores (series, day);

    CREATE TEMP TABLE _ritual_judged ON COMMIT DROP AS
    WITH centre AS (
        SELECT s.*,
               (SELECT CASE WHEN count(p.l) >= 28
                            THEN percentile_cont(0.5) WITHIN GROUP (ORDER BY p.l) END
                  FROM _ritual_scores p
                 WHERE p.series = s.series AND p.day BETWEEN s.day - 56 AND s.day - 1
                   AND p.l IS NOT NULL) AS m
          FROM _ritual_scores s
    ), spread AS (
        SELECT c.*,
               (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY abs(p.l - c.m))
                  FROM _ritual_scores p
                 WHERE p.series = c.series AND p.day BETWEEN c.day - 56 AND c.day - 1
                   AND p.l IS NOT NULL) AS mad
          FROM centre c
    )
    SELECT series, day, value, expected,
           CASE WHEN l IS NOT NULL AND m IS NOT NULL
                THEN (l - m) / greatest(1.4826 * mad, 0.1) END AS z,
           l IS NULL OR m IS NULL AS too_young,
           l IS NOT NULL AND m IS NOT NULL AND expected < min_expected AS too_small
      FROM spread;

    INSERT INTO ritual.spikes (day, series, value, expected, z, kind)
    SELECT day, series, value, expected, z,
           CASE WHEN z >= threshold THEN 'spike' ELSE 'drop_off' END
      FROM _ritual_judged
     WHERE NOT too_young AND NOT too_small AND abs(z) >= threshold;

    INSERT INTO ritual.spike_coverage
    SELECT series, count(*),
           count(*) FILTER (WHERE NOT too_young AND NOT too_small),
           count(*) FILTER (WHERE too_young),
           count(*) FILTER (WHERE too_small),
           count(*) FILTER (WHERE NOT too_young AND NOT too_small AND z >= threshold),
           count(*) FILTER (WHERE NOT too_young AND NOT too_small AND z <= -threshold)
      FROM _ritual_judged
     GROUP BY series;
END
$fn$;
COMMENT ON FUNCTION ritual.detect_spikes(double precision, double precision) IS
  'internal to build_reports: fills spikes and spike_coverage from the daily series';

/*
 * ritual.build_reports: (re)build every reporting table from the raw events
 * and profiles.  The events relation needs user_id, event_type and
 * event_date, the profiles relation user_id and signup_date; source_file and
 * source_line (and country, platform) are used when present.
 */
CREATE FUNCTION ritual.build_reports(
    events          text DEFAULT 'ritual.raw_events',
    profiles        text DEFAULT 'ritual.raw_profiles',
    reference_time  timestamp DEFAULT NULL,
    session_gap     interval DEFAULT '30 minutes',
    spike_threshold double precision DEFAULT 5,
    min_daily_value double precision DEFAULT 200)
RETURNS TABLE (report text, row_count bigint)
LANGUAGE plpgsql
AS $fn$
#variable_conflict use_column
DECLARE
    events_rel   regclass := events::regclass;
    profiles_rel regclass := profiles::regclass;
    started      timestamptz := clock_timestamp();
    reference    timestamp := coalesce(reference_time,
                                       (now() AT TIME ZONE 'UTC')::timestamp(0));
    provenance   text;
    order_by     text;
    profile_provenance text;
    profile_order text;
    attributes   text;
    scratch      text;
BEGIN
    IF spike_threshold <= 0 THEN
        RAISE EXCEPTION 'spike_threshold must be positive, not %', spike_threshold
              USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM ritual.require_columns(events_rel, ARRAY['user_id', 'event_type', 'event_date']);
    PERFORM ritual.require_columns(profiles_rel, ARRAY['user_id', 'signup_date']);

    -- provenance orders events, and breaks ties, when the relation has it
    IF ritual.has_columns(events_rel, ARRAY['source_file', 'source_line']) THEN
        provenance := 'source_file::text AS source_file, source_line::bigint AS source_line';
        order_by := 'source_file, source_line';
    ELSE
        provenance := 'NULL::text AS source_file, NULL::bigint AS source_line';
        order_by := 'NULL';
    END IF;
    IF ritual.has_columns(profiles_rel, ARRAY['source_file', 'source_line']) THEN
        profile_provenance := 'source_file::text AS source_file';
        profile_order := 'source_file, source_line';
    ELSE
        profile_provenance := 'NULL::text AS source_file';
        profile_order := 'NULL';
    END IF;
    attributes := CASE WHEN ritual.has_columns(profiles_rel, ARRAY['country', 'platform'])
                       THEN 'country::text AS country, platform::text AS platform'
                       ELSE 'NULL::text AS country, NULL::text AS platform' END;

    -- scratch tables of an earlier build in this transaction
    FOR scratch IN SELECT unnest(ARRAY['_ritual_profiles', '_ritual_events',
                                       '_ritual_user_days', '_ritual_series',
                                       '_ritual_scores', '_ritual_judged'])
    LOOP
        IF to_regclass('pg_temp.' || scratch) IS NOT NULL THEN
            EXECUTE format('DROP TABLE pg_temp.%I', scratch);
        END IF;
    END LOOP;

    TRUNCATE ritual.users, ritual.enriched_events, ritual.clean_events,
             ritual.sessions, ritual.daily_activity, ritual.daily_event_types,
             ritual.retention_cohorts, ritual.event_transitions, ritual.spikes,
             ritual.spike_coverage, ritual.data_quality;

    -- profiles: one row each, with its flags
    EXECUTE format($q$
        CREATE TEMP TABLE _ritual_profiles ON COMMIT DROP AS
        SELECT row_number() OVER (ORDER BY %1$s) AS profile_id,
               user_id::bigint AS user_id, signup_date::date AS signup_date, %2$s, %3$s
          FROM %4$s
        $q$, profile_order, profile_provenance, attributes, profiles_rel);

    INSERT INTO ritual.users
    WITH per_user AS (
        SELECT user_id, min(signup_date) AS signup_date, count(*) AS profile_rows,
               count(DISTINCT signup_date) > 1 AS conflicting
          FROM _ritual_profiles WHERE user_id IS NOT NULL GROUP BY user_id
    ), first_row AS (
        SELECT DISTINCT ON (user_id) user_id, country, platform
          FROM _ritual_profiles WHERE user_id IS NOT NULL
         ORDER BY user_id, signup_date NULLS LAST, profile_id
    )
    SELECT u.user_id, u.signup_date,
           u.signup_date - extract(dow FROM u.signup_date)::int,
           u.profile_rows, f.flags, array_to_string(ritual.flag_names(f.flags), ','),
           r.country, r.platform
      FROM per_user u JOIN first_row r USING (user_id),
           LATERAL (SELECT ritual.profile_flags(u.signup_date, u.conflicting) AS flags) f;

    -- events: flags, then what the original report adds
    EXECUTE format($q$
        CREATE TEMP TABLE _ritual_events ON COMMIT DROP AS
        SELECT row_number() OVER (ORDER BY %2$s) AS event_id,
               user_id::bigint AS user_id,
               nullif(lower(btrim(event_type::text)), '') AS event_type,
               event_type::text AS raw_event_type,
               event_date::timestamp AS event_date,
               %1$s
          FROM %3$s
        $q$, provenance, order_by, events_rel);

    INSERT INTO ritual.enriched_events
    WITH flagged AS (
        SELECT e.*, u.signup_date, u.cohort_week,
               ritual.event_flags(e.user_id, e.raw_event_type, e.event_date,
                                  t.event_type IS NOT NULL,
                                  u.user_id IS NOT NULL, u.signup_date, reference)
               | CASE WHEN e.user_id IS NOT NULL AND e.event_type IS NOT NULL
                           AND e.event_date IS NOT NULL
                           AND row_number() OVER (PARTITION BY e.user_id, e.event_type, e.event_date
                                                  ORDER BY e.event_id) > 1
                      THEN 128 ELSE 0 END AS flags
          FROM _ritual_events e
          LEFT JOIN ritual.users u ON u.user_id = e.user_id AND u.signup_date IS NOT NULL
          LEFT JOIN ritual.event_types t ON t.event_type = e.event_type
    )
    SELECT event_id, user_id, event_type, raw_event_type, event_date,
           event_date::date, signup_date, cohort_week,
           ritual.week_since_signup(event_date, signup_date),
           CASE WHEN flags = 0 THEN lag(event_type) OVER w END,
           CASE WHEN flags = 0 THEN lead(event_type) OVER w END,
           CASE WHEN flags = 0 THEN ritual.session_number(event_date, session_gap) OVER w END,
           flags, array_to_string(ritual.flag_names(flags), ','),
           source_file, source_line
      FROM flagged
    WINDOW w AS (PARTITION BY flags = 0, user_id ORDER BY event_date, event_id);

    INSERT INTO ritual.clean_events SELECT * FROM ritual.enriched_events WHERE flags = 0;
    ANALYZE ritual.clean_events;

    INSERT INTO ritual.sessions
    SELECT user_id, session_number, min(event_date), max(event_date),
           extract(epoch FROM max(event_date) - min(event_date)), count(*)
      FROM ritual.clean_events GROUP BY user_id, session_number;

    -- activity over every day from the first to the last with a clean event
    CREATE TEMP TABLE _ritual_user_days ON COMMIT DROP AS
    SELECT DISTINCT user_id, event_day AS day FROM ritual.clean_events;
    CREATE INDEX ON _ritual_user_days (day);
    ANALYZE _ritual_user_days;

    INSERT INTO ritual.daily_activity
    WITH days AS (
        SELECT generate_series(min(day), max(day), interval '1 day')::date AS day
          FROM _ritual_user_days
    ), dau AS (
        SELECT day, count(*) AS n FROM _ritual_user_days GROUP BY day
    ), signups AS (
        SELECT signup_date AS day, count(*) AS n FROM ritual.users GROUP BY 1
    ), events AS (
        SELECT event_day AS day, count(*) AS n FROM ritual.clean_events GROUP BY 1
    ), sessions AS (
        SELECT session_start::date AS day, count(*) AS n FROM ritual.sessions GROUP BY 1
    )
    SELECT d.day, coalesce(dau.n, 0), w.n, m.n,
           coalesce(dau.n, 0)::double precision / nullif(m.n, 0),
           coalesce(signups.n, 0), coalesce(events.n, 0), coalesce(sessions.n, 0)
      FROM days d
      LEFT JOIN dau USING (day)
      LEFT JOIN signups USING (day)
      LEFT JOIN events USING (day)
      LEFT JOIN sessions USING (day)
      CROSS JOIN LATERAL (SELECT count(DISTINCT user_id) AS n FROM _ritual_user_days u
                           WHERE u.day BETWEEN d.day - 6 AND d.day) w
      CROSS JOIN LATERAL (SELECT count(DISTINCT user_id) AS n FROM _ritual_user_days u
                           WHERE u.day BETWEEN d.day - 29 AND d.day) m;

    INSERT INTO ritual.daily_event_types
    SELECT event_day, event_type, count(*), count(DISTINCT user_id)
      FROM ritual.clean_events GROUP BY event_day, event_type;

    -- retention: cohorts of Sunday-start signup weeks
    INSERT INTO ritual.retention_cohorts
    WITH last AS (
        SELECT max(event_day) AS last_day FROM ritual.clean_events
    ), cohorts AS (
        SELECT cohort_week, count(*) AS cohort_size
          FROM ritual.users WHERE signup_date IS NOT NULL GROUP BY cohort_week
    ), user_weeks AS (
        SELECT DISTINCT u.cohort_week, e.user_id, e.week_number_since_signup AS week
          FROM ritual.clean_events e JOIN ritual.users u USING (user_id)
    ), on_week AS (
        SELECT cohort_week, week, count(*) AS users FROM user_weeks GROUP BY 1, 2
    ), last_weeks AS (
        SELECT cohort_week, last_week, count(*) AS users
          FROM (SELECT cohort_week, user_id, max(week) AS last_week
                  FROM user_weeks GROUP BY 1, 2) per_user
         GROUP BY 1, 2
    ), cells AS (
        SELECT c.cohort_week, c.cohort_size, n AS week_number, l.last_day
          FROM cohorts c, last l,
               generate_series(1, (l.last_day - c.cohort_week) / 7 + 1) AS n
    )
    SELECT c.cohort_week, c.week_number, c.cohort_size, coalesce(o.users, 0),
           coalesce(o.users, 0)::double precision / c.cohort_size,
           a.users, a.users::double precision / c.cohort_size,
           CASE WHEN c.cohort_week + 7 * c.week_number - 1 <= c.last_day
                THEN 'complete' ELSE 'incomplete' END
      FROM cells c
      LEFT JOIN on_week o ON o.cohort_week = c.cohort_week AND o.week = c.week_number
     CROSS JOIN LATERAL (SELECT coalesce(sum(l.users), 0)::bigint AS users FROM last_weeks l
                          WHERE l.cohort_week = c.cohort_week
                            AND l.last_week >= c.week_number) a;

    INSERT INTO ritual.event_transitions
    SELECT prev_event_type, event_type, count(*)
      FROM ritual.clean_events WHERE prev_event_type IS NOT NULL
     GROUP BY 1, 2;

    -- spikes and drop-offs of the daily series
    CREATE TEMP TABLE _ritual_series ON COMMIT DROP AS
    SELECT 'events'::text AS series, day, events::double precision AS value
      FROM ritual.daily_activity
    UNION ALL
    SELECT 'dau', day, dau FROM ritual.daily_activity
    UNION ALL
    SELECT 'events:' || t.event_type, d.day, coalesce(e.events, 0)
      FROM ritual.daily_activity d
     CROSS JOIN (SELECT DISTINCT event_type FROM ritual.daily_event_types) t
      LEFT JOIN ritual.daily_event_types e ON e.day = d.day AND e.event_type = t.event_type;
    CREATE INDEX ON _ritual_series (series, day);
    PERFORM ritual.detect_spikes(spike_threshold, min_daily_value);

    -- data quality: rows of each kind in total, by file and by day
    INSERT INTO ritual.data_quality
    WITH flagged_rows AS (
        SELECT flags, source_file, event_day AS day FROM ritual.enriched_events WHERE flags <> 0
        UNION ALL
        SELECT ritual.profile_flags(p.signup_date, u.flags & 256 <> 0), p.source_file, p.signup_date
          FROM _ritual_profiles p JOIN ritual.users u USING (user_id)
    ), kind_rows AS (
        SELECT k.kind, k.flag_bit, r.source_file, r.day
          FROM flagged_rows r JOIN ritual.flag_kinds() k ON r.flags & k.flag_bit <> 0
    )
    SELECT k.kind, k.flag_bit, 'total', NULL::text, NULL::date,
           (SELECT count(*) FROM kind_rows r WHERE r.flag_bit = k.flag_bit)
      FROM ritual.flag_kinds() k
    UNION ALL
    SELECT kind, flag_bit, 'file', source_file, NULL::date, count(*) FROM kind_rows GROUP BY 1, 2, 4
    UNION ALL
    SELECT kind, flag_bit, 'day', NULL::text, day, count(*) FROM kind_rows GROUP BY 1, 2, 5;

    INSERT INTO ritual.report_builds
    SELECT now() AT TIME ZONE 'UTC', events_rel::text, profiles_rel::text, reference,
           extract(epoch FROM session_gap),
           (SELECT count(*) FROM ritual.enriched_events),
           (SELECT count(*) FROM ritual.clean_events),
           (SELECT count(*) FROM ritual.users),
           extract(epoch FROM clock_timestamp() - started);

    ANALYZE ritual.users, ritual.enriched_events, ritual.sessions,
            ritual.daily_activity, ritual.retention_cohorts;

    RETURN QUERY
    SELECT 'enriched_events', count(*) FROM ritual.enriched_events
    UNION ALL SELECT 'clean_events', count(*) FROM ritual.clean_events
    UNION ALL SELECT 'users', count(*) FROM ritual.users
    UNION ALL SELECT 'sessions', count(*) FROM ritual.sessions
    UNION ALL SELECT 'daily_activity', count(*) FROM ritual.daily_activity
    UNION ALL SELECT 'daily_event_types', count(*) FROM ritual.daily_event_types
    UNION ALL SELECT 'retention_cohorts', count(*) FROM ritual.retention_cohorts
    UNION ALL SELECT 'event_transitions', count(*) FROM ritual.event_transitions
    UNION ALL SELECT 'spikes', count(*) FROM ritual.spikes
    UNION ALL SELECT 'data_quality', count(*) FROM ritual.data_quality;
END
$fn$;
COMMENT ON FUNCTION ritual.build_reports(text, text, timestamp, interval, double precision, double precision) IS
  'rebuild every reporting table from a raw events relation and a raw profiles relation';

/* Whether a relation has all the named columns. */
CREATE FUNCTION ritual.has_columns(rel regclass, names text[])
RETURNS boolean
LANGUAGE sql STABLE
AS $$
    SELECT count(*) = cardinality(names)
      FROM pg_catalog.pg_attribute
     WHERE attrelid = rel AND attname = ANY (names) AND attnum > 0 AND NOT attisdropped
$$;
COMMENT ON FUNCTION ritual.has_columns(regclass, text[]) IS 'internal: whether a relation has all the named columns';

/* Raise a clear error when a relation lacks a column the reports need. */
CREATE FUNCTION ritual.require_columns(rel regclass, names text[])
RETURNS void
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    missing text;
BEGIN
    SELECT string_agg(n, ', ') INTO missing
      FROM unnest(names) AS n
     WHERE NOT ritual.has_columns(rel, ARRAY[n]);
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'relation % has no column %', rel, missing
              USING ERRCODE = 'undefined_column',
                    HINT = format('The reports need columns %s.', array_to_string(names, ', '));
    END IF;
END
$$;
COMMENT ON FUNCTION ritual.require_columns(regclass, text[]) IS 'internal: error unless a relation has the named columns';

/*
 * ritual.create_raw_tables: foreign tables ritual.raw_events and
 * ritual.raw_profiles over raw export files (paths, directories or globs),
 * through a ritual_fdw server, as build_reports reads them by default.
 */
CREATE FUNCTION ritual.create_raw_tables(events_path text, profiles_path text,
                                         server name DEFAULT 'ritual_raw_files')
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_foreign_server WHERE srvname = server) THEN
        EXECUTE format('CREATE SERVER %I FOREIGN DATA WRAPPER ritual_fdw', server);
    END IF;
    EXECUTE format($q$
        CREATE FOREIGN TABLE ritual.raw_events (
            user_id     bigint,
            event_type  text,
            event_date  timestamp,
            source_file text   OPTIONS (meta 'filename'),
            source_line bigint OPTIONS (meta 'line'),
            errors      text   OPTIONS (meta 'errors'))
        SERVER %I OPTIONS (path %L, header 'true', on_error 'null')$q$,
        server, events_path);
    EXECUTE format($q$
        CREATE FOREIGN TABLE ritual.raw_profiles (
            user_id     bigint,
            signup_date date,
            country     text,
            platform    text,
            source_file text   OPTIONS (meta 'filename'),
            source_line bigint OPTIONS (meta 'line'),
            errors      text   OPTIONS (meta 'errors'))
        SERVER %I OPTIONS (path %L, header 'true', on_error 'null')$q$,
        server, profiles_path);
END
$fn$;
COMMENT ON FUNCTION ritual.create_raw_tables(text, text, name) IS
  'create foreign tables ritual.raw_events and ritual.raw_profiles over raw export files';
