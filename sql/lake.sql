--
-- lake: Hive-partitioned directories, partition pruning, compressed files
--
\getenv datadir RITUAL_TESTDATA
\set lake :datadir '/lake365'
\set flat :datadir '/lake365_flat.csv'
\set hive :datadir '/hive'
\set compressed :datadir '/compressed'

-- how many files a query matched, pruned and read, from EXPLAIN ANALYZE
CREATE FUNCTION scan_files(query text, OUT matched int, OUT pruned int,
                           OUT files_read int)
LANGUAGE plpgsql AS $$
DECLARE
  plan jsonb;
BEGIN
  EXECUTE 'EXPLAIN (ANALYZE, FORMAT json, COSTS OFF, TIMING OFF, SUMMARY OFF) ' || query
    INTO plan;
  matched := jsonb_path_query_first(plan, 'strict $.**."Ritual Files"');
  pruned := jsonb_path_query_first(plan, 'strict $.**."Ritual Files Pruned"');
  files_read := jsonb_path_query_first(plan, 'strict $.**."Ritual Files Read"');
END $$;

CREATE FUNCTION count_where(rel text, condition text) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  n bigint;
BEGIN
  EXECUTE format('SELECT count(*) FROM %I WHERE %s', rel, condition) INTO n;
  RETURN n;
END $$;

-- 365 daily partitions (a third gzip, a third zstd) and the same events in
-- one file: the partition column comes from the path
CREATE FOREIGN TABLE lake (user_id int, event_type text, event_date date,
    file text OPTIONS (meta 'filename'))
  SERVER files OPTIONS (path :'lake', header 'true');
CREATE FOREIGN TABLE flat (user_id int, event_type text, event_date date)
  SERVER files OPTIONS (path :'flat', header 'true');
SELECT count(*) AS events, count(DISTINCT event_date) AS days,
       count(DISTINCT file) AS files,
       count(DISTINCT file) FILTER (WHERE file LIKE '%.gz') AS gzip_files,
       count(DISTINCT file) FILTER (WHERE file LIKE '%.zst') AS zstd_files
  FROM lake;
SELECT count(*) AS differences FROM (
  (SELECT user_id, event_type, event_date FROM lake EXCEPT ALL SELECT * FROM flat)
  UNION ALL
  (SELECT * FROM flat EXCEPT ALL SELECT user_id, event_type, event_date FROM lake)) d;
SELECT count(*) AS partitions_with_other_counts FROM (
  SELECT event_date, count(*) FROM lake GROUP BY 1
  EXCEPT SELECT event_date, count(*) FROM flat GROUP BY 1) d;

-- each form of condition reads only the files it can match, and returns
-- what the unpartitioned file returns
CREATE TABLE pruning_cases (condition text, expected_files int);
INSERT INTO pruning_cases VALUES
  ('event_date = ''2024-03-01''', 1),
  ('event_date <> ''2024-03-01''', 364),
  ('event_date < ''2024-01-10''', 9),
  ('event_date <= ''2024-01-10''', 10),
  ('event_date > ''2024-12-25''', 5),
  ('event_date >= ''2024-12-25''', 6),
  ('event_date BETWEEN ''2024-02-01'' AND ''2024-02-29''', 29),
  ('event_date IN (''2024-01-01'', ''2024-07-04'', ''2024-12-30'')', 3),
  ('event_date IS NULL', 0),
  ('event_date IS NOT NULL AND event_date < ''2024-01-03''', 2),
  ('event_date = ''2024-01-01'' OR event_date = ''2024-01-31''', 2),
  ('event_date >= ''2024-03-01'' AND event_date < ''2024-03-08'' AND user_id > 0', 7),
  ('event_date >= to_date(''20241225'', ''YYYYMMDD'')', 6),
  ('event_date > current_date', 0),
  ('user_id = 1', 365);
SELECT c.condition, f.matched, f.pruned, f.files_read,
       f.files_read = c.expected_files AS expected,
       count_where('lake', c.condition) = count_where('flat', c.condition) AS same_count
  FROM pruning_cases c,
       LATERAL scan_files('SELECT count(*) FROM lake WHERE ' || c.condition) f
 ORDER BY c.expected_files, c.condition;

-- the planner's estimate counts only the files that may match
CREATE FUNCTION estimated_rows(query text) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  plan jsonb;
BEGIN
  EXECUTE 'EXPLAIN (FORMAT json) ' || query INTO plan;
  RETURN jsonb_path_query_first(plan, 'strict $.**."Plan Rows"');
