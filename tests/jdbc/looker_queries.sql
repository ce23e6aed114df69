-- tests/jdbc/looker_queries.sql: the queries of the dashboard in
-- docs/looker-studio.md, in the shape Looker Studio sends them: the data
-- source's custom query as a subselect, Looker's own filter, grouping,
-- aggregates and LIMIT around it.  @DS_START_DATE and @DS_END_DATE are the
-- report's date range, 'YYYYMMDD' strings.  Read by tests/jdbc/LookerClient.java
-- (which binds them as parameters, and runs the same text through psql with
-- them as literals) and by bench/looker.sh (pgbench).
--
-- Each query starts with a line "-- query: NAME".  "-- rows: days" means one
-- row per day of the date range, "-- rows: some" at least one row.
-- "-- page:" says whether the query is a chart of the dashboard (run on every
-- view), of the drill-down page over the event-level tables (run when
-- asked), or what a psql user runs.

-- query: activity_by_day
-- page: dashboard
-- rows: days
SELECT t0.day AS "day", SUM(t0.dau) AS "dau", SUM(t0.wau) AS "wau", SUM(t0.mau) AS "mau",
       AVG(t0.stickiness) AS "stickiness"
  FROM (SELECT day, dau, wau, mau, stickiness, new_users, events, sessions
          FROM ritual.daily_activity
         WHERE day BETWEEN ritual.looker_date(@DS_START_DATE)
                       AND ritual.looker_date(@DS_END_DATE)) AS t0
 GROUP BY t0.day
 ORDER BY t0.day
 LIMIT 1000000;

-- query: activity_scorecards
-- page: dashboard
-- rows: some
SELECT SUM(t0.events) AS "events", SUM(t0.new_users) AS "new_users",
       SUM(t0.sessions) AS "sessions", MAX(t0.mau) AS "max_mau", COUNT(*) AS "days"
  FROM (SELECT * FROM ritual.daily_activity) AS t0
 WHERE t0.day >= ritual.looker_date(@DS_START_DATE)
   AND t0.day <= ritual.looker_date(@DS_END_DATE)
 LIMIT 1000000;

-- query: events_by_week_and_type
-- page: dashboard
-- rows: some
SELECT CAST(date_trunc('week', t0.day) AS date) AS "week", t0.event_type AS "event_type",
       SUM(t0.events) AS "events", MAX(t0.users) AS "max_daily_users"
  FROM (SELECT day, event_type, events, users FROM ritual.daily_event_types) AS t0
 WHERE t0.day <@ ritual.looker_date_range(@DS_START_DATE, @DS_END_DATE)
 GROUP BY 1, 2
 ORDER BY 1, 2
 LIMIT 5000;

-- query: retention_pivot
-- page: dashboard
-- rows: some
SELECT t0.cohort_week AS "cohort_week", t0.week_number AS "week_number",
       SUM(t0.retained_on) AS "retained", SUM(t0.cohort_size) AS "cohort_size",
       SUM(t0.retained_on)::double precision / NULLIF(SUM(t0.cohort_size), 0) AS "retention"
  FROM (SELECT * FROM ritual.retention_cohorts WHERE cell_status = 'complete') AS t0
 WHERE t0.cohort_week BETWEEN ritual.looker_date(@DS_START_DATE) - 84
                          AND ritual.looker_date(@DS_END_DATE)
   AND t0.week_number <= 12
 GROUP BY t0.cohort_week, t0.week_number
 ORDER BY t0.cohort_week, t0.week_number
 LIMIT 5000;

-- query: retention_by_week_number
-- page: dashboard
-- rows: some
SELECT t0.week_number AS "week_number",
       SUM(t0.retained_on)::double precision / SUM(t0.cohort_size) AS "pct_on",
       SUM(t0.retained_on_or_after)::double precision / SUM(t0.cohort_size) AS "pct_on_or_after"
  FROM (SELECT cohort_week, week_number, cohort_size, retained_on, retained_on_or_after
          FROM ritual.retention_cohorts WHERE cell_status = 'complete') AS t0
 GROUP BY t0.week_number
 ORDER BY t0.week_number
 LIMIT 100;

