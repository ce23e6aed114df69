--
-- ritual.user_shard, the rule that assigns users to shards, and what a
-- coordinator refuses before it has workers (docs/scale-out.md; the
-- coordinator with workers is tests/scale_out.sh)
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS ritual;

-- stable values: these are the shards of a lake laid out today
SELECT u AS user_id, ritual.user_shard(u, 3) AS of_3, ritual.user_shard(u, 10) AS of_10
  FROM unnest(ARRAY[1, 2, 3, 42, 1000000, -7, 0, 9223372036854775807, -9223372036854775808]::bigint[]) AS u;

-- a missing user_id is shard 0; no number of shards, no shard
SELECT ritual.user_shard(NULL, 3) AS null_user, ritual.user_shard(5, NULL) AS null_shards;

-- it is PostgreSQL's hash partitioning: the partition a row goes to
CREATE TABLE sharded (user_id bigint) PARTITION BY HASH (user_id);
SELECT format('CREATE TABLE sharded_%s PARTITION OF sharded FOR VALUES WITH (MODULUS 5, REMAINDER %s)', r, r)
  FROM generate_series(0, 4) AS r \gexec
INSERT INTO sharded SELECT u FROM generate_series(-50000, 50000) AS u;
INSERT INTO sharded VALUES (NULL), (9223372036854775807), (-9223372036854775808);
SELECT count(*) AS rows,
       count(*) FILTER (WHERE tableoid::regclass::text <> 'sharded_' || ritual.user_shard(user_id, 5))
           AS elsewhere
  FROM sharded;

-- and it spreads users evenly
SELECT ritual.user_shard(u, 4) AS shard, count(*) AS users
  FROM generate_series(1, 100000) AS u GROUP BY 1 ORDER BY 1;

-- hostile arguments
SELECT ritual.user_shard(1, 0);
SELECT ritual.user_shard(1, -3);
SELECT ritual.user_shard(1, 4097);

-- the seconds of a funnel's step, as funnel_steps measures them (what a
-- coordinator's medians read from the workers), and hostile times
SELECT ritual.step_seconds('2024-01-01 00:00', '2024-01-01 00:00:01.5') AS step,
       ritual.step_seconds('2024-01-02', '2024-01-01') AS backwards,
       ritual.step_seconds('2024-01-01 00:00:00.000001', '2024-01-01 00:00:00.000002') AS micro;
SELECT ritual.step_seconds('-infinity', '2024-01-01');
SELECT ritual.step_seconds('4713-01-01 00:00 BC', '294276-12-31 23:59:59');
SELECT ritual.step_seconds(NULL, '2024-01-01') IS NULL AS strict;

-- what a worker sends its coordinator, packed, and back; and packages a
-- hostile worker could send instead
SELECT ritual.unpack_text(ritual.pack_text(repeat('ritual ', 1000) || 'é✓')) = repeat('ritual ', 1000) || 'é✓'
       AS round_trip,
       length(ritual.pack_text(repeat('ritual ', 1000))) < 100 AS small;
SELECT ritual.unpack_text('KLUv/SQFKQAAaGVsbG+jbZ+I') AS zstd_cli_frame;
SELECT ritual.unpack_text('');
SELECT ritual.unpack_text('not base64!');
SELECT ritual.unpack_text('aGVsbG8=');
SELECT ritual.unpack_text('KLUv/QRYEQAA//4fjhDj');
SELECT ritual.unpack_text('KLUv/SQCEQAA//4fjhDj');
SELECT ritual.unpack_text('KLUv/SQFKQAAb2sAb2uM0n+U');
SELECT ritual.unpack_text('KLUv/SQFKQAAaGVsbG+jbZ');

-- a coordinator without workers
SELECT * FROM ritual.build_global_reports();
SELECT ritual.add_worker('W1', 0, 3, '127.0.0.1');
SELECT ritual.add_worker('w1; DROP TABLE x', 0, 3, '127.0.0.1');
SELECT ritual.add_worker('w1', 3, 3, '127.0.0.1');
SELECT ritual.add_worker('w1', 0, 0, '127.0.0.1');
SELECT ritual.add_worker('w1', 0, 3, NULL);
SELECT ritual.add_worker('w1', 0, 3, '127.0.0.1', port => 70000);
SELECT ritual.remove_worker('w9');
-- nothing was made
SELECT count(*) AS servers FROM pg_foreign_server WHERE srvname LIKE 'ritual_worker_%';

-- only a superuser points the coordinator at another server
CREATE ROLE sharding_user;
GRANT USAGE ON SCHEMA ritual TO sharding_user;
SET ROLE sharding_user;
SELECT ritual.add_worker('w1', 0, 3, '127.0.0.1');
SELECT ritual.remove_worker('w1');
SELECT * FROM ritual.build_global_reports();
SELECT * FROM ritual.workers;
-- the rule is for everyone
SELECT ritual.user_shard(42, 3);
RESET ROLE;
REVOKE USAGE ON SCHEMA ritual FROM sharding_user;
DROP ROLE sharding_user;
DROP TABLE sharded;