END $$;
SELECT estimated_rows('SELECT * FROM lake WHERE event_date = ''2024-03-01''') * 100
       < estimated_rows('SELECT * FROM lake') AS one_day_estimated_smaller,
       estimated_rows('SELECT * FROM lake WHERE event_date >= ''2024-12-01''') * 5
       < estimated_rows('SELECT * FROM lake') AS one_month_estimated_smaller;
DROP FUNCTION estimated_rows;

-- a prepared statement's generic plan prunes at execution
PREPARE one_day(date) AS SELECT count(*) FROM lake WHERE event_date = $1;
SET plan_cache_mode = force_generic_plan;
EXPLAIN (COSTS OFF) EXECUTE one_day('2024-05-05');
SELECT matched, pruned, files_read FROM scan_files('EXECUTE one_day(''2024-05-05'')');
SELECT matched, pruned, files_read FROM scan_files('EXECUTE one_day(''2024-05-06'')');
EXECUTE one_day('2024-05-05');
RESET plan_cache_mode;
DEALLOCATE one_day;

-- conditions with a value from a subquery or an outer query are evaluated
-- per row, not used to prune: their value is not known when the scan begins
CREATE TABLE wanted (d date, p text);
INSERT INTO wanted VALUES ('2024-03-01', 'ios'), ('2024-05-05', 'android');
SELECT count(*) = (SELECT count(*) FROM flat WHERE event_date = '2024-05-05') AS right_count
  FROM lake WHERE event_date = (SELECT max(d) FROM wanted);
SELECT w.d, (SELECT count(*) FROM lake l WHERE l.event_date = w.d) AS events,
       (SELECT count(*) FROM flat f WHERE f.event_date = w.d) AS expected
  FROM wanted w ORDER BY w.d;

-- with hive_partitioning off, the column is read from the files, which lack it
ALTER FOREIGN TABLE lake OPTIONS (ADD hive_partitioning 'false');
SELECT count(*), count(event_date) FROM lake;
DROP FOREIGN TABLE lake, flat;
DROP TABLE pruning_cases;

-- several levels; __HIVE_DEFAULT_PARTITION__ is NULL; values are URL-decoded;
-- a value that does not convert is reported per on_error, naming the file
CREATE FOREIGN TABLE hive (user_id int, event_type text, event_date date,
    platform text) SERVER files OPTIONS (path :'hive', header 'true');
SELECT * FROM hive;
ALTER FOREIGN TABLE hive OPTIONS (ADD on_error 'null');
SELECT event_date, platform, count(*) FROM hive GROUP BY 1, 2 ORDER BY 1, 2;
SELECT event_date, platform, user_id FROM hive WHERE platform = 'web app';
-- a file whose partition value does not convert is never pruned: the scan
-- reports it
SELECT matched, pruned, files_read FROM scan_files(
  'SELECT * FROM hive WHERE event_date = ''2024-03-02'' AND platform = ''ios''');
-- a text partition column compared with a subquery's value
SELECT count(*) FROM hive WHERE platform = (SELECT max(p) FROM wanted);
DROP FOREIGN TABLE hive;

-- a column named like a key is read from the fields of a file whose path
-- lacks the key (a flat file beside country=US/), and from the path where it
-- has the key, which wins over a column of the same name in the file (as in
-- DuckDB); a file without the key is never pruned by it
\set mixed_lake :datadir '/mixed_lake'
CREATE FOREIGN TABLE mixed (user_id int, event_type text, country text,
    file text OPTIONS (meta 'filename'))
  SERVER files OPTIONS (path :'mixed_lake', header 'true');
SELECT user_id, event_type, country, replace(file, :'datadir', '<data>') AS file
  FROM mixed ORDER BY user_id;
SELECT user_id, country FROM mixed WHERE country = 'FR';
SELECT matched, pruned, files_read FROM scan_files(
  'SELECT * FROM mixed WHERE country = ''FR''');
SELECT matched, pruned, files_read FROM scan_files(
  'SELECT * FROM mixed WHERE country = ''US''');
-- by position too, the flat file's third field is the column
\set mixed_by_position :mixed_lake '/country=US,' :mixed_lake '/flat.csv'
ALTER FOREIGN TABLE mixed OPTIONS (SET path :'mixed_by_position',
                                   ADD match_by 'position');
SELECT user_id, event_type, country FROM mixed ORDER BY user_id;
DROP FOREIGN TABLE mixed;

-- directories_ruled_out_are_never_listed: event_date=2024-01-04 cannot be
-- read; a query whose conditions rule it out by its key=value never lists
-- it, and one they do not rule out fails to
\set guarded :datadir '/guarded'
CREATE FOREIGN TABLE guarded (user_id int, event_type text, event_date date)
  SERVER files OPTIONS (path :'guarded', header 'true');
