--
-- meta: columns the reader fills, so every value can be traced to its bytes
--
\getenv datadir RITUAL_TESTDATA
\set quoting :datadir '/quoting.csv'
\set crlf_bom :datadir '/crlf_bom.csv'
\set noheader :datadir '/noheader.csv'
\set lake :datadir '/lake/2024'

-- 'line' is the physical line where a record starts: records that span lines
-- push the next ones down
CREATE FOREIGN TABLE quoting (id int, line bigint OPTIONS (meta 'line'))
  SERVER files OPTIONS (path :'quoting', header 'true');
SELECT id, line FROM quoting ORDER BY line;
-- with CRLF line ends, a BOM and blank lines
CREATE FOREIGN TABLE crlf (id int, line bigint OPTIONS (meta 'line'))
  SERVER files OPTIONS (path :'crlf_bom', header 'true');
SELECT id, line FROM crlf ORDER BY line;
-- without a header; blank lines count
CREATE FOREIGN TABLE noheader (user_id int, event_type text, event_date date,
    line int OPTIONS (meta 'line'))
  SERVER files OPTIONS (path :'noheader');
SELECT user_id, line FROM noheader;

-- 'filename' names the file of each row; meta columns take any type whose
-- input accepts the value, and are not matched against the header
CREATE FOREIGN TABLE lake (user_id int, file varchar OPTIONS (meta 'filename'),
    line numeric OPTIONS (meta 'line'), event_type text)
  SERVER files OPTIONS (path :'lake', header 'true');
SELECT user_id, replace(file, :'datadir', '<data>') AS file, line, event_type
  FROM lake ORDER BY file;
-- a meta column is not a file column when matching by position
CREATE FOREIGN TABLE by_position (file text OPTIONS (meta 'filename'),
    user_id text, event_type text, event_date text)
  SERVER files OPTIONS (path :'lake', header 'true', match_by 'position');
SELECT replace(file, :'datadir', '<data>') AS file, user_id
  FROM by_position ORDER BY 1;

-- 'errors' is NULL for a clean row
CREATE FOREIGN TABLE clean (id int, errors text OPTIONS (meta 'errors'))
  SERVER files OPTIONS (path :'quoting', header 'true', on_error 'null');
SELECT count(*) AS rows, count(errors) AS rows_with_errors FROM clean;
SELECT DISTINCT errors FROM clean;

-- a file name that is not valid UTF-8 reaches 'filename' as valid text, each
-- byte of an invalid sequence written as \xNN
\set odd_names :datadir '/odd_names'
SELECT format('COPY (SELECT) TO PROGRAM %L',
              format('cat > /dev/null; mkdir -p %s && printf ''a\n1\n'' > %s/"$(printf ''caf\303\251-\377\376'')".csv',
                     :'odd_names', :'odd_names')) AS write_odd \gset
:write_odd;
CREATE FOREIGN TABLE odd_names (a int, file text OPTIONS (meta 'filename'))
  SERVER files OPTIONS (path :'odd_names', header 'true');
SELECT a, replace(file, :'datadir', '<data>') AS file FROM odd_names;

DROP FOREIGN TABLE quoting, crlf, noheader, lake, by_position, clean, odd_names;
