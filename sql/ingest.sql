--
-- ingest: ritual.ingest appends what is new in a source's files, exactly
-- once: new files, lines appended to plain and gzip files, a record still
-- being written held back until it is whole, Parquet files whole; bad rows
-- kept as rejects; batches bounded by max_files and max_bytes; clear errors
--
\getenv datadir RITUAL_TESTDATA
\set sample_events :datadir '/sample/user_events.csv'
\set lake :datadir '/ingest_lake'
\set bad_lake :datadir '/ingest_bad'
SET client_min_messages = notice;
\set SHOW_CONTEXT never

CREATE SERVER ingest_files FOREIGN DATA WRAPPER ritual_fdw;

-- the sample's rows as text, by line, to cut into files of a growing lake
CREATE FOREIGN TABLE sample_lines (
    user_id text, event_type text, event_date text,
    line bigint OPTIONS (meta 'line'))
  SERVER ingest_files OPTIONS (path :'sample_events', header 'true');

-- write (or append, or gzip) the sample's lines first..last to a file
CREATE FUNCTION write_lines(file text, first_line bigint, last_line bigint,
                            mode text DEFAULT 'new')
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('COPY (SELECT user_id, event_type, event_date FROM sample_lines
                           WHERE line BETWEEN %s AND %s ORDER BY line)
                    TO PROGRAM %L WITH (FORMAT csv, HEADER %s)',
                   first_line, last_line,
                   CASE mode WHEN 'new' THEN 'cat > ' WHEN 'append' THEN 'cat >> '
                             WHEN 'gzip' THEN 'gzip > ' ELSE 'gzip >> ' END || file,
                   CASE WHEN mode IN ('new', 'gzip') THEN 'true' ELSE 'false' END);
END
$$;
-- write a part of one sample line: its first n bytes, or the rest after them
CREATE FUNCTION write_part_of_line(file text, line_no bigint, n integer, rest boolean)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('COPY (SELECT user_id, event_type, event_date FROM sample_lines
                           WHERE line = %s) TO PROGRAM %L WITH (FORMAT csv)',
                   line_no,
                   CASE WHEN rest THEN format('tail -c +%s >> %s', n + 1, file)
                        ELSE format('head -c %s >> %s', n, file) END);
END
$$;
SELECT format('COPY (SELECT) TO PROGRAM %L',
              format('rm -rf %s %s && mkdir -p %s %s && cat > /dev/null',
                     :'lake', :'bad_lake', :'lake', :'bad_lake')) AS mkdirs \gset
:mkdirs;

-- the lake as raw_events would read it, and a table to ingest into
CREATE FOREIGN TABLE lake_events (
    user_id     bigint,
    event_type  text,
    event_date  timestamp,
    source_file text   OPTIONS (meta 'filename'),
    source_line bigint OPTIONS (meta 'line'),
    errors      text   OPTIONS (meta 'errors'))
  SERVER ingest_files OPTIONS (path :'lake', header 'true', on_error 'null');
CREATE TABLE events (LIKE lake_events);

-- the sample's profiles, and reports kept up to date after every batch
\set sample_profiles :datadir '/sample/user_profiles.csv'
\set sample_manifest :datadir '/sample/manifest.json'
SELECT pg_read_file(:'sample_manifest')::jsonb ->> 'reference_time' AS reference \gset
SET ingest_test.reference_time = :'reference';
CREATE FOREIGN TABLE sample_profiles (
    user_id bigint, signup_date date, country text, platform text,
    source_file text OPTIONS (meta 'filename'), source_line bigint OPTIONS (meta 'line'))
  SERVER ingest_files OPTIONS (path :'sample_profiles', header 'true', on_error 'null');
CREATE TABLE profiles (user_id bigint, signup_date date, country text, platform text,
                       source_file text, source_line bigint);
SELECT batch, files, rows FROM ritual.ingest('sample_profiles', 'profiles');
SELECT count(*) AS reports FROM ritual.build_reports('events', 'profiles',
    reference_time => current_setting('ingest_test.reference_time')::timestamp);
