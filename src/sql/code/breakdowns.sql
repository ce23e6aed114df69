/*
 * src/sql/code/breakdowns.sql: the breakdowns by profile attribute
 * (docs/metrics.md), daily_activity_by_segment and retention_by_segment.
 * Which profile columns a build reads for them; how the counts that the
 * passes over the events made by segment key (src/analytics/
 * segment_counts.c: a key is a user's combination of segments, in
 * ritual.user_segments and ritual.segment_keys) are split by attribute;
 * how a refresh moves the users whose profile changed, and counts the
 * days the range gains.  ritual.update_reports (reporting.sql) calls
 * them, with the attributes of ritual.breakdown_attributes it read once,
 * in the order of their bytes.
 *
 * While counting, the NULL segment is '' (no segment is empty: an empty
 * value is NULL), so that segments join and group by plain equality.
 */

/*
 * The profile columns a build reads, as a select list over the raw
 * profile rows p: country and platform (NULL when the relation lacks
 * them), and segments, the values of the breakdown attributes in the order
 * of 'attributes'.  A builtin attribute the relation lacks is NULL for
 * every user; another is an error.
 */
CREATE OR REPLACE FUNCTION ritual.profile_columns(profiles_rel regclass, attributes text[])
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    missing        text;
    segment_values text;
BEGIN
    SELECT a INTO missing
      FROM unnest(attributes) AS a
     WHERE NOT ritual.has_columns(profiles_rel, ARRAY[a])
       AND NOT EXISTS (SELECT FROM ritual.breakdown_attributes b WHERE b.attribute = a AND b.builtin)
     LIMIT 1;
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'breakdown attribute "%" is not a column of %', missing, profiles_rel
              USING ERRCODE = 'undefined_column',
                    HINT = format('The columns of %s are %s. Correct the attribute with UPDATE ritual.breakdown_attributes, or delete it.',
                                  profiles_rel,
                                  (SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum)
                                     FROM pg_attribute
                                    WHERE attrelid = profiles_rel AND attnum > 0 AND NOT attisdropped));
    END IF;
    SELECT string_agg(CASE WHEN ritual.has_columns(profiles_rel, ARRAY[a])
                           THEN format('p.%I::text', a) ELSE 'NULL::text' END, ', ' ORDER BY n)
      INTO segment_values
      FROM unnest(attributes) WITH ORDINALITY AS x(a, n);
    RETURN CASE WHEN ritual.has_columns(profiles_rel, ARRAY['country', 'platform'])
                THEN 'p.country::text AS country, p.platform::text AS platform'
                ELSE 'NULL::text AS country, NULL::text AS platform' END
           || format(', ARRAY[%s]::text[] AS segments', coalesce(segment_values, ''));
END
$fn$;
COMMENT ON FUNCTION ritual.profile_columns(regclass, text[]) IS
  'internal to build_reports: the select list of the profile columns a build reads, the breakdown attributes'' values among them';

/*
 * A user active on a day is in WAU (MAU) from it for 7 (30) days, or to
 * their next active day: the stretches of WAU (MAU) that cover a user's
 * days start on an active day with no active day in the 7 (30) days
 * before it, and end 7 (30) days after an active day with none in the 7
 * (30) days after it.  Counted as steps (+1 on a start, -1 on the day of
 * an end), a day's WAU and MAU are the sums of the steps up to it.
 */
CREATE OR REPLACE FUNCTION ritual.stretch_starts(active_day date, day_before date, span integer)
RETURNS boolean
LANGUAGE sql IMMUTABLE
AS $$ SELECT day_before IS NULL OR day_before < active_day - span $$;
COMMENT ON FUNCTION ritual.stretch_starts(date, date, integer) IS
  'internal to the breakdowns: whether a stretch of WAU (span 7) or MAU (30) starts on an active day';
CREATE OR REPLACE FUNCTION ritual.stretch_ends(active_day date, day_after date, span integer)
RETURNS boolean
LANGUAGE sql IMMUTABLE
AS $$ SELECT day_after IS NULL OR day_after > active_day + span $$;
COMMENT ON FUNCTION ritual.stretch_ends(date, date, integer) IS
  'internal to the breakdowns: whether the stretch of an active day ends span days after it';

