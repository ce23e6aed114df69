/*
 * src/sql/tables/reporting.sql: the reporting layer's tables.  Stable names
 * and plain column types (what Looker Studio's PostgreSQL connector and
 * psql read), filled by ritual.build_reports() (src/sql/code/reporting.sql)
 * from a raw events relation and a raw profiles relation.
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
)
-- room on each page for a refresh to rewrite an event whose next or
-- previous type or session changes without an index entry (a HOT update)
WITH (fillfactor = 90);
CREATE INDEX ON ritual.enriched_events (user_id, event_date, event_id);
CREATE INDEX ON ritual.enriched_events (event_day);
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
COMMENT ON COLUMN ritual.enriched_events.flag_names IS 'the flags as names, comma-separated; empty when clean';
COMMENT ON COLUMN ritual.enriched_events.source_file IS 'the raw file the event came from';
COMMENT ON COLUMN ritual.enriched_events.source_line IS 'the line of the raw file where the event''s record starts';

-- The events with no flag, what every metric is computed over, are the
-- view ritual.clean_events (src/sql/code/reporting.sql).

CREATE TABLE ritual.sessions (
    user_id          bigint,
    session_number   bigint,
    session_start    timestamp NOT NULL,
    session_end      timestamp NOT NULL,
    duration_seconds double precision NOT NULL,
    events           integer NOT NULL,
    path             text NOT NULL,
    PRIMARY KEY (user_id, session_number)
);
CREATE INDEX ON ritual.sessions (session_start);
COMMENT ON TABLE ritual.sessions IS
  'Sessions: a user''s clean events with no gap longer than 30 minutes (by default).';
COMMENT ON COLUMN ritual.sessions.duration_seconds IS 'session_end - session_start, in seconds';
COMMENT ON COLUMN ritual.sessions.events IS 'clean events in the session';
COMMENT ON COLUMN ritual.sessions.path IS 'the session''s first three clean event types, in order, joined by '' > '' (fewer in a shorter session)';

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
COMMENT ON COLUMN ritual.spikes.series IS '''events'' (clean events), ''dau'', or ''events:'' and an event type';
COMMENT ON COLUMN ritual.spikes.value IS 'the series'' value that day';
COMMENT ON COLUMN ritual.spikes.expected IS 'median of the same weekday over the previous 4 weeks';
COMMENT ON COLUMN ritual.spikes.kind IS '''spike'' or ''drop_off''';

CREATE TABLE ritual.spike_coverage (
    series    text PRIMARY KEY,
    days      integer NOT NULL,
    judged    integer NOT NULL,
    too_young integer NOT NULL,
    spikes    integer NOT NULL,
    drop_offs integer NOT NULL
);

CREATE TABLE ritual.data_quality (
    kind        text NOT NULL,
    flag_bit    integer NOT NULL,
    scope       text NOT NULL,
    source_file text,
    day         date,
    rows        bigint NOT NULL,
    event_type  text
);
CREATE INDEX ON ritual.data_quality (scope, kind);

CREATE TABLE ritual.report_builds (
    built_at          timestamp NOT NULL,
    events_relation   text NOT NULL,
    profiles_relation text NOT NULL,
    reference_time    timestamp NOT NULL,
    session_gap_seconds double precision NOT NULL,
    raw_events        bigint NOT NULL,
    clean_events      bigint NOT NULL,
    users             bigint NOT NULL,
    seconds           double precision NOT NULL,
    kind              text NOT NULL,
    new_events        bigint NOT NULL,
    new_profiles      bigint NOT NULL,
    recomputed_events bigint NOT NULL
);
COMMENT ON TABLE ritual.report_builds IS 'One row per build of the reporting layer.';
COMMENT ON COLUMN ritual.report_builds.kind IS '''full'' (every table emptied and refilled) or ''incremental'' (refresh_reports touched only what the new rows affect)';
COMMENT ON COLUMN ritual.report_builds.new_events IS 'raw event rows read as new (all of them in a full build)';
COMMENT ON COLUMN ritual.report_builds.new_profiles IS 'raw profile rows read as new (all of them in a full build)';
COMMENT ON COLUMN ritual.report_builds.recomputed_events IS 'events included before that the build wrote again (new flags, event_id, previous or next type, or session); 0 in a full build';

/*
 * What refresh_reports keeps between builds.  None of it is a report (none
 * is granted to report readers); all of it is emptied with the reports.
 */