CREATE FUNCTION ingest_and_refresh(max_files integer DEFAULT NULL, max_bytes bigint DEFAULT NULL)
RETURNS TABLE (batch bigint, files integer, bytes bigint, rows bigint, rejects bigint)
LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY SELECT i.batch, i.files, i.bytes, i.rows, i.rejects
                   FROM ritual.ingest('lake_events', 'events', max_files, max_bytes) i;
    PERFORM ritual.refresh_reports('events', 'profiles', reference_time => current_setting('ingest_test.reference_time')::timestamp);
END
$$;

-- nothing there yet: an error, or with missing_ok no batch
SELECT * FROM ritual.ingest('lake_events', 'events');
ALTER FOREIGN TABLE lake_events OPTIONS (ADD missing_ok 'true');
SELECT batch, files, rows FROM ritual.ingest('lake_events', 'events');

-- 1, 2: two new files; max_files takes the older first
SELECT write_lines(:'lake' || '/p01.csv', 2, 1201);
SELECT write_lines(:'lake' || '/p02.csv', 1202, 2401);
SELECT * FROM ingest_and_refresh(max_files => 1);
SELECT * FROM ingest_and_refresh();
-- 3, 4: a new gzip file and lines appended to p01; max_bytes takes one
-- file, the older (written within one tick of the file system's clock, the
-- two could have the same time, and then p01 would come first by name)
SELECT write_lines(:'lake' || '/p03.csv.gz', 2402, 3601, 'gzip');
SELECT format('COPY (SELECT) TO PROGRAM %L',
              format('touch -d ''2 seconds ago'' %s && cat > /dev/null', :'lake' || '/p03.csv.gz'))
\gexec
SELECT write_lines(:'lake' || '/p01.csv', 3602, 4201, 'append');
SELECT * FROM ingest_and_refresh(max_bytes => 1);
SELECT * FROM ingest_and_refresh();
-- 5: a second gzip member appended to p03, a new file p04 whose last
-- record is only half written: it is held back
SELECT write_lines(:'lake' || '/p03.csv.gz', 4202, 4801, 'gzip_append');
SELECT write_lines(:'lake' || '/p04.csv', 4802, 6001);
SELECT write_part_of_line(:'lake' || '/p04.csv', 6002, 10, false);
SELECT * FROM ingest_and_refresh();
SELECT count(*) AS half_record_taken FROM events
 WHERE source_file LIKE '%/p04.csv' AND source_line = 1202;
-- 6, 7: the record is finished, and p05 comes; p04 changed first
SELECT write_part_of_line(:'lake' || '/p04.csv', 6002, 10, true);
SELECT write_lines(:'lake' || '/p05.csv', 6003, 7202);
SELECT * FROM ingest_and_refresh(max_files => 1);
SELECT count(*) AS half_record_taken FROM events
 WHERE source_file LIKE '%/p04.csv' AND source_line = 1202;
SELECT * FROM ingest_and_refresh();
-- 8, 9, 10: more files, and lines appended to p02
SELECT write_lines(:'lake' || '/p06.csv', 7203, 9000);
SELECT write_lines(:'lake' || '/p02.csv', 9001, 9500, 'append');
SELECT * FROM ingest_and_refresh();
SELECT write_lines(:'lake' || '/p07.csv', 9501, 11000);
SELECT * FROM ingest_and_refresh();
SELECT write_lines(:'lake' || '/p08.csv', 11001, 12276);
SELECT * FROM ingest_and_refresh();
-- and nothing is left
SELECT batch, files, rows FROM ritual.ingest('lake_events', 'events');

-- every sample row is in the target exactly once, with its provenance
SELECT count(*) AS rows, count(DISTINCT (source_file, source_line)) AS distinct_provenance
  FROM events;
SELECT (SELECT count(*) FROM sample_lines) AS sample_rows;
-- the same lake in one batch gives the same target
CREATE FOREIGN TABLE lake_events_again (
    user_id     bigint,
    event_type  text,
    event_date  timestamp,
    source_file text   OPTIONS (meta 'filename'),
    source_line bigint OPTIONS (meta 'line'),
    errors      text   OPTIONS (meta 'errors'))
  SERVER ingest_files OPTIONS (path :'lake', header 'true', on_error 'null');
