/*
 * src/sql/code/ingest.sql: ritual.ingest and its views.  ritual.ingest
 * appends to a table what is new in the files of a ritual_fdw foreign
 * table, writing the checkpoint of src/sql/tables/ingest.sql in the
 * caller's transaction; src/ingest.c reads the files.
 */

CREATE OR REPLACE VIEW ritual.ingest_log AS
SELECT s.source, s.target, b.*
  FROM ritual.ingest_batches b JOIN ritual.ingest_streams s USING (stream_id);
COMMENT ON VIEW ritual.ingest_log IS 'The ingest log with each batch''s source and target.';

/*
 * The C side (src/ingest.c); internal to ritual.ingest.  They read only
 * the files of a source the caller may SELECT from.
 */
CREATE OR REPLACE FUNCTION ritual.ingest_list_files(source regclass, known_paths text[],
    known_upto bigint[], known_sizes bigint[], known_modified timestamptz[],
    OUT path text, OUT size bigint, OUT modified timestamptz,
    OUT compressed boolean, OUT fingerprint bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'ritual_ingest_list_files'
LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION ritual.ingest_list_files(regclass, text[], bigint[], bigint[], timestamptz[]) IS
  'internal to ritual.ingest: the files of a source, with fingerprints of the known ones';

CREATE OR REPLACE FUNCTION ritual.ingest_prepare_batch(source regclass, target regclass,
    batch bigint, paths text[], starts bigint[], start_lines bigint[],
    limits bigint[], sizes bigint[], files_complete boolean, reject_limit bigint)
RETURNS void
AS 'MODULE_PATHNAME', 'ritual_ingest_prepare_batch'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION ritual.ingest_prepare_batch(regclass, regclass, bigint, text[], bigint[], bigint[], bigint[], bigint[], boolean, bigint) IS
  'internal to ritual.ingest: hands a batch of byte ranges to the next scan of the source';

CREATE OR REPLACE FUNCTION ritual.ingest_insert(source regclass, target regclass)
RETURNS bigint
AS 'MODULE_PATHNAME', 'ritual_ingest_insert'
LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION ritual.ingest_insert(regclass, regclass) IS
  'internal to ritual.ingest: inserts the prepared batch into a plain table as COPY does; NULL when INSERT must';

CREATE OR REPLACE FUNCTION ritual.ingest_batch_rejects(OUT path text, OUT line bigint,
                                            OUT record text, OUT error text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'ritual_ingest_batch_rejects'
LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION ritual.ingest_batch_rejects() IS
  'internal to ritual.ingest: the rows the batch''s scan rejected';

CREATE OR REPLACE FUNCTION ritual.ingest_batch_results(OUT path text, OUT end_offset bigint,
    OUT end_line bigint, OUT rows bigint, OUT rejects bigint, OUT fingerprint bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'ritual_ingest_batch_results'
LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION ritual.ingest_batch_results() IS
  'internal to ritual.ingest: what the batch''s scan took from each file';

/*
 * ritual.ingest: append to 'target' what is new in the files of 'source',
 * exactly once.  See docs/ingest.md.
 */
CREATE OR REPLACE FUNCTION ritual.ingest(
    source         regclass,
    target         regclass,
    max_files      integer DEFAULT NULL,
    max_bytes      bigint DEFAULT NULL,
    on_rewrite     text DEFAULT 'error',
    reject_limit   bigint DEFAULT NULL,
    wait           boolean DEFAULT true,
    files_complete boolean DEFAULT false)
RETURNS TABLE (batch bigint, files integer, bytes bigint, rows bigint,
               rejects bigint, seconds double precision)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
#variable_conflict use_column
DECLARE
    started    timestamptz := clock_timestamp();
    stream     ritual.ingest_streams;
    batch_no   bigint;
    columns    text;
    known_paths text[];
    known_upto bigint[];
    known_sizes bigint[];
    known_modified timestamptz[];
    rewrites   integer;
    pending    integer;
    taken      record;
    first_rewrite record;
    scratch    text;
BEGIN
    IF max_files < 1 OR max_bytes < 1 OR reject_limit < 0 THEN
        RAISE EXCEPTION 'max_files and max_bytes must be positive and reject_limit not negative'
              USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF on_rewrite IS NULL OR on_rewrite NOT IN ('error', 'reingest', 'ignore') THEN
        RAISE EXCEPTION 'invalid value for on_rewrite: "%"', on_rewrite
              USING ERRCODE = 'invalid_parameter_value',
                    HINT = 'Valid values are "error", "reingest" and "ignore".';
    END IF;
    -- say which privilege is missing before anything is read
    IF NOT has_table_privilege(source, 'SELECT') OR NOT has_table_privilege(target, 'INSERT') THEN
        RAISE EXCEPTION 'permission denied to ingest from % into %', source, target
              USING ERRCODE = 'insufficient_privilege',
                    HINT = 'ritual.ingest needs SELECT on the source and INSERT on the target.';
    END IF;
    IF EXISTS (SELECT FROM unnest(ARRAY['ritual.ingest_streams', 'ritual.ingest_files',
                                        'ritual.ingest_batches', 'ritual.ingest_rejects']) AS t
                WHERE NOT has_table_privilege(t, 'SELECT, INSERT, UPDATE')) THEN
        RAISE EXCEPTION 'permission denied for the checkpoint tables of ritual.ingest'
              USING ERRCODE = 'insufficient_privilege',
                    HINT = 'A superuser can run: SELECT ritual.grant_ingest(''' || current_user || ''')';
    END IF;
    -- the source's own reject_limit, when ingest is given none
    IF reject_limit IS NULL THEN
        SELECT option_value::bigint INTO reject_limit
          FROM pg_catalog.pg_options_to_table(
                 (SELECT ftoptions FROM pg_catalog.pg_foreign_table WHERE ftrelid = source))
         WHERE option_name = 'reject_limit';
    END IF;

    -- target columns take the source's columns of the same name
    SELECT string_agg(quote_ident(t.attname), ', ' ORDER BY t.attnum) INTO columns
      FROM pg_catalog.pg_attribute t
      JOIN pg_catalog.pg_attribute s
        ON s.attrelid = source AND s.attname = t.attname AND s.attnum > 0
           AND NOT s.attisdropped
     WHERE t.attrelid = target AND t.attnum > 0 AND NOT t.attisdropped
       AND t.attgenerated = '' AND t.attidentity <> 'a';
    IF columns IS NULL THEN
        RAISE EXCEPTION 'tables % and % have no column name in common', source, target
              USING ERRCODE = 'undefined_column',
                    HINT = 'ritual.ingest fills each column of the target from the source''s column of the same name.';
    END IF;

    -- one ingest of a pair at a time, held to commit: the advisory lock also
    -- covers a pair's first ingest, before its row exists
    IF wait THEN
        PERFORM pg_advisory_xact_lock((source::oid::bigint - 2147483648)::integer,
                                      (target::oid::bigint - 2147483648)::integer);
    ELSIF NOT pg_try_advisory_xact_lock((source::oid::bigint - 2147483648)::integer,
                                        (target::oid::bigint - 2147483648)::integer) THEN
        RAISE NOTICE 'another ritual.ingest from % into % is running; nothing was read', source, target;
        RETURN QUERY SELECT NULL::bigint, 0, 0::bigint, 0::bigint, 0::bigint,
                            extract(epoch FROM clock_timestamp() - started)::double precision;
        RETURN;
    END IF;
    IF NOT EXISTS (SELECT FROM ritual.ingest_streams s
                    WHERE s.source = ingest.source AND s.target = ingest.target) THEN
        INSERT INTO ritual.ingest_streams (source, target)
        VALUES (ingest.source, ingest.target) ON CONFLICT DO NOTHING;
    END IF;
    IF wait THEN
        SELECT * INTO stream FROM ritual.ingest_streams s
         WHERE s.source = ingest.source AND s.target = ingest.target FOR UPDATE;
    ELSE
        SELECT * INTO stream FROM ritual.ingest_streams s
         WHERE s.source = ingest.source AND s.target = ingest.target FOR UPDATE SKIP LOCKED;
        IF NOT FOUND THEN
            RAISE NOTICE 'another ritual.ingest from % into % is running; nothing was read', source, target;
            RETURN QUERY SELECT NULL::bigint, 0, 0::bigint, 0::bigint, 0::bigint,
                                extract(epoch FROM clock_timestamp() - started)::double precision;
            RETURN;
        END IF;
    END IF;

    -- every file now, against the checkpoint
    -- sorted byte-wise, as the files are listed
    SELECT coalesce(array_agg(k.path ORDER BY k.path COLLATE "C"), '{}'),
           coalesce(array_agg(k.fingerprint_bytes ORDER BY k.path COLLATE "C"), '{}'),
           coalesce(array_agg(k.size ORDER BY k.path COLLATE "C"), '{}'),
           coalesce(array_agg(k.modified ORDER BY k.path COLLATE "C"), '{}')
      INTO known_paths, known_upto, known_sizes, known_modified
      FROM ritual.ingest_files k
     WHERE k.stream_id = stream.stream_id AND k.state = 'reading';
    -- scratch tables of an earlier ingest in this transaction
    FOR scratch IN SELECT unnest(ARRAY['_ritual_ingest_files', '_ritual_ingest_batch',
                                       '_ritual_ingest_taken'])
    LOOP
        IF to_regclass('pg_temp.' || scratch) IS NOT NULL THEN
            EXECUTE format('DROP TABLE pg_temp.%I', scratch);
        END IF;
    END LOOP;
    CREATE TEMP TABLE _ritual_ingest_files ON COMMIT DROP AS
    SELECT l.path, l.size, l.modified, l.compressed,
           k.bytes AS known_bytes, k.lines AS known_lines,
           CASE WHEN k.path IS NULL THEN 'new'
                WHEN k.state = 'ignored' THEN 'ignored'
                WHEN l.size = k.size AND l.modified = k.modified
                     AND (NOT files_complete OR l.compressed OR k.bytes >= l.size) THEN 'unchanged'
                WHEN l.size < k.size THEN 'truncated'
                WHEN l.fingerprint IS DISTINCT FROM k.fingerprint THEN 'rewritten'
                ELSE 'grown' END AS change
      FROM ritual.ingest_list_files(source, known_paths, known_upto, known_sizes,
                                    known_modified) l
      LEFT JOIN ritual.ingest_files k ON k.stream_id = stream.stream_id AND k.path = l.path;

    SELECT f.path, f.change INTO first_rewrite FROM _ritual_ingest_files f
     WHERE f.change IN ('truncated', 'rewritten') ORDER BY f.modified, f.path LIMIT 1;
    SELECT count(*) INTO rewrites FROM _ritual_ingest_files f
     WHERE f.change IN ('truncated', 'rewritten');
    IF rewrites > 0 AND on_rewrite = 'error' THEN
        RAISE EXCEPTION 'file "%" was % since ritual.ingest read it', first_rewrite.path, first_rewrite.change
              USING ERRCODE = 'object_not_in_prerequisite_state',
                    DETAIL = format('%s file(s) of %s changed other than by growing.', rewrites, source),
                    HINT = 'Pass on_rewrite => ''reingest'' to read such files again from the start (rows already taken from them stay in the target), or ''ignore'' to leave them be.';
    ELSIF rewrites > 0 AND on_rewrite = 'ignore' THEN
        UPDATE ritual.ingest_files k SET state = 'ignored'
          FROM _ritual_ingest_files f
         WHERE k.stream_id = stream.stream_id AND k.path = f.path
           AND f.change IN ('truncated', 'rewritten');
        RAISE NOTICE 'ignoring % rewritten or truncated file(s) of %, the first "%"', rewrites, source, first_rewrite.path;
    ELSIF rewrites > 0 THEN
        UPDATE _ritual_ingest_files f SET change = 'new', known_bytes = NULL, known_lines = NULL
         WHERE f.change IN ('truncated', 'rewritten');
        RAISE NOTICE 'reading % rewritten or truncated file(s) of % again from the start, the first "%"', rewrites, source, first_rewrite.path;
    END IF;

    -- the batch: files in modification-time then name order, bounded
    CREATE TEMP TABLE _ritual_ingest_batch ON COMMIT DROP AS
    WITH todo AS (
        SELECT f.*, coalesce(f.known_bytes, 0) AS start, coalesce(f.known_lines, 0) AS start_line,
               row_number() OVER w AS n,
               sum(CASE WHEN f.compressed THEN f.size
                        ELSE f.size - coalesce(f.known_bytes, 0) END) OVER w AS running_bytes
          FROM _ritual_ingest_files f
         WHERE f.change IN ('new', 'grown')
        WINDOW w AS (ORDER BY f.modified, f.path)
    )
    SELECT * FROM todo t
     WHERE (max_files IS NULL OR t.n <= max_files)
       AND (max_bytes IS NULL OR t.n = 1 OR t.running_bytes <= max_bytes);
    SELECT count(*) - (SELECT count(*) FROM _ritual_ingest_batch) INTO pending
      FROM _ritual_ingest_files f WHERE f.change IN ('new', 'grown');

    IF NOT EXISTS (SELECT FROM _ritual_ingest_batch) THEN
        RETURN QUERY SELECT NULL::bigint, 0, 0::bigint, 0::bigint, 0::bigint,
                            extract(epoch FROM clock_timestamp() - started)::double precision;
        RETURN;
    END IF;

    batch_no := stream.batches + 1;
    PERFORM ritual.ingest_prepare_batch(source, target, batch_no,
                array_agg(b.path ORDER BY b.n), array_agg(b.start ORDER BY b.n),
                array_agg(b.start_line ORDER BY b.n),
                array_agg(CASE WHEN b.compressed THEN -1 ELSE b.size END ORDER BY b.n),
                array_agg(b.size ORDER BY b.n), files_complete, reject_limit)
       FROM _ritual_ingest_batch b;
    -- a plain table is written as COPY writes; anything else through INSERT
    IF ritual.ingest_insert(source, target) IS NULL THEN
        EXECUTE format('INSERT INTO %s (%s) SELECT %s FROM %s', target, columns, columns, source);
    END IF;

    INSERT INTO ritual.ingest_rejects (stream_id, batch, path, line, record, error)
    SELECT stream.stream_id, batch_no, r.path, r.line, r.record, r.error
      FROM ritual.ingest_batch_rejects() r;

    CREATE TEMP TABLE _ritual_ingest_taken ON COMMIT DROP AS
    SELECT r.*, b.start, b.size, b.modified, b.compressed
      FROM ritual.ingest_batch_results() r JOIN _ritual_ingest_batch b USING (path);

    INSERT INTO ritual.ingest_files AS k
           (stream_id, path, size, modified, bytes, lines, rows, rejects,
            fingerprint, fingerprint_bytes, first_batch, batch)
    SELECT stream.stream_id, t.path, t.size, t.modified, t.end_offset, t.end_line,
           t.rows, t.rejects, t.fingerprint,
           CASE WHEN t.compressed THEN t.size ELSE t.end_offset END, batch_no, batch_no
      FROM _ritual_ingest_taken t
    ON CONFLICT (stream_id, path) DO UPDATE
       SET size = excluded.size, modified = excluded.modified, bytes = excluded.bytes,
           lines = excluded.lines, rows = k.rows + excluded.rows,
           rejects = k.rejects + excluded.rejects, fingerprint = excluded.fingerprint,
           fingerprint_bytes = excluded.fingerprint_bytes, batch = excluded.batch,
           state = 'reading';

    UPDATE ritual.ingest_streams s SET batches = batch_no WHERE s.stream_id = stream.stream_id;

    SELECT count(*)::integer AS files, coalesce(sum(t.end_offset - t.start), 0)::bigint AS bytes,
           coalesce(sum(t.rows), 0)::bigint AS rows, coalesce(sum(t.rejects), 0)::bigint AS rejects
      INTO taken FROM _ritual_ingest_taken t;
    INSERT INTO ritual.ingest_batches
    VALUES (stream.stream_id, batch_no, started,
            extract(epoch FROM clock_timestamp() - started),
            taken.files, taken.bytes, taken.rows, taken.rejects, rewrites, pending);
    RAISE LOG 'ritual.ingest from % into %: batch %, % files, % bytes, % rows, % rejects',
              source, target, batch_no, taken.files, taken.bytes, taken.rows, taken.rejects;

    RETURN QUERY SELECT batch_no, taken.files, taken.bytes, taken.rows, taken.rejects,
                        extract(epoch FROM clock_timestamp() - started)::double precision;
END
$fn$;
COMMENT ON FUNCTION ritual.ingest(regclass, regclass, integer, bigint, text, bigint, boolean, boolean) IS
  'append to a table, exactly once, the rows of a ritual_fdw foreign table''s files not ingested before: new files and what files gained';

/*
 * What running ingests have done so far, from the progress they report as
 * COPY FROM (so pg_stat_progress_copy shows them too).
 */
CREATE OR REPLACE VIEW ritual.ingest_progress AS
SELECT p.pid, p.param12::oid::regclass AS source, p.relid::regclass AS target,
       p.param13 AS batch, p.param15 AS files_done, p.param14 AS files_total,
       p.param1 AS bytes_done, p.param2 AS bytes_total,
       p.param3 AS rows, p.param4 AS rejects
  FROM pg_catalog.pg_stat_get_progress_info('COPY') p
 WHERE p.param11 = x'72697475616c'::bigint;
COMMENT ON VIEW ritual.ingest_progress IS
  'Running ritual.ingest batches: files, bytes (done when a file is done) and rows so far.';

/*
 * ritual.grant_ingest: let a role keep the checkpoint that ritual.ingest
 * writes.  Reading the source and writing the target are granted as usual.
 */
CREATE OR REPLACE FUNCTION ritual.grant_ingest(role name)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    EXECUTE format('GRANT USAGE ON SCHEMA ritual TO %I', role);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE ON ritual.ingest_streams, ritual.ingest_files,
                    ritual.ingest_batches, ritual.ingest_rejects TO %I', role);
    EXECUTE format('GRANT SELECT ON ritual.ingest_log, ritual.ingest_progress TO %I', role);
END
$fn$;
COMMENT ON FUNCTION ritual.grant_ingest(name) IS
  'let a role run ritual.ingest: the checkpoint, log and rejects tables';
