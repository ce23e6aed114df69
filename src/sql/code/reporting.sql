/*
 * src/sql/code/reporting.sql: the reporting layer's functions.
 * ritual.build_reports() and ritual.refresh_reports() fill the tables of
 * src/sql/tables/reporting.sql from a raw events relation and a raw
 * profiles relation, as docs/reporting.md defines every metric.
 */

/*
 * The events with no flag, what every metric counts: a view, not a second
 * copy that every build would write and index again (the indexes of
 * enriched_events serve it).
 */
CREATE OR REPLACE VIEW ritual.clean_events AS
SELECT event_id, user_id, event_type, raw_event_type, event_date, event_day, signup_date,
       cohort_week, week_number_since_signup, prev_event_type, next_event_type,
       session_number, flags, flag_names, source_file, source_line
  FROM ritual.enriched_events
 WHERE flags = 0;
COMMENT ON VIEW ritual.clean_events IS
  'The enriched events that carry no anomaly flag; every metric is computed over these.';

/*
 * Lifecycle and stickiness, from the counts the builds' passes keep
 * (src/analytics/user_activity.c): views, as these are a few hundred rows
 * that the counts give directly, with the zeros and the span of weeks
 * (months) from the first to the last one with a clean event.
 */
CREATE OR REPLACE VIEW ritual.weekly_lifecycle AS
WITH span AS (
    SELECT min(period) AS first_week, max(period) AS last_week,
           (SELECT max(day) FROM ritual.daily_activity WHERE dau > 0) AS last_day
      FROM ritual.activity_counts WHERE kind IN ('new', 'returning', 'resurrecting')
), counts AS (
    SELECT period,
           sum(users) FILTER (WHERE kind = 'new') AS new_users,
           sum(users) FILTER (WHERE kind = 'returning') AS returning_users,
           sum(users) FILTER (WHERE kind = 'resurrecting') AS resurrecting_users,
           sum(users) FILTER (WHERE kind = 'dormant') AS dormant_users
      FROM ritual.activity_counts
     WHERE kind IN ('new', 'returning', 'resurrecting', 'dormant')
     GROUP BY period
), weeks AS (
    SELECT s.first_week + 7 * n AS week, s.last_day
      FROM span s, generate_series(0, (s.last_week - s.first_week) / 7) AS n
)
SELECT w.week,
       (coalesce(c.new_users, 0) + coalesce(c.returning_users, 0)
        + coalesce(c.resurrecting_users, 0))::bigint AS active_users,
       coalesce(c.new_users, 0)::bigint AS new_users,
       coalesce(c.returning_users, 0)::bigint AS returning_users,
       coalesce(c.resurrecting_users, 0)::bigint AS resurrecting_users,
       (-coalesce(c.dormant_users, 0))::bigint AS dormant_users,
       CASE WHEN w.week + 6 <= w.last_day THEN 'complete' ELSE 'incomplete' END AS week_status
  FROM weeks w LEFT JOIN counts c ON c.period = w.week;
COMMENT ON VIEW ritual.weekly_lifecycle IS
  'Per Sunday week from the first to the last with a clean event: its active users as new, returning and resurrecting, and the users who went dormant.';
COMMENT ON COLUMN ritual.weekly_lifecycle.week IS 'the Sunday that starts the week';
COMMENT ON COLUMN ritual.weekly_lifecycle.active_users IS 'users with a clean event in the week: new_users + returning_users + resurrecting_users';
COMMENT ON COLUMN ritual.weekly_lifecycle.new_users IS 'users whose first week with a clean event this is';
COMMENT ON COLUMN ritual.weekly_lifecycle.returning_users IS 'users active in the week and in the week before';
COMMENT ON COLUMN ritual.weekly_lifecycle.resurrecting_users IS 'users active in the week, not in the week before, and in some earlier week';
COMMENT ON COLUMN ritual.weekly_lifecycle.dormant_users IS 'minus the users active in the week before and not in this one (negative, as PostHog draws it)';
COMMENT ON COLUMN ritual.weekly_lifecycle.week_status IS '''complete'' when the week''s Saturday is on or before the last day with a clean event, else ''incomplete''';

CREATE OR REPLACE VIEW ritual.weekly_stickiness AS
WITH span AS (
    SELECT min(period) AS first_week, max(period) AS last_week,
           (SELECT max(day) FROM ritual.daily_activity WHERE dau > 0) AS last_day
      FROM ritual.activity_counts WHERE kind = 'week_days'
), weeks AS (
    SELECT s.first_week + 7 * n AS week, s.last_day
      FROM span s, generate_series(0, (s.last_week - s.first_week) / 7) AS n
), cells AS (
    SELECT w.week, k AS days_active, coalesce(c.users, 0) AS users, w.last_day
      FROM weeks w CROSS JOIN generate_series(1, 7) AS k
      LEFT JOIN ritual.activity_counts c
        ON c.kind = 'week_days' AND c.period = w.week AND c.days = k
)
SELECT week, days_active, users,
       users::double precision / nullif(sum(users) OVER (PARTITION BY week), 0) AS pct_of_active,
       CASE WHEN week + 6 <= last_day THEN 'complete' ELSE 'incomplete' END AS week_status
  FROM cells;
COMMENT ON VIEW ritual.weekly_stickiness IS
  'Per Sunday week from the first to the last with a clean event, and k from 1 to 7: the users with a clean event on exactly k days of the week.';
COMMENT ON COLUMN ritual.weekly_stickiness.week IS 'the Sunday that starts the week';
COMMENT ON COLUMN ritual.weekly_stickiness.days_active IS 'k, from 1 to 7';
COMMENT ON COLUMN ritual.weekly_stickiness.users IS 'users with a clean event on exactly k days of the week; over k, the week''s active users';
COMMENT ON COLUMN ritual.weekly_stickiness.pct_of_active IS 'users / the week''s active users; NULL when it had none';
COMMENT ON COLUMN ritual.weekly_stickiness.week_status IS '''complete'' when the week''s Saturday is on or before the last day with a clean event, else ''incomplete''';

CREATE OR REPLACE VIEW ritual.monthly_stickiness AS
WITH span AS (
    SELECT min(period) AS first_month, max(period) AS last_month,
           (SELECT max(day) FROM ritual.daily_activity WHERE dau > 0) AS last_day
      FROM ritual.activity_counts WHERE kind = 'month_days'
), months AS (
    SELECT (s.first_month + make_interval(months => n))::date AS month, s.last_day
      FROM span s,
           generate_series(0, (extract(year FROM s.last_month) * 12 + extract(month FROM s.last_month)
                               - extract(year FROM s.first_month) * 12
                               - extract(month FROM s.first_month))::int) AS n
), cells AS (
    SELECT m.month, k AS days_active, coalesce(c.users, 0) AS users, m.last_day
      FROM months m CROSS JOIN generate_series(1, 31) AS k
      LEFT JOIN ritual.activity_counts c
        ON c.kind = 'month_days' AND c.period = m.month AND c.days = k
)
SELECT month, days_active, users,
       users::double precision / nullif(sum(users) OVER (PARTITION BY month), 0) AS pct_of_active,
       CASE WHEN (month + interval '1 month')::date - 1 <= last_day
            THEN 'complete' ELSE 'incomplete' END AS month_status
  FROM cells;
COMMENT ON VIEW ritual.monthly_stickiness IS
  'Per calendar month from the first to the last with a clean event, and k from 1 to 31: the users with a clean event on exactly k days of the month.';
COMMENT ON COLUMN ritual.monthly_stickiness.month IS 'the first day of the month';
COMMENT ON COLUMN ritual.monthly_stickiness.days_active IS 'k, from 1 to 31 (in every month, with zeros where a month is shorter)';
COMMENT ON COLUMN ritual.monthly_stickiness.users IS 'users with a clean event on exactly k days of the month; over k, the month''s active users';
COMMENT ON COLUMN ritual.monthly_stickiness.pct_of_active IS 'users / the month''s active users; NULL when it had none';
COMMENT ON COLUMN ritual.monthly_stickiness.month_status IS '''complete'' when the month''s last day is on or before the last day with a clean event, else ''incomplete''';

/*
 * Session paths, from the counts the builds' passes keep
 * (src/analytics/session_paths.c): each path with its steps, its sessions
 * and users, and its share of all sessions.
 */
CREATE OR REPLACE VIEW ritual.session_paths AS
SELECT path,
       split_part(path, ' > ', 1) AS step_1,
       nullif(split_part(path, ' > ', 2), '') AS step_2,
       nullif(split_part(path, ' > ', 3), '') AS step_3,
       sessions, users,
       sessions::double precision / nullif(sum(sessions) OVER (), 0) AS share
  FROM ritual.path_counts;
COMMENT ON VIEW ritual.session_paths IS
  'Each session path (a session''s first three clean event types, in order) with its sessions, its distinct users and its share of all sessions.';
COMMENT ON COLUMN ritual.session_paths.path IS 'the types joined by '' > '', as sessions.path spells it';
COMMENT ON COLUMN ritual.session_paths.step_1 IS 'the session''s first clean event type';
COMMENT ON COLUMN ritual.session_paths.step_2 IS 'its second; NULL for a session of one event';
COMMENT ON COLUMN ritual.session_paths.step_3 IS 'its third; NULL for a session of fewer than three events';
COMMENT ON COLUMN ritual.session_paths.sessions IS 'sessions with the path';
COMMENT ON COLUMN ritual.session_paths.users IS 'distinct users with at least one session with the path';
COMMENT ON COLUMN ritual.session_paths.share IS 'sessions / all sessions';

/*
 * Retention by segment, from the counts of segment_cohorts and
 * segment_weeks (src/sql/code/breakdowns.sql keeps them): every segment
 * with a cohort member has every cell of retention_cohorts (zeros kept),
 * with its status.
 */
CREATE OR REPLACE VIEW ritual.retention_by_segment AS
WITH segments AS (
    SELECT attribute, segment FROM ritual.segment_cohorts GROUP BY attribute, segment
), cells AS (
    SELECT g.attribute, g.segment, c.cohort_week, c.week_number,
           coalesce(z.users, 0) AS cohort_size,
           coalesce(w.active_users, 0) AS retained_on,
           sum(coalesce(w.last_active_users, 0))
               OVER (PARTITION BY g.attribute, g.segment, c.cohort_week
                     ORDER BY c.week_number DESC) AS retained_on_or_after,
           c.cell_status
      FROM segments g
     CROSS JOIN ritual.retention_cohorts c
      LEFT JOIN ritual.segment_cohorts z
        ON z.attribute = g.attribute AND z.segment = g.segment AND z.cohort_week = c.cohort_week
      LEFT JOIN ritual.segment_weeks w
        ON w.attribute = g.attribute AND w.segment = g.segment AND w.cohort_week = c.cohort_week
       AND w.week_number = c.week_number
)
SELECT attribute, nullif(segment, '') AS segment, cohort_week, week_number,
       cohort_size::bigint AS cohort_size, retained_on::bigint AS retained_on,
       retained_on::double precision / nullif(cohort_size, 0) AS pct_on,
       retained_on_or_after::bigint AS retained_on_or_after,
       retained_on_or_after::double precision / nullif(cohort_size, 0) AS pct_on_or_after,
       cell_status
  FROM cells;
COMMENT ON VIEW ritual.retention_by_segment IS
  'retention_cohorts split by a profile attribute of ritual.breakdown_attributes: every segment with a cohort member has every cell of retention_cohorts (zeros kept), and per attribute the segments of a cell sum to its total.';