CREATE TABLE events_once (LIKE lake_events);
SELECT batch, files, bytes, rows, rejects FROM ritual.ingest('lake_events_again', 'events_once');
SELECT (SELECT count(*) FROM (TABLE events EXCEPT ALL TABLE events_once) a) AS only_in_batches,
       (SELECT count(*) FROM (TABLE events_once EXCEPT ALL TABLE events) b) AS only_in_one;
-- and so do the reports: refreshed after each batch, or built once
CREATE FUNCTION report_differences(OUT report text, OUT differences bigint)
RETURNS SETOF record LANGUAGE plpgsql AS $$
DECLARE
    reports text[] := ARRAY['users', 'enriched_events', 'clean_events', 'sessions',
                            'daily_activity', 'daily_event_types', 'retention_cohorts',
                            'event_transitions', 'spikes', 'spike_coverage', 'data_quality'];
BEGIN
    FOREACH report IN ARRAY reports LOOP
        EXECUTE format('CREATE TEMP TABLE %I AS TABLE ritual.%I', 'refreshed_' || report, report);
    END LOOP;
    PERFORM ritual.build_reports('events_once', 'profiles', reference_time => current_setting('ingest_test.reference_time')::timestamp);
    FOREACH report IN ARRAY reports LOOP
        EXECUTE format('SELECT (SELECT count(*) FROM (TABLE %1$I EXCEPT ALL TABLE ritual.%2$I) a)
                             + (SELECT count(*) FROM (TABLE ritual.%2$I EXCEPT ALL TABLE %1$I) b)',
                       'refreshed_' || report, report) INTO differences;
        RETURN NEXT;
    END LOOP;
END
$$;
SELECT kind, count(*) AS builds, sum(new_events) AS new_events
  FROM ritual.report_builds WHERE events_relation = 'events' GROUP BY kind ORDER BY kind;
SELECT (SELECT count(*) FROM ritual.enriched_events) AS enriched_events,
       (SELECT count(*) FROM ritual.clean_events) AS clean_events;
SELECT * FROM report_differences();

-- the checkpoint and the log agree with the target

SELECT regexp_replace(path, '.*/', '') AS file, size, bytes, lines, rows, rejects,
       first_batch, batch, state
  FROM ritual.ingest_files f JOIN ritual.ingest_streams s USING (stream_id)
 WHERE s.target = 'events'::regclass ORDER BY path;
SELECT (SELECT sum(rows) FROM ritual.ingest_log WHERE target = 'events'::regclass) AS logged_rows,
       (SELECT sum(rows) FROM ritual.ingest_files f JOIN ritual.ingest_streams s USING (stream_id)
         WHERE s.target = 'events'::regclass) AS checkpoint_rows,
       (SELECT count(*) FROM events) AS target_rows;
SELECT batch, files, rows, rejects, rewritten, pending_files FROM ritual.ingest_log
 WHERE target = 'events'::regclass ORDER BY batch;

-- a plain scan of the source still reads every file whole
SELECT count(*) FROM lake_events;

-- a batch rolled back leaves neither rows nor checkpoint
SELECT write_lines(:'lake' || '/p09.csv', 2, 101);
BEGIN;
SELECT batch, files, rows FROM ritual.ingest('lake_events', 'events');
ROLLBACK;
SELECT count(*) FROM events;
SELECT batch, files, rows FROM ritual.ingest('lake_events', 'events');
-- and so does one rolled back to a savepoint
SELECT write_lines(:'lake' || '/p10.csv', 2, 51);
BEGIN;
SAVEPOINT before;
SELECT batch, files, rows FROM ritual.ingest('lake_events', 'events');
ROLLBACK TO before;
SELECT batch, files, rows FROM ritual.ingest('lake_events', 'events');
COMMIT;
SELECT count(*) FROM events;

