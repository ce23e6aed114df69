--
-- chunk_boundaries: records read the same wherever the reader's 1MB chunks
-- end, and wherever a batch of ritual.ingest stops in a growing file.  Each
-- case is a finding of tests/fuzz/csv_reader_fuzz, made large enough to
-- cross a real chunk boundary.
--
\getenv datadir RITUAL_TESTDATA
\set dir :datadir '/chunk_boundaries'
\set lone_cr :dir '/lone_cr.csv'
\set split_crlf :dir '/split_crlf.csv'
\set quoted_cr :dir '/quoted_cr.csv'
\set ingest :dir '/ingest'
SET client_min_messages = notice;
\set SHOW_CONTEXT never

CREATE SERVER chunk_files FOREIGN DATA WRAPPER ritual_fdw;

-- write (or append) text to a file as it is, carriage returns included
CREATE FUNCTION write_text(file text, content text, append boolean DEFAULT false)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('COPY (SELECT %L) TO PROGRAM %L',
                   translate(encode(convert_to(content, 'UTF8'), 'base64'), E'\n', ''),
                   CASE WHEN append THEN 'base64 -d >> ' ELSE 'base64 -d > ' END || file);
END
$$;
SELECT format('COPY (SELECT) TO PROGRAM %L',
              format('rm -rf %s && mkdir -p %s/ingest && cat > /dev/null', :'dir', :'dir'))
  AS mkdirs \gset
:mkdirs;

-- lines ended by lone CRs: a bad line that runs from the first chunk into a
-- full second one ends at its CR there, and the second chunk's rows are read
SELECT write_text(:'lone_cr',
    E'id,v\r1,' || repeat('a', 1048000) || E'\r2,x"y' || repeat('b', 1000) || E'\r'
    || (SELECT string_agg(i || ',c', E'\r') FROM generate_series(3, 150002) i) || E'\r');
CREATE FOREIGN TABLE lone_cr (id int, v text)
  SERVER chunk_files OPTIONS (path :'lone_cr', header 'true', on_error 'skip');
SELECT count(*), min(id), max(id) FROM lone_cr;

-- a bad line whose CR LF is split between two chunks ends one line, not two
SELECT write_text(:'split_crlf',
    '1,a"' || repeat('b', 1048571) || E'\r\n2,b\r\n3,c\r\n');
CREATE FOREIGN TABLE split_crlf (id int, v text, line bigint OPTIONS (meta 'line'))
  SERVER chunk_files OPTIONS (path :'split_crlf', on_error 'skip');
SELECT id, v, line FROM split_crlf;

-- a lone CR inside a quoted field is a line end, in a line of simple fields
-- as in any other
SELECT write_text(:'quoted_cr', E'"a\rb",1\nx,2\n"c\r\nd",3\ny,4\n');
CREATE FOREIGN TABLE quoted_cr (v text, n int, line bigint OPTIONS (meta 'line'))
  SERVER chunk_files OPTIONS (path :'quoted_cr');
SELECT replace(v, E'\r', '\r') AS v, n, line FROM quoted_cr;

-- ritual.ingest: a batch that sees a record's CR but not yet the LF after it
-- leaves the record for the next batch, which counts CR LF as one line end
CREATE FOREIGN TABLE growing (id int, name text, line bigint OPTIONS (meta 'line'))
  SERVER chunk_files OPTIONS (path :'ingest', header 'true');
CREATE TABLE grown (id int, name text, line bigint);
SELECT write_text(:'ingest' || '/part-0.csv', E'id,name\r\n1,alpha\r');
SELECT batch, files, rows FROM ritual.ingest('growing', 'grown');
SELECT write_text(:'ingest' || '/part-0.csv', E'\n2,beta\r\n', true);
SELECT batch, files, rows FROM ritual.ingest('growing', 'grown');
SELECT * FROM grown ORDER BY id;
SELECT * FROM growing ORDER BY id;

DROP TABLE grown;
DROP FOREIGN TABLE lone_cr, split_crlf, quoted_cr, growing;
DROP FUNCTION write_text;
DROP SERVER chunk_files;