COMMENT ON COLUMN ritual.retention_by_segment.attribute IS 'the profile attribute, as ritual.breakdown_attributes names it';
COMMENT ON COLUMN ritual.retention_by_segment.segment IS 'the users'' value of the attribute; NULL when missing or empty';
COMMENT ON COLUMN ritual.retention_by_segment.cohort_week IS 'the Sunday that starts the cohort''s signup week';
COMMENT ON COLUMN ritual.retention_by_segment.week_number IS 'week since signup, from 1 (the signup week)';
COMMENT ON COLUMN ritual.retention_by_segment.cohort_size IS 'users of the cohort and segment; 0 when the segment has none in that cohort';
COMMENT ON COLUMN ritual.retention_by_segment.retained_on IS 'users of the cohort and segment with a clean event in that week';
COMMENT ON COLUMN ritual.retention_by_segment.pct_on IS 'retained_on / cohort_size; NULL when cohort_size is 0';
COMMENT ON COLUMN ritual.retention_by_segment.retained_on_or_after IS 'users of the cohort and segment with a clean event in that week or later';
COMMENT ON COLUMN ritual.retention_by_segment.pct_on_or_after IS 'retained_on_or_after / cohort_size; NULL when cohort_size is 0';
COMMENT ON COLUMN ritual.retention_by_segment.cell_status IS 'the cell''s status in retention_cohorts';


/*
 * The flag kinds, by bit, as rows.
 */
CREATE OR REPLACE FUNCTION ritual.flag_kinds(OUT kind text, OUT flag_bit integer)
RETURNS SETOF record
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT (ritual.flag_names(1 << i))[1], 1 << i FROM generate_series(0, 9) AS i
$$;
COMMENT ON FUNCTION ritual.flag_kinds() IS 'every anomaly kind with its bit';

/*
 * The spike detector's scores of every day of pg_temp._ritual_series, into
 * pg_temp._ritual_judged (src/analytics/spike_scores.c): expected value,
 * and z for the days from judge_from on with enough history.
 */
CREATE OR REPLACE FUNCTION ritual.judge_days(judge_from date)
RETURNS void
AS 'MODULE_PATHNAME', 'ritual_judge_days'
LANGUAGE C VOLATILE STRICT
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ritual.judge_days(date) IS
  'internal to detect_spikes: scores the days of the daily series into its scratch table';

/*
 * A daily series' spikes and drop-offs, as docs/metrics.md defines them,
 * for the series in table _ritual_series (series, day, value) of this
 * session.  Every day with enough history is judged, whatever its volume:
 * the Poisson term of sigma keeps small series from false alarms.
 */
CREATE OR REPLACE FUNCTION ritual.detect_spikes(threshold double precision, judge_from date)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    -- every day's expected value and score, and z for the days from
    -- judge_from on with enough history (src/analytics/spike_scores.c)
    CREATE TEMP TABLE _ritual_judged (series text, day date, value double precision,
                                      expected double precision, z double precision,
                                      too_young boolean) ON COMMIT DROP;
    PERFORM ritual.judge_days(judge_from);

    -- spikes before judge_from stay as they were
    DELETE FROM ritual.spikes WHERE day >= judge_from;
    INSERT INTO ritual.spikes (day, series, value, expected, z, kind)
    SELECT day, series, value, expected, z,
           CASE WHEN z >= threshold THEN 'spike' ELSE 'drop_off' END
      FROM _ritual_judged
     WHERE day >= judge_from AND NOT too_young AND abs(z) >= threshold;

    DELETE FROM ritual.spike_coverage;
    INSERT INTO ritual.spike_coverage
    SELECT j.series, j.days, j.judged, j.too_young,
           coalesce(s.spikes, 0), coalesce(s.drop_offs, 0)
      FROM (SELECT series, count(*) AS days, count(*) FILTER (WHERE NOT too_young) AS judged,
                   count(*) FILTER (WHERE too_young) AS too_young
              FROM _ritual_judged GROUP BY series) j
      LEFT JOIN (SELECT series, count(*) FILTER (WHERE kind = 'spike') AS spikes,
                        count(*) FILTER (WHERE kind = 'drop_off') AS drop_offs
                   FROM ritual.spikes GROUP BY series) s USING (series);
END
$fn$;
COMMENT ON FUNCTION ritual.detect_spikes(double precision, date) IS
  'internal to build_reports: judges the days of the daily series from judge_from on into spikes, and counts spike_coverage';

/*
 * retention_cohorts, written whole from the counts of this session's
 * _ritual_cohort_sizes (cohort_week, cohort_size) and _ritual_retained
 * (per cohort and week, users active in it and users whose last active
 * week it is, in rows to sum): every cell from the cohorts' signup week to
 * the last day with a clean event (no week of a user is past it, so every
 * count has its cell).  DELETE, not TRUNCATE: a reader whose snapshot is
 * older than this build must still see the old rows, not an empty table.
 * A single node's build and a coordinator's assembly both write it so.
 */
CREATE OR REPLACE FUNCTION ritual.write_retention_cohorts(last_clean date)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    DELETE FROM ritual.retention_cohorts;
    INSERT INTO ritual.retention_cohorts
    WITH retained AS (
        SELECT cohort_week, week, sum(active) AS active, sum(last_active) AS last_active
          FROM pg_temp._ritual_retained GROUP BY 1, 2
    ), cells AS (
        SELECT c.cohort_week, n AS week_number, c.cohort_size,
               coalesce(r.active, 0)::bigint AS retained_on,
               (sum(coalesce(r.last_active, 0))
                    OVER (PARTITION BY c.cohort_week ORDER BY n DESC))::bigint AS retained_on_or_after
          FROM pg_temp._ritual_cohort_sizes c
         CROSS JOIN generate_series(1, (last_clean - c.cohort_week) / 7 + 1) AS n
          LEFT JOIN retained r ON r.cohort_week = c.cohort_week AND r.week = n
    )
    SELECT cohort_week, week_number, cohort_size,
           retained_on, retained_on::double precision / cohort_size,
           retained_on_or_after, retained_on_or_after::double precision / cohort_size,
           CASE WHEN cohort_week + 7 * week_number - 1 <= last_clean
                THEN 'complete' ELSE 'incomplete' END
      FROM cells;
END
$fn$;
COMMENT ON FUNCTION ritual.write_retention_cohorts(date) IS
  'internal: writes retention_cohorts from the cohort sizes and retained counts of the build''s scratch tables';

/*
 * Drop a scratch table of this session's, left by an earlier build in the
 * same transaction (a build's, or a coordinator's global build's).
 */