-- query: top_transitions
-- page: dashboard
-- rows: some
SELECT t0.prev_event_type AS "from", t0.event_type AS "to", SUM(t0.transitions) AS "transitions"
  FROM (SELECT * FROM ritual.event_transitions) AS t0
 GROUP BY t0.prev_event_type, t0.event_type
 ORDER BY 3 DESC, 1, 2
 LIMIT 20;

-- query: spikes_in_range
-- page: dashboard
-- rows: some
SELECT t0.day AS "day", t0.series AS "series", t0.kind AS "kind",
       MAX(t0.value) AS "value", MAX(t0.expected) AS "expected", MAX(t0.z) AS "z"
  FROM (SELECT day, series, value, expected, z, kind FROM ritual.spikes
         WHERE day BETWEEN ritual.looker_date(@DS_START_DATE) - 120
                       AND ritual.looker_date(@DS_END_DATE)) AS t0
 GROUP BY t0.day, t0.series, t0.kind
 ORDER BY t0.day, t0.series
 LIMIT 1000;

-- query: spike_coverage
-- page: dashboard
-- rows: some
SELECT t0.series AS "series", SUM(t0.judged) AS "judged", SUM(t0.too_young) AS "too_young",
       SUM(t0.spikes) AS "spikes", SUM(t0.drop_offs) AS "drop_offs"
  FROM (SELECT * FROM ritual.spike_coverage) AS t0
 GROUP BY t0.series
 ORDER BY t0.series
 LIMIT 1000;

-- query: data_quality_by_kind
-- page: dashboard
-- rows: some
SELECT t0.kind AS "kind", SUM(t0.rows) AS "rows"
  FROM (SELECT kind, day, rows FROM ritual.data_quality WHERE scope = 'day') AS t0
 WHERE t0.day BETWEEN ritual.looker_date(@DS_START_DATE) AND ritual.looker_date(@DS_END_DATE)
 GROUP BY t0.kind
 ORDER BY 2 DESC, 1
 LIMIT 100;

-- query: data_quality_totals
-- page: dashboard
-- rows: some
SELECT t0.kind AS "kind", t0.flag_bit AS "flag_bit", SUM(t0.rows) AS "rows"
  FROM (SELECT * FROM ritual.data_quality WHERE scope = 'total') AS t0
 GROUP BY t0.kind, t0.flag_bit
 ORDER BY t0.flag_bit
 LIMIT 100;

-- query: flagged_rows
-- page: drill-down
-- rows: some
SELECT t0.event_day AS "event_day", t0.flag_names AS "flag_names",
       t0.source_file AS "source_file", t0.source_line AS "source_line",
       t0.raw_event_type AS "raw_event_type", t0.event_date AS "event_date"
  FROM (SELECT event_id, event_day, flag_names, source_file, source_line, raw_event_type,
               event_date
          FROM ritual.enriched_events
         WHERE flags <> 0
           AND event_day BETWEEN ritual.looker_date(@DS_START_DATE)
                             AND ritual.looker_date(@DS_END_DATE)) AS t0
 ORDER BY t0.event_day DESC, t0.event_id DESC
 LIMIT 100;

-- query: sessions_by_day
-- page: drill-down
-- rows: days
SELECT CAST(t0.session_start AS date) AS "day", COUNT(*) AS "sessions",
       AVG(t0.duration_seconds) AS "avg_seconds", SUM(t0.events) AS "events"
  FROM (SELECT * FROM ritual.sessions
         WHERE session_start >= ritual.looker_date(@DS_START_DATE)
           AND session_start < ritual.looker_date(@DS_END_DATE) + 1) AS t0
 GROUP BY 1
 ORDER BY 1
 LIMIT 1000000;

-- query: freshness
-- page: dashboard
-- rows: some
SELECT MAX(t0.built_at) AS "built_at", MAX(t0.reference_time) AS "reference_time",
       SUM(t0.raw_events) AS "raw_events"
  FROM (SELECT * FROM ritual.report_builds
         ORDER BY built_at DESC LIMIT 1) AS t0
 LIMIT 1000000;

-- query: dau_sparkline
-- page: psql
-- rows: some
SELECT ritual.sparkline(t0.dau ORDER BY t0.day) AS "dau_trend", COUNT(*) AS "days"
  FROM (SELECT day, dau FROM ritual.daily_activity
         WHERE day BETWEEN ritual.looker_date(@DS_START_DATE)
                       AND ritual.looker_date(@DS_END_DATE)) AS t0;
