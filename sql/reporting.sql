--
-- reporting: the reporting layer built from raw files equals the
-- generator's ground truth, and every table equals a plain-SQL reference
-- written from docs/metrics.md
--
\getenv datadir RITUAL_TESTDATA
\set sample :datadir '/sample'
\set sample_events :sample '/user_events.csv'
\set sample_profiles :sample '/user_profiles.csv'
\set sample_manifest :sample '/manifest.json'
\set spikes :datadir '/spikes'
\set spikes_events :spikes '/user_events.csv'
\set spikes_profiles :spikes '/user_profiles.csv'
\set spikes_manifest :spikes '/manifest.json'
\set segments :datadir '/segments'
\set segments_events :segments '/user_events.csv'
\set segments_profiles :segments '/user_profiles.csv'
\set segments_manifest :segments '/manifest.json'
SET client_min_messages = warning;

-- the reporting tables and columns Looker Studio reads have plain types
SELECT c.table_name, c.column_name, c.data_type
  FROM information_schema.columns c
 WHERE c.table_schema = 'ritual'
   AND format('%I.%I', c.table_schema, c.table_name)::regclass IN (SELECT ritual.report_tables())
   AND c.data_type NOT IN ('text', 'integer', 'bigint', 'double precision',
                           'date', 'timestamp without time zone')
   AND c.table_name IN (SELECT table_name FROM information_schema.tables
                         WHERE table_schema = 'ritual' AND table_type = 'BASE TABLE');
-- and every one of them says what it holds
SELECT c.relname FROM pg_class c
 WHERE c.relnamespace = 'ritual'::regnamespace AND c.relkind = 'r'
   AND obj_description(c.oid, 'pg_class') IS NULL;

-- build from the committed sample, at the manifest's reference time
SELECT ritual.create_raw_tables(:'sample_events', :'sample_profiles');
SELECT pg_read_file(:'sample_manifest')::jsonb AS manifest \gset
SELECT * FROM ritual.build_reports(
  reference_time => (:'manifest'::jsonb ->> 'reference_time')::timestamp);

-- ground truth: the rows of every anomaly kind equal the manifest's counts
SELECT q.kind, q.rows, (:'manifest'::jsonb -> 'anomalies' ->> q.kind)::bigint AS manifest,
       q.rows = (:'manifest'::jsonb -> 'anomalies' ->> q.kind)::bigint AS equal
  FROM ritual.data_quality q WHERE q.scope = 'total' ORDER BY q.flag_bit;
SELECT count(*) AS clean_events,
       count(*) = (:'manifest'::jsonb ->> 'clean_events')::bigint AS equal
  FROM ritual.clean_events;
-- by file, by day and (unknown types) by type, the counts add up to the totals
SELECT kind, scope, sum(rows) AS rows FROM ritual.data_quality
 WHERE scope <> 'total' GROUP BY kind, scope
EXCEPT
SELECT kind, s.scope, rows
  FROM ritual.data_quality, (VALUES ('file'), ('day'), ('event_type')) s(scope)
 WHERE data_quality.scope = 'total' AND rows > 0
   AND (s.scope <> 'event_type' OR kind = 'unknown_event_type');
-- every unknown type, with its rows
SELECT event_type, rows FROM ritual.data_quality
 WHERE scope = 'event_type' ORDER BY rows DESC, event_type;

--
-- references, from docs/metrics.md and the raw tables only
--
CREATE TEMP TABLE ref_events AS
SELECT row_number() OVER (ORDER BY source_file, source_line) AS event_id,
       user_id, nullif(lower(btrim(event_type)), '') AS event_type, event_date,
       source_file, source_line
  FROM ritual.raw_events;
CREATE TEMP TABLE ref_users AS
SELECT user_id, min(signup_date) AS signup_date
  FROM ritual.raw_profiles WHERE user_id IS NOT NULL GROUP BY user_id;

-- flags, one rule of the table at a time
CREATE TEMP TABLE ref_flags AS
SELECT e.*, u.signup_date,
       CASE WHEN e.user_id IS NULL THEN 1 ELSE 0 END
     | CASE WHEN e.event_type IS NULL THEN 2 ELSE 0 END
     | CASE WHEN e.event_date IS NULL THEN 4 ELSE 0 END
     | CASE WHEN e.event_type IS NOT NULL
             AND e.event_type NOT IN (SELECT event_type FROM ritual.event_types) THEN 8 ELSE 0 END
     | CASE WHEN e.user_id IS NOT NULL AND u.signup_date IS NULL THEN 16 ELSE 0 END
     | CASE WHEN e.event_date::date < u.signup_date THEN 32 ELSE 0 END
     | CASE WHEN e.event_date > (:'manifest'::jsonb ->> 'reference_time')::timestamp THEN 64 ELSE 0 END
     | CASE WHEN e.event_id > min(e.event_id) OVER (PARTITION BY e.user_id, e.event_type, e.event_date)
             AND e.user_id IS NOT NULL AND e.event_type IS NOT NULL AND e.event_date IS NOT NULL
            THEN 128 ELSE 0 END AS flags
  FROM ref_events e LEFT JOIN ref_users u ON u.user_id = e.user_id;
SELECT count(*) AS flag_differences FROM (
  (SELECT event_id, flags, source_line FROM ref_flags
   EXCEPT ALL SELECT event_id, flags, source_line FROM ritual.enriched_events)
  UNION ALL
  (SELECT event_id, flags, source_line FROM ritual.enriched_events
   EXCEPT ALL SELECT event_id, flags, source_line FROM ref_flags)) d;

-- week numbers: Sunday-start week boundaries crossed, plus one
SELECT count(*) AS week_differences
  FROM ritual.enriched_events e JOIN ref_flags r USING (event_id)
 WHERE e.week_number_since_signup IS DISTINCT FROM
       ((r.event_date::date - extract(dow FROM r.event_date)::int)
        - (r.signup_date - extract(dow FROM r.signup_date)::int)) / 7 + 1;

-- previous and next type, and sessions, over clean events only
CREATE TEMP TABLE ref_clean AS
SELECT event_id, user_id, event_type, event_date,
       lag(event_type) OVER w AS prev_event_type,
       lead(event_type) OVER w AS next_event_type,
       CASE WHEN lag(event_date) OVER w IS NULL
              OR event_date - lag(event_date) OVER w > interval '30 minutes'
            THEN 1 ELSE 0 END AS starts_session
  FROM ref_flags WHERE flags = 0
WINDOW w AS (PARTITION BY user_id ORDER BY event_date, source_file, source_line);
ALTER TABLE ref_clean ADD COLUMN session_number bigint;
UPDATE ref_clean r SET session_number = s.n
  FROM (SELECT event_id, sum(starts_session) OVER (PARTITION BY user_id ORDER BY event_date, event_id) AS n
          FROM ref_clean) s
 WHERE s.event_id = r.event_id;
SELECT count(*) AS clean_differences FROM (
  (SELECT event_id, prev_event_type, next_event_type, session_number FROM ref_clean
   EXCEPT ALL
   SELECT event_id, prev_event_type, next_event_type, session_number FROM ritual.clean_events)
  UNION ALL
  (SELECT event_id, prev_event_type, next_event_type, session_number FROM ritual.clean_events
   EXCEPT ALL
   SELECT event_id, prev_event_type, next_event_type, session_number FROM ref_clean)) d;
SELECT count(*) AS flagged_with_clean_columns FROM ritual.enriched_events
 WHERE flags <> 0 AND (prev_event_type IS NOT NULL OR next_event_type IS NOT NULL
                       OR session_number IS NOT NULL);

-- sessions
SELECT count(*) AS session_differences FROM (
  (SELECT user_id, session_number, min(event_date), max(event_date), count(*)::int
     FROM ref_clean GROUP BY 1, 2
   EXCEPT ALL
   SELECT user_id, session_number, session_start, session_end, events FROM ritual.sessions)
  UNION ALL
  (SELECT user_id, session_number, session_start, session_end, events FROM ritual.sessions
   EXCEPT ALL
   SELECT user_id, session_number, min(event_date), max(event_date), count(*)::int
     FROM ref_clean GROUP BY 1, 2)) d;

-- activity: DAU, WAU and MAU over the days between the first and last with
-- a clean event or a signup (up to the reference day)
CREATE TEMP TABLE ref_days AS
SELECT min(day) AS first_day, max(day) AS last_day
  FROM (SELECT event_date::date AS day FROM ref_clean
        UNION ALL
        SELECT signup_date FROM ref_users
         WHERE signup_date <= (:'manifest'::jsonb ->> 'reference_time')::timestamp::date) d;
CREATE TEMP TABLE ref_activity AS
SELECT d::date AS day,
       (SELECT count(DISTINCT user_id) FROM ref_clean c WHERE c.event_date::date = d::date) AS dau,
       (SELECT count(DISTINCT user_id) FROM ref_clean c
         WHERE c.event_date::date > d::date - 7 AND c.event_date::date <= d::date) AS wau,
       (SELECT count(DISTINCT user_id) FROM ref_clean c
         WHERE c.event_date::date > d::date - 30 AND c.event_date::date <= d::date) AS mau,
       (SELECT count(*) FROM ref_users u WHERE u.signup_date = d::date) AS new_users,
       (SELECT count(*) FROM ref_clean c WHERE c.event_date::date = d::date) AS events
  FROM generate_series((SELECT first_day FROM ref_days),
                       (SELECT last_day FROM ref_days), interval '1 day') AS d;
