/*
 * src/sql/code/shards.sql: what makes a ritual installation a shard of a
 * larger deployment (docs/scale-out.md).  The rule that assigns users to
 * shards; the few small aggregates a coordinator needs from a worker
 * besides its reporting tables, what the sums of the workers' reports lack
 * to equal a single node's (the signup cohorts a worker's retention cells
 * do not reach, WAU and MAU past the worker's last day, the funnels'
 * seconds that medians need); and the package that carries them all to
 * the coordinator.  Every node has them; only a coordinator asks for them.
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
 * A text compressed and written in base64, and back (src/sharding/
 * package.c): what a worker sends its coordinator, one value a fraction
 * of the rows' size.
 */
CREATE OR REPLACE FUNCTION ritual.pack_text(plain text)
RETURNS text
AS 'MODULE_PATHNAME', 'ritual_pack_text'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ritual.pack_text(text) IS 'internal: a text, zstd-compressed, in base64';
CREATE OR REPLACE FUNCTION ritual.unpack_text(packed text)
RETURNS text
AS 'MODULE_PATHNAME', 'ritual_unpack_text'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ritual.unpack_text(text) IS 'internal: the text of ritual.pack_text';

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
 * The users are counted per segment key and last day first (a few hundred
 * rows), then per segment of each breakdown attribute (attribute NULL:
 * all of them).
 *
 * This and funnel_seconds are read through views over functions that run
 * without JIT: the planner's estimates of their joins of days with users
 * run to millions of rows, and compiling them took 200 ms where running
 * them takes 30.
 */
CREATE OR REPLACE FUNCTION ritual.tail_counts()
RETURNS TABLE (attribute text, segment text, day date, wau bigint, mau bigint)
LANGUAGE sql STABLE
SET jit = off
AS $$
    WITH bounds AS (
        SELECT max(day) AS last_day FROM ritual.daily_activity
    ), per_key AS (
        SELECT coalesce(s.segment_key, 0) AS segment_key, u.last_active, count(*) AS users
          FROM (SELECT d.user_id, max(d.day) AS last_active
                  FROM ritual.user_days d, bounds b
                 WHERE d.day > b.last_day - 30
                 GROUP BY d.user_id) u
          LEFT JOIN ritual.user_segments s USING (user_id)
         GROUP BY 1, 2
    ), per_segment AS (
        SELECT NULL::text AS attribute, NULL::text AS segment, last_active, sum(users) AS users
          FROM per_key GROUP BY last_active
        UNION ALL
        SELECT a.attribute, k.segments ->> a.attribute, p.last_active, sum(p.users)
          FROM per_key p
          LEFT JOIN ritual.segment_keys k USING (segment_key)
         CROSS JOIN ritual.breakdown_attributes a
         GROUP BY 1, 2, 3
    )
    SELECT p.attribute, p.segment, b.last_day + n AS day,
           coalesce(sum(p.users) FILTER (WHERE p.last_active >= b.last_day + n - 6), 0)::bigint,
           sum(p.users)::bigint
      FROM bounds b
     CROSS JOIN generate_series(1, 29) AS n
      JOIN per_segment p ON p.last_active >= b.last_day + n - 29
     GROUP BY 1, 2, 3
$$;
COMMENT ON FUNCTION ritual.tail_counts() IS 'internal: the rows of view ritual.shard_tails';
CREATE OR REPLACE VIEW ritual.shard_tails AS SELECT * FROM ritual.tail_counts();
COMMENT ON VIEW ritual.shard_tails IS
  'For a coordinator (docs/scale-out.md): WAU and MAU of this shard''s users on the days after the last of daily_activity, while not 0: in all (attribute NULL), and per segment of each breakdown attribute (segment NULL: no value).';

/*
 * The seconds of a funnel's step (src/analytics/functions.c): the double
 * the funnels' pass computes, which extract(epoch FROM ...) reaches only
 * through numeric, eight times slower.
 */
CREATE OR REPLACE FUNCTION ritual.step_seconds(earlier timestamp, later timestamp)
RETURNS double precision
AS 'MODULE_PATHNAME', 'ritual_step_seconds'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ritual.step_seconds(timestamp, timestamp) IS
  'internal: the seconds from one step of a funnel to the next, as funnel_steps measures them';

/*
 * The seconds each user took from a funnel's step to the next: what the
 * medians of funnel_steps are taken over, one row per user and step from
 * 2.  Each value is in a bucket of about a sixth of an octave
 * (floor(6 ln(seconds + 1)), rising with the seconds): a coordinator reads
 * the users per bucket first (in the package), then the values of the
 * buckets that hold the middle of each cell only (shard_funnel_values).
 */
CREATE OR REPLACE FUNCTION ritual.funnel_seconds()
RETURNS TABLE (funnel text, cohort_week date, step integer, bucket integer,
               seconds double precision)
LANGUAGE sql STABLE
SET jit = off
AS $$
    SELECT funnel, cohort_week, step, floor(6 * ln(seconds + 1))::integer, seconds
      FROM (SELECT f.funnel,
                   (f.entered_at::date - extract(dow FROM f.entered_at)::integer) AS cohort_week,
                   s AS step,
                   ritual.step_seconds(f.step_times[s - 1], f.step_times[s]) AS seconds
              FROM ritual.funnel_users f, generate_series(2, f.steps_reached) AS s) t