/*
 * Each segment key's segment of each attribute: '' for an attribute the
 * combination has no value of, every one for key 0 (no values).
 */
CREATE OR REPLACE FUNCTION ritual.key_segments(attributes text[])
RETURNS TABLE (segment_key integer, attribute text, segment text)
LANGUAGE sql STABLE
AS $$
    SELECT k.segment_key, a.attribute, coalesce(k.segments ->> a.attribute, '')
      FROM (SELECT segment_key, segments FROM ritual.segment_keys
            UNION ALL
            SELECT 0, '{}') k
     CROSS JOIN unnest(attributes) AS a(attribute)
$$;
COMMENT ON FUNCTION ritual.key_segments(text[]) IS
  'internal to the breakdowns: each segment key''s segment of each attribute';

/*
 * The steps (pg_temp._ritual_segment_steps) summed into daily counts, for
 * the days from first_day to last_day with a count other than 0: DAU and
 * new users as they are, WAU and MAU as the sums of their steps up to the
 * day.  Steps before first_day count in the sums; those after last_day
 * are not read.
 */
CREATE OR REPLACE FUNCTION ritual.segment_day_counts(first_day date, last_day date)
RETURNS TABLE (attribute text, segment text, day date, dau bigint, wau bigint, mau bigint,
               new_users bigint)
LANGUAGE plpgsql
AS $fn$
BEGIN
    RETURN QUERY
    WITH per_day AS (
        SELECT s.attribute, s.segment, s.day, sum(s.dau) AS dau, sum(s.wau) AS wau,
               sum(s.mau) AS mau, sum(s.new_users) AS new_users
          FROM pg_temp._ritual_segment_steps s
         WHERE s.day <= last_day
         GROUP BY 1, 2, 3
    ), every_day AS (
        -- each day from a segment's first step on, with its steps or none
        SELECT p.attribute, p.segment, p.day, p.dau, p.wau, p.mau, p.new_users FROM per_day p
        UNION ALL
        SELECT g.attribute, g.segment, d::date, 0, 0, 0, 0
          FROM (SELECT p.attribute, p.segment, min(p.day) AS first FROM per_day p GROUP BY 1, 2) g
         CROSS JOIN generate_series(g.first, last_day, interval '1 day') AS d
    ), counts AS (
        SELECT e.attribute, e.segment, e.day, sum(e.dau)::bigint AS dau,
               (sum(sum(e.wau)) OVER w)::bigint AS wau,
               (sum(sum(e.mau)) OVER w)::bigint AS mau,
               sum(e.new_users)::bigint AS new_users
          FROM every_day e
         GROUP BY e.attribute, e.segment, e.day
        WINDOW w AS (PARTITION BY e.attribute, e.segment ORDER BY e.day)
    )
    SELECT c.attribute, nullif(c.segment, ''), c.day, c.dau, c.wau, c.mau, c.new_users
      FROM counts c
     WHERE c.day >= first_day AND (c.dau <> 0 OR c.wau <> 0 OR c.mau <> 0 OR c.new_users <> 0);
END
$fn$;
COMMENT ON FUNCTION ritual.segment_day_counts(date, date) IS
  'internal to the breakdowns: the daily counts of a build''s steps by segment, for a range of days';

/*
 * The rows of daily_activity_by_segment for the days from first_day to
 * last_day, from the steps in pg_temp._ritual_segment_steps (all of those
 * the users' active days make from 30 days before first_day on) and the
 * signups of those days.
 */
CREATE OR REPLACE FUNCTION ritual.write_segment_days(attributes text[], first_day date,
                                                     last_day date)