SELECT count(*) AS activity_differences FROM (
  (SELECT day, dau, wau, mau, new_users, events FROM ref_activity
   EXCEPT ALL SELECT day, dau, wau, mau, new_users, events FROM ritual.daily_activity)
  UNION ALL
  (SELECT day, dau, wau, mau, new_users, events FROM ritual.daily_activity
   EXCEPT ALL SELECT day, dau, wau, mau, new_users, events FROM ref_activity)) d;
SELECT count(*) AS stickiness_differences FROM ritual.daily_activity
 WHERE abs(stickiness - dau::float8 / mau) > 1e-12;

-- retention: every member of a cohort shares the same calendar weeks
CREATE TEMP TABLE ref_members AS
SELECT u.user_id, u.signup_date - extract(dow FROM u.signup_date)::int AS cohort
  FROM ref_users u WHERE u.signup_date IS NOT NULL;
CREATE TEMP TABLE ref_retention AS
WITH last AS (SELECT max(event_date)::date AS last_day FROM ref_clean),
cells AS (
  SELECT m.cohort, n, count(*) AS cohort_size
    FROM ref_members m, last, generate_series(1, (last.last_day - m.cohort) / 7 + 1) AS n
   GROUP BY m.cohort, n)
SELECT c.cohort, c.n, c.cohort_size,
       (SELECT count(DISTINCT m.user_id) FROM ref_members m JOIN ref_clean e USING (user_id)
         WHERE m.cohort = c.cohort
           AND e.event_date::date BETWEEN c.cohort + 7 * (c.n - 1) AND c.cohort + 7 * c.n - 1) AS retained_on,
       (SELECT count(DISTINCT m.user_id) FROM ref_members m JOIN ref_clean e USING (user_id)
         WHERE m.cohort = c.cohort AND e.event_date::date >= c.cohort + 7 * (c.n - 1)) AS retained_on_or_after,
       CASE WHEN c.cohort + 7 * c.n - 1 <= (SELECT last_day FROM last)
            THEN 'complete' ELSE 'incomplete' END AS cell_status
  FROM cells c;
SELECT count(*) AS retention_differences FROM (
  (SELECT * FROM ref_retention
   EXCEPT ALL
   SELECT cohort_week, week_number, cohort_size, retained_on, retained_on_or_after, cell_status
     FROM ritual.retention_cohorts)
  UNION ALL
  (SELECT cohort_week, week_number, cohort_size, retained_on, retained_on_or_after, cell_status
     FROM ritual.retention_cohorts
   EXCEPT ALL
   SELECT * FROM ref_retention)) d;
SELECT week_number, sum(retained_on) AS retained, sum(cohort_size) AS of_users
  FROM ritual.retention_cohorts WHERE week_number IN (1, 4) AND cell_status = 'complete'
 GROUP BY week_number ORDER BY week_number;

-- transitions
SELECT count(*) AS transition_differences FROM (
  (SELECT prev_event_type, event_type, count(*) FROM ref_clean
    WHERE prev_event_type IS NOT NULL GROUP BY 1, 2
   EXCEPT ALL SELECT * FROM ritual.event_transitions)
  UNION ALL
  (SELECT * FROM ritual.event_transitions
   EXCEPT ALL
   SELECT prev_event_type, event_type, count(*) FROM ref_clean
    WHERE prev_event_type IS NOT NULL GROUP BY 1, 2)) d;

-- lifecycle, from its definition: each user active in a Sunday week is
-- new (no earlier active week), returning (active the week before) or
-- resurrecting (not the week before, but earlier); dormant users were
-- active the week before and not in this one
CREATE TEMP TABLE ref_user_weeks AS
SELECT DISTINCT user_id, event_date::date - extract(dow FROM event_date)::int AS week
  FROM ref_clean;
CREATE TEMP TABLE ref_lifecycle AS
SELECT w.week,
       (SELECT count(*) FROM ref_user_weeks a WHERE a.week = w.week) AS active_users,
       (SELECT count(*) FROM ref_user_weeks a WHERE a.week = w.week
           AND NOT EXISTS (SELECT FROM ref_user_weeks b
                            WHERE b.user_id = a.user_id AND b.week < a.week)) AS new_users,
       (SELECT count(*) FROM ref_user_weeks a WHERE a.week = w.week
           AND EXISTS (SELECT FROM ref_user_weeks b
                        WHERE b.user_id = a.user_id AND b.week = a.week - 7)) AS returning_users,
       (SELECT count(*) FROM ref_user_weeks a WHERE a.week = w.week
           AND NOT EXISTS (SELECT FROM ref_user_weeks b
                            WHERE b.user_id = a.user_id AND b.week = a.week - 7)
           AND EXISTS (SELECT FROM ref_user_weeks b
                        WHERE b.user_id = a.user_id AND b.week < a.week - 7)) AS resurrecting_users,
       -(SELECT count(*) FROM ref_user_weeks b WHERE b.week = w.week - 7
            AND NOT EXISTS (SELECT FROM ref_user_weeks a
                             WHERE a.user_id = b.user_id AND a.week = w.week)) AS dormant_users
  FROM (SELECT generate_series(min(week), max(week), interval '7 days')::date AS week
          FROM ref_user_weeks) w;
SELECT count(*) AS lifecycle_differences FROM (
  (SELECT * FROM ref_lifecycle
   EXCEPT ALL
   SELECT week, active_users, new_users, returning_users, resurrecting_users, dormant_users
     FROM ritual.weekly_lifecycle)
  UNION ALL
  (SELECT week, active_users, new_users, returning_users, resurrecting_users, dormant_users
     FROM ritual.weekly_lifecycle
   EXCEPT ALL
   SELECT * FROM ref_lifecycle)) d;
-- new + returning + resurrecting is the week's active users; the first
-- week has only new users
SELECT count(*) AS weeks,
       count(*) FILTER (WHERE new_users + returning_users + resurrecting_users <> active_users)
           AS not_adding_up,
       sum(new_users) = (SELECT count(DISTINCT user_id) FROM ref_clean) AS each_user_new_once
  FROM ritual.weekly_lifecycle;
SELECT week, active_users, new_users, returning_users, resurrecting_users, dormant_users,
       week_status
  FROM ritual.weekly_lifecycle
 WHERE week IN ((SELECT min(week) FROM ritual.weekly_lifecycle),
                (SELECT max(week) FROM ritual.weekly_lifecycle))
 ORDER BY week;

-- stickiness, from its definition: users active on exactly k days of the
-- week (month), every k listed, zeros included
CREATE TEMP TABLE ref_stickiness AS
WITH per_user AS (
    SELECT user_id, event_date::date - extract(dow FROM event_date)::int AS week,
           count(DISTINCT event_date::date) AS k
      FROM ref_clean GROUP BY 1, 2
)
SELECT w.week, k, (SELECT count(*) FROM per_user p WHERE p.week = w.week AND p.k = k.k) AS users
  FROM (SELECT DISTINCT week FROM ref_user_weeks) w, generate_series(1, 7) AS k;
SELECT count(*) AS weekly_stickiness_differences FROM (
  (SELECT * FROM ref_stickiness
   EXCEPT ALL SELECT week, days_active, users FROM ritual.weekly_stickiness)
  UNION ALL
  (SELECT week, days_active, users FROM ritual.weekly_stickiness
   EXCEPT ALL SELECT * FROM ref_stickiness)) d;
CREATE TEMP TABLE ref_monthly_stickiness AS
WITH per_user AS (
    SELECT user_id, date_trunc('month', event_date)::date AS month,
           count(DISTINCT event_date::date) AS k
      FROM ref_clean GROUP BY 1, 2
)
SELECT m.month, k, (SELECT count(*) FROM per_user p WHERE p.month = m.month AND p.k = k.k) AS users
  FROM (SELECT DISTINCT month FROM per_user) m, generate_series(1, 31) AS k;
SELECT count(*) AS monthly_stickiness_differences FROM (
  (SELECT * FROM ref_monthly_stickiness
   EXCEPT ALL SELECT month, days_active, users FROM ritual.monthly_stickiness)
  UNION ALL
  (SELECT month, days_active, users FROM ritual.monthly_stickiness
   EXCEPT ALL SELECT * FROM ref_monthly_stickiness)) d;
-- over k, a week's (month's) users are its active users, and the shares add up to 1
SELECT count(*) AS weeks,
       count(*) FILTER (WHERE s.users <> l.active_users) AS not_adding_up,
       count(*) FILTER (WHERE abs(s.pct - 1) > 1e-12) AS shares_not_adding_up
  FROM (SELECT week, sum(users) AS users, sum(pct_of_active) AS pct
          FROM ritual.weekly_stickiness GROUP BY week) s
  JOIN ritual.weekly_lifecycle l USING (week);
SELECT count(*) AS months,
       count(*) FILTER (WHERE s.users <> (SELECT count(DISTINCT user_id) FROM ref_clean c
                                          WHERE date_trunc('month', c.event_date) = s.month))
           AS not_adding_up
  FROM (SELECT month, sum(users) AS users FROM ritual.monthly_stickiness GROUP BY month) s;