CREATE TABLE guarded_cases (condition text);
INSERT INTO guarded_cases VALUES
  ('event_date = ''2024-01-02'''),
  ('event_date IN (''2024-01-01'', ''2024-01-05'')'),
  ('event_date = ANY (ARRAY[''2024-01-01'', NULL]::date[])'),
  ('event_date NOT IN (''2024-01-04'', ''2024-01-05'')'),
  ('event_date BETWEEN ''2024-01-01'' AND ''2024-01-03'''),
  ('event_date < ''2024-01-03'''),
  ('event_date > ''2024-01-04 12:00''::timestamp'),
  ('event_date = ''2024-01-01'' OR event_date > ''2024-01-04'''),
  ('NOT (event_date >= ''2024-01-03'' AND event_date <= ''2024-01-04'')'),
  ('event_date IS NULL'),
  ('event_date IS NULL OR event_date = ''2024-01-05'''),
  ('event_date = nullif(current_date, current_date)'),
  ('event_date = current_date - (current_date - date ''2024-01-02'')'),
  ('event_date > current_date');
SELECT c.condition, count_where('guarded', c.condition) AS events, f.matched, f.pruned
  FROM guarded_cases c,
       LATERAL scan_files('SELECT count(*) FROM guarded WHERE ' || c.condition) f
 ORDER BY c.condition;
-- a prepared statement's generic plan rules it out when it runs
PREPARE guarded_day(date) AS SELECT count(*) FROM guarded WHERE event_date = $1;
SET plan_cache_mode = force_generic_plan;
EXECUTE guarded_day('2024-01-03');
SELECT matched, pruned FROM scan_files('EXECUTE guarded_day(''2024-01-05'')');
EXECUTE guarded_day('2024-01-04');
RESET plan_cache_mode;
DEALLOCATE guarded_day;
-- conditions that do not rule it out
SELECT count(*) FROM guarded WHERE event_date = '2024-01-04';
SELECT count(*) FROM guarded WHERE event_date IS NOT NULL;
SELECT count(*) FROM guarded WHERE event_date::text = '2024-01-02';
SELECT count(*) FROM guarded WHERE user_id = 1;
SELECT count(*) FROM guarded
 WHERE event_date = (SELECT max(d) - 64 FROM wanted);
-- a table over the unreadable directory: the error is the directory's
\set locked :guarded '/event_date=2024-01-04'
CREATE FOREIGN TABLE locked (user_id int) SERVER files
  OPTIONS (path :'locked', header 'true');
SELECT count(*) FROM locked;
DROP FOREIGN TABLE locked;
DROP FOREIGN TABLE guarded;
DROP TABLE guarded_cases;
-- a boolean partition column alone is a condition too
\set guarded_flags :datadir '/guarded_flags'
CREATE FOREIGN TABLE guarded_flags (user_id int, ok boolean)
  SERVER files OPTIONS (path :'guarded_flags', header 'true');
SELECT user_id, ok FROM guarded_flags WHERE ok;
SELECT user_id, ok FROM guarded_flags WHERE ok = true AND user_id = 1;
SELECT user_id, ok FROM guarded_flags WHERE NOT ok;
DROP FOREIGN TABLE guarded_flags;

-- compressed files: by the name's ending or by option compression
\set one :compressed '/one.csv.gz'
\set two_members :compressed '/two_members.csv.gz'
\set zst :compressed '/plain.csv.zst'
\set truncated :compressed '/truncated.csv.gz'
\set corrupt :compressed '/corrupt.csv.gz'
\set misnamed :compressed '/misnamed.csv.gz'
\set plain :compressed '/plain.csv'
CREATE FOREIGN TABLE packed (user_id int, event_type text)
  SERVER files OPTIONS (path :'one', header 'true');
SELECT * FROM packed;
-- concatenated gzip members are read one after another
ALTER FOREIGN TABLE packed OPTIONS (SET path :'two_members', ADD on_error 'skip');
SELECT count(*) FROM packed;
ALTER FOREIGN TABLE packed OPTIONS (SET path :'zst', DROP on_error);
SELECT * FROM packed;
-- truncated and corrupt files are errors naming the file
ALTER FOREIGN TABLE packed OPTIONS (SET path :'truncated');
SELECT * FROM packed;
ALTER FOREIGN TABLE packed OPTIONS (SET path :'corrupt');
SELECT * FROM packed;
ALTER FOREIGN TABLE packed OPTIONS (SET path :'misnamed');
SELECT * FROM packed;
-- a name ending in .gz, .zst or .csv decides how a file is read; option
-- compression decides for other names
\set gzipped :compressed '/gzipped.data'
ALTER FOREIGN TABLE packed OPTIONS (SET path :'gzipped', ADD compression 'gzip');
SELECT * FROM packed;
ALTER FOREIGN TABLE packed OPTIONS (SET path :'plain', SET compression 'zstd');
SELECT * FROM packed;
ALTER FOREIGN TABLE packed OPTIONS (SET path :'gzipped', SET compression 'zstd');
SELECT * FROM packed;
ALTER FOREIGN TABLE packed OPTIONS (SET compression 'lz4');
DROP FOREIGN TABLE packed;