RETURNS void
LANGUAGE plpgsql
AS $fn$
BEGIN
    INSERT INTO pg_temp._ritual_segment_steps
    SELECT g.attribute, g.segment, u.signup_date, 0, 0, 0, count(*)
      FROM ritual.users u
      LEFT JOIN ritual.user_segments k ON k.user_id = u.user_id
      JOIN ritual.key_segments(attributes) g ON g.segment_key = coalesce(k.segment_key, 0)
     WHERE u.signup_date BETWEEN first_day AND last_day
     GROUP BY 1, 2, 3;
    INSERT INTO ritual.daily_activity_by_segment
    SELECT c.attribute, c.segment, c.day, c.dau, c.wau, c.mau,
           c.dau::double precision / nullif(c.mau, 0), c.new_users
      FROM ritual.segment_day_counts(first_day, last_day) c;
END
$fn$;
COMMENT ON FUNCTION ritual.write_segment_days(text[], date, date) IS
  'internal to build_reports: writes the rows of daily_activity_by_segment of a range of days whole';

/*
 * Move the counts retention_by_segment reads, segment_cohorts and
 * segment_weeks, by the rows of pg_temp._ritual_segment_moves (per
 * attribute, segment, cohort and week: users, active users and last
 * active users, each signed; week 0 for the cohort's users).  Rows that
 * fall to 0 are deleted at the end of the build (clear_segment_counts).
 */
