--
-- reading: CSV dialects, headers, matching by name or position, NULLs
--
\getenv datadir RITUAL_TESTDATA
\set quoting :datadir '/quoting.csv'
\set crlf_bom :datadir '/crlf_bom.csv'
\set noheader :datadir '/noheader.csv'
\set semicolon :datadir '/semicolon.csv'
\set escape :datadir '/escape.csv'
\set header_case :datadir '/header_case.csv'
\set dup_header :datadir '/dup_header.csv'
\set no_match_header :datadir '/no_match_header.csv'
\set stray_quote_header :datadir '/stray_quote_header.csv'
\set empty :datadir '/empty.csv'
\set header_only :datadir '/header_only.csv'
\set invalid_utf8 :datadir '/invalid_utf8.csv'
\set unterminated :datadir '/unterminated.csv'
\set events :datadir '/events.csv'
\set events_bad :datadir '/events_bad.csv'

-- quoted delimiters, doubled quotes, line breaks inside quotes, spaces kept,
-- an empty unquoted field is NULL while "" is an empty string, and the last
-- line needs no line break
CREATE FOREIGN TABLE quoting (id int, note text, tag text)
  SERVER files OPTIONS (path :'quoting', header 'true');
SELECT id, note, tag, note IS NULL AS note_null, tag = '' AS tag_empty,
       length(note) AS note_len
  FROM quoting ORDER BY id;

-- CRLF line ends, a byte-order mark before the header, blank lines
CREATE FOREIGN TABLE crlf (id int, name text) SERVER files
  OPTIONS (path :'crlf_bom', header 'true');
SELECT id, name, name LIKE E'%\r%' AS has_cr FROM crlf ORDER BY id;
-- without a header too, only the file's first three bytes are a byte-order
-- mark: a value that begins with U+FEFF after it keeps it
\set bom_twice :datadir '/bom_twice.csv'
CREATE FOREIGN TABLE bom_twice (a text, b int) SERVER files
  OPTIONS (path :'bom_twice');
SELECT encode(convert_to(a, 'UTF8'), 'hex') AS a_bytes, b FROM bom_twice;
DROP FOREIGN TABLE bom_twice;

-- no header: matched by position; blank lines skipped
CREATE FOREIGN TABLE noheader (user_id int, event_type text, event_date date)
  SERVER files OPTIONS (path :'noheader');
SELECT * FROM noheader;