-- bad rows: kept as rejects with file, line, raw record and reason
SELECT format('COPY (SELECT) TO PROGRAM %L',
              format('cat > /dev/null; printf ''%s'' > %s',
                     'user_id,event_type,event_date\n'
                     '1,a,2024-01-01 00:00:00\n'
                     'x1,b,2024-01-01 00:00:00\n'
                     '\n'
                     '2,c,not a date\n'
                     '3,d,2024-01-01 00:00:00,extra\n'
                     '4,"\377",2024-01-02 00:00:00\n'
                     '5,f,2024-01-02 00:00:00\n',
                     :'bad_lake' || '/bad.csv')) AS write_bad \gset
:write_bad;
CREATE FOREIGN TABLE bad_events (user_id bigint, event_type text, event_date timestamp)
  SERVER ingest_files OPTIONS (path :'bad_lake', header 'true');
CREATE TABLE good_events (user_id bigint, event_type text, event_date timestamp);
-- more rejects than the limit: an error, and nothing taken
SELECT * FROM ritual.ingest('bad_events', 'good_events', reject_limit => 2);
SELECT count(*) AS rows, (SELECT count(*) FROM ritual.ingest_rejects) AS rejects FROM good_events;
SELECT batch, files, rows, rejects FROM ritual.ingest('bad_events', 'good_events');
SELECT * FROM good_events ORDER BY user_id;
SELECT batch, regexp_replace(path, '.*/', '') AS file, line, record, error
  FROM ritual.ingest_rejects ORDER BY line;

-- a target that needs the executor (a default, a cast, a trigger) is
-- written through INSERT ... SELECT; constraints hold on both paths
CREATE TABLE typed_events (user_id numeric, event_type varchar(40),
                           event_date timestamp, loaded boolean DEFAULT true);
CREATE FUNCTION upper_event_type() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.event_type := upper(NEW.event_type);
    RETURN NEW;
END
$$;
CREATE TRIGGER shout BEFORE INSERT ON typed_events FOR EACH ROW EXECUTE FUNCTION upper_event_type();
SELECT batch, files, rows, rejects FROM ritual.ingest('bad_events', 'typed_events');
SELECT * FROM typed_events ORDER BY user_id;
CREATE TABLE checked_events (user_id bigint CHECK (user_id < 5), event_type text,
                             event_date timestamp);
SELECT * FROM ritual.ingest('bad_events', 'checked_events');
SELECT count(*) FROM checked_events;
CREATE TABLE unique_events (user_id bigint, event_type text UNIQUE, event_date timestamp);
INSERT INTO unique_events VALUES (9, 'f', NULL);
SELECT * FROM ritual.ingest('bad_events', 'unique_events');
SELECT count(*) FROM unique_events;

-- a compressed file is complete when it appears: its last record is taken
-- though no line break ends it
\set unterminated :datadir '/ingest_unterminated'
SELECT format('COPY (SELECT) TO PROGRAM %L',
              format('cat > /dev/null; mkdir -p %1$s && cd %1$s && printf ''user_id,event_type,event_date\n1,a,2024-01-01\n2,b,2024-01-02'' > .last && gzip -c .last > last.csv.gz && zstd -q -c .last > last.csv.zst && rm .last',
                     :'unterminated')) AS write_unterminated \gset
:write_unterminated;
CREATE FOREIGN TABLE unterminated_events (user_id bigint, event_type text, event_date timestamp)
  SERVER ingest_files OPTIONS (path :'unterminated', header 'true');
CREATE TABLE compressed_events (user_id bigint, event_type text, event_date timestamp);
SELECT files, rows, rejects FROM ritual.ingest('unterminated_events', 'compressed_events');
SELECT files, rows, rejects FROM ritual.ingest('unterminated_events', 'compressed_events',
                                               files_complete => true);
SELECT * FROM compressed_events ORDER BY user_id;