-- session paths, from their definition: a session's first three clean
-- types in order (ties by provenance), repeats kept; per path its sessions,
-- its distinct users, its share of all sessions
CREATE TEMP TABLE ref_paths AS
WITH per_session AS (
    SELECT user_id, session_number,
           string_agg(event_type, ' > ' ORDER BY event_date, event_id) AS path
      FROM (SELECT c.*, row_number() OVER (PARTITION BY user_id, session_number
                                           ORDER BY event_date, event_id) AS n
              FROM ref_clean c) e
     WHERE n <= 3 GROUP BY 1, 2
)
SELECT path, count(*) AS sessions, count(DISTINCT user_id) AS users,
       count(*)::float8 / sum(count(*)) OVER () AS share
  FROM per_session GROUP BY path;
SELECT count(*) AS paths,
       count(*) FILTER (WHERE p.path IS NULL OR r.path IS NULL OR p.sessions <> r.sessions
                          OR p.users <> r.users OR abs(p.share - r.share) > 1e-12
                          OR p.path <> concat_ws(' > ', p.step_1, p.step_2, p.step_3))
           AS path_differences,
       sum(p.sessions) = (SELECT count(*) FROM ritual.sessions) AS every_session
  FROM ritual.session_paths p FULL JOIN ref_paths r USING (path);
SELECT path, sessions, users, round(share::numeric, 3) AS share
  FROM ritual.session_paths ORDER BY sessions DESC, path LIMIT 3;

-- breakdowns, from their definition: a user's country and platform are
-- those of their profile row with the earliest valid signup (ties: the
-- first by file and line), an empty value missing (NULL); per day and
-- segment DAU, WAU, MAU and new users as for the totals, a row for each
-- day with one of them; per segment with a cohort member, every cell of
-- the totals' retention
CREATE TEMP TABLE ref_user_segments AS
WITH first_row AS (
    SELECT DISTINCT ON (user_id) user_id, country, platform
      FROM ritual.raw_profiles WHERE user_id IS NOT NULL
     ORDER BY user_id, CASE WHEN isfinite(signup_date) THEN signup_date END NULLS LAST,
              source_file, source_line
)
SELECT u.user_id, a.attribute,
       nullif(CASE a.attribute WHEN 'country' THEN f.country ELSE f.platform END, '') AS segment
  FROM (SELECT user_id FROM ref_clean UNION SELECT user_id FROM ref_users) u
 CROSS JOIN (VALUES ('country'), ('platform')) AS a(attribute)
  LEFT JOIN first_row f USING (user_id);
CREATE TEMP TABLE ref_segment_activity AS
WITH active AS (
    SELECT DISTINCT user_id, event_date::date AS day FROM ref_clean
), days AS (
    SELECT d::date AS day
      FROM generate_series((SELECT first_day FROM ref_days), (SELECT last_day FROM ref_days),
                           interval '1 day') AS d
), counts AS (
    SELECT s.attribute, s.segment, d.day,
           count(DISTINCT a.user_id) FILTER (WHERE a.day = d.day) AS dau,
           count(DISTINCT a.user_id) FILTER (WHERE a.day > d.day - 7) AS wau,
           count(DISTINCT a.user_id) AS mau, 0 AS new_users
      FROM days d
      JOIN active a ON a.day > d.day - 30 AND a.day <= d.day
      JOIN ref_user_segments s ON s.user_id = a.user_id
     GROUP BY 1, 2, 3
    UNION ALL
    SELECT s.attribute, s.segment, u.signup_date, 0, 0, 0, count(*)
      FROM ref_users u
      JOIN ref_user_segments s USING (user_id)
      JOIN days d ON d.day = u.signup_date
     GROUP BY 1, 2, 3
)
SELECT attribute, segment, day, sum(dau) AS dau, sum(wau) AS wau, sum(mau) AS mau,
       sum(new_users) AS new_users
  FROM counts GROUP BY 1, 2, 3;
SELECT count(*) AS segment_days,
       (SELECT count(*) FROM (
          (SELECT attribute, segment, day, dau, wau, mau, new_users FROM ref_segment_activity
           EXCEPT ALL
           SELECT attribute, segment, day, dau, wau, mau, new_users FROM ritual.daily_activity_by_segment)
          UNION ALL
          (SELECT attribute, segment, day, dau, wau, mau, new_users FROM ritual.daily_activity_by_segment
           EXCEPT ALL
           SELECT attribute, segment, day, dau, wau, mau, new_users FROM ref_segment_activity)) d)
           AS segment_activity_differences,
       count(*) FILTER (WHERE stickiness IS DISTINCT FROM dau::float8 / nullif(mau, 0))
           AS stickiness_differences
  FROM ritual.daily_activity_by_segment;
CREATE TEMP TABLE ref_segment_retention AS
WITH members AS (
    SELECT m.user_id, m.cohort, s.attribute, s.segment
      FROM ref_members m JOIN ref_user_segments s USING (user_id)
), weeks AS (
    SELECT DISTINCT m.attribute, m.segment, m.cohort, m.user_id,
           (e.event_date::date - m.cohort) / 7 + 1 AS n
      FROM members m JOIN ref_clean e USING (user_id)
), cells AS (
    SELECT g.attribute, g.segment, r.cohort, r.n, r.cell_status
      FROM (SELECT DISTINCT attribute, segment FROM members) g CROSS JOIN ref_retention r
)
SELECT c.attribute, c.segment, c.cohort, c.n,
       (SELECT count(*) FROM members m
         WHERE m.attribute = c.attribute AND m.segment IS NOT DISTINCT FROM c.segment
           AND m.cohort = c.cohort) AS cohort_size,
       (SELECT count(*) FROM weeks w
         WHERE w.attribute = c.attribute AND w.segment IS NOT DISTINCT FROM c.segment
           AND w.cohort = c.cohort AND w.n = c.n) AS retained_on,
       (SELECT count(DISTINCT w.user_id) FROM weeks w
         WHERE w.attribute = c.attribute AND w.segment IS NOT DISTINCT FROM c.segment
           AND w.cohort = c.cohort AND w.n >= c.n) AS retained_on_or_after,
       c.cell_status
  FROM cells c;
SELECT count(*) AS segment_cells,
       (SELECT count(*) FROM (
          (SELECT * FROM ref_segment_retention
           EXCEPT ALL
           SELECT attribute, segment, cohort_week, week_number, cohort_size, retained_on,
                  retained_on_or_after, cell_status
             FROM ritual.retention_by_segment)
          UNION ALL
          (SELECT attribute, segment, cohort_week, week_number, cohort_size, retained_on,
                  retained_on_or_after, cell_status
             FROM ritual.retention_by_segment
           EXCEPT ALL
           SELECT * FROM ref_segment_retention)) d) AS segment_retention_differences,
       count(*) FILTER (WHERE pct_on IS DISTINCT FROM retained_on::float8 / nullif(cohort_size, 0)
                           OR pct_on_or_after IS DISTINCT FROM
                              retained_on_or_after::float8 / nullif(cohort_size, 0))
           AS pct_differences
  FROM ritual.retention_by_segment;
-- segments sum to the totals, day by day and cell by cell, per attribute,
-- and each segment has exactly the totals' retention cells
SELECT a.attribute,
       count(*) FILTER (WHERE (coalesce(s.dau, 0), coalesce(s.wau, 0), coalesce(s.mau, 0),
                               coalesce(s.new_users, 0)) <> (d.dau, d.wau, d.mau, d.new_users))
           AS days_not_adding_up
  FROM ritual.daily_activity d
 CROSS JOIN ritual.breakdown_attributes a
  LEFT JOIN (SELECT attribute, day, sum(dau) AS dau, sum(wau) AS wau, sum(mau) AS mau,
                    sum(new_users) AS new_users
               FROM ritual.daily_activity_by_segment GROUP BY 1, 2) s
    ON s.attribute = a.attribute AND s.day = d.day
 GROUP BY a.attribute ORDER BY a.attribute;
SELECT a.attribute,
       count(*) FILTER (WHERE (coalesce(s.cohort_size, 0), coalesce(s.retained_on, 0),
                               coalesce(s.retained_on_or_after, 0))
                              <> (r.cohort_size, r.retained_on, r.retained_on_or_after))
           AS cells_not_adding_up
  FROM ritual.retention_cohorts r
 CROSS JOIN ritual.breakdown_attributes a
  LEFT JOIN (SELECT attribute, cohort_week, week_number, sum(cohort_size) AS cohort_size,
                    sum(retained_on) AS retained_on, sum(retained_on_or_after) AS retained_on_or_after
               FROM ritual.retention_by_segment GROUP BY 1, 2, 3) s
    ON s.attribute = a.attribute AND (s.cohort_week, s.week_number) = (r.cohort_week, r.week_number)
 GROUP BY a.attribute ORDER BY a.attribute;
SELECT attribute, count(*) AS segments,
       bool_and(cells = (SELECT count(*) FROM ritual.retention_cohorts)) AS each_has_every_cell
  FROM (SELECT attribute, segment, count(*) AS cells
          FROM ritual.retention_by_segment GROUP BY 1, 2) g
 GROUP BY attribute ORDER BY attribute;
-- per platform: its users, its last day's MAU, its week-4 retention
SELECT b.segment AS platform, sum(b.cohort_size) FILTER (WHERE b.week_number = 1) AS users,
       (SELECT mau FROM ritual.daily_activity_by_segment d
         WHERE d.attribute = 'platform' AND d.segment IS NOT DISTINCT FROM b.segment
         ORDER BY day DESC LIMIT 1) AS last_mau,
       round(sum(b.retained_on) FILTER (WHERE b.week_number = 4 AND b.cell_status = 'complete')
             / sum(b.cohort_size) FILTER (WHERE b.week_number = 4 AND b.cell_status = 'complete'), 3)
           AS week_4_retention
  FROM ritual.retention_by_segment b WHERE b.attribute = 'platform'
 GROUP BY b.segment ORDER BY b.segment NULLS LAST;

