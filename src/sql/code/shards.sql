/*
 * src/sql/code/shards.sql: what makes a ritual installation a shard of a
 * larger deployment (docs/scale-out.md).  The rule that assigns users to
 * shards, and the few small aggregates a coordinator reads from a worker
 * besides its reporting tables: they are what the sums of the workers'
 * reports lack to equal a single node's (the signup cohorts a worker's
 * retention cells do not reach, WAU and MAU past the worker's last day,
 * the funnels' seconds that medians need).  Every node has them; only a
 * coordinator reads them.
 */

/*
 * The shard of a user (src/sharding/user_shard.c): the remainder of
 * PostgreSQL's hash partitioning of a bigint key, so that tables
 * partitioned BY HASH (user_id) over the workers route one user's rows to
 * their worker.  A NULL user_id is shard 0.
 */
CREATE OR REPLACE FUNCTION ritual.user_shard(user_id bigint, shards integer)
RETURNS integer
AS 'MODULE_PATHNAME', 'ritual_user_shard'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ritual.user_shard(bigint, integer) IS
  'the shard (0 to shards - 1) that holds a user: the remainder of PostgreSQL''s hash partitioning of user_id with modulus shards; 0 for a NULL user_id';

/*
 * The users of each signup cohort.  A coordinator sums them into
 * retention_cohorts' cohort sizes: a worker's retention cells stop at its
 * own last day with a clean event, and a cohort that signed up after it
 * has no cell there.
 */
CREATE OR REPLACE VIEW ritual.shard_cohorts AS
SELECT cohort_week, count(*) AS users
  FROM ritual.users WHERE signup_date IS NOT NULL
 GROUP BY cohort_week;
COMMENT ON VIEW ritual.shard_cohorts IS
  'For a coordinator (docs/scale-out.md): the users with a valid signup per cohort week.';

/*
 * WAU and MAU on the 29 days after the last day of daily_activity: the
 * users of this shard still count on the days a larger deployment reports
 * past this shard's data.  A user active last on day L counts in WAU up to
 * L + 6 and in MAU up to L + 29; no user is active after the last day.
 */
CREATE OR REPLACE VIEW ritual.shard_activity_tail AS
WITH bounds AS (
    SELECT max(day) AS last_day FROM ritual.daily_activity
), last_days AS (
    SELECT d.user_id, max(d.day) AS last_active
      FROM ritual.user_days d, bounds b
     WHERE d.day > b.last_day - 30
     GROUP BY d.user_id
), days AS (
    SELECT (b.last_day + n) AS day FROM bounds b, generate_series(1, 29) AS n
)
SELECT d.day,
       count(*) FILTER (WHERE l.last_active >= d.day - 6) AS wau,
       count(*) AS mau
  FROM days d JOIN last_days l ON l.last_active >= d.day - 29
 GROUP BY d.day;
COMMENT ON VIEW ritual.shard_activity_tail IS
  'For a coordinator (docs/scale-out.md): WAU and MAU of this shard''s users on the days after the last of daily_activity, while not 0.';

/*
 * The same per segment of each breakdown attribute, as
 * daily_activity_by_segment splits them (NULL: no value).
 */
CREATE OR REPLACE VIEW ritual.shard_segment_tail AS
WITH bounds AS (
    SELECT max(day) AS last_day FROM ritual.daily_activity
), last_days AS (
    SELECT d.user_id, max(d.day) AS last_active
      FROM ritual.user_days d, bounds b
     WHERE d.day > b.last_day - 30
     GROUP BY d.user_id
), user_values AS (
    SELECT l.last_active, a.attribute, k.segments ->> a.attribute AS segment
      FROM last_days l
      LEFT JOIN ritual.user_segments s USING (user_id)
      LEFT JOIN ritual.segment_keys k USING (segment_key)
     CROSS JOIN ritual.breakdown_attributes a
), days AS (
    SELECT (b.last_day + n) AS day FROM bounds b, generate_series(1, 29) AS n
)
SELECT v.attribute, v.segment, d.day,
       count(*) FILTER (WHERE v.last_active >= d.day - 6) AS wau,
       count(*) AS mau
  FROM days d JOIN user_values v ON v.last_active >= d.day - 29
 GROUP BY v.attribute, v.segment, d.day;
