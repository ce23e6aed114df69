/*
 * src/sql/tables/coordinator.sql: what a coordinator keeps about its
 * workers and its global builds (src/sql/code/coordinator.sql,
 * docs/scale-out.md).  Empty on a single node and on a worker.
 */

-- The workers, each the holder of one shard of the users.
CREATE TABLE ritual.workers (
    worker   text PRIMARY KEY CHECK (worker ~ '^[a-z][a-z0-9_]{0,39}$'),
    shard    integer NOT NULL UNIQUE,
    shards   integer NOT NULL CHECK (shards BETWEEN 1 AND 4096),
    server   name NOT NULL,
    version  text NOT NULL,
    added_at timestamp NOT NULL,
    CHECK (shard >= 0 AND shard < shards)
);
-- pg_dump keeps the workers (their servers and user mappings are dumped as
-- the objects of no extension they are)
SELECT pg_catalog.pg_extension_config_dump('ritual.workers', '');
COMMENT ON TABLE ritual.workers IS
  'A coordinator''s workers: each holds the users of one shard (ritual.user_shard) and builds their reports; add and remove them with ritual.add_worker and ritual.remove_worker.';
COMMENT ON COLUMN ritual.workers.worker IS 'the worker''s name: lower-case letters, digits and _';
COMMENT ON COLUMN ritual.workers.shard IS 'the shard it holds, from 0';
COMMENT ON COLUMN ritual.workers.shards IS 'the number of shards of the deployment';
COMMENT ON COLUMN ritual.workers.server IS 'its postgres_fdw server, ritual_worker_ and the name';
COMMENT ON COLUMN ritual.workers.version IS 'the worker''s ritual version when it was added (every build checks it is the coordinator''s)';
COMMENT ON COLUMN ritual.workers.added_at IS 'when it was added (UTC)';

-- One row per global build or refresh that completed.
CREATE TABLE ritual.global_builds (
    built_at         timestamp PRIMARY KEY,
    kind             text NOT NULL,
    reference_time   timestamp NOT NULL,
    workers          integer NOT NULL,
    raw_events       bigint NOT NULL,
    clean_events     bigint NOT NULL,
    users            bigint NOT NULL,
    worker_seconds   double precision NOT NULL,
    assembly_seconds double precision NOT NULL,
    seconds          double precision NOT NULL
);
COMMENT ON TABLE ritual.global_builds IS
  'One row per global build (build_global_reports) or refresh (refresh_global_reports) that completed on this coordinator.';
COMMENT ON COLUMN ritual.global_builds.built_at IS 'when it started (UTC); worker_builds rows carry it';
COMMENT ON COLUMN ritual.global_builds.kind IS '''build'' or ''refresh''';
COMMENT ON COLUMN ritual.global_builds.reference_time IS 'the reference time every worker built with';
COMMENT ON COLUMN ritual.global_builds.workers IS 'the workers built';
COMMENT ON COLUMN ritual.global_builds.raw_events IS 'raw event rows of all workers';
COMMENT ON COLUMN ritual.global_builds.clean_events IS 'clean events of all workers';
COMMENT ON COLUMN ritual.global_builds.users IS 'users with a profile, of all workers';
COMMENT ON COLUMN ritual.global_builds.worker_seconds IS 'seconds until the slowest worker''s build ended (they run at once)';
COMMENT ON COLUMN ritual.global_builds.assembly_seconds IS 'seconds the coordinator took to make the global tables from the workers'' aggregates';
COMMENT ON COLUMN ritual.global_builds.seconds IS 'seconds in all';

-- Each worker's build that a global build used.
CREATE TABLE ritual.worker_builds (
    built_at        timestamp REFERENCES ritual.global_builds ON DELETE CASCADE,
    worker          text,
    shard           integer NOT NULL,
    worker_built_at timestamp NOT NULL,
    kind            text NOT NULL,
    raw_events      bigint NOT NULL,
    clean_events    bigint NOT NULL,
    users           bigint NOT NULL,
    seconds         double precision NOT NULL,
    PRIMARY KEY (built_at, worker)
);
COMMENT ON TABLE ritual.worker_builds IS
  'Per global build, the build of each worker it assembled: the worker''s row of its own ritual.report_builds.';
COMMENT ON COLUMN ritual.worker_builds.built_at IS 'the global build''s built_at';
COMMENT ON COLUMN ritual.worker_builds.worker IS 'the worker, as ritual.workers names it';
COMMENT ON COLUMN ritual.worker_builds.shard IS 'the shard it held';
COMMENT ON COLUMN ritual.worker_builds.worker_built_at IS 'built_at of the worker''s report_builds row';
COMMENT ON COLUMN ritual.worker_builds.kind IS 'the worker''s build: ''full'' or ''incremental''';
COMMENT ON COLUMN ritual.worker_builds.raw_events IS 'raw event rows of the worker';
COMMENT ON COLUMN ritual.worker_builds.clean_events IS 'clean events of the worker';
COMMENT ON COLUMN ritual.worker_builds.users IS 'users with a profile, of the worker';
COMMENT ON COLUMN ritual.worker_builds.seconds IS 'the worker''s build time';