CREATE OR REPLACE FUNCTION ritual.move_segment_counts()
RETURNS void
LANGUAGE plpgsql
AS $fn$
BEGIN
    INSERT INTO ritual.segment_cohorts AS t
    SELECT attribute, segment, cohort_week, sum(users)
      FROM pg_temp._ritual_segment_moves WHERE week = 0
     GROUP BY 1, 2, 3 HAVING sum(users) <> 0
    ON CONFLICT (attribute, segment, cohort_week) DO UPDATE SET users = t.users + excluded.users;
    INSERT INTO ritual.segment_weeks AS t
    SELECT attribute, segment, cohort_week, week, sum(active_users), sum(last_active_users)
      FROM pg_temp._ritual_segment_moves WHERE week > 0
     GROUP BY 1, 2, 3, 4 HAVING sum(active_users) <> 0 OR sum(last_active_users) <> 0
    ON CONFLICT (attribute, segment, cohort_week, week_number)
    DO UPDATE SET active_users = t.active_users + excluded.active_users,
                  last_active_users = t.last_active_users + excluded.last_active_users;
    -- (a few rows: a DELETE costs less than a TRUNCATE's new file)
    DELETE FROM pg_temp._ritual_segment_moves;
END
$fn$;
COMMENT ON FUNCTION ritual.move_segment_counts() IS
  'internal to build_reports: moves segment_cohorts and segment_weeks by a build''s counts';

/* The rows of zeros a build's moves left in the counts by segment. */
CREATE OR REPLACE FUNCTION ritual.clear_segment_counts()
RETURNS void
LANGUAGE sql
AS $$
    DELETE FROM ritual.segment_cohorts WHERE users = 0;
    DELETE FROM ritual.segment_weeks WHERE active_users = 0 AND last_active_users = 0;
    DELETE FROM ritual.daily_activity_by_segment
     WHERE dau = 0 AND wau = 0 AND mau = 0 AND new_users = 0;
$$;
COMMENT ON FUNCTION ritual.clear_segment_counts() IS
  'internal to build_reports: deletes the rows of the breakdowns that fell to 0';

/*
 * What the pass over the events counted by segment key
 * (pg_temp._ritual_segment_day_counts and _ritual_segment_week_counts,
 * src/analytics/segment_counts.c), split by attribute: the steps of DAU,
 * WAU and MAU to _ritual_segment_steps, the weeks to segment_weeks.  A
 * full build's pass counted every user (and the cohorts' users are counted
 * here); a refresh's, what its walked users whose profile did not change
 * changed.
 */
CREATE OR REPLACE FUNCTION ritual.split_segment_counts(attributes text[], whole boolean)
RETURNS void
LANGUAGE plpgsql
AS $fn$
BEGIN
    INSERT INTO pg_temp._ritual_segment_steps
    SELECT g.attribute, g.segment, c.day, sum(c.dau), sum(c.wau), sum(c.mau), 0
      FROM pg_temp._ritual_segment_day_counts c
      JOIN ritual.key_segments(attributes) g ON g.segment_key = c.segment_key
     GROUP BY 1, 2, 3;
    INSERT INTO pg_temp._ritual_segment_moves
    SELECT g.attribute, g.segment, c.cohort_week, c.week, 0, c.active_users, c.last_active_users
      FROM pg_temp._ritual_segment_week_counts c
      JOIN ritual.key_segments(attributes) g ON g.segment_key = c.segment_key;
    IF whole THEN
        INSERT INTO pg_temp._ritual_segment_moves
        SELECT g.attribute, g.segment, u.cohort_week, 0, count(*), 0, 0
          FROM ritual.users u
          LEFT JOIN ritual.user_segments k ON k.user_id = u.user_id
          JOIN ritual.key_segments(attributes) g ON g.segment_key = coalesce(k.segment_key, 0)
         WHERE u.signup_date IS NOT NULL
         GROUP BY 1, 2, 3;
    END IF;
    PERFORM ritual.move_segment_counts();
END
$fn$;
COMMENT ON FUNCTION ritual.split_segment_counts(text[], boolean) IS
  'internal to build_reports: splits the pass''s counts by segment key by attribute';

/*
 * A refresh's rows of daily_activity_by_segment for days the range gains
 * (first_day to last_day), counted whole: each user's active days from 30
 * days before (as far back as the first day's MAU reaches) as steps, by
 * segment key.
 */
CREATE OR REPLACE FUNCTION ritual.count_segment_days(attributes text[], first_day date,
                                                     last_day date)
RETURNS void
LANGUAGE plpgsql
AS $fn$
BEGIN
    TRUNCATE pg_temp._ritual_segment_steps;
    INSERT INTO pg_temp._ritual_segment_steps
    WITH active AS (
        SELECT user_id, day, lag(day) OVER u AS day_before, lead(day) OVER u AS day_after
          FROM ritual.user_days
         WHERE day BETWEEN first_day - 30 AND last_day
        WINDOW u AS (PARTITION BY user_id ORDER BY day)
    ), keyed AS MATERIALIZED (
        SELECT coalesce(k.segment_key, 0) AS segment_key, d.day,
               ritual.stretch_starts(d.day, d.day_before, 7) AS starts_week,
               ritual.stretch_starts(d.day, d.day_before, 30) AS starts_month,
               ritual.stretch_ends(d.day, d.day_after, 7) AS ends_week,
               ritual.stretch_ends(d.day, d.day_after, 30) AS ends_month
          FROM active d LEFT JOIN ritual.user_segments k ON k.user_id = d.user_id
    ), steps AS (
        SELECT segment_key, day, count(*) AS dau, count(*) FILTER (WHERE starts_week) AS wau,
               count(*) FILTER (WHERE starts_month) AS mau
          FROM keyed GROUP BY 1, 2
        UNION ALL
        SELECT segment_key, day + 7, 0, -count(*), 0 FROM keyed
         WHERE ends_week AND day + 7 <= last_day GROUP BY 1, 2
        UNION ALL
        SELECT segment_key, day + 30, 0, 0, -count(*) FROM keyed
         WHERE ends_month AND day + 30 <= last_day GROUP BY 1, 2
    )
    SELECT g.attribute, g.segment, s.day, sum(s.dau), sum(s.wau), sum(s.mau), 0
      FROM steps s JOIN ritual.key_segments(attributes) g ON g.segment_key = s.segment_key
     GROUP BY 1, 2, 3;
    PERFORM ritual.write_segment_days(attributes, first_day, last_day);
END
$fn$;
COMMENT ON FUNCTION ritual.count_segment_days(text[], date, date) IS
  'internal to refresh_reports: counts the rows of daily_activity_by_segment of the days a refresh gains whole';

/*
 * A refresh's users whose profile changed, with what they were and are
 * (pg_temp._ritual_segment_members, sign -1 and 1): each attribute's
 * segment, their cohort and signup (_ritual_old_segments and
 * _ritual_old_users hold what they were).  Every count of theirs moves:
 * their segments may have changed.  The pass over the events counted
 * what the others change.
 */
CREATE OR REPLACE FUNCTION ritual.find_segment_members(attributes text[])
RETURNS void
LANGUAGE plpgsql
AS $fn$
BEGIN
    INSERT INTO pg_temp._ritual_segment_members
    SELECT p.user_id, 1, g.attribute, g.segment, u.cohort_week, u.signup_date
      FROM pg_temp._ritual_profile_users p
      LEFT JOIN ritual.users u ON u.user_id = p.user_id
      LEFT JOIN ritual.user_segments s ON s.user_id = p.user_id
      JOIN ritual.key_segments(attributes) g ON g.segment_key = coalesce(s.segment_key, 0)
    UNION ALL
    SELECT p.user_id, -1, g.attribute, g.segment, o.cohort_week, o.signup_date
      FROM pg_temp._ritual_profile_users p
      LEFT JOIN pg_temp._ritual_old_users o ON o.user_id = p.user_id
      LEFT JOIN pg_temp._ritual_old_segments s ON s.user_id = p.user_id
      JOIN ritual.key_segments(attributes) g ON g.segment_key = coalesce(s.segment_key, 0);
END
$fn$;
COMMENT ON FUNCTION ritual.find_segment_members(text[]) IS
  'internal to refresh_reports: the users whose profile changed, with their segments before and now';

/*
 * A refresh's moves of daily_activity_by_segment on the days it kept
 * (kept_first to kept_last; update_reports counts the days it gains
 * whole): the steps the pass counted (split by split_segment_counts), and
 * when profiles changed, those of the users whose profile changed, who
 * move whole: the steps of
 * their active days now, in their segments now, less those before, in
 * their segments then (a day's clean events before are its events now
 * less what the pass changed, pg_temp._ritual_changes).
 */
CREATE OR REPLACE FUNCTION ritual.move_segment_days(kept_first date, kept_last date,
                                                    profiles_changed boolean)
RETURNS void
LANGUAGE plpgsql
AS $fn$
BEGIN
    IF profiles_changed THEN
        INSERT INTO pg_temp._ritual_segment_steps
        WITH changed AS (
            SELECT c.user_id, c.day, sum(c.delta) AS delta
              FROM pg_temp._ritual_changes c JOIN pg_temp._ritual_profile_users USING (user_id)
             GROUP BY 1, 2
        ), days AS (
            SELECT d.user_id, d.day, d.events - coalesce(c.delta, 0) > 0 AS was_active, true AS is_active
              FROM pg_temp._ritual_profile_users p
              JOIN ritual.user_days d ON d.user_id = p.user_id
              LEFT JOIN changed c ON c.user_id = d.user_id AND c.day = d.day
            UNION ALL
            -- the days that lost their last clean event
            SELECT c.user_id, c.day, true, false
              FROM changed c
             WHERE c.delta < 0
               AND NOT EXISTS (SELECT FROM ritual.user_days d WHERE d.user_id = c.user_id AND d.day = c.day)
        ), versions AS (
            SELECT user_id, day, -1 AS sign FROM days WHERE was_active
            UNION ALL
            SELECT user_id, day, 1 FROM days WHERE is_active
        ), ordered AS (
            SELECT user_id, sign, day, lag(day) OVER v AS day_before, lead(day) OVER v AS day_after
              FROM versions
            WINDOW v AS (PARTITION BY user_id, sign ORDER BY day)
        ), signed AS (
            SELECT m.attribute, m.segment, o.sign, o.day,
                   ritual.stretch_starts(o.day, o.day_before, 7) AS starts_week,
                   ritual.stretch_starts(o.day, o.day_before, 30) AS starts_month,
                   ritual.stretch_ends(o.day, o.day_after, 7) AS ends_week,
                   ritual.stretch_ends(o.day, o.day_after, 30) AS ends_month
              FROM ordered o
              JOIN pg_temp._ritual_segment_members m ON m.user_id = o.user_id AND m.sign = o.sign
        )
        SELECT attribute, segment, day, sum(sign), sum(sign) FILTER (WHERE starts_week),
               sum(sign) FILTER (WHERE starts_month), 0
          FROM signed GROUP BY 1, 2, 3
        UNION ALL
        SELECT attribute, segment, day + 7, 0, -sum(sign), 0, 0 FROM signed
         WHERE ends_week GROUP BY 1, 2, 3
        UNION ALL
        SELECT attribute, segment, day + 30, 0, 0, -sum(sign), 0 FROM signed
         WHERE ends_month GROUP BY 1, 2, 3
        UNION ALL
        SELECT attribute, segment, signup_date, 0, 0, 0, sum(sign)
          FROM pg_temp._ritual_segment_members
         WHERE signup_date IS NOT NULL
         GROUP BY 1, 2, 3;
    END IF;

    INSERT INTO ritual.daily_activity_by_segment AS t
    SELECT c.attribute, c.segment, c.day, c.dau, c.wau, c.mau,
           c.dau::double precision / nullif(c.mau, 0), c.new_users
      FROM ritual.segment_day_counts(kept_first, kept_last) c
    ON CONFLICT (attribute, segment, day)
    DO UPDATE SET dau = t.dau + excluded.dau, wau = t.wau + excluded.wau,
                  mau = t.mau + excluded.mau, new_users = t.new_users + excluded.new_users,
                  stickiness = (t.dau + excluded.dau)::double precision / nullif(t.mau + excluded.mau, 0);
END
$fn$;
COMMENT ON FUNCTION ritual.move_segment_days(date, date, boolean) IS
  'internal to refresh_reports: moves daily_activity_by_segment by what its users changed';

/*
 * What the users whose profile changed (pg_temp._ritual_segment_members
 * of one sign) add to retention by segment, multiplied by the sign: their
 * cohorts, their weeks with clean events and their last such week.  A
 * refresh counts them before user_weeks moves with sign -1, and after
 * with 1.
 */
CREATE OR REPLACE FUNCTION ritual.count_member_weeks(member_sign integer)
RETURNS void
LANGUAGE plpgsql
AS $fn$
BEGIN
    INSERT INTO pg_temp._ritual_segment_moves
    WITH weeks AS (
        SELECT m.attribute, m.segment, m.cohort_week, m.user_id, w.week_number
          FROM pg_temp._ritual_segment_members m
          JOIN ritual.user_weeks w ON w.user_id = m.user_id
         WHERE m.sign = member_sign AND m.cohort_week IS NOT NULL
    )
    SELECT attribute, segment, cohort_week, 0, member_sign * count(*), 0, 0
      FROM pg_temp._ritual_segment_members
     WHERE sign = member_sign AND cohort_week IS NOT NULL
     GROUP BY 1, 2, 3
    UNION ALL
    SELECT attribute, segment, cohort_week, week_number, 0, member_sign * count(*), 0
      FROM weeks GROUP BY 1, 2, 3, 4
    UNION ALL
    SELECT attribute, segment, cohort_week, last_week, 0, 0, member_sign * count(*)
      FROM (SELECT attribute, segment, cohort_week, max(week_number) AS last_week
              FROM weeks GROUP BY attribute, segment, cohort_week, user_id) l
     GROUP BY 1, 2, 3, 4;
    PERFORM ritual.move_segment_counts();
END
$fn$;
COMMENT ON FUNCTION ritual.count_member_weeks(integer) IS
  'internal to refresh_reports: what the users whose profile changed add to retention by segment, before or after';

REVOKE EXECUTE ON FUNCTION ritual.profile_columns(regclass, text[]),
    ritual.stretch_starts(date, date, integer), ritual.stretch_ends(date, date, integer),
    ritual.key_segments(text[]), ritual.segment_day_counts(date, date),
    ritual.write_segment_days(text[], date, date), ritual.move_segment_counts(),
    ritual.clear_segment_counts(), ritual.split_segment_counts(text[], boolean),
    ritual.count_segment_days(text[], date, date), ritual.find_segment_members(text[]),
    ritual.move_segment_days(date, date, boolean), ritual.count_member_weeks(integer)
  FROM PUBLIC;