-- funnels, from their definition: a user enters on their first clean
-- event of step 1; each next step is their first clean event of its type
-- after the step before (ties at one time: later provenance), no later
-- than the entry plus the window
CREATE TEMP TABLE ref_funnel_users AS
WITH RECURSIVE entry AS (
    SELECT DISTINCT ON (f.funnel, c.user_id) f.funnel, c.user_id, c.event_date AS t, c.event_id AS id
      FROM ritual.funnels f JOIN ref_clean c ON c.event_type = f.steps[1]
     ORDER BY f.funnel, c.user_id, c.event_date, c.event_id
), walk AS (
    SELECT funnel, user_id, 1 AS step, t AS entered_at, t, id FROM entry
    UNION ALL
    SELECT w.funnel, w.user_id, w.step + 1, w.entered_at, n.event_date, n.event_id
      FROM walk w JOIN ritual.funnels f ON f.funnel = w.funnel
     CROSS JOIN LATERAL (SELECT c.event_date, c.event_id FROM ref_clean c
                          WHERE c.user_id = w.user_id AND c.event_type = f.steps[w.step + 1]
                            AND (c.event_date, c.event_id) > (w.t, w.id)
                            AND c.event_date <= w.entered_at + f.conversion_window
                          ORDER BY c.event_date, c.event_id LIMIT 1) n
     WHERE w.step < cardinality(f.steps)
)
SELECT funnel, user_id, min(entered_at) AS entered_at, max(step) AS steps_reached,
       array_agg(t ORDER BY step) AS step_times, array_agg(id ORDER BY step) AS step_event_ids
  FROM walk GROUP BY 1, 2;
SELECT count(*) AS funnel_user_differences FROM (
  (SELECT funnel, user_id, entered_at, steps_reached, step_times, step_event_ids FROM ref_funnel_users
   EXCEPT ALL
   SELECT funnel, user_id, entered_at, steps_reached, step_times, step_event_ids FROM ritual.funnel_users)
  UNION ALL
  (SELECT funnel, user_id, entered_at, steps_reached, step_times, step_event_ids FROM ritual.funnel_users
   EXCEPT ALL
   SELECT funnel, user_id, entered_at, steps_reached, step_times, step_event_ids FROM ref_funnel_users)) d;
-- per entry cohort and step: users, shares, the median time from the step
-- before (percentile_cont), whether the cohort's windows all ended
CREATE TEMP TABLE ref_funnel_steps AS
WITH entrants AS (
    SELECT r.*, f.steps, f.conversion_window,
           r.entered_at::date - extract(dow FROM r.entered_at)::int AS cohort_week
      FROM ref_funnel_users r JOIN ritual.funnels f USING (funnel)
), cells AS (
    SELECT e.funnel, e.cohort_week, s AS step, e.steps[s] AS event_type, e.conversion_window,
           count(*) FILTER (WHERE e.steps_reached >= s) AS users,
           percentile_cont(0.5) WITHIN GROUP (
               ORDER BY extract(epoch FROM e.step_times[s] - e.step_times[s - 1])::float8)
               FILTER (WHERE s > 1 AND e.steps_reached >= s) AS median_seconds
      FROM entrants e, generate_series(1, cardinality(e.steps)) AS s
     GROUP BY 1, 2, 3, 4, 5
)
SELECT funnel, cohort_week, step, event_type, users,
       users::float8 / first_value(users) OVER w AS pct_of_first,
       CASE WHEN step > 1 THEN users::float8 / nullif(lag(users) OVER w, 0) END AS pct_of_previous,
       median_seconds,
       CASE WHEN cohort_week + 6 + conversion_window <= (SELECT max(event_date)::date FROM ref_clean)
            THEN 'complete' ELSE 'incomplete' END AS cohort_status
  FROM cells WINDOW w AS (PARTITION BY funnel, cohort_week ORDER BY step);
SELECT count(*) AS funnel_step_rows,
       count(*) FILTER (WHERE s.funnel IS NULL OR r.funnel IS NULL OR s.users <> r.users
                          OR s.event_type <> r.event_type OR s.cohort_status <> r.cohort_status
                          OR s.pct_of_first IS DISTINCT FROM r.pct_of_first
                          OR s.pct_of_previous IS DISTINCT FROM r.pct_of_previous
                          OR (s.median_seconds_from_previous IS NULL) <> (r.median_seconds IS NULL)
                          OR abs(s.median_seconds_from_previous - r.median_seconds) > 1e-9)
           AS funnel_step_differences
  FROM ritual.funnel_steps s FULL JOIN ref_funnel_steps r USING (funnel, cohort_week, step);
-- the counts never grow along the steps; step 1 is every entrant
SELECT count(*) FILTER (WHERE users > lag_users) AS growing_steps,
       count(*) FILTER (WHERE step = 1 AND pct_of_first <> 1) AS first_steps_not_whole,
       sum(users) FILTER (WHERE step = 1) = (SELECT count(*) FROM ritual.funnel_users) AS entrants
  FROM (SELECT *, lag(users) OVER (PARTITION BY funnel, cohort_week ORDER BY step) AS lag_users
          FROM ritual.funnel_steps) s;
SELECT step, event_type, sum(users) AS users,
       round(sum(users)::numeric / sum(sum(users)) FILTER (WHERE step = 1) OVER (), 3) AS of_entrants
  FROM ritual.funnel_steps WHERE funnel = 'activation' AND cohort_status = 'complete'
 GROUP BY step, event_type ORDER BY step;

-- building again gives the same tables
CREATE TEMP TABLE first_build AS SELECT * FROM ritual.enriched_events;
SELECT count(*) AS reports FROM ritual.build_reports(
  reference_time => (:'manifest'::jsonb ->> 'reference_time')::timestamp);
SELECT count(*) AS rebuild_differences FROM (
  (SELECT * FROM first_build EXCEPT ALL SELECT * FROM ritual.enriched_events)
  UNION ALL
  (SELECT * FROM ritual.enriched_events EXCEPT ALL SELECT * FROM first_build)) d;
-- and so do the same rows read in another order than by file and line
-- (event_id is then sorted, not taken from the order they were read in)
CREATE TABLE backwards_events AS
SELECT * FROM ritual.raw_events ORDER BY source_file DESC, source_line DESC;
SELECT count(*) AS reports FROM ritual.build_reports('backwards_events', 'ritual.raw_profiles',
  reference_time => (:'manifest'::jsonb ->> 'reference_time')::timestamp);
SELECT count(*) AS backwards_differences FROM (
  (SELECT * FROM first_build EXCEPT ALL SELECT * FROM ritual.enriched_events)
  UNION ALL
  (SELECT * FROM ritual.enriched_events EXCEPT ALL SELECT * FROM first_build)) d;
DROP TABLE backwards_events;

-- the fields ritual_fdw set to NULL are reported once a build, for the rows
-- it read new; a refresh with nothing new says nothing
SET client_min_messages = notice;
SELECT count(*) AS reports FROM ritual.build_reports(
  reference_time => (:'manifest'::jsonb ->> 'reference_time')::timestamp);
SELECT count(*) AS reports FROM ritual.refresh_reports(
  reference_time => (:'manifest'::jsonb ->> 'reference_time')::timestamp);
SET client_min_messages = warning;
-- a file more, with one bad row among three: the refresh reports that row;
-- then nothing new, nothing said
\set notices :datadir '/written/notices'
SELECT :'notices' || '/run=' || pg_backend_pid() AS notices_run \gset
CREATE SERVER notice_files FOREIGN DATA WRAPPER ritual_fdw;
CREATE FOREIGN TABLE notice_writer (user_id text, event_type text, event_date text, run integer)
  SERVER notice_files OPTIONS (path :'notices', header 'true', partition_by 'run');
CREATE FOREIGN TABLE notice_events (user_id bigint, event_type text, event_date timestamp,
    source_file text OPTIONS (meta 'filename'), source_line bigint OPTIONS (meta 'line'),
    errors text OPTIONS (meta 'errors'))
  SERVER notice_files OPTIONS (path :'notices_run', header 'true', on_error 'null');
INSERT INTO notice_writer VALUES
  ('1', 'app_opened', '2024-03-01 10:00:00', pg_backend_pid()),
  ('N/A', 'share', '2024-03-01 11:00:00', pg_backend_pid());
\set VERBOSITY terse
SET client_min_messages = notice;
SELECT count(*) AS reports FROM ritual.build_reports('notice_events', 'ritual.raw_profiles',
  reference_time => (:'manifest'::jsonb ->> 'reference_time')::timestamp);
INSERT INTO notice_writer VALUES
  ('2', 'app_opened', '2024-03-02 10:00:00', pg_backend_pid()),
  ('x2', 'share', '2024-03-02 11:00:00', pg_backend_pid()),
  ('3', 'share', '2024-03-02 12:00:00', pg_backend_pid());
SELECT count(*) AS reports FROM ritual.refresh_reports('notice_events', 'ritual.raw_profiles',
  reference_time => (:'manifest'::jsonb ->> 'reference_time')::timestamp);
SELECT count(*) AS reports FROM ritual.refresh_reports('notice_events', 'ritual.raw_profiles',
  reference_time => (:'manifest'::jsonb ->> 'reference_time')::timestamp);