-- Parquet files are ingested whole, once each; one rewritten after it was
-- ingested is found, as a CSV file is
\set pq_lake :datadir '/ingest_parquet'
\set pq_file :datadir '/parquet/row_groups.parquet'
\set pq_other :datadir '/parquet/types_snappy.parquet'
CREATE FUNCTION put_parquet(source text, target text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('COPY (SELECT) TO PROGRAM %L',
                   format('cat > /dev/null; mkdir -p %s && cp %s %s.tmp && mv %s.tmp %s',
                          regexp_replace(target, '/[^/]*$', ''), source, target, target, target));
END
$$;
SELECT format('COPY (SELECT) TO PROGRAM %L', format('rm -rf %s && cat > /dev/null', :'pq_lake'))
  AS pq_clean \gset
:pq_clean;
SELECT put_parquet(:'pq_file', :'pq_lake' || '/p1.parquet');
CREATE FOREIGN TABLE pq_source (hundred int, kind text,
    source_file text OPTIONS (meta 'filename'), source_row bigint OPTIONS (meta 'line'))
  SERVER ingest_files OPTIONS (path :'pq_lake');
CREATE TABLE pq_target (hundred int, kind text, source_file text, source_row bigint);
SELECT files, rows, rejects FROM ritual.ingest('pq_source', 'pq_target');
SELECT files, rows, rejects FROM ritual.ingest('pq_source', 'pq_target');
SELECT put_parquet(:'pq_file', :'pq_lake' || '/p2.parquet');
SELECT files, rows, rejects FROM ritual.ingest('pq_source', 'pq_target');
SELECT count(*) AS rows, count(DISTINCT (source_file, source_row)) AS distinct_provenance,
       sum(hundred) AS hundreds FROM pq_target;
SELECT regexp_replace(path, '^.*/', '') AS file, bytes = size AS read_whole, lines, rows
  FROM ritual.ingest_files WHERE path LIKE '%/ingest_parquet/%' ORDER BY 1;
-- the lake in one batch gives the same rows
CREATE TABLE pq_one_batch (LIKE pq_target);
SELECT files, rows FROM ritual.ingest('pq_source', 'pq_one_batch');
SELECT count(*) AS rows_that_differ
  FROM ((TABLE pq_target EXCEPT ALL TABLE pq_one_batch)
        UNION ALL (TABLE pq_one_batch EXCEPT ALL TABLE pq_target)) d;
-- rewritten: an error, then left be
SELECT put_parquet(:'pq_other', :'pq_lake' || '/p1.parquet');
SELECT files, rows FROM ritual.ingest('pq_source', 'pq_target');
SELECT files, rows FROM ritual.ingest('pq_source', 'pq_target', on_rewrite => 'ignore');
SELECT count(*) AS rows FROM pq_target;

-- errors
SELECT * FROM ritual.ingest('events', 'good_events');
CREATE EXTENSION file_fdw;
CREATE SERVER other_files FOREIGN DATA WRAPPER file_fdw;
CREATE FOREIGN TABLE other_events (user_id bigint)
  SERVER other_files OPTIONS (filename '/dev/null');
SELECT * FROM ritual.ingest('other_events', 'good_events');
CREATE TABLE unrelated (a int, b text);
SELECT * FROM ritual.ingest('bad_events', 'unrelated');
SELECT * FROM ritual.ingest('bad_events', 'good_events', on_rewrite => 'reread');
SELECT * FROM ritual.ingest('bad_events', 'good_events', max_files => 0);
SELECT count(*) AS running FROM ritual.ingest_progress;

-- who may ingest: SELECT on the whole source and INSERT on the target;
-- ritual.ingest keeps the checkpoint itself
CREATE ROLE ingest_nobody;
CREATE ROLE ingest_pipeline;
GRANT USAGE ON SCHEMA ritual TO ingest_nobody, ingest_pipeline;
GRANT SELECT ON bad_events TO ingest_pipeline;
GRANT SELECT (user_id) ON bad_events TO ingest_nobody;
GRANT INSERT ON good_events TO ingest_pipeline, ingest_nobody;
SET ROLE ingest_nobody;
SELECT * FROM ritual.ingest('bad_events', 'good_events');
SET ROLE ingest_pipeline;
SELECT batch, files, rows, rejects FROM ritual.ingest('bad_events', 'good_events');
RESET ROLE;
SELECT ritual.grant_ingest('ingest_pipeline');
CREATE TABLE pipeline_events (user_id bigint, event_type text, event_date timestamp);
GRANT INSERT ON pipeline_events TO ingest_pipeline;
SET ROLE ingest_pipeline;
SELECT batch, files, rows, rejects FROM ritual.ingest('bad_events', 'pipeline_events');
RESET ROLE;
SELECT count(*) FROM pipeline_events;

-- internals_unreachable: no step of ritual.ingest has an SQL entry (in 0.1
-- these crashed the server on NULL arrays, read any byte range of a file,
-- or hashed any prefix of it), and ritual.ingest, not STRICT for its
-- defaults, checks its NULLs
SET ROLE ingest_pipeline;
SELECT ritual.ingest_prepare_batch('bad_events', 'pipeline_events', 1, NULL, NULL, NULL, NULL, NULL, false, NULL);
SELECT * FROM ritual.ingest_list_files('bad_events', '{}', '{}', '{}', '{}');
SELECT * FROM ritual.ingest_insert('bad_events', 'pipeline_events');
SELECT * FROM ritual.ingest_batch_rejects();
SELECT * FROM ritual.ingest_batch_results();
SELECT * FROM ritual.ingest(NULL, 'pipeline_events');
SELECT * FROM ritual.ingest('bad_events', 'pipeline_events', wait => NULL);
SELECT * FROM ritual.ingest('bad_events', 'pipeline_events', on_rewrite => NULL);
RESET ROLE;
SELECT p.oid::regprocedure AS not_strict
  FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
 WHERE p.pronamespace = 'ritual'::regnamespace AND l.lanname = 'c'
   AND p.proname LIKE 'ingest%' AND NOT p.proisstrict
 ORDER BY 1;

-- checkpoint_only_ritual_writes: a role reads the rows of the streams it
-- may ingest and writes none (in 0.1 it could rewind another role's stream)
SET ROLE ingest_pipeline;
SELECT source, target, batches FROM ritual.ingest_streams ORDER BY stream_id;
SELECT source, target, batch, rows, rejects FROM ritual.ingest_log ORDER BY source, target, batch;
SELECT count(*) AS files FROM ritual.ingest_files;
SELECT fingerprint FROM ritual.ingest_files;
UPDATE ritual.ingest_files SET bytes = 0, lines = 0;
INSERT INTO ritual.ingest_streams (source, target) VALUES ('bad_events', 'events');
DELETE FROM ritual.ingest_rejects;
RESET ROLE;
SELECT count(*) AS streams FROM ritual.ingest_streams;

-- raw_rejects_need_read_server_files: a rejected record may hold columns
-- that the source does not map (here all but user_id): it is kept only for
-- a role that may read any server file
CREATE FOREIGN TABLE bad_ids (user_id bigint)
  SERVER ingest_files OPTIONS (path :'bad_lake', header 'true');
CREATE TABLE ids (user_id bigint);
GRANT SELECT ON bad_ids TO ingest_pipeline;
GRANT INSERT ON ids TO ingest_pipeline;
SET ROLE ingest_pipeline;
SELECT batch, files, rows, rejects FROM ritual.ingest('bad_ids', 'ids');
SELECT line, record, error FROM ritual.ingest_rejects r JOIN ritual.ingest_streams s USING (stream_id)
 WHERE s.target = 'ids'::regclass ORDER BY line;
RESET ROLE;

-- batch_only_for_its_own_scan: other scans of the source in the ingest's
-- transaction, a parallel plan made before it among them, or in its
-- statement (a trigger of the target), read the table whole (in 0.1 a
-- parallel plan took a prepared batch and crashed the server)
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET plan_cache_mode = force_generic_plan;
PREPARE count_lake AS SELECT count(*) FROM lake_events;
EXPLAIN (COSTS OFF) EXECUTE count_lake;
EXECUTE count_lake;
BEGIN;
SELECT ritual.ingest_prepare_batch('lake_events', 'events', 99, ARRAY[:'lake' || '/p01.csv'],
    '{0}', '{0}', '{-1}', '{0}', false, NULL);
EXECUTE count_lake;
ROLLBACK;
CREATE TABLE lake_counts (rows bigint);
CREATE FUNCTION count_lake_too() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO public.lake_counts SELECT count(*) FROM public.lake_events;
    RETURN NULL;
END
$$;
CREATE TABLE counted_events (LIKE events);
CREATE TRIGGER count_lake BEFORE INSERT ON counted_events
  FOR EACH STATEMENT EXECUTE FUNCTION count_lake_too();
SELECT write_lines(:'lake' || '/p11.csv', 2, 31);
BEGIN;
SELECT batch, files, rows FROM ritual.ingest('lake_events', 'events');
EXECUTE count_lake;
SELECT batch, files, rows FROM ritual.ingest('lake_events', 'counted_events', max_files => 1);
EXECUTE count_lake;
COMMIT;
SELECT rows FROM lake_counts;
DEALLOCATE count_lake;
RESET plan_cache_mode;
RESET max_parallel_workers_per_gather;
RESET min_parallel_table_scan_size;
RESET parallel_tuple_cost;
RESET parallel_setup_cost;

-- targets_like_insert: a target's generated and identity columns are
-- computed as INSERT computes them, a partition keeps its bound and a
-- partitioned table routes (in 0.1 the file's values were stored as they
-- were, and a partition took rows outside its bound)
CREATE TABLE generated_events (user_id bigint, event_type text,
    event_date timestamp GENERATED ALWAYS AS (timestamp '2000-01-01' + user_id * interval '1 day') STORED);
SELECT batch, files, rows, rejects FROM ritual.ingest('bad_events', 'generated_events');
SELECT * FROM generated_events ORDER BY user_id;
CREATE TABLE always_events (user_id bigint GENERATED ALWAYS AS IDENTITY (START 100),
                            event_type text, event_date timestamp);
SELECT batch, files, rows, rejects FROM ritual.ingest('bad_events', 'always_events');
SELECT * FROM always_events ORDER BY user_id;
CREATE TABLE by_default_events (id bigint GENERATED BY DEFAULT AS IDENTITY (START 100),
                                user_id bigint GENERATED BY DEFAULT AS IDENTITY,
                                event_type text, event_date timestamp);
SELECT batch, files, rows, rejects FROM ritual.ingest('bad_events', 'by_default_events');
SELECT * FROM by_default_events ORDER BY id;
CREATE TABLE ranged_events (user_id bigint, event_type text, event_date timestamp)
  PARTITION BY RANGE (user_id);
CREATE TABLE low_events PARTITION OF ranged_events FOR VALUES FROM (0) TO (3);
CREATE TABLE high_events PARTITION OF ranged_events FOR VALUES FROM (3) TO (100);
SELECT * FROM ritual.ingest('bad_events', 'low_events');
SELECT count(*) FROM low_events;
SELECT batch, files, rows, rejects FROM ritual.ingest('bad_events', 'ranged_events');
SELECT tableoid::regclass AS partition, user_id FROM ranged_events ORDER BY user_id;

-- reject_limit_of_server: a reject_limit set on the server (or the table)
-- applies to ritual.ingest as to a scan, unless ritual.ingest is given one
CREATE SERVER strict_files FOREIGN DATA WRAPPER ritual_fdw
  OPTIONS (on_error 'skip', reject_limit '0');
CREATE FOREIGN TABLE strict_events (user_id bigint, event_type text, event_date timestamp)
  SERVER strict_files OPTIONS (path :'bad_lake', header 'true');
CREATE TABLE strict_target (LIKE good_events);
SELECT count(*) FROM strict_events;
SELECT * FROM ritual.ingest('strict_events', 'strict_target');
SELECT count(*) FROM strict_target;
SELECT batch, files, rows, rejects FROM ritual.ingest('strict_events', 'strict_target', reject_limit => 10);

DROP SERVER ingest_files CASCADE;
DROP SERVER other_files CASCADE;
DROP SERVER strict_files CASCADE;
DROP EXTENSION file_fdw;
DROP TABLE events, events_once, profiles, good_events, unrelated, pipeline_events, typed_events,
    checked_events, unique_events, compressed_events, ids, lake_counts, counted_events,
    generated_events, always_events, by_default_events, ranged_events, strict_target;
DROP FUNCTION upper_event_type, count_lake_too;
DROP FUNCTION write_lines, write_part_of_line, ingest_and_refresh, report_differences;
DROP OWNED BY ingest_nobody, ingest_pipeline;
DROP ROLE ingest_nobody, ingest_pipeline;