-- Which raw rows are already in the reports: append-only files, so a line
-- number per file says it.
CREATE TABLE ritual.refresh_watermarks (
    relation    text NOT NULL,
    source_file text NOT NULL,
    max_line    bigint NOT NULL,
    PRIMARY KEY (relation, source_file)
);
COMMENT ON TABLE ritual.refresh_watermarks IS
  'Internal to refresh_reports, not a report: per raw relation and file, the last line already in the reports; rows of a file above it, or of a file not listed, are new.';
COMMENT ON COLUMN ritual.refresh_watermarks.relation IS 'the raw events or profiles relation, schema-qualified';
COMMENT ON COLUMN ritual.refresh_watermarks.source_file IS 'a raw file (source_file of its rows)';
COMMENT ON COLUMN ritual.refresh_watermarks.max_line IS 'the largest source_line of the file already in the reports';

-- The settings of the last build: a refresh with other ones rebuilds.
CREATE TABLE ritual.refresh_state (
    events_relation     text NOT NULL,
    profiles_relation   text NOT NULL,
    reference_time      timestamp NOT NULL,
    session_gap_seconds double precision NOT NULL,
    event_types_digest  text NOT NULL,
    event_rows          bigint,
    clean_rows          bigint,
    spike_threshold     double precision,
    session_rows        bigint
);
COMMENT ON TABLE ritual.refresh_state IS
  'Internal to refresh_reports, not a report: one row, the settings of the last build when it read relations with provenance; no row when there is nothing to refresh.';
COMMENT ON COLUMN ritual.refresh_state.events_relation IS 'the raw events relation, schema-qualified';
COMMENT ON COLUMN ritual.refresh_state.profiles_relation IS 'the raw profiles relation, schema-qualified';
COMMENT ON COLUMN ritual.refresh_state.reference_time IS 'the time future_event compared with';
COMMENT ON COLUMN ritual.refresh_state.session_gap_seconds IS 'the session gap, in seconds';
COMMENT ON COLUMN ritual.refresh_state.event_types_digest IS 'md5 of the event_types catalogue the flags were computed with';
COMMENT ON COLUMN ritual.refresh_state.event_rows IS 'rows of enriched_events after the last build, which the next refresh moves by difference; NULL when not kept';
COMMENT ON COLUMN ritual.refresh_state.clean_rows IS 'rows of clean_events after the last build, as event_rows';
COMMENT ON COLUMN ritual.refresh_state.spike_threshold IS 'the threshold the spikes were judged with; a refresh with another judges every day again';
COMMENT ON COLUMN ritual.refresh_state.session_rows IS 'rows of sessions after the last build, as event_rows';

-- Days and weeks with a clean event per user: what DAU, WAU, MAU and
-- retention count, small enough to read whole or by range.
CREATE TABLE ritual.user_days (
    user_id bigint,
    day     date,
    events  bigint NOT NULL,
    PRIMARY KEY (user_id, day)
);
CREATE INDEX ON ritual.user_days (day);
COMMENT ON TABLE ritual.user_days IS
  'Internal to the reporting layer, not a report: clean events per user and day (the rows of clean_events grouped), kept up to date by refresh_reports.';
COMMENT ON COLUMN ritual.user_days.user_id IS 'a user with a clean event that day';
COMMENT ON COLUMN ritual.user_days.day IS 'event_day of the clean events';
COMMENT ON COLUMN ritual.user_days.events IS 'clean events of the user that day, at least 1';

CREATE TABLE ritual.user_weeks (
    user_id     bigint,
    week_number integer,
    PRIMARY KEY (user_id, week_number)
);
COMMENT ON TABLE ritual.user_weeks IS
  'Internal to the reporting layer, not a report: the weeks since signup in which a user has a clean event, what retention counts.';
COMMENT ON COLUMN ritual.user_weeks.user_id IS 'a user with a clean event in that week';
COMMENT ON COLUMN ritual.user_weeks.week_number IS 'week_number_since_signup of a clean event of the user';


-- What the lifecycle and stickiness reports count (the views
-- weekly_lifecycle, weekly_stickiness and monthly_stickiness read it),
-- kept up to date by the builds' passes over the events.
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

/*
 * The data-quality drill-down lists the flagged events of Looker's date
 * range in event order: a small index (flagged rows only) serves it.
 */
CREATE INDEX enriched_events_flagged_day_idx ON ritual.enriched_events (event_day, event_id)
 WHERE flags <> 0;