COMMENT ON VIEW ritual.shard_segment_tail IS
  'For a coordinator (docs/scale-out.md): shard_activity_tail per segment of each breakdown attribute.';

/*
 * The seconds between a funnel's steps, counted per value: what the
 * medians of funnel_steps are taken over.  Event times have whole
 * seconds in practice, so a cell has at most one row per second of its
 * conversion window, whatever its users.
 */
CREATE OR REPLACE VIEW ritual.shard_funnel_seconds AS
SELECT f.funnel,
       (f.entered_at::date - extract(dow FROM f.entered_at)::integer) AS cohort_week,
       s AS step,
       extract(epoch FROM f.step_times[s] - f.step_times[s - 1])::double precision AS seconds,
       count(*) AS users
  FROM ritual.funnel_users f, generate_series(2, f.steps_reached) AS s
 GROUP BY 1, 2, 3, 4;
COMMENT ON VIEW ritual.shard_funnel_seconds IS
  'For a coordinator (docs/scale-out.md): per funnel, entry cohort and step from 2, the users who took each number of seconds from the step before.';

/*
 * The relations a coordinator reads from a worker: the aggregates it sums
 * and the per-row tables it reaches as partitions.
 */
CREATE OR REPLACE FUNCTION ritual.shard_relations()
RETURNS text[]
LANGUAGE sql IMMUTABLE
AS $$
    SELECT ARRAY['activity_counts', 'daily_activity', 'daily_activity_by_segment',
                 'daily_event_types', 'data_quality', 'enriched_events', 'event_transitions',
                 'funnel_steps', 'path_counts', 'report_builds', 'retention_cohorts',
                 'segment_cohorts', 'segment_weeks', 'sessions', 'shard_activity_tail',
                 'shard_cohorts', 'shard_funnel_seconds', 'shard_segment_tail', 'users']
$$;
COMMENT ON FUNCTION ritual.shard_relations() IS
  'the relations of schema ritual that a coordinator reads from its workers';

/*
 * Their columns and types, as one digest: a coordinator refuses a worker
 * whose relations differ from its own.  By column name, as postgres_fdw
 * maps them (an upgraded installation may hold them in another order).
 */
CREATE OR REPLACE FUNCTION ritual.shard_schema_digest()
RETURNS text
LANGUAGE sql STABLE
AS $$
    SELECT md5(string_agg(format('%s.%s:%s', c.relname, a.attname,
                                 format_type(a.atttypid, a.atttypmod)),
                          ',' ORDER BY c.relname, a.attname))
      FROM pg_catalog.pg_class c
      JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid
     WHERE c.relnamespace = 'ritual'::regnamespace AND c.relname = ANY (ritual.shard_relations())
       AND a.attnum > 0 AND NOT a.attisdropped
$$;
COMMENT ON FUNCTION ritual.shard_schema_digest() IS
  'md5 of the columns and types of the relations a coordinator reads (ritual.shard_relations)';

/*
 * The catalogues a build counts with, as one digest: a coordinator makes
 * its workers' equal to its own before their builds.  Rows whole, spelled
 * the same whatever the session's settings.
 */
CREATE OR REPLACE FUNCTION ritual.catalogue_digest()
RETURNS text
LANGUAGE sql STABLE
SET IntervalStyle = 'postgres'
AS $$
    SELECT md5(coalesce((SELECT string_agg(t::text, ',' ORDER BY t.event_type)
                           FROM ritual.event_types t), '')
               || ';' || coalesce((SELECT string_agg(f::text, ',' ORDER BY f.funnel)
                                     FROM ritual.funnels f), '')
               || ';' || coalesce((SELECT string_agg(a::text, ',' ORDER BY a.attribute)
                                     FROM ritual.breakdown_attributes a), ''))
$$;
COMMENT ON FUNCTION ritual.catalogue_digest() IS
  'md5 of the event_types, funnels and breakdown_attributes catalogues, rows whole';

-- what only a coordinator asks (as the owner of the reporting tables)
REVOKE EXECUTE ON FUNCTION ritual.shard_relations(), ritual.shard_schema_digest(),
       ritual.catalogue_digest()
  FROM PUBLIC;
