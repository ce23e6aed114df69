/*
 * src/sql/code/coordinator.sql: a coordinator over workers that each hold
 * one shard of the users (docs/scale-out.md).  It knows its workers as
 * postgres_fdw servers, starts their builds at once over dblink, and makes
 * its own reporting tables, under the single node's names, from the
 * workers' small aggregate tables: every figure is a sum over users, each
 * user on one worker; ratios, statuses and spikes are computed again from
 * the sums.  Raw rows stay on the workers, reachable through the
 * partitioned tables of schema ritual_cluster.
 */

/* The schema the dblink functions live in, or NULL when not installed. */
CREATE OR REPLACE FUNCTION ritual.dblink_schema()
RETURNS name
LANGUAGE sql STABLE
AS $$
    SELECT n.nspname FROM pg_catalog.pg_extension e
      JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
     WHERE e.extname = 'dblink'
$$;
COMMENT ON FUNCTION ritual.dblink_schema() IS 'internal: the schema of extension dblink';

/*
 * A query on one worker over a connection or server name, through dblink:
 * the first row, as text.
 */
CREATE OR REPLACE FUNCTION ritual.ask_worker(connection text, query text)
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    answer text;
BEGIN
    EXECUTE format('SELECT a FROM %I.dblink($1, $2) AS t(a text) LIMIT 1', ritual.dblink_schema())
       INTO answer USING connection, query;
    RETURN answer;
END
$fn$;
COMMENT ON FUNCTION ritual.ask_worker(text, text) IS
  'internal: the first value of a query run on a worker';

/*
 * Whether a worker can serve this coordinator: the same ritual version and
 * the same columns in the relations read from it.  Returns its version.
 */
CREATE OR REPLACE FUNCTION ritual.check_worker(worker text, connection text)
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    own_version text := (SELECT extversion FROM pg_catalog.pg_extension WHERE extname = 'ritual');
    its_version text;
BEGIN
    its_version := ritual.ask_worker(connection,
        'SELECT extversion FROM pg_catalog.pg_extension WHERE extname = ''ritual''');
    IF its_version IS NULL THEN
        RAISE EXCEPTION 'worker "%" has no ritual extension', worker
              USING ERRCODE = 'object_not_in_prerequisite_state',
                    HINT = 'Run CREATE EXTENSION ritual in the worker''s database.';
    END IF;
    IF its_version <> own_version THEN
        RAISE EXCEPTION 'worker "%" runs ritual %, the coordinator %', worker, its_version, own_version
              USING ERRCODE = 'object_not_in_prerequisite_state',
                    HINT = 'Run ALTER EXTENSION ritual UPDATE on the older one: every server of a deployment runs the same version.';
    END IF;
    IF ritual.ask_worker(connection, 'SELECT ritual.shard_schema_digest()')
       IS DISTINCT FROM ritual.shard_schema_digest() THEN
        RAISE EXCEPTION 'the reporting tables of worker "%" differ from the coordinator''s', worker
              USING ERRCODE = 'object_not_in_prerequisite_state',
                    DETAIL = format('Their columns or types are not those of ritual %s (ritual.shard_relations() lists the relations compared).', own_version),
                    HINT = 'Make the worker''s installation again: DROP EXTENSION ritual; CREATE EXTENSION ritual; then build.';
    END IF;
    RETURN its_version;
END
$fn$;
COMMENT ON FUNCTION ritual.check_worker(text, text) IS
  'internal: refuses a worker whose ritual version or reporting tables differ from the coordinator''s';

/*
 * A worker's per-row tables as the partitions of shard k of ritual_cluster's
 * tables, made again.
 */
CREATE OR REPLACE FUNCTION ritual.import_worker(worker text, server name, shard integer,
                                                shards integer)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET client_min_messages = warning
AS $fn$
DECLARE
    rel text;
BEGIN
    FOREACH rel IN ARRAY ARRAY['enriched_events', 'sessions', 'users'] LOOP
        IF to_regclass(format('ritual_cluster.%I', rel)) IS NULL THEN
            EXECUTE format('CREATE TABLE ritual_cluster.%I (LIKE ritual.%I) PARTITION BY HASH (user_id)',
                           rel, rel);
            EXECUTE format('COMMENT ON TABLE ritual_cluster.%I IS %L', rel,
                           format('ritual.%s of every worker: a partition per worker, by ritual.user_shard(user_id)', rel));
        END IF;
        EXECUTE format('DROP FOREIGN TABLE IF EXISTS ritual_cluster.%I', rel || '_' || worker);
        EXECUTE format('CREATE FOREIGN TABLE ritual_cluster.%I PARTITION OF ritual_cluster.%I'
                       ' FOR VALUES WITH (MODULUS %s, REMAINDER %s)'
                       ' SERVER %I OPTIONS (schema_name %L, table_name %L)',
                       rel || '_' || worker, rel, shards, shard, server, 'ritual', rel);
    END LOOP;
    CREATE OR REPLACE VIEW ritual_cluster.clean_events AS
        SELECT * FROM ritual_cluster.enriched_events WHERE flags = 0;
END
$fn$;
COMMENT ON FUNCTION ritual.import_worker(text, name, integer, integer) IS
  'internal: the partitions through which the coordinator reads a worker''s rows';