SET client_min_messages = warning;
\set VERBOSITY default
SELECT kind, new_events FROM ritual.report_builds ORDER BY built_at DESC LIMIT 3;
DROP FOREIGN TABLE notice_writer, notice_events;
DROP SERVER notice_files;

-- the raw tables again: an error that says how to replace them, and the way
SELECT ritual.create_raw_tables(:'spikes_events', :'spikes_profiles');

--
-- spikes and drop-offs: exactly the days the generator injected, in every
-- series that shows them (no minimum daily value)
--
SELECT ritual.create_raw_tables(:'spikes_events', :'spikes_profiles', replace => true);
SELECT pg_read_file(:'spikes_manifest')::jsonb AS spikes_manifest \gset
SELECT count(*) AS reports FROM ritual.build_reports(
  reference_time => (:'spikes_manifest'::jsonb ->> 'reference_time')::timestamp);
SELECT d ->> 'date' AS day, d ->> 'kind' AS kind
  FROM jsonb_array_elements(:'spikes_manifest'::jsonb -> 'injected_days') d ORDER BY 1;
SELECT day, kind, string_agg(series, ', ' ORDER BY series) AS series
  FROM ritual.spikes GROUP BY day, kind ORDER BY day;
SELECT count(*) AS spike_differences FROM (
  (SELECT (d ->> 'date')::date, d ->> 'kind'
     FROM jsonb_array_elements(:'spikes_manifest'::jsonb -> 'injected_days') d
   EXCEPT SELECT day, kind FROM ritual.spikes)
  UNION ALL
  (SELECT day, kind FROM ritual.spikes
   EXCEPT
   SELECT (d ->> 'date')::date, d ->> 'kind'
     FROM jsonb_array_elements(:'spikes_manifest'::jsonb -> 'injected_days') d)) x;
SELECT series, days, judged, too_young, spikes, drop_offs FROM ritual.spike_coverage
 ORDER BY series;
-- the scores against SQL written from the definitions (window frames of
-- exact days, percentile_cont): with a threshold below every |z|, each
-- judged day is a row of spikes with its z
SELECT count(*) AS reports FROM ritual.build_reports(
  reference_time => (:'spikes_manifest'::jsonb ->> 'reference_time')::timestamp,
  spike_threshold => 1e-12);
CREATE TEMP TABLE reference_series AS
SELECT s.series, a.day,
       CASE s.series WHEN 'events' THEN a.events WHEN 'dau' THEN a.dau
            ELSE (SELECT coalesce(sum(t.events), 0) FROM ritual.daily_event_types t
                   WHERE t.day = a.day AND 'events:' || t.event_type = s.series)
       END::double precision AS value
  FROM ritual.daily_activity a
 CROSS JOIN (SELECT 'events' AS series UNION ALL SELECT 'dau'
             UNION ALL SELECT DISTINCT 'events:' || event_type FROM ritual.daily_event_types) s
 WHERE a.day BETWEEN (SELECT min(event_day) FROM ritual.clean_events)
                 AND (SELECT max(event_day) FROM ritual.clean_events);
CREATE TEMP TABLE reference_scores AS
WITH lagged AS (
    SELECT series, day, value,
           (SELECT value FROM reference_series p WHERE p.series = s.series AND p.day = s.day - 7) AS w1,
           (SELECT value FROM reference_series p WHERE p.series = s.series AND p.day = s.day - 14) AS w2,
           (SELECT value FROM reference_series p WHERE p.series = s.series AND p.day = s.day - 21) AS w3,
           (SELECT value FROM reference_series p WHERE p.series = s.series AND p.day = s.day - 28) AS w4
      FROM reference_series s
), expected AS (
    SELECT series, day, value,
           (SELECT CASE WHEN count(w) >= 3 THEN percentile_cont(0.5) WITHIN GROUP (ORDER BY w) END
              FROM unnest(ARRAY[w1, w2, w3, w4]) w) AS expected
      FROM lagged
)
SELECT series, day, value, expected, ln((value + 1) / (expected + 1)) AS l FROM expected;
CREATE TEMP TABLE reference_z AS
SELECT s.series, s.day,
       (s.l - m.m) / greatest(1.4826 * (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY abs(p.l - m.m))
                                          FROM reference_scores p
                                         WHERE p.series = s.series AND p.l IS NOT NULL
                                           AND p.day BETWEEN s.day - 56 AND s.day - 1),
                              0.1, 1 / sqrt(s.expected + 1)) AS z
  FROM reference_scores s
 CROSS JOIN LATERAL (SELECT count(*) AS n, percentile_cont(0.5) WITHIN GROUP (ORDER BY p.l) AS m
                       FROM reference_scores p
                      WHERE p.series = s.series AND p.l IS NOT NULL
                        AND p.day BETWEEN s.day - 56 AND s.day - 1) m
 WHERE s.l IS NOT NULL AND m.n >= 28;
SELECT (SELECT count(*) FROM reference_z) AS judged_days,
       (SELECT sum(judged) FROM ritual.spike_coverage) AS judged_by_ritual,
       count(*) FILTER (WHERE s.z IS NULL AND abs(r.z) >= 1e-12) AS missing,
       count(*) FILTER (WHERE abs(s.z - r.z) > 1e-9 * greatest(1, abs(r.z))) AS different
  FROM reference_z r LEFT JOIN ritual.spikes s USING (series, day);
DROP TABLE reference_series, reference_scores, reference_z;

--
-- segments that behave apart: the generator's --segment-effects makes
-- android users complete fewer of the rituals they start, and users in
-- Brazil churn three times as fast; a funnel of one session (an hour)
-- and the retention by country find both, as the manifest says
--
SELECT ritual.create_raw_tables(:'segments_events', :'segments_profiles', replace => true);
SELECT pg_read_file(:'segments_manifest')::jsonb AS segments_manifest \gset
INSERT INTO ritual.funnels (funnel, steps, conversion_window)
VALUES ('first_ritual', ARRAY['app_opened', 'ritual_started', 'ritual_completed'], '1 hour');
SELECT count(*) AS reports FROM ritual.build_reports(
  reference_time => (:'segments_manifest'::jsonb ->> 'reference_time')::timestamp);
-- rituals completed within the hour of their start, per platform: the
-- slow platform's share is the manifest's chance (roughly), the others'
-- theirs, and the slow platform is the lowest
WITH per_platform AS (
    SELECT u.platform, count(*) FILTER (WHERE f.steps_reached >= 2) AS started,
           count(*) FILTER (WHERE f.steps_reached >= 3) AS completed
      FROM ritual.funnel_users f JOIN ritual.users u USING (user_id)
     WHERE f.funnel = 'first_ritual' AND u.platform IS NOT NULL
     GROUP BY u.platform HAVING count(*) FILTER (WHERE f.steps_reached >= 2) >= 200
), truth AS (
    SELECT :'segments_manifest'::jsonb -> 'segment_effects' -> 'ritual_completion' AS t
)
SELECT p.platform, p.platform = t ->> 'platform' AS slow_in_manifest,
       abs(p.completed::float8 / p.started
           - CASE WHEN p.platform = t ->> 'platform' THEN (t ->> 'chance')::float8
                  ELSE (t ->> 'others')::float8 END) < 0.05 AS near_the_manifest,
       p.completed::float8 / p.started = min(p.completed::float8 / p.started) OVER () AS lowest
  FROM per_platform p, truth ORDER BY p.platform;
-- users still coming in week 8 after signup or later, per country, from
-- retention_by_segment (of those with at least 100 users whose week 8 has
-- ended): the fast-churning country is the lowest, well below the others
WITH per_country AS (
    SELECT segment AS country, sum(cohort_size) AS users, sum(retained_on_or_after) AS retained
      FROM ritual.retention_by_segment
     WHERE attribute = 'country' AND segment IS NOT NULL AND week_number = 8
       AND cell_status = 'complete'
     GROUP BY segment HAVING sum(cohort_size) >= 100
), ranked AS (
    SELECT country, retained::float8 / users AS share,
           rank() OVER (ORDER BY retained::float8 / users) AS rank,
           (SELECT sum(retained)::float8 / sum(users) FROM per_country o
             WHERE o.country <> c.country) AS others
      FROM per_country c
)
SELECT country, country = :'segments_manifest'::jsonb -> 'segment_effects'
                                  -> 'weekly_churn' ->> 'country' AS fast_churn_in_manifest,
       share < others - 0.1 AS well_below_the_others
  FROM ranked WHERE rank = 1;
DELETE FROM ritual.funnels WHERE funnel = 'first_ritual';

--
-- the days of the daily table: from the first day with a clean event or a
-- signup to the last such day, signups after the reference day left out
--
CREATE TABLE small_events (user_id bigint, event_type text, event_date timestamp);
CREATE TABLE small_profiles (user_id bigint, signup_date date);
-- user 2 signs up before the first event, 3 after the last, 4 far later
INSERT INTO small_profiles VALUES
    (1, '2024-03-04'), (2, '2024-02-26'), (3, '2024-03-20'), (4, '2099-01-01');
INSERT INTO small_events
SELECT 1, 'app_opened', timestamp '2024-03-04 08:00' + d * interval '1 day'
  FROM generate_series(0, 9) AS d;
INSERT INTO small_events VALUES (2, 'share', '2024-03-06 10:00');
SELECT count(*) AS reports
  FROM ritual.build_reports('small_events', 'small_profiles', reference_time => '2024-03-25');