$$;
COMMENT ON FUNCTION ritual.funnel_seconds() IS
  'internal: each user''s seconds from a funnel''s step to the next, with their bucket';

/*
 * The values of some buckets of funnel seconds ('cells': a JSON array of
 * funnel, cohort_week, step and bucket), counted per value, packed.
 */
CREATE OR REPLACE FUNCTION ritual.shard_funnel_values(cells jsonb)
RETURNS text
LANGUAGE sql STABLE
SET jit = off
SET extra_float_digits = 1
AS $$
    SELECT ritual.pack_text(coalesce(jsonb_agg(t), '[]')::text)
      FROM (SELECT f.funnel, f.cohort_week, f.step, f.bucket, f.seconds, count(*) AS users
              FROM ritual.funnel_seconds() f
              JOIN jsonb_to_recordset(cells)
                   AS c(funnel text, cohort_week date, step integer, bucket integer)
                USING (funnel, cohort_week, step, bucket)
             GROUP BY 1, 2, 3, 4, 5) t
$$;
COMMENT ON FUNCTION ritual.shard_funnel_values(jsonb) IS
  'internal: for a coordinator, the seconds of some buckets of funnel seconds, counted per value and packed';

/*
 * The aggregates a coordinator sums, in one package (src/sharding/
 * package.c) that a worker's build returns with its counts: each relation of ritual.packed_relations() as a JSON array
 * of its rows (report_builds: the last build only), and the users per
 * bucket of funnel seconds.  Floats are written shortest-exact, so that
 * they read back as the same doubles.
 */
CREATE OR REPLACE FUNCTION ritual.packed_relations()
RETURNS text[]
LANGUAGE sql IMMUTABLE
AS $$
    SELECT ARRAY['activity_counts', 'daily_activity', 'daily_activity_by_segment',
                 'daily_event_types', 'data_quality', 'event_transitions', 'funnel_steps',
                 'path_counts', 'report_builds', 'retention_cohorts', 'segment_cohorts',
                 'segment_weeks', 'shard_cohorts', 'shard_tails']
$$;
COMMENT ON FUNCTION ritual.packed_relations() IS
  'internal: the relations of a worker''s package';

-- (VOLATILE: called in the statement of the build, it must see what the
-- build wrote, which a STABLE function's snapshot would not)
CREATE OR REPLACE FUNCTION ritual.shard_package()
RETURNS text
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET jit = off
SET extra_float_digits = 1
AS $fn$
DECLARE
    parts text[] := '{}';
    rel text;
    rows text;
BEGIN
    FOREACH rel IN ARRAY ritual.packed_relations() LOOP
        -- (without the shares, medians and statuses, which the coordinator
        -- computes again: their digits are most of what would not compress)
        EXECUTE format('SELECT coalesce(json_agg(t), ''[]'') FROM (SELECT %s FROM ritual.%I %s) t',
                       (SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum)
                          FROM pg_catalog.pg_attribute a
                         WHERE a.attrelid = format('ritual.%I', rel)::regclass AND a.attnum > 0
                           AND NOT a.attisdropped
                           AND a.attname <> ALL (ARRAY['stickiness', 'pct_on', 'pct_on_or_after',
                                                       'cell_status', 'pct_of_first',
                                                       'pct_of_previous',
                                                       'median_seconds_from_previous',
                                                       'cohort_status'])),
                       rel,
                       CASE WHEN rel = 'report_builds' THEN 'ORDER BY built_at DESC LIMIT 1' ELSE '' END)
           INTO rows;
        parts := parts || format('%s: %s', to_json(rel), rows);
    END LOOP;
    SELECT coalesce(json_agg(t), '[]') INTO rows
      FROM (SELECT funnel, cohort_week, step, bucket, count(*) AS users
              FROM ritual.funnel_seconds() GROUP BY 1, 2, 3, 4) t;
    parts := parts || format('%s: %s', to_json('funnel_buckets'::text), rows);
    RETURN ritual.pack_text('{' || array_to_string(parts, ', ') || '}');
END
$fn$;
COMMENT ON FUNCTION ritual.shard_package() IS
  'internal: for a coordinator, this shard''s aggregates, one value, packed (src/sharding/package.c)';

/*
 * The relations a coordinator reads from a worker: the aggregates it sums
 * (through the package) and the per-row tables it reaches as partitions.
 */
CREATE OR REPLACE FUNCTION ritual.shard_relations()
RETURNS text[]
LANGUAGE sql IMMUTABLE
AS $$
    SELECT ritual.packed_relations()
           || ARRAY['enriched_events', 'sessions', 'users']
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
       ritual.catalogue_digest(), ritual.tail_counts(), ritual.funnel_seconds(),
       ritual.step_seconds(timestamp, timestamp), ritual.shard_funnel_values(jsonb),
       ritual.packed_relations(), ritual.shard_package(), ritual.pack_text(text),
       ritual.unpack_text(text)
  FROM PUBLIC;
