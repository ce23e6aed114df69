--
-- on_error: stop, null and skip; reject_limit; the closing NOTICE
--
\getenv datadir RITUAL_TESTDATA
\set events_bad :datadir '/events_bad.csv'
\set events :datadir '/events.csv'

-- events_bad.csv: line 3 has a bad user_id, line 4 too few fields, line 5 too
-- many, line 6 an impossible date; lines 2 and 7 are clean

-- stop (the default): the first bad row is an ERROR that says where
CREATE FOREIGN TABLE ev_stop (user_id bigint, event_type text, event_date timestamp)
  SERVER files OPTIONS (path :'events_bad', header 'true');
SELECT * FROM ev_stop;
-- only the columns a query needs are converted
SELECT event_type FROM ev_stop LIMIT 2;

-- null: a field that does not convert is NULL, the row is kept, and meta
-- column 'errors' says why
CREATE FOREIGN TABLE ev_null (user_id bigint, event_type text, event_date timestamp,
    line bigint OPTIONS (meta 'line'), errors text OPTIONS (meta 'errors'))
  SERVER files OPTIONS (path :'events_bad', header 'true', on_error 'null');
SELECT * FROM ev_null ORDER BY line;

-- skip: bad rows are dropped, the same ones whatever the query selects
CREATE FOREIGN TABLE ev_skip (user_id bigint, event_type text, event_date timestamp,
    line bigint OPTIONS (meta 'line'))
  SERVER files OPTIONS (path :'events_bad', header 'true', on_error 'skip');
SELECT * FROM ev_skip ORDER BY line;
SELECT count(*) FROM ev_skip;
SELECT line FROM ev_skip ORDER BY line;

-- reject_limit N: more than N bad rows is an ERROR
ALTER FOREIGN TABLE ev_skip OPTIONS (ADD reject_limit '4');
SELECT count(*) FROM ev_skip;
ALTER FOREIGN TABLE ev_skip OPTIONS (SET reject_limit '3');
SELECT count(*) FROM ev_skip;
ALTER FOREIGN TABLE ev_null OPTIONS (ADD reject_limit '0');
SELECT count(*) FROM ev_null;
SELECT user_id FROM ev_null;

-- the NOTICE counts rows across files and names the first bad one
\set both :events ',' :events_bad
ALTER FOREIGN TABLE ev_skip OPTIONS (SET path :'both', DROP reject_limit);
SELECT count(*) FROM ev_skip;
-- a clean scan says nothing
ALTER FOREIGN TABLE ev_skip OPTIONS (SET path :'events');
SELECT count(*) FROM ev_skip;

-- a bad row is counted once however many of its fields are bad
CREATE FOREIGN TABLE ev_all_bad (user_id bigint, event_type int, event_date date)
  SERVER files OPTIONS (path :'events_bad', header 'true', on_error 'null');
SELECT count(*) FROM ev_all_bad WHERE user_id IS NOT NULL OR event_type IS NOT NULL;

DROP FOREIGN TABLE ev_stop, ev_null, ev_skip, ev_all_bad;