SELECT min(day) AS first_day, max(day) AS last_day, count(*) AS days,
       sum(new_users) AS new_users, sum(events) AS events
  FROM ritual.daily_activity;
-- an old export built with the default reference time (now): the days end
-- with its data, and a NOTICE says to pass the export's time
SET client_min_messages = notice;
SELECT count(*) AS reports FROM ritual.build_reports('small_events', 'small_profiles');
SET client_min_messages = warning;
SELECT min(day) AS first_day, max(day) AS last_day, count(*) AS days,
       sum(new_users) AS new_users
  FROM ritual.daily_activity;
SELECT count(*) AS spikes_after_the_data FROM ritual.spikes WHERE day > '2024-03-20';

--
-- lifecycle and stickiness at the edges: a user active every day, one who
-- comes back after a quiet week, one new in the last week, one who goes
-- quiet, one whose only week spans two months; the data ends on a Friday
--
CREATE TABLE life_events (user_id bigint, event_type text, event_date timestamp);
CREATE TABLE life_profiles (user_id bigint, signup_date date);
INSERT INTO life_profiles SELECT u, '2024-02-25' FROM generate_series(1, 5) AS u;
INSERT INTO life_events
SELECT 1, 'app_opened', timestamp '2024-03-03 09:00' + d * interval '1 day'
  FROM generate_series(0, 18) AS d;
INSERT INTO life_events VALUES
    (2, 'app_opened', '2024-03-04 10:00'), (2, 'share', '2024-03-19 10:00'),
    (3, 'app_opened', '2024-03-22 23:59'),
    (4, 'app_opened', '2024-03-05 10:00'), (4, 'app_opened', '2024-03-06 10:00'),
    (4, 'app_opened', '2024-03-06 10:00'),
    (5, 'app_opened', '2024-02-29 10:00'), (5, 'app_opened', '2024-03-01 10:00');
SELECT count(*) AS reports
  FROM ritual.build_reports('life_events', 'life_profiles', reference_time => '2024-03-25');
SELECT * FROM ritual.weekly_lifecycle ORDER BY week;
SELECT week, days_active, users, pct_of_active, week_status
  FROM ritual.weekly_stickiness WHERE users > 0 ORDER BY week, days_active;
SELECT month, count(*) AS rows, sum(users) AS active_users,
       string_agg(days_active || ':' || users, ' ' ORDER BY days_active)
           FILTER (WHERE users > 0) AS users_by_days,
       min(month_status) AS month_status
  FROM ritual.monthly_stickiness GROUP BY month ORDER BY month;
DROP TABLE life_events, life_profiles;

--
-- funnels at the edges, with a funnel of one hour: steps at one time
-- (provenance decides), a step just inside and just outside the window, a
-- user repeating step 1, a user skipping a step, one who never enters
--
INSERT INTO ritual.funnels (funnel, steps, conversion_window)
VALUES ('quick', ARRAY['app_opened', 'ritual_started', 'ritual_completed'], '1 hour');
CREATE TABLE quick_events (user_id bigint, event_type text, event_date timestamp,
                           source_file text, source_line bigint);
CREATE TABLE quick_profiles (user_id bigint, signup_date date, source_file text, source_line bigint);
INSERT INTO quick_profiles SELECT u, '2024-02-25', 'p.csv', u FROM generate_series(1, 5) AS u;
INSERT INTO quick_events VALUES
    -- 1: step 2 at the entry's time, a later line; step 3 at the window's end
    (1, 'app_opened', '2024-03-04 10:00', 'e.csv', 1),
    (1, 'ritual_started', '2024-03-04 10:00', 'e.csv', 2),
    (1, 'ritual_completed', '2024-03-04 11:00', 'e.csv', 3),
    -- 2: step 2 at the entry's time but an earlier line does not count;
    -- step 3 a second after the window
    (2, 'ritual_started', '2024-03-04 10:00', 'e.csv', 4),
    (2, 'app_opened', '2024-03-04 10:00', 'e.csv', 5),
    (2, 'ritual_started', '2024-03-04 10:30', 'e.csv', 6),
    (2, 'ritual_completed', '2024-03-04 11:00:01', 'e.csv', 7),
    -- 3: step 1 twice (the first is the entry), step 3 before step 2
    (3, 'app_opened', '2024-03-04 09:00', 'e.csv', 8),
    (3, 'app_opened', '2024-03-04 09:10', 'e.csv', 9),
    (3, 'ritual_completed', '2024-03-04 09:20', 'e.csv', 10),
    (3, 'ritual_started', '2024-03-04 09:30', 'e.csv', 11),
    (3, 'ritual_completed', '2024-03-04 09:40', 'e.csv', 12),
    -- 4: never opens the app; 5: enters the week after, alone
    (4, 'ritual_started', '2024-03-04 12:00', 'e.csv', 13),
    (5, 'app_opened', '2024-03-11 08:00', 'e.csv', 14);
SELECT count(*) AS reports
  FROM ritual.build_reports('quick_events', 'quick_profiles', reference_time => '2024-03-25');
SELECT user_id, entered_at, steps_reached, step_times, step_event_ids
  FROM ritual.funnel_users WHERE funnel = 'quick' ORDER BY user_id;