-- other delimiter and quote, and a null string ('NA' quoted is the text NA)
CREATE FOREIGN TABLE semicolon (id int, label text, amount numeric)
  SERVER files OPTIONS (path :'semicolon', header 'true', delimiter ';',
                        quote '''', null 'NA');
SELECT id, label, amount, label IS NULL AS label_null FROM semicolon ORDER BY id;

-- an escape other than the quote: \" is a quote, \\ a backslash, other
-- backslashes stand for themselves
CREATE FOREIGN TABLE escaped (id int, text text)
  SERVER files OPTIONS (path :'escape', header 'true', escape '\');
SELECT * FROM escaped ORDER BY id;
-- without the option the same bytes read as plain CSV
CREATE FOREIGN TABLE unescaped (id int, text text)
  SERVER files OPTIONS (path :'escape', header 'true', on_error 'null');
SELECT id, text FROM unescaped ORDER BY id;

-- header names compare case-insensitively and without surrounding spaces;
-- column_name maps a column to another header name; a column missing from
-- the header is NULL; extra file columns are ignored
CREATE FOREIGN TABLE header_case (
    user_id int OPTIONS (column_name 'id'),
    event_type text,
    event_date timestamp,
    platform text)
  SERVER files OPTIONS (path :'header_case', header 'true');
SELECT * FROM header_case ORDER BY user_id;
-- match_by 'position' with a header: the header line is skipped
CREATE FOREIGN TABLE by_position (a text, b text, c text, d text)
  SERVER files OPTIONS (path :'header_case', header 'true', match_by 'position');
SELECT * FROM by_position;
-- columns matched by name across files whose headers differ
\set two_layouts :events ',' :header_case
CREATE FOREIGN TABLE two_layouts (
    user_id int, event_type text, event_date timestamp, id int, extra text)
  SERVER files OPTIONS (path :'two_layouts', header 'true');
SELECT * FROM two_layouts ORDER BY event_date LIMIT 4;

-- a header that names a column twice, or none of them
CREATE FOREIGN TABLE dup_header (user_id int, event_type text)
  SERVER files OPTIONS (path :'dup_header', header 'true');
SELECT * FROM dup_header;
CREATE FOREIGN TABLE no_match (user_id int, event_type text)
  SERVER files OPTIONS (path :'no_match_header', header 'true');
SELECT * FROM no_match;
-- a stray quote in the header's first field leaves it no field: the detail
-- must not show the next line's
ALTER FOREIGN TABLE no_match OPTIONS (SET path :'stray_quote_header');
SELECT * FROM no_match;

-- empty files and files with only a header have no rows
CREATE FOREIGN TABLE empties (user_id int, event_type text)
  SERVER files OPTIONS (path :'empty', header 'true');
SELECT count(*) FROM empties;
ALTER FOREIGN TABLE empties OPTIONS (SET path :'header_only');
SELECT count(*) FROM empties;
ALTER FOREIGN TABLE empties OPTIONS (SET header 'false');
SELECT * FROM empties;

-- too few and too many fields
CREATE FOREIGN TABLE short_rows (user_id text, event_type text, event_date text)
  SERVER files OPTIONS (path :'events_bad', header 'true');
SELECT * FROM short_rows;
CREATE FOREIGN TABLE wide_rows (user_id text, event_type text)
  SERVER files OPTIONS (path :'events', match_by 'position', header 'true');
SELECT * FROM wide_rows;

-- input must be valid in the database encoding
CREATE FOREIGN TABLE utf8 (id int, name text)
  SERVER files OPTIONS (path :'invalid_utf8', header 'true');
SELECT * FROM utf8;
SELECT id FROM utf8;
ALTER FOREIGN TABLE utf8 OPTIONS (ADD on_error 'null');
SELECT * FROM utf8;

-- a quote that is never closed
CREATE FOREIGN TABLE unterminated (id int, name text)
  SERVER files OPTIONS (path :'unterminated', header 'true');
SELECT * FROM unterminated;
ALTER FOREIGN TABLE unterminated OPTIONS (ADD on_error 'skip');
SELECT * FROM unterminated;

DROP FOREIGN TABLE quoting, crlf, noheader, semicolon, escaped, unescaped,
  header_case, by_position, two_layouts, dup_header, no_match, empties,
  short_rows, wide_rows, utf8, unterminated;

-- a quoted field is the text between its quotes ("" is an empty string, a
-- doubled quote is a quote); a quote that neither opens, closes nor doubles
-- makes its record bad, and reading goes on at the next line
\set quoted_simple :datadir '/quoted_simple.csv'
CREATE FOREIGN TABLE quoted_simple (id int, a text, b text,
    line int OPTIONS (meta 'line'), errors text OPTIONS (meta 'errors'))
  SERVER files OPTIONS (path :'quoted_simple', header 'true');
SELECT id, a, b FROM quoted_simple;
ALTER FOREIGN TABLE quoted_simple OPTIONS (ADD on_error 'null');
SELECT id, a, b, a IS NULL AS a_null, length(b) AS b_len, line, errors
  FROM quoted_simple;
DROP FOREIGN TABLE quoted_simple;

-- an invalid byte is found wherever it is in a line: a short line, the last
-- bytes of a long one, inside quotes, or a NUL
\set encoding_positions :datadir '/encoding_positions.csv'
CREATE FOREIGN TABLE encoding_positions (a int, b text, errors text OPTIONS (meta 'errors'))
  SERVER files OPTIONS (path :'encoding_positions', header 'true', on_error 'null');
SELECT a, b, errors FROM encoding_positions;
DROP FOREIGN TABLE encoding_positions;

-- with CR line ends too, a stray quote spoils only its own record
\set cr_stray_quote :datadir '/cr_stray_quote.csv'
CREATE FOREIGN TABLE cr_stray_quote (a text, b text, line int OPTIONS (meta 'line'))
  SERVER files OPTIONS (path :'cr_stray_quote', header 'true', on_error 'skip');
SELECT * FROM cr_stray_quote;
DROP FOREIGN TABLE cr_stray_quote;
-- a lone CR inside the spoilt quoted field ends a line too: 3,4 is on line 4
\set lone_cr_stray_quote :datadir '/lone_cr_stray_quote.csv'
CREATE FOREIGN TABLE lone_cr_stray_quote (a text, b text, line int OPTIONS (meta 'line'))
  SERVER files OPTIONS (path :'lone_cr_stray_quote', header 'true', on_error 'skip');
SELECT * FROM lone_cr_stray_quote;
DROP FOREIGN TABLE lone_cr_stray_quote;

-- a lone CR inside a simple quoted field ends a line as it does elsewhere:
-- "z" is on line 4
\set quoted_cr :datadir '/quoted_cr.csv'
CREATE FOREIGN TABLE quoted_cr (a text, b int, line int OPTIONS (meta 'line'))
  SERVER files OPTIONS (path :'quoted_cr', header 'true');
SELECT replace(a, E'\r', '<CR>') AS a, b, line FROM quoted_cr;
DROP FOREIGN TABLE quoted_cr;
-- with an escape and lone CR line ends, a stray quote spoils only its own
-- record: the escapes of the records after it are read as written
\set escape_cr_stray_quote :datadir '/escape_cr_stray_quote.csv'
CREATE FOREIGN TABLE escape_cr_stray_quote (a text, b int, line int OPTIONS (meta 'line'))
  SERVER files OPTIONS (path :'escape_cr_stray_quote', header 'true',
                        escape '\', on_error 'skip');
SELECT * FROM escape_cr_stray_quote;
DROP FOREIGN TABLE escape_cr_stray_quote;
-- and so it does when its line runs across the end of the reader's first
-- 1 MB chunk: the quote of line 74,899 is the chunk's last byte
\set long_cr :datadir '/lone_cr_long.csv'
SELECT format('COPY (SELECT line FROM (SELECT 0 AS i, %L AS line UNION ALL
                 SELECT i, lpad(i::text, 7, ''0'') || CASE WHEN i = 74898 THEN %L ELSE %L END
                   FROM generate_series(1, 200000) AS i) AS l ORDER BY i)
               TO PROGRAM %L',
              'id,note', ',a"bcd', ',plain', 'tr ''\n'' ''\r'' > ' || :'long_cr') \gexec
CREATE FOREIGN TABLE lone_cr_long (id int, note text, line int OPTIONS (meta 'line'))
  SERVER files OPTIONS (path :'long_cr', header 'true', on_error 'skip');
SELECT count(*), max(id), max(line) FROM lone_cr_long;
DROP FOREIGN TABLE lone_cr_long;

-- option null, as in COPY: an unquoted field equal to it is NULL, a quoted
-- one is text; an empty unquoted field is NULL and "" an empty string; a
-- field that only starts with the null string before a NUL is a bad value;
-- the same whether a line is split in place (1-5, 11) or by libcsv (6-10)
\set null_string :datadir '/null_string.csv'
CREATE FOREIGN TABLE null_string (id int, v text, w text,
    errors text OPTIONS (meta 'errors'))
  SERVER files OPTIONS (path :'null_string', header 'true', null 'NULL',
                        on_error 'null');
SELECT id, v, v IS NULL AS v_null, w, errors FROM null_string;
DROP FOREIGN TABLE null_string;

-- option max_record_size bounds a record's bytes before they are buffered:
-- a 2 MB line in a small gzip file, one long field or many fields, quoted or
-- not, and a line split in place
SELECT format('COPY (SELECT %s) TO PROGRAM %L', value,
              'gzip > ' || :'datadir' || '/long_line_' || name || '.csv.gz') AS cmd
  FROM (VALUES ('field', 'repeat(''x'', 2 * 1024 * 1024)'),
               ('fields', 'repeat(repeat(''x'', 99) || '','', 20000)'),
               ('quoted', 'repeat(''"'' || repeat(''x'', 97) || ''",'', 20000)'))
       AS v(name, value) \gexec
\set long_field :datadir '/long_line_field.csv.gz'
CREATE FOREIGN TABLE long_line (a text) SERVER files
  OPTIONS (path :'long_field', max_record_size '1MB');
SELECT length(a) FROM long_line;
\set long_fields :datadir '/long_line_fields.csv.gz'
ALTER FOREIGN TABLE long_line OPTIONS (SET path :'long_fields');
SELECT length(a) FROM long_line;
\set long_quoted :datadir '/long_line_quoted.csv.gz'
ALTER FOREIGN TABLE long_line OPTIONS (SET path :'long_quoted');
SELECT length(a) FROM long_line;
ALTER FOREIGN TABLE long_line OPTIONS (SET path :'long_field', SET max_record_size '3MB');
SELECT length(a) FROM long_line;
\set long_plain :datadir '/long_line_plain.csv'
COPY (SELECT repeat('x', 1500)) TO :'long_plain' WITH (FORMAT csv);
ALTER FOREIGN TABLE long_line OPTIONS (SET path :'long_plain', SET max_record_size '1kB');
SELECT count(*) FROM long_line;
ALTER FOREIGN TABLE long_line OPTIONS (SET max_record_size '2kB');
SELECT length(a) FROM long_line;
-- a record is too long by its bytes up to a stray quote too, even where
-- bad records are skipped: a reading that stopped before the quote (an
-- ingest batch of a file being written) would have found it so
\set long_stray :datadir '/long_line_stray.csv'
COPY (SELECT repeat('x', 600) || ',' || repeat('y', 600) || '"z' UNION ALL SELECT 'ab')
  TO :'long_stray' WITH (FORMAT text);
ALTER FOREIGN TABLE long_line OPTIONS (SET path :'long_stray', SET max_record_size '1kB',
                                       ADD on_error 'skip');
SELECT count(*) FROM long_line;
ALTER FOREIGN TABLE long_line OPTIONS (SET max_record_size '2kB');
SELECT a FROM long_line;
DROP FOREIGN TABLE long_line;
