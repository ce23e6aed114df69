-- bench/reports_duckdb.sql: ritual's reporting tables computed by DuckDB
-- from the same export, written from docs/metrics.md, for bench/reports.sh
-- (which replaces @EVENTS@, @PROFILES@ and @REFERENCE@).  Values parse as
-- ritual_fdw's on_error 'null' reads them (an unparseable field is NULL);
-- source_line is the record's line, as the generator writes one record a
-- line.

CREATE MACRO flag_names(f) AS concat_ws(',',
    CASE WHEN f & 1 <> 0 THEN 'missing_user_id' END,
    CASE WHEN f & 2 <> 0 THEN 'missing_event_type' END,
    CASE WHEN f & 4 <> 0 THEN 'missing_event_date' END,
    CASE WHEN f & 8 <> 0 THEN 'unknown_event_type' END,
    CASE WHEN f & 16 <> 0 THEN 'unknown_user' END,
    CASE WHEN f & 32 <> 0 THEN 'event_before_signup' END,
    CASE WHEN f & 64 <> 0 THEN 'future_event' END,
    CASE WHEN f & 128 <> 0 THEN 'duplicate' END,
    CASE WHEN f & 256 <> 0 THEN 'conflicting_profile' END,
    CASE WHEN f & 512 <> 0 THEN 'missing_signup_date' END);
CREATE MACRO parse_id(v) AS
    CASE WHEN regexp_full_match(trim(v), '[+-]?[0-9]+') THEN TRY_CAST(trim(v) AS BIGINT) END;
CREATE MACRO sunday(d) AS d - dayofweek(d)::INTEGER;

CREATE TABLE event_types AS
SELECT * FROM (VALUES ('app_opened'), ('ritual_started'), ('ritual_completed'), ('journal_entry'),
                      ('share'), ('reminder_set'), ('subscription_purchased')) t(event_type);
CREATE TABLE flag_kinds AS
SELECT * FROM (VALUES ('missing_user_id', 1), ('missing_event_type', 2), ('missing_event_date', 4),
                      ('unknown_event_type', 8), ('unknown_user', 16), ('event_before_signup', 32),
                      ('future_event', 64), ('duplicate', 128), ('conflicting_profile', 256),
                      ('missing_signup_date', 512)) t(kind, flag_bit);

CREATE TABLE raw_events AS
SELECT filename AS source_file, row_number() OVER () + 1 AS source_line,
       parse_id(user_id) AS user_id, event_type AS raw_event_type,
       TRY_CAST(event_date AS TIMESTAMP) AS event_date
  FROM read_csv('@EVENTS@', header = true, auto_detect = false, filename = true,
                columns = {'user_id': 'VARCHAR', 'event_type': 'VARCHAR', 'event_date': 'VARCHAR'});
CREATE TABLE raw_profiles AS
SELECT filename AS source_file, row_number() OVER () + 1 AS source_line,
       parse_id(user_id) AS user_id, TRY_CAST(signup_date AS DATE) AS signup_date, country, platform
  FROM read_csv('@PROFILES@', header = true, auto_detect = false, filename = true,
                columns = {'user_id': 'VARCHAR', 'signup_date': 'VARCHAR', 'country': 'VARCHAR',
                           'platform': 'VARCHAR'});

CREATE TABLE users AS
WITH per_user AS (
    SELECT user_id, min(signup_date) AS signup_date, count(*) AS profile_rows,
           count(DISTINCT signup_date) > 1 AS conflicting,
           first(country ORDER BY signup_date NULLS LAST, source_file, source_line) AS country,
           first(platform ORDER BY signup_date NULLS LAST, source_file, source_line) AS platform
      FROM raw_profiles WHERE user_id IS NOT NULL GROUP BY user_id
), flagged AS (
    SELECT *, CASE WHEN conflicting THEN 256 ELSE 0 END
            | CASE WHEN signup_date IS NULL THEN 512 ELSE 0 END AS flags
      FROM per_user
)
SELECT user_id, signup_date, sunday(signup_date) AS cohort_week, profile_rows::INTEGER AS profile_rows,
       flags, flag_names(flags) AS flag_names, country, platform
  FROM flagged;

