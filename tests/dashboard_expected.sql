-- tests/dashboard_expected.sql: what the page of ritual.dashboard_html()
-- must show, read straight from the reporting tables, as the JSON that
-- tests/dashboard_browser.mjs compares with the page: per chart, its source
-- table and its marks in page order, each mark as its data-* attributes
-- sorted by name ("name=value|..."); the headline numbers; the place kept
-- for the funnel and lifecycle charts.  Labels of bars are cut to 200
-- characters, as docs/dashboard.md says.
--   psql -XAt -f tests/dashboard_expected.sql > expected.json
WITH build AS (
    SELECT * FROM ritual.report_builds ORDER BY built_at DESC LIMIT 1
), line AS (
    SELECT 'series=' || s || '|values=' || string_agg(v::text, ' ' ORDER BY day) AS mark, s
      FROM ritual.daily_activity,
           LATERAL (VALUES ('dau', dau), ('wau', wau), ('mau', mau), ('events', events)) AS x(s, v)
     GROUP BY s
), spike AS (
    SELECT series, day, format('day=%s|expected=%s|value=%s', day, expected, value) AS mark
      FROM ritual.spikes
), cell AS (
    SELECT cohort_week, week_number,
           format('cohort=%s|pct=%s|size=%s|users=%s|week=%s', cohort_week,
                  round(pct_on::numeric, 4), cohort_size, retained_on, week_number) AS on_mark,
           format('cohort=%s|pct=%s|size=%s|users=%s|week=%s', cohort_week,
                  round(pct_on_or_after::numeric, 4), cohort_size, retained_on_or_after, week_number) AS after_mark
      FROM ritual.retention_cohorts
), pair AS (
    SELECT prev_event_type || ' → ' || event_type AS label, transitions AS n,
           row_number() OVER (ORDER BY transitions DESC, prev_event_type || ' → ' || event_type) AS rank
      FROM ritual.event_transitions
), unknown AS (
    SELECT event_type AS label, rows AS n, row_number() OVER (ORDER BY rows DESC, event_type) AS rank
      FROM ritual.data_quality WHERE scope = 'event_type'
), bar AS (
    SELECT 'top_transitions' AS chart, rank, label, n FROM pair WHERE rank <= 12
    UNION ALL
    SELECT 'top_transitions', 13, 'all other pairs', sum(n) FROM pair WHERE rank > 12 HAVING count(*) > 0
    UNION ALL
    SELECT 'unknown_types', rank, label, n FROM unknown WHERE rank <= 10
    UNION ALL
    SELECT 'unknown_types', 11, 'all other unknown types', sum(n) FROM unknown WHERE rank > 10 HAVING count(*) > 0
    UNION ALL
    SELECT 'quality_kinds', flag_bit, kind, rows FROM ritual.data_quality WHERE scope = 'total'
), spike_row AS (
    SELECT day, series, row_number() OVER (PARTITION BY series IN ('events', 'dau')
                                           ORDER BY abs(z) DESC, day, series) AS strength
      FROM ritual.spikes
), example AS (
    SELECT k.flag_bit, format('kind=%s|line=%s', k.kind,
               (SELECT source_line FROM ritual.enriched_events e WHERE e.flags & k.flag_bit <> 0
                 ORDER BY e.event_day NULLS LAST, e.event_id LIMIT 1)) AS mark
      FROM ritual.data_quality k
     WHERE k.scope = 'total' AND k.rows > 0 AND k.flag_bit < 256
), chart(id, source, marks) AS (
    SELECT 'active_users', 'ritual.daily_activity',
           (SELECT coalesce(json_agg(mark ORDER BY ord, day_), '[]')
              FROM (SELECT mark, array_position(ARRAY['dau', 'wau', 'mau'], s) AS ord, NULL::date
                      FROM line WHERE s IN ('dau', 'wau', 'mau')
                    UNION ALL
                    SELECT mark, 4, day FROM spike WHERE series = 'dau') m(mark, ord, day_))
    UNION ALL
    SELECT 'events_per_day', 'ritual.daily_activity',
           (SELECT json_agg(mark ORDER BY ord, day_)
              FROM (SELECT mark, 1, NULL::date FROM line WHERE s = 'events'
                    UNION ALL
                    SELECT mark, 2, day FROM spike WHERE series = 'events') m(mark, ord, day_))
    UNION ALL
    SELECT 'new_users', 'ritual.daily_activity',
           coalesce(json_agg(format('day=%s|value=%s', day, new_users) ORDER BY day)
                    FILTER (WHERE new_users > 0), '[]')
      FROM ritual.daily_activity
    UNION ALL
    SELECT 'retention_on', 'ritual.retention_cohorts',
           coalesce(json_agg(on_mark ORDER BY cohort_week, week_number), '[]') FROM cell
    UNION ALL
    SELECT 'retention_on_or_after', 'ritual.retention_cohorts',
           coalesce(json_agg(after_mark ORDER BY cohort_week, week_number), '[]') FROM cell
    UNION ALL
    SELECT c.chart, CASE c.chart WHEN 'top_transitions' THEN 'ritual.event_transitions'
                                 ELSE 'ritual.data_quality' END,
           coalesce((SELECT json_agg(format('label=%s|value=%s',
                                            CASE WHEN length(label) > 200 THEN left(label, 199) || '…'
                                                 ELSE label END, n) ORDER BY rank)
                       FROM bar WHERE bar.chart = c.chart), '[]')
      FROM (VALUES ('top_transitions'), ('unknown_types'), ('quality_kinds')) AS c(chart)
    UNION ALL
    SELECT 'quality_days', 'ritual.data_quality',
           coalesce(json_agg(format('day=%s|kind=%s|value=%s', day, kind, rows) ORDER BY day, flag_bit), '[]')
      FROM ritual.data_quality WHERE scope = 'day' AND day IS NOT NULL AND rows > 0
    UNION ALL
    SELECT 'quality_examples', 'ritual.enriched_events',
           coalesce((SELECT json_agg(mark ORDER BY flag_bit) FROM example), '[]')
    UNION ALL
    SELECT 'spike_list', 'ritual.spikes',
           coalesce(json_agg(format('day=%s|series=%s', day,
                                    CASE WHEN length(series) > 200 THEN left(series, 199) || '…'
                                         ELSE series END)
                             ORDER BY series NOT IN ('events', 'dau'), day, series), '[]')
      FROM spike_row WHERE series IN ('events', 'dau') OR strength <= 10
)
SELECT json_build_object(
    'kpis', (SELECT json_build_object(
                 'events_read', raw_events::text, 'clean_events', clean_events::text,
                 'flagged_events', (raw_events - clean_events)::text, 'users', users::text,
                 'period', (SELECT min(day) FILTER (WHERE events > 0) || '/' || max(day) FILTER (WHERE events > 0)
                              FROM ritual.daily_activity))
               FROM build),
    'charts', (SELECT json_object_agg(id, json_build_object('source', source, 'marks', marks)) FROM chart),
    'pending', json_build_array('funnel lifecycle'));