-- a directory of many partitions is pruned by bisecting its sorted values,
-- and its listing is kept by the session for the next statements while the
-- directory has not changed since: a partition written after it was kept
-- is read at once
\set days :datadir '/written/days'
CREATE FOREIGN TABLE days (n int, day date)
  SERVER files OPTIONS (path :'days', partition_by 'day');
INSERT INTO days SELECT i, date '2024-01-01' + i FROM generate_series(0, 199) i;
INSERT INTO days VALUES (1000, NULL);
CREATE FOREIGN TABLE days_text (n int, day text) SERVER files OPTIONS (path :'days');
-- a listing is kept only when the directory is a second older than it
SELECT pg_sleep(1.2);
SELECT count(*), sum(n) FROM days WHERE day = '2024-03-01';
SELECT count(*) > 0 AS listing_kept FROM pg_backend_memory_contexts
 WHERE name = 'ritual_fdw directory listings';
CREATE TABLE day_cases (rel text, condition text, expected_files int);
INSERT INTO day_cases VALUES
  ('days', 'day = ''2024-03-01''', 1),
  ('days', 'day IN (''2024-01-05'', ''2024-06-01'', ''2025-01-01'')', 2),
  ('days', 'day < ''2024-01-10'' OR day > ''2024-07-15''', 12),
  ('days', 'NOT (day >= ''2024-01-03'')', 2),
  ('days', 'day IS NULL', 1),
  ('days', 'day IS NOT NULL AND day <> ''2024-01-01''', 199),
  ('days', 'day BETWEEN ''2024-02-10'' AND ''2024-02-20''', 11),
  ('days', 'day = ''2023-01-01''', 0),
  ('days', 'day >= ''2024-07-18'' OR n = 5', 201),
  ('days_text', 'day = ''2024-03-01''', 1),
  ('days_text', 'day < ''2024-01-10'' COLLATE "C"', 9),
  ('days_text', 'day IN (''2024-01-05'', ''2024-1-5'')', 1);
-- each reads only its files, and counts what testing each row counts (the
-- column in an expression, which prunes nothing)
SELECT c.rel, c.condition, f.files_read, f.files_read = c.expected_files AS expected,
       count_where(c.rel, c.condition) =
       count_where(c.rel, replace(c.condition, 'day',
                                  CASE c.rel WHEN 'days' THEN '(day + 0)'
                                             ELSE '(day || '''')' END)) AS same_count
  FROM day_cases c,
       LATERAL scan_files(format('SELECT count(*) FROM %I WHERE %s', c.rel, c.condition)) f
 ORDER BY c.rel, c.expected_files, c.condition;
-- values are converted under the session's settings: kept sorted values
-- of a timestamptz column are not used under another time zone
CREATE FOREIGN TABLE days_tz (n int, day timestamptz) SERVER files OPTIONS (path :'days');
SET TimeZone = 'UTC';
SELECT count(*), sum(n) FROM days_tz WHERE day = '2024-03-01 00:00:00+00';
SET TimeZone = 'America/New_York';
SELECT count(*), sum(n) FROM days_tz WHERE day = '2024-03-01 00:00:00+00';
SELECT count(*), sum(n) FROM days_tz WHERE day = '2024-03-01 05:00:00+00';
RESET TimeZone;
DROP FOREIGN TABLE days_tz;
SELECT count(*) FROM days WHERE day = '2024-09-01';
INSERT INTO days VALUES (2000, '2024-09-01');
SELECT count(*), sum(n) FROM days WHERE day = '2024-09-01';
SELECT count(*) FROM days;
-- ritual.keep_directory_listings off reads each directory each time
SET ritual.keep_directory_listings = off;
SELECT count(*), sum(n) FROM days WHERE day = '2024-09-01';
SELECT files_read FROM scan_files('SELECT count(*) FROM days WHERE day IN (''2024-01-05'', ''2024-06-01'')');
RESET ritual.keep_directory_listings;
DROP FOREIGN TABLE days, days_text;
DROP TABLE day_cases;
DROP FUNCTION scan_files, count_where;
DROP TABLE wanted;