-- (their sessions' paths: one event alone, repeats kept)
SELECT path, step_1, step_2, step_3, sessions, users, share FROM ritual.session_paths ORDER BY path;
SELECT cohort_week, step, event_type, users, pct_of_first, pct_of_previous,
       median_seconds_from_previous, cohort_status
  FROM ritual.funnel_steps WHERE funnel = 'quick' ORDER BY cohort_week, step;
-- a refresh takes the ways up where new rows come: five rows arrive late
-- (in a file of their own), among them u1's last step, u2's second and
-- third, an entry of u3 earlier than the one included, and u5
CREATE TABLE quick_part AS SELECT * FROM quick_events WHERE source_line NOT IN (3, 6, 7, 8, 14);
SELECT count(*) AS reports
  FROM ritual.build_reports('quick_part', 'quick_profiles', reference_time => '2024-03-25');
SELECT user_id, steps_reached, step_event_ids FROM ritual.funnel_users
 WHERE funnel = 'quick' ORDER BY user_id;
INSERT INTO quick_part
SELECT user_id, event_type, event_date, 'f.csv', row_number() OVER (ORDER BY source_line)
  FROM quick_events WHERE source_line IN (3, 6, 7, 8, 14);
SELECT count(*) AS reports
  FROM ritual.refresh_reports('quick_part', 'quick_profiles', reference_time => '2024-03-25');
SELECT kind, new_events FROM ritual.report_builds ORDER BY built_at DESC LIMIT 1;
CREATE TEMP TABLE quick_refreshed AS
SELECT 'funnel_users' AS t, to_jsonb(u) AS r FROM ritual.funnel_users u
UNION ALL SELECT 'funnel_steps', to_jsonb(s) FROM ritual.funnel_steps s;
SELECT count(*) AS reports
  FROM ritual.build_reports('quick_part', 'quick_profiles', reference_time => '2024-03-25');
SELECT count(*) AS rows,
       (SELECT count(*) FROM ((TABLE quick_refreshed EXCEPT ALL
                               (SELECT 'funnel_users', to_jsonb(u) FROM ritual.funnel_users u
                                UNION ALL SELECT 'funnel_steps', to_jsonb(s) FROM ritual.funnel_steps s))
                              UNION ALL
                              ((SELECT 'funnel_users', to_jsonb(u) FROM ritual.funnel_users u
                                UNION ALL SELECT 'funnel_steps', to_jsonb(s) FROM ritual.funnel_steps s)
                               EXCEPT ALL TABLE quick_refreshed)) d) AS differences_from_a_build
  FROM quick_refreshed;
SELECT user_id, steps_reached, step_event_ids FROM ritual.funnel_users
 WHERE funnel = 'quick' ORDER BY user_id;
DROP TABLE quick_part;

-- a step the catalogue does not know stops the build, named
UPDATE ritual.funnels SET steps = ARRAY['app_opened', 'ritual_finished'] WHERE funnel = 'quick';
SELECT count(*) FROM ritual.build_reports('quick_events', 'quick_profiles');
-- and the catalogue takes 2 to 10 steps, a window up to a year
INSERT INTO ritual.funnels (funnel, steps) VALUES ('one', ARRAY['app_opened']);
INSERT INTO ritual.funnels (funnel, steps, conversion_window)
VALUES ('long', ARRAY['app_opened', 'share'], '2 years');
DELETE FROM ritual.funnels WHERE funnel = 'quick';
DROP TABLE quick_events, quick_profiles;

--
-- breakdowns at the edges: values kept as written (spaces, case), an
-- empty value and a missing one (the NULL segment), a user whose later
-- profile row has the earlier signup (that row's values count), an added
-- attribute of another type; then a refresh that moves a user to other
-- segments and cohort, equal to a build
--
CREATE TABLE seg_events (user_id bigint, event_type text, event_date timestamp,
                         source_file text, source_line bigint);
CREATE TABLE seg_profiles (user_id bigint, signup_date date, country text, platform text,
                           app_version integer, source_file text, source_line bigint);
INSERT INTO seg_profiles VALUES
    (1, '2024-03-03', 'DE', 'ios', 3, 'p.csv', 1),
    (2, '2024-03-03', ' de ', 'Android', 3, 'p.csv', 2),
    (3, '2024-03-04', '', 'android', NULL, 'p.csv', 3),
    (4, '2024-03-05', NULL, NULL, 2, 'p.csv', 4),
    (5, '2024-03-06', 'US', 'ios', 2, 'p.csv', 5),
    (5, '2024-03-04', 'FR', 'web', 1, 'p.csv', 6),
    (6, '2024-03-04', repeat('é', 300), 'web', 1, 'p.csv', 7);
INSERT INTO seg_events
SELECT u, 'app_opened', timestamp '2024-03-06 09:00' + d * interval '1 day', 'e.csv', u * 100 + d
  FROM generate_series(1, 5) AS u, generate_series(0, 15) AS d WHERE (u + d) % 3 <> 0;
INSERT INTO ritual.breakdown_attributes (attribute, description)
VALUES ('app_version', 'the version of the app the user signed up with');
SELECT count(*) AS reports
  FROM ritual.build_reports('seg_events', 'seg_profiles', reference_time => '2024-03-25');
SELECT attribute, left(segment, 10) AS segment, count(*) AS days, sum(dau) AS user_days, max(wau) AS max_wau,
       max(mau) AS max_mau, sum(new_users) AS new_users
  FROM ritual.daily_activity_by_segment GROUP BY 1, 2 ORDER BY 1, 2 NULLS LAST;
SELECT attribute, left(segment, 10) AS segment, cohort_week, week_number, cohort_size,
       retained_on, retained_on_or_after, pct_on
  FROM ritual.retention_by_segment WHERE week_number = 2
 ORDER BY 1, 2 NULLS LAST, 3;
-- (a value past 200 characters counts as its first 200)
SELECT attribute, length(segment) AS characters, count(*) AS rows
  FROM ritual.daily_activity_by_segment WHERE length(segment) > 10 GROUP BY 1, 2;
-- user 1 gets a profile row with an earlier signup and other values, user
-- 2 events in their third week
INSERT INTO seg_profiles VALUES (1, '2024-03-01', 'GB', 'web', 4, 'q.csv', 1);
INSERT INTO seg_events
SELECT 2, 'share', timestamp '2024-03-22 09:00' + d * interval '1 hour', 'f.csv', d + 1
  FROM generate_series(0, 2) AS d;
SELECT count(*) AS reports
  FROM ritual.refresh_reports('seg_events', 'seg_profiles', reference_time => '2024-03-25');
SELECT kind, new_events, new_profiles FROM ritual.report_builds ORDER BY built_at DESC LIMIT 1;
CREATE TEMP TABLE seg_refreshed AS
SELECT 'daily' AS t, to_jsonb(d) AS r FROM ritual.daily_activity_by_segment d
UNION ALL SELECT 'retention', to_jsonb(b) FROM ritual.retention_by_segment b;
SELECT count(*) AS reports
  FROM ritual.build_reports('seg_events', 'seg_profiles', reference_time => '2024-03-25');
SELECT count(*) AS rows,
       (SELECT count(*) FROM ((TABLE seg_refreshed EXCEPT ALL
                               (SELECT 'daily', to_jsonb(d) FROM ritual.daily_activity_by_segment d
                                UNION ALL SELECT 'retention', to_jsonb(b) FROM ritual.retention_by_segment b))
                              UNION ALL
                              ((SELECT 'daily', to_jsonb(d) FROM ritual.daily_activity_by_segment d
                                UNION ALL SELECT 'retention', to_jsonb(b) FROM ritual.retention_by_segment b)
                               EXCEPT ALL TABLE seg_refreshed)) d) AS differences_from_a_build
  FROM seg_refreshed;
SELECT attribute, left(segment, 10) AS segment, sum(dau) AS user_days, sum(new_users) AS new_users
  FROM ritual.daily_activity_by_segment WHERE attribute = 'country'
 GROUP BY 1, 2 ORDER BY 1, 2 NULLS LAST;

-- a combination of long values (four of 200 characters of 4 bytes, 3.2 kB
-- together, past what an index entry holds, and little to compress) counts
ALTER TABLE seg_profiles ADD COLUMN device text, ADD COLUMN city text;
UPDATE seg_profiles p
   SET country = v.values[1], platform = v.values[2], device = v.values[3], city = v.values[4]
  FROM (SELECT array_agg(value ORDER BY k) AS values
          FROM (SELECT k, string_agg(chr(65536 + (i * 7919 + k * 1237) % 60000), '' ORDER BY i) AS value
                  FROM generate_series(1, 4) AS k, generate_series(1, 300) AS i GROUP BY k) x) v
 WHERE p.user_id = 1;
INSERT INTO ritual.breakdown_attributes (attribute) VALUES ('device'), ('city');
SELECT count(*) AS reports
  FROM ritual.build_reports('seg_events', 'seg_profiles', reference_time => '2024-03-25');
SELECT attribute, length(segment) AS characters, octet_length(segment) AS bytes, sum(dau) AS user_days
  FROM ritual.daily_activity_by_segment WHERE length(segment) = 200
 GROUP BY 1, 2, 3 ORDER BY 1, 4;
DELETE FROM ritual.breakdown_attributes WHERE attribute IN ('device', 'city');

-- an attribute the profiles lack stops the build, named with the columns
UPDATE ritual.breakdown_attributes SET attribute = 'app_verison' WHERE attribute = 'app_version';
SELECT count(*) FROM ritual.build_reports('seg_events', 'seg_profiles');
DELETE FROM ritual.breakdown_attributes WHERE attribute = 'app_verison';
-- and the catalogue takes no empty name
INSERT INTO ritual.breakdown_attributes (attribute) VALUES ('');
DROP TABLE seg_events, seg_profiles;

--
-- unknown event types: an export that spells app_opened 'app_open' gets a
-- WARNING naming the types and the statement that adds them
--
INSERT INTO small_events
SELECT 1, CASE WHEN d = 3 THEN ' App_Open' WHEN d = 4 THEN 'push_received' ELSE 'app_open' END,
       timestamp '2024-03-05 09:00' + d * interval '1 day'
  FROM generate_series(0, 4) AS d;
SELECT count(*) AS reports
  FROM ritual.build_reports('small_events', 'small_profiles', reference_time => '2024-03-25');
SELECT event_type, rows FROM ritual.data_quality
 WHERE scope = 'event_type' ORDER BY rows DESC, event_type;
-- the statement of the hint, and the events are clean
INSERT INTO ritual.event_types (event_type) VALUES ('app_open'), ('push_received');
SELECT count(*) AS reports
  FROM ritual.build_reports('small_events', 'small_profiles', reference_time => '2024-03-25');
SELECT count(*) AS clean_events FROM ritual.clean_events;
DELETE FROM ritual.event_types WHERE event_type IN ('app_open', 'push_received');
DROP TABLE small_events, small_profiles;

--
-- the full build's one pass over the events (src/analytics/event_pass.c)
-- against the rules written in plain SQL, on the shapes a hostile export
-- has: many types at one user and time (past the list the pass keeps before
-- it hashes), infinite and missing times, blank and missing types, rows
-- without a user, a user without a profile, session gaps just under, at and
-- over 30 minutes, and flagged rows between clean ones
--
CREATE TABLE pass_events (user_id bigint, event_type text, event_date timestamp,
                          source_file text, source_line bigint);
CREATE TABLE pass_profiles (user_id bigint, signup_date date);
-- user 14 signed up at -infinity, which is no day: as missing, and the
-- daily table does not run from the beginning of time (it filled the disk)
INSERT INTO pass_profiles VALUES (10, '2024-03-01'), (12, '2024-03-02'), (13, NULL),
    (14, '-infinity');
INSERT INTO pass_events
SELECT 10, CASE WHEN i <= 40 THEN 'junk_' || (i % 20) ELSE 'App_Opened ' END,
       '2024-03-05 10:00', 'a.csv', 1000 - i
  FROM generate_series(1, 43) AS i;
INSERT INTO pass_events VALUES
    (10, 'share', '-infinity', 'a.csv', 2000), (10, 'share', 'infinity', 'a.csv', 2001),
    (10, 'share', NULL, 'a.csv', 2002), (10, '   ', '2024-03-05 11:00', 'a.csv', 2003),
    (10, NULL, '2024-03-05 11:00', 'a.csv', 2004), (NULL, 'share', '2024-03-05 11:00', 'a.csv', 2005),
    (NULL, NULL, NULL, 'a.csv', 2006), (11, 'share', '2024-03-05 11:00', 'a.csv', 2007),
    (13, 'share', '2024-03-05 11:00', 'a.csv', 2008), (14, 'share', '2024-03-05 11:00', 'a.csv', 2009),
    (12, 'app_opened', '2024-03-05 10:00', 'b.csv', 1),
    (12, 'ritual_started', '2024-03-05 10:29:59', 'b.csv', 2),
    (12, 'ritual_started', '2024-03-05 10:29:59', 'b.csv', 3),
    (12, 'unknown_kind', '2024-03-05 10:45', 'b.csv', 4),
    (12, 'ritual_completed', '2024-03-05 10:59:59', 'b.csv', 5),
    (12, 'share', '2024-03-05 11:30:00', 'b.csv', 6),
    (12, 'app_opened', '2024-03-05 12:00:01', 'b.csv', 7),
    (12, 'app_opened', '2024-03-06 00:10', 'b.csv', 8),
    (12, 'app_opened', '2024-03-30 00:10', 'b.csv', 9),
    (12, 'share', NULL, NULL, NULL);
SELECT count(*) AS reports
  FROM ritual.build_reports('pass_events', 'pass_profiles', reference_time => '2024-03-25');
CREATE TEMP TABLE pass_expected AS
WITH numbered AS (
    SELECT row_number() OVER (ORDER BY source_file, source_line) AS event_id, user_id,
           nullif(lower(btrim(event_type)), '') AS event_type, event_type AS raw_event_type,
           event_date, source_file, source_line
      FROM pass_events
), flagged AS (
    SELECT n.*, u.signup_date, u.cohort_week,
           ritual.event_flags(n.user_id, n.raw_event_type, n.event_date, t.event_type IS NOT NULL,
                              u.user_id IS NOT NULL, u.signup_date, '2024-03-25')
           | CASE WHEN n.user_id IS NOT NULL AND n.event_type IS NOT NULL AND n.event_date IS NOT NULL
                       AND row_number() OVER (PARTITION BY n.user_id, n.event_date, n.event_type
                                              ORDER BY n.event_id) > 1
                  THEN 128 ELSE 0 END AS flags
      FROM numbered n
      LEFT JOIN ritual.users u ON u.user_id = n.user_id AND u.signup_date IS NOT NULL
      LEFT JOIN ritual.event_types t ON t.event_type = n.event_type
), clean AS (
    SELECT event_id, user_id, event_date,
           lag(event_type) OVER w AS prev_event_type, lead(event_type) OVER w AS next_event_type,
           CASE WHEN event_date - lag(event_date) OVER w <= interval '30 minutes' THEN 0 ELSE 1 END
             AS starts
      FROM flagged WHERE flags = 0
    WINDOW w AS (PARTITION BY user_id ORDER BY event_date, event_id)
), sessions AS (
    SELECT event_id, prev_event_type, next_event_type,
           sum(starts) OVER (PARTITION BY user_id ORDER BY event_date, event_id) AS session_number
      FROM clean
)
SELECT f.event_id, f.user_id, f.event_type, f.raw_event_type, f.event_date, f.event_date::date AS event_day,
       f.signup_date, f.cohort_week, ritual.week_since_signup(f.event_date, f.signup_date) AS week,
       s.prev_event_type, s.next_event_type, s.session_number, f.flags,
       array_to_string(ritual.flag_names(f.flags), ',') AS flag_names, f.source_file, f.source_line
  FROM flagged f LEFT JOIN sessions s USING (event_id);
-- what the edge cases make: duplicates at one time, the flags of the odd rows
SELECT user_id, flag_names, count(*) AS events
  FROM ritual.enriched_events GROUP BY 1, 2 ORDER BY 1, 2;
SELECT session_number, event_type, prev_event_type, next_event_type
  FROM ritual.enriched_events WHERE user_id = 12 AND flags = 0 ORDER BY event_id;
SELECT min(day) AS first_day, max(day) AS last_day FROM ritual.daily_activity;
SELECT kind, rows FROM ritual.data_quality WHERE scope = 'total' AND rows > 0 ORDER BY kind;
-- every column of every event, and every table counted from them, as the rules say
SELECT (SELECT count(*) FROM (SELECT * FROM pass_expected
                              EXCEPT ALL SELECT * FROM ritual.enriched_events) x) AS missing,
       (SELECT count(*) FROM (SELECT * FROM ritual.enriched_events
                              EXCEPT ALL SELECT * FROM pass_expected) x) AS unexpected;
WITH clean AS (SELECT * FROM pass_expected WHERE flags = 0)
SELECT (SELECT count(*) FROM (SELECT user_id, event_day, count(*) FROM clean GROUP BY 1, 2
                              EXCEPT ALL SELECT * FROM ritual.user_days) x) AS user_days_missing,
       (SELECT count(*) FROM (SELECT * FROM ritual.user_days
                              EXCEPT ALL SELECT user_id, event_day, count(*) FROM clean GROUP BY 1, 2) x)
         AS user_days_unexpected,
       (SELECT count(*) FROM (SELECT DISTINCT user_id, week FROM clean
                              EXCEPT ALL SELECT * FROM ritual.user_weeks) x) AS user_weeks_missing,
       (SELECT count(*) FROM (SELECT * FROM ritual.user_weeks
                              EXCEPT ALL SELECT DISTINCT user_id, week FROM clean) x)
         AS user_weeks_unexpected,
       (SELECT count(*) FROM (SELECT user_id, session_number, min(event_date), max(event_date),
                                     extract(epoch FROM max(event_date) - min(event_date))::float8,
                                     count(*)::int,
                                     array_to_string((array_agg(event_type
                                                                ORDER BY event_date, event_id))[1:3],
                                                     ' > ')
                                FROM clean GROUP BY 1, 2
                              EXCEPT ALL SELECT * FROM ritual.sessions) x) AS sessions_missing,
       (SELECT count(*) FROM ritual.sessions) AS sessions,
       (SELECT count(*) FROM (SELECT prev_event_type, event_type, count(*) FROM clean
                               WHERE prev_event_type IS NOT NULL GROUP BY 1, 2
                              EXCEPT ALL SELECT * FROM ritual.event_transitions) x) AS transitions_missing,
       (SELECT count(*) FROM ritual.event_transitions) AS transitions,
       (SELECT count(*) FROM (SELECT event_day, event_type, count(*), count(DISTINCT user_id) FROM clean
                               GROUP BY 1, 2
                              EXCEPT ALL SELECT * FROM ritual.daily_event_types) x) AS day_types_missing,
       (SELECT count(*) FROM ritual.daily_event_types) AS day_types;
-- the pass writes past the executor, so what would miss its rows stops it
CREATE FUNCTION pass_trigger() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;
CREATE TRIGGER pass_trigger BEFORE INSERT ON ritual.sessions
   FOR EACH ROW EXECUTE FUNCTION pass_trigger();
\set SHOW_CONTEXT never
SELECT count(*) AS reports
  FROM ritual.build_reports('pass_events', 'pass_profiles', reference_time => '2024-03-25');
\set SHOW_CONTEXT errors
DROP TRIGGER pass_trigger ON ritual.sessions;
DROP FUNCTION pass_trigger();
DROP TABLE pass_events, pass_profiles, pass_expected;
-- the read of the new rows (src/analytics/new_events.c) normalizes each
-- spelling of a type once, in a cache that 700 spellings overflow, and
-- numbers the rows as read when they come in provenance order: read in
-- that order, and out of it
CREATE TABLE spelled_events AS
SELECT 10::bigint AS user_id,
       CASE i % 3 WHEN 0 THEN ' Type_' || (i % 700) WHEN 1 THEN 'TYPE_' || (i % 700) || '  '
                  ELSE 'type_' || (i % 700) END AS event_type,
       timestamp '2024-03-05 10:00' + i * interval '1 minute' AS event_date,
       'c.csv'::text AS source_file, i::bigint AS source_line
  FROM generate_series(1, 3000) AS i ORDER BY i;
CREATE TABLE shuffled_events AS SELECT * FROM spelled_events ORDER BY source_line % 7, source_line;
CREATE TABLE spelled_profiles (user_id bigint, signup_date date);
INSERT INTO spelled_profiles VALUES (10, '2024-03-01');
\set spelled 'SELECT count(*) AS rows, count(*) FILTER (WHERE event_type IS DISTINCT FROM nullif(lower(btrim(raw_event_type)), \'\')) AS misnormalized, count(DISTINCT event_type) AS types, count(*) FILTER (WHERE event_id <> source_line) AS misnumbered FROM ritual.enriched_events'
SELECT count(*) AS reports
  FROM ritual.build_reports('spelled_events', 'spelled_profiles', reference_time => '2024-03-25');
:spelled;
SELECT count(*) AS reports
  FROM ritual.build_reports('shuffled_events', 'spelled_profiles', reference_time => '2024-03-25');
:spelled;
-- the pass counts the flagged events for data quality in memory, and
-- writes its counts out past 10,000 keys (src/analytics/flag_counts.c):
-- 12,000 types, each unknown, on two days, give every count once
CREATE TABLE typed_events AS
SELECT 10::bigint AS user_id, 'junk_' || i AS event_type,
       timestamp '2024-03-05 12:00' + i * interval '10 seconds' AS event_date,
       'd.csv'::text AS source_file, i::bigint AS source_line
  FROM generate_series(1, 12000) AS i;
SELECT count(*) AS reports
  FROM ritual.build_reports('typed_events', 'spelled_profiles', reference_time => '2024-03-25');
SELECT scope, count(*) AS entries, sum(rows) AS events, count(DISTINCT event_type) AS types,
       min(rows) AS least, max(rows) AS most
  FROM ritual.data_quality WHERE kind = 'unknown_event_type' GROUP BY scope ORDER BY scope;
SELECT day, rows FROM ritual.data_quality
 WHERE kind = 'unknown_event_type' AND scope = 'day' ORDER BY day;
DROP TABLE spelled_events, typed_events, shuffled_events, spelled_profiles;

-- errors
SELECT ritual.build_reports('no_such_table');
CREATE TABLE not_events (user_id bigint, event_date timestamp);
SELECT ritual.build_reports('not_events');
SELECT ritual.build_reports(spike_threshold => 0);
DROP TABLE not_events;

DROP FOREIGN TABLE ritual.raw_events, ritual.raw_profiles;
DROP SERVER ritual_raw_files;
RESET client_min_messages;