CREATE OR REPLACE FUNCTION ritual.drop_scratch(name text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    IF to_regclass(format('pg_temp.%I', name)) IS NOT NULL THEN
        EXECUTE format('DROP TABLE pg_temp.%I', name);
    END IF;
END
$fn$;
COMMENT ON FUNCTION ritual.drop_scratch(text) IS
  'internal: drops a temporary table of an earlier build, if there is one';

/*
 * ritual.build_reports: (re)build every reporting table from the raw events
 * and profiles.  The events relation needs user_id, event_type and
 * event_date, the profiles relation user_id and signup_date; source_file and
 * source_line (and country, platform) are used when present.  It empties
 * everything, then runs the refresh machinery with every row new.
 */
CREATE OR REPLACE FUNCTION ritual.build_reports(
    events          text DEFAULT 'ritual.raw_events',
    profiles        text DEFAULT 'ritual.raw_profiles',
    reference_time  timestamp DEFAULT NULL,
    session_gap     interval DEFAULT '30 minutes',
    spike_threshold double precision DEFAULT 5)
RETURNS TABLE (report text, row_count bigint)
LANGUAGE plpgsql
AS $fn$
BEGIN
    IF NOT pg_has_role((SELECT relowner FROM pg_class WHERE oid = 'ritual.users'::regclass), 'USAGE') THEN
        RAISE EXCEPTION 'permission denied to build the reports' USING ERRCODE = 'insufficient_privilege',
              HINT = 'The reporting tables are written by their owner, the role that created the extension, or a superuser.';
    END IF;
    PERFORM ritual.update_reports(events, profiles, reference_time, session_gap,
                                  spike_threshold, false);
    RETURN QUERY SELECT * FROM ritual.report_counts();
END
$fn$;
COMMENT ON FUNCTION ritual.build_reports(text, text, timestamp, interval, double precision) IS
  'rebuild every reporting table from a raw events relation and a raw profiles relation';

/*
 * ritual.refresh_reports: bring the reports up to date with the rows
 * appended to the raw relations since the last build, touching only what
 * they affect; the result equals build_reports.  Both relations must have
 * source_file and source_line (they find the new rows); it rebuilds, with a
 * NOTICE, when it cannot be incremental.
 */
CREATE OR REPLACE FUNCTION ritual.refresh_reports(
    events          text DEFAULT 'ritual.raw_events',
    profiles        text DEFAULT 'ritual.raw_profiles',
    reference_time  timestamp DEFAULT NULL,
    session_gap     interval DEFAULT '30 minutes',
    spike_threshold double precision DEFAULT 5)
RETURNS TABLE (report text, row_count bigint)
LANGUAGE plpgsql
AS $fn$
DECLARE
    rel regclass;
BEGIN
    IF NOT pg_has_role((SELECT relowner FROM pg_class WHERE oid = 'ritual.users'::regclass), 'USAGE') THEN
        RAISE EXCEPTION 'permission denied to build the reports' USING ERRCODE = 'insufficient_privilege',
              HINT = 'The reporting tables are written by their owner, the role that created the extension, or a superuser.';
    END IF;
    FOREACH rel IN ARRAY ARRAY[events::regclass, profiles::regclass] LOOP
        IF NOT ritual.has_columns(rel, ARRAY['source_file', 'source_line']) THEN
            RAISE EXCEPTION 'relation % has no provenance columns source_file and source_line', rel
                  USING ERRCODE = 'undefined_column',
                        HINT = 'refresh_reports finds new rows by file and line; use build_reports for relations without them.';
        END IF;
    END LOOP;
    PERFORM ritual.update_reports(events, profiles, reference_time, session_gap,
                                  spike_threshold, true);
    RETURN QUERY SELECT * FROM ritual.report_counts();
END
$fn$;
COMMENT ON FUNCTION ritual.refresh_reports(text, text, timestamp, interval, double precision) IS
  'bring every reporting table up to date with the rows appended to the raw relations since the last build; equal to build_reports';

/* The rows of each report, as build_reports and refresh_reports return them. */
CREATE OR REPLACE FUNCTION ritual.report_counts()
RETURNS TABLE (report text, row_count bigint)
LANGUAGE sql STABLE
AS $$
    -- the build kept the rows of the two large tables, when it could
    SELECT 'enriched_events', coalesce((SELECT event_rows FROM ritual.refresh_state),
                                       (SELECT count(*) FROM ritual.enriched_events))
    UNION ALL
    SELECT 'clean_events', coalesce((SELECT clean_rows FROM ritual.refresh_state),
                                    (SELECT count(*) FROM ritual.clean_events))
    UNION ALL SELECT 'users', count(*) FROM ritual.users
    UNION ALL
    SELECT 'sessions', coalesce((SELECT session_rows FROM ritual.refresh_state),
                                (SELECT count(*) FROM ritual.sessions))
    UNION ALL SELECT 'daily_activity', count(*) FROM ritual.daily_activity
    UNION ALL SELECT 'daily_activity_by_segment', count(*) FROM ritual.daily_activity_by_segment
    UNION ALL SELECT 'daily_event_types', count(*) FROM ritual.daily_event_types
    UNION ALL SELECT 'retention_cohorts', count(*) FROM ritual.retention_cohorts
    -- (the view has every cell of the totals for each segment with a member)
    UNION ALL
    SELECT 'retention_by_segment',
           (SELECT count(*) FROM (SELECT DISTINCT attribute, segment FROM ritual.segment_cohorts) g)
           * (SELECT count(*) FROM ritual.retention_cohorts)
    UNION ALL SELECT 'weekly_lifecycle', count(*) FROM ritual.weekly_lifecycle
    UNION ALL SELECT 'weekly_stickiness', count(*) FROM ritual.weekly_stickiness
    UNION ALL SELECT 'monthly_stickiness', count(*) FROM ritual.monthly_stickiness
    UNION ALL SELECT 'funnel_steps', count(*) FROM ritual.funnel_steps
    UNION ALL SELECT 'session_paths', count(*) FROM ritual.path_counts
    UNION ALL SELECT 'event_transitions', count(*) FROM ritual.event_transitions
    UNION ALL SELECT 'spikes', count(*) FROM ritual.spikes
    UNION ALL SELECT 'data_quality', count(*) FROM ritual.data_quality
$$;
COMMENT ON FUNCTION ritual.report_counts() IS 'internal: rows of each reporting table, what a build returns';

/* A relation's schema-qualified name, as refresh_watermarks keeps it. */
CREATE OR REPLACE FUNCTION ritual.qualified_name(rel regclass)
RETURNS text
LANGUAGE sql STABLE
AS $$
    SELECT format('%I.%I', n.nspname, c.relname)
      FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     WHERE c.oid = rel
$$;
COMMENT ON FUNCTION ritual.qualified_name(regclass) IS 'internal: schema-qualified name of a relation';

/*
 * Whether a relation has a valid, non-partial btree index that starts with
 * (source_file, source_line), of types text and bigint: then a refresh
 * finds its new rows through the index instead of reading every row.
 */
CREATE OR REPLACE FUNCTION ritual.has_provenance_index(rel regclass)
RETURNS boolean
LANGUAGE sql STABLE
AS $$
    SELECT EXISTS (
        SELECT FROM pg_catalog.pg_index x
          JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid
          JOIN pg_catalog.pg_am am ON am.oid = i.relam
          JOIN pg_catalog.pg_attribute f ON f.attrelid = x.indrelid AND f.attnum = x.indkey[0]
          JOIN pg_catalog.pg_attribute l ON l.attrelid = x.indrelid AND l.attnum = x.indkey[1]
         WHERE x.indrelid = rel AND x.indisvalid AND x.indpred IS NULL AND am.amname = 'btree'
           AND f.attname = 'source_file' AND f.atttypid = 'text'::regtype
           AND l.attname = 'source_line' AND l.atttypid = 'bigint'::regtype
           AND x.indcollation[0] = f.attcollation)
$$;
COMMENT ON FUNCTION ritual.has_provenance_index(regclass) IS
  'internal to refresh_reports: whether the relation has an index on (source_file, source_line) to find new rows by';

/*
 * The query that reads the rows of a relation with provenance above the
 * refresh's watermarks, and each file's last included row (which must
 * still be there), through an index on (source_file, source_line): a loose
 * scan of the index finds the files (one descent each), and each file is
 * read from its watermark on.  Its rows are the relation's, with the
 * file's watermark as _ritual_included_line.
 */
CREATE OR REPLACE FUNCTION ritual.rows_above_watermarks(rel regclass, relation_name text)
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
SELECT format($q$
    WITH RECURSIVE files AS (
        SELECT min(source_file) AS name FROM %1$s
        UNION ALL
        SELECT (SELECT min(x.source_file) FROM %1$s x WHERE x.source_file > files.name)
          FROM files WHERE files.name IS NOT NULL
    )
    SELECT e.*, w.max_line AS _ritual_included_line
      FROM files
      LEFT JOIN ritual.refresh_watermarks w ON w.relation = %2$L AND w.source_file = files.name
     CROSS JOIN LATERAL (
            SELECT * FROM %1$s x
             WHERE x.source_file = files.name
               AND x.source_line >= coalesce(w.max_line, -9223372036854775808)
            UNION ALL
            SELECT * FROM %1$s x
             WHERE x.source_file = files.name AND x.source_line IS NULL
               AND w.max_line IS NULL) e
    UNION ALL
    SELECT e.*, NULL FROM %1$s e WHERE e.source_file IS NULL
    $q$, rel, relation_name)
$fn$;
COMMENT ON FUNCTION ritual.rows_above_watermarks(regclass, text) IS
  'internal to refresh_reports: the query that reads a relation''s rows above its watermarks through its provenance index';

/*
 * Read the raw rows that are not in the reports yet, by the watermarks
 * (all rows when there are none): _ritual_new_events, and every profile row
 * (profiles are small) in _ritual_profile_rows with is_new and the values
 * of the breakdown attributes 'attributes' (segments).  Returns the
 * first file whose rows went backwards (its last included line is gone),
 * NULL when none did; whether the new events were read in provenance
 * order (their scan_order is then their order by file and line); and the
 * last line read of each of their files.
 *
 * Each scan of a ritual_fdw table sums up in a NOTICE the rows whose bad
 * fields it set to NULL, old ones included; their errors column says the
 * same of each row, so update_reports reports the new ones once and the
 * scans here are quiet (see quiet_scans).
 */
CREATE OR REPLACE FUNCTION ritual.read_new_rows(events_rel regclass, profiles_rel regclass,
                                                attributes text[],
                                                OUT gone text, OUT in_order boolean,
                                                OUT event_files text[], OUT event_lines bigint[])
LANGUAGE plpgsql
AS $fn$
DECLARE
    events_name   text := ritual.qualified_name(events_rel);
    profiles_name text := ritual.qualified_name(profiles_rel);
    events_prov   boolean := ritual.has_columns(events_rel, ARRAY['source_file', 'source_line']);
    profiles_prov boolean := ritual.has_columns(profiles_rel, ARRAY['source_file', 'source_line']);
    source        text;
    notices       text := current_setting('client_min_messages');
    quiet         boolean := ritual.quiet_scans(events_rel, profiles_rel);
    events_read   record;
    profiles_bad  record;
    profile_columns text := ritual.profile_columns(profiles_rel, attributes);
BEGIN
    IF quiet THEN
        PERFORM set_config('client_min_messages', 'warning', true);
    END IF;
    -- the rows above the watermarks, and the last included row of each
    -- file, which must still be there (append-only): in one scan, or, when
    -- the relation has an index on its provenance and this is a refresh,
    -- through the index, file by file (a loose scan finds the files).  A
    -- full build reads such a relation in the index's order, provenance
    -- order, in which its rows are numbered as read: a table's own order is
    -- not its rows' (an insert fills free space where it finds it), and
    -- numbering them afterwards costs a sort by file name and line.
    IF NOT events_prov THEN
        source := format('SELECT e.*, NULL::bigint AS _ritual_included_line FROM %s e', events_rel);
    ELSIF NOT EXISTS (SELECT FROM ritual.refresh_watermarks WHERE relation = events_name)
          AND ritual.has_provenance_index(events_rel) THEN
        source := format('SELECT e.*, NULL::bigint AS _ritual_included_line FROM %s e
                           ORDER BY e.source_file, e.source_line', events_rel);
    ELSIF EXISTS (SELECT FROM ritual.refresh_watermarks WHERE relation = events_name)
          AND ritual.has_provenance_index(events_rel) THEN
        source := ritual.rows_above_watermarks(events_rel, events_name);
    ELSE
        source := format($q$
            SELECT e.*, w.max_line AS _ritual_included_line
              FROM %1$s e
              LEFT JOIN ritual.refresh_watermarks w ON w.relation = %2$L
                   AND w.source_file = e.source_file::text
             WHERE w.max_line IS NULL OR e.source_line::bigint >= w.max_line
            $q$, events_rel, events_name);
    END IF;
    -- each row numbered as read, and its type normalized: in_order says
    -- whether the rows were read in provenance order (a serial scan of
    -- ritual_fdw reads files by name and lines in order)
    CREATE TEMP TABLE _ritual_new_events (
        user_id bigint, event_type text, raw_event_type text, event_date timestamp,
        source_file text, source_line bigint, scan_order bigint, errors text,
        included_line bigint) ON COMMIT DROP;
    SELECT * INTO events_read FROM ritual.copy_new_events(format($q$
        SELECT e.user_id::bigint, e.event_type::text, e.event_date::timestamp, %1$s, %3$s,
               e._ritual_included_line
          FROM (%2$s) e
        $q$,
        CASE WHEN events_prov
             THEN 'e.source_file::text, e.source_line::bigint'
             ELSE 'NULL::text, NULL::bigint' END,
        source,
        CASE WHEN ritual.has_columns(events_rel, ARRAY['errors'])
             THEN 'e.errors::text' ELSE 'NULL::text' END));
    IF EXISTS (SELECT FROM ritual.refresh_watermarks WHERE relation = events_name) THEN
        SELECT w.source_file INTO gone FROM ritual.refresh_watermarks w
         WHERE w.relation = events_name
           AND NOT EXISTS (SELECT FROM _ritual_new_events n
                            WHERE n.source_file = w.source_file AND n.source_line = w.max_line)
         ORDER BY 1 LIMIT 1;
        DELETE FROM _ritual_new_events WHERE source_line = included_line;
    END IF;
    ALTER TABLE _ritual_new_events DROP COLUMN included_line;

    -- the new profile rows, every row of their users, and each file's last
    -- included row (which must still be there): the others are never read
    -- again, and a refresh usually has no new profile (a build reads every
    -- row, each new).  With an index on the profiles' provenance, a refresh
    -- reads each file from its watermark on through it, as for the events,
    -- and the other rows of a user only when the user has a new one.
    IF profiles_prov AND ritual.has_provenance_index(profiles_rel)
       AND EXISTS (SELECT FROM ritual.refresh_watermarks WHERE relation = profiles_name) THEN
        EXECUTE format($q$
            CREATE TEMP TABLE _ritual_profile_rows ON COMMIT DROP AS
            WITH above AS (%5$s)
            SELECT 0::bigint AS profile_id, p.user_id::bigint AS user_id,
                   CASE WHEN isfinite(p.signup_date::date) THEN p.signup_date::date END AS signup_date,
                   p.source_file::text AS source_file, p.source_line::bigint AS source_line,
                   %3$s,
                   p._ritual_included_line IS NULL
                   OR p.source_line::bigint > p._ritual_included_line AS is_new,
                   %4$s
              FROM above p
            $q$, profiles_rel, profiles_name,
            profile_columns,
            CASE WHEN ritual.has_columns(profiles_rel, ARRAY['errors'])
                 THEN 'p.errors::text AS errors' ELSE 'NULL::text AS errors' END,
            ritual.rows_above_watermarks(profiles_rel, profiles_name));
        IF EXISTS (SELECT FROM _ritual_profile_rows WHERE is_new AND user_id IS NOT NULL) THEN
            EXECUTE format($q$
                INSERT INTO _ritual_profile_rows
                SELECT 0, p.user_id::bigint,
                       CASE WHEN isfinite(p.signup_date::date) THEN p.signup_date::date END,
                       p.source_file::text, p.source_line::bigint, %2$s, false, %3$s
                  FROM %1$s p
                 WHERE p.user_id::bigint IN (SELECT user_id FROM _ritual_profile_rows WHERE is_new)
                   AND NOT EXISTS (SELECT FROM _ritual_profile_rows r
                                    WHERE r.source_file = p.source_file::text
                                      AND r.source_line = p.source_line::bigint)
                $q$, profiles_rel,
                profile_columns,
                CASE WHEN ritual.has_columns(profiles_rel, ARRAY['errors'])
                     THEN 'p.errors::text' ELSE 'NULL::text' END);
        END IF;
    ELSE
        EXECUTE format($q$
            CREATE TEMP TABLE _ritual_profile_rows ON COMMIT DROP AS
            WITH all_rows AS (
                SELECT p.user_id::bigint AS user_id,
                       -- an infinite signup date is no day: missing, as NULL is
                       CASE WHEN isfinite(p.signup_date::date) THEN p.signup_date::date END AS signup_date,
                       %2$s, %3$s, %4$s AS is_new, %8$s AS included_last, %7$s
                  FROM %5$s p %6$s
            )
            SELECT row_number() OVER (ORDER BY %1$s) AS profile_id, user_id, signup_date,
                   source_file, source_line, country, platform, segments, is_new, errors
              FROM all_rows
             WHERE is_new OR included_last
                OR user_id IN (SELECT user_id FROM all_rows WHERE is_new)
            $q$,
            CASE WHEN profiles_prov THEN 'source_file, source_line' ELSE 'NULL' END,
            CASE WHEN profiles_prov
                 THEN 'p.source_file::text AS source_file, p.source_line::bigint AS source_line'
                 ELSE 'NULL::text AS source_file, NULL::bigint AS source_line' END,
            profile_columns,
            CASE WHEN profiles_prov THEN 'w.max_line IS NULL OR p.source_line::bigint > w.max_line'
                 ELSE 'true' END,
            profiles_rel,
            CASE WHEN profiles_prov THEN format(
                'LEFT JOIN ritual.refresh_watermarks w ON w.relation = %L
                      AND w.source_file = p.source_file::text', profiles_name)
                 ELSE '' END,
            CASE WHEN ritual.has_columns(profiles_rel, ARRAY['errors'])
                 THEN 'p.errors::text AS errors' ELSE 'NULL::text AS errors' END,
            CASE WHEN profiles_prov THEN 'p.source_line::bigint = w.max_line' ELSE 'false' END);
    END IF;
    PERFORM ritual.analyze_scratch('_ritual_profile_rows', ARRAY['user_id', 'is_new']);

    -- append-only, for the profiles too
    IF gone IS NULL THEN
        SELECT w.source_file INTO gone FROM ritual.refresh_watermarks w
         WHERE w.relation = profiles_name
           AND NOT EXISTS (SELECT FROM _ritual_profile_rows p
                            WHERE p.source_file = w.source_file AND p.source_line = w.max_line)
         ORDER BY 1 LIMIT 1;
    END IF;
    PERFORM set_config('client_min_messages', notices, true);
    in_order := events_read.in_order;
    event_files := events_read.files;
    event_lines := events_read.last_lines;

    -- what the quiet scans did not say, of the rows read new (a refresh
    -- that must rebuild reads them again)
    IF quiet AND gone IS NULL THEN
        PERFORM ritual.report_bad_fields(events_rel, events_read.bad_rows,
                                         events_read.first_bad_file, events_read.first_bad_line,
                                         events_read.first_bad_errors);
        SELECT source_file, source_line, errors, count(*) OVER () AS bad_rows
          INTO profiles_bad FROM _ritual_profile_rows WHERE is_new AND errors IS NOT NULL
         ORDER BY source_file, source_line LIMIT 1;
        PERFORM ritual.report_bad_fields(profiles_rel, coalesce(profiles_bad.bad_rows, 0),
                                         profiles_bad.source_file, profiles_bad.source_line,
                                         profiles_bad.errors);
    END IF;
END
$fn$;
COMMENT ON FUNCTION ritual.read_new_rows(regclass, regclass, text[]) IS
  'internal to refresh_reports: reads the raw rows above the watermarks into temporary tables; returns a file whose rows went backwards, and whether the events came in provenance order';

/*
 * The read of read_new_rows (src/analytics/new_events.c): the rows of the
 * query, which the caller builds from the events relation, written to
 * pg_temp._ritual_new_events, which it made.
 */
CREATE OR REPLACE FUNCTION ritual.copy_new_events(query text, OUT in_order boolean,
                                                  OUT files text[], OUT last_lines bigint[],
                                                  OUT bad_rows bigint, OUT first_bad_file text,
                                                  OUT first_bad_line bigint,
                                                  OUT first_bad_errors text)
AS 'MODULE_PATHNAME', 'ritual_copy_new_events'
LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION ritual.copy_new_events(text) IS
  'internal to read_new_rows: writes the rows of its query to pg_temp._ritual_new_events, numbered and with their event types normalized; returns whether they came in provenance order, and the last line read of each file';

/*
 * A WARNING when unknown event types flag more than 1% of the raw events,
 * naming the commonest ones and the statement that adds them to the
 * catalogue: a type spelled differently by an export (app_open for
 * app_opened) would otherwise turn its events unclean without a word.
 */
CREATE OR REPLACE FUNCTION ritual.warn_unknown_types(total bigint)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    unknown bigint;
    top     text;
    adding  text;
BEGIN
    SELECT rows INTO unknown FROM ritual.data_quality
     WHERE scope = 'total' AND kind = 'unknown_event_type';
    IF unknown IS NULL OR total IS NULL OR total <= 0 OR unknown * 100 <= total THEN
        RETURN;
    END IF;
    SELECT string_agg(format('%s (%s row%s)', event_type, rows, CASE WHEN rows = 1 THEN '' ELSE 's' END),
                      ', ' ORDER BY rows DESC, event_type),
           'INSERT INTO ritual.event_types (event_type) VALUES '
           || string_agg(format('(%L)', event_type), ', ' ORDER BY rows DESC, event_type) || ';'
      INTO top, adding
      FROM (SELECT event_type, rows FROM ritual.data_quality
             WHERE scope = 'event_type' ORDER BY rows DESC, event_type LIMIT 5) t;
    RAISE WARNING 'unknown event types flag % of % event rows (%): %', unknown, total,
          round(100.0 * unknown / total, 1) || '%', top
          USING DETAIL = 'Their events are not clean, so no metric counts them; ritual.data_quality lists every unknown type (scope ''event_type'').',
                HINT = format('If they are real types of the app, add them to the catalogue and build again: %s', adding);
END
$fn$;
COMMENT ON FUNCTION ritual.warn_unknown_types(bigint) IS
  'internal to build_reports: warns when unknown event types flag more than 1% of the raw events';

/*
 * Whether read_new_rows keeps the scans of the raw relations quiet: unless
 * one is a foreign table under on_error 'skip', whose scan's NOTICE is the
 * only account of the rows it dropped.
 */
CREATE OR REPLACE FUNCTION ritual.quiet_scans(events_rel regclass, profiles_rel regclass)
RETURNS boolean
LANGUAGE sql STABLE
AS $$
    SELECT NOT EXISTS (SELECT FROM pg_catalog.pg_foreign_table t
                         JOIN pg_catalog.pg_foreign_server s ON s.oid = t.ftserver
                        WHERE t.ftrelid IN (events_rel, profiles_rel)
                          AND 'on_error=skip' = ANY (t.ftoptions || s.srvoptions))
$$;
COMMENT ON FUNCTION ritual.quiet_scans(regclass, regclass) IS
  'internal to build_reports: whether the scans of the raw relations run without their NOTICEs';

/*
 * One NOTICE for the rows of a foreign table read new whose bad fields
 * were set to NULL (their errors column says why): 'bad' of them, the
 * first in provenance order at 'first_file' and 'first_line' with
 * 'first_errors'.  It says what the quiet scans of ritual_fdw would have
 * said of every row, read now or long ago.  A plain table (an ingest's) is
 * read without such NOTICEs, so the build adds none for it; its errors
 * column stays queryable.
 */
CREATE OR REPLACE FUNCTION ritual.report_bad_fields(rel regclass, bad bigint, first_file text,
                                                    first_line bigint, first_errors text)
RETURNS void
LANGUAGE plpgsql
AS $fn$
BEGIN
    IF bad = 0 OR NOT EXISTS (SELECT FROM pg_catalog.pg_foreign_table WHERE ftrelid = rel) THEN
        RETURN;
    END IF;
    RAISE NOTICE 'ritual_fdw set bad fields to NULL in % new row% of %', bad,
          CASE WHEN bad = 1 THEN '' ELSE 's' END, rel
          USING DETAIL = format('The first was at file "%s", line %s, %s.',
                                first_file, first_line, first_errors),
                HINT = 'The rows are kept and flagged; ritual.data_quality counts them.';
END
$fn$;
COMMENT ON FUNCTION ritual.report_bad_fields(regclass, bigint, text, bigint, text) IS
  'internal to build_reports: one NOTICE for the new raw rows whose bad fields were set to NULL';

/* Empty every reporting table and what refresh_reports keeps. */
CREATE OR REPLACE FUNCTION ritual.empty_reports()
RETURNS void
LANGUAGE sql
AS $$
    TRUNCATE ritual.users, ritual.enriched_events,
             ritual.sessions, ritual.daily_activity, ritual.daily_event_types,
             ritual.retention_cohorts, ritual.event_transitions, ritual.spikes,
             ritual.spike_coverage, ritual.data_quality, ritual.funnel_steps,
             ritual.user_days, ritual.user_weeks, ritual.activity_counts, ritual.funnel_users,
             ritual.path_counts, ritual.user_paths, ritual.user_segments, ritual.segment_keys,
             ritual.daily_activity_by_segment, ritual.segment_cohorts, ritual.segment_weeks,
             ritual.refresh_watermarks, ritual.refresh_state;
$$;
COMMENT ON FUNCTION ritual.empty_reports() IS
  'internal: empties every reporting table, the helper tables and the watermarks';

/*
 * Drop the indexes (primary key included) of a reporting table that is
 * about to be filled whole, and return the statements that make them again:
 * building an index once over the loaded rows costs a fraction of inserting
 * every row into it.
 */
CREATE OR REPLACE FUNCTION ritual.drop_indexes(rel regclass)
RETURNS text[]
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    again text[] := '{}';
    i     record;
BEGIN
    IF (SELECT relnamespace FROM pg_class WHERE oid = rel) <> 'ritual'::regnamespace THEN
        RAISE EXCEPTION '% is not a table of the reporting layer', rel
              USING ERRCODE = 'invalid_parameter_value';
    END IF;
    FOR i IN SELECT x.indexrelid::regclass AS index, pg_get_indexdef(x.indexrelid) AS def,
                    c.conname, pg_get_constraintdef(c.oid) AS condef
               FROM pg_index x
               LEFT JOIN pg_constraint c ON c.conrelid = x.indrelid AND c.conindid = x.indexrelid
              WHERE x.indrelid = rel
              ORDER BY x.indexrelid
    LOOP
        IF i.conname IS NOT NULL THEN
            EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', rel, i.conname);
            again := again || format('ALTER TABLE %s ADD CONSTRAINT %I %s', rel, i.conname, i.condef);
        ELSE
            EXECUTE format('DROP INDEX %s', i.index);
            again := again || i.def;
        END IF;
    END LOOP;
    RETURN again;
END
$fn$;
COMMENT ON FUNCTION ritual.drop_indexes(regclass) IS
  'internal to build_reports: drops the indexes of a reporting table and returns the statements that make them again';

/*
 * A full build's events, all new: enriched_events and what is counted from
 * the clean events (user_days, user_weeks, sessions, event_transitions and
 * daily_event_types) in one pass over the new rows sorted by user, time and
 * event_id (src/analytics/event_pass.c).  event_id is the order the rows
 * were read in when that is provenance order (read_new_rows checks), and
 * their rank in it otherwise.  The rules are those of the incremental path
 * in update_reports with every row new and no anchor.
 */
CREATE OR REPLACE FUNCTION ritual.build_event_tables(reference timestamp, session_gap interval,
                                                     numbered_as_read boolean,
                                                     OUT events bigint, OUT clean_events bigint,
                                                     OUT sessions bigint)
AS 'MODULE_PATHNAME', 'ritual_build_event_tables'
LANGUAGE C VOLATILE STRICT
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ritual.build_event_tables(timestamp, interval, boolean) IS
  'internal to build_reports: the one pass over the new events that fills the event tables, which are empty and without indexes';

/*
 * A refresh's events: the rows of pg_temp._ritual_work (and with
 * new_rows_apart, the new rows of pg_temp._ritual_new_events, numbered as
 * read after base) computed again, in one pass in the order of user, time
 * and event_id, each user's merged from their first change on with their
 * included clean events, read through the index of enriched_events by
 * user and time (src/analytics/refresh_pass.c).  It writes their new
 * versions to enriched_events, the users' changed days to user_days and
 * their sessions from the first that changes on to sessions, and what they
 * change to the scratch tables _ritual_transition_changes, _ritual_changes,
 * _ritual_window_changes (DAU, WAU, MAU, events and sessions by day, for
 * the days from first_reported to last_reported), _ritual_week_changes and
 * _ritual_last_weeks, which update_reports made, and _ritual_flag_counts;
 * it moves activity_counts, funnel_users and funnel_steps itself (the ways
 * entered before first_work by more than their window need no read);
 * it returns the included events it wrote again and the sessions written
 * less those deleted.  The rules are the full build's pass's.
 */
CREATE OR REPLACE FUNCTION ritual.recompute_events(reference timestamp, session_gap interval,
                                                   base bigint, new_rows_apart boolean,
                                                   first_reported date, last_reported date,
                                                   first_work timestamp,
                                                   OUT recomputed bigint, OUT sessions bigint)
AS 'MODULE_PATHNAME', 'ritual_recompute_events'
LANGUAGE C VOLATILE STRICT
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ritual.recompute_events(timestamp, interval, bigint, boolean, date, date, timestamp) IS
  'internal to refresh_reports: computes the work of a refresh again, with the clean events it affects, into its scratch tables';

/*
 * The event tables of a full build: their indexes are dropped, the pass
 * fills them, and the indexes are made again once the rows are in, one
 * sort per index instead of a btree insertion per row.  Each index is
 * sorted by this backend alone: parallel workers, which PostgreSQL plans
 * by the table's size alone, made the nine indexes of a 1M-event build
 * take 5.1 s instead of 3.3 s on two idle cores (their sorts meet again
 * through temporary files), and the rest of the build is serial anyway.
 */
CREATE OR REPLACE FUNCTION ritual.build_events(reference timestamp, session_gap interval,
                                               numbered_as_read boolean, OUT events bigint,
                                               OUT clean_events bigint, OUT sessions bigint)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET max_parallel_maintenance_workers = 0
AS $fn$
DECLARE
    again     text[];
    statement text;
BEGIN
    again := ritual.drop_indexes('ritual.enriched_events') || ritual.drop_indexes('ritual.user_days')
             || ritual.drop_indexes('ritual.user_weeks') || ritual.drop_indexes('ritual.sessions')
             || ritual.drop_indexes('ritual.funnel_users') || ritual.drop_indexes('ritual.user_paths');
    SELECT * INTO events, clean_events, sessions
      FROM ritual.build_event_tables(reference, session_gap, numbered_as_read);
    FOREACH statement IN ARRAY again LOOP
        EXECUTE statement;
    END LOOP;
END
$fn$;
COMMENT ON FUNCTION ritual.build_events(timestamp, interval, boolean) IS
  'internal to build_reports: fills the event tables and what is counted from them, all rows new';

/*
 * ritual.update_reports: the one machinery behind build_reports (every row
 * new, after emptying everything) and refresh_reports (the rows above the
 * watermarks new).  From the new raw rows and the stored enriched events it
 * finds what the new rows affect (their users, duplicate keys, days,
 * sessions), recomputes those events whole, and moves every aggregate by
 * the difference between the old and the new versions of them.
 */
CREATE OR REPLACE FUNCTION ritual.update_reports(
    events          text,
    profiles        text,
    reference_time  timestamp,
    session_gap     interval,
    spike_threshold double precision,
    incremental     boolean)
RETURNS void
LANGUAGE plpgsql
-- the planner's row guesses for the scratch tables make JIT compile for
-- longer than the queries run
SET jit = off
-- the tables a refresh reads are in shared buffers: looking up the affected
-- users' rows by index costs a fraction of scanning every event, which the
-- default cost of a random page (4) would have the planner do
SET random_page_cost = 1.1
AS $fn$
#variable_conflict use_column
DECLARE
    events_rel    regclass := events::regclass;
    profiles_rel  regclass := profiles::regclass;
    events_name   text;
    profiles_name text;
    started       timestamptz := clock_timestamp();
    reference     timestamp := coalesce(reference_time,
                                        (now() AT TIME ZONE 'UTC')::timestamp(0));
    digest        text;
    bad_funnel    text;
    bad_step      text;
    bad_step_number bigint;
    state         ritual.refresh_state;
    why           text;
    gone          text;
    in_order      boolean;
    event_files   text[];
    event_lines   bigint[];
    recomputed    bigint := 0;
    session_changes bigint := 0;
    first_file    text;
    first_line    bigint;
    last_file     text;
    last_line     bigint;
    renumber      boolean := false;
    new_rows_apart boolean;
    base          bigint;
    old_first     date;
    old_last      date;
    new_first     date;
    new_last      date;
    first_clean   date;
    last_clean    date;
    old_first_clean date;
    first_new_day date;
    last_new_day  date;
    old_last_clean date;
    judge_from    date := '-infinity';
    last_signup   date;
    scratch       text;
    profiles_changed boolean;
    -- the breakdowns' attributes, read once for the whole build
    attributes    text[] := ARRAY(SELECT attribute FROM ritual.breakdown_attributes
                                   ORDER BY attribute COLLATE "C");
BEGIN
    IF spike_threshold <= 0 THEN
        RAISE EXCEPTION 'spike_threshold must be positive, not %', spike_threshold
              USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM ritual.require_columns(events_rel, ARRAY['user_id', 'event_type', 'event_date']);
    PERFORM ritual.require_columns(profiles_rel, ARRAY['user_id', 'signup_date']);
    events_name := ritual.qualified_name(events_rel);
    profiles_name := ritual.qualified_name(profiles_rel);
    -- the catalogues the events are counted with: a change rebuilds
    SELECT md5(coalesce((SELECT string_agg(event_type, ',' ORDER BY event_type)
                           FROM ritual.event_types), '')
               || coalesce((SELECT ';' || string_agg(format('%s:%s:%s', funnel, steps, conversion_window),
                                                     ';' ORDER BY funnel)
                              FROM ritual.funnels), '')
               || ';' || attributes::text)
      INTO digest;
    -- a funnel step no event can have would count nobody, silently
    SELECT f.funnel, s.step, s.n INTO bad_funnel, bad_step, bad_step_number
      FROM ritual.funnels f, unnest(f.steps) WITH ORDINALITY AS s(step, n)
     WHERE NOT EXISTS (SELECT FROM ritual.event_types t WHERE t.event_type = s.step)
     ORDER BY f.funnel, s.n LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'step % of funnel "%" is "%", which is not in ritual.event_types',
              bad_step_number, bad_funnel, bad_step
              USING ERRCODE = 'invalid_parameter_value',
                    HINT = 'A step is an event type of the catalogue, as the events spell it after lower(btrim()): correct it with UPDATE ritual.funnels, or add the type to ritual.event_types.';
    END IF;

    -- one build at a time
    LOCK TABLE ritual.refresh_state IN EXCLUSIVE MODE;

    -- scratch tables of an earlier build in this transaction
    FOR scratch IN SELECT unnest(ARRAY['_ritual_new_events', '_ritual_profile_rows',
                                       '_ritual_profile_users', '_ritual_old_users',
                                       '_ritual_work', '_ritual_transition_changes',
                                       '_ritual_changes', '_ritual_window_changes',
                                       '_ritual_week_users', '_ritual_week_changes',
                                       '_ritual_last_weeks',
                                       '_ritual_retained', '_ritual_cohort_sizes', '_ritual_dq',
                                       '_ritual_series', '_ritual_judged',
                                       '_ritual_day_counts', '_ritual_flag_counts',
                                       '_ritual_old_segments', '_ritual_segment_steps',
                                       '_ritual_segment_members', '_ritual_segment_moves',
                                       '_ritual_segment_day_counts',
                                       '_ritual_segment_week_counts'])
    LOOP
        PERFORM ritual.drop_scratch(scratch);
    END LOOP;

    -- can it be incremental?
    IF incremental THEN
        SELECT * INTO state FROM ritual.refresh_state;
        IF NOT FOUND THEN
            why := 'there is no earlier build from relations with provenance';
        ELSIF state.events_relation <> events_name OR state.profiles_relation <> profiles_name THEN
            why := format('the last build read %s and %s', state.events_relation, state.profiles_relation);
        ELSIF state.session_gap_seconds <> extract(epoch FROM session_gap) THEN
            why := format('the last build used a session gap of %s seconds', state.session_gap_seconds);
        ELSIF state.event_types_digest <> digest THEN
            why := 'the event_types, funnels or breakdown_attributes catalogue changed since the last build';
        ELSE
            SELECT * INTO gone, in_order, event_files, event_lines
              FROM ritual.read_new_rows(events_rel, profiles_rel, attributes);
            IF gone IS NOT NULL THEN
                why := format('rows of file %s went backwards', gone);
                DROP TABLE _ritual_new_events, _ritual_profile_rows;
            END IF;
        END IF;
        IF why IS NOT NULL THEN
            RAISE NOTICE 'refresh_reports rebuilds every report: %', why
                  USING HINT = 'A refresh is incremental after a build over the same relations and settings, when rows were only appended.';
            incremental := false;
        END IF;
    END IF;
    IF NOT incremental THEN
        PERFORM ritual.empty_reports();
        SELECT * INTO gone, in_order, event_files, event_lines
          FROM ritual.read_new_rows(events_rel, profiles_rel, attributes);
    END IF;

    --
    -- users: those with a new profile row are computed again
    --
    CREATE TEMP TABLE _ritual_profile_users ON COMMIT DROP AS
    SELECT DISTINCT user_id FROM _ritual_profile_rows WHERE is_new AND user_id IS NOT NULL;
    -- a refresh usually has no new profile: without statistics, the planner
    -- would guess thousands of users and read every event for them
    PERFORM ritual.analyze_scratch('_ritual_profile_users');
    profiles_changed := EXISTS (SELECT FROM _ritual_profile_users);
    CREATE TEMP TABLE _ritual_old_users ON COMMIT DROP AS
    SELECT u.* FROM ritual.users u JOIN _ritual_profile_users USING (user_id);
    DELETE FROM ritual.users u USING _ritual_old_users o WHERE u.user_id = o.user_id;
    IF profiles_changed THEN
        CREATE TEMP TABLE _ritual_old_segments ON COMMIT DROP AS
        SELECT s.* FROM ritual.user_segments s JOIN _ritual_profile_users USING (user_id);
        DELETE FROM ritual.user_segments s USING _ritual_old_segments o
         WHERE s.user_id = o.user_id;
    END IF;

    IF profiles_changed THEN
        -- a user's country, platform and segments are those of their profile
        -- row with the earliest valid signup (ties: the first by file and line)
        WITH rows AS (
            SELECT p.* FROM _ritual_profile_rows p JOIN _ritual_profile_users USING (user_id)
        ), per_user AS (
            SELECT user_id, min(signup_date) AS signup_date, count(*) AS profile_rows,
                   count(DISTINCT signup_date) > 1 AS conflicting
              FROM rows GROUP BY user_id
        ), first_row AS (
            SELECT DISTINCT ON (user_id) user_id, country, platform, segments
              FROM rows ORDER BY user_id, signup_date NULLS LAST, source_file, source_line, profile_id
        ), combinations AS (
            -- (an empty value is missing, as NULL is; a value past 200
            -- characters, no country or platform, is cut there: the reports'
            -- keys index the segments, whose entries have a size limit)
            SELECT r.user_id,
                   (SELECT jsonb_object_agg(a.attribute, left(r.segments[a.n], 200))
                      FROM unnest(attributes) WITH ORDINALITY AS a(attribute, n)
                     WHERE r.segments[a.n] <> '') AS segments
              FROM first_row r
        ), new_keys AS (
            -- a combination no user had before takes the next number
            INSERT INTO ritual.segment_keys
            SELECT coalesce((SELECT max(segment_key) FROM ritual.segment_keys), 0)
                   + dense_rank() OVER (ORDER BY c.segments), c.segments
              FROM (SELECT DISTINCT segments FROM combinations WHERE segments IS NOT NULL) c
             WHERE NOT EXISTS (SELECT FROM ritual.segment_keys k WHERE k.segments = c.segments)
            RETURNING segment_key, segments
        ), user_keys AS (
            INSERT INTO ritual.user_segments
            SELECT c.user_id, coalesce(n.segment_key, k.segment_key)
              FROM combinations c
              LEFT JOIN new_keys n ON n.segments = c.segments
              LEFT JOIN ritual.segment_keys k ON k.segments = c.segments
             WHERE c.segments IS NOT NULL
        )
        INSERT INTO ritual.users
        SELECT u.user_id, u.signup_date,
               u.signup_date - extract(dow FROM u.signup_date)::int,
               u.profile_rows, f.flags, array_to_string(ritual.flag_names(f.flags), ','),
               r.country, r.platform
          FROM per_user u JOIN first_row r USING (user_id),
               LATERAL (SELECT ritual.profile_flags(u.signup_date, u.conflicting) AS flags) f;
    END IF;

    IF incremental THEN
        -- the days with clean events before, which the spikes were judged over
        SELECT min(day), max(day) INTO old_first_clean, old_last_clean FROM ritual.user_days;

        --
        -- event ids: the rank in provenance order.  New rows usually all come
        -- after the included ones and take the ids after the last; when one
        -- comes earlier, the included rows after it are numbered again.
        --
        SELECT source_file, source_line INTO first_file, first_line
          FROM _ritual_new_events ORDER BY source_file, source_line LIMIT 1;
        SELECT source_file, max_line INTO last_file, last_line
          FROM ritual.refresh_watermarks WHERE relation = events_name
         ORDER BY source_file DESC LIMIT 1;
        renumber := coalesce((first_file, first_line) < (last_file, last_line), false);
        IF renumber THEN
            SELECT min(event_id) - 1 INTO base FROM ritual.enriched_events
             WHERE (source_file, source_line) > (first_file, first_line);
        END IF;
        base := coalesce(base, (SELECT max(event_id) FROM ritual.enriched_events), 0);

        -- the events to compute again: new ones, renumbered ones, ...
        -- (new rows read in provenance order after every included one are
        -- numbered as read, without a sort, and the pass reads them where
        -- they are)
        new_rows_apart := in_order AND NOT renumber;
        IF new_rows_apart THEN
            CREATE TEMP TABLE _ritual_work (
                event_id bigint, old_event_id bigint, user_id bigint, event_type text,
                raw_event_type text, event_date timestamp, source_file text,
                source_line bigint, old_flags integer, old_prev text, old_session bigint,
                in_new_key boolean, old_ctid tid) ON COMMIT DROP;
        ELSE
            -- (the renumbered events' old versions go first: a new version
            -- may take the event_id of another's old one)
            CREATE TEMP TABLE _ritual_work ON COMMIT DROP AS
            SELECT base + row_number() OVER (ORDER BY source_file, source_line) AS event_id, r.*,
                   r.old_event_id IS NULL AS in_new_key, NULL::tid AS old_ctid
              FROM (SELECT NULL::bigint AS old_event_id, user_id, event_type, raw_event_type,
                           event_date, source_file, source_line, NULL::integer AS old_flags,
                           NULL::text AS old_prev, NULL::bigint AS old_session
                      FROM _ritual_new_events
                    UNION ALL
                    SELECT event_id, user_id, event_type, raw_event_type, event_date,
                           source_file, source_line, flags, prev_event_type, session_number
                      FROM ritual.enriched_events
                     WHERE renumber AND event_id > base) r;
            DELETE FROM ritual.enriched_events WHERE renumber AND event_id > base;
        END IF;

        CREATE INDEX ON _ritual_work (old_event_id);
        -- ... all events of users whose profile changed, every included row
        -- of a (user, type, date) a new row has, and rows whose future_event
        -- changes with the reference time (when it moved).  New rows apart
        -- come after every included one, so an included row keeps its
        -- duplicate flag and only tells a new row of its key whether it is
        -- one: the pass finds those rows itself, through the index by user
        -- and time it reads anyway.  Else they are looked for within the new
        -- rows' days (new rows that are the latest by time then cost one
        -- range of the day index, not a probe each).
        IF NOT new_rows_apart THEN
            -- (statistics of the new rows for that join, the one over them)
            PERFORM ritual.analyze_scratch('_ritual_new_events',
                                           ARRAY['user_id', 'event_type', 'event_date']);
            SELECT min(event_date)::date, max(event_date)::date INTO first_new_day, last_new_day
              FROM _ritual_new_events;
        END IF;
        INSERT INTO _ritual_work
        SELECT e.event_id, e.event_id, e.user_id, e.event_type, e.raw_event_type, e.event_date,
               e.source_file, e.source_line, e.flags, e.prev_event_type, e.session_number, false,
               e.ctid
          FROM ritual.enriched_events e
         WHERE e.event_id IN (
                SELECT e.event_id FROM ritual.enriched_events e
                  JOIN _ritual_profile_users USING (user_id)
                UNION
                SELECT e.event_id FROM ritual.enriched_events e
                  JOIN _ritual_new_events n ON n.user_id = e.user_id
                   AND n.event_date = e.event_date AND n.event_type = e.event_type
                 WHERE NOT new_rows_apart AND e.event_day BETWEEN first_new_day AND last_new_day
                UNION
                SELECT event_id FROM ritual.enriched_events
                 WHERE reference > state.reference_time
                   AND flags <> 0 AND flags & 64 <> 0 AND event_date <= reference
                UNION
                SELECT event_id FROM ritual.enriched_events
                 WHERE reference < state.reference_time AND event_day >= reference::date
                   AND event_date > reference AND flags & 64 = 0)
           AND NOT EXISTS (SELECT FROM _ritual_work w WHERE w.old_event_id = e.event_id);
        IF NOT new_rows_apart THEN
            UPDATE _ritual_work w SET in_new_key = true
              FROM _ritual_new_events n
             WHERE w.old_event_id IS NOT NULL AND n.user_id = w.user_id
               AND n.event_date = w.event_date AND n.event_type = w.event_type;
        END IF;

        --
        -- the work computed again, in one pass in the order of user and time
        -- (src/analytics/refresh_pass.c): its flags (duplicate decided again
        -- over every row of a key a new row has), and from each user's
        -- first change on, with their clean events from the anchor (the
        -- last clean event before it, which keeps its previous type and
        -- session), the previous and next types and the sessions.  The new
        -- versions of the work and of the clean events that change go to
        -- enriched_events: an included one that keeps its event_id and
        -- flags keeps every column an index holds, and is updated in
        -- place, which on a page with room (the table's fillfactor leaves
        -- some) writes no index entry; the others' old versions are
        -- deleted.  A user's day whose clean events change is written to
        -- user_days (in, out, or counted again; new events mostly come on a
        -- day of their own), and each walked user's sessions from the first
        -- written again on to sessions, the stored ones from it on deleted
        -- first.  What the versions change goes to
        -- _ritual_transition_changes (by previous and next type) and
        -- _ritual_flag_counts (the flagged events, in and out), into
        -- _ritual_changes what changes in the clean events by user, day and
        -- type (with the count before).
        --
        CREATE TEMP TABLE _ritual_transition_changes (prev_event_type text, event_type text,
                                                      delta bigint) ON COMMIT DROP;
        CREATE TEMP TABLE _ritual_changes (user_id bigint, day date, event_type text,
                                           delta bigint, old_n bigint)
            ON COMMIT DROP;
        -- DAU, WAU, MAU, events and sessions of the days already reported
        -- move with the users whose active days change
        CREATE TEMP TABLE _ritual_window_changes (day date, dau bigint, wau bigint, mau bigint,
                                                  events bigint, sessions bigint) ON COMMIT DROP;
        -- and user_weeks and retention with the weeks since signup the
        -- users gain or lose, and their last active weeks
        CREATE TEMP TABLE _ritual_week_changes (user_id bigint, week integer, cohort_week date,
                                                gained boolean) ON COMMIT DROP;
        CREATE TEMP TABLE _ritual_last_weeks (cohort_week date, week integer, users bigint)
            ON COMMIT DROP;
        SELECT min(day), max(day) INTO old_first, old_last FROM ritual.daily_activity;
        SELECT * INTO recomputed, session_changes
          FROM ritual.recompute_events(reference, session_gap, base, new_rows_apart,
                                       coalesce(old_first, 'infinity'),
                                       coalesce(old_last, '-infinity'),
                                       -- no change comes earlier than the work's first row
                                       coalesce(least((SELECT min(event_date) FROM _ritual_work),
                                                      (SELECT min(event_date) FROM _ritual_new_events
                                                        WHERE new_rows_apart)),
                                                'infinity'));

        -- transitions, by difference
        INSERT INTO ritual.event_transitions AS t
        SELECT prev_event_type, event_type, delta FROM _ritual_transition_changes
        ON CONFLICT (prev_event_type, event_type)
        DO UPDATE SET transitions = t.transitions + excluded.transitions;
        DELETE FROM ritual.event_transitions WHERE transitions = 0;

        -- events and users per day and type, by difference
        INSERT INTO ritual.daily_event_types AS t
        SELECT day, event_type, sum(delta),
               sum((old_n + delta > 0)::int - (old_n > 0)::int)
          FROM _ritual_changes GROUP BY day, event_type
        ON CONFLICT (day, event_type)
        DO UPDATE SET events = t.events + excluded.events, users = t.users + excluded.users;
        DELETE FROM ritual.daily_event_types t USING (SELECT DISTINCT day FROM _ritual_changes) c
         WHERE t.day = c.day AND t.events = 0;
    ELSE
        -- everything is new: the events in one pass, the rest from them
        -- (the flagged ones counted in pg_temp._ritual_flag_counts, the
        -- breakdowns by the users' segment keys)
        SELECT * INTO state.event_rows, state.clean_rows, state.session_rows
          FROM ritual.build_events(reference, session_gap, in_order);
        -- statistics for what reads them next, and for the reports' readers
        ANALYZE ritual.enriched_events, ritual.sessions, ritual.user_days, ritual.user_weeks;
    END IF;

    --
    -- activity: the days already reported move by difference, the days
    -- the range gains are computed whole.  The range runs over the days
    -- with a clean event or a signup (up to the reference day), so that
    -- every signup counts in new_users, and ends with the data.
    --
    SELECT min(day), max(day) INTO first_clean, last_clean FROM ritual.user_days;
    SELECT least(first_clean, min(signup_date)), greatest(last_clean, max(signup_date)),
           max(signup_date)
      INTO new_first, new_last, last_signup
      FROM ritual.users WHERE signup_date <= reference::date;
    -- an old export built as of now: events its devices dated after it was
    -- taken would count as clean, and stretch the days past its end
    IF reference_time IS NULL AND last_signup < reference::date - 7 THEN
        RAISE NOTICE 'the last signup is on %, more than a week before the time of this build, the default reference time',
              last_signup
              USING HINT = 'For an export taken earlier, pass reference_time => the time it was taken, so that events dated after it are flagged future_event.';
    END IF;
    DELETE FROM ritual.daily_activity
     WHERE new_first IS NULL OR day NOT BETWEEN new_first AND new_last;
    IF incremental THEN
        WITH changes AS (
            SELECT day, dau, wau, mau, 0 AS new_users, events, sessions
              FROM _ritual_window_changes
            UNION ALL
            SELECT signup_date, 0, 0, 0, -1, 0, 0 FROM _ritual_old_users
            UNION ALL
            SELECT u.signup_date, 0, 0, 0, 1, 0, 0
              FROM ritual.users u JOIN _ritual_profile_users USING (user_id)
        ), per_day AS (
            SELECT day, sum(dau) AS dau, sum(wau) AS wau, sum(mau) AS mau,
                   sum(new_users) AS new_users, sum(events) AS events, sum(sessions) AS sessions
              FROM changes WHERE day IS NOT NULL GROUP BY day
        )
        UPDATE ritual.daily_activity a
           SET dau = a.dau + c.dau, wau = a.wau + c.wau, mau = a.mau + c.mau,
               stickiness = (a.dau + c.dau)::double precision / nullif(a.mau + c.mau, 0),
               new_users = a.new_users + c.new_users, events = a.events + c.events,
               sessions = a.sessions + c.sessions
          FROM per_day c
         WHERE a.day = c.day;

        INSERT INTO ritual.daily_activity
        SELECT d.day, dau.n, w.n, m.n, dau.n::double precision / nullif(m.n, 0),
               signups.n, dau.events, sessions.n
          FROM (SELECT x::date AS day FROM generate_series(new_first, new_last, interval '1 day') AS x
                 WHERE NOT EXISTS (SELECT FROM ritual.daily_activity a WHERE a.day = x::date)) d
         CROSS JOIN LATERAL (SELECT count(*) AS n, coalesce(sum(events), 0)::bigint AS events
                               FROM ritual.user_days u WHERE u.day = d.day) dau
         CROSS JOIN LATERAL (SELECT count(*) AS n FROM ritual.users u WHERE u.signup_date = d.day) signups
         CROSS JOIN LATERAL (SELECT count(*) AS n FROM ritual.sessions s
                              WHERE s.session_start >= d.day AND s.session_start < d.day + 1) sessions
         CROSS JOIN LATERAL (SELECT count(DISTINCT user_id) AS n FROM ritual.user_days u
                              WHERE u.day BETWEEN d.day - 6 AND d.day) w
         CROSS JOIN LATERAL (SELECT count(DISTINCT user_id) AS n FROM ritual.user_days u
                              WHERE u.day BETWEEN d.day - 29 AND d.day) m;
    ELSE
        -- every day whole, from the pass's counts per day: WAU and MAU are
        -- the users active on a day or before it, less those whose
        -- stretch of 7 (30) days from an active day ended by then
        INSERT INTO ritual.daily_activity
        WITH signups AS (
            SELECT signup_date AS day, count(*) AS n FROM ritual.users GROUP BY 1
        ), days AS (
            SELECT d.day, coalesce(c.active_users, 0) AS dau,
                   (sum(coalesce(c.active_users - c.week_ends, 0)) OVER w)::bigint AS wau,
                   (sum(coalesce(c.active_users - c.month_ends, 0)) OVER w)::bigint AS mau,
                   coalesce(c.clean_rows, 0) AS events, coalesce(c.sessions, 0) AS sessions
              FROM (SELECT x::date AS day
                      FROM generate_series(new_first, new_last, interval '1 day') AS x) d
              LEFT JOIN pg_temp._ritual_day_counts c USING (day)
            WINDOW w AS (ORDER BY d.day)
        )
        SELECT d.day, d.dau, d.wau, d.mau, d.dau::double precision / nullif(d.mau, 0),
               coalesce(s.n, 0), d.events, d.sessions
          FROM days d LEFT JOIN signups s USING (day);
    END IF;

    --
    -- the breakdowns by profile attribute (src/sql/code/breakdowns.sql):
    -- daily activity as the totals, the days kept moved by what the users
    -- a refresh touched changed, the days gained counted whole
    --
    -- (scratch: the steps of DAU, WAU and MAU by attribute and segment,
    -- and the moves of the retention counts, per cohort and week)
    CREATE TEMP TABLE _ritual_segment_steps (attribute text, segment text, day date, dau bigint,
                                             wau bigint, mau bigint, new_users bigint)
        ON COMMIT DROP;
    CREATE TEMP TABLE _ritual_segment_moves (attribute text, segment text, cohort_week date,
                                             week integer, users bigint, active_users bigint,
                                             last_active_users bigint) ON COMMIT DROP;
    DELETE FROM ritual.daily_activity_by_segment
     WHERE new_first IS NULL OR day NOT BETWEEN new_first AND new_last;
    PERFORM ritual.split_segment_counts(attributes, NOT incremental);
    IF NOT incremental THEN
        PERFORM ritual.write_segment_days(attributes, new_first, new_last);
    ELSE
        -- (the users whose profile changed, who move whole, before and now)
        IF profiles_changed THEN
            CREATE TEMP TABLE _ritual_segment_members (user_id bigint, sign integer,
                                                       attribute text, segment text,
                                                       cohort_week date, signup_date date)
                ON COMMIT DROP;
            PERFORM ritual.find_segment_members(attributes);
        END IF;
        IF old_first IS NOT NULL THEN
            PERFORM ritual.move_segment_days(greatest(old_first, new_first),
                                             least(old_last, new_last), profiles_changed);
        END IF;
        IF old_first IS NULL THEN
            PERFORM ritual.count_segment_days(attributes, new_first, new_last);
        END IF;
        IF new_first < old_first THEN
            PERFORM ritual.count_segment_days(attributes, new_first,
                                              least(new_last, old_first - 1));
        END IF;
        IF new_last > old_last THEN
            PERFORM ritual.count_segment_days(attributes, greatest(new_first, old_last + 1),
                                              new_last);
        END IF;
    END IF;

    --
    -- retention.  Its cells come from two counts per cohort and week: the
    -- users active in the week (retained_on), and the users whose last
    -- active week it is (retained_on_or_after of a week sums those of the
    -- weeks from it on).  A full build counts them from user_weeks; a
    -- refresh starts from the cells before and adds what changes: the weeks
    -- of the users whose days or signup changed, each +1 or -1 in
    -- _ritual_retained.
    --
    CREATE TEMP TABLE _ritual_retained (cohort_week date, week integer, active bigint,
                                        last_active bigint) ON COMMIT DROP;
    IF incremental THEN
        -- (by segment: what the users whose profile changed added before)
        IF profiles_changed THEN
            PERFORM ritual.count_member_weeks(-1);
        END IF;
        INSERT INTO _ritual_retained
        SELECT cohort_week, week_number, retained_on,
               retained_on_or_after
               - coalesce(lead(retained_on_or_after)
                              OVER (PARTITION BY cohort_week ORDER BY week_number), 0)
          FROM ritual.retention_cohorts;

        -- a user whose signup changed leaves their last week (the cohort
        -- before: they are in _ritual_old_users, unless they had no
        -- profile and so no week); the pass counted the others' moves
        CREATE TEMP TABLE _ritual_week_users ON COMMIT DROP AS
        SELECT user_id FROM _ritual_profile_users;
        INSERT INTO _ritual_retained
        SELECT coalesce(o.cohort_week, u.cohort_week), l.last_week, 0, -1
          FROM _ritual_week_users x
          LEFT JOIN _ritual_old_users o USING (user_id)
          LEFT JOIN ritual.users u USING (user_id)
         CROSS JOIN LATERAL (SELECT max(w.week_number) AS last_week FROM ritual.user_weeks w
                              WHERE w.user_id = x.user_id) l
         WHERE l.last_week IS NOT NULL;

        -- a user whose signup changed: every week again
        WITH gone AS (
            DELETE FROM ritual.user_weeks w USING _ritual_profile_users p
             WHERE w.user_id = p.user_id
            RETURNING w.user_id, w.week_number
        )
        INSERT INTO _ritual_retained
        SELECT o.cohort_week, g.week_number, -1, 0 FROM gone g JOIN _ritual_old_users o USING (user_id);
        WITH made AS (
            INSERT INTO ritual.user_weeks
            SELECT DISTINCT d.user_id, ritual.week_since_signup(d.day, u.signup_date)
              FROM _ritual_profile_users p
              JOIN ritual.user_days d USING (user_id)
              JOIN ritual.users u USING (user_id)
             WHERE u.signup_date IS NOT NULL
            RETURNING user_id, week_number
        )
        INSERT INTO _ritual_retained
        SELECT u.cohort_week, m.week_number, 1, 0 FROM made m JOIN ritual.users u USING (user_id);

        -- the others: the weeks the pass found gained (a day of the week
        -- gained the first clean event of the week) and lost (the week's
        -- last day with clean events lost them)
        WITH made AS (
            INSERT INTO ritual.user_weeks
            SELECT user_id, week FROM _ritual_week_changes WHERE gained
            ON CONFLICT DO NOTHING
            RETURNING user_id, week_number
        )
        INSERT INTO _ritual_retained
        SELECT u.cohort_week, m.week_number, 1, 0 FROM made m JOIN ritual.users u USING (user_id);
        WITH gone AS (
            DELETE FROM ritual.user_weeks w USING _ritual_week_changes c
             WHERE NOT c.gained AND w.user_id = c.user_id AND w.week_number = c.week
            RETURNING c.cohort_week, w.week_number
        )
        INSERT INTO _ritual_retained SELECT cohort_week, week_number, -1, 0 FROM gone;
        INSERT INTO _ritual_retained SELECT cohort_week, week, 0, users FROM _ritual_last_weeks;

        -- and a user whose signup changed arrives at their last week now
        INSERT INTO _ritual_retained
        SELECT u.cohort_week, l.last_week, 0, 1
          FROM _ritual_week_users x
          JOIN ritual.users u USING (user_id)
         CROSS JOIN LATERAL (SELECT max(w.week_number) AS last_week FROM ritual.user_weeks w
                              WHERE w.user_id = x.user_id) l
         WHERE l.last_week IS NOT NULL;

        -- (by segment: what they add now)
        IF profiles_changed THEN
            PERFORM ritual.count_member_weeks(1);
        END IF;
    ELSE
        -- (the pass over the events wrote user_weeks)
        INSERT INTO _ritual_retained
        WITH user_weeks AS (
            SELECT u.cohort_week, w.user_id, w.week_number AS week
              FROM ritual.user_weeks w JOIN ritual.users u USING (user_id)
        )
        SELECT cohort_week, week, count(*), 0 FROM user_weeks GROUP BY 1, 2
        UNION ALL
        SELECT cohort_week, last_week, 0, count(*)
          FROM (SELECT cohort_week, user_id, max(week) AS last_week
                  FROM user_weeks GROUP BY 1, 2) per_user
         GROUP BY 1, 2;
    END IF;

    -- every cell, from the cohorts' sizes
    CREATE TEMP TABLE _ritual_cohort_sizes ON COMMIT DROP AS
    SELECT cohort_week, count(*) AS cohort_size
      FROM ritual.users WHERE signup_date IS NOT NULL GROUP BY cohort_week;
    PERFORM ritual.write_retention_cohorts(last_clean);
    PERFORM ritual.clear_segment_counts();

    -- the passes wrote funnel_steps (src/analytics/funnels.c); a cohort is
    -- complete once its windows all end within the data
    UPDATE ritual.funnel_steps s
       SET cohort_status = CASE WHEN s.cohort_week + 6 + f.conversion_window <= last_clean
                                THEN 'complete' ELSE 'incomplete' END
      FROM ritual.funnels f
     WHERE f.funnel = s.funnel
       AND s.cohort_status IS DISTINCT FROM
           CASE WHEN s.cohort_week + 6 + f.conversion_window <= last_clean
                THEN 'complete' ELSE 'incomplete' END;

    -- spikes and drop-offs of the daily series (a few thousand rows), over
    -- the days with events: the signups before the first or after the last
    -- would read as quiet days.  A day is judged from its value and those
    -- before it, so a refresh judges again the days from the first whose
    -- value changed (or that is new) on; every day when the series, their
    -- first day or the threshold changed.  DELETE, as for retention_cohorts.
    CREATE TEMP TABLE _ritual_series ON COMMIT DROP AS
    WITH days AS (
        SELECT day, events, dau FROM ritual.daily_activity
         WHERE day BETWEEN first_clean AND last_clean
    )
    SELECT 'events'::text AS series, day, events::double precision AS value FROM days
    UNION ALL
    SELECT 'dau', day, dau FROM days
    UNION ALL
    SELECT 'events:' || t.event_type, d.day, coalesce(e.events, 0)
      FROM days d
     CROSS JOIN (SELECT DISTINCT event_type FROM ritual.daily_event_types) t
      LEFT JOIN ritual.daily_event_types e ON e.day = d.day AND e.event_type = t.event_type;
    IF incremental AND state.spike_threshold = spike_threshold AND old_first_clean = first_clean
       AND (SELECT array_agg(series ORDER BY series) FROM ritual.spike_coverage)
           = (SELECT array_agg(DISTINCT series ORDER BY series) FROM _ritual_series) THEN
        judge_from := least((SELECT min(day) FROM _ritual_changes), old_last_clean + 1);
    END IF;
    PERFORM ritual.detect_spikes(spike_threshold, judge_from);

    --
    -- data quality, by difference: flagged rows out (old versions) and in
    -- (new versions), events and the profile rows of changed users; the
    -- unknown types also one by one (scope 'event_type')
    --
    CREATE TEMP TABLE _ritual_dq ON COMMIT DROP AS
    WITH flagged_rows AS (
        SELECT flags, source_file, day, event_type, rows AS d FROM _ritual_flag_counts
        UNION ALL
        SELECT ritual.profile_flags(p.signup_date, u.flags & 256 <> 0), p.source_file,
               p.signup_date, NULL, 1
          FROM _ritual_profile_rows p JOIN ritual.users u USING (user_id)
          JOIN _ritual_profile_users USING (user_id)
        UNION ALL
        SELECT ritual.profile_flags(p.signup_date, o.flags & 256 <> 0), p.source_file,
               p.signup_date, NULL, -1
          FROM _ritual_profile_rows p JOIN _ritual_old_users o USING (user_id)
         WHERE NOT p.is_new
    ), kind_rows AS (
        SELECT k.kind, k.flag_bit, r.source_file, r.day, r.event_type, r.d
          FROM flagged_rows r JOIN ritual.flag_kinds() k ON r.flags & k.flag_bit <> 0
    )
    SELECT kind, flag_bit, 'total'::text AS scope, NULL::text AS source_file, NULL::date AS day,
           NULL::text AS event_type, sum(d) AS rows
      FROM kind_rows GROUP BY 1, 2
    UNION ALL
    SELECT kind, flag_bit, 'file', source_file, NULL, NULL, sum(d) FROM kind_rows GROUP BY 1, 2, 4
    UNION ALL
    SELECT kind, flag_bit, 'day', NULL, day, NULL, sum(d) FROM kind_rows GROUP BY 1, 2, 5
    UNION ALL
    SELECT kind, flag_bit, 'event_type', NULL, NULL, event_type, sum(d) FROM kind_rows
     WHERE flag_bit = 8 GROUP BY 1, 2, 6;

    INSERT INTO ritual.data_quality
    SELECT k.kind, k.flag_bit, 'total', NULL, NULL, 0, NULL FROM ritual.flag_kinds() k
     WHERE NOT EXISTS (SELECT FROM ritual.data_quality q
                        WHERE q.scope = 'total' AND q.kind = k.kind);
    UPDATE ritual.data_quality q SET rows = q.rows + c.rows
      FROM _ritual_dq c
     WHERE q.scope = c.scope AND q.kind = c.kind
       AND q.source_file IS NOT DISTINCT FROM c.source_file AND q.day IS NOT DISTINCT FROM c.day
       AND q.event_type IS NOT DISTINCT FROM c.event_type;
    INSERT INTO ritual.data_quality
    SELECT kind, flag_bit, scope, source_file, day, rows, event_type FROM _ritual_dq c
     WHERE NOT EXISTS (SELECT FROM ritual.data_quality q
                        WHERE q.scope = c.scope AND q.kind = c.kind
                          AND q.source_file IS NOT DISTINCT FROM c.source_file
                          AND q.day IS NOT DISTINCT FROM c.day
                          AND q.event_type IS NOT DISTINCT FROM c.event_type);
    DELETE FROM ritual.data_quality WHERE scope <> 'total' AND rows = 0;

    -- the rows of enriched_events, clean_events and sessions: counted by a
    -- full build's pass, by difference when the last build kept them
    -- (counting a million rows costs a refresh more than most of its work)
    IF incremental AND state.event_rows IS NOT NULL THEN
        state.event_rows := state.event_rows + (SELECT count(*) FROM _ritual_new_events);
        state.clean_rows := state.clean_rows + (SELECT coalesce(sum(delta), 0) FROM _ritual_changes);
    ELSIF incremental THEN
        SELECT count(*), count(*) FILTER (WHERE flags = 0) INTO state.event_rows, state.clean_rows
          FROM ritual.enriched_events;
    END IF;
    IF incremental AND state.session_rows IS NOT NULL THEN
        state.session_rows := state.session_rows + session_changes;
    ELSIF incremental THEN
        SELECT count(*) INTO state.session_rows FROM ritual.sessions;
    END IF;

    -- an export that spells a known type differently must not go unnoticed
    PERFORM ritual.warn_unknown_types(state.event_rows);

    --
    -- what the next refresh starts from
    --
    DELETE FROM ritual.refresh_state;
    IF NOT (ritual.has_columns(events_rel, ARRAY['source_file', 'source_line'])
            AND ritual.has_columns(profiles_rel, ARRAY['source_file', 'source_line'])) THEN
        TRUNCATE ritual.refresh_watermarks;
    ELSE
        INSERT INTO ritual.refresh_watermarks AS w
        SELECT events_name, f.source_file, f.max_line
          FROM unnest(event_files, event_lines) AS f(source_file, max_line)
        UNION ALL
        SELECT profiles_name, source_file, max(source_line) FROM _ritual_profile_rows
         WHERE is_new AND source_file IS NOT NULL AND source_line IS NOT NULL GROUP BY source_file
        ON CONFLICT (relation, source_file)
        DO UPDATE SET max_line = greatest(w.max_line, excluded.max_line);
        INSERT INTO ritual.refresh_state
        VALUES (events_name, profiles_name, reference, extract(epoch FROM session_gap), digest,
                state.event_rows, state.clean_rows, spike_threshold, state.session_rows);
    END IF;

    INSERT INTO ritual.report_builds
        (built_at, events_relation, profiles_relation, reference_time, session_gap_seconds,
         raw_events, clean_events, users, seconds, kind, new_events, new_profiles,
         recomputed_events)
    SELECT now() AT TIME ZONE 'UTC', events_rel::text, profiles_rel::text, reference,
           extract(epoch FROM session_gap),
           state.event_rows, state.clean_rows,
           (SELECT count(*) FROM ritual.users),
           extract(epoch FROM clock_timestamp() - started),
           CASE WHEN incremental THEN 'incremental' ELSE 'full' END,
           CASE WHEN incremental THEN (SELECT count(*) FROM _ritual_new_events)
                ELSE state.event_rows END,
           (SELECT count(*) FROM _ritual_profile_rows WHERE is_new),
           recomputed;

    IF NOT incremental THEN
        ANALYZE ritual.users, ritual.daily_activity, ritual.retention_cohorts,
                ritual.user_segments, ritual.daily_activity_by_segment, ritual.segment_cohorts,
                ritual.segment_weeks;
    END IF;
END
$fn$;
COMMENT ON FUNCTION ritual.update_reports(text, text, timestamp, interval, double precision, boolean) IS
  'internal to build_reports and refresh_reports: brings every reporting table up to date with the raw rows not yet included (all of them after emptying everything when not incremental)';

/*
 * Statistics of a build's scratch table, for the joins that read it next:
 * from a sample of 3,000 rows, not the 30,000 of the default target, which
 * took 6% of a refresh (the planner needs the size and the common values,
 * not fine histograms).
 */
CREATE OR REPLACE FUNCTION ritual.analyze_scratch(rel regclass, columns text[] DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql
SET default_statistics_target = 10
AS $fn$
BEGIN
    EXECUTE format('ANALYZE %s %s', rel,
                   (SELECT '(' || string_agg(quote_ident(c), ', ') || ')' FROM unnest(columns) c));
END
$fn$;
COMMENT ON FUNCTION ritual.analyze_scratch(regclass, text[]) IS
  'internal to build_reports and refresh_reports: ANALYZE of a scratch table, with a small sample';

/* Whether a relation has all the named columns. */
CREATE OR REPLACE FUNCTION ritual.has_columns(rel regclass, names text[])
RETURNS boolean
LANGUAGE sql STABLE
AS $$
    SELECT count(*) = cardinality(names)
      FROM pg_catalog.pg_attribute
     WHERE attrelid = rel AND attname = ANY (names) AND attnum > 0 AND NOT attisdropped
$$;
COMMENT ON FUNCTION ritual.has_columns(regclass, text[]) IS 'internal: whether a relation has all the named columns';

/* Raise a clear error when a relation lacks a column the reports need. */
CREATE OR REPLACE FUNCTION ritual.require_columns(rel regclass, names text[])
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
 * With replace, tables of those names are dropped first (a new export).
 */
CREATE OR REPLACE FUNCTION ritual.create_raw_tables(events_path text, profiles_path text,
                                         server name DEFAULT 'ritual_raw_files',
                                         replace boolean DEFAULT false)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    existing text;
BEGIN
    SELECT format('ritual.%I', c.relname) INTO existing
      FROM pg_class c
     WHERE c.relnamespace = 'ritual'::regnamespace AND c.relname IN ('raw_events', 'raw_profiles')
     ORDER BY c.relname LIMIT 1;
    IF existing IS NOT NULL AND NOT replace THEN
        RAISE EXCEPTION 'relation % already exists', existing
              USING ERRCODE = 'duplicate_table',
                    HINT = 'Pass replace => true to drop ritual.raw_events and ritual.raw_profiles and create them over the new paths.';
    END IF;
    IF replace THEN
        DROP FOREIGN TABLE IF EXISTS ritual.raw_events, ritual.raw_profiles;
    END IF;
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
COMMENT ON FUNCTION ritual.create_raw_tables(text, text, name, boolean) IS
  'create foreign tables ritual.raw_events and ritual.raw_profiles over raw export files; replace drops existing ones first';

/*
 * The functions above that only build_reports and refresh_reports call are
 * not for other roles: building is for the owner of the reporting tables.
 */
REVOKE EXECUTE ON FUNCTION ritual.detect_spikes(double precision, date),
    ritual.judge_days(date),
    ritual.warn_unknown_types(bigint), ritual.report_bad_fields(regclass, bigint, text, bigint, text),
    ritual.quiet_scans(regclass, regclass), ritual.report_counts(), ritual.qualified_name(regclass),
    ritual.has_provenance_index(regclass), ritual.read_new_rows(regclass, regclass, text[]),
    ritual.rows_above_watermarks(regclass, text),
    ritual.empty_reports(),
    ritual.drop_indexes(regclass), ritual.build_events(timestamp, interval, boolean),
    ritual.copy_new_events(text),
    ritual.build_event_tables(timestamp, interval, boolean),
    ritual.recompute_events(timestamp, interval, bigint, boolean, date, date, timestamp),
    ritual.update_reports(text, text, timestamp, interval, double precision, boolean),
    ritual.has_columns(regclass, text[]), ritual.require_columns(regclass, text[]),
    ritual.analyze_scratch(regclass, text[]), ritual.write_retention_cohorts(date),
    ritual.drop_scratch(text)
  FROM PUBLIC;
