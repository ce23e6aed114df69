--
-- explain: what EXPLAIN and EXPLAIN ANALYZE show, planning without opening
-- files, and estimates before and after ANALYZE
--
\getenv datadir RITUAL_TESTDATA
\set lake :datadir '/lake'
\set events :datadir '/events.csv'
\set events_bad :datadir '/events_bad.csv'
\set unreadable :datadir '/unreadable.csv'

-- EXPLAIN output with the machine's test-data directory replaced
CREATE FUNCTION explain_lines(query text) RETURNS SETOF text
LANGUAGE plpgsql AS $$
DECLARE
  line text;
BEGIN
  FOR line IN EXECUTE 'EXPLAIN ' || query LOOP
    RETURN NEXT replace(line, current_setting('ritual_test.datadir'), '<data>');
  END LOOP;
END $$;
SELECT set_config('ritual_test.datadir', :'datadir', false) IS NOT NULL AS datadir_set;

CREATE FOREIGN TABLE lake (user_id int, event_type text, event_date timestamp)
  SERVER files OPTIONS (path :'lake', header 'true');

-- files and their total size
SELECT explain_lines('(COSTS OFF) SELECT * FROM lake');
-- VERBOSE adds the paths
SELECT explain_lines('(VERBOSE, COSTS OFF) SELECT user_id FROM lake WHERE event_type = ''share''');
-- ANALYZE adds the files actually read and the rows rejected
SELECT explain_lines('(ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT * FROM lake');
SELECT explain_lines('(ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT * FROM lake LIMIT 1');
CREATE FOREIGN TABLE bad (user_id int, event_type text, event_date timestamp)
  SERVER files OPTIONS (path :'events_bad', header 'true', on_error 'skip');
SELECT explain_lines('(ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT count(*) FROM bad');
-- the same figures in machine-readable formats
SELECT scan->'Ritual Files' AS files, scan->'Ritual Bytes' AS bytes,
       scan->'Ritual Files Read' AS files_read,
       scan->'Ritual Rows Rejected' AS rows_rejected
  FROM (SELECT explain_lines('(FORMAT json, ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT count(*) FROM bad')::jsonb
               #> '{0,Plan,Plans,0}' AS scan) AS plan;

-- a plain EXPLAIN lists files but opens none: this file cannot be read
CREATE FOREIGN TABLE unreadable (a text) SERVER files OPTIONS (path :'unreadable');
SELECT explain_lines('(COSTS OFF) SELECT * FROM unreadable');
SELECT * FROM unreadable;

-- estimates: from the size and the row width before ANALYZE, from the
-- sampled density after it
CREATE FOREIGN TABLE events (user_id int, event_type text, event_date timestamp)
  SERVER files OPTIONS (path :'events', header 'true');
SELECT explain_lines('SELECT * FROM events');
ANALYZE events;
SELECT reltuples, relpages FROM pg_class WHERE oid = 'events'::regclass;
SELECT attname, n_distinct FROM pg_stats WHERE tablename = 'events' ORDER BY attname;
SELECT explain_lines('SELECT * FROM events');
SELECT explain_lines('SELECT * FROM events WHERE user_id = 1');
-- ANALYZE of a table whose files have bad rows follows on_error
ANALYZE bad;
SELECT reltuples FROM pg_class WHERE oid = 'bad'::regclass;

DROP FOREIGN TABLE lake, bad, unreadable, events;
DROP FUNCTION explain_lines;