CREATE TABLE enriched_events AS
WITH numbered AS (
    SELECT row_number() OVER (ORDER BY source_file, source_line) AS event_id, r.*,
           nullif(lower(trim(raw_event_type, ' ')), '') AS event_type
      FROM raw_events r
), flagged AS (
    SELECT e.*, u.signup_date, u.cohort_week,
           CASE WHEN e.user_id IS NULL THEN 1 ELSE 0 END
         | CASE WHEN e.event_type IS NULL THEN 2 ELSE 0 END
         | CASE WHEN e.event_date IS NULL THEN 4 ELSE 0 END
         | CASE WHEN e.event_type IS NOT NULL AND t.event_type IS NULL THEN 8 ELSE 0 END
         | CASE WHEN e.user_id IS NOT NULL AND u.user_id IS NULL THEN 16 ELSE 0 END
         | CASE WHEN e.event_date::DATE < u.signup_date THEN 32 ELSE 0 END
         | CASE WHEN e.event_date > TIMESTAMP '@REFERENCE@' THEN 64 ELSE 0 END
         | CASE WHEN e.user_id IS NOT NULL AND e.event_type IS NOT NULL AND e.event_date IS NOT NULL
                 AND row_number() OVER (PARTITION BY e.user_id, e.event_type, e.event_date
                                        ORDER BY e.event_id) > 1 THEN 128 ELSE 0 END AS flags
      FROM numbered e
      LEFT JOIN users u ON u.user_id = e.user_id AND u.signup_date IS NOT NULL
      LEFT JOIN event_types t ON t.event_type = e.event_type
), windowed AS (
    SELECT *, lag(event_type) OVER w AS prev_type, lead(event_type) OVER w AS next_type,
           CASE WHEN lag(event_date) OVER w IS NULL
                  OR event_date - lag(event_date) OVER w > INTERVAL 30 MINUTES THEN 1 ELSE 0 END AS starts
      FROM flagged
    WINDOW w AS (PARTITION BY flags = 0, user_id ORDER BY event_date, event_id)
)
SELECT event_id, user_id, event_type, raw_event_type, event_date, event_date::DATE AS event_day,
       signup_date, cohort_week,
       ((sunday(event_date::DATE) - sunday(signup_date)) // 7 + 1)::INTEGER AS week_number_since_signup,
       CASE WHEN flags = 0 THEN prev_type END AS prev_event_type,
       CASE WHEN flags = 0 THEN next_type END AS next_event_type,
       CASE WHEN flags = 0 THEN sum(starts) OVER (PARTITION BY flags = 0, user_id
                                                  ORDER BY event_date, event_id
                                                  ROWS UNBOUNDED PRECEDING) END::BIGINT AS session_number,
       flags, flag_names(flags) AS flag_names, source_file, source_line
  FROM windowed;

CREATE TABLE clean_events AS SELECT * FROM enriched_events WHERE flags = 0;

CREATE TABLE sessions AS
SELECT user_id, session_number, min(event_date) AS session_start, max(event_date) AS session_end,
       epoch(max(event_date) - min(event_date)) AS duration_seconds, count(*)::INTEGER AS events
  FROM clean_events GROUP BY user_id, session_number;

CREATE TABLE user_days AS
SELECT user_id, event_day AS day, count(*) AS events FROM clean_events GROUP BY 1, 2;

-- the days: first to last with a clean event or a signup up to the
-- reference day; WAU and MAU by the days each active day covers until the
-- user's next active day (a running sum of starts and ends)
CREATE TABLE daily_activity AS
WITH bounds AS (
    SELECT least(min(day), (SELECT min(signup_date) FROM users
                             WHERE signup_date <= TIMESTAMP '@REFERENCE@'::DATE)) AS first_day,
           greatest(max(day), (SELECT max(signup_date) FROM users
                                WHERE signup_date <= TIMESTAMP '@REFERENCE@'::DATE)) AS last_day
      FROM user_days
), days AS (
    SELECT unnest(generate_series(first_day, last_day, INTERVAL 1 DAY))::DATE AS day FROM bounds
), covering AS (
    SELECT day, lead(day) OVER (PARTITION BY user_id ORDER BY day) AS next_day FROM user_days
), window_edges AS (
    SELECT day, 7 AS width, 1 AS d FROM covering
    UNION ALL SELECT least(day + 7, coalesce(next_day, day + 7)), 7, -1 FROM covering
    UNION ALL SELECT day, 30, 1 FROM covering
    UNION ALL SELECT least(day + 30, coalesce(next_day, day + 30)), 30, -1 FROM covering
), edges AS (
    SELECT day, sum(d) FILTER (WHERE width = 7) AS w, sum(d) FILTER (WHERE width = 30) AS m
      FROM window_edges GROUP BY day
), per_day AS (
    SELECT d.day,
           coalesce(sum(e.w) OVER (ORDER BY d.day), 0) AS wau,
           coalesce(sum(e.m) OVER (ORDER BY d.day), 0) AS mau
      FROM days d LEFT JOIN edges e USING (day)
), dau AS (
    SELECT day, count(*) AS dau, sum(events) AS events FROM user_days GROUP BY day
), signups AS (
    SELECT signup_date AS day, count(*) AS n FROM users WHERE signup_date IS NOT NULL GROUP BY 1
), started AS (
    SELECT session_start::DATE AS day, count(*) AS n FROM sessions GROUP BY 1
)
SELECT p.day, coalesce(a.dau, 0) AS dau, p.wau::BIGINT AS wau, p.mau::BIGINT AS mau,
       coalesce(a.dau, 0) / nullif(p.mau, 0) AS stickiness, coalesce(s.n, 0) AS new_users,
       coalesce(a.events, 0)::BIGINT AS events, coalesce(t.n, 0) AS sessions
  FROM per_day p LEFT JOIN dau a USING (day) LEFT JOIN signups s USING (day)
  LEFT JOIN started t USING (day);

-- lifecycle: each user's active Sunday weeks, by the week before
CREATE TABLE weekly_lifecycle AS
WITH weeks AS (
    SELECT DISTINCT user_id, sunday(day) AS week FROM user_days
), ordered AS (
    SELECT week, lag(week) OVER u AS week_before, lead(week) OVER u AS week_after
      FROM weeks WINDOW u AS (PARTITION BY user_id ORDER BY week)
), kinds AS (
    SELECT week,
           count(*) FILTER (WHERE week_before IS NULL) AS new_users,
           count(*) FILTER (WHERE week_before = week - 7) AS returning_users,
           count(*) FILTER (WHERE week_before < week - 7) AS resurrecting_users
      FROM ordered GROUP BY 1
), dormant AS (
    SELECT week + 7 AS week, count(*) AS users FROM ordered
     WHERE week_after IS NULL OR week_after > week + 7 GROUP BY 1
), span AS (
    SELECT unnest(generate_series(first_week, last_week, INTERVAL 7 DAY))::DATE AS week
      FROM (SELECT min(week) AS first_week, max(week) AS last_week FROM weeks)
)
SELECT s.week, coalesce(new_users + returning_users + resurrecting_users, 0) AS active_users,
       coalesce(new_users, 0) AS new_users, coalesce(returning_users, 0) AS returning_users,
       coalesce(resurrecting_users, 0) AS resurrecting_users, -coalesce(d.users, 0) AS dormant_users
  FROM span s LEFT JOIN kinds k USING (week) LEFT JOIN dormant d USING (week);

-- stickiness: users by their active days in a week, in a month (every k)
CREATE TABLE weekly_stickiness AS
WITH per_user AS (
    SELECT sunday(day) AS week, count(*) AS k FROM user_days GROUP BY user_id, 1
), span AS (
    SELECT week, unnest(generate_series(1, 7)) AS k FROM weekly_lifecycle
)
SELECT s.week, s.k AS days_active, count(p.k) AS users
  FROM span s LEFT JOIN per_user p ON p.week = s.week AND p.k = s.k GROUP BY 1, 2;
CREATE TABLE monthly_stickiness AS
WITH per_user AS (
    SELECT date_trunc('month', day)::DATE AS month, count(*) AS k FROM user_days GROUP BY user_id, 1
), span AS (
    SELECT unnest(generate_series(first_month, last_month, INTERVAL 1 MONTH))::DATE AS month
      FROM (SELECT min(month) AS first_month, max(month) AS last_month FROM per_user)
), cells AS (
    SELECT month, unnest(generate_series(1, 31)) AS k FROM span
)
SELECT c.month, c.k AS days_active, count(p.k) AS users
  FROM cells c LEFT JOIN per_user p ON p.month = c.month AND p.k = c.k GROUP BY 1, 2;

-- the default funnel (ritual.funnels' 'activation', 7 days): each step the
-- user's first clean event of its type after the step before (by time, then
-- provenance), within 7 days of the entry
CREATE TABLE funnel_1 AS
SELECT user_id, event_date AS t1, event_id AS id1 FROM clean_events WHERE event_type = 'app_opened'
QUALIFY row_number() OVER (PARTITION BY user_id ORDER BY event_date, event_id) = 1;
CREATE TABLE funnel_2 AS
SELECT p.user_id, p.t1, e.event_date AS t2, e.event_id AS id2
  FROM funnel_1 p JOIN clean_events e ON e.user_id = p.user_id AND e.event_type = 'ritual_started'
   AND (e.event_date, e.event_id) > (p.t1, p.id1) AND e.event_date <= p.t1 + INTERVAL 7 DAY
QUALIFY row_number() OVER (PARTITION BY p.user_id ORDER BY e.event_date, e.event_id) = 1;
CREATE TABLE funnel_3 AS
SELECT p.user_id, p.t1, e.event_date AS t3, e.event_id AS id3, p.t2
  FROM funnel_2 p JOIN clean_events e ON e.user_id = p.user_id AND e.event_type = 'ritual_completed'
   AND (e.event_date, e.event_id) > (p.t2, p.id2) AND e.event_date <= p.t1 + INTERVAL 7 DAY
QUALIFY row_number() OVER (PARTITION BY p.user_id ORDER BY e.event_date, e.event_id) = 1;
CREATE TABLE funnel_4 AS
SELECT p.user_id, e.event_date AS t4, p.t3
  FROM funnel_3 p JOIN clean_events e ON e.user_id = p.user_id AND e.event_type = 'subscription_purchased'
   AND (e.event_date, e.event_id) > (p.t3, p.id3) AND e.event_date <= p.t1 + INTERVAL 7 DAY
QUALIFY row_number() OVER (PARTITION BY p.user_id ORDER BY e.event_date, e.event_id) = 1;
CREATE TABLE funnel_steps AS
WITH reached AS (
    SELECT sunday(f.t1::DATE) AS cohort_week, 1 AS step, NULL::DOUBLE AS seconds FROM funnel_1 f
    UNION ALL
    SELECT sunday(t1::DATE), 2, epoch(t2 - t1) FROM funnel_2
    UNION ALL
    SELECT sunday(t1::DATE), 3, epoch(t3 - t2) FROM funnel_3
    UNION ALL
    SELECT sunday(p.t1::DATE), 4, epoch(f.t4 - f.t3) FROM funnel_4 f JOIN funnel_1 p USING (user_id)
), counts AS (
    SELECT cohort_week, step, count(*) AS users, median(seconds) AS median_seconds
      FROM reached GROUP BY 1, 2
), cells AS (
    SELECT c.cohort_week, s.step, coalesce(n.users, 0) AS users, n.median_seconds
      FROM (SELECT DISTINCT cohort_week FROM reached) c
     CROSS JOIN (SELECT unnest(range(1, 5)) AS step) s
      LEFT JOIN counts n ON n.cohort_week = c.cohort_week AND n.step = s.step
)
SELECT 'activation' AS funnel, cohort_week, step, users,
       users / first_value(users) OVER w AS pct_of_first,
       CASE WHEN step > 1 THEN users / lag(users) OVER w END AS pct_of_previous,
       median_seconds AS median_seconds_from_previous,
       CASE WHEN cohort_week + 6 + INTERVAL 7 DAY <= (SELECT max(day) FROM user_days)
            THEN 'complete' ELSE 'incomplete' END AS cohort_status
  FROM cells WINDOW w AS (PARTITION BY cohort_week ORDER BY step);

-- session paths: each session's first three clean types, by time then provenance
CREATE TABLE session_paths AS
WITH per_session AS (
    SELECT user_id, session_number,
           array_to_string(list_slice(list(event_type ORDER BY event_date, event_id), 1, 3), ' > ')
               AS path
      FROM clean_events GROUP BY 1, 2
)
SELECT path, count(*) AS sessions, count(DISTINCT user_id) AS users,
       count(*) / sum(count(*)) OVER () AS share
  FROM per_session GROUP BY path;

CREATE TABLE daily_event_types AS
SELECT event_day AS day, event_type, count(*) AS events, count(DISTINCT user_id) AS users
  FROM clean_events GROUP BY 1, 2;

CREATE TABLE retention_cohorts AS
WITH last AS (
    SELECT max(day) AS last_day FROM user_days
), cohorts AS (
    SELECT cohort_week, count(*) AS cohort_size FROM users WHERE signup_date IS NOT NULL GROUP BY 1
), weeks AS (
    SELECT DISTINCT u.cohort_week, d.user_id,
           (sunday(d.day) - sunday(u.signup_date)) // 7 + 1 AS week
      FROM user_days d JOIN users u USING (user_id) WHERE u.signup_date IS NOT NULL
), on_week AS (
    SELECT cohort_week, week, count(*) AS users FROM weeks GROUP BY 1, 2
), last_weeks AS (
    SELECT cohort_week, last_week, count(*) AS users
      FROM (SELECT cohort_week, user_id, max(week) AS last_week FROM weeks GROUP BY 1, 2) GROUP BY 1, 2
), cells AS (
    SELECT c.cohort_week, c.cohort_size, unnest(generate_series(1, (l.last_day - c.cohort_week) // 7 + 1)) AS week_number,
           l.last_day
      FROM cohorts c, last l
), after AS (
    SELECT c.cohort_week, c.week_number, coalesce(sum(l.users), 0) AS users
      FROM cells c LEFT JOIN last_weeks l ON l.cohort_week = c.cohort_week AND l.last_week >= c.week_number
     GROUP BY 1, 2
)
SELECT c.cohort_week, c.week_number::INTEGER AS week_number, c.cohort_size,
       coalesce(o.users, 0) AS retained_on, coalesce(o.users, 0) / c.cohort_size AS pct_on,
       a.users::BIGINT AS retained_on_or_after, a.users / c.cohort_size AS pct_on_or_after,
       CASE WHEN c.cohort_week + 7 * c.week_number::INTEGER - 1 <= c.last_day
            THEN 'complete' ELSE 'incomplete' END AS cell_status
  FROM cells c
  LEFT JOIN on_week o ON o.cohort_week = c.cohort_week AND o.week = c.week_number
  JOIN after a ON a.cohort_week = c.cohort_week AND a.week_number = c.week_number;

-- breakdowns by country and platform: a user's values are those of their
-- profile row with the earliest valid signup (users has them), an empty
-- one missing (NULL); per day and segment DAU, WAU, MAU and new users as
-- the totals, a row where one is not 0; per segment with a cohort member
-- every retention cell
CREATE TABLE user_segments AS
SELECT user_id, 'country' AS attribute, nullif(country, '') AS segment FROM users
UNION ALL
SELECT user_id, 'platform', nullif(platform, '') FROM users;
CREATE TABLE daily_activity_by_segment AS
WITH covering AS (
    SELECT user_id, day, lead(day) OVER (PARTITION BY user_id ORDER BY day) AS next_day
      FROM user_days
), edges AS (
    SELECT s.attribute, s.segment, e.day, sum(e.dau) AS dau, sum(e.w) AS w, sum(e.m) AS m,
           sum(e.n) AS n
      FROM (SELECT user_id, day, 1 AS dau, 1 AS w, 1 AS m, 0 AS n FROM covering
            UNION ALL
            SELECT user_id, least(day + 7, coalesce(next_day, day + 7)), 0, -1, 0, 0 FROM covering
            UNION ALL
            SELECT user_id, least(day + 30, coalesce(next_day, day + 30)), 0, 0, -1, 0 FROM covering
            UNION ALL
            SELECT user_id, signup_date, 0, 0, 0, 1 FROM users WHERE signup_date IS NOT NULL) e
      JOIN user_segments s USING (user_id)
     GROUP BY 1, 2, 3
), per_day AS (
    SELECT g.attribute, g.segment, d.day, coalesce(e.dau, 0) AS dau,
           sum(coalesce(e.w, 0)) OVER w AS wau, sum(coalesce(e.m, 0)) OVER w AS mau,
           coalesce(e.n, 0) AS new_users
      FROM (SELECT DISTINCT attribute, segment FROM edges) g
     CROSS JOIN (SELECT day FROM daily_activity) d
      LEFT JOIN edges e ON e.attribute = g.attribute AND e.segment IS NOT DISTINCT FROM g.segment
                       AND e.day = d.day
    WINDOW w AS (PARTITION BY g.attribute, g.segment ORDER BY d.day)
)
SELECT attribute, segment, day, dau::BIGINT AS dau, wau::BIGINT AS wau, mau::BIGINT AS mau,
       new_users::BIGINT AS new_users
  FROM per_day WHERE dau <> 0 OR wau <> 0 OR mau <> 0 OR new_users <> 0;
CREATE TABLE retention_by_segment AS
WITH members AS (
    SELECT u.user_id, u.cohort_week, s.attribute, s.segment
      FROM users u JOIN user_segments s USING (user_id) WHERE u.signup_date IS NOT NULL
), weeks AS (
    SELECT DISTINCT m.attribute, m.segment, m.cohort_week, m.user_id,
           (sunday(d.day) - m.cohort_week) // 7 + 1 AS week
      FROM members m JOIN user_days d USING (user_id)
), sizes AS (
    SELECT attribute, segment, cohort_week, count(*) AS n FROM members GROUP BY ALL
), on_week AS (
    SELECT attribute, segment, cohort_week, week, count(*) AS n FROM weeks GROUP BY ALL
), last_weeks AS (
    SELECT attribute, segment, cohort_week, max(week) AS last_week
      FROM weeks GROUP BY attribute, segment, cohort_week, user_id
), cells AS (
    SELECT g.attribute, g.segment, r.cohort_week, r.week_number, r.cell_status
      FROM (SELECT DISTINCT attribute, segment FROM members) g CROSS JOIN retention_cohorts r
), after AS (
    SELECT c.attribute, c.segment, c.cohort_week, c.week_number, count(l.last_week) AS n
      FROM cells c
      LEFT JOIN last_weeks l ON l.attribute = c.attribute AND l.segment IS NOT DISTINCT FROM c.segment
                            AND l.cohort_week = c.cohort_week AND l.last_week >= c.week_number
     GROUP BY ALL
)
SELECT c.attribute, c.segment, c.cohort_week, c.week_number, coalesce(z.n, 0) AS cohort_size,
       coalesce(o.n, 0) AS retained_on, a.n AS retained_on_or_after, c.cell_status
  FROM cells c
  LEFT JOIN sizes z ON z.attribute = c.attribute AND z.segment IS NOT DISTINCT FROM c.segment
                   AND z.cohort_week = c.cohort_week
  LEFT JOIN on_week o ON o.attribute = c.attribute AND o.segment IS NOT DISTINCT FROM c.segment
                     AND o.cohort_week = c.cohort_week AND o.week = c.week_number
  JOIN after a ON a.attribute = c.attribute AND a.segment IS NOT DISTINCT FROM c.segment
              AND a.cohort_week = c.cohort_week AND a.week_number = c.week_number;

CREATE TABLE event_transitions AS
SELECT prev_event_type, event_type, count(*) AS transitions
  FROM clean_events WHERE prev_event_type IS NOT NULL GROUP BY 1, 2;

-- spikes: the series over the days from the first to the last clean event
CREATE TABLE series AS
WITH days AS (
    SELECT day, events, dau FROM daily_activity
     WHERE day BETWEEN (SELECT min(day) FROM user_days) AND (SELECT max(day) FROM user_days)
)
SELECT 'events' AS series, day, events::DOUBLE AS value FROM days
UNION ALL SELECT 'dau', day, dau::DOUBLE FROM days
UNION ALL
SELECT 'events:' || t.event_type, d.day, coalesce(e.events, 0)::DOUBLE
  FROM days d CROSS JOIN (SELECT DISTINCT event_type FROM daily_event_types) t
  LEFT JOIN daily_event_types e ON e.day = d.day AND e.event_type = t.event_type;

CREATE TABLE judged AS
WITH expected AS (
    SELECT *, list_filter([lag(value, 7) OVER w, lag(value, 14) OVER w, lag(value, 21) OVER w,
                           lag(value, 28) OVER w], x -> x IS NOT NULL) AS same_weekday
      FROM series WINDOW w AS (PARTITION BY series ORDER BY day)
), scored AS (
    SELECT series, day, value,
           CASE WHEN len(same_weekday) >= 3 THEN list_aggregate(same_weekday, 'median') END AS expected
      FROM expected
), logs AS (
    SELECT *, ln((value + 1) / (expected + 1)) AS l FROM scored
), history AS (
    SELECT *, list_filter(list(l) OVER h, x -> x IS NOT NULL) AS past
      FROM logs WINDOW h AS (PARTITION BY series ORDER BY day ROWS BETWEEN 56 PRECEDING AND 1 PRECEDING)
), centred AS (
    SELECT *, CASE WHEN len(past) >= 28 THEN list_aggregate(past, 'median') END AS m FROM history
)
SELECT series, day, value, expected,
       CASE WHEN l IS NOT NULL AND m IS NOT NULL
            THEN (l - m) / greatest(1.4826 * list_aggregate(list_transform(past, x -> abs(x - m)), 'median'),
                                    0.1, 1 / sqrt(expected + 1)) END AS z,
       l IS NULL OR m IS NULL AS too_young
  FROM centred;

CREATE TABLE spikes AS
SELECT day, series, value, expected, z, CASE WHEN z >= 5 THEN 'spike' ELSE 'drop_off' END AS kind
  FROM judged WHERE NOT too_young AND abs(z) >= 5;
CREATE TABLE spike_coverage AS
SELECT series, count(*) AS days, count(*) FILTER (WHERE NOT too_young) AS judged,
       count(*) FILTER (WHERE too_young) AS too_young,
       count(*) FILTER (WHERE NOT too_young AND z >= 5) AS spikes,
       count(*) FILTER (WHERE NOT too_young AND z <= -5) AS drop_offs
  FROM judged GROUP BY series;

CREATE TABLE data_quality AS
WITH flagged_rows AS (
    SELECT flags, source_file, event_day AS day, event_type FROM enriched_events WHERE flags <> 0
    UNION ALL
    SELECT CASE WHEN p.signup_date IS NULL THEN 512 ELSE 0 END | (u.flags & 256),
           p.source_file, p.signup_date, NULL
      FROM raw_profiles p JOIN users u USING (user_id)
), kind_rows AS (
    SELECT k.kind, k.flag_bit, r.source_file, r.day, r.event_type
      FROM flagged_rows r JOIN flag_kinds k ON r.flags & k.flag_bit <> 0
)
SELECT k.kind, k.flag_bit, 'total' AS scope, NULL AS source_file, NULL::DATE AS day,
       count(r.kind) AS rows, NULL AS event_type
  FROM flag_kinds k LEFT JOIN kind_rows r USING (kind) GROUP BY 1, 2
UNION ALL
SELECT kind, flag_bit, 'file', source_file, NULL, count(*), NULL FROM kind_rows GROUP BY 1, 2, 4
UNION ALL
SELECT kind, flag_bit, 'day', NULL, day, count(*), NULL FROM kind_rows GROUP BY 1, 2, 5
UNION ALL
SELECT kind, flag_bit, 'event_type', NULL, NULL, count(*), event_type FROM kind_rows
 WHERE flag_bit = 8 GROUP BY 1, 2, 7;
