--
-- write: INSERT writes a Hive-partitioned dataset that reads back the same,
-- visible only once committed
--
\getenv datadir RITUAL_TESTDATA
\set plain :datadir '/written/plain'
\set packed :datadir '/written/packed'
\set denied :datadir '/written/denied'
\set temp_files :plain '/**/.ritual-tmp-*'

-- the rows written, and whatever hidden temporary files there are
CREATE FOREIGN TABLE written (user_id bigint, event_type text, event_date date,
    platform text, note text, file text OPTIONS (meta 'filename'))
  SERVER files OPTIONS (path :'plain', header 'true', partition_by 'event_date, platform');
CREATE FOREIGN TABLE leftovers (line text)
  SERVER files OPTIONS (path :'temp_files', missing_ok 'true');

-- values that need quoting, NULLs, and partition values that need escaping
-- (one spelled as a NULL's directory is, too)
INSERT INTO written (user_id, event_type, event_date, platform, note) VALUES
  (1, 'app_opened', '2024-03-01', 'ios', 'plain'),
  (2, 'share', '2024-03-01', 'ios', 'a, "quoted" note'),
  (3, 'share', '2024-03-01', 'android', ''),
  (4, 'journal_entry', '2024-03-02', 'web/app: 50% = ok?', E'two\nlines'),
  (5, 'reminder_set', NULL, NULL, NULL),
  (6, 'share', '2024-03-02', '__HIVE_DEFAULT_PARTITION__', '  spaces  ');
SELECT user_id, event_type, event_date, platform, note, note IS NULL AS null_note
  FROM written ORDER BY user_id;
-- the layout, as Spark writes it
SELECT DISTINCT regexp_replace(replace(file, :'plain', ''), 'part-[0-9-]+', 'part-N') AS file
  FROM written ORDER BY 1;
SELECT count(*) AS temporary_files FROM leftovers;

-- an aborted transaction, or savepoint, leaves nothing
BEGIN;
INSERT INTO written (user_id, event_type, event_date, platform) VALUES (90, 'gone', '2024-03-09', 'ios');
SELECT count(*) AS visible_inside FROM written WHERE user_id = 90;
ROLLBACK;
BEGIN;
INSERT INTO written (user_id, event_type, event_date, platform) VALUES (7, 'kept', '2024-03-01', 'ios');
SAVEPOINT s;
INSERT INTO written (user_id, event_type, event_date, platform) VALUES (91, 'gone', '2024-03-01', 'ios');
ROLLBACK TO s;
SAVEPOINT t;
INSERT INTO written (user_id, event_type, event_date, platform) VALUES (8, 'kept', '2024-03-01', 'ios');
RELEASE t;
COMMIT;
SELECT user_id, event_type FROM written WHERE user_id >= 7 ORDER BY user_id;
SELECT count(*) AS temporary_files FROM leftovers;

-- INSERT ... SELECT from a table, and RETURNING
CREATE TABLE source AS
  SELECT i AS user_id, 'bulk' AS event_type, date '2024-04-01' + i % 3 AS event_date,
         'ios' AS platform, repeat('x', i % 5) AS note
    FROM generate_series(1, 30) AS i;
INSERT INTO written (user_id, event_type, event_date, platform, note)
  SELECT * FROM source RETURNING user_id, event_date;
SELECT count(*) AS differences FROM (
  (SELECT * FROM source
   EXCEPT ALL SELECT user_id, event_type, event_date, platform, note FROM written)
  UNION ALL
  (SELECT user_id, event_type, event_date, platform, note FROM written WHERE event_type = 'bulk'
   EXCEPT ALL SELECT * FROM source)) d;

-- compressed, and rolling to a new file past max_file_size
CREATE FOREIGN TABLE packed (user_id bigint, event_type text, event_date date,
    file text OPTIONS (meta 'filename'))
  SERVER files OPTIONS (path :'packed', header 'true', partition_by 'event_date',
                        compression 'gzip', max_file_size '1kB');
INSERT INTO packed (user_id, event_type, event_date)
  SELECT i, repeat('e', 40), date '2024-05-01' + i % 2 FROM generate_series(1, 100) AS i;
ALTER FOREIGN TABLE packed OPTIONS (SET compression 'zstd', DROP max_file_size);
INSERT INTO packed (user_id, event_type, event_date)
  SELECT i, 'z', date '2024-05-03' FROM generate_series(101, 110) AS i;
SELECT event_date, count(*) AS rows, count(DISTINCT file) AS files,
       min(regexp_replace(file, '^.*(\.csv.*)$', '\1')) AS kind
  FROM packed GROUP BY 1 ORDER BY 1;
SELECT count(*) = 110 AND count(DISTINCT user_id) = 110 AS all_rows_back FROM packed;

-- one file per partition, whatever the order of the rows: 100 partitions
-- written round robin, plain, gzip, zstd
\set spread :datadir '/written/spread'
CREATE FOREIGN TABLE spread (n int, part int, file text OPTIONS (meta 'filename'))
  SERVER files OPTIONS (path :'spread', header 'true', partition_by 'part');
INSERT INTO spread (n, part) SELECT i, i % 100 FROM generate_series(1, 3000) AS i;
ALTER FOREIGN TABLE spread OPTIONS (ADD compression 'gzip');
INSERT INTO spread (n, part) SELECT i, i % 100 FROM generate_series(3001, 6000) AS i;
ALTER FOREIGN TABLE spread OPTIONS (SET compression 'zstd');
INSERT INTO spread (n, part) SELECT i, i % 100 FROM generate_series(6001, 9000) AS i;
SELECT regexp_replace(file, '^.*(\.csv.*)$', '\1') AS kind, count(*) AS rows,
       count(DISTINCT part) AS partitions, count(DISTINCT file) AS files
  FROM spread GROUP BY 1 ORDER BY 1;
SELECT count(*) = 9000 AND count(DISTINCT n) = 9000 AND sum(n) = 9000 * 9001 / 2
       AS all_rows_back FROM spread;

-- errors
CREATE FOREIGN TABLE globbed (a int) SERVER files OPTIONS (path :'temp_files');
INSERT INTO globbed VALUES (1);
\set a_file :datadir '/events.csv'
CREATE FOREIGN TABLE not_a_directory (a int) SERVER files OPTIONS (path :'a_file');
INSERT INTO not_a_directory VALUES (1);
CREATE FOREIGN TABLE bad_partition (a int) SERVER files
  OPTIONS (path :'plain', partition_by 'b');
INSERT INTO bad_partition VALUES (1);
CREATE FOREIGN TABLE meta_partition (a int, file text OPTIONS (meta 'filename'))
  SERVER files OPTIONS (path :'plain', partition_by 'file');
INSERT INTO meta_partition VALUES (1, 'x');
CREATE FOREIGN TABLE t (a int) SERVER files OPTIONS (path :'plain', partition_by 'a, a');
CREATE FOREIGN TABLE t (a int) SERVER files OPTIONS (path :'plain', max_file_size '10');
CREATE FOREIGN TABLE t (a int) SERVER files OPTIONS (path :'plain', max_file_size 'big');
INSERT INTO written (user_id, event_type, event_date, platform)
  VALUES (9, 'empty', '2024-03-01', '');
UPDATE written SET note = 'no' WHERE user_id = 1;
DELETE FROM written;

-- writing server files needs pg_write_server_files
CREATE ROLE regress_ritual_writer;
CREATE ROLE regress_ritual_no_writer;
GRANT pg_write_server_files TO regress_ritual_writer;
CREATE FOREIGN TABLE denied (a int) SERVER files OPTIONS (path :'denied');
GRANT INSERT, SELECT ON denied TO regress_ritual_writer, regress_ritual_no_writer;
SET ROLE regress_ritual_no_writer;
INSERT INTO denied VALUES (1);
RESET ROLE;
SET ROLE regress_ritual_writer;
INSERT INTO denied VALUES (2);
RESET ROLE;
SELECT * FROM denied;

DROP FOREIGN TABLE written, leftovers, packed, globbed, not_a_directory,
  bad_partition, meta_partition, denied;
DROP TABLE source;
DROP ROLE regress_ritual_writer, regress_ritual_no_writer;

-- what is written reads back the same whatever the session's settings:
-- floats exactly, an escape other than the quote, and a value equal to the
-- null string, quoted (which needs a reader that takes a quoted field equal
-- to the null string as a string, as COPY does)
\set escaped :datadir '/written/escaped'
CREATE FOREIGN TABLE escaped (id int, f float8, t text)
  SERVER files OPTIONS (path :'escaped', header 'true', escape '\', null 'NA');
SET extra_float_digits = -3;
INSERT INTO escaped VALUES (1, 1::float8 / 3, 'back\slash "quoted"'), (2, 1e-7, NULL);
RESET extra_float_digits;
SELECT id, f = 1::float8 / 3 OR f = 1e-7 AS exact, t FROM escaped ORDER BY id;
INSERT INTO escaped VALUES (3, 0, 'NA');
SELECT id, t, t IS NULL AS is_null FROM escaped WHERE id = 3;
CREATE FOREIGN TABLE hidden_partitions (a int, _p int)
  SERVER files OPTIONS (path :'escaped', partition_by '_p');
INSERT INTO hidden_partitions VALUES (1, 1);
DROP FOREIGN TABLE escaped, hidden_partitions;

-- a partition column renamed with column_name names its directories as the
-- header would, so that it reads back
\set renamed :datadir '/written/renamed'
CREATE FOREIGN TABLE renamed (id int, day date OPTIONS (column_name 'event_date'),
    file text OPTIONS (meta 'filename'))
  SERVER files OPTIONS (path :'renamed', header 'true', partition_by 'day');
INSERT INTO renamed VALUES (1, '2024-03-01'), (2, NULL);
SELECT id, day, regexp_replace(replace(file, :'renamed', ''), 'part-[0-9-]+', 'part-N') AS file
  FROM renamed ORDER BY id;
DROP FOREIGN TABLE renamed;

-- a row whose only field is NULL would be a blank line, which readers skip:
-- it needs option null; a value equal to the null string is quoted
\set single :datadir '/written/single'
CREATE FOREIGN TABLE single (v text, day int)
  SERVER files OPTIONS (path :'single', partition_by 'day');
INSERT INTO single VALUES ('a', 1), ('', 1), (' ', 1);
INSERT INTO single VALUES (NULL, 1);
ALTER FOREIGN TABLE single OPTIONS (ADD null 'NULL');
INSERT INTO single VALUES (NULL, 2), ('NULL', 2);
SELECT day, quote_nullable(v) AS v FROM single ORDER BY day, v NULLS FIRST;
-- files with no field at all are refused
CREATE FOREIGN TABLE no_field (day int)
  SERVER files OPTIONS (path :'single', partition_by 'day');
INSERT INTO no_field VALUES (1);
DROP FOREIGN TABLE single, no_field;

-- a NULL is the null string unquoted: one that would then read back as
-- something else is refused, the escape in it is fine
\set nulls :datadir '/written/nulls'
CREATE FOREIGN TABLE odd_null (a int, b text)
  SERVER files OPTIONS (path :'nulls', null 'x"y');
INSERT INTO odd_null VALUES (1, 'b');
ALTER FOREIGN TABLE odd_null OPTIONS (SET null '"NULL"');
INSERT INTO odd_null VALUES (1, 'b');
ALTER FOREIGN TABLE odd_null OPTIONS (SET null '\N', ADD escape '\');
INSERT INTO odd_null VALUES (1, NULL), (2, '\N'), (3, 'a\b'), (4, '"\N"');
SELECT a, quote_nullable(b) AS b FROM odd_null ORDER BY a;
DROP FOREIGN TABLE odd_null;

-- a value that starts with a byte-order mark, first in a file
\set bom :datadir '/written/bom'
CREATE FOREIGN TABLE bom (v text) SERVER files OPTIONS (path :'bom');
INSERT INTO bom VALUES (E'\uFEFFmarked');
SELECT v = E'\uFEFFmarked' AS same FROM bom;
DROP FOREIGN TABLE bom;