/*
 * ritual.add_worker: a worker that holds shard 'shard' of 'shards', a
 * PostgreSQL server with ritual at host:port.  Makes its postgres_fdw
 * server and the caller's user mapping, checks it, and makes its per-row
 * tables partitions of ritual_cluster's.  Superusers only: it points this
 * server at another.
 */
CREATE OR REPLACE FUNCTION ritual.add_worker(worker text, shard integer, shards integer,
                                             host text, port integer DEFAULT 5432,
                                             dbname text DEFAULT 'postgres',
                                             user_name text DEFAULT NULL,
                                             password text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    server name := 'ritual_worker_' || worker;
    other ritual.workers;
    version text;
BEGIN
    IF NOT (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) THEN
        RAISE EXCEPTION 'permission denied to add a worker'
              USING ERRCODE = 'insufficient_privilege',
                    HINT = 'Only a superuser may point this server at another one.';
    END IF;
    IF worker IS NULL OR worker !~ '^[a-z][a-z0-9_]{0,39}$' THEN
        RAISE EXCEPTION 'invalid worker name %', coalesce(quote_literal(worker), 'NULL')
              USING ERRCODE = 'invalid_parameter_value',
                    HINT = 'A worker''s name is 1 to 40 lower-case letters, digits and _, starting with a letter.';
    END IF;
    IF shards IS NULL OR shards NOT BETWEEN 1 AND 4096 THEN
        RAISE EXCEPTION 'shards must be between 1 and 4096, not %', coalesce(shards::text, 'NULL')
              USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF shard IS NULL OR shard NOT BETWEEN 0 AND shards - 1 THEN
        RAISE EXCEPTION 'shard must be between 0 and %, not %', shards - 1, coalesce(shard::text, 'NULL')
              USING ERRCODE = 'invalid_parameter_value',
                    HINT = 'Shards are numbered from 0, as ritual.user_shard() numbers them.';
    END IF;
    IF host IS NULL OR port IS NULL OR port NOT BETWEEN 1 AND 65535 OR dbname IS NULL THEN
        RAISE EXCEPTION 'a worker needs a host, a port between 1 and 65535 and a database name'
              USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT * INTO other FROM ritual.workers w WHERE w.worker = add_worker.worker;
    IF FOUND THEN
        RAISE EXCEPTION 'worker "%" exists', worker
              USING ERRCODE = 'duplicate_object',
                    HINT = 'Remove it first with ritual.remove_worker, or choose another name.';
    END IF;
    SELECT * INTO other FROM ritual.workers w WHERE w.shards <> add_worker.shards LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'the deployment has % shards (worker "%"), not %', other.shards, other.worker, shards
              USING ERRCODE = 'invalid_parameter_value',
                    HINT = 'To change the number of shards, lay the lake out again and add every worker anew (docs/scale-out.md, Re-sharding).';
    END IF;
    SELECT * INTO other FROM ritual.workers w WHERE w.shard = add_worker.shard;
    IF FOUND THEN
        RAISE EXCEPTION 'shard % is held by worker "%"', shard, other.worker
              USING ERRCODE = 'duplicate_object';
    END IF;

    CREATE SCHEMA IF NOT EXISTS ritual_cluster;
    COMMENT ON SCHEMA ritual_cluster IS
      'A ritual coordinator''s view of its workers'' rows (docs/scale-out.md); not for report readers.';
    CREATE EXTENSION IF NOT EXISTS postgres_fdw SCHEMA ritual_cluster;
    CREATE EXTENSION IF NOT EXISTS dblink SCHEMA ritual_cluster;
    EXECUTE format('CREATE SERVER %I FOREIGN DATA WRAPPER postgres_fdw'
                   ' OPTIONS (host %L, port %L, dbname %L, async_capable %L, fetch_size %L,'
                   ' application_name %L)',
                   server, host, port::text, dbname, 'true', '10000', 'ritual coordinator');
    EXECUTE format('COMMENT ON SERVER %I IS %L', server,
                   format('ritual worker "%s", shard %s of %s (ritual.workers)', worker, shard, shards));
    EXECUTE format('CREATE USER MAPPING FOR CURRENT_USER SERVER %I%s', server,
                   CASE WHEN user_name IS NOT NULL OR password IS NOT NULL
                        THEN ' OPTIONS (' || concat_ws(', ',
                                 CASE WHEN user_name IS NOT NULL THEN format('user %L', user_name) END,
                                 CASE WHEN password IS NOT NULL THEN format('password %L', password) END)
                             || ')'
                        ELSE '' END);
    BEGIN
        version := ritual.check_worker(worker, server);
    EXCEPTION WHEN sqlclient_unable_to_establish_sqlconnection OR connection_failure
                   OR connection_exception THEN
        RAISE EXCEPTION 'worker "%" does not answer at %:% (database %): %', worker, host, port,
                        dbname, SQLERRM
              USING ERRCODE = SQLSTATE,
                    HINT = 'Check that the server runs, that its pg_hba.conf lets this one in, and the user and password.';
    END;
    PERFORM ritual.import_worker(worker, server, shard, shards);
    INSERT INTO ritual.workers (worker, shard, shards, server, version, added_at)
    VALUES (worker, shard, shards, server, version, now() AT TIME ZONE 'UTC');
END
$fn$;
COMMENT ON FUNCTION ritual.add_worker(text, integer, integer, text, integer, text, text, text) IS
  'add a worker that holds one shard of the users: its postgres_fdw server, the caller''s user mapping, and what the coordinator reads from it';

/* ritual.remove_worker: forget a worker, its server and what was imported. */
CREATE OR REPLACE FUNCTION ritual.remove_worker(worker text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET client_min_messages = warning
AS $fn$
DECLARE
    gone ritual.workers;
    rel text;
BEGIN
    IF NOT (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) THEN
        RAISE EXCEPTION 'permission denied to remove a worker'
              USING ERRCODE = 'insufficient_privilege';
    END IF;
    DELETE FROM ritual.workers w WHERE w.worker = remove_worker.worker RETURNING * INTO gone;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'there is no worker "%"', worker
              USING ERRCODE = 'undefined_object',
                    HINT = 'SELECT worker FROM ritual.workers lists them.';
    END IF;
    FOREACH rel IN ARRAY ARRAY['enriched_events', 'sessions', 'users'] LOOP
        EXECUTE format('DROP FOREIGN TABLE IF EXISTS ritual_cluster.%I', rel || '_' || gone.worker);
    END LOOP;
    EXECUTE format('DROP SERVER IF EXISTS %I CASCADE', gone.server);
END
$fn$;
COMMENT ON FUNCTION ritual.remove_worker(text) IS
  'remove a worker: its server, user mappings and partitions (the global reports stay as built)';

/*
 * The statements that make a worker's catalogues (event types, funnels,
 * breakdown attributes) equal to the coordinator's.
 */
CREATE OR REPLACE FUNCTION ritual.catalogue_statements()
RETURNS text
LANGUAGE sql STABLE
SET IntervalStyle = 'iso_8601'
AS $$
    SELECT 'DELETE FROM ritual.funnels; DELETE FROM ritual.event_types;'
           || ' DELETE FROM ritual.breakdown_attributes;'
           || coalesce((SELECT ' INSERT INTO ritual.event_types (event_type, description, builtin) VALUES '
                               || string_agg(format('(%L, %L, %L)', event_type, description, builtin), ', ')
                               || ';'
                          FROM ritual.event_types), '')
           || coalesce((SELECT ' INSERT INTO ritual.funnels (funnel, steps, conversion_window, description, builtin) VALUES '
                               || string_agg(format('(%L, %L, %L, %L, %L)', funnel, steps,
                                                    conversion_window, description, builtin), ', ')
                               || ';'
                          FROM ritual.funnels), '')
           || coalesce((SELECT ' INSERT INTO ritual.breakdown_attributes (attribute, description, builtin) VALUES '
                               || string_agg(format('(%L, %L, %L)', attribute, description, builtin), ', ')
                               || ';'
                          FROM ritual.breakdown_attributes), '')
$$;
COMMENT ON FUNCTION ritual.catalogue_statements() IS
  'internal: the SQL that makes a worker''s catalogues equal to this server''s';

/*
 * Close the global builds' dblink connections; with 'cancel', stop what
 * they run first (a worker's build that has not committed then rolls back,
 * and keeps its reports as they were).
 */
CREATE OR REPLACE FUNCTION ritual.close_worker_connections(cancel boolean)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    dblink_schema name := ritual.dblink_schema();
    connection text;
BEGIN
    IF dblink_schema IS NULL THEN
        RETURN;
    END IF;
    FOR connection IN
        EXECUTE format('SELECT c FROM unnest(%I.dblink_get_connections()) AS c
                         WHERE c LIKE %L', dblink_schema, 'ritual\_build\_%')
    LOOP
        IF cancel THEN
            EXECUTE format('SELECT %I.dblink_cancel_query($1)', dblink_schema) USING connection;
        END IF;
        EXECUTE format('SELECT %I.dblink_disconnect($1)', dblink_schema) USING connection;
    END LOOP;
END
$fn$;
COMMENT ON FUNCTION ritual.close_worker_connections(boolean) IS
  'internal: closes the connections of a global build to its workers';

/*
 * Run 'build_call' (a build or a refresh, and the package of what it made)
 * on every worker at once: connect, check each worker, make its catalogues
 * the coordinator's, start the builds, then wait for each and check that
 * it holds its own shard's users only.  Their results (report, row_count,
 * package) go to pg_temp._ritual_worker_results.  A failure names the
 * worker, and stops the builds still running.
 */
CREATE OR REPLACE FUNCTION ritual.run_worker_builds(build_call text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    dblink_schema name := ritual.dblink_schema();
    catalogue_digest text := ritual.catalogue_digest();
    w ritual.workers;
    connection text;
    current_worker text;
    strays bigint;
    message text;
    state text;
    hint text;
BEGIN
    PERFORM ritual.drop_scratch('_ritual_worker_results');
    CREATE TEMP TABLE _ritual_worker_results (worker text, report text, row_count bigint,
                                              package text) ON COMMIT DROP;
    PERFORM ritual.close_worker_connections(true);
    BEGIN
        FOR w IN SELECT * FROM ritual.workers ORDER BY shard LOOP
            current_worker := w.worker;
            connection := 'ritual_build_' || w.worker;
            EXECUTE format('SELECT %I.dblink_connect($1, $2)', dblink_schema)
              USING connection, w.server::text;
            PERFORM ritual.check_worker(w.worker, connection);
            IF ritual.ask_worker(connection, 'SELECT ritual.catalogue_digest()')
               IS DISTINCT FROM catalogue_digest THEN
                EXECUTE format('SELECT %I.dblink_exec($1, $2)', dblink_schema)
                  USING connection, ritual.catalogue_statements();
            END IF;
            EXECUTE format('SELECT %I.dblink_send_query($1, $2)', dblink_schema)
              USING connection, build_call;
        END LOOP;
        FOR w IN SELECT * FROM ritual.workers ORDER BY shard LOOP
            current_worker := w.worker;
            connection := 'ritual_build_' || w.worker;
            EXECUTE format('INSERT INTO _ritual_worker_results
                            SELECT $1, r.report, r.row_count, r.package
                              FROM %I.dblink_get_result($2)
                                   AS r(report text, row_count bigint, package text)',
                           dblink_schema)
              USING w.worker, connection;
            -- (the end of the results, which frees the connection)
            EXECUTE format('SELECT count(*) FROM %I.dblink_get_result($1)
                              AS r(report text, row_count bigint, package text)',
                           dblink_schema)
              USING connection;
            strays := ritual.ask_worker(connection,
                          format('SELECT count(*) FROM ritual.users WHERE ritual.user_shard(user_id, %s) <> %s',
                                 w.shards, w.shard))::bigint;
            IF strays > 0 THEN
                RAISE EXCEPTION '% of its users belong to other shards than %', strays, w.shard
                      USING ERRCODE = 'data_exception',
                            HINT = format('Its lake must hold the rows WHERE ritual.user_shard(user_id, %s) = %s, and no other.',
                                          w.shards, w.shard);
            END IF;
        END LOOP;
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS message = MESSAGE_TEXT, state = RETURNED_SQLSTATE,
                                hint = PG_EXCEPTION_HINT;
        PERFORM ritual.close_worker_connections(true);
        RAISE EXCEPTION 'worker "%": %', current_worker, message
              USING ERRCODE = state,
                    HINT = concat_ws(' ', nullif(hint, ''),
                                     'The coordinator''s reports are unchanged: build again once the worker is back.');
    END;
    -- (the connections stay open for the assembly's questions)
END
$fn$;
COMMENT ON FUNCTION ritual.run_worker_builds(text) IS
  'internal: runs a build on every worker at once; a failure names the worker';

/*
 * The medians of funnel_steps over the seconds of every worker's users, as
 * ritual_median (percentile_cont(0.5)) takes them: the value at rank
 * (n - 1) / 2, or halfway between the two there.  In two steps, so that
 * the users' values do not all cross the network: the users per bucket of
 * seconds came in the packages (_ritual_package_parts); the values of the buckets that hold those
 * ranks are asked of every worker at once (ritual.shard_funnel_values),
 * over the connections of their builds.
 * Into pg_temp._ritual_funnel_medians.
 */
CREATE OR REPLACE FUNCTION ritual.funnel_medians()
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $fn$
DECLARE
    dblink_schema name := ritual.dblink_schema();
    wanted jsonb;
    w ritual.workers;
    connection text;
BEGIN
    -- each bucket's first rank, and the cell's middle ranks
    PERFORM ritual.drop_scratch('_ritual_middle_buckets');
    CREATE TEMP TABLE _ritual_middle_buckets ON COMMIT DROP AS
    SELECT * FROM (
        SELECT funnel, cohort_week, step, bucket, users,
               sum(users) OVER w - users AS before,
               floor((sum(users) OVER cell - 1) / 2) AS low_rank,
               ceil((sum(users) OVER cell - 1) / 2) AS high_rank
          FROM (SELECT b.funnel, b.cohort_week, b.step, b.bucket, sum(b.users) AS users
                  FROM _ritual_package_parts p,
                       jsonb_to_recordset(p.rows)
                       AS b(funnel text, cohort_week date, step integer, bucket integer,
                            users bigint)
                 WHERE p.part = 'funnel_buckets'
                 GROUP BY 1, 2, 3, 4) buckets
        WINDOW cell AS (PARTITION BY funnel, cohort_week, step),
               w AS (PARTITION BY funnel, cohort_week, step ORDER BY bucket)) b
     WHERE low_rank BETWEEN before AND before + users - 1
        OR high_rank BETWEEN before AND before + users - 1;
    SELECT jsonb_agg(jsonb_build_object('funnel', funnel, 'cohort_week', cohort_week,
                                        'step', step, 'bucket', bucket))
      INTO wanted FROM _ritual_middle_buckets;

    PERFORM ritual.drop_scratch('_ritual_funnel_values');
    CREATE TEMP TABLE _ritual_funnel_values (funnel text, cohort_week date, step integer,
                                             bucket integer, seconds double precision,
                                             users bigint) ON COMMIT DROP;
    IF wanted IS NOT NULL THEN
        -- (over the connections of the builds)
        FOR w IN SELECT * FROM ritual.workers ORDER BY shard LOOP
            connection := 'ritual_build_' || w.worker;
            EXECUTE format('SELECT %I.dblink_send_query($1, $2)', dblink_schema)
              USING connection, format('SELECT ritual.shard_funnel_values(%L)', wanted);
        END LOOP;
        FOR w IN SELECT * FROM ritual.workers ORDER BY shard LOOP
            connection := 'ritual_build_' || w.worker;
            EXECUTE format('INSERT INTO _ritual_funnel_values
                            SELECT v.*
                              FROM %I.dblink_get_result($1) AS r(package text),
                                   jsonb_to_recordset(ritual.unpack_text(r.package)::jsonb)
                                   AS v(funnel text, cohort_week date, step integer, bucket integer,
                                        seconds double precision, users bigint)',
                           dblink_schema)
              USING connection;
            EXECUTE format('SELECT count(*) FROM %I.dblink_get_result($1) AS r(package text)',
                           dblink_schema)
              USING connection;
        END LOOP;
    END IF;

    PERFORM ritual.drop_scratch('_ritual_funnel_medians');
    CREATE TEMP TABLE _ritual_funnel_medians ON COMMIT DROP AS
    WITH ranked AS (
        SELECT v.funnel, v.cohort_week, v.step, v.seconds, b.low_rank, b.high_rank,
               b.before + sum(sum(v.users)) OVER (PARTITION BY v.funnel, v.cohort_week, v.step,
                                                              v.bucket
                                                  ORDER BY v.seconds) AS next_rank
          FROM _ritual_funnel_values v
          JOIN _ritual_middle_buckets b USING (funnel, cohort_week, step, bucket)
         GROUP BY v.funnel, v.cohort_week, v.step, v.bucket, v.seconds, b.before,
                  b.low_rank, b.high_rank
    ), middles AS (
        SELECT funnel, cohort_week, step,
               min(seconds) FILTER (WHERE next_rank > low_rank) AS low,
               min(seconds) FILTER (WHERE next_rank > high_rank) AS high
          FROM ranked GROUP BY 1, 2, 3
    )
    SELECT funnel, cohort_week, step,
           CASE WHEN low = high THEN low ELSE low + 0.5 * (high - low) END AS median
      FROM middles;
END
$fn$;
COMMENT ON FUNCTION ritual.funnel_medians() IS
  'internal: the medians of funnel_steps over every worker''s users';

/*
 * The global reporting tables, from the workers' aggregates (copied once
 * each into pg_temp._ritual_w_RELATION): sums over users, and what is not
 * a sum computed again, by the single node's rules (docs/reporting.md).
 */
CREATE OR REPLACE FUNCTION ritual.assemble_global_reports(spike_threshold double precision)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $fn$
DECLARE
    rel text;
    missing_worker text;
    missing_part text;
    first_day date;
    last_day date;
    first_clean date;
    last_clean date;
BEGIN
    -- the packages the workers' builds returned (src/sharding/package.c),
    -- parted by relation once, and kept uncompressed (each relation's
    -- rows are read once)
    PERFORM ritual.drop_scratch('_ritual_package_parts');
    CREATE TEMP TABLE _ritual_package_parts (worker text, part text, rows jsonb) ON COMMIT DROP;
    ALTER TABLE _ritual_package_parts ALTER COLUMN rows SET STORAGE EXTERNAL;
    INSERT INTO _ritual_package_parts
    SELECT r.worker, e.key, e.value
      FROM _ritual_worker_results r,
           jsonb_each(ritual.unpack_text(r.package)::jsonb) AS e
     WHERE r.package IS NOT NULL;
    SELECT w.worker, p.part INTO missing_worker, missing_part
      FROM ritual.workers w, unnest(ritual.packed_relations() || 'funnel_buckets'::text) AS p(part)
     WHERE NOT EXISTS (SELECT FROM _ritual_package_parts x
                        WHERE x.worker = w.worker AND x.part = p.part
                          AND jsonb_typeof(x.rows) = 'array')
     ORDER BY w.shard, p.part LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'worker "%" sent a package without %', missing_worker, missing_part
              USING ERRCODE = 'data_corrupted';
    END IF;
    FOREACH rel IN ARRAY ritual.packed_relations() LOOP
        PERFORM ritual.drop_scratch('_ritual_w_' || rel);
        EXECUTE format('CREATE TEMP TABLE %I ON COMMIT DROP AS
                        SELECT p.worker, r.*
                          FROM _ritual_package_parts p,
                               jsonb_populate_recordset(NULL::ritual.%I, p.rows) r
                         WHERE p.part = %L',
                       '_ritual_w_' || rel, rel, rel);
    END LOOP;

    -- the days: from the first of any worker's to the last; a worker's
    -- users count in WAU and MAU past its own last day (the tails)
    SELECT min(day), max(day), min(day) FILTER (WHERE dau > 0), max(day) FILTER (WHERE dau > 0)
      INTO first_day, last_day, first_clean, last_clean
      FROM _ritual_w_daily_activity;

    DELETE FROM ritual.daily_activity;
    INSERT INTO ritual.daily_activity
    WITH per_day AS (
        SELECT day, sum(dau) AS dau, sum(wau) AS wau, sum(mau) AS mau, sum(new_users) AS new_users,
               sum(events) AS events, sum(sessions) AS sessions
          FROM (SELECT day, dau, wau, mau, new_users, events, sessions FROM _ritual_w_daily_activity
                UNION ALL
                SELECT day, 0, wau, mau, 0, 0, 0 FROM _ritual_w_shard_tails
                 WHERE attribute IS NULL) d
         GROUP BY day
    ), days AS (
        SELECT x::date AS day, coalesce(p.dau, 0)::bigint AS dau, coalesce(p.wau, 0)::bigint AS wau,
               coalesce(p.mau, 0)::bigint AS mau, coalesce(p.new_users, 0)::bigint AS new_users,
               coalesce(p.events, 0)::bigint AS events, coalesce(p.sessions, 0)::bigint AS sessions
          FROM generate_series(first_day, last_day, interval '1 day') AS x
          LEFT JOIN per_day p ON p.day = x::date
    )
    SELECT day, dau, wau, mau, dau::double precision / nullif(mau, 0), new_users, events, sessions
      FROM days;

    DELETE FROM ritual.daily_activity_by_segment;
    INSERT INTO ritual.daily_activity_by_segment
    WITH per_day AS (
        SELECT attribute, segment, day, sum(dau)::bigint AS dau, sum(wau)::bigint AS wau,
               sum(mau)::bigint AS mau, sum(new_users)::bigint AS new_users
          FROM (SELECT attribute, segment, day, dau, wau, mau, new_users
                  FROM _ritual_w_daily_activity_by_segment
                UNION ALL
                SELECT attribute, segment, day, 0, wau, mau, 0 FROM _ritual_w_shard_tails
                 WHERE attribute IS NOT NULL) d
         WHERE day BETWEEN first_day AND last_day
         GROUP BY attribute, segment, day
    )
    SELECT attribute, segment, day, dau, wau, mau, dau::double precision / nullif(mau, 0), new_users
      FROM per_day;

    DELETE FROM ritual.daily_event_types;
    INSERT INTO ritual.daily_event_types
    SELECT day, event_type, sum(events), sum(users) FROM _ritual_w_daily_event_types
     GROUP BY day, event_type;

    -- retention: each worker's cells give, per cohort and week, the users
    -- active in it and those whose last active week it is; the cells run
    -- to the last day with a clean event of any worker
    PERFORM ritual.drop_scratch('_ritual_cohort_sizes');
    CREATE TEMP TABLE _ritual_cohort_sizes ON COMMIT DROP AS
    SELECT cohort_week, sum(users)::bigint AS cohort_size FROM _ritual_w_shard_cohorts
     GROUP BY cohort_week;
    PERFORM ritual.drop_scratch('_ritual_retained');
    CREATE TEMP TABLE _ritual_retained ON COMMIT DROP AS
    SELECT cohort_week, week_number AS week, retained_on AS active,
           retained_on_or_after
           - coalesce(lead(retained_on_or_after)
                          OVER (PARTITION BY worker, cohort_week ORDER BY week_number), 0)
               AS last_active
      FROM _ritual_w_retention_cohorts;
    PERFORM ritual.write_retention_cohorts(last_clean);

    DELETE FROM ritual.segment_cohorts;
    INSERT INTO ritual.segment_cohorts
    SELECT attribute, segment, cohort_week, sum(users) FROM _ritual_w_segment_cohorts
     GROUP BY 1, 2, 3;
    DELETE FROM ritual.segment_weeks;
    INSERT INTO ritual.segment_weeks
    SELECT attribute, segment, cohort_week, week_number, sum(active_users), sum(last_active_users)
      FROM _ritual_w_segment_weeks GROUP BY 1, 2, 3, 4;

    DELETE FROM ritual.activity_counts;
    INSERT INTO ritual.activity_counts
    SELECT kind, period, days, sum(users) FROM _ritual_w_activity_counts GROUP BY 1, 2, 3;

    DELETE FROM ritual.path_counts;
    INSERT INTO ritual.path_counts
    SELECT path, sum(sessions), sum(users) FROM _ritual_w_path_counts GROUP BY path;

    DELETE FROM ritual.event_transitions;
    INSERT INTO ritual.event_transitions
    SELECT prev_event_type, event_type, sum(transitions) FROM _ritual_w_event_transitions
     GROUP BY 1, 2;

    -- funnels: users summed, shares again, medians over every worker's
    -- users (ritual.funnel_medians)
    PERFORM ritual.funnel_medians();
    DELETE FROM ritual.funnel_steps;
    INSERT INTO ritual.funnel_steps
    WITH steps AS (
        SELECT funnel, cohort_week, step, event_type, sum(users)::bigint AS users
          FROM _ritual_w_funnel_steps GROUP BY 1, 2, 3, 4
    ), shares AS (
        SELECT s.*, first_value(s.users) OVER w AS entrants, lag(s.users) OVER w AS before
          FROM steps s
        WINDOW w AS (PARTITION BY s.funnel, s.cohort_week ORDER BY s.step)
    )
    SELECT s.funnel, s.cohort_week, s.step, s.event_type, s.users,
           s.users::double precision / s.entrants,
           CASE WHEN s.step > 1 AND s.before <> 0 THEN s.users::double precision / s.before END,
           CASE WHEN s.step > 1 AND s.users <> 0 THEN m.median END,
           CASE WHEN s.cohort_week + 6 + f.conversion_window <= last_clean
                THEN 'complete' ELSE 'incomplete' END
      FROM shares s
      JOIN ritual.funnels f USING (funnel)
      LEFT JOIN _ritual_funnel_medians m USING (funnel, cohort_week, step);

    DELETE FROM ritual.data_quality;
    INSERT INTO ritual.data_quality
    SELECT kind, flag_bit, scope, source_file, day, sum(rows), event_type
      FROM _ritual_w_data_quality GROUP BY kind, flag_bit, scope, source_file, day, event_type;

    -- spikes, over the summed series of the days with events
    PERFORM ritual.drop_scratch('_ritual_series');
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
    PERFORM ritual.drop_scratch('_ritual_judged');
    PERFORM ritual.detect_spikes(spike_threshold, '-infinity');
END
$fn$;
COMMENT ON FUNCTION ritual.assemble_global_reports(double precision) IS
  'internal: makes the global reporting tables from the workers'' aggregates';

/* The workers that do not answer a query now, by name; NULL when all do. */
CREATE OR REPLACE FUNCTION ritual.silent_workers()
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    w ritual.workers;
    silent text[] := '{}';
BEGIN
    FOR w IN SELECT * FROM ritual.workers ORDER BY shard LOOP
        BEGIN
            PERFORM ritual.ask_worker(w.server, 'SELECT 1');
        EXCEPTION WHEN OTHERS THEN
            silent := silent || format('"%s"', w.worker);
        END;
    END LOOP;
    RETURN nullif(array_to_string(silent, ', '), '');
END
$fn$;
COMMENT ON FUNCTION ritual.silent_workers() IS
  'internal: the workers that do not answer now';

/*
 * A global build or refresh: every worker's at once, then the assembly, in
 * the caller's transaction.  Until it commits the previous global reports
 * stay readable and whole; a worker's failure leaves them so.
 */
CREATE OR REPLACE FUNCTION ritual.run_global_build(events text, profiles text,
                                                   reference_time timestamp,
                                                   session_gap interval,
                                                   spike_threshold double precision,
                                                   refresh boolean)
RETURNS TABLE (report text, row_count bigint)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET DateStyle = 'ISO, YMD'
SET IntervalStyle = 'iso_8601'
AS $fn$
DECLARE
    global_built_at timestamp := now() AT TIME ZONE 'UTC';
    started timestamp := clock_timestamp();
    workers_done timestamp;
    reference timestamp := coalesce(reference_time, now() AT TIME ZONE 'UTC');
    workers integer;
    shards integer;
    missing integer;
    message text;
    state text;
BEGIN
    IF NOT pg_has_role((SELECT relowner FROM pg_class WHERE oid = 'ritual.users'::regclass), 'USAGE') THEN
        RAISE EXCEPTION 'permission denied to build the reports' USING ERRCODE = 'insufficient_privilege',
              HINT = 'The reporting tables are written by their owner, the role that created the extension, or a superuser.';
    END IF;
    IF spike_threshold IS NULL OR spike_threshold <= 0 THEN
        RAISE EXCEPTION 'spike_threshold must be positive, not %', coalesce(spike_threshold::text, 'NULL')
              USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT count(*), min(w.shards) INTO workers, shards FROM ritual.workers w;
    IF workers = 0 THEN
        RAISE EXCEPTION 'this server has no workers'
              USING ERRCODE = 'object_not_in_prerequisite_state',
                    HINT = 'Add them with ritual.add_worker (docs/scale-out.md); a single node builds with ritual.build_reports.';
    END IF;
    SELECT min(s) INTO missing FROM generate_series(0, shards - 1) AS s
     WHERE NOT EXISTS (SELECT FROM ritual.workers w WHERE w.shard = s);
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'shard % of % has no worker', missing, shards
              USING ERRCODE = 'object_not_in_prerequisite_state',
                    HINT = 'Every shard needs its worker: add it with ritual.add_worker.';
    END IF;
    -- one global build at a time
    LOCK TABLE ritual.global_builds IN EXCLUSIVE MODE;

    -- each worker's build, and in its transaction the package of the
    -- aggregates it made (one value: src/sharding/package.c)
    PERFORM ritual.run_worker_builds(
        format('SELECT report, row_count, NULL::text FROM ritual.%s(events => %L, profiles => %L,'
               ' reference_time => %L, session_gap => %L, spike_threshold => %s)'
               ' UNION ALL SELECT NULL, NULL, ritual.shard_package()',
               CASE WHEN refresh THEN 'refresh_reports' ELSE 'build_reports' END,
               events, profiles, reference, session_gap, spike_threshold));
    workers_done := clock_timestamp();

    -- (a worker that stops answering now is named, if it is down)
    BEGIN
        PERFORM ritual.assemble_global_reports(spike_threshold);
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS message = MESSAGE_TEXT, state = RETURNED_SQLSTATE;
        PERFORM ritual.close_worker_connections(true);
        RAISE EXCEPTION 'the global reports could not be assembled from the workers: %', message
              USING ERRCODE = state,
                    DETAIL = coalesce('Workers that do not answer now: ' || ritual.silent_workers() || '.',
                                      'Every worker answers now.'),
                    HINT = 'The coordinator''s reports are unchanged: build again once the workers answer.';
    END;
    PERFORM ritual.close_worker_connections(false);
    -- the coordinator holds no rows of its own
    DELETE FROM ritual.users;
    DELETE FROM ritual.enriched_events;
    DELETE FROM ritual.sessions;
    DELETE FROM ritual.refresh_state;
    DELETE FROM ritual.refresh_watermarks;

    INSERT INTO ritual.global_builds
    SELECT global_built_at, CASE WHEN refresh THEN 'refresh' ELSE 'build' END, reference, workers,
           sum(b.raw_events), sum(b.clean_events), sum(b.users),
           extract(epoch FROM workers_done - started),
           extract(epoch FROM clock_timestamp() - workers_done),
           extract(epoch FROM clock_timestamp() - started)
      FROM _ritual_w_report_builds b;
    INSERT INTO ritual.worker_builds
    SELECT global_built_at, b.worker, w.shard, b.built_at, b.kind, b.raw_events, b.clean_events, b.users,
           b.seconds
      FROM _ritual_w_report_builds b JOIN ritual.workers w USING (worker);
    -- and as a single node's build, for what reads report_builds (the
    -- dashboard, Looker's build date): full when any worker's was
    INSERT INTO ritual.report_builds
        (built_at, events_relation, profiles_relation, reference_time, session_gap_seconds,
         raw_events, clean_events, users, seconds, kind, new_events, new_profiles,
         recomputed_events)
    SELECT global_built_at, events, profiles, reference, extract(epoch FROM session_gap),
           sum(b.raw_events), sum(b.clean_events), sum(b.users),
           extract(epoch FROM clock_timestamp() - started),
           CASE WHEN bool_or(b.kind = 'full') THEN 'full' ELSE 'incremental' END,
           sum(b.new_events), sum(b.new_profiles), sum(b.recomputed_events)
      FROM _ritual_w_report_builds b;

    -- the rows of the per-row tables are the workers'
    RETURN QUERY
    SELECT c.report,
           CASE WHEN c.report IN ('enriched_events', 'clean_events', 'users', 'sessions')
                THEN (SELECT sum(r.row_count)::bigint FROM _ritual_worker_results r
                       WHERE r.report = c.report)
                ELSE c.row_count END
      FROM ritual.report_counts() c;
END
$fn$;
COMMENT ON FUNCTION ritual.run_global_build(text, text, timestamp, interval, double precision, boolean) IS
  'internal to build_global_reports and refresh_global_reports';

/*
 * ritual.build_global_reports: every worker builds its reports
 * (build_reports) at once, then the coordinator makes the global ones.
 * The arguments are build_reports', passed to every worker; the reference
 * time defaults to the coordinator's now, the same for all.
 */
CREATE OR REPLACE FUNCTION ritual.build_global_reports(
    events          text DEFAULT 'ritual.raw_events',
    profiles        text DEFAULT 'ritual.raw_profiles',
    reference_time  timestamp DEFAULT NULL,
    session_gap     interval DEFAULT '30 minutes',
    spike_threshold double precision DEFAULT 5)
RETURNS TABLE (report text, row_count bigint)
LANGUAGE sql
AS $$
    SELECT * FROM ritual.run_global_build(events, profiles, reference_time, session_gap,
                                          spike_threshold, false)
$$;
COMMENT ON FUNCTION ritual.build_global_reports(text, text, timestamp, interval, double precision) IS
  'on a coordinator: rebuild every worker''s reports at once, then the global reporting tables from their aggregates';

/* ritual.refresh_global_reports: the same with refresh_reports on the workers. */
CREATE OR REPLACE FUNCTION ritual.refresh_global_reports(
    events          text DEFAULT 'ritual.raw_events',
    profiles        text DEFAULT 'ritual.raw_profiles',
    reference_time  timestamp DEFAULT NULL,
    session_gap     interval DEFAULT '30 minutes',
    spike_threshold double precision DEFAULT 5)
RETURNS TABLE (report text, row_count bigint)
LANGUAGE sql
AS $$
    SELECT * FROM ritual.run_global_build(events, profiles, reference_time, session_gap,
                                          spike_threshold, true)
$$;
COMMENT ON FUNCTION ritual.refresh_global_reports(text, text, timestamp, interval, double precision) IS
  'on a coordinator: refresh every worker''s reports with their new rows at once, then make the global reporting tables again';

REVOKE EXECUTE ON FUNCTION ritual.dblink_schema(), ritual.ask_worker(text, text),
       ritual.check_worker(text, text), ritual.import_worker(text, name, integer, integer),
       ritual.add_worker(text, integer, integer, text, integer, text, text, text),
       ritual.remove_worker(text), ritual.catalogue_statements(),
       ritual.close_worker_connections(boolean), ritual.run_worker_builds(text),
       ritual.funnel_medians(), ritual.silent_workers(),
       ritual.assemble_global_reports(double precision),
       ritual.run_global_build(text, text, timestamp, interval, double precision, boolean),
       ritual.build_global_reports(text, text, timestamp, interval, double precision),
       ritual.refresh_global_reports(text, text, timestamp, interval, double precision)
  FROM PUBLIC;
